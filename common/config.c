/*
 * Loading the configuration.  The file is checked twice by libyaml:
 * once as a stream of events, to bound its depth and size before any
 * tree is built, then as a document whose mappings are walked against
 * the key table in config_keys.c.  Environment overrides come next,
 * then the fixups that headscale does while loading, then validation
 * (config_validate.c).  Every problem is reported as "file:line: key:
 * message"; a load either yields a whole valid config or NULL.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "log.h"
#include "types.h"

#define CONFIG_MAX_KEY		256	/* bytes in one mapping key */
#define CONFIG_MAX_NODES	65536	/* values in one document */
#define CONFIG_MAX_DURATION_NS	(100LL * 365 * 86400 * 1000000000LL)

struct cfparse {
	struct config_load	 cl;
	struct config		*c;
	yaml_document_t		 doc;
	int			 have_doc;
	int			 apply_env;
	int			*removed_where;	/* per config_removed[] */
	char			 base[PATH_MAX];	/* for relative paths */
};

static void	*cf_calloc(size_t, size_t);
static char	*cf_strdup(const char *);
static const char *shorten(const char *, char *, size_t);
static int	 utf8_valid(const char *);
static void	 strlist_free(struct strlist *);
static void	 strlist_add(struct strlist *, const char *);
static int	 strlist_split(struct strlist *, const char *);
static void	 nsplit_free(struct config_nsplit *, size_t);
static void	 nsplit_set(struct config *, struct config_nsplit *, size_t);
static void	 records_free(struct config_record *, size_t);
static void	 records_set(struct config *, struct config_record *, size_t);
static void	 kv_free(struct config_kv *, size_t);
static void	 kv_set(struct config *, struct config_kv *, size_t);
static void	 key_clear(struct config *, const struct config_key *);
static int	 key_set_text(struct config *, const struct config_key *,
		    const char *, char *, size_t);
static struct config *config_new(void);
static struct config *config_parse(const char *, const char *, size_t, int,
		    const char *, char *, size_t);
static void	 config_location(struct config_load *, int, const char *,
		    char *, size_t);
static int	 msg_cmp(const void *, const void *);
static void	 config_report(struct config_load *, char *, size_t);
static void	 yaml_problem(struct cfparse *, yaml_parser_t *, const char *,
		    size_t);
static int	 prescan(struct cfparse *, const char *, size_t);
static int	 node_line(const yaml_node_t *);
static int	 node_is_null(const yaml_node_t *);
static const char *type_word(enum config_type);
static const char *scalar_text(struct cfparse *, yaml_node_t *,
		    const char *, const char *, int *);
static size_t	 node_size(const yaml_node_t *);
static int	 pair_nodes(struct cfparse *, yaml_node_pair_t *,
		    yaml_node_t **, yaml_node_t **);
static int	 pair_is_dup(struct cfparse *, yaml_node_t *,
		    yaml_node_pair_t *);
static int	 structured_ok(struct cfparse *, yaml_node_t *, const char *,
		    enum config_type, const char *);
static const char *entry_key(struct cfparse *, yaml_node_t *,
		    yaml_node_pair_t *, yaml_node_t *, const char *,
		    const char *, const char *);
static int	 node_strlist(struct cfparse *, yaml_node_t *, const char *,
		    struct strlist *);
static void	 set_nsplit(struct cfparse *, const char *, yaml_node_t *);
static int	 set_record(struct cfparse *, const char *, yaml_node_t *,
		    struct config_record *);
static void	 set_records(struct cfparse *, const char *, yaml_node_t *);
static void	 set_kv(struct cfparse *, const char *, yaml_node_t *);
static void	 set_node(struct cfparse *, int, yaml_node_t *,
		    yaml_node_t *);
static const struct config_removed *removed_find(const char *);
static int	 removed_is_section(const char *);
static void	 removed_report(struct cfparse *, const struct config_removed *,
		    const char *, int);
static void	 removed_hit(struct cfparse *, const struct config_removed *,
		    const char *, int);
static void	 removed_finish(struct cfparse *);
static void	 walk_pair(struct cfparse *, const char *, yaml_node_t *,
		    yaml_node_t *, int);
static void	 walk_map(struct cfparse *, yaml_node_t *, const char *, int);
static void	 load_env(struct cfparse *);
static int	 expand_env(const char *, char **);
static int	 make_absolute(struct cfparse *, char **);
static void	 fixup_paths(struct cfparse *);
static void	 load_fixup(struct cfparse *);

/* Allocation failure is the one thing the loader does not survive. */
static void *
cf_calloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size)) == NULL)
		fatal("%s", __func__);
	return (p);
}

static char *
cf_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("%s", __func__);
	return (p);
}

/* A value made safe and short enough to quote in a message. */
static const char *
shorten(const char *s, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; s[i] != '\0' && i + 4 < len; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ?
		    '?' : s[i];
	if (s[i] != '\0' && len >= 4) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return (buf);
}

/*
 * Values from the environment reach the children as printed YAML, which
 * must be valid UTF-8; the file itself is checked by libyaml.
 */
static int
utf8_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	unsigned int		 cp, min;
	int			 n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		} else if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
			min = 0x80;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
			min = 0x800;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
			min = 0x10000;
		} else
			return (0);
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (0);
		p += n + 1;
	}
	return (1);
}

static void
strlist_free(struct strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
strlist_add(struct strlist *l, const char *s)
{
	char	**v;

	if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL)
		fatal("%s", __func__);
	l->v = v;
	l->v[l->n++] = cf_strdup(s);
}

/* Words separated by white space, as viper splits a list from the env. */
static int
strlist_split(struct strlist *l, const char *s)
{
	const char	*end;
	char		*w;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			return (0);
		if (l->n == CONFIG_MAX_LIST) {
			strlist_free(l);
			return (-1);
		}
		for (end = s; *end != '\0' && !isspace((unsigned char)*end);
		    end++)
			;
		if ((w = strndup(s, end - s)) == NULL)
			fatal("%s", __func__);
		strlist_add(l, w);
		free(w);
		s = end;
	}
}

