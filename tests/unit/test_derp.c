/*
 * DERP: the frame codec on its own (every type, every split, the
 * limits, the login boxes), then the relay itself driven over socket
 * pairs with a fake stored that computes the box key from a test key.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <sodium.h>

#include "config.h"
#include "coordinator.h"
#include "derp.h"
#include "derp_frame.h"
#include "replica.h"
#include "test.h"

/* ---- the codec ---- */

TEST(frame_header_roundtrip)
{
	uint8_t			 buf[DERP_HDR_LEN + 3];
	struct derp_frame	 f;
	size_t			 used;

	derp_frame_header(buf, 0x42, 3);
	memcpy(buf + DERP_HDR_LEN, "abc", 3);
	ASSERT_INT_EQ(buf[0], 0x42);
	ASSERT(buf[1] == 0 && buf[2] == 0 && buf[3] == 0 && buf[4] == 3);
	ASSERT_INT_EQ(derp_frame_parse(buf, sizeof(buf), DERP_FRAME_MAX, &f,
	    &used), 1);
	ASSERT_INT_EQ(f.type, 0x42);
	ASSERT_INT_EQ(f.len, 3);
	ASSERT_INT_EQ(used, sizeof(buf));
	ASSERT(memcmp(f.payload, "abc", 3) == 0);
	/* Big-endian length. */
	derp_frame_header(buf, 1, 0x01020304);
	ASSERT(buf[1] == 1 && buf[2] == 2 && buf[3] == 3 && buf[4] == 4);
}

/* A stream of frames of every type the relay reads or writes. */
static size_t
build_stream(uint8_t *out, uint8_t key[DERP_KEY_LEN])
{
	uint8_t	*p = out, ping[DERP_PING_LEN] = "12345678";

	p += derp_encode_server_key(p, key);
	p += derp_encode_peer_gone(p, key, DERP_GONE_NOT_HERE);
	p += derp_encode_ping(p, ping);
	p += derp_encode_pong(p, ping);
	p += derp_encode_keepalive(p);
	derp_frame_header(p, DERP_F_SEND_PACKET, DERP_KEY_LEN + 4);
	memcpy(p + DERP_HDR_LEN, key, DERP_KEY_LEN);
	memcpy(p + DERP_HDR_LEN + DERP_KEY_LEN, "pkt!", 4);
	p += DERP_HDR_LEN + DERP_KEY_LEN + 4;
	derp_frame_header(p, 0x7f, 2);		/* unknown: still a frame */
	p[DERP_HDR_LEN] = 'x';
	p[DERP_HDR_LEN + 1] = 'y';
	p += DERP_HDR_LEN + 2;
	return (p - out);
}

TEST(frame_every_type)
{
	uint8_t			 buf[512], key[DERP_KEY_LEN], got[DERP_KEY_LEN];
	const uint8_t		*k, *pkt, *data;
	struct derp_frame	 f;
	size_t			 len, off = 0, used, pktlen;
	int			 reason;

	randombytes_buf(key, sizeof(key));
	len = build_stream(buf, key);

	ASSERT_INT_EQ(derp_frame_parse(buf, len, DERP_FRAME_MAX, &f, &used),
	    1);
	ASSERT_INT_EQ(derp_parse_server_key(&f, got), 0);
	ASSERT(memcmp(got, key, DERP_KEY_LEN) == 0);
	ASSERT(memcmp(f.payload, DERP_MAGIC, DERP_MAGIC_LEN) == 0);
	off += used;

	ASSERT_INT_EQ(derp_frame_parse(buf + off, len - off, DERP_FRAME_MAX,
	    &f, &used), 1);
	ASSERT_INT_EQ(derp_parse_peer_gone(&f, &k, &reason), 0);
	ASSERT(memcmp(k, key, DERP_KEY_LEN) == 0);
	ASSERT_INT_EQ(reason, DERP_GONE_NOT_HERE);
	off += used;

	ASSERT_INT_EQ(derp_frame_parse(buf + off, len - off, DERP_FRAME_MAX,
	    &f, &used), 1);
	ASSERT_INT_EQ(f.type, DERP_F_PING);
	ASSERT_INT_EQ(derp_parse_ping(&f, &data), 0);
	ASSERT(memcmp(data, "12345678", 8) == 0);
	off += used;

	ASSERT_INT_EQ(derp_frame_parse(buf + off, len - off, DERP_FRAME_MAX,
	    &f, &used), 1);
	ASSERT_INT_EQ(f.type, DERP_F_PONG);
	ASSERT_INT_EQ(derp_parse_ping(&f, &data), 0);
	off += used;

	ASSERT_INT_EQ(derp_frame_parse(buf + off, len - off, DERP_FRAME_MAX,
	    &f, &used), 1);
	ASSERT_INT_EQ(f.type, DERP_F_KEEP_ALIVE);
	ASSERT_INT_EQ(f.len, 0);
	off += used;

	ASSERT_INT_EQ(derp_frame_parse(buf + off, len - off, DERP_FRAME_MAX,
	    &f, &used), 1);
	ASSERT_INT_EQ(derp_parse_send(&f, &k, &pkt, &pktlen), 0);
	ASSERT(memcmp(k, key, DERP_KEY_LEN) == 0);
	ASSERT_INT_EQ(pktlen, 4);
	ASSERT(memcmp(pkt, "pkt!", 4) == 0);
	/* A SendPacket is not a RecvPacket. */
	ASSERT_INT_EQ(derp_parse_recv(&f, &k, &pkt, &pktlen), -1);
	off += used;

	ASSERT_INT_EQ(derp_frame_parse(buf + off, len - off, DERP_FRAME_MAX,
	    &f, &used), 1);
	ASSERT_INT_EQ(f.type, 0x7f);
	ASSERT_INT_EQ(f.len, 2);
	off += used;
	ASSERT_INT_EQ(off, len);
	ASSERT_INT_EQ(derp_frame_parse(buf + off, 0, DERP_FRAME_MAX, &f,
	    &used), 0);
}

