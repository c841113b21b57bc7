/*
 * tsc: the test client's command line.
 *
 *	tsc URL get PATH	print the status line's code and the body
 *	tsc URL key		print the server's Noise key as mkey:...
 *	tsc URL handshake	upgrade to Noise; "ok" when the server's
 *				response authenticates with its key
 *	tsc URL badinit		send a corrupted initiation; print the status
 *	tsc URL h2get PATH	HTTP/2 GET inside Noise; print our machine
 *				key as "machine mkey:...", then the status
 *				and the body
 *	tsc URL h2post PATH BODY
 *				HTTP/2 POST of BODY (@FILE: the file's
 *				contents); print "status length" and a
 *				newline, then the body as it came
 *	tsc URL h2many N	N requests on concurrent streams of one
 *				connection, GETs and POSTs; "ok N" when
 *				every answer is right
 *	tsc URL h2reset		GET /coordd/ticks, reset the stream after its
 *				headers, wait, then GET /coordd/echo on the
 *				same connection: "ok" when that works
 *	tsc URL h2garbage	send a record of bytes that are not HTTP/2;
 *				"closed" when the server hangs up
 *	tsc URL register AUTHKEY HOSTNAME [refresh|logout ...]
 *				POST /machine/register with a new node key
 *				and AUTHKEY ("" for none); print "machine
 *				mkey:...", "node nodekey:...", then "status
 *				JSON" for the request and for each follow-up
 *				on the same connection with the same node
 *				key: refresh without Auth, logout with an
 *				Expiry in the past
 *
 * TSC_H2_WINDOW in the environment sets our HTTP/2 receive windows.
 *
 * Exit 0 on success, 1 with a line on stderr otherwise.
 */
#include <sys/param.h>

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "tsclient.h"

static uint8_t *
read_body(const char *arg, size_t *len)
{
	FILE	*f;
	uint8_t	*buf;
	long	 n;

	if (arg[0] != '@') {
		*len = strlen(arg);
		if ((buf = malloc(*len + 1)) == NULL)
			err(1, NULL);
		memcpy(buf, arg, *len + 1);
		return (buf);
	}
	if ((f = fopen(arg + 1, "rb")) == NULL)
		err(1, "%s", arg + 1);
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1)
		err(1, "%s", arg + 1);
	if ((buf = malloc(n + 1)) == NULL)
		err(1, NULL);
	if (fread(buf, 1, n, f) != (size_t)n)
		errx(1, "%s: short read", arg + 1);
	fclose(f);
	*len = n;
	return (buf);
}

static void
reg_post(struct tsc *t, const char *nodekey, const char *authkey,
    const char *hostname, const char *expiry)
{
	char	 req[2048], out[8192];
	size_t	 outlen = sizeof(out) - 1;
	int	 n, status;

	n = snprintf(req, sizeof(req), "{\"Version\":%d,\"NodeKey\":\"%s\","
	    "\"OldNodeKey\":\"nodekey:%064d\",%s%s%s"
	    "\"Expiry\":\"%s\",\"Followup\":\"\","
	    "\"Hostinfo\":{\"Hostname\":\"%s\",\"OS\":\"linux\"}}",
	    TSC_CAPVER, nodekey, 0, authkey[0] != '\0' ?
	    "\"Auth\":{\"AuthKey\":\"" : "", authkey,
	    authkey[0] != '\0' ? "\"}," : "", expiry, hostname);
	if (n < 0 || (size_t)n >= sizeof(req))
		errx(1, "register request too long");
	if (tsc_h2_request(t, "POST", "/machine/register", req, n, &status,
	    out, &outlen) == -1)
		errx(1, "%s", t->err);
	out[MIN(outlen, sizeof(out) - 1)] = '\0';
	printf("%d %s\n", status, out);
	sodium_memzero(req, sizeof(req));
}

