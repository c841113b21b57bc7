/*
 * nghttp2's allocator (nghttp2_session_server_new3), for memory per
 * session: a tailnet holds one HTTP/2 session per node for hours.
 *
 * Every nghttp2 session has a 16 KiB frame buffer, the largest thing it
 * owns.  Frames are serialized there by nghttp2_session_mem_send() and
 * handed to us, and h2_session_flush() copies each into a Noise record
 * before it asks for the next; nghttp2 resets the buffer before it
 * serializes the next frame and does not read back what it handed
 * over.  DATA payloads never go there (h2_send_data), and h2_send_data
 * builds the DATA frame header from the frame rather than the buffer.
 * So in this single-threaded process one buffer serves every session:
 * the first large block a session asks for is the shared one.  A
 * second (a frame longer than a buffer, never sent by this server)
 * gets its own block.
 *
 * Other blocks of 8 KiB and more come from mmap, so that only the
 * pages written are resident; small ones from malloc.  A header before
 * each says which.
 */
#include <sys/types.h>
#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "compat.h"
#include "h2.h"

#define H2_MEM_MMAP		8192
/* nghttp2's frame buffer: a frame header, a pad byte, 16 KiB. */
#define H2_MEM_SHARED_SIZE	(16384 + 64)

struct h2_mem_hdr {
	size_t	mh_size;
	size_t	mh_mapped;	/* and 16-byte alignment for the rest */
};

static uint8_t	*h2_shared_fb;	/* never freed: every session's */

static void *
h2_mem_alloc(size_t size, int zero)
{
	struct h2_mem_hdr	*h;
	size_t			 total;

	if (size > SIZE_MAX - sizeof(*h))
		return (NULL);
	total = size + sizeof(*h);
	if (size >= H2_MEM_MMAP) {
		if ((h = mmap(NULL, total, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
			return (NULL);
		h->mh_mapped = 1;
	} else {
		if ((h = zero ? calloc(1, total) : malloc(total)) == NULL)
			return (NULL);
		h->mh_mapped = 0;
	}
	h->mh_size = size;
	return (h + 1);
}

static void
h2_mem_release(void *p)
{
	struct h2_mem_hdr	*h = (struct h2_mem_hdr *)p - 1;

	if (h->mh_mapped)
		munmap(h, h->mh_size + sizeof(*h));
	else
		free(h);
}

/* The shared frame buffer for this session, if it may have it. */
static void *
h2_mem_shared(size_t size, int *shared)
{
	if (size < 16384 || size > H2_MEM_SHARED_SIZE || *shared)
		return (NULL);
	if (h2_shared_fb == NULL &&
	    (h2_shared_fb = malloc(H2_MEM_SHARED_SIZE)) == NULL)
		return (NULL);
	*shared = 1;
	return (h2_shared_fb);
}

static void *
h2_mem_malloc(size_t size, void *arg)
{
	void	*p;

	if ((p = h2_mem_shared(size, arg)) != NULL)
		return (p);
	return (h2_mem_alloc(size, 0));
}

static void *
h2_mem_calloc(size_t n, size_t size, void *arg)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		return (NULL);
	if ((p = h2_mem_shared(n * size, arg)) != NULL) {
		memset(p, 0, n * size);
		return (p);
	}
	return (h2_mem_alloc(n * size, 1));
}

static void
h2_mem_free(void *p, void *arg)
{
	int	*shared = arg;

	if (p == NULL)
		return;
	if (p == h2_shared_fb) {
		*shared = 0;
		return;
	}
	h2_mem_release(p);
}

static void *
h2_mem_realloc(void *p, size_t size, void *arg)
{
	struct h2_mem_hdr	*h;
	size_t			 have;
	void			*q;

	if (p == NULL)
		return (h2_mem_malloc(size, arg));
	if (p == h2_shared_fb) {
		if (size <= H2_MEM_SHARED_SIZE)
			return (p);
		have = H2_MEM_SHARED_SIZE;
	} else {
		h = (struct h2_mem_hdr *)p - 1;
		if (!h->mh_mapped && size < H2_MEM_MMAP) {
			if ((h = realloc(h, size + sizeof(*h))) == NULL)
				return (NULL);
			h->mh_size = size;
			return (h + 1);
		}
		have = h->mh_size;
	}
	if ((q = h2_mem_alloc(size, 0)) == NULL)
		return (NULL);
	memcpy(q, p, MINIMUM(size, have));
	h2_mem_free(p, arg);
	return (q);
}

/* The allocator of one session; shared says whether it has the buffer. */
void
h2_mem_init(nghttp2_mem *mem, int *shared)
{
	mem->mem_user_data = shared;
	mem->malloc = h2_mem_malloc;
	mem->free = h2_mem_free;
	mem->calloc = h2_mem_calloc;
	mem->realloc = h2_mem_realloc;
	*shared = 0;
}
