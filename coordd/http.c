/*
 * HTTP/1.1 request heads (RFC 9110, RFC 9112) for the coordinator's
 * front door: /key, /ts2021 and friends.  Everything here comes from
 * the network, so the parser is bounded by HTTP_MAX_HEADER_BYTES,
 * copies what it keeps into the request's own storage and never writes
 * to, or reads past, the caller's buffer.
 *
 * It is stricter than RFC 9112 asks of a robust server, on purpose;
 * the clients we serve (Go's net/http) never trip over it:
 *  - lines end in CRLF only; a bare LF or a bare CR is malformed
 *    (lenient line endings are what request smuggling feeds on);
 *  - no empty lines before the request line, no obs-fold, no
 *    whitespace between a field name and its colon;
 *  - only HTTP/1.0 and HTTP/1.1, only origin-form targets;
 *  - Content-Length is digits only, at most 2^40, and repeated only
 *    with the same value; Transfer-Encoding is "chunked" alone, once,
 *    never with Content-Length and never in HTTP/1.0.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define HTTP_MAX_CONTENT_LENGTH	(1LL << 40)
#define HTTP_METHOD_SIZE	sizeof(((struct http_request *)NULL)->method)

static void	 http_reset(struct http_request *);
static int	 http_tchar(unsigned char);
static int	 http_vchar(unsigned char);
static int	 http_fchar(unsigned char);
static int	 http_hexval(unsigned char);
static int	 http_pct_valid(const char *, size_t);
static int	 http_method_prefix(const char *, size_t);
static int	 http_line(const char *, size_t, size_t, size_t *, size_t *,
		    const char **);
static int	 http_parse_reqline(const char *, size_t,
		    struct http_request *, const char **);
static int	 http_parse_field(const char *, size_t, struct http_request *,
		    size_t *, const char **);
static long long http_parse_length(const char *);
static int	 http_check_framing(struct http_request *, const char **);
static int	 http_qbyte(const char **, const char *);
static int	 http_query_pair(const char *, const char *, const char *,
		    char *, size_t);
static int	 http_valid_extra(const char *);

struct http_out {
	char		*buf;
	size_t		 size;
	size_t		 len;
};

static void	 http_out_add(struct http_out *, const void *, size_t);
static void	 http_out_str(struct http_out *, const char *);

static void
http_reset(struct http_request *req)
{
	req->method[0] = '\0';
	req->path[0] = '\0';
	req->query[0] = '\0';
	req->minor = 0;
	req->nheaders = 0;
	req->header_len = 0;
	req->content_length = -1;
	req->chunked = 0;
}

/* RFC 9110 section 5.6.2 tchar. */
static int
http_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return (1);
	return (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Visible ASCII, no space. */
static int
http_vchar(unsigned char c)
{
	return (c > 0x20 && c < 0x7f);
}

/* A field-value byte: VCHAR, SP, HTAB or obs-text. */
static int
http_fchar(unsigned char c)
{
	return (c == '\t' || (c >= 0x20 && c != 0x7f));
}

static int
http_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Every '%' in s[0..n) starts a %XX escape. */
static int
http_pct_valid(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] != '%')
			continue;
		if (n - i < 3 || http_hexval(s[i + 1]) == -1 ||
		    http_hexval(s[i + 2]) == -1)
			return (0);
		i += 2;
	}
	return (1);
}

/*
 * Find the line that starts at buf[off], looking no further than
 * buf[lim - 1].  Returns 1 with the offset of its CR in *eol and that of
 * the next line in *next; 0 when no LF has arrived yet; -1 when the
 * line ends in a bare LF or holds a bare CR or a NUL.  RFC 9112 section
 * 2.2 lets a recipient accept a bare LF; we do not.
 */
static int
http_line(const char *buf, size_t lim, size_t off, size_t *eol, size_t *next,
    const char **err)
{
	const char	*lf;
	size_t		 e;

	if (off >= lim || (lf = memchr(buf + off, '\n', lim - off)) == NULL)
		return (0);
	e = lf - buf;
	if (e == off || buf[e - 1] != '\r') {
		*err = "bare LF in request head";
		return (-1);
	}
	*next = e + 1;
	*eol = e - 1;
	if (memchr(buf + off, '\r', *eol - off) != NULL) {
		*err = "bare CR in request head";
		return (-1);
	}
	if (memchr(buf + off, '\0', *eol - off) != NULL) {
		*err = "NUL in request head";
		return (-1);
	}
	return (1);
}

