/*
 * The coordinator engine.  It will serve the Tailscale control protocol;
 * for now it keeps its in-memory replica of the tailnet in step with
 * stored (a full snapshot, then the change stream) and keeps its
 * channels to authd and apid alive.  All of its state lives in one
 * struct, so that several engines can later share one change stream.
 */
#include <sys/types.h>

#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>
#include <sodium.h>

#include "config.h"
#include "coordd.h"
#include "log.h"
#include "proc.h"
#include "aead.h"
#include "coordinator.h"
#include "derp.h"
#include "map.h"
#include "metrics.h"
#include "replica.h"
#include "stun.h"
#include "tls.h"

#include "store.pb-c.h"

static struct coord	*the_coord;

static void	coord_dispatch_peer(struct imsgev *, struct imsg *, void *);
static void	coord_subscribe(struct coord *);
static void	coord_noise_start(struct coord *);

static void
coord_apply_snapshot(struct coord *c, struct imsg *imsg)
{
	Coordd__Snapshot	*snap;
	struct replica_node	*old, *n;
	size_t			 i;

	if ((snap = pb_unpack(&coordd__snapshot__descriptor, imsg)) == NULL) {
		log_warnx("bad snapshot from stored");
		return;
	}

	c->replica.seq = snap->seq;
	for (i = 0; i < snap->n_users; i++)
		if (replica_user_put(&c->replica, snap->users[i]) == -1)
			fatal("replica");
	for (i = 0; i < snap->n_nodes; i++) {
		if (replica_node_put(&c->replica, snap->nodes[i], &old) == -1)
			fatal("replica");
		n = replica_node_get(&c->replica, snap->nodes[i]->id);
		/* Give clients time to come back before ephemeral GC. */
		n->offline_since = time(NULL);
		/* No sessions yet: nobody to tell of primaries. */
		routes_node_update(&c->routes, &c->replica, old, n, NULL);
		replica_node_free(old);
	}
	pb_free(snap);
}

static void
coord_snapshot_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct coord	*c = arg;

	if (imsg == NULL) {
		log_warnx("no snapshot from stored");
		return;
	}
	if (imsg->hdr.type == IMSG_STORE_SNAPSHOT)
		coord_apply_snapshot(c, imsg);
	else if (imsg->hdr.type == IMSG_DONE) {
		c->replica.synced = 1;
		log_debug("replica synced at seq %llu: %zu users, %zu nodes",
		    (unsigned long long)c->replica.seq, c->replica.nusers,
		    c->replica.nnodes);
	}
}

static void
coord_subscribe(struct coord *c)
{
	Coordd__StoreHello	hello = COORDD__STORE_HELLO__INIT;

	/* Sessions follow the replica; clients re-poll for full maps. */
	map_sessions_end_all(c);
	replica_clear(&c->replica);
	routes_clear(&c->routes);
	hello.proc = PROC_COORD;
	if (imsgev_request(c->peers[PROC_STORE], IMSG_STORE_HELLO, -1,
	    &hello.base, COORD_STORE_TIMEOUT_MS, coord_snapshot_cb, c) == -1)
		log_warn("cannot subscribe to stored");
}

/*
 * The Noise static key lives in stored.  Learn its public half, then
 * prove that stored's X25519 with it agrees with our own computation
 * from the other side, as the handshake will need.
 */
static void
coord_noise_dh_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct coord		*c = arg;
	Coordd__DhReply		*rep;
	uint8_t			 mine[crypto_scalarmult_BYTES];

	if (imsg == NULL || imsg->hdr.type == IMSG_DONE)
		return;
	if (imsg->hdr.type != IMSG_STORE_NOISE_DH ||
	    (rep = pb_unpack(&coordd__dh_reply__descriptor, imsg)) == NULL) {
		log_warnx("noise key check: bad answer from stored");
		return;
	}
	if (crypto_scalarmult(mine, c->check_priv, c->noise_pub) != 0 ||
	    rep->shared.len != sizeof(mine) ||
	    sodium_memcmp(mine, rep->shared.data, sizeof(mine)) != 0)
		log_warnx("noise key check failed: stored's answer differs");
	else {
		c->noise_ready = 1;
		log_info("noise key check passed");
	}
	sodium_memzero(mine, sizeof(mine));
	sodium_memzero(c->check_priv, sizeof(c->check_priv));
	pb_free(rep);
}

