/*
 * codec.h -- integer codecs for postings: LEB128 varints and a patched
 * frame-of-reference block codec (PFor) for runs of up to PC_BLOCK values.
 *
 * A block of n values (n known to the caller, 1 <= n <= PC_BLOCK) starts
 * with a header byte h that says how it is coded:
 *   h = b (0..32)        PFor with exceptions:
 *       u8 nexc          number of exceptions (1..255)
 *       packed           ceil(n*b/8) bytes: the low b bits of each value,
 *                        LSB first
 *       nexc x { u8 index, varint high }   value[index] |= high << b
 *   h = PC_NOEXC + b     PFor without exceptions: just the packed bytes
 *   h = PC_RICE + k      Rice, k = 0..31: the low k bits of each value
 *                        packed as above, then each value's quotient
 *                        v >> k in unary (q zero bits, then a one), LSB
 *                        first, up to the byte holding the n-th one (the
 *                        rest of that byte zero)
 *   h = PC_RICE_LEN + k  the same, with a varint after h: the bytes of the
 *                        unary part, so that a reader can skip the block
 *                        without counting its ones (position groups)
 * The encoder takes whichever is smallest, PFor on a tie (it decodes
 * faster).  PFor suits flat runs; Rice suits skewed ones (gaps of rare
 * words, frequencies), where one large value would cost PFor an exception.
 *
 * Readers are bounded: every decode checks against `end` and returns
 * TRAWL_ECORRUPT rather than read past it.
 */
#ifndef TRAWL_CODEC_H
#define TRAWL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "trawl.h"

#define PC_BLOCK 128
#define PC_NOEXC 0x40 /* header: PFor without exceptions */
#define PC_RICE 0x80  /* header: Rice */
#define PC_RICE_LEN 0xa0 /* header: Rice with its unary length */

/* A bounded reader over bytes [p, end). */
typedef struct rd {
	const uint8_t *p, *end;
} rd;

/* Reads a varint of at most 10 bytes (5 for rd_varint32).
 * Returns TRAWL_OK or TRAWL_ECORRUPT (truncated or too long). */
int rd_varint(rd *r, uint64_t *v);
int rd_varint32_slow(rd *r, uint32_t *v);
int rd_u32le(rd *r, uint32_t *v);
int rd_u64le(rd *r, uint64_t *v);

/* The small readers are inline: position decoding calls them per value. */
static inline int rd_varint32(rd *r, uint32_t *v)
{
	if (r->p < r->end && !(*r->p & 0x80)) {
		*v = *r->p++;
		return TRAWL_OK;
	}
	return rd_varint32_slow(r, v);
}

static inline int rd_u8(rd *r, uint8_t *v)
{
	if (r->p >= r->end)
		return TRAWL_ECORRUPT;
	*v = *r->p++;
	return TRAWL_OK;
}

/* Points *p at the next n bytes and skips them. */
static inline int rd_bytes(rd *r, size_t n, const uint8_t **p)
{
	if ((size_t)(r->end - r->p) < n)
		return TRAWL_ECORRUPT;
	*p = r->p;
	r->p += n;
	return TRAWL_OK;
}

static inline uint32_t get_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t get_u64le(const uint8_t *p)
{
	return (uint64_t)get_u32le(p) | (uint64_t)get_u32le(p + 4) << 32;
}

/* Appends the encoding of v[0..n), 1 <= n <= PC_BLOCK. */
void pc_encode(int *rc, buf *b, const uint32_t *v, size_t n);
/* The same, in a form pc_skip passes over in constant time (for blocks
 * that readers skip more often than they decode). */
void pc_encode_skippable(int *rc, buf *b, const uint32_t *v, size_t n);

/* Decodes n values into out[0..n).  TRAWL_ECORRUPT on truncation or a
 * malformed block (bad header, exception index out of range, a quotient
 * past 32 bits, set bits after the last quotient). */
int pc_decode(rd *r, uint32_t *out, size_t n);

/* Skips a block of n values without decoding it, but for a plain Rice
 * block, whose ones are counted by decoding (pc_encode_skippable writes
 * the form that states its length). */
int pc_skip(rd *r, size_t n);

/* Bytes pc_encode would write for v[0..n) (for measurement). */
size_t pc_size(const uint32_t *v, size_t n);

/* 1 when values of up to 16 bits are unpacked with SSE4.1 (set at load
 * time where the processor has it); tests clear it to check the scalar
 * unpacker too. */
extern int pc_simd_unpack;

/* Plain bit packing, exposed for the benchmark of alternatives. */
void pc_pack(uint8_t *out, const uint32_t *v, size_t n, unsigned bits);
void pc_unpack(uint32_t *out, const uint8_t *in, size_t n, unsigned bits);

#endif
