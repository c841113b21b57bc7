/*
 * The parent: starts the children, wires them together, hands them the
 * config and their sockets, restarts the stateless ones when they crash,
 * stops the suite when stored dies, and reloads on SIGHUP.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "clientcfg.h"
#include "config.h"
#include "coordd.h"
#include "log.h"
#include "proc.h"
#include "stun.h"
#include "util.h"

#include "parent.pb-c.h"

#define BACKOFF_MIN_MS		100
#define BACKOFF_MAX_MS		30000
#define STABLE_SECONDS		10
#define SHUTDOWN_GRACE_SEC	10

/* The channels between children; nothing else is connected. */
static const enum proc_id peer_pairs[][2] = {
	{ PROC_COORD,	PROC_STORE },
	{ PROC_API,	PROC_STORE },
	{ PROC_COORD,	PROC_AUTH },
	{ PROC_COORD,	PROC_API },
};

/* Start order: stored first, so that the others find it. */
static const enum proc_id start_order[] = {
	PROC_STORE, PROC_COORD, PROC_API, PROC_AUTH
};

static void	parent_start_child(struct parent *, enum proc_id);
static void	parent_dispatch_child(struct imsgev *, struct imsg *, void *);
static void	parent_shutdown(struct parent *, int);

/*
 * The STUN socket, bound only when derp.server.enabled is true; kept
 * here until struct parent (coordd.h) grows a member for it.
 */
static int	parent_stunsock = -1;
static int	parent_metricsock = -1;

static void
parent_child_path(struct parent *p, enum proc_id id, char *buf, size_t len)
{
	struct stat	st;

	if (id == PROC_COORD) {
		strlcpy(buf, p->selfexe, len);
		return;
	}
	/* Beside our binary in a build tree, else the install location. */
	if ((size_t)snprintf(buf, len, "%s/%s", p->exedir, proc_name(id)) <
	    len && stat(buf, &st) == 0 && S_ISREG(st.st_mode))
		return;
	if ((size_t)snprintf(buf, len, "%s/%s", LIBEXECDIR, proc_name(id)) >=
	    len)
		fatalx("path of %s too long", proc_name(id));
}

int
parent_send_config(struct parent *p, struct child *c)
{
	Coordd__Config	 msg = COORDD__CONFIG__INIT;
	uint8_t		*buf;
	size_t		 len, ylen;
	char		*yaml;
	int		 rv, flags;

	/* Only authd needs the OIDC secret; the others get it redacted. */
	flags = c->id == PROC_AUTH ? 0 : CONFIG_PRINT_REDACT;
	if ((yaml = config_print_string(p->conf, flags, &ylen)) == NULL)
		fatal("%s: config_print_string", __func__);
	msg.generation = p->generation;
	msg.yaml.data = (uint8_t *)yaml;
	msg.yaml.len = ylen;
	msg.derp_map = p->conf->derp_map_json;
	msg.dns_config = p->conf->dns_config_json;
	if (c->id == PROC_COORD && p->conf->tls_cert_pem != NULL) {
		msg.tls_cert.data = p->conf->tls_cert_pem;
		msg.tls_cert.len = p->conf->tls_cert_len;
	}
	if (c->id == PROC_STORE && p->conf->tls_key_pem != NULL) {
		msg.tls_key.data = p->conf->tls_key_pem;
		msg.tls_key.len = p->conf->tls_key_len;
	}
	if ((buf = pb_pack(&msg.base, &len)) == NULL)
		fatal("%s: pb_pack", __func__);
	rv = imsgev_compose_chunked(&c->iev, IMSG_RECONF_CONF, 0, buf, len);
	if (rv == 0)
		rv = imsgev_compose(&c->iev, IMSG_RECONF_DONE, 0, -1, NULL, 0);
	freezero(buf, len);
	freezero(yaml, ylen);
	return (rv);
}

static void
parent_send_peer(struct child *c, enum proc_id peer, int fd, int channel)
{
	Coordd__ProcFd	msg = COORDD__PROC_FD__INIT;

	msg.peer = peer;
	msg.channel = channel;
	if (imsgev_compose_pb(&c->iev, IMSG_CTL_PROCFD, 0, fd, &msg.base) == -1)
		log_warn("cannot send %s its channel to %s",
		    proc_name(c->id), proc_name(peer));
}