static void
coord_noise_pub_cb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct coord		*c = arg;
	Coordd__PublicKey	*pub;
	Coordd__DhRequest	 req = COORDD__DH_REQUEST__INIT;
	uint8_t			 point[crypto_scalarmult_BYTES];
	char			 hex[2 * crypto_scalarmult_BYTES + 1];

	if (imsg == NULL || imsg->hdr.type == IMSG_DONE)
		return;
	if ((pub = pb_unpack(&coordd__public_key__descriptor, imsg)) ==
	    NULL || pub->key.len != sizeof(c->noise_pub)) {
		log_warnx("bad Noise public key from stored");
		pb_free(pub);
		return;
	}
	memcpy(c->noise_pub, pub->key.data, sizeof(c->noise_pub));
	pb_free(pub);
	sodium_bin2hex(hex, sizeof(hex), c->noise_pub, sizeof(c->noise_pub));
	log_info("noise public key mkey:%s", hex);

	randombytes_buf(c->check_priv, sizeof(c->check_priv));
	crypto_scalarmult_base(point, c->check_priv);
	req.point.data = point;
	req.point.len = sizeof(point);
	if (imsgev_request(iev, IMSG_STORE_NOISE_DH, -1, &req.base,
	    COORD_STORE_TIMEOUT_MS, coord_noise_dh_cb, c) == -1)
		log_warn("noise key check");
}

static void
coord_noise_start(struct coord *c)
{
	c->noise_ready = 0;
	if (imsgev_request(c->peers[PROC_STORE], IMSG_STORE_NOISE_PUBKEY, -1,
	    NULL, COORD_STORE_TIMEOUT_MS, coord_noise_pub_cb, c) == -1)
		log_warn("cannot ask stored for the Noise public key");
}

/*
 * A node from stored, or from its answer to a registration (which comes
 * before the change event, so the client's next request finds it): the
 * replica takes it and the map sessions hear what changed.
 */
void
coord_node_upsert(struct coord *c, const Coordd__Node *m)
{
	struct replica_node	*old, *n;
	struct route_changes	 ch;

	if (replica_node_put(&c->replica, m, &old) == -1)
		fatal("replica");
	n = replica_node_get(&c->replica, m->id);
	memset(&ch, 0, sizeof(ch));
	routes_node_update(&c->routes, &c->replica, old, n, &ch);
	if (c->replica.synced) {
		map_node_upserted(c, old, n, routes_changes_has(&ch, n->id));
		map_routes_changed(c, &ch, n->id);
	}
	routes_changes_free(&ch);
	replica_node_free(old);
}

static void
coord_node_delete(struct coord *c, uint64_t id)
{
	struct replica_node	*old;
	struct route_changes	 ch;

	if ((old = replica_node_detach(&c->replica, id)) == NULL)
		return;
	memset(&ch, 0, sizeof(ch));
	routes_node_update(&c->routes, &c->replica, old, NULL, &ch);
	map_node_deleted(c, old);
	derp_node_gone(c->derp, old->node_key);
	map_routes_changed(c, &ch, id);
	routes_changes_free(&ch);
	replica_node_free(old);
}

static void
coord_apply_change(struct coord *c, struct imsg *imsg)
{
	Coordd__Change	*ch;

	if ((ch = pb_unpack(&coordd__change__descriptor, imsg)) == NULL) {
		log_warnx("bad change from stored");
		return;
	}
	if (replica_advance(&c->replica, ch->seq) == -1) {
		pb_free(ch);
		coord_subscribe(c);
		return;
	}
	switch (ch->kind) {
	case COORDD__CHANGE__KIND__USER_UPSERT:
		if (ch->user != NULL &&
		    replica_user_put(&c->replica, ch->user) == -1)
			fatal("replica");
		break;
	case COORDD__CHANGE__KIND__USER_DELETE:
		replica_user_del(&c->replica, ch->id);
		break;
	case COORDD__CHANGE__KIND__NODE_UPSERT:
		if (ch->node != NULL)
			coord_node_upsert(c, ch->node);
		break;
	case COORDD__CHANGE__KIND__NODE_DELETE:
		coord_node_delete(c, ch->id);
		break;
	default:
		break;
	}
	log_debug("replica at seq %llu: %zu users, %zu nodes",
	    (unsigned long long)c->replica.seq, c->replica.nusers,
	    c->replica.nnodes);
	pb_free(ch);
}

