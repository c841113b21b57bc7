/*
 * TLS for the main listener (control, DERP, the API and the pages):
 * OpenSSL through libevent's bufferevent_openssl.  The certificate
 * chain comes from the parent; the private key never leaves stored.
 * The SSL_CTX gets a stand-in key that carries only the public half,
 * with RSA and EC_KEY methods whose private operations are asked of
 * stored (tls_sign.c), the way relayd and OpenSMTPD keep their keys
 * out of the network process.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "compat.h"
#include "config.h"
#include "log.h"
#include "tls.h"
#include "types.h"

/* RSA_METHOD and EC_KEY_METHOD are the only way to proxy a key in 3.0. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

struct tls_server {
	SSL_CTX		*ctx;
	uint8_t		 cert_hash[SHA256_DIGEST_LENGTH];
};

/* Which stored key a stand-in key stands for. */
struct tls_keyref {
	uint8_t		 id[TLS_KEY_ID_LEN];
};

static RSA_METHOD	*tls_rsa_method;
static EC_KEY_METHOD	*tls_ec_method;
static int		 tls_rsa_idx = -1, tls_ec_idx = -1;

static void
tls_keyref_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	freezero(ptr, sizeof(struct tls_keyref));
}

static int
tls_rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	struct tls_keyref	*ref = RSA_get_ex_data(rsa, tls_rsa_idx);

	if (ref == NULL || flen <= 0)
		return (-1);
	return (tls_sign_request(ref->id, TLS_SIGN_RSA, padding, from, flen,
	    to, RSA_size(rsa)));
}

/* A stand-in key never decrypts: only ECDHE suites are offered. */
static int
tls_rsa_priv_dec(int flen, const unsigned char *from, unsigned char *to,
    RSA *rsa, int padding)
{
	return (-1);
}

static int
tls_ec_sign(int type, const unsigned char *dgst, int dlen,
    unsigned char *sig, unsigned int *siglen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *ec)
{
	struct tls_keyref	*ref = EC_KEY_get_ex_data(ec, tls_ec_idx);
	int			 n;

	if (ref == NULL || dlen <= 0)
		return (0);
	n = tls_sign_request(ref->id, TLS_SIGN_ECDSA, 0, dgst, dlen, sig,
	    ECDSA_size(ec));
	if (n <= 0)
		return (0);
	*siglen = n;
	return (1);
}

static ECDSA_SIG *
tls_ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
    const BIGNUM *r, EC_KEY *ec)
{
	unsigned char		 der[TLS_SIGN_MAX];
	const unsigned char	*p = der;
	unsigned int		 len;

	if ((size_t)ECDSA_size(ec) > sizeof(der) ||
	    tls_ec_sign(0, dgst, dlen, der, &len, kinv, r, ec) != 1)
		return (NULL);
	return (d2i_ECDSA_SIG(NULL, &p, len));
}

void
tls_init(void)
{
	int	(*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **);

	/* Before the chroot: OpenSSL reads its config file once. */
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		fatalx("OPENSSL_init_ssl");
	tls_rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_keyref_free);
	tls_ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL,
	    tls_keyref_free);
	if ((tls_rsa_method = RSA_meth_dup(RSA_PKCS1_OpenSSL())) == NULL ||
	    RSA_meth_set1_name(tls_rsa_method, "coordd stored") != 1 ||
	    RSA_meth_set_priv_enc(tls_rsa_method, tls_rsa_priv_enc) != 1 ||
	    RSA_meth_set_priv_dec(tls_rsa_method, tls_rsa_priv_dec) != 1 ||
	    (tls_ec_method = EC_KEY_METHOD_new(EC_KEY_OpenSSL())) == NULL)
		fatalx("%s: cannot make key methods", __func__);
	EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), NULL, &setup, NULL);
	EC_KEY_METHOD_set_sign(tls_ec_method, tls_ec_sign, setup,
	    tls_ec_sign_sig);
}

static struct tls_keyref *
tls_keyref_new(EVP_PKEY *pub)
{
	struct tls_keyref	*ref;
	unsigned char		*der = NULL;
	int			 len;

	if ((ref = calloc(1, sizeof(*ref))) == NULL)
		return (NULL);
	if ((len = i2d_PUBKEY(pub, &der)) <= 0) {
		free(ref);
		return (NULL);
	}
	SHA256(der, len, ref->id);
	OPENSSL_free(der);
	return (ref);
}

