/*
 * HTTP/2 server sessions over the Noise transport: see h2.h.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <nghttp2/nghttp2.h>

#include "coordinator.h"
#include "h2.h"
#include "log.h"

struct h2_session {
	struct conn			*s_conn;
	nghttp2_session			*s_ng;
	TAILQ_HEAD(, h2_stream)		 s_streams;
	size_t				 s_bodybytes;	/* all request bodies */
	TAILQ_ENTRY(h2_session)		 s_flush_entry;
	int				 s_queued;	/* on which list */
	nghttp2_mem			 s_mem;		/* h2_mem.c */
	int				 s_fbshared;
	const char			*s_errstr;
	char				 s_errbuf[128];
};

static void	h2_flush_cb(int, short, void *);
static void	h2_unqueue(struct h2_session *);
static int	h2_send_data(nghttp2_session *, nghttp2_frame *,
		    const uint8_t *, size_t, nghttp2_data_source *, void *);
static int	h2_stream_error(struct h2_stream *, int, const char *);

/*
 * Sessions with frames to send, flushed together by one event: a change
 * for every session costs one pass over them, not a timer each.  The
 * pass works on its own list, so that sessions queued meanwhile wait
 * for the next one.
 */
TAILQ_HEAD(h2_sessions, h2_session);
static struct h2_sessions	h2_flushq = TAILQ_HEAD_INITIALIZER(h2_flushq);
static struct h2_sessions	h2_flushing =
				    TAILQ_HEAD_INITIALIZER(h2_flushing);
static struct event		h2_flush_ev;
static struct event_base	*h2_flush_base;	/* where h2_flush_ev is due */

enum { H2_NOT_QUEUED, H2_QUEUED, H2_FLUSHING };

static void
h2_schedule_flush(struct h2_session *s)
{
	struct timeval	tv = { 0, 0 };

	if (s->s_queued == H2_QUEUED)
		return;
	if (s->s_queued == H2_FLUSHING)
		TAILQ_REMOVE(&h2_flushing, s, s_flush_entry);
	TAILQ_INSERT_TAIL(&h2_flushq, s, s_flush_entry);
	s->s_queued = H2_QUEUED;
	/*
	 * Due on this base already?  Kept here rather than asked of the
	 * event: the unit tests free a base, with it pending, per test.
	 */
	if (h2_flush_base == s->s_conn->coord->base)
		return;
	h2_flush_base = s->s_conn->coord->base;
	evtimer_assign(&h2_flush_ev, h2_flush_base, h2_flush_cb, NULL);
	evtimer_add(&h2_flush_ev, &tv);
}

static void
h2_unqueue(struct h2_session *s)
{
	if (s->s_queued == H2_QUEUED)
		TAILQ_REMOVE(&h2_flushq, s, s_flush_entry);
	else if (s->s_queued == H2_FLUSHING)
		TAILQ_REMOVE(&h2_flushing, s, s_flush_entry);
	s->s_queued = H2_NOT_QUEUED;
}

/* Answers submitted outside nghttp2's own calls go out from here. */
static void
h2_flush_cb(int fd, short event, void *arg)
{
	struct h2_session	*s;

	h2_flush_base = NULL;
	TAILQ_CONCAT(&h2_flushing, &h2_flushq, s_flush_entry);
	TAILQ_FOREACH(s, &h2_flushing, s_flush_entry)
		s->s_queued = H2_FLUSHING;
	while ((s = TAILQ_FIRST(&h2_flushing)) != NULL) {
		h2_unqueue(s);
		ts2021_write(s->s_conn);
	}
}

static void
h2_stream_free_headers(struct h2_stream *st)
{
	size_t	i;

	for (i = 0; i < st->st_nhdrs; i++) {
		free(st->st_hdrs[i].h_name);
		free(st->st_hdrs[i].h_value);
	}
	free(st->st_hdrs);
	st->st_hdrs = NULL;
	st->st_nhdrs = 0;
}

