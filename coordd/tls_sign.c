/*
 * The coordinator's side of the TLS signing channel.  A handshake needs
 * its signature before it can go on, and OpenSSL's key methods are
 * synchronous, so the request blocks on a channel of its own with a
 * short timeout, as relayd's relays do when they ask their CA process.
 * One full handshake costs one round trip to stored.
 */
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "coordinator.h"
#include "imsgev.h"
#include "log.h"
#include "tls.h"
#include "types.h"

#include "store.pb-c.h"

#define TLS_SIGN_TIMEOUT_MS	2000

struct tls_signer {
	int		 fd;
	struct imsgbuf	 ibuf;
	uint32_t	 seq;
};

static struct tls_signer	*signer;

/* The channel from the parent; replaces any earlier one. */
void
tls_signer_open(int fd)
{
	tls_signer_close();
	if ((signer = calloc(1, sizeof(*signer))) == NULL ||
	    imsgbuf_init(&signer->ibuf, fd) == -1)
		fatal("%s", __func__);
	signer->fd = fd;
}

void
tls_signer_close(void)
{
	if (signer == NULL)
		return;
	imsgbuf_clear(&signer->ibuf);
	close(signer->fd);
	free(signer);
	signer = NULL;
}

static long
ms_left(const struct timespec *deadline)
{
	struct timespec	now;
	long		ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return (ms > 0 ? ms : 0);
}

static int
signer_wait(short events, const struct timespec *deadline)
{
	struct pollfd	pfd = { signer->fd, events, 0 };
	int		n;

	do {
		n = poll(&pfd, 1, (int)ms_left(deadline));
	} while (n == -1 && errno == EINTR);
	return (n == 1 ? 0 : -1);
}

static int
signer_send(const Coordd__TlsSign *req, const struct timespec *deadline)
{
	uint8_t	*buf;
	size_t	 len;
	int	 rv;

	if ((buf = pb_pack(&req->base, &len)) == NULL)
		return (-1);
	rv = imsg_compose(&signer->ibuf, IMSG_STORE_TLS_SIGN, signer->seq, 0,
	    -1, buf, len);
	free(buf);
	if (rv == -1)
		return (-1);
	while (imsgbuf_queuelen(&signer->ibuf) > 0) {
		if (signer_wait(POLLOUT, deadline) == -1 ||
		    imsgbuf_write(&signer->ibuf) == -1)
			return (-1);
	}
	return (0);
}

/*
 * The reply with our sequence number; a late reply to a request that
 * timed out earlier is skipped.
 */
static Coordd__TlsSignReply *
signer_recv(const struct timespec *deadline)
{
	Coordd__TlsSignReply	*rep;
	struct imsg		 imsg;
	ssize_t			 n;
	int			 got;

	for (;;) {
		while ((got = imsgbuf_get(&signer->ibuf, &imsg)) == 1) {
			rep = NULL;
			if (imsg.hdr.type == IMSG_STORE_TLS_SIGN &&
			    imsg.hdr.peerid == signer->seq)
				rep = pb_unpack(
				    &coordd__tls_sign_reply__descriptor, &imsg);
			got = imsg.hdr.peerid == signer->seq;
			imsg_free(&imsg);
			if (got)
				return (rep);
		}
		if (got == -1 || signer_wait(POLLIN, deadline) == -1)
			return (NULL);
		n = imsgbuf_read(&signer->ibuf);
		if (n == 0 || (n == -1 && errno != EAGAIN))
			return (NULL);
	}
}

/*
 * One private-key operation by stored.  Returns the length of the
 * result in out, or -1.
 */
int
tls_sign_request(const uint8_t *key_id, int op, int padding,
    const uint8_t *data, size_t len, uint8_t *out, size_t outlen)
{
	Coordd__TlsSign		 req = COORDD__TLS_SIGN__INIT;
	Coordd__TlsSignReply	*rep;
	struct timespec		 deadline;
	int			 rv = -1;

	if (signer == NULL) {
		log_warnx("TLS: no signing channel to stored");
		return (-1);
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += TLS_SIGN_TIMEOUT_MS / 1000;
	req.key_id.data = (uint8_t *)key_id;
	req.key_id.len = TLS_KEY_ID_LEN;
	req.op = op;
	req.padding = padding;
	req.data.data = (uint8_t *)data;
	req.data.len = len;
	signer->seq++;
	if (signer_send(&req, &deadline) == -1 ||
	    (rep = signer_recv(&deadline)) == NULL) {
		log_warnx("TLS: no signature from stored");
		return (-1);
	}
	if (rep->status == CTL_OK && rep->signature.len > 0 &&
	    rep->signature.len <= outlen) {
		memcpy(out, rep->signature.data, rep->signature.len);
		rv = (int)rep->signature.len;
	} else
		log_warnx("TLS: stored refused to sign (%d)", rep->status);
	pb_free(rep);
	return (rv);
}
