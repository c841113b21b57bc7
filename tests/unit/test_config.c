/*
 * The configuration loader: every key, defaults, environment overrides,
 * removed keys, errors with their lines, validation, bounds and garbage,
 * printing and reading back, and the golden files in tests/config/.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "config.h"
#include "test.h"
#include "types.h"

#ifndef TOP_DIR
#define TOP_DIR "."
#endif

extern char	**environ;

/* The smallest file that passes validation: 7 lines. */
#define MIN_YAML							\
	"server_url: https://hs.example.org\n"				\
	"prefixes:\n"							\
	"  v4: 100.64.0.0/10\n"						\
	"dns:\n"							\
	"  base_domain: ts.example.net\n"				\
	"  nameservers:\n"						\
	"    global: [1.1.1.1]\n"

/* MIN_YAML without its dns section: 3 lines. */
#define MIN_NODNS							\
	"server_url: https://hs.example.org\n"				\
	"prefixes:\n"							\
	"  v4: 100.64.0.0/10\n"

/* Every key with a value other than its default. */
static const char full_yaml[] =
    "server_url: https://hs.example.org:8443\n"
    "listen_addr: 0.0.0.0:443\n"
    "metrics_listen_addr: 127.0.0.1:9191\n"
    "grpc_listen_addr: 127.0.0.1:50444\n"
    "grpc_allow_insecure: true\n"
    "trusted_proxies: [127.0.0.1/32, \"::1/128\"]\n"
    "disable_check_updates: yes\n"
    "noise:\n"
    "  private_key_path: keys/noise.key\n"
    "prefixes:\n"
    "  v4: 100.64.0.0/16\n"
    "  v6: fd7a:115c:a1e0::/64\n"
    "  allocation: random\n"
    "derp:\n"
    "  server:\n"
    "    enabled: true\n"
    "    region_id: 900\n"
    "    region_code: \"coord\"\n"
    "    region_name: \"Coord DERP\"\n"
    "    verify_clients: false\n"
    "    stun_listen_addr: 0.0.0.0:3479\n"
    "    private_key_path: /srv/derp.key\n"
    "    automatically_add_embedded_derp_region: false\n"
    "    ipv4: 198.51.100.1\n"
    "    ipv6: 2001:db8::1\n"
    "    stun:\n"
    "      enabled: false\n"
    "  urls:\n"
    "    - https://controlplane.tailscale.com/derpmap/default\n"
    "  paths: [derp.yaml, /etc/coordd/derp2.yaml]\n"
    "  auto_update_enabled: true\n"
    "  update_frequency: 1h30m\n"
    "node:\n"
    "  expiry: 90d\n"
    "  ephemeral:\n"
    "    inactivity_timeout: 30m\n"
    "  routes:\n"
    "    ha:\n"
    "      probe_interval: 20s\n"
    "      probe_timeout: 3s\n"
    "database:\n"
    "  type: postgres\n"
    "  debug: true\n"
    "  gorm:\n"
    "    prepare_stmt: false\n"
    "    parameterized_queries: false\n"
    "    skip_err_record_not_found: false\n"
    "    slow_threshold: 250\n"
    "  sqlite:\n"
    "    path: /srv/db.sqlite\n"
    "    write_ahead_log: false\n"
    "    wal_autocheckpoint: 500\n"
    "  postgres:\n"
    "    host: db.internal\n"
    "    port: 5433\n"
    "    name: coord\n"
    "    user: coorduser\n"
    "    pass: pg-s3cret\n"
    "    ssl: require\n"
    "    max_open_conns: 5\n"
    "    max_idle_conns: 2\n"
    "    conn_max_idle_time_secs: 60\n"
    "acme_url: https://acme.example/dir\n"
    "acme_email: admin@example.org\n"
    "tls_letsencrypt_cache_dir: /srv/cache\n"
    "tls_letsencrypt_challenge_type: TLS-ALPN-01\n"
    "tls_letsencrypt_listen: \":8080\"\n"
    "tls_cert_path: /srv/cert.pem\n"
    "tls_key_path: /srv/key.pem\n"
    "log:\n"
    "  level: debug\n"
    "  format: json\n"
    "policy:\n"
    "  mode: database\n"
    "  path: /srv/policy.hujson\n"
    "dns:\n"
    "  magic_dns: false\n"
    "  base_domain: tail.example.net\n"
    "  override_local_dns: false\n"
    "  nameservers:\n"
    "    global: [9.9.9.9, \"https://dns.nextdns.io/abc\"]\n"
    "    split:\n"
    "      corp.example: [10.0.0.53]\n"
    "      lab.example:\n"
    "        - 10.1.0.53\n"
    "        - 10.1.0.54\n"
    "  search_domains: [corp.example, lab.example]\n"
    "  extra_records:\n"
    "    - name: grafana.tail.example.net\n"
    "      type: A\n"
    "      value: 100.64.0.3\n"
    "    - { name: \"v6.tail.example.net\", type: \"AAAA\", "
    "value: \"fd7a:115c:a1e0::3\" }\n"
    "unix_socket: /srv/coordd.sock\n"
    "unix_socket_permission: \"0o750\"\n"
    "oidc:\n"
    "  only_start_if_oidc_is_available: false\n"
    "  issuer: https://id.example.org\n"
    "  client_id: coordd\n"
    "  client_secret: oidc-s3cret\n"
    "  use_expiry_from_token: true\n"
    "  scope: [openid, groups]\n"
    "  email_verified_required: false\n"
    "  extra_params:\n"
    "    domain_hint: example.org\n"
    "    prompt: login\n"
    "  allowed_domains: [example.org]\n"
    "  allowed_users: [alice@example.org, bob@example.org]\n"
    "  allowed_groups: [/admins]\n"
    "  pkce:\n"
    "    enabled: true\n"
    "    method: plain\n"
    "logtail:\n"
    "  enabled: true\n"
    "taildrop:\n"
    "  enabled: false\n"
    "auto_update:\n"
    "  enabled: true\n"
    "cli:\n"
    "  address: hs.example.org:50443\n"
    "  api_key: api-s3cret\n"
    "  timeout: 10s\n"
    "  insecure: true\n"
    "tuning:\n"
    "  notifier_send_timeout: 1s\n"
    "  batch_change_delay: 250ms\n"
    "  node_mapsession_buffered_chan_size: 60\n"
    "  batcher_workers: 4\n"
    "  register_cache_expiration: 30m\n"
    "  register_cache_max_entries: 2048\n"
    "  node_store_batch_size: 50\n"
    "  node_store_batch_timeout: 1s500ms\n";

static char	cap_path[PATH_MAX];
static int	cap_saved = -1;

static void
clean_env(void)
{
	char	**e, name[256];
	size_t	  n;

 again:
	for (e = environ; *e != NULL; e++) {
		if (strncmp(*e, "HEADSCALE_", 10) != 0)
			continue;
		n = strcspn(*e, "=");
		if (n >= sizeof(name))
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		unsetenv(name);
		goto again;
	}
}

/* Send stderr, where log_warnx writes, to a file for a while. */
static void
capture_start(void)
{
	int	fd;

	snprintf(cap_path, sizeof(cap_path), "%s/stderr.txt", test_tmpdir());
	fflush(stderr);
	cap_saved = dup(STDERR_FILENO);
	fd = open(cap_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || cap_saved == -1) {
		perror("capture");
		exit(2);
	}
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static char *
read_file(const char *path, size_t *lenp)
{
	FILE	*fp;
	char	*buf;
	long	 len;

	if ((fp = fopen(path, "r")) == NULL)
		return (NULL);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = calloc(1, len + 1);
	if (buf == NULL || fread(buf, 1, len, fp) != (size_t)len) {
		free(buf);
		fclose(fp);
		return (NULL);
	}
	fclose(fp);
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}

static char *
capture_end(void)
{
	char	*s;

	fflush(stderr);
	dup2(cap_saved, STDERR_FILENO);
	close(cap_saved);
	if ((s = read_file(cap_path, NULL)) == NULL)
		s = strdup("");
	return (s);
}

static const char *
write_file(const char *name, const char *data, size_t len)
{
	static char	 path[PATH_MAX];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
	if ((fp = fopen(path, "w")) == NULL ||
	    fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		perror(path);
		exit(2);
	}
	return (path);
}

static struct config *
load(const char *yaml, char *err, size_t errlen)
{
	return (config_load_buffer("t.yaml", yaml, strlen(yaml), 0, err,
	    errlen));
}

/* The same, with the HEADSCALE_* environment applied. */
static struct config *
load_env(const char *yaml, char *err, size_t errlen)
{
	return (config_load_buffer("t.yaml", yaml, strlen(yaml), 1, err,
	    errlen));
}

/*
 * Load with stderr captured.  If warn is not NULL, the warnings of a
 * config that loads go to *warn for the caller to free.
 */
static struct config *
load_quiet(const char *yaml, char *err, size_t errlen, char **warn)
{
	struct config	*c;
	char		*log;

	capture_start();
	c = load(yaml, err, errlen);
	log = capture_end();
	if (warn != NULL && c != NULL)
		*warn = log;
	else
		free(log);
	return (c);
}

/* Load quietly, expecting failure; err holds the messages. */
static int
load_fails(const char *yaml, char *err, size_t errlen)
{
	struct config	*c;

	if ((c = load_quiet(yaml, err, errlen, NULL)) == NULL)
		return (1);
	config_free(c);
	return (0);
}

/* The same with one HEADSCALE_* variable set, for that load only. */
static int
env_load_fails(const char *name, const char *value, char *err,
    size_t errlen)
{
	struct config	*c;

	setenv(name, value, 1);
	c = load_env(MIN_YAML, err, errlen);
	clean_env();
	if (c == NULL)
		return (1);
	config_free(c);
	return (0);
}

/* A file that must not load, and what the messages must contain. */
struct error_case {
	const char	*yaml;
	const char	*want;		/* NULL: the file loads */
};

static void
check_error_cases(const struct error_case *cases, size_t n)
{
	struct config	*c;
	char		 err[1024];
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (cases[i].want == NULL) {
			c = load_quiet(cases[i].yaml, err, sizeof(err), NULL);
			if (c == NULL)
				FAIL("case %zu: %s", i, err);
			config_free(c);
		} else if (!load_fails(cases[i].yaml, err, sizeof(err)))
			FAIL("case %zu loaded", i);
		else if (strstr(err, cases[i].want) == NULL)
			FAIL("case %zu: \"%s\" lacks \"%s\"", i, err,
			    cases[i].want);
	}
}

