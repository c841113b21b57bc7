/*
 * Nodes: registration, the lookups it needs, and the admin operations
 * (delete, expire, rename).  Addresses and given names are chosen by
 * the caller (stored keeps the address allocator); here they are only
 * checked and stored.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define DB_INTERNAL
#include "log.h"
#include "db.h"
#include "names.h"

/*
 * Every node read joins its pre-auth key, for the ephemeral flag: one
 * query, not one more per node.
 */
#define NODE_COLS	"n.id, n.user_id, n.hostname, n.given_name, n.ipv4," \
			" n.ipv6, n.machine_key, n.node_key, n.expiry," \
			" n.created_at, n.disco_key, n.register_method," \
			" n.auth_key_id, n.updated_at, n.tags, n.last_seen," \
			" k.ephemeral, n.endpoints, n.host_info," \
			" n.approved_routes"
#define NODE_FROM	" FROM nodes n LEFT JOIN pre_auth_keys k" \
			" ON k.id = n.auth_key_id"

static void		db_node_row(sqlite3_stmt *, struct db_node *);
static void		db_node_endpoints_read(sqlite3_stmt *, int,
			    struct db_node *);
static void		db_node_host_info_read(sqlite3_stmt *, int,
			    struct db_node *);
static enum db_status	db_node_query(struct db *, const char *, uint64_t,
			    const char *, struct db_node *, char *, size_t);
static enum db_status	db_node_use_key(struct db *, uint64_t, char *,
			    size_t);
static int		db_host_info_valid(const char *, char *, size_t);

static void
db_node_row(sqlite3_stmt *st, struct db_node *n)
{
	memset(n, 0, sizeof(*n));
	n->id = (uint64_t)sqlite3_column_int64(st, 0);
	n->user_id = (uint64_t)sqlite3_column_int64(st, 1);
	db_column_str(st, 2, n->hostname, sizeof(n->hostname));
	db_column_str(st, 3, n->given_name, sizeof(n->given_name));
	db_column_str(st, 4, n->ipv4, sizeof(n->ipv4));
	db_column_str(st, 5, n->ipv6, sizeof(n->ipv6));
	db_column_str(st, 6, n->machine_key, sizeof(n->machine_key));
	db_column_str(st, 7, n->node_key, sizeof(n->node_key));
	/* An unreadable expiry fails closed: long expired. */
	n->expiry = db_column_time(st, 8, 1);
	n->created_at = db_column_time(st, 9, 0);
	db_column_str(st, 10, n->disco_key, sizeof(n->disco_key));
	db_column_str(st, 11, n->register_method,
	    sizeof(n->register_method));
	n->auth_key_id = (uint64_t)sqlite3_column_int64(st, 12);
	n->updated_at = db_column_time(st, 13, 0);
	if (db_tags_decode((const char *)sqlite3_column_text(st, 14),
	    n->tags, &n->ntags) == -1) {
		log_warnx("nodes row %llu: unreadable tags",
		    (unsigned long long)n->id);
		n->ntags = 0;
	}
	n->last_seen = db_column_time(st, 15, 0);
	n->ephemeral = db_column_bool(st, 16);
	db_node_endpoints_read(st, 17, n);
	db_node_host_info_read(st, 18, n);
	db_node_routes_read((const char *)sqlite3_column_text(st, 19), n);
}

/*
 * The endpoints column: a JSON array of strings, as headscale writes it
 * (Go's nil slice is "null").  Anything else reads as no endpoints.
 */
static void
db_node_endpoints_read(sqlite3_stmt *st, int col, struct db_node *n)
{
	const char	*s, *e;
	json_t		*a, *v;
	size_t		 i;

	n->nendpoints = 0;
	s = (const char *)sqlite3_column_text(st, col);
	if (s == NULL || *s == '\0')
		return;
	if ((a = json_loads(s, JSON_DECODE_ANY, NULL)) == NULL ||
	    json_is_null(a)) {
		if (a == NULL)
			log_warnx("nodes row %llu: endpoints not JSON",
			    (unsigned long long)n->id);
		json_decref(a);
		return;
	}
	if (!json_is_array(a) || json_array_size(a) > DB_ENDPOINTS_MAX)
		goto bad;
	json_array_foreach(a, i, v) {
		if ((e = json_string_value(v)) == NULL ||
		    strlcpy(n->endpoints[i], e, sizeof(n->endpoints[i])) >=
		    sizeof(n->endpoints[i]))
			goto bad;
	}
	n->nendpoints = json_array_size(a);
	json_decref(a);
	return;
 bad:
	log_warnx("nodes row %llu: unreadable endpoints",
	    (unsigned long long)n->id);
	json_decref(a);
}

