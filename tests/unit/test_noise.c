/*
 * Noise IK for controlbase: the cacophony vector (read at run time from
 * SHARED_DIR/vectors), the derived controlbase vector of
 * spec/tailscale-protocol.md section 11, round trips through the
 * asynchronous DH interface, and rejection of bad input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "noise.h"
#include "test.h"

#define VECTOR_FILE	\
	SHARED_DIR "/vectors/noise-ik-25519-chachapoly-blake2s.json"

static size_t
unhex(const char *hex, uint8_t *out, size_t outsize)
{
	size_t	len;

	if (sodium_hex2bin(out, outsize, hex, strlen(hex), NULL, &len,
	    NULL) != 0) {
		fprintf(stderr, "bad hex %s\n", hex);
		abort();
	}
	return (len);
}

static int
hexeq(const uint8_t *bin, size_t len, const char *hex)
{
	char	*buf;
	int	 ok;

	if ((buf = malloc(2 * len + 1)) == NULL)
		abort();
	sodium_bin2hex(buf, 2 * len + 1, bin, len);
	ok = strcmp(buf, hex) == 0;
	if (!ok)
		fprintf(stderr, "  got      %s\n  expected %s\n", buf, hex);
	free(buf);
	return (ok);
}

static const char *
jstr(json_t *obj, const char *key)
{
	const char	*s;

	if ((s = json_string_value(json_object_get(obj, key))) == NULL) {
		fprintf(stderr, "vector lacks %s\n", key);
		abort();
	}
	return (s);
}

/* The key holder (stored) in tests: X25519 with the server's key. */
static void
keyholder_dh(const uint8_t priv[32], const uint8_t point[32],
    uint8_t shared[32])
{
	if (crypto_scalarmult(shared, priv, point) != 0)
		memset(shared, 0, 32);
}

/* Drive the responder's NEED_DH loop the way the coordinator will. */
static int
answer_dh(struct noise_hs *hs, int r, const uint8_t priv[32], int *asked)
{
	uint8_t	shared[32];

	while (r == NOISE_NEED_DH) {
		keyholder_dh(priv, hs->hs_dh_point, shared);
		(*asked)++;
		r = noise_resp_dh_result(hs, shared);
	}
	sodium_memzero(shared, sizeof(shared));
	return (r);
}

