/* Per-source token buckets: see ratelimit.h. */
#include <string.h>

#include "ratelimit.h"

void
ratelimit_init(struct ratelimit *rl, double rate, double burst)
{
	memset(rl, 0, sizeof(*rl));
	rl->rate = rate;
	rl->burst = burst;
	crypto_shorthash_keygen(rl->key);
}

static double
elapsed(const struct timespec *from, const struct timespec *to)
{
	return ((double)(to->tv_sec - from->tv_sec) +
	    (double)(to->tv_nsec - from->tv_nsec) / 1e9);
}

/* 1: the source may go on; 0: it is over its rate. */
int
ratelimit_take(struct ratelimit *rl, const void *src, size_t len)
{
	struct rl_slot	*s;
	struct timespec	 now;
	uint8_t		 h[crypto_shorthash_BYTES];
	uint64_t	 idx;

	crypto_shorthash(h, src, len, rl->key);
	memcpy(&idx, h, sizeof(idx));
	s = &rl->slots[idx % RL_SLOTS];
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (s->last.tv_sec == 0 && s->last.tv_nsec == 0)
		s->tokens = rl->burst;
	else {
		s->tokens += elapsed(&s->last, &now) * rl->rate;
		if (s->tokens > rl->burst)
			s->tokens = rl->burst;
	}
	s->last = now;
	if (s->tokens < 1.0)
		return (0);
	s->tokens -= 1.0;
	return (1);
}
