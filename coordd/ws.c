/*
 * RFC 6455 WebSocket framing: see ws.h.  Only what the /ts2021 variant
 * needs: binary messages, fragmented or not, with ping, pong and close
 * in between.  Text, extensions and oversized frames are refused.
 */
#include <sys/types.h>

#include <string.h>

/*
 * The one-shot SHA1() of OpenSSL 3 fetches an implementation from a
 * provider, which may read openssl.cnf on first use, in the chroot.
 * The low-level functions just compute; they are deprecated, not gone.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <event2/buffer.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "ws.h"

#define WS_KEY_MAX	64	/* a key is 24 characters; be generous */

#ifndef MINIMUM
#define MINIMUM(a, b)	(((a) < (b)) ? (a) : (b))
#endif

/*
 * Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key +
 * GUID)).  out must hold WS_ACCEPT_LEN + 1 bytes.
 */
int
ws_accept(const char *key, char *out, size_t outlen)
{
	char		buf[WS_KEY_MAX + sizeof(WS_GUID)];
	uint8_t		md[SHA_DIGEST_LENGTH];
	SHA_CTX		ctx;
	size_t		keylen = strlen(key);

	if (keylen > WS_KEY_MAX || outlen < WS_ACCEPT_LEN + 1)
		return (-1);
	memcpy(buf, key, keylen);
	memcpy(buf + keylen, WS_GUID, sizeof(WS_GUID) - 1);
	if (!SHA1_Init(&ctx) ||
	    !SHA1_Update(&ctx, buf, keylen + sizeof(WS_GUID) - 1) ||
	    !SHA1_Final(md, &ctx))
		return (-1);
	sodium_bin2base64(out, outlen, md, sizeof(md),
	    sodium_base64_VARIANT_ORIGINAL);
	return (0);
}

