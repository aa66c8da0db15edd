/*
 * qparse.c -- query text -> tree (SPEC section 3 and 3.1).
 *
 * A lexer cuts the text into brackets, quoted phrases, operator words and
 * "raw words" (runs of anything but white space, quotes and brackets); a
 * raw word is split further into leading `-` and `title:`/`body:` pieces
 * and the word proper.  A recursive-descent parser follows the levels
 *   or   := and (OR and)*
 *   and  := item+          item := [AND] [NOT | -] near
 *                          (AND and NOT need an item on their left)
 *   near := unary ((NEAR|ADJ)[/k] unary)*
 *   unary:= (title:|body:)* (word | "phrase" | ( or ))
 * analysing each word and phrase with the caller's analyser, so leaves
 * hold stems; field restrictions travel down as a mask to the leaves.
 * Words with no token become a private "empty" node that AND and OR lists
 * drop and that NEAR/ADJ, groups and the whole query reject.
 * It never evaluates anything and keeps no state between calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "buf.h"
#include "error.h"
#include "tlimits.h"
#include "qparse.h"

enum tkind {
	T_END,
	T_WORD,   /* a word proper: [tb, te) */
	T_QUOTE,  /* a quoted phrase: [tb, te) is the text between the quotes */
	T_LPAREN,
	T_RPAREN,
	T_OP,     /* OR AND NOT NEAR ADJ, as a whole raw word */
	T_MINUS,  /* `-` at the start of a raw word */
	T_FIELD   /* `title:` or `body:` at the start of a raw word */
};

enum { OP_OR, OP_AND, OP_NOT, OP_NEAR, OP_ADJ };

typedef struct tok {
	enum tkind kind;
	size_t b, e;    /* the token's bytes */
	size_t tb, te;  /* T_WORD, T_QUOTE: the text to analyse */
	int col;        /* column of its first character */
	int op;         /* T_OP: OP_*; T_FIELD: TR_FIELD_* */
	uint32_t k;     /* NEAR/ADJ distance */
	int glued;      /* a character other than white space follows */
	size_t next;    /* lexer state after the token */
	int next_col;
	int next_in_word;
} tok;

typedef struct parser {
	trawl_analyzer *a;
	const char *s;
	size_t len;
	size_t pos;      /* lexer position: byte, column, inside a raw word */
	int col;
	int in_word;
	tok t;           /* the peeked token, valid when have */
	int have;
	size_t leaves;
	int depth;       /* brackets open */
	trawl_error *err;
} parser;

/* Echoed user text in messages is cut here so a message stays readable
 * and fits trawl_error.message whole. */
#define ECHO_CPS 40
#define ECHO_BYTES (ECHO_CPS * 4 + 8)

/* ---- Characters -------------------------------------------------------- */

/* The code point at byte I; -1 for an invalid sequence, which then counts
 * as one byte and one column (the analyser treats it as a separator). */
static int32_t decode(const parser *p, size_t i, size_t *n)
{
	const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)p->s + i;
	utf8proc_int32_t c;
	utf8proc_ssize_t r = utf8proc_iterate(u, (utf8proc_ssize_t)(p->len - i),
					      &c);
	if (r < 1) {
		*n = 1;
		return -1;
	}
	*n = (size_t)r;
	return c;
}

