/*
 * test_analyze.c -- unit tests of lib/analyze.c (SPEC section 2): the
 * shared conformance vectors ($TRAWL_SHARED/conformance/analysis.jsonl),
 * the case table tests/cases/analyze.tsv (read from the repository root,
 * where tests/run.sh runs), and the analyser's own promises: byte offsets,
 * positions, long tokens, the stem cache, languages, the callback's stop
 * value, and that the fast paths (ASCII, memo) agree with plain utf8proc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* getline */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl.h"
#include "analyze.h"

/* ---- Collecting tokens -------------------------------------------------- */

struct tok {
	char *token;
	size_t token_len;
	char *term;		/* NULL when the analyser gave none */
	size_t term_len;
	uint32_t position;
	size_t start, end;
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	assert_non_null(d);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static int collect(void *ctx, const trawl_token *t)
{
	struct toks *ts = ctx;

	/* Both strings are promised NUL-terminated. */
	assert_int_equal(t->token[t->token_len], '\0');
	if (t->term)
		assert_int_equal(t->term[t->term_len], '\0');
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 16;
		ts->v = realloc(ts->v, ts->cap * sizeof *ts->v);
		assert_non_null(ts->v);
	}
	struct tok *k = &ts->v[ts->n++];
	k->token = dup_n(t->token, t->token_len);
	k->token_len = t->token_len;
	k->term = t->term ? dup_n(t->term, t->term_len) : NULL;
	k->term_len = t->term_len;
	k->position = t->position;
	k->start = t->byte_start;
	k->end = t->byte_end;
	return 0;
}

static void toks_free(struct toks *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		free(ts->v[i].token);
		free(ts->v[i].term);
	}
	free(ts->v);
	memset(ts, 0, sizeof *ts);
}

/* Analyses TEXT into OUT and checks what holds for every text: positions
 * 0, 1, 2, ..., byte ranges inside the text and in order, a term exactly
 * for the tokens of at most 64 bytes. */
static void analyze_into(trawl_analyzer *a, const char *text, size_t len,
			 struct toks *out)
{
	memset(out, 0, sizeof *out);
	assert_int_equal(trawl_analyze(a, text, len, collect, out), TRAWL_OK);
	for (size_t i = 0; i < out->n; i++) {
		struct tok *k = &out->v[i];
		assert_int_equal(k->position, i);
		assert_true(k->token_len > 0);
		assert_true(k->start < k->end && k->end <= len);
		if (i) {
			assert_true(k->start >= out->v[i - 1].start);
			assert_true(k->end >= out->v[i - 1].end);
		}
		assert_int_equal(k->term != NULL, k->token_len <= 64);
	}
}

static int toks_equal(const struct toks *x, const struct toks *y)
{
	if (x->n != y->n)
		return 0;
	for (size_t i = 0; i < x->n; i++) {
		const struct tok *p = &x->v[i], *q = &y->v[i];
		if (p->token_len != q->token_len ||
		    memcmp(p->token, q->token, p->token_len) ||
		    (p->term == NULL) != (q->term == NULL) ||
		    (p->term && (p->term_len != q->term_len ||
				 memcmp(p->term, q->term, p->term_len))) ||
		    p->position != q->position || p->start != q->start ||
		    p->end != q->end)
			return 0;
	}
	return 1;
}

static int setup(void **state)
{
	trawl_analyzer *a;

	if (trawl_analyzer_new("english", &a, NULL) != TRAWL_OK)
		return -1;
	*state = a;
	return 0;
}

static int teardown(void **state)
{
	trawl_analyzer_free(*state);
	return 0;
}

/* The same text with the fast paths (ASCII loop, memo of normalised
 * characters) of FAST and through plain utf8proc in SLOW: every token,
 * term, position and offset must agree. */
static void check_agree(trawl_analyzer *fast, trawl_analyzer *slow,
			const char *text, size_t len)
{
	struct toks x, y;

	analyze_into(fast, text, len, &x);
	analyze_into(slow, text, len, &y);
	assert_true(toks_equal(&x, &y));
	toks_free(&x);
	toks_free(&y);
}

static void check_paths_agree(const char *text, size_t len)
{
	trawl_analyzer *fast, *slow;

	assert_int_equal(trawl_analyzer_new("english", &fast, NULL), TRAWL_OK);
	assert_int_equal(trawl_analyzer_new("english", &slow, NULL), TRAWL_OK);
	an_set_fast_paths(slow, 0);
	check_agree(fast, slow, text, len);
	trawl_analyzer_free(fast);
	trawl_analyzer_free(slow);
}