/*
 * The structured keys are an array and a count.  *_free() frees an
 * array, whole or half built; *_set() replaces the config's with one.
 */
static void
nsplit_free(struct config_nsplit *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].domain);
		strlist_free(&v[i].servers);
	}
	free(v);
}

static void
nsplit_set(struct config *c, struct config_nsplit *v, size_t n)
{
	nsplit_free(c->dns_nameservers_split, c->dns_nameservers_split_n);
	c->dns_nameservers_split = v;
	c->dns_nameservers_split_n = n;
}

static void
records_free(struct config_record *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].type);
		free(v[i].value);
	}
	free(v);
}

static void
records_set(struct config *c, struct config_record *v, size_t n)
{
	records_free(c->dns_extra_records, c->dns_extra_records_n);
	c->dns_extra_records = v;
	c->dns_extra_records_n = n;
}

static void
kv_free(struct config_kv *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static void
kv_set(struct config *c, struct config_kv *v, size_t n)
{
	kv_free(c->oidc_extra_params, c->oidc_extra_params_n);
	c->oidc_extra_params = v;
	c->oidc_extra_params_n = n;
}

static void
key_clear(struct config *c, const struct config_key *k)
{
	void	*f = (char *)c + k->ck_off;
	char	**sp;

	switch (k->ck_type) {
	case CT_STRING:
		sp = f;
		if (*sp != NULL && (k->ck_flags & CK_SECRET))
			freezero(*sp, strlen(*sp));
		else
			free(*sp);
		*sp = NULL;
		break;
	case CT_STRLIST:
		strlist_free(f);
		break;
	case CT_NSPLIT:
		nsplit_set(c, NULL, 0);
		break;
	case CT_RECORDS:
		records_set(c, NULL, 0);
		break;
	case CT_KV:
		kv_set(c, NULL, 0);
		break;
	default:
		break;
	}
}

/*
 * Set a key from text: a default, an environment variable or a YAML
 * scalar.  On error, say why in why and leave the key as it was.
 */
static int
key_set_text(struct config *c, const struct config_key *k, const char *s,
    char *why, size_t whylen)
{
	void		*f = (char *)c + k->ck_off;
	struct strlist	 nl;
	const char	*errstr;
	char		 shown[48];
	long long	 v;
	mode_t		 mode;
	int		 b;

	shorten(s, shown, sizeof(shown));
	switch (k->ck_type) {
	case CT_STRING:
		key_clear(c, k);
		*(char **)f = cf_strdup(s);
		return (0);
	case CT_BOOL:
		if ((b = config_parse_bool(s)) == -1) {
			snprintf(why, whylen, "expected a boolean (true or "
			    "false), got \"%s\"", shown);
			return (-1);
		}
		*(int *)f = b;
		return (0);
	case CT_INT:
		v = strtonum(s, k->ck_min, k->ck_max, &errstr);
		if (errstr != NULL && strcmp(errstr, "invalid") == 0) {
			snprintf(why, whylen, "expected an integer, got \"%s\"",
			    shown);
			return (-1);
		} else if (errstr != NULL) {
			snprintf(why, whylen, "%s is out of range (%lld to "
			    "%lld)", shown, k->ck_min, k->ck_max);
			return (-1);
		}
		*(int *)f = (int)v;
		return (0);
	case CT_DURATION:
	case CT_DURATION_MS:
		if ((v = config_parse_duration_ms(s)) == -1) {
			snprintf(why, whylen, "expected a duration such as "
			    "\"90d\", \"1h30m\" or \"500ms\", got \"%s\"",
			    shown);
			return (-1);
		}
		*(long long *)f = k->ck_type == CT_DURATION ? v / 1000 : v;
		return (0);
	case CT_MODE:
		if (config_parse_mode(s, &mode) == -1) {
			snprintf(why, whylen, "expected an octal file mode no "
			    "greater than 0777, got \"%s\"", shown);
			return (-1);
		}
		*(mode_t *)f = mode;
		return (0);
	case CT_STRLIST:
		memset(&nl, 0, sizeof(nl));
		if (strlist_split(&nl, s) == -1) {
			snprintf(why, whylen, "more than %d items",
			    CONFIG_MAX_LIST);
			return (-1);
		}
		strlist_free(f);
		*(struct strlist *)f = nl;
		return (0);
	default:
		/* Structured keys only ever take their empty default. */
		if (*s != '\0') {
			snprintf(why, whylen, "cannot be set from text");
			return (-1);
		}
		key_clear(c, k);
		return (0);
	}
}

static struct config *
config_new(void)
{
	struct config	*c;
	size_t		 i;
	char		 why[256];

	c = cf_calloc(1, sizeof(*c));
	for (i = 0; i < config_nkeys; i++)
		if (key_set_text(c, &config_keys[i], config_keys[i].ck_def,
		    why, sizeof(why)) == -1)
			fatalx("%s: bad default: %s", config_keys[i].ck_path,
			    why);
	return (c);
}

void
config_free(struct config *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < config_nkeys; i++)
		key_clear(c, &config_keys[i]);
	free(c->path);
	free(c->derp_map_json);
	free(c->dns_config_json);
	free(c->tls_cert_pem);
	freezero(c->tls_key_pem, c->tls_key_len);
	free(c);
}

/* "file:12: ", "file:(default): " or "environment HEADSCALE_X: ". */
static void
config_location(struct config_load *cl, int where, const char *key,
    char *buf, size_t len)
{
	char	env[128];

	if (where > 0)
		snprintf(buf, len, "%s:%d: ", cl->cl_name, where);
	else if (where == CONFIG_FROM_ENV && key != NULL) {
		config_envname(key, env, sizeof(env));
		snprintf(buf, len, "environment %s: ", env);
	} else
		snprintf(buf, len, "%s:(default): ", cl->cl_name);
}

