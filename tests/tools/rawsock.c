/*
 * rawsock [-k] socket: write standard input to a unix socket as raw
 * bytes, shut down our sending side (unless -k), then wait for the
 * other end to close.  Exit 0 when it closed the
 * connection, 2 when it kept it open for 5 seconds.  The integration
 * tests use it to send malformed imsgs to the control socket.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct sockaddr_un	sun;
	struct pollfd		pfd;
	char			buf[65536];
	ssize_t			n;
	int			fd, keep = 0;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "-k") == 0) {
		keep = 1;
		argv++;
		argc--;
	}
	if (argc != 2)
		errx(1, "usage: rawsock [-k] socket < bytes");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, argv[1], sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect");
	while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			return (0);	/* closed on us already */
	if (!keep)
		shutdown(fd, SHUT_WR);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, 5000) <= 0)
			return (2);
		if ((n = read(fd, buf, sizeof(buf))) <= 0)
			return (0);
	}
}
