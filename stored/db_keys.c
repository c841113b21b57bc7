/*
 * Pre-auth keys and API keys, in headscale's formats:
 *
 *	hskey-auth-<12 char prefix>-<64 char secret>
 *	hskey-api-<12 char prefix>-<64 char secret>
 *
 * both in the base64url alphabet.  The prefix is public (lists show
 * "hskey-auth-<prefix>-***") and finds the row; the secret is kept only
 * as an Argon2id hash (libsodium's crypto_pwhash_str format) and is
 * checked with crypto_pwhash_str_verify, which compares in constant
 * time.  headscale 0.28+ stores bcrypt here instead; rows imported from
 * it are recognised but cannot be checked without a bcrypt verifier.
 *
 * Legacy forms still accepted, as headscale does: a plaintext pre-auth
 * key in pre_auth_keys.key, and API keys "<7 char prefix>.<secret>".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#define DB_INTERNAL
#include "log.h"
#include "db.h"

#define HASH_BUFSZ	crypto_pwhash_argon2id_STRBYTES

#define PAK_COLS	"k.id, k.user_id, u.name, k.prefix, k.key," \
			" k.reusable, k.ephemeral, k.used, k.tags," \
			" k.expiration, k.created_at, k.description"
#define PAK_FROM	" FROM pre_auth_keys k" \
			" LEFT JOIN users u ON u.id = k.user_id"
#define PAK_NCOLS	12	/* the hash, when selected, comes next */

#define APIKEY_COLS	"id, prefix, expiration, created_at, last_seen"
#define APIKEY_NCOLS	5

/* A key being created: the parts of head<prefix>-<secret>, and the hash. */
struct db_newkey {
	char	nk_prefix[DB_KEY_PREFIX_LEN + 1];
	char	nk_secret[DB_KEY_SECRET_LEN + 1];
	char	nk_hash[HASH_BUFSZ];
};

static int		db_b64url_valid(const char *, size_t);
static void		db_random_b64url(char *, size_t);
static int		db_secret_hash(const char *, char *);
static enum db_status	db_newkey_make(struct db_newkey *, char *, size_t);
static void		db_newkey_bind(sqlite3_stmt *,
			    const struct db_newkey *);
static void		db_newkey_give(struct db_newkey *, enum db_status,
			    const char *, char *, size_t);
static void		db_column_hash(sqlite3_stmt *, int, char *);
/*
 * Secrets that passed Argon2id, remembered as a keyed BLAKE2b of the
 * stored hash and the secret, so that a reusable pre-auth key used by a
 * thousand nodes costs one Argon2id check, not a thousand (30 ms each).
 * The hash is part of the digest: a key whose row changes no longer
 * matches.  Failures are never remembered, so guessing stays slow.
 */
#define DB_VERIFIED_SLOTS	256
static uint8_t	db_verified_key[crypto_generichash_KEYBYTES];
static uint8_t	db_verified[DB_VERIFIED_SLOTS][crypto_generichash_BYTES];
static int	db_verified_ready;

static void
db_verified_digest(const char *hash, const char *secret, uint8_t *out)
{
	crypto_generichash_state	st;

	if (!db_verified_ready) {
		crypto_generichash_keygen(db_verified_key);
		db_verified_ready = 1;
	}
	crypto_generichash_init(&st, db_verified_key, sizeof(db_verified_key),
	    crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)hash,
	    strlen(hash) + 1);
	crypto_generichash_update(&st, (const uint8_t *)secret,
	    strlen(secret));
	crypto_generichash_final(&st, out, crypto_generichash_BYTES);
}

static int
db_verified_seen(const char *hash, const char *secret)
{
	uint8_t	d[crypto_generichash_BYTES];
	int	seen;

	db_verified_digest(hash, secret, d);
	seen = sodium_memcmp(db_verified[d[0] % DB_VERIFIED_SLOTS], d,
	    sizeof(d)) == 0;
	sodium_memzero(d, sizeof(d));
	return (seen);
}

static void
db_verified_remember(const char *hash, const char *secret)
{
	uint8_t	d[crypto_generichash_BYTES];

	db_verified_digest(hash, secret, d);
	memcpy(db_verified[d[0] % DB_VERIFIED_SLOTS], d, sizeof(d));
	sodium_memzero(d, sizeof(d));
}

static enum db_status	db_secret_verify(const char *, const char *,
			    const char *, char *, size_t);
static int		db_key_split(const char *, const char *, char *,
			    const char **);
static int		db_tag_cmp(const void *, const void *);
static int		db_pak_row(sqlite3_stmt *, struct db_preauthkey *);
static enum db_status	db_pak_update(struct db *, const char *, uint64_t,
			    int, uint64_t *, char *, size_t);
