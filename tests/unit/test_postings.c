/*
 * test_postings.c -- the postings writer and cursor (postings.h).
 *
 * Terms with df 1, 127, 128, 129, 1000 and 50000, each in three shapes of
 * docno gaps (mixed gaps ending exactly at docno 2^32-2; a huge first gap;
 * small gaps only), random title/body tf and positions (gap 0, huge gaps,
 * a few documents with hundreds of positions so groups cross PC_BLOCK),
 * are written to one postings and one positions file, then read back:
 * every (docno, tf title, tf body, positions) through pcur_next, and
 * pcur_seek to random targets (present, between, past the end) on fresh
 * and on moving cursors.  Damage tests run the cursor over exact-size
 * copies of one record (a cfile built in memory), so ASan reports any
 * read outside it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "trawl.h"
#include "cfile.h"
#include "codec.h"
#include "dict.h"
#include "postings.h"


/* ---- generator --------------------------------------------------------- */

static uint64_t seed;


#define LAST_DOCNO 0xfffffffeu /* DOC_END - 1 */
#define MAX_POS 0x7ffffffeu

enum { SHAPE_TO_END, SHAPE_HUGE_FIRST, SHAPE_SMALL, NSHAPES };

typedef struct tspec {
	uint32_t df;
	uint32_t *docs, *tft, *tfb;
	uint64_t *pos_at;  /* doc i's positions: [pos_at[i], pos_at[i+1]) */
	uint32_t *pos;     /* title then body, without the field bit */
	dterm t;
} tspec;

static const uint32_t dfs[] = { 1, 127, 128, 129, 1000, 50000 };
#define NDF (sizeof dfs / sizeof *dfs)
#define NTERMS (NDF * NSHAPES)

typedef struct fixture {
	char dir[256];
	tspec terms[NTERMS];
	cfile post, pos;
} fixture;

static fixture *world; /* built once for the group */

static void gen_positions(rng *r, uint32_t n, uint32_t *out)
{
	uint64_t p = 0;
	int huge = rnd(r) % 8 == 0;
	for (uint32_t k = 0; k < n; k++) {
		uint64_t gap;
		uint64_t room = MAX_POS - p - (n - k);
		switch (rnd(r) % 10) {
		case 0: case 1: case 2: case 3: gap = 0; break;
		case 4: gap = huge && room ? rnd(r) % (room / 2 + 1) : 0; break;
		default: gap = rnd(r) % 50;
		}
		if (gap > room)
			gap = room;
		uint64_t v = (k == 0 ? 0 : p + 1) + gap;
		if (k == 0 && huge && rnd(r) % 2)
			v = MAX_POS - n - rnd(r) % 1000;
		out[k] = (uint32_t)v;
		p = v;
	}
	/* sometimes the largest position there is */
	if (n && rnd(r) % 50 == 0)
		out[n - 1] = MAX_POS;
}

