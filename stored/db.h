/*
 * The database of stored: schema, migrations, and the operations on
 * users, pre-auth keys, API keys and nodes.  Plain functions over one
 * SQLite connection; stored.c turns imsg requests into these calls.
 *
 * Conventions:
 * - Every operation returns an enum db_status.  Unless it is DB_OK a
 *   sentence explaining why is written into the caller's err buffer
 *   (err may be NULL).  The status tells the kind of failure, so that
 *   apid can map it to a gRPC/HTTP code without parsing the text.
 * - A write outside db_begin()/db_commit() is its own transaction.
 *   Inside a batch (group commit) it is a savepoint: a failed operation
 *   undoes only itself and the batch goes on; nothing is durable before
 *   db_commit().
 * - Every successful write that changes replicated state bumps the
 *   change sequence number in the same transaction and returns the new
 *   value through *seq (seq may be NULL).  Inside a batch that number
 *   becomes durable at db_commit(); db_change_seq() is the last durable
 *   one.
 * - Times are time_t seconds, UTC.  An expiration of 0 means "never";
 *   a created_at of 0 means "unknown".
 * - Listings call a callback once per row with a record valid only
 *   during the call.  The callback returns 0 to go on; anything else
 *   stops the listing, which then returns DB_ERROR.  Callbacks may call
 *   the read operations of this file, never the writes.
 * - Reads inside a batch see its uncommitted writes (one connection);
 *   db_snapshot() outside a batch reads one consistent state and
 *   returns the change_seq that state corresponds to.
 * - Secrets: full keys are only ever returned by the create calls, into
 *   a caller buffer the caller must explicit_bzero() after use.  The
 *   database holds the public prefix and an Argon2id hash.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DB_SCHEMA_VERSION	4

/* Durable bounds on what we accept, in bytes without the NUL. */
#define DB_NAME_MAX		63	/* user name, given_name */
#define DB_DISPLAY_NAME_MAX	255
#define DB_EMAIL_MAX		254
#define DB_PROVIDER_ID_MAX	511	/* OIDC iss + sub */
#define DB_PROVIDER_MAX		31
#define DB_URL_MAX		2047
#define DB_HOSTNAME_MAX		255
#define DB_TAGS_MAX		64	/* tags per key or node */
#define DB_TAG_MAX		127	/* one "tag:..." */
#define DB_DESCRIPTION_MAX	50	/* pre-auth key description */
#define DB_NODEKEY_MAX		79	/* "discokey:" + 64 hex */
#define DB_IP_MAX		45
#define DB_ENDPOINTS_MAX	64	/* endpoints per node */
#define DB_ENDPOINT_MAX		64	/* "ip:port" or "[v6]:port" */
#define DB_HOSTINFO_MAX		16384	/* Hostinfo JSON of a node */
#define DB_ROUTES_MAX		64	/* approved routes per node */
#define DB_ROUTE_MAX		49	/* "v6/128" */
#define DB_NODE_PTRS		(DB_ENDPOINTS_MAX + DB_ROUTES_MAX)
#define DB_POLICY_MAX		(512 * 1024)

/* Credential formats, as headscale 0.28+ writes them. */
#define DB_PAK_HEAD		"hskey-auth-"
#define DB_APIKEY_HEAD		"hskey-api-"
#define DB_KEY_PREFIX_LEN	12
#define DB_KEY_SECRET_LEN	64
#define DB_APIKEY_LEGACY_PREFIX_LEN 7
#define DB_PAK_LEN		(sizeof(DB_PAK_HEAD) - 1 + \
				    DB_KEY_PREFIX_LEN + 1 + DB_KEY_SECRET_LEN)
#define DB_APIKEY_LEN		(sizeof(DB_APIKEY_HEAD) - 1 + \
				    DB_KEY_PREFIX_LEN + 1 + DB_KEY_SECRET_LEN)
