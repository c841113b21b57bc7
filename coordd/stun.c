/*
 * The embedded STUN server on derp.server.stun_listen_addr.  Like
 * Tailscale's derper it answers only what a Tailscale client sends: a
 * binding request carrying SOFTWARE "tailnode" and a correct FINGERPRINT
 * as its last attribute.  The answer is the sender's address and port in
 * one XOR-MAPPED-ADDRESS.  Anything else is counted and dropped without a
 * word, so that the socket cannot be used to reflect traffic.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>

#include "log.h"
#include "stun.h"

struct stun_server {
	int			 fd;
	struct event		 ev;
	struct stun_stats	 stats;
	time_t			 logged;	/* last "ignored" debug line */
};

static const char *const stun_errors[] = {
	[STUN_OK] = "ok",
	[STUN_ERR_SHORT] = "shorter than a STUN header",
	[STUN_ERR_NOTSTUN] = "not STUN",
	[STUN_ERR_TYPE] = "not a binding request",
	[STUN_ERR_LENGTH] = "length disagrees with the datagram",
	[STUN_ERR_ATTR] = "malformed attributes",
	[STUN_ERR_SOFTWARE] = "not from Tailscale (SOFTWARE)",
	[STUN_ERR_NOFP] = "FINGERPRINT missing or not last",
	[STUN_ERR_FP] = "wrong FINGERPRINT",
};

static uint16_t
get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* CRC-32 (IEEE 802.3, reflected), bit by bit: requests are 40 bytes. */
uint32_t
stun_crc32(const uint8_t *p, size_t len)
{
	uint32_t	crc = 0xffffffffU;
	int		k;

	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return (~crc);
}

const char *
stun_parse_error(int err)
{
	if (err < 0 || (size_t)err >= nitems(stun_errors))
		return ("unknown");
	return (stun_errors[err]);
}

/*
 * Accept a datagram only if it is exactly one binding request whose
 * attributes tile its body, with Tailscale's SOFTWARE and a FINGERPRINT
 * over everything before it as the last attribute; copy out its
 * transaction id.  Returns STUN_OK or the reason for refusing.
 */
int
stun_parse_request(const uint8_t *b, size_t len, uint8_t *txid)
{
	size_t		 off, alen, padded;
	uint16_t	 type, last = 0;
	int		 software = 0, lastlen = -1;

	if (len < STUN_HEADER_LEN)
		return (STUN_ERR_SHORT);
	if ((b[0] & 0xc0) != 0 || get32(b + 4) != STUN_COOKIE)
		return (STUN_ERR_NOTSTUN);
	if (get16(b) != STUN_BINDING_REQUEST)
		return (STUN_ERR_TYPE);
	if (get16(b + 2) != len - STUN_HEADER_LEN || (len & 3) != 0)
		return (STUN_ERR_LENGTH);
	for (off = STUN_HEADER_LEN; off < len; off += 4 + padded) {
		if (len - off < 4)
			return (STUN_ERR_ATTR);
		type = get16(b + off);
		alen = get16(b + off + 2);
		padded = (alen + 3) & ~(size_t)3;
		if (padded > len - off - 4)
			return (STUN_ERR_ATTR);
		if (type == STUN_ATTR_SOFTWARE &&
		    alen == sizeof(STUN_SOFTWARE) - 1 &&
		    memcmp(b + off + 4, STUN_SOFTWARE, alen) == 0)
			software = 1;
		last = type;
		lastlen = alen;
	}
	if (!software)
		return (STUN_ERR_SOFTWARE);
	/* A 4-byte last attribute ends the datagram: it sits at len - 8. */
	if (last != STUN_ATTR_FINGERPRINT || lastlen != 4)
		return (STUN_ERR_NOFP);
	if (get32(b + len - 4) !=
	    (stun_crc32(b, len - 8) ^ STUN_FINGERPRINT_XOR))
		return (STUN_ERR_FP);
	memcpy(txid, b + 8, STUN_TXID_LEN);
	return (STUN_OK);
}

/*
 * A success response for txid naming sa in its one XOR-MAPPED-ADDRESS.
 * An IPv4 client seen on a dual-stack socket is answered as IPv4, which
 * is what it is.  Returns the length written, 0 if it does not fit or
 * the family is neither IPv4 nor IPv6.
 */
