/*
 * index.c -- opening an index directory, its figures, its full check,
 * and stored documents.
 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "docstore.h"
#include "error.h"
#include "index.h"
#include "postings.h"
#include "manifest.h"
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

/* The optional "pairs" line: words of at most SEG_PAIR_WORD_MAX bytes,
 * none repeated, no more than SEG_PAIR_WORDS. */
static int read_pair_words(segment *sg, const char *t, size_t n,
			   trawl_error *err)
{
	char line[SEG_PAIR_WORDS * (SEG_PAIR_WORD_MAX + 1) + 1];
	sg->npair_words = 0;
	sg->pair_terms = sg->pair_postings = sg->pair_positions = 0;
	sg->pair_counts = 0;
	if (meta_get(t, n, "pairs", line, sizeof line))
		/* absent, or longer than any list a build writes: none
		 * (a phrase then reads its words alone, always right) */
		return TRAWL_OK;
	char *save = NULL;
	for (char *w = strtok_r(line, " ", &save); w;
	     w = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(w);
		if (sg->npair_words == SEG_PAIR_WORDS || len > SEG_PAIR_WORD_MAX)
			goto bad;
		for (size_t i = 0; i < sg->npair_words; i++)
			if (!strcmp(sg->pair_words[i], w))
				goto bad;
		memcpy(sg->pair_words[sg->npair_words++], w, len + 1);
	}
	/* the pairs' share of the counts, for stats and check (0 and not
	 * checked where not written) */
	sg->pair_counts = !meta_u64(t, n, "pair_terms", &sg->pair_terms) &&
			  !meta_u64(t, n, "pair_postings", &sg->pair_postings) &&
			  !meta_u64(t, n, "pair_positions", &sg->pair_positions);
	if (!sg->pair_counts)
		sg->pair_terms = sg->pair_postings = sg->pair_positions = 0;
	if (sg->pair_terms > sg->nterms || sg->pair_postings > sg->npostings ||
	    sg->pair_positions > sg->npositions)
		goto bad;
	return TRAWL_OK;
bad:
	return tr_err(err, TRAWL_ECORRUPT, "%s/meta: bad field \"pairs\"",
		      sg->path);
}

static int read_meta(segment *sg, char *language, size_t langlen,
		     trawl_error *err)
{
	const uint8_t *p;
	int rc = cf_range(&sg->meta, 0, sg->meta.data_len, &p, err);
	if (rc)
		return rc;
	const char *t = (const char *)p;
	size_t n = sg->meta.data_len;
	uint64_t format, docs, live, tt, bt, parts = 1;
	if (meta_u64(t, n, "format", &format) || format < 1 ||
	    format > SEG_FORMAT)
		return tr_err(err, TRAWL_EVERSION,
			      "%s/meta: index format not supported by this build",
			      sg->path);
	if (format >= 2 && (meta_u64(t, n, "parts", &parts) || parts < 1 ||
			    parts > 2))
		return tr_err(err, TRAWL_ECORRUPT, "%s/meta: missing or bad "
			      "field \"parts\"", sg->path);
	sg->parts = (int)parts;
	if (meta_get(t, n, "language", language, langlen) ||
	    meta_u64(t, n, "docs", &docs) || meta_u64(t, n, "live", &live) ||
	    meta_u64(t, n, "terms", &sg->nterms) ||
	    meta_u64(t, n, "postings", &sg->npostings) ||
	    meta_u64(t, n, "positions", &sg->npositions) ||
	    meta_u64(t, n, "input_bytes", &sg->input_bytes) ||
	    meta_u64(t, n, "title_tokens", &tt) ||
	    meta_u64(t, n, "body_tokens", &bt) || docs > UINT32_MAX ||
	    live > docs)
		return tr_err(err, TRAWL_ECORRUPT, "%s/meta: missing or bad field",
			      sg->path);
	sg->ndocs = (uint32_t)docs;
	sg->live = (uint32_t)live;
	return read_pair_words(sg, t, n, err);
}

static void seg_close(segment *sg)
{
	cf_close(&sg->meta);
	cf_close(&sg->terms);
	cf_close(&sg->postings);
	cf_close(&sg->positions);
	cf_close(&sg->docs);
	cf_close(&sg->store);
	cf_close(&sg->ids);
	free(sg->del);
	ds_dicts_free(&sg->store_dicts);
	free(sg->path);
	memset(sg, 0, sizeof *sg);
}

