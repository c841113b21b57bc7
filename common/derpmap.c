/*
 * The DERP map clients get: the regions of every derp.paths file,
 * merged in order with later region ids replacing earlier ones, then
 * the embedded relay's own region, as headscale builds it.  derp.urls
 * are fetched by authd, the one process allowed outbound HTTP; the
 * parent hands the documents in (derpmap_build_with) and they go first,
 * in config order, so that files and the embedded region replace them.
 *
 * A derp.paths file is headscale's YAML: a top-level "regions" mapping
 * of id to region, keys being the lowercased tailcfg field names.  A
 * JSON DERP map must load too; libyaml reads JSON's flow syntax, so one
 * parser matching keys without regard to case takes both.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "clientcfg.h"
#include "compat.h"
#include "config.h"

#define DM_MAX_DEPTH	8	/* collections nested in a DERP file */

enum dm_type {
	DT_STR,
	DT_INT,
	DT_BOOL,
	DT_REAL,
	DT_NODES		/* the region's node list */
};

#define DF_OMITEMPTY	0x01	/* Go's omitempty: zero is left out */

/* One tailcfg field: its canonical name, matched without case. */
struct dm_field {
	const char	*name;
	enum dm_type	 type;
	long long	 min;
	long long	 max;
	int		 flags;
};

/* In tailcfg's order, which is the order clients are sent them in. */
static const struct dm_field region_fields[] = {
	{ "RegionID",		DT_INT,	  1, INT32_MAX,	0 },
	{ "RegionCode",		DT_STR,	  0, 0,		0 },
	{ "RegionName",		DT_STR,	  0, 0,		0 },
	{ "Latitude",		DT_REAL,  0, 0,		DF_OMITEMPTY },
	{ "Longitude",		DT_REAL,  0, 0,		DF_OMITEMPTY },
	{ "Avoid",		DT_BOOL,  0, 0,		DF_OMITEMPTY },
	{ "NoMeasureNoHome",	DT_BOOL,  0, 0,		DF_OMITEMPTY },
	{ "Nodes",		DT_NODES, 0, 0,		0 },
};
#define RF_REGIONID	0
#define RF_NODES	7

static const struct dm_field node_fields[] = {
	{ "Name",		DT_STR,	  0, 0,		0 },
	{ "RegionID",		DT_INT,	  1, INT32_MAX,	0 },
	{ "HostName",		DT_STR,	  0, 0,		0 },
	{ "CertName",		DT_STR,	  0, 0,		DF_OMITEMPTY },
	{ "IPv4",		DT_STR,	  0, 0,		DF_OMITEMPTY },
	{ "IPv6",		DT_STR,	  0, 0,		DF_OMITEMPTY },
	{ "STUNPort",		DT_INT,	 -1, 65535,	DF_OMITEMPTY },
	{ "STUNOnly",		DT_BOOL,  0, 0,		DF_OMITEMPTY },
	{ "DERPPort",		DT_INT,	  0, 65535,	DF_OMITEMPTY },
	{ "InsecureForTests",	DT_BOOL,  0, 0,		DF_OMITEMPTY },
	{ "STUNTestIP",		DT_STR,	  0, 0,		DF_OMITEMPTY },
	{ "CanPort80",		DT_BOOL,  0, 0,		DF_OMITEMPTY },
};
#define NF_NAME		0
#define NF_REGIONID	1
#define NF_HOSTNAME	2
#define NF_STUNPORT	6
#define NF_DERPPORT	8
#define NF_MAX		nitems(node_fields)

struct dm_region {
	long long	 id;
	json_t		*json;
};

/* The merged regions; one slot more than files may fill, for ours. */
struct dm_set {
	struct dm_region r[DERPMAP_MAX_REGIONS + 1];
	size_t		 n;
};

/* One file being read. */
struct dm_parse {
	const char	*path;
	yaml_document_t	 doc;
	char		*err;
	size_t		 errlen;
};

