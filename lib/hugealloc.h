/*
 * hugealloc.h -- tables probed at random, one access per token, on
 * transparent huge pages where the system allows: a 4 KiB page per
 * probe would also miss the TLB.
 */
#ifndef TRAWL_HUGEALLOC_H
#define TRAWL_HUGEALLOC_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define TR_HUGE_PAGE ((size_t)2 << 20)

/* A table of BYTES, cache-line aligned; from 2 MiB up mapped on its own,
 * aligned to and advised onto huge pages (the size rounded up to them).
 * On its own, not from malloc's heap: advice given to heap memory stays
 * on it after free(), and the kernel then backed later small allocations
 * there with whole huge pages (a build with --memory 16M peaked at 91 MB
 * instead of 55, depending on whether huge pages were at hand).  Freed
 * with tr_free_table() and the same BYTES; NULL when out of memory. */
static inline void *tr_map_aligned(size_t len, size_t align, int huge);

static inline void *tr_alloc_table(size_t bytes)
{
	if (bytes < TR_HUGE_PAGE)
		return aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	size_t len = (bytes + TR_HUGE_PAGE - 1) & ~(TR_HUGE_PAGE - 1);
	return tr_map_aligned(len, TR_HUGE_PAGE, 1);
}

/* LEN bytes (a multiple of ALIGN, a power of two) mapped on their own at
 * an ALIGN boundary, advised onto huge pages if HUGE; NULL on failure.
 * Freed with munmap(). */
static inline void *tr_map_aligned(size_t len, size_t align, int huge)
{
	uint8_t *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + align - 1) &
				 ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + len, (size_t)(p + align - a));
#ifdef MADV_HUGEPAGE
	if (huge)
		madvise(a, len, MADV_HUGEPAGE); /* advice: harmless if refused */
#else
	(void)huge;
#endif
	return a;
}

static inline void tr_free_table(void *p, size_t bytes)
{
	if (!p)
		return;
	if (bytes < TR_HUGE_PAGE)
		free(p);
	else
		munmap(p, (bytes + TR_HUGE_PAGE - 1) & ~(TR_HUGE_PAGE - 1));
}

#endif
