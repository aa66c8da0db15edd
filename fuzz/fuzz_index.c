/*
 * fuzz_index.c -- libFuzzer target for opening, checking and querying a
 * damaged index.  The first call builds a small valid index (public API,
 * in a mkdtemp directory under /dev/shm or /tmp, removed at exit) and
 * keeps the bytes of its eight files.  Each input damages one file:
 *
 *   byte 0        file = b % 8 (meta terms postings positions docs store
 *                 postings.2 positions.2), mode = b / 8 % 5:
 *     0  xor patches: { u16 offset (mod file size) | u8 n | n bytes }*
 *     1  the same, then every checksum re-sealed (parsers see the damage)
 *     2  the file replaced by the rest of the input
 *     3  the data replaced by the rest of the input, in a valid cfile
 *        wrapper of the right kind (header, chunk CRCs, trailer)
 *     4  truncated at a u32 offset (mod file size)
 *
 * then opens the index, runs a few queries (search, count, stored
 * documents, snippets; each search again split over three threads) and
 * trawl_index_check, and restores the file.
 * Answers must be an error code a damaged index may give, or well-formed;
 * anything else aborts.  Seeds: fuzz/corpus/fuzz_index/.
 */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "search.h" /* tr_search_split_work: every search splits */
#include "trawl.h"

#define NFILES 8
#define HEADER 32
#define CHUNK 16384

static const char *const names[NFILES] = { "meta", "terms", "postings",
					   "positions", "docs", "store",
					   "postings.2", "positions.2" };
static char root[64], dir[128];
static uint8_t *orig[NFILES];
static size_t orig_len[NFILES];

static uint32_t le32(const uint8_t *p);

/* ---- the index, built once ------------------------------------------- */

static const char *const vocab[] = {
	"oil", "gas", "price", "prices", "crude", "opec", "bank", "rate",
	"cut", "market", "supply", "the", "of", "said", "fell", "rose",
	"tren", "de", "aragua", "direct", "directed", "Zürich", "café",
};
#define NVOCAB (sizeof vocab / sizeof *vocab)

static uint64_t rs = 20251125u;

static uint64_t rnd(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void words(char *out, size_t cap, size_t n)
{
	size_t k = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && k + 24 < cap; i++) {
		if (rnd() % 6 == 0) {
			/* rarer words sharing prefixes: several dictionary
			 * blocks */
			char r[5];
			for (int j = 0; j < 4; j++)
				r[j] = (char)('a' + rnd() % 8);
			r[4] = '\0';
			k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? " " : "", r);
			continue;
		}
		size_t w = rnd() % NVOCAB;
		if (rnd() % 2)
			w = w * w / NVOCAB;
		k += (size_t)snprintf(out + k, cap - k, "%s%s", i ? " " : "",
				      vocab[w]);
	}
}

static void die(const char *what, const trawl_error *err)
{
	fprintf(stderr, "fuzz_index: %s: %s\n", what, err ? err->message : "");
	abort();
}

