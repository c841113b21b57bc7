/*
 * The HTTP/1.1 front-door parser and response formatter.  Inputs are
 * copied into buffers of exactly their length so that ASan and
 * valgrind catch any read past the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "test.h"

#define HANDSHAKE							\
	"AAFfCzBVep/E6Q4zWH2ix+wRNluApcrvFDleg6jN8hc8YYar0PUaP2SJrtP4HUJn"\
	"jLHW+yBFao+02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXabwOUKL1R5nsPoDTJX"\
	"fKHG6xA="

/* What Go's controlhttp client sends (spec section 2). */
static const char ts2021_req[] =
	"POST /ts2021 HTTP/1.1\r\n"
	"Host: coord.example.com:8080\r\n"
	"User-Agent: Go-http-client/1.1\r\n"
	"Content-Length: 0\r\n"
	"Upgrade: tailscale-control-protocol\r\n"
	"Connection: upgrade\r\n"
	"X-Tailscale-Handshake: " HANDSHAKE "\r\n"
	"Accept-Encoding: gzip\r\n"
	"\r\n";

static const char key_req[] =
	"GET /key?v=113 HTTP/1.1\r\n"
	"Host: 127.0.0.1:8080\r\n"
	"User-Agent: Go-http-client/1.1\r\n"
	"Accept-Encoding: gzip\r\n"
	"\r\n";

static const char post_req[] =
	"POST /machine/register?a=b%20c HTTP/1.1\r\n"
	"host: x\r\n"
	"content-type: application/json\r\n"
	"Content-Length: 11\r\n"
	"\r\n"
	"{\"a\":\"bcd\"}";

static const char chunked_req[] =
	"PUT /x HTTP/1.1\r\n"
	"Host: x\r\n"
	"Transfer-Encoding: Chunked\r\n"
	"\r\n"
	"5\r\nhello\r\n0\r\n\r\n";

static const char http10_req[] =
	"GET /?q HTTP/1.0\r\n"
	"\r\n";

static struct http_request	 req, req2;

/* Parse exactly len bytes from a heap copy of exactly that size. */
static int
parse_exact(const char *s, size_t len, struct http_request *r,
    const char **err)
{
	char	*copy;
	int	 ret;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(copy, s, len);
	ret = http_parse_request(copy, len, r, err);
	if (memcmp(copy, s, len) != 0)
		abort();	/* The parser wrote to its input. */
	free(copy);
	return (ret);
}

static int
parse_str(const char *s, struct http_request *r, const char **err)
{
	return (parse_exact(s, strlen(s), r, err));
}

/* Whether two parsed requests say the same thing. */
static int
same_request(const struct http_request *a, const struct http_request *b)
{
	size_t	 i;

	if (strcmp(a->method, b->method) != 0 ||
	    strcmp(a->path, b->path) != 0 ||
	    strcmp(a->query, b->query) != 0 || a->minor != b->minor ||
	    a->nheaders != b->nheaders || a->header_len != b->header_len ||
	    a->content_length != b->content_length ||
	    a->chunked != b->chunked)
		return (0);
	for (i = 0; i < a->nheaders; i++)
		if (strcmp(a->headers[i].name, b->headers[i].name) != 0 ||
		    strcmp(a->headers[i].value, b->headers[i].value) != 0)
			return (0);
	return (1);
}

TEST(ts2021_upgrade)
{
	const char	*err = "unset";

	ASSERT_INT_EQ(strlen(HANDSHAKE), 136);
	ASSERT_INT_EQ(parse_str(ts2021_req, &req, &err), 1);
	ASSERT(err == NULL);
	ASSERT_STR_EQ(req.method, "POST");
	ASSERT_STR_EQ(req.path, "/ts2021");
	ASSERT_STR_EQ(req.query, "");
	ASSERT_INT_EQ(req.minor, 1);
	ASSERT_INT_EQ(req.nheaders, 7);
	ASSERT_INT_EQ(req.header_len, strlen(ts2021_req));
	ASSERT_INT_EQ(req.content_length, 0);
	ASSERT_INT_EQ(req.chunked, 0);
	ASSERT_STR_EQ(req.headers[0].name, "Host");
	ASSERT_STR_EQ(req.headers[0].value, "coord.example.com:8080");
	ASSERT_STR_EQ(req.headers[5].name, "X-Tailscale-Handshake");
	ASSERT_STR_EQ(req.headers[6].name, "Accept-Encoding");
	ASSERT_STR_EQ(http_header(&req, "upgrade"),
	    "tailscale-control-protocol");
	ASSERT_STR_EQ(http_header(&req, "CONNECTION"), "upgrade");
	ASSERT_STR_EQ(http_header(&req, "x-tailscale-handshake"), HANDSHAKE);
	ASSERT_INT_EQ(strlen(http_header(&req, "X-Tailscale-Handshake")),
	    136);
	ASSERT_STR_EQ(http_header(&req, "user-agent"), "Go-http-client/1.1");
	ASSERT(http_header(&req, "Sec-WebSocket-Protocol") == NULL);
	ASSERT(http_header(&req, "") == NULL);
	ASSERT(http_header_has_token(http_header(&req, "Connection"),
	    "Upgrade"));
}

