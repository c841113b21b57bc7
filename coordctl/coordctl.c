/*
 * coordctl [-s socket] [-o table|json|yaml] command ...
 *
 * Sends one command to apid over the control socket and prints the
 * answer.  The daemon checks the command; coordctl only picks out its
 * own flags, which may appear anywhere, as in headscale's CLI.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "compat.h"
#include "coordctl.h"
#include "imsgev.h"
#include "types.h"

#include "ctl.pb-c.h"

#define CTL_TIMEOUT_MS	30000
#define CTL_REPLY_MAX	(256 * 1024 * 1024)

static __dead void
usage(void)
{
	fprintf(stderr, "usage: coordctl [-s socket] [-o table|json|yaml] "
	    "command ...\n"
	    "commands:\n"
	    "  users create NAME | list | rename | destroy\n"
	    "  preauthkeys create | list | expire\n"
	    "  apikeys create | list | expire | delete\n");
	exit(1);
}

static int
parse_format(const char *s, enum output_format *fmt)
{
	if (strcmp(s, "table") == 0 || strcmp(s, "") == 0)
		*fmt = OUTPUT_TABLE;
	else if (strcmp(s, "json") == 0 || strcmp(s, "json-line") == 0)
		*fmt = OUTPUT_JSON;
	else if (strcmp(s, "yaml") == 0)
		*fmt = OUTPUT_YAML;
	else
		return (-1);
	return (0);
}

/* Take -s/--socket and -o/--output out of argv, wherever they are. */
static int
take_global_flags(int argc, char **argv, const char **sock,
    enum output_format *fmt)
{
	const char	*val;
	int		 i, n = 0, isout;

	for (i = 0; i < argc; i++) {
		val = NULL;
		isout = 0;
		if (strcmp(argv[i], "-o") == 0 ||
		    strcmp(argv[i], "--output") == 0 ||
		    strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "--socket") == 0) {
			isout = argv[i][1] == 'o' || argv[i][2] == 'o';
			if (i + 1 == argc)
				usage();
			val = argv[++i];
		} else if (strncmp(argv[i], "--output=", 9) == 0) {
			isout = 1;
			val = argv[i] + 9;
		} else if (strncmp(argv[i], "--socket=", 9) == 0)
			val = argv[i] + 9;
		else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			usage();
		if (val == NULL)
			argv[n++] = argv[i];
		else if (isout) {
			if (parse_format(val, fmt) == -1)
				errx(1, "unknown output format \"%s\"", val);
		} else
			*sock = val;
	}
	return (n);
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

/* Block until one whole message arrives. */
static void
ctl_wait(struct imsgbuf *ib, struct imsg *imsg)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		r;

	for (;;) {
		if ((r = imsgbuf_get(ib, imsg)) == -1)
			errx(1, "malformed reply from coordd");
		if (r == 1)
			return;
		pfd.fd = ib->fd;
		pfd.events = POLLIN;
		if ((r = poll(&pfd, 1, CTL_TIMEOUT_MS)) == -1)
			err(1, "poll");
		if (r == 0)
			errx(1, "no answer from coordd");
		if ((n = imsgbuf_read(ib)) == 0)
			errx(1, "coordd closed the connection");
		if (n == -1 && errno != EAGAIN)
			err(1, "read");
	}
}

/* Gather the chunks of the reply up to their DONE. */
static void
ctl_read_reply(struct imsgbuf *ib, struct chunkbuf *cb)
{
	struct imsg	imsg;

	chunkbuf_init(cb, CTL_REPLY_MAX);
	for (;;) {
		ctl_wait(ib, &imsg);
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
	}
	imsg_free(&imsg);
}

static int
ctl_print_reply(struct chunkbuf *cb, enum output_format fmt)
{
	Coordd__CtlReply	*reply;
	json_t			*doc;
	json_error_t		 jerr;
	int			 rv = 0;

	if ((reply = coordd__ctl_reply__unpack(NULL, cb->len, cb->buf)) ==
	    NULL)
		errx(1, "unexpected reply from coordd");
	if (reply->status != CTL_OK) {
		fprintf(stderr, "coordctl: %s\n", reply->error);
		pb_free(reply);
		return (1);
	}
	if (reply->json[0] != '\0') {
		if ((doc = json_loads(reply->json, JSON_DECODE_ANY,
		    &jerr)) == NULL)
			errx(1, "bad JSON from coordd: %s", jerr.text);
		rv = output_render(stdout, fmt, reply->kind, doc);
		json_decref(doc);
	}
	pb_free(reply);
	return (rv);
}

int
main(int argc, char *argv[])
{
	Coordd__CtlRequest	 req = COORDD__CTL_REQUEST__INIT;
	struct imsgbuf		 ib;
	struct chunkbuf		 cb;
	enum output_format	 fmt = OUTPUT_TABLE;
	const char		*sock;
	uint8_t			*buf;
	size_t			 len;
	int			 fd, rv;

	if ((sock = getenv("COORDD_SOCKET")) == NULL)
		sock = CTL_SOCKET;
	argc = take_global_flags(argc - 1, argv + 1, &sock, &fmt);
	argv++;
	if (argc < 1)
		usage();

	fd = ctl_connect(sock);
	if (imsgbuf_init(&ib, fd) == -1)
		err(1, "imsgbuf_init");
	if (imsg_compose(&ib, IMSG_CTL_HELLO, CTL_PROTOCOL_VERSION, 0, -1,
	    NULL, 0) == -1)
		err(1, "compose");
	req.argv = argv;
	req.n_argv = argc;
	if ((buf = pb_pack(&req.base, &len)) == NULL)
		err(1, "pack");
	if (imsg_compose(&ib, IMSG_CTL_COMMAND, 1, 0, -1, buf, len) == -1)
		errx(1, "command too long");
	free(buf);
	if (imsgbuf_flush(&ib) == -1)
		err(1, "write");
	ctl_read_reply(&ib, &cb);
	rv = ctl_print_reply(&cb, fmt);
	chunkbuf_reset(&cb);
	imsgbuf_clear(&ib);
	close(fd);
	return (rv);
}