#define DB_KEY_BUFSZ		96	/* holds either full key and a NUL */
#define DB_KEY_INPUT_MAX	255	/* longest key string we will parse */
#define DB_KEY_DISPLAY_MAX	127	/* "hskey-auth-<prefix>-***", legacy */

/* Argon2id cost of key hashes: headscale's own (m=19 MiB, t=2, p=1). */
#define DB_KDF_OPSLIMIT		2
#define DB_KDF_MEMLIMIT		(19U * 1024 * 1024)

/* How stale api_keys.last_seen may get before a check rewrites it. */
#define DB_LAST_SEEN_SLACK	60

enum db_status {
	DB_OK = 0,
	DB_NOTFOUND,		/* no such row */
	DB_EXISTS,		/* a unique name, prefix or key is taken */
	DB_INVALID,		/* bad input, or a rule of the data model */
	DB_ERROR		/* SQLite, I/O, allocation, or a callback */
};

struct db;

struct db_user {
	uint64_t	id;
	char		name[DB_NAME_MAX + 1];
	char		display_name[DB_DISPLAY_NAME_MAX + 1];
	char		email[DB_EMAIL_MAX + 1];
	char		provider_identifier[DB_PROVIDER_ID_MAX + 1]; /* "" NULL */
	char		provider[DB_PROVIDER_MAX + 1];
	char		profile_pic_url[DB_URL_MAX + 1];
	time_t		created_at;
	time_t		updated_at;
};

/* ListUsers filter: zero/NULL/"" fields match everything. */
struct db_user_filter {
	uint64_t	 id;
	const char	*name;
	const char	*email;
};

struct db_preauthkey {
	uint64_t	id;
	uint64_t	user_id;		/* 0: none */
	char		user_name[DB_NAME_MAX + 1];	/* "" if none */
	char		prefix[DB_KEY_PREFIX_LEN + 1];	/* "" if legacy */
	char		display[DB_KEY_DISPLAY_MAX + 1]; /* what lists show */
	int		reusable;
	int		ephemeral;
	int		used;
	time_t		expiration;		/* 0: never */
	time_t		created_at;
	char		description[DB_DESCRIPTION_MAX + 1];
	size_t		ntags;
	char		tags[DB_TAGS_MAX][DB_TAG_MAX + 1]; /* sorted, unique */
};

/* Arguments of CreatePreAuthKey. */
struct db_preauthkey_new {
	uint64_t		 user_id;	/* 0: none, then tags needed */
	int			 reusable;
	int			 ephemeral;
	time_t			 expiration;	/* 0: never */
	const char *const	*tags;
	size_t			 ntags;
	const char		*description;	/* may be NULL */
};

struct db_apikey {
	uint64_t	id;
	char		prefix[DB_KEY_PREFIX_LEN + 1];	/* 12, or 7 legacy */
	char		display[DB_KEY_DISPLAY_MAX + 1];
	time_t		expiration;		/* 0: never */
	time_t		created_at;
	time_t		last_seen;		/* 0: never */
};

#define DB_REGMETHOD_MAX	15	/* "authkey", "cli", "oidc" */

/*
 * A node row with what it joins: ephemeral comes from its pre-auth key.
 * Big (about 30 KiB): allocate rather than put on the stack.
 */
struct db_node {
	uint64_t	id;
	uint64_t	user_id;		/* 0: tagged node */
	char		hostname[DB_HOSTNAME_MAX + 1];
	char		given_name[DB_NAME_MAX + 1];
	char		ipv4[DB_IP_MAX + 1];
	char		ipv6[DB_IP_MAX + 1];
	char		machine_key[DB_NODEKEY_MAX + 1];
	char		node_key[DB_NODEKEY_MAX + 1];
	char		disco_key[DB_NODEKEY_MAX + 1];	/* "" if unknown */
	char		register_method[DB_REGMETHOD_MAX + 1];
	uint64_t	auth_key_id;		/* 0: none */
	time_t		expiry;			/* 0: never */
	time_t		created_at;
	time_t		updated_at;
	time_t		last_seen;		/* 0: never */
	int		ephemeral;
	size_t		ntags;
	char		tags[DB_TAGS_MAX][DB_TAG_MAX + 1]; /* sorted, unique */
	size_t		nendpoints;
	char		endpoints[DB_ENDPOINTS_MAX][DB_ENDPOINT_MAX + 1];
	char		host_info[DB_HOSTINFO_MAX + 1];	/* JSON, "" if none */
	size_t		nroutes;		/* approved routes */
	char		routes[DB_ROUTES_MAX][DB_ROUTE_MAX + 1];
};