static void
h2_stream_free(struct h2_session *s, struct h2_stream *st)
{
	if (st->st_on_close != NULL)
		st->st_on_close(st, st->st_close_arg);
	TAILQ_REMOVE(&s->s_streams, st, st_entry);
	if (st->st_body != NULL) {
		s->s_bodybytes -= evbuffer_get_length(st->st_body);
		evbuffer_free(st->st_body);
	}
	if (st->st_out != NULL)
		evbuffer_free(st->st_out);
	h2_stream_free_headers(st);
	free(st->st_path);
	free(st);
}

static int
h2_on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame,
    void *arg)
{
	struct h2_session	*s = arg;
	struct h2_stream	*st;

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return (0);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
	st->st_sess = s;
	st->st_conn = s->s_conn;
	st->st_id = frame->hd.stream_id;
	TAILQ_INSERT_TAIL(&s->s_streams, st, st_entry);
	if ((st->st_body = evbuffer_new()) == NULL ||
	    (st->st_out = evbuffer_new()) == NULL) {
		h2_stream_free(s, st);
		return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
	}
	nghttp2_session_set_stream_user_data(ng, st->st_id, st);
	return (0);
}

static int
h2_on_header(nghttp2_session *ng, const nghttp2_frame *frame,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *arg)
{
	struct h2_stream	*st;
	struct h2_header	*h;
	size_t			 i, total;

	if (frame->hd.type != NGHTTP2_HEADERS ||
	    frame->headers.cat != NGHTTP2_HCAT_REQUEST ||
	    (st = nghttp2_session_get_stream_user_data(ng,
	    frame->hd.stream_id)) == NULL)
		return (0);
	if (namelen == 7 && memcmp(name, ":method", 7) == 0) {
		if (valuelen >= sizeof(st->st_method))
			return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
		memcpy(st->st_method, value, valuelen);
		st->st_method[valuelen] = '\0';
		return (0);
	}
	if (namelen == 5 && memcmp(name, ":path", 5) == 0) {
		if (valuelen >= H2_MAX_PATH || st->st_path != NULL ||
		    (st->st_path = strndup((const char *)value,
		    valuelen)) == NULL)
			return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
		return (0);
	}
	if (namelen > 0 && name[0] == ':')
		return (0);	/* :scheme and :authority are ignored */
	total = namelen + valuelen;
	for (i = 0; i < st->st_nhdrs; i++)
		total += strlen(st->st_hdrs[i].h_name) +
		    strlen(st->st_hdrs[i].h_value);
	if (st->st_nhdrs == H2_MAX_HEADERS || total > H2_MAX_HEADER_LIST ||
	    (h = reallocarray(st->st_hdrs, st->st_nhdrs + 1,
	    sizeof(*h))) == NULL)
		return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
	st->st_hdrs = h;
	h = &st->st_hdrs[st->st_nhdrs];
	if ((h->h_name = strndup((const char *)name, namelen)) == NULL ||
	    (h->h_value = strndup((const char *)value, valuelen)) == NULL) {
		free(h->h_name);
		h->h_name = NULL;
		return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
	}
	st->st_nhdrs++;
	return (0);
}

static int
h2_on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *arg)
{
	struct h2_session	*s = arg;
	struct h2_stream	*st;
	size_t			 have;

	if ((st = nghttp2_session_get_stream_user_data(ng, id)) == NULL ||
	    st->st_bad)
		return (0);
	have = evbuffer_get_length(st->st_body);
	if (have + len > H2_MAX_BODY ||
	    s->s_bodybytes + len > H2_MAX_SESSION_BODY) {
		/* The answer ends the stream; nghttp2 resets the rest. */
		s->s_bodybytes -= have;
		evbuffer_drain(st->st_body, have);
		return (h2_stream_error(st, 413, "request body too large\n"));
	}
	if (evbuffer_add(st->st_body, data, len) == -1)
		return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
	s->s_bodybytes += len;
	return (0);
}

