/*
 * test_codec.c -- varints, the fixed-width readers and the block codec
 * of codec.h (PFor and Rice): round trips of every length 1..PC_BLOCK and
 * every bit width 0..32, exceptions, Rice for skewed runs, and ECORRUPT
 * for truncated, overlong and malformed input.  Encoded bytes are always copied into a malloc of
 * exactly their size, so an over-read is an ASan error, not luck.
 * Random values come from a seeded generator (TRAWL_SEED overrides it).
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
#include "buf.h"
#include "codec.h"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A value of exactly BITS significant bits (0 for 0 bits). */
static uint32_t value_of_width(unsigned bits)
{
	if (bits == 0)
		return 0;
	uint32_t top = (uint32_t)1 << (bits - 1);
	uint32_t low = bits == 1 ? 0 : (uint32_t)rnd() & (top - 1);
	return top | low;
}

/* A value of at most BITS bits. */
static uint32_t value_below_width(unsigned bits)
{
	if (bits == 0)
		return 0;
	if (bits == 32)
		return (uint32_t)rnd();
	return (uint32_t)rnd() & (((uint32_t)1 << bits) - 1);
}

/* A malloc'd copy of exactly N bytes (at least one byte is allocated, so
 * a zero-length copy is still a distinct pointer; reads stop at p + n). */
static uint8_t *exact_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);
	assert_non_null(c);
	if (n)
		memcpy(c, p, n);
	return c;
}

static void encode(buf *b, const uint32_t *v, size_t n)
{
	int rc = TRAWL_OK;
	buf_reset(b);
	pc_encode(&rc, b, v, n);
	assert_int_equal(rc, TRAWL_OK);
}

static int header_is_valid(uint8_t h)
{
	return h <= 32 || (h >= PC_NOEXC && h <= PC_NOEXC + 32) ||
	       (h >= PC_RICE && h < PC_RICE_LEN + 32);
}

static void encode_skippable(buf *b, const uint32_t *v, size_t n)
{
	int rc = TRAWL_OK;
	buf_reset(b);
	pc_encode_skippable(&rc, b, v, n);
	assert_int_equal(rc, TRAWL_OK);
}

static void check_decodes(const buf *b, const uint32_t *v, size_t n);

/* Encodes v[0..n) in both forms, checks pc_size, decodes from an
 * exact-size copy and checks every value, that decode and skip consume
 * every byte. */
static void pfor_round_trip(const uint32_t *v, size_t n)
{
	buf b;
	buf_init(&b);
	encode(&b, v, n);
	assert_int_equal(b.n, pc_size(v, n));
	assert_true(header_is_valid(b.p[0]));
	assert_true(b.p[0] < PC_RICE_LEN);
	check_decodes(&b, v, n);
	encode_skippable(&b, v, n);
	assert_true(header_is_valid(b.p[0]));
	assert_true(b.p[0] < PC_RICE || b.p[0] >= PC_RICE_LEN);
	check_decodes(&b, v, n);
	buf_free(&b);
}

static void check_decodes(const buf *bp, const uint32_t *v, size_t n)
{
	const buf b = *bp;

	uint8_t *enc = exact_copy(b.p, b.n);
	uint32_t out[PC_BLOCK];
	rd r = { enc, enc + b.n };
	assert_int_equal(pc_decode(&r, out, n), TRAWL_OK);
	assert_ptr_equal(r.p, enc + b.n);
	for (size_t i = 0; i < n; i++)
		if (out[i] != v[i])
			fail_msg("n=%zu width=%u: value %zu is %u, want %u", n,
				 enc[0], i, out[i], v[i]);

	rd s = { enc, enc + b.n };
	assert_int_equal(pc_skip(&s, n), TRAWL_OK);
	assert_ptr_equal(s.p, enc + b.n);
	free(enc);

	/* followed by more bytes (all ones), as inside a record: the
	 * decoder may read them, but the values, where it stops and what
	 * it writes (nothing past n) are the same */
	enum { MORE = 40 };
	enc = malloc(b.n + MORE);
	assert_non_null(enc);
	memcpy(enc, b.p, b.n);
	memset(enc + b.n, 0xff, MORE);
	uint32_t wide[PC_BLOCK + 8];
	for (size_t i = 0; i < PC_BLOCK + 8; i++)
		wide[i] = 0x5eed0000u + (uint32_t)i;
	rd m = { enc, enc + b.n + MORE };
	assert_int_equal(pc_decode(&m, wide, n), TRAWL_OK);
	assert_ptr_equal(m.p, enc + b.n);
	for (size_t i = 0; i < n; i++)
		if (wide[i] != v[i])
			fail_msg("n=%zu width=%u, more bytes after: value %zu is "
				 "%u, want %u", n, enc[0], i, wide[i], v[i]);
	for (size_t i = n; i < PC_BLOCK + 8; i++)
		assert_int_equal(wide[i], 0x5eed0000u + (uint32_t)i);
	free(enc);
}

