/*
 * Full maps from precompressed blocks of peers.  A full map carries
 * every peer, so compressing one for each node that connects costs
 * O(peers) each time, O(n^2) for a tailnet coming up.  Instead the peers
 * are cut into blocks by node ID, each block is compressed once into a
 * zstd frame and kept until one of its nodes changes, and a node's full
 * map is its own head frame, the blocks' frames and a last frame made
 * for it.  Clients decode a message of several concatenated zstd frames
 * as one (Tailscale's zstdframe uses klauspost's DecodeAll, which reads
 * frame after frame).
 */
#ifndef MAPBLOCK_H
#define MAPBLOCK_H

#include <stddef.h>

#define MAPBLOCK_NODES		64	/* node IDs per block */

struct coord;
struct evbuffer;
struct map_blocks;
struct replica_node;

struct map_blocks *mapblocks_new(void);
void		 mapblocks_free(struct map_blocks *);
int		 mapblocks_full(struct coord *, struct replica_node *,
		    const char *, size_t, struct evbuffer *);

#endif /* MAPBLOCK_H */
