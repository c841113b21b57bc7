/*
 * The server's processes as /proc shows them, and the run's figures:
 * a table on stdout and the same as JSON for scripts.  The server is
 * looked at once a second, for its CPU and its peak RSS.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <dirent.h>
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "loadgen.h"

#define LG_LOOK_SEC	1.0

/* CPU seconds, RSS bytes and parent of one process; -1 if it is gone. */
static int
lg_stat1(pid_t pid, double *cpu, long *rss, pid_t *ppid)
{
	FILE		*f;
	char		 path[64], buf[1024], *p;
	unsigned long	 ut, st;
	long		 pages;
	int		 pp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* The name may hold anything: fields go on after the last ')'. */
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
	    "%*d %*d %*d %*d %*d %*d %*u %*u %ld", &pp, &ut, &st, &pages) != 4)
		return (-1);
	*cpu = (double)(ut + st) / sysconf(_SC_CLK_TCK);
	*rss = pages * sysconf(_SC_PAGESIZE);
	*ppid = pp;
	return (0);
}

/* pid and its children: coordd's parent and its privsep processes. */
int
lg_procstat(pid_t pid, struct lg_procstat *ps)
{
	DIR		*d;
	struct dirent	*de;
	double		 cpu;
	long		 rss;
	pid_t		 ppid, p;

	memset(ps, 0, sizeof(*ps));
	if (lg_stat1(pid, &ps->cpu, &ps->rss, &ppid) == -1)
		return (-1);
	ps->nproc = 1;
	if ((d = opendir("/proc")) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if ((p = atoi(de->d_name)) <= 0 || p == pid)
			continue;
		if (lg_stat1(p, &cpu, &rss, &ppid) == 0 && ppid == pid) {
			ps->cpu += cpu;
			ps->rss += rss;
			ps->nproc++;
		}
	}
	closedir(d);
	return (0);
}

static pid_t
lg_pidfile(const char *path)
{
	FILE	*f;
	long	 v = 0;

	if ((f = fopen(path, "re")) == NULL)
		return (0);
	if (fscanf(f, "%ld", &v) != 1)
		v = 0;
	fclose(f);
	return (v > 0 && v <= INT_MAX ? (pid_t)v : 0);
}

/* -P: a pid, or a file that holds one (read again at every look). */
void
lg_procmon_init(const char *arg)
{
	struct lg_procmon	*m = &lg.mon;

	if (arg[0] != '\0' && arg[strspn(arg, "0123456789")] == '\0')
		m->pid = atoi(arg);
	else {
		m->pidfile = arg;
		m->pid = lg_pidfile(arg);
	}
	if (m->pid <= 0)
		errx(1, "-P %s: no process", arg);
	lg_procmon_look(lg_now(), 1);
	if (!m->started)
		errx(1, "-P %s: no process %d", arg, (int)m->pid);
}

/* A look at the server, when one is due or forced. */
void
lg_procmon_look(double now, int force)
{
	struct lg_procmon	*m = &lg.mon;
	struct lg_procstat	 ps;
	pid_t			 pid;

	if (m->pid == 0 || (!force && now < m->next))
		return;
	m->next = now + LG_LOOK_SEC;
	if (m->pidfile != NULL && (pid = lg_pidfile(m->pidfile)) != 0 &&
	    pid != m->pid) {
		/* Restarted: the old one's CPU, as last seen, stays. */
		m->cpubase += m->cpulast;
		m->cpulast = 0;
		m->pid = pid;
	}
	if (lg_procstat(m->pid, &ps) == -1)
		return;
	m->cpulast = ps.cpu;
	m->rss = ps.rss;
	m->nproc = ps.nproc;
	if (ps.rss > m->rsspeak)
		m->rsspeak = ps.rss;
	if (!m->started) {
		m->started = 1;
		m->cpu0 = ps.cpu;
		m->rss0 = ps.rss;
	}
}

/* Server CPU seconds since the first look. */
double
lg_procmon_cpu(void)
{
	return (lg.mon.cpubase + lg.mon.cpulast - lg.mon.cpu0);
}

static int
lg_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
lg_pct(const double *v, int n, double p)
{
	int	i;

	if (n == 0)
		return (0);
	i = (int)(p * n + 0.999999) - 1;
	return (v[i < 0 ? 0 : i >= n ? n - 1 : i]);
}

static void
lg_set(json_t *o, const char *k, double v)
{
	json_object_set_new(o, k, json_real(v));
}

static void
lg_seti(json_t *o, const char *k, long long v)
{
	json_object_set_new(o, k, json_integer(v));
}

static double
lg_num(json_t *o, const char *k)
{
	return (json_number_value(json_object_get(o, k)));
}

