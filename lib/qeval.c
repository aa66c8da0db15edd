/*
 * qeval.c -- document-at-a-time evaluation of a query tree (see qeval.h).
 *
 * Iterators: TERM (one postings cursor, optionally limited to a field),
 * NONE (matches nothing), PREFIX (a union of the expanded terms; past
 * PREFIX_OR_MAX terms the union is materialised term by term instead of
 * opening a cursor per term), PHRASE, AND (with NOT members), OR, NEAR
 * (NEAR/k and ADJ/k).  An occurrence is a span [s, e] of positions with
 * the field in bit 31 (postings.h), so a range check never crosses fields.
 * An AND, PHRASE or NEAR of words alone finds its common documents a
 * range of blocks at a time (next_common), the rest word by word
 * (leapfrog).
 *
 * Scoring is BM25F over title and body (parameters in qeval.h):
 *   tf~ = W_TITLE * tf_t / (1 - B_TITLE + B_TITLE * len_t / avg_t)
 *       + W_BODY  * tf_b / (1 - B_BODY  + B_BODY  * len_b / avg_b)
 *   score = idf * tf~ * (K1 + 1) / (K1 + tf~)
 *   idf = ln(1 + (N - df + 0.5) / (df + 0.5))
 * A phrase scores as one term: tf = its occurrences, idf = the sum of its
 * words' idfs.  A prefix scores as one term: tf = the occurrences of all
 * its expansions, df = the sum of theirs (capped at N).  AND and OR add
 * their matching operands' scores; NEAR/ADJ multiply the sum of their two
 * operands' scores by NEAR_BOOST.  NOT members add nothing.
 */
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "postings.h"
#include "qeval.h"

#define PREFIX_OR_MAX 64
#define PREFIX_MAX_PAIRS ((size_t)1 << 27)

enum { IT_NONE, IT_TERM, IT_PREFIX, IT_PHRASE, IT_AND, IT_OR, IT_NEAR };

typedef struct span {
	uint32_t s, e;
} span;

typedef struct spanv {
	span *v;
	size_t n, cap;
} spanv;

typedef struct it it;
struct it {
	int kind;
	int started;
	uint32_t doc;
	uint64_t cost;
	int fields;
	int need_spans;
	qeval *q;
	char label[72];    /* TERM: the term, for explanations */
	/* TERM */
	pcursor cur;
	int cur_open;
	double idf;
	/* PHRASE, AND (positive), OR, NEAR (2) */
	it **kids;
	size_t nkids;
	it **neg;
	size_t nneg;
	it **order;        /* PHRASE, NEAR: kids rarest first, for document checks */
	/* AND, PHRASE, NEAR over words alone (see next_common; bm_idx
	 * NULL for the others): the documents all operands share in the
	 * range their decoded blocks cover, with each operand's index in
	 * its block; those below bm_next are known */
	uint32_t bm_doc[PC_BLOCK];
	uint8_t *bm_idx;   /* nkids x PC_BLOCK */
	uint32_t bm_n, bm_at, bm_next;
	uint32_t *ph_cand;       /* PHRASE: starts still possible */
	uint32_t ph_cap;
	size_t *ph_ord;          /* kid index of each order[] entry */
	uint32_t *ph_off;        /* each kid's word offset in the phrase: a
				    word pair (segment.h) stands for two */
	uint32_t ph_len;         /* words in the phrase */
	/* occurrences in title and body of the document ph_doc, counted
	 * while matching it so scoring need not scan again */
	uint32_t ph_doc, ph_title, ph_body;
	int ph_valid;
	uint32_t k;
	int ordered;
	int or_prefix;     /* an OR over a prefix's expansions */
	int near_words;    /* NEAR: two words over both fields, no spans
			      wanted (near_positions() applies) */
	/* PREFIX, materialised: docs[i] with positions pos[at[i]..at[i+1]) or,
	 * without positions, tf counts */
	uint32_t *mdocs, *mat, *mpos, *mtft, *mtfb;
	size_t mn, mi;
	/* spans of the current document */
	spanv sp;
	uint32_t sp_doc;
	int sp_valid;
};

typedef struct qe_df {
	const char *text; /* borrowed from the query tree */
	int prefix;
	uint64_t df;
} qe_df;

struct qe_stats {
	qe_df *v;
	size_t n, cap;
};

struct qeval {
	const qe_stats *stats;
	trawl_index *ix;
	segment *seg;     /* the segment evaluated; docnos are its own */
	it *root;
	int rc;
	trawl_error *err;
	it **all;       /* every iterator, for freeing and errors */
	size_t nall, all_cap;
	/* BM25's b over the average length of each field, or 0 */
	double title_scale, body_scale;
};

/* ---- helpers ---- */

static int sv_push(spanv *v, uint32_t s, uint32_t e)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		span *p = realloc(v->v, cap * sizeof *p);
		if (!p)
			return -1;
		v->v = p;
		v->cap = cap;
	}
	v->v[v->n].s = s;
	v->v[v->n].e = e;
	v->n++;
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const span *x = a, *y = b;
	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

static void sv_sort_unique(spanv *v)
{
	if (v->n < 2)
		return;
	qsort(v->v, v->n, sizeof *v->v, cmp_span);
	size_t o = 1;
	for (size_t i = 1; i < v->n; i++)
		if (v->v[i].s != v->v[o - 1].s || v->v[i].e != v->v[o - 1].e)
			v->v[o++] = v->v[i];
	v->n = o;
}

static void set_err(qeval *q, int rc, const char *what)
{
	if (!q->rc) {
		q->rc = rc;
		tr_err(q->err, rc, "%s", what);
	}
}

static it *new_it(qeval *q, int kind)
{
	if (q->nall == q->all_cap) {
		size_t cap = q->all_cap ? q->all_cap * 2 : 16;
		it **a = realloc(q->all, cap * sizeof *a);
		if (!a)
			return NULL;
		q->all = a;
		q->all_cap = cap;
	}
	it *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->kind = kind;
	t->q = q;
	t->fields = TR_FIELD_ANY;
	q->all[q->nall++] = t;
	return t;
}

static int stats_add(trawl_index *ix, qe_stats *s, const char *text,
		     int prefix, trawl_error *err)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].prefix == prefix && !strcmp(s->v[i].text, text))
			return TRAWL_OK;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		qe_df *p = realloc(s->v, cap * sizeof *p);
		if (!p)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		s->v = p;
		s->cap = cap;
	}
	qe_df *d = &s->v[s->n];
	d->text = text;
	d->prefix = prefix;
	int rc = prefix ? ix_prefix_df(ix, text, &d->df, err)
			: ix_df(ix, text, &d->df, err);
	if (rc)
		return rc;
	s->n++;
	return TRAWL_OK;
}

