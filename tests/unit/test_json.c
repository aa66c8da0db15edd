/*
 * test_json.c -- json_parse_doc and json_string: decoding of the document
 * keys, escapes and surrogates, skipping of ignored values, and the column
 * and description of every kind of malformed line (tables below).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Parses a NUL-terminated line; asserts the return code. */
static int parse(const char *line, trawl_doc *d, buf *sc, size_t *col,
		 const char **what)
{
	return json_parse_doc(line, strlen(line), d, sc, col, what);
}

static void assert_field(const char *got, size_t n, const char *want)
{
	if (!want) {
		assert_null(got);
		assert_int_equal(n, 0);
		return;
	}
	assert_non_null(got);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(got, want, n);
}

/* ---- accepted lines: (line, id, title, body, date, source) ------------ */

typedef struct ok_case {
	const char *line;
	const char *id, *title, *body, *date, *source;
} ok_case;

static const ok_case ok_cases[] = {
	{ "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"date\":\"2020-01-02\","
	  "\"source\":\"s\"}",
	  "a", "T", "B", "2020-01-02", "s" },
	/* order does not matter, white space anywhere between tokens */
	{ " \t{ \"body\" : \"B\" ,\r\"id\"\t:\"a\" } \t\r",
	  "a", NULL, "B", NULL, NULL },
	/* null and missing: NULL; empty date and source: none */
	{ "{\"id\":\"a\",\"title\":null,\"body\":null,\"date\":null,"
	  "\"source\":null}",
	  "a", NULL, NULL, NULL, NULL },
	{ "{\"id\":\"a\",\"date\":\"\",\"source\":\"\",\"title\":\"\"}",
	  "a", "", NULL, NULL, NULL },
	/* dates pass through unchecked (the builder validates them) */
	{ "{\"id\":\"a\",\"date\":\"yesterday\"}",
	  "a", NULL, NULL, "yesterday", NULL },
	/* the simple escapes */
	{ "{\"id\":\"a\",\"body\":\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t.\"}",
	  "a", NULL, "q\" b\\ s/ \b\f\n\r\t.", NULL, NULL },
	/* \u: 1, 2 and 3 byte UTF-8, upper and lower case hex */
	{ "{\"id\":\"\\u0041\\u00e9\\u00E9\\u20ac\"}",
	  "A\xc3\xa9\xc3\xa9\xe2\x82\xac", NULL, NULL, NULL, NULL },
	/* a surrogate pair is one 4-byte character */
	{ "{\"id\":\"x\\ud83d\\ude00y\"}",
	  "x\xf0\x9f\x98\x80y", NULL, NULL, NULL, NULL },
	{ "{\"id\":\"\\uDBFF\\uDFFF\"}",
	  "\xf4\x8f\xbf\xbf", NULL, NULL, NULL, NULL },
	/* lone surrogates become U+FFFD */
	{ "{\"id\":\"a\\ud800\"}", "a\xef\xbf\xbd", NULL, NULL, NULL, NULL },
	{ "{\"id\":\"a\\ud800b\"}", "a\xef\xbf\xbd" "b", NULL, NULL, NULL,
	  NULL },
	{ "{\"id\":\"a\\ud800\\u0041\"}", "a\xef\xbf\xbd" "A", NULL, NULL,
	  NULL, NULL },
	{ "{\"id\":\"a\\udc00\\ud800\"}", "a\xef\xbf\xbd\xef\xbf\xbd", NULL,
	  NULL, NULL, NULL },
	{ "{\"id\":\"\\ud800\\ud800\\udc00\"}",
	  "\xef\xbf\xbd\xf0\x90\x80\x80", NULL, NULL, NULL, NULL },
	/* raw bytes that are not UTF-8 are kept as they are */
	{ "{\"id\":\"a\",\"body\":\"\xff\xfe \xc3( \xed\xa0\x80\"}",
	  "a", NULL, "\xff\xfe \xc3( \xed\xa0\x80", NULL, NULL },
	/* valid raw UTF-8 too */
	{ "{\"id\":\"Nicol\xc3\xa1s\",\"title\":\"Trump\xe2\x80\x99s\"}",
	  "Nicol\xc3\xa1s", "Trump\xe2\x80\x99s", NULL, NULL, NULL },
	/* duplicate keys: the last one wins */
	{ "{\"id\":\"a\",\"title\":\"x\",\"id\":\"b\",\"title\":null}",
	  "b", NULL, NULL, NULL, NULL },
	{ "{\"id\":\"a\",\"body\":null,\"body\":\"z\"}",
	  "a", NULL, "z", NULL, NULL },
	/* a key written with escapes is the same key */
	{ "{\"\\u0069d\":\"a\",\"t\\u0069tle\":\"T\"}",
	  "a", "T", NULL, NULL, NULL },
	/* keys are case-sensitive: "ID" and "Title" are ignored */
	{ "{\"ID\":\"z\",\"id\":\"a\",\"Title\":\"z\"}",
	  "a", NULL, NULL, NULL, NULL },
	/* ignored keys with every kind of value */
	{ "{\"n\":-12.5e+3,\"z\":0,\"f\":1E-2,\"t\":true,\"fa\":false,"
	  "\"nu\":null,\"e\":[],\"o\":{},\"s\":\"x\\\"}\\u00e9\","
	  "\"deep\":{\"a\":[1,[2,{\"b\":[null,{}]}],\"c\"],\"d\":{\"e\":{}}},"
	  "\"id\":\"a\",\"arr\":[ 1 , \"]\" , { } ]}",
	  "a", NULL, NULL, NULL, NULL },
	/* \u0000 is a NUL byte inside the string */
	{ "{\"id\":\"a\",\"body\":\"x\\u0000y\"}", "a", NULL, "x", NULL,
	  NULL },
};