static void	 dm_error(struct dm_parse *, const yaml_node_t *,
		    const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
static int	 dm_prescan(const char *, const char *, size_t, char *,
		    size_t);
static int	 dm_is_null(const yaml_node_t *);
static int	 dm_scalar_int(const yaml_node_t *, long long *);
static json_t	*dm_value(struct dm_parse *, const yaml_node_t *,
		    const yaml_node_t *, const struct dm_field *);
static int	 dm_fields(struct dm_parse *, yaml_node_t *,
		    const struct dm_field *, size_t, json_t **);
static json_t	*dm_object(const struct dm_field *, size_t, json_t **);
static json_t	*dm_node(struct dm_parse *, yaml_node_t *, long long);
static json_t	*dm_nodes(struct dm_parse *, yaml_node_t *, long long);
static yaml_node_t *dm_find_nodes(struct dm_parse *, yaml_node_t *);
static int	 dm_region(struct dm_parse *, yaml_node_t *, yaml_node_t *,
		    struct dm_set *);
static int	 dm_regions(struct dm_parse *, struct dm_set *);
static int	 dm_buf(const char *, const char *, size_t, struct dm_set *,
		    char *, size_t);
static int	 dm_file(const char *, struct dm_set *, char *, size_t);
static int	 dm_fetched(const char *, const char *, struct dm_set *,
		    char *, size_t);
static int	 dm_put(struct dm_set *, long long, json_t *, size_t);
static void	 dm_del(struct dm_set *, long long);
static void	 dm_set_free(struct dm_set *);
static int	 dm_url_hostport(const char *, char *, size_t, long long *);
static long long dm_addr_port(const char *);
static json_t	*dm_embedded(const struct config *, char *, size_t);
static int	 dm_cmp(const void *, const void *);
static char	*dm_dump(struct dm_set *, char *, size_t);

/*
 * Read a whole regular file of at most CLIENTCFG_MAX_FILE bytes,
 * NUL-terminated, so that neither a huge file nor a FIFO can stall or
 * exhaust the parent.
 */
char *
clientcfg_readfile(const char *path, size_t *lenp, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return (NULL);
	}
	if (st.st_size > CLIENTCFG_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CLIENTCFG_MAX_FILE);
		close(fd);
		return (NULL);
	}
	/* One byte more than allowed, to notice a file that grew. */
	if ((buf = malloc(CLIENTCFG_MAX_FILE + 2)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return (NULL);
	}
	while (len <= CLIENTCFG_MAX_FILE) {
		r = read(fd, buf + len, CLIENTCFG_MAX_FILE + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += r;
	}
	if (len > CLIENTCFG_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CLIENTCFG_MAX_FILE);
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return (buf);
 fail:
	close(fd);
	free(buf);
	return (NULL);
}

static void
dm_error(struct dm_parse *p, const yaml_node_t *n, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%lu: %s", p->path,
	    (unsigned long)n->start_mark.line + 1, msg);
}

/*
 * Walk the events before building a document: libyaml's loader turns
 * aliases into shared nodes, so a few hundred bytes could stand for
 * more regions than the walk is meant to visit.  A DERP map has no use
 * for aliases; they are refused, and so is deep nesting.
 */
static int
dm_prescan(const char *path, const char *buf, size_t len, char *err,
    size_t errlen)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	int		 depth = 0, done = 0, rv = -1;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", path);
		return (-1);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			snprintf(err, errlen, "%s:%lu: %s", path,
			    (unsigned long)parser.problem_mark.line + 1,
			    parser.problem ? parser.problem : "bad YAML");
			goto out;
		}
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			snprintf(err, errlen, "%s:%lu: YAML aliases are not "
			    "supported", path,
			    (unsigned long)ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			goto out;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > DM_MAX_DEPTH) {
				snprintf(err, errlen, "%s:%lu: nested more "
				    "than %d deep", path,
				    (unsigned long)ev.start_mark.line + 1,
				    DM_MAX_DEPTH);
				yaml_event_delete(&ev);
				goto out;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	rv = 0;
 out:
	yaml_parser_delete(&parser);
	return (rv);
}

