/*
 * codec.c -- varints and the PFor block codec (layout in codec.h).
 */
#include <endian.h>
#include <string.h>

#include "trawl.h"
#include "codec.h"

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

void pc_unpack(uint32_t *out, const uint8_t *in, size_t n, unsigned bits)
{
	if (bits == 0) {
		memset(out, 0, n * sizeof *out);
		return;
	}
	size_t nbytes = (n * bits + 7) / 8;
	/* groups of 8 whose 8-byte loads stay inside the packed bytes */
	size_t safe = nbytes >= 8 ? (nbytes - 8) / bits : 0;
	if (safe > n / 8)
		safe = n / 8;
	unpack8_fn f = unpack8[bits];
	for (size_t g = 0; g < safe; g++)
		f(out + 8 * g, in + g * bits);
	size_t k = 8 * safe;
	if (k == n)
		return;
	/* the rest from a zero-padded copy: at most 3 groups of 32 bits
	 * (a block holds at most 128 values) plus the 8 bytes a load reads */
	uint8_t tmp[16 * 32 + 8];
	uint32_t vals[8];
	size_t at = k / 8 * bits, left = nbytes - at;
	memcpy(tmp, in + at, left);
	memset(tmp + left, 0, sizeof tmp - left);
	for (size_t g = 0; k < n; g++) {
		f(vals, tmp + g * bits);
		for (size_t j = 0; j < 8 && k < n; j++)
			out[k++] = vals[j];
	}
}

/* Chooses the width that minimises packed bytes + exception bytes, from
 * a histogram of bit lengths: a value of w bits under width b costs an
 * index byte and ceil((w - b) / 7) varint bytes. */
static unsigned choose_width(const uint32_t *v, size_t n, size_t *best_size)
{
	unsigned count[33] = { 0 };
	for (size_t i = 0; i < n; i++)
		count[bits_of(v[i])]++;
	unsigned maxb = 32;
	while (maxb > 0 && count[maxb] == 0)
		maxb--;
	size_t best = 2 + (n * maxb + 7) / 8;
	unsigned bestb = maxb;
	size_t nexc = 0;
	for (unsigned b = maxb; b-- > 0;) {
		nexc += count[b + 1];
		if (nexc > 255 || nexc > n / 4 + 1)
			break;
		size_t excbytes = 0;
		for (unsigned w = b + 1; w <= maxb; w++)
			excbytes += (size_t)count[w] * (1 + (w - b + 6) / 7);
		size_t size = 2 + (n * b + 7) / 8 + excbytes;
		if (size < best) {
			best = size;
			bestb = b;
		}
	}
	*best_size = best;
	return bestb;
}

size_t pc_size(const uint32_t *v, size_t n)
{
	size_t s;
	choose_width(v, n, &s);
	return s;
}

void pc_encode(int *rc, buf *b, const uint32_t *v, size_t n)
{
	size_t size;
	unsigned w = choose_width(v, n, &size);
	buf_reserve(rc, b, size);
	if (*rc)
		return;
	uint8_t *o = b->p + b->n;
	o[0] = (uint8_t)w;
	size_t nexc = 0;
	for (size_t i = 0; i < n; i++)
		if (bits_of(v[i]) > w)
			nexc++;
	o[1] = (uint8_t)nexc;
	pc_pack(o + 2, v, n, w);
	b->n += 2 + (n * w + 7) / 8;
	for (size_t i = 0; i < n; i++)
		if (bits_of(v[i]) > w) {
			buf_putc(rc, b, (uint8_t)i);
			buf_put_varint(rc, b, v[i] >> w);
		}
}

int pc_decode(rd *r, uint32_t *out, size_t n)
{
	uint8_t w, nexc;
	const uint8_t *packed;
	if (n == 0 || n > PC_BLOCK)
		return TRAWL_ECORRUPT;
	if (rd_u8(r, &w) || rd_u8(r, &nexc) || w > 32)
		return TRAWL_ECORRUPT;
	if (rd_bytes(r, (n * w + 7) / 8, &packed))
		return TRAWL_ECORRUPT;
	pc_unpack(out, packed, n, w);
	for (unsigned e = 0; e < nexc; e++) {
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
	uint8_t w, nexc;
	const uint8_t *packed;
	if (rd_u8(r, &w) || rd_u8(r, &nexc) || w > 32)
		return TRAWL_ECORRUPT;
	if (rd_bytes(r, (n * w + 7) / 8, &packed))
		return TRAWL_ECORRUPT;
	for (unsigned e = 0; e < nexc; e++) {
		uint8_t idx;
		uint32_t high;
		if (rd_u8(r, &idx) || rd_varint32(r, &high))
			return TRAWL_ECORRUPT;
	}
	return TRAWL_OK;
}
