/*
 * oracle.c -- a slow, obviously-right matcher written from SPEC sections
 * 2-4.  Every document is kept in memory as two arrays of term ids (title
 * and body: separate position spaces).  A query tree is evaluated by brute
 * force: a leaf's occurrences are found by scanning every position, a
 * NEAR/ADJ tries every pair of operand occurrences, and AND/OR/NOT work on
 * whole documents.  Speed is not a goal; being checkable line by line
 * against the SPEC is.
 *
 * Use: oracle_new, oracle_add*, oracle_seal, (oracle_compile,
 * oracle_eval)*, oracle_free.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "oracle: out of memory\n");
		exit(2);
	}
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

/* ---- Trees ---------------------------------------------------------- */

onode *on_new(okind kind)
{
	onode *n = xmalloc(sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->kind = kind;
	return n;
}

onode *on_leaf(okind kind, const char *text)
{
	onode *n = on_new(kind);

	n->text = xstrndup(text, strlen(text));
	return n;
}

onode *on_add(onode *parent, onode *kid)
{
	parent->kids = xrealloc(parent->kids,
				(parent->nkids + 1) * sizeof(*parent->kids));
	parent->kids[parent->nkids++] = kid;
	return parent;
}

onode *on_field(int field, onode *kid)
{
	onode *n = on_new(O_FIELD);

	n->field = field;
	return on_add(n, kid);
}

onode *on_bin(okind kind, uint64_t k, onode *a, onode *b)
{
	onode *n = on_new(kind);

	n->k = k;
	on_add(n, a);
	return on_add(n, b);
}

onode *on_neg(onode *n)
{
	n->neg = 1;
	return n;
}

void on_free(onode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		on_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n->tids);
	free(n->pok);
	free(n);
}

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const char *s)
{
	size_t len = strlen(s);

	if (b->n + len + 1 > b->cap) {
		b->cap = (b->n + len + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, len + 1);
	b->n += len;
}

static void describe(sbuf *b, const onode *n)
{
	static const char *names[] = { "WORD", "PHRASE", "PREFIX", "FIELD",
				       "AND", "OR", "NEAR", "ADJ" };
	char num[32];

	if (n->neg)
		sb_put(b, "(NOT ");
	sb_put(b, "(");
	switch (n->kind) {
	case O_FIELD:
		sb_put(b, n->field == OF_TITLE ? "title:" : "body:");
		break;
	case O_NEAR:
	case O_ADJ:
		snprintf(num, sizeof(num), "/%llu", (unsigned long long)n->k);
		sb_put(b, names[n->kind]);
		sb_put(b, num);
		break;
	default:
		sb_put(b, names[n->kind]);
	}
	if (n->text) {
		sb_put(b, " ");
		sb_put(b, n->text);
	}
	for (size_t i = 0; i < n->nkids; i++) {
		sb_put(b, " ");
		describe(b, n->kids[i]);
	}
	sb_put(b, ")");
	if (n->neg)
		sb_put(b, ")");
}

char *on_describe(const onode *n)
{
	sbuf b = { 0 };

	sb_put(&b, "");
	describe(&b, n);
	return b.p;
}

/* ---- Documents ------------------------------------------------------ */

typedef struct odoc {
	char *id;
	char *text[2];     /* title, body */
	size_t len[2];
	size_t ntok[2];
	int *tid[2];       /* term id per position; -1: token not indexed */
	char **tmp[2];     /* terms while sealing */
} odoc;

struct oracle {
	trawl_analyzer *an;
	odoc *docs;
	size_t ndocs, cap;
	char **terms;      /* every indexed term, sorted, unique */
	size_t nterms;
};

oracle *oracle_new(trawl_analyzer *an)
{
	oracle *o = xmalloc(sizeof(*o));

	memset(o, 0, sizeof(*o));
	o->an = an;
	return o;
}

static void doc_clear(odoc *d)
{
	for (int f = 0; f < 2; f++) {
		free(d->text[f]);
		free(d->tid[f]);
		d->text[f] = NULL;
		d->tid[f] = NULL;
	}
}

void oracle_free(oracle *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->ndocs; i++) {
		doc_clear(&o->docs[i]);
		free(o->docs[i].id);
	}
	for (size_t i = 0; i < o->nterms; i++)
		free(o->terms[i]);
	free(o->terms);
	free(o->docs);
	free(o);
}

