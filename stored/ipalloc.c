/* Address allocation for nodes: see ipalloc.h. */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ipalloc.h"

int
ipused_cmp(struct ipused *a, struct ipused *b)
{
	if (a->addr.family != b->addr.family)
		return (a->addr.family < b->addr.family ? -1 : 1);
	return (memcmp(a->addr.a, b->addr.a, sizeof(a->addr.a)));
}

RB_GENERATE(ipused_tree, ipused, entry, ipused_cmp);

static size_t
ip_len(int family)
{
	return (family == AF_INET ? 4 : 16);
}

int
ipalloc_parse(const char *s, struct ipaddr *ip)
{
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, s, ip->a) == 1) {
		ip->family = AF_INET;
		return (0);
	}
	if (inet_pton(AF_INET6, s, ip->a) == 1) {
		ip->family = AF_INET6;
		return (0);
	}
	return (-1);
}

void
ipalloc_format(const struct ipaddr *ip, char *buf, size_t len)
{
	if (inet_ntop(ip->family, ip->a, buf, len) == NULL && len > 0)
		buf[0] = '\0';
}

/* Does ip lie in the first bits of net? */
static int
ip_in(const struct ipaddr *ip, const struct ipaddr *net, int bits)
{
	int	i, full = bits / 8, rest = bits % 8;

	if (ip->family != net->family)
		return (0);
	for (i = 0; i < full; i++)
		if (ip->a[i] != net->a[i])
			return (0);
	if (rest && (ip->a[full] ^ net->a[full]) & (0xff << (8 - rest)))
		return (0);
	return (1);
}

/* Host bits all ones: the last address of the prefix. */
static int
ip_is_last(const struct ipaddr *ip, int bits)
{
	int	i, n = ip_len(ip->family) * 8;

	for (i = bits; i < n; i++)
		if (!(ip->a[i / 8] & (0x80 >> (i % 8))))
			return (0);
	return (1);
}

static int
ip_is_network(const struct ipaddr *ip, int bits)
{
	int	i, n = ip_len(ip->family) * 8;

	for (i = bits; i < n; i++)
		if (ip->a[i / 8] & (0x80 >> (i % 8)))
			return (0);
	return (1);
}

/* Add one; returns -1 on overflow of the whole address. */
static int
ip_inc(struct ipaddr *ip)
{
	int	i;

	for (i = ip_len(ip->family) - 1; i >= 0; i--)
		if (++ip->a[i] != 0)
			return (0);
	return (-1);
}

static int
prefix_parse(const char *cidr, int family, struct ipprefix *p)
{
	char		 buf[64], *slash;
	const char	*errstr;
	int		 i, n;

	memset(p, 0, sizeof(*p));
	if (cidr == NULL || cidr[0] == '\0')
		return (0);
	if (strlcpy(buf, cidr, sizeof(buf)) >= sizeof(buf) ||
	    (slash = strchr(buf, '/')) == NULL)
		return (-1);
	*slash++ = '\0';
	if (ipalloc_parse(buf, &p->net) == -1 || p->net.family != family)
		return (-1);
	n = ip_len(family) * 8;
	p->bits = strtonum(slash, 1, n - 2, &errstr);
	if (errstr != NULL)
		return (-1);
	for (i = p->bits; i < n; i++)
		p->net.a[i / 8] &= ~(0x80 >> (i % 8));
	p->prev = p->net;
	p->set = 1;
	return (0);
}

int
ipalloc_init(struct ipalloc *ia, const char *v4, const char *v6,
    const char *strategy, char *err, size_t errlen)
{
	memset(ia, 0, sizeof(*ia));
	RB_INIT(&ia->used);
	if (strategy == NULL || strcmp(strategy, "sequential") == 0)
		ia->strategy = IPALLOC_SEQUENTIAL;
	else if (strcmp(strategy, "random") == 0)
		ia->strategy = IPALLOC_RANDOM;
	else {
		snprintf(err, errlen, "unknown allocation %s", strategy);
		return (-1);
	}
	if (prefix_parse(v4, AF_INET, &ia->p4) == -1) {
		snprintf(err, errlen, "bad IPv4 prefix %s", v4);
		return (-1);
	}
	if (prefix_parse(v6, AF_INET6, &ia->p6) == -1) {
		snprintf(err, errlen, "bad IPv6 prefix %s", v6);
		return (-1);
	}
	if (!ia->p4.set && !ia->p6.set) {
		snprintf(err, errlen, "no prefix to allocate from");
		return (-1);
	}
	return (0);
}

void
ipalloc_clear(struct ipalloc *ia)
{
	struct ipused	*u;

	while ((u = RB_MIN(ipused_tree, &ia->used)) != NULL) {
		RB_REMOVE(ipused_tree, &ia->used, u);
		free(u);
	}
	ia->nused = 0;
}

/*
 * Tailscale's own: the MagicDNS resolver 100.100.100.100 and
 * fd7a:115c:a1e0::53, and ChromeOS's VM range 100.115.92.0/23.
 */
