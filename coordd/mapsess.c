/*
 * Map sessions and the fan-out of changes to them.  One session per
 * node: a newer streaming request ends the older one, as clients expect
 * when they reconnect.  Every delta is compressed once and the same
 * frame goes to each session that sees the changed node.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "coordinator.h"
#include "h2.h"
#include "log.h"
#include "map.h"
#include "mapbatch.h"
#include "mapblock.h"
#include "mapframe.h"
#include "routes.h"

#include "store.pb-c.h"

static void	map_session_close(struct map_session *);

static struct timeval
map_keepalive_tv(struct coord *c)
{
	struct timeval	tv;

	if (c->keepalive_ms > 0) {
		tv.tv_sec = c->keepalive_ms / 1000;
		tv.tv_usec = (c->keepalive_ms % 1000) * 1000;
		return (tv);
	}
	/* Under the client's 120 s watchdog, spread out over time. */
	tv.tv_sec = MAP_KEEPALIVE_SEC +
	    randombytes_uniform(MAP_KEEPALIVE_JITTER + 1);
	tv.tv_usec = randombytes_uniform(1000000);
	return (tv);
}

/*
 * The session's stream if it has room for len more bytes.  A client
 * that does not read falls behind; past MAP_MAX_PENDING its stream is
 * reset, and it comes back with a new poll and a fresh full map.
 */
static struct h2_stream *
map_session_room(struct map_session *ms, size_t len)
{
	struct h2_stream	*st = ms->ms_stream;

	if (st == NULL || len == 0 || st->st_out_eof)
		return (NULL);
	if (h2_stream_pending(st) + len > MAP_MAX_PENDING) {
		log_warnx("map %s: node %" PRIu64 " reads too slowly, "
		    "resetting its map stream", st->st_conn->peer, ms->ms_node);
		h2_stream_reset(st);
		return (NULL);
	}
	return (st);
}

static void
map_write_failed(struct map_session *ms)
{
	struct h2_stream	*st = ms->ms_stream;

	log_warnx("map %s: node %" PRIu64 ": cannot write",
	    st->st_conn->peer, ms->ms_node);
	h2_stream_reset(st);
}

/* Queue a frame on a session (a copy). */
void
map_write(struct map_session *ms, const uint8_t *frame, size_t len)
{
	struct h2_stream	*st;

	if ((st = map_session_room(ms, len)) == NULL)
		return;
	if (h2_stream_write(st, frame, len) == -1) {
		map_write_failed(ms);
		return;
	}
	ms->ms_frames++;
}

struct map_msg *
map_msg_new(const uint8_t *data, size_t len)
{
	struct map_msg	*m;

	if ((m = malloc(sizeof(*m) + len)) == NULL)
		fatal("%s", __func__);
	m->mm_refs = 1;
	m->mm_len = len;
	if (len > 0)
		memcpy(m->mm_data, data, len);
	return (m);
}

void
map_msg_unref(struct map_msg *m)
{
	if (m != NULL && --m->mm_refs == 0)
		free(m);
}

static void
map_msg_sent(const void *data, size_t len, void *arg)
{
	map_msg_unref(arg);
}

/* The whole message at the end of b, by reference. */
int
map_msg_add(struct evbuffer *b, struct map_msg *m)
{
	m->mm_refs++;
	if (evbuffer_add_reference(b, m->mm_data, m->mm_len, map_msg_sent,
	    m) == -1) {
		m->mm_refs--;
		return (-1);
	}
	return (0);
}

/* Queue part of a shared message on a session, by reference. */
void
map_write_msg(struct map_session *ms, struct map_msg *m, size_t off,
    size_t len)
{
	struct h2_stream	*st;

	if (off > m->mm_len || len > m->mm_len - off ||
	    (st = map_session_room(ms, len)) == NULL)
		return;
	m->mm_refs++;
	if (h2_stream_write_ref(st, m->mm_data + off, len, map_msg_sent,
	    m) == -1) {
		map_write_failed(ms);
		return;
	}
	ms->ms_frames++;
}

