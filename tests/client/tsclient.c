/* The test client's library: see tsclient.h. */
#include <sys/types.h>
#include <sys/param.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <nghttp2/nghttp2.h>
#include <sodium.h>

#include "tsclient.h"

#define TSC_TIMEOUT_MS	10000

/* url: [ws+]http://host:port (no path). */
int
tsc_init(struct tsc *t, const char *url, uint16_t version)
{
	const char	*p, *colon, *env;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->version = version;
	if (strncmp(url, "ws+", 3) == 0) {
		t->ws = TSC_WS_ON;
		url += 3;
	}
	if ((env = getenv("TSC_WS_FRAGMENT")) != NULL && strcmp(env, "1") == 0)
		t->wsfrag = 1;
	if (strncmp(url, "http://", 7) != 0) {
		snprintf(t->err, sizeof(t->err), "only http:// URLs");
		return (-1);
	}
	p = url + 7;
	if ((colon = strrchr(p, ':')) == NULL ||
	    (size_t)(colon - p) >= sizeof(t->host)) {
		snprintf(t->err, sizeof(t->err), "URL needs host:port");
		return (-1);
	}
	memcpy(t->host, p, colon - p);
	strlcpy(t->port, colon + 1, sizeof(t->port));
	t->port[strcspn(t->port, "/")] = '\0';
	crypto_box_keypair(t->machine_pub, t->machine_priv);
	return (0);
}

/* A machine key of the caller's, for a node that keeps its identity. */
int
tsc_set_machine_key(struct tsc *t, const uint8_t *priv)
{
	memcpy(t->machine_priv, priv, NOISE_KEYLEN);
	if (crypto_scalarmult_base(t->machine_pub, t->machine_priv) != 0) {
		snprintf(t->err, sizeof(t->err), "bad machine key");
		return (-1);
	}
	return (0);
}

int
tsc_connect(struct tsc *t)
{
	struct addrinfo	 hints, *res;
	int		 error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
		snprintf(t->err, sizeof(t->err), "%s", gai_strerror(error));
		return (-1);
	}
	if ((t->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) == -1 || connect(t->fd, res->ai_addr, res->ai_addrlen) == -1) {
		snprintf(t->err, sizeof(t->err), "connect: %s",
		    strerror(errno));
		freeaddrinfo(res);
		tsc_close(t);
		return (-1);
	}
	freeaddrinfo(res);
	t->rlen = 0;
	t->wson = 0;
	t->wsrawlen = 0;
	return (0);
}

void
tsc_close(struct tsc *t)
{
	if (t->h2 != NULL)
		nghttp2_session_del(t->h2);
	t->h2 = NULL;
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
}

int
tsc_write_raw(struct tsc *t, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(t->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(t->err, sizeof(t->err), "write: %s",
			    strerror(errno));
			return (-1);
		}
		p += n;
		len -= n;
	}
	return (0);
}

/* One masked frame; fin 0 leaves the message open. */
static int
tsc_ws_frame(struct tsc *t, int op, int fin, const uint8_t *p, size_t len)
{
	uint8_t		 frame[WS_HDR_MAX + NOISE_REC_MAX], mask[4];
	size_t		 hlen;

	if (len > NOISE_REC_MAX)
		return (-1);
	randombytes_buf(mask, sizeof(mask));
	hlen = ws_frame_header(frame, op, len, mask);
	if (!fin)
		frame[0] &= ~0x80;
	memcpy(frame + hlen, p, len);
	ws_mask(frame + hlen, len, mask, 0);
	return (tsc_write_raw(t, frame, hlen + len));
}

int
tsc_ws_control(struct tsc *t, int op, const uint8_t *p, size_t len)
{
	if (len > WS_CTL_MAX)
		return (-1);
	return (tsc_ws_frame(t, op, 1, p, len));
}

/*
 * Past the 101 of a WebSocket upgrade, in masked binary messages; with
 * wsfrag each in two fragments with a ping between them.
 */
static int
tsc_write_all(struct tsc *t, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	size_t		 part, half;

	if (!t->wson)
		return (tsc_write_raw(t, buf, len));
	while (len > 0) {
		part = MIN(len, NOISE_REC_MAX);
		half = t->wsfrag ? part / 2 : 0;
		if (half > 0 && (tsc_ws_frame(t, WS_OP_BINARY, 0, p,
		    half) == -1 ||
		    tsc_ws_control(t, WS_OP_PING, (const uint8_t *)"frag",
		    4) == -1 ||
		    tsc_ws_frame(t, WS_OP_CONT, 1, p + half,
		    part - half) == -1))
			return (-1);
		if (half == 0 && tsc_ws_frame(t, WS_OP_BINARY, 1, p,
		    part) == -1)
			return (-1);
		p += part;
		len -= part;
	}
	return (0);
}

