/*
 * Printing the effective config as normalised YAML: every key, nested
 * as in config.yaml, in the order of the key table, strings always
 * double-quoted.  config_load_buffer() reads the output back to the same
 * config, which is how the children get theirs.  With
 * CONFIG_PRINT_REDACT the secrets are left out, as comments, and read
 * back as empty.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define INDENT	2

static void	 print_indent(FILE *, int);
static int	 utf8_decode(const unsigned char *, unsigned int *);
static int	 yaml_printable(unsigned int);
static void	 print_string(FILE *, const char *);
static void	 print_duration(FILE *, long long, int);
static int	 print_open(FILE *, size_t, const char *);
static void	 print_field(FILE *, int, const char *, const char *);
static void	 print_strlist(FILE *, const struct strlist *, int);
static void	 print_nsplit(FILE *, const struct config *, int);
static void	 print_records(FILE *, const struct config *, int);
static void	 print_kv(FILE *, const struct config *, int);
static void	 print_value(FILE *, const struct config *,
		    const struct config_key *, int);
static int	 split_path(const char *, const char **, size_t *, int);

static void
print_indent(FILE *fp, int level)
{
	fprintf(fp, "%*s", level * INDENT, "");
}

/* One code point of valid UTF-8 (the loader checked); its length. */
static int
utf8_decode(const unsigned char *p, unsigned int *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return (1);
	} else if ((p[0] & 0xe0) == 0xc0) {
		*cp = (p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		return (2);
	} else if ((p[0] & 0xf0) == 0xe0) {
		*cp = (p[0] & 0x0f) << 12 | (p[1] & 0x3f) << 6 |
		    (p[2] & 0x3f);
		return (3);
	}
	*cp = (p[0] & 0x07) << 18 | (p[1] & 0x3f) << 12 |
	    (p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	return (4);
}

/*
 * What libyaml takes unescaped in a double-quoted scalar: YAML's
 * printable characters less the line breaks NEL, LS and PS, which it
 * would fold into spaces.
 */
static int
yaml_printable(unsigned int cp)
{
	return ((cp >= 0x20 && cp <= 0x7e) ||
	    (cp >= 0xa0 && cp <= 0xd7ff && cp != 0x2028 && cp != 0x2029) ||
	    (cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff) ||
	    (cp >= 0x10000 && cp <= 0x10ffff));
}

static void
print_string(FILE *fp, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned int		 cp;
	int			 n;

	fputc('"', fp);
	while (*p != '\0') {
		n = utf8_decode(p, &cp);
		if (cp == '"' || cp == '\\')
			fprintf(fp, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", fp);
		else if (cp == '\t')
			fputs("\\t", fp);
		else if (cp == '\r')
			fputs("\\r", fp);
		else if (yaml_printable(cp))
			fwrite(p, 1, n, fp);
		else if (cp <= 0xff)
			fprintf(fp, "\\x%02x", cp);
		else if (cp <= 0xffff)
			fprintf(fp, "\\u%04x", cp);
		else
			fprintf(fp, "\\U%08x", cp);
		p += n;
	}
	fputc('"', fp);
}

/* The shortest form config_parse_duration() reads back: "1d2h30m". */
static void
print_duration(FILE *fp, long long v, int ms)
{
	static const struct {
		const char	*unit;
		long long	 ms;
	} units[] = {
		{ "d", 86400000LL },
		{ "h", 3600000LL },
		{ "m", 60000LL },
		{ "s", 1000LL },
		{ "ms", 1LL },
	};
	size_t	i;

	if (!ms)
		v *= 1000;
	if (v == 0) {
		fputs("\"0\"", fp);
		return;
	}
	fputc('"', fp);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v >= units[i].ms) {
			fprintf(fp, "%lld%s", v / units[i].ms, units[i].unit);
			v %= units[i].ms;
		}
	}
	fputc('"', fp);
}

/*
 * After "name:", an empty collection ends the line in flow style
 * ("[]", "{}"); any other goes on the lines below.  Returns whether
 * there are entries to print.
 */
static int
print_open(FILE *fp, size_t n, const char *empty)
{
	if (n == 0) {
		fprintf(fp, " %s\n", empty);
		return (0);
	}
	fputc('\n', fp);
	return (1);
}

/* A line of one string field: name: "s". */
static void
print_field(FILE *fp, int level, const char *name, const char *s)
{
	print_indent(fp, level);
	fprintf(fp, "%s: ", name);
	print_string(fp, s);
	fputc('\n', fp);
}

static void
print_strlist(FILE *fp, const struct strlist *l, int level)
{
	size_t	i;

	if (!print_open(fp, l->n, "[]"))
		return;
	for (i = 0; i < l->n; i++) {
		print_indent(fp, level + 1);
		fputs("- ", fp);
		print_string(fp, l->v[i]);
		fputc('\n', fp);
	}
}

