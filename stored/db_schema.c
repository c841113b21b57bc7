/*
 * The schema and its migrations.  Tables and columns follow headscale
 * v0.29 (hscontrol/db/schema.sql) wherever they carry meaning, with
 * the same names and encodings, so that importing a headscale database
 * is a matter of copying rows.  Our own bookkeeping lives in the
 * coordd_* tables.
 *
 * Migrations are an ordered list of steps, version N-1 to N; each runs
 * in one transaction together with the version bump, so a failed step
 * leaves the database at the version it had.  A step is never edited
 * once released: the historical statements stay here so that a
 * database of any earlier version can be brought up to date (and so
 * that tests can build one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_INTERNAL
#include "log.h"
#include "db.h"

struct db_migration {
	int		  dm_version;	/* the version this step produces */
	const char	 *dm_what;
	const char	 *dm_sql;	/* run first; may be NULL */
	enum db_status	(*dm_fn)(struct db *, char *, size_t); /* or NULL */
};

static enum db_status	db_migrate_step(struct db *,
			    const struct db_migration *, char *, size_t);
static enum db_status	db_fk_check(struct db *, char *, size_t);
static enum db_status	db_v3_expiry_canon(struct db *, char *, size_t);
static enum db_status	db_canon_column(struct db *, const char *,
			    const char *, char *, size_t);

/*
 * Version 1: headscale's tables as of v0.29 minus what versions 2 and
 * 3 add, plus coordd_schema (one row: the version) and coordd_meta
 * (change_seq: the durable, increasing number of the last change).
 */
static const char db_v1_sql[] =
	"CREATE TABLE coordd_schema (version INTEGER NOT NULL);"
	"INSERT INTO coordd_schema (version) VALUES (0);"
	"CREATE TABLE coordd_meta (key TEXT PRIMARY KEY NOT NULL,"
	" value INTEGER NOT NULL);"
	"INSERT INTO coordd_meta (key, value) VALUES ('change_seq', 0);"

	"CREATE TABLE users (id integer PRIMARY KEY AUTOINCREMENT,"
	" created_at datetime, updated_at datetime, deleted_at datetime,"
	" name text, display_name text, email text,"
	" provider_identifier text, provider text, profile_pic_url text);"
	"CREATE INDEX idx_users_deleted_at ON users(deleted_at);"
	"CREATE UNIQUE INDEX idx_provider_identifier ON"
	" users(provider_identifier) WHERE provider_identifier IS NOT NULL;"
	"CREATE UNIQUE INDEX idx_name_provider_identifier ON"
	" users(name, provider_identifier);"
	"CREATE UNIQUE INDEX idx_name_no_provider_identifier ON"
	" users(name) WHERE provider_identifier IS NULL;"

	"CREATE TABLE pre_auth_keys (id integer PRIMARY KEY AUTOINCREMENT,"
	" key text, prefix text, hash blob, user_id integer,"
	" reusable numeric, ephemeral numeric DEFAULT false,"
	" used numeric DEFAULT false, tags text, created_at datetime,"
	" expiration datetime,"
	" CONSTRAINT fk_pre_auth_keys_user FOREIGN KEY (user_id)"
	" REFERENCES users(id) ON DELETE SET NULL);"
	"CREATE UNIQUE INDEX idx_pre_auth_keys_prefix ON"
	" pre_auth_keys(prefix) WHERE prefix IS NOT NULL AND prefix != '';"

	"CREATE TABLE api_keys (id integer PRIMARY KEY AUTOINCREMENT,"
	" prefix text, hash blob, created_at datetime,"
	" expiration datetime);"
	"CREATE UNIQUE INDEX idx_api_keys_prefix ON api_keys(prefix);"

	"CREATE TABLE nodes (id integer PRIMARY KEY AUTOINCREMENT,"
	" machine_key text, node_key text, disco_key text, endpoints text,"
	" host_info text, ipv4 text, ipv6 text, hostname text,"
	" given_name varchar(63), user_id integer, register_method text,"
	" tags text, auth_key_id integer, expiry datetime,"
	" last_seen datetime, approved_routes text, created_at datetime,"
	" updated_at datetime, deleted_at datetime,"
	" CONSTRAINT fk_nodes_user FOREIGN KEY (user_id)"
	" REFERENCES users(id) ON DELETE CASCADE,"
	" CONSTRAINT fk_nodes_auth_key FOREIGN KEY (auth_key_id)"
	" REFERENCES pre_auth_keys(id));"

	"CREATE TABLE policies (id integer PRIMARY KEY AUTOINCREMENT,"
	" created_at datetime, updated_at datetime, deleted_at datetime,"
	" data text);"
	"CREATE INDEX idx_policies_deleted_at ON policies(deleted_at);";

