/*
 * The control socket: one command, one reply (a CtlReply in chunks
 * closed by DONE), and the little interaction around it: the question
 * before a destructive command and a spinner while coordd works.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "compat.h"
#include "config.h"
#include "coordctl.h"
#include "imsgev.h"
#include "types.h"

#include "ctl.pb-c.h"

#define CTL_TIMEOUT_MS	30000		/* of silence from coordd */
#define CTL_REPLY_MAX	(256 * 1024 * 1024)
#define SPIN_AFTER_MS	1000
#define SPIN_STEP_MS	100

/* Progress on a terminal: shown once coordd has been quiet a while. */
struct spinner {
	int		 on;		/* stderr is a terminal */
	int		 shown;
	unsigned	 n;
	long long	 start;
};

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
spin(struct spinner *s)
{
	static const char	 wheel[] = "|/-\\";

	if (!s->on || now_ms() - s->start < SPIN_AFTER_MS)
		return;
	fprintf(stderr, "\rwaiting for coordd %c", wheel[s->n++ % 4]);
	fflush(stderr);
	s->shown = 1;
}

static void
spin_clear(struct spinner *s)
{
	if (s->shown)
		fprintf(stderr, "\r\033[K");
	s->shown = 0;
}

/* -s, then $COORDD_SOCKET, then the unix_socket of -c, then the default. */
static const char *
ctl_socket_path(struct invocation *inv)
{
	static char	 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct config	*conf;
	const char	*s;
	char		 err[2048];

	if (inv->socket != NULL)
		return (inv->socket);
	if ((s = getenv("COORDD_SOCKET")) != NULL && *s != '\0')
		return (s);
	if (inv->config == NULL)
		return (CTL_SOCKET);
	if ((conf = config_load(inv->config, 1, err, sizeof(err))) == NULL)
		errx(1, "%s", err);
	strlcpy(path, conf->unix_socket, sizeof(path));
	config_free(conf);
	return (path);
}

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket path too long: %s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		errx(1, "cannot connect to %s: %s (is coordd running?)",
		    path, strerror(errno));
	return (fd);
}

/* Block until one whole message arrives, spinning meanwhile. */
static void
ctl_wait(struct imsgbuf *ib, struct imsg *imsg, struct spinner *s)
{
	struct pollfd	pfd;
	long long	quiet = now_ms();
	ssize_t		n;
	int		r;

	for (;;) {
		if ((r = imsgbuf_get(ib, imsg)) == -1)
			errx(1, "malformed reply from coordd");
		if (r == 1)
			return;
		pfd.fd = ib->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, SPIN_STEP_MS)) == -1 && errno != EINTR)
			err(1, "poll");
		if (r <= 0) {
			if (now_ms() - quiet > CTL_TIMEOUT_MS) {
				spin_clear(s);
				errx(1, "no answer from coordd");
			}
			spin(s);
			continue;
		}
		quiet = now_ms();
		if ((n = imsgbuf_read(ib)) == 0) {
			spin_clear(s);
			errx(1, "coordd closed the connection");
		}
		if (n == -1 && errno != EAGAIN)
			err(1, "read");
	}
}

/* Gather the chunks of the reply up to their DONE. */
static void
ctl_read_reply(struct imsgbuf *ib, struct chunkbuf *cb)
{
	struct spinner	s;
	struct imsg	imsg;

	memset(&s, 0, sizeof(s));
	s.on = isatty(STDERR_FILENO);
	s.start = now_ms();
	chunkbuf_init(cb, CTL_REPLY_MAX);
	for (;;) {
		ctl_wait(ib, &imsg, &s);
		if (imsg.hdr.type == IMSG_DONE)
			break;
		if (imsg.hdr.type == IMSG_CTL_HELLO) {
			imsg_free(&imsg);
			continue;
		}
		if (imsg.hdr.type != IMSG_CTL_REPLY)
			errx(1, "unexpected message %u from coordd",
			    imsg.hdr.type);
		if (chunkbuf_add(cb, imsg.data, imsg.datalen) == -1)
			errx(1, "reply from coordd too large");
		imsg_free(&imsg);
		spin(&s);
	}
	imsg_free(&imsg);
	spin_clear(&s);
}

