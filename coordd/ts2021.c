/*
 * /ts2021: the upgrade from HTTP/1.1 into Tailscale's Noise IK
 * transport.  The two DH operations that need the server's static key
 * (es, ss) are asked of stored; the key itself never comes here.
 *
 * Two variants feed the same handshake: POST with the initiation in a
 * header and the Noise bytes raw on the socket after the 101, and GET
 * with a WebSocket upgrade, the initiation in the query and the Noise
 * bytes in binary WebSocket messages.  For the latter, frames are
 * decoded from the socket into ws->in, which Noise reads, and what
 * Noise and HTTP/2 write goes to a staging buffer that is framed into
 * the socket's output.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "coordinator.h"
#include "h2.h"
#include "http.h"
#include "log.h"
#include "ws.h"

#include "store.pb-c.h"

#define TS2021_UPGRADE		"tailscale-control-protocol"
#define TS2021_HS_HEADER	"X-Tailscale-Handshake"
#define TS2021_HS_B64MAX	256
#define TS2021_WS_FRAME		(4 * NOISE_REC_MAX)	/* our frames */

/* The WebSocket variant's state, in conn->ws. */
struct ws_conn {
	struct ws_dec		 dec;
	struct evbuffer		*in;		/* the client's Noise */
	struct evbuffer		*stage;		/* ours, not yet framed */
	char			 accept[WS_ACCEPT_LEN + 1];
};

static void	ts2021_ask_dh(struct conn *);
static int	ts2021_input(struct conn *);
static int	ts2021_ws_send(struct conn *, int, const void *, size_t);

static void
ts2021_bad(struct conn *conn, const char *why)
{
	log_info("ts2021 %s: %s", conn->peer, why);
	conn_respond(conn, 400, "text/plain", why, strlen(why), NULL);
}

static void
ts2021_fail(struct conn *conn, const char *why)
{
	log_info("ts2021 %s: handshake failed: %s", conn->peer, why);
	conn_close(conn);
}

/* stored answered: on to the next DH or to our response. */
static void
ts2021_dh_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct conn		*conn;
	Coordd__DhReply		*rep;
	uint8_t			 out[NOISE_RESP_LEN];
	size_t			 outlen;
	int			 r;
	const char		*ok = "HTTP/1.1 101 Switching Protocols\r\n"
				    "Upgrade: " TS2021_UPGRADE "\r\n"
				    "Connection: upgrade\r\n\r\n";

	if (imsg != NULL && imsg->hdr.type == IMSG_DONE)
		return;
	if ((conn = front_find(iev->arg, (uint64_t)(uintptr_t)arg)) == NULL)
		return;		/* the client left meanwhile */
	if (imsg == NULL || imsg->hdr.type != IMSG_STORE_NOISE_DH ||
	    (rep = pb_unpack(&coordd__dh_reply__descriptor, imsg)) == NULL) {
		ts2021_fail(conn, "no DH answer from stored");
		return;
	}
	if (rep->shared.len != NOISE_KEYLEN) {
		pb_free(rep);
		ts2021_fail(conn, "bad DH answer from stored");
		return;
	}
	r = noise_resp_dh_result(conn->hs, rep->shared.data);
	sodium_memzero(rep->shared.data, rep->shared.len);
	pb_free(rep);
	if (r == NOISE_NEED_DH) {
		ts2021_ask_dh(conn);
		return;
	}
	if (r != NOISE_OK || noise_resp_write_response(conn->hs, out,
	    sizeof(out), &outlen) != NOISE_OK) {
		/* The client's initiation did not hold up: tell it. */
		log_info("ts2021 %s: handshake failed: %s", conn->peer,
		    conn->hs->hs_errstr);
		conn_respond(conn, 400, "text/plain",
		    "bad Noise initiation\n", 21, NULL);
		return;
	}
	log_debug("ts2021 %s: Noise established, version %u", conn->peer,
	    conn->hs->hs_version);
	if ((conn->nt = calloc(1, sizeof(*conn->nt))) == NULL ||
	    (conn->plain = evbuffer_new()) == NULL ||
	    noise_split(conn->hs, conn->nt) != NOISE_OK) {
		ts2021_fail(conn, "cannot set up the transport");
		return;
	}
	free(conn->hs);
	conn->hs = NULL;
	/* Plain TCP: records are written straight to the socket. */
	if (conn->ws == NULL && !conn->tls &&
	    (conn->stage = evbuffer_new()) == NULL) {
		ts2021_fail(conn, "out of memory");
		return;
	}
	if (conn->ws != NULL) {
		/* The response goes in-band, in the first binary message. */
		evbuffer_add_printf(bufferevent_get_output(conn->bev),
		    "HTTP/1.1 101 Switching Protocols\r\n"
		    "Upgrade: websocket\r\n"
		    "Connection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: %s\r\n"
		    "Sec-WebSocket-Protocol: " TS2021_UPGRADE "\r\n\r\n",
		    conn->ws->accept);
		if (ts2021_ws_send(conn, WS_OP_BINARY, out, outlen) == -1) {
			ts2021_fail(conn, "out of memory");
			return;
		}
	} else {
		evbuffer_add(bufferevent_get_output(conn->bev), ok,
		    strlen(ok));
		evbuffer_add(bufferevent_get_output(conn->bev), out, outlen);
	}
	/*
	 * No early payload (spec section 4): it is optional and clients
	 * ignore its challenge, so HTTP/2 starts at once.
	 */
	if ((conn->h2 = h2_session_new(conn)) == NULL) {
		ts2021_fail(conn, "cannot set up HTTP/2");
		return;
	}
	conn->state = CONN_NOISE;
	bufferevent_setwatermark(conn->bev, EV_READ, 0, 4 * NOISE_REC_MAX);
	bufferevent_setwatermark(conn->bev, EV_WRITE, H2_OUT_LOWAT, 0);
	bufferevent_enable(conn->bev, EV_READ);
	/*
	 * Long polls live here: no idle timeout once inside Noise.  After
	 * the enable, which would re-arm the head timeout otherwise.
	 */
	bufferevent_set_timeouts(conn->bev, NULL, NULL);
	/* Our SETTINGS go out without waiting for the client's. */
	if (ts2021_write(conn) == 0)
		ts2021_read(conn);
}

