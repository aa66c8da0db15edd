/*
 * test_dict.c -- the term dictionary (dict.h): dictionaries of 0, 1, 63,
 * 64, 65, 1000 and 20000 random terms (sorted, unique, 1..64 bytes, bytes
 * >= 0x80 included, many shared prefixes so front coding is exercised).
 * For each size: every exact lookup, absent keys (before the first term,
 * after the last, between two), seeks to absent keys, and prefix walks
 * with dict_seek/dict_next against a brute-force answer.  Then damage
 * written with valid checksums: a bad tail, a bad entry, a bad block
 * offset all give ECORRUPT naming the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trawl.h"
#include "cfile.h"
#include "codec.h"
#include "dict.h"


/* ---- helpers ----------------------------------------------------------- */

static uint64_t seed;


typedef struct term {
	char s[65];
	size_t len;
	uint32_t df;
	uint64_t post_off, post_len, pos_off, pos_len;
} term;

typedef struct fixture {
	char dir[256];
	term *terms;
	size_t n;
	cfile f;
	dict d;
} fixture;

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int cmp_term(const void *a, const void *b)
{
	const term *x = a, *y = b;
	return cmp_bytes(x->s, x->len, y->s, y->len);
}

/* N unique terms in byte order with random figures. */
static term *make_terms(rng *r, size_t n)
{
	/* a small alphabet gives long shared prefixes; the rest is any
	 * byte but NUL */
	static const char alpha[] = "ab\x80\xc3\xff";
	term *t = calloc(n ? n : 1, sizeof *t);
	assert_non_null(t);
	size_t have = 0;
	while (have < n) {
		for (size_t k = have; k < n; k++) {
			term *x = &t[k];
			x->len = 1 + rnd(r) % 64;
			if (rnd(r) % 4 == 0)
				x->len = 1 + rnd(r) % 6;
			int small = rnd(r) % 2;
			for (size_t i = 0; i < x->len; i++)
				x->s[i] = small ? alpha[rnd(r) % 5]
						: (char)(1 + rnd(r) % 255);
			x->s[x->len] = '\0';
		}
		qsort(t, n, sizeof *t, cmp_term);
		size_t u = 0;
		for (size_t i = 0; i < n; i++)
			if (u == 0 || cmp_term(&t[i], &t[u - 1]) != 0)
				t[u++] = t[i];
		have = u; /* duplicates dropped: draw again for the rest */
	}
	uint64_t post = 0, pos = 0;
	for (size_t i = 0; i < n; i++) {
		term *x = &t[i];
		switch (rnd(r) % 4) {
		case 0: x->df = 1; break;
		case 1: x->df = UINT32_MAX - (uint32_t)(rnd(r) % 3); break;
		default: x->df = 1 + (uint32_t)(rnd(r) % 100000);
		}
		x->post_len = rnd(r) % 3 ? rnd(r) % 5000 : rnd(r) >> 34;
		x->pos_len = rnd(r) % 3 ? rnd(r) % 5000 : rnd(r) >> 30;
		x->post_off = post;
		x->pos_off = pos;
		post += x->post_len;
		pos += x->pos_len;
	}
	return t;
}

static void write_dict(const char *dir, const term *t, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/terms", dir);
	unlink(path);
	cfw w;
	trawl_error err;
	assert_int_equal(cfw_open(&w, path, CF_TERMS, &err), TRAWL_OK);
	dict_writer dw;
	dictw_init(&dw, &w);
	int rc = TRAWL_OK;
	for (size_t i = 0; i < n; i++)
		dictw_add(&rc, &dw, t[i].s, t[i].len, t[i].df, t[i].post_len,
			  t[i].pos_len);
	dictw_finish(&rc, &dw);
	dictw_free(&dw);
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(cfw_close(&w, &err), TRAWL_OK);
}

static void open_dict(fixture *f)
{
	trawl_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(cf_open(&f->f, f->dir, "terms", CF_TERMS, &err), TRAWL_OK);
	int rc = dict_open(&f->d, &f->f, &err);
	if (rc)
		fail_msg("dict_open: %s", err.message);
	assert_int_equal(f->d.nterms, f->n);
}

