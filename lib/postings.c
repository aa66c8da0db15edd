/*
 * postings.c -- postings writer and cursor (layout in postings.h).
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "error.h"
#include "postings.h"

void postw_init(postw *w, cfw *post, cfw *pos)
{
	memset(w, 0, sizeof *w);
	w->post = post;
	w->pos = pos;
	buf_init(&w->blocks);
	buf_init(&w->skips);
	buf_init(&w->tmp);
}

void postw_free(postw *w)
{
	free(w->vals);
	buf_free(&w->blocks);
	buf_free(&w->skips);
	buf_free(&w->tmp);
}

void postw_begin(postw *w)
{
	w->n = 0;
	w->nvals = 0;
	w->df = 0;
	w->prev_last = UINT32_MAX;
	buf_reset(&w->blocks);
	buf_reset(&w->skips);
	w->pos_start = cfw_offset(w->pos);
	w->post_start = cfw_offset(w->post);
	w->npositions = 0;
}

static void flush_block(int *rc, postw *w)
{
	if (*rc || w->n == 0)
		return;
	uint32_t gaps[PC_BLOCK];
	uint32_t prev = w->prev_last;
	for (size_t i = 0; i < w->n; i++) {
		gaps[i] = w->docs[i] - prev - 1;
		prev = w->docs[i];
	}
	uint64_t pos_rel = cfw_offset(w->pos) - w->pos_start;
	/* tf - 1 rather than the body tf: mostly 0, where the body tf of a
	 * title-only document would be the one 0 among 1s */
	uint32_t tfm1[PC_BLOCK];
	for (size_t i = 0; i < w->n; i++)
		tfm1[i] = w->tft[i] + w->tfb[i] - 1;
	pc_encode(rc, &w->blocks, gaps, w->n);
	pc_encode(rc, &w->blocks, w->tft, w->n);
	pc_encode(rc, &w->blocks, tfm1, w->n);
	/* positions in groups of PC_BLOCK */
	buf_reset(&w->tmp);
	for (size_t i = 0; i < w->nvals; i += PC_BLOCK) {
		size_t k = w->nvals - i < PC_BLOCK ? w->nvals - i : PC_BLOCK;
		pc_encode_skippable(rc, &w->tmp, w->vals + i, k);
	}
	cfw_write(rc, w->pos, w->tmp.p, w->tmp.n);
	if (pos_rel > UINT32_MAX || w->blocks.n > UINT32_MAX) {
		*rc = TRAWL_ELIMIT;
		return;
	}
	buf_put_u32le(rc, &w->skips, w->docs[w->n - 1]);
	buf_put_u32le(rc, &w->skips, (uint32_t)w->blocks.n);
	buf_put_u32le(rc, &w->skips, (uint32_t)pos_rel);
	w->prev_last = w->docs[w->n - 1];
	w->n = 0;
	w->nvals = 0;
}

uint32_t *postw_gap_room(int *rc, postw *w, size_t n)
{
	if (*rc)
		return NULL;
	size_t need = w->nvals + n;
	if (need > w->vals_cap) {
		size_t cap = w->vals_cap ? w->vals_cap : 1024;
		while (cap < need)
			cap *= 2;
		uint32_t *v = realloc(w->vals, cap * sizeof *v);
		if (!v) {
			*rc = TRAWL_ENOMEM;
			return NULL;
		}
		w->vals = v;
		w->vals_cap = cap;
	}
	return w->vals + w->nvals;
}

void postw_add_gaps(int *rc, postw *w, uint32_t docno, uint32_t tft,
		    uint32_t tfb)
{
	if (*rc)
		return;
	w->nvals += (size_t)tft + tfb;
	w->docs[w->n] = docno;
	w->tft[w->n] = tft;
	w->tfb[w->n] = tfb;
	w->n++;
	w->df++;
	w->npositions += tft + tfb;
	if (w->n == PC_BLOCK)
		flush_block(rc, w);
}

