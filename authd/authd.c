/*
 * authd: the one process allowed outbound HTTPS, for OIDC.  For now it
 * connects to its parent and the coordinator, drops privileges, and
 * waits.
 */
#include <sys/types.h>

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
	if (id != PROC_COORD)
		fatalx("no channel to %s expected", proc_name(id));
	proc_peer_open(&authd.coord, id, fd, authd_dispatch_coord, NULL);
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
	proc_child_args(argc, argv, PROC_AUTH);
	event_init();
	proc_child_start(PROC_AUTH, &authd_hooks);
	event_dispatch();
	proc_peers_close(&authd.coord, 1);
	config_free(authd.conf);
	return (0);
}
