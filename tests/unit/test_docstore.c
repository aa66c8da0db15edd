/*
 * test_docstore.c -- the document store (docstore.h): round trips of
 * thousands of documents with empty, NULL, binary and huge fields across
 * block boundaries; ds_get of each; the block numbers dsw_add hands out;
 * ds_check counts.  Damage is written with valid file checksums (stores
 * built by hand with zlib here), so the store's own checks are on test:
 * a bad tail, block offsets, headers, streams that do not inflate, size
 * claims, records running past their block, trailing bytes, blocks out
 * of order -- each ECORRUPT naming the file, never a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "trawl.h"
#include "buf.h"
#include "cfile.h"
#include "codec.h"
#include "docstore.h"


static uint64_t seed;


/* ---- documents --------------------------------------------------------- */

typedef struct field {
	char *p;  /* NULL stands for a NULL field */
	size_t n;
} field;

typedef struct sdoc {
	field f[5]; /* id, title, date, source, body */
	uint32_t block;
} sdoc;

static int small_fields; /* no field over a few KiB */
static size_t train_bytes, epoch_bytes; /* non-zero: the writer's knobs */
static int threaded;                    /* write through the worker */

static void gen_field(rng *r, field *f, int kind_of_field)
{
	size_t n;
	if (rnd(r) % 60 == 0) { /* over a block alone */
		n = small_fields ? rnd(r) % 3000 : 20000 + rnd(r) % 30000;
		goto fill;
	}
	switch (rnd(r) % 12) {
	case 0: f->p = NULL; f->n = 0; return;
	case 1: n = 0; break;
	case 2: n = 1 + rnd(r) % 3; break;
	default: n = rnd(r) % 400;
	}
fill:
	if (kind_of_field == 0 && n == 0)
		n = 1;
	f->p = malloc(n ? n : 1);
	assert_non_null(f->p);
	int binary = rnd(r) % 3 == 0;
	for (size_t i = 0; i < n; i++)
		f->p[i] = binary ? (char)rnd(r) : (char)('a' + rnd(r) % 26);
	f->n = n;
}

static trawl_doc as_doc(const sdoc *d)
{
	trawl_doc t;
	memset(&t, 0, sizeof t);
	t.id = d->f[0].p;
	t.id_len = d->f[0].n;
	t.title = d->f[1].p;
	t.title_len = d->f[1].n;
	t.date = d->f[2].p;
	t.date_len = d->f[2].n;
	t.source = d->f[3].p;
	t.source_len = d->f[3].n;
	t.body = d->f[4].p;
	t.body_len = d->f[4].n;
	return t;
}

typedef struct fixture {
	char dir[256];
	sdoc *docs;
	size_t n;
	cfile f;           /* mapped from disk, or built in memory: */
	uint8_t *mdata;    /* exact-size data of an in-memory cfile */
	uint8_t *mcrcs;
} fixture;

/* Closes f->f, whichever kind it is. */
static void close_store(fixture *f)
{
	cf_close(&f->f); /* frees verified; map is NULL in memory */
	free(f->mdata);
	free(f->mcrcs);
	f->mdata = f->mcrcs = NULL;
}

/* Makes f->f an in-memory cfile over an exact-size copy of P[0..n) with
 * matching chunk CRCs: the store's own checks are then on test, and ASan
 * sees any read past the data (no disk, no fsync). */
static void open_memory_store(fixture *f, const uint8_t *p, size_t n)
{
	close_store(f);
	f->mdata = malloc(n ? n : 1);
	assert_non_null(f->mdata);
	if (n)
		memcpy(f->mdata, p, n);
	uint64_t nchunks = (n + CF_CHUNK - 1) / CF_CHUNK;
	f->mcrcs = malloc(nchunks ? 4 * nchunks : 1);
	assert_non_null(f->mcrcs);
	for (uint64_t c = 0; c < nchunks; c++) {
		uint64_t off = c * CF_CHUNK;
		uint64_t len = n - off < CF_CHUNK ? n - off : CF_CHUNK;
		uint32_t v = (uint32_t)crc32(0, f->mdata + off, (uInt)len);
		for (int i = 0; i < 4; i++)
			f->mcrcs[4 * c + i] = (uint8_t)(v >> (8 * i));
	}
	memset(&f->f, 0, sizeof f->f);
	f->f.data = f->mdata;
	f->f.data_len = n;
	f->f.crcs = f->mcrcs;
	f->f.nchunks = nchunks;
	f->f.verified = calloc(nchunks ? nchunks : 1, 1);
	assert_non_null(f->f.verified);
	snprintf(f->f.name, sizeof f->f.name, "store");
}

static void free_docs(fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		for (int k = 0; k < 5; k++)
			free(f->docs[i].f[k].p);
	free(f->docs);
	f->docs = NULL;
	f->n = 0;
}

static void store_path(const fixture *f, char *p, size_t n)
{
	snprintf(p, n, "%s/store", f->dir);
}

