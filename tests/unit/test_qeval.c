/*
 * test_qeval.c -- NEAR/k and ADJ/k at their exact edges (SPEC 3: at most
 * k tokens between, never across title and body) on a small index built
 * through the public API.  Two words over both fields take a path of
 * their own (straight over the position arrays); a field restriction or
 * a phrase operand takes the general one, and both are checked here.
 * Then AND, phrases and NEAR over 3000 generated documents, whose counts
 * follow from how they were made: words over both fields find their
 * common documents a range of blocks at a time, fielded ones document by
 * document, and both must give those counts.  An AND or NEAR of words
 * over both fields is also scored in a loop of its own, which must give
 * the scores of the general walk bit for bit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "index.h"
#include "postings.h"
#include "qeval.h"
#include "search.h"
#include "testutil.h"
#include "trawl.h"

typedef tu_fixture fixture;

/* id, title, body: the distances between alpha and beta are the point */
static const char *const docs[][3] = {
	{ "adjacent", "", "alpha beta" },
	{ "one-between", "", "alpha x beta" },
	{ "two-between", "", "alpha x y beta" },
	{ "reversed", "", "beta alpha" },
	{ "reversed-two", "", "beta x y alpha" },
	{ "title-body", "alpha", "beta" },
	{ "title-body-2", "x alpha", "beta" },
	{ "twice", "", "alpha alpha" },
	{ "neither", "gamma", "gamma delta" },
	{ "far", "", "alpha a b c d e f g h i j k l m n o p q r s t beta" },
};

static int setup(void **state)
{
	return tu_fixture_setup(state, "trawl-qeval", docs, sizeof docs / sizeof docs[0]);
}

static int teardown(void **state)
{
	return tu_fixture_teardown(state);
}

/* The ids of QUERY's matches, in docno order, space-separated. */
static void matches(fixture *f, const char *query, char *out, size_t cap)
{
	trawl_error err;
	trawl_query *q;
	assert_int_equal(trawl_query_parse(f->ix, query, &q, &err), TRAWL_OK);
	trawl_search_opts o;
	trawl_search_opts_init(&o);
	o.n = 100;
	trawl_hits *h;
	assert_int_equal(trawl_search(f->ix, q, &o, &h, &err), TRAWL_OK);
	uint32_t docnos[100];
	size_t n = trawl_hits_count(h);
	assert_int_equal(n, trawl_hits_total(h));
	for (size_t i = 0; i < n; i++)
		docnos[i] = trawl_hits_get(h, i)->docno;
	/* docno order */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && docnos[j - 1] > docnos[j]; j--) {
			uint32_t t = docnos[j];
			docnos[j] = docnos[j - 1];
			docnos[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		assert_true(docnos[i] < sizeof docs / sizeof docs[0]);
		if (i)
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, docs[docnos[i]][0], cap - strlen(out) - 1);
	}
	trawl_hits_free(h);
	trawl_query_free(q);
}

static void expect(fixture *f, const char *query, const char *want)
{
	char got[1024];
	matches(f, query, got, sizeof got);
	if (strcmp(got, want) != 0)
		fail_msg("%s: got [%s], want [%s]", query, got, want);
}

static void test_near_counts_the_tokens_between(void **state)
{
	fixture *f = *state;
	expect(f, "alpha NEAR/0 beta", "adjacent reversed");
	expect(f, "alpha NEAR/1 beta", "adjacent one-between reversed");
	expect(f, "alpha NEAR/2 beta",
	       "adjacent one-between two-between reversed reversed-two");
	expect(f, "beta NEAR/1 alpha", "adjacent one-between reversed");
	expect(f, "alpha NEAR/19 beta",
	       "adjacent one-between two-between reversed reversed-two");
	expect(f, "alpha NEAR/20 beta",
	       "adjacent one-between two-between reversed reversed-two far");
}

static void test_adj_keeps_the_order(void **state)
{
	fixture *f = *state;
	expect(f, "alpha ADJ/0 beta", "adjacent");
	expect(f, "alpha ADJ/1 beta", "adjacent one-between");
	expect(f, "alpha ADJ/2 beta", "adjacent one-between two-between");
	expect(f, "beta ADJ/2 alpha", "reversed reversed-two");
	expect(f, "beta ADJ/0 alpha", "reversed");
}

