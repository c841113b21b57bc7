/*
 * Fork and re-exec of the children, the child's end of the parent
 * channel, and dropping privileges.  Every child is a fresh exec: its
 * own ASLR layout and nothing of the parent's heap.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "proc.h"

#include "parent.pb-c.h"

static const struct {
	const char	*name;
	const char	*user;
} proc_table[PROC_MAX] = {
	[PROC_PARENT] =	{ "parent",	"root" },
	[PROC_COORD] =	{ "coordinator", COORDD_USER },
	[PROC_STORE] =	{ "stored",	COORDD_STORE_USER },
	[PROC_API] =	{ "apid",	COORDD_API_USER },
	[PROC_AUTH] =	{ "authd",	COORDD_AUTH_USER },
	[PROC_CTL] =	{ "coordctl",	NULL },
};

static struct imsgev		 parent_iev;
static const struct proc_hooks	*child_hooks;
static struct chunkbuf		 child_conf;

const char *
proc_name(enum proc_id id)
{
	if (id < 0 || id >= PROC_MAX)
		return ("unknown");
	return (proc_table[id].name);
}

int
proc_byname(const char *name)
{
	int	i;

	for (i = 0; i < PROC_MAX; i++)
		if (strcmp(proc_table[i].name, name) == 0)
			return (i);
	return (-1);
}

const char *
proc_user(enum proc_id id)
{
	return (proc_table[id].user);
}

void
proc_init_title(int argc, char **argv)
{
	extern char	**environ;

	setproctitle_init(argc, argv, environ);
}

/* "coordd: stored" and so on, the same prefix for every process. */
void
proc_set_title(const char *name)
{
	setproctitle("-coordd: %s", name);
	/* What top(1) and ps -e show. */
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

/*
 * Start path as process id with its parent channel on fd 3.  Returns the
 * pid; *fdp is the parent's end of the channel.
 */
pid_t
proc_spawn(const char *path, enum proc_id id, int debug, int verbose,
    int *fdp)
{
	char	*argv[8], vflag[8] = "-v";
	int	 sp[2], argc = 0, i;
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    PF_UNSPEC, sp) == -1)
		fatal("%s: socketpair", __func__);
	argv[argc++] = (char *)path;
	argv[argc++] = "-P";
	argv[argc++] = (char *)proc_name(id);
	if (debug)
		argv[argc++] = "-d";
	for (i = 2; i <= verbose && i < (int)sizeof(vflag) - 1; i++)
		vflag[i] = 'v';
	if (verbose > 0)
		argv[argc++] = vflag;
	argv[argc] = NULL;

	switch (pid = fork()) {
	case -1:
		fatal("%s: fork", __func__);
	case 0:
		break;
	default:
		close(sp[1]);
		*fdp = sp[0];
		return (pid);
	}

	/* Child: the channel goes to fd 3 and survives the exec. */
	if (sp[1] == PROC_PARENT_FD) {
		if (fcntl(sp[1], F_SETFD, 0) == -1)
			fatal("fcntl");
	} else if (dup2(sp[1], PROC_PARENT_FD) == -1)
		fatal("dup2");
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	execv(path, argv);
	fatal("exec %s", path);
}

/* The TLS files, and no copy of the key left behind in our buffers. */
static int
child_tls_copy(struct config *conf, Coordd__Config *msg)
{
	int	rv = 0;

	if (msg->tls_cert.len > 0) {
		if ((conf->tls_cert_pem = malloc(msg->tls_cert.len)) == NULL)
			rv = -1;
		else {
			memcpy(conf->tls_cert_pem, msg->tls_cert.data,
			    msg->tls_cert.len);
			conf->tls_cert_len = msg->tls_cert.len;
		}
	}
	if (rv == 0 && msg->tls_key.len > 0) {
		if ((conf->tls_key_pem = malloc(msg->tls_key.len)) == NULL)
			rv = -1;
		else {
			memcpy(conf->tls_key_pem, msg->tls_key.data,
			    msg->tls_key.len);
			conf->tls_key_len = msg->tls_key.len;
		}
	}
	if (msg->tls_key.len > 0)
		explicit_bzero(msg->tls_key.data, msg->tls_key.len);
	return (rv);
}

