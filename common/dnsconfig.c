/*
 * The DNS configuration clients get, as headscale's dnsToTailcfgDNS and
 * its MagicDNS setup build it: global resolvers, split DNS routes, the
 * reverse zones of our prefixes answered by MagicDNS, search domains
 * and extra records, including those of dns.extra_records_path, which
 * the parent reads here because the coordinator cannot.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "clientcfg.h"
#include "compat.h"
#include "config.h"

static json_t	*dc_resolvers(const struct strlist *);
static int	 dc_parse_prefix(const char *, int, unsigned char *, int *);
static int	 dc_route_empty(json_t *, const char *);
static int	 dc_reverse4(json_t *, const char *);
static int	 dc_reverse6(json_t *, const char *);
static json_t	*dc_routes(const struct config *, char *, size_t);
static json_t	*dc_domains(const struct config *);
static json_t	*dc_record(const char *, const char *, const char *);
static int	 dc_records_file(const char *, json_t *, char *, size_t);
static json_t	*dc_records(const struct config *, char *, size_t);
static int	 dc_set(json_t *, const char *, json_t *);
static int	 dc_set_nonempty(json_t *, const char *, json_t *);

/*
 * [{"Addr":...}] for a list of nameservers.  headscale takes an IP or
 * anything net/url parses, which is nearly anything, so every non-empty
 * entry goes through, DoH URLs included.
 */
static json_t *
dc_resolvers(const struct strlist *l)
{
	json_t	*a, *r;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < l->n; i++) {
		if (l->v[i] == NULL || *l->v[i] == '\0')
			continue;
		if ((r = json_pack("{s:s}", "Addr", l->v[i])) == NULL ||
		    json_array_append_new(a, r) == -1) {
			json_decref(a);
			return (NULL);
		}
	}
	return (a);
}

/* "addr/bits" into the address, masked to its bits. */
static int
dc_parse_prefix(const char *s, int af, unsigned char *addr, int *bitsp)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *ep;
	long		 bits;
	int		 max = af == AF_INET ? 32 : 128, i;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf) ||
	    (slash = strchr(buf, '/')) == NULL)
		return (-1);
	*slash++ = '\0';
	errno = 0;
	bits = strtol(slash, &ep, 10);
	if (*slash == '\0' || *ep != '\0' || errno != 0 || bits < 0 ||
	    bits > max || inet_pton(af, buf, addr) != 1)
		return (-1);
	for (i = 0; i < max / 8; i++) {
		if (i * 8 >= bits)
			addr[i] = 0;
		else if (i * 8 + 8 > bits)
			addr[i] &= 0xff << (8 - (bits - i * 8));
	}
	*bitsp = bits;
	return (0);
}

/*
 * A route with no resolvers: MagicDNS (100.100.100.100) answers it.  An
 * empty list, never null: clients drop null entries when they clone
 * their DNS config, and the zone would vanish on the next link change.
 */
static int
dc_route_empty(json_t *routes, const char *zone)
{
	return (dc_set(routes, zone, json_array()));
}

/*
 * The in-addr.arpa zones covering an IPv4 prefix, one label deeper than
 * its mask, as RFC 1035 has it and as headscale and Tailscale list them:
 * 100.64.0.0/10 gives 64.100.in-addr.arpa through 127.100.in-addr.arpa.
 */
static int
dc_reverse4(json_t *routes, const char *prefix)
{
	unsigned char	 a[4];
	char		 base[64], zone[128];
	int		 bits, last, i, min, max;

	if (dc_parse_prefix(prefix, AF_INET, a, &bits) == -1)
		return (-1);
	last = bits / 8;
	if (last >= 4) {
		snprintf(zone, sizeof(zone), "%d.%d.%d.%d.in-addr.arpa",
		    a[3], a[2], a[1], a[0]);
		return (dc_route_empty(routes, zone));
	}
	base[0] = '\0';
	for (i = last - 1; i >= 0; i--) {
		snprintf(zone, sizeof(zone), "%s%d.", base, a[i]);
		strlcpy(base, zone, sizeof(base));
	}
	min = a[last];
	max = min + (1 << (8 - bits % 8)) - 1;
	for (i = min; i <= max; i++) {
		snprintf(zone, sizeof(zone), "%d.%sin-addr.arpa", i, base);
		if (dc_route_empty(routes, zone) == -1)
			return (-1);
	}
	return (0);
}

/*
 * The ip6.arpa zones covering an IPv6 prefix: one zone when the mask
 * ends on a nibble, else one per value of the partly masked nibble.
 */