/* Every proper prefix of the encoded block B (of N values) is refused by
 * both decode and skip. */
static void expect_every_cut_corrupt(const buf *b, size_t n)
{
	for (size_t cut = 0; cut < b->n; cut++) {
		uint8_t *e = exact_copy(b->p, cut);
		uint32_t out[PC_BLOCK];
		rd r = { e, e + cut };
		assert_int_equal(pc_decode(&r, out, n), TRAWL_ECORRUPT);
		rd s = { e, e + cut };
		assert_int_equal(pc_skip(&s, n), TRAWL_ECORRUPT);
		free(e);
	}
}

static void put_varint(uint8_t *out, size_t *len, uint64_t v)
{
	int rc = TRAWL_OK;
	buf b;
	buf_init(&b);
	buf_put_varint(&rc, &b, v);
	assert_int_equal(rc, TRAWL_OK);
	memcpy(out, b.p, b.n);
	*len = b.n;
	buf_free(&b);
}

/* Values around every power of two up to 2^64. */
static size_t interesting_u64(uint64_t *v)
{
	size_t n = 0;
	v[n++] = 0;
	for (unsigned k = 1; k < 64; k++) {
		uint64_t p = (uint64_t)1 << k;
		v[n++] = p - 1;
		v[n++] = p;
		v[n++] = p + 1;
	}
	v[n++] = UINT64_MAX;
	v[n++] = UINT64_MAX - 1;
	return n;
}

/* ---- varints ----------------------------------------------------------- */

static void test_varint_round_trips_every_width(void **state)
{
	(void)state;
	uint64_t vals[256];
	size_t nv = interesting_u64(vals);
	for (size_t i = 0; i < 50; i++)
		vals[nv + i] = rnd() >> (rnd() % 64);
	for (size_t i = 0; i < nv + 50; i++) {
		uint8_t t[16];
		size_t len;
		put_varint(t, &len, vals[i]);
		size_t want = 1;
		for (uint64_t x = vals[i]; x >= 0x80; x >>= 7)
			want++;
		assert_int_equal(len, want);
		uint8_t *e = exact_copy(t, len);
		rd r = { e, e + len };
		uint64_t got = 0;
		assert_int_equal(rd_varint(&r, &got), TRAWL_OK);
		assert_true(got == vals[i]);
		assert_ptr_equal(r.p, e + len);
		free(e);
	}
}

static void test_varint32_round_trips_every_width(void **state)
{
	(void)state;
	for (unsigned bits = 0; bits <= 32; bits++)
		for (int k = 0; k < 50; k++) {
			uint32_t v = k == 0 ? (bits ? (uint32_t)(((uint64_t)1 << bits) - 1) : 0)
					    : value_of_width(bits);
			uint8_t t[16];
			size_t len;
			put_varint(t, &len, v);
			assert_true(len <= 5);
			uint8_t *e = exact_copy(t, len);
			rd r = { e, e + len };
			uint32_t got = 0;
			assert_int_equal(rd_varint32(&r, &got), TRAWL_OK);
			assert_int_equal(got, v);
			assert_ptr_equal(r.p, e + len);
			free(e);
		}
}

