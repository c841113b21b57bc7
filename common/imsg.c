/*
 * Framing, descriptor passing and buffering for imsg.  Nothing here
 * knows about libevent; imsgev.c drives these buffers from the event
 * loop.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/param.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "types.h"

#define IMSG_IOV_MAX	64

int
imsgbuf_init(struct imsgbuf *ib, int fd)
{
	memset(ib, 0, sizeof(*ib));
	ib->fd = fd;
	ib->pid = getpid();
	ib->maxsize = IMSG_MAXSIZE_DEFAULT;
	ib->rsize = IMSG_READ_CHUNK;
	if ((ib->rbuf = malloc(ib->rsize)) == NULL)
		return (-1);
	TAILQ_INIT(&ib->outq);
	return (0);
}

/* Descriptors are refused unless the channel opts in. */
void
imsgbuf_allow_fdpass(struct imsgbuf *ib)
{
	ib->allow_fdpass = 1;
}

int
imsgbuf_set_maxsize(struct imsgbuf *ib, size_t max)
{
	if (max < IMSG_HEADER_SIZE || max > IMSG_MAXSIZE_HARD) {
		errno = EINVAL;
		return (-1);
	}
	ib->maxsize = max;
	return (0);
}

static void
imsgbuf_keep_fds(struct imsgbuf *ib, struct msghdr *msg)
{
	struct cmsghdr	*cm;
	int		*fds, i, n;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)CMSG_DATA(cm);
		for (i = 0; i < n; i++) {
			/*
			 * One descriptor per sendmsg at most: the first is
			 * kept, anything beyond it or beyond our queue, and
			 * anything on a channel that does not pass fds, is
			 * closed so that a peer cannot exhaust our table.
			 */
			if (ib->allow_fdpass && i == 0 &&
			    ib->nrfds < IMSG_MAX_PENDING_FDS)
				ib->rfds[ib->nrfds++] = fds[i];
			else
				close(fds[i]);
		}
	}
}

/*
 * Read what is available.  Returns the number of bytes read, 0 on end of
 * file, -1 on error (EAGAIN means nothing to read now).
 */
