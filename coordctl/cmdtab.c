/*
 * The command tree of headscale v0.29.2's CLI, with its names, aliases
 * and flags.  coordctl checks a command line against it before talking
 * to coordd, prints help and completion scripts from it, and sends the
 * canonical names so that coordd sees one spelling.
 */
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "coordctl.h"

#define F_END		{ NULL, 0, NULL, NULL, 0 }
#define F_ID		{ "identifier", 'i', "id", "the node's id", 0 }

const struct flag global_flags[] = {
	{ "config", 'c', "file", "the configuration file", FL_LOCAL |
	    FL_FILE },
	{ "output", 'o', "format", "table, json, json-line or yaml",
	    FL_LOCAL },
	{ "socket", 's', "path", "coordd's control socket", FL_LOCAL },
	{ "force", 0, NULL, "do not ask before destroying", FL_LOCAL },
	{ "help", 'h', NULL, "show help", FL_LOCAL },
	F_END
};

static const struct flag f_none[] = { F_END };

static const struct flag f_user_create[] = {
	{ "display-name", 'd', "name", "display name", 0 },
	{ "email", 'e', "email", "email address", 0 },
	{ "picture-url", 'p', "url", "profile picture URL", 0 },
	F_END
};
static const struct flag f_user_list[] = {
	{ "identifier", 'i', "id", "only the user with this id", 0 },
	{ "name", 'n', "name", "only the user with this name", 0 },
	{ "email", 'e', "email", "only users with this email", 0 },
	F_END
};
static const struct flag f_user_rename[] = {
	{ "identifier", 'i', "id", "the user's id", 0 },
	{ "name", 'n', "name", "the user's name", 0 },
	{ "new-name", 'r', "name", "the new name", 0 },
	F_END
};
static const struct flag f_user_destroy[] = {
	{ "identifier", 'i', "id", "the user's id", 0 },
	{ "name", 'n', "name", "the user's name", 0 },
	F_END
};

static const struct cmd users_cmds[] = {
	{ "create", "c new", NULL, "NAME", "create a user",
	    f_user_create, NULL, "user", NULL, NULL, NULL },
	{ "list", "ls show", NULL, NULL, "list users",
	    f_user_list, NULL, "users", NULL, NULL, NULL },
	{ "rename", "mv", NULL, "[OLD NEW]", "rename a user",
	    f_user_rename, NULL, "user", NULL, NULL, NULL },
	{ "destroy", "delete del rm", NULL, "[NAME]",
	    "delete a user and its pre-auth keys",
	    f_user_destroy, NULL, "text", "Do you want to remove the user "
	    "and any associated preauthkeys?", NULL, NULL },
	{ NULL }
};

static const struct flag f_node_list[] = {
	{ "user", 'u', "user", "only the nodes of this user", 0 },
	{ "tags", 't', NULL, "always show the Tags column", FL_LOCAL },
	F_END
};
static const struct flag f_node_id[] = { F_ID, F_END };
static const struct flag f_node_register[] = {
	{ "user", 'u', "user", "the user who owns the node", 0 },
	{ "key", 'k', "auth-id", "the auth id of the waiting client", 0 },
	F_END
};
static const struct flag f_node_expire[] = {
	F_ID,
	{ "expiry", 'e', "time", "expire at this RFC 3339 time, not now",
	    0 },
	{ "disable", 'd', NULL, "never expire", 0 },
	F_END
};
static const struct flag f_node_move[] = {
	F_ID,
	{ "user", 'u', "user", "the new owner", 0 },
	F_END
};
static const struct flag f_node_tag[] = {
	F_ID,
	{ "tags", 't', "tag,...", "the tags (tag:name), comma separated",
	    0 },
	F_END
};
static const struct flag f_node_routes[] = {
	F_ID,
	{ "routes", 'r', "prefix,...", "approved routes, comma "
	    "separated; \"\" clears", 0 },
	F_END
};

