/*
 * Noise_IK_25519_ChaChaPoly_BLAKE2s for Tailscale's controlbase
 * (spec/tailscale-protocol.md section 3).  The handshake follows the
 * Noise specification; the transport nonce is controlbase's: four zero
 * bytes and a big-endian 64-bit counter.
 *
 * The responder's es and ss DH operations use the server's static
 * private key, which this process does not hold: the handshake stops
 * with NOISE_NEED_DH and hs_dh_point set, and resumes when the caller
 * passes the result to noise_resp_dh_result().
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "aead.h"
#include "blake2s.h"
#include "noise.h"

enum noise_state {
	NOISE_S_NONE = 0,
	NOISE_S_INIT_WRITE1,	/* initiator: write the initiation */
	NOISE_S_INIT_READ2,	/* initiator: read the response */
	NOISE_S_RESP_START,	/* responder: prologue not known yet */
	NOISE_S_RESP_READ1,	/* responder: read the initiation */
	NOISE_S_RESP_ES,	/* responder: waiting for DH(s, re) */
	NOISE_S_RESP_SS,	/* responder: waiting for DH(s, rs) */
	NOISE_S_RESP_WRITE2,	/* responder: write the response */
	NOISE_S_SPLIT,		/* handshake complete */
	NOISE_S_FAILED
};

static int
noise_fail(struct noise_hs *hs, const char *reason)
{
	sodium_memzero(hs->hs_ck, sizeof(hs->hs_ck));
	sodium_memzero(hs->hs_k, sizeof(hs->hs_k));
	sodium_memzero(hs->hs_s_priv, sizeof(hs->hs_s_priv));
	sodium_memzero(hs->hs_e_priv, sizeof(hs->hs_e_priv));
	sodium_memzero(hs->hs_pending, sizeof(hs->hs_pending));
	sodium_memzero(hs->hs_payload, sizeof(hs->hs_payload));
	hs->hs_pendinglen = hs->hs_payloadlen = 0;
	hs->hs_e_set = 0;
	hs->hs_state = NOISE_S_FAILED;
	hs->hs_errstr = reason;
	return (NOISE_ERR);
}

static int
noise_expect(struct noise_hs *hs, int state)
{
	if (hs->hs_state == state)
		return (0);
	if (hs->hs_state == NOISE_S_FAILED)
		return (NOISE_ERR);	/* keep the first reason */
	return (noise_fail(hs, "handshake call out of order"));
}

static void
noise_mix_hash(struct noise_hs *hs, const uint8_t *data, size_t len)
{
	struct blake2s_ctx	ctx;

	(void)blake2s_init(&ctx, BLAKE2S_OUTLEN, NULL, 0);
	blake2s_update(&ctx, hs->hs_h, sizeof(hs->hs_h));
	blake2s_update(&ctx, data, len);
	blake2s_final(&ctx, hs->hs_h);
}

static void
noise_mix_key(struct noise_hs *hs, const uint8_t ikm[NOISE_KEYLEN])
{
	blake2s_hkdf(hs->hs_ck, ikm, NOISE_KEYLEN, hs->hs_ck, hs->hs_k, NULL);
	hs->hs_n = 0;
}

/* Noise's nonce for ChaChaPoly: 4 zero bytes, 64-bit little-endian n. */
static void
noise_hs_nonce(uint64_t n, uint8_t nonce[12])
{
	int	i;

	memset(nonce, 0, 12);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (n >> (8 * i)) & 0xff;
}

/* controlbase's transport nonce: 4 zero bytes, 64-bit big-endian n. */
static void
noise_rec_nonce(uint64_t n, uint8_t nonce[12])
{
	int	i;

	memset(nonce, 0, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] = (n >> (8 * i)) & 0xff;
}

/* EncryptAndHash with a key always set (true of every IK token). */
static void
noise_encrypt_hash(struct noise_hs *hs, const uint8_t *pt, size_t ptlen,
    uint8_t *out)
{
	uint8_t			nonce[12];
	unsigned long long	clen;

	noise_hs_nonce(hs->hs_n, nonce);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, pt, ptlen,
	    hs->hs_h, sizeof(hs->hs_h), NULL, nonce, hs->hs_k);
	hs->hs_n++;
	noise_mix_hash(hs, out, ptlen + NOISE_TAGLEN);
}

