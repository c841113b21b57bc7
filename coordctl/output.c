/*
 * Rendering of coordd's answers: JSON as received (the REST API's
 * shapes), the same document as YAML, or a table chosen by the kind of
 * the answer, with headscale's columns as far as 80 columns allow.
 * Fields that are missing show empty: coordd and this file need not
 * change in step.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "compat.h"
#include "coordctl.h"

static const struct column user_cols[] = {
	{ "ID", "id", COL_STR, 0, 0 },
	{ "Name", "displayName", COL_STR, 8, 3 },
	{ "Username", "name", COL_STR, 10, 0 },
	{ "Email", "email", COL_STR, 10, 2 },
	{ "Created", "createdAt", COL_TIME, 0, 1 },
};

/* Tags is column 6: nodes list -t keeps it. */
#define NODE_TAGS	6
static const struct column node_cols[] = {
	{ "ID", "id", COL_STR, 0, 0 },
	{ "Hostname", "name", COL_STR, 10, 0 },
	{ "Name", "givenName", COL_STR, 10, 0 },
	{ "MachineKey", "machineKey", COL_STR, 12, 13 },
	{ "NodeKey", "nodeKey", COL_STR, 12, 12 },
	{ "User", "user.name", COL_STR, 8, 5 },
	{ "Tags", "tags", COL_LIST, 8, 9 },
	{ "IP addresses", "ipAddresses", COL_LIST, 15, 4 },
	{ "Ephemeral", "preAuthKey.ephemeral", COL_EPHEMERAL, 0, 10 },
	{ "Last seen", "lastSeen", COL_TIME, 0, 7 },
	{ "Expiration", "expiry", COL_TIME, 0, 8 },
	{ "Connected", "online", COL_BOOL, 0, 6 },
	{ "Expired", "expiry", COL_EXPIRED, 0, 3 },
};

static const struct column route_cols[] = {
	{ "ID", "id", COL_STR, 0, 0 },
	{ "Hostname", "name", COL_STR, 8, 0 },
	{ "Approved", "approvedRoutes", COL_LIST, 12, 0 },
	{ "Available", "availableRoutes", COL_LIST, 12, 0 },
	{ "Serving (Primary)", "subnetRoutes", COL_LIST, 12, 0 },
};

static const struct column pak_cols[] = {
	{ "ID", "id", COL_STR, 0, 0 },
	{ "Key/Prefix", "key", COL_STR, 27, 0 },
	{ "Reusable", "reusable", COL_BOOL, 0, 3 },
	{ "Ephemeral", "ephemeral", COL_BOOL, 0, 7 },
	{ "Used", "used", COL_BOOL, 0, 4 },
	{ "Expiration", "expiration", COL_TIME, 0, 2 },
	{ "Created", "createdAt", COL_TIME, 0, 8 },
	{ "Owner", "aclTags", COL_OWNER, 10, 1 },
};

static const struct column apikey_cols[] = {
	{ "ID", "id", COL_STR, 0, 0 },
	{ "Prefix", "prefix", COL_STR, 16, 0 },
	{ "Expiration", "expiration", COL_TIME, 0, 1 },
	{ "Created", "createdAt", COL_TIME, 0, 2 },
};

static int
yaml_node(yaml_document_t *d, json_t *v)
{
	const char	*k;
	json_t		*e;
	size_t		 i;
	char		 buf[64];
	int		 n, kn, vn;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = yaml_document_add_mapping(d, NULL, YAML_BLOCK_MAPPING_STYLE);
		json_object_foreach(v, k, e) {
			kn = yaml_document_add_scalar(d, NULL,
			    (yaml_char_t *)k, -1, YAML_PLAIN_SCALAR_STYLE);
			vn = yaml_node(d, e);
			yaml_document_append_mapping_pair(d, n, kn, vn);
		}
		return (n);
	case JSON_ARRAY:
		n = yaml_document_add_sequence(d, NULL,
		    YAML_BLOCK_SEQUENCE_STYLE);
		json_array_foreach(v, i, e)
			yaml_document_append_sequence_item(d, n,
			    yaml_node(d, e));
		return (n);
	case JSON_STRING:
		return (yaml_document_add_scalar(d, NULL,
		    (yaml_char_t *)json_string_value(v), -1,
		    YAML_DOUBLE_QUOTED_SCALAR_STYLE));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%g", json_real_value(v));
		break;
	case JSON_TRUE:
		strlcpy(buf, "true", sizeof(buf));
		break;
	case JSON_FALSE:
		strlcpy(buf, "false", sizeof(buf));
		break;
	default:
		strlcpy(buf, "null", sizeof(buf));
		break;
	}
	return (yaml_document_add_scalar(d, NULL, (yaml_char_t *)buf, -1,
	    YAML_PLAIN_SCALAR_STYLE));
}

static int
write_file(void *arg, unsigned char *buf, size_t len)
{
	return (fwrite(buf, 1, len, arg) == len);
}

static int
render_yaml(FILE *f, json_t *doc)
{
	yaml_emitter_t	 e;
	yaml_document_t	 d;
	int		 ok;

	if (!yaml_document_initialize(&d, NULL, NULL, NULL, 1, 1))
		return (1);
	yaml_node(&d, doc);
	yaml_emitter_initialize(&e);
	yaml_emitter_set_output(&e, write_file, f);
	yaml_emitter_set_unicode(&e, 1);
	ok = yaml_emitter_open(&e) && yaml_emitter_dump(&e, &d) &&
	    yaml_emitter_close(&e);
	yaml_emitter_delete(&e);
	return (ok ? 0 : 1);
}

