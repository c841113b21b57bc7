/*
 * BLAKE2s (RFC 7693), written from the RFC's description and checked
 * against its Appendix B vector.  HMAC-BLAKE2s is RFC 2104 over the
 * unkeyed hash, not BLAKE2s's own keyed mode: that is what Noise
 * (and Tailscale's controlbase) uses.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "blake2s.h"

static const uint32_t blake2s_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

static const uint8_t blake2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 }
};

static uint32_t
blake2s_rotr(uint32_t x, int n)
{
	return ((x >> n) | (x << (32 - n)));
}

static uint32_t
blake2s_load32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

#define G(a, b, c, d, x, y) do {					\
	v[a] = v[a] + v[b] + (x);					\
	v[d] = blake2s_rotr(v[d] ^ v[a], 16);				\
	v[c] = v[c] + v[d];						\
	v[b] = blake2s_rotr(v[b] ^ v[c], 12);				\
	v[a] = v[a] + v[b] + (y);					\
	v[d] = blake2s_rotr(v[d] ^ v[a], 8);				\
	v[c] = v[c] + v[d];						\
	v[b] = blake2s_rotr(v[b] ^ v[c], 7);				\
} while (0)

/* The compression function F of RFC 7693 section 3.2. */
static void
blake2s_compress(struct blake2s_ctx *ctx, const uint8_t *block, int last)
{
	uint32_t	 v[16], m[16];
	const uint8_t	*s;
	int		 i;

	for (i = 0; i < 16; i++)
		m[i] = blake2s_load32(block + 4 * i);
	for (i = 0; i < 8; i++) {
		v[i] = ctx->b_h[i];
		v[i + 8] = blake2s_iv[i];
	}
	v[12] ^= ctx->b_t[0];
	v[13] ^= ctx->b_t[1];
	if (last)
		v[14] = ~v[14];
	for (i = 0; i < 10; i++) {
		s = blake2s_sigma[i];
		G(0, 4, 8, 12, m[s[0]], m[s[1]]);
		G(1, 5, 9, 13, m[s[2]], m[s[3]]);
		G(2, 6, 10, 14, m[s[4]], m[s[5]]);
		G(3, 7, 11, 15, m[s[6]], m[s[7]]);
		G(0, 5, 10, 15, m[s[8]], m[s[9]]);
		G(1, 6, 11, 12, m[s[10]], m[s[11]]);
		G(2, 7, 8, 13, m[s[12]], m[s[13]]);
		G(3, 4, 9, 14, m[s[14]], m[s[15]]);
	}
	for (i = 0; i < 8; i++)
		ctx->b_h[i] ^= v[i] ^ v[i + 8];
	sodium_memzero(v, sizeof(v));
	sodium_memzero(m, sizeof(m));
}

#undef G

static void
blake2s_count(struct blake2s_ctx *ctx, uint32_t n)
{
	ctx->b_t[0] += n;
	if (ctx->b_t[0] < n)
		ctx->b_t[1]++;
}

/*
 * Start a hash of outlen bytes (1 to 32), keyed with keylen bytes
 * (0 to 32; key may be NULL when keylen is 0).
 */
int
blake2s_init(struct blake2s_ctx *ctx, size_t outlen, const uint8_t *key,
    size_t keylen)
{
	int	i;

	if (outlen == 0 || outlen > BLAKE2S_OUTLEN || keylen > BLAKE2S_KEYLEN ||
	    (key == NULL && keylen != 0))
		return (-1);
	memset(ctx, 0, sizeof(*ctx));
	for (i = 0; i < 8; i++)
		ctx->b_h[i] = blake2s_iv[i];
	ctx->b_h[0] ^= 0x01010000 ^ (uint32_t)keylen << 8 ^ (uint32_t)outlen;
	ctx->b_outlen = outlen;
	if (keylen > 0) {
		memcpy(ctx->b_buf, key, keylen);
		ctx->b_buflen = BLAKE2S_BLOCKLEN;
	}
	return (0);
}

void
blake2s_update(struct blake2s_ctx *ctx, const void *data, size_t len)
{
	const uint8_t	*in = data;
	size_t		 n;

	while (len > 0) {
		/* Keep the last block back: final() must compress it. */
		if (ctx->b_buflen == BLAKE2S_BLOCKLEN) {
			blake2s_count(ctx, BLAKE2S_BLOCKLEN);
			blake2s_compress(ctx, ctx->b_buf, 0);
			ctx->b_buflen = 0;
		}
		n = BLAKE2S_BLOCKLEN - ctx->b_buflen;
		if (n > len)
			n = len;
		memcpy(ctx->b_buf + ctx->b_buflen, in, n);
		ctx->b_buflen += n;
		in += n;
		len -= n;
	}
}

