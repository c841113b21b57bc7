/*
 * POST /machine/map (spec sections 5 and 7).  The node is found by its
 * node key and must belong to the Noise peer's machine key.  What the
 * request reports (disco key, endpoints, Hostinfo) goes to stored when
 * it differs from the replica; the change comes back through the
 * change stream and reaches the peers from there.  Then:
 *	Stream			a map session (mapsess.c);
 *	!Stream, OmitPeers	a "lite" update: 200 once stored has it;
 *	!Stream, !OmitPeers	one full map, then the end.
 */
#include <sys/types.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <sodium.h>

#include "coordinator.h"
#include "h2.h"
#include "keys.h"
#include "log.h"
#include "map.h"

#include "store.pb-c.h"

#define KEYHEX		(2 * KEY_LEN)
#define ENDPOINT_MAX	64

struct map_req {
	json_int_t	 mr_version;
	char		 mr_nodekey[8 + KEYHEX + 1];
	char		 mr_disco[10 + KEYHEX + 1];	/* "": none or zero */
	char		*mr_endpoints[MAP_MAX_ENDPOINTS];
	size_t		 mr_nendpoints;
	int		 mr_has_endpoints;
	char		*mr_hostinfo;		/* NULL: none */
	int		 mr_stream;
	int		 mr_omitpeers;
	int		 mr_zstd;
};

/* A lite update waiting for stored: ids only, the stream may go. */
struct map_lite {
	struct coord	*ml_coord;
	uint64_t	 ml_connid;
	int32_t		 ml_streamid;
};

static void
map_req_clear(struct map_req *mr)
{
	size_t	i;

	for (i = 0; i < mr->mr_nendpoints; i++)
		free(mr->mr_endpoints[i]);
	free(mr->mr_hostinfo);
	memset(mr, 0, sizeof(*mr));
}

static void
map_fail(struct h2_stream *st, int status, const char *why)
{
	log_info("map %s: answered %d: %s", st->st_conn->peer, status, why);
	if (h2_stream_respond(st, status, "text/plain", why, strlen(why)) ==
	    -1)
		log_warnx("map %s: stream %d: cannot answer",
		    st->st_conn->peer, st->st_id);
}

/*
 * ip:port or [v6]:port.  Link-local and zoned IPv6 addresses are no use
 * to peers elsewhere: 0 says skip it, -1 that it is not an endpoint.
 */
static int
map_endpoint_ok(const char *s)
{
	char		 host[INET6_ADDRSTRLEN + 2];
	const char	*colon, *p;
	struct in6_addr	 a6;
	struct in_addr	 a4;
	size_t		 hlen;
	long		 port;
	char		*end;

	if (strlen(s) > ENDPOINT_MAX || (colon = strrchr(s, ':')) == NULL)
		return (-1);
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 1 || port > 65535)
		return (-1);
	if (s[0] == '[') {
		if (colon == s || colon[-1] != ']')
			return (-1);
		p = s + 1;
		hlen = colon - 1 - p;
		if (memchr(p, '%', hlen) != NULL)
			return (0);
		if (hlen >= sizeof(host))
			return (-1);
		memcpy(host, p, hlen);
		host[hlen] = '\0';
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return (-1);
		return (IN6_IS_ADDR_LINKLOCAL(&a6) ? 0 : 1);
	}
	hlen = colon - s;
	if (hlen >= sizeof(host))
		return (-1);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	return (inet_pton(AF_INET, host, &a4) == 1 ? 1 : -1);
}

static int
map_parse_endpoints(json_t *v, struct map_req *mr, const char **why)
{
	json_t		*e;
	size_t		 i;
	const char	*s;
	int		 ok;

	if (json_is_null(v))
		return (0);
	if (!json_is_array(v) || json_array_size(v) > MAP_MAX_ENDPOINTS) {
		*why = "Endpoints is not a list of at most 64";
		return (-1);
	}
	mr->mr_has_endpoints = 1;
	json_array_foreach(v, i, e) {
		if ((s = json_string_value(e)) == NULL ||
		    (ok = map_endpoint_ok(s)) == -1) {
			*why = "an endpoint is not ip:port";
			return (-1);
		}
		if (ok == 0)
			continue;
		if ((mr->mr_endpoints[mr->mr_nendpoints++] = strdup(s)) ==
		    NULL)
			fatal("strdup");
	}
	return (0);
}

