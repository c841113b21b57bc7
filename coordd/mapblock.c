/*
 * Blocks of peers for full maps (mapblock.h).  A block is valid while
 * its visible members and the builds of their JSON (json_gen, never
 * reused) are those it was compressed from; that is checked at every
 * use, so no change can leave a stale block behind.
 *
 * Inside "Peers":[...] every block's frame holds its nodes each followed
 * by a comma.  The last frame has no trailing comma: it is made for the
 * session from the node's own block without the node, or, when the node
 * is alone in its block, it is the other kind of frame of the last block
 * ("final", commas only between nodes), which is cached as well.
 */
#include <sys/types.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "compat.h"
#include "coordinator.h"
#include "log.h"
#include "map.h"
#include "mapblock.h"
#include "mapframe.h"

struct map_block {
	RB_ENTRY(map_block)	 b_entry;
	uint64_t		 b_bucket;	/* node ID / MAPBLOCK_NODES */
	uint64_t		 b_walk;	/* the last walk that saw it */
	size_t			 b_n;
	uint64_t		 b_ids[MAPBLOCK_NODES];
	uint64_t		 b_gens[MAPBLOCK_NODES];
	struct map_msg		*b_comma;	/* frame: "a,b,...,z," */
	struct map_msg		*b_final;	/* frame: "a,b,...,z" */
};
RB_HEAD(map_block_tree, map_block);

static int	block_cmp(struct map_block *, struct map_block *);
RB_PROTOTYPE(map_block_tree, map_block, b_entry, block_cmp);

static int
block_cmp(struct map_block *a, struct map_block *b)
{
	return (a->b_bucket < b->b_bucket ? -1 : a->b_bucket > b->b_bucket);
}
RB_GENERATE(map_block_tree, map_block, b_entry, block_cmp);

struct map_blocks {
	struct map_block_tree	 tree;
	uint64_t		 walk;
	uint64_t		 hits, misses;
};

/* The members of one bucket, as a walk of the replica finds them. */
struct block_scan {
	uint64_t		 bucket;
	size_t			 n;
	struct replica_node	*nodes[MAPBLOCK_NODES];
};

struct map_blocks *
mapblocks_new(void)
{
	struct map_blocks	*mb;

	if ((mb = calloc(1, sizeof(*mb))) == NULL)
		fatal("%s", __func__);
	RB_INIT(&mb->tree);
	return (mb);
}

static void
block_drop_frames(struct map_block *b)
{
	/* Full maps still queued hold their own references. */
	map_msg_unref(b->b_comma);
	map_msg_unref(b->b_final);
	b->b_comma = b->b_final = NULL;
}

static void
block_free(struct map_blocks *mb, struct map_block *b)
{
	RB_REMOVE(map_block_tree, &mb->tree, b);
	block_drop_frames(b);
	free(b);
}

void
mapblocks_free(struct map_blocks *mb)
{
	struct map_block	*b;

	if (mb == NULL)
		return;
	while ((b = RB_MIN(map_block_tree, &mb->tree)) != NULL)
		block_free(mb, b);
	free(mb);
}

/* The cached block for a scan, made valid for its members. */
static struct map_block *
block_sync(struct coord *c, struct map_blocks *mb, struct block_scan *s)
{
	struct map_block	 k, *b;
	size_t			 i;
	int			 same;

	k.b_bucket = s->bucket;
	if ((b = RB_FIND(map_block_tree, &mb->tree, &k)) == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL)
			fatal("%s", __func__);
		b->b_bucket = s->bucket;
		RB_INSERT(map_block_tree, &mb->tree, b);
	}
	b->b_walk = mb->walk;
	same = b->b_n == s->n;
	for (i = 0; i < s->n; i++) {
		(void)mapjson_node(c, s->nodes[i]);
		if (same && (b->b_ids[i] != s->nodes[i]->id ||
		    b->b_gens[i] != s->nodes[i]->json_gen))
			same = 0;
		b->b_ids[i] = s->nodes[i]->id;
		b->b_gens[i] = s->nodes[i]->json_gen;
	}
	b->b_n = s->n;
	if (!same)
		block_drop_frames(b);
	if (same && b->b_comma != NULL)
		mb->hits++;
	else
		mb->misses++;
	return (b);
}

/* Members' JSON, skipping one, each followed by a comma or joined. */
static void
scan_json(struct coord *c, const struct block_scan *s, uint64_t skip,
    int trailing, struct evbuffer *out)
{
	size_t	i;
	int	first = 1;

	for (i = 0; i < s->n; i++) {
		if (s->nodes[i]->id == skip)
			continue;
		if (!first && !trailing)
			evbuffer_add(out, ",", 1);
		first = 0;
		evbuffer_add_printf(out, "%s", mapjson_node(c, s->nodes[i]));
		if (trailing)
			evbuffer_add(out, ",", 1);
	}
}

