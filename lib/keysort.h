/*
 * keysort.h -- sorting records by a 64-bit key, a byte at a time (an LSD
 * radix sort): the build's two sorts of ~10^5 records at its very end,
 * which nothing else overlaps (the last run's terms by their first eight
 * bytes, the ids by their hash), took 25-45 ms each with qsort.
 */
#ifndef TRAWL_KEYSORT_H
#define TRAWL_KEYSORT_H

#include <stddef.h>
#include <stdint.h>

typedef struct keyed {
	uint64_t key;
	uint32_t val;
} keyed;

/* Sorts A[0..N) by key, stably (records with equal keys keep their
 * order), through TMP, N more records. */
void keysort(keyed *a, keyed *tmp, size_t n);

/* keysort(), then each run of equal keys by TIE (qsort_r's comparator,
 * called with CTX): an order the key only decides mostly. */
void keysort_ties(keyed *a, keyed *tmp, size_t n,
		  int (*tie)(const void *, const void *, void *), void *ctx);

#endif
