/*
 * HTTP/2 inside Noise (coordd/h2.c, ts2021_read/ts2021_write): a real
 * connection on a socketpair, the coordinator's side driven by its
 * event loop, the client's side by an nghttp2 client session here.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <nghttp2/nghttp2.h>
#include <sodium.h>

#include "coordinator.h"
#include "h2.h"
#include "log.h"
#include "test.h"

#define FX_MAXREQ	400
#define FX_VERSION	113

struct fx_req {
	int32_t		 id;
	int		 status;
	int		 done;
	uint32_t	 error;
	uint8_t		*out;
	size_t		 outlen;
	const uint8_t	*body;
	size_t		 bodylen, bodyoff;
};

struct fx {
	struct event_base	*base;
	struct coord		 coord;
	uint64_t		 connid;
	int			 cfd;
	struct noise_transport	 cnt;		/* the client's transport */
	uint8_t			 cpub[NOISE_KEYLEN];
	nghttp2_session		*cli;
	uint8_t			 rbuf[2 * NOISE_REC_MAX];
	size_t			 rlen;
	uint8_t			*wbuf;		/* sealed, not yet written */
	size_t			 wlen;
	struct fx_req		 reqs[FX_MAXREQ];
	size_t			 nreqs;
};

static struct fx	fx;

static int
fx_on_header(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *arg)
{
	struct fx_req	*r;

	if ((r = nghttp2_session_get_stream_user_data(ng,
	    frame->hd.stream_id)) != NULL && namelen == 7 &&
	    memcmp(name, ":status", 7) == 0 && valuelen == 3)
		r->status = (value[0] - '0') * 100 + (value[1] - '0') * 10 +
		    (value[2] - '0');
	return (0);
}

static int
fx_on_data(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *arg)
{
	struct fx_req	*r;
	uint8_t		*p;

	if ((r = nghttp2_session_get_stream_user_data(ng, id)) == NULL)
		return (0);
	if ((p = realloc(r->out, r->outlen + len + 1)) == NULL)
		return (NGHTTP2_ERR_CALLBACK_FAILURE);
	r->out = p;
	memcpy(r->out + r->outlen, data, len);
	r->outlen += len;
	r->out[r->outlen] = '\0';
	return (0);
}

static int
fx_on_close(nghttp2_session *ng, int32_t id, uint32_t error_code,
    void *arg)
{
	struct fx_req	*r;

	if ((r = nghttp2_session_get_stream_user_data(ng, id)) != NULL) {
		r->done = 1;
		r->error = error_code;
	}
	return (0);
}

static ssize_t
fx_read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
    uint32_t *data_flags, nghttp2_data_source *source, void *arg)
{
	struct fx_req	*r = source->ptr;
	size_t		 n;

	n = MINIMUM(len, r->bodylen - r->bodyoff);
	memcpy(buf, r->body + r->bodyoff, n);
	r->bodyoff += n;
	if (r->bodyoff == r->bodylen)
		*data_flags |= NGHTTP2_DATA_FLAG_EOF;
	return (n);
}

static int
fx_seal(const uint8_t *pt, size_t len)
{
	uint8_t	*p;
	size_t	 reclen;

	if ((p = realloc(fx.wbuf, fx.wlen + NOISE_REC_MAX)) == NULL)
		return (-1);
	fx.wbuf = p;
	if (noise_transport_seal(&fx.cnt, pt, len, fx.wbuf + fx.wlen,
	    NOISE_REC_MAX, &reclen) != NOISE_OK)
		return (-1);
	fx.wlen += reclen;
	return (0);
}