/*
 * Whether an incomplete first line can still become a request line, so
 * that junk (a TLS ClientHello on the plain port, say) is refused at
 * once instead of after HTTP_MAX_HEADER_BYTES.
 */
static int
http_method_prefix(const char *buf, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && buf[i] >= 'A' && buf[i] <= 'Z'; i++)
		;
	if (i >= HTTP_METHOD_SIZE ||
	    (i < len && buf[i] != ' ' && buf[i] != '\r'))
		return (0);
	return (1);
}

/* METHOD SP origin-form SP HTTP/1.x, without its CRLF. */
static int
http_parse_reqline(const char *s, size_t n, struct http_request *req,
    const char **err)
{
	size_t	 i, t, q, v, plen, qlen;

	for (i = 0; i < n && s[i] >= 'A' && s[i] <= 'Z'; i++)
		;
	if (i == 0 || i >= HTTP_METHOD_SIZE || (i < n && s[i] != ' ')) {
		*err = "bad method";
		return (-1);
	}
	if (i == n) {
		*err = "bad request line";
		return (-1);
	}
	memcpy(req->method, s, i);
	req->method[i] = '\0';

	/* The target: visible ASCII up to the next SP, no fragment. */
	t = i + 1;
	if (t == n || s[t] != '/') {
		*err = "request target must start with '/'";
		return (-1);
	}
	q = 0;
	for (i = t; i < n && s[i] != ' '; i++) {
		if (!http_vchar(s[i]) || s[i] == '#') {
			*err = "bad request target";
			return (-1);
		}
		if (s[i] == '?' && q == 0)
			q = i;
	}
	if (i == n) {
		*err = "bad request line";
		return (-1);
	}
	if (q == 0)
		q = i;
	plen = q - t;
	qlen = q < i ? i - q - 1 : 0;
	if (plen >= sizeof(req->path) || qlen >= sizeof(req->query)) {
		*err = "request target too long";
		return (-1);
	}
	if (!http_pct_valid(s + t, i - t)) {
		*err = "bad percent-encoding in request target";
		return (-1);
	}
	memcpy(req->path, s + t, plen);
	req->path[plen] = '\0';
	if (qlen > 0)
		memcpy(req->query, s + q + 1, qlen);
	req->query[qlen] = '\0';

	/* Exactly one SP, then the version, then the end of the line. */
	v = i + 1;
	if (n - v == 8 && memcmp(s + v, "HTTP/1.", 7) == 0 &&
	    (s[v + 7] == '0' || s[v + 7] == '1')) {
		req->minor = s[v + 7] - '0';
		return (0);
	}
	if (n - v >= 5 && memcmp(s + v, "HTTP/", 5) == 0 &&
	    memchr(s + v, ' ', n - v) == NULL)
		*err = "unsupported HTTP version";
	else
		*err = "bad request line";
	return (-1);
}

