/*
 * One node's connection, driven by libevent: GET /key, the /ts2021
 * upgrade, the Noise response, then an nghttp2 client session whose
 * bytes travel in Noise records.  Nothing here blocks.
 */
#include <sys/types.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <nghttp2/nghttp2.h>
#include <sodium.h>

#include "loadgen.h"

#define LG_WINDOW	(4 * 1024 * 1024)	/* per stream, as Go does */
#define LG_CONNWINDOW	(1 << 30)		/* per connection */
#define LG_ANSMAX	4096			/* register answer kept */
#define LG_EARLYHDR	9		/* "\xff\xff\xffTS" + u32 BE length */
#define LG_EARLYMAX	(10 * 1024 * 1024)

static nghttp2_session_callbacks	*lg_cbs;

static void	lg_conn_read(struct bufferevent *, void *);
static void	lg_conn_event(struct bufferevent *, short, void *);

/*
 * A non-blocking socket, bound to a loopback source of the node's own
 * when the server is local: the server limits handshakes per source.
 */
static int
lg_socket(struct lg_node *n)
{
	struct sockaddr_in	src;
	int			fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	/* As Go's net package does for every TCP connection. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (!lg.bindsrc)
		return (fd);
	/* Leave the port to connect(): every source has its own range. */
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f010000 | (n->idx & 0xffff));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Silence for this long fails the node, as it would fail tailscaled. */
static void
lg_timeout(struct lg_node *n, int secs)
{
	struct timeval	tv = { secs, 0 };

	bufferevent_set_timeouts(n->bev, &tv, NULL);
}

