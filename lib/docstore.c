/*
 * docstore.c -- zlib-compressed stored documents (layout in docstore.h).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

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
}

static void stop_thread(ds_writer *d);

void dsw_free(ds_writer *d)
{
	stop_thread(d);
	buf_free(&d->raw);
	buf_free(&d->comp);
	buf_free(&d->index);
}

/* Compresses RAW and appends the block to the file (the worker's job, or
 * the builder's when there is no worker). */
static void write_block(int *rc, ds_writer *d, uint32_t first, uint32_t ndocs,
			const buf *raw, buf *comp)
{
	if (*rc)
		return;
	z_stream z;
	memset(&z, 0, sizeof z);
	if (deflateInit(&z, 6) != Z_OK) {
		*rc = TRAWL_ENOMEM;
		return;
	}
	/* every block but the first starts from the first block's text */
	int zr = Z_OK;
	if (first != d->first_docno && d->dict_len)
		zr = deflateSetDictionary(&z, d->dict, (uInt)d->dict_len);
	/* deflateBound counts the dictionary id a preset dictionary adds */
	uLong bound = deflateBound(&z, (uLong)raw->n) + 16;
	buf_reset(comp);
	buf_reserve(rc, comp, bound);
	if (*rc) {
		deflateEnd(&z);
		return;
	}
	z.next_in = raw->p;
	z.avail_in = (uInt)raw->n;
	z.next_out = comp->p;
	z.avail_out = (uInt)bound;
	if (zr == Z_OK)
		zr = deflate(&z, Z_FINISH);
	uLong clen = z.total_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		*rc = TRAWL_ENOMEM;
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
		write_block(&rc, d, j->first, j->ndocs, &j->raw, &comp);
		buf_free(&j->raw);
		free(j);
		pthread_mutex_lock(&d->mu);
		d->wrc = rc;
		d->queued--;
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
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

static void flush(int *rc, ds_writer *d)
{
	if (*rc || d->ndocs == 0)
		return;
	if (d->nblocks == 0) {
		/* the preset dictionary of the later blocks: the end of this
		 * one, copied before the buffer goes to the worker */
		size_t n = d->raw.n < DS_DICT ? d->raw.n : DS_DICT;
		memcpy(d->dict, d->raw.p + d->raw.n - n, n);
		d->dict_len = n;
		d->first_docno = d->first;
	}
	if (!d->threaded) {
		write_block(rc, d, d->first, d->ndocs, &d->raw, &d->comp);
	} else {
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
	buf_reset(&d->raw);
	d->ndocs = 0;
	d->nblocks++;
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
	put_field(rc, &d->raw, doc->id, doc->id_len);
	put_field(rc, &d->raw, doc->title, doc->title_len);
	put_field(rc, &d->raw, doc->date, doc->date_len);
	put_field(rc, &d->raw, doc->source, doc->source_len);
	put_field(rc, &d->raw, doc->body, doc->body_len);
	d->ndocs++;
	*block = d->nblocks;
	if (d->raw.n >= DS_BLOCK)
		flush(rc, d);
}

void dsw_finish(int *rc, ds_writer *d)
{
	flush(rc, d);
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

/* Inflates COMP into RAW (RAW_LEN bytes exactly), with DICT when the
 * stream asks for one.  Z_OK, Z_NEED_DICT (none given), or an error. */
static int inflate_block(const uint8_t *comp, uint64_t comp_len, uint8_t *raw,
			 uint64_t raw_len, const uint8_t *dict, size_t dict_len)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		return Z_MEM_ERROR;
	z.next_in = (Bytef *)comp;
	z.avail_in = (uInt)comp_len;
	z.next_out = raw;
	z.avail_out = (uInt)raw_len;
	int zr = inflate(&z, Z_FINISH);
	if (zr == Z_NEED_DICT) {
		if (!dict) {
			inflateEnd(&z);
			return Z_NEED_DICT;
		}
		zr = inflateSetDictionary(&z, dict, (uInt)dict_len);
		if (zr == Z_OK)
			zr = inflate(&z, Z_FINISH);
	}
	int ok = zr == Z_STREAM_END && z.total_out == raw_len &&
		 z.avail_in == 0;
	inflateEnd(&z);
	if (zr == Z_MEM_ERROR)
		return Z_MEM_ERROR;
	return ok ? Z_OK : Z_DATA_ERROR;
}

static int load_block(cfile *f, uint64_t b, dsblock *out, ds_cursor *c,
		      trawl_error *err);

static int load_block_plain(cfile *f, uint64_t b, dsblock *out,
			    trawl_error *err)
{
	return load_block(f, b, out, NULL, err);
}

int ds_load_dict(cfile *f, uint8_t **dict, size_t *len, trawl_error *err)
{
	*dict = NULL;
	*len = 0;
	uint64_t index_off, nblocks;
	int rc = tail(f, &index_off, &nblocks, err);
	if (rc || nblocks == 0)
		return rc;
	dsblock b;
	if ((rc = load_block_plain(f, 0, &b, err)))
		return rc;
	size_t n = b.raw_len < DS_DICT ? b.raw_len : DS_DICT;
	memmove(b.raw, b.raw + b.raw_len - n, n);
	*dict = b.raw;
	*len = n;
	return TRAWL_OK;
}

/* Loads block b; C (may be NULL) supplies or caches the dictionary. */
static int load_block(cfile *f, uint64_t b, dsblock *out, ds_cursor *c,
		      trawl_error *err)
{
	uint64_t index_off, nblocks;
	int rc = tail(f, &index_off, &nblocks, err);
	if (rc)
		return rc;
	if (b >= nblocks)
		return corrupt(f, index_off, "block number out of range", err);
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
	uint8_t *raw = malloc(raw_len ? raw_len : 1);
	if (!raw)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	const uint8_t *dict = NULL;
	size_t dict_len = 0;
	if (c && c->shared_dict) {
		dict = c->shared_dict;
		dict_len = c->shared_len;
	} else if (c && c->dict) {
		dict = c->dict;
		dict_len = c->dict_len;
	}
	int z = inflate_block(comp, comp_len, raw, raw_len, dict, dict_len);
	if (z == Z_NEED_DICT && b > 0) {
		/* block 0's text is the dictionary: get it once */
		uint8_t *d0;
		size_t n0;
		rc = ds_load_dict(f, &d0, &n0, err);
		if (rc) {
			free(raw);
			return rc;
		}
		z = inflate_block(comp, comp_len, raw, raw_len, d0, n0);
		if (c) {
			free(c->dict);
			c->dict = d0;
			c->dict_len = n0;
		} else {
			free(d0);
		}
	}
	if (z != Z_OK) {
		free(raw);
		if (z == Z_MEM_ERROR)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		return corrupt(f, off, "compressed block does not inflate", err);
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
	free(c->dict);
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

int ds_get_dict(cfile *f, const uint8_t *dict, size_t dict_len,
		uint32_t block, uint32_t docno, trawl_stored **out,
		trawl_error *err)
{
	ds_cursor c;
	memset(&c, 0, sizeof c);
	c.shared_dict = dict;
	c.shared_len = dict_len;
	int rc = ds_get_cached(f, &c, block, docno, out, err);
	ds_cursor_free(&c);
	return rc;
}

int ds_get(cfile *f, uint32_t block, uint32_t docno, trawl_stored **out,
	   trawl_error *err)
{
	return ds_get_dict(f, NULL, 0, block, docno, out, err);
}

int ds_check(cfile *f, uint64_t *ndocs, trawl_error *err)
{
	uint64_t index_off, nblocks;
	int rc = tail(f, &index_off, &nblocks, err);
	if (rc)
		return rc;
	uint64_t n = 0;
	ds_cursor dc; /* keeps the dictionary once a block needs it */
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