static int
noise_decrypt_hash(struct noise_hs *hs, const uint8_t *ct, size_t ctlen,
    uint8_t *out)
{
	uint8_t			nonce[12];
	unsigned long long	plen;

	if (ctlen < NOISE_TAGLEN)
		return (-1);
	noise_hs_nonce(hs->hs_n, nonce);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &plen, NULL, ct,
	    ctlen, hs->hs_h, sizeof(hs->hs_h), nonce, hs->hs_k) != 0)
		return (-1);
	hs->hs_n++;
	noise_mix_hash(hs, ct, ctlen);
	return (0);
}

/* X25519 that refuses an all-zero result (low-order point). */
static int
noise_dh(uint8_t out[NOISE_KEYLEN], const uint8_t priv[NOISE_KEYLEN],
    const uint8_t pub[NOISE_KEYLEN])
{
	return (crypto_scalarmult(out, priv, pub) == 0 ? 0 : -1);
}

/* MixKey(DH(priv, pub)), wiping the shared secret. */
static int
noise_mix_dh(struct noise_hs *hs, const uint8_t priv[NOISE_KEYLEN],
    const uint8_t pub[NOISE_KEYLEN])
{
	uint8_t	shared[NOISE_KEYLEN];

	if (noise_dh(shared, priv, pub) == -1) {
		sodium_memzero(shared, sizeof(shared));
		return (-1);
	}
	noise_mix_key(hs, shared);
	sodium_memzero(shared, sizeof(shared));
	return (0);
}

static int
noise_make_ephemeral(struct noise_hs *hs)
{
	if (!hs->hs_e_set) {
		randombytes_buf(hs->hs_e_priv, sizeof(hs->hs_e_priv));
		hs->hs_e_set = 1;
	}
	if (crypto_scalarmult_base(hs->hs_e_pub, hs->hs_e_priv) != 0)
		return (-1);
	return (0);
}

/*
 * Start the symmetric state: h = ck = HASH(protocol name) (33 bytes,
 * so hashed), MixHash(prologue), then the pre-message: the responder's
 * static public key.
 */
static void
noise_hs_start(struct noise_hs *hs, const uint8_t *prologue, size_t plen)
{
	const char	*name = NOISE_PROTOCOL_NAME;

	(void)blake2s(hs->hs_h, BLAKE2S_OUTLEN, NULL, 0, name, strlen(name));
	memcpy(hs->hs_ck, hs->hs_h, sizeof(hs->hs_ck));
	noise_mix_hash(hs, prologue, plen);
	if (hs->hs_role == NOISE_INITIATOR)
		noise_mix_hash(hs, hs->hs_rs, sizeof(hs->hs_rs));
	else
		noise_mix_hash(hs, hs->hs_s_pub, sizeof(hs->hs_s_pub));
	hs->hs_state = hs->hs_role == NOISE_INITIATOR ?
	    NOISE_S_INIT_WRITE1 : NOISE_S_RESP_READ1;
}

/*
 * Generic handshake set-up.  The initiator gives its static key pair
 * and the responder's public key (rs); the responder gives its public
 * key only (s_priv and rs NULL).
 */
int
noise_hs_init(struct noise_hs *hs, int role, const uint8_t *prologue,
    size_t plen, const uint8_t *s_priv, const uint8_t s_pub[NOISE_KEYLEN],
    const uint8_t *rs)
{
	memset(hs, 0, sizeof(*hs));
	hs->hs_role = role;
	if (role == NOISE_INITIATOR) {
		if (s_priv == NULL || rs == NULL)
			return (noise_fail(hs, "initiator needs its static "
			    "key and the server's public key"));
		memcpy(hs->hs_s_priv, s_priv, NOISE_KEYLEN);
		memcpy(hs->hs_rs, rs, NOISE_KEYLEN);
	} else if (role != NOISE_RESPONDER)
		return (noise_fail(hs, "bad role"));
	memcpy(hs->hs_s_pub, s_pub, NOISE_KEYLEN);
	noise_hs_start(hs, prologue, plen);
	return (NOISE_OK);
}

/* Test hook: use this ephemeral private key instead of a random one. */
void
noise_hs_set_ephemeral(struct noise_hs *hs, const uint8_t priv[NOISE_KEYLEN])
{
	memcpy(hs->hs_e_priv, priv, NOISE_KEYLEN);
	hs->hs_e_set = 1;
}