static void test_accepted_lines_decode_to_these_fields(void **state)
{
	(void)state;
	buf sc;
	buf_init(&sc);
	for (size_t i = 0; i < sizeof ok_cases / sizeof *ok_cases; i++) {
		const ok_case *c = &ok_cases[i];
		trawl_doc d;
		size_t col = 0;
		const char *what = NULL;
		int rc = parse(c->line, &d, &sc, &col, &what);
		if (rc != TRAWL_OK)
			fail_msg("case %zu: %s: rc %d at %zu: %s", i, c->line,
				 rc, col, what);
		assert_field(d.id, d.id_len, c->id);
		assert_field(d.title, d.title_len, c->title);
		/* the NUL case: compare the full decoded length */
		if (strstr(c->line, "\\u0000")) {
			assert_int_equal(d.body_len, 3);
			assert_memory_equal(d.body, "x\0y", 3);
		} else {
			assert_field(d.body, d.body_len, c->body);
		}
		assert_field(d.date, d.date_len, c->date);
		assert_field(d.source, d.source_len, c->source);
	}
	buf_free(&sc);
}

/* ---- rejected lines: (line, 1-based byte column, description) -------- */

typedef struct bad_case {
	const char *line;
	size_t col;
	const char *what;
} bad_case;

#define E_OBJ "expected ',' or '}' in object"
#define E_ARR "expected ',' or ']' in array"
#define E_KEY "expected a string key in object"
#define E_COLON "expected ':' after key"
#define E_VAL "expected a value"