static int stats_walk(trawl_index *ix, qe_stats *s, const qnode *n,
		      trawl_error *err)
{
	int rc = TRAWL_OK;
	switch (n->kind) {
	case QN_TERM:
	case QN_PHRASE:
		for (size_t i = 0; i < n->nterms && !rc; i++)
			if (n->terms[i])
				rc = stats_add(ix, s, n->terms[i], 0, err);
		return rc;
	case QN_PREFIX:
		return stats_add(ix, s, n->terms[0], 1, err);
	default:
		for (size_t i = 0; i < n->nkids && !rc; i++)
			rc = stats_walk(ix, s, n->kids[i], err);
		return rc;
	}
}

int qe_stats_new(trawl_index *ix, const qnode *root, qe_stats **out,
		 trawl_error *err)
{
	*out = NULL;
	qe_stats *s = calloc(1, sizeof *s);
	if (!s)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	int rc = stats_walk(ix, s, root, err);
	if (rc) {
		qe_stats_free(s);
		return rc;
	}
	*out = s;
	return TRAWL_OK;
}

void qe_stats_free(qe_stats *s)
{
	if (s) {
		free(s->v);
		free(s);
	}
}

/* The index-wide df of TEXT, or FALLBACK (this segment's) when unknown. */
static uint64_t global_df(const qeval *q, const char *text, int prefix,
			  uint64_t fallback)
{
	if (!q->stats)
		return fallback;
	for (size_t i = 0; i < q->stats->n; i++)
		if (q->stats->v[i].prefix == prefix &&
		    !strcmp(q->stats->v[i].text, text))
			return q->stats->v[i].df;
	return fallback;
}

static double idf_of(const trawl_index *ix, uint64_t df)
{
	double n = ix->live, d = (double)(df > ix->live ? ix->live : df);
	return log(1.0 + (n - d + 0.5) / (d + 0.5));
}

static int field_ok(int fields, uint32_t tft, uint32_t tfb)
{
	return ((fields & TR_FIELD_TITLE) && tft) ||
	       ((fields & TR_FIELD_BODY) && tfb);
}

/* ---- seek ---- */

static uint32_t seek(it *t, uint32_t target);

static uint32_t seek_term(it *t, uint32_t target)
{
	uint32_t d = pcur_seek(&t->cur, target);
	while (d != DOC_END && !field_ok(t->fields, pcur_tf_title(&t->cur),
					 pcur_tf_body(&t->cur)))
		d = pcur_next(&t->cur);
	if (t->cur.rc)
		t->q->rc = t->q->rc ? t->q->rc : t->cur.rc;
	return d;
}

static uint32_t seek_prefix(it *t, uint32_t target)
{
	while (t->mi < t->mn && t->mdocs[t->mi] < target)
		t->mi++;
	return t->mi < t->mn ? t->mdocs[t->mi] : DOC_END;
}

static const spanv *spans(it *t);

/* Keeps the starts in C[0..N) at which word K of the phrase stands, K
 * being at START + K in V[0..M); returns how many are kept.  A merge of
 * two sorted lists without a branch on their values: positions of a
 * document are few, and a comparison's outcome mispredicted about every
 * other step (phrase_scan was a fifth of a 2-word phrase query's time);
 * but a list much longer than the starts is stepped over. */
static size_t phrase_keep(uint32_t *c, size_t n, const uint32_t *v,
			  size_t m, uint32_t k)
{
	size_t i = 0, a = 0, o = 0;
	if (m > 4 * n) {
		/* few starts, a long list ("the"): stepping over it in a
		 * tight loop that predicts well costs less than merging */
		for (; i < n; i++) {
			uint32_t want = c[i] + k;
			while (a < m && v[a] < want)
				a++;
			if (a == m)
				break;
			c[o] = c[i];
			o += v[a] == want;
		}
		return o;
	}
	while (i < n && a < m) {
		uint32_t x = c[i], want = x + k, y = v[a];
		c[o] = x;
		o += want == y;
		i += want <= y;
		a += y <= want;
	}
	return o;
}

#ifdef __SSE2__
/* The lanes of X + 1 found among the four lanes of Y and of YB. */
static inline __m128i among(__m128i x1, __m128i y, __m128i yb)
{
	__m128i m = _mm_or_si128(_mm_cmpeq_epi32(x1, y), _mm_cmpeq_epi32(x1, yb));
	for (int r = 0; r < 3; r++) {
		y = _mm_shuffle_epi32(y, _MM_SHUFFLE(0, 3, 2, 1));
		yb = _mm_shuffle_epi32(yb, _MM_SHUFFLE(0, 3, 2, 1));
		m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi32(x1, y),
						 _mm_cmpeq_epi32(x1, yb)));
	}
	return m;
}

/* A two-word phrase's occurrences when each word is there at most eight
 * times: the x of the first word's positions X (NX of them) with x + 1
 * among the second's (Y, NY), counted by field, every pair compared at
 * once (four lanes against eight, twice).  Both arrays may be read eight
 * values on (pcur_positions()).  Positions are distinct, and x + 1 == y
 * keeps a field's bit: one field.  (With spans wanted, as under a NEAR,
 * it was no faster.) */
static void phrase_pairs8(const uint32_t *x, uint32_t nx, const uint32_t *y,
			  uint32_t ny, uint32_t *ntitle, uint32_t *nbody)
{
	/* ones in 4 bits (__builtin_popcount is a libgcc call without
	 * -mpopcnt: 3 % of a 2-word phrase query) */
	static const uint8_t ones[16] = { 0, 1, 1, 2, 1, 2, 2, 3,
					  1, 2, 2, 3, 2, 3, 3, 4 };
	const __m128i lane = _mm_set_epi32(3, 2, 1, 0), four = _mm_set1_epi32(4);
	const __m128i one = _mm_set1_epi32(1);
	__m128i nyv = _mm_set1_epi32((int)ny), nxv = _mm_set1_epi32((int)nx);
	/* the second word's missing lanes 0, which no x + 1 is */
	__m128i y0 = _mm_and_si128(_mm_loadu_si128((const __m128i *)y),
				   _mm_cmplt_epi32(lane, nyv));
	__m128i y1 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(y + 4)),
				   _mm_cmplt_epi32(_mm_add_epi32(lane, four), nyv));
	for (uint32_t h = 0; h < nx; h += 4) {
		__m128i x1 = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(x + h)),
					   one);
		__m128i m = among(x1, y0, y1);
		m = _mm_and_si128(m, _mm_cmplt_epi32(
				      _mm_add_epi32(lane, _mm_set1_epi32((int)h)), nxv));
		unsigned hit = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(m));
		unsigned body = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(x1));
		*nbody += ones[hit & body];
		*ntitle += ones[hit & ~body & 15];
	}
}
#endif

/* Finds the phrase occurrences of the current document: the starts the
 * rarest word's positions allow (inside their field, in a field the
 * phrase searches), kept by each other word in turn, rarest first.  A
 * word's positions are decoded only while starts remain, so "one of the"
 * rarely decodes "the".  Counts occurrences per field and, with OUT, adds
 * their spans.  Returns the number found, or -1 on error. */
