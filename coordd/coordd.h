/*
 * coordd: the parent process and the coordinator engine.
 */
#ifndef COORDD_H
#define COORDD_H

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <time.h>

#include <event.h>

#include "compat.h"
#include "imsgev.h"
#include "types.h"

struct config;

/* A child the parent supervises. */
struct child {
	enum proc_id		 id;
	pid_t			 pid;
	int			 running;
	struct imsgev		 iev;
	struct event		 restart_ev;
	int			 backoff_ms;
	time_t			 started;
	int			 restarts;
};

struct parent {
	struct config		*conf;
	char			 conffile[PATH_MAX];
	uint64_t		 generation;
	int			 debug;
	int			 verbose;
	char			 exedir[PATH_MAX];
	char			 selfexe[PATH_MAX];
	struct child		 children[PROC_MAX];
	int			 ctlsock;
	int			 mainsock;
	char			 ctlpath[PATH_MAX];
	int			 shutting_down;
	int			 exit_status;
	struct event		 ev_sigchld;
	struct event		 ev_sighup;
	struct event		 ev_sigterm;
	struct event		 ev_sigint;
	struct event		 shutdown_timer;
};

/* parent.c */
__dead void	 parent_main(struct parent *);
struct config	*parent_config_load(const char *, char *, size_t);
int		 parent_send_config(struct parent *, struct child *);

/* parent_derp.c */
char		*parent_derp_build(const struct config *, char *, size_t);
void		 parent_derp_dispatch(struct parent *, struct imsgev *,
		    struct imsg *);

/* parent_tls.c */
int		 parent_tls_load(struct config *, char *, size_t);

/* parent_ctl.c */
int		 parent_ctlsock_open(struct parent *);
void		 parent_ctlsock_close(struct parent *);

/* parent_listen.c */
int		 parent_listen(const char *, int *);

/* coordinator.c */
__dead void	 coordinator_main(void);

#endif /* COORDD_H */
