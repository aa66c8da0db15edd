/*
 * main.c -- oracle_diff: the differential test of the engine against the
 * brute-force oracle (STYLE section 8; SPEC section 4: every correct build
 * returns the same set and the same exact count).  The engine is used only
 * through include/trawl.h.
 *
 * With no option it runs, in order:
 *   1. the self-test: the oracle on hand-worked documents and trees, our
 *      text parser on hand-worked queries, the generator against the parser;
 *   2. the differential run: --corpora generated corpora of --docs
 *      documents, each indexed through the builder API, then --queries
 *      random queries each, compared on ids and counts (and every 8th query
 *      also broken on purpose: the engine must answer ESYNTAX);
 *   3. the conformance vectors of $TRAWL_SHARED/conformance (or
 *      --conformance DIR), checked against the engine and, through our own
 *      parser, against the oracle; skipped with a message when absent.
 *
 * Options:
 *   --seed N          the run's seed (default 20251125); printed first
 *   --corpora N --docs N --queries N     sizes (default 5, 300, 1000)
 *   --only-corpus C --only-query Q       replay one reported query: each
 *                     corpus draws from its own generator seeded from (seed,
 *                     C), and unchecked queries are still generated
 *   --query TEXT      check TEXT over each corpus instead of generated ones
 *   --family N        size of the fam* term family in every corpus
 *   --max-fail N      stop after N failures (default 5)
 *   --no-shrink       do not look for a one-document repro
 *   --no-diff --no-conformance --self-test (that alone)   -v (print queries)
 * Exit: 0 agreement, 1 a mismatch, 2 the test could not run.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "oracle.h"
#include "builder.h" /* tr_lane_min_budget */
#include "search.h" /* tr_search_split_work */

#define DEFAULT_SEED 20251125u
#define OD_PATH 4096 /* our own paths: TMPDIR or TRAWL_SHARED plus a name */

static struct {
	uint64_t seed;
	size_t corpora, docs, queries;
	long only_corpus, only_query;
	size_t max_fail;
	const char *conformance;
	const char *query;      /* --query: this text instead of generated */
	long family;            /* --family: fam* size for every corpus */
	int no_conformance, no_diff, self_test_only, no_shrink, verbose;
} opt = { DEFAULT_SEED, 5, 300, 1000, -1, -1, 5, NULL, NULL, -1,
	    0, 0, 0, 0, 0 };

static size_t nfail;

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "oracle_diff: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xmalloc(n);

	memcpy(d, s, n);
	return d;
}

