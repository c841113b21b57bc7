/*
 * tsc: the test client's command line.
 *
 *	tsc URL get PATH	print the status line's code and the body
 *	tsc URL key		print the server's Noise key as mkey:...
 *	tsc URL handshake	upgrade to Noise; "ok" when the server's
 *				response authenticates with its key
 *	tsc URL badinit		send a corrupted initiation; print the status
 *	tsc URL h2get PATH	HTTP/2 GET inside Noise; print our machine
 *				key as "machine mkey:...", then the status
 *				and the body
 *	tsc URL h2post PATH BODY
 *				HTTP/2 POST of BODY (@FILE: the file's
 *				contents); print "status length" and a
 *				newline, then the body as it came
 *	tsc URL h2many N	N requests on concurrent streams of one
 *				connection, GETs and POSTs; "ok N" when
 *				every answer is right
 *	tsc URL h2reset		GET /coordd/ticks, reset the stream after its
 *				headers, wait, then GET /coordd/echo on the
 *				same connection: "ok" when that works
 *	tsc URL badrecord KIND	after the handshake, a replayed (replay),
 *				reordered (reorder), too long (oversize) or
 *				unknown (badtype) record; "closed" when the
 *				server hangs up
 *	tsc URL h2garbage	send a record of bytes that are not HTTP/2;
 *				"closed" when the server hangs up
 *	tsc URL register AUTHKEY HOSTNAME [refresh|logout ...]
 *				POST /machine/register with a new node key
 *				and AUTHKEY ("" for none); print "machine
 *				mkey:...", "node nodekey:...", then "status
 *				JSON" for the request and for each follow-up
 *				on the same connection with the same node
 *				key: refresh without Auth, logout with an
 *				Expiry in the past, followup with the last
 *				answer's AuthURL, rotate to a new node key
 *				with OldNodeKey (its "node" line first)
 *	tsc URL map KEYFILE AUTHKEY HOSTNAME [options]
 *				a node's map poll, as tailscaled does it.
 *				KEYFILE holds the machine, node and disco
 *				private keys, one in hex a line; it is made
 *				(mode 0600) when missing.  Print "machine
 *				mkey:...", "node nodekey:...", "disco
 *				discokey:...", then register the node key
 *				with AUTHKEY ("" for none: a restarted node)
 *				and print "registered STATUS JSON"; then
 *				POST /machine/map with Stream and print each
 *				frame of the answer as "frame N JSON" as it
 *				comes (keep-alives too, N from 1).  A map
 *				status other than 200 prints "status CODE
 *				BODY", the server ending the stream "end N
 *				REASON"; both exit 1.  Options:
 *		-c N		exit 0 after N frames
 *		-D N		Hostinfo.NetInfo.PreferredDERP (0: no NetInfo)
 *		-e EP,...	Endpoints (default 127.0.0.1:PORT, PORT made
 *				from the node key)
 *		-l SECS:EP,...	SECS after the poll began, a lite update
 *				(Stream false, OmitPeers) with these
 *				endpoints on another stream of the same
 *				connection; print "lite STATUS" when it is
 *				answered.  Up to 8 times.
 *		-n		send no DiscoKey
 *		-r P,...	Hostinfo.RoutableIPs: advertise these routes
 *		-t SECS		exit 0 after SECS seconds
 *		-u		do not register first
 *		-v CAPVER	the MapRequest's Version
 *	tsc URL mapraw KEYFILE BODY
 *				POST /machine/map with BODY (@FILE as in
 *				h2post) on KEYFILE's machine key, no
 *				register; print "status CODE" and up to 200
 *				bytes of the body on one line
 *	tsc URL wsbad KIND	the WebSocket upgrade done wrong (URL
 *				without ws+): KIND nokey or v12 leaves out
 *				Sec-WebSocket-Key or asks for version 12 and
 *				prints "STATUS BODY"; unmasked, oversized,
 *				text or reserved sends such a frame after
 *				the handshake and prints "closed CODE" with
 *				the server's close code (0: none) once it
 *				hangs up; ping prints "pong" when answered
 *	tsc selftest-frames	check the map frame decoder on made-up
 *				streams cut in pieces; "ok ..." lines
 *
 * URL is http://host:port, or ws+http://host:port for the WebSocket
 * variant of the /ts2021 upgrade: every command that opens Noise then
 * runs over binary WebSocket messages.
 *
 * TSC_H2_WINDOW in the environment sets our HTTP/2 receive windows.
 * TSC_WS_FRAGMENT=1 sends each WebSocket message in two fragments with
 * a ping between them.
 *
 * Exit 0 on success, 1 with a line on stderr otherwise.
 */
#include <sys/param.h>

#include <err.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <sodium.h>
#include <zstd.h>

#include "tsclient.h"
#include "tsmap.h"

#define TSC_MAXLITE	8