static const bad_case bad_cases[] = {
	{ "", 1, "expected '{' at the start of a document" },
	{ "[1]", 1, "expected '{' at the start of a document" },
	{ "\"id\"", 1, "expected '{' at the start of a document" },
	{ "  x", 3, "expected '{' at the start of a document" },
	{ "{", 2, E_KEY },
	{ "{\"id\":\"a\"", 10, E_OBJ },
	{ "{\"id\":\"a\" \"t\":1}", 11, E_OBJ },
	{ "{\"id\":\"a\",}", 11, E_KEY },
	{ "{\"id\" \"a\"}", 7, E_COLON },
	{ "{id:\"a\"}", 2, E_KEY },
	{ "{'id':'a'}", 2, E_KEY },
	{ "{\"id\":\"a\"} x", 12, "unexpected data after the object" },
	{ "{\"id\":\"a\"}}", 11, "unexpected data after the object" },
	{ "{\"id\":\"a\"}{\"id\":\"b\"}", 11,
	  "unexpected data after the object" },
	{ "{}", 1, "missing \"id\"" },
	{ "{\"title\":\"t\"}", 1, "missing \"id\"" },
	{ "{\"id\":5}", 7, "\"id\" must be a string" },
	{ "{\"id\":null}", 7, "\"id\" must be a string" },
	{ "{\"id\":[\"a\"]}", 7, "\"id\" must be a string" },
	{ "{\"id\":\"\"}", 7, "\"id\" is empty" },
	{ "{\"id\":\"a\",\"title\":1}", 19,
	  "\"title\" must be a string or null" },
	{ "{\"id\":\"a\",\"title\":nul}", 19,
	  "\"title\" must be a string or null" },
	{ "{\"id\":\"a\",\"title\":nullx}", 23, E_OBJ },
	{ "{\"id\":\"a\",\"body\":[]}", 18, "\"body\" must be a string or null" },
	{ "{\"id\":\"a\",\"date\":20200101}", 18,
	  "\"date\" must be a string or null" },
	{ "{\"id\":\"a\",\"source\":{}}", 20,
	  "\"source\" must be a string or null" },
	{ "{\"id\":\"a\\q\"}", 9, "invalid escape in string" },
	{ "{\"id\":\"a\\u12\"}", 9,
	  "invalid \\u escape in string (needs 4 hex digits)" },
	{ "{\"id\":\"a\\u12g4\"}", 9,
	  "invalid \\u escape in string (needs 4 hex digits)" },
	{ "{\"id\":\"a\\ud800\\u12\"}", 15,
	  "invalid \\u escape in string (needs 4 hex digits)" },
	{ "{\"id\":\"a", 7, "unterminated string" },
	{ "{\"id\":\"a\\", 7, "unterminated string" },
	{ "{\"id\":\"a\\\"}", 7, "unterminated string" },
	{ "{\"id\":\"a\tb\"}", 9, "control character in string (must be "
				 "escaped)" },
	{ "{\"id\":\"a\",\"x\":01}", 16, E_OBJ },
	{ "{\"id\":\"a\",\"x\":-}", 16, "invalid number" },
	{ "{\"id\":\"a\",\"x\":+1}", 15, E_VAL },
	{ "{\"id\":\"a\",\"x\":.5}", 15, E_VAL },
	{ "{\"id\":\"a\",\"x\":1.}", 17,
	  "invalid number (digit expected after '.')" },
	{ "{\"id\":\"a\",\"x\":1e}", 17,
	  "invalid number (digit expected in exponent)" },
	{ "{\"id\":\"a\",\"x\":1e+}", 18,
	  "invalid number (digit expected in exponent)" },
	{ "{\"id\":\"a\",\"x\":tru}", 15, "invalid literal" },
	{ "{\"id\":\"a\",\"x\":NaN}", 15, E_VAL },
	{ "{\"id\":\"a\",\"x\":}", 15, E_VAL },
	{ "{\"id\":\"a\",\"x\":[1,]}", 18, E_VAL },
	{ "{\"id\":\"a\",\"x\":[1 2]}", 18, E_ARR },
	{ "{\"id\":\"a\",\"x\":[1}", 17, E_ARR },
	{ "{\"id\":\"a\",\"x\":{\"k\" 1}}", 20, E_COLON },
	{ "{\"id\":\"a\",\"x\":{1:2}}", 16, E_KEY },
	{ "{\"id\":\"a\",\"x\":{\"k\":1,}}", 22, E_KEY },
	{ "{\"id\":\"a\",\"x\":{\"k\":1]}", 21, E_OBJ },
	{ "{\"id\":\"a\",\"x\":[[[", 18, E_VAL },
	{ "{\"id\":\"a\",\"x\":\"\x01\"}", 16,
	  "control character in string (must be escaped)" },
	{ "{\"id\":\"a\",\"x\":\"\\z\"}", 16, "invalid escape in string" },
	{ "{\"id\":\"a\",\"x\":\"ab", 15, "unterminated string" },
	{ "{\"id\":\"a\",\"x\":[\"\\u00\"]}", 17,
	  "invalid \\u escape in string (needs 4 hex digits)" },
};

