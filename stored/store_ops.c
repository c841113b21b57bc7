/*
 * The requests stored serves, each checked against what its sender may
 * ask.  Writes join the current transaction and answer after commit;
 * reads first commit what is pending so that they never show data that
 * could still be rolled back.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "log.h"
#include "names.h"
#include "stored.h"

#include "store.pb-c.h"

void
store_result(struct imsgev *iev, const struct imsg *req, int status,
    const char *error)
{
	imsgev_reply_result(iev, req, status, error);
}

void
store_fail(struct store_req *r, int st)
{
	store_result(r->iev, r->imsg, store_status(st), r->err);
}

static void
change_user(uint64_t seq, const struct db_user *u, int deleted, uint64_t id)
{
	Coordd__Change	ch = COORDD__CHANGE__INIT;
	Coordd__User	m;

	ch.seq = seq;
	if (deleted) {
		ch.kind = COORDD__CHANGE__KIND__USER_DELETE;
		ch.id = id;
	} else {
		ch.kind = COORDD__CHANGE__KIND__USER_UPSERT;
		store_pb_user(u, &m);
		ch.user = &m;
	}
	store_defer_change(&ch.base);
}

static void
reply_user(struct store_req *r, const struct db_user *u)
{
	Coordd__User	m;

	store_pb_user(u, &m);
	store_defer_reply(r->imsg, IMSG_STORE_USER, &m.base);
	store_defer_done(r->imsg);
}

static void
op_user_create(struct store_req *r)
{
	Coordd__UserCreate	*m;
	struct db_user		 in, out;
	enum db_status		 st;
	uint64_t		 seq;

	if ((m = pb_unpack(&coordd__user_create__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	memset(&in, 0, sizeof(in));
	if (strlcpy(in.name, m->name, sizeof(in.name)) >= sizeof(in.name) ||
	    strlcpy(in.display_name, m->display_name,
	    sizeof(in.display_name)) >= sizeof(in.display_name) ||
	    strlcpy(in.email, m->email, sizeof(in.email)) >= sizeof(in.email) ||
	    strlcpy(in.profile_pic_url, m->picture_url,
	    sizeof(in.profile_pic_url)) >= sizeof(in.profile_pic_url)) {
		pb_free(m);
		strlcpy(r->err, "a field is too long", sizeof(r->err));
		return (store_fail(r, DB_INVALID));
	}
	pb_free(m);
	if (store_batch_begin() == -1)
		return (store_fail(r, DB_ERROR));
	if ((st = db_user_create(store_env->db, &in, &out, &seq, r->err,
	    sizeof(r->err))) != DB_OK)
		return (store_fail(r, st));
	reply_user(r, &out);
	change_user(seq, &out, 0, 0);
}

static int
list_user_cb(const struct db_user *u, void *arg)
{
	struct store_req	*r = arg;
	Coordd__User		 m;

	store_pb_user(u, &m);
	return (imsgev_reply_pb(r->iev, r->imsg, IMSG_STORE_USER, &m.base));
}

static void
op_user_list(struct store_req *r)
{
	Coordd__UserQuery	*q;
	struct db_user_filter	 f;
	enum db_status		 st;

	if ((q = pb_unpack(&coordd__user_query__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	f.id = q->id;
	f.name = q->name;
	f.email = q->email;
	store_batch_commit();
	st = db_user_list(store_env->db, &f, list_user_cb, r, r->err,
	    sizeof(r->err));
	pb_free(q);
	if (st != DB_OK)
		return (store_fail(r, st));
	imsgev_reply_done(r->iev, r->imsg);
}

/* A user named by id, or else by name. */
static enum db_status
find_user(struct store_req *r, uint64_t id, const char *name,
    struct db_user *u)
{
	if (id != 0)
		return (db_user_get(store_env->db, id, u, r->err,
		    sizeof(r->err)));
	return (db_user_get_by_name(store_env->db, name, u, r->err,
	    sizeof(r->err)));
}