static int
h2_on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame,
    void *arg)
{
	struct h2_stream	*st;

	if ((frame->hd.type != NGHTTP2_HEADERS &&
	    frame->hd.type != NGHTTP2_DATA) ||
	    !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
	    (st = nghttp2_session_get_stream_user_data(ng,
	    frame->hd.stream_id)) == NULL || st->st_bad || st->st_routed)
		return (0);
	st->st_routed = 1;
	if (st->st_method[0] == '\0' || st->st_path == NULL ||
	    st->st_path[0] == '\0')
		return (h2_stream_error(st, 400, "bad request\n"));
	log_debug("h2 %s: stream %d: %s %s", st->st_conn->peer, st->st_id,
	    st->st_method, st->st_path);
	h2_route(st);
	return (0);
}

static int
h2_on_stream_close(nghttp2_session *ng, int32_t id, uint32_t error_code,
    void *arg)
{
	struct h2_session	*s = arg;
	struct h2_stream	*st;

	if ((st = nghttp2_session_get_stream_user_data(ng, id)) == NULL)
		return (0);
	if (error_code != NGHTTP2_NO_ERROR)
		log_debug("h2 %s: stream %d closed: %s", s->s_conn->peer, id,
		    nghttp2_http2_strerror(error_code));
	nghttp2_session_set_stream_user_data(ng, id, NULL);
	h2_stream_free(s, st);
	return (0);
}

static ssize_t
h2_read_data(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
    uint32_t *data_flags, nghttp2_data_source *source, void *arg)
{
	struct h2_stream	*st = source->ptr;
	size_t			 have = evbuffer_get_length(st->st_out);

	/* h2_send_data takes the bytes when the frame goes out. */
	if (have <= len) {
		if (st->st_out_eof)
			*data_flags |= NGHTTP2_DATA_FLAG_EOF;
		else if (have == 0) {
			st->st_deferred = 1;
			return (NGHTTP2_ERR_DEFERRED);
		}
	}
	*data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
	return ((ssize_t)MINIMUM(have, len));
}


struct h2_session *
h2_session_new(struct conn *conn)
{
	struct h2_session		*s;
	nghttp2_session_callbacks	*cbs = NULL;
	nghttp2_settings_entry		 iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, H2_MAX_STREAMS },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, H2_STREAM_WINDOW },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, H2_MAX_HEADER_LIST },
	};

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	s->s_conn = conn;
	TAILQ_INIT(&s->s_streams);
	if (nghttp2_session_callbacks_new(&cbs) != 0)
		goto fail;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
	    h2_on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, h2_on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
	    h2_on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
	    h2_on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
	    h2_on_stream_close);
	nghttp2_session_callbacks_set_send_data_callback(cbs, h2_send_data);
	h2_mem_init(&s->s_mem, &s->s_fbshared);
	if (nghttp2_session_server_new3(&s->s_ng, cbs, s, NULL,
	    &s->s_mem) != 0)
		goto fail;
	nghttp2_session_callbacks_del(cbs);
	cbs = NULL;
	if (nghttp2_submit_settings(s->s_ng, NGHTTP2_FLAG_NONE, iv,
	    sizeof(iv) / sizeof(iv[0])) != 0 ||
	    nghttp2_session_set_local_window_size(s->s_ng, NGHTTP2_FLAG_NONE,
	    0, H2_CONN_WINDOW) != 0)
		goto fail;
	return (s);
 fail:
	if (cbs != NULL)
		nghttp2_session_callbacks_del(cbs);
	h2_session_free(s);
	return (NULL);
}

void
h2_session_free(struct h2_session *s)
{
	struct h2_stream	*st;

	if (s == NULL)
		return;
	h2_unqueue(s);
	/* nghttp2_session_del() calls no stream close callbacks. */
	if (s->s_ng != NULL)
		nghttp2_session_del(s->s_ng);
	while ((st = TAILQ_FIRST(&s->s_streams)) != NULL)
		h2_stream_free(s, st);
	free(s);
}

const char *
h2_session_error(struct h2_session *s)
{
	return (s->s_errstr != NULL ? s->s_errstr : "unknown error");
}

static void
h2_session_seterr(struct h2_session *s, const char *what, int error)
{
	snprintf(s->s_errbuf, sizeof(s->s_errbuf), "%s: %s", what,
	    nghttp2_strerror(error));
	s->s_errstr = s->s_errbuf;
}

