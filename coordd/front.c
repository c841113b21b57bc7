/*
 * The coordinator's front door on listen_addr: plain HTTP/1.1 requests
 * for /health, /key and the /ts2021 upgrade into Noise.  A connection
 * that misbehaves is closed with a log line and nothing else notices.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config.h"
#include "coordinator.h"
#include "derp.h"
#include "h2.h"
#include "http.h"
#include "log.h"
#include "tls.h"

static void	front_accept(int, short, void *);
static void	conn_read_cb(struct bufferevent *, void *);
static void	conn_write_cb(struct bufferevent *, void *);
static void	conn_event_cb(struct bufferevent *, short, void *);

static const struct timeval front_backoff = { 1, 0 };

void
front_listen(struct coord *c, int fd)
{
	if (c->listenfd != -1) {
		event_del(&c->listen_ev);
		evtimer_del(&c->listen_pause);
		close(c->listenfd);
	}
	c->listenfd = fd;
	event_set(&c->listen_ev, fd, EV_READ | EV_PERSIST, front_accept, c);
	event_add(&c->listen_ev, NULL);
	evtimer_set(&c->listen_pause, front_accept, c);
}

int
conn_id_cmp(struct conn *a, struct conn *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_GENERATE(conn_ids, conn, id_entry, conn_id_cmp);

/*
 * The connection a reply from another process is for, if it is still
 * there: looked up for every stored answer, so not a list walk.
 */
struct conn *
front_find(struct coord *c, uint64_t id)
{
	struct conn	k;

	k.id = id;
	return (RB_FIND(conn_ids, &c->conn_ids, &k));
}

static void
peer_name(struct sockaddr_storage *ss, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];
	int	 port = 0;

	host[0] = '\0';
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	}
	snprintf(buf, len, "%s:%d", host, port);
}

/* The address alone, for per-source limits. */
static void
source_addr(struct sockaddr_storage *ss, uint8_t *out, size_t *len)
{
	if (ss->ss_family == AF_INET) {
		memcpy(out, &((struct sockaddr_in *)ss)->sin_addr, 4);
		*len = 4;
	} else if (ss->ss_family == AF_INET6) {
		memcpy(out, &((struct sockaddr_in6 *)ss)->sin6_addr, 16);
		*len = 16;
	} else
		*len = 0;
}

