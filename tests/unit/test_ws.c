/*
 * WebSocket framing: the accept key of RFC 6455's example, the decoder
 * fed in every possible split, fragments and control frames between
 * them, both extended lengths, and each frame it must refuse.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "ws.h"

static const uint8_t	mask1[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* A frame with first byte b0 (FIN, RSV, opcode), masked if mask. */
static size_t
mkframe(uint8_t *buf, int b0, const void *p, size_t len,
    const uint8_t *mask)
{
	size_t	hlen;

	hlen = ws_frame_header(buf, b0 & 0x0f, len, mask);
	buf[0] = b0;
	memcpy(buf + hlen, p, len);
	if (mask != NULL)
		ws_mask(buf + hlen, len, mask, 0);
	return (hlen + len);
}

/* What decoding a stream gave: the data and a line per event. */
struct result {
	uint8_t		*data;
	size_t		 datalen;
	char		 events[512];
	int		 last;
};

/*
 * Feed in[0..len) to the decoder in pieces of at most step bytes, the
 * first piece cut at split; stops at WS_CLOSE or WS_ERROR.
 */
static void
feed(struct ws_dec *d, const uint8_t *in, size_t len, size_t split,
    size_t step, size_t outsz, struct result *res)
{
	size_t	off = 0, end, used, outlen;
	char	ev[160];
	int	r;

	memset(res, 0, sizeof(*res));
	if ((res->data = malloc(len + 1)) == NULL)
		abort();
	while (off < len) {
		end = off == 0 && split > 0 ? split : off + step;
		if (end > len)
			end = len;
		r = ws_decode(d, in + off, end - off, &used,
		    res->data + res->datalen, outsz, &outlen);
		off += used;
		res->datalen += outlen;
		res->last = r;
		ev[0] = '\0';
		if (r == WS_PING || r == WS_CLOSE)
			snprintf(ev, sizeof(ev), "%s:%.*s ",
			    r == WS_PING ? "ping" : "close",
			    (int)d->wd_ctllen, d->wd_ctl);
		else if (r == WS_PONG)
			snprintf(ev, sizeof(ev), "pong ");
		else if (r == WS_ERROR)
			snprintf(ev, sizeof(ev), "error:%s:%u ", d->wd_errstr,
			    d->wd_errcode);
		strlcat(res->events, ev, sizeof(res->events));
		if (r == WS_CLOSE || r == WS_ERROR)
			return;
		if (r == WS_MORE && used == 0 && outlen == 0 && end == len)
			return;
	}
}

TEST(accept_rfc6455_example)
{
	char	out[WS_ACCEPT_LEN + 1];

	ASSERT(ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out, sizeof(out)) == 0);
	ASSERT_STR_EQ(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ASSERT(ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out, 10) == -1);
}

TEST(key_validity)
{
	ASSERT(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));
	ASSERT(!ws_key_valid(""));
	ASSERT(!ws_key_valid("dGhlIHNhbXBsZSBub25jZQ"));
	ASSERT(!ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=x"));
	ASSERT(!ws_key_valid("dGhlIHNhbXBsZSBub25jZXh4"));	/* 18 bytes */
}

TEST(header_lengths)
{
	uint8_t	h[WS_HDR_MAX];

	ASSERT_INT_EQ(ws_frame_header(h, WS_OP_BINARY, 125, NULL), 2);
	ASSERT(h[0] == 0x82 && h[1] == 125);
	ASSERT_INT_EQ(ws_frame_header(h, WS_OP_BINARY, 126, NULL), 4);
	ASSERT(h[1] == 126 && h[2] == 0 && h[3] == 126);
	ASSERT_INT_EQ(ws_frame_header(h, WS_OP_BINARY, 65535, NULL), 4);
	ASSERT(h[2] == 0xff && h[3] == 0xff);
	ASSERT_INT_EQ(ws_frame_header(h, WS_OP_BINARY, 65536, NULL), 10);
	ASSERT(h[1] == 127 && h[7] == 1 && h[8] == 0 && h[9] == 0);
	ASSERT_INT_EQ(ws_frame_header(h, WS_OP_PING, 3, mask1), 6);
	ASSERT(h[0] == 0x89 && h[1] == (0x80 | 3));
	ASSERT(memcmp(h + 2, mask1, 4) == 0);
}

