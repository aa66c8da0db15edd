/*
 * oracle.h -- the differential test's own query tree, brute-force matcher,
 * generator and text parser.  Nothing here includes an engine header but
 * trawl.h, and the only engine code the oracle calls is the public analyser
 * (trawl_analyze): the point is to judge the evaluator and parser from
 * SPEC.md alone.
 *
 *   oracle.c   documents in memory, analysed per field; evaluation of a tree
 *   gen.c      seeded random documents and queries, and rendering to text
 *   qtext.c    a small independent parser of query text (for the
 *              conformance vectors, which come as text)
 *   json.c     just enough JSON to read the conformance files
 *   main.c     options, self-test, differential run, conformance
 */
#ifndef ORACLE_H
#define ORACLE_H

#include <stddef.h>
#include <stdint.h>

#include "trawl.h"

/* Field bits; a mask of them says where a leaf may match. */
enum { OF_TITLE = 1, OF_BODY = 2, OF_ANY = 3 };

typedef enum {
	O_WORD,   /* text as typed; analyses to one stem or a phrase of several */
	O_PHRASE, /* text inside quotes */
	O_PREFIX, /* text before the '*' */
	O_FIELD,  /* title:/body: over kids[0] */
	O_AND,    /* kids with neg = 1 are NOT / - members */
	O_OR,
	O_NEAR,   /* exactly two kids, left to right */
	O_ADJ
} okind;

typedef struct onode onode;
struct onode {
	okind kind;
	char *text;       /* leaves: owned, NUL-terminated */
	int field;        /* O_FIELD: OF_TITLE or OF_BODY */
	uint64_t k;       /* O_NEAR, O_ADJ; saturated */
	int neg;          /* a negated member of the parent O_AND */
	onode **kids;
	size_t nkids;

	/* How gen.c writes the node; the parser leaves them 0. */
	int style;        /* NEAR: how k is written; PHRASE: quote kind */
	int sep;          /* AND member: how it is joined to the list */
	int paren;        /* extra brackets not needed by precedence */

	/* Filled by oracle_compile for one corpus. */
	int compiled;
	size_t ntok;      /* tokens of a leaf's text; 0 = ignored leaf */
	int *tids;        /* WORD/PHRASE: term id per token, -1 = none */
	unsigned char *pok; /* PREFIX: pok[tid] != 0 when the term starts
			       with the prefix */
};

/* ---- Trees (oracle.c) ---- */
onode *on_new(okind kind);                 /* aborts on OOM: a test */
onode *on_leaf(okind kind, const char *text);
onode *on_add(onode *parent, onode *kid);  /* returns parent */
onode *on_field(int field, onode *kid);
onode *on_bin(okind kind, uint64_t k, onode *a, onode *b);
onode *on_neg(onode *n);                   /* sets neg, returns n */
void on_free(onode *n);
/* Prefix form, e.g. (AND (WORD oil) (NOT (NEAR/3 (WORD a) (PREFIX b)))).
 * Returns a malloc'd string. */
char *on_describe(const onode *n);

/* ---- The oracle (oracle.c) ---- */
typedef struct oracle oracle;

oracle *oracle_new(trawl_analyzer *an);
void oracle_free(oracle *o);
/* Adds a document (strings copied; NULL = empty).  A repeated id replaces
 * the earlier document, as SPEC section 3.1 says the index does. */
void oracle_add(oracle *o, const char *id, const char *title, size_t tlen,
		const char *body, size_t blen);
/* Analyses every document; call after the last oracle_add. */
void oracle_seal(oracle *o);
size_t oracle_ndocs(const oracle *o);
const char *oracle_id(const oracle *o, size_t i);
/* Analyses the leaves of N against this corpus's terms (again if needed). */
void oracle_compile(oracle *o, onode *n);
/* Evaluates N (compiled) on every document.  OUT: match[i] for doc i. */
void oracle_eval(oracle *o, onode *n, unsigned char *match);
/* Number of tokens TEXT analyses to (a helper for the generator and the
 * parser); OUT: the first token's normalised text when FIRST != NULL
 * (malloc'd, may be NULL when there is none). */
size_t oracle_ntokens(trawl_analyzer *an, const char *text, char **first);

/* ---- Generator (gen.c) ---- */
typedef struct rng {
	uint64_t s;
} rng;
uint64_t or_rand(rng *r);
uint32_t or_below(rng *r, uint32_t n); /* 0 .. n-1 */

typedef struct gdoc {
	char id[24];
	char *title, *body;   /* malloc'd; NULL means empty (tests that path) */
	size_t tlen, blen;
	int *tw, *bw;         /* vocabulary word indexes, title and body */
	size_t ntw, nbw;
} gdoc;

typedef struct gcorpus {
	gdoc *docs;
	size_t ndocs;
	size_t family;        /* terms fam00, fam01, ...: see og_corpus */
} gcorpus;

/* NDOCS documents.  JUNK distinct-ish filler terms end each body (they
 * swell the builder's memory and never match a generated query).  With
 * FAMILY > 0, document i also ends with the term fam<i % FAMILY>, so
 * that prefix queries like fam* expand to exactly FAMILY terms (sizes
 * around an engine's expansion limits are where bugs hide). */
void og_corpus(rng *r, size_t ndocs, size_t junk, size_t family,
	       gcorpus *c);
void og_corpus_free(gcorpus *c);
/* A random valid query over corpus C.  AN decides which prefixes are one
 * token.  Caller frees with on_free. */
onode *og_query(rng *r, const gcorpus *c, trawl_analyzer *an);
/* The text of N as a user would type it.  malloc'd. */
char *og_render(const onode *n);
/* Now and then replaces the spaces of *TEXT (IN/OUT, malloc'd) with
 * other Unicode white space; the meaning stays. */
void og_respace(rng *r, char **text);
/* A query text SPEC section 3 rejects, made by breaking VALID. */
char *og_invalid(rng *r, const char *valid);

/* ---- Text parser (qtext.c) ---- */
/* Parses TEXT into a tree, or returns NULL for a query SPEC rejects (with
 * a short reason in *why, static text).  Words are analysed with AN only
 * to classify them (prefix of one token, word with no token). */
onode *qtext_parse(trawl_analyzer *an, const char *text, const char **why);

/* ---- JSON (json.c) ---- */
/* One value of a flat JSON object line.  Strings are decoded to UTF-8. */
typedef struct jval {
	int type;          /* 's' string, 'n' number, 'a' array of strings,
			      '0' null, 'b' bool, 'x' anything else */
	char *s;           /* 's': malloc'd */
	size_t slen;
	double num;
	char **arr;        /* 'a': malloc'd strings */
	size_t narr;
} jval;

/* Parses LINE as an object and fills the values of the NKEYS keys asked
 * for (type '-' when absent).  Returns 0, or -1 when the line is not a JSON
 * object.  Free with oj_clear. */
int oj_object(const char *line, const char *const *keys, jval *vals,
		size_t nkeys);
void oj_clear(jval *v);

#endif
