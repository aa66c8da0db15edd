/*
 * test_qparse.c -- the query parser (lib/qparse.c) against SPEC section 3:
 * the shared conformance vectors ($TRAWL_SHARED/conformance/queries.jsonl,
 * skipped when absent), the table tests/cases/query.tsv (run from the repo
 * root, as tests/run.sh does), then the shapes, limits and robustness the
 * tables cannot show.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl.h"
#include "tlimits.h"
#include "qparse.h"

static trawl_analyzer *an; /* "english", shared by every test */

static int setup(void **state)
{
	(void)state;
	trawl_error err;
	return trawl_analyzer_new("english", &an, &err) == TRAWL_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	trawl_analyzer_free(an);
	an = NULL;
	return 0;
}

/* ---- Helpers ----------------------------------------------------------- */

/* Parses Q, which must be accepted; returns its description (free it). */
static char *describe_ok(const char *q)
{
	qnode *n = NULL;
	trawl_error err;
	int rc = qp_parse(an, q, &n, &err);
	if (rc != TRAWL_OK)
		fail_msg("rejected [%s]: %s", q, err.message);
	char *d = NULL;
	assert_int_equal(qp_describe(n, &d), TRAWL_OK);
	qp_free(n);
	return d;
}

static void expect_tree(const char *q, const char *want)
{
	char *d = describe_ok(q);
	if (strcmp(d, want) != 0)
		fail_msg("[%s]\n  got  %s\n  want %s", q, d, want);
	free(d);
}

/* Parses Q, which must fail with CODE at column COL. */
static void expect_error(const char *q, int code, int col)
{
	qnode *n = NULL;
	trawl_error err;
	int rc = qp_parse(an, q, &n, &err);
	if (rc == TRAWL_OK) {
		char *d = NULL;
		qp_describe(n, &d);
		qp_free(n);
		fail_msg("accepted [%.60s] as %s", q, d ? d : "?");
	}
	assert_null(n);
	if (rc != code || err.code != code || err.column != col)
		fail_msg("[%.60s]: got rc %d column %d (%s), "
			 "want rc %d column %d",
			 q, rc, err.column, err.message, code, col);
	assert_true(err.message[0] != '\0');
}

/* Whatever Q is, the parser accepts it with a describable tree or
 * rejects it with a message and a column inside the text (or just past
 * its end). */
static void expect_sane(const char *q)
{
	qnode *n = NULL;
	trawl_error err;
	int rc = qp_parse(an, q, &n, &err);
	if (rc == TRAWL_OK) {
		char *d = NULL;
		assert_int_equal(qp_describe(n, &d), TRAWL_OK);
		assert_true(d[0] == '(' || d[0] == 't' || d[0] == 'b');
		free(d);
		qp_free(n);
		return;
	}
	assert_true(rc == TRAWL_ESYNTAX || rc == TRAWL_ELIMIT);
	assert_null(n);
	assert_true(err.message[0] != '\0');
	assert_true(err.column >= 1);
	assert_true((size_t)err.column <= strlen(q) + 1);
}

