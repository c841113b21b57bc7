/*
 * The DERP map builder: derp.paths files in YAML and JSON, merging,
 * the embedded region, the bounds, and errors that name file and line.
 * Results are compared as parsed JSON, never as text.
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

#define BASE_YAML							\
	"server_url: https://hs.example.org\n"				\
	"prefixes:\n"							\
	"  v4: 100.64.0.0/10\n"						\
	"dns:\n"							\
	"  base_domain: ts.example.net\n"				\
	"  nameservers:\n"						\
	"    global: [1.1.1.1]\n"

static const char yaml_map[] =
    "# headscale's format\n"
    "regions:\n"
    "  900:\n"
    "    regionid: 900\n"
    "    regioncode: custom\n"
    "    regionname: My Region\n"
    "    latitude: 52.5\n"
    "    nodes:\n"
    "      - name: 900a\n"
    "        regionid: 900\n"
    "        hostname: derp.example.com\n"
    "        ipv4: 198.51.100.1\n"
    "        ipv6: \"2001:db8::1\"\n"
    "        stunport: 0\n"
    "        stunonly: false\n"
    "        derpport: 0\n"
    "        someday: ignored\n"
    "  901:\n"
    "    regionid: 901\n"
    "    regioncode: two\n"
    "    regionname: Two\n"
    "    avoid: true\n"
    "    nodes:\n"
    "      - name: 901a\n"
    "        hostname: derp2.example.com\n"
    "        stunport: -1\n"
    "        derpport: 8443\n"
    "        canport80: true\n";

static const char yaml_map_want[] =
    "{\"Regions\":{"
    "\"900\":{\"RegionID\":900,\"RegionCode\":\"custom\","
    "\"RegionName\":\"My Region\",\"Latitude\":52.5,\"Nodes\":["
    "{\"Name\":\"900a\",\"RegionID\":900,\"HostName\":\"derp.example.com\","
    "\"IPv4\":\"198.51.100.1\",\"IPv6\":\"2001:db8::1\"}]},"
    "\"901\":{\"RegionID\":901,\"RegionCode\":\"two\","
    "\"RegionName\":\"Two\",\"Avoid\":true,\"Nodes\":["
    "{\"Name\":\"901a\",\"RegionID\":901,\"HostName\":\"derp2.example.com\","
    "\"STUNPort\":-1,\"DERPPort\":8443,\"CanPort80\":true}]}}}";

/* Go's field names in a JSON DERP map, tabs and all. */
static const char json_map[] =
    "{\n"
    "\t\"Regions\": {\n"
    "\t\t\"1\": {\"RegionID\": 1, \"RegionCode\": \"nyc\",\n"
    "\t\t  \"RegionName\": \"New York City\", \"NoMeasureNoHome\": true,\n"
    "\t\t  \"Nodes\": [{\"Name\":\"1a\",\"RegionID\":1,"
    "\"HostName\":\"derp1.example.net\",\"STUNTestIP\":\"192.0.2.9\","
    "\"InsecureForTests\":true,\"CertName\":\"sha256-raw:00\"}]}\n"
    "\t},\n"
    "\t\"omitDefaultRegions\": true\n"
    "}\n";

static const char json_map_want[] =
    "{\"Regions\":{\"1\":{\"RegionID\":1,\"RegionCode\":\"nyc\","
    "\"RegionName\":\"New York City\",\"NoMeasureNoHome\":true,\"Nodes\":["
    "{\"Name\":\"1a\",\"RegionID\":1,\"HostName\":\"derp1.example.net\","
    "\"CertName\":\"sha256-raw:00\",\"InsecureForTests\":true,"
    "\"STUNTestIP\":\"192.0.2.9\"}]}}}";

static const char *
write_file(const char *name, const char *data, size_t len)
{
	static char	 path[4][PATH_MAX];
	static int	 slot;
	FILE		*fp;
	char		*p;

	p = path[slot++ % 4];
	snprintf(p, PATH_MAX, "%s/%s", test_tmpdir(), name);
	if ((fp = fopen(p, "w")) == NULL ||
	    fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
		perror(p);
		exit(2);
	}
	return (p);
}