/*
 * Unwrap the server's frames in wsraw into rbuf, answering pings.
 * Returns the bytes added to rbuf, -2 when the server closed (its code
 * in wsclose), -1 on an error.
 */
static ssize_t
tsc_ws_decode(struct tsc *t)
{
	size_t	used, outlen, total = 0;
	int	r;

	for (;;) {
		r = ws_decode(&t->wsdec, t->wsraw, t->wsrawlen, &used,
		    t->rbuf + t->rlen, sizeof(t->rbuf) - t->rlen, &outlen);
		memmove(t->wsraw, t->wsraw + used, t->wsrawlen - used);
		t->wsrawlen -= used;
		t->rlen += outlen;
		total += outlen;
		switch (r) {
		case WS_MORE:
			return (total);
		case WS_PING:
			if (tsc_ws_control(t, WS_OP_PONG, t->wsdec.wd_ctl,
			    t->wsdec.wd_ctllen) == -1)
				return (-1);
			break;
		case WS_PONG:
			t->wspongs++;
			break;
		case WS_CLOSE:
			t->wsclose = t->wsdec.wd_ctllen >= 2 ?
			    t->wsdec.wd_ctl[0] << 8 | t->wsdec.wd_ctl[1] : 1005;
			return (-2);
		default:
			snprintf(t->err, sizeof(t->err), "websocket: %s",
			    t->wsdec.wd_errstr);
			return (-1);
		}
	}
}

/*
 * rbuf gets what is pending in wsraw first, then what the socket has.
 * A partial frame counts as progress: the caller waits for more.
 */
static ssize_t
tsc_ws_read(struct tsc *t)
{
	ssize_t	n, r;

	if ((r = tsc_ws_decode(t)) != 0)
		return (r == -2 ? 0 : r);
	if ((n = read(t->fd, t->wsraw + t->wsrawlen,
	    sizeof(t->wsraw) - t->wsrawlen)) == -1) {
		snprintf(t->err, sizeof(t->err), "read: %s", strerror(errno));
		return (-1);
	}
	if (n == 0)
		return (0);
	t->wsrawlen += n;
	if ((r = tsc_ws_decode(t)) < 0)
		return (r == -2 ? 0 : r);
	return (n);
}

/* Read what the socket has into rbuf; 0 on end of file. */
static ssize_t
tsc_read_more(struct tsc *t)
{
	ssize_t	n;

	if (t->rlen == sizeof(t->rbuf)) {
		snprintf(t->err, sizeof(t->err), "response too large");
		return (-1);
	}
	if (t->wson)
		return (tsc_ws_read(t));
	if ((n = read(t->fd, t->rbuf + t->rlen, sizeof(t->rbuf) - t->rlen))
	    == -1) {
		snprintf(t->err, sizeof(t->err), "read: %s", strerror(errno));
		return (-1);
	}
	t->rlen += n;
	return (n);
}

/* Read more bytes into rbuf, waiting up to the timeout; 0 on EOF. */
static ssize_t
tsc_fill(struct tsc *t)
{
	struct pollfd	pfd = { t->fd, POLLIN, 0 };

	/* Frames already read but not yet unwrapped for want of room. */
	if (t->wson && t->wsrawlen > 0)
		return (tsc_read_more(t));
	if (poll(&pfd, 1, TSC_TIMEOUT_MS) != 1) {
		snprintf(t->err, sizeof(t->err), "timed out");
		return (-1);
	}
	return (tsc_read_more(t));
}

/* Read until the end of the HTTP head; returns its length and status. */
static int
tsc_read_head(struct tsc *t, int *status, size_t *headlen)
{
	uint8_t	*end;
	ssize_t	 n;

	for (;;) {
		end = memmem(t->rbuf, t->rlen, "\r\n\r\n", 4);
		if (end != NULL)
			break;
		if ((n = tsc_fill(t)) <= 0) {
			if (n == 0)
				snprintf(t->err, sizeof(t->err),
				    "connection closed");
			return (-1);
		}
	}
	*headlen = end - t->rbuf + 4;
	if (sscanf((char *)t->rbuf, "HTTP/1.1 %d", status) != 1) {
		snprintf(t->err, sizeof(t->err), "not an HTTP response");
		return (-1);
	}
	return (0);
}

