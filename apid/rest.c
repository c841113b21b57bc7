/*
 * REST routing and answers.  A request from the coordinator (or one
 * that coordctl's command became) is split into path segments, matched
 * against headscale v0.29.2's route table, authenticated, and run.
 * Errors carry both the grpc-gateway shape that headscale v0.29.2
 * clients read (code, message, details) and the RFC 7807 fields that
 * headscale's newer CLI reads (title, status, detail).
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apid.h"
#include "log.h"
#include "rest.h"

#include "coordapi.pb-c.h"

#define REST_MAX_BODY	(1024 * 1024)

struct rest_route {
	const char	*method;
	const char	*pattern;	/* below /api/v1/; '*': any */
	rest_step	 run;
};

static const struct rest_route rest_routes[] = {
	{ "GET", "user", rest_user_list },
	{ "POST", "user", rest_user_create },
	{ "DELETE", "user/*", rest_user_delete },
	{ "POST", "user/*/rename/*", rest_user_rename },
	{ "GET", "preauthkey", rest_pak_list },
	{ "POST", "preauthkey", rest_pak_create },
	{ "POST", "preauthkey/expire", rest_pak_expire },
	{ "DELETE", "preauthkey", rest_pak_delete },
	{ "GET", "apikey", rest_apikey_list },
	{ "POST", "apikey", rest_apikey_create },
	{ "POST", "apikey/expire", rest_apikey_expire },
	{ "DELETE", "apikey/*", rest_apikey_delete },
	{ "DELETE", "apikey", rest_apikey_delete },
	{ "POST", "debug/node", rest_debug_node },
	{ "GET", "node", rest_node_list },
	{ "POST", "node/register", rest_node_register },
	{ "POST", "node/backfillips", rest_node_backfill },
	{ "GET", "node/*", rest_node_get },
	{ "DELETE", "node/*", rest_node_delete },
	{ "POST", "node/*/expire", rest_node_expire },
	{ "POST", "node/*/rename/*", rest_node_rename },
	{ "POST", "node/*/tags", rest_node_tags },
	{ "POST", "node/*/approve_routes", rest_node_routes },
	{ "POST", "node/*/user", rest_node_move },
	{ "POST", "auth/register", rest_auth_register },
	{ "POST", "auth/approve", rest_auth_approve },
	{ "POST", "auth/reject", rest_auth_approve },
	{ "GET", "policy", rest_policy_get },
	{ "PUT", "policy", rest_policy_set },
	{ "POST", "policy/check", rest_policy_check },
	{ "GET", "health", rest_health },
};

/* The gRPC code grpc-gateway would have put beside an HTTP status. */
static int
rest_grpc_code(int status)
{
	switch (status) {
	case 400:
		return (3);	/* InvalidArgument */
	case 401:
		return (16);	/* Unauthenticated */
	case 403:
		return (7);	/* PermissionDenied */
	case 404:
		return (5);	/* NotFound */
	case 409:
		return (6);	/* AlreadyExists */
	case 429:
		return (8);	/* ResourceExhausted */
	case 503:
		return (14);	/* Unavailable */
	case 504:
		return (4);	/* DeadlineExceeded */
	default:
		return (13);	/* Internal */
	}
}

static const char *
rest_status_title(int status)
{
	switch (status) {
	case 400:
		return ("Bad Request");
	case 401:
		return ("Unauthorized");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	case 409:
		return ("Conflict");
	case 413:
		return ("Payload Too Large");
	case 429:
		return ("Too Many Requests");
	case 501:
		return ("Not Implemented");
	case 503:
		return ("Service Unavailable");
	default:
		return ("Internal Server Error");
	}
}

/* enum ctl_status to the HTTP status headscale answers with. */
int
rest_http_status(int st)
{
	switch (st) {
	case CTL_OK:
		return (200);
	case CTL_ERR_INVALID:
		return (400);
	case CTL_ERR_NOTFOUND:
		return (404);
	case CTL_ERR_EXISTS:
		return (409);
	case CTL_ERR_DENIED:
		return (403);
	case CTL_ERR_UNAVAILABLE:
		return (503);
	default:
		return (500);
	}
}

static void
rest_free(struct rest_req *r)
{
	free(r->path);
	free(r->query);
	if (r->auth != NULL)
		freezero(r->auth, strlen(r->auth));
	json_decref(r->body);
	json_decref(r->items);
	free(r);
}

void
rest_reply(struct rest_req *r, json_t *doc)
{
	r->done(r, 200, doc, NULL);
	json_decref(doc);
	rest_free(r);
}

void
rest_error(struct rest_req *r, int status, const char *fmt, ...)
{
	json_t	*doc;
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	doc = json_pack("{s:i, s:s, s:[], s:s, s:i, s:s}",
	    "code", rest_grpc_code(status), "message", msg, "details",
	    "title", rest_status_title(status), "status", status,
	    "detail", msg);
	r->done(r, status, doc, msg);
	json_decref(doc);
	rest_free(r);
}

/* A failure stored or the coordinator reported. */
void
rest_error_ctl(struct rest_req *r, int st, const char *msg)
{
	rest_error(r, rest_http_status(st), "%s", msg != NULL && *msg ?
	    msg : "request failed");
}

/* Split the path below /api/v1/ in place; -1 if it is not there. */
static int
rest_split(struct rest_req *r)
{
	char	*p, *s;

	if (strncmp(r->path, "/api/v1/", 8) != 0)
		return (-1);
	p = r->path + 8;
	while ((s = strsep(&p, "/")) != NULL) {
		if (*s == '\0' && p == NULL)
			break;		/* one trailing slash */
		if (r->nsegs == REST_MAX_SEGS)
			return (-1);
		r->segs[r->nsegs++] = s;
	}
	return (0);
}