TEST(cacophony_vector)
{
	json_error_t		 jerr;
	json_t			*root, *vec = NULL, *msgs, *m;
	size_t			 i;
	struct noise_hs		 ini, res;
	struct noise_transport	 ti, tr;
	uint8_t			 prologue[64], is[32], ispub[32], ie[32];
	uint8_t			 rs[32], rspub[32], re[32], rpub[32];
	uint8_t			 pl[256], ct[512], out[512], nonce[12];
	size_t			 prlen, pllen, ctlen, outlen;
	unsigned long long	 clen;
	int			 r, asked = 0;

	if ((root = json_load_file(VECTOR_FILE, 0, &jerr)) == NULL)
		FAIL("%s: %s", VECTOR_FILE, jerr.text);
	json_array_foreach(json_object_get(root, "vectors"), i, m)
		if (strcmp(jstr(m, "protocol_name"),
		    NOISE_PROTOCOL_NAME) == 0)
			vec = m;
	if (vec == NULL) {
		json_decref(root);
		FAIL("no %s vector", NOISE_PROTOCOL_NAME);
	}
	prlen = unhex(jstr(vec, "init_prologue"), prologue, sizeof(prologue));
	unhex(jstr(vec, "init_static"), is, 32);
	unhex(jstr(vec, "init_ephemeral"), ie, 32);
	unhex(jstr(vec, "init_remote_static"), rpub, 32);
	unhex(jstr(vec, "resp_static"), rs, 32);
	unhex(jstr(vec, "resp_ephemeral"), re, 32);
	crypto_scalarmult_base(ispub, is);
	crypto_scalarmult_base(rspub, rs);
	msgs = json_object_get(vec, "messages");
	ASSERT(memcmp(rspub, rpub, 32) == 0);
	ASSERT(json_array_size(msgs) == 6);

	ASSERT_INT_EQ(noise_hs_init(&ini, NOISE_INITIATOR, prologue, prlen,
	    is, ispub, rspub), NOISE_OK);
	noise_hs_set_ephemeral(&ini, ie);
	ASSERT_INT_EQ(noise_hs_init(&res, NOISE_RESPONDER, prologue, prlen,
	    NULL, rspub, NULL), NOISE_OK);
	noise_hs_set_ephemeral(&res, re);

	/* Message 0: -> e, es, s, ss with a payload. */
	m = json_array_get(msgs, 0);
	pllen = unhex(jstr(m, "payload"), pl, sizeof(pl));
	ASSERT_INT_EQ(noise_hs_write_msg1(&ini, pl, pllen, ct, sizeof(ct),
	    &ctlen), NOISE_OK);
	ASSERT(hexeq(ct, ctlen, jstr(m, "ciphertext")));
	r = noise_hs_read_msg1(&res, ct, ctlen);
	ASSERT_INT_EQ(r, NOISE_NEED_DH);
	ASSERT(memcmp(res.hs_dh_point, ct, 32) == 0);
	ASSERT_INT_EQ(answer_dh(&res, r, rs, &asked), NOISE_OK);
	ASSERT_INT_EQ(asked, 2);
	ASSERT(memcmp(res.hs_rs, ispub, 32) == 0);
	ASSERT_INT_EQ(res.hs_payloadlen, pllen);
	ASSERT(memcmp(res.hs_payload, pl, pllen) == 0);

	/* Message 1: <- e, ee, se with a payload. */
	m = json_array_get(msgs, 1);
	pllen = unhex(jstr(m, "payload"), pl, sizeof(pl));
	ASSERT_INT_EQ(noise_hs_write_msg2(&res, pl, pllen, ct, sizeof(ct),
	    &ctlen), NOISE_OK);
	ASSERT(hexeq(ct, ctlen, jstr(m, "ciphertext")));
	ASSERT_INT_EQ(noise_hs_read_msg2(&ini, ct, ctlen), NOISE_OK);
	ASSERT_INT_EQ(ini.hs_payloadlen, pllen);
	ASSERT(memcmp(ini.hs_payload, pl, pllen) == 0);

	ASSERT_INT_EQ(noise_split(&ini, &ti), NOISE_OK);
	ASSERT_INT_EQ(noise_split(&res, &tr), NOISE_OK);
	ASSERT(hexeq(ti.nt_hash, 32, jstr(vec, "handshake_hash")));
	ASSERT(hexeq(tr.nt_hash, 32, jstr(vec, "handshake_hash")));
	ASSERT(memcmp(tr.nt_peer, ispub, 32) == 0);

	/*
	 * Messages 2 and 3 use nonce 0, the same in both byte orders, so
	 * controlbase records carry the vector's ciphertext.
	 */
	for (i = 2; i < 4; i++) {
		m = json_array_get(msgs, i);
		pllen = unhex(jstr(m, "payload"), pl, sizeof(pl));
		ASSERT_INT_EQ(noise_transport_seal(i == 2 ? &ti : &tr, pl,
		    pllen, ct, sizeof(ct), &ctlen), NOISE_OK);
		ASSERT_INT_EQ(ct[0], NOISE_MSG_RECORD);
		ASSERT_INT_EQ((ct[1] << 8 | ct[2]), ctlen - 3);
		ASSERT(hexeq(ct + 3, ctlen - 3, jstr(m, "ciphertext")));
		ASSERT_INT_EQ(noise_transport_open(i == 2 ? &tr : &ti, ct,
		    ctlen, out, sizeof(out), &outlen), NOISE_OK);
		ASSERT_INT_EQ(outlen, pllen);
		ASSERT(memcmp(out, pl, pllen) == 0);
	}

	/*
	 * Messages 4 and 5 use nonce 1, little-endian in the vector: our
	 * big-endian records differ, and the vector's bytes decrypt with
	 * our split keys under the little-endian nonce.
	 */
	for (i = 4; i < 6; i++) {
		m = json_array_get(msgs, i);
		pllen = unhex(jstr(m, "payload"), pl, sizeof(pl));
		ASSERT_INT_EQ(noise_transport_seal(i == 4 ? &ti : &tr, pl,
		    pllen, ct, sizeof(ct), &ctlen), NOISE_OK);
		ASSERT_INT_EQ(unhex(jstr(m, "ciphertext"), out, sizeof(out)),
		    ctlen - 3);
		ASSERT(memcmp(ct + 3, out, ctlen - 3) != 0);
		ASSERT_INT_EQ(noise_transport_open(i == 4 ? &tr : &ti, ct,
		    ctlen, out, sizeof(out), &outlen), NOISE_OK);
		ASSERT(outlen == pllen && memcmp(out, pl, pllen) == 0);
		ctlen = unhex(jstr(m, "ciphertext"), ct, sizeof(ct));
		memset(nonce, 0, sizeof(nonce));
		nonce[4] = 1;
		ASSERT_INT_EQ(crypto_aead_chacha20poly1305_ietf_decrypt(out,
		    &clen, NULL, ct, ctlen, NULL, 0, nonce,
		    (i == 4 ? &ti : &tr)->nt_send.c_key), 0);
		ASSERT(clen == pllen && memcmp(out, pl, pllen) == 0);
	}
	noise_transport_clear(&ti);
	noise_transport_clear(&tr);
	json_decref(root);
}

