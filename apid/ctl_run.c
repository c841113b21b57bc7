/*
 * coordctl's commands as REST requests: each command becomes the
 * headscale API call that does the same, run in-process with local
 * trust, so the checks, the stored requests and the JSON shapes are
 * those of the REST API.  The answer goes back as a CtlReply whose
 * JSON is the REST record (lists unwrapped to arrays) and whose kind
 * names the table coordctl draws.  Arguments are checked here only as
 * far as turning them into a request needs; REST checks the rest.
 */
#include <sys/types.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apid.h"
#include "config.h"
#include "log.h"
#include "rest.h"
#include "util.h"

/* How a REST answer becomes a CtlReply. */
struct ctl_view {
	const char	*kind;		/* coordctl's table, "text" */
	const char	*unwrap;	/* the member to show; NULL: all */
	const char	*text;		/* shown on success instead */
};

static const struct ctl_view v_user = { "user", "user", NULL };
static const struct ctl_view v_users = { "users", "users", NULL };
static const struct ctl_view v_user_del = { "text", NULL, "User destroyed" };
static const struct ctl_view v_pak = { "preauthkey", "preAuthKey", NULL };
static const struct ctl_view v_paks = { "preauthkeys", "preAuthKeys", NULL };
static const struct ctl_view v_key_exp = { "text", NULL, "Key expired" };
static const struct ctl_view v_key_del = { "text", NULL, "Key deleted" };
static const struct ctl_view v_apikey = { "text", "apiKey", NULL };
static const struct ctl_view v_apikeys = { "apikeys", "apiKeys", NULL };
static const struct ctl_view v_node = { "node", "node", NULL };
static const struct ctl_view v_nodes = { "nodes", "nodes", NULL };
static const struct ctl_view v_routes = { "routes", "nodes", NULL };
static const struct ctl_view v_node_del = { "text", NULL, "Node deleted" };
static const struct ctl_view v_changes = { "changes", "changes", NULL };
static const struct ctl_view v_health = { "health", NULL, NULL };
static const struct ctl_view v_policy = { "policy", NULL, NULL };
static const struct ctl_view v_auth_ok = { "text", NULL, "Done" };
static const struct ctl_view v_lookup = { NULL, NULL, NULL };

void
ctl_fail(struct ctl_conn *c, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	control_reply(c, CTL_ERR_INVALID, buf, NULL, NULL);
}

static int
ctl_status(int http)
{
	switch (http) {
	case 400:
	case 405:
	case 413:
		return (CTL_ERR_INVALID);
	case 404:
		return (CTL_ERR_NOTFOUND);
	case 409:
		return (CTL_ERR_EXISTS);
	case 403:
		return (CTL_ERR_DENIED);
	case 503:
		return (CTL_ERR_UNAVAILABLE);
	default:
		return (CTL_ERR_INTERNAL);
	}
}

static void	ctl_rest(struct ctl_conn *, const char *, const char *,
		    const char *, json_t *, const struct ctl_view *);

/* tmpl with its "{id}" replaced by id. */
static int
ctl_subst(char *out, size_t len, const char *tmpl, const char *id)
{
	const char	*p = strstr(tmpl, "{id}");

	if (p == NULL)
		return (strlcpy(out, tmpl, len) < len ? 0 : -1);
	if ((size_t)(p - tmpl) >= len)
		return (-1);
	memcpy(out, tmpl, p - tmpl);
	out[p - tmpl] = '\0';
	if (strlcat(out, id, len) >= len || strlcat(out, p + 4, len) >= len)
		return (-1);
	return (0);
}

/*
 * The first answer of a two-step command: the user's id, for the
 * second request's path ("{id}") or its body member pend_field.
 */
static void
ctl_lookup_done(struct ctl_conn *c, json_t *doc)
{
	json_t		*u, *body = c->pend_body;
	const char	*id;
	char		 path[sizeof(c->pend_path) + 24];

	u = json_array_get(json_object_get(doc, "users"), 0);
	if (u == NULL)
		return (control_reply(c, CTL_ERR_NOTFOUND, "user not found",
		    NULL, NULL));
	id = json_string_value(json_object_get(u, "id"));
	if (id == NULL || ctl_subst(path, sizeof(path), c->pend_path,
	    id) == -1)
		return (control_reply(c, CTL_ERR_INTERNAL, "bad user id",
		    NULL, NULL));
	if (c->pend_field[0] != '\0' && body != NULL)
		json_object_set_new(body, c->pend_field, json_string(id));
	c->pend_body = NULL;
	ctl_rest(c, c->pend_method, path, NULL, body, c->pend_view);
}

