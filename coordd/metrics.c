/*
 * GET /metrics on metrics_listen_addr, in Prometheus's text format: the
 * relay's and STUN's counters, map sessions, nodes, connections.  The
 * parent binds the socket (LISTENER_METRICS); each connection is one
 * request head, one answer, then close.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "coordinator.h"
#include "derp.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "stun.h"

#define METRICS_TIMEOUT_SEC	10
#define METRICS_MAX_CONNS	64

struct metrics_server {
	struct coord	*ms_coord;
	int		 ms_fd;
	struct event	 ms_ev;
	int		 ms_nconns;
};

static void
metric(struct evbuffer *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
	    name, help, name, type, name, v);
}

static void
metrics_body(struct coord *c, struct evbuffer *b)
{
	struct derp_stats	ds;
	struct stun_stats	ss;

	metric(b, "coordd_nodes", "gauge", "Nodes in the tailnet.",
	    c->replica.nnodes);
	metric(b, "coordd_map_sessions", "gauge", "Open map streams.",
	    c->nsessions);
	metric(b, "coordd_front_connections", "gauge",
	    "Client connections on listen_addr.", c->nconns);
	memset(&ds, 0, sizeof(ds));
	if (c->derp != NULL)
		derp_get_stats(c->derp, &ds);
	metric(b, "coordd_derp_clients", "gauge",
	    "Clients logged in to the relay.", ds.clients_now);
	metric(b, "coordd_derp_clients_home", "gauge",
	    "Relay clients whose home region this is (NotePreferred).",
	    ds.clients_home);
	metric(b, "coordd_derp_logins_total", "counter",
	    "Relay logins that succeeded.", ds.clients_total);
	metric(b, "coordd_derp_refused_total", "counter",
	    "Relay logins turned away.", ds.refused);
	metric(b, "coordd_derp_packets_relayed_total", "counter",
	    "Packets relayed.", ds.packets);
	metric(b, "coordd_derp_bytes_relayed_total", "counter",
	    "Packet bytes relayed.", ds.bytes);
	metric(b, "coordd_derp_packets_dropped_total", "counter",
	    "Packets dropped for a receiver that fell behind.", ds.drops);
	metric(b, "coordd_derp_unknown_destination_total", "counter",
	    "Packets for a node key not connected here.", ds.unknown_dst);
	memset(&ss, 0, sizeof(ss));
	if (c->stun != NULL)
		stun_server_stats(c->stun, &ss);
	metric(b, "coordd_stun_requests_total", "counter",
	    "Datagrams read on the STUN socket.", ss.requests);
	metric(b, "coordd_stun_answers_total", "counter",
	    "Binding responses sent.", ss.answers);
	metric(b, "coordd_stun_ignored_total", "counter",
	    "Datagrams that were not binding requests.", ss.ignored);
}

static void
metrics_conn_free(struct bufferevent *bev, struct metrics_server *ms)
{
	bufferevent_free(bev);
	ms->ms_nconns--;
}

static void
metrics_respond(struct bufferevent *bev, int status, const char *ctype,
    const char *body, size_t len)
{
	char	*buf;
	int	 n;

	if ((n = http_format_response(NULL, 0, status, ctype, NULL, body, len,
	    1)) < 0 || (buf = malloc((size_t)n + 1)) == NULL)
		return;
	http_format_response(buf, (size_t)n + 1, status, ctype, NULL, body,
	    len, 1);
	evbuffer_add(bufferevent_get_output(bev), buf, n);
	free(buf);
}

static void
metrics_write_cb(struct bufferevent *bev, void *arg)
{
	/* The answer is out: done. */
	metrics_conn_free(bev, arg);
}

static void
metrics_read_cb(struct bufferevent *bev, void *arg)
{
	struct metrics_server	*ms = arg;
	struct evbuffer		*in = bufferevent_get_input(bev), *b;
	struct http_request	*req;
	const char		*err = NULL;
	size_t			 len = evbuffer_get_length(in);
	int			 r;

	if ((req = malloc(sizeof(*req))) == NULL) {
		metrics_conn_free(bev, ms);
		return;
	}
	r = http_parse_request((const char *)evbuffer_pullup(in, len), len,
	    req, &err);
	if (r == 0) {
		free(req);
		return;
	}
	bufferevent_disable(bev, EV_READ);
	bufferevent_setcb(bev, NULL, metrics_write_cb, NULL, ms);
	if (r < 0)
		metrics_respond(bev, 400, "text/plain", "bad request\n", 12);
	else if (strcmp(req->method, "GET") != 0 ||
	    strcmp(req->path, "/metrics") != 0)
		metrics_respond(bev, 404, "text/plain", "not found\n", 10);
	else if ((b = evbuffer_new()) != NULL) {
		metrics_body(ms->ms_coord, b);
		len = evbuffer_get_length(b);
		metrics_respond(bev, 200, "text/plain; version=0.0.4",
		    (const char *)evbuffer_pullup(b, len), len);
		evbuffer_free(b);
	}
	free(req);
}

static void
metrics_event_cb(struct bufferevent *bev, short what, void *arg)
{
	metrics_conn_free(bev, arg);
}

static void
metrics_accept(int fd, short event, void *arg)
{
	struct metrics_server	*ms = arg;
	struct bufferevent	*bev;
	struct timeval		 tv = { METRICS_TIMEOUT_SEC, 0 };
	int			 s;

	if ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("metrics: accept");
		return;
	}
	if (ms->ms_nconns >= METRICS_MAX_CONNS || (bev =
	    bufferevent_socket_new(ms->ms_coord->base, s,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(s);
		return;
	}
	ms->ms_nconns++;
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_setwatermark(bev, EV_READ, 0, HTTP_MAX_HEADER_BYTES);
	bufferevent_setcb(bev, metrics_read_cb, NULL, metrics_event_cb, ms);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct metrics_server *
metrics_server_new(struct coord *c, int fd)
{
	struct metrics_server	*ms;

	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		fatal("%s", __func__);
	ms->ms_coord = c;
	ms->ms_fd = fd;
	event_set(&ms->ms_ev, fd, EV_READ | EV_PERSIST, metrics_accept, ms);
	event_add(&ms->ms_ev, NULL);
	log_debug("metrics: serving /metrics");
	return (ms);
}

void
metrics_server_free(struct metrics_server *ms)
{
	if (ms == NULL)
		return;
	event_del(&ms->ms_ev);
	close(ms->ms_fd);
	free(ms);
}
