/*
 * The project's own Tailscale control client, for protocol tests that
 * need no Go: fetch the server key, open the Noise transport over the
 * /ts2021 upgrade, and exchange records.  Blocking sockets; one
 * connection per struct.  The load generator builds on it later.
 */
#ifndef TSCLIENT_H
#define TSCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "noise.h"

#define TSC_CAPVER	113

struct tsc {
	char			 host[256];
	char			 port[16];
	int			 fd;
	uint16_t		 version;
	uint8_t			 server_pub[NOISE_KEYLEN];
	uint8_t			 machine_priv[NOISE_KEYLEN];
	uint8_t			 machine_pub[NOISE_KEYLEN];
	struct noise_transport	 nt;
	uint8_t			 rbuf[2 * NOISE_REC_MAX];
	size_t			 rlen;
	char			 err[256];
};

int	tsc_init(struct tsc *, const char *, uint16_t);
int	tsc_get(struct tsc *, const char *, int *, char *, size_t);
int	tsc_fetch_key(struct tsc *);
int	tsc_connect(struct tsc *);
int	tsc_handshake(struct tsc *, const uint8_t *, size_t, int *,
	    char *, size_t);
int	tsc_send(struct tsc *, const void *, size_t);
void	tsc_close(struct tsc *);

#endif /* TSCLIENT_H */
