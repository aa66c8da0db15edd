/*
 * merge.h -- k-way merge of sorted run files (memindex.h) into the final
 * terms, postings and positions files, dropping replaced documents.
 * Reads each run sequentially through a bounded buffer, so memory stays
 * small whatever the number of runs; the documents added since the last
 * spill are read from the memindex itself, never written as a run.
 */
#ifndef TRAWL_MERGE_H
#define TRAWL_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "cfile.h"
#include "memindex.h"

typedef struct merge_out {
	uint64_t terms, postings, positions; /* word pairs included */
	uint64_t pair_terms, pair_postings, pair_positions;
} merge_out;

/* Where the output splits into two parts: the terms from TERM on go to
 * the second part's postings and positions files (the dictionary's
 * offsets run on across the parts, so the bytes are those of one file
 * cut in two).  With THREADED a second thread merges them while the
 * first merges the terms before: each writes its own files, and nothing
 * is copied after.  TERM need not be a term (the builder's is a one- or
 * two-byte prefix); DIR holds the second thread's scratch dictionary
 * entries. */
typedef struct merge_split {
	const char *dir;
	const char *term;
	size_t term_len;   /* 0: no split, one part */
	int threaded;
	cfw *postings, *positions; /* the second part */
} merge_split;

/* A source of the final merge: a run file (PATH), or a memindex sorted by
 * mi_sort() (MEM), of a LANE (0, 1, ...).  A build deals its documents to
 * lanes: one lane's sources hold increasing docno ranges in the order
 * given, and the lanes' documents interleave. */
typedef struct merge_src {
	const char *path;
	const memindex *mem;
	unsigned lane;
} merge_src;

/* Merges the NSRCS sources into the three writers (POSTINGS and
 * POSITIONS: the first part), each term's postings in docno order.  DEAD
 * is a bitmap of docnos to drop (may be NULL), NDOCS its size in bits.
 * BUF_BYTES bounds the read buffer per run (and thread).  SPLIT (may be
 * NULL: one part) cuts the output in two, on a second thread when it
 * says so. */
int merge_runs(const merge_src *srcs, size_t nsrcs, const uint8_t *dead,
	       uint32_t ndocs, size_t buf_bytes, const merge_split *split,
	       cfw *terms, cfw *postings, cfw *positions, merge_out *out,
	       trawl_error *err);

/* Merges NRUNS runs of one lane into one run file OUT (same format,
 * documents kept, replaced ones included), so that a final merge never holds more than
 * MERGE_FANIN files open however many runs a build spilled. */
#define MERGE_FANIN 64
int merge_runs_to_run(char **runs, size_t nruns, const char *out,
		      size_t buf_bytes, trawl_error *err);

#endif