/*
 * What a client reports about itself.  NULL or "" strings, set_endpoints
 * 0 and last_seen 0 leave the column as it is.
 */
struct db_node_update {
	const char		*node_key;	/* must be the node's */
	const char		*disco_key;	/* "discokey:" + 64 hex */
	int			 set_endpoints;
	const char *const	*endpoints;	/* ip:port, [v6]:port */
	size_t			 nendpoints;
	const char		*host_info;	/* a JSON object */
	time_t			 last_seen;
	const char		*new_node_key;	/* key rotation */
};

/*
 * Arguments of a registration.  A node is owned by a user (user_id,
 * no tags) or by tags (user_id 0).  NULL strings are "".
 */
struct db_node_new {
	const char		*machine_key;	/* "mkey:" + 64 hex */
	const char		*node_key;	/* "nodekey:" + 64 hex */
	const char		*disco_key;	/* "discokey:" + 64 hex or "" */
	const char		*hostname;
	const char		*given_name;	/* a free DNS label */
	uint64_t		 user_id;
	const char *const	*tags;
	size_t			 ntags;
	const char		*ipv4;		/* "" or NULL: none */
	const char		*ipv6;
	const char		*register_method; /* authkey, cli, oidc */
	uint64_t		 auth_key_id;	/* 0: none; else marked used */
	time_t			 expiry;	/* 0: never */
	const char		*host_info;	/* JSON object; NULL: "{}" */
};

/* Per-kind callbacks of db_snapshot(); NULL members are skipped. */
struct db_snapshot_cb {
	int	(*user)(const struct db_user *, void *);
	int	(*preauthkey)(const struct db_preauthkey *, void *);
	int	(*apikey)(const struct db_apikey *, void *);
	int	(*node)(const struct db_node *, void *);
};

/* db.c */
struct db	*db_open(const char *, int, int, char *, size_t);
struct db	*db_open_version(const char *, int, int, int, char *, size_t);
void		 db_close(struct db *);
int		 db_schema_version(struct db *);
enum db_status	 db_begin(struct db *, char *, size_t);
enum db_status	 db_commit(struct db *, char *, size_t);
enum db_status	 db_rollback(struct db *, char *, size_t);
int		 db_in_batch(struct db *);
uint64_t	 db_change_seq(struct db *);
enum db_status	 db_snapshot(struct db *, const struct db_snapshot_cb *,
		    void *, uint64_t *, char *, size_t);
const char	*db_strstatus(enum db_status);

/* db_users.c */
int		 db_user_name_valid(const char *, char *, size_t);
enum db_status	 db_user_create(struct db *, const struct db_user *,
		    struct db_user *, uint64_t *, char *, size_t);
enum db_status	 db_user_get(struct db *, uint64_t, struct db_user *,
		    char *, size_t);
enum db_status	 db_user_get_by_name(struct db *, const char *,
		    struct db_user *, char *, size_t);
enum db_status	 db_user_list(struct db *, const struct db_user_filter *,
		    int (*)(const struct db_user *, void *), void *,
		    char *, size_t);
enum db_status	 db_user_rename(struct db *, uint64_t, const char *,
		    struct db_user *, uint64_t *, char *, size_t);
enum db_status	 db_user_delete(struct db *, uint64_t, uint64_t *,
		    char *, size_t);

