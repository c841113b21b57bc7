/*
 * Routes: prefixes from clients and admins in canonical form, what a
 * node serves, and the election of primaries as nodes come, go online,
 * go offline, change and leave.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compat.h"
#include "config.h"
#include "fixture_coord.h"
#include "coordinator.h"
#include "map.h"
#include "routes.h"
#include "test.h"

TEST(canon_prefixes)
{
	char	buf[ROUTE_PREFIX_MAX];

	ASSERT_INT_EQ(route_canon("10.99.0.0/24", buf, sizeof(buf)), 0);
	ASSERT_STR_EQ(buf, "10.99.0.0/24");
	ASSERT_INT_EQ(route_canon("10.99.0.77/24", buf, sizeof(buf)), 0);
	ASSERT_STR_EQ(buf, "10.99.0.0/24");
	ASSERT_INT_EQ(route_canon("10.1.2.3/13", buf, sizeof(buf)), 0);
	ASSERT_STR_EQ(buf, "10.0.0.0/13");
	ASSERT_INT_EQ(route_canon("FD00:0:0::1/64", buf, sizeof(buf)), 0);
	ASSERT_STR_EQ(buf, "fd00::/64");
	ASSERT_INT_EQ(route_canon("0.0.0.0/0", buf, sizeof(buf)), 0);
	ASSERT(route_is_exit(buf));
	ASSERT_INT_EQ(route_canon("::/0", buf, sizeof(buf)), 0);
	ASSERT(route_is_exit(buf));
	ASSERT(!route_is_exit("10.0.0.0/8"));
	ASSERT_INT_EQ(route_canon("10.0.0.0", buf, sizeof(buf)), -1);
	ASSERT_INT_EQ(route_canon("10.0.0.0/33", buf, sizeof(buf)), -1);
	ASSERT_INT_EQ(route_canon("10.0.0.0/+8", buf, sizeof(buf)), -1);
	ASSERT_INT_EQ(route_canon("10.0.0.0/08", buf, sizeof(buf)), -1);
	ASSERT_INT_EQ(route_canon("10.0.0.0/8 ", buf, sizeof(buf)), -1);
	ASSERT_INT_EQ(route_canon("/8", buf, sizeof(buf)), -1);
	ASSERT_INT_EQ(route_canon("fd00::/129", buf, sizeof(buf)), -1);
	ASSERT_INT_EQ(route_canon("host.example/24", buf, sizeof(buf)), -1);
	ASSERT_INT_EQ(route_canon(NULL, buf, sizeof(buf)), -1);
}

TEST(hostinfo_routes_sorted_unique)
{
	json_t	*a;
	char	**v;
	size_t	 n, i;

	a = json_loads("[\"10.2.0.0/16\",\"junk\",3,\"10.1.0.0/16\","
	    "\"10.2.0.5/16\",\"::/0\"]", 0, NULL);
	ASSERT(a != NULL);
	v = routes_from_json(a, &n);
	json_decref(a);
	ASSERT_INT_EQ(n, 3);
	ASSERT_STR_EQ(v[0], "10.1.0.0/16");
	ASSERT_STR_EQ(v[1], "10.2.0.0/16");
	ASSERT_STR_EQ(v[2], "::/0");
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	ASSERT(routes_from_json(NULL, &n) == NULL && n == 0);
}

static struct replica	 r;
static struct route_table rt;

/* Node id with these advertised and approved routes ("," separated). */
static struct replica_node *
put(uint64_t id, const char *adv, const char *appr, int online)
{
	Coordd__Node		 m = COORDD__NODE__INIT;
	struct replica_node	*old, *n;
	char			 nk[80], mk[80], hi[512], abuf[256], *av[8];
	char			*p, *s;
	size_t			 na = 0;

	snprintf(nk, sizeof(nk), "nodekey:%064llx", (unsigned long long)id);
	snprintf(mk, sizeof(mk), "mkey:%064llx", (unsigned long long)id);
	snprintf(hi, sizeof(hi), "{\"Hostname\":\"h\",\"RoutableIPs\":[%s]}",
	    adv);
	strlcpy(abuf, appr, sizeof(abuf));
	for (s = abuf; (p = strsep(&s, ",")) != NULL && na < 8;)
		if (*p != '\0')
			av[na++] = p;
	m.id = id;
	m.node_key = nk;
	m.machine_key = mk;
	m.host_info = hi;
	m.approved_routes = av;
	m.n_approved_routes = na;
	if (replica_node_put(&r, &m, &old) == -1)
		abort();
	n = replica_node_get(&r, id);
	n->online = online;
	routes_node_update(&rt, &r, old, n, NULL);
	replica_node_free(old);
	return (n);
}