static int
lg_open(struct lg_node *n, const char *req, size_t len)
{
	int	fd;

	if ((fd = lg_socket(n)) == -1)
		return (-1);
	if ((n->bev = bufferevent_socket_new(lg.base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		return (-1);
	}
	bufferevent_setcb(n->bev, lg_conn_read, NULL, lg_conn_event, n);
	lg_timeout(n, LG_HS_TIMEOUT);
	if (bufferevent_enable(n->bev, EV_READ) == -1 ||
	    bufferevent_write(n->bev, req, len) == -1 ||
	    bufferevent_socket_connect(n->bev, (struct sockaddr *)&lg.sin,
	    sizeof(lg.sin)) == -1) {
		bufferevent_free(n->bev);
		n->bev = NULL;
		return (-1);
	}
	return (0);
}

static void
lg_req_clear(struct lg_req *r)
{
	free(r->body);
	free(r->ans);
	memset(r, 0, sizeof(*r));
}

void
lg_conn_close(struct lg_node *n)
{
	int	i;

	if (n->h2 != NULL)
		nghttp2_session_del(n->h2);
	n->h2 = NULL;
	if (n->bev != NULL)
		bufferevent_free(n->bev);
	n->bev = NULL;
	for (i = 0; i < LG_NREQ; i++)
		lg_req_clear(&n->req[i]);
	noise_hs_clear(&n->hs);
	noise_transport_clear(&n->nt);
	n->earlylen = n->earlyskip = 0;
	n->earlymagic = n->h2on = 0;
	n->meshing = 0;
	n->mgot = 0;
	n->dead = LG_FAIL_NONE;
	n->state = LG_IDLE;
	if (n->view != NULL)
		lg_view_reset(n->view);
}

/* The /ts2021 upgrade on a new connection, the initiation in a header. */
static int
lg_upgrade(struct lg_node *n)
{
	uint8_t	init[NOISE_INIT_LEN];
	char	b64[256], req[1024];
	size_t	len;
	int	rn;

	if (noise_init_start(&n->hs, n->keys.machine_priv,
	    n->keys.machine_pub, lg.server_pub, lg.capver) != NOISE_OK ||
	    noise_init_write_init(&n->hs, init, sizeof(init), &len) !=
	    NOISE_OK)
		return (-1);
	sodium_bin2base64(b64, sizeof(b64), init, len,
	    sodium_base64_VARIANT_ORIGINAL);
	rn = snprintf(req, sizeof(req), "POST /ts2021 HTTP/1.1\r\n"
	    "Host: %s:%s\r\nUser-Agent: coordd-loadgen\r\n"
	    "Upgrade: tailscale-control-protocol\r\nConnection: upgrade\r\n"
	    "X-Tailscale-Handshake: %s\r\nContent-Length: 0\r\n\r\n",
	    lg.host, lg.port, b64);
	n->state = LG_UPGRADE;
	return (lg_open(n, req, rn));
}

void
lg_conn_start(struct lg_node *n)
{
	char	req[512];
	int	rn;

	lg_conn_close(n);
	if (!n->inflight) {
		n->inflight = 1;
		lg.inflight++;
	}
	if (lg.t0 == 0)
		lg.t0 = lg_now();
	/* Each node asks for the key once, as each tailscaled does. */
	if (n->haskey) {
		if (lg_upgrade(n) == -1)
			lg_node_failed(n, LG_FAIL_HS);
		return;
	}
	rn = snprintf(req, sizeof(req), "GET /key?v=%d HTTP/1.1\r\n"
	    "Host: %s:%s\r\nUser-Agent: coordd-loadgen\r\n"
	    "Connection: close\r\n\r\n", lg.capver, lg.host, lg.port);
	n->state = LG_KEY;
	if (lg_open(n, req, rn) == -1)
		lg_node_failed(n, LG_FAIL_HS);
}

static int
lg_parse_key(struct lg_node *n)
{
	struct evbuffer	*in = bufferevent_get_input(n->bev);
	uint8_t		 pub[NOISE_KEYLEN];
	const char	*body, *k;
	char		*s;
	json_t		*doc;
	size_t		 len, binlen;
	int		 rv = -1;

	len = evbuffer_get_length(in);
	if ((s = (char *)evbuffer_pullup(in, len)) == NULL ||
	    strncmp(s, "HTTP/1.1 200", 12) != 0 ||
	    (body = memmem(s, len, "\r\n\r\n", 4)) == NULL)
		return (-1);
	body += 4;
	if ((doc = json_loadb(body, len - (body - s), 0, NULL)) == NULL)
		return (-1);
	k = json_string_value(json_object_get(doc, "publicKey"));
	if (k != NULL && strncmp(k, "mkey:", 5) == 0 && strlen(k) == 69 &&
	    sodium_hex2bin(pub, sizeof(pub), k + 5, 64, NULL, &binlen,
	    NULL) == 0 && binlen == sizeof(pub)) {
		/* One server, one key: a change mid-run is worth a failure. */
		if (!lg.havekey) {
			memcpy(lg.server_pub, pub, sizeof(pub));
			lg.havekey = 1;
		}
		rv = memcmp(pub, lg.server_pub, sizeof(pub)) == 0 ? 0 : -1;
	}
	json_decref(doc);
	return (rv);
}

static void
lg_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct lg_node	*n = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		lg.timeouts++;
	if (n->state == LG_KEY && (what & BEV_EVENT_EOF)) {
		if (lg_parse_key(n) == -1) {
			lg_node_failed(n, LG_FAIL_HS);
			return;
		}
		bufferevent_free(n->bev);
		n->bev = NULL;
		n->haskey = 1;
		if (lg_upgrade(n) == -1)
			lg_node_failed(n, LG_FAIL_HS);
		return;
	}
	if (lg.verbose > 1)
		warnx("node %d: connection %s in state %d", n->idx,
		    (what & BEV_EVENT_EOF) ? "closed" : "failed", n->state);
	lg_node_failed(n, n->state >= LG_REGISTER ? LG_FAIL_DROP :
	    LG_FAIL_HS);
}

static int
lg_seal(struct lg_node *n, const uint8_t *pt, size_t len)
{
	uint8_t	rec[NOISE_REC_MAX];
	size_t	reclen;

	if (noise_transport_seal(&n->nt, pt, len, rec, sizeof(rec),
	    &reclen) != NOISE_OK)
		return (-1);
	return (bufferevent_write(n->bev, rec, reclen));
}

/* Everything nghttp2 wants to send, in full records where it can. */
static int
lg_h2_flush(struct lg_node *n)
{
	const uint8_t	*data;
	uint8_t		 pt[NOISE_REC_MAXPT];
	size_t		 ptlen = 0, k;
	ssize_t		 len;

	while ((len = nghttp2_session_mem_send(n->h2, &data)) > 0) {
		while (len > 0) {
			k = MIN((size_t)len, sizeof(pt) - ptlen);
			memcpy(pt + ptlen, data, k);
			ptlen += k;
			data += k;
			len -= k;
			if (ptlen == sizeof(pt)) {
				if (lg_seal(n, pt, ptlen) == -1)
					return (-1);
				ptlen = 0;
			}
		}
	}
	if (len < 0)
		return (-1);
	return (ptlen > 0 ? lg_seal(n, pt, ptlen) : 0);
}

/*
 * Inside nghttp2's callbacks the session must live on: note the
 * failure, and the reader acts on it once nghttp2 has returned.
 */
static void
lg_defer_fail(struct lg_node *n, enum lg_fail why)
{
	if (n->dead == LG_FAIL_NONE)
		n->dead = why;
}

static ssize_t
lg_h2_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct lg_req	*r = src->ptr;
	size_t		 k;

	k = MIN(len, r->len - r->off);
	memcpy(buf, r->body + r->off, k);
	r->off += k;
	if (r->off == r->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (k);
}

/* POST path with the request's body; the stream points back at it. */
static int
lg_h2_post(struct lg_node *n, enum lg_kind kind, const char *path)
{
	struct lg_req		*r = &n->req[kind];
	nghttp2_data_provider	 prd;
	nghttp2_nv		 nv[5];
	char			 lb[TSMAP_KEYTEXT];
	const char		*names[5] = { ":method", ":scheme",
				    ":authority", ":path", "ts-lb" };
	const char		*vals[5];
	size_t			 i;

	tsmap_key_text(lb, sizeof(lb), "nodekey", n->keys.node_pub);
	vals[0] = "POST";
	vals[1] = "https";
	vals[2] = lg.host;
	vals[3] = path;
	vals[4] = lb;
	for (i = 0; i < 5; i++) {
		nv[i].name = (uint8_t *)names[i];
		nv[i].namelen = strlen(names[i]);
		nv[i].value = (uint8_t *)vals[i];
		nv[i].valuelen = strlen(vals[i]);
		nv[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	r->len = strlen(r->body);
	r->off = 0;
	r->status = 0;
	r->sent = lg_now();
	prd.source.ptr = r;
	prd.read_callback = lg_h2_body;
	if ((r->sid = nghttp2_submit_request(n->h2, NULL, nv, 5, &prd, r)) <
	    0) {
		r->sid = 0;
		return (-1);
	}
	return (0);
}

static int
lg_register(struct lg_node *n)
{
	struct lg_req	*r = &n->req[LG_REQ_REGISTER];
	char		 nk[TSMAP_KEYTEXT], auth[512];
	int		 sendauth;

	tsmap_key_text(nk, sizeof(nk), "nodekey", n->keys.node_pub);
	/* -R: nodes we have seen before come back as restarted clients. */
	sendauth = lg.authkey != NULL && !(lg.restart && n->known);
	if (sendauth)
		snprintf(auth, sizeof(auth), "\"Auth\":{\"AuthKey\":\"%s\"},",
		    lg.authkey);
	else
		auth[0] = '\0';
	if (asprintf(&r->body, "{\"Version\":%d,\"NodeKey\":\"%s\","
	    "\"OldNodeKey\":\"nodekey:%064d\",%s"
	    "\"Expiry\":\"0001-01-01T00:00:00Z\",\"Followup\":\"\","
	    "\"Hostinfo\":{\"Hostname\":\"load-%d\",\"OS\":\"linux\"}}",
	    lg.capver, nk, 0, auth, n->idx) == -1) {
		r->body = NULL;
		return (-1);
	}
	if ((r->ans = malloc(LG_ANSMAX + 1)) == NULL)
		return (-1);
	r->anslen = 0;
	return (lg_h2_post(n, LG_REQ_REGISTER, "/machine/register"));
}

/* A made-up endpoint from the index, or a change's: port = change id. */
static int
lg_map(struct lg_node *n, int stream, uint16_t cid)
{
	struct tsmap_params	 p;
	enum lg_kind		 kind = stream ? LG_REQ_MAP : LG_REQ_LITE;
	char			 nk[TSMAP_KEYTEXT], dk[TSMAP_KEYTEXT];
	char			 host[32], ep[32];

	tsmap_key_text(nk, sizeof(nk), "nodekey", n->keys.node_pub);
	tsmap_key_text(dk, sizeof(dk), "discokey", n->keys.disco_pub);
	snprintf(host, sizeof(host), "load-%d", n->idx);
	if (stream)
		snprintf(ep, sizeof(ep), "127.0.0.1:%d",
		    10000 + n->idx % 50000);
	else
		snprintf(ep, sizeof(ep), "%s:%u", LG_CHANGE_EP, cid);
	memset(&p, 0, sizeof(p));
	p.capver = lg.capver;
	p.nodekey = nk;
	p.discokey = dk;
	p.hostname = host;
	p.endpoints[0] = ep;
	p.nendpoints = 1;
	p.stream = stream;
	free(n->req[kind].body);
	if ((n->req[kind].body = tsmap_request(&p)) == NULL)
		return (-1);
	return (lg_h2_post(n, kind, "/machine/map"));
}

/* A lite update on its own stream of the node's connection. */
int
lg_conn_lite(struct lg_node *n, uint16_t cid)
{
	if (n->state != LG_MAPPING || n->req[LG_REQ_LITE].sid != 0)
		return (-1);
	if (lg_map(n, 0, cid) == -1 || lg_h2_flush(n) == -1) {
		lg_node_failed(n, LG_FAIL_DROP);
		return (-1);
	}
	return (0);
}

static int
lg_h2_on_header(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *arg)
{
	struct lg_node	*n = arg;
	struct lg_req	*r;
	char		 buf[8];

	if (frame->hd.type != NGHTTP2_HEADERS || namelen != 7 ||
	    memcmp(name, ":status", 7) != 0 || valuelen >= sizeof(buf) ||
	    (r = nghttp2_session_get_stream_user_data(ng,
	    frame->hd.stream_id)) == NULL)
		return (0);
	memcpy(buf, value, valuelen);
	buf[valuelen] = '\0';
	r->status = atoi(buf);
	if (r == &n->req[LG_REQ_MAP] && r->status == 200)
		n->meshing = 1;
	return (0);
}

static uint32_t
lg_le32(const uint8_t *p)
{
	return ((uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0]);
}

/*
 * The first frame of a map stream (u32 little-endian length, then
 * zstd) is the node's full map: it has its map once all of it is in.
 */
static void
lg_firstmap(struct lg_node *n, const uint8_t *data, size_t len)
{
	size_t	k;

	if (n->hasmap)
		return;
	if (n->mgot < sizeof(n->mhdr)) {
		k = MIN(len, sizeof(n->mhdr) - n->mgot);
		memcpy(n->mhdr + n->mgot, data, k);
		n->mgot += k;
		len -= k;
		if (n->mgot < sizeof(n->mhdr))
			return;
	}
	k = lg_le32(n->mhdr);
	n->mgot += MIN(len, k + sizeof(n->mhdr) - n->mgot);
	if (n->mgot == k + sizeof(n->mhdr))
		lg_node_hasmap(n);
}

/*
 * Only sample nodes decode their maps; the rest drop the bytes, and
 * nghttp2 still opens the window again for them.
 */
static int
lg_h2_on_data(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *arg)
{
	struct lg_node	*n = arg;
	struct lg_req	*r;
	size_t		 k;

	lg.rxbytes += len;
	if ((r = nghttp2_session_get_stream_user_data(ng, id)) == NULL)
		return (0);
	if (r == &n->req[LG_REQ_MAP] && r->status == 200)
		lg_firstmap(n, data, len);
	if (r == &n->req[LG_REQ_MAP] && r->status == 200 && n->view != NULL)
		return (lg_view_feed(n->view, data, len) == 0 ? 0 :
		    NGHTTP2_ERR_CALLBACK_FAILURE);
	if (r->ans != NULL) {
		k = MIN(len, LG_ANSMAX - r->anslen);
		memcpy(r->ans + r->anslen, data, k);
		r->anslen += k;
	}
	return (0);
}

static void
lg_registered(struct lg_node *n, struct lg_req *r)
{
	r->ans[r->anslen] = '\0';
	/* A refused key is a 200 with Error; success says authorized. */
	if (r->status != 200 ||
	    strstr(r->ans, "\"MachineAuthorized\":true") == NULL) {
		if (lg.verbose)
			warnx("node %d: register %d %.200s", n->idx, r->status,
			    r->ans);
		lg_defer_fail(n, LG_FAIL_REG);
		return;
	}
	if (!n->registered) {
		n->registered = 1;
		lg.nregistered++;
		lg.regdone = lg_now();
	}
	lg_req_clear(r);
	n->state = LG_MAPPING;
	lg_node_up(n);
	if (lg_map(n, 1, 0) == -1)
		lg_defer_fail(n, LG_FAIL_MAP);
}

static int
lg_h2_on_close(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
	struct lg_node	*n = arg;
	struct lg_req	*r;

	if ((r = nghttp2_session_get_stream_user_data(ng, id)) == NULL)
		return (0);
	if (r == &n->req[LG_REQ_REGISTER])
		lg_registered(n, r);
	else if (r == &n->req[LG_REQ_LITE]) {
		if (r->status != 200)
			lg.litefail++;
		lg_req_clear(r);
	} else {
		/* The stream never ends by itself: count it, come back. */
		lg_defer_fail(n, r->status == 200 ? LG_FAIL_DROP :
		    LG_FAIL_MAP);
	}
	return (0);
}

static int
lg_h2_start(struct lg_node *n)
{
	nghttp2_settings_entry	iv[2];

	if (lg_cbs == NULL) {
		if (nghttp2_session_callbacks_new(&lg_cbs) != 0)
			return (-1);
		nghttp2_session_callbacks_set_on_header_callback(lg_cbs,
		    lg_h2_on_header);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
		    lg_cbs, lg_h2_on_data);
		nghttp2_session_callbacks_set_on_stream_close_callback(lg_cbs,
		    lg_h2_on_close);
	}
	if (nghttp2_session_client_new(&n->h2, lg_cbs, n) != 0)
		return (-1);
	iv[0].settings_id = NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE;
	iv[0].value = LG_WINDOW;
	iv[1].settings_id = NGHTTP2_SETTINGS_ENABLE_PUSH;
	iv[1].value = 0;
	if (nghttp2_submit_settings(n->h2, NGHTTP2_FLAG_NONE, iv, 2) != 0 ||
	    nghttp2_session_set_local_window_size(n->h2, NGHTTP2_FLAG_NONE, 0,
	    LG_CONNWINDOW) != 0)
		return (-1);
	return (0);
}

static uint32_t
lg_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/*
 * Plaintext from the server: an optional early payload (headscale
 * sends one), then HTTP/2.  The first 9 bytes tell which.
 */
static int
lg_plain(struct lg_node *n, const uint8_t *p, size_t len)
{
	size_t	k;

	while (len > 0 && !n->h2on) {
		if (n->earlymagic) {
			k = MIN(len, n->earlyskip);
			p += k;
			len -= k;
			n->earlyskip -= k;
			if (n->earlyskip == 0)
				n->h2on = 1;
			continue;
		}
		k = MIN(len, LG_EARLYHDR - n->earlylen);
		memcpy(n->early + n->earlylen, p, k);
		n->earlylen += k;
		p += k;
		len -= k;
		if (n->earlylen < LG_EARLYHDR)
			return (0);
		if (memcmp(n->early, "\xff\xff\xffTS", 5) == 0) {
			n->earlymagic = 1;
			n->earlyskip = lg_be32(n->early + 5);
			if (n->earlyskip > LG_EARLYMAX)
				return (-1);
			n->h2on = n->earlyskip == 0;
		} else {
			n->h2on = 1;
			if (nghttp2_session_mem_recv(n->h2, n->early,
			    n->earlylen) < 0)
				return (-1);
		}
	}
	if (len > 0 && nghttp2_session_mem_recv(n->h2, p, len) < 0)
		return (-1);
	return (0);
}

/* Whole records out of the input; a partial one waits for more. */
static int
lg_records(struct lg_node *n)
{
	struct evbuffer	*in = bufferevent_get_input(n->bev);
	uint8_t		 hdr[NOISE_REC_HDRLEN], rec[NOISE_REC_MAX];
	uint8_t		 pt[NOISE_REC_MAXPT];
	size_t		 reclen, ptlen;
	const char	*err;

	while (n->bev != NULL && evbuffer_copyout(in, hdr, sizeof(hdr)) ==
	    sizeof(hdr)) {
		if (noise_record_len(hdr, sizeof(hdr), &reclen, &err) != 1)
			return (-1);
		if (evbuffer_get_length(in) < reclen)
			break;
		evbuffer_remove(in, rec, reclen);
		if (noise_transport_open(&n->nt, rec, reclen, pt, sizeof(pt),
		    &ptlen) != NOISE_OK || lg_plain(n, pt, ptlen) == -1)
			return (-1);
		if (n->dead != LG_FAIL_NONE)
			return (0);
	}
	return (lg_h2_flush(n));
}

/* The 101 head, then the 51-byte Noise response. */
static int
lg_handshake(struct lg_node *n)
{
	struct evbuffer		*in = bufferevent_get_input(n->bev);
	struct evbuffer_ptr	 end;
	uint8_t			 resp[NOISE_RESP_LEN];
	char			 head[16];

	if (n->state == LG_UPGRADE) {
		end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
		if (end.pos == -1)
			return (evbuffer_get_length(in) > 8192 ? -1 : 0);
		if (evbuffer_copyout(in, head, 12) != 12 ||
		    memcmp(head, "HTTP/1.1 101", 12) != 0) {
			if (lg.verbose > 1)
				warnx("node %d: upgrade refused: %.12s",
				    n->idx, head);
			return (-1);
		}
		evbuffer_drain(in, end.pos + 4);
		n->state = LG_NOISE;
	}
	if (evbuffer_get_length(in) < NOISE_RESP_LEN)
		return (0);
	evbuffer_remove(in, resp, sizeof(resp));
	if (noise_init_read_response(&n->hs, resp, sizeof(resp)) !=
	    NOISE_OK || noise_split(&n->hs, &n->nt) != NOISE_OK)
		return (-1);
	noise_hs_clear(&n->hs);
	n->state = LG_REGISTER;
	lg_timeout(n, LG_MAP_TIMEOUT);
	lg_server_up();
	if (lg_h2_start(n) == -1 || lg_register(n) == -1)
		return (-1);
	return (0);
}

static void
lg_conn_read(struct bufferevent *bev, void *arg)
{
	struct lg_node	*n = arg;

	switch (n->state) {
	case LG_KEY:
		return;		/* all of it at the close */
	case LG_UPGRADE:
	case LG_NOISE:
		if (lg_handshake(n) == -1) {
			lg_node_failed(n, LG_FAIL_HS);
			return;
		}
		if (n->state != LG_REGISTER)
			return;
		break;
	default:
		break;
	}
	if (lg_records(n) == -1 && n->dead == LG_FAIL_NONE)
		n->dead = n->state == LG_REGISTER ? LG_FAIL_REG : LG_FAIL_DROP;
	if (n->dead != LG_FAIL_NONE)
		lg_node_failed(n, n->dead);
}

/*
 * Drop every connection and open them all again through the ramp, as
 * after a server restart: the reconnect storm's first half.
 */
void
lg_reconnect_all(void)
{
	int	i;

	for (i = 0; i < lg.n; i++) {
		lg_conn_close(&lg.nodes[i]);
		if (lg.nodes[i].inflight) {
			lg.nodes[i].inflight = 0;
			lg.inflight--;
		}
	}
	lg.next = 0;
}
