/*
 * /machine/map: the long poll that carries each node's network map
 * (spec sections 5 and 7).
 *
 * A streaming request opens a map session: the node's first frame is a
 * full MapResponse, later frames are deltas and keep-alives.  Changes
 * come from stored's change stream (or, for online state, from the
 * sessions themselves); each becomes one delta, serialised and
 * compressed once, and the same frame is written to every session that
 * sees the node.  So one change costs work in proportion to the peers
 * that see it.
 */
#ifndef MAP_H
#define MAP_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <event.h>

#define MAP_MIN_CAPVER		113	/* oldest client we serve, as headscale */
#define MAP_KEEPALIVE_SEC	50	/* plus up to MAP_KEEPALIVE_JITTER */
#define MAP_KEEPALIVE_JITTER	9
#define MAP_MAX_PENDING		(8 * 1024 * 1024)	/* a slow reader's backlog */
#define MAP_MAX_ENDPOINTS	64
#define MAP_MAX_HOSTINFO	(16 * 1024)
#define MAP_TAGGED_USER_ID	2147455555	/* headscale's tagged-devices */

struct config;
struct evbuffer;
struct coord;
struct h2_stream;
struct imsg;
struct imsgev;
struct replica_node;
struct route_changes;

struct map_session {
	TAILQ_ENTRY(map_session) ms_entry;
	struct coord		*ms_coord;
	uint64_t		 ms_node;	/* the node's id */
	struct h2_stream	*ms_stream;	/* NULL once it closed */
	struct event		 ms_keepalive;
	uint64_t		 ms_frames;
};
TAILQ_HEAD(map_sessions, map_session);

/* A message for many sessions, shared until each one has sent it. */
struct map_msg {
	unsigned int		 mm_refs;
	size_t			 mm_len;
	uint8_t			 mm_data[];
};

/* map.c: the route */
void		 map_route(struct h2_stream *);

/* mapjson.c: what maps are made of */
const char	*mapjson_node(struct coord *, struct replica_node *);
char		*mapjson_full(struct coord *, struct replica_node *, size_t *);
char		*mapjson_full_head(struct coord *, struct replica_node *,
		    size_t *);
char		*mapjson_take(struct evbuffer *, size_t *);
char		*mapjson_node_delta(struct coord *, const char *,
		    struct replica_node *, size_t *);
char		*mapjson_patch(struct replica_node *, struct replica_node *);
void		 mapjson_user_profiles(struct coord *, struct evbuffer *,
		    const uint64_t *, size_t);
int		 mapjson_peer_visible(const struct replica_node *);

/* mapsess.c: sessions and the fan-out of changes */
void		 map_init(struct coord *);
void		 map_free(struct coord *);
int		 map_session_start(struct h2_stream *, struct replica_node *);
void		 map_sessions_end_all(struct coord *);
void		 map_node_upserted(struct coord *, struct replica_node *,
		    struct replica_node *, int);
void		 map_routes_changed(struct coord *,
		    const struct route_changes *, uint64_t);
void		 map_node_deleted(struct coord *, struct replica_node *);
void		 map_config_changed(struct coord *, const struct config *);
void		 map_ephemeral_sweep(struct coord *);
void		 map_store_cb(struct imsgev *, struct imsg *, void *);
void		 map_send(struct map_session *, const char *, size_t);
uint8_t		*map_frame(struct coord *, const char *, size_t, size_t *);
void		 map_write(struct map_session *, const uint8_t *, size_t);
struct map_msg	*map_msg_new(const uint8_t *, size_t);
void		 map_msg_unref(struct map_msg *);
int		 map_msg_add(struct evbuffer *, struct map_msg *);
void		 map_write_msg(struct map_session *, struct map_msg *, size_t,
		    size_t);
void		 map_broadcast_msg(struct coord *, struct map_msg *,
		    int (*)(void *, uint64_t), void *);
void		 map_broadcast_unless(struct coord *, const char *, size_t,
		    int (*)(void *, uint64_t), void *);

#endif /* MAP_H */
