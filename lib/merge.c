/*
 * merge.c -- run merging (see merge.h).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "dict.h"
#include "error.h"
#include "memindex.h"
#include "merge.h"
#include "postings.h"

/* A sorted source of postings: a run file, or the memindex itself
 * (sorted by mi_sort()) when its last documents were never spilled. */
typedef struct run {
	FILE *f;
	char *vbuf;
	const memindex *mem;
	size_t mem_at;     /* mi_term() index of the current term, plus one */
	const char *path;
	unsigned lane;     /* sources of one lane: increasing docno ranges */
	int eof;
	char term[DICT_TERM_MAX + 1];
	size_t len;
	uint64_t df, nbytes;
} run;

static int get_varint(FILE *f, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		int c = getc(f);
		if (c == EOF)
			return -1;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* Reads the next term header of R; sets eof at a clean end. */
static int advance(run *r, trawl_error *err)
{
	if (r->mem) {
		if (r->mem_at == mi_nterms(r->mem)) {
			r->eof = 1;
			return TRAWL_OK;
		}
		const char *str;
		uint32_t df;
		mi_term(r->mem, r->mem_at++, &str, &r->len, &df, &r->nbytes);
		memcpy(r->term, str, r->len);
		r->term[r->len] = '\0';
		r->df = df;
		return TRAWL_OK;
	}
	uint64_t len;
	int c = getc(r->f);
	if (c == EOF) {
		if (ferror(r->f))
			return tr_err(err, TRAWL_EIO, "reading %s: %s", r->path,
				      strerror(errno));
		r->eof = 1;
		return TRAWL_OK;
	}
	ungetc(c, r->f);
	if (get_varint(r->f, &len) || len > DICT_TERM_MAX ||
	    fread(r->term, 1, len, r->f) != len || get_varint(r->f, &r->df) ||
	    get_varint(r->f, &r->nbytes))
		return tr_err(err, TRAWL_EIO, "%s: run file truncated", r->path);
	r->len = len;
	r->term[len] = '\0';
	return TRAWL_OK;
}

/* Compares a run's current term with TERM (LEN bytes). */
static int cmp_with(const run *r, const char *term, size_t len)
{
	size_t n = r->len < len ? r->len : len;
	int c = memcmp(r->term, term, n);
	if (c)
		return c;
	return r->len < len ? -1 : r->len > len;
}

static int cmp_term(const run *a, const run *b)
{
	return cmp_with(a, b->term, b->len);
}

/* Opens the NSRCS sources, run files with a BUF_BYTES read buffer each,
 * and reads each one's first term. */
static int open_runs(run *rs, const merge_src *srcs, size_t nsrcs,
		     size_t buf_bytes, trawl_error *err)
{
	if (buf_bytes < 4096)
		buf_bytes = 4096;
	for (size_t i = 0; i < nsrcs; i++) {
		rs[i].lane = srcs[i].lane;
		if (srcs[i].mem) {
			rs[i].mem = srcs[i].mem;
			rs[i].path = "the in-memory run";
		} else {
			rs[i].path = srcs[i].path;
			rs[i].f = fopen(srcs[i].path, "rb");
			rs[i].vbuf = malloc(buf_bytes);
			if (!rs[i].f || !rs[i].vbuf)
				return tr_err(err, TRAWL_EIO, "%s: %s",
					      srcs[i].path, strerror(errno));
			setvbuf(rs[i].f, rs[i].vbuf, _IOFBF, buf_bytes);
		}
		int rc = advance(&rs[i], err);
		if (rc)
			return rc;
	}
	return TRAWL_OK;
}

/* The run whose current term comes first, or NULL when all are done. */
static const run *smallest(const run *rs, size_t nruns)
{
	const run *min = NULL;
	for (size_t i = 0; i < nruns; i++)
		if (!rs[i].eof && (!min || cmp_term(&rs[i], min) < 0))
			min = &rs[i];
	return min;
}

static void close_runs(run *rs, size_t nruns)
{
	for (size_t i = 0; rs && i < nruns; i++) {
		if (rs[i].f)
			fclose(rs[i].f);
		free(rs[i].vbuf);
	}
	free(rs);
}

static void fput_varint(FILE *f, uint64_t v)
{
	while (v >= 0x80) {
		putc((int)(v | 0x80) & 0xff, f);
		v >>= 7;
	}
	putc((int)v, f);
}

/* Reads R's payload of the current term into P. */
static int read_payload_bytes(run *r, buf *p, trawl_error *err)
{
	int rc = TRAWL_OK;
	buf_reset(p);
	buf_reserve(&rc, p, r->nbytes);
	if (rc)
		return tr_err(err, rc, "out of memory merging postings");
	p->n = r->nbytes;
	if (r->mem)
		mi_payload(r->mem, r->mem_at - 1, p->p);
	else if (fread(p->p, 1, r->nbytes, r->f) != r->nbytes)
		return tr_err(err, TRAWL_EIO, "%s: run file truncated", r->path);
	return TRAWL_OK;
}

/* Reads N varints of at most 32 bits from IN into OUT.  With room for N
 * of the longest in IN, the loop checks no bounds (the merge decodes
 * every position of the corpus here). */
static inline __attribute__((always_inline)) int
get_varints(rd *in, uint32_t *out, size_t n)
{
	const uint8_t *p = in->p;
	if ((size_t)(in->end - p) / 5 < n) {
		for (size_t i = 0; i < n; i++)
			if (rd_varint32(in, &out[i]))
				return TRAWL_ECORRUPT;
		return TRAWL_OK;
	}
	for (size_t i = 0; i < n; i++) {
		/* most gaps take one byte or two: which one, without a branch
		 * (position gaps take either often enough for the branch to
		 * miss; the merge of the four shared collections is 7 %
		 * faster so) */
		uint32_t b0 = p[0], b1 = p[1], more = b0 >> 7, v;
		if (__builtin_expect(more & (b1 >> 7), 0)) {
			rd r = { p, in->end };
			if (rd_varint32_slow(&r, &v))
				return TRAWL_ECORRUPT;
			p = r.p;
		} else {
			v = (b0 & 0x7f) | ((b1 << 7) & (0u - more));
			p += 1 + more;
		}
		out[i] = v;
	}
	in->p = p;
	return TRAWL_OK;
}

/* Names the file whose write failed, and why: one of W's, or DW's. */
static int write_failed(const postw *w, const dict_writer *dw, int rc,
			trawl_error *err)
{
	const cfw *ws[3] = { w->post, w->pos, dw ? dw->w : NULL };
	for (int i = 0; i < 3; i++)
		if (ws[i] && ws[i]->eno)
			return cfw_fail(ws[i], rc, err);
	return tr_err(err, rc, "writing the index: %s", trawl_errstr(rc));
}

/* Feeds a document's postings (DOCNO, TFT + TFB position gaps next in
 * IN, a run's data read from PATH) into W, unless DEAD (NDOCS bits; may
 * be NULL) drops it: the run holds positions as gaps, as W writes them,
 * so they go straight into W.  *RC, TRAWL_OK on the way in, is the
 * caller's for the whole loop (a variable of its own for each document
 * cost the merge's loop 5 % more instructions); returns it. */
static inline __attribute__((always_inline)) int
feed_doc(int *rc, postw *w, const uint8_t *dead, uint32_t ndocs, rd *in,
	 uint32_t docno, uint32_t tft, uint32_t tfb, const char *path,
	 trawl_error *err)
{
	size_t n = (size_t)tft + tfb;
	if (n > (size_t)(in->end - in->p)) /* a gap takes a byte at least */
		return *rc = tr_err(err, TRAWL_EIO, "%s: bad run data", path);
	uint32_t *g = postw_gap_room(rc, w, n);
	if (!g)
		return *rc = tr_err(err, *rc, "out of memory merging postings");
	if (get_varints(in, g, n))
		return *rc = tr_err(err, TRAWL_EIO, "%s: bad run data", path);
	if (dead && docno < ndocs && (dead[docno >> 3] >> (docno & 7)) & 1)
		return TRAWL_OK;
	postw_add_gaps(rc, w, docno, tft, tfb);
	if (*rc)
		return *rc = write_failed(w, NULL, *rc, err);
	return TRAWL_OK;
}

/* Feeds one run's postings of the current term into W. */
static int copy_postings(run *r, const uint8_t *dead, uint32_t ndocs,
			 buf *payload, postw *w, trawl_error *err)
{
	int rc = read_payload_bytes(r, payload, err);
	if (rc)
		return rc;
	rd in = { payload->p, payload->p + r->nbytes };
	uint32_t docno = UINT32_MAX;
	for (uint64_t k = 0; k < r->df; k++) {
		uint32_t gap, tft, tfb;
		if (rd_varint32(&in, &gap) || rd_varint32(&in, &tft) ||
		    rd_varint32(&in, &tfb))
			return tr_err(err, TRAWL_EIO, "%s: bad run data", r->path);
		docno = docno + 1 + gap;
		if (feed_doc(&rc, w, dead, ndocs, &in, docno, tft, tfb, r->path,
			     err))
			return rc;
	}
	return TRAWL_OK;
}

/* Reads past the current term's postings without decoding them. */
static int skip_postings(run *r, uint8_t *scratch, size_t scratch_n,
			 trawl_error *err)
{
	for (uint64_t left = r->mem ? 0 : r->nbytes; left;) {
		size_t k = left < scratch_n ? (size_t)left : scratch_n;
		if (fread(scratch, 1, k, r->f) != k)
			return tr_err(err, TRAWL_EIO, "%s: run file truncated",
				      r->path);
		left -= k;
	}
	return advance(r, err);
}

/* One range of terms, [lo, hi), merged by one thread.  Terms go to a
 * dictionary writer, or (the second half of a split merge) to a file of
 * entries the first thread adds after its own. */
typedef struct merge_job {
	const merge_src *srcs;
	size_t nsrc;
	unsigned nlanes;
	const uint8_t *dead;
	uint32_t ndocs;
	size_t buf_bytes;
	const char *lo, *hi; /* NULL: from the first term, to the last */
	size_t lo_len, hi_len;
	postw w;
	dict_writer *dw;
	FILE *entries;
	const char *entries_path;
	merge_out out;
	int rc;
	trawl_error *err;
} merge_job;

/* A lane's postings of the current term, read a document at a time
 * from its sources in turn. */
typedef struct lane_head {
	size_t at;       /* the next source to look at */
	run *r;          /* the source being read; NULL: the lane is done */
	buf payload;
	rd in;
	uint64_t left;   /* documents of r after the current one */
	uint32_t docno, tft, tfb;
} lane_head;

/* Reads the header of H's next document in its source. */
static inline int head_read(merge_job *j, lane_head *h)
{
	uint32_t gap;
	if (rd_varint32(&h->in, &gap) || rd_varint32(&h->in, &h->tft) ||
	    rd_varint32(&h->in, &h->tfb))
		return tr_err(j->err, TRAWL_EIO, "%s: bad run data", h->r->path);
	h->docno = h->docno + 1 + gap;
	h->left--;
	return TRAWL_OK;
}

/* Moves H, whose source is done (or none yet), to the first document of
 * LANE's next source with TERM (LEN bytes); h->r is NULL when none is
 * left. */
static int head_next_source(merge_job *j, run *rs, lane_head *h,
			    unsigned lane, const char *term, size_t len)
{
	for (;;) {
		if (h->r) {
			int rc = advance(h->r, j->err);
			h->r = NULL;
			if (rc)
				return rc;
		}
		while (h->at < j->nsrc && !h->r) {
			run *r = &rs[h->at++];
			if (r->lane == lane && !r->eof && r->len == len &&
			    !memcmp(r->term, term, len))
				h->r = r;
		}
		if (!h->r)
			return TRAWL_OK;
		int rc = read_payload_bytes(h->r, &h->payload, j->err);
		if (rc)
			return rc;
		h->in = (rd){ h->payload.p, h->payload.p + h->r->nbytes };
		h->left = h->r->df;
		h->docno = UINT32_MAX; /* a payload's first gap is from -1 */
		if (h->left)
			return head_read(j, h);
	}
}

/* Moves H to LANE's next document of TERM (LEN bytes). */
static inline int head_next(merge_job *j, run *rs, lane_head *h,
			    unsigned lane, const char *term, size_t len)
{
	if (h->r && h->left)
		return head_read(j, h);
	return head_next_source(j, rs, h, lane, term, len);
}

/* Feeds the lanes' postings of TERM into J's writer in docno order: each
 * lane's documents are in order, and the lanes' interleave. */
static int interleave(merge_job *j, run *rs, lane_head *hs, const char *term,
		      size_t len)
{
	int rc = TRAWL_OK;
	for (unsigned l = 0; l < j->nlanes && !rc; l++) {
		hs[l].at = 0;
		hs[l].r = NULL;
		hs[l].left = 0;
		rc = head_next(j, rs, &hs[l], l, term, len);
	}
	while (!rc) {
		/* the lane with the first document feeds on until another
		 * lane's comes first (up to a chunk of documents) */
		lane_head *m = NULL;
		uint32_t limit = UINT32_MAX;
		for (unsigned l = 0; l < j->nlanes; l++) {
			if (!hs[l].r)
				continue;
			if (!m || hs[l].docno < m->docno) {
				if (m)
					limit = m->docno;
				m = &hs[l];
			} else if (hs[l].docno < limit) {
				limit = hs[l].docno;
			}
		}
		if (!m)
			break;
		do {
			if (!feed_doc(&rc, &j->w, j->dead, j->ndocs, &m->in,
				      m->docno, m->tft, m->tfb, m->r->path,
				      j->err))
				rc = head_next(j, rs, m, (unsigned)(m - hs), term,
					       len);
		} while (!rc && m->r && m->docno < limit);
	}
	return rc;
}

static int merge_range(merge_job *j)
{
	trawl_error *err = j->err;
	int rc = TRAWL_OK;
	run *rs = calloc(j->nsrc ? j->nsrc : 1, sizeof *rs);
	lane_head *hs = NULL;
	buf payload;
	buf_init(&payload);
	if (!rs)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	if (j->nlanes > 1 && !(hs = calloc(j->nlanes, sizeof *hs))) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = open_runs(rs, j->srcs, j->nsrc, j->buf_bytes, err)))
		goto done;
	if (j->lo) {
		uint8_t scratch[16384];
		for (size_t i = 0; i < j->nsrc && !rc; i++)
			while (!rc && !rs[i].eof && cmp_with(&rs[i], j->lo, j->lo_len) < 0)
				rc = skip_postings(&rs[i], scratch, sizeof scratch, err);
		if (rc)
			goto done;
	}
	for (;;) {
		const run *min = smallest(rs, j->nsrc);
		if (!min || (j->hi && cmp_with(min, j->hi, j->hi_len) >= 0))
			break;
		char term[DICT_TERM_MAX + 1];
		size_t len = min->len;
		memcpy(term, min->term, len + 1);
		postw_begin(&j->w);
		if (j->nlanes > 1) {
			if ((rc = interleave(j, rs, hs, term, len)))
				goto done;
		}
		/* one lane: its sources hold increasing docno ranges */
		for (size_t i = 0; j->nlanes == 1 && i < j->nsrc; i++) {
			run *r = &rs[i];
			if (r->eof || r->len != len || memcmp(r->term, term, len))
				continue;
			rc = copy_postings(r, j->dead, j->ndocs, &payload, &j->w,
					   err);
			if (!rc)
				rc = advance(r, err);
			if (rc)
				goto done;
		}
		uint32_t df;
		uint64_t post_len, pos_len;
		uint64_t npos = j->w.npositions;
		postw_end(&rc, &j->w, &df, &post_len, &pos_len);
		if (df == 0 && !rc)
			continue; /* every document of the term was replaced */
		if (j->dw) {
			dictw_add(&rc, j->dw, term, len, df, post_len, pos_len);
		} else if (!rc) {
			fput_varint(j->entries, len);
			fwrite(term, 1, len, j->entries);
			fput_varint(j->entries, df);
			fput_varint(j->entries, post_len);
			fput_varint(j->entries, pos_len);
			if (ferror(j->entries)) {
				rc = tr_err(err, TRAWL_EIO, "writing %s: %s",
					    j->entries_path, strerror(errno));
				goto done;
			}
		}
		if (rc) {
			rc = write_failed(&j->w, j->dw, rc, err);
			goto done;
		}
		j->out.terms++;
		j->out.postings += df;
		j->out.positions += npos;
		if (len && term[0] == SEG_PAIR_MARK) {
			j->out.pair_terms++;
			j->out.pair_postings += df;
			j->out.pair_positions += npos;
		}
	}
