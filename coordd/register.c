/*
 * POST /machine/register inside Noise (spec section 6).  The machine key
 * is always the Noise peer's; the JSON only names the node key.  Pre-auth
 * keys go to stored, which validates them and creates or re-keys the
 * node; a refused key is a 200 with "Error", as clients expect.  A
 * restart of a known node is answered from the replica, and a logout
 * (an expiry in the past) expires the node through stored.  Without
 * a key an unknown node gets an AuthURL (authreq.c); its follow-up
 * waits there until an admin registers it or the request expires.
 */
#include <sys/types.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <sodium.h>

#include "coordinator.h"
#include "h2.h"
#include "keys.h"
#include "log.h"
#include "authreq.h"
#include "config.h"
#include "util.h"

#include "store.pb-c.h"

#define REG_KEYHEX		(2 * KEY_LEN)
#define REG_NODEKEY_PREFIX	"nodekey:"
#define REG_MKEY_PREFIX		"mkey:"
#define REG_HOSTNAME_MAX	255
#define REG_FOLLOWUP_MAX	1024

/* What is kept of a RegisterRequest. */
struct reg_msg {
	char		 rm_nodekey[sizeof(REG_NODEKEY_PREFIX) + REG_KEYHEX];
	char		 rm_oldkey[sizeof(REG_NODEKEY_PREFIX) + REG_KEYHEX];
	char		*rm_authkey;		/* a secret; NULL: none */
	char		 rm_hostname[REG_HOSTNAME_MAX + 1];
	char		*rm_hostinfo;		/* JSON text; NULL: none */
	int64_t		 rm_expiry;		/* 0: none */
	int		 rm_logout;		/* expiry in the past */
	char		*rm_followup;		/* the AuthURL; NULL: none */
	json_int_t	 rm_version;
};

/* A request waiting for stored: ids only, the stream may go away. */
struct reg_req {
	struct coord	*rr_coord;
	uint64_t	 rr_connid;
	int32_t		 rr_streamid;
	int		 rr_logout;
	int		 rr_answered;
	char		 rr_peer[64];
	uint64_t	 rr_user_id;		/* for a rotation's answer */
	Coordd__User	 rr_user;
	char		 rr_user_name[256];
};

static void
reg_respond_json(struct h2_stream *st, int status, json_t *doc)
{
	char	*body;

	if (doc == NULL || (body = json_dumps(doc, JSON_COMPACT)) == NULL) {
		json_decref(doc);
		if (h2_stream_respond(st, 500, "text/plain",
		    "internal error\n", 15) == -1)
			log_warnx("register %s: stream %d: cannot answer",
			    st->st_conn->peer, st->st_id);
		return;
	}
	json_decref(doc);
	if (h2_stream_respond(st, status, "application/json", body,
	    strlen(body)) == -1)
		log_warnx("register %s: stream %d: cannot answer",
		    st->st_conn->peer, st->st_id);
	free(body);
}

/* A refusal the client shows its user: always a 200 with "Error". */
static void
reg_error(struct h2_stream *st, const char *why)
{
	log_info("register %s: refused: %s", st->st_conn->peer, why);
	reg_respond_json(st, 200, json_pack("{s:s}", "Error", why));
}

static void
reg_internal(struct h2_stream *st, int status, const char *why)
{
	log_warnx("register %s: %s", st->st_conn->peer, why);
	if (h2_stream_respond(st, status, "text/plain", why, strlen(why)) ==
	    -1)
		log_warnx("register %s: stream %d: cannot answer",
		    st->st_conn->peer, st->st_id);
}

/*
 * RFC 3339 into Unix seconds.  Go's zero time (year 1) is "none": 0.
 * Returns -1 when the text is not such a time.
 */
