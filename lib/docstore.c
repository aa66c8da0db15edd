/*
 * docstore.c -- zstd-compressed stored documents (layout in docstore.h).
 *
 * The builder cuts records into blocks (dsw_add); one compressor, the
 * worker thread or the builder itself, trains the dictionaries and
 * compresses and writes the blocks, in order.
 */
#include <stdlib.h>
#include <string.h>
/* ZDICT_trainFromBuffer_fastCover: exported by libzstd, declared among
 * the "static linking" APIs (stable since 1.3.6) */
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCDict_advanced */
#include <zstd.h>
#include <zstd_errors.h>

#include "codec.h"
#include "docstore.h"
#include "error.h"
#include "tlimits.h"

/* a block holds whole documents: the largest one a builder takes, past a
 * full block, stays below the size a reader refuses as damage */
_Static_assert(DS_MAX_RAW >= (uint64_t)TR_MAX_DOC_BYTES + DS_BLOCK + 64,
	       "a block of whole documents stays readable");

void dsw_init(ds_writer *d, cfw *w)
{
	memset(d, 0, sizeof *d);
	d->w = w;
	d->train = DS_TRAIN;
	d->epoch = DS_EPOCH;
	d->need_dict = 1;
	buf_init(&d->raw);
	buf_init(&d->sizes);
	buf_init(&d->comp);
	buf_init(&d->index);
	buf_init(&d->dicts);
}

static void stop_thread(ds_writer *d);

static void free_job(ds_job *j)
{
	buf_free(&j->raw);
	buf_free(&j->sizes);
	free(j);
}

static void free_jobs(ds_job *j)
{
	while (j) {
		ds_job *next = j->next;
		free_job(j);
		j = next;
	}
}

void dsw_free(ds_writer *d)
{
	stop_thread(d);
	free_jobs(d->pend_head);
	free_jobs(d->head);
	d->pend_head = d->pend_tail = d->head = d->tail = NULL;
	ZSTD_freeCDict(d->cdict);
	ZSTD_freeCCtx(d->cctx);
	d->cdict = NULL;
	d->cctx = NULL;
	buf_free(&d->raw);
	buf_free(&d->sizes);
	buf_free(&d->comp);
	buf_free(&d->index);
	buf_free(&d->dicts);
}

/* ---- the compressor: one thread at a time ---- */

/* Compresses J's records with the current dictionary and appends the
 * block to the file. */
static void write_block(int *rc, ds_writer *d, const ds_job *j)
{
	if (*rc)
		return;
	if (!d->cctx && !(d->cctx = ZSTD_createCCtx())) {
		*rc = TRAWL_ENOMEM;
		return;
	}
	size_t bound = ZSTD_compressBound(j->raw.n);
	buf_reset(&d->comp);
	buf_reserve(rc, &d->comp, bound);
	if (*rc)
		return;
	/* the frame states its size and carries a checksum: a damaged block
	 * is refused even where the file's CRCs were not checked */
	ZSTD_CCtx *c = d->cctx;
	ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, DS_LEVEL);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	if (d->cdict)
		ZSTD_CCtx_refCDict(c, d->cdict);
	size_t clen = ZSTD_compress2(c, d->comp.p, bound, j->raw.p, j->raw.n);
	if (ZSTD_isError(clen)) {
		*rc = TRAWL_ENOMEM; /* with a big enough output, nothing else */
		return;
	}
	buf hdr;
	buf_init(&hdr);
	buf_put_u64le(rc, &d->index, cfw_offset(d->w));
	buf_put_varint(rc, &hdr, j->first);
	buf_put_varint(rc, &hdr, j->ndocs);
	buf_put_varint(rc, &hdr, j->raw.n);
	buf_put_varint(rc, &hdr, clen);
	cfw_write(rc, d->w, hdr.p, hdr.n);
	cfw_write(rc, d->w, d->comp.p, clen);
	buf_free(&hdr);
	d->written++;
	d->epoch_bytes += j->raw.n;
}

/* fastCover with fixed parameters, not ZDICT_trainFromBuffer's search
 * over several: on reuters-financial the same size (33.0 % of the records
 * either way) for a sixth of the time (0.1 s a dictionary, not 0.6 s).
 * One thread, so the same text always gives the same dictionary.  On
 * 2 MiB of records with dmers of 6 and accel 8, against 4 MiB, 8 and 4:
 * the five dictionaries of all four shared collections trained in 0.09 s
 * instead of 0.24 s, the blocks 0.3342 of the records instead of
 * 0.3339. */
