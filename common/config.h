/*
 * The configuration: headscale's config.yaml keys and meanings, read
 * with libyaml into one struct config, overridable by HEADSCALE_<KEY>
 * environment variables, validated the way headscale validates it, and
 * printed back as normalised YAML.  Only the parent reads the file; the
 * children get the printed effective config and read it back with
 * config_load_buffer().
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <sys/types.h>

#include <stdint.h>

#include <stdio.h>

/* Bounds on what the loader accepts. */
#define CONFIG_MAX_FILE		(1024 * 1024)	/* bytes */
#define CONFIG_MAX_DEPTH	16		/* nested collections */
#define CONFIG_MAX_STRING	4096		/* bytes in one value */
#define CONFIG_MAX_LIST		1024		/* items in one collection */
#define CONFIG_MAX_ERRORS	16		/* reported per load */

#define CONFIG_PRINT_REDACT	0x01	/* leave secrets out */

struct strlist {
	char		**v;
	size_t		  n;
};

/* One dns.nameservers.split entry: a domain and its resolvers. */
struct config_nsplit {
	char		*domain;
	struct strlist	 servers;
};

/* One dns.extra_records entry. */
struct config_record {
	char		*name;
	char		*type;
	char		*value;
};

/* One oidc.extra_params entry. */
struct config_kv {
	char		*key;
	char		*value;
};

/*
 * Every key, named after its headscale path with dots as underscores
 * (database.* is shortened to db_*).  Durations are in seconds unless
 * the name ends in _ms.
 */
struct config {
	char			*path;	/* absolute; NULL from a buffer */

	char			*server_url;
	char			*listen_addr;
	char			*metrics_listen_addr;
	char			*grpc_listen_addr;
	int			 grpc_allow_insecure;
	struct strlist		 trusted_proxies;
	int			 disable_check_updates;

	char			*noise_private_key_path;

	char			*prefixes_v4;
	char			*prefixes_v6;
	char			*prefixes_allocation;

	int			 derp_server_enabled;
	int			 derp_server_region_id;
	char			*derp_server_region_code;
	char			*derp_server_region_name;
	int			 derp_server_verify_clients;
	char			*derp_server_stun_listen_addr;
	int			 derp_server_stun_enabled;	/* never read */
	char			*derp_server_private_key_path;
	int	 derp_server_automatically_add_embedded_derp_region;
	char			*derp_server_ipv4;
	char			*derp_server_ipv6;
	struct strlist		 derp_urls;
	struct strlist		 derp_paths;
	int			 derp_auto_update_enabled;
	long long		 derp_update_frequency;

	long long		 node_expiry;
	long long		 node_ephemeral_inactivity_timeout;
	long long		 node_routes_ha_probe_interval;
	long long		 node_routes_ha_probe_timeout;
	/* Deprecated spelling; folded into the key above at load. */
	long long		 ephemeral_node_inactivity_timeout;

	char			*db_type;	/* "sqlite" or "postgres" */
	int			 db_debug;
	int			 db_gorm_prepare_stmt;
	int			 db_gorm_parameterized_queries;
	int			 db_gorm_skip_err_record_not_found;
	int			 db_gorm_slow_threshold;	/* in ms */
	char			*db_sqlite_path;
	int			 db_sqlite_wal;
	int			 db_sqlite_wal_autocheckpoint;
	char			*db_postgres_host;
	int			 db_postgres_port;
	char			*db_postgres_name;
	char			*db_postgres_user;
	char			*db_postgres_pass;		/* secret */
	char			*db_postgres_ssl;
	int			 db_postgres_max_open_conns;
	int			 db_postgres_max_idle_conns;
	int			 db_postgres_conn_max_idle_time_secs;

	char			*acme_url;
	char			*acme_email;
	char			*tls_letsencrypt_hostname;
	char			*tls_letsencrypt_cache_dir;
	char			*tls_letsencrypt_challenge_type;
	char			*tls_letsencrypt_listen;
	char			*tls_cert_path;
	char			*tls_key_path;

	char			*log_level;
	char			*log_format;

	char			*policy_mode;
	char			*policy_path;

	int			 dns_magic_dns;
	char			*dns_base_domain;
	int			 dns_override_local_dns;
	struct strlist		 dns_nameservers_global;
	struct config_nsplit	*dns_nameservers_split;
	size_t			 dns_nameservers_split_n;
	struct strlist		 dns_search_domains;
	struct config_record	*dns_extra_records;
	size_t			 dns_extra_records_n;
	char			*dns_extra_records_path;

	char			*unix_socket;
	mode_t			 unix_socket_permission;