/* Reads a whole line of any length from F.  OUT: *line (free it). */
static int read_line(FILE *f, char **line)
{
	size_t cap = 0;
	ssize_t n = getline(line, &cap, f);
	if (n < 0)
		return 0;
	while (n > 0 && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
		(*line)[--n] = '\0';
	return 1;
}

/* Appends code point C to OUT as UTF-8. */
static size_t put_utf8(char *out, unsigned long c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* The value of the 4 hex digits at P (fewer when the text ends). */
static unsigned long hex4(const char *p)
{
	char h[5] = { 0 };
	for (int i = 0; i < 4 && p[i]; i++)
		h[i] = p[i];
	return strtoul(h, NULL, 16);
}

/* The JSON string value of KEY in the one-object line L, decoded; NULL
 * when absent.  Enough JSON for the conformance files. */
static char *json_string(const char *l, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(l, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	if (*p != '"')
		return NULL;
	p++;
	char *out = malloc(strlen(p) + 1);
	assert_non_null(out);
	size_t o = 0;
	while (*p && *p != '"') {
		if (*p != '\\') {
			out[o++] = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'n': out[o++] = '\n'; p++; break;
		case 't': out[o++] = '\t'; p++; break;
		case 'r': out[o++] = '\r'; p++; break;
		case 'b': out[o++] = '\b'; p++; break;
		case 'f': out[o++] = '\f'; p++; break;
		case 'u': {
			unsigned long c = hex4(p + 1);
			p += 5;
			if (c >= 0xd800 && c < 0xdc00 && p[0] == '\\' &&
			    p[1] == 'u') {
				unsigned long lo = hex4(p + 2);
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			o += put_utf8(out + o, c);
			break;
		}
		default: out[o++] = *p++; break;
		}
	}
	out[o] = '\0';
	return out;
}

/* Undoes the TSV escapes \t \n \\ \xHH in place. */
static void unescape(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p;
			continue;
		}
		p++;
		if (*p == 't') {
			*o++ = '\t';
		} else if (*p == 'n') {
			*o++ = '\n';
		} else if (*p == 'x' && p[1] && p[2]) {
			char h[3] = { p[1], p[2], 0 };
			*o++ = (char)strtoul(h, NULL, 16);
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/* ---- The shared vectors and the table ---------------------------------- */

static void test_conformance_queries(void **state)
{
	(void)state;
	const char *dir = getenv("TRAWL_SHARED");
	char path[4096];
	snprintf(path, sizeof path, "%s/conformance/queries.jsonl",
		 dir ? dir : "");
	FILE *f = dir ? fopen(path, "r") : NULL;
	if (!f)
		skip();
	char *line = NULL;
	int lines = 0;
	while (read_line(f, &line)) {
		char *q = json_string(line, "query");
		if (!q)
			continue;
		lines++;
		if (strstr(line, "\"accepted\": true") ||
		    strstr(line, "\"accepted\":true")) {
			expect_sane(q);
			free(describe_ok(q));
		} else {
			const char *c = strstr(line, "\"column\":");
			assert_non_null(c);
			int col = atoi(c + strlen("\"column\":"));
			expect_error(q, TRAWL_ESYNTAX, col);
		}
		free(q);
		free(line);
		line = NULL;
	}
	free(line);
	fclose(f);
	assert_true(lines > 0);
	print_message("  %d conformance queries\n", lines);
}

static void test_case_table(void **state)
{
	(void)state;
	FILE *f = fopen("tests/cases/query.tsv", "r");
	if (!f)
		fail_msg("tests/cases/query.tsv not found "
			 "(run from the repo root)");
	char *line = NULL;
	int cases = 0;
	while (read_line(f, &line)) {
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || line[0] == '\0' || !tab) {
			assert_true(line[0] == '#' || line[0] == '\0');
			free(line);
			line = NULL;
			continue;
		}
		*tab = '\0';
		const char *want = tab + 1;
		unescape(line);
		cases++;
		if (strncmp(want, "!ESYNTAX ", 9) == 0)
			expect_error(line, TRAWL_ESYNTAX, atoi(want + 9));
		else if (strncmp(want, "!ELIMIT ", 8) == 0)
			expect_error(line, TRAWL_ELIMIT, atoi(want + 8));
		else
			expect_tree(line, want);
		free(line);
		line = NULL;
	}
	free(line);
	fclose(f);
	assert_true(cases > 200);
	print_message("  %d table cases\n", cases);
}

/* ---- Shapes ------------------------------------------------------------ */

static void test_negation_spellings_give_one_tree(void **state)
{
	(void)state;
	char *a = describe_ok("-gas oil");
	char *b = describe_ok("oil -gas");
	char *c = describe_ok("oil NOT gas");
	char *d = describe_ok("oil AND NOT gas");
	char *e = describe_ok("oil AND -gas");
	assert_string_equal(a, b);
	assert_string_equal(b, c);
	assert_string_equal(c, d);
	assert_string_equal(d, e);
	assert_string_equal(a, "(AND (TERM oil) (NOT (TERM gas)))");
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
}

static void test_tree_fields_flags_and_columns(void **state)
{
	(void)state;
	qnode *n;
	trawl_error err;

	assert_int_equal(qp_parse(an, "title:(body:x)", &n, &err), TRAWL_OK);
	assert_int_equal(n->kind, QN_TERM);
	assert_int_equal(n->fields, 0);
	qp_free(n);

	assert_int_equal(qp_parse(an, "title:a body:b c", &n, &err), TRAWL_OK);
	assert_int_equal(n->kind, QN_AND);
	assert_int_equal(n->nkids, 3);
	assert_int_equal(n->kids[0]->fields, TR_FIELD_TITLE);
	assert_int_equal(n->kids[1]->fields, TR_FIELD_BODY);
	assert_int_equal(n->kids[2]->fields, TR_FIELD_ANY);
	assert_int_equal(n->kids[0]->column, 1);
	assert_int_equal(n->kids[1]->column, 9);
	qp_free(n);

	/* Negated members come after the positive ones, columns at the `-`
	 * or NOT. */
	assert_int_equal(qp_parse(an, "-gas oil NOT coal", &n, &err), TRAWL_OK);
	assert_int_equal(n->kind, QN_AND);
	assert_int_equal(n->nkids, 3);
	assert_false(n->kids[0]->negated);
	assert_true(n->kids[1]->negated);
	assert_true(n->kids[2]->negated);
	assert_int_equal(n->kids[0]->column, 6);
	assert_int_equal(n->kids[1]->column, 1);
	assert_int_equal(n->kids[2]->column, 10);
	assert_string_equal(n->kids[1]->terms[0], "gas");
	qp_free(n);

	assert_int_equal(qp_parse(an, "oil NEAR/7 gas ADJ price", &n, &err),
			 TRAWL_OK);
	assert_int_equal(n->kind, QN_ADJ);
	assert_int_equal(n->k, 10);
	assert_int_equal(n->nkids, 2);
	assert_int_equal(n->kids[0]->kind, QN_NEAR);
	assert_int_equal(n->kids[0]->k, 7);
	assert_int_equal(n->kids[1]->column, 20);
	qp_free(n);

	assert_int_equal(qp_parse(an, "a NEAR/123456789012 b", &n, &err),
			 TRAWL_OK);
	assert_int_equal(n->k, UINT32_MAX);
	qp_free(n);

	assert_int_equal(qp_parse(an, "\"Tren de Aragua\"", &n, &err),
			 TRAWL_OK);
	assert_int_equal(n->kind, QN_PHRASE);
	assert_int_equal(n->nterms, 3);
	assert_string_equal(n->terms[2], "aragua");
	qp_free(n);
}

static void test_prefix_keeps_the_unstemmed_token(void **state)
{
	(void)state;
	qnode *n;
	trawl_error err;
	assert_int_equal(qp_parse(an, "Directing*", &n, &err), TRAWL_OK);
	assert_int_equal(n->kind, QN_PREFIX);
	assert_int_equal(n->nterms, 1);
	assert_string_equal(n->terms[0], "directing");
	qp_free(n);
	assert_int_equal(qp_parse(an, "body:Nicolás*", &n, &err), TRAWL_OK);
	assert_string_equal(n->terms[0], "nicolas");
	assert_int_equal(n->fields, TR_FIELD_BODY);
	qp_free(n);
}

static void test_token_over_64_bytes_has_no_term(void **state)
{
	(void)state;
	char q[200];
	memset(q, 'x', 65);
	q[65] = '\0';
	qnode *n;
	trawl_error err;
	assert_int_equal(qp_parse(an, q, &n, &err), TRAWL_OK);
	assert_int_equal(n->kind, QN_TERM);
	assert_int_equal(n->nterms, 1);
	assert_null(n->terms[0]);
	qp_free(n);
	/* 64 bytes is still a term. */
	q[64] = '\0';
	assert_int_equal(qp_parse(an, q, &n, &err), TRAWL_OK);
	assert_non_null(n->terms[0]);
	qp_free(n);
}

static void test_language_none_keeps_words(void **state)
{
	(void)state;
	trawl_analyzer *none;
	trawl_error err;
	qnode *n;
	assert_int_equal(trawl_analyzer_new("none", &none, &err), TRAWL_OK);
	assert_int_equal(qp_parse(none, "directing prices", &n, &err),
			 TRAWL_OK);
	char *d = NULL;
	assert_int_equal(qp_describe(n, &d), TRAWL_OK);
	assert_string_equal(d, "(AND (TERM directing) (TERM prices))");
	free(d);
	qp_free(n);
	trawl_analyzer_free(none);
}

/* ---- Limits ------------------------------------------------------------ */

/* A query of N copies of UNIT between HEAD and TAIL.  OUT: free it. */
static char *repeat(const char *head, const char *unit, size_t n,
		    const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *q = malloc(hl + ul * n + tl + 1);
	assert_non_null(q);
	memcpy(q, head, hl);
	for (size_t i = 0; i < n; i++)
		memcpy(q + hl + i * ul, unit, ul);
	memcpy(q + hl + ul * n, tail, tl + 1);
	return q;
}

static void test_bracket_depth_limit(void **state)
{
	(void)state;
	char *open = repeat("", "(", TR_MAX_QUERY_DEPTH, "");
	char *close = repeat("", ")", TR_MAX_QUERY_DEPTH, "");
	size_t n = strlen(open);
	char *q = malloc(2 * n + 8);
	assert_non_null(q);
	snprintf(q, 2 * n + 8, "%sx%s", open, close);
	expect_tree(q, "(TERM x)");
	snprintf(q, 2 * n + 8, "(%sx%s)", open, close);
	expect_error(q, TRAWL_ELIMIT, TR_MAX_QUERY_DEPTH + 1);
	free(q);
	free(open);
	free(close);
	/* Far past the limit: rejected without deep recursion. */
	q = repeat("", "(", 100000, "");
	expect_error(q, TRAWL_ELIMIT, TR_MAX_QUERY_DEPTH + 1);
	free(q);
	q = repeat("a ", "-(", 100000, "");
	expect_error(q, TRAWL_ELIMIT, 4 + 2 * TR_MAX_QUERY_DEPTH);
	free(q);
}

static void test_operator_nesting_limit(void **state)
{
	(void)state;
	/* A left-to-right chain nests one NEAR per operator. */
	char *q = repeat("a", " NEAR a", TR_MAX_QUERY_DEPTH, "");
	free(describe_ok(q));
	free(q);
	q = repeat("a", " NEAR a", TR_MAX_QUERY_DEPTH + 1, "");
	expect_error(q, TRAWL_ELIMIT, 3 + 7 * TR_MAX_QUERY_DEPTH);
	free(q);
	/* An AND over the longest chain is one level too many. */
	q = repeat("x (a", " NEAR a", TR_MAX_QUERY_DEPTH, ")");
	expect_error(q, TRAWL_ELIMIT, 1);
	free(q);
	q = repeat("x OR (a", " NEAR a", TR_MAX_QUERY_DEPTH, ")");
	expect_error(q, TRAWL_ELIMIT, 1);
	free(q);
	q = repeat("x (a", " NEAR a", TR_MAX_QUERY_DEPTH - 1, ")");
	free(describe_ok(q));
	free(q);
}

static void test_leaf_limit(void **state)
{
	(void)state;
	char *q = repeat("", "w ", TR_MAX_QUERY_LEAVES, "");
	free(describe_ok(q));
	free(q);
	q = repeat("", "w ", TR_MAX_QUERY_LEAVES + 1, "");
	expect_error(q, TRAWL_ELIMIT, 2 * TR_MAX_QUERY_LEAVES + 1);
	free(q);
	/* Empty words are no leaves. */
	q = repeat("w ", "& ", TR_MAX_QUERY_LEAVES + 10, "");
	expect_tree(q, "(TERM w)");
	free(q);
}

static void test_query_length_limit(void **state)
{
	(void)state;
	char *q = repeat("", "a", TR_MAX_QUERY_BYTES + 1, "");
	expect_error(q, TRAWL_ELIMIT, TR_MAX_QUERY_BYTES + 1);
	free(q);
	/* A word of the largest size is one (over-long) token. */
	q = repeat("", "a", TR_MAX_QUERY_BYTES, "");
	expect_tree(q, "(TERM <long>)");
	free(q);
}

/* Long runs of `title:`, `-`, quotes or operators take linear time. */
static void test_long_runs_stay_linear(void **state)
{
	(void)state;
	char *q = repeat("", "title:", 150000, "x");
	expect_tree(q, "title:(TERM x)");
	free(q);
	q = repeat("x ", "title:body:", 80000, "x");
	expect_tree(q, "(AND (TERM x) (NONE))");
	free(q);
	q = repeat("", "-", 500000, "x");
	expect_error(q, TRAWL_ESYNTAX, 1);
	free(q);
	q = repeat("x ", "\"\" ", 300000, "");
	expect_tree(q, "(TERM x)");
	free(q);
	q = repeat("x", " OR x", 3000, "");
	expect_sane(q);
	free(q);
	q = repeat("\"", "ab ", 300000, "\"");
	expect_sane(q);
	free(q);
}

/* ---- Robustness and arguments ------------------------------------------ */

static const char *const tricky[] = {
	"(\"tren de aragua\" OR tda) NEAR/10 (direct OR control*)",
	"title:(maduro venezuelan) \"alien enemies act\"",
	"“tren de aragua” -title:(body:x OR y*) ADJ/05 z",
	"a NOT (b -c) OR -(d NEAR/3 e) f",
	"Nicolás\xe3\x80\x80\xff\xfe(U.S* OR &*) ”",
	"--title: NEAR/ () \"",
};

/* Every byte prefix of some dense queries: never a crash, a leak or a
 * column outside the text. */
static void test_truncations_are_sane(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
		size_t len = strlen(tricky[i]);
		char *q = malloc(len + 1);
		assert_non_null(q);
		for (size_t cut = 0; cut <= len; cut++) {
			memcpy(q, tricky[i], cut);
			q[cut] = '\0';
			expect_sane(q);
			/* And every single-byte deletion. */
			if (cut < len) {
				memcpy(q, tricky[i], cut);
				memcpy(q + cut, tricky[i] + cut + 1, len - cut);
				expect_sane(q);
			}
		}
		free(q);
	}
}

static void test_null_arguments(void **state)
{
	(void)state;
	qnode *n = NULL;
	trawl_error err;
	char *d = NULL;
	assert_int_equal(qp_parse(NULL, "x", &n, &err), TRAWL_EINVAL);
	assert_int_equal(qp_parse(an, NULL, &n, &err), TRAWL_EINVAL);
	assert_int_equal(qp_parse(an, "x", NULL, &err), TRAWL_EINVAL);
	assert_null(n);
	assert_int_equal(qp_describe(NULL, &d), TRAWL_EINVAL);
	assert_null(d);
	qp_free(NULL);
	/* A NULL error is allowed. */
	assert_int_equal(qp_parse(an, "-x", &n, NULL), TRAWL_ESYNTAX);
	assert_int_equal(qp_parse(an, "x", &n, NULL), TRAWL_OK);
	qp_free(n);
}

static void test_success_clears_the_error(void **state)
{
	(void)state;
	qnode *n = NULL;
	trawl_error err;
	assert_int_equal(qp_parse(an, "(", &n, &err), TRAWL_ESYNTAX);
	assert_int_equal(err.code, TRAWL_ESYNTAX);
	assert_int_equal(qp_parse(an, "x", &n, &err), TRAWL_OK);
	assert_int_equal(err.code, TRAWL_OK);
	assert_int_equal(err.message[0], '\0');
	qp_free(n);
}

static void test_messages_echo_long_text_cut(void **state)
{
	(void)state;
	qnode *n = NULL;
	trawl_error err;
	char *q = repeat("a NEAR/", "x", 5000, " b");
	assert_int_equal(qp_parse(an, q, &n, &err), TRAWL_ESYNTAX);
	assert_int_equal(err.column, 3);
	assert_non_null(strstr(err.message, "(column 3)"));
	assert_true(strlen(err.message) < 300);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_queries),
		cmocka_unit_test(test_case_table),
		cmocka_unit_test(test_negation_spellings_give_one_tree),
		cmocka_unit_test(test_tree_fields_flags_and_columns),
		cmocka_unit_test(test_prefix_keeps_the_unstemmed_token),
		cmocka_unit_test(test_token_over_64_bytes_has_no_term),
		cmocka_unit_test(test_language_none_keeps_words),
		cmocka_unit_test(test_bracket_depth_limit),
		cmocka_unit_test(test_operator_nesting_limit),
		cmocka_unit_test(test_leaf_limit),
		cmocka_unit_test(test_query_length_limit),
		cmocka_unit_test(test_long_runs_stay_linear),
		cmocka_unit_test(test_truncations_are_sane),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_success_clears_the_error),
		cmocka_unit_test(test_messages_echo_long_text_cut),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
