/*
 * The batch of peer deltas (mapbatch.h).  Entries are kept per node, so
 * that a node changing twice in one batch is sent once, as it is now.
 * At the flush the entries are cut into blocks of MAP_BATCH_BLOCK, and
 * each block's message is compressed once and goes to every session.
 * A session whose node is in the batch gets its own block again without
 * its entry: a client must never see itself among its peers.  Blocks
 * keep that cost linear in the size of the batch.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <event2/buffer.h>

#include "compat.h"
#include "coordinator.h"
#include "log.h"
#include "map.h"
#include "mapbatch.h"

struct batch_entry {
	RB_ENTRY(batch_entry)	 be_entry;
	uint64_t		 be_id;
	int			 be_changed;	/* send the whole node */
	int			 be_removed;
	int			 be_online;	/* -1: no change */
	char			*be_patch;	/* a PeersChangedPatch element */
};
RB_HEAD(batch_entries, batch_entry);

static int	batch_cmp(struct batch_entry *, struct batch_entry *);
RB_PROTOTYPE(batch_entries, batch_entry, be_entry, batch_cmp);

static int
batch_cmp(struct batch_entry *a, struct batch_entry *b)
{
	return (a->be_id < b->be_id ? -1 : a->be_id > b->be_id);
}
RB_GENERATE(batch_entries, batch_entry, be_entry, batch_cmp);

struct map_batch {
	struct coord		*mb_coord;
	struct batch_entries	 mb_entries;
	size_t			 mb_n;
	struct event		 mb_timer;
	uint64_t		 mb_flushes;
	long			 mb_wait_ms;	/* batch_adapt() */
	struct timespec		 mb_wall;	/* at the last flush */
	struct timespec		 mb_cpu;
};

static void
batch_timer_cb(int fd, short ev, void *arg)
{
	mapbatch_flush(arg);
}

struct map_batch *
mapbatch_new(struct coord *c)
{
	struct map_batch	*mb;

	if ((mb = calloc(1, sizeof(*mb))) == NULL)
		fatal("%s", __func__);
	mb->mb_coord = c;
	mb->mb_wait_ms = MAP_BATCH_MS;
	RB_INIT(&mb->mb_entries);
	evtimer_set(&mb->mb_timer, batch_timer_cb, mb);
	return (mb);
}

static void
batch_clear(struct map_batch *mb)
{
	struct batch_entry	*e;

	while ((e = RB_MIN(batch_entries, &mb->mb_entries)) != NULL) {
		RB_REMOVE(batch_entries, &mb->mb_entries, e);
		free(e->be_patch);
		free(e);
	}
	mb->mb_n = 0;
	evtimer_del(&mb->mb_timer);
}

void
mapbatch_free(struct map_batch *mb)
{
	if (mb == NULL)
		return;
	batch_clear(mb);
	free(mb);
}

/* The node's entry, new or not; the timer runs while there are any. */
static struct batch_entry *
batch_entry(struct map_batch *mb, uint64_t id)
{
	struct batch_entry	 k, *e;
	struct timeval		 tv;

	k.be_id = id;
	if ((e = RB_FIND(batch_entries, &mb->mb_entries, &k)) != NULL)
		return (e);
	if (mb->mb_n >= MAP_BATCH_MAX)
		mapbatch_flush(mb);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		fatal("%s", __func__);
	e->be_id = id;
	e->be_online = -1;
	RB_INSERT(batch_entries, &mb->mb_entries, e);
	if (mb->mb_n++ == 0) {
		tv.tv_sec = mb->mb_wait_ms / 1000;
		tv.tv_usec = (mb->mb_wait_ms % 1000) * 1000;
		evtimer_add(&mb->mb_timer, &tv);
	}
	return (e);
}

void
mapbatch_changed(struct map_batch *mb, uint64_t id)
{
	struct batch_entry	*e = batch_entry(mb, id);

	e->be_changed = 1;
	e->be_removed = 0;
	free(e->be_patch);
	e->be_patch = NULL;
}

/* A patch on top of another one: the whole node says it all. */
void
mapbatch_patch(struct map_batch *mb, uint64_t id, char *patch)
{
	struct batch_entry	*e = batch_entry(mb, id);

	if (e->be_changed || e->be_removed || e->be_patch != NULL) {
		free(patch);
		if (!e->be_removed)
			mapbatch_changed(mb, id);
		return;
	}
	e->be_patch = patch;
}

void
mapbatch_removed(struct map_batch *mb, uint64_t id)
{
	struct batch_entry	*e = batch_entry(mb, id);

	e->be_removed = 1;
	e->be_changed = 0;
	e->be_online = -1;
	free(e->be_patch);
	e->be_patch = NULL;
}

