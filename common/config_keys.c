/*
 * The table of configuration keys.  Loading, the environment overrides,
 * defaults and printing are all driven from here, so a new headscale key
 * is one line.  Keys of one section stay together: the printer nests
 * them by walking the table in order.
 */
#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "compat.h"
#include "config.h"
#include "types.h"

#define OFF(f)		offsetof(struct config, f)
#define STR(p, f, d, fl)	{ p, CT_STRING, OFF(f), d, 0, 0, fl }
#define BOOL(p, f, d)		{ p, CT_BOOL, OFF(f), d, 0, 0, 0 }
#define INT(p, f, d, lo, hi)	{ p, CT_INT, OFF(f), d, lo, hi, 0 }
#define DUR(p, f, d, fl)	{ p, CT_DURATION, OFF(f), d, 0, 0, fl }
#define DURMS(p, f, d)		{ p, CT_DURATION_MS, OFF(f), d, 0, 0, 0 }
#define LIST(p, f, d, fl)	{ p, CT_STRLIST, OFF(f), d, 0, 0, fl }
#define SPECIAL(p, t, f)	{ p, t, OFF(f), "", 0, 0, 0 }

#define VARLIB		LOCALSTATEDIR "/coordd"

const struct config_key config_keys[] = {
	STR("server_url", server_url, "", 0),
	STR("listen_addr", listen_addr, "127.0.0.1:8080", 0),
	STR("metrics_listen_addr", metrics_listen_addr, "127.0.0.1:9090", 0),
	STR("grpc_listen_addr", grpc_listen_addr, ":50443", 0),
	BOOL("grpc_allow_insecure", grpc_allow_insecure, "false"),
	LIST("trusted_proxies", trusted_proxies, "", 0),
	BOOL("disable_check_updates", disable_check_updates, "false"),

	STR("noise.private_key_path", noise_private_key_path,
	    VARLIB "/noise_private.key", CK_PATH),

	STR("prefixes.v4", prefixes_v4, "", 0),
	STR("prefixes.v6", prefixes_v6, "", 0),
	STR("prefixes.allocation", prefixes_allocation, "sequential", 0),

	BOOL("derp.server.enabled", derp_server_enabled, "false"),
	INT("derp.server.region_id", derp_server_region_id, "999", 0,
	    INT_MAX),
	STR("derp.server.region_code", derp_server_region_code, "headscale",
	    0),
	STR("derp.server.region_name", derp_server_region_name,
	    "Headscale Embedded DERP", 0),
	BOOL("derp.server.verify_clients", derp_server_verify_clients,
	    "true"),
	STR("derp.server.stun_listen_addr", derp_server_stun_listen_addr,
	    "0.0.0.0:3478", 0),
	STR("derp.server.private_key_path", derp_server_private_key_path,
	    VARLIB "/derp_server_private.key", CK_PATH),
	BOOL("derp.server.automatically_add_embedded_derp_region",
	    derp_server_automatically_add_embedded_derp_region, "true"),
	STR("derp.server.ipv4", derp_server_ipv4, "", 0),
	STR("derp.server.ipv6", derp_server_ipv6, "", 0),
	BOOL("derp.server.stun.enabled", derp_server_stun_enabled, "true"),
	LIST("derp.urls", derp_urls, "", 0),
	LIST("derp.paths", derp_paths, "", CK_PATH),
	BOOL("derp.auto_update_enabled", derp_auto_update_enabled, "false"),
	DUR("derp.update_frequency", derp_update_frequency, "3h", 0),

	DUR("node.expiry", node_expiry, "0", 0),
	DUR("node.ephemeral.inactivity_timeout",
	    node_ephemeral_inactivity_timeout, "120s", 0),
	DUR("node.routes.ha.probe_interval", node_routes_ha_probe_interval,
	    "10s", 0),
	DUR("node.routes.ha.probe_timeout", node_routes_ha_probe_timeout,
	    "5s", 0),

	STR("database.type", db_type, "sqlite", 0),
	BOOL("database.debug", db_debug, "false"),
	BOOL("database.gorm.prepare_stmt", db_gorm_prepare_stmt, "true"),
	BOOL("database.gorm.parameterized_queries",
	    db_gorm_parameterized_queries, "true"),
	BOOL("database.gorm.skip_err_record_not_found",
	    db_gorm_skip_err_record_not_found, "true"),
	INT("database.gorm.slow_threshold", db_gorm_slow_threshold, "1000",
	    0, INT_MAX),
	STR("database.sqlite.path", db_sqlite_path, VARLIB "/db.sqlite",
	    CK_PATH),
	BOOL("database.sqlite.write_ahead_log", db_sqlite_wal, "true"),
	INT("database.sqlite.wal_autocheckpoint",
	    db_sqlite_wal_autocheckpoint, "1000", -1, INT_MAX),
	STR("database.postgres.host", db_postgres_host, "", 0),
	INT("database.postgres.port", db_postgres_port, "0", 0, 65535),
	STR("database.postgres.name", db_postgres_name, "", 0),
	STR("database.postgres.user", db_postgres_user, "", 0),
	STR("database.postgres.pass", db_postgres_pass, "", CK_SECRET),
	STR("database.postgres.ssl", db_postgres_ssl, "false", 0),
	INT("database.postgres.max_open_conns", db_postgres_max_open_conns,
	    "10", 0, INT_MAX),
	INT("database.postgres.max_idle_conns", db_postgres_max_idle_conns,
	    "10", 0, INT_MAX),
	INT("database.postgres.conn_max_idle_time_secs",
	    db_postgres_conn_max_idle_time_secs, "3600", 0, INT_MAX),

	STR("acme_url", acme_url, "", 0),
	STR("acme_email", acme_email, "", 0),
	STR("tls_letsencrypt_hostname", tls_letsencrypt_hostname, "", 0),
	STR("tls_letsencrypt_cache_dir", tls_letsencrypt_cache_dir,
	    VARLIB "/cache", CK_PATH),
	STR("tls_letsencrypt_challenge_type", tls_letsencrypt_challenge_type,
	    "HTTP-01", 0),
	STR("tls_letsencrypt_listen", tls_letsencrypt_listen, ":http", 0),
	STR("tls_cert_path", tls_cert_path, "", CK_PATH),
	STR("tls_key_path", tls_key_path, "", CK_PATH),

	STR("log.level", log_level, "info", 0),
	STR("log.format", log_format, "text", 0),

	STR("policy.mode", policy_mode, "file", 0),
	STR("policy.path", policy_path, "", CK_PATH),

	BOOL("dns.magic_dns", dns_magic_dns, "true"),
	STR("dns.base_domain", dns_base_domain, "", 0),
	BOOL("dns.override_local_dns", dns_override_local_dns, "true"),
	LIST("dns.nameservers.global", dns_nameservers_global, "", 0),
	SPECIAL("dns.nameservers.split", CT_NSPLIT, dns_nameservers_split),
	LIST("dns.search_domains", dns_search_domains, "", 0),
	SPECIAL("dns.extra_records", CT_RECORDS, dns_extra_records),
	STR("dns.extra_records_path", dns_extra_records_path, "", CK_PATH),

	STR("unix_socket", unix_socket, CTL_SOCKET, CK_PATH),
	{ "unix_socket_permission", CT_MODE, OFF(unix_socket_permission),
	    "0770", 0, 0, 0 },

	BOOL("oidc.only_start_if_oidc_is_available",
	    oidc_only_start_if_oidc_is_available, "true"),
	STR("oidc.issuer", oidc_issuer, "", 0),
	STR("oidc.client_id", oidc_client_id, "", 0),
	STR("oidc.client_secret", oidc_client_secret, "", CK_SECRET),
	STR("oidc.client_secret_path", oidc_client_secret_path, "", CK_PATH),
	BOOL("oidc.use_expiry_from_token", oidc_use_expiry_from_token,
	    "false"),
	LIST("oidc.scope", oidc_scope, "openid profile email", 0),
	BOOL("oidc.email_verified_required", oidc_email_verified_required,
	    "true"),
	SPECIAL("oidc.extra_params", CT_KV, oidc_extra_params),
	LIST("oidc.allowed_domains", oidc_allowed_domains, "", 0),
	LIST("oidc.allowed_users", oidc_allowed_users, "", 0),
	LIST("oidc.allowed_groups", oidc_allowed_groups, "", 0),
	BOOL("oidc.pkce.enabled", oidc_pkce_enabled, "false"),
	STR("oidc.pkce.method", oidc_pkce_method, "S256", 0),

	BOOL("logtail.enabled", logtail_enabled, "false"),
	BOOL("taildrop.enabled", taildrop_enabled, "true"),
	BOOL("auto_update.enabled", auto_update_enabled, "false"),

	STR("cli.address", cli_address, "", 0),
	STR("cli.api_key", cli_api_key, "", CK_SECRET),
	DUR("cli.timeout", cli_timeout, "5s", 0),
	BOOL("cli.insecure", cli_insecure, "false"),

	DURMS("tuning.notifier_send_timeout", tuning_notifier_send_timeout_ms,
	    "800ms"),
	DURMS("tuning.batch_change_delay", tuning_batch_change_delay_ms,
	    "800ms"),
	INT("tuning.node_mapsession_buffered_chan_size",
	    tuning_node_mapsession_buffered_chan_size, "30", 0, INT_MAX),
	INT("tuning.batcher_workers", tuning_batcher_workers, "0", 0,
	    INT_MAX),
	DUR("tuning.register_cache_expiration",
	    tuning_register_cache_expiration, "15m", 0),
	INT("tuning.register_cache_max_entries",
	    tuning_register_cache_max_entries, "1024", 0, INT_MAX),
	INT("tuning.node_store_batch_size", tuning_node_store_batch_size,
	    "100", 1, INT_MAX),
	DURMS("tuning.node_store_batch_timeout",
	    tuning_node_store_batch_timeout_ms, "500ms"),

	/* Still read, with a warning, when the new key is not set. */
	DUR("ephemeral_node_inactivity_timeout",
	    ephemeral_node_inactivity_timeout, "0", CK_HIDDEN),
};
const size_t config_nkeys = nitems(config_keys);