/* Unicode White_Space: Zs, Zl, Zp and the controls \t \n \v \f \r, U+0085. */
static int is_space(int32_t c)
{
	if (c < 0)
		return 0;
	if ((c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85)
		return 1;
	if (c < 0xa0)
		return 0;
	utf8proc_category_t k = utf8proc_category(c);
	return k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL ||
	       k == UTF8PROC_CATEGORY_ZP;
}

/* Quotes and brackets end a word as white space does. */
static int ends_word(int32_t c)
{
	return is_space(c) || c == '(' || c == ')' || c == '"' ||
	       c == 0x201c || c == 0x201d;
}

/* Copies [B, E) of the query into OUT for a message: at most ECHO_CPS code
 * points, invalid bytes as U+FFFD, "…" when cut. */
static const char *echo(const parser *p, size_t b, size_t e, char *out)
{
	size_t o = 0, n;
	int cps = 0;
	while (b < e) {
		if (cps == ECHO_CPS) {
			memcpy(out + o, "\xe2\x80\xa6", 3);
			o += 3;
			break;
		}
		int32_t c = decode(p, b, &n);
		if (c < 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			memcpy(out + o, p->s + b, n);
			o += n;
		}
		b += n;
		cps++;
	}
	out[o] = '\0';
	return out;
}

/* Fills the caller's error with CODE at COL, the message ending in the
 * column as the conformance vectors word it; returns CODE. */
static int fail(parser *p, int code, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(parser *p, int code, int col, const char *fmt, ...)
{
	char msg[sizeof p->err->message];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return tr_err_col(p->err, code, col, "%s (column %d)", msg, col);
}

/* ---- Lexer ------------------------------------------------------------- */

static int starts(const parser *p, size_t i, const char *w)
{
	size_t l = strlen(w);
	return p->len - i >= l && memcmp(p->s + i, w, l) == 0;
}

/* Whether the raw word at I is exactly W (W is ASCII). */
static int whole(const parser *p, size_t i, const char *w)
{
	size_t l = strlen(w), n;
	if (!starts(p, i, w))
		return 0;
	return i + l == p->len || ends_word(decode(p, i + l, &n));
}

/* Ends raw word at I: OUT: *e and *ecol, the byte and column after it. */
static void raw_end(const parser *p, size_t i, int col, size_t *e, int *ecol)
{
	size_t n;
	while (i < p->len && !ends_word(decode(p, i, &n))) {
		i += n;
		col++;
	}
	*e = i;
	*ecol = col;
}

/* An operator word at a raw word's start I: fills T and returns 1, 0 when
 * the word is no operator, or ESYNTAX for a bad NEAR/k, ADJ/k. */
static int lex_op(parser *p, size_t i, tok *t)
{
	static const struct { const char *w; int op; } plain[] = {
		{ "OR", OP_OR }, { "AND", OP_AND }, { "NOT", OP_NOT },
		{ "NEAR", OP_NEAR }, { "ADJ", OP_ADJ }
	};
	for (size_t j = 0; j < sizeof plain / sizeof plain[0]; j++) {
		if (whole(p, i, plain[j].w)) {
			t->op = plain[j].op;
			t->k = 10;
			t->e = i + strlen(plain[j].w);
			t->next_col = t->col + (int)strlen(plain[j].w);
			return 1;
		}
	}
	size_t d;
	if (starts(p, i, "NEAR/")) {
		t->op = OP_NEAR;
		d = i + 5;
	} else if (starts(p, i, "ADJ/")) {
		t->op = OP_ADJ;
		d = i + 4;
	} else {
		return 0;
	}
	raw_end(p, i, t->col, &t->e, &t->next_col);
	/* Digits only, any number of them: the distance saturates rather
	 * than wraps, since "past the field length" already means anywhere. */
	uint64_t k = 0;
	size_t j;
	for (j = d; j < t->e && p->s[j] >= '0' && p->s[j] <= '9'; j++) {
		k = k * 10 + (uint64_t)(p->s[j] - '0');
		if (k > UINT32_MAX)
			k = UINT32_MAX;
	}
	if (j == d || j != t->e) {
		char w[ECHO_BYTES];
		return fail(p, TRAWL_ESYNTAX, t->col,
			    "bad distance in %s: k must be a whole number "
			    "(digits only)", echo(p, i, t->e, w));
	}
	t->k = (uint32_t)k;
	return 1;
}

/* Reads the token at the lexer position into T without moving on. */
static int lex(parser *p, tok *t)
{
	size_t i = p->pos, n;
	int col = p->col, rc;
	int32_t c = 0;

	if (!p->in_word) {
		while (i < p->len && is_space(decode(p, i, &n))) {
			i += n;
			col++;
		}
	}
	memset(t, 0, sizeof *t);
	t->b = i;
	t->col = col;
	t->next_col = col + 1;
	if (i >= p->len) {
		t->kind = T_END;
		t->e = t->next = i;
		t->next_col = col;
		return TRAWL_OK;
	}
	c = decode(p, i, &n);
	t->e = i + n;
	if (c == '(' || c == ')') {
		t->kind = c == '(' ? T_LPAREN : T_RPAREN;
	} else if (c == '"' || c == 0x201c) {
		int32_t close = c == '"' ? '"' : 0x201d;
		size_t j = i + n, m = 0;
		int jc = col + 1;
		t->kind = T_QUOTE;
		t->tb = j;
		for (;;) {
			if (j >= p->len)
				return fail(p, TRAWL_ESYNTAX, col,
					    "unbalanced quote %s",
					    c == '"' ? "\"" : "\xe2\x80\x9c");
			if (decode(p, j, &m) == close)
				break;
			j += m;
			jc++;
		}
		t->te = j;
		t->e = j + m;
		t->next_col = jc + 1;
	} else if (c == 0x201d) {
		/* A closing quote opens nothing: guessing would hide a typo. */
		return fail(p, TRAWL_ESYNTAX, col,
			    "unbalanced quote: \xe2\x80\x9d without "
			    "\xe2\x80\x9c");
	} else if (!p->in_word && (rc = lex_op(p, i, t)) != 0) {
		/* Operators are whole words: after a `-` or field glued to
		 * it, `OR` is the word "or" (as `-OR`, `title:NEAR`). */
		if (rc < 0)
			return rc;
		t->kind = T_OP;
		t->next_in_word = 0;
	} else if (c == '-') {
		t->kind = T_MINUS;
		t->next_in_word = 1;
	} else if (starts(p, i, "title:") || starts(p, i, "body:")) {
		int title = p->s[i] == 't';
		t->kind = T_FIELD;
		t->op = title ? TR_FIELD_TITLE : TR_FIELD_BODY;
		t->e = i + (title ? 6 : 5);
		t->next_col = col + (title ? 6 : 5);
		t->next_in_word = 1;
	} else {
		t->kind = T_WORD;
		t->tb = i;
		raw_end(p, i, col, &t->te, &t->next_col);
		t->e = t->te;
	}
	t->next = t->e;
	t->glued = t->e < p->len && !is_space(decode(p, t->e, &n));
	/* Only a `-` or field glued to more of its raw word goes on inside
	 * it; before a quote or bracket the next token starts afresh. */
	if (t->next_in_word && (!t->glued || ends_word(decode(p, t->e, &n))))
		t->next_in_word = 0;
	return TRAWL_OK;
}

/* OUT: *t, a copy of the next token (read once, then cached). */
static int peek(parser *p, tok *t)
{
	if (!p->have) {
		int rc = lex(p, &p->t);
		if (rc)
			return rc;
		p->have = 1;
	}
	*t = p->t;
	return TRAWL_OK;
}

/* Moves past the peeked token. */
static void take(parser *p)
{
	p->pos = p->t.next;
	p->col = p->t.next_col;
	p->in_word = p->t.next_in_word;
	p->have = 0;
}

static int is_operand_start(const tok *t)
{
	return t->kind == T_WORD || t->kind == T_QUOTE ||
	       t->kind == T_LPAREN || t->kind == T_FIELD;
}

/* "OP has a missing operand (...)" for OP followed by NEXT. */
static int missing(parser *p, const tok *op, const tok *next)
{
	char w[ECHO_BYTES], x[ECHO_BYTES];
	echo(p, op->b, op->e, w);
	if (next->kind == T_END)
		return fail(p, TRAWL_ESYNTAX, op->col,
			    "%s has a missing operand (at the end)", w);
	if ((op->kind == T_MINUS || op->kind == T_FIELD) && !op->glued)
		return fail(p, TRAWL_ESYNTAX, op->col,
			    "%s has a missing operand (no space may follow %s)",
			    w, w);
	if (next->kind == T_RPAREN)
		return fail(p, TRAWL_ESYNTAX, op->col,
			    "%s has a missing operand (before a closing "
			    "bracket)", w);
	return fail(p, TRAWL_ESYNTAX, op->col,
		    "%s has a missing operand (before %s)", w,
		    echo(p, next->b, next->e, x));
}

/* ---- Nodes ------------------------------------------------------------- */

/* Frees N with its kids and terms; NULL is a no-op. */
void qp_free(qnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nterms; i++)
		free(n->terms[i]);
	free(n->terms);
	for (size_t i = 0; i < n->nkids; i++)
		qp_free(n->kids[i]);
	free(n->kids);
	free(n);
}

static qnode *node_new(qn_kind kind, int col, int fields)
{
	qnode *n = calloc(1, sizeof *n);
	if (n) {
		n->kind = kind;
		n->column = col;
		n->fields = fields;
	}
	return n;
}

/* The private "no token at all" node: an AND without kids, which no
 * finished tree contains. */
static qnode *empty_new(int col)
{
	return node_new(QN_AND, col, TR_FIELD_ANY);
}

static int is_empty(const qnode *n)
{
	return n->kind == QN_AND && n->nkids == 0;
}

/* A growable list of nodes with the height of each. */
typedef struct nlist {
	qnode **v;
	int *h;
	size_t n, cap;
} nlist;

static int nlist_push(nlist *l, qnode *n, int h)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		qnode **v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return TRAWL_ENOMEM;
		l->v = v;
		int *hv = realloc(l->h, cap * sizeof *hv);
		if (!hv)
			return TRAWL_ENOMEM;
		l->h = hv;
		l->cap = cap;
	}
	l->v[l->n] = n;
	l->h[l->n] = h;
	l->n++;
	return TRAWL_OK;
}

