/*
 * Users: CreateUser, ListUsers, RenameUser, DeleteUser with headscale
 * v0.29's rules (hscontrol/db/users.go).  Soft-deleted rows, which
 * only an imported database can hold, are invisible as with gorm.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_INTERNAL
#include "log.h"
#include "db.h"

#define USER_COLS	"id, name, display_name, email, provider_identifier," \
			" provider, profile_pic_url, created_at, updated_at"

static int		db_utf8_seq(const unsigned char *);
static void		db_user_row(sqlite3_stmt *, struct db_user *);
static int		db_user_fields_valid(const struct db_user *, char *,
			    size_t);

/* Length of the well-formed UTF-8 sequence at s, 0 if there is none. */
static int
db_utf8_seq(const unsigned char *s)
{
	int	n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return (0);
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return (0);
	/* Overlong forms, surrogates and beyond U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return (0);
	return (n);
}

/*
 * headscale's ValidateUsername: at least 2 characters, a letter first,
 * then letters, digits, '-', '.', '_' and at most one '@'; plus our
 * bound of DB_NAME_MAX bytes.  Go asks unicode.IsLetter/IsDigit; we
 * take any well-formed non-ASCII UTF-8 as a letter, without tables.
 */
int
db_user_name_valid(const char *name, char *err, size_t errlen)
{
	const unsigned char	*s = (const unsigned char *)name;
	size_t			 len;
	int			 at = 0, n;

	if ((len = strlen(name)) < 2) {
		db_seterr(err, errlen, "username must be at least 2 "
		    "characters long");
		return (-1);
	}
	if (len > DB_NAME_MAX) {
		db_seterr(err, errlen, "username must be at most %d bytes "
		    "long", DB_NAME_MAX);
		return (-1);
	}
	if (!isalpha(s[0]) && s[0] < 0x80) {
		db_seterr(err, errlen, "username must start with a letter");
		return (-1);
	}
	while (*s != '\0') {
		if (isalnum(*s) || *s == '-' || *s == '.' || *s == '_')
			n = 1;
		else if (*s == '@') {
			if (++at > 1) {
				db_seterr(err, errlen, "username cannot "
				    "contain more than one '@'");
				return (-1);
			}
			n = 1;
		} else if ((n = db_utf8_seq(s)) == 0) {
			if (isprint(*s))
				db_seterr(err, errlen, "username contains "
				    "invalid character: '%c'", *s);
			else
				db_seterr(err, errlen, "username contains "
				    "invalid byte 0x%02x", *s);
			return (-1);
		}
		s += n;
	}
	return (0);
}

static int
db_user_fields_valid(const struct db_user *u, char *err, size_t errlen)
{
	if (db_user_name_valid(u->name, err, errlen) == -1 ||
	    db_text_valid(u->display_name, DB_DISPLAY_NAME_MAX,
	    "display name", err, errlen) == -1 ||
	    db_text_valid(u->email, DB_EMAIL_MAX, "email", err,
	    errlen) == -1 ||
	    db_text_valid(u->provider_identifier, DB_PROVIDER_ID_MAX,
	    "provider identifier", err, errlen) == -1 ||
	    db_text_valid(u->provider, DB_PROVIDER_MAX, "provider", err,
	    errlen) == -1 ||
	    db_text_valid(u->profile_pic_url, DB_URL_MAX, "picture URL",
	    err, errlen) == -1)
		return (-1);
	return (0);
}

static void
db_user_row(sqlite3_stmt *st, struct db_user *u)
{
	memset(u, 0, sizeof(*u));
	u->id = (uint64_t)sqlite3_column_int64(st, 0);
	db_column_str(st, 1, u->name, sizeof(u->name));
	db_column_str(st, 2, u->display_name, sizeof(u->display_name));
	db_column_str(st, 3, u->email, sizeof(u->email));
	db_column_str(st, 4, u->provider_identifier,
	    sizeof(u->provider_identifier));
	db_column_str(st, 5, u->provider, sizeof(u->provider));
	db_column_str(st, 6, u->profile_pic_url, sizeof(u->profile_pic_url));
	u->created_at = db_column_time(st, 7, 0);
	u->updated_at = db_column_time(st, 8, 0);
}

/*
 * Create a user from in's name and profile fields (id and times are
 * ignored).  An empty provider_identifier is stored as NULL: names are
 * unique among users without one, as in headscale.
 */
enum db_status
db_user_create(struct db *db, const struct db_user *in, struct db_user *out,
    uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "INSERT INTO users (created_at,"
	    " updated_at, name, display_name, email, provider_identifier,"
	    " provider, profile_pic_url)"
	    " VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt	*st;
	enum db_status	 ret;
	uint64_t	 id;

	if (db_user_fields_valid(in, err, errlen) == -1)
		return (DB_INVALID);
	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((st = db_stmt(db, sql, err, errlen)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	db_bind_time(st, 1, db_now());
	db_bind_text(st, 2, in->name);
	db_bind_text(st, 3, in->display_name);
	db_bind_text(st, 4, in->email);
	db_bind_text(st, 5, in->provider_identifier[0] != '\0' ?
	    in->provider_identifier : NULL);
	db_bind_text(st, 6, in->provider);
	db_bind_text(st, 7, in->profile_pic_url);
	ret = db_step_done(db, st, "creating user", err, errlen);
	db_stmt_done(st);
	if (ret == DB_EXISTS) {
		if (strstr(sqlite3_errmsg(db->db_sql), "provider_identifier")
		    != NULL && in->provider_identifier[0] != '\0')
			db_seterr(err, errlen, "a user with this provider "
			    "identifier already exists");
		else
			db_seterr(err, errlen, "user already exists");
		goto done;
	}
	if (ret != DB_OK)
		goto done;
	id = (uint64_t)sqlite3_last_insert_rowid(db->db_sql);
	if ((ret = db_bump_seq(db, err, errlen)) == DB_OK && out != NULL)
		ret = db_user_get(db, id, out, err, errlen);
 done:
	return (db_op_end(db, ret, seq, err, errlen));
}

enum db_status
db_user_get(struct db *db, uint64_t id, struct db_user *u, char *err,
    size_t errlen)
{
	static const char sql[] = "SELECT " USER_COLS
	    " FROM users WHERE id = ?1 AND deleted_at IS NULL";
	sqlite3_stmt	*st;
	enum db_status	 ret;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if ((ret = db_step_row(db, st, "user not found", "reading user", err,
	    errlen)) == DB_OK)
		db_user_row(st, u);
	db_stmt_done(st);
	return (ret);
}

/* headscale's GetUserByName: the name must pick exactly one user. */
enum db_status
db_user_get_by_name(struct db *db, const char *name, struct db_user *u,
    char *err, size_t errlen)
{
	static const char sql[] = "SELECT " USER_COLS " FROM users"
	    " WHERE name = ?1 AND deleted_at IS NULL ORDER BY id LIMIT 2";
	sqlite3_stmt	*st;
	enum db_status	 ret = DB_OK;
	int		 rc, n = 0;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	db_bind_text(st, 1, name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (n++ == 0)
			db_user_row(st, u);
	if (rc != SQLITE_DONE)
		ret = db_sqlerr(db, rc, "reading user", err, errlen);
	else if (n == 0) {
		db_seterr(err, errlen, "user not found");
		ret = DB_NOTFOUND;
	} else if (n > 1) {
		db_seterr(err, errlen, "expected exactly one user, found "
		    "several named \"%s\"", name);
		ret = DB_INVALID;
	}
	db_stmt_done(st);
	return (ret);
}

enum db_status
db_user_list(struct db *db, const struct db_user_filter *f,
    int (*cb)(const struct db_user *, void *), void *arg, char *err,
    size_t errlen)
{
	static const char sql[] = "SELECT " USER_COLS " FROM users"
	    " WHERE deleted_at IS NULL AND (?1 = 0 OR id = ?1)"
	    " AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR email = ?3)"
	    " ORDER BY id";
	sqlite3_stmt	*st;
	struct db_user	*u;
	enum db_status	 ret;
	int		 rc;

	if ((u = malloc(sizeof(*u))) == NULL) {
		db_seterr(err, errlen, "out of memory");
		return (DB_ERROR);
	}
	if ((st = db_list_stmt(db, sql, "listing users", err, errlen)) ==
	    NULL) {
		free(u);
		return (DB_ERROR);
	}
	if (f != NULL) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)f->id);
		if (f->name != NULL && f->name[0] != '\0')
			db_bind_text(st, 2, f->name);
		if (f->email != NULL && f->email[0] != '\0')
			db_bind_text(st, 3, f->email);
	} else
		sqlite3_bind_int64(st, 1, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_user_row(st, u);
		if (cb(u, arg) != 0)
			break;
	}
	ret = db_list_end(db, rc, "listing users", err, errlen);
	sqlite3_finalize(st);
	free(u);
	return (ret);
}

/* RenameUser: OIDC users keep the name their identity provider gives. */
enum db_status
db_user_rename(struct db *db, uint64_t id, const char *name,
    struct db_user *out, uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "UPDATE users SET name = ?2,"
	    " updated_at = ?3 WHERE id = ?1";
	sqlite3_stmt	*st;
	struct db_user	 u;
	enum db_status	 ret;

	if (db_user_name_valid(name, err, errlen) == -1)
		return (DB_INVALID);
	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((ret = db_user_get(db, id, &u, err, errlen)) != DB_OK)
		goto done;
	if (strcmp(u.provider, "oidc") == 0) {
		db_seterr(err, errlen, "cannot edit OIDC user");
		ret = DB_INVALID;
		goto done;
	}
	if ((st = db_stmt(db, sql, err, errlen)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	db_bind_text(st, 2, name);
	db_bind_time(st, 3, db_now());
	ret = db_step_done(db, st, "renaming user", err, errlen);
	db_stmt_done(st);
	if (ret == DB_EXISTS)
		db_seterr(err, errlen, "user already exists");
	if (ret == DB_OK && (ret = db_bump_seq(db, err, errlen)) == DB_OK &&
	    out != NULL)
		ret = db_user_get(db, id, out, err, errlen);
 done:
	return (db_op_end(db, ret, seq, err, errlen));
}

/*
 * DestroyUser: refused while the user owns nodes (tagged nodes have no
 * owner and do not count); the user's pre-auth keys go with it, after
 * the nodes registered with them forget them.
 */
enum db_status
db_user_delete(struct db *db, uint64_t id, uint64_t *seq, char *err,
    size_t errlen)
{
	static const char unlink_sql[] = "UPDATE nodes SET auth_key_id = NULL"
	    " WHERE auth_key_id IN"
	    " (SELECT id FROM pre_auth_keys WHERE user_id = ?1)";
	static const char keys_sql[] =
	    "DELETE FROM pre_auth_keys WHERE user_id = ?1";
	static const char user_sql[] = "DELETE FROM users WHERE id = ?1";
	const char	*steps[] = { unlink_sql, keys_sql, user_sql };
	struct db_user	 u;
	enum db_status	 ret;
	uint64_t	 nodes;
	size_t		 i;

	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((ret = db_user_get(db, id, &u, err, errlen)) != DB_OK)
		goto done;
	if ((ret = db_node_count_for_user(db, id, &nodes, err, errlen)) !=
	    DB_OK)
		goto done;
	if (nodes > 0) {
		db_seterr(err, errlen, "user not empty: node(s) found");
		ret = DB_INVALID;
		goto done;
	}
	for (i = 0; i < nitems(steps) && ret == DB_OK; i++)
		ret = db_write_id(db, steps[i], id, "deleting user", err,
		    errlen);
	if (ret == DB_OK)
		ret = db_bump_seq(db, err, errlen);
 done:
	return (db_op_end(db, ret, seq, err, errlen));
}