static void		db_apikey_row(sqlite3_stmt *, struct db_apikey *);
static enum db_status	db_apikey_update(struct db *, const char *, uint64_t,
			    const char *, uint64_t *, char *, size_t);
static int		db_apikey_prefix(const char *, char *, size_t);
static enum db_status	db_apikey_touch(struct db *, struct db_apikey *);

/*
 * Secrets.
 */

static int
db_b64url_valid(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return (0);
	return (1);
}

/* n random base64url characters and a NUL; 64 divides 256, no bias. */
static void
db_random_b64url(char *buf, size_t n)
{
	static const char	alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char		raw[DB_KEY_SECRET_LEN];
	size_t			i;

	if (n > sizeof(raw))
		fatalx("%s: %zu bytes asked", __func__, n);
	randombytes_buf(raw, n);
	for (i = 0; i < n; i++)
		buf[i] = alphabet[raw[i] & 63];
	buf[n] = '\0';
	explicit_bzero(raw, sizeof(raw));
}

/*
 * Argon2id with headscale's own parameters for secrets (m=19 MiB, t=2,
 * p=1): about 20 ms, once per create and once per check.  The secrets
 * carry 384 random bits, so the cost is defence in depth, not what
 * keeps them safe; it must stay low enough for every REST request.
 */
static int
db_secret_hash(const char *secret, char *out)
{
	return (crypto_pwhash_argon2id_str(out, secret, strlen(secret),
	    DB_KDF_OPSLIMIT, DB_KDF_MEMLIMIT));
}

/*
 * A random prefix and secret, and the hash of the secret.  Hashing is
 * the slow part: it is done before the write lock is taken.
 */
static enum db_status
db_newkey_make(struct db_newkey *nk, char *err, size_t errlen)
{
	db_random_b64url(nk->nk_prefix, DB_KEY_PREFIX_LEN);
	db_random_b64url(nk->nk_secret, DB_KEY_SECRET_LEN);
	if (db_secret_hash(nk->nk_secret, nk->nk_hash) != 0) {
		db_seterr(err, errlen, "cannot hash the key (out of memory)");
		return (DB_ERROR);
	}
	return (DB_OK);
}

/* Both inserts take the prefix as ?1 and the hash as ?2. */
static void
db_newkey_bind(sqlite3_stmt *st, const struct db_newkey *nk)
{
	db_bind_text(st, 1, nk->nk_prefix);
	sqlite3_bind_blob(st, 2, nk->nk_hash, strlen(nk->nk_hash),
	    SQLITE_TRANSIENT);
}

/*
 * The full key goes to the caller only if the row is in (status ret);
 * either way nothing of it stays behind.
 */
static void
db_newkey_give(struct db_newkey *nk, enum db_status ret, const char *head,
    char *key, size_t keylen)
{
	if (ret == DB_OK)
		(void)snprintf(key, keylen, "%s%s-%s", head, nk->nk_prefix,
		    nk->nk_secret);
	explicit_bzero(nk, sizeof(*nk));
}

