/*
 * codec.c -- varints and the PFor block codec (layout in codec.h).
 */
#include <endian.h>
#include <string.h>

#include "trawl.h"
#include "codec.h"
#include "rice_table.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

int rd_varint(rd *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (r->p >= r->end)
			return TRAWL_ECORRUPT;
		uint8_t c = *r->p++;
		if (shift == 63 && c > 1)
			return TRAWL_ECORRUPT;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return TRAWL_OK;
		}
	}
	return TRAWL_ECORRUPT;
}

int rd_varint32_slow(rd *r, uint32_t *v)
{
	const uint8_t *p = r->p;
	uint32_t x = 0;
	for (unsigned shift = 0; shift < 35; shift += 7) {
		if (p >= r->end)
			return TRAWL_ECORRUPT;
		uint8_t c = *p++;
		if (shift == 28 && c > 15)
			return TRAWL_ECORRUPT;
		x |= (uint32_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			r->p = p;
			return TRAWL_OK;
		}
	}
	return TRAWL_ECORRUPT;
}

int rd_u32le(rd *r, uint32_t *v)
{
	if (r->end - r->p < 4)
		return TRAWL_ECORRUPT;
	*v = get_u32le(r->p);
	r->p += 4;
	return TRAWL_OK;
}

int rd_u64le(rd *r, uint64_t *v)
{
	if (r->end - r->p < 8)
		return TRAWL_ECORRUPT;
	*v = get_u64le(r->p);
	r->p += 8;
	return TRAWL_OK;
}

static unsigned bits_of(uint32_t v)
{
	return v ? 32 - (unsigned)__builtin_clz(v) : 0;
}

void pc_pack(uint8_t *out, const uint32_t *v, size_t n, unsigned bits)
{
	size_t nbytes = (n * bits + 7) / 8;
	memset(out, 0, nbytes);
	if (bits == 0)
		return;
	uint64_t acc = 0;
	unsigned have = 0;
	size_t o = 0;
	uint64_t mask = bits == 32 ? 0xffffffffu : ((uint64_t)1 << bits) - 1;
	for (size_t i = 0; i < n; i++) {
		acc |= ((uint64_t)v[i] & mask) << have;
		have += bits;
		while (have >= 8) {
			out[o++] = (uint8_t)acc;
			acc >>= 8;
			have -= 8;
		}
	}
	if (have)
		out[o++] = (uint8_t)acc;
}

/* Eight values of B bits from IN (B bytes), with shifts and offsets the
 * compiler knows; reads up to 7 bytes past the B, so the caller keeps it
 * for groups with 8 readable bytes beyond their end. */
#define UNPACK1(B, J)						\
	do {								\
		uint64_t w;						\
		memcpy(&w, in + ((J) * (B)) / 8, 8);			\
		out[J] = (uint32_t)((le64toh(w) >> (((J) * (B)) % 8)) & mask); \
	} while (0)
#define UNPACK8(B)							\
	static void unpack8_##B(uint32_t *out, const uint8_t *in)	\
	{								\
		const uint64_t mask = B == 32 ? 0xffffffffu		\
					      : ((uint64_t)1 << B) - 1;	\
		UNPACK1(B, 0); UNPACK1(B, 1); UNPACK1(B, 2); UNPACK1(B, 3); \
		UNPACK1(B, 4); UNPACK1(B, 5); UNPACK1(B, 6); UNPACK1(B, 7); \
	}
UNPACK8(1) UNPACK8(2) UNPACK8(3) UNPACK8(4) UNPACK8(5) UNPACK8(6)
UNPACK8(7) UNPACK8(8) UNPACK8(9) UNPACK8(10) UNPACK8(11) UNPACK8(12)
UNPACK8(13) UNPACK8(14) UNPACK8(15) UNPACK8(16) UNPACK8(17) UNPACK8(18)
UNPACK8(19) UNPACK8(20) UNPACK8(21) UNPACK8(22) UNPACK8(23) UNPACK8(24)
UNPACK8(25) UNPACK8(26) UNPACK8(27) UNPACK8(28) UNPACK8(29) UNPACK8(30)
UNPACK8(31) UNPACK8(32)