static uint8_t *
read_body(const char *arg, size_t *len)
{
	FILE	*f;
	uint8_t	*buf;
	long	 n;

	if (arg[0] != '@') {
		*len = strlen(arg);
		if ((buf = malloc(*len + 1)) == NULL)
			err(1, NULL);
		memcpy(buf, arg, *len + 1);
		return (buf);
	}
	if ((f = fopen(arg + 1, "rb")) == NULL)
		err(1, "%s", arg + 1);
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1)
		err(1, "%s", arg + 1);
	if ((buf = malloc(n + 1)) == NULL)
		err(1, NULL);
	if (fread(buf, 1, n, f) != (size_t)n)
		errx(1, "%s: short read", arg + 1);
	fclose(f);
	*len = n;
	return (buf);
}

/* The last answer's AuthURL, for a follow-up. */
static char	reg_authurl[1024];

static void
reg_post_full(struct tsc *t, const char *nodekey, const char *oldkey,
    const char *authkey, const char *hostname, const char *expiry,
    const char *followup)
{
	char		 out[8192];
	const char	*p, *q;
	size_t		 outlen = sizeof(out) - 1;
	int		 status;

	if (tsc_register_full(t, nodekey, oldkey, authkey, hostname, expiry,
	    followup, &status, out, &outlen) == -1)
		errx(1, "%s", t->err);
	out[MIN(outlen, sizeof(out) - 1)] = '\0';
	printf("%d %s\n", status, out);
	fflush(stdout);
	reg_authurl[0] = '\0';
	if ((p = strstr(out, "\"AuthURL\":\"")) != NULL &&
	    (q = strchr(p + 11, '"')) != NULL &&
	    (size_t)(q - p - 11) < sizeof(reg_authurl)) {
		memcpy(reg_authurl, p + 11, q - p - 11);
		reg_authurl[q - p - 11] = '\0';
	}
}

static void
reg_post(struct tsc *t, const char *nodekey, const char *authkey,
    const char *hostname, const char *expiry)
{
	reg_post_full(t, nodekey, NULL, authkey, hostname, expiry, NULL);
}

static void
new_node_key(char *nodekey, size_t len)
{
	uint8_t	 priv[NOISE_KEYLEN], pub[NOISE_KEYLEN];
	char	 hex[2 * NOISE_KEYLEN + 1];

	randombytes_buf(priv, sizeof(priv));
	if (crypto_scalarmult_base(pub, priv) != 0)
		errx(1, "crypto_scalarmult_base");
	sodium_bin2hex(hex, sizeof(hex), pub, sizeof(pub));
	snprintf(nodekey, len, "nodekey:%s", hex);
}

/* A new node key, registered, then the follow-ups asked for. */
static void
reg_run(struct tsc *t, int argc, char *argv[])
{
	char	 nodekey[8 + 2 * NOISE_KEYLEN + 1], old[sizeof(nodekey)];
	int	 i;

	new_node_key(nodekey, sizeof(nodekey));
	printf("node %s\n", nodekey);
	reg_post(t, nodekey, argv[3], argv[4], "0001-01-01T00:00:00Z");
	for (i = 5; i < argc; i++) {
		if (strcmp(argv[i], "refresh") == 0)
			reg_post(t, nodekey, "", argv[4],
			    "0001-01-01T00:00:00Z");
		else if (strcmp(argv[i], "logout") == 0)
			reg_post(t, nodekey, "", argv[4],
			    "1970-01-01T00:02:03Z");
		else if (strcmp(argv[i], "followup") == 0)
			reg_post_full(t, nodekey, NULL, "", argv[4],
			    "0001-01-01T00:00:00Z", reg_authurl);
		else if (strcmp(argv[i], "rotate") == 0) {
			strlcpy(old, nodekey, sizeof(old));
			new_node_key(nodekey, sizeof(nodekey));
			printf("node %s\n", nodekey);
			reg_post_full(t, nodekey, old, "", argv[4],
			    "0001-01-01T00:00:00Z", NULL);
		}
		else
			errx(1, "unknown follow-up %s", argv[i]);
	}
}

/* n streams at once: even ones GET, odd ones POST a body to echo. */
static void
h2many(struct tsc *t, const char *arg, const char *mkey)
{
	struct tsc_h2req	*reqs;
	char			(*bodies)[32];
	const char		*errstr;
	size_t			 i, n;

	n = strtonum(arg, 1, 10000, &errstr);
	if (errstr != NULL)
		errx(1, "N is %s", errstr);
	if ((reqs = calloc(n, sizeof(*reqs))) == NULL ||
	    (bodies = calloc(n, sizeof(*bodies))) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		reqs[i].path = "/coordd/echo";
		if (i % 2 == 0)
			reqs[i].method = "GET";
		else {
			reqs[i].method = "POST";
			snprintf(bodies[i], sizeof(bodies[i]), "stream %zu",
			    i);
			reqs[i].body = (uint8_t *)bodies[i];
			reqs[i].bodylen = strlen(bodies[i]);
		}
		if (tsc_h2_submit(t, &reqs[i]) == -1)
			errx(1, "%s", t->err);
	}
	if (tsc_h2_wait(t, reqs, n) == -1)
		errx(1, "%s", t->err);
	for (i = 0; i < n; i++) {
		if (reqs[i].status != 200)
			errx(1, "request %zu: status %d", i, reqs[i].status);
		if (i % 2 == 1 && (reqs[i].outlen != reqs[i].bodylen ||
		    memcmp(reqs[i].out, reqs[i].body, reqs[i].outlen) != 0))
			errx(1, "request %zu: wrong echo", i);
		if (i % 2 == 0 && (reqs[i].outlen == 0 ||
		    memmem(reqs[i].out, reqs[i].outlen, mkey,
		    strlen(mkey)) == NULL))
			errx(1, "request %zu: no machine key", i);
		tsc_h2_req_free(&reqs[i]);
	}
	printf("ok %zu\n", n);
	free(reqs);
	free(bodies);
}

