/* The test client's map poll: see tsmap.h. */
#include <sys/types.h>
#include <sys/param.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "tsmap.h"

/* Buffers above this go back after each frame: many nodes, few big maps. */
#define TSMAP_KEEP	(1024 * 1024)

static int
tsmap_keys_pub(struct tsmap_keys *k)
{
	return (crypto_scalarmult_base(k->machine_pub, k->machine_priv) |
	    crypto_scalarmult_base(k->node_pub, k->node_priv) |
	    crypto_scalarmult_base(k->disco_pub, k->disco_priv));
}

/* New keys, written with O_EXCL so that two racing runs agree. */
static int
tsmap_keys_create(struct tsmap_keys *k, const char *path, char *err,
    size_t errlen)
{
	char	buf[3 * (2 * NOISE_KEYLEN + 1) + 1];
	size_t	off = 0;
	int	fd, rv = 0;

	randombytes_buf(k->machine_priv, NOISE_KEYLEN);
	randombytes_buf(k->node_priv, NOISE_KEYLEN);
	randombytes_buf(k->disco_priv, NOISE_KEYLEN);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		if (errno == EEXIST)
			return (1);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	sodium_bin2hex(buf, sizeof(buf), k->machine_priv, NOISE_KEYLEN);
	off = 2 * NOISE_KEYLEN;
	buf[off++] = '\n';
	sodium_bin2hex(buf + off, sizeof(buf) - off, k->node_priv,
	    NOISE_KEYLEN);
	off += 2 * NOISE_KEYLEN;
	buf[off++] = '\n';
	sodium_bin2hex(buf + off, sizeof(buf) - off, k->disco_priv,
	    NOISE_KEYLEN);
	off += 2 * NOISE_KEYLEN;
	buf[off++] = '\n';
	if (write(fd, buf, off) != (ssize_t)off || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rv = -1;
	}
	close(fd);
	sodium_memzero(buf, sizeof(buf));
	return (rv);
}

static int
tsmap_keys_read(struct tsmap_keys *k, const char *path, char *err,
    size_t errlen)
{
	FILE	*f;
	char	 line[256];
	uint8_t	*dst[3] = { k->machine_priv, k->node_priv, k->disco_priv };
	size_t	 i, binlen;
	int	 rv = 0;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	for (i = 0; i < 3 && rv == 0; i++) {
		if (fgets(line, sizeof(line), f) == NULL ||
		    strspn(line, "0123456789abcdefABCDEF") != 2 * NOISE_KEYLEN ||
		    sodium_hex2bin(dst[i], NOISE_KEYLEN, line, 2 * NOISE_KEYLEN,
		    NULL, &binlen, NULL) != 0 || binlen != NOISE_KEYLEN) {
			snprintf(err, errlen, "%s: line %zu is not 64 hex",
			    path, i + 1);
			rv = -1;
		}
	}
	fclose(f);
	sodium_memzero(line, sizeof(line));
	return (rv);
}

/*
 * The machine, node and disco keys in path, one private key in hex a
 * line in that order; a missing file is made with new ones, mode 0600.
 */
int
tsmap_keys_load(struct tsmap_keys *k, const char *path, char *err,
    size_t errlen)
{
	int	r;

	memset(k, 0, sizeof(*k));
	if (access(path, F_OK) == -1) {
		if ((r = tsmap_keys_create(k, path, err, errlen)) == -1)
			return (-1);
		if (r == 0)
			return (tsmap_keys_pub(k) == 0 ? 0 : -1);
	}
	if (tsmap_keys_read(k, path, err, errlen) == -1)
		return (-1);
	if (tsmap_keys_pub(k) != 0) {
		snprintf(err, errlen, "%s: a key is not usable", path);
		return (-1);
	}
	return (0);
}

/* prefix ("mkey", "nodekey", "discokey") + ':' + the key in hex. */
void
tsmap_key_text(char *buf, size_t len, const char *prefix, const uint8_t *pub)
{
	char	hex[2 * NOISE_KEYLEN + 1];

	sodium_bin2hex(hex, sizeof(hex), pub, NOISE_KEYLEN);
	snprintf(buf, len, "%s:%s", prefix, hex);
}