void oracle_add(oracle *o, const char *id, const char *title, size_t tlen,
		const char *body, size_t blen)
{
	odoc *d = NULL;

	for (size_t i = 0; i < o->ndocs; i++)
		if (strcmp(o->docs[i].id, id) == 0)
			d = &o->docs[i];
	if (d) {
		doc_clear(d);
	} else {
		if (o->ndocs == o->cap) {
			o->cap = o->cap ? o->cap * 2 : 64;
			o->docs = xrealloc(o->docs, o->cap * sizeof(*o->docs));
		}
		d = &o->docs[o->ndocs++];
		memset(d, 0, sizeof(*d));
		d->id = xstrndup(id, strlen(id));
	}
	d->text[0] = xstrndup(title ? title : "", title ? tlen : 0);
	d->len[0] = title ? tlen : 0;
	d->text[1] = xstrndup(body ? body : "", body ? blen : 0);
	d->len[1] = body ? blen : 0;
}

size_t oracle_ndocs(const oracle *o)
{
	return o->ndocs;
}

const char *oracle_id(const oracle *o, size_t i)
{
	return o->docs[i].id;
}

/* Collects the analysed tokens of a text: normalised token and term
 * (NULL when the token is not indexed, SPEC 2.4). */
typedef struct toks {
	char **tok, **term;
	size_t n, cap;
} toks;

static int collect(void *ctx, const trawl_token *t)
{
	toks *v = ctx;

	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->tok = xrealloc(v->tok, v->cap * sizeof(*v->tok));
		v->term = xrealloc(v->term, v->cap * sizeof(*v->term));
	}
	/* Positions are 0, 1, 2, ...: the n-th callback is position n.
	 * Checked, since the oracle relies on it. */
	if (t->position != v->n) {
		fprintf(stderr, "oracle: analyser gave position %u for token %zu\n",
			t->position, v->n);
		exit(2);
	}
	v->tok[v->n] = xstrndup(t->token, t->token_len);
	v->term[v->n] = t->term ? xstrndup(t->term, t->term_len) : NULL;
	v->n++;
	return 0;
}

static void analyze(trawl_analyzer *an, const char *text, size_t len, toks *v)
{
	memset(v, 0, sizeof(*v));
	if (trawl_analyze(an, text, len, collect, v) != TRAWL_OK) {
		fprintf(stderr, "oracle: trawl_analyze failed\n");
		exit(2);
	}
}

static void toks_free(toks *v, int keep_terms)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->tok[i]);
		if (!keep_terms)
			free(v->term[i]);
	}
	free(v->tok);
	if (!keep_terms)
		free(v->term);
}

