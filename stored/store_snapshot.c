/*
 * The first answer to a subscriber: the whole state, in parts small
 * enough for one message each, closed by DONE.  Every later change
 * carries a sequence number above the snapshot's.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "stored.h"

#include "store.pb-c.h"

#define SNAP_BATCH	64
/*
 * Node bytes per message: with Hostinfo a node can take tens of KiB, so
 * 64 of them could pass the channel's limit.  Users add at most ~220K.
 */
#define SNAP_NODE_BYTES	(512 * 1024)

struct snap {
	struct imsgev		*iev;
	const struct imsg	*req;
	uint64_t		 seq;
	int			 failed;
	size_t			 n;
	Coordd__User		 users[SNAP_BATCH];
	Coordd__User		*userp[SNAP_BATCH];
	struct db_user		 dbusers[SNAP_BATCH];
	Coordd__Node		 nodes[SNAP_BATCH];
	Coordd__Node		*nodep[SNAP_BATCH];
	struct db_node		 dbnodes[SNAP_BATCH];
	char			*tagv[SNAP_BATCH][DB_TAGS_MAX];
	char			*epv[SNAP_BATCH][DB_NODE_PTRS];
	size_t			 nnodes;
	size_t			 node_bytes;
	Coordd__Node		 sizer;
	char			*sizer_tagv[DB_TAGS_MAX];
	char			*sizer_epv[DB_NODE_PTRS];
};

static void
snap_flush(struct snap *s)
{
	Coordd__Snapshot	msg = COORDD__SNAPSHOT__INIT;
	size_t			i;

	if (s->n == 0 && s->nnodes == 0)
		return;
	msg.seq = s->seq;
	for (i = 0; i < s->n; i++) {
		store_pb_user(&s->dbusers[i], &s->users[i]);
		s->userp[i] = &s->users[i];
	}
	for (i = 0; i < s->nnodes; i++) {
		store_pb_node(&s->dbnodes[i], &s->nodes[i], s->tagv[i],
		    s->epv[i]);
		s->nodep[i] = &s->nodes[i];
	}
	msg.users = s->userp;
	msg.n_users = s->n;
	msg.nodes = s->nodep;
	msg.n_nodes = s->nnodes;
	if (imsgev_reply_pb(s->iev, s->req, IMSG_STORE_SNAPSHOT,
	    &msg.base) == -1)
		s->failed = 1;
	s->n = s->nnodes = 0;
	s->node_bytes = 0;
}

static int
snap_user(const struct db_user *u, void *arg)
{
	struct snap	*s = arg;

	s->dbusers[s->n++] = *u;
	if (s->n == SNAP_BATCH)
		snap_flush(s);
	return (s->failed ? -1 : 0);
}

static int
snap_node(const struct db_node *n, void *arg)
{
	struct snap	*s = arg;
	size_t		 len;

	store_pb_node(n, &s->sizer, s->sizer_tagv, s->sizer_epv);
	len = coordd__node__get_packed_size(&s->sizer) + 16;
	if (s->nnodes > 0 && s->node_bytes + len > SNAP_NODE_BYTES) {
		snap_flush(s);
		if (s->failed)
			return (-1);
	}
	s->node_bytes += len;
	memcpy(&s->dbnodes[s->nnodes++], n, sizeof(*n));
	if (s->nnodes == SNAP_BATCH)
		snap_flush(s);
	return (s->failed ? -1 : 0);
}

void
store_send_snapshot(int peer, struct imsgev *iev, const struct imsg *req)
{
	struct db_snapshot_cb	 cb = { .user = snap_user, .node = snap_node };
	struct snap		*s;
	char			 err[256];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->iev = iev;
	s->req = req;
	s->seq = db_change_seq(store_env->db);
	if (db_snapshot(store_env->db, &cb, s, &s->seq, err,
	    sizeof(err)) != DB_OK) {
		log_warnx("snapshot for %s: %s", iev->name, err);
		store_result(iev, req, CTL_ERR_INTERNAL, err);
		free(s);
		return;
	}
	snap_flush(s);
	if (!s->failed) {
		/* An empty tailnet still tells the subscriber its seq. */
		Coordd__Snapshot	msg = COORDD__SNAPSHOT__INIT;

		msg.seq = s->seq;
		imsgev_reply_pb(iev, req, IMSG_STORE_SNAPSHOT, &msg.base);
		imsgev_reply_done(iev, req);
		store_env->peers[peer].subscribed = 1;
	}
	free(s);
}