static void gen_term(rng *r, tspec *s, uint32_t df, int shape)
{
	s->df = df;
	s->docs = malloc(df * sizeof *s->docs);
	s->tft = malloc(df * sizeof *s->tft);
	s->tfb = malloc(df * sizeof *s->tfb);
	s->pos_at = malloc((df + 1) * sizeof *s->pos_at);
	assert_true(s->docs && s->tft && s->tfb && s->pos_at);
	/* docnos: budget is what the gaps may add beyond the minimum */
	uint64_t budget = (uint64_t)LAST_DOCNO - (df - 1);
	uint64_t next = 0; /* smallest allowed docno */
	for (uint32_t i = 0; i < df; i++) {
		uint64_t gap;
		if (shape == SHAPE_HUGE_FIRST && i == 0)
			gap = budget - rnd(r) % (budget / 1000 + 1) - 300 * (uint64_t)df;
		else if (shape == SHAPE_SMALL)
			gap = rnd(r) % 3 ? 0 : rnd(r) % 4;
		else if (shape == SHAPE_TO_END && i == df - 1)
			gap = budget;
		else
			switch (rnd(r) % 10) {
			case 0: case 1: case 2: case 3: gap = 0; break;
			case 4: gap = rnd(r) % (budget / 4 + 1); break;
			default: gap = rnd(r) % 200;
			}
		if ((int64_t)gap < 0 || gap > budget)
			gap = budget;
		budget -= gap;
		s->docs[i] = (uint32_t)(next + gap);
		next = (uint64_t)s->docs[i] + 1;
	}
	if (shape == SHAPE_TO_END)
		assert_int_equal(s->docs[df - 1], LAST_DOCNO);
	/* frequencies */
	uint64_t total = 0;
	for (uint32_t i = 0; i < df; i++) {
		uint32_t a = (uint32_t)(rnd(r) % 4), b = (uint32_t)(rnd(r) % 7);
		if (rnd(r) % 100 == 0)
			b = 100 + (uint32_t)(rnd(r) % 300);
		if (rnd(r) % 200 == 0)
			a = 130 + (uint32_t)(rnd(r) % 200);
		if (a + b == 0) {
			if (rnd(r) % 2)
				a = 1;
			else
				b = 1;
		}
		s->tft[i] = a;
		s->tfb[i] = b;
		s->pos_at[i] = total;
		total += a + b;
	}
	s->pos_at[df] = total;
	s->pos = malloc((total ? total : 1) * sizeof *s->pos);
	assert_non_null(s->pos);
	for (uint32_t i = 0; i < df; i++) {
		gen_positions(r, s->tft[i], s->pos + s->pos_at[i]);
		gen_positions(r, s->tfb[i], s->pos + s->pos_at[i] + s->tft[i]);
	}
}

static void free_term(tspec *s)
{
	free(s->docs);
	free(s->tft);
	free(s->tfb);
	free(s->pos_at);
	free(s->pos);
}

/* Writes every term of F into its postings and positions files. */
static void write_terms(fixture *f)
{
	char pp[512], xp[512];
	snprintf(pp, sizeof pp, "%s/postings", f->dir);
	snprintf(xp, sizeof xp, "%s/positions", f->dir);
	cfw pw, xw;
	trawl_error err;
	assert_int_equal(cfw_open(&pw, pp, CF_POSTINGS, &err), TRAWL_OK);
	assert_int_equal(cfw_open(&xw, xp, CF_POSITIONS, &err), TRAWL_OK);
	postw w;
	postw_init(&w, &pw, &xw);
	int rc = TRAWL_OK;
	for (size_t k = 0; k < NTERMS; k++) {
		tspec *s = &f->terms[k];
		uint64_t post_off = cfw_offset(&pw), pos_off = cfw_offset(&xw);
		postw_begin(&w);
		for (uint32_t i = 0; i < s->df; i++)
			postw_add(&rc, &w, s->docs[i], s->tft[i], s->tfb[i],
				  s->pos + s->pos_at[i]);
		uint32_t df;
		uint64_t post_len, pos_len;
		postw_end(&rc, &w, &df, &post_len, &pos_len);
		assert_int_equal(rc, TRAWL_OK);
		assert_int_equal(df, s->df);
		assert_int_equal(w.npositions, s->pos_at[s->df]);
		memset(&s->t, 0, sizeof s->t);
		snprintf(s->t.term, sizeof s->t.term, "t%zu", k);
		s->t.len = strlen(s->t.term);
		s->t.df = df;
		s->t.post_off = post_off;
		s->t.post_len = post_len;
		s->t.pos_off = pos_off;
		s->t.pos_len = pos_len;
		assert_int_equal(cfw_offset(&pw), post_off + post_len);
		assert_int_equal(cfw_offset(&xw), pos_off + pos_len);
	}
	postw_free(&w);
	assert_int_equal(cfw_close(&pw, &err), TRAWL_OK);
	assert_int_equal(cfw_close(&xw, &err), TRAWL_OK);
}