static int
map_parse_bool(json_t *doc, const char *name, int *out, const char **why)
{
	json_t	*v = json_object_get(doc, name);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_boolean(v)) {
		*why = "a flag is not a boolean";
		return (-1);
	}
	*out = json_is_true(v);
	return (0);
}

static int
map_parse(const void *buf, size_t len, struct map_req *mr, const char **why)
{
	json_t		*doc, *v;
	const char	*s;
	int		 zero;

	memset(mr, 0, sizeof(*mr));
	if ((doc = json_loadb(buf, len, 0, NULL)) == NULL ||
	    !json_is_object(doc)) {
		*why = "the body is not a JSON object";
		goto fail;
	}
	v = json_object_get(doc, "Version");
	if (!json_is_integer(v)) {
		*why = "Version is missing or not a number";
		goto fail;
	}
	mr->mr_version = json_integer_value(v);
	if (keys_text_canon(json_string_value(json_object_get(doc, "NodeKey")),
	    "nodekey:", mr->mr_nodekey, sizeof(mr->mr_nodekey), &zero) == -1 ||
	    zero) {
		*why = "missing or invalid NodeKey";
		goto fail;
	}
	if ((v = json_object_get(doc, "DiscoKey")) != NULL &&
	    !json_is_null(v)) {
		if (keys_text_canon(json_string_value(v), "discokey:",
		    mr->mr_disco, sizeof(mr->mr_disco), &zero) == -1) {
			*why = "invalid DiscoKey";
			goto fail;
		}
		if (zero)
			mr->mr_disco[0] = '\0';
	}
	if ((v = json_object_get(doc, "Endpoints")) != NULL &&
	    map_parse_endpoints(v, mr, why) == -1)
		goto fail;
	if ((v = json_object_get(doc, "Hostinfo")) != NULL &&
	    !json_is_null(v)) {
		if (!json_is_object(v)) {
			*why = "Hostinfo is not an object";
			goto fail;
		}
		if ((mr->mr_hostinfo = json_dumps(v, JSON_COMPACT |
		    JSON_SORT_KEYS)) == NULL)
			fatal("json_dumps");
		if (strlen(mr->mr_hostinfo) > MAP_MAX_HOSTINFO) {
			*why = "Hostinfo is too large";
			goto fail;
		}
	}
	if (map_parse_bool(doc, "Stream", &mr->mr_stream, why) == -1 ||
	    map_parse_bool(doc, "OmitPeers", &mr->mr_omitpeers, why) == -1)
		goto fail;
	s = json_string_value(json_object_get(doc, "Compress"));
	mr->mr_zstd = s != NULL && strcmp(s, "zstd") == 0;
	json_decref(doc);
	return (0);
 fail:
	json_decref(doc);
	map_req_clear(mr);
	return (-1);
}

static int
endpoints_equal(const struct map_req *mr, const struct replica_node *n)
{
	size_t	i;

	if (mr->mr_nendpoints != n->nendpoints)
		return (0);
	for (i = 0; i < n->nendpoints; i++)
		if (strcmp(mr->mr_endpoints[i], n->endpoints[i]) != 0)
			return (0);
	return (1);
}

static void
map_lite_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct map_lite		*ml = arg;
	struct conn		*conn;
	struct h2_stream	*st = NULL;
	char			 err[256];
	int			 status = CTL_ERR_INTERNAL;

	if (imsg != NULL && imsg->hdr.type == IMSG_DONE)
		return;
	if ((conn = front_find(ml->ml_coord, ml->ml_connid)) != NULL &&
	    conn->h2 != NULL)
		st = h2_stream_find(conn->h2, ml->ml_streamid);
	if (imsg != NULL && (imsg->hdr.type != IMSG_RESULT ||
	    pb_result(imsg, &status, err, sizeof(err)) == -1))
		status = CTL_ERR_INTERNAL;
	if (st != NULL) {
		if (status == CTL_OK) {
			if (h2_stream_respond(st, 200, "application/json",
			    NULL, 0) == -1)
				log_warnx("map: cannot answer a lite update");
		} else
			map_fail(st, status == CTL_ERR_NOTFOUND ? 404 : 500,
			    "the update was not stored\n");
	}
	free(ml);
}

/*
 * Send stored what the request changes.  Returns 1 when a request went
 * out (cb is then called with its answer), 0 when nothing changed.
 */