/* Latencies in ms of the changes that arrived, sorted. */
static double *
lg_latencies(int *nok)
{
	double	*v;
	int	 i;

	*nok = 0;
	if ((v = calloc(lg.nchanges + 1, sizeof(*v))) == NULL)
		err(1, NULL);
	for (i = 0; i < lg.nchanges; i++)
		if (lg.changes[i].done && !lg.changes[i].lost &&
		    lg.changes[i].want > 0)
			v[(*nok)++] = 1000 * (lg.changes[i].last -
			    lg.changes[i].sent);
	qsort(v, *nok, sizeof(*v), lg_cmp);
	return (v);
}

static void
lg_json_mesh(json_t *o)
{
	double	regwall, mesh;

	regwall = lg.regdone > lg.t0 ? lg.regdone - lg.t0 : 0;
	mesh = lg.meshdone != 0 ? lg.meshdone - lg.t0 : -1;
	lg_seti(o, "nodes", lg.n);
	lg_seti(o, "samples", lg.nsamples);
	lg_seti(o, "capver", lg.capver);
	lg_seti(o, "registered", lg.nregistered);
	lg_set(o, "register_seconds", regwall);
	lg_set(o, "registrations_per_sec", regwall > 0 ?
	    lg.nregistered / regwall : 0);
	lg_seti(o, "handshake_failures", lg.hsfail);
	lg_seti(o, "register_failures", lg.regfail);
	lg_seti(o, "map_failures", lg.mapfail);
	lg_seti(o, "lite_failures", lg.litefail);
	lg_seti(o, "drops", lg.drops);
	lg_seti(o, "timeouts", lg.timeouts);
	lg_seti(o, "nodes_with_map", lg.nhasmap);
	json_object_set_new(o, "full_mesh", json_boolean(mesh >= 0));
	lg_set(o, "full_mesh_seconds", mesh);
}

/* The storm's figures; its failures are those after the server was up. */
static void
lg_json_storm(json_t *o)
{
	struct lg_fails	*a = &lg.fail0, *b = &lg.fail1;

	if (lg.storm == LG_STORM_NONE)
		return;
	if (lg.stormdone == 0)
		lg_fails_get(b);
	json_object_set_new(o, "storm", json_string(lg.storm ==
	    LG_STORM_NOW ? "reconnect" : "restart"));
	json_object_set_new(o, "storm_started", json_boolean(lg.storm0 != 0));
	json_object_set_new(o, "storm_done", json_boolean(lg.stormdone != 0));
	lg_set(o, "storm_seconds", lg.stormdone != 0 ?
	    lg.stormdone - lg.stormup : -1);
	lg_set(o, "storm_down_seconds", lg.stormup != 0 ?
	    lg.stormup - lg.storm0 : -1);
	lg_seti(o, "storm_handshake_failures", b->hs - a->hs);
	lg_seti(o, "storm_register_failures", b->reg - a->reg);
	lg_seti(o, "storm_map_failures", b->map - a->map);
	lg_seti(o, "storm_drops", b->drop - a->drop);
	lg_seti(o, "storm_failures", b->hs - a->hs + b->reg - a->reg +
	    b->map - a->map + b->drop - a->drop);
	if (lg.mon.pid != 0)
		lg_set(o, "storm_server_cpu_seconds", lg.stormdone != 0 ?
		    lg.stormcpu1 - lg.stormcpu0 : -1);
}

static void
lg_json_changes(json_t *o, const double *lat, int nok)
{
	lg_seti(o, "changes", lg.nchanges);
	lg_seti(o, "changes_arrived", nok);
	lg_seti(o, "changes_lost", lg.lost);
	lg_set(o, "change_p50_ms", lg_pct(lat, nok, 0.50));
	lg_set(o, "change_p95_ms", lg_pct(lat, nok, 0.95));
	lg_set(o, "change_p99_ms", lg_pct(lat, nok, 0.99));
	lg_set(o, "change_max_ms", nok > 0 ? lat[nok - 1] : 0);
}

static void
lg_json_server(json_t *o)
{
	struct lg_procmon	*m = &lg.mon;

	if (m->pid == 0)
		return;
	lg_seti(o, "server_processes", m->nproc);
	lg_set(o, "server_cpu_seconds", lg_procmon_cpu());
	lg_seti(o, "server_rss_bytes", m->rss);
	lg_seti(o, "server_rss_peak_bytes", m->rsspeak);
	lg_seti(o, "server_rss_start_bytes", m->rss0);
	lg_seti(o, "server_rss_per_node", m->rsspeak / lg.n);
	lg_seti(o, "server_rss_growth_per_node", (m->rsspeak - m->rss0) /
	    lg.n);
}