static ZDICT_fastCover_params_t train_params(void)
{
	ZDICT_fastCover_params_t p;
	memset(&p, 0, sizeof p);
	p.k = 200;
	p.d = 6;
	p.f = 18;
	p.accel = 8;
	p.splitPoint = 1.0; /* train on every sample */
	p.zParams.compressionLevel = DS_LEVEL;
	return p;
}

/* Compression parameters of blocks with a dictionary: level 6's window
 * for a DS_BLOCK input and this dictionary, but zstd's double-fast
 * strategy, smaller tables (zstd copies them into the context for every
 * block) and matches of at least 5 bytes.  All four shared collections,
 * one thread: 64 KiB blocks with ZSTD_createCDict(level 6) stored 34.8 %
 * of the text; 128 KiB blocks, greedy, min match 6: 34.3 %; 256 KiB
 * blocks, double-fast, min match 5: 34.7 %, the build's user time 9.0 ->
 * 8.1 s (median of 4 alternating; min match 6: 34.8 %, 7: 35.5 %;
 * greedy at 256 KiB: 33.5 % but 0.5 s slower).  Recompressing the
 * store's own records (278.8 MB, best of 2): 256 KiB blocks, hash 2^17,
 * chain 2^16: 0.3323 of them in 1.79 s; 2^16 and 2^15: 0.3377 (past
 * 0.35 of the text) in 1.49 s; 512 KiB blocks with those smaller
 * tables: 0.3307 in 1.34 s (2^17 and 2^16: 0.3242 in 1.67 s). */
static ZSTD_compressionParameters block_params(size_t dict_len)
{
	ZSTD_compressionParameters p =
		ZSTD_getCParams(DS_LEVEL, DS_BLOCK, dict_len);
	p.strategy = ZSTD_dfast;
	p.chainLog = 15;
	p.hashLog = 16;
	p.searchLog = 3;
	p.minMatch = 5;
	return p;
}

/* Trains a dictionary on the pending records and writes it, then the
 * pending blocks with it.  Too little or too uniform text trains none:
 * those blocks go without (a table entry of length 0 says so). */
static void train_and_write(int *rc, ds_writer *d)
{
	size_t nsamples = 0;
	for (ds_job *j = d->pend_head; j; j = j->next)
		nsamples += j->sizes.n / sizeof(size_t);
	size_t cap = d->pend_bytes / 16 < DS_DICT ? d->pend_bytes / 16 : DS_DICT;
	size_t dict_len = 0;
	uint8_t *dict = NULL, *samples = NULL;
	size_t *sizes = NULL;
	if (!*rc && cap >= 1024 && nsamples >= 8) {
		dict = malloc(cap);
		samples = malloc(d->pend_bytes);
		sizes = malloc(nsamples * sizeof *sizes);
		if (!dict || !samples || !sizes) {
			*rc = TRAWL_ENOMEM;
		} else {
			size_t off = 0, k = 0;
			for (ds_job *j = d->pend_head; j; j = j->next) {
				memcpy(samples + off, j->raw.p, j->raw.n);
				off += j->raw.n;
				memcpy(sizes + k, j->sizes.p, j->sizes.n);
				k += j->sizes.n / sizeof(size_t);
			}
			size_t r = ZDICT_trainFromBuffer_fastCover(
				dict, cap, samples, sizes, (unsigned)nsamples,
				train_params());
			if (!ZDICT_isError(r))
				dict_len = r;
		}
		free(samples);
		free(sizes);
	}
	ZSTD_freeCDict(d->cdict);
	d->cdict = NULL;
	if (dict_len && !*rc) {
		d->cdict = ZSTD_createCDict_advanced(dict, dict_len,
						     ZSTD_dlm_byCopy,
						     ZSTD_dct_auto,
						     block_params(dict_len),
						     ZSTD_defaultCMem);
		if (!d->cdict)
			*rc = TRAWL_ENOMEM;
	}
	buf_put_u64le(rc, &d->dicts, cfw_offset(d->w));
	buf_put_u64le(rc, &d->dicts, dict_len);
	buf_put_u64le(rc, &d->dicts, d->written);
	cfw_write(rc, d->w, dict, dict_len);
	free(dict);
	d->ndicts++;
	d->need_dict = 0;
	d->epoch_bytes = 0;
	ds_job *j = d->pend_head;
	d->pend_head = d->pend_tail = NULL;
	d->pend_bytes = 0;
	while (j) {
		ds_job *next = j->next;
		write_block(rc, d, j);
		free_job(j);
		j = next;
	}
}

