/*
 * imsg channels on libevent: a malformed message drops the peer, replies
 * find their request, requests time out, chunked answers keep a request
 * alive, and a slow peer trips the watermarks.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include <event.h>

#include "imsgev.h"
#include "types.h"
#include "test.h"

#include "types.pb-c.h"

struct seen {
	int	msgs;
	int	closed;
	int	replies;
	int	result;
	int	nulls;
	int	flow_on;
	int	flow_off;
};

static void
handler(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct seen	*s = arg;

	if (imsg == NULL)
		s->closed++;
	else
		s->msgs++;
	event_loopexit(NULL);
}

static void
replycb(struct imsgev *iev, struct imsg *imsg, void *arg)
{
	struct seen	*s = arg;

	if (imsg == NULL) {
		s->nulls++;
		event_loopexit(NULL);
		return;
	}
	s->replies++;
	if (imsg->hdr.type == IMSG_RESULT || imsg->hdr.type == IMSG_DONE) {
		s->result++;
		event_loopexit(NULL);
	}
}

/* A new event base per test; the old one goes with its events. */
static void
fresh_base(void)
{
	static struct event_base	*base;

	if (base != NULL)
		event_base_free(base);
	base = event_init();
}

static void
run_loop_ms(int ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	event_loopexit(&tv);
	event_dispatch();
}

static void
raw(int fd, uint32_t type, uint32_t len, uint32_t peerid)
{
	struct imsg_hdr	h = { type, len, peerid, 0 };

	if (write(fd, &h, sizeof(h)) != sizeof(h))
		abort();
}

TEST(malformed_drops_peer)
{
	struct imsgev	iev;
	struct seen	s;
	int		sp[2];

	fresh_base();
	memset(&s, 0, sizeof(s));
	ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
	ASSERT(imsgev_init(&iev, sp[0], "test", handler, &s) == 0);
	raw(sp[1], 7, sizeof(struct imsg_hdr), 0);
	raw(sp[1], 7, 5, 0);		/* shorter than a header */
	run_loop_ms(2000);
	ASSERT_INT_EQ(s.msgs, 1);
	run_loop_ms(2000);
	ASSERT_INT_EQ(s.closed, 1);
	ASSERT(iev.closed);
	close(sp[1]);
}

TEST(eof_reported_once)
{
	struct imsgev	iev;
	struct seen	s;
	int		sp[2];

	fresh_base();
	memset(&s, 0, sizeof(s));
	ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
	ASSERT(imsgev_init(&iev, sp[0], "test", handler, &s) == 0);
	close(sp[1]);
	run_loop_ms(2000);
	run_loop_ms(100);
	ASSERT_INT_EQ(s.closed, 1);
}

TEST(reply_routing_and_chunks)
{
	struct imsgev	 req, srv;
	struct seen	 rs, ss;
	struct imsgbuf	*sb = &srv.ibuf;
	struct imsg	 m;
	int		 sp[2];

	fresh_base();
	memset(&rs, 0, sizeof(rs));
	memset(&ss, 0, sizeof(ss));
	ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
	ASSERT(imsgev_init(&req, sp[0], "requester", handler, &rs) == 0);
	ASSERT(imsgbuf_init(sb, sp[1]) == 0);
	ASSERT(imsgev_request(&req, 42, -1, NULL, 5000, replycb, &rs) == 0);
	run_loop_ms(200);
	ASSERT(imsgbuf_read(sb) > 0);
	ASSERT_INT_EQ(imsgbuf_get(sb, &m), 1);
	ASSERT_INT_EQ(m.hdr.type, 42);
	ASSERT((m.hdr.peerid & IMSG_REPLY_BIT) == 0);
	/* A request from the other side with the same id is not a reply. */
	ASSERT(imsg_compose(sb, 43, m.hdr.peerid, 0, -1, NULL, 0) == 0);
	/* Two parts, then DONE, all echoing the id with the reply bit. */
	ASSERT(imsg_compose(sb, 44, m.hdr.peerid | IMSG_REPLY_BIT, 0, -1,
	    "a", 1) == 0);
	ASSERT(imsg_compose(sb, 44, m.hdr.peerid | IMSG_REPLY_BIT, 0, -1,
	    "b", 1) == 0);
	ASSERT(imsg_compose(sb, IMSG_DONE, m.hdr.peerid | IMSG_REPLY_BIT, 0,
	    -1, NULL, 0) == 0);
	/* A late reply to nothing is dropped quietly. */
	ASSERT(imsg_compose(sb, IMSG_DONE, 999 | IMSG_REPLY_BIT, 0, -1,
	    NULL, 0) == 0);
	imsg_free(&m);
	ASSERT(imsgbuf_flush(sb) == 0);
	run_loop_ms(2000);
	run_loop_ms(100);
	ASSERT_INT_EQ(rs.msgs, 1);
	ASSERT_INT_EQ(rs.replies, 3);
	ASSERT_INT_EQ(rs.result, 1);
	ASSERT_INT_EQ(rs.nulls, 0);
	imsgev_close(&req);
	imsgbuf_clear(sb);
	close(sp[1]);
}