static void test_rejected_lines_report_column_and_what(void **state)
{
	(void)state;
	buf sc;
	buf_init(&sc);
	for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
		const bad_case *c = &bad_cases[i];
		trawl_doc d;
		size_t col = 0;
		const char *what = NULL;
		int rc = parse(c->line, &d, &sc, &col, &what);
		if (rc != TRAWL_EINPUT || col != c->col ||
		    !what || strcmp(what, c->what) != 0)
			fail_msg("case %zu: %s: rc %d col %zu (want %zu) "
				 "what '%s' (want '%s')",
				 i, c->line, rc, col, c->col,
				 what ? what : "(null)", c->what);
	}
	buf_free(&sc);
}

/* A line whose ignored value is DEPTH nested arrays. */
static char *nested(size_t depth)
{
	char *s = malloc(depth * 2 + 32);
	assert_non_null(s);
	size_t n = (size_t)sprintf(s, "{\"id\":\"a\",\"x\":");
	memset(s + n, '[', depth);
	n += depth;
	memset(s + n, ']', depth);
	n += depth;
	s[n++] = '}';
	s[n] = '\0';
	return s;
}

static void test_nesting_is_bounded_not_recursive(void **state)
{
	(void)state;
	buf sc;
	buf_init(&sc);
	trawl_doc d;
	size_t col;
	const char *what;
	char *s = nested(JSON_MAX_DEPTH);
	assert_int_equal(parse(s, &d, &sc, &col, &what), TRAWL_OK);
	free(s);
	s = nested(JSON_MAX_DEPTH + 1);
	assert_int_equal(parse(s, &d, &sc, &col, &what), TRAWL_EINPUT);
	assert_string_equal(what, "nesting too deep");
	assert_int_equal(col, 15 + JSON_MAX_DEPTH);
	free(s);
	/* deep objects, too */
	char *o = malloc(8 * 2000 + 64);
	assert_non_null(o);
	size_t n = (size_t)sprintf(o, "{\"id\":\"a\",\"x\":");
	for (int i = 0; i < 100; i++)
		n += (size_t)sprintf(o + n, "{\"k\":");
	n += (size_t)sprintf(o + n, "1");
	for (int i = 0; i < 100; i++)
		o[n++] = '}';
	o[n++] = '}';
	o[n] = '\0';
	assert_int_equal(parse(o, &d, &sc, &col, &what), TRAWL_OK);
	assert_memory_equal(d.id, "a", 1);
	free(o);
	buf_free(&sc);
}

/* Strings without escapes are not copied: they point into the line. */
static void test_plain_strings_point_into_the_line(void **state)
{
	(void)state;
	buf sc;
	buf_init(&sc);
	const char *line = "{\"id\":\"abc\",\"body\":\"x\\ny\"}";
	trawl_doc d;
	size_t col;
	const char *what;
	assert_int_equal(parse(line, &d, &sc, &col, &what), TRAWL_OK);
	assert_ptr_equal(d.id, line + 7);
	assert_true((const uint8_t *)d.body >= sc.p &&
		    (const uint8_t *)d.body < sc.p + sc.cap);
	assert_field(d.body, d.body_len, "x\ny");
	buf_free(&sc);
}

/* Long strings with many escapes: the scratch buffer is reserved once and
 * every earlier string stays valid. */