static void test_varint_consecutive_values_read_in_order(void **state)
{
	(void)state;
	int rc = TRAWL_OK;
	buf b;
	buf_init(&b);
	uint64_t v[300];
	for (size_t i = 0; i < 300; i++) {
		v[i] = rnd() >> (rnd() % 64);
		buf_put_varint(&rc, &b, v[i]);
	}
	assert_int_equal(rc, TRAWL_OK);
	uint8_t *e = exact_copy(b.p, b.n);
	rd r = { e, e + b.n };
	for (size_t i = 0; i < 300; i++) {
		uint64_t got;
		assert_int_equal(rd_varint(&r, &got), TRAWL_OK);
		assert_true(got == v[i]);
	}
	uint64_t extra;
	assert_int_equal(rd_varint(&r, &extra), TRAWL_ECORRUPT);
	free(e);
	buf_free(&b);
}

static void test_varint_truncated_is_corrupt(void **state)
{
	(void)state;
	uint64_t vals[256];
	size_t nv = interesting_u64(vals);
	for (size_t i = 0; i < nv; i++) {
		uint8_t t[16];
		size_t len;
		put_varint(t, &len, vals[i]);
		for (size_t cut = 0; cut < len; cut++) {
			uint8_t *e = exact_copy(t, cut);
			rd r = { e, e + cut };
			uint64_t got;
			assert_int_equal(rd_varint(&r, &got), TRAWL_ECORRUPT);
			if (vals[i] <= UINT32_MAX) {
				rd r32 = { e, e + cut };
				uint32_t g32;
				assert_int_equal(rd_varint32(&r32, &g32),
						 TRAWL_ECORRUPT);
			}
			free(e);
		}
	}
}

static void test_varint_over_10_bytes_is_corrupt(void **state)
{
	(void)state;
	uint8_t t[11];
	memset(t, 0x80, sizeof t);
	t[10] = 0x00;
	uint8_t *e = exact_copy(t, 11);
	rd r = { e, e + 11 };
	uint64_t v;
	assert_int_equal(rd_varint(&r, &v), TRAWL_ECORRUPT);
	free(e);
}

static void test_varint_tenth_byte_over_one_is_corrupt(void **state)
{
	(void)state;
	/* 2^64 - 1 is ff x9 | 01; a tenth byte of 02 or more overflows */
	uint8_t t[10];
	memset(t, 0xff, 9);
	t[9] = 0x01;
	uint8_t *e = exact_copy(t, 10);
	rd r = { e, e + 10 };
	uint64_t v;
	assert_int_equal(rd_varint(&r, &v), TRAWL_OK);
	assert_true(v == UINT64_MAX);
	free(e);
	for (unsigned last = 2; last < 0x100; last++) {
		t[9] = (uint8_t)last;
		e = exact_copy(t, 10);
		rd r2 = { e, e + 10 };
		assert_int_equal(rd_varint(&r2, &v), TRAWL_ECORRUPT);
		free(e);
	}
}

static void test_varint32_over_5_bytes_is_corrupt(void **state)
{
	(void)state;
	uint8_t t[6] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 };
	uint8_t *e = exact_copy(t, 6);
	rd r = { e, e + 6 };
	uint32_t v;
	assert_int_equal(rd_varint32(&r, &v), TRAWL_ECORRUPT);
	free(e);
}

static void test_varint32_fifth_byte_over_15_is_corrupt(void **state)
{
	(void)state;
	uint8_t t[5] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	uint8_t *e = exact_copy(t, 5);
	rd r = { e, e + 5 };
	uint32_t v;
	assert_int_equal(rd_varint32(&r, &v), TRAWL_OK);
	assert_int_equal(v, UINT32_MAX);
	free(e);
	for (unsigned last = 0x10; last < 0x100; last++) {
		t[4] = (uint8_t)last;
		e = exact_copy(t, 5);
		rd r2 = { e, e + 5 };
		assert_int_equal(rd_varint32(&r2, &v), TRAWL_ECORRUPT);
		free(e);
	}
}

