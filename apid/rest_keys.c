/*
 * /api/v1/preauthkey and /api/v1/apikey.  A new key's secret is in the
 * answer to its creation only; stored keeps its Argon2id hash.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "apid.h"
#include "rest.h"

#include "store.pb-c.h"

#define REST_APIKEY_DAYS	90

void
rest_pak_list(struct rest_req *r)
{
	Coordd__PakQuery	 q = COORDD__PAK_QUERY__INIT;
	int			 rv;

	/* Before 0.28 lists took ?user=; headscale-ui still sends it. */
	if ((rv = rest_query(r, "user", r->name, sizeof(r->name))) == -1)
		return (rest_error(r, 400, "invalid user"));
	q.user_name = "";
	if (rv == 1 && r->name[0] != '\0' &&
	    rest_parse_id(r->name, &q.user_id) == -1)
		q.user_name = r->name;
	rest_store(r, IMSG_STORE_PAK_LIST, &q.base, "preAuthKeys",
	    rest_reply_list);
}

static int
rest_tags_valid(struct rest_req *r, char **tags, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strncmp(tags[i], "tag:", 4) != 0 || tags[i][4] == '\0' ||
		    strlen(tags[i]) > 127) {
			rest_error(r, 400, "invalid tag \"%.64s\": tags look "
			    "like tag:name", tags[i]);
			return (-1);
		}
	return (0);
}

void
rest_pak_create(struct rest_req *r)
{
	Coordd__PakCreate	 m = COORDD__PAK_CREATE__INIT;
	char			*tags[64];
	size_t			 ntags;
	int			 reusable, ephemeral;

	if (rest_u64(r, "user", NULL, &m.user_id) == -1 ||
	    rest_bool(r, "reusable", NULL, &reusable) == -1 ||
	    rest_bool(r, "ephemeral", NULL, &ephemeral) == -1 ||
	    rest_time(r, "expiration", &m.expiration) == -1 ||
	    (rest_strv(r, "aclTags", tags, nitems(tags), &ntags) == -1) ||
	    (ntags == 0 && rest_strv(r, "acl_tags", tags, nitems(tags),
	    &ntags) == -1) || rest_tags_valid(r, tags, ntags) == -1)
		return;
	if (m.user_id == 0 && ntags == 0)
		return (rest_error(r, 400, "a pre-auth key needs a user or "
		    "tags"));
	if (m.user_id > INT64_MAX)
		return (rest_error(r, 400, "invalid user id"));
	if (m.expiration != 0 && m.expiration <= time(NULL))
		return (rest_error(r, 400, "expiration is in the past"));
	m.user_name = "";
	m.reusable = reusable;
	m.ephemeral = ephemeral;
	m.tags = tags;
	m.n_tags = ntags;
	rest_store(r, IMSG_STORE_PAK_CREATE, &m.base, "preAuthKey",
	    rest_reply_one);
}

void
rest_pak_expire(struct rest_req *r)
{
	Coordd__PakQuery	q = COORDD__PAK_QUERY__INIT;
	int			rv;

	if ((rv = rest_u64(r, "id", NULL, &q.id)) == -1)
		return;
	if (rv == 0 || q.id == 0 || q.id > INT64_MAX)
		return (rest_error(r, 400, "id is required"));
	rest_store(r, IMSG_STORE_PAK_EXPIRE, &q.base, NULL,
	    rest_reply_empty);
}

void
rest_pak_delete(struct rest_req *r)
{
	Coordd__PakQuery	q = COORDD__PAK_QUERY__INIT;
	char			id[32];

	if (rest_query(r, "id", id, sizeof(id)) != 1 ||
	    rest_parse_id(id, &q.id) == -1)
		return (rest_error(r, 400, "a valid id is required"));
	rest_store(r, IMSG_STORE_PAK_DELETE, &q.base, NULL,
	    rest_reply_empty);
}

void
rest_apikey_list(struct rest_req *r)
{
	Coordd__ApiKeyQuery	q = COORDD__API_KEY_QUERY__INIT;

	rest_store(r, IMSG_STORE_APIKEY_LIST, &q.base, "apiKeys",
	    rest_reply_list);
}

void
rest_apikey_create(struct rest_req *r)
{
	Coordd__ApiKeyCreate	m = COORDD__API_KEY_CREATE__INIT;
	int			rv;

	if ((rv = rest_time(r, "expiration", &m.expiration)) == -1)
		return;
	if (rv == 0)
		m.expiration = time(NULL) + REST_APIKEY_DAYS * 86400LL;
	else if (m.expiration <= time(NULL))
		return (rest_error(r, 400, "expiration is in the past"));
	rest_store(r, IMSG_STORE_APIKEY_CREATE, &m.base, "apiKey",
	    rest_reply_one);
}

/* One of id and prefix, as headscale insists. */
static int
rest_apikey_ref(struct rest_req *r, int hasid, const char *prefix)
{
	if (hasid && prefix != NULL && prefix[0] != '\0') {
		rest_error(r, 400, "give either id or prefix, not both");
		return (-1);
	}
	if (!hasid && (prefix == NULL || prefix[0] == '\0')) {
		rest_error(r, 400, "id or prefix is required");
		return (-1);
	}
	return (0);
}

void
rest_apikey_expire(struct rest_req *r)
{
	Coordd__ApiKeyQuery	 q = COORDD__API_KEY_QUERY__INIT;
	const char		*prefix;
	int			 hasid;

	if ((hasid = rest_u64(r, "id", NULL, &q.id)) == -1 ||
	    rest_str(r, "prefix", NULL, &prefix) == -1)
		return;
	if (rest_apikey_ref(r, hasid, prefix) == -1)
		return;
	if (hasid && (q.id == 0 || q.id > INT64_MAX))
		return (rest_error(r, 400, "invalid id"));
	q.prefix = (char *)(prefix != NULL ? prefix : "");
	q.key = "";
	rest_store(r, IMSG_STORE_APIKEY_EXPIRE, &q.base, NULL,
	    rest_reply_empty);
}

/* DELETE /api/v1/apikey/{prefix}, or with ?id= alone. */
void
rest_apikey_delete(struct rest_req *r)
{
	Coordd__ApiKeyQuery	 q = COORDD__API_KEY_QUERY__INIT;
	char			 id[32];
	int			 hasid;

	if ((hasid = rest_query(r, "id", id, sizeof(id))) == -1)
		return (rest_error(r, 400, "invalid id"));
	if (hasid && id[0] == '\0')
		hasid = 0;
	if (hasid && rest_parse_id(id, &q.id) == -1)
		return (rest_error(r, 400, "invalid id"));
	if (r->nsegs > 1 && rest_seg(r, 1, r->name, sizeof(r->name)) == -1)
		return;
	if (rest_apikey_ref(r, hasid, r->name) == -1)
		return;
	q.prefix = r->name;
	q.key = "";
	rest_store(r, IMSG_STORE_APIKEY_DELETE, &q.base, NULL,
	    rest_reply_empty);
}