/* Writes f->docs through ds_writer and opens the file. */
static void write_store(fixture *f)
{
	close_store(f);
	char path[512];
	store_path(f, path, sizeof path);
	unlink(path);
	cfw w;
	trawl_error err;
	assert_int_equal(cfw_open(&w, path, CF_STORE, &err), TRAWL_OK);
	ds_writer dw;
	dsw_init(&dw, &w);
	if (train_bytes)
		dw.train = train_bytes;
	if (epoch_bytes)
		dw.epoch = epoch_bytes;
	if (threaded)
		assert_int_equal(dsw_start_thread(&dw, 4), TRAWL_OK);
	int rc = TRAWL_OK;
	for (size_t i = 0; i < f->n; i++) {
		trawl_doc d = as_doc(&f->docs[i]);
		dsw_add(&rc, &dw, (uint32_t)i, &d, &f->docs[i].block);
	}
	dsw_finish(&rc, &dw);
	dsw_free(&dw);
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(cfw_close(&w, &err), TRAWL_OK);
	assert_int_equal(cf_open(&f->f, f->dir, "store", CF_STORE, &err), TRAWL_OK);
}

static void gen_docs(fixture *f, size_t n, uint64_t s)
{
	rng r = { s };
	f->docs = calloc(n, sizeof *f->docs);
	assert_non_null(f->docs);
	f->n = n;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 5; k++)
			gen_field(&r, &f->docs[i].f[k], k);
	/* a few giants and an all-bytes field */
	if (n > 100 && !small_fields) {
		for (int k = 1; k < 5; k += 3) {
			sdoc *d = &f->docs[50 + k];
			free(d->f[k].p);
			d->f[k].n = (1u << 20) + 17;
			d->f[k].p = malloc(d->f[k].n);
			assert_non_null(d->f[k].p);
			for (size_t i = 0; i < d->f[k].n; i++)
				d->f[k].p[i] = (char)(rnd(&r) % 7);
		}
		sdoc *d = &f->docs[70];
		free(d->f[4].p);
		d->f[4].n = 256;
		d->f[4].p = malloc(256);
		for (int i = 0; i < 256; i++)
			d->f[4].p[i] = (char)i;
	}
}