void
config_error(struct config_load *cl, int where, const char *key,
    const char *fmt, ...)
{
	struct config_msg	*m;
	va_list			 ap;
	char			 loc[PATH_MAX + 64], msg[1024];

	/* Keep a few more than are shown, for sorting. */
	if (cl->cl_nerr >= CONFIG_MAX_ERRORS * 4) {
		cl->cl_nerr++;
		return;
	}
	if ((m = reallocarray(cl->cl_msgs, cl->cl_nerr + 1, sizeof(*m))) ==
	    NULL)
		fatal("%s", __func__);
	cl->cl_msgs = m;
	m += cl->cl_nerr;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_location(cl, where, key, loc, sizeof(loc));
	if (asprintf(&m->cm_text, "%s%s%s%s", loc, key != NULL ? key : "",
	    key != NULL ? ": " : "", msg) == -1)
		fatal("%s", __func__);
	m->cm_where = where > 0 ? where : INT_MAX;
	m->cm_seq = cl->cl_nerr++;
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct config_msg	*x = a, *y = b;

	if (x->cm_where != y->cm_where)
		return (x->cm_where < y->cm_where ? -1 : 1);
	return (x->cm_seq < y->cm_seq ? -1 : x->cm_seq > y->cm_seq);
}

/* The errors in file order, one a line, then those of no line. */
static void
config_report(struct config_load *cl, char *err, size_t errlen)
{
	size_t	n, i, used = 0;

	if (cl->cl_nerr == 0)
		return;
	n = MINIMUM(cl->cl_nerr, CONFIG_MAX_ERRORS * 4);
	qsort(cl->cl_msgs, n, sizeof(*cl->cl_msgs), msg_cmp);
	for (i = 0; i < n && i < CONFIG_MAX_ERRORS && err != NULL &&
	    used + 1 < errlen; i++) {
		snprintf(err + used, errlen - used, "%s%s", i > 0 ? "\n" : "",
		    cl->cl_msgs[i].cm_text);
		used += strnlen(err + used, errlen - used);
	}
	if (cl->cl_nerr > CONFIG_MAX_ERRORS && err != NULL &&
	    used + 1 < errlen)
		snprintf(err + used, errlen - used, "\n%s: %d more errors "
		    "not shown", cl->cl_name, cl->cl_nerr - CONFIG_MAX_ERRORS);
	for (i = 0; i < n; i++)
		free(cl->cl_msgs[i].cm_text);
	free(cl->cl_msgs);
	cl->cl_msgs = NULL;
}

void
config_warn(struct config_load *cl, int where, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 loc[PATH_MAX + 64], msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	config_location(cl, where, key, loc, sizeof(loc));
	log_warnx("%s%s: %s", loc, key, msg);
}

/* Where a key got its value; for validation messages. */
int
config_where(struct config_load *cl, const char *key)
{
	int	i;

	if ((i = config_key_index(key)) == -1)
		return (CONFIG_FROM_DEFAULT);
	return (cl->cl_where[i]);
}

static void
yaml_problem(struct cfparse *p, yaml_parser_t *ps, const char *buf,
    size_t len)
{
	const char	*problem;
	size_t		 i, end;
	int		 line;

	if (ps->error == YAML_READER_ERROR) {
		/* The reader reports an offset, not a line. */
		end = MINIMUM(ps->problem_offset, len);
		for (i = 0, line = 1; i < end; i++)
			if (buf[i] == '\n' && line < INT_MAX)
				line++;
	} else
		line = (int)MINIMUM(ps->problem_mark.line, INT_MAX - 1) + 1;
	if (ps->error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	else if ((problem = ps->problem) == NULL)
		problem = "invalid YAML";
	if (ps->context != NULL && ps->context_mark.line !=
	    ps->problem_mark.line)
		config_error(&p->cl, line, NULL, "%s %s started on line %d",
		    problem, ps->context,
		    (int)MINIMUM(ps->context_mark.line, INT_MAX - 1) + 1);
	else if (ps->context != NULL)
		config_error(&p->cl, line, NULL, "%s %s", problem,
		    ps->context);
	else
		config_error(&p->cl, line, NULL, "%s", problem);
}

/*
 * Walk the events once before building a document, so that depth,
 * number of values and documents are bounded whatever the input.
 */
static int
prescan(struct cfparse *p, const char *buf, size_t len)
{
	yaml_parser_t	 ps;
	yaml_event_t	 ev;
	int		 depth = 0, docs = 0, nodes = 0, rc = -1, line;

	if (!yaml_parser_initialize(&ps))
		fatalx("%s: yaml_parser_initialize", __func__);
	yaml_parser_set_input_string(&ps, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_parse(&ps, &ev)) {
			yaml_problem(p, &ps, buf, len);
			break;
		}
		line = (int)MINIMUM(ev.start_mark.line, INT_MAX - 1) + 1;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			rc = 0;
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				config_error(&p->cl, line, NULL,
				    "only one YAML document is allowed");
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (++depth > CONFIG_MAX_DEPTH)
				config_error(&p->cl, line, NULL, "nesting "
				    "deeper than %d levels", CONFIG_MAX_DEPTH);
			/* FALLTHROUGH */
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			if (++nodes > CONFIG_MAX_NODES)
				config_error(&p->cl, line, NULL, "more than "
				    "%d values", CONFIG_MAX_NODES);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (p->cl.cl_nerr > 0)
			break;
	}
	yaml_parser_delete(&ps);
	return (p->cl.cl_nerr > 0 ? -1 : rc);
}

static int
node_line(const yaml_node_t *n)
{
	return ((int)MINIMUM(n->start_mark.line, INT_MAX - 1) + 1);
}

