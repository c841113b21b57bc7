/*
 * Opening the database, transactions and group commit, the change
 * sequence number, and the small helpers the other db*.c files share.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define DB_INTERNAL
#include "log.h"
#include "db.h"

#define DB_BUSY_TIMEOUT_MS	10000

static int	db_validate(struct db *, char *, size_t);
static int	db_pragmas(struct db *, int, int, int, char *, size_t);
static int	db_pragma_text(struct db *, const char *, char *, size_t,
		    char *, size_t);
static int	db_seq_load(struct db *, char *, size_t);
static int	db_digits(const char **, int, int *);

struct db *
db_open(const char *path, int wal, int wal_autocheckpoint, char *err,
    size_t errlen)
{
	return (db_open_version(path, wal, wal_autocheckpoint,
	    DB_SCHEMA_VERSION, err, errlen));
}

/*
 * Open path and migrate it up to schema version target (the latest for
 * db_open(); tests ask for older ones to build historical files).
 * Nothing is written before the file has been recognised as a healthy
 * SQLite database at a schema version we know.
 */
struct db *
db_open_version(const char *path, int wal, int wal_autocheckpoint,
    int target, char *err, size_t errlen)
{
	struct db	*db;
	struct stat	 sb;
	int		 fd, rc, version;

	if (target < 1 || target > DB_SCHEMA_VERSION) {
		db_seterr(err, errlen, "no schema version %d", target);
		return (NULL);
	}
	if (wal_autocheckpoint < 0) {
		db_seterr(err, errlen, "wal_autocheckpoint must not be "
		    "negative");
		return (NULL);
	}
	if (sodium_init() == -1) {
		db_seterr(err, errlen, "libsodium failed to initialise");
		return (NULL);
	}
	if (stat(path, &sb) == -1) {
		if (errno != ENOENT) {
			db_seterr(err, errlen, "%s", strerror(errno));
			return (NULL);
		}
		/*
		 * Create the file ourselves: it holds key hashes, so it is
		 * 0600 whatever the umask, and SQLite's -wal and -shm files
		 * copy its mode.
		 */
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd == -1) {
			db_seterr(err, errlen, "create: %s", strerror(errno));
			return (NULL);
		}
		close(fd);
	} else if (!S_ISREG(sb.st_mode)) {
		db_seterr(err, errlen, "not a regular file");
		return (NULL);
	}

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		db_seterr(err, errlen, "%s", strerror(errno));
		return (NULL);
	}
	/* Never SQLITE_OPEN_CREATE: a missing file was made above. */
	rc = sqlite3_open_v2(path, &db->db_sql, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
	    SQLITE_OPEN_PRIVATECACHE, NULL);
	if (rc != SQLITE_OK) {
		db_seterr(err, errlen, "cannot open: %s", db->db_sql ?
		    sqlite3_errmsg(db->db_sql) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db->db_sql, 1);
	sqlite3_busy_timeout(db->db_sql, DB_BUSY_TIMEOUT_MS);

	if (db_validate(db, err, errlen) == -1)
		goto fail;
	if ((version = db_schema_read(db, err, errlen)) == -1)
		goto fail;
	if (version > DB_SCHEMA_VERSION) {
		db_seterr(err, errlen, "database schema version %d is newer "
		    "than this coordd (%d)", version, DB_SCHEMA_VERSION);
		goto fail;
	}
	if (version > target) {
		db_seterr(err, errlen, "database schema version %d is newer "
		    "than the requested %d", version, target);
		goto fail;
	}

	/* From here on we write. */
	if (db_pragmas(db, version == 0, wal, wal_autocheckpoint, err,
	    errlen) == -1)
		goto fail;
	if (db_schema_migrate(db, target, err, errlen) != DB_OK)
		goto fail;
	if (db_exec(db, "PRAGMA foreign_keys = ON", err, errlen) != DB_OK)
		goto fail;
	if (db_seq_load(db, err, errlen) == -1)
		goto fail;
	return (db);

 fail:
	db_close(db);
	return (NULL);
}