static int group_setup(void **state)
{
	(void)state;
	const char *e = getenv("TRAWL_SEED");
	seed = e ? strtoull(e, NULL, 0) : 20251125u;
	print_message("test_postings seed %llu (set TRAWL_SEED to replay)\n",
		      (unsigned long long)seed);
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/trawl-postings-XXXXXX", tmp_base());
	if (!mkdtemp(f->dir))
		return -1;
	rng r = { seed };
	for (size_t d = 0; d < NDF; d++)
		for (int sh = 0; sh < NSHAPES; sh++)
			gen_term(&r, &f->terms[d * NSHAPES + sh], dfs[d], sh);
	write_terms(f);
	trawl_error err;
	if (cf_open(&f->post, f->dir, "postings", CF_POSTINGS, &err) ||
	    cf_open(&f->pos, f->dir, "positions", CF_POSITIONS, &err))
		return -1;
	world = f;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	fixture *f = world;
	if (!f)
		return 0;
	cf_close(&f->post);
	cf_close(&f->pos);
	char p[512];
	snprintf(p, sizeof p, "%s/postings", f->dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/positions", f->dir);
	unlink(p);
	rmdir(f->dir);
	for (size_t k = 0; k < NTERMS; k++)
		free_term(&f->terms[k]);
	free(f);
	return 0;
}

/* ---- checks ------------------------------------------------------------ */

/* The cursor is on document I of S: check docno, tf and positions. */
static void assert_on(pcursor *c, const tspec *s, uint32_t i)
{
	if (c->docno != s->docs[i])
		fail_msg("df %u: docno %u, want %u (index %u)", s->df, c->docno,
			 s->docs[i], i);
	assert_int_equal(pcur_tf_title(c), s->tft[i]);
	assert_int_equal(pcur_tf_body(c), s->tfb[i]);
	const uint32_t *pos;
	uint32_t n;
	int rc = pcur_positions(c, &pos, &n);
	if (rc)
		fail_msg("positions of docno %u: %s", c->docno, c->err->message);
	assert_int_equal(n, s->tft[i] + s->tfb[i]);
	const uint32_t *want = s->pos + s->pos_at[i];
	for (uint32_t k = 0; k < n; k++) {
		uint32_t w = want[k] | (k < s->tft[i] ? 0 : POS_BODY);
		if (pos[k] != w)
			fail_msg("df %u docno %u position %u: %#x, want %#x",
				 s->df, c->docno, k, pos[k], w);
	}
}

static void open_cursor(pcursor *c, const tspec *s, trawl_error *err)
{
	int rc = pcur_open(c, &world->post, &world->pos, &s->t, err);
	if (rc)
		fail_msg("pcur_open: %s", err->message);
}

/* Index of the first docno >= target, df when none. */
static uint32_t lower_bound(const tspec *s, uint64_t target)
{
	uint32_t lo = 0, hi = s->df;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->docs[mid] < target)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void next_reads_every_posting(uint32_t df)
{
	for (int sh = 0; sh < NSHAPES; sh++) {
		const tspec *s = NULL;
		for (size_t k = 0; k < NTERMS; k++)
			if (world->terms[k].df == df && k % NSHAPES == (size_t)sh)
				s = &world->terms[k];
		assert_non_null(s);
		pcursor c;
		trawl_error err;
		open_cursor(&c, s, &err);
		for (uint32_t i = 0; i < s->df; i++) {
			assert_on(&c, s, i);
			/* asking twice gives the same positions */
			if (i % 97 == 0)
				assert_on(&c, s, i);
			uint32_t d = pcur_next(&c);
			assert_int_equal(d, i + 1 < s->df ? s->docs[i + 1] : DOC_END);
		}
		assert_int_equal(c.docno, DOC_END);
		assert_int_equal(c.rc, TRAWL_OK);
		assert_int_equal(pcur_next(&c), DOC_END);
		pcur_close(&c);
	}
}

/* Random targets: present docnos, the ones between, and past the end. */
static uint64_t pick_target(rng *r, const tspec *s)
{
	uint32_t i = (uint32_t)(rnd(r) % s->df);
	switch (rnd(r) % 7) {
	case 0: return s->docs[i];
	case 1: return (uint64_t)s->docs[i] + 1;
	case 2: return s->docs[i] ? (uint64_t)s->docs[i] - 1 : 0;
	case 3: return rnd(r) % ((uint64_t)LAST_DOCNO + 1);
	case 4: return (uint64_t)s->docs[s->df - 1] + rnd(r) % 3;
	case 5: /* strictly between two docnos when there is room */
		if (i + 1 < s->df && s->docs[i + 1] - s->docs[i] > 1)
			return s->docs[i] + 1 +
			       rnd(r) % (s->docs[i + 1] - s->docs[i] - 1);
		return s->docs[i];
	default: return rnd(r) % ((uint64_t)s->docs[s->df - 1] + 1);
	}
}

static void seek_lands_on_first_docno_at_or_after_target(uint32_t df)
{
	rng r = { seed ^ df };
	for (int sh = 0; sh < NSHAPES; sh++) {
		const tspec *s = &world->terms[0];
		for (size_t k = 0; k < NTERMS; k++)
			if (world->terms[k].df == df && k % NSHAPES == (size_t)sh)
				s = &world->terms[k];
		trawl_error err;
		/* fresh cursors, one target each */
		for (int trial = 0; trial < 300; trial++) {
			pcursor c;
			open_cursor(&c, s, &err);
			uint64_t target = pick_target(&r, s);
			if (target > LAST_DOCNO)
				target = LAST_DOCNO;
			uint32_t i = lower_bound(s, target);
			uint32_t got = pcur_seek(&c, (uint32_t)target);
			if (i == s->df) {
				assert_int_equal(got, DOC_END);
				assert_int_equal(c.rc, TRAWL_OK);
			} else {
				assert_int_equal(got, s->docs[i]);
				assert_on(&c, s, i);
			}
			pcur_close(&c);
		}
		/* one cursor moving forward by seeks and nexts */
		for (int walk = 0; walk < 20; walk++) {
			pcursor c;
			open_cursor(&c, s, &err);
			uint32_t i = 0;
			while (i < s->df) {
				uint32_t got;
				if (rnd(&r) % 3 == 0) {
					got = pcur_next(&c);
					i++;
				} else {
					uint64_t target = pick_target(&r, s);
					if (target > LAST_DOCNO)
						target = LAST_DOCNO;
					got = pcur_seek(&c, (uint32_t)target);
					/* a target at or before the current
					 * document leaves the cursor there */
					if (target > s->docs[i])
						i = lower_bound(s, target);
				}
				if (i == s->df) {
					assert_int_equal(got, DOC_END);
					break;
				}
				assert_int_equal(got, s->docs[i]);
				if (rnd(&r) % 4 == 0)
					assert_on(&c, s, i);
			}
			assert_int_equal(c.rc, TRAWL_OK);
			pcur_close(&c);
		}
	}
}

#define DF_TESTS(N)                                                          \
	static void test_next_reads_every_posting_df_##N(void **state)       \
	{                                                                    \
		(void)state;                                                 \
		next_reads_every_posting(N);                                 \
	}                                                                    \
	static void test_seek_lands_on_first_docno_at_or_after_target_df_##N( \
		void **state)                                                \
	{                                                                    \
		(void)state;                                                 \
		seek_lands_on_first_docno_at_or_after_target(N);             \
	}