static long phrase_scan(it *t, uint32_t *ntitle, uint32_t *nbody, spanv *out)
{
	const size_t *ord = t->ph_ord; /* kid index of order[m] */
	size_t j = ord[0];
	const uint32_t *pos;
	uint32_t npos;
	int rc;
#ifdef __SSE2__
	/* words alone are over both fields, as the phrase then is */
	if (t->nkids == 2 && !out && t->bm_idx && t->ph_off[1] == 1) {
		pcursor *c0 = &t->kids[0]->cur, *c1 = &t->kids[1]->cur;
		if (pcur_tf_title(c0) + pcur_tf_body(c0) <= 8 &&
		    pcur_tf_title(c1) + pcur_tf_body(c1) <= 8) {
			const uint32_t *x, *y;
			uint32_t nx, ny, a = *ntitle, b = *nbody;
			if ((rc = pcur_positions(c0, &x, &nx)) != 0 ||
			    (rc = pcur_positions(c1, &y, &ny)) != 0)
				goto fail;
			phrase_pairs8(x, nx, y, ny, ntitle, nbody);
			return (long)(*ntitle - a + *nbody - b);
		}
	}
#endif
	rc = pcur_positions(&t->kids[j]->cur, &pos, &npos);
	if (rc)
		goto fail;
	if (npos > t->ph_cap) {
		uint32_t *c = realloc(t->ph_cand, (size_t)npos * sizeof *c);
		if (!c) {
			set_err(t->q, TRAWL_ENOMEM, "out of memory matching a phrase");
			return -1;
		}
		t->ph_cand = c;
		t->ph_cap = npos;
	}
	uint32_t *c = t->ph_cand;
	int title_ok = !!(t->fields & TR_FIELD_TITLE);
	int body_ok = !!(t->fields & TR_FIELD_BODY);
	size_t n = 0;
	uint32_t off = t->ph_off[j];
	for (uint32_t i = 0; i < npos; i++) {
		uint32_t p = pos[i];
		c[n] = p - off;
		/* not before its field's start, in a field searched */
		n += ((p & ~POS_BODY) >= off) &
		     (POS_FIELD(p) ? body_ok : title_ok);
	}
	for (size_t m = 1; m < t->nkids && n; m++) {
		size_t k = ord[m];
		rc = pcur_positions(&t->kids[k]->cur, &pos, &npos);
		if (rc)
			goto fail;
		n = phrase_keep(c, n, pos, npos, t->ph_off[k]);
	}
	for (size_t i = 0; i < n; i++) {
		if (POS_FIELD(c[i]))
			(*nbody)++;
		else
			(*ntitle)++;
		if (out && sv_push(out, c[i], c[i] + t->ph_len - 1)) {
			set_err(t->q, TRAWL_ENOMEM, "out of memory collecting positions");
			return -1;
		}
	}
	return (long)n;
fail:
	if (!t->q->rc)
		t->q->rc = rc;
	return -1;
}

/* seek() for any iterator, with the common case inline: a term over both
 * fields goes straight to its cursor (no field check: every posting has a
 * tf of at least 1), whose seek inside the decoded block is inline too.
 * A conjunction visits most documents of its operands this way. */
static inline uint32_t seek_fast(it *t, uint32_t target)
{
	if (t->started && t->doc >= target)
		return t->doc;
	if (t->kind == IT_TERM && t->fields == TR_FIELD_ANY && t->started &&
	    !t->q->rc) {
		uint32_t d = pcur_seek(&t->cur, target);
		if (t->cur.rc && !t->q->rc)
			t->q->rc = t->cur.rc;
		t->sp_valid = 0; /* d > the old doc: target is */
		t->doc = d;
		return d;
	}
	return seek(t, target);
}

/* The first document >= d on which every one of the N iterators stands
 * (each moved there through its skip data), or DOC_END. */
static uint32_t leapfrog(it **kids, size_t n, uint32_t d)
{
	for (size_t i = 0; i < n;) {
		uint32_t kd = seek_fast(kids[i], d);
		if (kd == DOC_END)
			return DOC_END;
		if (kd > d) {
			d = kd;
			i = 0; /* a later document: every operand again */
		} else {
			i++;
		}
	}
	return d;
}

/* Stands each of the N word operands on the buffered match J. */
static uint32_t take_match(it *t, it **kids, size_t n, uint32_t j)
{
	uint32_t m = t->bm_doc[j];
	for (size_t k = 0; k < n; k++) {
		it *w = kids[k];
		pcur_stand(&w->cur, t->bm_idx[k * PC_BLOCK + j]);
		w->doc = m;
		w->sp_valid = 0;
	}
	return m;
}

/* leapfrog() for an AND, a phrase or a NEAR whose operands are all
 * words over both fields, a range of documents at a time: once
 * leapfrog() has stood them all on a document, every later document of
 * the leading (rarest) word up to the end of the blocks all the cursors
 * have decoded is checked against each other word's block in one merge
 * without a branch on the values, and the matches are handed out from a
 * buffer.  Seeking word by word, the comparisons' outcomes were
 * mispredicted about four times a match (cachegrind, an AND of two common
 * words).  Any other AND, phrase or NEAR: leapfrog() itself. */
static uint32_t next_common(it *t, it **kids, size_t n, uint32_t d)
{
	if (!t->bm_idx)
		return leapfrog(kids, n, d); /* not words alone */
	while (t->bm_at < t->bm_n) {
		uint32_t j = t->bm_at++;
		if (t->bm_doc[j] >= d)
			return take_match(t, kids, n, j);
	}
	if (d < t->bm_next)
		d = t->bm_next; /* the documents before were checked */
	uint32_t x = leapfrog(kids, n, d);
	if (x == DOC_END)
		return DOC_END;
	/* the range every cursor's block covers */
	uint32_t limit = UINT32_MAX;
	for (size_t k = 0; k < n; k++) {
		const pcursor *c = &kids[k]->cur;
		if (c->docs[c->n - 1] < limit)
			limit = c->docs[c->n - 1];
	}
	/* candidates: the leading word's documents from x to the limit */
	const pcursor *c0 = &kids[0]->cur;
	uint32_t *cand = t->bm_doc;
	uint8_t *idx = t->bm_idx;
	size_t nc = 0;
	for (uint32_t i = c0->i; i < c0->n && c0->docs[i] <= limit; i++) {
		cand[nc] = c0->docs[i];
		idx[nc++] = (uint8_t)i;
	}
	/* x, the first, stays: every cursor stands on it */
	for (size_t k = 1; k < n; k++) {
		const pcursor *c = &kids[k]->cur;
		const uint32_t *docs = c->docs;
		uint8_t *ik = idx + k * PC_BLOCK;
		size_t a = 0, b = c->i, o = 0, nb = c->n;
		while (a < nc && b < nb) {
			uint32_t u = cand[a], v = docs[b];
			cand[o] = u;
			for (size_t q = 0; q < k; q++)
				idx[q * PC_BLOCK + o] = idx[q * PC_BLOCK + a];
			ik[o] = (uint8_t)b;
			o += u == v;
			a += u <= v;
			b += v <= u;
		}
		nc = o;
	}
	t->bm_n = (uint32_t)nc;
	t->bm_at = 1;
	t->bm_next = limit == DOC_END - 1 ? DOC_END - 1 : limit + 1;
	return take_match(t, kids, n, 0);
}