static int
node_is_null(const yaml_node_t *n)
{
	const char	*v;

	if (n->type != YAML_SCALAR_NODE)
		return (0);
	if (n->tag != NULL && strcmp((char *)n->tag, YAML_NULL_TAG) == 0)
		return (1);
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return (0);
	v = (const char *)n->data.scalar.value;
	return (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

static const char *
type_word(enum config_type t)
{
	switch (t) {
	case CT_STRING:
		return ("a string");
	case CT_BOOL:
		return ("a boolean");
	case CT_INT:
		return ("an integer");
	case CT_DURATION:
	case CT_DURATION_MS:
		return ("a duration");
	case CT_MODE:
		return ("an octal file mode");
	case CT_STRLIST:
		return ("a list of strings");
	case CT_NSPLIT:
		return ("a mapping of domains to lists of nameservers");
	case CT_RECORDS:
		return ("a list of records");
	case CT_KV:
		return ("a mapping of strings");
	}
	return ("a value");
}

/*
 * The text of a scalar, within bounds; a YAML null reads as "" with
 * *isnull set.  Anything else is reported and gives NULL.
 */
static const char *
scalar_text(struct cfparse *p, yaml_node_t *n, const char *key,
    const char *what, int *isnull)
{
	*isnull = 0;
	if (n->type != YAML_SCALAR_NODE) {
		config_error(&p->cl, node_line(n), key, "expected %s", what);
		return (NULL);
	}
	if (node_is_null(n)) {
		*isnull = 1;
		return ("");
	}
	if (n->data.scalar.length > CONFIG_MAX_STRING) {
		config_error(&p->cl, node_line(n), key, "value longer than %d "
		    "bytes", CONFIG_MAX_STRING);
		return (NULL);
	}
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length) !=
	    NULL) {
		config_error(&p->cl, node_line(n), key, "value contains a NUL "
		    "byte");
		return (NULL);
	}
	return ((const char *)n->data.scalar.value);
}

/* Entries in a mapping or a sequence. */
static size_t
node_size(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return (n->data.mapping.pairs.top -
		    n->data.mapping.pairs.start);
	if (n->type == YAML_SEQUENCE_NODE)
		return (n->data.sequence.items.top -
		    n->data.sequence.items.start);
	return (0);
}

/* The key and value nodes of a pair; -1 if the document lacks one. */
static int
pair_nodes(struct cfparse *p, yaml_node_pair_t *pair, yaml_node_t **kn,
    yaml_node_t **vn)
{
	*kn = yaml_document_get_node(&p->doc, pair->key);
	*vn = yaml_document_get_node(&p->doc, pair->value);
	return (*kn == NULL || *vn == NULL ? -1 : 0);
}

/* Keys are case-insensitive, as in viper; a repeated one is an error. */
static int
pair_is_dup(struct cfparse *p, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_pair_t	*q;
	yaml_node_t		*a, *b;

	a = yaml_document_get_node(&p->doc, pair->key);
	for (q = map->data.mapping.pairs.start; q < pair; q++) {
		b = yaml_document_get_node(&p->doc, q->key);
		if (b != NULL && b->type == YAML_SCALAR_NODE &&
		    strcasecmp((char *)a->data.scalar.value,
		    (char *)b->data.scalar.value) == 0)
			return (1);
	}
	return (0);
}

/* A sequence of strings, or one string of words as viper reads it. */
static int
node_strlist(struct cfparse *p, yaml_node_t *n, const char *key,
    struct strlist *out)
{
	yaml_node_item_t	*it;
	yaml_node_t		*in;
	const char		*s;
	int			 isnull;

	memset(out, 0, sizeof(*out));
	if (n->type == YAML_SCALAR_NODE) {
		if ((s = scalar_text(p, n, key, "a list of strings",
		    &isnull)) == NULL)
			return (-1);
		if (strlist_split(out, s) == -1) {
			config_error(&p->cl, node_line(n), key, "more than %d "
			    "items", CONFIG_MAX_LIST);
			return (-1);
		}
		return (0);
	}
	if (n->type != YAML_SEQUENCE_NODE) {
		config_error(&p->cl, node_line(n), key, "expected a list of "
		    "strings");
		return (-1);
	}
	if (node_size(n) > CONFIG_MAX_LIST) {
		config_error(&p->cl, node_line(n), key, "more than %d items",
		    CONFIG_MAX_LIST);
		return (-1);
	}
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		if ((in = yaml_document_get_node(&p->doc, *it)) == NULL)
			continue;
		if ((s = scalar_text(p, in, key, "a string", &isnull)) ==
		    NULL || isnull) {
			if (s != NULL)
				config_error(&p->cl, node_line(in), key,
				    "empty list item");
			strlist_free(out);
			return (-1);
		}
		strlist_add(out, s);
	}
	return (0);
}

/*
 * The value of a structured key: a list (dns.extra_records) or a
 * mapping (the others) of at most CONFIG_MAX_LIST entries, which what
 * names in the message.  Reported if not.
 */
static int
structured_ok(struct cfparse *p, yaml_node_t *n, const char *key,
    enum config_type t, const char *what)
{
	yaml_node_type_t	want;

	want = t == CT_RECORDS ? YAML_SEQUENCE_NODE : YAML_MAPPING_NODE;
	if (n->type != want) {
		config_error(&p->cl, node_line(n), key, "expected %s",
		    type_word(t));
		return (0);
	}
	if (node_size(n) > CONFIG_MAX_LIST) {
		config_error(&p->cl, node_line(n), key, "more than %d %s",
		    CONFIG_MAX_LIST, what);
		return (0);
	}
	return (1);
}

/*
 * The key of one entry of a structured mapping: a string that is
 * neither empty nor repeated, or NULL as reported.  expect and what
 * name it in the messages ("a domain", "domain").
 */
static const char *
entry_key(struct cfparse *p, yaml_node_t *map, yaml_node_pair_t *pair,
    yaml_node_t *kn, const char *key, const char *expect, const char *what)
{
	const char	*s;
	int		 isnull;

	if ((s = scalar_text(p, kn, key, expect, &isnull)) == NULL)
		return (NULL);
	if (*s == '\0' || pair_is_dup(p, map, pair)) {
		config_error(&p->cl, node_line(kn), key, "%s %s \"%s\"",
		    *s == '\0' ? "empty" : "repeated", what, s);
		return (NULL);
	}
	return (s);
}

