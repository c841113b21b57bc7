/* Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -Icoordd tests/fuzz/http_fuzz.c coordd/http.c -o http_fuzz */
/*
 * libFuzzer target for the coordinator's HTTP/1.1 front door: the
 * request-head parser on the raw input, then the query, token and
 * response helpers on strings cut from it.  Aborts whenever a result
 * leaves its documented range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct http_request	 req, req2;

static void
fuzz_request(const char *buf, size_t len)
{
	const char	*err;
	char		 v[128];
	size_t		 i;
	int		 ret;

	ret = http_parse_request(buf, len, &req, &err);
	if (ret < -2 || ret > 1 || (ret < 0) != (err != NULL))
		abort();
	if (ret != 1)
		return;
	if (req.header_len == 0 || req.header_len > len ||
	    req.header_len > HTTP_MAX_HEADER_BYTES ||
	    req.nheaders > HTTP_MAX_HEADERS || req.path[0] != '/' ||
	    (req.chunked && req.content_length != -1))
		abort();
	for (i = 0; i < req.nheaders; i++) {
		if (http_header(&req, req.headers[i].name) == NULL)
			abort();
		(void)http_header_has_token(req.headers[i].value, "upgrade");
	}
	ret = http_query_get(req.query, "v", v, sizeof(v));
	if (ret < -2 || ret > 0)
		abort();
	/* The head alone parses the same; one byte less needs more. */
	if (http_parse_request(buf, req.header_len, &req2, &err) != 1 ||
	    req2.nheaders != req.nheaders ||
	    req2.content_length != req.content_length ||
	    strcmp(req2.path, req.path) != 0 ||
	    http_parse_request(buf, req.header_len - 1, &req2, &err) != 0)
		abort();
}

static void
fuzz_helpers(const uint8_t *data, size_t size)
{
	char		*a, *b, out[512], v[64];
	size_t		 outlen, vlen;
	int		 ret, status;

	/* Two strings: a up to the first 0x01 byte, b the rest. */
	if ((a = malloc(size + 1)) == NULL)
		abort();
	memcpy(a, data, size);
	a[size] = '\0';
	if ((b = strchr(a, '\x01')) != NULL)
		*b++ = '\0';
	else
		b = a + strlen(a);

	(void)http_header_has_token(a, b);
	vlen = 1 + size % sizeof(v);
	ret = http_query_get(a, b, v, vlen);
	if (ret < -2 || ret > 0 || strlen(v) >= vlen)
		abort();

	status = size >= 2 ? 100 + (data[0] << 8 | data[1]) % 500 : 200;
	outlen = size % sizeof(out);
	ret = http_format_response(outlen > 0 ? out : NULL, outlen, status,
	    *b != '\0' ? b : NULL, *a != '\0' ? a : NULL, data, size,
	    size > 0 && (data[0] & 1));
	if (ret < -1 || (ret >= 0 && (size_t)ret < size))
		abort();
	(void)http_status_text(status);
	free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;

	/* An exact-size copy, so any read past the end is caught. */
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	fuzz_request(buf, size);
	free(buf);
	fuzz_helpers(data, size);
	return (0);
}