DF_TESTS(1)
DF_TESTS(127)
DF_TESTS(128)
DF_TESTS(129)
DF_TESTS(1000)
DF_TESTS(50000)

static const tspec *term_of(uint32_t df, int shape)
{
	for (size_t k = 0; k < NTERMS; k++)
		if (world->terms[k].df == df && k % NSHAPES == (size_t)shape)
			return &world->terms[k];
	fail();
	return NULL;
}

static void test_seek_to_current_or_earlier_stays_put(void **state)
{
	(void)state;
	const tspec *s = term_of(1000, SHAPE_SMALL);
	pcursor c;
	trawl_error err;
	open_cursor(&c, s, &err);
	assert_int_equal(pcur_seek(&c, s->docs[500]), s->docs[500]);
	assert_int_equal(pcur_seek(&c, s->docs[500]), s->docs[500]);
	assert_int_equal(pcur_seek(&c, 0), s->docs[500]);
	assert_int_equal(pcur_seek(&c, s->docs[10]), s->docs[500]);
	assert_on(&c, s, 500);
	assert_int_equal(pcur_next(&c), s->docs[501]);
	pcur_close(&c);
}

static void test_seek_past_the_end_stays_at_doc_end(void **state)
{
	(void)state;
	const tspec *s = term_of(1000, SHAPE_SMALL);
	pcursor c;
	trawl_error err;
	open_cursor(&c, s, &err);
	assert_int_equal(pcur_seek(&c, s->docs[999] + 1), DOC_END);
	assert_int_equal(c.rc, TRAWL_OK);
	assert_int_equal(pcur_seek(&c, 5), DOC_END);
	assert_int_equal(pcur_next(&c), DOC_END);
	const uint32_t *pos;
	uint32_t n;
	assert_int_not_equal(pcur_positions(&c, &pos, &n), TRAWL_OK);
	pcur_close(&c);
	/* from inside the last block, and from the first */
	open_cursor(&c, s, &err);
	assert_int_equal(pcur_seek(&c, s->docs[990]), s->docs[990]);
	assert_int_equal(pcur_seek(&c, LAST_DOCNO), DOC_END);
	pcur_close(&c);
}