void postw_add(int *rc, postw *w, uint32_t docno, uint32_t tft, uint32_t tfb,
	       const uint32_t *pos)
{
	uint32_t *g = postw_gap_room(rc, w, (size_t)tft + tfb);
	if (!g)
		return;
	uint32_t prev = UINT32_MAX;
	for (uint32_t k = 0; k < tft; k++) {
		*g++ = pos[k] - prev - 1;
		prev = pos[k];
	}
	prev = UINT32_MAX;
	for (uint32_t k = 0; k < tfb; k++) {
		*g++ = pos[tft + k] - prev - 1;
		prev = pos[tft + k];
	}
	postw_add_gaps(rc, w, docno, tft, tfb);
}

void postw_end(int *rc, postw *w, uint32_t *df, uint64_t *post_len,
	       uint64_t *pos_len)
{
	flush_block(rc, w);
	if (w->df > PC_BLOCK)
		cfw_write(rc, w->post, w->skips.p, w->skips.n);
	cfw_write(rc, w->post, w->blocks.p, w->blocks.n);
	*df = w->df;
	*post_len = cfw_offset(w->post) - w->post_start;
	*pos_len = cfw_offset(w->pos) - w->pos_start;
}

/* ---- cursor ---- */

static uint32_t fail(pcursor *c, int rc, const char *what)
{
	if (!c->rc) {
		c->rc = rc;
		if (rc == TRAWL_ECORRUPT)
			tr_err(c->err, rc, "postings: %s (block %u)", what,
			       c->blk);
		else
			tr_err(c->err, rc, "postings: %s", what);
	}
	c->docno = DOC_END;
	return DOC_END;
}

static const uint8_t *block_ptr(const pcursor *c, uint32_t b)
{
	if (b == 0)
		return c->blocks;
	return c->blocks + get_u32le(c->skip + 12 * (b - 1) + 4);
}

/* Decodes block b's documents and positions it at its first doc. */
/* Gaps -> docnos in place: docno = previous + 1 + gap, the first from
 * BASE.  Returns -1 when the last docno (so any: they only grow) would
 * reach DOC_END, which a 64-bit sum of the gaps tells.  With SSE2 four
 * at a time: these loops, one value at a time, were a sixth of a block
 * load (callgrind). */
static int block_docnos(uint32_t *v, uint32_t n, uint64_t base)
{
	uint64_t last = base + n - 1; /* + the gaps */
	uint32_t d = (uint32_t)base - 1;
	uint32_t i = 0;
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128(), one = _mm_set1_epi32(1);
	__m128i run = _mm_set1_epi32((int)d), sum = zero;
	for (; i + 4 <= n; i += 4) {
		__m128i x = _mm_loadu_si128((const __m128i *)(v + i));
		sum = _mm_add_epi64(sum, _mm_unpacklo_epi32(x, zero));
		sum = _mm_add_epi64(sum, _mm_unpackhi_epi32(x, zero));
		x = _mm_add_epi32(x, one);
		x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
		x = _mm_add_epi32(x, _mm_slli_si128(x, 8));
		x = _mm_add_epi32(x, run);
		_mm_storeu_si128((__m128i *)(v + i), x);
		run = _mm_shuffle_epi32(x, 0xff);
	}
	uint64_t s2[2];
	_mm_storeu_si128((__m128i *)s2, sum);
	last += s2[0] + s2[1];
	d = (uint32_t)_mm_cvtsi128_si32(run);
#endif
	for (; i < n; i++) {
		last += v[i];
		d += 1 + v[i];
		v[i] = d;
	}
	return last >= DOC_END ? -1 : 0;
}

/* The third run holds tf - 1: the body tf is what the title leaves (a tf
 * of 2^32 is damage, as is a title tf above the tf).  TFB holds tf - 1
 * on entry, the body tf on return; -1 for damage. */
