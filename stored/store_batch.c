/*
 * Group commit.  The first write of an event-loop turn opens a
 * transaction; every write that arrives before the loop comes back
 * around joins it; then one COMMIT makes them all durable.  Replies and
 * change events are held until that commit, so that nothing is
 * acknowledged or broadcast before it is on disk.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "stored.h"

static const struct timeval store_now = { 0, 0 };

static void
store_commit_cb(int fd, short event, void *arg)
{
	store_batch_commit();
}

void
store_batch_init(void)
{
	evtimer_set(&store_env->commit_ev, store_commit_cb, NULL);
}

/* Join or open the current transaction. */
int
store_batch_begin(void)
{
	struct stored	*env = store_env;
	char		 err[256];

	if (db_in_batch(env->db)) {
		if (++env->batch_ops >= STORE_BATCH_MAX)
			store_batch_commit();
		else
			return (0);
	}
	if (db_begin(env->db, err, sizeof(err)) != DB_OK) {
		log_warnx("begin: %s", err);
		return (-1);
	}
	env->batch_ops = 1;
	evtimer_add(&env->commit_ev, &store_now);
	return (0);
}

static void
store_pending_free(struct store_pending *p)
{
	freezero(p->buf, p->len);
	free(p);
}

static void
store_flush_pending(int committed)
{
	struct stored		*env = store_env;
	struct store_pending	*p;
	struct store_peer	*sp;
	Coordd__Result		 failed = COORDD__RESULT__INIT;
	int			 i;

	failed.status = CTL_ERR_INTERNAL;
	failed.error = "the database could not commit; nothing was written";
	while ((p = TAILQ_FIRST(&env->pending)) != NULL) {
		TAILQ_REMOVE(&env->pending, p, entry);
		if (!committed) {
			/* Tell the requester; a lost change was never made. */
			if (p->is_reply && (p->type == IMSG_DONE ||
			    p->type == IMSG_RESULT) &&
			    (sp = &env->peers[p->peer])->iev != NULL)
				imsgev_compose_pb(sp->iev, IMSG_RESULT,
				    p->peerid, -1, &failed.base);
		} else if (p->peer >= 0) {
			if ((sp = &env->peers[p->peer])->iev != NULL)
				imsgev_compose(sp->iev, p->type, p->peerid, -1,
				    p->buf, p->len);
		} else {
			for (i = 0; i < PROC_MAX; i++) {
				sp = &env->peers[i];
				if (sp->iev != NULL && sp->subscribed)
					imsgev_compose(sp->iev, p->type, 0, -1,
					    p->buf, p->len);
			}
		}
		store_pending_free(p);
	}
}

/* After a commit (committed) or a lost batch: settle the addresses. */
static void
store_flush_ips(int committed)
{
	struct stored		*env = store_env;
	struct store_ipchange	*c;

	while ((c = TAILQ_FIRST(&env->ipchanges)) != NULL) {
		TAILQ_REMOVE(&env->ipchanges, c, entry);
		if (c->release == committed)
			ipalloc_release(&env->ipa, c->addr);
		free(c);
	}
}

void
store_defer_ip(const char *addr, int release)
{
	struct store_ipchange	*c;

	if (addr == NULL || addr[0] == '\0')
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->release = release;
	strlcpy(c->addr, addr, sizeof(c->addr));
	TAILQ_INSERT_TAIL(&store_env->ipchanges, c, entry);
}

void
store_batch_commit(void)
{
	struct stored	*env = store_env;
	char		 err[256];

	evtimer_del(&env->commit_ev);
	if (!db_in_batch(env->db))
		return;
	env->batch_ops = 0;
	if (db_commit(env->db, err, sizeof(err)) != DB_OK) {
		log_warnx("commit failed, nothing acknowledged: %s", err);
		db_rollback(env->db, NULL, 0);
		store_flush_ips(0);
		store_flush_pending(0);
		return;
	}
	store_flush_ips(1);
	store_flush_pending(1);
}

static void
store_defer(int peer, uint32_t type, uint32_t peerid,
    const ProtobufCMessage *msg, int is_reply)
{
	struct store_pending	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	p->peer = peer;
	p->type = type;
	p->peerid = peerid;
	p->is_reply = is_reply;
	if (msg != NULL && (p->buf = pb_pack(msg, &p->len)) == NULL)
		fatal("pb_pack");
	TAILQ_INSERT_TAIL(&store_env->pending, p, entry);
}

static int
store_peer_of(const struct imsg *req)
{
	/* stored_dispatch put the requester's proc id in the pid field. */
	return ((int)req->hdr.pid);
}

void
store_defer_reply(const struct imsg *req, uint32_t type,
    const ProtobufCMessage *msg)
{
	store_defer(store_peer_of(req), type, req->hdr.peerid | IMSG_REPLY_BIT,
	    msg, 1);
}

void
store_defer_done(const struct imsg *req)
{
	store_defer(store_peer_of(req), IMSG_DONE,
	    req->hdr.peerid | IMSG_REPLY_BIT, NULL, 1);
}

void
store_defer_change(const ProtobufCMessage *msg)
{
	store_defer(-1, IMSG_STORE_CHANGE, 0, msg, 0);
}

/* A peer went away: what was held for it goes nowhere. */
void
store_drop_pending(int peer)
{
	struct store_pending	*p, *np;

	TAILQ_FOREACH_SAFE(p, &store_env->pending, entry, np) {
		if (p->peer != peer)
			continue;
		TAILQ_REMOVE(&store_env->pending, p, entry);
		store_pending_free(p);
	}
}