static void nlist_free(nlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		qp_free(l->v[i]);
	free(l->v);
	free(l->h);
	l->v = NULL;
	l->h = NULL;
	l->n = l->cap = 0;
}

/* Makes an AND or OR of the members of L (which it empties), pulling up
 * the kids of a member of the same kind that is not negated; for AND the
 * positive kids come first, so `-a b` and `b -a` give the same tree.
 * OUT: *out, *h (1 + the deepest kid). */
static int join(parser *p, qn_kind kind, int fields, nlist *l, qnode **out,
		int *h)
{
	size_t total = 0;
	int deepest = 0;
	for (size_t i = 0; i < l->n; i++) {
		qnode *m = l->v[i];
		int flat = m->kind == kind && !m->negated;
		total += flat ? m->nkids : 1;
		int mh = flat ? l->h[i] - 1 : l->h[i];
		if (mh > deepest)
			deepest = mh;
	}
	if (deepest + 1 > TR_MAX_QUERY_DEPTH) {
		int col = l->v[0]->column;
		nlist_free(l);
		return fail(p, TRAWL_ELIMIT, col,
			    "operators nested too deeply (limit %d)",
			    TR_MAX_QUERY_DEPTH);
	}
	qnode *n = node_new(kind, l->v[0]->column, fields);
	qnode **kids = malloc(total * sizeof *kids);
	if (!n || !kids) {
		free(n);
		free(kids);
		nlist_free(l);
		return fail(p, TRAWL_ENOMEM, 1, "out of memory");
	}
	/* Two passes for AND (positive, then negated); one for OR. */
	size_t k = 0;
	for (int pass = 0; pass < (kind == QN_AND ? 2 : 1); pass++) {
		for (size_t i = 0; i < l->n; i++) {
			qnode *m = l->v[i];
			if (m->kind == kind && !m->negated) {
				for (size_t j = 0; j < m->nkids; j++)
					if (kind == QN_OR ||
					    m->kids[j]->negated == pass)
						kids[k++] = m->kids[j];
			} else if (kind == QN_OR || m->negated == pass) {
				kids[k++] = m;
			}
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		qnode *m = l->v[i];
		if (m->kind == kind && !m->negated) {
			free(m->kids);
			free(m);
		}
	}
	free(l->v);
	free(l->h);
	l->v = NULL;
	l->h = NULL;
	l->n = l->cap = 0;
	n->kids = kids;
	n->nkids = total;
	*out = n;
	*h = deepest + 1;
	return TRAWL_OK;
}

/* ---- Leaves ------------------------------------------------------------ */

/* Collects what the analyser yields: stems, or (for a prefix) the
 * normalised tokens, stopping at the second since one is all we take. */
typedef struct collect {
	char **v;
	size_t n, cap;
	int prefix;
	int several;
} collect;

static int collect_tok(void *ctx, const trawl_token *t)
{
	collect *c = ctx;
	if (c->prefix && c->n == 1) {
		c->several = 1;
		return 1;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4;
		char **v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return TRAWL_ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	const char *s = c->prefix ? t->token : t->term;
	size_t len = c->prefix ? t->token_len : t->term_len;
	char *d = NULL;
	if (s) {
		d = malloc(len + 1);
		if (!d)
			return TRAWL_ENOMEM;
		memcpy(d, s, len);
		d[len] = '\0';
	}
	c->v[c->n++] = d;
	return 0;
}

static void collect_free(collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i]);
	free(c->v);
}

