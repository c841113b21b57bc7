/*
 * coordctl commands, with headscale's names, aliases and flags: the
 * table and the parsing of flags.  ctl_run.c turns each command into
 * the REST request that does the same, so both share one code path.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apid.h"
#include "config.h"
#include "log.h"


#define OPT_MAX		8

/* One flag of a command: -s/--long, with or without a value. */
struct ctl_flag {
	const char	*lname;
	char		 sname;
	int		 has_arg;
};

struct ctl_cmd;

struct ctl_args {
	const struct ctl_cmd *cmd;
	const char	*val[OPT_MAX];	/* value, or "" for a set switch */
	const char	*pos[CTL_MAX_ARGS];
	int		 npos;
};

struct ctl_cmd {
	const char		*group;
	const char		*groupalias;
	const char		*name;
	const char		*aliases;	/* space separated */
	struct ctl_flag		 flags[OPT_MAX];
	int			 maxpos;
	void			(*run)(struct ctl_conn *, struct ctl_args *);
};

#define USERS	"users", "user"
#define PAKS	"preauthkeys", "preauthkey authkey pre"
#define APIKEYS	"apikeys", "apikey api"
#define NODES	"nodes", "node"
#define DEBUG	"debug", NULL
#define AUTH	"auth", NULL
#define POLICY	"policy", NULL
#define FORCE	{ "force", 0, 0 }

/* headscale v0.29.2's tree, with its aliases, and nodes move/--tags. */
static const struct ctl_cmd ctl_cmds[] = {
	{ USERS, "create", "c new", {
	    { "display-name", 'd', 1 }, { "email", 'e', 1 },
	    { "picture-url", 'p', 1 }, FORCE },
	    1, run_user_create },
	{ USERS, "list", "ls show", {
	    { "identifier", 'i', 1 }, { "name", 'n', 1 },
	    { "email", 'e', 1 }, FORCE },
	    0, run_user_list },
	{ USERS, "rename", "mv", {
	    { "identifier", 'i', 1 }, { "name", 'n', 1 },
	    { "new-name", 'r', 1 }, FORCE },
	    2, run_user_rename },
	{ USERS, "destroy", "delete del rm", {
	    { "identifier", 'i', 1 }, { "name", 'n', 1 }, FORCE },
	    1, run_user_delete },
	{ PAKS, "create", "c new", {
	    { "user", 'u', 1 }, { "reusable", 0, 0 },
	    { "ephemeral", 0, 0 }, { "expiration", 'e', 1 },
	    { "tags", 0, 1 }, FORCE },
	    0, run_pak_create },
	{ PAKS, "list", "ls show", {
	    { "user", 'u', 1 }, FORCE },
	    0, run_pak_list },
	{ PAKS, "expire", "revoke exp e", {
	    { "id", 'i', 1 }, FORCE },
	    0, run_pak_expire },
	{ PAKS, "delete", "del rm d", {
	    { "id", 'i', 1 }, FORCE },
	    0, run_pak_delete },
	{ APIKEYS, "create", "c new", {
	    { "expiration", 'e', 1 }, FORCE },
	    0, run_apikey_create },
	{ APIKEYS, "list", "ls show", {
	    FORCE },
	    0, run_apikey_list },
	{ APIKEYS, "expire", "revoke exp e", {
	    { "prefix", 'p', 1 }, { "id", 'i', 1 }, FORCE },
	    0, run_apikey_expire },
	{ APIKEYS, "delete", "remove del rm", {
	    { "prefix", 'p', 1 }, { "id", 'i', 1 }, FORCE },
	    0, run_apikey_delete },
	{ NODES, "list", "ls show", {
	    { "user", 'u', 1 }, { "tags", 't', 1 }, FORCE },
	    0, run_node_list },
	{ NODES, "register", NULL, {
	    { "user", 'u', 1 }, { "key", 'k', 1 }, FORCE },
	    0, run_node_register },
	{ NODES, "delete", "del", {
	    { "identifier", 'i', 1 }, FORCE },
	    0, run_node_delete },
	{ NODES, "expire", "logout exp e", {
	    { "identifier", 'i', 1 }, { "expiry", 'e', 1 },
	    { "disable", 'd', 0 }, FORCE },
	    0, run_node_expire },
	{ NODES, "rename", NULL, {
	    { "identifier", 'i', 1 }, FORCE },
	    1, run_node_rename },
	{ NODES, "move", "mv", {
	    { "identifier", 'i', 1 }, { "user", 'u', 1 }, FORCE },
	    0, run_node_move },
	{ NODES, "tag", "tags t", {
	    { "identifier", 'i', 1 }, { "tags", 't', 1 }, FORCE },
	    0, run_node_tag },
	{ NODES, "approve-routes", NULL, {
	    { "identifier", 'i', 1 }, { "routes", 'r', 1 }, FORCE },
	    0, run_node_routes },
	{ NODES, "list-routes", "lsr routes", {
	    { "identifier", 'i', 1 }, FORCE },
	    0, run_node_list_routes },
	{ NODES, "backfillips", NULL, {
	    FORCE },
	    0, run_node_backfill },
	{ DEBUG, "create-node", NULL, {
	    { "name", 0, 1 }, { "user", 'u', 1 }, { "key", 'k', 1 },
	    { "route", 'r', 1 }, FORCE },
	    0, run_debug_create_node },
	{ AUTH, "register", NULL, {
	    { "auth-id", 0, 1 }, { "user", 'u', 1 }, FORCE },
	    0, run_auth_register },
	{ AUTH, "approve", NULL, {
	    { "auth-id", 0, 1 }, FORCE },
	    0, run_auth_approve },
	{ AUTH, "reject", NULL, {
	    { "auth-id", 0, 1 }, FORCE },
	    0, run_auth_approve },
	{ POLICY, "get", "show view fetch", {
	    FORCE },
	    0, run_policy_get },
};

