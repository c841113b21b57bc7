/*
 * The batch of peer deltas (mapbatch.h).  Entries are kept per node, so
 * that a node changing twice in one batch is sent once, as it is now.
 * At the flush one message is built for every session whose node is not
 * in the batch, and one for each session whose node is, without its own
 * entry: a client must never see itself among its peers.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct timeval		 tv = { 0, MAP_BATCH_MS * 1000 };

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
	if (mb->mb_n++ == 0)
		evtimer_add(&mb->mb_timer, &tv);
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

static void
batch_changed_json(struct map_batch *mb, struct evbuffer *b, uint64_t except,
    uint64_t *users, size_t *nusers)
{
	struct coord		*c = mb->mb_coord;
	struct batch_entry	*e;
	struct replica_node	*n;
	int			 first = 1;

	RB_FOREACH(e, batch_entries, &mb->mb_entries) {
		if (!e->be_changed || e->be_id == except ||
		    (n = replica_node_get(&c->replica, e->be_id)) == NULL ||
		    !mapjson_peer_visible(n))
			continue;
		if (first)
			evbuffer_add_printf(b, "%s\"PeersChanged\":[",
			    evbuffer_get_length(b) > 1 ? "," : "");
		batch_item(b, &first, "%s", mapjson_node(c, n));
		if (*nusers < MAP_BATCH_MAX)
			users[(*nusers)++] = n->user_id;
	}
	if (!first)
		evbuffer_add(b, "]", 1);
}

static void
batch_list_json(struct map_batch *mb, struct evbuffer *b, uint64_t except,
    const char *field)
{
	struct batch_entry	*e;
	int			 first = 1, removed, patch, online, seen;

	removed = strcmp(field, "PeersRemoved") == 0;
	patch = strcmp(field, "PeersChangedPatch") == 0;
	online = strcmp(field, "OnlineChange") == 0;
	seen = strcmp(field, "PeerSeenChange") == 0;
	RB_FOREACH(e, batch_entries, &mb->mb_entries) {
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

/* The message for sessions other than except's; NULL when empty. */
static char *
batch_json(struct map_batch *mb, uint64_t except, size_t *len)
{
	struct evbuffer	*b;
	uint64_t	 users[MAP_BATCH_MAX];
	size_t		 nusers = 0;

	if ((b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	evbuffer_add(b, "{", 1);
	batch_changed_json(mb, b, except, users, &nusers);
	batch_list_json(mb, b, except, "PeersRemoved");
	batch_list_json(mb, b, except, "PeersChangedPatch");
	batch_list_json(mb, b, except, "OnlineChange");
	batch_list_json(mb, b, except, "PeerSeenChange");
	if (nusers > 0)
		mapjson_user_profiles(mb->mb_coord, b, users, nusers);
	if (evbuffer_get_length(b) == 1) {
		evbuffer_free(b);
		return (NULL);
	}
	evbuffer_add(b, "}", 1);
	return (mapjson_take(b, len));
}

static int
batch_has(void *arg, uint64_t id)
{
	struct map_batch	*mb = arg;
	struct batch_entry	k;

	k.be_id = id;
	return (RB_FIND(batch_entries, &mb->mb_entries, &k) != NULL);
}

void
mapbatch_flush(struct map_batch *mb)
{
	struct coord		*c = mb->mb_coord;
	struct batch_entry	*e;
	struct replica_node	*n;
	char			*json;
	size_t			 len;

	if (mb->mb_n == 0)
		return;
	evtimer_del(&mb->mb_timer);
	mb->mb_flushes++;
	/* Sessions of nodes in the batch: everything but themselves. */
	RB_FOREACH(e, batch_entries, &mb->mb_entries) {
		if ((n = replica_node_get(&c->replica, e->be_id)) == NULL ||
		    n->session == NULL ||
		    (json = batch_json(mb, e->be_id, &len)) == NULL)
			continue;
		map_send(n->session, json, len);
		free(json);
	}
	if ((json = batch_json(mb, 0, &len)) != NULL) {
		map_broadcast_unless(c, json, len, batch_has, mb);
		free(json);
	}
	batch_clear(mb);
}