static const struct cmd nodes_cmds[] = {
	{ "list", "ls show", NULL, NULL, "list nodes",
	    f_node_list, NULL, "nodes", NULL, NULL, NULL },
	{ "list-routes", "lsr routes", NULL, NULL,
	    "list the routes of nodes",
	    f_node_id, NULL, "routes", NULL, NULL, NULL },
	{ "register", NULL, NULL, NULL,
	    "register a waiting client to a user",
	    f_node_register, NULL, "node", NULL, NULL, NULL },
	{ "expire", "logout exp e", NULL, NULL, "expire a node's key",
	    f_node_expire, NULL, "node", NULL, NULL, NULL },
	{ "rename", NULL, NULL, "NEW_NAME", "give a node a new name",
	    f_node_id, NULL, "node", NULL, NULL, NULL },
	{ "delete", "del", NULL, NULL, "delete a node",
	    f_node_id, NULL, "text", "Do you want to delete the node?",
	    NULL, NULL },
	{ "move", "mv", NULL, NULL, "give a node to another user",
	    f_node_move, NULL, "node", NULL, NULL, NULL },
	{ "tag", "tags t", NULL, NULL, "set the tags of a node",
	    f_node_tag, NULL, "node", NULL, NULL, NULL },
	{ "approve-routes", NULL, NULL, NULL,
	    "set the approved routes of a node",
	    f_node_routes, NULL, "node", NULL, NULL, NULL },
	{ "backfillips", NULL, NULL, NULL,
	    "give nodes the addresses they lack",
	    f_none, NULL, "changes", "Are you sure that you want to "
	    "assign/remove IPs to/from nodes?", NULL, NULL },
	{ NULL }
};

static const struct flag f_pak_create[] = {
	{ "user", 'u', "user", "the user who owns the key", 0 },
	{ "reusable", 0, NULL, "the key registers many nodes", 0 },
	{ "ephemeral", 0, NULL, "its nodes are ephemeral", 0 },
	{ "expiration", 'e', "duration", "valid for so long (default 1h)",
	    0 },
	{ "tags", 0, "tag,...", "tags of its nodes, comma separated", 0 },
	F_END
};
static const struct flag f_pak_list[] = {
	{ "user", 'u', "user", "only the keys of this user", 0 },
	F_END
};
static const struct flag f_pak_id[] = {
	{ "id", 'i', "id", "the key's id", 0 },
	F_END
};

static const struct cmd paks_cmds[] = {
	{ "list", "ls show", NULL, NULL, "list pre-auth keys",
	    f_pak_list, NULL, "preauthkeys", NULL, NULL, NULL },
	{ "create", "c new", NULL, NULL, "create a pre-auth key",
	    f_pak_create, NULL, "preauthkey", NULL, NULL, NULL },
	{ "expire", "revoke exp e", NULL, NULL, "expire a pre-auth key",
	    f_pak_id, NULL, "text", NULL, NULL, NULL },
	{ "delete", "del rm d", NULL, NULL, "delete a pre-auth key",
	    f_pak_id, NULL, "text", NULL, NULL, NULL },
	{ NULL }
};

static const struct flag f_apikey_create[] = {
	{ "expiration", 'e', "duration", "valid for so long (default 90d)",
	    0 },
	F_END
};
static const struct flag f_apikey_id[] = {
	{ "prefix", 'p', "prefix", "the key's prefix", 0 },
	{ "id", 'i', "id", "the key's id", 0 },
	F_END
};

static const struct cmd apikeys_cmds[] = {
	{ "list", "ls show", NULL, NULL, "list API keys",
	    f_none, NULL, "apikeys", NULL, NULL, NULL },
	{ "create", "c new", NULL, NULL, "create an API key",
	    f_apikey_create, NULL, "apikey", NULL, NULL, NULL },
	{ "expire", "revoke exp e", NULL, NULL, "expire an API key",
	    f_apikey_id, NULL, "text", NULL, NULL, NULL },
	{ "delete", "remove del rm", NULL, NULL, "delete an API key",
	    f_apikey_id, NULL, "text", NULL, NULL, NULL },
	{ NULL }
};

static const struct flag f_auth_register[] = {
	{ "auth-id", 0, "auth-id", "the auth id of the waiting client", 0 },
	{ "user", 'u', "user", "the user who owns the node", 0 },
	F_END
};
static const struct flag f_auth_id[] = {
	{ "auth-id", 0, "auth-id", "the auth id of the waiting client", 0 },
	F_END
};

static const struct cmd auth_cmds[] = {
	{ "register", NULL, NULL, NULL, "register a waiting client",
	    f_auth_register, NULL, "node", NULL, NULL, NULL },
	{ "approve", NULL, NULL, NULL, "approve a waiting request",
	    f_auth_id, NULL, "text", NULL, NULL, NULL },
	{ "reject", NULL, NULL, NULL, "reject a waiting request",
	    f_auth_id, NULL, "text", NULL, NULL, NULL },
	{ NULL }
};

