/*
 * DERP over WebSocket: GET /derp with Upgrade: websocket and the "derp"
 * subprotocol, as Tailscale's derper serves browsers and clients built
 * with WebSocket support.  The DERP byte stream rides in binary
 * messages; message boundaries mean nothing.  A bufferevent filter does
 * the framing, so the relay reads and writes the same stream as over
 * the plain upgrade.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "compat.h"
#include "coordinator.h"
#include "derp.h"
#include "http.h"
#include "log.h"
#include "ws.h"

#define DERP_WS_PROTO		"derp"
#define DERP_WS_FRAME		(64 * 1024)	/* our message size */

struct derp_ws {
	struct ws_dec		 dec;
	struct bufferevent	*under;		/* the socket's bufferevent */
	struct bufferevent	*filter;	/* what the relay holds */
	char			 peer[64];
};

/* One unmasked frame of ours on the socket, bypassing the filter. */
static int
derp_ws_send(struct derp_ws *dw, int op, const void *p, size_t len)
{
	return (ws_frame_add(bufferevent_get_output(dw->under), op, p, len));
}

/* Control frames met while decoding; -1 when the stream must end. */
static int
derp_ws_control(struct derp_ws *dw, int r)
{
	uint8_t	code[2] = { WS_CLOSE_NORMAL >> 8, WS_CLOSE_NORMAL & 0xff };

	switch (r) {
	case WS_MORE:
	case WS_PONG:
		return (0);
	case WS_PING:
		return (derp_ws_send(dw, WS_OP_PONG, dw->dec.wd_ctl,
		    dw->dec.wd_ctllen));
	case WS_CLOSE:
		log_debug("derp %s: WebSocket closed by the client", dw->peer);
		derp_ws_send(dw, WS_OP_CLOSE, code, sizeof(code));
		return (-1);
	default:
		log_info("derp %s: WebSocket: %s, closing", dw->peer,
		    dw->dec.wd_errstr);
		code[0] = dw->dec.wd_errcode >> 8;
		code[1] = dw->dec.wd_errcode & 0xff;
		derp_ws_send(dw, WS_OP_CLOSE, code, sizeof(code));
		return (-1);
	}
}

/* Socket bytes (client frames, masked) to the DERP stream. */
static enum bufferevent_filter_result
derp_ws_in(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct derp_ws		*dw = arg;
	struct evbuffer_iovec	 v;
	uint8_t			*p;
	size_t			 len, used, outlen, room;
	int			 r;

	while ((len = evbuffer_get_length(src)) > 0) {
		/* Payload is never longer than its frames. */
		room = len;
		if (limit > 0 && (size_t)limit < room)
			room = limit;
		if ((p = evbuffer_pullup(src, len)) == NULL ||
		    evbuffer_reserve_space(dst, room, &v, 1) < 1)
			return (BEV_ERROR);
		r = ws_decode(&dw->dec, p, len, &used, v.iov_base,
		    MINIMUM(room, v.iov_len), &outlen);
		v.iov_len = outlen;
		evbuffer_commit_space(dst, &v, 1);
		evbuffer_drain(src, used);
		if (derp_ws_control(dw, r) == -1) {
			/*
			 * libevent drops a filter's BEV_ERROR on the floor;
			 * the relay hears of the end as an error event.
			 */
			bufferevent_disable(dw->filter, EV_READ);
			bufferevent_trigger_event(dw->filter, BEV_EVENT_ERROR,
			    BEV_OPT_DEFER_CALLBACKS);
			return (BEV_ERROR);
		}
		if (r == WS_MORE && used == 0)
			break;
		if (limit > 0 && evbuffer_get_length(dst) >= (size_t)limit)
			break;
	}
	return (BEV_OK);
}

/* The relay's stream to binary messages on the socket. */
static enum bufferevent_filter_result
derp_ws_out(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	uint8_t	hdr[WS_HDR_MAX];
	size_t	n, hlen;

	while ((n = evbuffer_get_length(src)) > 0) {
		n = MINIMUM(n, DERP_WS_FRAME);
		hlen = ws_frame_header(hdr, WS_OP_BINARY, n, NULL);
		if (evbuffer_add(dst, hdr, hlen) == -1 ||
		    evbuffer_remove_buffer(src, dst, n) != (int)n)
			return (BEV_ERROR);
	}
	return (BEV_OK);
}

static void
derp_ws_free(void *arg)
{
	free(arg);
}

static const char *
derp_ws_check(const struct http_request *req)
{
	const char	*h;

	if (strcmp(req->method, "GET") != 0)
		return ("use GET for the WebSocket upgrade\n");
	if ((h = http_header(req, "Connection")) == NULL ||
	    !http_header_has_token(h, "upgrade"))
		return ("Connection must include upgrade\n");
	if ((h = http_header(req, "Sec-WebSocket-Version")) == NULL ||
	    strcmp(h, "13") != 0)
		return ("WebSocket version 13 only\n");
	if ((h = http_header(req, "Sec-WebSocket-Key")) == NULL ||
	    !ws_key_valid(h))
		return ("missing or bad Sec-WebSocket-Key\n");
	if ((h = http_header(req, "Sec-WebSocket-Protocol")) == NULL ||
	    !http_header_has_token(h, DERP_WS_PROTO))
		return ("Sec-WebSocket-Protocol must include "
		    DERP_WS_PROTO "\n");
	return (NULL);
}

/* GET /derp with Upgrade: websocket. */
void
derp_ws_upgrade(struct conn *conn, const struct http_request *req)
{
	struct coord		*c = conn->coord;
	struct bufferevent	*bev = conn->bev, *fbev;
	struct derp_ws		*dw;
	const char		*bad;
	char			 accept[WS_ACCEPT_LEN + 1];

	if ((bad = derp_ws_check(req)) != NULL) {
		log_info("derp %s: bad WebSocket upgrade: %s", conn->peer,
		    bad);
		conn_respond(conn, 400, "text/plain", bad, strlen(bad), NULL);
		return;
	}
	if (!derp_ready(c->derp)) {
		conn_respond(conn, 503, "text/plain",
		    "DERP is not available\n", 22, NULL);
		return;
	}
	if (ws_accept(http_header(req, "Sec-WebSocket-Key"), accept,
	    sizeof(accept)) == -1 ||
	    (dw = calloc(1, sizeof(*dw))) == NULL) {
		conn_close(conn);
		return;
	}
	ws_dec_init(&dw->dec, 1);
	dw->under = bev;
	strlcpy(dw->peer, conn->peer, sizeof(dw->peer));
	evbuffer_add_printf(bufferevent_get_output(bev),
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n"
	    "Sec-WebSocket-Protocol: " DERP_WS_PROTO "\r\n\r\n", accept);
	/* The front's head timeout and body limit end with HTTP. */
	bufferevent_set_timeouts(bev, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if ((fbev = bufferevent_filter_new(bev, derp_ws_in, derp_ws_out,
	    BEV_OPT_CLOSE_ON_FREE, derp_ws_free, dw)) == NULL) {
		free(dw);
		conn_close(conn);
		return;
	}
	dw->filter = fbev;
	conn->bev = NULL;
	conn_close(conn);
	derp_accept_stream(c, fbev, dw->peer);
}
