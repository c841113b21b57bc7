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
	/* The answer being built from stored's replies. */
	json_t			*items;
	const char		*kind;
	int			 single;
};
TAILQ_HEAD(ctl_conns, ctl_conn);

struct apid {
	struct config		*conf;
	int			 privdropped;
	struct imsgev		*store;
	struct imsgev		*coord;
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

/* ctl_json.c */
json_t	*json_user(const void *);
json_t	*json_preauthkey(const void *);
json_t	*json_apikey(const void *);
json_t	*json_node(const void *);

#endif /* APID_H */
