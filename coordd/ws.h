/*
 * RFC 6455 WebSocket framing for the /ts2021 WebSocket variant: the
 * Sec-WebSocket-Accept computation, a streaming frame decoder and a
 * frame header encoder.  No I/O and no allocation, so that the server
 * and the test client share it; the decoder treats its input as
 * hostile and bounds every length.
 */
#ifndef WS_H
#define WS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_ACCEPT_LEN	28		/* base64 of a SHA-1, no NUL */
#define WS_HDR_MAX	14		/* 2 + 8 length + 4 mask */
#define WS_CTL_MAX	125		/* control frame payloads */
#define WS_FRAME_MAX	(1024 * 1024)	/* data frame payloads */

#define WS_OP_CONT	0x0
#define WS_OP_TEXT	0x1
#define WS_OP_BINARY	0x2
#define WS_OP_CLOSE	0x8
#define WS_OP_PING	0x9
#define WS_OP_PONG	0xa

#define WS_CLOSE_NORMAL		1000
#define WS_CLOSE_PROTOCOL	1002
#define WS_CLOSE_UNSUPPORTED	1003
#define WS_CLOSE_TOOBIG		1009

/* What ws_decode() stopped for. */
#define WS_MORE		0	/* input used up or output full */
#define WS_PING		1	/* a ping's payload is in wd_ctl */
#define WS_PONG		2	/* a pong arrived; nothing to do */
#define WS_CLOSE	3	/* the peer closes; its payload in wd_ctl */
#define WS_ERROR	-1	/* wd_errstr, and wd_errcode to close with */

struct ws_dec {
	int		 wd_masked;	/* 1: frames must be masked */
	uint8_t		 wd_hdr[WS_HDR_MAX];
	size_t		 wd_hdrlen;
	int		 wd_inframe;	/* the header is parsed */
	uint8_t		 wd_op;
	uint8_t		 wd_mask[4];
	int		 wd_hasmask;
	uint64_t	 wd_left;	/* payload bytes still to come */
	uint64_t	 wd_off;	/* payload bytes seen, for the mask */
	int		 wd_msgopen;	/* a fragmented message is open */
	uint8_t		 wd_ctl[WS_CTL_MAX];
	size_t		 wd_ctllen;
	const char	*wd_errstr;
	uint16_t	 wd_errcode;
};

int	 ws_accept(const char *, char *, size_t);
int	 ws_key_valid(const char *);
void	 ws_dec_init(struct ws_dec *, int);
int	 ws_decode(struct ws_dec *, const uint8_t *, size_t, size_t *,
	    uint8_t *, size_t, size_t *);
size_t	 ws_frame_header(uint8_t *, int, uint64_t, const uint8_t *);
void	 ws_mask(uint8_t *, size_t, const uint8_t *, uint64_t);
int	 ws_frame_add(struct evbuffer *, int, const void *, size_t);

#endif /* WS_H */