/* GET path; the body (up to bodylen - 1 bytes) and the status. */
int
tsc_get(struct tsc *t, const char *path, int *status, char *body,
    size_t bodylen)
{
	char	req[512];
	size_t	headlen, blen;
	int	n;

	if (tsc_connect(t) == -1)
		return (-1);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%s\r\n"
	    "User-Agent: coordd-tsc\r\n\r\n", path, t->host, t->port);
	if (tsc_write_all(t, req, n) == -1 ||
	    tsc_read_head(t, status, &headlen) == -1) {
		tsc_close(t);
		return (-1);
	}
	/* The server closes after one response. */
	while (tsc_fill(t) > 0)
		;
	blen = MIN(t->rlen - headlen, bodylen - 1);
	memcpy(body, t->rbuf + headlen, blen);
	body[blen] = '\0';
	tsc_close(t);
	return (0);
}

static int
tsc_parse_mkey(const char *s, uint8_t out[NOISE_KEYLEN])
{
	size_t	binlen;

	if (s == NULL || strncmp(s, "mkey:", 5) != 0 || strlen(s) != 69)
		return (-1);
	return (sodium_hex2bin(out, NOISE_KEYLEN, s + 5, 64, NULL, &binlen,
	    NULL) == 0 && binlen == NOISE_KEYLEN ? 0 : -1);
}

int
tsc_fetch_key(struct tsc *t)
{
	char		 body[1024], path[64];
	json_t		*doc;
	json_error_t	 jerr;
	int		 status, rv = -1;

	snprintf(path, sizeof(path), "/key?v=%u", t->version);
	if (tsc_get(t, path, &status, body, sizeof(body)) == -1)
		return (-1);
	if (status != 200) {
		snprintf(t->err, sizeof(t->err), "/key: status %d", status);
		return (-1);
	}
	if ((doc = json_loads(body, 0, &jerr)) == NULL) {
		snprintf(t->err, sizeof(t->err), "/key: %s", jerr.text);
		return (-1);
	}
	if (tsc_parse_mkey(json_string_value(json_object_get(doc,
	    "publicKey")), t->server_pub) == 0)
		rv = 0;
	else
		snprintf(t->err, sizeof(t->err), "/key: no publicKey");
	json_decref(doc);
	return (rv);
}

