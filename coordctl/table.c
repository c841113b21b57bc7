/*
 * Tables that fit the terminal (80 columns when it is not one).  Each
 * column has the width of its widest cell; when the line is too long,
 * the least useful columns go first, then long cells are cut with an
 * ellipsis, widest column first, down to each column's minimum.
 */
#include <sys/ioctl.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "compat.h"
#include "coordctl.h"

#define TABLE_GAP	2
#define TABLE_MIN	20
#define TABLE_MAX	1000

int
table_width(void)
{
	struct winsize	 ws;
	const char	*errstr, *s;
	int		 w;

	if (isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return (MAXIMUM(ws.ws_col, TABLE_MIN));
	if ((s = getenv("COLUMNS")) != NULL) {
		w = strtonum(s, TABLE_MIN, TABLE_MAX, &errstr);
		if (errstr == NULL)
			return (w);
	}
	return (80);
}

/* Width in columns of UTF-8 text: one per character. */
static int
text_width(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		if ((*s & 0xc0) != 0x80)
			n++;
	return (n);
}

static int
utf8_locale(void)
{
	const char	*v[] = { "LC_ALL", "LC_CTYPE", "LANG" };
	const char	*s;
	size_t		 i;

	for (i = 0; i < nitems(v); i++)
		if ((s = getenv(v[i])) != NULL && *s != '\0')
			return (strcasestr(s, "utf-8") != NULL ||
			    strcasestr(s, "utf8") != NULL);
	return (0);
}

/*
 * Cut s to w columns, the last ones an ellipsis: one character in a
 * UTF-8 locale, else three dots.  s has room for three more bytes.
 */
static void
text_cut(char *s, int w)
{
	const char	*ell = utf8_locale() ? "\xe2\x80\xa6" : "...";
	char		*p;
	int		 n = 0, keep;

	if (text_width(s) <= w)
		return;
	keep = w - text_width(ell);
	if (keep < 1) {
		keep = w;
		ell = "";
	}
	for (p = s; *p != '\0'; p++)
		if ((*p & 0xc0) != 0x80 && n++ == keep)
			break;
	*p = '\0';
	strlcat(s, ell, strlen(s) + strlen(ell) + 1);
}

/* "2026-11-22T04:14:02.5+01:00" in UTC as "2026-11-22 03:14:02". */
static int
time_show(const char *s, char *buf, size_t len)
{
	struct tm	 tm;
	const char	*p;
	time_t		 t;
	int		 off = 0, sign;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (-1);
	if (*p == '.')
		while (*++p >= '0' && *p <= '9')
			;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (strlen(p) != 6 || p[3] != ':')
			return (-1);
		off = sign * (atoi(p + 1) * 3600 + atoi(p + 4) * 60);
	} else if (*p != 'Z' && *p != 'z')
		return (-1);
	t = timegm(&tm) - off;
	if (gmtime_r(&t, &tm) == NULL)
		return (-1);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return (0);
}

static int
time_past(const char *s)
{
	char		 buf[32];
	struct tm	 tm;

	if (time_show(s, buf, sizeof(buf)) == -1)
		return (1);
	memset(&tm, 0, sizeof(tm));
	strptime(buf, "%Y-%m-%d %H:%M:%S", &tm);
	return (timegm(&tm) <= time(NULL));
}

static json_t *
field_get(json_t *obj, const char *field)
{
	char		 head[64];
	const char	*dot;

	if ((dot = strchr(field, '.')) == NULL)
		return (json_object_get(obj, field));
	snprintf(head, sizeof(head), "%.*s", (int)(dot - field), field);
	return (json_object_get(json_object_get(obj, head), dot + 1));
}

static char *
scalar_text(json_t *v)
{
	char	*s = NULL;

	if (json_is_string(v))
		s = strdup(json_string_value(v));
	else if (json_is_true(v))
		s = strdup("true");
	else if (json_is_false(v))
		s = strdup("false");
	else if (json_is_null(v) || v == NULL)
		s = strdup("");
	else
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (s == NULL)
		err(1, NULL);
	return (s);
}

static char *
list_text(json_t *v)
{
	char	*s, *e, *t;
	json_t	*x;
	size_t	 i;

	if (!json_is_array(v))
		return (scalar_text(v));
	if ((s = strdup("")) == NULL)
		err(1, NULL);
	json_array_foreach(v, i, x) {
		e = scalar_text(x);
		if (asprintf(&t, "%s%s%s", s, i > 0 ? ", " : "", e) == -1)
			err(1, NULL);
		free(s);
		free(e);
		s = t;
	}
	return (s);
}

/* The text of one cell; missing fields are empty. */
char *
table_cell(json_t *row, const struct column *c)
{
	json_t	*v = field_get(row, c->field);
	char	 buf[32];

	switch (c->type) {
	case COL_TIME:
		if (json_is_string(v) && time_show(json_string_value(v), buf,
		    sizeof(buf)) == 0)
			return (strdup(buf));
		break;
	case COL_LIST:
		return (list_text(v));
	case COL_EXPIRED:
		/* No expiry, or one that cannot be read: not expired. */
		return (strdup(json_is_string(v) &&
		    time_past(json_string_value(v)) ? "true" : "false"));
	case COL_OWNER:
		if (json_is_string(field_get(row, "user.name")))
			return (scalar_text(field_get(row, "user.name")));
		return (list_text(v));
	case COL_EPHEMERAL:
		return (strdup(json_is_true(v) ? "true" : "false"));
	case COL_BOOL:
		if (v == NULL || json_is_null(v))
			return (strdup("false"));
		break;
	}
	return (scalar_text(v));
}

