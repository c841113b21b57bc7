/*
 * loadgen: simulate many Tailscale nodes against a control server.
 *
 *	loadgen [-RSvWw] [-A authkey] [-a cpu] [-C changes/s] [-c secs]
 *	    [-j file] [-k keyfile] [-m roaming] [-n nodes] [-P pid|pidfile]
 *	    [-p inflight] [-r connects/s] [-s samples] [-t secs] [-V capver]
 *	    URL
 *
 * Phases: connect the nodes in a ramp (each: GET /key, /ts2021, Noise,
 * register, map stream), wait for a full mesh (every node has its first
 * map, every sample sees all the others); then, with -w or -W, a
 * reconnect storm: every node drops its connection (-w) or the server
 * drops them all (-W, a restart), and all of them come back at once as
 * restarted clients, timed until the full mesh again; then churn: lite
 * updates with new endpoints on random nodes, each timed until every
 * sample has seen it.  Figures go to stdout, and as JSON to -j.  Exit 1
 * when a mesh is not reached within -t, or when a change was lost.
 */
#include <sys/types.h>
#include <sys/param.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "loadgen.h"

#define LG_TICK_USEC	5000
#define LG_CATCHUP	0.5	/* seconds of a late tick's rate made up */
#define LG_PROBE_USEC	100000	/* the storm's probe of the server */

struct lg	lg;

static __dead2 void
usage(void)
{
	fprintf(stderr, "usage: %s [-RSvWw] [-A authkey] [-a cpu] "
	    "[-C changes/s] [-c secs] [-j file]\n"
	    "\t[-k keyfile] [-m roaming] [-n nodes] [-P pid|pidfile] "
	    "[-p inflight]\n"
	    "\t[-r connects/s] [-s samples] [-t secs] [-V capver] URL\n",
	    getprogname());
	exit(2);
}

double
lg_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static double
lg_num(const char *s, double lo, double hi, const char *what)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		errx(2, "%s: %s is not in %g..%g", what, s, lo, hi);
	return (v);
}

static void
lg_url(const char *url)
{
	const char	*p, *colon;
	struct addrinfo	 hints, *res;
	int		 error;

	if (strncmp(url, "http://", 7) != 0)
		errx(2, "%s: only http://host:port", url);
	p = url + 7;
	if ((colon = strrchr(p, ':')) == NULL ||
	    (size_t)(colon - p) >= sizeof(lg.host))
		errx(2, "%s: needs host:port", url);
	memcpy(lg.host, p, colon - p);
	strlcpy(lg.port, colon + 1, sizeof(lg.port));
	lg.port[strcspn(lg.port, "/")] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(lg.host, lg.port, &hints, &res)) != 0)
		errx(2, "%s: %s", url, gai_strerror(error));
	memcpy(&lg.sin, res->ai_addr, sizeof(lg.sin));
	freeaddrinfo(res);
	/* Many sources only make sense where they all reach the server. */
	if (ntohl(lg.sin.sin_addr.s_addr) >> 24 != 127)
		lg.bindsrc = 0;
}

static int
lg_keys_pub(struct tsmap_keys *k)
{
	return (crypto_scalarmult_base(k->machine_pub, k->machine_priv) |
	    crypto_scalarmult_base(k->node_pub, k->node_priv) |
	    crypto_scalarmult_base(k->disco_pub, k->disco_priv));
}

/*
 * One line a node: machine, node and disco private keys in hex.  Nodes
 * past the end of the file get new keys, written back; the ones read
 * are "known" and may come back without an auth key (-R).
 */
