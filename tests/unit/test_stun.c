/*
 * The STUN binding-request parser and response builder, against
 * requests laid out byte by byte as the Tailscale client sends them
 * (spec section 9), then the server on real loopback sockets.  Inputs
 * are copied into buffers of exactly their length so that ASan and
 * valgrind catch any read past the end.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "compat.h"
#include "stun.h"
#include "test.h"

static const uint8_t txid[STUN_TXID_LEN] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c
};

/* Write the FINGERPRINT over b[0..len-8) into its last four bytes. */
static void
set_fp(uint8_t *b, size_t len)
{
	uint32_t	fp;

	fp = stun_crc32(b, len - 8) ^ 0x5354554eU;
	b[len - 4] = fp >> 24;
	b[len - 3] = fp >> 16;
	b[len - 2] = fp >> 8;
	b[len - 1] = fp;
}

/* What the Tailscale client sends: header, SOFTWARE, FINGERPRINT. */
static size_t
build_request(uint8_t *b)
{
	static const uint8_t head[] = {
		0x00, 0x01, 0x00, 0x14, 0x21, 0x12, 0xa4, 0x42,
	};
	static const uint8_t attrs[] = {
		0x80, 0x22, 0x00, 0x08, 't', 'a', 'i', 'l', 'n', 'o', 'd', 'e',
		0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0,
	};

	memcpy(b, head, sizeof(head));
	memcpy(b + 8, txid, sizeof(txid));
	memcpy(b + 20, attrs, sizeof(attrs));
	set_fp(b, 40);
	return (40);
}

/* Parse a copy of exactly len bytes. */
static int
parse_exact(const uint8_t *b, size_t len, uint8_t *out)
{
	uint8_t	*copy;
	int	 rv;

	if ((copy = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(copy, b, len);
	rv = stun_parse_request(copy, len, out);
	free(copy);
	return (rv);
}

TEST(crc32_check_value)
{
	ASSERT(stun_crc32((const uint8_t *)"123456789", 9) == 0xcbf43926U);
	ASSERT(stun_crc32((const uint8_t *)"", 0) == 0);
}

TEST(parse_tailscale_request)
{
	uint8_t	b[64], out[STUN_TXID_LEN];

	memset(out, 0, sizeof(out));
	ASSERT_INT_EQ(parse_exact(b, build_request(b), out), STUN_OK);
	ASSERT(memcmp(out, txid, sizeof(txid)) == 0);
}

TEST(parse_truncated_at_every_length)
{
	uint8_t	b[64], out[STUN_TXID_LEN];
	size_t	len, n;
	int	rv;

	len = build_request(b);
	for (n = 0; n < len; n++) {
		rv = parse_exact(b, n, out);
		if (rv == STUN_OK)
			FAIL("a %zu-byte prefix was accepted", n);
		if (n < STUN_HEADER_LEN && rv != STUN_ERR_SHORT)
			FAIL("%zu bytes: %s", n, stun_parse_error(rv));
	}
	/* Even with the header length patched to match the prefix. */
	for (n = STUN_HEADER_LEN; n < len; n++) {
		b[2] = 0;
		b[3] = n - STUN_HEADER_LEN;
		if (parse_exact(b, n, out) == STUN_OK)
			FAIL("a patched %zu-byte prefix was accepted", n);
	}
}

TEST(parse_trailing_bytes)
{
	uint8_t	b[64], out[STUN_TXID_LEN];
	size_t	len;

	len = build_request(b);
	memset(b + len, 0, 4);
	ASSERT_INT_EQ(parse_exact(b, len + 4, out), STUN_ERR_LENGTH);
	ASSERT_INT_EQ(parse_exact(b, len + 1, out), STUN_ERR_LENGTH);
}

TEST(parse_wrong_cookie)
{
	uint8_t	b[64], out[STUN_TXID_LEN];
	size_t	len;

	len = build_request(b);
	b[7] ^= 0x01;
	set_fp(b, len);
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_NOTSTUN);
	/* The top two bits of a STUN message are zero. */
	len = build_request(b);
	b[0] = 0x40;
	set_fp(b, len);
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_NOTSTUN);
}

TEST(parse_wrong_type)
{
	static const uint16_t	types[] = { 0x0101, 0x0111, 0x0011, 0x0002,
				    0x0003, 0x0000 };
	uint8_t			b[64], out[STUN_TXID_LEN];
	size_t			len, i;

	for (i = 0; i < nitems(types); i++) {
		len = build_request(b);
		b[0] = types[i] >> 8;
		b[1] = types[i];
		set_fp(b, len);
		ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_TYPE);
	}
}