/* REST answers wrap records: {"nodes": [...]}; tables want the records. */
static json_t *
unwrap(json_t *doc)
{
	static const char	*names[] = { "users", "user", "nodes", "node",
	    "preAuthKeys", "preAuthKey", "apiKeys", "apiKey", "changes",
	    "routes" };
	const char		*k;
	json_t			*v;
	size_t			 i;

	if (!json_is_object(doc) || json_object_size(doc) != 1)
		return (doc);
	json_object_foreach(doc, k, v)
		for (i = 0; i < nitems(names); i++)
			if (strcmp(k, names[i]) == 0)
				return (v);
	return (doc);
}

/* Anything else: name and value per line, or a line per item. */
static void
render_generic(FILE *f, json_t *doc)
{
	struct column	 col = { "", "", COL_LIST, 0, 0 };
	const char	*k;
	json_t		*v, *row;
	char		*s;
	size_t		 i;
	int		 w = 0;

	if (json_is_object(doc)) {
		json_object_foreach(doc, k, v)
			w = MAXIMUM(w, (int)strlen(k));
		json_object_foreach(doc, k, v) {
			row = json_pack("{s:O}", "v", v);
			col.field = "v";
			s = table_cell(row, &col);
			fprintf(f, "%-*s  %s\n", w, k, s);
			free(s);
			json_decref(row);
		}
		return;
	}
	if (json_is_array(doc)) {
		json_array_foreach(doc, i, v)
			render_generic(f, v);
		return;
	}
	if (json_is_null(doc))
		return;
	row = json_pack("{s:O}", "v", doc);
	col.field = "v";
	s = table_cell(row, &col);
	fprintf(f, "%s\n", s);
	free(s);
	json_decref(row);
}

static int
kind_is(const char *kind, const char *plural)
{
	size_t	len = strlen(plural);

	return (strcmp(kind, plural) == 0 ||
	    (strncmp(kind, plural, len - 1) == 0 && kind[len - 1] == '\0'));
}

/* list-routes shows only the nodes that have routes, as headscale. */
static json_t *
routed(json_t *doc)
{
	static const char	*f[] = { "approvedRoutes", "availableRoutes",
	    "subnetRoutes" };
	json_t			*out, *n;
	size_t			 i, j;

	if (!json_is_array(doc))
		return (json_incref(doc));
	out = json_array();
	json_array_foreach(doc, i, n)
		for (j = 0; j < nitems(f); j++)
			if (json_array_size(json_object_get(n, f[j])) > 0) {
				json_array_append(out, n);
				break;
			}
	return (out);
}

static void
render_nodes(FILE *f, json_t *doc, int showtags)
{
	struct column	cols[nitems(node_cols)];

	memcpy(cols, node_cols, sizeof(cols));
	if (showtags)
		cols[NODE_TAGS].drop = 0;
	table_print(f, cols, nitems(cols), doc);
}

static int
render_table(FILE *f, const char *kind, json_t *doc, int showtags)
{
	json_t	*v;

	doc = unwrap(doc);
	if (json_is_string(doc) || json_is_null(doc) ||
	    strcmp(kind, "text") == 0 || strcmp(kind, "changes") == 0)
		render_generic(f, doc);
	else if (kind_is(kind, "users"))
		table_print(f, user_cols, nitems(user_cols), doc);
	else if (kind_is(kind, "nodes"))
		render_nodes(f, doc, showtags);
	else if (strcmp(kind, "routes") == 0) {
		v = routed(doc);
		table_print(f, route_cols, nitems(route_cols), v);
		json_decref(v);
	} else if (strcmp(kind, "preauthkey") == 0 && json_is_object(doc))
		/* A new key is the one thing worth printing. */
		render_generic(f, json_object_get(doc, "key"));
	else if (kind_is(kind, "preauthkeys"))
		table_print(f, pak_cols, nitems(pak_cols), doc);
	else if (kind_is(kind, "apikeys"))
		table_print(f, apikey_cols, nitems(apikey_cols), doc);
	else if (strcmp(kind, "policy") == 0 &&
	    json_is_string(json_object_get(doc, "policy")))
		fprintf(f, "%s\n", json_string_value(json_object_get(doc,
		    "policy")));
	else
		render_generic(f, doc);
	return (0);
}

int
output_render(FILE *f, enum output_format fmt, const char *kind, json_t *doc,
    int showtags)
{
	json_t	*db;
	int	 rv = 0;

	switch (fmt) {
	case OUTPUT_JSON:
		json_dumpf(doc, f, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', f);
		break;
	case OUTPUT_JSON_LINE:
		json_dumpf(doc, f, JSON_COMPACT | JSON_ENCODE_ANY);
		fputc('\n', f);
		break;
	case OUTPUT_YAML:
		rv = render_yaml(f, doc);
		break;
	case OUTPUT_TABLE:
		rv = render_table(f, kind != NULL ? kind : "", doc, showtags);
		break;
	}
	/* health: the answer is in the document too. */
	if (kind != NULL && strcmp(kind, "health") == 0 &&
	    (db = json_object_get(doc, "databaseConnectivity")) != NULL &&
	    !json_is_true(db))
		rv = 1;
	if (fflush(f) == EOF || ferror(f))
		err(1, "stdout");
	return (rv);
}

/* A result of coordctl's own: a line, or {name: text}. */
void
output_message(FILE *f, enum output_format fmt, const char *name,
    const char *text)
{
	json_t	*doc;

	if (fmt == OUTPUT_TABLE) {
		fprintf(f, "%s\n", text);
		return;
	}
	if ((doc = json_pack("{s:s}", name, text)) == NULL)
		errx(1, "out of memory");
	output_render(f, fmt, "text", doc, 0);
	json_decref(doc);
}
