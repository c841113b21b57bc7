/*
 * The coordinator engine.  It will serve the Tailscale control protocol;
 * for now it keeps its in-memory replica of the tailnet in step with
 * stored (a full snapshot, then the change stream) and keeps its
 * channels to authd and apid alive.  All of its state lives in one
 * struct, so that several engines can later share one change stream.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <sodium.h>

#include "config.h"
#include "coordd.h"
#include "log.h"
#include "proc.h"

#include "store.pb-c.h"

#define COORD_STORE_TIMEOUT_MS	30000

struct replica {
	uint64_t	seq;
	int		synced;
	size_t		users;
	size_t		nodes;
	size_t		preauthkeys;
	size_t		apikeys;
};

struct coord {
	struct config	*conf;
	int		 privdropped;
	struct imsgev	*peers[PROC_MAX];
	struct replica	 replica;
	int		 shutting_down;
};

static struct coord	*the_coord;

static void	coord_dispatch_peer(struct imsgev *, struct imsg *, void *);
static void	coord_subscribe(struct coord *);

static void
coord_apply_snapshot(struct coord *c, struct imsg *imsg)
{
	Coordd__Snapshot	*snap;

	if ((snap = pb_unpack(&coordd__snapshot__descriptor, imsg)) == NULL) {
		log_warnx("bad snapshot from stored");
		return;
	}
	c->replica.seq = snap->seq;
	c->replica.users += snap->n_users;
	c->replica.preauthkeys += snap->n_preauthkeys;
	c->replica.apikeys += snap->n_apikeys;
	c->replica.nodes += snap->n_nodes;
	pb_free(snap);
}

static void
coord_snapshot_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct coord	*c = arg;

	if (imsg == NULL) {
		log_warnx("no snapshot from stored");
		return;
	}
	if (imsg->hdr.type == IMSG_STORE_SNAPSHOT)
		coord_apply_snapshot(c, imsg);
	else if (imsg->hdr.type == IMSG_DONE) {
		c->replica.synced = 1;
		log_debug("replica synced at seq %llu: %zu users, %zu nodes",
		    (unsigned long long)c->replica.seq, c->replica.users,
		    c->replica.nodes);
	}
}

static void
coord_subscribe(struct coord *c)
{
	Coordd__StoreHello	hello = COORDD__STORE_HELLO__INIT;

	memset(&c->replica, 0, sizeof(c->replica));
	hello.proc = PROC_COORD;
	if (imsgev_request(c->peers[PROC_STORE], IMSG_STORE_HELLO, -1,
	    &hello.base, COORD_STORE_TIMEOUT_MS, coord_snapshot_cb, c) == -1)
		log_warn("cannot subscribe to stored");
}

static void
coord_apply_change(struct coord *c, struct imsg *imsg)
{
	Coordd__Change	*ch;

	if ((ch = pb_unpack(&coordd__change__descriptor, imsg)) == NULL) {
		log_warnx("bad change from stored");
		return;
	}
	if (ch->seq <= c->replica.seq)
		log_warnx("change %llu out of order (have %llu)",
		    (unsigned long long)ch->seq,
		    (unsigned long long)c->replica.seq);
	c->replica.seq = ch->seq;
	switch (ch->kind) {
	case COORDD__CHANGE__KIND__USER_UPSERT:
		break;
	case COORDD__CHANGE__KIND__USER_DELETE:
		if (c->replica.users > 0)
			c->replica.users--;
		break;
	default:
		break;
	}
	pb_free(ch);
}

static void
coord_dispatch_peer(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct coord	*c = arg;
	int		 i;

	if (imsg == NULL) {
		for (i = 0; i < PROC_MAX; i++)
			if (c->peers[i] == iev) {
				log_debug("lost %s", proc_name(i));
				c->peers[i] = NULL;
			}
		free(iev);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_STORE_CHANGE:
		coord_apply_change(c, imsg);
		break;
	case IMSG_AUTH_PING:
	case IMSG_API_PING:
		break;
	default:
		log_warnx("%s: unexpected imsg %u, disconnecting", iev->name,
		    imsg->hdr.type);
		imsgev_close(iev);
		break;
	}
}

static void
coord_peer(enum proc_id id, int fd)
{
	struct coord	*c = the_coord;

	if (id != PROC_STORE && id != PROC_AUTH && id != PROC_API)
		fatalx("no channel to %s expected", proc_name(id));
	proc_peer_open(&c->peers[id], id, fd, coord_dispatch_peer, c);
	if (id == PROC_STORE)
		coord_subscribe(c);
}

static void
coord_config(struct config *conf)
{
	struct coord	*c = the_coord;

	config_free(c->conf);
	c->conf = conf;
	if (!c->privdropped) {
		/* Nothing on disk is ours to touch once running. */
		proc_drop_privs(PROC_COORD, COORDD_EMPTY_DIR);
		c->privdropped = 1;
		imsgev_compose(proc_parent_iev(), IMSG_CTL_PROCREADY, 0, -1,
		    NULL, 0);
	}
	log_debug("config generation applied");
}

static void
coord_shutdown(void)
{
	log_debug("shutting down");
	event_loopexit(NULL);
	the_coord->shutting_down = 1;
}

static const struct proc_hooks coord_hooks = {
	.peer = coord_peer,
	.config = coord_config,
	.listener = NULL,
	.shutdown = coord_shutdown,
};

__dead void
coordinator_main(void)
{
	static struct coord	coord;

	the_coord = &coord;
	if (sodium_init() == -1)
		fatalx("sodium_init");
	event_init();
	proc_child_start(PROC_COORD, &coord_hooks);
	event_dispatch();
	proc_peers_close(coord.peers, PROC_MAX);
	config_free(coord.conf);
	exit(0);
}
