/*
 * DERP maps from derp.urls.  authd fetches them (the parent makes no
 * outbound connections) and sends each document here; the parent checks
 * it, keeps the last good one per URL, rebuilds the map clients get
 * (fetched maps first, then derp.paths, then the embedded region) and,
 * when that changed, pushes the config to the coordinator again, as
 * SIGHUP does.  The documents are kept for SIGHUP's rebuild too.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clientcfg.h"
#include "config.h"
#include "coordd.h"
#include "log.h"
#include "proc.h"
#include "util.h"

#include "parent.pb-c.h"

#define PD_MAX_DOCS	16	/* URLs whose documents are kept */
/* A document and its URL, packed, with room for the protobuf framing. */
#define PD_MAX_MSG	(CLIENTCFG_MAX_FILE + 8192)

struct pd_doc {
	char	*url;
	char	*json;
};

static struct pd_doc	 pd_docs[PD_MAX_DOCS];
static struct chunkbuf	 pd_chunks;
static uint32_t		 pd_chunkid;	/* the peerid of every chunk */
static int		 pd_overflow;

static int	 pd_url_index(const struct config *, const char *);
static void	 pd_prune(const struct config *);
static int	 pd_store(const char *, const char *);
static void	 pd_received(struct parent *);

/* The position of url in derp.urls, or -1. */
static int
pd_url_index(const struct config *conf, const char *url)
{
	size_t	i;

	for (i = 0; i < conf->derp_urls.n && i < PD_MAX_DOCS; i++)
		if (strcmp(conf->derp_urls.v[i], url) == 0)
			return ((int)i);
	return (-1);
}

/* Forget documents of URLs the config no longer names. */
static void
pd_prune(const struct config *conf)
{
	size_t	i;

	for (i = 0; i < PD_MAX_DOCS; i++) {
		if (pd_docs[i].url == NULL ||
		    pd_url_index(conf, pd_docs[i].url) != -1)
			continue;
		free(pd_docs[i].url);
		free(pd_docs[i].json);
		pd_docs[i].url = NULL;
		pd_docs[i].json = NULL;
	}
}

/* Keep json as url's document: 1 if it changed, 0 if not, -1 on error. */
static int
pd_store(const char *url, const char *json)
{
	struct pd_doc	*d = NULL;
	char		*nurl, *njson;
	size_t		 i;

	for (i = 0; i < PD_MAX_DOCS; i++)
		if (pd_docs[i].url != NULL && strcmp(pd_docs[i].url, url) == 0)
			d = &pd_docs[i];
	if (d != NULL && strcmp(d->json, json) == 0)
		return (0);
	for (i = 0; d == NULL && i < PD_MAX_DOCS; i++)
		if (pd_docs[i].url == NULL)
			d = &pd_docs[i];
	if (d == NULL)
		return (-1);
	if ((njson = strdup(json)) == NULL)
		return (-1);
	if (d->url == NULL && (nurl = strdup(url)) == NULL) {
		free(njson);
		return (-1);
	}
	if (d->url == NULL)
		d->url = nurl;
	free(d->json);
	d->json = njson;
	return (1);
}

/*
 * The DERP map of conf with the documents fetched so far: what
 * parent_config_load builds, at startup (none yet) and on SIGHUP.
 */
char *
parent_derp_build(const struct config *conf, char *err, size_t errlen)
{
	const char	*docs[PD_MAX_DOCS];
	char		*s;
	size_t		 i, j, n;

	n = MINIMUM(conf->derp_urls.n, PD_MAX_DOCS);
	for (i = 0; i < n; i++) {
		docs[i] = NULL;
		for (j = 0; j < PD_MAX_DOCS; j++)
			if (pd_docs[j].url != NULL &&
			    strcmp(pd_docs[j].url, conf->derp_urls.v[i]) == 0)
				docs[i] = pd_docs[j].json;
	}
	if ((s = derpmap_build_with(conf, docs, n, err, errlen)) != NULL &&
	    errlen > 0 && *err != '\0') {
		log_warnx("DERP map: %s", err);
		*err = '\0';
	}
	return (s);
}

