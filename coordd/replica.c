/* The coordinator's replica of the tailnet. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "replica.h"
#include "routes.h"

int
replica_user_cmp(struct replica_user *a, struct replica_user *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_GENERATE(replica_users, replica_user, entry, replica_user_cmp);

int
replica_node_cmp(struct replica_node *a, struct replica_node *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_GENERATE(replica_nodes, replica_node, entry, replica_node_cmp);

int
replica_nodekey_cmp(struct replica_node *a, struct replica_node *b)
{
	return (strcmp(a->node_key, b->node_key));
}

RB_GENERATE(replica_nodekeys, replica_node, nodekey_entry,
    replica_nodekey_cmp);

int
replica_mkey_cmp(struct replica_node *a, struct replica_node *b)
{
	return (strcmp(a->machine_key, b->machine_key));
}

RB_GENERATE(replica_mkeys, replica_node, mkey_entry, replica_mkey_cmp);

static void
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **
strv_dup(char **v, size_t n)
{
	char	**out;
	size_t	  i;

	if (n == 0)
		return (NULL);
	if ((out = calloc(n, sizeof(*out))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		if ((out[i] = strdup(v[i])) == NULL) {
			strv_free(out, i);
			return (NULL);
		}
	return (out);
}

void
replica_node_free(struct replica_node *n)
{
	if (n == NULL)
		return;
	free(n->node_key);
	free(n->machine_key);
	free(n->disco_key);
	free(n->hostname);
	free(n->given_name);
	free(n->ipv4);
	free(n->ipv6);
	free(n->host_info);
	strv_free(n->endpoints, n->nendpoints);
	strv_free(n->tags, n->ntags);
	strv_free(n->routes, n->nroutes);
	strv_free(n->approved, n->napproved);
	free(n->json);
	free(n);
}

static void
replica_user_free(struct replica_user *u)
{
	free(u->name);
	free(u->display_name);
	free(u->email);
	free(u->picture_url);
	free(u);
}

void
replica_init(struct replica *r)
{
	memset(r, 0, sizeof(*r));
	RB_INIT(&r->users);
	RB_INIT(&r->nodes);
	RB_INIT(&r->by_nodekey);
	RB_INIT(&r->by_mkey);
}

void
replica_clear(struct replica *r)
{
	struct replica_user	*u;
	struct replica_node	*n;

	while ((n = RB_MIN(replica_nodes, &r->nodes)) != NULL)
		replica_node_free(replica_node_detach(r, n->id));
	while ((u = RB_MIN(replica_users, &r->users)) != NULL) {
		RB_REMOVE(replica_users, &r->users, u);
		replica_user_free(u);
	}
	replica_init(r);
}

static char *
str_or_empty(const char *s)
{
	return (strdup(s != NULL ? s : ""));
}

/* Insert or update; -1 only when out of memory. */
int
replica_user_put(struct replica *r, const Coordd__User *m)
{
	struct replica_user	*u, *old;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return (-1);
	u->id = m->id;
	if ((u->name = str_or_empty(m->name)) == NULL ||
	    (u->display_name = str_or_empty(m->display_name)) == NULL ||
	    (u->email = str_or_empty(m->email)) == NULL ||
	    (u->picture_url = str_or_empty(m->profile_pic_url)) == NULL) {
		replica_user_free(u);
		return (-1);
	}
	if ((old = RB_FIND(replica_users, &r->users, u)) != NULL) {
		RB_REMOVE(replica_users, &r->users, old);
		replica_user_free(old);
		r->nusers--;
	}
	RB_INSERT(replica_users, &r->users, u);
	r->nusers++;
	return (0);
}

void
replica_user_del(struct replica *r, uint64_t id)
{
	struct replica_user	*u;

	if ((u = replica_user_get(r, id)) == NULL)
		return;
	RB_REMOVE(replica_users, &r->users, u);
	replica_user_free(u);
	r->nusers--;
}

struct replica_user *
replica_user_get(struct replica *r, uint64_t id)
{
	struct replica_user	key;

	key.id = id;
	return (RB_FIND(replica_users, &r->users, &key));
}

/*
 * Take change seq.  A gap or a step back means the stream is broken;
 * -1 tells the caller to resubscribe for a fresh snapshot.
 */
int
replica_advance(struct replica *r, uint64_t seq)
{
	if (seq <= r->seq) {
		log_warnx("change %llu is not after %llu",
		    (unsigned long long)seq, (unsigned long long)r->seq);
		return (-1);
	}
	r->seq = seq;
	return (0);
}

struct replica_node *
replica_node_get(struct replica *r, uint64_t id)
{
	struct replica_node	key;

	key.id = id;
	return (RB_FIND(replica_nodes, &r->nodes, &key));
}

struct replica_node *
replica_node_by_nodekey(struct replica *r, const char *nodekey)
{
	struct replica_node	key;

	key.node_key = (char *)nodekey;
	return (RB_FIND(replica_nodekeys, &r->by_nodekey, &key));
}

