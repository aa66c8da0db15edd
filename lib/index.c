/*
 * index.c -- opening an index directory, its figures, its full check,
 * and stored documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "codec.h"
#include "docstore.h"
#include "error.h"
#include "index.h"
#include "postings.h"
#include "segment.h"

static int meta_get(const char *text, size_t n, const char *key, char *out,
		    size_t outlen)
{
	size_t klen = strlen(key);
	const char *p = text, *end = text + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if ((size_t)(nl - p) > klen && !memcmp(p, key, klen) &&
		    p[klen] == '=') {
			size_t vlen = (size_t)(nl - p) - klen - 1;
			if (vlen >= outlen)
				return -1;
			memcpy(out, p + klen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = nl + 1;
	}
	return -1;
}

static int meta_u64(const char *text, size_t n, const char *key, uint64_t *v)
{
	char s[32];
	if (meta_get(text, n, key, s, sizeof s) || !*s)
		return -1;
	char *e;
	unsigned long long x = strtoull(s, &e, 10);
	if (*e)
		return -1;
	*v = x;
	return 0;
}

static int read_meta(trawl_index *ix, trawl_error *err)
{
	const uint8_t *p;
	int rc = cf_range(&ix->meta, 0, ix->meta.data_len, &p, err);
	if (rc)
		return rc;
	const char *t = (const char *)p;
	size_t n = ix->meta.data_len;
	uint64_t format, docs, live, tt, bt;
	if (meta_u64(t, n, "format", &format) || format != SEG_FORMAT)
		return tr_err(err, TRAWL_EVERSION,
			      "%s/meta: index format not supported by this build",
			      ix->dir);
	if (meta_get(t, n, "language", ix->language, sizeof ix->language) ||
	    meta_u64(t, n, "docs", &docs) || meta_u64(t, n, "live", &live) ||
	    meta_u64(t, n, "terms", &ix->nterms) ||
	    meta_u64(t, n, "postings", &ix->npostings) ||
	    meta_u64(t, n, "positions", &ix->npositions) ||
	    meta_u64(t, n, "input_bytes", &ix->input_bytes) ||
	    meta_u64(t, n, "title_tokens", &tt) ||
	    meta_u64(t, n, "body_tokens", &bt) || docs > UINT32_MAX ||
	    live > docs)
		return tr_err(err, TRAWL_ECORRUPT, "%s/meta: missing or bad field",
			      ix->dir);
	ix->ndocs = (uint32_t)docs;
	ix->live = (uint32_t)live;
	ix->avg_title = live ? (double)tt / (double)live : 0;
	ix->avg_body = live ? (double)bt / (double)live : 0;
	return TRAWL_OK;
}

int trawl_index_open(const char *dir, trawl_index **out, trawl_error *err)
{
	*out = NULL;
	trawl_index *ix = calloc(1, sizeof *ix);
	if (!ix)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	pthread_mutex_init(&ix->lock, NULL);
	ix->dir = strdup(dir);
	if (!ix->dir) {
		trawl_index_close(ix);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	int rc = cf_open(&ix->meta, dir, "meta", CF_META, err);
	if (rc == TRAWL_ENOTFOUND)
		rc = tr_err(err, TRAWL_ENOTFOUND, "%s: not a trawl index (no "
			    "meta file)", dir);
	if (!rc)
		rc = read_meta(ix, err);
	if (!rc)
		rc = cf_open(&ix->terms, dir, "terms", CF_TERMS, err);
	if (!rc)
		rc = cf_open(&ix->postings, dir, "postings", CF_POSTINGS, err);
	if (!rc)
		rc = cf_open(&ix->positions, dir, "positions", CF_POSITIONS, err);
	if (!rc)
		rc = cf_open(&ix->docs, dir, "docs", CF_DOCS, err);
	if (!rc)
		rc = cf_open(&ix->store, dir, "store", CF_STORE, err);
	if (!rc && ix->docs.data_len != (uint64_t)ix->ndocs * DOCREC_SIZE)
		rc = tr_err(err, TRAWL_ECORRUPT,
			    "%s/docs: %llu bytes for %u documents", dir,
			    (unsigned long long)ix->docs.data_len, ix->ndocs);
	if (!rc)
		rc = dict_open(&ix->dict, &ix->terms, err);
	if (!rc && ix->dict.nterms != ix->nterms)
		rc = tr_err(err, TRAWL_ECORRUPT,
			    "%s/terms: %llu terms, meta says %llu", dir,
			    (unsigned long long)ix->dict.nterms,
			    (unsigned long long)ix->nterms);
	if (!rc) {
		/* the analyser must exist in this build */
		trawl_analyzer *a;
		rc = ix_analyzer_get(ix, &a, err);
		if (!rc)
			ix_analyzer_put(ix, a);
	}
	if (rc) {
		trawl_index_close(ix);
		return rc;
	}
	*out = ix;
	return TRAWL_OK;
}