void
db_close(struct db *db)
{
	size_t	i;

	if (db == NULL)
		return;
	if (db->db_batch) {
		log_warnx("%s: uncommitted batch rolled back", __func__);
		db_rollback(db, NULL, 0);
	}
	for (i = 0; i < db->db_nstmts; i++)
		sqlite3_finalize(db->db_stmts[i].ds_stmt);
	if (db->db_sql != NULL && sqlite3_close(db->db_sql) != SQLITE_OK)
		log_warnx("%s: %s", __func__, sqlite3_errmsg(db->db_sql));
	free(db);
}

int
db_schema_version(struct db *db)
{
	return (db->db_version);
}

/*
 * Read-only health check: SQLITE_NOTADB for a file that is not SQLite
 * at all, quick_check for a damaged one.  A few seconds on a large
 * database, once per start.
 */
static int
db_validate(struct db *db, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	const char	*s;
	char		 first[256] = "";
	int		 rc, rows = 0, ok = 0;

	rc = sqlite3_prepare_v2(db->db_sql, "PRAGMA quick_check", -1, &st,
	    NULL);
	if (rc == SQLITE_OK) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			s = (const char *)sqlite3_column_text(st, 0);
			if (rows == 0 && s != NULL && strcmp(s, "ok") == 0)
				ok = 1;
			else if (first[0] == '\0' && s != NULL)
				strlcpy(first, s, sizeof(first));
			rows++;
		}
	}
	sqlite3_finalize(st);
	switch (rc & 0xff) {
	case SQLITE_DONE:
		break;
	case SQLITE_NOTADB:
		db_seterr(err, errlen, "not a SQLite database (%s)",
		    sqlite3_errmsg(db->db_sql));
		return (-1);
	case SQLITE_CORRUPT:
		db_seterr(err, errlen, "database is corrupt (%s)",
		    sqlite3_errmsg(db->db_sql));
		return (-1);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		db_seterr(err, errlen, "database is locked by another "
		    "process");
		return (-1);
	default:
		db_seterr(err, errlen, "cannot read database: %s",
		    sqlite3_errmsg(db->db_sql));
		return (-1);
	}
	if (!ok || rows != 1) {
		db_seterr(err, errlen, "database is corrupt (quick_check: %s)",
		    first[0] != '\0' ? first : "no answer");
		return (-1);
	}
	return (0);
}

/*
 * headscale's SQLite settings.  auto_vacuum only takes on a database
 * without tables, so it is set on creation only and before the journal
 * mode, which may write the first page.
 */
static int
db_pragmas(struct db *db, int fresh, int wal, int autockpt, char *err,
    size_t errlen)
{
	char	sql[64], mode[16];

	if (fresh && db_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", err,
	    errlen) != DB_OK)
		return (-1);
	if (db_pragma_text(db, wal ? "PRAGMA journal_mode = WAL" :
	    "PRAGMA journal_mode = DELETE", mode, sizeof(mode), err,
	    errlen) == -1)
		return (-1);
	if (strcasecmp(mode, wal ? "wal" : "delete") != 0) {
		db_seterr(err, errlen, "cannot set journal mode (got %s)",
		    mode);
		return (-1);
	}
	if (db_exec(db, wal ? "PRAGMA synchronous = NORMAL" :
	    "PRAGMA synchronous = FULL", err, errlen) != DB_OK)
		return (-1);
	(void)snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint = %d",
	    autockpt);
	if (db_exec(db, sql, err, errlen) != DB_OK)
		return (-1);
	(void)snprintf(sql, sizeof(sql), "PRAGMA busy_timeout = %d",
	    DB_BUSY_TIMEOUT_MS);
	if (db_exec(db, sql, err, errlen) != DB_OK)
		return (-1);
	/*
	 * Off while migrating, the way SQLite's ALTER TABLE procedure
	 * asks; each step runs foreign_key_check before it commits.
	 */
	if (db_exec(db, "PRAGMA foreign_keys = OFF", err, errlen) != DB_OK)
		return (-1);
	return (0);
}

