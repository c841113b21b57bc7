/*
 * stored's database layer: schema and migrations, refusing files it
 * must not touch, users, pre-auth keys, API keys, group commit, the
 * snapshot.  Old-version and foreign files are built with SQLite
 * directly, the way an operator's disk would hold them.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#define DB_INTERNAL
#include "log.h"
#include "db.h"
#include "test.h"

#define DIGEST_LEN	crypto_generichash_BYTES

static const char	*tpath(const char *);
static int		 digest(const char *, unsigned char *);
static int		 raw_exec(const char *, const char *);
static long long	 raw_int(const char *, const char *);
static int		 raw_text(const char *, const char *, char *, size_t);
static int		 raw_hash(const char *, char *);
static void		 refused_untouched(const char *, const char *);
static struct db	*open_db(const char *);
static void		 user_fill(struct db_user *, const char *);
static enum db_status	 mkuser(struct db *, const char *, uint64_t *);
static int		 count_user(const struct db_user *, void *);
static int		 count_pak(const struct db_preauthkey *, void *);
static int		 count_apikey(const struct db_apikey *, void *);
static int		 count_node(const struct db_node *, void *);
static int		 stop_at_first(const struct db_user *, void *);
static void		 migrate_from(int);

static char	errbuf[512];

/* A path in the test directory; a few may be live at once. */
static const char *
tpath(const char *name)
{
	static char	buf[4][512];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", test_tmpdir(), name);
	return (buf[i]);
}

static int
digest(const char *path, unsigned char *out)
{
	crypto_generichash_state	 s;
	unsigned char			 buf[4096];
	FILE				*f;
	size_t				 n;

	if ((f = fopen(path, "rb")) == NULL)
		return (-1);
	crypto_generichash_init(&s, NULL, 0, DIGEST_LEN);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		crypto_generichash_update(&s, buf, n);
	fclose(f);
	crypto_generichash_final(&s, out, DIGEST_LEN);
	return (0);
}

static int
raw_exec(const char *path, const char *sql)
{
	sqlite3	*s;
	int	 rc;

	if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		sqlite3_close(s);
		return (-1);
	}
	if ((rc = sqlite3_exec(s, sql, NULL, NULL, NULL)) != SQLITE_OK)
		fprintf(stderr, "  raw_exec: %s\n", sqlite3_errmsg(s));
	sqlite3_close(s);
	return (rc == SQLITE_OK ? 0 : -1);
}

/* The first column of the first row as an integer; -1 if none. */
static long long
raw_int(const char *path, const char *sql)
{
	sqlite3		*s;
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(s);
		return (-1);
	}
	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(s);
	return (v);
}

/* The first column of the first row as text, "(null)" for NULL. */
static int
raw_text(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3		*s;
	sqlite3_stmt	*st;
	const char	*t;
	int		 ret = -1;

	if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(s);
		return (-1);
	}
	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		t = (const char *)sqlite3_column_text(st, 0);
		strlcpy(buf, t != NULL ? t : "(null)", len);
		ret = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(s);
	return (ret);
}

/* An Argon2id hash as stored writes them, for hand-made rows. */
static int
raw_hash(const char *secret, char *out)
{
	if (sodium_init() == -1)
		return (-1);
	return (crypto_pwhash_argon2id_str(out, secret, strlen(secret),
	    DB_KDF_OPSLIMIT, DB_KDF_MEMLIMIT));
}

/*
 * db_open() refuses path with a message that has want, and leaves the
 * file as it was, to the byte.
 */
static void
refused_untouched(const char *path, const char *want)
{
	unsigned char	before[DIGEST_LEN], after[DIGEST_LEN];

	ASSERT(digest(path, before) == 0);
	ASSERT(db_open(path, 1, 1000, errbuf, sizeof(errbuf)) == NULL);
	ASSERT_STR_CONTAINS(errbuf, want);
	ASSERT(digest(path, after) == 0);
	ASSERT(memcmp(before, after, DIGEST_LEN) == 0);
}

static struct db *
open_db(const char *path)
{
	struct db	*db;

	if ((db = db_open(path, 1, 1000, errbuf, sizeof(errbuf))) == NULL)
		fprintf(stderr, "  db_open %s: %s\n", path, errbuf);
	return (db);
}

static void
user_fill(struct db_user *u, const char *name)
{
	memset(u, 0, sizeof(*u));
	strlcpy(u->name, name, sizeof(u->name));
}

static enum db_status
mkuser(struct db *db, const char *name, uint64_t *id)
{
	struct db_user	in, out;
	enum db_status	st;

	user_fill(&in, name);
	st = db_user_create(db, &in, &out, NULL, errbuf, sizeof(errbuf));
	if (st == DB_OK && id != NULL)
		*id = out.id;
	return (st);
}

static int
count_user(const struct db_user *u, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

static int
count_pak(const struct db_preauthkey *k, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

static int
count_apikey(const struct db_apikey *k, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

static int
count_node(const struct db_node *n, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

static int
stop_at_first(const struct db_user *u, void *arg)
{
	return (1);
}

/*
 * Schema and opening.
 */

TEST(schema_fresh_db_is_latest)
{
	const char	*path;
	const char	*tables[] = { "users", "nodes", "pre_auth_keys",
			    "api_keys", "policies", "coordd_schema",
			    "coordd_meta" };
	char		 sql[256], buf[64];
	struct db	*db;
	struct stat	 sb;
	size_t		 i;

	path = tpath("fresh.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	ASSERT_INT_EQ(db_schema_version(db), DB_SCHEMA_VERSION);
	ASSERT_INT_EQ(db_change_seq(db), 0);
	db_close(db);

	for (i = 0; i < nitems(tables); i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master"
		    " WHERE type = 'table' AND name = '%s'", tables[i]);
		if (raw_int(path, sql) != 1)
			FAIL("table %s missing", tables[i]);
	}
	ASSERT_INT_EQ(raw_int(path, "SELECT version FROM coordd_schema"),
	    DB_SCHEMA_VERSION);
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM coordd_schema"), 1);
	ASSERT_INT_EQ(raw_int(path, "SELECT value FROM coordd_meta"
	    " WHERE key = 'change_seq'"), 0);
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM"
	    " pragma_table_info('api_keys') WHERE name = 'last_seen'"), 1);
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM"
	    " pragma_table_info('pre_auth_keys') WHERE name = 'description'"),
	    1);
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM sqlite_master"
	    " WHERE type = 'index' AND name = 'idx_nodes_node_key'"), 1);
	ASSERT_INT_EQ(raw_int(path, "PRAGMA auto_vacuum"), 2);
	ASSERT(raw_text(path, "PRAGMA journal_mode", buf, sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "wal");
	ASSERT(stat(path, &sb) == 0);
	ASSERT_INT_EQ(sb.st_mode & 0777, 0600);
}