static int
dm_is_null(const yaml_node_t *n)
{
	const char	*v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return (0);
	v = (const char *)n->data.scalar.value;
	return (*v == '\0' || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0);
}

/* A decimal integer; quoting is allowed, as JSON map keys are quoted. */
static int
dm_scalar_int(const yaml_node_t *n, long long *vp)
{
	const char	*v;
	char		*end;

	if (n->type != YAML_SCALAR_NODE)
		return (-1);
	v = (const char *)n->data.scalar.value;
	if (*v == '\0' || strlen(v) != n->data.scalar.length)
		return (-1);
	errno = 0;
	*vp = strtoll(v, &end, 10);
	if (*end != '\0' || errno != 0)
		return (-1);
	return (0);
}

/*
 * One field's value as JSON.  Numbers and booleans must be plain, as Go
 * refuses a quoted "443" for an int; any scalar will do for a string.
 */
static json_t *
dm_value(struct dm_parse *p, const yaml_node_t *k, const yaml_node_t *v,
    const struct dm_field *f)
{
	const char	*s, *key = (const char *)k->data.scalar.value;
	char		*end;
	long long	 i;
	double		 d;
	json_t		*j;

	if (v->type != YAML_SCALAR_NODE) {
		dm_error(p, v, "%s: expected a scalar", key);
		return (NULL);
	}
	s = (const char *)v->data.scalar.value;
	if (strlen(s) != v->data.scalar.length) {
		dm_error(p, v, "%s: value contains a NUL byte", key);
		return (NULL);
	}
	if (f->type != DT_STR &&
	    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		goto badtype;
	switch (f->type) {
	case DT_STR:
		if (v->data.scalar.length > DERPMAP_MAX_STRING) {
			dm_error(p, v, "%s: longer than %d bytes", key,
			    DERPMAP_MAX_STRING);
			return (NULL);
		}
		if ((j = json_string(s)) == NULL)
			dm_error(p, v, "%s: not valid UTF-8", key);
		return (j);
	case DT_INT:
		if (dm_scalar_int(v, &i) == -1)
			goto badtype;
		if (i < f->min || i > f->max) {
			dm_error(p, v, "%s: %lld is outside %lld..%lld", key,
			    i, f->min, f->max);
			return (NULL);
		}
		return (json_integer(i));
	case DT_BOOL:
		if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0 ||
		    strcasecmp(s, "on") == 0)
			return (json_true());
		if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0 ||
		    strcasecmp(s, "off") == 0)
			return (json_false());
		goto badtype;
	case DT_REAL:
		errno = 0;
		d = strtod(s, &end);
		if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(d))
			goto badtype;
		return (json_real(d));
	case DT_NODES:
		break;
	}
 badtype:
	dm_error(p, v, "%s: \"%s\" is not %s", key, s,
	    f->type == DT_INT ? "an integer" : f->type == DT_BOOL ?
	    "a boolean" : f->type == DT_REAL ? "a number" : "a list");
	return (NULL);
}

/*
 * Fill vals[], one per field, from a mapping.  Unknown keys are skipped,
 * as Go's decoders skip them, and so are null values; a key given twice
 * keeps its last value.  The node list is left to the caller.
 */
static int
dm_fields(struct dm_parse *p, yaml_node_t *map, const struct dm_field *fields,
    size_t nfields, json_t **vals)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*k, *v;
	json_t			*j;
	size_t			 i;

	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(&p->doc, pair->key);
		v = yaml_document_get_node(&p->doc, pair->value);
		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
			continue;
		for (i = 0; i < nfields; i++)
			if (strcasecmp((char *)k->data.scalar.value,
			    fields[i].name) == 0)
				break;
		if (i == nfields || fields[i].type == DT_NODES ||
		    dm_is_null(v))
			continue;
		if ((j = dm_value(p, k, v, &fields[i])) == NULL)
			return (-1);
		json_decref(vals[i]);
		vals[i] = j;
	}
	return (0);
}