static int
reg_time_parse(const char *s, int64_t *out, int *none)
{
	struct tm	 tm;
	const char	*p;
	int		 sign, hh, mm;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	*none = 0;
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (-1);
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			;
	}
	if (*p == 'Z' || *p == 'z') {
		sign = 0;
		hh = mm = 0;
		p++;
	} else if ((*p == '+' || *p == '-') &&
	    isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    p[3] == ':' &&
	    isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
		sign = *p == '+' ? 1 : -1;
		hh = (p[1] - '0') * 10 + (p[2] - '0');
		mm = (p[4] - '0') * 10 + (p[5] - '0');
		p += 6;
	} else
		return (-1);
	if (*p != '\0')
		return (-1);
	if (tm.tm_year + 1900 <= 1) {
		*none = 1;
		*out = 0;
		return (0);
	}
	if ((t = timegm(&tm)) == (time_t)-1)
		return (-1);
	*out = (int64_t)t - sign * (hh * 3600 + mm * 60);
	return (0);
}

static void
reg_msg_clear(struct reg_msg *rm)
{
	if (rm->rm_authkey != NULL)
		freezero(rm->rm_authkey, strlen(rm->rm_authkey));
	free(rm->rm_hostinfo);
	free(rm->rm_followup);
	memset(rm, 0, sizeof(*rm));
}

/* Returns -1 with why set when the request is not a RegisterRequest. */
static int
reg_msg_parse(const void *buf, size_t len, struct reg_msg *rm,
    const char **why)
{
	json_t		*doc, *v, *hi, *auth;
	json_error_t	 jerr;
	const char	*s;
	int		 zero, none;

	memset(rm, 0, sizeof(*rm));
	if ((doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) ==
	    NULL || !json_is_object(doc)) {
		*why = "the body is not a JSON object";
		goto fail;
	}
	if ((v = json_object_get(doc, "Version")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_integer(v)) {
			*why = "Version is not a number";
			goto fail;
		}
		rm->rm_version = json_integer_value(v);
	}
	if ((s = json_string_value(json_object_get(doc, "NodeKey"))) ==
	    NULL || keys_text_canon(s, REG_NODEKEY_PREFIX, rm->rm_nodekey,
	    sizeof(rm->rm_nodekey), &zero) == -1 || zero) {
		*why = "missing or invalid NodeKey";
		goto fail;
	}
	if ((v = json_object_get(doc, "OldNodeKey")) != NULL &&
	    !json_is_null(v)) {
		if ((s = json_string_value(v)) == NULL ||
		    keys_text_canon(s, REG_NODEKEY_PREFIX, rm->rm_oldkey,
		    sizeof(rm->rm_oldkey), &zero) == -1) {
			*why = "invalid OldNodeKey";
			goto fail;
		}
		if (zero)
			rm->rm_oldkey[0] = '\0';
	}
	if ((auth = json_object_get(doc, "Auth")) != NULL &&
	    !json_is_null(auth)) {
		if (!json_is_object(auth)) {
			*why = "Auth is not an object";
			goto fail;
		}
		if ((v = json_object_get(auth, "AuthKey")) != NULL &&
		    !json_is_null(v)) {
			if ((s = json_string_value(v)) == NULL) {
				*why = "AuthKey is not a string";
				goto fail;
			}
			if (*s != '\0' && (rm->rm_authkey = strdup(s)) == NULL)
				fatal("strdup");
			/* The parser's copy of the secret. */
			sodium_memzero((char *)s, strlen(s));
		}
	}
	if ((v = json_object_get(doc, "Expiry")) != NULL &&
	    !json_is_null(v)) {
		if ((s = json_string_value(v)) == NULL ||
		    reg_time_parse(s, &rm->rm_expiry, &none) == -1) {
			*why = "Expiry is not an RFC 3339 time";
			goto fail;
		}
		if (!none && rm->rm_expiry <= (int64_t)time(NULL))
			rm->rm_logout = 1;
	}
	if ((v = json_object_get(doc, "Followup")) != NULL &&
	    !json_is_null(v)) {
		if ((s = json_string_value(v)) == NULL ||
		    strlen(s) > REG_FOLLOWUP_MAX) {
			*why = "Followup is not a short string";
			goto fail;
		}
		if (*s != '\0' && (rm->rm_followup = strdup(s)) == NULL)
			fatal("strdup");
	}
	if ((hi = json_object_get(doc, "Hostinfo")) != NULL &&
	    !json_is_null(hi)) {
		if (!json_is_object(hi)) {
			*why = "Hostinfo is not an object";
			goto fail;
		}
		if ((v = json_object_get(hi, "Hostname")) != NULL &&
		    !json_is_null(v)) {
			if ((s = json_string_value(v)) == NULL ||
			    strlcpy(rm->rm_hostname, s,
			    sizeof(rm->rm_hostname)) >=
			    sizeof(rm->rm_hostname)) {
				*why = "Hostinfo.Hostname is not a short string";
				goto fail;
			}
		}
		if ((rm->rm_hostinfo = json_dumps(hi, JSON_COMPACT)) == NULL)
			fatal("json_dumps");
	}
	json_decref(doc);
	return (0);
 fail:
	json_decref(doc);
	reg_msg_clear(rm);
	return (-1);
}