static void test_fixed_width_reads_past_end_are_corrupt(void **state)
{
	(void)state;
	const uint8_t t[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	for (size_t n = 0; n <= 9; n++) {
		uint8_t *e = exact_copy(t, n);
		rd r = { e, e + n };
		uint8_t u8;
		uint32_t u32;
		uint64_t u64;
		const uint8_t *p;
		assert_int_equal(rd_u8(&r, &u8), n >= 1 ? TRAWL_OK : TRAWL_ECORRUPT);
		r.p = e;
		assert_int_equal(rd_u32le(&r, &u32), n >= 4 ? TRAWL_OK : TRAWL_ECORRUPT);
		if (n >= 4)
			assert_int_equal(u32, 0x04030201u);
		r.p = e;
		assert_int_equal(rd_u64le(&r, &u64), n >= 8 ? TRAWL_OK : TRAWL_ECORRUPT);
		if (n >= 8)
			assert_true(u64 == 0x0807060504030201ull);
		r.p = e;
		assert_int_equal(rd_bytes(&r, n, &p), TRAWL_OK);
		assert_ptr_equal(r.p, e + n);
		r.p = e;
		assert_int_equal(rd_bytes(&r, n + 1, &p), TRAWL_ECORRUPT);
		assert_ptr_equal(r.p, e);
		assert_int_equal(rd_bytes(&r, SIZE_MAX, &p), TRAWL_ECORRUPT);
		free(e);
	}
}

/* ---- PFor round trips -------------------------------------------------- */

static void test_pfor_round_trips_every_length_and_width(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK];
	for (size_t n = 1; n <= PC_BLOCK; n++)
		for (unsigned bits = 0; bits <= 32; bits++) {
			for (size_t i = 0; i < n; i++)
				v[i] = value_below_width(bits);
			/* at least one value of exactly this width */
			v[rnd() % n] = value_of_width(bits);
			pfor_round_trip(v, n);
		}
}

/* The same with the scalar unpacker, where the SSE4.1 one is in use
 * (both must decode every width and length alike). */
static void test_pfor_round_trips_every_length_and_width_scalar(void **state)
{
	int simd = pc_simd_unpack;
#if defined(__x86_64__) && defined(__GNUC__)
	/* and the other test used the SSE4.1 one, where there is one */
	assert_int_equal(simd, __builtin_cpu_supports("sse4.1") ? 1 : 0);
#endif
	pc_simd_unpack = 0;
	test_pfor_round_trips_every_length_and_width(state);
	pc_simd_unpack = simd;
}

static void test_pfor_round_trips_mixed_widths(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK];
	for (int trial = 0; trial < 3000; trial++) {
		size_t n = 1 + rnd() % PC_BLOCK;
		for (size_t i = 0; i < n; i++)
			v[i] = value_below_width((unsigned)(rnd() % 33));
		pfor_round_trip(v, n);
	}
}

static void test_pfor_outliers_become_exceptions(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK];
	const uint32_t huge[] = { 0xffffffffu, 0x80000000u, 0x12345678u,
				  1u << 20, 0xfffffffeu };
	for (size_t n = 8; n <= PC_BLOCK; n++) {
		for (size_t i = 0; i < n; i++)
			v[i] = (uint32_t)(rnd() % 8);
		size_t nout = 1 + rnd() % 3;
		for (size_t k = 0; k < nout; k++)
			v[rnd() % n] = huge[rnd() % 5];
		buf b;
		buf_init(&b);
		encode(&b, v, n);
		/* a few outliers must not widen every value to their size */
		assert_true(b.p[0] < 20);
		assert_true(b.p[1] >= 1 && b.p[1] <= nout);
		buf_free(&b);
		pfor_round_trip(v, n);
	}
}

static void test_pfor_one_outlier_in_zeros_uses_width_zero(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK] = { 0 };
	v[77] = 0xffffffffu;
	buf b;
	buf_init(&b);
	encode(&b, v, PC_BLOCK);
	assert_int_equal(b.p[0], 0);
	assert_int_equal(b.p[1], 1);
	buf_free(&b);
	pfor_round_trip(v, PC_BLOCK);
	v[0] = 1;
	v[PC_BLOCK - 1] = 0x7fffffffu;
	pfor_round_trip(v, PC_BLOCK);
}

static void test_pfor_all_zeros_is_one_byte(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK] = { 0 };
	for (size_t n = 1; n <= PC_BLOCK; n++) {
		buf b;
		buf_init(&b);
		encode(&b, v, n);
		assert_int_equal(b.n, 1);
		assert_int_equal(b.p[0], PC_NOEXC);
		buf_free(&b);
		pfor_round_trip(v, n);
	}
}

static void test_pfor_all_max_uses_width_32(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK];
	for (size_t i = 0; i < PC_BLOCK; i++)
		v[i] = UINT32_MAX;
	for (size_t n = 1; n <= PC_BLOCK; n++) {
		buf b;
		buf_init(&b);
		encode(&b, v, n);
		assert_int_equal(b.p[0], PC_NOEXC + 32);
		assert_int_equal(b.n, 1 + 4 * n);
		buf_free(&b);
		pfor_round_trip(v, n);
	}
}