static void assert_term(const dterm *got, const term *want)
{
	if (got->len != want->len || memcmp(got->term, want->s, want->len))
		fail_msg("got term of %zu bytes, want %zu bytes", got->len,
			 want->len);
	assert_int_equal(got->term[got->len], '\0');
	assert_int_equal(got->df, want->df);
	assert_true(got->post_off == want->post_off);
	assert_true(got->post_len == want->post_len);
	assert_true(got->pos_off == want->pos_off);
	assert_true(got->pos_len == want->pos_len);
}

/* Index of the first term >= key (n when none). */
static size_t lower_bound(const fixture *f, const char *key, size_t len)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_bytes(f->terms[mid].s, f->terms[mid].len, key, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int setup_n(void **state, size_t n)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/trawl-dict-XXXXXX", tmp_base());
	if (!mkdtemp(f->dir))
		return -1;
	rng r = { seed ^ (n * 0x9e3779b97f4a7c15ull) };
	f->n = n;
	f->terms = make_terms(&r, n);
	write_dict(f->dir, f->terms, n);
	open_dict(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	cf_close(&f->f);
	char path[512];
	snprintf(path, sizeof path, "%s/terms", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f->terms);
	free(f);
	return 0;
}

/* ---- behaviours, run for every size ------------------------------------ */

static void every_term_is_found(fixture *f)
{
	trawl_error err;
	for (size_t i = 0; i < f->n; i++) {
		dterm t;
		int rc = dict_lookup(&f->d, f->terms[i].s, f->terms[i].len, &t, &err);
		if (rc != 1)
			fail_msg("term %zu of %zu: lookup returned %d", i, f->n, rc);
		assert_term(&t, &f->terms[i]);
	}
}

static void absent_keys_are_not_found(fixture *f)
{
	trawl_error err;
	dterm t;
	/* before the first term: the empty key and "\x01" */
	assert_int_equal(dict_lookup(&f->d, "", 0, &t, &err), 0);
	if (f->n == 0 || f->terms[0].len > 1 || f->terms[0].s[0] != 1)
		assert_int_equal(dict_lookup(&f->d, "\x01", 1, &t, &err), 0);
	/* after the last: 0xff x 65 is above any term of 64 bytes */
	char hi[66];
	memset(hi, 0xff, sizeof hi);
	assert_int_equal(dict_lookup(&f->d, hi, 65, &t, &err), 0);
	for (size_t i = 0; i < f->n; i++) {
		const term *x = &f->terms[i];
		char k[80];
		memcpy(k, x->s, x->len);
		/* between x and its successor: terms hold no NUL */
		k[x->len] = '\0';
		assert_int_equal(dict_lookup(&f->d, k, x->len + 1, &t, &err), 0);
		/* a strict prefix, unless it is itself a term */
		if (x->len > 1) {
			size_t pl = x->len - 1;
			size_t lb = lower_bound(f, x->s, pl);
			int present = lb < f->n && f->terms[lb].len == pl &&
				      !memcmp(f->terms[lb].s, x->s, pl);
			assert_int_equal(dict_lookup(&f->d, x->s, pl, &t, &err),
					 present);
		}
		/* last byte changed */
		k[x->len - 1] ^= 0x01;
		if (k[x->len - 1] != 0) {
			size_t lb = lower_bound(f, k, x->len);
			int present = lb < f->n && f->terms[lb].len == x->len &&
				      !memcmp(f->terms[lb].s, k, x->len);
			assert_int_equal(dict_lookup(&f->d, k, x->len, &t, &err),
					 present);
		}
	}
}

/* Seeks to KEY and checks every term the walk returns up to LIMIT terms
 * against the sorted list. */
static void walk_from(fixture *f, const char *key, size_t len, size_t limit)
{
	trawl_error err;
	dict_iter it;
	assert_int_equal(dict_seek(&f->d, &it, key, len, &err), TRAWL_OK);
	size_t i = lower_bound(f, key, len);
	for (size_t k = 0; k < limit; k++, i++) {
		dterm t;
		int rc = dict_next(&it, &t, &err);
		if (i == f->n) {
			assert_int_equal(rc, 0);
			/* and it stays at the end */
			assert_int_equal(dict_next(&it, &t, &err), 0);
			return;
		}
		assert_int_equal(rc, 1);
		assert_term(&t, &f->terms[i]);
	}
}

static void seek_lands_on_first_term_at_or_after_key(fixture *f)
{
	rng r = { seed + 7 };
	walk_from(f, "", 0, f->n + 1); /* the whole dictionary in order */
	char hi[66];
	memset(hi, 0xff, sizeof hi);
	walk_from(f, hi, 65, 3);
	for (size_t i = 0; i < f->n; i += 1 + f->n / 500) {
		const term *x = &f->terms[i];
		char k[80];
		memcpy(k, x->s, x->len);
		walk_from(f, k, x->len, 3);           /* exact */
		k[x->len] = '\0';
		walk_from(f, k, x->len + 1, 3);       /* just after */
		if (x->len > 1)
			walk_from(f, k, x->len - 1, 3); /* a prefix */
		k[x->len - 1] = (char)rnd(&r);
		walk_from(f, k, x->len, 3);           /* somewhere near */
	}
}

/* Every term that starts with P, in order, by walking from P. */
static void check_prefix(fixture *f, const char *p, size_t plen)
{
	trawl_error err;
	dict_iter it;
	assert_int_equal(dict_seek(&f->d, &it, p, plen, &err), TRAWL_OK);
	size_t i = lower_bound(f, p, plen);
	for (;;) {
		dterm t;
		int rc = dict_next(&it, &t, &err);
		assert_true(rc >= 0);
		int in = rc == 1 && t.len >= plen && !memcmp(t.term, p, plen);
		int want = i < f->n && f->terms[i].len >= plen &&
			   !memcmp(f->terms[i].s, p, plen);
		assert_int_equal(in, want);
		if (!in)
			break;
		assert_term(&t, &f->terms[i]);
		i++;
	}
}

static void prefix_walks_return_exactly_the_prefixed_terms(fixture *f)
{
	rng r = { seed + 11 };
	static const char *fixed[] = { "a", "b", "ab", "ba", "aa", "\x80",
				       "\xc3", "\xff", "\xff\xff", "a\x80" };
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		check_prefix(f, fixed[i], strlen(fixed[i]));
	for (size_t i = 0; i < f->n; i += 1 + f->n / 300) {
		const term *x = &f->terms[i];
		for (size_t pl = 1; pl <= x->len && pl <= 4; pl++)
			check_prefix(f, x->s, pl);
		check_prefix(f, x->s, x->len);
		check_prefix(f, x->s, 1 + rnd(&r) % x->len);
	}
}

#define SIZE_TESTS(N)                                                        \
	static int setup_##N(void **state) { return setup_n(state, N); }     \
	static void test_every_term_is_found_##N(void **state)               \
	{                                                                    \
		every_term_is_found(*state);                                 \
	}                                                                    \
	static void test_absent_keys_are_not_found_##N(void **state)         \
	{                                                                    \
		absent_keys_are_not_found(*state);                           \
	}                                                                    \
	static void test_seek_lands_on_first_term_at_or_after_key_##N(       \
		void **state)                                                \
	{                                                                    \
		seek_lands_on_first_term_at_or_after_key(*state);            \
	}                                                                    \
	static void test_prefix_walk_returns_exactly_the_prefixed_terms_##N( \
		void **state)                                                \
	{                                                                    \
		prefix_walks_return_exactly_the_prefixed_terms(*state);      \
	}