TEST(full_file_every_key)
{
	struct config	*c;
	const char	*path;
	char		 err[2048], want[PATH_MAX];

	clean_env();
	path = write_file("full.yaml", full_yaml, strlen(full_yaml));
	if ((c = config_load(path, 0, err, sizeof(err))) == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->path, path);
	ASSERT_STR_EQ(c->server_url, "https://hs.example.org:8443");
	ASSERT_STR_EQ(c->listen_addr, "0.0.0.0:443");
	ASSERT_STR_EQ(c->metrics_listen_addr, "127.0.0.1:9191");
	ASSERT_STR_EQ(c->grpc_listen_addr, "127.0.0.1:50444");
	ASSERT_INT_EQ(c->grpc_allow_insecure, 1);
	ASSERT_INT_EQ(c->trusted_proxies.n, 2);
	ASSERT_STR_EQ(c->trusted_proxies.v[0], "127.0.0.1/32");
	ASSERT_STR_EQ(c->trusted_proxies.v[1], "::1/128");
	ASSERT_INT_EQ(c->disable_check_updates, 1);
	/* Relative paths hang off the directory of the file. */
	snprintf(want, sizeof(want), "%s/keys/noise.key", test_tmpdir());
	ASSERT_STR_EQ(c->noise_private_key_path, want);
	ASSERT_STR_EQ(c->prefixes_v4, "100.64.0.0/16");
	ASSERT_STR_EQ(c->prefixes_v6, "fd7a:115c:a1e0::/64");
	ASSERT_STR_EQ(c->prefixes_allocation, "random");

	ASSERT_INT_EQ(c->derp_server_enabled, 1);
	ASSERT_INT_EQ(c->derp_server_region_id, 900);
	ASSERT_STR_EQ(c->derp_server_region_code, "coord");
	ASSERT_STR_EQ(c->derp_server_region_name, "Coord DERP");
	ASSERT_INT_EQ(c->derp_server_verify_clients, 0);
	ASSERT_STR_EQ(c->derp_server_stun_listen_addr, "0.0.0.0:3479");
	ASSERT_STR_EQ(c->derp_server_private_key_path, "/srv/derp.key");
	ASSERT_INT_EQ(c->derp_server_automatically_add_embedded_derp_region,
	    0);
	ASSERT_STR_EQ(c->derp_server_ipv4, "198.51.100.1");
	ASSERT_STR_EQ(c->derp_server_ipv6, "2001:db8::1");
	ASSERT_INT_EQ(c->derp_server_stun_enabled, 0);
	ASSERT_INT_EQ(c->derp_urls.n, 1);
	ASSERT_STR_EQ(c->derp_urls.v[0],
	    "https://controlplane.tailscale.com/derpmap/default");
	ASSERT_INT_EQ(c->derp_paths.n, 2);
	snprintf(want, sizeof(want), "%s/derp.yaml", test_tmpdir());
	ASSERT_STR_EQ(c->derp_paths.v[0], want);
	ASSERT_STR_EQ(c->derp_paths.v[1], "/etc/coordd/derp2.yaml");
	ASSERT_INT_EQ(c->derp_auto_update_enabled, 1);
	ASSERT_INT_EQ(c->derp_update_frequency, 5400);

	ASSERT_INT_EQ(c->node_expiry, 90 * 86400);
	ASSERT_INT_EQ(c->node_ephemeral_inactivity_timeout, 1800);
	ASSERT_INT_EQ(c->node_routes_ha_probe_interval, 20);
	ASSERT_INT_EQ(c->node_routes_ha_probe_timeout, 3);

	ASSERT_STR_EQ(c->db_type, "postgres");
	ASSERT_INT_EQ(c->db_debug, 1);
	ASSERT_INT_EQ(c->db_gorm_prepare_stmt, 0);
	ASSERT_INT_EQ(c->db_gorm_parameterized_queries, 0);
	ASSERT_INT_EQ(c->db_gorm_skip_err_record_not_found, 0);
	ASSERT_INT_EQ(c->db_gorm_slow_threshold, 250);
	ASSERT_STR_EQ(c->db_sqlite_path, "/srv/db.sqlite");
	ASSERT_INT_EQ(c->db_sqlite_wal, 0);
	ASSERT_INT_EQ(c->db_sqlite_wal_autocheckpoint, 500);
	ASSERT_STR_EQ(c->db_postgres_host, "db.internal");
	ASSERT_INT_EQ(c->db_postgres_port, 5433);
	ASSERT_STR_EQ(c->db_postgres_name, "coord");
	ASSERT_STR_EQ(c->db_postgres_user, "coorduser");
	ASSERT_STR_EQ(c->db_postgres_pass, "pg-s3cret");
	ASSERT_STR_EQ(c->db_postgres_ssl, "require");
	ASSERT_INT_EQ(c->db_postgres_max_open_conns, 5);
	ASSERT_INT_EQ(c->db_postgres_max_idle_conns, 2);
	ASSERT_INT_EQ(c->db_postgres_conn_max_idle_time_secs, 60);

	ASSERT_STR_EQ(c->acme_url, "https://acme.example/dir");
	ASSERT_STR_EQ(c->acme_email, "admin@example.org");
	ASSERT_STR_EQ(c->tls_letsencrypt_hostname, "");
	ASSERT_STR_EQ(c->tls_letsencrypt_cache_dir, "/srv/cache");
	ASSERT_STR_EQ(c->tls_letsencrypt_challenge_type, "TLS-ALPN-01");
	ASSERT_STR_EQ(c->tls_letsencrypt_listen, ":8080");
	ASSERT_STR_EQ(c->tls_cert_path, "/srv/cert.pem");
	ASSERT_STR_EQ(c->tls_key_path, "/srv/key.pem");
	ASSERT_STR_EQ(c->log_level, "debug");
	ASSERT_STR_EQ(c->log_format, "json");
	ASSERT_STR_EQ(c->policy_mode, "database");
	ASSERT_STR_EQ(c->policy_path, "/srv/policy.hujson");

	ASSERT_INT_EQ(c->dns_magic_dns, 0);
	ASSERT_STR_EQ(c->dns_base_domain, "tail.example.net");
	ASSERT_INT_EQ(c->dns_override_local_dns, 0);
	ASSERT_INT_EQ(c->dns_nameservers_global.n, 2);
	ASSERT_STR_EQ(c->dns_nameservers_global.v[0], "9.9.9.9");
	ASSERT_STR_EQ(c->dns_nameservers_global.v[1],
	    "https://dns.nextdns.io/abc");
	ASSERT_INT_EQ(c->dns_nameservers_split_n, 2);
	ASSERT_STR_EQ(c->dns_nameservers_split[0].domain, "corp.example");
	ASSERT_INT_EQ(c->dns_nameservers_split[0].servers.n, 1);
	ASSERT_STR_EQ(c->dns_nameservers_split[0].servers.v[0], "10.0.0.53");
	ASSERT_STR_EQ(c->dns_nameservers_split[1].domain, "lab.example");
	ASSERT_INT_EQ(c->dns_nameservers_split[1].servers.n, 2);
	ASSERT_STR_EQ(c->dns_nameservers_split[1].servers.v[1], "10.1.0.54");
	ASSERT_INT_EQ(c->dns_search_domains.n, 2);
	ASSERT_STR_EQ(c->dns_search_domains.v[1], "lab.example");
	ASSERT_INT_EQ(c->dns_extra_records_n, 2);
	ASSERT_STR_EQ(c->dns_extra_records[0].name,
	    "grafana.tail.example.net");
	ASSERT_STR_EQ(c->dns_extra_records[0].type, "A");
	ASSERT_STR_EQ(c->dns_extra_records[0].value, "100.64.0.3");
	ASSERT_STR_EQ(c->dns_extra_records[1].name, "v6.tail.example.net");
	ASSERT_STR_EQ(c->dns_extra_records[1].type, "AAAA");
	ASSERT_STR_EQ(c->dns_extra_records[1].value, "fd7a:115c:a1e0::3");
	ASSERT_STR_EQ(c->dns_extra_records_path, "");

	ASSERT_STR_EQ(c->unix_socket, "/srv/coordd.sock");
	ASSERT_INT_EQ(c->unix_socket_permission, 0750);

	ASSERT_INT_EQ(c->oidc_only_start_if_oidc_is_available, 0);
	ASSERT_STR_EQ(c->oidc_issuer, "https://id.example.org");
	ASSERT_STR_EQ(c->oidc_client_id, "coordd");
	ASSERT_STR_EQ(c->oidc_client_secret, "oidc-s3cret");
	ASSERT_STR_EQ(c->oidc_client_secret_path, "");
	ASSERT_INT_EQ(c->oidc_use_expiry_from_token, 1);
	ASSERT_INT_EQ(c->oidc_scope.n, 2);
	ASSERT_STR_EQ(c->oidc_scope.v[1], "groups");
	ASSERT_INT_EQ(c->oidc_email_verified_required, 0);
	ASSERT_INT_EQ(c->oidc_extra_params_n, 2);
	ASSERT_STR_EQ(c->oidc_extra_params[0].key, "domain_hint");
	ASSERT_STR_EQ(c->oidc_extra_params[0].value, "example.org");
	ASSERT_STR_EQ(c->oidc_extra_params[1].key, "prompt");
	ASSERT_STR_EQ(c->oidc_extra_params[1].value, "login");
	ASSERT_INT_EQ(c->oidc_allowed_domains.n, 1);
	ASSERT_STR_EQ(c->oidc_allowed_domains.v[0], "example.org");
	ASSERT_INT_EQ(c->oidc_allowed_users.n, 2);
	ASSERT_STR_EQ(c->oidc_allowed_users.v[1], "bob@example.org");
	ASSERT_INT_EQ(c->oidc_allowed_groups.n, 1);
	ASSERT_STR_EQ(c->oidc_allowed_groups.v[0], "/admins");
	ASSERT_INT_EQ(c->oidc_pkce_enabled, 1);
	ASSERT_STR_EQ(c->oidc_pkce_method, "plain");

	ASSERT_INT_EQ(c->logtail_enabled, 1);
	ASSERT_INT_EQ(c->taildrop_enabled, 0);
	ASSERT_INT_EQ(c->auto_update_enabled, 1);
	ASSERT_STR_EQ(c->cli_address, "hs.example.org:50443");
	ASSERT_STR_EQ(c->cli_api_key, "api-s3cret");
	ASSERT_INT_EQ(c->cli_timeout, 10);
	ASSERT_INT_EQ(c->cli_insecure, 1);

	ASSERT_INT_EQ(c->tuning_notifier_send_timeout_ms, 1000);
	ASSERT_INT_EQ(c->tuning_batch_change_delay_ms, 250);
	ASSERT_INT_EQ(c->tuning_node_mapsession_buffered_chan_size, 60);
	ASSERT_INT_EQ(c->tuning_batcher_workers, 4);
	ASSERT_INT_EQ(c->tuning_register_cache_expiration, 1800);
	ASSERT_INT_EQ(c->tuning_register_cache_max_entries, 2048);
	ASSERT_INT_EQ(c->tuning_node_store_batch_size, 50);
	ASSERT_INT_EQ(c->tuning_node_store_batch_timeout_ms, 1500);
	config_free(c);
}

