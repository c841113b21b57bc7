/*
 * The sample nodes' views of the tailnet and the churn's changes.
 *
 * A view is a set of node indices: a full Peers list replaces it,
 * PeersChanged adds, PeersRemoved takes away (by node ID, learned from
 * full nodes, where ID and Key come together).  A change is a lite
 * update whose endpoint's port is the change id; it has arrived once
 * every sample but the changed node has seen that endpoint.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "loadgen.h"

/* Open addressing, both tables twice the node count or more. */
static uint64_t	*keytab;	/* first 8 bytes of a node key */
static int	*keyidx;	/* index + 1, 0: empty */
static uint64_t	*idtab;		/* server node IDs */
static int	*ididx;
static size_t	 tabmask;

static size_t
lg_hash(uint64_t v)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return ((size_t)v & tabmask);
}

static int
lg_tables(void)
{
	size_t	size = 1;

	while (size < 2 * (size_t)lg.n + 2)
		size <<= 1;
	tabmask = size - 1;
	if ((keytab = calloc(size, sizeof(*keytab))) == NULL ||
	    (keyidx = calloc(size, sizeof(*keyidx))) == NULL ||
	    (idtab = calloc(size, sizeof(*idtab))) == NULL ||
	    (ididx = calloc(size, sizeof(*ididx))) == NULL)
		return (-1);
	return (0);
}

static uint64_t
lg_key64(const uint8_t *pub)
{
	uint64_t	v;

	memcpy(&v, pub, sizeof(v));
	return (v);
}

/* Our node keys, so that peers of other runs or users are told apart. */
int
lg_index_add(const uint8_t *pub, int idx)
{
	uint64_t	k = lg_key64(pub);
	size_t		h;

	if (keytab == NULL && lg_tables() == -1)
		return (-1);
	for (h = lg_hash(k); keyidx[h] != 0; h = (h + 1) & tabmask)
		if (keytab[h] == k)
			return (-1);	/* two keys alike: start again */
	keytab[h] = k;
	keyidx[h] = idx + 1;
	return (0);
}

static int
lg_index_key(const char *text)
{
	uint8_t		pub[NOISE_KEYLEN];
	uint64_t	k;
	size_t		h, binlen;

	if (text == NULL || strncmp(text, "nodekey:", 8) != 0 ||
	    sodium_hex2bin(pub, sizeof(pub), text + 8, strlen(text + 8),
	    NULL, &binlen, NULL) != 0 || binlen != sizeof(pub))
		return (-1);
	k = lg_key64(pub);
	for (h = lg_hash(k); keyidx[h] != 0; h = (h + 1) & tabmask)
		if (keytab[h] == k) {
			/* The first 8 bytes chose it; the rest must agree. */
			if (memcmp(lg.nodes[keyidx[h] - 1].keys.node_pub, pub,
			    sizeof(pub)) != 0)
				return (-1);
			return (keyidx[h] - 1);
		}
	return (-1);
}

static void
lg_id_add(uint64_t id, int idx)
{
	size_t	h;

	for (h = lg_hash(id); ididx[h] != 0; h = (h + 1) & tabmask)
		if (idtab[h] == id)
			return;
	idtab[h] = id;
	ididx[h] = idx + 1;
	lg.nodes[idx].id = id;
}

static int
lg_id_index(uint64_t id)
{
	size_t	h;

	for (h = lg_hash(id); ididx[h] != 0; h = (h + 1) & tabmask)
		if (idtab[h] == id)
			return (ididx[h] - 1);
	return (-1);
}

/* A sample saw change cid of node idx (or a later one of it). */
static void
lg_change_seen(struct lg_view *v, int idx, unsigned cid)
{
	struct lg_change	*c;

	if (cid == 0 || cid > (unsigned)lg.nchanges)
		return;
	c = &lg.changes[cid - 1];
	if (c->node != idx || c->done || c->seen[v->sidx])
		return;
	c->seen[v->sidx] = 1;
	c->last = lg_now();
	if (++c->nseen < c->want)
		return;
	c->done = 1;
	if (lg.nodes[idx].pending == cid)
		lg.nodes[idx].pending = 0;
}

static void
lg_view_endpoints(struct lg_view *v, int idx, json_t *eps)
{
	const char	*s;
	size_t		 i, plen = strlen(LG_CHANGE_EP);
	json_t		*e;

	json_array_foreach(eps, i, e) {
		if ((s = json_string_value(e)) != NULL &&
		    strncmp(s, LG_CHANGE_EP, plen) == 0 && s[plen] == ':')
			lg_change_seen(v, idx, strtoul(s + plen + 1, NULL, 10));
	}
}

static void
lg_view_set(struct lg_view *v, int idx, int on)
{
	if (idx < 0 || idx == v->node->idx || v->present[idx] == on)
		return;
	v->present[idx] = on;
	v->npresent += on ? 1 : -1;
}

/* A full node: Peers or PeersChanged. */
static void
lg_view_peer(struct lg_view *v, json_t *p)
{
	json_int_t	id;
	int		idx;

	id = json_integer_value(json_object_get(p, "ID"));
	if ((idx = lg_index_key(json_string_value(json_object_get(p,
	    "Key")))) == -1)
		return;
	if (id > 0)
		lg_id_add(id, idx);
	lg_view_set(v, idx, 1);
	lg_view_endpoints(v, idx, json_object_get(p, "Endpoints"));
}