/* The map command's options; see the usage above. */
struct mapopts {
	const char		*keyfile;
	const char		*authkey;
	const char		*hostname;
	char			*eps;
	int			 derp;
	const char		*routes;
	int			 nodisco;
	int			 noreg;
	int			 capver;
	long long		 count;
	long long		 secs;
	struct {
		long long		 at;	/* ms after the poll began */
		char			*eps;
		int			 state;	/* 0 wait, 1 sent, 2 done */
		struct tsmap_stream	 s;
	}			 lite[TSC_MAXLITE];
	size_t			 nlite;
};

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* A line of JSON: its newlines can only be whitespace, so blank them. */
static void
print_json_line(const char *json, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		putchar(json[i] == '\n' || json[i] == '\r' ? ' ' : json[i]);
	putchar('\n');
}

/* A body on the rest of a status line: no line breaks in it. */
static void
print_body_line(const uint8_t *body, size_t len)
{
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	print_json_line(len > 0 ? (const char *)body : "", len);
}

static void
map_lite_opt(struct mapopts *o, char *arg)
{
	const char	*errstr;
	char		*colon;

	if (o->nlite == TSC_MAXLITE)
		errx(1, "-l at most %d times", TSC_MAXLITE);
	if ((colon = strchr(arg, ':')) == NULL)
		errx(1, "-l SECS:EP1,EP2");
	*colon = '\0';
	o->lite[o->nlite].at = strtonum(arg, 0, 86400, &errstr) * 1000;
	if (errstr != NULL)
		errx(1, "-l SECS is %s", errstr);
	o->lite[o->nlite++].eps = colon + 1;
}

/* Options follow URL map KEYFILE AUTHKEY HOSTNAME. */
static void
map_opts(struct mapopts *o, int argc, char *argv[])
{
	const char	*errstr = NULL;
	int		 ch;

	memset(o, 0, sizeof(*o));
	o->keyfile = argv[3];
	o->authkey = argv[4];
	o->hostname = argv[5];
	o->capver = TSC_CAPVER;
	/* argv[5] stands in for the program's name. */
	optind = 1;
	while ((ch = getopt(argc - 5, argv + 5, "c:D:e:l:nr:t:uv:")) != -1) {
		switch (ch) {
		case 'c':
			o->count = strtonum(optarg, 1, LLONG_MAX, &errstr);
			break;
		case 'D':
			o->derp = strtonum(optarg, 0, INT_MAX, &errstr);
			break;
		case 'e':
			o->eps = optarg;
			break;
		case 'l':
			map_lite_opt(o, optarg);
			break;
		case 'n':
			o->nodisco = 1;
			break;
		case 'r':
			o->routes = optarg;
			break;
		case 't':
			o->secs = strtonum(optarg, 1, 86400 * 365, &errstr);
			break;
		case 'u':
			o->noreg = 1;
			break;
		case 'v':
			o->capver = strtonum(optarg, 1, 65535, &errstr);
			break;
		default:
			errx(1, "map options: [-c N] [-D N] [-e EP,...] "
			    "[-l SECS:EP,...] [-n] [-r PREFIX,...] [-t SECS] [-u] "
			    "[-v CAPVER]");
		}
		if (errstr != NULL)
			errx(1, "-%c %s is %s", ch, optarg, errstr);
	}
	if (optind != argc - 5)
		errx(1, "map: unexpected %s", argv[5 + optind]);
}

/* The map request's fields; eps is cut up in place. */
static void
map_params(struct tsmap_params *p, const struct mapopts *o,
    const char *nodekey, const char *discokey, char *eps, int stream)
{
	char	*ep;

	memset(p, 0, sizeof(*p));
	p->capver = o->capver;
	p->nodekey = nodekey;
	p->discokey = o->nodisco ? NULL : discokey;
	p->hostname = o->hostname;
	p->derp = o->derp;
	p->routes = o->routes;
	p->stream = stream;
	while ((ep = strsep(&eps, ",")) != NULL) {
		if (*ep == '\0')
			continue;
		if (p->nendpoints == TSMAP_MAXEP)
			errx(1, "at most %d endpoints", TSMAP_MAXEP);
		p->endpoints[p->nendpoints++] = ep;
	}
}

/* A new connection on the key file's machine key. */
static void
map_connect(struct tsc *t, const char *url, const struct tsmap_keys *k)
{
	const char	*win, *errstr;
	char		 why[512];
	int		 status;

	if (tsc_init(t, url, TSC_CAPVER) == -1 ||
	    tsc_set_machine_key(t, k->machine_priv) == -1 ||
	    tsc_fetch_key(t) == -1)
		errx(1, "%s", t->err);
	if ((win = getenv("TSC_H2_WINDOW")) != NULL) {
		t->h2window = strtonum(win, 1, INT32_MAX, &errstr);
		if (errstr != NULL)
			errx(1, "TSC_H2_WINDOW is %s", errstr);
	}
	if (tsc_handshake(t, NULL, 0, &status, why, sizeof(why)) == -1)
		errx(1, "handshake: %s %s", t->err, why);
}

