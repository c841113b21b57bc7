/*
 * The DERP frame codec: headers, the payloads the relay reads and
 * writes, and the NaCl boxes of the login.  Pure functions, so that the
 * unit tests and the fuzzer see exactly what the server runs.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "derp_frame.h"

static uint32_t
get_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

void
derp_frame_header(uint8_t h[DERP_HDR_LEN], uint8_t type, uint32_t len)
{
	h[0] = type;
	h[1] = len >> 24;
	h[2] = len >> 16;
	h[3] = len >> 8;
	h[4] = len;
}

int
derp_frame_parse(const uint8_t *buf, size_t len, uint32_t max,
    struct derp_frame *f, size_t *used)
{
	uint32_t	plen;

	if (len < DERP_HDR_LEN)
		return (0);
	plen = get_be32(buf + 1);
	/* Refuse before waiting for a payload we would never take. */
	if (plen > max)
		return (-1);
	if (len - DERP_HDR_LEN < plen)
		return (0);
	f->type = buf[0];
	f->len = plen;
	f->payload = buf + DERP_HDR_LEN;
	*used = DERP_HDR_LEN + (size_t)plen;
	return (1);
}

/* Extra bytes after the key are allowed, for later versions. */
int
derp_parse_server_key(const struct derp_frame *f, uint8_t key[DERP_KEY_LEN])
{
	if (f->type != DERP_F_SERVER_KEY ||
	    f->len < DERP_MAGIC_LEN + DERP_KEY_LEN ||
	    memcmp(f->payload, DERP_MAGIC, DERP_MAGIC_LEN) != 0)
		return (-1);
	memcpy(key, f->payload + DERP_MAGIC_LEN, DERP_KEY_LEN);
	return (0);
}

int
derp_parse_client_info(const struct derp_frame *f,
    struct derp_client_info *ci)
{
	if (f->type != DERP_F_CLIENT_INFO || f->len < DERP_INFO_MIN ||
	    f->len > DERP_INFO_MAX)
		return (-1);
	ci->key = f->payload;
	ci->nonce = f->payload + DERP_KEY_LEN;
	ci->box = f->payload + DERP_INFO_MIN;
	ci->boxlen = f->len - DERP_INFO_MIN;
	return (0);
}

/* SendPacket and RecvPacket share a shape: a key, then the packet. */
static int
parse_key_packet(const struct derp_frame *f, uint8_t type,
    const uint8_t **key, const uint8_t **pkt, size_t *pktlen)
{
	if (f->type != type || f->len < DERP_KEY_LEN ||
	    f->len - DERP_KEY_LEN > DERP_PACKET_MAX)
		return (-1);
	*key = f->payload;
	*pkt = f->payload + DERP_KEY_LEN;
	*pktlen = f->len - DERP_KEY_LEN;
	return (0);
}

int
derp_parse_send(const struct derp_frame *f, const uint8_t **dst,
    const uint8_t **pkt, size_t *pktlen)
{
	return (parse_key_packet(f, DERP_F_SEND_PACKET, dst, pkt, pktlen));
}

int
derp_parse_recv(const struct derp_frame *f, const uint8_t **src,
    const uint8_t **pkt, size_t *pktlen)
{
	return (parse_key_packet(f, DERP_F_RECV_PACKET, src, pkt, pktlen));
}

/* Older servers send no reason: it then means "disconnected". */
int
derp_parse_peer_gone(const struct derp_frame *f, const uint8_t **key,
    int *reason)
{
	if (f->type != DERP_F_PEER_GONE || f->len < DERP_KEY_LEN)
		return (-1);
	*key = f->payload;
	*reason = f->len > DERP_KEY_LEN ? f->payload[DERP_KEY_LEN] :
	    DERP_GONE_DISCONNECTED;
	return (0);
}

/* Ping or Pong: eight bytes of data; more is tolerated and ignored. */
int
derp_parse_ping(const struct derp_frame *f, const uint8_t **data)
{
	if ((f->type != DERP_F_PING && f->type != DERP_F_PONG) ||
	    f->len < DERP_PING_LEN)
		return (-1);
	*data = f->payload;
	return (0);
}

/*
 * The JSON of ClientInfo.  Only "version" matters to us; the others are
 * read for the log.  Unknown members are fine: clients add them.
 */