/* Give a (re)started child a fresh channel to each running peer. */
static void
parent_wire_child(struct parent *p, enum proc_id id)
{
	enum proc_id	 a, b;
	size_t		 i;
	int		 sp[2];

	for (i = 0; i < nitems(peer_pairs); i++) {
		a = peer_pairs[i][0];
		b = peer_pairs[i][1];
		if (a != id && b != id)
			continue;
		if (!p->children[a].running || !p->children[b].running)
			continue;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, PF_UNSPEC, sp) == -1)
			fatal("%s: socketpair", __func__);
		parent_send_peer(&p->children[a], b, sp[0], PROC_CHAN_IMSG);
		parent_send_peer(&p->children[b], a, sp[1], PROC_CHAN_IMSG);
	}
	/*
	 * The coordinator's TLS handshakes wait for stored's signatures
	 * synchronously, as relayd's do for its CA process, so they get
	 * a channel of their own that nothing else queues on.
	 */
	if ((id == PROC_COORD || id == PROC_STORE) &&
	    p->children[PROC_COORD].running &&
	    p->children[PROC_STORE].running) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, PF_UNSPEC, sp) == -1)
			fatal("%s: socketpair", __func__);
		parent_send_peer(&p->children[PROC_COORD], PROC_STORE, sp[0],
		    PROC_CHAN_SIGN);
		parent_send_peer(&p->children[PROC_STORE], PROC_COORD, sp[1],
		    PROC_CHAN_SIGN);
	}
}

/* A copy of one of our bound sockets; we keep ours for restarts. */
static void
parent_send_listener(struct child *c, int kind, const char *name, int sock)
{
	Coordd__Listener	msg = COORDD__LISTENER__INIT;
	int			fd;

	/*
	 * Not dup(2): the copy waits in the imsg queue while the next
	 * children are forked, and without close-on-exec they would
	 * inherit a listener they have no business holding.
	 */
	if ((fd = fcntl(sock, F_DUPFD_CLOEXEC, 0)) == -1)
		fatal("F_DUPFD_CLOEXEC");
	msg.kind = kind;
	msg.name = (char *)name;
	if (imsgev_compose_pb(&c->iev, IMSG_RECONF_LISTENER, 0, fd,
	    &msg.base) == -1)
		log_warn("cannot pass %s to %s", name, proc_name(c->id));
}

static void
parent_send_listeners(struct parent *p, struct child *c)
{
	if (c->id == PROC_API && p->ctlsock != -1)
		parent_send_listener(c, LISTENER_CONTROL, p->ctlpath,
		    p->ctlsock);
	if (c->id == PROC_COORD && p->mainsock != -1)
		parent_send_listener(c, LISTENER_MAIN, p->conf->listen_addr,
		    p->mainsock);
	if (c->id == PROC_COORD && parent_stunsock != -1)
		parent_send_listener(c, LISTENER_STUN,
		    p->conf->derp_server_stun_listen_addr, parent_stunsock);
	if (c->id == PROC_COORD && parent_metricsock != -1)
		parent_send_listener(c, LISTENER_METRICS,
		    p->conf->metrics_listen_addr, parent_metricsock);
}

static void
parent_start_child(struct parent *p, enum proc_id id)
{
	struct child	*c = &p->children[id];
	char		 path[PATH_MAX];
	int		 fd;

	parent_child_path(p, id, path, sizeof(path));
	c->id = id;
	c->pid = proc_spawn(path, id, p->debug, p->verbose, &fd);
	c->running = 1;
	c->started = time(NULL);
	if (imsgev_init(&c->iev, fd, proc_name(id), parent_dispatch_child,
	    p) == -1)
		fatal("imsgev_init");
	imsgbuf_allow_fdpass(&c->iev.ibuf);
	log_debug("started %s, pid %d", proc_name(id), (int)c->pid);
	if (parent_send_config(p, c) == -1)
		fatal("cannot send the config to %s", proc_name(id));
	parent_wire_child(p, id);
	parent_send_listeners(p, c);
}

static void
parent_restart_cb(int fd, short event, void *arg)
{
	struct child	*c = arg;
	struct parent	*p = c->iev.arg;

	if (p->shutting_down || c->running)
		return;
	log_info("restarting %s", proc_name(c->id));
	c->restarts++;
	parent_start_child(p, c->id);
}

static void
parent_schedule_restart(struct parent *p, struct child *c)
{
	struct timeval	tv;

	if (time(NULL) - c->started >= STABLE_SECONDS)
		c->backoff_ms = BACKOFF_MIN_MS;
	else if (c->backoff_ms == 0)
		c->backoff_ms = BACKOFF_MIN_MS;
	else
		c->backoff_ms = MINIMUM(c->backoff_ms * 2, BACKOFF_MAX_MS);
	tv.tv_sec = c->backoff_ms / 1000;
	tv.tv_usec = (c->backoff_ms % 1000) * 1000;
	evtimer_set(&c->restart_ev, parent_restart_cb, c);
	evtimer_add(&c->restart_ev, &tv);
}

