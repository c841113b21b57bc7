/*
 * REST requests on the front door (/api/..., GET /version) go to apid
 * whole: the head and a bounded body become one ApiRequest, and apid's
 * ApiResponse becomes the HTTP response.  The coordinator never looks
 * inside them, so API keys and their checks stay in apid and stored.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "coordinator.h"
#include "http.h"
#include "log.h"

#include "coordapi.pb-c.h"

#define API_MAX_BODY		(1024 * 1024)
#define API_MAX_RESPONSE	(64 * 1024 * 1024)
#define API_TIMEOUT_MS		30000

/* A request on its way to apid, owned by its connection. */
struct api_fwd {
	char		 method[16];
	char		*path;
	char		*query;
	char		*auth;
	char		*ctype;
	size_t		 bodylen;
	int		 sent;
	struct evbuffer	*resp;		/* the ApiResponse so far */
};

/* What a reply callback needs: the connection may be gone by then. */
struct api_ref {
	struct coord	*coord;
	uint64_t	 connid;
};

int
apifwd_match(const struct http_request *req)
{
	if (strncmp(req->path, "/api/", 5) == 0 ||
	    strcmp(req->path, "/api") == 0)
		return (1);
	return (strcmp(req->path, "/version") == 0 &&
	    strcmp(req->method, "GET") == 0);
}

void
apifwd_free(struct api_fwd *f)
{
	if (f == NULL)
		return;
	free(f->path);
	free(f->query);
	if (f->auth != NULL)
		freezero(f->auth, strlen(f->auth));
	free(f->ctype);
	if (f->resp != NULL)
		evbuffer_free(f->resp);
	free(f);
}

/* The gateway's own errors, in the shape apid's have (see rest.c). */
static void
apifwd_error(struct conn *conn, int status, const char *msg)
{
	char	body[512];
	int	code, n;

	code = status == 503 ? 14 : status == 504 ? 4 : status == 413 ? 3 :
	    status == 411 ? 3 : 13;
	n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\","
	    "\"details\":[],\"title\":\"%s\",\"status\":%d,"
	    "\"detail\":\"%s\"}", code, msg, http_status_text(status),
	    status, msg);
	conn_respond(conn, status, "application/problem+json", body, n,
	    NULL);
}

static char *
dup_header(const struct http_request *req, const char *name)
{
	const char	*v = http_header(req, name);

	return (strdup(v != NULL ? v : ""));
}

/* The answer, or a gateway error if apid said nothing usable. */
static void
apifwd_respond(struct conn *conn, struct api_fwd *f)
{
	Coordd__ApiResponse	*r;
	size_t			 len = evbuffer_get_length(f->resp);
	const char		*ctype;

	r = coordd__api_response__unpack(NULL, len,
	    evbuffer_pullup(f->resp, len));
	if (r == NULL || r->status < 200 || r->status > 599) {
		log_warnx("front %s: bad answer from apid", conn->peer);
		if (r != NULL)
			coordd__api_response__free_unpacked(r, NULL);
		apifwd_error(conn, 502, "bad gateway");
		return;
	}
	ctype = r->content_type[0] != '\0' ? r->content_type : NULL;
	conn_respond(conn, r->status, ctype, (const char *)r->body.data,
	    r->body.len, NULL);
	coordd__api_response__free_unpacked(r, NULL);
}

static void
apifwd_reply_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct api_ref	*ref = arg;
	struct conn	*conn;
	struct api_fwd	*f;
	size_t		 len;

	conn = front_find(ref->coord, ref->connid);
	f = conn != NULL ? conn->api : NULL;
	if (imsg != NULL && imsg->hdr.type == IMSG_API_RESPONSE) {
		len = imsg->datalen;
		if (f != NULL && evbuffer_get_length(f->resp) + len <=
		    API_MAX_RESPONSE)
			evbuffer_add(f->resp, imsg->data, len);
		return;
	}
	free(ref);
	if (f == NULL)
		return;
	if (imsg == NULL)
		/* Silence for the whole timeout, or apid went away. */
		apifwd_error(conn, iev->closed ? 503 : 504, iev->closed ?
		    "admin API unavailable" : "admin API timed out");
	else if (imsg->hdr.type == IMSG_DONE)
		apifwd_respond(conn, f);
	else
		apifwd_error(conn, 502, "bad gateway");
}