/* The object in field order, leaving out what Go's omitempty would. */
static json_t *
dm_object(const struct dm_field *fields, size_t nfields, json_t **vals)
{
	json_t	*o, *v;
	size_t	 i;

	if ((o = json_object()) == NULL)
		return (NULL);
	for (i = 0; i < nfields; i++) {
		v = vals[i];
		vals[i] = NULL;
		if (v == NULL) {
			if (fields[i].flags & DF_OMITEMPTY)
				continue;
			switch (fields[i].type) {
			case DT_STR:
				v = json_string("");
				break;
			case DT_NODES:
				v = json_array();
				break;
			default:
				v = json_integer(0);
				break;
			}
		} else if ((fields[i].flags & DF_OMITEMPTY) &&
		    (json_is_false(v) ||
		    (json_is_string(v) && json_string_length(v) == 0) ||
		    (json_is_integer(v) && json_integer_value(v) == 0) ||
		    (json_is_real(v) && json_real_value(v) == 0))) {
			json_decref(v);
			continue;
		}
		if (json_object_set_new(o, fields[i].name, v) == -1) {
			while (++i < nfields)
				json_decref(vals[i]);
			json_decref(o);
			return (NULL);
		}
	}
	return (o);
}

static json_t *
dm_node(struct dm_parse *p, yaml_node_t *n, long long regionid)
{
	json_t	*vals[NF_MAX] = { NULL };
	json_t	*o;
	size_t	 i;

	if (n->type != YAML_MAPPING_NODE) {
		dm_error(p, n, "a DERP node must be a mapping");
		return (NULL);
	}
	if (dm_fields(p, n, node_fields, NF_MAX, vals) == -1)
		goto fail;
	if (vals[NF_HOSTNAME] == NULL ||
	    json_string_length(vals[NF_HOSTNAME]) == 0) {
		dm_error(p, n, "DERP node without a hostname");
		goto fail;
	}
	/* A node outside its region would confuse the client's netcheck. */
	if (vals[NF_REGIONID] == NULL)
		vals[NF_REGIONID] = json_integer(regionid);
	else if (json_integer_value(vals[NF_REGIONID]) != regionid) {
		dm_error(p, n, "node regionid %lld is not its region's %lld",
		    (long long)json_integer_value(vals[NF_REGIONID]),
		    regionid);
		goto fail;
	}
	if ((o = dm_object(node_fields, NF_MAX, vals)) == NULL)
		dm_error(p, n, "out of memory");
	return (o);
 fail:
	for (i = 0; i < NF_MAX; i++)
		json_decref(vals[i]);
	return (NULL);
}

static json_t *
dm_nodes(struct dm_parse *p, yaml_node_t *seq, long long regionid)
{
	yaml_node_item_t	*item;
	yaml_node_t		*n;
	json_t			*a, *o;

	if (seq->type != YAML_SEQUENCE_NODE) {
		dm_error(p, seq, "nodes: expected a list");
		return (NULL);
	}
	if (seq->data.sequence.items.top - seq->data.sequence.items.start >
	    DERPMAP_MAX_NODES) {
		dm_error(p, seq, "more than %d nodes in region %lld",
		    DERPMAP_MAX_NODES, regionid);
		return (NULL);
	}
	if ((a = json_array()) == NULL) {
		dm_error(p, seq, "out of memory");
		return (NULL);
	}
	for (item = seq->data.sequence.items.start;
	    item < seq->data.sequence.items.top; item++) {
		if ((n = yaml_document_get_node(&p->doc, *item)) == NULL)
			continue;
		if ((o = dm_node(p, n, regionid)) == NULL ||
		    json_array_append_new(a, o) == -1) {
			json_decref(a);
			return (NULL);
		}
	}
	return (a);
}

