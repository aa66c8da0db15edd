/*
 * fuzz_query.c -- libFuzzer target for trawl_query_parse through the public
 * API, against a tiny index built once (on the first call) in a temporary
 * directory that is removed at exit.  Any bytes are parsed as a
 * NUL-terminated copy (a NUL ends the query).  A rejected query must come
 * with its code in err, a message and a column from 1 to one past the end;
 * an accepted one must describe itself, and parsing it again must give the
 * same description.  fuzz_qparse.c checks the tree's shapes from inside;
 * fuzz_search.c runs the queries.  Seeds: fuzz/corpus/fuzz_qparse/ and
 * fuzz/corpus/fuzz_search/ are plain query texts.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trawl.h"

static char tmpdir[256];
static trawl_index *ix;

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void cleanup(void)
{
	trawl_index_close(ix);
	ix = NULL;
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *what, const trawl_error *err)
{
	fprintf(stderr, "fuzz_query: %s: %s\n", what, err ? err->message : "");
	abort();
}

/* Builds and opens the tiny index, once. */
static void open_index(void)
{
	static const char *const docs[][3] = {
		{ "d1", "Oil prices rise", "Crude oil prices rose as OPEC cut output." },
		{ "d2", "Gas market", "Natural gas fell; the oil market was calm." },
		{ "d3", "Tren de Aragua", "The gang Tren de Aragua is not directed by Nicolás Maduro's government." },
		{ "d4", "Café", "Trump’s U.S. Straße, 18th-century café in Zürich." },
		{ "d5", "", "Central bank holds interest rates as inflation cools." },
	};
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/fuzz_query.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		die("mkdtemp", NULL);
	atexit(cleanup);
	char path[300];
	snprintf(path, sizeof path, "%s/idx", tmpdir);

	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.threads = 1;
	trawl_builder *b;
	trawl_error err;
	if (trawl_builder_new(path, &o, &b, &err))
		die("builder_new", &err);
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		trawl_doc d = {
			.id = docs[i][0], .id_len = strlen(docs[i][0]),
			.title = docs[i][1], .title_len = strlen(docs[i][1]),
			.body = docs[i][2], .body_len = strlen(docs[i][2]),
		};
		if (trawl_builder_add(b, &d, &err) < 0)
			die("builder_add", &err);
	}
	if (trawl_builder_finish(b, &err))
		die("builder_finish", &err);
	trawl_builder_free(b);
	if (trawl_index_open(path, &ix, &err))
		die("index_open", &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ix)
		open_index();
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	trawl_query *q = (trawl_query *)1; /* must be NULL after a failure */
	trawl_error err;
	memset(&err, 0x55, sizeof err);
	int rc = trawl_query_parse(ix, text, &q, &err);
	if (rc != TRAWL_OK) {
		if (q != NULL || err.code != rc)
			abort();
		if (rc != TRAWL_ESYNTAX && rc != TRAWL_ELIMIT &&
		    rc != TRAWL_ENOMEM)
			abort();
		if (!memchr(err.message, '\0', sizeof err.message) ||
		    err.message[0] == '\0')
			abort();
		if (err.column < 1 || (size_t)err.column > strlen(text) + 1)
			abort();
		free(text);
		return 0;
	}
	if (!q)
		abort();
	char *d1 = NULL;
	rc = trawl_query_describe(q, &d1);
	if (rc == TRAWL_OK) {
		if (!d1 || !d1[0])
			abort();
		/* Parsing is a function of the text: the same tree again. */
		trawl_query *q2 = NULL;
		char *d2 = NULL;
		if (trawl_query_parse(ix, text, &q2, &err) != TRAWL_OK || !q2)
			abort();
		if (trawl_query_describe(q2, &d2) == TRAWL_OK &&
		    strcmp(d1, d2) != 0)
			abort();
		free(d2);
		trawl_query_free(q2);
	} else if (rc != TRAWL_ENOMEM) {
		abort();
	}
	free(d1);
	trawl_query_free(q);
	free(text);
	return 0;
}