/*
 * The derived controlbase vector of spec/tailscale-protocol.md section
 * 11 (an independent Python implementation, prologue
 * "Tailscale Control Protocol v113").
 */
#define CB_CLIENT_PRIV	"40ab1b58e9076c7a4d9d07291f5edf9d1aa017eb949624ba683317f48a640369"
#define CB_CLIENT_PUB	"50d20b455ecf12bc453f83c2cfdb2a24925d06cf2598dcaa54e91af82ce9f765"
#define CB_CLIENT_EPH	"893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a"
#define CB_SERVER_PRIV	"4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893"
#define CB_SERVER_PUB	"31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62"
#define CB_SERVER_EPH	"bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b"
#define CB_INIT		"0071010060ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944" \
			"301254a8deadf467db8354c1d79718c94b5cd70219095e986f8cc4ddeff25ae44db845bb7e" \
			"8866ec99c7702cd4bfdba27f38ee56813fb1f5f77b74d645dcd5b6"
#define CB_INIT_B64	"AHEBAGDKNd71rlbOwz3CA2cxqxSJa8THXbsHph+Hn446+kx5RDASVKjerfRn24NUwdeXGMlLXNcCGQlemG+MxN3v8lrkTbhFu36IZuyZx3As1L/bon847laBP7H193t01kXc1bY="
#define CB_RESP		"02003095ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843f5392b6404f372cf47ce787dfa903e7c"
#define CB_HASH		"51fbe32aba76ea3eff5e3932cd5586b9ca0339dc2898d9569bbe6be60ca2192a"
#define CB_K1		"f76e40af57c3e4b7fe4e4f3de754d577827a8fc9f319f4dbe15360ad4bc6d7bd"
#define CB_K2		"bf855e5cee1854372474dc040f078152ef5bc2f8878c9da580cb3a8c8e1ecca2"
#define CB_C2S_0	"040028b6d64a6e332d2e1e23edfc8f825242f657d064d68cbe17c4873213879001786cd83da51d72b16212"
#define CB_C2S_1	"040019f7356c856c188aa830214183444c4f2c84f73f0e38e0c6892a"
#define CB_S2C_0	"04007878385ba91b0efafb91cd9713f8eb9d25c9115565cadb2583d052131fd12969a5ac12b02959aed440e0" \
			"9878b8c44c63fcee84dd944315d9d07e8e74622aa654654a20959aa96319090d790eefda0500482ab2d7cb7e" \
			"d689502d4eee3d3a2b322a395c6f552d716225606173706cf96d8758ed3b78a8bc55e7"
#define CB_S2C_1	"040010788626d8967570899141e143c320d37f"
#define CB_EARLY	"{\"nodeKeyChallenge\":\"chalpub:8f40c5adb68f25624ae5b214ea767a6ec94d829d3d7b5e1ad1ba6f3e2138285f\"}"