/* Hostinfo as it is; one too big to be ours reads as none. */
static void
db_node_host_info_read(sqlite3_stmt *st, int col, struct db_node *n)
{
	const char	*s;

	if ((s = (const char *)sqlite3_column_text(st, col)) == NULL)
		s = "";
	if (strlcpy(n->host_info, s, sizeof(n->host_info)) >=
	    sizeof(n->host_info)) {
		/* Cut JSON is worse than none. */
		log_warnx("nodes row %llu: host info longer than %d bytes",
		    (unsigned long long)n->id, DB_HOSTINFO_MAX);
		n->host_info[0] = '\0';
	}
}

/*
 * A key as Tailscale writes it: head (e.g. "nodekey:") and 64 lower
 * case hex digits.
 */
int
db_node_key_valid(const char *key, const char *head)
{
	size_t	i, hl = strlen(head);

	if (key == NULL || strncmp(key, head, hl) != 0 ||
	    strlen(key + hl) != 64)
		return (0);
	for (i = hl; key[i] != '\0'; i++)
		if (!isxdigit((unsigned char)key[i]) ||
		    isupper((unsigned char)key[i]))
			return (0);
	return (1);
}

/* One live node where the column of sql (?1 id or ?2 text) matches. */
static enum db_status
db_node_query(struct db *db, const char *sql, uint64_t id, const char *s,
    struct db_node *n, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	enum db_status	 ret;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	db_bind_text(st, 2, s != NULL ? s : "");
	if ((ret = db_step_row(db, st, "node not found", "reading node",
	    err, errlen)) == DB_OK)
		db_node_row(st, n);
	db_stmt_done(st);
	return (ret);
}

enum db_status
db_node_get(struct db *db, uint64_t id, struct db_node *n, char *err,
    size_t errlen)
{
	static const char sql[] = "SELECT " NODE_COLS NODE_FROM
	    " WHERE n.id = ?1 AND ?2 = '' AND n.deleted_at IS NULL";

	return (db_node_query(db, sql, id, "", n, err, errlen));
}

enum db_status
db_node_get_by_machine_key(struct db *db, const char *mkey,
    struct db_node *n, char *err, size_t errlen)
{
	static const char sql[] = "SELECT " NODE_COLS NODE_FROM
	    " WHERE ?1 = 0 AND n.machine_key = ?2 AND n.deleted_at IS NULL"
	    " ORDER BY n.id LIMIT 1";

	return (db_node_query(db, sql, 0, mkey, n, err, errlen));
}

/*
 * Whether a live node other than except_id has this given name (case
 * does not matter in DNS).  An error answers "taken": fail closed.
 */
int
db_node_given_name_taken(struct db *db, const char *name,
    uint64_t except_id)
{
	static const char sql[] = "SELECT 1 FROM nodes"
	    " WHERE lower(given_name) = lower(?2) AND id <> ?1"
	    " AND deleted_at IS NULL LIMIT 1";
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql, NULL, 0)) == NULL)
		return (1);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)except_id);
	db_bind_text(st, 2, name);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	return (rc != SQLITE_DONE);
}

/*
 * Mark a single-use key used as part of the current write; a reusable
 * key stays as it is.  A single-use key already used refuses.
 */
