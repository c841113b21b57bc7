/*
 * Noise_IK_25519_ChaChaPoly_BLAKE2s as Tailscale's controlbase uses it:
 * the prologue "Tailscale Control Protocol v<version>", a 101-byte
 * initiation and a 51-byte response, then transport records of at most
 * 4096 bytes with a big-endian 64-bit nonce counter.
 *
 * The responder never needs the server's static private key: the two
 * DH operations that use it (es, ss) are handed to the caller, which
 * asks the key holder (stored) and feeds the answer back:
 *
 *	noise_resp_init(&hs, server_pub);
 *	r = noise_resp_read_init(&hs, msg, len);
 *	while (r == NOISE_NEED_DH)
 *		r = noise_resp_dh_result(&hs, X25519(priv, hs.hs_dh_point));
 *	if (r == NOISE_OK)
 *		r = noise_resp_write_response(&hs, out, sizeof(out), &outlen);
 *	noise_split(&hs, &transport);
 *
 * Every function returns NOISE_ERR (-1) on failure with a reason in
 * hs_errstr (nt_errstr for transport); a failed handshake stays failed
 * and its secrets are wiped.
 */
#ifndef NOISE_H
#define NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_KEYLEN		32
#define NOISE_HASHLEN		32
#define NOISE_TAGLEN		16
#define NOISE_PROTOCOL_NAME	"Noise_IK_25519_ChaChaPoly_BLAKE2s"
#define NOISE_PROLOGUE_PREFIX	"Tailscale Control Protocol v"
#define NOISE_PROLOGUE_MAX	64

/* controlbase message types. */
#define NOISE_MSG_INIT		0x01
#define NOISE_MSG_RESP		0x02
#define NOISE_MSG_ERROR		0x03
#define NOISE_MSG_RECORD	0x04

/* controlbase frame sizes. */
#define NOISE_INIT_HDRLEN	5	/* version u16, type, length u16 */
#define NOISE_INIT_BODYLEN	96	/* e, AEAD(s), AEAD(empty) */
#define NOISE_INIT_LEN		(NOISE_INIT_HDRLEN + NOISE_INIT_BODYLEN)
#define NOISE_RESP_HDRLEN	3	/* type, length u16 */
#define NOISE_RESP_BODYLEN	48	/* e, AEAD(empty) */
#define NOISE_RESP_LEN		(NOISE_RESP_HDRLEN + NOISE_RESP_BODYLEN)
#define NOISE_REC_HDRLEN	3	/* type, length u16 */
#define NOISE_REC_MAX		4096
#define NOISE_REC_MAXCT		(NOISE_REC_MAX - NOISE_REC_HDRLEN)
#define NOISE_REC_MAXPT		(NOISE_REC_MAXCT - NOISE_TAGLEN)

/* Largest handshake payload of the generic noise_hs_* calls. */
#define NOISE_HS_PAYLOAD_MAX	256

/* Return values. */
#define NOISE_ERR		-1
#define NOISE_OK		0
#define NOISE_NEED_DH		1

#define NOISE_INITIATOR		1
#define NOISE_RESPONDER		2

struct noise_hs {
	int		 hs_role;
	int		 hs_state;
	uint16_t	 hs_version;	/* controlbase protocol version */
	uint8_t		 hs_h[NOISE_HASHLEN];
	uint8_t		 hs_ck[NOISE_HASHLEN];
	uint8_t		 hs_k[NOISE_KEYLEN];
	uint64_t	 hs_n;
	uint8_t		 hs_s_priv[NOISE_KEYLEN];	/* initiator only */
	uint8_t		 hs_s_pub[NOISE_KEYLEN];
	uint8_t		 hs_rs[NOISE_KEYLEN];	/* peer static (machine key) */
	uint8_t		 hs_e_priv[NOISE_KEYLEN];
	uint8_t		 hs_e_pub[NOISE_KEYLEN];
	int		 hs_e_set;
	uint8_t		 hs_re[NOISE_KEYLEN];
	uint8_t		 hs_dh_point[NOISE_KEYLEN];	/* on NOISE_NEED_DH */
	uint8_t		 hs_pending[NOISE_KEYLEN + 2 * NOISE_TAGLEN +
			    NOISE_HS_PAYLOAD_MAX];
	size_t		 hs_pendinglen;
	uint8_t		 hs_payload[NOISE_HS_PAYLOAD_MAX];
	size_t		 hs_payloadlen;
	const char	*hs_errstr;
	char		 hs_errbuf[160];
};

struct noise_cipher {
	uint8_t		 c_key[NOISE_KEYLEN];
	uint64_t	 c_nonce;
};

struct noise_transport {
	struct noise_cipher	 nt_send;
	struct noise_cipher	 nt_recv;
	uint8_t			 nt_hash[NOISE_HASHLEN];
	uint8_t			 nt_peer[NOISE_KEYLEN];
	const char		*nt_errstr;
};

/* controlbase responder (server). */
void	noise_resp_init(struct noise_hs *, const uint8_t [NOISE_KEYLEN]);
int	noise_resp_read_init(struct noise_hs *, const uint8_t *, size_t);
int	noise_resp_dh_result(struct noise_hs *, const uint8_t [NOISE_KEYLEN]);
int	noise_resp_dh_local(struct noise_hs *, const uint8_t [NOISE_KEYLEN]);
int	noise_resp_write_response(struct noise_hs *, uint8_t *, size_t,
	    size_t *);
int	noise_write_error(const char *, uint8_t *, size_t, size_t *);

/* controlbase initiator (test client). */
int	noise_init_start(struct noise_hs *, const uint8_t [NOISE_KEYLEN],
	    const uint8_t [NOISE_KEYLEN], const uint8_t [NOISE_KEYLEN],
	    uint16_t);
int	noise_init_write_init(struct noise_hs *, uint8_t *, size_t, size_t *);
int	noise_init_read_response(struct noise_hs *, const uint8_t *, size_t);

/* Generic Noise IK messages, without controlbase headers. */
int	noise_hs_init(struct noise_hs *, int, const uint8_t *, size_t,
	    const uint8_t *, const uint8_t [NOISE_KEYLEN], const uint8_t *);
void	noise_hs_set_ephemeral(struct noise_hs *,
	    const uint8_t [NOISE_KEYLEN]);
int	noise_hs_write_msg1(struct noise_hs *, const uint8_t *, size_t,
	    uint8_t *, size_t, size_t *);
int	noise_hs_read_msg1(struct noise_hs *, const uint8_t *, size_t);
int	noise_hs_write_msg2(struct noise_hs *, const uint8_t *, size_t,
	    uint8_t *, size_t, size_t *);
int	noise_hs_read_msg2(struct noise_hs *, const uint8_t *, size_t);
void	noise_hs_clear(struct noise_hs *);

int	noise_split(struct noise_hs *, struct noise_transport *);

/* Transport records. */
int	noise_record_len(const uint8_t *, size_t, size_t *, const char **);
int	noise_transport_seal(struct noise_transport *, const uint8_t *, size_t,
	    uint8_t *, size_t, size_t *);
int	noise_transport_open(struct noise_transport *, const uint8_t *, size_t,
	    uint8_t *, size_t, size_t *);
void	noise_transport_clear(struct noise_transport *);

#endif /* NOISE_H */
