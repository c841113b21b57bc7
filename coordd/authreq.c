/* Interactive registration's pending requests: see authreq.h. */
#include <sys/types.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "coordinator.h"
#include "h2.h"
#include "log.h"

#include "store.pb-c.h"

#define AUTHREQ_DEFAULT_TTL	(15 * 60)
#define AUTHREQ_DEFAULT_MAX	1024

int
authreq_cmp(struct authreq *a, struct authreq *b)
{
	return (strcmp(a->ar_id, b->ar_id));
}

RB_GENERATE(authreqs, authreq, ar_entry, authreq_cmp);

void
authreq_init(struct authreq_table *t)
{
	RB_INIT(&t->byid);
	TAILQ_INIT(&t->ages);
	t->n = 0;
}

static void
authreq_respond(struct h2_stream *st, json_t *doc)
{
	char	*body;

	if (doc == NULL || (body = json_dumps(doc, JSON_COMPACT)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_decref(doc);
	if (h2_stream_respond(st, 200, "application/json", body,
	    strlen(body)) == -1)
		log_warnx("register %s: cannot answer a follow-up",
		    st->st_conn->peer);
	free(body);
}

static json_t *
authreq_url_json(struct authreq *ar)
{
	char	url[1024];

	snprintf(url, sizeof(url), "%s/register/%s",
	    ar->ar_coord->conf->server_url, ar->ar_id);
	return (json_pack("{s:s}", "AuthURL", url));
}

static void
authreq_waiter_free(struct authreq_waiter *w)
{
	struct authreq	*ar = w->w_req;

	evtimer_del(&w->w_timeout);
	if (w->w_stream != NULL)
		w->w_stream->st_on_close = NULL;
	TAILQ_REMOVE(&ar->ar_waiters, w, w_entry);
	ar->ar_nwaiters--;
	free(w);
}

/* Every waiting follow-up gets doc (a copy each); the request stays. */
static void
authreq_answer_all(struct authreq *ar, json_t *doc)
{
	struct authreq_waiter	*w;
	struct h2_stream	*st;

	while ((w = TAILQ_FIRST(&ar->ar_waiters)) != NULL) {
		st = w->w_stream;
		authreq_waiter_free(w);
		if (st != NULL)
			authreq_respond(st, json_deep_copy(doc));
	}
	json_decref(doc);
}

static void
authreq_free(struct authreq_table *t, struct authreq *ar)
{
	authreq_answer_all(ar, authreq_url_json(ar));
	RB_REMOVE(authreqs, &t->byid, ar);
	TAILQ_REMOVE(&t->ages, ar, ar_age);
	t->n--;
	free(ar->ar_machine_key);
	free(ar->ar_node_key);
	free(ar->ar_hostname);
	free(ar->ar_hostinfo);
	free(ar);
}

void
authreq_free_all(struct authreq_table *t)
{
	struct authreq	*ar;

	while ((ar = TAILQ_FIRST(&t->ages)) != NULL)
		authreq_free(t, ar);
}

static long long
authreq_ttl(struct coord *c)
{
	return (c->conf->tuning_register_cache_expiration > 0 ?
	    c->conf->tuning_register_cache_expiration : AUTHREQ_DEFAULT_TTL);
}

/* Drop what is too old, and the oldest when the table is full. */
static void
authreq_prune(struct coord *c)
{
	struct authreq_table	*t = &c->authreqs;
	struct authreq		*ar;
	size_t			 max;
	time_t			 now = time(NULL);

	max = c->conf->tuning_register_cache_max_entries > 0 ?
	    (size_t)c->conf->tuning_register_cache_max_entries :
	    AUTHREQ_DEFAULT_MAX;
	while ((ar = TAILQ_FIRST(&t->ages)) != NULL && !ar->ar_registering &&
	    (ar->ar_created + authreq_ttl(c) <= now || t->n >= max)) {
		log_debug("register: auth request %s expires", ar->ar_id);
		authreq_free(t, ar);
	}
}

struct authreq *
authreq_find(struct coord *c, const char *id)
{
	struct authreq	key;

	if (strlcpy(key.ar_id, id, sizeof(key.ar_id)) >= sizeof(key.ar_id))
		return (NULL);
	return (RB_FIND(authreqs, &c->authreqs.byid, &key));
}

/* Exactly AUTHREQ_PREFIX and AUTHREQ_RANDOM letters or digits. */
int
authreq_id_valid(const char *id)
{
	size_t	i, plen = strlen(AUTHREQ_PREFIX);

	if (id == NULL || strncmp(id, AUTHREQ_PREFIX, plen) != 0)
		return (0);
	for (i = 0; i < AUTHREQ_RANDOM; i++)
		if (!isalnum((unsigned char)id[plen + i]))
			return (0);
	return (id[plen + i] == '\0');
}

/* A pending request that has not expired, by its auth id. */
struct authreq *
authreq_lookup(struct coord *c, const char *id)
{
	struct authreq	*ar;

	if (!authreq_id_valid(id))
		return (NULL);
	authreq_prune(c);
	if ((ar = authreq_find(c, id)) == NULL ||
	    ar->ar_created + authreq_ttl(c) <= time(NULL))
		return (NULL);
	return (ar);
}

static void
authreq_new_id(char *id, size_t len)
{
	static const char	alphabet[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	size_t			i, plen = strlen(AUTHREQ_PREFIX);

	strlcpy(id, AUTHREQ_PREFIX, len);
	for (i = 0; i < AUTHREQ_RANDOM && plen + i + 1 < len; i++)
		id[plen + i] = alphabet[randombytes_uniform(
		    sizeof(alphabet) - 1)];
	id[plen + i] = '\0';
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s != NULL ? s : "")) == NULL)
		fatal("%s", __func__);
	return (p);
}