TEST(parse_bad_attribute_lengths)
{
	uint8_t	b[64], out[STUN_TXID_LEN];
	size_t	len;

	/* SOFTWARE claims more than there is. */
	len = build_request(b);
	b[23] = 0x40;
	set_fp(b, len);
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_ATTR);
	/* FINGERPRINT runs past the end. */
	len = build_request(b);
	b[35] = 0x08;
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_ATTR);
	/* 0xffff: the padded length must not wrap. */
	len = build_request(b);
	b[22] = b[23] = 0xff;
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_ATTR);
	/* SOFTWARE of 7 bytes pads to 8 but then is not "tailnode". */
	len = build_request(b);
	b[23] = 7;
	set_fp(b, len);
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_SOFTWARE);
	/* A FINGERPRINT of 3 bytes, padded to 4. */
	len = build_request(b);
	b[35] = 3;
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_NOFP);
}

TEST(parse_software)
{
	uint8_t	b[64], out[STUN_TXID_LEN];
	size_t	len;

	len = build_request(b);
	b[24] = 'T';
	set_fp(b, len);
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_SOFTWARE);
	/* Renamed into another attribute. */
	len = build_request(b);
	b[21] = 0x23;
	set_fp(b, len);
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_SOFTWARE);
	/* A bare header: no attributes at all. */
	len = build_request(b);
	b[3] = 0;
	ASSERT_INT_EQ(parse_exact(b, STUN_HEADER_LEN, out), STUN_ERR_SOFTWARE);
}

TEST(parse_fingerprint)
{
	uint8_t	b[64], out[STUN_TXID_LEN];
	size_t	len, i;

	/* Any flipped bit anywhere is refused, for one reason or another. */
	len = build_request(b);
	for (i = 0; i < len; i++) {
		build_request(b);
		b[i] ^= 0x10;
		if (parse_exact(b, len, out) == STUN_OK)
			FAIL("byte %zu flipped but accepted", i);
	}
	len = build_request(b);
	b[len - 1] ^= 0x01;
	ASSERT_INT_EQ(parse_exact(b, len, out), STUN_ERR_FP);
	/* FINGERPRINT present but not last. */
	len = build_request(b);
	memcpy(b + len, "\x80\x22\x00\x00", 4);
	b[3] += 4;
	ASSERT_INT_EQ(parse_exact(b, len + 4, out), STUN_ERR_NOFP);
	/* No FINGERPRINT at all. */
	len = build_request(b);
	b[3] = 12;
	ASSERT_INT_EQ(parse_exact(b, 32, out), STUN_ERR_NOFP);
}

TEST(parse_extra_attributes)
{
	uint8_t	b[64], out[STUN_TXID_LEN];
	size_t	len;

	/* An unknown attribute with padding before the FINGERPRINT. */
	len = build_request(b);
	memmove(b + 40, b + 32, 8);
	memcpy(b + 32, "\x80\x55\x00\x03xyz\x00", 8);
	b[3] = 0x1c;
	set_fp(b, len + 8);
	ASSERT_INT_EQ(parse_exact(b, len + 8, out), STUN_OK);
	ASSERT(memcmp(out, txid, sizeof(txid)) == 0);
}

TEST(response_ipv4)
{
	static const uint8_t	want[] = {
		0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c,
		0x00, 0x20, 0x00, 0x08, 0x00, 0x01,
		0x30 ^ 0x21, 0x39 ^ 0x12,		/* port 12345 */
		192 ^ 0x21, 0 ^ 0x12, 2 ^ 0xa4, 1 ^ 0x42,
	};
	struct sockaddr_in	sin;
	uint8_t			buf[STUN_MAX_RESPONSE];

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(12345);
	inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr);
	ASSERT_INT_EQ(stun_response(txid, (struct sockaddr *)&sin,
	    sizeof(sin), buf, sizeof(buf)), sizeof(want));
	ASSERT(memcmp(buf, want, sizeof(want)) == 0);
	/* Too small a buffer gets nothing. */
	ASSERT_INT_EQ(stun_response(txid, (struct sockaddr *)&sin,
	    sizeof(sin), buf, sizeof(want) - 1), 0);
}