static enum db_status
db_node_use_key(struct db *db, uint64_t id, char *err, size_t errlen)
{
	static const char sql[] = "UPDATE pre_auth_keys SET used = 1"
	    " WHERE id = ?1 AND NOT used AND NOT reusable";
	static const char reusable[] = "SELECT reusable FROM pre_auth_keys"
	    " WHERE id = ?1";
	sqlite3_stmt	*st;
	enum db_status	 ret;

	if (id == 0)
		return (DB_OK);
	if ((ret = db_write_id(db, sql, id, "using pre-auth key", err,
	    errlen)) != DB_OK || sqlite3_changes(db->db_sql) == 1)
		return (ret);
	if ((st = db_stmt(db, reusable, err, errlen)) == NULL)
		return (DB_ERROR);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if ((ret = db_step_row(db, st, "pre-auth key not found",
	    "reading pre-auth key", err, errlen)) == DB_OK &&
	    !db_column_bool(st, 0)) {
		db_seterr(err, errlen, "authkey already used");
		ret = DB_INVALID;
	}
	db_stmt_done(st);
	return (ret);
}

/* The checks of db_node_register() that need no database. */
static int
db_node_new_valid(const struct db_node_new *nn, char *err, size_t errlen)
{
	const char	*rm = nn->register_method;
	json_t		*hi;
	size_t		 i;

	if (!db_node_key_valid(nn->machine_key, "mkey:")) {
		db_seterr(err, errlen, "invalid machine key: want mkey: and "
		    "64 hex digits");
		return (-1);
	}
	if (!db_node_key_valid(nn->node_key, "nodekey:")) {
		db_seterr(err, errlen, "invalid node key: want nodekey: and "
		    "64 hex digits");
		return (-1);
	}
	if (nn->disco_key != NULL && nn->disco_key[0] != '\0' &&
	    !db_node_key_valid(nn->disco_key, "discokey:")) {
		db_seterr(err, errlen, "invalid disco key");
		return (-1);
	}
	if (db_text_valid(nn->hostname, DB_HOSTNAME_MAX, "hostname", err,
	    errlen) == -1)
		return (-1);
	if (nn->given_name == NULL || !name_label_valid(nn->given_name)) {
		db_seterr(err, errlen, "invalid given name: want a DNS label "
		    "of a-z, 0-9 and -");
		return (-1);
	}
	if ((nn->user_id == 0) == (nn->ntags == 0)) {
		db_seterr(err, errlen, "a node is owned by a user or by tags");
		return (-1);
	}
	if (rm == NULL || (strcmp(rm, "authkey") && strcmp(rm, "cli") &&
	    strcmp(rm, "oidc"))) {
		db_seterr(err, errlen, "unknown register method");
		return (-1);
	}
	if (nn->expiry < 0) {
		db_seterr(err, errlen, "negative expiry");
		return (-1);
	}
	if (nn->host_info != NULL && strlen(nn->host_info) >
	    DB_HOSTINFO_MAX) {
		db_seterr(err, errlen, "host info is longer than %d bytes",
		    DB_HOSTINFO_MAX);
		return (-1);
	}
	if (nn->host_info != NULL) {
		hi = json_loads(nn->host_info, JSON_REJECT_DUPLICATES, NULL);
		i = json_is_object(hi);
		json_decref(hi);
		if (!i) {
			db_seterr(err, errlen, "host info is not a JSON "
			    "object");
			return (-1);
		}
	}
	for (i = 0; i < 2; i++) {
		const char *ip = i == 0 ? nn->ipv4 : nn->ipv6;

		if (db_text_valid(ip, DB_IP_MAX, "address", err,
		    errlen) == -1)
			return (-1);
	}
	return (0);
}

/*
 * Register a new node, and mark its single-use pre-auth key used in the
 * same write.  DB_EXISTS if the machine key or the given name is taken.
 */