/* Initiator: -> e, es, s, ss, payload. */
/*
 * The start every handshake message we write shares: the state and
 * the sizes checked, a fresh ephemeral key, sent in clear and hashed.
 * Returns -1 with the handshake failed.
 */
static int
noise_write_e(struct noise_hs *hs, int state, size_t plen, size_t outsize,
    size_t need, uint8_t *out)
{
	if (noise_expect(hs, state) == -1)
		return (-1);
	if (plen > NOISE_HS_PAYLOAD_MAX) {
		noise_fail(hs, "handshake payload too long");
		return (-1);
	}
	if (outsize < need) {
		noise_fail(hs, "output buffer too small");
		return (-1);
	}
	if (noise_make_ephemeral(hs) == -1) {
		noise_fail(hs, "bad ephemeral key");
		return (-1);
	}
	memcpy(out, hs->hs_e_pub, NOISE_KEYLEN);
	noise_mix_hash(hs, hs->hs_e_pub, NOISE_KEYLEN);
	return (0);
}

int
noise_hs_write_msg1(struct noise_hs *hs, const uint8_t *payload, size_t plen,
    uint8_t *out, size_t outsize, size_t *outlen)
{
	size_t	need = NOISE_KEYLEN + NOISE_KEYLEN + NOISE_TAGLEN + plen +
		    NOISE_TAGLEN;

	if (noise_write_e(hs, NOISE_S_INIT_WRITE1, plen, outsize, need,
	    out) == -1)
		return (NOISE_ERR);
	if (noise_mix_dh(hs, hs->hs_e_priv, hs->hs_rs) == -1)
		return (noise_fail(hs, "es: low-order server key"));
	noise_encrypt_hash(hs, hs->hs_s_pub, NOISE_KEYLEN, out + NOISE_KEYLEN);
	if (noise_mix_dh(hs, hs->hs_s_priv, hs->hs_rs) == -1)
		return (noise_fail(hs, "ss: low-order server key"));
	noise_encrypt_hash(hs, payload, plen,
	    out + 2 * NOISE_KEYLEN + NOISE_TAGLEN);
	*outlen = need;
	hs->hs_state = NOISE_S_INIT_READ2;
	return (NOISE_OK);
}

/*
 * Responder: read e, keep AEAD(s) and AEAD(payload) for later, and
 * ask for es = DH(s, re).
 */
int
noise_hs_read_msg1(struct noise_hs *hs, const uint8_t *msg, size_t len)
{
	size_t	min = NOISE_KEYLEN + NOISE_KEYLEN + 2 * NOISE_TAGLEN;

	if (noise_expect(hs, NOISE_S_RESP_READ1) == -1)
		return (NOISE_ERR);
	if (len < min)
		return (noise_fail(hs, "initiation too short"));
	if (len > min + NOISE_HS_PAYLOAD_MAX)
		return (noise_fail(hs, "initiation too long"));
	memcpy(hs->hs_re, msg, NOISE_KEYLEN);
	noise_mix_hash(hs, hs->hs_re, NOISE_KEYLEN);
	hs->hs_pendinglen = len - NOISE_KEYLEN;
	memcpy(hs->hs_pending, msg + NOISE_KEYLEN, hs->hs_pendinglen);
	memcpy(hs->hs_dh_point, hs->hs_re, NOISE_KEYLEN);
	hs->hs_state = NOISE_S_RESP_ES;
	return (NOISE_NEED_DH);
}

/*
 * Responder: the caller's answer to NOISE_NEED_DH, X25519 of the
 * server's static private key and hs_dh_point.  After es the machine
 * key is decrypted and ss is asked for; after ss the payload is
 * checked and NOISE_OK returned.
 */