static int
apifwd_send(struct conn *conn, struct api_fwd *f, uint8_t *body)
{
	Coordd__ApiRequest	 m = COORDD__API_REQUEST__INIT;
	struct coord		*c = conn->coord;
	struct imsgev		*api = c->peers[PROC_API];
	struct api_ref		*ref;
	char			 addr[sizeof(conn->peer)], *colon;

	strlcpy(addr, conn->peer, sizeof(addr));
	if ((colon = strrchr(addr, ':')) != NULL)
		*colon = '\0';
	m.method = f->method;
	m.path = f->path;
	m.query = f->query;
	m.authorization = f->auth;
	m.content_type = f->ctype;
	m.body.data = body;
	m.body.len = f->bodylen;
	m.remote_addr = addr;
	/* One message each way: the whole request must fit the channel. */
	if (coordd__api_request__get_packed_size(&m) + IMSG_HEADER_SIZE >
	    IMSG_MAXSIZE_HARD)
		return (413);
	if (api == NULL || api->closed)
		return (503);
	if ((ref = malloc(sizeof(*ref))) == NULL)
		return (503);
	ref->coord = c;
	ref->connid = conn->id;
	if (imsgev_request(api, IMSG_API_REQUEST, -1, &m.base,
	    API_TIMEOUT_MS, apifwd_reply_cb, ref) == -1) {
		free(ref);
		return (503);
	}
	return (0);
}

/* More bytes arrived: once the body is whole, it goes to apid. */
void
apifwd_read(struct conn *conn)
{
	struct api_fwd	*f = conn->api;
	struct evbuffer	*in = bufferevent_get_input(conn->bev);
	uint8_t		*body;
	int		 st;

	if (f == NULL || f->sent || evbuffer_get_length(in) < f->bodylen)
		return;
	f->sent = 1;
	/* Waiting on apid is not the client dawdling: no read timeout. */
	bufferevent_disable(conn->bev, EV_READ);
	body = evbuffer_pullup(in, f->bodylen);
	st = apifwd_send(conn, f, body);
	if (f->bodylen > 0)
		explicit_bzero(body, f->bodylen);
	evbuffer_drain(in, f->bodylen);
	if (st == 413)
		apifwd_error(conn, 413, "request body too large");
	else if (st != 0)
		apifwd_error(conn, 503, "admin API unavailable");
}

void
apifwd_start(struct conn *conn, const struct http_request *req)
{
	struct api_fwd	*f;
	const char	*expect;

	if (req->chunked) {
		apifwd_error(conn, 411, "length required");
		return;
	}
	if (req->content_length > API_MAX_BODY) {
		log_info("front %s: API body of %lld bytes refused", conn->peer,
		    req->content_length);
		apifwd_error(conn, 413, "request body too large");
		return;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->resp = evbuffer_new()) == NULL) {
		free(f);
		conn_close(conn);
		return;
	}
	strlcpy(f->method, req->method, sizeof(f->method));
	f->bodylen = req->content_length > 0 ? req->content_length : 0;
	f->path = strdup(req->path);
	f->query = strdup(req->query);
	f->auth = dup_header(req, "Authorization");
	f->ctype = dup_header(req, "Content-Type");
	conn->api = f;
	if (f->path == NULL || f->query == NULL || f->auth == NULL ||
	    f->ctype == NULL) {
		conn_close(conn);
		return;
	}
	conn->state = CONN_API;
	/* curl waits a second for this before a body over 1 KiB. */
	if (f->bodylen > 0 && (expect = http_header(req, "Expect")) != NULL &&
	    strcasecmp(expect, "100-continue") == 0)
		evbuffer_add_printf(bufferevent_get_output(conn->bev),
		    "HTTP/1.1 100 Continue\r\n\r\n");
	/* Room for the whole body, and not a byte more is needed. */
	bufferevent_setwatermark(conn->bev, EV_READ, 0, f->bodylen > 0 ?
	    f->bodylen : 1);
	apifwd_read(conn);
}