/* ---- Rice -------------------------------------------------------------- */

/* Mostly small values with a long tail (like docno gaps of a rare word):
 * PFor would need a wide width or many exceptions. */
static void skewed(uint32_t *v, size_t n, unsigned scale)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t x = 0;
		while (rnd() % 3)
			x++; /* geometric, mean 2 */
		v[i] = (x << scale) | ((uint32_t)rnd() & ((1u << scale) - 1));
	}
}

static void test_rice_is_chosen_for_skewed_runs_and_round_trips(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK];
	size_t rice = 0, trials = 0;
	for (unsigned scale = 0; scale <= 20; scale++)
		for (size_t n = 16; n <= PC_BLOCK; n += 16) {
			skewed(v, n, scale);
			buf b;
			buf_init(&b);
			encode(&b, v, n);
			trials++;
			if (b.p[0] >= PC_RICE) {
				rice++;
				/* k is near log2 of the values' spread */
				unsigned k = b.p[0] - PC_RICE;
				if (!(k + 3 >= scale && k <= scale + 3))
					fail_msg("scale %u n %zu: k %u", scale, n, k);
				/* its length byte may tip the balance to PFor */
				encode_skippable(&b, v, n);
				assert_true(b.p[0] == PC_RICE_LEN + k ||
					    b.p[0] < PC_RICE);
			}
			buf_free(&b);
			pfor_round_trip(v, n);
		}
	/* nearly always Rice: a geometric run is what it is for */
	assert_true(rice * 10 >= trials * 9);
}

static void test_rice_smaller_than_pfor_on_skewed_runs(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK];
	size_t total = 0, widest = 0;
	for (int trial = 0; trial < 100; trial++) {
		skewed(v, PC_BLOCK, 4);
		total += pc_size(v, PC_BLOCK);
		uint32_t m = 0;
		for (size_t i = 0; i < PC_BLOCK; i++)
			m |= v[i];
		widest += 1 + (PC_BLOCK * (32 - (size_t)__builtin_clz(m)) + 7) / 8;
	}
	/* mean ~6 bits a value against ~8-9 for plain packing */
	assert_true(total * 100 < widest * 85);
}

/* Hand-made Rice blocks, n = 3, k = 1: values 1, 4, 3 = low bits 1 0 1,
 * quotients 0 2 1 -> unary 1 001 01 (LSB first: 0b0101001 = 0x29). */
static void test_rice_hand_made_block(void **state)
{
	(void)state;
	uint8_t t[] = { PC_RICE + 1, 0x05, 0x29 };
	uint32_t out[3];
	uint8_t *e = exact_copy(t, sizeof t);
	rd r = { e, e + sizeof t };
	assert_int_equal(pc_decode(&r, out, 3), TRAWL_OK);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 4);
	assert_int_equal(out[2], 3);
	assert_ptr_equal(r.p, e + sizeof t);
	rd s = { e, e + sizeof t };
	assert_int_equal(pc_skip(&s, 3), TRAWL_OK);
	assert_ptr_equal(s.p, e + sizeof t);
	free(e);
	/* the same with its unary length */
	uint8_t u[] = { PC_RICE_LEN + 1, 1, 0x05, 0x29 };
	e = exact_copy(u, sizeof u);
	rd r2 = { e, e + sizeof u };
	assert_int_equal(pc_decode(&r2, out, 3), TRAWL_OK);
	assert_int_equal(out[1], 4);
	free(e);
}

static void expect_corrupt(const uint8_t *t, size_t len, size_t n)
{
	uint8_t *e = exact_copy(t, len);
	uint32_t out[PC_BLOCK];
	rd r = { e, e + len };
	assert_int_equal(pc_decode(&r, out, n), TRAWL_ECORRUPT);
	free(e);
}