static int count_leaf(parser *p, int col)
{
	if (++p->leaves > TR_MAX_QUERY_LEAVES)
		return fail(p, TRAWL_ELIMIT, col,
			    "too many words in the query (limit %d)",
			    TR_MAX_QUERY_LEAVES);
	return TRAWL_OK;
}

/* A word or quoted phrase [B, E): TERM, PHRASE or the empty node; with
 * PREFIX set, the text before a final `*` gives a PREFIX.  COL is the
 * node's column (where its field restriction starts, if any), WCOL the
 * word's own, where a bad prefix is reported. */
static int leaf(parser *p, size_t b, size_t e, int col, int wcol, int fields,
		int prefix, qnode **out)
{
	collect c = { NULL, 0, 0, prefix, 0 };
	int rc = trawl_analyze(p->a, p->s + b, prefix ? e - 1 - b : e - b,
			       collect_tok, &c);
	if (rc < 0) {
		collect_free(&c);
		return fail(p, rc, col, "%s while analysing the query",
			    trawl_errstr(rc));
	}
	if (prefix && (c.n != 1 || c.several)) {
		char w[ECHO_BYTES];
		collect_free(&c);
		if (c.several)
			return fail(p, TRAWL_ESYNTAX, wcol,
				    "prefix %s is several words; a prefix "
				    "must be one word", echo(p, b, e, w));
		return fail(p, TRAWL_ESYNTAX, wcol,
			    "empty prefix: * needs a letter or digit "
			    "before *");
	}
	if (c.n == 0) {
		collect_free(&c);
		*out = empty_new(col);
		return *out ? TRAWL_OK : fail(p, TRAWL_ENOMEM, col,
					      "out of memory");
	}
	if ((rc = count_leaf(p, col)) != 0) {
		collect_free(&c);
		return rc;
	}
	qn_kind kind = prefix ? QN_PREFIX : c.n == 1 ? QN_TERM : QN_PHRASE;
	qnode *n = node_new(kind, col, fields);
	if (!n) {
		collect_free(&c);
		return fail(p, TRAWL_ENOMEM, col, "out of memory");
	}
	n->terms = c.v;
	n->nterms = c.n;
	*out = n;
	return TRAWL_OK;
}

