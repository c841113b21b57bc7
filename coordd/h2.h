/*
 * HTTP/2 with prior knowledge inside the Noise transport, served by
 * nghttp2: one server session per Noise connection.
 *
 * Plaintext from the client goes in with h2_session_recv(); whatever
 * nghttp2 has to say is sealed into Noise records by h2_session_flush(),
 * which stops while the connection's output is above H2_OUT_HIWAT and
 * is called again from the write callback.
 *
 * Each request that ends (END_STREAM) goes to h2_route(), which
 * answers at once with h2_stream_respond() or starts a streamed reply
 * with h2_stream_begin(), then h2_stream_write() and h2_stream_end(),
 * possibly much later.  A stream is freed when it closes, also when the
 * client resets it: code that answers later keeps the connection id and
 * the stream id and looks the stream up with h2_stream_find().
 */
#ifndef H2_H
#define H2_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include <nghttp2/nghttp2.h>

#define H2_MAX_STREAMS		1000
#define H2_STREAM_WINDOW	(4 * 1024 * 1024)
#define H2_CONN_WINDOW		(16 * 1024 * 1024)
#define H2_MAX_HEADER_LIST	16384	/* SETTINGS_MAX_HEADER_LIST_SIZE */
#define H2_MAX_HEADERS		64	/* regular headers kept per request */
#define H2_MAX_PATH		2048
#define H2_MAX_BODY		(1024 * 1024)	/* as headscale; else 413 */
#define H2_MAX_SESSION_BODY	(16 * 1024 * 1024)	/* all streams */
#define H2_OUT_HIWAT		(256 * 1024)	/* stop pulling from nghttp2 */
#define H2_OUT_LOWAT		(64 * 1024)	/* write callback resumes */

struct conn;
struct evbuffer;
struct h2_session;

struct h2_header {
	char	*h_name;
	char	*h_value;
};

struct h2_stream {
	TAILQ_ENTRY(h2_stream)	 st_entry;
	struct h2_session	*st_sess;
	struct conn		*st_conn;
	int32_t			 st_id;
	char			 st_method[16];
	char			*st_path;	/* NULL until :path came */
	struct h2_header	*st_hdrs;	/* allocated as they come: a */
	size_t			 st_nhdrs;	/* long poll holds few bytes */
	struct evbuffer		*st_body;	/* the request body */
	int			 st_bad;	/* answered with an error */
	int			 st_routed;
	int			 st_responded;	/* headers submitted */
	struct evbuffer		*st_out;	/* response data not yet sent */
	int			 st_out_eof;
	int			 st_deferred;	/* data provider waits */
	/* Called once when the stream goes, for whoever writes to it. */
	void			(*st_on_close)(struct h2_stream *, void *);
	void			*st_close_arg;
};

/* h2_mem.c */
void			 h2_mem_init(nghttp2_mem *, int *);

/* h2.c */
struct h2_session	*h2_session_new(struct conn *);
void			 h2_session_free(struct h2_session *);
int			 h2_session_recv(struct h2_session *, struct evbuffer *);
int			 h2_session_flush(struct h2_session *);
int			 h2_session_done(struct h2_session *);
int			 h2_session_wants_write(struct h2_session *);
const char		*h2_session_error(struct h2_session *);
struct h2_stream	*h2_stream_find(struct h2_session *, int32_t);
const char		*h2_stream_header(struct h2_stream *, const char *);
int			 h2_stream_respond(struct h2_stream *, int, const char *,
			    const void *, size_t);
int			 h2_stream_begin(struct h2_stream *, int, const char *);
int			 h2_stream_write(struct h2_stream *, const void *, size_t);
int			 h2_stream_write_ref(struct h2_stream *, const void *,
			    size_t, void (*)(const void *, size_t, void *),
			    void *);
int			 h2_stream_write_buffer(struct h2_stream *,
			    struct evbuffer *);
int			 h2_stream_end(struct h2_stream *);
size_t			 h2_stream_pending(struct h2_stream *);
void			 h2_stream_request_done(struct h2_stream *);
int			 h2_stream_reset(struct h2_stream *);

/* h2_routes.c */
void			 h2_route(struct h2_stream *);

/* register.c */
void			 register_route(struct h2_stream *);

#endif /* H2_H */
