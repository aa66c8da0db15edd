/*
 * test_keysort.c -- keysort (keysort.h), and the order built on it:
 * the memindex's terms (by their bytes, unsigned, a term before its
 * extensions, however many leading bytes they share).
 * Each result is checked against a plain comparison sort of the same
 * records.
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

#include "trawl.h"
#include "keysort.h"
#include "memindex.h"

static rng rng_state = { 20261126u };

/* by key, then by the position the record had (stability) */
static int cmp_key_then_val(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->val < y->val ? -1 : x->val > y->val;
}

/* Sorts N records whose keys come from KEY_OF and checks the result
 * against qsort of the same records; each val is its input position, so
 * a stable sort's equal keys keep increasing vals. */
static void check_sort(size_t n, uint64_t (*key_of)(size_t i))
{
	keyed *a = malloc((n ? n : 1) * sizeof *a);
	keyed *t = malloc((n ? n : 1) * sizeof *t);
	keyed *want = malloc((n ? n : 1) * sizeof *want);
	assert_non_null(a);
	assert_non_null(t);
	assert_non_null(want);
	for (size_t i = 0; i < n; i++) {
		a[i].key = key_of(i);
		a[i].val = (uint32_t)i;
	}
	memcpy(want, a, n * sizeof *a);
	qsort(want, n, sizeof *want, cmp_key_then_val);
	keysort(a, t, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(a[i].key == want[i].key);
		assert_int_equal(a[i].val, want[i].val);
	}
	free(a);
	free(t);
	free(want);
}

static uint64_t random_key(size_t i)
{
	(void)i;
	return rnd(&rng_state);
}

/* few distinct keys: long runs of equal ones */
static uint64_t few_keys(size_t i)
{
	(void)i;
	return (rnd(&rng_state) % 7) << 40 | 0x1234;
}

/* keys that differ in one byte only, each byte in turn */
static uint64_t one_byte_apart(size_t i)
{
	unsigned byte = (unsigned)(i % 8);
	return 0x0101010101010101ull ^
	       ((rnd(&rng_state) & 0xff) << (8 * byte));
}

static uint64_t all_equal(size_t i)
{
	(void)i;
	return 42;
}

static uint64_t descending(size_t i)
{
	return UINT64_MAX - i;
}

static void test_random_keys_sort_as_qsort_does(void **state)
{
	(void)state;
	check_sort(10000, random_key);
	check_sort(1000, few_keys);
	check_sort(1000, one_byte_apart);
	check_sort(257, descending);
}

static void test_equal_keys_keep_their_order(void **state)
{
	(void)state;
	check_sort(500, all_equal);
	check_sort(3000, few_keys);
}

static void test_zero_and_one_record(void **state)
{
	(void)state;
	check_sort(0, random_key);
	check_sort(1, random_key);
	keyed a[2] = { { UINT64_MAX, 1 }, { 0, 2 } }, t[2];
	keysort(a, t, 2);
	assert_true(a[0].key == 0 && a[1].key == UINT64_MAX);
	assert_int_equal(a[0].val, 2);
	assert_int_equal(a[1].val, 1);
}

/* ---- the memindex's term order ------------------------------------------ */

static int cmp_cstr(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t nx = strlen(x), ny = strlen(y), n = nx < ny ? nx : ny;
	int c = memcmp(x, y, n); /* unsigned bytes */
	return c ? c : (nx > ny) - (nx < ny);
}

