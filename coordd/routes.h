/*
 * Subnet routes and exit routes (headscale's model).  A node advertises
 * prefixes in Hostinfo.RoutableIPs ("available"); an admin approves
 * some (Node.approved_routes); the node serves what is both.  For each
 * subnet prefix one online node is primary: the current one while it
 * stays online, else the online node with the lowest id.  Exit routes
 * (0.0.0.0/0, ::/0) are not elected: every node serving one gets it.
 * Peers reach a subnet through its primary alone, so AllowedIPs carry
 * a node's primary routes and its exit routes.
 */
#ifndef ROUTES_H
#define ROUTES_H

#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#define ROUTE_PREFIX_MAX	64	/* "ffff:...:ffff/128" and a NUL */
#define ROUTES_MAX		256	/* per node, advertised or approved */

struct json_t;
struct replica;
struct replica_node;

struct route_prefix {
	RB_ENTRY(route_prefix)	 rp_entry;
	char			 rp_prefix[ROUTE_PREFIX_MAX];
	uint64_t		 rp_primary;	/* 0: nobody online serves it */
	uint64_t		*rp_nodes;	/* its servers, ascending ids */
	size_t			 rp_nnodes;
};
RB_HEAD(route_prefixes, route_prefix);
int	 route_prefix_cmp(struct route_prefix *, struct route_prefix *);
RB_PROTOTYPE(route_prefixes, route_prefix, rp_entry, route_prefix_cmp);

struct route_table {
	struct route_prefixes	 rt_prefixes;
};

/* Nodes whose primary or exit routes changed, each once. */
struct route_changes {
	uint64_t		*rc_ids;
	size_t			 rc_n;
	size_t			 rc_cap;
};

int	 route_canon(const char *, char *, size_t);
int	 route_is_exit(const char *);
char	**routes_from_json(struct json_t *, size_t *);
char	**routes_canon_list(char **, size_t, size_t *);
int	 routes_node_serves(const struct replica_node *, const char *);

void	 routes_init(struct route_table *);
void	 routes_clear(struct route_table *);
void	 routes_node_update(struct route_table *, struct replica *,
	    const struct replica_node *, const struct replica_node *,
	    struct route_changes *);
size_t	 routes_primary(const struct route_table *,
	    const struct replica_node *, const char **, size_t);
size_t	 routes_exit(const struct replica_node *, const char **, size_t);
int	 routes_changes_has(const struct route_changes *, uint64_t);
void	 routes_changes_free(struct route_changes *);

#endif /* ROUTES_H */
