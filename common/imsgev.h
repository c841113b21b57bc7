/*
 * imsg channels driven by libevent: reading and writing when the socket
 * is ready, dispatch of whole messages, request/reply matching by peerid
 * with timeouts, and back-pressure on the outgoing queue.
 */
#ifndef IMSGEV_H
#define IMSGEV_H

#include <sys/queue.h>
#include <sys/tree.h>

#include <event.h>
#include <protobuf-c/protobuf-c.h>

#include "imsg.h"
#include "types.pb-c.h"

struct imsgev;

/* Called with each message; with NULL when the channel is gone. */
typedef void	(*imsgev_handler)(struct imsgev *, struct imsg *, void *);
/* Called when the queue crosses the high (1) or low (0) watermark. */
typedef void	(*imsgev_flowcb)(struct imsgev *, int, void *);
/*
 * Called with each part of a reply; with NULL on timeout or loss of the
 * channel.  The request ends after IMSG_RESULT, IMSG_DONE or NULL.
 */
typedef void	(*imsgev_replycb)(struct imsgev *, struct imsg *, void *);

struct imsgev_req {
	RB_ENTRY(imsgev_req)	 entry;
	uint32_t		 id;
	imsgev_replycb		 cb;
	void			*arg;
	struct event		 timer;
	struct timeval		 timeout;
	struct imsgev		*iev;
};
RB_HEAD(imsgev_reqs, imsgev_req);
int	imsgev_req_cmp(struct imsgev_req *, struct imsgev_req *);
RB_PROTOTYPE(imsgev_reqs, imsgev_req, entry, imsgev_req_cmp);

struct imsgev {
	struct imsgbuf		 ibuf;
	struct event		 ev;
	short			 events;
	int			 read_paused;
	int			 closed;
	const char		*name;
	imsgev_handler		 handler;
	void			*arg;
	imsgev_flowcb		 flowcb;
	size_t			 lowat;
	size_t			 hiwat;
	size_t			 maxqueue;
	int			 xoff;
	uint32_t		 next_reqid;
	struct imsgev_reqs	 reqs;
	int			 in_dispatch;
	int			 fail_pending;
	int			 close_when_flushed;
	struct event		 failev;
};

int	 imsgev_init(struct imsgev *, int, const char *, imsgev_handler,
	    void *);
void	 imsgev_set_flow(struct imsgev *, size_t, size_t, imsgev_flowcb);
void	 imsgev_set_maxqueue(struct imsgev *, size_t);
void	 imsgev_close(struct imsgev *);
void	 imsgev_close_when_flushed(struct imsgev *);
void	 imsgev_pause_read(struct imsgev *);
void	 imsgev_resume_read(struct imsgev *);
int	 imsgev_compose(struct imsgev *, uint32_t, uint32_t, int,
	    const void *, size_t);
int	 imsgev_compose_pb(struct imsgev *, uint32_t, uint32_t, int,
	    const ProtobufCMessage *);
int	 imsgev_reply_pb(struct imsgev *, const struct imsg *, uint32_t,
	    const ProtobufCMessage *);
int	 imsgev_reply_result(struct imsgev *, const struct imsg *, int,
	    const char *);
int	 imsgev_reply_done(struct imsgev *, const struct imsg *);
int	 imsgev_request(struct imsgev *, uint32_t, int,
	    const ProtobufCMessage *, int, imsgev_replycb, void *);
int	 imsgev_compose_chunked(struct imsgev *, uint32_t, uint32_t,
	    const void *, size_t);
size_t	 imsgev_queuebytes(const struct imsgev *);
void	 imsgev_flush_now(struct imsgev *);

/* pb.c: protobuf-c payloads. */
void	*pb_unpack(const ProtobufCMessageDescriptor *, const struct imsg *);
void	 pb_free(void *);
uint8_t	*pb_pack(const ProtobufCMessage *, size_t *);
char	*pb_strdup_bounded(const char *, size_t);
int	 pb_result(const struct imsg *, int *, char *, size_t);

#endif /* IMSGEV_H */
