/* Address allocation: order, reserved addresses, exhaustion, reuse. */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "ipalloc.h"
#include "test.h"

#define V4	"100.64.0.0/10"
#define V6	"fd7a:115c:a1e0::/48"

static char	err[256];

TEST(sequential_starts_after_network)
{
	struct ipalloc	ia;
	char		v4[64], v6[64];

	ASSERT(ipalloc_init(&ia, V4, V6, "sequential", err, sizeof(err)) == 0);
	ASSERT(ipalloc_next(&ia, v4, sizeof(v4), v6, sizeof(v6), err,
	    sizeof(err)) == 0);
	ASSERT_STR_EQ(v4, "100.64.0.1");
	ASSERT_STR_EQ(v6, "fd7a:115c:a1e0::1");
	ASSERT(ipalloc_next(&ia, v4, sizeof(v4), v6, sizeof(v6), err,
	    sizeof(err)) == 0);
	ASSERT_STR_EQ(v4, "100.64.0.2");
	ASSERT_STR_EQ(v6, "fd7a:115c:a1e0::2");
	ipalloc_clear(&ia);
}

TEST(skips_used_and_reserved)
{
	struct ipalloc	ia;
	char		v4[64], v6[64];

	ASSERT(ipalloc_init(&ia, V4, V6, "sequential", err, sizeof(err)) == 0);
	ASSERT(ipalloc_mark(&ia, "100.64.0.1") == 0);
	ASSERT(ipalloc_mark(&ia, "fd7a:115c:a1e0::1") == 0);
	ASSERT(ipalloc_next(&ia, v4, sizeof(v4), v6, sizeof(v6), err,
	    sizeof(err)) == 0);
	ASSERT_STR_EQ(v4, "100.64.0.2");
	ASSERT_STR_EQ(v6, "fd7a:115c:a1e0::2");
	/* Jump to just before quad100 and the v6 service address. */
	ASSERT(ipalloc_parse("100.100.100.99", &ia.p4.prev) == 0);
	ASSERT(ipalloc_parse("fd7a:115c:a1e0::52", &ia.p6.prev) == 0);
	ASSERT(ipalloc_next(&ia, v4, sizeof(v4), v6, sizeof(v6), err,
	    sizeof(err)) == 0);
	ASSERT_STR_EQ(v4, "100.100.100.101");
	ASSERT_STR_EQ(v6, "fd7a:115c:a1e0::54");
	/* ChromeOS's VM range is skipped whole. */
	ASSERT(ipalloc_parse("100.115.91.255", &ia.p4.prev) == 0);
	ASSERT(ipalloc_next(&ia, v4, sizeof(v4), v6, sizeof(v6), err,
	    sizeof(err)) == 0);
	ASSERT_STR_EQ(v4, "100.115.94.0");
	ipalloc_clear(&ia);
}

TEST(small_prefix_exhausts_without_network_or_last)
{
	struct ipalloc	ia;
	char		v4[64], v6[64], seen[8][64];
	int		i, n = 0;

	ASSERT(ipalloc_init(&ia, "10.0.0.8/29", NULL, "sequential", err,
	    sizeof(err)) == 0);
	while (ipalloc_next(&ia, v4, sizeof(v4), v6, sizeof(v6), err,
	    sizeof(err)) == 0) {
		ASSERT(n < 8);
		ASSERT(strcmp(v4, "10.0.0.8") != 0);
		ASSERT(strcmp(v4, "10.0.0.15") != 0);
		ASSERT_STR_EQ(v6, "");
		for (i = 0; i < n; i++)
			ASSERT(strcmp(seen[i], v4) != 0);
		strlcpy(seen[n++], v4, sizeof(seen[0]));
	}
	ASSERT_INT_EQ(n, 6);
	ASSERT_STR_CONTAINS(err, "no free address");
	/* A freed address is found again on the next lap. */
	ASSERT(ipalloc_release(&ia, "10.0.0.10") == 0);
	ASSERT(ipalloc_next(&ia, v4, sizeof(v4), v6, sizeof(v6), err,
	    sizeof(err)) == 0);
	ASSERT_STR_EQ(v4, "10.0.0.10");
	ipalloc_clear(&ia);
}

TEST(failure_takes_nothing)
{
	struct ipalloc	ia;
	char		v4[64], v6[64];
	size_t		before;

	/* v4 has room, v6 is a /126 with two usable addresses. */
	ASSERT(ipalloc_init(&ia, V4, "fd00::/126", "sequential", err,
	    sizeof(err)) == 0);
	ASSERT(ipalloc_next(&ia, v4, 64, v6, 64, err, sizeof(err)) == 0);
	ASSERT(ipalloc_next(&ia, v4, 64, v6, 64, err, sizeof(err)) == 0);
	before = ia.nused;
	ASSERT(ipalloc_next(&ia, v4, 64, v6, 64, err, sizeof(err)) == -1);
	ASSERT_INT_EQ(ia.nused, before);
	ASSERT_STR_EQ(v4, "");
	ipalloc_clear(&ia);
}

TEST(random_stays_inside_and_unique)
{
	struct ipalloc	ia;
	struct ipaddr	ip, net;
	char		v4[64], v6[64];
	int		i;

	ASSERT(ipalloc_init(&ia, "100.64.0.0/22", V6, "random", err,
	    sizeof(err)) == 0);
	ASSERT(ipalloc_parse("100.64.0.0", &net) == 0);
	for (i = 0; i < 1000; i++) {
		ASSERT(ipalloc_next(&ia, v4, sizeof(v4), v6, sizeof(v6), err,
		    sizeof(err)) == 0);
		ASSERT(ipalloc_parse(v4, &ip) == 0);
		/* Inside 100.64.0.0/22, not the first or last address. */
		ASSERT(ip.a[0] == 100 && ip.a[1] == 64 && ip.a[2] < 4);
		ASSERT(!(ip.a[2] == 0 && ip.a[3] == 0));
		ASSERT(!(ip.a[2] == 3 && ip.a[3] == 255));
		ASSERT(strncmp(v6, "fd7a:115c:a1e0:", 15) == 0);
	}
	/* Every one of them was distinct: 2000 entries in the used set. */
	ASSERT_INT_EQ(ia.nused, 2000);
	/* The last 22 of 1022 are found even when random tries miss. */
	for (i = 0; i < 22; i++)
		ASSERT(ipalloc_next(&ia, v4, 64, v6, 64, err,
		    sizeof(err)) == 0);
	ASSERT(ipalloc_next(&ia, v4, 64, v6, 64, err, sizeof(err)) == -1);
	ipalloc_clear(&ia);
}

TEST(bad_configuration)
{
	struct ipalloc	ia;

	ASSERT(ipalloc_init(&ia, "100.64.0.0", V6, NULL, err,
	    sizeof(err)) == -1);
	ASSERT(ipalloc_init(&ia, "100.64.0.0/33", V6, NULL, err,
	    sizeof(err)) == -1);
	ASSERT(ipalloc_init(&ia, V6, NULL, NULL, err, sizeof(err)) == -1);
	ASSERT(ipalloc_init(&ia, V4, V6, "roundrobin", err,
	    sizeof(err)) == -1);
	ASSERT(ipalloc_init(&ia, NULL, NULL, NULL, err, sizeof(err)) == -1);
	ASSERT(ipalloc_init(&ia, V4, NULL, NULL, err, sizeof(err)) == 0);
	ASSERT(ipalloc_mark(&ia, "not an address") == -1);
	ipalloc_clear(&ia);
}

TEST_MAIN()
