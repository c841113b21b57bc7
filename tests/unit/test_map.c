/*
 * The JSON of map responses: a node as peers see it, the full first
 * map, and the patches that carry a node's moves.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "coordinator.h"
#include "fixture_coord.h"
#include "map.h"
#include "test.h"

static struct replica_node *
put_node(struct coord *c, uint64_t id, const char *name, const char *disco,
    char **eps, size_t neps)
{
	Coordd__Node	m = COORDD__NODE__INIT;
	char		nk[80], mk[80], v4[32], v6[48];

	snprintf(nk, sizeof(nk), "nodekey:%064llx", (unsigned long long)id);
	snprintf(mk, sizeof(mk), "mkey:%064llx", (unsigned long long)id);
	snprintf(v4, sizeof(v4), "100.64.0.%llu", (unsigned long long)id);
	snprintf(v6, sizeof(v6), "fd7a:115c:a1e0::%llu",
	    (unsigned long long)id);
	m.id = id;
	m.user_id = 1;
	m.node_key = nk;
	m.machine_key = mk;
	m.disco_key = (char *)disco;
	m.hostname = (char *)name;
	m.given_name = (char *)name;
	m.ipv4 = v4;
	m.ipv6 = v6;
	m.endpoints = eps;
	m.n_endpoints = neps;
	m.host_info = "{\"Hostname\":\"h\",\"NetInfo\":{\"PreferredDERP\":900}}";
	if (replica_node_put(&c->replica, &m, NULL) == -1)
		abort();
	return (replica_node_get(&c->replica, id));
}

#define DISCO1 "discokey:0101010101010101010101010101010101010101010101010101010101010101"
#define DISCO2 "discokey:0202020202020202020202020202020202020202020202020202020202020202"

TEST(node_json_fields)
{
	struct coord		*c = fixture_coord_new();
	struct replica_node	*n;
	char			*eps[] = { "127.0.0.1:41641" };
	json_t			*o;

	n = put_node(c, 3, "laptop", DISCO1, eps, 1);
	ASSERT((o = json_loads(mapjson_node(c, n), 0, NULL)) != NULL);
	ASSERT_INT_EQ(json_integer_value(json_object_get(o, "ID")), 3);
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "StableID")), "3");
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "Name")),
	    "laptop.ts.example.");
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(o,
	    "Addresses"), 0)), "100.64.0.3/32");
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(o,
	    "AllowedIPs"), 1)), "fd7a:115c:a1e0::3/128");
	ASSERT_INT_EQ(json_integer_value(json_object_get(o, "HomeDERP")), 900);
	ASSERT(json_is_true(json_object_get(o, "MachineAuthorized")));
	ASSERT(json_is_false(json_object_get(o, "Online")));
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "KeyExpiry")),
	    "0001-01-01T00:00:00Z");
	ASSERT(json_object_get(o, "Expired") == NULL);
	json_decref(o);
	fixture_coord_free(c);
}

TEST(full_map_peers)
{
	struct coord		*c = fixture_coord_new();
	struct replica_node	*self;
	json_t			*o, *peers;
	char			*s;
	size_t			 len;

	self = put_node(c, 1, "a", DISCO1, NULL, 0);
	put_node(c, 2, "b", DISCO2, NULL, 0);
	put_node(c, 3, "c", "", NULL, 0);	/* no disco key yet */
	s = mapjson_full(c, self, &len);
	ASSERT_INT_EQ(len, strlen(s));
	ASSERT((o = json_loads(s, 0, NULL)) != NULL);
	free(s);
	peers = json_object_get(o, "Peers");
	/* Not self, not the node without a disco key. */
	ASSERT_INT_EQ(json_array_size(peers), 1);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(peers,
	    0), "ID")), 2);
	ASSERT_INT_EQ(json_integer_value(json_object_get(json_object_get(o,
	    "Node"), "ID")), 1);
	/* Never a nil DERPMap. */
	ASSERT(json_is_object(json_object_get(json_object_get(o, "DERPMap"),
	    "Regions")));
	ASSERT_STR_EQ(json_string_value(json_object_get(o, "Domain")),
	    "ts.example");
	ASSERT(json_is_array(json_object_get(o, "PacketFilter")));
	ASSERT(json_is_true(json_object_get(json_object_get(o, "Debug"),
	    "DisableLogTail")));
	json_decref(o);
	fixture_coord_free(c);
}

TEST(patch_only_what_moved)
{
	struct coord		*c = fixture_coord_new();
	struct replica_node	*old, *new;
	char			*e1[] = { "127.0.0.1:1" }, *e2[] = { "10.0.0.1:2" };
	json_t			*p;
	char			*s;

	put_node(c, 5, "x", DISCO1, e1, 1);
	old = replica_node_detach(&c->replica, 5);
	new = put_node(c, 5, "x", DISCO1, e1, 1);
	ASSERT(mapjson_patch(old, new) == NULL);
	replica_node_free(old);

	old = replica_node_detach(&c->replica, 5);
	new = put_node(c, 5, "x", DISCO2, e2, 1);
	/* One PeersChangedPatch element; the batch makes the message. */
	ASSERT((s = mapjson_patch(old, new)) != NULL);
	ASSERT((p = json_loads(s, 0, NULL)) != NULL);
	ASSERT_INT_EQ(json_integer_value(json_object_get(p, "NodeID")), 5);
	ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(p,
	    "Endpoints"), 0)), "10.0.0.1:2");
	ASSERT_STR_EQ(json_string_value(json_object_get(p, "DiscoKey")),
	    DISCO2);
	/* The home DERP did not move. */
	ASSERT(json_object_get(p, "DERPRegion") == NULL);
	json_decref(p);
	free(s);
	replica_node_free(old);
	fixture_coord_free(c);
}

TEST(replica_key_indexes)
{
	struct coord		*c = fixture_coord_new();
	struct replica_node	*n;
	char			 nk[80];

	put_node(c, 7, "k", DISCO1, NULL, 0);
	snprintf(nk, sizeof(nk), "nodekey:%064x", 7);
	ASSERT((n = replica_node_by_nodekey(&c->replica, nk)) != NULL);
	ASSERT_INT_EQ(n->id, 7);
	/* Re-keyed: the old key no longer finds it. */
	n->cap = 113;
	replica_node_free(replica_node_detach(&c->replica, 7));
	ASSERT(replica_node_by_nodekey(&c->replica, nk) == NULL);
	ASSERT_INT_EQ(c->replica.nnodes, 0);
	fixture_coord_free(c);
}

TEST_MAIN()