static void test_rice_damage_is_corrupt(void **state)
{
	(void)state;
	/* a one after the last quotient in the same byte */
	const uint8_t extra[] = { PC_RICE + 1, 0x05, 0x29 | 0x40 };
	expect_corrupt(extra, sizeof extra, 3);
	/* the third one never comes */
	const uint8_t missing[] = { PC_RICE + 1, 0x05, 0x09, 0x00, 0x00 };
	expect_corrupt(missing, sizeof missing, 3);
	/* k = 31 leaves one bit for the quotient: 2 overflows */
	const uint8_t wide[] = { PC_RICE + 31, 0, 0, 0, 0, 0x04 };
	expect_corrupt(wide, sizeof wide, 1);
	/* k = 31, quotient 1: the largest value, fine */
	const uint8_t widest[] = { PC_RICE + 31, 0xff, 0xff, 0xff, 0x7f, 0x02 };
	uint32_t out[1];
	rd r = { widest, widest + sizeof widest };
	assert_int_equal(pc_decode(&r, out, 1), TRAWL_OK);
	assert_int_equal(out[0], UINT32_MAX);
	/* a stated unary length that is not the real one */
	const uint8_t len[] = { PC_RICE_LEN + 1, 2, 0x05, 0x29, 0x00 };
	expect_corrupt(len, sizeof len, 3);
	/* headers past the Rice range */
	for (unsigned h = PC_RICE_LEN + 32; h < 256; h++) {
		const uint8_t bad[] = { (uint8_t)h, 1, 0x05, 0x29, 0, 0, 0, 0 };
		expect_corrupt(bad, sizeof bad, 3);
	}
	/* a long run of zeros */
	uint8_t zeros[4096] = { PC_RICE };
	expect_corrupt(zeros, sizeof zeros, 1);
}

static void test_rice_truncated_is_corrupt(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK];
	for (int trial = 0; trial < 100; trial++) {
		size_t n = 1 + rnd() % PC_BLOCK;
		skewed(v, n, (unsigned)(rnd() % 12));
		buf b;
		buf_init(&b);
		if (trial & 1)
			encode_skippable(&b, v, n);
		else
			encode(&b, v, n);
		expect_every_cut_corrupt(&b, n);
		buf_free(&b);
	}
}

static void test_pfor_appends_after_existing_bytes(void **state)
{
	(void)state;
	int rc = TRAWL_OK;
	buf b;
	buf_init(&b);
	buf_put(&rc, &b, "xyz", 3);
	uint32_t v[5] = { 1, 2, 3, 1000000, 5 };
	pc_encode(&rc, &b, v, 5);
	assert_int_equal(rc, TRAWL_OK);
	assert_memory_equal(b.p, "xyz", 3);
	uint8_t *e = exact_copy(b.p + 3, b.n - 3);
	uint32_t out[5];
	rd r = { e, e + b.n - 3 };
	assert_int_equal(pc_decode(&r, out, 5), TRAWL_OK);
	assert_memory_equal(out, v, sizeof v);
	free(e);
	buf_free(&b);
}

/* ---- PFor damage ------------------------------------------------------- */

static void test_pfor_truncated_block_is_corrupt(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK];
	for (int trial = 0; trial < 200; trial++) {
		size_t n = 1 + rnd() % PC_BLOCK;
		unsigned bits = (unsigned)(rnd() % 33);
		for (size_t i = 0; i < n; i++)
			v[i] = value_below_width(bits);
		/* some exceptions too */
		if (trial & 1)
			v[rnd() % n] = 0xfffffff0u;
		buf b;
		buf_init(&b);
		encode(&b, v, n);
		expect_every_cut_corrupt(&b, n);
		buf_free(&b);
	}
}

static void test_pfor_width_over_32_is_corrupt(void **state)
{
	(void)state;
	/* enough bytes behind the header for any width */
	uint8_t t[2 + 1024];
	memset(t, 0x55, sizeof t);
	for (unsigned w = 33; w < PC_RICE; w++) {
		if (w >= PC_NOEXC && w <= PC_NOEXC + 32)
			continue; /* PFor without exceptions */
		t[0] = (uint8_t)w;
		t[1] = 0;
		uint8_t *e = exact_copy(t, sizeof t);
		uint32_t out[PC_BLOCK];
		rd r = { e, e + sizeof t };
		assert_int_equal(pc_decode(&r, out, PC_BLOCK), TRAWL_ECORRUPT);
		rd s = { e, e + sizeof t };
		assert_int_equal(pc_skip(&s, PC_BLOCK), TRAWL_ECORRUPT);
		free(e);
	}
}

