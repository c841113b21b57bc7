/*
 * The embedded DERP relay.  A client gets the ServerKey frame, sends
 * ClientInfo boxed to our DERP key, and, once stored has given us the
 * box key of its node key, gets ServerInfo and may send packets to any
 * node key connected here.  A slow receiver loses packets, it never
 * slows anyone else down: every write checks the receiver's queue.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event.h>
#include <event2/listener.h>
#include <sodium.h>

#include "config.h"
#include "coordinator.h"
#include "derp.h"
#include "http.h"
#include "log.h"

#include "store.pb-c.h"

#define DERP_KEYHEX_LEN		(2 * DERP_KEY_LEN)
#define DERP_SERVER_INFO_JSON	"{\"version\":2}"

enum derp_cstate {
	DC_WAIT_INFO,		/* ServerKey sent, ClientInfo due */
	DC_WAIT_KEY,		/* stored is asked for the box key */
	DC_ACTIVE,		/* logged in */
	DC_CLOSING,		/* flushing a last answer */
};

struct derp_client {
	RB_ENTRY(derp_client)	 id_entry;
	RB_ENTRY(derp_client)	 key_entry;
	struct derp_server	*srv;
	uint64_t		 id;
	struct bufferevent	*bev;
	char			 peer[64];
	enum derp_cstate	 state;
	int			 registered;	/* in the key tree */
	uint8_t			 key[DERP_KEY_LEN];
	char			 hex[DERP_KEYHEX_LEN + 1];
	uint8_t			*info;		/* ClientInfo until the key */
	size_t			 infolen;
	struct event		 timer;		/* login deadline, keep-alive */
	uint8_t			 senders[DERP_SENDERS_MAX][DERP_KEY_LEN];
	size_t			 nsenders;
	size_t			 nextsender;
	time_t			 gone_sec;
	int			 gone_count;
	uint64_t		 drops;
	int			 preferred;	/* NotePreferred said home */
};
RB_HEAD(derp_ids, derp_client);
RB_HEAD(derp_keys, derp_client);

struct derp_server {
	struct coord		*coord;
	uint8_t			 pub[DERP_KEY_LEN];
	int			 ready;
	uint64_t		 next_id;
	struct derp_ids		 ids;		/* every connection */
	struct derp_keys	 keys;		/* logged-in clients */
	struct derp_stats	 stats;
	derp_boxkey_fn		 boxkey_fn;
	struct evconnlistener	*test_listener;
};

static int	derp_id_cmp(struct derp_client *, struct derp_client *);
static int	derp_key_cmp(struct derp_client *, struct derp_client *);

