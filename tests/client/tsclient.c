/* The test client's library: see tsclient.h. */
#include <sys/types.h>
#include <sys/param.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "tsclient.h"

#define TSC_TIMEOUT_MS	10000

/* url: http://host:port (no path). */
int
tsc_init(struct tsc *t, const char *url, uint16_t version)
{
	const char	*p, *colon;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->version = version;
	if (strncmp(url, "http://", 7) != 0) {
		snprintf(t->err, sizeof(t->err), "only http:// URLs");
		return (-1);
	}
	p = url + 7;
	if ((colon = strrchr(p, ':')) == NULL ||
	    (size_t)(colon - p) >= sizeof(t->host)) {
		snprintf(t->err, sizeof(t->err), "URL needs host:port");
		return (-1);
	}
	memcpy(t->host, p, colon - p);
	strlcpy(t->port, colon + 1, sizeof(t->port));
	t->port[strcspn(t->port, "/")] = '\0';
	crypto_box_keypair(t->machine_pub, t->machine_priv);
	return (0);
}

int
tsc_connect(struct tsc *t)
{
	struct addrinfo	 hints, *res;
	int		 error;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(t->host, t->port, &hints, &res)) != 0) {
		snprintf(t->err, sizeof(t->err), "%s", gai_strerror(error));
		return (-1);
	}
	if ((t->fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) == -1 || connect(t->fd, res->ai_addr, res->ai_addrlen) == -1) {
		snprintf(t->err, sizeof(t->err), "connect: %s",
		    strerror(errno));
		freeaddrinfo(res);
		tsc_close(t);
		return (-1);
	}
	freeaddrinfo(res);
	t->rlen = 0;
	return (0);
}

void
tsc_close(struct tsc *t)
{
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
}

static int
tsc_write_all(struct tsc *t, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(t->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(t->err, sizeof(t->err), "write: %s",
			    strerror(errno));
			return (-1);
		}
		p += n;
		len -= n;
	}
	return (0);
}

/* Read more bytes into rbuf; 0 on end of file. */
static ssize_t
tsc_fill(struct tsc *t)
{
	struct pollfd	pfd = { t->fd, POLLIN, 0 };
	ssize_t		n;

	if (t->rlen == sizeof(t->rbuf)) {
		snprintf(t->err, sizeof(t->err), "response too large");
		return (-1);
	}
	if (poll(&pfd, 1, TSC_TIMEOUT_MS) != 1) {
		snprintf(t->err, sizeof(t->err), "timed out");
		return (-1);
	}
	if ((n = read(t->fd, t->rbuf + t->rlen, sizeof(t->rbuf) - t->rlen))
	    == -1) {
		snprintf(t->err, sizeof(t->err), "read: %s", strerror(errno));
		return (-1);
	}
	t->rlen += n;
	return (n);
}

/* Read until the end of the HTTP head; returns its length and status. */
static int
tsc_read_head(struct tsc *t, int *status, size_t *headlen)
{
	uint8_t	*end;
	ssize_t	 n;

	for (;;) {
		end = memmem(t->rbuf, t->rlen, "\r\n\r\n", 4);
		if (end != NULL)
			break;
		if ((n = tsc_fill(t)) <= 0) {
			if (n == 0)
				snprintf(t->err, sizeof(t->err),
				    "connection closed");
			return (-1);
		}
	}
	*headlen = end - t->rbuf + 4;
	if (sscanf((char *)t->rbuf, "HTTP/1.1 %d", status) != 1) {
		snprintf(t->err, sizeof(t->err), "not an HTTP response");
		return (-1);
	}
	return (0);
}

/* GET path; the body (up to bodylen - 1 bytes) and the status. */
int
tsc_get(struct tsc *t, const char *path, int *status, char *body,
    size_t bodylen)
{
	char	req[512];
	size_t	headlen, blen;
	int	n;

	if (tsc_connect(t) == -1)
		return (-1);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%s\r\n"
	    "User-Agent: coordd-tsc\r\n\r\n", path, t->host, t->port);
	if (tsc_write_all(t, req, n) == -1 ||
	    tsc_read_head(t, status, &headlen) == -1) {
		tsc_close(t);
		return (-1);
	}
	/* The server closes after one response. */
	while (tsc_fill(t) > 0)
		;
	blen = MIN(t->rlen - headlen, bodylen - 1);
	memcpy(body, t->rbuf + headlen, blen);
	body[blen] = '\0';
	tsc_close(t);
	return (0);
}

static int
tsc_parse_mkey(const char *s, uint8_t out[NOISE_KEYLEN])
{
	size_t	binlen;

	if (s == NULL || strncmp(s, "mkey:", 5) != 0 || strlen(s) != 69)
		return (-1);
	return (sodium_hex2bin(out, NOISE_KEYLEN, s + 5, 64, NULL, &binlen,
	    NULL) == 0 && binlen == NOISE_KEYLEN ? 0 : -1);
}

