/*
 * qtext.c -- a second, independent reading of SPEC section 3: query text
 * to an onode tree.  The conformance vectors come as text, and the
 * generator's trees come with a rendering; parsing both here lets the
 * oracle be checked against the vectors and the renderer against the
 * parser.  It shares nothing with lib/qparse.c; only the analyser is used,
 * to count a word's tokens (a prefix must be one, a word with none is
 * ignored).
 *
 * Grammar, loosest first (SPEC 3.1 Levels):
 *   or   := and (OR and)*
 *   and  := member+          member := [AND] [NOT | -] near
 *   near := unary ((NEAR|ADJ)[/k] unary)*
 *   unary:= title:unary | body:unary | ( or ) | "..." | word | pre*
 */
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

typedef enum {
	T_END, T_LP, T_RP, T_PHRASE, T_WORD, T_PREFIX, T_OR, T_AND, T_NOT,
	T_NEAR, T_ADJ, T_NEG, T_FIELD
} ttype;

typedef struct tok {
	ttype type;
	char *text;      /* PHRASE, WORD, PREFIX */
	uint64_t k;      /* NEAR, ADJ */
	int field;       /* FIELD */
} tok;

typedef struct qp {
	trawl_analyzer *an;
	tok *t;
	size_t n, cap, at;
	const char *why;
} qp;

static int push(qp *q, ttype type, const char *s, size_t len)
{
	if (q->n == q->cap) {
		tok *t;

		q->cap = q->cap ? q->cap * 2 : 16;
		t = realloc(q->t, q->cap * sizeof(*t));
		if (!t)
			return -1;
		q->t = t;
	}
	memset(&q->t[q->n], 0, sizeof(q->t[0]));
	q->t[q->n].type = type;
	if (s) {
		q->t[q->n].text = malloc(len + 1);
		if (!q->t[q->n].text)
			return -1;
		memcpy(q->t[q->n].text, s, len);
		q->t[q->n].text[len] = '\0';
	}
	q->n++;
	return 0;
}

