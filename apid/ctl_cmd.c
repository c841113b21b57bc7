/*
 * coordctl commands, with headscale's names, aliases and flags.  Each
 * command is checked completely before anything is asked of stored, so
 * that invalid arguments write nothing.
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

#include "store.pb-c.h"

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

static void	run_user_create(struct ctl_conn *, struct ctl_args *);
static void	run_user_list(struct ctl_conn *, struct ctl_args *);
static void	run_user_rename(struct ctl_conn *, struct ctl_args *);
static void	run_user_delete(struct ctl_conn *, struct ctl_args *);
static void	run_pak_create(struct ctl_conn *, struct ctl_args *);
static void	run_pak_list(struct ctl_conn *, struct ctl_args *);
static void	run_pak_expire(struct ctl_conn *, struct ctl_args *);
static void	run_apikey_create(struct ctl_conn *, struct ctl_args *);
static void	run_apikey_list(struct ctl_conn *, struct ctl_args *);
static void	run_apikey_expire(struct ctl_conn *, struct ctl_args *);
static void	run_apikey_delete(struct ctl_conn *, struct ctl_args *);
static void	run_node_list(struct ctl_conn *, struct ctl_args *);
static void	run_node_delete(struct ctl_conn *, struct ctl_args *);
static void	run_node_expire(struct ctl_conn *, struct ctl_args *);
static void	run_node_rename(struct ctl_conn *, struct ctl_args *);
static void	run_debug_create_node(struct ctl_conn *, struct ctl_args *);

#define USERS	"users", "user"
#define PAKS	"preauthkeys", "preauthkey authkey pre"
#define APIKEYS	"apikeys", "apikey api"
#define NODES	"nodes", "node"
#define DEBUG	"debug", NULL

static const struct ctl_cmd ctl_cmds[] = {
	{ USERS, "create", "c new", {
	    { "display-name", 'd', 1 }, { "email", 'e', 1 },
	    { "picture-url", 'p', 1 }, { "force", 0, 0 } },
	    1, run_user_create },
	{ USERS, "list", "ls show", {
	    { "identifier", 'i', 1 }, { "name", 'n', 1 },
	    { "email", 'e', 1 }, { "force", 0, 0 } },
	    0, run_user_list },
	{ USERS, "rename", "mv", {
	    { "identifier", 'i', 1 }, { "name", 'n', 1 },
	    { "new-name", 'r', 1 }, { "force", 0, 0 } },
	    2, run_user_rename },
	{ USERS, "destroy", "delete del rm", {
	    { "identifier", 'i', 1 }, { "name", 'n', 1 },
	    { "force", 0, 0 } },
	    1, run_user_delete },
	{ PAKS, "create", "c new", {
	    { "user", 'u', 1 }, { "reusable", 0, 0 },
	    { "ephemeral", 0, 0 }, { "expiration", 'e', 1 },
	    { "tags", 0, 1 }, { "force", 0, 0 } },
	    0, run_pak_create },
	{ PAKS, "list", "ls show", {
	    { "user", 'u', 1 }, { "force", 0, 0 } },
	    0, run_pak_list },
	{ PAKS, "expire", "revoke exp e", {
	    { "id", 'i', 1 }, { "force", 0, 0 } },
	    0, run_pak_expire },
	{ APIKEYS, "create", "c new", {
	    { "expiration", 'e', 1 }, { "force", 0, 0 } },
	    0, run_apikey_create },
	{ APIKEYS, "list", "ls show", {
	    { "force", 0, 0 } },
	    0, run_apikey_list },
	{ APIKEYS, "expire", "revoke exp e", {
	    { "prefix", 'p', 1 }, { "id", 'i', 1 }, { "force", 0, 0 } },
	    0, run_apikey_expire },
	{ APIKEYS, "delete", "remove del rm", {
	    { "prefix", 'p', 1 }, { "id", 'i', 1 }, { "force", 0, 0 } },
	    0, run_apikey_delete },
	{ NODES, "list", "ls show", {
	    { "user", 'u', 1 }, { "force", 0, 0 } },
	    0, run_node_list },
	{ NODES, "delete", "del", {
	    { "identifier", 'i', 1 }, { "force", 0, 0 } },
	    0, run_node_delete },
	{ NODES, "expire", "logout exp e", {
	    { "identifier", 'i', 1 }, { "expiry", 'e', 1 },
	    { "disable", 'd', 0 }, { "force", 0, 0 } },
	    0, run_node_expire },
	{ NODES, "rename", NULL, {
	    { "identifier", 'i', 1 }, { "force", 0, 0 } },
	    1, run_node_rename },
	{ DEBUG, "create-node", NULL, {
	    { "name", 0, 1 }, { "user", 'u', 1 }, { "key", 'k', 1 },
	    { "route", 'r', 1 }, { "force", 0, 0 } },
	    0, run_debug_create_node },
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

/* The value of a flag by its long name. */
static const char *
arg(const struct ctl_args *a, const char *lname)
{
	const struct ctl_cmd	*cmd;
	size_t			 i;
	int			 f;

	cmd = a->cmd;
	for (i = 0, f = -1; i < OPT_MAX && cmd->flags[i].lname; i++)
		if (strcmp(cmd->flags[i].lname, lname) == 0)
			f = i;
	if (f == -1)
		fatalx("%s: no flag %s", __func__, lname);
	return (a->val[f]);
}