static int
parent_all_stopped(struct parent *p, int but_store)
{
	int	i;

	for (i = PROC_COORD; i < PROC_CTL; i++) {
		if (but_store && i == PROC_STORE)
			continue;
		if (p->children[i].running)
			return (0);
	}
	return (1);
}

static void
parent_child_exited(struct parent *p, struct child *c, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("lost child: %s terminated by signal %d",
		    proc_name(c->id), WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0 || !p->shutting_down)
		log_warnx("lost child: %s exited with status %d",
		    proc_name(c->id), WEXITSTATUS(status));
	c->running = 0;
	c->pid = 0;
	imsgev_close(&c->iev);

	if (p->shutting_down) {
		if (parent_all_stopped(p, 1) && p->children[PROC_STORE].running)
			imsgev_compose(&p->children[PROC_STORE].iev,
			    IMSG_SHUTDOWN, 0, -1, NULL, 0);
		if (parent_all_stopped(p, 0))
			event_loopexit(NULL);
		return;
	}
	if (c->id == PROC_STORE) {
		/* Without the single writer nothing is safe: stop. */
		log_warnx("stored is gone, stopping the suite");
		parent_shutdown(p, 1);
		return;
	}
	parent_schedule_restart(p, c);
}

static void
parent_sigchld(int sig, short event, void *arg)
{
	struct parent	*p = arg;
	pid_t		 pid;
	int		 status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = PROC_COORD; i < PROC_CTL; i++) {
			if (p->children[i].running &&
			    p->children[i].pid == pid) {
				parent_child_exited(p, &p->children[i],
				    status);
				break;
			}
		}
	}
}

static void
parent_shutdown_timeout(int fd, short event, void *arg)
{
	struct parent	*p = arg;
	int		 i;

	for (i = PROC_COORD; i < PROC_CTL; i++) {
		if (!p->children[i].running)
			continue;
		log_warnx("%s did not exit in time, killing it",
		    proc_name(i));
		kill(p->children[i].pid, SIGKILL);
	}
}

/*
 * Ask the stateless children to drain and exit; stored goes last, once
 * nobody can send it more writes.
 */
static void
parent_shutdown(struct parent *p, int status)
{
	struct timeval	tv = { SHUTDOWN_GRACE_SEC, 0 };
	int		i;

	if (p->shutting_down)
		return;
	p->shutting_down = 1;
	p->exit_status = status;
	for (i = PROC_COORD; i < PROC_CTL; i++) {
		if (i == PROC_STORE || !p->children[i].running)
			continue;
		imsgev_compose(&p->children[i].iev, IMSG_SHUTDOWN, 0, -1,
		    NULL, 0);
	}
	if (parent_all_stopped(p, 1) && p->children[PROC_STORE].running)
		imsgev_compose(&p->children[PROC_STORE].iev, IMSG_SHUTDOWN, 0,
		    -1, NULL, 0);
	if (parent_all_stopped(p, 0)) {
		event_loopexit(NULL);
		return;
	}
	evtimer_set(&p->shutdown_timer, parent_shutdown_timeout, p);
	evtimer_add(&p->shutdown_timer, &tv);
}

static void
parent_sigterm(int sig, short event, void *arg)
{
	struct parent	*p = arg;

	log_info("received signal %d, shutting down", sig);
	parent_shutdown(p, 0);
}

/*
 * The config file, and what clients get built from it and from the
 * files it names (DERP maps, DNS records): children cannot read files.
 */
struct config *
parent_config_load(const char *file, char *err, size_t errlen)
{
	struct config	*conf;

	if ((conf = config_load(file, 1, err, errlen)) == NULL)
		return (NULL);
	if ((conf->derp_map_json = parent_derp_build(conf, err, errlen)) ==
	    NULL ||
	    (conf->dns_config_json = dnsconfig_build(conf, err, errlen)) ==
	    NULL || parent_tls_load(conf, err, errlen) == -1) {
		config_free(conf);
		return (NULL);
	}
	return (conf);
}