ssize_t
imsgbuf_read(struct imsgbuf *ib)
{
	struct msghdr	 msg;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cmsgbuf;
	uint8_t		*nbuf;
	size_t		 want;
	ssize_t		 n;

	want = ib->maxsize + IMSG_READ_CHUNK;
	if (ib->rsize - ib->rlen < IMSG_READ_CHUNK && ib->rsize < want) {
		if ((nbuf = realloc(ib->rbuf, want)) == NULL)
			return (-1);
		ib->rbuf = nbuf;
		ib->rsize = want;
	}
	if (ib->rlen == ib->rsize) {
		/* A full buffer holds at least one whole message. */
		errno = EAGAIN;
		return (-1);
	}
	memset(&msg, 0, sizeof(msg));
	memset(&cmsgbuf, 0, sizeof(cmsgbuf));
	iov.iov_base = ib->rbuf + ib->rlen;
	iov.iov_len = ib->rsize - ib->rlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cmsgbuf.buf;
	msg.msg_controllen = sizeof(cmsgbuf.buf);

	do {
		n = recvmsg(ib->fd, &msg, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	imsgbuf_keep_fds(ib, &msg);
	ib->rlen += n;
	return (n);
}

/*
 * Take one whole message off the read buffer.  Returns 1 with a message,
 * 0 when none is complete yet, -1 on a protocol error: ERANGE for a
 * length outside [header, maxsize], EBADMSG for a descriptor mark with
 * no descriptor.  After -1 the channel must be closed.
 */
int
imsgbuf_get(struct imsgbuf *ib, struct imsg *imsg)
{
	struct imsg_hdr	 hdr;
	size_t		 len;

	memset(imsg, 0, sizeof(*imsg));
	imsg->fd = -1;
	if (ib->rlen < IMSG_HEADER_SIZE)
		return (0);
	memcpy(&hdr, ib->rbuf, sizeof(hdr));
	len = hdr.len & ~IMSG_FD_MARK;
	if (len < IMSG_HEADER_SIZE || len > ib->maxsize) {
		errno = ERANGE;
		return (-1);
	}
	if (ib->rlen < len)
		return (0);
	if (hdr.len & IMSG_FD_MARK) {
		if (ib->nrfds == 0) {
			errno = EBADMSG;
			return (-1);
		}
		imsg->fd = ib->rfds[0];
		ib->nrfds--;
		memmove(ib->rfds, ib->rfds + 1, ib->nrfds * sizeof(int));
	}
	imsg->hdr = hdr;
	imsg->hdr.len = len;
	imsg->datalen = len - IMSG_HEADER_SIZE;
	if (imsg->datalen > 0) {
		if ((imsg->data = malloc(imsg->datalen)) == NULL) {
			if (imsg->fd != -1)
				close(imsg->fd);
			imsg->fd = -1;
			return (-1);
		}
		memcpy(imsg->data, ib->rbuf + IMSG_HEADER_SIZE,
		    imsg->datalen);
	}
	memmove(ib->rbuf, ib->rbuf + len, ib->rlen - len);
	ib->rlen -= len;
	return (1);
}

int
imsg_get_fd(struct imsg *imsg)
{
	int	fd = imsg->fd;

	imsg->fd = -1;
	return (fd);
}

void
imsg_free(struct imsg *imsg)
{
	if (imsg->fd != -1)
		close(imsg->fd);
	imsg->fd = -1;
	free(imsg->data);
	imsg->data = NULL;
	imsg->datalen = 0;
}

/* Queue one message.  The descriptor, if any, is closed once sent. */
int
imsg_compose(struct imsgbuf *ib, uint32_t type, uint32_t peerid, pid_t pid,
    int fd, const void *data, size_t datalen)
{
	struct imsg_hdr	 hdr;
	struct ibuf	*b;
	size_t		 len = IMSG_HEADER_SIZE + datalen;

	if (datalen > ib->maxsize || len > ib->maxsize) {
		errno = ERANGE;
		return (-1);
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (-1);
	if ((b->buf = malloc(len)) == NULL) {
		free(b);
		return (-1);
	}
	hdr.type = type;
	hdr.len = len | (fd != -1 ? IMSG_FD_MARK : 0);
	hdr.peerid = peerid;
	hdr.pid = pid ? (uint32_t)pid : (uint32_t)ib->pid;
	memcpy(b->buf, &hdr, sizeof(hdr));
	if (datalen > 0)
		memcpy(b->buf + IMSG_HEADER_SIZE, data, datalen);
	b->len = len;
	b->fd = fd;
	TAILQ_INSERT_TAIL(&ib->outq, b, entry);
	ib->out_bytes += len;
	ib->out_msgs++;
	return (0);
}

static void
ibuf_free(struct ibuf *b)
{
	if (b->fd != -1)
		close(b->fd);
	free(b->buf);
	free(b);
}

static void
imsgbuf_consume(struct imsgbuf *ib, size_t n)
{
	struct ibuf	*b;
	size_t		 part;

	while (n > 0 && (b = TAILQ_FIRST(&ib->outq)) != NULL) {
		part = MIN(n, b->len - b->sent);
		if (b->sent == 0 && part > 0 && b->fd != -1) {
			/* The descriptor left with the first byte. */
			close(b->fd);
			b->fd = -1;
		}
		b->sent += part;
		n -= part;
		ib->out_bytes -= part;
		if (b->sent == b->len) {
			TAILQ_REMOVE(&ib->outq, b, entry);
			ib->out_msgs--;
			ibuf_free(b);
		}
	}
}

/*
 * Write as much as the socket takes.  Returns 0 (maybe with data still
 * queued; EAGAIN is not an error) or -1 on a broken channel.
 */
int
imsgbuf_write(struct imsgbuf *ib)
{
	struct iovec	 iov[IMSG_IOV_MAX];
	struct msghdr	 msg;
	struct ibuf	*b;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	int		 i = 0, fd = -1;
	ssize_t		 n;

	while (!TAILQ_EMPTY(&ib->outq)) {
		i = 0;
		fd = -1;
		TAILQ_FOREACH(b, &ib->outq, entry) {
			if (i == IMSG_IOV_MAX)
				break;
			/* A descriptor must ride on its message's first byte. */
			if (b->fd != -1 && b->sent == 0) {
				if (i > 0)
					break;
				fd = b->fd;
			}
			iov[i].iov_base = b->buf + b->sent;
			iov[i].iov_len = b->len - b->sent;
			i++;
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = i;
		if (fd != -1) {
			struct cmsghdr	*cm;

			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			msg.msg_control = &cmsgbuf.buf;
			msg.msg_controllen = sizeof(cmsgbuf.buf);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		}
		do {
			n = sendmsg(ib->fd, &msg, MSG_NOSIGNAL);
		} while (n == -1 && errno == EINTR);
		if (n == -1) {
			if (errno == EAGAIN || errno == ENOBUFS)
				return (0);
			return (-1);
		}
		imsgbuf_consume(ib, n);
	}
	return (0);
}

/* Blocking write of everything queued; only for setup and tools. */
int
imsgbuf_flush(struct imsgbuf *ib)
{
	while (!TAILQ_EMPTY(&ib->outq)) {
		if (imsgbuf_write(ib) == -1)
			return (-1);
		if (!TAILQ_EMPTY(&ib->outq))
			usleep(1000);
	}
	return (0);
}

void
imsgbuf_clear(struct imsgbuf *ib)
{
	struct ibuf	*b;
	int		 i;

	while ((b = TAILQ_FIRST(&ib->outq)) != NULL) {
		TAILQ_REMOVE(&ib->outq, b, entry);
		ibuf_free(b);
	}
	ib->out_bytes = ib->out_msgs = 0;
	for (i = 0; i < ib->nrfds; i++)
		close(ib->rfds[i]);
	ib->nrfds = 0;
	free(ib->rbuf);
	ib->rbuf = NULL;
	ib->rlen = ib->rsize = 0;
}

size_t
imsgbuf_queuelen(const struct imsgbuf *ib)
{
	return (ib->out_msgs);
}

size_t
imsgbuf_queuebytes(const struct imsgbuf *ib)
{
	return (ib->out_bytes);
}

void
chunkbuf_init(struct chunkbuf *cb, size_t max)
{
	memset(cb, 0, sizeof(*cb));
	cb->max = max;
}

/* Append one piece; -1 with EMSGSIZE once the whole would exceed max. */
int
chunkbuf_add(struct chunkbuf *cb, const void *data, size_t len)
{
	uint8_t	*nbuf;

	if (len > cb->max || cb->len > cb->max - len) {
		errno = EMSGSIZE;
		return (-1);
	}
	if (len == 0)
		return (0);
	/* Not realloc: the config may carry a secret; leave no copy. */
	if ((nbuf = recallocarray(cb->buf, cb->len, cb->len + len, 1)) ==
	    NULL)
		return (-1);
	cb->buf = nbuf;
	memcpy(cb->buf + cb->len, data, len);
	cb->len += len;
	return (0);
}

void
chunkbuf_reset(struct chunkbuf *cb)
{
	freezero(cb->buf, cb->len);
	cb->buf = NULL;
	cb->len = 0;
}

/*
 * Send a payload of any size as messages of the given type, each at most
 * the channel's maximum, then an empty IMSG_DONE with the same peerid.
 */
int
imsg_compose_chunked(struct imsgbuf *ib, uint32_t type, uint32_t peerid,
    const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 room = ib->maxsize - IMSG_HEADER_SIZE, part;

	while (len > 0) {
		part = MIN(len, room);
		if (imsg_compose(ib, type, peerid, 0, -1, p, part) == -1)
			return (-1);
		p += part;
		len -= part;
	}
	return (imsg_compose(ib, IMSG_DONE, peerid, 0, -1, NULL, 0));
}