static void
ts2021_ask_dh(struct conn *conn)
{
	struct imsgev		*store = conn->coord->peers[PROC_STORE];
	Coordd__DhRequest	 req = COORDD__DH_REQUEST__INIT;

	if (store == NULL) {
		ts2021_fail(conn, "stored is not available");
		return;
	}
	req.point.data = conn->hs->hs_dh_point;
	req.point.len = NOISE_KEYLEN;
	if (imsgev_request(store, IMSG_STORE_NOISE_DH, -1, &req.base,
	    COORD_STORE_TIMEOUT_MS, ts2021_dh_cb,
	    (void *)(uintptr_t)conn->id) == -1)
		ts2021_fail(conn, "cannot ask stored");
}

/* Over the per-source handshake rate: a 429, logged once a second. */
static void
ts2021_limited(struct conn *conn)
{
	time_t	now = time(NULL);

	if (conn->coord->hs_limit_logged != now) {
		conn->coord->hs_limit_logged = now;
		log_warnx("front %s: handshake rate limit, refusing",
		    conn->peer);
	}
	conn_respond(conn, 429, "text/plain", "too many handshakes\n", 20,
	    NULL);
}

/*
 * Both variants: decode the initiation, which is b64 from the client,
 * and ask stored for the first DH.
 */