/* Takes one block, in order: held back while a dictionary is due,
 * written otherwise. */
static void compress_job(int *rc, ds_writer *d, ds_job *j)
{
	if (d->need_dict) {
		j->next = NULL;
		if (d->pend_tail)
			d->pend_tail->next = j;
		else
			d->pend_head = j;
		d->pend_tail = j;
		d->pend_bytes += j->raw.n;
		if (d->pend_bytes >= d->train)
			train_and_write(rc, d);
		return;
	}
	write_block(rc, d, j);
	free_job(j);
	if (d->epoch_bytes >= d->epoch)
		d->need_dict = 1;
}

/* After the last block: what waits for a dictionary is written. */
static void compress_end(int *rc, ds_writer *d)
{
	if (d->pend_head)
		train_and_write(rc, d);
}

static void *worker(void *arg)
{
	ds_writer *d = arg;
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->cv, &d->mu);
		ds_job *j = d->head;
		int rc = d->wrc;
		if (!j) {
			pthread_mutex_unlock(&d->mu);
			compress_end(&rc, d);
			pthread_mutex_lock(&d->mu);
			d->wrc = rc;
			break;
		}
		d->head = j->next;
		if (!d->head)
			d->tail = NULL;
		pthread_mutex_unlock(&d->mu);
		compress_job(&rc, d, j);
		pthread_mutex_lock(&d->mu);
		d->wrc = rc;
		d->queued--;
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int dsw_start_thread(ds_writer *d, unsigned max_queued)
{
	d->max_queued = max_queued < 4 ? 4 : max_queued;
	if (pthread_mutex_init(&d->mu, NULL))
		return TRAWL_ENOMEM;
	if (pthread_cond_init(&d->cv, NULL)) {
		pthread_mutex_destroy(&d->mu);
		return TRAWL_ENOMEM;
	}
	if (pthread_create(&d->thread, NULL, worker, d)) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		return TRAWL_ENOMEM;
	}
	d->threaded = 1;
	return TRAWL_OK;
}

/* Lets the worker finish its queue and end (its error stays in wrc). */
static void stop_thread(ds_writer *d)
{
	if (!d->threaded)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	d->threaded = 0;
}

/* ---- the builder's side ---- */