/* One "name: value" line, without its CRLF; n > 0. */
static int
http_parse_field(const char *s, size_t n, struct http_request *req,
    size_t *sofs, const char **err)
{
	struct http_header	*h;
	size_t			 i, nlen, vs, ve, need;

	if (s[0] == ' ' || s[0] == '\t') {
		*err = "obs-fold in request head";
		return (-1);
	}
	if (req->nheaders >= HTTP_MAX_HEADERS) {
		*err = "too many headers";
		return (-1);
	}
	if (memchr(s, ':', n) == NULL) {
		*err = "header without colon";
		return (-1);
	}
	for (nlen = 0; nlen < n && http_tchar(s[nlen]); nlen++)
		;
	if (nlen == 0 || s[nlen] != ':') {
		*err = "bad header name";
		return (-1);
	}
	for (vs = nlen + 1; vs < n && (s[vs] == ' ' || s[vs] == '\t'); vs++)
		;
	for (ve = n; ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'); ve--)
		;
	for (i = vs; i < ve; i++)
		if (!http_fchar(s[i])) {
			*err = "bad header value";
			return (-1);
		}

	/* The line and its CRLF always outweigh name, value and two NULs. */
	need = nlen + 1 + (ve - vs) + 1;
	if (need > sizeof(req->storage) - *sofs) {
		*err = "request header too large";
		return (-1);
	}
	h = &req->headers[req->nheaders++];
	h->name = req->storage + *sofs;
	memcpy(h->name, s, nlen);
	h->name[nlen] = '\0';
	h->value = h->name + nlen + 1;
	memcpy(h->value, s + vs, ve - vs);
	h->value[ve - vs] = '\0';
	*sofs += need;
	return (0);
}

/* Digits only, at most HTTP_MAX_CONTENT_LENGTH; -1 otherwise. */
static long long
http_parse_length(const char *s)
{
	long long	 v;

	if (*s == '\0')
		return (-1);
	for (v = 0; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return (-1);
		v = v * 10 + (*s - '0');
		if (v > HTTP_MAX_CONTENT_LENGTH)
			return (-1);
	}
	return (v);
}

/* Message framing and Host, once the whole head is in. */
static int
http_check_framing(struct http_request *req, const char **err)
{
	struct http_header	*h;
	size_t			 i, nhost = 0;
	long long		 cl;
	int			 te = 0;

	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (strcasecmp(h->name, "Content-Length") == 0) {
			if ((cl = http_parse_length(h->value)) == -1) {
				*err = "bad Content-Length";
				return (-1);
			}
			if (req->content_length != -1 &&
			    req->content_length != cl) {
				*err = "conflicting Content-Length";
				return (-1);
			}
			req->content_length = cl;
		} else if (strcasecmp(h->name, "Transfer-Encoding") == 0) {
			if (te) {
				*err = "duplicate Transfer-Encoding";
				return (-1);
			}
			te = 1;
			if (strcasecmp(h->value, "chunked") != 0) {
				*err = "unsupported Transfer-Encoding";
				return (-1);
			}
			req->chunked = 1;
		} else if (strcasecmp(h->name, "Host") == 0)
			nhost++;
	}
	if (te && req->content_length != -1) {
		*err = "both Content-Length and Transfer-Encoding";
		return (-1);
	}
	if (te && req->minor == 0) {
		*err = "Transfer-Encoding in HTTP/1.0";
		return (-1);
	}
	if (nhost > 1) {
		*err = "duplicate Host";
		return (-1);
	}
	if (nhost == 0 && req->minor == 1) {
		*err = "missing Host";
		return (-1);
	}
	return (1);
}

int
http_parse_request(const char *buf, size_t len, struct http_request *req,
    const char **err)
{
	const char	*dummy;
	size_t		 lim, off, eol, next, sofs;
	int		 r;

	if (err == NULL)
		err = &dummy;
	*err = NULL;
	if (req == NULL || (buf == NULL && len != 0)) {
		*err = "bad argument";
		return (-1);
	}
	http_reset(req);
	lim = len < HTTP_MAX_HEADER_BYTES ? len : HTTP_MAX_HEADER_BYTES;

	if ((r = http_line(buf, lim, 0, &eol, &next, err)) != 1) {
		if (r == 0 && !http_method_prefix(buf, lim)) {
			*err = "bad method";
			return (-1);
		}
		goto partial;
	}
	if (http_parse_reqline(buf, eol, req, err) == -1)
		return (-1);
	sofs = 0;
	for (off = next;; off = next) {
		if ((r = http_line(buf, lim, off, &eol, &next, err)) != 1)
			goto partial;
		if (eol == off)
			break;
		if (http_parse_field(buf + off, eol - off, req, &sofs,
		    err) == -1)
			return (-1);
	}
	req->header_len = next;
	return (http_check_framing(req, err));

 partial:
	if (r == -1)
		return (-1);
	if (len >= HTTP_MAX_HEADER_BYTES) {
		*err = "request header too large";
		return (-2);
	}
	return (0);
}

