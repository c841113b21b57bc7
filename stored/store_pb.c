/* Database records as protobuf-c messages; strings point into the record. */
#include <stdint.h>
#include <string.h>

#include "db.h"
#include "stored.h"

void
store_pb_user(const struct db_user *u, Coordd__User *m)
{
	coordd__user__init(m);
	m->id = u->id;
	m->name = (char *)u->name;
	m->display_name = (char *)u->display_name;
	m->email = (char *)u->email;
	m->provider_id = (char *)u->provider_identifier;
	m->provider = (char *)u->provider;
	m->profile_pic_url = (char *)u->profile_pic_url;
	m->created_at = u->created_at;
}

/* tagv must hold DB_TAGS_MAX pointers. */
void
store_pb_preauthkey(const struct db_preauthkey *k, Coordd__PreAuthKey *m,
    char **tagv)
{
	size_t	i;

	coordd__pre_auth_key__init(m);
	m->id = k->id;
	m->user_id = k->user_id;
	m->user_name = (char *)k->user_name;
	m->key = (char *)k->display;
	m->reusable = k->reusable;
	m->ephemeral = k->ephemeral;
	m->used = k->used;
	m->expiration = k->expiration;
	m->created_at = k->created_at;
	for (i = 0; i < k->ntags && i < DB_TAGS_MAX; i++)
		tagv[i] = (char *)k->tags[i];
	m->tags = tagv;
	m->n_tags = i;
}

void
store_pb_apikey(const struct db_apikey *k, Coordd__ApiKey *m)
{
	coordd__api_key__init(m);
	m->id = k->id;
	m->prefix = (char *)k->display;
	m->key = "";
	m->expiration = k->expiration;
	m->created_at = k->created_at;
	m->last_seen = k->last_seen;
}

/*
 * tagv must hold DB_TAGS_MAX pointers, epv DB_NODE_PTRS: the endpoints,
 * then the approved routes.
 */
void
store_pb_node(const struct db_node *n, Coordd__Node *m, char **tagv,
    char **epv)
{
	size_t	i;

	coordd__node__init(m);
	m->id = n->id;
	m->user_id = n->user_id;
	m->hostname = (char *)n->hostname;
	m->given_name = (char *)n->given_name;
	m->machine_key = (char *)n->machine_key;
	m->node_key = (char *)n->node_key;
	m->ipv4 = (char *)n->ipv4;
	m->ipv6 = (char *)n->ipv6;
	m->expiry = n->expiry;
	m->disco_key = (char *)n->disco_key;
	m->register_method = (char *)n->register_method;
	m->auth_key_id = n->auth_key_id;
	m->created_at = n->created_at;
	m->updated_at = n->updated_at;
	for (i = 0; i < n->ntags && i < DB_TAGS_MAX; i++)
		tagv[i] = (char *)n->tags[i];
	m->tags = tagv;
	m->n_tags = i;
	for (i = 0; i < n->nendpoints && i < DB_ENDPOINTS_MAX; i++)
		epv[i] = (char *)n->endpoints[i];
	m->endpoints = epv;
	m->n_endpoints = i;
	for (i = 0; i < n->nroutes && i < DB_ROUTES_MAX; i++)
		epv[m->n_endpoints + i] = (char *)n->routes[i];
	m->approved_routes = epv + m->n_endpoints;
	m->n_approved_routes = i;
	m->host_info = (char *)n->host_info;
	m->last_seen = n->last_seen;
	m->ephemeral = n->ephemeral;
}

/* enum db_status to enum ctl_status. */
int
store_status(int st)
{
	switch (st) {
	case DB_OK:
		return (CTL_OK);
	case DB_NOTFOUND:
		return (CTL_ERR_NOTFOUND);
	case DB_EXISTS:
		return (CTL_ERR_EXISTS);
	case DB_INVALID:
		return (CTL_ERR_INVALID);
	default:
		return (CTL_ERR_INTERNAL);
	}
}