static const struct flag f_policy_file[] = {
	{ "file", 'f', "file", "the policy file (HuJSON)", FL_FILE },
	{ "bypass-grpc-and-access-database-directly", 0, NULL,
	    "ignored: coordd is always asked", FL_LOCAL },
	F_END
};

static const struct cmd policy_cmds[] = {
	{ "get", "show view fetch", NULL, NULL, "print the policy",
	    f_none, NULL, "policy", NULL, NULL, NULL },
	{ "set", "put update", NULL, NULL, "replace the policy",
	    f_policy_file, NULL, "policy", NULL, NULL, NULL },
	{ "check", NULL, NULL, NULL, "check a policy without setting it",
	    f_policy_file, NULL, "text", NULL, NULL, NULL },
	{ NULL }
};

static const struct flag f_debug_node[] = {
	{ "name", 0, "name", "the node's host name", 0 },
	{ "user", 'u', "user", "the user who owns the node", 0 },
	{ "key", 'k', "key", "the node's machine key (mkey:hex)", 0 },
	{ "route", 'r', "prefix", "an advertised route; may be repeated",
	    0 },
	F_END
};

static const struct cmd debug_cmds[] = {
	{ "create-node", NULL, NULL, NULL, "create a node without a client",
	    f_debug_node, NULL, "node", NULL, NULL, NULL },
	{ NULL }
};

static const struct cmd generate_cmds[] = {
	{ "private-key", NULL, NULL, NULL, "print a new private key",
	    f_none, NULL, "private_key", NULL, NULL, cmd_genkey },
	{ NULL }
};

const struct cmd cmd_root[] = {
	{ "users", "user", NULL, NULL, "manage users",
	    NULL, users_cmds, NULL, NULL, NULL, NULL },
	{ "nodes", "node", NULL, NULL, "manage nodes",
	    NULL, nodes_cmds, NULL, NULL, NULL, NULL },
	{ "preauthkeys", "preauthkey authkey pre", NULL, NULL,
	    "manage pre-auth keys",
	    NULL, paks_cmds, NULL, NULL, NULL, NULL },
	{ "apikeys", "apikey api", NULL, NULL, "manage API keys",
	    NULL, apikeys_cmds, NULL, NULL, NULL, NULL },
	{ "auth", NULL, NULL, NULL, "answer interactive logins",
	    NULL, auth_cmds, NULL, NULL, NULL, NULL },
	{ "policy", NULL, NULL, NULL, "manage the policy",
	    NULL, policy_cmds, NULL, NULL, NULL, NULL },
	{ "debug", NULL, NULL, NULL, "debugging commands",
	    NULL, debug_cmds, NULL, NULL, NULL, NULL },
	{ "generate", "gen", NULL, NULL, "generate keys",
	    NULL, generate_cmds, NULL, NULL, NULL, NULL },
	{ "health", NULL, NULL, NULL, "check that coordd and its database "
	    "answer", f_none, NULL, "health", NULL, NULL, NULL },
	{ "configtest", NULL, NULL, NULL, "check the configuration file",
	    f_none, NULL, NULL, NULL, NULL, cmd_configtest },
	{ "dump-config", NULL, "dumpConfig", NULL,
	    "print the effective configuration",
	    f_none, NULL, NULL, NULL, NULL, cmd_dumpconfig },
	{ "version", NULL, NULL, NULL, "print the version",
	    f_none, NULL, NULL, NULL, NULL, cmd_version },
	{ "completion", NULL, NULL, "bash|zsh",
	    "print a shell completion script",
	    f_none, NULL, NULL, NULL, "bash zsh", cmd_completion },
	{ "help", NULL, NULL, "[COMMAND ...]", "show help",
	    f_none, NULL, NULL, NULL, "@commands", cmd_help },
	{ NULL }
};

static int
word_in(const char *word, const char *list)
{
	size_t	len = strlen(word);

	while (list != NULL && *list != '\0') {
		if (strncmp(list, word, len) == 0 &&
		    (list[len] == ' ' || list[len] == '\0'))
			return (1);
		if ((list = strchr(list, ' ')) != NULL)
			list++;
	}
	return (0);
}