int
tsmap_dec_init(struct tsmap_dec *d, tsmap_frame_cb *cb, void *arg)
{
	memset(d, 0, sizeof(*d));
	d->cb = cb;
	d->arg = arg;
	if ((d->dctx = ZSTD_createDCtx()) == NULL) {
		snprintf(d->err, sizeof(d->err), "out of memory");
		return (-1);
	}
	return (0);
}

void
tsmap_dec_free(struct tsmap_dec *d)
{
	ZSTD_freeDCtx(d->dctx);
	free(d->in);
	free(d->out);
	memset(d, 0, sizeof(*d));
}

static int
tsmap_dec_grow(struct tsmap_dec *d, size_t want)
{
	char	*p;
	size_t	 cap;

	if (want <= d->outcap)
		return (0);
	cap = MAX(want, MIN(2 * d->outcap, (size_t)TSMAP_FRAME_MAX + 1));
	if ((p = realloc(d->out, cap)) == NULL) {
		snprintf(d->err, sizeof(d->err), "out of memory");
		return (-1);
	}
	d->out = p;
	d->outcap = cap;
	return (0);
}

/* The content size is not in the frame header: grow as it comes. */
static int
tsmap_dec_stream(struct tsmap_dec *d, const uint8_t *src, size_t n,
    size_t *outlen)
{
	ZSTD_inBuffer	in = { src, n, 0 };
	ZSTD_outBuffer	out;
	size_t		r;

	ZSTD_DCtx_reset(d->dctx, ZSTD_reset_session_only);
	out.pos = 0;
	for (;;) {
		if (tsmap_dec_grow(d, MIN(MAX(out.pos + 65536, 2 * out.pos),
		    (size_t)TSMAP_FRAME_MAX + 1)) == -1)
			return (-1);
		out.dst = d->out;
		out.size = MIN(d->outcap - 1, (size_t)TSMAP_FRAME_MAX);
		r = ZSTD_decompressStream(d->dctx, &out, &in);
		if (ZSTD_isError(r)) {
			snprintf(d->err, sizeof(d->err), "zstd: %s",
			    ZSTD_getErrorName(r));
			return (-1);
		}
		if (r == 0 && in.pos == in.size)
			break;
		if (out.pos == out.size && out.size == TSMAP_FRAME_MAX) {
			snprintf(d->err, sizeof(d->err), "frame over %d bytes",
			    TSMAP_FRAME_MAX);
			return (-1);
		}
		if (in.pos == in.size && out.pos < out.size) {
			snprintf(d->err, sizeof(d->err), "truncated zstd frame");
			return (-1);
		}
	}
	*outlen = out.pos;
	return (0);
}

/* One length-delimited frame's zstd bytes into d->out. */
static int
tsmap_dec_frame(struct tsmap_dec *d, const uint8_t *src, size_t n)
{
	unsigned long long	 fcs;
	size_t			 len, r;
	int			 cr;

	fcs = ZSTD_getFrameContentSize(src, n);
	if (fcs == ZSTD_CONTENTSIZE_ERROR) {
		snprintf(d->err, sizeof(d->err), "not a zstd frame");
		return (-1);
	}
	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs > TSMAP_FRAME_MAX) {
		snprintf(d->err, sizeof(d->err), "frame of %llu bytes", fcs);
		return (-1);
	}
	/* One-shot needs the size and one zstd frame; else stream it. */
	if (fcs != ZSTD_CONTENTSIZE_UNKNOWN &&
	    ZSTD_findFrameCompressedSize(src, n) == n) {
		if (tsmap_dec_grow(d, fcs + 1) == -1)
			return (-1);
		r = ZSTD_decompressDCtx(d->dctx, d->out, fcs, src, n);
		if (ZSTD_isError(r) || r != fcs) {
			snprintf(d->err, sizeof(d->err), "zstd: %s",
			    ZSTD_isError(r) ? ZSTD_getErrorName(r) :
			    "short frame");
			return (-1);
		}
		len = r;
	} else if (tsmap_dec_stream(d, src, n, &len) == -1)
		return (-1);
	d->out[len] = '\0';
	d->nframes++;
	cr = d->cb != NULL ? d->cb(d->arg, d->nframes, d->out, len) : 0;
	if (d->outcap > TSMAP_KEEP) {
		free(d->out);
		d->out = NULL;
		d->outcap = 0;
	}
	if (cr == -1) {
		snprintf(d->err, sizeof(d->err), "frame %llu refused",
		    (unsigned long long)d->nframes);
		return (-1);
	}
	d->stopped = cr == 1;
	return (0);
}