static int
map_store_update(struct h2_stream *st, struct replica_node *n,
    const struct map_req *mr, int lite)
{
	struct coord		*c = st->st_conn->coord;
	Coordd__NodeUpdate	 up = COORDD__NODE_UPDATE__INIT;
	struct map_lite		*ml = NULL;
	int			 changed = 0;

	up.id = n->id;
	up.node_key = n->node_key;
	if (mr->mr_disco[0] != '\0' && strcmp(mr->mr_disco, n->disco_key)) {
		up.disco_key = (char *)mr->mr_disco;
		changed = 1;
	}
	if (mr->mr_has_endpoints && !endpoints_equal(mr, n)) {
		up.set_endpoints = 1;
		up.n_endpoints = mr->mr_nendpoints;
		up.endpoints = (char **)mr->mr_endpoints;
		changed = 1;
	}
	if (mr->mr_hostinfo != NULL && strcmp(mr->mr_hostinfo, n->host_info)) {
		up.host_info = mr->mr_hostinfo;
		changed = 1;
	}
	if (!changed || c->peers[PROC_STORE] == NULL)
		return (0);
	if (lite) {
		if ((ml = calloc(1, sizeof(*ml))) == NULL)
			fatal("%s", __func__);
		ml->ml_coord = c;
		ml->ml_connid = st->st_conn->id;
		ml->ml_streamid = st->st_id;
	}
	if (imsgev_request(c->peers[PROC_STORE], IMSG_STORE_NODE_UPDATE, -1,
	    &up.base, COORD_STORE_TIMEOUT_MS, lite ? map_lite_cb :
	    map_store_cb, ml) == -1) {
		log_warn("map: node %" PRIu64 ": cannot send the update",
		    n->id);
		free(ml);
		return (0);
	}
	return (lite);
}

static void
map_full_once(struct h2_stream *st, struct replica_node *n)
{
	struct coord	*c = st->st_conn->coord;
	char		*json;
	uint8_t		*frame;
	size_t		 len, flen;

	json = mapjson_full(c, n, &len);
	frame = mapframe_encode(&c->framer, json, len, &flen);
	free(json);
	if (frame == NULL) {
		map_fail(st, 500, "cannot encode the map\n");
		return;
	}
	if (h2_stream_respond(st, 200, "application/json", frame, flen) == -1)
		log_warnx("map %s: cannot answer", st->st_conn->peer);
	free(frame);
}

void
map_route(struct h2_stream *st)
{
	struct coord		*c = st->st_conn->coord;
	struct replica_node	*n;
	struct map_req		 mr;
	size_t			 len = evbuffer_get_length(st->st_body);
	const char		*why;
	char			 mkey[5 + 2 * NOISE_KEYLEN + 1];
	int			 lite;

	if (map_parse(evbuffer_pullup(st->st_body, len), len, &mr,
	    &why) == -1) {
		map_fail(st, 400, why);
		return;
	}
	h2_stream_request_done(st);
	memcpy(mkey, "mkey:", 5);
	sodium_bin2hex(mkey + 5, sizeof(mkey) - 5, st->st_conn->nt->nt_peer,
	    NOISE_KEYLEN);
	if (mr.mr_version < MAP_MIN_CAPVER)
		map_fail(st, 400, "client version too old\n");
	else if (!c->replica.synced)
		map_fail(st, 503, "starting\n");
	else if ((n = replica_node_by_nodekey(&c->replica,
	    mr.mr_nodekey)) == NULL)
		map_fail(st, 404, "node not found\n");
	else if (strcmp(n->machine_key, mkey) != 0)
		map_fail(st, 404, "node not found for this machine key\n");
	else if (!mr.mr_zstd && !(!mr.mr_stream && mr.mr_omitpeers))
		map_fail(st, 400, "only zstd compression is served\n");
	else {
		if (n->cap != (int)mr.mr_version) {
			n->cap = (int)mr.mr_version;
			free(n->json);
			n->json = NULL;
		}
		lite = !mr.mr_stream && mr.mr_omitpeers;
		log_debug("map %s: node %" PRIu64 " %s%s", st->st_conn->peer,
		    n->id, lite ? "lite update" : mr.mr_stream ? "stream" :
		    "one map", mr.mr_disco[0] == '\0' ? ", no disco key" : "");
		if (map_store_update(st, n, &mr, lite))
			;	/* map_lite_cb answers */
		else if (lite) {
			if (h2_stream_respond(st, 200, "application/json",
			    NULL, 0) == -1)
				log_warnx("map: cannot answer");
		} else if (!mr.mr_stream)
			map_full_once(st, n);
		else if (map_session_start(st, n) == -1)
			map_fail(st, 500, "cannot start the map\n");
	}
	map_req_clear(&mr);
}