static void
map_register(struct tsc *t, const struct mapopts *o, const char *nodekey)
{
	char	 out[8192];
	size_t	 outlen = sizeof(out);
	int	 status;

	if (tsc_register(t, nodekey, o->authkey, o->hostname,
	    "0001-01-01T00:00:00Z", &status, out, &outlen) == -1)
		errx(1, "register: %s", t->err);
	printf("registered %d ", status);
	print_json_line(out, strlen(out));
	fflush(stdout);
	if (status != 200)
		exit(1);
}

static int
map_frame(void *arg, uint64_t n, const char *json, size_t len)
{
	const struct mapopts	*o = arg;

	printf("frame %llu ", (unsigned long long)n);
	print_json_line(json, len);
	fflush(stdout);
	return (o->count > 0 && n >= (uint64_t)o->count ? 1 : 0);
}

/* Send the lite updates that are due, report those answered. */
static void
map_lites(struct tsc *t, struct mapopts *o, long long elapsed,
    const char *nodekey, const char *discokey)
{
	struct tsmap_params	 p;
	size_t			 i;

	for (i = 0; i < o->nlite; i++) {
		if (o->lite[i].state == 0 && elapsed >= o->lite[i].at) {
			map_params(&p, o, nodekey, discokey, o->lite[i].eps, 0);
			if (tsmap_submit(t, &o->lite[i].s, &p, NULL, NULL) ==
			    -1)
				errx(1, "lite: %s", t->err);
			o->lite[i].state = 1;
		}
		if (o->lite[i].state == 1 && o->lite[i].s.req.done) {
			printf("lite %d\n", o->lite[i].s.req.status);
			fflush(stdout);
			tsmap_stream_free(&o->lite[i].s);
			o->lite[i].state = 2;
		}
	}
}

/* How long the pump may wait: until the next deadline, at most 1 s. */
static int
map_wait_ms(const struct mapopts *o, long long elapsed)
{
	long long	w = 1000;
	size_t		i;

	if (o->secs > 0)
		w = MIN(w, o->secs * 1000 - elapsed);
	for (i = 0; i < o->nlite; i++)
		if (o->lite[i].state == 0)
			w = MIN(w, o->lite[i].at - elapsed);
	return (MAX(w, 0));
}

/* Stream frames until -c or -t says enough, or the server ends it. */
static void
map_poll(struct tsc *t, struct mapopts *o, const char *nodekey,
    const char *discokey)
{
	struct tsmap_params	 p;
	struct tsmap_stream	 ms;
	long long		 start, elapsed;
	struct tsc_h2req	*r = &ms.req;

	map_params(&p, o, nodekey, discokey, o->eps, 1);
	if (tsmap_submit(t, &ms, &p, map_frame, o) == -1)
		errx(1, "map: %s", t->err);
	start = now_ms();
	for (;;) {
		elapsed = now_ms() - start;
		if ((o->secs > 0 && elapsed >= o->secs * 1000) ||
		    ms.dec.stopped)
			break;
		map_lites(t, o, elapsed, nodekey, discokey);
		if (r->done && r->status != 200) {
			printf("status %d ", r->status);
			print_body_line(r->out, r->outlen);
			exit(1);
		}
		if (r->done) {
			printf("end %llu %s\n",
			    (unsigned long long)ms.dec.nframes,
			    nghttp2_http2_strerror(r->error));
			exit(1);
		}
		if (tsc_h2_pump(t, map_wait_ms(o, elapsed)) == -1)
			errx(1, "map: %s", t->err);
	}
	tsmap_stream_free(&ms);
}

static void
map_main(int argc, char *argv[])
{
	struct tsc		t;
	struct tsmap_keys	k;
	struct mapopts		o;
	char			mkey[TSMAP_KEYTEXT], nodekey[TSMAP_KEYTEXT];
	char			discokey[TSMAP_KEYTEXT], ep[32], why[256];

	map_opts(&o, argc, argv);
	if (tsmap_keys_load(&k, o.keyfile, why, sizeof(why)) == -1)
		errx(1, "%s", why);
	tsmap_key_text(mkey, sizeof(mkey), "mkey", k.machine_pub);
	tsmap_key_text(nodekey, sizeof(nodekey), "nodekey", k.node_pub);
	tsmap_key_text(discokey, sizeof(discokey), "discokey", k.disco_pub);
	printf("machine %s\nnode %s\n", mkey, nodekey);
	if (!o.nodisco)
		printf("disco %s\n", discokey);
	fflush(stdout);
	if (o.eps == NULL) {
		/* Distinct made-up endpoints for nodes on one host. */
		snprintf(ep, sizeof(ep), "127.0.0.1:%u", 10000 +
		    ((unsigned)k.node_pub[0] << 8 | k.node_pub[1]) % 50000);
		o.eps = ep;
	}
	map_connect(&t, argv[1], &k);
	if (!o.noreg)
		map_register(&t, &o, nodekey);
	map_poll(&t, &o, nodekey, discokey);
	tsc_close(&t);
	sodium_memzero(&k, sizeof(k));
	exit(0);
}

