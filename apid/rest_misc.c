/*
 * The remaining routes: interactive registration (the coordinator
 * holds the waiting clients), debug nodes, the policy, health and
 * /version.
 */
#include <sys/types.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "apid.h"
#include "config.h"
#include "log.h"
#include "rest.h"

#include "coordapi.pb-c.h"
#include "store.pb-c.h"

#define AUTHID_HEAD	"hskey-authreq-"
#define AUTHID_RANDOM	24
#define POLICY_MAX	(512 * 1024)

/* headscale's AuthID: the head and 24 letters or digits. */
static int
rest_authid_valid(const char *id)
{
	size_t	i, h = strlen(AUTHID_HEAD);

	if (id == NULL || strncmp(id, AUTHID_HEAD, h) != 0)
		return (0);
	for (i = 0; i < AUTHID_RANDOM; i++)
		if (!isalnum((unsigned char)id[h + i]))
			return (0);
	return (id[h + i] == '\0');
}

static void
rest_register_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct rest_req			*r = arg;
	Coordd__AuthRegisterReply	*m;

	if (imsg == NULL)
		return (rest_error(r, 503, "the coordinator did not answer"));
	if (imsg->hdr.type == IMSG_DONE) {
		/* The reply came first; the request ends here. */
		if (r->status != CTL_OK)
			return (rest_error_ctl(r, r->status, r->err));
		if (json_array_size(r->items) == 0)
			return (rest_error(r, 500, "no node registered"));
		return (rest_reply_one(r));
	}
	if (imsg->hdr.type == IMSG_RESULT)
		return (rest_error(r, 503, "the coordinator refused"));
	if (imsg->hdr.type != IMSG_API_AUTH_REGISTER_REPLY ||
	    (m = pb_unpack(&coordd__auth_register_reply__descriptor,
	    imsg)) == NULL)
		return;
	r->status = m->status;
	strlcpy(r->err, m->error, sizeof(r->err));
	if (m->status == CTL_OK && m->node != NULL)
		json_array_append_new(r->items, json_node(m->node));
	pb_free(m);
}

/* The user exists (looked up by name): hand the auth id over. */
static void
rest_register_user(struct rest_req *r)
{
	Coordd__AuthRegister	 m = COORDD__AUTH_REGISTER__INIT;
	struct imsgev		*coord = apid_env->coord;
	json_t			*u = json_array_get(r->items, 0);

	if (u == NULL)
		return (rest_error(r, 404, "user not found"));
	rest_parse_id(json_string_value(json_object_get(u, "id")),
	    &m.user_id);
	m.auth_id = r->name;
	if (coord == NULL || coord->closed)
		return (rest_error(r, 503, "the coordinator is not "
		    "available"));
	json_array_clear(r->items);
	r->key = "node";
	if (imsgev_request(coord, IMSG_API_AUTH_REGISTER, -1, &m.base,
	    REST_COORD_TIMEOUT_MS, rest_register_cb, r) == -1)
		rest_error(r, 503, "cannot reach the coordinator");
}

static void
rest_register(struct rest_req *r, const char *user, const char *authid)
{
	Coordd__UserQuery	q = COORDD__USER_QUERY__INIT;

	if (authid == NULL || !rest_authid_valid(authid))
		return (rest_error(r, 400, "invalid auth id: want "
		    AUTHID_HEAD " and 24 letters or digits"));
	if (user == NULL || user[0] == '\0')
		return (rest_error(r, 400, "user is required"));
	strlcpy(r->name, authid, sizeof(r->name));
	q.name = (char *)user;
	q.email = "";
	rest_store(r, IMSG_STORE_USER_LIST, &q.base, "user",
	    rest_register_user);
}

