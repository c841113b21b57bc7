/*
 * stored main: the first config opens the database and the keys, then
 * privileges go and only requests from the coordinator and apid remain.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event.h>
#include <sodium.h>

#include "config.h"
#include "db.h"
#include "keys.h"
#include "log.h"
#include "proc.h"
#include "stored.h"
#include "util.h"

static struct stored	 stored;
struct stored		*store_env = &stored;

static void
store_dispatch_peer(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	int	peer = (int)(intptr_t)arg;

	if (imsg == NULL) {
		log_debug("lost %s", proc_name(peer));
		store_drop_pending(peer);
		if (stored.peers[peer].iev == iev) {
			stored.peers[peer].iev = NULL;
			stored.peers[peer].subscribed = 0;
		}
		free(iev);
		return;
	}
	if (!stored.ready) {
		log_warnx("%s: request before the database is open",
		    iev->name);
		store_result(iev, imsg, CTL_ERR_UNAVAILABLE, "starting");
		return;
	}
	/* From here on the pid field names the requester for replies. */
	imsg->hdr.pid = peer;
	store_dispatch_request(peer, iev, imsg);
}

/* A peer that does not read its change stream may not send requests. */
static void
store_flow(struct imsgev *iev, int xoff, void *arg)
{
	if (xoff)
		imsgev_pause_read(iev);
	else
		imsgev_resume_read(iev);
}

static void
store_peer(enum proc_id id, int fd)
{
	struct imsgev	*iev;

	if (id != PROC_COORD && id != PROC_API)
		fatalx("no channel to %s expected", proc_name(id));
	store_drop_pending(id);
	iev = proc_peer_open(&stored.peers[id].iev, id, fd,
	    store_dispatch_peer, (void *)(intptr_t)id);
	imsgev_set_flow(iev, STORE_PEER_LOWAT, STORE_PEER_HIWAT, store_flow);
	stored.peers[id].subscribed = 0;
}

static void
store_load_key(const char *path)
{
	char	err[512];
	int	created;

	if (keys_load_or_create(path, stored.noise_priv, &created, err,
	    sizeof(err)) == -1)
		fatalx("noise key: %s", err);
	if (created)
		log_info("created the Noise private key %s", path);
}

/*
 * The DERP key, like headscale, exists only when the embedded relay
 * runs: a suite without it leaves no key file behind.
 */
static void
store_load_derp_key(struct config *conf)
{
	char	err[512];
	int	created;

	if (!conf->derp_server_enabled)
		return;
	if (sodium_mlock(stored.derp_priv, sizeof(stored.derp_priv)) == -1)
		log_debug("cannot lock key memory");
	if (keys_load_or_create(conf->derp_server_private_key_path,
	    stored.derp_priv, &created, err, sizeof(err)) == -1)
		fatalx("DERP key: %s", err);
	if (created)
		log_info("created the DERP private key %s",
		    conf->derp_server_private_key_path);
	stored.derp_loaded = 1;
}

/* The store user must own its directory to write the WAL and journal. */
static void
store_own_dir(const char *dir, const char *file)
{
	struct passwd	*pw;
	char		 path[PATH_MAX];
	const char	*suffix[] = { "", "-wal", "-shm", "-journal" };
	size_t		 i;

	if (geteuid() != 0)
		return;
	if ((pw = getpwnam(COORDD_STORE_USER)) == NULL)
		fatalx("user %s not found", COORDD_STORE_USER);
	if (chown(dir, pw->pw_uid, pw->pw_gid) == -1)
		fatal("chown %s", dir);
	for (i = 0; i < nitems(suffix); i++) {
		snprintf(path, sizeof(path), "%s%s", file, suffix[i]);
		if (chown(path, pw->pw_uid, pw->pw_gid) == -1 &&
		    errno != ENOENT)
			fatal("chown %s", path);
	}
}

static int
store_mark_node(const struct db_node *n, void *arg)
{
	if (n->ipv4[0] != '\0' && ipalloc_mark(&stored.ipa, n->ipv4) == -1)
		log_warnx("node %llu: address %s outside the prefixes or "
		    "taken twice", (unsigned long long)n->id, n->ipv4);
	if (n->ipv6[0] != '\0' && ipalloc_mark(&stored.ipa, n->ipv6) == -1)
		log_warnx("node %llu: address %s outside the prefixes or "
		    "taken twice", (unsigned long long)n->id, n->ipv6);
	return (0);
}

