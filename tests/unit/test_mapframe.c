/* Map frames: little-endian length, one zstd frame, a stable keep-alive. */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "mapframe.h"
#include "test.h"

static uint32_t
le32(const uint8_t *p)
{
	return (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

TEST(frame_roundtrip)
{
	struct mapframer	 mf;
	const char		*json = "{\"Node\":{\"ID\":1},\"Peers\":[]}";
	uint8_t			*f;
	char			 out[256];
	size_t			 len, n;

	ASSERT(mapframe_init(&mf) == 0);
	ASSERT((f = mapframe_encode(&mf, json, strlen(json), &len)) != NULL);
	ASSERT_INT_EQ(le32(f), len - 4);
	/* A complete zstd frame: the magic, then exactly the JSON back. */
	ASSERT(f[4] == 0x28 && f[5] == 0xb5 && f[6] == 0x2f && f[7] == 0xfd);
	n = ZSTD_decompress(out, sizeof(out), f + 4, len - 4);
	ASSERT(!ZSTD_isError(n));
	ASSERT_INT_EQ(n, strlen(json));
	ASSERT(memcmp(out, json, n) == 0);
	free(f);
	mapframe_free(&mf);
}

TEST(keepalive_is_one_blob)
{
	struct mapframer	 mf;
	const uint8_t		*k1, *k2;
	uint8_t			*again;
	char			 out[64];
	size_t			 l1, l2, l3, n;

	ASSERT(mapframe_init(&mf) == 0);
	k1 = mapframe_keepalive(&mf, &l1);
	k2 = mapframe_keepalive(&mf, &l2);
	ASSERT(k1 == k2 && l1 == l2);
	n = ZSTD_decompress(out, sizeof(out), k1 + 4, l1 - 4);
	ASSERT_INT_EQ(n, strlen(MAPFRAME_KEEPALIVE_JSON));
	ASSERT(memcmp(out, MAPFRAME_KEEPALIVE_JSON, n) == 0);
	/* Encoding it again gives the same bytes: clients compare them. */
	again = mapframe_encode(&mf, MAPFRAME_KEEPALIVE_JSON,
	    strlen(MAPFRAME_KEEPALIVE_JSON), &l3);
	ASSERT(again != NULL && l3 == l1 && memcmp(again, k1, l1) == 0);
	free(again);
	mapframe_free(&mf);
}

TEST(large_map_compresses)
{
	struct mapframer	 mf;
	char			*json, *back;
	uint8_t			*f;
	size_t			 i, len, jl = 1 << 20, n;

	ASSERT(mapframe_init(&mf) == 0);
	ASSERT((json = malloc(jl)) != NULL && (back = malloc(jl)) != NULL);
	for (i = 0; i < jl; i++)
		json[i] = "{\"Peers\":[]}"[i % 12];
	ASSERT((f = mapframe_encode(&mf, json, jl, &len)) != NULL);
	ASSERT(len < jl / 10);
	n = ZSTD_decompress(back, jl, f + 4, len - 4);
	ASSERT_INT_EQ(n, jl);
	ASSERT(memcmp(back, json, jl) == 0);
	free(f);
	free(json);
	free(back);
	mapframe_free(&mf);
}

TEST_MAIN()
