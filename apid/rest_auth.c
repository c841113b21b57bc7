/*
 * API keys on REST requests.  stored compares the key with its Argon2id
 * hash; apid only carries it.  A request without a key is checked too,
 * with a dummy key that cannot match, so that "no key" and "wrong key"
 * take the same time.  Failed checks spend tokens of a per-source
 * bucket; an empty bucket answers 429 without asking stored at all,
 * and each such refusal spends a token too (down to -AUTH_BURST), so a
 * source that keeps guessing stays held off instead of getting one try
 * a second.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "apid.h"
#include "log.h"
#include "rest.h"

#include "store.pb-c.h"

#define AUTH_SLOTS	1024
#define AUTH_RATE	1.0	/* failed checks per second, refilled */
#define AUTH_BURST	10.0
#define AUTH_KEY_MAX	255

/* Well formed, so stored does the same work as for a wrong key. */
static const char auth_dummy[] = "hskey-api-AAAAAAAAAAAA-"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

struct auth_slot {
	double		tokens;
	time_t		last;
	int		used;
};

static struct auth_slot	auth_slots[AUTH_SLOTS];
static uint8_t		auth_hkey[crypto_shorthash_KEYBYTES];
static int		auth_keyed;

static struct auth_slot *
auth_slot(const char *src)
{
	uint8_t		h[crypto_shorthash_BYTES];
	uint64_t	idx;
	struct auth_slot *s;
	time_t		now = time(NULL);

	if (!auth_keyed) {
		crypto_shorthash_keygen(auth_hkey);
		auth_keyed = 1;
	}
	crypto_shorthash(h, (const uint8_t *)src, strlen(src), auth_hkey);
	memcpy(&idx, h, sizeof(idx));
	s = &auth_slots[idx % AUTH_SLOTS];
	if (!s->used) {
		s->used = 1;
		s->tokens = AUTH_BURST;
	} else if (now > s->last) {
		s->tokens += (double)(now - s->last) * AUTH_RATE;
		if (s->tokens > AUTH_BURST)
			s->tokens = AUTH_BURST;
	}
	s->last = now;
	return (s);
}

struct auth_ctx {
	struct rest_req	*r;
	int		 dummy;
};

static void
auth_reply_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct auth_ctx	*a = arg;
	struct rest_req	*r = a->r;
	char		 err[256];
	int		 st = CTL_ERR_UNAVAILABLE, dummy = a->dummy;

	free(a);
	if (imsg != NULL && imsg->hdr.type == IMSG_RESULT &&
	    pb_result(imsg, &st, err, sizeof(err)) == -1)
		st = CTL_ERR_INTERNAL;
	if (imsg == NULL || st == CTL_ERR_UNAVAILABLE ||
	    st == CTL_ERR_INTERNAL)
		return (rest_error(r, 503, "cannot check the API key now"));
	if (st == CTL_OK && !dummy)
		return (rest_authorized(r));
	auth_slot(r->remote)->tokens -= 1.0;
	log_info("rest: %s: %s API key", r->remote, dummy ? "no" : "wrong");
	rest_error(r, 401, "Unauthorized");
}

/* The key of "Authorization: Bearer <key>", or NULL. */
static const char *
auth_bearer(const char *h)
{
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return (NULL);
	h += 7;
	while (*h == ' ')
		h++;
	if (*h == '\0' || strlen(h) > AUTH_KEY_MAX)
		return (NULL);
	return (h);
}

void
rest_auth(struct rest_req *r)
{
	Coordd__ApiKeyQuery	 q = COORDD__API_KEY_QUERY__INIT;
	struct auth_ctx		*a;
	struct auth_slot	*s;
	const char		*key = auth_bearer(r->auth);

	s = auth_slot(r->remote);
	if (s->tokens < 1.0) {
		if (s->tokens > -AUTH_BURST)
			s->tokens -= 1.0;
		log_info("rest: %s: too many failed API key checks",
		    r->remote);
		return (rest_error(r, 429, "too many failed API key checks"));
	}
	if (apid_env->store == NULL)
		return (rest_error(r, 503, "stored is not available"));
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (rest_error(r, 500, "out of memory"));
	a->r = r;
	a->dummy = key == NULL;
	q.key = (char *)(key != NULL ? key : auth_dummy);
	if (imsgev_request(apid_env->store, IMSG_STORE_APIKEY_CHECK, -1,
	    &q.base, REST_STORE_TIMEOUT_MS, auth_reply_cb, a) == -1) {
		free(a);
		return (rest_error(r, 503, "cannot reach stored"));
	}
}
