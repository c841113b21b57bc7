/*
 * tsc: the test client's command line.
 *
 *	tsc URL get PATH	print the status line's code and the body
 *	tsc URL key		print the server's Noise key as mkey:...
 *	tsc URL handshake	upgrade to Noise; "ok" when the server's
 *				response authenticates with its key
 *	tsc URL badinit		send a corrupted initiation; print the status
 *	tsc URL h2		handshake, then send the HTTP/2 preface
 *
 * Exit 0 on success, 1 with a line on stderr otherwise.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "tsclient.h"

int
main(int argc, char *argv[])
{
	struct tsc	t;
	uint8_t		junk[NOISE_INIT_LEN];
	char		hex[2 * NOISE_KEYLEN + 1], why[512], body[4096];
	int		status;

	if (argc == 4 && strcmp(argv[2], "get") == 0) {
		if (tsc_init(&t, argv[1], TSC_CAPVER) == -1 ||
		    tsc_get(&t, argv[3], &status, body, sizeof(body)) == -1)
			errx(1, "%s", t.err);
		printf("%d %s\n", status, body);
		return (0);
	}
	if (argc != 3)
		errx(1, "usage: tsc URL get PATH|key|handshake|badinit|h2");
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
	if (tsc_handshake(&t, NULL, 0, &status, why, sizeof(why)) == -1)
		errx(1, "handshake: %s %s", t.err, why);
	if (strcmp(argv[2], "h2") == 0) {
		if (tsc_send(&t, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24) == -1)
			errx(1, "%s", t.err);
	}
	printf("ok\n");
	tsc_close(&t);
	return (0);
}