size_t oracle_ntokens(trawl_analyzer *an, const char *text, char **first)
{
	toks v;
	size_t n;

	analyze(an, text, strlen(text), &v);
	n = v.n;
	if (first)
		*first = n ? xstrndup(v.tok[0], strlen(v.tok[0])) : NULL;
	toks_free(&v, 0);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Term id of S, or -1 when no document has it. */
static int term_id(const oracle *o, const char *s)
{
	char *const *hit;

	if (!s || !o->nterms)
		return -1;
	hit = bsearch(&s, o->terms, o->nterms, sizeof(*o->terms), cmp_str);
	return hit ? (int)(hit - o->terms) : -1;
}

void oracle_seal(oracle *o)
{
	size_t total = 0, n = 0;
	char **all;

	for (size_t i = 0; i < o->ndocs; i++) {
		odoc *d = &o->docs[i];

		for (int f = 0; f < 2; f++) {
			toks v;

			analyze(o->an, d->text[f], d->len[f], &v);
			d->ntok[f] = v.n;
			d->tmp[f] = v.term;
			toks_free(&v, 1);
			total += d->ntok[f];
		}
	}
	/* The set of indexed terms: what a prefix can expand to. */
	all = xmalloc(total * sizeof(*all));
	for (size_t i = 0; i < o->ndocs; i++)
		for (int f = 0; f < 2; f++)
			for (size_t p = 0; p < o->docs[i].ntok[f]; p++)
				if (o->docs[i].tmp[f][p])
					all[n++] = o->docs[i].tmp[f][p];
	qsort(all, n, sizeof(*all), cmp_str);
	for (size_t i = 0; i < o->nterms; i++)
		free(o->terms[i]);
	o->terms = xrealloc(o->terms, n * sizeof(*o->terms));
	o->nterms = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(all[i], all[i - 1]) != 0)
			o->terms[o->nterms++] = xstrndup(all[i], strlen(all[i]));
	free(all);
	for (size_t i = 0; i < o->ndocs; i++) {
		odoc *d = &o->docs[i];

		for (int f = 0; f < 2; f++) {
			free(d->tid[f]);
			d->tid[f] = xmalloc(d->ntok[f] * sizeof(int));
			for (size_t p = 0; p < d->ntok[f]; p++) {
				d->tid[f][p] = term_id(o, d->tmp[f][p]);
				free(d->tmp[f][p]);
			}
			free(d->tmp[f]);
			d->tmp[f] = NULL;
		}
	}
}

/* ---- Compiling leaves ----------------------------------------------- */

void oracle_compile(oracle *o, onode *n)
{
	n->compiled = 1;
	for (size_t i = 0; i < n->nkids; i++)
		oracle_compile(o, n->kids[i]);
	if (n->kind != O_WORD && n->kind != O_PHRASE && n->kind != O_PREFIX)
		return;
	toks v;

	free(n->tids);
	free(n->pok);
	n->tids = NULL;
	n->pok = NULL;
	analyze(o->an, n->text, strlen(n->text), &v);
	n->ntok = v.n;
	if (n->kind == O_PREFIX) {
		/* Any indexed term starting with the normalised, unstemmed
		 * prefix text (SPEC 3).  The prefix is one token; the
		 * generator and parser never make another. */
		n->pok = xmalloc(o->nterms ? o->nterms : 1);
		memset(n->pok, 0, o->nterms ? o->nterms : 1);
		if (v.n == 1) {
			size_t plen = strlen(v.tok[0]), lo = 0, hi = o->nterms;

			/* The terms are sorted, so those that start with
			 * the prefix are the run from the first one not
			 * below it. */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;

				if (strcmp(o->terms[mid], v.tok[0]) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t t = lo; t < o->nterms &&
			     strncmp(o->terms[t], v.tok[0], plen) == 0; t++)
				n->pok[t] = 1;
		}
	} else {
		/* A word is its stem; a word or phrase of several tokens is
		 * the stems at consecutive positions.  A token with no term
		 * (over 64 bytes) or a term no document has matches
		 * nothing: id -1. */
		n->tids = xmalloc(v.n * sizeof(int));
		for (size_t i = 0; i < v.n; i++)
			n->tids[i] = term_id(o, v.term[i]);
	}
	toks_free(&v, 0);
}

/* ---- Evaluation ----------------------------------------------------- */

typedef struct span {
	uint32_t s, e;   /* first and last position, inclusive */
} span;

typedef struct spans {
	span *v;
	size_t n, cap;
} spans;

static void sp_push(spans *l, uint32_t s, uint32_t e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].s = s;
	l->v[l->n].e = e;
	l->n++;
}

static int cmp_span(const void *a, const void *b)
{
	const span *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->e != y->e)
		return x->e < y->e ? -1 : 1;
	return 0;
}

/* Sorts and drops duplicates, so that chained NEARs stay small. */
static void sp_unique(spans *l)
{
	size_t w = 0;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp_span);
	for (size_t i = 0; i < l->n; i++)
		if (w == 0 || cmp_span(&l->v[i], &l->v[w - 1]) != 0)
			l->v[w++] = l->v[i];
	l->n = w;
}

static int is_leaf(const onode *n)
{
	return n->kind == O_WORD || n->kind == O_PHRASE || n->kind == O_PREFIX;
}

