/*
 * index.h -- the open index (struct trawl_index), shared by the modules
 * that read it: index.c (open, stats, check, stored documents), qeval.c,
 * search.c, snippet.c and writer.c.
 *
 * An index is a manifest (manifest.h) naming segments; each segment is a
 * directory of the six files of segment.h plus "ids".  Documents are
 * numbered globally: segment i's local docno d is base_i + d, so results
 * from all segments merge in one document order.
 */
#ifndef TRAWL_INDEX_H
#define TRAWL_INDEX_H

#include <pthread.h>
#include <stdint.h>

#include "cfile.h"
#include "docstore.h"
#include "dict.h"
#include "segment.h"
#include "trawl.h"

typedef struct segment {
	char name[64];
	char *path;
	cfile meta, terms, postings, positions, docs, store, ids;
	int has_ids;
	dict dict;
	uint32_t ndocs;      /* local docnos, replaced ones included */
	uint32_t live;       /* after replacements and deletions */
	uint32_t base;       /* global docno of local docno 0 */
	uint64_t nterms, npostings, npositions, input_bytes; /* pairs too */
	int parts;           /* of postings and positions (meta) */
	uint8_t *del;        /* deletion bitmap of the committed manifest, or NULL */
	ds_dicts store_dicts; /* the store's dictionaries (docstore.h) */
	uint32_t ndel;
	/* the words whose adjacent occurrences are also indexed as pairs
	 * (memindex.h; "pairs" in meta), none in an index built before */
	char pair_words[SEG_PAIR_WORDS][SEG_PAIR_WORD_MAX + 1];
	size_t npair_words;
	uint64_t pair_terms, pair_postings, pair_positions; /* of the above */
	int pair_counts;     /* meta has those three */
} segment;

#define IX_NORM_TITLE 64
#define IX_NORM_BODY 4096
#define IX_STORES 8 /* store cursors kept for reuse */

struct trawl_index {
	char *dir;
	char language[32];
	uint64_t generation;
	segment *segs;
	size_t nsegs;
	uint32_t ndocs;      /* global docnos */
	uint32_t live;
	double avg_title, avg_body; /* mean field lengths of live documents */
	/* BM25's length normalisers for the field lengths most documents
	 * have, filled by the first query (qeval.c) */
	int norms_ready;
	double norm_title[IX_NORM_TITLE], norm_body[IX_NORM_BODY];
	/* analysers for query parsing and snippets, one per concurrent
	 * caller (libstemmer objects are not thread-safe) */
	pthread_mutex_t lock;
	trawl_analyzer **pool;
	size_t npool, pool_cap;
	/* store cursors, each keeping its last decompressed block, lent one
	 * per concurrent caller: fetching a block's documents one after the
	 * other (every match in document order) decompresses it once */
	ds_cursor *stores[IX_STORES];
	size_t nstores;
};

/* A document's 16-byte record, decoded. */
typedef struct docrec {
	uint32_t title_len, body_len, date, block;
	int dead;            /* replaced or deleted */
} docrec;

/* The segment holding global DOCNO, and its local number. */
segment *ix_segment(trawl_index *ix, uint32_t docno, uint32_t *local);

/* Reads a segment's record of LOCAL (bounds and checksum checked); dead
 * covers replacement and deletion. */
int seg_docrec(segment *s, uint32_t local, docrec *out, trawl_error *err);
int ix_docrec(trawl_index *ix, uint32_t docno, docrec *out, trawl_error *err);
/* A hint that LOCAL's record is wanted soon: a phrase or NEAR candidate
 * asks for it before its positions are checked, so that the record's
 * cache miss overlaps the check rather than following it. */
static inline __attribute__((always_inline)) void
seg_docrec_prefetch(const segment *s, uint32_t local)
{
	if (local < s->ndocs && s->docs.data)
		__builtin_prefetch(s->docs.data + (uint64_t)local * DOCREC_SIZE);
}

/* Documents containing TERM in all segments (for idf); -1 on error. */
int ix_df(trawl_index *ix, const char *term, uint64_t *df, trawl_error *err);
/* Sum of the dfs of every term starting with PREFIX, in all segments. */
int ix_prefix_df(trawl_index *ix, const char *prefix, uint64_t *df,
		 trawl_error *err);

/* Finds a live document by id.  Returns 1 with *docno (global), 0 when
 * there is none, or a negative code. */
int ix_find_id(trawl_index *ix, const char *id, size_t len, uint32_t *docno,
	       trawl_error *err);

/* Stored document LOCAL of segment SG, through a pooled store cursor. */
int ix_stored(trawl_index *ix, segment *sg, uint32_t block, uint32_t local,
	      trawl_stored **out, trawl_error *err);

/* Borrows an analyser from the pool (creating one if none is free). */
int ix_analyzer_get(trawl_index *ix, trawl_analyzer **out, trawl_error *err);
void ix_analyzer_put(trawl_index *ix, trawl_analyzer *a);

#endif