/* The hash column as a string; "" if absent or too long to be ours. */
static void
db_column_hash(sqlite3_stmt *st, int col, char *out)
{
	const void	*p;
	int		 n;

	out[0] = '\0';
	p = sqlite3_column_blob(st, col);
	n = sqlite3_column_bytes(st, col);
	if (p == NULL || n <= 0 || (size_t)n >= HASH_BUFSZ)
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* what is "auth-key" or "API key", for the messages. */
static enum db_status
db_secret_verify(const char *hash, const char *secret, const char *what,
    char *err, size_t errlen)
{
	if (strncmp(hash, "$argon2id$", 10) != 0) {
		if (strncmp(hash, "$2", 2) == 0)
			db_seterr(err, errlen, "invalid %s: bcrypt hash "
			    "(imported from headscale) not supported", what);
		else
			db_seterr(err, errlen, "invalid %s: no usable hash",
			    what);
		return (DB_INVALID);
	}
	if (db_verified_seen(hash, secret))
		return (DB_OK);
	if (crypto_pwhash_argon2id_str_verify(hash, secret,
	    strlen(secret)) != 0) {
		db_seterr(err, errlen, "invalid %s", what);
		return (DB_INVALID);
	}
	db_verified_remember(hash, secret);
	return (DB_OK);
}

/*
 * Split head<prefix>-<secret> at fixed positions, as headscale does:
 * '-' is itself in the base64url alphabet.  prefix gets the 12
 * characters and a NUL; *secret points into key.
 */
static int
db_key_split(const char *key, const char *head, char *prefix,
    const char **secret)
{
	const char	*p;
	size_t		 hl;

	hl = strlen(head);
	if (strncmp(key, head, hl) != 0)
		return (-1);
	p = key + hl;
	if (strlen(p) != DB_KEY_PREFIX_LEN + 1 + DB_KEY_SECRET_LEN ||
	    !db_b64url_valid(p, DB_KEY_PREFIX_LEN) ||
	    p[DB_KEY_PREFIX_LEN] != '-' ||
	    !db_b64url_valid(p + DB_KEY_PREFIX_LEN + 1, DB_KEY_SECRET_LEN))
		return (-1);
	memcpy(prefix, p, DB_KEY_PREFIX_LEN);
	prefix[DB_KEY_PREFIX_LEN] = '\0';
	*secret = p + DB_KEY_PREFIX_LEN + 1;
	return (0);
}

/*
 * Tags.
 */

/*
 * "tag:" and a name of printable ASCII without spaces (Tailscale's
 * CheckTag wants ASCII; headscale checks only the prefix).
 */
int
db_tag_valid(const char *tag, char *err, size_t errlen)
{
	size_t	i, len;

	len = strlen(tag);
	if (strncmp(tag, "tag:", 4) != 0) {
		db_seterr(err, errlen, "auth-key tag is invalid: '%.*s' did "
		    "not begin with 'tag:'", DB_TAG_MAX, tag);
		return (-1);
	}
	if (len == 4 || len > DB_TAG_MAX) {
		db_seterr(err, errlen, "auth-key tag is invalid: the name "
		    "must be 1 to %d bytes long", DB_TAG_MAX - 4);
		return (-1);
	}
	for (i = 4; i < len; i++)
		if (!isgraph((unsigned char)tag[i])) {
			db_seterr(err, errlen, "auth-key tag is invalid: "
			    "'%.*s' has a space, control or non-ASCII "
			    "character", DB_TAG_MAX, tag);
			return (-1);
		}
	return (0);
}

static int
db_tag_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/*
 * Validate, sort and deduplicate tags like headscale, as the JSON
 * array text the tags column holds; NULL with a message on bad input.
 * The caller free()s the result.
 */
char *
db_tags_encode(const char *const *tags, size_t ntags, char *err,
    size_t errlen)
{
	const char	*sorted[DB_TAGS_MAX];
	json_t		*a;
	char		*s = NULL;
	size_t		 i;

	if (ntags > DB_TAGS_MAX) {
		db_seterr(err, errlen, "more than %d tags", DB_TAGS_MAX);
		return (NULL);
	}
	if (ntags > 0 && tags == NULL) {
		db_seterr(err, errlen, "no tags given");
		return (NULL);
	}
	for (i = 0; i < ntags; i++) {
		if (tags[i] == NULL) {
			db_seterr(err, errlen, "tag %zu is NULL", i);
			return (NULL);
		}
		if (db_tag_valid(tags[i], err, errlen) == -1)
			return (NULL);
		sorted[i] = tags[i];
	}
	if (ntags > 0)
		qsort(sorted, ntags, sizeof(sorted[0]), db_tag_cmp);
	if ((a = json_array()) == NULL)
		goto oom;
	for (i = 0; i < ntags; i++) {
		if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		if (json_array_append_new(a, json_string(sorted[i])) == -1)
			goto oom;
	}
	s = json_dumps(a, JSON_COMPACT);
 oom:
	json_decref(a);
	if (s == NULL)
		db_seterr(err, errlen, "out of memory");
	return (s);
}

/* A tags column into tags; -1 if it is not an array of valid tags. */
int
db_tags_decode(const char *s, char (*tags)[DB_TAG_MAX + 1], size_t *ntags)
{
	json_t		*a, *v;
	size_t		 i;
	int		 ret = -1;

	*ntags = 0;
	if (s == NULL || *s == '\0')
		return (0);
	if ((a = json_loads(s, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return (-1);
	if (!json_is_array(a) || json_array_size(a) > DB_TAGS_MAX)
		goto done;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) ||
		    db_tag_valid(json_string_value(v), NULL, 0) == -1)
			goto done;
		strlcpy(tags[(*ntags)++], json_string_value(v),
		    sizeof(tags[0]));
	}
	ret = 0;
 done:
	json_decref(a);
	return (ret);
}

/*
 * Pre-auth keys.
 */

/* A PAK_COLS row; -1 if its tags are unreadable (fail closed). */
static int
db_pak_row(sqlite3_stmt *st, struct db_preauthkey *k)
{
	char	legacy[DB_KEY_DISPLAY_MAX + 1];

	memset(k, 0, sizeof(*k));
	k->id = (uint64_t)sqlite3_column_int64(st, 0);
	k->user_id = (uint64_t)sqlite3_column_int64(st, 1);
	db_column_str(st, 2, k->user_name, sizeof(k->user_name));
	db_column_str(st, 3, k->prefix, sizeof(k->prefix));
	if (k->prefix[0] != '\0')
		(void)snprintf(k->display, sizeof(k->display), "%s%s-***",
		    DB_PAK_HEAD, k->prefix);
	else {
		/* headscale lists legacy plaintext keys in full. */
		db_column_str(st, 4, legacy, sizeof(legacy));
		strlcpy(k->display, legacy, sizeof(k->display));
		explicit_bzero(legacy, sizeof(legacy));
	}
	k->reusable = db_column_bool(st, 5);
	k->ephemeral = db_column_bool(st, 6);
	k->used = db_column_bool(st, 7);
	k->expiration = db_column_time(st, 9, 1);
	k->created_at = db_column_time(st, 10, 0);
	db_column_str(st, 11, k->description, sizeof(k->description));
	if (db_tags_decode((const char *)sqlite3_column_text(st, 8), k->tags,
	    &k->ntags) == -1) {
		log_warnx("pre_auth_keys row %llu: unreadable tags",
		    (unsigned long long)k->id);
		return (-1);
	}
	return (0);
}

/*
 * CreatePreAuthKey.  The full key goes into key (keylen at least
 * DB_PAK_LEN + 1), the only time it exists outside the caller.
 */
enum db_status
db_preauthkey_create(struct db *db, const struct db_preauthkey_new *req,
    struct db_preauthkey *out, char *key, size_t keylen, uint64_t *seq,
    char *err, size_t errlen)
{
	static const char sql[] = "INSERT INTO pre_auth_keys (key, prefix,"
	    " hash, user_id, reusable, ephemeral, used, tags, created_at,"
	    " expiration, description)"
	    " VALUES ('', ?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9)";
	struct db_newkey nk;
	sqlite3_stmt	*st;
	char		*tags;
	enum db_status	 ret;
	uint64_t	 id;

	if (keylen < DB_PAK_LEN + 1) {
		db_seterr(err, errlen, "key buffer too small");
		return (DB_INVALID);
	}
	if (req->user_id == 0 && req->ntags == 0) {
		db_seterr(err, errlen, "auth-key must be either tagged or "
		    "owned by user");
		return (DB_INVALID);
	}
	if (req->expiration < 0 || db_text_valid(req->description,
	    DB_DESCRIPTION_MAX, "description", err, errlen) == -1) {
		if (req->expiration < 0)
			db_seterr(err, errlen, "invalid expiration");
		return (DB_INVALID);
	}
	if ((tags = db_tags_encode(req->tags, req->ntags, err, errlen)) ==
	    NULL)
		return (DB_INVALID);
	if ((ret = db_newkey_make(&nk, err, errlen)) != DB_OK ||
	    (ret = db_op_begin(db, err, errlen)) != DB_OK)
		goto out;
	if (req->user_id != 0) {
		struct db_user	u;

		if ((ret = db_user_get(db, req->user_id, &u, err, errlen)) !=
		    DB_OK)
			goto done;
	}
	if ((st = db_stmt(db, sql, err, errlen)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	db_newkey_bind(st, &nk);
	db_bind_id(st, 3, req->user_id);
	sqlite3_bind_int(st, 4, req->reusable != 0);
	sqlite3_bind_int(st, 5, req->ephemeral != 0);
	db_bind_text(st, 6, tags);
	db_bind_time(st, 7, db_now());
	db_bind_time(st, 8, req->expiration);
	db_bind_text(st, 9, req->description != NULL ? req->description : "");
	ret = db_step_done(db, st, "creating pre-auth key", err, errlen);
	db_stmt_done(st);
	if (ret != DB_OK)
		goto done;
	id = (uint64_t)sqlite3_last_insert_rowid(db->db_sql);
	if ((ret = db_bump_seq(db, err, errlen)) == DB_OK && out != NULL)
		ret = db_preauthkey_get(db, id, out, err, errlen);
 done:
	ret = db_op_end(db, ret, seq, err, errlen);
 out:
	db_newkey_give(&nk, ret, DB_PAK_HEAD, key, keylen);
	free(tags);
	return (ret);
}

enum db_status
db_preauthkey_get(struct db *db, uint64_t id, struct db_preauthkey *k,
    char *err, size_t errlen)
{
	static const char sql[] = "SELECT " PAK_COLS PAK_FROM
	    " WHERE k.id = ?1";
	sqlite3_stmt	*st;
	enum db_status	 ret;

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if ((ret = db_step_row(db, st, "auth-key not found",
	    "reading pre-auth key", err, errlen)) == DB_OK &&
	    db_pak_row(st, k) == -1) {
		db_seterr(err, errlen, "pre-auth key %llu has unreadable tags",
		    (unsigned long long)id);
		ret = DB_ERROR;
	}
	db_stmt_done(st);
	return (ret);
}

/* ListPreAuthKeys: every key, secrets never. */
enum db_status
db_preauthkey_list(struct db *db,
    int (*cb)(const struct db_preauthkey *, void *), void *arg, char *err,
    size_t errlen)
{
	static const char sql[] = "SELECT " PAK_COLS PAK_FROM
	    " ORDER BY k.id";
	sqlite3_stmt		*st;
	struct db_preauthkey	*k;
	enum db_status		 ret = DB_OK;
	int			 rc;

	if ((k = malloc(sizeof(*k))) == NULL) {
		db_seterr(err, errlen, "out of memory");
		return (DB_ERROR);
	}
	if ((st = db_list_stmt(db, sql, "listing pre-auth keys", err,
	    errlen)) == NULL) {
		free(k);
		return (DB_ERROR);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_pak_row(st, k) == -1) {
			db_seterr(err, errlen, "pre-auth key %llu has "
			    "unreadable tags", (unsigned long long)k->id);
			ret = DB_ERROR;
			break;
		}
		if (cb(k, arg) != 0)
			break;
	}
	if (ret == DB_OK)
		ret = db_list_end(db, rc, "listing pre-auth keys", err,
		    errlen);
	sqlite3_finalize(st);
	explicit_bzero(k, sizeof(*k));	/* legacy keys show in full */
	free(k);
	return (ret);
}

/*
 * The key row for a full key string if its secret matches, usable or
 * not (re-registration accepts a used key).  DB_NOTFOUND for an unknown
 * key, DB_INVALID for a malformed one or a wrong secret.
 */
enum db_status
db_preauthkey_find(struct db *db, const char *key, struct db_preauthkey *k,
    char *err, size_t errlen)
{
	static const char by_prefix[] = "SELECT " PAK_COLS ", k.hash"
	    PAK_FROM " WHERE k.prefix = ?1";
	static const char by_key[] = "SELECT " PAK_COLS PAK_FROM
	    " WHERE k.key = ?1 AND k.key != ''";
	sqlite3_stmt	*st;
	const char	*secret = NULL;
	char		 prefix[DB_KEY_PREFIX_LEN + 1], hash[HASH_BUFSZ] = "";
	enum db_status	 ret;
	int		 legacy;

	legacy = strncmp(key, DB_PAK_HEAD, strlen(DB_PAK_HEAD)) != 0;
	if (*key == '\0' || strlen(key) > DB_KEY_INPUT_MAX ||
	    (!legacy && db_key_split(key, DB_PAK_HEAD, prefix,
	    &secret) == -1)) {
		db_seterr(err, errlen, "failed to parse auth-key");
		return (DB_INVALID);
	}
	if ((st = db_stmt(db, legacy ? by_key : by_prefix, err, errlen)) ==
	    NULL)
		return (DB_ERROR);
	db_bind_text(st, 1, legacy ? key : prefix);
	if ((ret = db_step_row(db, st, "auth-key not found",
	    "reading pre-auth key", err, errlen)) == DB_OK) {
		if (db_pak_row(st, k) == -1) {
			db_seterr(err, errlen, "auth-key has unreadable tags");
			ret = DB_ERROR;
		} else if (!legacy)
			db_column_hash(st, PAK_NCOLS, hash);
	}
	/* Let go of the row before the slow part. */
	db_stmt_done(st);
	if (ret == DB_OK && !legacy)
		ret = db_secret_verify(hash, secret, "auth-key", err, errlen);
	explicit_bzero(hash, sizeof(hash));
	if (ret != DB_OK)
		explicit_bzero(k, sizeof(*k));
	return (ret);
}

/* db_preauthkey_find(), then headscale's PreAuthKey.Validate(). */
enum db_status
db_preauthkey_validate(struct db *db, const char *key,
    struct db_preauthkey *k, char *err, size_t errlen)
{
	enum db_status	ret;

	if ((ret = db_preauthkey_find(db, key, k, err, errlen)) != DB_OK)
		return (ret);
	/* An expiry of now is expired: "expire" means from this second. */
	if (k->expiration != 0 && k->expiration <= db_now()) {
		db_seterr(err, errlen, "authkey expired");
		ret = DB_INVALID;
	} else if (!k->reusable && k->used) {
		db_seterr(err, errlen, "authkey already used");
		ret = DB_INVALID;
	}
	if (ret != DB_OK)
		explicit_bzero(k, sizeof(*k));
	return (ret);
}

/*
 * Mark a single-use key used, atomically: two registrations racing for
 * one key cannot both win.  A reusable key is never marked, as in
 * headscale, and this is then a no-op without a change.
 */
enum db_status
db_preauthkey_use(struct db *db, uint64_t id, uint64_t *seq, char *err,
    size_t errlen)
{
	static const char sql[] = "UPDATE pre_auth_keys SET used = 1"
	    " WHERE id = ?1 AND NOT used AND NOT reusable";
	struct db_preauthkey	*k = NULL;
	enum db_status		 ret;

	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((ret = db_write_id(db, sql, id, "using pre-auth key", err,
	    errlen)) != DB_OK)
		goto done;
	if (sqlite3_changes(db->db_sql) == 1) {
		ret = db_bump_seq(db, err, errlen);
		goto done;
	}
	if ((k = malloc(sizeof(*k))) == NULL) {
		db_seterr(err, errlen, "out of memory");
		ret = DB_ERROR;
	} else if ((ret = db_preauthkey_get(db, id, k, err, errlen)) ==
	    DB_OK && !k->reusable) {
		db_seterr(err, errlen, "authkey already used");
		ret = DB_INVALID;
	}
 done:
	free(k);
	return (db_op_end(db, ret, seq, err, errlen));
}

/*
 * ExpirePreAuthKey (sql sets expiration = ?2, bound to now) or
 * DeletePreAuthKey (delete set); DB_NOTFOUND if there is no such key.
 */
static enum db_status
db_pak_update(struct db *db, const char *sql, uint64_t id, int delete,
    uint64_t *seq, char *err, size_t errlen)
{
	static const char unlink_sql[] =
	    "UPDATE nodes SET auth_key_id = NULL WHERE auth_key_id = ?1";
	enum db_status	 ret = DB_OK;

	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	/* A deleted key is first forgotten by the nodes it registered. */
	if (delete)
		ret = db_write_id(db, unlink_sql, id, "unlinking nodes", err,
		    errlen);
	if (ret == DB_OK)
		ret = db_write_id(db, sql, id, "updating pre-auth key", err,
		    errlen);
	if (ret == DB_OK && sqlite3_changes(db->db_sql) == 0) {
		db_seterr(err, errlen, "auth-key not found");
		ret = DB_NOTFOUND;
	}
	if (ret == DB_OK)
		ret = db_bump_seq(db, err, errlen);
	return (db_op_end(db, ret, seq, err, errlen));
}

enum db_status
db_preauthkey_expire(struct db *db, uint64_t id, uint64_t *seq, char *err,
    size_t errlen)
{
	static const char sql[] =
	    "UPDATE pre_auth_keys SET expiration = ?2 WHERE id = ?1";

	return (db_pak_update(db, sql, id, 0, seq, err, errlen));
}

enum db_status
db_preauthkey_delete(struct db *db, uint64_t id, uint64_t *seq, char *err,
    size_t errlen)
{
	static const char sql[] = "DELETE FROM pre_auth_keys WHERE id = ?1";

	return (db_pak_update(db, sql, id, 1, seq, err, errlen));
}

/*
 * API keys.
 */

static void
db_apikey_row(sqlite3_stmt *st, struct db_apikey *k)
{
	memset(k, 0, sizeof(*k));
	k->id = (uint64_t)sqlite3_column_int64(st, 0);
	db_column_str(st, 1, k->prefix, sizeof(k->prefix));
	if (strlen(k->prefix) == DB_KEY_PREFIX_LEN)
		(void)snprintf(k->display, sizeof(k->display), "%s%s-***",
		    DB_APIKEY_HEAD, k->prefix);
	else
		(void)snprintf(k->display, sizeof(k->display), "%s***",
		    k->prefix);
	k->expiration = db_column_time(st, 2, 1);
	k->created_at = db_column_time(st, 3, 0);
	k->last_seen = db_column_time(st, 4, 0);
}

/*
 * headscale's ParseAPIKeyPrefix: "hskey-api-<12>-***", "hskey-api-<12>",
 * the bare 12, or a legacy 7 (with or without the "***" lists show).
 */
static int
db_apikey_prefix(const char *in, char *out, size_t outlen)
{
	size_t	hl, len;

	hl = strlen(DB_APIKEY_HEAD);
	if (strncmp(in, DB_APIKEY_HEAD, hl) == 0) {
		in += hl;
		len = DB_KEY_PREFIX_LEN;
		if (strlen(in) < len)
			return (-1);
	} else {
		len = strlen(in);
		if (len > 3 && strcmp(in + len - 3, "***") == 0)
			len -= 3;
		if (len > DB_KEY_PREFIX_LEN)
			return (-1);
	}
	if (len == 0 || len >= outlen || !db_b64url_valid(in, len))
		return (-1);
	memcpy(out, in, len);
	out[len] = '\0';
	return (0);
}

/*
 * CreateApiKey.  The full key goes into key (keylen at least
 * DB_APIKEY_LEN + 1), the only time it exists outside the caller.
 */
enum db_status
db_apikey_create(struct db *db, time_t expiration, struct db_apikey *out,
    char *key, size_t keylen, uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "INSERT INTO api_keys (prefix, hash,"
	    " created_at, expiration) VALUES (?1, ?2, ?3, ?4)";
	struct db_newkey nk;
	sqlite3_stmt	*st;
	enum db_status	 ret;
	uint64_t	 id;

	if (keylen < DB_APIKEY_LEN + 1 || expiration < 0) {
		db_seterr(err, errlen, keylen < DB_APIKEY_LEN + 1 ?
		    "key buffer too small" : "invalid expiration");
		return (DB_INVALID);
	}
	if ((ret = db_newkey_make(&nk, err, errlen)) != DB_OK ||
	    (ret = db_op_begin(db, err, errlen)) != DB_OK)
		goto out;
	if ((st = db_stmt(db, sql, err, errlen)) == NULL) {
		ret = DB_ERROR;
		goto done;
	}
	db_newkey_bind(st, &nk);
	db_bind_time(st, 3, db_now());
	db_bind_time(st, 4, expiration);
	ret = db_step_done(db, st, "creating API key", err, errlen);
	db_stmt_done(st);
	if (ret != DB_OK)
		goto done;
	id = (uint64_t)sqlite3_last_insert_rowid(db->db_sql);
	if ((ret = db_bump_seq(db, err, errlen)) == DB_OK && out != NULL)
		ret = db_apikey_get(db, id, NULL, out, err, errlen);
 done:
	ret = db_op_end(db, ret, seq, err, errlen);
 out:
	db_newkey_give(&nk, ret, DB_APIKEY_HEAD, key, keylen);
	return (ret);
}

/* One API key by id, or by prefix (any form lists show) if id is 0. */
enum db_status
db_apikey_get(struct db *db, uint64_t id, const char *prefix,
    struct db_apikey *k, char *err, size_t errlen)
{
	static const char by_id[] = "SELECT " APIKEY_COLS
	    " FROM api_keys WHERE id = ?1";
	static const char by_prefix[] = "SELECT " APIKEY_COLS
	    " FROM api_keys WHERE prefix = ?1";
	sqlite3_stmt	*st;
	char		 p[DB_KEY_PREFIX_LEN + 1];
	enum db_status	 ret;

	if (id == 0 && (prefix == NULL ||
	    db_apikey_prefix(prefix, p, sizeof(p)) == -1)) {
		db_seterr(err, errlen, "failed to parse ApiKey prefix");
		return (DB_INVALID);
	}
	if ((st = db_stmt(db, id != 0 ? by_id : by_prefix, err, errlen)) ==
	    NULL)
		return (DB_ERROR);
	if (id != 0)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	else
		db_bind_text(st, 1, p);
	if ((ret = db_step_row(db, st, "API key not found", "reading API key",
	    err, errlen)) == DB_OK)
		db_apikey_row(st, k);
	db_stmt_done(st);
	return (ret);
}

enum db_status
db_apikey_list(struct db *db, int (*cb)(const struct db_apikey *, void *),
    void *arg, char *err, size_t errlen)
{
	static const char sql[] = "SELECT " APIKEY_COLS
	    " FROM api_keys ORDER BY id";
	sqlite3_stmt		*st;
	struct db_apikey	 k;
	enum db_status		 ret;
	int			 rc;

	if ((st = db_list_stmt(db, sql, "listing API keys", err, errlen)) ==
	    NULL)
		return (DB_ERROR);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_apikey_row(st, &k);
		if (cb(&k, arg) != 0)
			break;
	}
	ret = db_list_end(db, rc, "listing API keys", err, errlen);
	sqlite3_finalize(st);
	return (ret);
}

/* ExpireApiKey / DeleteApiKey: by id, or by prefix if id is 0. */
static enum db_status
db_apikey_update(struct db *db, const char *sql, uint64_t id,
    const char *prefix, uint64_t *seq, char *err, size_t errlen)
{
	struct db_apikey	 k;
	enum db_status		 ret;

	if (db_op_begin(db, err, errlen) != DB_OK)
		return (DB_ERROR);
	if ((ret = db_apikey_get(db, id, prefix, &k, err, errlen)) == DB_OK)
		ret = db_write_id(db, sql, k.id, "updating API key", err,
		    errlen);
	if (ret == DB_OK)
		ret = db_bump_seq(db, err, errlen);
	return (db_op_end(db, ret, seq, err, errlen));
}

enum db_status
db_apikey_expire(struct db *db, uint64_t id, const char *prefix,
    uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] =
	    "UPDATE api_keys SET expiration = ?2 WHERE id = ?1";

	return (db_apikey_update(db, sql, id, prefix, seq, err, errlen));
}