/* BODY as it is, on the key file's machine key; no register first. */
static void
mapraw_main(int argc, char *argv[])
{
	struct tsc		 t;
	struct tsmap_keys	 k;
	struct tsc_h2req	 r;
	uint8_t			*body;
	char			 why[256];
	long long		 end;

	if (tsmap_keys_load(&k, argv[3], why, sizeof(why)) == -1)
		errx(1, "%s", why);
	map_connect(&t, argv[1], &k);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "/machine/map";
	r.body = body = read_body(argv[4], &r.bodylen);
	if (tsc_h2_submit(&t, &r) == -1)
		errx(1, "%s", t.err);
	/* A 200 to a streaming request never ends: stop at 200 bytes. */
	end = now_ms() + 10000;
	while (!r.done && (r.status == 0 || r.outlen < 200)) {
		if (now_ms() >= end)
			errx(1, "no answer in 10 s");
		if (tsc_h2_pump(&t, 100) == -1)
			errx(1, "%s", t.err);
	}
	printf("status %d ", r.status);
	print_body_line(r.out, MIN(r.outlen, 200));
	tsc_h2_req_free(&r);
	free(body);
	tsc_close(&t);
	exit(r.status == 0 ? 1 : 0);
}

/* selftest-frames: what the decoder made of a stream, as text. */
struct st_out {
	char	buf[1 << 20];
	size_t	len;
	int	stop_at;	/* 0: never */
};

static int
st_frame(void *arg, uint64_t n, const char *json, size_t len)
{
	struct st_out	*o = arg;
	int		 w;

	if (strlen(json) != len)
		errx(1, "selftest: frame %llu is not NUL-terminated right",
		    (unsigned long long)n);
	w = snprintf(o->buf + o->len, sizeof(o->buf) - o->len, "%llu:%.*s\n",
	    (unsigned long long)n, (int)MIN(len, 64), json);
	o->len += MIN((size_t)w, sizeof(o->buf) - o->len - 1);
	return (o->stop_at > 0 && n >= (uint64_t)o->stop_at ? 1 : 0);
}

/* Append a frame as coordd/mapframe.c writes one: u32 LE, then zstd. */
static void
st_put(uint8_t **s, size_t *slen, const void *z, size_t zlen)
{
	if ((*s = realloc(*s, *slen + 4 + zlen)) == NULL)
		err(1, NULL);
	(*s)[*slen] = zlen & 0xff;
	(*s)[*slen + 1] = (zlen >> 8) & 0xff;
	(*s)[*slen + 2] = (zlen >> 16) & 0xff;
	(*s)[*slen + 3] = (zlen >> 24) & 0xff;
	memcpy(*s + *slen + 4, z, zlen);
	*slen += 4 + zlen;
}

/* zstd of json; sized 0 leaves the content size out of the header. */
static uint8_t *
st_zstd(const char *json, size_t len, int sized, size_t *zlen)
{
	ZSTD_CCtx	*c;
	uint8_t		*z;
	size_t		 bound = ZSTD_compressBound(len);

	if ((z = malloc(bound)) == NULL || (c = ZSTD_createCCtx()) == NULL)
		err(1, NULL);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, sized);
	*zlen = ZSTD_compress2(c, z, bound, json, len);
	if (ZSTD_isError(*zlen))
		errx(1, "selftest: zstd: %s", ZSTD_getErrorName(*zlen));
	ZSTD_freeCCtx(c);
	return (z);
}

static void
st_frame_json(uint8_t **s, size_t *slen, const char *json, int sized)
{
	uint8_t	*z;
	size_t	 zlen;

	z = st_zstd(json, strlen(json), sized, &zlen);
	st_put(s, slen, z, zlen);
	free(z);
}

/* Feed s in pieces of step bytes (0: whole); the decoder's result. */
static int
st_feed(const uint8_t *s, size_t slen, size_t step, struct st_out *o,
    char *err, size_t errlen)
{
	struct tsmap_dec	d;
	size_t			off, n;
	int			rv = 0;

	o->len = 0;
	o->buf[0] = '\0';
	if (tsmap_dec_init(&d, st_frame, o) == -1)
		errx(1, "selftest: %s", d.err);
	for (off = 0; off < slen && rv == 0; off += n) {
		n = step == 0 ? slen : MIN(step, slen - off);
		rv = tsmap_dec_feed(&d, s + off, n);
	}
	snprintf(err, errlen, "%s", rv == -1 ? d.err : "");
	tsmap_dec_free(&d);
	return (rv);
}