/* The document of a reply, or NULL for none. */
static json_t *
ctl_doc(Coordd__CtlReply *reply)
{
	json_t		*doc;
	json_error_t	 jerr;

	if (reply->json == NULL || reply->json[0] == '\0')
		return (NULL);
	if ((doc = json_loads(reply->json, JSON_DECODE_ANY, &jerr)) == NULL)
		errx(1, "bad JSON from coordd: %s", jerr.text);
	return (doc);
}

/*
 * The command's own table kind wins over coordd's: list-routes answers
 * with nodes, shown as routes.
 */
static int
ctl_print_reply(struct invocation *inv, struct chunkbuf *cb)
{
	Coordd__CtlReply	*reply;
	const char		*kind;
	json_t			*doc;
	int			 rv = 0;

	if ((reply = coordd__ctl_reply__unpack(NULL, cb->len, cb->buf)) ==
	    NULL)
		errx(1, "unexpected reply from coordd");
	if (reply->status != CTL_OK) {
		fprintf(stderr, "coordctl: %s\n", reply->error[0] != '\0' ?
		    reply->error : "command failed");
		pb_free(reply);
		return (1);
	}
	kind = inv->cmd->table != NULL ? inv->cmd->table : reply->kind;
	if (strcmp(reply->kind, "text") == 0)
		kind = "text";
	if ((doc = ctl_doc(reply)) != NULL) {
		rv = output_render(stdout, inv->fmt, kind, doc, inv->showtags);
		json_decref(doc);
	}
	pb_free(reply);
	return (rv);
}

/* A file named by --file goes along as a descriptor: apid is chrooted. */
static int
ctl_file(struct invocation *inv)
{
	int	fd;

	if (inv->file == NULL)
		return (-1);
	if ((fd = open(inv->file, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", inv->file);
	return (fd);
}

int
ctl_run(struct invocation *inv)
{
	Coordd__CtlRequest	 req = COORDD__CTL_REQUEST__INIT;
	struct imsgbuf		 ib;
	struct chunkbuf		 cb;
	uint8_t			*buf;
	size_t			 len;
	int			 fd, rv;

	fd = ctl_connect(ctl_socket_path(inv));
	if (imsgbuf_init(&ib, fd) == -1)
		err(1, "imsgbuf_init");
	if (imsg_compose(&ib, IMSG_CTL_HELLO, CTL_PROTOCOL_VERSION, 0, -1,
	    NULL, 0) == -1)
		err(1, "compose");
	req.argv = inv->argv;
	req.n_argv = inv->argc;
	if ((buf = pb_pack(&req.base, &len)) == NULL)
		err(1, "pack");
	if (imsg_compose(&ib, IMSG_CTL_COMMAND, 1, 0, ctl_file(inv), buf,
	    len) == -1)
		errx(1, "command too long");
	free(buf);
	if (imsgbuf_flush(&ib) == -1)
		err(1, "write");
	ctl_read_reply(&ib, &cb);
	rv = ctl_print_reply(inv, &cb);
	chunkbuf_reset(&cb);
	imsgbuf_clear(&ib);
	close(fd);
	return (rv);
}

/*
 * headscale asks before destroying; so do we, but only someone at a
 * terminal can answer, and --force answers for them.
 */
int
ctl_confirm(struct invocation *inv)
{
	char	line[64];

	if (inv->force || !isatty(STDIN_FILENO))
		return (0);
	fprintf(stderr, "%s [y/N] ", inv->cmd->confirm);
	fflush(stderr);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return (-1);
	line[strcspn(line, "\n")] = '\0';
	if (strcasecmp(line, "y") != 0 && strcasecmp(line, "yes") != 0)
		return (-1);
	inv->force = 1;
	return (0);
}