enum db_status
db_node_register(struct db *db, const struct db_node_new *nn,
    struct db_node *out, uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "INSERT INTO nodes (machine_key,"
	    " node_key, disco_key, endpoints, host_info, ipv4, ipv6,"
	    " hostname, given_name, user_id, register_method, tags,"
	    " auth_key_id, expiry, approved_routes, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, '[]', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13, '[]', ?14, ?14)";
	sqlite3_stmt	*st;
	struct db_node	*old = NULL;
	char		*tags = NULL;
	enum db_status	 ret;
	uint64_t	 id;

	if (db_node_new_valid(nn, err, errlen) == -1)
		return (DB_INVALID);
	if ((tags = db_tags_encode(nn->tags, nn->ntags, err, errlen)) ==
	    NULL)
		return (DB_INVALID);
	if ((old = malloc(sizeof(*old))) == NULL) {
		free(tags);
		db_seterr(err, errlen, "out of memory");
		return (DB_ERROR);
	}
	if (db_op_begin(db, err, errlen) != DB_OK) {
		ret = DB_ERROR;
		goto free;
	}
	if ((ret = db_node_get_by_machine_key(db, nn->machine_key, old, err,
	    errlen)) == DB_OK) {
		db_seterr(err, errlen, "machine key already registered as "
		    "node %llu", (unsigned long long)old->id);
		ret = DB_EXISTS;
		goto done;
	} else if (ret != DB_NOTFOUND)
		goto done;
	if (db_node_given_name_taken(db, nn->given_name, 0)) {
		db_seterr(err, errlen, "given name %s is taken",
		    nn->given_name);
		ret = DB_EXISTS;
		goto done;
	}
	if ((st = db_stmt(db, sql, err, errlen)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	db_bind_text(st, 1, nn->machine_key);
	db_bind_text(st, 2, nn->node_key);
	db_bind_text(st, 3, nn->disco_key != NULL ? nn->disco_key : "");
	db_bind_text(st, 4, nn->host_info != NULL ? nn->host_info : "{}");
	db_bind_text(st, 5, nn->ipv4 != NULL && nn->ipv4[0] != '\0' ?
	    nn->ipv4 : NULL);
	db_bind_text(st, 6, nn->ipv6 != NULL && nn->ipv6[0] != '\0' ?
	    nn->ipv6 : NULL);
	db_bind_text(st, 7, nn->hostname != NULL ? nn->hostname : "");
	db_bind_text(st, 8, nn->given_name);
	db_bind_id(st, 9, nn->user_id);
	db_bind_text(st, 10, nn->register_method);
	db_bind_text(st, 11, tags);
	db_bind_id(st, 12, nn->auth_key_id);
	db_bind_time(st, 13, nn->expiry);
	db_bind_time(st, 14, db_now());
	ret = db_step_done(db, st, "inserting node", err, errlen);
	db_stmt_done(st);
	if (ret != DB_OK)
		goto done;
	id = (uint64_t)sqlite3_last_insert_rowid(db->db_sql);
	if ((ret = db_node_use_key(db, nn->auth_key_id, err, errlen)) ==
	    DB_OK && (ret = db_bump_seq(db, err, errlen)) == DB_OK &&
	    out != NULL)
		ret = db_node_get(db, id, out, err, errlen);
 done:
	ret = db_op_end(db, ret, seq, err, errlen);
 free:
	free(old);
	free(tags);
	return (ret);
}

/*
 * An update of one live node by id: sql has ?1 id, ?2 now, ?3 text or
 * ?3 time, and if it wants them ?4 s4 and ?5 s5 (NULL binds NULL).  A
 * pre-auth key use_key (0: none) is marked used in the same write.  The
 * node as it is afterwards goes to out.
 */
enum db_status
db_node_write(struct db *db, const char *sql, uint64_t id, const char *s,
    time_t t, const char *s4, const char *s5, uint64_t use_key,
    struct db_node *out, uint64_t *seq, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	enum db_status	 ret;

	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((st = db_stmt(db, sql, err, errlen)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	db_bind_time(st, 2, db_now());
	if (s != NULL)
		db_bind_text(st, 3, s);
	else
		db_bind_time(st, 3, t);
	if (sqlite3_bind_parameter_count(st) >= 5) {
		db_bind_text(st, 4, s4);
		db_bind_text(st, 5, s5);
	}
	ret = db_step_done(db, st, "updating node", err, errlen);
	db_stmt_done(st);
	if (ret != DB_OK)
		goto done;
	if (sqlite3_changes(db->db_sql) != 1) {
		db_seterr(err, errlen, "node not found");
		ret = DB_NOTFOUND;
		goto done;
	}
	if ((ret = db_node_use_key(db, use_key, err, errlen)) == DB_OK &&
	    (ret = db_bump_seq(db, err, errlen)) == DB_OK && out != NULL)
		ret = db_node_get(db, id, out, err, errlen);
 done:
	return (db_op_end(db, ret, seq, err, errlen));
}

/*
 * Re-registration of a known machine: nn's node key, its disco key and
 * Hostinfo if given (NULL or "": as they were), and the single use
 * pre-auth key it came with (nn->auth_key_id, 0: none) marked used, in
 * one write.  The rest of nn is not looked at.
 */
enum db_status
db_node_set_node_key(struct db *db, uint64_t id,
    const struct db_node_new *nn, struct db_node *out, uint64_t *seq,
    char *err, size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET node_key = ?3,"
	    " disco_key = coalesce(?4, disco_key),"
	    " host_info = coalesce(?5, host_info),"
	    " updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL";
	const char	*dk = nn->disco_key, *hi = nn->host_info;

	if (!db_node_key_valid(nn->node_key, "nodekey:")) {
		db_seterr(err, errlen, "invalid node key: want nodekey: and "
		    "64 hex digits");
		return (DB_INVALID);
	}
	if (dk != NULL && dk[0] == '\0')
		dk = NULL;
	if (hi != NULL && hi[0] == '\0')
		hi = NULL;
	if (dk != NULL && !db_node_key_valid(dk, "discokey:")) {
		db_seterr(err, errlen, "invalid disco key");
		return (DB_INVALID);
	}
	if (hi != NULL && db_host_info_valid(hi, err, errlen) == -1)
		return (DB_INVALID);
	return (db_node_write(db, sql, id, nn->node_key, 0, dk, hi,
	    nn->auth_key_id, out, seq, err, errlen));
}

/* DeleteNode: the row goes; old gets what it was (for its addresses). */
enum db_status
db_node_delete(struct db *db, uint64_t id, struct db_node *old,
    uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM nodes WHERE id = ?1";
	enum db_status	ret;

	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((ret = db_node_get(db, id, old, err, errlen)) == DB_OK &&
	    (ret = db_write_id(db, sql, id, "deleting node", err,
	    errlen)) == DB_OK)
		ret = db_bump_seq(db, err, errlen);
	return (db_op_end(db, ret, seq, err, errlen));
}

/* ExpireNode: the key expires at when (now, usually); 0 disables expiry. */
enum db_status
db_node_expire(struct db *db, uint64_t id, time_t when,
    struct db_node *out, uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET expiry = ?3,"
	    " updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL";

	if (when < 0) {
		db_seterr(err, errlen, "negative expiry");
		return (DB_INVALID);
	}
	return (db_node_write(db, sql, id, NULL, when, NULL, NULL, 0, out,
	    seq, err, errlen));
}

/* RenameNode: a new given name, a DNS label no other node has. */
enum db_status
db_node_rename(struct db *db, uint64_t id, const char *name,
    struct db_node *out, uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET given_name = ?3,"
	    " updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL";

	if (name == NULL || !name_label_valid(name)) {
		db_seterr(err, errlen, "invalid name: want a DNS label of "
		    "a-z, 0-9 and -, at most 63 bytes");
		return (DB_INVALID);
	}
	if (db_node_given_name_taken(db, name, id)) {
		db_seterr(err, errlen, "name %s is taken", name);
		return (DB_EXISTS);
	}
	return (db_node_write(db, sql, id, name, 0, NULL, NULL, 0, out, seq,
	    err, errlen));
}

/*
 * An endpoint as a client reports it: "ip:port" or "[v6]:port", with a
 * port of 1 to 65535.  No zones: peers could not use one anyway.
 */
int
db_node_endpoint_valid(const char *s)
{
	char		 addr[DB_ENDPOINT_MAX + 1];
	unsigned char	 bin[16];
	const char	*colon, *p;
	size_t		 len;
	long		 port = 0;
	int		 af = AF_INET;

	if (s == NULL || (len = strlen(s)) == 0 || len > DB_ENDPOINT_MAX ||
	    (colon = strrchr(s, ':')) == NULL || colon[1] == '\0' ||
	    strlen(colon + 1) > 5)
		return (0);
	for (p = colon + 1; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return (0);
		port = port * 10 + (*p - '0');
	}
	if (port < 1 || port > 65535)
		return (0);
	if (s[0] == '[') {
		if (colon - s < 3 || colon[-1] != ']')
			return (0);
		af = AF_INET6;
		s++;
		colon--;
	}
	memcpy(addr, s, colon - s);
	addr[colon - s] = '\0';
	return (inet_pton(af, addr, bin) == 1);
}

/* A Hostinfo we accept: a JSON object of bounded size. */
static int
db_host_info_valid(const char *hi, char *err, size_t errlen)
{
	json_t	*j;
	int	 ok;

	if (strlen(hi) > DB_HOSTINFO_MAX) {
		db_seterr(err, errlen, "host info is longer than %d bytes",
		    DB_HOSTINFO_MAX);
		return (-1);
	}
	j = json_loads(hi, JSON_REJECT_DUPLICATES, NULL);
	ok = json_is_object(j);
	json_decref(j);
	if (!ok) {
		db_seterr(err, errlen, "host info is not a JSON object");
		return (-1);
	}
	return (0);
}

/* The checks of db_node_update() that need no database. */
static int
db_node_update_valid(const struct db_node_update *u, char *err,
    size_t errlen)
{
	size_t	i;

	if (!db_node_key_valid(u->node_key, "nodekey:")) {
		db_seterr(err, errlen, "invalid node key: want nodekey: and "
		    "64 hex digits");
		return (-1);
	}
	if (u->disco_key != NULL && u->disco_key[0] != '\0' &&
	    !db_node_key_valid(u->disco_key, "discokey:")) {
		db_seterr(err, errlen, "invalid disco key: want discokey: "
		    "and 64 lower case hex digits");
		return (-1);
	}
	if (u->set_endpoints && u->nendpoints > DB_ENDPOINTS_MAX) {
		db_seterr(err, errlen, "more than %d endpoints",
		    DB_ENDPOINTS_MAX);
		return (-1);
	}
	for (i = 0; u->set_endpoints && i < u->nendpoints; i++)
		if (!db_node_endpoint_valid(u->endpoints[i])) {
			db_seterr(err, errlen, "invalid endpoint %zu: want "
			    "ip:port or [ipv6]:port", i);
			return (-1);
		}
	if (u->host_info != NULL && u->host_info[0] != '\0' &&
	    db_host_info_valid(u->host_info, err, errlen) == -1)
		return (-1);
	if (u->last_seen < 0) {
		db_seterr(err, errlen, "negative last seen");
		return (-1);
	}
	if (u->new_node_key != NULL && u->new_node_key[0] != '\0' &&
	    !db_node_key_valid(u->new_node_key, "nodekey:")) {
		db_seterr(err, errlen, "invalid new node key: want nodekey: "
		    "and 64 hex digits");
		return (-1);
	}
	return (0);
}

/* Whether a live node other than except_id has this node key. */
static int
db_node_key_taken(struct db *db, const char *key, uint64_t except_id)
{
	static const char sql[] = "SELECT 1 FROM nodes"
	    " WHERE node_key = ?2 AND id <> ?1 AND deleted_at IS NULL"
	    " LIMIT 1";
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql, NULL, 0)) == NULL)
		return (1);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)except_id);
	db_bind_text(st, 2, key);
	rc = sqlite3_step(st);
	db_stmt_done(st);
	return (rc != SQLITE_DONE);
}