static int
db_pragma_text(struct db *db, const char *sql, char *buf, size_t len,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	const char	*s;
	int		 rc;

	buf[0] = '\0';
	if ((rc = sqlite3_prepare_v2(db->db_sql, sql, -1, &st, NULL)) !=
	    SQLITE_OK) {
		db_sqlerr(db, rc, sql, err, errlen);
		return (-1);
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
			strlcpy(buf, s, len);
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		db_sqlerr(db, rc, sql, err, errlen);
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static int
db_seq_load(struct db *db, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT value FROM coordd_meta WHERE key = 'change_seq'";
	sqlite3_stmt	*st;
	int		 rc, ret = -1;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (-1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) >= 0) {
		db->db_seq = (uint64_t)sqlite3_column_int64(st, 0);
		db->db_seq_durable = db->db_seq;
		ret = 0;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		db_seterr(err, errlen, "coordd_meta has no valid change_seq");
	else
		db_sqlerr(db, rc, "reading change_seq", err, errlen);
	db_stmt_done(st);
	return (ret);
}

/*
 * Group commit.  stored opens a batch, runs the writes of many requests
 * (each one a savepoint), commits once and only then answers them.
 */
enum db_status
db_begin(struct db *db, char *err, size_t errlen)
{
	if (db->db_batch) {
		db_seterr(err, errlen, "already inside a batch");
		return (DB_ERROR);
	}
	if (db_exec(db, "BEGIN IMMEDIATE", err, errlen) != DB_OK)
		return (DB_ERROR);
	db->db_batch = 1;
	return (DB_OK);
}

enum db_status
db_commit(struct db *db, char *err, size_t errlen)
{
	if (!db->db_batch) {
		db_seterr(err, errlen, "not inside a batch");
		return (DB_ERROR);
	}
	if (sqlite3_get_autocommit(db->db_sql)) {
		/* SQLite gave up the transaction (I/O error, disk full). */
		db_seterr(err, errlen, "the batch was rolled back by SQLite");
		db->db_batch = 0;
		db->db_seq = db->db_seq_durable;
		return (DB_ERROR);
	}
	if (db_exec(db, "COMMIT", err, errlen) != DB_OK) {
		db_rollback(db, NULL, 0);
		return (DB_ERROR);
	}
	db->db_batch = 0;
	db->db_seq_durable = db->db_seq;
	return (DB_OK);
}

enum db_status
db_rollback(struct db *db, char *err, size_t errlen)
{
	enum db_status	 st = DB_OK;

	if (!db->db_batch) {
		db_seterr(err, errlen, "not inside a batch");
		return (DB_ERROR);
	}
	if (!sqlite3_get_autocommit(db->db_sql))
		st = db_exec(db, "ROLLBACK", err, errlen);
	db->db_batch = 0;
	db->db_seq = db->db_seq_durable;
	return (st);
}

int
db_in_batch(struct db *db)
{
	return (db->db_batch);
}

uint64_t
db_change_seq(struct db *db)
{
	return (db->db_seq_durable);
}

/*
 * Everything the change stream's first message carries, read in one
 * transaction so that it matches the sequence number returned.
 */
enum db_status
db_snapshot(struct db *db, const struct db_snapshot_cb *cb, void *arg,
    uint64_t *seq, char *err, size_t errlen)
{
	enum db_status	 st = DB_OK;
	int		 own = !db->db_batch;

	if (own && db_exec(db, "BEGIN", err, errlen) != DB_OK)
		return (DB_ERROR);
	if (cb->user != NULL)
		st = db_user_list(db, NULL, cb->user, arg, err, errlen);
	if (st == DB_OK && cb->preauthkey != NULL)
		st = db_preauthkey_list(db, cb->preauthkey, arg, err, errlen);
	if (st == DB_OK && cb->apikey != NULL)
		st = db_apikey_list(db, cb->apikey, arg, err, errlen);
	if (st == DB_OK && cb->node != NULL)
		st = db_node_list(db, cb->node, arg, err, errlen);
	if (st == DB_OK && seq != NULL)
		*seq = db->db_seq;
	if (own && db_exec(db, st == DB_OK ? "COMMIT" : "ROLLBACK",
	    st == DB_OK ? err : NULL, errlen) != DB_OK && st == DB_OK)
		st = DB_ERROR;
	return (st);
}

const char *
db_strstatus(enum db_status st)
{
	switch (st) {
	case DB_OK:
		return ("ok");
	case DB_NOTFOUND:
		return ("not found");
	case DB_EXISTS:
		return ("already exists");
	case DB_INVALID:
		return ("invalid");
	case DB_ERROR:
		break;
	}
	return ("error");
}

/*
 * Shared helpers.
 */

void
db_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Map a SQLite result code to a status, with "what: why" as the text. */
enum db_status
db_sqlerr(struct db *db, int rc, const char *what, char *err,
    size_t errlen)
{
	db_seterr(err, errlen, "%s: %s", what, sqlite3_errmsg(db->db_sql));
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return (DB_EXISTS);
	case SQLITE_CONSTRAINT_FOREIGNKEY:
	case SQLITE_CONSTRAINT_NOTNULL:
	case SQLITE_CONSTRAINT_CHECK:
		return (DB_INVALID);
	default:
		return (DB_ERROR);
	}
}

/*
 * The prepared statement for sql, kept for the life of the connection.
 * sql must be a static string: its address is the key.  Only point
 * queries are cached; listings prepare their own statement so that a
 * listing callback may run point queries.
 */
sqlite3_stmt *
db_stmt(struct db *db, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc;

	for (i = 0; i < db->db_nstmts; i++)
		if (db->db_stmts[i].ds_sql == sql)
			return (db->db_stmts[i].ds_stmt);
	if (db->db_nstmts == DB_STMT_MAX)
		fatalx("%s: statement cache full", __func__);
	rc = sqlite3_prepare_v3(db->db_sql, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		db_sqlerr(db, rc, "prepare", err, errlen);
		return (NULL);
	}
	db->db_stmts[db->db_nstmts].ds_sql = sql;
	db->db_stmts[db->db_nstmts].ds_stmt = st;
	db->db_nstmts++;
	return (st);
}

void
db_stmt_done(sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Step a statement that returns no rows. */
enum db_status
db_step_done(struct db *db, sqlite3_stmt *st, const char *what, char *err,
    size_t errlen)
{
	int	rc;

	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		return (DB_OK);
	return (db_sqlerr(db, rc, what, err, errlen));
}

/*
 * Step a query for one row: DB_OK with the row in st, DB_NOTFOUND with
 * the text notfound, or the error of SQLite while doing what.
 */
enum db_status
db_step_row(struct db *db, sqlite3_stmt *st, const char *notfound,
    const char *what, char *err, size_t errlen)
{
	int	rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		return (DB_OK);
	if (rc == SQLITE_DONE) {
		db_seterr(err, errlen, "%s", notfound);
		return (DB_NOTFOUND);
	}
	return (db_sqlerr(db, rc, what, err, errlen));
}

/*
 * Run a write on the row whose id is ?1.  A ?2, in the statements that
 * have one (the expiries), is the time of the change: now.
 */
enum db_status
db_write_id(struct db *db, const char *sql, uint64_t id, const char *what,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st;
	enum db_status	 ret;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		db_bind_time(st, 2, db_now());
	ret = db_step_done(db, st, what, err, errlen);
	db_stmt_done(st);
	return (ret);
}

/*
 * A listing's own statement (see db_stmt()), for the caller to
 * sqlite3_finalize(); NULL with the error of SQLite while doing what.
 */
sqlite3_stmt *
db_list_stmt(struct db *db, const char *sql, const char *what, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((rc = sqlite3_prepare_v2(db->db_sql, sql, -1, &st, NULL)) !=
	    SQLITE_OK) {
		db_sqlerr(db, rc, what, err, errlen);
		return (NULL);
	}
	return (st);
}

/*
 * How a listing ended, from the last result of sqlite3_step(): a row
 * left unread means the callback stopped it.  Called before the
 * statement is finalized, while the error of SQLite is that of the step.
 */
enum db_status
db_list_end(struct db *db, int rc, const char *what, char *err,
    size_t errlen)
{
	if (rc == SQLITE_DONE)
		return (DB_OK);
	if (rc == SQLITE_ROW) {
		db_seterr(err, errlen, "listing stopped by caller");
		return (DB_ERROR);
	}
	return (db_sqlerr(db, rc, what, err, errlen));
}

enum db_status
db_exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	int	rc;

	if ((rc = sqlite3_exec(db->db_sql, sql, NULL, NULL, NULL)) ==
	    SQLITE_OK)
		return (DB_OK);
	return (db_sqlerr(db, rc, "exec", err, errlen));
}

/*
 * Every write runs between db_op_begin() and db_op_end(): its own
 * transaction outside a batch, a savepoint inside one.
 */
enum db_status
db_op_begin(struct db *db, char *err, size_t errlen)
{
	if (db->db_op) {
		db_seterr(err, errlen, "nested write (from a callback?)");
		return (DB_ERROR);
	}
	/* After SQLite dropped a batch, its later writes must fail too. */
	if (db->db_batch && sqlite3_get_autocommit(db->db_sql)) {
		db_seterr(err, errlen, "the batch was rolled back by SQLite");
		return (DB_ERROR);
	}
	if (db_exec(db, db->db_batch ? "SAVEPOINT op" : "BEGIN IMMEDIATE",
	    err, errlen) != DB_OK)
		return (DB_ERROR);
	db->db_op = 1;
	db->db_seq_op = db->db_seq;
	return (DB_OK);
}

/*
 * Finish the write begun by db_op_begin(): keep it if st is DB_OK, undo
 * it otherwise.  Returns st, or DB_ERROR if keeping it failed; the
 * caller's error text is kept when undoing.
 */
enum db_status
db_op_end(struct db *db, enum db_status st, uint64_t *seq, char *err,
    size_t errlen)
{
	db->db_op = 0;
	if (st == DB_OK) {
		if (db_exec(db, db->db_batch ? "RELEASE op" : "COMMIT", err,
		    errlen) == DB_OK) {
			if (!db->db_batch)
				db->db_seq_durable = db->db_seq;
			if (seq != NULL)
				*seq = db->db_seq;
			return (DB_OK);
		}
		st = DB_ERROR;
	}
	db->db_seq = db->db_seq_op;
	if (sqlite3_get_autocommit(db->db_sql)) {
		/* SQLite rolled back the whole transaction itself. */
		if (db->db_batch) {
			log_warnx("%s: batch lost", __func__);
			db->db_seq = db->db_seq_durable;
		}
		return (st);
	}
	if (db->db_batch)
		(void)db_exec(db, "ROLLBACK TO op; RELEASE op", NULL, 0);
	else
		(void)db_exec(db, "ROLLBACK", NULL, 0);
	return (st);
}

/* Bump change_seq inside the current write. */
enum db_status
db_bump_seq(struct db *db, char *err, size_t errlen)
{
	static const char sql[] =
	    "UPDATE coordd_meta SET value = ?1 WHERE key = 'change_seq'";
	sqlite3_stmt	*st;
	enum db_status	 ret;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(db->db_seq + 1));
	ret = db_step_done(db, st, "change_seq", err, errlen);
	if (ret == DB_OK && sqlite3_changes(db->db_sql) != 1) {
		db_seterr(err, errlen, "coordd_meta has no change_seq");
		ret = DB_ERROR;
	}
	db_stmt_done(st);
	if (ret == DB_OK)
		db->db_seq++;
	return (ret);
}