/* Find the node list of a region mapping, or NULL. */
static yaml_node_t *
dm_find_nodes(struct dm_parse *p, yaml_node_t *map)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*k, *v, *found = NULL;

	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(&p->doc, pair->key);
		v = yaml_document_get_node(&p->doc, pair->value);
		if (k != NULL && v != NULL && k->type == YAML_SCALAR_NODE &&
		    strcasecmp((char *)k->data.scalar.value, "nodes") == 0 &&
		    !dm_is_null(v))
			found = v;
	}
	return (found);
}

/*
 * One region.  The map key is the id the region is filed under, as in
 * headscale; a regionid that disagrees with it is an error rather than a
 * map clients would read two ways.  A null region removes that id from
 * the files before, as headscale documents ("1: null" disables region 1).
 */
static int
dm_region(struct dm_parse *p, yaml_node_t *k, yaml_node_t *v,
    struct dm_set *set)
{
	json_t		*vals[nitems(region_fields)] = { NULL };
	yaml_node_t	*nodes;
	json_t		*o;
	long long	 id;
	size_t		 i;

	if (dm_scalar_int(k, &id) == -1 || id < 1 || id > INT32_MAX) {
		dm_error(p, k, "regions: \"%.64s\" is not a region id "
		    "1..%d", k->type == YAML_SCALAR_NODE ?
		    (char *)k->data.scalar.value : "", INT32_MAX);
		return (-1);
	}
	if (dm_is_null(v)) {
		dm_del(set, id);
		return (0);
	}
	if (v->type != YAML_MAPPING_NODE) {
		dm_error(p, v, "region %lld: expected a mapping", id);
		return (-1);
	}
	if (dm_fields(p, v, region_fields, nitems(region_fields), vals) == -1)
		goto fail;
	if (vals[RF_REGIONID] == NULL) {
		dm_error(p, v, "region %lld has no regionid", id);
		goto fail;
	}
	if (json_integer_value(vals[RF_REGIONID]) != id) {
		dm_error(p, v, "region %lld has regionid %lld", id,
		    (long long)json_integer_value(vals[RF_REGIONID]));
		goto fail;
	}
	if ((nodes = dm_find_nodes(p, v)) != NULL &&
	    (vals[RF_NODES] = dm_nodes(p, nodes, id)) == NULL)
		goto fail;
	if ((o = dm_object(region_fields, nitems(region_fields), vals)) ==
	    NULL) {
		dm_error(p, v, "out of memory");
		return (-1);
	}
	if (dm_put(set, id, o, DERPMAP_MAX_REGIONS) == -1) {
		dm_error(p, k, "more than %d DERP regions",
		    DERPMAP_MAX_REGIONS);
		return (-1);
	}
	return (0);
 fail:
	for (i = 0; i < nitems(region_fields); i++)
		json_decref(vals[i]);
	return (-1);
}

/* The top level: only "regions" matters; an empty file has none. */
static int
dm_regions(struct dm_parse *p, struct dm_set *set)
{
	yaml_node_t		*root, *k, *v, *regions = NULL;
	yaml_node_pair_t	*pair;

	if ((root = yaml_document_get_root_node(&p->doc)) == NULL ||
	    dm_is_null(root))
		return (0);
	if (root->type != YAML_MAPPING_NODE) {
		dm_error(p, root, "expected a mapping with a regions key");
		return (-1);
	}
	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(&p->doc, pair->key);
		v = yaml_document_get_node(&p->doc, pair->value);
		if (k != NULL && v != NULL && k->type == YAML_SCALAR_NODE &&
		    strcasecmp((char *)k->data.scalar.value, "regions") == 0)
			regions = v;
	}
	if (regions == NULL || dm_is_null(regions))
		return (0);
	if (regions->type != YAML_MAPPING_NODE) {
		dm_error(p, regions, "regions: expected a mapping");
		return (-1);
	}
	for (pair = regions->data.mapping.pairs.start;
	    pair < regions->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(&p->doc, pair->key);
		v = yaml_document_get_node(&p->doc, pair->value);
		if (k == NULL || v == NULL)
			continue;
		if (dm_region(p, k, v, set) == -1)
			return (-1);
	}
	return (0);
}

