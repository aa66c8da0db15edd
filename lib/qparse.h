/*
 * qparse.h -- query text -> tree (SPEC section 3).  The parser analyses
 * each word with the index's analyser, so leaves hold terms (stems), and
 * pushes field restrictions down to the leaves.  It never evaluates.
 *
 * Tree shapes after parsing:
 *   QN_TERM    a stem; term == NULL for a token over 64 bytes (matches nothing)
 *   QN_PREFIX  normalised, unstemmed prefix text; matches terms starting with it
 *   QN_PHRASE  nterms >= 2 stems at consecutive positions (a NULL stem in it
 *              makes the phrase match nothing)
 *   QN_AND     nkids >= 2; kids with negated=1 are the NOT / - members; at
 *              least one kid is positive
 *   QN_OR      nkids >= 2, none negated
 *   QN_NEAR, QN_ADJ  exactly 2 kids, distance k (saturated at UINT32_MAX)
 * A group or AND list of one member is replaced by that member; words with
 * no token are dropped.  Every node has fields: a mask of TR_FIELD_* the
 * leaf may match in (0 = matches nothing, as in title:(body:x)); only
 * leaves use it.
 */
#ifndef TRAWL_QPARSE_H
#define TRAWL_QPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "trawl.h"

enum { TR_FIELD_TITLE = 1, TR_FIELD_BODY = 2, TR_FIELD_ANY = 3 };

typedef enum {
	QN_TERM,
	QN_PREFIX,
	QN_PHRASE,
	QN_AND,
	QN_OR,
	QN_NEAR,
	QN_ADJ
} qn_kind;

typedef struct qnode qnode;
struct qnode {
	qn_kind kind;
	int fields;     /* TR_FIELD_* mask, leaves only */
	int negated;    /* a NOT / - member of its parent AND */
	int column;     /* 1-based column where the node starts */
	uint32_t k;     /* NEAR/ADJ distance */
	char **terms;   /* TERM: 1 entry; PHRASE: nterms; PREFIX: 1 (the prefix);
			   entries are NUL-terminated, an entry may be NULL */
	size_t nterms;
	qnode **kids;   /* AND, OR: nkids; NEAR/ADJ: 2 */
	size_t nkids;
};

/* Parses TEXT (NUL-terminated UTF-8) analysing words with A.
 * OUT: *out, freed with qp_free.  ESYNTAX with err->column and a message
 * that names the problem for a rejected query; ELIMIT for a query past
 * the limits of limits.h; ENOMEM. */
int qp_parse(trawl_analyzer *a, const char *text, qnode **out,
	     trawl_error *err);
void qp_free(qnode *n);

/* Writes the tree in prefix form, e.g.
 *   (AND (PHRASE tren de aragua) (NOT (TERM gas)))
 *   (NEAR/10 (PHRASE tren de aragua) (OR (TERM direct) (PREFIX control)))
 * with title:/body: before leaves restricted to one field, and "(NONE)"
 * for field mask 0.  OUT: *out, NUL-terminated, free() it. */
int qp_describe(const qnode *n, char **out);

#endif
