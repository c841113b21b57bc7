/*
 * The server's processes as /proc shows them, and the run's figures:
 * a table on stdout and the same as JSON for scripts.
 */
#include <sys/types.h>
#include <sys/resource.h>

#include <dirent.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "loadgen.h"

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

void
lg_report(void)
{
	struct rusage	 ru;
	json_t		*o;
	double		*lat, regwall, mesh, cpu = 0;
	uint64_t	 frames = 0, bytes = 0;
	int		 i, nok;

	lat = lg_latencies(&nok);
	regwall = lg.regdone > lg.t0 ? lg.regdone - lg.t0 : 0;
	mesh = lg.meshdone != 0 ? lg.meshdone - lg.t0 : -1;
	for (i = 0; i < lg.nsamples; i++) {
		frames += lg.views[i].frames;
		bytes += lg.views[i].bytes;
	}
	getrusage(RUSAGE_SELF, &ru);
	if (lg.serverpid != 0)
		cpu = lg.ps1.cpu - lg.ps0.cpu;

	o = json_object();
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
	json_object_set_new(o, "full_mesh", json_boolean(mesh >= 0));
	lg_set(o, "full_mesh_seconds", mesh);
	lg_seti(o, "changes", lg.nchanges);
	lg_seti(o, "changes_arrived", nok);
	lg_seti(o, "changes_lost", lg.lost);
	lg_set(o, "change_p50_ms", lg_pct(lat, nok, 0.50));
	lg_set(o, "change_p95_ms", lg_pct(lat, nok, 0.95));
	lg_set(o, "change_p99_ms", lg_pct(lat, nok, 0.99));
	lg_set(o, "change_max_ms", nok > 0 ? lat[nok - 1] : 0);
	if (lg.serverpid != 0) {
		lg_seti(o, "server_processes", lg.ps1.nproc);
		lg_set(o, "server_cpu_seconds", cpu);
		lg_seti(o, "server_rss_bytes", lg.ps1.rss);
		lg_seti(o, "server_rss_start_bytes", lg.ps0.rss);
		lg_seti(o, "server_rss_per_node", lg.ps1.rss / lg.n);
		lg_seti(o, "server_rss_growth_per_node",
		    (lg.ps1.rss - lg.ps0.rss) / lg.n);
	}
	lg_set(o, "loadgen_cpu_seconds", ru.ru_utime.tv_sec +
	    ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec) / 1e6);
	lg_seti(o, "loadgen_maxrss_bytes", ru.ru_maxrss * 1024LL);
	lg_seti(o, "received_bytes", lg.rxbytes);
	lg_seti(o, "sample_frames", frames);
	lg_seti(o, "sample_json_bytes", bytes);
	json_object_set_new(o, "ok", json_boolean(!lg.failed &&
	    lg.lost == 0));
	if (lg.why != NULL)
		json_object_set_new(o, "error", json_string(lg.why));

	printf("%-28s %d (%d samples, capver %d)\n", "nodes", lg.n,
	    lg.nsamples, lg.capver);
	printf("%-28s %d in %.3f s: %.1f/s\n", "registered", lg.nregistered,
	    regwall, regwall > 0 ? lg.nregistered / regwall : 0);
	printf("%-28s handshake %d, register %d, map %d, lite %d, "
	    "drops %d\n", "failures", lg.hsfail, lg.regfail, lg.mapfail,
	    lg.litefail, lg.drops);
	if (mesh >= 0)
		printf("%-28s %.3f s\n", "full mesh", mesh);
	else
		printf("%-28s not reached\n", "full mesh");
	printf("%-28s %d sent, %d arrived, %d lost\n", "changes", lg.nchanges,
	    nok, lg.lost);
	printf("%-28s p50 %.1f, p95 %.1f, p99 %.1f, max %.1f\n",
	    "change latency (ms)", lg_pct(lat, nok, 0.50),
	    lg_pct(lat, nok, 0.95), lg_pct(lat, nok, 0.99),
	    nok > 0 ? lat[nok - 1] : 0);
	if (lg.serverpid != 0) {
		printf("%-28s %.2f s in %d processes\n", "server cpu", cpu,
		    lg.ps1.nproc);
		printf("%-28s %.1f MB (%.1f MB at start), %ld B/node, "
		    "growth %ld B/node\n", "server rss", lg.ps1.rss / 1e6,
		    lg.ps0.rss / 1e6, lg.ps1.rss / lg.n,
		    (lg.ps1.rss - lg.ps0.rss) / lg.n);
	}
	printf("%-28s %.2f s cpu, %.1f MB rss, %.1f MB received\n",
	    "loadgen", json_real_value(json_object_get(o,
	    "loadgen_cpu_seconds")), ru.ru_maxrss / 1024.0, lg.rxbytes / 1e6);
	printf("%-28s %llu frames, %.1f MB of JSON\n", "samples decoded",
	    (unsigned long long)frames, bytes / 1e6);
	if (lg.why != NULL)
		printf("%-28s %s\n", "error", lg.why);
	fflush(stdout);
	if (lg.jsonpath != NULL && json_dump_file(o, lg.jsonpath,
	    JSON_INDENT(2) | JSON_PRESERVE_ORDER) == -1)
		warnx("%s: cannot write", lg.jsonpath);
	json_decref(o);
	free(lat);
}