/* The keys full_yaml must leave at their defaults, set on their own. */
TEST(exclusive_keys_alone)
{
	struct config	*c;
	char		 err[1024];

	c = load(MIN_YAML "tls_letsencrypt_hostname: hs.example.org\n"
	    "oidc:\n  client_secret_path: /run/creds/oidc\n", err,
	    sizeof(err));
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->tls_letsencrypt_hostname, "hs.example.org");
	ASSERT_STR_EQ(c->oidc_client_secret_path, "/run/creds/oidc");
	config_free(c);
	c = load(MIN_NODNS "dns:\n  base_domain: x.example\n"
	    "  nameservers: {global: [1.1.1.1]}\n"
	    "  extra_records_path: /srv/records.json\n", err, sizeof(err));
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->dns_extra_records_path, "/srv/records.json");
	config_free(c);
}

TEST(defaults)
{
	struct config	*c;
	char		 err[1024];

	clean_env();
	if ((c = load(MIN_YAML, err, sizeof(err))) == NULL)
		FAIL("load: %s", err);
	ASSERT(c->path == NULL);
	ASSERT_STR_EQ(c->listen_addr, "127.0.0.1:8080");
	ASSERT_STR_EQ(c->metrics_listen_addr, "127.0.0.1:9090");
	ASSERT_STR_EQ(c->grpc_listen_addr, ":50443");
	ASSERT_INT_EQ(c->grpc_allow_insecure, 0);
	ASSERT_INT_EQ(c->trusted_proxies.n, 0);
	ASSERT_INT_EQ(c->disable_check_updates, 0);
	ASSERT_STR_EQ(c->noise_private_key_path,
	    "/var/lib/coordd/noise_private.key");
	ASSERT_STR_EQ(c->prefixes_v6, "");
	ASSERT_STR_EQ(c->prefixes_allocation, "sequential");
	ASSERT_INT_EQ(c->derp_server_enabled, 0);
	ASSERT_INT_EQ(c->derp_server_region_id, 999);
	ASSERT_STR_EQ(c->derp_server_region_code, "headscale");
	ASSERT_STR_EQ(c->derp_server_region_name, "Headscale Embedded DERP");
	ASSERT_INT_EQ(c->derp_server_verify_clients, 1);
	ASSERT_STR_EQ(c->derp_server_stun_listen_addr, "0.0.0.0:3478");
	ASSERT_STR_EQ(c->derp_server_private_key_path,
	    "/var/lib/coordd/derp_server_private.key");
	ASSERT_INT_EQ(c->derp_server_automatically_add_embedded_derp_region,
	    1);
	ASSERT_INT_EQ(c->derp_urls.n, 0);
	ASSERT_INT_EQ(c->derp_paths.n, 0);
	ASSERT_INT_EQ(c->derp_auto_update_enabled, 0);
	ASSERT_INT_EQ(c->derp_update_frequency, 3 * 3600);
	ASSERT_INT_EQ(c->node_expiry, 0);
	ASSERT_INT_EQ(c->node_ephemeral_inactivity_timeout, 120);
	ASSERT_INT_EQ(c->node_routes_ha_probe_interval, 10);
	ASSERT_INT_EQ(c->node_routes_ha_probe_timeout, 5);
	ASSERT_STR_EQ(c->db_type, "sqlite");
	ASSERT_INT_EQ(c->db_debug, 0);
	ASSERT_STR_EQ(c->db_sqlite_path, "/var/lib/coordd/db.sqlite");
	ASSERT_INT_EQ(c->db_sqlite_wal, 1);
	ASSERT_INT_EQ(c->db_sqlite_wal_autocheckpoint, 1000);
	ASSERT_INT_EQ(c->db_postgres_max_open_conns, 10);
	ASSERT_STR_EQ(c->db_postgres_ssl, "false");
	ASSERT_STR_EQ(c->tls_letsencrypt_challenge_type, "HTTP-01");
	ASSERT_STR_EQ(c->tls_cert_path, "");
	ASSERT_STR_EQ(c->unix_socket, CTL_SOCKET);
	ASSERT_INT_EQ(c->unix_socket_permission, 0770);
	ASSERT_STR_EQ(c->log_level, "info");
	ASSERT_STR_EQ(c->log_format, "text");
	ASSERT_STR_EQ(c->policy_mode, "file");
	ASSERT_STR_EQ(c->policy_path, "");
	ASSERT_INT_EQ(c->dns_magic_dns, 1);
	ASSERT_INT_EQ(c->dns_override_local_dns, 1);
	ASSERT_INT_EQ(c->dns_nameservers_split_n, 0);
	ASSERT_INT_EQ(c->dns_search_domains.n, 0);
	ASSERT_INT_EQ(c->dns_extra_records_n, 0);
	ASSERT_INT_EQ(c->oidc_only_start_if_oidc_is_available, 1);
	ASSERT_STR_EQ(c->oidc_issuer, "");
	ASSERT_INT_EQ(c->oidc_scope.n, 3);
	ASSERT_STR_EQ(c->oidc_scope.v[0], "openid");
	ASSERT_STR_EQ(c->oidc_scope.v[1], "profile");
	ASSERT_STR_EQ(c->oidc_scope.v[2], "email");
	ASSERT_INT_EQ(c->oidc_email_verified_required, 1);
	ASSERT_INT_EQ(c->oidc_use_expiry_from_token, 0);
	ASSERT_INT_EQ(c->oidc_extra_params_n, 0);
	ASSERT_INT_EQ(c->oidc_pkce_enabled, 0);
	ASSERT_STR_EQ(c->oidc_pkce_method, "S256");
	ASSERT_INT_EQ(c->taildrop_enabled, 1);
	ASSERT_INT_EQ(c->auto_update_enabled, 0);
	ASSERT_INT_EQ(c->logtail_enabled, 0);
	ASSERT_INT_EQ(c->cli_timeout, 5);
	ASSERT_INT_EQ(c->cli_insecure, 0);
	ASSERT_INT_EQ(c->tuning_notifier_send_timeout_ms, 800);
	ASSERT_INT_EQ(c->tuning_node_store_batch_size, 100);
	ASSERT_INT_EQ(c->tuning_node_store_batch_timeout_ms, 500);
	config_free(c);
}

