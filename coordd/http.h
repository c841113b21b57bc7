/*
 * The coordinator's HTTP/1.1 front door: a request-head parser and a
 * response formatter.  No I/O and no allocation; everything that
 * reaches the parser comes from the network and is treated as hostile.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#define HTTP_MAX_HEADER_BYTES	16384	/* request line + headers */
#define HTTP_MAX_HEADERS	32
#define HTTP_MAX_PATH		2048

/* Both point into the owning http_request's storage. */
struct http_header {
	char		*name;
	char		*value;
};

/*
 * A parsed request head.  It is large (about 21 KiB): keep it in the
 * connection, not on the stack.  The header pointers refer to the
 * struct's own storage, so a copy made with memcpy or assignment must
 * not be used for header lookups.
 */
struct http_request {
	char		 method[16];
	char		 path[HTTP_MAX_PATH];	/* without the query, raw */
	char		 query[HTTP_MAX_PATH];	/* after '?', raw, "" if none */
	int		 minor;			/* HTTP/1.minor: 0 or 1 */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t		 nheaders;
	size_t		 header_len;		/* request line..CRLFCRLF */
	long long	 content_length;	/* -1 when absent */
	int		 chunked;		/* Transfer-Encoding: chunked */
	char		 storage[HTTP_MAX_HEADER_BYTES];
};

/*
 * 1: a whole request head was parsed into req; 0: need more bytes;
 * -1: malformed, the reason in *err (a static string fit for a log line
 * and a 400 body); -2: the head is larger than HTTP_MAX_HEADER_BYTES
 * (answer 431).  buf is never modified.
 */
int	 http_parse_request(const char *, size_t, struct http_request *,
	    const char **);
const char *http_header(const struct http_request *, const char *);
int	 http_header_has_token(const char *, const char *);
int	 http_query_get(const char *, const char *, char *, size_t);
const char *http_status_text(int);
int	 http_format_response(char *, size_t, int, const char *,
	    const char *, const void *, size_t, int);

#endif /* HTTP_H */