static void test_memindex_terms_sort_by_their_bytes(void **state)
{
	(void)state;
	/* shared 8-byte prefixes, a term that is another's prefix, bytes
	 * over 0x7f (UTF-8), lengths from 1 to past 8 */
	static const char *fixed[] = {
		"internationalisation", "international", "internationally",
		"internat", "internal", "intern", "in", "i", "z",
		"\xc3\xa9t\xc3\xa9", "\xc3\xa9", "zz", "abcdefgh", "abcdefghi",
		"abcdefgha", "abcdefg", "abcdefgh\xc3\xa9", "0", "00000000",
		"000000000", "9",
	};
	size_t nfixed = sizeof fixed / sizeof *fixed, n = nfixed + 3000;
	char **terms = malloc(n * sizeof *terms);
	assert_non_null(terms);
	for (size_t i = 0; i < nfixed; i++)
		terms[i] = strdup(fixed[i]);
	for (size_t i = nfixed; i < n; i++) {
		/* random terms over a small alphabet share long prefixes */
		char s[24];
		size_t len = 1 + rnd(&rng_state) % 20;
		for (size_t k = 0; k < len; k++)
			s[k] = "abz\xc3"[rnd(&rng_state) % 4];
		s[len] = '\0';
		terms[i] = strdup(s);
	}
	memindex *m;
	assert_int_equal(mi_new(&m, 64u << 20), TRAWL_OK);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(terms[i]);
		assert_int_not_equal(mi_intern(m, terms[i], strlen(terms[i])),
				     UINT32_MAX);
	}
	/* the distinct terms, sorted the plain way */
	qsort(terms, n, sizeof *terms, cmp_cstr);
	size_t nd = 0;
	for (size_t i = 0; i < n; i++)
		if (nd == 0 || strcmp(terms[nd - 1], terms[i]) != 0)
			terms[nd++] = terms[i];
		else
			free(terms[i]);
	trawl_error err;
	assert_int_equal(mi_sort(m, &err), TRAWL_OK);
	assert_int_equal(mi_nterms(m), nd);
	for (size_t i = 0; i < nd; i++) {
		const char *s;
		size_t len;
		uint32_t df;
		uint64_t nbytes;
		mi_term(m, i, &s, &len, &df, &nbytes);
		assert_int_equal(len, strlen(terms[i]));
		assert_memory_equal(s, terms[i], len);
	}
	for (size_t i = 0; i < nd; i++)
		free(terms[i]);
	free(terms);
	mi_free(m);
}

/* The term of each I-th sorted term of M, NUL-ended, in OUT. */
static void term_at(memindex *m, size_t i, char *out, uint32_t *df)
{
	const char *s;
	size_t len;
	uint64_t nbytes;
	mi_term(m, i, &s, &len, df, &nbytes);
	memcpy(out, s, len);
	out[len] = '\0';
}

/* Pair words take ids 0.. of every run; two of them a position apart
 * in one field add the pair's term at the first one's position; a pair
 * word no document of the run had is not one of its terms. */
static void test_memindex_word_pairs(void **state)
{
	(void)state;
	static const char *const words[] = { "the", "of", "in" };
	memindex *m;
	assert_int_equal(mi_new(&m, 64u << 20), TRAWL_OK);
	assert_int_equal(mi_set_pairs(m, words, 3), TRAWL_OK);
	assert_int_equal(mi_intern(m, "of", 2), 1);
	uint32_t one = mi_intern(m, "one", 3);
	/* title "one of the", body "the of | of" (a field bit apart,
	 * then a gap: no pair across either) */
	uint32_t ids[] = { one, 1, 0, 0, 1, 1 };
	uint32_t pos[] = { 0, 1, 2, 0x80000000u, 0x80000001u, 0x80000003u };
	assert_int_equal(mi_add_doc(m, 0, ids, pos, 6), TRAWL_OK);
	trawl_error err;
	assert_int_equal(mi_sort(m, &err), TRAWL_OK);
	/* "\1of the", "\1the of", "of", "one", "the"; not "in" */
	assert_int_equal(mi_nterms(m), 5);
	char t[64];
	uint32_t df;
	term_at(m, 0, t, &df);
	assert_string_equal(t, "\001of the");
	term_at(m, 1, t, &df);
	assert_string_equal(t, "\001the of");
	term_at(m, 4, t, &df);
	assert_string_equal(t, "the");
	/* "\1of the" once in the title, at 1: docno gap 0, tf 1 and 0, gap 1 */
	uint8_t p[16];
	uint64_t nbytes;
	const char *s;
	size_t len;
	mi_term(m, 0, &s, &len, &df, &nbytes);
	assert_int_equal(df, 1);
	assert_int_equal(nbytes, 4);
	mi_payload(m, 0, p);
	assert_memory_equal(p, "\0\1\0\1", 4);
	/* "\1the of" once in the body, at 0: gap 0, tf 0 and 1, gap 0 */
	mi_term(m, 1, &s, &len, &df, &nbytes);
	assert_int_equal(nbytes, 4);
	mi_payload(m, 1, p);
	assert_memory_equal(p, "\0\0\1\0", 4);
	mi_free(m);
	/* bad lists are refused */
	static const char *const twice[] = { "the", "the" };
	static const char *const spaced[] = { "the end" };
	assert_int_equal(mi_new(&m, 64u << 20), TRAWL_OK);
	assert_int_equal(mi_set_pairs(m, twice, 2), TRAWL_EINVAL);
	assert_int_equal(mi_set_pairs(m, spaced, 1), TRAWL_EINVAL);
	mi_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_keys_sort_as_qsort_does),
		cmocka_unit_test(test_equal_keys_keep_their_order),
		cmocka_unit_test(test_zero_and_one_record),
		cmocka_unit_test(test_memindex_terms_sort_by_their_bytes),
		cmocka_unit_test(test_memindex_word_pairs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
