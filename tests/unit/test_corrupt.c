/*
 * test_corrupt.c -- a damaged index is detected, reported and survived.
 *
 * The group setup builds a small index through the public API (terms with
 * skip tables, several store blocks, files over one 16 KiB chunk) and keeps
 * the bytes of its six files.  For EACH file:
 *   - truncated at every byte (small files) or at a stride (large ones);
 *   - one bit flipped in each block of the file in turn;
 * after each damage trawl_index_open fails with ECORRUPT or EVERSION and a
 * message naming the file, or it succeeds and then queries (parse, search,
 * count, doc_get, snippet) give an error code or a well-formed answer, and
 * trawl_index_check returns ECORRUPT naming the file.  A third pass damages
 * bytes and then re-seals every checksum, so the parsers behind the CRCs
 * see the garbage: any documented code or a well-formed answer, never a
 * crash (the ASan build reports over-reads), never a hang (an alarm).
 * The file is restored from the kept bytes after every trial.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <ctype.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "trawl.h"
#include "cfile.h"
#include "dict.h"
#include "postings.h"


static uint64_t seed;


/* the index is built with its postings and positions in two parts */
enum { F_META, F_TERMS, F_POSTINGS, F_POSITIONS, F_DOCS, F_STORE,
       F_POSTINGS2, F_POSITIONS2, NFILES };
static const char *const names[NFILES] = { "meta", "terms", "postings",
					   "positions", "docs", "store",
					   "postings.2", "positions.2" };

#define HEADER 32
#define CHUNK 16384

typedef struct world {
	char root[256];
	char dir[300];
	uint8_t *orig[NFILES];
	size_t len[NFILES];
	/* what trials saw, for the summary */
	unsigned long trials, at_open, at_check, at_query, undetected;
	unsigned long enotfound; /* searches that reported damage so */
} world;

static world *W;

/* ---- building the index ------------------------------------------------ */

static const char *const vocab[] = {
	"oil", "gas", "price", "prices", "crude", "opec", "bank", "central",
	"rate", "rates", "cut", "market", "markets", "supply", "demand", "the",
	"of", "and", "said", "fell", "rose", "tren", "de", "aragua", "direct",
	"directed", "report", "state", "Zürich", "café", "trump’s", "U.S.",
};
#define NVOCAB (sizeof vocab / sizeof *vocab)

static void text(rng *r, char *out, size_t cap, size_t nwords)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < nwords && n + 40 < cap; i++) {
		if (rnd(r) % 8 == 0) {
			char w[12];
			size_t wl = 3 + rnd(r) % 6;
			for (size_t k = 0; k < wl; k++)
				w[k] = (char)('a' + rnd(r) % 26);
			w[wl] = '\0';
			n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "", w);
		} else {
			size_t k = rnd(r) % NVOCAB;
			if (rnd(r) % 2)
				k = k * k / NVOCAB;
			n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? " " : "",
					      vocab[k]);
		}
	}
}

static void build_index(const char *dir)
{
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	trawl_builder *b = NULL;
	trawl_error err;
	if (trawl_builder_new(dir, &o, &b, &err))
		fail_msg("builder_new: %s", err.message);
	rng r = { seed };
	for (unsigned i = 0; i < 1000; i++) {
		char id[32], title[256], body[2048], date[16];
		snprintf(id, sizeof id, "doc%u", i % 7 == 6 ? i - 3 : i);
		text(&r, title, sizeof title, rnd(&r) % 6);
		text(&r, body, sizeof body, 10 + rnd(&r) % 90);
		snprintf(date, sizeof date, "20%02u-%02u-%02u",
			 (unsigned)(rnd(&r) % 25), 1 + (unsigned)(rnd(&r) % 12),
			 1 + (unsigned)(rnd(&r) % 28));
		trawl_doc d;
		memset(&d, 0, sizeof d);
		d.id = id;
		d.id_len = strlen(id);
		d.title = title;
		d.title_len = strlen(title);
		d.body = body;
		d.body_len = strlen(body);
		if (i % 3) {
			d.date = date;
			d.date_len = 10;
		}
		d.source = "wire";
		d.source_len = 4;
		int rc = trawl_builder_add(b, &d, &err);
		if (rc < 0)
			fail_msg("add: %s", err.message);
	}
	if (trawl_builder_finish(b, &err))
		fail_msg("finish: %s", err.message);
	trawl_builder_free(b);
}

