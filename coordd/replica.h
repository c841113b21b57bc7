/*
 * The coordinator's in-memory replica of the tailnet, fed by stored: a
 * snapshot first, then changes in sequence.  Users for now; nodes and
 * keys join it with the control protocol.
 */
#ifndef REPLICA_H
#define REPLICA_H

#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#include "types.pb-c.h"

struct replica_user {
	RB_ENTRY(replica_user)	 entry;
	uint64_t		 id;
	char			*name;
};
RB_HEAD(replica_users, replica_user);

struct replica {
	uint64_t		 seq;
	int			 synced;
	struct replica_users	 users;
	size_t			 nusers;
	size_t			 nnodes;
};

int	 replica_user_cmp(struct replica_user *, struct replica_user *);
RB_PROTOTYPE(replica_users, replica_user, entry, replica_user_cmp);

void	 replica_init(struct replica *);
void	 replica_clear(struct replica *);
int	 replica_user_put(struct replica *, const Coordd__User *);
void	 replica_user_del(struct replica *, uint64_t);
int	 replica_advance(struct replica *, uint64_t);

#endif /* REPLICA_H */