/* Tokens re-analysed (joined by spaces) give themselves back: the
 * normalisation is a fixed point. */
static void check_idempotent(trawl_analyzer *a, const struct toks *ts)
{
	size_t n = 0;
	for (size_t i = 0; i < ts->n; i++)
		n += ts->v[i].token_len + 1;
	char *s = malloc(n + 1), *p = s;
	assert_non_null(s);
	for (size_t i = 0; i < ts->n; i++) {
		memcpy(p, ts->v[i].token, ts->v[i].token_len);
		p += ts->v[i].token_len;
		*p++ = ' ';
	}
	struct toks again;
	analyze_into(a, s, (size_t)(p - s), &again);
	assert_int_equal(again.n, ts->n);
	for (size_t i = 0; i < ts->n; i++)
		assert_string_equal(again.v[i].token, ts->v[i].token);
	toks_free(&again);
	free(s);
}

/* ---- Conformance vectors (JSON Lines) ------------------------------------ */

/* A reader for the simple lines of analysis.jsonl: one object whose
 * values are strings, arrays of strings or null. */
struct jv {
	char *s;		/* a string (NUL-terminated; len may be shorter
				   than strlen only with \u0000) */
	size_t len;
	int is_null;
	struct jv *items;	/* an array */
	size_t nitems;
	int is_array;
};

static void jv_free(struct jv *v)
{
	free(v->s);
	for (size_t i = 0; i < v->nitems; i++)
		jv_free(&v->items[i]);
	free(v->items);
	memset(v, 0, sizeof *v);
}

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
		(*p)++;
}

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static unsigned long hex4(const char *p)
{
	char h[5] = { 0 };
	memcpy(h, p, 4);
	return strtoul(h, NULL, 16);
}

static int json_string(const char **pp, struct jv *v)
{
	const char *p = *pp;
	memset(v, 0, sizeof *v);
	if (*p != '"')
		return -1;
	p++;
	char *o = malloc(strlen(p) + 1);
	size_t n = 0;
	assert_non_null(o);
	while (*p && *p != '"') {
		if (*p != '\\') {
			o[n++] = *p++;
			continue;
		}
		p++;
		switch (*p++) {
		case 'n': o[n++] = '\n'; break;
		case 't': o[n++] = '\t'; break;
		case 'r': o[n++] = '\r'; break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'u': {
			unsigned long cp = hex4(p);
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' &&
			    p[1] == 'u') {
				unsigned long lo = hex4(p + 2);
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				p += 6;
			}
			n += put_utf8(o + n, cp);
			break;
		}
		default: o[n++] = p[-1]; break;
		}
	}
	if (*p != '"') {
		free(o);
		return -1;
	}
	o[n] = '\0';
	v->s = o;
	v->len = n;
	*pp = p + 1;
	return 0;
}

static int json_value(const char **pp, struct jv *v)
{
	memset(v, 0, sizeof *v);
	skip_ws(pp);
	if (!strncmp(*pp, "null", 4)) {
		*pp += 4;
		v->is_null = 1;
		return 0;
	}
	if (**pp == '"')
		return json_string(pp, v);
	if (**pp != '[')
		return -1;
	(*pp)++;
	v->is_array = 1;
	skip_ws(pp);
	if (**pp == ']') {
		(*pp)++;
		return 0;
	}
	for (;;) {
		v->items = realloc(v->items,
				   (v->nitems + 1) * sizeof *v->items);
		assert_non_null(v->items);
		if (json_value(pp, &v->items[v->nitems]) != 0)
			return -1;
		v->nitems++;
		skip_ws(pp);
		if (**pp == ']') {
			(*pp)++;
			return 0;
		}
		if (**pp != ',')
			return -1;
		(*pp)++;
	}
}

