/*
 * The embedded DERP relay (spec section 9): clients log in with their
 * node key, then the relay forwards packets between node keys.  The
 * DERP private key stays in stored, which gives back per client the
 * crypto_box_beforenm key of the login boxes.
 *
 * Contract for the front door.  Once a request head "GET /derp" with
 * "Upgrade: DERP" has been read and taken off the input, call
 *
 *	derp_accept(c, bev, peer, rest);
 *
 * - From that call on the relay owns bev: it sets its own callbacks,
 *   timeouts and watermarks, enables reading and writing, and frees it
 *   (closing the socket, so bev needs BEV_OPT_CLOSE_ON_FREE) when the
 *   client leaves.  The caller must forget bev at once and never touch
 *   it again, not even to free it; free only its own connection state.
 * - rest (may be NULL) holds bytes the caller read past the request
 *   head; they are moved in front of whatever bev's input still holds,
 *   which is read as DERP frames too.  rest stays the caller's, empty.
 * - The relay writes the response itself: "101 Switching Protocols"
 *   with Upgrade: DERP, Derp-Version: 2 and Derp-Public-Key, then the
 *   ServerKey frame.  When it has no key yet (the DERP server is
 *   disabled, or stored has not answered) it writes a 503 instead and
 *   closes once that is sent.
 * - peer is only for log lines and is copied.
 * - A client stays until it or the relay hangs up: no idle timeout,
 *   KeepAlive frames every 60 s + up to 5 s (COORDD_TEST_KEEPALIVE_MS
 *   shortens them beside the test routes).
 * - Derp-Fast-Start is not honoured: we have no meta certificate, so a
 *   client never sends it.
 */
#ifndef DERP_H
#define DERP_H

#include <stdint.h>

#include <event.h>

#include "derp_frame.h"

struct coord;
struct derp_server;

#define DERP_LOGIN_SEC		10	/* ClientInfo to ServerInfo */
#define DERP_KEEPALIVE_SEC	60
#define DERP_KEEPALIVE_JITTER_MS 5000
#define DERP_OUTQ_MAX		(1024 * 1024)	/* bytes queued for a client */
#define DERP_SENDERS_MAX	16	/* told PeerGone when a client leaves */
#define DERP_GONE_PER_SEC	8	/* "not here" answers per client */

/* Counters for metrics. */
struct derp_stats {
	uint64_t	clients_now;
	uint64_t	clients_home;	/* NotePreferred: this is home */
	uint64_t	clients_total;	/* logins that succeeded */
	uint64_t	packets;	/* relayed */
	uint64_t	bytes;		/* relayed packet bytes */
	uint64_t	drops;		/* the receiver's queue was full */
	uint64_t	refused;	/* logins turned away */
	uint64_t	unknown_dst;	/* packets for a key not here */
};

/*
 * How a client's box key is found: by default an IMSG_STORE_DERP_BOXKEY
 * request to stored.  The function must not answer from within its own
 * call; it answers later with derp_boxkey_answer (NULL: none).
 */
typedef int	(*derp_boxkey_fn)(struct derp_server *, const uint8_t *,
		    uint64_t);

struct derp_server *derp_server_new(struct coord *);
void		 derp_server_free(struct derp_server *);
void		 derp_start(struct coord *);
void		 derp_set_pubkey(struct derp_server *, const uint8_t *);
int		 derp_ready(const struct derp_server *);
void		 derp_node_gone(struct derp_server *, const char *);
void		 derp_accept_stream(struct coord *, struct bufferevent *,
		    const char *);
void		 derp_ws_upgrade(struct conn *, const struct http_request *);
void		 derp_accept(struct coord *, struct bufferevent *,
		    const char *, struct evbuffer *);
void		 derp_get_stats(const struct derp_server *,
		    struct derp_stats *);
void		 derp_set_boxkey_fn(struct derp_server *, derp_boxkey_fn);
void		 derp_boxkey_answer(struct derp_server *, uint64_t,
		    const uint8_t *);

#endif /* DERP_H */