/* A big map: many peers, so frames span many DATA chunks. */
static char *
st_big_json(void)
{
	char	*j;
	size_t	 len = 0, cap = 400000;
	int	 i;

	if ((j = malloc(cap)) == NULL)
		err(1, NULL);
	len = snprintf(j, cap, "{\"Peers\":[");
	for (i = 1; i <= 3000; i++)
		len += snprintf(j + len, cap - len, "%s{\"ID\":%d,\"Name\":"
		    "\"node-%d.tailnet.example.\",\"Endpoints\":"
		    "[\"10.%d.%d.1:41641\"]}", i > 1 ? "," : "", i, i,
		    i / 256, i % 256);
	snprintf(j + len, cap - len, "]}");
	return (j);
}

static void
st_expect(const char *what, const uint8_t *s, size_t slen, int stop_at,
    const char *want, const char *wanterr)
{
	static const size_t	 steps[] = { 1, 7, 4096, 0 };
	static struct st_out	 o;
	char			 e[128];
	size_t			 i;
	int			 rv;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		o.stop_at = stop_at;
		rv = st_feed(s, slen, steps[i], &o, e, sizeof(e));
		if (strcmp(o.buf, want) != 0)
			errx(1, "selftest %s, pieces of %zu: got\n%s\nwant\n%s",
			    what, steps[i], o.buf, want);
		if ((wanterr == NULL) != (rv == 0) ||
		    (wanterr != NULL && strstr(e, wanterr) == NULL))
			errx(1, "selftest %s, pieces of %zu: error \"%s\", "
			    "want \"%s\"", what, steps[i], e,
			    wanterr != NULL ? wanterr : "");
	}
	printf("ok %s\n", what);
}

static void
st_good(void)
{
	uint8_t	*s = NULL, *z1, *z2, *cat;
	size_t	 slen = 0, l1, l2;
	char	*big, want[512];

	st_frame_json(&s, &slen, "{\"KeepAlive\":true}", 1);
	big = st_big_json();
	st_frame_json(&s, &slen, big, 1);
	st_frame_json(&s, &slen, "{\"PeersRemoved\":[7]}", 0);
	/* Two zstd frames in one length: one message, concatenated. */
	z1 = st_zstd("{\"OnlineChange\":", 16, 1, &l1);
	z2 = st_zstd("{\"3\":false}}", 12, 0, &l2);
	if ((cat = malloc(l1 + l2)) == NULL)
		err(1, NULL);
	memcpy(cat, z1, l1);
	memcpy(cat + l1, z2, l2);
	st_put(&s, &slen, cat, l1 + l2);
	st_frame_json(&s, &slen, "{\"KeepAlive\":true}", 1);
	snprintf(want, sizeof(want), "1:{\"KeepAlive\":true}\n2:%.64s\n"
	    "3:{\"PeersRemoved\":[7]}\n4:{\"OnlineChange\":{\"3\":false}}\n"
	    "5:{\"KeepAlive\":true}\n", big);
	st_expect("frames", s, slen, 0, want, NULL);
	st_expect("stop after 2", s, slen, 2, "1:{\"KeepAlive\":true}\n"
	    "2:{\"Peers\":[{\"ID\":1,\"Name\":\"node-1.tailnet.example.\","
	    "\"Endpoints\":[\n", NULL);
	/* A frame cut short: nothing yet, and no error. */
	st_expect("partial frame", s, 10, 0, "", NULL);
	free(big);
	free(z1);
	free(z2);
	free(cat);
	free(s);
}

static void
st_bad(void)
{
	uint8_t	*s = NULL, *z, *huge;
	size_t	 slen = 0, zlen, hlen = TSMAP_FRAME_MAX + 1;
	uint8_t	 over[8] = { 0x01, 0x00, 0x00, 0x04, 0, 0, 0, 0 };

	st_frame_json(&s, &slen, "{\"KeepAlive\":true}", 1);
	st_put(&s, &slen, "{\"KeepAlive\":true}", 18);
	st_expect("raw JSON refused", s, slen, 0, "1:{\"KeepAlive\":true}\n",
	    "not a zstd frame");
	slen = 0;
	z = st_zstd("{\"Node\":{\"ID\":1}}", 17, 0, &zlen);
	st_put(&s, &slen, z, zlen - 3);
	st_expect("truncated zstd refused", s, slen, 0, "", "truncated");
	free(z);
	st_expect("a length over 64 MiB refused", over, sizeof(over), 0, "",
	    "frame length");
	st_expect("an empty frame refused", over + 4, 4, 0, "",
	    "not a zstd frame");
	/* 64 MiB + 1 of JSON-ish bytes, with and without a size. */
	if ((huge = malloc(hlen)) == NULL)
		err(1, NULL);
	memset(huge, ' ', hlen);
	slen = 0;
	z = st_zstd((char *)huge, hlen, 1, &zlen);
	st_put(&s, &slen, z, zlen);
	free(z);
	st_expect("a sized frame over 64 MiB refused", s, slen, 0, "",
	    "frame of");
	slen = 0;
	z = st_zstd((char *)huge, hlen, 0, &zlen);
	st_put(&s, &slen, z, zlen);
	free(z);
	st_expect("an unsized frame over 64 MiB refused", s, slen, 0, "",
	    "frame over");
	free(huge);
	free(s);
}

