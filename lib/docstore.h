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
 *
 * Every block after the first is deflated with a preset dictionary: the
 * last DS_DICT bytes of block 0's uncompressed records (news text repeats
 * itself: ~9 % smaller on Reuters).  Its zlib stream says so (FDICT), and a
 * reader inflates block 0 once to obtain it.
 */
#ifndef TRAWL_DOCSTORE_H
#define TRAWL_DOCSTORE_H

#include <pthread.h>
#include <stdint.h>

#include "buf.h"
#include "cfile.h"

#define DS_BLOCK (32u << 10)
#define DS_DICT (32u << 10) /* zlib's window: the most a dictionary helps */
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
	uint32_t first_docno;  /* of block 0, which has no dictionary */
	uint8_t dict[DS_DICT]; /* the last DS_DICT bytes of block 0's records */
	size_t dict_len;
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
	uint8_t *dict;        /* the preset dictionary, once needed */
	size_t dict_len;
	const uint8_t *shared_dict; /* or one the caller keeps (not freed) */
	size_t shared_len;
} ds_cursor;

/* The store's preset dictionary (block 0's tail), for readers that keep
 * it.  OUT: *dict (free()) and *len; *dict NULL for an empty store. */
int ds_load_dict(cfile *f, uint8_t **dict, size_t *len, trawl_error *err);

/* ds_get with a dictionary from ds_load_dict (may be NULL: loaded when a
 * block needs it). */
int ds_get_dict(cfile *f, const uint8_t *dict, size_t dict_len,
		uint32_t block, uint32_t docno, trawl_stored **out,
		trawl_error *err);

int ds_get_cached(cfile *f, ds_cursor *c, uint32_t block, uint32_t docno,
		  trawl_stored **out, trawl_error *err);
void ds_cursor_free(ds_cursor *c);

/* Decompresses and checks every block (for trawl-index check);
 * OUT: *ndocs, documents seen. */
int ds_check(cfile *f, uint64_t *ndocs, trawl_error *err);

#endif