void trawl_index_close(trawl_index *ix)
{
	if (!ix)
		return;
	cf_close(&ix->meta);
	cf_close(&ix->terms);
	cf_close(&ix->postings);
	cf_close(&ix->positions);
	cf_close(&ix->docs);
	cf_close(&ix->store);
	for (size_t i = 0; i < ix->npool; i++)
		trawl_analyzer_free(ix->pool[i]);
	free(ix->pool);
	pthread_mutex_destroy(&ix->lock);
	free(ix->dir);
	free(ix);
}

const char *trawl_index_language(const trawl_index *ix)
{
	return ix->language;
}

int ix_analyzer_get(trawl_index *ix, trawl_analyzer **out, trawl_error *err)
{
	pthread_mutex_lock(&ix->lock);
	if (ix->npool) {
		*out = ix->pool[--ix->npool];
		pthread_mutex_unlock(&ix->lock);
		return TRAWL_OK;
	}
	pthread_mutex_unlock(&ix->lock);
	return trawl_analyzer_new(ix->language, out, err);
}

void ix_analyzer_put(trawl_index *ix, trawl_analyzer *a)
{
	pthread_mutex_lock(&ix->lock);
	if (ix->npool == ix->pool_cap) {
		size_t cap = ix->pool_cap ? ix->pool_cap * 2 : 4;
		trawl_analyzer **p = realloc(ix->pool, cap * sizeof *p);
		if (!p) {
			pthread_mutex_unlock(&ix->lock);
			trawl_analyzer_free(a);
			return;
		}
		ix->pool = p;
		ix->pool_cap = cap;
	}
	ix->pool[ix->npool++] = a;
	pthread_mutex_unlock(&ix->lock);
}

int ix_docrec(trawl_index *ix, uint32_t docno, docrec *out, trawl_error *err)
{
	if (docno >= ix->ndocs)
		return tr_err(err, TRAWL_ENOTFOUND, "no document %u", docno);
	const uint8_t *p;
	int rc = cf_range(&ix->docs, (uint64_t)docno * DOCREC_SIZE, DOCREC_SIZE,
			  &p, err);
	if (rc)
		return rc;
	out->title_len = get_u32le(p);
	out->body_len = get_u32le(p + 4);
	out->date = get_u32le(p + 8);
	uint32_t b = get_u32le(p + 12);
	out->dead = (b & DOCREC_DEAD) != 0;
	out->block = b & ~DOCREC_DEAD;
	return TRAWL_OK;
}

int trawl_doc_get(trawl_index *ix, uint32_t docno, trawl_stored **out,
		  trawl_error *err)
{
	docrec r;
	int rc = ix_docrec(ix, docno, &r, err);
	if (rc)
		return rc;
	return ds_get(&ix->store, r.block, docno, out, err);
}

void trawl_stored_free(trawl_stored *d)
{
	free(d);
}

int trawl_index_stats(trawl_index *ix, trawl_stats *st, trawl_error *err)
{
	(void)err;
	memset(st, 0, sizeof *st);
	st->docs = ix->live;
	st->deleted = ix->ndocs - ix->live;
	st->terms = ix->nterms;
	st->postings = ix->npostings;
	st->positions = ix->npositions;
	st->input_bytes = ix->input_bytes;
	st->bytes_dict = cf_size(&ix->terms);
	st->bytes_postings = cf_size(&ix->postings);
	st->bytes_positions = cf_size(&ix->positions);
	st->bytes_docs = cf_size(&ix->docs) + cf_size(&ix->meta);
	st->bytes_store = cf_size(&ix->store);
	st->bytes_total = st->bytes_dict + st->bytes_postings +
			  st->bytes_positions + st->bytes_docs + st->bytes_store;
	snprintf(st->language, sizeof st->language, "%s", ix->language);
	return TRAWL_OK;
}

/* Structural check: every term in order, every posting list decodable,
 * docnos live and in range, positions within their field's length. */