static void
selftest_frames(void)
{
	struct tsmap_params	 p;
	char			*j;

	st_good();
	st_bad();
	memset(&p, 0, sizeof(p));
	p.capver = 113;
	p.nodekey = "nodekey:00";
	p.hostname = "h\"1";
	p.endpoints[p.nendpoints++] = "1.2.3.4:5";
	p.derp = 9;
	if ((j = tsmap_request(&p)) == NULL || strcmp(j, "{\"Version\":113,"
	    "\"Compress\":\"zstd\",\"KeepAlive\":false,\"Stream\":false,"
	    "\"OmitPeers\":true,\"NodeKey\":\"nodekey:00\",\"Endpoints\":"
	    "[\"1.2.3.4:5\"],\"EndpointTypes\":[1],\"Hostinfo\":{\"Hostname\":"
	    "\"h\\\"1\",\"OS\":\"linux\",\"NetInfo\":{\"PreferredDERP\":9}}}")
	    != 0)
		errx(1, "selftest: lite request %s", j != NULL ? j : "NULL");
	free(j);
	printf("ok lite request\n");
}

/* tsc URL wsbad KIND: see the usage comment at the top. */
static void
wsbad_main(int argc, char *argv[])
{
	struct tsc	 t;
	uint8_t		 frame[WS_HDR_MAX + 16];
	uint8_t		 mask[4] = { 1, 2, 3, 4 };
	char		 why[512];
	const char	*kind = argv[3];
	size_t		 hlen;
	int		 status, i;

	if (tsc_init(&t, argv[1], TSC_CAPVER) == -1 ||
	    tsc_fetch_key(&t) == -1)
		errx(1, "%s", t.err);
	if (strcmp(kind, "nokey") == 0 || strcmp(kind, "v12") == 0) {
		t.ws = strcmp(kind, "nokey") == 0 ? TSC_WS_NOKEY : TSC_WS_V12;
		if (tsc_handshake(&t, NULL, 0, &status, why,
		    sizeof(why)) == 0)
			errx(1, "the bad upgrade was accepted");
		printf("%d %s", status, why);
		exit(0);
	}
	t.ws = TSC_WS_ON;
	if (tsc_handshake(&t, NULL, 0, &status, why, sizeof(why)) == -1)
		errx(1, "handshake: %s %s", t.err, why);
	if (strcmp(kind, "ping") == 0) {
		if (tsc_ws_control(&t, WS_OP_PING, (const uint8_t *)"hi",
		    2) == -1)
			errx(1, "%s", t.err);
		for (i = 0; i < 50 && t.wspongs == 0; i++)
			if (tsc_h2_pump(&t, 100) == -1)
				errx(1, "%s", t.err);
		if (t.wspongs == 0)
			errx(1, "no pong");
		printf("pong\n");
		exit(0);
	}
	if (strcmp(kind, "unmasked") == 0)
		hlen = ws_frame_header(frame, WS_OP_BINARY, 4, NULL);
	else if (strcmp(kind, "text") == 0)
		hlen = ws_frame_header(frame, WS_OP_TEXT, 4, mask);
	else if (strcmp(kind, "oversized") == 0)
		hlen = ws_frame_header(frame, WS_OP_BINARY, 2 * WS_FRAME_MAX,
		    mask);
	else if (strcmp(kind, "reserved") == 0) {
		hlen = ws_frame_header(frame, WS_OP_BINARY, 4, mask);
		frame[0] |= 0x40;
	} else
		errx(1, "unknown wsbad kind %s", kind);
	memcpy(frame + hlen, "abcd", 4);
	if (tsc_write_raw(&t, frame, hlen + 4) == -1)
		errx(1, "%s", t.err);
	if (tsc_wait_closed(&t) == -1)
		errx(1, "the server did not close: %s", t.err);
	printf("closed %d\n", t.wsclose);
	exit(0);
}

