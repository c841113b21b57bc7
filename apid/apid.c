/*
 * apid main: the channels to the parent, stored and the coordinator
 * (which forwards REST requests), and the privilege drop once the
 * control socket has arrived.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event.h>

#include "apid.h"
#include "config.h"
#include "log.h"
#include "proc.h"
#include "rest.h"

static struct apid	 apid;
struct apid		*apid_env = &apid;

static void
apid_dispatch_peer(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	if (imsg == NULL) {
		log_debug("lost %s", iev->name);
		if (apid.store == iev)
			apid.store = NULL;
		if (apid.coord == iev)
			apid.coord = NULL;
		free(iev);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_STORE_CHANGE:
		/* The REST API will keep its caches with these. */
		break;
	case IMSG_API_PING:
		break;
	case IMSG_API_REQUEST:
		/* REST requests come from the front door only. */
		if (iev != apid.coord) {
			log_warnx("%s: imsg %u is the coordinator's, "
			    "disconnecting", iev->name, imsg->hdr.type);
			imsgev_close(iev);
		} else
			rest_api_request(iev, imsg);
		break;
	default:
		log_warnx("%s: unexpected imsg %u, disconnecting", iev->name,
		    imsg->hdr.type);
		imsgev_close(iev);
		break;
	}
}

static void
apid_peer(enum proc_id id, int fd)
{
	if (id == PROC_STORE)
		proc_peer_open(&apid.store, id, fd, apid_dispatch_peer, NULL);
	else if (id == PROC_COORD)
		proc_peer_open(&apid.coord, id, fd, apid_dispatch_peer, NULL);
	else
		fatalx("no channel to %s expected", proc_name(id));
}

static void
apid_config(struct config *conf)
{
	config_free(apid.conf);
	apid.conf = conf;
	/*
	 * The policy file, before the chroot hides it: GET /api/v1/policy
	 * reads it through this descriptor when the path is out of reach.
	 */
	if (!apid.privdropped && apid.policyfd == -1 &&
	    conf->policy_path != NULL && conf->policy_path[0] != '\0' &&
	    (apid.policyfd = open(conf->policy_path, O_RDONLY | O_CLOEXEC)) ==
	    -1)
		log_warn("policy file %s", conf->policy_path);
}

/* The control socket is the last thing apid needs from outside. */
static void
apid_listener(int kind, int fd)
{
	if (kind != LISTENER_CONTROL)
		fatalx("unknown listener kind %d", kind);
	control_listen(fd);
	if (!apid.privdropped) {
		proc_drop_privs(PROC_API, COORDD_EMPTY_DIR);
		apid.privdropped = 1;
		imsgev_compose(proc_parent_iev(), IMSG_CTL_PROCREADY, 0, -1,
		    NULL, 0);
	}
}

static void
apid_shutdown(void)
{
	control_close_all();
	event_loopexit(NULL);
}

static const struct proc_hooks apid_hooks = {
	.peer = apid_peer,
	.config = apid_config,
	.listener = apid_listener,
	.shutdown = apid_shutdown,
};

int
main(int argc, char *argv[])
{
	proc_child_args(argc, argv, PROC_API);
	TAILQ_INIT(&apid.conns);
	apid.ctlfd = -1;
	apid.policyfd = -1;
	event_init();
	proc_child_start(PROC_API, &apid_hooks);
	event_dispatch();
	control_close_all();
	proc_peers_close(&apid.store, 1);
	proc_peers_close(&apid.coord, 1);
	config_free(apid.conf);
	return (0);
}