static void test_pfor_exception_index_out_of_range_is_corrupt(void **state)
{
	(void)state;
	/* n = 4, width 0, one exception at index 4 (valid: 0..3) */
	for (unsigned idx = 4; idx < 256; idx += 7) {
		uint8_t t[] = { 0, 1, (uint8_t)idx, 5 };
		uint8_t *e = exact_copy(t, sizeof t);
		uint32_t out[PC_BLOCK];
		rd r = { e, e + sizeof t };
		assert_int_equal(pc_decode(&r, out, 4), TRAWL_ECORRUPT);
		free(e);
	}
	uint8_t ok[] = { 0, 1, 3, 5 };
	uint8_t *e = exact_copy(ok, sizeof ok);
	uint32_t out[4];
	rd r = { e, e + sizeof ok };
	assert_int_equal(pc_decode(&r, out, 4), TRAWL_OK);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[3], 5);
	free(e);
}

static void test_pfor_exception_past_32_bits_is_corrupt(void **state)
{
	(void)state;
	/* width 8, one value 0xff, exception high part 2^24: 2^32 */
	uint8_t t[] = { 8, 1, 0xff, 0, 0x80, 0x80, 0x80, 0x08 };
	uint8_t *e = exact_copy(t, sizeof t);
	uint32_t out[1];
	rd r = { e, e + sizeof t };
	assert_int_equal(pc_decode(&r, out, 1), TRAWL_ECORRUPT);
	free(e);
	/* high part 2^24 - 1 fits: 0xffffffff */
	uint8_t t2[] = { 8, 1, 0xff, 0, 0xff, 0xff, 0xff, 0x07 };
	e = exact_copy(t2, sizeof t2);
	rd r2 = { e, e + sizeof t2 };
	assert_int_equal(pc_decode(&r2, out, 1), TRAWL_OK);
	assert_int_equal(out[0], UINT32_MAX);
	free(e);
	/* width 32 leaves no room for an exception */
	uint8_t t3[] = { 32, 1, 1, 2, 3, 4, 0, 1 };
	e = exact_copy(t3, sizeof t3);
	rd r3 = { e, e + sizeof t3 };
	assert_int_equal(pc_decode(&r3, out, 1), TRAWL_ECORRUPT);
	free(e);
}