/* An empty file is headscale's defaults, which headscale refuses. */
TEST(empty_file_needs_the_required_keys)
{
	char	err[2048];

	ASSERT(load_fails("", err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "t.yaml:(default): server_url: must start "
	    "with http:// or https://");
	ASSERT_STR_CONTAINS(err, "t.yaml:(default): prefixes.v4:");
	ASSERT_STR_CONTAINS(err, "t.yaml:(default): dns.base_domain:");
	ASSERT_STR_CONTAINS(err, "t.yaml:(default): dns.nameservers.global:");
	ASSERT(load_fails("# only a comment\n---\n", err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "server_url");
}

TEST(null_values)
{
	struct config	*c;
	char		 err[1024];

	c = load(MIN_YAML "acme_email:\ngrpc_allow_insecure: ~\n"
	    "oidc:\n  scope:\n  extra_params:\nderp:\ncli: null\n", err,
	    sizeof(err));
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->acme_email, "");
	ASSERT_INT_EQ(c->grpc_allow_insecure, 0);
	ASSERT_INT_EQ(c->oidc_scope.n, 0);
	config_free(c);
}

TEST(keys_are_case_insensitive_and_lists_take_words)
{
	struct config	*c;
	char		 err[1024];

	c = load(MIN_NODNS "DNS:\n  Base_Domain: ts.example.net\n"
	    "  nameservers:\n    global: 1.1.1.1 8.8.8.8\n", err,
	    sizeof(err));
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->dns_base_domain, "ts.example.net");
	ASSERT_INT_EQ(c->dns_nameservers_global.n, 2);
	ASSERT_STR_EQ(c->dns_nameservers_global.v[1], "8.8.8.8");
	config_free(c);
}

TEST(env_overrides)
{
	struct config	*c;
	char		 err[1024];

	clean_env();
	setenv("HEADSCALE_LISTEN_ADDR", "0.0.0.0:8443", 1);
	setenv("HEADSCALE_DERP_SERVER_ENABLED", "true", 1);
	setenv("HEADSCALE_DERP_SERVER_REGION_ID", "901", 1);
	setenv("HEADSCALE_NODE_EXPIRY", "180d", 1);
	setenv("HEADSCALE_DNS_NAMESERVERS_GLOBAL", "8.8.8.8  9.9.9.9", 1);
	setenv("HEADSCALE_UNIX_SOCKET_PERMISSION", "0700", 1);
	setenv("HEADSCALE_DNS_BASE_DOMAIN", "env.example.net", 1);
	setenv("HEADSCALE_ACME_EMAIL", "", 1);	/* empty: ignored */
	c = load_env(MIN_YAML "acme_email: a@b.c\n", err, sizeof(err));
	clean_env();
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->listen_addr, "0.0.0.0:8443");
	ASSERT_INT_EQ(c->derp_server_enabled, 1);
	ASSERT_INT_EQ(c->derp_server_region_id, 901);
	ASSERT_INT_EQ(c->node_expiry, 180 * 86400);
	ASSERT_INT_EQ(c->dns_nameservers_global.n, 2);
	ASSERT_STR_EQ(c->dns_nameservers_global.v[0], "8.8.8.8");
	ASSERT_STR_EQ(c->dns_nameservers_global.v[1], "9.9.9.9");
	ASSERT_INT_EQ(c->unix_socket_permission, 0700);
	/* The environment wins over the file. */
	ASSERT_STR_EQ(c->dns_base_domain, "env.example.net");
	ASSERT_STR_EQ(c->acme_email, "a@b.c");
	config_free(c);

	/* And is not looked at unless asked for. */
	setenv("HEADSCALE_LISTEN_ADDR", "0.0.0.0:8443", 1);
	c = load(MIN_YAML, err, sizeof(err));
	clean_env();
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->listen_addr, "127.0.0.1:8080");
	config_free(c);
}

TEST(env_bad_values_name_the_variable)
{
	char	err[1024];

	clean_env();
	ASSERT(env_load_fails("HEADSCALE_DERP_SERVER_ENABLED", "maybe", err,
	    sizeof(err)));
	ASSERT_STR_CONTAINS(err, "environment HEADSCALE_DERP_SERVER_ENABLED: "
	    "derp.server.enabled: expected a boolean");
	ASSERT(env_load_fails("HEADSCALE_CLI_TIMEOUT", "5", err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "HEADSCALE_CLI_TIMEOUT: cli.timeout: "
	    "expected a duration");

	/* Validation of a value from the environment names it too. */
	ASSERT(env_load_fails("HEADSCALE_LOG_LEVEL", "verbose", err,
	    sizeof(err)));
	ASSERT_STR_CONTAINS(err, "environment HEADSCALE_LOG_LEVEL: log.level:");
	ASSERT(env_load_fails("HEADSCALE_OIDC_EXPIRY", "1d", err,
	    sizeof(err)));
	ASSERT_STR_CONTAINS(err, "HEADSCALE_OIDC_EXPIRY: oidc.expiry: this "
	    "key was removed, use node.expiry instead");
	ASSERT(env_load_fails("HEADSCALE_ACME_EMAIL", "\xff\xfe", err,
	    sizeof(err)));
	ASSERT_STR_CONTAINS(err, "not valid UTF-8");
}

TEST(client_secret_path_expands_the_environment)
{
	struct config	*c;
	char		 err[1024];

	clean_env();
	setenv("COORDD_TEST_CREDS", "/run/credentials/coordd", 1);
	c = load_env(MIN_YAML "oidc:\n  client_secret_path: "
	    "${COORDD_TEST_CREDS}/oidc_secret\n", err, sizeof(err));
	unsetenv("COORDD_TEST_CREDS");
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->oidc_client_secret_path,
	    "/run/credentials/coordd/oidc_secret");
	config_free(c);
}

static const struct error_case removed_cases[] = {
	{ MIN_YAML "acl_policy_path: /etc/acl.hujson\n",
	    "t.yaml:8: acl_policy_path: this key was removed, use policy.path "
	    "instead" },
	{ MIN_YAML "dns_config:\n  magic_dns: true\n",
	    "t.yaml:9: dns_config.magic_dns: this key was removed, use "
	    "dns.magic_dns instead" },
	{ MIN_YAML "dns_config:\n  restricted_nameservers: {}\n",
	    "t.yaml:9: dns_config.restricted_nameservers: this key was "
	    "removed, use dns.nameservers.split instead" },
	{ MIN_YAML "dns_config:\n  use_username_in_magic_dns: true\n",
	    "t.yaml:9: dns_config.use_username_in_magic_dns: this key was "
	    "removed, it has no replacement" },
	{ MIN_YAML "dns_config:\n  whatever: 1\n",
	    "t.yaml:9: dns_config.whatever: this key was removed, use the dns "
	    "section" },
	{ MIN_YAML "dns_config: {}\n",
	    "t.yaml:8: dns_config: this key was removed, use the dns "
	    "section" },
	{ MIN_NODNS "dns:\n  base_domain: ts.example.net\n"
	    "  use_username_in_magic_dns: false\n"
	    "  nameservers: {global: [1.1.1.1]}\n",
	    "t.yaml:6: dns.use_username_in_magic_dns: this key was removed, "
	    "it has no replacement" },
	{ MIN_YAML "oidc:\n  strip_email_domain: true\n",
	    "t.yaml:9: oidc.strip_email_domain: this key was removed, it has "
	    "no replacement since headscale 0.26" },
	{ MIN_YAML "oidc:\n  map_legacy_users: false\n",
	    "t.yaml:9: oidc.map_legacy_users: this key was removed" },
	{ MIN_YAML "randomize_client_port: true\n",
	    "t.yaml:8: randomize_client_port: this key was removed, set "
	    "\"randomizeClientPort\": true at the top level of the policy "
	    "file" },
	{ MIN_YAML "node:\n  expiry: 1d\noidc:\n  expiry: 180d\n",
	    "t.yaml:11: oidc.expiry: this key was removed, use node.expiry "
	    "instead" },
};

TEST(removed_keys_are_errors)
{
	check_error_cases(removed_cases, nitems(removed_cases));
}

/* A renamed key next to its new name only warns, as in headscale. */
TEST(renamed_key_with_new_key_warns)
{
	struct config	*c;
	char		 err[1024], *warn;

	if ((c = load_quiet(MIN_YAML "acl_policy_path: /a.hujson\npolicy:\n"
	    "  path: /b.hujson\n", err, sizeof(err), &warn)) == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->policy_path, "/b.hujson");
	config_free(c);
	ASSERT_STR_CONTAINS(warn, "t.yaml:8: acl_policy_path: this key was "
	    "removed and is ignored, policy.path is used");
	free(warn);
}