static void test_last_docno_is_2_to_32_minus_2(void **state)
{
	(void)state;
	const tspec *s = term_of(129, SHAPE_TO_END);
	pcursor c;
	trawl_error err;
	open_cursor(&c, s, &err);
	assert_int_equal(pcur_seek(&c, LAST_DOCNO), LAST_DOCNO);
	assert_on(&c, s, 128);
	assert_int_equal(pcur_next(&c), DOC_END);
	assert_int_equal(c.rc, TRAWL_OK);
	pcur_close(&c);
}

static void test_skip_table_only_above_one_block(void **state)
{
	(void)state;
	pcursor c;
	trawl_error err;
	const uint32_t one[] = { 1, 127, 128 };
	for (int i = 0; i < 3; i++) {
		open_cursor(&c, term_of(one[i], SHAPE_SMALL), &err);
		assert_null(c.skip);
		assert_int_equal(c.nblocks, 1);
		pcur_close(&c);
	}
	open_cursor(&c, term_of(129, SHAPE_SMALL), &err);
	assert_non_null(c.skip);
	assert_int_equal(c.nblocks, 2);
	pcur_close(&c);
	open_cursor(&c, term_of(50000, SHAPE_SMALL), &err);
	assert_int_equal(c.nblocks, (50000 + PC_BLOCK - 1) / PC_BLOCK);
	pcur_close(&c);
}

static void test_writer_reports_ranges_that_tile_the_files(void **state)
{
	(void)state;
	uint64_t post = 0, pos = 0;
	for (size_t k = 0; k < NTERMS; k++) {
		const dterm *t = &world->terms[k].t;
		assert_int_equal(t->post_off, post);
		assert_int_equal(t->pos_off, pos);
		post += t->post_len;
		pos += t->pos_len;
	}
	assert_int_equal(post, world->post.data_len);
	assert_int_equal(pos, world->pos.data_len);
}

/* ---- damage: cursors over an exact-size copy of one record ------------- */

typedef struct memfile {
	cfile f;
	uint8_t *data, *crcs;
} memfile;

/* A cfile whose data is an exact-size malloc of P[0..n) with matching
 * chunk CRCs, so cf_range passes and ASan sees any read past the end. */
static void memfile_init(memfile *m, const uint8_t *p, size_t n,
			 const char *name)
{
	memset(m, 0, sizeof *m);
	m->data = malloc(n ? n : 1);
	assert_non_null(m->data);
	if (n)
		memcpy(m->data, p, n);
	uint64_t nchunks = (n + CF_CHUNK - 1) / CF_CHUNK;
	m->crcs = malloc(nchunks ? 4 * nchunks : 1);
	assert_non_null(m->crcs);
	for (uint64_t c = 0; c < nchunks; c++) {
		uint64_t off = c * CF_CHUNK;
		uint64_t len = n - off < CF_CHUNK ? n - off : CF_CHUNK;
		uint32_t v = (uint32_t)crc32(0, m->data + off, (uInt)len);
		for (int i = 0; i < 4; i++)
			m->crcs[4 * c + i] = (uint8_t)(v >> (8 * i));
	}
	m->f.data = m->data;
	m->f.data_len = n;
	m->f.crcs = m->crcs;
	m->f.nchunks = nchunks;
	m->f.verified = calloc(nchunks ? nchunks : 1, 1);
	assert_non_null(m->f.verified);
	snprintf(m->f.name, sizeof m->f.name, "%s", name);
}