/* ---- files ------------------------------------------------------------- */

static void path_of(int fi, char *p, size_t n)
{
	snprintf(p, n, "%s/seg-00000001/%s", W->dir, names[fi]);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc(len ? (size_t)len : 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return p;
}

static void put_file(int fi, const uint8_t *p, size_t n)
{
	char path[512];
	path_of(fi, path, sizeof path);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (n)
		assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void restore(int fi)
{
	put_file(fi, W->orig[fi], W->len[fi]);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Recomputes the chunk CRCs, the trailer CRC and the header CRC of a file
 * whose layout (header data_len, size) is intact. */
static void reseal(uint8_t *p, size_t n)
{
	uint64_t data_len = le32(p + 16) | (uint64_t)le32(p + 20) << 32;
	uint64_t nchunks = (data_len + CHUNK - 1) / CHUNK;
	assert_int_equal(n, HEADER + data_len + 4 * nchunks + 8);
	uint8_t *crcs = p + HEADER + data_len;
	for (uint64_t c = 0; c < nchunks; c++) {
		uint64_t off = c * CHUNK;
		uint64_t len = data_len - off < CHUNK ? data_len - off : CHUNK;
		put32(crcs + 4 * c, (uint32_t)crc32(0, p + HEADER + off, (uInt)len));
	}
	put32(crcs + 4 * nchunks, (uint32_t)crc32(0, crcs, (uInt)(4 * nchunks)));
	put32(p + 28, (uint32_t)crc32(0, p, 28));
}

/* ---- one trial --------------------------------------------------------- */

/* 1 when MSG names file NAME: "/name" or a leading "name", then a
 * non-word character. */
static int names_file(const char *msg, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(msg, name); p; p = strstr(p + 1, name))
		if ((p == msg || p[-1] == '/') &&
		    !isalnum((unsigned char)p[n]) && p[n] != '_')
			return 1;
	return 0;
}

static const char *const queries[] = {
	"oil", "oil gas", "\"crude oil\"", "oil NEAR/3 price", "pri*", "d*",
	"title:oil", "oil -gas", "(bank OR rate) cut", "zzzabsent",
	"oil ADJ/2 prices", "\"tren de aragua\"",
};
#define NQUERIES (sizeof queries / sizeof *queries)

/* A code a damaged index may give for a read. */
static int damage_code(int rc)
{
	return rc == TRAWL_ECORRUPT || rc == TRAWL_EVERSION ||
	       rc == TRAWL_ENOTFOUND;
}

static void check_stored(trawl_index *ix, const trawl_query *q,
			 const trawl_stored *s, uint32_t docno, int *failed)
{
	assert_int_equal(s->docno, docno);
	const char *f[5] = { s->id, s->title, s->body, s->date, s->source };
	size_t l[5] = { s->id_len, s->title_len, s->body_len, s->date_len,
			s->source_len };
	for (int k = 0; k < 5; k++) {
		assert_non_null(f[k]);
		assert_int_equal(f[k][l[k]], '\0');
	}
	if (!q)
		return;
	char *title = NULL, *passage = NULL;
	trawl_error err;
	int rc = trawl_snippet(ix, q, s, NULL, &title, &passage, &err);
	if (rc == TRAWL_OK) {
		assert_non_null(title);
		assert_non_null(passage);
	} else {
		assert_true(damage_code(rc) || rc == TRAWL_ENOMEM);
		*failed = 1;
	}
	free(title);
	free(passage);
}

/* Runs every query; returns 1 when some call reported damage.  Answers
 * that come back must be well-formed. */
static int run_queries(trawl_index *ix, int all)
{
	trawl_error err;
	trawl_stats st;
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	uint64_t ndocs = st.docs + st.deleted;
	int failed = 0;
	/* four queries a trial, in turn, unless ALL */
	static size_t turn;
	for (size_t j = 0; j < (all ? NQUERIES : 4); j++) {
		size_t i = all ? j : turn++ % NQUERIES;
		trawl_query *q = NULL;
		memset(&err, 0, sizeof err);
		int rc = trawl_query_parse(ix, queries[i], &q, &err);
		assert_int_equal(rc, TRAWL_OK); /* parsing reads no index file */
		trawl_search_opts o;
		trawl_search_opts_init(&o);
		o.n = 5;
		trawl_hits *h = NULL;
		rc = trawl_search(ix, q, &o, &h, &err);
		if (rc) {
			if (!damage_code(rc))
				fail_msg("search \"%s\": %d %s", queries[i], rc,
					 err.message);
			W->enotfound += rc == TRAWL_ENOTFOUND;
			assert_null(h);
			assert_int_equal(err.code, rc);
			assert_true(err.message[0] != '\0');
			failed = 1;
			trawl_query_free(q);
			continue;
		}
		size_t n = trawl_hits_count(h);
		assert_true(n <= 5);
		assert_true(trawl_hits_total(h) >= n);
		assert_true(trawl_hits_total(h) <= ndocs);
		for (size_t k = 0; k < n; k++) {
			const trawl_hit *hit = trawl_hits_get(h, k);
			assert_non_null(hit);
			assert_true(hit->docno < ndocs);
			assert_true(isfinite(hit->score));
			if (k)
				assert_true(trawl_hits_get(h, k - 1)->score >=
					    hit->score);
			trawl_stored *s = NULL;
			rc = trawl_doc_get(ix, hit->docno, &s, &err);
			if (rc == TRAWL_OK) {
				check_stored(ix, q, s, hit->docno, &failed);
				trawl_stored_free(s);
			} else {
				assert_true(damage_code(rc));
				failed = 1;
			}
		}
		assert_null(trawl_hits_get(h, n));
		uint64_t count = 0;
		rc = trawl_count(ix, q, NULL, &count, &err);
		if (rc == TRAWL_OK)
			assert_int_equal(count, trawl_hits_total(h));
		else {
			assert_true(damage_code(rc));
			failed = 1;
		}
		trawl_hits_free(h);
		trawl_query_free(q);
	}
	/* stored documents at both ends */
	for (uint64_t d = 0; d < ndocs; d += ndocs - 1 ? ndocs - 1 : 1) {
		trawl_stored *s = NULL;
		int rc = trawl_doc_get(ix, (uint32_t)d, &s, &err);
		if (rc == TRAWL_OK) {
			check_stored(ix, NULL, s, (uint32_t)d, &failed);
			trawl_stored_free(s);
		} else {
			assert_true(damage_code(rc));
			failed = 1;
		}
	}
	return failed;
}

enum { MUST_DETECT, MAY_PASS };

/* Opens the damaged index in W->dir and runs queries and the check.
 * MUST_DETECT: damage to file FI must be reported by open or check. */
static void trial(int fi, int mode)
{
	trawl_index *ix = (trawl_index *)W; /* must be reset to NULL */
	trawl_error err;
	memset(&err, 0, sizeof err);
	W->trials++;
	int rc = trawl_index_open(W->dir, &ix, &err);
	if (rc) {
		assert_null(ix);
		assert_int_equal(err.code, rc);
		if (mode == MUST_DETECT) {
			if (rc != TRAWL_ECORRUPT && rc != TRAWL_EVERSION)
				fail_msg("damaged %s: open gave %d: %s", names[fi],
					 rc, err.message);
			if (!names_file(err.message, names[fi]))
				fail_msg("damaged %s: open's message does not "
					 "name it: %s", names[fi], err.message);
		} else if (rc != TRAWL_ECORRUPT && rc != TRAWL_EVERSION &&
			   rc != TRAWL_EINVAL) {
			fail_msg("resealed %s: open gave %d: %s", names[fi], rc,
				 err.message);
		}
		W->at_open++;
		return;
	}
	int q = run_queries(ix, 0);
	W->at_query += q;
	memset(&err, 0, sizeof err);
	rc = trawl_index_check(ix, &err);
	if (mode == MUST_DETECT) {
		if (rc != TRAWL_ECORRUPT)
			fail_msg("damaged %s: check gave %d (%s)", names[fi], rc,
				 err.message);
		if (!names_file(err.message, names[fi]))
			fail_msg("damaged %s: check's message does not name it: %s",
				 names[fi], err.message);
	} else {
		if (rc != TRAWL_OK && rc != TRAWL_ECORRUPT)
			fail_msg("resealed %s: check gave %d (%s)", names[fi], rc,
				 err.message);
		if (rc)
			assert_true(err.message[0] != '\0');
		else
			W->undetected++;
	}
	W->at_check += rc != TRAWL_OK;
	trawl_index_close(ix);
}

/* ---- the damage -------------------------------------------------------- */

static void truncations(int fi)
{
	size_t len = W->len[fi];
	/* every byte of a file up to 2 KiB, else about 300 cuts, always
	 * including the first and last 64 bytes (header; checksum table and
	 * trailer) */
	size_t stride = len <= 2048 ? 1 : len / 300 + 1;
	for (size_t cut = 0; cut < len; cut += cut + 64 >= len || cut < 64 ? 1 : stride) {
		put_file(fi, W->orig[fi], cut);
		trial(fi, MUST_DETECT);
	}
	/* and one byte too many */
	uint8_t *p = malloc(len + 1);
	memcpy(p, W->orig[fi], len);
	p[len] = 0;
	put_file(fi, p, len + 1);
	trial(fi, MUST_DETECT);
	free(p);
	restore(fi);
}

static void bit_flips(int fi)
{
	rng r = { seed ^ (0x1234567ull * (uint64_t)(fi + 1)) };
	size_t len = W->len[fi];
	/* blocks of 16 bytes for small files, about 160 blocks otherwise */
	size_t block = len <= 2560 ? 16 : len / 160 + 1;
	uint8_t *p = malloc(len);
	for (size_t at = 0; at < len; at += block) {
		memcpy(p, W->orig[fi], len);
		size_t n = len - at < block ? len - at : block;
		size_t k = at + rnd(&r) % n;
		p[k] ^= (uint8_t)(1u << (rnd(&r) % 8));
		put_file(fi, p, len);
		trial(fi, MUST_DETECT);
	}
	free(p);
	restore(fi);
}

static void resealed(int fi, int trials)
{
	rng r = { seed ^ (0x7654321ull * (uint64_t)(fi + 1)) };
	size_t len = W->len[fi];
	uint64_t data_len = le32(W->orig[fi] + 16);
	if (data_len == 0)
		return;
	uint8_t *p = malloc(len);
	for (int t = 0; t < trials; t++) {
		memcpy(p, W->orig[fi], len);
		int nflips = 1 + (int)(rnd(&r) % 3);
		for (int i = 0; i < nflips; i++) {
			size_t k;
			/* the last 64 bytes of data hold the tails and
			 * indexes the parsers start from: aim a third there */
			if (t % 3 == 0 && data_len > 64)
				k = HEADER + data_len - 1 - rnd(&r) % 64;
			else
				k = HEADER + rnd(&r) % data_len;
			switch (rnd(&r) % 4) {
			case 0: p[k] = 0; break;
			case 1: p[k] = 0xff; break;
			case 2: p[k] = (uint8_t)rnd(&r); break;
			default: p[k] ^= (uint8_t)(1u << (rnd(&r) % 8));
			}
		}
		reseal(p, len);
		put_file(fi, p, len);
		trial(fi, MAY_PASS);
	}
	free(p);
	restore(fi);
}

/* ---- tests ------------------------------------------------------------- */

/* After every test, whatever it left: all files as built. */
static int restore_all(void **state)
{
	(void)state;
	for (int fi = 0; fi < NFILES; fi++)
		restore(fi);
	return 0;
}

static void test_pristine_index_opens_and_checks(void **state)
{
	(void)state;
	trawl_index *ix = NULL;
	trawl_error err;
	assert_int_equal(trawl_index_open(W->dir, &ix, &err), TRAWL_OK);
	assert_int_equal(run_queries(ix, 1), 0);
	assert_int_equal(trawl_index_check(ix, &err), TRAWL_OK);
	trawl_stats st;
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	assert_true(st.deleted > 0);
	trawl_index_close(ix);
	/* the damage tests need files over one chunk and several blocks */
	assert_true(W->len[F_POSITIONS] > HEADER + CHUNK);
	assert_true(W->len[F_POSITIONS2] > HEADER + CHUNK);
	assert_true(W->len[F_STORE] > HEADER + CHUNK);
	/* and a second part of each that holds something */
	assert_true(W->len[F_POSTINGS2] > HEADER + 8);
	assert_true(W->len[F_POSITIONS2] > HEADER + 8);
}

static void test_resealing_an_intact_file_changes_nothing(void **state)
{
	(void)state;
	for (int fi = 0; fi < NFILES; fi++) {
		uint8_t *p = malloc(W->len[fi]);
		memcpy(p, W->orig[fi], W->len[fi]);
		reseal(p, W->len[fi]);
		assert_memory_equal(p, W->orig[fi], W->len[fi]);
		free(p);
	}
}

#define FILE_TESTS(NAME, FI)                                                 \
	static void test_truncated_##NAME##_is_detected(void **state)        \
	{                                                                    \
		(void)state;                                                 \
		truncations(FI);                                             \
	}                                                                    \
	static void test_flipped_bits_in_##NAME##_are_detected(void **state) \
	{                                                                    \
		(void)state;                                                 \
		bit_flips(FI);                                               \
	}                                                                    \
	static void test_resealed_damage_in_##NAME##_is_survived(void **state) \
	{                                                                    \
		(void)state;                                                 \
		resealed(FI, 80);                                           \
	}

FILE_TESTS(meta, F_META)
FILE_TESTS(terms, F_TERMS)
FILE_TESTS(postings, F_POSTINGS)
FILE_TESTS(positions, F_POSITIONS)
FILE_TESTS(docs, F_DOCS)
FILE_TESTS(store, F_STORE)
FILE_TESTS(postings2, F_POSTINGS2)
FILE_TESTS(positions2, F_POSITIONS2)

static void test_missing_file_is_reported(void **state)
{
	(void)state;
	for (int fi = 0; fi < NFILES; fi++) {
		char path[512];
		path_of(fi, path, sizeof path);
		assert_int_equal(unlink(path), 0);
		trawl_index *ix = NULL;
		trawl_error err;
		memset(&err, 0, sizeof err);
		int rc = trawl_index_open(W->dir, &ix, &err);
		assert_int_equal(rc, TRAWL_ENOTFOUND);
		assert_null(ix);
		if (fi != F_META && !names_file(err.message, names[fi]))
			fail_msg("message does not name %s: %s", names[fi],
				 err.message);
		restore(fi);
	}
}

/* Rewrites the terms, postings and positions of the 2-document index at
 * DIR so that "alpha" lists document 5 and "beta" document 1. */
/* Builds an English index at DIR of N documents with these bodies, ids
 * "a", "b", ... */
static void build_small(const char *dir, const char *const *bodies,
			size_t n)
{
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	trawl_builder *b = NULL;
	trawl_error err;
	assert_int_equal(trawl_builder_new(dir, &o, &b, &err), TRAWL_OK);
	static const char ids[] = "abcdefghijklmnopqrstuvwxyz";
	assert_true(n < sizeof ids);
	for (size_t i = 0; i < n; i++) {
		trawl_doc d;
		memset(&d, 0, sizeof d);
		d.id = ids + i;
		d.id_len = 1;
		d.body = bodies[i];
		d.body_len = strlen(bodies[i]);
		assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_OK);
	}
	assert_int_equal(trawl_builder_finish(b, &err), TRAWL_OK);
	trawl_builder_free(b);
}

static void write_bad_postings(const char *dir)
{
	char tp[700], pp[700], xp[700];
	snprintf(tp, sizeof tp, "%s/seg-00000001/terms", dir);
	snprintf(pp, sizeof pp, "%s/seg-00000001/postings", dir);
	snprintf(xp, sizeof xp, "%s/seg-00000001/positions", dir);
	unlink(tp);
	unlink(pp);
	unlink(xp);
	cfw tw, pw, xw;
	trawl_error err;
	assert_int_equal(cfw_open(&tw, tp, CF_TERMS, &err), TRAWL_OK);
	assert_int_equal(cfw_open(&pw, pp, CF_POSTINGS, &err), TRAWL_OK);
	assert_int_equal(cfw_open(&xw, xp, CF_POSITIONS, &err), TRAWL_OK);
	dict_writer dw;
	postw w;
	dictw_init(&dw, &tw);
	postw_init(&w, &pw, &xw);
	int rc = TRAWL_OK;
	const char *terms[2] = { "alpha", "beta" };
	const uint32_t docnos[2] = { 5, 1 };
	for (int i = 0; i < 2; i++) {
		uint32_t pos = 0, df;
		uint64_t post_len, pos_len;
		postw_begin(&w);
		postw_add(&rc, &w, docnos[i], 0, 1, &pos);
		postw_end(&rc, &w, &df, &post_len, &pos_len);
		dictw_add(&rc, &dw, terms[i], strlen(terms[i]), df, post_len,
			  pos_len);
	}
	dictw_finish(&rc, &dw);
	dictw_free(&dw);
	postw_free(&w);
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(cfw_close(&tw, &err), TRAWL_OK);
	assert_int_equal(cfw_close(&pw, &err), TRAWL_OK);
	assert_int_equal(cfw_close(&xw, &err), TRAWL_OK);
	/* the second parts the meta file names, empty */
	const char *part2[2] = { "postings.2", "positions.2" };
	for (int i = 0; i < 2; i++) {
		char p[700];
		snprintf(p, sizeof p, "%s/seg-00000001/%s", dir, part2[i]);
		unlink(p);
		cfw pw2;
		assert_int_equal(cfw_open(&pw2, p, CF_POSTINGS + i, &err),
				 TRAWL_OK);
		assert_int_equal(cfw_close(&pw2, &err), TRAWL_OK);
	}
}

/* Found by the re-sealed damage above: a posting past the last document
 * made trawl_index_check return ENOTFOUND ("no document 511"). */
static void test_posting_past_the_last_document_is_corrupt(void **state)
{
	(void)state;
	char dir[600];
	snprintf(dir, sizeof dir, "%s/two", W->root);
	static const char *const bodies[] = { "alpha", "beta" };
	build_small(dir, bodies, 2);
	write_bad_postings(dir);
	trawl_error err;
	trawl_index *ix = NULL;
	assert_int_equal(trawl_index_open(dir, &ix, &err), TRAWL_OK);
	memset(&err, 0, sizeof err);
	assert_int_equal(trawl_index_check(ix, &err), TRAWL_ECORRUPT);
	assert_true(names_file(err.message, "postings"));
	trawl_index_close(ix);
}

/* A meta whose list of pair words was changed and resealed: the pair
 * terms of a word it no longer lists make check say so (a query would
 * otherwise miss the phrases of the word it lists instead). */
static void test_pair_words_meta_disagrees_with_pair_terms(void **state)
{
	(void)state;
	char dir[600], meta[700];
	snprintf(dir, sizeof dir, "%s/pairs", W->root);
	static const char *const bodies[] = { "ready for the rest of the day" };
	build_small(dir, bodies, 1);
	trawl_error err;
	snprintf(meta, sizeof meta, "%s/seg-00000001/meta", dir);
	size_t n;
	uint8_t *p = slurp(meta, &n);
	uint8_t *at = memmem(p, n, " for\n", 5);
	assert_non_null(at);
	at[3] = 'x'; /* "fox" */
	reseal(p, n);
	FILE *f = fopen(meta, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	free(p);
	trawl_index *ix = NULL;
	assert_int_equal(trawl_index_open(dir, &ix, &err), TRAWL_OK);
	memset(&err, 0, sizeof err);
	assert_int_equal(trawl_index_check(ix, &err), TRAWL_ECORRUPT);
	assert_true(names_file(err.message, "terms"));
	assert_non_null(strstr(err.message, "for the"));
	trawl_index_close(ix);
}

static void test_summary(void **state)
{
	(void)state;
	print_message("file sizes: meta %zu, terms %zu, postings %zu + %zu, "
		      "positions %zu + %zu, docs %zu, store %zu\n", W->len[0],
		      W->len[1], W->len[2], W->len[6], W->len[3], W->len[7],
		      W->len[4], W->len[5]);
	print_message("%lu trials: %lu failed at open, %lu saw an error in a "
		      "query, %lu failed check, %lu resealed damages passed "
		      "unnoticed; %lu searches said ENOTFOUND for damage\n",
		      W->trials, W->at_open, W->at_query, W->at_check,
		      W->undetected, W->enotfound);
}

/* ---- setup ------------------------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag,
		    struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	const char *s = getenv("TRAWL_SEED");
	seed = s ? strtoull(s, NULL, 0) : 20251125u;
	print_message("test_corrupt seed %llu (set TRAWL_SEED to replay)\n",
		      (unsigned long long)seed);
	W = calloc(1, sizeof *W);
	if (!W)
		return -1;
	snprintf(W->root, sizeof W->root, "%s/trawl-corrupt-XXXXXX", tmp_base());
	if (!mkdtemp(W->root))
		return -1;
	snprintf(W->dir, sizeof W->dir, "%s/ix", W->root);
	build_index(W->dir);
	for (int fi = 0; fi < NFILES; fi++) {
		char path[512];
		path_of(fi, path, sizeof path);
		W->orig[fi] = slurp(path, &W->len[fi]);
	}
	/* a hang is a failure too */
	alarm(300);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	alarm(0);
	if (!W)
		return 0;
	nftw(W->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (int fi = 0; fi < NFILES; fi++)
		free(W->orig[fi]);
	free(W);
	return 0;
}

int main(void)
{
#define F(NAME)                                                              \
	cmocka_unit_test_teardown(test_truncated_##NAME##_is_detected,       \
				  restore_all),                              \
	cmocka_unit_test_teardown(test_flipped_bits_in_##NAME##_are_detected, \
				  restore_all),                              \
	cmocka_unit_test_teardown(test_resealed_damage_in_##NAME##_is_survived, \
				  restore_all)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pristine_index_opens_and_checks),
		cmocka_unit_test(test_resealing_an_intact_file_changes_nothing),
		F(meta), F(terms), F(postings), F(positions), F(docs), F(store),
		F(postings2), F(positions2),
		cmocka_unit_test_teardown(test_missing_file_is_reported,
					  restore_all),
		cmocka_unit_test(test_posting_past_the_last_document_is_corrupt),
		cmocka_unit_test(test_pair_words_meta_disagrees_with_pair_terms),
		cmocka_unit_test(test_summary),
	};
#undef F
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