/* Feed decrypted client bytes to nghttp2; -1 ends the connection. */
int
h2_session_recv(struct h2_session *s, struct evbuffer *in)
{
	size_t		 len;
	ssize_t		 r;
	uint8_t		*p;

	while ((len = evbuffer_get_length(in)) > 0) {
		if ((p = evbuffer_pullup(in, len)) == NULL) {
			s->s_errstr = "out of memory";
			return (-1);
		}
		if ((r = nghttp2_session_mem_recv(s->s_ng, p, len)) < 0) {
			h2_session_seterr(s, "receive", (int)r);
			return (-1);
		}
		evbuffer_drain(in, (size_t)r);
	}
	return (0);
}

/*
 * The Noise record being filled by a flush.  Frames are written after
 * its header and sealed where they lie.  One flush runs at a time.
 */
static struct {
	struct h2_session	*s;
	struct evbuffer		*out;
	uint8_t			 buf[NOISE_REC_MAX];
	size_t			 len;		/* plaintext after the header */
} h2_rec;

static int
h2_rec_seal(void)
{
	struct h2_session	*s = h2_rec.s;
	size_t			 reclen;

	if (h2_rec.len == 0)
		return (0);
	if (noise_transport_seal(s->s_conn->nt, h2_rec.buf + NOISE_REC_HDRLEN,
	    h2_rec.len, h2_rec.buf, sizeof(h2_rec.buf), &reclen) !=
	    NOISE_OK) {
		s->s_errstr = s->s_conn->nt->nt_errstr;
		return (-1);
	}
	h2_rec.len = 0;
	if (evbuffer_add(h2_rec.out, h2_rec.buf, reclen) == -1) {
		s->s_errstr = "out of memory";
		return (-1);
	}
	return (0);
}

/* Room for n more bytes, sealing the record first if it is full. */
static uint8_t *
h2_rec_space(size_t *n)
{
	if (h2_rec.len == NOISE_REC_MAXPT && h2_rec_seal() == -1)
		return (NULL);
	*n = MINIMUM(*n, NOISE_REC_MAXPT - h2_rec.len);
	return (h2_rec.buf + NOISE_REC_HDRLEN + h2_rec.len);
}

static int
h2_rec_add(const uint8_t *data, size_t len)
{
	uint8_t	*p;
	size_t	 n;

	while (len > 0) {
		n = len;
		if ((p = h2_rec_space(&n)) == NULL)
			return (-1);
		memcpy(p, data, n);
		h2_rec.len += n;
		data += n;
		len -= n;
	}
	return (0);
}

/*
 * A DATA frame's payload goes from the stream's buffer straight into
 * the record (NGHTTP2_DATA_FLAG_NO_COPY): no copy through nghttp2's own
 * frame buffer, which then never grows its pages for map streams.
 */
static int
h2_send_data(nghttp2_session *ng, nghttp2_frame *frame,
    const uint8_t *framehd, size_t length, nghttp2_data_source *source,
    void *arg)
{
	struct h2_stream	*st = source->ptr;
	uint8_t			*p;
	size_t			 n;

	uint8_t			 hd[9];

	if (frame->data.padlen > 0 || h2_rec.s == NULL ||
	    frame->hd.length > 0xffffff)
		return (NGHTTP2_ERR_CALLBACK_FAILURE);
	/* nghttp2 would go on to the next frame within the same call. */
	if (conn_backlog(h2_rec.s->s_conn) >= H2_OUT_HIWAT)
		return (NGHTTP2_ERR_WOULDBLOCK);
	/*
	 * The header from frame->hd, not framehd: framehd lies in the
	 * frame buffer, which sessions share (h2_mem.c), and after a
	 * WOULDBLOCK another session has used it.
	 */
	hd[0] = (frame->hd.length >> 16) & 0xff;
	hd[1] = (frame->hd.length >> 8) & 0xff;
	hd[2] = frame->hd.length & 0xff;
	hd[3] = frame->hd.type;
	hd[4] = frame->hd.flags;
	hd[5] = (frame->hd.stream_id >> 24) & 0x7f;
	hd[6] = (frame->hd.stream_id >> 16) & 0xff;
	hd[7] = (frame->hd.stream_id >> 8) & 0xff;
	hd[8] = frame->hd.stream_id & 0xff;
	if (h2_rec_add(hd, sizeof(hd)) == -1)
		return (NGHTTP2_ERR_CALLBACK_FAILURE);
	while (length > 0) {
		n = length;
		if ((p = h2_rec_space(&n)) == NULL ||
		    evbuffer_remove(st->st_out, p, n) != (int)n)
			return (NGHTTP2_ERR_CALLBACK_FAILURE);
		h2_rec.len += n;
		length -= n;
	}
	return (0);
}