static void
ctl_rest_done(struct rest_req *r, int status, json_t *doc, const char *err)
{
	const struct ctl_view	*v = r->done_arg;
	struct ctl_conn		*c;
	json_t			*show;

	if ((c = control_find(r->done_id)) == NULL)
		return;
	if (status != 200)
		return (control_reply(c, ctl_status(status), err, NULL, NULL));
	if (v == &v_lookup)
		return (ctl_lookup_done(c, doc));
	if (v->text != NULL) {
		show = json_string(v->text);
		control_reply(c, CTL_OK, NULL, show, v->kind);
		json_decref(show);
		return;
	}
	show = v->unwrap != NULL ? json_object_get(doc, v->unwrap) : doc;
	control_reply(c, CTL_OK, NULL, show, v->kind);
}

/* Run one REST request for the command; body is taken over. */
static void
ctl_rest(struct ctl_conn *c, const char *method, const char *path,
    const char *query, json_t *body, const struct ctl_view *v)
{
	struct rest_req	*r;
	char		*b = NULL;

	if (body != NULL && (b = json_dumps(body, JSON_COMPACT)) == NULL) {
		json_decref(body);
		return (control_reply(c, CTL_ERR_INTERNAL, "out of memory",
		    NULL, NULL));
	}
	json_decref(body);
	r = rest_new(method, path, query, b, b != NULL ? strlen(b) : 0,
	    ctl_rest_done);
	free(b);
	if (r == NULL)
		return (control_reply(c, CTL_ERR_INTERNAL, "out of memory",
		    NULL, NULL));
	r->local = 1;
	r->done_id = c->id;
	r->done_arg = (void *)v;
	snprintf(r->remote, sizeof(r->remote), "control uid %u",
	    (unsigned)c->uid);
	rest_run(r);
}

/* Append name=value to a query, percent-encoding the value. */
static int
qadd(char *q, size_t len, const char *name, const char *value)
{
	size_t	o = strlen(q);
	int	n;

	n = snprintf(q + o, len - o, "%s%s=", o > 0 ? "&" : "", name);
	if (n < 0 || (size_t)n >= len - o)
		return (-1);
	for (o += n; *value != '\0'; value++) {
		if (o + 4 >= len)
			return (-1);
		if (isalnum((unsigned char)*value) ||
		    strchr("-._~", *value) != NULL)
			q[o++] = *value;
		else
			o += snprintf(q + o, len - o, "%%%02X",
			    (unsigned char)*value);
	}
	q[o] = '\0';
	return (0);
}

/* A node's path: /api/v1/node/<id><tail>, the id checked here. */
static int
ctl_path(struct ctl_conn *c, char *buf, size_t len, const char *tail,
    const char *flag, const char *id)
{
	uint64_t	v;

	if (id == NULL) {
		ctl_fail(c, "--%s is required", flag);
		return (-1);
	}
	if (rest_parse_id(id, &v) == -1) {
		ctl_fail(c, "invalid --%s \"%s\"", flag, id);
		return (-1);
	}
	snprintf(buf, len, "/api/v1/node/%llu%s", (unsigned long long)v,
	    tail);
	return (0);
}

/*
 * A command on a user given by id or by name: names are looked up
 * first (headscale's routes take ids); then "{id}" in tmpl, and the
 * body member field if not NULL, get the id.
 */