typedef void (*unpack8_fn)(uint32_t *, const uint8_t *);
static const unpack8_fn unpack8[33] = {
	NULL, unpack8_1, unpack8_2, unpack8_3, unpack8_4, unpack8_5,
	unpack8_6, unpack8_7, unpack8_8, unpack8_9, unpack8_10, unpack8_11,
	unpack8_12, unpack8_13, unpack8_14, unpack8_15, unpack8_16,
	unpack8_17, unpack8_18, unpack8_19, unpack8_20, unpack8_21,
	unpack8_22, unpack8_23, unpack8_24, unpack8_25, unpack8_26,
	unpack8_27, unpack8_28, unpack8_29, unpack8_30, unpack8_31,
	unpack8_32
};

int pc_simd_unpack;

/* Whole groups of eight values of B <= 16 bits with SSE4.1, where the
 * processor has it (x86-64's baseline is SSE2): a shuffle puts each
 * value's bytes in a lane of its own, a multiply by a power of two shifts
 * each lane by its own amount (SSE has no per-lane shift), one shift
 * right drops the bits below, and that leaves the value alone.  A third
 * of the scalar instructions; positions are mostly 3 to 5 bits wide. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <smmintrin.h>
#define HAVE_SSE41_UNPACK 1
/* for B <= 8: 16-bit lanes, value j from bytes lo, lo + 1 */
static uint8_t sse_shuf8[9][16];
static uint16_t sse_mul8[9][8];
/* for 8 < B <= 16: 32-bit lanes, values 4h..4h+3 from bytes lo..lo+3 of
 * the 16 loaded (a byte past them is never needed: zeroed) */
static uint8_t sse_shuf16[17][2][16];
static uint32_t sse_mul16[17][2][4];

__attribute__((constructor)) static void sse41_unpack_init(void)
{
	__builtin_cpu_init();
	if (!__builtin_cpu_supports("sse4.1"))
		return;
	for (unsigned b = 1; b <= 16; b++)
		for (unsigned j = 0; j < 8; j++) {
			unsigned lo = j * b / 8, sh = j * b % 8;
			if (b <= 8) {
				sse_shuf8[b][2 * j] = (uint8_t)lo;
				sse_shuf8[b][2 * j + 1] = lo + 1 < 8 ? (uint8_t)(lo + 1) : 0x80;
				sse_mul8[b][j] = (uint16_t)(1u << (16 - sh - b));
			} else {
				for (unsigned k = 0; k < 4; k++)
					sse_shuf16[b][j / 4][4 * (j % 4) + k] =
						lo + k < 16 ? (uint8_t)(lo + k) : 0x80;
				sse_mul16[b][j / 4][j % 4] = 1u << (32 - sh - b);
			}
		}
	pc_simd_unpack = 1;
}

/* NG whole groups of B (1..16) bits; group g reads in[g * B .. g * B + 16)
 * for B > 8, in[g * B .. g * B + 8) else, inside what unpack_avail()
 * allows (below (g + 1) * B + 8). */
__attribute__((target("sse4.1"))) static void
unpack_groups_sse41(uint32_t *out, const uint8_t *in, size_t ng, unsigned b)
{
	const __m128i z = _mm_setzero_si128();
	if (b <= 8) {
		__m128i shuf = _mm_loadu_si128((const __m128i *)sse_shuf8[b]);
		__m128i mul = _mm_loadu_si128((const __m128i *)sse_mul8[b]);
		__m128i rs = _mm_cvtsi32_si128(16 - (int)b);
		for (size_t g = 0; g < ng; g++) {
			__m128i x = _mm_loadl_epi64((const __m128i *)(in + g * b));
			x = _mm_srl_epi16(_mm_mullo_epi16(_mm_shuffle_epi8(x, shuf), mul), rs);
			_mm_storeu_si128((__m128i *)(out + 8 * g), _mm_unpacklo_epi16(x, z));
			_mm_storeu_si128((__m128i *)(out + 8 * g + 4), _mm_unpackhi_epi16(x, z));
		}
		return;
	}
	__m128i s0 = _mm_loadu_si128((const __m128i *)sse_shuf16[b][0]);
	__m128i s1 = _mm_loadu_si128((const __m128i *)sse_shuf16[b][1]);
	__m128i m0 = _mm_loadu_si128((const __m128i *)sse_mul16[b][0]);
	__m128i m1 = _mm_loadu_si128((const __m128i *)sse_mul16[b][1]);
	__m128i rs = _mm_cvtsi32_si128(32 - (int)b);
	for (size_t g = 0; g < ng; g++) {
		__m128i x = _mm_loadu_si128((const __m128i *)(in + g * b));
		__m128i a = _mm_mullo_epi32(_mm_shuffle_epi8(x, s0), m0);
		__m128i c = _mm_mullo_epi32(_mm_shuffle_epi8(x, s1), m1);
		_mm_storeu_si128((__m128i *)(out + 8 * g), _mm_srl_epi32(a, rs));
		_mm_storeu_si128((__m128i *)(out + 8 * g + 4), _mm_srl_epi32(c, rs));
	}
}
#endif