static uint8_t *
compress_evbuffer(struct coord *c, struct evbuffer *b, size_t *len)
{
	uint8_t	*frame;

	frame = mapframe_zstd(&c->framer,
	    (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b), len);
	evbuffer_drain(b, evbuffer_get_length(b));
	return (frame);
}

/*
 * A block's frame of either kind, compressed on first use, added to out
 * by reference: a tailnet coming up has dozens of full maps of a
 * megabyte or more queued at once, all made of the same blocks.
 */
static int
block_frame(struct coord *c, struct map_block *b, const struct block_scan *s,
    int trailing, struct evbuffer *out)
{
	struct evbuffer	 *tmp;
	struct map_msg	**mp = trailing ? &b->b_comma : &b->b_final;
	uint8_t		 *frame;
	size_t		  len;

	if (*mp == NULL) {
		if ((tmp = evbuffer_new()) == NULL)
			return (-1);
		scan_json(c, s, 0, trailing, tmp);
		frame = compress_evbuffer(c, tmp, &len);
		evbuffer_free(tmp);
		if (frame == NULL)
			return (-1);
		*mp = map_msg_new(frame, len);
		free(frame);
	}
	return (map_msg_add(out, *mp));
}

static int
add_compressed(struct coord *c, struct evbuffer *src, struct evbuffer *out)
{
	uint8_t	*frame;
	size_t	 len;
	int	 rv;

	if ((frame = compress_evbuffer(c, src, &len)) == NULL)
		return (-1);
	rv = evbuffer_add(out, frame, len);
	free(frame);
	return (rv);
}

struct full_walk {
	struct block_scan	*scans;		/* the non-empty buckets */
	struct map_block	**blocks;
	size_t			 n, cap;
};

/* Every bucket with visible nodes, in order, synced with the cache. */
static int
walk_buckets(struct coord *c, struct map_blocks *mb, struct full_walk *w)
{
	struct replica_node	*n;
	struct block_scan	*s = NULL;
	void			*p;
	size_t			 i;

	mb->walk++;
	RB_FOREACH(n, replica_nodes, &c->replica.nodes) {
		if (!mapjson_peer_visible(n))
			continue;
		if (s == NULL || s->bucket != n->id / MAPBLOCK_NODES) {
			if (w->n == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 64;
				if ((p = reallocarray(w->scans, w->cap,
				    sizeof(*w->scans))) == NULL)
					return (-1);
				w->scans = p;
			}
			s = &w->scans[w->n++];
			s->bucket = n->id / MAPBLOCK_NODES;
			s->n = 0;
		}
		if (s->n < MAPBLOCK_NODES)
			s->nodes[s->n++] = n;
	}
	if ((w->blocks = calloc(w->n ? w->n : 1, sizeof(*w->blocks))) == NULL)
		return (-1);
	for (i = 0; i < w->n; i++)
		w->blocks[i] = block_sync(c, mb, &w->scans[i]);
	return (0);
}

/* Blocks no node belongs to any more. */
static void
prune(struct map_blocks *mb)
{
	struct map_block	*b, *next;

	RB_FOREACH_SAFE(b, map_block_tree, &mb->tree, next)
		if (b->b_walk != mb->walk)
			block_free(mb, b);
}

/*
 * Self's full map: head (the message up to "Peers":[) as a frame, then
 * the peers, then "]}".  Returns 0, or -1 with out in any state.
 */
int
mapblocks_full(struct coord *c, struct replica_node *self, const char *head,
    size_t headlen, struct evbuffer *out)
{
	struct map_blocks	*mb = c->mblocks;
	struct full_walk	 w;
	struct evbuffer		*tmp;
	size_t			 i, mine = SIZE_MAX, last = SIZE_MAX;
	int			 rv = -1, alone;

	memset(&w, 0, sizeof(w));
	if ((tmp = evbuffer_new()) == NULL || walk_buckets(c, mb, &w) == -1)
		goto done;
	prune(mb);
	for (i = 0; i < w.n; i++) {
		if (w.scans[i].bucket == self->id / MAPBLOCK_NODES)
			mine = i;
		else
			last = i;
	}
	alone = mine == SIZE_MAX ||
	    (w.scans[mine].n == 1 && w.scans[mine].nodes[0] == self);
	evbuffer_add(tmp, head, headlen);
	if (add_compressed(c, tmp, out) == -1)
		goto done;
	for (i = 0; i < w.n; i++) {
		if (i == mine || (i == last && alone))
			continue;
		if (block_frame(c, w.blocks[i], &w.scans[i], 1, out) == -1)
			goto done;
	}
	if (alone && last != SIZE_MAX &&
	    block_frame(c, w.blocks[last], &w.scans[last], 0, out) == -1)
		goto done;
	if (!alone)
		scan_json(c, &w.scans[mine], self->id, 0, tmp);
	evbuffer_add(tmp, "]}", 2);
	rv = add_compressed(c, tmp, out);
 done:
	if (tmp != NULL)
		evbuffer_free(tmp);
	free(w.scans);
	free(w.blocks);
	return (rv);
}