/* OUT: OUT = A/B.  Dies rather than use a cut path. */
static void path_join(char *out, size_t n, const char *a, const char *b)
{
	int len = snprintf(out, n, "%s/%s", a, b);

	if (len < 0 || (size_t)len >= n) {
		fprintf(stderr, "oracle_diff: path too long: %s/%s\n", a, b);
		exit(2);
	}
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints S as a JSON string (raw bytes >= 0x80 as they are). */
static void print_json(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; s && i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else if (c == 0xff)
			fputs("\\xff", f); /* the one invalid byte we make */
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ---- The engine, through the public API only ------------------------ */

typedef struct engine {
	char tmp[OD_PATH];    /* mkdtemp directory */
	char dir[OD_PATH];    /* the index inside it */
	trawl_builder *b;
	trawl_index *ix;
	char **ids;            /* docno -> id, read once with trawl_doc_get */
	size_t nids;
} engine;

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void engine_close(engine *e)
{
	trawl_builder_free(e->b);
	trawl_index_close(e->ix);
	for (size_t i = 0; i < e->nids; i++)
		free(e->ids[i]);
	free(e->ids);
	if (e->tmp[0])
		nftw(e->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	memset(e, 0, sizeof(*e));
}

/* Starts an index of LANG built with THREADS analysis threads. */
static int engine_begin(engine *e, const char *lang, int threads)
{
	const char *t = getenv("TMPDIR");
	trawl_build_opts o;
	trawl_error err = { 0 };
	int rc;

	memset(e, 0, sizeof(*e));
	path_join(e->tmp, sizeof(e->tmp), t && *t ? t : "/tmp",
		  "trawl-oracle-XXXXXX");
	if (!mkdtemp(e->tmp)) {
		fprintf(stderr, "oracle_diff: mkdtemp %s: %s\n", e->tmp,
			strerror(errno));
		e->tmp[0] = '\0';
		return -1;
	}
	path_join(e->dir, sizeof(e->dir), e->tmp, "ix");
	trawl_build_opts_init(&o);
	o.language = lang;
	o.threads = threads;
	/* The smallest budget the builder takes: a corpus with many terms
	 * then spills runs and merges them. */
	o.memory_budget = (size_t)4 << 20;
	rc = trawl_builder_new(e->dir, &o, &e->b, &err);
	if (rc != TRAWL_OK) {
		fprintf(stderr, "oracle_diff: trawl_builder_new: %s: %s\n",
			trawl_errstr(rc), err.message);
		return -1;
	}
	return 0;
}

static int engine_add(engine *e, const char *id, const char *title,
		      size_t tlen, const char *body, size_t blen)
{
	trawl_doc d = { 0 };
	trawl_error err = { 0 };
	int rc;

	d.id = id;
	d.id_len = strlen(id);
	d.title = title;
	d.title_len = tlen;
	d.body = body;
	d.body_len = blen;
	rc = trawl_builder_add(e->b, &d, &err);
	if (rc < 0) {
		fprintf(stderr, "oracle_diff: trawl_builder_add %s: %s: %s\n",
			id, trawl_errstr(rc), err.message);
		return -1;
	}
	return 0;
}

static int engine_finish(engine *e)
{
	trawl_error err = { 0 };
	trawl_stats st;
	int rc;

	rc = trawl_builder_finish(e->b, &err);
	trawl_builder_free(e->b);
	e->b = NULL;
	if (rc != TRAWL_OK) {
		fprintf(stderr, "oracle_diff: trawl_builder_finish: %s: %s\n",
			trawl_errstr(rc), err.message);
		return -1;
	}
	rc = trawl_index_open(e->dir, &e->ix, &err);
	if (rc != TRAWL_OK) {
		fprintf(stderr, "oracle_diff: trawl_index_open: %s: %s\n",
			trawl_errstr(rc), err.message);
		return -1;
	}
	/* Every block of every file decodes: a reader that refuses what
	 * the writer wrote fails here even where no query looks. */
	rc = trawl_index_check(e->ix, &err);
	if (rc != TRAWL_OK) {
		fprintf(stderr, "oracle_diff: trawl_index_check: %s: %s\n",
			trawl_errstr(rc), err.message);
		return -1;
	}
	/* Docnos are dense: read every stored id once, so a query's docnos
	 * map to ids without a store lookup each. */
	rc = trawl_index_stats(e->ix, &st, &err);
	if (rc != TRAWL_OK) {
		fprintf(stderr, "oracle_diff: trawl_index_stats: %s: %s\n",
			trawl_errstr(rc), err.message);
		return -1;
	}
	e->nids = (size_t)(st.docs + st.deleted);
	e->ids = xmalloc(e->nids * sizeof(*e->ids));
	for (size_t i = 0; i < e->nids; i++) {
		trawl_stored *sd = NULL;

		e->ids[i] = NULL;
		if (trawl_doc_get(e->ix, (uint32_t)i, &sd, NULL) == TRAWL_OK) {
			e->ids[i] = xmalloc(sd->id_len + 1);
			memcpy(e->ids[i], sd->id, sd->id_len);
			e->ids[i][sd->id_len] = '\0';
		}
		trawl_stored_free(sd);
	}
	return 0;
}

/* What the engine says about one query. */
typedef struct eres {
	int rc;                /* of trawl_query_parse, then of the runs */
	trawl_error err;
	char **ids;            /* sorted, malloc'd */
	size_t n, cap;
	uint64_t count;        /* trawl_count */
	uint64_t total;        /* trawl_search's hits_total */
	const char *problem;   /* an API-level inconsistency, or NULL */
	uint32_t last;
	engine *e;
} eres;

static int on_match(void *ctx, uint32_t docno)
{
	eres *r = ctx;
	char *id = NULL;

	if (r->n > 0 && docno <= r->last)
		r->problem = "trawl_foreach_match: docnos not in increasing order";
	r->last = docno;
	if (docno < r->e->nids && r->e->ids[docno]) {
		id = xstrdup(r->e->ids[docno]);
	} else {
		trawl_stored *sd = NULL;

		if (trawl_doc_get(r->e->ix, docno, &sd, NULL) == TRAWL_OK) {
			id = xmalloc(sd->id_len + 1);
			memcpy(id, sd->id, sd->id_len);
			id[sd->id_len] = '\0';
		} else {
			char buf[64];

			snprintf(buf, sizeof(buf), "<docno %u: no document>",
				 docno);
			id = xstrdup(buf);
		}
		trawl_stored_free(sd);
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->ids = realloc(r->ids, r->cap * sizeof(*r->ids));
		if (!r->ids)
			exit(2);
	}
	r->ids[r->n++] = id;
	return 0;
}

static void eres_clear(eres *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->ids[i]);
	free(r->ids);
	memset(r, 0, sizeof(*r));
}

static void engine_query(engine *e, const char *text, eres *r)
{
	trawl_query *q = NULL;
	trawl_hits *h = NULL;
	trawl_search_opts so;

	memset(r, 0, sizeof(*r));
	r->e = e;
	r->rc = trawl_query_parse(e->ix, text, &q, &r->err);
	if (r->rc != TRAWL_OK)
		return;
	r->rc = trawl_foreach_match(e->ix, q, NULL, on_match, r, &r->err);
	/* the count on three threads (main() has every search split) */
	trawl_search_opts_init(&so);
	so.threads = 3;
	if (r->rc == TRAWL_OK)
		r->rc = trawl_count(e->ix, q, &so, &r->count, &r->err);
	trawl_search_opts_init(&so);
	so.n = 10;
	if (r->rc == TRAWL_OK)
		r->rc = trawl_search(e->ix, q, &so, &h, &r->err);
	/* the same search split over two threads: the same hits, scores
	 * bit for bit */
	trawl_hits *h2 = NULL;
	so.threads = 2;
	if (r->rc == TRAWL_OK)
		r->rc = trawl_search(e->ix, q, &so, &h2, &r->err);
	if (r->rc == TRAWL_OK) {
		int same = trawl_hits_total(h2) == trawl_hits_total(h) &&
			   trawl_hits_count(h2) == trawl_hits_count(h);
		for (size_t i = 0; same && i < trawl_hits_count(h); i++) {
			const trawl_hit *a = trawl_hits_get(h, i);
			const trawl_hit *b = trawl_hits_get(h2, i);
			same = a->docno == b->docno &&
			       memcmp(&a->score, &b->score, sizeof a->score) == 0;
		}
		if (!same)
			r->problem = "trawl_search on two threads differs from one";
	}
	trawl_hits_free(h2);
	if (r->rc == TRAWL_OK) {
		r->total = trawl_hits_total(h);
		if (r->total != r->count)
			r->problem = "trawl_search total differs from trawl_count";
		if (trawl_hits_count(h) != (r->count < 10 ? r->count : 10))
			r->problem = "trawl_search returned the wrong number of hits";
		for (size_t i = 0; i < trawl_hits_count(h); i++) {
			const trawl_hit *hit = trawl_hits_get(h, i);
			size_t j;

			for (j = 0; j < r->n; j++)
				if (hit->docno < e->nids && e->ids[hit->docno] &&
				    strcmp(e->ids[hit->docno], r->ids[j]) == 0)
					break;
			if (j == r->n)
				r->problem = "trawl_search hit not among trawl_foreach_match's";
		}
	}
	trawl_hits_free(h);
	trawl_query_free(q);
	if (r->n)
		qsort(r->ids, r->n, sizeof(*r->ids), cmp_strp);
	for (size_t i = 1; i < r->n; i++)
		if (strcmp(r->ids[i], r->ids[i - 1]) == 0)
			r->problem = "the same id matched twice (a replaced document?)";
}

/* ---- Comparing ------------------------------------------------------ */

/* Sorted ids of the documents the oracle matched.  Borrowed strings. */
static size_t oracle_ids(const oracle *o, const unsigned char *match,
			 const char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < oracle_ndocs(o); i++)
		if (match[i])
			out[n++] = oracle_id(o, i);
	qsort(out, n, sizeof(*out), cmp_strp);
	return n;
}

static int same(const char **a, size_t na, const eres *r)
{
	if (r->rc != TRAWL_OK || r->problem || na != r->n ||
	    r->count != (uint64_t)na)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], r->ids[i]) != 0)
			return 0;
	return 1;
}

static void print_ids(const char *label, const char **ids, size_t n)
{
	size_t show = n < 40 ? n : 40;

	printf("    %s (%zu):", label, n);
	for (size_t i = 0; i < show; i++)
		printf(" %s", ids[i]);
	if (show < n)
		printf(" ...");
	printf("\n");
}

/* The two sides of the difference, the minimal diff of the report. */
static void print_diff(const char *who, const char *who_r, const char **a,
		       size_t na, const eres *r, const char **first)
{
	char label[64];

	const char **only_a = xmalloc(na * sizeof(char *));
	const char **only_b = xmalloc(r->n * sizeof(char *));
	size_t i = 0, j = 0, x = 0, y = 0;

	while (i < na || j < r->n) {
		int c = i == na ? 1 : j == r->n ? -1 : strcmp(a[i], r->ids[j]);

		if (c < 0)
			only_a[x++] = a[i++];
		else if (c > 0)
			only_b[y++] = r->ids[j++];
		else
			i++, j++;
	}
	snprintf(label, sizeof(label), "only %s", who);
	print_ids(label, only_a, x);
	snprintf(label, sizeof(label), "only %s", who_r);
	print_ids(label, only_b, y);
	*first = x ? only_a[0] : y ? only_b[0] : NULL;
	free(only_a);
	free(only_b);
}

/* ---- Shrinking a failure to a small repro --------------------------- */

static onode *on_copy(const onode *n)
{
	onode *c = on_new(n->kind);

	c->text = n->text ? xstrdup(n->text) : NULL;
	c->field = n->field;
	c->k = n->k;
	c->neg = n->neg;
	c->style = n->style;
	c->sep = n->sep;
	c->paren = n->paren;
	for (size_t i = 0; i < n->nkids; i++)
		on_add(c, on_copy(n->kids[i]));
	return c;
}

