/* coordctl: the command-line client of the control socket. */
#ifndef COORDCTL_H
#define COORDCTL_H

#include <stdio.h>

#include <jansson.h>

#ifndef COORDD_VERSION
#define COORDD_VERSION		"0.1.0"
#endif

#ifndef COORDD_COMMIT
#define COORDD_COMMIT		"unknown"
#endif

#define CTL_ARGS_MAX		64	/* words sent to coordd */

enum output_format {
	OUTPUT_TABLE,
	OUTPUT_JSON,
	OUTPUT_JSON_LINE,
	OUTPUT_YAML,
};

/* A flag of a command: -s/--long, a switch or taking a value. */
struct flag {
	const char	*lname;
	char		 sname;
	const char	*arg;		/* the value's name; NULL: a switch */
	const char	*help;
	int		 opts;		/* FL_* */
};

#define FL_LOCAL	0x01	/* coordctl's own: not sent to coordd */
#define FL_FILE		0x02	/* the value is a file name */

struct invocation;

/*
 * One node of the command tree.  A group has verbs in sub and nothing
 * to run; a command runs locally through run, or is sent to coordd.
 */
struct cmd {
	const char		*name;
	const char		*aliases;	/* space separated */
	const char		*hidden;	/* aliases left out of help */
	const char		*args;		/* positional, for help */
	const char		*help;
	const struct flag	*flags;
	const struct cmd	*sub;		/* NULL-terminated verbs */
	const char		*table;		/* kind of its answer */
	const char		*confirm;	/* question before it runs */
	const char		*choices;	/* completion of its words */
	int			(*run)(struct invocation *);
};

/* What main() made of the command line. */
struct invocation {
	const struct cmd	*group;		/* NULL for a top-level one */
	const struct cmd	*cmd;
	enum output_format	 fmt;
	const char		*config;	/* -c, or NULL */
	const char		*socket;	/* -s, or NULL */
	int			 force;
	int			 showtags;	/* nodes list -t */
	char			*argv[CTL_ARGS_MAX];	/* sent to coordd */
	int			 argc;
	const char		*pos[CTL_ARGS_MAX];	/* positional words */
	int			 npos;
	const char		*file;		/* a --file to pass along */
};

/* cmdtab.c */
extern const struct cmd	 cmd_root[];
extern const struct flag global_flags[];
const struct cmd	*cmd_find(const struct cmd *, const char *);
const struct flag	*flag_find(const struct flag *, const char *,
			    const char **);
void			 help_root(FILE *);
void			 help_cmd(FILE *, const struct cmd *,
			    const struct cmd *);

/* ctl.c */
int	ctl_run(struct invocation *);
int	ctl_confirm(struct invocation *);

/* local.c */
int	cmd_configtest(struct invocation *);
int	cmd_dumpconfig(struct invocation *);
int	cmd_genkey(struct invocation *);
int	cmd_version(struct invocation *);
int	cmd_help(struct invocation *);

/* completion.c */
int	cmd_completion(struct invocation *);
void	completion_bash(FILE *);
void	completion_zsh(FILE *);

/* output.c */
int	output_render(FILE *, enum output_format, const char *, json_t *,
	    int);
void	output_message(FILE *, enum output_format, const char *,
	    const char *);

/* table.c */
struct column {
	const char	*title;
	const char	*field;		/* "user.name" reaches one level */
	int		 type;		/* COL_* */
	int		 min;		/* squeezed no narrower; 0: fixed */
	int		 drop;		/* 0: kept; larger goes first */
};

/* Columns of this drop rank and more go before any cell is cut. */
#define DROP_OPTIONAL	7

#define COL_STR		0
#define COL_TIME	1	/* RFC 3339 shown as 2006-01-02 15:04:05 */
#define COL_BOOL	2
#define COL_LIST	3	/* strings joined with ", " */
#define COL_EXPIRED	4	/* whether the time is past */
#define COL_OWNER	5	/* user.name, else the tags */
#define COL_EPHEMERAL	6	/* preAuthKey.ephemeral */
#define COL_JSON	7	/* anything, compact */

int	table_width(void);
void	table_print(FILE *, const struct column *, size_t, json_t *);
char	*table_cell(json_t *, const struct column *);

#endif /* COORDCTL_H */