static void memfile_free(memfile *m)
{
	free(m->data);
	free(m->crcs);
	free(m->f.verified);
}

/* Copies term S's postings and positions records into memfiles; T gets
 * offsets relative to them. */
static void copy_records(const tspec *s, memfile *post, memfile *pos, dterm *t)
{
	const uint8_t *p, *x;
	trawl_error err;
	assert_int_equal(cf_range(&world->post, s->t.post_off, s->t.post_len, &p,
				  &err), TRAWL_OK);
	assert_int_equal(cf_range(&world->pos, s->t.pos_off, s->t.pos_len, &x,
				  &err), TRAWL_OK);
	memfile_init(post, p, s->t.post_len, "postings");
	memfile_init(pos, x, s->t.pos_len, "positions");
	*t = s->t;
	t->post_off = 0;
	t->pos_off = 0;
}

/* Walks every document and its positions; returns the cursor's final
 * code.  Docnos must increase; positions must carry the field bit only
 * after the title ones. */
static int walk_all(cfile *post, cfile *pos, const dterm *t, uint32_t *ndocs)
{
	pcursor c;
	trawl_error err;
	memset(&err, 0, sizeof err);
	*ndocs = 0;
	int rc = pcur_open(&c, post, pos, t, &err);
	if (rc) {
		pcur_close(&c);
		assert_int_equal(rc, TRAWL_ECORRUPT);
		assert_non_null(strstr(err.message, "postings"));
		return rc;
	}
	uint32_t prev = 0;
	int first = 1;
	while (c.docno != DOC_END) {
		assert_true(first || c.docno > prev);
		first = 0;
		prev = c.docno;
		(*ndocs)++;
		const uint32_t *ps;
		uint32_t n;
		rc = pcur_positions(&c, &ps, &n);
		if (rc) {
			assert_int_equal(rc, TRAWL_ECORRUPT);
			break;
		}
		assert_int_equal(n, pcur_tf_title(&c) + pcur_tf_body(&c));
		for (uint32_t k = 0; k < n; k++)
			assert_int_equal(!!(ps[k] & POS_BODY),
					 k >= pcur_tf_title(&c));
		pcur_next(&c);
	}
	pcur_close(&c);
	if (!rc)
		rc = c.rc;
	assert_true(rc == TRAWL_OK || rc == TRAWL_ECORRUPT);
	if (rc)
		assert_int_equal(err.code, rc);
	return rc;
}

static void test_exact_size_records_read_back(void **state)
{
	(void)state;
	for (size_t k = 0; k < NTERMS; k++) {
		const tspec *s = &world->terms[k];
		memfile post, pos;
		dterm t;
		copy_records(s, &post, &pos, &t);
		uint32_t n;
		assert_int_equal(walk_all(&post.f, &pos.f, &t, &n), TRAWL_OK);
		assert_int_equal(n, s->df);
		memfile_free(&post);
		memfile_free(&pos);
	}
}

static void test_term_with_no_documents_is_corrupt(void **state)
{
	(void)state;
	dterm t = world->terms[0].t;
	t.df = 0;
	pcursor c;
	trawl_error err;
	assert_int_equal(pcur_open(&c, &world->post, &world->pos, &t, &err),
			 TRAWL_ECORRUPT);
	assert_int_equal(c.docno, DOC_END);
	pcur_close(&c);
}

static void test_record_past_the_file_is_corrupt(void **state)
{
	(void)state;
	dterm t = term_of(1000, SHAPE_SMALL)->t;
	pcursor c;
	trawl_error err;
	dterm bad = t;
	bad.post_off = world->post.data_len - t.post_len + 1;
	assert_int_equal(pcur_open(&c, &world->post, &world->pos, &bad, &err),
			 TRAWL_ECORRUPT);
	pcur_close(&c);
	bad = t;
	bad.post_len = UINT64_MAX - t.post_off + 2;
	assert_int_equal(pcur_open(&c, &world->post, &world->pos, &bad, &err),
			 TRAWL_ECORRUPT);
	pcur_close(&c);
	/* positions past their file: found on the first positions read */
	bad = t;
	bad.pos_off = world->pos.data_len;
	assert_int_equal(pcur_open(&c, &world->post, &world->pos, &bad, &err),
			 TRAWL_OK);
	const uint32_t *p;
	uint32_t n;
	assert_int_equal(pcur_positions(&c, &p, &n), TRAWL_ECORRUPT);
	pcur_close(&c);
}

