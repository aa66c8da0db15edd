/*
 * test_snippet.c -- highlighted titles, best passages and match spans
 * (lib/snippet.c) on a small index built through the public API.
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

#define BODY_LONG \
	"Opening words that say nothing about the subject at all and go on " \
	"for a while so that the passage must be chosen with care. " \
	"Filler filler filler filler filler filler filler filler filler filler. " \
	"The council was not Directing the gang, officials said, and nobody " \
	"directed its attacks; direction came from elsewhere. " \
	"Closing words about unrelated weather and sport follow here."

static const char *const docs[][3] = {
	{ "a", "Directors direct the show", BODY_LONG },
	{ "b", "Oil prices", "Crude oil prices rose while gas fell.\n\nSecond  paragraph\twith oil." },
};

static int setup(void **state)
{
	return tu_fixture_setup(state, "trawl-snippet", docs, sizeof docs / sizeof docs[0]);
}

static int teardown(void **state)
{
	return tu_fixture_teardown(state);
}

/* Snippet of document DOCID for QUERY with [ ] markers. */
static void snip(fixture *f, const char *query, uint32_t docno,
		 const trawl_snippet_opts *o, char **title, char **passage)
{
	trawl_error err;
	trawl_query *q;
	assert_int_equal(trawl_query_parse(f->ix, query, &q, &err), TRAWL_OK);
	trawl_stored *d;
	assert_int_equal(trawl_doc_get(f->ix, docno, &d, &err), TRAWL_OK);
	assert_int_equal(trawl_snippet(f->ix, q, d, o, title, passage, &err),
			 TRAWL_OK);
	trawl_stored_free(d);
	trawl_query_free(q);
}

static void test_every_surface_form_of_a_stem_lights_up(void **state)
{
	char *t, *p;
	snip(*state, "direct", 0, NULL, &t, &p);
	assert_non_null(strstr(p, "[Directing]"));
	assert_non_null(strstr(p, "[directed]"));
	assert_non_null(strstr(p, "[direction]"));
	assert_non_null(strstr(t, "[direct]"));
	/* "Directors" stems to "director": not a match */
	assert_null(strstr(t, "[Directors]"));
	free(t);
	free(p);
}

static void test_passage_is_the_window_with_the_matches(void **state)
{
	char *t, *p;
	snip(*state, "direct", 0, NULL, &t, &p);
	/* the opening words hold no match: the passage starts later, cut */
	assert_null(strstr(p, "Opening words"));
	assert_memory_equal(p, "\xe2\x80\xa6", 3);
	free(t);
	free(p);
}

static void test_not_members_are_not_highlighted(void **state)
{
	char *t, *p;
	snip(*state, "oil -gas", 1, NULL, &t, &p);
	assert_non_null(strstr(p, "[oil]"));
	assert_null(strstr(p, "[gas]"));
	free(t);
	free(p);
}

static void test_field_restriction_limits_highlighting(void **state)
{
	char *t, *p;
	snip(*state, "title:oil", 1, NULL, &t, &p);
	assert_string_equal(t, "[Oil] prices");
	assert_null(strstr(p, "[oil]"));
	free(t);
	free(p);
}

static void test_markers_are_configurable_and_whitespace_collapses(void **state)
{
	trawl_snippet_opts o;
	trawl_snippet_opts_init(&o);
	o.hl_open = "<b>";
	o.hl_close = "</b>";
	char *t, *p;
	snip(*state, "\"crude oil\"", 1, &o, &t, &p);
	assert_non_null(strstr(p, "<b>Crude</b> <b>oil</b>"));
	assert_null(strstr(p, "\n"));
	assert_null(strstr(p, "\t"));
	assert_null(strstr(p, "  "));
	free(t);
	free(p);
	o.hl_open = o.hl_close = NULL; /* none: plain text */
	snip(*state, "oil", 1, &o, &t, &p);
	assert_null(strchr(p, '['));
	assert_string_equal(t, "Oil prices");
	free(t);
	free(p);
}

static void test_match_spans_give_field_position_and_bytes(void **state)
{
	fixture *f = *state;
	trawl_error err;
	trawl_query *q;
	assert_int_equal(trawl_query_parse(f->ix, "oil", &q, &err), TRAWL_OK);
	trawl_stored *d;
	assert_int_equal(trawl_doc_get(f->ix, 1, &d, &err), TRAWL_OK);
	trawl_match_span *v;
	size_t n;
	assert_int_equal(trawl_match_spans(f->ix, q, d, &v, &n, &err), TRAWL_OK);
	assert_int_equal(n, 3); /* title "Oil", body "oil" twice */
	assert_int_equal(v[0].field, 0);
	assert_int_equal(v[0].position, 0);
	assert_memory_equal(d->title + v[0].byte_start, "Oil", 3);
	assert_int_equal(v[1].field, 1);
	assert_int_equal(v[1].position, 1);
	assert_memory_equal(d->body + v[1].byte_start, "oil", 3);
	assert_int_equal(v[2].field, 1);
	assert_memory_equal(d->body + v[2].byte_start, "oil", 3);
	free(v);
	trawl_stored_free(d);
	trawl_query_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_surface_form_of_a_stem_lights_up),
		cmocka_unit_test(test_passage_is_the_window_with_the_matches),
		cmocka_unit_test(test_not_members_are_not_highlighted),
		cmocka_unit_test(test_field_restriction_limits_highlighting),
		cmocka_unit_test(test_markers_are_configurable_and_whitespace_collapses),
		cmocka_unit_test(test_match_spans_give_field_position_and_bytes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