/* POST /api/v1/node/register?user=NAME&key=AUTHID */
void
rest_node_register(struct rest_req *r)
{
	char	user[256], key[64];
	int	hasuser, haskey;

	if ((hasuser = rest_query(r, "user", user, sizeof(user))) == -1 ||
	    (haskey = rest_query(r, "key", key, sizeof(key))) == -1)
		return (rest_error(r, 400, "malformed query"));
	rest_register(r, hasuser ? user : NULL, haskey ? key : NULL);
}

/* POST /api/v1/auth/register {authId, user} */
void
rest_auth_register(struct rest_req *r)
{
	const char	*id, *user;

	if (rest_str(r, "authId", "auth_id", &id) == -1 ||
	    rest_str(r, "user", NULL, &user) == -1)
		return;
	rest_register(r, user, id);
}

/*
 * Approve and reject answer pending web and SSH checks, of which the
 * coordinator keeps none yet: a valid id is never pending.
 */
void
rest_auth_approve(struct rest_req *r)
{
	const char	*id;

	if (rest_str(r, "authId", "auth_id", &id) == -1)
		return;
	if (!rest_authid_valid(id))
		return (rest_error(r, 400, "invalid auth id"));
	rest_error(r, 404, "no pending session for %s", id);
}

/* POST /api/v1/debug/node {user, key, name, routes} */
void
rest_debug_node(struct rest_req *r)
{
	Coordd__NodeRegister	 m = COORDD__NODE_REGISTER__INIT;
	const char		*user, *key, *name;
	char			*routes[64], *hi;
	json_t			*j;
	size_t			 n, i;

	if (rest_str(r, "user", NULL, &user) == -1 ||
	    rest_str(r, "key", NULL, &key) == -1 ||
	    rest_str(r, "name", NULL, &name) == -1 ||
	    rest_strv(r, "routes", routes, nitems(routes), &n) == -1)
		return;
	if (user == NULL || *user == '\0' || name == NULL || *name == '\0')
		return (rest_error(r, 400, "user and name are required"));
	if (key == NULL)
		return (rest_error(r, 400, "key is required"));
	/* A machine key, with or without its "mkey:". */
	if (strncmp(key, "mkey:", 5) == 0)
		key += 5;
	if (strlen(key) != 64 || strspn(key, "0123456789abcdef") != 64)
		return (rest_error(r, 400, "invalid key: want mkey: and 64 "
		    "hex digits"));
	snprintf(r->name, sizeof(r->name), "mkey:%s", key);
	/* Routes become what the node advertises, as a client's would. */
	j = json_pack("{s:[]}", "RoutableIPs");
	for (i = 0; i < n; i++)
		json_array_append_new(json_object_get(j, "RoutableIPs"),
		    json_string(routes[i]));
	hi = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	m.machine_key = r->name;
	m.hostname = (char *)name;
	m.user = (char *)user;
	m.host_info = hi != NULL && n > 0 ? hi : "";
	rest_store(r, IMSG_STORE_NODE_REGISTER, &m.base, "node",
	    rest_reply_one);
	free(hi);
}

/*
 * Policy.  There is no policy engine yet: documents are checked to be
 * JSON objects, no more, and the answers say so.
 */