TEST(deprecated_ephemeral_timeout)
{
	struct config	*c;
	char		 err[1024], *warn;

	if ((c = load_quiet(MIN_YAML "ephemeral_node_inactivity_timeout: "
	    "10m\n", err, sizeof(err), &warn)) == NULL)
		FAIL("load: %s", err);
	ASSERT_INT_EQ(c->node_ephemeral_inactivity_timeout, 600);
	config_free(c);
	ASSERT_STR_CONTAINS(warn, "t.yaml:8: ephemeral_node_inactivity_timeout:"
	    " deprecated, use node.ephemeral.inactivity_timeout");
	free(warn);

	/* The new key wins when both are there. */
	c = load_quiet(MIN_YAML "ephemeral_node_inactivity_timeout: 10m\n"
	    "node:\n  ephemeral:\n    inactivity_timeout: 5m\n", err,
	    sizeof(err), NULL);
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_INT_EQ(c->node_ephemeral_inactivity_timeout, 300);
	config_free(c);
}

TEST(unknown_keys_warn)
{
	struct config	*c;
	char		 err[1024], *warn;

	if ((c = load_quiet(MIN_YAML "foo: bar\nderp:\n  bogus:\n"
	    "    deeper: 1\ndns_extra:\n  - 1\n", err, sizeof(err),
	    &warn)) == NULL)
		FAIL("load: %s", err);
	config_free(c);
	ASSERT_STR_CONTAINS(warn, "t.yaml:8: unknown key foo");
	ASSERT_STR_CONTAINS(warn, "t.yaml:10: unknown key derp.bogus");
	ASSERT_STR_CONTAINS(warn, "t.yaml:12: unknown key dns_extra");
	ASSERT(strstr(warn, "deeper") == NULL);
	free(warn);
}

static const struct error_case type_cases[] = {
	{ MIN_YAML "derp:\n  server:\n    enabled: maybe\n",
	    "t.yaml:10: derp.server.enabled: expected a boolean (true or "
	    "false), got \"maybe\"" },
	{ MIN_YAML "derp:\n  server:\n    region_id: nine\n",
	    "t.yaml:10: derp.server.region_id: expected an integer" },
	{ MIN_YAML "derp:\n  server:\n    region_id: 99999999999\n",
	    "t.yaml:10: derp.server.region_id: 99999999999 is out of range" },
	{ MIN_YAML "database:\n  postgres:\n    port: -1\n",
	    "t.yaml:10: database.postgres.port: -1 is out of range (0 to "
	    "65535)" },
	{ MIN_YAML "derp:\n  update_frequency: 3\n",
	    "t.yaml:9: derp.update_frequency: expected a duration" },
	{ MIN_YAML "node:\n  expiry: -1h\n",
	    "t.yaml:9: node.expiry: expected a duration" },
	{ MIN_YAML "unix_socket_permission: \"0999\"\n",
	    "t.yaml:8: unix_socket_permission: expected an octal file mode" },
	{ MIN_YAML "unix_socket_permission: 01777\n",
	    "t.yaml:8: unix_socket_permission: expected an octal file mode" },
	{ MIN_YAML "trusted_proxies: {a: b}\n",
	    "t.yaml:8: trusted_proxies: expected a list of strings" },
	{ MIN_YAML "trusted_proxies:\n  - [1.2.3.4/32]\n",
	    "t.yaml:9: trusted_proxies: expected a string" },
	{ MIN_YAML "listen_addr: [a, b]\n",
	    "t.yaml:8: listen_addr: expected a string" },
	{ MIN_YAML "listen_addr:\n  host: a\n",
	    "t.yaml:9: listen_addr: expected a string" },
	{ MIN_YAML "oidc: [1, 2]\n",
	    "t.yaml:8: oidc: expected a mapping" },
	{ MIN_YAML "log: debug\n",
	    "t.yaml:8: log: expected a mapping" },
	{ MIN_NODNS "dns:\n  base_domain: x.example\n"
	    "  nameservers: {global: [1.1.1.1]}\n  extra_records: foo\n",
	    "t.yaml:7: dns.extra_records: expected a list of records" },
	{ MIN_NODNS "dns:\n  base_domain: x.example\n"
	    "  nameservers: {global: [1.1.1.1]}\n"
	    "  extra_records:\n    - name: a\n      type: A\n",
	    "t.yaml:8: dns.extra_records: a record needs a name and a value" },
	{ MIN_NODNS "dns:\n  base_domain: x.example\n"
	    "  nameservers:\n    global: [1.1.1.1]\n    split: [a]\n",
	    "t.yaml:8: dns.nameservers.split: expected a mapping of domains" },
	{ MIN_NODNS "dns:\n  base_domain: x.example\n"
	    "  nameservers:\n    global: [1.1.1.1]\n    split:\n"
	    "      a.example: [1.1.1.1]\n      A.example: [1.1.1.1]\n",
	    "t.yaml:10: dns.nameservers.split: repeated domain" },
	{ MIN_YAML "oidc:\n  extra_params:\n    a: [1]\n",
	    "t.yaml:10: oidc.extra_params: expected a string" },
	{ MIN_YAML "listen_addr: a\nlisten_addr: b\n",
	    "t.yaml:9: listen_addr: repeated key" },
	{ MIN_YAML "? [a, b]\n: c\n",
	    "t.yaml:8: expected a string as key" },
	{ MIN_YAML "acme_email: \"a\\0b\"\n",
	    "t.yaml:8: acme_email: value contains a NUL byte" },
	{ MIN_YAML "listen_addr: 'x\n",
	    "t.yaml:9: found unexpected end of stream while scanning a quoted "
	    "scalar started on line 8" },
	{ MIN_YAML "listen_addr: x: y\n",
	    "t.yaml:8: mapping values are not allowed in this context" },
};

TEST(type_errors_have_lines)
{
	check_error_cases(type_cases, nitems(type_cases));
}

