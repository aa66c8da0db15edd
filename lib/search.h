/*
 * search.h -- what search.c shares inside the library and with its tests.
 */
#ifndef TRAWL_SEARCH_H
#define TRAWL_SEARCH_H

#include <stdint.h>

#include "qparse.h"

/* The qnode tree behind a query (snippet.c highlights its words). */
const qnode *tr_query_root(const trawl_query *q);

/* A search reading fewer postings than this (qe_work, scaled to the
 * whole index) stays on one thread whatever trawl_search_opts.threads
 * allows.  Tests lower it to split small collections. */
extern uint64_t tr_search_split_work;

#endif
