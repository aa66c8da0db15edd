/*
 * fuzz_jsonl.c -- libFuzzer target for JSON Lines ingest (lib/ingest.c,
 * lib/json.c), reading from memory through ingest_open_mem.
 *
 * The first two input bytes pick the read size, the line limit and
 * optional gzip damage (see LLVMFuzzerTestOneInput); the rest is the
 * corpus, plain or gzip.  Every document is read to the end twice --
 * in tiny pieces and in one large read -- and the two runs must agree.
 * Invariants checked (abort on failure, so libFuzzer reports it):
 *   - codes are only 1, 0, TRAWL_EINPUT, TRAWL_ECORRUPT; after 0 or
 *     ECORRUPT the next call returns the same;
 *   - a document has a non-empty id, NULL date/source exactly when empty,
 *     and every byte of every field is readable (ASan checks);
 *   - a document written back as JSON parses to the same fields;
 *   - EINPUT messages are "fuzz:LINE:COL: ..." with LINE rising;
 *   - progress never falls and never passes the total.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "ingest.h"
#include "json.h"
#include "trawl.h"

#define CHECK(c)                                                          \
	do {                                                              \
		if (!(c)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n",      \
				__FILE__, __LINE__, #c);                  \
			abort();                                          \
		}                                                         \
	} while (0)

/* A running hash of everything one read produced, to compare runs. */
static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return (h ^ n) * 0x100000001b3ull;
}

static void put_json_string(int *rc, buf *b, const char *s, size_t n)
{
	buf_putc(rc, b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			buf_putc(rc, b, '\\');
			buf_putc(rc, b, c);
		} else if (c < 0x20) {
			buf_printf(rc, b, "\\u%04x", c);
		} else {
			buf_putc(rc, b, c);
		}
	}
	buf_putc(rc, b, '"');
}

static void put_field(int *rc, buf *b, const char *key, const char *s,
		      size_t n)
{
	buf_printf(rc, b, ",\"%s\":", key);
	if (s)
		put_json_string(rc, b, s, n);
	else
		buf_puts(rc, b, "null");
}

static int same(const char *a, size_t an, const char *b, size_t bn)
{
	if (!a || !b)
		return !a == !b && an == bn;
	return an == bn && memcmp(a, b, an) == 0;
}

/* Writes D back as a JSON line and parses it again. */
static void round_trip(const trawl_doc *d)
{
	int rc = TRAWL_OK;
	buf b, sc;
	buf_init(&b);
	buf_init(&sc);
	buf_puts(&rc, &b, "{\"id\":");
	put_json_string(&rc, &b, d->id, d->id_len);
	put_field(&rc, &b, "title", d->title, d->title_len);
	put_field(&rc, &b, "body", d->body, d->body_len);
	put_field(&rc, &b, "date", d->date, d->date_len);
	put_field(&rc, &b, "source", d->source, d->source_len);
	buf_putc(&rc, &b, '}');
	CHECK(rc == TRAWL_OK);
	trawl_doc e;
	size_t col;
	const char *what;
	CHECK(json_parse_doc((const char *)b.p, b.n, &e, &sc, &col, &what) ==
	      TRAWL_OK);
	CHECK(same(d->id, d->id_len, e.id, e.id_len));
	CHECK(same(d->title, d->title_len, e.title, e.title_len));
	CHECK(same(d->body, d->body_len, e.body, e.body_len));
	CHECK(same(d->date, d->date_len, e.date, e.date_len));
	CHECK(same(d->source, d->source_len, e.source, e.source_len));
	buf_free(&b);
	buf_free(&sc);
}

/* Reads everything; returns the hash of the documents, messages and the
 * final code. */
static uint64_t read_all(const uint8_t *data, size_t len, size_t chunk,
			 size_t max_line, int check_round_trip)
{
	trawl_input *in;
	trawl_error err;
	trawl_doc d;
	uint64_t h = 1469598103934665603ull, done, total, last_done = 0;
	unsigned long long last_line = 0;
	int rc;

	CHECK(ingest_open_mem(data, len, "fuzz", &in, &err) == TRAWL_OK);
	ingest_set_limits(in, max_line, chunk);
	for (;;) {
		rc = trawl_input_next(in, &d, &err);
		trawl_input_progress(in, &done, &total);
		CHECK(total == len && done <= total && done >= last_done);
		last_done = done;
		if (rc == 1) {
			CHECK(d.id && d.id_len > 0);
			CHECK(!d.date == !d.date_len);
			CHECK(!d.source == !d.source_len);
			CHECK(d.title || !d.title_len);
			CHECK(d.body || !d.body_len);
			CHECK(d.title_len <= max_line && d.body_len <= max_line);
			h = mix(h, "D", 1);
			h = mix(h, d.id, d.id_len);
			h = mix(h, d.title ? d.title : "\1", d.title_len);
			h = mix(h, d.body ? d.body : "\1", d.body_len);
			h = mix(h, d.date ? d.date : "\1", d.date_len);
			h = mix(h, d.source ? d.source : "\1", d.source_len);
			if (check_round_trip)
				round_trip(&d);
		} else if (rc == TRAWL_EINPUT) {
			unsigned long long line;
			size_t col;
			CHECK(sscanf(err.message, "fuzz:%llu:%zu: ", &line,
				     &col) == 2);
			CHECK(line > last_line && col >= 1);
			CHECK(line == ingest_line(in));
			last_line = line;
			h = mix(h, err.message, strlen(err.message));
		} else {
			CHECK(rc == 0 || rc == TRAWL_ECORRUPT);
			break;
		}
	}
	/* The end, or a failure, is final. */
	CHECK(trawl_input_next(in, &d, &err) == rc);
	h = mix(h, &rc, sizeof rc);
	trawl_input_close(in);
	return h;
}

/* The payload gzip-compressed into a malloc'd buffer (NULL on failure). */
static uint8_t *gzip_payload(const uint8_t *data, size_t size, size_t *out)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&zs, size) + 32;
	uint8_t *z = malloc(cap);
	CHECK(z);
	zs.next_in = (uint8_t *)data;
	zs.avail_in = (uInt)size;
	zs.next_out = z;
	zs.avail_out = (uInt)cap;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
	*out = cap - zs.avail_out;
	deflateEnd(&zs);
	return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Byte 0: bits 0-2 read size, bits 3-4 line limit; bit 5: compress the
 * payload here (mutated gzip rarely gets past the CRC), bit 6: then cut
 * it, bit 7: then flip a byte -- at the place byte 1 picks. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 16, 64, 255, 4096 };
	static const size_t limits[] = { 16, 100, 1000, 1 << 20 };
	uint8_t *z = NULL;
	if (size < 2)
		return 0;
	uint8_t sel = data[0], where = data[1];
	size_t chunk = chunks[sel & 7];
	size_t max_line = limits[(sel >> 3) & 3];
	data += 2;
	size -= 2;
	if (sel & 0x20) {
		size_t zn;
		z = gzip_payload(data, size, &zn);
		if (!z)
			return 0;
		size_t at = zn * where / 256;
		if (sel & 0x40)
			zn = at;
		if ((sel & 0x80) && at < zn)
			z[at] ^= (uint8_t)(where | 1);
		data = z;
		size = zn;
	}
	uint64_t a = read_all(data, size, chunk, max_line, 1);
	uint64_t b = read_all(data, size, 1 << 16, max_line, 0);
	CHECK(a == b);
	free(z);
	return 0;
}