static int
rest_policy_doc(struct rest_req *r, const char **doc)
{
	json_t	*j;

	if (rest_str(r, "policy", NULL, doc) == -1)
		return (-1);
	if (*doc == NULL || strlen(*doc) > POLICY_MAX) {
		rest_error(r, 400, "policy is required (at most %d bytes)",
		    POLICY_MAX);
		return (-1);
	}
	if ((j = json_loads(*doc, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(j)) {
		json_decref(j);
		rest_error(r, 400, "invalid policy: not a JSON object "
		    "(coordd checks only that; HuJSON comments are not "
		    "accepted yet)");
		return (-1);
	}
	json_decref(j);
	return (0);
}

static int
rest_policy_db(void)
{
	struct config	*conf = apid_env->conf;

	return (conf != NULL && conf->policy_mode != NULL &&
	    strcmp(conf->policy_mode, "database") == 0);
}

/* The whole policy file into buf; -1 if it cannot be read. */
static ssize_t
rest_policy_read(const char *path, char *buf, size_t len)
{
	ssize_t	n = 0, got = 0;
	int	fd;

	/* Fresh when reachable (an editor may replace the file) ... */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		got = read(fd, buf, len);
		close(fd);
		return (got);
	}
	/* ... else through the descriptor opened before the chroot. */
	if ((fd = apid_env->policyfd) == -1)
		return (-1);
	while ((size_t)got < len &&
	    (n = pread(fd, buf + got, len - got, got)) > 0)
		got += n;
	return (n == -1 ? -1 : got);
}

/* policy.mode file: the file of policy.path, with no updatedAt. */
static void
rest_policy_file(struct rest_req *r)
{
	struct config	*conf = apid_env->conf;
	json_t		*s;
	char		*buf;
	ssize_t		 n;

	if (conf == NULL || conf->policy_path == NULL ||
	    conf->policy_path[0] == '\0')
		return (rest_error(r, 500, "no policy: policy.path is not "
		    "set"));
	if ((buf = malloc(POLICY_MAX + 1)) == NULL)
		return (rest_error(r, 500, "out of memory"));
	n = rest_policy_read(conf->policy_path, buf, POLICY_MAX + 1);
	if (n < 0 || n > POLICY_MAX || (s = json_stringn(buf, n)) == NULL) {
		free(buf);
		return (rest_error(r, 500, "cannot read the policy file, or "
		    "it is too large or not UTF-8"));
	}
	free(buf);
	rest_reply(r, json_pack("{s:o, s:n}", "policy", s, "updatedAt"));
}

static void
rest_policy_reply(struct rest_req *r)
{
	json_t	*p = json_array_get(r->items, 0);

	if (p == NULL)
		return (rest_error(r, 500, "no policy in the database"));
	rest_reply(r, json_incref(p));
}

void
rest_policy_get(struct rest_req *r)
{
	Coordd__Policy	m = COORDD__POLICY__INIT;

	if (!rest_policy_db())
		return (rest_policy_file(r));
	/* headscale answers 500 when there is no policy yet. */
	r->notfound = 500;
	rest_store(r, IMSG_STORE_POLICY_GET, &m.base, "policy",
	    rest_policy_reply);
}

void
rest_policy_set(struct rest_req *r)
{
	Coordd__Policy	 m = COORDD__POLICY__INIT;
	const char	*doc;

	if (!rest_policy_db())
		return (rest_error(r, 400, "update is disabled for modes "
		    "other than 'database'"));
	if (rest_policy_doc(r, &doc) == -1)
		return;
	m.data = (char *)doc;
	rest_store(r, IMSG_STORE_POLICY_SET, &m.base, "policy",
	    rest_policy_reply);
}

void
rest_policy_check(struct rest_req *r)
{
	const char	*doc;

	if (rest_policy_doc(r, &doc) == -1)
		return;
	rest_reply(r, json_object());
}

static void
rest_health_done(struct rest_req *r)
{
	rest_reply(r, json_pack("{s:b}", "databaseConnectivity", 1));
}

/* A query that reads the database and finds nothing. */
void
rest_health(struct rest_req *r)
{
	Coordd__UserQuery	q = COORDD__USER_QUERY__INIT;

	q.id = INT64_MAX;
	q.name = "";
	q.email = "";
	rest_store(r, IMSG_STORE_USER_LIST, &q.base, "users",
	    rest_health_done);
}

/* headscale's /version shape; the go fields say what runs instead. */
void
rest_version(struct rest_req *r)
{
	struct utsname	u;

	if (uname(&u) == -1)
		strlcpy(u.machine, "unknown", sizeof(u.machine));
	rest_reply(r, json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:b}",
	    "version", COORDD_VERSION, "commit", "coordd", "buildTime",
	    "unknown", "go", "version", "none (coordd is written in C)",
	    "os", "linux", "arch", u.machine, "dirty", 0));
}