/* Parses one line into TEXT, TOKENS and TERMS. */
static int json_line(const char *line, struct jv *text, struct jv *tokens,
		     struct jv *terms)
{
	const char *p = line;
	memset(text, 0, sizeof *text);
	memset(tokens, 0, sizeof *tokens);
	memset(terms, 0, sizeof *terms);
	skip_ws(&p);
	if (*p++ != '{')
		return -1;
	for (;;) {
		struct jv key, val;
		skip_ws(&p);
		if (json_string(&p, &key) != 0)
			return -1;
		skip_ws(&p);
		if (*p++ != ':' || json_value(&p, &val) != 0) {
			jv_free(&key);
			return -1;
		}
		struct jv *dst = !strcmp(key.s, "text") ? text :
				 !strcmp(key.s, "tokens") ? tokens :
				 !strcmp(key.s, "terms") ? terms : NULL;
		if (dst)
			*dst = val;
		else
			jv_free(&val);
		jv_free(&key);
		skip_ws(&p);
		if (*p == '}')
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

static void test_conformance_vectors(void **state)
{
	trawl_analyzer *a = *state;
	const char *dir = getenv("TRAWL_SHARED");
	char path[4096];
	FILE *f;

	if (!dir) {
		print_message("TRAWL_SHARED is not set: skipping the "
			      "conformance vectors\n");
		skip();
	}
	snprintf(path, sizeof path, "%s/conformance/analysis.jsonl", dir);
	f = fopen(path, "r");
	if (!f) {
		print_message("%s is absent: skipping the conformance "
			      "vectors\n", path);
		skip();
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0, checked = 0;
	while (getline(&line, &cap, f) > 0) {
		struct jv text, tokens, terms;
		struct toks got;
		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (json_line(line, &text, &tokens, &terms) != 0 || !text.s ||
		    !tokens.is_array || !terms.is_array ||
		    tokens.nitems != terms.nitems)
			fail_msg("%s:%zu: cannot read the line", path, lineno);
		analyze_into(a, text.s, text.len, &got);
		if (got.n != tokens.nitems)
			fail_msg("%s:%zu: %zu tokens, expected %zu", path,
				 lineno, got.n, tokens.nitems);
		for (size_t i = 0; i < got.n; i++) {
			if (strcmp(got.v[i].token, tokens.items[i].s))
				fail_msg("%s:%zu: token %zu is \"%s\", "
					 "expected \"%s\"", path, lineno, i,
					 got.v[i].token, tokens.items[i].s);
			if (terms.items[i].is_null) {
				if (got.v[i].term)
					fail_msg("%s:%zu: term %zu is \"%s\", "
						 "expected null", path, lineno,
						 i, got.v[i].term);
			} else if (!got.v[i].term ||
				   strcmp(got.v[i].term, terms.items[i].s)) {
				fail_msg("%s:%zu: term %zu is \"%s\", "
					 "expected \"%s\"", path, lineno, i,
					 got.v[i].term ? got.v[i].term :
					 "(null)", terms.items[i].s);
			}
		}
		check_paths_agree(text.s, text.len);
		check_idempotent(a, &got);
		toks_free(&got);
		jv_free(&text);
		jv_free(&tokens);
		jv_free(&terms);
		checked++;
	}
	free(line);
	fclose(f);
	assert_true(checked > 0);
}

/* ---- The case table ------------------------------------------------------ */

#define CASES "tests/cases/analyze.tsv"

/* Unescapes a text cell: \t \n \\ \xHH \u{HEX}.  OUT: the bytes, *len. */
static char *unescape(const char *s, size_t *len)
{
	char *o = malloc(strlen(s) * 4 + 1);
	size_t n = 0;

	assert_non_null(o);
	while (*s) {
		if (*s != '\\') {
			o[n++] = *s++;
			continue;
		}
		s++;
		if (*s == 't') {
			o[n++] = '\t';
			s++;
		} else if (*s == 'n') {
			o[n++] = '\n';
			s++;
		} else if (*s == 'x') {
			char h[3] = { s[1], s[2], 0 };
			o[n++] = (char)strtoul(h, NULL, 16);
			s += 3;
		} else if (s[0] == 'u' && s[1] == '{') {
			char *e;
			unsigned long cp = strtoul(s + 2, &e, 16);
			assert_int_equal(*e, '}');
			n += put_utf8(o + n, cp);
			s = e + 1;
		} else {
			o[n++] = *s++;
		}
	}
	o[n] = '\0';
	*len = n;
	return o;
}

/* Splits LINE at tabs into at most MAX cells; returns the count. */
static size_t split(char *line, char **cell, size_t max, char sep)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		cell[n++] = p;
		p = strchr(p, sep);
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

static void test_case_table(void **state)
{
	trawl_analyzer *a = *state;
	FILE *f = fopen(CASES, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0, checked = 0;
	ssize_t r;

	if (!f)
		fail_msg("cannot open %s (run from the repository root)",
			 CASES);
	while ((r = getline(&line, &cap, f)) > 0) {
		char *cell[4], *want[256], *spans[256], *text;
		size_t ncell, nwant, len;
		struct toks got;

		lineno++;
		while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r'))
			line[--r] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		ncell = split(line, cell, 4, '\t');
		if (ncell < 2)
			fail_msg("%s:%zu: needs text and tokens", CASES,
				 lineno);
		text = unescape(cell[0], &len);
		analyze_into(a, text, len, &got);

		/* tokens */
		char *tokcell = unescape(cell[1], &(size_t){ 0 });
		nwant = tokcell[0] ? split(tokcell, want, 256, ' ') : 0;
		if (got.n != nwant)
			fail_msg("%s:%zu: %zu tokens, expected %zu (first: "
				 "\"%s\")", CASES, lineno, got.n, nwant,
				 got.n ? got.v[0].token : "");
		for (size_t i = 0; i < nwant; i++)
			if (strcmp(got.v[i].token, want[i]))
				fail_msg("%s:%zu: token %zu is \"%s\", "
					 "expected \"%s\"", CASES, lineno, i,
					 got.v[i].token, want[i]);

		/* terms */
		if (ncell > 2 && strcmp(cell[2], "*")) {
			char *termcell = unescape(cell[2], &(size_t){ 0 });
			size_t nt = termcell[0] ?
				    split(termcell, want, 256, ' ') : 0;
			if (nt != got.n)
				fail_msg("%s:%zu: %zu terms listed for %zu "
					 "tokens", CASES, lineno, nt, got.n);
			for (size_t i = 0; i < nt; i++) {
				const char *t = got.v[i].term;
				if (!strcmp(want[i], "~") ? t != NULL :
				    !t || strcmp(t, want[i]))
					fail_msg("%s:%zu: term %zu is \"%s\", "
						 "expected \"%s\"", CASES,
						 lineno, i, t ? t : "~",
						 want[i]);
			}
			free(termcell);
		}

		/* spans */
		if (ncell > 3 && strcmp(cell[3], "*")) {
			size_t ns = split(cell[3], spans, 256, ' ');
			if (ns != got.n)
				fail_msg("%s:%zu: %zu spans listed for %zu "
					 "tokens", CASES, lineno, ns, got.n);
			for (size_t i = 0; i < ns; i++) {
				size_t s0, s1;
				if (sscanf(spans[i], "%zu-%zu", &s0, &s1) != 2)
					fail_msg("%s:%zu: bad span \"%s\"",
						 CASES, lineno, spans[i]);
				if (got.v[i].start != s0 || got.v[i].end != s1)
					fail_msg("%s:%zu: token %zu spans "
						 "%zu-%zu, expected %zu-%zu",
						 CASES, lineno, i,
						 got.v[i].start, got.v[i].end,
						 s0, s1);
			}
		}
		check_paths_agree(text, len);
		check_idempotent(a, &got);
		free(tokcell);
		free(text);
		toks_free(&got);
		checked++;
	}
	free(line);
	fclose(f);
	assert_true(checked >= 50);
}

/* ---- Behaviours ---------------------------------------------------------- */

/* Every lone byte that cannot start a UTF-8 sequence, and every
 * truncated or overlong start, separates two letters. */
static void test_every_invalid_byte_separates(void **state)
{
	trawl_analyzer *a = *state;

	for (int c = 0x80; c <= 0xff; c++) {
		char s[3] = { 'a', (char)c, 'b' };
		struct toks got;
		analyze_into(a, s, 3, &got);
		assert_int_equal(got.n, 2);
		assert_string_equal(got.v[0].token, "a");
		assert_string_equal(got.v[1].token, "b");
		assert_int_equal(got.v[0].end, 1);
		assert_int_equal(got.v[1].start, 2);
		toks_free(&got);
	}
	/* Overlong two-byte forms of every ASCII letter. */
	for (int c = 0; c < 0x80; c++) {
		char s[4] = { 'a', (char)(0xc0 | c >> 6),
			      (char)(0x80 | (c & 0x3f)), 'b' };
		struct toks got;
		analyze_into(a, s, 4, &got);
		assert_int_equal(got.n, 2);
		assert_int_equal(got.v[1].start, 3);
		toks_free(&got);
	}
}

static void test_positions_restart_per_call(void **state)
{
	trawl_analyzer *a = *state;
	struct toks got;

	analyze_into(a, "one two three", 13, &got);
	assert_int_equal(got.n, 3);
	toks_free(&got);
	analyze_into(a, "four", 4, &got);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.v[0].position, 0);
	toks_free(&got);
}

/* A long token keeps its place: the next token's position counts it. */
static void test_long_token_takes_a_position(void **state)
{
	trawl_analyzer *a = *state;
	size_t n = 1 << 20;
	char *s = malloc(n + 2);
	struct toks got;

	assert_non_null(s);
	memset(s, 'A', n);
	s[n] = ' ';
	s[n + 1] = 'b';
	analyze_into(a, s, n + 2, &got);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.v[0].token_len, n);
	assert_int_equal(got.v[0].token[0], 'a');
	assert_null(got.v[0].term);
	assert_int_equal(got.v[1].position, 1);
	assert_string_equal(got.v[1].term, "b");
	toks_free(&got);
	free(s);
}

/* 32 Cyrillic letters are 64 bytes (a term); 33 are 66 (none). */
static void test_limit_counts_normalised_bytes(void **state)
{
	trawl_analyzer *a = *state;
	char s[200];
	size_t n = 0;
	struct toks got;

	for (int i = 0; i < 32; i++)
		n += (size_t)sprintf(s + n, "Ж");
	s[n++] = ' ';
	for (int i = 0; i < 33; i++)
		n += (size_t)sprintf(s + n, "ж");
	analyze_into(a, s, n, &got);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.v[0].token_len, 64);
	assert_non_null(got.v[0].term);
	assert_int_equal(got.v[1].token_len, 66);
	assert_null(got.v[1].term);
	toks_free(&got);
}

static int stop_at_third(void *ctx, const trawl_token *t)
{
	int *calls = ctx;
	(*calls)++;
	return t->position == 2 ? 42 : 0;
}

static void test_callback_stop_value_is_returned(void **state)
{
	trawl_analyzer *a = *state;
	int calls = 0;

	assert_int_equal(trawl_analyze(a, "a b c d e", 9, stop_at_third,
				       &calls), 42);
	assert_int_equal(calls, 3);
	/* The last token is emitted at the end of the text: same rule. */
	calls = 0;
	assert_int_equal(trawl_analyze(a, "a b c", 5, stop_at_third, &calls),
			 42);
	assert_int_equal(calls, 3);
	/* The analyser is fine after a stop. */
	struct toks got;
	analyze_into(a, "x y", 3, &got);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.v[0].position, 0);
	toks_free(&got);
}

