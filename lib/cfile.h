/*
 * cfile.h -- checked files: every index file is one of these.
 *
 *   header   32 bytes: "TRAWLIDX" | u32 kind | u32 version | u64 data_len
 *                      | u32 chunk_shift | u32 crc32 of the preceding 28 bytes
 *   data     data_len bytes
 *   crcs     nchunks x u32: CRC-32 of each CF_CHUNK-byte chunk of data
 *   trailer  u32 crc32 of the crcs | "TEND"
 * (all integers little-endian; nchunks = ceil(data_len / CF_CHUNK))
 *
 * The reader maps the file and checks header, size and trailer on open;
 * a data chunk's CRC is checked the first time a read touches it (once per
 * open, tracked in a bitmap that threads share through atomics), so opening
 * reads no postings and a damaged chunk is reported, never parsed.
 */
#ifndef TRAWL_CFILE_H
#define TRAWL_CFILE_H

#include <stddef.h>
#include <stdint.h>

#include "trawl.h"
#include "buf.h"

#define CF_VERSION 3 /* 2: zstd store with trained dictionaries; 3: Rice
                          * blocks, tf - 1 in postings */
#define CF_CHUNK_SHIFT 14 /* 16 KiB: a rare term verifies little */
#define CF_CHUNK ((uint64_t)1 << CF_CHUNK_SHIFT)
#define CF_HEADER 32

enum {
	CF_META = 1,
	CF_TERMS = 2,
	CF_POSTINGS = 3,
	CF_POSITIONS = 4,
	CF_DOCS = 5,
	CF_STORE = 6,
	CF_RUN = 7,
	CF_MANIFEST = 8,
	CF_DEL = 9,
	CF_IDS = 10
};

/* ---- writing ---- */

typedef struct cfw {
	int fd;
	char *path;
	uint32_t kind;
	uint64_t data_len;   /* bytes of data written so far */
	uint32_t crc;        /* running CRC of the current chunk */
	uint64_t chunk_fill; /* bytes in the current chunk */
	uint32_t *crcs;
	size_t ncrcs, crcs_cap;
	uint8_t *out;        /* write buffer */
	size_t out_n;
	int eno;             /* errno of the first failed write, or 0 */
	int sealed;          /* trailer and header written (cfw_seal) */
	uint64_t file_len;   /* bytes written to the file so far */
	uint64_t kicked;     /* ... of which the writeback was started */
} cfw;

/* Reports RC, a failed write to W, as "writing PATH: why" (the system's
 * reason when a write failed, else RC's); returns RC. */
int cfw_fail(const cfw *w, int rc, trawl_error *err);

/* Creates PATH (O_EXCL) and writes a provisional header. */
int cfw_open(cfw *w, const char *path, uint32_t kind, trawl_error *err);
/* Appends n bytes of data; errors are sticky in *rc (EIO message on close). */
void cfw_write(int *rc, cfw *w, const void *p, size_t n);
uint64_t cfw_offset(const cfw *w);
/* Asks the kernel to start writing W's data to disk, without waiting
 * (advice: errors show in cfw_close's fsync). */
void cfw_start_writeback(const cfw *w);
/* Writes crcs and trailer, rewrites the header and starts the writeback:
 * several files sealed before any is closed reach the disk together
 * rather than one fsync after another. */
int cfw_seal(cfw *w, trawl_error *err);
/* Seals W unless sealed, fsyncs and closes. */
int cfw_close(cfw *w, trawl_error *err);
/* Closes and unlinks an unfinished file.  Safe on a zeroed cfw. */
void cfw_abort(cfw *w);

/* ---- reading ---- */

typedef struct cfile {
	const uint8_t *map;
	size_t map_len;
	const uint8_t *data;
	uint64_t data_len;
	const uint8_t *crcs;
	uint64_t nchunks;
	uint8_t *verified;  /* one byte a chunk, accessed atomically */
	char name[64];      /* file name for messages */
	struct cfile *next; /* the part whose data follows (cf_open_part) */
} cfile;

/* Maps DIR/NAME and checks its header (magic, KIND, version), size and
 * trailer.  ECORRUPT / EVERSION / ENOTFOUND / EIO name the file. */
int cf_open(cfile *f, const char *dir, const char *name, uint32_t kind,
	    trawl_error *err);
/* Opens DIR/NAME as the next part of F: offsets from F's data length on
 * (bounded by the two parts' lengths) are read from it. */
int cf_open_part(cfile *f, const char *dir, const char *name, uint32_t kind,
		 trawl_error *err);
/* Closes F and its parts. */
void cf_close(cfile *f);

/* Points *p at data[off, off+len) after checking bounds and the CRC of
 * every chunk it touches.  A range lies within one part. */
int cf_range_slow(cfile *f, uint64_t off, uint64_t len, const uint8_t **p,
		  trawl_error *err);
/* The same, inline for the common case: a range inside one chunk that
 * is already verified (a query reads a record a hit this way). */
static inline int cf_range(cfile *f, uint64_t off, uint64_t len,
			   const uint8_t **p, trawl_error *err)
{
	if (len && off <= f->data_len && len <= f->data_len - off &&
	    off >> CF_CHUNK_SHIFT == (off + len - 1) >> CF_CHUNK_SHIFT &&
	    __atomic_load_n(&f->verified[off >> CF_CHUNK_SHIFT], __ATOMIC_ACQUIRE)) {
		*p = f->data + off;
		return TRAWL_OK;
	}
	return cf_range_slow(f, off, len, p, err);
}

/* Checks every chunk; ECORRUPT names the file and the chunk's offset. */
int cf_verify_all(cfile *f, trawl_error *err);

/* Bytes on disk, parts included. */
uint64_t cf_size(const cfile *f);
/* Bytes of data, parts included. */
uint64_t cf_data_len(const cfile *f);

/* Removes PATH and, for a directory, everything below it (best effort:
 * the temporary directories of builds and writers).  0 or -1. */
int tr_rm_tree(const char *path);

/* fsync a directory (after renames into it). */
int tr_fsync_dir(const char *dir, trawl_error *err);

#endif
