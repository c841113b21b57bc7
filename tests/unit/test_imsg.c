/* imsg framing: whole messages only, size caps, fd passing, chunks. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "imsg.h"
#include "types.h"
#include "test.h"

static int
pair(int sp[2])
{
	return (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp));
}

/* Write raw bytes as if from a hostile peer. */
static void
raw(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		abort();
}

TEST(roundtrip)
{
	struct imsgbuf	a, b;
	struct imsg	m;
	int		sp[2];

	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&a, sp[0]) == 0);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	ASSERT(imsg_compose(&a, 42, 7, 0, -1, "hello", 5) == 0);
	ASSERT(imsg_compose(&a, 43, 8, 0, -1, NULL, 0) == 0);
	ASSERT_INT_EQ(imsgbuf_queuelen(&a), 2);
	ASSERT(imsgbuf_flush(&a) == 0);
	ASSERT(imsgbuf_read(&b) > 0);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 1);
	ASSERT_INT_EQ(m.hdr.type, 42);
	ASSERT_INT_EQ(m.hdr.peerid, 7);
	ASSERT_INT_EQ(m.datalen, 5);
	ASSERT(memcmp(m.data, "hello", 5) == 0);
	imsg_free(&m);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 1);
	ASSERT_INT_EQ(m.hdr.type, 43);
	ASSERT_INT_EQ(m.datalen, 0);
	imsg_free(&m);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 0);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

TEST(truncated_and_split)
{
	struct imsgbuf	b;
	struct imsg	m;
	struct imsg_hdr	h = { 9, sizeof(h) + 4, 1, 1 };
	int		sp[2];

	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	/* Half a header: nothing yet. */
	raw(sp[0], &h, 8);
	ASSERT(imsgbuf_read(&b) == 8);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 0);
	/* The rest of the header and part of the payload: still nothing. */
	raw(sp[0], (char *)&h + 8, sizeof(h) - 8);
	raw(sp[0], "ab", 2);
	ASSERT(imsgbuf_read(&b) > 0);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 0);
	raw(sp[0], "cd", 2);
	ASSERT(imsgbuf_read(&b) > 0);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 1);
	ASSERT_INT_EQ(m.datalen, 4);
	ASSERT(memcmp(m.data, "abcd", 4) == 0);
	imsg_free(&m);
	/* A peer that closes mid-message: EOF, the partial one never out. */
	raw(sp[0], &h, 10);
	close(sp[0]);
	ASSERT(imsgbuf_read(&b) == 10);
	ASSERT_INT_EQ(imsgbuf_read(&b), 0);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 0);
	imsgbuf_clear(&b);
	close(sp[1]);
}

TEST(oversized_and_undersized)
{
	struct imsgbuf	a, b;
	struct imsg	m;
	struct imsg_hdr	big = { 9, IMSG_MAXSIZE_DEFAULT + 1, 1, 1 };
	struct imsg_hdr	small = { 9, 3, 1, 1 };
	char		payload[IMSG_MAXSIZE_DEFAULT];
	int		sp[2];

	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&a, sp[0]) == 0);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	/* Refused at compose time... */
	errno = 0;
	ASSERT(imsg_compose(&a, 1, 0, 0, -1, payload, sizeof(payload)) == -1);
	ASSERT_INT_EQ(errno, ERANGE);
	/* ...and at read time, before any allocation. */
	raw(sp[0], &big, sizeof(big));
	ASSERT(imsgbuf_read(&b) > 0);
	errno = 0;
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), -1);
	ASSERT_INT_EQ(errno, ERANGE);
	imsgbuf_clear(&b);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	raw(sp[0], &small, sizeof(small));
	ASSERT(imsgbuf_read(&b) > 0);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), -1);
	ASSERT_INT_EQ(errno, ERANGE);
	/* A larger limit per channel is honoured, up to the hard cap. */
	ASSERT(imsgbuf_set_maxsize(&a, IMSG_MAXSIZE_HARD + 1) == -1);
	ASSERT(imsgbuf_set_maxsize(&a, 2 * IMSG_MAXSIZE_DEFAULT) == 0);
	ASSERT(imsg_compose(&a, 1, 0, 0, -1, payload, sizeof(payload)) == 0);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

TEST(fd_passing)
{
	struct imsgbuf	a, b;
	struct imsg	m;
	struct stat	st1, st2;
	int		sp[2], fd, got;

	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&a, sp[0]) == 0);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	imsgbuf_allow_fdpass(&b);
	ASSERT((fd = open("/dev/null", O_RDONLY)) != -1);
	ASSERT(fstat(fd, &st1) == 0);
	ASSERT(imsg_compose(&a, 5, 0, 0, -1, "x", 1) == 0);
	ASSERT(imsg_compose(&a, 6, 0, 0, fd, "y", 1) == 0);
	ASSERT(imsgbuf_flush(&a) == 0);
	/* The sender's copy is closed once sent. */
	ASSERT(fcntl(fd, F_GETFD) == -1);
	while (imsgbuf_read(&b) > 0)
		;
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 1);
	ASSERT_INT_EQ(m.fd, -1);
	imsg_free(&m);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 1);
	ASSERT_INT_EQ(m.hdr.type, 6);
	got = imsg_get_fd(&m);
	ASSERT(got != -1);
	ASSERT(fstat(got, &st2) == 0);
	ASSERT(st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev);
	close(got);
	imsg_free(&m);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