int
main(int argc, char *argv[])
{
	struct tsc	t;
	struct tsc_h2req r;
	const char	*win, *errstr;
	uint8_t		junk[NOISE_INIT_LEN];
	char		hex[2 * NOISE_KEYLEN + 1], why[512], body[4096];
	char		mkey[5 + sizeof(hex)], *out;
	uint8_t		*req;
	size_t		len, outlen, outcap;
	int		status;

	if (argc == 2 && strcmp(argv[1], "selftest-frames") == 0) {
		selftest_frames();
		return (0);
	}
	if (sodium_init() == -1)
		errx(1, "sodium_init");
	if (argc >= 6 && strcmp(argv[2], "map") == 0)
		map_main(argc, argv);
	if (argc == 5 && strcmp(argv[2], "mapraw") == 0)
		mapraw_main(argc, argv);
	if (argc == 4 && strcmp(argv[2], "wsbad") == 0)
		wsbad_main(argc, argv);
	if (argc == 4 && strcmp(argv[2], "get") == 0) {
		if (tsc_init(&t, argv[1], TSC_CAPVER) == -1 ||
		    tsc_get(&t, argv[3], &status, body, sizeof(body)) == -1)
			errx(1, "%s", t.err);
		printf("%d %s\n", status, body);
		return (0);
	}
	if (argc < 3 || (argc != 3 && strcmp(argv[2], "h2get") != 0 &&
	    strcmp(argv[2], "register") != 0 &&
	    strcmp(argv[2], "badrecord") != 0 &&
	    strcmp(argv[2], "h2post") != 0 && strcmp(argv[2], "h2many") != 0) ||
	    (strcmp(argv[2], "h2post") == 0 && argc != 5) ||
	    ((strcmp(argv[2], "h2get") == 0 ||
	    strcmp(argv[2], "h2many") == 0) && argc != 4) ||
	    (strcmp(argv[2], "register") == 0 && argc < 5) ||
	    (strcmp(argv[2], "badrecord") == 0 && argc != 4))
		errx(1, "usage: tsc URL get PATH|key|handshake|badinit|"
		    "h2get PATH|h2post PATH BODY|h2many N|h2reset|h2garbage|"
		    "register AUTHKEY HOSTNAME [refresh|logout ...]|"
		    "map KEYFILE AUTHKEY HOSTNAME [options]|mapraw KEYFILE BODY|"
		    "wsbad KIND|badrecord replay|reorder|oversize|badtype|"
	    "selftest-frames");
	if (tsc_init(&t, argv[1], TSC_CAPVER) == -1 ||
	    tsc_fetch_key(&t) == -1)
		errx(1, "%s", t.err);
	if (strcmp(argv[2], "key") == 0) {
		sodium_bin2hex(hex, sizeof(hex), t.server_pub, NOISE_KEYLEN);
		printf("mkey:%s\n", hex);
		return (0);
	}
	if (strcmp(argv[2], "badinit") == 0) {
		randombytes_buf(junk, sizeof(junk));
		junk[0] = 0;
		junk[1] = TSC_CAPVER;
		junk[2] = NOISE_MSG_INIT;
		junk[3] = 0;
		junk[4] = NOISE_INIT_BODYLEN;
		if (tsc_handshake(&t, junk, sizeof(junk), &status, why,
		    sizeof(why)) == 0)
			errx(1, "a corrupted initiation was accepted");
		printf("%d %s", status, why);
		return (0);
	}
	if ((win = getenv("TSC_H2_WINDOW")) != NULL) {
		t.h2window = strtonum(win, 1, INT32_MAX, &errstr);
		if (errstr != NULL)
			errx(1, "TSC_H2_WINDOW is %s", errstr);
	}
	if (tsc_handshake(&t, NULL, 0, &status, why, sizeof(why)) == -1)
		errx(1, "handshake: %s %s", t.err, why);
	sodium_bin2hex(hex, sizeof(hex), t.machine_pub, NOISE_KEYLEN);
	snprintf(mkey, sizeof(mkey), "mkey:%s", hex);
	if (strcmp(argv[2], "h2get") == 0) {
		len = sizeof(body);
		if (tsc_h2_request(&t, "GET", argv[3], NULL, 0, &status, body,
		    &len) == -1)
			errx(1, "%s", t.err);
		printf("machine %s\n%d %s\n", mkey, status, body);
	} else if (strcmp(argv[2], "h2post") == 0) {
		req = read_body(argv[4], &len);
		outcap = outlen = len + 65536;
		if ((out = malloc(outlen)) == NULL)
			err(1, NULL);
		if (tsc_h2_request(&t, "POST", argv[3], req, len, &status, out,
		    &outlen) == -1)
			errx(1, "%s", t.err);
		printf("%d %zu\n", status, outlen);
		fwrite(out, 1, MIN(outlen, outcap - 1), stdout);
		free(req);
		free(out);
	} else if (strcmp(argv[2], "h2many") == 0)
		h2many(&t, argv[3], mkey);
	else if (strcmp(argv[2], "register") == 0) {
		printf("machine %s\n", mkey);
		reg_run(&t, argc, argv);
	}
	else if (strcmp(argv[2], "h2reset") == 0) {
		memset(&r, 0, sizeof(r));
		r.method = "GET";
		r.path = "/coordd/ticks";
		if (tsc_h2_submit(&t, &r) == -1 ||
		    tsc_h2_wait_status(&t, &r) == -1 ||
		    tsc_h2_reset(&t, &r) == -1)
			errx(1, "%s", t.err);
		tsc_h2_req_free(&r);
		usleep(400000);
		len = sizeof(body);
		if (tsc_h2_request(&t, "GET", "/coordd/echo", NULL, 0, &status,
		    body, &len) == -1)
			errx(1, "after the reset: %s", t.err);
		if (status != 200)
			errx(1, "after the reset: status %d", status);
		printf("ok\n");
	} else if (strcmp(argv[2], "h2garbage") == 0) {
		if (tsc_send(&t, "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		    29) == -1)
			errx(1, "%s", t.err);
		if (tsc_wait_closed(&t) == -1)
			errx(1, "the server did not close: %s", t.err);
		printf("closed\n");
	} else if (strcmp(argv[2], "badrecord") == 0) {
		if (tsc_send_bad(&t, argv[3]) == -1)
			errx(1, "%s", t.err);
		if (tsc_wait_closed(&t) == -1)
			errx(1, "the server did not close: %s", t.err);
		printf("closed\n");
	} else if (strcmp(argv[2], "handshake") == 0)
		printf("ok\n");
	else
		errx(1, "unknown command %s", argv[2]);
	tsc_close(&t);
	return (0);
}