static int never_called(void *ctx, const trawl_token *t)
{
	(void)ctx;
	(void)t;
	fail_msg("no token expected");
	return 0;
}

static void test_empty_and_null_text(void **state)
{
	trawl_analyzer *a = *state;

	assert_int_equal(trawl_analyze(a, NULL, 0, never_called, NULL),
			 TRAWL_OK);
	assert_int_equal(trawl_analyze(a, "", 0, never_called, NULL),
			 TRAWL_OK);
	assert_int_equal(trawl_analyze(a, " .,;", 4, never_called, NULL),
			 TRAWL_OK);
	/* LEN is the bound, not a NUL. */
	assert_int_equal(trawl_analyze(a, "abc", 0, never_called, NULL),
			 TRAWL_OK);
	assert_int_equal(trawl_analyze(NULL, "a", 1, never_called, NULL),
			 TRAWL_EINVAL);
	assert_int_equal(trawl_analyze(a, "a", 1, NULL, NULL), TRAWL_EINVAL);
}

static void test_none_language_is_identity(void **state)
{
	trawl_analyzer *a;
	struct toks got;
	const char *s = "Directing the RUNNING dogs’ owners";

	(void)state;
	assert_int_equal(trawl_analyzer_new("none", &a, NULL), TRAWL_OK);
	analyze_into(a, s, strlen(s), &got);
	assert_int_equal(got.n, 5);
	for (size_t i = 0; i < got.n; i++)
		assert_string_equal(got.v[i].term, got.v[i].token);
	assert_string_equal(got.v[0].term, "directing");
	assert_string_equal(got.v[2].term, "running");
	assert_string_equal(got.v[3].term, "dogs");
	toks_free(&got);
	trawl_analyzer_free(a);
}

