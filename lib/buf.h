/*
 * buf.h -- a growable byte buffer with a sticky error code (as FTS5 does
 * with its pRc): once *rc is not TRAWL_OK every call is a no-op, so a long
 * sequence of appends is checked once at the end.
 */
#ifndef TRAWL_BUF_H
#define TRAWL_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
	uint8_t *p;
	size_t n;   /* bytes used */
	size_t cap; /* bytes allocated */
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
void buf_reset(buf *b); /* n = 0, keeps the memory */
/* Makes room for EXTRA more bytes. */
void buf_reserve(int *rc, buf *b, size_t extra);
void buf_put(int *rc, buf *b, const void *p, size_t n);
void buf_putc(int *rc, buf *b, uint8_t c);
void buf_puts(int *rc, buf *b, const char *s);
void buf_put_u32le(int *rc, buf *b, uint32_t v);
void buf_put_u64le(int *rc, buf *b, uint64_t v);
void buf_put_varint(int *rc, buf *b, uint64_t v);
void buf_printf(int *rc, buf *b, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends a NUL without counting it, so b->p is a C string. */
void buf_cstr(int *rc, buf *b);

#endif
