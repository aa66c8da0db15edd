/*
 * ingest.h -- internal entry points of the corpus reader (lib/ingest.c)
 * beyond the public trawl_input_* calls: reading JSON Lines from memory
 * (for the fuzzer and tests) and test-only tuning of buffer sizes.
 */
#ifndef TRAWL_INGEST_H
#define TRAWL_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "trawl.h"

/* Opens LEN bytes at DATA as JSON Lines, plain or gzip (by magic bytes),
 * exactly as a file holding them would be read.  DATA is borrowed and must
 * outlive the input; NAME (copied) names it in messages.  Progress counts
 * against LEN.  OUT: *out, closed with trawl_input_close.  Returns
 * TRAWL_OK, TRAWL_EINVAL or TRAWL_ENOMEM. */
int ingest_open_mem(const void *data, size_t len, const char *name,
		    trawl_input **out, trawl_error *err);

/* Tuning for tests: MAX_LINE caps one JSON line or one .txt file (default
 * TR_MAX_DOC_BYTES), CHUNK is the most bytes read per call (default
 * 1 MiB; at most 1 GiB); gzip is read and inflated at least 64 KiB at a
 * time whatever CHUNK says (ingest.c, fill_gz).  0 keeps a value.
 * Applies to reads made after the call. */
void ingest_set_limits(trawl_input *in, size_t max_line, size_t chunk);

/* The 1-based number of the last line read from the current JSON Lines
 * stream (0 before the first, and for .txt directories). */
uint64_t ingest_line(const trawl_input *in);

#endif