int
ipalloc_reserved(const struct ipaddr *ip)
{
	static const uint8_t	quad100[4] = { 100, 100, 100, 100 };
	static const uint8_t	quad100v6[16] = { 0xfd, 0x7a, 0x11, 0x5c,
				    0xa1, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 };
	struct ipaddr		chromeos = { AF_INET, { 100, 115, 92, 0 } };

	if (ip->family == AF_INET)
		return (memcmp(ip->a, quad100, 4) == 0 ||
		    ip_in(ip, &chromeos, 23));
	return (memcmp(ip->a, quad100v6, 16) == 0);
}

int
ipalloc_is_used(struct ipalloc *ia, const struct ipaddr *ip)
{
	struct ipused	key;

	key.addr = *ip;
	return (RB_FIND(ipused_tree, &ia->used, &key) != NULL);
}

static int
ipalloc_take(struct ipalloc *ia, const struct ipaddr *ip)
{
	struct ipused	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return (-1);
	u->addr = *ip;
	if (RB_INSERT(ipused_tree, &ia->used, u) != NULL) {
		free(u);
		errno = EEXIST;
		return (-1);
	}
	ia->nused++;
	return (0);
}

/* An address already held by a node, as read from the database. */
int
ipalloc_mark(struct ipalloc *ia, const char *s)
{
	struct ipaddr	ip;

	if (s == NULL || s[0] == '\0')
		return (0);
	if (ipalloc_parse(s, &ip) == -1) {
		errno = EINVAL;
		return (-1);
	}
	if (ipalloc_is_used(ia, &ip))
		return (0);
	return (ipalloc_take(ia, &ip));
}

int
ipalloc_release(struct ipalloc *ia, const char *s)
{
	struct ipused	key, *u;

	if (ipalloc_parse(s, &key.addr) == -1)
		return (-1);
	if ((u = RB_FIND(ipused_tree, &ia->used, &key)) == NULL)
		return (-1);
	RB_REMOVE(ipused_tree, &ia->used, u);
	free(u);
	ia->nused--;
	return (0);
}

static int
usable(struct ipalloc *ia, const struct ipprefix *p, const struct ipaddr *ip)
{
	return (ip_in(ip, &p->net, p->bits) && !ip_is_network(ip, p->bits) &&
	    !ip_is_last(ip, p->bits) && !ipalloc_reserved(ip) &&
	    !ipalloc_is_used(ia, ip));
}

/*
 * Walk forward from start, once round the prefix.  Freed addresses
 * behind the last one given are found on the second lap.
 */
static int
next_sequential(struct ipalloc *ia, struct ipprefix *p,
    const struct ipaddr *start, struct ipaddr *out)
{
	struct ipaddr	ip = *start;
	int		wrapped = 0;

	for (;;) {
		if (ip_inc(&ip) == -1 || !ip_in(&ip, &p->net, p->bits)) {
			if (wrapped)
				return (-1);
			wrapped = 1;
			ip = p->net;
			continue;
		}
		if (wrapped && memcmp(ip.a, start->a, sizeof(ip.a)) > 0)
			return (-1);
		if (usable(ia, p, &ip)) {
			*out = ip;
			return (0);
		}
	}
}

static void
random_in(const struct ipprefix *p, struct ipaddr *ip)
{
	int	i, n = ip_len(p->net.family) * 8;

	*ip = p->net;
	for (i = p->bits; i < n; i++)
		if (randombytes_uniform(2))
			ip->a[i / 8] |= 0x80 >> (i % 8);
}

static int
next_random(struct ipalloc *ia, struct ipprefix *p, struct ipaddr *out)
{
	struct ipaddr	ip;
	int		i;

	for (i = 0; i < IPALLOC_RANDOM_TRIES; i++) {
		random_in(p, &ip);
		if (usable(ia, p, &ip)) {
			*out = ip;
			return (0);
		}
	}
	/* A nearly full prefix: walk from a random place instead. */
	random_in(p, &ip);
	return (next_sequential(ia, p, &ip, out));
}

static int
next_in(struct ipalloc *ia, struct ipprefix *p, char *buf, size_t len,
    char *err, size_t errlen)
{
	struct ipaddr	ip;
	int		r;

	buf[0] = '\0';
	if (!p->set)
		return (0);
	if (ia->strategy == IPALLOC_RANDOM)
		r = next_random(ia, p, &ip);
	else
		r = next_sequential(ia, p, &p->prev, &ip);
	if (r == -1) {
		snprintf(err, errlen, "no free address left in the IPv%d "
		    "prefix", p->net.family == AF_INET ? 4 : 6);
		return (-1);
	}
	if (ipalloc_take(ia, &ip) == -1) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	p->prev = ip;
	ipalloc_format(&ip, buf, len);
	return (0);
}

/*
 * One address of each configured family.  On failure nothing is taken.
 */
int
ipalloc_next(struct ipalloc *ia, char *v4, size_t v4len, char *v6,
    size_t v6len, char *err, size_t errlen)
{
	struct ipaddr	prev4 = ia->p4.prev;

	if (next_in(ia, &ia->p4, v4, v4len, err, errlen) == -1)
		return (-1);
	if (next_in(ia, &ia->p6, v6, v6len, err, errlen) == -1) {
		if (v4[0] != '\0')
			ipalloc_release(ia, v4);
		ia->p4.prev = prev4;
		v4[0] = '\0';
		return (-1);
	}
	return (0);
}
