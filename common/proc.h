/*
 * Process handling shared by the parent and the children: spawning by
 * fork and re-exec, the child's side of the parent channel, privilege
 * drop, titles.
 */
#ifndef PROC_H
#define PROC_H

#include <sys/types.h>

#include "imsgev.h"
#include "types.h"

struct config;

/* What a child does with the messages its parent sends. */
struct proc_hooks {
	/* A socket to a peer process; replaces any earlier one. */
	void	(*peer)(enum proc_id, int);
	/* The TLS signing channel (coordinator and stored only). */
	void	(*signer)(int);
	/* A new effective config; ownership passes to the callee. */
	void	(*config)(struct config *);
	/* A socket the parent bound for us. */
	void	(*listener)(int, int);
	/* Drain and exit. */
	void	(*shutdown)(void);
};

const char	*proc_name(enum proc_id);
int		 proc_byname(const char *);
const char	*proc_user(enum proc_id);
pid_t		 proc_spawn(const char *, enum proc_id, int, int, int *);
void		 proc_child_start(enum proc_id, const struct proc_hooks *);
struct imsgev	*proc_parent_iev(void);
void		 proc_child_args(int, char **, enum proc_id);
struct imsgev	*proc_peer_open(struct imsgev **, enum proc_id, int,
		    imsgev_handler, void *);
void		 proc_peers_close(struct imsgev **, size_t);
void		 proc_drop_privs(enum proc_id, const char *);
void		 proc_set_title(const char *);
void		 proc_init_title(int, char **);

#endif /* PROC_H */