/* The client's turn: send what it has, read and open what came. */
static int
fx_client(void)
{
	const uint8_t	*data;
	uint8_t		 pt[NOISE_REC_MAXPT];
	size_t		 reclen, ptlen;
	ssize_t		 n;
	const char	*err;
	int		 r, moved = 0;

	while ((n = nghttp2_session_mem_send(fx.cli, &data)) > 0)
		while (n > 0) {
			ptlen = MINIMUM((size_t)n, sizeof(pt));
			if (fx_seal(data, ptlen) == -1)
				return (-1);
			data += ptlen;
			n -= ptlen;
		}
	if (fx.wlen > 0 && (n = write(fx.cfd, fx.wbuf, fx.wlen)) > 0) {
		memmove(fx.wbuf, fx.wbuf + n, fx.wlen - n);
		fx.wlen -= n;
		moved = 1;
	}
	n = read(fx.cfd, fx.rbuf + fx.rlen, sizeof(fx.rbuf) - fx.rlen);
	if (n == 0)
		return (-1);		/* the server closed */
	if (n > 0) {
		fx.rlen += n;
		moved = 1;
	}
	for (;;) {
		if ((r = noise_record_len(fx.rbuf, fx.rlen, &reclen,
		    &err)) == -1)
			return (-1);
		if (r == 0 || reclen > fx.rlen)
			break;
		if (noise_transport_open(&fx.cnt, fx.rbuf, reclen, pt,
		    sizeof(pt), &ptlen) != NOISE_OK)
			return (-1);
		memmove(fx.rbuf, fx.rbuf + reclen, fx.rlen - reclen);
		fx.rlen -= reclen;
		if (nghttp2_session_mem_recv(fx.cli, pt, ptlen) < 0)
			return (-1);
	}
	return (moved);
}

/* What front.c does for a connection inside Noise. */
static void
fx_read_cb(struct bufferevent *bev, void *arg)
{
	ts2021_read(arg);
}

static void
fx_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn	*conn = arg;

	if (conn->state == CONN_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_close(conn);
	else if (conn->state == CONN_NOISE)
		ts2021_write(conn);
}

static void
fx_event_cb(struct bufferevent *bev, short what, void *arg)
{
	conn_close(arg);
}

static int
fx_conn_alive(void)
{
	return (front_find(&fx.coord, fx.connid) != NULL);
}

/* Run both sides until the requests are done; -1 if the server hung up. */
static int
fx_run(int msec, int headers_only)
{
	size_t	 i;
	int	 r;

	for (; msec > 0; msec--) {
		if ((r = fx_client()) == -1)
			return (-1);
		event_base_loop(fx.base, EVLOOP_NONBLOCK);
		for (i = 0; i < fx.nreqs && (fx.reqs[i].done ||
		    (headers_only && fx.reqs[i].status != 0)); i++)
			;
		if (i == fx.nreqs && fx.wlen == 0 && !headers_only)
			return (0);
		if (i == fx.nreqs && headers_only)
			return (0);
		if (r == 0)
			usleep(1000);
	}
	return (-1);
}