static size_t on_count(const onode *n)
{
	size_t c = 1;

	for (size_t i = 0; i < n->nkids; i++)
		c += on_count(n->kids[i]);
	return c;
}

/* The node with preorder number *I, and its parent. */
static onode *on_nth(onode *n, size_t *i, onode **par, size_t *slot)
{
	if ((*i)-- == 0)
		return n;
	for (size_t k = 0; k < n->nkids; k++) {
		onode *hit;

		*par = n;
		*slot = k;
		hit = on_nth(n->kids[k], i, par, slot);
		if (hit)
			return hit;
	}
	return NULL;
}

/* Candidate CAND of shrinking T: node `node` replaced by its kid `kid`,
 * or (kid = nkids) the node's kid `drop` removed.  NULL: no such move. */
static onode *shrink_step(const onode *t, size_t node, size_t move)
{
	onode *c = on_copy(t), *par = NULL, *n;
	size_t i = node, slot = 0;

	n = on_nth(c, &i, &par, &slot);
	if (!n || move >= 2 * n->nkids) {
		on_free(c);
		return NULL;
	}
	if (move < n->nkids) {
		/* Replace n by one of its kids, which takes n's place in
		 * an AND list (negated or not). */
		onode *kid = n->kids[move];

		for (size_t k = move; k + 1 < n->nkids; k++)
			n->kids[k] = n->kids[k + 1];
		n->nkids--;
		kid->neg = n->neg;
		kid->sep = n->sep;
		if (par)
			par->kids[slot] = kid;
		else
			c = kid;
		on_free(n);
		return c;
	}
	move -= n->nkids;
	if ((n->kind != O_AND && n->kind != O_OR) || n->nkids < 3) {
		on_free(c);
		return NULL;
	}
	on_free(n->kids[move]);
	for (size_t k = move; k + 1 < n->nkids; k++)
		n->kids[k] = n->kids[k + 1];
	n->nkids--;
	return c;
}

/* A world: the oracle and the engine over the same documents. */
typedef struct world {
	oracle *o;
	engine e;
	trawl_analyzer *an;    /* of LANG, the oracle's and our parser's */
	const char *lang;
	int threads;
} world;

/* 1 when the engine and the oracle disagree on T (a valid query: our own
 * parser accepts its text and reads it the same). */
static int differs(world *w, onode *t)
{
	char *text = og_render(t);
	const char *why;
	onode *p = qtext_parse(w->an, text, &why);
	size_t nd = oracle_ndocs(w->o);
	unsigned char *m1 = xmalloc(nd), *m2 = xmalloc(nd);
	const char **ids = xmalloc(nd * sizeof(char *));
	int d = 0;

	if (p) {
		eres r;
		size_t n;

		oracle_compile(w->o, t);
		oracle_eval(w->o, t, m1);
		oracle_compile(w->o, p);
		oracle_eval(w->o, p, m2);
		if (memcmp(m1, m2, nd) == 0) {
			n = oracle_ids(w->o, m1, ids);
			engine_query(&w->e, text, &r);
			d = !same(ids, n, &r);
			eres_clear(&r);
		}
	}
	on_free(p);
	free(text);
	free(m1);
	free(m2);
	free(ids);
	return d;
}

/* Greedy: take any one-step smaller query that still disagrees. */
static onode *shrink_query(world *w, onode *t)
{
	int progress = 1;

	t = on_copy(t);
	while (progress) {
		size_t nn = on_count(t);

		progress = 0;
		for (size_t node = 0; node < nn && !progress; node++) {
			for (size_t move = 0; move < 8 && !progress; move++) {
				onode *c = shrink_step(t, node, move);

				if (!c)
					continue;
				if (differs(w, c)) {
					on_free(t);
					t = c;
					progress = 1;
				} else {
					on_free(c);
				}
			}
		}
	}
	return t;
}

typedef struct span1 {
	size_t start, end;
} span1;

static int collect_span(void *ctx, const trawl_token *tok)
{
	span1 **v = ctx;
	size_t n = 0;

	while ((*v)[n].end != (size_t)-1)
		n++;
	*v = realloc(*v, (n + 2) * sizeof(**v));
	if (!*v)
		exit(2);
	(*v)[n].start = tok->byte_start;
	(*v)[n].end = tok->byte_end;
	(*v)[n + 1].end = (size_t)-1;
	return 0;
}

/* A world of one document, set up as LIKE. */
static int world_one(world *w, const world *like, const char *title,
		     const char *body)
{
	memset(w, 0, sizeof(*w));
	w->an = like->an;
	w->lang = like->lang;
	w->threads = like->threads;
	w->o = oracle_new(w->an);
	oracle_add(w->o, "r", title, strlen(title), body, strlen(body));
	oracle_seal(w->o);
	if (engine_begin(&w->e, w->lang, w->threads) < 0 ||
	    engine_add(&w->e, "r", title, strlen(title), body,
		       strlen(body)) < 0 ||
	    engine_finish(&w->e) < 0)
		return -1;
	return 0;
}

static void world_free(world *w)
{
	oracle_free(w->o);
	engine_close(&w->e);
}

static int one_differs(const world *like, const char *title,
		       const char *body, onode *t)
{
	world w;
	int d = world_one(&w, like, title, body) == 0 && differs(&w, t);

	world_free(&w);
	return d;
}

/* Drops tokens from TEXT (IN/OUT, malloc'd) while the one-document
 * index of (title, body) still disagrees. */
static void shrink_text(const world *like, char **title, char **body,
			char **text, onode *t)
{
	for (int again = 1; again;) {
		span1 *v = xmalloc(sizeof(*v));

		again = 0;
		v[0].end = (size_t)-1;
		trawl_analyze(like->an, *text, strlen(*text), collect_span, &v);
		for (size_t i = 0; v[i].end != (size_t)-1 && !again; i++) {
			size_t len = strlen(*text);
			char *c = xmalloc(len + 1);
			char *save = *text;

			memcpy(c, save, v[i].start);
			memcpy(c + v[i].start, save + v[i].end,
			       len - v[i].end + 1);
			*text = c;
			if (one_differs(like, *title, *body, t)) {
				free(save);
				again = 1;
			} else {
				*text = save;
				free(c);
			}
		}
		free(v);
	}
}

typedef struct joined {
	char *p;
	size_t n;
} joined;

static int join_token(void *ctx, const trawl_token *tok)
{
	joined *j = ctx;

	j->p = realloc(j->p, j->n + tok->token_len + 2);
	if (!j->p)
		exit(2);
	if (j->n)
		j->p[j->n++] = ' ';
	memcpy(j->p + j->n, tok->token, tok->token_len);
	j->n += tok->token_len;
	j->p[j->n] = '\0';
	return 0;
}

/* Replaces TEXT (IN/OUT) by its normalised tokens joined by spaces when
 * that still disagrees: an easier repro to read. */
static void plain_text(const world *like, char **title, char **body,
		       char **text, onode *t)
{
	joined j = { xstrdup(""), 0 };
	char *save = *text;

	trawl_analyze(like->an, save, strlen(save), join_token, &j);
	*text = j.p;
	if (strcmp(save, j.p) != 0 && one_differs(like, *title, *body, t)) {
		free(save);
	} else {
		*text = save;
		free(j.p);
	}
}