static int
derp_id_cmp(struct derp_client *a, struct derp_client *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

static int
derp_key_cmp(struct derp_client *a, struct derp_client *b)
{
	return (memcmp(a->key, b->key, DERP_KEY_LEN));
}

RB_PROTOTYPE(derp_ids, derp_client, id_entry, derp_id_cmp);
RB_PROTOTYPE(derp_keys, derp_client, key_entry, derp_key_cmp);
RB_GENERATE(derp_ids, derp_client, id_entry, derp_id_cmp);
RB_GENERATE(derp_keys, derp_client, key_entry, derp_key_cmp);

static void	derp_input(struct derp_client *);
static int	derp_store_boxkey(struct derp_server *, const uint8_t *,
		    uint64_t);

static struct derp_client *
derp_find_key(struct derp_server *srv, const uint8_t *key)
{
	struct derp_client	k;

	memcpy(k.key, key, DERP_KEY_LEN);
	return (RB_FIND(derp_keys, &srv->keys, &k));
}

/* Tell the senders that wrote to this client that it is gone. */
static void
derp_notify_gone(struct derp_client *cl)
{
	struct derp_client	*s;
	uint8_t			 f[DERP_PEER_GONE_FRAME_LEN];
	size_t			 i, n;

	n = derp_encode_peer_gone(f, cl->key, DERP_GONE_DISCONNECTED);
	for (i = 0; i < cl->nsenders; i++) {
		if ((s = derp_find_key(cl->srv, cl->senders[i])) == NULL ||
		    s == cl)
			continue;
		if (evbuffer_get_length(bufferevent_get_output(s->bev)) +
		    n > DERP_OUTQ_MAX) {
			s->drops++;
			cl->srv->stats.drops++;
			continue;
		}
		bufferevent_write(s->bev, f, n);
	}
}

static void
derp_client_free(struct derp_client *cl)
{
	struct derp_server	*srv = cl->srv;

	if (cl->registered) {
		RB_REMOVE(derp_keys, &srv->keys, cl);
		cl->registered = 0;
		srv->stats.clients_now--;
		if (cl->preferred)
			srv->stats.clients_home--;
		derp_notify_gone(cl);
	}
	RB_REMOVE(derp_ids, &srv->ids, cl);
	evtimer_del(&cl->timer);
	bufferevent_free(cl->bev);
	free(cl->info);
	free(cl);
}

static void
derp_close(struct derp_client *cl, const char *why)
{
	if (cl->hex[0] != '\0')
		log_info("derp %s: nodekey:%.16s…: %s", cl->peer, cl->hex, why);
	else
		log_info("derp %s: %s", cl->peer, why);
	derp_client_free(cl);
}

/* Queue a frame unless the client's queue is full: 0, or -1 dropped. */
static int
derp_send(struct derp_client *cl, const void *hdr, size_t hlen,
    const void *body, size_t blen)
{
	struct evbuffer	*out = bufferevent_get_output(cl->bev);

	if (evbuffer_get_length(out) + hlen + blen > DERP_OUTQ_MAX) {
		cl->drops++;
		cl->srv->stats.drops++;
		return (-1);
	}
	if (evbuffer_add(out, hdr, hlen) == -1 ||
	    (blen > 0 && evbuffer_add(out, body, blen) == -1))
		fatal("%s", __func__);
	return (0);
}

static void
derp_timer_arm(struct derp_client *cl)
{
	struct coord	*c = cl->srv->coord;
	struct timeval	 tv;
	long		 ms;

	if (cl->state != DC_ACTIVE) {
		tv.tv_sec = DERP_LOGIN_SEC;
		tv.tv_usec = 0;
	} else {
		if (c->keepalive_ms > 0)
			ms = c->keepalive_ms;
		else
			ms = DERP_KEEPALIVE_SEC * 1000L +
			    randombytes_uniform(DERP_KEEPALIVE_JITTER_MS + 1);
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
	}
	evtimer_add(&cl->timer, &tv);
}

static void
derp_timer_cb(int fd, short ev, void *arg)
{
	struct derp_client	*cl = arg;
	uint8_t			 f[DERP_HDR_LEN];

	if (cl->state != DC_ACTIVE) {
		cl->srv->stats.refused++;
		derp_close(cl, "no login within the deadline");
		return;
	}
	derp_encode_keepalive(f);
	derp_send(cl, f, sizeof(f), NULL, 0);
	derp_timer_arm(cl);
}

/* Newest connection wins: an older one with the same key goes. */
static void
derp_register(struct derp_client *cl)
{
	struct derp_server	*srv = cl->srv;
	struct derp_client	*old;

	if ((old = RB_FIND(derp_keys, &srv->keys, cl)) != NULL) {
		RB_REMOVE(derp_keys, &srv->keys, old);
		old->registered = 0;
		srv->stats.clients_now--;
		derp_close(old, "replaced by a newer connection");
	}
	RB_INSERT(derp_keys, &srv->keys, cl);
	cl->registered = 1;
	srv->stats.clients_now++;
	srv->stats.clients_total++;
}

/* ClientInfo: -1 when the client was closed. */
static int
derp_client_info(struct derp_client *cl, const struct derp_frame *f)
{
	struct derp_server	*srv = cl->srv;
	struct coord		*c = srv->coord;
	struct derp_client_info	 ci;
	char			 nodekey[sizeof("nodekey:") + DERP_KEYHEX_LEN];

	if (derp_parse_client_info(f, &ci) == -1) {
		srv->stats.refused++;
		derp_close(cl, "bad ClientInfo frame");
		return (-1);
	}
	memcpy(cl->key, ci.key, DERP_KEY_LEN);
	sodium_bin2hex(cl->hex, sizeof(cl->hex), cl->key, DERP_KEY_LEN);
	snprintf(nodekey, sizeof(nodekey), "nodekey:%s", cl->hex);
	/* Before stored's work: strangers cost us a tree lookup only. */
	if (c->conf != NULL && c->conf->derp_server_verify_clients &&
	    replica_node_by_nodekey(&c->replica, nodekey) == NULL) {
		srv->stats.refused++;
		derp_close(cl, "refused: node key not in the tailnet");
		return (-1);
	}
	if ((cl->info = malloc(f->len)) == NULL)
		fatal("%s", __func__);
	memcpy(cl->info, f->payload, f->len);
	cl->infolen = f->len;
	cl->state = DC_WAIT_KEY;
	bufferevent_disable(cl->bev, EV_READ);
	if (srv->boxkey_fn(srv, cl->key, cl->id) == -1) {
		srv->stats.refused++;
		derp_close(cl, "cannot ask for the box key");
		return (-1);
	}
	return (0);
}

/* The box key came: open ClientInfo, answer ServerInfo, go live. */
static void
derp_login(struct derp_client *cl, const uint8_t *k)
{
	struct derp_frame	 f;
	struct derp_client_info	 ci;
	struct derp_client_meta	 meta;
	uint8_t			*json, *box, hdr[DERP_HDR_LEN];
	size_t			 jsonlen, boxlen;

	f.type = DERP_F_CLIENT_INFO;
	f.len = cl->infolen;
	f.payload = cl->info;
	if (derp_parse_client_info(&f, &ci) == -1 ||
	    derp_box_open(k, ci.nonce, ci.box, ci.boxlen, &json,
	    &jsonlen) == -1) {
		cl->srv->stats.refused++;
		derp_close(cl, "cannot open the ClientInfo box");
		return;
	}
	free(cl->info);
	cl->info = NULL;
	if (derp_parse_meta((char *)json, jsonlen, &meta) == -1) {
		free(json);
		cl->srv->stats.refused++;
		derp_close(cl, "bad ClientInfo JSON");
		return;
	}
	free(json);
	if ((box = derp_box_seal(k, DERP_SERVER_INFO_JSON,
	    strlen(DERP_SERVER_INFO_JSON), &boxlen)) == NULL)
		fatal("%s", __func__);
	derp_frame_header(hdr, DERP_F_SERVER_INFO, boxlen);
	derp_send(cl, hdr, sizeof(hdr), box, boxlen);
	free(box);
	log_debug("derp %s: nodekey:%.16s… logged in, version %d%s",
	    cl->peer, cl->hex, meta.version,
	    meta.is_prober ? ", prober" : "");
	if (meta.has_mesh_key)
		log_debug("derp %s: mesh key ignored: no mesh here", cl->peer);
	cl->state = DC_ACTIVE;
	evtimer_del(&cl->timer);
	derp_timer_arm(cl);
	derp_register(cl);
	bufferevent_enable(cl->bev, EV_READ);
	derp_input(cl);
}

void
derp_boxkey_answer(struct derp_server *srv, uint64_t id, const uint8_t *k)
{
	struct derp_client	 key, *cl;

	if (srv == NULL)
		return;
	key.id = id;
	if ((cl = RB_FIND(derp_ids, &srv->ids, &key)) == NULL ||
	    cl->state != DC_WAIT_KEY)
		return;		/* gone meanwhile */
	if (k == NULL) {
		srv->stats.refused++;
		derp_close(cl, "no box key from stored");
		return;
	}
	derp_login(cl, k);
}

/* "Not here", at most a few a second per client: it costs us writes. */
static void
derp_not_here(struct derp_client *cl, const uint8_t *dst)
{
	uint8_t	f[DERP_PEER_GONE_FRAME_LEN];
	time_t	now = time(NULL);

	cl->srv->stats.unknown_dst++;
	if (now != cl->gone_sec) {
		cl->gone_sec = now;
		cl->gone_count = 0;
	}
	if (cl->gone_count++ >= DERP_GONE_PER_SEC)
		return;
	derp_encode_peer_gone(f, dst, DERP_GONE_NOT_HERE);
	derp_send(cl, f, sizeof(f), NULL, 0);
}

static void
derp_note_sender(struct derp_client *dst, const uint8_t *src)
{
	size_t	i;

	for (i = 0; i < dst->nsenders; i++)
		if (memcmp(dst->senders[i], src, DERP_KEY_LEN) == 0)
			return;
	/* Full: the oldest entry makes room. */
	memcpy(dst->senders[dst->nextsender], src, DERP_KEY_LEN);
	dst->nextsender = (dst->nextsender + 1) % DERP_SENDERS_MAX;
	if (dst->nsenders < DERP_SENDERS_MAX)
		dst->nsenders++;
}

static int
derp_forward(struct derp_client *cl, const struct derp_frame *f)
{
	struct derp_client	*dst;
	const uint8_t		*dkey, *pkt;
	uint8_t			 hdr[DERP_HDR_LEN + DERP_KEY_LEN];
	size_t			 pktlen;

	if (derp_parse_send(f, &dkey, &pkt, &pktlen) == -1) {
		derp_close(cl, "bad SendPacket frame");
		return (-1);
	}
	if ((dst = derp_find_key(cl->srv, dkey)) == NULL) {
		derp_not_here(cl, dkey);
		return (0);
	}
	derp_frame_header(hdr, DERP_F_RECV_PACKET, DERP_KEY_LEN + pktlen);
	memcpy(hdr + DERP_HDR_LEN, cl->key, DERP_KEY_LEN);
	if (derp_send(dst, hdr, sizeof(hdr), pkt, pktlen) == -1)
		return (0);
	cl->srv->stats.packets++;
	cl->srv->stats.bytes += pktlen;
	derp_note_sender(dst, cl->key);
	return (0);
}

/* One frame of a logged-in client; -1 when the client was closed. */
static int
derp_frame(struct derp_client *cl, const struct derp_frame *f)
{
	const uint8_t	*data;
	uint8_t		 out[DERP_PING_FRAME_LEN];

	switch (f->type) {
	case DERP_F_SEND_PACKET:
		return (derp_forward(cl, f));
	case DERP_F_PING:
		if (derp_parse_ping(f, &data) == -1) {
			derp_close(cl, "short Ping frame");
			return (-1);
		}
		derp_encode_pong(out, data);
		derp_send(cl, out, sizeof(out), NULL, 0);
		return (0);
	case DERP_F_CLIENT_INFO:
		derp_close(cl, "a second ClientInfo");
		return (-1);
	case DERP_F_NOTE_PREFERRED:
		/* One byte: whether this relay is the client's home. */
		if (f->len != 1) {
			derp_close(cl, "bad NotePreferred frame");
			return (-1);
		}
		if ((f->payload[0] != 0) != cl->preferred) {
			cl->preferred = f->payload[0] != 0;
			if (cl->preferred)
				cl->srv->stats.clients_home++;
			else
				cl->srv->stats.clients_home--;
		}
		return (0);
	default:
		/*
		 * Pong, the mesh frames (WatchConns, ClosePeer,
		 * ForwardPacket: we run no mesh, so PeerPresent is never
		 * due) and unknown types, which newer clients may send.
		 */
		return (0);
	}
}

/* Whole frames off the input, as long as the client is live. */
static void
derp_input(struct derp_client *cl)
{
	struct evbuffer		*in = bufferevent_get_input(cl->bev);
	struct derp_frame	 f;
	uint8_t			 hdr[DERP_HDR_LEN], *buf;
	size_t			 used;
	uint32_t		 max, plen;

	for (;;) {
		if (cl->state != DC_WAIT_INFO && cl->state != DC_ACTIVE)
			return;
		if (evbuffer_copyout(in, hdr, sizeof(hdr)) <
		    (ssize_t)sizeof(hdr))
			return;
		max = cl->state == DC_ACTIVE ? DERP_FRAME_MAX : DERP_INFO_MAX;
		plen = (uint32_t)hdr[1] << 24 | (uint32_t)hdr[2] << 16 |
		    (uint32_t)hdr[3] << 8 | hdr[4];
		/* Refused before the payload arrives: we never buffer it. */
		if (plen > max) {
			if (cl->state != DC_ACTIVE)
				cl->srv->stats.refused++;
			derp_close(cl, cl->state == DC_ACTIVE ?
			    "frame over 1 MiB" : "oversized frame before login");
			return;
		}
		if (evbuffer_get_length(in) - DERP_HDR_LEN < plen)
			return;		/* the rest of the payload is due */
		if ((buf = evbuffer_pullup(in, DERP_HDR_LEN + plen)) == NULL ||
		    derp_frame_parse(buf, DERP_HDR_LEN + plen, max, &f,
		    &used) != 1)
			fatalx("%s: frame vanished", __func__);
		if (cl->state == DC_WAIT_INFO) {
			if (f.type != DERP_F_CLIENT_INFO) {
				cl->srv->stats.refused++;
				derp_close(cl, "frame before ClientInfo");
				return;
			}
			if (derp_client_info(cl, &f) == -1)
				return;
			/* Reading waits for the box key. */
			evbuffer_drain(in, used);
			return;
		}
		if (derp_frame(cl, &f) == -1)
			return;
		evbuffer_drain(in, used);
	}
}

static void
derp_read_cb(struct bufferevent *bev, void *arg)
{
	derp_input(arg);
}

static void
derp_write_cb(struct bufferevent *bev, void *arg)
{
	struct derp_client	*cl = arg;

	if (cl->state == DC_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		derp_client_free(cl);
}

static void
derp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct derp_client	*cl = arg;

	if (what == BEV_EVENT_CONNECTED)	/* TLS; not expected here */
		return;
	if (what & BEV_EVENT_EOF)
		derp_close(cl, "closed by the client");
	else if (what & BEV_EVENT_ERROR)
		derp_close(cl, "connection error");
	else
		derp_close(cl, "timeout");
}

/*
 * A client on bev, after its upgrade: with http_head, the HTTP/1.1 101
 * is ours to write (the plain upgrade); over WebSocket it was written
 * already and bev is the framing filter.
 */
static void
derp_client_start(struct coord *c, struct bufferevent *bev, const char *peer,
    struct evbuffer *rest, int http_head)
{
	struct derp_server	*srv = c->derp;
	struct derp_client	*cl;
	uint8_t			 f[DERP_SERVER_KEY_FRAME_LEN];
	char			 hex[DERP_KEYHEX_LEN + 1];
	const char		*busy = "HTTP/1.1 503 Service Unavailable\r\n"
				    "Content-Type: text/plain\r\n"
				    "Content-Length: 22\r\n"
				    "Connection: close\r\n\r\n"
				    "DERP is not available\n";

	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		fatal("%s", __func__);
	if (srv == NULL) {
		/* No relay at all (not in a running coordinator). */
		bufferevent_free(bev);
		free(cl);
		return;
	}
	cl->srv = srv;
	cl->id = ++srv->next_id;
	cl->bev = bev;
	strlcpy(cl->peer, peer, sizeof(cl->peer));
	evtimer_set(&cl->timer, derp_timer_cb, cl);
	RB_INSERT(derp_ids, &srv->ids, cl);
	if (rest != NULL && evbuffer_get_length(rest) > 0)
		evbuffer_prepend_buffer(bufferevent_get_input(bev), rest);
	bufferevent_setcb(bev, derp_read_cb, derp_write_cb, derp_event_cb, cl);
	bufferevent_set_timeouts(bev, NULL, NULL);
	bufferevent_setwatermark(bev, EV_READ, 0,
	    DERP_HDR_LEN + DERP_FRAME_MAX);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	if (!srv->ready) {
		log_info("derp %s: refused: no DERP key yet", cl->peer);
		srv->stats.refused++;
		cl->state = DC_CLOSING;
		bufferevent_write(bev, busy, strlen(busy));
		bufferevent_disable(bev, EV_READ);
		bufferevent_enable(bev, EV_WRITE);
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), srv->pub, sizeof(srv->pub));
	if (http_head)
		evbuffer_add_printf(bufferevent_get_output(bev),
		    "HTTP/1.1 101 Switching Protocols\r\n"
		    "Upgrade: DERP\r\n"
		    "Connection: Upgrade\r\n"
		    "Derp-Version: %d\r\n"
		    "Derp-Public-Key: %s\r\n\r\n", DERP_PROTO_VERSION, hex);
	derp_encode_server_key(f, srv->pub);
	bufferevent_write(bev, f, sizeof(f));
	cl->state = DC_WAIT_INFO;
	derp_timer_arm(cl);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	derp_input(cl);
}

