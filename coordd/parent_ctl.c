/*
 * The control socket.  The parent binds it, outside any chroot, and
 * hands it to apid; a second suite finds it answering and refuses to
 * start.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "coordd.h"
#include "log.h"
#include "util.h"

static int
ctlsock_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlcpy(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path)) {
		log_warnx("control socket path %s too long", path);
		return (-1);
	}
	return (0);
}

/* Someone answers on the socket: another suite is running. */
static int
ctlsock_in_use(struct sockaddr_un *sun)
{
	int	fd, rv;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	rv = connect(fd, (struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return (rv);
}

int
parent_ctlsock_open(struct parent *p)
{
	struct sockaddr_un	 sun;
	struct group		*gr;
	char			 dir[PATH_MAX];
	mode_t			 old;
	int			 fd;

	strlcpy(p->ctlpath, p->conf->unix_socket, sizeof(p->ctlpath));
	if (ctlsock_addr(p->ctlpath, &sun) == -1)
		return (-1);
	strlcpy(dir, p->ctlpath, sizeof(dir));
	if (mkdir_p(dirname(dir), 0755) == -1) {
		log_warn("mkdir %s", dir);
		return (-1);
	}
	if (ctlsock_in_use(&sun)) {
		log_warnx("control socket %s already in use", p->ctlpath);
		return (-1);
	}
	if (unlink(p->ctlpath) == -1 && errno != ENOENT) {
		log_warn("unlink %s", p->ctlpath);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("socket");
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", p->ctlpath);
		umask(old);
		close(fd);
		return (-1);
	}
	umask(old);
	if (chmod(p->ctlpath, p->conf->unix_socket_permission) == -1)
		log_warn("chmod %s", p->ctlpath);
	if (geteuid() == 0 && (gr = getgrnam(COORDD_USER)) != NULL &&
	    chown(p->ctlpath, 0, gr->gr_gid) == -1)
		log_warn("chown %s", p->ctlpath);
	if (listen(fd, 16) == -1)
		fatal("listen");
	p->ctlsock = fd;
	return (0);
}

void
parent_ctlsock_close(struct parent *p)
{
	if (p->ctlsock == -1)
		return;
	close(p->ctlsock);
	p->ctlsock = -1;
	unlink(p->ctlpath);
}
