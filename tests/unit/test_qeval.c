/*
 * test_qeval.c -- NEAR/k and ADJ/k at their exact edges (SPEC 3: at most
 * k tokens between, never across title and body) on a small index built
 * through the public API.  Two words over both fields take a path of
 * their own (straight over the position arrays); a field restriction or
 * a phrase operand takes the general one, and both are checked here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_near_counts_the_tokens_between),
		cmocka_unit_test(test_adj_keeps_the_order),
		cmocka_unit_test(test_never_across_title_and_body),
		cmocka_unit_test(test_a_word_near_itself_needs_two_occurrences),
		cmocka_unit_test(test_general_path_agrees),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
