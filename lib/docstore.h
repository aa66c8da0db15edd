/*
 * docstore.h -- stored documents (id, title, date, source, body),
 * zlib-compressed in blocks of about DS_BLOCK bytes, each document
 * reachable through its block number (kept in the per-document table).
 *
 * "store" file data:
 *   block*  varint first docno | varint ndocs | varint raw_len |
 *           varint comp_len | zlib stream of the records
 *   index   nblocks x u64 block offset
 *   tail    u64 index_off | u64 nblocks
 * record:   for id, title, date, source, body: varint len | bytes
 */
#ifndef TRAWL_DOCSTORE_H
#define TRAWL_DOCSTORE_H

#include <pthread.h>
#include <stdint.h>

#include "buf.h"
#include "cfile.h"

#define DS_BLOCK (32u << 10)
#define DS_MAX_RAW (256u << 20) /* a block claiming more is damage */

/* A block handed to the compressing thread. */
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

/* Keeps the last inflated block, so reading documents in order (a
 * merge) inflates each block once.  Zero it before use. */
typedef struct ds_cursor {
	int valid;
	uint32_t block, first, ndocs;
	uint8_t *raw;
	size_t raw_len;
} ds_cursor;

int ds_get_cached(cfile *f, ds_cursor *c, uint32_t block, uint32_t docno,
		  trawl_stored **out, trawl_error *err);
void ds_cursor_free(ds_cursor *c);

/* Decompresses and checks every block (for trawl-index check);
 * OUT: *ndocs, documents seen. */
int ds_check(cfile *f, uint64_t *ndocs, trawl_error *err);

#endif