int
noise_resp_dh_result(struct noise_hs *hs, const uint8_t shared[NOISE_KEYLEN])
{
	size_t	plen;

	if (hs->hs_state != NOISE_S_RESP_ES && hs->hs_state != NOISE_S_RESP_SS)
		return (noise_expect(hs, NOISE_S_RESP_ES));
	if (sodium_is_zero(shared, NOISE_KEYLEN))
		return (noise_fail(hs, "DH result is zero (low-order point)"));
	noise_mix_key(hs, shared);
	sodium_memzero(hs->hs_dh_point, sizeof(hs->hs_dh_point));

	if (hs->hs_state == NOISE_S_RESP_ES) {
		if (noise_decrypt_hash(hs, hs->hs_pending,
		    NOISE_KEYLEN + NOISE_TAGLEN, hs->hs_rs) == -1)
			return (noise_fail(hs, "initiation: static key does "
			    "not decrypt"));
		memcpy(hs->hs_dh_point, hs->hs_rs, NOISE_KEYLEN);
		hs->hs_state = NOISE_S_RESP_SS;
		return (NOISE_NEED_DH);
	}

	plen = hs->hs_pendinglen - (NOISE_KEYLEN + NOISE_TAGLEN);
	if (noise_decrypt_hash(hs, hs->hs_pending + NOISE_KEYLEN +
	    NOISE_TAGLEN, plen, hs->hs_payload) == -1)
		return (noise_fail(hs, "initiation: payload does not "
		    "authenticate"));
	hs->hs_payloadlen = plen - NOISE_TAGLEN;
	sodium_memzero(hs->hs_pending, sizeof(hs->hs_pending));
	hs->hs_pendinglen = 0;
	hs->hs_state = NOISE_S_RESP_WRITE2;
	return (NOISE_OK);
}

/* Answer every pending NOISE_NEED_DH with a private key held here. */
int
noise_resp_dh_local(struct noise_hs *hs, const uint8_t priv[NOISE_KEYLEN])
{
	uint8_t	shared[NOISE_KEYLEN];
	int	r;

	if (hs->hs_state != NOISE_S_RESP_ES && hs->hs_state != NOISE_S_RESP_SS)
		return (noise_expect(hs, NOISE_S_RESP_ES));
	do {
		if (noise_dh(shared, priv, hs->hs_dh_point) == -1) {
			sodium_memzero(shared, sizeof(shared));
			return (noise_fail(hs, "DH with a low-order point"));
		}
		r = noise_resp_dh_result(hs, shared);
	} while (r == NOISE_NEED_DH);
	sodium_memzero(shared, sizeof(shared));
	return (r);
}

/* Responder: <- e, ee, se, payload. */
int
noise_hs_write_msg2(struct noise_hs *hs, const uint8_t *payload, size_t plen,
    uint8_t *out, size_t outsize, size_t *outlen)
{
	size_t	need = NOISE_KEYLEN + plen + NOISE_TAGLEN;

	if (noise_write_e(hs, NOISE_S_RESP_WRITE2, plen, outsize, need,
	    out) == -1)
		return (NOISE_ERR);
	if (noise_mix_dh(hs, hs->hs_e_priv, hs->hs_re) == -1)
		return (noise_fail(hs, "ee: low-order client ephemeral"));
	if (noise_mix_dh(hs, hs->hs_e_priv, hs->hs_rs) == -1)
		return (noise_fail(hs, "se: low-order client static key"));
	noise_encrypt_hash(hs, payload, plen, out + NOISE_KEYLEN);
	sodium_memzero(hs->hs_e_priv, sizeof(hs->hs_e_priv));
	*outlen = need;
	hs->hs_state = NOISE_S_SPLIT;
	return (NOISE_OK);
}

/* Initiator: read e, ee, se, payload (left in hs_payload). */
int
noise_hs_read_msg2(struct noise_hs *hs, const uint8_t *msg, size_t len)
{
	size_t	min = NOISE_KEYLEN + NOISE_TAGLEN;

	if (noise_expect(hs, NOISE_S_INIT_READ2) == -1)
		return (NOISE_ERR);
	if (len < min)
		return (noise_fail(hs, "response too short"));
	if (len > min + NOISE_HS_PAYLOAD_MAX)
		return (noise_fail(hs, "response too long"));
	memcpy(hs->hs_re, msg, NOISE_KEYLEN);
	noise_mix_hash(hs, hs->hs_re, NOISE_KEYLEN);
	if (noise_mix_dh(hs, hs->hs_e_priv, hs->hs_re) == -1)
		return (noise_fail(hs, "ee: low-order server ephemeral"));
	if (noise_mix_dh(hs, hs->hs_s_priv, hs->hs_re) == -1)
		return (noise_fail(hs, "se: low-order server ephemeral"));
	if (noise_decrypt_hash(hs, msg + NOISE_KEYLEN, len - NOISE_KEYLEN,
	    hs->hs_payload) == -1)
		return (noise_fail(hs, "response does not authenticate"));
	hs->hs_payloadlen = len - min;
	sodium_memzero(hs->hs_e_priv, sizeof(hs->hs_e_priv));
	sodium_memzero(hs->hs_s_priv, sizeof(hs->hs_s_priv));
	hs->hs_state = NOISE_S_SPLIT;
	return (NOISE_OK);
}