TEST(request_timeout)
{
	struct imsgev	req;
	struct seen	rs;
	int		sp[2];

	fresh_base();
	memset(&rs, 0, sizeof(rs));
	ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
	ASSERT(imsgev_init(&req, sp[0], "requester", handler, &rs) == 0);
	ASSERT(imsgev_request(&req, 42, -1, NULL, 100, replycb, &rs) == 0);
	run_loop_ms(3000);
	ASSERT_INT_EQ(rs.nulls, 1);
	imsgev_close(&req);
	close(sp[1]);
}

TEST(close_cancels_requests)
{
	struct imsgev	req;
	struct seen	rs;
	int		sp[2];

	fresh_base();
	memset(&rs, 0, sizeof(rs));
	ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
	ASSERT(imsgev_init(&req, sp[0], "requester", handler, &rs) == 0);
	ASSERT(imsgev_request(&req, 42, -1, NULL, 60000, replycb, &rs) == 0);
	ASSERT(imsgev_request(&req, 42, -1, NULL, 60000, replycb, &rs) == 0);
	close(sp[1]);
	run_loop_ms(2000);
	ASSERT_INT_EQ(rs.closed, 1);
	ASSERT_INT_EQ(rs.nulls, 2);
}

static void
flow(struct imsgev *iev, int xoff, void *arg)
{
	struct seen	*s = arg;

	if (xoff)
		s->flow_on++;
	else
		s->flow_off++;
}

static void
drain_cb(int fd, short ev, void *arg)
{
	char	buf[65536];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

TEST(watermarks_and_cap)
{
	struct imsgev	iev;
	struct event	drain;
	struct seen	s;
	char		buf[4096];
	int		sp[2], i;

	fresh_base();
	memset(&s, 0, sizeof(s));
	memset(buf, 0, sizeof(buf));
	ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp) == 0);
	ASSERT(imsgev_init(&iev, sp[0], "slow", handler, &s) == 0);
	imsgev_set_flow(&iev, 16 * 1024, 256 * 1024, flow);
	for (i = 0; i < 100; i++)
		ASSERT(imsgev_compose(&iev, 1, 0, -1, buf, sizeof(buf)) == 0);
	ASSERT_INT_EQ(s.flow_on, 1);
	/* The peer reads: the queue drains and the producer may resume. */
	event_set(&drain, sp[1], EV_READ | EV_PERSIST, drain_cb, NULL);
	event_add(&drain, NULL);
	run_loop_ms(500);
	ASSERT_INT_EQ(s.flow_off, 1);
	ASSERT_INT_EQ(imsgev_queuebytes(&iev), 0);
	event_del(&drain);
	/* A peer that never reads is dropped at the cap, not buffered forever. */
	imsgev_set_maxqueue(&iev, 1024 * 1024);
	for (i = 0; i < 1000 && !iev.closed; i++)
		(void)imsgev_compose(&iev, 1, 0, -1, buf, sizeof(buf));
	ASSERT(iev.closed);
	run_loop_ms(500);
	ASSERT_INT_EQ(s.closed, 1);
	close(sp[1]);
}

TEST(pb_roundtrip_and_garbage)
{
	Coordd__User	 u = COORDD__USER__INIT, *out;
	struct imsg	 m;
	uint8_t		*buf;
	size_t		 len;

	u.id = 12345678901ULL;
	u.name = "alice";
	ASSERT((buf = pb_pack(&u.base, &len)) != NULL);
	memset(&m, 0, sizeof(m));
	m.data = buf;
	m.datalen = len;
	ASSERT((out = pb_unpack(&coordd__user__descriptor, &m)) != NULL);
	ASSERT_INT_EQ(out->id, 12345678901ULL);
	ASSERT_STR_EQ(out->name, "alice");
	pb_free(out);
	/* A truncated payload does not parse. */
	m.datalen = len - 1;
	ASSERT(pb_unpack(&coordd__user__descriptor, &m) == NULL);
	free(buf);
	m.data = (uint8_t *)"\xff\xff\xff\xff\xff";
	m.datalen = 5;
	ASSERT(pb_unpack(&coordd__user__descriptor, &m) == NULL);
}

TEST_MAIN()
