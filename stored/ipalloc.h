/*
 * Address allocation for nodes from prefixes.v4 and prefixes.v6, as
 * headscale does it: sequential (the next free address after the last
 * one given) or random, never the network or last address of a prefix,
 * never Tailscale's reserved addresses, never an address in use.  It
 * lives in stored, the single writer, so that two registrations can
 * never get the same address.
 */
#ifndef IPALLOC_H
#define IPALLOC_H

#include <sys/tree.h>

#include <stddef.h>
#include <stdint.h>

#define IPALLOC_SEQUENTIAL	0
#define IPALLOC_RANDOM		1
#define IPALLOC_RANDOM_TRIES	4096

struct ipaddr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		a[16];		/* v4 in the first 4 bytes */
};

struct ipused {
	RB_ENTRY(ipused) entry;
	struct ipaddr	 addr;
};
RB_HEAD(ipused_tree, ipused);

struct ipprefix {
	int		set;
	struct ipaddr	net;		/* masked */
	int		bits;
	struct ipaddr	prev;		/* last given, or the network */
};

struct ipalloc {
	int			strategy;
	struct ipprefix		p4;
	struct ipprefix		p6;
	struct ipused_tree	used;
	size_t			nused;
};

int	ipused_cmp(struct ipused *, struct ipused *);
RB_PROTOTYPE(ipused_tree, ipused, entry, ipused_cmp);

int	ipalloc_init(struct ipalloc *, const char *, const char *,
	    const char *, char *, size_t);
void	ipalloc_clear(struct ipalloc *);
int	ipalloc_parse(const char *, struct ipaddr *);
void	ipalloc_format(const struct ipaddr *, char *, size_t);
int	ipalloc_mark(struct ipalloc *, const char *);
int	ipalloc_release(struct ipalloc *, const char *);
int	ipalloc_is_used(struct ipalloc *, const struct ipaddr *);
int	ipalloc_reserved(const struct ipaddr *);
int	ipalloc_next(struct ipalloc *, char *, size_t, char *, size_t,
	    char *, size_t);

#endif /* IPALLOC_H */
