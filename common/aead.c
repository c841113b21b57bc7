/*
 * The Noise transport's AEAD through OpenSSL (aead.h).  One cipher
 * context serves every record: these processes are single-threaded and
 * a record is sealed or opened in one call.  In place is allowed (the
 * output may be the input).
 */
#include <limits.h>
#include <string.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "aead.h"

static EVP_CIPHER	*aead_cipher;
static EVP_CIPHER_CTX	*aead_ctx;

/*
 * Fetch the cipher once.  A sandboxed process calls this before its
 * chroot: the first fetch may read OpenSSL's configuration.
 */
int
aead_init(void)
{
	if (aead_ctx != NULL)
		return (0);
	if ((aead_cipher = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305",
	    NULL)) == NULL || (aead_ctx = EVP_CIPHER_CTX_new()) == NULL) {
		EVP_CIPHER_free(aead_cipher);
		aead_cipher = NULL;
		return (-1);
	}
	return (0);
}

/*
 * The context keeps the key of the last record it sealed or opened:
 * wipe it when a transport's keys go.
 */
void
aead_clear(void)
{
	if (aead_ctx != NULL)
		EVP_CIPHER_CTX_reset(aead_ctx);
}

/* ptlen bytes of pt to ct, followed by the tag: ptlen + AEAD_TAGLEN. */
int
aead_seal(const uint8_t key[AEAD_KEYLEN], const uint8_t nonce[AEAD_NONCELEN],
    const uint8_t *pt, size_t ptlen, uint8_t *ct)
{
	int	len, fin;

	if (ptlen > INT_MAX || aead_init() == -1)
		return (-1);
	if (EVP_EncryptInit_ex2(aead_ctx, aead_cipher, key, nonce,
	    NULL) != 1 ||
	    EVP_EncryptUpdate(aead_ctx, ct, &len, pt, (int)ptlen) != 1 ||
	    EVP_EncryptFinal_ex(aead_ctx, ct + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(aead_ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAGLEN,
	    ct + ptlen) != 1)
		return (-1);
	return (0);
}

/* ctlen bytes, the tag last, to ctlen - AEAD_TAGLEN bytes of pt. */
int
aead_open(const uint8_t key[AEAD_KEYLEN], const uint8_t nonce[AEAD_NONCELEN],
    const uint8_t *ct, size_t ctlen, uint8_t *pt)
{
	uint8_t	tag[AEAD_TAGLEN];
	int	len, fin;

	if (ctlen < AEAD_TAGLEN || ctlen > INT_MAX || aead_init() == -1)
		return (-1);
	ctlen -= AEAD_TAGLEN;
	/* The tag first: pt may be where the ciphertext is. */
	memcpy(tag, ct + ctlen, sizeof(tag));
	if (EVP_DecryptInit_ex2(aead_ctx, aead_cipher, key, nonce,
	    NULL) != 1 ||
	    EVP_DecryptUpdate(aead_ctx, pt, &len, ct, (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(aead_ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAGLEN,
	    tag) != 1 ||
	    EVP_DecryptFinal_ex(aead_ctx, pt + len, &fin) != 1)
		return (-1);
	return (0);
}