/* A new node key, registered, then the follow-ups asked for. */
static void
reg_run(struct tsc *t, int argc, char *argv[])
{
	uint8_t	 priv[NOISE_KEYLEN], pub[NOISE_KEYLEN];
	char	 hex[2 * NOISE_KEYLEN + 1], nodekey[8 + sizeof(hex)];
	int	 i;

	randombytes_buf(priv, sizeof(priv));
	if (crypto_scalarmult_base(pub, priv) != 0)
		errx(1, "crypto_scalarmult_base");
	sodium_bin2hex(hex, sizeof(hex), pub, sizeof(pub));
	snprintf(nodekey, sizeof(nodekey), "nodekey:%s", hex);
	printf("node %s\n", nodekey);
	reg_post(t, nodekey, argv[3], argv[4], "0001-01-01T00:00:00Z");
	for (i = 5; i < argc; i++) {
		if (strcmp(argv[i], "refresh") == 0)
			reg_post(t, nodekey, "", argv[4],
			    "0001-01-01T00:00:00Z");
		else if (strcmp(argv[i], "logout") == 0)
			reg_post(t, nodekey, "", argv[4],
			    "1970-01-01T00:02:03Z");
		else
			errx(1, "unknown follow-up %s", argv[i]);
	}
}

/* n streams at once: even ones GET, odd ones POST a body to echo. */
static void
h2many(struct tsc *t, const char *arg, const char *mkey)
{
	struct tsc_h2req	*reqs;
	char			(*bodies)[32];
	const char		*errstr;
	size_t			 i, n;

	n = strtonum(arg, 1, 10000, &errstr);
	if (errstr != NULL)
		errx(1, "N is %s", errstr);
	if ((reqs = calloc(n, sizeof(*reqs))) == NULL ||
	    (bodies = calloc(n, sizeof(*bodies))) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		reqs[i].path = "/coordd/echo";
		if (i % 2 == 0)
			reqs[i].method = "GET";
		else {
			reqs[i].method = "POST";
			snprintf(bodies[i], sizeof(bodies[i]), "stream %zu",
			    i);
			reqs[i].body = (uint8_t *)bodies[i];
			reqs[i].bodylen = strlen(bodies[i]);
		}
		if (tsc_h2_submit(t, &reqs[i]) == -1)
			errx(1, "%s", t->err);
	}
	if (tsc_h2_wait(t, reqs, n) == -1)
		errx(1, "%s", t->err);
	for (i = 0; i < n; i++) {
		if (reqs[i].status != 200)
			errx(1, "request %zu: status %d", i, reqs[i].status);
		if (i % 2 == 1 && (reqs[i].outlen != reqs[i].bodylen ||
		    memcmp(reqs[i].out, reqs[i].body, reqs[i].outlen) != 0))
			errx(1, "request %zu: wrong echo", i);
		if (i % 2 == 0 && (reqs[i].outlen == 0 ||
		    memmem(reqs[i].out, reqs[i].outlen, mkey,
		    strlen(mkey)) == NULL))
			errx(1, "request %zu: no machine key", i);
		tsc_h2_req_free(&reqs[i]);
	}
	printf("ok %zu\n", n);
	free(reqs);
	free(bodies);
}