/* A free-text field: bounded, no control characters.  NULL is "". */
int
db_text_valid(const char *s, size_t max, const char *what, char *err,
    size_t errlen)
{
	size_t	i, len;

	if (s == NULL)
		return (0);
	if ((len = strlen(s)) > max) {
		db_seterr(err, errlen, "%s is longer than %zu bytes", what,
		    max);
		return (-1);
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			db_seterr(err, errlen, "%s contains a control "
			    "character", what);
			return (-1);
		}
	return (0);
}

time_t
db_now(void)
{
	return (time(NULL));
}

/* headscale's encoding: "2024-01-01 00:00:00+00:00". */
void
db_time_fmt(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S+00:00", &tm) == 0)
		strlcpy(buf, "", len);
}

static int
db_digits(const char **sp, int n, int *v)
{
	int	i, x = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*sp)[i]))
			return (-1);
		x = x * 10 + (*sp)[i] - '0';
	}
	*sp += n;
	*v = x;
	return (0);
}

/*
 * Parse what headscale (gorm, Go) writes: "YYYY-MM-DD HH:MM:SS", an
 * optional fraction, then "Z", "+HH:MM", "-HH:MM" or nothing (UTC); a
 * 'T' may stand for the space.  Go's zero time (year 1) reads as 0.
 */
