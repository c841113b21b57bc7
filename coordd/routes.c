/* Subnet and exit routes, and the election of primaries: see routes.h. */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compat.h"
#include "log.h"
#include "replica.h"
#include "routes.h"

int
route_prefix_cmp(struct route_prefix *a, struct route_prefix *b)
{
	return (strcmp(a->rp_prefix, b->rp_prefix));
}

RB_GENERATE(route_prefixes, route_prefix, rp_entry, route_prefix_cmp);

/* Clear the bits past the prefix length, as a route names a network. */
static void
route_mask(uint8_t *a, size_t alen, long bits)
{
	size_t	i;

	for (i = 0; i < alen; i++) {
		if (bits >= 8)
			bits -= 8;
		else if (bits > 0) {
			a[i] &= (uint8_t)(0xff << (8 - bits));
			bits = 0;
		} else
			a[i] = 0;
	}
}

/*
 * "addr/bits" from a client or an admin into its canonical text (host
 * bits cleared, the address as inet_ntop writes it).  -1 when it is not
 * an IPv4 or IPv6 prefix.
 */
int
route_canon(const char *s, char *out, size_t outlen)
{
	char		 host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN];
	uint8_t		 a[16];
	const char	*slash, *errstr;
	size_t		 hlen;
	long		 bits;
	int		 af;

	if (s == NULL || strlen(s) >= ROUTE_PREFIX_MAX ||
	    (slash = strchr(s, '/')) == NULL ||
	    (hlen = slash - s) == 0 || hlen >= sizeof(host))
		return (-1);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, a) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, host, a) == 1)
		af = AF_INET6;
	else
		return (-1);
	/* Digits only: strtonum would take "+8" or " 8". */
	if (slash[1] < '0' || slash[1] > '9' ||
	    (slash[1] == '0' && slash[2] != '\0'))
		return (-1);
	bits = (long)strtonum(slash + 1, 0, af == AF_INET ? 32 : 128, &errstr);
	if (errstr != NULL)
		return (-1);
	route_mask(a, af == AF_INET ? 4 : 16, bits);
	if (inet_ntop(af, a, text, sizeof(text)) == NULL ||
	    snprintf(out, outlen, "%s/%ld", text, bits) >= (int)outlen)
		return (-1);
	return (0);
}

int
route_is_exit(const char *p)
{
	return (strcmp(p, "0.0.0.0/0") == 0 || strcmp(p, "::/0") == 0);
}

static int
strp_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * Canonical, sorted and without duplicates; what is not a prefix is
 * left out, and at most ROUTES_MAX are kept.  NULL when none is left.
 */