/* dns.nameservers.split: domain -> list of nameservers. */
static void
set_nsplit(struct cfparse *p, const char *key, yaml_node_t *n)
{
	struct config_nsplit	*v;
	yaml_node_pair_t	*pair;
	yaml_node_t		*kn, *vn;
	const char		*dom;
	size_t			 cnt = 0;

	if (node_is_null(n)) {
		nsplit_set(p->c, NULL, 0);
		return;
	}
	if (!structured_ok(p, n, key, CT_NSPLIT, "domains"))
		return;
	v = cf_calloc(node_size(n), sizeof(*v));
	for (pair = n->data.mapping.pairs.start;
	    pair < n->data.mapping.pairs.top; pair++) {
		if (pair_nodes(p, pair, &kn, &vn) == -1)
			continue;
		if ((dom = entry_key(p, n, pair, kn, key, "a domain",
		    "domain")) == NULL ||
		    node_strlist(p, vn, key, &v[cnt].servers) == -1)
			goto fail;
		v[cnt++].domain = cf_strdup(dom);
	}
	nsplit_set(p->c, v, cnt);
	return;
 fail:
	nsplit_free(v, cnt);
}

/* One {name, type, value} mapping of dns.extra_records. */
static int
set_record(struct cfparse *p, const char *key, yaml_node_t *n,
    struct config_record *r)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*kn, *vn;
	const char		*f, *s;
	char			**dst;
	int			 isnull;

	if (n->type != YAML_MAPPING_NODE) {
		config_error(&p->cl, node_line(n), key, "expected a mapping "
		    "with name, type and value");
		return (-1);
	}
	for (pair = n->data.mapping.pairs.start;
	    pair < n->data.mapping.pairs.top; pair++) {
		if (pair_nodes(p, pair, &kn, &vn) == -1)
			continue;
		if ((f = scalar_text(p, kn, key, "a field name", &isnull)) ==
		    NULL)
			return (-1);
		if (strcasecmp(f, "name") == 0)
			dst = &r->name;
		else if (strcasecmp(f, "type") == 0)
			dst = &r->type;
		else if (strcasecmp(f, "value") == 0)
			dst = &r->value;
		else {
			log_warnx("%s:%d: unknown key %s.%s", p->cl.cl_name,
			    node_line(kn), key, f);
			continue;
		}
		if (pair_is_dup(p, n, pair)) {
			config_error(&p->cl, node_line(kn), key, "repeated "
			    "field %s", f);
			return (-1);
		}
		if ((s = scalar_text(p, vn, key, "a string", &isnull)) == NULL)
			return (-1);
		*dst = cf_strdup(s);
	}
	if (r->name == NULL || *r->name == '\0' || r->value == NULL ||
	    *r->value == '\0') {
		config_error(&p->cl, node_line(n), key, "a record needs a name "
		    "and a value");
		return (-1);
	}
	if (r->type == NULL)
		r->type = cf_strdup("");
	return (0);
}

static void
set_records(struct cfparse *p, const char *key, yaml_node_t *n)
{
	struct config_record	*v;
	yaml_node_item_t	*it;
	yaml_node_t		*in;
	size_t			 cnt = 0;

	if (node_is_null(n)) {
		records_set(p->c, NULL, 0);
		return;
	}
	if (!structured_ok(p, n, key, CT_RECORDS, "records"))
		return;
	v = cf_calloc(node_size(n), sizeof(*v));
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		if ((in = yaml_document_get_node(&p->doc, *it)) == NULL)
			continue;
		/* Counted first, so that a half-set record is freed too. */
		if (set_record(p, key, in, &v[cnt++]) == -1)
			goto fail;
	}
	records_set(p->c, v, cnt);
	return;
 fail:
	records_free(v, cnt);
}

/* oidc.extra_params: string -> string. */
static void
set_kv(struct cfparse *p, const char *key, yaml_node_t *n)
{
	struct config_kv	*v;
	yaml_node_pair_t	*pair;
	yaml_node_t		*kn, *vn;
	const char		*ks, *vs;
	size_t			 cnt = 0;
	int			 isnull;

	if (node_is_null(n)) {
		kv_set(p->c, NULL, 0);
		return;
	}
	if (!structured_ok(p, n, key, CT_KV, "entries"))
		return;
	v = cf_calloc(node_size(n), sizeof(*v));
	for (pair = n->data.mapping.pairs.start;
	    pair < n->data.mapping.pairs.top; pair++) {
		if (pair_nodes(p, pair, &kn, &vn) == -1)
			continue;
		if ((ks = entry_key(p, n, pair, kn, key, "a string",
		    "key")) == NULL ||
		    (vs = scalar_text(p, vn, key, "a string", &isnull)) ==
		    NULL)
			goto fail;
		v[cnt].key = cf_strdup(ks);
		v[cnt++].value = cf_strdup(vs);
	}
	kv_set(p->c, v, cnt);
	return;
 fail:
	kv_free(v, cnt);
}

/* The value of one known key. */
static void
set_node(struct cfparse *p, int idx, yaml_node_t *kn, yaml_node_t *vn)
{
	const struct config_key	*k = &config_keys[idx];
	struct strlist		 nl;
	const char		*s;
	char			 why[256];
	int			 isnull;

	p->cl.cl_where[idx] = node_line(kn);
	switch (k->ck_type) {
	case CT_STRLIST:
		if (node_is_null(vn))
			key_clear(p->c, k);
		else if (node_strlist(p, vn, k->ck_path, &nl) == 0) {
			key_clear(p->c, k);
			*(struct strlist *)((char *)p->c + k->ck_off) = nl;
		}
		return;
	case CT_NSPLIT:
		set_nsplit(p, k->ck_path, vn);
		return;
	case CT_RECORDS:
		set_records(p, k->ck_path, vn);
		return;
	case CT_KV:
		set_kv(p, k->ck_path, vn);
		return;
	default:
		break;
	}
	if ((s = scalar_text(p, vn, k->ck_path, type_word(k->ck_type),
	    &isnull)) == NULL)
		return;
	/* An empty value keeps the default, except for strings. */
	if (isnull && k->ck_type != CT_STRING)
		return;
	if (key_set_text(p->c, k, s, why, sizeof(why)) == -1)
		config_error(&p->cl, node_line(vn), k->ck_path, "%s", why);
}

static const struct config_removed *
removed_find(const char *path)
{
	size_t	i;

	for (i = 0; i < config_nremoved; i++)
		if (strcmp(config_removed[i].cr_path, path) == 0)
			return (&config_removed[i]);
	for (i = 0; i < config_nremoved; i++)
		if (config_path_below(path, config_removed[i].cr_path))
			return (&config_removed[i]);
	return (NULL);
}