/*
 * Version 2: api_keys.last_seen (headscale's column, which we keep
 * current), and indexes for the per-user lookups that deleting a user
 * and listing by user do.
 */
static const char db_v2_sql[] =
	"ALTER TABLE api_keys ADD COLUMN last_seen datetime;"
	"CREATE INDEX idx_nodes_user_id ON nodes(user_id);"
	"CREATE INDEX idx_pre_auth_keys_user_id ON pre_auth_keys(user_id);";

/*
 * Version 3: pre_auth_keys.description (headscale main), indexes for
 * finding a node by its keys at registration and for clearing
 * auth_key_id when a key goes; then db_v3_expiry_canon().
 */
static const char db_v3_sql[] =
	"ALTER TABLE pre_auth_keys ADD COLUMN description text;"
	"CREATE INDEX idx_nodes_auth_key_id ON nodes(auth_key_id);"
	"CREATE INDEX idx_nodes_machine_key ON nodes(machine_key);"
	"CREATE INDEX idx_nodes_node_key ON nodes(node_key);";

/*
 * Version 4: given names are unique without regard to case, checked at
 * every registration and rename; without this index that check read
 * the whole table, O(n^2) for a tailnet coming up.
 */
static const char db_v4_sql[] =
	"CREATE INDEX idx_nodes_given_name_lower ON nodes(lower(given_name));";

static const struct db_migration db_migrations[] = {
	{ 1, "initial schema", db_v1_sql, NULL },
	{ 2, "api_keys.last_seen, per-user indexes", db_v2_sql, NULL },
	{ 3, "pre_auth_keys.description, node key indexes, expiries",
	    db_v3_sql, db_v3_expiry_canon },
	{ 4, "index on lower(given_name)", db_v4_sql, NULL },
};

/*
 * The schema version of the open file: 0 for an empty one, -1 with a
 * message when the file holds something else than a coordd database.
 */
int
db_schema_read(struct db *db, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc, version = -1, tables = 0, ours = 0;

	rc = sqlite3_prepare_v2(db->db_sql, "SELECT count(*),"
	    " sum(name = 'coordd_schema') FROM sqlite_master"
	    " WHERE type = 'table'", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		tables = sqlite3_column_int(st, 0);
		ours = sqlite3_column_int(st, 1);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_sqlerr(db, rc, "reading the schema", err, errlen);
		return (-1);
	}
	if (!ours) {
		if (tables == 0)
			return (db->db_version = 0);
		db_seterr(err, errlen, "not a coordd database (it has tables "
		    "but no coordd_schema)");
		return (-1);
	}

	rc = sqlite3_prepare_v2(db->db_sql, "SELECT version, count(*)"
	    " FROM coordd_schema", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 1) == 1 &&
		    sqlite3_column_type(st, 0) == SQLITE_INTEGER)
			version = sqlite3_column_int(st, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_sqlerr(db, rc, "reading coordd_schema", err, errlen);
		return (-1);
	}
	if (version < 0) {
		db_seterr(err, errlen, "coordd_schema must hold one "
		    "non-negative version");
		return (-1);
	}
	return (db->db_version = version);
}

/* Run every step after the current version, up to target. */
enum db_status
db_schema_migrate(struct db *db, int target, char *err, size_t errlen)
{
	const struct db_migration	*m;
	size_t				 i;
	int				 from = db->db_version;

	for (i = 0; i < nitems(db_migrations); i++) {
		m = &db_migrations[i];
		if (m->dm_version <= db->db_version)
			continue;
		if (m->dm_version > target)
			break;
		if (db_migrate_step(db, m, err, errlen) != DB_OK)
			return (DB_ERROR);
		if (from != 0)
			log_info("database schema migrated to version %d "
			    "(%s)", m->dm_version, m->dm_what);
	}
	if (from == 0)
		log_info("database created at schema version %d",
		    db->db_version);
	return (DB_OK);
}

