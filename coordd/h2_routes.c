/*
 * The requests served inside Noise, over HTTP/2: /machine/register
 * (register.c), and the test routes.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <sodium.h>

#include "coordinator.h"
#include "h2.h"
#include "log.h"
#include "map.h"

#define ROUTE_TICKS		5
#define ROUTE_TICK_MS		50

struct h2_route {
	const char	*r_method;
	const char	*r_path;
	void		(*r_fn)(struct h2_stream *);
	int		 r_test;	/* only with COORDD_TEST_ROUTES=1 */
};

static void	route_echo_get(struct h2_stream *);
static void	route_echo_post(struct h2_stream *);
static void	route_ticks(struct h2_stream *);

/*
 * A streamed answer written later, from a timer: it keeps ids, never
 * pointers, since the client may reset the stream or leave meanwhile.
 */
struct route_ticker {
	struct event	 t_ev;
	struct coord	*t_coord;
	uint64_t	 t_connid;
	int32_t		 t_streamid;
	int		 t_n;
};

static const struct h2_route h2_routes[] = {
	{ "GET",	"/coordd/echo",	route_echo_get,		1 },
	{ "POST",	"/coordd/echo",	route_echo_post,	1 },
	{ "GET",	"/coordd/ticks", route_ticks,		1 },
	{ "POST",	"/machine/register", register_route,	0 },
	{ "POST",	"/machine/map",	map_route,		0 },
};

static void
route_respond(struct h2_stream *st, int status, const char *ctype,
    const void *body, size_t len)
{
	if (h2_stream_respond(st, status, ctype, body, len) == -1)
		log_warnx("h2 %s: stream %d: cannot answer",
		    st->st_conn->peer, st->st_id);
}

/* The path and the Noise peer's machine key: the session's identity. */
static void
route_echo_get(struct h2_stream *st)
{
	json_t	*doc;
	char	 hex[2 * NOISE_KEYLEN + 1], mkey[5 + sizeof(hex)], *body;

	sodium_bin2hex(hex, sizeof(hex), st->st_conn->nt->nt_peer,
	    NOISE_KEYLEN);
	strlcpy(mkey, "mkey:", sizeof(mkey));
	strlcat(mkey, hex, sizeof(mkey));
	if ((doc = json_pack("{s:s, s:s}", "path", st->st_path,
	    "machineKey", mkey)) == NULL ||
	    (body = json_dumps(doc, JSON_COMPACT)) == NULL) {
		json_decref(doc);
		route_respond(st, 500, "text/plain", "internal error\n", 15);
		return;
	}
	json_decref(doc);
	route_respond(st, 200, "application/json", body, strlen(body));
	free(body);
}

static void
route_echo_post(struct h2_stream *st)
{
	size_t	 len = evbuffer_get_length(st->st_body);

	route_respond(st, 200, "application/octet-stream",
	    evbuffer_pullup(st->st_body, len), len);
}

static void
route_tick(int fd, short event, void *arg)
{
	struct route_ticker	*tk = arg;
	struct timeval		 tv = { 0, ROUTE_TICK_MS * 1000 };
	struct conn		*conn;
	struct h2_stream	*st;
	char			 buf[32];
	int			 n;

	if ((conn = front_find(tk->t_coord, tk->t_connid)) == NULL ||
	    conn->h2 == NULL ||
	    (st = h2_stream_find(conn->h2, tk->t_streamid)) == NULL) {
		log_debug("h2: stream %d of connection %llu went away",
		    tk->t_streamid, (unsigned long long)tk->t_connid);
		free(tk);
		return;
	}
	if (tk->t_n == ROUTE_TICKS) {
		h2_stream_end(st);
		free(tk);
		return;
	}
	n = snprintf(buf, sizeof(buf), "tick %d\n", tk->t_n++);
	if (h2_stream_write(st, buf, n) == -1) {
		free(tk);
		return;
	}
	evtimer_add(&tk->t_ev, &tv);
}

/* A few lines, one at a time: a small model of the map long poll. */
static void
route_ticks(struct h2_stream *st)
{
	struct route_ticker	*tk;

	if ((tk = calloc(1, sizeof(*tk))) == NULL) {
		route_respond(st, 500, "text/plain", "internal error\n", 15);
		return;
	}
	if (h2_stream_begin(st, 200, "text/plain") == -1) {
		free(tk);
		return;
	}
	tk->t_coord = st->st_conn->coord;
	tk->t_connid = st->st_conn->id;
	tk->t_streamid = st->st_id;
	evtimer_set(&tk->t_ev, route_tick, tk);
	route_tick(-1, 0, tk);
}

void
h2_route(struct h2_stream *st)
{
	size_t	 i;

	for (i = 0; i < sizeof(h2_routes) / sizeof(h2_routes[0]); i++)
		if ((!h2_routes[i].r_test || st->st_conn->coord->test_routes) &&
		    strcmp(st->st_method, h2_routes[i].r_method) == 0 &&
		    strcmp(st->st_path, h2_routes[i].r_path) == 0) {
			h2_routes[i].r_fn(st);
			return;
		}
	route_respond(st, 404, "text/plain", "not found\n", 10);
}
