/*
 * apid: the admin API daemon.  It serves the control socket (coordctl)
 * and, later, the REST API, and turns every request into requests to
 * stored.  It never sees the database or a secret's hash.
 */
#ifndef APID_H
#define APID_H

#include <sys/queue.h>
#include <sys/types.h>

#include <jansson.h>

#include "imsgev.h"
#include "types.h"

#define CTL_MAX_CLIENTS		64
#define CTL_MAX_ARGS		64
#define CTL_MAX_ARGLEN		1024
#define CTL_STORE_TIMEOUT_MS	15000

struct config;

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	uint64_t		 id;
	struct imsgev		 iev;
	uid_t			 uid;
	pid_t			 pid;
	int			 hello;
	int			 busy;
	uint32_t		 reqid;
	/* A command of two REST requests: the second, waiting for an id. */
	char			 pend_method[8];
	char			 pend_path[256];	/* {id}: the id */
	char			 pend_field[16];	/* body member: the id */
	json_t			*pend_body;
	const void		*pend_view;
};
TAILQ_HEAD(ctl_conns, ctl_conn);

struct apid {
	struct config		*conf;
	int			 privdropped;
	struct imsgev		*store;
	struct imsgev		*coord;
	int			 policyfd;	/* policy.path, opened early */
	int			 ctlfd;
	struct event		 ctl_ev;
	struct event		 ctl_pause;
	struct ctl_conns	 conns;
	int			 nconns;
	uint64_t		 next_connid;
};

extern struct apid	*apid_env;

/* control.c */
void	 control_listen(int);
void	 control_close_all(void);
struct ctl_conn *control_find(uint64_t);
void	 control_reply(struct ctl_conn *, int, const char *, json_t *,
	    const char *);

/* ctl_cmd.c */
void	 ctl_command(struct ctl_conn *, int, char **);

/* ctl_run.c: each command is a REST request run with local trust */
struct ctl_args;
void	 ctl_fail(struct ctl_conn *, const char *, ...)
	    __attribute__((__format__ (printf, 2, 3)));
const char *ctl_arg(const struct ctl_args *, const char *);
int	 ctl_npos(const struct ctl_args *);
const char *ctl_pos(const struct ctl_args *, int);
void	 run_user_create(struct ctl_conn *, struct ctl_args *);
void	 run_user_list(struct ctl_conn *, struct ctl_args *);
void	 run_user_rename(struct ctl_conn *, struct ctl_args *);
void	 run_user_delete(struct ctl_conn *, struct ctl_args *);
void	 run_pak_create(struct ctl_conn *, struct ctl_args *);
void	 run_pak_list(struct ctl_conn *, struct ctl_args *);
void	 run_pak_expire(struct ctl_conn *, struct ctl_args *);
void	 run_pak_delete(struct ctl_conn *, struct ctl_args *);
void	 run_apikey_create(struct ctl_conn *, struct ctl_args *);
void	 run_apikey_list(struct ctl_conn *, struct ctl_args *);
void	 run_apikey_expire(struct ctl_conn *, struct ctl_args *);
void	 run_apikey_delete(struct ctl_conn *, struct ctl_args *);
void	 run_node_list(struct ctl_conn *, struct ctl_args *);
void	 run_node_register(struct ctl_conn *, struct ctl_args *);
void	 run_node_delete(struct ctl_conn *, struct ctl_args *);
void	 run_node_expire(struct ctl_conn *, struct ctl_args *);
void	 run_node_rename(struct ctl_conn *, struct ctl_args *);
void	 run_node_move(struct ctl_conn *, struct ctl_args *);
void	 run_node_tag(struct ctl_conn *, struct ctl_args *);
void	 run_node_routes(struct ctl_conn *, struct ctl_args *);
void	 run_node_list_routes(struct ctl_conn *, struct ctl_args *);
void	 run_node_backfill(struct ctl_conn *, struct ctl_args *);
void	 run_debug_create_node(struct ctl_conn *, struct ctl_args *);
void	 run_auth_register(struct ctl_conn *, struct ctl_args *);
void	 run_auth_approve(struct ctl_conn *, struct ctl_args *);
void	 run_health(struct ctl_conn *, struct ctl_args *);
void	 run_policy_get(struct ctl_conn *, struct ctl_args *);

/* ctl_json.c */
json_t	*json_user(const void *);
json_t	*json_preauthkey(const void *);
json_t	*json_apikey(const void *);
json_t	*json_node(const void *);
json_t	*json_policy(const void *);

#endif /* APID_H */