/*
 * A pending registration for this machine and node key: the one there
 * is, or a new one.  Returns its auth id.
 */
const char *
authreq_start(struct coord *c, const char *mkey, const char *nodekey,
    const char *hostname, const char *hostinfo, int64_t expiry)
{
	struct authreq	*ar;

	authreq_prune(c);
	TAILQ_FOREACH(ar, &c->authreqs.ages, ar_age)
		if (strcmp(ar->ar_machine_key, mkey) == 0 &&
		    strcmp(ar->ar_node_key, nodekey) == 0)
			return (ar->ar_id);
	if ((ar = calloc(1, sizeof(*ar))) == NULL)
		fatal("%s", __func__);
	ar->ar_coord = c;
	do
		authreq_new_id(ar->ar_id, sizeof(ar->ar_id));
	while (RB_FIND(authreqs, &c->authreqs.byid, ar) != NULL);
	ar->ar_machine_key = xstrdup(mkey);
	ar->ar_node_key = xstrdup(nodekey);
	ar->ar_hostname = xstrdup(hostname);
	ar->ar_hostinfo = xstrdup(hostinfo);
	ar->ar_expiry = expiry;
	ar->ar_created = time(NULL);
	TAILQ_INIT(&ar->ar_waiters);
	RB_INSERT(authreqs, &c->authreqs.byid, ar);
	TAILQ_INSERT_TAIL(&c->authreqs.ages, ar, ar_age);
	c->authreqs.n++;
	log_info("register: auth request %s for %s", ar->ar_id, nodekey);
	return (ar->ar_id);
}

static void
authreq_timeout_cb(int fd, short ev, void *arg)
{
	struct authreq_waiter	*w = arg;
	struct authreq		*ar = w->w_req;
	struct h2_stream	*st = w->w_stream;

	authreq_waiter_free(w);
	if (st != NULL)
		authreq_respond(st, authreq_url_json(ar));
}

static void
authreq_stream_closed(struct h2_stream *st, void *arg)
{
	struct authreq_waiter	*w = arg;

	w->w_stream = NULL;
	authreq_waiter_free(w);
}

/*
 * A follow-up for the AuthURL url: hold the stream until the request
 * is registered or AUTHREQ_WAIT_SEC pass.  -1 when url names no request
 * of this machine and node key (the caller starts a new one).
 */
