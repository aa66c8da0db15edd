/*
 * dict.h -- the term dictionary: terms in byte order, front-coded in
 * blocks of DICT_BLOCK terms, with a block index for binary search, so
 * exact lookups and prefix ranges read a few blocks, never the whole file.
 *
 * Data layout of the "terms" file (a cfile):
 *   block*   u64 post_off | u64 pos_off        (first term's postings and
 *            entry{ varint prefix_len           positions offsets; later
 *                   varint suffix_len | suffix  terms follow contiguously)
 *                   varint df | varint post_len | varint pos_len }
 *   index    nblocks x u64 block offset
 *   tail     u64 index_off | u64 nblocks | u64 nterms
 * A block's first entry has prefix_len 0.
 */
#ifndef TRAWL_DICT_H
#define TRAWL_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "cfile.h"
#include "codec.h"

#define DICT_BLOCK 64
#define DICT_TERM_MAX 255

typedef struct dterm {
	char term[DICT_TERM_MAX + 1]; /* NUL-terminated */
	size_t len;
	uint32_t df;
	uint64_t post_off, post_len;
	uint64_t pos_off, pos_len;
} dterm;

/* ---- writing: terms must come in strictly increasing byte order ---- */

typedef struct dict_writer {
	cfw *w;
	buf index;       /* u64 block offsets */
	char prev[DICT_TERM_MAX + 1];
	size_t prev_len;
	uint64_t nterms;
	uint64_t post_off, pos_off; /* where the next term's data starts */
} dict_writer;

void dictw_init(dict_writer *d, cfw *w);
/* Adds a term whose postings (post_len bytes) and positions (pos_len)
 * follow the previous term's in their files. */
void dictw_add(int *rc, dict_writer *d, const char *term, size_t len,
	       uint32_t df, uint64_t post_len, uint64_t pos_len);
/* Writes the index and tail. */
void dictw_finish(int *rc, dict_writer *d);
void dictw_free(dict_writer *d);

/* ---- reading ---- */

typedef struct dict {
	cfile *f;
	uint64_t index_off, nblocks, nterms;
} dict;

int dict_open(dict *d, cfile *f, trawl_error *err);

/* Exact lookup.  Returns 1 and fills *out when found, 0 when not, or a
 * negative code (ECORRUPT names the file and offset). */
int dict_lookup(dict *d, const char *term, size_t len, dterm *out,
		trawl_error *err);

/* An ordered walk from the first term >= a key. */
typedef struct dict_iter {
	dict *d;
	uint64_t block;   /* current block */
	rd r;             /* reader inside the block */
	unsigned left;    /* entries left in the block */
	dterm cur;
} dict_iter;

/* Positions IT before the first term >= KEY (KEY may be empty). */
int dict_seek(dict *d, dict_iter *it, const char *key, size_t len,
	      trawl_error *err);
/* Returns 1 with the next term in *out, 0 at the end, or a negative code. */
int dict_next(dict_iter *it, dterm *out, trawl_error *err);

#endif