static uint32_t seek_phrase(it *t, uint32_t target)
{
	for (uint32_t d = target;; d++) {
		d = next_common(t, t->order, t->nkids, d);
		if (d == DOC_END)
			return DOC_END;
		seg_docrec_prefetch(t->q->seg, d);
		t->doc = d;
		t->sp_valid = 0;
		uint32_t a = 0, b = 0;
		/* every occurrence: a match is scored, and the count is kept;
		 * so are the spans when a NEAR above will ask for them (a
		 * second scan cost phrase NEAR word queries a tenth) */
		spanv *out = t->need_spans ? &t->sp : NULL;
		if (out)
			out->n = 0;
		long r = phrase_scan(t, &a, &b, out);
		if (r < 0)
			return DOC_END;
		if (r > 0) {
			t->ph_doc = d;
			t->ph_title = a;
			t->ph_body = b;
			t->ph_valid = 1;
			if (out) {
				t->sp_doc = d;
				t->sp_valid = 1;
			}
			return d;
		}
		if (d == DOC_END - 1)
			return DOC_END;
	}
}

static uint32_t seek_and(it *t, uint32_t target)
{
	for (uint32_t d = target;; d++) {
		d = next_common(t, t->kids, t->nkids, d);
		if (d == DOC_END)
			return DOC_END;
		int excluded = 0;
		for (size_t i = 0; i < t->nneg && !excluded; i++)
			excluded = seek(t->neg[i], d) == d;
		if (t->q->rc)
			return DOC_END;
		if (!excluded || d == DOC_END - 1)
			return excluded ? DOC_END : d;
	}
}

static uint32_t seek_or(it *t, uint32_t target)
{
	uint32_t m = DOC_END;
	for (size_t i = 0; i < t->nkids; i++) {
		uint32_t kd = seek(t->kids[i], target);
		if (kd < m)
			m = kd;
	}
	return m;
}

static uint32_t field_max(uint32_t p)
{
	return POS_FIELD(p) ? UINT32_MAX : POS_BODY - 1;
}

/* First index in V with start >= s. */
static size_t lower_bound(const spanv *v, uint64_t s)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->v[mid].s < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Occurrences of B that begin at most k positions after A ends, in A's
 * field; with OUT, every combined span is added, else returns at the
 * first.  Returns 1 if any, 0 if none, -1 on ENOMEM. */
static int follow(const spanv *a, const spanv *b, uint32_t k, spanv *out)
{
	int any = 0;
	for (size_t i = 0; i < a->n; i++) {
		uint64_t lo = (uint64_t)a->v[i].e + 1;
		uint64_t hi = lo + k;
		if (hi > field_max(a->v[i].e))
			hi = field_max(a->v[i].e);
		if (lo > hi)
			continue;
		for (size_t j = lower_bound(b, lo); j < b->n && b->v[j].s <= hi;
		     j++) {
			if (!out)
				return 1;
			any = 1;
			/* b starts after a ends: the pair spans a.s .. b.e */
			if (sv_push(out, a->v[i].s, b->v[j].e > a->v[i].e ? b->v[j].e
									 : a->v[i].e))
				return -1;
		}
	}
	return any;
}

/* Whether B holds a position 1..K+1 after some position of A (and, not
 * ORDERED, before it) in the same field: follow() for two words over
 * both fields, straight over their position arrays (each sorted, title
 * then body) in one merge, with no spans built. */
static int near_positions(const uint32_t *a, uint32_t na, const uint32_t *b,
			  uint32_t nb, uint32_t k, int ordered)
{
	uint64_t reach = (uint64_t)k + 1;
	uint32_t j = 0; /* the first of B after a[i] */
	for (uint32_t i = 0; i < na; i++) {
		uint32_t p = a[i];
		while (j < nb && b[j] <= p)
			j++;
		if (j < nb && b[j] - p <= reach && !POS_FIELD(b[j] ^ p))
			return 1;
		if (ordered)
			continue;
		uint32_t m = j; /* the last of B before a[i]: skip one equal */
		while (m > 0 && b[m - 1] == p)
			m--;
		if (m > 0 && p - b[m - 1] <= reach && !POS_FIELD(b[m - 1] ^ p))
			return 1;
	}
	return 0;
}

static int near_match(it *t)
{
	if (t->near_words) {
		const uint32_t *a, *b;
		uint32_t na, nb;
		int rc = pcur_positions(&t->kids[0]->cur, &a, &na);
		if (!rc)
			rc = pcur_positions(&t->kids[1]->cur, &b, &nb);
		if (rc) {
			if (!t->q->rc)
				t->q->rc = rc;
			return -1;
		}
		return near_positions(a, na, b, nb, t->k, t->ordered);
	}
	const spanv *a = spans(t->kids[0]);
	const spanv *b = a ? spans(t->kids[1]) : NULL;
	if (!a || !b)
		return -1;
	if (!t->need_spans) {
		int r = follow(a, b, t->k, NULL);
		if (r == 0 && !t->ordered)
			r = follow(b, a, t->k, NULL);
		return r;
	}
	t->sp.n = 0;
	int r1 = follow(a, b, t->k, &t->sp);
	int r2 = 0;
	if (r1 >= 0 && !t->ordered)
		r2 = follow(b, a, t->k, &t->sp);
	if (r1 < 0 || r2 < 0)
		return -1;
	sv_sort_unique(&t->sp);
	t->sp_doc = t->doc;
	t->sp_valid = 1;
	return t->sp.n > 0;
}

static uint32_t seek_near(it *t, uint32_t target)
{
	for (uint32_t d = target;; d++) {
		d = next_common(t, t->order, 2, d);
		if (d == DOC_END)
			return DOC_END;
		seg_docrec_prefetch(t->q->seg, d);
		t->doc = d;
		t->sp_valid = 0;
		int r = near_match(t);
		if (r < 0) {
			set_err(t->q, TRAWL_ENOMEM, "out of memory matching NEAR");
			return DOC_END;
		}
		if (r)
			return d;
		if (d == DOC_END - 1)
			return DOC_END;
	}
}

