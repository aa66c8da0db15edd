/*
 * test_threads.c -- one open trawl_index shared by 8 threads.  trawl.h
 * promises that an open index and a parsed query are read-only and may be
 * shared by any number of threads.  The group setup builds an index of
 * generated documents through the public API (in a mkdtemp directory),
 * opens it once and records, single-threaded, what ~50 queries of every
 * kind give: description, match ids, count, the top hits with their
 * scores and explanations, stored documents and snippets.  Each test then
 * runs 8 threads that repeat that work in their own shuffled orders and
 * must get exactly the same; the last test does one pass on a second,
 * freshly opened handle, so the threads also race on first reads.
 * Workers never call cmocka (its asserts longjmp and are not thread-safe):
 * they count mismatches and keep the first one's text, and the main thread
 * asserts after the join.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "trawl.h"

enum {
	NDOCS = 400,
	NTHREADS = 8,
	TOPN = 10,   /* hits asked for (before the options below change it) */
	NSNIP = 3,   /* hits whose stored text and snippet are compared */
	ROUNDS = 4   /* passes over all queries per thread */
};

/* Small vocabulary so that every operator has matches and non-matches. */
static const char *const vocab[] = {
	"oil",     "gas",    "prices", "price",     "crude",  "bank",
	"central", "rate",   "rates",  "cut",       "fell",   "rose",
	"market",  "opec",   "said",   "the",       "of",     "tren",
	"de",      "aragua", "direct", "directing", "Nicolás", "trump’s",
	"U.S.",    "Oil",    "Directed", "markets", "supply", "demand",
};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

/* Every kind of query; each is run with the options of its index mod 4
 * (see options). */
static const char *const queries[] = {
	/* terms */
	"oil", "gas", "prices", "the", "nicolas", "trump's", "u.s.",
	"absentword",
	/* AND */
	"oil gas", "oil AND prices", "bank rate cut", "central bank said",
	/* OR */
	"oil OR gas", "opec OR crude OR market", "absentword OR fell",
	/* NOT */
	"oil NOT gas", "oil -bank", "bank -rate -cut", "oil AND NOT gas",
	"-market supply",
	/* phrases */
	"\"crude oil\"", "\"central bank\"", "“tren de aragua”",
	"\"oil prices fell\"", "oil,gas", "\"the of the\"",
	/* NEAR */
	"oil NEAR gas", "oil NEAR/0 gas", "oil NEAR/3 bank",
	"\"tren de aragua\" NEAR direct", "(oil OR gas) NEAR/2 price",
	"oil NEAR/5 gas ADJ/2 price", "rate NEAR/99999 cut",
	/* ADJ */
	"oil ADJ price", "crude ADJ/0 oil", "bank ADJ/5 rate",
	"\"tren de aragua\" ADJ/10 (direct OR control*)",
	/* prefixes */
	"dir*", "pri*", "o*", "ra* -cut", "market* OR suppl*",
	/* fields */
	"title:oil", "title:(oil OR gas)", "body:\"crude oil\"",
	"title:bank NEAR/2 rate", "title:(body:oil)", "title:(oil gas) supply",
	/* mixed */
	"(oil OR gas) (price* -bank)", "(opec OR demand) NOT (fell OR rose)",
	"title:oil OR body:gas OR \"rate cut\"",
};
#define NQUERIES (sizeof queries / sizeof queries[0])

/* What a query gives; filled single-threaded in the group setup. */
typedef struct expect {
	trawl_query *q; /* parsed once, shared by every thread */
	char *describe;
	uint64_t count;    /* trawl_count */
	uint32_t *ids;     /* trawl_foreach_match, in document order */
	size_t nids;
	uint64_t total;    /* trawl_hits_total */
	size_t nhits;
	uint32_t docno[TOPN];
	double score[TOPN];
	char *explain[TOPN];
	char *doc_id[NSNIP], *doc_title[NSNIP], *doc_body[NSNIP];
	char *snip_title[NSNIP], *snip_passage[NSNIP];
} expect;