/* pc_unpack() where AVAIL bytes from IN may be read (at least the
 * packed ones): a block's packed bytes are mostly followed by more of
 * the record (its exceptions or unary part, the next block), so the
 * last groups need no zero-padded copy (without the copies a stop-word
 * phrase query runs 3.5 % fewer instructions, callgrind). */
static void unpack_avail(uint32_t *out, const uint8_t *in, size_t n,
			 unsigned bits, size_t avail)
{
	if (bits == 0) {
		memset(out, 0, n * sizeof *out);
		return;
	}
	size_t nbytes = (n * bits + 7) / 8;
	/* groups of 8 whose 8-byte loads stay inside what may be read:
	 * group g reads below (g + 1) * bits + 8 */
	size_t groups = (n + 7) / 8;
	size_t safe = avail >= 8 + bits ? (avail - 8) / bits : 0;
	if (safe > groups)
		safe = groups;
	unpack8_fn f = unpack8[bits];
	size_t whole = safe < n / 8 ? safe : n / 8;
#ifdef HAVE_SSE41_UNPACK
	if (pc_simd_unpack && bits <= 16)
		unpack_groups_sse41(out, in, whole, bits);
	else
#endif
	for (size_t g = 0; g < whole; g++)
		f(out + 8 * g, in + g * bits);
	size_t k = 8 * whole;
	if (k == n)
		return;
	uint32_t vals[8];
	if (safe == groups) { /* the last, partial group, in place */
		f(vals, in + whole * bits);
		memcpy(out + k, vals, (n - k) * sizeof *vals);
		return;
	}
	/* the rest from a zero-padded copy: at most 3 groups of 32 bits
	 * (a block holds at most 128 values) plus the 8 bytes a load reads */
	uint8_t tmp[16 * 32 + 8];
	size_t at = k / 8 * bits, left = nbytes - at;
	/* the groups left read up to here: zero only that much */
	size_t need = (n - k + 7) / 8 * bits + 8;
	memcpy(tmp, in + at, left);
	memset(tmp + left, 0, need - left);
	for (size_t g = 0; k < n; g++) {
		f(vals, tmp + g * bits);
		size_t m = n - k < 8 ? n - k : 8;
		memcpy(out + k, vals, m * sizeof *vals);
		k += m;
	}
}

void pc_unpack(uint32_t *out, const uint8_t *in, size_t n, unsigned bits)
{
	unpack_avail(out, in, n, bits, (n * bits + 7) / 8);
}

/* The loops over a block's values below are vectorised where the
 * compiler allows (GCC's -O2 leaves loops of unknown length scalar). */
#if defined(__GNUC__) && !defined(__clang__)
#define VECTORISE \
	__attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define VECTORISE
#endif

/* Values of V of more than T bits (T < 32). */
VECTORISE static size_t count_above(const uint32_t *v, size_t n, unsigned t)
{
	uint32_t lim = (uint32_t)1 << t;
	uint32_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += v[i] >= lim;
	return c;
}

/* Chooses the width that minimises packed bytes + exception bytes (MAXB
 * bits: the widest value's): a value of w bits under width b costs an
 * index byte and ceil((w - b) / 7) varint bytes, which over the block's
 * exceptions sums to the counts of values above b, b + 7, b + 14 ...
 * bits; those counts are taken from the widest down, and only while the
 * exceptions stay few.  A block without exceptions saves the count byte
 * (PC_NOEXC). */