size_t
stun_response(const uint8_t *txid, const struct sockaddr *sa,
    socklen_t salen, uint8_t *buf, size_t len)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	uint8_t				 addr[16], mask[16];
	size_t				 alen, need, i;
	uint16_t			 port;

	if (sa->sa_family == AF_INET && salen >= sizeof(*sin)) {
		sin = (const struct sockaddr_in *)sa;
		memcpy(addr, &sin->sin_addr, 4);
		alen = 4;
		port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6 && salen >= sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(addr, &sin6->sin6_addr.s6_addr[12], 4);
			alen = 4;
		} else {
			memcpy(addr, &sin6->sin6_addr, 16);
			alen = 16;
		}
		port = ntohs(sin6->sin6_port);
	} else
		return (0);
	need = STUN_HEADER_LEN + 4 + 4 + alen;
	if (len < need)
		return (0);
	put16(buf, STUN_BINDING_SUCCESS);
	put16(buf + 2, 4 + 4 + alen);
	put32(buf + 4, STUN_COOKIE);
	memcpy(buf + 8, txid, STUN_TXID_LEN);
	put16(buf + 20, STUN_ATTR_XOR_MAPPED);
	put16(buf + 22, 4 + alen);
	buf[24] = 0;
	buf[25] = alen == 4 ? 1 : 2;
	put16(buf + 26, port ^ (STUN_COOKIE >> 16));
	/* The address is masked with the cookie, then the transaction id. */
	put32(mask, STUN_COOKIE);
	memcpy(mask + 4, txid, STUN_TXID_LEN);
	for (i = 0; i < alen; i++)
		buf[28 + i] = addr[i] ^ mask[i];
	return (need);
}

static void
stun_addr_str(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len)
{
	char	host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getnameinfo(sa, salen, host, sizeof(host), serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		strlcpy(buf, "?", len);
	else if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%s", host, serv);
	else
		snprintf(buf, len, "%s:%s", host, serv);
}

/* Count a dropped datagram; a line at most once a second, for -v. */
static void
stun_ignore(struct stun_server *s, int why, const struct sockaddr *sa,
    socklen_t salen, size_t n)
{
	char	peer[NI_MAXHOST + NI_MAXSERV + 4];
	time_t	now;

	s->stats.ignored++;
	if (log_getverbose() == 0 || (now = time(NULL)) == s->logged)
		return;
	s->logged = now;
	stun_addr_str(sa, salen, peer, sizeof(peer));
	log_debug("stun: ignored %zu bytes from %s: %s (requests %llu, "
	    "answers %llu, ignored %llu)", n, peer, stun_parse_error(why),
	    (unsigned long long)s->stats.requests,
	    (unsigned long long)s->stats.answers,
	    (unsigned long long)s->stats.ignored);
}

static void
stun_answer(struct stun_server *s, const uint8_t *txid,
    const struct sockaddr *sa, socklen_t salen)
{
	uint8_t	out[STUN_MAX_RESPONSE];
	size_t	n;

	if ((n = stun_response(txid, sa, salen, out, sizeof(out))) == 0) {
		stun_ignore(s, STUN_ERR_NOTSTUN, sa, salen, 0);
		return;
	}
	/* A full socket buffer or an unroutable peer costs one answer. */
	if (sendto(s->fd, out, n, MSG_DONTWAIT, sa, salen) == -1) {
		s->stats.send_errors++;
		log_debug("stun: sendto: %s", strerror(errno));
		return;
	}
	s->stats.answers++;
}

/* Handle one queued datagram; -1 once the queue is empty. */
static int
stun_read_one(struct stun_server *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr		*sa = (struct sockaddr *)&ss;
	struct msghdr		 msg;
	struct iovec		 iov;
	uint8_t			 buf[STUN_MAX_DATAGRAM];
	uint8_t			 txid[STUN_TXID_LEN];
	ssize_t			 n;
	int			 why;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_name = &ss;
	msg.msg_namelen = sizeof(ss);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if ((n = recvmsg(s->fd, &msg, MSG_DONTWAIT)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("stun: recvmsg");
		return (-1);
	}
	s->stats.requests++;
	if (msg.msg_flags & MSG_TRUNC)
		why = STUN_ERR_LENGTH;
	else
		why = stun_parse_request(buf, n, txid);
	if (why != STUN_OK)
		stun_ignore(s, why, sa, msg.msg_namelen, n);
	else
		stun_answer(s, txid, sa, msg.msg_namelen);
	return (0);
}

/* Drain the queue, but a bounded batch so the other events get a turn. */
static void
stun_read_cb(int fd, short event, void *arg)
{
	struct stun_server	*s = arg;
	int			 i;

	for (i = 0; i < STUN_READ_BATCH; i++)
		if (stun_read_one(s) == -1)
			break;
}

struct stun_server *
stun_server_new(int fd)
{
	struct stun_server	*s;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	char			 name[NI_MAXHOST + NI_MAXSERV + 4];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("%s", __func__);
	s->fd = fd;
	event_set(&s->ev, fd, EV_READ | EV_PERSIST, stun_read_cb, s);
	if (event_add(&s->ev, NULL) == -1)
		fatalx("%s: event_add", __func__);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1)
		strlcpy(name, "?", sizeof(name));
	else
		stun_addr_str((struct sockaddr *)&ss, sslen, name,
		    sizeof(name));
	log_info("stun: serving binding requests on %s", name);
	return (s);
}

void
stun_server_free(struct stun_server *s)
{
	if (s == NULL)
		return;
	event_del(&s->ev);
	close(s->fd);
	log_debug("stun: closed after %llu requests, %llu answers, "
	    "%llu ignored", (unsigned long long)s->stats.requests,
	    (unsigned long long)s->stats.answers,
	    (unsigned long long)s->stats.ignored);
	free(s);
}

void
stun_server_stats(const struct stun_server *s, struct stun_stats *st)
{
	*st = s->stats;
}