void
noise_hs_clear(struct noise_hs *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}

/*
 * Split: (k1, k2) = HKDF(ck, empty); k1 carries client to server, k2
 * server to client.  The handshake hash and the peer's static key are
 * kept in the transport, and the handshake state is wiped.
 */
int
noise_split(struct noise_hs *hs, struct noise_transport *t)
{
	uint8_t	k1[NOISE_KEYLEN], k2[NOISE_KEYLEN];

	if (noise_expect(hs, NOISE_S_SPLIT) == -1)
		return (NOISE_ERR);
	memset(t, 0, sizeof(*t));
	blake2s_hkdf(hs->hs_ck, NULL, 0, k1, k2, NULL);
	if (hs->hs_role == NOISE_INITIATOR) {
		memcpy(t->nt_send.c_key, k1, NOISE_KEYLEN);
		memcpy(t->nt_recv.c_key, k2, NOISE_KEYLEN);
	} else {
		memcpy(t->nt_send.c_key, k2, NOISE_KEYLEN);
		memcpy(t->nt_recv.c_key, k1, NOISE_KEYLEN);
	}
	memcpy(t->nt_hash, hs->hs_h, NOISE_HASHLEN);
	memcpy(t->nt_peer, hs->hs_rs, NOISE_KEYLEN);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	noise_hs_clear(hs);
	return (NOISE_OK);
}

static void
noise_put16(uint8_t *p, size_t v)
{
	p[0] = (v >> 8) & 0xff;
	p[1] = v & 0xff;
}

static size_t
noise_get16(const uint8_t *p)
{
	return ((size_t)p[0] << 8 | p[1]);
}

/* controlbase responder: remember our public key, wait for the client. */
void
noise_resp_init(struct noise_hs *hs, const uint8_t server_pub[NOISE_KEYLEN])
{
	memset(hs, 0, sizeof(*hs));
	hs->hs_role = NOISE_RESPONDER;
	memcpy(hs->hs_s_pub, server_pub, NOISE_KEYLEN);
	hs->hs_state = NOISE_S_RESP_START;
}

static size_t
noise_prologue(uint16_t version, char buf[NOISE_PROLOGUE_MAX])
{
	int	n;

	n = snprintf(buf, NOISE_PROLOGUE_MAX, "%s%u", NOISE_PROLOGUE_PREFIX,
	    (unsigned)version);
	return ((size_t)n);	/* at most 28 + 5 bytes: never truncated */
}

/*
 * controlbase initiation: version u16 BE, type 0x01, length u16 BE (96),
 * then the Noise message.  The prologue takes the client's version.
 */
int
noise_resp_read_init(struct noise_hs *hs, const uint8_t *msg, size_t len)
{
	char	prologue[NOISE_PROLOGUE_MAX];
	size_t	plen;

	if (noise_expect(hs, NOISE_S_RESP_START) == -1)
		return (NOISE_ERR);
	if (len < NOISE_INIT_HDRLEN)
		return (noise_fail(hs, "initiation too short"));
	if (msg[2] != NOISE_MSG_INIT)
		return (noise_fail(hs, "not an initiation message"));
	if (noise_get16(msg + 3) != NOISE_INIT_BODYLEN)
		return (noise_fail(hs, "initiation has a bad length field"));
	if (len != NOISE_INIT_LEN)
		return (noise_fail(hs, len < NOISE_INIT_LEN ?
		    "initiation too short" : "initiation too long"));
	hs->hs_version = (uint16_t)noise_get16(msg);
	plen = noise_prologue(hs->hs_version, prologue);
	noise_hs_start(hs, (const uint8_t *)prologue, plen);
	return (noise_hs_read_msg1(hs, msg + NOISE_INIT_HDRLEN,
	    NOISE_INIT_BODYLEN));
}

