/*
 * The coordinator state the map tests share (fixture_coord.h): the
 * replica, the routes, the zstd framer, the block cache and a config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "coordinator.h"
#include "fixture_coord.h"
#include "map.h"
#include "mapblock.h"

static const char fixture_yaml[] =
	"server_url: http://127.0.0.1:8080\n"
	"listen_addr: 127.0.0.1:8080\n"
	"noise:\n  private_key_path: /tmp/x/noise.key\n"
	"prefixes:\n  v4: 100.64.0.0/10\n  v6: fd7a:115c:a1e0::/48\n"
	"dns:\n  magic_dns: true\n  base_domain: ts.example\n"
	"  override_local_dns: false\n";

struct coord *
fixture_coord_new(void)
{
	struct coord	*c;
	char		 err[512];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		abort();
	replica_init(&c->replica);
	routes_init(&c->routes);
	if ((c->conf = config_load_buffer("test", fixture_yaml,
	    strlen(fixture_yaml), 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	if (mapframe_init(&c->framer) == -1)
		abort();
	c->mblocks = mapblocks_new();
	return (c);
}

void
fixture_coord_free(struct coord *c)
{
	mapblocks_free(c->mblocks);
	mapframe_free(&c->framer);
	routes_clear(&c->routes);
	replica_clear(&c->replica);
	config_free(c->conf);
	free(c);
}
