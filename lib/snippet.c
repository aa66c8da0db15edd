/*
 * snippet.c -- highlighted titles and best passages.  Re-analyses the
 * stored text with the index's analyser, so every surface form of a
 * matched stem lights up (Directing, directed for "direct"), and works
 * from the token byte offsets into the original text.
 *
 * A token matches when its stem equals a word or phrase word of the query
 * (or starts with a prefix of it) in a field that leaf allows; NOT
 * members are never highlighted.  The passage is the window of `words`
 * tokens with the most distinct matched terms, then the most matches,
 * then the earliest.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "index.h"
#include "qparse.h"
#include "search.h"

typedef struct leaf {
	const char *text;
	size_t len;
	int prefix;
	int fields;
} leaf;

typedef struct leaves {
	leaf *v;
	size_t n, cap;
} leaves;

static int add_leaf(leaves *l, const char *t, int prefix, int fields)
{
	if (!t || !fields)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		leaf *p = realloc(l->v, cap * sizeof *p);
		if (!p)
			return -1;
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n].text = t;
	l->v[l->n].len = strlen(t);
	l->v[l->n].prefix = prefix;
	l->v[l->n].fields = fields;
	l->n++;
	return 0;
}

static int collect(const qnode *n, leaves *l)
{
	if (n->negated)
		return 0;
	switch (n->kind) {
	case QN_TERM:
	case QN_PHRASE:
		for (size_t i = 0; i < n->nterms; i++)
			if (add_leaf(l, n->terms[i], 0, n->fields))
				return -1;
		return 0;
	case QN_PREFIX:
		return add_leaf(l, n->terms[0], 1, n->fields);
	default:
		for (size_t i = 0; i < n->nkids; i++)
			if (collect(n->kids[i], l))
				return -1;
		return 0;
	}
}

typedef struct tok {
	size_t start, end;
	uint32_t position;
	int match; /* leaf index, or -1 */
} tok;

typedef struct toks {
	tok *v;
	size_t n, cap;
	const leaves *l;
	int field;
	int oom;
} toks;

static int on_tok(void *ctx, const trawl_token *t)
{
	toks *s = ctx;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		tok *p = realloc(s->v, cap * sizeof *p);
		if (!p) {
			s->oom = 1;
			return 1;
		}
		s->v = p;
		s->cap = cap;
	}
	int m = -1;
	if (t->term)
		for (size_t i = 0; i < s->l->n && m < 0; i++) {
			const leaf *f = &s->l->v[i];
			if (!(f->fields & s->field))
				continue;
			if (f->prefix ? t->term_len >= f->len &&
					       !memcmp(t->term, f->text, f->len)
				      : t->term_len == f->len &&
					       !memcmp(t->term, f->text, f->len))
				m = (int)i;
		}
	s->v[s->n].start = t->byte_start;
	s->v[s->n].end = t->byte_end;
	s->v[s->n].position = t->position;
	s->v[s->n].match = m;
	s->n++;
	return 0;
}

static int analyse(trawl_index *ix, const char *text, size_t len, int field,
		   const leaves *l, toks *out, trawl_error *err)
{
	memset(out, 0, sizeof *out);
	out->l = l;
	out->field = field;
	trawl_analyzer *a;
	int rc = ix_analyzer_get(ix, &a, err);
	if (rc)
		return rc;
	rc = trawl_analyze(a, text, len, on_tok, out);
	ix_analyzer_put(ix, a);
	if (out->oom || rc)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	return TRAWL_OK;
}

/* Appends text[from, to) with runs of white space collapsed to one
 * space, so a passage reads as one line. */
static void put_text(int *rc, buf *b, const char *text, size_t from, size_t to)
{
	int space = 0;
	for (size_t i = from; i < to; i++) {
		char c = text[i];
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			space = 1;
			continue;
		}
		if (space && b->n && b->p[b->n - 1] != ' ')
			buf_putc(rc, b, ' ');
		space = 0;
		buf_putc(rc, b, (uint8_t)c);
	}
	if (space)
		buf_putc(rc, b, ' ');
}

static void render(int *rc, buf *b, const char *text, const toks *t,
		   size_t first, size_t last, size_t text_from, size_t text_to,
		   const trawl_snippet_opts *o)
{
	size_t at = text_from;
	for (size_t i = first; i < last; i++) {
		if (t->v[i].match < 0)
			continue;
		put_text(rc, b, text, at, t->v[i].start);
		buf_puts(rc, b, o->hl_open);
		buf_put(rc, b, text + t->v[i].start, t->v[i].end - t->v[i].start);
		buf_puts(rc, b, o->hl_close);
		at = t->v[i].end;
	}
	put_text(rc, b, text, at, text_to);
}

