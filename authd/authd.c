/*
 * authd: the one process allowed outbound HTTP(S).  It fetches the
 * derp.urls DERP maps for the parent, at startup and then every
 * derp.update_frequency when derp.auto_update_enabled is true; OIDC
 * comes later.  It connects to its parent and the coordinator, drops
 * privileges, and waits.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event.h>

#include "clientcfg.h"
#include "compat.h"
#include "config.h"
#include "log.h"
#include "proc.h"

#include "parent.pb-c.h"

#define FETCH_MAX_BODY		CLIENTCFG_MAX_FILE	/* bytes */
#define FETCH_TIMEOUT_SEC	10
#define FETCH_MAX_REDIRS	5
#define FETCH_POLL_MS		20	/* curl_multi_perform while busy */
#define FETCH_CHUNK		(60 * 1024)	/* per imsg to the parent */

/* One transfer of a derp.urls document. */
struct fetch {
	CURL		*easy;
	char		*url;
	char		*body;
	size_t		 len;
	int		 toobig;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct authd {
	struct config	*conf;
	struct imsgev	*coord;
	int		 privdropped;
	CURLM		*multi;
	int		 nfetch;	/* transfers under way */
	struct event	 derp_timer;	/* the next round */
	struct event	 poll_timer;	/* drives the transfers */
};

static struct authd	 authd;

static void
authd_dispatch_coord(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	if (imsg == NULL) {
		log_debug("lost the coordinator");
		if (authd.coord == iev)
			authd.coord = NULL;
		free(iev);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_AUTH_PING:
		imsgev_compose(iev, IMSG_AUTH_PING, imsg->hdr.peerid |
		    IMSG_REPLY_BIT, -1, imsg->data, imsg->datalen);
		break;
	default:
		log_warnx("coordinator: unexpected imsg %u, disconnecting",
		    imsg->hdr.type);
		imsgev_close(iev);
		break;
	}
}

static void
authd_peer(enum proc_id id, int fd)
{
	if (id != PROC_COORD)
		fatalx("no channel to %s expected", proc_name(id));
	proc_peer_open(&authd.coord, id, fd, authd_dispatch_coord, NULL);
}

/* Keep at most FETCH_MAX_BODY bytes; more aborts the transfer. */
static size_t
fetch_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = size * nmemb;
	char		*nbody;

	if (n > FETCH_MAX_BODY - f->len) {
		f->toobig = 1;
		return (0);
	}
	if ((nbody = realloc(f->body, f->len + n + 1)) == NULL)
		return (0);
	f->body = nbody;
	memcpy(f->body + f->len, data, n);
	f->len += n;
	f->body[f->len] = '\0';
	return (n);
}

static void
fetch_free(struct fetch *f)
{
	if (f->easy != NULL) {
		curl_multi_remove_handle(authd.multi, f->easy);
		curl_easy_cleanup(f->easy);
	}
	free(f->url);
	free(f->body);
	free(f);
}

/*
 * The document to the parent, as chunks of a packed DerpMapFetch under
 * one random id, closed by IMSG_AUTH_DERPMAP_DONE.
 */
static void
fetch_send(struct fetch *f)
{
	Coordd__DerpMapFetch	 msg = COORDD__DERP_MAP_FETCH__INIT;
	struct imsgev		*iev = proc_parent_iev();
	uint8_t			*buf;
	size_t			 len, off, part;
	uint32_t		 id;

	msg.url = f->url;
	msg.json.data = (uint8_t *)f->body;
	msg.json.len = f->len;
	if ((buf = pb_pack(&msg.base, &len)) == NULL)
		fatal("%s: pb_pack", __func__);
	do {
		id = arc4random() & ~IMSG_REPLY_BIT;
	} while (id == 0);
	for (off = 0; off < len; off += part) {
		part = MINIMUM(len - off, FETCH_CHUNK);
		if (imsgev_compose(iev, IMSG_AUTH_DERPMAP, id, -1, buf + off,
		    part) == -1)
			break;
	}
	if (off < len || imsgev_compose(iev, IMSG_AUTH_DERPMAP_DONE, id, -1,
	    NULL, 0) == -1)
		log_warn("derp.urls %s: cannot send the map to the parent",
		    f->url);
	free(buf);
}