/* Looks for a one-document repro of a disagreement on T over document
 * (TITLE, BODY), and prints it. */
static void shrink_and_report(world *full, const char *title, size_t tlen,
			      const char *body, size_t blen, const onode *t)
{
	char *ti = xmalloc(tlen + 1), *bo = xmalloc(blen + 1);
	onode *q = on_copy(t), *s;
	char *text;
	world w;

	memcpy(ti, title ? title : "", tlen);
	ti[tlen] = '\0';
	memcpy(bo, body ? body : "", blen);
	bo[blen] = '\0';
	if (!one_differs(full, ti, bo, q)) {
		/* Needs the other documents: shrink the query only. */
		s = shrink_query(full, q);
		text = og_render(s);
		printf("    not reproduced with that document alone; "
		       "smallest query on the whole corpus: %s\n", text);
		free(text);
		on_free(s);
		goto out;
	}
	for (int round = 0; round < 3; round++) {
		if (world_one(&w, full, ti, bo) == 0) {
			s = shrink_query(&w, q);
			on_free(q);
			q = s;
		}
		world_free(&w);
		shrink_text(full, &ti, &bo, &ti, q);
		shrink_text(full, &ti, &bo, &bo, q);
	}
	plain_text(full, &ti, &bo, &ti, q);
	plain_text(full, &ti, &bo, &bo, q);
	text = og_render(q);
	printf("    minimal repro, one document:\n      {\"id\": \"r\", \"title\": ");
	print_json(stdout, ti, strlen(ti));
	printf(", \"body\": ");
	print_json(stdout, bo, strlen(bo));
	printf("}\n      query: %s\n", text);
	if (world_one(&w, full, ti, bo) == 0) {
		unsigned char m;
		eres r;

		oracle_compile(w.o, q);
		oracle_eval(w.o, q, &m);
		engine_query(&w.e, text, &r);
		printf("      oracle: %s; engine: %s", m ? "match" : "no match",
		       r.rc != TRAWL_OK ? trawl_errstr(r.rc)
		       : r.n ? "match" : "no match");
		if (r.rc == TRAWL_OK)
			printf(" (count %llu)", (unsigned long long)r.count);
		else
			printf(" (%s)", r.err.message);
		if (r.problem)
			printf(" [%s]", r.problem);
		printf("\n");
		eres_clear(&r);
	}
	world_free(&w);
	free(text);
out:
	on_free(q);
	free(ti);
	free(bo);
}

/* ---- The differential run ------------------------------------------- */

static uint64_t corpus_seed(uint64_t seed, size_t c)
{
	rng r = { seed ^ (0x5851f42d4c957f2dull * (c + 1)) };

	return or_rand(&r);
}

/* The command line that checks query QI of corpus C again, alone. */
static void print_replay(size_t c, size_t qi)
{
	printf("    replay: oracle_diff --seed %llu --docs %zu --corpora %zu "
	       "--only-corpus %zu --only-query %zu",
	       (unsigned long long)opt.seed, opt.docs, opt.corpora, c, qi);
	if (opt.family >= 0)
		printf(" --family %ld", opt.family);
	printf("\n");
}

static int check_invalid(world *w, const char *text, size_t c, size_t qi)
{
	trawl_query *q = NULL;
	trawl_error err = { 0 };
	const char *why;
	onode *p = qtext_parse(w->an, text, &why);
	size_t ncp = 0;
	int rc;

	for (const char *s = text; *s; s++)
		ncp += ((unsigned char)*s & 0xc0) != 0x80;
	if (p) {
		char *d = on_describe(p);

		printf("TEST BUG seed %llu corpus %zu query %zu: our parser "
		       "accepts the broken query %s as %s\n",
		       (unsigned long long)opt.seed, c, qi, text, d);
		free(d);
		on_free(p);
		return 1;
	}
	rc = trawl_query_parse(w->e.ix, text, &q, &err);
	trawl_query_free(q);
	if (rc == TRAWL_ESYNTAX && err.column >= 1 &&
	    (size_t)err.column <= ncp + 1)
		return 0;
	printf("MISMATCH seed %llu corpus %zu query %zu: a query SPEC 3 "
	       "rejects (%s)\n    query: %s\n    engine: %s, column %d: %s\n",
	       (unsigned long long)opt.seed, c, qi, why, text,
	       trawl_errstr(rc), err.column, err.message);
	print_replay(c, qi);
	return 1;
}

static void report(world *w, const gcorpus *gc, onode *t, const char *text,
		   const char **ids, size_t n, const eres *r, size_t c,
		   size_t qi)
{
	char *d = on_describe(t);
	const char *first = NULL;

	printf("MISMATCH seed %llu corpus %zu query %zu\n    query: %s\n",
	       (unsigned long long)opt.seed, c, qi, text);
	if (strpbrk(text, "\t\n\r\xc2\xe2\xe3")) {
		/* Other white space: show it unambiguously too. */
		printf("    query as JSON: ");
		print_json(stdout, text, strlen(text));
		printf("\n");
	}
	printf("    oracle tree: %s\n", d);
	free(d);
	if (r->rc != TRAWL_OK) {
		printf("    engine: %s (column %d): %s\n", trawl_errstr(r->rc),
		       r->err.column, r->err.message);
	} else {
		if (r->problem)
			printf("    engine API: %s\n", r->problem);
		printf("    oracle count %zu, engine count %llu (search total "
		       "%llu, foreach %zu)\n",
		       n, (unsigned long long)r->count,
		       (unsigned long long)r->total, r->n);
		print_diff("the oracle", "the engine", ids, n, r, &first);
	}
	print_replay(c, qi);
	if (first && !opt.no_shrink) {
		/* The last document added with that id is the live one. */
		for (size_t i = gc->ndocs; i-- > 0;) {
			const gdoc *g = &gc->docs[i];

			if (strcmp(g->id, first) != 0)
				continue;
			printf("    document %s: title ", g->id);
			print_json(stdout, g->title, g->tlen);
			printf(" body ");
			print_json(stdout, g->body, g->blen);
			printf("\n");
			shrink_and_report(w, g->title, g->tlen, g->body,
					  g->blen, t);
			break;
		}
	}
	fflush(stdout);
}

/* Result sizes seen, to judge the test's power: a generator whose
 * queries all match nothing (or everything) would prove little. */
static size_t n_none, n_all, n_some;

/* Corpus C of the run: english or no stemming, one or more threads, and
 * every fourth corpus carries enough distinct junk terms per document to
 * pass the builder's smallest memory budget, so that the index is built
 * from several runs merged. */