static int
parse_id(const char *s, uint64_t *id)
{
	const char	*errstr;

	*id = strtonum(s, 1, INT64_MAX, &errstr);
	return (errstr == NULL ? 0 : -1);
}

static void
fail(struct ctl_conn *c, const char *fmt, ...)
    __attribute__((__format__ (printf, 2, 3)));

static void
fail(struct ctl_conn *c, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	control_reply(c, CTL_ERR_INVALID, buf, NULL, NULL);
}

/* Collects stored's answer into one JSON document for the client. */
static void
ctl_store_reply(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct ctl_conn	*c;
	void		*rec = NULL;
	json_t		*doc;
	char		 err[512];
	int		 status;

	if ((c = control_find((uint64_t)(uintptr_t)arg)) == NULL)
		return;
	if (imsg == NULL) {
		control_reply(c, CTL_ERR_UNAVAILABLE, "no answer from stored",
		    NULL, NULL);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_STORE_USER:
		if ((rec = pb_unpack(&coordd__user__descriptor, imsg)))
			json_array_append_new(c->items, json_user(rec));
		break;
	case IMSG_STORE_PAK:
		if ((rec = pb_unpack(&coordd__pre_auth_key__descriptor, imsg)))
			json_array_append_new(c->items, json_preauthkey(rec));
		break;
	case IMSG_STORE_APIKEY:
		if ((rec = pb_unpack(&coordd__api_key__descriptor, imsg))) {
			/* Create answers with the whole key, shown once. */
			if (c->single && ((Coordd__ApiKey *)rec)->key[0])
				json_array_append_new(c->items, json_string(
				    ((Coordd__ApiKey *)rec)->key));
			else
				json_array_append_new(c->items,
				    json_apikey(rec));
		}
		break;
	case IMSG_STORE_NODE:
		if ((rec = pb_unpack(&coordd__node__descriptor, imsg)))
			json_array_append_new(c->items, json_node(rec));
		break;
	case IMSG_DONE:
		doc = c->single ? json_incref(json_array_get(c->items, 0)) :
		    json_incref(c->items);
		if (doc == NULL)
			doc = json_null();
		control_reply(c, CTL_OK, NULL, doc, c->kind);
		json_decref(doc);
		return;
	case IMSG_RESULT:
		if (pb_result(imsg, &status, err, sizeof(err)) == -1) {
			control_reply(c, CTL_ERR_INTERNAL, "bad reply from "
			    "stored", NULL, NULL);
			return;
		}
		doc = status == CTL_OK ? json_string(c->kind) : NULL;
		control_reply(c, status, err, doc, "text");
		json_decref(doc);
		return;
	default:
		log_warnx("stored: unexpected reply %u", imsg->hdr.type);
		return;
	}
	if (rec == NULL)
		log_warnx("stored: reply %u does not parse", imsg->hdr.type);
	pb_free(rec);
}

/*
 * Ask stored; kind names the table for records, or is the message shown
 * for a bare success.
 */