TEST(controlbase_derived_vector)
{
	struct noise_hs		 ini, res;
	struct noise_transport	 ti, tr;
	uint8_t			 cpriv[32], cpub[32], ceph[32], spriv[32];
	uint8_t			 spub[32], seph[32], msg[256], buf[256];
	uint8_t			 early[256];
	char			 b64[200];
	size_t			 len, blen, elen;
	int			 r, asked = 0;
	const char		*preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	const uint8_t		 settings[] = { 0, 0, 0, 4, 0, 0, 0, 0, 0 };
	const uint8_t		 early_hdr[] = {
		0xff, 0xff, 0xff, 'T', 'S', 0, 0, 0, 0x5f
	};

	unhex(CB_CLIENT_PRIV, cpriv, 32);
	unhex(CB_CLIENT_PUB, cpub, 32);
	unhex(CB_CLIENT_EPH, ceph, 32);
	unhex(CB_SERVER_PRIV, spriv, 32);
	unhex(CB_SERVER_PUB, spub, 32);
	unhex(CB_SERVER_EPH, seph, 32);

	ASSERT_INT_EQ(noise_init_start(&ini, cpriv, cpub, spub, 113),
	    NOISE_OK);
	noise_hs_set_ephemeral(&ini, ceph);
	ASSERT_INT_EQ(noise_init_write_init(&ini, msg, sizeof(msg), &len),
	    NOISE_OK);
	ASSERT_INT_EQ(len, NOISE_INIT_LEN);
	ASSERT(hexeq(msg, len, CB_INIT));
	sodium_bin2base64(b64, sizeof(b64), msg, len,
	    sodium_base64_VARIANT_ORIGINAL);
	ASSERT_STR_EQ(b64, CB_INIT_B64);

	noise_resp_init(&res, spub);
	noise_hs_set_ephemeral(&res, seph);
	r = noise_resp_read_init(&res, msg, len);
	ASSERT_INT_EQ(r, NOISE_NEED_DH);
	ASSERT_INT_EQ(res.hs_version, 113);
	ASSERT(memcmp(res.hs_dh_point, msg + 5, 32) == 0);
	ASSERT_INT_EQ(answer_dh(&res, r, spriv, &asked), NOISE_OK);
	ASSERT_INT_EQ(asked, 2);
	ASSERT(memcmp(res.hs_rs, cpub, 32) == 0);
	ASSERT_INT_EQ(noise_resp_write_response(&res, msg, sizeof(msg), &len),
	    NOISE_OK);
	ASSERT_INT_EQ(len, NOISE_RESP_LEN);
	ASSERT(hexeq(msg, len, CB_RESP));
	ASSERT_INT_EQ(noise_init_read_response(&ini, msg, len), NOISE_OK);

	ASSERT_INT_EQ(noise_split(&ini, &ti), NOISE_OK);
	ASSERT_INT_EQ(noise_split(&res, &tr), NOISE_OK);
	ASSERT(hexeq(ti.nt_hash, 32, CB_HASH));
	ASSERT(hexeq(tr.nt_hash, 32, CB_HASH));
	ASSERT(hexeq(ti.nt_send.c_key, 32, CB_K1));
	ASSERT(hexeq(ti.nt_recv.c_key, 32, CB_K2));
	ASSERT(hexeq(tr.nt_recv.c_key, 32, CB_K1));
	ASSERT(hexeq(tr.nt_send.c_key, 32, CB_K2));
	ASSERT(memcmp(tr.nt_peer, cpub, 32) == 0);
	ASSERT(memcmp(ti.nt_peer, spub, 32) == 0);

	ASSERT_INT_EQ(noise_transport_seal(&ti, (const uint8_t *)preface,
	    strlen(preface), msg, sizeof(msg), &len), NOISE_OK);
	ASSERT(hexeq(msg, len, CB_C2S_0));
	ASSERT_INT_EQ(noise_transport_open(&tr, msg, len, buf, sizeof(buf),
	    &blen), NOISE_OK);
	ASSERT(blen == strlen(preface) && memcmp(buf, preface, blen) == 0);
	ASSERT_INT_EQ(noise_transport_seal(&ti, settings, sizeof(settings),
	    msg, sizeof(msg), &len), NOISE_OK);
	ASSERT(hexeq(msg, len, CB_C2S_1));
	ASSERT_INT_EQ(noise_transport_open(&tr, msg, len, buf, sizeof(buf),
	    &blen), NOISE_OK);
	ASSERT(blen == sizeof(settings) && memcmp(buf, settings, blen) == 0);

	memcpy(early, early_hdr, sizeof(early_hdr));
	elen = sizeof(early_hdr) + strlen(CB_EARLY);
	memcpy(early + sizeof(early_hdr), CB_EARLY, strlen(CB_EARLY));
	ASSERT_INT_EQ(noise_transport_seal(&tr, early, elen, msg,
	    sizeof(msg), &len), NOISE_OK);
	ASSERT(hexeq(msg, len, CB_S2C_0));
	ASSERT_INT_EQ(noise_transport_open(&ti, msg, len, buf, sizeof(buf),
	    &blen), NOISE_OK);
	ASSERT(blen == elen && memcmp(buf, early, blen) == 0);
	ASSERT_INT_EQ(noise_transport_seal(&tr, NULL, 0, msg, sizeof(msg),
	    &len), NOISE_OK);
	ASSERT(hexeq(msg, len, CB_S2C_1));
	ASSERT_INT_EQ(noise_transport_open(&ti, msg, len, buf, sizeof(buf),
	    &blen), NOISE_OK);
	ASSERT_INT_EQ(blen, 0);

	noise_transport_clear(&ti);
	noise_transport_clear(&tr);
	sodium_memzero(cpriv, sizeof(cpriv));
	sodium_memzero(spriv, sizeof(spriv));
}

struct pair {
	uint8_t	cpriv[32], cpub[32], spriv[32], spub[32];
	uint8_t	init[NOISE_INIT_LEN], resp[NOISE_RESP_LEN];
};

static void
pair_keys(struct pair *p)
{
	crypto_box_keypair(p->cpub, p->cpriv);
	crypto_box_keypair(p->spub, p->spriv);
}

/* A full handshake with random keys; 0 on success. */
static int
handshake(struct pair *p, uint16_t version, struct noise_transport *ti,
    struct noise_transport *tr)
{
	struct noise_hs	ini, res;
	size_t		len;
	int		r, asked = 0;

