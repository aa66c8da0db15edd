/*
 * fuzz_qparse.c -- libFuzzer target for the query parser: any bytes are
 * parsed (a NUL-terminated copy, so a NUL ends the query), an accepted
 * query must give a tree of the shapes qparse.h promises and a
 * description, a rejected one a message and a column inside the text.
 * Seeds: fuzz/corpus/fuzz_qparse/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trawl.h"
#include "tlimits.h"
#include "qparse.h"

/* Aborts unless N and its subtree keep the promises of qparse.h; returns
 * its height in operators. */
static int check(const qnode *n, int parent_is_and)
{
	if (n->column < 1 || (n->negated && !parent_is_and))
		abort();
	switch (n->kind) {
	case QN_TERM:
	case QN_PREFIX:
		if (n->nterms != 1 || n->nkids != 0 || !n->terms)
			abort();
		if (n->kind == QN_PREFIX && !n->terms[0])
			abort();
		if (n->fields < 0 || n->fields > TR_FIELD_ANY)
			abort();
		return 0;
	case QN_PHRASE:
		if (n->nterms < 2 || n->nkids != 0 || !n->terms)
			abort();
		if (n->fields < 0 || n->fields > TR_FIELD_ANY)
			abort();
		return 0;
	case QN_AND:
	case QN_OR:
	case QN_NEAR:
	case QN_ADJ: {
		int positive = 0, deepest = 0;
		if (n->nkids < 2 || n->nterms != 0)
			abort();
		if ((n->kind == QN_NEAR || n->kind == QN_ADJ) && n->nkids != 2)
			abort();
		for (size_t i = 0; i < n->nkids; i++) {
			const qnode *k = n->kids[i];
			if (k->negated && n->kind != QN_AND)
				abort();
			positive |= !k->negated;
			/* NEAR/ADJ operands are never an AND. */
			if ((n->kind == QN_NEAR || n->kind == QN_ADJ) &&
			    k->kind == QN_AND)
				abort();
			int h = check(k, n->kind == QN_AND);
			if (h > deepest)
				deepest = h;
		}
		if (!positive)
			abort();
		return deepest + 1;
	}
	}
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static trawl_analyzer *a;
	if (!a && trawl_analyzer_new("english", &a, NULL) != TRAWL_OK)
		abort();
	char *q = malloc(size + 1);
	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';

	qnode *n = NULL;
	trawl_error err;
	int rc = qp_parse(a, q, &n, &err);
	if (rc == TRAWL_OK) {
		if (!n || check(n, 0) > TR_MAX_QUERY_DEPTH)
			abort();
		char *d = NULL;
		if (qp_describe(n, &d) == TRAWL_OK) {
			if (!d || !d[0])
				abort();
			free(d);
		}
		qp_free(n);
	} else {
		if (n || err.code != rc || err.message[0] == '\0')
			abort();
		if (rc != TRAWL_ESYNTAX && rc != TRAWL_ELIMIT &&
		    rc != TRAWL_ENOMEM)
			abort();
		if (err.column < 1 || (size_t)err.column > strlen(q) + 1)
			abort();
	}
	free(q);
	return 0;
}