int
main(int argc, char *argv[])
{
	struct tsc	t;
	struct tsc_h2req r;
	const char	*win, *errstr;
	uint8_t		junk[NOISE_INIT_LEN];
	char		hex[2 * NOISE_KEYLEN + 1], why[512], body[4096];
	char		mkey[5 + sizeof(hex)], *out;
	uint8_t		*req;
	size_t		len, outlen, outcap;
	int		status;

	if (argc == 4 && strcmp(argv[2], "get") == 0) {
		if (tsc_init(&t, argv[1], TSC_CAPVER) == -1 ||
		    tsc_get(&t, argv[3], &status, body, sizeof(body)) == -1)
			errx(1, "%s", t.err);
		printf("%d %s\n", status, body);
		return (0);
	}
	if (argc < 3 || (argc != 3 && strcmp(argv[2], "h2get") != 0 &&
	    strcmp(argv[2], "register") != 0 &&
	    strcmp(argv[2], "h2post") != 0 && strcmp(argv[2], "h2many") != 0) ||
	    (strcmp(argv[2], "h2post") == 0 && argc != 5) ||
	    ((strcmp(argv[2], "h2get") == 0 ||
	    strcmp(argv[2], "h2many") == 0) && argc != 4) ||
	    (strcmp(argv[2], "register") == 0 && argc < 5))
		errx(1, "usage: tsc URL get PATH|key|handshake|badinit|"
		    "h2get PATH|h2post PATH BODY|h2many N|h2reset|h2garbage|"
		    "register AUTHKEY HOSTNAME [refresh|logout ...]");
	if (sodium_init() == -1)
		errx(1, "sodium_init");
	if (tsc_init(&t, argv[1], TSC_CAPVER) == -1 ||
	    tsc_fetch_key(&t) == -1)
		errx(1, "%s", t.err);
	if (strcmp(argv[2], "key") == 0) {
		sodium_bin2hex(hex, sizeof(hex), t.server_pub, NOISE_KEYLEN);
		printf("mkey:%s\n", hex);
		return (0);
	}
	if (strcmp(argv[2], "badinit") == 0) {
		randombytes_buf(junk, sizeof(junk));
		junk[0] = 0;
		junk[1] = TSC_CAPVER;
		junk[2] = NOISE_MSG_INIT;
		junk[3] = 0;
		junk[4] = NOISE_INIT_BODYLEN;
		if (tsc_handshake(&t, junk, sizeof(junk), &status, why,
		    sizeof(why)) == 0)
			errx(1, "a corrupted initiation was accepted");
		printf("%d %s", status, why);
		return (0);
	}
	if ((win = getenv("TSC_H2_WINDOW")) != NULL) {
		t.h2window = strtonum(win, 1, INT32_MAX, &errstr);
		if (errstr != NULL)
			errx(1, "TSC_H2_WINDOW is %s", errstr);
	}
	if (tsc_handshake(&t, NULL, 0, &status, why, sizeof(why)) == -1)
		errx(1, "handshake: %s %s", t.err, why);
	sodium_bin2hex(hex, sizeof(hex), t.machine_pub, NOISE_KEYLEN);
	snprintf(mkey, sizeof(mkey), "mkey:%s", hex);
	if (strcmp(argv[2], "h2get") == 0) {
		len = sizeof(body);
		if (tsc_h2_request(&t, "GET", argv[3], NULL, 0, &status, body,
		    &len) == -1)
			errx(1, "%s", t.err);
		printf("machine %s\n%d %s\n", mkey, status, body);
	} else if (strcmp(argv[2], "h2post") == 0) {
		req = read_body(argv[4], &len);
		outcap = outlen = len + 65536;
		if ((out = malloc(outlen)) == NULL)
			err(1, NULL);
		if (tsc_h2_request(&t, "POST", argv[3], req, len, &status, out,
		    &outlen) == -1)
			errx(1, "%s", t.err);
		printf("%d %zu\n", status, outlen);
		fwrite(out, 1, MIN(outlen, outcap - 1), stdout);
		free(req);
		free(out);
	} else if (strcmp(argv[2], "h2many") == 0)
		h2many(&t, argv[3], mkey);
	else if (strcmp(argv[2], "register") == 0) {
		printf("machine %s\n", mkey);
		reg_run(&t, argc, argv);
	}
	else if (strcmp(argv[2], "h2reset") == 0) {
		memset(&r, 0, sizeof(r));
		r.method = "GET";
		r.path = "/coordd/ticks";
		if (tsc_h2_submit(&t, &r) == -1 ||
		    tsc_h2_wait_status(&t, &r) == -1 ||
		    tsc_h2_reset(&t, &r) == -1)
			errx(1, "%s", t.err);
		tsc_h2_req_free(&r);
		usleep(400000);
		len = sizeof(body);
		if (tsc_h2_request(&t, "GET", "/coordd/echo", NULL, 0, &status,
		    body, &len) == -1)
			errx(1, "after the reset: %s", t.err);
		if (status != 200)
			errx(1, "after the reset: status %d", status);
		printf("ok\n");
	} else if (strcmp(argv[2], "h2garbage") == 0) {
		if (tsc_send(&t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		    29) == -1)
			errx(1, "%s", t.err);
		if (tsc_wait_closed(&t) == -1)
			errx(1, "the server did not close: %s", t.err);
		printf("closed\n");
	} else if (strcmp(argv[2], "handshake") == 0)
		printf("ok\n");
	else
		errx(1, "unknown command %s", argv[2]);
	tsc_close(&t);
	return (0);
}