/* The WebSocket variant's request head, with a new key in key. */
static int
tsc_ws_request(struct tsc *t, char *req, size_t reqlen, const char *b64,
    char *key)
{
	uint8_t		 raw[16];
	char		 esc[3 * 256];
	const char	*p;
	size_t		 n = 0;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(key, 32, raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	for (p = b64; *p != '\0' && n + 4 < sizeof(esc); p++) {
		if (*p == '+' || *p == '/' || *p == '=')
			n += snprintf(esc + n, sizeof(esc) - n, "%%%02X", *p);
		else
			esc[n++] = *p;
	}
	esc[n] = '\0';
	return (snprintf(req, reqlen, "GET /ts2021?X-Tailscale-Handshake=%s "
	    "HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\n%s%s%s"
	    "Sec-WebSocket-Version: %s\r\n"
	    "Sec-WebSocket-Protocol: tailscale-control-protocol\r\n\r\n",
	    esc, t->host, t->port,
	    t->ws == TSC_WS_NOKEY ? "" : "Sec-WebSocket-Key: ",
	    t->ws == TSC_WS_NOKEY ? "" : key,
	    t->ws == TSC_WS_NOKEY ? "" : "\r\n",
	    t->ws == TSC_WS_V12 ? "12" : "13"));
}

/*
 * Check the 101 of a WebSocket upgrade; what follows its head is the
 * first of the server's frames.
 */
static int
tsc_ws_accepted(struct tsc *t, const char *key, size_t headlen)
{
	char	accept[WS_ACCEPT_LEN + 1], want[128];
	const char *hdrs[] = { "\r\nUpgrade: websocket\r\n",
	    "\r\nConnection: Upgrade\r\n",
	    "\r\nSec-WebSocket-Protocol: tailscale-control-protocol\r\n" };
	size_t	i;

	if (ws_accept(key, accept, sizeof(accept)) == -1)
		return (-1);
	snprintf(want, sizeof(want), "\r\nSec-WebSocket-Accept: %s\r\n",
	    accept);
	if (memmem(t->rbuf, headlen, want, strlen(want)) == NULL) {
		snprintf(t->err, sizeof(t->err), "bad Sec-WebSocket-Accept");
		return (-1);
	}
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		if (memmem(t->rbuf, headlen, hdrs[i], strlen(hdrs[i])) ==
		    NULL) {
			snprintf(t->err, sizeof(t->err), "101 without %s",
			    hdrs[i] + 2);
			return (-1);
		}
	memcpy(t->wsraw, t->rbuf + headlen, t->rlen - headlen);
	t->wsrawlen = t->rlen - headlen;
	t->rlen = 0;
	t->wson = 1;
	ws_dec_init(&t->wsdec, 0);
	return (0);
}

/*
 * The upgrade with a given initiation (NULL: a proper one).  Returns 0
 * with the transport set up, or -1 with the HTTP status (0 if none) and
 * the server's words in why.
 */
int
tsc_handshake(struct tsc *t, const uint8_t *init_override, size_t olen,
    int *status, char *why, size_t whylen)
{
	struct noise_hs	 hs;
	uint8_t		 init[NOISE_INIT_LEN];
	char		 b64[256], req[1024], key[32];
	size_t		 len, headlen;
	int		 n, rv = -1;

	*status = 0;
	why[0] = '\0';
	if (noise_init_start(&hs, t->machine_priv, t->machine_pub,
	    t->server_pub, t->version) != NOISE_OK ||
	    noise_init_write_init(&hs, init, sizeof(init), &len) != NOISE_OK) {
		snprintf(t->err, sizeof(t->err), "noise: %s", hs.hs_errstr);
		return (-1);
	}
	if (init_override != NULL)
		sodium_bin2base64(b64, sizeof(b64), init_override, olen,
		    sodium_base64_VARIANT_ORIGINAL);
	else
		sodium_bin2base64(b64, sizeof(b64), init, len,
		    sodium_base64_VARIANT_ORIGINAL);
	if (tsc_connect(t) == -1)
		goto done;
	if (t->ws != TSC_WS_OFF)
		n = tsc_ws_request(t, req, sizeof(req), b64, key);
	else
		n = snprintf(req, sizeof(req), "POST /ts2021 HTTP/1.1\r\n"
		    "Host: %s:%s\r\nUpgrade: tailscale-control-protocol\r\n"
		    "Connection: upgrade\r\nX-Tailscale-Handshake: %s\r\n"
		    "Content-Length: 0\r\n\r\n", t->host, t->port, b64);
	if (tsc_write_all(t, req, n) == -1 ||
	    tsc_read_head(t, status, &headlen) == -1)
		goto done;
	if (*status != 101) {
		while (tsc_fill(t) > 0)
			;
		snprintf(why, whylen, "%.*s", (int)(t->rlen - headlen),
		    t->rbuf + headlen);
		snprintf(t->err, sizeof(t->err), "status %d", *status);
		goto done;
	}
	if (t->ws != TSC_WS_OFF && tsc_ws_accepted(t, key, headlen) == -1)
		goto done;
	if (t->wson)
		headlen = 0;
	while (t->rlen < headlen + NOISE_RESP_LEN)
		if (tsc_fill(t) <= 0) {
			if (t->err[0] == '\0')
				snprintf(t->err, sizeof(t->err),
				    "connection closed");
			goto done;
		}
	if (noise_init_read_response(&hs, t->rbuf + headlen,
	    NOISE_RESP_LEN) != NOISE_OK ||
	    noise_split(&hs, &t->nt) != NOISE_OK) {
		snprintf(t->err, sizeof(t->err), "noise: %s", hs.hs_errstr);
		goto done;
	}
	memmove(t->rbuf, t->rbuf + headlen + NOISE_RESP_LEN,
	    t->rlen - headlen - NOISE_RESP_LEN);
	t->rlen -= headlen + NOISE_RESP_LEN;
	rv = 0;
 done:
	noise_hs_clear(&hs);
	if (rv == -1)
		tsc_close(t);
	return (rv);
}

/* Seal and send plaintext in records of at most the allowed size. */
int
tsc_send(struct tsc *t, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint8_t		 rec[NOISE_REC_MAX];
	size_t		 part, reclen;

	do {
		part = MIN(len, NOISE_REC_MAXPT);
		if (noise_transport_seal(&t->nt, p, part, rec, sizeof(rec),
		    &reclen) != NOISE_OK) {
			snprintf(t->err, sizeof(t->err), "seal: %s",
			    t->nt.nt_errstr);
			return (-1);
		}
		if (tsc_write_all(t, rec, reclen) == -1)
			return (-1);
		p += part;
		len -= part;
	} while (len > 0);
	return (0);
}

/*
 * Break the record layer on purpose, for bad-input tests: "replay" sends
 * one record twice, "reorder" two records in the wrong order,
 * "oversize" a record longer than the protocol allows, "badtype" a
 * record of an unknown type.  The server must hang up.
 */
int
tsc_send_bad(struct tsc *t, const char *kind)
{
	static const char	 pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	uint8_t			 a[NOISE_REC_MAX], b[NOISE_REC_MAX];
	uint8_t			 big[NOISE_REC_MAX + 64];
	size_t			 alen, blen;

	if (noise_transport_seal(&t->nt, (const uint8_t *)pre, 12, a,
	    sizeof(a), &alen) != NOISE_OK ||
	    noise_transport_seal(&t->nt, (const uint8_t *)pre + 12,
	    sizeof(pre) - 1 - 12, b, sizeof(b), &blen) != NOISE_OK) {
		snprintf(t->err, sizeof(t->err), "seal");
		return (-1);
	}
	if (strcmp(kind, "replay") == 0)
		return (tsc_write_all(t, a, alen) == -1 ||
		    tsc_write_all(t, a, alen) == -1 ? -1 : 0);
	if (strcmp(kind, "reorder") == 0)
		return (tsc_write_all(t, b, blen) == -1 ||
		    tsc_write_all(t, a, alen) == -1 ? -1 : 0);
	memset(big, 0xa5, sizeof(big));
	if (strcmp(kind, "oversize") == 0) {
		big[0] = 4;			/* a data record */
		big[1] = (NOISE_REC_MAX + 1) >> 8;
		big[2] = (NOISE_REC_MAX + 1) & 0xff;
		return (tsc_write_all(t, big, sizeof(big)));
	}
	if (strcmp(kind, "badtype") == 0) {
		a[0] = 9;
		return (tsc_write_all(t, a, alen));
	}
	snprintf(t->err, sizeof(t->err), "unknown kind %s", kind);
	return (-1);
}

/* Read until the server closes; 0 on a close, -1 on a timeout. */
int
tsc_wait_closed(struct tsc *t)
{
	ssize_t	n;

	for (;;) {
		t->rlen = 0;
		if ((n = tsc_fill(t)) == 0)
			return (0);
		if (n == -1)
			return (errno == ECONNRESET ? 0 : -1);
	}
}

static int
tsc_h2_on_header(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *arg)
{
	struct tsc_h2req	*req;
	char			 buf[8];

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    (req = nghttp2_session_get_stream_user_data(ng,
	    frame->hd.stream_id)) == NULL)
		return (0);
	if (namelen == 7 && memcmp(name, ":status", 7) == 0 &&
	    valuelen < sizeof(buf)) {
		memcpy(buf, value, valuelen);
		buf[valuelen] = '\0';
		req->status = atoi(buf);
	}
	return (0);
}