/* The owner as RegisterResponse's User and Login. */
json_t *
register_success(const Coordd__User *u, int expired)
{
	char		 created[64];
	const char	*login, *display;
	json_int_t	 id = 0;

	created[0] = '\0';
	login = display = "tagged-devices";
	if (u != NULL) {
		id = (json_int_t)u->id;
		login = u->email != NULL && u->email[0] != '\0' ? u->email :
		    u->name;
		display = u->display_name != NULL &&
		    u->display_name[0] != '\0' ? u->display_name : u->name;
		if (u->created_at > 0)
			time_rfc3339((time_t)u->created_at, created,
			    sizeof(created));
	}
	return (json_pack("{s:{s:I, s:s, s:s, s:s, s:s},"
	    " s:{s:I, s:s, s:s, s:s, s:s},"
	    " s:b, s:b, s:s}",
	    "User", "ID", id, "LoginName", login, "DisplayName", display,
	    "ProfilePicURL", u != NULL && u->profile_pic_url != NULL ?
	    u->profile_pic_url : "", "Created", created[0] != '\0' ? created :
	    "0001-01-01T00:00:00Z",
	    "Login", "ID", id, "Provider", u != NULL && u->provider != NULL ?
	    u->provider : "", "LoginName", login, "DisplayName", display,
	    "ProfilePicURL", u != NULL && u->profile_pic_url != NULL ?
	    u->profile_pic_url : "",
	    "NodeKeyExpired", expired, "MachineAuthorized", 1,
	    "AuthURL", ""));
}

/* stored answered a register or an expiry: Node then DONE, or Result. */
static void
reg_store_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct reg_req		*rr = arg;
	struct conn		*conn;
	struct h2_stream	*st = NULL;
	Coordd__Node		*n;
	char			 err[256];
	int			 status;

	if ((conn = front_find(rr->rr_coord, rr->rr_connid)) != NULL &&
	    conn->h2 != NULL)
		st = h2_stream_find(conn->h2, rr->rr_streamid);
	if (imsg == NULL) {
		if (st != NULL && !rr->rr_answered)
			reg_internal(st, 503, "stored did not answer\n");
		free(rr);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_STORE_NODE:
		if ((n = pb_unpack(&coordd__node__descriptor, imsg)) == NULL) {
			if (st != NULL)
				reg_internal(st, 500, "bad answer from stored\n");
			rr->rr_answered = 1;
			break;
		}
		/*
		 * stored sends the change right after this answer; have it
		 * now, so that the client's next request finds the node.
		 */
		coord_node_upsert(rr->rr_coord, n);
		log_info("register %s: node %" PRIu64 " %s %s (%s) as %s",
		    rr->rr_peer, n->id, rr->rr_logout ? "logged out" :
		    "registered", n->given_name, n->ipv4, n->machine_key);
		if (st != NULL && !rr->rr_answered)
			reg_respond_json(st, 200,
			    register_success(n->user, rr->rr_logout));
		rr->rr_answered = 1;
		pb_free(n);
		break;
	case IMSG_RESULT:
		if (pb_result(imsg, &status, err, sizeof(err)) == -1) {
			status = CTL_ERR_INTERNAL;
			strlcpy(err, "bad result", sizeof(err));
		}
		if (st != NULL && !rr->rr_answered) {
			if (status == CTL_OK)
				/* A key rotation: the node keeps its owner. */
				reg_respond_json(st, 200,
				    register_success(rr->rr_user_id != 0 ?
				    &rr->rr_user : NULL, 0));
			else if (status == CTL_ERR_DENIED) {
				log_info("register %s: %s", rr->rr_peer, err);
				reg_error(st, "invalid authkey");
			} else if (status == CTL_ERR_INVALID ||
			    status == CTL_ERR_EXISTS ||
			    status == CTL_ERR_NOTFOUND)
				reg_error(st, err);
			else
				reg_internal(st, 500, "internal error\n");
		}
		free(rr);
		return;
	case IMSG_DONE:
		if (st != NULL && !rr->rr_answered)
			reg_internal(st, 500, "no node from stored\n");
		free(rr);
		return;
	default:
		log_warnx("register %s: unexpected answer %u from stored",
		    rr->rr_peer, imsg->hdr.type);
		break;
	}
}