/* Decodes one code point; invalid bytes count as one character each. */
static unsigned long cp_at(const char *s, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*len = 1;
		return u[0];
	}
	if ((u[0] & 0xe0) == 0xc0 && (u[1] & 0xc0) == 0x80) {
		*len = 2;
		return ((unsigned long)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
	}
	if ((u[0] & 0xf0) == 0xe0 && (u[1] & 0xc0) == 0x80 &&
	    (u[2] & 0xc0) == 0x80) {
		*len = 3;
		return ((unsigned long)(u[0] & 0x0f) << 12) |
		       ((unsigned long)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
	}
	if ((u[0] & 0xf8) == 0xf0 && (u[1] & 0xc0) == 0x80 &&
	    (u[2] & 0xc0) == 0x80 && (u[3] & 0xc0) == 0x80) {
		*len = 4;
		return ((unsigned long)(u[0] & 0x07) << 18) |
		       ((unsigned long)(u[1] & 0x3f) << 12) |
		       ((unsigned long)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
	}
	*len = 1;
	return 0xfffd;
}

/* Unicode White_Space. */
static int is_space(unsigned long c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	       c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	       c == 0x3000;
}

static int is_quote(unsigned long c)
{
	return c == '"' || c == 0x201c || c == 0x201d;
}

/* Classifies one word W (LEN bytes, no white space, quote or bracket in
 * it).  GLUED: a bracket or quote follows it directly. */
static int word(qp *q, const char *w, size_t len, int glued)
{
	static const struct {
		const char *name;
		ttype type;
	} ops[] = { { "OR", T_OR }, { "AND", T_AND }, { "NOT", T_NOT },
		    { "NEAR", T_NEAR }, { "ADJ", T_ADJ } };

	for (;;) {
		if (len > 0 && w[0] == '-') {
			/* - only at a word's start, glued to its operand. */
			if (push(q, T_NEG, NULL, 0) < 0)
				return -1;
			w++;
			len--;
		} else if ((len >= 6 && strncmp(w, "title:", 6) == 0) ||
			   (len >= 5 && strncmp(w, "body:", 5) == 0)) {
			size_t l = w[0] == 't' ? 6 : 5;

			if (push(q, T_FIELD, NULL, 0) < 0)
				return -1;
			q->t[q->n - 1].field = w[0] == 't' ? OF_TITLE
							   : OF_BODY;
			w += l;
			len -= l;
		} else {
			break;
		}
		if (len == 0) {
			if (!glued) {
				q->why = "- or field: has a missing operand";
				return -1;
			}
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t ol = strlen(ops[i].name);

		if (len == ol && strncmp(w, ops[i].name, ol) == 0) {
			if (push(q, ops[i].type, NULL, 0) < 0)
				return -1;
			q->t[q->n - 1].k = 10; /* bare NEAR / ADJ */
			return 0;
		}
		if ((ops[i].type == T_NEAR || ops[i].type == T_ADJ) &&
		    len > ol && strncmp(w, ops[i].name, ol) == 0 &&
		    w[ol] == '/') {
			uint64_t k = 0;

			if (len == ol + 1) {
				q->why = "bad distance";
				return -1;
			}
			for (size_t j = ol + 1; j < len; j++) {
				if (w[j] < '0' || w[j] > '9') {
					q->why = "bad distance";
					return -1;
				}
				/* Any size: saturate. */
				if (k > (UINT64_MAX - 9) / 10)
					k = UINT64_MAX;
				else
					k = k * 10 + (uint64_t)(w[j] - '0');
			}
			if (push(q, ops[i].type, NULL, 0) < 0)
				return -1;
			q->t[q->n - 1].k = k;
			return 0;
		}
	}
	if (w[len - 1] == '*')
		return push(q, T_PREFIX, w, len - 1);
	return push(q, T_WORD, w, len);
}

static int lex(qp *q, const char *s)
{
	size_t i = 0, l;

	while (s[i]) {
		unsigned long c = cp_at(s + i, &l);

		if (is_space(c)) {
			i += l;
		} else if (c == '(' || c == ')') {
			if (push(q, c == '(' ? T_LP : T_RP, NULL, 0) < 0)
				return -1;
			i++;
		} else if (is_quote(c)) {
			/* " closes ", “ closes ”; no syntax inside. */
			const char *close = c == '"' ? "\"" : "\xe2\x80\x9d";
			const char *end;

			if (c == 0x201d) {
				q->why = "unbalanced quote";
				return -1;
			}
			end = strstr(s + i + l, close);
			if (!end) {
				q->why = "unbalanced quote";
				return -1;
			}
			if (push(q, T_PHRASE, s + i + l,
				 (size_t)(end - (s + i + l))) < 0)
				return -1;
			i = (size_t)(end - s) + strlen(close);
		} else {
			size_t start = i;
			unsigned long d = c;

			while (s[i] && !is_space(d) && d != '(' && d != ')' &&
			       !is_quote(d)) {
				i += l;
				d = cp_at(s + i, &l);
			}
			if (word(q, s + start, i - start,
				 s[i] && !is_space(d)) < 0)
				return -1;
		}
	}
	return push(q, T_END, NULL, 0);
}

static ttype peek(const qp *q)
{
	return q->t[q->at].type;
}

static int is_leaf(const onode *n)
{
	return n->kind == O_WORD || n->kind == O_PHRASE || n->kind == O_PREFIX;
}

/* A leaf with no token, or a field restriction of one: ignored. */
static int is_void(qp *q, const onode *n)
{
	if (is_leaf(n))
		return oracle_ntokens(q->an, n->text, NULL) == 0;
	if (n->kind == O_FIELD)
		return is_void(q, n->kids[0]);
	return 0;
}

/* SPEC 3: a NEAR operand is a word, prefix, phrase (with a token), a
 * field restriction of one, an OR group of such, or a NEAR/ADJ. */
static int near_operand(qp *q, const onode *n)
{
	if (n->neg)
		return 0;
	switch (n->kind) {
	case O_WORD:
	case O_PHRASE:
	case O_PREFIX:
		return !is_void(q, n);
	case O_FIELD:
		return near_operand(q, n->kids[0]);
	case O_OR:
		for (size_t i = 0; i < n->nkids; i++)
			if (!near_operand(q, n->kids[i]))
				return 0;
		return 1;
	case O_NEAR:
	case O_ADJ:
		return 1;
	default:
		return 0;
	}
}

static onode *p_or(qp *q, int *empty);

static onode *p_unary(qp *q)
{
	tok *t = &q->t[q->at];
	onode *n;
	int empty;

	switch (t->type) {
	case T_FIELD:
		q->at++;
		n = p_unary(q);
		return n ? on_field(t->field, n) : NULL;
	case T_LP:
		q->at++;
		n = p_or(q, &empty);
		if (!n && empty)
			q->why = "empty group";
		if (n && peek(q) != T_RP) {
			q->why = "unbalanced bracket";
			on_free(n);
			return NULL;
		}
		if (n)
			q->at++;
		return n;
	case T_PHRASE:
	case T_WORD:
		q->at++;
		return on_leaf(t->type == T_PHRASE ? O_PHRASE : O_WORD,
			       t->text);
	case T_PREFIX:
		q->at++;
		if (oracle_ntokens(q->an, t->text, NULL) != 1) {
			q->why = "a prefix must be one word";
			return NULL;
		}
		return on_leaf(O_PREFIX, t->text);
	default:
		q->why = "missing operand";
		return NULL;
	}
}

static onode *p_near(qp *q)
{
	onode *left = p_unary(q);

	while (left && (peek(q) == T_NEAR || peek(q) == T_ADJ)) {
		tok *op = &q->t[q->at++];
		onode *right = p_unary(q);

		if (!right) {
			on_free(left);
			return NULL;
		}
		if (!near_operand(q, left) || !near_operand(q, right)) {
			q->why = "bad NEAR operand";
			on_free(left);
			on_free(right);
			return NULL;
		}
		left = on_bin(op->type == T_NEAR ? O_NEAR : O_ADJ, op->k,
			      left, right);
	}
	return left;
}

/* An AND list.  Returns NULL with *empty = 1 when it holds nothing
 * searchable, NULL with *empty = 0 on an error. */
static onode *p_and(qp *q, int *empty)
{
	onode *n = on_new(O_AND);
	size_t pos = 0, neg = 0;

	*empty = 0;
	for (;;) {
		ttype t = peek(q);
		int negated = 0;
		onode *m;

		if (t == T_END || t == T_RP || t == T_OR)
			break;
		if (t == T_AND || t == T_NOT) {
			if (n->nkids == 0) {
				q->why = "AND/NOT has no left operand";
				goto bad;
			}
			q->at++;
			if (t == T_AND && (peek(q) == T_NOT || peek(q) == T_NEG)) {
				q->at++;
				negated = 1;
			} else if (t == T_NOT) {
				negated = 1;
			}
		} else if (t == T_NEG) {
			q->at++;
			negated = 1;
		}
		t = peek(q);
		if (t != T_FIELD && t != T_LP && t != T_PHRASE &&
		    t != T_WORD && t != T_PREFIX) {
			q->why = "missing operand";
			goto bad;
		}
		m = p_near(q);
		if (!m)
			goto bad;
		m->neg = negated;
		on_add(n, m);
		if (!is_void(q, m)) {
			if (negated)
				neg++;
			else
				pos++;
		}
	}
	if (pos == 0) {
		if (neg > 0)
			q->why = "purely negative";
		else
			*empty = 1;
		goto bad;
	}
	if (n->nkids == 1) {
		onode *only = n->kids[0];

		n->nkids = 0;
		on_free(n);
		return only;
	}
	return n;
bad:
	on_free(n);
	return NULL;
}

static onode *p_or(qp *q, int *empty)
{
	onode *n = p_and(q, empty), *or;

	if (!n)
		return NULL;
	if (peek(q) != T_OR)
		return n;
	or = on_add(on_new(O_OR), n);
	while (peek(q) == T_OR) {
		q->at++;
		n = p_and(q, empty);
		if (!n) {
			if (*empty)
				q->why = "OR has a missing operand";
			*empty = 0;
			on_free(or);
			return NULL;
		}
		on_add(or, n);
	}
	return or;
}

onode *qtext_parse(trawl_analyzer *an, const char *text, const char **why)
{
	qp q = { .an = an };
	onode *n = NULL;
	int empty = 0;

	if (lex(&q, text) == 0) {
		n = p_or(&q, &empty);
		if (!n && empty)
			q.why = "empty query";
		if (n && peek(&q) != T_END) {
			q.why = peek(&q) == T_RP ? "unbalanced bracket"
						 : "unexpected token";
			on_free(n);
			n = NULL;
		}
	}
	for (size_t i = 0; i < q.n; i++)
		free(q.t[i].text);
	free(q.t);
	if (!n && why)
		*why = q.why ? q.why : "out of memory";
	return n;
}