void trawl_snippet_opts_init(trawl_snippet_opts *o)
{
	o->words = 30;
	o->hl_open = "[";
	o->hl_close = "]";
	o->ellipsis = "\xe2\x80\xa6";
}

int trawl_snippet(trawl_index *ix, const trawl_query *q,
		  const trawl_stored *d, const trawl_snippet_opts *o,
		  char **title, char **passage, trawl_error *err)
{
	trawl_snippet_opts def;
	trawl_snippet_opts_init(&def);
	if (!o)
		o = &def;
	size_t words = o->words ? o->words : 30;
	trawl_snippet_opts use = *o;
	if (!use.hl_open)
		use.hl_open = "";
	if (!use.hl_close)
		use.hl_close = "";
	if (!use.ellipsis)
		use.ellipsis = "";
	o = &use;
	*title = *passage = NULL;
	leaves l = { 0 };
	toks tt = { 0 }, bt = { 0 };
	buf tb, pb;
	buf_init(&tb);
	buf_init(&pb);
	int rc = TRAWL_OK;
	if (collect(tr_query_root(q), &l)) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = analyse(ix, d->title, d->title_len, TR_FIELD_TITLE, &l, &tt,
			  err)) ||
	    (rc = analyse(ix, d->body, d->body_len, TR_FIELD_BODY, &l, &bt, err)))
		goto done;
	render(&rc, &tb, d->title, &tt, 0, tt.n, 0, d->title_len, o);
	while (tb.n && tb.p[tb.n - 1] == ' ')
		tb.n--;
	buf_cstr(&rc, &tb);
	/* sliding window: distinct matched leaves, then matches */
	size_t best = 0, best_distinct = 0, best_hits = 0;
	unsigned *count = calloc(l.n + 1, sizeof *count);
	if (!count) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	size_t distinct = 0, hits = 0;
	for (size_t i = 0; i < bt.n; i++) {
		int m = bt.v[i].match;
		if (m >= 0) {
			hits++;
			if (count[m]++ == 0)
				distinct++;
		}
		if (i >= words) {
			int old = bt.v[i - words].match;
			if (old >= 0) {
				hits--;
				if (--count[old] == 0)
					distinct--;
			}
		}
		size_t start = i + 1 >= words ? i + 1 - words : 0;
		if (distinct > best_distinct ||
		    (distinct == best_distinct && hits > best_hits)) {
			best_distinct = distinct;
			best_hits = hits;
			best = start;
		}
	}
	free(count);
	/* start a little before the first match of the window when the
	 * window would otherwise open on it: context reads better */
	size_t first = best, last = best + words < bt.n ? best + words : bt.n;
	if (bt.n) {
		size_t from = first == 0 ? 0 : bt.v[first].start;
		size_t to = last == bt.n ? d->body_len : bt.v[last - 1].end;
		if (first > 0)
			buf_puts(&rc, &pb, o->ellipsis);
		render(&rc, &pb, d->body, &bt, first, last, from, to, o);
		while (pb.n && pb.p[pb.n - 1] == ' ')
			pb.n--;
		if (last < bt.n)
			buf_puts(&rc, &pb, o->ellipsis);
	}
	buf_cstr(&rc, &pb);
	if (rc)
		tr_err(err, rc, "out of memory");
done:
	free(l.v);
	free(tt.v);
	free(bt.v);
	if (rc) {
		buf_free(&tb);
		buf_free(&pb);
		return rc;
	}
	*title = (char *)tb.p;
	*passage = (char *)pb.p;
	return TRAWL_OK;
}

int trawl_match_spans(trawl_index *ix, const trawl_query *q,
		      const trawl_stored *d, trawl_match_span **out, size_t *n,
		      trawl_error *err)
{
	*out = NULL;
	*n = 0;
	leaves l = { 0 };
	toks t[2] = { { 0 }, { 0 } };
	int rc = TRAWL_OK;
	if (collect(tr_query_root(q), &l)) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = analyse(ix, d->title, d->title_len, TR_FIELD_TITLE, &l, &t[0],
			  err)) ||
	    (rc = analyse(ix, d->body, d->body_len, TR_FIELD_BODY, &l, &t[1],
			  err)))
		goto done;
	size_t total = 0;
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < t[f].n; i++)
			total += t[f].v[i].match >= 0;
	trawl_match_span *v = malloc((total ? total : 1) * sizeof *v);
	if (!v) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	size_t k = 0;
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < t[f].n; i++)
			if (t[f].v[i].match >= 0) {
				v[k].field = f;
				v[k].position = t[f].v[i].position;
				v[k].byte_start = t[f].v[i].start;
				v[k].byte_end = t[f].v[i].end;
				k++;
			}
	*out = v;
	*n = k;
done:
	free(l.v);
	free(t[0].v);
	free(t[1].v);
	return rc;
}
