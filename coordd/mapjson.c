/*
 * The JSON of map responses (spec section 7).  A node's JSON as peers
 * see it is built once per change and cached in the replica; full maps
 * and deltas are assembled from those pieces as text, so a map for N
 * peers costs N copies, not N serialisations.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "compat.h"
#include "config.h"
#include "coordinator.h"
#include "log.h"
#include "map.h"
#include "routes.h"
#include "util.h"

#define GO_ZERO_TIME	"0001-01-01T00:00:00Z"
#define EMPTY_DERPMAP	"{\"Regions\":{}}"
/* Until the policy engine: everyone may reach everyone. */
#define ALLOW_ALL_FILTER \
	"[{\"SrcIPs\":[\"*\"],\"DstPorts\":[{\"IP\":\"*\"," \
	"\"Ports\":{\"First\":0,\"Last\":65535}}]}]"

/* A peer with no disco key is ignored by clients: send it once known. */
int
mapjson_peer_visible(const struct replica_node *n)
{
	return (n->disco_key[0] != '\0');
}

static json_t *
json_time(int64_t t)
{
	char	buf[64];

	if (t <= 0)
		return (json_string(GO_ZERO_TIME));
	return (json_string(time_rfc3339((time_t)t, buf, sizeof(buf))));
}

static json_t *
json_strv(char **v, size_t n)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return (a);
}

/* The MagicDNS name, with the trailing dot clients expect. */
static json_t *
node_fqdn(struct coord *c, const struct replica_node *n)
{
	const char	*base = c->conf != NULL ? c->conf->dns_base_domain : NULL;
	char		 buf[512];

	if (base != NULL && *base != '\0')
		snprintf(buf, sizeof(buf), "%s.%s.", n->given_name, base);
	else
		snprintf(buf, sizeof(buf), "%s", n->given_name);
	return (json_string(buf));
}

static json_t *
node_addresses(const struct replica_node *n)
{
	json_t	*a;
	char	 buf[80];

	if ((a = json_array()) == NULL)
		return (NULL);
	if (n->ipv4[0] != '\0') {
		snprintf(buf, sizeof(buf), "%s/32", n->ipv4);
		json_array_append_new(a, json_string(buf));
	}
	if (n->ipv6[0] != '\0') {
		snprintf(buf, sizeof(buf), "%s/128", n->ipv6);
		json_array_append_new(a, json_string(buf));
	}
	return (a);
}

/*
 * Addresses, then the subnet routes peers reach through this node (it
 * is their primary) and the exit routes it serves.
 */
static json_t *
node_allowed_ips(struct coord *c, const struct replica_node *n)
{
	const char	*v[ROUTES_MAX];
	json_t		*a;
	size_t		 i, k;

	a = node_addresses(n);
	k = routes_primary(&c->routes, n, v, nitems(v));
	k += routes_exit(n, v + k, nitems(v) - k);
	for (i = 0; i < k; i++)
		json_array_append_new(a, json_string(v[i]));
	return (a);
}

static json_t *
node_primary_routes(struct coord *c, const struct replica_node *n)
{
	const char	*v[ROUTES_MAX];
	json_t		*a;
	size_t		 i, k;

	a = json_array();
	k = routes_primary(&c->routes, n, v, nitems(v));
	for (i = 0; i < k; i++)
		json_array_append_new(a, json_string(v[i]));
	return (a);
}

static json_t *
node_hostinfo(const struct replica_node *n)
{
	json_t	*hi;

	if (n->host_info[0] == '\0' ||
	    (hi = json_loads(n->host_info, 0, NULL)) == NULL ||
	    !json_is_object(hi)) {
		hi = json_object();
		json_object_set_new(hi, "Hostname", json_string(n->hostname));
	}
	return (hi);
}