/* SIGHUP: a new config replaces the old only if it is entirely valid. */
static void
parent_sighup(int sig, short event, void *arg)
{
	struct parent	*p = arg;
	struct config	*nconf;
	char		 err[2048];
	int		 i;

	log_info("reloading %s", p->conffile);
	if ((nconf = parent_config_load(p->conffile, err, sizeof(err))) == NULL) {
		log_warnx("config file %s has errors, not reloading: %s",
		    p->conffile, err);
		return;
	}
	if (strcmp(nconf->unix_socket, p->conf->unix_socket) != 0)
		log_warnx("unix_socket changed; it takes effect on restart");
	if (strcmp(nconf->listen_addr, p->conf->listen_addr) != 0)
		log_warnx("listen_addr changed; it takes effect on restart");
	if (nconf->derp_server_enabled != p->conf->derp_server_enabled ||
	    strcmp(nconf->derp_server_stun_listen_addr,
	    p->conf->derp_server_stun_listen_addr) != 0)
		log_warnx("derp.server STUN settings changed; they take "
		    "effect on restart");
	config_free(p->conf);
	p->conf = nconf;
	p->generation++;
	for (i = PROC_COORD; i < PROC_CTL; i++)
		if (p->children[i].running &&
		    parent_send_config(p, &p->children[i]) == -1)
			log_warn("cannot send the new config to %s",
			    proc_name(i));
}

/* The children only ever talk to us about their own health. */
static void
parent_dispatch_child(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	if (imsg == NULL) {
		/* SIGCHLD does the accounting. */
		return;
	}
	switch (imsg->hdr.type) {
	case IMSG_CTL_PROCREADY:
		log_debug("%s is ready", iev->name);
		break;
	case IMSG_AUTH_DERPMAP:
	case IMSG_AUTH_DERPMAP_DONE:
		parent_derp_dispatch(arg, iev, imsg);
		break;
	default:
		log_warnx("%s: unexpected imsg %u, closing", iev->name,
		    imsg->hdr.type);
		imsgev_close(iev);
		break;
	}
}

static void
parent_signals(struct parent *p)
{
	signal(SIGPIPE, SIG_IGN);
	signal_set(&p->ev_sigchld, SIGCHLD, parent_sigchld, p);
	signal_set(&p->ev_sighup, SIGHUP, parent_sighup, p);
	signal_set(&p->ev_sigterm, SIGTERM, parent_sigterm, p);
	signal_set(&p->ev_sigint, SIGINT, parent_sigterm, p);
	signal_add(&p->ev_sigchld, NULL);
	signal_add(&p->ev_sighup, NULL);
	signal_add(&p->ev_sigterm, NULL);
	signal_add(&p->ev_sigint, NULL);
}

static void
parent_prepare_root(void)
{
	if (geteuid() != 0) {
		log_info("not running as root: children start without chroot "
		    "or user switch");
		return;
	}
	/* The chroot of the network-facing processes. */
	if (mkdir_p(COORDD_EMPTY_DIR, 0755) == -1)
		fatal("mkdir %s", COORDD_EMPTY_DIR);
}

__dead void
parent_main(struct parent *p)
{
	char	err[2048];
	size_t	i;

	if ((p->conf = parent_config_load(p->conffile, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if (sodium_init() == -1)
		fatalx("sodium_init");
	log_procinit("parent");
	proc_set_title("parent");
	parent_prepare_root();
	event_init();
	parent_signals(p);
	p->ctlsock = -1;
	p->mainsock = -1;
	if (parent_ctlsock_open(p) == -1)
		exit(1);
	if (parent_listen(p->conf->listen_addr, &p->mainsock) == -1) {
		parent_ctlsock_close(p);
		exit(1);
	}
	/*
	 * Metrics are an extra: a port already taken (another instance,
	 * a test run) is a warning, not a reason to stay down.
	 */
	if (p->conf->metrics_listen_addr != NULL &&
	    p->conf->metrics_listen_addr[0] != '\0' &&
	    parent_listen(p->conf->metrics_listen_addr, &parent_metricsock) ==
	    -1) {
		log_warn("metrics_listen_addr %s: /metrics is not served",
		    p->conf->metrics_listen_addr);
		parent_metricsock = -1;
	}
	if (p->conf->derp_server_enabled &&
	    parent_listen_udp("derp.server.stun_listen_addr",
	    p->conf->derp_server_stun_listen_addr, &parent_stunsock) == -1) {
		parent_ctlsock_close(p);
		exit(1);
	}
	for (i = 0; i < nitems(start_order); i++)
		parent_start_child(p, start_order[i]);
	log_info("started, control socket %s", p->ctlpath);
	event_dispatch();
	parent_ctlsock_close(p);
	if (p->mainsock != -1)
		close(p->mainsock);
	if (parent_stunsock != -1)
		close(parent_stunsock);
	if (parent_metricsock != -1)
		close(parent_metricsock);
	config_free(p->conf);
	log_info("exiting");
	exit(p->exit_status);
}
