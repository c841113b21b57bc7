/*
 * TLS on the main listener: the coordinator holds the certificate and
 * stored the key (coordd/tls.c, coordd/tls_sign.c, stored/tls_key.c).
 */
#ifndef COORDD_TLS_H
#define COORDD_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/bufferevent.h>

struct config;
struct tls_server;

/* tls.c */
void	 tls_init(void);
struct tls_server *tls_server_new(const struct config *, char *, size_t);
void	 tls_server_free(struct tls_server *);
struct bufferevent *tls_bufferevent(struct tls_server *, struct event_base *,
	    int);
int	 tls_same_cert(const struct tls_server *, const struct config *);

/* tls_sign.c */
void	 tls_signer_open(int);
void	 tls_signer_close(void);
int	 tls_sign_request(const uint8_t *, int, int, const uint8_t *, size_t,
	    uint8_t *, size_t);

#endif /* COORDD_TLS_H */