static void
op_user_rename(struct store_req *r)
{
	Coordd__UserRename	*m;
	struct db_user		 u, out;
	enum db_status		 st;
	uint64_t		 seq;

	if ((m = pb_unpack(&coordd__user_rename__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	if (store_batch_begin() == -1) {
		pb_free(m);
		return (store_fail(r, DB_ERROR));
	}
	if ((st = find_user(r, m->id, m->old_name, &u)) == DB_OK)
		st = db_user_rename(store_env->db, u.id, m->new_name, &out,
		    &seq, r->err, sizeof(r->err));
	pb_free(m);
	if (st != DB_OK)
		return (store_fail(r, st));
	reply_user(r, &out);
	change_user(seq, &out, 0, 0);
}

static void
op_user_delete(struct store_req *r)
{
	Coordd__UserQuery	*q;
	struct db_user		 u;
	enum db_status		 st;
	uint64_t		 seq;

	if ((q = pb_unpack(&coordd__user_query__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	if (store_batch_begin() == -1) {
		pb_free(q);
		return (store_fail(r, DB_ERROR));
	}
	if ((st = find_user(r, q->id, q->name, &u)) == DB_OK)
		st = db_user_delete(store_env->db, u.id, &seq, r->err,
		    sizeof(r->err));
	pb_free(q);
	if (st != DB_OK)
		return (store_fail(r, st));
	store_defer_reply(r->imsg, IMSG_RESULT, NULL);
	change_user(seq, NULL, 1, u.id);
}

/* A key with its owner, as the API shows it. */
static void
pak_message(const struct db_preauthkey *k, Coordd__PreAuthKey *m,
    char **tagv, Coordd__User *um, struct db_user *u)
{
	store_pb_preauthkey(k, m, tagv);
	if (k->user_id != 0 && db_user_get(store_env->db, k->user_id, u,
	    NULL, 0) == DB_OK) {
		store_pb_user(u, um);
		m->user = um;
	}
}

static void
op_pak_create(struct store_req *r)
{
	Coordd__PakCreate	*m;
	Coordd__PreAuthKey	 pm;
	Coordd__User		 um;
	struct db_preauthkey_new nk;
	struct db_preauthkey	 k;
	struct db_user		 u;
	char			 full[DB_KEY_BUFSZ], *tagv[DB_TAGS_MAX];
	enum db_status		 st;
	uint64_t		 seq;

	if ((m = pb_unpack(&coordd__pak_create__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	memset(&nk, 0, sizeof(nk));
	nk.user_id = m->user_id;
	if (m->user_id == 0 && m->user_name[0] != '\0') {
		if ((st = find_user(r, 0, m->user_name, &u)) != DB_OK) {
			pb_free(m);
			return (store_fail(r, st));
		}
		nk.user_id = u.id;
	}
	nk.reusable = m->reusable;
	nk.ephemeral = m->ephemeral;
	nk.expiration = m->expiration;
	nk.tags = (const char *const *)m->tags;
	nk.ntags = m->n_tags;
	if (store_batch_begin() == -1) {
		pb_free(m);
		return (store_fail(r, DB_ERROR));
	}
	st = db_preauthkey_create(store_env->db, &nk, &k, full, sizeof(full),
	    &seq, r->err, sizeof(r->err));
	pb_free(m);
	if (st != DB_OK)
		return (store_fail(r, st));
	pak_message(&k, &pm, tagv, &um, &u);
	pm.key = full;
	store_defer_reply(r->imsg, IMSG_STORE_PAK, &pm.base);
	store_defer_done(r->imsg);
	explicit_bzero(full, sizeof(full));
	/* Subscribers get the key without its secret. */
	pm.key = k.display;
	{
		Coordd__Change	ch = COORDD__CHANGE__INIT;

		ch.seq = seq;
		ch.kind = COORDD__CHANGE__KIND__PAK_UPSERT;
		ch.preauthkey = &pm;
		store_defer_change(&ch.base);
	}
}

struct pak_list_ctx {
	struct store_req	*r;
	uint64_t		 user_id;
};

static int
list_pak_cb(const struct db_preauthkey *k, void *arg)
{
	struct pak_list_ctx	*ctx = arg;
	Coordd__PreAuthKey	 pm;
	Coordd__User		 um;
	struct db_user		 u;
	char			*tagv[DB_TAGS_MAX];

	if (ctx->user_id != 0 && k->user_id != ctx->user_id)
		return (0);
	pak_message(k, &pm, tagv, &um, &u);
	return (imsgev_reply_pb(ctx->r->iev, ctx->r->imsg, IMSG_STORE_PAK,
	    &pm.base));
}

static void
op_pak_list(struct store_req *r)
{
	Coordd__PakQuery	*q;
	struct pak_list_ctx	 ctx;
	struct db_user		 u;
	enum db_status		 st = DB_OK;

	if ((q = pb_unpack(&coordd__pak_query__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	store_batch_commit();
	ctx.r = r;
	ctx.user_id = q->user_id;
	if (q->user_id == 0 && q->user_name[0] != '\0' &&
	    (st = find_user(r, 0, q->user_name, &u)) == DB_OK)
		ctx.user_id = u.id;
	pb_free(q);
	if (st == DB_OK)
		st = db_preauthkey_list(store_env->db, list_pak_cb, &ctx,
		    r->err, sizeof(r->err));
	if (st != DB_OK)
		return (store_fail(r, st));
	imsgev_reply_done(r->iev, r->imsg);
}

/*
 * A pre-auth key changed by id (expire, delete): unpack, write in the
 * batch, answer once it is committed.
 */
void
store_pak_by_id(struct store_req *r, enum db_status (*change)(struct db *,
    uint64_t, uint64_t *, char *, size_t))
{
	Coordd__PakQuery	*q;
	enum db_status		 st;
	uint64_t		 seq, id;

	if ((q = pb_unpack(&coordd__pak_query__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	id = q->id;
	pb_free(q);
	if (store_batch_begin() == -1)
		return (store_fail(r, DB_ERROR));
	if ((st = change(store_env->db, id, &seq, r->err,
	    sizeof(r->err))) != DB_OK)
		return (store_fail(r, st));
	store_defer_reply(r->imsg, IMSG_RESULT, NULL);
}

static void
op_pak_expire(struct store_req *r)
{
	store_pak_by_id(r, db_preauthkey_expire);
}

static void
op_apikey_create(struct store_req *r)
{
	Coordd__ApiKeyCreate	*m;
	Coordd__ApiKey		 am;
	struct db_apikey	 k;
	char			 full[DB_KEY_BUFSZ];
	enum db_status		 st;
	uint64_t		 seq;
	time_t			 exp;

	if ((m = pb_unpack(&coordd__api_key_create__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	exp = m->expiration;
	pb_free(m);
	if (store_batch_begin() == -1)
		return (store_fail(r, DB_ERROR));
	if ((st = db_apikey_create(store_env->db, exp, &k, full, sizeof(full),
	    &seq, r->err, sizeof(r->err))) != DB_OK)
		return (store_fail(r, st));
	store_pb_apikey(&k, &am);
	am.key = full;
	store_defer_reply(r->imsg, IMSG_STORE_APIKEY, &am.base);
	store_defer_done(r->imsg);
	explicit_bzero(full, sizeof(full));
}

static int
list_apikey_cb(const struct db_apikey *k, void *arg)
{
	struct store_req	*r = arg;
	Coordd__ApiKey		 am;

	store_pb_apikey(k, &am);
	return (imsgev_reply_pb(r->iev, r->imsg, IMSG_STORE_APIKEY,
	    &am.base));
}

static void
op_apikey_list(struct store_req *r)
{
	enum db_status	st;

	store_batch_commit();
	if ((st = db_apikey_list(store_env->db, list_apikey_cb, r, r->err,
	    sizeof(r->err))) != DB_OK)
		return (store_fail(r, st));
	imsgev_reply_done(r->iev, r->imsg);
}

static void
op_apikey_expire_delete(struct store_req *r, int delete)
{
	Coordd__ApiKeyQuery	*q;
	enum db_status		 st;
	uint64_t		 seq;

	if ((q = pb_unpack(&coordd__api_key_query__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	if (store_batch_begin() == -1) {
		pb_free(q);
		return (store_fail(r, DB_ERROR));
	}
	if (delete)
		st = db_apikey_delete(store_env->db, q->id, q->prefix, &seq,
		    r->err, sizeof(r->err));
	else
		st = db_apikey_expire(store_env->db, q->id, q->prefix, &seq,
		    r->err, sizeof(r->err));
	pb_free(q);
	if (st != DB_OK)
		return (store_fail(r, st));
	store_defer_reply(r->imsg, IMSG_RESULT, NULL);
}

static void
op_apikey_expire(struct store_req *r)
{
	op_apikey_expire_delete(r, 0);
}

static void
op_apikey_delete(struct store_req *r)
{
	op_apikey_expire_delete(r, 1);
}

/* Only stored compares secrets: the caller learns yes or no. */
static void
op_apikey_check(struct store_req *r)
{
	Coordd__ApiKeyQuery	*q;
	struct db_apikey	 k;
	enum db_status		 st;

	if ((q = pb_unpack(&coordd__api_key_query__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	store_batch_commit();
	st = db_apikey_check(store_env->db, q->key, &k, r->err,
	    sizeof(r->err));
	if (q->key != NULL)
		explicit_bzero(q->key, strlen(q->key));
	pb_free(q);
	store_result(r->iev, r->imsg, store_status(st), r->err);
}

/*
 * Nodes.
 */

/* A node with its owner, as the API shows it. */
void
node_message(const struct db_node *n, Coordd__Node *m, char **tagv,
    char **epv, Coordd__User *um, struct db_user *u)
{
	store_pb_node(n, m, tagv, epv);
	if (n->user_id != 0 && db_user_get(store_env->db, n->user_id, u,
	    NULL, 0) == DB_OK) {
		store_pb_user(u, um);
		m->user = um;
	}
}

/* The node as the answer to its request, and to every subscriber. */
void
reply_node(struct store_req *r, const struct db_node *n, uint64_t seq)
{
	Coordd__Change	 ch = COORDD__CHANGE__INIT;
	Coordd__Node	 m;
	Coordd__User	 um;
	struct db_user	 u;
	char		*tagv[DB_TAGS_MAX], *epv[DB_NODE_PTRS];

	node_message(n, &m, tagv, epv, &um, &u);
	store_defer_reply(r->imsg, IMSG_STORE_NODE, &m.base);
	store_defer_done(r->imsg);
	ch.seq = seq;
	ch.kind = COORDD__CHANGE__KIND__NODE_UPSERT;
	ch.node = &m;
	store_defer_change(&ch.base);
}

static int
node_name_taken(const char *name, void *arg)
{
	return (db_node_given_name_taken(store_env->db, name, 0));
}

/* A new node: addresses, a free name, the row; undone together. */
static enum db_status
node_create(struct store_req *r, struct db_node_new *nn, struct db_node *out,
    uint64_t *seq)
{
	char		v4[DB_IP_MAX + 1], v6[DB_IP_MAX + 1];
	char		given[DB_NAME_MAX + 1];
	enum db_status	st;

	if (ipalloc_next(&store_env->ipa, v4, sizeof(v4), v6, sizeof(v6),
	    r->err, sizeof(r->err)) == -1)
		return (DB_ERROR);
	if (name_unique(nn->hostname, node_name_taken, NULL, given,
	    sizeof(given)) == -1) {
		strlcpy(r->err, "no free name for the node", sizeof(r->err));
		st = DB_EXISTS;
		goto fail;
	}
	nn->ipv4 = v4;
	nn->ipv6 = v6;
	nn->given_name = given;
	if ((st = db_node_register(store_env->db, nn, out, seq, r->err,
	    sizeof(r->err))) != DB_OK)
		goto fail;
	/* Should the batch be lost, the addresses come back. */
	store_defer_ip(v4, 0);
	store_defer_ip(v6, 0);
	return (DB_OK);
 fail:
	if (v4[0] != '\0')
		ipalloc_release(&store_env->ipa, v4);
	if (v6[0] != '\0')
		ipalloc_release(&store_env->ipa, v6);
	return (st);
}

/*
 * A node registers with a pre-auth key, or an admin registers one for
 * a user (the CLI path, apid only).  A known machine key gets its new
 * node key instead of a second node.
 */
static void
op_node_register(struct store_req *r)
{
	Coordd__NodeRegister	*m;
	struct db_node_new	 nn;
	struct db_preauthkey	*k = NULL;
	struct db_node		*n = NULL;
	struct db_user		 u;
	const char		*tags[DB_TAGS_MAX];
	char			 nodekey[8 + 64 + 1];
	uint8_t			 raw[32];
	enum db_status		 st;
	uint64_t		 seq;
	size_t			 i;

	m = pb_unpack(&coordd__node_register__descriptor, r->imsg);
	/* The request held a secret. */
	if (r->imsg->data != NULL)
		explicit_bzero(r->imsg->data, r->imsg->datalen);
	if (m == NULL)
		return (store_fail(r, DB_INVALID));
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (n = calloc(1, sizeof(*n))) == NULL)
		fatal("calloc");
	memset(&nn, 0, sizeof(nn));
	nn.machine_key = m->machine_key;
	nn.node_key = m->node_key;
	nn.disco_key = m->disco_key;
	nn.hostname = m->hostname;
	nn.expiry = m->expiry;
	nn.host_info = m->host_info[0] != '\0' ? m->host_info : NULL;
	/* An admin's node has no client yet: a placeholder node key. */
	if (r->peer == PROC_API && m->auth_key[0] == '\0' &&
	    m->node_key[0] == '\0') {
		randombytes_buf(raw, sizeof(raw));
		strlcpy(nodekey, "nodekey:", sizeof(nodekey));
		sodium_bin2hex(nodekey + 8, sizeof(nodekey) - 8, raw,
		    sizeof(raw));
		nn.node_key = nodekey;
	}
	if (!db_node_key_valid(m->machine_key, "mkey:") ||
	    !db_node_key_valid(nn.node_key, "nodekey:")) {
		strlcpy(r->err, "invalid machine or node key", sizeof(r->err));
		st = DB_INVALID;
		goto fail;
	}
	if (store_batch_begin() == -1) {
		st = DB_ERROR;
		goto fail;
	}
	if (m->auth_key[0] != '\0') {
		st = db_preauthkey_validate(store_env->db, m->auth_key, k,
		    r->err, sizeof(r->err));
		explicit_bzero(m->auth_key, strlen(m->auth_key));
		if (st == DB_NOTFOUND || st == DB_INVALID) {
			store_result(r->iev, r->imsg, CTL_ERR_DENIED,
			    "invalid, expired or used key");
			goto done;
		} else if (st != DB_OK)
			goto fail;
		nn.register_method = "authkey";
		nn.auth_key_id = k->id;
		nn.user_id = k->user_id;
		for (i = 0; i < k->ntags; i++)
			tags[i] = k->tags[i];
		nn.tags = tags;
		nn.ntags = k->ntags;
	} else if ((r->peer == PROC_API || r->peer == PROC_COORD) &&
	    m->user[0] != '\0') {
		/*
		 * An admin's command: debug create-node (apid), or an
		 * interactive registration completed (the coordinator
		 * holds the pending request, apid asked it).
		 */
		if ((st = find_user(r, 0, m->user, &u)) != DB_OK)
			goto fail;
		nn.register_method = "cli";
		nn.user_id = u.id;
	} else {
		strlcpy(r->err, "a pre-auth key is needed", sizeof(r->err));
		st = DB_INVALID;
		goto fail;
	}
	if ((st = db_node_get_by_machine_key(store_env->db, m->machine_key,
	    n, r->err, sizeof(r->err))) == DB_OK)
		st = db_node_set_node_key(store_env->db, n->id, &nn, n,
		    &seq, r->err, sizeof(r->err));
	else if (st == DB_NOTFOUND)
		st = node_create(r, &nn, n, &seq);
	if (st != DB_OK)
		goto fail;
	reply_node(r, n, seq);
	goto done;
 fail:
	store_fail(r, st);
 done:
	if (m->auth_key != NULL)
		explicit_bzero(m->auth_key, strlen(m->auth_key));
	pb_free(m);
	freezero(k, sizeof(*k));
	free(n);
}

struct node_list_ctx {
	struct store_req	*r;
	uint64_t		 user_id;
	int			 filter;
};

static int
list_node_cb(const struct db_node *n, void *arg)
{
	struct node_list_ctx	*ctx = arg;
	Coordd__Node		 m;
	Coordd__User		 um;
	struct db_user		 u;
	char			*tagv[DB_TAGS_MAX], *epv[DB_NODE_PTRS];

	if (ctx->filter && n->user_id != ctx->user_id)
		return (0);
	node_message(n, &m, tagv, epv, &um, &u);
	return (imsgev_reply_pb(ctx->r->iev, ctx->r->imsg, IMSG_STORE_NODE,
	    &m.base));
}

static void
op_node_list(struct store_req *r)
{
	Coordd__NodeQuery	*q;
	struct node_list_ctx	 ctx;
	struct db_node		*n;
	struct db_user		 u;
	enum db_status		 st = DB_OK;

	if ((q = pb_unpack(&coordd__node_query__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	store_batch_commit();
	memset(&ctx, 0, sizeof(ctx));
	ctx.r = r;
	if (q->id != 0) {
		/* One node: GetNode. */
		if ((n = malloc(sizeof(*n))) == NULL)
			fatal("malloc");
		if ((st = db_node_get(store_env->db, q->id, n, r->err,
		    sizeof(r->err))) == DB_OK && list_node_cb(n, &ctx) != 0)
			st = DB_ERROR;
		free(n);
	} else {
		if (q->user_name[0] != '\0') {
			ctx.filter = 1;
			if ((st = find_user(r, 0, q->user_name, &u)) == DB_OK)
				ctx.user_id = u.id;
		}
		if (st == DB_OK)
			st = db_node_list(store_env->db, list_node_cb, &ctx,
			    r->err, sizeof(r->err));
	}
	pb_free(q);
	if (st != DB_OK)
		return (store_fail(r, st));
	imsgev_reply_done(r->iev, r->imsg);
}

static void
op_node_delete(struct store_req *r)
{
	Coordd__NodeQuery	*q;
	Coordd__Change		 ch = COORDD__CHANGE__INIT;
	struct db_node		*n;
	enum db_status		 st;
	uint64_t		 seq, id;

	if ((q = pb_unpack(&coordd__node_query__descriptor, r->imsg)) == NULL)
		return (store_fail(r, DB_INVALID));
	id = q->id;
	pb_free(q);
	if (store_batch_begin() == -1)
		return (store_fail(r, DB_ERROR));
	if ((n = malloc(sizeof(*n))) == NULL)
		fatal("malloc");
	if ((st = db_node_delete(store_env->db, id, n, &seq, r->err,
	    sizeof(r->err))) != DB_OK) {
		free(n);
		return (store_fail(r, st));
	}
	/* The addresses are free once the delete is on disk. */
	store_defer_ip(n->ipv4, 1);
	store_defer_ip(n->ipv6, 1);
	free(n);
	store_defer_reply(r->imsg, IMSG_RESULT, NULL);
	ch.seq = seq;
	ch.kind = COORDD__CHANGE__KIND__NODE_DELETE;
	ch.id = id;
	store_defer_change(&ch.base);
}

static void
op_node_expire(struct store_req *r)
{
	Coordd__NodeExpire	*q;
	struct db_node		*n;
	enum db_status		 st;
	uint64_t		 seq, id;
	time_t			 when;

	if ((q = pb_unpack(&coordd__node_expire__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	id = q->id;
	when = q->disable ? 0 : q->expiry != 0 ? q->expiry : time(NULL);
	pb_free(q);
	if (store_batch_begin() == -1)
		return (store_fail(r, DB_ERROR));
	if ((n = malloc(sizeof(*n))) == NULL)
		fatal("malloc");
	if ((st = db_node_expire(store_env->db, id, when, n, &seq, r->err,
	    sizeof(r->err))) == DB_OK)
		reply_node(r, n, seq);
	else
		store_fail(r, st);
	free(n);
}

static void
op_node_rename(struct store_req *r)
{
	Coordd__NodeRename	*q;
	struct db_node		*n;
	enum db_status		 st;
	uint64_t		 seq;

	if ((q = pb_unpack(&coordd__node_rename__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	if (store_batch_begin() == -1) {
		pb_free(q);
		return (store_fail(r, DB_ERROR));
	}
	if ((n = malloc(sizeof(*n))) == NULL)
		fatal("malloc");
	if ((st = db_node_rename(store_env->db, q->id, q->new_name, n, &seq,
	    r->err, sizeof(r->err))) == DB_OK)
		reply_node(r, n, seq);
	else
		store_fail(r, st);
	pb_free(q);
	free(n);
}

/*
 * What a client says about itself on a map request.  A repeat of what
 * is stored answers OK and writes nothing: every change goes out to
 * every peer, and clients repeat themselves often.
 */
static void
op_node_update(struct store_req *r)
{
	Coordd__NodeUpdate	*q;
	Coordd__Change		 ch = COORDD__CHANGE__INIT;
	Coordd__Node		 m;
	Coordd__User		 um;
	struct db_node_update	 u;
	struct db_node		*n;
	struct db_user		 du;
	char			*tagv[DB_TAGS_MAX], *epv[DB_NODE_PTRS];
	enum db_status		 st;
	uint64_t		 seq;
	int			 changed;

	if ((q = pb_unpack(&coordd__node_update__descriptor, r->imsg)) ==
	    NULL)
		return (store_fail(r, DB_INVALID));
	memset(&u, 0, sizeof(u));
	u.node_key = q->node_key;
	u.disco_key = q->disco_key;
	u.set_endpoints = q->set_endpoints;
	u.endpoints = (const char *const *)q->endpoints;
	u.nendpoints = q->n_endpoints;
	u.host_info = q->host_info;
	u.last_seen = q->last_seen;
	u.new_node_key = q->new_node_key;
	if (store_batch_begin() == -1) {
		pb_free(q);
		return (store_fail(r, DB_ERROR));
	}
	if ((n = malloc(sizeof(*n))) == NULL)
		fatal("malloc");
	st = db_node_update(store_env->db, q->id, &u, n, &changed, &seq,
	    r->err, sizeof(r->err));
	pb_free(q);
	if (st != DB_OK) {
		free(n);
		return (store_fail(r, st));
	}
	store_defer_reply(r->imsg, IMSG_RESULT, NULL);
	if (changed) {
		node_message(n, &m, tagv, epv, &um, &du);
		ch.seq = seq;
		ch.kind = COORDD__CHANGE__KIND__NODE_UPSERT;
		ch.node = &m;
		store_defer_change(&ch.base);
	}
	free(n);
}

/*
 * The 32-byte public point of a key-agreement request, or NULL with the
 * request failed.  The caller frees the message.
 */
static Coordd__DhRequest *
store_point(struct store_req *r)
{
	Coordd__DhRequest	*q;

	if ((q = pb_unpack(&coordd__dh_request__descriptor, r->imsg)) ==
	    NULL || q->point.len != crypto_scalarmult_BYTES) {
		pb_free(q);
		strlcpy(r->err, "the point must be 32 bytes", sizeof(r->err));
		store_fail(r, DB_INVALID);
		return (NULL);
	}
	return (q);
}

/* Answer with a shared secret, then wipe it. */
static void
store_reply_shared(struct store_req *r, uint32_t type, uint8_t *shared,
    size_t len)
{
	Coordd__DhReply		rep = COORDD__DH_REPLY__INIT;

	rep.shared.data = shared;
	rep.shared.len = len;
	imsgev_reply_pb(r->iev, r->imsg, type, &rep.base);
	imsgev_reply_done(r->iev, r->imsg);
	sodium_memzero(shared, len);
}

/* X25519 with the Noise static key; the key itself never leaves. */
static void
op_noise_dh(struct store_req *r)
{
	Coordd__DhRequest	*q;
	uint8_t			 shared[crypto_scalarmult_BYTES];
	int			 bad;

	if ((q = store_point(r)) == NULL)
		return;
	bad = crypto_scalarmult(shared, store_env->noise_priv,
	    q->point.data) != 0;
	pb_free(q);
	if (bad) {
		strlcpy(r->err, "low-order point refused", sizeof(r->err));
		return (store_fail(r, DB_INVALID));
	}
	store_reply_shared(r, IMSG_STORE_NOISE_DH, shared, sizeof(shared));
}

static void
op_noise_pubkey(struct store_req *r)
{
	Coordd__PublicKey	rep = COORDD__PUBLIC_KEY__INIT;
	uint8_t			pub[crypto_scalarmult_BYTES];

	crypto_scalarmult_base(pub, store_env->noise_priv);
	rep.key.data = pub;
	rep.key.len = sizeof(pub);
	imsgev_reply_pb(r->iev, r->imsg, IMSG_STORE_NOISE_PUBKEY, &rep.base);
	imsgev_reply_done(r->iev, r->imsg);
}

/*
 * The NaCl box key of the DERP key with a client's node key: enough to
 * open and seal that client's boxes, useless for any other client.
 */
static void
op_derp_boxkey(struct store_req *r)
{
	Coordd__DhRequest	*q;
	uint8_t			 shared[crypto_box_BEFORENMBYTES];
	int			 bad;

	if (!store_env->derp_loaded) {
		strlcpy(r->err, "the DERP server is disabled", sizeof(r->err));
		return (store_fail(r, DB_INVALID));
	}
	if ((q = store_point(r)) == NULL)
		return;
	/* crypto_box_beforenm fails on a low-order point, as the DH does. */
	bad = crypto_box_beforenm(shared, q->point.data,
	    store_env->derp_priv) != 0;
	pb_free(q);
	if (bad) {
		strlcpy(r->err, "low-order point refused", sizeof(r->err));
		return (store_fail(r, DB_INVALID));
	}
	store_reply_shared(r, IMSG_STORE_DERP_BOXKEY, shared, sizeof(shared));
}

static void
op_derp_pubkey(struct store_req *r)
{
	Coordd__PublicKey	rep = COORDD__PUBLIC_KEY__INIT;
	uint8_t			pub[crypto_scalarmult_BYTES];

	if (!store_env->derp_loaded) {
		strlcpy(r->err, "the DERP server is disabled", sizeof(r->err));
		return (store_fail(r, DB_INVALID));
	}
	crypto_scalarmult_base(pub, store_env->derp_priv);
	rep.key.data = pub;
	rep.key.len = sizeof(pub);
	imsgev_reply_pb(r->iev, r->imsg, IMSG_STORE_DERP_PUBKEY, &rep.base);
	imsgev_reply_done(r->iev, r->imsg);
}

static void
op_hello(struct store_req *r)
{
	store_batch_commit();
	store_send_snapshot(r->peer, r->iev, r->imsg);
}

/* Who may ask what. */
static const struct {
	uint32_t	 type;
	unsigned	 peers;
	void		(*fn)(struct store_req *);
} store_ops[] = {
#define P(x)	(1U << (x))
	{ IMSG_STORE_HELLO,		P(PROC_COORD) | P(PROC_API), op_hello },
	{ IMSG_STORE_NOISE_DH,		P(PROC_COORD),	op_noise_dh },
	{ IMSG_STORE_NOISE_PUBKEY,	P(PROC_COORD),	op_noise_pubkey },
	{ IMSG_STORE_DERP_PUBKEY,	P(PROC_COORD),	op_derp_pubkey },
	{ IMSG_STORE_DERP_BOXKEY,	P(PROC_COORD),	op_derp_boxkey },
	{ IMSG_STORE_USER_CREATE,	P(PROC_API),	op_user_create },
	{ IMSG_STORE_USER_LIST,		P(PROC_API),	op_user_list },
	{ IMSG_STORE_USER_RENAME,	P(PROC_API),	op_user_rename },
	{ IMSG_STORE_USER_DELETE,	P(PROC_API),	op_user_delete },
	{ IMSG_STORE_PAK_CREATE,	P(PROC_API),	op_pak_create },
	{ IMSG_STORE_PAK_LIST,		P(PROC_API),	op_pak_list },
	{ IMSG_STORE_PAK_EXPIRE,	P(PROC_API),	op_pak_expire },
	{ IMSG_STORE_APIKEY_CREATE,	P(PROC_API),	op_apikey_create },
	{ IMSG_STORE_APIKEY_LIST,	P(PROC_API),	op_apikey_list },
	{ IMSG_STORE_APIKEY_EXPIRE,	P(PROC_API),	op_apikey_expire },
	{ IMSG_STORE_APIKEY_DELETE,	P(PROC_API),	op_apikey_delete },
	{ IMSG_STORE_APIKEY_CHECK,	P(PROC_API),	op_apikey_check },
	{ IMSG_STORE_NODE_REGISTER,	P(PROC_COORD) | P(PROC_API),
	    op_node_register },
	{ IMSG_STORE_NODE_LIST,		P(PROC_API),	op_node_list },
	{ IMSG_STORE_NODE_DELETE,	P(PROC_COORD) | P(PROC_API),
	    op_node_delete },
	{ IMSG_STORE_NODE_EXPIRE,	P(PROC_COORD) | P(PROC_API),
	    op_node_expire },
	{ IMSG_STORE_NODE_RENAME,	P(PROC_API),	op_node_rename },
	{ IMSG_STORE_NODE_UPDATE,	P(PROC_COORD),	op_node_update },
	{ IMSG_STORE_PAK_DELETE,	P(PROC_API),	op_pak_delete },
	{ IMSG_STORE_NODE_TAGS,		P(PROC_API),	op_node_tags },
	{ IMSG_STORE_NODE_ROUTES,	P(PROC_API),	op_node_routes },
	{ IMSG_STORE_NODE_MOVE,		P(PROC_API),	op_node_move },
	{ IMSG_STORE_NODE_BACKFILL,	P(PROC_API),	op_node_backfill },
	{ IMSG_STORE_POLICY_GET,	P(PROC_API),	op_policy_get },
	{ IMSG_STORE_POLICY_SET,	P(PROC_API),	op_policy_set },
#undef P
};

/* Returns with the peer closed if it asked for something not its own. */
void
store_dispatch_request(int peer, struct imsgev *iev, struct imsg *imsg)
{
	struct store_req	r;
	size_t			i;

	for (i = 0; i < nitems(store_ops); i++)
		if (store_ops[i].type == imsg->hdr.type)
			break;
	if (i == nitems(store_ops) || !(store_ops[i].peers & (1U << peer))) {
		log_warnx("%s: request %u not allowed, disconnecting",
		    iev->name, imsg->hdr.type);
		imsgev_close(iev);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.peer = peer;
	r.iev = iev;
	r.imsg = imsg;
	store_ops[i].fn(&r);
}
