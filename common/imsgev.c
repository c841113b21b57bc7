/*
 * libevent glue for imsg channels.  A channel dispatches whole messages
 * to its handler; replies (peerid with IMSG_REPLY_BIT) go to the
 * callback of the request they answer; every request has a timeout; and
 * the outgoing queue has watermarks so that a producer can pause while
 * a peer is slow, plus a hard cap after which the peer is dropped.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsgev.h"
#include "log.h"
#include "types.h"

static void	imsgev_dispatch(int, short, void *);
static void	imsgev_update(struct imsgev *);
static void	imsgev_req_timeout(int, short, void *);
static void	imsgev_fail(struct imsgev *);

static const struct timeval imsgev_now = { 0, 0 };
static void	imsgev_deferred_fail(int, short, void *);
static void	imsgev_route(struct imsgev *, struct imsg *);

/*
 * Dispatch every whole message buffered.  A handler that closes the
 * channel gets its NULL call here.  Returns -1 when iev may be gone.
 */
static int
imsgev_drain(struct imsgev *iev)
{
	struct imsg	 imsg;
	int		 r;

	while (!iev->read_paused) {
		if ((r = imsgbuf_get(&iev->ibuf, &imsg)) == 0)
			break;
		if (r == -1) {
			log_warnx("%s: malformed message (%s), disconnecting",
			    iev->name, strerror(errno));
			imsgev_fail(iev);
			return (-1);
		}
		iev->in_dispatch++;
		imsgev_route(iev, &imsg);
		iev->in_dispatch--;
		imsg_free(&imsg);
		if (iev->closed) {
			iev->handler(iev, NULL, iev->arg);
			return (-1);
		}
	}
	return (0);
}

