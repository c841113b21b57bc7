/*
 * The checks headscale makes before it starts (validateServerConfig,
 * LoadServerConfig and friends in hscontrol/types/config.go), made on
 * the loaded config.  Each error names the key and where it was set.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "log.h"

#define VERR(cl, key, ...)						\
	config_error((cl), config_where((cl), (key)), (key), __VA_ARGS__)
#define VWARN(cl, key, ...)						\
	config_warn((cl), config_where((cl), (key)), (key), __VA_ARGS__)

/* Keepalive (60s) plus a margin, as headscale has it. */
#define MIN_EPHEMERAL_TIMEOUT	65

static int	 one_of(const char *, const char *const *);
static int	 parse_cidr(const char *, int, unsigned char *);
static int	 prefix_bits(const char *);
static int	 url_host(const char *, char *, size_t);
static void	 check_server_url(struct config *, struct config_load *);
static void	 check_prefixes(struct config *, struct config_load *);
static void	 check_trusted_proxies(struct config *, struct config_load *);
static void	 check_dns(struct config *, struct config_load *);
static void	 check_tls(struct config *, struct config_load *);
static void	 check_oidc(struct config *, struct config_load *);
static void	 check_node(struct config *, struct config_load *);
static void	 check_derp(struct config *, struct config_load *);
static void	 check_choices(struct config *, struct config_load *);

static int
one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return (1);
	return (0);
}

/*
 * "addr/bits" of family af (AF_UNSPEC: either); the address goes to
 * addr (16 bytes).  Returns the family, or -1.
 */