static json_t *
node_build(struct coord *c, const struct replica_node *n)
{
	json_t	*o;
	char	 sid[32];
	int64_t	 now = time(NULL);

	snprintf(sid, sizeof(sid), "%" PRIu64, n->id);
	o = json_object();
	json_object_set_new(o, "ID", json_integer((json_int_t)n->id));
	json_object_set_new(o, "StableID", json_string(sid));
	json_object_set_new(o, "Name", node_fqdn(c, n));
	json_object_set_new(o, "User", json_integer(n->user_id != 0 ?
	    (json_int_t)n->user_id : MAP_TAGGED_USER_ID));
	json_object_set_new(o, "Key", json_string(n->node_key));
	json_object_set_new(o, "KeyExpiry", json_time(n->expiry));
	json_object_set_new(o, "Machine", json_string(n->machine_key));
	json_object_set_new(o, "DiscoKey", json_string(n->disco_key));
	json_object_set_new(o, "Addresses", node_addresses(n));
	json_object_set_new(o, "AllowedIPs", node_allowed_ips(c, n));
	json_object_set_new(o, "Endpoints",
	    json_strv(n->endpoints, n->nendpoints));
	if (n->home_derp > 0)
		json_object_set_new(o, "HomeDERP",
		    json_integer(n->home_derp));
	json_object_set_new(o, "Hostinfo", node_hostinfo(n));
	json_object_set_new(o, "Created", json_time(n->created_at));
	if (n->cap > 0)
		json_object_set_new(o, "Cap", json_integer(n->cap));
	if (n->ntags > 0)
		json_object_set_new(o, "Tags", json_strv(n->tags, n->ntags));
	json_object_set_new(o, "PrimaryRoutes", node_primary_routes(c, n));
	json_object_set_new(o, "Online", json_boolean(n->online));
	if (!n->online && n->last_seen > 0)
		json_object_set_new(o, "LastSeen", json_time(n->last_seen));
	json_object_set_new(o, "MachineAuthorized", json_true());
	if (n->expiry > 0 && n->expiry <= now)
		json_object_set_new(o, "Expired", json_true());
	return (o);
}

/* The node as peers (and itself) see it; cached until it changes. */
const char *
mapjson_node(struct coord *c, struct replica_node *n)
{
	json_t	*o;

	if (n->json != NULL)
		return (n->json);
	if ((o = node_build(c, n)) == NULL ||
	    (n->json = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(o);
	/* Never reused, unlike an address: cached blocks check it. */
	n->json_gen = ++c->json_gen;
	return (n->json);
}

static void
user_profile(struct evbuffer *b, const struct replica_user *u)
{
	json_t		*o;
	char		*s;
	const char	*login, *display;

	login = u->email[0] != '\0' ? u->email : u->name;
	display = u->display_name[0] != '\0' ? u->display_name : u->name;
	o = json_pack("{s:I, s:s, s:s, s:s}", "ID", (json_int_t)u->id,
	    "LoginName", login, "DisplayName", display,
	    "ProfilePicURL", u->picture_url);
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	evbuffer_add(b, s, strlen(s));
	free(s);
	json_decref(o);
}

#define TAGGED_PROFILE \
	"{\"ID\":2147455555,\"LoginName\":\"tagged-devices\"," \
	"\"DisplayName\":\"Tagged Devices\",\"ProfilePicURL\":\"\"}"

/* Profiles of every user, and of the tagged-devices owner. */
static void
user_profiles_all(struct coord *c, struct evbuffer *b)
{
	struct replica_user	*u;

	evbuffer_add_printf(b, "\"UserProfiles\":[%s", TAGGED_PROFILE);
	RB_FOREACH(u, replica_users, &c->replica.users) {
		evbuffer_add(b, ",", 1);
		user_profile(b, u);
	}
	evbuffer_add(b, "]", 1);
}

/*
 * ",\"UserProfiles\":[...]" for the owners of nodes that peers hear of
 * (they may be new to them), each once.
 */
void
mapjson_user_profiles(struct coord *c, struct evbuffer *b,
    const uint64_t *ids, size_t n)
{
	struct replica_user	*u;
	size_t			 i, j;
	int			 tagged = 0, first = 1;

	evbuffer_add(b, ",\"UserProfiles\":[", 17);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && ids[j] != ids[i]; j++)
			;
		if (j < i)
			continue;
		if ((u = replica_user_get(&c->replica, ids[i])) == NULL) {
			tagged = 1;
			continue;
		}
		if (!first)
			evbuffer_add(b, ",", 1);
		first = 0;
		user_profile(b, u);
	}
	if (tagged)
		evbuffer_add_printf(b, "%s%s", first ? "" : ",",
		    TAGGED_PROFILE);
	evbuffer_add(b, "]", 1);
}

/* The buffer's text, NUL-terminated, and the buffer freed. */
char *
mapjson_take(struct evbuffer *b, size_t *len)
{
	char	*s;

	*len = evbuffer_get_length(b);
	if ((s = malloc(*len + 1)) == NULL)
		fatal("%s", __func__);
	evbuffer_remove(b, s, *len);
	s[*len] = '\0';
	evbuffer_free(b);
	return (s);
}