int
imsgev_req_cmp(struct imsgev_req *a, struct imsgev_req *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_GENERATE(imsgev_reqs, imsgev_req, entry, imsgev_req_cmp);

int
imsgev_init(struct imsgev *iev, int fd, const char *name,
    imsgev_handler handler, void *arg)
{
	memset(iev, 0, sizeof(*iev));
	if (imsgbuf_init(&iev->ibuf, fd) == -1)
		return (-1);
	iev->name = name;
	iev->handler = handler;
	iev->arg = arg;
	iev->next_reqid = 1;
	iev->maxqueue = 64 * 1024 * 1024;
	RB_INIT(&iev->reqs);
	evtimer_set(&iev->failev, imsgev_deferred_fail, iev);
	event_set(&iev->ev, fd, EV_READ | EV_PERSIST, imsgev_dispatch, iev);
	iev->events = EV_READ;
	event_add(&iev->ev, NULL);
	return (0);
}

void
imsgev_set_flow(struct imsgev *iev, size_t lowat, size_t hiwat,
    imsgev_flowcb cb)
{
	iev->lowat = lowat;
	iev->hiwat = hiwat;
	iev->flowcb = cb;
}

/* A peer whose queue passes this many bytes is not reading: drop it. */
void
imsgev_set_maxqueue(struct imsgev *iev, size_t max)
{
	iev->maxqueue = max;
}

static void
imsgev_cancel_requests(struct imsgev *iev)
{
	struct imsgev_req	*req;

	while ((req = RB_MIN(imsgev_reqs, &iev->reqs)) != NULL) {
		RB_REMOVE(imsgev_reqs, &iev->reqs, req);
		evtimer_del(&req->timer);
		req->cb(iev, NULL, req->arg);
		free(req);
	}
}

static void
imsgev_shut(struct imsgev *iev)
{
	if (iev->closed)
		return;
	iev->closed = 1;
	event_del(&iev->ev);
	imsgev_cancel_requests(iev);
	if (iev->ibuf.fd != -1)
		close(iev->ibuf.fd);
	iev->ibuf.fd = -1;
	imsgbuf_clear(&iev->ibuf);
}

/*
 * Close from the owner's side.  The handler is not called; the owner
 * may free iev right after.
 */
void
imsgev_close(struct imsgev *iev)
{
	if (iev->fail_pending)
		evtimer_del(&iev->failev);
	iev->fail_pending = 0;
	imsgev_shut(iev);
}

/*
 * Tell the owner that the channel is gone: the handler gets NULL, and
 * may free iev.  The caller must not touch iev afterwards.
 */
static void
imsgev_fail(struct imsgev *iev)
{
	imsgev_close(iev);
	iev->handler(iev, NULL, iev->arg);
}

static void
imsgev_deferred_fail(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;

	iev->fail_pending = 0;
	iev->handler(iev, NULL, iev->arg);
}

void
imsgev_pause_read(struct imsgev *iev)
{
	iev->read_paused = 1;
	imsgev_update(iev);
}

void
imsgev_resume_read(struct imsgev *iev)
{
	iev->read_paused = 0;
	imsgev_update(iev);
}

static void
imsgev_check_flow(struct imsgev *iev)
{
	size_t	q = imsgbuf_queuebytes(&iev->ibuf);

	if (iev->flowcb == NULL)
		return;
	if (!iev->xoff && iev->hiwat > 0 && q > iev->hiwat) {
		iev->xoff = 1;
		iev->flowcb(iev, 1, iev->arg);
	} else if (iev->xoff && q <= iev->lowat) {
		iev->xoff = 0;
		iev->flowcb(iev, 0, iev->arg);
	}
}

static void
imsgev_update(struct imsgev *iev)
{
	short	events = 0;

	if (iev->closed)
		return;
	if (!iev->read_paused)
		events |= EV_READ;
	if (imsgbuf_queuelen(&iev->ibuf) > 0)
		events |= EV_WRITE;
	if (events == iev->events)
		return;
	event_del(&iev->ev);
	iev->events = events;
	if (events) {
		event_set(&iev->ev, iev->ibuf.fd, events | EV_PERSIST,
		    imsgev_dispatch, iev);
		event_add(&iev->ev, NULL);
	}
}

static void
imsgev_route(struct imsgev *iev, struct imsg *imsg)
{
	struct imsgev_req	 key, *req;

	if ((imsg->hdr.peerid & IMSG_REPLY_BIT) == 0) {
		iev->handler(iev, imsg, iev->arg);
		return;
	}
	key.id = imsg->hdr.peerid & ~IMSG_REPLY_BIT;
	if ((req = RB_FIND(imsgev_reqs, &iev->reqs, &key)) == NULL) {
		log_debug("%s: reply %u for no request (timed out?)",
		    iev->name, key.id);
		return;
	}
	if (imsg->hdr.type == IMSG_RESULT || imsg->hdr.type == IMSG_DONE) {
		RB_REMOVE(imsgev_reqs, &iev->reqs, req);
		evtimer_del(&req->timer);
		req->cb(iev, imsg, req->arg);
		free(req);
		return;
	}
	/* A part of a longer answer: the peer is alive, restart the clock. */
	evtimer_add(&req->timer, &req->timeout);
	req->cb(iev, imsg, req->arg);
}

/* Returns -1 once the channel has failed and iev may be gone. */
static int
imsgev_read_all(struct imsgev *iev)
{
	ssize_t		 n;

	n = imsgbuf_read(&iev->ibuf);
	if (n == 0) {
		log_debug("%s: channel closed by peer", iev->name);
		imsgev_fail(iev);
		return (-1);
	}
	if (n == -1 && errno != EAGAIN) {
		log_warn("%s: read", iev->name);
		imsgev_fail(iev);
		return (-1);
	}
	return (imsgev_drain(iev));
}

/*
 * For one-shot peers: once everything queued is written, the channel
 * is closed and the owner gets its NULL call.
 */
void
imsgev_close_when_flushed(struct imsgev *iev)
{
	iev->close_when_flushed = 1;
	imsgev_pause_read(iev);
	if (imsgbuf_queuelen(&iev->ibuf) == 0 && !iev->fail_pending) {
		iev->fail_pending = 1;
		imsgev_shut(iev);
		evtimer_add(&iev->failev, &imsgev_now);
	}
}

static void
imsgev_dispatch(int fd, short event, void *arg)
{
	struct imsgev	*iev = arg;

	if (event & EV_WRITE) {
		if (imsgbuf_write(&iev->ibuf) == -1) {
			log_warn("%s: write", iev->name);
			imsgev_fail(iev);
			return;
		}
		imsgev_check_flow(iev);
		if (iev->close_when_flushed &&
		    imsgbuf_queuelen(&iev->ibuf) == 0) {
			imsgev_fail(iev);
			return;
		}
	}
	if (event & EV_READ) {
		if (imsgev_read_all(iev) == -1)
			return;
	}
	imsgev_update(iev);
}

/* Messages still buffered after a resume are dispatched here. */
void
imsgev_flush_now(struct imsgev *iev)
{
	(void)imsgev_drain(iev);
}

static int
imsgev_queued(struct imsgev *iev)
{
	if (imsgbuf_queuebytes(&iev->ibuf) > iev->maxqueue) {
		log_warnx("%s: peer not reading (%zu bytes queued), "
		    "disconnecting", iev->name,
		    imsgbuf_queuebytes(&iev->ibuf));
		imsgev_shut(iev);
		/* Within a dispatch the drain loop reports it. */
		if (iev->in_dispatch == 0) {
			iev->fail_pending = 1;
			evtimer_add(&iev->failev, &imsgev_now);
		}
		errno = ENOBUFS;
		return (-1);
	}
	imsgev_check_flow(iev);
	imsgev_update(iev);
	return (0);
}

int
imsgev_compose(struct imsgev *iev, uint32_t type, uint32_t peerid, int fd,
    const void *data, size_t len)
{
	if (iev->closed) {
		if (fd != -1)
			close(fd);
		errno = EPIPE;
		return (-1);
	}
	if (imsg_compose(&iev->ibuf, type, peerid, 0, fd, data, len) == -1) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	return (imsgev_queued(iev));
}

int
imsgev_compose_pb(struct imsgev *iev, uint32_t type, uint32_t peerid,
    int fd, const ProtobufCMessage *msg)
{
	uint8_t	*buf = NULL;
	size_t	 len = 0;
	int	 rv;

	if (msg != NULL && (buf = pb_pack(msg, &len)) == NULL) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	rv = imsgev_compose(iev, type, peerid, fd, buf, len);
	free(buf);
	return (rv);
}

int
imsgev_compose_chunked(struct imsgev *iev, uint32_t type, uint32_t peerid,
    const void *data, size_t len)
{
	if (iev->closed) {
		errno = EPIPE;
		return (-1);
	}
	if (imsg_compose_chunked(&iev->ibuf, type, peerid, data, len) == -1)
		return (-1);
	return (imsgev_queued(iev));
}

int
imsgev_reply_pb(struct imsgev *iev, const struct imsg *req, uint32_t type,
    const ProtobufCMessage *msg)
{
	return (imsgev_compose_pb(iev, type, req->hdr.peerid | IMSG_REPLY_BIT,
	    -1, msg));
}

int
imsgev_reply_result(struct imsgev *iev, const struct imsg *req, int status,
    const char *error)
{
	Coordd__Result	 res = COORDD__RESULT__INIT;

	res.status = status;
	res.error = (char *)(error != NULL ? error : "");
	return (imsgev_reply_pb(iev, req, IMSG_RESULT, &res.base));
}

int
imsgev_reply_done(struct imsgev *iev, const struct imsg *req)
{
	return (imsgev_compose(iev, IMSG_DONE, req->hdr.peerid | IMSG_REPLY_BIT,
	    -1, NULL, 0));
}

static void
imsgev_req_timeout(int fd, short event, void *arg)
{
	struct imsgev_req	*req = arg;
	struct imsgev		*iev = req->iev;

	log_warnx("%s: request %u timed out", iev->name, req->id);
	RB_REMOVE(imsgev_reqs, &iev->reqs, req);
	req->cb(iev, NULL, req->arg);
	free(req);
}

/*
 * Send a request and have cb called with each part of the reply, or
 * with NULL after timeout_ms without a word from the peer.
 */
int
imsgev_request(struct imsgev *iev, uint32_t type, int fd,
    const ProtobufCMessage *msg, int timeout_ms, imsgev_replycb cb,
    void *arg)
{
	struct imsgev_req	*req;

	if ((req = calloc(1, sizeof(*req))) == NULL) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	do {
		req->id = iev->next_reqid++ & ~IMSG_REPLY_BIT;
	} while (req->id == 0 ||
	    RB_FIND(imsgev_reqs, &iev->reqs, req) != NULL);
	if (imsgev_compose_pb(iev, type, req->id, fd, msg) == -1) {
		free(req);
		return (-1);
	}
	req->cb = cb;
	req->arg = arg;
	req->iev = iev;
	req->timeout.tv_sec = timeout_ms / 1000;
	req->timeout.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_set(&req->timer, imsgev_req_timeout, req);
	evtimer_add(&req->timer, &req->timeout);
	RB_INSERT(imsgev_reqs, &iev->reqs, req);
	return (0);
}

size_t
imsgev_queuebytes(const struct imsgev *iev)
{
	return (imsgbuf_queuebytes(&iev->ibuf));
}
