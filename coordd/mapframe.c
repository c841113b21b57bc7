/* Map stream frames: see mapframe.h. */
#include <stdlib.h>
#include <string.h>

#include "mapframe.h"

int
mapframe_init(struct mapframer *mf)
{
	memset(mf, 0, sizeof(*mf));
	if ((mf->cctx = ZSTD_createCCtx()) == NULL)
		return (-1);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(mf->cctx,
	    ZSTD_c_compressionLevel, MAPFRAME_LEVEL)) ||
	    (mf->keepalive = mapframe_encode(mf, MAPFRAME_KEEPALIVE_JSON,
	    strlen(MAPFRAME_KEEPALIVE_JSON), &mf->keepalive_len)) == NULL) {
		mapframe_free(mf);
		return (-1);
	}
	return (0);
}

void
mapframe_free(struct mapframer *mf)
{
	ZSTD_freeCCtx(mf->cctx);
	free(mf->keepalive);
	memset(mf, 0, sizeof(*mf));
}

/* One zstd frame after skip bytes of a malloc'd buffer. */
static uint8_t *
mapframe_compress(struct mapframer *mf, size_t skip, const char *src,
    size_t len, size_t *n)
{
	uint8_t	*buf;
	size_t	 bound;

	if (len > MAPFRAME_MAX)
		return (NULL);
	bound = ZSTD_compressBound(len);
	if ((buf = malloc(skip + bound)) == NULL)
		return (NULL);
	*n = ZSTD_compress2(mf->cctx, buf + skip, bound, src, len);
	if (ZSTD_isError(*n) || *n > UINT32_MAX) {
		free(buf);
		return (NULL);
	}
	return (buf);
}

/* A whole frame, length prefix included, in a malloc'd buffer. */
uint8_t *
mapframe_encode(struct mapframer *mf, const char *json, size_t len,
    size_t *outlen)
{
	uint8_t	*buf;
	size_t	 n;

	if ((buf = mapframe_compress(mf, 4, json, len, &n)) == NULL)
		return (NULL);
	buf[0] = n & 0xff;
	buf[1] = (n >> 8) & 0xff;
	buf[2] = (n >> 16) & 0xff;
	buf[3] = (n >> 24) & 0xff;
	*outlen = 4 + n;
	return (buf);
}

/* One zstd frame, no length prefix: a piece of a larger message. */
uint8_t *
mapframe_zstd(struct mapframer *mf, const char *src, size_t len,
    size_t *outlen)
{
	return (mapframe_compress(mf, 0, src, len, outlen));
}

const uint8_t *
mapframe_keepalive(const struct mapframer *mf, size_t *len)
{
	*len = mf->keepalive_len;
	return (mf->keepalive);
}