static const char *
primary_of(uint64_t id)
{
	static char		 buf[256];
	const char		*v[8];
	struct replica_node	*n;
	size_t			 k, i;

	buf[0] = '\0';
	if ((n = replica_node_get(&r, id)) == NULL)
		return (buf);
	k = routes_primary(&rt, n, v, nitems(v));
	for (i = 0; i < k; i++) {
		if (i > 0)
			strlcat(buf, ",", sizeof(buf));
		strlcat(buf, v[i], sizeof(buf));
	}
	return (buf);
}

static void
set_online(uint64_t id, int online, struct route_changes *ch)
{
	struct replica_node	*n = replica_node_get(&r, id);

	n->online = online;
	routes_node_update(&rt, &r, n, n, ch);
}

static void
setup(void)
{
	replica_clear(&r);
	replica_init(&r);
	routes_clear(&rt);
	routes_init(&rt);
}

TEST(serves_needs_both)
{
	struct replica_node	*n;

	setup();
	n = put(1, "\"10.99.0.0/24\",\"10.98.0.0/24\"", "10.99.0.0/24,"
	    "10.97.0.0/24", 1);
	ASSERT(routes_node_serves(n, "10.99.0.0/24"));
	ASSERT(!routes_node_serves(n, "10.98.0.0/24"));	/* not approved */
	ASSERT(!routes_node_serves(n, "10.97.0.0/24"));	/* not advertised */
	ASSERT_STR_EQ(primary_of(1), "10.99.0.0/24");
	/* Approval and advertisement match after canonical form. */
	n = put(2, "\"10.96.0.0/24\"", "10.96.0.9/24", 1);
	ASSERT_STR_EQ(primary_of(2), "10.96.0.0/24");
	setup();
}

TEST(election_lowest_online_then_sticky)
{
	struct route_changes	ch;

	setup();
	memset(&ch, 0, sizeof(ch));
	put(5, "\"10.99.0.0/24\"", "10.99.0.0/24", 0);
	put(3, "\"10.99.0.0/24\"", "10.99.0.0/24", 0);
	put(7, "\"10.99.0.0/24\"", "10.99.0.0/24", 0);
	/* Nobody online: no primary. */
	ASSERT_STR_EQ(primary_of(3), "");
	set_online(7, 1, &ch);
	ASSERT_STR_EQ(primary_of(7), "10.99.0.0/24");
	ASSERT_INT_EQ(ch.rc_n, 1);
	ASSERT(routes_changes_has(&ch, 7));
	routes_changes_free(&ch);
	/* A lower id coming online does not take over. */
	set_online(3, 1, &ch);
	set_online(5, 1, &ch);
	ASSERT_STR_EQ(primary_of(7), "10.99.0.0/24");
	ASSERT_STR_EQ(primary_of(3), "");
	ASSERT_INT_EQ(ch.rc_n, 0);
	/* The primary goes offline: the lowest online id takes over. */
	set_online(7, 0, &ch);
	ASSERT_STR_EQ(primary_of(7), "");
	ASSERT_STR_EQ(primary_of(3), "10.99.0.0/24");
	ASSERT_INT_EQ(ch.rc_n, 2);
	ASSERT(routes_changes_has(&ch, 7) && routes_changes_has(&ch, 3));
	routes_changes_free(&ch);
	/* 7 comes back: 3 stays primary. */
	set_online(7, 1, &ch);
	ASSERT_STR_EQ(primary_of(3), "10.99.0.0/24");
	ASSERT_INT_EQ(ch.rc_n, 0);
	setup();
}