static int
rest_match(const struct rest_req *r, const char *pattern)
{
	char		 buf[64], *p, *s;
	int		 i = 0;

	strlcpy(buf, pattern, sizeof(buf));
	for (p = buf; (s = strsep(&p, "/")) != NULL; i++) {
		if (i == r->nsegs)
			return (0);
		if (strcmp(s, "*") == 0 ? r->segs[i][0] == '\0' :
		    strcmp(s, r->segs[i]) != 0)
			return (0);
	}
	return (i == r->nsegs);
}

struct rest_req *
rest_new(const char *method, const char *path, const char *query,
    const void *body, size_t bodylen, rest_done_cb done)
{
	struct rest_req	*r;
	json_error_t	 jerr;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->route = -1;
	strlcpy(r->method, method, sizeof(r->method));
	r->path = strdup(path);
	r->query = strdup(query != NULL ? query : "");
	r->done = done;
	if (r->path == NULL || r->query == NULL) {
		rest_free(r);
		return (NULL);
	}
	if (bodylen > REST_MAX_BODY)
		r->badbody = 2;
	else if (bodylen > 0) {
		r->body = json_loadb(body, bodylen, JSON_REJECT_DUPLICATES,
		    &jerr);
		if (r->body == NULL || !json_is_object(r->body))
			r->badbody = 1;
	}
	return (r);
}

static void
rest_route_run(struct rest_req *r, const struct rest_route *rt)
{
	if (r->badbody == 2)
		return (rest_error(r, 413, "request body too large"));
	if (r->badbody)
		return (rest_error(r, 400, "the body is not a JSON object"));
	rt->run(r);
}

/* Route, then authenticate, then run; unknown paths are 404 for all. */
void
rest_run(struct rest_req *r)
{
	const struct rest_route	*rt;
	size_t			 i;
	int			 pathok = 0;

	if (strcmp(r->path, "/version") == 0 &&
	    strcmp(r->method, "GET") == 0)
		return (rest_version(r));
	if (rest_split(r) == 0) {
		for (i = 0; i < nitems(rest_routes); i++) {
			rt = &rest_routes[i];
			if (!rest_match(r, rt->pattern))
				continue;
			pathok = 1;
			if (strcmp(rt->method, r->method) != 0)
				continue;
			if (r->local)
				return (rest_route_run(r, rt));
			r->route = i;
			return (rest_auth(r));
		}
	}
	if (!r->local && !pathok)
		/* Strangers learn nothing of the routes without a key. */
		return (rest_auth(r));
	rest_error(r, pathok ? 405 : 404, "no route for %s %s", r->method,
	    r->path);
}

/* After a successful key check: run the route found before. */
void
rest_authorized(struct rest_req *r)
{
	if (r->route < 0)
		return (rest_error(r, 404, "no route for %s %s", r->method,
		    r->path));
	rest_route_run(r, &rest_routes[r->route]);
}

/*
 * Over HTTP: the JSON answer, or the plain "Unauthorized" that
 * headscale sends for a missing or wrong key.
 */
static void
rest_http_done(struct rest_req *r, int status, json_t *doc, const char *err)
{
	Coordd__ApiResponse	 resp = COORDD__API_RESPONSE__INIT;
	struct imsgev		*coord = apid_env->coord;
	char			*json = NULL;
	uint8_t			*buf;
	size_t			 len;

	resp.status = status;
	if (status == 401) {
		resp.content_type = "text/plain; charset=utf-8";
		resp.body.data = (uint8_t *)"Unauthorized\n";
		resp.body.len = 13;
	} else {
		resp.content_type = status == 200 ? "application/json" :
		    "application/problem+json";
		if ((json = json_dumps(doc, JSON_COMPACT)) == NULL) {
			resp.status = 500;
			json = strdup("{}");
		}
		resp.body.data = (uint8_t *)json;
		resp.body.len = json != NULL ? strlen(json) : 0;
	}
	if (status >= 500)
		log_warnx("rest: %s %s: %d %s", r->method, r->path, status,
		    err != NULL ? err : "");
	else if (status != 200)
		log_debug("rest: %s %s: %d %s", r->method, r->path, status,
		    err != NULL ? err : "");
	if (coord == NULL || coord->closed ||
	    (buf = pb_pack(&resp.base, &len)) == NULL) {
		free(json);
		return;
	}
	/* Chunks closed by DONE: long listings exceed one message. */
	if (imsgev_compose_chunked(coord, IMSG_API_RESPONSE,
	    (uint32_t)r->done_id | IMSG_REPLY_BIT, buf, len) == -1)
		log_warn("rest: cannot answer the coordinator");
	free(buf);
	free(json);
}

/* IMSG_API_REQUEST from the coordinator. */
void
rest_api_request(struct imsgev *iev, struct imsg *imsg)
{
	Coordd__ApiRequest	*m;
	struct rest_req		*r;

	if ((m = pb_unpack(&coordd__api_request__descriptor, imsg)) == NULL) {
		log_warnx("rest: malformed ApiRequest");
		imsgev_reply_done(iev, imsg);
		return;
	}
	r = rest_new(m->method, m->path, m->query, m->body.data, m->body.len,
	    rest_http_done);
	if (r == NULL) {
		imsgev_reply_done(iev, imsg);
		pb_free(m);
		return;
	}
	r->done_id = imsg->hdr.peerid;
	strlcpy(r->remote, m->remote_addr, sizeof(r->remote));
	r->auth = strdup(m->authorization);
	if (m->authorization != NULL)
		explicit_bzero(m->authorization, strlen(m->authorization));
	if (m->body.len > 0)
		explicit_bzero(m->body.data, m->body.len);
	pb_free(m);
	rest_run(r);
}