/* Hands J to the worker, or compresses it here without one. */
static void deliver(int *rc, ds_writer *d, ds_job *j)
{
	if (!d->threaded) {
		compress_job(rc, d, j);
		return;
	}
	j->next = NULL;
	pthread_mutex_lock(&d->mu);
	while (d->queued >= d->max_queued && !d->wrc)
		pthread_cond_wait(&d->cv, &d->mu);
	if (d->tail)
		d->tail->next = j;
	else
		d->head = j;
	d->tail = j;
	d->queued++;
	if (d->wrc)
		*rc = d->wrc;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

static void flush(int *rc, ds_writer *d)
{
	if (*rc || d->ndocs == 0)
		return;
	ds_job *j = malloc(sizeof *j);
	if (!j) {
		*rc = TRAWL_ENOMEM;
		return;
	}
	j->next = NULL;
	j->first = d->first;
	j->ndocs = d->ndocs;
	j->raw = d->raw; /* the job takes the buffers */
	j->sizes = d->sizes;
	buf_init(&d->raw);
	buf_init(&d->sizes);
	d->ndocs = 0;
	d->nblocks++;
	deliver(rc, d, j);
}

static void put_field(int *rc, buf *b, const char *s, size_t n)
{
	if (!s)
		n = 0;
	buf_put_varint(rc, b, n);
	buf_put(rc, b, s, n);
}

void dsw_add(int *rc, ds_writer *d, uint32_t docno, const trawl_doc *doc,
	     uint32_t *block)
{
	if (d->ndocs == 0)
		d->first = docno;
	size_t start = d->raw.n;
	put_field(rc, &d->raw, doc->id, doc->id_len);
	put_field(rc, &d->raw, doc->title, doc->title_len);
	put_field(rc, &d->raw, doc->date, doc->date_len);
	put_field(rc, &d->raw, doc->source, doc->source_len);
	put_field(rc, &d->raw, doc->body, doc->body_len);
	size_t n = d->raw.n - start;
	buf_put(rc, &d->sizes, &n, sizeof n);
	d->ndocs++;
	*block = d->nblocks;
	if (d->raw.n >= DS_BLOCK)
		flush(rc, d);
}

void dsw_flush(int *rc, ds_writer *d)
{
	flush(rc, d);
}

void dsw_finish(int *rc, ds_writer *d)
{
	flush(rc, d);
	if (d->threaded) {
		stop_thread(d);
		if (!*rc && d->wrc)
			*rc = d->wrc;
	} else {
		compress_end(rc, d);
	}
	uint64_t dicts_off = cfw_offset(d->w);
	cfw_write(rc, d->w, d->dicts.p, d->dicts.n);
	uint64_t index_off = cfw_offset(d->w);
	cfw_write(rc, d->w, d->index.p, d->index.n);
	buf t;
	buf_init(&t);
	buf_put_u64le(rc, &t, dicts_off);
	buf_put_u64le(rc, &t, d->ndicts);
	buf_put_u64le(rc, &t, index_off);
	buf_put_u64le(rc, &t, d->nblocks);
	cfw_write(rc, d->w, t.p, t.n);
	buf_free(&t);
}

/* ---- reading ---- */

typedef struct dsblock {
	uint32_t first, ndocs;
	uint8_t *raw;
	size_t raw_len;
} dsblock;

static int corrupt(cfile *f, uint64_t off, const char *what, trawl_error *err)
{
	return tr_err(err, TRAWL_ECORRUPT, "%s: %s (data offset %llu)", f->name,
		      what, (unsigned long long)off);
}

/* The store's tail: where the dictionary table and the block index are. */
typedef struct ds_tail {
	uint64_t dicts_off, ndicts, index_off, nblocks;
} ds_tail;

static int tail(cfile *f, ds_tail *t, trawl_error *err)
{
	const uint8_t *p;
	if (f->data_len < 32)
		return corrupt(f, 0, "store too short", err);
	int rc = cf_range(f, f->data_len - 32, 32, &p, err);
	if (rc)
		return rc;
	t->dicts_off = get_u64le(p);
	t->ndicts = get_u64le(p + 8);
	t->index_off = get_u64le(p + 16);
	t->nblocks = get_u64le(p + 24);
	/* every dictionary serves at least one block */
	if (t->index_off > f->data_len - 32 ||
	    (f->data_len - 32 - t->index_off) / 8 != t->nblocks ||
	    (f->data_len - 32 - t->index_off) % 8 != 0 ||
	    t->dicts_off > t->index_off || t->ndicts > t->nblocks ||
	    t->index_off - t->dicts_off != t->ndicts * 24)
		return corrupt(f, f->data_len - 32, "bad store tail", err);
	return TRAWL_OK;
}

void ds_dicts_free(ds_dicts *dicts)
{
	for (size_t i = 0; i < dicts->n; i++)
		ZSTD_freeDDict(dicts->d[i]);
	free(dicts->d);
	free(dicts->first_block);
	memset(dicts, 0, sizeof *dicts);
}

/* One dictionary of the table; NULL *out for an entry of length 0. */
static int load_one(cfile *f, uint64_t off, uint64_t len, uint64_t limit,
		    ZSTD_DDict **out, trawl_error *err)
{
	*out = NULL;
	if (len > DS_DICT || off > limit || len > limit - off)
		return corrupt(f, off, "bad store dictionary entry", err);
	if (len == 0)
		return TRAWL_OK;
	const uint8_t *p;
	int rc = cf_range(f, off, len, &p, err);
	if (rc)
		return rc;
	if (ZDICT_getDictID(p, len) == 0)
		return corrupt(f, off, "bad store dictionary", err);
	*out = ZSTD_createDDict(p, len);
	if (*out)
		return TRAWL_OK;
	/* NULL means damaged tables or no memory, and zstd does not say
	 * which: if the memory a dictionary takes (a copy and its tables)
	 * can be had, the dictionary was the problem */
	void *probe = malloc(len + (64u << 10));
	if (!probe)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	free(probe);
	return corrupt(f, off, "bad store dictionary", err);
}

int ds_load_dicts(cfile *f, ds_dicts *out, trawl_error *err)
{
	memset(out, 0, sizeof *out);
	ds_tail t;
	int rc = tail(f, &t, err);
	if (rc || t.ndicts == 0)
		return rc;
	out->d = calloc(t.ndicts, sizeof *out->d);
	out->first_block = calloc(t.ndicts, sizeof *out->first_block);
	if (!out->d || !out->first_block) {
		ds_dicts_free(out);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	const uint8_t *p;
	if ((rc = cf_range(f, t.dicts_off, t.ndicts * 24, &p, err))) {
		ds_dicts_free(out);
		return rc;
	}
	for (uint64_t i = 0; i < t.ndicts && !rc; i++) {
		const uint8_t *e = p + 24 * i;
		uint64_t first = get_u64le(e + 16);
		/* the first from block 0, each later one from a later block */
		if ((i == 0 && first != 0) || first >= t.nblocks ||
		    (i > 0 && first <= out->first_block[i - 1])) {
			rc = corrupt(f, t.dicts_off + 24 * i,
				     "bad store dictionary entry", err);
			break;
		}
		out->first_block[i] = (uint32_t)first;
		out->n = i + 1;
		rc = load_one(f, get_u64le(e), get_u64le(e + 8), t.dicts_off,
			      &out->d[i], err);
	}
	if (rc)
		ds_dicts_free(out);
	return rc;
}

/* The dictionary of block B: the last one starting at or before it. */
static const ZSTD_DDict *dict_for(const ds_dicts *dicts, uint64_t b)
{
	size_t lo = 0, hi = dicts->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (dicts->first_block[mid] <= b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? dicts->d[lo - 1] : NULL;
}

/* Loads block b, decompressing with C's dictionaries and context into
 * C's buffer (OUT points into it; on failure what it held is gone). */
static int load_block(cfile *f, uint64_t b, dsblock *out, ds_cursor *c,
		      trawl_error *err)
{
	ds_tail t;
	int rc = tail(f, &t, err);
	if (rc)
		return rc;
	if (b >= t.nblocks)
		return corrupt(f, t.index_off, "block number out of range", err);
	if (!c->dicts) {
		if ((rc = ds_load_dicts(f, &c->own, err)))
			return rc;
		c->dicts = &c->own;
	}
	if (!c->dctx && !(c->dctx = ZSTD_createDCtx()))
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	const uint8_t *p;
	rc = cf_range(f, t.index_off + 8 * b, 8, &p, err);
	if (rc)
		return rc;
	uint64_t off = get_u64le(p);
	uint64_t end = t.dicts_off;
	if (b + 1 < t.nblocks) {
		rc = cf_range(f, t.index_off + 8 * (b + 1), 8, &p, err);
		if (rc)
			return rc;
		end = get_u64le(p);
	}
	if (off > end || end > t.dicts_off)
		return corrupt(f, t.index_off + 8 * b, "bad block offset", err);
	rc = cf_range(f, off, end - off, &p, err);
	if (rc)
		return rc;
	rd r = { p, p + (end - off) };
	uint64_t first, ndocs, raw_len, comp_len;
	const uint8_t *comp;
	if (rd_varint(&r, &first) || rd_varint(&r, &ndocs) ||
	    rd_varint(&r, &raw_len) || rd_varint(&r, &comp_len) ||
	    first > UINT32_MAX || ndocs == 0 || ndocs > raw_len ||
	    raw_len > DS_MAX_RAW || rd_bytes(&r, comp_len, &comp))
		return corrupt(f, off, "bad block header", err);
	/* the frame states its size: a lie about raw_len allocates nothing */
	if (ZSTD_getFrameContentSize(comp, comp_len) != raw_len)
		return corrupt(f, off, "compressed block does not match its size",
			       err);
	c->valid = 0;
	buf_reset(&c->raw);
	buf_reserve(&rc, &c->raw, raw_len);
	if (rc)
		return tr_err(err, rc, "out of memory");
	uint8_t *raw = c->raw.p;
	size_t got = ZSTD_decompress_usingDDict(c->dctx, raw, raw_len, comp,
						comp_len, dict_for(c->dicts, b));
	if (ZSTD_isError(got) || got != raw_len) {
		if (ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		return corrupt(f, off, "compressed block does not decompress",
			       err);
	}
	out->first = (uint32_t)first;
	out->ndocs = (uint32_t)ndocs;
	c->raw.n = raw_len;
	out->raw = raw;
	out->raw_len = raw_len;
	return TRAWL_OK;
}

/* Reads one record's five fields as (pointer, length) pairs. */
static int read_record(rd *r, const uint8_t *fp[5], uint64_t fl[5])
{
	for (int i = 0; i < 5; i++)
		if (rd_varint(r, &fl[i]) || rd_bytes(r, fl[i], &fp[i]))
			return TRAWL_ECORRUPT;
	return TRAWL_OK;
}

void ds_cursor_free(ds_cursor *c)
{
	buf_free(&c->raw);
	buf_free(&c->rec_at);
	ds_dicts_free(&c->own);
	ZSTD_freeDCtx(c->dctx);
	memset(c, 0, sizeof *c);
}

int ds_get_cached(cfile *f, ds_cursor *c, uint32_t block, uint32_t docno,
		  trawl_stored **out, trawl_error *err)
{
	if (c->file != f) {
		c->valid = 0; /* the same block number in another store */
		c->file = f;
	}
	if (!c->valid || c->block != block) {
		dsblock b;
		int rc = load_block(f, block, &b, c, err);
		if (rc)
			return rc;
		buf_reset(&c->rec_at);
		buf_reserve(&rc, &c->rec_at,
			    ((size_t)b.ndocs + 1) * sizeof(uint32_t));
		if (rc)
			return tr_err(err, rc, "out of memory");
		c->valid = 1;
		c->block = block;
		c->first = b.first;
		c->ndocs = b.ndocs;
		((uint32_t *)c->rec_at.p)[0] = 0;
		c->rec_known = 0;
	}
	if (docno < c->first || docno - c->first >= c->ndocs)
		return corrupt(f, 0, "document not in its block", err);
	uint32_t *rec_at = (uint32_t *)c->rec_at.p;
	uint32_t want = docno - c->first;
	uint32_t from = want < c->rec_known ? want : c->rec_known;
	const uint8_t *fp[5];
	uint64_t fl[5];
	rd r = { c->raw.p + rec_at[from], c->raw.p + c->raw.n };
	for (uint32_t i = from;; i++) {
		if (read_record(&r, fp, fl))
			return corrupt(f, 0, "bad document record", err);
		if (i == c->rec_known) {
			rec_at[i + 1] = (uint32_t)(r.p - c->raw.p);
			c->rec_known = i + 1;
		}
		if (i == want)
			break;
	}
	size_t total = sizeof(trawl_stored) + fl[0] + fl[1] + fl[2] + fl[3] +
		       fl[4] + 5;
	trawl_stored *d = malloc(total);
	if (!d)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	char *s = (char *)(d + 1);
	const char **dst[5] = { &d->id, &d->title, &d->date, &d->source,
				&d->body };
	size_t *len[5] = { &d->id_len, &d->title_len, &d->date_len,
			   &d->source_len, &d->body_len };
	for (int i = 0; i < 5; i++) {
		memcpy(s, fp[i], fl[i]);
		s[fl[i]] = '\0';
		*dst[i] = s;
		*len[i] = fl[i];
		s += fl[i] + 1;
	}
	d->docno = docno;
	*out = d;
	return TRAWL_OK;
}

int ds_get_dict(cfile *f, const ds_dicts *dicts, uint32_t block,
		uint32_t docno, trawl_stored **out, trawl_error *err)
{
	ds_cursor c;
	memset(&c, 0, sizeof c);
	c.dicts = dicts;
	int rc = ds_get_cached(f, &c, block, docno, out, err);
	ds_cursor_free(&c);
	return rc;
}

int ds_get(cfile *f, uint32_t block, uint32_t docno, trawl_stored **out,
	   trawl_error *err)
{
	return ds_get_dict(f, NULL, block, docno, out, err);
}

int ds_check(cfile *f, uint64_t *ndocs, trawl_error *err)
{
	ds_tail t;
	int rc = tail(f, &t, err);
	if (rc)
		return rc;
	uint64_t nblocks = t.nblocks, n = 0;
	ds_cursor dc; /* keeps the dictionary and context for every block */
	memset(&dc, 0, sizeof dc);
	for (uint64_t k = 0; k < nblocks && !rc; k++) {
		dsblock b;
		if ((rc = load_block(f, k, &b, &dc, err)))
			break;
		rd r = { b.raw, b.raw + b.raw_len };
		if (b.first != n)
			rc = corrupt(f, 0, "blocks out of order", err);
		for (uint32_t i = 0; !rc && i < b.ndocs; i++) {
			const uint8_t *fp[5];
			uint64_t fl[5];
			if (read_record(&r, fp, fl))
				rc = corrupt(f, 0, "bad document record", err);
		}
		if (!rc && r.p != r.end)
			rc = corrupt(f, 0, "trailing bytes in block", err);
		n += b.ndocs;
	}
	ds_cursor_free(&dc);
	if (!rc)
		*ndocs = n;
	return rc;
}