/* Cut the stream at every byte: never a frame before all its bytes. */
TEST(frame_split_every_byte)
{
	uint8_t			 buf[512], key[DERP_KEY_LEN];
	struct derp_frame	 f;
	size_t			 len, cut, off, used, frames, want;

	memset(key, 7, sizeof(key));
	len = build_stream(buf, key);
	/* The number of frames from an unsplit parse. */
	for (want = 0, off = 0; off < len; off += used, want++)
		ASSERT_INT_EQ(derp_frame_parse(buf + off, len - off,
		    DERP_FRAME_MAX, &f, &used), 1);
	for (cut = 0; cut <= len; cut++) {
		frames = 0;
		off = 0;
		while (derp_frame_parse(buf + off, cut - off, DERP_FRAME_MAX,
		    &f, &used) == 1) {
			ASSERT(off + used <= cut);
			off += used;
			frames++;
		}
		/* The rest, as if it arrived later. */
		while (off < len) {
			ASSERT_INT_EQ(derp_frame_parse(buf + off, len - off,
			    DERP_FRAME_MAX, &f, &used), 1);
			off += used;
			frames++;
		}
		ASSERT_INT_EQ(frames, want);
	}
}

TEST(frame_limits)
{
	uint8_t			 buf[DERP_HDR_LEN + 64], key[DERP_KEY_LEN];
	const uint8_t		*k, *pkt, *data;
	struct derp_frame	 f;
	struct derp_client_info	 ci;
	size_t			 used, pktlen;

	/* Refused from the header alone, one byte over. */
	derp_frame_header(buf, DERP_F_SEND_PACKET, DERP_FRAME_MAX + 1);
	ASSERT_INT_EQ(derp_frame_parse(buf, DERP_HDR_LEN, DERP_FRAME_MAX, &f,
	    &used), -1);
	derp_frame_header(buf, DERP_F_SEND_PACKET, 0xffffffff);
	ASSERT_INT_EQ(derp_frame_parse(buf, DERP_HDR_LEN, DERP_FRAME_MAX, &f,
	    &used), -1);
	derp_frame_header(buf, DERP_F_SEND_PACKET, DERP_FRAME_MAX);
	ASSERT_INT_EQ(derp_frame_parse(buf, DERP_HDR_LEN, DERP_FRAME_MAX, &f,
	    &used), 0);
	/* Truncated headers. */
	ASSERT_INT_EQ(derp_frame_parse(buf, 4, DERP_FRAME_MAX, &f, &used), 0);

	memset(key, 1, sizeof(key));
	f.payload = buf;
	memset(buf, 0, sizeof(buf));
	/* ClientInfo: 56 bytes at least, 256 KiB at most. */
	f.type = DERP_F_CLIENT_INFO;
	f.len = DERP_INFO_MIN - 1;
	ASSERT_INT_EQ(derp_parse_client_info(&f, &ci), -1);
	f.len = DERP_INFO_MIN;
	ASSERT_INT_EQ(derp_parse_client_info(&f, &ci), 0);
	ASSERT_INT_EQ(ci.boxlen, 0);
	f.len = DERP_INFO_MAX + 1;
	ASSERT_INT_EQ(derp_parse_client_info(&f, &ci), -1);
	/* SendPacket: a key at least, 64 KiB of packet at most. */
	f.type = DERP_F_SEND_PACKET;
	f.len = DERP_KEY_LEN - 1;
	ASSERT_INT_EQ(derp_parse_send(&f, &k, &pkt, &pktlen), -1);
	f.len = DERP_KEY_LEN;
	ASSERT_INT_EQ(derp_parse_send(&f, &k, &pkt, &pktlen), 0);
	ASSERT_INT_EQ(pktlen, 0);
	f.len = DERP_KEY_LEN + DERP_PACKET_MAX + 1;
	ASSERT_INT_EQ(derp_parse_send(&f, &k, &pkt, &pktlen), -1);
	/* Ping: eight bytes. */
	f.type = DERP_F_PING;
	f.len = 7;
	ASSERT_INT_EQ(derp_parse_ping(&f, &data), -1);
	/* ServerKey: the magic, then a key. */
	f.type = DERP_F_SERVER_KEY;
	f.len = DERP_MAGIC_LEN + DERP_KEY_LEN;
	ASSERT_INT_EQ(derp_parse_server_key(&f, key), -1);
	/* PeerGone without a reason byte means "disconnected". */
	{
		int	reason;

		f.type = DERP_F_PEER_GONE;
		f.len = DERP_KEY_LEN;
		ASSERT_INT_EQ(derp_parse_peer_gone(&f, &k, &reason), 0);
		ASSERT_INT_EQ(reason, DERP_GONE_DISCONNECTED);
		f.len = DERP_KEY_LEN - 1;
		ASSERT_INT_EQ(derp_parse_peer_gone(&f, &k, &reason), -1);
	}
}

