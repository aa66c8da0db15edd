/*
 * trawl_bench.c -- trawl's side of the benchmark, through the public API
 * (include/trawl.h) in one process.
 *
 *   trawl_bench stats INDEX
 *       the index's figures as key=value lines, in exact bytes
 *       (trawl-index stats rounds them to 0.01 MB)
 *
 *   trawl_bench query INDEX -q QUERIES [-r REPS] [-w WARMUP] [-s SAMPLES]
 *                     [-t THREADS]
 *       times column 2 of QUERIES: each run parses the query, asks
 *       trawl_search for the top 10 by BM25 and reads the exact total
 *       (trawl_hits_total) -- the same work the Xapian and FTS5 harnesses
 *       do, on one thread unless -t allows more (trawl_search_opts.threads;
 *       0 = one per core).  Output: see benchutil.h.
 *
 * Indexing is timed on bin/trawl-index itself (bench/run.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl.h"
#include "benchutil.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: trawl_bench stats INDEX\n"
		"       trawl_bench query INDEX -q QUERIES [-r REPS] [-w WARMUP] [-s SAMPLES]\n"
		"                   [-t THREADS]\n");
	return 2;
}

static int search_threads = 1;

/* One complete query: parse, top 10, exact count. */
static int run_query(void *ctx, const char *text, unsigned long long *count)
{
	trawl_index *ix = (trawl_index *)ctx;
	trawl_error err;
	trawl_query *q;
	if (trawl_query_parse(ix, text, &q, &err) != TRAWL_OK) {
		fprintf(stderr, "trawl: %s: %s\n", text, err.message);
		return -1;
	}
	trawl_search_opts o;
	trawl_search_opts_init(&o);
	o.n = 10;
	o.threads = search_threads;
	trawl_hits *h;
	int rc = trawl_search(ix, q, &o, &h, &err);
	trawl_query_free(q);
	if (rc != TRAWL_OK) {
		fprintf(stderr, "trawl: %s: %s\n", text, err.message);
		return -1;
	}
	/* Touch the ranked hits as a caller would. */
	volatile uint32_t sink = 0;
	for (size_t i = 0; i < trawl_hits_count(h); i++)
		sink += trawl_hits_get(h, i)->docno;
	(void)sink;
	*count = trawl_hits_total(h);
	trawl_hits_free(h);
	return 0;
}

static int cmd_stats(trawl_index *ix)
{
	trawl_stats st;
	trawl_error err;
	if (trawl_index_stats(ix, &st, &err) != TRAWL_OK) {
		fprintf(stderr, "trawl_bench: %s\n", err.message);
		return 1;
	}
	printf("docs=%llu\nterms=%llu\npostings=%llu\npositions=%llu\n"
	       "input_bytes=%llu\nbytes_dict=%llu\nbytes_postings=%llu\n"
	       "bytes_positions=%llu\nbytes_docs=%llu\nbytes_store=%llu\n"
	       "bytes_total=%llu\n",
	       (unsigned long long)st.docs, (unsigned long long)st.terms,
	       (unsigned long long)st.postings,
	       (unsigned long long)st.positions,
	       (unsigned long long)st.input_bytes,
	       (unsigned long long)st.bytes_dict,
	       (unsigned long long)st.bytes_postings,
	       (unsigned long long)st.bytes_positions,
	       (unsigned long long)st.bytes_docs,
	       (unsigned long long)st.bytes_store,
	       (unsigned long long)st.bytes_total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	trawl_index *ix;
	trawl_error err;
	if (trawl_index_open(argv[2], &ix, &err) != TRAWL_OK) {
		fprintf(stderr, "trawl_bench: %s\n", err.message);
		return 1;
	}
	int rc;
	if (strcmp(argv[1], "stats") == 0 && argc == 3) {
		rc = cmd_stats(ix);
	} else if (strcmp(argv[1], "query") == 0) {
		bq_options o = { NULL, NULL, BQ_TRAWL, 20, 2 };
		/* -t is trawl's own; the rest are every harness's */
		int n = 3;
		for (int i = 3; i < argc; i++) {
			if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
				search_threads = atoi(argv[++i]);
			else
				argv[n++] = argv[i];
		}
		argc = n;
		rc = search_threads < 0 || bq_parse_args(argc, argv, 3, &o) ? usage()
			: bq_main_loop(&o, run_query, ix);
	} else {
		rc = usage();
	}
	trawl_index_close(ix);
	return rc;
}
