/*
 * The DNS configuration builder: MagicDNS on and off, the base and
 * search domains, global and split resolvers, the reverse zones of the
 * prefixes, and extra records inline and from a file.  Results are
 * compared as parsed JSON, never as text.
 */
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clientcfg.h"
#include "config.h"
#include "test.h"

#define SERVER								\
	"server_url: https://hs.example.org\n"

/* The 64 IPv4 zones of 100.64.0.0/10, as JSON object members. */
static char	rev4[64 * 40];

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
load(const char *yaml)
{
	struct config	*c;
	char		 err[1024];

	c = config_load_buffer("t.yaml", yaml, strlen(yaml), 0, err,
	    sizeof(err));
	if (c == NULL)
		fprintf(stderr, "  config: %s\n", err);
	return (c);
}

static const char *
rev4_members(void)
{
	size_t	 off = 0;
	int	 i;

	if (rev4[0] != '\0')
		return (rev4);
	for (i = 64; i <= 127; i++)
		off += snprintf(rev4 + off, sizeof(rev4) - off,
		    "%s\"%d.100.in-addr.arpa\":[]", i == 64 ? "" : ",", i);
	return (rev4);
}

/* Build from YAML and compare with the JSON text want. */
static int
build_is(const char *yaml, const char *want)
{
	struct config	*c;
	json_t		*a = NULL, *b;
	char		 err[1024], *s;
	int		 eq;

	if ((c = load(yaml)) == NULL)
		return (0);
	s = dnsconfig_build(c, err, sizeof(err));
	config_free(c);
	if (s == NULL) {
		fprintf(stderr, "  dnsconfig_build: %s\n", err);
		return (0);
	}
	a = json_loads(s, 0, NULL);
	if ((b = json_loads(want, 0, NULL)) == NULL)
		fprintf(stderr, "  bad expected JSON %s\n", want);
	eq = a != NULL && b != NULL && json_equal(a, b);
	if (!eq)
		fprintf(stderr, "  got  %s\n  want %s\n", s, want);
	free(s);
	json_decref(a);
	json_decref(b);
	return (eq);
}

/* Build from YAML expecting an error that contains needle. */
static int
build_fails(const char *yaml, const char *needle)
{
	struct config	*c;
	char		 err[1024], *s;

	if ((c = load(yaml)) == NULL)
		return (0);
	s = dnsconfig_build(c, err, sizeof(err));
	config_free(c);
	if (s != NULL) {
		fprintf(stderr, "  built %s\n", s);
		free(s);
		return (0);
	}
	if (strstr(err, needle) == NULL) {
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err, needle);
		return (0);
	}
	return (1);
}

TEST(dns_magic_defaults)
{
	char	 want[4096];

	snprintf(want, sizeof(want), "{\"Resolvers\":[{\"Addr\":\"1.1.1.1\"}],"
	    "\"Routes\":{%s},\"Domains\":[\"ts.example.net\"],"
	    "\"Proxied\":true}", rev4_members());
	ASSERT(build_is(SERVER
	    "prefixes:\n  v4: 100.64.0.0/10\n"
	    "dns:\n  base_domain: ts.example.net\n"
	    "  nameservers:\n    global: [1.1.1.1]\n", want));
}

/* Tailscale's own IPv6 range is one nibble-aligned zone. */
TEST(dns_magic_v6)
{
	char	 want[4096];

	snprintf(want, sizeof(want), "{\"Resolvers\":[{\"Addr\":\"1.1.1.1\"}],"
	    "\"Routes\":{%s,\"0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa\":[]},"
	    "\"Domains\":[\"ts.example.net\"],\"Proxied\":true}",
	    rev4_members());
	ASSERT(build_is(SERVER
	    "prefixes:\n  v4: 100.64.0.0/10\n  v6: fd7a:115c:a1e0::/48\n"
	    "dns:\n  base_domain: ts.example.net\n"
	    "  nameservers:\n    global: [1.1.1.1]\n", want));
}

