/*
 * Reading REST input as protojson does: a field by its lowerCamelCase
 * or its snake_case name, 64-bit integers as numbers or strings,
 * unknown fields ignored, and anything of the wrong type refused (each
 * getter answers 400 itself and returns -1).  Query strings are
 * percent-decoded into bounded buffers.
 */
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "apid.h"
#include "rest.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * Decode one query value (or, with inpath, a path segment, where '+'
 * is itself); -1 if it is malformed or does not fit.
 */
static int
pct_decode(const char *s, size_t len, char *out, size_t outlen, int inpath)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < len; i++) {
		if (o + 1 >= outlen)
			return (-1);
		if (s[i] == '+' && !inpath)
			out[o++] = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= len)
				return (-1);
			if ((hi = hexval(s[i + 1])) == -1 ||
			    (lo = hexval(s[i + 2])) == -1 ||
			    (hi == 0 && lo == 0))
				return (-1);
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return (0);
}

/*
 * 1 with the value of name in out, 0 if absent, -1 if malformed or
 * too long.
 */
int
rest_query(const struct rest_req *r, const char *name, char *out,
    size_t outlen)
{
	const char	*p = r->query, *amp, *eq;
	size_t		 nlen = strlen(name), plen;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		plen = amp != NULL ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', plen);
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    strncmp(p, name, nlen) == 0)
			return (pct_decode(eq + 1, plen - nlen - 1, out,
			    outlen, 0) == 0 ? 1 : -1);
		p = amp != NULL ? amp + 1 : NULL;
	}
	return (0);
}

/* Path segment i, decoded; -1 (after a 400) if it is malformed. */
int
rest_seg(struct rest_req *r, int i, char *out, size_t outlen)
{
	if (i >= r->nsegs || pct_decode(r->segs[i], strlen(r->segs[i]), out,
	    outlen, 1) == -1) {
		rest_error(r, 400, "malformed path");
		return (-1);
	}
	return (0);
}

/* The id in path segment i; -1 (after a 400) if it is not one. */
int
rest_seg_id(struct rest_req *r, int i, uint64_t *id)
{
	if (i >= r->nsegs || rest_parse_id(r->segs[i], id) == -1) {
		rest_error(r, 400, "invalid id \"%.32s\"",
		    i < r->nsegs ? r->segs[i] : "");
		return (-1);
	}
	return (0);
}

/* The body field under either name; NULL members count as absent. */
int
rest_field(struct rest_req *r, const char *camel, const char *snake,
    json_t **v)
{
	*v = NULL;
	if (r->body == NULL)
		return (0);
	*v = json_object_get(r->body, camel);
	if ((*v == NULL || json_is_null(*v)) && snake != NULL)
		*v = json_object_get(r->body, snake);
	if (*v != NULL && json_is_null(*v))
		*v = NULL;
	return (*v != NULL);
}

int
rest_str(struct rest_req *r, const char *camel, const char *snake,
    const char **out)
{
	json_t	*v;

	*out = NULL;
	if (!rest_field(r, camel, snake, &v))
		return (0);
	if (!json_is_string(v)) {
		rest_error(r, 400, "%s must be a string", camel);
		return (-1);
	}
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v)) {
		rest_error(r, 400, "%s holds a NUL", camel);
		return (-1);
	}
	return (1);
}

/* Decimal, 1 .. INT64_MAX: the ids stored hands out. */
int
rest_parse_id(const char *s, uint64_t *id)
{
	char			*end;
	unsigned long long	 v;

	if (s == NULL || !isdigit((unsigned char)s[0]) || strlen(s) > 20)
		return (-1);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > INT64_MAX)
		return (-1);
	*id = v;
	return (0);
}

/* protojson u64: a JSON number or a decimal string; 0 allowed. */
int
rest_u64(struct rest_req *r, const char *camel, const char *snake,
    uint64_t *out)
{
	json_t		*v;
	json_int_t	 n;

	*out = 0;
	if (!rest_field(r, camel, snake, &v))
		return (0);
	if (json_is_integer(v) && (n = json_integer_value(v)) >= 0) {
		*out = (uint64_t)n;
		return (1);
	}
	if (json_is_string(v) && (strcmp(json_string_value(v), "0") == 0 ||
	    rest_parse_id(json_string_value(v), out) == 0))
		return (1);
	rest_error(r, 400, "%s must be an unsigned integer", camel);
	return (-1);
}

int
rest_bool(struct rest_req *r, const char *camel, const char *snake,
    int *out)
{
	json_t	*v;

	*out = 0;
	if (!rest_field(r, camel, snake, &v))
		return (0);
	if (!json_is_boolean(v)) {
		rest_error(r, 400, "%s must be true or false", camel);
		return (-1);
	}
	*out = json_is_true(v);
	return (1);
}

/* An array of strings into vec (pointers into the body). */
int
rest_strv(struct rest_req *r, const char *name, char **vec, size_t max,
    size_t *n)
{
	json_t	*v, *e;
	size_t	 i;

	*n = 0;
	if (!rest_field(r, name, NULL, &v))
		return (0);
	if (!json_is_array(v) || json_array_size(v) > max) {
		rest_error(r, 400, "%s must be an array of at most %zu "
		    "strings", name, max);
		return (-1);
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) ||
		    strlen(json_string_value(e)) != json_string_length(e)) {
			rest_error(r, 400, "%s must hold strings", name);
			return (-1);
		}
		vec[(*n)++] = (char *)json_string_value(e);
	}
	return (1);
}

/*
 * RFC 3339: "2026-01-02T03:04:05Z", fractions and numeric offsets
 * allowed, as Go's time.Time writes them.
 */
int
rest_parse_rfc3339(const char *s, int64_t *out)
{
	struct tm	 tm;
	const char	*p;
	time_t		 t;
	int		 sign, oh, om;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (-1);
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if ((t = timegm(&tm)) == (time_t)-1)
		return (-1);
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
		*out = t;
		return (0);
	}
	if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':' ||
	    !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
		return (-1);
	sign = p[0] == '+' ? 1 : -1;
	oh = (p[1] - '0') * 10 + (p[2] - '0');
	om = (p[4] - '0') * 10 + (p[5] - '0');
	*out = t - sign * (oh * 3600 + om * 60);
	return (0);
}

/* A timestamp field: RFC 3339 text. */
int
rest_time(struct rest_req *r, const char *name, int64_t *out)
{
	const char	*s;
	int		 rv;

	*out = 0;
	if ((rv = rest_str(r, name, NULL, &s)) <= 0)
		return (rv);
	if (rest_parse_rfc3339(s, out) == -1) {
		rest_error(r, 400, "%s must be an RFC 3339 time", name);
		return (-1);
	}
	return (1);
}