struct replica_node *
replica_node_by_mkey(struct replica *r, const char *mkey)
{
	struct replica_node	key;

	key.machine_key = (char *)mkey;
	return (RB_FIND(replica_mkeys, &r->by_mkey, &key));
}

/*
 * What the client's Hostinfo tells: its home DERP region
 * (NetInfo.PreferredDERP) and the routes it advertises (RoutableIPs).
 */
static void
replica_hostinfo(struct replica_node *n)
{
	json_t		*doc, *v;
	json_int_t	 derp = 0;

	if (n->host_info[0] == '\0' ||
	    (doc = json_loads(n->host_info, 0, NULL)) == NULL)
		return;
	v = json_object_get(json_object_get(doc, "NetInfo"), "PreferredDERP");
	if (json_is_integer(v))
		derp = json_integer_value(v);
	n->home_derp = derp > 0 && derp < 1 << 30 ? (int)derp : 0;
	n->routes = routes_from_json(json_object_get(doc, "RoutableIPs"),
	    &n->nroutes);
	json_decref(doc);
}

static struct replica_node *
replica_node_new(const Coordd__Node *m)
{
	struct replica_node	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return (NULL);
	n->id = m->id;
	n->user_id = m->user_id;
	n->expiry = m->expiry;
	n->created_at = m->created_at;
	n->last_seen = m->last_seen;
	n->ephemeral = m->ephemeral;
	n->nendpoints = m->n_endpoints;
	n->ntags = m->n_tags;
	if ((n->node_key = str_or_empty(m->node_key)) == NULL ||
	    (n->machine_key = str_or_empty(m->machine_key)) == NULL ||
	    (n->disco_key = str_or_empty(m->disco_key)) == NULL ||
	    (n->hostname = str_or_empty(m->hostname)) == NULL ||
	    (n->given_name = str_or_empty(m->given_name)) == NULL ||
	    (n->ipv4 = str_or_empty(m->ipv4)) == NULL ||
	    (n->ipv6 = str_or_empty(m->ipv6)) == NULL ||
	    (n->host_info = str_or_empty(m->host_info)) == NULL ||
	    (m->n_endpoints > 0 && (n->endpoints = strv_dup(m->endpoints,
	    m->n_endpoints)) == NULL) ||
	    (m->n_tags > 0 && (n->tags = strv_dup(m->tags, m->n_tags)) ==
	    NULL)) {
		if (n->endpoints == NULL)
			n->nendpoints = 0;
		if (n->tags == NULL)
			n->ntags = 0;
		replica_node_free(n);
		return (NULL);
	}
	replica_hostinfo(n);
	n->approved = routes_canon_list(m->approved_routes,
	    m->n_approved_routes, &n->napproved);
	return (n);
}

static void
replica_index(struct replica *r, struct replica_node *n)
{
	if (RB_INSERT(replica_nodes, &r->nodes, n) != NULL)
		fatalx("%s: node %llu twice", __func__,
		    (unsigned long long)n->id);
	/* stored keeps the keys unique; a clash would be a bug there. */
	if (RB_INSERT(replica_nodekeys, &r->by_nodekey, n) != NULL)
		log_warnx("node %llu: node key %s is another node's",
		    (unsigned long long)n->id, n->node_key);
	if (RB_INSERT(replica_mkeys, &r->by_mkey, n) != NULL)
		log_warnx("node %llu: machine key %s is another node's",
		    (unsigned long long)n->id, n->machine_key);
	r->nnodes++;
}

/* Take the node out of the replica; the caller frees it. */
struct replica_node *
replica_node_detach(struct replica *r, uint64_t id)
{
	struct replica_node	*n;

	if ((n = replica_node_get(r, id)) == NULL)
		return (NULL);
	RB_REMOVE(replica_nodes, &r->nodes, n);
	if (RB_FIND(replica_nodekeys, &r->by_nodekey, n) == n)
		RB_REMOVE(replica_nodekeys, &r->by_nodekey, n);
	if (RB_FIND(replica_mkeys, &r->by_mkey, n) == n)
		RB_REMOVE(replica_mkeys, &r->by_mkey, n);
	r->nnodes--;
	return (n);
}

/*
 * Insert or replace.  The replaced node, detached, goes to *oldp for
 * the caller to compare and free (or is freed when oldp is NULL); the
 * coordinator's own state moves to the new one.  -1 only when out of
 * memory.
 */
int
replica_node_put(struct replica *r, const Coordd__Node *m,
    struct replica_node **oldp)
{
	struct replica_node	*n, *old;

	if (oldp != NULL)
		*oldp = NULL;
	if ((n = replica_node_new(m)) == NULL)
		return (-1);
	if ((old = replica_node_detach(r, m->id)) != NULL) {
		n->cap = old->cap;
		n->online = old->online;
		n->offline_since = old->offline_since;
		n->gc_asked = old->gc_asked;
		n->session = old->session;
		old->session = NULL;
	}
	replica_index(r, n);
	if (oldp != NULL)
		*oldp = old;
	else
		replica_node_free(old);
	return (0);
}