int
db_time_parse(const char *s, time_t *t)
{
	struct tm	tm;
	int		y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

	if (db_digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    db_digits(&s, 2, &mo) == -1 || *s++ != '-' ||
	    db_digits(&s, 2, &d) == -1 || (*s != ' ' && *s != 'T'))
		return (-1);
	s++;
	if (db_digits(&s, 2, &h) == -1 || *s++ != ':' ||
	    db_digits(&s, 2, &mi) == -1 || *s++ != ':' ||
	    db_digits(&s, 2, &sec) == -1)
		return (-1);
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return (-1);
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (db_digits(&s, 2, &oh) == -1)
			return (-1);
		if (*s == ':')
			s++;
		if (db_digits(&s, 2, &om) == -1)
			return (-1);
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		return (-1);
	if (y <= 1) {
		*t = 0;
		return (0);
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*t = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return (0);
}

/* Times bind as headscale's text; 0 (never, unknown) as NULL. */
int
db_bind_time(sqlite3_stmt *st, int idx, time_t t)
{
	char	buf[DB_TIME_BUFSZ];

	if (t == 0)
		return (sqlite3_bind_null(st, idx));
	db_time_fmt(t, buf, sizeof(buf));
	return (sqlite3_bind_text(st, idx, buf, -1, SQLITE_TRANSIENT));
}

int
db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (s == NULL)
		return (sqlite3_bind_null(st, idx));
	return (sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT));
}