/* A leaf whose text has no token (`&`, `""`) is ignored like punctuation
 * (SPEC 3.1); so is a field restriction of one. */
static int is_void(const onode *n)
{
	if (is_leaf(n))
		return n->ntok == 0;
	if (n->kind == O_FIELD)
		return is_void(n->kids[0]);
	return 0;
}

/* Occurrences of N in field F (0 title, 1 body) of D, restricted to the
 * fields in MASK, appended to OUT. */
static void occ(const onode *n, const odoc *d, int mask, int f, spans *out)
{
	const int *tid = d->tid[f];
	size_t len = d->ntok[f];

	if (!(mask & (1 << f)))
		return;
	switch (n->kind) {
	case O_WORD:
	case O_PHRASE:
		assert(n->ntok > 0);
		for (size_t p = 0; p + n->ntok <= len; p++) {
			size_t i = 0;

			while (i < n->ntok && n->tids[i] >= 0 &&
			       tid[p + i] == n->tids[i])
				i++;
			if (i == n->ntok)
				sp_push(out, (uint32_t)p,
					(uint32_t)(p + n->ntok - 1));
		}
		break;
	case O_PREFIX:
		for (size_t p = 0; p < len; p++)
			if (tid[p] >= 0 && n->pok[tid[p]])
				sp_push(out, (uint32_t)p, (uint32_t)p);
		break;
	case O_FIELD:
		occ(n->kids[0], d, mask & n->field, f, out);
		break;
	case O_OR:
		for (size_t i = 0; i < n->nkids; i++)
			occ(n->kids[i], d, mask, f, out);
		break;
	case O_NEAR:
	case O_ADJ: {
		spans a = { 0 }, b = { 0 };

		occ(n->kids[0], d, mask, f, &a);
		occ(n->kids[1], d, mask, f, &b);
		sp_unique(&a);
		sp_unique(&b);
		for (size_t i = 0; i < a.n; i++) {
			for (size_t j = 0; j < b.n; j++) {
				span x = a.v[i], y = b.v[j];
				uint64_t between;

				/* Not overlapping: one ends before the
				 * other begins.  ADJ: A must come first. */
				if (x.e < y.s)
					between = y.s - x.e - 1;
				else if (y.e < x.s && n->kind == O_NEAR)
					between = x.s - y.e - 1;
				else
					continue;
				if (between > n->k)
					continue;
				sp_push(out, x.s < y.s ? x.s : y.s,
					x.e > y.e ? x.e : y.e);
			}
		}
		free(a.v);
		free(b.v);
		break;
	}
	case O_AND:
		/* SPEC 3: a NEAR operand is never an AND or NOT; the
		 * generator and the parser never build one. */
		assert(!"AND under NEAR");
		break;
	}
}

static int doc_match(const onode *n, const odoc *d, int mask)
{
	switch (n->kind) {
	case O_FIELD:
		return doc_match(n->kids[0], d, mask & n->field);
	case O_AND: {
		int any = 0;

		for (size_t i = 0; i < n->nkids; i++) {
			const onode *k = n->kids[i];

			if (is_void(k))
				continue;
			if (doc_match(k, d, mask) == k->neg)
				return 0;
			any |= !k->neg;
		}
		assert(any);
		return any;
	}
	case O_OR:
		for (size_t i = 0; i < n->nkids; i++)
			if (!is_void(n->kids[i]) &&
			    doc_match(n->kids[i], d, mask))
				return 1;
		return 0;
	default: {
		/* A leaf or NEAR/ADJ: any occurrence in either field. */
		int hit = 0;

		for (int f = 0; f < 2 && !hit; f++) {
			spans s = { 0 };

			occ(n, d, mask, f, &s);
			hit = s.n > 0;
			free(s.v);
		}
		return hit;
	}
	}
}

void oracle_eval(oracle *o, onode *n, unsigned char *match)
{
	if (!n->compiled)
		oracle_compile(o, n);
	for (size_t i = 0; i < o->ndocs; i++)
		match[i] = (unsigned char)doc_match(n, &o->docs[i], OF_ANY);
}
