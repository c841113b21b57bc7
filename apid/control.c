/*
 * The control socket: coordctl clients connect, say hello with their
 * protocol version, send one command and get one reply.  A client that
 * misbehaves is closed; nobody else notices.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "apid.h"
#include "log.h"

#include "ctl.pb-c.h"

static void	control_accept(int, short, void *);
static void	control_dispatch(struct imsgev *, struct imsg *, void *);

static const struct timeval control_backoff = { 1, 0 };

void
control_listen(int fd)
{
	struct apid	*env = apid_env;

	if (env->ctlfd != -1) {
		event_del(&env->ctl_ev);
		close(env->ctlfd);
	}
	env->ctlfd = fd;
	event_set(&env->ctl_ev, fd, EV_READ | EV_PERSIST, control_accept, env);
	event_add(&env->ctl_ev, NULL);
	evtimer_set(&env->ctl_pause, control_accept, env);
}

/* Replies from stored find their client by id: it may have left. */
struct ctl_conn *
control_find(uint64_t id)
{
	struct ctl_conn	*c;

	TAILQ_FOREACH(c, &apid_env->conns, entry)
		if (c->id == id)
			return (c);
	return (NULL);
}

static void
control_free(struct ctl_conn *c)
{
	struct apid	*env = apid_env;

	TAILQ_REMOVE(&env->conns, c, entry);
	env->nconns--;
	imsgev_close(&c->iev);
	json_decref(c->pend_body);
	free(c);
}

void
control_close_all(void)
{
	struct apid	*env = apid_env;
	struct ctl_conn	*c;

	while ((c = TAILQ_FIRST(&env->conns)) != NULL)
		control_free(c);
	if (env->ctlfd != -1) {
		event_del(&env->ctl_ev);
		evtimer_del(&env->ctl_pause);
		close(env->ctlfd);
		env->ctlfd = -1;
	}
}

static void
control_accept(int fd, short event, void *arg)
{
	struct apid	*env = arg;
	struct ctl_conn	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 s;

	if (event & EV_TIMEOUT) {
		event_add(&env->ctl_ev, NULL);
		return;
	}
	if ((s = accept4(env->ctlfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: stop accepting for a while. */
			event_del(&env->ctl_ev);
			evtimer_add(&env->ctl_pause, &control_backoff);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control accept");
		return;
	}
	if (env->nconns >= CTL_MAX_CLIENTS) {
		log_warnx("control: too many clients");
		close(s);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(s);
		return;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
		c->uid = cred.uid;
		c->pid = cred.pid;
	}
	if (imsgev_init(&c->iev, s, "control client", control_dispatch,
	    c) == -1) {
		close(s);
		free(c);
		return;
	}
	/* No descriptors from clients, and small messages only. */
	imsgbuf_set_maxsize(&c->iev.ibuf, 64 * 1024);
	imsgev_set_maxqueue(&c->iev, 16 * 1024 * 1024);
	c->id = ++env->next_connid;
	TAILQ_INSERT_TAIL(&env->conns, c, entry);
	env->nconns++;
	log_debug("control client uid %u pid %d connected",
	    (unsigned)c->uid, (int)c->pid);
}

/* Send the one reply of this connection. */
void
control_reply(struct ctl_conn *c, int status, const char *error,
    json_t *doc, const char *kind)
{
	Coordd__CtlReply	 reply = COORDD__CTL_REPLY__INIT;
	char			*json = NULL;
	uint8_t			*buf;
	size_t			 len;

	reply.status = status;
	reply.error = (char *)(error != NULL ? error : "");
	if (doc != NULL)
		json = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	reply.json = json != NULL ? json : "";
	reply.kind = (char *)(kind != NULL ? kind : "");
	if (status != CTL_OK)
		log_info("control: uid %u: %s", (unsigned)c->uid, reply.error);
	/* Long listings exceed one message: send chunks closed by DONE. */
	if ((buf = pb_pack(&reply.base, &len)) == NULL ||
	    imsgev_compose_chunked(&c->iev, IMSG_CTL_REPLY, c->reqid, buf,
	    len) == -1) {
		log_warn("control: cannot queue the reply");
		imsgev_close(&c->iev);
	}
	free(buf);
	free(json);
	c->busy = 0;
	/* One command per connection. */
	if (!c->iev.closed)
		imsgev_close_when_flushed(&c->iev);
}

static void
control_hello(struct ctl_conn *c, struct imsg *imsg)
{
	if (imsg->hdr.peerid != CTL_PROTOCOL_VERSION) {
		/* Answer in a shape every version can read, then close. */
		c->reqid = 0;
		control_reply(c, CTL_ERR_VERSION, "coordctl and coordd "
		    "versions differ; use the coordctl of this coordd",
		    NULL, NULL);
		return;
	}
	c->hello = 1;
	imsgev_compose(&c->iev, IMSG_CTL_HELLO, CTL_PROTOCOL_VERSION, -1,
	    NULL, 0);
}

static int
control_check_argv(Coordd__CtlRequest *req)
{
	size_t	i;

	if (req->n_argv == 0 || req->n_argv > CTL_MAX_ARGS)
		return (-1);
	for (i = 0; i < req->n_argv; i++)
		if (strnlen(req->argv[i], CTL_MAX_ARGLEN + 1) > CTL_MAX_ARGLEN)
			return (-1);
	return (0);
}

static void
control_command(struct ctl_conn *c, struct imsg *imsg)
{
	Coordd__CtlRequest	*req;

	c->reqid = imsg->hdr.peerid;
	if (!c->hello || c->busy) {
		log_warnx("control: command out of sequence, closing");
		imsgev_close(&c->iev);
		return;
	}
	if ((req = pb_unpack(&coordd__ctl_request__descriptor, imsg)) ==
	    NULL || control_check_argv(req) == -1) {
		pb_free(req);
		control_reply(c, CTL_ERR_INVALID, "malformed request", NULL,
		    NULL);
		return;
	}
	c->busy = 1;
	/* An audit line: who asked for what (the words name no secret). */
	log_info("control: uid %u pid %d: %s %s", (unsigned)c->uid,
	    (int)c->pid, req->argv[0], req->n_argv > 1 ? req->argv[1] : "");
	ctl_command(c, req->n_argv, req->argv);
	pb_free(req);
}

static void
control_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct ctl_conn	*c = arg;

	if (imsg == NULL) {
		control_free(c);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_CTL_HELLO:
		control_hello(c, imsg);
		break;
	case IMSG_CTL_COMMAND:
		control_command(c, imsg);
		break;
	default:
		log_warnx("control: unknown message %u from uid %u, closing",
		    imsg->hdr.type, (unsigned)c->uid);
		imsgev_close(iev);
		break;
	}
}
