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

/*
 * A node as the coordinator needs it to answer registrations and build
 * maps; more fields join with the map.
 */
struct replica_node {
	RB_ENTRY(replica_node)	 entry;
	uint64_t		 id;
	uint64_t		 user_id;
	char			*node_key;
	char			*machine_key;
	char			*given_name;
	char			*ipv4;
	char			*ipv6;
	int64_t			 expiry;
};
RB_HEAD(replica_nodes, replica_node);

struct replica {
	uint64_t		 seq;
	int			 synced;
	struct replica_users	 users;
	size_t			 nusers;
	struct replica_nodes	 nodes;
	size_t			 nnodes;
};

int	 replica_user_cmp(struct replica_user *, struct replica_user *);
RB_PROTOTYPE(replica_users, replica_user, entry, replica_user_cmp);

int	 replica_node_cmp(struct replica_node *, struct replica_node *);
RB_PROTOTYPE(replica_nodes, replica_node, entry, replica_node_cmp);

void	 replica_init(struct replica *);
void	 replica_clear(struct replica *);
int	 replica_user_put(struct replica *, const Coordd__User *);
void	 replica_user_del(struct replica *, uint64_t);
int	 replica_node_put(struct replica *, const Coordd__Node *);
void	 replica_node_del(struct replica *, uint64_t);
struct replica_node *replica_node_get(struct replica *, uint64_t);
int	 replica_advance(struct replica *, uint64_t);

#endif /* REPLICA_H */
