/*
 * The parent reads tls_cert_path and tls_key_path, since neither the
 * coordinator nor stored may open files outside their chroots, checks
 * that the two belong together, and hands the certificate chain to the
 * coordinator and the private key to stored only.  The coordinator
 * terminates TLS but asks stored for every signature (coordd/tls.c).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "clientcfg.h"
#include "compat.h"
#include "config.h"
#include "coordd.h"
#include "log.h"

#define TLS_MAX_CERT_FILE	(256 * 1024)
#define TLS_MAX_KEY_FILE	(64 * 1024)

static void
tls_ssl_error(char *err, size_t errlen, const char *path, const char *what)
{
	unsigned long	e = ERR_get_error();
	char		buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	snprintf(err, errlen, "%s: %s%s%s", path, what, e ? ": " : "",
	    e ? buf : "");
}

/* The certificate and the key must parse and be one pair. */
static int
tls_check_pair(const struct config *c, char *err, size_t errlen)
{
	BIO		*cb = NULL, *kb = NULL;
	X509		*x = NULL;
	EVP_PKEY	*k = NULL;
	int		 rv = -1, id;

	if ((cb = BIO_new_mem_buf(c->tls_cert_pem, c->tls_cert_len)) == NULL ||
	    (kb = BIO_new_mem_buf(c->tls_key_pem, c->tls_key_len)) == NULL)
		fatalx("%s: out of memory", __func__);
	if ((x = PEM_read_bio_X509(cb, NULL, NULL, NULL)) == NULL) {
		tls_ssl_error(err, errlen, c->tls_cert_path,
		    "no PEM certificate");
		goto done;
	}
	if ((k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL)) == NULL) {
		/* Never the key's text: only where it came from. */
		tls_ssl_error(err, errlen, c->tls_key_path,
		    "no PEM private key (encrypted keys are not supported)");
		goto done;
	}
	id = EVP_PKEY_base_id(k);
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC) {
		snprintf(err, errlen, "%s: only RSA and ECDSA keys are "
		    "supported", c->tls_key_path);
		goto done;
	}
	if (X509_check_private_key(x, k) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: the key does not match the "
		    "certificate in %s", c->tls_key_path, c->tls_cert_path);
		goto done;
	}
	rv = 0;
 done:
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(kb);
	BIO_free(cb);
	return (rv);
}

static uint8_t *
tls_read(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	char	*buf;

	if ((buf = clientcfg_readfile(path, lenp, err, errlen)) == NULL)
		return (NULL);
	if (*lenp > max) {
		freezero(buf, *lenp);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		return (NULL);
	}
	return ((uint8_t *)buf);
}

/*
 * Fill conf's tls_cert_pem and tls_key_pem when TLS is configured.
 * config_free() wipes the key.
 */
int
parent_tls_load(struct config *c, char *err, size_t errlen)
{
	if (c->tls_cert_path == NULL || *c->tls_cert_path == '\0')
		return (0);
	if ((c->tls_cert_pem = tls_read(c->tls_cert_path, TLS_MAX_CERT_FILE,
	    &c->tls_cert_len, err, errlen)) == NULL ||
	    (c->tls_key_pem = tls_read(c->tls_key_path, TLS_MAX_KEY_FILE,
	    &c->tls_key_len, err, errlen)) == NULL)
		return (-1);
	return (tls_check_pair(c, err, errlen));
}