static int check_postings(trawl_index *ix, trawl_error *err)
{
	dict_iter it;
	int rc = dict_seek(&ix->dict, &it, "", 0, err);
	if (rc)
		return rc;
	dterm t, prev;
	prev.len = 0;
	uint64_t nterms = 0, npost = 0, npos = 0;
	uint64_t post_end = 0, pos_end = 0;
	for (;;) {
		rc = dict_next(&it, &t, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		if (nterms && (memcmp(prev.term, t.term,
				      prev.len < t.len ? prev.len : t.len) > 0 ||
			       (memcmp(prev.term, t.term, prev.len < t.len ? prev.len : t.len) == 0 &&
				prev.len >= t.len)))
			return tr_err(err, TRAWL_ECORRUPT,
				      "%s/terms: terms out of order at \"%s\"",
				      ix->dir, t.term);
		prev = t;
		nterms++;
		pcursor c;
		rc = pcur_open(&c, &ix->postings, &ix->positions, &t, err);
		if (rc) {
			pcur_close(&c);
			return rc;
		}
		uint32_t df = 0;
		while (c.docno != DOC_END) {
			docrec r;
			/* past the last document is damage, not ENOTFOUND */
			if (c.docno >= ix->ndocs)
				rc = tr_err(err, TRAWL_ECORRUPT,
					    "%s/postings: term \"%s\" lists document "
					    "%u of %u", ix->dir, t.term, c.docno,
					    ix->ndocs);
			else
				rc = ix_docrec(ix, c.docno, &r, err);
			if (!rc && r.dead)
				rc = tr_err(err, TRAWL_ECORRUPT,
					    "%s/postings: term \"%s\" lists replaced "
					    "document %u", ix->dir, t.term, c.docno);
			const uint32_t *pos;
			uint32_t n;
			if (!rc)
				rc = pcur_positions(&c, &pos, &n);
			for (uint32_t k = 0; !rc && k < n; k++) {
				uint32_t v = pos[k] & ~POS_BODY;
				uint32_t lim = POS_FIELD(pos[k]) ? r.body_len : r.title_len;
				if (v >= lim)
					rc = tr_err(err, TRAWL_ECORRUPT,
						    "%s/positions: term \"%s\" doc %u "
						    "position %u past the field's %u "
						    "tokens", ix->dir, t.term, c.docno,
						    v, lim);
			}
			if (rc) {
				pcur_close(&c);
				return rc;
			}
			npos += n;
			df++;
			pcur_next(&c);
		}
		rc = c.rc;
		pcur_close(&c);
		if (rc)
			return rc;
		if (df != t.df)
			return tr_err(err, TRAWL_ECORRUPT,
				      "%s/postings: term \"%s\" has %u documents, "
				      "dictionary says %u", ix->dir, t.term, df,
				      t.df);
		if (t.post_off != post_end || t.pos_off != pos_end)
			return tr_err(err, TRAWL_ECORRUPT,
				      "%s/terms: term \"%s\" offsets not contiguous",
				      ix->dir, t.term);
		post_end = t.post_off + t.post_len;
		pos_end = t.pos_off + t.pos_len;
		npost += df;
	}
	if (nterms != ix->nterms || npost != ix->npostings ||
	    npos != ix->npositions)
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: counts disagree with meta (terms %llu/%llu, "
			      "postings %llu/%llu, positions %llu/%llu)", ix->dir,
			      (unsigned long long)nterms,
			      (unsigned long long)ix->nterms,
			      (unsigned long long)npost,
			      (unsigned long long)ix->npostings,
			      (unsigned long long)npos,
			      (unsigned long long)ix->npositions);
	if (post_end != ix->postings.data_len || pos_end != ix->positions.data_len)
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: postings or positions file has bytes no term "
			      "owns", ix->dir);
	return TRAWL_OK;
}

int trawl_index_check(trawl_index *ix, trawl_error *err)
{
	cfile *files[] = { &ix->meta, &ix->terms, &ix->postings,
			   &ix->positions, &ix->docs, &ix->store };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		int rc = cf_verify_all(files[i], err);
		if (rc) {
			/* prefix the directory for the user */
			char m[2 * sizeof err->message];
			if (err) {
				snprintf(m, sizeof m, "%s/%s", ix->dir, err->message);
				size_t n = strlen(m);
				if (n >= sizeof err->message)
					n = sizeof err->message - 1;
				memcpy(err->message, m, n);
				err->message[n] = '\0';
			}
			return rc;
		}
	}
	uint64_t stored;
	int rc = ds_check(&ix->store, &stored, err);
	if (rc)
		return rc;
	if (stored != ix->ndocs)
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s/store: %llu documents stored, %u expected",
			      ix->dir, (unsigned long long)stored, ix->ndocs);
	uint32_t live = 0;
	for (uint32_t d = 0; d < ix->ndocs; d++) {
		docrec r;
		rc = ix_docrec(ix, d, &r, err);
		if (rc)
			return rc;
		live += !r.dead;
	}
	if (live != ix->live)
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s/docs: %u live documents, meta says %u", ix->dir,
			      live, ix->live);
	return check_postings(ix, err);
}