typedef struct fixture {
	char dir[64];
	char path[96];
	trawl_index *ix;
	expect ex[NQUERIES];
} fixture;

static fixture *F;

/* ---- helpers ----------------------------------------------------------- */

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: deterministic across platforms */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Query QI's search options, so that sorting by date, date filters,
 * offsets and explanations all run in the threads too. */
static void options(size_t qi, trawl_search_opts *o)
{
	trawl_search_opts_init(o);
	o->n = TOPN;
	switch (qi % 4) {
	case 1:
		o->sort = TRAWL_SORT_DATE;
		break;
	case 2:
		o->since = "2024-03-01";
		o->until = "2025-10-31";
		break;
	case 3:
		o->offset = 3;
		o->n = TOPN - 3;
		o->explain = 1;
		break;
	}
}

static char *dup_str(const char *s)
{
	char *p = strdup(s ? s : "");
	assert_non_null(p);
	return p;
}

/* Phrases planted now and then so that phrase queries match. */
static const char *const planted[] = {
	"tren de aragua", "crude oil", "central bank", "oil prices fell",
	"Tren de Aragua directed",
};
#define NPLANTED (sizeof planted / sizeof planted[0])

/* Writes N random vocabulary words (a planted phrase counting as one) to
 * B, of CAP bytes. */
static void words(uint64_t *seed, char *b, size_t cap, int n)
{
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		uint64_t r = next_rand(seed);
		const char *w = r % 32 == 0 ? planted[(r >> 8) % NPLANTED]
					    : vocab[(r >> 8) % NVOCAB];
		int k = snprintf(b + len, cap - len, "%s%s", i ? " " : "", w);
		assert_true(k > 0 && (size_t)k < cap - len);
		len += (size_t)k;
	}
}