/* Opens segment directory PATH. */
static int seg_open(segment *sg, const char *path, char *language,
		    size_t langlen, trawl_error *err)
{
	memset(sg, 0, sizeof *sg);
	sg->path = strdup(path);
	if (!sg->path)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	int rc = cf_open(&sg->meta, path, "meta", CF_META, err);
	if (rc == TRAWL_ENOTFOUND)
		rc = tr_err(err, TRAWL_ENOTFOUND, "%s: not a trawl index (no "
			    "meta file)", path);
	if (!rc)
		rc = read_meta(sg, language, langlen, err);
	if (!rc)
		rc = cf_open(&sg->terms, path, "terms", CF_TERMS, err);
	if (!rc)
		rc = cf_open(&sg->postings, path, "postings", CF_POSTINGS, err);
	if (!rc)
		rc = cf_open(&sg->positions, path, "positions", CF_POSITIONS, err);
	if (!rc && sg->parts == 2)
		rc = cf_open_part(&sg->postings, path, SEG_POSTINGS2,
				  CF_POSTINGS, err);
	if (!rc && sg->parts == 2)
		rc = cf_open_part(&sg->positions, path, SEG_POSITIONS2,
				  CF_POSITIONS, err);
	if (!rc)
		rc = cf_open(&sg->docs, path, "docs", CF_DOCS, err);
	if (!rc)
		rc = cf_open(&sg->store, path, "store", CF_STORE, err);
	if (!rc)
		rc = ds_load_dicts(&sg->store, &sg->store_dicts, err);
	if (!rc) {
		trawl_error e2;
		int r = cf_open(&sg->ids, path, "ids", CF_IDS, &e2);
		if (r == TRAWL_OK)
			sg->has_ids = 1;
		else if (r != TRAWL_ENOTFOUND) {
			rc = r;
			if (err)
				*err = e2;
		}
	}
	if (!rc && sg->docs.data_len != (uint64_t)sg->ndocs * DOCREC_SIZE)
		rc = tr_err(err, TRAWL_ECORRUPT,
			    "%s/docs: %llu bytes for %u documents", path,
			    (unsigned long long)sg->docs.data_len, sg->ndocs);
	if (!rc)
		rc = dict_open(&sg->dict, &sg->terms, err);
	if (!rc && sg->dict.nterms != sg->nterms)
		rc = tr_err(err, TRAWL_ECORRUPT,
			    "%s/terms: %llu terms, meta says %llu", path,
			    (unsigned long long)sg->dict.nterms,
			    (unsigned long long)sg->nterms);
	return rc;
}