const char *
http_header(const struct http_request *req, const char *name)
{
	size_t	 i;

	if (req == NULL || name == NULL)
		return (NULL);
	for (i = 0; i < req->nheaders && i < HTTP_MAX_HEADERS; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return (req->headers[i].value);
	return (NULL);
}

int
http_header_has_token(const char *value, const char *token)
{
	const char	*p, *e, *s, *t;
	size_t		 tlen;

	if (value == NULL || token == NULL || (tlen = strlen(token)) == 0)
		return (0);
	for (p = value;; p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		for (s = p; s < e && (*s == ' ' || *s == '\t'); s++)
			;
		for (t = e; t > s && (t[-1] == ' ' || t[-1] == '\t'); t--)
			;
		if ((size_t)(t - s) == tlen && strncasecmp(s, token, tlen) == 0)
			return (1);
		if (*e == '\0')
			return (0);
	}
}

/*
 * Decode one byte of a query component at *pp, short of end: '+' is a
 * space, %XX the byte XX.  Returns the byte, or -1 for a bad escape.
 */
static int
http_qbyte(const char **pp, const char *end)
{
	const char	*p = *pp;
	int		 hi, lo;

	if (*p == '+') {
		*pp = p + 1;
		return (' ');
	}
	if (*p != '%') {
		*pp = p + 1;
		return ((unsigned char)*p);
	}
	if (end - p < 3 || (hi = http_hexval(p[1])) == -1 ||
	    (lo = http_hexval(p[2])) == -1)
		return (-1);
	*pp = p + 3;
	return (hi << 4 | lo);
}

/* One name[=value] pair in p[0..end): 0 found, -1 other key, -2 bad. */
static int
http_query_pair(const char *p, const char *end, const char *key, char *out,
    size_t outlen)
{
	const char	*eq, *k;
	size_t		 n;
	int		 c, match = 1;

	if ((eq = memchr(p, '=', end - p)) == NULL)
		eq = end;
	for (k = key; p < eq;) {
		if ((c = http_qbyte(&p, eq)) == -1)
			return (-2);
		if (match && c != 0 && (unsigned char)*k == c)
			k++;
		else
			match = 0;
	}
	if (!match || *k != '\0')
		return (-1);
	p = eq < end ? eq + 1 : end;
	for (n = 0; p < end; n++) {
		if ((c = http_qbyte(&p, end)) == -1 || c == 0 ||
		    n + 1 >= outlen) {
			out[0] = '\0';
			return (-2);
		}
		out[n] = c;
	}
	out[n] = '\0';
	return (0);
}

/*
 * The value of the first key=value pair in an '&'-separated query whose
 * decoded name is key.  A pair without '=' has the value "".  -2 for a
 * bad escape in a name met on the way or in the value, for a value
 * that decodes to a NUL, or for one that does not fit in out.
 */
int
http_query_get(const char *query, const char *key, char *out, size_t outlen)
{
	const char	*p, *end;
	int		 r;

	if (query == NULL || key == NULL || out == NULL || outlen == 0)
		return (-2);
	out[0] = '\0';
	for (p = query;; p = end + 1) {
		if ((end = strchr(p, '&')) == NULL)
			end = p + strlen(p);
		if (end > p &&
		    (r = http_query_pair(p, end, key, out, outlen)) != -1)
			return (r);
		if (*end == '\0')
			return (-1);
	}
}

const char *
http_status_text(int code)
{
	switch (code) {
	case 100:
		return ("Continue");
	case 101:
		return ("Switching Protocols");
	case 200:
		return ("OK");
	case 201:
		return ("Created");
	case 202:
		return ("Accepted");
	case 204:
		return ("No Content");
	case 301:
		return ("Moved Permanently");
	case 302:
		return ("Found");
	case 303:
		return ("See Other");
	case 304:
		return ("Not Modified");
	case 307:
		return ("Temporary Redirect");
	case 308:
		return ("Permanent Redirect");
	case 400:
		return ("Bad Request");
	case 401:
		return ("Unauthorized");
	case 403:
		return ("Forbidden");
	case 404:
		return ("Not Found");
	case 405:
		return ("Method Not Allowed");
	case 408:
		return ("Request Timeout");
	case 409:
		return ("Conflict");
	case 411:
		return ("Length Required");
	case 413:
		return ("Payload Too Large");
	case 414:
		return ("URI Too Long");
	case 415:
		return ("Unsupported Media Type");
	case 426:
		return ("Upgrade Required");
	case 429:
		return ("Too Many Requests");
	case 431:
		return ("Request Header Fields Too Large");
	case 500:
		return ("Internal Server Error");
	case 501:
		return ("Not Implemented");
	case 502:
		return ("Bad Gateway");
	case 503:
		return ("Service Unavailable");
	case 504:
		return ("Gateway Timeout");
	case 505:
		return ("HTTP Version Not Supported");
	default:
		return ("Unknown");
	}
}

/* Append what fits, leaving room for the NUL; count it all. */
static void
http_out_add(struct http_out *o, const void *p, size_t n)
{
	size_t	 room;

	room = o->size > 0 && o->len < o->size - 1 ? o->size - 1 - o->len : 0;
	if (room > 0)
		memcpy(o->buf + o->len, p, n < room ? n : room);
	o->len += n;
}

static void
http_out_str(struct http_out *o, const char *s)
{
	http_out_add(o, s, strlen(s));
}

/*
 * Extra header lines from our own code: each "name: value\r\n" with a
 * token name and a clean value, and never a framing header, which
 * http_format_response owns.
 */
static int
http_valid_extra(const char *s)
{
	const char	*name;
	size_t		 n;

	while (*s != '\0') {
		name = s;
		while (http_tchar(*s))
			s++;
		n = s - name;
		if (n == 0 || *s++ != ':')
			return (0);
		if ((n == 14 && strncasecmp(name, "Content-Length", n) == 0) ||
		    (n == 17 &&
		    strncasecmp(name, "Transfer-Encoding", n) == 0))
			return (0);
		while (*s != '\0' && http_fchar(*s))
			s++;
		if (s[0] != '\r' || s[1] != '\n')
			return (0);
		s += 2;
	}
	return (1);
}

/*
 * Status line, Content-Type, Content-Length, Connection: close, extra,
 * the empty line, then the body.  1xx and 204 responses carry neither
 * a Content-Length nor a body (RFC 9110 section 8.6), and a 1xx cannot
 * close the connection.  Returns the length of the whole response, as
 * snprintf does: it was truncated if that is >= outlen.
 */
int
http_format_response(char *out, size_t outlen, int status, const char *ctype,
    const char *extra, const void *body, size_t bodylen, int closeconn)
{
	struct http_out	 o;
	char		 line[64];
	const char	*p;
	int		 nobody;

	if ((out == NULL && outlen != 0) || status < 100 || status > 599 ||
	    (body == NULL && bodylen != 0) || bodylen > INT_MAX)
		return (-1);
	nobody = status < 200 || status == 204;
	if (nobody && (bodylen != 0 || (closeconn && status < 200)))
		return (-1);
	if (ctype != NULL) {
		if (*ctype == '\0')
			return (-1);
		for (p = ctype; *p != '\0'; p++)
			if (!http_fchar(*p))
				return (-1);
	}
	if (extra != NULL && (strlen(extra) > INT_MAX ||
	    !http_valid_extra(extra)))
		return (-1);

	o.buf = out;
	o.size = outlen;
	o.len = 0;
	(void)snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status,
	    http_status_text(status));
	http_out_str(&o, line);
	if (ctype != NULL) {
		http_out_str(&o, "Content-Type: ");
		http_out_str(&o, ctype);
		http_out_str(&o, "\r\n");
	}
	if (!nobody) {
		(void)snprintf(line, sizeof(line), "Content-Length: %zu\r\n",
		    bodylen);
		http_out_str(&o, line);
	}
	if (closeconn)
		http_out_str(&o, "Connection: close\r\n");
	if (extra != NULL)
		http_out_str(&o, extra);
	http_out_str(&o, "\r\n");
	if (bodylen > 0)
		http_out_add(&o, body, bodylen);
	if (o.size > 0)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	if (o.len > INT_MAX)
		return (-1);
	return ((int)o.len);
}
