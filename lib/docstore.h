/*
 * docstore.h -- stored documents (id, title, date, source, body),
 * zstd-compressed in blocks of about DS_BLOCK bytes, each document
 * reachable through its block number (kept in the per-document table).
 *
 * "store" file data:
 *   dict    varint dict_len | dict_len bytes: a zstd dictionary trained on
 *           the first DS_TRAIN bytes of records (0 bytes: none)
 *   block*  varint first docno | varint ndocs | varint raw_len |
 *           varint comp_len | zstd frame of the records
 *   index   nblocks x u64 block offset
 *   tail    u64 index_off | u64 nblocks
 * record:   for id, title, date, source, body: varint len | bytes
 *
 * Why a trained dictionary: blocks stay small for random access (a
 * snippet decompresses one), and the dictionary gives each block the
 * collection's common phrases and record shapes from its first byte.
 * Measured on reuters-financial (215 MB of text): zlib level 6 with
 * block 0 as preset dictionary 36.1 % of the text at 16 MB/s; zstd
 * level 5 with a 110 KiB trained dictionary 34.4 % at 77 MB/s.
 */
#ifndef TRAWL_DOCSTORE_H
#define TRAWL_DOCSTORE_H

#include <pthread.h>
#include <stdint.h>
#include <zstd.h>

#include "buf.h"
#include "cfile.h"

#define DS_BLOCK (64u << 10)
#define DS_DICT (110u << 10)  /* zstd's own default dictionary size */
#define DS_TRAIN (4u << 20)   /* records the dictionary is trained on */
#define DS_LEVEL 6
#define DS_MAX_RAW (256u << 20) /* a block claiming more is damage */

/* A finished block, waiting for the dictionary or the compressing thread. */
typedef struct ds_job {
	struct ds_job *next;
	uint32_t first, ndocs;
	buf raw;
} ds_job;

typedef struct ds_writer {
	cfw *w;
	buf raw, comp, index;
	uint32_t first, ndocs; /* of the open block */
	uint32_t nblocks;
	/* until the dictionary is trained, finished blocks wait in PENDING
	 * and SIZES holds the size of every record so far (the samples) */
	int trained;
	ds_job *pend_head, *pend_tail;
	size_t pend_bytes;
	buf sizes;
	ZSTD_CDict *cdict;     /* NULL: no dictionary (too little text) */
	ZSTD_CCtx *cctx;       /* the builder's, when there is no worker */
	/* with a worker: blocks are compressed and written by it, in order,
	 * while the builder goes on; at most DS_QUEUE wait */
	int threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	ds_job *head, *tail;
	unsigned queued;
	int stop;
	int wrc;               /* the worker's sticky error */
} ds_writer;

#define DS_QUEUE 4

/* THREADED: compress in a background thread (returns ENOMEM or EIO if it
 * cannot start one, and the writer then works inline). */
void dsw_init(ds_writer *d, cfw *w);
int dsw_start_thread(ds_writer *d);
void dsw_free(ds_writer *d);
/* Adds DOCNO (consecutive from 0); OUT: *block, its block number. */
void dsw_add(int *rc, ds_writer *d, uint32_t docno, const trawl_doc *doc,
	     uint32_t *block);
void dsw_finish(int *rc, ds_writer *d);

/* Reads document DOCNO from block BLOCK of store file F.
 * OUT: *out (trawl_stored, one allocation, freed with free()). */
int ds_get(cfile *f, uint32_t block, uint32_t docno, trawl_stored **out,
	   trawl_error *err);

/* Keeps the last decompressed block, so reading documents in order (a
 * merge) decompresses each block once.  Zero it before use; set DICT to
 * a dictionary from ds_load_dict the caller keeps, or leave it NULL and
 * the cursor loads the store's own on first use. */
typedef struct ds_cursor {
	int valid;
	uint32_t block, first, ndocs;
	uint8_t *raw;
	size_t raw_len;
	const ZSTD_DDict *dict;
	ZSTD_DDict *own_dict;
	int dict_loaded;
	ZSTD_DCtx *dctx;
} ds_cursor;

/* The store's dictionary, for readers that keep it (shareable between
 * threads).  OUT: *dict (ZSTD_freeDDict), NULL when the store has none. */
int ds_load_dict(cfile *f, ZSTD_DDict **dict, trawl_error *err);

/* ds_get with a dictionary from ds_load_dict (NULL: read from F). */
int ds_get_dict(cfile *f, const ZSTD_DDict *dict, uint32_t block,
		uint32_t docno, trawl_stored **out, trawl_error *err);

int ds_get_cached(cfile *f, ds_cursor *c, uint32_t block, uint32_t docno,
		  trawl_stored **out, trawl_error *err);
void ds_cursor_free(ds_cursor *c);

/* Decompresses and checks every block (for trawl-index check);
 * OUT: *ndocs, documents seen. */
int ds_check(cfile *f, uint64_t *ndocs, trawl_error *err);

#endif