/*
 * A node left the tailnet.  With verify_clients its relay connection
 * goes too: it was admitted as a member and is one no longer.
 */
void
derp_node_gone(struct derp_server *srv, const char *nodekey)
{
	struct derp_client	*cl;
	uint8_t			 key[DERP_KEY_LEN];
	size_t			 len;
	const char		*hex;

	if (srv == NULL || srv->coord->conf == NULL ||
	    !srv->coord->conf->derp_server_verify_clients || nodekey == NULL ||
	    strncmp(nodekey, "nodekey:", 8) != 0)
		return;
	hex = nodekey + 8;
	if (sodium_hex2bin(key, sizeof(key), hex, strlen(hex), NULL, &len,
	    NULL) != 0 || len != sizeof(key))
		return;
	if ((cl = derp_find_key(srv, key)) != NULL)
		derp_close(cl, "node deleted from the tailnet");
}

/* GET /derp with Upgrade: DERP; bev belongs to the relay from now on. */
void
derp_accept(struct coord *c, struct bufferevent *bev, const char *peer,
    struct evbuffer *rest)
{
	derp_client_start(c, bev, peer, rest, 1);
}

/* A WebSocket client, bev already framing (derp_ws.c). */
void
derp_accept_stream(struct coord *c, struct bufferevent *bev,
    const char *peer)
{
	derp_client_start(c, bev, peer, NULL, 0);
}