static void test_pfor_exception_varint_overlong_is_corrupt(void **state)
{
	(void)state;
	uint8_t t[] = { 0, 1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
	uint8_t *e = exact_copy(t, sizeof t);
	uint32_t out[1];
	rd r = { e, e + sizeof t };
	assert_int_equal(pc_decode(&r, out, 1), TRAWL_ECORRUPT);
	free(e);
}

static void test_pfor_decode_of_zero_or_over_block_values_is_corrupt(void **state)
{
	(void)state;
	uint8_t t[] = { 0, 0 };
	uint8_t *e = exact_copy(t, sizeof t);
	uint32_t out[PC_BLOCK + 1];
	rd r = { e, e + sizeof t };
	assert_int_equal(pc_decode(&r, out, 0), TRAWL_ECORRUPT);
	r.p = e;
	assert_int_equal(pc_decode(&r, out, PC_BLOCK + 1), TRAWL_ECORRUPT);
	r.p = e;
	assert_int_equal(pc_decode(&r, out, PC_BLOCK), TRAWL_OK);
	free(e);
}

/* ---- skipping ---------------------------------------------------------- */

static void test_pc_skip_consumes_exactly_what_decode_does(void **state)
{
	(void)state;
	int rc = TRAWL_OK;
	buf b;
	buf_init(&b);
	size_t lens[400];
	uint32_t v[PC_BLOCK];
	for (size_t k = 0; k < 400; k++) {
		lens[k] = 1 + rnd() % PC_BLOCK;
		unsigned bits = (unsigned)(rnd() % 33);
		for (size_t i = 0; i < lens[k]; i++)
			v[i] = value_below_width(bits);
		if (k % 3 == 0)
			v[rnd() % lens[k]] = (uint32_t)rnd() | 0x80000000u;
		if (k % 4 == 1)
			skewed(v, lens[k], (unsigned)(rnd() % 16));
		if (k % 2)
			pc_encode_skippable(&rc, &b, v, lens[k]);
		else
			pc_encode(&rc, &b, v, lens[k]);
	}
	assert_int_equal(rc, TRAWL_OK);
	uint8_t *e = exact_copy(b.p, b.n);
	rd d = { e, e + b.n }, s = { e, e + b.n };
	for (size_t k = 0; k < 400; k++) {
		uint32_t out[PC_BLOCK];
		assert_int_equal(pc_decode(&d, out, lens[k]), TRAWL_OK);
		assert_int_equal(pc_skip(&s, lens[k]), TRAWL_OK);
		assert_ptr_equal(d.p, s.p);
	}
	assert_ptr_equal(d.p, e + b.n);
	free(e);
	buf_free(&b);
}

/* ---- plain bit packing ------------------------------------------------- */

static void test_pack_unpack_round_trip_misaligned(void **state)
{
	(void)state;
	uint32_t v[PC_BLOCK], out[PC_BLOCK];
	uint8_t area[8 + 4 * PC_BLOCK];
	for (unsigned bits = 0; bits <= 32; bits++)
		for (size_t n = 1; n <= PC_BLOCK; n += 1 + (n > 16) * 6) {
			size_t nbytes = (n * bits + 7) / 8;
			size_t shift = rnd() % 8;
			for (size_t i = 0; i < n; i++)
				v[i] = value_below_width(bits);
			pc_pack(area + shift, v, n, bits);
			uint8_t *e = exact_copy(area + shift, nbytes);
			pc_unpack(out, e, n, bits);
			assert_memory_equal(out, v, n * sizeof *v);
			free(e);
		}
}

static int group_setup(void **state)
{
	(void)state;
	const char *s = getenv("TRAWL_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 20251125u;
	print_message("test_codec seed %llu (set TRAWL_SEED to replay)\n",
		      (unsigned long long)seed);
	rng_state = seed;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_round_trips_every_width),
		cmocka_unit_test(test_varint32_round_trips_every_width),
		cmocka_unit_test(test_varint_consecutive_values_read_in_order),
		cmocka_unit_test(test_varint_truncated_is_corrupt),
		cmocka_unit_test(test_varint_over_10_bytes_is_corrupt),
		cmocka_unit_test(test_varint_tenth_byte_over_one_is_corrupt),
		cmocka_unit_test(test_varint32_over_5_bytes_is_corrupt),
		cmocka_unit_test(test_varint32_fifth_byte_over_15_is_corrupt),
		cmocka_unit_test(test_fixed_width_reads_past_end_are_corrupt),
		cmocka_unit_test(test_pfor_round_trips_every_length_and_width),
		cmocka_unit_test(test_pfor_round_trips_every_length_and_width_scalar),
		cmocka_unit_test(test_pfor_round_trips_mixed_widths),
		cmocka_unit_test(test_pfor_outliers_become_exceptions),
		cmocka_unit_test(test_pfor_one_outlier_in_zeros_uses_width_zero),
		cmocka_unit_test(test_pfor_all_zeros_is_one_byte),
		cmocka_unit_test(test_pfor_all_max_uses_width_32),
		cmocka_unit_test(test_rice_is_chosen_for_skewed_runs_and_round_trips),
		cmocka_unit_test(test_rice_smaller_than_pfor_on_skewed_runs),
		cmocka_unit_test(test_rice_hand_made_block),
		cmocka_unit_test(test_rice_damage_is_corrupt),
		cmocka_unit_test(test_rice_truncated_is_corrupt),
		cmocka_unit_test(test_pfor_appends_after_existing_bytes),
		cmocka_unit_test(test_pfor_truncated_block_is_corrupt),
		cmocka_unit_test(test_pfor_width_over_32_is_corrupt),
		cmocka_unit_test(test_pfor_exception_index_out_of_range_is_corrupt),
		cmocka_unit_test(test_pfor_exception_past_32_bits_is_corrupt),
		cmocka_unit_test(test_pfor_exception_varint_overlong_is_corrupt),
		cmocka_unit_test(test_pfor_decode_of_zero_or_over_block_values_is_corrupt),
		cmocka_unit_test(test_pc_skip_consumes_exactly_what_decode_does),
		cmocka_unit_test(test_pack_unpack_round_trip_misaligned),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