SIZE_TESTS(0)
SIZE_TESTS(1)
SIZE_TESTS(63)
SIZE_TESTS(64)
SIZE_TESTS(65)
SIZE_TESTS(1000)
SIZE_TESTS(20000)

/* ---- limits and damage ------------------------------------------------- */

static int setup_dir(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/trawl-dict-XXXXXX", tmp_base());
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static void test_term_over_255_bytes_is_elimit(void **state)
{
	fixture *f = *state;
	char path[512];
	snprintf(path, sizeof path, "%s/terms", f->dir);
	cfw w;
	trawl_error err;
	assert_int_equal(cfw_open(&w, path, CF_TERMS, &err), TRAWL_OK);
	dict_writer dw;
	dictw_init(&dw, &w);
	int rc = TRAWL_OK;
	char big[DICT_TERM_MAX + 1];
	memset(big, 'a', sizeof big);
	dictw_add(&rc, &dw, big, DICT_TERM_MAX, 1, 1, 1);
	assert_int_equal(rc, TRAWL_OK);
	dictw_add(&rc, &dw, "b", 1, 1, 1, 1);
	assert_int_equal(rc, TRAWL_OK);
	char big2[DICT_TERM_MAX + 2];
	memset(big2, 'c', sizeof big2);
	dictw_add(&rc, &dw, big2, DICT_TERM_MAX + 1, 1, 1, 1);
	assert_int_equal(rc, TRAWL_ELIMIT);
	dictw_free(&dw);
	cfw_abort(&w);
}

static void test_term_of_255_bytes_round_trips(void **state)
{
	fixture *f = *state;
	char path[512];
	snprintf(path, sizeof path, "%s/terms", f->dir);
	cfw w;
	trawl_error err;
	assert_int_equal(cfw_open(&w, path, CF_TERMS, &err), TRAWL_OK);
	dict_writer dw;
	dictw_init(&dw, &w);
	int rc = TRAWL_OK;
	char big[DICT_TERM_MAX];
	memset(big, 'q', sizeof big);
	dictw_add(&rc, &dw, big, DICT_TERM_MAX - 1, 3, 10, 20);
	dictw_add(&rc, &dw, big, DICT_TERM_MAX, 4, 11, 21);
	dictw_finish(&rc, &dw);
	dictw_free(&dw);
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(cfw_close(&w, &err), TRAWL_OK);
	f->n = 2;
	open_dict(f);
	dterm d;
	assert_int_equal(dict_lookup(&f->d, big, DICT_TERM_MAX, &d, &err), 1);
	assert_int_equal(d.len, DICT_TERM_MAX);
	assert_int_equal(d.df, 4);
	assert_int_equal(d.post_off, 10);
	assert_int_equal(d.pos_off, 20);
	assert_int_equal(d.post_len, 11);
	assert_int_equal(dict_lookup(&f->d, big, DICT_TERM_MAX - 1, &d, &err), 1);
	assert_int_equal(d.df, 3);
}

/* Writes DATA as the terms file (valid checksums) and opens it. */
static int open_raw(fixture *f, const uint8_t *data, size_t n,
		    trawl_error *err)
{
	char path[512];
	snprintf(path, sizeof path, "%s/terms", f->dir);
	unlink(path);
	cfw w;
	assert_int_equal(cfw_open(&w, path, CF_TERMS, err), TRAWL_OK);
	int rc = TRAWL_OK;
	cfw_write(&rc, &w, data, n);
	assert_int_equal(cfw_close(&w, err), TRAWL_OK);
	assert_int_equal(cf_open(&f->f, f->dir, "terms", CF_TERMS, err), TRAWL_OK);
	return dict_open(&f->d, &f->f, err);
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A valid 130-term dictionary's data bytes. */
static uint8_t *valid_data(fixture *f, size_t *n)
{
	rng r = { seed + 99 };
	free(f->terms);
	f->n = 130;
	f->terms = make_terms(&r, f->n);
	write_dict(f->dir, f->terms, f->n);
	cfile c;
	trawl_error err;
	assert_int_equal(cf_open(&c, f->dir, "terms", CF_TERMS, &err), TRAWL_OK);
	const uint8_t *p;
	assert_int_equal(cf_range(&c, 0, c.data_len, &p, &err), TRAWL_OK);
	uint8_t *d = malloc(c.data_len);
	assert_non_null(d);
	memcpy(d, p, c.data_len);
	*n = c.data_len;
	cf_close(&c);
	return d;
}

static void expect_corrupt(int rc, const trawl_error *err)
{
	assert_int_equal(rc, TRAWL_ECORRUPT);
	if (!strstr(err->message, "terms"))
		fail_msg("message does not name the file: %s", err->message);
}

static void test_bad_tail_is_corrupt(void **state)
{
	fixture *f = *state;
	size_t n;
	uint8_t *d = valid_data(f, &n);
	uint8_t *tail = d + n - 24;
	uint64_t index_off = get_u64le(tail), nblocks = get_u64le(tail + 8),
		 nterms = get_u64le(tail + 16);
	assert_int_equal(nblocks, 3);
	const uint64_t bad[][3] = {
		{ index_off + 1, nblocks, nterms },
		{ index_off - 8, nblocks, nterms },
		{ n, nblocks, nterms },
		{ UINT64_MAX, nblocks, nterms },
		{ index_off, nblocks + 1, nterms },
		{ index_off, nblocks, nterms + 64 },
		{ index_off, nblocks, 128 },
		{ index_off, nblocks, UINT64_MAX },
		{ index_off, nblocks, UINT64_MAX - 62 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		put64(tail, bad[i][0]);
		put64(tail + 8, bad[i][1]);
		put64(tail + 16, bad[i][2]);
		trawl_error err;
		memset(&err, 0, sizeof err);
		int rc = open_raw(f, d, n, &err);
		cf_close(&f->f);
		if (rc != TRAWL_ECORRUPT)
			fail_msg("tail %zu accepted", i);
		expect_corrupt(rc, &err);
	}
	trawl_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(open_raw(f, d, 10, &err), TRAWL_ECORRUPT);
	cf_close(&f->f);
	free(d);
}

static void test_bad_block_offset_is_corrupt(void **state)
{
	fixture *f = *state;
	size_t n;
	uint8_t *d = valid_data(f, &n);
	uint64_t index_off = get_u64le(d + n - 24);
	const uint64_t bad[] = { 1000000, UINT64_MAX, index_off, index_off - 8 };
	for (size_t b = 0; b < 3; b++)
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			uint8_t *c = malloc(n);
			assert_non_null(c);
			memcpy(c, d, n);
			put64(c + index_off + 8 * b, bad[i]);
			trawl_error err;
			memset(&err, 0, sizeof err);
			assert_int_equal(open_raw(f, c, n, &err), TRAWL_OK);
			/* a lookup of every term must reach the bad block */
			int seen = 0;
			for (size_t k = 0; k < f->n; k++) {
				dterm t;
				int rc = dict_lookup(&f->d, f->terms[k].s,
						     f->terms[k].len, &t, &err);
				assert_true(rc == 1 || rc == 0 || rc == TRAWL_ECORRUPT);
				if (rc == TRAWL_ECORRUPT) {
					expect_corrupt(rc, &err);
					seen = 1;
				}
			}
			assert_true(seen);
			cf_close(&f->f);
			free(c);
		}
	free(d);
}

static void test_prefix_longer_than_previous_term_is_corrupt(void **state)
{
	fixture *f = *state;
	/* one block: u64 post_off | u64 pos_off | entries | index | tail */
	uint8_t d[256];
	size_t n = 0;
	put64(d, 0);
	put64(d + 8, 0);
	n = 16;
	const uint8_t e1[] = { 0, 2, 'a', 'b', 1, 0, 0 };   /* "ab" */
	const uint8_t e2[] = { 3, 1, 'c', 1, 0, 0 };       /* prefix 3 > 2 */
	memcpy(d + n, e1, sizeof e1);
	n += sizeof e1;
	memcpy(d + n, e2, sizeof e2);
	n += sizeof e2;
	uint64_t index_off = n;
	put64(d + n, 0);
	n += 8;
	put64(d + n, index_off);
	put64(d + n + 8, 1);
	put64(d + n + 16, 2);
	n += 24;
	trawl_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(open_raw(f, d, n, &err), TRAWL_OK);
	dterm t;
	assert_int_equal(dict_lookup(&f->d, "ab", 2, &t, &err), 1);
	memset(&err, 0, sizeof err);
	expect_corrupt(dict_lookup(&f->d, "abc", 3, &t, &err), &err);
	dict_iter it;
	assert_int_equal(dict_seek(&f->d, &it, "", 0, &err), TRAWL_OK);
	assert_int_equal(dict_next(&it, &t, &err), 1);
	expect_corrupt(dict_next(&it, &t, &err), &err);
	cf_close(&f->f);
}

static void test_entry_running_past_block_is_corrupt(void **state)
{
	fixture *f = *state;
	uint8_t d[256];
	put64(d, 0);
	put64(d + 8, 0);
	size_t n = 16;
	/* suffix length 200 in a block of a few bytes */
	const uint8_t e1[] = { 0, 200, 'a', 'b', 1, 0, 0 };
	memcpy(d + n, e1, sizeof e1);
	n += sizeof e1;
	uint64_t index_off = n;
	put64(d + n, 0);
	n += 8;
	put64(d + n, index_off);
	put64(d + n + 8, 1);
	put64(d + n + 16, 1);
	n += 24;
	trawl_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(open_raw(f, d, n, &err), TRAWL_OK);
	dterm t;
	expect_corrupt(dict_lookup(&f->d, "ab", 2, &t, &err), &err);
	cf_close(&f->f);
	/* a df over 32 bits */
	const uint8_t e2[] = { 0, 1, 'a', 0x80, 0x80, 0x80, 0x80, 0x10, 0, 0 };
	n = 16;
	memcpy(d + n, e2, sizeof e2);
	n += sizeof e2;
	index_off = n;
	put64(d + n, 0);
	n += 8;
	put64(d + n, index_off);
	put64(d + n + 8, 1);
	put64(d + n + 16, 1);
	n += 24;
	assert_int_equal(open_raw(f, d, n, &err), TRAWL_OK);
	expect_corrupt(dict_lookup(&f->d, "a", 1, &t, &err), &err);
	cf_close(&f->f);
}

static int teardown_dir(void **state)
{
	fixture *f = *state;
	cf_close(&f->f);
	char path[512];
	snprintf(path, sizeof path, "%s/terms", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f->terms);
	free(f);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	const char *s = getenv("TRAWL_SEED");
	seed = s ? strtoull(s, NULL, 0) : 20251125u;
	print_message("test_dict seed %llu (set TRAWL_SEED to replay)\n",
		      (unsigned long long)seed);
	return 0;
}

int main(void)
{
#define SIZE(N)                                                              \
	cmocka_unit_test_setup_teardown(test_every_term_is_found_##N,        \
					setup_##N, teardown),                \
	cmocka_unit_test_setup_teardown(test_absent_keys_are_not_found_##N,  \
					setup_##N, teardown),                \
	cmocka_unit_test_setup_teardown(                                     \
		test_seek_lands_on_first_term_at_or_after_key_##N, setup_##N, \
		teardown),                                                   \
	cmocka_unit_test_setup_teardown(                                     \
		test_prefix_walk_returns_exactly_the_prefixed_terms_##N,     \
		setup_##N, teardown)
#define D(x) cmocka_unit_test_setup_teardown(x, setup_dir, teardown_dir)
	const struct CMUnitTest tests[] = {
		SIZE(0), SIZE(1), SIZE(63), SIZE(64), SIZE(65), SIZE(1000),
		SIZE(20000),
		D(test_term_over_255_bytes_is_elimit),
		D(test_term_of_255_bytes_round_trips),
		D(test_bad_tail_is_corrupt),
		D(test_bad_block_offset_is_corrupt),
		D(test_prefix_longer_than_previous_term_is_corrupt),
		D(test_entry_running_past_block_is_corrupt),
	};
#undef SIZE
#undef D
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
