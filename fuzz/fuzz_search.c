/*
 * fuzz_search.c -- libFuzzer target for the whole query path through the
 * public API: trawl_query_parse, trawl_search (n = 5, with explain; and
 * again split over 2-4 threads, which must give the same hits),
 * trawl_count, trawl_foreach_match, trawl_doc_get, trawl_snippet and
 * trawl_match_spans, against ~200 generated documents over a 23-word
 * vocabulary (so that most queries match), built once on the first call in
 * a temporary directory removed at exit.  Some documents replace earlier
 * ones with the same id, some have no date, an empty title or body, or an
 * over-long token.
 *
 * The input is a query text (a NUL-terminated copy).  Its length mod 3
 * picks the options: by score, by date, or by score within a date range.
 * Every call on a parsed query must succeed (or all refuse it with
 * ELIMIT), with count == the number of foreach matches (in increasing
 * docno order), hits == min(5, count), every hit among the matches, in
 * rank order, with a finite score and an explanation, and spans inside
 * their field.  Seeds: fuzz/corpus/fuzz_search/.
 */
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "search.h" /* tr_search_split_work: every search splits */
#include "trawl.h"

enum { NDOCS = 200, NHITS = 5, MAXDOCNO = 1024 };

static const char *const vocab[] = {
	"oil",   "aragua", "bank",     "said",    "of",       "gas",
	"directing", "fell", "u.s.",   "rate",    "prices",   "tren",
	"nicolas", "Nicolás", "trump’s", "price", "de",       "opec",
	"direct", "cut",   "rose",     "the",     "rates",
};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

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

static void die(const char *what, const char *query, const trawl_error *err)
{
	fprintf(stderr, "fuzz_search: %s%s%s: %s\n", what,
		query ? " on query " : "", query ? query : "",
		err ? err->message : "");
	abort();
}

static uint32_t next_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* N random words into B (CAP bytes); now and then a 70-letter token. */
static void words(uint32_t *seed, char *b, size_t cap, unsigned n)
{
	size_t len = 0;
	b[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		const char *w = vocab[next_rand(seed) % NVOCAB];
		char longw[71];
		if (next_rand(seed) % 97 == 0) {
			memset(longw, 'o', 70);
			longw[70] = '\0';
			w = longw;
		}
		int k = snprintf(b + len, cap - len, "%s%s", i ? " " : "", w);
		if (k < 0 || (size_t)k >= cap - len)
			break;
		len += (size_t)k;
	}
}

/* Builds and opens the index, once. */
static void open_index(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/fuzz_search.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir))
		die("mkdtemp", NULL, NULL);
	atexit(cleanup);
	char path[300];
	snprintf(path, sizeof path, "%s/idx", tmpdir);

	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.threads = 1;
	o.memory_budget = 32 * 1024; /* a few segments and a merge */
	trawl_builder *b;
	trawl_error err;
	if (trawl_builder_new(path, &o, &b, &err))
		die("builder_new", NULL, &err);
	uint32_t seed = 20240208;
	for (unsigned i = 0; i < NDOCS; i++) {
		char id[16], title[256], body[2048], date[16];
		/* every 10th document replaces an earlier one */
		unsigned n = i % 10 == 9 ? next_rand(&seed) % i : i;
		snprintf(id, sizeof id, "f%03u", n);
		words(&seed, title, sizeof title, next_rand(&seed) % 7);
		words(&seed, body, sizeof body, next_rand(&seed) % 60);
		snprintf(date, sizeof date, "%04u-%02u-%02u",
			 2023 + next_rand(&seed) % 4, 1 + next_rand(&seed) % 12,
			 1 + next_rand(&seed) % 28);
		int dated = i % 7 != 3;
		trawl_doc d = {
			.id = id, .id_len = strlen(id),
			.title = title, .title_len = strlen(title),
			.body = body, .body_len = strlen(body),
			.date = dated ? date : NULL, .date_len = dated ? 10 : 0,
		};
		if (trawl_builder_add(b, &d, &err) < 0)
			die("builder_add", NULL, &err);
	}
	if (trawl_builder_finish(b, &err))
		die("builder_finish", NULL, &err);
	trawl_builder_free(b);
	if (trawl_index_open(path, &ix, &err))
		die("index_open", NULL, &err);
}

typedef struct walk {
	uint64_t n;
	int64_t last;
	uint8_t seen[MAXDOCNO / 8];
} walk;

static int on_match(void *ctx, uint32_t docno)
{
	walk *w = ctx;
	if ((int64_t)docno <= w->last || docno >= MAXDOCNO)
		abort(); /* not in increasing docno order, or out of range */
	w->last = docno;
	w->seen[docno / 8] |= (uint8_t)(1u << (docno % 8));
	w->n++;
	return 0;
}