enum db_status
db_apikey_delete(struct db *db, uint64_t id, const char *prefix,
    uint64_t *seq, char *err, size_t errlen)
{
	static const char sql[] = "DELETE FROM api_keys WHERE id = ?1";

	return (db_apikey_update(db, sql, id, prefix, seq, err, errlen));
}

/*
 * Keep last_seen roughly current without a write per request: at most
 * one per DB_LAST_SEEN_SLACK seconds per key.  It is a hot, loss-
 * tolerant field, not replicated, so it does not bump change_seq; a
 * failure is logged and does not fail the check.
 */
static enum db_status
db_apikey_touch(struct db *db, struct db_apikey *k)
{
	static const char sql[] =
	    "UPDATE api_keys SET last_seen = ?2 WHERE id = ?1";
	sqlite3_stmt	*st;
	char		 err[256];
	enum db_status	 ret;
	time_t		 now;

	now = db_now();
	if (k->last_seen != 0 && now - k->last_seen < DB_LAST_SEEN_SLACK &&
	    now >= k->last_seen)
		return (DB_OK);
	if (db_op_begin(db, err, sizeof(err)) != DB_OK)
		goto fail;
	if ((st = db_stmt(db, sql, err, sizeof(err))) == NULL)
		ret = DB_ERROR;
	else {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)k->id);
		db_bind_time(st, 2, now);
		ret = db_step_done(db, st, "last_seen", err, sizeof(err));
		db_stmt_done(st);
	}
	if (db_op_end(db, ret, NULL, err, sizeof(err)) != DB_OK)
		goto fail;
	k->last_seen = now;
	return (DB_OK);
 fail:
	log_warnx("%s: %s", __func__, err);
	return (DB_ERROR);
}