/*
 * A message in three fragments with a ping between them, a whole one,
 * a pong and a close: the same result however the stream is cut.
 */
TEST(masked_split_everywhere)
{
	struct ws_dec	d;
	struct result	res;
	uint8_t		buf[512];
	size_t		len = 0, split, step;
	const char	*ev = "ping:p1 ping:x pong close:\x03\xe8" "bye ";

	len += mkframe(buf + len, 0x82, "hello", 5, mask1);
	len += mkframe(buf + len, 0x89, "p1", 2, mask1);
	len += mkframe(buf + len, 0x02, "wor", 3, mask1);
	len += mkframe(buf + len, 0x89, "x", 1, mask1);
	len += mkframe(buf + len, 0x00, "ld", 2, mask1);
	len += mkframe(buf + len, 0x80, "!!", 2, mask1);
	len += mkframe(buf + len, 0x82, "", 0, mask1);
	len += mkframe(buf + len, 0x8a, "", 0, mask1);
	len += mkframe(buf + len, 0x88, "\x03\xe8" "bye", 5, mask1);
	for (step = 1; step <= len; step += step < 8 ? 1 : 37) {
		for (split = 0; split <= len; split++) {
			ws_dec_init(&d, 1);
			feed(&d, buf, len, split, step, len, &res);
			if (res.datalen != 12 ||
			    memcmp(res.data, "helloworld!!", 12) != 0 ||
			    strcmp(res.events, ev) != 0 ||
			    res.last != WS_CLOSE) {
				free(res.data);
				FAIL("step %zu split %zu: \"%s\"", step, split,
				    res.events);
			}
			free(res.data);
		}
	}
}

/* 16- and 64-bit lengths, with little room for the output at a time. */
TEST(extended_lengths)
{
	struct ws_dec	 d;
	struct result	 res;
	uint8_t		*buf, *pl;
	size_t		 sizes[] = { 126, 300, 65535, 65536, 70001 };
	size_t		 len = 0;
	size_t		 i, j;

	if ((pl = malloc(70001)) == NULL ||
	    (buf = malloc(2 * (70001 + WS_HDR_MAX))) == NULL)
		abort();
	for (i = 0; i < 70001; i++)
		pl[i] = i * 7;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = mkframe(buf, 0x82, pl, sizes[i], mask1);
		ws_dec_init(&d, 1);
		feed(&d, buf, len, 0, 1000, 333, &res);
		j = res.datalen == sizes[i] &&
		    memcmp(res.data, pl, sizes[i]) == 0;
		free(res.data);
		if (!j) {
			free(pl);
			free(buf);
			FAIL("length %zu", sizes[i]);
		}
		/* And from the server, unmasked, as the client reads it. */
		len = mkframe(buf, 0x82, pl, sizes[i], NULL);
		ws_dec_init(&d, 0);
		feed(&d, buf, len, 0, 4096, len, &res);
		j = res.datalen == sizes[i] &&
		    memcmp(res.data, pl, sizes[i]) == 0;
		free(res.data);
		if (!j) {
			free(pl);
			free(buf);
			FAIL("unmasked length %zu", sizes[i]);
		}
	}
	free(pl);
	free(buf);
}