static void
lg_json_self(json_t *o)
{
	struct rusage	 ru;
	uint64_t	 frames = 0, bytes = 0;
	int		 i;

	for (i = 0; i < lg.nsamples; i++) {
		frames += lg.views[i].frames;
		bytes += lg.views[i].bytes;
	}
	getrusage(RUSAGE_SELF, &ru);
	lg_set(o, "loadgen_cpu_seconds", ru.ru_utime.tv_sec +
	    ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec) / 1e6);
	lg_seti(o, "loadgen_maxrss_bytes", ru.ru_maxrss * 1024LL);
	lg_seti(o, "received_bytes", lg.rxbytes);
	lg_seti(o, "received_bytes_per_node", lg.rxbytes / lg.n);
	lg_seti(o, "sample_frames", frames);
	lg_seti(o, "sample_json_bytes", bytes);
	json_object_set_new(o, "ok", json_boolean(!lg.failed &&
	    lg.lost == 0));
	if (lg.why != NULL)
		json_object_set_new(o, "error", json_string(lg.why));
}

static void
lg_text_storm(json_t *o)
{
	if (lg.storm == LG_STORM_NONE)
		return;
	if (lg.stormdone == 0) {
		printf("%-28s %s\n", "storm", lg.storm0 == 0 ?
		    "not started" : "no full mesh again");
		return;
	}
	printf("%-28s %.3f s from the server's answer to the full mesh "
	    "again (down %.3f s)\n", "storm", lg_num(o, "storm_seconds"),
	    lg_num(o, "storm_down_seconds"));
	printf("%-28s handshake %d, register %d, map %d, drops %d\n",
	    "storm failures", (int)lg_num(o, "storm_handshake_failures"),
	    (int)lg_num(o, "storm_register_failures"),
	    (int)lg_num(o, "storm_map_failures"),
	    (int)lg_num(o, "storm_drops"));
	if (lg.mon.pid != 0)
		printf("%-28s %.2f s\n", "storm server cpu",
		    lg_num(o, "storm_server_cpu_seconds"));
}

static void
lg_text(json_t *o)
{
	double	mesh = lg_num(o, "full_mesh_seconds");

	printf("%-28s %d (%d samples, capver %d)\n", "nodes", lg.n,
	    lg.nsamples, lg.capver);
	printf("%-28s %d in %.3f s: %.1f/s\n", "registered", lg.nregistered,
	    lg_num(o, "register_seconds"), lg_num(o,
	    "registrations_per_sec"));
	printf("%-28s handshake %d, register %d, map %d, lite %d, "
	    "drops %d; %d by timeout\n", "failures", lg.hsfail,
	    lg.regfail, lg.mapfail, lg.litefail, lg.drops, lg.timeouts);
	if (mesh >= 0)
		printf("%-28s %.3f s\n", "full mesh", mesh);
	else
		printf("%-28s not reached (%d of %d nodes have a map)\n",
		    "full mesh", lg.nhasmap, lg.n);
	lg_text_storm(o);
	printf("%-28s %d sent, %d arrived, %d lost\n", "changes", lg.nchanges,
	    (int)lg_num(o, "changes_arrived"), lg.lost);
	printf("%-28s p50 %.1f, p95 %.1f, p99 %.1f, max %.1f\n",
	    "change latency (ms)", lg_num(o, "change_p50_ms"),
	    lg_num(o, "change_p95_ms"), lg_num(o, "change_p99_ms"),
	    lg_num(o, "change_max_ms"));
	if (lg.mon.pid != 0) {
		printf("%-28s %.2f s in %d processes\n", "server cpu",
		    lg_procmon_cpu(), lg.mon.nproc);
		printf("%-28s peak %.1f MB (%.1f MB at start), %ld B/node\n",
		    "server rss", lg.mon.rsspeak / 1e6, lg.mon.rss0 / 1e6,
		    lg.mon.rsspeak / lg.n);
	}
	printf("%-28s %.2f s cpu, %.1f MB rss, %.1f MB received "
	    "(%.0f B/node)\n", "loadgen", lg_num(o, "loadgen_cpu_seconds"),
	    lg_num(o, "loadgen_maxrss_bytes") / 1048576, lg.rxbytes / 1e6,
	    (double)lg.rxbytes / lg.n);
	printf("%-28s %.0f frames, %.1f MB of JSON\n", "samples decoded",
	    lg_num(o, "sample_frames"), lg_num(o, "sample_json_bytes") / 1e6);
	if (lg.why != NULL)
		printf("%-28s %s\n", "error", lg.why);
	fflush(stdout);
}

void
lg_report(void)
{
	json_t	*o;
	double	*lat;
	int	 nok;

	lat = lg_latencies(&nok);
	if ((o = json_object()) == NULL)
		err(1, NULL);
	lg_json_mesh(o);
	lg_json_storm(o);
	lg_json_changes(o, lat, nok);
	lg_json_server(o);
	lg_json_self(o);
	lg_text(o);
	if (lg.jsonpath != NULL && json_dump_file(o, lg.jsonpath,
	    JSON_INDENT(2) | JSON_PRESERVE_ORDER) == -1)
		warnx("%s: cannot write", lg.jsonpath);
	json_decref(o);
	free(lat);
}