static void
ctl_ask(struct ctl_conn *c, uint32_t type, const ProtobufCMessage *msg,
    const char *kind, int single)
{
	struct apid	*env = apid_env;

	if (env->store == NULL) {
		control_reply(c, CTL_ERR_UNAVAILABLE, "stored is not "
		    "available, try again", NULL, NULL);
		return;
	}
	json_decref(c->items);
	c->items = json_array();
	c->kind = kind;
	c->single = single;
	if (imsgev_request(env->store, type, -1, msg, CTL_STORE_TIMEOUT_MS,
	    ctl_store_reply, (void *)(uintptr_t)c->id) == -1)
		control_reply(c, CTL_ERR_UNAVAILABLE, "cannot reach stored",
		    NULL, NULL);
}

static void
run_user_create(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__UserCreate	m = COORDD__USER_CREATE__INIT;

	if (a->npos != 1)
		return (fail(c, "usage: users create NAME"));
	m.name = (char *)a->pos[0];
	m.display_name = (char *)(arg(a, "display-name") ?: "");
	m.email = (char *)(arg(a, "email") ?: "");
	m.picture_url = (char *)(arg(a, "picture-url") ?: "");
	ctl_ask(c, IMSG_STORE_USER_CREATE, &m.base, "user", 1);
}

static int
user_query(struct ctl_conn *c, struct ctl_args *a, Coordd__UserQuery *q,
    int required)
{
	const char	*id = arg(a, "identifier"), *name = arg(a, "name");

	if (id != NULL && parse_id(id, &q->id) == -1) {
		fail(c, "invalid --identifier \"%s\"", id);
		return (-1);
	}
	if (name == NULL && a->npos > 0 && required)
		name = a->pos[0];
	q->name = (char *)(name ?: "");
	if (required && id == NULL && name == NULL) {
		fail(c, "--identifier or --name is required");
		return (-1);
	}
	return (0);
}

static void
run_user_list(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__UserQuery	q = COORDD__USER_QUERY__INIT;

	if (user_query(c, a, &q, 0) == -1)
		return;
	q.email = (char *)(arg(a, "email") ?: "");
	ctl_ask(c, IMSG_STORE_USER_LIST, &q.base, "users", 0);
}

static void
run_user_rename(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__UserRename	m = COORDD__USER_RENAME__INIT;
	const char		*id = arg(a, "identifier");
	const char		*old = arg(a, "name"), *nname = arg(a, "new-name");

	/* Also "users rename OLD NEW", the form people type first. */
	if (a->npos == 2 && old == NULL && id == NULL && nname == NULL) {
		old = a->pos[0];
		nname = a->pos[1];
	} else if (a->npos != 0)
		return (fail(c, "usage: users rename -n OLD -r NEW"));
	if (nname == NULL)
		return (fail(c, "--new-name is required"));
	if (id == NULL && old == NULL)
		return (fail(c, "--identifier or --name is required"));
	if (id != NULL && parse_id(id, &m.id) == -1)
		return (fail(c, "invalid --identifier \"%s\"", id));
	m.old_name = (char *)(old ?: "");
	m.new_name = (char *)nname;
	ctl_ask(c, IMSG_STORE_USER_RENAME, &m.base, "user", 1);
}

static void
run_user_delete(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__UserQuery	q = COORDD__USER_QUERY__INIT;

	if (user_query(c, a, &q, 1) == -1)
		return;
	ctl_ask(c, IMSG_STORE_USER_DELETE, &q.base, "User destroyed", 0);
}

static int
parse_expiration(struct ctl_conn *c, const char *s, long long dflt,
    int64_t *out)
{
	long long	secs = dflt;

	if (s != NULL && (secs = config_parse_duration(s)) < 0) {
		fail(c, "invalid --expiration \"%s\" (use e.g. 1h, 90d)", s);
		return (-1);
	}
	/* 0 means never; a duration that rounds to 0 is a mistake. */
	if (s != NULL && secs == 0 && strcmp(s, "0") != 0) {
		fail(c, "--expiration \"%s\" is shorter than a second", s);
		return (-1);
	}
	*out = secs == 0 ? 0 : (int64_t)time(NULL) + secs;
	return (0);
}

static int
split_tags(struct ctl_conn *c, const char *s, char **tags, size_t *ntags,
    char *buf, size_t buflen)
{
	char	*p, *tok;

	*ntags = 0;
	if (s == NULL)
		return (0);
	if (strlcpy(buf, s, buflen) >= buflen) {
		fail(c, "--tags too long");
		return (-1);
	}
	for (p = buf; (tok = strsep(&p, ",")) != NULL;) {
		if (*tok == '\0')
			continue;
		if (strncmp(tok, "tag:", 4) != 0 || tok[4] == '\0') {
			fail(c, "invalid tag \"%s\": tags look like tag:name",
			    tok);
			return (-1);
		}
		if (*ntags == CTL_MAX_ARGS) {
			fail(c, "too many tags");
			return (-1);
		}
		tags[(*ntags)++] = tok;
	}
	return (0);
}

