/*
 * search.c -- the public query API: parse, search (exact count and top-k
 * with a heap), count, walk every match, describe.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "index.h"
#include "postings.h"
#include "qeval.h"
#include "qparse.h"
#include "search.h"
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
	o->threads = 1;
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

/* ---- one search over slices of the documents, on one or more threads ----
 *
 * The documents are cut into slices (a docno range of one segment); each
 * worker takes the next slice not yet taken, in order, so its one
 * evaluator per segment only ever seeks forward, and keeps its own top k
 * and count.  Scores depend on the document alone and ranks are a total
 * order (better()), so merging the workers' top k gives exactly the
 * sequential result, whatever the number of threads. */

/* A thread's start (~40 us to its first instruction here) and the extra
 * slices cost more than they save below this much work (qe_work: ~100 us
 * on one core; a word alone in 2,000 documents). */
uint64_t tr_search_split_work = 8000;

/* Slices per thread: matches cluster (collections differ), so equal
 * halves would leave one thread idle while the other works. */
#define SLICES_PER_THREAD 4

typedef struct slice {
	size_t seg;
	uint32_t lo, hi; /* local docnos [lo, hi); hi DOC_END: to the end */
} slice;

typedef struct search_job {
	trawl_index *ix;
	const qnode *root;
	const qe_stats *stats;
	const filter *f;
	size_t k;
	int by_date;
	slice *slices;
	size_t nslices;
	size_t next;   /* the next slice to take (atomic) */
	int failed;    /* a worker failed: the others stop (atomic) */
} search_job;

typedef struct worker {
	search_job *job;
	qeval *e;      /* on segment eseg, or NULL */
	size_t eseg;
	cand *heap;    /* grows to k as matches come: k may be large */
	size_t nheap, heap_cap;
	uint64_t total;
	int rc;
	trawl_error err;
	pthread_t tid;
} worker;

/* The record of D, a document the postings of SG matched: one past the
 * last document is damage. */
static int match_record(segment *sg, uint32_t d, docrec *r, trawl_error *err)
{
	int rc = seg_docrec(sg, d, r, err);
	if (rc == TRAWL_ENOTFOUND)
		rc = tr_err(err, TRAWL_ECORRUPT, "%s/postings: document %u past "
			    "the last", sg->path, d);
	return rc;
}

/* Documents in all of IX's segments. */
static uint64_t index_docs(const trawl_index *ix)
{
	uint64_t docs = 0;
	for (size_t i = 0; i < ix->nsegs; i++)
		docs += ix->segs[i].ndocs;
	return docs;
}

/* Counts document D of segment SG and ranks it into W's top k. */
static int take(worker *w, segment *sg, uint32_t d)
{
	const search_job *j = w->job;
	docrec r;
	int rc = match_record(sg, d, &r, &w->err);
	if (rc)
		return rc;
	if (r.dead || !passes(j->f, &r))
		return TRAWL_OK;
	w->total++;
	if (j->k == 0)
		return TRAWL_OK;
	cand c = { sg->base + d, r.date, 0 };
	if (w->nheap == j->k && j->by_date && w->heap[0].date > r.date)
		return TRAWL_OK; /* cannot enter: skip scoring */
	c.score = qe_score(w->e, &r, NULL);
	if (w->nheap < j->k) {
		if (w->nheap == w->heap_cap) {
			size_t cap = w->heap_cap ? w->heap_cap * 2 : 64;
			cand *p = realloc(w->heap, (cap < j->k ? cap : j->k) * sizeof *p);
			if (!p)
				return tr_err(&w->err, TRAWL_ENOMEM,
					      "out of memory ranking the hits");
			w->heap = p;
			w->heap_cap = cap < j->k ? cap : j->k;
		}
		w->heap[w->nheap] = c;
		sift_up(w->heap, w->nheap++, j->by_date);
	} else if (better(&c, &w->heap[0], j->by_date)) {
		w->heap[0] = c;
		sift_down(w->heap, w->nheap, 0, j->by_date);
	}
	return TRAWL_OK;
}

/* Runs slices until none is left (or another worker failed). */
static int run_slices(worker *w)
{
	search_job *j = w->job;
	uint32_t d = 0;
	int at = 0; /* w->e stands on d, the first match >= the last target */
	int rc = TRAWL_OK;
	while (!rc && !__atomic_load_n(&j->failed, __ATOMIC_RELAXED)) {
		size_t s = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		if (s >= j->nslices)
			break;
		const slice *sl = &j->slices[s];
		segment *sg = &j->ix->segs[sl->seg];
		if (!w->e || w->eseg != sl->seg) {
			qe_free(w->e);
			w->e = NULL;
			if ((rc = qe_new(j->ix, sg, j->root, j->stats, &w->e, &w->err)))
				break;
			w->eseg = sl->seg;
			at = 0;
		}
		if (!at || d < sl->lo) {
			/* slices come in order: the evaluator only moves on */
			d = qe_next(w->e, sl->lo);
			at = 1;
		}
		for (; d < sl->hi && !rc;
		     d = d == DOC_END - 1 ? DOC_END : qe_next(w->e, d + 1))
			rc = take(w, sg, d);
		if (!rc)
			rc = qe_rc(w->e);
	}
	if (rc)
		__atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
	w->rc = rc;
	return rc;
}

static void *worker_main(void *arg)
{
	run_slices(arg);
	return NULL;
}

/* Threads for a search: 0 asks for one per core. */
static size_t search_threads(const trawl_search_opts *o)
{
	if (o->threads > 0)
		return (size_t)o->threads;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (size_t)n : 1;
}

