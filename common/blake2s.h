/*
 * BLAKE2s-256 (RFC 7693), HMAC over it (RFC 2104, 64-byte block) and
 * the HKDF of the Noise protocol framework built on that HMAC.
 * libsodium has BLAKE2b only, so the hash is written here.
 */
#ifndef BLAKE2S_H
#define BLAKE2S_H

#include <stddef.h>
#include <stdint.h>

#define BLAKE2S_BLOCKLEN	64
#define BLAKE2S_OUTLEN		32
#define BLAKE2S_KEYLEN		32

struct blake2s_ctx {
	uint32_t	b_h[8];
	uint32_t	b_t[2];
	uint8_t		b_buf[BLAKE2S_BLOCKLEN];
	size_t		b_buflen;
	size_t		b_outlen;
};

int	blake2s_init(struct blake2s_ctx *, size_t, const uint8_t *, size_t);
void	blake2s_update(struct blake2s_ctx *, const void *, size_t);
void	blake2s_final(struct blake2s_ctx *, uint8_t *);
int	blake2s(uint8_t *, size_t, const uint8_t *, size_t, const void *,
	    size_t);
void	blake2s_hmac(uint8_t [BLAKE2S_OUTLEN], const uint8_t *, size_t,
	    const void *, size_t);
void	blake2s_hkdf(const uint8_t [BLAKE2S_OUTLEN], const uint8_t *, size_t,
	    uint8_t [BLAKE2S_OUTLEN], uint8_t [BLAKE2S_OUTLEN],
	    uint8_t [BLAKE2S_OUTLEN]);

#endif /* BLAKE2S_H */
