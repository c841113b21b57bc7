/* Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Icoordd tests/fuzz/derp_fuzz.c coordd/derp_frame.c -lsodium -ljansson -o derp_fuzz */
/*
 * libFuzzer target for the DERP frame codec: the input is cut into
 * frames as the relay cuts a client's stream, and each frame goes
 * through every payload decoder, the ClientInfo JSON reader and the box
 * opener.  Aborts whenever a result leaves its documented range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "derp_frame.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_payload(const struct derp_frame *f)
{
	struct derp_client_info	 ci;
	struct derp_client_meta	 meta;
	const uint8_t		*k, *pkt, *data;
	uint8_t			 key[DERP_KEY_LEN], boxkey[32], *out;
	size_t			 pktlen, outlen;
	int			 reason;

	if (derp_parse_server_key(f, key) == 0 && f->len < DERP_MAGIC_LEN +
	    DERP_KEY_LEN)
		abort();
	if (derp_parse_client_info(f, &ci) == 0) {
		if (f->len < DERP_INFO_MIN || f->len > DERP_INFO_MAX ||
		    ci.boxlen != f->len - DERP_INFO_MIN)
			abort();
		/* Mostly a MAC failure; the point is never to overrun. */
		memset(boxkey, 0x5a, sizeof(boxkey));
		if (derp_box_open(boxkey, ci.nonce, ci.box, ci.boxlen, &out,
		    &outlen) == 0) {
			if (outlen + DERP_BOX_OVERHEAD != ci.boxlen)
				abort();
			free(out);
		}
		(void)derp_parse_meta((const char *)ci.box, ci.boxlen, &meta);
	}
	if (derp_parse_send(f, &k, &pkt, &pktlen) == 0 &&
	    (pktlen > DERP_PACKET_MAX || pktlen + DERP_KEY_LEN != f->len))
		abort();
	if (derp_parse_recv(f, &k, &pkt, &pktlen) == 0 &&
	    pktlen > DERP_PACKET_MAX)
		abort();
	if (derp_parse_peer_gone(f, &k, &reason) == 0 &&
	    (reason < 0 || reason > 255))
		abort();
	if (derp_parse_ping(f, &data) == 0 && f->len < DERP_PING_LEN)
		abort();
	if (derp_parse_meta((const char *)f->payload, f->len, &meta) == 0 &&
	    (meta.version < 0 || meta.version > 1000))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct derp_frame	 f;
	size_t			 off = 0, used;
	int			 r;

	if (sodium_init() == -1)
		abort();
	while ((r = derp_frame_parse(data + off, size - off, DERP_FRAME_MAX,
	    &f, &used)) == 1) {
		if (used != DERP_HDR_LEN + (size_t)f.len ||
		    used > size - off || f.len > DERP_FRAME_MAX)
			abort();
		fuzz_payload(&f);
		off += used;
	}
	if (r != 0 && r != -1)
		abort();
	return (0);
}