static unsigned choose_width(const uint32_t *v, size_t n, unsigned maxb,
			     size_t *best_size)
{
	size_t best = 1 + (n * maxb + 7) / 8;
	unsigned bestb = maxb;
	size_t above[32]; /* above[t]: values of more than t bits, t >= b */
	for (unsigned b = maxb; b-- > 0;) {
		size_t nexc = above[b] = count_above(v, n, b);
		if (nexc > 255 || nexc > n / 4 + 1)
			break;
		size_t excbytes = nexc;
		for (unsigned t = b; t < maxb; t += 7)
			excbytes += above[t];
		size_t size = 2 + (n * b + 7) / 8 + excbytes;
		if (size < best) {
			best = size;
			bestb = b;
		}
	}
	*best_size = best;
	return bestb;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Bytes of the unary part of a Rice block of parameter k: n + sum(v >> k)
 * bits. */
static size_t rice_unary_bytes(const uint32_t *v, size_t n, unsigned k)
{
	uint64_t bits = n;
	for (size_t i = 0; i < n; i++)
		bits += v[i] >> k;
	return (size_t)((bits + 7) / 8);
}

/* The Rice parameter that minimises the block, given the values' SUM: the
 * optimum sits next to log2 of the mean, so only the four parameters
 * around it are tried, in one pass. */
VECTORISE static unsigned choose_rice(const uint32_t *v, size_t n,
				      uint64_t sum, int skippable,
				      size_t *best_size)
{
	uint64_t mean = sum / n;
	unsigned m = mean ? 64 - (unsigned)__builtin_clzll(mean) : 0;
	unsigned lo = m > 2 ? m - 2 : 0;
	if (lo > 28)
		lo = 28;
	uint64_t q[4] = { n, n, n, n }; /* unary bits under lo .. lo + 3 */
	for (size_t i = 0; i < n; i++) {
		uint32_t x = v[i] >> lo;
		q[0] += x;
		q[1] += x >> 1;
		q[2] += x >> 2;
		q[3] += x >> 3;
	}
	size_t best = SIZE_MAX;
	unsigned bestk = lo;
	for (unsigned j = 0; j < 4; j++) {
		unsigned k = lo + j;
		size_t u = (size_t)((q[j] + 7) / 8);
		size_t sz = 1 + (skippable ? varint_len(u) : 0) + (n * k + 7) / 8 + u;
		if (sz < best) {
			best = sz;
			bestk = k;
		}
	}
	*best_size = best;
	return bestk;
}

typedef struct choice {
	int rice;      /* Rice, else PFor */
	unsigned w;    /* its width or parameter */
	size_t size;
} choice;

VECTORISE static choice choose(const uint32_t *v, size_t n, int skippable)
{
	uint32_t all = 0;
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		all |= v[i];
		sum += v[i];
	}
	choice c = { 0, 0, 0 };
	c.w = choose_width(v, n, bits_of(all), &c.size);
	/* Rice only when strictly smaller: PFor decodes faster */
	size_t rs;
	unsigned k = choose_rice(v, n, sum, skippable, &rs);
	if (rs < c.size) {
		c.rice = 1;
		c.w = k;
		c.size = rs;
	}
	return c;
}

size_t pc_size(const uint32_t *v, size_t n)
{
	return choose(v, n, 0).size;
}

/* Low parts packed as PFor packs them, then each quotient q as q zero
 * bits and a one, LSB first.  O is zeroed by the caller. */
static void rice_encode(uint8_t *o, const uint32_t *v, size_t n, unsigned k)
{
	pc_pack(o, v, n, k);
	uint8_t *u = o + (n * k + 7) / 8;
	uint64_t bit = 0;
	for (size_t i = 0; i < n; i++) {
		bit += v[i] >> k;
		u[bit / 8] |= (uint8_t)(1u << (bit % 8));
		bit++;
	}
}