/* A one-document record made by hand: docno 5, title tf TFT and
 * tf - 1 = TFM1, each run a PFor block of width 32 without exceptions. */
static int open_hand_made(uint32_t tft, uint32_t tfm1, uint32_t *tfb)
{
	uint8_t rec[3 * 5];
	const uint32_t vals[3] = { 5, tft, tfm1 };
	for (int k = 0; k < 3; k++) {
		rec[5 * k] = PC_NOEXC + 32;
		for (int i = 0; i < 4; i++)
			rec[5 * k + 1 + i] = (uint8_t)(vals[k] >> 8 * i);
	}
	memfile post;
	memfile_init(&post, rec, sizeof rec, "postings");
	dterm t;
	memset(&t, 0, sizeof t);
	t.df = 1;
	t.post_len = sizeof rec;
	pcursor c;
	trawl_error err;
	int rc = pcur_open(&c, &post.f, &world->pos, &t, &err);
	if (rc == TRAWL_OK) {
		assert_int_equal(c.docno, 5);
		assert_int_equal(pcur_tf_title(&c), tft);
		*tfb = pcur_tf_body(&c);
	} else {
		assert_non_null(strstr(err.message, "term frequency"));
	}
	pcur_close(&c);
	memfile_free(&post);
	return rc;
}

static void test_body_tf_is_tf_less_title_tf(void **state)
{
	(void)state;
	uint32_t tfb = 0;
	assert_int_equal(open_hand_made(0, 0, &tfb), TRAWL_OK);
	assert_int_equal(tfb, 1);
	assert_int_equal(open_hand_made(1, 0, &tfb), TRAWL_OK);
	assert_int_equal(tfb, 0);
	assert_int_equal(open_hand_made(2, 6, &tfb), TRAWL_OK);
	assert_int_equal(tfb, 5);
	assert_int_equal(open_hand_made(0, UINT32_MAX - 1, &tfb), TRAWL_OK);
	assert_int_equal(tfb, UINT32_MAX);
	/* more title occurrences than occurrences, or a tf of 2^32 */
	assert_int_equal(open_hand_made(2, 0, &tfb), TRAWL_ECORRUPT);
	assert_int_equal(open_hand_made(UINT32_MAX, 5, &tfb), TRAWL_ECORRUPT);
	assert_int_equal(open_hand_made(0, UINT32_MAX, &tfb), TRAWL_ECORRUPT);
}

static void test_skip_table_longer_than_record_is_corrupt(void **state)
{
	(void)state;
	dterm t = term_of(1000, SHAPE_SMALL)->t;
	t.post_len = 8 * 12 - 1; /* 8 blocks need 96 bytes of skips */
	pcursor c;
	trawl_error err;
	assert_int_equal(pcur_open(&c, &world->post, &world->pos, &t, &err),
			 TRAWL_ECORRUPT);
	pcur_close(&c);
}

static void test_df_near_2_to_32_is_corrupt(void **state)
{
	(void)state;
	/* df + 127 overflows 32 bits: the block count must not wrap to 0 */
	for (size_t k = 0; k < NTERMS; k++) {
		const tspec *s = &world->terms[k];
		memfile post, pos;
		dterm t;
		copy_records(s, &post, &pos, &t);
		const uint32_t dfs_bad[] = { UINT32_MAX, UINT32_MAX - 126,
					     UINT32_MAX - 127 };
		for (int i = 0; i < 3; i++) {
			t.df = dfs_bad[i];
			uint32_t n;
			assert_int_equal(walk_all(&post.f, &pos.f, &t, &n),
					 TRAWL_ECORRUPT);
		}
		memfile_free(&post);
		memfile_free(&pos);
	}
}

