/*
 * derpc: a DERP client for the tests, over plain TCP.
 *
 *	derpc HOST PORT PRIVHEX|random [CMD ...]
 *
 * Prints "key HEX" (its node public key), connects, sends "GET /derp"
 * with "Upgrade: DERP", checks the 101 and the ServerKey frame, logs in
 * with ClientInfo and prints "login ok" once ServerInfo opens, or
 * "login failed: WHY" and exits 1.  Then runs the commands in order:
 *
 *	send HEX TEXT	SendPacket of TEXT to node key HEX
 *	ping		Ping; prints "pong" when the Pong comes
 *	recv		the next frame other than a KeepAlive: "recv SRC TEXT",
 *			"gone KEY REASON", "pong", or "eof"/"timeout" (5 s)
 *	big		a frame header announcing 1 MiB + 1, then "eof" when
 *			the relay hangs up
 *	prefer 0|1	NotePreferred
 *	sleep MS	wait
 *	flood HEX SIZE SECONDS
 *			SendPacket frames of SIZE bytes to node key HEX, as
 *			fast as the socket takes them, for SECONDS; then
 *			"sent PACKETS BYTES SECONDS" (BYTES: packet bytes)
 *	sink SECONDS	count RecvPacket frames for up to SECONDS from the
 *			first one, stopping after 1 s without one (or after
 *			SECONDS + 10 s when none comes); then
 *			"recv PACKETS BYTES SECONDS", SECONDS from the first
 *			packet to the last
 *
 * With DERPC_WS=1 in the environment the same runs over WebSocket:
 * "GET /derp" with Upgrade: websocket and the "derp" subprotocol, the
 * stream in masked binary messages.
 *
 * Exit status 0 unless a login or a write failed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "compat.h"
#include "derp_frame.h"
#include "ws.h"

static uint8_t	 buf[2 * DERP_FRAME_MAX];
static size_t	 buflen;
static int	 fd = -1;
static uint8_t	 pub[DERP_KEY_LEN], priv[DERP_KEY_LEN], spub[DERP_KEY_LEN];

static int		 ws;		/* DERPC_WS=1 */
static struct ws_dec	 wsdec;
static uint8_t		 raw[64 * 1024];	/* frames not decoded yet */
static size_t		 rawlen;

static void
rawwrite(const void *p, size_t len)
{
	const uint8_t	*b = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, b, len)) <= 0)
			err(1, "write");
		b += n;
		len -= n;
	}
}

/* Over WebSocket each write is one masked binary message. */
static void
writeall(const void *p, size_t len)
{
	static uint8_t	 frame[WS_HDR_MAX + 64 * 1024];
	uint8_t		 mask[4];
	size_t		 hlen, n;

	if (!ws) {
		rawwrite(p, len);
		return;
	}
	while (len > 0) {
		n = MINIMUM(len, sizeof(frame) - WS_HDR_MAX);
		randombytes_buf(mask, sizeof(mask));
		hlen = ws_frame_header(frame, WS_OP_BINARY, n, mask);
		memcpy(frame + hlen, p, n);
		ws_mask(frame + hlen, n, mask, 0);
		rawwrite(frame, hlen + n);
		p = (const uint8_t *)p + n;
		len -= n;
	}
}

static ssize_t
ws_read(void)
{
	size_t		 used, out;
	ssize_t		 n;
	int		 r;

	for (;;) {
		r = ws_decode(&wsdec, raw, rawlen, &used, buf + buflen,
		    sizeof(buf) - buflen, &out);
		memmove(raw, raw + used, rawlen - used);
		rawlen -= used;
		if (r == WS_CLOSE)
			return (0);
		if (r == WS_ERROR)
			errx(1, "WebSocket: %s", wsdec.wd_errstr);
		if (out > 0)
			return (out);
		if (r != WS_MORE)
			continue;
		if ((n = read(fd, raw + rawlen, sizeof(raw) - rawlen)) <= 0)
			return (n);
		rawlen += n;
	}
}

/* 1: more bytes; 0: end of file; -1: timeout or error. */
static int
fill(void)
{
	ssize_t	n;

	if (buflen == sizeof(buf))
		errx(1, "input buffer full");
	n = ws ? ws_read() : read(fd, buf + buflen, sizeof(buf) - buflen);
	if (n > 0) {
		buflen += n;
		return (1);
	}
	return (n == 0 ? 0 : -1);
}