/* Both sides run for a while, whatever happens. */
static void
fx_spin(int msec)
{
	for (; msec > 0; msec--) {
		if (fx_client() == -1)
			return;
		event_base_loop(fx.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static struct fx_req *
fx_submit(const char *method, const char *path, const void *body,
    size_t bodylen)
{
	nghttp2_data_provider	 prd;
	struct fx_req		*r = &fx.reqs[fx.nreqs++];
	nghttp2_nv		 nva[] = {
		{ (uint8_t *)":method", (uint8_t *)method, 7, strlen(method),
		    0 },
		{ (uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0 },
		{ (uint8_t *)":authority", (uint8_t *)"test", 10, 4, 0 },
		{ (uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0 },
	};

	memset(r, 0, sizeof(*r));
	r->body = body;
	r->bodylen = bodylen;
	prd.source.ptr = r;
	prd.read_callback = fx_read_body;
	r->id = nghttp2_submit_request(fx.cli, NULL, nva, 4,
	    body != NULL ? &prd : NULL, r);
	return (r);
}

/* A coordinator with one connection in the Noise state, and a client. */
static int
fx_setup(void)
{
	nghttp2_session_callbacks	*cbs;
	struct noise_hs			 ini, res;
	struct conn			*conn;
	uint8_t				 cpriv[32], spub[32], spriv[32];
	uint8_t				 init[NOISE_INIT_LEN];
	uint8_t				 resp[NOISE_RESP_LEN];
	size_t				 len;
	int				 fds[2];

	memset(&fx, 0, sizeof(fx));
	if (sodium_init() == -1)
		return (-1);
	if ((fx.base = event_init()) == NULL)
		return (-1);
	fx.coord.base = fx.base;
	fx.coord.listenfd = -1;
	fx.coord.test_routes = 1;
	TAILQ_INIT(&fx.coord.conns);
	crypto_box_keypair(fx.cpub, cpriv);
	crypto_box_keypair(spub, spriv);
	if (noise_init_start(&ini, cpriv, fx.cpub, spub, FX_VERSION) != 0 ||
	    noise_init_write_init(&ini, init, sizeof(init), &len) != 0)
		return (-1);
	noise_resp_init(&res, spub);
	if (noise_resp_read_init(&res, init, len) != NOISE_NEED_DH ||
	    noise_resp_dh_local(&res, spriv) != NOISE_OK ||
	    noise_resp_write_response(&res, resp, sizeof(resp), &len) != 0 ||
	    noise_init_read_response(&ini, resp, len) != 0 ||
	    noise_split(&ini, &fx.cnt) != 0)
		return (-1);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == -1 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(fds[1], F_SETFL, O_NONBLOCK) == -1)
		return (-1);
	fx.cfd = fds[1];
	if ((conn = calloc(1, sizeof(*conn))) == NULL ||
	    (conn->nt = calloc(1, sizeof(*conn->nt))) == NULL ||
	    (conn->plain = evbuffer_new()) == NULL ||
	    (conn->bev = bufferevent_socket_new(fx.base, fds[0],
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    noise_split(&res, conn->nt) != 0)
		return (-1);
	noise_hs_clear(&ini);
	noise_hs_clear(&res);
	conn->coord = &fx.coord;
	conn->id = fx.connid = 42;
	strlcpy(conn->peer, "test", sizeof(conn->peer));
	TAILQ_INSERT_TAIL(&fx.coord.conns, conn, entry);
	RB_INSERT(conn_ids, &fx.coord.conn_ids, conn);
	fx.coord.nconns = 1;
	if ((conn->h2 = h2_session_new(conn)) == NULL)
		return (-1);
	conn->state = CONN_NOISE;
	bufferevent_setwatermark(conn->bev, EV_READ, 0, 4 * NOISE_REC_MAX);
	bufferevent_setwatermark(conn->bev, EV_WRITE, H2_OUT_LOWAT, 0);
	bufferevent_setcb(conn->bev, fx_read_cb, fx_write_cb, fx_event_cb,
	    conn);
	bufferevent_enable(conn->bev, EV_READ | EV_WRITE);
	if (ts2021_write(conn) == -1)
		return (-1);

	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return (-1);
	nghttp2_session_callbacks_set_on_header_callback(cbs, fx_on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
	    fx_on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
	    fx_on_close);
	if (nghttp2_session_client_new(&fx.cli, cbs, NULL) != 0) {
		nghttp2_session_callbacks_del(cbs);
		return (-1);
	}
	nghttp2_session_callbacks_del(cbs);
	return (nghttp2_submit_settings(fx.cli, NGHTTP2_FLAG_NONE, NULL, 0));
}

static void
fx_teardown(void)
{
	size_t	i;

	front_close_all(&fx.coord);
	nghttp2_session_del(fx.cli);
	close(fx.cfd);
	for (i = 0; i < fx.nreqs; i++)
		free(fx.reqs[i].out);
	free(fx.wbuf);
	event_base_free(fx.base);
}

TEST(h2_echo_get_has_machine_key)
{
	struct fx_req	*r;
	char		 hex[2 * NOISE_KEYLEN + 1];
	int		 ok;

	ASSERT_INT_EQ(fx_setup(), 0);
	r = fx_submit("GET", "/coordd/echo", NULL, 0);
	ok = fx_run(5000, 0);
	sodium_bin2hex(hex, sizeof(hex), fx.cpub, sizeof(fx.cpub));
	if (ok == 0 && r->status == 200 && r->out != NULL &&
	    strstr((char *)r->out, hex) != NULL &&
	    strstr((char *)r->out, "/coordd/echo") != NULL) {
		fx_teardown();
		return;
	}
	fx_teardown();
	FAIL("run %d status %d body %s", ok, r->status,
	    r->out ? (char *)r->out : "(none)");
}

TEST(h2_unknown_path_404)
{
	struct fx_req	*r;
	int		 ok, status;

	ASSERT_INT_EQ(fx_setup(), 0);
	r = fx_submit("GET", "/machine/nope", NULL, 0);
	ok = fx_run(5000, 0);
	status = r->status;
	fx_teardown();
	ASSERT_INT_EQ(ok, 0);
	ASSERT_INT_EQ(status, 404);
}

/* Without COORDD_TEST_ROUTES the test routes do not exist. */
TEST(h2_test_routes_off_by_default)
{
	struct fx_req	*r;
	int		 ok, status;

	ASSERT_INT_EQ(fx_setup(), 0);
	fx.coord.test_routes = 0;
	r = fx_submit("GET", "/coordd/echo", NULL, 0);
	ok = fx_run(5000, 0);
	status = r->status;
	fx_teardown();
	ASSERT_INT_EQ(ok, 0);
	ASSERT_INT_EQ(status, 404);
}

TEST(h2_post_echo_many_records)
{
	static uint8_t	 body[150000];
	struct fx_req	*r;
	int		 ok, same;

	randombytes_buf(body, sizeof(body));
	ASSERT_INT_EQ(fx_setup(), 0);
	r = fx_submit("POST", "/coordd/echo", body, sizeof(body));
	ok = fx_run(10000, 0);
	same = r->status == 200 && r->outlen == sizeof(body) &&
	    memcmp(r->out, body, sizeof(body)) == 0;
	fx_teardown();
	ASSERT_INT_EQ(ok, 0);
	ASSERT(same);
}

/*
 * With large client windows nghttp2 could hand over the whole answer at
 * once: the output stops near the high mark and reading pauses.
 */
TEST(h2_output_backpressure)
{
	static uint8_t		 body[900000];
	nghttp2_settings_entry	 iv = { NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
				    16 * 1024 * 1024 };
	struct fx_req		*r;
	struct conn		*conn;
	size_t			 len, maxout = 0;
	int			 i, paused = 0, same;

	randombytes_buf(body, sizeof(body));
	ASSERT_INT_EQ(fx_setup(), 0);
	nghttp2_submit_settings(fx.cli, NGHTTP2_FLAG_NONE, &iv, 1);
	nghttp2_session_set_local_window_size(fx.cli, NGHTTP2_FLAG_NONE, 0,
	    16 * 1024 * 1024);
	r = fx_submit("POST", "/coordd/echo", body, sizeof(body));
	/* Send the request, then let the server run alone for a while. */
	for (i = 0; i < 10000 && fx.reqs[0].bodyoff < sizeof(body); i++) {
		fx_client();
		event_base_loop(fx.base, EVLOOP_NONBLOCK);
	}
	for (i = 0; i < 200; i++) {
		fx_client();	/* writes what is left, and reads a little */
		event_base_loop(fx.base, EVLOOP_NONBLOCK);
		if ((conn = front_find(&fx.coord, fx.connid)) == NULL)
			break;
		len = evbuffer_get_length(bufferevent_get_output(conn->bev));
		maxout = MAXIMUM(maxout, len);
		if (!(bufferevent_get_enabled(conn->bev) & EV_READ))
			paused = 1;
		if (paused)
			break;
	}
	fx_run(10000, 0);
	same = r->status == 200 && r->outlen == sizeof(body) &&
	    memcmp(r->out, body, sizeof(body)) == 0;
	fx_teardown();
	ASSERT(paused);
	ASSERT(maxout < H2_OUT_HIWAT + 64 * 1024);
	ASSERT(same);
}

TEST(h2_body_over_limit_413)
{
	static uint8_t	 body[H2_MAX_BODY + 1];
	struct fx_req	*r, *r2;
	int		 ok, status, status2, alive;

	ASSERT_INT_EQ(fx_setup(), 0);
	r = fx_submit("POST", "/coordd/echo", body, sizeof(body));
	ok = fx_run(10000, 0);
	status = r->status;
	/* The connection goes on. */
	r2 = fx_submit("GET", "/coordd/echo", NULL, 0);
	fx_run(5000, 0);
	status2 = r2->status;
	alive = fx_conn_alive();
	fx_teardown();
	ASSERT_INT_EQ(ok, 0);
	ASSERT_INT_EQ(status, 413);
	ASSERT_INT_EQ(status2, 200);
	ASSERT(alive);
}

TEST(h2_many_streams)
{
	size_t	i;
	int	ok, bad = 0;

	ASSERT_INT_EQ(fx_setup(), 0);
	for (i = 0; i < 300; i++)
		fx_submit("GET", "/coordd/echo", NULL, 0);
	ok = fx_run(10000, 0);
	for (i = 0; i < 300; i++)
		if (fx.reqs[i].status != 200)
			bad++;
	fx_teardown();
	ASSERT_INT_EQ(ok, 0);
	ASSERT_INT_EQ(bad, 0);
}

TEST(h2_reset_streamed_answer)
{
	struct fx_req	*r, *r2;
	int		 ok, status, status2;

	ASSERT_INT_EQ(fx_setup(), 0);
	r = fx_submit("GET", "/coordd/ticks", NULL, 0);
	ok = fx_run(5000, 1);
	status = r->status;
	nghttp2_submit_rst_stream(fx.cli, NGHTTP2_FLAG_NONE, r->id,
	    NGHTTP2_CANCEL);
	fx_spin(400);		/* the ticker finds its stream gone */
	r2 = fx_submit("GET", "/coordd/echo", NULL, 0);
	fx_run(5000, 0);
	status2 = r2->status;
	fx_teardown();
	ASSERT_INT_EQ(ok, 0);
	ASSERT_INT_EQ(status, 200);
	ASSERT_INT_EQ(status2, 200);
}

TEST(h2_streamed_answer_complete)
{
	struct fx_req	*r;
	int		 ok, same;

	ASSERT_INT_EQ(fx_setup(), 0);
	r = fx_submit("GET", "/coordd/ticks", NULL, 0);
	ok = fx_run(5000, 0);
	same = r->status == 200 && r->out != NULL &&
	    strcmp((char *)r->out,
	    "tick 0\ntick 1\ntick 2\ntick 3\ntick 4\n") == 0;
	fx_teardown();
	ASSERT_INT_EQ(ok, 0);
	ASSERT(same);
}

TEST(h2_not_http2_closes)
{
	const char	*junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	int		 i, alive = 1;

	ASSERT_INT_EQ(fx_setup(), 0);
	ASSERT_INT_EQ(fx_seal((const uint8_t *)junk, strlen(junk)), 0);
	ASSERT(write(fx.cfd, fx.wbuf, fx.wlen) == (ssize_t)fx.wlen);
	fx.wlen = 0;
	for (i = 0; i < 2000 && alive; i++) {
		event_base_loop(fx.base, EVLOOP_NONBLOCK);
		alive = fx_conn_alive();
		usleep(1000);
	}
	fx_teardown();
	ASSERT(!alive);
}

TEST_MAIN()