static void
ctl_by_name(struct ctl_conn *c, const char *method, const char *tmpl,
    const char *field, const char *id, const char *name, json_t *body,
    const struct ctl_view *v)
{
	char		 path[256], q[320];
	uint64_t	 n;

	if (id != NULL) {
		if (rest_parse_id(id, &n) == -1 ||
		    ctl_subst(path, sizeof(path), tmpl, id) == -1) {
			json_decref(body);
			return (ctl_fail(c, "invalid id \"%s\"", id));
		}
		if (field != NULL)
			json_object_set_new(body, field, json_string(id));
		return (ctl_rest(c, method, path, NULL, body, v));
	}
	q[0] = '\0';
	if (qadd(q, sizeof(q), "name", name) == -1 ||
	    strlcpy(c->pend_path, tmpl, sizeof(c->pend_path)) >=
	    sizeof(c->pend_path)) {
		json_decref(body);
		return (ctl_fail(c, "name too long"));
	}
	strlcpy(c->pend_method, method, sizeof(c->pend_method));
	strlcpy(c->pend_field, field != NULL ? field : "",
	    sizeof(c->pend_field));
	json_decref(c->pend_body);
	c->pend_body = body;
	c->pend_view = v;
	ctl_rest(c, "GET", "/api/v1/user", q, NULL, &v_lookup);
}

void
run_user_create(struct ctl_conn *c, struct ctl_args *a)
{
	if (ctl_npos(a) != 1)
		return (ctl_fail(c, "usage: users create NAME"));
	ctl_rest(c, "POST", "/api/v1/user", NULL, json_pack(
	    "{s:s, s:s?, s:s?, s:s?}", "name", ctl_pos(a, 0),
	    "displayName", ctl_arg(a, "display-name"),
	    "email", ctl_arg(a, "email"),
	    "pictureUrl", ctl_arg(a, "picture-url")), &v_user);
}

void
run_user_list(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*f[] = { "identifier", "id", "name", "name",
			    "email", "email" };
	char		 q[1024];
	size_t		 i;

	q[0] = '\0';
	for (i = 0; i < nitems(f); i += 2) {
		/* headscale's -i defaults to -1, "not given". */
		if (ctl_arg(a, f[i]) == NULL || (i == 0 &&
		    strcmp(ctl_arg(a, f[i]), "-1") == 0))
			continue;
		if (qadd(q, sizeof(q), f[i + 1], ctl_arg(a, f[i])) == -1)
			return (ctl_fail(c, "--%s too long", f[i]));
	}
	ctl_rest(c, "GET", "/api/v1/user", q, NULL, &v_users);
}

void
run_user_rename(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*id = ctl_arg(a, "identifier");
	const char	*old = ctl_arg(a, "name");
	const char	*nn = ctl_arg(a, "new-name");
	char		 tmpl[256], q[200];

	/* Also "users rename OLD NEW", the form people type first. */
	if (ctl_npos(a) == 2 && old == NULL && id == NULL && nn == NULL) {
		old = ctl_pos(a, 0);
		nn = ctl_pos(a, 1);
	} else if (ctl_npos(a) != 0)
		return (ctl_fail(c, "usage: users rename -n OLD -r NEW"));
	if (nn == NULL)
		return (ctl_fail(c, "--new-name is required"));
	if (id == NULL && old == NULL)
		return (ctl_fail(c, "--identifier or --name is required"));
	/* The new name is a path segment: percent-encoded. */
	q[0] = '\0';
	if (qadd(q, sizeof(q), "n", nn) == -1)
		return (ctl_fail(c, "--new-name too long"));
	snprintf(tmpl, sizeof(tmpl), "/api/v1/user/{id}/rename/%s", q + 2);
	ctl_by_name(c, "POST", tmpl, NULL, id, old, NULL, &v_user);
}

void
run_user_delete(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*id = ctl_arg(a, "identifier");
	const char	*name = ctl_arg(a, "name");

	if (name == NULL && id == NULL && ctl_npos(a) == 1)
		name = ctl_pos(a, 0);
	if (id == NULL && name == NULL)
		return (ctl_fail(c, "--identifier or --name is required"));
	ctl_by_name(c, "DELETE", "/api/v1/user/{id}", NULL, id, name, NULL,
	    &v_user_del);
}

/* now + a duration ("1h", "90d"), as RFC 3339; "0": none. */
static int
ctl_expiration(struct ctl_conn *c, const char *s, const char *dflt,
    char *buf, size_t len)
{
	long long	secs;

	if (s == NULL)
		s = dflt;
	if ((secs = config_parse_duration(s)) < 0) {
		ctl_fail(c, "invalid --expiration \"%s\" (use e.g. 1h, 90d)",
		    s);
		return (-1);
	}
	if (secs == 0 && strcmp(s, "0") != 0) {
		ctl_fail(c, "--expiration \"%s\" is shorter than a second", s);
		return (-1);
	}
	buf[0] = '\0';
	if (secs > 0)
		time_rfc3339(time(NULL) + secs, buf, len);
	return (0);
}

