/*
 * keysort.c -- an LSD radix sort of keyed records (see keysort.h).
 */
#include <stdlib.h>
#include <string.h>

#include "keysort.h"

void keysort(keyed *a, keyed *tmp, size_t n)
{
	keyed *src = a, *dst = tmp;
	if (n < 2)
		return;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[(src[i].key >> shift) & 0xff]++;
		/* a byte the same in every key: nothing to do */
		if (count[(src[0].key >> shift) & 0xff] == n)
			continue;
		size_t at = 0;
		for (size_t b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].key >> shift) & 0xff]++] = src[i];
		keyed *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
}

void keysort_ties(keyed *a, keyed *tmp, size_t n,
		  int (*tie)(const void *, const void *, void *), void *ctx)
{
	keysort(a, tmp, n);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && a[j].key == a[i].key; j++)
			;
		if (j - i > 1)
			qsort_r(a + i, j - i, sizeof *a, tie, ctx);
	}
}