static int
word_in(const char *word, const char *name, const char *aliases)
{
	const char	*p = aliases;
	size_t		 len = strlen(word);

	if (strcmp(word, name) == 0)
		return (1);
	while (p != NULL && *p != '\0') {
		if (strncmp(p, word, len) == 0 &&
		    (p[len] == ' ' || p[len] == '\0'))
			return (1);
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	}
	return (0);
}

static int
flag_find(const struct ctl_cmd *cmd, const char *arg, const char **inl)
{
	const char	*name, *eq;
	size_t		 len;
	int		 i;

	*inl = NULL;
	for (i = 0; i < OPT_MAX && cmd->flags[i].lname != NULL; i++) {
		if (arg[1] != '-') {
			if (arg[1] == cmd->flags[i].sname && arg[2] == '\0')
				return (i);
			continue;
		}
		name = arg + 2;
		len = (eq = strchr(name, '=')) ? (size_t)(eq - name) :
		    strlen(name);
		if (strlen(cmd->flags[i].lname) == len &&
		    strncmp(name, cmd->flags[i].lname, len) == 0) {
			*inl = eq ? eq + 1 : NULL;
			return (i);
		}
	}
	return (-1);
}

/* Split argv into flags and positional words; -1 with err on misuse. */
static int
ctl_parse_args(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_args *a, char *err, size_t errlen)
{
	const char	*inl;
	int		 i, f;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			if (a->npos == cmd->maxpos) {
				snprintf(err, errlen, "unexpected argument "
				    "\"%s\"", argv[i]);
				return (-1);
			}
			a->pos[a->npos++] = argv[i];
			continue;
		}
		if ((f = flag_find(cmd, argv[i], &inl)) == -1) {
			snprintf(err, errlen, "unknown flag %s for %s %s",
			    argv[i], cmd->group, cmd->name);
			return (-1);
		}
		if (!cmd->flags[f].has_arg) {
			a->val[f] = "";
			continue;
		}
		if (inl == NULL && i + 1 == argc) {
			snprintf(err, errlen, "flag --%s needs a value",
			    cmd->flags[f].lname);
			return (-1);
		}
		a->val[f] = inl != NULL ? inl : argv[++i];
	}
	return (0);
}

/* The value of a flag by its long name; NULL if not given. */
const char *
ctl_arg(const struct ctl_args *a, const char *lname)
{
	const struct ctl_cmd	*cmd = a->cmd;
	size_t			 i;

	for (i = 0; i < OPT_MAX && cmd->flags[i].lname; i++)
		if (strcmp(cmd->flags[i].lname, lname) == 0)
			return (a->val[i]);
	fatalx("%s: no flag %s", __func__, lname);
}

int
ctl_npos(const struct ctl_args *a)
{
	return (a->npos);
}

const char *
ctl_pos(const struct ctl_args *a, int i)
{
	return (i < a->npos ? a->pos[i] : NULL);
}

/* health needs no subcommand: "coordctl health". */
static int
ctl_single(struct ctl_conn *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "health") == 0) {
		run_health(c, NULL);
		return (1);
	}
	return (0);
}

void
ctl_command(struct ctl_conn *c, int argc, char **argv)
{
	const struct ctl_cmd	*cmd;
	struct ctl_args		 a;
	char			 err[512];
	size_t			 i;

	if (ctl_single(c, argc, argv))
		return;
	if (argc < 2)
		return (ctl_fail(c, "usage: coordctl "
		    "users|nodes|preauthkeys|apikeys|debug|auth|policy|health "
		    "command ..."));
	for (i = 0; i < nitems(ctl_cmds); i++) {
		cmd = &ctl_cmds[i];
		if (word_in(argv[0], cmd->group, cmd->groupalias) &&
		    word_in(argv[1], cmd->name, cmd->aliases))
			break;
	}
	if (i == nitems(ctl_cmds))
		return (ctl_fail(c, "unknown command \"%s %s\"", argv[0],
		    argv[1]));
	if (ctl_parse_args(cmd, argc - 2, argv + 2, &a, err,
	    sizeof(err)) == -1)
		return (ctl_fail(c, "%s", err));
	a.cmd = cmd;
	cmd->run(c, &a);
}
