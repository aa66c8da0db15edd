/*
 * fuzz_codec.c -- libFuzzer target for the block codec (codec.h), which
 * reads postings and positions bytes straight from index files:
 *
 *   byte 0   n = 1 + b % PC_BLOCK, the number of values the reader expects
 *   rest     the block bytes
 *
 * A decode must stay inside the bytes (ASan sees an over-read: the input
 * is copied into an exact-size allocation) and end in OK or ECORRUPT.  On
 * OK, pc_skip must accept the block and stop where decode stopped, and the
 * values encoded again (both forms) must decode to the same values.  Where
 * the SSE4.1 unpacker is in use, the scalar one must give the same answer.
 * Seeds: fuzz/corpus/fuzz_codec/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trawl.h"
#include "buf.h"
#include "codec.h"

static void round_trip(const uint32_t *v, size_t n, int skippable)
{
	int rc = TRAWL_OK;
	buf b;
	buf_init(&b);
	if (skippable)
		pc_encode_skippable(&rc, &b, v, n);
	else
		pc_encode(&rc, &b, v, n);
	if (rc)
		abort();
	if (!skippable && b.n != pc_size(v, n))
		abort();
	uint32_t out[PC_BLOCK];
	rd r = { b.p, b.p + b.n };
	if (pc_decode(&r, out, n) != TRAWL_OK || r.p != b.p + b.n ||
	    memcmp(out, v, n * sizeof *v) != 0)
		abort();
	rd s = { b.p, b.p + b.n };
	if (pc_skip(&s, n) != TRAWL_OK || s.p != b.p + b.n)
		abort();
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t n = 1 + data[0] % PC_BLOCK;
	size_t len = size - 1;
	uint8_t *p = malloc(len ? len : 1);
	if (!p)
		return 0;
	memcpy(p, data + 1, len);
	uint32_t out[PC_BLOCK];
	rd r = { p, p + len };
	int rc = pc_decode(&r, out, n);
	if (rc != TRAWL_OK && rc != TRAWL_ECORRUPT)
		abort();
	if (r.p < p || r.p > p + len)
		abort();
	if (pc_simd_unpack) {
		/* the scalar unpacker reads it alike */
		uint32_t out2[PC_BLOCK];
		rd r2 = { p, p + len };
		pc_simd_unpack = 0;
		int rc2 = pc_decode(&r2, out2, n);
		pc_simd_unpack = 1;
		if (rc2 != rc || r2.p != r.p ||
		    (rc == TRAWL_OK && memcmp(out, out2, n * sizeof *out)))
			abort();
	}
	rd s = { p, p + len };
	int src = pc_skip(&s, n);
	if (src != TRAWL_OK && src != TRAWL_ECORRUPT)
		abort();
	if (rc == TRAWL_OK) {
		/* skip may trust a stated length that decode checks, so only
		 * a decodable block binds it */
		if (src != TRAWL_OK || s.p != r.p)
			abort();
		round_trip(out, n, 0);
		round_trip(out, n, 1);
	}
	free(p);
	return 0;
}