/* Write b_outlen bytes to out and wipe the context. */
void
blake2s_final(struct blake2s_ctx *ctx, uint8_t *out)
{
	uint8_t	full[BLAKE2S_OUTLEN];
	int	i;

	blake2s_count(ctx, (uint32_t)ctx->b_buflen);
	memset(ctx->b_buf + ctx->b_buflen, 0,
	    BLAKE2S_BLOCKLEN - ctx->b_buflen);
	blake2s_compress(ctx, ctx->b_buf, 1);
	for (i = 0; i < 8; i++) {
		full[4 * i] = ctx->b_h[i] & 0xff;
		full[4 * i + 1] = (ctx->b_h[i] >> 8) & 0xff;
		full[4 * i + 2] = (ctx->b_h[i] >> 16) & 0xff;
		full[4 * i + 3] = (ctx->b_h[i] >> 24) & 0xff;
	}
	memcpy(out, full, ctx->b_outlen);
	sodium_memzero(full, sizeof(full));
	sodium_memzero(ctx, sizeof(*ctx));
}

/* One-shot hash; returns -1 on bad lengths. */
int
blake2s(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
    const void *in, size_t inlen)
{
	struct blake2s_ctx	ctx;

	if (blake2s_init(&ctx, outlen, key, keylen) == -1)
		return (-1);
	blake2s_update(&ctx, in, inlen);
	blake2s_final(&ctx, out);
	return (0);
}

/* HMAC-BLAKE2s-256 (RFC 2104; keys longer than a block are hashed). */
void
blake2s_hmac(uint8_t out[BLAKE2S_OUTLEN], const uint8_t *key, size_t keylen,
    const void *in, size_t inlen)
{
	struct blake2s_ctx	ctx;
	uint8_t			kb[BLAKE2S_BLOCKLEN], pad[BLAKE2S_BLOCKLEN];
	uint8_t			inner[BLAKE2S_OUTLEN];
	size_t			i;

	memset(kb, 0, sizeof(kb));
	if (keylen > BLAKE2S_BLOCKLEN)
		(void)blake2s(kb, BLAKE2S_OUTLEN, NULL, 0, key, keylen);
	else if (keylen > 0)
		memcpy(kb, key, keylen);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] = kb[i] ^ 0x36;
	(void)blake2s_init(&ctx, BLAKE2S_OUTLEN, NULL, 0);
	blake2s_update(&ctx, pad, sizeof(pad));
	blake2s_update(&ctx, in, inlen);
	blake2s_final(&ctx, inner);

	for (i = 0; i < sizeof(pad); i++)
		pad[i] = kb[i] ^ 0x5c;
	(void)blake2s_init(&ctx, BLAKE2S_OUTLEN, NULL, 0);
	blake2s_update(&ctx, pad, sizeof(pad));
	blake2s_update(&ctx, inner, sizeof(inner));
	blake2s_final(&ctx, out);

	sodium_memzero(kb, sizeof(kb));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

/*
 * Noise's HKDF(chaining_key, ikm): o1 = HMAC(prk, 0x01),
 * o2 = HMAC(prk, o1 || 0x02), o3 = HMAC(prk, o2 || 0x03), with
 * prk = HMAC(ck, ikm).  o3 may be NULL for two outputs.  The outputs
 * may alias ck.
 */
void
blake2s_hkdf(const uint8_t ck[BLAKE2S_OUTLEN], const uint8_t *ikm,
    size_t ikmlen, uint8_t o1[BLAKE2S_OUTLEN], uint8_t o2[BLAKE2S_OUTLEN],
    uint8_t o3[BLAKE2S_OUTLEN])
{
	uint8_t	prk[BLAKE2S_OUTLEN];
	uint8_t	t[BLAKE2S_OUTLEN + 1];
	uint8_t	r1[BLAKE2S_OUTLEN], r2[BLAKE2S_OUTLEN];

	blake2s_hmac(prk, ck, BLAKE2S_OUTLEN, ikm, ikmlen);
	t[0] = 0x01;
	blake2s_hmac(r1, prk, sizeof(prk), t, 1);
	memcpy(t, r1, BLAKE2S_OUTLEN);
	t[BLAKE2S_OUTLEN] = 0x02;
	blake2s_hmac(r2, prk, sizeof(prk), t, sizeof(t));
	if (o3 != NULL) {
		memcpy(t, r2, BLAKE2S_OUTLEN);
		t[BLAKE2S_OUTLEN] = 0x03;
		blake2s_hmac(o3, prk, sizeof(prk), t, sizeof(t));
	}
	memcpy(o1, r1, BLAKE2S_OUTLEN);
	memcpy(o2, r2, BLAKE2S_OUTLEN);
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
	sodium_memzero(r1, sizeof(r1));
	sodium_memzero(r2, sizeof(r2));
}
