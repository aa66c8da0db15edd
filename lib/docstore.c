/*
 * docstore.c -- zlib-compressed stored documents (layout in docstore.h).
 */
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "codec.h"
#include "docstore.h"
#include "error.h"

void dsw_init(ds_writer *d, cfw *w)
{
	memset(d, 0, sizeof *d);
	d->w = w;
	buf_init(&d->raw);
	buf_init(&d->comp);
	buf_init(&d->index);
	buf_init(&d->sizes);
}

static void stop_thread(ds_writer *d);

static void free_jobs(ds_job *j)
{
	while (j) {
		ds_job *next = j->next;
		buf_free(&j->raw);
		free(j);
		j = next;
	}
}

void dsw_free(ds_writer *d)
{
	stop_thread(d);
	free_jobs(d->pend_head);
	d->pend_head = d->pend_tail = NULL;
	ZSTD_freeCDict(d->cdict);
	ZSTD_freeCCtx(d->cctx);
	buf_free(&d->raw);
	buf_free(&d->comp);
	buf_free(&d->index);
	buf_free(&d->sizes);
}

/* Compresses RAW with CCTX and appends the block to the file (the
 * worker's job, or the builder's when there is no worker). */
static void write_block(int *rc, ds_writer *d, ZSTD_CCtx *cctx,
			uint32_t first, uint32_t ndocs, const buf *raw,
			buf *comp)
{
	if (*rc)
		return;
	size_t bound = ZSTD_compressBound(raw->n);
	buf_reset(comp);
	buf_reserve(rc, comp, bound);
	if (*rc)
		return;
	/* the frame states its size and carries a checksum: a damaged block
	 * is refused even where the file's CRCs were not checked */
	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, DS_LEVEL);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	if (d->cdict)
		ZSTD_CCtx_refCDict(cctx, d->cdict);
	size_t clen = ZSTD_compress2(cctx, comp->p, bound, raw->p, raw->n);
	if (ZSTD_isError(clen)) {
		*rc = TRAWL_ENOMEM; /* with a big enough output, nothing else */
		return;
	}
	buf hdr;
	buf_init(&hdr);
	buf_put_u64le(rc, &d->index, cfw_offset(d->w));
	buf_put_varint(rc, &hdr, first);
	buf_put_varint(rc, &hdr, ndocs);
	buf_put_varint(rc, &hdr, raw->n);
	buf_put_varint(rc, &hdr, clen);
	cfw_write(rc, d->w, hdr.p, hdr.n);
	cfw_write(rc, d->w, comp->p, clen);
	buf_free(&hdr);
}

static void *worker(void *arg)
{
	ds_writer *d = arg;
	buf comp;
	buf_init(&comp);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->cv, &d->mu);
		ds_job *j = d->head;
		if (!j)
			break;
		d->head = j->next;
		if (!d->head)
			d->tail = NULL;
		int rc = d->wrc;
		pthread_mutex_unlock(&d->mu);
		if (!cctx && !rc)
			rc = TRAWL_ENOMEM;
		write_block(&rc, d, cctx, j->first, j->ndocs, &j->raw, &comp);
		buf_free(&j->raw);
		free(j);
		pthread_mutex_lock(&d->mu);
		d->wrc = rc;
		d->queued--;
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
	ZSTD_freeCCtx(cctx);
	buf_free(&comp);
	return NULL;
}