/* A verb of a group, or a top-level command, by its name or an alias. */
const struct cmd *
cmd_find(const struct cmd *tab, const char *word)
{
	for (; tab->name != NULL; tab++)
		if (strcmp(tab->name, word) == 0 ||
		    word_in(word, tab->aliases) || word_in(word, tab->hidden))
			return (tab);
	return (NULL);
}

/*
 * A flag by "-x", "--long" or "--long=value"; *inl is the value given
 * with "=", or joined to a short flag ("-i5", "-i=5") as pflag allows.
 */
const struct flag *
flag_find(const struct flag *tab, const char *arg, const char **inl)
{
	const char	*name, *eq;
	size_t		 len;

	*inl = NULL;
	if (arg[0] != '-' || arg[1] == '\0')
		return (NULL);
	for (; tab->lname != NULL; tab++) {
		if (arg[1] != '-') {
			if (arg[1] != tab->sname)
				continue;
			if (arg[2] != '\0' && tab->arg == NULL)
				continue;
			if (arg[2] != '\0')
				*inl = arg[2] == '=' ? arg + 3 : arg + 2;
			return (tab);
		}
		name = arg + 2;
		len = (eq = strchr(name, '=')) ? (size_t)(eq - name) :
		    strlen(name);
		if (strlen(tab->lname) == len &&
		    strncmp(name, tab->lname, len) == 0) {
			*inl = eq ? eq + 1 : NULL;
			return (tab);
		}
	}
	return (NULL);
}

#define HELP_COL	28

/* "  name   text", the text on a line of its own after a long name. */
static void
help_line(FILE *f, const char *name, const char *text)
{
	if (strlen(name) > HELP_COL)
		fprintf(f, "  %s\n  %-*s %s\n", name, HELP_COL, "", text);
	else
		fprintf(f, "  %-*s %s\n", HELP_COL, name, text);
}

static void
help_flags(FILE *f, const char *title, const struct flag *fl)
{
	char	spec[80];

	if (fl == NULL || fl->lname == NULL)
		return;
	fprintf(f, "\n%s:\n", title);
	for (; fl->lname != NULL; fl++) {
		if (fl->sname)
			snprintf(spec, sizeof(spec), "-%c, --%s%s%s",
			    fl->sname, fl->lname, fl->arg ? " " : "",
			    fl->arg ? fl->arg : "");
		else
			snprintf(spec, sizeof(spec), "    --%s%s%s", fl->lname,
			    fl->arg ? " " : "", fl->arg ? fl->arg : "");
		help_line(f, spec, fl->help);
	}
}

static void
help_list(FILE *f, const char *title, const struct cmd *tab)
{
	char	name[64];

	fprintf(f, "\n%s:\n", title);
	for (; tab->name != NULL; tab++) {
		if (tab->aliases != NULL)
			snprintf(name, sizeof(name), "%s (%s)", tab->name,
			    tab->aliases);
		else
			snprintf(name, sizeof(name), "%s", tab->name);
		help_line(f, name, tab->help);
	}
}

void
help_root(FILE *f)
{
	fprintf(f, "usage: coordctl [-c file] [-o format] [-s socket] "
	    "[--force] command ...\n\n"
	    "coordctl controls coordd, a headscale-compatible Tailscale "
	    "control server.\n");
	help_list(f, "Commands", cmd_root);
	help_flags(f, "Flags, anywhere on the line", global_flags);
	fprintf(f, "\nSee \"coordctl COMMAND --help\" and coordctl(8).\n");
}

/* Help for a group (cmd NULL) or one command. */
void
help_cmd(FILE *f, const struct cmd *group, const struct cmd *cmd)
{
	const struct cmd	*c = cmd != NULL ? cmd : group;

	fprintf(f, "usage: coordctl ");
	if (group != NULL && cmd != NULL)
		fprintf(f, "%s ", group->name);
	fprintf(f, "%s%s%s%s%s\n\n  %s\n", c->name,
	    c->sub != NULL ? " command" : "",
	    c->flags != NULL && c->flags->lname != NULL ? " [flags]" : "",
	    c->args != NULL ? " " : "", c->args != NULL ? c->args : "",
	    c->help);
	if (c->aliases != NULL)
		fprintf(f, "\nAliases: %s\n", c->aliases);
	if (c->sub != NULL)
		help_list(f, "Commands", c->sub);
	help_flags(f, "Flags", c->flags);
	help_flags(f, "Global flags", global_flags);
}