static int block_tfs(const uint32_t *tft, uint32_t *tfb, uint32_t n)
{
	uint32_t bad = 0;
	uint32_t i = 0;
#ifdef __SSE2__
	const __m128i ones = _mm_set1_epi32(-1);
	const __m128i sign = _mm_set1_epi32((int)0x80000000u);
	__m128i acc = _mm_setzero_si128();
	for (; i + 4 <= n; i += 4) {
		__m128i m1 = _mm_loadu_si128((const __m128i *)(tfb + i));
		__m128i t = _mm_loadu_si128((const __m128i *)(tft + i));
		__m128i tf = _mm_sub_epi32(m1, ones); /* tf - 1 + 1 */
		/* unsigned t > tf as signed, both with the top bit flipped */
		acc = _mm_or_si128(acc, _mm_cmpeq_epi32(m1, ones));
		acc = _mm_or_si128(acc, _mm_cmpgt_epi32(_mm_xor_si128(t, sign),
							_mm_xor_si128(tf, sign)));
		_mm_storeu_si128((__m128i *)(tfb + i), _mm_sub_epi32(tf, t));
	}
	bad = (uint32_t)_mm_movemask_epi8(acc);
#endif
	for (; i < n; i++) {
		uint32_t tfm1 = tfb[i];
		bad |= (tfm1 == UINT32_MAX) | (tft[i] > tfm1 + 1);
		tfb[i] = tfm1 + 1 - tft[i];
	}
	return bad ? -1 : 0;
}

static int load_block(pcursor *c, uint32_t b)
{
	c->blk = b;
	c->pos_loaded = 0;
	uint32_t left = c->df - b * PC_BLOCK;
	c->n = left < PC_BLOCK ? left : PC_BLOCK;
	const uint8_t *start = block_ptr(c, b);
	const uint8_t *stop = c->skip ? c->blocks + get_u32le(c->skip + 12 * b + 4)
				      : c->end;
	if (start < c->blocks || stop > c->end || start > stop)
		return fail(c, TRAWL_ECORRUPT, "bad skip entry"), -1;
	rd r = { start, stop };
	if (pc_decode(&r, c->docs, c->n) || pc_decode(&r, c->tft, c->n) ||
	    pc_decode(&r, c->tfb, c->n))
		return fail(c, TRAWL_ECORRUPT, "bad document block"), -1;
	uint64_t base = b == 0 ? 0 : (uint64_t)get_u32le(c->skip + 12 * (b - 1)) + 1;
	if (block_docnos(c->docs, c->n, base) < 0)
		return fail(c, TRAWL_ECORRUPT, "docno out of range"), -1;
	if (block_tfs(c->tft, c->tfb, c->n) < 0)
		return fail(c, TRAWL_ECORRUPT, "bad term frequency"), -1;
	if (c->skip && c->docs[c->n - 1] != get_u32le(c->skip + 12 * b))
		return fail(c, TRAWL_ECORRUPT, "skip entry disagrees with block"), -1;
	c->i = 0;
	c->docno = c->docs[0];
	return 0;
}

int pcur_open(pcursor *c, cfile *postf, cfile *posf, const dterm *t,
	      trawl_error *err)
{
	memset(c, 0, sizeof *c);
	c->err = err;
	c->posf = posf;
	c->df = t->df;
	c->pos_off = t->pos_off;
	c->pos_len = t->pos_len;
	if (t->df == 0) {
		c->docno = DOC_END;
		return tr_err(err, TRAWL_ECORRUPT, "%s: term with no documents",
			      postf->name);
	}
	const uint8_t *p;
	int rc = cf_range(postf, t->post_off, t->post_len, &p, err);
	if (rc) {
		c->rc = rc;
		c->docno = DOC_END;
		return rc;
	}
	c->end = p + t->post_len;
	/* 64-bit: a df near 2^32 must not wrap the block count to 0 */
	c->nblocks = (uint32_t)(((uint64_t)t->df + PC_BLOCK - 1) / PC_BLOCK);
	if (c->nblocks > 1) {
		if ((uint64_t)c->nblocks * 12 > t->post_len) {
			c->docno = DOC_END;
			return tr_err(err, TRAWL_ECORRUPT,
				      "%s: skip table past the record (offset %llu)",
				      postf->name,
				      (unsigned long long)t->post_off);
		}
		c->skip = p;
		c->blocks = p + 12 * c->nblocks;
	} else {
		c->blocks = p;
	}
	if (load_block(c, 0) < 0)
		return c->rc;
	return TRAWL_OK;
}

void pcur_close(pcursor *c)
{
	free(c->pos);
	free(c->grp);
	free(c->grp_done);
	c->pos = NULL;
	c->grp = NULL;
	c->grp_done = NULL;
}