/* db_keys.c */
int		 db_tag_valid(const char *, char *, size_t);
enum db_status	 db_preauthkey_create(struct db *,
		    const struct db_preauthkey_new *, struct db_preauthkey *,
		    char *, size_t, uint64_t *, char *, size_t);
enum db_status	 db_preauthkey_get(struct db *, uint64_t,
		    struct db_preauthkey *, char *, size_t);
enum db_status	 db_preauthkey_list(struct db *,
		    int (*)(const struct db_preauthkey *, void *), void *,
		    char *, size_t);
enum db_status	 db_preauthkey_find(struct db *, const char *,
		    struct db_preauthkey *, char *, size_t);
enum db_status	 db_preauthkey_validate(struct db *, const char *,
		    struct db_preauthkey *, char *, size_t);
enum db_status	 db_preauthkey_use(struct db *, uint64_t, uint64_t *,
		    char *, size_t);
enum db_status	 db_preauthkey_expire(struct db *, uint64_t, uint64_t *,
		    char *, size_t);
enum db_status	 db_preauthkey_delete(struct db *, uint64_t, uint64_t *,
		    char *, size_t);
enum db_status	 db_apikey_create(struct db *, time_t, struct db_apikey *,
		    char *, size_t, uint64_t *, char *, size_t);
enum db_status	 db_apikey_get(struct db *, uint64_t, const char *,
		    struct db_apikey *, char *, size_t);
enum db_status	 db_apikey_list(struct db *,
		    int (*)(const struct db_apikey *, void *), void *,
		    char *, size_t);
enum db_status	 db_apikey_expire(struct db *, uint64_t, const char *,
		    uint64_t *, char *, size_t);
enum db_status	 db_apikey_delete(struct db *, uint64_t, const char *,
		    uint64_t *, char *, size_t);
enum db_status	 db_apikey_check(struct db *, const char *,
		    struct db_apikey *, char *, size_t);

/* db_nodes.c */
enum db_status	 db_node_count_for_user(struct db *, uint64_t, uint64_t *,
		    char *, size_t);
enum db_status	 db_node_list(struct db *,
		    int (*)(const struct db_node *, void *), void *,
		    char *, size_t);
enum db_status	 db_node_insert_raw(struct db *, const struct db_node *,
		    uint64_t, uint64_t *, uint64_t *, char *, size_t);
int		 db_node_key_valid(const char *, const char *);
enum db_status	 db_node_register(struct db *, const struct db_node_new *,
		    struct db_node *, uint64_t *, char *, size_t);
enum db_status	 db_node_get(struct db *, uint64_t, struct db_node *,
		    char *, size_t);
enum db_status	 db_node_get_by_machine_key(struct db *, const char *,
		    struct db_node *, char *, size_t);
int		 db_node_given_name_taken(struct db *, const char *,
		    uint64_t);
enum db_status	 db_node_set_node_key(struct db *, uint64_t,
		    const struct db_node_new *, struct db_node *, uint64_t *,
		    char *, size_t);
enum db_status	 db_node_delete(struct db *, uint64_t, struct db_node *,
		    uint64_t *, char *, size_t);
enum db_status	 db_node_expire(struct db *, uint64_t, time_t,
		    struct db_node *, uint64_t *, char *, size_t);
enum db_status	 db_node_rename(struct db *, uint64_t, const char *,
		    struct db_node *, uint64_t *, char *, size_t);
int		 db_node_endpoint_valid(const char *);
enum db_status	 db_node_update(struct db *, uint64_t,
		    const struct db_node_update *, struct db_node *, int *,
		    uint64_t *, char *, size_t);

/* db_admin.c: the admin's changes to nodes, and the policy */
enum db_status	 db_node_set_tags(struct db *, uint64_t,
		    const char *const *, size_t, struct db_node *,
		    uint64_t *, char *, size_t);
enum db_status	 db_node_set_routes(struct db *, uint64_t,
		    const char *const *, size_t, struct db_node *,
		    uint64_t *, char *, size_t);