static void test_truncated_record_is_corrupt(void **state)
{
	(void)state;
	for (size_t k = 0; k < NTERMS; k++) {
		const tspec *s = &world->terms[k];
		if (s->df > 1000)
			continue;
		memfile post0, pos0;
		dterm t0;
		copy_records(s, &post0, &pos0, &t0);
		/* cuts of the postings record, exact-size each time: every
		 * one near the start and the end, a stride between */
		for (uint64_t cut = 0; cut < t0.post_len;
		     cut += cut < 64 || cut + 64 >= t0.post_len ? 1 : 7) {
			memfile post;
			memfile_init(&post, post0.data, cut, "postings");
			dterm t = t0;
			t.post_len = cut;
			uint32_t n;
			assert_int_equal(walk_all(&post.f, &pos0.f, &t, &n),
					 TRAWL_ECORRUPT);
			memfile_free(&post);
		}
		/* every cut of the positions record */
		for (uint64_t cut = 0; cut < t0.pos_len; cut += 1 + cut / 64) {
			memfile pos;
			memfile_init(&pos, pos0.data, cut, "positions");
			dterm t = t0;
			t.pos_len = cut;
			uint32_t n;
			assert_int_equal(walk_all(&post0.f, &pos.f, &t, &n),
					 TRAWL_ECORRUPT);
			memfile_free(&pos);
		}
		memfile_free(&post0);
		memfile_free(&pos0);
	}
}

static void test_flipped_bytes_never_read_outside_the_record(void **state)
{
	(void)state;
	rng r = { seed + 5 };
	int corrupt = 0, trials = 0;
	for (size_t k = 0; k < NTERMS; k++) {
		const tspec *s = &world->terms[k];
		if (s->df > 1000)
			continue;
		memfile post0, pos0;
		dterm t;
		copy_records(s, &post0, &pos0, &t);
		for (int trial = 0; trial < 300; trial++) {
			int in_pos = trial % 3 == 0 && t.pos_len;
			memfile *m0 = in_pos ? &pos0 : &post0;
			size_t len = in_pos ? t.pos_len : t.post_len;
			memfile m;
			memfile_init(&m, m0->data, len, in_pos ? "positions" : "postings");
			int nflips = 1 + (int)(rnd(&r) % 4);
			for (int i = 0; i < nflips; i++)
				m.data[rnd(&r) % len] ^= (uint8_t)(1u << (rnd(&r) % 8));
			/* re-seal the CRCs: the cursor's own checks are on test */
			memfile sealed;
			memfile_init(&sealed, m.data, len, m.f.name);
			uint32_t n;
			int rc = in_pos ? walk_all(&post0.f, &sealed.f, &t, &n)
					: walk_all(&sealed.f, &pos0.f, &t, &n);
			corrupt += rc == TRAWL_ECORRUPT;
			trials++;
			memfile_free(&sealed);
			memfile_free(&m);
		}
		memfile_free(&post0);
		memfile_free(&pos0);
	}
	print_message("%d of %d damaged records detected by the cursor\n",
		      corrupt, trials);
}

int main(void)
{
#define DF(N)                                                                \
	cmocka_unit_test(test_next_reads_every_posting_df_##N),              \
	cmocka_unit_test(test_seek_lands_on_first_docno_at_or_after_target_df_##N)
	const struct CMUnitTest tests[] = {
		DF(1), DF(127), DF(128), DF(129), DF(1000), DF(50000),
		cmocka_unit_test(test_seek_to_current_or_earlier_stays_put),
		cmocka_unit_test(test_seek_past_the_end_stays_at_doc_end),
		cmocka_unit_test(test_last_docno_is_2_to_32_minus_2),
		cmocka_unit_test(test_skip_table_only_above_one_block),
		cmocka_unit_test(test_writer_reports_ranges_that_tile_the_files),
		cmocka_unit_test(test_exact_size_records_read_back),
		cmocka_unit_test(test_term_with_no_documents_is_corrupt),
		cmocka_unit_test(test_record_past_the_file_is_corrupt),
		cmocka_unit_test(test_skip_table_longer_than_record_is_corrupt),
		cmocka_unit_test(test_body_tf_is_tf_less_title_tf),
		cmocka_unit_test(test_df_near_2_to_32_is_corrupt),
		cmocka_unit_test(test_truncated_record_is_corrupt),
		cmocka_unit_test(test_flipped_bytes_never_read_outside_the_record),
	};
#undef DF
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