TEST(election_on_approval_and_delete)
{
	struct route_changes	 ch;
	struct replica_node	*old;

	setup();
	memset(&ch, 0, sizeof(ch));
	put(1, "\"10.99.0.0/24\"", "", 1);
	put(2, "\"10.99.0.0/24\"", "10.99.0.0/24", 1);
	ASSERT_STR_EQ(primary_of(2), "10.99.0.0/24");
	/* Approving it on 1 (lower id) leaves 2 primary. */
	put(1, "\"10.99.0.0/24\"", "10.99.0.0/24", 1);
	ASSERT_STR_EQ(primary_of(2), "10.99.0.0/24");
	ASSERT_STR_EQ(primary_of(1), "");
	/* 2 stops advertising: 1 takes over. */
	put(2, "", "10.99.0.0/24", 1);
	ASSERT_STR_EQ(primary_of(1), "10.99.0.0/24");
	/* 1 is deleted: nobody is left, the prefix leaves the table. */
	old = replica_node_detach(&r, 1);
	routes_node_update(&rt, &r, old, NULL, &ch);
	replica_node_free(old);
	ASSERT(routes_changes_has(&ch, 1));
	ASSERT(RB_EMPTY(&rt.rt_prefixes));
	routes_changes_free(&ch);
	setup();
}

TEST(exit_routes_not_elected)
{
	struct route_changes	 ch;
	struct replica_node	*n;
	const char		*v[4];

	setup();
	memset(&ch, 0, sizeof(ch));
	n = put(1, "\"0.0.0.0/0\",\"::/0\"", "0.0.0.0/0,::/0", 0);
	ASSERT_INT_EQ(routes_exit(n, v, nitems(v)), 2);
	ASSERT_STR_EQ(v[0], "0.0.0.0/0");
	ASSERT_STR_EQ(v[1], "::/0");
	ASSERT_STR_EQ(primary_of(1), "");
	ASSERT(RB_EMPTY(&rt.rt_prefixes));
	/* Only one approved: one exit route. */
	n = put(2, "\"0.0.0.0/0\",\"::/0\"", "::/0", 1);
	ASSERT_INT_EQ(routes_exit(n, v, nitems(v)), 1);
	ASSERT_STR_EQ(v[0], "::/0");
	setup();
}

/* AllowedIPs and PrimaryRoutes in a node's JSON. */
TEST(map_json_routes)
{
	struct coord		*c;
	struct replica_node	*n;
	json_t			*o, *a;
	Coordd__Node		 m = COORDD__NODE__INIT;
	char			*appr[] = { "10.99.0.0/24", "0.0.0.0/0" };

	c = fixture_coord_new();
	m.id = 4;
	m.user_id = 1;
	m.node_key = "nodekey:04";
	m.machine_key = "mkey:04";
	m.hostname = m.given_name = "gw";
	m.ipv4 = "100.64.0.4";
	m.host_info = "{\"RoutableIPs\":[\"10.99.0.0/24\",\"0.0.0.0/0\","
	    "\"10.98.0.0/24\"]}";
	m.approved_routes = appr;
	m.n_approved_routes = 2;
	ASSERT(replica_node_put(&c->replica, &m, NULL) == 0);
	n = replica_node_get(&c->replica, 4);
	n->online = 1;
	routes_node_update(&c->routes, &c->replica, NULL, n, NULL);
	ASSERT((o = json_loads(mapjson_node(c, n), 0, NULL)) != NULL);
	a = json_object_get(o, "AllowedIPs");
	ASSERT_INT_EQ(json_array_size(a), 3);
	ASSERT_STR_EQ(json_string_value(json_array_get(a, 0)),
	    "100.64.0.4/32");
	ASSERT_STR_EQ(json_string_value(json_array_get(a, 1)), "10.99.0.0/24");
	ASSERT_STR_EQ(json_string_value(json_array_get(a, 2)), "0.0.0.0/0");
	a = json_object_get(o, "PrimaryRoutes");
	ASSERT_INT_EQ(json_array_size(a), 1);
	ASSERT_STR_EQ(json_string_value(json_array_get(a, 0)), "10.99.0.0/24");
	json_decref(o);
	fixture_coord_free(c);
}

TEST_MAIN()