/* ---- Parser ------------------------------------------------------------ */

static int parse_or(parser *p, int fields, qnode **out, int *h);

/* A group; LP is the peeked `(`. */
static int parse_group(parser *p, const tok *lp, int fields, qnode **out,
		       int *h)
{
	tok t;
	int rc;
	qnode *n = NULL;

	take(p);
	/* Bounds the recursion: each bracket is a few stack frames. */
	if (p->depth >= TR_MAX_QUERY_DEPTH)
		return fail(p, TRAWL_ELIMIT, lp->col,
			    "brackets nested too deeply (limit %d)",
			    TR_MAX_QUERY_DEPTH);
	if ((rc = peek(p, &t)) != 0)
		return rc;
	if (t.kind == T_RPAREN)
		return fail(p, TRAWL_ESYNTAX, lp->col, "empty group ()");
	p->depth++;
	rc = parse_or(p, fields, &n, h);
	p->depth--;
	if (rc)
		return rc;
	if ((rc = peek(p, &t)) != 0) {
		qp_free(n);
		return rc;
	}
	if (t.kind != T_RPAREN) {
		qp_free(n);
		return fail(p, TRAWL_ESYNTAX, lp->col,
			    "unbalanced bracket: ( not closed");
	}
	take(p);
	if (is_empty(n)) {
		qp_free(n);
		return fail(p, TRAWL_ESYNTAX, lp->col,
			    "empty group: ( ) holds no searchable token");
	}
	*out = n;
	return TRAWL_OK;
}

/* Field restrictions, then a word, prefix, phrase or group.  The caller
 * has peeked an operand start. */
static int parse_unary(parser *p, int fields, qnode **out, int *h)
{
	tok t;
	int rc, fcol = 0;

	if ((rc = peek(p, &t)) != 0)
		return rc;
	while (t.kind == T_FIELD) {
		tok f = t;
		if (!fcol)
			fcol = f.col;
		fields &= f.op;
		take(p);
		if ((rc = peek(p, &t)) != 0)
			return rc;
		if (!f.glued || !is_operand_start(&t))
			return missing(p, &f, &t);
	}
	*h = 0;
	switch (t.kind) {
	case T_WORD:
		take(p);
		rc = leaf(p, t.tb, t.te, fcol ? fcol : t.col, t.col, fields,
			  p->s[t.te - 1] == '*', out);
		break;
	case T_QUOTE:
		take(p);
		rc = leaf(p, t.tb, t.te, fcol ? fcol : t.col, t.col, fields, 0,
			  out);
		break;
	case T_LPAREN:
		rc = parse_group(p, &t, fields, out, h);
		if (rc == TRAWL_OK && fcol)
			(*out)->column = fcol;
		break;
	default:
		/* Callers check for an operand first; kept for safety. */
		rc = fail(p, TRAWL_ESYNTAX, t.col, "a word is missing here");
		break;
	}
	return rc;
}