/* The next frame into f (payload in a static copy): as fill(). */
static int
next_frame(struct derp_frame *f)
{
	static uint8_t	 copy[2 * DERP_FRAME_MAX];
	size_t		 used;
	int		 r;

	for (;;) {
		if (derp_frame_parse(buf, buflen, sizeof(buf) - DERP_HDR_LEN,
		    f, &used) == 1) {
			memcpy(copy, buf, used);
			f->payload = copy + DERP_HDR_LEN;
			memmove(buf, buf + used, buflen - used);
			buflen -= used;
			return (1);
		}
		if ((r = fill()) != 1)
			return (r);
	}
}

static void
dial(const char *host, const char *port)
{
	struct addrinfo	 hints, *res;
	struct timeval	 tv = { 5, 0 };
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		errx(1, "%s: %s", host, gai_strerror(e));
	if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, res->ai_addr, res->ai_addrlen) == -1)
		err(1, "connect %s:%s", host, port);
	freeaddrinfo(res);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void
login_failed(const char *why)
{
	printf("login failed: %s\n", why);
	exit(1);
}

static void
login(const char *host)
{
	struct derp_frame	 f;
	char			 req[256], *end, json[64];
	uint8_t			 info[DERP_INFO_MIN + DERP_BOX_OVERHEAD + 64];
	uint8_t			 hdr[DERP_HDR_LEN];
	const char		*j = "{\"version\":2,\"CanAckPings\":true}";
	size_t			 hl, jl = strlen(j), bl;
	int			 use_ws;

	if (ws)
		snprintf(req, sizeof(req), "GET /derp HTTP/1.1\r\n"
		    "Host: %s\r\nUpgrade: websocket\r\n"
		    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
		    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		    "Sec-WebSocket-Protocol: derp\r\n\r\n", host);
	else
		snprintf(req, sizeof(req), "GET /derp HTTP/1.1\r\n"
		    "Host: %s\r\nUpgrade: DERP\r\nConnection: Upgrade\r\n"
		    "\r\n", host);
	rawwrite(req, strlen(req));
	/* The head is not framed; read it raw, then switch. */
	use_ws = ws;
	ws = 0;
	while ((end = memmem(buf, buflen, "\r\n\r\n", 4)) == NULL)
		if (fill() != 1)
			login_failed("no response head");
	hl = end + 4 - (char *)buf;
	if (strncmp((char *)buf, "HTTP/1.1 101 ", 13) != 0)
		login_failed("not a 101");
	if (use_ws) {
		/* What came with the head is framed already. */
		if (buflen - hl > sizeof(raw))
			errx(1, "too much after the head");
		memcpy(raw, buf + hl, buflen - hl);
		rawlen = buflen - hl;
		buflen = 0;
	} else {
		memmove(buf, buf + hl, buflen - hl);
		buflen -= hl;
	}
	ws = use_ws;
	if (next_frame(&f) != 1 || derp_parse_server_key(&f, spub) != 0)
		login_failed("no ServerKey frame");

	memcpy(info, pub, DERP_KEY_LEN);
	randombytes_buf(info + DERP_KEY_LEN, DERP_NONCE_LEN);
	if (crypto_box_easy(info + DERP_INFO_MIN, (const uint8_t *)j, jl,
	    info + DERP_KEY_LEN, spub, priv) != 0)
		errx(1, "crypto_box_easy");
	bl = DERP_INFO_MIN + DERP_BOX_OVERHEAD + jl;
	derp_frame_header(hdr, DERP_F_CLIENT_INFO, bl);
	writeall(hdr, sizeof(hdr));
	writeall(info, bl);
	if (next_frame(&f) != 1)
		login_failed("closed by the relay");
	if (f.type != DERP_F_SERVER_INFO ||
	    f.len < DERP_NONCE_LEN + DERP_BOX_OVERHEAD ||
	    f.len - DERP_NONCE_LEN - DERP_BOX_OVERHEAD >= sizeof(json) ||
	    crypto_box_open_easy((uint8_t *)json, f.payload + DERP_NONCE_LEN,
	    f.len - DERP_NONCE_LEN, f.payload, spub, priv) != 0)
		login_failed("bad ServerInfo");
	json[f.len - DERP_NONCE_LEN - DERP_BOX_OVERHEAD] = '\0';
	printf("login ok %s\n", json);
}

