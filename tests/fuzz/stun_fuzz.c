/* Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Icoordd -Icommon -D_GNU_SOURCE $(pkg-config --cflags libbsd-overlay) tests/fuzz/stun_fuzz.c coordd/stun.c common/log.c $(pkg-config --libs libevent libbsd) -o stun_fuzz */
/*
 * libFuzzer target for the STUN server's datagram parser: any input is
 * parsed; an accepted one must be a well-formed Tailscale binding
 * request, and its answer is built for an IPv4 and an IPv6 sender and
 * checked against the layout.  Aborts whenever a result leaves its
 * documented range.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stun.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_answer(const uint8_t *txid, const struct sockaddr *sa, socklen_t salen,
    size_t want)
{
	uint8_t	out[STUN_MAX_RESPONSE];
	size_t	n;

	n = stun_response(txid, sa, salen, out, sizeof(out));
	if (n != want || out[0] != 0x01 || out[1] != 0x01 ||
	    (size_t)(out[2] << 8 | out[3]) != n - STUN_HEADER_LEN ||
	    memcmp(out + 8, txid, STUN_TXID_LEN) != 0)
		abort();
	if (stun_response(txid, sa, salen, out, want - 1) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	uint8_t			txid[STUN_TXID_LEN];
	int			rv;

	rv = stun_parse_request(data, size, txid);
	if (rv < STUN_OK || rv > STUN_ERR_FP)
		abort();
	if (rv != STUN_OK)
		return (0);
	if (size < STUN_HEADER_LEN + 8 || size % 4 != 0 ||
	    data[0] != 0x00 || data[1] != 0x01 ||
	    memcmp(txid, data + 8, STUN_TXID_LEN) != 0)
		abort();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(size);
	fuzz_answer(txid, (struct sockaddr *)&sin, sizeof(sin), 32);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr.s6_addr[15] = 1;
	fuzz_answer(txid, (struct sockaddr *)&sin6, sizeof(sin6), 44);
	return (0);
}