/* Foreign keys: 0 is "none", stored as NULL. */
int
db_bind_id(sqlite3_stmt *st, int idx, uint64_t id)
{
	if (id == 0)
		return (sqlite3_bind_null(st, idx));
	return (sqlite3_bind_int64(st, idx, (sqlite3_int64)id));
}

/*
 * A datetime column as time_t: NULL and "" are 0, integers are taken
 * as Unix seconds, and a value we cannot read becomes bad, which the
 * caller picks so that it fails closed (an expiry in the past).
 */
time_t
db_column_time(sqlite3_stmt *st, int col, time_t bad)
{
	const char	*s;
	time_t		 t;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		return (0);
	case SQLITE_INTEGER:
		return ((time_t)sqlite3_column_int64(st, col));
	case SQLITE_TEXT:
		s = (const char *)sqlite3_column_text(st, col);
		if (s == NULL || *s == '\0')
			return (0);
		if (db_time_parse(s, &t) == 0)
			return (t);
		break;
	default:
		break;
	}
	log_warnx("unreadable datetime in column %s",
	    sqlite3_column_name(st, col));
	return (bad);
}

/* headscale's bools are numeric; older rows may hold "true". */
int
db_column_bool(sqlite3_stmt *st, int col)
{
	const char	*s;

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
	case SQLITE_FLOAT:
		return (sqlite3_column_int64(st, col) != 0);
	case SQLITE_TEXT:
		s = (const char *)sqlite3_column_text(st, col);
		return (s != NULL && (strcasecmp(s, "true") == 0 ||
		    strcasecmp(s, "t") == 0 || strcmp(s, "1") == 0));
	default:
		return (0);
	}
}

/* Copy a text column; NULL reads as "".  Only foreign rows truncate. */
void
db_column_str(sqlite3_stmt *st, int col, char *buf, size_t len)
{
	const char	*s;

	if ((s = (const char *)sqlite3_column_text(st, col)) == NULL)
		s = "";
	if (strlcpy(buf, s, len) >= len)
		log_warnx("column %s truncated to %zu bytes",
		    sqlite3_column_name(st, col), len - 1);
}