static void assert_stored(const trawl_stored *s, const sdoc *d, uint32_t docno)
{
	assert_int_equal(s->docno, docno);
	const char *got[5] = { s->id, s->title, s->date, s->source, s->body };
	size_t len[5] = { s->id_len, s->title_len, s->date_len, s->source_len,
			  s->body_len };
	for (int k = 0; k < 5; k++) {
		assert_non_null(got[k]);
		if (len[k] != d->f[k].n)
			fail_msg("doc %u field %d: %zu bytes, want %zu", docno, k,
				 len[k], d->f[k].n);
		if (len[k])
			assert_memory_equal(got[k], d->f[k].p, len[k]);
		assert_int_equal(got[k][len[k]], '\0');
	}
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/trawl-docstore-XXXXXX", tmp_base());
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	close_store(f);
	free_docs(f);
	char path[512];
	store_path(f, path, sizeof path);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- round trips ------------------------------------------------------- */

static void test_every_document_reads_back(void **state)
{
	fixture *f = *state;
	gen_docs(f, 1500, seed);
	write_store(f);
	trawl_error err;
	for (size_t i = 0; i < f->n; i++) {
		trawl_stored *s = NULL;
		int rc = ds_get(&f->f, f->docs[i].block, (uint32_t)i, &s, &err);
		if (rc)
			fail_msg("doc %zu: %s", i, err.message);
		assert_stored(s, &f->docs[i], (uint32_t)i);
		free(s);
	}
}

static void test_documents_read_back_in_any_order(void **state)
{
	fixture *f = *state;
	gen_docs(f, 400, seed + 1);
	write_store(f);
	rng r = { seed + 2 };
	trawl_error err;
	for (int k = 0; k < 800; k++) {
		uint32_t i = (uint32_t)(rnd(&r) % f->n);
		trawl_stored *s = NULL;
		assert_int_equal(ds_get(&f->f, f->docs[i].block, i, &s, &err),
				 TRAWL_OK);
		assert_stored(s, &f->docs[i], i);
		free(s);
	}
	/* one cursor kept throughout, as an open index keeps them: its
	 * block and the record starts it has found serve the next fetch,
	 * forwards, backwards, the same document again, another block */
	ds_cursor c;
	memset(&c, 0, sizeof c);
	for (int k = 0; k < 2000; k++) {
		uint32_t i = (uint32_t)(rnd(&r) % f->n);
		if (k % 7 == 0 && i + 1 < f->n)
			i = f->docs[i].block == f->docs[i + 1].block ? i + 1 : i;
		trawl_stored *s = NULL;
		assert_int_equal(ds_get_cached(&f->f, &c, f->docs[i].block, i,
					       &s, &err),
				 TRAWL_OK);
		assert_stored(s, &f->docs[i], i);
		free(s);
	}
	ds_cursor_free(&c);
}

static void test_block_numbers_follow_the_block_cut(void **state)
{
	fixture *f = *state;
	gen_docs(f, 2000, seed + 3);
	write_store(f);
	/* a block closes once its raw records reach DS_BLOCK bytes */
	uint32_t block = 0;
	size_t raw = 0;
	for (size_t i = 0; i < f->n; i++) {
		assert_int_equal(f->docs[i].block, block);
		for (int k = 0; k < 5; k++) {
			size_t n = f->docs[i].f[k].n;
			size_t v = 1;
			for (size_t x = n; x >= 0x80; x >>= 7)
				v++;
			raw += v + n;
		}
		if (raw >= DS_BLOCK) {
			block++;
			raw = 0;
		}
	}
	assert_true(block > 10);
}

static void test_check_counts_every_document(void **state)
{
	fixture *f = *state;
	gen_docs(f, 1234, seed + 4);
	write_store(f);
	uint64_t n = 0;
	trawl_error err;
	assert_int_equal(ds_check(&f->f, &n, &err), TRAWL_OK);
	assert_int_equal(n, 1234);
}

static void test_empty_store_checks_zero_documents(void **state)
{
	fixture *f = *state;
	write_store(f);
	uint64_t n = 99;
	trawl_error err;
	assert_int_equal(ds_check(&f->f, &n, &err), TRAWL_OK);
	assert_int_equal(n, 0);
	trawl_stored *s = NULL;
	assert_int_equal(ds_get(&f->f, 0, 0, &s, &err), TRAWL_ECORRUPT);
	assert_null(s);
}

static void test_null_fields_read_back_empty(void **state)
{
	fixture *f = *state;
	f->docs = calloc(2, sizeof *f->docs);
	f->n = 2;
	f->docs[0].f[0].p = strdup("x");
	f->docs[0].f[0].n = 1;
	f->docs[1].f[0].p = strdup("y");
	f->docs[1].f[0].n = 1;
	f->docs[1].f[4].p = strdup("body");
	f->docs[1].f[4].n = 4;
	write_store(f);
	trawl_error err;
	for (uint32_t i = 0; i < 2; i++) {
		trawl_stored *s = NULL;
		assert_int_equal(ds_get(&f->f, 0, i, &s, &err), TRAWL_OK);
		assert_stored(s, &f->docs[i], i);
		assert_string_equal(s->date, "");
		assert_string_equal(s->source, "");
		free(s);
	}
}

static void test_wrong_block_is_corrupt(void **state)
{
	fixture *f = *state;
	gen_docs(f, 1000, seed + 5);
	write_store(f);
	trawl_error err;
	uint32_t last = f->docs[f->n - 1].block;
	for (uint32_t i = 0; i < f->n; i += 37) {
		trawl_stored *s = NULL;
		uint32_t b = f->docs[i].block;
		uint32_t wrong = b == last ? b - 1 : b + 1;
		memset(&err, 0, sizeof err);
		assert_int_equal(ds_get(&f->f, wrong, i, &s, &err), TRAWL_ECORRUPT);
		assert_null(s);
		assert_non_null(strstr(err.message, "store"));
		assert_int_equal(ds_get(&f->f, last + 1, i, &s, &err), TRAWL_ECORRUPT);
		assert_int_equal(ds_get(&f->f, UINT32_MAX, i, &s, &err),
				 TRAWL_ECORRUPT);
	}
	trawl_stored *s = NULL;
	assert_int_equal(ds_get(&f->f, last, (uint32_t)f->n, &s, &err),
			 TRAWL_ECORRUPT);
	assert_int_equal(ds_get(&f->f, 0, UINT32_MAX, &s, &err), TRAWL_ECORRUPT);
}

/* N documents of news-like text from a small vocabulary: enough of it
 * (over DS_TRAIN) trains a dictionary. */
static void gen_text_docs(fixture *f, size_t n, uint64_t s)
{
	static const char *words[] = { "the", "bank", "said", "rates", "oil",
		"market", "prices", "of", "in", "percent", "shares", "rose",
		"fell", "year", "quarter", "profit", "central", "government",
		"billion", "million", "analysts", "expected", "on", "a", "to" };
	const size_t nw = sizeof words / sizeof *words;
	rng r = { s };
	f->docs = calloc(n, sizeof *f->docs);
	assert_non_null(f->docs);
	f->n = n;
	for (size_t i = 0; i < n; i++) {
		buf b[5];
		int rc = TRAWL_OK;
		for (int k = 0; k < 5; k++)
			buf_init(&b[k]);
		char id[32];
		buf_put(&rc, &b[0], id, (size_t)snprintf(id, sizeof id, "wire-%zu", i));
		buf_put(&rc, &b[2], "2013-05-01", 10);
		buf_put(&rc, &b[3], "wire", 4);
		for (int k = 1; k < 5; k += 3) {
			size_t nwords = k == 1 ? 8 : 150 + rnd(&r) % 100;
			for (size_t w = 0; w < nwords; w++) {
				const char *word = words[rnd(&r) % nw];
				buf_put(&rc, &b[k], word, strlen(word));
				buf_putc(&rc, &b[k], ' ');
			}
		}
		assert_int_equal(rc, TRAWL_OK);
		for (int k = 0; k < 5; k++) {
			f->docs[i].f[k].p = (char *)b[k].p;
			f->docs[i].f[k].n = b[k].n;
		}
	}
}

/* The store's dictionary table. OUT: the offset and length of entry I;
 * returns the number of entries. */
static uint64_t dict_entry(fixture *f, uint64_t i, size_t *off, uint64_t *len)
{
	const uint8_t *p;
	trawl_error err;
	assert_int_equal(cf_range(&f->f, f->f.data_len - 32, 32, &p, &err),
			 TRAWL_OK);
	uint64_t dicts_off = get_u64le(p), n = get_u64le(p + 8);
	if (i < n) {
		assert_int_equal(cf_range(&f->f, dicts_off + 24 * i, 24, &p, &err),
				 TRAWL_OK);
		*off = (size_t)get_u64le(p);
		*len = get_u64le(p + 8);
	}
	return n;
}

static void test_trained_dictionary_reads_back(void **state)
{
	fixture *f = *state;
	gen_text_docs(f, 4000, seed + 8);
	write_store(f);
	size_t off;
	uint64_t dict_len;
	assert_int_equal(dict_entry(f, 0, &off, &dict_len), 1);
	assert_true(dict_len >= 1024 && dict_len <= DS_DICT);
	/* the dictionary pays: text of 25 words compresses far below 1/4 */
	size_t raw = 0;
	for (size_t i = 0; i < f->n; i++)
		for (int k = 0; k < 5; k++)
			raw += f->docs[i].f[k].n;
	assert_true(f->f.data_len < raw / 4);
	trawl_error err;
	uint64_t n;
	assert_int_equal(ds_check(&f->f, &n, &err), TRAWL_OK);
	assert_int_equal(n, f->n);
	for (size_t i = 0; i < f->n; i += 7) {
		trawl_stored *s = NULL;
		assert_int_equal(ds_get(&f->f, f->docs[i].block, (uint32_t)i, &s,
					&err), TRAWL_OK);
		assert_stored(s, &f->docs[i], (uint32_t)i);
		free(s);
	}
	/* a cursor reading in order, with dictionaries the caller keeps */
	ds_dicts dicts;
	assert_int_equal(ds_load_dicts(&f->f, &dicts, &err), TRAWL_OK);
	assert_int_equal(dicts.n, 1);
	assert_non_null(dicts.d[0]);
	ds_cursor c;
	memset(&c, 0, sizeof c);
	c.dicts = &dicts;
	for (size_t i = 0; i < f->n; i++) {
		trawl_stored *s = NULL;
		assert_int_equal(ds_get_cached(&f->f, &c, f->docs[i].block,
					       (uint32_t)i, &s, &err), TRAWL_OK);
		assert_stored(s, &f->docs[i], (uint32_t)i);
		free(s);
	}
	ds_cursor_free(&c);
	ds_dicts_free(&dicts);
}

/* Small epochs: a dictionary per epoch, each from the first block after
 * the last epoch; through the worker thread the file is the same. */
static void test_a_dictionary_per_epoch(void **state)
{
	fixture *f = *state;
	gen_text_docs(f, 3000, seed + 11);
	train_bytes = 256u << 10;
	epoch_bytes = 1u << 20;
	write_store(f);
	const uint8_t *p;
	trawl_error err;
	size_t n1 = f->f.data_len;
	assert_int_equal(cf_range(&f->f, 0, n1, &p, &err), TRAWL_OK);
	uint8_t *inline_bytes = malloc(n1);
	assert_non_null(inline_bytes);
	memcpy(inline_bytes, p, n1);
	size_t raw = 0;
	for (size_t i = 0; i < f->n; i++)
		for (int k = 0; k < 5; k++)
			raw += f->docs[i].f[k].n;
	size_t off;
	uint64_t len;
	uint64_t n = dict_entry(f, 0, &off, &len);
	/* an epoch is at least 1 MiB of records plus the training text */
	assert_true(n >= raw / ((1u << 20) + (256u << 10) + DS_BLOCK));
	assert_true(n <= raw / (1u << 20) + 1);
	ds_dicts dicts;
	assert_int_equal(ds_load_dicts(&f->f, &dicts, &err), TRAWL_OK);
	assert_int_equal(dicts.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(dicts.d[i]);
		if (i)
			assert_true(dicts.first_block[i] > dicts.first_block[i - 1]);
	}
	ds_dicts_free(&dicts);
	uint64_t nd;
	assert_int_equal(ds_check(&f->f, &nd, &err), TRAWL_OK);
	assert_int_equal(nd, f->n);
	for (size_t i = 0; i < f->n; i += 5) {
		trawl_stored *s = NULL;
		assert_int_equal(ds_get(&f->f, f->docs[i].block, (uint32_t)i, &s,
					&err), TRAWL_OK);
		assert_stored(s, &f->docs[i], (uint32_t)i);
		free(s);
	}
	threaded = 1;
	write_store(f);
	threaded = 0;
	train_bytes = epoch_bytes = 0;
	assert_int_equal(f->f.data_len, n1);
	assert_int_equal(cf_range(&f->f, 0, n1, &p, &err), TRAWL_OK);
	assert_memory_equal(p, inline_bytes, n1);
	free(inline_bytes);
}

/* A damaged dictionary never yields wrong text: each read is right or
 * ECORRUPT; a wrong dictionary id fails every block. */
static void test_damaged_dictionary_is_corrupt(void **state)
{
	fixture *f = *state;
	gen_text_docs(f, 3000, seed + 9);
	write_store(f);
	size_t off;
	uint64_t dict_len;
	assert_int_equal(dict_entry(f, 0, &off, &dict_len), 1);
	assert_true(dict_len > 64);
	const uint8_t *p;
	trawl_error err;
	size_t n = f->f.data_len;
	assert_int_equal(cf_range(&f->f, 0, n, &p, &err), TRAWL_OK);
	uint8_t *orig = malloc(n);
	assert_non_null(orig);
	memcpy(orig, p, n);
	rng r = { seed + 10 };
	int failed = 0;
	for (int trial = 0; trial < 40; trial++) {
		uint8_t *y = malloc(n);
		assert_non_null(y);
		memcpy(y, orig, n);
		/* trial 0: the dictionary id (bytes 4..7 of a dictionary) */
		size_t at = off + (trial == 0 ? 5 : rnd(&r) % dict_len);
		y[at] ^= (uint8_t)(1u << (rnd(&r) % 8));
		open_memory_store(f, y, n);
		free(y);
		for (size_t i = 0; i < f->n; i += 97) {
			trawl_stored *s = NULL;
			int rc = ds_get(&f->f, f->docs[i].block, (uint32_t)i, &s,
					&err);
			if (trial == 0)
				assert_int_equal(rc, TRAWL_ECORRUPT);
			if (rc == TRAWL_OK) {
				assert_stored(s, &f->docs[i], (uint32_t)i);
				free(s);
			} else {
				assert_int_equal(rc, TRAWL_ECORRUPT);
				assert_non_null(strstr(err.message, "store"));
				failed++;
			}
		}
	}
	assert_true(failed > 0);
	free(orig);
}

/* ---- hand-built stores ------------------------------------------------- */

typedef struct craft {
	buf data;
	buf index;
	int rc;
} craft;

static void craft_init(craft *c)
{
	buf_init(&c->data);
	buf_init(&c->index);
	c->rc = TRAWL_OK;
}

/* RAW as one zstd frame with a checksum. OUT: *z (free()), its size. */
static size_t zcompress(const void *raw, size_t n, uint8_t **z)
{
	size_t cap = ZSTD_compressBound(n);
	*z = malloc(cap);
	assert_non_null(*z);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	assert_non_null(c);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	size_t r = ZSTD_compress2(c, *z, cap, raw, n);
	ZSTD_freeCCtx(c);
	assert_false(ZSTD_isError(r));
	return r;
}

/* Appends a block with the given header values and stream bytes. */
static void craft_block_raw(craft *c, uint64_t first, uint64_t ndocs,
			    uint64_t raw_len, uint64_t comp_len,
			    const void *stream, size_t stream_n)
{
	buf_put_u64le(&c->rc, &c->index, c->data.n);
	buf_put_varint(&c->rc, &c->data, first);
	buf_put_varint(&c->rc, &c->data, ndocs);
	buf_put_varint(&c->rc, &c->data, raw_len);
	buf_put_varint(&c->rc, &c->data, comp_len);
	buf_put(&c->rc, &c->data, stream, stream_n);
}

/* Appends a block compressing RAW honestly. */
static void craft_block(craft *c, uint64_t first, uint64_t ndocs,
			const void *raw, size_t raw_n)
{
	uint8_t *z;
	size_t clen = zcompress(raw, raw_n, &z);
	craft_block_raw(c, first, ndocs, raw_n, clen, z, clen);
	free(z);
}

/* Records of N documents with ids "d0", "d1", ... */
static void craft_records(buf *b, int *rc, uint32_t first, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		char id[16];
		int len = snprintf(id, sizeof id, "d%u", first + i);
		buf_put_varint(rc, b, (uint64_t)len);
		buf_put(rc, b, id, (size_t)len);
		for (int k = 0; k < 4; k++) {
			buf_put_varint(rc, b, 3);
			buf_put(rc, b, "abc", 3);
		}
	}
}

