/*
 * qeval.h -- a parsed query tree evaluated document-at-a-time over the
 * index's postings cursors.
 *
 * Each node is an iterator whose seek(target) lands on the first document
 * >= target that fully matches it, positions included; documents are
 * checked at document level first (skipping with the postings' skip data,
 * rarest operand leading), and positions are decoded only for documents
 * that pass.  Use: qe_new, (qe_next, qe_score?)*, qe_free.  One qeval
 * belongs to one thread; many may run over one index at once.
 */
#ifndef TRAWL_QEVAL_H
#define TRAWL_QEVAL_H

#include <stdint.h>

#include "buf.h"
#include "index.h"
#include "qparse.h"

typedef struct qeval qeval;

/* Index-wide document frequencies of a query's words and prefixes,
 * computed once per search (qe_stats_new) and shared by the evaluators of
 * every segment, so idf is the same everywhere and costs one dictionary
 * lookup per word and segment. */
typedef struct qe_stats qe_stats;
int qe_stats_new(trawl_index *ix, const qnode *root, qe_stats **out,
		 trawl_error *err);
void qe_stats_free(qe_stats *s);

/* Evaluates ROOT over segment SEG of IX (docnos are SEG's local ones;
 * idf and lengths come from the whole index). */
int qe_new(trawl_index *ix, segment *seg, const qnode *root,
	   const qe_stats *stats, qeval **out, trawl_error *err);
void qe_free(qeval *q);

/* About how much work the walk is, to judge whether a search is worth
 * splitting: its words' dfs, each weighted by what a posting costs where
 * the word is (scored, stepped over by an AND, positions read); in units
 * of ~12 ns here.  UINT64_MAX when qe_new() already did the work (a
 * large prefix, materialised), which a second evaluator would repeat. */
uint64_t qe_work(const qeval *q);

/* The first matching document >= target, or DOC_END (then check qe_rc). */
uint32_t qe_next(qeval *q, uint32_t target);

/* BM25 score of the current document (R is its record); with EXPLAIN,
 * appends how the score was made. */
double qe_score(qeval *q, const docrec *r, buf *explain);

/* TRAWL_OK, or the error that ended the walk (message in the err given
 * to qe_new). */
int qe_rc(const qeval *q);

/* The BM25 parameters, documented in the README and rank.c. */
#define BM25_K1 1.2
#define BM25_B_TITLE 0.5
#define BM25_B_BODY 0.75
#define BM25_W_TITLE 2.0
#define BM25_W_BODY 1.0
#define NEAR_BOOST 1.25

#endif