/* A narrower v4 prefix and a v6 mask that splits a nibble. */
TEST(dns_magic_narrow)
{
	ASSERT(build_is(SERVER
	    "prefixes:\n  v4: 100.64.0.0/30\n  v6: fd7a:115c:a1e0:4000::/50\n"
	    "dns:\n  base_domain: ts.example.net\n"
	    "  override_local_dns: false\n",
	    "{\"Routes\":{"
	    "\"0.0.64.100.in-addr.arpa\":[],\"1.0.64.100.in-addr.arpa\":[],"
	    "\"2.0.64.100.in-addr.arpa\":[],\"3.0.64.100.in-addr.arpa\":[],"
	    "\"4.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa\":[],"
	    "\"5.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa\":[],"
	    "\"6.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa\":[],"
	    "\"7.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa\":[]},"
	    "\"Domains\":[\"ts.example.net\"],\"Proxied\":true}"));
}

/*
 * Without MagicDNS: no Proxied, no reverse zones, but base_domain is
 * still the first search domain, as headscale sends it.  Global servers
 * only fall back when the local DNS is not overridden.
 */
TEST(dns_no_magic)
{
	ASSERT(build_is(SERVER
	    "prefixes:\n  v4: 100.64.0.0/10\n"
	    "dns:\n  magic_dns: false\n  base_domain: ts.example.net\n"
	    "  override_local_dns: false\n"
	    "  nameservers:\n    global: [9.9.9.9, \"2620:fe::fe\","
	    " \"https://dns.nextdns.io/abc123\"]\n"
	    "  search_domains: [corp.example, lab.example]\n",
	    "{\"FallbackResolvers\":[{\"Addr\":\"9.9.9.9\"},"
	    "{\"Addr\":\"2620:fe::fe\"},"
	    "{\"Addr\":\"https://dns.nextdns.io/abc123\"}],"
	    "\"Domains\":[\"ts.example.net\",\"corp.example\","
	    "\"lab.example\"]}"));
}

TEST(dns_nothing)
{
	ASSERT(build_is(SERVER
	    "prefixes:\n  v4: 100.64.0.0/10\n"
	    "dns:\n  magic_dns: false\n  override_local_dns: false\n", "{}"));
}

TEST(dns_split)
{
	char	 want[4096];

	snprintf(want, sizeof(want),
	    "{\"Resolvers\":[{\"Addr\":\"1.1.1.1\"},{\"Addr\":\"8.8.8.8\"}],"
	    "\"Routes\":{\"corp.example\":[{\"Addr\":\"10.0.0.53\"},"
	    "{\"Addr\":\"10.0.1.53\"}],\"lab.example\":[{\"Addr\":"
	    "\"fd00::53\"}],%s},"
	    "\"Domains\":[\"ts.example.net\",\"corp.example\"],"
	    "\"Proxied\":true}", rev4_members());
	ASSERT(build_is(SERVER
	    "prefixes:\n  v4: 100.64.0.0/10\n"
	    "dns:\n  base_domain: ts.example.net\n"
	    "  nameservers:\n"
	    "    global: [1.1.1.1, 8.8.8.8]\n"
	    "    split:\n"
	    "      corp.example: [10.0.0.53, 10.0.1.53]\n"
	    "      lab.example: [\"fd00::53\"]\n"
	    "  search_domains: [corp.example]\n", want));
}

TEST(dns_extra_records_inline)
{
	ASSERT(build_is(SERVER
	    "prefixes:\n  v4: 100.64.0.0/10\n"
	    "dns:\n  magic_dns: false\n  base_domain: ts.example.net\n"
	    "  nameservers:\n    global: [1.1.1.1]\n"
	    "  extra_records:\n"
	    "    - name: grafana.ts.example.net\n"
	    "      type: A\n"
	    "      value: 100.64.0.3\n"
	    "    - {name: v6.ts.example.net, type: AAAA, value: \"fd7a::3\"}\n",
	    "{\"Resolvers\":[{\"Addr\":\"1.1.1.1\"}],"
	    "\"Domains\":[\"ts.example.net\"],\"ExtraRecords\":["
	    "{\"Name\":\"grafana.ts.example.net\",\"Type\":\"A\","
	    "\"Value\":\"100.64.0.3\"},"
	    "{\"Name\":\"v6.ts.example.net\",\"Type\":\"AAAA\","
	    "\"Value\":\"fd7a::3\"}]}"));
}