struct layout {
	const struct column	*cols;
	size_t			 ncols;
	char			***cells;	/* [row][col] */
	size_t			 nrows;
	int			*width;		/* -1: dropped */
};

static int
line_width(struct layout *l)
{
	size_t	c;
	int	w = 0, n = 0;

	for (c = 0; c < l->ncols; c++)
		if (l->width[c] >= 0) {
			w += l->width[c];
			n++;
		}
	return (w + TABLE_GAP * (n > 0 ? n - 1 : 0));
}

/* The width a column cannot go under: its minimum, or all of it. */
static int
col_floor(struct layout *l, size_t c)
{
	if (l->cols[c].min == 0)
		return (l->width[c]);
	return (MINIMUM(l->width[c], l->cols[c].min));
}

static int
floor_width(struct layout *l)
{
	size_t	c;
	int	w = 0, n = 0;

	for (c = 0; c < l->ncols; c++)
		if (l->width[c] >= 0) {
			w += col_floor(l, c);
			n++;
		}
	return (w + TABLE_GAP * (n > 0 ? n - 1 : 0));
}

/* Whether no row has anything in this column. */
static int
col_empty(struct layout *l, size_t c)
{
	size_t	r;

	for (r = 0; r < l->nrows; r++)
		if (l->cells[r][c][0] != '\0')
			return (0);
	return (1);
}

/*
 * Drop the column with the largest drop rank of at least from, or only
 * among empty ones; 0 when none is left.
 */
static int
drop_one(struct layout *l, int empty, int from)
{
	size_t	c, worst = 0;
	int	rank = 0;

	for (c = 0; c < l->ncols; c++)
		if (l->width[c] >= 0 && l->cols[c].drop > rank &&
		    l->cols[c].drop >= from && (!empty || col_empty(l, c))) {
			rank = l->cols[c].drop;
			worst = c;
		}
	if (rank == 0)
		return (0);
	l->width[worst] = -1;
	return (1);
}

/* Narrow the widest column that may still give up a character. */
static int
squeeze_one(struct layout *l)
{
	size_t	c, best = 0;
	int	w = 0;

	for (c = 0; c < l->ncols; c++)
		if (l->width[c] >= 0 && l->cols[c].min > 0 &&
		    l->width[c] > l->cols[c].min && l->width[c] > w) {
			w = l->width[c];
			best = c;
		}
	if (w == 0)
		return (0);
	l->width[best]--;
	return (1);
}

static void
layout_fit(struct layout *l, int max)
{
	size_t	c, r;
	int	w;

	for (c = 0; c < l->ncols; c++) {
		l->width[c] = text_width(l->cols[c].title);
		for (r = 0; r < l->nrows; r++)
			if ((w = text_width(l->cells[r][c])) > l->width[c])
				l->width[c] = w;
	}
	/* An empty column is the cheapest to lose, then an optional one. */
	while (line_width(l) > max && drop_one(l, 1, 1))
		;
	while (line_width(l) > max && drop_one(l, 0, DROP_OPTIONAL))
		;
	while (floor_width(l) > max && drop_one(l, 0, 1))
		;
	while (line_width(l) > max && squeeze_one(l))
		;
}

static void
print_row(FILE *f, struct layout *l, const char **text)
{
	char	*s;
	size_t	 c, last = 0;
	int	 first = 1, pad;

	for (c = 0; c < l->ncols; c++)
		if (l->width[c] >= 0)
			last = c;
	for (c = 0; c < l->ncols; c++) {
		if (l->width[c] < 0)
			continue;
		if ((s = malloc(strlen(text[c]) + 4)) == NULL)
			err(1, NULL);
		strlcpy(s, text[c], strlen(text[c]) + 4);
		text_cut(s, l->width[c]);
		pad = c == last ? 0 : l->width[c] - text_width(s);
		fprintf(f, "%*s%s%*s", first ? 0 : TABLE_GAP, "", s,
		    MAXIMUM(pad, 0), "");
		first = 0;
		free(s);
	}
	fputc('\n', f);
}

/* A table of the rows of doc, an array of objects or one object. */
void
table_print(FILE *f, const struct column *cols, size_t ncols, json_t *doc)
{
	struct layout	  l;
	const char	**titles;
	json_t		 *row;
	size_t		  r, c;

	memset(&l, 0, sizeof(l));
	l.cols = cols;
	l.ncols = ncols;
	l.nrows = json_is_array(doc) ? json_array_size(doc) : 1;
	if ((l.cells = calloc(l.nrows + 1, sizeof(*l.cells))) == NULL ||
	    (l.width = calloc(ncols, sizeof(*l.width))) == NULL ||
	    (titles = calloc(ncols, sizeof(*titles))) == NULL)
		err(1, NULL);
	for (r = 0; r < l.nrows; r++) {
		row = json_is_array(doc) ? json_array_get(doc, r) : doc;
		if ((l.cells[r] = calloc(ncols, sizeof(char *))) == NULL)
			err(1, NULL);
		for (c = 0; c < ncols; c++)
			if ((l.cells[r][c] = table_cell(row, &cols[c])) ==
			    NULL)
				err(1, NULL);
	}
	for (c = 0; c < ncols; c++)
		titles[c] = cols[c].title;
	layout_fit(&l, table_width());
	print_row(f, &l, titles);
	for (r = 0; r < l.nrows; r++) {
		print_row(f, &l, (const char **)l.cells[r]);
		for (c = 0; c < ncols; c++)
			free(l.cells[r][c]);
		free(l.cells[r]);
	}
	free(l.cells);
	free(l.width);
	free(titles);
}
