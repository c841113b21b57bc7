/*
 * Full maps from cached blocks of peers: the concatenated zstd frames
 * must decode (as one stream, the way clients read them) to the same
 * message as the plain full map, for a node anywhere in the ID space,
 * alone in its block or not, and a changed peer must never come from a
 * stale block.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <zstd.h>

#include "compat.h"
#include "config.h"
#include "coordinator.h"
#include "fixture_coord.h"
#include "map.h"
#include "mapblock.h"
#include "test.h"

static void
put(struct coord *c, uint64_t id, int visible, const char *ep)
{
	Coordd__Node	m = COORDD__NODE__INIT;
	char		nk[80], mk[80], dk[80], name[32], *eps[1];

	snprintf(nk, sizeof(nk), "nodekey:%064llx", (unsigned long long)id);
	snprintf(mk, sizeof(mk), "mkey:%064llx", (unsigned long long)id);
	snprintf(dk, sizeof(dk), "discokey:%064llx", (unsigned long long)id);
	snprintf(name, sizeof(name), "n%llu", (unsigned long long)id);
	eps[0] = (char *)ep;
	m.id = id;
	m.user_id = 1;
	m.node_key = nk;
	m.machine_key = mk;
	m.disco_key = visible ? dk : "";
	m.hostname = name;
	m.given_name = name;
	m.ipv4 = "100.64.0.1";
	m.ipv6 = "fd7a:115c:a1e0::1";
	m.endpoints = eps;
	m.n_endpoints = 1;
	m.host_info = "{\"Hostname\":\"h\"}";
	if (replica_node_put(&c->replica, &m, NULL) == -1)
		abort();
}

/*
 * Clients key peers by ID (and sort them), so the order of "Peers" is
 * free: compare them as an object keyed by ID.
 */
static void
normalise(json_t *o)
{
	json_t	*peers, *byid, *p;
	size_t	 i;
	char	 k[32];

	if (o == NULL)
		return;
	json_object_del(o, "ControlTime");
	peers = json_object_get(o, "Peers");
	if ((byid = json_object()) == NULL)
		abort();
	json_array_foreach(peers, i, p) {
		snprintf(k, sizeof(k), "%lld",
		    (long long)json_integer_value(json_object_get(p, "ID")));
		json_object_set(byid, k, p);
	}
	json_object_set_new(o, "Peers", byid);
}

/* The frames as a client reads them: one stream, frame after frame. */
static json_t *
decode(struct evbuffer *b, int *nframes)
{
	const uint8_t	*src = evbuffer_pullup(b, -1);
	size_t		 n = evbuffer_get_length(b), off = 0, cap = 0, r;
	char		*out;
	json_t		*o;

	/* Each of our frames says its content size. */
	*nframes = 0;
	while (off < n) {
		cap += ZSTD_getFrameContentSize(src + off, n - off);
		off += ZSTD_findFrameCompressedSize(src + off, n - off);
		(*nframes)++;
	}
	if ((out = malloc(cap + 1)) == NULL)
		abort();
	r = ZSTD_decompress(out, cap, src, n);
	if (ZSTD_isError(r)) {
		free(out);
		return (NULL);
	}
	out[r] = '\0';
	o = json_loads(out, 0, NULL);
	free(out);
	normalise(o);
	return (o);
}

static json_t *
plain(struct coord *c, struct replica_node *self)
{
	json_t	*o;
	char	*s;
	size_t	 len;

	s = mapjson_full(c, self, &len);
	o = json_loads(s, 0, NULL);
	free(s);
	normalise(o);
	return (o);
}

static int
same_as_plain(struct coord *c, uint64_t id, int *nframes)
{
	struct replica_node	*self = replica_node_get(&c->replica, id);
	struct evbuffer		*b = evbuffer_new();
	json_t			*got, *want;
	char			*head;
	size_t			 hlen;
	int			 same;

	head = mapjson_full_head(c, self, &hlen);
	if (mapblocks_full(c, self, head, hlen, b) == -1)
		abort();
	free(head);
	got = decode(b, nframes);
	want = plain(c, self);
	same = got != NULL && want != NULL && json_equal(got, want);
	json_decref(got);
	json_decref(want);
	evbuffer_free(b);
	return (same);
}

TEST(blocks_equal_plain_full_map)
{
	struct coord	*c = fixture_coord_new();
	uint64_t	 id, selves[] = { 1, 63, 64, 100, 130, 131, 200 };
	size_t		 i;
	int		 nframes;

	/* Buckets 0-2 mostly visible, 131 hidden, 200 alone in bucket 3. */
	for (id = 1; id <= 140; id++)
		put(c, id, id != 131 && id % 17 != 0, "127.0.0.1:1");
	put(c, 200, 1, "127.0.0.1:1");
	for (i = 0; i < nitems(selves); i++)
		ASSERT(same_as_plain(c, selves[i], &nframes));
	/* The head, three blocks and the last frame at least. */
	ASSERT(nframes >= 4);
	fixture_coord_free(c);
}

TEST(blocks_alone_and_empty)
{
	struct coord	*c = fixture_coord_new();
	int		 nframes;

	put(c, 5, 1, "127.0.0.1:1");
	ASSERT(same_as_plain(c, 5, &nframes));		/* no peers at all */
	put(c, 70, 1, "127.0.0.1:1");
	ASSERT(same_as_plain(c, 5, &nframes));		/* alone, one block */
	ASSERT(same_as_plain(c, 70, &nframes));
	put(c, 6, 1, "127.0.0.1:1");
	ASSERT(same_as_plain(c, 70, &nframes));
	fixture_coord_free(c);
}

TEST(changed_peer_never_stale)
{
	struct coord	*c = fixture_coord_new();
	uint64_t	 id;
	int		 nframes;

	for (id = 1; id <= 130; id++)
		put(c, id, 1, "127.0.0.1:1");
	ASSERT(same_as_plain(c, 1, &nframes));
	ASSERT(same_as_plain(c, 2, &nframes));
	/* A peer in a cached block moves; the block must be remade. */
	put(c, 70, 1, "10.9.9.9:9");
	ASSERT(same_as_plain(c, 1, &nframes));
	/* A peer leaves the map (no disco key) and one is deleted. */
	put(c, 71, 0, "127.0.0.1:1");
	replica_node_free(replica_node_detach(&c->replica, 72));
	ASSERT(same_as_plain(c, 1, &nframes));
	ASSERT(same_as_plain(c, 129, &nframes));
	fixture_coord_free(c);
}

TEST_MAIN()