static void
cmd_send(const char *hex, const char *text)
{
	uint8_t	hdr[DERP_HDR_LEN + DERP_KEY_LEN];
	size_t	len;

	if (sodium_hex2bin(hdr + DERP_HDR_LEN, DERP_KEY_LEN, hex,
	    strlen(hex), NULL, &len, NULL) != 0 || len != DERP_KEY_LEN)
		errx(1, "bad key %s", hex);
	derp_frame_header(hdr, DERP_F_SEND_PACKET, DERP_KEY_LEN +
	    strlen(text));
	writeall(hdr, sizeof(hdr));
	writeall(text, strlen(text));
}

static void
cmd_recv(void)
{
	struct derp_frame	 f;
	const uint8_t		*k, *pkt;
	char			 hex[2 * DERP_KEY_LEN + 1];
	size_t			 len;
	int			 r, reason;

	while ((r = next_frame(&f)) == 1 && f.type == DERP_F_KEEP_ALIVE)
		;
	if (r != 1) {
		printf("%s\n", r == 0 ? "eof" : "timeout");
		return;
	}
	if (derp_parse_recv(&f, &k, &pkt, &len) == 0) {
		sodium_bin2hex(hex, sizeof(hex), k, DERP_KEY_LEN);
		printf("recv %s %.*s\n", hex, (int)len, pkt);
	} else if (derp_parse_peer_gone(&f, &k, &reason) == 0) {
		sodium_bin2hex(hex, sizeof(hex), k, DERP_KEY_LEN);
		printf("gone %s %d\n", hex, reason);
	} else if (f.type == DERP_F_PONG)
		printf("pong\n");
	else
		printf("frame %u %u\n", f.type, f.len);
}

static void
cmd_big(void)
{
	uint8_t	hdr[DERP_HDR_LEN];
	int	r;

	derp_frame_header(hdr, DERP_F_SEND_PACKET, DERP_FRAME_MAX + 1);
	writeall(hdr, sizeof(hdr));
	/* Whatever was queued for us, then the end. */
	buflen = 0;
	while ((r = fill()) == 1)
		buflen = 0;
	printf("%s\n", r == 0 ? "eof" : "timeout");
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static long long
number(const char *s, long long min, long long max)
{
	const char	*errstr;
	long long	 n;

	n = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		errx(1, "%s: %s", s, errstr);
	return (n);
}

/*
 * A chunk of whole frames written over and over, so that the relay sees
 * a stream of SendPackets; the last one is always completed.
 */
static void
cmd_flood(const char *hex, const char *size, const char *secs)
{
	static uint8_t	 chunk[64 * 1024];
	struct timeval	 tv = { 5, 0 };
	uint8_t		 key[DERP_KEY_LEN];
	size_t		 len, plen, flen, clen, off, i;
	uint64_t	 total = 0;
	double		 t0, end;
	ssize_t		 n;

	if (sodium_hex2bin(key, sizeof(key), hex, strlen(hex), NULL, &len,
	    NULL) != 0 || len != sizeof(key))
		errx(1, "bad key %s", hex);
	plen = number(size, 1, DERP_PACKET_MAX);
	flen = DERP_HDR_LEN + DERP_KEY_LEN + plen;
	clen = (sizeof(chunk) / flen) * flen;
	for (i = 0; i < clen; i += flen) {
		derp_frame_header(chunk + i, DERP_F_SEND_PACKET,
		    DERP_KEY_LEN + plen);
		memcpy(chunk + i + DERP_HDR_LEN, key, DERP_KEY_LEN);
		memset(chunk + i + DERP_HDR_LEN + DERP_KEY_LEN, 'x', plen);
	}
	/* A relay that stops reading fails us rather than hangs us. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	t0 = now();
	end = t0 + number(secs, 1, 3600);
	off = 0;
	while (now() < end) {
		if (ws) {
			writeall(chunk, clen);
			total += clen;
			continue;
		}
		if ((n = write(fd, chunk + off, clen - off)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "write");
		}
		total += n;
		off = (off + n) % clen;
	}
	if (total % flen != 0) {
		writeall(chunk + off, flen - total % flen);
		total += flen - total % flen;
	}
	printf("sent %llu %llu %.3f\n", (unsigned long long)(total / flen),
	    (unsigned long long)(total / flen * plen), now() - t0);
	/* Leave only when the relay has read it all and hung up. */
	shutdown(fd, SHUT_WR);
	buflen = 0;
	while (fill() == 1)
		buflen = 0;
}

/* Frames parsed in place, the tail moved once per read. */
static void
cmd_sink(const char *secs)
{
	struct derp_frame	 f;
	struct pollfd		 pfd;
	uint64_t		 pkts = 0, bytes = 0, seen;
	double			 limit, start, t, first = 0, last = 0;
	size_t			 off, used;
	int			 r;

	limit = number(secs, 1, 3600);
	start = now();
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		seen = pkts;
		off = 0;
		while ((r = derp_frame_parse(buf + off, buflen - off,
		    sizeof(buf) - DERP_HDR_LEN, &f, &used)) == 1) {
			if (f.type == DERP_F_RECV_PACKET &&
			    f.len >= DERP_KEY_LEN) {
				pkts++;
				bytes += f.len - DERP_KEY_LEN;
			}
			off += used;
		}
		if (r == -1)
			errx(1, "frame over %zu bytes", sizeof(buf));
		memmove(buf, buf + off, buflen - off);
		buflen -= off;
		t = now();
		if (pkts > seen) {
			if (seen == 0)
				first = t;
			last = t;
		}
		if (pkts == 0 ? t - start >= limit + 10 :
		    t - first >= limit || t - last >= 1)
			break;
		if (poll(&pfd, 1, 100) == -1 && errno != EINTR)
			err(1, "poll");
		if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) &&
		    fill() != 1)
			break;
	}
	printf("recv %llu %llu %.3f\n", (unsigned long long)pkts,
	    (unsigned long long)bytes, last - first);
}