static uint32_t seek(it *t, uint32_t target)
{
	if (t->started && t->doc >= target)
		return t->doc;
	t->started = 1;
	if (t->q->rc) {
		t->doc = DOC_END;
		return DOC_END;
	}
	uint32_t d = DOC_END;
	switch (t->kind) {
	case IT_NONE: d = DOC_END; break;
	case IT_TERM: d = seek_term(t, target); break;
	case IT_PREFIX: d = seek_prefix(t, target); break;
	case IT_PHRASE: d = seek_phrase(t, target); break;
	case IT_AND: d = seek_and(t, target); break;
	case IT_OR: d = seek_or(t, target); break;
	case IT_NEAR: d = seek_near(t, target); break;
	}
	if (t->doc != d)
		t->sp_valid = 0;
	t->doc = d;
	return d;
}

/* ---- spans of the current document ---- */

static const spanv *spans(it *t)
{
	if (t->sp_valid && t->sp_doc == t->doc)
		return &t->sp;
	t->sp.n = 0;
	switch (t->kind) {
	case IT_TERM: {
		const uint32_t *pos;
		uint32_t n;
		int rc = pcur_positions(&t->cur, &pos, &n);
		if (rc) {
			if (!t->q->rc)
				t->q->rc = rc;
			return NULL;
		}
		for (uint32_t i = 0; i < n; i++) {
			int f = POS_FIELD(pos[i]) ? TR_FIELD_BODY : TR_FIELD_TITLE;
			if ((t->fields & f) && sv_push(&t->sp, pos[i], pos[i]))
				goto oom;
		}
		break;
	}
	case IT_PREFIX:
		if (t->mat)
			for (uint32_t i = t->mat[t->mi]; i < t->mat[t->mi + 1]; i++)
				if (sv_push(&t->sp, t->mpos[i], t->mpos[i]))
					goto oom;
		break;
	case IT_PHRASE: {
		uint32_t a = 0, b = 0;
		if (phrase_scan(t, &a, &b, &t->sp) < 0)
			return NULL;
		break;
	}
	case IT_OR:
		for (size_t i = 0; i < t->nkids; i++) {
			if (t->kids[i]->doc != t->doc)
				continue;
			const spanv *v = spans(t->kids[i]);
			if (!v)
				return NULL;
			for (size_t j = 0; j < v->n; j++)
				if (sv_push(&t->sp, v->v[j].s, v->v[j].e))
					goto oom;
		}
		sv_sort_unique(&t->sp);
		break;
	case IT_NEAR:
		if (near_match(t) < 0)
			goto oom;
		break;
	default:
		break;
	}
	t->sp_doc = t->doc;
	t->sp_valid = 1;
	return &t->sp;
oom:
	set_err(t->q, TRAWL_ENOMEM, "out of memory collecting positions");
	return NULL;
}

/* ---- building ---- */

/* Sets up next_common() for T when its operands KIDS are all words over
 * both fields.  Returns -1 when out of memory. */
static int words_only(qeval *q, it *t, it **kids)
{
	for (size_t i = 0; i < t->nkids; i++)
		if (kids[i]->kind != IT_TERM || kids[i]->fields != TR_FIELD_ANY)
			return 0;
	if (t->nkids < 2)
		return 0;
	t->bm_idx = malloc(t->nkids * PC_BLOCK);
	if (!t->bm_idx) {
		set_err(q, TRAWL_ENOMEM, "out of memory");
		return -1;
	}
	return 0;
}

static it *build(qeval *q, const qnode *n, int need_spans);

static it *none_it(qeval *q)
{
	it *t = new_it(q, IT_NONE);
	if (t) {
		t->doc = DOC_END;
		t->started = 1;
	}
	return t;
}

static int lookup(qeval *q, const char *term, dterm *out)
{
	int rc = dict_lookup(&q->seg->dict, term, strlen(term), out, q->err);
	if (rc < 0)
		q->rc = rc;
	return rc;
}

/* Whether W is one of SEG's pair words. */
static int pair_word(const segment *seg, const char *w)
{
	for (size_t i = 0; i < seg->npair_words; i++)
		if (!strcmp(seg->pair_words[i], w))
			return 1;
	return 0;
}