uint8_t *
map_frame(struct coord *c, const char *json, size_t len, size_t *flen)
{
	uint8_t	*frame;

	if ((frame = mapframe_encode(&c->framer, json, len, flen)) == NULL)
		log_warnx("map: cannot compress a message of %zu bytes", len);
	return (frame);
}

/* A message to every session that skip (if any) does not exclude. */
void
map_broadcast_msg(struct coord *c, struct map_msg *m,
    int (*skip)(void *, uint64_t), void *arg)
{
	struct map_session	*ms, *next;

	TAILQ_FOREACH_SAFE(ms, &c->sessions, ms_entry, next)
		if (skip == NULL || !skip(arg, ms->ms_node))
			map_write_msg(ms, m, 0, m->mm_len);
}

/* One message to every session that skip (if any) does not exclude. */
void
map_broadcast_unless(struct coord *c, const char *json, size_t len,
    int (*skip)(void *, uint64_t), void *arg)
{
	struct map_msg	*m;
	uint8_t		*frame;
	size_t		 flen;

	if (TAILQ_EMPTY(&c->sessions))
		return;
	if ((frame = map_frame(c, json, len, &flen)) == NULL)
		return;
	m = map_msg_new(frame, flen);
	free(frame);
	map_broadcast_msg(c, m, skip, arg);
	map_msg_unref(m);
}

void
map_send(struct map_session *ms, const char *json, size_t len)
{
	uint8_t	*frame;
	size_t	 flen;

	if ((frame = map_frame(ms->ms_coord, json, len, &flen)) == NULL)
		return;
	map_write(ms, frame, flen);
	free(frame);
}

/*
 * A session's full map: its head and the cached blocks of peers, as
 * concatenated zstd frames behind one length prefix.
 */