static void
coord_dispatch_peer(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct coord	*c = arg;
	int		 i;

	if (imsg == NULL) {
		for (i = 0; i < PROC_MAX; i++)
			if (c->peers[i] == iev) {
				log_debug("lost %s", proc_name(i));
				c->peers[i] = NULL;
			}
		free(iev);
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_STORE_CHANGE:
		coord_apply_change(c, imsg);
		break;
	case IMSG_AUTH_PING:
	case IMSG_API_PING:
		break;
	case IMSG_API_AUTH_REGISTER:
	case IMSG_API_NODE_STATE:
		/* Only apid may ask. */
		if (iev != c->peers[PROC_API]) {
			log_warnx("%s: imsg %u is apid's, disconnecting",
			    iev->name, imsg->hdr.type);
			imsgev_close(iev);
		} else if (imsg->hdr.type == IMSG_API_AUTH_REGISTER)
			coord_api_auth_register(c, iev, imsg);
		else
			coord_api_node_state(c, iev, imsg);
		break;
	default:
		log_warnx("%s: unexpected imsg %u, disconnecting", iev->name,
		    imsg->hdr.type);
		imsgev_close(iev);
		break;
	}
}

static void
coord_peer(enum proc_id id, int fd)
{
	struct coord	*c = the_coord;

	if (id != PROC_STORE && id != PROC_AUTH && id != PROC_API)
		fatalx("no channel to %s expected", proc_name(id));
	proc_peer_open(&c->peers[id], id, fd, coord_dispatch_peer, c);
	if (id == PROC_STORE) {
		coord_subscribe(c);
		coord_noise_start(c);
		derp_start(c);
	}
}

static void
coord_listener(int kind, int fd)
{
	switch (kind) {
	case LISTENER_MAIN:
		front_listen(the_coord, fd);
		break;
	case LISTENER_METRICS:
		metrics_server_free(the_coord->metrics);
		the_coord->metrics = metrics_server_new(the_coord, fd);
		break;
	case LISTENER_STUN:
		/* The parent sends it once per coordinator; be safe anyway. */
		stun_server_free(the_coord->stun);
		the_coord->stun = stun_server_new(fd);
		break;
	default:
		fatalx("unknown listener kind %d", kind);
	}
}

/*
 * A new or changed certificate applies to new connections; those open
 * keep the context they began with.  A certificate the parent accepted
 * but OpenSSL here refuses leaves the old one in place.
 */
static void
coord_tls_config(struct coord *c, struct config *conf)
{
	struct tls_server	*ts;
	char			 err[512];

	if (tls_same_cert(c->tls, conf))
		return;
	if ((ts = tls_server_new(conf, err, sizeof(err))) == NULL &&
	    *err != '\0') {
		log_warnx("%s; keeping the previous TLS setup", err);
		return;
	}
	tls_server_free(c->tls);
	c->tls = ts;
	log_info("TLS %s", ts != NULL ? "certificate loaded" : "off");
}

static void
coord_config(struct config *conf)
{
	struct coord	*c = the_coord;
	struct config	*old = c->conf;

	c->conf = conf;
	coord_tls_config(c, conf);
	map_config_changed(c, old);
	config_free(old);
	if (!c->privdropped) {
		/* Nothing on disk is ours to touch once running. */
		proc_drop_privs(PROC_COORD, COORDD_EMPTY_DIR);
		c->privdropped = 1;
		imsgev_compose(proc_parent_iev(), IMSG_CTL_PROCREADY, 0, -1,
		    NULL, 0);
	}
	log_debug("config generation applied");
}