static void test_null_language_is_english(void **state)
{
	trawl_analyzer *a;
	struct toks got;

	(void)state;
	assert_int_equal(trawl_analyzer_new(NULL, &a, NULL), TRAWL_OK);
	analyze_into(a, "directing", 9, &got);
	assert_string_equal(got.v[0].term, "direct");
	toks_free(&got);
	trawl_analyzer_free(a);
}

static void test_unknown_language_is_einval(void **state)
{
	trawl_error err;
	trawl_analyzer *a = (trawl_analyzer *)&err; /* must become NULL */

	(void)state;
	assert_int_equal(trawl_analyzer_new("English", &a, &err), TRAWL_EINVAL);
	assert_null(a);
	assert_int_equal(err.code, TRAWL_EINVAL);
	assert_non_null(strstr(err.message, "\"English\""));
	assert_non_null(strstr(err.message, "english"));
	assert_non_null(strstr(err.message, "none"));
	assert_int_equal(trawl_analyzer_new("", &a, NULL), TRAWL_EINVAL);
	assert_int_equal(trawl_analyzer_new("utf-8", &a, &err), TRAWL_EINVAL);
}

/* Every listed language makes an analyser that works; "none" is last. */
static void test_every_listed_language_works(void **state)
{
	const char **l = trawl_languages();
	size_t n = 0;
	int english = 0;

	(void)state;
	assert_non_null(l);
	for (; l[n]; n++) {
		trawl_analyzer *a;
		struct toks got;
		const char *s = "Running cafés niños Москва 123";
		assert_int_equal(trawl_analyzer_new(l[n], &a, NULL), TRAWL_OK);
		analyze_into(a, s, strlen(s), &got);
		assert_int_equal(got.n, 5);
		toks_free(&got);
		trawl_analyzer_free(a);
		english |= !strcmp(l[n], "english");
	}
	assert_true(n >= 2);
	assert_string_equal(l[n - 1], "none");
	assert_true(english);
	assert_ptr_equal(trawl_languages(), l);
}