static void
user_ref(const char *u, uint64_t *id, char **name)
{
	const char	*errstr;

	*id = 0;
	*name = "";
	if (u == NULL)
		return;
	*id = strtonum(u, 1, INT64_MAX, &errstr);
	if (errstr != NULL) {
		*id = 0;
		*name = (char *)u;
	}
}

static void
run_pak_create(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__PakCreate	 m = COORDD__PAK_CREATE__INIT;
	char			*tags[CTL_MAX_ARGS], buf[CTL_MAX_ARGLEN + 1];
	size_t			 ntags;

	user_ref(arg(a, "user"), &m.user_id, &m.user_name);
	if (parse_expiration(c, arg(a, "expiration"), 3600,
	    &m.expiration) == -1)
		return;
	if (split_tags(c, arg(a, "tags"), tags, &ntags, buf,
	    sizeof(buf)) == -1)
		return;
	if (m.user_id == 0 && m.user_name[0] == '\0' && ntags == 0)
		return (fail(c, "a pre-auth key needs --user or --tags"));
	m.reusable = arg(a, "reusable") != NULL;
	m.ephemeral = arg(a, "ephemeral") != NULL;
	m.tags = tags;
	m.n_tags = ntags;
	ctl_ask(c, IMSG_STORE_PAK_CREATE, &m.base, "preauthkey", 1);
}

static void
run_pak_list(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__PakQuery	q = COORDD__PAK_QUERY__INIT;

	user_ref(arg(a, "user"), &q.user_id, &q.user_name);
	ctl_ask(c, IMSG_STORE_PAK_LIST, &q.base, "preauthkeys", 0);
}

static void
run_pak_expire(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__PakQuery	 q = COORDD__PAK_QUERY__INIT;
	const char		*id = arg(a, "id");

	if (id == NULL)
		return (fail(c, "--id is required"));
	if (parse_id(id, &q.id) == -1)
		return (fail(c, "invalid --id \"%s\"", id));
	ctl_ask(c, IMSG_STORE_PAK_EXPIRE, &q.base, "Key expired", 0);
}

static void
run_apikey_create(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__ApiKeyCreate	m = COORDD__API_KEY_CREATE__INIT;

	if (parse_expiration(c, arg(a, "expiration"), 90LL * 86400,
	    &m.expiration) == -1)
		return;
	ctl_ask(c, IMSG_STORE_APIKEY_CREATE, &m.base, "text", 1);
}

static void
run_apikey_list(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__ApiKeyQuery	q = COORDD__API_KEY_QUERY__INIT;

	ctl_ask(c, IMSG_STORE_APIKEY_LIST, &q.base, "apikeys", 0);
}

static int
apikey_query(struct ctl_conn *c, struct ctl_args *a, Coordd__ApiKeyQuery *q)
{
	const char	*id = arg(a, "id"), *prefix = arg(a, "prefix");

	if ((id == NULL) == (prefix == NULL)) {
		fail(c, "give one of --prefix or --id");
		return (-1);
	}
	if (id != NULL && parse_id(id, &q->id) == -1) {
		fail(c, "invalid --id \"%s\"", id);
		return (-1);
	}
	q->prefix = (char *)(prefix ?: "");
	return (0);
}

static void
run_apikey_expire(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__ApiKeyQuery	q = COORDD__API_KEY_QUERY__INIT;

	if (apikey_query(c, a, &q) == 0)
		ctl_ask(c, IMSG_STORE_APIKEY_EXPIRE, &q.base, "Key expired",
		    0);
}

static void
run_apikey_delete(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__ApiKeyQuery	q = COORDD__API_KEY_QUERY__INIT;

	if (apikey_query(c, a, &q) == 0)
		ctl_ask(c, IMSG_STORE_APIKEY_DELETE, &q.base, "Key deleted",
		    0);
}