static int open_segments(trawl_index *ix, trawl_error *err)
{
	manifest m;
	int rc = man_read(ix->dir, &m, err);
	if (rc == TRAWL_ENOTFOUND) {
		/* an index without a manifest: one segment at its top */
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/meta", ix->dir);
		if (access(p, F_OK) != 0)
			return tr_err(err, TRAWL_ENOTFOUND,
				      "%s: not a trawl index (no MANIFEST)",
				      ix->dir);
		ix->segs = calloc(1, sizeof *ix->segs);
		if (!ix->segs)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		ix->nsegs = 1;
		rc = seg_open(&ix->segs[0], ix->dir, ix->language,
			      sizeof ix->language, err);
		if (rc)
			return rc;
		segment *sg = &ix->segs[0];
		snprintf(sg->name, sizeof sg->name, ".");
		uint64_t tt = 0, bt = 0;
		const uint8_t *p2;
		rc = cf_range(&sg->meta, 0, sg->meta.data_len, &p2, err);
		if (rc)
			return rc;
		meta_u64((const char *)p2, sg->meta.data_len, "title_tokens", &tt);
		meta_u64((const char *)p2, sg->meta.data_len, "body_tokens", &bt);
		ix->ndocs = sg->ndocs;
		ix->live = sg->live;
		ix->avg_title = sg->live ? (double)tt / sg->live : 0;
		ix->avg_body = sg->live ? (double)bt / sg->live : 0;
		return TRAWL_OK;
	}
	if (rc)
		return rc;
	snprintf(ix->language, sizeof ix->language, "%s", m.language);
	ix->generation = m.generation;
	ix->segs = calloc(m.nsegs ? m.nsegs : 1, sizeof *ix->segs);
	if (!ix->segs) {
		man_free(&m);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	uint64_t base = 0, tt = 0, bt = 0, live = 0;
	for (size_t i = 0; i < m.nsegs && !rc; i++) {
		const man_seg *ms = &m.segs[i];
		segment *sg = &ix->segs[i];
		ix->nsegs++;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/%s", ix->dir, ms->name);
		char lang[32];
		rc = seg_open(sg, p, lang, sizeof lang, err);
		if (rc)
			break;
		snprintf(sg->name, sizeof sg->name, "%s", ms->name);
		if (strcmp(lang, ix->language) || sg->ndocs != ms->docs) {
			rc = tr_err(err, TRAWL_ECORRUPT, "%s: segment disagrees "
				    "with MANIFEST", p);
			break;
		}
		if (ms->del[0]) {
			rc = del_read(ix->dir, ms->del, sg->ndocs, &sg->del, err);
			if (rc)
				break;
		}
		sg->live = ms->live;
		if (base + sg->ndocs > UINT32_MAX - 16) {
			rc = tr_err(err, TRAWL_ELIMIT, "%s: too many documents",
				    ix->dir);
			break;
		}
		sg->base = (uint32_t)base;
		base += sg->ndocs;
		live += ms->live;
		tt += ms->title_tokens;
		bt += ms->body_tokens;
	}
	man_free(&m);
	if (rc)
		return rc;
	ix->ndocs = (uint32_t)base;
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
	int rc;
	/* a commit may remove the files of the manifest we just read: read
	 * the new one and try again */
	for (int tries = 0;; tries++) {
		rc = open_segments(ix, err);
		if (rc != TRAWL_ENOTFOUND || tries == 5)
			break;
		for (size_t i = 0; i < ix->nsegs; i++)
			seg_close(&ix->segs[i]);
		free(ix->segs);
		ix->segs = NULL;
		ix->nsegs = 0;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/MANIFEST", dir);
		if (access(p, F_OK) != 0)
			break;
	}
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
	for (size_t i = 0; i < ix->nsegs; i++)
		seg_close(&ix->segs[i]);
	free(ix->segs);
	for (size_t i = 0; i < ix->npool; i++)
		trawl_analyzer_free(ix->pool[i]);
	free(ix->pool);
	for (size_t i = 0; i < ix->nstores; i++) {
		ds_cursor_free(ix->stores[i]);
		free(ix->stores[i]);
	}
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

/* A store cursor from the pool: the one holding BLOCK of F if it is
 * free, else the last one returned, else a new one (NULL: no memory). */
static ds_cursor *store_get(trawl_index *ix, const cfile *f, uint32_t block)
{
	pthread_mutex_lock(&ix->lock);
	ds_cursor *c = NULL;
	if (ix->nstores) {
		size_t pick = ix->nstores - 1;
		for (size_t i = 0; i < ix->nstores; i++)
			if (ix->stores[i]->valid && ix->stores[i]->file == f &&
			    ix->stores[i]->block == block)
				pick = i;
		c = ix->stores[pick];
		ix->stores[pick] = ix->stores[--ix->nstores];
	}
	pthread_mutex_unlock(&ix->lock);
	return c ? c : calloc(1, sizeof *c);
}

static void store_put(trawl_index *ix, ds_cursor *c)
{
	pthread_mutex_lock(&ix->lock);
	if (ix->nstores < IX_STORES) {
		ix->stores[ix->nstores++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&ix->lock);
	if (c) {
		ds_cursor_free(c);
		free(c);
	}
}

int ix_stored(trawl_index *ix, segment *sg, uint32_t block, uint32_t local,
	      trawl_stored **out, trawl_error *err)
{
	ds_cursor *c = store_get(ix, &sg->store, block);
	if (!c)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	c->dicts = &sg->store_dicts;
	int rc = ds_get_cached(&sg->store, c, block, local, out, err);
	store_put(ix, c);
	return rc;
}

segment *ix_segment(trawl_index *ix, uint32_t docno, uint32_t *local)
{
	if (docno >= ix->ndocs || ix->nsegs == 0)
		return NULL;
	size_t lo = 0, hi = ix->nsegs;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->segs[mid].base <= docno)
			lo = mid;
		else
			hi = mid;
	}
	segment *sg = &ix->segs[lo];
	if (docno - sg->base >= sg->ndocs)
		return NULL;
	*local = docno - sg->base;
	return sg;
}

int seg_docrec(segment *sg, uint32_t local, docrec *out, trawl_error *err)
{
	if (local >= sg->ndocs)
		return tr_err(err, TRAWL_ENOTFOUND, "no document %u in %s", local,
			      sg->path);
	const uint8_t *p;
	int rc = cf_range(&sg->docs, (uint64_t)local * DOCREC_SIZE, DOCREC_SIZE,
			  &p, err);
	if (rc)
		return rc;
	out->title_len = get_u32le(p);
	out->body_len = get_u32le(p + 4);
	out->date = get_u32le(p + 8);
	uint32_t b = get_u32le(p + 12);
	out->dead = (b & DOCREC_DEAD) != 0 ||
		    (sg->del && (sg->del[local >> 3] >> (local & 7)) & 1);
	out->block = b & ~DOCREC_DEAD;
	return TRAWL_OK;
}

int ix_docrec(trawl_index *ix, uint32_t docno, docrec *out, trawl_error *err)
{
	uint32_t local;
	segment *sg = ix_segment(ix, docno, &local);
	if (!sg)
		return tr_err(err, TRAWL_ENOTFOUND, "no document %u", docno);
	return seg_docrec(sg, local, out, err);
}

int ix_df(trawl_index *ix, const char *term, uint64_t *df, trawl_error *err)
{
	*df = 0;
	for (size_t i = 0; i < ix->nsegs; i++) {
		dterm t;
		int r = dict_lookup(&ix->segs[i].dict, term, strlen(term), &t, err);
		if (r < 0)
			return r;
		if (r)
			*df += t.df;
	}
	return TRAWL_OK;
}

int ix_prefix_df(trawl_index *ix, const char *prefix, uint64_t *df,
		 trawl_error *err)
{
	*df = 0;
	size_t plen = strlen(prefix);
	for (size_t i = 0; i < ix->nsegs; i++) {
		dict_iter it;
		int r = dict_seek(&ix->segs[i].dict, &it, prefix, plen, err);
		if (r)
			return r;
		dterm t;
		while ((r = dict_next(&it, &t, err)) == 1) {
			if (t.len < plen || memcmp(t.term, prefix, plen))
				break;
			*df += t.df;
		}
		if (r < 0)
			return r;
	}
	return TRAWL_OK;
}

int ix_find_id(trawl_index *ix, const char *id, size_t len, uint32_t *docno,
	       trawl_error *err)
{
	uint64_t h = seg_id_hash(id, len);
	/* newest segment first: an id lives in at most one segment */
	for (size_t i = ix->nsegs; i-- > 0;) {
		segment *sg = &ix->segs[i];
		if (!sg->has_ids)
			continue;
		uint64_t n = sg->ids.data_len / IDREC_SIZE;
		const uint8_t *p;
		int rc = cf_range(&sg->ids, 0, n * IDREC_SIZE, &p, err);
		if (rc)
			return rc;
		uint64_t lo = 0, hi = n;
		while (lo < hi) {
			uint64_t mid = lo + (hi - lo) / 2;
			if (get_u64le(p + mid * IDREC_SIZE) < h)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n && get_u64le(p + lo * IDREC_SIZE) == h; lo++) {
			uint32_t local = get_u32le(p + lo * IDREC_SIZE + 8);
			docrec r;
			if ((rc = seg_docrec(sg, local, &r, err)))
				return rc;
			if (r.dead)
				continue;
			trawl_stored *d;
			if ((rc = ix_stored(ix, sg, r.block, local, &d, err)))
				return rc;
			int same = d->id_len == len && !memcmp(d->id, id, len);
			free(d);
			if (same) {
				*docno = sg->base + local;
				return 1;
			}
		}
	}
	return 0;
}

int trawl_doc_get(trawl_index *ix, uint32_t docno, trawl_stored **out,
		  trawl_error *err)
{
	uint32_t local;
	segment *sg = ix_segment(ix, docno, &local);
	if (!sg)
		return tr_err(err, TRAWL_ENOTFOUND, "no document %u", docno);
	docrec r;
	int rc = seg_docrec(sg, local, &r, err);
	if (rc)
		return rc;
	rc = ix_stored(ix, sg, r.block, local, out, err);
	if (!rc)
		(*out)->docno = docno;
	return rc;
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
	st->segments = ix->nsegs;
	for (size_t i = 0; i < ix->nsegs; i++) {
		segment *sg = &ix->segs[i];
		/* words: a word pair is a second copy of two of them */
		st->terms += sg->nterms - sg->pair_terms; /* per segment: an
							     upper bound */
		st->postings += sg->npostings - sg->pair_postings;
		st->positions += sg->npositions - sg->pair_positions;
		st->input_bytes += sg->input_bytes;
		st->bytes_dict += cf_size(&sg->terms);
		st->bytes_postings += cf_size(&sg->postings);
		st->bytes_positions += cf_size(&sg->positions);
		st->bytes_docs += cf_size(&sg->docs) + cf_size(&sg->meta) +
				  (sg->has_ids ? cf_size(&sg->ids) : 0);
		st->bytes_store += cf_size(&sg->store);
	}
	st->bytes_total = st->bytes_dict + st->bytes_postings +
			  st->bytes_positions + st->bytes_docs + st->bytes_store;
	snprintf(st->language, sizeof st->language, "%s", ix->language);
	return TRAWL_OK;
}

/* Whether the terms, postings and positions counted (GOT) are those
 * meta gives (WANT); if not, says so in ERR as WHAT. */
static int counts_disagree(const segment *sg, const char *what,
			   const uint64_t got[3], const uint64_t want[3],
			   trawl_error *err)
{
	if (got[0] == want[0] && got[1] == want[1] && got[2] == want[2])
		return 0;
	tr_err(err, TRAWL_ECORRUPT,
	       "%s: %s disagree with meta (terms %llu/%llu, postings "
	       "%llu/%llu, positions %llu/%llu)", sg->path, what,
	       (unsigned long long)got[0], (unsigned long long)want[0],
	       (unsigned long long)got[1], (unsigned long long)want[1],
	       (unsigned long long)got[2], (unsigned long long)want[2]);
	return 1;
}

/* Whether PAIR ("first second") is two of SEG's pair words. */
static int pair_of_listed_words(const segment *sg, const char *pair)
{
	const char *sp = strchr(pair, ' ');
	if (!sp)
		return 0;
	int first = 0, second = 0;
	for (size_t i = 0; i < sg->npair_words; i++) {
		const char *w = sg->pair_words[i];
		size_t len = strlen(w);
		first |= (size_t)(sp - pair) == len && !memcmp(pair, w, len);
		second |= !strcmp(sp + 1, w);
	}
	return first && second;
}

/* Structural check of one segment: every term in order, every posting
 * list decodable, docnos of documents not replaced, positions within
 * their field's length, counts as its meta says. */
static int check_postings(segment *sg, trawl_error *err)
{
	dict_iter it;
	int rc = dict_seek(&sg->dict, &it, "", 0, err);
	if (rc)
		return rc;
	dterm t, prev;
	prev.len = 0;
	uint64_t nterms = 0, npost = 0, npos = 0;
	uint64_t pterms = 0, ppost = 0, ppos = 0; /* word pairs' share */
	uint64_t post_end = 0, pos_end = 0;
	for (;;) {
		rc = dict_next(&it, &t, err);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		size_t m = prev.len < t.len ? prev.len : t.len;
		int c = memcmp(prev.term, t.term, m);
		if (nterms && (c > 0 || (c == 0 && prev.len >= t.len)))
			return tr_err(err, TRAWL_ECORRUPT,
				      "%s/terms: terms out of order at \"%s\"",
				      sg->path, t.term);
		prev = t;
		nterms++;
		int pair = t.len && t.term[0] == SEG_PAIR_MARK;
		if (pair && !pair_of_listed_words(sg, t.term + 1))
			return tr_err(err, TRAWL_ECORRUPT,
				      "%s/terms: word pair \"%s\", but meta does "
				      "not list both as pair words", sg->path,
				      t.term + 1);
		pcursor cur;
		rc = pcur_open(&cur, &sg->postings, &sg->positions, &t, err);
		if (rc) {
			pcur_close(&cur);
			return rc;
		}
		uint32_t df = 0;
		while (cur.docno != DOC_END) {
			docrec r;
			rc = seg_docrec(sg, cur.docno, &r, err);
			if (rc == TRAWL_ENOTFOUND)
				rc = tr_err(err, TRAWL_ECORRUPT,
					    "%s/postings: term \"%s\" lists document "
					    "%u past the last", sg->path, t.term,
					    cur.docno);
			const uint8_t *rp;
			/* replaced documents have no postings; deleted ones keep
			 * theirs until a merge */
			if (!rc && !cf_range(&sg->docs, (uint64_t)cur.docno * DOCREC_SIZE,
					     DOCREC_SIZE, &rp, err) &&
			    (get_u32le(rp + 12) & DOCREC_DEAD))
				rc = tr_err(err, TRAWL_ECORRUPT,
					    "%s/postings: term \"%s\" lists replaced "
					    "document %u", sg->path, t.term, cur.docno);
			const uint32_t *pos;
			uint32_t n = 0;
			if (!rc)
				rc = pcur_positions(&cur, &pos, &n);
			for (uint32_t k = 0; !rc && k < n; k++) {
				uint32_t v = pos[k] & ~POS_BODY;
				uint32_t lim = POS_FIELD(pos[k]) ? r.body_len : r.title_len;
				if (v >= lim)
					rc = tr_err(err, TRAWL_ECORRUPT,
						    "%s/positions: term \"%s\" doc %u "
						    "position %u past the field's %u "
						    "tokens", sg->path, t.term, cur.docno,
						    v, lim);
			}
			if (rc) {
				pcur_close(&cur);
				return rc;
			}
			npos += n;
			ppos += pair ? n : 0;
			df++;
			pcur_next(&cur);
		}
		rc = cur.rc;
		pcur_close(&cur);
		if (rc)
			return rc;
		if (df != t.df)
			return tr_err(err, TRAWL_ECORRUPT,
				      "%s/postings: term \"%s\" has %u documents, "
				      "dictionary says %u", sg->path, t.term, df,
				      t.df);
		if (t.post_off != post_end || t.pos_off != pos_end)
			return tr_err(err, TRAWL_ECORRUPT,
				      "%s/terms: term \"%s\" offsets not contiguous",
				      sg->path, t.term);
		post_end = t.post_off + t.post_len;
		pos_end = t.pos_off + t.pos_len;
		npost += df;
		pterms += pair;
		ppost += pair ? df : 0;
	}
	const uint64_t got[3] = { nterms, npost, npos },
		       want[3] = { sg->nterms, sg->npostings, sg->npositions };
	if (counts_disagree(sg, "counts", got, want, err))
		return TRAWL_ECORRUPT;
	const uint64_t pgot[3] = { pterms, ppost, ppos },
		       pwant[3] = { sg->pair_terms, sg->pair_postings,
				    sg->pair_positions };
	if (sg->pair_counts &&
	    counts_disagree(sg, "word pair counts", pgot, pwant, err))
		return TRAWL_ECORRUPT;
	if (post_end != cf_data_len(&sg->postings) ||
	    pos_end != cf_data_len(&sg->positions))
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: postings or positions file has bytes no term "
			      "owns", sg->path);
	return TRAWL_OK;
}