static uint32_t
tsmap_le32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static int
tsmap_dec_checklen(struct tsmap_dec *d, uint32_t flen)
{
	if (flen > TSMAP_FRAME_MAX) {
		snprintf(d->err, sizeof(d->err), "frame length %u", flen);
		return (-1);
	}
	return (0);
}

/* Keep up to need bytes of a frame that has not all come yet. */
static int
tsmap_dec_keep(struct tsmap_dec *d, const uint8_t *data, size_t n)
{
	uint8_t	*p;
	size_t	 cap;

	if (d->inlen + n > d->incap) {
		cap = d->inlen < 4 ? 4 : 4 + (size_t)tsmap_le32(d->in);
		if ((p = realloc(d->in, MAX(cap, d->inlen + n))) == NULL) {
			snprintf(d->err, sizeof(d->err), "out of memory");
			return (-1);
		}
		d->in = p;
		d->incap = MAX(cap, d->inlen + n);
	}
	memcpy(d->in + d->inlen, data, n);
	d->inlen += n;
	return (0);
}

/* The buffered frame is whole: decode it and start the next. */
static int
tsmap_dec_flush(struct tsmap_dec *d)
{
	int	rv;

	rv = tsmap_dec_frame(d, d->in + 4, d->inlen - 4);
	d->inlen = 0;
	if (d->incap > TSMAP_KEEP) {
		free(d->in);
		d->in = NULL;
		d->incap = 0;
	}
	return (rv);
}

/*
 * Bytes of the stream as they come, cut anywhere.  Whole frames in the
 * data are decoded where they lie; only a frame split across calls is
 * copied.  -1 with d->err on a bad frame or the callback's refusal.
 */
int
tsmap_dec_feed(struct tsmap_dec *d, const uint8_t *data, size_t len)
{
	uint32_t	flen;
	size_t		need, n;

	while (len > 0 && !d->stopped) {
		if (d->inlen == 0 && len >= 4) {
			flen = tsmap_le32(data);
			if (tsmap_dec_checklen(d, flen) == -1)
				return (-1);
			if (len - 4 >= flen) {
				if (tsmap_dec_frame(d, data + 4, flen) == -1)
					return (-1);
				data += 4 + flen;
				len -= 4 + flen;
				continue;
			}
		}
		need = d->inlen < 4 ? 4 - d->inlen :
		    4 + tsmap_le32(d->in) - d->inlen;
		n = MIN(need, len);
		if (tsmap_dec_keep(d, data, n) == -1)
			return (-1);
		data += n;
		len -= n;
		if (d->inlen < 4)
			continue;
		flen = tsmap_le32(d->in);
		if (tsmap_dec_checklen(d, flen) == -1)
			return (-1);
		if (d->inlen == 4 + (size_t)flen && tsmap_dec_flush(d) == -1)
			return (-1);
	}
	return (0);
}

static int
tsmap_json_set(json_t *o, const char *k, json_t *v)
{
	return (v == NULL ? -1 : json_object_set_new(o, k, v));
}

/* "a,b" as a JSON list of strings ("" is an empty list). */
static json_t *
tsmap_routes(const char *list)
{
	json_t		*a;
	const char	*p, *end;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (p = list; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if (end > p && json_array_append_new(a,
		    json_stringn(p, end - p)) == -1) {
			json_decref(a);
			return (NULL);
		}
	}
	return (a);
}

static json_t *
tsmap_hostinfo(const struct tsmap_params *p)
{
	json_t	*hi, *ni;

	if ((hi = json_object()) == NULL)
		return (NULL);
	if (tsmap_json_set(hi, "Hostname", json_string(p->hostname)) == -1 ||
	    tsmap_json_set(hi, "OS", json_string("linux")) == -1)
		goto fail;
	if (p->routes != NULL &&
	    tsmap_json_set(hi, "RoutableIPs", tsmap_routes(p->routes)) == -1)
		goto fail;
	if (p->derp != 0) {
		if ((ni = json_pack("{s:i}", "PreferredDERP", p->derp)) ==
		    NULL || tsmap_json_set(hi, "NetInfo", ni) == -1)
			goto fail;
	}
	return (hi);
 fail:
	json_decref(hi);
	return (NULL);
}