static void
run_node_list(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__NodeQuery	q = COORDD__NODE_QUERY__INIT;

	q.user_name = (char *)(arg(a, "user") ?: "");
	ctl_ask(c, IMSG_STORE_NODE_LIST, &q.base, "nodes", 0);
}

static int
node_id(struct ctl_conn *c, struct ctl_args *a, uint64_t *id)
{
	const char	*s = arg(a, "identifier");

	if (s == NULL) {
		fail(c, "--identifier is required");
		return (-1);
	}
	if (parse_id(s, id) == -1) {
		fail(c, "invalid --identifier \"%s\"", s);
		return (-1);
	}
	return (0);
}

static void
run_node_delete(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__NodeQuery	q = COORDD__NODE_QUERY__INIT;

	if (node_id(c, a, &q.id) == 0)
		ctl_ask(c, IMSG_STORE_NODE_DELETE, &q.base, "Node deleted", 0);
}

/* RFC 3339 in UTC ("2026-01-02T03:04:05Z"); -1 if it is not. */
static int
parse_rfc3339(const char *s, int64_t *out)
{
	struct tm	 tm;
	const char	*end;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (-1);
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
		return (-1);
	if ((t = timegm(&tm)) <= 0)
		return (-1);
	*out = t;
	return (0);
}

static void
run_node_expire(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__NodeExpire	 m = COORDD__NODE_EXPIRE__INIT;
	const char		*e = arg(a, "expiry");

	if (node_id(c, a, &m.id) == -1)
		return;
	if (e != NULL && e[0] != '\0' && parse_rfc3339(e, &m.expiry) == -1)
		return (fail(c, "invalid --expiry \"%s\" (use RFC 3339, "
		    "e.g. 2026-01-02T15:04:05Z)", e));
	m.disable = arg(a, "disable") != NULL;
	ctl_ask(c, IMSG_STORE_NODE_EXPIRE, &m.base, "node", 1);
}

static void
run_node_rename(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__NodeRename	m = COORDD__NODE_RENAME__INIT;

	if (node_id(c, a, &m.id) == -1)
		return;
	if (a->npos != 1)
		return (fail(c, "usage: nodes rename -i ID NEW_NAME"));
	m.new_name = (char *)a->pos[0];
	ctl_ask(c, IMSG_STORE_NODE_RENAME, &m.base, "node", 1);
}

/* A node registered by the admin for a user, without a client. */
static void
run_debug_create_node(struct ctl_conn *c, struct ctl_args *a)
{
	Coordd__NodeRegister	 m = COORDD__NODE_REGISTER__INIT;
	const char		*name = arg(a, "name"), *user = arg(a, "user");
	const char		*key = arg(a, "key");
	char			 mkey[128];

	if (name == NULL || user == NULL || key == NULL)
		return (fail(c, "--name, --user and --key are required"));
	if (arg(a, "route") != NULL)
		return (fail(c, "--route is not supported yet"));
	if (name[0] == '\0' || user[0] == '\0')
		return (fail(c, "--name and --user must not be empty"));
	/* headscale takes the key with or without its "mkey:". */
	if (strncmp(key, "mkey:", 5) != 0) {
		snprintf(mkey, sizeof(mkey), "mkey:%s", key);
		key = mkey;
	}
	m.machine_key = (char *)key;
	m.hostname = (char *)name;
	m.user = (char *)user;
	ctl_ask(c, IMSG_STORE_NODE_REGISTER, &m.base, "node", 1);
}

void
ctl_command(struct ctl_conn *c, int argc, char **argv)
{
	const struct ctl_cmd	*cmd;
	struct ctl_args		 a;
	char			 err[512];
	size_t			 i;

	if (argc < 2)
		return (fail(c, "usage: coordctl "
		    "users|nodes|preauthkeys|apikeys|debug "
		    "command ..."));
	for (i = 0; i < nitems(ctl_cmds); i++) {
		cmd = &ctl_cmds[i];
		if (word_in(argv[0], cmd->group, cmd->groupalias) &&
		    word_in(argv[1], cmd->name, cmd->aliases))
			break;
	}
	if (i == nitems(ctl_cmds))
		return (fail(c, "unknown command \"%s %s\"", argv[0],
		    argv[1]));
	if (ctl_parse_args(cmd, argc - 2, argv + 2, &a, err,
	    sizeof(err)) == -1)
		return (fail(c, "%s", err));
	a.cmd = cmd;
	cmd->run(c, &a);
}