/* stored's answer to IMSG_STORE_DERP_BOXKEY. */
static void
derp_store_boxkey_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct coord		*c = iev->arg;
	uint64_t		 id = (uint64_t)(uintptr_t)arg;
	Coordd__DhReply		*rep;

	if (imsg != NULL && imsg->hdr.type == IMSG_DONE)
		return;
	if (imsg == NULL || imsg->hdr.type != IMSG_STORE_DERP_BOXKEY ||
	    (rep = pb_unpack(&coordd__dh_reply__descriptor, imsg)) == NULL) {
		derp_boxkey_answer(c->derp, id, NULL);
		return;
	}
	if (rep->shared.len != crypto_box_BEFORENMBYTES)
		derp_boxkey_answer(c->derp, id, NULL);
	else
		derp_boxkey_answer(c->derp, id, rep->shared.data);
	sodium_memzero(rep->shared.data, rep->shared.len);
	pb_free(rep);
}

static int
derp_store_boxkey(struct derp_server *srv, const uint8_t *key, uint64_t id)
{
	struct imsgev		*store = srv->coord->peers[PROC_STORE];
	Coordd__DhRequest	 req = COORDD__DH_REQUEST__INIT;

	if (store == NULL)
		return (-1);
	req.point.data = (uint8_t *)key;
	req.point.len = DERP_KEY_LEN;
	return (imsgev_request(store, IMSG_STORE_DERP_BOXKEY, -1, &req.base,
	    COORD_STORE_TIMEOUT_MS, derp_store_boxkey_cb,
	    (void *)(uintptr_t)id));
}