/* A config: BASE_YAML, the derp section given, and derp.paths. */
static struct config *
load(const char *derp, const char *path1, const char *path2)
{
	struct config	*c;
	char		 yaml[8192], err[1024];

	snprintf(yaml, sizeof(yaml), "%sderp:\n%s", BASE_YAML,
	    derp ? derp : "");
	if (path1 != NULL)
		snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml),
		    "  paths:\n    - %s\n", path1);
	if (path2 != NULL)
		snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml),
		    "    - %s\n", path2);
	c = config_load_buffer("t.yaml", yaml, strlen(yaml), 0, err,
	    sizeof(err));
	if (c == NULL)
		fprintf(stderr, "  config: %s\n", err);
	return (c);
}

/* 1 if the JSON text s equals the JSON text want. */
static int
same_json(const char *s, const char *want)
{
	json_t	*a, *b;
	int	 eq;

	a = json_loads(s, 0, NULL);
	b = json_loads(want, 0, NULL);
	eq = a != NULL && b != NULL && json_equal(a, b);
	if (!eq)
		fprintf(stderr, "  got  %s\n  want %s\n", s, want);
	json_decref(a);
	json_decref(b);
	return (eq);
}

/* same_json on a built map (NULL fails), which is then freed. */
static int
same_json_free(char *s, const char *want)
{
	int	ok;

	if (s == NULL)
		return (0);
	ok = same_json(s, want);
	free(s);
	return (ok);
}

