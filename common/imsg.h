/*
 * Our imsg: framed messages over a local stream socket, in the manner of
 * OpenBSD's libutil imsg.  A message is a fixed 16-byte header followed by
 * its payload; it is read and handed out whole or not at all, its size
 * is capped before anything is allocated, and it may carry at most one
 * descriptor (SCM_RIGHTS on the sendmsg holding its first byte).
 */
#ifndef IMSG_H
#define IMSG_H

#include <sys/types.h>
#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#define IMSG_HEADER_SIZE	sizeof(struct imsg_hdr)
#define IMSG_FD_MARK		0x80000000U
#define IMSG_MAXSIZE_DEFAULT	(64 * 1024)
#define IMSG_MAXSIZE_HARD	(1024 * 1024)
#define IMSG_READ_CHUNK		65536
#define IMSG_MAX_PENDING_FDS	32

/* Set in peerid by a reply, so that replies never collide with requests. */
#define IMSG_REPLY_BIT		0x80000000U

struct imsg_hdr {
	uint32_t	 type;
	uint32_t	 len;		/* header + payload, IMSG_FD_MARK */
	uint32_t	 peerid;
	uint32_t	 pid;
};

struct imsg {
	struct imsg_hdr	 hdr;
	int		 fd;		/* -1 or owned until taken */
	uint8_t		*data;
	size_t		 datalen;
};

struct ibuf {
	TAILQ_ENTRY(ibuf) entry;
	uint8_t		*buf;
	size_t		 len;
	size_t		 sent;
	int		 fd;
};

struct imsgbuf {
	int		 fd;
	pid_t		 pid;
	size_t		 maxsize;
	int		 allow_fdpass;
	uint8_t		*rbuf;
	size_t		 rlen;
	size_t		 rsize;
	int		 rfds[IMSG_MAX_PENDING_FDS];
	int		 nrfds;
	TAILQ_HEAD(, ibuf) outq;
	size_t		 out_bytes;
	size_t		 out_msgs;
};

int	 imsgbuf_init(struct imsgbuf *, int);
void	 imsgbuf_allow_fdpass(struct imsgbuf *);
int	 imsgbuf_set_maxsize(struct imsgbuf *, size_t);
ssize_t	 imsgbuf_read(struct imsgbuf *);
int	 imsgbuf_write(struct imsgbuf *);
int	 imsgbuf_flush(struct imsgbuf *);
int	 imsgbuf_get(struct imsgbuf *, struct imsg *);
void	 imsgbuf_clear(struct imsgbuf *);
size_t	 imsgbuf_queuelen(const struct imsgbuf *);
size_t	 imsgbuf_queuebytes(const struct imsgbuf *);
int	 imsg_compose(struct imsgbuf *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsg_get_fd(struct imsg *);
void	 imsg_free(struct imsg *);

/* Reassembly of a payload sent as several messages closed by DONE. */
struct chunkbuf {
	uint8_t		*buf;
	size_t		 len;
	size_t		 max;
};

void	 chunkbuf_init(struct chunkbuf *, size_t);
int	 chunkbuf_add(struct chunkbuf *, const void *, size_t);
void	 chunkbuf_reset(struct chunkbuf *);
int	 imsg_compose_chunked(struct imsgbuf *, uint32_t, uint32_t,
	    const void *, size_t);

#endif /* IMSG_H */