static void test_never_across_title_and_body(void **state)
{
	fixture *f = *state;
	/* title-body and title-body-2 hold both words, in different fields */
	expect(f, "alpha NEAR/1000 beta",
	       "adjacent one-between two-between reversed reversed-two far");
	expect(f, "alpha ADJ/1000 beta",
	       "adjacent one-between two-between far");
	/* a distance past any field saturates at 2^32 - 1: every body
	 * position is then within reach of every title one, numerically */
	expect(f, "alpha NEAR/99999999999 beta",
	       "adjacent one-between two-between reversed reversed-two far");
	expect(f, "beta NEAR/99999999999 alpha",
	       "adjacent one-between two-between reversed reversed-two far");
	expect(f, "beta ADJ/99999999999 alpha", "reversed reversed-two");
	expect(f, "alpha beta",
	       "adjacent one-between two-between reversed reversed-two "
	       "title-body title-body-2 far");
}

/* A phrase of two words compares their positions all at once when each
 * is in the document at most eight times: a title's last word and the
 * body's first are still not adjacent. */
static void test_phrase_never_across_title_and_body(void **state)
{
	fixture *f = *state;
	expect(f, "\"alpha beta\"", "adjacent");
	expect(f, "\"beta alpha\"", "reversed");
	expect(f, "\"alpha alpha\"", "twice");
	expect(f, "\"x alpha\"", "title-body-2");
	expect(f, "\"alpha x beta\"", "one-between");
}

static void test_a_word_near_itself_needs_two_occurrences(void **state)
{
	fixture *f = *state;
	expect(f, "alpha NEAR/0 alpha", "twice");
	expect(f, "alpha ADJ/0 alpha", "twice");
}

/* The general path (a field restriction, a phrase operand) agrees with
 * the two-word one. */
static void test_general_path_agrees(void **state)
{
	fixture *f = *state;
	expect(f, "body:alpha NEAR/1 beta", "adjacent one-between reversed");
	expect(f, "\"alpha\" ADJ/2 body:beta", "adjacent one-between two-between");
	expect(f, "title:alpha NEAR/1000 beta", "");
	expect(f, "(alpha NEAR/0 beta) NEAR/0 alpha", "");
	expect(f, "(alpha ADJ/0 beta) OR (beta ADJ/0 alpha)", "adjacent reversed");
}

/* ---- documents common to several words, over many blocks ---- */

#define NDOCS 3000

/* Document i holds every, fir when i % 10 < 7 (runs of documents in
 * a row), apple when 2 divides i, birch when 3 does, cedar when 7 does,
 * delta when 5 does; cedar and delta stand side by side when 4 divides i
 * as well, else three words apart.  Every word then has postings over
 * many blocks of 128 documents, at different densities. */
static void count_doc(size_t i, char *body, size_t cap)
{
	snprintf(body, cap, "every %s%s%s%s%s%s", i % 10 < 7 ? "fir " : "",
		 i % 2 == 0 ? "apple " : "",
		 i % 3 == 0 ? "birch " : "", i % 7 == 0 ? "cedar " : "",
		 i % 7 == 0 && i % 5 == 0 && i % 4 != 0 ? "x y z " : "",
		 i % 5 == 0 ? "delta" : "x");
}

static uint64_t count_of(trawl_index *ix, const char *query)
{
	trawl_error err;
	trawl_query *q;
	assert_int_equal(trawl_query_parse(ix, query, &q, &err), TRAWL_OK);
	trawl_search_opts o;
	trawl_search_opts_init(&o);
	o.n = 10;
	trawl_hits *h;
	assert_int_equal(trawl_search(ix, q, &o, &h, &err), TRAWL_OK);
	uint64_t n = trawl_hits_total(h);
	trawl_hits_free(h);
	trawl_query_free(q);
	return n;
}

/* Documents i with i % m == 0 and, by WHICH, odd (1) or i % 10 < 7
 * (2, fir's). */
static uint64_t multiples(size_t m, int which)
{
	uint64_t n = 0;
	for (size_t i = 0; i < NDOCS; i += m)
		n += which == 0 || (which == 1 && i % 2 == 1) ||
		     (which == 2 && i % 10 < 7);
	return n;
}

/* The NDOCS documents of count_doc(), indexed in DIR. */
static trawl_index *common_index(char *dir, size_t cap)
{
	static char text[NDOCS][2][64];
	static const char *docs_n[NDOCS][3];
	for (size_t i = 0; i < NDOCS; i++) {
		snprintf(text[i][0], sizeof text[i][0], "d%zu", i);
		count_doc(i, text[i][1], sizeof text[i][1]);
		docs_n[i][0] = text[i][0];
		docs_n[i][1] = "";
		docs_n[i][2] = text[i][1];
	}
	return tu_small_index(dir, cap, "trawl-common", docs_n, NDOCS);
}

/* Words over both fields find their common documents a range of blocks
 * at a time; a field restriction takes the document-at-a-time path.
 * Both must give the counts the construction implies. */
