/*
 * loadgen: many simulated Tailscale nodes in one event-driven process,
 * against a control server over the real protocol (GET /key, the
 * /ts2021 Noise upgrade, HTTP/2 inside Noise, register, map stream).
 *
 * Every node has its own connection; only a few sample nodes decode
 * their map streams and keep a view of the tailnet, from which the
 * time to a full mesh and the latency of endpoint changes are taken.
 */
#ifndef LOADGEN_H
#define LOADGEN_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>

#include <event2/event.h>
#include <event2/bufferevent.h>

#include "noise.h"
#include "tsmap.h"

#define LG_CAPVER	133	/* tailscale v1.96; headscale wants >= 113 */
#define LG_CHANGE_TTL	10.0	/* seconds before a change counts as lost */
#define LG_RETRY_SEC	1	/* a failed node tries again after this */
#define LG_CHANGE_EP	"127.0.0.2"	/* its port is the change id */
#define LG_MAXCHANGES	65535
#define LG_HS_TIMEOUT	60	/* silence allowed until the Noise session */
#define LG_MAP_TIMEOUT	120	/* and on it, as tailscaled's poll timeout */

/* The run's phases, in this order; the storm and the churn are optional. */
enum lg_phase {
	LG_PH_RAMP,		/* nodes connect, until the full mesh */
	LG_PH_WAIT,		/* -W: until the server drops every session */
	LG_PH_STORM,		/* all reconnect at once, until the mesh again */
	LG_PH_CHURN,		/* endpoint changes, until they settle */
	LG_PH_DONE
};

/* What starts the reconnect storm. */
enum lg_storm {
	LG_STORM_NONE,
	LG_STORM_NOW,		/* -w: the loadgen drops all after the mesh */
	LG_STORM_RESTART	/* -W: the server drops all (a restart) */
};

/* Where a node is in its life. */
enum lg_state {
	LG_IDLE,		/* not started, or waiting to retry */
	LG_KEY,			/* GET /key */
	LG_UPGRADE,		/* POST /ts2021, waiting for 101 */
	LG_NOISE,		/* waiting for the Noise response */
	LG_REGISTER,		/* HTTP/2 up, register sent */
	LG_MAPPING		/* map stream open */
};

/* The requests a node has on its HTTP/2 session. */
enum lg_kind {
	LG_REQ_REGISTER,
	LG_REQ_MAP,
	LG_REQ_LITE,
	LG_NREQ
};

struct lg_req {
	char		*body;
	size_t		 len;
	size_t		 off;
	int32_t		 sid;		/* 0: none open */
	int		 status;
	char		*ans;		/* the start of a register answer */
	size_t		 anslen;
	double		 sent;
};

/* Why a node's connection ended before its time. */
enum lg_fail {
	LG_FAIL_NONE,
	LG_FAIL_HS,		/* /key, upgrade or Noise */
	LG_FAIL_REG,		/* register not 200 or not authorized */
	LG_FAIL_MAP,		/* map stream not 200 */
	LG_FAIL_DROP		/* connection or stream lost later */
};

struct lg_view;

struct lg_node {
	int			 idx;
	enum lg_state		 state;
	struct tsmap_keys	 keys;
	int			 known;		/* keys came from the key file */
	int			 haskey;	/* has fetched /key */
	int			 inflight;	/* counted in lg.inflight */
	int			 registered;	/* ever answered 200 */
	int			 meshing;	/* map stream answered 200 */
	uint64_t		 id;		/* the server's node ID, or 0 */
	struct bufferevent	*bev;
	struct noise_transport	 nt;
	struct noise_hs		 hs;
	uint8_t			 early[16];	/* first plaintext bytes */
	size_t			 earlylen;
	size_t			 earlyskip;	/* of the early payload */
	int			 earlymagic;	/* there is one */
	int			 h2on;		/* past the early payload */
	enum lg_fail		 dead;		/* failed inside nghttp2 */
	struct nghttp2_session	*h2;
	struct lg_req		 req[LG_NREQ];
	struct lg_view		*view;		/* sample nodes only */
	struct event		*retry;
	uint16_t		 pending;	/* change id not yet everywhere */
	int			 hasmap;	/* its first map frame came */
	int			 down;		/* dropped while waiting (-W) */
	uint8_t			 mhdr[4];	/* the first frame's length */
	uint32_t		 mgot;		/* its bytes so far */
};

/* What a sample node knows of the tailnet. */
struct lg_view {
	struct lg_node	*node;
	int		 sidx;		/* index among the samples */
	uint8_t		*present;	/* by node index */
	int		 npresent;
	struct tsmap_dec dec;
	uint64_t	 frames;
	uint64_t	 bytes;		/* decompressed */
};