static void
front_accept(int fd, short event, void *arg)
{
	struct coord		*c = arg;
	struct conn		*conn;
	struct sockaddr_storage	 ss;
	struct timeval		 tv = { FRONT_HTTP_TIMEOUT_SEC, 0 };
	socklen_t		 len = sizeof(ss);
	int			 s, one = 1;

	if (event & EV_TIMEOUT) {
		event_add(&c->listen_ev, NULL);
		return;
	}
	if ((s = accept4(c->listenfd, (struct sockaddr *)&ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* Out of descriptors: stop accepting for a while. */
			event_del(&c->listen_ev);
			evtimer_add(&c->listen_pause, &front_backoff);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	if (c->nconns >= FRONT_MAX_CONNS) {
		log_warnx("front: too many connections");
		close(s);
		return;
	}
	/*
	 * Every write is a whole flush (one writev of sealed records):
	 * Nagle would only hold a map delta back behind an unacked one.
	 */
	(void)setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((conn = calloc(1, sizeof(*conn))) == NULL ||
	    (conn->bev = c->tls != NULL ? tls_bufferevent(c->tls, c->base, s) :
	    bufferevent_socket_new(c->base, s, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL) {
		free(conn);
		close(s);
		return;
	}
	conn->coord = c;
	conn->tls = c->tls != NULL;
	conn->id = ++c->next_connid;
	conn->state = CONN_HTTP;
	peer_name(&ss, conn->peer, sizeof(conn->peer));
	source_addr(&ss, conn->src, &conn->srclen);
	TAILQ_INSERT_TAIL(&c->conns, conn, entry);
	RB_INSERT(conn_ids, &c->conn_ids, conn);
	c->nconns++;
	/* A client that dribbles its request head is cut off. */
	bufferevent_set_timeouts(conn->bev, &tv, &tv);
	bufferevent_setwatermark(conn->bev, EV_READ, 0,
	    HTTP_MAX_HEADER_BYTES + FRONT_MAX_BODY);
	bufferevent_setcb(conn->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    conn);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
}

void
conn_close(struct conn *conn)
{
	struct coord	*c = conn->coord;

	TAILQ_REMOVE(&c->conns, conn, entry);
	RB_REMOVE(conn_ids, &c->conn_ids, conn);
	c->nconns--;
	if (conn->bev != NULL)
		bufferevent_free(conn->bev);
	h2_session_free(conn->h2);
	if (conn->hs != NULL) {
		noise_hs_clear(conn->hs);
		free(conn->hs);
	}
	if (conn->nt != NULL) {
		noise_transport_clear(conn->nt);
		free(conn->nt);
	}
	if (conn->plain != NULL)
		evbuffer_free(conn->plain);
	if (conn->stage != NULL)
		evbuffer_free(conn->stage);
	ts2021_ws_free(conn->ws);
	apifwd_free(conn->api);
	free(conn);
}

void
front_close_all(struct coord *c)
{
	struct conn	*conn;

	while ((conn = TAILQ_FIRST(&c->conns)) != NULL)
		conn_close(conn);
	if (c->listenfd != -1) {
		event_del(&c->listen_ev);
		evtimer_del(&c->listen_pause);
		close(c->listenfd);
		c->listenfd = -1;
	}
}

/*
 * Close once the output has drained; inside Noise, the output went
 * below its low mark and HTTP/2 may go on.
 */
static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*conn = arg;

	if (conn->state == CONN_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(conn);
	else if (conn->state == CONN_NOISE && conn->h2 != NULL)
		ts2021_write(conn);
}

/* Read nothing more, send what is queued, then close. */
void
conn_finish(struct conn *conn)
{
	conn->state = CONN_CLOSING;
	bufferevent_disable(conn->bev, EV_READ);
	bufferevent_setwatermark(conn->bev, EV_WRITE, 0, 0);
	bufferevent_setcb(conn->bev, NULL, conn_write_cb, conn_event_cb, conn);
	if (evbuffer_get_length(bufferevent_get_output(conn->bev)) == 0)
		conn_close(conn);
}

/*
 * One whole response, after which the connection ends: this front door
 * keeps no idle HTTP/1 connections.
 */
void
conn_respond(struct conn *conn, int status, const char *ctype,
    const char *body, size_t bodylen, const char *extra)
{
	char	*buf;
	int	 n;

	n = http_format_response(NULL, 0, status, ctype, extra, body, bodylen,
	    1);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		conn_close(conn);
		return;
	}
	http_format_response(buf, (size_t)n + 1, status, ctype, extra, body,
	    bodylen, 1);
	evbuffer_add(bufferevent_get_output(conn->bev), buf, n);
	free(buf);
	conn_finish(conn);
}

static void
route_health(struct conn *conn)
{
	struct coord	*c = conn->coord;
	const char	*body;

	/* Healthy means stored answers: without it nothing can work. */
	if (c->peers[PROC_STORE] != NULL && c->replica.synced) {
		body = "{\"status\":\"pass\"}";
		conn_respond(conn, 200, "application/health+json", body,
		    strlen(body), NULL);
	} else {
		body = "{\"status\":\"fail\"}";
		conn_respond(conn, 503, "application/health+json", body,
		    strlen(body), NULL);
	}
}

static void
route_key(struct conn *conn, const struct http_request *req)
{
	struct coord	*c = conn->coord;
	char		 v[16], hex[2 * crypto_scalarmult_BYTES + 1], body[256];
	const char	*zero = "mkey:000000000000000000000000000000000000"
			    "0000000000000000000000000000";
	int		 n;

	if (http_query_get(req->query, "v", v, sizeof(v)) != 0) {
		n = snprintf(body, sizeof(body), "missing v parameter\n");
		conn_respond(conn, 400, "text/plain", body, n, NULL);
		return;
	}
	if (!c->noise_ready) {
		n = snprintf(body, sizeof(body), "starting\n");
		conn_respond(conn, 503, "text/plain", body, n, NULL);
		return;
	}
	sodium_bin2hex(hex, sizeof(hex), c->noise_pub, sizeof(c->noise_pub));
	n = snprintf(body, sizeof(body),
	    "{\"legacyPublicKey\":\"%s\",\"publicKey\":\"mkey:%s\"}",
	    zero, hex);
	conn_respond(conn, 200, "application/json", body, n, NULL);
}

/*
 * GET /derp with Upgrade: DERP: the connection leaves the front door
 * for the relay, which answers the upgrade itself.
 */
static void
route_derp(struct conn *conn, const struct http_request *req)
{
	struct coord		*c = conn->coord;
	struct bufferevent	*bev = conn->bev;
	const char		*up = http_header(req, "Upgrade");
	char			 peer[sizeof(conn->peer)];

	if (c->conf == NULL || !c->conf->derp_server_enabled ||
	    c->derp == NULL) {
		conn_respond(conn, 404, "text/plain", "not found\n", 10, NULL);
		return;
	}
	if (up != NULL && strcasecmp(up, "websocket") == 0) {
		derp_ws_upgrade(conn, req);
		return;
	}
	if (strcmp(req->method, "GET") != 0 || up == NULL ||
	    strcasecmp(up, "DERP") != 0) {
		conn_respond(conn, 426, "text/plain",
		    "DERP requires connection upgrade\n", 33, NULL);
		return;
	}
	strlcpy(peer, conn->peer, sizeof(peer));
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	conn->bev = NULL;
	conn_close(conn);
	derp_accept(c, bev, peer, NULL);
}

/* netcheck's HTTPS latency fallback. */
static void
route_derp_probe(struct conn *conn)
{
	conn_respond(conn, 200, "text/plain", "", 0,
	    "Access-Control-Allow-Origin: *\r\n");
}

/* Captive portal check: echo the challenge, if it is a sane token. */
static void
route_generate_204(struct conn *conn, const struct http_request *req)
{
	const char	*ch = http_header(req, "X-Tailscale-Challenge");
	char		 extra[160];
	size_t		 i;

	extra[0] = '\0';
	if (ch != NULL && strlen(ch) <= 64) {
		for (i = 0; ch[i] != '\0'; i++)
			if (!isalnum((unsigned char)ch[i]) &&
			    strchr("._-", ch[i]) == NULL)
				break;
		if (ch[i] == '\0' && i > 0)
			snprintf(extra, sizeof(extra),
			    "X-Tailscale-Response: response %s\r\n", ch);
	}
	conn_respond(conn, 204, NULL, NULL, 0, extra[0] != '\0' ? extra :
	    NULL);
}

static void
conn_http(struct conn *conn)
{
	struct evbuffer		*in = bufferevent_get_input(conn->bev);
	struct http_request	*req;
	const char		*err = NULL, *body;
	size_t			 len = evbuffer_get_length(in);
	int			 r;

	if ((req = malloc(sizeof(*req))) == NULL) {
		conn_close(conn);
		return;
	}
	r = http_parse_request((const char *)evbuffer_pullup(in, len), len,
	    req, &err);
	if (r == 0) {
		free(req);
		return;
	}
	if (r < 0) {
		log_info("front %s: %s", conn->peer,
		    r == -2 ? "request head too large" : err);
		body = r == -2 ? "request head too large\n" : "bad request\n";
		conn_respond(conn, r == -2 ? 431 : 400, "text/plain", body,
		    strlen(body), NULL);
		free(req);
		return;
	}
	evbuffer_drain(in, req->header_len);
	log_debug("front %s: %s %s", conn->peer, req->method, req->path);
	if (strcmp(req->path, "/ts2021") == 0)
		ts2021_upgrade(conn, req);
	else if (strcmp(req->path, "/health") == 0 &&
	    strcmp(req->method, "GET") == 0)
		route_health(conn);
	else if (strcmp(req->path, "/key") == 0 &&
	    strcmp(req->method, "GET") == 0)
		route_key(conn, req);
	else if (strcmp(req->path, "/derp") == 0)
		route_derp(conn, req);
	else if ((strcmp(req->path, "/derp/probe") == 0 ||
	    strcmp(req->path, "/derp/latency-check") == 0) &&
	    (strcmp(req->method, "GET") == 0 ||
	    strcmp(req->method, "HEAD") == 0))
		route_derp_probe(conn);
	else if (strcmp(req->path, "/generate_204") == 0 &&
	    strcmp(req->method, "GET") == 0)
		route_generate_204(conn, req);
	else if (strncmp(req->path, "/register/", 10) == 0)
		regpage_route(conn, req);
	else if (apifwd_match(req))
		apifwd_start(conn, req);
	else {
		body = "not found\n";
		conn_respond(conn, 404, "text/plain", body, strlen(body),
		    NULL);
	}
	free(req);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*conn = arg;

	switch (conn->state) {
	case CONN_HTTP:
		conn_http(conn);
		break;
	case CONN_NOISE:
		ts2021_read(conn);
		break;
	case CONN_API:
		apifwd_read(conn);
		break;
	case CONN_HANDSHAKE:
	case CONN_CLOSING:
		/* Nothing is read until stored has answered. */
		break;
	}
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn	*conn = arg;

	/* A TLS handshake that completed: the request follows. */
	if (what == BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		log_info("front %s: timed out %s in state %d", conn->peer,
		    what & BEV_EVENT_READING ? "reading" : "writing",
		    conn->state);
	else if (what & BEV_EVENT_ERROR)
		log_debug("front %s: %s", conn->peer, strerror(errno));
	conn_close(conn);
}