uint32_t pcur_seek_slow(pcursor *c, uint32_t target)
{
	if (c->docno == DOC_END || c->rc)
		return DOC_END;
	if (target <= c->docno)
		return c->docno;
	/* Inside the current block? */
	if (target > c->docs[c->n - 1]) {
		uint32_t b = c->blk + 1;
		if (b >= c->nblocks) {
			c->docno = DOC_END;
			return DOC_END;
		}
		/* binary search the skip table for the first block whose
		 * last docno >= target */
		uint32_t lo = b, hi = c->nblocks;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (get_u32le(c->skip + 12 * mid) < target)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= c->nblocks) {
			c->docno = DOC_END;
			return DOC_END;
		}
		if (load_block(c, lo) < 0)
			return DOC_END;
	}
	return pcur_seek_in_block(c, target);
}

/* Prepares the current block's positions: offsets per document, the
 * byte range (checksum verified), room for the values. */
static int load_positions(pcursor *c)
{
	/* the sums only grow: the last one bounds them all (a wrapped
	 * pos_at is never used, the block being refused) */
	uint64_t total = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		c->pos_at[i] = (uint32_t)total;
		total += (uint64_t)c->tft[i] + c->tfb[i];
	}
	if (total > UINT32_MAX / 2)
		return fail(c, TRAWL_ECORRUPT, "too many positions"), -1;
	c->pos_at[c->n] = (uint32_t)total;
	uint64_t start = c->skip ? get_u32le(c->skip + 12 * c->blk + 8) : 0;
	uint64_t stop = c->blk + 1 < c->nblocks
				? get_u32le(c->skip + 12 * (c->blk + 1) + 8)
				: c->pos_len;
	if (start > stop || stop > c->pos_len)
		return fail(c, TRAWL_ECORRUPT, "bad positions offset"), -1;
	/* a group of at most 128 values takes a byte at least (128 zero
	 * gaps, a word repeated 129 times running, take exactly one): a
	 * larger count is damage, caught before it sizes an allocation */
	if (total > (stop - start) * PC_BLOCK)
		return fail(c, TRAWL_ECORRUPT, "positions count too large"), -1;
	const uint8_t *p;
	int rc = cf_range(c->posf, c->pos_off + start, stop - start, &p, c->err);
	if (rc) {
		c->rc = rc;
		c->docno = DOC_END;
		return -1;
	}
	if (total + PC_BLOCK > c->pos_cap) {
		size_t cap = c->pos_cap ? c->pos_cap : 1024;
		while (cap < total + PC_BLOCK)
			cap *= 2;
		uint32_t *v = realloc(c->pos, cap * sizeof *v);
		if (!v)
			return fail(c, TRAWL_ENOMEM, "out of memory"), -1;
		c->pos = v;
		c->pos_cap = cap;
	}
	size_t ngroups = (size_t)(total + PC_BLOCK - 1) / PC_BLOCK + 1;
	if (ngroups > c->grp_cap) {
		size_t cap = c->grp_cap ? c->grp_cap : 16;
		while (cap < ngroups)
			cap *= 2;
		const uint8_t **g = realloc(c->grp, cap * sizeof *g);
		if (!g)
			return fail(c, TRAWL_ENOMEM, "out of memory"), -1;
		c->grp = g;
		uint8_t *d = realloc(c->grp_done, cap);
		if (!d)
			return fail(c, TRAWL_ENOMEM, "out of memory"), -1;
		c->grp_done = d;
		c->grp_cap = cap;
	}
	memset(c->grp_done, 0, ngroups);
	memset(c->doc_done, 0, sizeof c->doc_done);
	c->grp[0] = p;
	c->grp_known = 1;
	c->pos_end = p + (stop - start);
	c->pos_loaded = 1;
	return 0;
}

/* Decodes group g (and finds where it starts, skipping earlier groups
 * without decoding them). */