TEST(meta_json)
{
	struct derp_client_meta	m;
	const char		*j;

	j = "{\"version\":2,\"CanAckPings\":true,\"IsProber\":false,"
	    "\"meshKey\":\"\",\"AppName\":\"x\"}";
	ASSERT_INT_EQ(derp_parse_meta(j, strlen(j), &m), 0);
	ASSERT_INT_EQ(m.version, 2);
	ASSERT_INT_EQ(m.can_ack_pings, 1);
	ASSERT_INT_EQ(m.is_prober, 0);
	ASSERT_INT_EQ(m.has_mesh_key, 0);
	j = "{}";
	ASSERT_INT_EQ(derp_parse_meta(j, strlen(j), &m), 0);
	j = "[2]";
	ASSERT_INT_EQ(derp_parse_meta(j, strlen(j), &m), -1);
	j = "{\"version\":\"2\"}";
	ASSERT_INT_EQ(derp_parse_meta(j, strlen(j), &m), -1);
	j = "{\"version\":2";
	ASSERT_INT_EQ(derp_parse_meta(j, strlen(j), &m), -1);
	ASSERT_INT_EQ(derp_parse_meta("", 0, &m), -1);
}

/* The client boxes with crypto_box_easy; we open with stored's key. */
TEST(box_roundtrip)
{
	uint8_t		 cpub[32], cpriv[32], spub[32], spriv[32], k[32];
	uint8_t		 nonce[DERP_NONCE_LEN], box[64 + DERP_BOX_OVERHEAD];
	uint8_t		*out, *sealed, back[64];
	const char	*j = "{\"version\":2}";
	size_t		 outlen, sealedlen;

	crypto_box_keypair(cpub, cpriv);
	crypto_box_keypair(spub, spriv);
	randombytes_buf(nonce, sizeof(nonce));
	ASSERT(crypto_box_easy(box, (const uint8_t *)j, strlen(j), nonce,
	    spub, cpriv) == 0);
	ASSERT(crypto_box_beforenm(k, cpub, spriv) == 0);
	ASSERT_INT_EQ(derp_box_open(k, nonce, box, strlen(j) +
	    DERP_BOX_OVERHEAD, &out, &outlen), 0);
	ASSERT_INT_EQ(outlen, strlen(j));
	ASSERT_STR_EQ((char *)out, j);
	free(out);
	/* One flipped bit: refused. */
	box[3] ^= 1;
	ASSERT_INT_EQ(derp_box_open(k, nonce, box, strlen(j) +
	    DERP_BOX_OVERHEAD, &out, &outlen), -1);
	ASSERT(out == NULL);
	ASSERT_INT_EQ(derp_box_open(k, nonce, box, DERP_BOX_OVERHEAD - 1,
	    &out, &outlen), -1);
	/* Our answer opens on the client's side with plain crypto_box. */
	ASSERT((sealed = derp_box_seal(k, j, strlen(j), &sealedlen)) != NULL);
	ASSERT_INT_EQ(sealedlen, DERP_NONCE_LEN + DERP_BOX_OVERHEAD +
	    strlen(j));
	ASSERT(crypto_box_open_easy(back, sealed + DERP_NONCE_LEN,
	    sealedlen - DERP_NONCE_LEN, sealed, spub, cpriv) == 0);
	ASSERT(memcmp(back, j, strlen(j)) == 0);
	free(sealed);
	/* A low-order point: beforenm refuses, as stored does. */
	memset(cpub, 0, sizeof(cpub));
	ASSERT(crypto_box_beforenm(k, cpub, spriv) != 0);
}

