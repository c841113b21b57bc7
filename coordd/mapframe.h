/*
 * Map stream frames: a little-endian u32 length, then one complete zstd
 * frame holding one JSON MapResponse.  Clients decode every frame with
 * zstd, and match the keep-alive frame byte for byte, so it is made once
 * and reused.
 */
#ifndef MAPFRAME_H
#define MAPFRAME_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#define MAPFRAME_KEEPALIVE_JSON	"{\"KeepAlive\":true}"
#define MAPFRAME_MAX		(256 * 1024 * 1024)
#define MAPFRAME_LEVEL		1	/* fast: maps are hot and short-lived */

struct mapframer {
	ZSTD_CCtx	*cctx;
	uint8_t		*keepalive;
	size_t		 keepalive_len;
};

int	 mapframe_init(struct mapframer *);
void	 mapframe_free(struct mapframer *);
uint8_t	*mapframe_encode(struct mapframer *, const char *, size_t, size_t *);
uint8_t	*mapframe_zstd(struct mapframer *, const char *, size_t, size_t *);
const uint8_t *mapframe_keepalive(const struct mapframer *, size_t *);

#endif /* MAPFRAME_H */