static void encode(int *rc, buf *b, const uint32_t *v, size_t n,
		   int skippable)
{
	choice c = choose(v, n, skippable);
	buf_reserve(rc, b, c.size);
	if (*rc)
		return;
	uint8_t *o = b->p + b->n;
	if (c.rice) {
		memset(o, 0, c.size);
		if (skippable) {
			o[0] = (uint8_t)(PC_RICE_LEN | c.w);
			size_t u = rice_unary_bytes(v, n, c.w), at = 1;
			for (; u >= 0x80; u >>= 7)
				o[at++] = (uint8_t)(u | 0x80);
			o[at++] = (uint8_t)u;
			rice_encode(o + at, v, n, c.w);
		} else {
			o[0] = (uint8_t)(PC_RICE | c.w);
			rice_encode(o + 1, v, n, c.w);
		}
		b->n += c.size;
		return;
	}
	unsigned w = c.w;
	size_t nexc = 0;
	for (size_t i = 0; i < n; i++)
		if (bits_of(v[i]) > w)
			nexc++;
	if (nexc == 0) {
		o[0] = (uint8_t)(PC_NOEXC | w);
		pc_pack(o + 1, v, n, w);
		b->n += 1 + (n * w + 7) / 8;
		return;
	}
	o[0] = (uint8_t)w;
	o[1] = (uint8_t)nexc;
	pc_pack(o + 2, v, n, w);
	b->n += 2 + (n * w + 7) / 8;
	for (size_t i = 0; i < n; i++)
		if (bits_of(v[i]) > w) {
			buf_putc(rc, b, (uint8_t)i);
			buf_put_varint(rc, b, v[i] >> w);
		}
}

void pc_encode(int *rc, buf *b, const uint32_t *v, size_t n)
{
	encode(rc, b, v, n, 0);
}

void pc_encode_skippable(int *rc, buf *b, const uint32_t *v, size_t n)
{
	encode(rc, b, v, n, 1);
}

/* Eight quotients (bytes of e) into st[0..8), unconditionally: the caller
 * advances by the number of real ones. */
static inline void expand8(uint32_t *st, uint64_t e)
{
#ifdef __SSE2__
	__m128i x = _mm_cvtsi64_si128((long long)e), z = _mm_setzero_si128();
	__m128i w = _mm_unpacklo_epi8(x, z);
	_mm_storeu_si128((__m128i *)st, _mm_unpacklo_epi16(w, z));
	_mm_storeu_si128((__m128i *)(st + 4), _mm_unpackhi_epi16(w, z));
#else
	for (unsigned j = 0; j < 8; j++)
		st[j] = (uint8_t)(e >> 8 * j);
#endif
}

/* A longer run of zeros is damage: the encoder keeps a Rice block smaller
 * than its PFor form, which bounds every quotient far below this. */
#define RICE_MAX_RUN ((uint64_t)1 << 24)

/* The unary quotients of a Rice block: ORs q << k into out[0..n), and
 * moves r past the byte that holds the n-th one (which holds no later
 * one).  A byte at a time through rice_table.h, with no test per value. */
static int rice_quotients(rd *r, uint32_t *out, size_t n, unsigned k)
{
	uint32_t st[PC_BLOCK + 8];
	const uint8_t *p = r->p;
	uint64_t carry = 0, carries = 0; /* zeros since the last one */
	size_t i = 0;
	while (i < n && p < r->end) {
		uint8_t b = *p++, m = rice_meta[b];
		expand8(st + i, rice_q[b]);
		/* with no one in b, st[i] is written again by the next byte */
		st[i] += (uint32_t)carry;
		carries |= carry;
		carry = (m & 15 ? 0 : carry) + (m >> 4);
		i += m & 15;
	}
	if (i != n || carries > RICE_MAX_RUN)
		return TRAWL_ECORRUPT;
	/* every quotient must fit the 32 - k bits above the low part: the OR
	 * of them all tells */
	uint32_t all = 0;
	size_t j = 0;
#ifdef __SSE2__
	__m128i acc = _mm_setzero_si128(), sh = _mm_cvtsi32_si128((int)k);
	for (; j + 4 <= n; j += 4) {
		__m128i q = _mm_loadu_si128((const __m128i *)(st + j));
		__m128i o = _mm_loadu_si128((const __m128i *)(out + j));
		acc = _mm_or_si128(acc, q);
		_mm_storeu_si128((__m128i *)(out + j),
				 _mm_or_si128(o, _mm_sll_epi32(q, sh)));
	}
	acc = _mm_or_si128(acc, _mm_srli_si128(acc, 8));
	acc = _mm_or_si128(acc, _mm_srli_si128(acc, 4));
	all = (uint32_t)_mm_cvtsi128_si32(acc);
#endif
	for (; j < n; j++) {
		all |= st[j];
		out[j] |= st[j] << k;
	}
	if (k && all >> (32 - k))
		return TRAWL_ECORRUPT;
	r->p = p;
	return TRAWL_OK;
}