/* ---- the relay over socket pairs ---- */

static struct coord	 tc_coord;
static struct config	 tc_conf;
static uint8_t		 tc_spub[32], tc_spriv[32];
static int		 tc_fail_boxkey;

struct tcl {
	int		 fd;
	uint8_t		 pub[32], priv[32], k[32];
	uint8_t		*buf;
	size_t		 len;
	int		 eof;
};

struct pending_box {
	struct derp_server	*srv;
	uint64_t		 id;
	uint8_t			 key[32];
};

static void
fake_answer(int fd, short ev, void *arg)
{
	struct pending_box	*p = arg;
	uint8_t			 k[32];

	if (tc_fail_boxkey || crypto_box_beforenm(k, p->key, tc_spriv) != 0)
		derp_boxkey_answer(p->srv, p->id, NULL);
	else
		derp_boxkey_answer(p->srv, p->id, k);
	free(p);
}

/* Like stored: the answer comes later, from the event loop. */
static int
fake_boxkey(struct derp_server *srv, const uint8_t *key, uint64_t id)
{
	struct pending_box	*p;
	struct timeval		 tv = { 0, 0 };

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return (-1);
	p->srv = srv;
	p->id = id;
	memcpy(p->key, key, 32);
	return (event_base_once(tc_coord.base, -1, EV_TIMEOUT, fake_answer,
	    p, &tv));
}

static void
relay_setup(int verify)
{
	if (tc_coord.base == NULL) {
		/* As in the daemons: a closed peer is an error, not a kill. */
		signal(SIGPIPE, SIG_IGN);
		tc_coord.base = event_init();
		crypto_box_keypair(tc_spub, tc_spriv);
	}
	memset(&tc_conf, 0, sizeof(tc_conf));
	tc_conf.derp_server_verify_clients = verify;
	tc_conf.derp_server_enabled = 1;
	tc_coord.conf = &tc_conf;
	tc_fail_boxkey = 0;
	replica_init(&tc_coord.replica);
	tc_coord.derp = derp_server_new(&tc_coord);
	derp_set_pubkey(tc_coord.derp, tc_spub);
	derp_set_boxkey_fn(tc_coord.derp, fake_boxkey);
}

static void
relay_teardown(void)
{
	derp_server_free(tc_coord.derp);
	tc_coord.derp = NULL;
	replica_clear(&tc_coord.replica);
	/* Let the closed sockets' pending callbacks run out. */
	event_base_loop(tc_coord.base, EVLOOP_NONBLOCK);
}

static void
pump(void)
{
	int	i;

	for (i = 0; i < 4; i++)
		event_base_loop(tc_coord.base, EVLOOP_NONBLOCK);
}