static void test_common_documents_over_many_blocks(void **state)
{
	(void)state;
	char dir[512];
	trawl_index *ix = common_index(dir, sizeof dir);
	assert_non_null(ix);
	const struct {
		const char *fast, *general;
		uint64_t want;
	} cases[] = {
		{ "apple birch", "body:apple birch", multiples(6, 0) },
		{ "birch apple cedar", "birch body:apple cedar", multiples(42, 0) },
		{ "birch cedar delta", "birch cedar body:delta", multiples(105, 0) },
		{ "\"cedar delta\"", "body:\"cedar delta\"", multiples(140, 0) },
		{ "cedar ADJ/0 delta", "body:cedar ADJ/0 delta", multiples(140, 0) },
		{ "delta NEAR/2 cedar", "delta NEAR/2 body:cedar", multiples(140, 0) },
		{ "cedar NEAR/3 delta", "body:cedar NEAR/3 delta", multiples(35, 0) },
		{ "cedar delta NOT apple", "body:cedar delta NOT apple",
		  multiples(35, 1) },
		{ "apple apple", "apple body:apple", multiples(2, 0) },
		{ "every fir", "body:every fir", multiples(1, 2) },
		{ "fir every apple", "fir body:every apple", multiples(2, 2) },
		{ "\"every fir\"", "body:\"every fir\"", multiples(1, 2) },
		{ "fir NEAR/0 every", "body:fir NEAR/0 every", multiples(1, 2) },
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		uint64_t fast = count_of(ix, cases[k].fast);
		uint64_t general = count_of(ix, cases[k].general);
		if (fast != cases[k].want || general != cases[k].want)
			fail_msg("%s: %llu, %s: %llu, want %llu", cases[k].fast,
				 (unsigned long long)fast, cases[k].general,
				 (unsigned long long)general,
				 (unsigned long long)cases[k].want);
	}
	assert_int_equal(tu_small_index_free(ix, dir), 0);
}

/* An AND or a NEAR of words over both fields is scored in a loop of its
 * own; every match must get, bit for bit, the score of the general walk
 * over the tree (the one explanations take). */
static void test_words_score_as_the_tree_does(void **state)
{
	(void)state;
	char dir[512];
	trawl_index *ix = common_index(dir, sizeof dir);
	assert_non_null(ix);
	static const char *const queries[] = {
		"apple birch", "birch apple cedar", "every fir", "fir every apple",
		"cedar delta NOT apple", "cedar NEAR/3 delta", "cedar ADJ/3 delta",
	};
	for (size_t k = 0; k < sizeof queries / sizeof queries[0]; k++) {
		trawl_error err;
		trawl_query *q;
		assert_int_equal(trawl_query_parse(ix, queries[k], &q, &err), TRAWL_OK);
		const qnode *root = tr_query_root(q);
		qe_stats *st;
		assert_int_equal(qe_stats_new(ix, root, &st, &err), TRAWL_OK);
		qeval *e;
		assert_int_equal(qe_new(ix, &ix->segs[0], root, st, &e, &err), TRAWL_OK);
		size_t n = 0;
		double first = 0;
		int differ = 0;
		for (uint32_t d = qe_next(e, 0); d != DOC_END; d = qe_next(e, d + 1)) {
			docrec r;
			assert_int_equal(seg_docrec(&ix->segs[0], d, &r, &err), TRAWL_OK);
			buf b;
			buf_init(&b);
			double fast = qe_score(e, &r, NULL);
			double tree = qe_score(e, &r, &b);
			buf_free(&b);
			if (memcmp(&fast, &tree, sizeof fast) != 0)
				fail_msg("%s: document %u scored %.17g, the tree %.17g",
					 queries[k], d, fast, tree);
			if (n++ == 0)
				first = fast;
			differ |= fast != first;
		}
		assert_int_equal(qe_rc(e), TRAWL_OK);
		/* many matches, not all scored alike (lengths differ) */
		assert_true(n > 10);
		assert_true(differ);
		qe_free(e);
		qe_stats_free(st);
		trawl_query_free(q);
	}
	assert_int_equal(tu_small_index_free(ix, dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_near_counts_the_tokens_between),
		cmocka_unit_test(test_adj_keeps_the_order),
		cmocka_unit_test(test_never_across_title_and_body),
		cmocka_unit_test(test_phrase_never_across_title_and_body),
		cmocka_unit_test(test_a_word_near_itself_needs_two_occurrences),
		cmocka_unit_test(test_general_path_agrees),
		cmocka_unit_test(test_common_documents_over_many_blocks),
		cmocka_unit_test(test_words_score_as_the_tree_does),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