static void
lg_keys_load(const char *path)
{
	FILE	*f = NULL;
	char	 line[512], hex[3][2 * NOISE_KEYLEN + 1], tmp[PATH_MAX];
	int	 i, nread = 0, j;
	size_t	 binlen;
	struct tsmap_keys *k;
	uint8_t	*dst[3];

	if (path != NULL && (f = fopen(path, "re")) == NULL && errno != ENOENT)
		err(1, "%s", path);
	for (i = 0; i < lg.n; i++) {
		k = &lg.nodes[i].keys;
		dst[0] = k->machine_priv;
		dst[1] = k->node_priv;
		dst[2] = k->disco_priv;
		if (f != NULL && fgets(line, sizeof(line), f) != NULL) {
			if (sscanf(line, "%64s %64s %64s", hex[0], hex[1],
			    hex[2]) != 3)
				errx(1, "%s: line %d is not three keys",
				    path, i + 1);
			for (j = 0; j < 3; j++)
				if (sodium_hex2bin(dst[j], NOISE_KEYLEN, hex[j],
				    strlen(hex[j]), NULL, &binlen, NULL) != 0 ||
				    binlen != NOISE_KEYLEN)
					errx(1, "%s: line %d: bad key", path,
					    i + 1);
			lg.nodes[i].known = 1;
			nread++;
		} else {
			randombytes_buf(k->machine_priv, NOISE_KEYLEN);
			randombytes_buf(k->node_priv, NOISE_KEYLEN);
			randombytes_buf(k->disco_priv, NOISE_KEYLEN);
		}
		if (lg_keys_pub(k) != 0)
			errx(1, "node %d: a key is not usable", i);
	}
	if (f != NULL)
		fclose(f);
	if (path == NULL || nread == lg.n)
		return;
	/* Write all of them anew, then rename: never half a file. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL)
		err(1, "%s", tmp);
	fchmod(fileno(f), 0600);
	for (i = 0; i < lg.n; i++) {
		k = &lg.nodes[i].keys;
		dst[0] = k->machine_priv;
		dst[1] = k->node_priv;
		dst[2] = k->disco_priv;
		for (j = 0; j < 3; j++)
			sodium_bin2hex(hex[j], sizeof(hex[j]), dst[j],
			    NOISE_KEYLEN);
		fprintf(f, "%s %s %s\n", hex[0], hex[1], hex[2]);
	}
	if (fflush(f) == EOF || fsync(fileno(f)) == -1 || fclose(f) == EOF ||
	    rename(tmp, path) == -1)
		err(1, "%s", path);
}

/* Samples spread evenly over the indices, the first and last among them. */
static void
lg_samples(void)
{
	int	i, idx;

	if (lg.nsamples > lg.n)
		lg.nsamples = lg.n;
	if ((lg.views = calloc(lg.nsamples, sizeof(*lg.views))) == NULL)
		err(1, NULL);
	for (i = 0; i < lg.nsamples; i++) {
		idx = lg.nsamples == 1 ? 0 :
		    (int)((long)i * (lg.n - 1) / (lg.nsamples - 1));
		if (lg_view_init(&lg.views[i], &lg.nodes[idx], i) == -1)
			errx(1, "out of memory");
	}
}

static void
lg_retry(int fd, short ev, void *arg)
{
	if (lg.phase != LG_PH_WAIT)
		lg_conn_start(arg);
}

/* Registered: the slot goes to the next node of the ramp. */
void
lg_node_up(struct lg_node *n)
{
	if (n->inflight) {
		n->inflight = 0;
		lg.inflight--;
	}
}

/* While waiting for the server's restart a node stays down. */
static void
lg_node_down(struct lg_node *n)
{
	if (n->retry != NULL)
		evtimer_del(n->retry);
	if (!n->down) {
		n->down = 1;
		lg.ndown++;
	}
}

/* Count the failure; the node tries again a little later. */
void
lg_node_failed(struct lg_node *n, enum lg_fail why)
{
	struct timeval	tv;

	if (lg.phase == LG_PH_WAIT) {
		lg_conn_close(n);
		lg_node_up(n);
		lg_node_down(n);
		return;
	}
	switch (why) {
	case LG_FAIL_HS:
		lg.hsfail++;
		break;
	case LG_FAIL_REG:
		lg.regfail++;
		break;
	case LG_FAIL_MAP:
		lg.mapfail++;
		break;
	default:
		lg.drops++;
		break;
	}
	if (lg.verbose)
		warnx("node %d: failed (%d) in state %d", n->idx, why,
		    n->state);
	lg_conn_close(n);
	lg_node_up(n);
	if (n->retry == NULL && (n->retry = evtimer_new(lg.base, lg_retry,
	    n)) == NULL)
		err(1, NULL);
	/* Jitter, so that failed nodes do not come back as one. */
	tv.tv_sec = LG_RETRY_SEC;
	tv.tv_usec = arc4random_uniform(1000000);
	/* The storm's probe looks for the restarted server often. */
	if (lg.phase == LG_PH_STORM && lg.stormup == 0) {
		tv.tv_sec = 0;
		tv.tv_usec = LG_PROBE_USEC;
	}
	evtimer_add(n->retry, &tv);
}

/* A node's first map frame has come in full. */
void
lg_node_hasmap(struct lg_node *n)
{
	if (n->hasmap)
		return;
	n->hasmap = 1;
	lg.nhasmap++;
}

/* A handshake went through: in a storm, the server is back. */
void
lg_server_up(void)
{
	if (lg.phase != LG_PH_STORM || lg.stormup != 0)
		return;
	lg.stormup = lg_now();
	lg_procmon_look(lg.stormup, 1);
	lg.stormcpu0 = lg_procmon_cpu();
	lg_fails_get(&lg.fail0);
}

void
lg_fails_get(struct lg_fails *f)
{
	f->hs = lg.hsfail;
	f->reg = lg.regfail;
	f->map = lg.mapfail;
	f->drop = lg.drops;
}

/*
 * Start nodes while the ramp's rate and the in-flight bound allow.  In
 * a storm, the first node alone until the server answers it, then all
 * the others at once.
 */
static void
lg_ramp(double now, double dt)
{
	int	all = lg.phase == LG_PH_STORM;

	if (all && lg.stormup == 0) {
		if (lg.next == 0)
			lg_conn_start(&lg.nodes[lg.next++]);
		return;
	}
	if (lg.rate > 0)
		lg.tokens = MIN(lg.tokens + lg.rate * dt,
		    MAX(1.0, lg.rate * LG_CATCHUP));
	while (lg.next < lg.n && (all || (lg.inflight < lg.maxinflight &&
	    (lg.rate == 0 || lg.tokens >= 1)))) {
		lg.tokens -= 1;
		lg_conn_start(&lg.nodes[lg.next++]);
	}
}

/* Every node has its map and every sample sees all the others. */
static int
lg_meshed(void)
{
	int	i;

	if (lg.nhasmap < lg.n)
		return (0);
	for (i = 0; i < lg.nsamples; i++)
		if (lg.views[i].npresent < lg.n - 1)
			return (0);
	return (1);
}

/*
 * -W: the mesh is there; now the server is to go away.  Nodes that are
 * already waiting to retry stay down as well.
 */
static void
lg_wait_start(void)
{
	int	i;

	lg.phase = LG_PH_WAIT;
	for (i = 0; i < lg.n; i++)
		if (lg.nodes[i].state == LG_IDLE)
			lg_node_down(&lg.nodes[i]);
	printf("full mesh; waiting for the server to restart\n");
	fflush(stdout);
}

/*
 * Every node comes back at once, as a restarted tailscaled: /key, the
 * upgrade, a register without an auth key, the map stream.  The views
 * start empty, so the mesh must be seen anew.
 */
static void
lg_storm_start(double now)
{
	int	i;

	lg.phase = LG_PH_STORM;
	lg.storm0 = now;
	lg.restart = 1;
	lg_reconnect_all();
	for (i = 0; i < lg.n; i++) {
		lg.nodes[i].known = lg.nodes[i].registered;
		lg.nodes[i].haskey = 0;
		lg.nodes[i].hasmap = 0;
		lg.nodes[i].down = 0;
		if (lg.nodes[i].retry != NULL)
			evtimer_del(lg.nodes[i].retry);
	}
	lg.nhasmap = 0;
	lg.ndown = 0;
	for (i = 0; i < lg.nsamples; i++) {
		memset(lg.views[i].present, 0, lg.n);
		lg.views[i].npresent = 0;
	}
	if (lg.verbose)
		warnx("storm: %d nodes reconnect", lg.n);
}

/* After a mesh: the storm if one is due, else the churn, else the end. */
static void
lg_meshed_next(double now)
{
	if (lg.phase == LG_PH_RAMP) {
		lg.meshdone = now;
		if (lg.storm == LG_STORM_RESTART) {
			lg_wait_start();
			return;
		}
		if (lg.storm == LG_STORM_NOW) {
			lg_storm_start(now);
			return;
		}
	} else {
		lg.stormdone = now;
		lg_procmon_look(now, 1);
		lg.stormcpu1 = lg_procmon_cpu();
		lg_fails_get(&lg.fail1);
	}
	lg.phase = lg.churnsec > 0 ? LG_PH_CHURN : LG_PH_DONE;
}

static void
lg_churn(double now, double dt)
{
	if (lg.phase != LG_PH_CHURN)
		return;
	if (lg.churnstart == 0) {
		lg.churnstart = now;
		lg.churnend = now + lg.churnsec;
		return;
	}
	if (now >= lg.churnend)
		return;
	lg.ctokens = MIN(lg.ctokens + lg.churnrate * dt,
	    MAX(1.0, lg.churnrate * LG_CATCHUP));
	while (lg.ctokens >= 1) {
		lg.ctokens -= 1;
		if (lg_change_send() == -1)
			break;
	}
}

static const char *
lg_why(void)
{
	switch (lg.phase) {
	case LG_PH_RAMP:
		return ("no full mesh within the bound");
	case LG_PH_WAIT:
		return ("the server did not drop every session within the "
		    "bound");
	case LG_PH_STORM:
		return ("no full mesh after the storm within the bound");
	default:
		return ("the churn did not settle within the bound");
	}
}

static void
lg_tick(int fd, short ev, void *arg)
{
	double	now = lg_now(), dt = now - lg.lasttick;

	lg.lasttick = now;
	lg_procmon_look(now, 0);
	if (lg.phase == LG_PH_RAMP || lg.phase == LG_PH_STORM)
		lg_ramp(now, dt);
	if ((lg.phase == LG_PH_RAMP || lg.phase == LG_PH_STORM) &&
	    lg_meshed())
		lg_meshed_next(now);
	if (lg.phase == LG_PH_WAIT && lg.ndown == lg.n)
		lg_storm_start(now);
	lg_churn(now, dt);
	lg_change_expire(now);
	if (lg.phase == LG_PH_CHURN && lg.churnstart != 0 &&
	    now >= lg.churnend && lg_changes_settled())
		lg.phase = LG_PH_DONE;
	if (lg.phase == LG_PH_DONE) {
		event_base_loopexit(lg.base, NULL);
		return;
	}
	if (lg.t0 != 0 && now - lg.t0 > lg.bound) {
		lg.failed = 1;
		lg.why = lg_why();
		event_base_loopexit(lg.base, NULL);
	}
}

static void
lg_setup(void)
{
	struct rlimit	rl;
	int		i;

	/* A descriptor a node, and two while it fetches the key. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			warn("setrlimit");
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)lg.n + 64)
		warnx("only %llu descriptors for %d nodes",
		    (unsigned long long)rl.rlim_cur, lg.n);
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() == -1)
		errx(1, "sodium_init");
	if ((lg.nodes = calloc(lg.n, sizeof(*lg.nodes))) == NULL)
		err(1, NULL);
	for (i = 0; i < lg.n; i++)
		lg.nodes[i].idx = i;
	if (lg.churnsec > 0 && (lg.changes = calloc(MIN(LG_MAXCHANGES,
	    lg.churnsec * lg.churnrate + 16), sizeof(*lg.changes))) == NULL)
		err(1, NULL);
}

static void
lg_affinity(int cpu)
{
	cpu_set_t	set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		err(1, "sched_setaffinity %d", cpu);
}

int
main(int argc, char *argv[])
{
	struct timeval	 tv = { 0, LG_TICK_USEC };
	const char	*keyfile = NULL, *procarg = NULL;
	int		 ch, i, cpu = -1;

	lg.n = 100;
	lg.nsamples = 20;
	lg.maxinflight = 64;
	lg.capver = LG_CAPVER;
	lg.churnrate = 5;
	lg.bound = 120;
	lg.bindsrc = 1;
	while ((ch = getopt(argc, argv,
	    "A:a:C:c:j:k:m:n:P:p:Rr:Ss:t:V:vWw")) != -1) {
		switch (ch) {
		case 'A':
			lg.authkey = optarg;
			break;
		case 'a':
			cpu = lg_num(optarg, 0, CPU_SETSIZE - 1, "-a");
			break;
		case 'C':
			lg.churnrate = lg_num(optarg, 0.01, 10000, "-C");
			break;
		case 'c':
			lg.churnsec = lg_num(optarg, 0, 86400, "-c");
			break;
		case 'j':
			lg.jsonpath = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'm':
			lg.roam = lg_num(optarg, 1, 65536, "-m");
			break;
		case 'n':
			lg.n = lg_num(optarg, 2, 65536, "-n");
			break;
		case 'P':
			procarg = optarg;
			break;
		case 'p':
			lg.maxinflight = lg_num(optarg, 1, 65536, "-p");
			break;
		case 'R':
			lg.restart = 1;
			break;
		case 'r':
			lg.rate = lg_num(optarg, 0, 1e6, "-r");
			break;
		case 'S':
			lg.bindsrc = 0;
			break;
		case 's':
			lg.nsamples = lg_num(optarg, 1, 1024, "-s");
			break;
		case 't':
			lg.bound = lg_num(optarg, 1, 86400, "-t");
			break;
		case 'V':
			lg.capver = lg_num(optarg, 1, 65535, "-V");
			break;
		case 'v':
			lg.verbose++;
			break;
		case 'W':
			lg.storm = LG_STORM_RESTART;
			break;
		case 'w':
			lg.storm = LG_STORM_NOW;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (lg.roam == 0 || lg.roam > lg.n)
		lg.roam = lg.n;
	if (cpu != -1)
		lg_affinity(cpu);
	lg_url(argv[0]);
	lg_setup();
	lg_keys_load(keyfile);
	for (i = 0; i < lg.n; i++)
		if (lg_index_add(lg.nodes[i].keys.node_pub, i) == -1)
			errx(1, "node keys collide: make a new key file");
	lg_samples();
	if ((lg.base = event_base_new()) == NULL)
		errx(1, "event_base_new");
	if (procarg != NULL)
		lg_procmon_init(procarg);
	if ((lg.tick = event_new(lg.base, -1, EV_PERSIST, lg_tick, NULL)) ==
	    NULL || event_add(lg.tick, &tv) == -1)
		errx(1, "event_new");
	lg.lasttick = lg_now();
	event_base_dispatch(lg.base);
	lg_procmon_look(lg_now(), 1);
	lg_report();
	for (i = 0; i < lg.n; i++) {
		lg_conn_close(&lg.nodes[i]);
		if (lg.nodes[i].retry != NULL)
			event_free(lg.nodes[i].retry);
	}
	for (i = 0; i < lg.nsamples; i++)
		lg_view_free(&lg.views[i]);
	for (i = 0; i < lg.nchanges; i++)
		free(lg.changes[i].seen);
	free(lg.changes);
	free(lg.views);
	free(lg.nodes);
	event_free(lg.tick);
	event_base_free(lg.base);
	return (lg.failed || lg.lost > 0 ? 1 : 0);
}
