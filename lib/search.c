/*
 * search.c -- the public query API: parse, search (exact count and top-k
 * with a heap), count, walk every match, describe.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "index.h"
#include "postings.h"
#include "qeval.h"
#include "qparse.h"
#include "segment.h"

struct trawl_query {
	qnode *root;
};

struct trawl_hits {
	uint64_t total;
	trawl_hit *v;
	size_t n;
	char **explain;
};

void trawl_search_opts_init(trawl_search_opts *o)
{
	memset(o, 0, sizeof *o);
	o->n = 10;
	o->sort = TRAWL_SORT_SCORE;
}

int trawl_query_parse(trawl_index *ix, const char *text, trawl_query **out,
		      trawl_error *err)
{
	*out = NULL;
	if (!text)
		return tr_err_col(err, TRAWL_ESYNTAX, 1, "empty query");
	trawl_analyzer *a;
	int rc = ix_analyzer_get(ix, &a, err);
	if (rc)
		return rc;
	qnode *root = NULL;
	rc = qp_parse(a, text, &root, err);
	ix_analyzer_put(ix, a);
	if (rc)
		return rc;
	trawl_query *q = malloc(sizeof *q);
	if (!q) {
		qp_free(root);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	q->root = root;
	*out = q;
	return TRAWL_OK;
}

void trawl_query_free(trawl_query *q)
{
	if (!q)
		return;
	qp_free(q->root);
	free(q);
}

int trawl_query_describe(const trawl_query *q, char **out)
{
	return qp_describe(q->root, out);
}

/* The qnode tree behind a query, for snippet.c. */
const qnode *tr_query_root(const trawl_query *q)
{
	return q->root;
}

typedef struct filter {
	uint32_t since, until; /* 0 = none */
} filter;

static int make_filter(const trawl_search_opts *o, filter *f, trawl_error *err)
{
	f->since = f->until = 0;
	if (!o)
		return TRAWL_OK;
	if (o->since && *o->since &&
	    !(f->since = seg_parse_date(o->since, strlen(o->since))))
		return tr_err(err, TRAWL_EINVAL, "--since %s: not a YYYY-MM-DD date",
			      o->since);
	if (o->until && *o->until &&
	    !(f->until = seg_parse_date(o->until, strlen(o->until))))
		return tr_err(err, TRAWL_EINVAL, "--until %s: not a YYYY-MM-DD date",
			      o->until);
	return TRAWL_OK;
}

static int passes(const filter *f, const docrec *r)
{
	if (!f->since && !f->until)
		return 1;
	if (!r->date)
		return 0;
	return (!f->since || r->date >= f->since) &&
	       (!f->until || r->date <= f->until);
}

typedef struct cand {
	uint32_t docno, date;
	double score;
} cand;

/* 1 when x ranks before y. */
static int better(const cand *x, const cand *y, int by_date)
{
	if (by_date && x->date != y->date)
		return x->date > y->date;
	if (x->score != y->score)
		return x->score > y->score;
	return x->docno < y->docno;
}

/* A min-heap of the K best so far: the root is the worst of them. */
static void sift_down(cand *h, size_t n, size_t i, int by_date)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, w = i;
		if (l < n && better(&h[w], &h[l], by_date))
			w = l;
		if (r < n && better(&h[w], &h[r], by_date))
			w = r;
		if (w == i)
			return;
		cand t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

