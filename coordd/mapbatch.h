/*
 * Peer deltas gathered for a few milliseconds and sent together: a
 * burst of joins or endpoint changes costs one compression and one
 * write per session instead of one per change.  The wait grows while
 * the coordinator is busy.  Only what goes to peers is batched; a
 * node's own "Node" updates and full maps are not.
 */
#ifndef MAPBATCH_H
#define MAPBATCH_H

#include <stdint.h>

#define MAP_BATCH_MS		10	/* how long a change may wait, idle */
#define MAP_BATCH_MAX_MS	400	/* and when busy */
#define MAP_BATCH_BUSY		0.7	/* busy: CPU share between flushes */
#define MAP_BATCH_FEW		4	/* changes not worth a longer wait */
#define MAP_BATCH_MAX		1024	/* nodes in one batch, at most */
#define MAP_BATCH_BLOCK		16	/* nodes in one message, at most */

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
