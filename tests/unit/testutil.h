/*
 * testutil.h -- helpers shared by the unit tests: where temporary
 * directories go, and a seeded generator (splitmix64) so every random test
 * prints its seed and replays with TRAWL_SEED.
 */
#ifndef TRAWL_TESTUTIL_H
#define TRAWL_TESTUTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* Where test directories go: $TMPDIR, else tmpfs when there is one (the
 * writers fsync every file), else /tmp. */
static inline const char *tmp_base(void)
{
	const char *t = getenv("TMPDIR");
	if (t && *t)
		return t;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

typedef struct rng {
	uint64_t s;
} rng;

static inline uint64_t rnd(rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
