/*
 * search.c -- the smallest useful program built on libtrawl: it opens an
 * index, runs one query and prints the ten best hits, one a line, as the
 * document id, a tab, then the title.
 *
 *   usage: search INDEX QUERY
 *
 * It uses nothing but the public header.  Once trawl is installed, build it
 * with pkg-config:
 *
 *   cc examples/search.c $(pkg-config --cflags --libs trawl) -o search
 *
 * Every library call returns TRAWL_OK (0) or a negative TRAWL_E* code and,
 * when given a trawl_error, fills it with a message that says what went wrong
 * and where.  This program prints that message to stderr and exits 1.
 */
#include <stdio.h>

#include <trawl.h>

/* Prints a failed call's message to stderr.  The message already says
 * where (the index directory, the file, the offset); when the library left
 * none, the generic text for the code stands in. */
static void fail(int rc, const trawl_error *err)
{
	const char *msg = err->message[0] ? err->message : trawl_errstr(rc);
	fprintf(stderr, "search: %s\n", msg);
}

/* Prints a rejected query under its message with a caret below the
 * mistake.  err->column counts characters (code points) from 1, so UTF-8
 * continuation bytes (10xxxxxx) do not move the caret. */
static void fail_query(const char *text, int rc, const trawl_error *err)
{
	fail(rc, err);
	if (err->column < 1)
		return;
	fprintf(stderr, "  %s\n  ", text);
	int col = 1;
	for (const char *p = text; *p && col < err->column; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		fputc(*p == '\t' ? '\t' : ' ', stderr);
		col++;
	}
	fprintf(stderr, "^ column %d\n", err->column);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: search INDEX QUERY\n");
		return 1;
	}
	const char *dir = argv[1], *text = argv[2];

	/* Each handle starts as NULL, so the clean-up at the end can free
	 * all of them whatever step failed (the _free and _close functions
	 * accept NULL). */
	trawl_index *ix = NULL;
	trawl_query *q = NULL;
	trawl_hits *hits = NULL;
	trawl_error err = { 0 };
	int status = 1;
	int rc;

	/* 1. Open the index.  Only headers and footers are read here;
	 *    postings are read when a query needs them.  An open index is
	 *    read-only and may be shared by any number of threads. */
	if ((rc = trawl_index_open(dir, &ix, &err)) != TRAWL_OK) {
		fail(rc, &err);
		goto done;
	}

	/* 2. Parse the query with the index's own analyser, so query words
	 *    are stemmed exactly as the documents were.  A query the
	 *    language rejects gives TRAWL_ESYNTAX and the 1-based column (in
	 *    characters) of the mistake. */
	if ((rc = trawl_query_parse(ix, text, &q, &err)) != TRAWL_OK) {
		fail_query(text, rc, &err);
		goto done;
	}

	/* 3. Search.  The options struct has documented defaults, set by
	 *    trawl_search_opts_init: the 10 best hits by BM25 score. */
	trawl_search_opts opts;
	trawl_search_opts_init(&opts);
	opts.n = 10;
	if ((rc = trawl_search(ix, q, &opts, &hits, &err)) != TRAWL_OK) {
		fail(rc, &err);
		goto done;
	}

	/* 4. Print each hit.  A hit carries only the internal document
	 *    number and its score; the stored document (id, title, body,
	 *    date, source) is read with trawl_doc_get and freed by us. */
	for (size_t i = 0; i < trawl_hits_count(hits); i++) {
		const trawl_hit *h = trawl_hits_get(hits, i);
		trawl_stored *d;
		if ((rc = trawl_doc_get(ix, h->docno, &d, &err)) != TRAWL_OK) {
			fail(rc, &err);
			goto done;
		}
		printf("%s\t%s\n", d->id, d->title);
		trawl_stored_free(d);
	}
	status = 0;

done:
	/* Free in the reverse order of creation.  The hits and the query
	 * must not outlive the index they came from. */
	trawl_hits_free(hits);
	trawl_query_free(q);
	trawl_index_close(ix);
	if (fflush(stdout) != 0) {
		perror("search: stdout");
		status = 1;
	}
	return status;
}