TEST(several_errors_are_all_reported)
{
	char	err[2048];

	ASSERT(load_fails(MIN_YAML "listen_addr: [1]\nlog:\n  level: [2]\n"
	    "cli:\n  timeout: forever\n", err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "t.yaml:8: listen_addr:");
	ASSERT_STR_CONTAINS(err, "\nt.yaml:10: log.level:");
	ASSERT_STR_CONTAINS(err, "\nt.yaml:12: cli.timeout:");
}

static const struct error_case validation_cases[] = {
	{ "server_url: ftp://hs.example.org\nprefixes: {v4: 100.64.0.0/10}\n"
	    "dns: {base_domain: a.example, nameservers: {global: [1.1.1.1]}}\n",
	    "t.yaml:1: server_url: must start with http:// or https://" },
	{ "server_url: https://ts.example.net\nprefixes: {v4: 100.64.0.0/10}\n"
	    "dns: {base_domain: ts.example.net, "
	    "nameservers: {global: [1.1.1.1]}}\n",
	    "t.yaml:1: server_url: the host ts.example.net must not be the "
	    "same as dns.base_domain" },
	{ "server_url: https://hs.TS.example.net:443/x\n"
	    "prefixes: {v4: 100.64.0.0/10}\n"
	    "dns: {base_domain: ts.example.net, "
	    "nameservers: {global: [1.1.1.1]}}\n",
	    "t.yaml:1: server_url: the host hs.TS.example.net must not be "
	    "under dns.base_domain" },
	{ MIN_NODNS "  v6: 100.64.0.0/10\n"
	    "dns: {base_domain: a.example, nameservers: {global: [1.1.1.1]}}\n",
	    "t.yaml:4: prefixes.v6: \"100.64.0.0/10\" is not an IPv6 prefix" },
	{ "server_url: https://hs.example.org\nprefixes:\n  v4: 100.64.0.0\n"
	    "dns: {base_domain: a.example, nameservers: {global: [1.1.1.1]}}\n",
	    "t.yaml:3: prefixes.v4: \"100.64.0.0\" is not an IPv4 prefix" },
	{ "server_url: https://hs.example.org\nprefixes:\n"
	    "  v4: 100.64.0.0/33\n"
	    "dns: {base_domain: a.example, nameservers: {global: [1.1.1.1]}}\n",
	    "t.yaml:3: prefixes.v4: \"100.64.0.0/33\" is not an IPv4 prefix" },
	{ MIN_YAML "prefixes_extra: 1\n",
	    NULL },
	{ MIN_NODNS "  allocation: roundrobin\n"
	    "dns: {base_domain: a.example, nameservers: {global: [1.1.1.1]}}\n",
	    "t.yaml:4: prefixes.allocation: \"roundrobin\" is not sequential "
	    "or random" },
	{ MIN_NODNS "dns:\n  nameservers: {global: [1.1.1.1]}\n",
	    "t.yaml:(default): dns.base_domain: must be set when "
	    "dns.magic_dns is true" },
	{ MIN_NODNS "dns:\n  base_domain: a.example\n  nameservers:\n"
	    "    global: []\n",
	    "t.yaml:7: dns.nameservers.global: must be set when "
	    "dns.override_local_dns is true" },
	{ MIN_NODNS "dns:\n  base_domain: a.example\n"
	    "  nameservers: {global: [1.1.1.1]}\n"
	    "  extra_records: [{name: a, value: 1.2.3.4}]\n"
	    "  extra_records_path: /x.json\n",
	    "t.yaml:8: dns.extra_records_path: dns.extra_records and "
	    "dns.extra_records_path are mutually exclusive" },
	{ MIN_YAML "tls_letsencrypt_hostname: hs.example.org\n"
	    "tls_cert_path: /c.pem\ntls_key_path: /k.pem\n",
	    "t.yaml:8: tls_letsencrypt_hostname: set either "
	    "tls_letsencrypt_hostname or tls_cert_path/tls_key_path" },
	{ MIN_YAML "tls_cert_path: /c.pem\n",
	    "t.yaml:(default): tls_key_path: tls_cert_path and tls_key_path "
	    "go together" },
	{ MIN_YAML "tls_letsencrypt_challenge_type: DNS-01\n",
	    "t.yaml:8: tls_letsencrypt_challenge_type: \"DNS-01\" is not" },
	{ MIN_YAML "oidc:\n  client_secret: s\n  client_secret_path: /p\n",
	    "t.yaml:10: oidc.client_secret_path: oidc.client_secret and "
	    "oidc.client_secret_path are mutually exclusive" },
	{ MIN_YAML "oidc:\n  pkce:\n    method: S512\n",
	    "t.yaml:10: oidc.pkce.method: \"S512\" is not plain or S256" },
	{ MIN_YAML "node:\n  ephemeral:\n    inactivity_timeout: 65s\n",
	    "t.yaml:10: node.ephemeral.inactivity_timeout: 65s is too low, "
	    "it must be more than 65s" },
	{ MIN_YAML "node:\n  routes:\n    ha:\n      probe_interval: 1s\n",
	    "t.yaml:11: node.routes.ha.probe_interval: must be 0 (disabled) or "
	    "at least 2s" },
	{ MIN_YAML "node:\n  routes:\n    ha:\n      probe_timeout: 10s\n",
	    "t.yaml:11: node.routes.ha.probe_timeout: must be less than" },
	{ MIN_YAML "noise:\n  private_key_path: \"\"\n",
	    "t.yaml:9: noise.private_key_path: must be set" },
	{ MIN_YAML "noise:\n  private_key_path: /k\n"
	    "derp:\n  server:\n    private_key_path: /k\n",
	    "t.yaml:12: derp.server.private_key_path: must differ from "
	    "noise.private_key_path" },
	{ MIN_YAML "derp:\n  server:\n    enabled: true\n"
	    "    stun_listen_addr: \"\"\n",
	    "t.yaml:11: derp.server.stun_listen_addr: must be set when "
	    "derp.server.enabled is true" },
	{ MIN_YAML "derp:\n  server:\n    enabled: true\n"
	    "    automatically_add_embedded_derp_region: false\n",
	    "t.yaml:11: derp.server.automatically_add_embedded_derp_region: "
	    "when false" },
	{ MIN_YAML "database:\n  type: mysql\n",
	    "t.yaml:9: database.type: \"mysql\" is not sqlite, sqlite3 or "
	    "postgres" },
	{ MIN_YAML "policy:\n  mode: ldap\n",
	    "t.yaml:9: policy.mode: \"ldap\" is not file or database" },
	{ MIN_YAML "log:\n  level: verbose\n",
	    "t.yaml:9: log.level: \"verbose\" is not one of panic, fatal, "
	    "error, warn, info, debug, trace" },
	{ MIN_YAML "log:\n  format: xml\n",
	    "t.yaml:9: log.format: \"xml\" is not text or json" },
	{ MIN_YAML "trusted_proxies: [10.0.0.0/8, 0.0.0.0/0]\n",
	    "t.yaml:8: trusted_proxies: \"0.0.0.0/0\": 0.0.0.0/0 and ::/0 are "
	    "not allowed" },
	{ MIN_YAML "trusted_proxies: [proxy.example]\n",
	    "t.yaml:8: trusted_proxies: \"proxy.example\" is not a prefix" },
	{ MIN_YAML "tuning:\n  node_store_batch_size: 0\n",
	    "t.yaml:9: tuning.node_store_batch_size: 0 is out of range" },
	{ MIN_YAML "tuning:\n  node_store_batch_timeout: 0\n",
	    "t.yaml:9: tuning.node_store_batch_timeout: must be more than 0" },
	{ MIN_YAML "derp:\n  auto_update_enabled: true\n"
	    "  update_frequency: 0\n",
	    "t.yaml:10: derp.update_frequency: must be more than 0" },
};

TEST(validation_errors)
{
	check_error_cases(validation_cases, nitems(validation_cases));
}

TEST(validation_accepts_edge_values)
{
	struct config	*c;
	char		 err[1024];

	c = load(MIN_YAML "node:\n  ephemeral:\n    inactivity_timeout: 66s\n"
	    "  routes:\n    ha:\n      probe_interval: 0\n"
	    "      probe_timeout: 0\n"
	    "database:\n  type: sqlite3\n", err, sizeof(err));
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->db_type, "sqlite");
	ASSERT_INT_EQ(c->node_routes_ha_probe_interval, 0);
	config_free(c);
}

TEST(relative_paths)
{
	struct config	*c;
	char		 err[1024], cwd[PATH_MAX], want[PATH_MAX + 32];
	const char	*yaml = MIN_YAML "database:\n  sqlite:\n"
			    "    path: ./state/db.sqlite\n"
			    "policy:\n  path: policy.hujson\n";

	/* From a buffer, against the working directory. */
	if ((c = load(yaml, err, sizeof(err))) == NULL)
		FAIL("load: %s", err);
	ASSERT(getcwd(cwd, sizeof(cwd)) != NULL);
	snprintf(want, sizeof(want), "%s/state/db.sqlite", cwd);
	ASSERT_STR_EQ(c->db_sqlite_path, want);
	snprintf(want, sizeof(want), "%s/policy.hujson", cwd);
	ASSERT_STR_EQ(c->policy_path, want);
	config_free(c);

	/* From a file given relative to the working directory. */
	write_file("rel.yaml", yaml, strlen(yaml));
	ASSERT(chdir(test_tmpdir()) == 0);
	c = config_load("rel.yaml", 0, err, sizeof(err));
	ASSERT(chdir(cwd) == 0);
	if (c == NULL)
		FAIL("load: %s", err);
	snprintf(want, sizeof(want), "%s/rel.yaml", test_tmpdir());
	ASSERT_STR_EQ(c->path, want);
	snprintf(want, sizeof(want), "%s/state/db.sqlite", test_tmpdir());
	ASSERT_STR_EQ(c->db_sqlite_path, want);
	config_free(c);
}

TEST(load_missing_file)
{
	char	err[1024];
	char	path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/does-not-exist.yaml", test_tmpdir());
	ASSERT(config_load(path, 0, err, sizeof(err)) == NULL);
	ASSERT_STR_CONTAINS(err, "does-not-exist.yaml: No such file");
	ASSERT(config_load(test_tmpdir(), 0, err, sizeof(err)) == NULL);
	ASSERT_STR_CONTAINS(err, "Is a directory");
}

TEST(default_path)
{
	const char	*p;

	p = config_default_path();
	ASSERT(strcmp(p, CONF_FILE) == 0 ||
	    strcmp(p, CONF_FILE_HEADSCALE) == 0);
	if (access(CONF_FILE, F_OK) == -1 &&
	    access(CONF_FILE_HEADSCALE, F_OK) == -1)
		ASSERT_STR_EQ(p, CONF_FILE);
}

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	char	*buf, *p;
	size_t	 ul = strlen(unit), i;

	buf = malloc(strlen(head) + ul * n + strlen(tail) + 1);
	if (buf == NULL)
		exit(2);
	p = stpcpy(buf, head);
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	strcpy(p, tail);
	return (buf);
}