	int			 oidc_only_start_if_oidc_is_available;
	char			*oidc_issuer;
	char			*oidc_client_id;
	char			*oidc_client_secret;		/* secret */
	char			*oidc_client_secret_path;
	int			 oidc_use_expiry_from_token;
	struct strlist		 oidc_scope;
	int			 oidc_email_verified_required;
	struct config_kv	*oidc_extra_params;
	size_t			 oidc_extra_params_n;
	struct strlist		 oidc_allowed_domains;
	struct strlist		 oidc_allowed_users;
	struct strlist		 oidc_allowed_groups;
	int			 oidc_pkce_enabled;
	char			*oidc_pkce_method;

	int			 logtail_enabled;
	int			 taildrop_enabled;
	int			 auto_update_enabled;

	char			*cli_address;
	char			*cli_api_key;			/* secret */
	long long		 cli_timeout;
	int			 cli_insecure;

	long long		 tuning_notifier_send_timeout_ms;
	long long		 tuning_batch_change_delay_ms;
	int			 tuning_node_mapsession_buffered_chan_size;
	int			 tuning_batcher_workers;	/* 0: auto */
	long long		 tuning_register_cache_expiration;
	int			 tuning_register_cache_max_entries;
	int			 tuning_node_store_batch_size;
	long long		 tuning_node_store_batch_timeout_ms;

	/*
	 * Not keys: what the parent builds from the config and the files
	 * it names, for clients as they get it (tailcfg JSON).  Children
	 * receive them with the config, since they may not read files.
	 */
	char			*derp_map_json;
	char			*dns_config_json;

	/*
	 * The PEM files named by tls_cert_path and tls_key_path, read by
	 * the parent.  Only the coordinator gets the certificate and only
	 * stored the key; the key is wiped when the config is freed.
	 */
	uint8_t			*tls_cert_pem;
	size_t			 tls_cert_len;
	uint8_t			*tls_key_pem;
	size_t			 tls_key_len;
};

struct config	*config_load(const char *, int, char *, size_t);
struct config	*config_load_buffer(const char *, const char *, size_t, int,
		    char *, size_t);
void		 config_free(struct config *);
int		 config_print(FILE *, const struct config *, int);
char		*config_print_string(const struct config *, int, size_t *);
const char	*config_default_path(void);
long long	 config_parse_duration(const char *);

/*
 * Internal to config*.c: the key table that drives loading, the
 * environment and printing, and the state of one load.
 */
enum config_type {
	CT_STRING,
	CT_BOOL,
	CT_INT,
	CT_DURATION,		/* long long seconds */
	CT_DURATION_MS,		/* long long milliseconds */
	CT_MODE,		/* mode_t from an octal string */
	CT_STRLIST,
	CT_NSPLIT,		/* dns.nameservers.split */
	CT_RECORDS,		/* dns.extra_records */
	CT_KV			/* oidc.extra_params */
};

#define CK_SECRET	0x01	/* redacted when printing */
#define CK_PATH		0x02	/* made absolute at load time */
#define CK_HIDDEN	0x04	/* deprecated spelling, never printed */

struct config_key {
	const char		*ck_path;
	enum config_type	 ck_type;
	size_t			 ck_off;
	const char		*ck_def;	/* default, as env text */
	long long		 ck_min;	/* CT_INT bounds */
	long long		 ck_max;
	int			 ck_flags;
};

/* A key headscale removed, with what replaces it. */
struct config_removed {
	const char		*cr_path;
	const char		*cr_new;	/* new key, or NULL */
	const char		*cr_hint;	/* what to do instead */
	int			 cr_warn_if_new;	/* if cr_new set */
};

/* Where each key got its value: a line, CONFIG_FROM_*. */
#define CONFIG_FROM_DEFAULT	0
#define CONFIG_FROM_ENV		(-1)

/* One error, kept until the end of the load to be sorted by line. */
struct config_msg {
	int			 cm_where;
	int			 cm_seq;
	char			*cm_text;
};

struct config_load {
	const char		*cl_name;	/* file name for messages */
	int			*cl_where;	/* per config_keys[] index */
	struct config_msg	*cl_msgs;
	int			 cl_nerr;
};

extern const struct config_key		config_keys[];
extern const size_t			config_nkeys;
extern const struct config_removed	config_removed[];
extern const size_t			config_nremoved;

const struct config_key	*config_key_find(const char *);
int		 config_key_index(const char *);
int		 config_is_section(const char *);
int		 config_path_below(const char *, const char *);
void		 config_envname(const char *, char *, size_t);
void		 config_error(struct config_load *, int, const char *,
		    const char *, ...)
		    __attribute__((__format__ (printf, 4, 5)));
void		 config_warn(struct config_load *, int, const char *,
		    const char *, ...)
		    __attribute__((__format__ (printf, 4, 5)));
int		 config_where(struct config_load *, const char *);
int		 config_validate(struct config *, struct config_load *);
long long	 config_parse_duration_ms(const char *);
int		 config_parse_bool(const char *);
int		 config_parse_mode(const char *, mode_t *);

#endif /* CONFIG_H */