/* Finishes with index and tail (or the given tail) and opens it. */
static void craft_open(fixture *f, craft *c, const uint64_t *tail)
{
	uint64_t index_off = c->data.n;
	uint64_t nblocks = c->index.n / 8;
	buf_put(&c->rc, &c->data, c->index.p, c->index.n);
	/* no dictionaries: an empty table just before the index */
	buf_put_u64le(&c->rc, &c->data, tail ? tail[0] : index_off);
	buf_put_u64le(&c->rc, &c->data, 0);
	buf_put_u64le(&c->rc, &c->data, tail ? tail[0] : index_off);
	buf_put_u64le(&c->rc, &c->data, tail ? tail[1] : nblocks);
	assert_int_equal(c->rc, TRAWL_OK);
	open_memory_store(f, c->data.p, c->data.n);
	buf_free(&c->data);
	buf_free(&c->index);
}

/* ds_get of DOCNO in BLOCK and ds_check both give ECORRUPT naming the
 * file. */
static void expect_corrupt(fixture *f, uint32_t block, uint32_t docno)
{
	trawl_error err;
	memset(&err, 0, sizeof err);
	trawl_stored *s = NULL;
	int rc = ds_get(&f->f, block, docno, &s, &err);
	free(s);
	assert_int_equal(rc, TRAWL_ECORRUPT);
	if (!strstr(err.message, "store"))
		fail_msg("message does not name the file: %s", err.message);
	memset(&err, 0, sizeof err);
	uint64_t n;
	assert_int_equal(ds_check(&f->f, &n, &err), TRAWL_ECORRUPT);
	assert_non_null(strstr(err.message, "store"));
}

