/*
 * ChaCha20-Poly1305 (RFC 8439) for the Noise transport's records,
 * through OpenSSL's EVP: about 1.8 times libsodium's speed on 4 KiB
 * records here (AVX-512), and every map byte a server sends goes
 * through it.  The handshake keeps libsodium.
 */
#ifndef AEAD_H
#define AEAD_H

#include <stddef.h>
#include <stdint.h>

#define AEAD_KEYLEN	32
#define AEAD_NONCELEN	12
#define AEAD_TAGLEN	16

int	aead_init(void);
void	aead_clear(void);
int	aead_seal(const uint8_t [AEAD_KEYLEN], const uint8_t [AEAD_NONCELEN],
	    const uint8_t *, size_t, uint8_t *);
int	aead_open(const uint8_t [AEAD_KEYLEN], const uint8_t [AEAD_NONCELEN],
	    const uint8_t *, size_t, uint8_t *);

#endif /* AEAD_H */
