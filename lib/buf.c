/*
 * buf.c -- growable byte buffer with a sticky error code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trawl.h"
#include "buf.h"

void buf_init(buf *b)
{
	b->p = NULL;
	b->n = b->cap = 0;
}

void buf_free(buf *b)
{
	free(b->p);
	buf_init(b);
}

void buf_reset(buf *b)
{
	b->n = 0;
}

void buf_reserve(int *rc, buf *b, size_t extra)
{
	if (*rc)
		return;
	if (b->cap - b->n >= extra)
		return;
	size_t want = b->n + extra;
	if (want < b->n) {
		*rc = TRAWL_ENOMEM;
		return;
	}
	size_t cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap * 2 < cap ? want : cap * 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p) {
		*rc = TRAWL_ENOMEM;
		return;
	}
	b->p = p;
	b->cap = cap;
}

void buf_put(int *rc, buf *b, const void *p, size_t n)
{
	buf_reserve(rc, b, n);
	if (*rc || n == 0)
		return;
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

void buf_putc(int *rc, buf *b, uint8_t c)
{
	buf_reserve(rc, b, 1);
	if (*rc)
		return;
	b->p[b->n++] = c;
}

void buf_puts(int *rc, buf *b, const char *s)
{
	buf_put(rc, b, s, strlen(s));
}

void buf_put_u32le(int *rc, buf *b, uint32_t v)
{
	uint8_t t[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };
	buf_put(rc, b, t, 4);
}

void buf_put_u64le(int *rc, buf *b, uint64_t v)
{
	buf_put_u32le(rc, b, (uint32_t)v);
	buf_put_u32le(rc, b, (uint32_t)(v >> 32));
}

void buf_put_varint(int *rc, buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	while (v >= 0x80) {
		t[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (uint8_t)v;
	buf_put(rc, b, t, n);
}

void buf_printf(int *rc, buf *b, const char *fmt, ...)
{
	if (*rc)
		return;
	va_list ap;
	va_start(ap, fmt);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*rc = TRAWL_EINVAL;
		return;
	}
	if ((size_t)n < sizeof small) {
		buf_put(rc, b, small, (size_t)n);
		return;
	}
	buf_reserve(rc, b, (size_t)n + 1);
	if (*rc)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

void buf_cstr(int *rc, buf *b)
{
	buf_reserve(rc, b, 1);
	if (*rc)
		return;
	b->p[b->n] = '\0';
}
