/*
 * hugealloc.h -- tables probed at random, one access per token, on
 * transparent huge pages where the system allows: a 4 KiB page per
 * probe would also miss the TLB.
 */
#ifndef TRAWL_HUGEALLOC_H
#define TRAWL_HUGEALLOC_H

#include <stdlib.h>
#include <sys/mman.h>

#define TR_HUGE_PAGE ((size_t)2 << 20)

/* malloc() for a table of BYTES: cache-line aligned, and from 2 MiB up
 * aligned to and advised onto huge pages (the size rounded up to them).
 * Freed with free(); NULL when out of memory. */
static inline void *tr_alloc_table(size_t bytes)
{
	if (bytes < TR_HUGE_PAGE)
		return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	bytes = (bytes + TR_HUGE_PAGE - 1) & ~(TR_HUGE_PAGE - 1);
	void *p = aligned_alloc(TR_HUGE_PAGE, bytes);
#ifdef MADV_HUGEPAGE
	if (p)
		madvise(p, bytes, MADV_HUGEPAGE); /* advice: failure is harmless */
#endif
	return p;
}

#endif
