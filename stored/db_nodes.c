/*
 * Nodes, so far only what users and the snapshot need: a count per
 * owner, a listing of the identifying columns, and a raw insert for
 * tests.  Registration, updates and deletes come with the node work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_INTERNAL
#include "log.h"
#include "db.h"

#define NODE_COLS	"id, user_id, hostname, given_name, ipv4, ipv6," \
			" machine_key, node_key, expiry, created_at"

static void	db_node_row(sqlite3_stmt *, struct db_node *);

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
	static const char sql[] = "SELECT " NODE_COLS " FROM nodes"
	    " WHERE deleted_at IS NULL ORDER BY id";
	sqlite3_stmt	*st;
	struct db_node	 n;
	enum db_status	 ret;
	int		 rc;

	if ((st = db_list_stmt(db, sql, "listing nodes", err, errlen)) ==
	    NULL)
		return (DB_ERROR);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_node_row(st, &n);
		if (cb(&n, arg) != 0)
			break;
	}
	ret = db_list_end(db, rc, "listing nodes", err, errlen);
	sqlite3_finalize(st);
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