/* Whether N may be an operand of NEAR/ADJ OP: a word, prefix, phrase,
 * NEAR/ADJ, or an OR of those (an OR's kids are never ORs). */
static int check_near_operand(parser *p, const qnode *n, const tok *op)
{
	char w[ECHO_BYTES];
	if (is_empty(n))
		return fail(p, TRAWL_ESYNTAX, n->column,
			    "operand of %s has no searchable token",
			    echo(p, op->b, op->e, w));
	if (n->negated)
		return fail(p, TRAWL_ESYNTAX, n->column,
			    "an operand of %s cannot be a NOT",
			    echo(p, op->b, op->e, w));
	if (n->kind == QN_AND) {
		int neg = 0;
		for (size_t i = 0; i < n->nkids; i++)
			neg |= n->kids[i]->negated;
		return fail(p, TRAWL_ESYNTAX, n->column,
			    "an operand of %s cannot be %s",
			    echo(p, op->b, op->e, w), neg ? "a NOT" : "an AND");
	}
	if (n->kind == QN_OR) {
		for (size_t i = 0; i < n->nkids; i++) {
			int rc = check_near_operand(p, n->kids[i], op);
			if (rc)
				return rc;
		}
	}
	return TRAWL_OK;
}

/* unary ((NEAR|ADJ) unary)*, left to right. */
static int parse_near(parser *p, int fields, qnode **out, int *h)
{
	qnode *left = NULL, *right = NULL;
	int lh, rh, rc;
	tok op, t;

	if ((rc = parse_unary(p, fields, &left, &lh)) != 0)
		return rc;
	for (;;) {
		if ((rc = peek(p, &op)) != 0)
			goto fail;
		if (op.kind != T_OP || (op.op != OP_NEAR && op.op != OP_ADJ))
			break;
		if ((rc = check_near_operand(p, left, &op)) != 0)
			goto fail;
		take(p);
		if ((rc = peek(p, &t)) != 0)
			goto fail;
		if (t.kind == T_MINUS) {
			char w[ECHO_BYTES];
			rc = fail(p, TRAWL_ESYNTAX, t.col,
				  "an operand of %s cannot be a NOT",
				  echo(p, op.b, op.e, w));
			goto fail;
		}
		if (!is_operand_start(&t)) {
			rc = missing(p, &op, &t);
			goto fail;
		}
		if ((rc = parse_unary(p, fields, &right, &rh)) != 0)
			goto fail;
		if ((rc = check_near_operand(p, right, &op)) != 0)
			goto fail;
		int nh = 1 + (lh > rh ? lh : rh);
		if (nh > TR_MAX_QUERY_DEPTH) {
			rc = fail(p, TRAWL_ELIMIT, op.col,
				  "operators nested too deeply (limit %d)",
				  TR_MAX_QUERY_DEPTH);
			goto fail;
		}
		qnode *n = node_new(op.op == OP_NEAR ? QN_NEAR : QN_ADJ,
				    left->column, fields);
		qnode **kids = malloc(2 * sizeof *kids);
		if (!n || !kids) {
			free(n);
			free(kids);
			rc = fail(p, TRAWL_ENOMEM, op.col, "out of memory");
			goto fail;
		}
		kids[0] = left;
		kids[1] = right;
		n->kids = kids;
		n->nkids = 2;
		n->k = op.k;
		left = n;
		right = NULL;
		lh = nh;
	}
	*out = left;
	*h = lh;
	return TRAWL_OK;
fail:
	qp_free(left);
	qp_free(right);
	return rc;
}

/* An AND list: members joined by nothing, AND, NOT, AND NOT or `-`, up to
 * OR, `)` or the end.  AFTER_OR: the list follows an OR (for messages). */