static void
ts2021_start(struct conn *conn, const char *b64)
{
	uint8_t		 init[NOISE_INIT_LEN + 1];
	size_t		 len;

	if (b64 == NULL || strlen(b64) > TS2021_HS_B64MAX ||
	    sodium_base642bin(init, sizeof(init), b64, strlen(b64), NULL,
	    &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != NOISE_INIT_LEN) {
		ts2021_bad(conn, "missing or bad " TS2021_HS_HEADER "\n");
		return;
	}
	if (!conn->coord->noise_ready) {
		conn_respond(conn, 503, "text/plain", "starting\n", 9, NULL);
		return;
	}
	if (!ratelimit_take(&conn->coord->hs_limit, conn->src, conn->srclen)) {
		ts2021_limited(conn);
		return;
	}
	if ((conn->hs = calloc(1, sizeof(*conn->hs))) == NULL) {
		conn_close(conn);
		return;
	}
	noise_resp_init(conn->hs, conn->coord->noise_pub);
	if (noise_resp_read_init(conn->hs, init, len) != NOISE_NEED_DH) {
		ts2021_bad(conn, "bad Noise initiation\n");
		return;
	}
	conn->state = CONN_HANDSHAKE;
	bufferevent_disable(conn->bev, EV_READ);
	ts2021_ask_dh(conn);
}

void
ts2021_ws_free(struct ws_conn *ws)
{
	if (ws == NULL)
		return;
	if (ws->in != NULL)
		evbuffer_free(ws->in);
	if (ws->stage != NULL)
		evbuffer_free(ws->stage);
	free(ws);
}

/*
 * HTTP/2 writes its Noise records to conn_output(), which for the
 * WebSocket variant is the staging buffer; ts2021_ws_flush frames them.
 */
static struct ws_conn *
ts2021_ws_new(struct conn *conn, const char *key)
{
	struct ws_conn	*ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return (NULL);
	ws_dec_init(&ws->dec, 1);
	if (ws_accept(key, ws->accept, sizeof(ws->accept)) == -1 ||
	    (ws->in = evbuffer_new()) == NULL ||
	    (ws->stage = evbuffer_new()) == NULL) {
		ts2021_ws_free(ws);
		return (NULL);
	}
	return (ws);
}

/*
 * Where HTTP/2 puts its Noise records: the WS stage, the stage of a
 * direct write, or (TLS) the bufferevent.
 */
struct evbuffer *
conn_output(struct conn *conn)
{
	if (conn->ws != NULL && conn->state == CONN_NOISE)
		return (conn->ws->stage);
	if (conn->stage != NULL)
		return (conn->stage);
	return (bufferevent_get_output(conn->bev));
}

/* Bytes sealed and not yet written, staged or queued. */
size_t
conn_backlog(struct conn *conn)
{
	struct evbuffer	*out = bufferevent_get_output(conn->bev);
	struct evbuffer	*stage = conn_output(conn);

	return (evbuffer_get_length(out) +
	    (stage != out ? evbuffer_get_length(stage) : 0));
}

/*
 * Write the staged records now if nothing is queued before them; what
 * the socket does not take goes to the bufferevent, which writes it when
 * it can.  Handing every write to the bufferevent would cost two
 * epoll_ctl calls and a wakeup per write; for a tailnet coming up, a
 * third of the time went there.  Errors are left for the bufferevent to
 * find on its own write.
 */
static void
ts2021_send_stage(struct conn *conn)
{
	struct evbuffer	*out = bufferevent_get_output(conn->bev);

	if (evbuffer_get_length(conn->stage) == 0)
		return;
	if (evbuffer_get_length(out) == 0)
		(void)evbuffer_write(conn->stage, bufferevent_getfd(conn->bev));
	if (evbuffer_get_length(conn->stage) > 0)
		evbuffer_add_buffer(out, conn->stage);
}

/* GET /ts2021 with Upgrade: websocket (RFC 6455 section 4.2). */
static void
ts2021_upgrade_ws(struct conn *conn, const struct http_request *req)
{
	const char	*connection, *version, *key, *proto;
	char		 b64[TS2021_HS_B64MAX + 2];

	if (strcmp(req->method, "GET") != 0) {
		ts2021_bad(conn, "use GET for the WebSocket upgrade\n");
		return;
	}
	if ((connection = http_header(req, "Connection")) == NULL ||
	    !http_header_has_token(connection, "upgrade")) {
		ts2021_bad(conn, "Connection must include upgrade\n");
		return;
	}
	if ((version = http_header(req, "Sec-WebSocket-Version")) == NULL ||
	    strcmp(version, "13") != 0) {
		log_info("ts2021 %s: WebSocket version %s", conn->peer,
		    version != NULL ? version : "missing");
		conn_respond(conn, 426, "text/plain",
		    "WebSocket version 13 only\n", 26,
		    "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	if ((key = http_header(req, "Sec-WebSocket-Key")) == NULL ||
	    !ws_key_valid(key)) {
		ts2021_bad(conn, "missing or bad Sec-WebSocket-Key\n");
		return;
	}
	/* As Go's server: the subprotocol is how we know the client. */
	if ((proto = http_header(req, "Sec-WebSocket-Protocol")) == NULL ||
	    !http_header_has_token(proto, TS2021_UPGRADE)) {
		ts2021_bad(conn, "Sec-WebSocket-Protocol must include "
		    TS2021_UPGRADE "\n");
		return;
	}
	if (http_query_get(req->query, TS2021_HS_HEADER, b64,
	    sizeof(b64)) != 0) {
		ts2021_bad(conn, "missing or bad " TS2021_HS_HEADER "\n");
		return;
	}
	if ((conn->ws = ts2021_ws_new(conn, key)) == NULL) {
		conn_close(conn);
		return;
	}
	ts2021_start(conn, b64);
}

void
ts2021_upgrade(struct conn *conn, const struct http_request *req)
{
	const char	*upgrade, *connection, *b64;

	if ((upgrade = http_header(req, "Upgrade")) != NULL &&
	    strcasecmp(upgrade, "websocket") == 0) {
		ts2021_upgrade_ws(conn, req);
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		ts2021_bad(conn, "use POST for the Noise upgrade\n");
		return;
	}
	if ((upgrade = http_header(req, "Upgrade")) == NULL ||
	    strcasecmp(upgrade, TS2021_UPGRADE) != 0) {
		ts2021_bad(conn, "missing or unknown Upgrade\n");
		return;
	}
	if ((connection = http_header(req, "Connection")) == NULL ||
	    !http_header_has_token(connection, "upgrade")) {
		ts2021_bad(conn, "Connection must include upgrade\n");
		return;
	}
	b64 = http_header(req, TS2021_HS_HEADER);
	ts2021_start(conn, b64);
}

/* One unmasked frame of ours, straight into the socket's output. */
static int
ts2021_ws_send(struct conn *conn, int op, const void *p, size_t len)
{
	return (ws_frame_add(bufferevent_get_output(conn->bev), op, p, len));
}

/* Answer a close with a close, then hang up once it is out. */
static void
ts2021_ws_close(struct conn *conn, uint16_t code)
{
	uint8_t	pl[2];

	pl[0] = code >> 8;
	pl[1] = code & 0xff;
	ts2021_ws_send(conn, WS_OP_CLOSE, pl, code != 0 ? 2 : 0);
	conn_finish(conn);
}

/*
 * Decode the client's frames from the socket into ws->in, answering
 * pings on the way.  Returns -1 when the connection is gone or closing.
 */
static int
ts2021_ws_input(struct conn *conn)
{
	struct ws_conn		*ws = conn->ws;
	struct evbuffer		*src = bufferevent_get_input(conn->bev);
	struct evbuffer_iovec	 v;
	uint8_t			*p;
	size_t			 len, used, outlen;
	int			 r;

	while ((len = evbuffer_get_length(src)) > 0) {
		/* Payload is never longer than its frames: len suffices. */
		if ((p = evbuffer_pullup(src, len)) == NULL ||
		    evbuffer_reserve_space(ws->in, len, &v, 1) < 1) {
			ts2021_fail(conn, "out of memory");
			return (-1);
		}
		r = ws_decode(&ws->dec, p, len, &used, v.iov_base,
		    MINIMUM(len, v.iov_len), &outlen);
		v.iov_len = outlen;
		evbuffer_commit_space(ws->in, &v, 1);
		evbuffer_drain(src, used);
		switch (r) {
		case WS_MORE:
			if (used == 0)
				return (0);
			break;
		case WS_PING:
			if (ts2021_ws_send(conn, WS_OP_PONG, ws->dec.wd_ctl,
			    ws->dec.wd_ctllen) == -1) {
				ts2021_fail(conn, "out of memory");
				return (-1);
			}
			break;
		case WS_PONG:
			break;
		case WS_CLOSE:
			log_debug("ts2021 %s: WebSocket closed by the client",
			    conn->peer);
			ts2021_ws_close(conn, ws->dec.wd_ctllen >= 2 ?
			    ws->dec.wd_ctl[0] << 8 | ws->dec.wd_ctl[1] : 0);
			return (-1);
		default:
			log_info("ts2021 %s: WebSocket: %s, closing",
			    conn->peer, ws->dec.wd_errstr);
			ts2021_ws_close(conn, ws->dec.wd_errcode);
			return (-1);
		}
	}
	return (0);
}

/*
 * HTTP/2's records for a WebSocket connection: h2_session_flush writes
 * into conn->bev's output, so point conn->bev at the staging
 * bufferevent meanwhile, then frame what it wrote.
 */
static int
ts2021_ws_flush(struct conn *conn)
{
	struct evbuffer		*out = bufferevent_get_output(conn->bev);
	struct evbuffer		*stage = conn->ws->stage;
	uint8_t			 hdr[WS_HDR_MAX];
	size_t			 n, hlen;
	int			 r;

	if (evbuffer_get_length(out) >= H2_OUT_HIWAT)
		return (0);
	r = h2_session_flush(conn->h2);
	while ((n = evbuffer_get_length(stage)) > 0) {
		n = MINIMUM(n, TS2021_WS_FRAME);
		hlen = ws_frame_header(hdr, WS_OP_BINARY, n, NULL);
		if (evbuffer_add(out, hdr, hlen) == -1 ||
		    evbuffer_remove_buffer(stage, out, n) != (int)n)
			return (-1);
	}
	return (r);
}

/*
 * Decrypt whatever whole records have arrived and hand the plaintext to
 * HTTP/2.  Returns -1 when the connection is gone.
 */
static int
ts2021_input(struct conn *conn)
{
	struct evbuffer	*in = bufferevent_get_input(conn->bev);
	uint8_t		*rec, pt[NOISE_REC_MAXPT];
	size_t		 reclen, ptlen, len;
	const char	*err = NULL;
	int		 r;

	if (conn->ws != NULL) {
		if (ts2021_ws_input(conn) == -1)
			return (-1);
		in = conn->ws->in;
	}
	for (;;) {
		len = evbuffer_get_length(in);
		rec = evbuffer_pullup(in, MINIMUM(len, NOISE_REC_MAX));
		if ((r = noise_record_len(rec, MINIMUM(len, NOISE_REC_MAX),
		    &reclen, &err)) == 0 || (r == 1 && reclen > len))
			break;
		if (r == -1) {
			ts2021_fail(conn, err);
			return (-1);
		}
		rec = evbuffer_pullup(in, reclen);
		if (noise_transport_open(conn->nt, rec, reclen, pt, sizeof(pt),
		    &ptlen) != NOISE_OK) {
			ts2021_fail(conn, conn->nt->nt_errstr);
			return (-1);
		}
		evbuffer_drain(in, reclen);
		evbuffer_add(conn->plain, pt, ptlen);
		sodium_memzero(pt, ptlen);
	}
	if (evbuffer_get_length(conn->plain) == 0)
		return (0);
	if (h2_session_recv(conn->h2, conn->plain) == -1) {
		log_info("ts2021 %s: HTTP/2: %s, closing", conn->peer,
		    h2_session_error(conn->h2));
		conn_close(conn);
		return (-1);
	}
	return (ts2021_write(conn));
}

void
ts2021_read(struct conn *conn)
{
	ts2021_input(conn);
}

/*
 * Send what HTTP/2 has to say.  While the output is above the high
 * mark nothing more is read from the client either; the write callback
 * comes back here below the low mark.  Returns -1 when the connection
 * is gone or closing.
 */
int
ts2021_write(struct conn *conn)
{
	struct evbuffer	*out = bufferevent_get_output(conn->bev);

	if (conn->state != CONN_NOISE || conn->h2 == NULL)
		return (0);
	do {
		if (evbuffer_get_length(out) >= H2_OUT_HIWAT)
			break;
		if ((conn->ws != NULL ? ts2021_ws_flush(conn) :
		    h2_session_flush(conn->h2)) == -1) {
			log_info("ts2021 %s: HTTP/2: %s, closing", conn->peer,
			    h2_session_error(conn->h2));
			conn_close(conn);
			return (-1);
		}
		/* The stage stops at the high mark: write, and go on. */
		if (conn->stage == NULL ||
		    evbuffer_get_length(conn->stage) == 0)
			break;
		ts2021_send_stage(conn);
	} while (evbuffer_get_length(out) == 0 &&
	    h2_session_wants_write(conn->h2));
	if (h2_session_done(conn->h2)) {
		log_debug("ts2021 %s: HTTP/2 session over", conn->peer);
		conn_finish(conn);
		return (-1);
	}
	if (evbuffer_get_length(out) >= H2_OUT_HIWAT) {
		if (bufferevent_get_enabled(conn->bev) & EV_READ)
			log_debug("ts2021 %s: output full, not reading",
			    conn->peer);
		bufferevent_disable(conn->bev, EV_READ);
		return (0);
	}
	if (!(bufferevent_get_enabled(conn->bev) & EV_READ)) {
		bufferevent_enable(conn->bev, EV_READ);
		return (ts2021_input(conn));
	}
	return (0);
}