/* The hit's stored document, snippet and spans. */
static void check_hit(const trawl_query *q, const char *text, uint32_t docno)
{
	trawl_error err;
	trawl_stored *d = NULL;
	if (trawl_doc_get(ix, docno, &d, &err))
		die("doc_get", text, &err);
	if (d->docno != docno || !d->id || !d->title || !d->body)
		abort();

	trawl_snippet_opts so;
	trawl_snippet_opts_init(&so);
	so.words = 1 + docno % 40;
	char *title = NULL, *passage = NULL;
	if (trawl_snippet(ix, q, d, &so, &title, &passage, &err))
		die("snippet", text, &err);
	if (!title || !passage)
		abort();
	free(title);
	free(passage);

	trawl_match_span *spans = NULL;
	size_t n = 0;
	if (trawl_match_spans(ix, q, d, &spans, &n, &err))
		die("match_spans", text, &err);
	for (size_t i = 0; i < n; i++) {
		const trawl_match_span *s = &spans[i];
		size_t len = s->field == 0 ? d->title_len :
			     s->field == 1 ? d->body_len : 0;
		if ((s->field != 0 && s->field != 1) ||
		    s->byte_start >= s->byte_end || s->byte_end > len)
			abort();
		if (i && s->field < spans[i - 1].field)
			abort(); /* title spans come first */
	}
	free(spans);
	trawl_stored_free(d);
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

	trawl_error err;
	trawl_query *q = NULL;
	if (trawl_query_parse(ix, text, &q, &err) != TRAWL_OK) {
		free(text);
		return 0;
	}

	trawl_search_opts o;
	trawl_search_opts_init(&o);
	o.n = NHITS;
	o.explain = 1;
	if (size % 3 == 1)
		o.sort = TRAWL_SORT_DATE;
	else if (size % 3 == 2) {
		o.since = "2024-01-01";
		o.until = "2025-06-30";
	}

	uint64_t count = 0, all = 0;
	int rc = trawl_count(ix, q, &o, &count, &err);
	if (rc == TRAWL_ELIMIT) {
		/* A query over an evaluation limit (a phrase of more than 64
		 * words): every call must refuse it the same way. */
		trawl_hits *h = NULL;
		walk w = { .last = -1 };
		if (err.code != rc || !err.message[0] ||
		    trawl_foreach_match(ix, q, &o, on_match, &w, &err) != rc ||
		    trawl_search(ix, q, &o, &h, &err) != rc || h || w.n)
			abort();
		trawl_query_free(q);
		free(text);
		return 0;
	}
	if (rc)
		die("count", text, &err);
	if (trawl_count(ix, q, NULL, &all, &err))
		die("count without options", text, &err);
	if (count > all)
		abort();

	walk w = { .last = -1 };
	if (trawl_foreach_match(ix, q, &o, on_match, &w, &err))
		die("foreach_match", text, &err);
	if (w.n != count)
		abort();

	trawl_hits *h = NULL;
	if (trawl_search(ix, q, &o, &h, &err))
		die("search", text, &err);
	size_t nh = trawl_hits_count(h);
	/* the same search split over threads: the same hits and scores */
	tr_search_split_work = 0;
	trawl_search_opts o2 = o;
	o2.threads = 2 + (int)(size % 3);
	o2.explain = 0;
	trawl_hits *h2 = NULL;
	if (trawl_search(ix, q, &o2, &h2, &err))
		die("split search", text, &err);
	if (trawl_hits_total(h2) != trawl_hits_total(h) ||
	    trawl_hits_count(h2) != nh)
		abort();
	for (size_t i = 0; i < nh; i++)
		if (trawl_hits_get(h2, i)->docno != trawl_hits_get(h, i)->docno ||
		    trawl_hits_get(h2, i)->score != trawl_hits_get(h, i)->score)
			abort();
	trawl_hits_free(h2);
	if (trawl_hits_total(h) != count || nh > count || nh > NHITS ||
	    nh != (count < NHITS ? count : NHITS))
		abort();
	if (trawl_hits_get(h, nh) != NULL)
		abort();
	for (size_t i = 0; i < nh; i++) {
		const trawl_hit *t = trawl_hits_get(h, i);
		if (!t || t->docno >= MAXDOCNO ||
		    !(w.seen[t->docno / 8] & (1u << (t->docno % 8))))
			abort(); /* a hit that is not a match */
		if (!isfinite(t->score) || !t->explain || !t->explain[0])
			abort();
		if (i && o.sort == TRAWL_SORT_SCORE) {
			const trawl_hit *p = trawl_hits_get(h, i - 1);
			if (p->score < t->score ||
			    (p->score == t->score && p->docno > t->docno))
				abort(); /* not in rank order */
		}
		check_hit(q, text, t->docno);
	}
	trawl_hits_free(h);
	trawl_query_free(q);
	free(text);
	return 0;
}