static int
parse_cidr(const char *s, int af, unsigned char *addr)
{
	char		 buf[INET6_ADDRSTRLEN];
	const char	*slash, *errstr;
	size_t		 len;
	int		 fam;

	if ((slash = strchr(s, '/')) == NULL ||
	    (len = slash - s) >= sizeof(buf))
		return (-1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((af == AF_UNSPEC || af == AF_INET) &&
	    inet_pton(AF_INET, buf, addr) == 1)
		fam = AF_INET;
	else if ((af == AF_UNSPEC || af == AF_INET6) &&
	    inet_pton(AF_INET6, buf, addr) == 1)
		fam = AF_INET6;
	else
		return (-1);
	if (slash[1] < '0' || slash[1] > '9')
		return (-1);
	strtonum(slash + 1, 0, fam == AF_INET ? 32 : 128, &errstr);
	if (errstr != NULL)
		return (-1);
	return (fam);
}

static int
prefix_bits(const char *s)
{
	return (atoi(strchr(s, '/') + 1));
}

/* The host of an http(s) URL, without user info, port or brackets. */
static int
url_host(const char *url, char *host, size_t len)
{
	const char	*p, *end, *at;
	size_t		 n;

	if ((p = strstr(url, "://")) == NULL)
		return (-1);
	p += 3;
	end = p + strcspn(p, "/?#");
	for (at = p; at < end; at++)
		if (*at == '@')
			p = at + 1;
	if (*p == '[') {
		if ((at = memchr(p, ']', end - p)) == NULL)
			return (-1);
		p++;
		end = at;
	} else if ((at = memchr(p, ':', end - p)) != NULL)
		end = at;
	if ((n = end - p) >= len)
		return (-1);
	memcpy(host, p, n);
	host[n] = '\0';
	return (0);
}

static void
check_server_url(struct config *c, struct config_load *cl)
{
	char	host[256];
	size_t	hl, bl;

	if (strncmp(c->server_url, "http://", 7) != 0 &&
	    strncmp(c->server_url, "https://", 8) != 0) {
		VERR(cl, "server_url", "must start with http:// or https://");
		return;
	}
	if (*c->dns_base_domain == '\0')
		return;
	/*
	 * Clients take over the base domain for MagicDNS, so the server
	 * must not live in it or it becomes unreachable.
	 */
	if (url_host(c->server_url, host, sizeof(host)) == -1) {
		VERR(cl, "server_url", "cannot find the host name");
		return;
	}
	hl = strlen(host);
	bl = strlen(c->dns_base_domain);
	if (strcasecmp(host, c->dns_base_domain) == 0)
		VERR(cl, "server_url", "the host %s must not be the same as "
		    "dns.base_domain, or clients cannot reach the server",
		    host);
	else if (hl > bl && host[hl - bl - 1] == '.' &&
	    strcasecmp(host + hl - bl, c->dns_base_domain) == 0)
		VERR(cl, "server_url", "the host %s must not be under "
		    "dns.base_domain %s, or clients cannot reach the server",
		    host, c->dns_base_domain);
}

static void
check_prefixes(struct config *c, struct config_load *cl)
{
	static const char *const	 allocs[] = { "sequential", "random",
					    NULL };
	static const unsigned char	 ula[] = { 0xfd, 0x7a, 0x11, 0x5c,
					    0xa1, 0xe0 };
	unsigned char			 a[16];
	int				 odd = 0;

	if (*c->prefixes_v4 == '\0' && *c->prefixes_v6 == '\0')
		VERR(cl, "prefixes.v4", "no IPv4 or IPv6 prefix configured, "
		    "at least one is required");
	if (*c->prefixes_v4 != '\0') {
		if (parse_cidr(c->prefixes_v4, AF_INET, a) == -1)
			VERR(cl, "prefixes.v4", "\"%s\" is not an IPv4 prefix "
			    "such as 100.64.0.0/10", c->prefixes_v4);
		else if (prefix_bits(c->prefixes_v4) < 10 || a[0] != 100 ||
		    (a[1] & 0xc0) != 64)
			odd = 1;
	}
	if (*c->prefixes_v6 != '\0') {
		if (parse_cidr(c->prefixes_v6, AF_INET6, a) == -1)
			VERR(cl, "prefixes.v6", "\"%s\" is not an IPv6 prefix "
			    "such as fd7a:115c:a1e0::/48", c->prefixes_v6);
		else if (prefix_bits(c->prefixes_v6) < 48 ||
		    memcmp(a, ula, sizeof(ula)) != 0)
			odd = 1;
	}
	if (odd)
		log_warnx("%s: prefixes outside 100.64.0.0/10 and "
		    "fd7a:115c:a1e0::/48 are not supported: Tailscale clients "
		    "assume those ranges", cl->cl_name);
	if (!one_of(c->prefixes_allocation, allocs))
		VERR(cl, "prefixes.allocation", "\"%s\" is not sequential or "
		    "random", c->prefixes_allocation);
}

static void
check_trusted_proxies(struct config *c, struct config_load *cl)
{
	unsigned char	a[16];
	size_t		i;

	for (i = 0; i < c->trusted_proxies.n; i++) {
		if (parse_cidr(c->trusted_proxies.v[i], AF_UNSPEC, a) == -1)
			VERR(cl, "trusted_proxies", "\"%s\" is not a prefix "
			    "such as 127.0.0.1/32", c->trusted_proxies.v[i]);
		else if (prefix_bits(c->trusted_proxies.v[i]) == 0)
			VERR(cl, "trusted_proxies", "\"%s\": 0.0.0.0/0 and "
			    "::/0 are not allowed", c->trusted_proxies.v[i]);
	}
}

static void
check_dns(struct config *c, struct config_load *cl)
{
	if (c->dns_magic_dns && *c->dns_base_domain == '\0')
		VERR(cl, "dns.base_domain", "must be set when dns.magic_dns "
		    "is true");
	if (c->dns_override_local_dns && c->dns_nameservers_global.n == 0)
		VERR(cl, "dns.nameservers.global", "must be set when "
		    "dns.override_local_dns is true");
	if (c->dns_extra_records_n > 0 && *c->dns_extra_records_path != '\0')
		VERR(cl, "dns.extra_records_path", "dns.extra_records and "
		    "dns.extra_records_path are mutually exclusive");
}

static void
check_tls(struct config *c, struct config_load *cl)
{
	static const char *const	types[] = { "HTTP-01", "TLS-ALPN-01",
					    NULL };
	size_t				len;

	if (*c->tls_letsencrypt_hostname != '\0' &&
	    (*c->tls_cert_path != '\0' || *c->tls_key_path != '\0'))
		VERR(cl, "tls_letsencrypt_hostname", "set either "
		    "tls_letsencrypt_hostname or tls_cert_path/tls_key_path, "
		    "not both");
	if ((*c->tls_cert_path == '\0') != (*c->tls_key_path == '\0'))
		VERR(cl, *c->tls_cert_path == '\0' ? "tls_cert_path" :
		    "tls_key_path", "tls_cert_path and tls_key_path go "
		    "together");
	if (!one_of(c->tls_letsencrypt_challenge_type, types))
		VERR(cl, "tls_letsencrypt_challenge_type", "\"%s\" is not "
		    "HTTP-01 or TLS-ALPN-01",
		    c->tls_letsencrypt_challenge_type);
	if (*c->tls_letsencrypt_hostname != '\0' && *c->tls_cert_path == '\0')
		VWARN(cl, "tls_letsencrypt_hostname", "ACME is not supported "
		    "yet: no certificate is fetched and listen_addr serves "
		    "plain HTTP; use tls_cert_path and tls_key_path");
	len = strlen(c->listen_addr);
	/* Only a warning: something in front may redirect port 443. */
	if (*c->tls_letsencrypt_hostname != '\0' &&
	    strcmp(c->tls_letsencrypt_challenge_type, "TLS-ALPN-01") == 0 &&
	    (len < 4 || strcmp(c->listen_addr + len - 4, ":443") != 0))
		VWARN(cl, "listen_addr", "TLS-ALPN-01 needs the server on "
		    "port 443, listen_addr should end in :443");
}

static void
check_oidc(struct config *c, struct config_load *cl)
{
	static const char *const	methods[] = { "plain", "S256", NULL };

	if (*c->oidc_client_secret != '\0' &&
	    *c->oidc_client_secret_path != '\0')
		VERR(cl, "oidc.client_secret_path", "oidc.client_secret and "
		    "oidc.client_secret_path are mutually exclusive");
	if (!one_of(c->oidc_pkce_method, methods))
		VERR(cl, "oidc.pkce.method", "\"%s\" is not plain or S256",
		    c->oidc_pkce_method);
}

static void
check_node(struct config *c, struct config_load *cl)
{
	long long	iv = c->node_routes_ha_probe_interval;
	long long	to = c->node_routes_ha_probe_timeout;

	if (c->node_ephemeral_inactivity_timeout <= MIN_EPHEMERAL_TIMEOUT)
		VERR(cl, "node.ephemeral.inactivity_timeout", "%llds is too "
		    "low, it must be more than %ds",
		    c->node_ephemeral_inactivity_timeout,
		    MIN_EPHEMERAL_TIMEOUT);
	if (iv == 0)
		return;
	if (iv < 2)
		VERR(cl, "node.routes.ha.probe_interval", "must be 0 "
		    "(disabled) or at least 2s");
	if (to < 1)
		VERR(cl, "node.routes.ha.probe_timeout", "must be at least 1s");
	else if (to >= iv)
		VERR(cl, "node.routes.ha.probe_timeout", "must be less than "
		    "node.routes.ha.probe_interval");
}

static void
check_derp(struct config *c, struct config_load *cl)
{
	if (*c->noise_private_key_path == '\0')
		VERR(cl, "noise.private_key_path", "must be set: it holds the "
		    "key of the Tailscale v2 (Noise) protocol");
	else if (strcmp(c->noise_private_key_path,
	    c->derp_server_private_key_path) == 0)
		VERR(cl, "derp.server.private_key_path", "must differ from "
		    "noise.private_key_path");
	if (c->derp_server_enabled && *c->derp_server_private_key_path == '\0')
		VERR(cl, "derp.server.private_key_path", "must be set when "
		    "derp.server.enabled is true");
	if (c->derp_server_enabled && *c->derp_server_stun_listen_addr == '\0')
		VERR(cl, "derp.server.stun_listen_addr", "must be set when "
		    "derp.server.enabled is true");
	if (c->derp_server_enabled &&
	    !c->derp_server_automatically_add_embedded_derp_region &&
	    c->derp_paths.n == 0)
		VERR(cl, "derp.server.automatically_add_embedded_derp_region",
		    "when false, the embedded server's region must come from "
		    "derp.paths");
	if (c->derp_auto_update_enabled && c->derp_update_frequency <= 0)
		VERR(cl, "derp.update_frequency", "must be more than 0 when "
		    "derp.auto_update_enabled is true");
}

static void
check_choices(struct config *c, struct config_load *cl)
{
	static const char *const	dbs[] = { "sqlite", "postgres", NULL };
	static const char *const	modes[] = { "file", "database", NULL };
	static const char *const	levels[] = { "panic", "fatal", "error",
					    "warn", "info", "debug", "trace",
					    NULL };
	static const char *const	formats[] = { "text", "json", NULL };

	if (!one_of(c->db_type, dbs))
		VERR(cl, "database.type", "\"%s\" is not sqlite, sqlite3 or "
		    "postgres", c->db_type);
	if (!one_of(c->policy_mode, modes))
		VERR(cl, "policy.mode", "\"%s\" is not file or database",
		    c->policy_mode);
	if (!one_of(c->log_level, levels))
		VERR(cl, "log.level", "\"%s\" is not one of panic, fatal, "
		    "error, warn, info, debug, trace", c->log_level);
	if (!one_of(c->log_format, formats))
		VERR(cl, "log.format", "\"%s\" is not text or json",
		    c->log_format);
	if (c->tuning_node_store_batch_timeout_ms <= 0)
		VERR(cl, "tuning.node_store_batch_timeout", "must be more "
		    "than 0");
}

int
config_validate(struct config *c, struct config_load *cl)
{
	int	nerr = cl->cl_nerr;

	check_server_url(c, cl);
	check_prefixes(c, cl);
	check_trusted_proxies(c, cl);
	check_dns(c, cl);
	check_tls(c, cl);
	check_oidc(c, cl);
	check_node(c, cl);
	check_derp(c, cl);
	check_choices(c, cl);
	return (cl->cl_nerr > nerr ? -1 : 0);
}
