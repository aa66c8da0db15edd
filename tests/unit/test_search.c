/*
 * test_search.c -- a search split over threads (trawl_search_opts.threads)
 * gives exactly what one thread gives.  The fixture is an index of four
 * segments, written in four commits, with replaced and deleted documents
 * among them, so that slices fall inside segments, across their ends and
 * on dead documents.  The split threshold is lowered to 0, so every
 * search splits however small; each query runs with several options
 * (ranked, by date, date-filtered, offset with explanations, count only,
 * every hit) and every thread count is compared with one thread: the
 * total, the hits in order, their scores (bit for bit) and explanations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"
#include "testutil.h"
#include "trawl.h"

enum { COMMITS = 4, PER_COMMIT = 250, DOCS = COMMITS * PER_COMMIT };

static const char *const words[] = {
	"oil", "gas", "price", "prices", "crude", "bank", "central", "rate",
	"cut", "the", "of", "one", "market", "opec", "said", "tren", "de",
	"aragua", "direct", "supply",
};
#define NWORDS (sizeof words / sizeof words[0])

static const char *const queries[] = {
	"oil", "the", "absentword", "oil gas", "bank rate cut", "oil OR opec",
	"oil NOT gas", "-market supply", "\"crude oil\"", "\"one of the\"",
	"\"tren de aragua\" NEAR direct", "oil NEAR/3 price",
	"bank ADJ/2 rate", "pri*", "o*", "title:oil", "title:(oil gas) supply",
	"(oil OR gas) (price* -bank)",
};
#define NQUERIES (sizeof queries / sizeof queries[0])

typedef struct fixture {
	char dir[512];
	trawl_index *ix;
} fixture;

/* A text of N words; now and then a phrase the queries look for. */
static void text(rng *r, char *b, size_t cap, int n)
{
	static const char *const phrases[] = { "one of the", "crude oil",
					       "tren de aragua" };
	size_t len = 0;
	for (int i = 0; i < n; i++) {
		uint64_t x = rnd(r);
		const char *w = x % 16 == 0 ? phrases[(x >> 8) % 3]
					    : words[(x >> 8) % NWORDS];
		int k = snprintf(b + len, cap - len, "%s%s", i ? " " : "", w);
		assert_true(k > 0 && (size_t)k < cap - len);
		len += (size_t)k;
	}
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "%s/test_search-XXXXXX", tmp_base());
	assert_non_null(mkdtemp(f->dir));
	strcat(f->dir, "/ix");
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	trawl_writer *w;
	trawl_error err;
	assert_int_equal(trawl_writer_open(f->dir, &o, &w, &err), TRAWL_OK);
	rng r = { 0x5eedull };
	for (int c = 0; c < COMMITS; c++) {
		for (int i = 0; i < PER_COMMIT; i++) {
			char id[32], title[256], body[2048], date[16];
			/* a later commit replaces some earlier documents */
			int n = c * PER_COMMIT + i;
			if (c > 0 && i % 10 == 0)
				n = (int)(rnd(&r) % (uint64_t)(c * PER_COMMIT));
			snprintf(id, sizeof id, "d%04d", n);
			text(&r, title, sizeof title, 2 + (int)(rnd(&r) % 5));
			text(&r, body, sizeof body, 5 + (int)(rnd(&r) % 120));
			snprintf(date, sizeof date, "%04d-%02d-%02d",
				 2020 + (int)(rnd(&r) % 6), 1 + (int)(rnd(&r) % 12),
				 1 + (int)(rnd(&r) % 28));
			int dated = rnd(&r) % 4 != 0;
			trawl_doc d = { id, strlen(id), title, strlen(title),
					body, strlen(body), dated ? date : NULL,
					dated ? 10 : 0, NULL, 0 };
			assert_true(trawl_writer_add(w, &d, &err) >= 0);
		}
		for (int i = 0; i < 7; i++) { /* and deletes a few */
			char id[32];
			snprintf(id, sizeof id, "d%04d",
				 (int)(rnd(&r) % (uint64_t)((c + 1) * PER_COMMIT)));
			assert_true(trawl_writer_delete(w, id, strlen(id), &err) >= 0);
		}
		if (trawl_writer_commit(w, &err))
			fail_msg("commit: %s", err.message);
	}
	trawl_writer_close(w);
	if (trawl_index_open(f->dir, &f->ix, &err))
		fail_msg("open: %s", err.message);
	trawl_stats st;
	assert_int_equal(trawl_index_stats(f->ix, &st, &err), TRAWL_OK);
	assert_true(st.segments >= 3); /* slices must cross segments */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	int rc = tu_small_index_free(f->ix, f->dir);
	free(f);
	return rc;
}