static void remove_root(void)
{
	for (int i = 0; i < NFILES; i++) {
		char p[256];
		snprintf(p, sizeof p, "%s/seg-00000001/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
	rmdir(root);
}

static void write_seed(const char *sdir, const char *name, uint8_t b0,
		       const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", sdir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		die(path, NULL);
	fputc(b0, f);
	if (n)
		fwrite(p, 1, n, f);
	fclose(f);
}

/* With FUZZ_INDEX_WRITE_SEEDS=DIR: the seeds of fuzz/corpus/fuzz_index/,
 * made from this index -- per file, its data in a fresh wrapper (mode 3),
 * the whole file (mode 2), one flipped byte with and without a re-seal
 * (modes 1, 0) and a cut in the middle (mode 4). */
static void write_seeds(const char *sdir)
{
	for (int fi = 0; fi < NFILES; fi++) {
		char name[64];
		size_t data_len = le32(orig[fi] + 16);
		snprintf(name, sizeof name, "%s-data", names[fi]);
		write_seed(sdir, name, (uint8_t)(3 * NFILES + fi),
			   orig[fi] + HEADER, data_len);
		snprintf(name, sizeof name, "%s-file", names[fi]);
		write_seed(sdir, name, (uint8_t)(2 * NFILES + fi), orig[fi],
			   orig_len[fi]);
		size_t off = HEADER + data_len / 2;
		uint8_t patch[4] = { (uint8_t)off, (uint8_t)(off >> 8), 1, 0x10 };
		snprintf(name, sizeof name, "%s-flip", names[fi]);
		write_seed(sdir, name, (uint8_t)fi, patch, 4);
		snprintf(name, sizeof name, "%s-flip-sealed", names[fi]);
		write_seed(sdir, name, (uint8_t)(NFILES + fi), patch, 4);
		uint8_t cut[4] = { (uint8_t)(orig_len[fi] / 2),
				   (uint8_t)(orig_len[fi] / 2 >> 8), 0, 0 };
		snprintf(name, sizeof name, "%s-cut", names[fi]);
		write_seed(sdir, name, (uint8_t)(4 * NFILES + fi), cut, 4);
	}
}

static void build_once(void)
{
	snprintf(root, sizeof root, "%s/fuzz-index-XXXXXX",
		 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(root))
		die("mkdtemp", NULL);
	snprintf(dir, sizeof dir, "%s/ix", root);
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.threads = 1;
	trawl_builder *b;
	trawl_error err;
	if (trawl_builder_new(dir, &o, &b, &err))
		die("builder_new", &err);
	/* 200 documents: a term in most of them has a skip table, the
	 * store has several blocks; a few ids repeat */
	for (unsigned i = 0; i < 200; i++) {
		char id[16], title[128], body[1024];
		snprintf(id, sizeof id, "d%u", i % 9 == 8 ? i - 4 : i);
		words(title, sizeof title, rnd() % 5);
		words(body, sizeof body, 5 + rnd() % 40);
		trawl_doc d;
		memset(&d, 0, sizeof d);
		d.id = id;
		d.id_len = strlen(id);
		d.title = title;
		d.title_len = strlen(title);
		d.body = body;
		d.body_len = strlen(body);
		if (i % 2) {
			d.date = "2024-02-29";
			d.date_len = 10;
		}
		if (trawl_builder_add(b, &d, &err) < 0)
			die("add", &err);
	}
	if (trawl_builder_finish(b, &err))
		die("finish", &err);
	trawl_builder_free(b);
	for (int i = 0; i < NFILES; i++) {
		char p[256];
		snprintf(p, sizeof p, "%s/seg-00000001/%s", dir, names[i]);
		FILE *f = fopen(p, "rb");
		if (!f)
			die(p, NULL);
		fseek(f, 0, SEEK_END);
		orig_len[i] = (size_t)ftell(f);
		fseek(f, 0, SEEK_SET);
		orig[i] = malloc(orig_len[i]);
		if (!orig[i] || fread(orig[i], 1, orig_len[i], f) != orig_len[i])
			die(p, NULL);
		fclose(f);
	}
	atexit(remove_root);
	const char *seeds = getenv("FUZZ_INDEX_WRITE_SEEDS");
	if (seeds)
		write_seeds(seeds);
}

/* ---- damage ------------------------------------------------------------ */

static void put_file(int fi, const uint8_t *p, size_t n)
{
	char path[256];
	snprintf(path, sizeof path, "%s/seg-00000001/%s", dir, names[fi]);
	FILE *f = fopen(path, "wb");
	if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
		die(path, NULL);
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

/* Re-computes every checksum of a cfile of N bytes whose header length
 * agrees with its size; leaves any other file alone. */
static void reseal(uint8_t *p, size_t n)
{
	if (n < HEADER + 8)
		return;
	uint64_t data_len = le32(p + 16) | (uint64_t)le32(p + 20) << 32;
	if (data_len > n)
		return;
	uint64_t nchunks = (data_len + CHUNK - 1) / CHUNK;
	if (HEADER + data_len + 4 * nchunks + 8 != n)
		return;
	uint8_t *crcs = p + HEADER + data_len;
	for (uint64_t c = 0; c < nchunks; c++) {
		uint64_t off = c * CHUNK;
		uint64_t len = data_len - off < CHUNK ? data_len - off : CHUNK;
		put32(crcs + 4 * c, (uint32_t)crc32(0, p + HEADER + off, (uInt)len));
	}
	put32(crcs + 4 * nchunks, (uint32_t)crc32(0, crcs, (uInt)(4 * nchunks)));
	put32(p + 28, (uint32_t)crc32(0, p, 28));
}

/* A valid cfile of FI's kind holding DATA[0..n); OUT: its size. */
static uint8_t *wrap(int fi, const uint8_t *data, size_t n, size_t *out_len)
{
	uint64_t nchunks = (n + CHUNK - 1) / CHUNK;
	size_t len = HEADER + n + 4 * nchunks + 8;
	uint8_t *p = calloc(1, len);
	if (!p)
		return NULL;
	memcpy(p, orig[fi], 16); /* magic, kind, version */
	put32(p + 16, (uint32_t)n);
	put32(p + 20, 0);
	memcpy(p + 24, orig[fi] + 24, 4); /* chunk shift */
	if (n)
		memcpy(p + HEADER, data, n);
	memcpy(p + len - 4, "TEND", 4);
	reseal(p, len);
	*out_len = len;
	return p;
}

/* ---- using the damaged index ------------------------------------------- */

static const char *const queries[] = {
	"oil", "oil gas", "\"crude oil\"", "o*", "oil NEAR/2 price",
	"title:oil -gas", "(bank OR rate) cut", "\"tren de aragua\"",
};
#define NQUERIES (sizeof queries / sizeof *queries)

static int damage_code(int rc)
{
	return rc == TRAWL_ECORRUPT || rc == TRAWL_EVERSION ||
	       rc == TRAWL_ENOTFOUND || rc == TRAWL_ELIMIT;
}

static void use_stored(trawl_index *ix, const trawl_query *q, uint32_t docno)
{
	trawl_stored *s = NULL;
	trawl_error err;
	int rc = trawl_doc_get(ix, docno, &s, &err);
	if (rc) {
		if (!damage_code(rc) || s)
			die("doc_get code", &err);
		return;
	}
	if (s->docno != docno || s->id[s->id_len] || s->title[s->title_len] ||
	    s->body[s->body_len] || s->date[s->date_len] ||
	    s->source[s->source_len])
		die("doc_get answer", NULL);
	if (q) {
		char *t = NULL, *p = NULL;
		rc = trawl_snippet(ix, q, s, NULL, &t, &p, &err);
		if (rc ? !damage_code(rc) : (!t || !p))
			die("snippet", &err);
		free(t);
		free(p);
	}
	trawl_stored_free(s);
}

static void use_index(trawl_index *ix)
{
	trawl_error err;
	trawl_stats st;
	if (trawl_index_stats(ix, &st, &err))
		die("stats", &err);
	uint64_t ndocs = st.docs + st.deleted;
	for (size_t i = 0; i < NQUERIES; i++) {
		trawl_query *q = NULL;
		if (trawl_query_parse(ix, queries[i], &q, &err))
			die("parse", &err);
		trawl_search_opts o;
		trawl_search_opts_init(&o);
		o.n = 3;
		o.explain = i % 2;
		trawl_hits *h = NULL;
		int rc = trawl_search(ix, q, &o, &h, &err);
		if (rc) {
			if (!damage_code(rc) || h || err.code != rc)
				die("search code", &err);
		} else {
			size_t n = trawl_hits_count(h);
			if (n > 3 || trawl_hits_total(h) < n ||
			    trawl_hits_total(h) > ndocs)
				die("search counts", NULL);
			for (size_t k = 0; k < n; k++) {
				const trawl_hit *hit = trawl_hits_get(h, k);
				if (hit->docno >= ndocs || !isfinite(hit->score) ||
				    (o.explain && !hit->explain))
					die("search hit", NULL);
				use_stored(ix, q, hit->docno);
			}
			uint64_t count;
			rc = trawl_count(ix, q, NULL, &count, &err);
			if (rc ? !damage_code(rc) : count != trawl_hits_total(h))
				die("count", &err);
			/* split over threads (their seeks to each slice may read
			 * what one thread skipped, so damage may show only here):
			 * a damage code, or the same hits */
			tr_search_split_work = 0;
			o.threads = 3;
			trawl_hits *h3 = NULL;
			rc = trawl_search(ix, q, &o, &h3, &err);
			if (rc ? !damage_code(rc) || h3 || err.code != rc
			       : trawl_hits_total(h3) != trawl_hits_total(h) ||
				 trawl_hits_count(h3) != n)
				die("split search", &err);
			for (size_t k = 0; !rc && k < n; k++)
				if (trawl_hits_get(h3, k)->docno !=
					    trawl_hits_get(h, k)->docno ||
				    trawl_hits_get(h3, k)->score !=
					    trawl_hits_get(h, k)->score)
					die("split search hits", NULL);
			trawl_hits_free(h3);
			trawl_hits_free(h);
		}
		trawl_query_free(q);
	}
	if (ndocs) {
		use_stored(ix, NULL, 0);
		use_stored(ix, NULL, (uint32_t)(ndocs - 1));
	}
	int rc = trawl_index_check(ix, &err);
	if (rc && rc != TRAWL_ECORRUPT)
		die("check code", &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!orig[0])
		build_once();
	if (size < 1)
		return 0;
	int fi = data[0] % NFILES;
	int mode = data[0] / NFILES % 5;
	const uint8_t *in = data + 1;
	size_t n = size - 1, len = orig_len[fi];
	uint8_t *p = NULL;
	size_t plen = 0;
	switch (mode) {
	case 0:
	case 1:
		p = malloc(len);
		if (!p)
			return 0;
		memcpy(p, orig[fi], len);
		plen = len;
		while (n >= 3) {
			size_t off = (in[0] | (size_t)in[1] << 8) % len;
			size_t k = in[2];
			in += 3;
			n -= 3;
			for (size_t i = 0; i < k && i < n && off + i < len; i++)
				p[off + i] ^= in[i];
			in += k < n ? k : n;
			n -= k < n ? k : n;
		}
		if (mode == 1)
			reseal(p, plen);
		break;
	case 2:
		p = malloc(n ? n : 1);
		if (!p)
			return 0;
		memcpy(p, in, n);
		plen = n;
		break;
	case 3:
		p = wrap(fi, in, n, &plen);
		if (!p)
			return 0;
		break;
	default: {
		uint32_t cut = n >= 4 ? le32(in) : 0;
		plen = cut % len;
		p = malloc(len);
		if (!p)
			return 0;
		memcpy(p, orig[fi], len);
	}
	}
	put_file(fi, p, plen);
	free(p);

	trawl_index *ix = (trawl_index *)orig; /* must come back NULL */
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_index_open(dir, &ix, &err);
	if (rc) {
		if (ix || err.code != rc || !err.message[0])
			die("open contract", &err);
		if (rc != TRAWL_ECORRUPT && rc != TRAWL_EVERSION &&
		    rc != TRAWL_EINVAL)
			die("open code", &err);
	} else {
		use_index(ix);
		trawl_index_close(ix);
	}
	put_file(fi, orig[fi], orig_len[fi]);
	return 0;
}