	if (noise_init_start(&ini, p->cpriv, p->cpub, p->spub, version) != 0 ||
	    noise_init_write_init(&ini, p->init, sizeof(p->init), &len) != 0)
		return (-1);
	noise_resp_init(&res, p->spub);
	r = noise_resp_read_init(&res, p->init, len);
	if (answer_dh(&res, r, p->spriv, &asked) != NOISE_OK || asked != 2)
		return (-1);
	if (noise_resp_write_response(&res, p->resp, sizeof(p->resp),
	    &len) != 0 || len != NOISE_RESP_LEN)
		return (-1);
	if (noise_init_read_response(&ini, p->resp, len) != 0)
		return (-1);
	if (noise_split(&ini, ti) != 0 || noise_split(&res, tr) != 0)
		return (-1);
	return (0);
}

TEST(roundtrip_async)
{
	struct pair		 p;
	struct noise_transport	 ti, tr;
	uint8_t			 pt[NOISE_REC_MAXPT], rec[NOISE_REC_MAX];
	uint8_t			 out[NOISE_REC_MAXPT];
	size_t			 len, olen, i;
	uint16_t		 versions[] = { 0, 1, 113, 65535 };

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		pair_keys(&p);
		ASSERT_INT_EQ(handshake(&p, versions[i], &ti, &tr), 0);
		ASSERT_INT_EQ(p.init[0] << 8 | p.init[1], versions[i]);
		ASSERT(memcmp(tr.nt_peer, p.cpub, 32) == 0);
		ASSERT(memcmp(ti.nt_hash, tr.nt_hash, 32) == 0);
		randombytes_buf(pt, sizeof(pt));
		for (len = 0; len <= NOISE_REC_MAXPT; len += 1019) {
			ASSERT_INT_EQ(noise_transport_seal(&ti, pt, len, rec,
			    sizeof(rec), &olen), 0);
			ASSERT_INT_EQ(olen, len + 19);
			ASSERT_INT_EQ(noise_transport_open(&tr, rec, olen, out,
			    sizeof(out), &olen), 0);
			ASSERT(olen == len && memcmp(out, pt, len) == 0);
			ASSERT_INT_EQ(noise_transport_seal(&tr, pt, len, rec,
			    sizeof(rec), &olen), 0);
			ASSERT_INT_EQ(noise_transport_open(&ti, rec, olen, out,
			    sizeof(out), &olen), 0);
			ASSERT(olen == len && memcmp(out, pt, len) == 0);
		}
		ASSERT_INT_EQ(ti.nt_send.c_nonce, 5);
		ASSERT_INT_EQ(tr.nt_recv.c_nonce, 5);
		noise_transport_clear(&ti);
		noise_transport_clear(&tr);
	}
}

/* A server with the wrong version in the prologue fails to decrypt. */
TEST(version_is_bound)
{
	struct pair	p;
	struct noise_hs	ini, res;
	size_t		len;

	pair_keys(&p);
	ASSERT_INT_EQ(noise_init_start(&ini, p.cpriv, p.cpub, p.spub, 113), 0);
	ASSERT_INT_EQ(noise_init_write_init(&ini, p.init, sizeof(p.init),
	    &len), 0);
	p.init[1] = 114;
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, p.init, len), NOISE_NEED_DH);
	ASSERT_INT_EQ(noise_resp_dh_local(&res, p.spriv), NOISE_ERR);
	ASSERT_STR_CONTAINS(res.hs_errstr, "does not decrypt");
	noise_hs_clear(&ini);
}

TEST(tampered_initiation)
{
	struct pair	p;
	struct noise_hs	ini, res;
	size_t		len, rlen, i;
	int		bit, r;

	pair_keys(&p);
	ASSERT_INT_EQ(noise_init_start(&ini, p.cpriv, p.cpub, p.spub, 113), 0);
	ASSERT_INT_EQ(noise_init_write_init(&ini, p.init, sizeof(p.init),
	    &len), 0);
	noise_hs_clear(&ini);
	for (i = 0; i < NOISE_INIT_LEN; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			p.init[i] ^= 1 << bit;
			noise_resp_init(&res, p.spub);
			r = noise_resp_read_init(&res, p.init, len);
			if (r == NOISE_NEED_DH)
				r = noise_resp_dh_local(&res, p.spriv);
			p.init[i] ^= 1 << bit;
			if (r != NOISE_ERR)
				FAIL("flip of byte %zu bit %d accepted", i,
				    bit);
			ASSERT(res.hs_errstr != NULL);
			/* Stays failed. */
			ASSERT_INT_EQ(noise_resp_write_response(&res, p.resp,
			    sizeof(p.resp), &rlen), NOISE_ERR);
			ASSERT(sodium_is_zero(res.hs_k, 32));
		}
	}
	/* Unchanged, it still works. */
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, p.init, len), NOISE_NEED_DH);
	ASSERT_INT_EQ(noise_resp_dh_local(&res, p.spriv), NOISE_OK);
	noise_hs_clear(&res);
}