done:
	close_runs(rs, j->nsrc);
	for (unsigned l = 0; hs && l < j->nlanes; l++)
		buf_free(&hs[l].payload);
	free(hs);
	buf_free(&payload);
	return rc;
}

static void *merge_thread(void *arg)
{
	merge_job *j = arg;
	j->rc = merge_range(j);
	return NULL;
}

/* Adds the second half's dictionary entries after the first half's. */
static int add_entries(merge_job *j, dict_writer *dw, trawl_error *err)
{
	if (fflush(j->entries) != 0 || fseek(j->entries, 0, SEEK_SET) != 0)
		return tr_err(err, TRAWL_EIO, "%s: %s", j->entries_path,
			      strerror(errno));
	int rc = TRAWL_OK;
	for (uint64_t k = 0; k < j->out.terms && !rc; k++) {
		uint64_t len, df, post_len, pos_len;
		char term[DICT_TERM_MAX + 1];
		if (get_varint(j->entries, &len) || len > DICT_TERM_MAX ||
		    fread(term, 1, len, j->entries) != len ||
		    get_varint(j->entries, &df) || get_varint(j->entries, &post_len) ||
		    get_varint(j->entries, &pos_len))
			return tr_err(err, TRAWL_EIO, "%s: truncated", j->entries_path);
		dictw_add(&rc, dw, term, len, (uint32_t)df, post_len, pos_len);
	}
	if (rc)
		return tr_err(err, rc, "writing the dictionary: %s",
			      trawl_errstr(rc));
	return TRAWL_OK;
}