static int run_corpus(trawl_analyzer *english, size_t c, size_t *nq)
{
	uint64_t cs = corpus_seed(opt.seed, c);
	rng r = { cs };
	gcorpus gc;
	world w = { .an = english, .lang = "english", .threads = (int)(c % 3) };
	size_t junk = c % 4 == 1 ? 300 : 0;
	/* Family sizes at and around 64 and 128, powers of two an engine
	 * may use as expansion limits. */
	static const size_t family[] = { 64, 63, 65, 128, 129 };
	unsigned char *m1 = NULL, *m2 = NULL;
	const char **ids = NULL;
	trawl_error err = { 0 };
	int rc = 0;

	if (c % 4 == 3) {
		w.lang = "none";
		if (trawl_analyzer_new(w.lang, &w.an, &err) != TRAWL_OK) {
			fprintf(stderr, "oracle_diff: analyser %s: %s\n",
				w.lang, err.message);
			return 2;
		}
	}
	og_corpus(&r, opt.docs, junk,
		  opt.family >= 0 ? (size_t)opt.family : family[c % 5], &gc);
	printf("  corpus %zu: %zu docs, language %s, %d threads, fam* of "
	       "%zu%s\n", c, gc.ndocs, w.lang, w.threads, gc.family,
	       junk ? ", junk terms to force merged runs" : "");
	w.o = oracle_new(w.an);
	if (engine_begin(&w.e, w.lang, w.threads) < 0)
		goto fail;
	for (size_t i = 0; i < gc.ndocs; i++) {
		const gdoc *d = &gc.docs[i];

		oracle_add(w.o, d->id, d->title, d->tlen, d->body, d->blen);
		if (engine_add(&w.e, d->id, d->title, d->tlen, d->body,
			       d->blen) < 0)
			goto fail;
	}
	oracle_seal(w.o);
	if (engine_finish(&w.e) < 0)
		goto fail;
	m1 = xmalloc(oracle_ndocs(w.o));
	m2 = xmalloc(oracle_ndocs(w.o));
	ids = xmalloc(oracle_ndocs(w.o) * sizeof(*ids));
	if (opt.query) {
		/* One query of the user's over this corpus, read by our
		 * parser; the shrinker works on it as on a generated one. */
		const char *why;
		onode *t = qtext_parse(w.an, opt.query, &why);
		size_t n;
		eres er;

		if (!t) {
			printf("--query %s: rejected by our parser: %s\n",
			       opt.query, why);
			rc = 2;
			goto out;
		}
		(*nq)++;
		oracle_compile(w.o, t);
		oracle_eval(w.o, t, m1);
		n = oracle_ids(w.o, m1, ids);
		engine_query(&w.e, opt.query, &er);
		if (!same(ids, n, &er)) {
			report(&w, &gc, t, opt.query, ids, n, &er, c, 0);
			nfail++;
			rc = 1;
		} else {
			printf("  agree: %zu matches\n", n);
		}
		eres_clear(&er);
		on_free(t);
		goto out;
	}
	for (size_t qi = 0; qi < opt.queries && nfail < opt.max_fail; qi++) {
		onode *t = og_query(&r, &gc, w.an), *p;
		char *text = og_render(t), *bad = NULL;
		const char *why;
		int check = opt.only_query < 0 || (size_t)opt.only_query == qi;
		size_t n;
		eres er;

		/* Draws that happen whether or not this query is checked,
		 * so that a replay sees the same sequence: other white
		 * space, and every 8th query a broken one. */
		og_respace(&r, &text);
		if (qi % 8 == 7)
			bad = og_invalid(&r, text);
		if (!check)
			goto next;
		(*nq)++;
		if (opt.verbose)
			printf("  [%zu] %s\n", qi, text);
		oracle_compile(w.o, t);
		oracle_eval(w.o, t, m1);
		/* Our parser must read our rendering as our tree. */
		p = qtext_parse(w.an, text, &why);
		if (p) {
			oracle_compile(w.o, p);
			oracle_eval(w.o, p, m2);
		}
		if (!p || memcmp(m1, m2, oracle_ndocs(w.o)) != 0) {
			char *d1 = on_describe(t), *d2 = p ? on_describe(p) : NULL;

			printf("TEST BUG seed %llu corpus %zu query %zu: %s\n"
			       "    query: %s\n    generated: %s\n"
			       "    parsed:    %s\n",
			       (unsigned long long)opt.seed, c, qi,
			       p ? "render and parse disagree" : why, text, d1,
			       d2 ? d2 : "-");
			free(d1);
			free(d2);
			nfail++;
			rc = 1;
		}
		on_free(p);
		n = oracle_ids(w.o, m1, ids);
		if (n == 0)
			n_none++;
		else if (n == oracle_ndocs(w.o))
			n_all++;
		else
			n_some++;
		engine_query(&w.e, text, &er);
		if (!same(ids, n, &er)) {
			report(&w, &gc, t, text, ids, n, &er, c, qi);
			nfail++;
			rc = 1;
		}
		eres_clear(&er);
		if (bad && check_invalid(&w, bad, c, qi)) {
			nfail++;
			rc = 1;
		}
next:
		free(bad);
		free(text);
		on_free(t);
	}
	goto out;
fail:
	rc = 2;
out:
	free(m1);
	free(m2);
	free(ids);
	oracle_free(w.o);
	engine_close(&w.e);
	og_corpus_free(&gc);
	if (w.an != english)
		trawl_analyzer_free(w.an);
	return rc;
}

static int run_diff(trawl_analyzer *an)
{
	struct timespec t0, t1;
	size_t nq = 0;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("oracle_diff: seed %llu, %zu corpora x %zu docs x %zu queries\n",
	       (unsigned long long)opt.seed, opt.corpora, opt.docs,
	       opt.queries);
	fflush(stdout);
	for (size_t c = 0; c < opt.corpora && nfail < opt.max_fail; c++) {
		int r;

		if (opt.only_corpus >= 0 && (size_t)opt.only_corpus != c)
			continue;
		r = run_corpus(an, c, &nq);
		if (r > rc)
			rc = r;
		if (r == 2)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("oracle_diff: %zu queries (matching no document %zu, every "
	       "document %zu, some %zu), %zu failures, %.1f s\n", nq, n_none,
	       n_all, n_some, nfail,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return rc;
}

/* ---- Conformance vectors -------------------------------------------- */

/* Reads FILE line by line; FN gets each non-empty line. */
static int each_line(const char *path, int (*fn)(void *, const char *, size_t),
		     void *ctx)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && strspn(line, " \t\r\n") == (size_t)len)
			continue;
		rc |= fn(ctx, line, lineno);
	}
	free(line);
	fclose(f);
	return rc;
}

typedef struct conf {
	world w;
	const char *file;
	size_t engine_bad, oracle_bad, parser_bad, nq, ncol;
} conf;

static int conf_doc(void *ctx, const char *line, size_t lineno)
{
	static const char *const keys[] = { "id", "title", "body" };
	conf *cf = ctx;
	jval v[3];

	if (oj_object(line, keys, v, 3) < 0 || v[0].type != 's') {
		fprintf(stderr, "conformance: %s:%zu: not a document\n",
			cf->file, lineno);
		return 0;
	}
	oracle_add(cf->w.o, v[0].s, v[1].type == 's' ? v[1].s : NULL,
		   v[1].slen, v[2].type == 's' ? v[2].s : NULL, v[2].slen);
	for (int i = 0; i < 3; i++)
		oj_clear(&v[i]);
	return 0;
}