static void
derp_pub_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct coord		*c = arg;
	Coordd__PublicKey	*pub;
	char			 err[256], hex[DERP_KEYHEX_LEN + 1];
	int			 status;

	if (imsg != NULL && imsg->hdr.type == IMSG_DONE)
		return;
	if (imsg == NULL) {
		log_warnx("no DERP public key from stored");
		return;
	}
	if (imsg->hdr.type == IMSG_RESULT) {
		if (pb_result(imsg, &status, err, sizeof(err)) == 0)
			log_debug("no DERP key: %s", err);
		return;
	}
	if ((pub = pb_unpack(&coordd__public_key__descriptor, imsg)) ==
	    NULL || pub->key.len != DERP_KEY_LEN) {
		log_warnx("bad DERP public key from stored");
		pb_free(pub);
		return;
	}
	derp_set_pubkey(c->derp, pub->key.data);
	pb_free(pub);
	sodium_bin2hex(hex, sizeof(hex), c->derp->pub, DERP_KEY_LEN);
	log_info("DERP public key %s", hex);
}

/* Once stored is connected: learn the DERP public key. */
void
derp_start(struct coord *c)
{
	if (c->derp == NULL)
		return;
	if (imsgev_request(c->peers[PROC_STORE], IMSG_STORE_DERP_PUBKEY, -1,
	    NULL, COORD_STORE_TIMEOUT_MS, derp_pub_cb, c) == -1)
		log_warn("cannot ask stored for the DERP public key");
}