int merge_runs(const merge_src *srcs, size_t nsrcs, const uint8_t *dead,
	       uint32_t ndocs, size_t buf_bytes, const merge_split *split,
	       cfw *terms, cfw *postings, cfw *positions, merge_out *out,
	       trawl_error *err)
{
	memset(out, 0, sizeof *out);
	dict_writer dw;
	dictw_init(&dw, terms);
	merge_job a, b;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	unsigned nlanes = 1;
	for (size_t i = 0; i < nsrcs; i++)
		if (srcs[i].lane >= nlanes)
			nlanes = srcs[i].lane + 1;
	a.srcs = b.srcs = srcs;
	a.nsrc = b.nsrc = nsrcs;
	a.nlanes = b.nlanes = nlanes;
	a.dead = b.dead = dead;
	a.ndocs = b.ndocs = ndocs;
	a.buf_bytes = b.buf_bytes = buf_bytes;
	a.dw = &dw;
	a.err = err;
	postw_init(&a.w, postings, positions);
	trawl_error berr;
	memset(&berr, 0, sizeof berr);
	char epath[PATH_MAX];
	int rc = TRAWL_OK, two = split && split->term_len, threaded = 0;
	pthread_t th;
	if (two) {
		a.hi = b.lo = split->term;
		a.hi_len = b.lo_len = split->term_len;
		postw_init(&b.w, split->postings, split->positions);
		b.err = err;
		b.dw = &dw;
	}
	if (two && split->threaded) {
		/* its dictionary entries wait in a file until the first
		 * half's are written */
		snprintf(epath, sizeof epath, "%s/merge-terms", split->dir);
		b.entries = fopen(epath, "w+bx");
		if (b.entries) {
			b.entries_path = epath;
			b.dw = NULL;
			b.err = &berr;
			if (pthread_create(&th, NULL, merge_thread, &b) == 0) {
				threaded = 1;
			} else {
				b.dw = &dw;
				b.err = err;
			}
		}
	}
	rc = merge_range(&a);
	if (threaded) {
		pthread_join(th, NULL);
		if (!rc && b.rc)
			rc = tr_err(err, b.rc, "%s", berr.message);
		if (!rc)
			rc = add_entries(&b, &dw, err);
	} else if (two && !rc) { /* one thread after all: in turn */
		rc = merge_range(&b);
	}
	if (!rc) {
		dictw_finish(&rc, &dw);
		if (rc)
			rc = tr_err(err, rc, "writing the dictionary: %s",
				    trawl_errstr(rc));
	}
	out->terms = a.out.terms + b.out.terms;
	out->postings = a.out.postings + b.out.postings;
	out->positions = a.out.positions + b.out.positions;
	out->pair_terms = a.out.pair_terms + b.out.pair_terms;
	out->pair_postings = a.out.pair_postings + b.out.pair_postings;
	out->pair_positions = a.out.pair_positions + b.out.pair_positions;
	if (b.entries) {
		fclose(b.entries);
		unlink(epath);
	}
	if (two)
		postw_free(&b.w);
	postw_free(&a.w);
	dictw_free(&dw);
	return rc;
}