/* "tag:a,tag:b" or "10.0.0.0/8,..." as a JSON array. */
static json_t *
ctl_list(const char *s)
{
	json_t	*a = json_array();
	char	*dup, *p, *tok;

	if (s == NULL || (dup = strdup(s)) == NULL)
		return (a);
	for (p = dup; (tok = strsep(&p, ",")) != NULL;)
		if (*tok != '\0')
			json_array_append_new(a, json_string(tok));
	free(dup);
	return (a);
}

void
run_pak_create(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*user = ctl_arg(a, "user");
	char		 exp[64];
	json_t		*body;
	uint64_t	 id;

	if (ctl_expiration(c, ctl_arg(a, "expiration"), "1h", exp,
	    sizeof(exp)) == -1)
		return;
	body = json_pack("{s:b, s:b, s:o}",
	    "reusable", ctl_arg(a, "reusable") != NULL,
	    "ephemeral", ctl_arg(a, "ephemeral") != NULL,
	    "aclTags", ctl_list(ctl_arg(a, "tags")));
	if (exp[0] != '\0')
		json_object_set_new(body, "expiration", json_string(exp));
	if (user == NULL)
		return (ctl_rest(c, "POST", "/api/v1/preauthkey", NULL, body,
		    &v_pak));
	/* headscale's -u takes an id; a name is looked up. */
	if (rest_parse_id(user, &id) == 0)
		ctl_by_name(c, "POST", "/api/v1/preauthkey", "user", user,
		    NULL, body, &v_pak);
	else
		ctl_by_name(c, "POST", "/api/v1/preauthkey", "user", NULL,
		    user, body, &v_pak);
}

void
run_pak_list(struct ctl_conn *c, struct ctl_args *a)
{
	char	q[320];

	q[0] = '\0';
	if (ctl_arg(a, "user") != NULL && qadd(q, sizeof(q), "user",
	    ctl_arg(a, "user")) == -1)
		return (ctl_fail(c, "--user too long"));
	ctl_rest(c, "GET", "/api/v1/preauthkey", q, NULL, &v_paks);
}

static json_t *
ctl_id_body(struct ctl_conn *c, const char *flag, const char *id)
{
	uint64_t	v;

	if (id == NULL) {
		ctl_fail(c, "--%s is required", flag);
		return (NULL);
	}
	if (rest_parse_id(id, &v) == -1) {
		ctl_fail(c, "invalid --%s \"%s\"", flag, id);
		return (NULL);
	}
	return (json_pack("{s:s}", "id", id));
}

void
run_pak_expire(struct ctl_conn *c, struct ctl_args *a)
{
	json_t	*body;

	if ((body = ctl_id_body(c, "id", ctl_arg(a, "id"))) != NULL)
		ctl_rest(c, "POST", "/api/v1/preauthkey/expire", NULL, body,
		    &v_key_exp);
}

void
run_pak_delete(struct ctl_conn *c, struct ctl_args *a)
{
	char	q[64];
	json_t	*body;

	if ((body = ctl_id_body(c, "id", ctl_arg(a, "id"))) == NULL)
		return;
	json_decref(body);
	snprintf(q, sizeof(q), "id=%s", ctl_arg(a, "id"));
	ctl_rest(c, "DELETE", "/api/v1/preauthkey", q, NULL, &v_key_del);
}

void
run_apikey_create(struct ctl_conn *c, struct ctl_args *a)
{
	char	exp[64];
	json_t	*body;

	if (ctl_expiration(c, ctl_arg(a, "expiration"), "90d", exp,
	    sizeof(exp)) == -1)
		return;
	body = json_object();
	if (exp[0] != '\0')
		json_object_set_new(body, "expiration", json_string(exp));
	ctl_rest(c, "POST", "/api/v1/apikey", NULL, body, &v_apikey);
}

void
run_apikey_list(struct ctl_conn *c, struct ctl_args *a)
{
	ctl_rest(c, "GET", "/api/v1/apikey", NULL, NULL, &v_apikeys);
}