/* Bad frames after a good one: its data, then the refusal. */
static int
refused(int server, const uint8_t *bad, size_t badlen, const char *why,
    int code)
{
	struct ws_dec	d;
	struct result	res;
	uint8_t		buf[256];
	size_t		len, used, outlen;
	char		want[160];
	int		ok;

	len = mkframe(buf, 0x82, "ok", 2, server ? mask1 : NULL);
	memcpy(buf + len, bad, badlen);
	len += badlen;
	ws_dec_init(&d, server);
	feed(&d, buf, len, 0, 1, len, &res);
	snprintf(want, sizeof(want), "error:%s:%d ", why, code);
	ok = res.datalen >= 2 && memcmp(res.data, "ok", 2) == 0 &&
	    strcmp(res.events, want) == 0 &&
	    res.last == WS_ERROR;
	if (!ok)
		fprintf(stderr, "  want \"%s\", got \"%s\"\n", want,
		    res.events);
	free(res.data);
	/* It stays refused. */
	return (ok && ws_decode(&d, buf, 2, &used, buf + 100, 10,
	    &outlen) == WS_ERROR && used == 0);
}

TEST(refusals)
{
	uint8_t	f[64];
	size_t	n;
	int	op, bit;

	n = mkframe(f, 0x82, "abcd", 4, NULL);
	ASSERT(refused(1, f, n, "unmasked frame", WS_CLOSE_PROTOCOL));
	n = mkframe(f, 0x82, "abcd", 4, mask1);
	ASSERT(refused(0, f, n, "masked frame", WS_CLOSE_PROTOCOL));
	for (bit = 0x10; bit <= 0x40; bit <<= 1) {
		n = mkframe(f, 0x82 | bit, "abcd", 4, mask1);
		ASSERT(refused(1, f, n, "reserved bits set",
		    WS_CLOSE_PROTOCOL));
	}
	n = mkframe(f, 0x81, "abcd", 4, mask1);
	ASSERT(refused(1, f, n, "text frame", WS_CLOSE_UNSUPPORTED));
	for (op = 3; op <= 0xf; op++) {
		if (op >= WS_OP_CLOSE && op <= WS_OP_PONG)
			continue;
		n = mkframe(f, 0x80 | op, "abcd", 4, mask1);
		ASSERT(refused(1, f, n, "bad opcode", WS_CLOSE_PROTOCOL));
	}
	n = mkframe(f, 0x09, "abcd", 4, mask1);
	ASSERT(refused(1, f, n, "fragmented control frame",
	    WS_CLOSE_PROTOCOL));
	/* A ping of 126 bytes: only the header matters. */
	n = ws_frame_header(f, WS_OP_PING, 126, mask1);
	ASSERT(refused(1, f, n, "control frame too long",
	    WS_CLOSE_PROTOCOL));
	n = mkframe(f, 0x80, "abcd", 4, mask1);
	ASSERT(refused(1, f, n, "continuation outside a message",
	    WS_CLOSE_PROTOCOL));
	n = mkframe(f, 0x02, "ab", 2, mask1);
	n += mkframe(f + n, 0x82, "cd", 2, mask1);
	ASSERT(refused(1, f, n, "new message inside a fragmented one",
	    WS_CLOSE_PROTOCOL));
	n = ws_frame_header(f, WS_OP_BINARY, WS_FRAME_MAX + 1, mask1);
	ASSERT(refused(1, f, n, "frame too large", WS_CLOSE_TOOBIG));
	n = ws_frame_header(f, WS_OP_BINARY, 1ULL << 40, mask1);
	ASSERT(refused(1, f, n, "frame too large", WS_CLOSE_TOOBIG));
	n = ws_frame_header(f, WS_OP_BINARY, 1ULL << 63, mask1);
	ASSERT(refused(1, f, n, "64-bit length with the top bit set",
	    WS_CLOSE_PROTOCOL));
}

/* The largest frame allowed is taken: the header passes. */
TEST(largest_frame)
{
	struct ws_dec	d;
	uint8_t		f[WS_HDR_MAX], out[1];
	size_t		n, used, outlen;

	n = ws_frame_header(f, WS_OP_BINARY, WS_FRAME_MAX, mask1);
	ws_dec_init(&d, 1);
	ASSERT_INT_EQ(ws_decode(&d, f, n, &used, out, sizeof(out), &outlen),
	    WS_MORE);
	ASSERT_INT_EQ(used, n);
	ASSERT_INT_EQ(d.wd_left, WS_FRAME_MAX);
}

TEST_MAIN()