/* With want NULL, expect an error containing needle, else want. */
static int
records_file(const char *data, const char *want, const char *needle)
{
	char	 yaml[PATH_MAX + 512];

	snprintf(yaml, sizeof(yaml), SERVER
	    "prefixes:\n  v4: 100.64.0.0/10\n"
	    "dns:\n  magic_dns: false\n"
	    "  nameservers:\n    global: [1.1.1.1]\n"
	    "  extra_records_path: %s\n",
	    write_file("records.json", data, strlen(data)));
	return (want != NULL ? build_is(yaml, want) :
	    build_fails(yaml, needle));
}

#define records_file_is(data, want)					\
	records_file((data), (want), "/records.json:")

TEST(dns_extra_records_file)
{
	ASSERT(records_file_is(
	    "[\n"
	    "  {\"name\": \"a.example\", \"type\": \"A\", \"value\": "
	    "\"100.64.0.9\"},\n"
	    "  {\"Name\": \"b.example\", \"Type\": \"AAAA\", \"Value\": "
	    "\"fd7a::9\", \"comment\": \"ignored\"},\n"
	    "  {\"name\": \"c.example\", \"value\": \"100.64.0.10\"}\n"
	    "]\n",
	    "{\"Resolvers\":[{\"Addr\":\"1.1.1.1\"}],\"ExtraRecords\":["
	    "{\"Name\":\"a.example\",\"Type\":\"A\",\"Value\":\"100.64.0.9\"},"
	    "{\"Name\":\"b.example\",\"Type\":\"AAAA\",\"Value\":\"fd7a::9\"},"
	    "{\"Name\":\"c.example\",\"Value\":\"100.64.0.10\"}]}"));
	/* Empty, as when caught half-written, and null: no records. */
	ASSERT(records_file_is("", "{\"Resolvers\":[{\"Addr\":\"1.1.1.1\"}]}"));
	ASSERT(records_file_is("null",
	    "{\"Resolvers\":[{\"Addr\":\"1.1.1.1\"}]}"));
}

TEST(dns_extra_records_bad_file)
{
	struct config	*c;
	char		*buf, err[1024], *s;
	size_t		 i, off;

	ASSERT(records_file_is("[{\"name\": \"a\", ", NULL));
	ASSERT(records_file("{\"name\": \"a\"}", NULL,
	    "/records.json: expected an array"));
	ASSERT(records_file("[{\"name\": 5}]", NULL,
	    "/records.json: record 1: name: expected a string"));
	ASSERT(records_file_is("[\"a\"]", NULL));
	ASSERT(records_file("[{\"type\": \"A\", \"value\": \"1\"}]", NULL,
	    "/records.json: record 1 has no name"));
	ASSERT(records_file("[{\"name\": \"a\"}, {\"name\": \"b\"}]", NULL,
	    "/records.json: record 1 has no value"));
	/* One record too many. */
	buf = malloc(CLIENTCFG_MAX_FILE);
	ASSERT(buf != NULL);
	off = snprintf(buf, CLIENTCFG_MAX_FILE, "[");
	for (i = 0; i <= DNSCONFIG_MAX_RECORDS; i++)
		off += snprintf(buf + off, CLIENTCFG_MAX_FILE - off,
		    "%s{\"name\":\"h%zu\",\"value\":\"1\"}", i ? "," : "", i);
	snprintf(buf + off, CLIENTCFG_MAX_FILE - off, "]");
	if (!records_file(buf, NULL, "more than 10000 records")) {
		free(buf);
		FAIL("too many records");
	}
	free(buf);
	/* A missing file is named. */
	c = load(SERVER "prefixes:\n  v4: 100.64.0.0/10\n"
	    "dns:\n  magic_dns: false\n  override_local_dns: false\n"
	    "  extra_records_path: /nonexistent/records.json\n");
	ASSERT(c != NULL);
	s = dnsconfig_build(c, err, sizeof(err));
	config_free(c);
	ASSERT(s == NULL);
	ASSERT_STR_CONTAINS(err, "/nonexistent/records.json: ");
}

/* The syntax error's line is given. */
TEST(dns_extra_records_bad_line)
{
	ASSERT(records_file("[\n  {\"name\": \"a\"},\n  {\"name\" \"b\"}\n]\n",
	    NULL, "/records.json:3: "));
	ASSERT(build_fails(SERVER "prefixes:\n  v4: 100.64.0.0/10\n"
	    "dns:\n  magic_dns: false\n  override_local_dns: false\n"
	    "  extra_records_path: /dev/null\n", "/dev/null: not a regular"));
}

TEST_MAIN()
