/*
 * /api/v1/node: listing, one node, and the admin's changes to nodes.
 * Answers carry what the coordinator knows (online, primary routes).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apid.h"
#include "rest.h"

#include "store.pb-c.h"

#define REST_MAX_ROUTES	64

static void
rest_nodes_reply_list(struct rest_req *r)
{
	rest_reply_list(r);
}

static void
rest_nodes_list_done(struct rest_req *r)
{
	rest_nodes_state(r, rest_nodes_reply_list);
}

static void
rest_node_one_done(struct rest_req *r)
{
	rest_nodes_state(r, rest_reply_one);
}

/* Keep the nodes that have at least one of the comma-separated tags. */
static void
rest_nodes_filter_tags(struct rest_req *r, char *want)
{
	json_t	*keep, *n, *t;
	size_t	 i, j;
	char	*w, *p, buf[sizeof(r->name)];

	keep = json_array();
	json_array_foreach(r->items, i, n) {
		strlcpy(buf, want, sizeof(buf));
		for (p = buf; (w = strsep(&p, ",")) != NULL;)
			json_array_foreach(json_object_get(n, "tags"), j, t)
				if (*w != '\0' &&
				    strcmp(json_string_value(t), w) == 0)
					goto found;
		continue;
 found:
		json_array_append(keep, n);
	}
	json_decref(r->items);
	r->items = keep;
}

static void
rest_nodes_tags_done(struct rest_req *r)
{
	rest_nodes_filter_tags(r, r->name);
	rest_nodes_state(r, rest_nodes_reply_list);
}

void
rest_node_list(struct rest_req *r)
{
	Coordd__NodeQuery	 q = COORDD__NODE_QUERY__INIT;
	char			 user[256];
	int			 rv, tags;

	if ((rv = rest_query(r, "user", user, sizeof(user))) == -1)
		return (rest_error(r, 400, "invalid user"));
	q.user_name = rv == 1 ? user : "";
	/* Not headscale's: coordctl's --tags, kept server-side. */
	if ((tags = rest_query(r, "tags", r->name, sizeof(r->name))) == -1)
		return (rest_error(r, 400, "invalid tags"));
	rest_store(r, IMSG_STORE_NODE_LIST, &q.base, "nodes",
	    tags == 1 && r->name[0] != '\0' ? rest_nodes_tags_done :
	    rest_nodes_list_done);
}

void
rest_node_get(struct rest_req *r)
{
	Coordd__NodeQuery	q = COORDD__NODE_QUERY__INIT;

	if (rest_seg_id(r, 1, &q.id) == -1)
		return;
	q.user_name = "";
	rest_store(r, IMSG_STORE_NODE_LIST, &q.base, "node",
	    rest_node_one_done);
}

void
rest_node_delete(struct rest_req *r)
{
	Coordd__NodeQuery	q = COORDD__NODE_QUERY__INIT;

	if (rest_seg_id(r, 1, &q.id) == -1)
		return;
	q.user_name = "";
	rest_store(r, IMSG_STORE_NODE_DELETE, &q.base, NULL,
	    rest_reply_empty);
}

/* ?expiry=&disableExpiry= (v0.29.2), or the same in a body (main). */
void
rest_node_expire(struct rest_req *r)
{
	Coordd__NodeExpire	 m = COORDD__NODE_EXPIRE__INIT;
	char			 q[64];
	int			 rv, dis;

	if (rest_seg_id(r, 1, &m.id) == -1)
		return;
	if ((rv = rest_query(r, "expiry", q, sizeof(q))) == -1 ||
	    (rv == 1 && q[0] != '\0' && rest_parse_rfc3339(q,
	    &m.expiry) == -1))
		return (rest_error(r, 400, "expiry must be an RFC 3339 time"));
	if ((rv = rest_query(r, "disableExpiry", q, sizeof(q))) == -1 ||
	    (rv == 1 && strcmp(q, "true") != 0 && strcmp(q, "false") != 0))
		return (rest_error(r, 400, "disableExpiry must be true or "
		    "false"));
	m.disable = rv == 1 && strcmp(q, "true") == 0;
	if (m.expiry == 0 && rest_time(r, "expiry", &m.expiry) == -1)
		return;
	if ((rv = rest_bool(r, "disableExpiry", "disable_expiry", &dis)) ==
	    -1)
		return;
	if (rv == 1)
		m.disable = dis;
	rest_store(r, IMSG_STORE_NODE_EXPIRE, &m.base, "node",
	    rest_node_one_done);
}

void
rest_node_rename(struct rest_req *r)
{
	Coordd__NodeRename	m = COORDD__NODE_RENAME__INIT;

	if (rest_seg_id(r, 1, &m.id) == -1 ||
	    rest_seg(r, 3, r->name, sizeof(r->name)) == -1)
		return;
	if (r->name[0] == '\0')
		return (rest_error(r, 400, "the new name is empty"));
	m.new_name = r->name;
	rest_store(r, IMSG_STORE_NODE_RENAME, &m.base, "node",
	    rest_node_one_done);
}

