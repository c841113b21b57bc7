/*
 * The admin's changes to nodes that the REST API and coordctl make:
 * tags, approved routes, owner, addresses; and the policy kept in the
 * database.  Each checks all of its input before it writes, so that a
 * refused change leaves the row as it was.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define DB_INTERNAL
#include "log.h"
#include "db.h"

/* approved_routes: a JSON array of prefixes, as headscale writes it. */
void
db_node_routes_read(const char *s, struct db_node *n)
{
	json_t	*a, *v;
	size_t	 i;

	n->nroutes = 0;
	if (s == NULL || *s == '\0' || (a = json_loads(s, 0, NULL)) == NULL)
		return;
	json_array_foreach(a, i, v) {
		if (n->nroutes == DB_ROUTES_MAX || !json_is_string(v) ||
		    strlen(json_string_value(v)) > DB_ROUTE_MAX)
			continue;
		strlcpy(n->routes[n->nroutes++], json_string_value(v),
		    sizeof(n->routes[0]));
	}
	json_decref(a);
}

/* A prefix with its host bits clear: "10.0.0.0/24", "fd00::/64". */
static int
db_route_valid(const char *s)
{
	uint8_t		 a[16];
	char		 ip[DB_ROUTE_MAX + 1], *slash, *end;
	long		 bits;
	int		 af, max, i;

	if (strlcpy(ip, s, sizeof(ip)) >= sizeof(ip) ||
	    (slash = strchr(ip, '/')) == NULL)
		return (0);
	*slash++ = '\0';
	af = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
	max = af == AF_INET ? 32 : 128;
	bits = strtol(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || bits < 0 || bits > max ||
	    inet_pton(af, ip, a) != 1)
		return (0);
	for (i = bits; i < max; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return (0);
	return (1);
}

/* SetTags: the node becomes owned by its tags, and no longer a user's. */
enum db_status
db_node_set_tags(struct db *db, uint64_t id, const char *const *tags,
    size_t ntags, struct db_node *out, uint64_t *seq, char *err,
    size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET tags = ?3,"
	    " user_id = NULL, updated_at = ?2"
	    " WHERE id = ?1 AND deleted_at IS NULL";
	enum db_status	 ret;
	char		*enc;
	size_t		 i;

	if (ntags == 0 || ntags > DB_TAGS_MAX) {
		db_seterr(err, errlen, "want 1 to %d tags", DB_TAGS_MAX);
		return (DB_INVALID);
	}
	for (i = 0; i < ntags; i++)
		if (db_tag_valid(tags[i], err, errlen) == -1)
			return (DB_INVALID);
	if ((enc = db_tags_encode(tags, ntags, err, errlen)) == NULL)
		return (DB_INVALID);
	ret = db_node_write(db, sql, id, enc, 0, NULL, NULL, 0, out, seq,
	    err, errlen);
	free(enc);
	return (ret);
}

/* SetApprovedRoutes: the whole list; an empty one clears it. */
enum db_status
db_node_set_routes(struct db *db, uint64_t id, const char *const *routes,
    size_t n, struct db_node *out, uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET approved_routes = ?3,"
	    " updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL";
	enum db_status	 ret;
	json_t		*a;
	char		*enc;
	size_t		 i;

	if (n > DB_ROUTES_MAX) {
		db_seterr(err, errlen, "at most %d routes", DB_ROUTES_MAX);
		return (DB_INVALID);
	}
	if ((a = json_array()) == NULL)
		return (DB_ERROR);
	for (i = 0; i < n; i++) {
		if (!db_route_valid(routes[i])) {
			db_seterr(err, errlen, "invalid route \"%.64s\"",
			    routes[i]);
			json_decref(a);
			return (DB_INVALID);
		}
		json_array_append_new(a, json_string(routes[i]));
	}
	enc = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (enc == NULL)
		return (DB_ERROR);
	ret = db_node_write(db, sql, id, enc, 0, NULL, NULL, 0, out, seq,
	    err, errlen);
	free(enc);
	return (ret);
}

/* MoveNode: to a user that exists; a tagged node stays tagged. */
enum db_status
db_node_move(struct db *db, uint64_t id, uint64_t user_id,
    struct db_node *out, uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET user_id = ?3,"
	    " updated_at = ?2 WHERE id = ?1 AND deleted_at IS NULL"
	    " AND (tags IS NULL OR tags = '' OR tags = '[]'"
	    " OR tags = 'null')";
	struct db_user	 u;
	enum db_status	 ret;
	char		 uid[24];

	if ((ret = db_user_get(db, user_id, &u, err, errlen)) != DB_OK)
		return (ret);
	if ((ret = db_node_get(db, id, out, err, errlen)) != DB_OK)
		return (ret);
	if (out->ntags > 0) {
		db_seterr(err, errlen, "node %llu is tagged: tagged nodes "
		    "belong to no user", (unsigned long long)id);
		return (DB_INVALID);
	}
	snprintf(uid, sizeof(uid), "%llu", (unsigned long long)user_id);
	return (db_node_write(db, sql, id, uid, 0, NULL, NULL, 0, out, seq,
	    err, errlen));
}

/* BackfillNodeIPs: addresses the caller allocated; NULL keeps one. */
enum db_status
db_node_set_ips(struct db *db, uint64_t id, const char *v4, const char *v6,
    struct db_node *out, uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "UPDATE nodes SET updated_at = ?2,"
	    " ipv4 = coalesce(?4, ipv4), ipv6 = coalesce(?5, ipv6)"
	    " WHERE id = ?1 AND deleted_at IS NULL AND ?3 IS NOT NULL";

	return (db_node_write(db, sql, id, "backfill", 0, v4, v6, 0, out, seq,
	    err, errlen));
}

/* The newest policy row, in *data (the caller frees it). */
enum db_status
db_policy_get(struct db *db, char **data, time_t *updated, char *err,
    size_t errlen)
{
	static const char sql[] = "SELECT data, updated_at FROM policies"
	    " WHERE deleted_at IS NULL ORDER BY id DESC LIMIT 1";
	sqlite3_stmt	*st;
	enum db_status	 ret;
	const char	*s;

	*data = NULL;
	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	if ((ret = db_step_row(db, st, "no policy in the database",
	    "reading the policy", err, errlen)) == DB_OK) {
		s = (const char *)sqlite3_column_text(st, 0);
		*updated = db_column_time(st, 1, 0);
		if ((*data = strdup(s != NULL ? s : "")) == NULL)
			ret = DB_ERROR;
	}
	db_stmt_done(st);
	return (ret);
}

/* SetPolicy: a new row, so that the old ones stay as history. */
enum db_status
db_policy_set(struct db *db, const char *data, time_t *updated, char *err,
    size_t errlen)
{
	static const char sql[] = "INSERT INTO policies (created_at,"
	    " updated_at, data) VALUES (?1, ?1, ?2)";
	sqlite3_stmt	*st;
	enum db_status	 ret;
	time_t		 now = db_now();

	if (data == NULL || *data == '\0' || strlen(data) > DB_POLICY_MAX) {
		db_seterr(err, errlen, "the policy is empty or too large");
		return (DB_INVALID);
	}
	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (db_op_end(db, DB_ERROR, NULL, err, errlen));
	db_bind_time(st, 1, now);
	db_bind_text(st, 2, data);
	ret = db_step_done(db, st, "writing the policy", err, errlen);
	db_stmt_done(st);
	*updated = now;
	return (db_op_end(db, ret, NULL, err, errlen));
}
