/*
 * Records as JSON in the REST API's shapes (headscale v0.29.2 protojson):
 * camelCase names, 64-bit ids as strings, RFC 3339 times, unset
 * times as null.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "apid.h"
#include "util.h"

#include "types.pb-c.h"

static json_t *
json_id(uint64_t id)
{
	char	buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, id);
	return (json_string(buf));
}

static json_t *
json_ts(int64_t t)
{
	char	buf[64];

	if (t <= 0)
		return (json_null());
	return (json_string(time_rfc3339((time_t)t, buf, sizeof(buf))));
}

static json_t *
json_str(const char *s)
{
	return (json_string(s != NULL ? s : ""));
}

json_t *
json_user(const void *arg)
{
	const Coordd__User	*u = arg;

	return (json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", json_id(u->id),
	    "name", json_str(u->name),
	    "createdAt", json_ts(u->created_at),
	    "displayName", json_str(u->display_name),
	    "email", json_str(u->email),
	    "providerId", json_str(u->provider_id),
	    "provider", json_str(u->provider),
	    "profilePicUrl", json_str(u->profile_pic_url)));
}

json_t *
json_preauthkey(const void *arg)
{
	const Coordd__PreAuthKey	*k = arg;
	json_t				*tags;
	size_t				 i;

	tags = json_array();
	for (i = 0; i < k->n_tags; i++)
		json_array_append_new(tags, json_str(k->tags[i]));
	return (json_pack("{s:o, s:o, s:o, s:b, s:b, s:b, s:o, s:o, s:o}",
	    "user", k->user != NULL ? json_user(k->user) : json_null(),
	    "id", json_id(k->id),
	    "key", json_str(k->key),
	    "reusable", k->reusable,
	    "ephemeral", k->ephemeral,
	    "used", k->used,
	    "expiration", json_ts(k->expiration),
	    "createdAt", json_ts(k->created_at),
	    "aclTags", tags));
}

json_t *
json_apikey(const void *arg)
{
	const Coordd__ApiKey	*k = arg;

	return (json_pack("{s:o, s:o, s:o, s:o, s:o}",
	    "id", json_id(k->id),
	    "prefix", json_str(k->prefix),
	    "expiration", json_ts(k->expiration),
	    "createdAt", json_ts(k->created_at),
	    "lastSeen", json_ts(k->last_seen)));
}