static void
add_string_field(struct evbuffer *b, const char *name, const char *value)
{
	json_t	*v;
	char	*s;

	if ((v = json_string(value)) == NULL ||
	    (s = json_dumps(v, JSON_ENCODE_ANY)) == NULL)
		fatalx("%s: out of memory", __func__);
	evbuffer_add_printf(b, ",\"%s\":%s", name, s);
	free(s);
	json_decref(v);
}

/*
 * The first message of a session, all but its peers: it ends in
 * "Peers":[ so that the peers, and "]}", follow (mapblock.c).
 */
static void
full_head(struct coord *c, struct replica_node *self, struct evbuffer *b)
{
	const char	*derp, *dns, *base;
	char		 now[64];

	evbuffer_add_printf(b, "{\"Node\":%s", mapjson_node(c, self));
	derp = c->conf != NULL && c->conf->derp_map_json != NULL ?
	    c->conf->derp_map_json : EMPTY_DERPMAP;
	evbuffer_add_printf(b, ",\"DERPMap\":%s", derp);
	dns = c->conf != NULL ? c->conf->dns_config_json : NULL;
	if (dns != NULL)
		evbuffer_add_printf(b, ",\"DNSConfig\":%s", dns);
	base = c->conf != NULL ? c->conf->dns_base_domain : NULL;
	if (base != NULL && *base != '\0')
		add_string_field(b, "Domain", base);
	evbuffer_add_printf(b, ",\"CollectServices\":false"
	    ",\"PacketFilter\":%s,", ALLOW_ALL_FILTER);
	user_profiles_all(c, b);
	evbuffer_add_printf(b, ",\"ControlTime\":\"%s\""
	    ",\"Debug\":{\"DisableLogTail\":true},\"Peers\":[",
	    time_rfc3339(time(NULL), now, sizeof(now)));
}

char *
mapjson_full_head(struct coord *c, struct replica_node *self, size_t *len)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	full_head(c, self, b);
	return (mapjson_take(b, len));
}

/* The whole first message as one text, for one-shot answers. */
char *
mapjson_full(struct coord *c, struct replica_node *self, size_t *len)
{
	struct evbuffer		*b;
	struct replica_node	*n;
	int			 first = 1;

	if ((b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	full_head(c, self, b);
	RB_FOREACH(n, replica_nodes, &c->replica.nodes) {
		if (n == self || !mapjson_peer_visible(n))
			continue;
		if (!first)
			evbuffer_add(b, ",", 1);
		first = 0;
		evbuffer_add_printf(b, "%s", mapjson_node(c, n));
	}
	evbuffer_add(b, "]}", 2);
	return (mapjson_take(b, len));
}

/*
 * A delta naming one node in full: "PeersChanged" for peers, "Node" for
 * itself; peers also get the owner's profile, which may be new to them.
 */
char *
mapjson_node_delta(struct coord *c, const char *field,
    struct replica_node *n, size_t *len)
{
	struct evbuffer		*b;
	int			 peers = strcmp(field, "PeersChanged") == 0;

	if ((b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	evbuffer_add_printf(b, peers ? "{\"%s\":[%s]" : "{\"%s\":%s", field,
	    mapjson_node(c, n));
	if (peers)
		mapjson_user_profiles(c, b, &n->user_id, 1);
	evbuffer_add(b, "}", 1);
	return (mapjson_take(b, len));
}

static int
strv_equal(char **a, size_t na, char **b, size_t nb)
{
	size_t	i;

	if (na != nb)
		return (0);
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return (0);
	return (1);
}

/*
 * A PeersChangedPatch element for what a map request changes often:
 * endpoints, home DERP and disco key.  NULL when none of them changed.
 */
char *
mapjson_patch(struct replica_node *old, struct replica_node *new)
{
	json_t	*p;
	char	*s;

	p = json_pack("{s:I}", "NodeID", (json_int_t)new->id);
	if (!strv_equal(old->endpoints, old->nendpoints, new->endpoints,
	    new->nendpoints))
		json_object_set_new(p, "Endpoints",
		    json_strv(new->endpoints, new->nendpoints));
	if (old->home_derp != new->home_derp && new->home_derp > 0)
		json_object_set_new(p, "DERPRegion",
		    json_integer(new->home_derp));
	if (strcmp(old->disco_key, new->disco_key) != 0)
		json_object_set_new(p, "DiscoKey",
		    json_string(new->disco_key));
	if (json_object_size(p) == 1) {
		json_decref(p);
		return (NULL);
	}
	if ((s = json_dumps(p, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(p);
	return (s);
}