TEST(fd_mark_without_fd)
{
	struct imsgbuf	b;
	struct imsg	m;
	struct imsg_hdr	h = { 9, sizeof(h) | IMSG_FD_MARK, 1, 1 };
	int		sp[2];

	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	imsgbuf_allow_fdpass(&b);
	raw(sp[0], &h, sizeof(h));
	ASSERT(imsgbuf_read(&b) > 0);
	errno = 0;
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), -1);
	ASSERT_INT_EQ(errno, EBADMSG);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

/* Descriptors on a channel that does not take them are closed. */
TEST(fd_refused_when_not_allowed)
{
	struct imsgbuf	a, b;
	struct imsg	m;
	int		sp[2], fd;

	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&a, sp[0]) == 0);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	ASSERT((fd = open("/dev/null", O_RDONLY)) != -1);
	ASSERT(imsg_compose(&a, 6, 0, 0, fd, "y", 1) == 0);
	ASSERT(imsgbuf_flush(&a) == 0);
	ASSERT(imsgbuf_read(&b) > 0);
	ASSERT_INT_EQ(b.nrfds, 0);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), -1);
	ASSERT_INT_EQ(errno, EBADMSG);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

TEST(two_fds_in_one_sendmsg)
{
	struct imsgbuf	b;
	struct msghdr	msg;
	struct iovec	iov;
	struct cmsghdr	*cm;
	struct imsg	m;
	struct imsg_hdr	h = { 9, sizeof(h) | IMSG_FD_MARK, 1, 1 };
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cbuf;
	int		sp[2], fds[2];

	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	imsgbuf_allow_fdpass(&b);
	fds[0] = open("/dev/null", O_RDONLY);
	fds[1] = open("/dev/null", O_RDONLY);
	memset(&msg, 0, sizeof(msg));
	memset(&cbuf, 0, sizeof(cbuf));
	iov.iov_base = &h;
	iov.iov_len = sizeof(h);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	ASSERT(sendmsg(sp[0], &msg, 0) == sizeof(h));
	close(fds[0]);
	close(fds[1]);
	ASSERT(imsgbuf_read(&b) > 0);
	/* The first is kept, the second closed. */
	ASSERT_INT_EQ(b.nrfds, 1);
	ASSERT_INT_EQ(imsgbuf_get(&b, &m), 1);
	ASSERT(m.fd != -1);
	imsg_free(&m);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

TEST(chunked_transfer)
{
	struct imsgbuf	 a, b;
	struct imsg	 m;
	struct chunkbuf	 cb;
	static char	 big[300000];
	size_t		 i, parts = 0;
	int		 sp[2], done = 0;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&a, sp[0]) == 0);
	ASSERT(imsgbuf_init(&b, sp[1]) == 0);
	ASSERT(imsg_compose_chunked(&a, 77, 3, big, sizeof(big)) == 0);
	chunkbuf_init(&cb, sizeof(big));
	while (!done) {
		if (imsgbuf_queuelen(&a) > 0 && imsgbuf_write(&a) == -1)
			FAIL("write");
		if (imsgbuf_read(&b) == 0)
			FAIL("eof");
		while (imsgbuf_get(&b, &m) == 1) {
			if (m.hdr.type == IMSG_DONE)
				done = 1;
			else {
				ASSERT_INT_EQ(m.hdr.type, 77);
				ASSERT(chunkbuf_add(&cb, m.data,
				    m.datalen) == 0);
				parts++;
			}
			imsg_free(&m);
		}
	}
	ASSERT(parts > 1);
	ASSERT_INT_EQ(cb.len, sizeof(big));
	ASSERT(memcmp(cb.buf, big, sizeof(big)) == 0);
	/* One byte over the limit is refused. */
	ASSERT(chunkbuf_add(&cb, "x", 1) == -1);
	ASSERT_INT_EQ(errno, EMSGSIZE);
	chunkbuf_reset(&cb);
	imsgbuf_clear(&a);
	imsgbuf_clear(&b);
	close(sp[0]);
	close(sp[1]);
}

TEST(back_pressure_counts)
{
	struct imsgbuf	a;
	char		buf[1000];
	int		sp[2], i;

	memset(buf, 0, sizeof(buf));
	ASSERT(pair(sp) == 0);
	ASSERT(imsgbuf_init(&a, sp[0]) == 0);
	/* The peer never reads: the socket fills and the queue grows. */
	for (i = 0; i < 2000; i++) {
		ASSERT(imsg_compose(&a, 1, 0, 0, -1, buf, sizeof(buf)) == 0);
		ASSERT(imsgbuf_write(&a) == 0);
	}
	ASSERT(imsgbuf_queuelen(&a) > 0);
	ASSERT(imsgbuf_queuebytes(&a) > 100000);
	imsgbuf_clear(&a);
	close(sp[0]);
	close(sp[1]);
}

TEST_MAIN()
