/*
 * analyze.h -- internals of the text analyser (lib/analyze.c) beyond the
 * public trawl_analyze(): switches and counters for tests, the fuzzer and
 * benchmarks.  Production code needs only include/trawl.h.
 */
#ifndef TRAWL_ANALYZE_H
#define TRAWL_ANALYZE_H

#include <stdint.h>

#include "trawl.h"

/* Stem cache entries kept before the cache is cleared (the default). */
#define AN_CACHE_ENTRIES 65536u
/* Bytes of tokens and stems the cache keeps at most: one that fills
 * this arena first is cleared like one that runs out of entries (tokens
 * and stems of up to 64 bytes average far less).  A bound on what a
 * caller keeps per entry, too. */
#define AN_CACHE_ARENA_MAX (8u << 20)

typedef struct an_stats {
	uint64_t hits;   /* tokens whose stem came from the cache */
	uint64_t misses; /* tokens stemmed by libstemmer */
	uint64_t clears; /* times the full cache was emptied */
} an_stats;

/* Turns the ASCII fast path and the memo of normalised characters off
 * (ON = 0) or back on, so a test can check them against plain utf8proc:
 * the results must agree byte for byte. */
void an_set_fast_paths(trawl_analyzer *a, int on);

/* Caps the stem cache at MAX_ENTRIES entries (0 turns it off); the cache
 * is emptied now.  A test shrinks it to watch it fill and clear. */
void an_set_cache_limit(trawl_analyzer *a, uint32_t max_entries);

/* During a token callback: two words kept with the stem cache's entry
 * for the token, for the caller to remember what it derived from the
 * stem (the builder keeps the term's id and the epoch of its in-memory
 * index, so a repeated word skips the term lookup).  Zero in a new entry;
 * NULL when the token's stem is not in the cache.  Valid until the
 * callback returns. */
uint32_t *an_token_memo(trawl_analyzer *a);

/* OUT: *st, the counters since the analyser was created. */
void an_get_stats(const trawl_analyzer *a, an_stats *st);

#endif