TEST(bounds)
{
	struct config	*c;
	char		 err[1024], *y, *s;
	size_t		 i;

	/* More than 1 MiB, even if only a comment. */
	y = repeat(MIN_YAML "#", "x", CONFIG_MAX_FILE, "\n");
	ASSERT(load_fails(y, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "t.yaml:1: larger than 1048576 bytes");
	free(y);
	y = repeat(MIN_YAML "#", "x", 1000, "\n");
	c = config_load(write_file("big.yaml", y, strlen(y)), 0, err,
	    sizeof(err));
	free(y);
	ASSERT(c != NULL);
	config_free(c);
	y = repeat(MIN_YAML "#", "x", CONFIG_MAX_FILE, "\n");
	c = config_load(write_file("big.yaml", y, strlen(y)), 0, err,
	    sizeof(err));
	ASSERT(c == NULL);
	ASSERT_STR_CONTAINS(err, "larger than 1048576 bytes");
	free(y);

	/* Sixteen levels are fine, seventeen are not. */
	y = repeat(MIN_YAML "deep: ", "[", 15, "]]]]]]]]]]]]]]]\n");
	c = load_quiet(y, err, sizeof(err), NULL);
	s = c == NULL ? err : NULL;
	config_free(c);
	free(y);
	if (s != NULL)
		FAIL("16 levels: %s", s);
	y = repeat(MIN_YAML "deep: ", "[", 16, "]]]]]]]]]]]]]]]]\n");
	ASSERT(load_fails(y, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "t.yaml:8: nesting deeper than 16 levels");
	free(y);
	y = repeat(MIN_YAML "deep: ", "[", 100000, "\n");
	ASSERT(load_fails(y, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "nesting deeper than 16 levels");
	free(y);

	/* Strings up to 4096 bytes. */
	y = repeat(MIN_YAML "acme_email: ", "a", CONFIG_MAX_STRING, "\n");
	c = load_quiet(y, err, sizeof(err), NULL);
	free(y);
	ASSERT(c != NULL);
	config_free(c);
	y = repeat(MIN_YAML "acme_email: ", "a", CONFIG_MAX_STRING + 1, "\n");
	ASSERT(load_fails(y, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "t.yaml:8: acme_email: value longer than "
	    "4096 bytes");
	free(y);

	/* Lists up to 1024 entries, in YAML or as words. */
	y = repeat(MIN_YAML "oidc:\n  allowed_users:\n", "    - a@b\n",
	    CONFIG_MAX_LIST + 1, "");
	ASSERT(load_fails(y, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "t.yaml:10: oidc.allowed_users: more than "
	    "1024 items");
	free(y);
	y = repeat(MIN_YAML "oidc:\n  allowed_users: \"", "a ",
	    CONFIG_MAX_LIST + 1, "\"\n");
	ASSERT(load_fails(y, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "more than 1024 items");
	free(y);
	y = repeat(MIN_YAML "oidc:\n  allowed_users:\n", "    - a@b\n",
	    CONFIG_MAX_LIST, "");
	c = load_quiet(y, err, sizeof(err), NULL);
	free(y);
	ASSERT(c != NULL);
	i = c->oidc_allowed_users.n;
	config_free(c);
	ASSERT_INT_EQ(i, 1024);

	/* Too many values anywhere, even under an unknown key. */
	y = repeat(MIN_YAML "junk: [", "1,", 70000, "1]\n");
	ASSERT(load_fails(y, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "more than 65536 values");
	free(y);

	/* Many errors are cut short. */
	y = repeat(MIN_YAML, "listen_addr: [x]\n", 40, "");
	ASSERT(load_fails(y, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "t.yaml: 24 more errors not shown");
	free(y);
	for (i = 0; i < 4; i++)
		err[i] = 'x';
	/* A tiny error buffer is still terminated. */
	ASSERT(load_fails("listen_addr: [x]\n", err, 4));
	ASSERT_INT_EQ(strlen(err), 3);
}

static const char *garbage_cases[] = {
	"",
	"\n\n\n",
	"---\n",
	"--- 1\n",
	"[1, 2, 3]\n",
	"just a string\n",
	"a: b\n---\nc: d\n",
	"{{{{\n",
	":\n",
	"- - - -\n",
	"? ? ? ?\n",
	"a: *undefined\n",
	"%YAML 1.1\n%YAML 1.1\n---\n",
	"!!binary aGVsbG8=\n",
	"server_url: !!binary aGVsbG8=\n",
	"a: &a [*a, *a]\nb: &b [*a, *a, *a]\n",
	"dns: &d {nameservers: *d, base_domain: *d}\n",
	"derp: &d\n  server: *d\n",
	"<<: {server_url: https://x}\n",
	"\xef\xbb\xbfserver_url: https://x\n",
	"server_url: \"\\uD800\"\n",
	"server_url: \xc3\x28\n",
	"\t\tkey: value\n",
	"key: 'unterminated\n",
	"key: \"bad \\q escape\"\n",
	"dns:\n  extra_records:\n    - [a, b]\n    - 1\n",
	"dns:\n  nameservers:\n    split:\n      ? [a]\n      : [b]\n",
	"oidc:\n  extra_params: [a]\n",
	"oidc:\n  extra_params:\n    ? {a: b}\n    : c\n",
};

/* A YAML "billion laughs": tiny text, astronomically many nodes. */
static const char alias_bomb[] =
    MIN_YAML
    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
    "trusted_proxies: *i\n"
    "oidc: {scope: *i, extra_params: *i}\n";

TEST(garbage_never_crashes)
{
	struct config	*c;
	char		 err[1024], bin[4096];
	size_t		 i;
	unsigned int	 seed = 1;
	int		 loaded;

	capture_start();
	for (i = 0; i < nitems(garbage_cases); i++) {
		c = load(garbage_cases[i], err, sizeof(err));
		config_free(c);
	}
	c = load(alias_bomb, err, sizeof(err));
	loaded = c != NULL;
	config_free(c);
	for (i = 0; i < sizeof(bin); i++) {
		seed = seed * 1103515245 + 12345;
		bin[i] = (char)(seed >> 16);
	}
	for (i = 0; i < 64; i++) {
		c = config_load_buffer("bin", bin + i * 7, sizeof(bin) - i * 7,
		    0, err, sizeof(err));
		config_free(c);
	}
	c = config_load_buffer("null", NULL, 0, 0, err, sizeof(err));
	config_free(c);
	c = config_load_buffer("nul", "a: b\0c: d\n", 10, 0, err, sizeof(err));
	free(capture_end());
	ASSERT(c == NULL);
	ASSERT_STR_CONTAINS(err, "nul:1: control characters are not allowed");
	ASSERT(!loaded);
	ASSERT(load_fails(alias_bomb, err, sizeof(err)));
	ASSERT_STR_CONTAINS(err, "trusted_proxies: expected a string");
}

/* Deterministic mutations of a valid file, the openssh way. */
TEST(mutations_never_crash)
{
	struct config	*c;
	static const char *inserts[] = { "[", "]", "{", "}", "&a ", "*a", ":",
	    "- ", "\n", "\"", "'", "\t", "!!str ", "? ", "#", "\\", "~",
	    "\xc3", "0x", "9999999999999999999" };
	const char	*ins;
	char		*buf, err[1024];
	size_t		 len, i, at, n, flen = sizeof(full_yaml) - 1;
	unsigned int	 seed = 42, r;
	int		 k;

	buf = malloc(flen * 2 + 64);
	ASSERT(buf != NULL);
	capture_start();
	for (i = 0; i < 1500; i++) {
		memcpy(buf, full_yaml, flen);
		len = flen;
		for (k = 0; k < 1 + (int)(i % 4); k++) {
			seed = seed * 1103515245 + 12345;
			r = seed >> 8;
			at = r % len;
			switch (r % 4) {
			case 0:
				buf[at] = (char)(r >> 12);
				break;
			case 1:
				n = MINIMUM(len - at, (r >> 12) % 40);
				memmove(buf + at, buf + at + n, len - at - n);
				len -= n;
				break;
			case 2:
				ins = inserts[(r >> 12) % nitems(inserts)];
				n = strlen(ins);
				memmove(buf + at + n, buf + at, len - at);
				memcpy(buf + at, ins, n);
				len += n;
				break;
			default:
				len = at + 1;
				break;
			}
			if (len > flen + 32)
				len = flen;
		}
		c = config_load_buffer("m", buf, len, 0, err, sizeof(err));
		config_free(c);
	}
	free(capture_end());
	free(buf);
}

static int
same_print(const struct config *c, int flags, char *why, size_t whylen)
{
	struct config	*c2;
	char		*a, *b, err[1024];
	size_t		 alen, blen;
	int		 same;

	if ((a = config_print_string(c, flags, &alen)) == NULL) {
		snprintf(why, whylen, "print failed");
		return (0);
	}
	if ((c2 = config_load_buffer("(printed)", a, alen, 0, err,
	    sizeof(err))) == NULL) {
		snprintf(why, whylen, "reload failed: %s", err);
		free(a);
		return (0);
	}
	b = config_print_string(c2, flags, &blen);
	same = b != NULL && alen == blen && memcmp(a, b, alen) == 0;
	if (!same)
		snprintf(why, whylen, "prints differ:\n%s\n----\n%s", a, b);
	free(a);
	free(b);
	config_free(c2);
	return (same);
}

TEST(print_round_trip)
{
	struct config	*c;
	char		 err[1024], why[32768];
	const char	*path;

	clean_env();
	path = write_file("full.yaml", full_yaml, strlen(full_yaml));
	if ((c = config_load(path, 0, err, sizeof(err))) == NULL)
		FAIL("load: %s", err);
	if (!same_print(c, 0, why, sizeof(why))) {
		config_free(c);
		FAIL("%s", why);
	}
	if (!same_print(c, CONFIG_PRINT_REDACT, why, sizeof(why))) {
		config_free(c);
		FAIL("redacted: %s", why);
	}
	config_free(c);

	/* Awkward strings survive too. */
	c = load(MIN_YAML "acme_email: \"q\\\"b\\\\s\\tt\\nn\\x01\\x7f "
	    "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \\u0085 \\ufeff\"\n"
	    "oidc:\n  extra_params: {\"k: \\\"x\": \"#v\"}\n"
	    "  allowed_users: [\"- a\", \"[b]\", \"c: d\", \"&e\", \"*f\"]\n",
	    err, sizeof(err));
	if (c == NULL)
		FAIL("load: %s", err);
	ASSERT_STR_EQ(c->acme_email, "q\"b\\s\tt\nn\x01\x7f \xc3\xa9 "
	    "\xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x85 \xef\xbb\xbf");
	if (!same_print(c, 0, why, sizeof(why))) {
		config_free(c);
		FAIL("%s", why);
	}
	config_free(c);
}

TEST(print_redacts_secrets)
{
	struct config	*c;
	char		 err[1024], *s, *r;

	if ((c = load(full_yaml, err, sizeof(err))) == NULL)
		FAIL("load: %s", err);
	s = config_print_string(c, 0, NULL);
	r = config_print_string(c, CONFIG_PRINT_REDACT, NULL);
	config_free(c);
	ASSERT(s != NULL && r != NULL);
	ASSERT_STR_CONTAINS(s, "  client_secret: \"oidc-s3cret\"\n");
	ASSERT_STR_CONTAINS(s, "  api_key: \"api-s3cret\"\n");
	ASSERT_STR_CONTAINS(s, "    pass: \"pg-s3cret\"\n");
	ASSERT(strstr(r, "s3cret") == NULL);
	ASSERT_STR_CONTAINS(r, "  # client_secret: <redacted>\n");
	ASSERT(strstr(r, "client_secret: \"") == NULL);
	ASSERT_STR_CONTAINS(r, "  # api_key: <redacted>\n");
	ASSERT_STR_CONTAINS(r, "    # pass: <redacted>\n");
	free(s);
	free(r);

	/* Read back, a redacted secret is simply not set. */
	if ((c = load(full_yaml, err, sizeof(err))) == NULL)
		FAIL("load: %s", err);
	r = config_print_string(c, CONFIG_PRINT_REDACT, NULL);
	config_free(c);
	c = load(r, err, sizeof(err));
	free(r);
	if (c == NULL)
		FAIL("reload: %s", err);
	ASSERT_STR_EQ(c->oidc_client_secret, "");
	ASSERT_STR_EQ(c->oidc_issuer, "https://id.example.org");
	config_free(c);
}

TEST(print_to_a_failing_stream)
{
	struct config	*c;
	FILE		*fp;
	char		 err[1024];

	if ((c = load(MIN_YAML, err, sizeof(err))) == NULL)
		FAIL("load: %s", err);
	if ((fp = fopen("/dev/full", "w")) == NULL) {
		config_free(c);
		return;
	}
	ASSERT_INT_EQ(config_print(fp, c, 0), -1);
	fclose(fp);
	config_free(c);
}

static const struct {
	const char	*in;
	long long	 secs;
} duration_cases[] = {
	{ "0", 0 },
	{ "0s", 0 },
	{ "120s", 120 },
	{ "2m", 120 },
	{ "1h30m", 5400 },
	{ "3h", 10800 },
	{ "90d", 7776000 },
	{ "2w", 1209600 },
	{ "1y", 31536000 },
	{ "1.5h", 5400 },
	{ ".5m", 30 },
	{ "1500ms", 1 },
	{ "999ms", 0 },
	{ "5000000us", 5 },
	{ "5000000\xc2\xb5s", 5 },
	{ "1000000000ns", 1 },
	{ "1d2h3m4s", 93784 },
	{ "100y", 3153600000LL },
	{ "", -1 },
	{ "5", -1 },
	{ "-5s", -1 },
	{ "+5s", -1 },
	{ " 5s", -1 },
	{ "5s ", -1 },
	{ "5 s", -1 },
	{ "5x", -1 },
	{ "s", -1 },
	{ ".s", -1 },
	{ "1h30", -1 },
	{ "101y", -1 },
	{ "99999999999999999999s", -1 },
	{ "9223372036854775807ns", -1 },
	{ "00", -1 },
};

TEST(duration_parser)
{
	size_t	i;

	for (i = 0; i < nitems(duration_cases); i++)
		if (config_parse_duration(duration_cases[i].in) !=
		    duration_cases[i].secs)
			FAIL("\"%s\" gave %lld, expected %lld",
			    duration_cases[i].in,
			    config_parse_duration(duration_cases[i].in),
			    duration_cases[i].secs);
	ASSERT_INT_EQ(config_parse_duration(NULL), -1);
	ASSERT_INT_EQ(config_parse_duration_ms("800ms"), 800);
	ASSERT_INT_EQ(config_parse_duration_ms("1.25s"), 1250);
}

/* Every section's keys sit together, or the printer would repeat it. */
TEST(key_table_sections_are_contiguous)
{
	size_t	i, j, len;
	char	sect[128], *dot;

	for (i = 1; i < config_nkeys; i++) {
		strlcpy(sect, config_keys[i].ck_path, sizeof(sect));
		while ((dot = strrchr(sect, '.')) != NULL) {
			*dot = '\0';
			len = strlen(sect);
			if (strncmp(config_keys[i - 1].ck_path, sect,
			    len) == 0 && config_keys[i - 1].ck_path[len] == '.')
				break;
			/* A section starts here: it must not have before. */
			for (j = 0; j < i; j++)
				if (strncmp(config_keys[j].ck_path, sect,
				    len) == 0 && config_keys[j].ck_path[len] ==
				    '.')
					FAIL("section %s split at %s", sect,
					    config_keys[i].ck_path);
		}
	}
	for (i = 0; i < config_nkeys; i++)
		for (j = i + 1; j < config_nkeys; j++)
			if (strcmp(config_keys[i].ck_path,
			    config_keys[j].ck_path) == 0)
				FAIL("%s twice", config_keys[i].ck_path);
}

TEST(example_config_loads)
{
	struct config	*c;
	char		 err[2048], *warn;

	clean_env();
	capture_start();
	c = config_load(TOP_DIR "/etc/config.yaml", 0, err, sizeof(err));
	warn = capture_end();
	if (c == NULL) {
		free(warn);
		FAIL("%s", err);
	}
	/* The example is quiet: no unknown or deprecated keys. */
	if (*warn != '\0') {
		config_free(c);
		FAIL("warnings: %s", warn);
	}
	free(warn);
	ASSERT_STR_EQ(c->listen_addr, "127.0.0.1:8080");
	ASSERT_STR_EQ(c->unix_socket, "/run/coordd/coordd.sock");
	ASSERT_STR_EQ(c->noise_private_key_path,
	    "/var/lib/coordd/noise_private.key");
	ASSERT_STR_EQ(c->db_sqlite_path, "/var/lib/coordd/db.sqlite");
	config_free(c);
}

/* Log lines without the "coordd[pid]: " prefix, as "warning: ..." */
static void
append_warnings(FILE *out, const char *log)
{
	const char	*line, *end, *msg;

	for (line = log; *line != '\0'; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		if ((msg = strstr(line, "]: ")) == NULL || msg > end)
			msg = line;
		else
			msg += 3;
		fprintf(out, "warning: %.*s\n", (int)(end - msg), msg);
	}
}

/* What tests/config/NAME.ok holds for NAME.yaml. */
static char *
golden_output(const char *name, const char *in, size_t inlen)
{
	struct config	*c;
	FILE		*out;
	char		*buf = NULL, *log, err[8192], why[16384];
	size_t		 len;
	int		 flags = 0;

	if (strncmp(name, "redact", 6) == 0)
		flags |= CONFIG_PRINT_REDACT;
	capture_start();
	c = config_load_buffer(name, in, inlen, 0, err, sizeof(err));
	log = capture_end();
	if ((out = open_memstream(&buf, &len)) == NULL)
		exit(2);
	append_warnings(out, log);
	free(log);
	if (c == NULL)
		fprintf(out, "error:\n%s\n", err);
	else {
		config_print(out, c, flags);
		/* bgpd-printconf: the output must read back the same. */
		if (!same_print(c, flags, why, sizeof(why)))
			fprintf(out, "ROUND TRIP FAILED: %s\n", why);
	}
	config_free(c);
	fclose(out);
	return (buf);
}

static int
golden_one(const char *dir, const char *name)
{
	char	 in[PATH_MAX], ok[PATH_MAX], *input, *want, *got;
	size_t	 inlen, n;
	FILE	*fp;
	int	 rc = 0;

	snprintf(in, sizeof(in), "%s/%s", dir, name);
	n = strlen(in) - strlen(".yaml");
	snprintf(ok, sizeof(ok), "%.*s.ok", (int)n, in);
	if ((input = read_file(in, &inlen)) == NULL) {
		fprintf(stderr, "  %s: %s\n", in, strerror(errno));
		return (-1);
	}
	got = golden_output(name, input, inlen);
	free(input);
	if (getenv("UPDATE_GOLDEN") != NULL) {
		if ((fp = fopen(ok, "w")) == NULL ||
		    fputs(got, fp) == EOF || fclose(fp) != 0)
			rc = -1;
		free(got);
		return (rc);
	}
	want = read_file(ok, NULL);
	if (want == NULL || strcmp(want, got) != 0) {
		fprintf(stderr, "  %s differs from %s; got:\n%s", name, ok,
		    got);
		rc = -1;
	}
	free(want);
	free(got);
	return (rc);
}

static int
cmp_names(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

TEST(golden_files)
{
	const char	*dir = TOP_DIR "/tests/config";
	DIR		*d;
	struct dirent	*de;
	char		*names[256];
	size_t		 n = 0, i, len;
	int		 bad = 0;

	clean_env();
	if ((d = opendir(dir)) == NULL)
		FAIL("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL && n < nitems(names)) {
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (i = 0; i < n; i++) {
		if (golden_one(dir, names[i]) == -1)
			bad++;
		free(names[i]);
	}
	if (n < 8)
		FAIL("only %zu golden cases in %s", n, dir);
	if (bad > 0)
		FAIL("%d golden cases differ (UPDATE_GOLDEN=1 rewrites them)",
		    bad);
}

TEST_MAIN()