/* Add to a request's collected body, up to TSC_H2_MAXOUT in all. */
int
tsc_h2_req_append(struct tsc_h2req *req, const uint8_t *data, size_t len)
{
	uint8_t	*p;
	size_t	 cap;

	if (req->outlen + len > TSC_H2_MAXOUT)
		return (-1);
	if (req->outlen + len > req->outcap) {
		cap = MAX(req->outcap * 2, req->outlen + len);
		if ((p = realloc(req->out, cap)) == NULL)
			return (-1);
		req->out = p;
		req->outcap = cap;
	}
	memcpy(req->out + req->outlen, data, len);
	req->outlen += len;
	return (0);
}

static int
tsc_h2_on_data(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *arg)
{
	struct tsc		*t = arg;
	struct tsc_h2req	*req;

	if ((req = nghttp2_session_get_stream_user_data(ng, id)) == NULL)
		return (0);
	if (req->ondata != NULL) {
		if (req->ondata(t, req, data, len) == 0)
			return (0);
		t->h2cbfail = 1;
		return (NGHTTP2_ERR_CALLBACK_FAILURE);
	}
	return (tsc_h2_req_append(req, data, len) == 0 ? 0 :
	    NGHTTP2_ERR_CALLBACK_FAILURE);
}

static int
tsc_h2_on_close(nghttp2_session *ng, int32_t id, uint32_t error_code,
    void *arg)
{
	struct tsc_h2req	*req;

	if ((req = nghttp2_session_get_stream_user_data(ng, id)) == NULL)
		return (0);
	req->done = 1;
	req->error = error_code;
	return (0);
}