int
main(int argc, char *argv[])
{
	uint8_t	ping[DERP_PING_FRAME_LEN];
	char	hex[2 * DERP_KEY_LEN + 1];
	size_t	len;
	int	i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 4)
		errx(1, "usage: derpc HOST PORT PRIVHEX|random [CMD ...]");
	if (sodium_init() == -1)
		errx(1, "sodium_init");
	if (strcmp(argv[3], "random") == 0)
		randombytes_buf(priv, sizeof(priv));
	else if (sodium_hex2bin(priv, sizeof(priv), argv[3], strlen(argv[3]),
	    NULL, &len, NULL) != 0 || len != sizeof(priv))
		errx(1, "bad private key");
	if (crypto_scalarmult_base(pub, priv) != 0)
		errx(1, "bad private key");
	sodium_bin2hex(hex, sizeof(hex), pub, sizeof(pub));
	printf("key %s\n", hex);
	if (getenv("DERPC_WS") != NULL && strcmp(getenv("DERPC_WS"), "1") == 0) {
		ws = 1;
		ws_dec_init(&wsdec, 0);
	}
	dial(argv[1], argv[2]);
	login(argv[1]);
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "send") == 0 && i + 2 < argc) {
			cmd_send(argv[i + 1], argv[i + 2]);
			i += 2;
		} else if (strcmp(argv[i], "ping") == 0) {
			derp_encode_ping(ping, (const uint8_t *)"derpc!!!");
			writeall(ping, sizeof(ping));
			cmd_recv();
		} else if (strcmp(argv[i], "recv") == 0)
			cmd_recv();
		else if (strcmp(argv[i], "big") == 0)
			cmd_big();
		else if (strcmp(argv[i], "prefer") == 0 && i + 1 < argc) {
			uint8_t	np[DERP_HDR_LEN + 1];

			derp_frame_header(np, DERP_F_NOTE_PREFERRED, 1);
			np[DERP_HDR_LEN] = atoi(argv[++i]) != 0;
			writeall(np, sizeof(np));
		} else if (strcmp(argv[i], "sleep") == 0 && i + 1 < argc)
			usleep(1000 * atoi(argv[++i]));
		else if (strcmp(argv[i], "flood") == 0 && i + 3 < argc) {
			cmd_flood(argv[i + 1], argv[i + 2], argv[i + 3]);
			i += 3;
		} else if (strcmp(argv[i], "sink") == 0 && i + 1 < argc)
			cmd_sink(argv[++i]);
		else
			errx(1, "unknown command %s", argv[i]);
	}
	close(fd);
	return (0);
}