/* controlbase response: type 0x02, length u16 BE (48), e, tag. */
int
noise_resp_write_response(struct noise_hs *hs, uint8_t *out, size_t outsize,
    size_t *outlen)
{
	size_t	n;

	if (noise_expect(hs, NOISE_S_RESP_WRITE2) == -1)
		return (NOISE_ERR);
	if (hs->hs_payloadlen != 0)
		return (noise_fail(hs, "initiation payload not empty"));
	if (outsize < NOISE_RESP_LEN)
		return (noise_fail(hs, "output buffer too small"));
	out[0] = NOISE_MSG_RESP;
	noise_put16(out + 1, NOISE_RESP_BODYLEN);
	if (noise_hs_write_msg2(hs, NULL, 0, out + NOISE_RESP_HDRLEN,
	    outsize - NOISE_RESP_HDRLEN, &n) == -1)
		return (NOISE_ERR);
	*outlen = NOISE_RESP_HDRLEN + n;
	return (NOISE_OK);
}

/* controlbase error message: type 0x03, length u16 BE, ASCII text. */
int
noise_write_error(const char *text, uint8_t *out, size_t outsize,
    size_t *outlen)
{
	size_t	len;

	len = strlen(text);
	if (len > 0xffff || outsize < NOISE_RESP_HDRLEN + len)
		return (-1);
	out[0] = NOISE_MSG_ERROR;
	noise_put16(out + 1, len);
	memcpy(out + NOISE_RESP_HDRLEN, text, len);
	*outlen = NOISE_RESP_HDRLEN + len;
	return (0);
}

int
noise_init_start(struct noise_hs *hs, const uint8_t client_priv[NOISE_KEYLEN],
    const uint8_t client_pub[NOISE_KEYLEN],
    const uint8_t server_pub[NOISE_KEYLEN], uint16_t version)
{
	char	prologue[NOISE_PROLOGUE_MAX];
	size_t	plen;
	int	r;

	plen = noise_prologue(version, prologue);
	r = noise_hs_init(hs, NOISE_INITIATOR, (const uint8_t *)prologue,
	    plen, client_priv, client_pub, server_pub);
	hs->hs_version = version;
	return (r);
}

int
noise_init_write_init(struct noise_hs *hs, uint8_t *out, size_t outsize,
    size_t *outlen)
{
	size_t	n;

	if (noise_expect(hs, NOISE_S_INIT_WRITE1) == -1)
		return (NOISE_ERR);
	if (outsize < NOISE_INIT_LEN)
		return (noise_fail(hs, "output buffer too small"));
	noise_put16(out, hs->hs_version);
	out[2] = NOISE_MSG_INIT;
	noise_put16(out + 3, NOISE_INIT_BODYLEN);
	if (noise_hs_write_msg1(hs, NULL, 0, out + NOISE_INIT_HDRLEN,
	    outsize - NOISE_INIT_HDRLEN, &n) == -1)
		return (NOISE_ERR);
	*outlen = NOISE_INIT_HDRLEN + n;
	return (NOISE_OK);
}

/*
 * controlbase response, or an error message from the server, which is
 * reported in hs_errstr as `server error: "..."` (printable ASCII only).
 */
int
noise_init_read_response(struct noise_hs *hs, const uint8_t *msg, size_t len)
{
	size_t	n, i, j;
	char	text[100];

	if (noise_expect(hs, NOISE_S_INIT_READ2) == -1)
		return (NOISE_ERR);
	if (len < NOISE_RESP_HDRLEN)
		return (noise_fail(hs, "response too short"));
	n = noise_get16(msg + 1);
	if (msg[0] == NOISE_MSG_ERROR) {
		if (len < NOISE_RESP_HDRLEN + n)
			return (noise_fail(hs, "error message truncated"));
		for (i = j = 0; i < n && j < sizeof(text) - 1; i++) {
			if (msg[NOISE_RESP_HDRLEN + i] >= 0x20 &&
			    msg[NOISE_RESP_HDRLEN + i] < 0x7f)
				text[j++] = msg[NOISE_RESP_HDRLEN + i];
			else
				text[j++] = '?';
		}
		text[j] = '\0';
		(void)snprintf(hs->hs_errbuf, sizeof(hs->hs_errbuf),
		    "server error: \"%s\"", text);
		return (noise_fail(hs, hs->hs_errbuf));
	}
	if (msg[0] != NOISE_MSG_RESP)
		return (noise_fail(hs, "not a response message"));
	if (n != NOISE_RESP_BODYLEN)
		return (noise_fail(hs, "response has a bad length field"));
	if (len != NOISE_RESP_LEN)
		return (noise_fail(hs, len < NOISE_RESP_LEN ?
		    "response too short" : "response too long"));
	if (noise_hs_read_msg2(hs, msg + NOISE_RESP_HDRLEN,
	    NOISE_RESP_BODYLEN) == -1)
		return (NOISE_ERR);
	return (NOISE_OK);
}