/* A whole DerpMapFetch arrived: check it, keep it, rebuild, push. */
static void
pd_received(struct parent *p)
{
	Coordd__DerpMapFetch	*msg;
	struct imsg		 fake;
	char			*json = NULL, *map, err[1024];

	memset(&fake, 0, sizeof(fake));
	fake.data = pd_chunks.buf;
	fake.datalen = pd_chunks.len;
	msg = pb_unpack(&coordd__derp_map_fetch__descriptor, &fake);
	chunkbuf_reset(&pd_chunks);
	if (msg == NULL) {
		log_warnx("authd: a DERP map message that does not parse");
		return;
	}
	pd_prune(p->conf);
	if (pd_url_index(p->conf, msg->url) == -1) {
		log_debug("DERP map from %s: no longer in derp.urls",
		    msg->url);
		goto out;
	}
	if (msg->json.len > CLIENTCFG_MAX_FILE ||
	    (json = malloc(msg->json.len + 1)) == NULL) {
		log_warnx("derp.urls %s: document too large, keeping the "
		    "last good map", msg->url);
		goto out;
	}
	memcpy(json, msg->json.data, msg->json.len);
	json[msg->json.len] = '\0';
	if (strlen(json) != msg->json.len) {
		log_warnx("derp.urls %s: document contains a NUL byte, "
		    "keeping the last good map", msg->url);
		goto out;
	}
	if (derpmap_check(msg->url, json, err, sizeof(err)) == -1) {
		log_warnx("derp.urls: %s; keeping the last good map", err);
		goto out;
	}
	switch (pd_store(msg->url, json)) {
	case -1:
		log_warnx("derp.urls %s: cannot keep the document",
		    msg->url);
		goto out;
	case 0:
		log_debug("DERP map from %s unchanged", msg->url);
		goto out;
	}
	if ((map = parent_derp_build(p->conf, err, sizeof(err))) == NULL) {
		log_warnx("DERP map not rebuilt: %s", err);
		goto out;
	}
	if (p->conf->derp_map_json != NULL &&
	    strcmp(map, p->conf->derp_map_json) == 0) {
		free(map);
		goto out;
	}
	free(p->conf->derp_map_json);
	p->conf->derp_map_json = map;
	p->generation++;
	log_info("DERP map updated from %s", msg->url);
	if (p->children[PROC_COORD].running &&
	    parent_send_config(p, &p->children[PROC_COORD]) == -1)
		log_warn("cannot send the new DERP map to the coordinator");
 out:
	free(json);
	pb_free(msg);
}

/* IMSG_AUTH_DERPMAP and its DONE, from authd only. */
void
parent_derp_dispatch(struct parent *p, struct imsgev *iev, struct imsg *imsg)
{
	if (iev != &p->children[PROC_AUTH].iev) {
		log_warnx("%s: unexpected DERP map, ignored", iev->name);
		return;
	}
	if (pd_chunks.max == 0)
		chunkbuf_init(&pd_chunks, PD_MAX_MSG);
	/*
	 * authd picks a random id per document: the leftovers of one cut
	 * short by an authd restart never prefix the next.
	 */
	if (imsg->hdr.peerid != pd_chunkid) {
		chunkbuf_reset(&pd_chunks);
		pd_chunkid = imsg->hdr.peerid;
		pd_overflow = imsg->hdr.type != IMSG_AUTH_DERPMAP;
	}
	switch (imsg->hdr.type) {
	case IMSG_AUTH_DERPMAP:
		if (pd_overflow)
			break;
		if (chunkbuf_add(&pd_chunks, imsg->data, imsg->datalen) ==
		    -1) {
			log_warnx("authd: DERP map larger than %d bytes, "
			    "ignored", PD_MAX_MSG);
			chunkbuf_reset(&pd_chunks);
			pd_overflow = 1;
		}
		break;
	case IMSG_AUTH_DERPMAP_DONE:
		if (!pd_overflow)
			pd_received(p);
		pd_overflow = 0;
		chunkbuf_reset(&pd_chunks);
		break;
	}
}