static ssize_t
tsc_h2_read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
    uint32_t *data_flags, nghttp2_data_source *source, void *arg)
{
	struct tsc_h2req	*req = source->ptr;
	size_t			 n;

	n = MIN(len, req->bodylen - req->bodyoff);
	memcpy(buf, req->body + req->bodyoff, n);
	req->bodyoff += n;
	if (req->bodyoff == req->bodylen)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (n);
}

/* An HTTP/2 client session on the established Noise transport. */
int
tsc_h2_start(struct tsc *t)
{
	nghttp2_session_callbacks	*cbs;
	nghttp2_settings_entry		 iv;
	int				 r;

	if (t->h2 != NULL)
		return (0);
	if (nghttp2_session_callbacks_new(&cbs) != 0) {
		snprintf(t->err, sizeof(t->err), "out of memory");
		return (-1);
	}
	nghttp2_session_callbacks_set_on_header_callback(cbs,
	    tsc_h2_on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
	    tsc_h2_on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
	    tsc_h2_on_close);
	r = nghttp2_session_client_new(&t->h2, cbs, t);
	nghttp2_session_callbacks_del(cbs);
	iv.settings_id = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
	iv.value = t->h2window;
	if (r != 0 || nghttp2_submit_settings(t->h2, NGHTTP2_FLAG_NONE, &iv,
	    t->h2window > 0 ? 1 : 0) != 0 || (t->h2window > 0 &&
	    nghttp2_session_set_local_window_size(t->h2, NGHTTP2_FLAG_NONE, 0,
	    t->h2window) != 0)) {
		snprintf(t->err, sizeof(t->err), "nghttp2: %s",
		    nghttp2_strerror(r));
		return (-1);
	}
	return (0);
}