TEST(tampered_response)
{
	struct pair	p;
	struct noise_hs	ini, res;
	struct noise_hs	saved;
	size_t		len, i;
	int		bit;

	pair_keys(&p);
	ASSERT_INT_EQ(noise_init_start(&ini, p.cpriv, p.cpub, p.spub, 7), 0);
	ASSERT_INT_EQ(noise_init_write_init(&ini, p.init, sizeof(p.init),
	    &len), 0);
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, p.init, len), NOISE_NEED_DH);
	ASSERT_INT_EQ(noise_resp_dh_local(&res, p.spriv), NOISE_OK);
	ASSERT_INT_EQ(noise_resp_write_response(&res, p.resp, sizeof(p.resp),
	    &len), 0);
	noise_hs_clear(&res);
	saved = ini;
	for (i = 0; i < NOISE_RESP_LEN; i++) {
		for (bit = 0; bit < 8; bit += 3) {
			ini = saved;
			p.resp[i] ^= 1 << bit;
			if (noise_init_read_response(&ini, p.resp, len) !=
			    NOISE_ERR)
				FAIL("flip of byte %zu bit %d accepted", i,
				    bit);
			p.resp[i] ^= 1 << bit;
		}
	}
	ini = saved;
	ASSERT_INT_EQ(noise_init_read_response(&ini, p.resp, len), NOISE_OK);
	noise_hs_clear(&ini);
	noise_hs_clear(&saved);
}

TEST(bad_initiation_framing)
{
	struct pair	p;
	struct noise_hs	ini, res;
	uint8_t		big[512], shared[32];
	size_t		len, l;

	pair_keys(&p);
	ASSERT_INT_EQ(noise_init_start(&ini, p.cpriv, p.cpub, p.spub, 113), 0);
	ASSERT_INT_EQ(noise_init_write_init(&ini, p.init, sizeof(p.init),
	    &len), 0);
	noise_hs_clear(&ini);

	/* Every short length, and longer ones (with trailing bytes). */
	memset(big, 0, sizeof(big));
	memcpy(big, p.init, len);
	for (l = 0; l < sizeof(big); l++) {
		if (l == NOISE_INIT_LEN)
			continue;
		noise_resp_init(&res, p.spub);
		ASSERT_INT_EQ(noise_resp_read_init(&res, big, l), NOISE_ERR);
	}
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, big, 102), NOISE_ERR);
	ASSERT_STR_EQ(res.hs_errstr, "initiation too long");
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, big, 4), NOISE_ERR);
	ASSERT_STR_EQ(res.hs_errstr, "initiation too short");

	/* Wrong type, wrong length field. */
	big[2] = NOISE_MSG_RECORD;
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, big, len), NOISE_ERR);
	ASSERT_STR_EQ(res.hs_errstr, "not an initiation message");
	big[2] = NOISE_MSG_INIT;
	big[4] = 0x61;
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, big, len), NOISE_ERR);
	ASSERT_STR_EQ(res.hs_errstr, "initiation has a bad length field");

	/* Garbage with a valid header fails at the first decryption. */
	randombytes_buf(big + 5, NOISE_INIT_BODYLEN);
	big[4] = 0x60;
	noise_resp_init(&res, p.spub);
	if (noise_resp_read_init(&res, big, len) == NOISE_NEED_DH)
		ASSERT_INT_EQ(noise_resp_dh_local(&res, p.spriv), NOISE_ERR);

	/* A low-order client ephemeral (zero point): DH refused. */
	memcpy(big, p.init, len);
	memset(big + 5, 0, 32);
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, big, len), NOISE_NEED_DH);
	ASSERT_INT_EQ(noise_resp_dh_local(&res, p.spriv), NOISE_ERR);
	/* And a key holder answering zero is refused too. */
	noise_resp_init(&res, p.spub);
	ASSERT_INT_EQ(noise_resp_read_init(&res, big, len), NOISE_NEED_DH);
	memset(shared, 0, sizeof(shared));
	ASSERT_INT_EQ(noise_resp_dh_result(&res, shared), NOISE_ERR);
	ASSERT_STR_CONTAINS(res.hs_errstr, "low-order");
}