/* Does path hold removed keys, like dns_config? */
static int
removed_is_section(const char *path)
{
	size_t	i;

	for (i = 0; i < config_nremoved; i++)
		if (config_path_below(config_removed[i].cr_path, path))
			return (1);
	return (0);
}

static void
removed_report(struct cfparse *p, const struct config_removed *r,
    const char *path, int where)
{
	if (r->cr_hint == NULL)
		config_error(&p->cl, where, path, "this key was removed, use "
		    "%s instead", r->cr_new);
	else
		config_error(&p->cl, where, path, "this key was removed, %s",
		    r->cr_hint);
}

/*
 * A renamed key is fatal only when its new name is not used, which is
 * known once the whole file and the environment are read.
 */
static void
removed_hit(struct cfparse *p, const struct config_removed *r,
    const char *path, int where)
{
	size_t	i = r - config_removed;

	if (!r->cr_warn_if_new) {
		removed_report(p, r, path, where);
		return;
	}
	if (p->removed_where[i] == 0)
		p->removed_where[i] = where;
}

static void
removed_finish(struct cfparse *p)
{
	const struct config_removed	*r;
	size_t				 i;
	int				 where;

	for (i = 0; i < config_nremoved; i++) {
		r = &config_removed[i];
		if ((where = p->removed_where[i]) == 0)
			continue;
		if (config_where(&p->cl, r->cr_new) != CONFIG_FROM_DEFAULT)
			config_warn(&p->cl, where, r->cr_path, "this key was "
			    "removed and is ignored, %s is used", r->cr_new);
		else
			removed_report(p, r, r->cr_path, where);
	}
}

static void
walk_pair(struct cfparse *p, const char *path, yaml_node_t *kn,
    yaml_node_t *vn, int depth)
{
	const struct config_removed	*r;
	int				 idx, section;

	/* Descend into dns_config to name each key; report it if empty. */
	section = removed_is_section(path);
	if (!(section && vn->type == YAML_MAPPING_NODE && node_size(vn) > 0) &&
	    (r = removed_find(path)) != NULL) {
		removed_hit(p, r, path, node_line(kn));
		return;
	}
	if ((idx = config_key_index(path)) != -1) {
		set_node(p, idx, kn, vn);
		return;
	}
	if (!section && !config_is_section(path)) {
		log_warnx("%s:%d: unknown key %s", p->cl.cl_name,
		    node_line(kn), path);
		return;
	}
	if (node_is_null(vn))
		return;
	if (vn->type != YAML_MAPPING_NODE) {
		config_error(&p->cl, node_line(vn), path, "expected a "
		    "mapping");
		return;
	}
	if (depth >= CONFIG_MAX_DEPTH) {
		/* Only reachable through aliases: the prescan saw the rest. */
		config_error(&p->cl, node_line(vn), path, "nesting deeper "
		    "than %d levels", CONFIG_MAX_DEPTH);
		return;
	}
	walk_map(p, vn, path, depth + 1);
}

static void
walk_map(struct cfparse *p, yaml_node_t *map, const char *prefix,
    int depth)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*kn, *vn;
	char			 path[CONFIG_MAX_KEY * 2], lkey[CONFIG_MAX_KEY];
	const char		*key;
	size_t			 i;
	int			 isnull;

	if (node_size(map) > CONFIG_MAX_LIST) {
		config_error(&p->cl, node_line(map), *prefix ? prefix : NULL,
		    "more than %d keys", CONFIG_MAX_LIST);
		return;
	}
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		if (pair_nodes(p, pair, &kn, &vn) == -1)
			continue;
		if ((key = scalar_text(p, kn, *prefix ? prefix : NULL,
		    "a string as key", &isnull)) == NULL)
			continue;
		if (isnull || strlen(key) >= sizeof(lkey)) {
			config_error(&p->cl, node_line(kn), *prefix ? prefix :
			    NULL, "%s key", isnull ? "empty" : "overlong");
			continue;
		}
		for (i = 0; key[i] != '\0'; i++)
			lkey[i] = tolower((unsigned char)key[i]);
		lkey[i] = '\0';
		snprintf(path, sizeof(path), "%s%s%s", prefix,
		    *prefix ? "." : "", lkey);
		if (pair_is_dup(p, map, pair)) {
			config_error(&p->cl, node_line(kn), path, "repeated "
			    "key");
			continue;
		}
		walk_pair(p, path, kn, vn, depth);
	}
}

static void
load_env(struct cfparse *p)
{
	const struct config_key	*k;
	const char		*v;
	char			 env[128], why[256];
	size_t			 i;

	for (i = 0; i < config_nkeys; i++) {
		k = &config_keys[i];
		if (k->ck_type == CT_NSPLIT || k->ck_type == CT_RECORDS ||
		    k->ck_type == CT_KV)
			continue;
		config_envname(k->ck_path, env, sizeof(env));
		/* An empty variable counts as unset, as in viper. */
		if ((v = getenv(env)) == NULL || *v == '\0')
			continue;
		if (strlen(v) > CONFIG_MAX_STRING)
			config_error(&p->cl, CONFIG_FROM_ENV, k->ck_path,
			    "value longer than %d bytes", CONFIG_MAX_STRING);
		else if (!utf8_valid(v))
			config_error(&p->cl, CONFIG_FROM_ENV, k->ck_path,
			    "value is not valid UTF-8");
		else if (key_set_text(p->c, k, v, why, sizeof(why)) == -1)
			config_error(&p->cl, CONFIG_FROM_ENV, k->ck_path, "%s",
			    why);
		else
			p->cl.cl_where[i] = CONFIG_FROM_ENV;
	}
	for (i = 0; i < config_nremoved; i++) {
		if (removed_is_section(config_removed[i].cr_path))
			continue;
		config_envname(config_removed[i].cr_path, env, sizeof(env));
		if ((v = getenv(env)) != NULL && *v != '\0')
			removed_hit(p, &config_removed[i],
			    config_removed[i].cr_path, CONFIG_FROM_ENV);
	}
}