/* Build and compare; on error the message goes to stderr. */
static int
build_is(struct config *c, const char *want)
{
	char	 err[1024], *s;
	int	 ok;

	if (c == NULL)
		return (0);
	if ((s = derpmap_build(c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "  derpmap_build: %s\n", err);
		config_free(c);
		return (0);
	}
	ok = same_json(s, want);
	free(s);
	config_free(c);
	return (ok);
}

/* Build expecting failure; 1 if err has both needles. */
static int
build_fails(const char *name, const char *data, size_t len,
    const char *needle)
{
	struct config	*c;
	const char	*path;
	char		 err[1024], where[PATH_MAX + 32], *s;
	int		 ok;

	path = write_file(name, data, len);
	if ((c = load(NULL, path, NULL)) == NULL)
		return (0);
	s = derpmap_build(c, err, sizeof(err));
	config_free(c);
	if (s != NULL) {
		fprintf(stderr, "  %s: built %s\n", name, s);
		free(s);
		return (0);
	}
	snprintf(where, sizeof(where), "%s/%s", test_tmpdir(), name);
	ok = strncmp(err, where, strlen(where)) == 0 &&
	    strstr(err, needle) != NULL;
	if (!ok)
		fprintf(stderr, "  %s: error \"%s\" lacks \"%s\"\n", name,
		    err, needle);
	return (ok);
}

/* A string literal as a file. */
#define BAD(name, lit, needle)						\
	build_fails((name), (lit), sizeof(lit) - 1, (needle))

TEST(derp_empty)
{
	ASSERT(build_is(load(NULL, NULL, NULL), "{\"Regions\":{}}"));
}

/* The exact text matters here: a client needs Regions to be there. */
TEST(derp_empty_text)
{
	struct config	*c;
	char		 err[256], *s;

	ASSERT((c = load(NULL, NULL, NULL)) != NULL);
	s = derpmap_build(c, err, sizeof(err));
	config_free(c);
	ASSERT_STR_EQ(s, "{\"Regions\":{}}");
	free(s);
}

TEST(derp_yaml_file)
{
	const char	*p;

	p = write_file("derp.yaml", yaml_map, sizeof(yaml_map) - 1);
	ASSERT(build_is(load(NULL, p, NULL), yaml_map_want));
}

TEST(derp_json_file)
{
	const char	*p;

	p = write_file("derp.json", json_map, sizeof(json_map) - 1);
	ASSERT(build_is(load(NULL, p, NULL), json_map_want));
}

/* Compact JSON on one line, as controlplane.tailscale.com sends it. */
TEST(derp_json_compact)
{
	static const char	 m[] = "{\"Regions\":{\"7\":{\"RegionID\":7,"
	    "\"RegionCode\":\"x\",\"RegionName\":\"X\",\"Nodes\":[{"
	    "\"Name\":\"7a\",\"RegionID\":7,\"HostName\":\"h\","
	    "\"DERPPort\":443}]}}}";
	const char		*p;

	p = write_file("compact.json", m, sizeof(m) - 1);
	ASSERT(build_is(load(NULL, p, NULL), m));
}

/* Region keys are strings in the output, and in id order. */
TEST(derp_keys_are_strings)
{
	struct config	*c;
	const char	*p, *k;
	json_t		*j, *regions, *v;
	char		 err[256], *s;
	long		 last = 0;

	p = write_file("keys.yaml", yaml_map, sizeof(yaml_map) - 1);
	ASSERT((c = load("  server:\n    enabled: true\n"
	    "    region_id: 5\n", p, NULL)) != NULL);
	s = derpmap_build(c, err, sizeof(err));
	config_free(c);
	ASSERT(s != NULL);
	j = json_loads(s, 0, NULL);
	free(s);
	ASSERT(j != NULL);
	regions = json_object_get(j, "Regions");
	if (!json_is_object(regions) || json_object_size(regions) != 3) {
		json_decref(j);
		FAIL("Regions is not an object of 3");
	}
	json_object_foreach(regions, k, v) {
		if (strtol(k, NULL, 10) <= last ||
		    json_integer_value(json_object_get(v, "RegionID")) !=
		    strtol(k, NULL, 10)) {
			json_decref(j);
			FAIL("region key %s out of order or mismatched", k);
		}
		last = strtol(k, NULL, 10);
	}
	json_decref(j);
}

TEST(derp_later_file_replaces)
{
	static const char	 second[] =
	    "regions:\n"
	    "  901:\n"
	    "    regionid: 901\n"
	    "    regioncode: new\n"
	    "    regionname: New\n"
	    "    nodes:\n"
	    "      - {name: 901z, regionid: 901, hostname: new.example}\n";
	const char		*p1, *p2;

	p1 = write_file("first.yaml", yaml_map, sizeof(yaml_map) - 1);
	p2 = write_file("second.yaml", second, sizeof(second) - 1);
	ASSERT(build_is(load(NULL, p1, p2),
	    "{\"Regions\":{"
	    "\"900\":{\"RegionID\":900,\"RegionCode\":\"custom\","
	    "\"RegionName\":\"My Region\",\"Latitude\":52.5,\"Nodes\":["
	    "{\"Name\":\"900a\",\"RegionID\":900,"
	    "\"HostName\":\"derp.example.com\",\"IPv4\":\"198.51.100.1\","
	    "\"IPv6\":\"2001:db8::1\"}]},"
	    "\"901\":{\"RegionID\":901,\"RegionCode\":\"new\","
	    "\"RegionName\":\"New\",\"Nodes\":[{\"Name\":\"901z\","
	    "\"RegionID\":901,\"HostName\":\"new.example\"}]}}}"));
}

/* A null region takes out what an earlier file defined. */
TEST(derp_null_removes)
{
	static const char	 second[] = "regions:\n  901: null\n";
	const char		*p1, *p2;

	p1 = write_file("keep.yaml", yaml_map, sizeof(yaml_map) - 1);
	p2 = write_file("drop.yaml", second, sizeof(second) - 1);
	ASSERT(build_is(load(NULL, p1, p2),
	    "{\"Regions\":{"
	    "\"900\":{\"RegionID\":900,\"RegionCode\":\"custom\","
	    "\"RegionName\":\"My Region\",\"Latitude\":52.5,\"Nodes\":["
	    "{\"Name\":\"900a\",\"RegionID\":900,"
	    "\"HostName\":\"derp.example.com\",\"IPv4\":\"198.51.100.1\","
	    "\"IPv6\":\"2001:db8::1\"}]}}}"));
}

TEST(derp_embedded_https)
{
	ASSERT(build_is(load("  server:\n    enabled: true\n"
	    "    stun_listen_addr: 0.0.0.0:3479\n", NULL, NULL),
	    "{\"Regions\":{\"999\":{\"RegionID\":999,"
	    "\"RegionCode\":\"headscale\","
	    "\"RegionName\":\"Headscale Embedded DERP\",\"Nodes\":["
	    "{\"Name\":\"999\",\"RegionID\":999,"
	    "\"HostName\":\"hs.example.org\","
	    "\"STUNPort\":3479,\"DERPPort\":443}]}}}"));
}

TEST(derp_embedded_http)
{
	struct config	*c;

	c = load("  server:\n    enabled: true\n    region_id: 900\n"
	    "    region_code: co\n    region_name: Coord\n"
	    "    ipv4: 198.51.100.7\n    ipv6: 2001:db8::7\n", NULL, NULL);
	ASSERT(c != NULL);
	free(c->server_url);
	c->server_url = strdup("http://user@[2001:db8::7]/path");
	ASSERT(build_is(c,
	    "{\"Regions\":{\"900\":{\"RegionID\":900,\"RegionCode\":\"co\","
	    "\"RegionName\":\"Coord\",\"Nodes\":[{\"Name\":\"900\","
	    "\"RegionID\":900,\"HostName\":\"2001:db8::7\","
	    "\"IPv4\":\"198.51.100.7\",\"IPv6\":\"2001:db8::7\","
	    "\"STUNPort\":3478,\"DERPPort\":80}]}}}"));
}

TEST(derp_embedded_port_and_no_stun)
{
	struct config	*c;

	c = load("  server:\n    enabled: true\n", NULL, NULL);
	ASSERT(c != NULL);
	free(c->server_url);
	c->server_url = strdup("https://hs.example.org:8443");
	free(c->derp_server_stun_listen_addr);
	c->derp_server_stun_listen_addr = strdup("");
	ASSERT(build_is(c,
	    "{\"Regions\":{\"999\":{\"RegionID\":999,"
	    "\"RegionCode\":\"headscale\","
	    "\"RegionName\":\"Headscale Embedded DERP\",\"Nodes\":["
	    "{\"Name\":\"999\",\"RegionID\":999,"
	    "\"HostName\":\"hs.example.org\","
	    "\"STUNPort\":-1,\"DERPPort\":8443}]}}}"));
}

/* The embedded region wins over a file's region with its id. */
TEST(derp_embedded_wins)
{
	const char	*p;

	p = write_file("clash.yaml", yaml_map, sizeof(yaml_map) - 1);
	ASSERT(build_is(load("  server:\n    enabled: true\n"
	    "    region_id: 901\n", p, NULL),
	    "{\"Regions\":{"
	    "\"900\":{\"RegionID\":900,\"RegionCode\":\"custom\","
	    "\"RegionName\":\"My Region\",\"Latitude\":52.5,\"Nodes\":["
	    "{\"Name\":\"900a\",\"RegionID\":900,"
	    "\"HostName\":\"derp.example.com\",\"IPv4\":\"198.51.100.1\","
	    "\"IPv6\":\"2001:db8::1\"}]},"
	    "\"901\":{\"RegionID\":901,\"RegionCode\":\"headscale\","
	    "\"RegionName\":\"Headscale Embedded DERP\",\"Nodes\":["
	    "{\"Name\":\"901\",\"RegionID\":901,"
	    "\"HostName\":\"hs.example.org\","
	    "\"STUNPort\":3478,\"DERPPort\":443}]}}}"));
}

TEST(derp_embedded_not_added)
{
	const char	*p;

	p = write_file("own.yaml", yaml_map, sizeof(yaml_map) - 1);
	ASSERT(build_is(load("  server:\n    enabled: true\n"
	    "    automatically_add_embedded_derp_region: false\n", p, NULL),
	    yaml_map_want));
}

/* Null regions, an empty file and a file without regions add nothing. */
TEST(derp_nothing_files)
{
	static const char	 nullreg[] = "regions:\n  5: null\nother: 1\n";
	const char		*p1, *p2;

	p1 = write_file("empty.yaml", "", 0);
	p2 = write_file("nullreg.yaml", nullreg, sizeof(nullreg) - 1);
	ASSERT(build_is(load(NULL, p1, p2), "{\"Regions\":{}}"));
}

TEST(derp_bad_garbage)
{
	static const char	 g[] = "regions:\n  900: {regionid: 900\n"
	    "  - ]]\n";

	ASSERT(build_fails("garbage.yaml", g, sizeof(g) - 1, ".yaml:"));
	ASSERT(build_fails("binary.yaml", "\x01\x02\xff\xfe", 4, ":1:"));
	ASSERT(build_fails("list.yaml", "- a\n- b\n", 8, ":1: expected a "
	    "mapping"));
	ASSERT(build_fails("nul.yaml", "regions:\0", 9, "NUL"));
}

TEST(derp_bad_types)
{
	ASSERT(BAD("t1.yaml", "regions:\n  900:\n    regionid: x\n",
	    ":3: regionid: \"x\" is not an integer"));
	ASSERT(BAD("t2.yaml", "regions:\n  900:\n    regionid: 900\n"
	    "    nodes:\n      - hostname: h\n        derpport: \"443\"\n",
	    ":6: derpport"));
	ASSERT(BAD("t3.yaml", "regions:\n  900:\n    regionid: 900\n"
	    "    avoid: maybe\n", ":4: avoid"));
	ASSERT(BAD("t4.yaml", "regions:\n  900:\n    regionid: 900\n"
	    "    nodes: {a: b}\n", ":4: nodes: expected a list"));
	ASSERT(BAD("t5.yaml", "regions: [1, 2]\n",
	    ":1: regions: expected a mapping"));
	ASSERT(BAD("t6.yaml", "regions:\n  abc:\n    regionid: 1\n",
	    ":2: regions: \"abc\" is not a region id"));
	ASSERT(BAD("t7.yaml", "regions:\n  0:\n    regionid: 0\n",
	    ":2: regions: \"0\""));
	ASSERT(BAD("t8.yaml", "regions:\n  900:\n    regionid: 900\n"
	    "    nodes:\n      - hostname: h\n        stunport: 70000\n",
	    ":6: stunport: 70000 is outside"));
	ASSERT(BAD("t9.yaml", "a: &x {b: 1}\nc: *x\n", ":2: YAML aliases"));
	ASSERT(BAD("t10.json", "{\"Regions\":{\"1\":{\"RegionID\":\"1\"}}}",
	    ":1: RegionID: \"1\" is not an integer"));
}

TEST(derp_bad_missing)
{
	ASSERT(BAD("m1.yaml", "regions:\n  900:\n    regioncode: x\n",
	    ":3: region 900 has no regionid"));
	ASSERT(BAD("m2.yaml", "regions:\n  900:\n    regionid: 900\n"
	    "    nodes:\n      - name: a\n        stunport: 1\n",
	    ":5: DERP node without a hostname"));
	ASSERT(BAD("m3.yaml", "regions:\n  900:\n    regionid: 901\n",
	    ":3: region 900 has regionid 901"));
	ASSERT(BAD("m4.yaml", "regions:\n  900:\n    regionid: 900\n"
	    "    nodes:\n      - {hostname: h, regionid: 1}\n",
	    ":5: node regionid 1"));
}

TEST(derp_bad_bounds)
{
	char		*buf, *p;
	size_t		 len, i;

	buf = malloc(CLIENTCFG_MAX_FILE + 64);
	ASSERT(buf != NULL);
	/* Region 101 is the one too many. */
	p = buf;
	p += sprintf(p, "regions:\n");
	for (i = 1; i <= DERPMAP_MAX_REGIONS + 1; i++)
		p += sprintf(p, "  %zu: {regionid: %zu}\n", i, i);
	if (!build_fails("many.yaml", buf, p - buf, ":102: more than 100")) {
		free(buf);
		FAIL("101 regions");
	}
	p = buf;
	p += sprintf(p, "regions:\n  1:\n    regionid: 1\n    nodes:\n");
	for (i = 0; i <= DERPMAP_MAX_NODES; i++)
		p += sprintf(p, "      - {hostname: h%zu}\n", i);
	if (!build_fails("nodes.yaml", buf, p - buf, ":5: more than 32")) {
		free(buf);
		FAIL("33 nodes");
	}
	p = buf;
	p += sprintf(p, "regions:\n  1:\n    regionid: 1\n    regionname: ");
	memset(p, 'x', 256);
	p[256] = '\n';
	if (!build_fails("long.yaml", buf, p - buf + 257,
	    ":4: regionname: longer than 255")) {
		free(buf);
		FAIL("long string");
	}
	len = CLIENTCFG_MAX_FILE + 1;
	memset(buf, '#', len);
	buf[len - 1] = '\n';
	if (!build_fails("huge.yaml", buf, len, "larger than")) {
		free(buf);
		FAIL("huge file");
	}
	free(buf);
}

TEST(derp_missing_file)
{
	struct config	*c;
	char		 err[1024], *s;

	ASSERT((c = load(NULL, "/nonexistent/derp.yaml", NULL)) != NULL);
	s = derpmap_build(c, err, sizeof(err));
	config_free(c);
	ASSERT(s == NULL);
	ASSERT_STR_CONTAINS(err, "/nonexistent/derp.yaml: ");
}

/*
 * Fetched derp.urls documents: tailcfg.DERPMap JSON as a URL serves it,
 * merged first, in config order, before files and the embedded region.
 */
static const char fetched_a[] =
    "{\"Regions\":{"
    "\"5\":{\"RegionID\":5,\"RegionCode\":\"a5\",\"RegionName\":\"A5\","
    "\"Latitude\":40.7,\"Longitude\":-74.0,\"Nodes\":[{\"Name\":\"5a\","
    "\"RegionID\":5,\"HostName\":\"derp5.example.net\","
    "\"IPv4\":\"192.0.2.5\",\"CanPort80\":true,\"Future\":[1,2]}]},"
    "\"7\":{\"RegionID\":7,\"RegionCode\":\"a7\",\"RegionName\":\"A7\","
    "\"Nodes\":[{\"Name\":\"7a\",\"RegionID\":7,"
    "\"HostName\":\"derp7.example.net\"}]},"
    "\"900\":{\"RegionID\":900,\"RegionCode\":\"a900\","
    "\"RegionName\":\"A900\",\"Nodes\":[{\"Name\":\"900x\","
    "\"RegionID\":900,\"HostName\":\"x.example.net\"}]}},"
    "\"OmitDefaultRegions\":false}";
static const char fetched_b[] =
    "{\"Regions\":{\"7\":{\"RegionID\":7,\"RegionCode\":\"b7\","
    "\"RegionName\":\"B7\",\"Nodes\":[{\"Name\":\"7b\",\"RegionID\":7,"
    "\"HostName\":\"derp7b.example.net\",\"DERPPort\":8443}]}}}";

#define TWO_URLS							\
	"  urls:\n    - https://a.example/derp.json\n"			\
	"    - http://b.example/derp.json\n"

/* The RegionCode of region id in the map s, or "" when it is absent. */
static const char *
code_of(json_t *m, const char *id)
{
	const char	*code;

	code = json_string_value(json_object_get(json_object_get(
	    json_object_get(m, "Regions"), id), "RegionCode"));
	return (code != NULL ? code : "");
}

TEST(derp_fetched_then_files_then_embedded)
{
	struct config	*c;
	const char	*docs[2] = { fetched_a, fetched_b }, *p;
	char		 err[1024], *s;
	json_t		*m;

	p = write_file("over.yaml", yaml_map, sizeof(yaml_map) - 1);
	ASSERT((c = load(TWO_URLS "  server:\n    enabled: true\n"
	    "    region_id: 901\n", p, NULL)) != NULL);
	s = derpmap_build_with(c, docs, 2, err, sizeof(err));
	config_free(c);
	ASSERT(s != NULL);
	ASSERT_STR_EQ(err, "");
	m = json_loads(s, 0, NULL);
	free(s);
	ASSERT(m != NULL);
	/* 5 only fetched, 7 from the later URL, 900 the file, 901 ours. */
	ASSERT_STR_EQ(code_of(m, "5"), "a5");
	ASSERT_STR_EQ(code_of(m, "7"), "b7");
	ASSERT_STR_EQ(code_of(m, "900"), "custom");
	ASSERT_STR_EQ(code_of(m, "901"), "headscale");
	ASSERT_INT_EQ(json_object_size(json_object_get(m, "Regions")), 4);
	json_decref(m);
}

/* Exact shape: tailcfg field order and omitempty, unknown keys gone. */
TEST(derp_fetched_shape)
{
	struct config	*c;
	const char	*docs[1] = { fetched_b };
	char		*s;

	ASSERT((c = load(TWO_URLS, NULL, NULL)) != NULL);
	s = derpmap_build_with(c, docs, 1, NULL, 0);
	config_free(c);
	ASSERT(same_json_free(s,
	    "{\"Regions\":{\"7\":{\"RegionID\":7,\"RegionCode\":\"b7\","
	    "\"RegionName\":\"B7\",\"Nodes\":[{\"Name\":\"7b\","
	    "\"RegionID\":7,\"HostName\":\"derp7b.example.net\","
	    "\"DERPPort\":8443}]}}}"));
}

/* A bad document is left out, said so, and the others still count. */
TEST(derp_fetched_bad_skipped)
{
	struct config	*c;
	const char	*docs[2] = { "<html>404</html>", fetched_b };
	char		 err[1024], *s;
	json_t		*m;

	ASSERT((c = load(TWO_URLS, NULL, NULL)) != NULL);
	s = derpmap_build_with(c, docs, 2, err, sizeof(err));
	config_free(c);
	ASSERT(s != NULL);
	ASSERT_STR_CONTAINS(err, "https://a.example/derp.json");
	ASSERT_STR_CONTAINS(err, "left out");
	m = json_loads(s, 0, NULL);
	free(s);
	ASSERT(m != NULL);
	ASSERT_STR_EQ(code_of(m, "7"), "b7");
	ASSERT_INT_EQ(json_object_size(json_object_get(m, "Regions")), 1);
	json_decref(m);
}

/* Missing documents (not fetched yet) are no error. */
TEST(derp_fetched_none_yet)
{
	struct config	*c;
	const char	*docs[2] = { NULL, NULL };
	char		 err[1024], *s;

	ASSERT((c = load(TWO_URLS, NULL, NULL)) != NULL);
	s = derpmap_build_with(c, docs, 2, err, sizeof(err));
	config_free(c);
	ASSERT(s != NULL);
	ASSERT_STR_EQ(err, "");
	ASSERT(same_json(s, "{\"Regions\":{}}"));
	free(s);
}

/* A bad file stays fatal, fetched documents or not. */
TEST(derp_fetched_bad_file_fatal)
{
	struct config	*c;
	const char	*docs[1] = { fetched_a };
	char		 err[1024], *s;

	ASSERT((c = load(TWO_URLS, "/nonexistent/derp.yaml", NULL)) != NULL);
	s = derpmap_build_with(c, docs, 1, err, sizeof(err));
	config_free(c);
	ASSERT(s == NULL);
	ASSERT_STR_CONTAINS(err, "/nonexistent/derp.yaml: ");
}

TEST(derp_check_fetched)
{
	char	err[1024];

	ASSERT_INT_EQ(derpmap_check("u", fetched_a, err, sizeof(err)), 0);
	ASSERT_INT_EQ(derpmap_check("u", "not json {", err, sizeof(err)),
	    -1);
	ASSERT_STR_CONTAINS(err, "u");
	ASSERT_INT_EQ(derpmap_check("u", "{\"Regions\":{\"3\":{"
	    "\"RegionID\":4}}}", err, sizeof(err)), -1);
	ASSERT_STR_CONTAINS(err, "region 3 has regionid 4");
	ASSERT_INT_EQ(derpmap_check("u", "[1,2]", err, sizeof(err)), -1);
}

TEST_MAIN()