TEST(schema_without_wal)
{
	const char	*path;
	char		 buf[64];
	struct db	*db;

	path = tpath("nowal.db");
	db = db_open(path, 0, 0, errbuf, sizeof(errbuf));
	ASSERT(db != NULL);
	db_close(db);
	ASSERT(raw_text(path, "PRAGMA journal_mode", buf, sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "delete");
	/* And back to WAL when the configuration changes. */
	db = db_open(path, 1, 100, errbuf, sizeof(errbuf));
	ASSERT(db != NULL);
	db_close(db);
	ASSERT(raw_text(path, "PRAGMA journal_mode", buf, sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "wal");
}

TEST(schema_foreign_keys_enforced)
{
	struct db	*db;
	struct db_node	 n;

	if ((db = open_db(tpath("fk.db"))) == NULL)
		FAIL("open");
	memset(&n, 0, sizeof(n));
	strlcpy(n.hostname, "ghost", sizeof(n.hostname));
	n.user_id = 4242;
	ASSERT_INT_EQ(db_node_insert_raw(db, &n, 0, NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_CONTAINS(errbuf, "FOREIGN KEY");
	ASSERT_INT_EQ(db_change_seq(db), 0);
	db_close(db);
}

/*
 * Rows as an older coordd wrote them: alice, a pre-auth key, an API key
 * whose expiry has a fraction and an offset, and a node with Go's zero
 * time as expiry.
 */
static void
migrate_from(int version)
{
	char		 path[512], sql[2048], hash1[128], hash2[128], buf[128];
	char		 apikey[DB_KEY_BUFSZ], pak[DB_KEY_BUFSZ];
	struct db	*db;
	struct db_user	 u;
	struct db_apikey ak;
	struct db_preauthkey *k;
	int		 n = 0;
	uint64_t	 nodes;

	snprintf(path, sizeof(path), "%s/v%d.db", test_tmpdir(), version);
	db = db_open_version(path, 1, 1000, version, errbuf, sizeof(errbuf));
	if (db == NULL)
		FAIL("db_open_version %d: %s", version, errbuf);
	ASSERT_INT_EQ(db_schema_version(db), version);
	db_close(db);
	ASSERT_INT_EQ(raw_int(path, "SELECT version FROM coordd_schema"),
	    version);
	/* Each version lacks what the next one adds. */
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM"
	    " pragma_table_info('pre_auth_keys') WHERE name = 'description'"),
	    0);
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM"
	    " pragma_table_info('api_keys') WHERE name = 'last_seen'"),
	    version >= 2);

	strlcpy(apikey, "hskey-api-AAAAAAAAAAAA-", sizeof(apikey));
	memset(apikey + strlen(apikey), 's', DB_KEY_SECRET_LEN);
	apikey[DB_APIKEY_LEN] = '\0';
	strlcpy(pak, "hskey-auth-BBBBBBBBBBBB-", sizeof(pak));
	memset(pak + strlen(pak), 'p', DB_KEY_SECRET_LEN);
	pak[DB_PAK_LEN] = '\0';
	ASSERT(raw_hash(apikey + strlen(apikey) - DB_KEY_SECRET_LEN,
	    hash1) == 0);
	ASSERT(raw_hash(pak + strlen(pak) - DB_KEY_SECRET_LEN, hash2) == 0);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO users (id, created_at, updated_at, name,"
	    " display_name, email, provider_identifier, provider,"
	    " profile_pic_url) VALUES (1, '2024-01-01 00:00:00+00:00',"
	    " '2024-01-01 00:00:00+00:00', 'alice', 'Alice', 'a@x', NULL,"
	    " '', '');"
	    "INSERT INTO api_keys (id, prefix, hash, created_at, expiration)"
	    " VALUES (1, 'AAAAAAAAAAAA', CAST('%s' AS BLOB),"
	    " '2024-01-01 00:00:00+00:00',"
	    " '2099-01-01 10:00:00.123456789+02:00');"
	    "INSERT INTO pre_auth_keys (id, key, prefix, hash, user_id,"
	    " reusable, ephemeral, used, tags, created_at, expiration)"
	    " VALUES (1, '', 'BBBBBBBBBBBB', CAST('%s' AS BLOB), 1, 1, 0, 0,"
	    " '[]', '2024-01-01 00:00:00+00:00', NULL);"
	    "INSERT INTO nodes (id, machine_key, node_key, hostname,"
	    " given_name, user_id, auth_key_id, tags, expiry, ipv4)"
	    " VALUES (1, 'mkey:01', 'nodekey:01', 'laptop', 'laptop', 1, 1,"
	    " '[]', '0001-01-01 00:00:00+00:00', '100.64.0.1');"
	    "UPDATE coordd_meta SET value = 7 WHERE key = 'change_seq';",
	    hash1, hash2);
	ASSERT(raw_exec(path, sql) == 0);

	if ((db = open_db(path)) == NULL)
		FAIL("reopen");
	ASSERT_INT_EQ(db_schema_version(db), DB_SCHEMA_VERSION);
	ASSERT_INT_EQ(db_change_seq(db), 7);
	ASSERT_INT_EQ(db_user_get_by_name(db, "alice", &u, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(u.id, 1);
	ASSERT_STR_EQ(u.display_name, "Alice");
	ASSERT_INT_EQ(u.created_at, 1704067200);
	ASSERT_INT_EQ(db_apikey_check(db, apikey, &ak, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(ak.id, 1);
	if ((k = malloc(sizeof(*k))) == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(db_preauthkey_validate(db, pak, k, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(k->user_id, 1);
	ASSERT_STR_EQ(k->user_name, "alice");
	ASSERT_STR_EQ(k->description, "");
	ASSERT_INT_EQ(k->reusable, 1);
	free(k);
	ASSERT_INT_EQ(db_node_count_for_user(db, 1, &nodes, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(nodes, 1);
	ASSERT_INT_EQ(db_node_list(db, count_node, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 1);
	db_close(db);

	/* Version 3's C step rewrote the expiries. */
	ASSERT(raw_text(path, "SELECT expiry FROM nodes", buf,
	    sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "(null)");
	ASSERT(raw_text(path, "SELECT expiration FROM api_keys", buf,
	    sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "2099-01-01 08:00:00+00:00");
	ASSERT(raw_text(path, "SELECT last_seen FROM api_keys", buf,
	    sizeof(buf)) == 0);
	ASSERT(strcmp(buf, "(null)") != 0);
	explicit_bzero(apikey, sizeof(apikey));
	explicit_bzero(pak, sizeof(pak));
}

TEST(migrate_from_version_1)
{
	migrate_from(1);
}

TEST(migrate_from_version_2)
{
	migrate_from(2);
}

/* A step that fails leaves the file at the version it had. */
TEST(migrate_failure_keeps_old_version)
{
	const char	*path;
	struct db	*db;

	path = tpath("vfail.db");
	db = db_open_version(path, 1, 1000, 2, errbuf, sizeof(errbuf));
	ASSERT(db != NULL);
	db_close(db);
	/* Take the name of an index version 3 creates. */
	ASSERT(raw_exec(path, "CREATE INDEX idx_nodes_node_key"
	    " ON nodes(hostname)") == 0);
	ASSERT(db_open(path, 1, 1000, errbuf, sizeof(errbuf)) == NULL);
	ASSERT_STR_CONTAINS(errbuf, "migration to schema version 3 failed");
	ASSERT_STR_CONTAINS(errbuf, "idx_nodes_node_key");
	ASSERT_INT_EQ(raw_int(path, "SELECT version FROM coordd_schema"), 2);
	/* The ALTER TABLE before the failing statement was undone. */
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM"
	    " pragma_table_info('pre_auth_keys') WHERE name = 'description'"),
	    0);
}

TEST(refuse_newer_version)
{
	char		 want[128];
	const char	*path;
	unsigned char	 before[DIGEST_LEN], after[DIGEST_LEN];
	struct db	*db;

	path = tpath("newer.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	ASSERT_INT_EQ(mkuser(db, "alice", NULL), DB_OK);
	db_close(db);
	ASSERT(raw_exec(path, "UPDATE coordd_schema SET version = 9") == 0);
	ASSERT(digest(path, before) == 0);
	ASSERT(db_open(path, 1, 1000, errbuf, sizeof(errbuf)) == NULL);
	snprintf(want, sizeof(want), "database schema version 9 is newer "
	    "than this coordd (%d)", DB_SCHEMA_VERSION);
	ASSERT_STR_EQ(errbuf, want);
	ASSERT(db_open(path, 0, 1000, errbuf, sizeof(errbuf)) == NULL);
	ASSERT(digest(path, after) == 0);
	ASSERT(memcmp(before, after, DIGEST_LEN) == 0);
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM users"), 1);
}

TEST(refuse_random_bytes)
{
	const char	*path;
	unsigned char	 junk[65536];
	FILE		*f;

	path = tpath("random.db");
	ASSERT(sodium_init() != -1);
	randombytes_buf(junk, sizeof(junk));
	ASSERT((f = fopen(path, "wb")) != NULL);
	ASSERT(fwrite(junk, 1, sizeof(junk), f) == sizeof(junk));
	fclose(f);
	refused_untouched(path, "not a SQLite database");
}

TEST(refuse_text_file)
{
	const char	*path;
	FILE		*f;

	path = tpath("text.db");
	ASSERT((f = fopen(path, "w")) != NULL);
	fputs("server_url: https://example.com\n", f);
	fclose(f);
	refused_untouched(path, "not a SQLite database");
}

TEST(refuse_truncated_db)
{
	const char	*path, *cut;
	char		 name[32], *buf;
	struct db	*db;
	FILE		*f;
	long		 len;
	int		 i;

	path = tpath("whole.db");
	cut = tpath("cut.db");
	db = db_open(path, 0, 0, errbuf, sizeof(errbuf));
	ASSERT(db != NULL);
	ASSERT_INT_EQ(db_begin(db, errbuf, sizeof(errbuf)), DB_OK);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "user%03d", i);
		if (mkuser(db, name, NULL) != DB_OK)
			FAIL("mkuser: %s", errbuf);
	}
	ASSERT_INT_EQ(db_commit(db, errbuf, sizeof(errbuf)), DB_OK);
	db_close(db);

	ASSERT((f = fopen(path, "rb")) != NULL);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	ASSERT(len > 8 * 4096);
	ASSERT((buf = malloc(len / 2)) != NULL);
	ASSERT(fread(buf, 1, len / 2, f) == (size_t)(len / 2));
	fclose(f);
	ASSERT((f = fopen(cut, "wb")) != NULL);
	ASSERT(fwrite(buf, 1, len / 2, f) == (size_t)(len / 2));
	fclose(f);
	free(buf);
	refused_untouched(cut, "corrupt");
}

TEST(refuse_foreign_db)
{
	const char	*path;

	path = tpath("headscale.db");
	ASSERT(raw_exec(path, "CREATE TABLE users (id integer);") == 0);
	refused_untouched(path, "not a coordd database");
}

TEST(refuse_directory_and_bad_args)
{
	ASSERT(db_open(test_tmpdir(), 1, 1000, errbuf, sizeof(errbuf)) ==
	    NULL);
	ASSERT_STR_CONTAINS(errbuf, "not a regular file");
	ASSERT(db_open(tpath("neg.db"), 1, -1, errbuf, sizeof(errbuf)) ==
	    NULL);
	ASSERT(access(tpath("neg.db"), F_OK) == -1);
	ASSERT(db_open_version(tpath("v9.db"), 1, 0, 9, errbuf,
	    sizeof(errbuf)) == NULL);
}

/* A tool asking for an older version never downgrades a file. */
TEST(refuse_open_at_older_version)
{
	char		 want[128];
	const char	*path;
	struct db	*db;

	path = tpath("latest.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	db_close(db);
	ASSERT(db_open_version(path, 1, 0, 1, errbuf, sizeof(errbuf)) ==
	    NULL);
	snprintf(want, sizeof(want), "database schema version %d is newer "
	    "than the requested 1", DB_SCHEMA_VERSION);
	ASSERT_STR_EQ(errbuf, want);
	ASSERT_INT_EQ(raw_int(path, "SELECT version FROM coordd_schema"),
	    DB_SCHEMA_VERSION);
}

/*
 * Helpers.
 */

TEST(time_parse_formats)
{
	char	buf[DB_TIME_BUFSZ];
	time_t	t;

	ASSERT_INT_EQ(db_time_parse("2024-01-01 00:00:00+00:00", &t), 0);
	ASSERT_INT_EQ(t, 1704067200);
	ASSERT_INT_EQ(db_time_parse("2024-01-01 02:00:00.5+02:00", &t), 0);
	ASSERT_INT_EQ(t, 1704067200);
	ASSERT_INT_EQ(db_time_parse("2023-12-31T19:00:00-05:00", &t), 0);
	ASSERT_INT_EQ(t, 1704067200);
	ASSERT_INT_EQ(db_time_parse("2024-01-01 00:00:00Z", &t), 0);
	ASSERT_INT_EQ(t, 1704067200);
	ASSERT_INT_EQ(db_time_parse("2024-01-01 00:00:00", &t), 0);
	ASSERT_INT_EQ(t, 1704067200);
	ASSERT_INT_EQ(db_time_parse("2026-09-23 15:28:40.293817627+00:00",
	    &t), 0);
	ASSERT_INT_EQ(db_time_parse("0001-01-01 00:00:00+00:00", &t), 0);
	ASSERT_INT_EQ(t, 0);
	ASSERT_INT_EQ(db_time_parse("2024-13-01 00:00:00", &t), -1);
	ASSERT_INT_EQ(db_time_parse("2024-01-01", &t), -1);
	ASSERT_INT_EQ(db_time_parse("2024-01-01 00:00:00.", &t), -1);
	ASSERT_INT_EQ(db_time_parse("2024-01-01 00:00:00+0", &t), -1);
	ASSERT_INT_EQ(db_time_parse("2024-01-01 00:00:00 junk", &t), -1);
	ASSERT_INT_EQ(db_time_parse("", &t), -1);
	db_time_fmt(1704067200, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "2024-01-01 00:00:00+00:00");
}

TEST(user_name_rules)
{
	const char	*good[] = { "alice", "a1", "Bob.Smith", "x_y-z",
			    "me@example.com", "\xc3\xa9mile", "j\xc3\xbcrgen" };
	const char	*bad[] = { "", "a", "1abc", "-ab", "a b", "a@b@c",
			    "tab\tname", "new\nline", "semi;colon", "\xff\xfe",
			    "a\xc3", "quote\"d" };
	char		 longname[DB_NAME_MAX + 2];
	size_t		 i;

	for (i = 0; i < nitems(good); i++)
		if (db_user_name_valid(good[i], errbuf, sizeof(errbuf)) != 0)
			FAIL("\"%s\" refused: %s", good[i], errbuf);
	for (i = 0; i < nitems(bad); i++)
		if (db_user_name_valid(bad[i], errbuf, sizeof(errbuf)) != -1)
			FAIL("\"%s\" accepted", bad[i]);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ASSERT_INT_EQ(db_user_name_valid(longname, errbuf, sizeof(errbuf)),
	    -1);
	ASSERT_STR_CONTAINS(errbuf, "at most 63");
	longname[DB_NAME_MAX] = '\0';
	ASSERT_INT_EQ(db_user_name_valid(longname, errbuf, sizeof(errbuf)),
	    0);
}

/*
 * Users.
 */

TEST(users_crud)
{
	struct db		*db;
	struct db_user		 in, u;
	struct db_user_filter	 f;
	uint64_t		 alice, bob, seq = 0;
	int			 n;

	if ((db = open_db(tpath("users.db"))) == NULL)
		FAIL("open");
	user_fill(&in, "alice");
	strlcpy(in.display_name, "Alice A.", sizeof(in.display_name));
	strlcpy(in.email, "alice@example.com", sizeof(in.email));
	strlcpy(in.profile_pic_url, "https://example.com/a.png",
	    sizeof(in.profile_pic_url));
	ASSERT_INT_EQ(db_user_create(db, &in, &u, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	alice = u.id;
	ASSERT(alice != 0);
	ASSERT_INT_EQ(seq, 1);
	ASSERT_INT_EQ(db_change_seq(db), 1);
	ASSERT_STR_EQ(u.name, "alice");
	ASSERT_STR_EQ(u.email, "alice@example.com");
	ASSERT_STR_EQ(u.provider_identifier, "");
	ASSERT(u.created_at > 0 && u.created_at <= time(NULL));

	/* Duplicates and bad input change nothing. */
	ASSERT_INT_EQ(mkuser(db, "alice", NULL), DB_EXISTS);
	ASSERT_STR_EQ(errbuf, "user already exists");
	ASSERT_INT_EQ(mkuser(db, "1alice", NULL), DB_INVALID);
	ASSERT_STR_CONTAINS(errbuf, "start with a letter");
	ASSERT_INT_EQ(mkuser(db, "x", NULL), DB_INVALID);
	user_fill(&in, "carol");
	strlcpy(in.display_name, "bell\007", sizeof(in.display_name));
	ASSERT_INT_EQ(db_user_create(db, &in, NULL, &seq, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_CONTAINS(errbuf, "control character");
	ASSERT_INT_EQ(db_change_seq(db), 1);

	ASSERT_INT_EQ(mkuser(db, "bob", &bob), DB_OK);
	ASSERT_INT_EQ(db_user_get(db, alice, &u, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_STR_EQ(u.display_name, "Alice A.");
	ASSERT_INT_EQ(db_user_get(db, 999, &u, errbuf, sizeof(errbuf)),
	    DB_NOTFOUND);
	ASSERT_INT_EQ(db_user_get_by_name(db, "bob", &u, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(u.id, bob);
	ASSERT_INT_EQ(db_user_get_by_name(db, "nobody", &u, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);

	/* ListUsers and its filters. */
	n = 0;
	ASSERT_INT_EQ(db_user_list(db, NULL, count_user, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 2);
	memset(&f, 0, sizeof(f));
	f.email = "alice@example.com";
	n = 0;
	ASSERT_INT_EQ(db_user_list(db, &f, count_user, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 1);
	memset(&f, 0, sizeof(f));
	f.id = bob;
	f.name = "bob";
	n = 0;
	ASSERT_INT_EQ(db_user_list(db, &f, count_user, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 1);
	f.name = "alice";
	n = 0;
	ASSERT_INT_EQ(db_user_list(db, &f, count_user, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 0);
	ASSERT_INT_EQ(db_user_list(db, NULL, stop_at_first, NULL, errbuf,
	    sizeof(errbuf)), DB_ERROR);

	/* RenameUser. */
	seq = db_change_seq(db);
	ASSERT_INT_EQ(db_user_rename(db, bob, "alice", NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_EXISTS);
	ASSERT_INT_EQ(db_user_rename(db, bob, "b", NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_user_rename(db, 999, "robert", NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(db_change_seq(db), seq);
	ASSERT_INT_EQ(db_user_rename(db, bob, "robert", &u, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_STR_EQ(u.name, "robert");
	ASSERT_INT_EQ(seq, db_change_seq(db));
	ASSERT_INT_EQ(db_user_get_by_name(db, "bob", &u, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(mkuser(db, "bob", NULL), DB_OK);

	/* DeleteUser. */
	ASSERT_INT_EQ(db_user_delete(db, alice, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_user_get(db, alice, &u, errbuf, sizeof(errbuf)),
	    DB_NOTFOUND);
	ASSERT_INT_EQ(db_user_delete(db, alice, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(mkuser(db, "alice", NULL), DB_OK);
	db_close(db);
}

/* OIDC users: names unique only among local users, and not renamed. */
TEST(users_oidc)
{
	struct db	*db;
	struct db_user	 in, u;
	uint64_t	 id;

	if ((db = open_db(tpath("oidc.db"))) == NULL)
		FAIL("open");
	ASSERT_INT_EQ(mkuser(db, "dana", NULL), DB_OK);
	user_fill(&in, "dana");
	strlcpy(in.provider, "oidc", sizeof(in.provider));
	strlcpy(in.provider_identifier, "https://idp.example/1",
	    sizeof(in.provider_identifier));
	ASSERT_INT_EQ(db_user_create(db, &in, &u, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	id = u.id;
	ASSERT_STR_EQ(u.provider_identifier, "https://idp.example/1");
	ASSERT_INT_EQ(db_user_create(db, &in, NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_EXISTS);
	ASSERT_STR_CONTAINS(errbuf, "provider identifier");
	ASSERT_INT_EQ(db_user_get_by_name(db, "dana", &u, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_user_rename(db, id, "dana2", NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "cannot edit OIDC user");
	db_close(db);
}

TEST(users_delete_rules)
{
	struct db		 *db;
	struct db_node		  n;
	struct db_preauthkey_new  req;
	const char		 *tags[] = { "tag:server" };
	char			  key[DB_KEY_BUFSZ];
	uint64_t		  alice, bob, node, tagged, count;
	struct db_preauthkey	 *k;

	if ((db = open_db(tpath("delete.db"))) == NULL)
		FAIL("open");
	if ((k = malloc(sizeof(*k))) == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(mkuser(db, "alice", &alice), DB_OK);
	ASSERT_INT_EQ(mkuser(db, "bob", &bob), DB_OK);

	/* alice owns a node: she cannot go. */
	memset(&n, 0, sizeof(n));
	strlcpy(n.hostname, "laptop", sizeof(n.hostname));
	strlcpy(n.given_name, "laptop", sizeof(n.given_name));
	strlcpy(n.ipv4, "100.64.0.1", sizeof(n.ipv4));
	strlcpy(n.machine_key, "mkey:01", sizeof(n.machine_key));
	strlcpy(n.node_key, "nodekey:01", sizeof(n.node_key));
	n.user_id = alice;
	ASSERT_INT_EQ(db_node_insert_raw(db, &n, 0, &node, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_node_count_for_user(db, alice, &count, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(count, 1);
	ASSERT_INT_EQ(db_user_delete(db, alice, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "user not empty: node(s) found");

	/*
	 * bob created a tagged key and a tagged node registered with it:
	 * the node has no owner, so bob can go, and takes the key along.
	 */
	memset(&req, 0, sizeof(req));
	req.user_id = bob;
	req.tags = tags;
	req.ntags = 1;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);
	explicit_bzero(key, sizeof(key));
	n.user_id = 0;
	strlcpy(n.hostname, "server", sizeof(n.hostname));
	ASSERT_INT_EQ(db_node_insert_raw(db, &n, k->id, &tagged, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_user_delete(db, bob, NULL, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_INT_EQ(db_preauthkey_get(db, k->id, k, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	db_close(db);
	free(k);
	ASSERT_INT_EQ(raw_int(tpath("delete.db"),
	    "SELECT count(*) FROM nodes"), 2);
	ASSERT_INT_EQ(raw_int(tpath("delete.db"),
	    "SELECT count(*) FROM nodes WHERE auth_key_id IS NOT NULL"), 0);
}

/*
 * Pre-auth keys.
 */

TEST(preauthkey_create_and_list)
{
	struct db		 *db;
	struct db_preauthkey_new  req;
	struct db_preauthkey	 *k;
	char			  key[DB_KEY_BUFSZ];
	uint64_t		  alice, seq;
	int			  n = 0;

	if ((db = open_db(tpath("pak.db"))) == NULL)
		FAIL("open");
	if ((k = malloc(sizeof(*k))) == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(mkuser(db, "alice", &alice), DB_OK);
	memset(&req, 0, sizeof(req));
	req.user_id = alice;
	req.reusable = 1;
	req.expiration = time(NULL) + 3600;
	req.description = "ci runners";
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    &seq, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(seq, 2);
	ASSERT_INT_EQ(strlen(key), 88);
	ASSERT_INT_EQ(strlen(key), DB_PAK_LEN);
	ASSERT(strncmp(key, "hskey-auth-", 11) == 0);
	ASSERT(key[23] == '-');
	ASSERT(strncmp(key + 11, k->prefix, DB_KEY_PREFIX_LEN) == 0);
	ASSERT_INT_EQ(k->user_id, alice);
	ASSERT_STR_EQ(k->user_name, "alice");
	ASSERT_INT_EQ(k->reusable, 1);
	ASSERT_INT_EQ(k->ephemeral, 0);
	ASSERT_INT_EQ(k->used, 0);
	ASSERT_INT_EQ(k->expiration, req.expiration);
	ASSERT_INT_EQ(k->ntags, 0);
	ASSERT_STR_EQ(k->description, "ci runners");
	ASSERT(strstr(k->display, key + 24) == NULL);
	ASSERT(strcmp(k->display + strlen(k->display) - 4, "-***") == 0);

	ASSERT_INT_EQ(db_preauthkey_list(db, count_pak, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 1);
	ASSERT_INT_EQ(db_preauthkey_get(db, k->id, k, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT(strstr(k->display, key + 24) == NULL);

	/* The secret is nowhere in the file, only its Argon2id hash. */
	db_close(db);
	ASSERT_INT_EQ(raw_int(tpath("pak.db"), "SELECT count(*) FROM"
	    " pre_auth_keys WHERE CAST(hash AS TEXT) LIKE '$argon2id$%'"), 1);
	ASSERT_INT_EQ(raw_int(tpath("pak.db"), "SELECT count(*) FROM"
	    " pre_auth_keys WHERE key = ''"), 1);
	explicit_bzero(key, sizeof(key));
	free(k);
}

TEST(preauthkey_validate_and_use)
{
	struct db		 *db;
	struct db_preauthkey_new  req;
	struct db_preauthkey	 *k;
	char			  once[DB_KEY_BUFSZ], multi[DB_KEY_BUFSZ];
	char			  old[DB_KEY_BUFSZ], bad[DB_KEY_BUFSZ];
	uint64_t		  alice, once_id, multi_id, seq, seq2;

	if ((db = open_db(tpath("validate.db"))) == NULL)
		FAIL("open");
	if ((k = malloc(sizeof(*k))) == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(mkuser(db, "alice", &alice), DB_OK);
	memset(&req, 0, sizeof(req));
	req.user_id = alice;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, once, sizeof(once),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);
	once_id = k->id;
	req.reusable = 1;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, multi, sizeof(multi),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);
	multi_id = k->id;
	req.reusable = 0;
	req.expiration = time(NULL) - 60;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, old, sizeof(old),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);

	ASSERT_INT_EQ(db_preauthkey_validate(db, once, k, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(k->id, once_id);
	ASSERT_INT_EQ(db_preauthkey_validate(db, old, k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "authkey expired");
	ASSERT_INT_EQ(k->id, 0);

	/* A wrong secret, an unknown prefix, a mangled key. */
	strlcpy(bad, once, sizeof(bad));
	bad[DB_PAK_LEN - 1] = bad[DB_PAK_LEN - 1] == 'A' ? 'B' : 'A';
	ASSERT_INT_EQ(db_preauthkey_validate(db, bad, k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "invalid auth-key");
	strlcpy(bad, once, sizeof(bad));
	bad[11] = bad[11] == 'A' ? 'B' : 'A';
	ASSERT_INT_EQ(db_preauthkey_validate(db, bad, k, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	bad[DB_PAK_LEN - 5] = '\0';
	ASSERT_INT_EQ(db_preauthkey_validate(db, bad, k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "failed to parse auth-key");
	ASSERT_INT_EQ(db_preauthkey_validate(db, "", k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_preauthkey_validate(db, "nosuchlegacykey", k,
	    errbuf, sizeof(errbuf)), DB_NOTFOUND);

	/* Single use: the first registration wins, the second loses. */
	seq = db_change_seq(db);
	ASSERT_INT_EQ(db_preauthkey_use(db, once_id, &seq2, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(seq2, seq + 1);
	ASSERT_INT_EQ(db_preauthkey_use(db, once_id, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "authkey already used");
	ASSERT_INT_EQ(db_preauthkey_validate(db, once, k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "authkey already used");
	/* Re-registration finds a used key all the same. */
	ASSERT_INT_EQ(db_preauthkey_find(db, once, k, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(k->used, 1);

	/* Reusable: never marked, still good. */
	seq = db_change_seq(db);
	ASSERT_INT_EQ(db_preauthkey_use(db, multi_id, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_change_seq(db), seq);
	ASSERT_INT_EQ(db_preauthkey_validate(db, multi, k, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(k->used, 0);
	ASSERT_INT_EQ(db_preauthkey_use(db, 999, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);

	/* ExpirePreAuthKey takes effect at once; then DeletePreAuthKey. */
	ASSERT_INT_EQ(db_preauthkey_expire(db, multi_id, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_preauthkey_validate(db, multi, k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "authkey expired");
	ASSERT_INT_EQ(db_preauthkey_delete(db, multi_id, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_preauthkey_validate(db, multi, k, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(db_preauthkey_delete(db, multi_id, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(db_preauthkey_expire(db, 999, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);

	explicit_bzero(once, sizeof(once));
	explicit_bzero(multi, sizeof(multi));
	explicit_bzero(old, sizeof(old));
	explicit_bzero(bad, sizeof(bad));
	free(k);
	db_close(db);
}

TEST(preauthkey_tags)
{
	struct db		 *db;
	struct db_preauthkey_new  req;
	struct db_preauthkey	 *k;
	const char		 *tags[] = { "tag:web", "tag:db", "tag:web" };
	const char		 *notag[] = { "server" };
	const char		 *empty[] = { "tag:" };
	const char		 *space[] = { "tag:a b" };
	const char		 *many[DB_TAGS_MAX + 1];
	char			  key[DB_KEY_BUFSZ], buf[256];
	size_t			  i;

	if ((db = open_db(tpath("tags.db"))) == NULL)
		FAIL("open");
	if ((k = malloc(sizeof(*k))) == NULL)
		FAIL("malloc");
	memset(&req, 0, sizeof(req));
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "auth-key must be either tagged or owned by "
	    "user");
	req.tags = notag;
	req.ntags = 1;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_CONTAINS(errbuf, "did not begin with 'tag:'");
	req.tags = empty;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_INVALID);
	req.tags = space;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_INVALID);
	for (i = 0; i < nitems(many); i++)
		many[i] = "tag:x";
	req.tags = many;
	req.ntags = nitems(many);
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_CONTAINS(errbuf, "more than 64 tags");
	req.tags = tags;
	req.ntags = nitems(tags);
	req.user_id = 77;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_STR_EQ(errbuf, "user not found");
	req.description = "this description is longer than the fifty bytes allowed";
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, 10, NULL,
	    errbuf, sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_change_seq(db), 0);

	/* Tagged, no user: sorted and deduplicated. */
	req.user_id = 0;
	req.description = NULL;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(k->user_id, 0);
	ASSERT_STR_EQ(k->user_name, "");
	ASSERT_INT_EQ(k->ntags, 2);
	ASSERT_STR_EQ(k->tags[0], "tag:db");
	ASSERT_STR_EQ(k->tags[1], "tag:web");
	ASSERT_INT_EQ(db_preauthkey_validate(db, key, k, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(k->ntags, 2);
	db_close(db);
	ASSERT(raw_text(tpath("tags.db"), "SELECT tags FROM pre_auth_keys",
	    buf, sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "[\"tag:db\",\"tag:web\"]");

	/* Unreadable tags fail closed. */
	ASSERT(raw_exec(tpath("tags.db"),
	    "UPDATE pre_auth_keys SET tags = '{oops'") == 0);
	if ((db = open_db(tpath("tags.db"))) == NULL)
		FAIL("reopen");
	ASSERT_INT_EQ(db_preauthkey_validate(db, key, k, errbuf,
	    sizeof(errbuf)), DB_ERROR);
	db_close(db);
	explicit_bzero(key, sizeof(key));
	free(k);
}

/* headscale's legacy plaintext keys still register, and list in full. */
TEST(preauthkey_legacy_plaintext)
{
	const char		*path;
	struct db		*db;
	struct db_preauthkey	*k;

	path = tpath("legacy.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	ASSERT_INT_EQ(mkuser(db, "bob", NULL), DB_OK);
	db_close(db);
	ASSERT(raw_exec(path, "INSERT INTO pre_auth_keys (key, prefix, hash,"
	    " user_id, reusable, ephemeral, used, tags, created_at,"
	    " expiration) VALUES ('plaintextlegacykey0000', NULL, NULL, 1,"
	    " 'true', 1, 0, '[]', '2026-09-23 15:29:00.000000000+00:00',"
	    " '2036-09-20 15:29:00.000000000+00:00')") == 0);
	if ((db = open_db(path)) == NULL)
		FAIL("reopen");
	if ((k = malloc(sizeof(*k))) == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(db_preauthkey_validate(db, "plaintextlegacykey0000", k,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(k->reusable, 1);
	ASSERT_INT_EQ(k->ephemeral, 1);
	ASSERT_STR_EQ(k->prefix, "");
	ASSERT_STR_EQ(k->display, "plaintextlegacykey0000");
	ASSERT_STR_EQ(k->user_name, "bob");
	ASSERT_INT_EQ(k->expiration, 2105537340);
	free(k);
	db_close(db);
}

/*
 * API keys.
 */

TEST(apikey_lifecycle)
{
	struct db		*db;
	struct db_apikey	 k, k2;
	char			 key[DB_KEY_BUFSZ], key2[DB_KEY_BUFSZ];
	char			 bad[DB_KEY_BUFSZ], disp[64];
	uint64_t		 seq;
	int			 n = 0;

	if ((db = open_db(tpath("apikey.db"))) == NULL)
		FAIL("open");
	ASSERT_INT_EQ(db_apikey_create(db, time(NULL) + 86400, &k, key,
	    sizeof(key), &seq, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(seq, 1);
	ASSERT_INT_EQ(strlen(key), 87);
	ASSERT(strncmp(key, "hskey-api-", 10) == 0);
	ASSERT(strncmp(key + 10, k.prefix, DB_KEY_PREFIX_LEN) == 0);
	ASSERT_INT_EQ(k.last_seen, 0);
	snprintf(disp, sizeof(disp), "hskey-api-%s-***", k.prefix);
	ASSERT_STR_EQ(k.display, disp);

	ASSERT_INT_EQ(db_apikey_check(db, key, &k2, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_INT_EQ(k2.id, k.id);
	ASSERT(k2.last_seen >= time(NULL) - 5);
	/* last_seen is not replicated: no change. */
	ASSERT_INT_EQ(db_change_seq(db), 1);
	ASSERT_INT_EQ(db_apikey_get(db, k.id, NULL, &k2, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT(k2.last_seen != 0);

	strlcpy(bad, key, sizeof(bad));
	bad[DB_APIKEY_LEN - 1] = bad[DB_APIKEY_LEN - 1] == 'A' ? 'B' : 'A';
	ASSERT_INT_EQ(db_apikey_check(db, bad, &k2, errbuf, sizeof(errbuf)),
	    DB_INVALID);
	ASSERT_STR_EQ(errbuf, "invalid API key");
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	ASSERT_INT_EQ(db_apikey_check(db, bad, &k2, errbuf, sizeof(errbuf)),
	    DB_NOTFOUND);
	ASSERT_INT_EQ(db_apikey_check(db, "hskey-api-short", &k2, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_apikey_check(db, "Bearer", &k2, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_apikey_check(db, "", &k2, errbuf, sizeof(errbuf)),
	    DB_INVALID);

	ASSERT_INT_EQ(db_apikey_create(db, 0, &k2, key2, sizeof(key2), NULL,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(k2.expiration, 0);
	ASSERT_INT_EQ(db_apikey_list(db, count_apikey, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 2);

	/* ExpireApiKey by the prefix as lists show it. */
	ASSERT_INT_EQ(db_apikey_expire(db, 0, disp, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_apikey_check(db, key, &k2, errbuf, sizeof(errbuf)),
	    DB_INVALID);
	ASSERT_STR_EQ(errbuf, "API key expired");
	ASSERT_INT_EQ(db_apikey_expire(db, 0, "hskey-api-", NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_apikey_expire(db, 0, "ZZZZZZZZZZZZ", NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(db_apikey_expire(db, 999, NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);

	/* DeleteApiKey by id. */
	ASSERT_INT_EQ(db_apikey_check(db, key2, &k2, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_INT_EQ(db_apikey_delete(db, k2.id, NULL, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_apikey_check(db, key2, &k2, errbuf, sizeof(errbuf)),
	    DB_NOTFOUND);
	ASSERT_INT_EQ(db_apikey_delete(db, 999, NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	/* And by the bare prefix. */
	ASSERT_INT_EQ(db_apikey_delete(db, 0, k.prefix, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	n = 0;
	ASSERT_INT_EQ(db_apikey_list(db, count_apikey, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 0);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(key2, sizeof(key2));
	explicit_bzero(bad, sizeof(bad));
	db_close(db);
}

/* headscale's pre-0.28 "<7 char prefix>.<secret>" keys. */
TEST(apikey_legacy_form)
{
	const char		*path;
	char			 hash[128], sql[512];
	struct db		*db;
	struct db_apikey	 k;

	path = tpath("apilegacy.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	db_close(db);
	ASSERT(raw_hash("legacysecret0123456789", hash) == 0);
	snprintf(sql, sizeof(sql), "INSERT INTO api_keys (prefix, hash,"
	    " created_at, expiration) VALUES ('abc_EFG', CAST('%s' AS BLOB),"
	    " '2024-01-01 00:00:00+00:00', NULL)", hash);
	ASSERT(raw_exec(path, sql) == 0);
	if ((db = open_db(path)) == NULL)
		FAIL("reopen");
	ASSERT_INT_EQ(db_apikey_check(db, "abc_EFG.legacysecret0123456789",
	    &k, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_STR_EQ(k.prefix, "abc_EFG");
	ASSERT_STR_EQ(k.display, "abc_EFG***");
	ASSERT_INT_EQ(db_apikey_check(db, "abc_EFG.wrong", &k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_apikey_check(db, "abc_EF.legacysecret0123456789",
	    &k, errbuf, sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_apikey_check(db, "abc_EFG.", &k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_apikey_delete(db, 0, "abc_EFG***", NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_apikey_check(db, "abc_EFG.legacysecret0123456789",
	    &k, errbuf, sizeof(errbuf)), DB_NOTFOUND);
	db_close(db);

	/* A bcrypt hash imported from headscale is refused, not crashed. */
	ASSERT(raw_exec(path, "INSERT INTO api_keys (prefix, hash) VALUES"
	    " ('bcryptd', CAST('$2a$10$K1qC/An3GSz1hOdLOkWThuMi8jOYrB56sVx"
	    "sxpzhNpZAwnw9UQQr2' AS BLOB))") == 0);
	if ((db = open_db(path)) == NULL)
		FAIL("reopen");
	ASSERT_INT_EQ(db_apikey_check(db, "bcryptd.secret", &k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_CONTAINS(errbuf, "bcrypt");
	db_close(db);
}

/*
 * Group commit, durability, snapshot.
 */

TEST(group_commit)
{
	const char	*path;
	struct db	*db;
	char		 name[32];
	uint64_t	 seq0, seq;
	int		 i, n = 0;

	path = tpath("batch.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	ASSERT_INT_EQ(mkuser(db, "first", NULL), DB_OK);
	seq0 = db_change_seq(db);

	ASSERT_INT_EQ(db_begin(db, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_begin(db, errbuf, sizeof(errbuf)), DB_ERROR);
	ASSERT(db_in_batch(db));
	for (i = 0; i < 100; i++) {
		struct db_user	in;

		snprintf(name, sizeof(name), "batch%03d", i);
		user_fill(&in, name);
		if (db_user_create(db, &in, NULL, &seq, errbuf,
		    sizeof(errbuf)) != DB_OK)
			FAIL("create %d: %s", i, errbuf);
		if (seq != seq0 + i + 1)
			FAIL("seq %llu at %d", (unsigned long long)seq, i);
		/* A failed request in the middle spoils nothing. */
		if (i == 50) {
			ASSERT_INT_EQ(mkuser(db, "batch010", NULL), DB_EXISTS);
			ASSERT_INT_EQ(mkuser(db, "!", NULL), DB_INVALID);
		}
	}
	/* Nothing is durable yet. */
	ASSERT_INT_EQ(db_change_seq(db), seq0);
	ASSERT_INT_EQ(db_commit(db, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT(!db_in_batch(db));
	ASSERT_INT_EQ(db_change_seq(db), seq0 + 100);
	ASSERT_INT_EQ(db_user_list(db, NULL, count_user, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 101);

	/* Rolled back: no rows, and the sequence number is reused. */
	ASSERT_INT_EQ(db_begin(db, errbuf, sizeof(errbuf)), DB_OK);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "gone%03d", i);
		ASSERT_INT_EQ(mkuser(db, name, NULL), DB_OK);
	}
	ASSERT_INT_EQ(db_rollback(db, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_change_seq(db), seq0 + 100);
	n = 0;
	ASSERT_INT_EQ(db_user_list(db, NULL, count_user, &n, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n, 101);
	ASSERT_INT_EQ(db_commit(db, errbuf, sizeof(errbuf)), DB_ERROR);
	ASSERT_INT_EQ(db_rollback(db, errbuf, sizeof(errbuf)), DB_ERROR);
	{
		struct db_user	in;

		user_fill(&in, "after");
		ASSERT_INT_EQ(db_user_create(db, &in, NULL, &seq, errbuf,
		    sizeof(errbuf)), DB_OK);
	}
	ASSERT_INT_EQ(seq, seq0 + 101);

	/* A batch left open at close is lost, not half-kept. */
	ASSERT_INT_EQ(db_begin(db, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(mkuser(db, "unfinished", NULL), DB_OK);
	db_close(db);
	ASSERT_INT_EQ(raw_int(path, "SELECT count(*) FROM users"), 102);
	ASSERT_INT_EQ(raw_int(path, "SELECT value FROM coordd_meta"
	    " WHERE key = 'change_seq'"), (long long)(seq0 + 101));
}

static int
snap_user(const struct db_user *u, void *arg)
{
	((int *)arg)[0]++;
	return (0);
}

static int
snap_pak(const struct db_preauthkey *k, void *arg)
{
	/* No secret: exactly "hskey-auth-<12>-***". */
	if (strlen(k->display) != strlen(DB_PAK_HEAD) + DB_KEY_PREFIX_LEN + 4)
		return (-1);
	((int *)arg)[1]++;
	return (0);
}

static int
snap_apikey(const struct db_apikey *k, void *arg)
{
	((int *)arg)[2]++;
	return (0);
}

static int
snap_node(const struct db_node *n, void *arg)
{
	if (strcmp(n->hostname, "laptop") != 0 || n->expiry != 0 ||
	    strcmp(n->ipv4, "100.64.0.1") != 0)
		return (-1);
	((int *)arg)[3]++;
	return (0);
}

TEST(persistence_and_snapshot)
{
	const char		 *path;
	struct db		 *db;
	struct db_preauthkey_new  req;
	struct db_snapshot_cb	  cb = { snap_user, snap_pak, snap_apikey,
				    snap_node };
	struct db_node		  n;
	struct db_apikey	  ak;
	struct db_preauthkey	 *k;
	char			  pak[DB_KEY_BUFSZ], api[DB_KEY_BUFSZ];
	uint64_t		  alice, seq, snapseq;
	int			  counts[4] = { 0, 0, 0, 0 };

	path = tpath("persist.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	if ((k = malloc(sizeof(*k))) == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(mkuser(db, "alice", &alice), DB_OK);
	ASSERT_INT_EQ(mkuser(db, "bob", NULL), DB_OK);
	memset(&req, 0, sizeof(req));
	req.user_id = alice;
	req.reusable = 1;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, pak, sizeof(pak),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_apikey_create(db, 0, &ak, api, sizeof(api), NULL,
	    errbuf, sizeof(errbuf)), DB_OK);
	memset(&n, 0, sizeof(n));
	strlcpy(n.hostname, "laptop", sizeof(n.hostname));
	strlcpy(n.ipv4, "100.64.0.1", sizeof(n.ipv4));
	n.user_id = alice;
	ASSERT_INT_EQ(db_node_insert_raw(db, &n, k->id, NULL, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(seq, 5);
	db_close(db);

	if ((db = open_db(path)) == NULL)
		FAIL("reopen");
	ASSERT_INT_EQ(db_change_seq(db), 5);
	ASSERT_INT_EQ(db_preauthkey_validate(db, pak, k, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_apikey_check(db, api, &ak, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_INT_EQ(db_snapshot(db, &cb, counts, &snapseq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(snapseq, 5);
	ASSERT_INT_EQ(counts[0], 2);
	ASSERT_INT_EQ(counts[1], 1);
	ASSERT_INT_EQ(counts[2], 1);
	ASSERT_INT_EQ(counts[3], 1);
	/* A failing callback fails the snapshot and leaves no transaction. */
	cb.node = NULL;
	cb.user = stop_at_first;
	ASSERT_INT_EQ(db_snapshot(db, &cb, counts, &snapseq, errbuf,
	    sizeof(errbuf)), DB_ERROR);
	ASSERT_INT_EQ(mkuser(db, "carol", NULL), DB_OK);
	ASSERT_INT_EQ(db_change_seq(db), 6);
	explicit_bzero(pak, sizeof(pak));
	explicit_bzero(api, sizeof(api));
	free(k);
	db_close(db);
}

/*
 * Nodes.
 */

static const char *
hexkey(const char *head, int c)
{
	static char	buf[4][96];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s%064d", head, c);
	return (buf[i]);
}

static void
node_fill(struct db_node_new *nn, uint64_t user, int mk, const char *name,
    const char *v4)
{
	memset(nn, 0, sizeof(*nn));
	nn->machine_key = hexkey("mkey:", mk);
	nn->node_key = hexkey("nodekey:", mk);
	nn->disco_key = hexkey("discokey:", mk);
	nn->hostname = name;
	nn->given_name = name;
	nn->user_id = user;
	nn->ipv4 = v4;
	nn->ipv6 = "fd7a:115c:a1e0::1";
	nn->register_method = "cli";
}

TEST(node_register_and_ops)
{
	struct db		*db;
	struct db_node_new	 nn;
	struct db_node		*n, *m;
	struct db_preauthkey_new req;
	struct db_preauthkey	*k;
	char			 once[DB_KEY_BUFSZ];
	const char		*tags[] = { "tag:b", "tag:a" };
	uint64_t		 alice, seq, seq2;
	int			 count = 0;

	if ((db = open_db(tpath("nodes.db"))) == NULL)
		FAIL("open");
	n = malloc(sizeof(*n));
	m = malloc(sizeof(*m));
	k = malloc(sizeof(*k));
	if (n == NULL || m == NULL || k == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(mkuser(db, "alice", &alice), DB_OK);
	node_fill(&nn, alice, 1, "laptop", "100.64.0.1");
	ASSERT_INT_EQ(db_node_register(db, &nn, n, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->user_id, alice);
	ASSERT_STR_EQ(n->given_name, "laptop");
	ASSERT_STR_EQ(n->register_method, "cli");
	ASSERT_STR_EQ(n->disco_key, hexkey("discokey:", 1));
	ASSERT_STR_EQ(n->ipv4, "100.64.0.1");
	ASSERT_INT_EQ(n->expiry, 0);
	ASSERT(n->created_at > 0);
	ASSERT_STR_EQ(n->host_info, "{}");

	/* The same machine, the same name, bad keys, bad owners. */
	node_fill(&nn, alice, 1, "other", "100.64.0.2");
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_EXISTS);
	node_fill(&nn, alice, 2, "LAPTOP", "100.64.0.2");
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	node_fill(&nn, alice, 2, "laptop", "100.64.0.2");
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_EXISTS);
	node_fill(&nn, alice, 2, "x", NULL);
	nn.machine_key = "mkey:abc";
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	node_fill(&nn, alice, 2, "x", NULL);
	nn.node_key = hexkey("nodekey:", 2);
	((char *)nn.node_key)[10] = 'G';
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	node_fill(&nn, 0, 2, "x", NULL);
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	node_fill(&nn, alice, 2, "x", NULL);
	nn.register_method = "magic";
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	node_fill(&nn, alice, 2, "x", NULL);
	nn.host_info = "[1]";
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_change_seq(db), seq);

	/* A tagged node; a single-use key is used by it, once. */
	memset(&req, 0, sizeof(req));
	req.user_id = alice;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, once, sizeof(once),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);
	node_fill(&nn, 0, 3, "server", "100.64.0.3");
	nn.tags = tags;
	nn.ntags = 2;
	nn.register_method = "authkey";
	nn.auth_key_id = k->id;
	nn.host_info = "{\"Hostname\":\"server\"}";
	ASSERT_INT_EQ(db_node_register(db, &nn, m, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_STR_EQ(m->host_info, "{\"Hostname\":\"server\"}");
	ASSERT_STR_EQ(m->disco_key, hexkey("discokey:", 3));
	ASSERT_INT_EQ(m->user_id, 0);
	ASSERT_INT_EQ(m->ntags, 2);
	ASSERT_STR_EQ(m->tags[0], "tag:a");
	ASSERT_INT_EQ(m->auth_key_id, k->id);
	ASSERT_INT_EQ(db_preauthkey_validate(db, once, k, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	node_fill(&nn, alice, 4, "other", NULL);
	nn.auth_key_id = m->auth_key_id;
	ASSERT_INT_EQ(db_node_register(db, &nn, NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_INVALID);
	ASSERT_STR_EQ(errbuf, "authkey already used");
	ASSERT_INT_EQ(db_node_get_by_machine_key(db, hexkey("mkey:", 4), n,
	    errbuf, sizeof(errbuf)), DB_NOTFOUND);

	/* Lookups and the name check. */
	ASSERT_INT_EQ(db_node_get_by_machine_key(db, hexkey("mkey:", 1), n,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_STR_EQ(n->given_name, "laptop");
	ASSERT(db_node_given_name_taken(db, "laptop", 0));
	ASSERT(db_node_given_name_taken(db, "Laptop", m->id));
	ASSERT(!db_node_given_name_taken(db, "laptop", n->id));
	ASSERT(!db_node_given_name_taken(db, "desk", 0));

	/*
	 * Re-registration: a new node key; disco key and Hostinfo when
	 * given, kept when not; bad ones refuse the whole write.
	 */
	memset(&nn, 0, sizeof(nn));
	nn.node_key = hexkey("nodekey:", 9);
	nn.disco_key = "discokey:zz";
	ASSERT_INT_EQ(db_node_set_node_key(db, n->id, &nn, NULL, NULL,
	    errbuf, sizeof(errbuf)), DB_INVALID);
	nn.disco_key = NULL;
	nn.host_info = "[]";
	ASSERT_INT_EQ(db_node_set_node_key(db, n->id, &nn, NULL, NULL,
	    errbuf, sizeof(errbuf)), DB_INVALID);
	nn.host_info = NULL;
	ASSERT_INT_EQ(db_node_set_node_key(db, n->id, &nn, n, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_STR_EQ(n->node_key, hexkey("nodekey:", 9));
	ASSERT_STR_EQ(n->disco_key, hexkey("discokey:", 1));
	ASSERT_STR_EQ(n->host_info, "{}");
	nn.disco_key = hexkey("discokey:", 9);
	nn.host_info = "{\"OS\":\"linux\"}";
	ASSERT_INT_EQ(db_node_set_node_key(db, n->id, &nn, n, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_STR_EQ(n->disco_key, hexkey("discokey:", 9));
	ASSERT_STR_EQ(n->host_info, "{\"OS\":\"linux\"}");
	ASSERT_INT_EQ(db_node_rename(db, n->id, "server", NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_EXISTS);
	ASSERT_INT_EQ(db_node_rename(db, n->id, "bad name", NULL, NULL,
	    errbuf, sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_node_rename(db, 999, "desk", NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(db_node_rename(db, n->id, "desk", n, &seq2, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(seq2, seq + 1);
	ASSERT_STR_EQ(n->given_name, "desk");
	ASSERT_INT_EQ(db_node_rename(db, n->id, "desk", n, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_node_expire(db, n->id, 1000, n, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->expiry, 1000);
	ASSERT_INT_EQ(db_node_expire(db, 999, 1000, NULL, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(db_node_delete(db, m->id, n, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_STR_EQ(n->ipv4, "100.64.0.3");
	ASSERT_INT_EQ(db_node_delete(db, m->id, n, NULL, errbuf,
	    sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(db_node_get(db, m->id, n, errbuf, sizeof(errbuf)),
	    DB_NOTFOUND);
	ASSERT_INT_EQ(db_node_list(db, count_node, &count, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(count, 1);
	explicit_bzero(once, sizeof(once));
	free(n);
	free(m);
	free(k);
	db_close(db);
}

/* An update that sets everything a client reports. */
static void
update_fill(struct db_node_update *u, const char *nodekey,
    const char *const *ep, size_t nep)
{
	memset(u, 0, sizeof(*u));
	u->node_key = nodekey;
	u->disco_key = hexkey("discokey:", 7);
	u->set_endpoints = 1;
	u->endpoints = ep;
	u->nendpoints = nep;
	u->host_info = "{\"Hostname\":\"laptop\",\"OS\":\"linux\"}";
	u->last_seen = 1700000000;
}

/* update is refused as invalid and changes nothing. */
static int
update_refused(struct db *db, uint64_t id, const struct db_node_update *u)
{
	uint64_t	seq = db_change_seq(db);
	int		changed = -1;

	if (db_node_update(db, id, u, NULL, &changed, NULL, errbuf,
	    sizeof(errbuf)) != DB_INVALID || changed != 0 ||
	    db_change_seq(db) != seq)
		return (-1);
	return (0);
}

TEST(node_endpoint_valid)
{
	const char	*good[] = { "192.0.2.1:41641", "[2001:db8::1]:1",
			    "[::ffff:192.0.2.1]:65535", "10.0.0.1:080" };
	const char	*bad[] = { "", "192.0.2.1", "192.0.2.1:", "192.0.2.1:0",
			    "192.0.2.1:65536", "192.0.2.1:123456",
			    "192.0.2.1:+80", "192.0.2.1: 80", "[::1]41641",
			    "::1:80", "[192.0.2.1]:80", "[]:80",
			    "example.com:80", "[fe80::1%eth0]:80",
			    "192.0.2.256:80", " 192.0.2.1:80" };
	char		 big[128];
	size_t		 i;

	for (i = 0; i < nitems(good); i++)
		if (!db_node_endpoint_valid(good[i]))
			FAIL("refused %s", good[i]);
	for (i = 0; i < nitems(bad); i++)
		if (db_node_endpoint_valid(bad[i]))
			FAIL("accepted \"%s\"", bad[i]);
	ASSERT(!db_node_endpoint_valid(NULL));
	/* Longer than DB_ENDPOINT_MAX, however well formed. */
	snprintf(big, sizeof(big), "[0000:0000:0000:0000:0000:0000:0000:"
	    "0001]:%060d", 80);
	ASSERT(strlen(big) > DB_ENDPOINT_MAX);
	ASSERT(!db_node_endpoint_valid(big));
}

TEST(node_update)
{
	const char		*path;
	struct db		*db;
	struct db_node_new	 nn;
	struct db_node_update	 u;
	struct db_node		*n, *m;
	const char		*ep[] = { "192.0.2.1:41641",
				    "[2001:db8::1]:41641" };
	const char		*badep[] = { "192.0.2.1:41641", "192.0.2.1" };
	const char		*many[DB_ENDPOINTS_MAX + 1];
	char			*bighi, buf[256];
	uint64_t		 alice, seq, seq2;
	int			 changed;
	size_t			 i;

	path = tpath("update.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	n = malloc(sizeof(*n));
	m = malloc(sizeof(*m));
	bighi = malloc(DB_HOSTINFO_MAX + 2);
	if (n == NULL || m == NULL || bighi == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(mkuser(db, "alice", &alice), DB_OK);
	node_fill(&nn, alice, 1, "laptop", "100.64.0.1");
	ASSERT_INT_EQ(db_node_register(db, &nn, n, &seq, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->nendpoints, 0);
	ASSERT_STR_EQ(n->host_info, "{}");
	ASSERT_INT_EQ(n->last_seen, 0);
	ASSERT_INT_EQ(n->ephemeral, 0);

	/* Everything at once; a fresh read sees it. */
	update_fill(&u, n->node_key, ep, nitems(ep));
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, m, &changed, &seq2,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(changed, 1);
	ASSERT_INT_EQ(seq2, seq + 1);
	ASSERT_STR_EQ(m->disco_key, hexkey("discokey:", 7));
	memset(m, 0, sizeof(*m));
	ASSERT_INT_EQ(db_node_get(db, n->id, m, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_STR_EQ(m->disco_key, hexkey("discokey:", 7));
	ASSERT_INT_EQ(m->nendpoints, 2);
	ASSERT_STR_EQ(m->endpoints[0], "192.0.2.1:41641");
	ASSERT_STR_EQ(m->endpoints[1], "[2001:db8::1]:41641");
	ASSERT_STR_EQ(m->host_info, u.host_info);
	ASSERT_INT_EQ(m->last_seen, 1700000000);
	ASSERT(m->updated_at > 0);
	ASSERT_STR_EQ(m->node_key, n->node_key);
	ASSERT_STR_EQ(m->given_name, "laptop");
	/* Stored the way headscale stores them. */
	ASSERT(raw_text(path, "SELECT endpoints FROM nodes", buf,
	    sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "[\"192.0.2.1:41641\",\"[2001:db8::1]:41641\"]");
	ASSERT(raw_text(path, "SELECT last_seen FROM nodes", buf,
	    sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "2023-11-14 22:13:20+00:00");

	/* The same again, Hostinfo spelled differently: nothing written. */
	update_fill(&u, n->node_key, ep, nitems(ep));
	u.host_info = "{ \"OS\": \"linux\", \"Hostname\": \"laptop\" }";
	changed = -1;
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, n, &changed, &seq,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(changed, 0);
	ASSERT_INT_EQ(db_change_seq(db), seq2);
	ASSERT_INT_EQ(n->nendpoints, 2);
	ASSERT_INT_EQ(n->updated_at, m->updated_at);
	/* Nothing set at all is no change either. */
	memset(&u, 0, sizeof(u));
	u.node_key = n->node_key;
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, NULL, &changed, NULL,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(changed, 0);
	ASSERT_INT_EQ(db_change_seq(db), seq2);

	/* One field; the others stay.  No endpoints at all is a change. */
	u.last_seen = 1700000060;
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, n, &changed, &seq,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(changed, 1);
	ASSERT_INT_EQ(seq, seq2 + 1);
	ASSERT_INT_EQ(n->last_seen, 1700000060);
	ASSERT_INT_EQ(n->nendpoints, 2);
	ASSERT_STR_EQ(n->disco_key, hexkey("discokey:", 7));
	memset(&u, 0, sizeof(u));
	u.node_key = n->node_key;
	u.set_endpoints = 1;
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, n, &changed, NULL,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(changed, 1);
	ASSERT_INT_EQ(n->nendpoints, 0);
	ASSERT(raw_text(path, "SELECT endpoints FROM nodes", buf,
	    sizeof(buf)) == 0);
	ASSERT_STR_EQ(buf, "[]");
	ASSERT_STR_EQ(n->host_info, "{\"Hostname\":\"laptop\",\"OS\":\"linux\"}");

	/* Not this node's key, or no such node. */
	seq = db_change_seq(db);
	update_fill(&u, hexkey("nodekey:", 2), ep, nitems(ep));
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, m, &changed, NULL,
	    errbuf, sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(changed, 0);
	update_fill(&u, n->node_key, ep, nitems(ep));
	ASSERT_INT_EQ(db_node_update(db, 999, &u, m, &changed, NULL,
	    errbuf, sizeof(errbuf)), DB_NOTFOUND);
	ASSERT_INT_EQ(db_change_seq(db), seq);

	/* Bad input of every kind: refused, nothing written. */
	update_fill(&u, n->node_key, badep, nitems(badep));
	ASSERT(update_refused(db, n->id, &u) == 0);
	ASSERT_STR_CONTAINS(errbuf, "invalid endpoint 1");
	for (i = 0; i < nitems(many); i++)
		many[i] = "192.0.2.1:1";
	update_fill(&u, n->node_key, many, nitems(many));
	ASSERT(update_refused(db, n->id, &u) == 0);
	update_fill(&u, n->node_key, ep, nitems(ep));
	u.disco_key = hexkey("discokey:", 8);
	((char *)u.disco_key)[12] = 'A';
	ASSERT(update_refused(db, n->id, &u) == 0);
	ASSERT_STR_CONTAINS(errbuf, "disco key");
	update_fill(&u, n->node_key, ep, nitems(ep));
	u.disco_key = hexkey("nodekey:", 8);
	ASSERT(update_refused(db, n->id, &u) == 0);
	update_fill(&u, n->node_key, ep, nitems(ep));
	bighi[0] = '{';
	memset(bighi + 1, ' ', DB_HOSTINFO_MAX - 1);
	bighi[DB_HOSTINFO_MAX] = '}';
	bighi[DB_HOSTINFO_MAX + 1] = '\0';
	u.host_info = bighi;
	ASSERT(update_refused(db, n->id, &u) == 0);
	ASSERT_STR_CONTAINS(errbuf, "longer than");
	bighi[DB_HOSTINFO_MAX - 1] = '}';
	bighi[DB_HOSTINFO_MAX] = '\0';
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, NULL, NULL, NULL,
	    errbuf, sizeof(errbuf)), DB_OK);
	update_fill(&u, n->node_key, ep, nitems(ep));
	u.host_info = "[1]";
	ASSERT(update_refused(db, n->id, &u) == 0);
	ASSERT_STR_CONTAINS(errbuf, "JSON object");
	update_fill(&u, n->node_key, ep, nitems(ep));
	u.host_info = "{\"a\":";
	ASSERT(update_refused(db, n->id, &u) == 0);
	update_fill(&u, n->node_key, ep, nitems(ep));
	u.last_seen = -1;
	ASSERT(update_refused(db, n->id, &u) == 0);
	update_fill(&u, "nodekey:xyz", ep, nitems(ep));
	ASSERT(update_refused(db, n->id, &u) == 0);
	ASSERT_INT_EQ(db_node_get(db, n->id, m, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_INT_EQ(m->nendpoints, 2);
	ASSERT_STR_EQ(m->disco_key, hexkey("discokey:", 7));
	ASSERT_INT_EQ(strlen(m->host_info), DB_HOSTINFO_MAX);

	/* Inside a batch, a refused update leaves the others alone. */
	ASSERT_INT_EQ(db_begin(db, errbuf, sizeof(errbuf)), DB_OK);
	update_fill(&u, n->node_key, ep, 1);
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, NULL, &changed, NULL,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(changed, 1);
	update_fill(&u, n->node_key, badep, nitems(badep));
	ASSERT_INT_EQ(db_node_update(db, n->id, &u, NULL, &changed, NULL,
	    errbuf, sizeof(errbuf)), DB_INVALID);
	ASSERT_INT_EQ(db_commit(db, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(db_node_get(db, n->id, m, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_INT_EQ(m->nendpoints, 1);
	free(bighi);
	free(n);
	free(m);
	db_close(db);
}

static int
check_ephemeral(const struct db_node *n, void *arg)
{
	int	want = strcmp(n->hostname, "eph") == 0;

	if (n->ephemeral != want)
		return (-1);
	(*(int *)arg)++;
	return (0);
}

TEST(node_ephemeral_and_bad_columns)
{
	const char		*path;
	struct db		*db;
	struct db_node_new	 nn;
	struct db_preauthkey_new req;
	struct db_preauthkey	*k;
	struct db_node		*n;
	char			 key[DB_KEY_BUFSZ], sql[256], *big;
	const char		*garbage[] = { "not json", "[1,2]",
				    "{\"a\":1}", "\"192.0.2.1:1\"", "null", "",
				    "[\"0123456789012345678901234567890123456789"
				    "012345678901234567890123456789\"]" };
	uint64_t		 alice, eph, plain, cli;
	size_t			 i;
	int			 count = 0;

	path = tpath("ephemeral.db");
	if ((db = open_db(path)) == NULL)
		FAIL("open");
	n = malloc(sizeof(*n));
	k = malloc(sizeof(*k));
	if (n == NULL || k == NULL)
		FAIL("malloc");
	ASSERT_INT_EQ(mkuser(db, "alice", &alice), DB_OK);
	memset(&req, 0, sizeof(req));
	req.user_id = alice;
	req.ephemeral = 1;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);
	node_fill(&nn, alice, 1, "eph", "100.64.0.1");
	nn.register_method = "authkey";
	nn.auth_key_id = k->id;
	ASSERT_INT_EQ(db_node_register(db, &nn, n, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->ephemeral, 1);
	eph = n->id;
	req.ephemeral = 0;
	ASSERT_INT_EQ(db_preauthkey_create(db, &req, k, key, sizeof(key),
	    NULL, errbuf, sizeof(errbuf)), DB_OK);
	node_fill(&nn, alice, 2, "plain", "100.64.0.2");
	nn.register_method = "authkey";
	nn.auth_key_id = k->id;
	ASSERT_INT_EQ(db_node_register(db, &nn, n, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->ephemeral, 0);
	plain = n->id;
	node_fill(&nn, alice, 3, "cli", "100.64.0.3");
	ASSERT_INT_EQ(db_node_register(db, &nn, n, NULL, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->ephemeral, 0);
	cli = n->id;
	ASSERT_INT_EQ(db_node_get(db, eph, n, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->ephemeral, 1);
	ASSERT_INT_EQ(db_node_get_by_machine_key(db, hexkey("mkey:", 1), n,
	    errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->ephemeral, 1);
	ASSERT_INT_EQ(db_node_get(db, plain, n, errbuf, sizeof(errbuf)),
	    DB_OK);
	ASSERT_INT_EQ(n->ephemeral, 0);
	ASSERT_INT_EQ(db_node_list(db, check_ephemeral, &count, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(count, 3);
	/* headscale's bools may be text. */
	ASSERT(raw_exec(path, "UPDATE pre_auth_keys SET ephemeral = 'true'"
	    " WHERE ephemeral = 1") == 0);
	ASSERT_INT_EQ(db_node_get(db, eph, n, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->ephemeral, 1);

	/* What another program left in the columns reads as none. */
	for (i = 0; i < nitems(garbage); i++) {
		snprintf(sql, sizeof(sql), "UPDATE nodes SET endpoints = '%s'"
		    " WHERE id = %llu", garbage[i], (unsigned long long)cli);
		ASSERT(raw_exec(path, sql) == 0);
		ASSERT_INT_EQ(db_node_get(db, cli, n, errbuf,
		    sizeof(errbuf)), DB_OK);
		ASSERT_INT_EQ(n->nendpoints, 0);
	}
	ASSERT(raw_exec(path, "UPDATE nodes SET endpoints = NULL,"
	    " host_info = NULL, last_seen = 'yesterday'") == 0);
	count = 0;
	ASSERT_INT_EQ(db_node_list(db, count_node, &count, errbuf,
	    sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(count, 3);
	ASSERT_INT_EQ(db_node_get(db, cli, n, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_INT_EQ(n->nendpoints, 0);
	ASSERT_STR_EQ(n->host_info, "");
	ASSERT_INT_EQ(n->last_seen, 0);
	/* A Hostinfo too big for us is dropped, not cut. */
	if ((big = malloc(DB_HOSTINFO_MAX + 64)) == NULL)
		FAIL("malloc");
	snprintf(big, DB_HOSTINFO_MAX + 64, "UPDATE nodes SET host_info ="
	    " '{\"x\":\"%0*d\"}'", DB_HOSTINFO_MAX, 0);
	ASSERT(raw_exec(path, big) == 0);
	free(big);
	ASSERT_INT_EQ(db_node_get(db, cli, n, errbuf, sizeof(errbuf)), DB_OK);
	ASSERT_STR_EQ(n->host_info, "");
	explicit_bzero(key, sizeof(key));
	free(n);
	free(k);
	db_close(db);
}

TEST_MAIN()
