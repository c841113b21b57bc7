/*
 * The REST API of headscale v0.29.2 (/api/v1/...), served by apid for
 * requests the coordinator forwards and, with local trust, for
 * coordctl's commands.  A request is a struct rest_req; each route runs
 * as a chain of asynchronous steps (stored, then perhaps the
 * coordinator) and ends in exactly one rest_reply() or rest_error().
 */
#ifndef REST_H
#define REST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "compat.h"
#include "imsgev.h"

#ifndef COORDD_VERSION
#define COORDD_VERSION		"0.1.0"
#endif

#define REST_MAX_SEGS		8
#define REST_STORE_TIMEOUT_MS	15000
#define REST_COORD_TIMEOUT_MS	2000	/* then: offline, or 503 */
#define REST_MAX_LIST		1000000	/* records in one answer */

struct rest_req;

/* Called once with the answer; doc is borrowed. */
typedef void	(*rest_done_cb)(struct rest_req *, int, json_t *,
		    const char *);
typedef void	(*rest_step)(struct rest_req *);

struct rest_req {
	int		 local;		/* coordctl: no API key */
	char		 method[16];
	char		*path;
	char		*query;
	json_t		*body;		/* a JSON object, or NULL */
	int		 badbody;	/* the body did not parse */
	char		 remote[64];
	char		*auth;		/* the Authorization header */
	char		*segs[REST_MAX_SEGS];	/* below /api/v1/ */
	int		 nsegs;
	/* The answer being built. */
	json_t		*items;		/* records from stored */
	const char	*key;		/* their name in the answer */
	rest_step	 next;		/* after stored's DONE or OK */
	int		 route;		/* index in the route table */
	uint64_t	 id;		/* the request's subject */
	char		 name[256];	/* scratch: a user name */
	int		 status;	/* a peer's enum ctl_status */
	int		 notfound;	/* status for NOTFOUND, or 0 */
	char		 err[256];	/* and its reason */
	/* Who gets the answer. */
	rest_done_cb	 done;
	void		*done_arg;
	uint64_t	 done_id;
};

/* rest.c */
struct rest_req	*rest_new(const char *, const char *, const char *,
		    const void *, size_t, rest_done_cb);
void		 rest_run(struct rest_req *);
void		 rest_reply(struct rest_req *, json_t *);
void		 rest_error(struct rest_req *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
void		 rest_error_ctl(struct rest_req *, int, const char *);
int		 rest_http_status(int);
void		 rest_api_request(struct imsgev *, struct imsg *);

/* rest_auth.c */
void		 rest_auth(struct rest_req *);
void		 rest_authorized(struct rest_req *);

/* rest_store.c */
void		 rest_store(struct rest_req *, uint32_t,
		    const ProtobufCMessage *, const char *, rest_step);
void		 rest_reply_list(struct rest_req *);
void		 rest_reply_one(struct rest_req *);
void		 rest_reply_empty(struct rest_req *);
void		 rest_nodes_state(struct rest_req *, rest_step);

/* rest_input.c */
int		 rest_query(const struct rest_req *, const char *, char *,
		    size_t);
int		 rest_field(struct rest_req *, const char *, const char *,
		    json_t **);
int		 rest_str(struct rest_req *, const char *, const char *,
		    const char **);
int		 rest_u64(struct rest_req *, const char *, const char *,
		    uint64_t *);
int		 rest_bool(struct rest_req *, const char *, const char *,
		    int *);
int		 rest_strv(struct rest_req *, const char *, char **, size_t,
		    size_t *);
int		 rest_time(struct rest_req *, const char *, int64_t *);
int		 rest_parse_id(const char *, uint64_t *);
int		 rest_seg(struct rest_req *, int, char *, size_t);
int		 rest_seg_id(struct rest_req *, int, uint64_t *);
int		 rest_parse_rfc3339(const char *, int64_t *);

/* rest_users.c, rest_keys.c, rest_nodes.c, rest_misc.c: the routes */
void		 rest_user_list(struct rest_req *);
void		 rest_user_create(struct rest_req *);
void		 rest_user_delete(struct rest_req *);
void		 rest_user_rename(struct rest_req *);
void		 rest_pak_list(struct rest_req *);
void		 rest_pak_create(struct rest_req *);
void		 rest_pak_expire(struct rest_req *);
void		 rest_pak_delete(struct rest_req *);
void		 rest_apikey_list(struct rest_req *);
void		 rest_apikey_create(struct rest_req *);
void		 rest_apikey_expire(struct rest_req *);
void		 rest_apikey_delete(struct rest_req *);
void		 rest_node_list(struct rest_req *);
void		 rest_node_get(struct rest_req *);
void		 rest_node_delete(struct rest_req *);
void		 rest_node_expire(struct rest_req *);
void		 rest_node_rename(struct rest_req *);
void		 rest_node_tags(struct rest_req *);
void		 rest_node_routes(struct rest_req *);
void		 rest_node_move(struct rest_req *);
void		 rest_node_register(struct rest_req *);
void		 rest_node_backfill(struct rest_req *);
void		 rest_debug_node(struct rest_req *);
void		 rest_auth_register(struct rest_req *);
void		 rest_auth_approve(struct rest_req *);
void		 rest_policy_get(struct rest_req *);
void		 rest_policy_set(struct rest_req *);
void		 rest_policy_check(struct rest_req *);
void		 rest_health(struct rest_req *);
void		 rest_version(struct rest_req *);

#endif /* REST_H */