static void test_crafted_valid_store_reads_back(void **state)
{
	fixture *f = *state;
	craft c;
	craft_init(&c);
	buf raw;
	buf_init(&raw);
	craft_records(&raw, &c.rc, 0, 3);
	craft_block(&c, 0, 3, raw.p, raw.n);
	buf_reset(&raw);
	craft_records(&raw, &c.rc, 3, 2);
	craft_block(&c, 3, 2, raw.p, raw.n);
	buf_free(&raw);
	craft_open(f, &c, NULL);
	trawl_error err;
	uint64_t n;
	assert_int_equal(ds_check(&f->f, &n, &err), TRAWL_OK);
	assert_int_equal(n, 5);
	trawl_stored *s;
	assert_int_equal(ds_get(&f->f, 1, 4, &s, &err), TRAWL_OK);
	assert_string_equal(s->id, "d4");
	assert_string_equal(s->body, "abc");
	free(s);
}

/* Two honest blocks of 2 documents, then the dictionary table ENTRIES
 * (N x {offset, len, first block}) and the index. */
static void craft_with_dicts(fixture *f, const uint64_t (*entries)[3], size_t n)
{
	craft c;
	craft_init(&c);
	buf raw;
	buf_init(&raw);
	for (uint32_t b = 0; b < 2; b++) {
		buf_reset(&raw);
		craft_records(&raw, &c.rc, 2 * b, 2);
		craft_block(&c, 2 * b, 2, raw.p, raw.n);
	}
	buf_free(&raw);
	uint64_t dicts_off = c.data.n;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 3; k++)
			buf_put_u64le(&c.rc, &c.data, entries[i][k]);
	uint64_t index_off = c.data.n;
	buf_put(&c.rc, &c.data, c.index.p, c.index.n);
	buf_put_u64le(&c.rc, &c.data, dicts_off);
	buf_put_u64le(&c.rc, &c.data, n);
	buf_put_u64le(&c.rc, &c.data, index_off);
	buf_put_u64le(&c.rc, &c.data, 2);
	assert_int_equal(c.rc, TRAWL_OK);
	open_memory_store(f, c.data.p, c.data.n);
	buf_free(&c.data);
	buf_free(&c.index);
}

