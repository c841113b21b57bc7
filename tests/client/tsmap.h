/*
 * The map poll of the test client, apart from any command line so the
 * load generator can drive many of them: a node's persistent keys, the
 * MapRequest body, the splitter and decoder of the map stream's frames
 * (u32 little-endian length, then one zstd frame of one MapResponse),
 * and a map request on a tsc connection that feeds its body to one.
 */
#ifndef TSMAP_H
#define TSMAP_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "tsclient.h"

#define TSMAP_FRAME_MAX	(64 * 1024 * 1024)	/* either side of zstd */
#define TSMAP_KEYTEXT	80	/* "discokey:" + 64 hex + NUL, rounded */
#define TSMAP_MAXEP	16

/* A node's identity: X25519 pairs, kept in a file across runs. */
struct tsmap_keys {
	uint8_t	machine_priv[NOISE_KEYLEN];
	uint8_t	machine_pub[NOISE_KEYLEN];
	uint8_t	node_priv[NOISE_KEYLEN];
	uint8_t	node_pub[NOISE_KEYLEN];
	uint8_t	disco_priv[NOISE_KEYLEN];
	uint8_t	disco_pub[NOISE_KEYLEN];
};

/*
 * Each decoded frame, NUL-terminated, numbered from 1.  Return 0 for
 * more, 1 to stop (later bytes are dropped), -1 to fail the decoder.
 */
typedef int	tsmap_frame_cb(void *, uint64_t, const char *, size_t);

struct tsmap_dec {
	ZSTD_DCtx	*dctx;
	uint8_t		*in;		/* a frame that came in pieces */
	size_t		 inlen;
	size_t		 incap;
	char		*out;		/* the frame's JSON */
	size_t		 outcap;
	uint64_t	 nframes;
	int		 stopped;
	tsmap_frame_cb	*cb;
	void		*arg;
	char		 err[128];
};

/* What goes into a MapRequest. */
struct tsmap_params {
	int		 capver;
	const char	*nodekey;	/* nodekey:... */
	const char	*discokey;	/* NULL: none sent */
	const char	*hostname;
	const char	*endpoints[TSMAP_MAXEP];
	size_t		 nendpoints;
	int		 derp;		/* PreferredDERP; 0: no NetInfo */
	const char	*routes;	/* RoutableIPs, "a,b"; NULL: none */
	int		 stream;	/* 0: a lite update (OmitPeers) */
};

/* A map request in flight and the decoder of its 200 body. */
struct tsmap_stream {
	struct tsc_h2req	 req;
	struct tsmap_dec	 dec;
	char			*body;
};

int	tsmap_keys_load(struct tsmap_keys *, const char *, char *, size_t);
void	tsmap_key_text(char *, size_t, const char *, const uint8_t *);

int	tsmap_dec_init(struct tsmap_dec *, tsmap_frame_cb *, void *);
int	tsmap_dec_feed(struct tsmap_dec *, const uint8_t *, size_t);
void	tsmap_dec_free(struct tsmap_dec *);

char	*tsmap_request(const struct tsmap_params *);
int	 tsmap_submit(struct tsc *, struct tsmap_stream *,
	    const struct tsmap_params *, tsmap_frame_cb *, void *);
void	 tsmap_stream_free(struct tsmap_stream *);

#endif /* TSMAP_H */