static void
reg_owner(struct reg_req *rr, uint64_t uid)
{
	struct replica_user	*ru;

	coordd__user__init(&rr->rr_user);
	if (uid == 0 || (ru = replica_user_get(&rr->rr_coord->replica, uid)) ==
	    NULL)
		return;
	rr->rr_user_id = uid;
	rr->rr_user.id = uid;
	strlcpy(rr->rr_user_name, ru->name, sizeof(rr->rr_user_name));
	rr->rr_user.name = rr->rr_user_name;
}

/* owner: the user whose name a bare Result answer carries, or 0. */
static int
reg_ask(struct h2_stream *st, uint32_t type, const ProtobufCMessage *m,
    int logout, uint64_t owner)
{
	struct imsgev	*store = st->st_conn->coord->peers[PROC_STORE];
	struct reg_req	*rr;

	if (store == NULL)
		return (-1);
	if ((rr = calloc(1, sizeof(*rr))) == NULL)
		return (-1);
	rr->rr_coord = st->st_conn->coord;
	rr->rr_connid = st->st_conn->id;
	rr->rr_streamid = st->st_id;
	rr->rr_logout = logout;
	strlcpy(rr->rr_peer, st->st_conn->peer, sizeof(rr->rr_peer));
	reg_owner(rr, owner);
	if (imsgev_request(store, type, -1, m, COORD_STORE_TIMEOUT_MS,
	    reg_store_cb, rr) == -1) {
		free(rr);
		return (-1);
	}
	return (0);
}

static void
reg_logout(struct h2_stream *st, struct replica_node *n)
{
	Coordd__NodeExpire	 req = COORDD__NODE_EXPIRE__INIT;

	req.id = n->id;
	req.expiry = 0;		/* now */
	if (reg_ask(st, IMSG_STORE_NODE_EXPIRE, &req.base, 1, 0) == -1)
		reg_internal(st, 503, "stored is not available\n");
}

/* Case 2 of spec section 6: a known, unexpired node restarts. */
static void
reg_refresh(struct h2_stream *st, struct replica_node *n)
{
	Coordd__User		 u = COORDD__USER__INIT;
	struct replica_user	 key, *ru = NULL;

	if (n->user_id != 0) {
		key.id = n->user_id;
		ru = replica_user_get(&st->st_conn->coord->replica, key.id);
	}
	if (ru != NULL) {
		u.id = ru->id;
		u.name = ru->name;
	}
	log_info("register %s: node %" PRIu64 " %s is back", st->st_conn->peer,
	    n->id, n->given_name);
	reg_respond_json(st, 200, register_success(ru != NULL ? &u : NULL, 0));
}

static int
reg_expired(const struct replica_node *n)
{
	return (n->expiry != 0 && n->expiry <= (int64_t)time(NULL));
}

/* Case 4 without a key: the node swaps its key, keeping all else. */
static void
reg_rotate(struct h2_stream *st, struct replica_node *n, const char *newkey)
{
	Coordd__NodeUpdate	req = COORDD__NODE_UPDATE__INIT;

	req.id = n->id;
	req.node_key = n->node_key;
	req.new_node_key = (char *)newkey;
	log_info("register %s: node %" PRIu64 " rotates its key to %s",
	    st->st_conn->peer, n->id, newkey);
	if (reg_ask(st, IMSG_STORE_NODE_UPDATE, &req.base, 0, n->user_id) == -1)
		reg_internal(st, 503, "stored is not available\n");
}