int
tsc_fetch_key(struct tsc *t)
{
	char		 body[1024], path[64];
	json_t		*doc;
	json_error_t	 jerr;
	int		 status, rv = -1;

	snprintf(path, sizeof(path), "/key?v=%u", t->version);
	if (tsc_get(t, path, &status, body, sizeof(body)) == -1)
		return (-1);
	if (status != 200) {
		snprintf(t->err, sizeof(t->err), "/key: status %d", status);
		return (-1);
	}
	if ((doc = json_loads(body, 0, &jerr)) == NULL) {
		snprintf(t->err, sizeof(t->err), "/key: %s", jerr.text);
		return (-1);
	}
	if (tsc_parse_mkey(json_string_value(json_object_get(doc,
	    "publicKey")), t->server_pub) == 0)
		rv = 0;
	else
		snprintf(t->err, sizeof(t->err), "/key: no publicKey");
	json_decref(doc);
	return (rv);
}

/*
 * The upgrade with a given initiation (NULL: a proper one).  Returns 0
 * with the transport set up, or -1 with the HTTP status (0 if none) and
 * the server's words in why.
 */
int
tsc_handshake(struct tsc *t, const uint8_t *init_override, size_t olen,
    int *status, char *why, size_t whylen)
{
	struct noise_hs	 hs;
	uint8_t		 init[NOISE_INIT_LEN];
	char		 b64[256], req[1024];
	size_t		 len, headlen;
	int		 n, rv = -1;

	*status = 0;
	why[0] = '\0';
	if (noise_init_start(&hs, t->machine_priv, t->machine_pub,
	    t->server_pub, t->version) != NOISE_OK ||
	    noise_init_write_init(&hs, init, sizeof(init), &len) != NOISE_OK) {
		snprintf(t->err, sizeof(t->err), "noise: %s", hs.hs_errstr);
		return (-1);
	}
	if (init_override != NULL)
		sodium_bin2base64(b64, sizeof(b64), init_override, olen,
		    sodium_base64_VARIANT_ORIGINAL);
	else
		sodium_bin2base64(b64, sizeof(b64), init, len,
		    sodium_base64_VARIANT_ORIGINAL);
	if (tsc_connect(t) == -1)
		goto done;
	n = snprintf(req, sizeof(req), "POST /ts2021 HTTP/1.1\r\n"
	    "Host: %s:%s\r\nUpgrade: tailscale-control-protocol\r\n"
	    "Connection: upgrade\r\nX-Tailscale-Handshake: %s\r\n"
	    "Content-Length: 0\r\n\r\n", t->host, t->port, b64);
	if (tsc_write_all(t, req, n) == -1 ||
	    tsc_read_head(t, status, &headlen) == -1)
		goto done;
	if (*status != 101) {
		while (tsc_fill(t) > 0)
			;
		snprintf(why, whylen, "%.*s", (int)(t->rlen - headlen),
		    t->rbuf + headlen);
		snprintf(t->err, sizeof(t->err), "status %d", *status);
		goto done;
	}
	while (t->rlen < headlen + NOISE_RESP_LEN)
		if (tsc_fill(t) <= 0)
			goto done;
	if (noise_init_read_response(&hs, t->rbuf + headlen,
	    NOISE_RESP_LEN) != NOISE_OK ||
	    noise_split(&hs, &t->nt) != NOISE_OK) {
		snprintf(t->err, sizeof(t->err), "noise: %s", hs.hs_errstr);
		goto done;
	}
	memmove(t->rbuf, t->rbuf + headlen + NOISE_RESP_LEN,
	    t->rlen - headlen - NOISE_RESP_LEN);
	t->rlen -= headlen + NOISE_RESP_LEN;
	rv = 0;
 done:
	noise_hs_clear(&hs);
	if (rv == -1)
		tsc_close(t);
	return (rv);
}

/* Seal and send plaintext in records of at most the allowed size. */
int
tsc_send(struct tsc *t, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint8_t		 rec[NOISE_REC_MAX];
	size_t		 part, reclen;

	do {
		part = MIN(len, NOISE_REC_MAXPT);
		if (noise_transport_seal(&t->nt, p, part, rec, sizeof(rec),
		    &reclen) != NOISE_OK) {
			snprintf(t->err, sizeof(t->err), "seal: %s",
			    t->nt.nt_errstr);
			return (-1);
		}
		if (tsc_write_all(t, rec, reclen) == -1)
			return (-1);
		p += part;
		len -= part;
	} while (len > 0);
	return (0);
}
