/*
 * codec.h -- integer codecs for postings: LEB128 varints and a patched
 * frame-of-reference block codec (PFor) for runs of up to PC_BLOCK values.
 *
 * PFor block layout (n known to the caller, 1 <= n <= PC_BLOCK):
 *   u8 b        bit width of the packed low parts (0..32)
 *   u8 nexc     number of exceptions
 *   packed      ceil(n*b/8) bytes: the low b bits of each value, LSB first
 *   nexc x { u8 index, varint high }   value[index] |= high << b
 * The encoder picks the b that minimises the block's size.
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

/* Appends the PFor encoding of v[0..n), 1 <= n <= PC_BLOCK. */
void pc_encode(int *rc, buf *b, const uint32_t *v, size_t n);

/* Decodes n values into out[0..n).  TRAWL_ECORRUPT on truncation or a
 * malformed block (bad width, exception index out of range). */
int pc_decode(rd *r, uint32_t *out, size_t n);

/* Skips a block of n values without decoding it. */
int pc_skip(rd *r, size_t n);

/* Bytes pc_encode would write for v[0..n) (for measurement). */
size_t pc_size(const uint32_t *v, size_t n);

/* Plain bit packing, exposed for the benchmark of alternatives. */
void pc_pack(uint8_t *out, const uint32_t *v, size_t n, unsigned bits);
void pc_unpack(uint32_t *out, const uint8_t *in, size_t n, unsigned bits);

#endif