static int decode_group(pcursor *c, uint32_t g)
{
	uint32_t total = c->pos_at[c->n];
	while (c->grp_known <= g) {
		uint32_t k = c->grp_known - 1;
		uint32_t m = total - k * PC_BLOCK;
		rd r = { c->grp[k], c->pos_end };
		if (pc_skip(&r, m < PC_BLOCK ? m : PC_BLOCK))
			return fail(c, TRAWL_ECORRUPT, "bad positions block"), -1;
		c->grp[c->grp_known++] = r.p;
	}
	if (c->grp_done[g])
		return 0;
	uint32_t m = total - g * PC_BLOCK;
	rd r = { c->grp[g], c->pos_end };
	if (pc_decode(&r, c->pos + (size_t)g * PC_BLOCK, m < PC_BLOCK ? m : PC_BLOCK))
		return fail(c, TRAWL_ECORRUPT, "bad positions block"), -1;
	c->grp_done[g] = 1;
	return 0;
}

/* Turns up to four body gaps at V into positions without a loop whose
 * exit, the document's tf, mispredicts once a document (half of
 * pcur_positions' time in a 2-word phrase query): all four lanes are
 * computed, the ones past N written back as they were (the next
 * document's gaps; the buffer has room past the last).  Gaps below 2^28
 * keep four positions below POS_BODY, so no range check is needed; 0
 * when it does not apply. */
static int body_few(uint32_t *v, uint32_t n)
{
#ifdef __SSE2__
	if (n > 4)
		return 0;
	const __m128i zero = _mm_setzero_si128();
	__m128i g = _mm_loadu_si128((const __m128i *)v);
	__m128i keep = _mm_cmplt_epi32(_mm_setr_epi32(0, 1, 2, 3),
				       _mm_set1_epi32((int)n));
	__m128i big = _mm_and_si128(_mm_and_si128(g, _mm_set1_epi32(~0x0fffffff)),
				    keep);
	if (_mm_movemask_epi8(_mm_cmpeq_epi32(big, zero)) != 0xffff)
		return 0;
	/* p_k = (g_0 + 1) + ... + (g_k + 1) - 1 */
	__m128i x = _mm_add_epi32(g, _mm_set1_epi32(1));
	x = _mm_add_epi32(x, _mm_slli_si128(x, 4));
	x = _mm_add_epi32(x, _mm_slli_si128(x, 8));
	x = _mm_add_epi32(x, _mm_set1_epi32((int)(POS_BODY - 1)));
	x = _mm_or_si128(_mm_and_si128(keep, x), _mm_andnot_si128(keep, g));
	_mm_storeu_si128((__m128i *)v, x);
	return 1;
#else
	(void)v;
	(void)n;
	return 0;
#endif
}

int pcur_positions(pcursor *c, const uint32_t **pos, uint32_t *n)
{
	if (c->docno == DOC_END)
		return c->rc ? c->rc : TRAWL_EINVAL;
	if (!c->pos_loaded && load_positions(c) < 0)
		return c->rc;
	uint32_t i = c->i, a = c->pos_at[i], b = c->pos_at[i + 1];
	if (!c->doc_done[i]) {
		if (b > a)
			for (uint32_t g = a / PC_BLOCK; g <= (b - 1) / PC_BLOCK; g++)
				if (decode_group(c, g) < 0)
					return c->rc;
		/* gaps -> positions, body ones tagged; the sums only grow, so
		 * checking each run's last value bounds them all */
		uint32_t *v = c->pos + a;
		uint64_t prev = (uint64_t)-1;
		uint32_t nt = c->tft[i], nb = c->tfb[i];
		for (uint32_t k = 0; k < nt; k++) {
			prev += 1 + (uint64_t)v[k];
			v[k] = (uint32_t)prev;
		}
		if (nt && prev >= POS_BODY)
			return fail(c, TRAWL_ECORRUPT, "position out of range"), c->rc;
		if (!body_few(v + nt, nb)) {
			prev = (uint64_t)-1;
			for (uint32_t k = nt; k < nt + nb; k++) {
				prev += 1 + (uint64_t)v[k];
				v[k] = (uint32_t)prev | POS_BODY;
			}
			if (nb && prev >= POS_BODY)
				return fail(c, TRAWL_ECORRUPT, "position out of range"),
				       c->rc;
		}
		c->doc_done[i] = 1;
	}
	*pos = c->pos + a;
	*n = b - a;
	return TRAWL_OK;
}