static void test_bad_dictionary_table_is_corrupt(void **state)
{
	fixture *f = *state;
	/* entries of length 0 (no dictionary) are valid */
	const uint64_t ok[2][3] = { { 0, 0, 0 }, { 0, 0, 1 } };
	craft_with_dicts(f, ok, 2);
	trawl_error err;
	uint64_t n;
	assert_int_equal(ds_check(&f->f, &n, &err), TRAWL_OK);
	assert_int_equal(n, 4);
	const uint64_t bad[][2][3] = {
		{ { 0, 0, 1 }, { 0, 0, 1 } },          /* not from block 0 */
		{ { 0, 0, 0 }, { 0, 0, 0 } },          /* not increasing */
		{ { 0, 0, 0 }, { 0, 0, 2 } },          /* past the blocks */
		{ { 0, 0, 0 }, { 0, DS_DICT + 1, 1 } }, /* too long */
		{ { 0, 0, 0 }, { UINT64_MAX, 8, 1 } },  /* past the data */
		{ { 0, 0, 0 }, { 0, 16, 1 } },          /* not a dictionary */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		craft_with_dicts(f, bad[i], 2);
		expect_corrupt(f, 0, 0);
	}
	/* more dictionaries than blocks */
	const uint64_t three[3][3] = { { 0, 0, 0 }, { 0, 0, 1 }, { 0, 0, 2 } };
	craft_with_dicts(f, three, 3);
	expect_corrupt(f, 0, 0);
}

static void test_bad_tail_is_corrupt(void **state)
{
	fixture *f = *state;
	const uint64_t tails[][2] = {
		{ 0, 1 }, { 1000000, 0 }, { UINT64_MAX, 1 }, { 0, UINT64_MAX },
		{ 0, ((uint64_t)1 << 61) + 1 }, /* nblocks * 8 wraps */
	};
	for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
		craft c;
		craft_init(&c);
		buf raw;
		buf_init(&raw);
		craft_records(&raw, &c.rc, 0, 2);
		craft_block(&c, 0, 2, raw.p, raw.n);
		buf_free(&raw);
		craft_open(f, &c, tails[i]);
		expect_corrupt(f, 0, 0);
	}
	/* shorter than a tail */
	open_memory_store(f, (const uint8_t *)"abc", 3);
	expect_corrupt(f, 0, 0);
}

static void test_bad_block_offsets_are_corrupt(void **state)
{
	fixture *f = *state;
	const uint64_t offs[] = { 5000, UINT64_MAX, 1 };
	for (size_t i = 0; i < 3; i++) {
		craft c;
		craft_init(&c);
		buf raw;
		buf_init(&raw);
		craft_records(&raw, &c.rc, 0, 2);
		craft_block(&c, 0, 2, raw.p, raw.n);
		buf_reset(&raw);
		craft_records(&raw, &c.rc, 2, 2);
		craft_block(&c, 2, 2, raw.p, raw.n);
		buf_free(&raw);
		/* block 1's offset: after block 2 starts, or inside block 0 */
		uint8_t *p = c.index.p + 8;
		for (int k = 0; k < 8; k++)
			p[k] = (uint8_t)(offs[i] >> (8 * k));
		craft_open(f, &c, NULL);
		expect_corrupt(f, 1, 2);
	}
}