static it *term_it(qeval *q, const dterm *dt, int fields)
{
	it *t = new_it(q, IT_TERM);
	if (!t)
		return NULL;
	t->fields = fields;
	t->cost = dt->df;
	t->idf = idf_of(q->ix, global_df(q, dt->term, 0, dt->df));
	snprintf(t->label, sizeof t->label, "%.64s", dt->term);
	int rc = pcur_open(&t->cur, &q->seg->postings, &q->seg->positions, dt,
			   q->err);
	t->cur_open = 1;
	if (rc) {
		q->rc = rc;
		return NULL;
	}
	return t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Materialises a large prefix: every expansion's postings, one term at
 * a time, into one sorted list. */
static it *prefix_materialise(qeval *q, const char *prefix, int fields,
			      int need_spans)
{
	it *t = new_it(q, IT_PREFIX);
	if (!t)
		return NULL;
	t->fields = fields;
	uint64_t *pairs = NULL;
	size_t npairs = 0, cap = 0;
	uint32_t *tft = NULL, *tfb = NULL;
	uint64_t dfsum = 0;
	size_t plen = strlen(prefix);
	if (!need_spans) {
		tft = calloc(q->seg->ndocs + 1, sizeof *tft);
		tfb = calloc(q->seg->ndocs + 1, sizeof *tfb);
		if (!tft || !tfb)
			goto oom;
	}
	dict_iter di;
	if ((q->rc = dict_seek(&q->seg->dict, &di, prefix, plen, q->err)))
		goto fail;
	dterm dt;
	int r;
	while ((r = dict_next(&di, &dt, q->err)) == 1) {
		if (dt.len < plen || memcmp(dt.term, prefix, plen))
			break;
		dfsum += dt.df;
		pcursor c;
		if ((q->rc = pcur_open(&c, &q->seg->postings, &q->seg->positions,
				       &dt, q->err))) {
			pcur_close(&c);
			goto fail;
		}
		for (; c.docno != DOC_END; pcur_next(&c)) {
			uint32_t a = pcur_tf_title(&c), b = pcur_tf_body(&c);
			if (!field_ok(fields, a, b))
				continue;
			if (!need_spans) {
				if (c.docno >= q->seg->ndocs)
					continue;
				tft[c.docno] += (fields & TR_FIELD_TITLE) ? a : 0;
				tfb[c.docno] += (fields & TR_FIELD_BODY) ? b : 0;
				continue;
			}
			const uint32_t *pos;
			uint32_t np;
			if ((q->rc = pcur_positions(&c, &pos, &np))) {
				pcur_close(&c);
				goto fail;
			}
			for (uint32_t i = 0; i < np; i++) {
				int f = POS_FIELD(pos[i]) ? TR_FIELD_BODY : TR_FIELD_TITLE;
				if (!(fields & f))
					continue;
				if (npairs == cap) {
					if (cap >= PREFIX_MAX_PAIRS) {
						pcur_close(&c);
						free(pairs);
						set_err(q, TRAWL_ELIMIT,
							"prefix matches too many positions "
							"to use inside a phrase or NEAR");
						return NULL;
					}
					cap = cap ? cap * 2 : 4096;
					uint64_t *p = realloc(pairs, cap * sizeof *p);
					if (!p) {
						pcur_close(&c);
						goto oom;
					}
					pairs = p;
				}
				pairs[npairs++] = (uint64_t)c.docno << 32 | pos[i];
			}
		}
		int crc = c.rc;
		pcur_close(&c);
		if (crc) {
			q->rc = crc;
			goto fail;
		}
	}
	if (r < 0) {
		q->rc = r;
		goto fail;
	}
	t->idf = idf_of(q->ix, global_df(q, prefix, 1, dfsum));
	t->cost = dfsum;
	if (need_spans) {
		if (npairs)
			qsort(pairs, npairs, sizeof *pairs, cmp_u64);
		t->mdocs = malloc((npairs + 1) * sizeof *t->mdocs);
		t->mat = malloc((npairs + 2) * sizeof *t->mat);
		t->mpos = malloc((npairs + 1) * sizeof *t->mpos);
		t->mtft = malloc((npairs + 1) * sizeof *t->mtft);
		t->mtfb = malloc((npairs + 1) * sizeof *t->mtfb);
		if (!t->mdocs || !t->mat || !t->mpos || !t->mtft || !t->mtfb)
			goto oom;
		size_t n = 0;
		for (size_t i = 0; i < npairs; i++) {
			uint32_t d = (uint32_t)(pairs[i] >> 32);
			uint32_t p = (uint32_t)pairs[i];
			if (n == 0 || t->mdocs[n - 1] != d) {
				t->mdocs[n] = d;
				t->mat[n] = (uint32_t)i;
				t->mtft[n] = t->mtfb[n] = 0;
				n++;
			}
			t->mpos[i] = p;
			if (POS_FIELD(p))
				t->mtfb[n - 1]++;
			else
				t->mtft[n - 1]++;
		}
		t->mat[n] = (uint32_t)npairs;
		t->mn = n;
		free(pairs);
	} else {
		size_t n = 0;
		for (uint32_t d = 0; d < q->seg->ndocs; d++)
			n += tft[d] || tfb[d];
		t->mdocs = malloc((n + 1) * sizeof *t->mdocs);
		t->mtft = malloc((n + 1) * sizeof *t->mtft);
		t->mtfb = malloc((n + 1) * sizeof *t->mtfb);
		if (!t->mdocs || !t->mtft || !t->mtfb)
			goto oom;
		n = 0;
		for (uint32_t d = 0; d < q->seg->ndocs; d++)
			if (tft[d] || tfb[d]) {
				t->mdocs[n] = d;
				t->mtft[n] = tft[d];
				t->mtfb[n] = tfb[d];
				n++;
			}
		t->mn = n;
		free(tft);
		free(tfb);
	}
	return t;
oom:
	set_err(q, TRAWL_ENOMEM, "out of memory expanding a prefix");
fail:
	free(pairs);
	free(tft);
	free(tfb);
	return NULL;
}

static it *prefix_it(qeval *q, const char *prefix, int fields, int need_spans)
{
	size_t plen = strlen(prefix);
	dict_iter di;
	if ((q->rc = dict_seek(&q->seg->dict, &di, prefix, plen, q->err)))
		return NULL;
	dterm terms[PREFIX_OR_MAX];
	size_t n = 0;
	int r;
	dterm dt;
	while ((r = dict_next(&di, &dt, q->err)) == 1) {
		if (dt.len < plen || memcmp(dt.term, prefix, plen))
			break;
		if (n == PREFIX_OR_MAX)
			return prefix_materialise(q, prefix, fields, need_spans);
		terms[n++] = dt;
	}
	if (r < 0) {
		q->rc = r;
		return NULL;
	}
	if (n == 0)
		return none_it(q);
	it *t = new_it(q, IT_OR);
	if (!t)
		return NULL;
	t->or_prefix = 1;
	t->fields = fields;
	t->need_spans = need_spans;
	t->kids = calloc(n, sizeof *t->kids);
	if (!t->kids)
		return NULL;
	uint64_t dfsum = 0;
	for (size_t i = 0; i < n; i++) {
		t->kids[i] = term_it(q, &terms[i], fields);
		if (!t->kids[i])
			return NULL;
		t->nkids++;
		dfsum += terms[i].df;
	}
	t->cost = dfsum;
	t->idf = idf_of(q->ix, global_df(q, prefix, 1, dfsum));
	return t;
}

static int cmp_cost(const void *a, const void *b)
{
	const it *x = *(it *const *)a, *y = *(it *const *)b;
	return x->cost < y->cost ? -1 : x->cost > y->cost;
}

static it *build(qeval *q, const qnode *n, int need_spans)
{
	if ((n->kind == QN_TERM || n->kind == QN_PREFIX ||
	     n->kind == QN_PHRASE) && n->fields == 0)
		return none_it(q);
	switch (n->kind) {
	case QN_TERM: {
		if (!n->terms[0])
			return none_it(q);
		dterm dt;
		int r = lookup(q, n->terms[0], &dt);
		if (r < 0)
			return NULL;
		if (r == 0)
			return none_it(q);
		return term_it(q, &dt, n->fields);
	}
	case QN_PREFIX:
		return prefix_it(q, n->terms[0], n->fields, need_spans);
	case QN_PHRASE: {
		it *t = new_it(q, IT_PHRASE);
		if (!t)
			return NULL;
		t->kids = calloc(n->nterms, sizeof *t->kids);
		t->ph_ord = calloc(n->nterms, sizeof *t->ph_ord);
		t->ph_off = calloc(n->nterms, sizeof *t->ph_off);
		if (!t->kids || !t->ph_ord || !t->ph_off)
			return NULL;
		t->cost = UINT64_MAX;
		t->ph_len = (uint32_t)n->nterms;
		/* scored as its words, whatever reads them; a word missing
		 * from the segment: no match, before any cursor opens */
		dterm *words = malloc(n->nterms * sizeof *words);
		if (!words) {
			set_err(q, TRAWL_ENOMEM, "out of memory");
			return NULL;
		}
		double idf = 0;
		for (size_t i = 0; i < n->nterms; i++) {
			int r = n->terms[i] ? lookup(q, n->terms[i], &words[i])
					    : 0;
			if (r <= 0) {
				free(words);
				return r < 0 ? NULL : none_it(q);
			}
			idf += idf_of(q->ix, global_df(q, words[i].term, 0,
							words[i].df));
		}
		for (size_t i = 0; i < n->nterms;) {
			/* two pair words next to each other: their pair's
			 * postings, which hold exactly the places where the
			 * one stands before the other */
			dterm pair;
			const dterm *dt = &words[i];
			size_t covers = 1;
			if (i + 1 < n->nterms && pair_word(q->seg, n->terms[i]) &&
			    pair_word(q->seg, n->terms[i + 1])) {
				char text[2 * SEG_PAIR_WORD_MAX + 3];
				snprintf(text, sizeof text, "%c%s %s",
					 SEG_PAIR_MARK, n->terms[i],
					 n->terms[i + 1]);
				int r = lookup(q, text, &pair);
				if (r <= 0) {
					free(words);
					return r < 0 ? NULL : none_it(q);
				}
				dt = &pair;
				covers = 2;
			}
			it *k = term_it(q, dt, n->fields);
			if (!k) {
				free(words);
				return NULL;
			}
			t->ph_off[t->nkids] = (uint32_t)i;
			t->kids[t->nkids++] = k;
			if (k->cost < t->cost)
				t->cost = k->cost;
			i += covers;
		}
		free(words);
		t->idf = idf;
		t->fields = n->fields;
		t->need_spans = need_spans;
		t->order = malloc(t->nkids * sizeof *t->order);
		if (!t->order)
			return NULL;
		memcpy(t->order, t->kids, t->nkids * sizeof *t->order);
		qsort(t->order, t->nkids, sizeof *t->order, cmp_cost);
		if (words_only(q, t, t->order))
			return NULL;
		for (size_t m = 0; m < t->nkids; m++)
			for (size_t k = 0; k < t->nkids; k++)
				if (t->kids[k] == t->order[m])
					t->ph_ord[m] = k;
		return t;
	}
	case QN_AND: {
		it *t = new_it(q, IT_AND);
		if (!t)
			return NULL;
		t->kids = calloc(n->nkids, sizeof *t->kids);
		t->neg = calloc(n->nkids, sizeof *t->neg);
		if (!t->kids || !t->neg)
			return NULL;
		t->cost = UINT64_MAX;
		for (size_t i = 0; i < n->nkids; i++) {
			it *k = build(q, n->kids[i], 0);
			if (!k)
				return NULL;
			if (n->kids[i]->negated) {
				t->neg[t->nneg++] = k;
			} else {
				t->kids[t->nkids++] = k;
				if (k->cost < t->cost)
					t->cost = k->cost;
			}
		}
		/* the rarest operand leads */
		qsort(t->kids, t->nkids, sizeof *t->kids, cmp_cost);
		if (words_only(q, t, t->kids))
			return NULL;
		return t;
	}
	case QN_OR: {
		it *t = new_it(q, IT_OR);
		if (!t)
			return NULL;
		t->need_spans = need_spans;
		t->kids = calloc(n->nkids, sizeof *t->kids);
		if (!t->kids)
			return NULL;
		for (size_t i = 0; i < n->nkids; i++) {
			it *k = build(q, n->kids[i], need_spans);
			if (!k)
				return NULL;
			t->kids[t->nkids++] = k;
			t->cost += k->cost;
		}
		return t;
	}
	case QN_NEAR:
	case QN_ADJ: {
		it *t = new_it(q, IT_NEAR);
		if (!t)
			return NULL;
		t->need_spans = need_spans;
		t->k = n->k;
		t->ordered = n->kind == QN_ADJ;
		t->kids = calloc(2, sizeof *t->kids);
		if (!t->kids || n->nkids != 2)
			return NULL;
		for (size_t i = 0; i < 2; i++) {
			t->kids[i] = build(q, n->kids[i], 1);
			if (!t->kids[i])
				return NULL;
		}
		t->nkids = 2;
		t->cost = t->kids[0]->cost < t->kids[1]->cost ? t->kids[0]->cost
							      : t->kids[1]->cost;
		it *x = t->kids[0], *y = t->kids[1];
		t->near_words = !need_spans && x->kind == IT_TERM &&
				y->kind == IT_TERM && x->fields == TR_FIELD_ANY &&
				y->fields == TR_FIELD_ANY;
		/* the documents with both words: the rarer leads */
		t->order = malloc(2 * sizeof *t->order);
		if (!t->order)
			return NULL;
		t->order[0] = x->cost <= y->cost ? x : y;
		t->order[1] = x->cost <= y->cost ? y : x;
		if (words_only(q, t, t->order))
			return NULL;
		return t;
	}
	}
	return none_it(q);
}

static void fill_norms(const qeval *q);

int qe_new(trawl_index *ix, segment *seg, const qnode *root,
	   const qe_stats *stats, qeval **out, trawl_error *err)
{
	*out = NULL;
	qeval *q = calloc(1, sizeof *q);
	if (!q)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	q->ix = ix;
	q->stats = stats;
	q->seg = seg;
	q->err = err;
	q->title_scale = ix->avg_title > 0 ? BM25_B_TITLE / ix->avg_title : 0;
	q->body_scale = ix->avg_body > 0 ? BM25_B_BODY / ix->avg_body : 0;
	fill_norms(q);
	q->root = build(q, root, 0);
	if (!q->root) {
		int rc = q->rc ? q->rc : TRAWL_ENOMEM;
		if (rc == TRAWL_ENOMEM && (!err || !err->message[0]))
			tr_err(err, rc, "out of memory");
		qe_free(q);
		return rc;
	}
	*out = q;
	return TRAWL_OK;
}

void qe_free(qeval *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nall; i++) {
		it *t = q->all[i];
		if (t->cur_open)
			pcur_close(&t->cur);
		free(t->kids);
		free(t->neg);
		free(t->order);
		free(t->ph_ord);
		free(t->ph_off);
		free(t->bm_idx);
		free(t->ph_cand);
		free(t->sp.v);
		free(t->mdocs);
		free(t->mat);
		free(t->mpos);
		free(t->mtft);
		free(t->mtfb);
		free(t);
	}
	free(q->all);
	free(q);
}

