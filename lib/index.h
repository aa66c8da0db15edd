/*
 * index.h -- the open index (struct trawl_index), shared by the modules
 * that read it: index.c (open, stats, check, stored documents), qeval.c,
 * search.c and snippet.c.
 */
#ifndef TRAWL_INDEX_H
#define TRAWL_INDEX_H

#include <pthread.h>
#include <stdint.h>

#include "cfile.h"
#include "dict.h"
#include "trawl.h"

struct trawl_index {
	char *dir;
	char language[32];
	cfile meta, terms, postings, positions, docs, store;
	dict dict;
	uint32_t ndocs;      /* docnos, replaced ones included */
	uint32_t live;
	uint64_t nterms, npostings, npositions, input_bytes;
	double avg_title, avg_body; /* mean field lengths in tokens */
	/* analysers for query parsing and snippets, one per concurrent
	 * caller (libstemmer objects are not thread-safe) */
	pthread_mutex_t lock;
	trawl_analyzer **pool;
	size_t npool, pool_cap;
};

/* A document's 16-byte record, decoded. */
typedef struct docrec {
	uint32_t title_len, body_len, date, block;
	int dead;
} docrec;

/* Reads DOCNO's record (bounds and checksum checked). */
int ix_docrec(trawl_index *ix, uint32_t docno, docrec *out, trawl_error *err);

/* Borrows an analyser from the pool (creating one if none is free). */
int ix_analyzer_get(trawl_index *ix, trawl_analyzer **out, trawl_error *err);
void ix_analyzer_put(trawl_index *ix, trawl_analyzer *a);

#endif