static int parse_and(parser *p, int fields, int after_or, qnode **out,
		     int *h)
{
	nlist l = { NULL, NULL, 0, 0 };
	size_t seen = 0;  /* members read, empty ones too */
	int first_col = 0, rc;
	tok t;

	for (;;) {
		int neg = 0, negcol = 0;
		if ((rc = peek(p, &t)) != 0)
			goto fail;
		if (t.kind == T_END || t.kind == T_RPAREN ||
		    (t.kind == T_OP && t.op == OP_OR))
			break;
		if (!first_col)
			first_col = t.col;
		if (t.kind == T_OP) {
			char w[ECHO_BYTES];
			tok op = t;
			if (seen == 0) {
				rc = fail(p, TRAWL_ESYNTAX, op.col,
					  "%s has no left operand",
					  echo(p, op.b, op.e, w));
				goto fail;
			}
			take(p);
			if ((rc = peek(p, &t)) != 0)
				goto fail;
			if (op.op == OP_AND && t.kind == T_OP &&
			    t.op == OP_NOT) {
				op = t;
				take(p);
				if ((rc = peek(p, &t)) != 0)
					goto fail;
			}
			if (op.op == OP_NOT) {
				neg = 1;
				negcol = op.col;
			}
			if (!is_operand_start(&t) &&
			    !(op.op == OP_AND && t.kind == T_MINUS)) {
				rc = missing(p, &op, &t);
				goto fail;
			}
		}
		if (t.kind == T_MINUS) {
			tok m = t;
			take(p);
			if ((rc = peek(p, &t)) != 0)
				goto fail;
			if (!m.glued || !is_operand_start(&t)) {
				rc = missing(p, &m, &t);
				goto fail;
			}
			neg = 1;
			negcol = m.col;
		}
		qnode *n = NULL;
		int nh = 0;
		if ((rc = parse_near(p, fields, &n, &nh)) != 0)
			goto fail;
		seen++;
		if (is_empty(n)) {
			/* Ignored like punctuation, negated or not. */
			qp_free(n);
			continue;
		}
		if (neg) {
			n->negated = 1;
			n->column = negcol;
		}
		if ((rc = nlist_push(&l, n, nh)) != 0) {
			qp_free(n);
			rc = fail(p, rc, first_col, "out of memory");
			goto fail;
		}
	}
	if (l.n == 0) {
		nlist_free(&l);
		*out = empty_new(first_col ? first_col : t.col);
		*h = 0;
		return *out ? TRAWL_OK : fail(p, TRAWL_ENOMEM, t.col,
					      "out of memory");
	}
	size_t pos = 0;
	while (pos < l.n && l.v[pos]->negated)
		pos++;
	if (pos == l.n) {
		const char *what = after_or || (t.kind == T_OP && t.op == OP_OR)
			? "OR operand" : p->depth ? "group" : "query";
		rc = fail(p, TRAWL_ESYNTAX, l.v[0]->column,
			  "purely negative %s: NOT/- needs a positive part",
			  what);
		goto fail;
	}
	if (l.n == 1) {
		*out = l.v[0];
		*h = l.h[0];
		free(l.v);
		free(l.h);
		return TRAWL_OK;
	}
	return join(p, QN_AND, fields, &l, out, h);
fail:
	nlist_free(&l);
	return rc;
}

/* and (OR and)*; ORs of nothing but empty words leave the empty node. */
static int parse_or(parser *p, int fields, qnode **out, int *h)
{
	nlist l = { NULL, NULL, 0, 0 };
	qnode *empty = NULL;
	int rc, after_or = 0;
	tok t;

	if ((rc = peek(p, &t)) != 0)
		return rc;
	if (t.kind == T_OP && t.op == OP_OR) {
		char w[ECHO_BYTES];
		return fail(p, TRAWL_ESYNTAX, t.col, "%s has no left operand",
			    echo(p, t.b, t.e, w));
	}
	for (;;) {
		qnode *n = NULL;
		int nh = 0;
		if ((rc = parse_and(p, fields, after_or, &n, &nh)) != 0)
			goto fail;
		/* `a OR &` is `a`: the empty word is ignored as in an AND
		 * list, and the OR is left with one operand. */
		if (is_empty(n)) {
			if (empty)
				qp_free(n);
			else
				empty = n;
		} else if ((rc = nlist_push(&l, n, nh)) != 0) {
			qp_free(n);
			rc = fail(p, rc, t.col, "out of memory");
			goto fail;
		}
		if ((rc = peek(p, &t)) != 0)
			goto fail;
		if (t.kind != T_OP || t.op != OP_OR)
			break;
		tok op = t;
		take(p);
		if ((rc = peek(p, &t)) != 0)
			goto fail;
		if (!is_operand_start(&t) && t.kind != T_MINUS) {
			rc = missing(p, &op, &t);
			goto fail;
		}
		after_or = 1;
	}
	if (l.n == 0) {
		*out = empty;
		*h = 0;
		return TRAWL_OK;
	}
	qp_free(empty);
	if (l.n == 1) {
		*out = l.v[0];
		*h = l.h[0];
		free(l.v);
		free(l.h);
		return TRAWL_OK;
	}
	return join(p, QN_OR, fields, &l, out, h);
fail:
	qp_free(empty);
	nlist_free(&l);
	return rc;
}