static void test_frame_that_does_not_decompress_is_corrupt(void **state)
{
	fixture *f = *state;
	buf raw;
	buf_init(&raw);
	int rc = TRAWL_OK;
	craft_records(&raw, &rc, 0, 40);
	uint8_t *z;
	size_t clen = zcompress(raw.p, raw.n, &z);
	/* every bit of the frame flipped in turn: ECORRUPT, or (a bit the
	 * decoder ignores) the very same records */
	int detected = 0, trials = 0;
	for (size_t i = 0; i < clen; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			uint8_t *y = malloc(clen);
			memcpy(y, z, clen);
			y[i] ^= (uint8_t)(1u << bit);
			craft c;
			craft_init(&c);
			craft_block_raw(&c, 0, 40, raw.n, clen, y, clen);
			free(y);
			craft_open(f, &c, NULL);
			trawl_error err;
			uint64_t n;
			int crc = ds_check(&f->f, &n, &err);
			trials++;
			for (uint32_t d = 0; d < 40; d++) {
				trawl_stored *s = NULL;
				int g = ds_get(&f->f, 0, d, &s, &err);
				if (crc == TRAWL_OK) {
					assert_int_equal(g, TRAWL_OK);
					char id[16];
					snprintf(id, sizeof id, "d%u", d);
					assert_string_equal(s->id, id);
					free(s);
				} else {
					assert_int_equal(crc, TRAWL_ECORRUPT);
					assert_int_equal(g, TRAWL_ECORRUPT);
				}
			}
			detected += crc != TRAWL_OK;
		}
	print_message("%d of %d flipped stream bits detected\n", detected, trials);
	assert_true(detected > trials * 9 / 10);
	for (size_t cut = 0; cut < clen; cut++) {
		craft c;
		craft_init(&c);
		craft_block_raw(&c, 0, 40, raw.n, cut, z, cut);
		craft_open(f, &c, NULL);
		expect_corrupt(f, 0, 0);
	}
	free(z);
	buf_free(&raw);
}

static void test_wrong_raw_length_is_corrupt(void **state)
{
	fixture *f = *state;
	buf raw;
	buf_init(&raw);
	int rc = TRAWL_OK;
	craft_records(&raw, &rc, 0, 10);
	uint8_t *z;
	size_t clen = zcompress(raw.p, raw.n, &z);
	const uint64_t lens[] = { 0, raw.n - 1, raw.n + 1, 2 * raw.n,
				  DS_MAX_RAW, (uint64_t)DS_MAX_RAW + 1,
				  UINT64_MAX };
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		craft c;
		craft_init(&c);
		craft_block_raw(&c, 0, 10, lens[i], clen, z, clen);
		craft_open(f, &c, NULL);
		expect_corrupt(f, 0, 0);
	}
	/* comp_len past the block */
	craft c;
	craft_init(&c);
	craft_block_raw(&c, 0, 10, raw.n, clen + 1, z, clen);
	craft_open(f, &c, NULL);
	expect_corrupt(f, 0, 0);
	free(z);
	buf_free(&raw);
}

static void test_bad_block_header_is_corrupt(void **state)
{
	fixture *f = *state;
	buf raw;
	buf_init(&raw);
	int rc = TRAWL_OK;
	craft_records(&raw, &rc, 0, 2);
	/* no documents */
	craft c;
	craft_init(&c);
	craft_block(&c, 0, 0, raw.p, raw.n);
	craft_open(f, &c, NULL);
	expect_corrupt(f, 0, 0);
	/* first docno past 32 bits */
	craft_init(&c);
	craft_block(&c, (uint64_t)1 << 32, 2, raw.p, raw.n);
	craft_open(f, &c, NULL);
	expect_corrupt(f, 0, 0);
	/* more documents than raw bytes */
	craft_init(&c);
	craft_block(&c, 0, raw.n + 1, raw.p, raw.n);
	craft_open(f, &c, NULL);
	expect_corrupt(f, 0, 0);
	/* a header cut short */
	const uint8_t cut[] = { 0x00, 0x02, 0x80 };
	craft_init(&c);
	buf_put_u64le(&c.rc, &c.index, 0);
	buf_put(&c.rc, &c.data, cut, sizeof cut);
	craft_open(f, &c, NULL);
	expect_corrupt(f, 0, 0);
	buf_free(&raw);
}

static void test_record_past_its_block_is_corrupt(void **state)
{
	fixture *f = *state;
	int rc = TRAWL_OK;
	buf raw;
	buf_init(&raw);
	craft_records(&raw, &rc, 0, 2);
	/* claims 3 documents, holds 2 */
	craft c;
	craft_init(&c);
	craft_block(&c, 0, 3, raw.p, raw.n);
	craft_open(f, &c, NULL);
	expect_corrupt(f, 0, 2);
	trawl_error err;
	trawl_stored *s = NULL;
	assert_int_equal(ds_get(&f->f, 0, 1, &s, &err), TRAWL_OK);
	free(s);
	/* a field length past the block */
	buf_reset(&raw);
	buf_put_varint(&rc, &raw, 1);
	buf_put(&rc, &raw, "x", 1);
	buf_put_varint(&rc, &raw, 1000);
	buf_put(&rc, &raw, "abc", 3);
	craft_init(&c);
	craft_block(&c, 0, 1, raw.p, raw.n);
	craft_open(f, &c, NULL);
	expect_corrupt(f, 0, 0);
	/* a length varint over 10 bytes */
	buf_reset(&raw);
	for (int i = 0; i < 12; i++)
		buf_putc(&rc, &raw, 0xff);
	craft_init(&c);
	craft_block(&c, 0, 1, raw.p, raw.n);
	craft_open(f, &c, NULL);
	expect_corrupt(f, 0, 0);
	buf_free(&raw);
}