static void
print_nsplit(FILE *fp, const struct config *c, int level)
{
	size_t	i;

	if (!print_open(fp, c->dns_nameservers_split_n, "{}"))
		return;
	for (i = 0; i < c->dns_nameservers_split_n; i++) {
		print_indent(fp, level + 1);
		print_string(fp, c->dns_nameservers_split[i].domain);
		fputc(':', fp);
		print_strlist(fp, &c->dns_nameservers_split[i].servers,
		    level + 1);
	}
}

static void
print_records(FILE *fp, const struct config *c, int level)
{
	const struct config_record	*r;
	size_t				 i;

	if (!print_open(fp, c->dns_extra_records_n, "[]"))
		return;
	for (i = 0; i < c->dns_extra_records_n; i++) {
		r = &c->dns_extra_records[i];
		print_field(fp, level + 1, "- name", r->name);
		print_field(fp, level + 2, "type", r->type);
		print_field(fp, level + 2, "value", r->value);
	}
}

static void
print_kv(FILE *fp, const struct config *c, int level)
{
	size_t	i;

	if (!print_open(fp, c->oidc_extra_params_n, "{}"))
		return;
	for (i = 0; i < c->oidc_extra_params_n; i++) {
		print_indent(fp, level + 1);
		print_string(fp, c->oidc_extra_params[i].key);
		fputs(": ", fp);
		print_string(fp, c->oidc_extra_params[i].value);
		fputc('\n', fp);
	}
}

/* The value of one key, after its "name:" and up to the line's end. */
static void
print_value(FILE *fp, const struct config *c, const struct config_key *k,
    int level)
{
	const void	*f = (const char *)c + k->ck_off;

	switch (k->ck_type) {
	case CT_STRING:
		fputc(' ', fp);
		print_string(fp, *(char *const *)f);
		break;
	case CT_BOOL:
		fputs(*(const int *)f ? " true" : " false", fp);
		break;
	case CT_INT:
		fprintf(fp, " %d", *(const int *)f);
		break;
	case CT_DURATION:
	case CT_DURATION_MS:
		fputc(' ', fp);
		print_duration(fp, *(const long long *)f,
		    k->ck_type == CT_DURATION_MS);
		break;
	case CT_MODE:
		fprintf(fp, " \"%04o\"", (unsigned int)*(const mode_t *)f);
		break;
	case CT_STRLIST:
		print_strlist(fp, f, level);
		return;
	case CT_NSPLIT:
		print_nsplit(fp, c, level);
		return;
	case CT_RECORDS:
		print_records(fp, c, level);
		return;
	case CT_KV:
		print_kv(fp, c, level);
		return;
	}
	fputc('\n', fp);
}

/* Split "a.b.c" into at most max components; returns their number. */
static int
split_path(const char *path, const char **comp, size_t *len, int max)
{
	const char	*dot;
	int		 n = 0;

	while (n < max) {
		comp[n] = path;
		if ((dot = strchr(path, '.')) == NULL) {
			len[n++] = strlen(path);
			break;
		}
		len[n++] = dot - path;
		path = dot + 1;
	}
	return (n);
}

int
config_print(FILE *fp, const struct config *c, int flags)
{
	const struct config_key	*k;
	const char		*comp[CONFIG_MAX_DEPTH];
	const char		*prev[CONFIG_MAX_DEPTH];
	size_t			 len[CONFIG_MAX_DEPTH], plen[CONFIG_MAX_DEPTH];
	size_t			 i;
	int			 n, pn = 0, j, same;

	fputs("# coordd effective configuration\n", fp);
	for (i = 0; i < config_nkeys; i++) {
		k = &config_keys[i];
		if (k->ck_flags & CK_HIDDEN)
			continue;
		n = split_path(k->ck_path, comp, len, CONFIG_MAX_DEPTH);
		/* Open the sections this key does not share with the last. */
		for (same = 0; same < n - 1 && same < pn - 1 &&
		    len[same] == plen[same] &&
		    memcmp(comp[same], prev[same], len[same]) == 0; same++)
			;
		for (j = same; j < n - 1; j++) {
			if (j == 0)
				fputc('\n', fp);
			print_indent(fp, j);
			fprintf(fp, "%.*s:\n", (int)len[j], comp[j]);
		}
		if (n == 1 && pn > 1)
			fputc('\n', fp);
		print_indent(fp, n - 1);
		/* Even when empty, so that the output reads back the same. */
		if ((flags & CONFIG_PRINT_REDACT) && (k->ck_flags & CK_SECRET))
			fprintf(fp, "# %.*s: <redacted>\n", (int)len[n - 1],
			    comp[n - 1]);
		else {
			fprintf(fp, "%.*s:", (int)len[n - 1], comp[n - 1]);
			print_value(fp, c, k, n - 1);
		}
		memcpy(prev, comp, sizeof(prev));
		memcpy(plen, len, sizeof(plen));
		pn = n;
	}
	fflush(fp);
	return (ferror(fp) ? -1 : 0);
}

char *
config_print_string(const struct config *c, int flags, size_t *lenp)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 len = 0;
	int	 rc;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return (NULL);
	rc = config_print(fp, c, flags);
	if (fclose(fp) != 0 || rc == -1) {
		free(buf);
		return (NULL);
	}
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}