static void test_stemmer_aliases_accepted(void **state)
{
	trawl_analyzer *a;
	struct toks got;

	(void)state;
	assert_int_equal(trawl_analyzer_new("en", &a, NULL), TRAWL_OK);
	analyze_into(a, "directed", 8, &got);
	assert_string_equal(got.v[0].term, "direct");
	toks_free(&got);
	trawl_analyzer_free(a);
	trawl_analyzer_free(NULL);
}

/* Distinct words "w<n>ing", with stems that differ from the token. */
static char *word_list(size_t words, size_t *len)
{
	char *s = malloc(words * 16), *p = s;
	assert_non_null(s);
	for (size_t i = 0; i < words; i++) {
		size_t v = i;
		*p++ = 'w';
		do {
			*p++ = (char)('a' + v % 26);
			v /= 26;
		} while (v);
		p += sprintf(p, "ing ");
	}
	*len = (size_t)(p - s);
	return s;
}

/* an_token_memo: per word, what the callback stored there on an earlier
 * token comes back; a new word's cell is zero (also once the cache is
 * emptied); no cache, no cell. */
struct memo_ctx {
	trawl_analyzer *a;
	uint32_t seen[8];  /* the memo's first word, per token */
	int null[8];
	size_t n;
};

static int memo_cb(void *ctx, const trawl_token *t)
{
	struct memo_ctx *m = ctx;
	uint32_t *memo = an_token_memo(m->a);
	m->null[m->n] = memo == NULL;
	m->seen[m->n] = memo ? memo[0] : 0;
	if (memo && !memo[0])
		memo[0] = 100 + t->position; /* first sight of the word */
	m->n++;
	return 0;
}

static void test_token_memo_follows_the_word(void **state)
{
	(void)state;
	trawl_analyzer *a;
	assert_int_equal(trawl_analyzer_new("english", &a, NULL), TRAWL_OK);
	struct memo_ctx m = { a, { 0 }, { 0 }, 0 };
	const char *text = "oil Gas oil gas rate oil";
	assert_int_equal(trawl_analyze(a, text, strlen(text), memo_cb, &m),
			 TRAWL_OK);
	assert_int_equal(m.n, 6);
	const uint32_t want[6] = { 0, 0, 100, 101, 0, 100 };
	for (size_t i = 0; i < 6; i++) {
		assert_false(m.null[i]);
		assert_int_equal(m.seen[i], want[i]);
	}
	/* emptied with the cache: a new memo */
	an_set_cache_limit(a, 100);
	m.n = 0;
	assert_int_equal(trawl_analyze(a, "oil", 3, memo_cb, &m), TRAWL_OK);
	assert_false(m.null[0]);
	assert_int_equal(m.seen[0], 0);
	/* no cache: no memo */
	an_set_cache_limit(a, 0);
	m.n = 0;
	assert_int_equal(trawl_analyze(a, "oil oil", 7, memo_cb, &m), TRAWL_OK);
	assert_true(m.null[0] && m.null[1]);
	trawl_analyzer_free(a);
}