static void
coord_sweep_cb(int fd, short ev, void *arg)
{
	struct coord	*c = arg;
	struct timeval	 tv = { COORD_SWEEP_SEC, 0 };

	if (c->ephemeral_timeout > 0)
		tv.tv_sec = 1;
	map_ephemeral_sweep(c);
	/*
	 * A tailnet coming up leaves hundreds of MB of freed map buffers
	 * that glibc keeps; give them back rather than hold the peak.
	 */
	malloc_trim(0);
	evtimer_add(&c->sweep_ev, &tv);
}

/* Short timers for the tests, only beside the test routes. */
static void
coord_test_timers(struct coord *c)
{
	const char	*s;

	if (!c->test_routes)
		return;
	if ((s = getenv("COORDD_TEST_KEEPALIVE_MS")) != NULL)
		c->keepalive_ms = strtol(s, NULL, 10);
	if ((s = getenv("COORDD_TEST_EPHEMERAL_SEC")) != NULL)
		c->ephemeral_timeout = strtol(s, NULL, 10);
	if ((s = getenv("COORDD_TEST_AUTHWAIT_SEC")) != NULL)
		c->authwait_sec = strtol(s, NULL, 10);
	if (c->authwait_sec < 0 || c->authwait_sec > 3600)
		c->authwait_sec = 0;
	if ((s = getenv("COORDD_TEST_HS_RATE")) != NULL)
		ratelimit_init(&c->hs_limit, strtod(s, NULL),
		    strtod(strchr(s, ':') ? strchr(s, ':') + 1 : s, NULL));
	if (c->keepalive_ms < 0 || c->keepalive_ms > 3600000)
		c->keepalive_ms = 0;
	if (c->ephemeral_timeout < 0 || c->ephemeral_timeout > 86400)
		c->ephemeral_timeout = 0;
}

static void
coord_shutdown(void)
{
	log_debug("shutting down");
	event_loopexit(NULL);
	the_coord->shutting_down = 1;
}

static const struct proc_hooks coord_hooks = {
	.peer = coord_peer,
	.signer = tls_signer_open,
	.config = coord_config,
	.listener = coord_listener,
	.shutdown = coord_shutdown,
};

__dead void
coordinator_main(void)
{
	static struct coord	coord;

	the_coord = &coord;
	replica_init(&coord.replica);
	TAILQ_INIT(&coord.conns);
	RB_INIT(&coord.conn_ids);
	/* Echo and streaming routes for the protocol tests only. */
	coord.test_routes = getenv("COORDD_TEST_ROUTES") != NULL &&
	    strcmp(getenv("COORDD_TEST_ROUTES"), "1") == 0;
	if (coord.test_routes)
		log_warnx("COORDD_TEST_ROUTES=1: test routes are served");
	coord.listenfd = -1;
	if (sodium_init() == -1)
		fatalx("sodium_init");
	ratelimit_init(&coord.hs_limit, HS_RATE, HS_BURST);
	tls_init();
	if (aead_init() == -1)
		fatalx("cannot set up ChaCha20-Poly1305");
	coord_test_timers(&coord);
	/*
	 * Each write to an idle connection re-arms its write event: with
	 * the changelist, epoll_ctl calls of one loop pass are merged.
	 */
	setenv("EVENT_EPOLL_USE_CHANGELIST", "1", 1);
	coord.base = event_init();
	map_init(&coord);
	coord.derp = derp_server_new(&coord);
	authreq_init(&coord.authreqs);
	routes_init(&coord.routes);
	evtimer_set(&coord.sweep_ev, coord_sweep_cb, &coord);
	coord_sweep_cb(-1, 0, &coord);
	proc_child_start(PROC_COORD, &coord_hooks);
	event_dispatch();
	evtimer_del(&coord.sweep_ev);
	authreq_free_all(&coord.authreqs);
	map_free(&coord);
	front_close_all(&coord);
	derp_server_free(coord.derp);
	coord.derp = NULL;
	stun_server_free(coord.stun);
	coord.stun = NULL;
	metrics_server_free(coord.metrics);
	coord.metrics = NULL;
	proc_peers_close(coord.peers, PROC_MAX);
	replica_clear(&coord.replica);
	routes_clear(&coord.routes);
	config_free(coord.conf);
	exit(0);
}