/* A private key object holding the public half and our methods. */
static EVP_PKEY *
tls_standin_key(EVP_PKEY *pub)
{
	struct tls_keyref	*ref;
	EVP_PKEY		*pkey = NULL;
	RSA			*rsa;
	EC_KEY			*ec;

	if ((ref = tls_keyref_new(pub)) == NULL ||
	    (pkey = EVP_PKEY_new()) == NULL)
		goto fail;
	if (EVP_PKEY_base_id(pub) == EVP_PKEY_RSA) {
		if ((rsa = EVP_PKEY_get1_RSA(pub)) == NULL)
			goto fail;
		RSA_set_method(rsa, tls_rsa_method);
		RSA_set_ex_data(rsa, tls_rsa_idx, ref);
		ref = NULL;
		if (EVP_PKEY_assign_RSA(pkey, rsa) != 1) {
			RSA_free(rsa);
			goto fail;
		}
	} else if (EVP_PKEY_base_id(pub) == EVP_PKEY_EC) {
		if ((ec = EVP_PKEY_get1_EC_KEY(pub)) == NULL)
			goto fail;
		EC_KEY_set_method(ec, tls_ec_method);
		EC_KEY_set_ex_data(ec, tls_ec_idx, ref);
		ref = NULL;
		if (EVP_PKEY_assign_EC_KEY(pkey, ec) != 1) {
			EC_KEY_free(ec);
			goto fail;
		}
	} else
		goto fail;
	return (pkey);
 fail:
	free(ref);
	EVP_PKEY_free(pkey);
	return (NULL);
}

/* The leaf first, then any chain certificates, from one PEM buffer. */
static int
tls_use_chain(SSL_CTX *ctx, const struct config *conf)
{
	BIO	*b;
	X509	*x;
	int	 rv = -1, n = 0;

	if ((b = BIO_new_mem_buf(conf->tls_cert_pem, conf->tls_cert_len)) ==
	    NULL)
		return (-1);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (n++ == 0) {
			if (SSL_CTX_use_certificate(ctx, x) != 1) {
				X509_free(x);
				goto done;
			}
			X509_free(x);
		} else if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			goto done;
		}
	}
	ERR_clear_error();	/* the end of the buffer */
	rv = n > 0 ? 0 : -1;
 done:
	BIO_free(b);
	return (rv);
}

static int
tls_ctx_setup(SSL_CTX *ctx, const struct config *conf)
{
	EVP_PKEY	*key;
	X509		*leaf;
	int		 rv;

	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
		return (-1);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	if (tls_use_chain(ctx, conf) == -1 ||
	    (leaf = SSL_CTX_get0_certificate(ctx)) == NULL ||
	    (key = tls_standin_key(X509_get0_pubkey(leaf))) == NULL)
		return (-1);
	rv = SSL_CTX_use_PrivateKey(ctx, key);
	EVP_PKEY_free(key);
	return (rv == 1 ? 0 : -1);
}

/* NULL without TLS configured, or on error (err says which). */
struct tls_server *
tls_server_new(const struct config *conf, char *err, size_t errlen)
{
	struct tls_server	*ts;
	unsigned long		 e;

	*err = '\0';
	if (conf->tls_cert_pem == NULL)
		return (NULL);
	if ((ts = calloc(1, sizeof(*ts))) == NULL ||
	    (ts->ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    tls_ctx_setup(ts->ctx, conf) == -1) {
		e = ERR_get_error();
		snprintf(err, errlen, "TLS setup failed: %s",
		    e ? ERR_error_string(e, NULL) : "out of memory");
		ERR_clear_error();
		tls_server_free(ts);
		return (NULL);
	}
	SHA256(conf->tls_cert_pem, conf->tls_cert_len, ts->cert_hash);
	return (ts);
}

int
tls_same_cert(const struct tls_server *ts, const struct config *conf)
{
	uint8_t	h[SHA256_DIGEST_LENGTH];

	if (ts == NULL || conf->tls_cert_pem == NULL)
		return (ts == NULL && conf->tls_cert_pem == NULL);
	SHA256(conf->tls_cert_pem, conf->tls_cert_len, h);
	return (memcmp(h, ts->cert_hash, sizeof(h)) == 0);
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	SSL_CTX_free(ts->ctx);
	free(ts);
}

/* A server-side TLS bufferevent over an accepted socket. */
struct bufferevent *
tls_bufferevent(struct tls_server *ts, struct event_base *base, int fd)
{
	struct bufferevent	*bev;
	SSL			*ssl;

	if ((ssl = SSL_new(ts->ctx)) == NULL)
		return (NULL);
	if ((bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		SSL_free(ssl);
		return (NULL);
	}
	/* Clients that just close are common; not a reason to complain. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return (bev);
}