static int
dc_reverse6(json_t *routes, const char *prefix)
{
	unsigned char	 a[16];
	char		 consts[80], zone[160];
	int		 bits, n, i, nib, free_bits, lo;
	size_t		 off = 0;

	if (dc_parse_prefix(prefix, AF_INET6, a, &bits) == -1)
		return (-1);
	consts[0] = '\0';
	for (i = bits / 4 - 1; i >= 0; i--) {
		nib = i % 2 == 0 ? a[i / 2] >> 4 : a[i / 2] & 0xf;
		off += snprintf(consts + off, sizeof(consts) - off, "%x.",
		    nib);
	}
	if (bits % 4 == 0) {
		snprintf(zone, sizeof(zone), "%sip6.arpa", consts);
		return (dc_route_empty(routes, zone));
	}
	n = bits / 4;
	nib = n % 2 == 0 ? a[n / 2] >> 4 : a[n / 2] & 0xf;
	free_bits = 4 - bits % 4;
	lo = nib & ~((1 << free_bits) - 1);
	for (i = lo; i < lo + (1 << free_bits); i++) {
		snprintf(zone, sizeof(zone), "%x.%sip6.arpa", i, consts);
		if (dc_route_empty(routes, zone) == -1)
			return (-1);
	}
	return (0);
}

/*
 * Split DNS first, domains as configured (clients add the final dot),
 * then, with MagicDNS, the reverse zones of our prefixes, which win a
 * clash as they do in headscale.  headscale routes no forward zone for
 * base_domain: clients answer names under Domains themselves.
 */
static json_t *
dc_routes(const struct config *c, char *err, size_t errlen)
{
	const struct config_nsplit	*sp;
	json_t				*routes;
	size_t				 i;

	if ((routes = json_object()) == NULL)
		goto nomem;
	for (i = 0; i < c->dns_nameservers_split_n; i++) {
		sp = &c->dns_nameservers_split[i];
		if (dc_set(routes, sp->domain, dc_resolvers(&sp->servers)) ==
		    -1)
			goto nomem;
	}
	if (!c->dns_magic_dns)
		return (routes);
	if (c->prefixes_v4 != NULL && *c->prefixes_v4 != '\0' &&
	    dc_reverse4(routes, c->prefixes_v4) == -1) {
		snprintf(err, errlen, "prefixes.v4: \"%s\" is not an IPv4 "
		    "prefix", c->prefixes_v4);
		json_decref(routes);
		return (NULL);
	}
	if (c->prefixes_v6 != NULL && *c->prefixes_v6 != '\0' &&
	    dc_reverse6(routes, c->prefixes_v6) == -1) {
		snprintf(err, errlen, "prefixes.v6: \"%s\" is not an IPv6 "
		    "prefix", c->prefixes_v6);
		json_decref(routes);
		return (NULL);
	}
	return (routes);
 nomem:
	json_decref(routes);
	snprintf(err, errlen, "DNS config: out of memory");
	return (NULL);
}

/* base_domain, whether or not MagicDNS is on, then the search domains. */
static json_t *
dc_domains(const struct config *c)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return (NULL);
	if (c->dns_base_domain != NULL && *c->dns_base_domain != '\0' &&
	    json_array_append_new(a, json_string(c->dns_base_domain)) == -1)
		goto fail;
	for (i = 0; i < c->dns_search_domains.n; i++)
		if (json_array_append_new(a,
		    json_string(c->dns_search_domains.v[i])) == -1)
			goto fail;
	return (a);
 fail:
	json_decref(a);
	return (NULL);
}