/* Endpoints as headscale stores them: a compact JSON array. */
static char *
db_endpoints_encode(const char *const *ep, size_t n, char *err,
    size_t errlen)
{
	json_t	*a;
	char	*s = NULL;
	size_t	 i;

	if ((a = json_array()) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(ep[i])) == -1)
			goto fail;
	s = json_dumps(a, JSON_COMPACT);
 fail:
	json_decref(a);
	if (s == NULL)
		db_seterr(err, errlen, "out of memory");
	return (s);
}

/* Whether two Hostinfos say the same, however they are spelled. */
static int
db_host_info_same(const char *a, const char *b)
{
	json_t	*ja, *jb;
	int	 same;

	if (strcmp(a, b) == 0)
		return (1);
	ja = json_loads(a, 0, NULL);
	jb = json_loads(b, 0, NULL);
	same = ja != NULL && jb != NULL && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return (same);
}

/*
 * Whether u would leave n as it is.  Clients repeat themselves on every
 * map request, and every change goes out to every peer.
 */
static int
db_node_update_same(const struct db_node *n, const struct db_node_update *u)
{
	size_t	i;

	if (u->disco_key != NULL && u->disco_key[0] != '\0' &&
	    strcmp(u->disco_key, n->disco_key) != 0)
		return (0);
	if (u->set_endpoints) {
		if (u->nendpoints != n->nendpoints)
			return (0);
		for (i = 0; i < u->nendpoints; i++)
			if (strcmp(u->endpoints[i], n->endpoints[i]) != 0)
				return (0);
	}
	if (u->host_info != NULL && u->host_info[0] != '\0' &&
	    !db_host_info_same(u->host_info, n->host_info))
		return (0);
	if (u->last_seen != 0 && u->last_seen != n->last_seen)
		return (0);
	if (u->new_node_key != NULL && u->new_node_key[0] != '\0' &&
	    strcmp(u->new_node_key, n->node_key) != 0)
		return (0);
	return (1);
}