TEST(key_request)
{
	const char	*err;
	char		 v[16];

	ASSERT_INT_EQ(parse_str(key_req, &req, &err), 1);
	ASSERT_STR_EQ(req.method, "GET");
	ASSERT_STR_EQ(req.path, "/key");
	ASSERT_STR_EQ(req.query, "v=113");
	ASSERT_INT_EQ(req.content_length, -1);
	ASSERT_INT_EQ(req.nheaders, 3);
	ASSERT_INT_EQ(http_query_get(req.query, "v", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "113");
	ASSERT_INT_EQ(http_query_get(req.query, "w", v, sizeof(v)), -1);
	ASSERT_STR_EQ(v, "");
	ASSERT_INT_EQ(http_query_get("", "v", v, sizeof(v)), -1);
}

TEST(other_valid_requests)
{
	const char	*err;
	char		 buf[2048];
	size_t		 n;
	int		 i;

	ASSERT_INT_EQ(parse_str(post_req, &req, &err), 1);
	ASSERT_INT_EQ(req.content_length, 11);
	ASSERT_INT_EQ(req.header_len, strlen(post_req) - 11);
	ASSERT_STR_EQ(req.path, "/machine/register");
	ASSERT_STR_EQ(req.query, "a=b%20c");
	ASSERT_STR_EQ(http_header(&req, "Content-Type"), "application/json");

	ASSERT_INT_EQ(parse_str(chunked_req, &req, &err), 1);
	ASSERT_INT_EQ(req.chunked, 1);
	ASSERT_INT_EQ(req.content_length, -1);
	ASSERT_STR_EQ(req.method, "PUT");

	/* HTTP/1.0 needs no Host; a bare '?' gives an empty query. */
	ASSERT_INT_EQ(parse_str(http10_req, &req, &err), 1);
	ASSERT_INT_EQ(req.minor, 0);
	ASSERT_INT_EQ(req.nheaders, 0);
	ASSERT_STR_EQ(req.path, "/");
	ASSERT_STR_EQ(req.query, "q");
	ASSERT_INT_EQ(parse_str("GET /a? HTTP/1.0\r\n\r\n", &req, &err), 1);
	ASSERT_STR_EQ(req.path, "/a");
	ASSERT_STR_EQ(req.query, "");
	ASSERT_INT_EQ(parse_str("GET /a?b?c=d%2F HTTP/1.0\r\n\r\n", &req,
	    &err), 1);
	ASSERT_STR_EQ(req.query, "b?c=d%2F");

	/* OWS around values, empty values, obs-text, repeated equal CL. */
	ASSERT_INT_EQ(parse_str("OPTIONS / HTTP/1.1\r\nHost:x\r\n"
	    "X-A: \t spaced \t \r\nX-B:\r\nX-C: caf\xc3\xa9\r\n"
	    "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", &req, &err), 1);
	ASSERT_STR_EQ(http_header(&req, "host"), "x");
	ASSERT_STR_EQ(http_header(&req, "x-a"), "spaced");
	ASSERT_STR_EQ(http_header(&req, "x-b"), "");
	ASSERT_STR_EQ(http_header(&req, "x-c"), "caf\xc3\xa9");
	ASSERT_INT_EQ(req.content_length, 5);

	/* The largest Content-Length, leading zeros, tchar names. */
	ASSERT_INT_EQ(parse_str("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 1099511627776\r\n\r\n", &req, &err), 1);
	ASSERT_INT_EQ(req.content_length, 1099511627776LL);
	ASSERT_INT_EQ(parse_str("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 007\r\n!#$%&'*+-.^_`|~09az: v\r\n\r\n", &req,
	    &err), 1);
	ASSERT_INT_EQ(req.content_length, 7);
	ASSERT_STR_EQ(http_header(&req, "!#$%&'*+-.^_`|~09AZ"), "v");

	/* First of duplicates; exactly HTTP_MAX_HEADERS headers. */
	ASSERT_INT_EQ(parse_str("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n"
	    "a: 2\r\n\r\n", &req, &err), 1);
	ASSERT_STR_EQ(http_header(&req, "A"), "1");
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 1; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: %d\r\n",
		    i, i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	ASSERT_INT_EQ(parse_exact(buf, n, &req, &err), 1);
	ASSERT_INT_EQ(req.nheaders, HTTP_MAX_HEADERS);
	ASSERT_STR_EQ(http_header(&req, "x-31"), "31");

	/* NULL err is allowed, and an empty buffer needs more. */
	ASSERT_INT_EQ(http_parse_request(key_req, strlen(key_req), &req,
	    NULL), 1);
	ASSERT_INT_EQ(http_parse_request(NULL, 0, &req, &err), 0);
	ASSERT_INT_EQ(http_parse_request(NULL, 1, &req, &err), -1);
	ASSERT_INT_EQ(http_parse_request(key_req, 1, NULL, &err), -1);
}

TEST(query_decoding)
{
	const char	*q = "a=1&b=hello%20world&c=x+y&d=%2Fkey%3f&e&f="
			    "&&%41=up&x=1&x=2&sp%20ace=ok";
	char		 v[64], small[4];

	ASSERT_INT_EQ(http_query_get(q, "a", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "1");
	ASSERT_INT_EQ(http_query_get(q, "b", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "hello world");
	ASSERT_INT_EQ(http_query_get(q, "c", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "x y");
	ASSERT_INT_EQ(http_query_get(q, "d", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "/key?");
	ASSERT_INT_EQ(http_query_get(q, "e", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "");
	ASSERT_INT_EQ(http_query_get(q, "f", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "");
	ASSERT_INT_EQ(http_query_get(q, "A", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "up");
	ASSERT_INT_EQ(http_query_get(q, "x", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "1");
	ASSERT_INT_EQ(http_query_get(q, "sp ace", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "ok");
	ASSERT_INT_EQ(http_query_get(q, "sp", v, sizeof(v)), -1);
	ASSERT_INT_EQ(http_query_get(q, "", v, sizeof(v)), -1);
	ASSERT_INT_EQ(http_query_get(q, "a=1", v, sizeof(v)), -1);
	ASSERT_INT_EQ(http_query_get(q, "hello", v, sizeof(v)), -1);

	/* Malformed escapes, decoded NULs, values that do not fit. */
	ASSERT_INT_EQ(http_query_get("v=%2", "v", v, sizeof(v)), -2);
	ASSERT_INT_EQ(http_query_get("v=%", "v", v, sizeof(v)), -2);
	ASSERT_INT_EQ(http_query_get("v=%zz", "v", v, sizeof(v)), -2);
	ASSERT_INT_EQ(http_query_get("v=%g0&w=1", "v", v, sizeof(v)), -2);
	ASSERT_INT_EQ(http_query_get("v=a%00b", "v", v, sizeof(v)), -2);
	ASSERT_STR_EQ(v, "");
	ASSERT_INT_EQ(http_query_get("%zz=1&v=2", "v", v, sizeof(v)), -2);
	ASSERT_INT_EQ(http_query_get("w=%zz&v=2", "v", v, sizeof(v)), 0);
	ASSERT_STR_EQ(v, "2");
	ASSERT_INT_EQ(http_query_get("%00=1&v=2", "v", v, sizeof(v)), 0);
	ASSERT_INT_EQ(http_query_get("v=abc", "v", small, sizeof(small)), 0);
	ASSERT_STR_EQ(small, "abc");
	ASSERT_INT_EQ(http_query_get("v=abcd", "v", small, sizeof(small)),
	    -2);
	ASSERT_INT_EQ(http_query_get("v=%41%42%43", "v", small,
	    sizeof(small)), 0);
	ASSERT_STR_EQ(small, "ABC");
	ASSERT_INT_EQ(http_query_get("v=1", "v", small, 0), -2);
	ASSERT_INT_EQ(http_query_get(NULL, "v", small, sizeof(small)), -2);
	ASSERT_INT_EQ(http_query_get("v=1", NULL, small, sizeof(small)), -2);
	ASSERT_INT_EQ(http_query_get("v=1", "v", NULL, 4), -2);
}

/* Every proper prefix needs more bytes; the whole thing parses. */
static int
check_incremental(const char *s, size_t len, size_t headlen)
{
	const char	*err;
	size_t		 k;

	if (parse_exact(s, len, &req2, &err) != 1 ||
	    req2.header_len != headlen)
		return (0);
	for (k = 0; k < headlen; k++)
		if (parse_exact(s, k, &req, &err) != 0 || err != NULL)
			return (0);
	for (k = headlen; k <= len; k++)
		if (parse_exact(s, k, &req, &err) != 1 ||
		    !same_request(&req, &req2))
			return (0);
	return (1);
}

TEST(incremental)
{
	ASSERT(check_incremental(ts2021_req, strlen(ts2021_req),
	    strlen(ts2021_req)));
	ASSERT(check_incremental(key_req, strlen(key_req), strlen(key_req)));
	ASSERT(check_incremental(post_req, strlen(post_req),
	    strlen(post_req) - 11));
	ASSERT(check_incremental(chunked_req, strlen(chunked_req),
	    strlen(chunked_req) - 15));
	ASSERT(check_incremental(http10_req, strlen(http10_req),
	    strlen(http10_req)));
}

struct bad_case {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	const char	*err;
};

static const struct bad_case bad_cases[] = {
	{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "bad method" },
	{ "G3T / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "bad method" },
	{ "GETTINGTOOLONGXX / HTTP/1.1\r\nHost: a\r\n\r\n", 0,
	    "bad method" },
	{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "bad method" },
	{ "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "bad method" },
	{ "GET\r\nHost: a\r\n\r\n", 0, "bad request line" },
	{ "GET x HTTP/1.1\r\nHost: a\r\n\r\n", 0, "start with '/'" },
	{ "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 0, "start with '/'" },
	{ "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0, "start with '/'" },
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 0, "start with '/'" },
	{ "GET \r\nHost: a\r\n\r\n", 0, "start with '/'" },
	{ "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 0, "bad request target" },
	{ "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 0, "bad request target" },
	{ "GET /\t HTTP/1.1\r\nHost: a\r\n\r\n", 0, "bad request target" },
	{ "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 0, "bad request target" },
	{ "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 0, "percent" },
	{ "GET /a?b=%2 HTTP/1.1\r\nHost: a\r\n\r\n", 0, "percent" },
	{ "GET /\r\nHost: a\r\n\r\n", 0, "bad request line" },
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 0, "unsupported HTTP version" },
	{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 0, "unsupported HTTP version" },
	{ "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 0,
	    "unsupported HTTP version" },
	{ "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 0, "unsupported HTTP version" },
	{ "GET / http/1.1\r\nHost: a\r\n\r\n", 0, "bad request line" },
	{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 0, "bad request line" },
	{ "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", 0, "bad request line" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nFoo\r\n\r\n", 0,
	    "header without colon" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nFoo : bar\r\n\r\n", 0,
	    "bad header name" },
	{ "GET / HTTP/1.1\r\nHost: a\r\n: bar\r\n\r\n", 0, "bad header name" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nF(o): bar\r\n\r\n", 0,
	    "bad header name" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", 0, "obs-fold" },
	{ "GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", 0, "obs-fold" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", 35, "NUL" },
	{ "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 28, "NUL" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 0, "bare CR" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n", 0, "bare CR" },
	{ "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 0, "bare CR" },
	{ "GET / HTTP/1.1\nHost: a\n\n", 0, "bare LF" },
	{ "GET / HTTP/1.1\r\nHost: a\n\r\n", 0, "bare LF" },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\n", 0, "bare LF" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n", 0,
	    "bad header value" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fz\r\n\r\n", 0,
	    "bad header value" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", 0,
	    "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 0,
	    "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 0,
	    "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 0,
	    "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 0,
	    "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 0,
	    "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 0,
	    "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1099511627777\r\n"
	    "\r\n", 0, "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "99999999999999999999999999\r\n\r\n", 0, "bad Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n", 0, "conflicting Content-Length" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 0,
	    "both Content-Length and Transfer-Encoding" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "content-length: 0\r\n\r\n", 0,
	    "both Content-Length and Transfer-Encoding" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
	    "\r\n", 0, "unsupported Transfer-Encoding" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n"
	    "\r\n", 0, "unsupported Transfer-Encoding" },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 0,
	    "duplicate Transfer-Encoding" },
	{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
	    "Transfer-Encoding in HTTP/1.0" },
	{ "GET / HTTP/1.1\r\nX: a\r\n\r\n", 0, "missing Host" },
	{ "GET / HTTP/1.1\r\n\r\n", 0, "missing Host" },
	{ "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 0,
	    "duplicate Host" },
};

TEST(malformed)
{
	const struct bad_case	*c;
	const char		*err;
	size_t			 i, len;
	int			 ret;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		c = &bad_cases[i];
		len = c->len != 0 ? c->len : strlen(c->in);
		err = NULL;
		ret = parse_exact(c->in, len, &req, &err);
		if (ret != -1 || err == NULL || strstr(err, c->err) == NULL)
			FAIL("case %zu: ret %d err \"%s\", expected -1 \"%s\"",
			    i, ret, err ? err : "(null)", c->err);
	}
}

TEST(too_many_headers)
{
	char		 buf[2048];
	const char	*err;
	size_t		 n;
	int		 i;

	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; i < HTTP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: %d\r\n",
		    i, i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	ASSERT_INT_EQ(parse_exact(buf, n, &req, &err), -1);
	ASSERT_STR_EQ(err, "too many headers");
	/* Reported as soon as the 33rd header line is in. */
	ASSERT_INT_EQ(parse_exact(buf, n - 2, &req, &err), -1);
	ASSERT_STR_EQ(err, "too many headers");
}

TEST(target_too_long)
{
	static char	 buf[2 * HTTP_MAX_PATH + 64];
	const char	*err;
	size_t		 n;

	/* A path of HTTP_MAX_PATH - 1 bytes fits, one more does not. */
	n = 0;
	memcpy(buf, "GET /", 5);
	n = 5;
	memset(buf + n, 'a', HTTP_MAX_PATH - 2);
	n += HTTP_MAX_PATH - 2;
	memcpy(buf + n, " HTTP/1.0\r\n\r\n", 13);
	ASSERT_INT_EQ(parse_exact(buf, n + 13, &req, &err), 1);
	ASSERT_INT_EQ(strlen(req.path), HTTP_MAX_PATH - 1);
	buf[n++] = 'a';
	memcpy(buf + n, " HTTP/1.0\r\n\r\n", 13);
	ASSERT_INT_EQ(parse_exact(buf, n + 13, &req, &err), -1);
	ASSERT_STR_EQ(err, "request target too long");

	/* The same for the query. */
	memcpy(buf, "GET /?", 6);
	n = 6;
	memset(buf + n, 'q', HTTP_MAX_PATH - 1);
	n += HTTP_MAX_PATH - 1;
	memcpy(buf + n, " HTTP/1.0\r\n\r\n", 13);
	ASSERT_INT_EQ(parse_exact(buf, n + 13, &req, &err), 1);
	ASSERT_INT_EQ(strlen(req.query), HTTP_MAX_PATH - 1);
	buf[n++] = 'q';
	memcpy(buf + n, " HTTP/1.0\r\n\r\n", 13);
	ASSERT_INT_EQ(parse_exact(buf, n + 13, &req, &err), -1);
	ASSERT_STR_EQ(err, "request target too long");
}

/* A request whose head is exactly headlen bytes, padded by one header. */
static size_t
make_sized(char *buf, size_t headlen)
{
	static const char	 pre[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ";
	size_t			 n;

	n = sizeof(pre) - 1;
	memcpy(buf, pre, n);
	memset(buf + n, 'p', headlen - n - 4);
	memcpy(buf + headlen - 4, "\r\n\r\n", 4);
	return (headlen);
}

TEST(head_size_limit)
{
	static char	 buf[HTTP_MAX_HEADER_BYTES + 4096];
	const char	*err;
	size_t		 n;

	/* Exactly the limit parses, also with a body behind it. */
	n = make_sized(buf, HTTP_MAX_HEADER_BYTES);
	ASSERT_INT_EQ(parse_exact(buf, n, &req, &err), 1);
	ASSERT_INT_EQ(req.header_len, HTTP_MAX_HEADER_BYTES);
	ASSERT_INT_EQ(strlen(http_header(&req, "x-pad")),
	    HTTP_MAX_HEADER_BYTES - 32 - 4);
	memset(buf + n, 'b', 100);
	ASSERT_INT_EQ(parse_exact(buf, n + 100, &req, &err), 1);
	ASSERT_INT_EQ(parse_exact(buf, n - 1, &req, &err), 0);

	/* One byte more is too large, however much has arrived. */
	n = make_sized(buf, HTTP_MAX_HEADER_BYTES + 1);
	ASSERT_INT_EQ(parse_exact(buf, n, &req, &err), -2);
	ASSERT(err != NULL);
	ASSERT_INT_EQ(parse_exact(buf, HTTP_MAX_HEADER_BYTES, &req, &err), -2);
	ASSERT_INT_EQ(parse_exact(buf, HTTP_MAX_HEADER_BYTES - 1, &req, &err),
	    0);
	n = make_sized(buf, sizeof(buf));
	ASSERT_INT_EQ(parse_exact(buf, n, &req, &err), -2);

	/* No line end at all. */
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', sizeof(buf) - 5);
	ASSERT_INT_EQ(parse_exact(buf, sizeof(buf), &req, &err), -2);
	ASSERT_INT_EQ(parse_exact(buf, HTTP_MAX_HEADER_BYTES - 1, &req, &err),
	    0);
}

TEST(early_junk)
{
	const char	*err;

	/* A TLS ClientHello on the plain port is refused at once. */
	ASSERT_INT_EQ(parse_exact("\x16\x03\x01\x02\x00\x01", 6, &req, &err),
	    -1);
	ASSERT_STR_EQ(err, "bad method");
	ASSERT_INT_EQ(parse_exact("GETTINGTOOLONGXX", 16, &req, &err), -1);
	ASSERT_STR_EQ(err, "bad method");
	ASSERT_INT_EQ(parse_exact("get", 3, &req, &err), -1);
	ASSERT_INT_EQ(parse_exact("GETTINGTOOLONGX", 15, &req, &err), 0);
	ASSERT_INT_EQ(parse_exact("GET", 3, &req, &err), 0);
	ASSERT_INT_EQ(parse_exact("GET\r", 4, &req, &err), 0);
	ASSERT_INT_EQ(parse_exact("GET /\x01", 6, &req, &err), 0);
	ASSERT(err == NULL);
}

TEST(header_has_token)
{
	ASSERT(http_header_has_token("keep-alive, Upgrade", "upgrade"));
	ASSERT(http_header_has_token("upgrade", "Upgrade"));
	ASSERT(http_header_has_token(" \tUPGRADE\t ", "upgrade"));
	ASSERT(http_header_has_token("a,upgrade,", "upgrade"));
	ASSERT(http_header_has_token(",,upgrade", "upgrade"));
	ASSERT(http_header_has_token("close ,  keep-alive", "keep-alive"));
	ASSERT(http_header_has_token("close ,  keep-alive", "close"));
	ASSERT(!http_header_has_token("upgrades", "upgrade"));
	ASSERT(!http_header_has_token("xupgrade", "upgrade"));
	ASSERT(!http_header_has_token("up grade", "upgrade"));
	ASSERT(!http_header_has_token("upgrade;q=1", "upgrade"));
	ASSERT(!http_header_has_token("", "upgrade"));
	ASSERT(!http_header_has_token(",", "upgrade"));
	ASSERT(!http_header_has_token(NULL, "upgrade"));
	ASSERT(!http_header_has_token("upgrade", NULL));
	ASSERT(!http_header_has_token("upgrade", ""));
	ASSERT(!http_header_has_token(", ,", ""));
}

TEST(status_text)
{
	ASSERT_STR_EQ(http_status_text(200), "OK");
	ASSERT_STR_EQ(http_status_text(101), "Switching Protocols");
	ASSERT_STR_EQ(http_status_text(400), "Bad Request");
	ASSERT_STR_EQ(http_status_text(401), "Unauthorized");
	ASSERT_STR_EQ(http_status_text(404), "Not Found");
	ASSERT_STR_EQ(http_status_text(405), "Method Not Allowed");
	ASSERT_STR_EQ(http_status_text(413), "Payload Too Large");
	ASSERT_STR_EQ(http_status_text(429), "Too Many Requests");
	ASSERT_STR_EQ(http_status_text(431),
	    "Request Header Fields Too Large");
	ASSERT_STR_EQ(http_status_text(500), "Internal Server Error");
	ASSERT_STR_EQ(http_status_text(503), "Service Unavailable");
	ASSERT_STR_EQ(http_status_text(299), "Unknown");
}

TEST(format_200_json)
{
	static const char	 body[] =
	    "{\"legacyPublicKey\":\"mkey:00\",\"publicKey\":\"mkey:ab\"}";
	static const char	 want[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 51\r\n"
	    "\r\n"
	    "{\"legacyPublicKey\":\"mkey:00\",\"publicKey\":\"mkey:ab\"}";
	char			 out[256], tiny[8];
	int			 n;

	ASSERT_INT_EQ(strlen(body), 51);
	n = http_format_response(out, sizeof(out), 200, "application/json",
	    NULL, body, strlen(body), 0);
	ASSERT_INT_EQ(n, strlen(want));
	ASSERT(memcmp(out, want, n) == 0 && out[n] == '\0');

	/* snprintf-style measuring and truncation. */
	ASSERT_INT_EQ(http_format_response(NULL, 0, 200, "application/json",
	    NULL, body, strlen(body), 0), strlen(want));
	memset(tiny, 'Z', sizeof(tiny));
	ASSERT_INT_EQ(http_format_response(tiny, sizeof(tiny), 200,
	    "application/json", NULL, body, strlen(body), 0), strlen(want));
	ASSERT_STR_EQ(tiny, "HTTP/1.");
	ASSERT_INT_EQ(http_format_response(out, strlen(want), 200,
	    "application/json", NULL, body, strlen(body), 0), strlen(want));
	ASSERT(memcmp(out, want, strlen(want) - 1) == 0);
	ASSERT_INT_EQ(out[strlen(want) - 1], '\0');
}

TEST(format_101_upgrade)
{
	/* Byte for byte the response of spec section 2. */
	static const char	 want[] =
	    "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: tailscale-control-protocol\r\n"
	    "Connection: upgrade\r\n\r\n";
	char			 out[256];
	int			 n;

	n = http_format_response(out, sizeof(out), 101, NULL,
	    "Upgrade: tailscale-control-protocol\r\nConnection: upgrade\r\n",
	    NULL, 0, 0);
	ASSERT_INT_EQ(n, strlen(want));
	ASSERT_STR_EQ(out, want);
}

TEST(format_other)
{
	char	 out[256];
	int	 n;

	n = http_format_response(out, sizeof(out), 400, "text/plain; "
	    "charset=utf-8", "X-A: 1\r\n", "bad method\n", 11, 1);
	ASSERT(n > 0);
	ASSERT_STR_EQ(out, "HTTP/1.1 400 Bad Request\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: 11\r\n"
	    "Connection: close\r\n"
	    "X-A: 1\r\n"
	    "\r\n"
	    "bad method\n");
	n = http_format_response(out, sizeof(out), 404, NULL, "", NULL, 0, 0);
	ASSERT_STR_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
	    "\r\n");
	ASSERT_INT_EQ(n, strlen(out));
	n = http_format_response(out, sizeof(out), 204, NULL, NULL, NULL, 0,
	    1);
	ASSERT_STR_EQ(out, "HTTP/1.1 204 No Content\r\nConnection: close\r\n"
	    "\r\n");
	/* A binary body is copied whole. */
	n = http_format_response(out, sizeof(out), 200, NULL, NULL, "a\0b", 3,
	    0);
	ASSERT_INT_EQ(n, 41);
	ASSERT(memcmp(out + 38, "a\0b", 3) == 0);

	/* Bad arguments. */
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 99, NULL, NULL,
	    NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 600, NULL, NULL,
	    NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(NULL, 10, 200, NULL, NULL, NULL, 0,
	    0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200, NULL, NULL,
	    NULL, 1, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200,
	    "text/plain\r\nX-Evil: 1", NULL, NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200, "", NULL,
	    NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200, NULL,
	    "X-A: 1", NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200, NULL,
	    "X-A: 1\n", NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200, NULL,
	    "X-A: 1\r\n\r\n", NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200, NULL,
	    "X-A: 1\r\nX-B 2\r\n", NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200, NULL,
	    "content-length: 5\r\n", NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 200, NULL,
	    "Transfer-Encoding: chunked\r\n", NULL, 0, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 101, NULL, NULL,
	    "x", 1, 0), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 101, NULL, NULL,
	    NULL, 0, 1), -1);
	ASSERT_INT_EQ(http_format_response(out, sizeof(out), 204, NULL, NULL,
	    "x", 1, 0), -1);
}

/*
 * Deterministic mutation fuzzing in the openssh fuzz_begin/fuzz_next
 * manner: start from valid requests, flip, overwrite, insert, delete
 * and duplicate bytes with a fixed LCG, and check that the parser
 * stays inside its contract.
 */
static uint64_t	 lcg_state;

static uint32_t
lcg(void)
{
	lcg_state = lcg_state * 6364136223846793005ULL +
	    1442695040888963407ULL;
	return ((uint32_t)(lcg_state >> 33));
}

static size_t
mutate(char *buf, size_t len, size_t cap)
{
	static const char	 interesting[] = "\r\n :\t\0%?/#,=+HTTP/1.1";
	size_t			 pos, n, m;
	int			 nmut;

	for (nmut = 1 + lcg() % 4; nmut > 0; nmut--) {
		pos = len > 0 ? lcg() % len : 0;
		switch (lcg() % 7) {
		case 0:		/* Flip a bit. */
			if (len > 0)
				buf[pos] ^= 1 << (lcg() % 8);
			break;
		case 1:		/* Overwrite with an interesting byte. */
			if (len > 0)
				buf[pos] = interesting[lcg() %
				    (sizeof(interesting) - 1)];
			break;
		case 2:		/* Overwrite with a random byte. */
			if (len > 0)
				buf[pos] = lcg() & 0xff;
			break;
		case 3:		/* Insert a byte. */
			if (len < cap) {
				memmove(buf + pos + 1, buf + pos, len - pos);
				buf[pos] = interesting[lcg() %
				    (sizeof(interesting) - 1)];
				len++;
			}
			break;
		case 4:		/* Delete a run. */
			n = 1 + lcg() % 8;
			if (n > len - pos)
				n = len - pos;
			memmove(buf + pos, buf + pos + n, len - pos - n);
			len -= n;
			break;
		case 5:		/* Duplicate a run. */
			n = 1 + lcg() % 64;
			if (n > len - pos)
				n = len - pos;
			m = len + n <= cap ? n : 0;
			memmove(buf + pos + m, buf + pos, len - pos);
			len += m;
			break;
		case 6:		/* Truncate. */
			len = pos;
			break;
		}
	}
	return (len);
}

static int
check_parsed(const char *buf, size_t len, const struct http_request *r)
{
	const char	*err, *name;
	char		 v[64];
	size_t		 i, j;
	int		 ret;

	if (r->header_len == 0 || r->header_len > len ||
	    r->header_len > HTTP_MAX_HEADER_BYTES ||
	    r->nheaders > HTTP_MAX_HEADERS || r->path[0] != '/' ||
	    strlen(r->path) >= HTTP_MAX_PATH ||
	    strlen(r->query) >= HTTP_MAX_PATH ||
	    r->method[0] == '\0' || (r->minor != 0 && r->minor != 1) ||
	    r->content_length < -1 || r->content_length > (1LL << 40) ||
	    (r->chunked && r->content_length != -1))
		return (0);
	if (r->minor == 1 && http_header(r, "host") == NULL)
		return (0);
	for (i = 0; i < r->nheaders; i++) {
		name = r->headers[i].name;
		if (name < r->storage ||
		    name >= r->storage + sizeof(r->storage) ||
		    r->headers[i].value <= name ||
		    r->headers[i].value >= r->storage + sizeof(r->storage) ||
		    name[0] == '\0' || strpbrk(name, " \t:\r\n") != NULL ||
		    strpbrk(r->headers[i].value, "\r\n") != NULL)
			return (0);
		(void)http_header_has_token(r->headers[i].value, "upgrade");
		if (http_header(r, name) == NULL)
			return (0);
	}
	for (j = 0; j < 3; j++) {
		ret = http_query_get(r->query, j == 0 ? "v" : j == 1 ? "" :
		    "a", v, sizeof(v));
		if (ret != 0 && ret != -1 && ret != -2)
			return (0);
	}
	/* The head alone parses the same; a byte less needs more. */
	if (parse_exact(buf, r->header_len, &req2, &err) != 1 ||
	    !same_request(r, &req2) ||
	    parse_exact(buf, r->header_len - 1, &req2, &err) != 0)
		return (0);
	return (1);
}

TEST(mutation_loop)
{
	static char	 big[HTTP_MAX_HEADER_BYTES];
	static char	 buf[HTTP_MAX_HEADER_BYTES + 4096];
	const char	*seeds[7], *err;
	size_t		 lens[7], len, nseeds, s;
	int		 i, ret, counts[4] = { 0, 0, 0, 0 };

	seeds[0] = ts2021_req;
	seeds[1] = key_req;
	seeds[2] = post_req;
	seeds[3] = chunked_req;
	seeds[4] = http10_req;
	seeds[5] = "GET /a%20b?x=%41&y=1+2 HTTP/1.1\r\nHost: h\r\n"
	    "Connection: keep-alive, Upgrade\r\nContent-Length: 3\r\n\r\nabc";
	seeds[6] = big;
	make_sized(big, HTTP_MAX_HEADER_BYTES - 8);
	nseeds = 7;
	for (s = 0; s < nseeds; s++)
		lens[s] = s == 6 ? HTTP_MAX_HEADER_BYTES - 8 : strlen(seeds[s]);

	lcg_state = 0x5eed1234abcd0001ULL;
	for (i = 0; i < 20000; i++) {
		s = lcg() % nseeds;
		memcpy(buf, seeds[s], lens[s]);
		len = mutate(buf, lens[s], sizeof(buf));
		err = NULL;
		ret = parse_exact(buf, len, &req, &err);
		if (ret < -2 || ret > 1)
			FAIL("iteration %d: ret %d", i, ret);
		if (ret < 0 && err == NULL)
			FAIL("iteration %d: ret %d without a reason", i, ret);
		if (ret >= 0 && err != NULL)
			FAIL("iteration %d: ret %d with \"%s\"", i, ret, err);
		if (ret == 1 && !check_parsed(buf, len, &req))
			FAIL("iteration %d: inconsistent request", i);
		counts[ret + 2]++;
	}
	/* Every outcome shows up, so the loop exercises the parser. */
	ASSERT(counts[0] > 0);
	ASSERT(counts[1] > 1000);
	ASSERT(counts[2] > 100);
	ASSERT(counts[3] > 1000);
}

TEST_MAIN()