void
run_apikey_expire(struct ctl_conn *c, struct ctl_args *a)
{
	ctl_rest(c, "POST", "/api/v1/apikey/expire", NULL, json_pack(
	    "{s:s?, s:s?}", "id", ctl_arg(a, "id"),
	    "prefix", ctl_arg(a, "prefix")), &v_key_exp);
}

void
run_apikey_delete(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*id = ctl_arg(a, "id");
	const char	*prefix = ctl_arg(a, "prefix");
	char		 path[256], q[64];

	q[0] = '\0';
	if (id != NULL && qadd(q, sizeof(q), "id", id) == -1)
		return (ctl_fail(c, "invalid --id"));
	path[0] = '\0';
	if (qadd(path, sizeof(path), "p", prefix != NULL ? prefix : "") ==
	    -1)
		return (ctl_fail(c, "invalid --prefix"));
	/* The prefix is a path segment; "p=" is only qadd's framing. */
	memmove(path + strlen("/api/v1/apikey/"), path + 2,
	    strlen(path + 2) + 1);
	memcpy(path, "/api/v1/apikey/", strlen("/api/v1/apikey/"));
	ctl_rest(c, "DELETE", path, q, NULL, &v_key_del);
}

void
run_node_list(struct ctl_conn *c, struct ctl_args *a)
{
	char	q[1024];

	q[0] = '\0';
	if ((ctl_arg(a, "user") != NULL && qadd(q, sizeof(q), "user",
	    ctl_arg(a, "user")) == -1) || (ctl_arg(a, "tags") != NULL &&
	    qadd(q, sizeof(q), "tags", ctl_arg(a, "tags")) == -1))
		return (ctl_fail(c, "--user or --tags too long"));
	ctl_rest(c, "GET", "/api/v1/node", q, NULL, &v_nodes);
}

void
run_node_register(struct ctl_conn *c, struct ctl_args *a)
{
	char	q[512];

	if (ctl_arg(a, "user") == NULL || ctl_arg(a, "key") == NULL)
		return (ctl_fail(c, "--user and --key are required"));
	q[0] = '\0';
	if (qadd(q, sizeof(q), "user", ctl_arg(a, "user")) == -1 ||
	    qadd(q, sizeof(q), "key", ctl_arg(a, "key")) == -1)
		return (ctl_fail(c, "--user or --key too long"));
	ctl_rest(c, "POST", "/api/v1/node/register", q, NULL, &v_node);
}

void
run_node_delete(struct ctl_conn *c, struct ctl_args *a)
{
	char	path[64];

	if (ctl_path(c, path, sizeof(path), "",
	    "identifier", ctl_arg(a, "identifier")) == 0)
		ctl_rest(c, "DELETE", path, NULL, NULL, &v_node_del);
}

void
run_node_expire(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*e = ctl_arg(a, "expiry");
	char		 path[64], q[128];
	int64_t		 t;

	if (ctl_path(c, path, sizeof(path), "/expire",
	    "identifier", ctl_arg(a, "identifier")) == -1)
		return;
	q[0] = '\0';
	if (e != NULL && e[0] != '\0' && (rest_parse_rfc3339(e, &t) == -1 ||
	    qadd(q, sizeof(q), "expiry", e) == -1))
		return (ctl_fail(c, "invalid --expiry \"%s\" (use RFC 3339, "
		    "e.g. 2026-01-02T15:04:05Z)", e));
	if (ctl_arg(a, "disable") != NULL)
		qadd(q, sizeof(q), "disableExpiry", "true");
	ctl_rest(c, "POST", path, q, NULL, &v_node);
}

void
run_node_rename(struct ctl_conn *c, struct ctl_args *a)
{
	char	path[64], q[200], full[300];

	if (ctl_path(c, path, sizeof(path), "/rename/",
	    "identifier", ctl_arg(a, "identifier")) == -1)
		return;
	if (ctl_npos(a) != 1)
		return (ctl_fail(c, "usage: nodes rename -i ID NEW_NAME"));
	q[0] = '\0';
	if (qadd(q, sizeof(q), "n", ctl_pos(a, 0)) == -1)
		return (ctl_fail(c, "name too long"));
	snprintf(full, sizeof(full), "%s%s", path, q + 2);
	ctl_rest(c, "POST", full, NULL, NULL, &v_node);
}