/* Results with a tiny cache that fills and clears many times equal the
 * results with no cache at all. */
static void test_cache_clear_keeps_results(void **state)
{
	trawl_analyzer *small, *none;
	struct toks x, y;
	an_stats st;
	size_t len;
	char *s = word_list(1000, &len);

	(void)state;
	assert_int_equal(trawl_analyzer_new("english", &small, NULL), TRAWL_OK);
	assert_int_equal(trawl_analyzer_new("english", &none, NULL), TRAWL_OK);
	an_set_cache_limit(small, 100);
	an_set_cache_limit(none, 0);
	for (int round = 0; round < 3; round++) {
		analyze_into(small, s, len, &x);
		analyze_into(none, s, len, &y);
		assert_int_equal(x.n, 1000);
		assert_true(toks_equal(&x, &y));
		assert_string_equal(x.v[0].term, "wa");
		toks_free(&x);
		toks_free(&y);
	}
	an_get_stats(small, &st);
	assert_true(st.clears >= 29);
	assert_int_equal(st.hits + st.misses, 3000);
	an_get_stats(none, &st);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.misses, 3000);
	/* Repeats within the cache's reach are hits. */
	an_get_stats(small, &st);
	uint64_t misses = st.misses;
	analyze_into(small, "running running running", 23, &x);
	an_get_stats(small, &st);
	assert_int_equal(st.misses, misses + 1);
	toks_free(&x);
	trawl_analyzer_free(small);
	trawl_analyzer_free(none);
	free(s);
}

/* The cache keeps a token's first 12 bytes in its slot and the rest in
 * its arena: words that differ only in their last byte, at every length
 * from 1 to 20 bytes, are told apart (cached = uncached), and a second
 * pass over them is all hits. */
static void test_cache_tells_near_words_apart(void **state)
{
	static const char base[] = "internationalisers";
	trawl_analyzer *a, *none;
	struct toks x, y;
	an_stats st;
	char s[2048];
	size_t len = 0, words = 0;

	(void)state;
	for (size_t n = 1; n <= 20; n++)
		for (const char *last = "sxz"; *last; last++) {
			for (size_t i = 0; i + 1 < n; i++)
				s[len++] = base[i % (sizeof base - 1)];
			s[len++] = *last;
			s[len++] = ' ';
			words++;
		}
	assert_int_equal(trawl_analyzer_new("english", &a, NULL), TRAWL_OK);
	assert_int_equal(trawl_analyzer_new("english", &none, NULL), TRAWL_OK);
	an_set_cache_limit(none, 0);
	for (int pass = 0; pass < 2; pass++) {
		analyze_into(a, s, len, &x);
		analyze_into(none, s, len, &y);
		assert_int_equal(x.n, words);
		assert_true(toks_equal(&x, &y));
		toks_free(&x);
		toks_free(&y);
	}
	an_get_stats(a, &st);
	assert_int_equal(st.misses, words);
	assert_int_equal(st.hits, words);
	trawl_analyzer_free(a);
	trawl_analyzer_free(none);
}

/* The default cache grows through its sizes, fills, clears and fills
 * again with what came after the clear. */
static void test_default_cache_fills_and_clears(void **state)
{
	trawl_analyzer *a, *none;
	struct toks x, y;
	an_stats st;
	size_t words = AN_CACHE_ENTRIES + 5000, len, tail_len;
	char *s = word_list(words, &len), *tail;

	(void)state;
	assert_int_equal(trawl_analyzer_new("english", &a, NULL), TRAWL_OK);
	assert_int_equal(trawl_analyzer_new("english", &none, NULL), TRAWL_OK);
	an_set_cache_limit(none, 0);
	analyze_into(a, s, len, &x);
	analyze_into(none, s, len, &y);
	assert_int_equal(x.n, words);
	assert_true(toks_equal(&x, &y));
	toks_free(&y);
	an_get_stats(a, &st);
	assert_int_equal(st.clears, 1);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.misses, words);

	/* The last 5000 words, cached after the clear, are all hits. */
	tail = s + x.v[words - 5000].start;
	tail_len = len - x.v[words - 5000].start;
	toks_free(&x);
	analyze_into(a, tail, tail_len, &x);
	analyze_into(none, tail, tail_len, &y);
	assert_true(toks_equal(&x, &y));
	an_get_stats(a, &st);
	assert_int_equal(st.hits, 5000);
	assert_int_equal(st.clears, 1);
	toks_free(&x);
	toks_free(&y);
	trawl_analyzer_free(a);
	trawl_analyzer_free(none);
	free(s);
}

