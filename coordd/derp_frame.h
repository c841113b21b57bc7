/*
 * DERP frames (spec section 9): [type u8][length u32 BE][payload].  The
 * codec only looks at bytes; no I/O, no allocation except where a
 * function says so.  Everything it parses comes from the network.
 */
#ifndef DERP_FRAME_H
#define DERP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define DERP_MAGIC		"DERP\xf0\x9f\x94\x91"
#define DERP_MAGIC_LEN		8
#define DERP_HDR_LEN		5
#define DERP_KEY_LEN		32
#define DERP_NONCE_LEN		crypto_box_NONCEBYTES		/* 24 */
#define DERP_BOX_OVERHEAD	crypto_box_MACBYTES		/* 16 */
#define DERP_FRAME_MAX		(1024 * 1024)	/* clients refuse more */
#define DERP_PACKET_MAX		(64 * 1024)
#define DERP_INFO_MIN		(DERP_KEY_LEN + DERP_NONCE_LEN)
#define DERP_INFO_MAX		(256 * 1024)
#define DERP_PING_LEN		8
#define DERP_PROTO_VERSION	2

enum derp_frame_type {
	DERP_F_SERVER_KEY = 0x01,
	DERP_F_CLIENT_INFO = 0x02,
	DERP_F_SERVER_INFO = 0x03,
	DERP_F_SEND_PACKET = 0x04,
	DERP_F_RECV_PACKET = 0x05,
	DERP_F_KEEP_ALIVE = 0x06,
	DERP_F_NOTE_PREFERRED = 0x07,
	DERP_F_PEER_GONE = 0x08,
	DERP_F_PEER_PRESENT = 0x09,
	DERP_F_FORWARD_PACKET = 0x0a,
	DERP_F_WATCH_CONNS = 0x10,
	DERP_F_CLOSE_PEER = 0x11,
	DERP_F_PING = 0x12,
	DERP_F_PONG = 0x13,
	DERP_F_HEALTH = 0x14,
	DERP_F_RESTARTING = 0x15,
};

enum derp_gone_reason {
	DERP_GONE_DISCONNECTED = 0,
	DERP_GONE_NOT_HERE = 1,
};

/* A frame inside a caller's buffer. */
struct derp_frame {
	uint8_t		 type;
	uint32_t	 len;
	const uint8_t	*payload;	/* len bytes */
};

/* The parts of a ClientInfo payload, pointing into it. */
struct derp_client_info {
	const uint8_t	*key;		/* the client's node key */
	const uint8_t	*nonce;
	const uint8_t	*box;		/* MAC ‖ ciphertext */
	size_t		 boxlen;
};

/* What we read from the JSON inside ClientInfo. */
struct derp_client_meta {
	int		 version;
	int		 can_ack_pings;
	int		 is_prober;
	int		 has_mesh_key;
};

/*
 * 1: a whole frame at the start of buf, *used = header + payload;
 * 0: need more bytes; -1: the header announces more than max bytes.
 */
int	 derp_frame_parse(const uint8_t *, size_t, uint32_t,
	    struct derp_frame *, size_t *);
void	 derp_frame_header(uint8_t [DERP_HDR_LEN], uint8_t, uint32_t);

/* Payload decoders: 0 or -1 when the payload is malformed. */
int	 derp_parse_server_key(const struct derp_frame *,
	    uint8_t [DERP_KEY_LEN]);
int	 derp_parse_client_info(const struct derp_frame *,
	    struct derp_client_info *);
int	 derp_parse_send(const struct derp_frame *, const uint8_t **,
	    const uint8_t **, size_t *);
int	 derp_parse_recv(const struct derp_frame *, const uint8_t **,
	    const uint8_t **, size_t *);
int	 derp_parse_peer_gone(const struct derp_frame *, const uint8_t **,
	    int *);
int	 derp_parse_ping(const struct derp_frame *, const uint8_t **);
int	 derp_parse_meta(const char *, size_t, struct derp_client_meta *);

/* Boxes with a crypto_box_beforenm key; open allocates *out. */
int	 derp_box_open(const uint8_t [crypto_box_BEFORENMBYTES],
	    const uint8_t *, const uint8_t *, size_t, uint8_t **, size_t *);
uint8_t	*derp_box_seal(const uint8_t [crypto_box_BEFORENMBYTES],
	    const void *, size_t, size_t *);

/*
 * Whole small frames into out (at least the returned length); return
 * the frame's length.
 */
size_t	 derp_encode_server_key(uint8_t *, const uint8_t [DERP_KEY_LEN]);
size_t	 derp_encode_peer_gone(uint8_t *, const uint8_t [DERP_KEY_LEN],
	    int);
size_t	 derp_encode_pong(uint8_t *, const uint8_t [DERP_PING_LEN]);
size_t	 derp_encode_ping(uint8_t *, const uint8_t [DERP_PING_LEN]);
size_t	 derp_encode_keepalive(uint8_t *);

#define DERP_SERVER_KEY_FRAME_LEN	(DERP_HDR_LEN + DERP_MAGIC_LEN + \
					    DERP_KEY_LEN)
#define DERP_PEER_GONE_FRAME_LEN	(DERP_HDR_LEN + DERP_KEY_LEN + 1)
#define DERP_PING_FRAME_LEN		(DERP_HDR_LEN + DERP_PING_LEN)

#endif /* DERP_FRAME_H */