TEST(response_ipv6)
{
	static const uint8_t	want[] = {
		0x01, 0x01, 0x00, 0x18, 0x21, 0x12, 0xa4, 0x42,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c,
		0x00, 0x20, 0x00, 0x14, 0x00, 0x02,
		0x0d ^ 0x21, 0x96 ^ 0x12,		/* port 3478 */
		/* 2001:db8::1 masked with cookie || txid */
		0x20 ^ 0x21, 0x01 ^ 0x12, 0x0d ^ 0xa4, 0xb8 ^ 0x42,
		0x00 ^ 0x01, 0x00 ^ 0x02, 0x00 ^ 0x03, 0x00 ^ 0x04,
		0x00 ^ 0x05, 0x00 ^ 0x06, 0x00 ^ 0x07, 0x00 ^ 0x08,
		0x00 ^ 0x09, 0x00 ^ 0x0a, 0x00 ^ 0x0b, 0x01 ^ 0x0c,
	};
	struct sockaddr_in6	sin6;
	uint8_t			buf[STUN_MAX_RESPONSE];

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(3478);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	ASSERT_INT_EQ(stun_response(txid, (struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), sizeof(want));
	ASSERT(memcmp(buf, want, sizeof(want)) == 0);
}

TEST(response_v4mapped_is_ipv4)
{
	struct sockaddr_in6	sin6;
	uint8_t			buf[STUN_MAX_RESPONSE];

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(12345);
	inet_pton(AF_INET6, "::ffff:192.0.2.1", &sin6.sin6_addr);
	ASSERT_INT_EQ(stun_response(txid, (struct sockaddr *)&sin6,
	    sizeof(sin6), buf, sizeof(buf)), 32);
	ASSERT_INT_EQ(buf[25], 1);
	ASSERT_INT_EQ(buf[28], 192 ^ 0x21);
	ASSERT_INT_EQ(buf[31], 1 ^ 0x42);
}

TEST(response_other_family)
{
	struct sockaddr_un_like {
		sa_family_t	family;
		char		path[32];
	}			su;
	uint8_t			buf[STUN_MAX_RESPONSE];

	memset(&su, 0, sizeof(su));
	su.family = AF_UNIX;
	ASSERT_INT_EQ(stun_response(txid, (struct sockaddr *)&su,
	    sizeof(su), buf, sizeof(buf)), 0);
}

/* One libevent base for the whole binary; a second would leak the first. */
static void
test_event_base(void)
{
	static struct event_base	*base;

	if (base == NULL)
		base = event_init();
}

/* The client's own port, which the answer must name. */
static int
client_port(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		return (-1);
	if (ss.ss_family == AF_INET)
		return (ntohs(((struct sockaddr_in *)&ss)->sin_port));
	return (ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
}

/* Run the server on a loopback socket of this family; 1 if no such. */
static int
serve_once(int af, const char *loop, int *answered, int *silent)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct stun_server	*srv;
	struct stun_stats	 st;
	struct pollfd		 pfd;
	socklen_t		 sslen;
	uint8_t			 req[64], resp[128];
	ssize_t			 n;
	int			 sfd, cfd, i;

	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, loop, &sin->sin_addr);
		sslen = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, loop, &sin6->sin6_addr);
		sslen = sizeof(*sin6);
	}
	if ((sfd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		return (1);
	if (bind(sfd, (struct sockaddr *)&ss, sslen) == -1) {
		close(sfd);
		return (1);
	}
	getsockname(sfd, (struct sockaddr *)&ss, &sslen);
	if ((cfd = socket(af, SOCK_DGRAM, 0)) == -1)
		abort();
	if (connect(cfd, (struct sockaddr *)&ss, sslen) == -1)
		abort();
	srv = stun_server_new(sfd);
	/* Garbage first, then a request: only the request is answered. */
	send(cfd, "hello", 5, 0);
	memset(req, 0, sizeof(req));
	send(cfd, req, 20, 0);
	send(cfd, req, build_request(req), 0);
	for (i = 0; i < 10; i++)
		event_loop(EVLOOP_NONBLOCK);
	pfd.fd = cfd;
	pfd.events = POLLIN;
	*answered = 0;
	if (poll(&pfd, 1, 1000) == 1 &&
	    (n = recv(cfd, resp, sizeof(resp), 0)) > 0)
		*answered = (n == (af == AF_INET ? 32 : 44) &&
		    resp[0] == 0x01 && resp[1] == 0x01 &&
		    memcmp(resp + 8, txid, sizeof(txid)) == 0 &&
		    client_port(cfd) == ((resp[26] << 8 | resp[27]) ^ 0x2112));
	*silent = poll(&pfd, 1, 100) == 0;
	stun_server_stats(srv, &st);
	if (st.requests != 3 || st.answers != 1 || st.ignored != 2)
		*answered = 0;
	stun_server_free(srv);
	close(cfd);
	return (0);
}

TEST(server_ipv4)
{
	int	answered, silent;

	test_event_base();
	if (serve_once(AF_INET, "127.0.0.1", &answered, &silent) != 0)
		FAIL("no IPv4 loopback");
	ASSERT(answered);
	ASSERT(silent);
}

TEST(server_ipv6)
{
	int	answered, silent;

	test_event_base();
	if (serve_once(AF_INET6, "::1", &answered, &silent) != 0) {
		fprintf(stderr, "  no IPv6 loopback here; skipped\n");
		return;
	}
	ASSERT(answered);
	ASSERT(silent);
}

TEST_MAIN();