/* Case 5: no key, not known: an AuthURL for an admin to act on. */
static void
reg_interactive(struct h2_stream *st, const char *mkey,
    const struct reg_msg *rm)
{
	struct coord	*c = st->st_conn->coord;
	const char	*id;
	char		 url[1024];

	id = authreq_start(c, mkey, rm->rm_nodekey, rm->rm_hostname,
	    rm->rm_hostinfo != NULL ? rm->rm_hostinfo : "", rm->rm_expiry);
	snprintf(url, sizeof(url), "%s/register/%s", c->conf->server_url, id);
	reg_respond_json(st, 200, json_pack("{s:s}", "AuthURL", url));
}

void
register_route(struct h2_stream *st)
{
	struct coord		*c = st->st_conn->coord;
	struct reg_msg		 rm;
	struct replica_node	*n, *other;
	Coordd__NodeRegister	 req = COORDD__NODE_REGISTER__INIT;
	size_t			 len = evbuffer_get_length(st->st_body);
	uint8_t			*body;
	const char		*why;
	char			 hex[2 * NOISE_KEYLEN + 1];
	char			 mkey[sizeof(REG_MKEY_PREFIX) + sizeof(hex)];
	int			 r;

	body = evbuffer_pullup(st->st_body, len);
	r = reg_msg_parse(body, len, &rm, &why);
	/* The body may hold an auth key. */
	if (body != NULL)
		sodium_memzero(body, len);
	evbuffer_drain(st->st_body, len);
	if (r == -1) {
		reg_internal(st, 400, why);
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), st->st_conn->nt->nt_peer,
	    NOISE_KEYLEN);
	snprintf(mkey, sizeof(mkey), "%s%s", REG_MKEY_PREFIX, hex);
	log_debug("register %s: %s node key %s version %jd%s%s%s",
	    st->st_conn->peer, mkey, rm.rm_nodekey, (intmax_t)rm.rm_version,
	    rm.rm_authkey != NULL ? ", auth key" : "",
	    rm.rm_logout ? ", logout" : "", rm.rm_followup != NULL ?
	    ", followup" : "");

	if (!c->replica.synced) {
		reg_internal(st, 503, "starting\n");
		goto done;
	}
	n = replica_node_by_mkey(&c->replica, mkey);
	/* A node key is bound to its machine key. */
	if ((other = replica_node_by_nodekey(&c->replica, rm.rm_nodekey)) != NULL &&
	    other != n) {
		reg_error(st, "node exists with a different machine key");
		goto done;
	}
	if (rm.rm_logout) {
		if (n == NULL || (strcmp(n->node_key, rm.rm_nodekey) != 0 &&
		    (rm.rm_oldkey[0] == '\0' ||
		    strcmp(n->node_key, rm.rm_oldkey) != 0)))
			reg_error(st, "node not found");
		else
			reg_logout(st, n);
		goto done;
	}
	if (rm.rm_authkey == NULL) {
		if (n != NULL && strcmp(n->node_key, rm.rm_nodekey) == 0 &&
		    !reg_expired(n))
			reg_refresh(st, n);
		else if (n != NULL && rm.rm_oldkey[0] != '\0' &&
		    strcmp(n->node_key, rm.rm_oldkey) == 0 && !reg_expired(n))
			reg_rotate(st, n, rm.rm_nodekey);
		else if (rm.rm_followup == NULL || authreq_follow(c, st,
		    rm.rm_followup, mkey, rm.rm_nodekey) == -1)
			reg_interactive(st, mkey, &rm);
		goto done;
	}

	req.machine_key = mkey;
	req.node_key = rm.rm_nodekey;
	req.hostname = rm.rm_hostname[0] != '\0' ? rm.rm_hostname : "node";
	req.host_info = rm.rm_hostinfo != NULL ? rm.rm_hostinfo : "";
	req.auth_key = rm.rm_authkey;
	req.expiry = rm.rm_expiry;
	if (reg_ask(st, IMSG_STORE_NODE_REGISTER, &req.base, 0, 0) == -1)
		reg_internal(st, 503, "stored is not available\n");
 done:
	reg_msg_clear(&rm);
}
