/*
 * The embedded STUN server (RFC 5389 binding requests only), as the
 * Tailscale client uses it for netcheck: the wire helpers, which do no
 * I/O so that tests and the fuzzer can drive them, and the server the
 * coordinator runs on the UDP socket the parent binds.
 */
#ifndef STUN_H
#define STUN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#define STUN_HEADER_LEN		20
#define STUN_TXID_LEN		12
#define STUN_COOKIE		0x2112a442U
#define STUN_BINDING_REQUEST	0x0001
#define STUN_BINDING_SUCCESS	0x0101
#define STUN_ATTR_XOR_MAPPED	0x0020
#define STUN_ATTR_SOFTWARE	0x8022
#define STUN_ATTR_FINGERPRINT	0x8028
#define STUN_FINGERPRINT_XOR	0x5354554eU
#define STUN_SOFTWARE		"tailnode"
/* The header plus an XOR-MAPPED-ADDRESS for IPv6, the largest answer. */
#define STUN_MAX_RESPONSE	(STUN_HEADER_LEN + 4 + 4 + 16)
#define STUN_MAX_DATAGRAM	1500	/* larger ones are ignored */
#define STUN_READ_BATCH		64	/* datagrams read per wakeup */

/* Why stun_parse_request refused a datagram; 0 means accepted. */
enum stun_parse {
	STUN_OK = 0,
	STUN_ERR_SHORT,		/* less than a header */
	STUN_ERR_NOTSTUN,	/* top bits or magic cookie wrong */
	STUN_ERR_TYPE,		/* not a binding request */
	STUN_ERR_LENGTH,	/* header length disagrees with the datagram */
	STUN_ERR_ATTR,		/* an attribute runs past the end */
	STUN_ERR_SOFTWARE,	/* no SOFTWARE "tailnode" */
	STUN_ERR_NOFP,		/* FINGERPRINT missing or not last */
	STUN_ERR_FP,		/* FINGERPRINT wrong */
};

struct stun_stats {
	uint64_t	requests;	/* datagrams read */
	uint64_t	answers;	/* responses sent */
	uint64_t	ignored;	/* malformed, or not ours to answer */
	uint64_t	send_errors;	/* well-formed, but sendto failed */
};

struct stun_server;

uint32_t	 stun_crc32(const uint8_t *, size_t);
int		 stun_parse_request(const uint8_t *, size_t, uint8_t *);
const char	*stun_parse_error(int);
size_t		 stun_response(const uint8_t *, const struct sockaddr *,
		    socklen_t, uint8_t *, size_t);

struct stun_server *stun_server_new(int);
void		 stun_server_free(struct stun_server *);
void		 stun_server_stats(const struct stun_server *,
		    struct stun_stats *);

/*
 * parent_listen.c: the parent binds the UDP socket.  Declared here, not
 * in coordd.h, while only the STUN code and the parent use it.
 */
int		 parent_listen_udp(const char *, const char *, int *);

#endif /* STUN_H */
