/*
 * postings.h -- a term's postings on disk: writer and cursor.
 *
 * "postings" file, one record per term at its dictionary offset:
 *   skip     only when df > PC_BLOCK: nblocks x 12 bytes
 *            { u32 last docno of the block, u32 end of the block's bytes
 *              (relative to the first block), u32 start of the block's
 *              positions (relative to the term's positions) }
 *   blocks   per block of n <= PC_BLOCK documents (n = 128 but the last):
 *            codec(docno gaps) codec(tf in title) codec(tf - 1)
 *            (tf = title tf + body tf >= 1; codec.h picks PFor or Rice per
 *            run)
 *            gap = docno - previous docno - 1; the first document of the
 *            term counts from -1, a block's first from the previous block's
 *            last docno (which the skip table holds, so a seek can start at
 *            any block).
 * "positions" file, per term, per block: the positions of its documents in
 * order, each document's title positions then its body positions, each
 * run as gaps (p - previous - 1, starting from -1), cut into groups of
 * PC_BLOCK values (PFor or Rice, codec.h).  Only documents that pass the
 * document-level checks of a query ever have their positions decoded.
 *
 * In memory a position carries its field in bit 31 (POS_BODY), so phrase
 * and proximity checks never mix fields.
 */
#ifndef TRAWL_POSTINGS_H
#define TRAWL_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "cfile.h"
#include "codec.h"
#include "dict.h"

#define POS_BODY 0x80000000u
#define POS_FIELD(p) ((p) & POS_BODY)
#define DOC_END UINT32_MAX

/* ---- writer ---- */

typedef struct postw {
	cfw *post, *pos;
	uint32_t docs[PC_BLOCK], tft[PC_BLOCK], tfb[PC_BLOCK];
	size_t n;              /* documents in the open block */
	uint32_t *vals;        /* positions of the open block, as gaps */
	size_t nvals, vals_cap;
	buf blocks, skips, tmp;
	uint32_t prev_last;    /* last docno of the previous block, or -1 */
	uint32_t df;
	uint64_t pos_start;    /* positions file offset of this term */
	uint64_t post_start;
	uint64_t npositions;   /* of this term */
} postw;

void postw_init(postw *w, cfw *post, cfw *pos);
void postw_free(postw *w);
void postw_begin(postw *w);
/* Adds a document (docnos strictly increasing within the term).  POS holds
 * the title positions (tft of them, increasing) then the body positions
 * (tfb), without the field bit. */
void postw_add(int *rc, postw *w, uint32_t docno, uint32_t tft, uint32_t tfb,
	       const uint32_t *pos);
/* The same in two steps, for a caller holding the positions as gaps (the
 * form they are written in): room for the next document's N gaps (NULL
 * and *rc set when out of memory), then the document, once they are in. */
uint32_t *postw_gap_room(int *rc, postw *w, size_t n);
void postw_add_gaps(int *rc, postw *w, uint32_t docno, uint32_t tft,
		    uint32_t tfb);
/* Ends the term: OUT df and the byte lengths written to each file. */
void postw_end(int *rc, postw *w, uint32_t *df, uint64_t *post_len,
	       uint64_t *pos_len);

/* ---- cursor ---- */

typedef struct pcursor {
	cfile *posf;
	const uint8_t *skip;     /* NULL for one block */
	uint32_t nblocks;
	const uint8_t *blocks;   /* first block */
	const uint8_t *end;      /* end of the record */
	uint64_t pos_off, pos_len;
	uint32_t df;
	uint32_t blk;            /* current block */
	uint32_t n, i;           /* documents in the block, index */
	uint32_t docs[PC_BLOCK], tft[PC_BLOCK], tfb[PC_BLOCK];
	/* Positions are decoded lazily: only the PFor groups holding the
	 * documents asked for, so checking one document of a common term
	 * does not decode its whole block. */
	int pos_loaded;          /* block prepared: pos_at, group 0 known */
	uint32_t *pos;           /* positions of the block, field bit set */
	size_t pos_cap;
	uint32_t pos_at[PC_BLOCK + 1]; /* doc i's positions: [pos_at[i], pos_at[i+1]) */
	const uint8_t *pos_end;  /* end of the block's positions bytes */
	const uint8_t **grp;     /* start of each PFor group, grp_known of them */
	uint8_t *grp_done;       /* group decoded into pos */
	size_t grp_cap;
	uint32_t grp_known;
	uint8_t doc_done[PC_BLOCK]; /* doc's gaps turned into positions */
	uint32_t docno;          /* current, DOC_END at the end */
	trawl_error *err;        /* where errors go */
	int rc;                  /* sticky error */
} pcursor;

/* Opens a cursor on term T, positioned on its first document. */
int pcur_open(pcursor *c, cfile *postf, cfile *posf, const dterm *t,
	      trawl_error *err);
void pcur_close(pcursor *c);
/* pcur_seek() past the decoded block, at the end or after an error. */
uint32_t pcur_seek_slow(pcursor *c, uint32_t target);
/* Moves to the first document >= target (target > current); returns the
 * docno, DOC_END at the end or on error (c->rc says which).  Inline for
 * the common case, a target inside the decoded block (an error leaves
 * docno at DOC_END, so it always takes the slow path). */
/* The seek's last step, shared with pcur_seek_slow(): the first document
 * >= target in the decoded block, which must hold one. */
static inline uint32_t pcur_seek_in_block(pcursor *c, uint32_t target)
{
	uint32_t i = c->i;
	while (c->docs[i] < target)
		i++;
	c->i = i;
	c->docno = c->docs[i];
	return c->docno;
}
static inline uint32_t pcur_seek(pcursor *c, uint32_t target)
{
	if (c->docno != DOC_END && target > c->docno &&
	    target <= c->docs[c->n - 1])
		return pcur_seek_in_block(c, target);
	return pcur_seek_slow(c, target);
}
static inline uint32_t pcur_next(pcursor *c)
{
	return pcur_seek(c, c->docno + 1);
}
/* Moves the cursor to document I of its decoded block (docs[I]), found
 * by the caller in docs[i..n): a seek already done. */
static inline void pcur_stand(pcursor *c, uint32_t i)
{
	c->i = i;
	c->docno = c->docs[i];
}
/* The current document's positions (title first, field bit set).
 * Valid until the cursor moves to another block.  The array may be read
 * up to PC_BLOCK values past its end (the block's buffer keeps that much
 * room; what is there means nothing). */
int pcur_positions(pcursor *c, const uint32_t **pos, uint32_t *n);
static inline uint32_t pcur_tf_title(const pcursor *c) { return c->tft[c->i]; }
static inline uint32_t pcur_tf_body(const pcursor *c) { return c->tfb[c->i]; }

#endif