TEST(bad_response_framing)
{
	struct pair	p;
	struct noise_hs	ini, saved;
	uint8_t		msg[64];
	size_t		len, l;

	pair_keys(&p);
	ASSERT_INT_EQ(noise_init_start(&ini, p.cpriv, p.cpub, p.spub, 113), 0);
	ASSERT_INT_EQ(noise_init_write_init(&ini, p.init, sizeof(p.init),
	    &len), 0);
	saved = ini;
	memset(msg, 0, sizeof(msg));
	msg[0] = NOISE_MSG_RESP;
	msg[2] = 0x30;
	for (l = 0; l < sizeof(msg); l++) {
		ini = saved;
		ASSERT_INT_EQ(noise_init_read_response(&ini, msg, l),
		    NOISE_ERR);
	}

	/* The server's error message. */
	ini = saved;
	ASSERT_INT_EQ(noise_write_error("unsupported version\n", msg,
	    sizeof(msg), &len), 0);
	ASSERT_INT_EQ(len, 23);
	ASSERT_INT_EQ(noise_init_read_response(&ini, msg, len), NOISE_ERR);
	ASSERT_STR_EQ(ini.hs_errstr, "server error: \"unsupported version?\"");
	ini = saved;
	ASSERT_INT_EQ(noise_init_read_response(&ini, msg, len - 1), NOISE_ERR);
	ASSERT_STR_EQ(ini.hs_errstr, "error message truncated");
	ASSERT_INT_EQ(noise_write_error("x", msg, 3, &len), -1);

	msg[0] = 0x07;
	ini = saved;
	ASSERT_INT_EQ(noise_init_read_response(&ini, msg, 51), NOISE_ERR);
	ASSERT_STR_EQ(ini.hs_errstr, "not a response message");
	noise_hs_clear(&ini);
	noise_hs_clear(&saved);
}

TEST(calls_out_of_order)
{
	struct pair		 p;
	struct noise_hs		 hs;
	struct noise_transport	 t;
	uint8_t			 buf[128], shared[32];
	size_t			 len;

	pair_keys(&p);
	memset(shared, 1, sizeof(shared));
	noise_resp_init(&hs, p.spub);
	ASSERT_INT_EQ(noise_resp_dh_result(&hs, shared), NOISE_ERR);
	ASSERT_STR_EQ(hs.hs_errstr, "handshake call out of order");
	noise_resp_init(&hs, p.spub);
	ASSERT_INT_EQ(noise_resp_write_response(&hs, buf, sizeof(buf), &len),
	    NOISE_ERR);
	noise_resp_init(&hs, p.spub);
	ASSERT_INT_EQ(noise_split(&hs, &t), NOISE_ERR);
	noise_resp_init(&hs, p.spub);
	ASSERT_INT_EQ(noise_resp_dh_local(&hs, p.spriv), NOISE_ERR);

	ASSERT_INT_EQ(noise_init_start(&hs, p.cpriv, p.cpub, p.spub, 1), 0);
	ASSERT_INT_EQ(noise_init_read_response(&hs, buf, 51), NOISE_ERR);
	ASSERT_INT_EQ(noise_init_write_init(&hs, buf, sizeof(buf), &len),
	    NOISE_ERR);
	ASSERT_STR_EQ(hs.hs_errstr, "handshake call out of order");

	/* Small output buffers. */
	ASSERT_INT_EQ(noise_init_start(&hs, p.cpriv, p.cpub, p.spub, 1), 0);
	ASSERT_INT_EQ(noise_init_write_init(&hs, buf, NOISE_INIT_LEN - 1,
	    &len), NOISE_ERR);
	ASSERT_STR_EQ(hs.hs_errstr, "output buffer too small");
	ASSERT(sodium_is_zero(hs.hs_s_priv, 32));
}

static void
transport_pair(struct noise_transport *ti, struct noise_transport *tr)
{
	struct pair	p;

	pair_keys(&p);
	if (handshake(&p, 113, ti, tr) != 0)
		abort();
}

TEST(replay_and_reorder)
{
	struct noise_transport	ti, tr, tr0;
	uint8_t			rec[3][64], out[64];
	size_t			len[3], olen;
	int			i;

	transport_pair(&ti, &tr);
	for (i = 0; i < 3; i++)
		ASSERT_INT_EQ(noise_transport_seal(&ti, (const uint8_t *)"abc",
		    3, rec[i], sizeof(rec[i]), &len[i]), 0);
	ASSERT(memcmp(rec[0], rec[1], len[0]) != 0);
	tr0 = tr;

	/* Replay. */
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[0], len[0], out,
	    sizeof(out), &olen), 0);
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[0], len[0], out,
	    sizeof(out), &olen), NOISE_ERR);
	ASSERT_STR_EQ(tr.nt_errstr, "record does not authenticate");

	/* Reorder: 1 before 0 fails, 2 skipping 1 fails. */
	tr = tr0;
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[1], len[1], out,
	    sizeof(out), &olen), NOISE_ERR);
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[0], len[0], out,
	    sizeof(out), &olen), 0);
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[2], len[2], out,
	    sizeof(out), &olen), NOISE_ERR);
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[1], len[1], out,
	    sizeof(out), &olen), 0);
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[2], len[2], out,
	    sizeof(out), &olen), 0);
	ASSERT_INT_EQ(olen, 3);

	/* A record meant for the other direction. */
	ASSERT_INT_EQ(noise_transport_seal(&tr, (const uint8_t *)"abc", 3,
	    rec[0], sizeof(rec[0]), &len[0]), 0);
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[0], len[0], out,
	    sizeof(out), &olen), NOISE_ERR);

	/* Tampered records. */
	tr = tr0;
	rec[0][5] ^= 1;
	ASSERT_INT_EQ(noise_transport_open(&tr, rec[0], len[0], out,
	    sizeof(out), &olen), NOISE_ERR);
	noise_transport_clear(&ti);
	noise_transport_clear(&tr);
	noise_transport_clear(&tr0);
}

