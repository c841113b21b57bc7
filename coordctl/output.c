/*
 * Rendering of coordd's answers: JSON as received (the REST API's
 * shapes), the same document as YAML, or a table that fits 80 columns.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <yaml.h>

#include "coordctl.h"

struct column {
	const char	*title;
	const char	*field;		/* "user.name" reaches one level */
	int		 width;
};

static const struct column user_cols[] = {
	{ "ID", "id", 5 }, { "Name", "name", 16 },
	{ "Username", "displayName", 16 }, { "Email", "email", 20 },
	{ "Created", "createdAt", 20 }, { NULL, NULL, 0 }
};

static const struct column pak_cols[] = {
	{ "ID", "id", 4 }, { "Key/Prefix", "key", 24 },
	{ "Reusable", "reusable", 8 }, { "Ephemeral", "ephemeral", 9 },
	{ "Used", "used", 5 }, { "Expiration", "expiration", 20 },
	{ "Owner", "user.name", 10 }, { NULL, NULL, 0 }
};

static const struct column apikey_cols[] = {
	{ "ID", "id", 4 }, { "Prefix", "prefix", 26 },
	{ "Expiration", "expiration", 20 }, { "Created", "createdAt", 20 },
	{ NULL, NULL, 0 }
};

static const struct column node_cols[] = {
	{ "ID", "id", 4 }, { "Hostname", "name", 12 },
	{ "Name", "givenName", 12 }, { "User", "user.name", 10 },
	{ "IP addresses", "ipAddresses", 29 }, { "Expired", "=expired", 7 },
	{ NULL, NULL, 0 }
};

/* Whether an RFC 3339 time ("...Z") is in the past; null is never. */
static json_t *
expired(json_t *v)
{
	struct tm	 tm;
	const char	*end;

	if (!json_is_string(v))
		return (json_false());
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(json_string_value(v), "%Y-%m-%dT%H:%M:%S",
	    &tm)) == NULL)
		return (json_true());
	return (json_boolean(timegm(&tm) <= time(NULL)));
}

static json_t *
field_get(json_t *obj, const char *field)
{
	static json_t	*computed;
	char		 head[64];
	const char	*dot;

	if (strcmp(field, "=expired") == 0) {
		json_decref(computed);
		computed = expired(json_object_get(obj, "expiry"));
		return (computed);
	}

	if ((dot = strchr(field, '.')) == NULL)
		return (json_object_get(obj, field));
	snprintf(head, sizeof(head), "%.*s", (int)(dot - field), field);
	return (json_object_get(json_object_get(obj, head), dot + 1));
}

static void
cell(FILE *f, json_t *v, int width)
{
	char	buf[128];
	json_t	*e;
	size_t	 i;

	if (json_is_array(v) && json_array_size(v) > 0 &&
	    json_is_string(json_array_get(v, 0))) {
		buf[0] = '\0';
		json_array_foreach(v, i, e) {
			if (i > 0)
				strlcat(buf, ", ", sizeof(buf));
			strlcat(buf, json_string_value(e) ?: "", sizeof(buf));
		}
	} else if (json_is_string(v))
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "true" :
		    "false");
	else if (json_is_array(v) && json_array_size(v) > 0)
		snprintf(buf, sizeof(buf), "%zu", json_array_size(v));
	else
		buf[0] = '\0';
	/* Times lose their "T" and "Z" in tables, as in headscale. */
	if (strlen(buf) == 20 && buf[10] == 'T' && buf[19] == 'Z') {
		buf[10] = ' ';
		buf[19] = '\0';
	}
	fprintf(f, "%-*.*s ", width, width, buf);
}

static int
render_table(FILE *f, const struct column *cols, json_t *doc)
{
	json_t	*row;
	size_t	 i;
	int	 c;

	for (c = 0; cols[c].title != NULL; c++)
		fprintf(f, "%-*s ", cols[c].width, cols[c].title);
	fputc('\n', f);
	if (json_is_object(doc)) {
		for (c = 0; cols[c].title != NULL; c++)
			cell(f, field_get(doc, cols[c].field), cols[c].width);
		fputc('\n', f);
		return (0);
	}
	json_array_foreach(doc, i, row) {
		for (c = 0; cols[c].title != NULL; c++)
			cell(f, field_get(row, cols[c].field), cols[c].width);
		fputc('\n', f);
	}
	return (0);
}

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

int
output_render(FILE *f, enum output_format fmt, const char *kind, json_t *doc)
{
	switch (fmt) {
	case OUTPUT_JSON:
		json_dumpf(doc, f, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fputc('\n', f);
		return (0);
	case OUTPUT_YAML:
		return (render_yaml(f, doc));
	case OUTPUT_TABLE:
		break;
	}
	if (strcmp(kind, "user") == 0 || strcmp(kind, "users") == 0)
		return (render_table(f, user_cols, doc));
	if (strcmp(kind, "preauthkey") == 0 && json_is_object(doc)) {
		/* A new key is the one thing worth printing. */
		fprintf(f, "%s\n", json_string_value(json_object_get(doc,
		    "key")));
		return (0);
	}
	if (strcmp(kind, "preauthkeys") == 0)
		return (render_table(f, pak_cols, doc));
	if (strcmp(kind, "apikeys") == 0)
		return (render_table(f, apikey_cols, doc));
	if (strcmp(kind, "node") == 0 || strcmp(kind, "nodes") == 0)
		return (render_table(f, node_cols, doc));
	if (json_is_string(doc))
		fprintf(f, "%s\n", json_string_value(doc));
	return (0);
}