/* A block's header, read by both decode and skip. */
typedef struct block_head {
	int rice;
	unsigned w;          /* PFor width or Rice parameter */
	unsigned nexc;       /* PFor exceptions */
	int has_len;         /* Rice with its unary length */
	uint32_t ulen;
	const uint8_t *packed; /* the packed low parts, ceil(n*w/8) bytes */
} block_head;

/* Reads the header and steps over the packed low parts; r is then at the
 * exceptions (PFor) or the unary part (Rice). */
static int read_head(rd *r, size_t n, block_head *b)
{
	uint8_t h, nexc = 0;
	if (n == 0 || n > PC_BLOCK || rd_u8(r, &h))
		return TRAWL_ECORRUPT;
	b->rice = h >= PC_RICE;
	b->has_len = h >= PC_RICE_LEN;
	b->ulen = 0;
	if (b->rice) {
		b->w = h & 31;
		if (h >= PC_RICE_LEN + 32 ||
		    (b->has_len && rd_varint32(r, &b->ulen)))
			return TRAWL_ECORRUPT;
	} else {
		b->w = h >= PC_NOEXC ? h - PC_NOEXC : h;
		if (h < PC_NOEXC && rd_u8(r, &nexc))
			return TRAWL_ECORRUPT;
	}
	b->nexc = nexc;
	if (b->w > 32 || rd_bytes(r, (n * b->w + 7) / 8, &b->packed))
		return TRAWL_ECORRUPT;
	return TRAWL_OK;
}

int pc_decode(rd *r, uint32_t *out, size_t n)
{
	block_head b;
	if (read_head(r, n, &b))
		return TRAWL_ECORRUPT;
	unpack_avail(out, b.packed, n, b.w, (size_t)(r->end - b.packed));
	if (b.rice) {
		const uint8_t *unary = r->p;
		if (rice_quotients(r, out, n, b.w))
			return TRAWL_ECORRUPT;
		/* the stated length must be the real one */
		if (b.has_len && (size_t)(r->p - unary) != b.ulen)
			return TRAWL_ECORRUPT;
		return TRAWL_OK;
	}
	unsigned w = b.w;
	for (unsigned e = 0; e < b.nexc; e++) {
		uint8_t idx;
		uint32_t high;
		if (rd_u8(r, &idx) || idx >= n || rd_varint32(r, &high))
			return TRAWL_ECORRUPT;
		if (w >= 32 || (w > 0 && (high >> (32 - w))))
			return TRAWL_ECORRUPT;
		out[idx] |= high << w;
	}
	return TRAWL_OK;
}

int pc_skip(rd *r, size_t n)
{
	block_head b;
	const uint8_t *skipped;
	if (read_head(r, n, &b))
		return TRAWL_ECORRUPT;
	if (b.rice && !b.has_len) {
		/* without a stated length the ones must be counted: decode
		 * them (such blocks are decoded whole in practice) */
		uint32_t scratch[PC_BLOCK] = { 0 };
		return rice_quotients(r, scratch, n, b.w);
	}
	if (b.rice) /* the length is trusted here; decoding checks it */
		return rd_bytes(r, b.ulen, &skipped);
	for (unsigned e = 0; e < b.nexc; e++) {
		uint8_t idx;
		uint32_t high;
		if (rd_u8(r, &idx) || rd_varint32(r, &high))
			return TRAWL_ECORRUPT;
	}
	return TRAWL_OK;
}