/* tailcfg.DNSRecord: Type is omitted when empty. */
static json_t *
dc_record(const char *name, const char *type, const char *value)
{
	json_t	*o;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (dc_set(o, "Name", json_string(name ? name : "")) == -1 ||
	    (type != NULL && *type != '\0' &&
	    dc_set(o, "Type", json_string(type)) == -1) ||
	    dc_set(o, "Value", json_string(value ? value : "")) == -1) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

/*
 * headscale's extra-records file: a JSON array of records whose keys
 * Go matches without regard to case.  An empty file has no records,
 * as headscale treats a file caught half-written.
 */
static int
dc_records_file(const char *path, json_t *out, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*doc, *rec, *v, *r;
	const char	*k, *f[3];
	char		*buf;
	size_t		 len, i, j;

	if ((buf = clientcfg_readfile(path, &len, err, errlen)) == NULL)
		return (-1);
	doc = len == 0 ? json_null() :
	    json_loadb(buf, len, JSON_DECODE_ANY, &jerr);
	free(buf);
	if (doc == NULL) {
		snprintf(err, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
		return (-1);
	}
	if (json_is_null(doc))
		return (0);
	if (!json_is_array(doc)) {
		snprintf(err, errlen, "%s: expected an array of records",
		    path);
		goto fail;
	}
	if (json_array_size(doc) > DNSCONFIG_MAX_RECORDS) {
		snprintf(err, errlen, "%s: more than %d records", path,
		    DNSCONFIG_MAX_RECORDS);
		goto fail;
	}
	json_array_foreach(doc, i, rec) {
		if (!json_is_object(rec)) {
			snprintf(err, errlen, "%s: record %zu: expected an "
			    "object", path, i + 1);
			goto fail;
		}
		f[0] = f[1] = f[2] = NULL;
		json_object_foreach(rec, k, v) {
			if (strcasecmp(k, "name") == 0)
				j = 0;
			else if (strcasecmp(k, "type") == 0)
				j = 1;
			else if (strcasecmp(k, "value") == 0)
				j = 2;
			else
				continue;
			if (json_is_null(v))
				continue;
			if (!json_is_string(v)) {
				snprintf(err, errlen, "%s: record %zu: %s: "
				    "expected a string", path, i + 1, k);
				goto fail;
			}
			f[j] = json_string_value(v);
		}
		/* Both required, as the loader requires them inline. */
		if (f[0] == NULL || *f[0] == '\0' || f[2] == NULL ||
		    *f[2] == '\0') {
			snprintf(err, errlen, "%s: record %zu has no %s",
			    path, i + 1, f[0] == NULL || *f[0] == '\0' ?
			    "name" : "value");
			goto fail;
		}
		if ((r = dc_record(f[0], f[1], f[2])) == NULL ||
		    json_array_append_new(out, r) == -1) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	json_decref(doc);
	return (0);
 fail:
	json_decref(doc);
	return (-1);
}

/*
 * The inline records, then the file's.  The loader refuses both at
 * once, as headscale does, so the order only matters to tests.
 */
static json_t *
dc_records(const struct config *c, char *err, size_t errlen)
{
	const struct config_record	*r;
	json_t				*a;
	size_t				 i;

	if ((a = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < c->dns_extra_records_n; i++) {
		r = &c->dns_extra_records[i];
		if (json_array_append_new(a,
		    dc_record(r->name, r->type, r->value)) == -1)
			goto nomem;
	}
	if (c->dns_extra_records_path != NULL &&
	    *c->dns_extra_records_path != '\0' &&
	    dc_records_file(c->dns_extra_records_path, a, err, errlen) == -1) {
		json_decref(a);
		return (NULL);
	}
	return (a);
 nomem:
	json_decref(a);
	snprintf(err, errlen, "DNS config: out of memory");
	return (NULL);
}

/*
 * Set a key, stealing v; NULL v (a failed constructor) is an error.
 * Empty arrays and objects are left out by the caller, not here.
 */
static int
dc_set(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return (-1);
	return (json_object_set_new(o, k, v));
}

/* Set an array or object unless empty, as Go's omitempty would. */
static int
dc_set_nonempty(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return (-1);
	if ((json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_object(v) && json_object_size(v) == 0)) {
		json_decref(v);
		return (0);
	}
	return (json_object_set_new(o, k, v));
}

/*
 * tailcfg.DNSConfig in its field order: Resolvers, Routes,
 * FallbackResolvers, Domains, Proxied, ExtraRecords.  Global servers
 * are Resolvers when they override the client's own DNS, else only
 * FallbackResolvers.
 */
char *
dnsconfig_build(const struct config *c, char *err, size_t errlen)
{
	const struct strlist	*global = &c->dns_nameservers_global;
	json_t			*o, *routes, *records;
	char			*s = NULL;
	int			 ov = c->dns_override_local_dns;

	if ((routes = dc_routes(c, err, errlen)) == NULL)
		return (NULL);
	if ((records = dc_records(c, err, errlen)) == NULL) {
		json_decref(routes);
		return (NULL);
	}
	/* Each dc_set*() takes its value, even when it fails. */
	if ((o = json_object()) == NULL ||
	    (ov && dc_set_nonempty(o, "Resolvers", dc_resolvers(global)) ==
	    -1) ||
	    dc_set_nonempty(o, "Routes", json_incref(routes)) == -1 ||
	    (!ov && dc_set_nonempty(o, "FallbackResolvers",
	    dc_resolvers(global)) == -1) ||
	    dc_set_nonempty(o, "Domains", dc_domains(c)) == -1 ||
	    (c->dns_magic_dns && dc_set(o, "Proxied", json_true()) == -1) ||
	    dc_set_nonempty(o, "ExtraRecords", json_incref(records)) == -1)
		goto out;
	s = json_dumps(o, JSON_COMPACT);
 out:
	if (s == NULL)
		snprintf(err, errlen, "DNS config: out of memory");
	json_decref(routes);
	json_decref(records);
	json_decref(o);
	return (s);
}