TEST(record_limits)
{
	struct noise_transport	 ti, tr;
	uint8_t			*pt, *rec, *out;
	size_t			 len, olen, rl;
	const char		*err = NULL;

	if ((pt = calloc(1, 8192)) == NULL || (rec = calloc(1, 8192)) == NULL ||
	    (out = calloc(1, 8192)) == NULL)
		abort();
	transport_pair(&ti, &tr);

	ASSERT_INT_EQ(NOISE_REC_MAXPT, 4077);
	ASSERT_INT_EQ(noise_transport_seal(&ti, pt, 4077, rec, 8192, &len), 0);
	ASSERT_INT_EQ(len, 4096);
	ASSERT_INT_EQ(noise_record_len(rec, 2, &rl, &err), 0);
	ASSERT_INT_EQ(noise_record_len(rec, 3, &rl, &err), 1);
	ASSERT_INT_EQ(rl, 4096);
	ASSERT_INT_EQ(noise_transport_open(&tr, rec, len, out, 4076, &olen),
	    NOISE_ERR);
	ASSERT_STR_EQ(tr.nt_errstr, "output buffer too small");
	ASSERT_INT_EQ(noise_transport_open(&tr, rec, len - 1, out, 8192,
	    &olen), NOISE_ERR);
	ASSERT_STR_EQ(tr.nt_errstr, "record truncated");
	ASSERT_INT_EQ(noise_transport_open(&tr, rec, len + 1, out, 8192,
	    &olen), NOISE_ERR);
	ASSERT_STR_EQ(tr.nt_errstr, "bytes after the record");
	ASSERT_INT_EQ(noise_transport_open(&tr, rec, len, out, 4077, &olen),
	    0);
	ASSERT_INT_EQ(olen, 4077);

	/* One byte more is refused by both ends. */
	ASSERT_INT_EQ(noise_transport_seal(&ti, pt, 4078, rec, 8192, &len),
	    NOISE_ERR);
	ASSERT_STR_EQ(ti.nt_errstr, "plaintext longer than one record");
	ASSERT_INT_EQ(ti.nt_send.c_nonce, 1);
	rec[0] = NOISE_MSG_RECORD;
	rec[1] = 4094 >> 8;
	rec[2] = 4094 & 0xff;
	ASSERT_INT_EQ(noise_record_len(rec, 3, &rl, &err), -1);
	ASSERT_STR_EQ(err, "record longer than 4096 bytes");
	ASSERT_INT_EQ(noise_transport_open(&tr, rec, 4097, out, 8192, &olen),
	    NOISE_ERR);
	ASSERT_STR_EQ(tr.nt_errstr, "record longer than 4096 bytes");
	rec[1] = 0xff;
	rec[2] = 0xff;
	ASSERT_INT_EQ(noise_transport_open(&tr, rec, 8192, out, 8192, &olen),
	    NOISE_ERR);

	/* Shorter than a tag, wrong type, empty. */
	rec[1] = 0;
	rec[2] = 15;
	ASSERT_INT_EQ(noise_transport_open(&tr, rec, 18, out, 8192, &olen),
	    NOISE_ERR);
	ASSERT_STR_EQ(tr.nt_errstr, "record shorter than its tag");
	rec[0] = NOISE_MSG_RESP;
	ASSERT_INT_EQ(noise_record_len(rec, 1, &rl, &err), -1);
	ASSERT_STR_EQ(err, "not a transport record");
	ASSERT_INT_EQ(noise_transport_open(&tr, rec, 0, out, 8192, &olen),
	    NOISE_ERR);
	ASSERT_INT_EQ(noise_record_len(rec, 0, &rl, &err), 0);

	/* The counter is left where it was by every failure. */
	ASSERT_INT_EQ(tr.nt_recv.c_nonce, 1);

	/* Nonce exhaustion. */
	ti.nt_send.c_nonce = UINT64_MAX;
	ASSERT_INT_EQ(noise_transport_seal(&ti, pt, 1, rec, 8192, &len),
	    NOISE_ERR);
	ASSERT_STR_EQ(ti.nt_errstr, "send nonce exhausted");

	noise_transport_clear(&ti);
	noise_transport_clear(&tr);
	free(pt);
	free(rec);
	free(out);
}

TEST_MAIN()