/* Reads R's payload of the current term into P; OUT: the last docno and
 * the payload's length in bytes without its first docno varint, whose
 * value (the absolute first docno) goes to *first. */
static int read_payload(run *r, buf *p, uint32_t *first, uint32_t *last,
			size_t *rest_at, trawl_error *err)
{
	int rc = read_payload_bytes(r, p, err);
	if (rc)
		return rc;
	rd in = { p->p, p->p + p->n };
	uint32_t docno = UINT32_MAX;
	for (uint64_t k = 0; k < r->df; k++) {
		uint32_t gap, tft, tfb;
		if (rd_varint32(&in, &gap))
			return tr_err(err, TRAWL_EIO, "%s: bad run data", r->path);
		if (k == 0)
			*rest_at = (size_t)(in.p - p->p);
		docno = docno + 1 + gap;
		if (k == 0)
			*first = docno;
		if (rd_varint32(&in, &tft) || rd_varint32(&in, &tfb))
			return tr_err(err, TRAWL_EIO, "%s: bad run data", r->path);
		for (uint64_t i = 0; i < (uint64_t)tft + tfb; i++) {
			uint32_t g;
			if (rd_varint32(&in, &g))
				return tr_err(err, TRAWL_EIO, "%s: bad run data",
					      r->path);
		}
	}
	*last = docno;
	return TRAWL_OK;
}