static enum db_status
db_migrate_step(struct db *db, const struct db_migration *m, char *err,
    size_t errlen)
{
	static const char sql[] = "UPDATE coordd_schema SET version = ?1";
	sqlite3_stmt	*st = NULL;
	char		 why[256] = "";
	enum db_status	 ret;

	if (db_exec(db, "BEGIN IMMEDIATE", why, sizeof(why)) != DB_OK) {
		ret = DB_ERROR;
		goto done;
	}
	ret = DB_OK;
	if (m->dm_sql != NULL)
		ret = db_exec(db, m->dm_sql, why, sizeof(why));
	if (ret == DB_OK && m->dm_fn != NULL)
		ret = m->dm_fn(db, why, sizeof(why));
	if (ret == DB_OK) {
		if ((st = db_stmt(db, sql, why, sizeof(why))) == NULL)
			ret = DB_ERROR;
		else {
			sqlite3_bind_int(st, 1, m->dm_version);
			ret = db_step_done(db, st, "coordd_schema", why,
			    sizeof(why));
			db_stmt_done(st);
		}
	}
	if (ret == DB_OK)
		ret = db_fk_check(db, why, sizeof(why));
	if (ret == DB_OK)
		ret = db_exec(db, "COMMIT", why, sizeof(why));
	if (ret != DB_OK && !sqlite3_get_autocommit(db->db_sql))
		(void)db_exec(db, "ROLLBACK", NULL, 0);
 done:
	if (ret != DB_OK) {
		db_seterr(err, errlen, "migration to schema version %d "
		    "failed: %s", m->dm_version, why);
		return (DB_ERROR);
	}
	db->db_version = m->dm_version;
	return (DB_OK);
}

/* Foreign keys are off while migrating; make sure we broke none. */
static enum db_status
db_fk_check(struct db *db, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(db->db_sql, "PRAGMA foreign_key_check",
	    -1, &st, NULL)) != SQLITE_OK)
		return (db_sqlerr(db, rc, "foreign_key_check", err, errlen));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		db_seterr(err, errlen, "foreign key violation in table %s",
		    sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		db_sqlerr(db, rc, "foreign_key_check", err, errlen);
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? DB_OK : DB_ERROR);
}

/*
 * Version 3, in C: rewrite every expiry in our canonical form (UTC, no
 * fraction), and Go's zero time "0001-01-01 ..." as NULL, which is how
 * "never" reads.  headscale did the same to nodes (migration
 * 202605221435); rows that came from it, or from tools writing local
 * offsets, then compare correctly as text.
 */
static enum db_status
db_v3_expiry_canon(struct db *db, char *err, size_t errlen)
{
	enum db_status	st;

	st = db_canon_column(db,
	    "SELECT id, expiry FROM nodes WHERE expiry IS NOT NULL",
	    "UPDATE nodes SET expiry = ?2 WHERE id = ?1", err, errlen);
	if (st == DB_OK)
		st = db_canon_column(db, "SELECT id, expiration FROM"
		    " pre_auth_keys WHERE expiration IS NOT NULL",
		    "UPDATE pre_auth_keys SET expiration = ?2 WHERE id = ?1",
		    err, errlen);
	if (st == DB_OK)
		st = db_canon_column(db, "SELECT id, expiration FROM"
		    " api_keys WHERE expiration IS NOT NULL",
		    "UPDATE api_keys SET expiration = ?2 WHERE id = ?1",
		    err, errlen);
	return (st);
}

static enum db_status
db_canon_column(struct db *db, const char *select, const char *update,
    char *err, size_t errlen)
{
	sqlite3_stmt	*sel = NULL, *upd = NULL;
	const char	*s;
	char		 canon[DB_TIME_BUFSZ];
	time_t		 t;
	enum db_status	 ret = DB_OK;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(db->db_sql, select, -1, &sel,
	    NULL)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(db->db_sql, update, -1, &upd,
	    NULL)) != SQLITE_OK) {
		ret = db_sqlerr(db, rc, "prepare", err, errlen);
		goto done;
	}
	/* Rewriting the current row of a rowid scan is safe in SQLite. */
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (sqlite3_column_type(sel, 1) != SQLITE_TEXT)
			continue;
		s = (const char *)sqlite3_column_text(sel, 1);
		if (db_time_parse(s, &t) == -1) {
			log_warnx("%s: unreadable datetime \"%s\" left alone",
			    __func__, s);
			continue;
		}
		db_time_fmt(t, canon, sizeof(canon));
		if (t != 0 && strcmp(s, canon) == 0)
			continue;
		sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
		db_bind_time(upd, 2, t);
		ret = db_step_done(db, upd, "canonical expiry", err, errlen);
		db_stmt_done(upd);
		if (ret != DB_OK)
			goto done;
	}
	if (rc != SQLITE_DONE)
		ret = db_sqlerr(db, rc, "reading expiries", err, errlen);
 done:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return (ret);
}
