/*
 * The coordinator's in-memory replica of the tailnet, fed by stored: a
 * snapshot first, then changes in sequence.  Nodes are also found by
 * their node and machine keys, which every register and map request
 * names.  A node carries, besides what stored has, what only the
 * coordinator knows: whether it is online, its map session, the
 * client's capability version, and its JSON as peers see it.
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
	char			*display_name;
	char			*email;
	char			*picture_url;
};
RB_HEAD(replica_users, replica_user);

struct map_session;

/* A node as the coordinator needs it to answer requests and build maps. */
struct replica_node {
	RB_ENTRY(replica_node)	 entry;
	RB_ENTRY(replica_node)	 nodekey_entry;
	RB_ENTRY(replica_node)	 mkey_entry;
	uint64_t		 id;
	uint64_t		 user_id;
	char			*node_key;
	char			*machine_key;
	char			*disco_key;	/* "" until the first map */
	char			*hostname;
	char			*given_name;
	char			*ipv4;		/* "" when none */
	char			*ipv6;
	char			*host_info;	/* JSON object or "" */
	char		       **endpoints;
	size_t			 nendpoints;
	char		       **tags;
	size_t			 ntags;
	int64_t			 expiry;	/* unix seconds, 0 = never */
	int64_t			 created_at;
	int64_t			 last_seen;
	int			 home_derp;	/* from Hostinfo.NetInfo */
	int			 ephemeral;
	char		       **routes;	/* RoutableIPs, sorted */
	size_t			 nroutes;
	char		       **approved;	/* approved_routes, sorted */
	size_t			 napproved;

	/* The coordinator's own, kept when stored replaces the node. */
	int			 cap;		/* client capability version */
	int			 online;
	int64_t			 offline_since;	/* for ephemeral GC */
	int			 gc_asked;	/* delete sent to stored */
	struct map_session	*session;
	char			*json;		/* as a peer; NULL: stale */
	uint64_t		 json_gen;	/* which build of json */
};
RB_HEAD(replica_nodes, replica_node);
RB_HEAD(replica_nodekeys, replica_node);
RB_HEAD(replica_mkeys, replica_node);

struct replica {
	uint64_t		 seq;
	int			 synced;
	struct replica_users	 users;
	size_t			 nusers;
	struct replica_nodes	 nodes;
	struct replica_nodekeys	 by_nodekey;
	struct replica_mkeys	 by_mkey;
	size_t			 nnodes;
};

int	 replica_user_cmp(struct replica_user *, struct replica_user *);
RB_PROTOTYPE(replica_users, replica_user, entry, replica_user_cmp);

int	 replica_node_cmp(struct replica_node *, struct replica_node *);
RB_PROTOTYPE(replica_nodes, replica_node, entry, replica_node_cmp);
int	 replica_nodekey_cmp(struct replica_node *, struct replica_node *);
RB_PROTOTYPE(replica_nodekeys, replica_node, nodekey_entry,
    replica_nodekey_cmp);
int	 replica_mkey_cmp(struct replica_node *, struct replica_node *);
RB_PROTOTYPE(replica_mkeys, replica_node, mkey_entry, replica_mkey_cmp);

void	 replica_init(struct replica *);
void	 replica_clear(struct replica *);
int	 replica_user_put(struct replica *, const Coordd__User *);
void	 replica_user_del(struct replica *, uint64_t);
int	 replica_node_put(struct replica *, const Coordd__Node *,
	    struct replica_node **);
struct replica_node *replica_node_detach(struct replica *, uint64_t);
void	 replica_node_free(struct replica_node *);
struct replica_node *replica_node_get(struct replica *, uint64_t);
struct replica_node *replica_node_by_nodekey(struct replica *, const char *);
struct replica_node *replica_node_by_mkey(struct replica *, const char *);
struct replica_user *replica_user_get(struct replica *, uint64_t);
int	 replica_advance(struct replica *, uint64_t);

#endif /* REPLICA_H */
