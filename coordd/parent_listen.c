/*
 * The main listener (listen_addr) and the STUN socket
 * (derp.server.stun_listen_addr).  The parent binds them, as they may be
 * privileged ports, and hands copies to each coordinator it starts.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <string.h>
#include <unistd.h>

#include "coordd.h"
#include "log.h"
#include "stun.h"

/* Split "host:port", "[v6]:port" or ":port" into its two halves. */
static int
split_hostport(const char *addr, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char	*colon, *h = addr;
	size_t		 n;

	if ((colon = strrchr(addr, ':')) == NULL)
		return (-1);
	n = colon - addr;
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		h = addr + 1;
		n -= 2;
	}
	if (n >= hostlen || strlcpy(port, colon + 1, portlen) >= portlen ||
	    port[0] == '\0')
		return (-1);
	memcpy(host, h, n);
	host[n] = '\0';
	return (0);
}

/* Bind addr, named by its config key in errors; listen if it is TCP. */
static int
listen_bind(const char *what, const char *addr, int socktype, int *fdp)
{
	struct addrinfo	 hints, *res;
	char		 host[256], port[32];
	int		 fd, on = 1, error;

	if (split_hostport(addr, host, sizeof(host), port, sizeof(port)) == -1) {
		log_warnx("%s %s: expected host:port", what, addr);
		return (-1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_PASSIVE;
	if ((error = getaddrinfo(host[0] ? host : NULL, port, &hints,
	    &res)) != 0) {
		log_warnx("%s %s: %s", what, addr, gai_strerror(error));
		return (-1);
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol)) == -1)
		fatal("socket");
	/*
	 * Only TCP wants SO_REUSEADDR (TIME_WAIT); on UDP it would let a
	 * second daemon share the port and steal half the datagrams.
	 */
	if (socktype == SOCK_STREAM && setsockopt(fd, SOL_SOCKET,
	    SO_REUSEADDR, &on, sizeof(on)) == -1)
		fatal("SO_REUSEADDR");
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    (socktype == SOCK_STREAM && listen(fd, 512) == -1)) {
		log_warn("%s %s", what, addr);
		close(fd);
		freeaddrinfo(res);
		return (-1);
	}
	freeaddrinfo(res);
	*fdp = fd;
	return (0);
}

int
parent_listen(const char *addr, int *fdp)
{
	return (listen_bind("listen_addr", addr, SOCK_STREAM, fdp));
}

int
parent_listen_udp(const char *what, const char *addr, int *fdp)
{
	return (listen_bind(what, addr, SOCK_DGRAM, fdp));
}