/* Cuts the index into slices for NT threads: one per segment for one
 * thread, else slices of about docs / (NT * SLICES_PER_THREAD) documents
 * (a segment's last slice runs to its end, so none is left out). */
static slice *make_slices(const trawl_index *ix, size_t nt, size_t *n)
{
	uint64_t docs = index_docs(ix);
	uint64_t per = nt > 1 ? docs / ((uint64_t)nt * SLICES_PER_THREAD) + 1
			      : UINT32_MAX;
	size_t m = 0;
	for (size_t i = 0; i < ix->nsegs; i++)
		m += ix->segs[i].ndocs / per + 1;
	slice *v = malloc((m ? m : 1) * sizeof *v);
	if (!v)
		return NULL;
	m = 0;
	for (size_t i = 0; i < ix->nsegs; i++) {
		uint64_t nd = ix->segs[i].ndocs, lo = 0;
		for (; lo + per < nd; lo += per)
			v[m++] = (slice){ i, (uint32_t)lo, (uint32_t)(lo + per) };
		v[m++] = (slice){ i, (uint32_t)lo, DOC_END };
	}
	*n = m;
	return v;
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
	if (o->threads < 0)
		return tr_err(err, TRAWL_EINVAL, "threads %d: not a count",
			      o->threads);
	size_t nt = search_threads(o);
	if (nt > 64)
		nt = 64;
	int by_date = o->sort == TRAWL_SORT_DATE;
	trawl_hits *h = calloc(1, sizeof *h);
	worker *ws = calloc(nt, sizeof *ws);
	qe_stats *stats = NULL;
	slice *slices = NULL;
	cand *all = NULL;
	size_t nw = 1, nall = 0;
	if (!h || !ws) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	/* one idf for a word across segments: dfs looked up once */
	if (ix->nsegs > 1 && (rc = qe_stats_new(ix, q->root, &stats, err)))
		goto done;
	search_job job = { ix, q->root, stats, &f, k, by_date, NULL, 0, 0, 0 };
	for (size_t i = 0; i < nt; i++)
		ws[i].job = &job;
	/* worth splitting?  The first segment's evaluator tells, scaled to
	 * the index; it then serves the caller's own share */
	if (nt > 1 && ix->nsegs > 0 && ix->segs[0].ndocs > 0) {
		if ((rc = qe_new(ix, &ix->segs[0], q->root, stats, &ws[0].e,
				 &ws[0].err))) {
			if (err)
				*err = ws[0].err;
			goto done;
		}
		ws[0].eseg = 0;
		uint64_t work = qe_work(ws[0].e);
		if (work != UINT64_MAX)
			work = (uint64_t)((double)work * index_docs(ix) /
					  ix->segs[0].ndocs);
		if (work != UINT64_MAX && work >= tr_search_split_work) {
			/* no more threads than halves of the threshold: a
			 * thread's start costs the same on a big machine */
			uint64_t most = work / (tr_search_split_work / 2 + 1);
			nw = most < 2 ? 2 : most < nt ? (size_t)most : nt;
		}
	}
	if (!(slices = make_slices(ix, nw, &job.nslices))) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	job.slices = slices;
	/* the others start; one that cannot leaves its share to the rest */
	size_t started = 1;
	for (size_t i = 1; i < nw; i++) {
		if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]))
			break;
		started++;
	}
	run_slices(&ws[0]);
	for (size_t i = 1; i < started; i++)
		pthread_join(ws[i].tid, NULL);
	for (size_t i = 0; i < started; i++)
		if (ws[i].rc) {
			rc = ws[i].rc;
			if (err)
				*err = ws[i].err;
			goto done;
		}
	/* the workers' top k, merged */
	size_t cap = 0;
	for (size_t i = 0; i < started; i++)
		cap += ws[i].nheap;
	all = malloc((cap ? cap : 1) * sizeof *all);
	if (!all) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < started; i++) {
		if (ws[i].nheap) /* else the heap was never allocated */
			memcpy(all + nall, ws[i].heap, ws[i].nheap * sizeof *all);
		nall += ws[i].nheap;
		h->total += ws[i].total;
	}
	qsort(all, nall, sizeof *all, by_date ? cmp_rank_date : cmp_rank_score);
	if (nall > k)
		nall = k;
	size_t first = o->offset < nall ? o->offset : nall;
	h->n = nall - first;
	h->v = calloc(h->n ? h->n : 1, sizeof *h->v);
	h->explain = calloc(h->n ? h->n : 1, sizeof *h->explain);
	if (!h->v || !h->explain) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < h->n; i++) {
		h->v[i].docno = all[first + i].docno;
		h->v[i].score = all[first + i].score;
		if (o->explain) {
			rc = explain_hit(ix, q, stats, h->v[i].docno, &h->explain[i], err);
			if (rc)
				goto done;
			h->v[i].explain = h->explain[i];
		}
	}
done:
	for (size_t i = 0; ws && i < nt; i++) {
		qe_free(ws[i].e);
		free(ws[i].heap);
	}
	free(ws);
	free(slices);
	free(all);
	qe_stats_free(stats);
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
			if ((rc = match_record(sg, d, &r, err)))
				break;
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

int trawl_count(trawl_index *ix, const trawl_query *q,
		const trawl_search_opts *o, uint64_t *count, trawl_error *err)
{
	*count = 0;
	/* a search for no hits: the count alone, on the threads O allows */
	trawl_search_opts so;
	if (o)
		so = *o;
	else
		trawl_search_opts_init(&so);
	so.n = 0;
	so.offset = 0;
	so.explain = 0;
	trawl_hits *h;
	int rc = trawl_search(ix, q, &so, &h, err);
	if (rc)
		return rc;
	*count = h->total;
	trawl_hits_free(h);
	return TRAWL_OK;
}