static int conf_match(void *ctx, const char *line, size_t lineno)
{
	static const char *const keys[] = { "query", "count", "ids" };
	conf *cf = ctx;
	size_t nd = oracle_ndocs(cf->w.o), n;
	unsigned char *m = xmalloc(nd);
	const char **ids = xmalloc(nd * sizeof(char *));
	const char *why;
	onode *p;
	eres want, er;
	jval v[3];

	if (oj_object(line, keys, v, 3) < 0 || v[0].type != 's' ||
	    v[1].type != 'n' || v[2].type != 'a') {
		fprintf(stderr, "conformance: %s:%zu: unreadable\n", cf->file,
			lineno);
		cf->engine_bad++;
		free(m);
		free(ids);
		return 1;
	}
	cf->nq++;
	/* The expected answer, in the engine-result shape for same(). */
	memset(&want, 0, sizeof(want));
	want.ids = v[2].arr;
	want.n = v[2].narr;
	want.count = (uint64_t)v[1].num;
	if (want.n)
		qsort(want.ids, want.n, sizeof(char *), cmp_strp);

	engine_query(&cf->w.e, v[0].s, &er);
	if (!same((const char **)want.ids, want.n, &er) ||
	    want.count != want.n) {
		const char *first;

		printf("CONFORMANCE engine: matches.jsonl:%zu query %s\n",
		       lineno, v[0].s);
		if (er.rc != TRAWL_OK)
			printf("    engine: %s (column %d): %s\n",
			       trawl_errstr(er.rc), er.err.column,
			       er.err.message);
		else
			printf("    expected count %llu, engine count %llu%s%s\n",
			       (unsigned long long)want.count,
			       (unsigned long long)er.count,
			       er.problem ? "; " : "",
			       er.problem ? er.problem : "");
		print_diff("the vectors", "the engine",
			   (const char **)want.ids, want.n, &er, &first);
		cf->engine_bad++;
	}
	eres_clear(&er);

	/* The oracle, through our own parser, on the same vector. */
	p = qtext_parse(cf->w.an, v[0].s, &why);
	if (!p) {
		printf("CONFORMANCE oracle: matches.jsonl:%zu our parser "
		       "rejects %s: %s\n", lineno, v[0].s, why);
		cf->oracle_bad++;
	} else {
		oracle_compile(cf->w.o, p);
		oracle_eval(cf->w.o, p, m);
		n = oracle_ids(cf->w.o, m, ids);
		er.ids = (char **)ids;
		er.n = n;
		er.count = n;
		er.rc = TRAWL_OK;
		er.problem = NULL;
		if (!same((const char **)want.ids, want.n, &er)) {
			char *d = on_describe(p);
			const char *first;

			printf("CONFORMANCE oracle: matches.jsonl:%zu query %s\n"
			       "    our tree: %s\n", lineno, v[0].s, d);
			free(d);
			print_diff("the vectors", "our oracle",
				   (const char **)want.ids, want.n, &er,
				   &first);
			cf->oracle_bad++;
		}
		on_free(p);
	}
	for (int i = 0; i < 3; i++)
		oj_clear(&v[i]);
	free(m);
	free(ids);
	return 0;
}

static int conf_query(void *ctx, const char *line, size_t lineno)
{
	static const char *const keys[] = { "query", "accepted", "column" };
	conf *cf = ctx;
	trawl_query *q = NULL;
	trawl_error err = { 0 };
	const char *why = NULL;
	onode *p;
	jval v[3];
	int rc, want;

	if (oj_object(line, keys, v, 3) < 0 || v[0].type != 's' ||
	    v[1].type != 'b') {
		fprintf(stderr, "conformance: %s:%zu: unreadable\n", cf->file,
			lineno);
		return 1;
	}
	want = (int)v[1].num;
	rc = trawl_query_parse(cf->w.e.ix, v[0].s, &q, &err);
	trawl_query_free(q);
	if ((rc == TRAWL_OK) != want || (!want && rc != TRAWL_ESYNTAX)) {
		printf("CONFORMANCE engine: queries.jsonl:%zu %s should be %s,"
		       " engine: %s %s\n", lineno, v[0].s,
		       want ? "accepted" : "rejected", trawl_errstr(rc),
		       err.message);
		cf->engine_bad++;
	} else if (!want && v[2].type == 'n' && err.column != (int)v[2].num) {
		/* SPEC: the same column "or one that points at the same
		 * mistake": worth a look, not a failure. */
		printf("  note: queries.jsonl:%zu %s: column %d, vectors say "
		       "%d (%s)\n", lineno, v[0].s, err.column, (int)v[2].num,
		       err.message);
		cf->ncol++;
	}
	p = qtext_parse(cf->w.an, v[0].s, &why);
	if ((p != NULL) != want) {
		printf("CONFORMANCE oracle parser: queries.jsonl:%zu %s should "
		       "be %s (%s)\n", lineno, v[0].s,
		       want ? "accepted" : "rejected", why ? why : "accepted");
		cf->parser_bad++;
	}
	on_free(p);
	for (int i = 0; i < 3; i++)
		oj_clear(&v[i]);
	return 0;
}

static int run_conformance(trawl_analyzer *an)
{
	char corpus[OD_PATH], matches[OD_PATH], queries[OD_PATH];
	const char *dir = opt.conformance;
	char buf[OD_PATH];
	trawl_input *in = NULL;
	trawl_error err = { 0 };
	conf cf;
	int rc;

	if (!dir) {
		const char *sh = getenv("TRAWL_SHARED");

		if (!sh || !*sh) {
			printf("conformance: skipped (TRAWL_SHARED not set)\n");
			return 0;
		}
		path_join(buf, sizeof(buf), sh, "conformance");
		dir = buf;
	}
	path_join(corpus, sizeof(corpus), dir, "corpus.jsonl");
	path_join(matches, sizeof(matches), dir, "matches.jsonl");
	path_join(queries, sizeof(queries), dir, "queries.jsonl");
	if (access(corpus, R_OK) != 0 || access(matches, R_OK) != 0) {
		printf("conformance: skipped (no %s and %s)\n", corpus,
		       matches);
		return 0;
	}
	memset(&cf, 0, sizeof(cf));
	cf.w.an = an;
	cf.w.o = oracle_new(an);
	cf.file = corpus;
	/* The oracle reads the corpus with its own JSON reader; the engine
	 * with trawl_input, as the indexer does. */
	if (each_line(corpus, conf_doc, &cf) < 0) {
		fprintf(stderr, "conformance: cannot read %s\n", corpus);
		goto fail;
	}
	oracle_seal(cf.w.o);
	cf.w.lang = "english";
	cf.w.threads = 0;
	if (engine_begin(&cf.w.e, cf.w.lang, cf.w.threads) < 0)
		goto fail;
	rc = trawl_input_open(corpus, &in, &err);
	if (rc != TRAWL_OK) {
		fprintf(stderr, "conformance: trawl_input_open: %s: %s\n",
			trawl_errstr(rc), err.message);
		goto fail;
	}
	for (;;) {
		trawl_doc d;

		rc = trawl_input_next(in, &d, &err);
		if (rc == 0)
			break;
		if (rc == TRAWL_EINPUT) {
			fprintf(stderr, "conformance: %s\n", err.message);
			continue;
		}
		if (rc < 0) {
			fprintf(stderr, "conformance: trawl_input_next: %s: %s\n",
				trawl_errstr(rc), err.message);
			goto fail;
		}
		rc = trawl_builder_add(cf.w.e.b, &d, &err);
		if (rc < 0) {
			fprintf(stderr, "conformance: trawl_builder_add: %s: %s\n",
				trawl_errstr(rc), err.message);
			goto fail;
		}
	}
	trawl_input_close(in);
	in = NULL;
	if (engine_finish(&cf.w.e) < 0)
		goto fail;
	cf.file = matches;
	each_line(matches, conf_match, &cf);
	if (access(queries, R_OK) == 0) {
		cf.file = queries;
		each_line(queries, conf_query, &cf);
	}
	printf("conformance: %zu queries; engine %zu wrong, oracle %zu wrong,"
	       " oracle parser %zu wrong; %zu column notes\n", cf.nq,
	       cf.engine_bad, cf.oracle_bad, cf.parser_bad, cf.ncol);
	oracle_free(cf.w.o);
	engine_close(&cf.w.e);
	return cf.engine_bad || cf.oracle_bad || cf.parser_bad;
fail:
	trawl_input_close(in);
	oracle_free(cf.w.o);
	engine_close(&cf.w.e);
	return 2;
}