struct lg_change {
	int		 node;
	double		 sent;
	double		 last;		/* latest first sight by a sample */
	int		 nseen;
	int		 want;		/* samples that must see it */
	int		 done;
	int		 lost;
	uint8_t		*seen;		/* by sample index */
};

struct lg_procstat {
	double	cpu;			/* user + system seconds */
	long	rss;			/* bytes */
	int	nproc;
};

/*
 * The server as seen from /proc once a second: its pid may come from a
 * file, read again at each look, so that a restarted server is followed.
 */
struct lg_procmon {
	pid_t		 pid;		/* 0: none watched */
	const char	*pidfile;
	double		 cpubase;	/* of the processes before this one */
	double		 cpulast;	/* of this one, at the last look */
	double		 cpu0;		/* the total at the first look */
	int		 started;
	long		 rss;		/* at the last look */
	long		 rss0;		/* at the first look */
	long		 rsspeak;
	int		 nproc;
	double		 next;		/* time of the next look */
};

/* Failure counters, to take the storm's share of them. */
struct lg_fails {
	int	hs;
	int	reg;
	int	map;
	int	drop;
};

struct lg {
	struct event_base	*base;
	char			 host[256];
	char			 port[16];
	struct sockaddr_in	 sin;
	int			 bindsrc;
	int			 capver;
	const char		*authkey;
	int			 restart;	/* -R */
	int			 n;
	int			 nsamples;
	double			 rate;		/* connects per second; 0: any */
	int			 maxinflight;
	double			 churnsec;
	double			 churnrate;
	int			 roam;		/* -m: the last roam nodes churn */
	double			 bound;		/* -t */
	enum lg_storm		 storm;
	const char		*jsonpath;
	int			 verbose;

	struct lg_node		*nodes;
	struct lg_view		*views;
	uint8_t			 server_pub[NOISE_KEYLEN];
	int			 havekey;

	/* The ramp. */
	int			 next;		/* next node to start */
	int			 inflight;
	double			 tokens;
	double			 lasttick;
	struct event		*tick;

	/* Figures. */
	double			 t0;		/* first connect */
	double			 regdone;	/* last register 200 */
	int			 nregistered;
	double			 meshdone;	/* 0: not yet */
	int			 nhasmap;	/* nodes with their first map */
	enum lg_phase		 phase;
	int			 hsfail;
	int			 regfail;	/* non-200 or refused */
	int			 mapfail;
	int			 litefail;
	int			 drops;		/* connections lost after setup */
	int			 timeouts;	/* of those failures, by silence */
	uint64_t		 rxbytes;
	struct lg_procmon	 mon;

	/* The reconnect storm. */
	int			 ndown;		/* -W: sessions dropped */
	double			 storm0;	/* every session down */
	double			 stormup;	/* first handshake after it */
	double			 stormdone;	/* full mesh again */
	double			 stormcpu0;	/* server CPU at stormup */
	double			 stormcpu1;
	struct lg_fails		 fail0;		/* at stormup */
	struct lg_fails		 fail1;		/* at stormdone */

	/* The churn. */
	struct lg_change	*changes;
	int			 nchanges;
	double			 churnstart;
	double			 churnend;
	double			 ctokens;
	int			 lost;
	int			 failed;
	const char		*why;
};

extern struct lg	lg;

/* loadgen.c */
double	lg_now(void);
void	lg_node_up(struct lg_node *);
void	lg_node_failed(struct lg_node *, enum lg_fail);
void	lg_node_hasmap(struct lg_node *);
void	lg_server_up(void);
void	lg_fails_get(struct lg_fails *);

/* lgconn.c */
void	lg_conn_start(struct lg_node *);
void	lg_conn_close(struct lg_node *);
int	lg_conn_lite(struct lg_node *, uint16_t);
void	lg_reconnect_all(void);

/* lgview.c */
int	lg_view_init(struct lg_view *, struct lg_node *, int);
void	lg_view_free(struct lg_view *);
int	lg_view_feed(struct lg_view *, const uint8_t *, size_t);
void	lg_view_reset(struct lg_view *);
int	lg_index_add(const uint8_t *, int);
int	lg_change_send(void);
void	lg_change_expire(double);
int	lg_changes_settled(void);

/* lgstat.c */
int	lg_procstat(pid_t, struct lg_procstat *);
void	lg_procmon_init(const char *);
void	lg_procmon_look(double, int);
double	lg_procmon_cpu(void);
void	lg_report(void);

#endif /* LOADGEN_H */