/* A key is the base64 of 16 bytes (RFC 6455 section 4.1). */
int
ws_key_valid(const char *key)
{
	uint8_t		raw[17];
	size_t		len;

	return (strlen(key) == 24 && sodium_base642bin(raw, sizeof(raw), key,
	    24, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    len == 16);
}

/* masked: 1 on a server (clients must mask), 0 on a client. */
void
ws_dec_init(struct ws_dec *d, int masked)
{
	memset(d, 0, sizeof(*d));
	d->wd_masked = masked;
}

void
ws_mask(uint8_t *p, size_t len, const uint8_t *mask, uint64_t off)
{
	size_t	i;

	for (i = 0; i < len; i++)
		p[i] ^= mask[(off + i) & 3];
}

static int
ws_fail(struct ws_dec *d, const char *why, uint16_t code)
{
	d->wd_errstr = why;
	d->wd_errcode = code;
	return (WS_ERROR);
}

/* Refuse what the first two header bytes already show to be wrong. */
static int
ws_check_start(struct ws_dec *d)
{
	uint8_t	b0 = d->wd_hdr[0], b1 = d->wd_hdr[1];
	int	fin = b0 & 0x80, masked = b1 & 0x80;

	d->wd_op = b0 & 0x0f;
	if (b0 & 0x70)
		return (ws_fail(d, "reserved bits set", WS_CLOSE_PROTOCOL));
	if (d->wd_masked && !masked)
		return (ws_fail(d, "unmasked frame", WS_CLOSE_PROTOCOL));
	if (!d->wd_masked && masked)
		return (ws_fail(d, "masked frame", WS_CLOSE_PROTOCOL));
	switch (d->wd_op) {
	case WS_OP_CONT:
		if (!d->wd_msgopen)
			return (ws_fail(d, "continuation outside a message",
			    WS_CLOSE_PROTOCOL));
		break;
	case WS_OP_TEXT:
		return (ws_fail(d, "text frame", WS_CLOSE_UNSUPPORTED));
	case WS_OP_BINARY:
		if (d->wd_msgopen)
			return (ws_fail(d, "new message inside a fragmented "
			    "one", WS_CLOSE_PROTOCOL));
		break;
	case WS_OP_CLOSE:
	case WS_OP_PING:
	case WS_OP_PONG:
		if (!fin)
			return (ws_fail(d, "fragmented control frame",
			    WS_CLOSE_PROTOCOL));
		if ((b1 & 0x7f) > WS_CTL_MAX)
			return (ws_fail(d, "control frame too long",
			    WS_CLOSE_PROTOCOL));
		break;
	default:
		return (ws_fail(d, "bad opcode", WS_CLOSE_PROTOCOL));
	}
	if (d->wd_op == WS_OP_CONT || d->wd_op == WS_OP_BINARY)
		d->wd_msgopen = !fin;
	return (0);
}

/*
 * Gather a frame header from in.  1: it is whole and parsed; 0: more
 * input is needed; WS_ERROR: refused.
 */
static int
ws_header(struct ws_dec *d, const uint8_t *in, size_t inlen, size_t *used)
{
	size_t		need, n, i;
	uint64_t	len;
	uint8_t		len7;

	for (;;) {
		need = 2;
		if (d->wd_hdrlen >= 2) {
			len7 = d->wd_hdr[1] & 0x7f;
			need += len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
			need += (d->wd_hdr[1] & 0x80) ? 4 : 0;
		}
		if (d->wd_hdrlen == need)
			break;
		n = MINIMUM(need - d->wd_hdrlen, inlen - *used);
		if (n == 0)
			return (0);
		memcpy(d->wd_hdr + d->wd_hdrlen, in + *used, n);
		d->wd_hdrlen += n;
		*used += n;
		if (d->wd_hdrlen == 2 && ws_check_start(d) == WS_ERROR)
			return (WS_ERROR);
	}
	len7 = d->wd_hdr[1] & 0x7f;
	i = 2;
	if (len7 == 126) {
		len = (uint64_t)d->wd_hdr[2] << 8 | d->wd_hdr[3];
		i = 4;
	} else if (len7 == 127) {
		for (len = 0; i < 10; i++)
			len = len << 8 | d->wd_hdr[i];
		if (len >> 63)
			return (ws_fail(d, "64-bit length with the top bit "
			    "set", WS_CLOSE_PROTOCOL));
	} else
		len = len7;
	if (len > WS_FRAME_MAX)
		return (ws_fail(d, "frame too large", WS_CLOSE_TOOBIG));
	d->wd_hasmask = (d->wd_hdr[1] & 0x80) != 0;
	if (d->wd_hasmask)
		memcpy(d->wd_mask, d->wd_hdr + i, 4);
	d->wd_left = len;
	d->wd_off = 0;
	d->wd_ctllen = 0;
	d->wd_hdrlen = 0;
	d->wd_inframe = 1;
	return (1);
}

/*
 * Decode frames from in[0..inlen): binary payload bytes, unmasked, go
 * to out (at most outsz of them).  Stops after each control frame so
 * that the caller can answer it.  *used and *outlen say how much was
 * taken and given, whatever the result.  After WS_ERROR or WS_CLOSE the
 * decoder is done.
 */
int
ws_decode(struct ws_dec *d, const uint8_t *in, size_t inlen, size_t *used,
    uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t	n;
	int	r;

	*used = *outlen = 0;
	if (d->wd_errstr != NULL)
		return (WS_ERROR);
	for (;;) {
		if (!d->wd_inframe &&
		    (r = ws_header(d, in, inlen, used)) != 1)
			return (r == 0 ? WS_MORE : r);
		n = MINIMUM(d->wd_left, inlen - *used);
		if (d->wd_op & 0x8) {
			/* wd_left <= WS_CTL_MAX - wd_ctllen */
			memcpy(d->wd_ctl + d->wd_ctllen, in + *used, n);
			if (d->wd_hasmask)
				ws_mask(d->wd_ctl + d->wd_ctllen, n,
				    d->wd_mask, d->wd_off);
			d->wd_ctllen += n;
		} else {
			n = MINIMUM(n, outsz - *outlen);
			memcpy(out + *outlen, in + *used, n);
			if (d->wd_hasmask)
				ws_mask(out + *outlen, n, d->wd_mask,
				    d->wd_off);
			*outlen += n;
		}
		*used += n;
		d->wd_left -= n;
		d->wd_off += n;
		if (d->wd_left > 0)
			return (WS_MORE);
		d->wd_inframe = 0;
		switch (d->wd_op) {
		case WS_OP_PING:
			return (WS_PING);
		case WS_OP_PONG:
			return (WS_PONG);
		case WS_OP_CLOSE:
			return (WS_CLOSE);
		}
	}
}

/*
 * A final frame's header for a payload of len bytes into hdr (at least
 * WS_HDR_MAX bytes); mask is NULL for a server.  Returns its length.
 */
size_t
ws_frame_header(uint8_t *hdr, int op, uint64_t len, const uint8_t *mask)
{
	size_t	n = 2;
	int	i;

	hdr[0] = 0x80 | (op & 0x0f);
	hdr[1] = mask != NULL ? 0x80 : 0;
	if (len < 126)
		hdr[1] |= len;
	else if (len <= 0xffff) {
		hdr[1] |= 126;
		hdr[n++] = len >> 8;
		hdr[n++] = len;
	} else {
		hdr[1] |= 127;
		for (i = 7; i >= 0; i--)
			hdr[n++] = len >> (8 * i);
	}
	if (mask != NULL) {
		memcpy(hdr + n, mask, 4);
		n += 4;
	}
	return (n);
}

/* One unmasked frame (the server's kind) appended to out: 0 or -1. */
int
ws_frame_add(struct evbuffer *out, int op, const void *p, size_t len)
{
	uint8_t	hdr[WS_HDR_MAX];
	size_t	hlen;

	hlen = ws_frame_header(hdr, op, len, NULL);
	if (evbuffer_add(out, hdr, hlen) == -1 ||
	    evbuffer_add(out, p, len) == -1)
		return (-1);
	return (0);
}
