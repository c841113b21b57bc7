/*
 * REST requests' questions to stored and to the coordinator.  stored's
 * records are turned into their JSON shapes as they arrive; its Result
 * ends a request with the matching HTTP status.  The coordinator adds
 * what only it knows of nodes (online, primary routes); when it does
 * not answer in time the nodes are shown offline rather than failing.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apid.h"
#include "log.h"
#include "rest.h"

#include "coordapi.pb-c.h"
#include "store.pb-c.h"

static json_t *
rest_record(struct imsg *imsg)
{
	void	*rec;
	json_t	*j = NULL;

	switch (imsg->hdr.type) {
	case IMSG_STORE_USER:
		if ((rec = pb_unpack(&coordd__user__descriptor, imsg)))
			j = json_user(rec);
		break;
	case IMSG_STORE_PAK:
		if ((rec = pb_unpack(&coordd__pre_auth_key__descriptor, imsg)))
			j = json_preauthkey(rec);
		break;
	case IMSG_STORE_APIKEY:
		if ((rec = pb_unpack(&coordd__api_key__descriptor, imsg)))
			j = ((Coordd__ApiKey *)rec)->key[0] != '\0' ?
			    json_string(((Coordd__ApiKey *)rec)->key) :
			    json_apikey(rec);
		break;
	case IMSG_STORE_NODE:
		if ((rec = pb_unpack(&coordd__node__descriptor, imsg)))
			j = json_node(rec);
		break;
	case IMSG_STORE_POLICY:
		if ((rec = pb_unpack(&coordd__policy__descriptor, imsg)))
			j = json_policy(rec);
		break;
	default:
		return (NULL);
	}
	if (rec == NULL)
		return (NULL);
	/* An API key's full secret is shown once; wipe the record. */
	if (imsg->hdr.type == IMSG_STORE_APIKEY &&
	    ((Coordd__ApiKey *)rec)->key != NULL)
		explicit_bzero(((Coordd__ApiKey *)rec)->key,
		    strlen(((Coordd__ApiKey *)rec)->key));
	pb_free(rec);
	return (j);
}

static void
rest_store_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct rest_req	*r = arg;
	json_t		*j;
	char		 err[512];
	int		 st;

	if (imsg == NULL)
		return (rest_error(r, 503, "no answer from stored"));
	switch (imsg->hdr.type) {
	case IMSG_DONE:
		return (r->next(r));
	case IMSG_RESULT:
		if (pb_result(imsg, &st, err, sizeof(err)) == -1)
			return (rest_error(r, 500, "bad answer from stored"));
		if (st == CTL_ERR_NOTFOUND && r->notfound != 0)
			return (rest_error(r, r->notfound, "%s", err));
		if (st != CTL_OK)
			return (rest_error_ctl(r, st, err));
		return (r->next(r));
	default:
		if ((j = rest_record(imsg)) == NULL) {
			log_warnx("rest: reply %u from stored does not parse",
			    imsg->hdr.type);
			return;
		}
		if (json_array_size(r->items) < REST_MAX_LIST)
			json_array_append_new(r->items, j);
		else
			json_decref(j);
	}
}

/*
 * Ask stored; key names the records in the answer.  next runs after
 * a DONE or a successful Result; a failed Result answers by itself.
 */
void
rest_store(struct rest_req *r, uint32_t type, const ProtobufCMessage *m,
    const char *key, rest_step next)
{
	if (apid_env->store == NULL)
		return (rest_error(r, 503, "stored is not available"));
	json_decref(r->items);
	if ((r->items = json_array()) == NULL)
		return (rest_error(r, 500, "out of memory"));
	r->key = key;
	r->next = next;
	if (imsgev_request(apid_env->store, type, -1, m,
	    REST_STORE_TIMEOUT_MS, rest_store_cb, r) == -1)
		rest_error(r, 503, "cannot reach stored");
}

void
rest_reply_list(struct rest_req *r)
{
	rest_reply(r, json_pack("{s:O}", r->key, r->items));
}

void
rest_reply_one(struct rest_req *r)
{
	json_t	*j = json_array_get(r->items, 0);

	if (j == NULL)
		return (rest_error(r, 404, "not found"));
	rest_reply(r, json_pack("{s:O}", r->key, j));
}

void
rest_reply_empty(struct rest_req *r)
{
	rest_reply(r, json_object());
}

/* The node JSON with this id among r->items, or NULL. */
static json_t *
rest_items_node(struct rest_req *r, uint64_t id)
{
	json_t	*n;
	size_t	 i;
	char	 buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)id);
	json_array_foreach(r->items, i, n)
		if (strcmp(json_string_value(json_object_get(n, "id")),
		    buf) == 0)
			return (n);
	return (NULL);
}

static void
rest_state_apply(struct rest_req *r, struct imsg *imsg)
{
	Coordd__NodeStates	*m;
	json_t			*n, *routes;
	size_t			 i, j;

	if ((m = pb_unpack(&coordd__node_states__descriptor, imsg)) == NULL)
		return;
	for (i = 0; i < m->n_states; i++) {
		if ((n = rest_items_node(r, m->states[i]->id)) == NULL)
			continue;
		json_object_set_new(n, "online",
		    json_boolean(m->states[i]->online));
		routes = json_array();
		for (j = 0; j < m->states[i]->n_primary_routes; j++)
			json_array_append_new(routes, json_string(
			    m->states[i]->primary_routes[j]));
		json_object_set_new(n, "subnetRoutes", routes);
	}
	pb_free(m);
}

static void
rest_state_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct rest_req	*r = arg;

	if (imsg != NULL && imsg->hdr.type == IMSG_API_NODE_STATES) {
		rest_state_apply(r, imsg);
		return;
	}
	if (imsg == NULL)
		log_debug("rest: no node state from the coordinator");
	r->next(r);
}

/* Fill in online and subnetRoutes of the nodes in r->items. */
void
rest_nodes_state(struct rest_req *r, rest_step next)
{
	Coordd__NodeStateQuery	 q = COORDD__NODE_STATE_QUERY__INIT;
	struct imsgev		*coord = apid_env->coord;
	uint64_t		 ids[64];
	json_t			*n;
	size_t			 i;

	r->next = next;
	if (coord == NULL || coord->closed || json_array_size(r->items) == 0)
		return (next(r));
	/* A few nodes by id; many: all of them, in one answer. */
	if (json_array_size(r->items) <= nitems(ids)) {
		json_array_foreach(r->items, i, n)
			rest_parse_id(json_string_value(json_object_get(n,
			    "id")), &ids[i]);
		q.ids = ids;
		q.n_ids = json_array_size(r->items);
	}
	if (imsgev_request(coord, IMSG_API_NODE_STATE, -1, &q.base,
	    REST_COORD_TIMEOUT_MS, rest_state_cb, r) == -1)
		next(r);
}