static void test_long_escaped_strings_all_stay_valid(void **state)
{
	(void)state;
	size_t n = 300000;
	char *line = malloc(3 * n + 100), *want = malloc(n + 1);
	assert_non_null(line);
	assert_non_null(want);
	size_t k = (size_t)sprintf(line, "{\"title\":\"t\\tt\",\"body\":\"");
	size_t w = 0;
	for (size_t i = 0; i < n / 2; i++) {
		memcpy(line + k, i % 7 ? "ab" : "\\n", 2);
		k += 2;
		if (i % 7) {
			want[w++] = 'a';
			want[w++] = 'b';
		} else {
			want[w++] = '\n';
		}
	}
	k += (size_t)sprintf(line + k, "\",\"id\":\"\\u00e9\"}");
	buf sc;
	buf_init(&sc);
	trawl_doc d;
	size_t col;
	const char *what;
	assert_int_equal(json_parse_doc(line, k, &d, &sc, &col, &what),
			 TRAWL_OK);
	assert_field(d.title, d.title_len, "t\tt");
	assert_int_equal(d.body_len, w);
	assert_memory_equal(d.body, want, w);
	assert_field(d.id, d.id_len, "\xc3\xa9");
	free(line);
	free(want);
	buf_free(&sc);
}

static void test_json_string_decodes_and_advances(void **state)
{
	(void)state;
	const char *s = "x \"a\\u00e9\" \"plain\" \"bad\\x\"";
	size_t len = strlen(s), pos = 2, n;
	const char *out, *what = NULL;
	buf sc;
	int rc = TRAWL_OK;
	buf_init(&sc);
	buf_reserve(&rc, &sc, len);
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(json_string(s, len, &pos, &sc, &out, &n, &what),
			 TRAWL_OK);
	assert_field(out, n, "a\xc3\xa9");
	assert_int_equal(pos, 11);
	pos = 12;
	assert_int_equal(json_string(s, len, &pos, &sc, &out, &n, &what),
			 TRAWL_OK);
	assert_ptr_equal(out, s + 13);
	assert_int_equal(n, 5);
	pos = 20;
	assert_int_equal(json_string(s, len, &pos, &sc, &out, &n, &what),
			 TRAWL_EINPUT);
	assert_string_equal(what, "invalid escape in string");
	assert_int_equal(pos, 24);
	pos = 0;
	assert_int_equal(json_string(s, len, &pos, &sc, &out, &n, &what),
			 TRAWL_EINPUT);
	assert_string_equal(what, "expected a string");
	buf_free(&sc);
}

/* Every prefix of a valid line is rejected, never read past its end
 * (run under ASan: the prefix is copied to an exact-size buffer). */
static void test_every_prefix_is_rejected_in_bounds(void **state)
{
	(void)state;
	const char *line =
		"{\"id\":\"a\\ud83d\\ude00\",\"x\":[1.5e-3,{\"k\":true},null,"
		"false,\"s\\\"\"],\"title\":\"t\",\"body\":null}";
	size_t len = strlen(line);
	buf sc;
	buf_init(&sc);
	for (size_t n = 0; n < len; n++) {
		char *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, line, n);
		trawl_doc d;
		size_t col = 0;
		const char *what = NULL;
		assert_int_equal(json_parse_doc(p, n, &d, &sc, &col, &what),
				 TRAWL_EINPUT);
		assert_true(col >= 1 && col <= n + 1);
		assert_non_null(what);
		free(p);
	}
	trawl_doc d;
	size_t col;
	const char *what;
	assert_int_equal(json_parse_doc(line, len, &d, &sc, &col, &what),
			 TRAWL_OK);
	buf_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_lines_decode_to_these_fields),
		cmocka_unit_test(test_rejected_lines_report_column_and_what),
		cmocka_unit_test(test_nesting_is_bounded_not_recursive),
		cmocka_unit_test(test_plain_strings_point_into_the_line),
		cmocka_unit_test(test_long_escaped_strings_all_stay_valid),
		cmocka_unit_test(test_json_string_decodes_and_advances),
		cmocka_unit_test(test_every_prefix_is_rejected_in_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