/*
 * Check a bearer key: DB_OK with its row if the secret matches and it
 * has not expired.  DB_NOTFOUND for an unknown prefix, DB_INVALID for a
 * malformed key, a wrong secret or an expired key.
 */
/*
 * A key that does not parse, or whose prefix is unknown, still costs
 * one Argon2id verification, against a hash of nothing in particular:
 * otherwise the time of a refusal would tell a caller which prefixes
 * exist, and a missing key from a wrong one.
 */
static void
db_apikey_burn(const char *key)
{
	static char	dummy[HASH_BUFSZ];
	uint8_t		rnd[32];
	volatile int	sink;

	if (dummy[0] == '\0') {
		randombytes_buf(rnd, sizeof(rnd));
		if (crypto_pwhash_argon2id_str(dummy, (const char *)rnd,
		    sizeof(rnd), DB_KDF_OPSLIMIT, DB_KDF_MEMLIMIT) != 0)
			dummy[0] = '\0';
		explicit_bzero(rnd, sizeof(rnd));
	}
	if (dummy[0] != '\0')
		sink = crypto_pwhash_argon2id_str_verify(dummy, key,
		    strnlen(key, DB_KEY_INPUT_MAX));
	(void)sink;
}

enum db_status
db_apikey_check(struct db *db, const char *key, struct db_apikey *k,
    char *err, size_t errlen)
{
	static const char sql[] = "SELECT " APIKEY_COLS ", hash"
	    " FROM api_keys WHERE prefix = ?1";
	sqlite3_stmt	*st;
	const char	*secret = NULL, *dot;
	char		 prefix[DB_KEY_PREFIX_LEN + 1], hash[HASH_BUFSZ] = "";
	enum db_status	 ret;
	int		 bad;

	if (*key == '\0' || strlen(key) > DB_KEY_INPUT_MAX)
		bad = 1;
	else if (strncmp(key, DB_APIKEY_HEAD, strlen(DB_APIKEY_HEAD)) == 0)
		bad = db_key_split(key, DB_APIKEY_HEAD, prefix, &secret) == -1;
	else if ((dot = strchr(key, '.')) != NULL &&
	    dot - key == DB_APIKEY_LEGACY_PREFIX_LEN && dot[1] != '\0') {
		/* Legacy "<7 char prefix>.<secret>". */
		memcpy(prefix, key, DB_APIKEY_LEGACY_PREFIX_LEN);
		prefix[DB_APIKEY_LEGACY_PREFIX_LEN] = '\0';
		secret = dot + 1;
		bad = 0;
	} else
		bad = 1;
	if (bad) {
		db_apikey_burn(key);
		db_seterr(err, errlen, "failed to parse ApiKey");
		return (DB_INVALID);
	}

	if ((st = db_stmt(db, sql, err, errlen)) == NULL)
		return (DB_ERROR);
	db_bind_text(st, 1, prefix);
	if ((ret = db_step_row(db, st, "API key not found", "reading API key",
	    err, errlen)) == DB_OK) {
		db_apikey_row(st, k);
		db_column_hash(st, APIKEY_NCOLS, hash);
	}
	db_stmt_done(st);
	if (ret == DB_NOTFOUND)
		db_apikey_burn(secret);
	if (ret == DB_OK)
		ret = db_secret_verify(hash, secret, "API key", err, errlen);
	explicit_bzero(hash, sizeof(hash));
	if (ret == DB_OK && k->expiration != 0 &&
	    k->expiration <= db_now()) {
		db_seterr(err, errlen, "API key expired");
		ret = DB_INVALID;
	}
	if (ret == DB_OK)
		(void)db_apikey_touch(db, k);
	else
		memset(k, 0, sizeof(*k));
	return (ret);
}