/*
 * Keys headscale refuses to start with.  The dns_config entry without a
 * subkey catches whatever else sits under dns_config.
 */
const struct config_removed config_removed[] = {
	{ "acl_policy_path", "policy.path", NULL, 1 },
	{ "dns_config.magic_dns", "dns.magic_dns", NULL, 1 },
	{ "dns_config.base_domain", "dns.base_domain", NULL, 1 },
	{ "dns_config.override_local_dns", "dns.override_local_dns", NULL, 1 },
	{ "dns_config.nameservers", "dns.nameservers.global", NULL, 1 },
	{ "dns_config.restricted_nameservers", "dns.nameservers.split", NULL,
	    1 },
	{ "dns_config.domains", "dns.search_domains", NULL, 1 },
	{ "dns_config.extra_records", "dns.extra_records", NULL, 1 },
	{ "dns_config.use_username_in_magic_dns", NULL,
	    "it has no replacement", 0 },
	{ "dns_config", NULL, "use the dns section", 0 },
	{ "dns.use_username_in_magic_dns", NULL, "it has no replacement", 0 },
	{ "oidc.strip_email_domain", NULL,
	    "it has no replacement since headscale 0.26", 0 },
	{ "oidc.map_legacy_users", NULL,
	    "it has no replacement since headscale 0.26", 0 },
	{ "randomize_client_port", NULL,
	    "set \"randomizeClientPort\": true at the top level of the "
	    "policy file, or grant the cap to nodes with \"nodeAttrs\"", 0 },
	{ "oidc.expiry", "node.expiry", NULL, 0 },
};
const size_t config_nremoved = nitems(config_removed);