enum db_status	 db_node_move(struct db *, uint64_t, uint64_t,
		    struct db_node *, uint64_t *, char *, size_t);
enum db_status	 db_node_set_ips(struct db *, uint64_t, const char *,
		    const char *, struct db_node *, uint64_t *, char *,
		    size_t);
enum db_status	 db_policy_get(struct db *, char **, time_t *, char *,
		    size_t);
enum db_status	 db_policy_set(struct db *, const char *, time_t *,
		    char *, size_t);

#ifdef DB_INTERNAL
/*
 * Shared by db*.c only: stored.c sees struct db as opaque.
 */
#include <sqlite3.h>

#define DB_STMT_MAX	128
#define DB_TIME_BUFSZ	32	/* "YYYY-MM-DD HH:MM:SS+00:00" */

struct db_stmt {
	const char	*ds_sql;	/* identity: a static string */
	sqlite3_stmt	*ds_stmt;
};

struct db {
	sqlite3		*db_sql;
	int		 db_version;
	int		 db_batch;		/* inside db_begin() */
	int		 db_op;			/* inside db_op_begin() */
	uint64_t	 db_seq;		/* with uncommitted bumps */
	uint64_t	 db_seq_durable;	/* last committed */
	uint64_t	 db_seq_op;		/* db_seq when the op began */
	struct db_stmt	 db_stmts[DB_STMT_MAX];
	size_t		 db_nstmts;
};

/* db.c */
void		 db_seterr(char *, size_t, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
enum db_status	 db_sqlerr(struct db *, int, const char *, char *, size_t);
sqlite3_stmt	*db_stmt(struct db *, const char *, char *, size_t);
void		 db_stmt_done(sqlite3_stmt *);
enum db_status	 db_step_done(struct db *, sqlite3_stmt *, const char *,
		    char *, size_t);
enum db_status	 db_step_row(struct db *, sqlite3_stmt *, const char *,
		    const char *, char *, size_t);
enum db_status	 db_write_id(struct db *, const char *, uint64_t,
		    const char *, char *, size_t);
sqlite3_stmt	*db_list_stmt(struct db *, const char *, const char *,
		    char *, size_t);
enum db_status	 db_list_end(struct db *, int, const char *, char *,
		    size_t);
enum db_status	 db_exec(struct db *, const char *, char *, size_t);
enum db_status	 db_op_begin(struct db *, char *, size_t);
enum db_status	 db_op_end(struct db *, enum db_status, uint64_t *, char *,
		    size_t);
enum db_status	 db_bump_seq(struct db *, char *, size_t);
int		 db_text_valid(const char *, size_t, const char *, char *,
		    size_t);
time_t		 db_now(void);
void		 db_time_fmt(time_t, char *, size_t);
int		 db_time_parse(const char *, time_t *);
int		 db_bind_time(sqlite3_stmt *, int, time_t);
int		 db_bind_text(sqlite3_stmt *, int, const char *);
int		 db_bind_id(sqlite3_stmt *, int, uint64_t);
time_t		 db_column_time(sqlite3_stmt *, int, time_t);
int		 db_column_bool(sqlite3_stmt *, int);
void		 db_column_str(sqlite3_stmt *, int, char *, size_t);

/* db_keys.c */
/* db_nodes.c, for db_admin.c */
enum db_status	 db_node_write(struct db *, const char *, uint64_t,
		    const char *, time_t, const char *, const char *,
		    uint64_t, struct db_node *, uint64_t *, char *, size_t);
void		 db_node_routes_read(const char *, struct db_node *);

char		*db_tags_encode(const char *const *, size_t, char *, size_t);
int		 db_tags_decode(const char *, char (*)[DB_TAG_MAX + 1],
		    size_t *);

/* db_schema.c */
int		 db_schema_read(struct db *, char *, size_t);
enum db_status	 db_schema_migrate(struct db *, int, char *, size_t);
#endif /* DB_INTERNAL */

#endif /* DB_H */
