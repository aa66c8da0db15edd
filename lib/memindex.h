/*
 * memindex.h -- the in-memory postings accumulator of a build.
 *
 * Use: (mi_intern()* per token, mi_add_doc())* per document; when
 * mi_bytes() passes the memory budget, mi_spill() writes a sorted run
 * file and empties the accumulator.  Runs are merged by merge.c.
 *
 * Run file (temporary, read back only by merge.c), terms in byte order:
 *   { varint len | term | varint df | varint nbytes | payload }*
 * payload per document: varint docno gap (from -1) | varint tf title |
 *   varint tf body | title position gaps | body position gaps
 */
#ifndef TRAWL_MEMINDEX_H
#define TRAWL_MEMINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"
#include "trawl.h"

typedef struct memindex memindex;

/* BUDGET: about the bytes the caller lets it grow to (sizes its pages). */
int mi_new(memindex **out, size_t budget);
void mi_free(memindex *m);

/* The id of TERM (len <= 255), adding it if new; UINT32_MAX on ENOMEM. */
uint32_t mi_intern(memindex *m, const char *term, size_t len);

/* Word pairs (segment.h, builder.c): the N (<= SEG_PAIR_WORDS) words
 * whose adjacent occurrences are also indexed as one term, at the first
 * word's position.
 * Called once, before any mi_intern(); the words take ids 0..N-1 in
 * every run.  WORDS must outlive M. */
int mi_set_pairs(memindex *m, const char *const *words, size_t n);

/* Adds document DOCNO (greater than any added before): N tokens, term
 * ids and positions (field bit POS_BODY set for the body), in token
 * order: title positions first, each field increasing; and its word
 * pairs. */
int mi_add_doc(memindex *m, uint32_t docno, const uint32_t *ids,
	       const uint32_t *pos, size_t n);

/* Bytes of memory held by the postings and the terms: what a spill gives
 * back.  Not the per-document scratch (token slots, a document's encoded
 * postings), which grows to the longest document and stays: counted
 * here, one long document made a small budget spill a run after every
 * document that followed. */
size_t mi_bytes(const memindex *m);
/* Documents added since the last spill. */
size_t mi_ndocs(const memindex *m);

/* Sorts the terms into byte order, for mi_term() and mi_payload() (no
 * mi_add_doc() after it but through mi_spill()). */
int mi_sort(memindex *m, trawl_error *err);
size_t mi_nterms(const memindex *m);
/* The I-th term in byte order: its bytes, documents and payload bytes
 * (the run file's payload, below). */
void mi_term(const memindex *m, size_t i, const char **str, size_t *len,
	     uint32_t *df, uint64_t *nbytes);
/* Adds each term's documents to WEIGHTS[MI_WEIGHT_KEY(term)]
 * (MI_WEIGHT_KEYS counters): the terms' first two bytes, so that the
 * counters of every run of a build add up to the same whatever way its
 * documents were dealt to runs. */
#define MI_WEIGHT_KEYS 65536u
#define MI_WEIGHT_KEY(s, len) \
	(((len) ? (uint32_t)(s)[0] << 8 : 0u) | ((len) > 1 ? (uint32_t)(s)[1] : 0u))
void mi_weigh(const memindex *m, uint64_t *weights);

/* Copies the I-th term's payload (NBYTES of mi_term()) to DST. */
void mi_payload(const memindex *m, size_t i, uint8_t *dst);

/* Sorts, writes the run to PATH and empties the accumulator. */
int mi_spill(memindex *m, const char *path, trawl_error *err);

#endif
