/*
 * The TLS private key, kept here like the Noise and DERP keys: the
 * coordinator terminates TLS but asks for each signature over its own
 * signing channel (coordd/tls_sign.c).  The current key and the one
 * before a reload are kept, so that a handshake that began with the old
 * certificate still completes.
 */
#include <sys/types.h>

#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "compat.h"
#include "config.h"
#include "db.h"
#include "imsgev.h"
#include "log.h"
#include "proc.h"
#include "stored.h"
#include "types.h"

#include "store.pb-c.h"

/* The legacy RSA and EC_KEY calls are what a raw private op needs. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

struct tls_key {
	EVP_PKEY	*pkey;
	uint8_t		 id[TLS_KEY_ID_LEN];
};

static struct tls_key	 tls_keys[2];	/* [0] current, [1] previous */
static struct imsgev	*tls_chan;

static int
tls_key_id(EVP_PKEY *pkey, uint8_t *id)
{
	unsigned char	*der = NULL;
	int		 len;

	if ((len = i2d_PUBKEY(pkey, &der)) <= 0)
		return (-1);
	SHA256(der, len, id);
	OPENSSL_free(der);
	return (0);
}

/* A new config: its key, if any, becomes the current one. */
void
tlskey_config(struct config *conf)
{
	BIO		*b;
	EVP_PKEY	*pkey;
	uint8_t		 id[TLS_KEY_ID_LEN];

	if (conf->tls_key_pem == NULL)
		return;
	if ((b = BIO_new_mem_buf(conf->tls_key_pem, conf->tls_key_len)) ==
	    NULL)
		fatalx("%s: out of memory", __func__);
	pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	freezero(conf->tls_key_pem, conf->tls_key_len);
	conf->tls_key_pem = NULL;
	conf->tls_key_len = 0;
	if (pkey == NULL || tls_key_id(pkey, id) == -1) {
		/* The parent checked it; this is not expected. */
		ERR_clear_error();
		EVP_PKEY_free(pkey);
		log_warnx("TLS key from the parent does not parse");
		return;
	}
	if (tls_keys[0].pkey != NULL &&
	    memcmp(tls_keys[0].id, id, sizeof(id)) == 0) {
		EVP_PKEY_free(pkey);
		return;
	}
	EVP_PKEY_free(tls_keys[1].pkey);
	tls_keys[1] = tls_keys[0];
	tls_keys[0].pkey = pkey;
	memcpy(tls_keys[0].id, id, sizeof(id));
	log_debug("TLS key loaded");
}

static EVP_PKEY *
tls_key_find(const ProtobufCBinaryData *id)
{
	size_t	i;

	if (id->len != TLS_KEY_ID_LEN)
		return (NULL);
	for (i = 0; i < nitems(tls_keys); i++)
		if (tls_keys[i].pkey != NULL &&
		    memcmp(tls_keys[i].id, id->data, TLS_KEY_ID_LEN) == 0)
			return (tls_keys[i].pkey);
	return (NULL);
}

static int
tls_sign_rsa(EVP_PKEY *pkey, const Coordd__TlsSign *req, uint8_t *sig,
    size_t *siglen)
{
	const RSA	*rsa;
	int		 n;

	if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA ||
	    (rsa = EVP_PKEY_get0_RSA(pkey)) == NULL)
		return (-1);
	/* Only what a TLS signature needs: never a raw decrypt. */
	if (req->padding != RSA_PKCS1_PADDING &&
	    req->padding != RSA_NO_PADDING)
		return (-1);
	if (req->data.len == 0 || req->data.len > (size_t)RSA_size(rsa) ||
	    (size_t)RSA_size(rsa) > TLS_SIGN_MAX)
		return (-1);
	n = RSA_private_encrypt(req->data.len, req->data.data, sig,
	    (RSA *)rsa, req->padding);
	if (n <= 0)
		return (-1);
	*siglen = n;
	return (0);
}

static int
tls_sign_ecdsa(EVP_PKEY *pkey, const Coordd__TlsSign *req, uint8_t *sig,
    size_t *siglen)
{
	const EC_KEY	*ec;
	unsigned int	 n = TLS_SIGN_MAX;

	if (EVP_PKEY_base_id(pkey) != EVP_PKEY_EC ||
	    (ec = EVP_PKEY_get0_EC_KEY(pkey)) == NULL)
		return (-1);
	if (req->data.len == 0 || req->data.len > EVP_MAX_MD_SIZE ||
	    (size_t)ECDSA_size(ec) > TLS_SIGN_MAX)
		return (-1);
	if (ECDSA_sign(0, req->data.data, req->data.len, sig, &n,
	    (EC_KEY *)ec) != 1)
		return (-1);
	*siglen = n;
	return (0);
}

static void
tls_sign(struct imsgev *iev, struct imsg *imsg)
{
	Coordd__TlsSign		*req;
	Coordd__TlsSignReply	 rep = COORDD__TLS_SIGN_REPLY__INIT;
	EVP_PKEY		*pkey;
	uint8_t			 sig[TLS_SIGN_MAX];
	size_t			 siglen = 0;
	int			 rv = -1;

	if ((req = pb_unpack(&coordd__tls_sign__descriptor, imsg)) == NULL) {
		log_warnx("TLS sign: bad request");
		rep.status = CTL_ERR_INVALID;
	} else if ((pkey = tls_key_find(&req->key_id)) == NULL) {
		log_warnx("TLS sign: no such key");
		rep.status = CTL_ERR_NOTFOUND;
	} else {
		if (req->op == TLS_SIGN_RSA)
			rv = tls_sign_rsa(pkey, req, sig, &siglen);
		else if (req->op == TLS_SIGN_ECDSA)
			rv = tls_sign_ecdsa(pkey, req, sig, &siglen);
		if (rv == -1) {
			ERR_clear_error();
			log_warnx("TLS sign: operation %d refused", req->op);
			rep.status = CTL_ERR_INVALID;
		}
	}
	rep.signature.data = sig;
	rep.signature.len = siglen;
	if (imsgev_compose_pb(iev, IMSG_STORE_TLS_SIGN, imsg->hdr.peerid, -1,
	    &rep.base) == -1)
		log_warn("TLS sign: reply");
	pb_free(req);
}

static void
tls_dispatch(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	if (imsg == NULL) {
		log_debug("coordinator's signing channel closed");
		/* Closed already; it is ours to free. */
		if (tls_chan == iev)
			tls_chan = NULL;
		free(iev);
		return;
	}
	if (imsg->hdr.type != IMSG_STORE_TLS_SIGN) {
		log_warnx("signing channel: unexpected imsg %u",
		    imsg->hdr.type);
		return;
	}
	tls_sign(iev, imsg);
}

/* The coordinator's signing channel; replaces any earlier one. */
void
tlskey_channel(int fd)
{
	proc_peer_open(&tls_chan, PROC_COORD, fd, tls_dispatch, NULL);
}

void
tlskey_clear(void)
{
	size_t	i;

	for (i = 0; i < nitems(tls_keys); i++) {
		EVP_PKEY_free(tls_keys[i].pkey);
		tls_keys[i].pkey = NULL;
	}
	if (tls_chan != NULL) {
		imsgev_close(tls_chan);
		free(tls_chan);
		tls_chan = NULL;
	}
}
