/*
 * docstore.h -- stored documents (id, title, date, source, body),
 * zstd-compressed in blocks of about DS_BLOCK bytes, each document
 * reachable through its block number (kept in the per-document table).
 *
 * "store" file data:
 *   item*   a dictionary (raw bytes), or a block:
 *           varint first docno | varint ndocs | varint raw_len |
 *           varint comp_len | zstd frame of the records
 *   dicts   ndicts x { u64 offset | u64 len | u64 first block }
 *   index   nblocks x u64 block offset
 *   tail    u64 dicts_off | u64 ndicts | u64 index_off | u64 nblocks
 * record:   for id, title, date, source, body: varint len | bytes
 *
 * Block b is compressed with the last dictionary whose first block is
 * <= b (len 0: none).  A dictionary is trained on the first DS_TRAIN
 * bytes of records of each DS_EPOCH, so a collection whose text drifts
 * (another source, another decade) keeps a dictionary that fits it.
 *
 * Why trained dictionaries: blocks stay small for random access (a
 * snippet decompresses one), and the dictionary gives each block the
 * collection's common phrases and record shapes from its first byte.
 * Measured on reuters-financial (215 MB of text): zlib level 6 with
 * block 0 as preset dictionary 37.2 % of the text at 16 MB/s; zstd with
 * 110 KiB dictionaries trained per epoch (block_params() in docstore.c)
 * 33.5 % at ~100 MB/s (128 KiB blocks).  All four shared collections:
 * 128 KiB blocks with zstd's greedy search 34.3 %, 256 KiB blocks with
 * its faster double-fast one 34.7 % in a tenth less build time, 512 KiB
 * blocks with smaller tables 34.5 % in 5 % less (see block_params());
 * fetching a document decompresses at most 512 KiB (~0.2 ms more than
 * 256 KiB took).
 */
#ifndef TRAWL_DOCSTORE_H
#define TRAWL_DOCSTORE_H

#include <pthread.h>
#include <stdint.h>
#include <zstd.h>

#include "buf.h"
#include "cfile.h"

#define DS_BLOCK (512u << 10)
#define DS_DICT (110u << 10)  /* zstd's own default dictionary size */
#define DS_TRAIN (2u << 20)   /* records a dictionary is trained on */
#define DS_EPOCH (64u << 20)  /* records compressed with one dictionary */
#define DS_LEVEL 6            /* blocks without a dictionary; training */
#define DS_MAX_RAW (256u << 20) /* a block claiming more is damage */

/* A finished block on its way to the compressor. */
typedef struct ds_job {
	struct ds_job *next;
	uint32_t first, ndocs;
	buf raw;
	buf sizes; /* size_t per record: the training samples */
} ds_job;

typedef struct ds_writer {
	cfw *w;
	/* the builder's side: the open block */
	buf raw, sizes;
	uint32_t first, ndocs;
	uint32_t nblocks;      /* block numbers handed out */
	size_t train, epoch;   /* DS_TRAIN, DS_EPOCH (tests make them small) */
	/* the compressor's side (the worker, or the builder without one):
	 * blocks wait in PENDING while a dictionary is due */
	buf comp, index, dicts;
	uint32_t written, ndicts;
	ds_job *pend_head, *pend_tail;
	size_t pend_bytes;
	uint64_t epoch_bytes;  /* compressed with the current dictionary */
	int need_dict;
	ZSTD_CDict *cdict;     /* NULL: no dictionary (too little text) */
	ZSTD_CCtx *cctx;
	/* with a worker: blocks are compressed and written by it, in order,
	 * while the builder goes on; at most max_queued wait */
	int threaded;
	unsigned max_queued;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	ds_job *head, *tail;
	unsigned queued;
	int stop;
	int wrc;               /* the worker's sticky error */
} ds_writer;

/* Compresses in a background thread, with up to MAX_QUEUED blocks (at
 * least 4) waiting for it: the builder goes on through the worker's
 * pauses (training a dictionary takes a while) as long as they fit.
 * Returns ENOMEM if it cannot start one; the writer then works inline. */
void dsw_init(ds_writer *d, cfw *w);
int dsw_start_thread(ds_writer *d, unsigned max_queued);
void dsw_free(ds_writer *d);
/* Adds DOCNO (consecutive from 0); OUT: *block, its block number. */
void dsw_add(int *rc, ds_writer *d, uint32_t docno, const trawl_doc *doc,
	     uint32_t *block);
/* Hands the open block to the compressor: with a worker, the caller goes
 * on while it compresses; more documents may follow. */
void dsw_flush(int *rc, ds_writer *d);
/* Compresses what is left and writes the tables: the store is complete. */
void dsw_finish(int *rc, ds_writer *d);

/* Reads document DOCNO from block BLOCK of store file F.
 * OUT: *out (trawl_stored, one allocation, freed with free()). */
int ds_get(cfile *f, uint32_t block, uint32_t docno, trawl_stored **out,
	   trawl_error *err);

/* The dictionaries of a store, loaded once by a reader and shared
 * between threads. */
typedef struct ds_dicts {
	size_t n;
	uint32_t *first_block;
	ZSTD_DDict **d;        /* NULL entries: blocks without a dictionary */
} ds_dicts;

int ds_load_dicts(cfile *f, ds_dicts *out, trawl_error *err);
void ds_dicts_free(ds_dicts *dicts);

/* Keeps the last decompressed block, so reading documents in order (a
 * merge) decompresses each block once.  Zero it before use; point DICTS
 * at dictionaries the caller keeps, or leave it NULL and the cursor
 * loads the store's own on first use. */
typedef struct ds_cursor {
	int valid;
	const cfile *file;     /* whose block it holds */
	uint32_t block, first, ndocs;
	buf raw;               /* the block; reused: a fresh 512 KiB for every
				  block came from the system zeroed, and went
				  back */
	/* u32 starts of records 0..rec_known of the block, found as fetches
	 * walk it: a later fetch starts from the nearest one */
	buf rec_at;
	uint32_t rec_known;
	const ds_dicts *dicts;
	ds_dicts own;
	ZSTD_DCtx *dctx;
} ds_cursor;

/* ds_get with dictionaries from ds_load_dicts (NULL: read from F). */
int ds_get_dict(cfile *f, const ds_dicts *dicts, uint32_t block,
		uint32_t docno, trawl_stored **out, trawl_error *err);

int ds_get_cached(cfile *f, ds_cursor *c, uint32_t block, uint32_t docno,
		  trawl_stored **out, trawl_error *err);
void ds_cursor_free(ds_cursor *c);

/* Decompresses and checks every block (for trawl-index check);
 * OUT: *ndocs, documents seen. */
int ds_check(cfile *f, uint64_t *ndocs, trawl_error *err);

#endif