static struct tcl *
tcl_connect(void)
{
	struct tcl		*t;
	struct bufferevent	*bev;
	int			 sv[2];

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->buf = malloc(4 * DERP_FRAME_MAX)) == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	t->fd = sv[1];
	crypto_box_keypair(t->pub, t->priv);
	if ((bev = bufferevent_socket_new(tc_coord.base, sv[0],
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		abort();
	derp_accept(&tc_coord, bev, "test", NULL);
	return (t);
}

static void
tcl_free(struct tcl *t)
{
	if (t == NULL)
		return;
	close(t->fd);
	free(t->buf);
	free(t);
	pump();
}

/* Read what the relay has sent, running the loop meanwhile. */
static void
tcl_fill(struct tcl *t)
{
	ssize_t	n;

	pump();
	while (t->len < 4 * DERP_FRAME_MAX) {
		n = read(t->fd, t->buf + t->len, 4 * DERP_FRAME_MAX - t->len);
		if (n == 0)
			t->eof = 1;
		if (n <= 0)
			break;
		t->len += n;
	}
}

static void
tcl_write(struct tcl *t, const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 n;
	int		 tries = 0;

	while (len > 0 && tries++ < 100000) {
		if ((n = write(t->fd, b, len)) == -1) {
			if (errno != EAGAIN)
				return;
			pump();
			continue;
		}
		b += n;
		len -= n;
	}
	pump();
}

/* The next frame: 1, 0 when none came, -1 at end of file. */
static int
tcl_frame(struct tcl *t, struct derp_frame *f, uint8_t *copy)
{
	size_t	used;
	int	i;

	for (i = 0; i < 200; i++) {
		if (derp_frame_parse(t->buf, t->len, 4 * DERP_FRAME_MAX, f,
		    &used) == 1) {
			memcpy(copy, t->buf, used);
			f->payload = copy + DERP_HDR_LEN;
			memmove(t->buf, t->buf + used, t->len - used);
			t->len -= used;
			return (1);
		}
		if (t->eof)
			return (-1);
		tcl_fill(t);
		if (t->len == 0 && !t->eof)
			poll(NULL, 0, 1);
	}
	return (0);
}

/* The 101 and the ServerKey frame. */
static int
tcl_head(struct tcl *t)
{
	struct derp_frame	 f;
	uint8_t			 copy[256], key[32];
	char			*end, hex[65];
	size_t			 hl;
	int			 i;

	for (i = 0; i < 100 && (t->len < 4 ||
	    memmem(t->buf, t->len, "\r\n\r\n", 4) == NULL); i++)
		tcl_fill(t);
	if ((end = memmem(t->buf, t->len, "\r\n\r\n", 4)) == NULL)
		return (-1);
	hl = end + 4 - (char *)t->buf;
	sodium_bin2hex(hex, sizeof(hex), tc_spub, 32);
	if (strncmp((char *)t->buf, "HTTP/1.1 101 ", 13) != 0 ||
	    memmem(t->buf, hl, "Upgrade: DERP\r\n", 15) == NULL ||
	    memmem(t->buf, hl, "Derp-Version: 2\r\n", 17) == NULL ||
	    memmem(t->buf, hl, hex, 64) == NULL)
		return (-1);
	memmove(t->buf, t->buf + hl, t->len - hl);
	t->len -= hl;
	if (tcl_frame(t, &f, copy) != 1 ||
	    derp_parse_server_key(&f, key) != 0 || memcmp(key, tc_spub, 32))
		return (-1);
	return (0);
}

static void
tcl_send_info(struct tcl *t, const char *json, int badkey)
{
	uint8_t	 buf[DERP_HDR_LEN + 32 + DERP_NONCE_LEN + 256], other[32];
	uint8_t	*p = buf + DERP_HDR_LEN;
	size_t	 jl = strlen(json);

	memcpy(p, t->pub, 32);
	randombytes_buf(p + 32, DERP_NONCE_LEN);
	if (badkey)
		crypto_box_keypair(other, other);
	if (crypto_box_easy(p + 32 + DERP_NONCE_LEN, (const uint8_t *)json,
	    jl, p + 32, badkey ? other : tc_spub, t->priv) != 0)
		abort();
	derp_frame_header(buf, DERP_F_CLIENT_INFO,
	    32 + DERP_NONCE_LEN + DERP_BOX_OVERHEAD + jl);
	tcl_write(t, buf, DERP_HDR_LEN + 32 + DERP_NONCE_LEN +
	    DERP_BOX_OVERHEAD + jl);
}

/* Login; 0 once ServerInfo opened with the client's own keys. */
static int
tcl_login(struct tcl *t)
{
	struct derp_frame	 f;
	uint8_t			 copy[256], json[64];

	if (tcl_head(t) == -1)
		return (-1);
	tcl_send_info(t, "{\"version\":2,\"CanAckPings\":true}", 0);
	if (tcl_frame(t, &f, copy) != 1 || f.type != DERP_F_SERVER_INFO ||
	    f.len < DERP_NONCE_LEN + DERP_BOX_OVERHEAD ||
	    f.len - DERP_NONCE_LEN - DERP_BOX_OVERHEAD >= sizeof(json) ||
	    crypto_box_open_easy(json, f.payload + DERP_NONCE_LEN,
	    f.len - DERP_NONCE_LEN, f.payload, tc_spub, t->priv) != 0)
		return (-1);
	json[f.len - DERP_NONCE_LEN - DERP_BOX_OVERHEAD] = '\0';
	return (strcmp((char *)json, "{\"version\":2}") == 0 ? 0 : -1);
}

static void
tcl_send(struct tcl *t, const uint8_t *dst, const void *pkt, size_t len)
{
	uint8_t	hdr[DERP_HDR_LEN + 32];

	derp_frame_header(hdr, DERP_F_SEND_PACKET, 32 + len);
	memcpy(hdr + DERP_HDR_LEN, dst, 32);
	tcl_write(t, hdr, sizeof(hdr));
	tcl_write(t, pkt, len);
}

/* Skip keep-alives; the next frame of interest. */
static int
tcl_next(struct tcl *t, struct derp_frame *f, uint8_t *copy)
{
	int	r;

	while ((r = tcl_frame(t, f, copy)) == 1 &&
	    f->type == DERP_F_KEEP_ALIVE)
		;
	return (r);
}

static int
tcl_pingpong(struct tcl *t)
{
	struct derp_frame	 f;
	uint8_t			 ping[DERP_PING_FRAME_LEN], copy[64];
	const uint8_t		*data;

	derp_encode_ping(ping, (const uint8_t *)"pingpong");
	tcl_write(t, ping, sizeof(ping));
	if (tcl_next(t, &f, copy) != 1 || f.type != DERP_F_PONG ||
	    derp_parse_ping(&f, &data) != 0 || memcmp(data, "pingpong", 8))
		return (-1);
	return (0);
}

TEST(relay_forward_and_ping)
{
	struct tcl		*a, *b;
	struct derp_frame	 f;
	struct derp_stats	 st;
	uint8_t			 copy[256];
	const uint8_t		*src, *pkt;
	size_t			 pktlen;

	relay_setup(0);
	a = tcl_connect();
	b = tcl_connect();
	ASSERT_INT_EQ(tcl_login(a), 0);
	ASSERT_INT_EQ(tcl_login(b), 0);
	tcl_send(a, b->pub, "hello", 5);
	ASSERT_INT_EQ(tcl_next(b, &f, copy), 1);
	ASSERT_INT_EQ(derp_parse_recv(&f, &src, &pkt, &pktlen), 0);
	ASSERT(memcmp(src, a->pub, 32) == 0);
	ASSERT_INT_EQ(pktlen, 5);
	ASSERT(memcmp(pkt, "hello", 5) == 0);
	ASSERT_INT_EQ(tcl_pingpong(a), 0);
	/* NotePreferred and unknown frames are skipped. */
	derp_frame_header(copy, DERP_F_NOTE_PREFERRED, 1);
	copy[DERP_HDR_LEN] = 1;
	derp_frame_header(copy + 6, 0x66, 0);
	tcl_write(a, copy, 6 + DERP_HDR_LEN);
	ASSERT_INT_EQ(tcl_pingpong(a), 0);
	derp_get_stats(tc_coord.derp, &st);
	ASSERT_INT_EQ(st.clients_now, 2);
	ASSERT_INT_EQ(st.clients_total, 2);
	ASSERT_INT_EQ(st.packets, 1);
	ASSERT_INT_EQ(st.bytes, 5);
	tcl_free(a);
	tcl_free(b);
	derp_get_stats(tc_coord.derp, &st);
	ASSERT_INT_EQ(st.clients_now, 0);
	relay_teardown();
}

TEST(relay_peer_gone)
{
	struct tcl		*a, *b;
	struct derp_frame	 f;
	uint8_t			 copy[256], nobody[32];
	const uint8_t		*k;
	int			 reason;

	relay_setup(0);
	a = tcl_connect();
	b = tcl_connect();
	ASSERT_INT_EQ(tcl_login(a), 0);
	ASSERT_INT_EQ(tcl_login(b), 0);
	/* Not here. */
	randombytes_buf(nobody, sizeof(nobody));
	tcl_send(a, nobody, "x", 1);
	ASSERT_INT_EQ(tcl_next(a, &f, copy), 1);
	ASSERT_INT_EQ(derp_parse_peer_gone(&f, &k, &reason), 0);
	ASSERT(memcmp(k, nobody, 32) == 0);
	ASSERT_INT_EQ(reason, DERP_GONE_NOT_HERE);
	/* A wrote to B; B leaves; A hears it. */
	tcl_send(a, b->pub, "x", 1);
	ASSERT_INT_EQ(tcl_next(b, &f, copy), 1);
	tcl_free(b);
	ASSERT_INT_EQ(tcl_next(a, &f, copy), 1);
	ASSERT_INT_EQ(derp_parse_peer_gone(&f, &k, &reason), 0);
	ASSERT_INT_EQ(reason, DERP_GONE_DISCONNECTED);
	tcl_free(a);
	relay_teardown();
}

TEST(relay_not_here_is_rate_limited)
{
	struct tcl		*a;
	struct derp_frame	 f;
	uint8_t			 copy[256], nobody[32], ping[DERP_PING_FRAME_LEN];
	int			 i, gone = 0;

	relay_setup(0);
	a = tcl_connect();
	ASSERT_INT_EQ(tcl_login(a), 0);
	randombytes_buf(nobody, sizeof(nobody));
	for (i = 0; i < 50; i++)
		tcl_send(a, nobody, "x", 1);
	derp_encode_ping(ping, (const uint8_t *)"12345678");
	tcl_write(a, ping, sizeof(ping));
	while (tcl_next(a, &f, copy) == 1 && f.type == DERP_F_PEER_GONE)
		gone++;
	ASSERT_INT_EQ(f.type, DERP_F_PONG);
	/* The burst may straddle a second: two windows at most. */
	ASSERT(gone >= 1 && gone <= 2 * DERP_GONE_PER_SEC);
	tcl_free(a);
	relay_teardown();
}

TEST(relay_oversized_frame_closes_only_that_client)
{
	struct tcl		*a, *b;
	struct derp_frame	 f;
	struct derp_stats	 st;
	uint8_t			 hdr[DERP_HDR_LEN], copy[256];

	relay_setup(0);
	a = tcl_connect();
	b = tcl_connect();
	ASSERT_INT_EQ(tcl_login(a), 0);
	ASSERT_INT_EQ(tcl_login(b), 0);
	derp_frame_header(hdr, DERP_F_SEND_PACKET, DERP_FRAME_MAX + 1);
	tcl_write(a, hdr, sizeof(hdr));
	ASSERT_INT_EQ(tcl_next(a, &f, copy), -1);
	ASSERT_INT_EQ(tcl_pingpong(b), 0);
	derp_get_stats(tc_coord.derp, &st);
	ASSERT_INT_EQ(st.clients_now, 1);
	/* A packet over 64 KiB inside a legal frame: closed too. */
	{
		uint8_t	*big;

		if ((big = calloc(1, DERP_PACKET_MAX + 1)) == NULL)
			abort();
		tcl_send(b, a->pub, big, DERP_PACKET_MAX + 1);
		free(big);
	}
	ASSERT_INT_EQ(tcl_next(b, &f, copy), -1);
	tcl_free(a);
	tcl_free(b);
	relay_teardown();
}

TEST(relay_login_errors)
{
	struct tcl		*t;
	struct derp_frame	 f;
	struct derp_stats	 st;
	uint8_t			 ping[DERP_PING_FRAME_LEN], copy[256];

	relay_setup(0);
	/* A Ping before ClientInfo. */
	t = tcl_connect();
	ASSERT_INT_EQ(tcl_head(t), 0);
	derp_encode_ping(ping, (const uint8_t *)"12345678");
	tcl_write(t, ping, sizeof(ping));
	ASSERT_INT_EQ(tcl_next(t, &f, copy), -1);
	tcl_free(t);
	/* A box for another server key. */
	t = tcl_connect();
	ASSERT_INT_EQ(tcl_head(t), 0);
	tcl_send_info(t, "{\"version\":2}", 1);
	ASSERT_INT_EQ(tcl_next(t, &f, copy), -1);
	tcl_free(t);
	/* JSON that is not an object. */
	t = tcl_connect();
	ASSERT_INT_EQ(tcl_head(t), 0);
	tcl_send_info(t, "[]", 0);
	ASSERT_INT_EQ(tcl_next(t, &f, copy), -1);
	tcl_free(t);
	/* ClientInfo shorter than a key and a nonce. */
	t = tcl_connect();
	ASSERT_INT_EQ(tcl_head(t), 0);
	memset(copy, 0, sizeof(copy));
	derp_frame_header(copy, DERP_F_CLIENT_INFO, 10);
	tcl_write(t, copy, DERP_HDR_LEN + 10);
	ASSERT_INT_EQ(tcl_next(t, &f, copy), -1);
	tcl_free(t);
	/* ClientInfo over 256 KiB, refused from its header. */
	t = tcl_connect();
	ASSERT_INT_EQ(tcl_head(t), 0);
	derp_frame_header(copy, DERP_F_CLIENT_INFO, DERP_INFO_MAX + 1);
	tcl_write(t, copy, DERP_HDR_LEN);
	ASSERT_INT_EQ(tcl_next(t, &f, copy), -1);
	tcl_free(t);
	/* stored has no key for it. */
	tc_fail_boxkey = 1;
	t = tcl_connect();
	ASSERT_INT_EQ(tcl_head(t), 0);
	tcl_send_info(t, "{\"version\":2}", 0);
	ASSERT_INT_EQ(tcl_next(t, &f, copy), -1);
	tcl_free(t);
	derp_get_stats(tc_coord.derp, &st);
	ASSERT_INT_EQ(st.refused, 6);
	ASSERT_INT_EQ(st.clients_total, 0);
	relay_teardown();
}

TEST(relay_verify_clients)
{
	struct tcl		*t;
	struct derp_frame	 f;
	struct derp_stats	 st;
	Coordd__Node		 n = COORDD__NODE__INIT;
	uint8_t			 copy[256];
	char			 nk[80], hex[65];

	relay_setup(1);
	t = tcl_connect();
	ASSERT_INT_EQ(tcl_head(t), 0);
	tcl_send_info(t, "{\"version\":2}", 0);
	ASSERT_INT_EQ(tcl_next(t, &f, copy), -1);
	tcl_free(t);
	derp_get_stats(tc_coord.derp, &st);
	ASSERT_INT_EQ(st.refused, 1);
	/* Known to the replica: in. */
	t = tcl_connect();
	sodium_bin2hex(hex, sizeof(hex), t->pub, 32);
	snprintf(nk, sizeof(nk), "nodekey:%s", hex);
	n.id = 1;
	n.user_id = 1;
	n.hostname = "a";
	n.given_name = "a";
	n.machine_key = "mkey:00";
	n.node_key = nk;
	ASSERT(replica_node_put(&tc_coord.replica, &n, NULL) == 0);
	ASSERT_INT_EQ(tcl_login(t), 0);
	ASSERT_INT_EQ(tcl_pingpong(t), 0);
	tcl_free(t);
	relay_teardown();
}

TEST(relay_newest_connection_wins)
{
	struct tcl		*a, *a2, *b;
	struct derp_frame	 f;
	uint8_t			 copy[256];
	const uint8_t		*src, *pkt;
	size_t			 pktlen;

	relay_setup(0);
	a = tcl_connect();
	a2 = tcl_connect();
	b = tcl_connect();
	memcpy(a2->pub, a->pub, 32);
	memcpy(a2->priv, a->priv, 32);
	ASSERT_INT_EQ(tcl_login(a), 0);
	ASSERT_INT_EQ(tcl_login(b), 0);
	ASSERT_INT_EQ(tcl_login(a2), 0);
	ASSERT_INT_EQ(tcl_next(a, &f, copy), -1);
	tcl_send(b, a2->pub, "hi", 2);
	ASSERT_INT_EQ(tcl_next(a2, &f, copy), 1);
	ASSERT_INT_EQ(derp_parse_recv(&f, &src, &pkt, &pktlen), 0);
	ASSERT(memcmp(src, b->pub, 32) == 0);
	tcl_free(a);
	tcl_free(a2);
	tcl_free(b);
	relay_teardown();
}

/* A receiver that never reads loses packets; the sender goes on. */
TEST(relay_slow_receiver_drops)
{
	struct tcl		*a, *b;
	struct derp_stats	 st;
	uint8_t			*pkt;
	int			 i;

	relay_setup(0);
	a = tcl_connect();
	b = tcl_connect();
	ASSERT_INT_EQ(tcl_login(a), 0);
	ASSERT_INT_EQ(tcl_login(b), 0);
	if ((pkt = calloc(1, DERP_PACKET_MAX)) == NULL)
		abort();
	for (i = 0; i < 64; i++)
		tcl_send(a, b->pub, pkt, DERP_PACKET_MAX);
	free(pkt);
	ASSERT_INT_EQ(tcl_pingpong(a), 0);
	derp_get_stats(tc_coord.derp, &st);
	ASSERT(st.drops > 0);
	ASSERT(st.packets + st.drops == 64);
	tcl_free(a);
	tcl_free(b);
	relay_teardown();
}

TEST(relay_keepalive)
{
	struct tcl		*t;
	struct derp_frame	 f;
	uint8_t			 copy[64];

	relay_setup(0);
	tc_coord.keepalive_ms = 20;
	t = tcl_connect();
	ASSERT_INT_EQ(tcl_login(t), 0);
	ASSERT_INT_EQ(tcl_frame(t, &f, copy), 1);
	ASSERT_INT_EQ(f.type, DERP_F_KEEP_ALIVE);
	ASSERT_INT_EQ(f.len, 0);
	ASSERT_INT_EQ(tcl_frame(t, &f, copy), 1);
	ASSERT_INT_EQ(f.type, DERP_F_KEEP_ALIVE);
	tc_coord.keepalive_ms = 0;
	tcl_free(t);
	relay_teardown();
}

TEST(relay_not_ready_503)
{
	struct tcl	*t;
	int		 i;

	relay_setup(0);
	derp_server_free(tc_coord.derp);
	tc_coord.derp = derp_server_new(&tc_coord);
	t = tcl_connect();
	for (i = 0; i < 50 && !t->eof; i++)
		tcl_fill(t);
	ASSERT(t->eof);
	ASSERT(t->len > 12 && strncmp((char *)t->buf, "HTTP/1.1 503", 12) ==
	    0);
	tcl_free(t);
	relay_teardown();
}

TEST_MAIN()