/* What a word's posting costs the walk, in units of a posting an AND
 * steps over (~12 ns here: `oil opec` reads ~22,000 in ~260 us): one
 * every match of which is scored costs about four (a word alone, ~50
 * ns), one whose positions are read about three (a phrase of two common
 * words, ~40 ns). */
enum { WORK_SKIPPED = 1, WORK_POSITIONS = 3, WORK_SCORED = 4 };

static uint64_t work_of(const it *t, int unit)
{
	uint64_t w = 0;
	switch (t->kind) {
	case IT_TERM:
		return t->cost * (uint64_t)unit;
	case IT_PREFIX:
		return UINT64_MAX; /* materialised in qe_new() */
	case IT_PHRASE:
	case IT_NEAR:
		unit = WORK_POSITIONS;
		break;
	case IT_AND:
		if (unit != WORK_POSITIONS)
			unit = WORK_SKIPPED;
		break;
	default: /* OR: its words' matches are its own */
		break;
	}
	for (size_t i = 0; i < t->nkids; i++) {
		uint64_t k = work_of(t->kids[i], unit);
		if (k == UINT64_MAX)
			return k;
		w += k;
	}
	for (size_t i = 0; i < t->nneg; i++) {
		uint64_t k = work_of(t->neg[i], WORK_SKIPPED);
		if (k == UINT64_MAX)
			return k;
		w += k;
	}
	return w;
}

