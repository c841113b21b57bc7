/*
 * What apid asks of the coordinator, because only the coordinator
 * knows it: pending interactive registrations (an admin completes one
 * with `coordctl nodes register`) and the runtime state of nodes
 * (online, the routes they serve).  Both answers end with IMSG_DONE so
 * that apid's request is over.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "coordinator.h"
#include "log.h"

#include "coordapi.pb-c.h"

#define API_STATES_CHUNK	(32 * 1024)	/* bytes per NodeStates */

/* An AuthRegister waiting for stored: apid's request id. */
struct api_reg {
	uint32_t	pr_peerid;
	char		pr_id[AUTHREQ_ID_LEN + 1];
};

static void
api_reply_register(struct coord *c, uint32_t peerid, int status,
    const char *err, const Coordd__Node *n)
{
	Coordd__AuthRegisterReply	 rep;
	struct imsgev			*iev = c->peers[PROC_API];
	struct imsg			 req;

	if (iev == NULL) {
		log_warnx("register: apid is gone, its answer is lost");
		return;
	}
	coordd__auth_register_reply__init(&rep);
	memset(&req, 0, sizeof(req));
	req.hdr.peerid = peerid;
	rep.status = status;
	rep.error = (char *)(err != NULL ? err : "");
	rep.node = (Coordd__Node *)n;
	if (imsgev_reply_pb(iev, &req, IMSG_API_AUTH_REGISTER_REPLY,
	    &rep.base) == -1 || imsgev_reply_done(iev, &req) == -1)
		log_warn("register: cannot answer apid");
}

static void
api_register_done(struct coord *c, void *arg, int status, const char *err,
    const Coordd__Node *n)
{
	struct api_reg	*pr = arg;

	if (status != CTL_OK)
		log_info("register: %s for apid: %s", pr->pr_id, err);
	api_reply_register(c, pr->pr_peerid, status, err, n);
	free(pr);
}

void
coord_api_auth_register(struct coord *c, struct imsgev *iev,
    struct imsg *imsg)
{
	Coordd__AuthRegister	*m;
	struct replica_user	*u;
	struct api_reg		*pr;
	char			 err[256];
	int			 status;

	if ((m = pb_unpack(&coordd__auth_register__descriptor, imsg)) ==
	    NULL) {
		api_reply_register(c, imsg->hdr.peerid, CTL_ERR_INVALID,
		    "bad AuthRegister", NULL);
		return;
	}
	if (!authreq_id_valid(m->auth_id)) {
		api_reply_register(c, imsg->hdr.peerid, CTL_ERR_NOTFOUND,
		    "not an auth id: want hskey-authreq- and 24 letters or "
		    "digits", NULL);
		goto done;
	}
	if ((u = replica_user_get(&c->replica, m->user_id)) == NULL) {
		snprintf(err, sizeof(err), "no user with id %" PRIu64,
		    m->user_id);
		api_reply_register(c, imsg->hdr.peerid, CTL_ERR_NOTFOUND, err,
		    NULL);
		goto done;
	}
	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		fatal("%s", __func__);
	pr->pr_peerid = imsg->hdr.peerid;
	strlcpy(pr->pr_id, m->auth_id, sizeof(pr->pr_id));
	log_info("register: apid registers %s to user %s", m->auth_id,
	    u->name);
	if ((status = authreq_register(c, m->auth_id, u->name,
	    api_register_done, pr, err, sizeof(err))) != CTL_OK) {
		api_reply_register(c, imsg->hdr.peerid, status, err, NULL);
		free(pr);
	}
 done:
	pb_free(m);
}

/* NodeStates being filled: the states and the route lists they own. */
struct api_states {
	Coordd__NodeState	 *as_states;
	Coordd__NodeState	**as_ptrs;
	size_t			  as_n;
	size_t			  as_cap;
	size_t			  as_bytes;	/* a bound on the packed size */
};

static int
api_states_flush(struct imsgev *iev, const struct imsg *req,
    struct api_states *as)
{
	Coordd__NodeStates	msg = COORDD__NODE_STATES__INIT;
	size_t			i;
	int			r = 0;

	if (as->as_n == 0)
		return (0);
	msg.states = as->as_ptrs;
	msg.n_states = as->as_n;
	if (imsgev_reply_pb(iev, req, IMSG_API_NODE_STATES, &msg.base) == -1)
		r = -1;
	for (i = 0; i < as->as_n; i++)
		free(as->as_states[i].primary_routes);
	as->as_n = 0;
	as->as_bytes = 0;
	return (r);
}

static void
api_states_grow(struct api_states *as)
{
	Coordd__NodeState	*s;
	size_t			 cap = as->as_cap + 64, i;

	if ((s = reallocarray(as->as_states, cap, sizeof(*s))) == NULL)
		fatal("%s", __func__);
	as->as_states = s;
	free(as->as_ptrs);
	if ((as->as_ptrs = calloc(cap, sizeof(*as->as_ptrs))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < cap; i++)
		as->as_ptrs[i] = &as->as_states[i];
	as->as_cap = cap;
}

/* One node's state: its subnet routes as primary, then its exits. */
static int
api_states_add(struct coord *c, struct imsgev *iev, const struct imsg *req,
    struct api_states *as, const struct replica_node *n)
{
	const char		*v[ROUTES_MAX];
	Coordd__NodeState	*s;
	size_t			 k, i, bytes = 24;

	k = routes_primary(&c->routes, n, v, nitems(v));
	k += routes_exit(n, v + k, nitems(v) - k);
	for (i = 0; i < k; i++)
		bytes += strlen(v[i]) + 4;
	if (as->as_bytes + bytes > API_STATES_CHUNK &&
	    api_states_flush(iev, req, as) == -1)
		return (-1);
	if (as->as_n == as->as_cap)
		api_states_grow(as);
	s = &as->as_states[as->as_n++];
	coordd__node_state__init(s);
	s->id = n->id;
	s->online = n->online != 0;
	if (k > 0 && (s->primary_routes = calloc(k, sizeof(char *))) == NULL)
		fatal("%s", __func__);
	for (i = 0; i < k; i++)
		s->primary_routes[i] = (char *)v[i];
	s->n_primary_routes = k;
	as->as_bytes += bytes;
	return (0);
}

/* NodeStateQuery: the nodes named (unknown ids are left out), or all. */
void
coord_api_node_state(struct coord *c, struct imsgev *iev, struct imsg *imsg)
{
	Coordd__NodeStateQuery	*q;
	struct replica_node	*n;
	struct api_states	 as;
	size_t			 i;
	int			 r = 0;

	if ((q = pb_unpack(&coordd__node_state_query__descriptor, imsg)) ==
	    NULL) {
		imsgev_reply_result(iev, imsg, CTL_ERR_INVALID,
		    "bad NodeStateQuery");
		return;
	}
	memset(&as, 0, sizeof(as));
	if (q->n_ids == 0) {
		RB_FOREACH(n, replica_nodes, &c->replica.nodes)
			if ((r = api_states_add(c, iev, imsg, &as, n)) == -1)
				break;
	}
	for (i = 0; i < q->n_ids && r == 0; i++)
		if ((n = replica_node_get(&c->replica, q->ids[i])) != NULL)
			r = api_states_add(c, iev, imsg, &as, n);
	if (r == -1 || api_states_flush(iev, imsg, &as) == -1 ||
	    imsgev_reply_done(iev, imsg) == -1)
		log_warn("node state: cannot answer apid");
	for (i = 0; i < as.as_n; i++)
		free(as.as_states[i].primary_routes);
	free(as.as_states);
	free(as.as_ptrs);
	pb_free(q);
}