static char **
routes_collect(const char **in, size_t n, size_t *outn)
{
	char	**v, buf[ROUTE_PREFIX_MAX];
	size_t	  i, k = 0;

	*outn = 0;
	if (n == 0)
		return (NULL);
	if ((v = calloc(n, sizeof(*v))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < n && k < ROUTES_MAX; i++) {
		if (route_canon(in[i], buf, sizeof(buf)) == -1)
			continue;
		if ((v[k++] = strdup(buf)) == NULL)
			fatal("%s", __func__);
	}
	qsort(v, k, sizeof(*v), strp_cmp);
	/* Duplicates are neighbours now. */
	for (n = k, i = k = 0; i < n; i++) {
		if (k > 0 && strcmp(v[i], v[k - 1]) == 0)
			free(v[i]);
		else
			v[k++] = v[i];
	}
	if (k == 0) {
		free(v);
		return (NULL);
	}
	*outn = k;
	return (v);
}

/* Hostinfo.RoutableIPs, as a client sends it. */
char **
routes_from_json(json_t *arr, size_t *outn)
{
	const char	**in;
	char		**v;
	json_t		 *e;
	size_t		  i, n = 0;

	*outn = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return (NULL);
	if ((in = calloc(json_array_size(arr), sizeof(*in))) == NULL)
		fatal("%s", __func__);
	json_array_foreach(arr, i, e)
		if (json_is_string(e))
			in[n++] = json_string_value(e);
	v = routes_collect(in, n, outn);
	free(in);
	return (v);
}

/* Node.approved_routes, as stored has them. */
char **
routes_canon_list(char **in, size_t n, size_t *outn)
{
	return (routes_collect((const char **)in, n, outn));
}

static int
strv_has(char **v, size_t n, const char *s)
{
	return (n > 0 && bsearch(&s, v, n, sizeof(*v), strp_cmp) != NULL);
}

/* Approved and advertised. */
int
routes_node_serves(const struct replica_node *n, const char *p)
{
	return (strv_has(n->routes, n->nroutes, p) &&
	    strv_has(n->approved, n->napproved, p));
}

void
routes_init(struct route_table *rt)
{
	RB_INIT(&rt->rt_prefixes);
}

static void
route_prefix_free(struct route_table *rt, struct route_prefix *rp)
{
	RB_REMOVE(route_prefixes, &rt->rt_prefixes, rp);
	free(rp->rp_nodes);
	free(rp);
}

void
routes_clear(struct route_table *rt)
{
	struct route_prefix	*rp;

	while ((rp = RB_MIN(route_prefixes, &rt->rt_prefixes)) != NULL)
		route_prefix_free(rt, rp);
}

static struct route_prefix *
route_find(const struct route_table *rt, const char *p)
{
	struct route_prefix	key;

	if (strlcpy(key.rp_prefix, p, sizeof(key.rp_prefix)) >=
	    sizeof(key.rp_prefix))
		return (NULL);
	return (RB_FIND(route_prefixes, (struct route_prefixes *)
	    &rt->rt_prefixes, &key));
}

static void
changes_add(struct route_changes *ch, uint64_t id)
{
	uint64_t	*v;

	if (id == 0 || ch == NULL || routes_changes_has(ch, id))
		return;
	if (ch->rc_n == ch->rc_cap) {
		if ((v = reallocarray(ch->rc_ids, ch->rc_cap + 8,
		    sizeof(*v))) == NULL)
			fatal("%s", __func__);
		ch->rc_ids = v;
		ch->rc_cap += 8;
	}
	ch->rc_ids[ch->rc_n++] = id;
}

int
routes_changes_has(const struct route_changes *ch, uint64_t id)
{
	size_t	i;

	for (i = 0; i < ch->rc_n; i++)
		if (ch->rc_ids[i] == id)
			return (1);
	return (0);
}

void
routes_changes_free(struct route_changes *ch)
{
	free(ch->rc_ids);
	memset(ch, 0, sizeof(*ch));
}

static size_t
route_node_index(const struct route_prefix *rp, uint64_t id, int *found)
{
	size_t	lo = 0, hi = rp->rp_nnodes, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rp->rp_nodes[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < rp->rp_nnodes && rp->rp_nodes[lo] == id;
	return (lo);
}

static void
route_node_add(struct route_table *rt, const char *p, uint64_t id)
{
	struct route_prefix	*rp;
	uint64_t		*v;
	size_t			 i;
	int			 found;

	if ((rp = route_find(rt, p)) == NULL) {
		if ((rp = calloc(1, sizeof(*rp))) == NULL)
			fatal("%s", __func__);
		strlcpy(rp->rp_prefix, p, sizeof(rp->rp_prefix));
		RB_INSERT(route_prefixes, &rt->rt_prefixes, rp);
	}
	i = route_node_index(rp, id, &found);
	if (found)
		return;
	if ((v = reallocarray(rp->rp_nodes, rp->rp_nnodes + 1,
	    sizeof(*v))) == NULL)
		fatal("%s", __func__);
	rp->rp_nodes = v;
	memmove(v + i + 1, v + i, (rp->rp_nnodes - i) * sizeof(*v));
	v[i] = id;
	rp->rp_nnodes++;
}

static void
route_node_del(struct route_table *rt, const char *p, uint64_t id)
{
	struct route_prefix	*rp;
	size_t			 i;
	int			 found;

	if ((rp = route_find(rt, p)) == NULL)
		return;
	i = route_node_index(rp, id, &found);
	if (!found)
		return;
	memmove(rp->rp_nodes + i, rp->rp_nodes + i + 1,
	    (rp->rp_nnodes - i - 1) * sizeof(*rp->rp_nodes));
	rp->rp_nnodes--;
}

static int
node_online(struct replica *r, uint64_t id)
{
	struct replica_node	*n;

	return ((n = replica_node_get(r, id)) != NULL && n->online);
}

/*
 * Keep the primary while it is online and serves the prefix; else the
 * online server with the lowest id.  Both ends of a move are changes.
 * A prefix nobody serves leaves the table.
 */
static void
route_elect(struct route_table *rt, struct replica *r, const char *p,
    struct route_changes *ch)
{
	struct route_prefix	*rp;
	uint64_t		 best = 0;
	size_t			 i;
	int			 found;

	if ((rp = route_find(rt, p)) == NULL)
		return;
	if (rp->rp_primary != 0) {
		route_node_index(rp, rp->rp_primary, &found);
		if (found && node_online(r, rp->rp_primary))
			return;
	}
	for (i = 0; i < rp->rp_nnodes && best == 0; i++)
		if (node_online(r, rp->rp_nodes[i]))
			best = rp->rp_nodes[i];
	if (best != rp->rp_primary) {
		log_debug("routes: %s: primary %llu -> %llu", rp->rp_prefix,
		    (unsigned long long)rp->rp_primary,
		    (unsigned long long)best);
		changes_add(ch, rp->rp_primary);
		changes_add(ch, best);
		rp->rp_primary = best;
	}
	if (rp->rp_nnodes == 0)
		route_prefix_free(rt, rp);
}

/* Served exit routes: equal sets, in the same (sorted) order. */
static int
routes_exits_differ(const struct replica_node *a,
    const struct replica_node *b)
{
	const char	*ea[2], *eb[2];
	size_t		 na = 0, nb = 0, i;

	if (a != NULL)
		na = routes_exit(a, ea, nitems(ea));
	if (b != NULL)
		nb = routes_exit(b, eb, nitems(eb));
	if (na != nb)
		return (1);
	for (i = 0; i < na; i++)
		if (strcmp(ea[i], eb[i]) != 0)
			return (1);
	return (0);
}

/*
 * A node appeared (old NULL), changed, went on or offline (old == new)
 * or went away (new NULL).  Move its id in the table, elect again where
 * it served, and add to ch every node whose AllowedIPs or PrimaryRoutes
 * changed.  The replica already holds new, and no longer old.
 */
void
routes_node_update(struct route_table *rt, struct replica *r,
    const struct replica_node *old, const struct replica_node *new,
    struct route_changes *ch)
{
	uint64_t	id = old != NULL ? old->id : new != NULL ? new->id : 0;
	size_t		i;

	if (id == 0)
		return;
	for (i = 0; old != NULL && i < old->nroutes; i++)
		if (!route_is_exit(old->routes[i]) &&
		    routes_node_serves(old, old->routes[i]))
			route_node_del(rt, old->routes[i], id);
	for (i = 0; new != NULL && i < new->nroutes; i++)
		if (!route_is_exit(new->routes[i]) &&
		    routes_node_serves(new, new->routes[i]))
			route_node_add(rt, new->routes[i], id);
	for (i = 0; old != NULL && i < old->nroutes; i++)
		if (!route_is_exit(old->routes[i]))
			route_elect(rt, r, old->routes[i], ch);
	for (i = 0; new != NULL && i < new->nroutes; i++)
		if (!route_is_exit(new->routes[i]))
			route_elect(rt, r, new->routes[i], ch);
	if (routes_exits_differ(old, new))
		changes_add(ch, id);
}

/* The subnet routes n is primary for, pointers into the table. */
size_t
routes_primary(const struct route_table *rt, const struct replica_node *n,
    const char **out, size_t max)
{
	struct route_prefix	*rp;
	size_t			 i, k = 0;

	for (i = 0; i < n->nroutes && k < max; i++) {
		if (route_is_exit(n->routes[i]) ||
		    (rp = route_find(rt, n->routes[i])) == NULL)
			continue;
		if (rp->rp_primary == n->id)
			out[k++] = rp->rp_prefix;
	}
	return (k);
}

/* The exit routes n serves, pointers into the node. */
size_t
routes_exit(const struct replica_node *n, const char **out, size_t max)
{
	size_t	i, k = 0;

	for (i = 0; i < n->nroutes && k < max; i++)
		if (route_is_exit(n->routes[i]) &&
		    routes_node_serves(n, n->routes[i]))
			out[k++] = n->routes[i];
	return (k);
}
