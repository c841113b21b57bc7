/*
 * The coordinator engine's own header: its one state struct and the
 * connections of its front door.
 */
#ifndef COORDINATOR_H
#define COORDINATOR_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <jansson.h>
#include <sodium.h>

#include "authreq.h"
#include "imsgev.h"
#include "map.h"
#include "mapframe.h"
#include "noise.h"
#include "ratelimit.h"
#include "replica.h"
#include "routes.h"
#include "types.h"
#include "types.pb-c.h"

#define COORD_STORE_TIMEOUT_MS	30000
#define FRONT_MAX_CONNS		16384
#define FRONT_HTTP_TIMEOUT_SEC	10	/* to send a whole request head */
#define FRONT_MAX_BODY		65536
#define COORD_SWEEP_SEC		10	/* ephemeral node GC */
#define HS_RATE			20	/* handshakes per second per source */
#define HS_BURST		100

struct config;
struct coord;
struct derp_server;
struct stun_server;
struct metrics_server;
struct h2_session;
struct http_request;
struct api_fwd;

enum conn_state {
	CONN_HTTP,		/* reading a request head */
	CONN_HANDSHAKE,		/* waiting for stored's DH answers */
	CONN_NOISE,		/* Noise transport established */
	CONN_CLOSING,		/* flushing the last bytes */
	CONN_API,		/* apifwd.c: a REST request for apid */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	RB_ENTRY(conn)		 id_entry;	/* front_find's index */
	uint64_t		 id;
	struct coord		*coord;
	struct bufferevent	*bev;
	char			 peer[64];
	uint8_t			 src[16];	/* the source address */
	size_t			 srclen;
	enum conn_state		 state;
	int			 tls;		/* bev is bufferevent_openssl */
	struct noise_hs		*hs;
	struct noise_transport	*nt;
	struct evbuffer		*plain;		/* decrypted client bytes */
	struct evbuffer		*stage;		/* records for a direct write */
	struct h2_session	*h2;
	struct ws_conn		*ws;		/* the WebSocket variant */
	struct api_fwd		*api;		/* apifwd.c, in CONN_API */
};
TAILQ_HEAD(conns, conn);
RB_HEAD(conn_ids, conn);
int	conn_id_cmp(struct conn *, struct conn *);
RB_PROTOTYPE(conn_ids, conn, id_entry, conn_id_cmp);

struct coord {
	struct event_base	*base;
	struct config		*conf;
	uint8_t			 noise_pub[crypto_scalarmult_BYTES];
	int			 noise_ready;
	uint8_t			 check_priv[crypto_scalarmult_SCALARBYTES];
	int			 privdropped;
	struct imsgev		*peers[PROC_MAX];
	struct replica		 replica;
	int			 shutting_down;
	int			 listenfd;
	struct event		 listen_ev;
	struct event		 listen_pause;
	struct conns		 conns;
	struct conn_ids		 conn_ids;	/* the same, by id */
	size_t			 nconns;
	uint64_t		 next_connid;
	int			 test_routes;	/* the /coordd/ test routes */
	struct map_sessions	 sessions;
	size_t			 nsessions;
	struct mapframer	 framer;
	struct map_batch	*mbatch;	/* mapbatch.c: peer deltas */
	struct map_blocks	*mblocks;	/* mapblock.c: full maps */
	uint64_t		 json_gen;	/* builds of peers' JSON */
	struct event		 sweep_ev;	/* ephemeral node GC */
	long			 keepalive_ms;	/* test override, else 0 */
	long			 ephemeral_timeout;	/* test override */
	struct ratelimit	 hs_limit;	/* Noise handshakes */
	struct tls_server	*tls;		/* NULL: plain HTTP */
	struct authreq_table	 authreqs;	/* interactive registration */
	struct route_table	 routes;	/* routes.c: primaries */
	struct derp_server	*derp;		/* derp.c: the embedded relay */
	struct stun_server	*stun;		/* stun.c: binding requests */
	struct metrics_server	*metrics;	/* metrics.c: GET /metrics */
	long			 authwait_sec;	/* test override */
	time_t			 hs_limit_logged;
};

/* coordinator.c */
void		 coord_node_upsert(struct coord *, const Coordd__Node *);

/* register.c */
json_t		*register_success(const Coordd__User *, int);

/* regpage.c: GET /register/<auth id> */
void		 regpage_route(struct conn *, const struct http_request *);
char		*regpage_escape(const char *);

/* apistate.c: what apid asks of the coordinator */
void		 coord_api_auth_register(struct coord *, struct imsgev *,
		    struct imsg *);
void		 coord_api_node_state(struct coord *, struct imsgev *,
		    struct imsg *);

/* apifwd.c: /api/ and /version, answered by apid */
int		 apifwd_match(const struct http_request *);
void		 apifwd_start(struct conn *, const struct http_request *);
void		 apifwd_read(struct conn *);
void		 apifwd_free(struct api_fwd *);

/* front.c */
void		 front_listen(struct coord *, int);
void		 front_close_all(struct coord *);
struct conn	*front_find(struct coord *, uint64_t);
void		 conn_close(struct conn *);
void		 conn_finish(struct conn *);
void		 conn_respond(struct conn *, int, const char *, const char *,
		    size_t, const char *);

/* ts2021.c */
void		 ts2021_upgrade(struct conn *, const struct http_request *);
void		 ts2021_read(struct conn *);
int		 ts2021_write(struct conn *);
struct evbuffer	*conn_output(struct conn *);
size_t		 conn_backlog(struct conn *);
void		 ts2021_ws_free(struct ws_conn *);

#endif /* COORDINATOR_H */
