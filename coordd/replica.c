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

void
replica_init(struct replica *r)
{
	memset(r, 0, sizeof(*r));
	RB_INIT(&r->users);
}

void
replica_clear(struct replica *r)
{
	struct replica_user	*u;

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