static void
map_send_full(struct map_session *ms, struct replica_node *n)
{
	struct coord		*c = ms->ms_coord;
	struct h2_stream	*st;
	struct evbuffer		*out;
	uint8_t			 prefix[4];
	char			*head;
	size_t			 hlen, len;
	int			 rv;

	if ((out = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	head = mapjson_full_head(c, n, &hlen);
	rv = mapblocks_full(c, n, head, hlen, out);
	free(head);
	len = evbuffer_get_length(out);
	if (rv == -1 || len > UINT32_MAX) {
		log_warnx("map: node %" PRIu64 ": cannot build its full map",
		    n->id);
		evbuffer_free(out);
		return;
	}
	prefix[0] = len & 0xff;
	prefix[1] = (len >> 8) & 0xff;
	prefix[2] = (len >> 16) & 0xff;
	prefix[3] = (len >> 24) & 0xff;
	/* Moved, not copied: late joiners' maps are most of the bytes. */
	if (evbuffer_prepend(out, prefix, sizeof(prefix)) == 0 &&
	    (st = map_session_room(ms, len + 4)) != NULL) {
		if (h2_stream_write_buffer(st, out) == -1)
			map_write_failed(ms);
		else
			ms->ms_frames++;
	}
	evbuffer_free(out);
}

static void
map_keepalive_cb(int fd, short ev, void *arg)
{
	struct map_session	*ms = arg;
	const uint8_t		*frame;
	struct timeval		 tv;
	size_t			 len;

	frame = mapframe_keepalive(&ms->ms_coord->framer, &len);
	map_write(ms, frame, len);
	tv = map_keepalive_tv(ms->ms_coord);
	evtimer_add(&ms->ms_keepalive, &tv);
}

static void	map_peers_changed(struct coord *, struct replica_node *);

/*
 * A node goes on or offline: peers hear it, and where it served a
 * subnet the primary may move (to it, or away from it).
 */
static void
map_online_change(struct coord *c, struct replica_node *n, int online)
{
	struct route_changes	 ch;

	n->online = online;
	free(n->json);
	n->json = NULL;
	memset(&ch, 0, sizeof(ch));
	routes_node_update(&c->routes, &c->replica, n, n, &ch);
	if (mapjson_peer_visible(n)) {
		mapbatch_online(c->mbatch, n->id, online);
		if (routes_changes_has(&ch, n->id))
			map_peers_changed(c, n);
	}
	/* Its own session, if any, is about to get a full map. */
	map_routes_changed(c, &ch, n->id);
	routes_changes_free(&ch);
}

void
map_store_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	char	err[256];
	int	status;

	if (imsg == NULL) {
		log_warnx("map: stored did not answer an update");
		return;
	}
	if (imsg->hdr.type == IMSG_RESULT &&
	    pb_result(imsg, &status, err, sizeof(err)) == 0 &&
	    status != CTL_OK)
		log_debug("map: stored refused an update: %s", err);
}

/* Remember when a node left; stored keeps it as last_seen. */
static void
map_store_last_seen(struct coord *c, struct replica_node *n)
{
	Coordd__NodeUpdate	up = COORDD__NODE_UPDATE__INIT;

	if (c->peers[PROC_STORE] == NULL)
		return;
	up.id = n->id;
	up.node_key = n->node_key;
	up.last_seen = n->last_seen;
	if (imsgev_request(c->peers[PROC_STORE], IMSG_STORE_NODE_UPDATE, -1,
	    &up.base, COORD_STORE_TIMEOUT_MS, map_store_cb, NULL) == -1)
		log_warn("node %" PRIu64 ": cannot store last seen", n->id);
}

/* The h2 stream went away: the client left, or we ended it. */
static void
map_stream_closed(struct h2_stream *st, void *arg)
{
	struct map_session	*ms = arg;

	ms->ms_stream = NULL;
	map_session_close(ms);
}

static void
map_session_close(struct map_session *ms)
{
	struct coord		*c = ms->ms_coord;
	struct replica_node	*n;

	if (ms->ms_stream != NULL) {
		ms->ms_stream->st_on_close = NULL;
		h2_stream_end(ms->ms_stream);
		ms->ms_stream = NULL;
	}
	evtimer_del(&ms->ms_keepalive);
	TAILQ_REMOVE(&c->sessions, ms, ms_entry);
	c->nsessions--;
	n = replica_node_get(&c->replica, ms->ms_node);
	if (n != NULL && n->session == ms) {
		n->session = NULL;
		n->last_seen = n->offline_since = time(NULL);
		log_debug("map: node %" PRIu64 " %s offline after %" PRIu64
		    " frames", n->id, n->given_name, ms->ms_frames);
		if (!c->shutting_down) {
			map_online_change(c, n, 0);
			map_store_last_seen(c, n);
		}
	}
	free(ms);
}

int
map_session_start(struct h2_stream *st, struct replica_node *n)
{
	struct coord		*c = st->st_conn->coord;
	struct map_session	*ms;
	struct timeval		 tv;

	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return (-1);
	if (h2_stream_begin(st, 200, "application/json") == -1) {
		free(ms);
		return (-1);
	}
	ms->ms_coord = c;
	ms->ms_node = n->id;
	ms->ms_stream = st;
	st->st_on_close = map_stream_closed;
	st->st_close_arg = ms;
	evtimer_set(&ms->ms_keepalive, map_keepalive_cb, ms);
	TAILQ_INSERT_TAIL(&c->sessions, ms, ms_entry);
	c->nsessions++;

	if (n->session != NULL) {
		log_debug("map: node %" PRIu64 " polls again, ending its "
		    "older session", n->id);
		/* Not offline: this session takes over at once. */
		n->session->ms_node = 0;
		map_session_close(n->session);
	}
	n->session = ms;
	if (!n->online)
		map_online_change(c, n, 1);

	map_send_full(ms, n);
	tv = map_keepalive_tv(c);
	evtimer_add(&ms->ms_keepalive, &tv);
	log_debug("map %s: node %" PRIu64 " %s streaming, %zu sessions",
	    st->st_conn->peer, n->id, n->given_name, c->nsessions);
	return (0);
}

/* End every session without telling peers: they are ending too. */
void
map_sessions_end_all(struct coord *c)
{
	struct map_session	*ms;
	struct replica_node	*n;

	TAILQ_FOREACH(ms, &c->sessions, ms_entry) {
		if ((n = replica_node_get(&c->replica, ms->ms_node)) != NULL &&
		    n->session == ms)
			n->session = NULL;
		ms->ms_node = 0;
	}
	while ((ms = TAILQ_FIRST(&c->sessions)) != NULL)
		map_session_close(ms);
	/* Nobody is left to tell. */
	mapbatch_free(c->mbatch);
	c->mbatch = mapbatch_new(c);
}

static int
str_differs(const char *a, const char *b)
{
	return (strcmp(a, b) != 0);
}

static int
strv_differs(char **a, size_t na, char **b, size_t nb)
{
	size_t	i;

	if (na != nb)
		return (1);
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return (1);
	return (0);
}

/*
 * Hostinfo changes with every netcheck (NetInfo's latencies); only the
 * rest is worth telling every peer.  The home DERP is compared apart.
 */
static int
hostinfo_differs(const char *a, const char *b)
{
	json_t	*ja, *jb;
	int	 differs;

	if (strcmp(a, b) == 0)
		return (0);
	ja = json_loads(a, 0, NULL);
	jb = json_loads(b, 0, NULL);
	if (ja == NULL || jb == NULL || !json_is_object(ja) ||
	    !json_is_object(jb))
		differs = 1;
	else {
		json_object_del(ja, "NetInfo");
		json_object_del(jb, "NetInfo");
		differs = !json_equal(ja, jb);
	}
	json_decref(ja);
	json_decref(jb);
	return (differs);
}

/* What the node itself needs to hear about: its name, key, expiry... */
static int
self_differs(const struct replica_node *o, const struct replica_node *n)
{
	return (str_differs(o->node_key, n->node_key) ||
	    str_differs(o->given_name, n->given_name) ||
	    str_differs(o->ipv4, n->ipv4) || str_differs(o->ipv6, n->ipv6) ||
	    o->expiry != n->expiry || o->user_id != n->user_id ||
	    strv_differs(o->tags, o->ntags, n->tags, n->ntags));
}

/* What a peer must get as a whole node rather than a patch. */
static int
peer_differs(const struct replica_node *o, const struct replica_node *n)
{
	return (self_differs(o, n) ||
	    str_differs(o->machine_key, n->machine_key) ||
	    str_differs(o->hostname, n->hostname) ||
	    hostinfo_differs(o->host_info, n->host_info));
}

static void
map_send_self(struct coord *c, struct replica_node *n)
{
	char	*json;
	size_t	 len;

	if (n->session == NULL)
		return;
	json = mapjson_node_delta(c, "Node", n, &len);
	map_send(n->session, json, len);
	free(json);
}

static void
map_peers_changed(struct coord *c, struct replica_node *n)
{
	mapbatch_changed(c->mbatch, n->id);
}

static void
map_peers_removed(struct coord *c, uint64_t id)
{
	mapbatch_removed(c->mbatch, id);
}

/*
 * stored changed node n (old: how it was, NULL if new).  Tell the
 * sessions in the smallest terms: a patch for endpoints, home DERP and
 * disco key, the whole node otherwise.
 */
void
map_node_upserted(struct coord *c, struct replica_node *old,
    struct replica_node *n, int routes_changed)
{
	char	*patch;

	if (old == NULL)
		n->offline_since = time(NULL);
	if (old != NULL && (routes_changed || self_differs(old, n)))
		map_send_self(c, n);
	if (!mapjson_peer_visible(n)) {
		if (old != NULL && mapjson_peer_visible(old))
			map_peers_removed(c, n->id);
		return;
	}
	if (old == NULL || !mapjson_peer_visible(old) || routes_changed ||
	    peer_differs(old, n)) {
		map_peers_changed(c, n);
		return;
	}
	if ((patch = mapjson_patch(old, n)) != NULL)
		mapbatch_patch(c->mbatch, n->id, patch);
}

/*
 * The primary or exit routes of these nodes changed (except the one the
 * caller tells about itself): their AllowedIPs and PrimaryRoutes go to
 * the peers as whole nodes, and to the nodes themselves.
 */
void
map_routes_changed(struct coord *c, const struct route_changes *ch,
    uint64_t except)
{
	struct replica_node	*n;
	size_t			 i;

	for (i = 0; i < ch->rc_n; i++) {
		if (ch->rc_ids[i] == except ||
		    (n = replica_node_get(&c->replica, ch->rc_ids[i])) == NULL)
			continue;
		free(n->json);
		n->json = NULL;
		map_send_self(c, n);
		if (mapjson_peer_visible(n))
			map_peers_changed(c, n);
	}
}

void
map_node_deleted(struct coord *c, struct replica_node *old)
{
	if (old->session != NULL) {
		/* Its client is told by the end of its map stream. */
		old->session->ms_node = 0;
		map_session_close(old->session);
		old->session = NULL;
	}
	if (mapjson_peer_visible(old))
		map_peers_removed(c, old->id);
}

static int
strnull_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != b);
	return (strcmp(a, b) != 0);
}