static void
child_recv_config(struct imsg *imsg)
{
	Coordd__Config	*msg;
	struct config	*conf;
	struct imsg	 fake;
	char		 err[1024];

	memset(&fake, 0, sizeof(fake));
	fake.data = child_conf.buf;
	fake.datalen = child_conf.len;
	if ((msg = pb_unpack(&coordd__config__descriptor, &fake)) == NULL)
		fatalx("config from parent does not parse");
	chunkbuf_reset(&child_conf);
	log_debug("config generation %llu received",
	    (unsigned long long)msg->generation);
	conf = config_load_buffer("(parent)", (const char *)msg->yaml.data,
	    msg->yaml.len, 0, err, sizeof(err));
	if (conf == NULL)
		fatalx("config from parent rejected: %s", err);
	if ((msg->derp_map[0] != '\0' &&
	    (conf->derp_map_json = strdup(msg->derp_map)) == NULL) ||
	    (msg->dns_config[0] != '\0' &&
	    (conf->dns_config_json = strdup(msg->dns_config)) == NULL))
		fatal("%s", __func__);
	if (child_tls_copy(conf, msg) == -1)
		fatal("%s", __func__);
	pb_free(msg);
	child_hooks->config(conf);
}

static void
child_recv_peer(struct imsg *imsg)
{
	Coordd__ProcFd	*msg;
	int		 fd;

	if ((msg = pb_unpack(&coordd__proc_fd__descriptor, imsg)) == NULL)
		fatalx("bad PROCFD from parent");
	if ((fd = imsg_get_fd(imsg)) == -1 || msg->peer <= PROC_PARENT ||
	    msg->peer >= PROC_CTL)
		fatalx("PROCFD without a valid peer or socket");
	log_debug("connected to %s", proc_name(msg->peer));
	if (msg->channel == PROC_CHAN_SIGN) {
		if (child_hooks->signer == NULL)
			fatalx("unexpected signing channel");
		child_hooks->signer(fd);
	} else
		child_hooks->peer(msg->peer, fd);
	pb_free(msg);
}

static void
child_recv_listener(struct imsg *imsg)
{
	Coordd__Listener	*msg;
	int			 fd;

	if ((msg = pb_unpack(&coordd__listener__descriptor, imsg)) == NULL)
		fatalx("bad LISTENER from parent");
	if ((fd = imsg_get_fd(imsg)) == -1)
		fatalx("LISTENER without a socket");
	if (child_hooks->listener == NULL)
		fatalx("unexpected listener");
	child_hooks->listener(msg->kind, fd);
	pb_free(msg);
}

static void
child_recv_verbose(struct imsg *imsg)
{
	Coordd__LogVerbose	*msg;

	if ((msg = pb_unpack(&coordd__log_verbose__descriptor, imsg)) == NULL)
		fatalx("bad VERBOSE from parent");
	log_setverbose(msg->level);
	pb_free(msg);
}

static void
child_dispatch_parent(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	if (imsg == NULL) {
		/* Parent death is end of file here, never a signal. */
		log_debug("lost connection to parent, exiting");
		exit(0);
	}
	switch (imsg->hdr.type) {
	case IMSG_CTL_PROCFD:
		child_recv_peer(imsg);
		break;
	case IMSG_RECONF_CONF:
		if (chunkbuf_add(&child_conf, imsg->data, imsg->datalen) == -1)
			fatalx("config from parent too large");
		break;
	case IMSG_DONE:
		/* The last chunk of the config; RECONF_DONE applies it. */
		break;
	case IMSG_RECONF_DONE:
		child_recv_config(imsg);
		break;
	case IMSG_RECONF_LISTENER:
		child_recv_listener(imsg);
		break;
	case IMSG_CTL_VERBOSE:
		child_recv_verbose(imsg);
		break;
	case IMSG_SHUTDOWN:
		child_hooks->shutdown();
		break;
	default:
		fatalx("unexpected imsg %u from parent", imsg->hdr.type);
	}
}