/*
 * What a client reports about itself (disco key, endpoints, Hostinfo,
 * last seen), for the live node id whose node key is u->node_key (else
 * DB_NOTFOUND).  If it changes nothing, nothing is written and *changed
 * (may be NULL) is 0; out gets the node as it is afterwards either way.
 */
enum db_status
db_node_update(struct db *db, uint64_t id, const struct db_node_update *u,
    struct db_node *out, int *changed, uint64_t *seq, char *err,
    size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET"
	    " disco_key = coalesce(?3, disco_key),"
	    " endpoints = coalesce(?4, endpoints),"
	    " host_info = coalesce(?5, host_info),"
	    " last_seen = coalesce(?6, last_seen), updated_at = ?2,"
	    " node_key = coalesce(?8, node_key)"
	    " WHERE id = ?1 AND node_key = ?7 AND deleted_at IS NULL";
	sqlite3_stmt	*st;
	struct db_node	*n;
	char		*eps = NULL;
	enum db_status	 ret;
	int		 did = 0;

	if (changed != NULL)
		*changed = 0;
	if (db_node_update_valid(u, err, errlen) == -1)
		return (DB_INVALID);
	if ((n = malloc(sizeof(*n))) == NULL ||
	    (u->set_endpoints && (eps = db_endpoints_encode(u->endpoints,
	    u->nendpoints, err, errlen)) == NULL)) {
		free(n);
		db_seterr(err, errlen, "out of memory");
		return (DB_ERROR);
	}
	if (db_op_begin(db, err, errlen) != DB_OK) {
		ret = DB_ERROR;
		goto free;
	}
	if ((ret = db_node_get(db, id, n, err, errlen)) != DB_OK)
		goto done;
	if (strcmp(n->node_key, u->node_key) != 0) {
		db_seterr(err, errlen, "node not found");
		ret = DB_NOTFOUND;
		goto done;
	}
	if (db_node_update_same(n, u)) {
		if (out != NULL)
			memcpy(out, n, sizeof(*out));
		goto done;
	}
	if (u->new_node_key != NULL && u->new_node_key[0] != '\0' &&
	    db_node_key_taken(db, u->new_node_key, id)) {
		db_seterr(err, errlen, "node key is another node's");
		ret = DB_EXISTS;
		goto done;
	}
	if ((st = db_stmt(db, sql, err, errlen)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	db_bind_time(st, 2, db_now());
	db_bind_text(st, 3, u->disco_key != NULL && u->disco_key[0] != '\0' ?
	    u->disco_key : NULL);
	db_bind_text(st, 4, eps);
	db_bind_text(st, 5, u->host_info != NULL && u->host_info[0] != '\0' ?
	    u->host_info : NULL);
	db_bind_time(st, 6, u->last_seen);
	db_bind_text(st, 7, u->node_key);
	db_bind_text(st, 8, u->new_node_key != NULL &&
	    u->new_node_key[0] != '\0' ? u->new_node_key : NULL);
	ret = db_step_done(db, st, "updating node", err, errlen);
	db_stmt_done(st);
	if (ret == DB_OK && sqlite3_changes(db->db_sql) != 1) {
		db_seterr(err, errlen, "node not found");
		ret = DB_NOTFOUND;
	}
	if (ret == DB_OK && (ret = db_bump_seq(db, err, errlen)) == DB_OK &&
	    out != NULL)
		ret = db_node_get(db, id, out, err, errlen);
	did = 1;
 done:
	ret = db_op_end(db, ret, seq, err, errlen);
	if (changed != NULL)
		*changed = ret == DB_OK && did;
 free:
	free(n);
	free(eps);
	return (ret);
}

/* Nodes a user owns; tagged nodes have no owner and never count. */
enum db_status
db_node_count_for_user(struct db *db, uint64_t user_id, uint64_t *count,
    char *err, size_t errlen)
{
	static const char sql[] = "SELECT count(*) FROM nodes"
	    " WHERE user_id = ?1 AND deleted_at IS NULL";
	sqlite3_stmt	*st;
	enum db_status	 ret = DB_OK;
	int		 rc;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)user_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*count = (uint64_t)sqlite3_column_int64(st, 0);
	else
		ret = db_sqlerr(db, rc, "counting nodes", err, errlen);
	db_stmt_done(st);
	return (ret);
}

enum db_status
db_node_list(struct db *db, int (*cb)(const struct db_node *, void *),
    void *arg, char *err, size_t errlen)
{
	static const char sql[] = "SELECT " NODE_COLS NODE_FROM
	    " WHERE n.deleted_at IS NULL ORDER BY n.id";
	sqlite3_stmt	*st;
	struct db_node	*n;
	enum db_status	 ret;
	int		 rc;

	if ((n = malloc(sizeof(*n))) == NULL) {
		db_seterr(err, errlen, "out of memory");
		return (DB_ERROR);
	}
	if ((st = db_list_stmt(db, sql, "listing nodes", err, errlen)) ==
	    NULL) {
		free(n);
		return (DB_ERROR);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_node_row(st, n);
		if (cb(n, arg) != 0)
			break;
	}
	ret = db_list_end(db, rc, "listing nodes", err, errlen);
	sqlite3_finalize(st);
	free(n);
	return (ret);
}

/*
 * Insert a node row as registration will, from n's columns (id and
 * created_at are ignored), registered with pre-auth key auth_key_id
 * (0: none).  For tests until the node operations exist.
 */
enum db_status
db_node_insert_raw(struct db *db, const struct db_node *n,
    uint64_t auth_key_id, uint64_t *id, uint64_t *seq, char *err,
    size_t errlen)
{
	static const char sql[] = "INSERT INTO nodes (machine_key,"
	    " node_key, disco_key, endpoints, host_info, ipv4, ipv6,"
	    " hostname, given_name, user_id, register_method, tags,"
	    " auth_key_id, expiry, approved_routes, created_at, updated_at)"
	    " VALUES (?1, ?2, '', '[]', '{}', ?3, ?4, ?5, ?6, ?7, 'authkey',"
	    " '[]', ?8, ?9, '[]', ?10, ?10)";
	sqlite3_stmt	*st;
	enum db_status	 ret;

	if (db_text_valid(n->hostname, DB_HOSTNAME_MAX, "hostname", err,
	    errlen) == -1 || db_text_valid(n->given_name, DB_NAME_MAX,
	    "given name", err, errlen) == -1 || n->expiry < 0)
		return (DB_INVALID);
	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((st = db_stmt(db, sql, err, errlen)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	db_bind_text(st, 1, n->machine_key);
	db_bind_text(st, 2, n->node_key);
	db_bind_text(st, 3, n->ipv4[0] != '\0' ? n->ipv4 : NULL);
	db_bind_text(st, 4, n->ipv6[0] != '\0' ? n->ipv6 : NULL);
	db_bind_text(st, 5, n->hostname);
	db_bind_text(st, 6, n->given_name);
	db_bind_id(st, 7, n->user_id);
	db_bind_id(st, 8, auth_key_id);
	db_bind_time(st, 9, n->expiry);
	db_bind_time(st, 10, db_now());
	ret = db_step_done(db, st, "inserting node", err, errlen);
	db_stmt_done(st);
	if (ret == DB_OK) {
		if (id != NULL)
			*id = (uint64_t)sqlite3_last_insert_rowid(db->db_sql);
		ret = db_bump_seq(db, err, errlen);
	}
 done:
	return (db_op_end(db, ret, seq, err, errlen));
}