/* Parses TEXT with analyser A.  OUT: *out on success only (free with
 * qp_free).  ESYNTAX or ELIMIT with err->column (>= 1) and a message
 * ending in "(column N)"; ENOMEM; EINVAL for a NULL argument.  ERR may be
 * NULL and is cleared on success. */
int qp_parse(trawl_analyzer *a, const char *text, qnode **out,
	     trawl_error *err)
{
	parser p;
	qnode *n = NULL;
	int h, rc;
	tok t;

	tr_err_clear(err);
	if (!a || !text || !out)
		return tr_err(err, TRAWL_EINVAL, "qp_parse: NULL argument");
	memset(&p, 0, sizeof p);
	p.a = a;
	p.s = text;
	p.len = strlen(text);
	p.col = 1;
	p.err = err;
	if (p.len > TR_MAX_QUERY_BYTES) {
		/* The column of the first character past the limit. */
		size_t i = 0, m;
		int col = 1;
		p.len = TR_MAX_QUERY_BYTES;
		while (i < p.len) {
			decode(&p, i, &m);
			i += m;
			col++;
		}
		return fail(&p, TRAWL_ELIMIT, col,
			    "query longer than %d bytes", TR_MAX_QUERY_BYTES);
	}
	if ((rc = peek(&p, &t)) != 0)
		return rc;
	if (t.kind == T_END)
		return fail(&p, TRAWL_ESYNTAX, 1, "empty query");
	if ((rc = parse_or(&p, TR_FIELD_ANY, &n, &h)) != 0)
		return rc;
	if ((rc = peek(&p, &t)) != 0) {
		qp_free(n);
		return rc;
	}
	if (t.kind != T_END) {
		/* parse_or stops only at the end or a `)`. */
		qp_free(n);
		return fail(&p, TRAWL_ESYNTAX, t.col,
			    "unbalanced bracket: ) without (");
	}
	if (is_empty(n)) {
		qp_free(n);
		return fail(&p, TRAWL_ESYNTAX, 1,
			    "empty query: no searchable token");
	}
	*out = n;
	return TRAWL_OK;
}

/* ---- Describe ---------------------------------------------------------- */

static void describe(int *rc, buf *b, const qnode *n)
{
	static const char *const names[] = { "TERM", "PREFIX", "PHRASE",
					     "AND", "OR", "NEAR", "ADJ" };
	if (n->negated)
		buf_puts(rc, b, "(NOT ");
	switch (n->kind) {
	case QN_TERM:
	case QN_PREFIX:
	case QN_PHRASE:
		if (n->fields == 0) {
			buf_puts(rc, b, "(NONE)");
			break;
		}
		if (n->fields == TR_FIELD_TITLE)
			buf_puts(rc, b, "title:");
		else if (n->fields == TR_FIELD_BODY)
			buf_puts(rc, b, "body:");
		buf_printf(rc, b, "(%s", names[n->kind]);
		for (size_t i = 0; i < n->nterms; i++) {
			buf_putc(rc, b, ' ');
			/* A token over 64 bytes has no stem. */
			buf_puts(rc, b, n->terms[i] ? n->terms[i] : "<long>");
		}
		buf_putc(rc, b, ')');
		break;
	case QN_AND:
	case QN_OR:
	case QN_NEAR:
	case QN_ADJ:
		buf_printf(rc, b, "(%s", names[n->kind]);
		if (n->kind == QN_NEAR || n->kind == QN_ADJ)
			buf_printf(rc, b, "/%u", (unsigned)n->k);
		for (size_t i = 0; i < n->nkids; i++) {
			buf_putc(rc, b, ' ');
			describe(rc, b, n->kids[i]);
		}
		buf_putc(rc, b, ')');
		break;
	}
	if (n->negated)
		buf_putc(rc, b, ')');
}

/* Writes N in prefix form: (KIND args...), negated kids as (NOT ...),
 * title:/body: before a leaf of one field, (NONE) for a leaf of none and
 * <long> for a stem that a token over 64 bytes lacks.  OUT: *out (free
 * it).  ENOMEM, or EINVAL for a NULL argument. */
int qp_describe(const qnode *n, char **out)
{
	buf b;
	int rc = TRAWL_OK;
	if (!n || !out)
		return TRAWL_EINVAL;
	buf_init(&b);
	describe(&rc, &b, n);
	buf_cstr(&rc, &b);
	if (rc) {
		buf_free(&b);
		return rc;
	}
	*out = (char *)b.p;
	return TRAWL_OK;
}