static int check_segment(segment *sg, trawl_error *err)
{
	cfile *files[] = { &sg->meta, &sg->terms, &sg->postings,
			   &sg->positions, &sg->docs, &sg->store, &sg->ids };
	size_t nf = sizeof files / sizeof *files - (sg->has_ids ? 0 : 1);
	for (size_t i = 0; i < nf; i++) {
		int rc = cf_verify_all(files[i], err);
		if (rc) {
			/* prefix the directory for the user */
			char m[2 * sizeof err->message];
			if (err) {
				snprintf(m, sizeof m, "%s/%s", sg->path, err->message);
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
	int rc = ds_check(&sg->store, &stored, err);
	if (rc)
		return rc;
	if (stored != sg->ndocs)
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s/store: %llu documents stored, %u expected",
			      sg->path, (unsigned long long)stored, sg->ndocs);
	uint32_t live = 0;
	for (uint32_t d = 0; d < sg->ndocs; d++) {
		docrec r;
		rc = seg_docrec(sg, d, &r, err);
		if (rc)
			return rc;
		live += !r.dead;
	}
	if (live != sg->live)
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s/docs: %u live documents, the manifest says %u",
			      sg->path, live, sg->live);
	if (sg->has_ids && sg->ids.data_len != (uint64_t)live * IDREC_SIZE +
		    (uint64_t)sg->ndel * 0 && sg->ids.data_len % IDREC_SIZE)
		return tr_err(err, TRAWL_ECORRUPT, "%s/ids: bad size", sg->path);
	return check_postings(sg, err);
}

int trawl_index_check(trawl_index *ix, trawl_error *err)
{
	for (size_t i = 0; i < ix->nsegs; i++) {
		int rc = check_segment(&ix->segs[i], err);
		if (rc)
			return rc;
	}
	return TRAWL_OK;
}