void
mapbatch_online(struct map_batch *mb, uint64_t id, int online)
{
	struct batch_entry	*e = batch_entry(mb, id);

	if (!e->be_removed)
		e->be_online = online;
}

/* Comma-separated list items: the first of each list has none. */
static void
batch_item(struct evbuffer *b, int *first, const char *fmt, ...)
    __attribute__((__format__ (printf, 3, 4)));

static void
batch_item(struct evbuffer *b, int *first, const char *fmt, ...)
{
	va_list	ap;

	if (!*first)
		evbuffer_add(b, ",", 1);
	*first = 0;
	va_start(ap, fmt);
	evbuffer_add_vprintf(b, fmt, ap);
	va_end(ap);
}

/* The entries of a flush, in node order, cut into blocks. */
struct batch_view {
	struct batch_entry	**bv_e;
	size_t			  bv_n;
};

static void
batch_changed_json(struct map_batch *mb, struct evbuffer *b,
    const struct batch_view *v, uint64_t except)
{
	struct coord		*c = mb->mb_coord;
	struct batch_entry	*e;
	struct replica_node	*n;
	uint64_t		 users[MAP_BATCH_BLOCK];
	size_t			 i, nusers = 0;
	int			 first = 1;

	for (i = 0; i < v->bv_n; i++) {
		e = v->bv_e[i];
		if (!e->be_changed || e->be_id == except ||
		    (n = replica_node_get(&c->replica, e->be_id)) == NULL ||
		    !mapjson_peer_visible(n))
			continue;
		if (first)
			evbuffer_add_printf(b, "%s\"PeersChanged\":[",
			    evbuffer_get_length(b) > 1 ? "," : "");
		batch_item(b, &first, "%s", mapjson_node(c, n));
		if (nusers < MAP_BATCH_BLOCK)	/* a view is one block */
			users[nusers++] = n->user_id;
	}
	if (!first)
		evbuffer_add(b, "]", 1);
	if (nusers > 0)
		mapjson_user_profiles(c, b, users, nusers);
}

static void
batch_list_json(struct evbuffer *b, const struct batch_view *v,
    uint64_t except, const char *field)
{
	struct batch_entry	*e;
	size_t			 i;
	int			 first = 1, removed, patch, online, seen;

	removed = strcmp(field, "PeersRemoved") == 0;
	patch = strcmp(field, "PeersChangedPatch") == 0;
	online = strcmp(field, "OnlineChange") == 0;
	seen = strcmp(field, "PeerSeenChange") == 0;
	for (i = 0; i < v->bv_n; i++) {
		e = v->bv_e[i];
		if (e->be_id == except ||
		    (removed && !e->be_removed) ||
		    (patch && e->be_patch == NULL) ||
		    (online && e->be_online == -1) ||
		    (seen && e->be_online != 0))
			continue;
		if (first)
			evbuffer_add_printf(b, "%s\"%s\":%c",
			    evbuffer_get_length(b) > 1 ? "," : "", field,
			    removed || patch ? '[' : '{');
		if (removed)
			batch_item(b, &first, "%" PRIu64, e->be_id);
		else if (patch)
			batch_item(b, &first, "%s", e->be_patch);
		else if (online)
			batch_item(b, &first, "\"%" PRIu64 "\":%s", e->be_id,
			    e->be_online ? "true" : "false");
		else
			batch_item(b, &first, "\"%" PRIu64 "\":true",
			    e->be_id);
	}
	if (!first)
		evbuffer_add(b, removed || patch ? "]" : "}", 1);
}

/*
 * The message of these entries for any session but except's, as a
 * frame (length prefix and zstd); NULL when it would say nothing.
 */