int
tsc_h2_submit(struct tsc *t, struct tsc_h2req *req)
{
	nghttp2_data_provider	 prd;
	nghttp2_nv		 nva[4];
	char			 authority[300];
	size_t			 i;

	if (tsc_h2_start(t) == -1)
		return (-1);
	snprintf(authority, sizeof(authority), "%s:%s", t->host, t->port);
	nva[0].name = (uint8_t *)":method";
	nva[0].value = (uint8_t *)req->method;
	nva[1].name = (uint8_t *)":scheme";
	nva[1].value = (uint8_t *)"https";
	nva[2].name = (uint8_t *)":authority";
	nva[2].value = (uint8_t *)authority;
	nva[3].name = (uint8_t *)":path";
	nva[3].value = (uint8_t *)req->path;
	for (i = 0; i < 4; i++) {
		nva[i].namelen = strlen((char *)nva[i].name);
		nva[i].valuelen = strlen((char *)nva[i].value);
		nva[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	req->bodyoff = 0;
	req->status = 0;
	req->done = 0;
	req->error = 0;
	req->outlen = 0;
	prd.source.ptr = req;
	prd.read_callback = tsc_h2_read_body;
	if ((req->id = nghttp2_submit_request(t->h2, NULL, nva, 4,
	    req->body != NULL ? &prd : NULL, req)) < 0) {
		snprintf(t->err, sizeof(t->err), "submit: %s",
		    nghttp2_strerror(req->id));
		return (-1);
	}
	return (0);
}

void
tsc_h2_req_free(struct tsc_h2req *req)
{
	free(req->out);
	req->out = NULL;
	req->outlen = req->outcap = 0;
}

/* Send whatever nghttp2 has, in full Noise records where possible. */
static int
tsc_h2_send(struct tsc *t)
{
	const uint8_t	*data;
	uint8_t		 pt[NOISE_REC_MAXPT];
	size_t		 ptlen = 0, n;
	ssize_t		 len;

	for (;;) {
		if ((len = nghttp2_session_mem_send(t->h2, &data)) < 0) {
			snprintf(t->err, sizeof(t->err), "nghttp2 send: %s",
			    nghttp2_strerror((int)len));
			return (-1);
		}
		if (len == 0)
			break;
		while (len > 0) {
			n = MIN((size_t)len, sizeof(pt) - ptlen);
			memcpy(pt + ptlen, data, n);
			ptlen += n;
			data += n;
			len -= n;
			if (ptlen == sizeof(pt)) {
				if (tsc_send(t, pt, ptlen) == -1)
					return (-1);
				ptlen = 0;
			}
		}
	}
	if (ptlen > 0 && tsc_send(t, pt, ptlen) == -1)
		return (-1);
	return (0);
}

/* Open the whole records in rbuf and feed them to nghttp2. */
static int
tsc_h2_records(struct tsc *t, int *nrec)
{
	uint8_t		 pt[NOISE_REC_MAXPT];
	size_t		 reclen, ptlen;
	ssize_t		 r;
	const char	*err = NULL;
	int		 lr;

	*nrec = 0;
	for (;;) {
		if ((lr = noise_record_len(t->rbuf, t->rlen, &reclen,
		    &err)) == -1) {
			snprintf(t->err, sizeof(t->err), "record: %s", err);
			return (-1);
		}
		if (lr == 0 || reclen > t->rlen)
			return (0);
		if (noise_transport_open(&t->nt, t->rbuf, reclen, pt,
		    sizeof(pt), &ptlen) != NOISE_OK) {
			snprintf(t->err, sizeof(t->err), "open: %s",
			    t->nt.nt_errstr);
			return (-1);
		}
		memmove(t->rbuf, t->rbuf + reclen, t->rlen - reclen);
		t->rlen -= reclen;
		(*nrec)++;
		if ((r = nghttp2_session_mem_recv(t->h2, pt, ptlen)) < 0) {
			/* An ondata's own words say more than nghttp2's. */
			if (!t->h2cbfail)
				snprintf(t->err, sizeof(t->err),
				    "nghttp2 recv: %s",
				    nghttp2_strerror((int)r));
			return (-1);
		}
	}
}

/*
 * Run the session until every one of the requests is done, or with
 * headers only, until each has its status.
 */
static int
tsc_h2_run(struct tsc *t, struct tsc_h2req *reqs, size_t nreqs,
    int headers)
{
	size_t	i;
	ssize_t	n;
	int	nrec;

	if (tsc_h2_start(t) == -1)
		return (-1);
	for (;;) {
		if (tsc_h2_send(t) == -1)
			return (-1);
		for (i = 0; i < nreqs && (reqs[i].done ||
		    (headers && reqs[i].status != 0)); i++)
			;
		if (i == nreqs)
			return (0);
		if (!nghttp2_session_want_read(t->h2) &&
		    !nghttp2_session_want_write(t->h2)) {
			snprintf(t->err, sizeof(t->err), "HTTP/2 session over");
			return (-1);
		}
		if (tsc_h2_records(t, &nrec) == -1)
			return (-1);
		if (nrec > 0)
			continue;
		if ((n = tsc_fill(t)) <= 0) {
			if (n == 0)
				snprintf(t->err, sizeof(t->err),
				    "connection closed");
			return (-1);
		}
	}
}

int
tsc_h2_wait(struct tsc *t, struct tsc_h2req *reqs, size_t nreqs)
{
	return (tsc_h2_run(t, reqs, nreqs, 0));
}

int
tsc_h2_wait_status(struct tsc *t, struct tsc_h2req *req)
{
	return (tsc_h2_run(t, req, 1, 1));
}

/*
 * One turn of a caller's own loop: send what nghttp2 has, wait up to
 * timeout_ms for the server, and take in all it sent.  0 after data or
 * a timeout alike, so the caller checks its requests and deadlines;
 * -1 when the connection or the session is over.
 */
int
tsc_h2_pump(struct tsc *t, int timeout_ms)
{
	struct pollfd	pfd;
	ssize_t		n;
	int		nrec, r;

	if (tsc_h2_start(t) == -1 || tsc_h2_send(t) == -1)
		return (-1);
	if (!nghttp2_session_want_read(t->h2) &&
	    !nghttp2_session_want_write(t->h2)) {
		snprintf(t->err, sizeof(t->err), "HTTP/2 session over");
		return (-1);
	}
	/* Records left over from the handshake or an earlier wait. */
	if (tsc_h2_records(t, &nrec) == -1)
		return (-1);
	if (nrec > 0)
		return (tsc_h2_send(t));
	pfd.fd = t->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (t->wson && t->wsrawlen > 0)
		r = 1;
	else if ((r = poll(&pfd, 1, timeout_ms)) == -1 && errno != EINTR) {
		snprintf(t->err, sizeof(t->err), "poll: %s", strerror(errno));
		return (-1);
	}
	if (r <= 0)
		return (0);
	if ((n = tsc_read_more(t)) <= 0) {
		if (n == 0)
			snprintf(t->err, sizeof(t->err), "connection closed");
		return (-1);
	}
	if (tsc_h2_records(t, &nrec) == -1)
		return (-1);
	return (tsc_h2_send(t));
}

/* Cancel a request: RST_STREAM, sent at once. */
int
tsc_h2_reset(struct tsc *t, struct tsc_h2req *req)
{
	int	r;

	if ((r = nghttp2_submit_rst_stream(t->h2, NGHTTP2_FLAG_NONE, req->id,
	    NGHTTP2_CANCEL)) != 0) {
		snprintf(t->err, sizeof(t->err), "reset: %s",
		    nghttp2_strerror(r));
		return (-1);
	}
	return (tsc_h2_send(t));
}

/*
 * One request on the connection's HTTP/2 session.  out gets up to
 * *outlen - 1 bytes of the body, NUL-terminated; *outlen becomes the
 * length of the whole body.
 */
int
tsc_h2_request(struct tsc *t, const char *method, const char *path,
    const void *body, size_t bodylen, int *status, char *out,
    size_t *outlen)
{
	struct tsc_h2req	 req;
	size_t			 n;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.body = body;
	req.bodylen = bodylen;
	if (tsc_h2_submit(t, &req) == -1 || tsc_h2_wait(t, &req, 1) == -1) {
		tsc_h2_req_free(&req);
		return (-1);
	}
	*status = req.status;
	if (*outlen > 0) {
		n = MIN(req.outlen, *outlen - 1);
		if (n > 0)
			memcpy(out, req.out, n);
		out[n] = '\0';
	}
	*outlen = req.outlen;
	tsc_h2_req_free(&req);
	if (req.status == 0) {
		snprintf(t->err, sizeof(t->err), "stream %d reset: %s", req.id,
		    nghttp2_http2_strerror(req.error));
		return (-1);
	}
	return (0);
}

/*
 * POST /machine/register for nodekey: with authkey ("" for none: a
 * restarted node's refresh) and an Expiry ("0001-01-01T00:00:00Z" for
 * none; a past one logs out).  The answer as in tsc_h2_request().
 */
int
tsc_register(struct tsc *t, const char *nodekey, const char *authkey,
    const char *hostname, const char *expiry, int *status, char *out,
    size_t *outlen)
{
	return (tsc_register_full(t, nodekey, NULL, authkey, hostname, expiry,
	    NULL, status, out, outlen));
}

/*
 * The same with OldNodeKey (NULL: the zero key) and Followup (NULL:
 * none), for key rotation and interactive registration.
 */
int
tsc_register_full(struct tsc *t, const char *nodekey, const char *oldkey,
    const char *authkey, const char *hostname, const char *expiry,
    const char *followup, int *status, char *out, size_t *outlen)
{
	char	req[4096], zero[8 + 64 + 1];
	int	n, rv;

	snprintf(zero, sizeof(zero), "nodekey:%064d", 0);
	n = snprintf(req, sizeof(req), "{\"Version\":%d,\"NodeKey\":\"%s\","
	    "\"OldNodeKey\":\"%s\",%s%s%s"
	    "\"Expiry\":\"%s\",\"Followup\":\"%s\","
	    "\"Hostinfo\":{\"Hostname\":\"%s\",\"OS\":\"linux\"}}",
	    TSC_CAPVER, nodekey, oldkey != NULL ? oldkey : zero,
	    authkey[0] != '\0' ? "\"Auth\":{\"AuthKey\":\"" : "", authkey,
	    authkey[0] != '\0' ? "\"}," : "", expiry,
	    followup != NULL ? followup : "", hostname);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		snprintf(t->err, sizeof(t->err), "register request too long");
		return (-1);
	}
	rv = tsc_h2_request(t, "POST", "/machine/register", req, n, status,
	    out, outlen);
	sodium_memzero(req, sizeof(req));
	return (rv);
}
