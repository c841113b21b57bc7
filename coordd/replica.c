/* The coordinator's replica of the tailnet. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "replica.h"

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

static void
replica_node_free(struct replica_node *n)
{
	free(n->node_key);
	free(n->machine_key);
	free(n->given_name);
	free(n->ipv4);
	free(n->ipv6);
	free(n);
}

void
replica_init(struct replica *r)
{
	memset(r, 0, sizeof(*r));
	RB_INIT(&r->users);
	RB_INIT(&r->nodes);
}

void
replica_clear(struct replica *r)
{
	struct replica_user	*u;
	struct replica_node	*n;

	while ((n = RB_MIN(replica_nodes, &r->nodes)) != NULL) {
		RB_REMOVE(replica_nodes, &r->nodes, n);
		replica_node_free(n);
	}
	while ((u = RB_MIN(replica_users, &r->users)) != NULL) {
		RB_REMOVE(replica_users, &r->users, u);
		free(u->name);
		free(u);
	}
	replica_init(r);
}

/* Insert or update; -1 only when out of memory. */
int
replica_user_put(struct replica *r, const Coordd__User *m)
{
	struct replica_user	 key, *u;
	char			*name;

	if ((name = strdup(m->name)) == NULL)
		return (-1);
	key.id = m->id;
	if ((u = RB_FIND(replica_users, &r->users, &key)) != NULL) {
		free(u->name);
		u->name = name;
		return (0);
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		free(name);
		return (-1);
	}
	u->id = m->id;
	u->name = name;
	RB_INSERT(replica_users, &r->users, u);
	r->nusers++;
	return (0);
}

void
replica_user_del(struct replica *r, uint64_t id)
{
	struct replica_user	 key, *u;

	key.id = id;
	if ((u = RB_FIND(replica_users, &r->users, &key)) == NULL)
		return;
	RB_REMOVE(replica_users, &r->users, u);
	free(u->name);
	free(u);
	r->nusers--;
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

/* Insert or replace; -1 only when out of memory. */
int
replica_node_put(struct replica *r, const Coordd__Node *m)
{
	struct replica_node	*n, *old;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return (-1);
	n->id = m->id;
	n->user_id = m->user_id;
	n->expiry = m->expiry;
	if ((n->node_key = strdup(m->node_key)) == NULL ||
	    (n->machine_key = strdup(m->machine_key)) == NULL ||
	    (n->given_name = strdup(m->given_name)) == NULL ||
	    (n->ipv4 = strdup(m->ipv4)) == NULL ||
	    (n->ipv6 = strdup(m->ipv6)) == NULL) {
		replica_node_free(n);
		return (-1);
	}
	if ((old = RB_FIND(replica_nodes, &r->nodes, n)) != NULL) {
		RB_REMOVE(replica_nodes, &r->nodes, old);
		replica_node_free(old);
		r->nnodes--;
	}
	RB_INSERT(replica_nodes, &r->nodes, n);
	r->nnodes++;
	return (0);
}

void
replica_node_del(struct replica *r, uint64_t id)
{
	struct replica_node	*n;

	if ((n = replica_node_get(r, id)) == NULL)
		return;
	RB_REMOVE(replica_nodes, &r->nodes, n);
	replica_node_free(n);
	r->nnodes--;
}