/*
 * Pull frames from nghttp2 into Noise records of at most NOISE_REC_MAXPT
 * plaintext bytes, until nghttp2 has nothing more or the output is above
 * the high mark.  -1 ends the connection.
 */
int
h2_session_flush(struct h2_session *s)
{
	struct evbuffer	*out = conn_output(s->s_conn);
	const uint8_t	*data;
	ssize_t		 len;
	int		 rv = 0;

	h2_rec.s = s;
	h2_rec.out = out;
	h2_rec.len = 0;
	while (conn_backlog(s->s_conn) < H2_OUT_HIWAT) {
		if ((len = nghttp2_session_mem_send(s->s_ng, &data)) < 0) {
			if (s->s_errstr == NULL)
				h2_session_seterr(s, "send", (int)len);
			rv = -1;
			break;
		}
		if (len == 0)
			break;
		if (h2_rec_add(data, (size_t)len) == -1) {
			rv = -1;
			break;
		}
	}
	/* Sealing overwrites the plaintext where it lies. */
	if (rv == 0)
		rv = h2_rec_seal();
	h2_rec.s = NULL;
	h2_rec.out = NULL;
	h2_rec.len = 0;
	return (rv);
}

/* nghttp2 has frames waiting (the last flush stopped at the mark). */
int
h2_session_wants_write(struct h2_session *s)
{
	return (nghttp2_session_want_write(s->s_ng));
}

/* Neither side has anything more to say: the session is over. */
int
h2_session_done(struct h2_session *s)
{
	return (!nghttp2_session_want_read(s->s_ng) &&
	    !nghttp2_session_want_write(s->s_ng));
}

struct h2_stream *
h2_stream_find(struct h2_session *s, int32_t id)
{
	return (nghttp2_session_get_stream_user_data(s->s_ng, id));
}

const char *
h2_stream_header(struct h2_stream *st, const char *name)
{
	size_t	i;

	for (i = 0; i < st->st_nhdrs; i++)
		if (strcasecmp(st->st_hdrs[i].h_name, name) == 0)
			return (st->st_hdrs[i].h_value);
	return (NULL);
}

static int
h2_submit(struct h2_stream *st, int status, const char *ctype,
    ssize_t clen, int withdata)
{
	nghttp2_data_provider	 prd;
	nghttp2_nv		 nva[3];
	char			 sbuf[8], lbuf[24];
	size_t			 nnv = 0;
	int			 r;

	if (st->st_responded || status < 100 || status > 999)
		return (-1);
	snprintf(sbuf, sizeof(sbuf), "%d", status);
#define H2_NV(n, v) do {						\
	nva[nnv].name = (uint8_t *)(n);					\
	nva[nnv].namelen = strlen(n);					\
	nva[nnv].value = (uint8_t *)(v);				\
	nva[nnv].valuelen = strlen(v);					\
	nva[nnv].flags = NGHTTP2_NV_FLAG_NONE;				\
	nnv++;								\
} while (0)
	H2_NV(":status", sbuf);
	if (ctype != NULL)
		H2_NV("content-type", ctype);
	if (clen >= 0) {
		snprintf(lbuf, sizeof(lbuf), "%zd", clen);
		H2_NV("content-length", lbuf);
	}
