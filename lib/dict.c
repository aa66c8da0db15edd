/*
 * dict.c -- front-coded term dictionary (layout in dict.h).
 */
#include <string.h>

#include "codec.h"
#include "dict.h"
#include "error.h"

void dictw_init(dict_writer *d, cfw *w)
{
	memset(d, 0, sizeof *d);
	d->w = w;
	buf_init(&d->index);
}

static void put_varint(int *rc, cfw *w, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;
	while (v >= 0x80) {
		t[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	t[n++] = (uint8_t)v;
	cfw_write(rc, w, t, n);
}

static void put_u64(int *rc, cfw *w, uint64_t v)
{
	uint8_t t[8];
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	cfw_write(rc, w, t, 8);
}

void dictw_add(int *rc, dict_writer *d, const char *term, size_t len,
	       uint32_t df, uint64_t post_len, uint64_t pos_len)
{
	if (*rc)
		return;
	if (len > DICT_TERM_MAX) {
		*rc = TRAWL_ELIMIT;
		return;
	}
	size_t prefix = 0;
	if (d->nterms % DICT_BLOCK == 0) {
		buf_put_u64le(rc, &d->index, cfw_offset(d->w));
		put_u64(rc, d->w, d->post_off);
		put_u64(rc, d->w, d->pos_off);
	} else {
		while (prefix < len && prefix < d->prev_len &&
		       term[prefix] == d->prev[prefix])
			prefix++;
	}
	put_varint(rc, d->w, prefix);
	put_varint(rc, d->w, len - prefix);
	cfw_write(rc, d->w, term + prefix, len - prefix);
	put_varint(rc, d->w, df);
	put_varint(rc, d->w, post_len);
	put_varint(rc, d->w, pos_len);
	memcpy(d->prev, term, len);
	d->prev_len = len;
	d->nterms++;
	d->post_off += post_len;
	d->pos_off += pos_len;
}

void dictw_finish(int *rc, dict_writer *d)
{
	uint64_t index_off = cfw_offset(d->w);
	cfw_write(rc, d->w, d->index.p, d->index.n);
	put_u64(rc, d->w, index_off);
	put_u64(rc, d->w, d->index.n / 8);
	put_u64(rc, d->w, d->nterms);
}

void dictw_free(dict_writer *d)
{
	buf_free(&d->index);
}

static int corrupt(dict *d, uint64_t off, const char *what, trawl_error *err)
{
	return tr_err(err, TRAWL_ECORRUPT, "%s: %s (data offset %llu)",
		      d->f->name, what, (unsigned long long)off);
}

int dict_open(dict *d, cfile *f, trawl_error *err)
{
	d->f = f;
	const uint8_t *p;
	if (f->data_len < 24)
		return corrupt(d, 0, "dictionary too short", err);
	int rc = cf_range(f, f->data_len - 24, 24, &p, err);
	if (rc)
		return rc;
	d->index_off = get_u64le(p);
	d->nblocks = get_u64le(p + 8);
	d->nterms = get_u64le(p + 16);
	if (d->index_off > f->data_len - 24 ||
	    d->nblocks != (f->data_len - 24 - d->index_off) / 8 ||
	    (f->data_len - 24 - d->index_off) % 8 ||
	    d->nblocks != (d->nterms + DICT_BLOCK - 1) / DICT_BLOCK)
		return corrupt(d, f->data_len - 24, "bad dictionary tail", err);
	return TRAWL_OK;
}

static int block_start(dict *d, uint64_t b, rd *r, uint64_t *post_off,
		       uint64_t *pos_off, trawl_error *err)
{
	const uint8_t *p;
	int rc = cf_range(d->f, d->index_off + 8 * b, 8, &p, err);
	if (rc)
		return rc;
	uint64_t off = get_u64le(p);
	uint64_t end = b + 1 < d->nblocks ? 0 : d->index_off;
	if (b + 1 < d->nblocks) {
		rc = cf_range(d->f, d->index_off + 8 * (b + 1), 8, &p, err);
		if (rc)
			return rc;
		end = get_u64le(p);
	}
	if (off > end || end > d->index_off || end - off < 16)
		return corrupt(d, d->index_off + 8 * b, "bad block offset", err);
	rc = cf_range(d->f, off, end - off, &p, err);
	if (rc)
		return rc;
	*post_off = get_u64le(p);
	*pos_off = get_u64le(p + 8);
	r->p = p + 16;
	r->end = p + (end - off);
	return TRAWL_OK;
}

/* Decodes one entry over PREV (the previous term, in *t). */
static int read_entry(dict *d, rd *r, dterm *t, trawl_error *err)
{
	uint64_t prefix, suffix, df;
	const uint8_t *s;
	const uint8_t *at = r->p;
	if (rd_varint(r, &prefix) || rd_varint(r, &suffix) ||
	    prefix > t->len || prefix + suffix > DICT_TERM_MAX ||
	    rd_bytes(r, suffix, &s) || rd_varint(r, &df) || df > UINT32_MAX ||
	    rd_varint(r, &t->post_len) || rd_varint(r, &t->pos_len))
		return corrupt(d, (uint64_t)(at - d->f->data), "bad term entry",
			       err);
	memcpy(t->term + prefix, s, suffix);
	t->len = prefix + suffix;
	t->term[t->len] = '\0';
	t->df = (uint32_t)df;
	return TRAWL_OK;
}

static int cmp_key(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Loads block b into IT, ready to read its first entry. */
static int iter_load(dict_iter *it, uint64_t b, trawl_error *err)
{
	it->block = b;
	it->left = 0;
	if (b >= it->d->nblocks)
		return TRAWL_OK;
	uint64_t post_off = 0, pos_off = 0;
	int rc = block_start(it->d, b, &it->r, &post_off, &pos_off, err);
	if (rc)
		return rc;
	uint64_t nleft = it->d->nterms - b * DICT_BLOCK;
	it->left = nleft < DICT_BLOCK ? (unsigned)nleft : DICT_BLOCK;
	/* offsets are "end of previous term": next entry starts there */
	it->cur.len = 0;
	it->cur.post_off = post_off;
	it->cur.pos_off = pos_off;
	it->cur.post_len = it->cur.pos_len = 0;
	return TRAWL_OK;
}

static int iter_step(dict_iter *it, trawl_error *err)
{
	uint64_t post_end = it->cur.post_off + it->cur.post_len;
	uint64_t pos_end = it->cur.pos_off + it->cur.pos_len;
	int rc = read_entry(it->d, &it->r, &it->cur, err);
	if (rc)
		return rc;
	it->cur.post_off = post_end;
	it->cur.pos_off = pos_end;
	it->left--;
	return TRAWL_OK;
}

int dict_seek(dict *d, dict_iter *it, const char *key, size_t len,
	      trawl_error *err)
{
	memset(it, 0, sizeof *it);
	it->d = d;
	/* last block whose first term <= key */
	uint64_t lo = 0, hi = d->nblocks;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		dict_iter probe = { .d = d };
		int rc = iter_load(&probe, mid, err);
		if (rc)
			return rc;
		rc = iter_step(&probe, err);
		if (rc)
			return rc;
		if (cmp_key(probe.cur.term, probe.cur.len, key, len) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	int rc = iter_load(it, lo, err);
	if (rc)
		return rc;
	/* scan to the first term >= key, keeping it pending */
	for (;;) {
		if (it->left == 0) {
			if (it->block + 1 >= d->nblocks) {
				it->block = d->nblocks;
				return TRAWL_OK;
			}
			rc = iter_load(it, it->block + 1, err);
			if (rc)
				return rc;
		}
		dict_iter save = *it;
		rc = iter_step(it, err);
		if (rc)
			return rc;
		if (cmp_key(it->cur.term, it->cur.len, key, len) >= 0) {
			*it = save;
			return TRAWL_OK;
		}
	}
}

int dict_next(dict_iter *it, dterm *out, trawl_error *err)
{
	while (it->left == 0) {
		if (it->block + 1 >= it->d->nblocks || it->block >= it->d->nblocks)
			return 0;
		int rc = iter_load(it, it->block + 1, err);
		if (rc)
			return rc;
	}
	int rc = iter_step(it, err);
	if (rc)
		return rc;
	*out = it->cur;
	return 1;
}

int dict_lookup(dict *d, const char *term, size_t len, dterm *out,
		trawl_error *err)
{
	dict_iter it;
	int rc = dict_seek(d, &it, term, len, err);
	if (rc)
		return rc;
	dterm t;
	rc = dict_next(&it, &t, err);
	if (rc <= 0)
		return rc;
	if (cmp_key(t.term, t.len, term, len) != 0)
		return 0;
	*out = t;
	return 1;
}