int
authreq_follow(struct coord *c, struct h2_stream *st, const char *url,
    const char *mkey, const char *nodekey)
{
	struct authreq		*ar;
	struct authreq_waiter	*w;
	struct timeval		 tv = { AUTHREQ_WAIT_SEC, 0 };
	const char		*id;

	authreq_prune(c);
	if ((id = strstr(url, "/register/")) == NULL ||
	    (ar = authreq_find(c, id + strlen("/register/"))) == NULL ||
	    strcmp(ar->ar_machine_key, mkey) != 0 ||
	    strcmp(ar->ar_node_key, nodekey) != 0)
		return (-1);
	if (ar->ar_nwaiters >= AUTHREQ_MAX_WAITERS) {
		authreq_respond(st, authreq_url_json(ar));
		return (0);
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		fatal("%s", __func__);
	w->w_req = ar;
	w->w_stream = st;
	st->st_on_close = authreq_stream_closed;
	st->st_close_arg = w;
	evtimer_set(&w->w_timeout, authreq_timeout_cb, w);
	if (c->authwait_sec > 0)
		tv.tv_sec = c->authwait_sec;
	evtimer_add(&w->w_timeout, &tv);
	TAILQ_INSERT_TAIL(&ar->ar_waiters, w, w_entry);
	ar->ar_nwaiters++;
	log_debug("register %s: waiting on %s", st->st_conn->peer, ar->ar_id);
	return (0);
}

struct authreq_reg {
	struct coord	*rg_coord;
	char		 rg_id[AUTHREQ_ID_LEN + 1];
	authreq_done	 rg_done;
	void		*rg_arg;
	int		 rg_answered;
};

static void
authreq_reg_end(struct authreq_reg *rg, int status, const char *err,
    const Coordd__Node *n)
{
	if (rg->rg_answered)
		return;
	rg->rg_answered = 1;
	if (rg->rg_done != NULL)
		rg->rg_done(rg->rg_coord, rg->rg_arg, status, err, n);
}

/* stored registered the node: the waiting follow-ups learn it first. */
static void
authreq_registered(struct authreq_reg *rg, Coordd__Node *n)
{
	struct coord	*c = rg->rg_coord;
	struct authreq	*ar = authreq_find(c, rg->rg_id);

	coord_node_upsert(c, n);
	log_info("register: %s registered node %" PRIu64 " %s", rg->rg_id,
	    n->id, n->given_name);
	if (ar != NULL) {
		authreq_answer_all(ar, register_success(n->user, 0));
		ar->ar_registering = 0;
		authreq_free(&c->authreqs, ar);
	}
	authreq_reg_end(rg, CTL_OK, "", n);
}

static void
authreq_store_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct authreq_reg	*rg = arg;
	struct authreq		*ar;
	Coordd__Node		*n;
	char			 err[256];
	int			 status;

	if (imsg != NULL && imsg->hdr.type == IMSG_STORE_NODE) {
		if ((n = pb_unpack(&coordd__node__descriptor, imsg)) != NULL) {
			authreq_registered(rg, n);
			pb_free(n);
		}
		return;		/* DONE follows */
	}
	if (imsg != NULL && imsg->hdr.type == IMSG_DONE) {
		authreq_reg_end(rg, CTL_ERR_INTERNAL, "no node from stored",
		    NULL);
		free(rg);
		return;
	}
	if (imsg != NULL && imsg->hdr.type == IMSG_RESULT &&
	    pb_result(imsg, &status, err, sizeof(err)) == 0)
		log_warnx("register: %s: %s", rg->rg_id, err);
	else {
		status = CTL_ERR_UNAVAILABLE;
		strlcpy(err, "no answer from stored", sizeof(err));
		log_warnx("register: %s: %s", rg->rg_id, err);
	}
	if ((ar = authreq_find(rg->rg_coord, rg->rg_id)) != NULL)
		ar->ar_registering = 0;
	authreq_reg_end(rg, status != CTL_OK ? status : CTL_ERR_INTERNAL,
	    err, NULL);
	free(rg);
}

/*
 * An admin registers auth id to user (a name): stored creates the node
 * (or re-keys the machine's), the waiting follow-ups learn it, and done
 * is called once with the outcome.  Returns CTL_OK when under way, else
 * a ctl_status with err set (done is then not called).
 */
int
authreq_register(struct coord *c, const char *id, const char *user,
    authreq_done done, void *arg, char *err, size_t errlen)
{
	Coordd__NodeRegister	 req = COORDD__NODE_REGISTER__INIT;
	struct authreq		*ar;
	struct authreq_reg	*rg;

	if ((ar = authreq_lookup(c, id)) == NULL) {
		snprintf(err, errlen, "no pending registration %s",
		    authreq_id_valid(id) ? id : "with that id");
		return (CTL_ERR_NOTFOUND);
	}
	if (ar->ar_registering) {
		snprintf(err, errlen, "%s is being registered", id);
		return (CTL_ERR_EXISTS);
	}
	if (c->peers[PROC_STORE] == NULL) {
		snprintf(err, errlen, "stored is not available");
		return (CTL_ERR_UNAVAILABLE);
	}
	req.machine_key = ar->ar_machine_key;
	req.node_key = ar->ar_node_key;
	req.hostname = ar->ar_hostname[0] != '\0' ? ar->ar_hostname : "node";
	req.host_info = ar->ar_hostinfo;
	req.user = (char *)user;
	req.expiry = ar->ar_expiry;
	if ((rg = calloc(1, sizeof(*rg))) == NULL)
		fatal("%s", __func__);
	rg->rg_coord = c;
	rg->rg_done = done;
	rg->rg_arg = arg;
	strlcpy(rg->rg_id, id, sizeof(rg->rg_id));
	if (imsgev_request(c->peers[PROC_STORE], IMSG_STORE_NODE_REGISTER, -1,
	    &req.base, COORD_STORE_TIMEOUT_MS, authreq_store_cb, rg) == -1) {
		free(rg);
		snprintf(err, errlen, "cannot reach stored");
		return (CTL_ERR_UNAVAILABLE);
	}
	ar->ar_registering = 1;
	return (CTL_OK);
}
