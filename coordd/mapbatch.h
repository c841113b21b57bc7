/*
 * Peer deltas gathered for a few milliseconds and sent as one message:
 * a burst of joins or endpoint changes costs one compression and one
 * write per session instead of one per change.  Only what goes to
 * peers is batched; a node's own "Node" updates and full maps are not.
 */
#ifndef MAPBATCH_H
#define MAPBATCH_H

#include <stdint.h>

#define MAP_BATCH_MS		20	/* how long a change may wait */
#define MAP_BATCH_MAX		128	/* nodes in one message, at most */

struct coord;
struct map_batch;

struct map_batch *mapbatch_new(struct coord *);
void		 mapbatch_free(struct map_batch *);
void		 mapbatch_changed(struct map_batch *, uint64_t);
void		 mapbatch_patch(struct map_batch *, uint64_t, char *);
void		 mapbatch_removed(struct map_batch *, uint64_t);
void		 mapbatch_online(struct map_batch *, uint64_t, int);
void		 mapbatch_flush(struct map_batch *);

#endif /* MAPBATCH_H */
