/*
 * GET /register/<auth id>: the page a client's AuthURL names.  It only
 * tells the person logging in which command an admin runs to let the
 * machine in; nothing is done by visiting it.  Plain HTML, no scripts,
 * and a Content-Security-Policy that forbids them anyway, because the
 * page repeats what the client sent (its host name).  The id must have
 * the exact form of ours before it is looked up; an unknown, malformed
 * or expired id is a 404 page.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "authreq.h"
#include "coordinator.h"
#include "http.h"
#include "log.h"

#define REGPAGE_PREFIX	"/register/"
#define REGPAGE_HEADERS \
	"Content-Security-Policy: default-src 'none'; " \
	"style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; " \
	"frame-ancestors 'none'\r\n" \
	"X-Content-Type-Options: nosniff\r\n" \
	"X-Frame-Options: DENY\r\n" \
	"Referrer-Policy: no-referrer\r\n" \
	"Cache-Control: no-store\r\n"
#define REGPAGE_TYPE	"text/html; charset=utf-8"
#define REGPAGE_STYLE \
	"body{font-family:sans-serif;max-width:46em;margin:2em auto;" \
	"padding:0 1em}pre{background:#eee;padding:1em;" \
	"white-space:pre-wrap;word-break:break-all}"

/*
 * s with the five HTML specials as entities, and control characters
 * dropped: safe in element text and quoted attributes.  Never NULL.
 */
char *
regpage_escape(const char *s)
{
	struct evbuffer	*b;
	char		*out;
	size_t		 len;

	if ((b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(b, "&#39;", 5);
			break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				evbuffer_add(b, s, 1);
			break;
		}
	}
	len = evbuffer_get_length(b);
	if ((out = malloc(len + 1)) == NULL)
		fatal("%s", __func__);
	evbuffer_remove(b, out, len);
	out[len] = '\0';
	evbuffer_free(b);
	return (out);
}

static void
regpage_send(struct conn *conn, int status, struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);
	char	*body = (char *)evbuffer_pullup(b, len);

	conn_respond(conn, status, REGPAGE_TYPE, body, len, REGPAGE_HEADERS);
	evbuffer_free(b);
}

static struct evbuffer *
regpage_begin(const char *title)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		fatal("%s", __func__);
	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>%s</title>\n"
	    "<style>%s</style>\n</head>\n<body>\n", title, REGPAGE_STYLE);
	return (b);
}

static void
regpage_not_found(struct conn *conn)
{
	struct evbuffer	*b = regpage_begin("Unknown registration");

	evbuffer_add_printf(b, "<h1>Unknown registration</h1>\n"
	    "<p>This registration request is unknown or has expired. "
	    "Run <code>tailscale up</code> again for a new link.</p>\n"
	    "</body>\n</html>\n");
	regpage_send(conn, 404, b);
}

/* The commands; every piece that is not ours is escaped. */
static void
regpage_found(struct conn *conn, const struct authreq *ar)
{
	struct evbuffer	*b = regpage_begin("Machine registration");
	char		*id, *host, *mkey;

	id = regpage_escape(ar->ar_id);
	host = regpage_escape(ar->ar_hostname[0] != '\0' ? ar->ar_hostname :
	    "(no host name)");
	mkey = regpage_escape(ar->ar_machine_key);
	evbuffer_add_printf(b, "<h1>Machine registration</h1>\n"
	    "<p>The machine <strong>%s</strong> asks to join this "
	    "tailnet. To let it in, an administrator runs on the server:</p>\n"
	    "<pre>coordctl nodes register --user USERNAME --key %s</pre>\n"
	    "<p>or, with headscale's command-line tool:</p>\n"
	    "<pre>headscale nodes register --user USERNAME --key %s</pre>\n"
	    "<p>Machine key: <code>%s</code></p>\n"
	    "<p>This link expires with the registration request.</p>\n"
	    "</body>\n</html>\n", host, id, id, mkey);
	free(id);
	free(host);
	free(mkey);
	regpage_send(conn, 200, b);
}

void
regpage_route(struct conn *conn, const struct http_request *req)
{
	struct authreq	*ar;
	const char	*id = req->path + strlen(REGPAGE_PREFIX);

	if (strcmp(req->method, "GET") != 0) {
		conn_respond(conn, 405, "text/plain", "method not allowed\n",
		    19, "Allow: GET\r\n");
		return;
	}
	if (!authreq_id_valid(id) ||
	    (ar = authreq_lookup(conn->coord, id)) == NULL) {
		log_debug("front %s: no registration page for %s",
		    conn->peer, authreq_id_valid(id) ? id : "a bad id");
		regpage_not_found(conn);
		return;
	}
	regpage_found(conn, ar);
}