void
rest_node_tags(struct rest_req *r)
{
	Coordd__NodeTags	 m = COORDD__NODE_TAGS__INIT;
	char			*tags[64];
	size_t			 n, i;

	if (rest_seg_id(r, 1, &m.id) == -1 ||
	    rest_strv(r, "tags", tags, nitems(tags), &n) == -1)
		return;
	if (n == 0)
		return (rest_error(r, 400, "tags must not be empty"));
	for (i = 0; i < n; i++)
		if (strncmp(tags[i], "tag:", 4) != 0 || tags[i][4] == '\0' ||
		    strlen(tags[i]) > 127)
			return (rest_error(r, 400, "invalid tag \"%.64s\": "
			    "tags look like tag:name", tags[i]));
	m.tags = tags;
	m.n_tags = n;
	rest_store(r, IMSG_STORE_NODE_TAGS, &m.base, "node",
	    rest_node_one_done);
}

/* A prefix in its canonical text ("10.0.0.0/24"), or -1. */
static int
rest_prefix_canon(const char *s, char *out, size_t outlen)
{
	uint8_t		 a[16];
	char		 ip[INET6_ADDRSTRLEN], *slash, *end;
	long		 bits;
	int		 af, max, i;

	if (strlcpy(ip, s, sizeof(ip)) >= sizeof(ip) ||
	    (slash = strchr(ip, '/')) == NULL)
		return (-1);
	*slash++ = '\0';
	af = strchr(ip, ':') != NULL ? AF_INET6 : AF_INET;
	max = af == AF_INET ? 32 : 128;
	bits = strtol(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || bits < 0 || bits > max ||
	    inet_pton(af, ip, a) != 1)
		return (-1);
	/* Host bits must be zero, as netip.Prefix.Masked() would make them. */
	for (i = bits; i < max; i++)
		if (a[i / 8] & (0x80 >> (i % 8)))
			return (-1);
	if (inet_ntop(af, a, ip, sizeof(ip)) == NULL)
		return (-1);
	snprintf(out, outlen, "%s/%ld", ip, bits);
	return (0);
}

void
rest_node_routes(struct rest_req *r)
{
	Coordd__NodeRoutes	 m = COORDD__NODE_ROUTES__INIT;
	char			*in[REST_MAX_ROUTES];
	char			*out[REST_MAX_ROUTES + 2];
	char			 buf[REST_MAX_ROUTES + 2][64];
	size_t			 n, i, k = 0;
	int			 exit4 = 0, exit6 = 0;

	if (rest_seg_id(r, 1, &m.id) == -1 ||
	    rest_strv(r, "routes", in, nitems(in), &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (rest_prefix_canon(in[i], buf[k], sizeof(buf[k])) == -1)
			return (rest_error(r, 400, "invalid route \"%.64s\"",
			    in[i]));
		exit4 |= strcmp(buf[k], "0.0.0.0/0") == 0;
		exit6 |= strcmp(buf[k], "::/0") == 0;
		out[k] = buf[k];
		k++;
	}
	/* An exit node serves both families: approve both halves. */
	if (exit4 && !exit6)
		out[k++] = "::/0";
	else if (exit6 && !exit4)
		out[k++] = "0.0.0.0/0";
	m.routes = out;
	m.n_routes = k;
	rest_store(r, IMSG_STORE_NODE_ROUTES, &m.base, "node",
	    rest_node_one_done);
}

/* POST /api/v1/node/{id}/user: MoveNode (before 0.28; coordctl's move). */
void
rest_node_move(struct rest_req *r)
{
	Coordd__NodeMove	m = COORDD__NODE_MOVE__INIT;
	int			rv;

	if (rest_seg_id(r, 1, &m.id) == -1 ||
	    (rv = rest_u64(r, "user", NULL, &m.user_id)) == -1)
		return;
	if (rv == 0 || m.user_id == 0 || m.user_id > INT64_MAX)
		return (rest_error(r, 400, "user is required"));
	rest_store(r, IMSG_STORE_NODE_MOVE, &m.base, "node",
	    rest_node_one_done);
}

/* headscale reports each change as a line of text. */
static void
rest_backfill_done(struct rest_req *r)
{
	json_t	*out, *n, *ip;
	size_t	 i, j;
	char	 line[512];
	int	 len;

	out = json_array();
	json_array_foreach(r->items, i, n) {
		len = snprintf(line, sizeof(line), "node %s:",
		    json_string_value(json_object_get(n, "givenName")));
		json_array_foreach(json_object_get(n, "ipAddresses"), j, ip)
			if (len > 0 && (size_t)len < sizeof(line))
				len += snprintf(line + len, sizeof(line) - len,
				    " %s", json_string_value(ip));
		json_array_append_new(out, json_string(line));
	}
	rest_reply(r, json_pack("{s:o}", "changes", out));
}

void
rest_node_backfill(struct rest_req *r)
{
	Coordd__NodeQuery	q = COORDD__NODE_QUERY__INIT;
	char			c[16];

	if (rest_query(r, "confirmed", c, sizeof(c)) != 1 ||
	    strcmp(c, "true") != 0)
		return (rest_error(r, 400, "not confirmed: this may change "
		    "addresses of nodes; pass confirmed=true"));
	q.user_name = "";
	rest_store(r, IMSG_STORE_NODE_BACKFILL, &q.base, "changes",
	    rest_backfill_done);
}