/* $NAME and ${NAME}, as Go's os.ExpandEnv does for client_secret_path. */
static int
expand_env(const char *in, char **out)
{
	char		 buf[CONFIG_MAX_STRING + 1], name[256];
	const char	*v, *start, *end, *next;
	size_t		 n = 0, len, vlen;

	while (*in != '\0') {
		if (in[0] == '$' && in[1] == '{' &&
		    (end = strchr(in + 2, '}')) != NULL) {
			start = in + 2;
			next = end + 1;
		} else if (in[0] == '$' && (isalpha((unsigned char)in[1]) ||
		    in[1] == '_')) {
			start = in + 1;
			for (end = start; isalnum((unsigned char)*end) ||
			    *end == '_'; end++)
				;
			next = end;
		} else {
			if (n + 1 >= sizeof(buf))
				return (-1);
			buf[n++] = *in++;
			continue;
		}
		if ((len = end - start) >= sizeof(name))
			return (-1);
		memcpy(name, start, len);
		name[len] = '\0';
		in = next;
		if ((v = getenv(name)) == NULL)
			v = "";
		if (n + (vlen = strlen(v)) >= sizeof(buf))
			return (-1);
		memcpy(buf + n, v, vlen);
		n += vlen;
	}
	buf[n] = '\0';
	*out = cf_strdup(buf);
	return (0);
}

/*
 * Relative paths are taken from the directory of the config file, as
 * headscale does, and fixed now because the daemons chdir and chroot.
 */
static int
make_absolute(struct cfparse *p, char **sp)
{
	const char	*s = *sp;
	char		*abs;

	if (*s == '\0' || *s == '/')
		return (0);
	if (p->base[0] == '\0' && getcwd(p->base, sizeof(p->base)) == NULL)
		return (-1);
	while (s[0] == '.' && s[1] == '/') {
		for (s += 2; *s == '/'; s++)
			;
	}
	if (asprintf(&abs, "%s%s%s", p->base,
	    strcmp(p->base, "/") == 0 ? "" : "/", s) == -1)
		fatal("%s", __func__);
	if (strlen(abs) >= PATH_MAX) {
		free(abs);
		errno = ENAMETOOLONG;
		return (-1);
	}
	free(*sp);
	*sp = abs;
	return (0);
}

static void
fixup_paths(struct cfparse *p)
{
	const struct config_key	*k;
	struct strlist		*l;
	size_t			 i, j;
	int			 rc, where;

	for (i = 0; i < config_nkeys; i++) {
		k = &config_keys[i];
		if ((k->ck_flags & CK_PATH) == 0)
			continue;
		rc = 0;
		if (k->ck_type == CT_STRING)
			rc = make_absolute(p, (char **)((char *)p->c +
			    k->ck_off));
		else if (k->ck_type == CT_STRLIST) {
			l = (struct strlist *)((char *)p->c + k->ck_off);
			for (j = 0; j < l->n && rc == 0; j++)
				rc = make_absolute(p, &l->v[j]);
		}
		where = p->cl.cl_where[i];
		if (rc == -1)
			config_error(&p->cl, where, k->ck_path, "cannot make "
			    "the path absolute: %s", strerror(errno));
	}
}

static void
load_fixup(struct cfparse *p)
{
	struct config	*c = p->c;
	char		*s;
	int		 old, new;

	old = config_key_index("ephemeral_node_inactivity_timeout");
	new = config_key_index("node.ephemeral.inactivity_timeout");
	if (p->cl.cl_where[old] != CONFIG_FROM_DEFAULT) {
		config_warn(&p->cl, p->cl.cl_where[old],
		    config_keys[old].ck_path,
		    "deprecated, use node.ephemeral.inactivity_timeout");
		if (p->cl.cl_where[new] == CONFIG_FROM_DEFAULT) {
			c->node_ephemeral_inactivity_timeout =
			    c->ephemeral_node_inactivity_timeout;
			p->cl.cl_where[new] = p->cl.cl_where[old];
		}
	}
	/* headscale treats these as one; so do we, with one spelling. */
	if (strcmp(c->db_type, "sqlite3") == 0) {
		free(c->db_type);
		c->db_type = cf_strdup("sqlite");
	}
	if (p->apply_env && strchr(c->oidc_client_secret_path, '$') != NULL) {
		if (expand_env(c->oidc_client_secret_path, &s) == -1)
			config_error(&p->cl, config_where(&p->cl,
			    "oidc.client_secret_path"),
			    "oidc.client_secret_path",
			    "expands to more than %d bytes", CONFIG_MAX_STRING);
		else {
			free(c->oidc_client_secret_path);
			c->oidc_client_secret_path = s;
		}
	}
	fixup_paths(p);
}

static struct config *
config_parse(const char *name, const char *buf, size_t len, int apply_env,
    const char *base, char *err, size_t errlen)
{
	struct cfparse	 p;
	yaml_parser_t	 ps;
	yaml_node_t	*root;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else
		err = NULL;
	memset(&p, 0, sizeof(p));
	p.cl.cl_name = name != NULL ? name : "(config)";
	p.cl.cl_where = cf_calloc(config_nkeys, sizeof(int));
	p.removed_where = cf_calloc(config_nremoved, sizeof(int));
	p.apply_env = apply_env;
	if (base != NULL)
		strlcpy(p.base, base, sizeof(p.base));
	p.c = config_new();
	if (buf == NULL)
		buf = "";

	if (len > CONFIG_MAX_FILE)
		config_error(&p.cl, 1, NULL, "larger than %d bytes",
		    CONFIG_MAX_FILE);
	else if (prescan(&p, buf, len) == 0) {
		if (!yaml_parser_initialize(&ps))
			fatalx("%s: yaml_parser_initialize", __func__);
		yaml_parser_set_input_string(&ps, (const unsigned char *)buf,
		    len);
		if (!yaml_parser_load(&ps, &p.doc))
			yaml_problem(&p, &ps, buf, len);
		else
			p.have_doc = 1;
		yaml_parser_delete(&ps);
	}
	if (p.have_doc && (root = yaml_document_get_root_node(&p.doc)) !=
	    NULL) {
		if (root->type == YAML_MAPPING_NODE)
			walk_map(&p, root, "", 1);
		else if (!node_is_null(root))
			config_error(&p.cl, node_line(root), NULL, "expected "
			    "a mapping of keys at the top level");
	}
	if (p.have_doc)
		yaml_document_delete(&p.doc);
	if (apply_env)
		load_env(&p);
	removed_finish(&p);
	if (p.cl.cl_nerr == 0)
		load_fixup(&p);
	if (p.cl.cl_nerr == 0)
		config_validate(p.c, &p.cl);

	free(p.cl.cl_where);
	free(p.removed_where);
	config_report(&p.cl, err, errlen);
	if (p.cl.cl_nerr > 0) {
		config_free(p.c);
		return (NULL);
	}
	return (p.c);
}