/* The allocator knows every address the nodes hold. */
static void
store_ipalloc(struct config *conf)
{
	char	err[512];

	if (ipalloc_init(&stored.ipa, conf->prefixes_v4, conf->prefixes_v6,
	    conf->prefixes_allocation, err, sizeof(err)) == -1)
		fatalx("prefixes: %s", err);
	if (db_node_list(stored.db, store_mark_node, NULL, err,
	    sizeof(err)) != DB_OK)
		fatalx("reading node addresses: %s", err);
}

static void
store_open(struct config *conf)
{
	char	dir[PATH_MAX], base[PATH_MAX], err[1024];

	if (sodium_mlock(stored.noise_priv, sizeof(stored.noise_priv)) == -1)
		log_debug("cannot lock key memory");
	store_load_key(conf->noise_private_key_path);
	store_load_derp_key(conf);

	strlcpy(dir, conf->db_sqlite_path, sizeof(dir));
	strlcpy(dir, dirname(dir), sizeof(dir));
	strlcpy(base, conf->db_sqlite_path, sizeof(base));
	strlcpy(base, basename(base), sizeof(base));
	if (mkdir_p(dir, 0700) == -1)
		fatal("mkdir %s", dir);
	/* The database is opened by a relative name from inside its chroot. */
	if (chdir(dir) == -1)
		fatal("chdir %s", dir);
	if ((stored.db = db_open(base, conf->db_sqlite_wal,
	    conf->db_sqlite_wal_autocheckpoint, err, sizeof(err))) == NULL)
		fatalx("%s: %s", conf->db_sqlite_path, err);
	store_own_dir(dir, base);
	store_ipalloc(conf);
	proc_drop_privs(PROC_STORE, geteuid() == 0 ? dir : NULL);
	stored.ready = 1;
	log_debug("database %s open, schema version %d, change %llu",
	    conf->db_sqlite_path, db_schema_version(stored.db),
	    (unsigned long long)db_change_seq(stored.db));
	imsgev_compose(proc_parent_iev(), IMSG_CTL_PROCREADY, 0, -1, NULL, 0);
}

static void
store_config(struct config *conf)
{
	tlskey_config(conf);
	if (stored.conf == NULL)
		store_open(conf);
	else if (strcmp(stored.conf->db_sqlite_path, conf->db_sqlite_path) ||
	    strcmp(stored.conf->noise_private_key_path,
	    conf->noise_private_key_path) ||
	    strcmp(stored.conf->derp_server_private_key_path,
	    conf->derp_server_private_key_path) ||
	    stored.conf->derp_server_enabled != conf->derp_server_enabled)
		log_warnx("database, key paths or derp.server.enabled "
		    "changed; restart to apply");
	config_free(stored.conf);
	stored.conf = conf;
}

static void
store_shutdown(void)
{
	log_debug("shutting down");
	stored.shutting_down = 1;
	store_batch_commit();
	event_loopexit(NULL);
}

static const struct proc_hooks store_hooks = {
	.peer = store_peer,
	.signer = tlskey_channel,
	.config = store_config,
	.listener = NULL,
	.shutdown = store_shutdown,
};

int
main(int argc, char *argv[])
{
	int	i;

	proc_child_args(argc, argv, PROC_STORE);
	if (sodium_init() == -1)
		fatalx("sodium_init");
	TAILQ_INIT(&stored.pending);
	TAILQ_INIT(&stored.ipchanges);
	event_init();
	store_batch_init();
	proc_child_start(PROC_STORE, &store_hooks);
	event_dispatch();
	store_batch_commit();
	for (i = 0; i < PROC_MAX; i++)
		if (stored.peers[i].iev != NULL) {
			imsgbuf_flush(&stored.peers[i].iev->ibuf);
			imsgev_close(stored.peers[i].iev);
			free(stored.peers[i].iev);
		}
	if (stored.db != NULL)
		db_close(stored.db);
	ipalloc_clear(&stored.ipa);
	sodium_memzero(stored.noise_priv, sizeof(stored.noise_priv));
	sodium_memzero(stored.derp_priv, sizeof(stored.derp_priv));
	config_free(stored.conf);
	tlskey_clear();
	return (0);
}