int merge_runs_to_run(char **runs, size_t nruns, const char *out,
		      size_t buf_bytes, trawl_error *err)
{
	int rc = TRAWL_OK;
	run *rs = calloc(nruns ? nruns : 1, sizeof *rs);
	merge_src *srcs = NULL;
	buf payload, joined;
	buf_init(&payload);
	buf_init(&joined);
	FILE *o = NULL;
	char *obuf = malloc(1 << 20);
	if (!rs || !obuf) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	o = fopen(out, "wbx");
	if (!o) {
		rc = tr_err(err, TRAWL_EIO, "%s: %s", out, strerror(errno));
		goto done;
	}
	setvbuf(o, obuf, _IOFBF, 1 << 20);
	if (!(srcs = calloc(nruns ? nruns : 1, sizeof *srcs))) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nruns; i++)
		srcs[i].path = runs[i];
	if ((rc = open_runs(rs, srcs, nruns, buf_bytes, err)))
		goto done;
	for (;;) {
		const run *min = smallest(rs, nruns);
		if (!min)
			break;
		char term[DICT_TERM_MAX + 1];
		size_t len = min->len;
		memcpy(term, min->term, len + 1);
		uint64_t df = 0;
		uint32_t prev_last = UINT32_MAX;
		buf_reset(&joined);
		/* runs hold increasing docno ranges: each payload's first
		 * docno is re-based on the previous payload's last */
		for (size_t i = 0; i < nruns; i++) {
			run *r = &rs[i];
			if (r->eof || r->len != len || memcmp(r->term, term, len))
				continue;
			uint32_t first = 0, last = 0;
			size_t rest = 0;
			if ((rc = read_payload(r, &payload, &first, &last, &rest,
					       err)))
				goto done;
			if (r->df) {
				buf_put_varint(&rc, &joined, first - prev_last - 1);
				buf_put(&rc, &joined, payload.p + rest,
					payload.n - rest);
				prev_last = last;
				df += r->df;
			}
			if (rc) {
				rc = tr_err(err, rc, "out of memory merging runs");
				goto done;
			}
			if ((rc = advance(r, err)))
				goto done;
		}
		fput_varint(o, len);
		fwrite(term, 1, len, o);
		fput_varint(o, df);
		fput_varint(o, joined.n);
		fwrite(joined.p, 1, joined.n, o);
	}
	if (ferror(o))
		rc = tr_err(err, TRAWL_EIO, "writing %s: %s", out, strerror(errno));
done:
	if (o && fclose(o) != 0 && !rc)
		rc = tr_err(err, TRAWL_EIO, "writing %s: %s", out, strerror(errno));
	if (rc && o)
		unlink(out);
	close_runs(rs, nruns);
	free(srcs);
	free(obuf);
	buf_free(&payload);
	buf_free(&joined);
	return rc;
}