uint64_t qe_work(const qeval *q)
{
	return work_of(q->root, WORK_SCORED);
}

uint32_t qe_next(qeval *q, uint32_t target)
{
	if (q->rc)
		return DOC_END;
	uint32_t d = seek(q->root, target);
	if (q->rc)
		return DOC_END;
	return d;
}

int qe_rc(const qeval *q)
{
	return q->rc;
}

/* ---- scoring ---- */

/* A document's length normalisation per field, the same for every term
 * of the query: computed once per scored document, as reciprocals, so
 * that a term costs one division, not three (a division waits ~13
 * cycles: AND queries spent a tenth of their time on the three a term
 * and two a document).  A field without the term adds an exact zero, so
 * documents alike in the fields that count still tie exactly. */
typedef struct docnorm {
	double inv_nt, inv_nb;
} docnorm;

static double inv_norm_title(const qeval *q, uint32_t len)
{
	return 1.0 / (1.0 - BM25_B_TITLE + len * q->title_scale);
}

static double inv_norm_body(const qeval *q, uint32_t len)
{
	return 1.0 / (1.0 - BM25_B_BODY + len * q->body_scale);
}

/* The reciprocals for the lengths below the tables' sizes (all titles,
 * 99.9 % of bodies in the shared collections), computed once an index:
 * a scored document then waits on a load, not on two divisions (a word
 * query spent a third of its time in score(), most of it behind them).
 * The same expressions, so the same scores. */
static void fill_norms(const qeval *q)
{
	trawl_index *ix = q->ix;
	if (__atomic_load_n(&ix->norms_ready, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&ix->lock);
	if (!ix->norms_ready) {
		for (uint32_t i = 0; i < IX_NORM_TITLE; i++)
			ix->norm_title[i] = inv_norm_title(q, i);
		for (uint32_t i = 0; i < IX_NORM_BODY; i++)
			ix->norm_body[i] = inv_norm_body(q, i);
		__atomic_store_n(&ix->norms_ready, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&ix->lock);
}

static docnorm doc_norm(const qeval *q, const docrec *r)
{
	const trawl_index *ix = q->ix;
	docnorm n;
	n.inv_nt = r->title_len < IX_NORM_TITLE ? ix->norm_title[r->title_len]
						: inv_norm_title(q, r->title_len);
	n.inv_nb = r->body_len < IX_NORM_BODY ? ix->norm_body[r->body_len]
					      : inv_norm_body(q, r->body_len);
	return n;
}

static double bm25(double idf, double tft, double tfb, const docnorm *n)
{
	double tf = BM25_W_TITLE * tft * n->inv_nt + BM25_W_BODY * tfb * n->inv_nb;
	return idf * tf * (BM25_K1 + 1) / (BM25_K1 + tf);
}

static void tf_sum(it *t, uint32_t *a, uint32_t *b)
{
	if (t->kind == IT_TERM) {
		*a += (t->fields & TR_FIELD_TITLE) ? pcur_tf_title(&t->cur) : 0;
		*b += (t->fields & TR_FIELD_BODY) ? pcur_tf_body(&t->cur) : 0;
	}
}

static double score(it *t, const docnorm *r, buf *ex, int depth)
{
	int rc = TRAWL_OK;
	double s = 0;
	uint32_t a = 0, b = 0;
	switch (t->kind) {
	case IT_TERM:
		tf_sum(t, &a, &b);
		s = bm25(t->idf, a, b, r);
		if (ex)
			buf_printf(&rc, ex, "%*sterm \"%s\": tf title %u body %u, "
				   "idf %.3f -> %.3f\n", depth * 2, "",
				   t->label, a, b, t->idf, s);
		break;
	case IT_PREFIX:
		s = bm25(t->idf, t->mtft[t->mi], t->mtfb[t->mi], r);
		if (ex)
			buf_printf(&rc, ex, "%*sprefix: tf title %u body %u, idf "
				   "%.3f -> %.3f\n", depth * 2, "",
				   t->mtft[t->mi], t->mtfb[t->mi], t->idf, s);
		break;
	case IT_PHRASE: {
		if (t->ph_valid && t->ph_doc == t->doc) {
			a = t->ph_title;
			b = t->ph_body;
		} else {
			phrase_scan(t, &a, &b, NULL);
		}
		s = bm25(t->idf, a, b, r);
		if (ex)
			buf_printf(&rc, ex, "%*sphrase: occurrences title %u body "
				   "%u, idf %.3f -> %.3f\n", depth * 2, "", a, b,
				   t->idf, s);
		break;
	}
	case IT_OR:
		if (t->or_prefix) {
			for (size_t i = 0; i < t->nkids; i++)
				if (t->kids[i]->doc == t->doc)
					tf_sum(t->kids[i], &a, &b);
			s = bm25(t->idf, a, b, r);
			if (ex)
				buf_printf(&rc, ex, "%*sprefix: tf title %u body "
					   "%u, idf %.3f -> %.3f\n", depth * 2,
					   "", a, b, t->idf, s);
			break;
		}
		if (ex)
			buf_printf(&rc, ex, "%*sOR:\n", depth * 2, "");
		for (size_t i = 0; i < t->nkids; i++)
			if (t->kids[i]->doc == t->doc)
				s += score(t->kids[i], r, ex, depth + 1);
		break;
	case IT_AND:
		if (ex)
			buf_printf(&rc, ex, "%*sAND:\n", depth * 2, "");
		for (size_t i = 0; i < t->nkids; i++)
			s += score(t->kids[i], r, ex, depth + 1);
		break;
	case IT_NEAR:
		if (ex)
			buf_printf(&rc, ex, "%*s%s/%u (x %.2f):\n", depth * 2, "",
				   t->ordered ? "ADJ" : "NEAR", t->k, NEAR_BOOST);
		s = NEAR_BOOST * (score(t->kids[0], r, ex, depth + 1) +
				  score(t->kids[1], r, ex, depth + 1));
		break;
	default:
		break;
	}
	return s;
}

double qe_score(qeval *q, const docrec *r, buf *explain)
{
	docnorm n = doc_norm(q, r);
	const it *t = q->root;
	if (!explain && (t->kind == IT_AND || t->kind == IT_NEAR) && t->bm_idx) {
		/* words over both fields: score()'s sum, in its order, without
		 * a call and a switch a word (the divisions then overlap) */
		double s = 0;
		for (size_t i = 0; i < t->nkids; i++) {
			const pcursor *c = &t->kids[i]->cur;
			s += bm25(t->kids[i]->idf, pcur_tf_title(c),
				  pcur_tf_body(c), &n);
		}
		return t->kind == IT_NEAR ? NEAR_BOOST * s : s;
	}
	double s = score(q->root, &n, explain, 1);
	if (explain) {
		int rc = TRAWL_OK;
		buf_printf(&rc, explain, "  = %.4f\n", s);
	}
	return s;
}
