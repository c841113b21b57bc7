/*
 * The admin's requests added with the REST API: set tags, approved
 * routes, move a node, backfill addresses, delete a pre-auth key, and
 * the database policy.  Each change to a node goes to every subscriber
 * on the change stream, as any other node change does.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ipalloc.h"
#include "log.h"
#include "stored.h"

#include "store.pb-c.h"

#define BACKFILL_MAX	100000

void
op_pak_delete(struct store_req *r)
{
	store_pak_by_id(r, db_preauthkey_delete);
}

/* Common to the node changes: unpack, write in the batch, publish. */
static struct db_node *
node_op_begin(struct store_req *r)
{
	struct db_node	*n;

	if (store_batch_begin() == -1) {
		store_fail(r, DB_ERROR);
		return (NULL);
	}
	if ((n = malloc(sizeof(*n))) == NULL)
		fatal("malloc");
	return (n);
}

static void
node_op_end(struct store_req *r, struct db_node *n, enum db_status st,
    uint64_t seq)
{
	if (st == DB_OK)
		reply_node(r, n, seq);
	else
		store_fail(r, st);
	free(n);
}

void
op_node_tags(struct store_req *r)
{
	Coordd__NodeTags	*q;
	struct db_node		*n;
	enum db_status		 st;
	uint64_t		 seq = 0;

	if ((q = pb_unpack(&coordd__node_tags__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	if ((n = node_op_begin(r)) != NULL) {
		st = db_node_set_tags(store_env->db, q->id,
		    (const char *const *)q->tags, q->n_tags, n, &seq, r->err,
		    sizeof(r->err));
		node_op_end(r, n, st, seq);
	}
	pb_free(q);
}

void
op_node_routes(struct store_req *r)
{
	Coordd__NodeRoutes	*q;
	struct db_node		*n;
	enum db_status		 st;
	uint64_t		 seq = 0;

	if ((q = pb_unpack(&coordd__node_routes__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	if ((n = node_op_begin(r)) != NULL) {
		st = db_node_set_routes(store_env->db, q->id,
		    (const char *const *)q->routes, q->n_routes, n, &seq,
		    r->err, sizeof(r->err));
		node_op_end(r, n, st, seq);
	}
	pb_free(q);
}

void
op_node_move(struct store_req *r)
{
	Coordd__NodeMove	*q;
	struct db_node		*n;
	enum db_status		 st;
	uint64_t		 seq = 0;

	if ((q = pb_unpack(&coordd__node_move__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	if ((n = node_op_begin(r)) != NULL) {
		st = db_node_move(store_env->db, q->id, q->user_id, n, &seq,
		    r->err, sizeof(r->err));
		node_op_end(r, n, st, seq);
	}
	pb_free(q);
}

struct backfill {
	uint64_t	*ids;
	size_t		 n;
};

/* Nodes without an address of a family that has a prefix. */
static int
backfill_cb(const struct db_node *n, void *arg)
{
	struct backfill	*b = arg;
	uint64_t	*p;

	if ((n->ipv4[0] != '\0' || !store_env->ipa.p4.set) &&
	    (n->ipv6[0] != '\0' || !store_env->ipa.p6.set))
		return (0);
	if (b->n == BACKFILL_MAX)
		return (0);
	if ((p = reallocarray(b->ids, b->n + 1, sizeof(*p))) == NULL)
		return (-1);
	b->ids = p;
	b->ids[b->n++] = n->id;
	return (0);
}

/* One node: the missing addresses, the change published. */
static enum db_status
backfill_one(struct store_req *r, uint64_t id, struct db_node *n)
{
	Coordd__Change	 ch = COORDD__CHANGE__INIT;
	Coordd__Node	 m;
	Coordd__User	 um;
	struct db_user	 u;
	char		*tagv[DB_TAGS_MAX], *epv[DB_NODE_PTRS];
	char		 v4[DB_IP_MAX + 1], v6[DB_IP_MAX + 1];
	enum db_status	 st;
	uint64_t	 seq;

	if ((st = db_node_get(store_env->db, id, n, r->err,
	    sizeof(r->err))) != DB_OK)
		return (st);
	if (ipalloc_next(&store_env->ipa, v4, sizeof(v4), v6, sizeof(v6),
	    r->err, sizeof(r->err)) == -1)
		return (DB_ERROR);
	/* Keep the addresses it has; give back what it does not need. */
	if (n->ipv4[0] != '\0' && v4[0] != '\0') {
		ipalloc_release(&store_env->ipa, v4);
		v4[0] = '\0';
	}
	if (n->ipv6[0] != '\0' && v6[0] != '\0') {
		ipalloc_release(&store_env->ipa, v6);
		v6[0] = '\0';
	}
	st = db_node_set_ips(store_env->db, id, v4[0] ? v4 : NULL,
	    v6[0] ? v6 : NULL, n, &seq, r->err, sizeof(r->err));
	if (st != DB_OK) {
		if (v4[0] != '\0')
			ipalloc_release(&store_env->ipa, v4);
		if (v6[0] != '\0')
			ipalloc_release(&store_env->ipa, v6);
		return (st);
	}
	store_defer_ip(v4, 0);
	store_defer_ip(v6, 0);
	node_message(n, &m, tagv, epv, &um, &u);
	store_defer_reply(r->imsg, IMSG_STORE_NODE, &m.base);
	ch.seq = seq;
	ch.kind = COORDD__CHANGE__KIND__NODE_UPSERT;
	ch.node = &m;
	store_defer_change(&ch.base);
	return (DB_OK);
}

/* BackfillNodeIPs: answers with the nodes that changed. */
void
op_node_backfill(struct store_req *r)
{
	struct backfill	 b = { NULL, 0 };
	struct db_node	*n;
	enum db_status	 st;
	size_t		 i;

	store_batch_commit();
	if ((st = db_node_list(store_env->db, backfill_cb, &b, r->err,
	    sizeof(r->err))) != DB_OK) {
		free(b.ids);
		return (store_fail(r, st));
	}
	if (b.n == 0) {
		imsgev_reply_done(r->iev, r->imsg);
		return;
	}
	if ((n = node_op_begin(r)) == NULL) {
		free(b.ids);
		return;
	}
	for (i = 0; i < b.n; i++)
		if ((st = backfill_one(r, b.ids[i], n)) != DB_OK)
			log_warnx("backfill of node %llu: %s",
			    (unsigned long long)b.ids[i], r->err);
	store_defer_done(r->imsg);
	free(n);
	free(b.ids);
}

static void
policy_reply(struct store_req *r, char *data, time_t updated, int defer)
{
	Coordd__Policy	m = COORDD__POLICY__INIT;

	m.data = data;
	m.updated_at = updated;
	if (defer) {
		store_defer_reply(r->imsg, IMSG_STORE_POLICY, &m.base);
		store_defer_done(r->imsg);
	} else {
		imsgev_reply_pb(r->iev, r->imsg, IMSG_STORE_POLICY, &m.base);
		imsgev_reply_done(r->iev, r->imsg);
	}
}

void
op_policy_get(struct store_req *r)
{
	enum db_status	 st;
	char		*data;
	time_t		 updated;

	store_batch_commit();
	if ((st = db_policy_get(store_env->db, &data, &updated, r->err,
	    sizeof(r->err))) != DB_OK)
		return (store_fail(r, st));
	policy_reply(r, data, updated, 0);
	free(data);
}

void
op_policy_set(struct store_req *r)
{
	Coordd__Policy	*q;
	enum db_status	 st;
	time_t		 updated;

	if ((q = pb_unpack(&coordd__policy__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	if (store_batch_begin() == -1) {
		pb_free(q);
		return (store_fail(r, DB_ERROR));
	}
	if ((st = db_policy_set(store_env->db, q->data, &updated, r->err,
	    sizeof(r->err))) == DB_OK)
		policy_reply(r, q->data, updated, 1);
	else
		store_fail(r, st);
	pb_free(q);
}