int
derp_parse_meta(const char *json, size_t len, struct derp_client_meta *m)
{
	json_t		*o, *v;
	json_error_t	 err;

	memset(m, 0, sizeof(*m));
	if ((o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL)
		return (-1);
	if (!json_is_object(o)) {
		json_decref(o);
		return (-1);
	}
	if ((v = json_object_get(o, "version")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 1000) {
			json_decref(o);
			return (-1);
		}
		m->version = (int)json_integer_value(v);
	}
	m->can_ack_pings = json_is_true(json_object_get(o, "CanAckPings"));
	m->is_prober = json_is_true(json_object_get(o, "IsProber"));
	v = json_object_get(o, "meshKey");
	m->has_mesh_key = json_is_string(v) && json_string_length(v) > 0;
	json_decref(o);
	return (0);
}

int
derp_box_open(const uint8_t k[crypto_box_BEFORENMBYTES],
    const uint8_t *nonce, const uint8_t *box, size_t boxlen, uint8_t **out,
    size_t *outlen)
{
	uint8_t	*m;

	*out = NULL;
	if (boxlen < DERP_BOX_OVERHEAD)
		return (-1);
	/* One more byte, so that text inside can be NUL-terminated. */
	if ((m = malloc(boxlen - DERP_BOX_OVERHEAD + 1)) == NULL)
		return (-1);
	if (crypto_box_open_easy_afternm(m, box, boxlen, nonce, k) != 0) {
		free(m);
		return (-1);
	}
	*outlen = boxlen - DERP_BOX_OVERHEAD;
	m[*outlen] = '\0';
	*out = m;
	return (0);
}

/* nonce ‖ box(msg), in a new buffer. */
uint8_t *
derp_box_seal(const uint8_t k[crypto_box_BEFORENMBYTES], const void *msg,
    size_t len, size_t *outlen)
{
	uint8_t	*b;

	if (len > DERP_FRAME_MAX ||
	    (b = malloc(DERP_NONCE_LEN + DERP_BOX_OVERHEAD + len)) == NULL)
		return (NULL);
	randombytes_buf(b, DERP_NONCE_LEN);
	if (crypto_box_easy_afternm(b + DERP_NONCE_LEN, msg, len, b, k) !=
	    0) {
		free(b);
		return (NULL);
	}
	*outlen = DERP_NONCE_LEN + DERP_BOX_OVERHEAD + len;
	return (b);
}

size_t
derp_encode_server_key(uint8_t *out, const uint8_t key[DERP_KEY_LEN])
{
	derp_frame_header(out, DERP_F_SERVER_KEY,
	    DERP_MAGIC_LEN + DERP_KEY_LEN);
	memcpy(out + DERP_HDR_LEN, DERP_MAGIC, DERP_MAGIC_LEN);
	memcpy(out + DERP_HDR_LEN + DERP_MAGIC_LEN, key, DERP_KEY_LEN);
	return (DERP_SERVER_KEY_FRAME_LEN);
}

size_t
derp_encode_peer_gone(uint8_t *out, const uint8_t key[DERP_KEY_LEN],
    int reason)
{
	derp_frame_header(out, DERP_F_PEER_GONE, DERP_KEY_LEN + 1);
	memcpy(out + DERP_HDR_LEN, key, DERP_KEY_LEN);
	out[DERP_HDR_LEN + DERP_KEY_LEN] = reason;
	return (DERP_PEER_GONE_FRAME_LEN);
}

static size_t
encode_ping(uint8_t *out, uint8_t type, const uint8_t data[DERP_PING_LEN])
{
	derp_frame_header(out, type, DERP_PING_LEN);
	memcpy(out + DERP_HDR_LEN, data, DERP_PING_LEN);
	return (DERP_PING_FRAME_LEN);
}

size_t
derp_encode_pong(uint8_t *out, const uint8_t data[DERP_PING_LEN])
{
	return (encode_ping(out, DERP_F_PONG, data));
}

size_t
derp_encode_ping(uint8_t *out, const uint8_t data[DERP_PING_LEN])
{
	return (encode_ping(out, DERP_F_PING, data));
}

size_t
derp_encode_keepalive(uint8_t *out)
{
	derp_frame_header(out, DERP_F_KEEP_ALIVE, 0);
	return (DERP_HDR_LEN);
}