/* ---- Self-test: the oracle and our parser on hand-worked cases ------ */

#define LONGX "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static const struct {
	const char *id, *title, *body;
} st_docs[] = {
	{ "s1", "Tren de Aragua", "Venezuelan authorities are probably not "
	  "directing the gang known as Tren de Aragua." },
	{ "s2", "Oil prices", "OPEC said oil prices fell, and gas prices rose." },
	{ "s3", "", "Nicolás Maduro's regime directed it; Trump’s team isn't sure." },
	{ "s4", "Gas", "oil x x x x x x x x x x x gas" },
	{ "s5", "oil gas", "" },
	{ "s6", "U.S. spy", "The U.S. said oil NEAR gas" },
	{ "s7", "oil " LONGX " gas", "direct direction directs" },
};

static onode *W(const char *s) { return on_leaf(O_WORD, s); }
static onode *PH(const char *s) { return on_leaf(O_PHRASE, s); }
static onode *PX(const char *s) { return on_leaf(O_PREFIX, s); }
static onode *T(onode *n) { return on_field(OF_TITLE, n); }
static onode *B(onode *n) { return on_field(OF_BODY, n); }
static onode *NR(uint64_t k, onode *a, onode *b) { return on_bin(O_NEAR, k, a, b); }
static onode *AJ(uint64_t k, onode *a, onode *b) { return on_bin(O_ADJ, k, a, b); }
static onode *L2(okind k, onode *a, onode *b) { return on_add(on_add(on_new(k), a), b); }

static int self_test(trawl_analyzer *an)
{
	/* Trees with the ids SPEC 2-3 give on st_docs, worked by hand. */
	struct {
		onode *t;
		const char *want;
	} cases[] = {
		{ W("oil"), "s2 s4 s5 s6 s7" },
		{ T(W("oil")), "s2 s5 s7" },
		{ PH("tren de aragua"), "s1" },
		{ PH("de aragua tren"), "" },
		{ W("directed"), "s1 s3 s7" },            /* stem direct */
		{ PX("direct"), "s1 s3 s7" },
		{ PX("directi"), "" },                    /* unstemmed prefix,
							     stemmed terms */
		{ NR(10, W("oil"), W("gas")), "s2 s5 s6 s7" }, /* s4: 11 between */
		{ NR(11, W("oil"), W("gas")), "s2 s4 s5 s6 s7" },
		{ AJ(10, W("gas"), W("oil")), "" },       /* s4: two fields */
		{ AJ(0, W("oil"), W("gas")), "s5" },      /* s7: long token between */
		{ NR(0, W("gas"), W("oil")), "s5" },
		{ PH("oil gas"), "s5" },
		{ PH("oil " LONGX " gas"), "" },          /* no term: nothing */
		{ W(LONGX), "" },
		{ NR(0, PH("tren de"), W("aragua")), "s1" },
		{ NR(5, PH("tren de"), W("de")), "" },     /* overlap */
		{ NR(0, PH("de aragua"), W("tren")), "s1" },
		{ AJ(0, PH("de aragua"), W("tren")), "" },
		{ NR(1, NR(0, W("oil"), W("prices")), W("fell")), "s2" },
		{ NR(0, NR(1, W("oil"), W("fell")), W("gas")), "" },
		{ NR(1, NR(1, W("oil"), W("fell")), W("gas")), "s2" },
		{ AJ(1, W("said"), NR(1, W("fell"), W("oil"))), "s2" },
		{ AJ(0, W("said"), NR(1, W("fell"), W("oil"))), "s2" },
		{ AJ(0, W("opec"), NR(1, W("fell"), W("oil"))), "" },
		{ L2(O_AND, W("oil"), on_neg(T(W("gas")))), "s2 s6" },
		{ L2(O_AND, on_neg(W("gas")), W("direct")), "s1 s3" },
		{ L2(O_OR, PH("tren de aragua"), W("isn't")), "s1 s3" },
		{ W("Trump's"), "s3" },
		{ W("trump"), "s3" },
		{ W("nicolas"), "s3" },
		{ PX("nicolá"), "s3" },
		{ PX("nicolas"), "" },                    /* stem is nicola */
		{ W("u.s."), "s6" },
		{ AJ(0, W("u.s."), W("said")), "s6" },
		{ T(B(W("oil"))), "" },
		{ T(L2(O_OR, W("oil"), W("spy"))), "s2 s5 s6 s7" },
		{ NR(5, T(W("oil")), W("gas")), "s5 s7" },
		{ NR(10, L2(O_OR, W("tren"), W("opec")), W("aragua")), "s1" },
		{ L2(O_AND, W("oil"), W("&")), "s2 s4 s5 s6 s7" },
		{ W("NEAR"), "s6" },
		{ AJ(UINT64_MAX, W("oil"), W("gas")), "s2 s4 s5 s6 s7" },
		{ B(AJ(UINT64_MAX, W("oil"), W("gas"))), "s2 s4 s6" },
		{ T(L2(O_AND, W("oil"), on_neg(W("gas")))), "s2" },
		{ L2(O_AND, T(W("gas")), on_neg(B(W("gas")))), "s5 s7" },
	};
	/* Query text and the tree our parser must read. */
	static const struct {
		const char *text, *tree;
	} parses[] = {
		{ "oil", "(WORD oil)" },
		{ "a b", "(AND (WORD a) (WORD b))" },
		{ "a OR b c", "(OR (WORD a) (AND (WORD b) (WORD c)))" },
		{ "-a NEAR b c",
		  "(AND (NOT (NEAR/10 (WORD a) (WORD b))) (WORD c))" },
		{ "a NEAR/3 b ADJ c",
		  "(ADJ/10 (NEAR/3 (WORD a) (WORD b)) (WORD c))" },
		{ "title:(a OR b) NEAR/05 c",
		  "(NEAR/5 (title: (OR (WORD a) (WORD b))) (WORD c))" },
		{ "\"a OR -b title:c\"", "(PHRASE a OR -b title:c)" },
		{ "“a \"b”", "(PHRASE a \"b)" },
		{ "a AND NOT b", "(AND (WORD a) (NOT (WORD b)))" },
		{ "a AND -b", "(AND (WORD a) (NOT (WORD b)))" },
		{ "-a b", "(AND (NOT (WORD a)) (WORD b))" },
		{ "oil near/3 gas", "(AND (WORD oil) (WORD near/3) (WORD gas))" },
		{ "Title:oil", "(WORD Title:oil)" },
		{ "a-b -c", "(AND (WORD a-b) (NOT (WORD c)))" },
		{ "-title:(a b) c",
		  "(AND (NOT (title: (AND (WORD a) (WORD b)))) (WORD c))" },
		{ "di* NEAR/99999999999999999999999 x",
		  "(NEAR/18446744073709551615 (PREFIX di) (WORD x))" },
		{ "a NEAR (b NEAR c)",
		  "(NEAR/10 (WORD a) (NEAR/10 (WORD b) (WORD c)))" },
		{ "(a)", "(WORD a)" },
		{ "a\u3000b", "(AND (WORD a) (WORD b))" },
		{ "a(b)", "(AND (WORD a) (WORD b))" },
	};
	static const char *const rejects[] = {
		"", "&", "()", "\"\"", "-a", "a OR -b", "a (-b)", "--a",
		"a NOT -b", "title:-a", "- a", "title: x", "*", "&*", "U.S*",
		"a NEAR", "NEAR a", "a NEAR/x b", "a NEAR/ b", "a NEAR/-1 b",
		"a NEAR/5b b", "(a b) NEAR c", "a NEAR (b -c)", "a NEAR &",
		"\"a", "“a\"", "(a", "a)", "a OR", "a AND", "a NOT",
	};
	oracle *o = oracle_new(an);
	size_t nst = sizeof(st_docs) / sizeof(st_docs[0]);
	unsigned char m[sizeof(st_docs) / sizeof(st_docs[0])];
	int bad = 0;

	for (size_t i = 0; i < nst; i++)
		oracle_add(o, st_docs[i].id, st_docs[i].title,
			   strlen(st_docs[i].title), st_docs[i].body,
			   strlen(st_docs[i].body));
	oracle_seal(o);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[256] = "";

		oracle_compile(o, cases[i].t);
		oracle_eval(o, cases[i].t, m);
		for (size_t d = 0; d < nst; d++)
			if (m[d])
				snprintf(got + strlen(got),
					 sizeof(got) - strlen(got), "%s%s",
					 got[0] ? " " : "", st_docs[d].id);
		if (strcmp(got, cases[i].want) != 0) {
			char *desc = on_describe(cases[i].t);

			printf("SELF-TEST oracle case %zu %s: got \"%s\", want "
			       "\"%s\"\n", i, desc, got, cases[i].want);
			free(desc);
			bad++;
		}
		on_free(cases[i].t);
	}
	oracle_free(o);
	for (size_t i = 0; i < sizeof(parses) / sizeof(parses[0]); i++) {
		const char *why = NULL;
		onode *p = qtext_parse(an, parses[i].text, &why);
		char *desc = p ? on_describe(p) : NULL;

		if (!desc || strcmp(desc, parses[i].tree) != 0) {
			printf("SELF-TEST parser: %s: got %s, want %s\n",
			       parses[i].text, desc ? desc : why,
			       parses[i].tree);
			bad++;
		}
		free(desc);
		on_free(p);
	}
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		const char *why = NULL;
		onode *p = qtext_parse(an, rejects[i], &why);

		if (p) {
			char *desc = on_describe(p);

			printf("SELF-TEST parser: %s should be rejected, got "
			       "%s\n", rejects[i], desc);
			free(desc);
			bad++;
		}
		on_free(p);
	}
	/* The generator's own queries must read back as generated. */
	{
		rng r = { 7 };
		gcorpus gc;

		og_corpus(&r, 20, 0, 5, &gc);
		for (int i = 0; i < 300; i++) {
			onode *t = og_query(&r, &gc, an);
			char *text = og_render(t), *bad_text = og_invalid(&r, text);
			const char *why;
			onode *p = qtext_parse(an, text, &why);
			onode *pb = qtext_parse(an, bad_text, &why);

			if (!p) {
				printf("SELF-TEST generator: our parser "
				       "rejects %s: %s\n", text, why);
				bad++;
			}
			if (pb) {
				printf("SELF-TEST generator: our parser "
				       "accepts broken %s\n", bad_text);
				bad++;
			}
			on_free(p);
			on_free(pb);
			on_free(t);
			free(text);
			free(bad_text);
		}
		og_corpus_free(&gc);
	}
	printf("self-test: %s\n", bad ? "FAILED" : "ok");
	return bad ? 1 : 0;
}