int dsw_start_thread(ds_writer *d)
{
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

/* Waits for the worker to drain its queue and end; returns its error. */
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

/* Compresses and writes J's block now or hands it to the worker; takes J. */
static void submit(int *rc, ds_writer *d, ds_job *j)
{
	if (!d->threaded) {
		if (!d->cctx && !(d->cctx = ZSTD_createCCtx()) && !*rc)
			*rc = TRAWL_ENOMEM;
		write_block(rc, d, d->cctx, j->first, j->ndocs, &j->raw,
			    &d->comp);
		buf_free(&j->raw);
		free(j);
		return;
	}
	pthread_mutex_lock(&d->mu);
	while (d->queued >= DS_QUEUE && !d->wrc)
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

/* Trains the dictionary on the pending records, writes it at the start
 * of the file, then sends the pending blocks on.  Too little or too
 * uniform text trains no dictionary; the blocks are compressed without. */
static void train(int *rc, ds_writer *d)
{
	size_t nsamples = d->sizes.n / sizeof(size_t);
	size_t cap = d->pend_bytes / 16 < DS_DICT ? d->pend_bytes / 16 : DS_DICT;
	size_t dict_len = 0;
	uint8_t *dict = NULL, *samples = NULL;
	if (!*rc && cap >= 1024 && nsamples >= 8) {
		dict = malloc(cap);
		samples = malloc(d->pend_bytes);
		if (!dict || !samples) {
			*rc = TRAWL_ENOMEM;
		} else {
			size_t off = 0;
			for (ds_job *j = d->pend_head; j; j = j->next) {
				memcpy(samples + off, j->raw.p, j->raw.n);
				off += j->raw.n;
			}
			size_t r = ZDICT_trainFromBuffer(dict, cap, samples,
							 (const size_t *)d->sizes.p,
							 (unsigned)nsamples);
			if (!ZDICT_isError(r))
				dict_len = r;
		}
		free(samples);
	}
	if (dict_len) {
		d->cdict = ZSTD_createCDict(dict, dict_len, DS_LEVEL);
		if (!d->cdict && !*rc)
			*rc = TRAWL_ENOMEM;
	}
	buf hdr;
	buf_init(&hdr);
	buf_put_varint(rc, &hdr, dict_len);
	cfw_write(rc, d->w, hdr.p, hdr.n);
	cfw_write(rc, d->w, dict, dict_len);
	buf_free(&hdr);
	free(dict);
	buf_free(&d->sizes);
	d->trained = 1;
	ds_job *j = d->pend_head;
	d->pend_head = d->pend_tail = NULL;
	while (j) {
		ds_job *next = j->next;
		j->next = NULL;
		submit(rc, d, j);
		j = next;
	}
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
	j->raw = d->raw; /* the job takes the buffer */
	buf_init(&d->raw);
	d->ndocs = 0;
	d->nblocks++;
	if (d->trained) {
		submit(rc, d, j);
		return;
	}
	if (d->pend_tail)
		d->pend_tail->next = j;
	else
		d->pend_head = j;
	d->pend_tail = j;
	d->pend_bytes += j->raw.n;
	if (d->pend_bytes >= DS_TRAIN)
		train(rc, d);
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
	if (!d->trained) {
		size_t n = d->raw.n - start;
		buf_put(rc, &d->sizes, &n, sizeof n);
	}
	d->ndocs++;
	*block = d->nblocks;
	if (d->raw.n >= DS_BLOCK)
		flush(rc, d);
}

void dsw_finish(int *rc, ds_writer *d)
{
	flush(rc, d);
	if (!d->trained)
		train(rc, d);
	stop_thread(d);
	if (!*rc && d->wrc)
		*rc = d->wrc;
	uint64_t index_off = cfw_offset(d->w);
	cfw_write(rc, d->w, d->index.p, d->index.n);
	buf t;
	buf_init(&t);
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

static int tail(cfile *f, uint64_t *index_off, uint64_t *nblocks,
		trawl_error *err)
{
	const uint8_t *p;
	if (f->data_len < 16)
		return corrupt(f, 0, "store too short", err);
	int rc = cf_range(f, f->data_len - 16, 16, &p, err);
	if (rc)
		return rc;
	*index_off = get_u64le(p);
	*nblocks = get_u64le(p + 8);
	if (*index_off > f->data_len - 16 ||
	    (f->data_len - 16 - *index_off) != *nblocks * 8)
		return corrupt(f, f->data_len - 16, "bad store tail", err);
	return TRAWL_OK;
}

/* The dictionary section at the start of the data. OUT: its bytes and
 * the offset of block 0. */
static int dict_section(cfile *f, const uint8_t **dict, uint64_t *dict_len,
			uint64_t *blocks_off, trawl_error *err)
{
	const uint8_t *p;
	uint64_t n = f->data_len < 10 ? f->data_len : 10;
	int rc = cf_range(f, 0, n, &p, err);
	if (rc)
		return rc;
	rd r = { p, p + n };
	if (rd_varint(&r, dict_len) || *dict_len > DS_DICT ||
	    *dict_len > f->data_len - (uint64_t)(r.p - p))
		return corrupt(f, 0, "bad store dictionary header", err);
	uint64_t off = (uint64_t)(r.p - p);
	if ((rc = cf_range(f, off, *dict_len, dict, err)))
		return rc;
	*blocks_off = off + *dict_len;
	return TRAWL_OK;
}

int ds_load_dict(cfile *f, ZSTD_DDict **dict, trawl_error *err)
{
	*dict = NULL;
	const uint8_t *p;
	uint64_t len, blocks_off;
	int rc = dict_section(f, &p, &len, &blocks_off, err);
	if (rc || len == 0)
		return rc;
	if (ZDICT_getDictID(p, len) == 0)
		return corrupt(f, 0, "bad store dictionary", err);
	*dict = ZSTD_createDDict(p, len);
	if (*dict)
		return TRAWL_OK;
	/* NULL means damaged tables or no memory, and zstd does not say
	 * which: if the memory a dictionary takes (a copy and its tables)
	 * can be had, the dictionary was the problem */
	void *probe = malloc(len + (64u << 10));
	if (!probe)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	free(probe);
	return corrupt(f, 0, "bad store dictionary", err);
}

/* Loads block b, decompressing with C's dictionary and context. */
static int load_block(cfile *f, uint64_t b, dsblock *out, ds_cursor *c,
		      trawl_error *err)
{
	uint64_t index_off, nblocks;
	int rc = tail(f, &index_off, &nblocks, err);
	if (rc)
		return rc;
	if (b >= nblocks)
		return corrupt(f, index_off, "block number out of range", err);
	if (!c->dict && !c->dict_loaded) {
		if ((rc = ds_load_dict(f, &c->own_dict, err)))
			return rc;
		c->dict = c->own_dict;
		c->dict_loaded = 1;
	}
	if (!c->dctx && !(c->dctx = ZSTD_createDCtx()))
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	const uint8_t *p;
	rc = cf_range(f, index_off + 8 * b, 8, &p, err);
	if (rc)
		return rc;
	uint64_t off = get_u64le(p);
	uint64_t end = index_off;
	if (b + 1 < nblocks) {
		rc = cf_range(f, index_off + 8 * (b + 1), 8, &p, err);
		if (rc)
			return rc;
		end = get_u64le(p);
	}
	if (off > end || end > index_off)
		return corrupt(f, index_off + 8 * b, "bad block offset", err);
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
	unsigned long long fsize = ZSTD_getFrameContentSize(comp, comp_len);
	if (fsize != raw_len)
		return corrupt(f, off, "compressed block does not match its size",
			       err);
	uint8_t *raw = malloc(raw_len ? raw_len : 1);
	if (!raw)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	size_t got = ZSTD_decompress_usingDDict(c->dctx, raw, raw_len, comp,
						comp_len, c->dict);
	if (ZSTD_isError(got) || got != raw_len) {
		free(raw);
		if (ZSTD_getErrorCode(got) == ZSTD_error_memory_allocation)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		return corrupt(f, off, "compressed block does not decompress",
			       err);
	}
	out->first = (uint32_t)first;
	out->ndocs = (uint32_t)ndocs;
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
	free(c->raw);
	ZSTD_freeDDict(c->own_dict);
	ZSTD_freeDCtx(c->dctx);
	memset(c, 0, sizeof *c);
}

int ds_get_cached(cfile *f, ds_cursor *c, uint32_t block, uint32_t docno,
		  trawl_stored **out, trawl_error *err)
{
	if (!c->valid || c->block != block) {
		dsblock b;
		int rc = load_block(f, block, &b, c, err);
		if (rc)
			return rc;
		free(c->raw);
		c->valid = 1;
		c->block = block;
		c->first = b.first;
		c->ndocs = b.ndocs;
		c->raw = b.raw;
		c->raw_len = b.raw_len;
	}
	if (docno < c->first || docno - c->first >= c->ndocs)
		return corrupt(f, 0, "document not in its block", err);
	rd r = { c->raw, c->raw + c->raw_len };
	const uint8_t *fp[5];
	uint64_t fl[5];
	for (uint32_t i = 0; i <= docno - c->first; i++)
		if (read_record(&r, fp, fl))
			return corrupt(f, 0, "bad document record", err);
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

int ds_get_dict(cfile *f, const ZSTD_DDict *dict, uint32_t block,
		uint32_t docno, trawl_stored **out, trawl_error *err)
{
	ds_cursor c;
	memset(&c, 0, sizeof c);
	c.dict = dict;
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
	uint64_t index_off, nblocks;
	int rc = tail(f, &index_off, &nblocks, err);
	if (rc)
		return rc;
	uint64_t n = 0;
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
		free(b.raw);
	}
	ds_cursor_free(&dc);
	if (!rc)
		*ndocs = n;
	return rc;
}