void
derp_set_pubkey(struct derp_server *srv, const uint8_t *pub)
{
	memcpy(srv->pub, pub, DERP_KEY_LEN);
	srv->ready = 1;
}

int
derp_ready(const struct derp_server *srv)
{
	return (srv != NULL && srv->ready);
}

void
derp_set_boxkey_fn(struct derp_server *srv, derp_boxkey_fn fn)
{
	srv->boxkey_fn = fn;
}

void
derp_get_stats(const struct derp_server *srv, struct derp_stats *st)
{
	*st = srv->stats;
}

struct derp_server *
derp_server_new(struct coord *c)
{
	struct derp_server	*srv;

	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		fatal("%s", __func__);
	srv->coord = c;
	RB_INIT(&srv->ids);
	RB_INIT(&srv->keys);
	srv->boxkey_fn = derp_store_boxkey;
	return (srv);
}

void
derp_server_free(struct derp_server *srv)
{
	struct derp_client	*cl;

	if (srv == NULL)
		return;
	if (srv->test_listener != NULL)
		evconnlistener_free(srv->test_listener);
	/* No PeerGone storm on the way out: unregister everyone first. */
	while ((cl = RB_MIN(derp_keys, &srv->keys)) != NULL) {
		RB_REMOVE(derp_keys, &srv->keys, cl);
		cl->registered = 0;
	}
	while ((cl = RB_MIN(derp_ids, &srv->ids)) != NULL)
		derp_client_free(cl);
	free(srv);
}
