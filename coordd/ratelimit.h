/*
 * Per-source token buckets, for the work a stranger can make us do (a
 * Noise handshake costs stored two X25519 operations).  Sources hash
 * with a secret key into a fixed table, so memory is bounded and an
 * attacker cannot aim at another source's bucket; sources that share a
 * slot share a limit.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sodium.h>

#define RL_SLOTS	4096

struct rl_slot {
	double		 tokens;
	struct timespec	 last;
};

struct ratelimit {
	double		 rate;		/* tokens per second */
	double		 burst;
	uint8_t		 key[crypto_shorthash_KEYBYTES];
	struct rl_slot	 slots[RL_SLOTS];
};

void	ratelimit_init(struct ratelimit *, double, double);
int	ratelimit_take(struct ratelimit *, const void *, size_t);

#endif /* RATELIMIT_H */