static uint8_t *
batch_frame(struct map_batch *mb, const struct batch_view *v,
    uint64_t except, size_t *flen)
{
	struct evbuffer	*b;
	uint8_t		*frame;
	char		*json;
	size_t		 len;

	if ((b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	evbuffer_add(b, "{", 1);
	batch_changed_json(mb, b, v, except);
	batch_list_json(b, v, except, "PeersRemoved");
	batch_list_json(b, v, except, "PeersChangedPatch");
	batch_list_json(b, v, except, "OnlineChange");
	batch_list_json(b, v, except, "PeerSeenChange");
	if (evbuffer_get_length(b) == 1) {
		evbuffer_free(b);
		return (NULL);
	}
	evbuffer_add(b, "}", 1);
	json = mapjson_take(b, &len);
	frame = map_frame(mb->mb_coord, json, len, flen);
	free(json);
	return (frame);
}

static int
batch_has(void *arg, uint64_t id)
{
	struct map_batch	*mb = arg;
	struct batch_entry	k;

	k.be_id = id;
	return (RB_FIND(batch_entries, &mb->mb_entries, &k) != NULL);
}

/* Block i of the flush: MAP_BATCH_BLOCK entries, fewer in the last. */
static struct batch_view
batch_block(const struct batch_view *all, size_t i)
{
	struct batch_view	v;

	v.bv_e = all->bv_e + i * MAP_BATCH_BLOCK;
	v.bv_n = MINIMUM(MAP_BATCH_BLOCK, all->bv_n - i * MAP_BATCH_BLOCK);
	return (v);
}

/*
 * A node of the batch gets every block's message but its own block's,
 * and that block again without its entry: a client must never find
 * itself among its peers.
 */
static void
batch_send_member(struct map_batch *mb, struct map_session *ms,
    const struct batch_view *all, size_t idx, struct map_msg *msgs,
    const size_t *off)
{
	struct batch_view	 blk;
	uint8_t			*frame;
	size_t			 b = idx / MAP_BATCH_BLOCK, flen;

	map_write_msg(ms, msgs, 0, off[b]);
	blk = batch_block(all, b);
	if ((frame = batch_frame(mb, &blk, all->bv_e[idx]->be_id,
	    &flen)) != NULL) {
		map_write(ms, frame, flen);
		free(frame);
	}
	map_write_msg(ms, msgs, off[b + 1], msgs->mm_len - off[b + 1]);
}

/*
 * Busy with many changes at once (a tailnet coming up, a storm): wait
 * longer next time, so that each session gets fewer, larger writes.  A
 * write costs about the same whatever it carries, and then the writes
 * are what the time goes to.  A few changes gain nothing by waiting:
 * back to MAP_BATCH_MS, for the latency.
 */
static void
batch_adapt(struct map_batch *mb, size_t nchanges)
{
	struct timespec	wall, cpu;
	double		dwall, dcpu;

	clock_gettime(CLOCK_MONOTONIC, &wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	dwall = (wall.tv_sec - mb->mb_wall.tv_sec) +
	    (wall.tv_nsec - mb->mb_wall.tv_nsec) / 1e9;
	dcpu = (cpu.tv_sec - mb->mb_cpu.tv_sec) +
	    (cpu.tv_nsec - mb->mb_cpu.tv_nsec) / 1e9;
	mb->mb_wall = wall;
	mb->mb_cpu = cpu;
	if (dwall <= 0)
		return;
	if (dcpu / dwall > MAP_BATCH_BUSY && nchanges > MAP_BATCH_FEW)
		mb->mb_wait_ms = MINIMUM(mb->mb_wait_ms * 2, MAP_BATCH_MAX_MS);
	else
		mb->mb_wait_ms = MAXIMUM(mb->mb_wait_ms / 2, MAP_BATCH_MS);
}

void
mapbatch_flush(struct map_batch *mb)
{
	struct coord		*c = mb->mb_coord;
	struct batch_entry	*e;
	struct replica_node	*n;
	struct batch_view	 all, blk;
	struct evbuffer		*b;
	struct map_msg		*msgs;
	uint8_t			*frame;
	size_t			*off, i, nblk, flen, nchanges = mb->mb_n;

	if (mb->mb_n == 0)
		return;
	evtimer_del(&mb->mb_timer);
	mb->mb_flushes++;
	nblk = (mb->mb_n + MAP_BATCH_BLOCK - 1) / MAP_BATCH_BLOCK;
	if ((all.bv_e = reallocarray(NULL, mb->mb_n, sizeof(*all.bv_e))) ==
	    NULL || (off = reallocarray(NULL, nblk + 1, sizeof(*off))) ==
	    NULL || (b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	all.bv_n = 0;
	RB_FOREACH(e, batch_entries, &mb->mb_entries)
		all.bv_e[all.bv_n++] = e;
	/* Each block compressed once, for every session. */
	for (i = 0; i < nblk; i++) {
		off[i] = evbuffer_get_length(b);
		blk = batch_block(&all, i);
		if ((frame = batch_frame(mb, &blk, 0, &flen)) != NULL) {
			evbuffer_add(b, frame, flen);
			free(frame);
		}
	}
	off[nblk] = evbuffer_get_length(b);
	msgs = map_msg_new(evbuffer_pullup(b, -1), off[nblk]);
	evbuffer_free(b);
	for (i = 0; i < all.bv_n; i++)
		if ((n = replica_node_get(&c->replica,
		    all.bv_e[i]->be_id)) != NULL && n->session != NULL)
			batch_send_member(mb, n->session, &all, i, msgs, off);
	map_broadcast_msg(c, msgs, batch_has, mb);
	map_msg_unref(msgs);
	free(off);
	free(all.bv_e);
	batch_clear(mb);
	batch_adapt(mb, nchanges);
}