/* Variant V of the options every query runs with. */
enum { VARIANTS = 6 };
static void options(int v, trawl_search_opts *o)
{
	trawl_search_opts_init(o);
	switch (v) {
	case 1:
		o->sort = TRAWL_SORT_DATE;
		break;
	case 2:
		o->since = "2022-01-01";
		o->until = "2024-06-30";
		break;
	case 3:
		o->offset = 4;
		o->n = 6;
		o->explain = 1;
		break;
	case 4:
		o->n = 0;
		break;
	case 5:
		o->n = DOCS; /* every hit, ranked */
		break;
	}
}

static void same_hits(const char *what, const trawl_hits *a,
		      const trawl_hits *b)
{
	if (trawl_hits_total(a) != trawl_hits_total(b))
		fail_msg("%s: %llu matches, %llu with one thread", what,
			 (unsigned long long)trawl_hits_total(b),
			 (unsigned long long)trawl_hits_total(a));
	assert_int_equal(trawl_hits_count(a), trawl_hits_count(b));
	for (size_t i = 0; i < trawl_hits_count(a); i++) {
		const trawl_hit *x = trawl_hits_get(a, i), *y = trawl_hits_get(b, i);
		if (x->docno != y->docno || memcmp(&x->score, &y->score,
						   sizeof x->score))
			fail_msg("%s: hit %zu is %u (%.17g), %u (%.17g) with one "
				 "thread", what, i, y->docno, y->score, x->docno,
				 x->score);
		if ((x->explain || y->explain) &&
		    (!x->explain || !y->explain || strcmp(x->explain, y->explain)))
			fail_msg("%s: hit %zu explained differently", what, i);
	}
}

static void test_split_search_equals_one_thread(void **state)
{
	fixture *f = *state;
	uint64_t saved = tr_search_split_work;
	tr_search_split_work = 0; /* split every search */
	static const int threads[] = { 0, 2, 3, 5, 16 };
	size_t matched = 0;
	for (size_t qi = 0; qi < NQUERIES; qi++) {
		trawl_query *q;
		trawl_error err;
		if (trawl_query_parse(f->ix, queries[qi], &q, &err))
			fail_msg("parse '%s': %s", queries[qi], err.message);
		for (int v = 0; v < VARIANTS; v++) {
			trawl_search_opts o;
			options(v, &o);
			trawl_hits *one;
			assert_int_equal(trawl_search(f->ix, q, &o, &one, &err), TRAWL_OK);
			matched += v == 0 && trawl_hits_total(one) > 0;
			for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
				char what[160];
				snprintf(what, sizeof what, "'%s', options %d, %d threads",
					 queries[qi], v, threads[t]);
				o.threads = threads[t];
				trawl_hits *h;
				if (trawl_search(f->ix, q, &o, &h, &err))
					fail_msg("%s: %s", what, err.message);
				same_hits(what, one, h);
				trawl_hits_free(h);
				uint64_t n;
				assert_int_equal(trawl_count(f->ix, q, &o, &n, &err), TRAWL_OK);
				assert_int_equal(n, trawl_hits_total(one));
			}
			trawl_hits_free(one);
		}
		trawl_query_free(q);
	}
	/* the comparison means something only if most queries match */
	assert_true(matched >= NQUERIES * 3 / 4);
	tr_search_split_work = saved;
}

static void test_negative_threads_is_an_error(void **state)
{
	fixture *f = *state;
	trawl_query *q;
	trawl_error err;
	assert_int_equal(trawl_query_parse(f->ix, "oil", &q, &err), TRAWL_OK);
	trawl_search_opts o;
	trawl_search_opts_init(&o);
	assert_int_equal(o.threads, 1); /* the library's default */
	o.threads = -1;
	trawl_hits *h = (trawl_hits *)&o;
	assert_int_equal(trawl_search(f->ix, q, &o, &h, &err), TRAWL_EINVAL);
	assert_null(h);
	assert_non_null(strstr(err.message, "threads"));
	trawl_query_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_search_equals_one_thread),
		cmocka_unit_test(test_negative_threads_is_an_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