static void sift_up(cand *h, size_t i, int by_date)
{
	while (i) {
		size_t p = (i - 1) / 2;
		if (!better(&h[p], &h[i], by_date))
			return;
		cand t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static int cmp_rank_score(const void *a, const void *b)
{
	return better(a, b, 0) ? -1 : better(b, a, 0) ? 1 : 0;
}

static int cmp_rank_date(const void *a, const void *b)
{
	return better(a, b, 1) ? -1 : better(b, a, 1) ? 1 : 0;
}

static int explain_hit(trawl_index *ix, const trawl_query *q,
		       const qe_stats *stats, uint32_t docno, char **out,
		       trawl_error *err)
{
	uint32_t local;
	segment *sg = ix_segment(ix, docno, &local);
	if (!sg)
		return tr_err(err, TRAWL_ENOTFOUND, "no document %u", docno);
	qeval *e;
	int rc = qe_new(ix, sg, q->root, stats, &e, err);
	if (rc)
		return rc;
	buf b;
	buf_init(&b);
	docrec r;
	rc = seg_docrec(sg, local, &r, err);
	if (!rc && qe_next(e, local) == local) {
		qe_score(e, &r, &b);
		buf_cstr(&rc, &b);
	}
	qe_free(e);
	*out = rc ? NULL : (char *)b.p;
	if (rc)
		buf_free(&b);
	return rc;
}

int trawl_search(trawl_index *ix, const trawl_query *q,
		 const trawl_search_opts *o, trawl_hits **out, trawl_error *err)
{
	trawl_search_opts def;
	if (!o) {
		trawl_search_opts_init(&def);
		o = &def;
	}
	*out = NULL;
	filter f;
	int rc = make_filter(o, &f, err);
	if (rc)
		return rc;
	size_t k = o->n + o->offset;
	if (k < o->n)
		return tr_err(err, TRAWL_EINVAL, "n + offset overflows");
	if (k > ((size_t)1 << 24))
		return tr_err(err, TRAWL_ELIMIT, "n + offset above 16777216");
	int by_date = o->sort == TRAWL_SORT_DATE;
	cand *heap = malloc((k ? k : 1) * sizeof *heap);
	trawl_hits *h = calloc(1, sizeof *h);
	qeval *e = NULL;
	qe_stats *stats = NULL;
	if (!heap || !h) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	/* one idf for a word across segments: dfs looked up once */
	if (ix->nsegs > 1 && (rc = qe_stats_new(ix, q->root, &stats, err)))
		goto done;
	size_t nheap = 0;
	for (size_t si = 0; si < ix->nsegs; si++) {
		segment *sg = &ix->segs[si];
		if ((rc = qe_new(ix, sg, q->root, stats, &e, err)))
			goto done;
		for (uint32_t d = qe_next(e, 0); d != DOC_END;
		     d = d == DOC_END - 1 ? DOC_END : qe_next(e, d + 1)) {
			docrec r;
			if ((rc = seg_docrec(sg, d, &r, err))) {
				if (rc == TRAWL_ENOTFOUND) /* postings name no document */
					rc = tr_err(err, TRAWL_ECORRUPT, "%s/postings: "
						    "document %u past the last",
						    sg->path, d);
				goto done;
			}
			if (r.dead || !passes(&f, &r))
				continue;
			h->total++;
			if (k == 0)
				continue;
			cand c = { sg->base + d, r.date, 0 };
			if (nheap == k && by_date && heap[0].date > r.date)
				continue; /* cannot enter: skip scoring */
			c.score = qe_score(e, &r, NULL);
			if (nheap < k) {
				heap[nheap] = c;
				sift_up(heap, nheap++, by_date);
			} else if (better(&c, &heap[0], by_date)) {
				heap[0] = c;
				sift_down(heap, nheap, 0, by_date);
			}
		}
		if ((rc = qe_rc(e)))
			goto done;
		qe_free(e);
		e = NULL;
	}
	qsort(heap, nheap, sizeof *heap, by_date ? cmp_rank_date : cmp_rank_score);
	size_t first = o->offset < nheap ? o->offset : nheap;
	h->n = nheap - first;
	h->v = calloc(h->n ? h->n : 1, sizeof *h->v);
	h->explain = calloc(h->n ? h->n : 1, sizeof *h->explain);
	if (!h->v || !h->explain) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < h->n; i++) {
		h->v[i].docno = heap[first + i].docno;
		h->v[i].score = heap[first + i].score;
		if (o->explain) {
			rc = explain_hit(ix, q, stats, h->v[i].docno, &h->explain[i], err);
			if (rc)
				goto done;
			h->v[i].explain = h->explain[i];
		}
	}
done:
	qe_free(e);
	qe_stats_free(stats);
	free(heap);
	if (rc) {
		trawl_hits_free(h);
		return rc;
	}
	*out = h;
	return TRAWL_OK;
}

uint64_t trawl_hits_total(const trawl_hits *h)
{
	return h->total;
}

size_t trawl_hits_count(const trawl_hits *h)
{
	return h->n;
}

const trawl_hit *trawl_hits_get(const trawl_hits *h, size_t i)
{
	return i < h->n ? &h->v[i] : NULL;
}

void trawl_hits_free(trawl_hits *h)
{
	if (!h)
		return;
	for (size_t i = 0; h->explain && i < h->n; i++)
		free(h->explain[i]);
	free(h->explain);
	free(h->v);
	free(h);
}

int trawl_foreach_match(trawl_index *ix, const trawl_query *q,
			const trawl_search_opts *o, trawl_match_fn fn,
			void *ctx, trawl_error *err)
{
	filter f;
	int rc = make_filter(o, &f, err);
	if (rc)
		return rc;
	for (size_t si = 0; si < ix->nsegs && !rc; si++) {
		segment *sg = &ix->segs[si];
		qeval *e;
		if ((rc = qe_new(ix, sg, q->root, NULL, &e, err)))
			return rc;
		for (uint32_t d = qe_next(e, 0); d != DOC_END;
		     d = d == DOC_END - 1 ? DOC_END : qe_next(e, d + 1)) {
			docrec r;
			if ((rc = seg_docrec(sg, d, &r, err))) {
				if (rc == TRAWL_ENOTFOUND) /* postings name no document */
					rc = tr_err(err, TRAWL_ECORRUPT, "%s/postings: "
						    "document %u past the last",
						    sg->path, d);
				break;
			}
			if (r.dead || !passes(&f, &r))
				continue;
			if ((rc = fn(ctx, sg->base + d)))
				break;
		}
		if (!rc)
			rc = qe_rc(e);
		qe_free(e);
	}
	return rc;
}

static int count_one(void *ctx, uint32_t docno)
{
	(void)docno;
	(*(uint64_t *)ctx)++;
	return 0;
}

int trawl_count(trawl_index *ix, const trawl_query *q,
		const trawl_search_opts *o, uint64_t *count, trawl_error *err)
{
	*count = 0;
	return trawl_foreach_match(ix, q, o, count_one, count, err);
}
