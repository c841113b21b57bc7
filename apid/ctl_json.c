/*
 * Records as JSON in the REST API's shapes (headscale v0.29.2 protojson):
 * camelCase names, 64-bit ids as strings, RFC 3339 times, unset
 * times as null.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "apid.h"
#include "util.h"

#include "store.pb-c.h"
#include "types.pb-c.h"

static json_t *
json_id(uint64_t id)
{
	char	buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, id);
	return (json_string(buf));
}

static json_t *
json_ts(int64_t t)
{
	char	buf[64];

	if (t <= 0)
		return (json_null());
	return (json_string(time_rfc3339((time_t)t, buf, sizeof(buf))));
}

static json_t *
json_str(const char *s)
{
	return (json_string(s != NULL ? s : ""));
}

json_t *
json_user(const void *arg)
{
	const Coordd__User	*u = arg;

	return (json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", json_id(u->id),
	    "name", json_str(u->name),
	    "createdAt", json_ts(u->created_at),
	    "displayName", json_str(u->display_name),
	    "email", json_str(u->email),
	    "providerId", json_str(u->provider_id),
	    "provider", json_str(u->provider),
	    "profilePicUrl", json_str(u->profile_pic_url)));
}

json_t *
json_preauthkey(const void *arg)
{
	const Coordd__PreAuthKey	*k = arg;
	json_t				*tags;
	size_t				 i;

	tags = json_array();
	for (i = 0; i < k->n_tags; i++)
		json_array_append_new(tags, json_str(k->tags[i]));
	return (json_pack("{s:o, s:o, s:o, s:b, s:b, s:b, s:o, s:o, s:o}",
	    "user", k->user != NULL ? json_user(k->user) : json_null(),
	    "id", json_id(k->id),
	    "key", json_str(k->key),
	    "reusable", k->reusable,
	    "ephemeral", k->ephemeral,
	    "used", k->used,
	    "expiration", json_ts(k->expiration),
	    "createdAt", json_ts(k->created_at),
	    "aclTags", tags));
}

json_t *
json_apikey(const void *arg)
{
	const Coordd__ApiKey	*k = arg;

	return (json_pack("{s:o, s:o, s:o, s:o, s:o}",
	    "id", json_id(k->id),
	    "prefix", json_str(k->prefix),
	    "expiration", json_ts(k->expiration),
	    "createdAt", json_ts(k->created_at),
	    "lastSeen", json_ts(k->last_seen)));
}

static json_t *
json_strv(char **v, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_str(v[i]));
	return (a);
}

/* The routes a node advertises: RoutableIPs of its last Hostinfo. */
static json_t *
json_advertised(const char *hostinfo)
{
	json_t	*hi, *ips, *a, *e;
	size_t	 i;

	a = json_array();
	if (hostinfo == NULL || hostinfo[0] == '\0' ||
	    (hi = json_loads(hostinfo, 0, NULL)) == NULL)
		return (a);
	ips = json_object_get(hi, "RoutableIPs");
	json_array_foreach(ips, i, e)
		if (json_is_string(e))
			json_array_append(a, e);
	json_decref(hi);
	return (a);
}

static const char *
json_regmethod(const char *m)
{
	if (m == NULL)
		return ("REGISTER_METHOD_UNSPECIFIED");
	if (strcmp(m, "authkey") == 0)
		return ("REGISTER_METHOD_AUTH_KEY");
	if (strcmp(m, "cli") == 0)
		return ("REGISTER_METHOD_CLI");
	if (strcmp(m, "oidc") == 0)
		return ("REGISTER_METHOD_OIDC");
	return ("REGISTER_METHOD_UNSPECIFIED");
}

json_t *
json_node(const void *arg)
{
	const Coordd__Node	*n = arg;
	json_t			*ips, *tags, *o;
	size_t			 i;

	ips = json_array();
	if (n->ipv4 != NULL && n->ipv4[0] != '\0')
		json_array_append_new(ips, json_string(n->ipv4));
	if (n->ipv6 != NULL && n->ipv6[0] != '\0')
		json_array_append_new(ips, json_string(n->ipv6));
	tags = json_array();
	for (i = 0; i < n->n_tags; i++)
		json_array_append_new(tags, json_str(n->tags[i]));
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:s, s:o, s:b}",
	    "id", json_id(n->id),
	    "machineKey", json_str(n->machine_key),
	    "nodeKey", json_str(n->node_key),
	    "discoKey", json_str(n->disco_key),
	    "ipAddresses", ips,
	    "name", json_str(n->hostname),
	    "user", n->user != NULL ? json_user(n->user) : json_null(),
	    "lastSeen", json_ts(n->last_seen),
	    "expiry", json_ts(n->expiry),
	    "preAuthKey", json_null(),
	    "createdAt", json_ts(n->created_at),
	    "registerMethod", json_regmethod(n->register_method),
	    "givenName", json_str(n->given_name),
	    "online", 0);
	if (o == NULL) {
		json_decref(tags);
		return (NULL);
	}
	json_object_set_new(o, "approvedRoutes", json_strv(
	    n->approved_routes, n->n_approved_routes));
	json_object_set_new(o, "availableRoutes", json_advertised(n->host_info));
	json_object_set_new(o, "subnetRoutes", json_array());
	json_object_set_new(o, "tags", tags);
	return (o);
}

json_t *
json_policy(const void *arg)
{
	const Coordd__Policy	*p = arg;

	return (json_pack("{s:o, s:o}",
	    "policy", json_str(p->data),
	    "updatedAt", json_ts(p->updated_at)));
}
