/*
 * authd: the one process allowed outbound HTTPS, for OIDC.  For now it
 * connects to its parent and the coordinator, drops privileges, and
 * waits.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event.h>

#include "config.h"
#include "log.h"
#include "proc.h"

struct authd {
	struct config	*conf;
	struct imsgev	*coord;
	int		 privdropped;
};

static struct authd	 authd;

static void
authd_dispatch_coord(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	if (imsg == NULL) {
		log_debug("lost the coordinator");
		if (authd.coord == iev)
			authd.coord = NULL;
		free(iev);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_AUTH_PING:
		imsgev_compose(iev, IMSG_AUTH_PING, imsg->hdr.peerid |
		    IMSG_REPLY_BIT, -1, imsg->data, imsg->datalen);
		break;
	default:
		log_warnx("coordinator: unexpected imsg %u, disconnecting",
		    imsg->hdr.type);
		imsgev_close(iev);
		break;
	}
}

static void
authd_peer(enum proc_id id, int fd)
{
	struct imsgev	*iev;

	if (id != PROC_COORD)
		fatalx("no channel to %s expected", proc_name(id));
	if (authd.coord != NULL) {
		imsgev_close(authd.coord);
		free(authd.coord);
	}
	if ((iev = calloc(1, sizeof(*iev))) == NULL)
		fatal("calloc");
	if (imsgev_init(iev, fd, "coordinator", authd_dispatch_coord,
	    NULL) == -1)
		fatal("imsgev_init");
	authd.coord = iev;
}

static void
authd_config(struct config *conf)
{
	config_free(authd.conf);
	authd.conf = conf;
	if (!authd.privdropped) {
		/* No chroot: libcurl needs the CA store and resolver. */
		proc_drop_privs(PROC_AUTH, NULL);
		authd.privdropped = 1;
		imsgev_compose(proc_parent_iev(), IMSG_CTL_PROCREADY, 0, -1,
		    NULL, 0);
	}
}

static void
authd_shutdown(void)
{
	event_loopexit(NULL);
}

static const struct proc_hooks authd_hooks = {
	.peer = authd_peer,
	.config = authd_config,
	.listener = NULL,
	.shutdown = authd_shutdown,
};

int
main(int argc, char *argv[])
{
	int	ch, debug = 0, verbose = 0;

	log_init(1, LOG_DAEMON);
	proc_init_title(argc, argv);
	while ((ch = getopt(argc, argv, "dP:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'P':
			if (proc_byname(optarg) != PROC_AUTH)
				errx(1, "not authd: %s", optarg);
			break;
		case 'v':
			verbose++;
			break;
		default:
			errx(1, "usage: authd -P authd [-dv] "
			    "(started by coordd)");
		}
	}
	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	event_init();
	proc_child_start(PROC_AUTH, &authd_hooks);
	event_dispatch();
	if (authd.coord != NULL) {
		imsgev_close(authd.coord);
		free(authd.coord);
	}
	config_free(authd.conf);
	return (0);
}