static int
tsmap_endpoints(json_t *o, const struct tsmap_params *p)
{
	json_t	*eps, *types;
	size_t	 i;

	if (tsmap_json_set(o, "Endpoints", eps = json_array()) == -1 ||
	    tsmap_json_set(o, "EndpointTypes", types = json_array()) == -1)
		return (-1);
	/* Our endpoints are made up: say "local" (1) for each. */
	for (i = 0; i < p->nendpoints; i++)
		if (json_array_append_new(eps, json_string(p->endpoints[i]))
		    == -1 || json_array_append_new(types, json_integer(1)) == -1)
			return (-1);
	return (0);
}

/*
 * The MapRequest body, malloc'd; fields in the order tailscaled sends
 * them.  A lite update asks for no keep-alives, as tailscaled does.
 */
char *
tsmap_request(const struct tsmap_params *p)
{
	json_t	*o;
	char	*s = NULL;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (tsmap_json_set(o, "Version", json_integer(p->capver)) == -1 ||
	    tsmap_json_set(o, "Compress", json_string("zstd")) == -1 ||
	    tsmap_json_set(o, "KeepAlive", json_boolean(p->stream)) == -1 ||
	    tsmap_json_set(o, "Stream", json_boolean(p->stream)) == -1 ||
	    (!p->stream && tsmap_json_set(o, "OmitPeers", json_true()) ==
	    -1) ||
	    tsmap_json_set(o, "NodeKey", json_string(p->nodekey)) == -1 ||
	    (p->discokey != NULL && tsmap_json_set(o, "DiscoKey",
	    json_string(p->discokey)) == -1) ||
	    tsmap_endpoints(o, p) == -1 ||
	    tsmap_json_set(o, "Hostinfo", tsmap_hostinfo(p)) == -1)
		goto done;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
 done:
	json_decref(o);
	return (s);
}

/* A 200 body is frames; any other is words, kept in req.out. */
static int
tsmap_on_data(struct tsc *t, struct tsc_h2req *req, const uint8_t *data,
    size_t len)
{
	struct tsmap_stream	*s = req->arg;

	if (req->status != 200) {
		if (tsc_h2_req_append(req, data, len) == -1) {
			snprintf(t->err, sizeof(t->err), "map answer too long");
			return (-1);
		}
		return (0);
	}
	if (tsmap_dec_feed(&s->dec, data, len) == -1) {
		snprintf(t->err, sizeof(t->err), "map frame %llu: %s",
		    (unsigned long long)s->dec.nframes + 1, s->dec.err);
		return (-1);
	}
	return (0);
}

/*
 * POST /machine/map on t.  A streaming request's frames go to cb as
 * they are decoded; a lite update's body is only kept, as tailscaled
 * drains and ignores it.  The caller pumps t and watches s->req.done.
 */
int
tsmap_submit(struct tsc *t, struct tsmap_stream *s,
    const struct tsmap_params *p, tsmap_frame_cb *cb, void *arg)
{
	memset(s, 0, sizeof(*s));
	if ((s->body = tsmap_request(p)) == NULL) {
		snprintf(t->err, sizeof(t->err), "map request: out of memory");
		return (-1);
	}
	s->req.method = "POST";
	s->req.path = "/machine/map";
	s->req.body = (uint8_t *)s->body;
	s->req.bodylen = strlen(s->body);
	if (p->stream) {
		if (tsmap_dec_init(&s->dec, cb, arg) == -1) {
			snprintf(t->err, sizeof(t->err), "%s", s->dec.err);
			return (-1);
		}
		s->req.ondata = tsmap_on_data;
		s->req.arg = s;
	}
	return (tsc_h2_submit(t, &s->req));
}

void
tsmap_stream_free(struct tsmap_stream *s)
{
	tsc_h2_req_free(&s->req);
	tsmap_dec_free(&s->dec);
	free(s->body);
	s->body = NULL;
}