int
config_key_index(const char *path)
{
	size_t	i;

	for (i = 0; i < config_nkeys; i++)
		if (strcmp(config_keys[i].ck_path, path) == 0)
			return ((int)i);
	return (-1);
}

const struct config_key *
config_key_find(const char *path)
{
	int	i;

	if ((i = config_key_index(path)) == -1)
		return (NULL);
	return (&config_keys[i]);
}

/* Is path a mapping that holds keys, like "derp" or "derp.server"? */
int
config_is_section(const char *path)
{
	size_t	i;

	for (i = 0; i < config_nkeys; i++)
		if (config_path_below(config_keys[i].ck_path, path))
			return (1);
	return (0);
}

/* Is path a key inside section, as "derp.server.enabled" is in "derp"? */
int
config_path_below(const char *path, const char *section)
{
	size_t	len;

	len = strlen(section);
	return (strncmp(path, section, len) == 0 && path[len] == '.');
}

/* viper's AutomaticEnv name: HEADSCALE_ and the key, dots as '_'. */
void
config_envname(const char *path, char *buf, size_t len)
{
	size_t	i, n;

	if ((n = strlcpy(buf, "HEADSCALE_", len)) >= len)
		return;
	for (i = 0; path[i] != '\0' && n + 1 < len; i++, n++) {
		if (path[i] == '.')
			buf[n] = '_';
		else if (path[i] >= 'a' && path[i] <= 'z')
			buf[n] = path[i] - 'a' + 'A';
		else
			buf[n] = path[i];
	}
	if (n < len)
		buf[n] = '\0';
}