static int collect_id(void *ctx, uint32_t docno)
{
	expect *e = ctx;
	uint32_t *p = realloc(e->ids, (e->nids + 1) * sizeof *p);
	if (!p)
		return -100;
	e->ids = p;
	e->ids[e->nids++] = docno;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* ---- group setup: build, open, record the single-threaded answers ------ */

static void build_index(fixture *f)
{
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.memory_budget = 64 * 1024; /* several segments, then a merge */
	trawl_builder *b = NULL;
	trawl_error err;
	int rc = trawl_builder_new(f->path, &o, &b, &err);
	assert_int_equal(rc, TRAWL_OK);
	uint64_t seed = 0x7472617766ULL;
	for (int i = 0; i < NDOCS; i++) {
		char id[32], title[256], body[4096], date[16];
		snprintf(id, sizeof id, "doc-%03d", i);
		words(&seed, title, sizeof title, 2 + (int)(next_rand(&seed) % 5));
		words(&seed, body, sizeof body, 10 + (int)(next_rand(&seed) % 80));
		int has_date = next_rand(&seed) % 5 != 0;
		snprintf(date, sizeof date, "%04d-%02d-%02d",
			 2023 + (int)(next_rand(&seed) % 4),
			 1 + (int)(next_rand(&seed) % 12),
			 1 + (int)(next_rand(&seed) % 28));
		trawl_doc d = {
			.id = id, .id_len = strlen(id),
			.title = title, .title_len = strlen(title),
			.body = body, .body_len = strlen(body),
			.date = has_date ? date : NULL,
			.date_len = has_date ? strlen(date) : 0,
			.source = "test_threads", .source_len = 12,
		};
		rc = trawl_builder_add(b, &d, &err);
		assert_true(rc == TRAWL_OK);
	}
	rc = trawl_builder_finish(b, &err);
	if (rc)
		fail_msg("finish: %s", err.message);
	trawl_builder_free(b);
}

static void record(fixture *f, size_t qi)
{
	expect *e = &f->ex[qi];
	trawl_error err;
	int rc = trawl_query_parse(f->ix, queries[qi], &e->q, &err);
	if (rc)
		fail_msg("parse '%s': %s", queries[qi], err.message);
	assert_int_equal(trawl_query_describe(e->q, &e->describe), TRAWL_OK);

	trawl_search_opts o;
	options(qi, &o);
	assert_int_equal(trawl_count(f->ix, e->q, &o, &e->count, &err), TRAWL_OK);
	assert_int_equal(trawl_foreach_match(f->ix, e->q, &o, collect_id, e,
					     &err), TRAWL_OK);
	assert_int_equal(e->count, e->nids);

	trawl_hits *h = NULL;
	assert_int_equal(trawl_search(f->ix, e->q, &o, &h, &err), TRAWL_OK);
	e->total = trawl_hits_total(h);
	e->nhits = trawl_hits_count(h);
	assert_int_equal(e->total, e->count);
	assert_true(e->nhits <= o.n);
	for (size_t i = 0; i < e->nhits; i++) {
		const trawl_hit *t = trawl_hits_get(h, i);
		e->docno[i] = t->docno;
		e->score[i] = t->score;
		if (o.explain)
			e->explain[i] = dup_str(t->explain);
	}
	trawl_hits_free(h);

	trawl_snippet_opts so;
	trawl_snippet_opts_init(&so);
	for (size_t i = 0; i < e->nhits && i < NSNIP; i++) {
		trawl_stored *d = NULL;
		assert_int_equal(trawl_doc_get(f->ix, e->docno[i], &d, &err),
				 TRAWL_OK);
		e->doc_id[i] = dup_str(d->id);
		e->doc_title[i] = dup_str(d->title);
		e->doc_body[i] = dup_str(d->body);
		assert_int_equal(trawl_snippet(f->ix, e->q, d, &so,
					       &e->snip_title[i],
					       &e->snip_passage[i], &err),
				 TRAWL_OK);
		trawl_stored_free(d);
	}
}

static int group_setup(void **state)
{
	(void)state;
	F = calloc(1, sizeof *F);
	assert_non_null(F);
	strcpy(F->dir, "/tmp/test_threads.XXXXXX");
	assert_non_null(mkdtemp(F->dir));
	snprintf(F->path, sizeof F->path, "%s/idx", F->dir);
	build_index(F);
	trawl_error err;
	if (trawl_index_open(F->path, &F->ix, &err))
		fail_msg("open: %s", err.message);
	size_t matched = 0;
	for (size_t qi = 0; qi < NQUERIES; qi++) {
		record(F, qi);
		matched += F->ex[qi].count > 0;
	}
	/* The fixture is only useful if most queries match something. */
	assert_true(matched >= NQUERIES * 3 / 4);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (!F)
		return 0;
	for (size_t qi = 0; qi < NQUERIES; qi++) {
		expect *e = &F->ex[qi];
		trawl_query_free(e->q);
		free(e->describe);
		free(e->ids);
		for (size_t i = 0; i < TOPN; i++)
			free(e->explain[i]);
		for (size_t i = 0; i < NSNIP; i++) {
			free(e->doc_id[i]);
			free(e->doc_title[i]);
			free(e->doc_body[i]);
			free(e->snip_title[i]);
			free(e->snip_passage[i]);
		}
	}
	trawl_index_close(F->ix);
	nftw(F->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(F);
	F = NULL;
	return 0;
}

/* ---- the workers ------------------------------------------------------- */

enum {
	W_PARSE = 1,    /* parse each query itself (the analyser pool) */
	W_SHARED = 2,   /* use the query parsed in the setup */
	W_SEARCH = 4,   /* count, foreach, search */
	W_STORED = 8    /* trawl_doc_get and trawl_snippet of the top hits */
};

typedef struct worker {
	pthread_t thread;
	pthread_barrier_t *start;
	trawl_index *ix;
	int rounds;
	unsigned id;
	int what;         /* W_* flags */
	size_t runs;      /* queries run */
	size_t nbad;      /* mismatches */
	char first[640];  /* the first mismatch */
} worker;

static void bad(worker *w, size_t qi, const char *fmt, ...)
{
	if (w->nbad++)
		return;
	int k = snprintf(w->first, sizeof w->first, "thread %u, query '%s': ",
			 w->id, queries[qi]);
	va_list ap;
	va_start(ap, fmt);
	if (k > 0 && (size_t)k < sizeof w->first)
		vsnprintf(w->first + k, sizeof w->first - (size_t)k, fmt, ap);
	va_end(ap);
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

typedef struct walk {
	const expect *e;
	size_t n;
	int differs;
} walk;

static int check_id(void *ctx, uint32_t docno)
{
	walk *k = ctx;
	if (k->n >= k->e->nids || k->e->ids[k->n] != docno)
		k->differs = 1;
	k->n++;
	return 0;
}

static void run_stored(worker *w, size_t qi, const trawl_query *q)
{
	const expect *e = &F->ex[qi];
	trawl_error err;
	trawl_snippet_opts so;
	trawl_snippet_opts_init(&so);
	for (size_t i = 0; i < e->nhits && i < NSNIP; i++) {
		trawl_stored *d = NULL;
		int rc = trawl_doc_get(w->ix, e->docno[i], &d, &err);
		if (rc) {
			bad(w, qi, "doc_get %u: %s", e->docno[i], err.message);
			continue;
		}
		if (d->docno != e->docno[i] || !streq(d->id, e->doc_id[i]) ||
		    !streq(d->title, e->doc_title[i]) ||
		    !streq(d->body, e->doc_body[i]))
			bad(w, qi, "doc_get %u: different document", e->docno[i]);
		char *t = NULL, *p = NULL;
		rc = trawl_snippet(w->ix, q, d, &so, &t, &p, &err);
		if (rc)
			bad(w, qi, "snippet of %u: %s", e->docno[i], err.message);
		else if (!streq(t, e->snip_title[i]) ||
			 !streq(p, e->snip_passage[i]))
			bad(w, qi, "snippet of %u: '%s' / '%s', want '%s' / '%s'",
			    e->docno[i], t, p, e->snip_title[i],
			    e->snip_passage[i]);
		free(t);
		free(p);
		trawl_stored_free(d);
	}
}

static void run_search(worker *w, size_t qi, const trawl_query *q)
{
	const expect *e = &F->ex[qi];
	trawl_error err;
	trawl_search_opts o;
	options(qi, &o);

	uint64_t count = 0;
	int rc = trawl_count(w->ix, q, &o, &count, &err);
	if (rc || count != e->count)
		bad(w, qi, "count %d/%llu, want %llu", rc,
		    (unsigned long long)count, (unsigned long long)e->count);

	walk k = { e, 0, 0 };
	rc = trawl_foreach_match(w->ix, q, &o, check_id, &k, &err);
	if (rc || k.differs || k.n != e->nids)
		bad(w, qi, "foreach: rc %d, %zu matches (want %zu)%s", rc, k.n,
		    e->nids, k.differs ? ", different ids" : "");

	trawl_hits *h = NULL;
	rc = trawl_search(w->ix, q, &o, &h, &err);
	if (rc) {
		bad(w, qi, "search: %s", err.message);
		return;
	}
	if (trawl_hits_total(h) != e->total || trawl_hits_count(h) != e->nhits)
		bad(w, qi, "search: total %llu, %zu hits; want %llu, %zu",
		    (unsigned long long)trawl_hits_total(h), trawl_hits_count(h),
		    (unsigned long long)e->total, e->nhits);
	for (size_t i = 0; i < trawl_hits_count(h) && i < e->nhits; i++) {
		const trawl_hit *t = trawl_hits_get(h, i);
		if (t->docno != e->docno[i] || t->score != e->score[i])
			bad(w, qi, "hit %zu: docno %u score %.17g, want %u %.17g",
			    i, t->docno, t->score, e->docno[i], e->score[i]);
		if (o.explain && !streq(t->explain, e->explain[i]))
			bad(w, qi, "hit %zu: different explanation", i);
	}
	trawl_hits_free(h);
}

static void run_query(worker *w, size_t qi)
{
	const expect *e = &F->ex[qi];
	trawl_query *own = NULL;
	const trawl_query *q = e->q;
	if (w->what & W_PARSE) {
		trawl_error err;
		if (trawl_query_parse(w->ix, queries[qi], &own, &err)) {
			bad(w, qi, "parse: %s", err.message);
			return;
		}
		char *d = NULL;
		if (trawl_query_describe(own, &d) || !streq(d, e->describe))
			bad(w, qi, "describe '%s', want '%s'", d, e->describe);
		free(d);
		/* Alternate: half the runs use the shared parsed query. */
		if (!(w->what & W_SHARED) || (w->runs + w->id) % 2)
			q = own;
	}
	if (w->what & W_SEARCH)
		run_search(w, qi, q);
	if (w->what & W_STORED)
		run_stored(w, qi, q);
	trawl_query_free(own);
	w->runs++;
}

static void *work(void *arg)
{
	worker *w = arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (w->id + 1);
	size_t order[NQUERIES];
	for (size_t i = 0; i < NQUERIES; i++)
		order[i] = i;
	pthread_barrier_wait(w->start);
	for (int r = 0; r < w->rounds; r++) {
		/* Fisher-Yates: a different order each round and thread. */
		for (size_t i = NQUERIES - 1; i > 0; i--) {
			size_t j = (size_t)(next_rand(&seed) % (i + 1));
			size_t t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (size_t i = 0; i < NQUERIES; i++)
			run_query(w, order[i]);
	}
	return NULL;
}

/* Runs NTHREADS workers doing WHAT on IX for ROUNDS passes, released
 * together by a barrier, and asserts that none saw a difference. */
static void run_threads(trawl_index *ix, int what, int rounds)
{
	worker w[NTHREADS];
	pthread_barrier_t start;
	assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].start = &start;
		w[i].id = i;
		w[i].what = what;
		w[i].ix = ix;
		w[i].rounds = rounds;
		assert_int_equal(pthread_create(&w[i].thread, NULL, work, &w[i]),
				 0);
	}
	size_t nbad = 0, runs = 0;
	const char *first = NULL;
	for (unsigned i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_join(w[i].thread, NULL), 0);
		nbad += w[i].nbad;
		runs += w[i].runs;
		if (w[i].nbad && !first)
			first = w[i].first;
	}
	pthread_barrier_destroy(&start);
	if (nbad)
		fail_msg("%zu mismatches; first: %s", nbad, first);
	assert_int_equal(runs, (size_t)NTHREADS * rounds * NQUERIES);
}

/* ---- tests ------------------------------------------------------------- */

static void test_shared_queries_search_identically_in_8_threads(void **state)
{
	(void)state;
	run_threads(F->ix, W_SHARED | W_SEARCH, ROUNDS);
}

static void test_parsing_in_8_threads_gives_identical_queries(void **state)
{
	(void)state;
	run_threads(F->ix, W_PARSE | W_SEARCH, ROUNDS);
}

static void test_doc_get_and_snippet_identical_in_8_threads(void **state)
{
	(void)state;
	run_threads(F->ix, W_SHARED | W_STORED, ROUNDS);
}

static void test_everything_at_once_in_8_threads(void **state)
{
	(void)state;
	run_threads(F->ix, W_PARSE | W_SHARED | W_SEARCH | W_STORED, ROUNDS);
}

/* The shared handle has had every chunk it reads verified by the setup;
 * a second handle, opened cold, makes the threads race on the first read
 * (and checksum) of each chunk and on filling the analyser pool.  Queries
 * are parsed on this handle, not shared across handles. */
static void test_first_reads_from_8_threads_on_a_fresh_handle(void **state)
{
	(void)state;
	trawl_index *cold = NULL;
	trawl_error err;
	if (trawl_index_open(F->path, &cold, &err))
		fail_msg("open: %s", err.message);
	run_threads(cold, W_PARSE | W_SEARCH | W_STORED, 1);
	trawl_index_close(cold);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_queries_search_identically_in_8_threads),
		cmocka_unit_test(test_parsing_in_8_threads_gives_identical_queries),
		cmocka_unit_test(test_doc_get_and_snippet_identical_in_8_threads),
		cmocka_unit_test(test_everything_at_once_in_8_threads),
		cmocka_unit_test(test_first_reads_from_8_threads_on_a_fresh_handle),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