/* Common start of every child: signals, the parent channel. */
void
proc_child_start(enum proc_id id, const struct proc_hooks *hooks)
{
	child_hooks = hooks;
	log_procinit(proc_name(id));
	proc_set_title(proc_name(id));
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	chunkbuf_init(&child_conf, 4 * 1024 * 1024);
	if (fcntl(PROC_PARENT_FD, F_SETFD, FD_CLOEXEC) == -1)
		fatal("parent channel on fd %d", PROC_PARENT_FD);
	if (imsgev_init(&parent_iev, PROC_PARENT_FD, "parent",
	    child_dispatch_parent, NULL) == -1)
		fatal("imsgev_init");
	imsgbuf_allow_fdpass(&parent_iev.ibuf);
	imsgbuf_set_maxsize(&parent_iev.ibuf, IMSG_MAXSIZE_DEFAULT);
}

/*
 * The command line of a child: -P names the process (and must name
 * this one), -d keeps logs on stderr, -v raises verbosity.
 */
void
proc_child_args(int argc, char **argv, enum proc_id id)
{
	int	ch, debug = 0, verbose = 0;

	log_init(1, LOG_DAEMON);
	proc_init_title(argc, argv);
	while ((ch = getopt(argc, argv, "dP:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'P':
			if (proc_byname(optarg) != (int)id)
				errx(1, "this is %s, not %s", proc_name(id),
				    optarg);
			break;
		case 'v':
			verbose++;
			break;
		default:
			errx(1, "usage: %s -P %s [-dv] (started by coordd)",
			    proc_name(id), proc_name(id));
		}
	}
	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
}

/*
 * Open the channel to a peer in *slot, replacing (and freeing) the one
 * to its previous incarnation.  The handler frees iev on its NULL call.
 */
struct imsgev *
proc_peer_open(struct imsgev **slot, enum proc_id id, int fd,
    imsgev_handler handler, void *arg)
{
	struct imsgev	*iev;

	if (*slot != NULL) {
		imsgev_close(*slot);
		free(*slot);
	}
	if ((iev = calloc(1, sizeof(*iev))) == NULL)
		fatal("calloc");
	if (imsgev_init(iev, fd, proc_name(id), handler, arg) == -1)
		fatal("imsgev_init");
	imsgbuf_set_maxsize(&iev->ibuf, IMSG_MAXSIZE_HARD);
	*slot = iev;
	return (iev);
}

/* Close and free every peer channel in an array of slots. */
void
proc_peers_close(struct imsgev **slots, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (slots[i] == NULL)
			continue;
		imsgev_close(slots[i]);
		free(slots[i]);
		slots[i] = NULL;
	}
}

struct imsgev *
proc_parent_iev(void)
{
	return (&parent_iev);
}

/*
 * As root: chroot (if asked), then give up every id for the process's
 * own user.  As anyone else: the same process without the drop, said
 * once in the log.  Either way no_new_privs and a parent-death signal.
 */
void
proc_drop_privs(enum proc_id id, const char *chroot_dir)
{
	struct passwd	*pw;
	const char	*user = proc_user(id);

	if (geteuid() == 0) {
		if ((pw = getpwnam(user)) == NULL)
			fatalx("user %s not found; create it (see coordd(8))",
			    user);
		if (chroot_dir != NULL) {
			if (chroot(chroot_dir) == -1)
				fatal("chroot %s", chroot_dir);
			if (chdir("/") == -1)
				fatal("chdir /");
		}
		if (setgroups(1, &pw->pw_gid) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
			fatal("cannot drop privileges to %s", user);
		log_debug("running as %s%s%s", user,
		    chroot_dir ? ", chroot " : "", chroot_dir ? chroot_dir : "");
	}
	/* Not root: the parent has said once that nothing is dropped. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	/* Credential changes clear it, so set it after the drop. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
		fatal("PR_SET_PDEATHSIG");
	if (getppid() == 1)
		fatalx("parent went away");
}