struct config *
config_load_buffer(const char *name, const char *buf, size_t len,
    int apply_env, char *err, size_t errlen)
{
	return (config_parse(name, buf, len, apply_env, NULL, err, errlen));
}

struct config *
config_load(const char *path, int apply_env, char *err, size_t errlen)
{
	struct config	*c = NULL;
	char		 abs[PATH_MAX], dir[PATH_MAX], *buf = NULL, *slash;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL)
		path = config_default_path();
	if (path[0] == '/')
		n = strlcpy(abs, path, sizeof(abs));
	else if (getcwd(dir, sizeof(dir)) == NULL)
		goto syserr;
	else
		n = snprintf(abs, sizeof(abs), "%s/%s", dir, path);
	if (n < 0 || (size_t)n >= sizeof(abs)) {
		errno = ENAMETOOLONG;
		goto syserr;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		goto syserr;
	/* Read one byte past the limit to tell "too large" apart. */
	buf = cf_calloc(1, CONFIG_MAX_FILE + 1);
	while (len < CONFIG_MAX_FILE + 1) {
		n = read(fd, buf + len, CONFIG_MAX_FILE + 1 - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto syserr;
		}
		if (n == 0)
			break;
		len += n;
	}
	strlcpy(dir, abs, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	if ((c = config_parse(path, buf, len, apply_env, dir, err, errlen)) !=
	    NULL)
		c->path = cf_strdup(abs);
	goto done;
 syserr:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
 done:
	if (fd != -1)
		close(fd);
	free(buf);
	return (c);
}

const char *
config_default_path(void)
{
	if (access(CONF_FILE, F_OK) == 0)
		return (CONF_FILE);
	if (access(CONF_FILE_HEADSCALE, F_OK) == 0)
		return (CONF_FILE_HEADSCALE);
	return (CONF_FILE);
}

/* yes/no as YAML 1.1 has them, plus what Go's ParseBool takes. */
int
config_parse_bool(const char *s)
{
	static const char	*yes[] = { "true", "yes", "on", "y", "t", "1" };
	static const char	*no[] = { "false", "no", "off", "n", "f", "0" };
	size_t			 i;

	for (i = 0; i < nitems(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return (1);
		if (strcasecmp(s, no[i]) == 0)
			return (0);
	}
	return (-1);
}

/* "0770", "770" or Go's "0o770"; never more than 0777. */
int
config_parse_mode(const char *s, mode_t *mode)
{
	mode_t	m = 0;

	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			return (-1);
		m = m * 8 + (*s - '0');
		if (m > 0777)
			return (-1);
	}
	*mode = m;
	return (0);
}

static long long
duration_unit(const char **sp)
{
	static const struct {
		const char	*name;
		long long	 ns;
	} units[] = {
		{ "ns", 1LL },
		{ "us", 1000LL },
		{ "\xc2\xb5s", 1000LL },	/* U+00B5 micro sign */
		{ "\xce\xbcs", 1000LL },	/* U+03BC greek mu */
		{ "ms", 1000000LL },
		{ "s", 1000000000LL },
		{ "m", 60LL * 1000000000LL },
		{ "h", 3600LL * 1000000000LL },
		{ "d", 86400LL * 1000000000LL },
		{ "w", 7LL * 86400 * 1000000000LL },
		{ "y", 365LL * 86400 * 1000000000LL },
	};
	size_t	i, len;

	/* Two-letter units first, so that "ms" is not "m" then "s". */
	for (i = 0; i < nitems(units); i++) {
		len = strlen(units[i].name);
		if (strncmp(*sp, units[i].name, len) == 0) {
			*sp += len;
			return (units[i].ns);
		}
	}
	return (-1);
}

/*
 * Go's time.ParseDuration plus Prometheus' d, w and y (which headscale
 * takes for node.expiry): a sequence of decimal numbers with units,
 * such as "90d", "1h30m" or "1.5s", or a bare "0".  Negative values and
 * more than 100 years are refused.  Sub-millisecond parts are dropped.
 */
long long
config_parse_duration_ms(const char *s)
{
	long long	 total = 0, ip, frac, scale, unit, add;
	int		 digits;

	if (s == NULL || *s == '\0')
		return (-1);
	if (strcmp(s, "0") == 0)
		return (0);
	while (*s != '\0') {
		ip = frac = 0;
		scale = 1;
		digits = 0;
		for (; isdigit((unsigned char)*s); s++, digits++) {
			if (ip > CONFIG_MAX_DURATION_NS / 10)
				return (-1);
			ip = ip * 10 + (*s - '0');
		}
		if (*s == '.') {
			for (s++; isdigit((unsigned char)*s); s++, digits++) {
				if (scale < 1000000000LL) {
					frac = frac * 10 + (*s - '0');
					scale *= 10;
				}
			}
		}
		if (digits == 0 || (unit = duration_unit(&s)) == -1)
			return (-1);
		if (ip > CONFIG_MAX_DURATION_NS / unit)
			return (-1);
		add = ip * unit + (long long)((long double)frac * unit / scale);
		if (add > CONFIG_MAX_DURATION_NS - total)
			return (-1);
		total += add;
	}
	return (total / 1000000);
}

long long
config_parse_duration(const char *s)
{
	long long	ms;

	if ((ms = config_parse_duration_ms(s)) == -1)
		return (-1);
	return (ms / 1000);
}
