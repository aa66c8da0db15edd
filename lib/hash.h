/*
 * hash.h -- the hash and equality test of short byte strings (words,
 * terms), inline: the indexer calls each twice per token.
 */
#ifndef TRAWL_HASH_H
#define TRAWL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The last N < 8 bytes at P as one word, from two overlapping loads of
 * fixed size (a memcpy of a variable length is a libc call).  Every byte
 * is covered, so for one N equal words mean equal bytes. */
static inline uint64_t tr_load_tail(const uint8_t *p, size_t n)
{
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		return a | (uint64_t)b << 32;
	}
	if (n >= 2) {
		uint16_t a, b;
		memcpy(&a, p, 2);
		memcpy(&b, p + n - 2, 2);
		return a | (uint64_t)b << 16;
	}
	return n ? p[0] : 0;
}

/* Multiply-xorshift over 8-byte words. */
static inline uint32_t tr_hash_bytes(const void *s, size_t n)
{
	const uint8_t *p = s;
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = k ^ n, w;
	while (n >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	if (n)
		h = (h ^ tr_load_tail(p, n)) * k;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* memcmp(a, b, n) == 0 for short strings, without the call. */
static inline int tr_same_bytes(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	while (n >= 8) {
		uint64_t u, v;
		memcpy(&u, x, 8);
		memcpy(&v, y, 8);
		if (u != v)
			return 0;
		x += 8;
		y += 8;
		n -= 8;
	}
	return tr_load_tail(x, n) == tr_load_tail(y, n);
}

#endif