/* A word longer than the 256 bytes the ASCII scan reserves room for at
 * once, at the end of the text and before more: every byte kept. */
static void test_long_ascii_word(void **state)
{
	char s[1200];
	(void)state;
	for (size_t n = 250; n < 1100; n += 53) {
		for (size_t i = 0; i < n; i++)
			s[i] = (char)("aB3"[i % 3]);
		check_paths_agree(s, n);
		memcpy(s + n, " Zed's x", 8);
		check_paths_agree(s, n + 8);
		struct toks t;
		trawl_analyzer *a;
		assert_int_equal(trawl_analyzer_new("english", &a, NULL), TRAWL_OK);
		analyze_into(a, s, n + 8, &t);
		assert_int_equal(t.n, 3);
		assert_int_equal(t.v[0].token_len, n);
		assert_true(t.v[0].token[n - 1] == "ab3"[(n - 1) % 3]);
		assert_string_equal(t.v[1].token, "zed's");
		toks_free(&t);
		trawl_analyzer_free(a);
	}
}

/* Seeded random texts over a mix of ASCII and a few Unicode pieces:
 * the fast paths and plain utf8proc agree.  Ȗ collides with Ж and ā
 * with ﬁ in the memo; U+FDFA is too long to be memoised. */
static void test_fast_path_matches_unicode_path(void **state)
{
	static const char *piece[] = {
		"a", "Z", "q", "0", "9", "'", "’", " ", "-", ".", "_", "\t",
		"é", "e\xcc\x81", "ß", "½", "ﬁ", "Ж", "İ", "\xff", "\xe2\x82",
		"\xcc\x81", "＇", "™", "日", "😀", "\x00", "Ȗ", "ā",
		"\xef\xb7\xba",
		/* runs past the 16 bytes the ASCII scan takes at a time,
		 * and the bytes either side of each range it tests */
		"abcdefghijklmnopqrstuvwxyz0123456789", "ABCDEFGHIJKLMNOP",
		"Q9q", "/", ":", "@", "[", "`", "{", "\x7f", "\xc3\x80",
	};
	unsigned seed = 20250407;
	trawl_analyzer *fast, *slow;
	char s[40 * 40];

	(void)state;
	/* Kept across texts, so the memo fills and its entries collide. */
	assert_int_equal(trawl_analyzer_new("english", &fast, NULL), TRAWL_OK);
	assert_int_equal(trawl_analyzer_new("english", &slow, NULL), TRAWL_OK);
	an_set_fast_paths(slow, 0);
	print_message("seed %u\n", seed);
	srand(seed);
	for (int iter = 0; iter < 3000; iter++) {
		size_t n = 0;
		int k = rand() % 40;
		for (int i = 0; i < k; i++) {
			int j = rand() % (int)(sizeof piece / sizeof *piece);
			/* ASCII letters are the common case: weight them. */
			if (rand() % 2)
				j = rand() % 6;
			size_t pl = piece[j][0] ? strlen(piece[j]) : 1;
			memcpy(s + n, piece[j], pl);
			n += pl;
		}
		check_agree(fast, slow, s, n);
	}
	trawl_analyzer_free(fast);
	trawl_analyzer_free(slow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_ascii_word),
		cmocka_unit_test_setup_teardown(test_conformance_vectors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_every_invalid_byte_separates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positions_restart_per_call,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_long_token_takes_a_position, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_limit_counts_normalised_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_callback_stop_value_is_returned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_null_text, setup,
						teardown),
		cmocka_unit_test(test_none_language_is_identity),
		cmocka_unit_test(test_null_language_is_english),
		cmocka_unit_test(test_unknown_language_is_einval),
		cmocka_unit_test(test_every_listed_language_works),
		cmocka_unit_test(test_stemmer_aliases_accepted),
		cmocka_unit_test(test_token_memo_follows_the_word),
		cmocka_unit_test(test_cache_clear_keeps_results),
		cmocka_unit_test(test_cache_tells_near_words_apart),
		cmocka_unit_test(test_default_cache_fills_and_clears),
		cmocka_unit_test(test_fast_path_matches_unicode_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