/* One top-level field, as a delta to every session. */
static void
map_broadcast_field(struct coord *c, const char *field, const char *json,
    const char *dflt)
{
	char	*msg;
	int	 len;

	if ((len = asprintf(&msg, "{\"%s\":%s}", field,
	    json != NULL ? json : dflt)) == -1)
		fatal("%s", __func__);
	map_broadcast_unless(c, msg, (size_t)len, NULL, NULL);
	free(msg);
}

/*
 * A new config.  A new DERP map or DNS config goes out as just that
 * field; a new base domain renames every node, so everyone gets a full
 * map (a rare event).
 */
void
map_config_changed(struct coord *c, const struct config *old)
{
	struct replica_node	*n;
	struct map_session	*ms;

	if (old == NULL)
		return;
	if (!strnull_differs(old->dns_base_domain, c->conf->dns_base_domain)) {
		if (strnull_differs(old->derp_map_json,
		    c->conf->derp_map_json))
			map_broadcast_field(c, "DERPMap",
			    c->conf->derp_map_json, "{\"Regions\":{}}");
		if (strnull_differs(old->dns_config_json,
		    c->conf->dns_config_json))
			map_broadcast_field(c, "DNSConfig",
			    c->conf->dns_config_json, "{}");
		return;
	}
	RB_FOREACH(n, replica_nodes, &c->replica.nodes) {
		free(n->json);
		n->json = NULL;
	}
	TAILQ_FOREACH(ms, &c->sessions, ms_entry) {
		if ((n = replica_node_get(&c->replica, ms->ms_node)) == NULL)
			continue;
		map_send_full(ms, n);
	}
}

