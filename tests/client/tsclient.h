/*
 * The project's own Tailscale control client, for protocol tests that
 * need no Go: fetch the server key, open the Noise transport over the
 * /ts2021 upgrade, and exchange records.  Blocking sockets; one
 * connection per struct.  The load generator builds on it later.
 *
 * Inside Noise, HTTP/2 runs on an nghttp2 client session: submit any
 * number of requests with tsc_h2_submit(), then tsc_h2_wait() for them
 * all; tsc_h2_request() does one request the same way.  Long-lived
 * streams (the map poll) instead hand their data to an ondata callback
 * as it comes, and the caller runs its own loop of tsc_h2_pump() with
 * deadlines of its own.
 *
 * A ws+http:// URL takes the WebSocket variant of the upgrade instead:
 * GET /ts2021 with the initiation in the query, and the Noise bytes in
 * binary WebSocket messages, ours masked with random keys.
 */
#ifndef TSCLIENT_H
#define TSCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "noise.h"
#include "ws.h"

#define TSC_CAPVER	113
#define TSC_H2_MAXOUT	(64 * 1024 * 1024)	/* largest response body */

/* tsc.ws: which upgrade; the last two are wrong on purpose. */
#define TSC_WS_OFF	0	/* POST /ts2021 */
#define TSC_WS_ON	1	/* GET /ts2021 with a WebSocket upgrade */
#define TSC_WS_NOKEY	2	/* ... without Sec-WebSocket-Key */
#define TSC_WS_V12	3	/* ... with Sec-WebSocket-Version: 12 */

struct nghttp2_session;
struct tsc;
struct tsc_h2req;

/*
 * Called with each piece of a response body as nghttp2 hands it over;
 * -1 (after setting t->err) fails the session.
 */
typedef int	tsc_h2_data_cb(struct tsc *, struct tsc_h2req *,
		    const uint8_t *, size_t);

/* One HTTP/2 request and, once done, its answer. */
struct tsc_h2req {
	const char	*method;
	const char	*path;
	const uint8_t	*body;		/* NULL: no request body */
	size_t		 bodylen;
	size_t		 bodyoff;	/* sent so far */
	int32_t		 id;
	int		 status;
	int		 done;
	uint32_t	 error;		/* RST_STREAM code, 0 if none */
	uint8_t		*out;		/* response body, malloc'ed */
	size_t		 outlen;
	size_t		 outcap;
	tsc_h2_data_cb	*ondata;	/* NULL: collect the body in out */
	void		*arg;		/* for ondata */
};

struct tsc {
	char			 host[256];
	char			 port[16];
	int			 fd;
	uint16_t		 version;
	uint8_t			 server_pub[NOISE_KEYLEN];
	uint8_t			 machine_priv[NOISE_KEYLEN];
	uint8_t			 machine_pub[NOISE_KEYLEN];
	struct noise_transport	 nt;
	uint8_t			 rbuf[2 * NOISE_REC_MAX];
	size_t			 rlen;
	struct nghttp2_session	*h2;
	int32_t			 h2window;	/* ours; 0: nghttp2's */
	int			 h2cbfail;	/* an ondata failed; see err */
	int			 ws;		/* TSC_WS_* */
	int			 wson;		/* past the 101: framing */
	struct ws_dec		 wsdec;
	uint8_t			 wsraw[NOISE_REC_MAX];	/* still framed */
	size_t			 wsrawlen;
	int			 wsclose;	/* its close code */
	int			 wsfrag;	/* TSC_WS_FRAGMENT */
	int			 wspongs;	/* pongs seen */
	char			 err[256];
};

int	tsc_init(struct tsc *, const char *, uint16_t);
int	tsc_set_machine_key(struct tsc *, const uint8_t *);
int	tsc_get(struct tsc *, const char *, int *, char *, size_t);
int	tsc_fetch_key(struct tsc *);
int	tsc_connect(struct tsc *);
int	tsc_handshake(struct tsc *, const uint8_t *, size_t, int *,
	    char *, size_t);
int	tsc_send(struct tsc *, const void *, size_t);
int	tsc_write_raw(struct tsc *, const void *, size_t);
int	tsc_ws_control(struct tsc *, int, const uint8_t *, size_t);
void	tsc_close(struct tsc *);
int	tsc_wait_closed(struct tsc *);
int	tsc_send_bad(struct tsc *, const char *);

int	tsc_h2_start(struct tsc *);
int	tsc_h2_submit(struct tsc *, struct tsc_h2req *);
int	tsc_h2_wait(struct tsc *, struct tsc_h2req *, size_t);
int	tsc_h2_wait_status(struct tsc *, struct tsc_h2req *);
int	tsc_h2_reset(struct tsc *, struct tsc_h2req *);
void	tsc_h2_req_free(struct tsc_h2req *);
int	tsc_h2_pump(struct tsc *, int);
int	tsc_h2_req_append(struct tsc_h2req *, const uint8_t *, size_t);
int	tsc_h2_request(struct tsc *, const char *, const char *, const void *,
	    size_t, int *, char *, size_t *);
int	tsc_register(struct tsc *, const char *, const char *, const char *,
	    const char *, int *, char *, size_t *);
int	tsc_register_full(struct tsc *, const char *, const char *,
	    const char *, const char *, const char *, const char *, int *,
	    char *, size_t *);

#endif /* TSCLIENT_H */