/* A transfer ended: send a good document, warn about anything else. */
static void
fetch_done(struct fetch *f, CURLcode res)
{
	long	code = 0;

	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
	if (f->toobig)
		log_warnx("derp.urls %s: larger than %d bytes; keeping the "
		    "last good map", f->url, FETCH_MAX_BODY);
	else if (res != CURLE_OK)
		log_warnx("derp.urls %s: %s; keeping the last good map",
		    f->url, *f->errbuf ? f->errbuf : curl_easy_strerror(res));
	else if (code != 200)
		log_warnx("derp.urls %s: HTTP status %ld; keeping the last "
		    "good map", f->url, code);
	else if (f->len == 0)
		log_warnx("derp.urls %s: empty body; keeping the last good "
		    "map", f->url);
	else {
		log_debug("derp.urls %s: %zu bytes", f->url, f->len);
		fetch_send(f);
	}
}

static void
fetch_poll(int fd, short event, void *arg)
{
	struct timeval	 tv = { 0, FETCH_POLL_MS * 1000 };
	struct fetch	*f;
	CURLMsg		*m;
	int		 running, left;

	curl_multi_perform(authd.multi, &running);
	while ((m = curl_multi_info_read(authd.multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		f = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &f);
		if (f == NULL)
			continue;
		fetch_done(f, m->data.result);
		fetch_free(f);
		authd.nfetch--;
	}
	if (authd.nfetch > 0)
		evtimer_add(&authd.poll_timer, &tv);
}

static int
fetch_start(const char *url)
{
	struct fetch	*f;
	CURL		*e;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->url = strdup(url)) == NULL ||
	    (f->easy = e = curl_easy_init()) == NULL)
		goto fail;
	/* http and https only, here and after a redirect; bounded. */
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXREDIRS,
	    (long)FETCH_MAX_REDIRS) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)FETCH_TIMEOUT_SEC) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)FETCH_MAX_BODY) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, "coordd") != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, f) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->errbuf) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, f) != CURLE_OK) {
		log_warnx("derp.urls %s: not a URL libcurl can fetch", url);
		fetch_free(f);
		return (-1);
	}
	if (curl_multi_add_handle(authd.multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		f->easy = NULL;
		goto fail;
	}
	authd.nfetch++;
	return (0);
 fail:
	log_warnx("derp.urls %s: cannot start the transfer", url);
	if (f != NULL)
		fetch_free(f);
	return (-1);
}

/* One round over derp.urls, unless the last one is still going. */
static void
fetch_round(int fd, short event, void *arg)
{
	struct timeval	 tv = { 0, 0 };
	struct config	*c = authd.conf;
	size_t		 i;

	if (c->derp_auto_update_enabled && c->derp_update_frequency > 0) {
		tv.tv_sec = c->derp_update_frequency;
		evtimer_add(&authd.derp_timer, &tv);
	}
	if (authd.nfetch > 0) {
		log_debug("derp.urls: the last round is still running");
		return;
	}
	for (i = 0; i < c->derp_urls.n; i++)
		fetch_start(c->derp_urls.v[i]);
	if (authd.nfetch > 0) {
		tv.tv_sec = 0;
		tv.tv_usec = 0;
		evtimer_add(&authd.poll_timer, &tv);
	}
}

static void
authd_config(struct config *conf)
{
	config_free(authd.conf);
	authd.conf = conf;
	if (!authd.privdropped) {
		/* No chroot: libcurl needs the CA store and resolver. */
		proc_drop_privs(PROC_AUTH, NULL);
		authd.privdropped = 1;
		imsgev_compose(proc_parent_iev(), IMSG_CTL_PROCREADY, 0, -1,
		    NULL, 0);
	}
	/* A new config (startup, SIGHUP) starts a round at once. */
	evtimer_del(&authd.derp_timer);
	if (conf->derp_urls.n > 0)
		fetch_round(-1, 0, NULL);
}

static void
authd_shutdown(void)
{
	event_loopexit(NULL);
}

static const struct proc_hooks authd_hooks = {
	.peer = authd_peer,
	.config = authd_config,
	.listener = NULL,
	.shutdown = authd_shutdown,
};

int
main(int argc, char *argv[])
{
	proc_child_args(argc, argv, PROC_AUTH);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (authd.multi = curl_multi_init()) == NULL)
		fatalx("cannot initialise libcurl");
	event_init();
	evtimer_set(&authd.derp_timer, fetch_round, NULL);
	evtimer_set(&authd.poll_timer, fetch_poll, NULL);
	proc_child_start(PROC_AUTH, &authd_hooks);
	event_dispatch();
	proc_peers_close(&authd.coord, 1);
	config_free(authd.conf);
	curl_multi_cleanup(authd.multi);
	curl_global_cleanup();
	return (0);
}