/* The regions of one document, named path in errors, into set. */
static int
dm_buf(const char *path, const char *buf, size_t len, struct dm_set *set,
    char *err, size_t errlen)
{
	struct dm_parse	 p;
	yaml_parser_t	 parser;
	int		 rv = -1;

	if (len > CLIENTCFG_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CLIENTCFG_MAX_FILE);
		return (-1);
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		return (-1);
	}
	if (dm_prescan(path, buf, len, err, errlen) == -1)
		return (-1);
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory", path);
		return (-1);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &p.doc)) {
		snprintf(err, errlen, "%s:%lu: %s", path,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem ? parser.problem : "bad YAML");
	} else {
		rv = dm_regions(&p, set);
		yaml_document_delete(&p.doc);
	}
	yaml_parser_delete(&parser);
	return (rv);
}

static int
dm_file(const char *path, struct dm_set *set, char *err, size_t errlen)
{
	char	*buf;
	size_t	 len;
	int	 rv;

	if ((buf = clientcfg_readfile(path, &len, err, errlen)) == NULL)
		return (-1);
	rv = dm_buf(path, buf, len, set, err, errlen);
	free(buf);
	return (rv);
}

/*
 * A fetched document, tailcfg.DERPMap JSON, read whole into a set of
 * its own before any of it goes into set: a bad document adds nothing.
 */
static int
dm_fetched(const char *name, const char *doc, struct dm_set *set,
    char *err, size_t errlen)
{
	struct dm_set	*one;
	size_t		 i;
	int		 rv = -1;

	if ((one = calloc(1, sizeof(*one))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return (-1);
	}
	if (dm_buf(name, doc, strlen(doc), one, err, errlen) == -1)
		goto out;
	if (set == NULL) {
		rv = 0;
		goto out;
	}
	for (i = 0; i < one->n; i++) {
		json_incref(one->r[i].json);
		if (dm_put(set, one->r[i].id, one->r[i].json,
		    DERPMAP_MAX_REGIONS) == -1) {
			snprintf(err, errlen, "%s: more than %d DERP regions",
			    name, DERPMAP_MAX_REGIONS);
			goto out;
		}
	}
	rv = 0;
 out:
	dm_set_free(one);
	free(one);
	return (rv);
}

/* Would derpmap_build_with take this fetched document? */
int
derpmap_check(const char *name, const char *doc, char *err, size_t errlen)
{
	return (dm_fetched(name, doc, NULL, err, errlen));
}

/* File a region under its id, replacing an earlier one with that id. */
static int
dm_put(struct dm_set *set, long long id, json_t *o, size_t max)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		if (set->r[i].id == id) {
			json_decref(set->r[i].json);
			set->r[i].json = o;
			return (0);
		}
	if (set->n >= max) {
		json_decref(o);
		return (-1);
	}
	set->r[set->n].id = id;
	set->r[set->n].json = o;
	set->n++;
	return (0);
}

static void
dm_del(struct dm_set *set, long long id)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		if (set->r[i].id == id) {
			json_decref(set->r[i].json);
			set->r[i] = set->r[--set->n];
			return;
		}
}

static void
dm_set_free(struct dm_set *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		json_decref(set->r[i].json);
	set->n = 0;
}

/*
 * The host and port of server_url, as headscale takes them: the port
 * given, else 443 for https and 80 for anything else.  Brackets around
 * an IPv6 literal are dropped; clients want the bare address.
 */