/*
 * Ephemeral nodes go when they have been offline for
 * node.ephemeral.inactivity_timeout; stored deletes them, and the
 * change removes them from every map.
 */
void
map_ephemeral_sweep(struct coord *c)
{
	Coordd__NodeQuery	 q = COORDD__NODE_QUERY__INIT;
	struct replica_node	*n;
	time_t			 now = time(NULL);
	long long		 timeout;

	if (c->conf == NULL || c->peers[PROC_STORE] == NULL ||
	    !c->replica.synced)
		return;
	timeout = c->ephemeral_timeout > 0 ? c->ephemeral_timeout :
	    c->conf->node_ephemeral_inactivity_timeout;
	RB_FOREACH(n, replica_nodes, &c->replica.nodes) {
		if (!n->ephemeral || n->online || n->gc_asked ||
		    n->offline_since + timeout > now)
			continue;
		log_info("map: ephemeral node %" PRIu64 " %s offline for %llds,"
		    " deleting it", n->id, n->given_name,
		    (long long)(now - n->offline_since));
		q.id = n->id;
		if (imsgev_request(c->peers[PROC_STORE],
		    IMSG_STORE_NODE_DELETE, -1, &q.base,
		    COORD_STORE_TIMEOUT_MS, map_store_cb, NULL) == -1)
			log_warn("node %" PRIu64 ": cannot delete", n->id);
		n->gc_asked = 1;
	}
}

void
map_init(struct coord *c)
{
	TAILQ_INIT(&c->sessions);
	c->mbatch = mapbatch_new(c);
	c->mblocks = mapblocks_new();
	if (mapframe_init(&c->framer) == -1)
		fatalx("cannot set up zstd");
}

void
map_free(struct coord *c)
{
	map_sessions_end_all(c);
	mapbatch_free(c->mbatch);
	c->mbatch = NULL;
	mapblocks_free(c->mblocks);
	c->mblocks = NULL;
	mapframe_free(&c->framer);
}