static void
lg_view_apply(struct lg_view *v, json_t *m)
{
	json_t		*a, *e;
	json_int_t	 id;
	size_t		 i;
	int		 idx;

	if ((e = json_object_get(m, "Node")) != NULL &&
	    (id = json_integer_value(json_object_get(e, "ID"))) > 0)
		lg_id_add(id, v->node->idx);
	/* A non-empty Peers replaces all, and the deltas beside it. */
	a = json_object_get(m, "Peers");
	if (json_array_size(a) > 0) {
		memset(v->present, 0, lg.n);
		v->npresent = 0;
		json_array_foreach(a, i, e)
			lg_view_peer(v, e);
		return;
	}
	json_array_foreach(json_object_get(m, "PeersRemoved"), i, e)
		lg_view_set(v, lg_id_index(json_integer_value(e)), 0);
	json_array_foreach(json_object_get(m, "PeersChanged"), i, e)
		lg_view_peer(v, e);
	json_array_foreach(json_object_get(m, "PeersChangedPatch"), i, e) {
		idx = lg_id_index(json_integer_value(json_object_get(e,
		    "NodeID")));
		if (idx >= 0)
			lg_view_endpoints(v, idx, json_object_get(e,
			    "Endpoints"));
	}
}

static int
lg_view_frame(void *arg, uint64_t nframe, const char *json, size_t len)
{
	struct lg_view	*v = arg;
	json_t		*m;
	json_error_t	 jerr;

	v->frames++;
	v->bytes += len;
	/* Keep-alives are the most common frame and say nothing. */
	if (len < 32 && strstr(json, "\"KeepAlive\":true") != NULL)
		return (0);
	if ((m = json_loadb(json, len, 0, &jerr)) == NULL) {
		warnx("sample %d: frame %llu: %s", v->node->idx,
		    (unsigned long long)nframe, jerr.text);
		return (-1);
	}
	lg_view_apply(v, m);
	json_decref(m);
	return (0);
}

int
lg_view_init(struct lg_view *v, struct lg_node *n, int sidx)
{
	memset(v, 0, sizeof(*v));
	v->node = n;
	v->sidx = sidx;
	if ((v->present = calloc(lg.n, 1)) == NULL)
		return (-1);
	n->view = v;
	return (tsmap_dec_init(&v->dec, lg_view_frame, v));
}

void
lg_view_free(struct lg_view *v)
{
	free(v->present);
	tsmap_dec_free(&v->dec);
}

/* A new connection: its first map is full, the decoder starts over. */
void
lg_view_reset(struct lg_view *v)
{
	tsmap_dec_free(&v->dec);
	(void)tsmap_dec_init(&v->dec, lg_view_frame, v);
}

int
lg_view_feed(struct lg_view *v, const uint8_t *data, size_t len)
{
	if (tsmap_dec_feed(&v->dec, data, len) == -1) {
		warnx("sample %d: %s", v->node->idx, v->dec.err);
		return (-1);
	}
	return (0);
}

/*
 * A random node of the roaming ones (the last -m, or all) that has its
 * map and no change still on its way.
 */
static struct lg_node *
lg_change_pick(void)
{
	struct lg_node	*n;
	int		 i;

	for (i = 0; i < 64; i++) {
		n = &lg.nodes[lg.n - lg.roam + arc4random_uniform(lg.roam)];
		if (n->state == LG_MAPPING && n->meshing && n->id != 0 &&
		    n->pending == 0 && n->req[LG_REQ_LITE].sid == 0)
			return (n);
	}
	return (NULL);
}

/* One change of the churn; -1 when none could be made. */
int
lg_change_send(void)
{
	struct lg_change	*c;
	struct lg_node		*n;

	if (lg.nchanges >= LG_MAXCHANGES || (n = lg_change_pick()) == NULL)
		return (-1);
	c = &lg.changes[lg.nchanges];
	memset(c, 0, sizeof(*c));
	if ((c->seen = calloc(lg.nsamples, 1)) == NULL)
		return (-1);
	c->node = n->idx;
	c->want = lg.nsamples - (n->view != NULL ? 1 : 0);
	c->sent = lg_now();
	lg.nchanges++;
	if (lg_conn_lite(n, lg.nchanges) == -1) {
		c->done = 1;
		c->lost = 1;
		lg.lost++;
		return (-1);
	}
	n->pending = lg.nchanges;
	return (0);
}

/* Changes that took too long count as lost. */
void
lg_change_expire(double now)
{
	struct lg_change	*c;
	int			 i;

	for (i = 0; i < lg.nchanges; i++) {
		c = &lg.changes[i];
		if (c->done || now - c->sent < LG_CHANGE_TTL)
			continue;
		c->done = 1;
		c->lost = 1;
		lg.lost++;
		if (lg.nodes[c->node].pending == i + 1)
			lg.nodes[c->node].pending = 0;
	}
}

/* Every change is either seen everywhere or lost. */
int
lg_changes_settled(void)
{
	int	i;

	for (i = 0; i < lg.nchanges; i++)
		if (!lg.changes[i].done)
			return (0);
	return (1);
}