static int
dm_url_hostport(const char *url, char *host, size_t hostlen,
    long long *port)
{
	const char	*h, *end, *at, *colon;
	char		*ep;
	size_t		 n;
	int		 https;

	if (strncasecmp(url, "https://", 8) == 0) {
		https = 1;
		h = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		https = 0;
		h = url + 7;
	} else
		return (-1);
	end = h + strcspn(h, "/?#");
	if ((at = memchr(h, '@', end - h)) != NULL)
		h = at + 1;
	*port = https ? 443 : 80;
	if (*h == '[') {
		if ((colon = memchr(h, ']', end - h)) == NULL)
			return (-1);
		n = colon - h - 1;
		h++;
		colon++;
		if (colon != end && *colon != ':')
			return (-1);
	} else {
		colon = memchr(h, ':', end - h);
		n = (colon != NULL ? colon : end) - h;
	}
	if (colon != NULL && colon != end && *colon == ':') {
		errno = 0;
		*port = strtoll(colon + 1, &ep, 10);
		if (ep != end || ep == colon + 1 || errno != 0 ||
		    *port < 1 || *port > 65535)
			return (-1);
	}
	if (n == 0 || n >= hostlen)
		return (-1);
	memcpy(host, h, n);
	host[n] = '\0';
	return (0);
}

/* The port of a listen address such as 0.0.0.0:3478 or [::]:3478. */
static long long
dm_addr_port(const char *addr)
{
	const char	*colon;
	char		*ep;
	long long	 port;

	if ((colon = strrchr(addr, ':')) == NULL)
		return (-1);
	errno = 0;
	port = strtoll(colon + 1, &ep, 10);
	if (*ep != '\0' || ep == colon + 1 || errno != 0 || port < 0 ||
	    port > 65535)
		return (-1);
	return (port);
}

/*
 * The embedded relay's region: one node named after the region id,
 * reached where clients reach us, with STUN where the STUN listener
 * is, or STUN off (-1) when no listener is configured.
 */
static json_t *
dm_embedded(const struct config *c, char *err, size_t errlen)
{
	json_t		*vals[NF_MAX] = { NULL };
	json_t		*rvals[nitems(region_fields)] = { NULL };
	json_t		*node, *nodes;
	char		 host[256], name[32];
	long long	 port, stun = -1;
	int		 id = c->derp_server_region_id;

	if (c->server_url == NULL ||
	    dm_url_hostport(c->server_url, host, sizeof(host), &port) == -1) {
		snprintf(err, errlen, "server_url: \"%s\" has no usable host "
		    "and port for the embedded DERP region",
		    c->server_url ? c->server_url : "");
		return (NULL);
	}
	if (c->derp_server_stun_listen_addr != NULL &&
	    *c->derp_server_stun_listen_addr != '\0' &&
	    (stun = dm_addr_port(c->derp_server_stun_listen_addr)) == -1) {
		snprintf(err, errlen, "derp.server.stun_listen_addr: \"%s\" "
		    "has no port", c->derp_server_stun_listen_addr);
		return (NULL);
	}
	snprintf(name, sizeof(name), "%d", id);
	vals[NF_NAME] = json_string(name);
	vals[NF_REGIONID] = json_integer(id);
	vals[NF_HOSTNAME] = json_string(host);
	if (c->derp_server_ipv4 != NULL)
		vals[4] = json_string(c->derp_server_ipv4);
	if (c->derp_server_ipv6 != NULL)
		vals[5] = json_string(c->derp_server_ipv6);
	vals[NF_STUNPORT] = json_integer(stun);
	vals[NF_DERPPORT] = json_integer(port);
	node = dm_object(node_fields, NF_MAX, vals);
	if ((nodes = json_array()) == NULL ||
	    json_array_append_new(nodes, node) == -1) {
		json_decref(nodes);
		snprintf(err, errlen, "embedded DERP region: out of memory");
		return (NULL);
	}
	rvals[RF_REGIONID] = json_integer(id);
	rvals[1] = json_string(c->derp_server_region_code ?
	    c->derp_server_region_code : "");
	rvals[2] = json_string(c->derp_server_region_name ?
	    c->derp_server_region_name : "");
	rvals[RF_NODES] = nodes;
	return (dm_object(region_fields, nitems(region_fields), rvals));
}

