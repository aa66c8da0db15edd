/*
 * testutil.h -- helpers shared by the unit tests: where temporary
 * directories go, and a seeded generator (splitmix64) so every random test
 * prints its seed and replays with TRAWL_SEED.
 */
#ifndef TRAWL_TESTUTIL_H
#define TRAWL_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl.h"

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

/* A small index of N documents { id, title, body } built through the
 * public API in a new temporary directory (DIR, of CAP bytes, gets its
 * path: TMP/NAME-XXXXXX/ix) and opened; NULL on any failure. */
static inline trawl_index *tu_small_index(char *dir, size_t cap,
					  const char *name,
					  const char *const (*docs)[3], size_t n)
{
	snprintf(dir, cap, "%s/%s-XXXXXX", tmp_base(), name);
	if (strlen(dir) + 4 > cap || !mkdtemp(dir))
		return NULL;
	strcat(dir, "/ix");
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	trawl_builder *b;
	trawl_error err;
	if (trawl_builder_new(dir, &o, &b, &err))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		trawl_doc d = { docs[i][0], strlen(docs[i][0]), docs[i][1],
				strlen(docs[i][1]), docs[i][2], strlen(docs[i][2]),
				NULL, 0, NULL, 0 };
		if (trawl_builder_add(b, &d, &err) < 0) {
			trawl_builder_free(b);
			return NULL;
		}
	}
	int rc = trawl_builder_finish(b, &err);
	trawl_builder_free(b);
	trawl_index *ix;
	if (rc || trawl_index_open(dir, &ix, &err))
		return NULL;
	return ix;
}

/* Closes IX and removes the directory tu_small_index() made for DIR. */
static inline int tu_small_index_free(trawl_index *ix, const char *dir)
{
	trawl_index_close(ix);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf '%.*s'", (int)(strlen(dir) - 3), dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A cmocka group fixture holding such an index. */
typedef struct tu_fixture {
	char dir[512];
	trawl_index *ix;
} tu_fixture;

static inline int tu_fixture_setup(void **state, const char *name,
				   const char *const (*docs)[3], size_t n)
{
	tu_fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	f->ix = tu_small_index(f->dir, sizeof f->dir, name, docs, n);
	if (!f->ix) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int tu_fixture_teardown(void **state)
{
	tu_fixture *f = *state;
	int rc = tu_small_index_free(f->ix, f->dir);
	free(f);
	return rc;
}

#endif