#undef H2_NV
	prd.source.ptr = st;
	prd.read_callback = h2_read_data;
	if ((r = nghttp2_submit_response(st->st_sess->s_ng, st->st_id, nva,
	    nnv, withdata ? &prd : NULL)) != 0) {
		log_debug("h2 %s: stream %d: %s", st->st_conn->peer,
		    st->st_id, nghttp2_strerror(r));
		return (-1);
	}
	st->st_responded = 1;
	h2_schedule_flush(st->st_sess);
	return (0);
}

/* One whole answer. */
int
h2_stream_respond(struct h2_stream *st, int status, const char *ctype,
    const void *body, size_t len)
{
	if (st->st_responded)
		return (-1);
	if (len > 0 && evbuffer_add(st->st_out, body, len) == -1)
		return (-1);
	st->st_out_eof = 1;
	return (h2_submit(st, status, ctype, (ssize_t)len, len > 0));
}

/* An answer whose body follows with h2_stream_write, h2_stream_end. */
int
h2_stream_begin(struct h2_stream *st, int status, const char *ctype)
{
	return (h2_submit(st, status, ctype, -1, 1));
}

static int
h2_stream_resume(struct h2_stream *st)
{
	if (st->st_responded && st->st_deferred) {
		st->st_deferred = 0;
		if (nghttp2_session_resume_data(st->st_sess->s_ng,
		    st->st_id) != 0)
			return (-1);
	}
	h2_schedule_flush(st->st_sess);
	return (0);
}

int
h2_stream_write(struct h2_stream *st, const void *data, size_t len)
{
	if (st->st_out_eof || evbuffer_add(st->st_out, data, len) == -1)
		return (-1);
	return (h2_stream_resume(st));
}

/*
 * Bytes that stay where they are until sent; cleanup(data, len, arg)
 * runs then.  A message for many sessions is written once.
 */
int
h2_stream_write_ref(struct h2_stream *st, const void *data, size_t len,
    void (*cleanup)(const void *, size_t, void *), void *arg)
{
	if (st->st_out_eof || evbuffer_add_reference(st->st_out, data, len,
	    cleanup, arg) == -1)
		return (-1);
	return (h2_stream_resume(st));
}

/* All of buf, moved rather than copied. */
int
h2_stream_write_buffer(struct h2_stream *st, struct evbuffer *buf)
{
	if (st->st_out_eof || evbuffer_add_buffer(st->st_out, buf) == -1)
		return (-1);
	return (h2_stream_resume(st));
}

int
h2_stream_end(struct h2_stream *st)
{
	st->st_out_eof = 1;
	return (h2_stream_resume(st));
}

/*
 * The request has been read: a long poll need not keep its body and
 * headers for the hours it lasts.  Method and path stay, for logs.
 */
void
h2_stream_request_done(struct h2_stream *st)
{
	size_t	len = evbuffer_get_length(st->st_body);

	st->st_sess->s_bodybytes -= len;
	evbuffer_drain(st->st_body, len);
	h2_stream_free_headers(st);
}

/* Bytes written to the stream that nghttp2 has not taken yet. */
size_t
h2_stream_pending(struct h2_stream *st)
{
	return (evbuffer_get_length(st->st_out));
}

/* Abandon a stream; the client sees RST_STREAM and may ask again. */
int
h2_stream_reset(struct h2_stream *st)
{
	st->st_out_eof = 1;
	if (nghttp2_submit_rst_stream(st->st_sess->s_ng, NGHTTP2_FLAG_NONE,
	    st->st_id, NGHTTP2_CANCEL) != 0)
		return (-1);
	h2_schedule_flush(st->st_sess);
	return (0);
}

/* An error answer, and no routing for this request. */
static int
h2_stream_error(struct h2_stream *st, int status, const char *msg)
{
	st->st_bad = 1;
	log_info("h2 %s: stream %d: %s %s answered %d", st->st_conn->peer,
	    st->st_id, st->st_method, st->st_path != NULL ? st->st_path : "",
	    status);
	if (h2_stream_respond(st, status, "text/plain", msg,
	    strlen(msg)) == -1)
		return (NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE);
	return (0);
}