static int
dm_cmp(const void *a, const void *b)
{
	const struct dm_region	*ra = a, *rb = b;

	return (ra->id < rb->id ? -1 : ra->id > rb->id);
}

/* {"Regions":{...}} with the ids ascending, so equal maps dump equal. */
static char *
dm_dump(struct dm_set *set, char *err, size_t errlen)
{
	json_t	*top, *regions;
	char	 key[32], *s = NULL;
	size_t	 i;

	qsort(set->r, set->n, sizeof(set->r[0]), dm_cmp);
	top = json_object();
	regions = json_object();
	if (top == NULL || regions == NULL ||
	    json_object_set_new(top, "Regions", regions) == -1) {
		json_decref(top);
		snprintf(err, errlen, "DERP map: out of memory");
		return (NULL);
	}
	for (i = 0; i < set->n; i++) {
		snprintf(key, sizeof(key), "%lld", set->r[i].id);
		if (json_object_set(regions, key, set->r[i].json) == -1)
			goto out;
	}
	s = json_dumps(top, JSON_COMPACT | JSON_REAL_PRECISION(15));
 out:
	if (s == NULL)
		snprintf(err, errlen, "DERP map: out of memory");
	json_decref(top);
	return (s);
}

char *
derpmap_build(const struct config *c, char *err, size_t errlen)
{
	return (derpmap_build_with(c, NULL, 0, err, errlen));
}

/*
 * The map with fetched documents first, fetched[i] being derp.urls[i]'s
 * (NULL when there is none yet).  A bad fetched document is left out
 * and said so in err, but the map is still built; err is empty when
 * nothing was left out.  Files and the embedded region stay fatal.
 */
char *
derpmap_build_with(const struct config *c, const char **fetched, size_t n,
    char *err, size_t errlen)
{
	struct dm_set	*set;
	json_t		*own;
	char		*s = NULL, name[64], skipped[512];
	size_t		 i;

	if (errlen > 0)
		*err = '\0';
	*skipped = '\0';
	if ((set = calloc(1, sizeof(*set))) == NULL) {
		snprintf(err, errlen, "DERP map: out of memory");
		return (NULL);
	}
	for (i = 0; i < n; i++) {
		if (fetched[i] == NULL)
			continue;
		snprintf(name, sizeof(name), "derp.urls[%zu]", i);
		if (dm_fetched(i < c->derp_urls.n ? c->derp_urls.v[i] : name,
		    fetched[i], set, skipped, sizeof(skipped)) == -1 &&
		    errlen > 0 && *err == '\0')
			snprintf(err, errlen, "%s (left out)", skipped);
	}
	for (i = 0; i < c->derp_paths.n; i++)
		if (dm_file(c->derp_paths.v[i], set, err, errlen) == -1)
			goto out;
	/* Ours comes last, so it wins an id collision, as in headscale. */
	if (c->derp_server_enabled &&
	    c->derp_server_automatically_add_embedded_derp_region) {
		if ((own = dm_embedded(c, err, errlen)) == NULL)
			goto out;
		if (dm_put(set, c->derp_server_region_id, own,
		    DERPMAP_MAX_REGIONS + 1) == -1) {
			snprintf(err, errlen, "embedded DERP region: more "
			    "than %d regions", DERPMAP_MAX_REGIONS);
			goto out;
		}
	}
	s = dm_dump(set, err, errlen);
 out:
	dm_set_free(set);
	free(set);
	return (s);
}
