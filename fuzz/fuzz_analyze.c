/*
 * fuzz_analyze.c -- libFuzzer target for lib/analyze.c: arbitrary bytes
 * through trawl_analyze, checking what holds for every input:
 *   - positions are 0, 1, 2, ...; every token is non-empty, NUL-ended;
 *   - byte ranges lie inside the input, non-empty, starts and ends never
 *     go back, and a token is at most 11 bytes per input byte it spans
 *     (U+FDFA, 3 bytes, normalises to 33: the worst case);
 *   - a term exactly when the token is at most 64 bytes; "none" terms are
 *     the tokens; english and "none" agree on the tokens;
 *   - the fast paths (ASCII loop, memo) and plain utf8proc agree;
 *   - the tokens, re-analysed, give themselves back (a fixed point);
 *   - a non-zero callback value stops at once and is returned.
 * A violated check aborts, which libFuzzer reports with the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl.h"
#include "analyze.h"

#define CHECK(c)                                                         \
	do {                                                             \
		if (!(c)) {                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n",     \
				__FILE__, __LINE__, #c);                 \
			abort();                                         \
		}                                                        \
	} while (0)

/* Tokens of one run, flattened: token and term bytes in one buffer. */
struct run {
	size_t len;		/* input length */
	size_t n;		/* tokens */
	size_t cap;
	struct ent {
		size_t tok_off, tok_len;
		size_t term_off, term_len;
		int has_term;
		size_t start, end;
	} *v;
	char *bytes;
	size_t nbytes, bcap;
	int stop_at;		/* stop with 7 at this position; -1: never */
};

static void put_bytes(struct run *r, const char *p, size_t n)
{
	if (r->nbytes + n > r->bcap) {
		r->bcap = (r->nbytes + n) * 2 + 64;
		r->bytes = realloc(r->bytes, r->bcap);
		CHECK(r->bytes);
	}
	memcpy(r->bytes + r->nbytes, p, n);
	r->nbytes += n;
}

static int on_token(void *ctx, const trawl_token *t)
{
	struct run *r = ctx;

	CHECK(t->position == r->n);
	CHECK(t->token && t->token_len > 0);
	CHECK(t->token[t->token_len] == '\0');
	CHECK(t->byte_start < t->byte_end && t->byte_end <= r->len);
	CHECK(t->token_len <= 11 * (t->byte_end - t->byte_start));
	CHECK((t->term != NULL) == (t->token_len <= 64));
	if (t->term)
		CHECK(t->term[t->term_len] == '\0');
	if (r->n) {
		CHECK(t->byte_start >= r->v[r->n - 1].start);
		CHECK(t->byte_end >= r->v[r->n - 1].end);
	}
	if (r->n == r->cap) {
		r->cap = r->cap * 2 + 16;
		r->v = realloc(r->v, r->cap * sizeof *r->v);
		CHECK(r->v);
	}
	struct ent *e = &r->v[r->n++];
	e->tok_off = r->nbytes;
	e->tok_len = t->token_len;
	put_bytes(r, t->token, t->token_len);
	e->term_off = r->nbytes;
	e->term_len = t->term ? t->term_len : 0;
	e->has_term = t->term != NULL;
	if (t->term)
		put_bytes(r, t->term, t->term_len);
	e->start = t->byte_start;
	e->end = t->byte_end;
	return (int)t->position == r->stop_at ? 7 : 0;
}

static void run_free(struct run *r)
{
	free(r->v);
	free(r->bytes);
}

static void analyze(trawl_analyzer *a, const uint8_t *data, size_t size,
		    struct run *r, int stop_at)
{
	memset(r, 0, sizeof *r);
	r->len = size;
	r->stop_at = stop_at;
	int rc = trawl_analyze(a, (const char *)data, size, on_token, r);
	if (rc == 7)
		CHECK(stop_at >= 0 && r->n == (size_t)stop_at + 1);
	else
		CHECK(rc == TRAWL_OK &&
		      (stop_at < 0 || r->n <= (size_t)stop_at));
}

static int same_tok(const struct run *x, size_t i, const struct run *y,
		    size_t j)
{
	const struct ent *p = &x->v[i], *q = &y->v[j];
	return p->tok_len == q->tok_len &&
	       !memcmp(x->bytes + p->tok_off, y->bytes + q->tok_off,
		       p->tok_len);
}

static int same_term(const struct run *x, size_t i, const struct run *y,
		     size_t j)
{
	const struct ent *p = &x->v[i], *q = &y->v[j];
	return p->has_term == q->has_term && p->term_len == q->term_len &&
	       !memcmp(x->bytes + p->term_off, y->bytes + q->term_off,
		       p->term_len);
}

static trawl_analyzer *english, *slow, *none;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run en, sl, no, again, stop;

	if (!english) {
		CHECK(trawl_analyzer_new("english", &english, NULL) == 0);
		CHECK(trawl_analyzer_new("english", &slow, NULL) == 0);
		CHECK(trawl_analyzer_new("none", &none, NULL) == 0);
		an_set_fast_paths(slow, 0);
		/* A small cache clears often, so clearing gets fuzzed too. */
		an_set_cache_limit(slow, 64);
	}

	analyze(english, data, size, &en, -1);
	analyze(slow, data, size, &sl, -1);
	analyze(none, data, size, &no, -1);
	CHECK(sl.n == en.n && no.n == en.n);
	for (size_t i = 0; i < en.n; i++) {
		CHECK(same_tok(&en, i, &sl, i) && same_term(&en, i, &sl, i));
		CHECK(en.v[i].start == sl.v[i].start &&
		      en.v[i].end == sl.v[i].end);
		CHECK(same_tok(&en, i, &no, i));
		CHECK(en.v[i].start == no.v[i].start &&
		      en.v[i].end == no.v[i].end);
		CHECK(no.v[i].has_term == (no.v[i].tok_len <= 64));
		if (no.v[i].has_term)
			CHECK(no.v[i].term_len == no.v[i].tok_len &&
			      !memcmp(no.bytes + no.v[i].term_off,
				      no.bytes + no.v[i].tok_off,
				      no.v[i].tok_len));
	}

	/* The tokens joined by spaces analyse to themselves. */
	size_t jn = 0;
	for (size_t i = 0; i < en.n; i++)
		jn += en.v[i].tok_len + 1;
	uint8_t *joined = malloc(jn + 1), *p = joined;
	CHECK(joined);
	for (size_t i = 0; i < en.n; i++) {
		memcpy(p, en.bytes + en.v[i].tok_off, en.v[i].tok_len);
		p += en.v[i].tok_len;
		*p++ = ' ';
	}
	analyze(none, joined, jn, &again, -1);
	CHECK(again.n == en.n);
	for (size_t i = 0; i < en.n; i++)
		CHECK(same_tok(&en, i, &again, i));
	free(joined);

	/* Stopping at a token chosen by the input. */
	if (en.n) {
		int at = (int)(size ? data[0] % en.n : 0);
		analyze(english, data, size, &stop, at);
		CHECK(stop.n == (size_t)at + 1);
		run_free(&stop);
	}

	run_free(&en);
	run_free(&sl);
	run_free(&no);
	run_free(&again);
	return 0;
}