/* ---- main ----------------------------------------------------------- */

static int num(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return (errno || end == s || *end) ? -1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: oracle_diff [--seed N] [--corpora N] [--docs N] "
		"[--queries N]\n"
		"                   [--only-corpus C] [--only-query Q] "
		"[--max-fail N]\n"
		"                   [--conformance DIR | --no-conformance] "
		"[--no-diff]\n"
		"                   [--self-test] [--no-shrink] [-v] "
		"[--query TEXT] [--family N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	trawl_analyzer *an = NULL;
	trawl_error err = { 0 };
	int rc = 0, r;

	/* every search that may use threads splits, however small */
	tr_search_split_work = 0;
	/* and every build with threads deals its documents to two lanes
	 * under the 4 MiB budget, which then spill runs every few
	 * documents, merged lane by lane, then interleaved */
	tr_lane_min_budget = (size_t)1 << 20;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t v = 0;

		if (!strcmp(a, "--no-conformance"))
			opt.no_conformance = 1;
		else if (!strcmp(a, "--no-diff"))
			opt.no_diff = 1;
		else if (!strcmp(a, "--self-test"))
			opt.self_test_only = 1;
		else if (!strcmp(a, "--no-shrink"))
			opt.no_shrink = 1;
		else if (!strcmp(a, "-v"))
			opt.verbose = 1;
		else if (i + 1 >= argc)
			usage();
		else if (!strcmp(a, "--conformance"))
			opt.conformance = argv[++i];
		else if (!strcmp(a, "--query"))
			opt.query = argv[++i];
		else if (num(argv[i + 1], &v) < 0)
			usage();
		else if (++i, !strcmp(a, "--seed"))
			opt.seed = v;
		else if (!strcmp(a, "--corpora"))
			opt.corpora = (size_t)v;
		else if (!strcmp(a, "--docs"))
			opt.docs = (size_t)v;
		else if (!strcmp(a, "--queries"))
			opt.queries = (size_t)v;
		else if (!strcmp(a, "--only-corpus"))
			opt.only_corpus = (long)v;
		else if (!strcmp(a, "--only-query"))
			opt.only_query = (long)v;
		else if (!strcmp(a, "--max-fail"))
			opt.max_fail = (size_t)v;
		else if (!strcmp(a, "--family"))
			opt.family = (long)v;
		else
			usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = trawl_analyzer_new("english", &an, &err);
	if (r != TRAWL_OK) {
		fprintf(stderr, "oracle_diff: trawl_analyzer_new: %s: %s\n",
			trawl_errstr(r), err.message);
		return 2;
	}
	rc = self_test(an);
	if (!opt.self_test_only) {
		if (!opt.no_diff) {
			r = run_diff(an);
			rc = r > rc ? r : rc;
		}
		if (!opt.no_conformance) {
			r = run_conformance(an);
			rc = r > rc ? r : rc;
		}
	}
	trawl_analyzer_free(an);
	printf("oracle_diff: %s\n", rc == 0 ? "ok" : rc == 1 ? "FAILED"
					      : "could not run");
	return rc;
}