void
run_node_move(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*user = ctl_arg(a, "user");
	char		 path[64];
	uint64_t	 id;

	if (ctl_path(c, path, sizeof(path), "/user",
	    "identifier", ctl_arg(a, "identifier")) == -1)
		return;
	if (user == NULL)
		return (ctl_fail(c, "--user is required"));
	if (rest_parse_id(user, &id) == 0)
		ctl_by_name(c, "POST", path, "user", user, NULL,
		    json_object(), &v_node);
	else
		ctl_by_name(c, "POST", path, "user", NULL, user,
		    json_object(), &v_node);
}

void
run_node_tag(struct ctl_conn *c, struct ctl_args *a)
{
	char	path[64];

	if (ctl_path(c, path, sizeof(path), "/tags",
	    "identifier", ctl_arg(a, "identifier")) == -1)
		return;
	ctl_rest(c, "POST", path, NULL, json_pack("{s:o}", "tags",
	    ctl_list(ctl_arg(a, "tags"))), &v_node);
}

void
run_node_routes(struct ctl_conn *c, struct ctl_args *a)
{
	char	path[64];

	if (ctl_path(c, path, sizeof(path), "/approve_routes",
	    "identifier", ctl_arg(a, "identifier")) == -1)
		return;
	if (ctl_arg(a, "routes") == NULL)
		return (ctl_fail(c, "--routes is required (\"\" clears)"));
	ctl_rest(c, "POST", path, NULL, json_pack("{s:o}", "routes",
	    ctl_list(ctl_arg(a, "routes"))), &v_node);
}

/* Nodes with their routes: all, or the one of --identifier. */
void
run_node_list_routes(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*id = ctl_arg(a, "identifier");
	char		 path[64];

	if (id == NULL)
		return (ctl_rest(c, "GET", "/api/v1/node", NULL, NULL,
		    &v_routes));
	if (ctl_path(c, path, sizeof(path), "",
	    "identifier", id) == 0)
		ctl_rest(c, "GET", path, NULL, NULL, &v_node);
}

void
run_node_backfill(struct ctl_conn *c, struct ctl_args *a)
{
	ctl_rest(c, "POST", "/api/v1/node/backfillips", "confirmed=true",
	    NULL, &v_changes);
}

void
run_debug_create_node(struct ctl_conn *c, struct ctl_args *a)
{
	const char	*name = ctl_arg(a, "name");
	const char	*user = ctl_arg(a, "user");
	const char	*key = ctl_arg(a, "key");

	if (name == NULL || user == NULL || key == NULL)
		return (ctl_fail(c, "--name, --user and --key are required"));
	ctl_rest(c, "POST", "/api/v1/debug/node", NULL, json_pack(
	    "{s:s, s:s, s:s, s:o}", "name", name, "user", user, "key", key,
	    "routes", ctl_list(ctl_arg(a, "route"))), &v_node);
}

void
run_auth_register(struct ctl_conn *c, struct ctl_args *a)
{
	if (ctl_arg(a, "auth-id") == NULL || ctl_arg(a, "user") == NULL)
		return (ctl_fail(c, "--auth-id and --user are required"));
	ctl_rest(c, "POST", "/api/v1/auth/register", NULL, json_pack(
	    "{s:s, s:s}", "authId", ctl_arg(a, "auth-id"),
	    "user", ctl_arg(a, "user")), &v_node);
}

void
run_auth_approve(struct ctl_conn *c, struct ctl_args *a)
{
	if (ctl_arg(a, "auth-id") == NULL)
		return (ctl_fail(c, "--auth-id is required"));
	ctl_rest(c, "POST", "/api/v1/auth/approve", NULL, json_pack(
	    "{s:s}", "authId", ctl_arg(a, "auth-id")), &v_auth_ok);
}

void
run_health(struct ctl_conn *c, struct ctl_args *a)
{
	ctl_rest(c, "GET", "/api/v1/health", NULL, NULL, &v_health);
}

void
run_policy_get(struct ctl_conn *c, struct ctl_args *a)
{
	ctl_rest(c, "GET", "/api/v1/policy", NULL, NULL, &v_policy);
}