static void test_trailing_bytes_in_block_are_corrupt(void **state)
{
	fixture *f = *state;
	int rc = TRAWL_OK;
	buf raw;
	buf_init(&raw);
	craft_records(&raw, &rc, 0, 2);
	buf_put(&rc, &raw, "junk", 4);
	craft c;
	craft_init(&c);
	craft_block(&c, 0, 2, raw.p, raw.n);
	craft_open(f, &c, NULL);
	trawl_error err;
	memset(&err, 0, sizeof err);
	uint64_t n;
	assert_int_equal(ds_check(&f->f, &n, &err), TRAWL_ECORRUPT);
	assert_non_null(strstr(err.message, "store"));
	buf_free(&raw);
}

static void test_blocks_out_of_order_are_corrupt(void **state)
{
	fixture *f = *state;
	int rc = TRAWL_OK;
	buf raw;
	buf_init(&raw);
	craft_records(&raw, &rc, 0, 2);
	craft c;
	craft_init(&c);
	craft_block(&c, 0, 2, raw.p, raw.n);
	craft_block(&c, 5, 2, raw.p, raw.n); /* should start at 2 */
	craft_open(f, &c, NULL);
	trawl_error err;
	memset(&err, 0, sizeof err);
	uint64_t n;
	assert_int_equal(ds_check(&f->f, &n, &err), TRAWL_ECORRUPT);
	assert_non_null(strstr(err.message, "store"));
	buf_free(&raw);
}

static void test_flipped_store_bytes_never_crash(void **state)
{
	fixture *f = *state;
	small_fields = 1;
	gen_docs(f, 300, seed + 6);
	small_fields = 0;
	write_store(f);
	const uint8_t *p;
	trawl_error err;
	assert_int_equal(cf_range(&f->f, 0, f->f.data_len, &p, &err), TRAWL_OK);
	size_t n = f->f.data_len;
	uint8_t *orig = malloc(n);
	memcpy(orig, p, n);
	uint64_t index_off = get_u64le(orig + n - 16);
	rng r = { seed + 7 };
	int detected = 0, trials = 0;
	for (int trial = 0; trial < 300; trial++) {
		craft c;
		craft_init(&c);
		buf_put(&c.rc, &c.data, orig, n);
		/* the headers, the index and the tail are the interesting
		 * bytes: aim half of the flips there */
		size_t at;
		switch (trial % 3) {
		case 0: at = index_off + rnd(&r) % (n - index_off); break;
		case 1: at = rnd(&r) % 8; break;
		default: at = rnd(&r) % n;
		}
		c.data.p[at] ^= (uint8_t)(1u << (rnd(&r) % 8));
		/* as is: craft_open would append an index */
		open_memory_store(f, c.data.p, c.data.n);
		buf_free(&c.data);
		buf_free(&c.index);
		int rc;
		uint64_t nd;
		rc = ds_check(&f->f, &nd, &err);
		assert_true(rc == TRAWL_OK || rc == TRAWL_ECORRUPT);
		detected += rc != TRAWL_OK;
		trials++;
		for (uint32_t i = 0; i < f->n; i += 1 + rnd(&r) % 20) {
			trawl_stored *s = NULL;
			rc = ds_get(&f->f, f->docs[i].block, i, &s, &err);
			assert_true(rc == TRAWL_OK || rc == TRAWL_ECORRUPT);
			if (rc == TRAWL_OK) {
				assert_int_equal(s->docno, i);
				free(s);
			}
		}
	}
	print_message("%d of %d damaged stores detected by ds_check\n", detected,
		      trials);
	free(orig);
}

static int group_setup(void **state)
{
	(void)state;
	const char *s = getenv("TRAWL_SEED");
	seed = s ? strtoull(s, NULL, 0) : 20251125u;
	print_message("test_docstore seed %llu (set TRAWL_SEED to replay)\n",
		      (unsigned long long)seed);
	return 0;
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_every_document_reads_back),
		T(test_documents_read_back_in_any_order),
		T(test_block_numbers_follow_the_block_cut),
		T(test_check_counts_every_document),
		T(test_empty_store_checks_zero_documents),
		T(test_null_fields_read_back_empty),
		T(test_wrong_block_is_corrupt),
		T(test_crafted_valid_store_reads_back),
		T(test_bad_tail_is_corrupt),
		T(test_bad_dictionary_table_is_corrupt),
		T(test_bad_block_offsets_are_corrupt),
		T(test_frame_that_does_not_decompress_is_corrupt),
		T(test_wrong_raw_length_is_corrupt),
		T(test_bad_block_header_is_corrupt),
		T(test_record_past_its_block_is_corrupt),
		T(test_trailing_bytes_in_block_are_corrupt),
		T(test_blocks_out_of_order_are_corrupt),
		T(test_flipped_store_bytes_never_crash),
		T(test_trained_dictionary_reads_back),
		T(test_damaged_dictionary_is_corrupt),
		T(test_a_dictionary_per_epoch),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
