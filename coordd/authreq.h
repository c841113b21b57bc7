/*
 * Interactive registration (spec section 6, case 5): a node that comes
 * without an auth key gets an AuthURL, <server_url>/register/<auth id>,
 * and asks again with Followup set to it; that request waits here until
 * an admin registers the auth id to a user, or until it is time to
 * answer with the same URL again.  Pending requests live only in the
 * coordinator's memory, bounded in number and age, like headscale's
 * register cache.
 */
#ifndef AUTHREQ_H
#define AUTHREQ_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <stdint.h>
#include <time.h>

#include <event.h>

#include "types.pb-c.h"

#define AUTHREQ_PREFIX		"hskey-authreq-"
#define AUTHREQ_RANDOM		24
#define AUTHREQ_ID_LEN		(sizeof(AUTHREQ_PREFIX) - 1 + AUTHREQ_RANDOM)
#define AUTHREQ_WAIT_SEC	300	/* a follow-up, before we repeat */
#define AUTHREQ_MAX_WAITERS	8	/* follow-ups held per request */

struct coord;
struct h2_stream;

struct authreq_waiter {
	TAILQ_ENTRY(authreq_waiter)	 w_entry;
	struct authreq			*w_req;
	struct h2_stream		*w_stream;
	struct event			 w_timeout;
};
TAILQ_HEAD(authreq_waiters, authreq_waiter);

struct authreq {
	RB_ENTRY(authreq)	 ar_entry;
	TAILQ_ENTRY(authreq)	 ar_age;		/* oldest first */
	struct coord		*ar_coord;
	char			 ar_id[AUTHREQ_ID_LEN + 1];
	char			*ar_machine_key;
	char			*ar_node_key;
	char			*ar_hostname;
	char			*ar_hostinfo;
	int64_t			 ar_expiry;
	time_t			 ar_created;
	int			 ar_registering;	/* stored is at it */
	struct authreq_waiters	 ar_waiters;
	size_t			 ar_nwaiters;
};
RB_HEAD(authreqs, authreq);
int	authreq_cmp(struct authreq *, struct authreq *);
RB_PROTOTYPE(authreqs, authreq, ar_entry, authreq_cmp);
TAILQ_HEAD(authreq_ages, authreq);

struct authreq_table {
	struct authreqs		 byid;
	struct authreq_ages	 ages;
	size_t			 n;
};

void		 authreq_init(struct authreq_table *);
void		 authreq_free_all(struct authreq_table *);
const char	*authreq_start(struct coord *, const char *, const char *,
		    const char *, const char *, int64_t);
int		 authreq_follow(struct coord *, struct h2_stream *,
		    const char *, const char *, const char *);
struct authreq	*authreq_find(struct coord *, const char *);
struct authreq	*authreq_lookup(struct coord *, const char *);
int		 authreq_id_valid(const char *);

/* The end of a registration: a ctl_status, its text, the node or NULL. */
typedef void	(*authreq_done)(struct coord *, void *, int, const char *,
		    const Coordd__Node *);
int		 authreq_register(struct coord *, const char *, const char *,
		    authreq_done, void *, char *, size_t);

#endif /* AUTHREQ_H */