/*
 * Look at the start of a byte stream: 1 and the whole record length in
 * *reclen when the header is there, 0 when more bytes are needed, -1
 * for a record that kills the connection (wrong type, too long, too
 * short for a tag).
 */
int
noise_record_len(const uint8_t *buf, size_t len, size_t *reclen,
    const char **errstr)
{
	size_t	n;

	if (len < 1)
		return (0);
	if (buf[0] != NOISE_MSG_RECORD) {
		*errstr = "not a transport record";
		return (-1);
	}
	if (len < NOISE_REC_HDRLEN)
		return (0);
	n = noise_get16(buf + 1);
	if (n > NOISE_REC_MAXCT) {
		*errstr = "record longer than 4096 bytes";
		return (-1);
	}
	if (n < NOISE_TAGLEN) {
		*errstr = "record shorter than its tag";
		return (-1);
	}
	*reclen = NOISE_REC_HDRLEN + n;
	return (1);
}

/* Encrypt up to 4077 bytes into one record of up to 4096 bytes. */
int
noise_transport_seal(struct noise_transport *t, const uint8_t *pt,
    size_t ptlen, uint8_t *out, size_t outsize, size_t *outlen)
{
	uint8_t			nonce[12];

	if (ptlen > NOISE_REC_MAXPT) {
		t->nt_errstr = "plaintext longer than one record";
		return (NOISE_ERR);
	}
	if (outsize < NOISE_REC_HDRLEN + ptlen + NOISE_TAGLEN) {
		t->nt_errstr = "output buffer too small";
		return (NOISE_ERR);
	}
	if (t->nt_send.c_nonce == UINT64_MAX) {
		t->nt_errstr = "send nonce exhausted";
		return (NOISE_ERR);
	}
	out[0] = NOISE_MSG_RECORD;
	noise_put16(out + 1, ptlen + NOISE_TAGLEN);
	noise_rec_nonce(t->nt_send.c_nonce, nonce);
	if (aead_seal(t->nt_send.c_key, nonce, pt, ptlen,
	    out + NOISE_REC_HDRLEN) == -1) {
		t->nt_errstr = "cannot seal the record";
		return (NOISE_ERR);
	}
	t->nt_send.c_nonce++;
	*outlen = NOISE_REC_HDRLEN + ptlen + NOISE_TAGLEN;
	return (NOISE_OK);
}

/*
 * Decrypt exactly one record.  A record replayed, reordered, dropped
 * before it or altered fails to authenticate under the expected nonce;
 * the counter moves only on success.
 */
int
noise_transport_open(struct noise_transport *t, const uint8_t *rec,
    size_t reclen, uint8_t *out, size_t outsize, size_t *outlen)
{
	uint8_t			nonce[12];
	size_t			want;
	int			r;

	r = noise_record_len(rec, reclen, &want, &t->nt_errstr);
	if (r == -1)
		return (NOISE_ERR);
	if (r == 0 || reclen < want) {
		t->nt_errstr = "record truncated";
		return (NOISE_ERR);
	}
	if (reclen > want) {
		t->nt_errstr = "bytes after the record";
		return (NOISE_ERR);
	}
	if (outsize < want - NOISE_REC_HDRLEN - NOISE_TAGLEN) {
		t->nt_errstr = "output buffer too small";
		return (NOISE_ERR);
	}
	if (t->nt_recv.c_nonce == UINT64_MAX) {
		t->nt_errstr = "receive nonce exhausted";
		return (NOISE_ERR);
	}
	noise_rec_nonce(t->nt_recv.c_nonce, nonce);
	if (aead_open(t->nt_recv.c_key, nonce, rec + NOISE_REC_HDRLEN,
	    want - NOISE_REC_HDRLEN, out) == -1) {
		t->nt_errstr = "record does not authenticate";
		return (NOISE_ERR);
	}
	t->nt_recv.c_nonce++;
	*outlen = want - NOISE_REC_HDRLEN - NOISE_TAGLEN;
	return (NOISE_OK);
}

void
noise_transport_clear(struct noise_transport *t)
{
	sodium_memzero(t, sizeof(*t));
	aead_clear();
}
