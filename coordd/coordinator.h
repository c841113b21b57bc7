/*
 * The coordinator engine's own header: its one state struct and the
 * connections of its front door.
 */
#ifndef COORDINATOR_H
#define COORDINATOR_H

#include <sys/queue.h>

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

enum conn_state {
	CONN_HTTP,		/* reading a request head */
	CONN_HANDSHAKE,		/* waiting for stored's DH answers */
	CONN_NOISE,		/* Noise transport established */
	CONN_CLOSING,		/* flushing the last bytes */
};

struct conn {
	TAILQ_ENTRY(conn)	 entry;
	uint64_t		 id;
	struct coord		*coord;
	struct bufferevent	*bev;
	char			 peer[64];
	uint8_t			 src[16];	/* the source address */
	size_t			 srclen;
	enum conn_state		 state;
	struct noise_hs		*hs;
	struct noise_transport	*nt;
	struct evbuffer		*plain;		/* decrypted client bytes */
	struct h2_session	*h2;
	struct ws_conn		*ws;		/* the WebSocket variant */
};
TAILQ_HEAD(conns, conn);

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
	size_t			 nconns;
	uint64_t		 next_connid;
	int			 test_routes;	/* the /coordd/ test routes */
	struct map_sessions	 sessions;
	size_t			 nsessions;
	struct mapframer	 framer;
	struct event		 sweep_ev;	/* ephemeral node GC */
	long			 keepalive_ms;	/* test override, else 0 */
	long			 ephemeral_timeout;	/* test override */
	struct ratelimit	 hs_limit;	/* Noise handshakes */
	struct tls_server	*tls;		/* NULL: plain HTTP */
	struct authreq_table	 authreqs;	/* interactive registration */
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
void		 ts2021_ws_free(struct ws_conn *);

#endif /* COORDINATOR_H */
