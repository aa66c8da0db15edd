/*
 * test_build.c -- end to end through the public API: seeded documents
 * (small vocabulary, stemming collisions, case, accents, apostrophes,
 * over-long tokens, empty and NULL fields, repeated ids) are built twice
 * with trawl_builder_new/add/finish -- once with a 4 MiB memory budget so
 * that several runs are spilled and merged, once with 1 GiB -- and the
 * two indexes must be byte-identical (both with two threads, so the
 * final merge splits its terms between them), and so must a third, built
 * with the small budget and one thread.  An independent analysis of the
 * documents with trawl_analyze gives the expected postings (term -> docno
 * -> title positions, body positions); EVERY posting read back through the
 * dictionary iterator and postings cursors must equal it, and
 * trawl_index_check, trawl_index_stats and trawl_doc_get must agree.
 * Then the directory rules: repeated ids (later wins), builder_free
 * without finish, an existing index with and without force, directories
 * and files that are not an index.  TRAWL_SEED replays a seed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trawl.h"
#include "builder.h"
#include "dict.h"
#include "index.h"
#include "postings.h"
#include "cfile.h"


#define NDOCS 20000
#define SMALL_BUDGET ((size_t)4 << 20)
#define LARGE_BUDGET ((size_t)1 << 30)
#define LANES_BUDGET ((size_t)8 << 20)

static uint64_t seed;


/* ---- documents --------------------------------------------------------- */

static const char *const vocab[] = {
	"oil", "Oil", "OIL", "oils", "oiled", "gas", "gases", "price",
	"prices", "priced", "pricing", "run", "runs", "running", "runner",
	"market", "markets", "marketing", "bank", "banks", "banking", "rate",
	"rates", "central", "Central", "the", "of", "and", "a", "to", "in",
	"crude", "opec", "OPEC", "said", "says", "saying", "fell", "rose",
	"rise", "rising", "cut", "cuts", "cutting", "supply", "supplies",
	"demand", "demands", "café", "CAFÉ", "naïve", "Zürich", "zurich",
	"Nicolás", "nicolas", "trump’s", "trump's", "don't", "U.S.", "u.s",
	"2024", "covid19", "x1", "ünïcödé", "δέλτα", "Δέλτα", "москва",
	"東京", "tren", "de", "aragua", "direct", "directed", "directing",
	"connect", "connected", "connection", "connections", "generous",
	"generously", "report", "reported", "reporting", "reports", "oil-gas",
	"e-mail", "email", "state", "states", "stated", "statement",
	"a1b2c3", "zz", "q", "i", "o'neil", "rock'n'roll",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
};
#define NVOCAB (sizeof vocab / sizeof *vocab)

static const char *const seps[] = { " ", " ", " ", ", ", ". ", " - ", "\n",
				     "  ", "\t", "; ", " (", ") ", " \"", "\" ",
				     "/", "...", " \xff ", "–" };
#define NSEPS (sizeof seps / sizeof *seps)

typedef struct gdoc {
	char *id, *title, *body, *date, *source;
	size_t id_len, title_len, body_len, date_len, source_len;
	uint32_t docno;
	int dead;          /* replaced by a later document */
	int replaces;      /* add() must return 1 */
} gdoc;

typedef struct corpus {
	gdoc *d;
	size_t n;
} corpus;

static char *words(rng *r, size_t nwords, size_t *len)
{
	size_t cap = 16 + nwords * 80;
	char *s = malloc(cap);
	assert_non_null(s);
	size_t n = 0;
	for (size_t i = 0; i < nwords; i++) {
		if (i) {
			const char *sep = seps[rnd(r) % NSEPS];
			n += (size_t)snprintf(s + n, cap - n, "%s", sep);
		}
		if (rnd(r) % 10 == 0) {
			/* a rare made-up word: a large vocabulary */
			char w[16];
			size_t wl = 3 + rnd(r) % 8;
			for (size_t k = 0; k < wl; k++)
				w[k] = (char)('a' + rnd(r) % 26);
			w[wl] = '\0';
			n += (size_t)snprintf(s + n, cap - n, "%s", w);
			continue;
		}
		/* a skewed draw: low words are common */
		size_t k = rnd(r) % NVOCAB;
		if (rnd(r) % 2)
			k = k * k / NVOCAB;
		n += (size_t)snprintf(s + n, cap - n, "%s", vocab[k]);
	}
	s[n] = '\0';
	*len = n;
	return s;
}

static char *strdup_len(const char *s, size_t *len)
{
	char *d = strdup(s);
	assert_non_null(d);
	*len = strlen(s);
	return d;
}

/* N documents; about 2% reuse an earlier id. */
static void gen_corpus(corpus *c, size_t n, uint64_t s, const char *idprefix)
{
	rng r = { s };
	c->d = calloc(n, sizeof *c->d);
	assert_non_null(c->d);
	c->n = n;
	for (size_t i = 0; i < n; i++) {
		gdoc *d = &c->d[i];
		char id[64];
		if (i > 10 && rnd(&r) % 50 == 0) {
			size_t j = rnd(&r) % i;
			d->id = malloc(c->d[j].id_len + 1);
			memcpy(d->id, c->d[j].id, c->d[j].id_len + 1);
			d->id_len = c->d[j].id_len;
		} else {
			snprintf(id, sizeof id, "%s%zu", idprefix, i);
			d->id = strdup_len(id, &d->id_len);
		}
		size_t nt = rnd(&r) % 7;
		if (rnd(&r) % 20 == 0)
			d->title = NULL; /* NULL means empty */
		else
			d->title = words(&r, nt, &d->title_len);
		size_t nb = rnd(&r) % 60;
		if (rnd(&r) % 100 == 0)
			nb = 200 + rnd(&r) % 400;
		if (rnd(&r) % 30 == 0)
			d->body = NULL;
		else
			d->body = words(&r, nb, &d->body_len);
		if (rnd(&r) % 3) {
			char date[16];
			snprintf(date, sizeof date, "%04u-%02u-%02u",
				 1990 + (unsigned)(rnd(&r) % 40),
				 1 + (unsigned)(rnd(&r) % 12),
				 1 + (unsigned)(rnd(&r) % 28));
			d->date = strdup_len(date, &d->date_len);
		}
		if (rnd(&r) % 2) {
			char src[16];
			snprintf(src, sizeof src, "src%u", (unsigned)(rnd(&r) % 9));
			d->source = strdup_len(src, &d->source_len);
		}
		d->docno = (uint32_t)i;
	}
	/* the last document with an id wins */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n && !c->d[i].dead; j++)
			if (c->d[j].id_len == c->d[i].id_len &&
			    !memcmp(c->d[j].id, c->d[i].id, c->d[i].id_len)) {
				c->d[i].dead = 1;
				c->d[j].replaces = 1;
			}
}

static void free_corpus(corpus *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->d[i].id);
		free(c->d[i].title);
		free(c->d[i].body);
		free(c->d[i].date);
		free(c->d[i].source);
	}
	free(c->d);
	c->d = NULL;
	c->n = 0;
}

static trawl_doc as_doc(const gdoc *g)
{
	trawl_doc d;
	memset(&d, 0, sizeof d);
	d.id = g->id;
	d.id_len = g->id_len;
	d.title = g->title;
	d.title_len = g->title_len;
	d.body = g->body;
	d.body_len = g->body_len;
	d.date = g->date;
	d.date_len = g->date_len;
	d.source = g->source;
	d.source_len = g->source_len;
	return d;
}

/* ---- files and directories --------------------------------------------- */

static int rm_entry(const char *p, const struct stat *st, int flag,
		    struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

static void rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Paths that PATTERN matches. */
static size_t count_glob(const char *pattern)
{
	glob_t g;
	size_t n = 0;
	if (glob(pattern, 0, NULL, &g) == 0)
		n = g.gl_pathc;
	globfree(&g);
	return n;
}

/* Run files now in the builder's temporary directories beside DIR. */
static size_t count_runs(const char *dir)
{
	char pat[512];
	snprintf(pat, sizeof pat, "%s.tmp-*/run-*", dir);
	return count_glob(pat);
}

/* Entries of DIR other than . and .. */
static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
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

/* the last two only in an index whose merge was cut in two parts */
#define NINDEX_FILES 8
static const char *const index_files[NINDEX_FILES] = {
	"meta", "terms", "postings", "positions", "docs", "store",
	"postings.2", "positions.2" };

/* 1 when every index file of A and B holds the same bytes (or is in
 * neither). */
static int same_files(const char *a, const char *b, const char **which)
{
	for (size_t i = 0; i < NINDEX_FILES; i++) {
		char pa[512], pb[512];
		snprintf(pa, sizeof pa, "%s/seg-00000001/%s", a, index_files[i]);
		snprintf(pb, sizeof pb, "%s/seg-00000001/%s", b, index_files[i]);
		size_t na = 0, nb = 0;
		uint8_t *x = slurp(pa, &na), *y = slurp(pb, &nb);
		int same = x && y ? na == nb && !memcmp(x, y, na) : !x && !y;
		free(x);
		free(y);
		if (!same) {
			*which = index_files[i];
			return 0;
		}
	}
	return 1;
}

/* ---- building ---------------------------------------------------------- */

/* Builds C at DIR; OUT: *runs, run files seen before finish. */
static int build_threads = 2;
/* when set, build() counts each lane's runs into it (2 counters) */
static size_t *lanes_spilled;

static void build(const char *dir, const corpus *c, size_t budget, int force,
		  size_t *runs)
{
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.memory_budget = budget;
	o.threads = build_threads;
	o.force = force;
	trawl_builder *b = NULL;
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_builder_new(dir, &o, &b, &err);
	if (rc)
		fail_msg("builder_new %s: %s", dir, err.message);
	for (size_t i = 0; i < c->n; i++) {
		trawl_doc d = as_doc(&c->d[i]);
		rc = trawl_builder_add(b, &d, &err);
		if (rc != c->d[i].replaces)
			fail_msg("add of doc %zu returned %d (%s)", i, rc, err.message);
	}
	if (runs)
		*runs = count_runs(dir);
	for (int l = 0; lanes_spilled && l < 2; l++) {
		char pat[600];
		snprintf(pat, sizeof pat, "%s.tmp-*/run-%d-*", dir, l);
		lanes_spilled[l] = count_glob(pat);
	}
	rc = trawl_builder_finish(b, &err);
	if (rc)
		fail_msg("finish %s: %s", dir, err.message);
	trawl_builder_free(b);
}

/* Builds C at TWO with two threads dealing it to two lanes under BUDGET
 * (however small), LANES: each lane's runs before finish; then at ONE
 * with one thread. */
static void build_two_lanes_and_one(const char *two, const char *one,
				    const corpus *c, size_t budget,
				    size_t lanes[2])
{
	size_t min_budget = tr_lane_min_budget;
	tr_lane_min_budget = (size_t)1 << 20;
	lanes_spilled = lanes;
	build(two, c, budget, 0, NULL);
	lanes_spilled = NULL;
	tr_lane_min_budget = min_budget;
	build_threads = 1;
	build(one, c, budget, 0, NULL);
	build_threads = 2;
}

static trawl_index *open_index(const char *dir)
{
	trawl_index *ix = NULL;
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_index_open(dir, &ix, &err);
	if (rc)
		fail_msg("open %s: %s", dir, err.message);
	return ix;
}

/* ---- the expected postings --------------------------------------------- */

typedef struct tuple {
	uint32_t term, docno, pos; /* pos carries POS_BODY for the body */
} tuple;

typedef struct expect {
	char **terms;       /* by id */
	size_t *lens;
	size_t nterms, terms_cap;
	uint32_t *table;    /* id + 1 */
	size_t table_cap;
	uint32_t *rank;     /* id -> byte order rank */
	tuple *t;
	size_t nt, t_cap;
	uint64_t postings, input_bytes, live, dead;
	uint64_t npairs;    /* pair occurrences among the tuples */
} expect;

static uint32_t hash_term(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static uint32_t intern(expect *e, const char *s, size_t n)
{
	if (2 * (e->nterms + 1) > e->table_cap) {
		size_t cap = e->table_cap ? 2 * e->table_cap : 1024;
		uint32_t *t = calloc(cap, sizeof *t);
		assert_non_null(t);
		for (size_t i = 0; i < e->nterms; i++) {
			size_t j = hash_term(e->terms[i], e->lens[i]) & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = (uint32_t)i + 1;
		}
		free(e->table);
		e->table = t;
		e->table_cap = cap;
	}
	size_t j = hash_term(s, n) & (e->table_cap - 1);
	while (e->table[j]) {
		uint32_t id = e->table[j] - 1;
		if (e->lens[id] == n && !memcmp(e->terms[id], s, n))
			return id;
		j = (j + 1) & (e->table_cap - 1);
	}
	if (e->nterms == e->terms_cap) {
		e->terms_cap = e->terms_cap ? 2 * e->terms_cap : 256;
		e->terms = realloc(e->terms, e->terms_cap * sizeof *e->terms);
		e->lens = realloc(e->lens, e->terms_cap * sizeof *e->lens);
		assert_true(e->terms && e->lens);
	}
	e->terms[e->nterms] = malloc(n + 1);
	assert_non_null(e->terms[e->nterms]);
	memcpy(e->terms[e->nterms], s, n);
	e->terms[e->nterms][n] = '\0';
	e->lens[e->nterms] = n;
	e->table[j] = (uint32_t)e->nterms + 1;
	return (uint32_t)e->nterms++;
}

typedef struct actx {
	expect *e;
	uint32_t docno, field;
	char prev[16];      /* the last token when a pair word, else "" */
	uint32_t prev_pos;
} actx;

/* An English index's pair words, as the README lists them: two of them
 * one after the other are also the term "\1first second". */
static int pair_word(const char *w)
{
	static const char *const words[] = { "the", "of", "to", "a",
					     "in", "and", "on", "for" };
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (!strcmp(words[i], w))
			return 1;
	return 0;
}

static void add_tuple(expect *e, const char *term, size_t len,
		      uint32_t docno, uint32_t pos)
{
	if (e->nt == e->t_cap) {
		e->t_cap = e->t_cap ? 2 * e->t_cap : 65536;
		e->t = realloc(e->t, e->t_cap * sizeof *e->t);
		assert_non_null(e->t);
	}
	e->t[e->nt].term = intern(e, term, len);
	e->t[e->nt].docno = docno;
	e->t[e->nt].pos = pos;
	e->nt++;
}

static int on_token(void *ctx, const trawl_token *t)
{
	actx *a = ctx;
	uint32_t pos = t->position | a->field;
	if (!t->term) {
		a->prev[0] = '\0';
		return 0; /* over 64 bytes: not indexed */
	}
	add_tuple(a->e, t->term, t->term_len, a->docno, pos);
	if (pair_word(t->term)) {
		if (a->prev[0] && pos == a->prev_pos + 1) {
			char pair[40];
			int n = snprintf(pair, sizeof pair, "\001%s %s", a->prev,
					 t->term);
			add_tuple(a->e, pair, (size_t)n, a->docno, a->prev_pos);
			a->e->npairs++;
		}
		snprintf(a->prev, sizeof a->prev, "%s", t->term);
	} else {
		a->prev[0] = '\0';
	}
	a->prev_pos = pos;
	return 0;
}

static expect *sort_ctx;

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int cmp_id(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return cmp_bytes(sort_ctx->terms[a], sort_ctx->lens[a],
			 sort_ctx->terms[b], sort_ctx->lens[b]);
}

static int cmp_tuple(const void *x, const void *y)
{
	const tuple *a = x, *b = y;
	uint32_t ra = sort_ctx->rank[a->term], rb = sort_ctx->rank[b->term];
	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (a->docno != b->docno)
		return a->docno < b->docno ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Analyses every live document of C independently of the builder. */
static void compute_expect(expect *e, const corpus *c)
{
	memset(e, 0, sizeof *e);
	trawl_analyzer *an = NULL;
	assert_int_equal(trawl_analyzer_new("english", &an, NULL), TRAWL_OK);
	for (size_t i = 0; i < c->n; i++) {
		const gdoc *d = &c->d[i];
		e->input_bytes += d->title_len + d->body_len;
		if (d->dead) {
			e->dead++;
			continue;
		}
		e->live++;
		actx a = { e, d->docno, 0, "", 0 };
		assert_int_equal(trawl_analyze(an, d->title ? d->title : "",
					       d->title_len, on_token, &a),
				 TRAWL_OK);
		a.field = POS_BODY;
		assert_int_equal(trawl_analyze(an, d->body ? d->body : "",
					       d->body_len, on_token, &a),
				 TRAWL_OK);
	}
	trawl_analyzer_free(an);
	/* byte-order ranks, then tuples in (term, docno, field, position) */
	uint32_t *ids = malloc((e->nterms ? e->nterms : 1) * sizeof *ids);
	e->rank = malloc((e->nterms ? e->nterms : 1) * sizeof *e->rank);
	assert_true(ids && e->rank);
	for (size_t i = 0; i < e->nterms; i++)
		ids[i] = (uint32_t)i;
	sort_ctx = e;
	qsort(ids, e->nterms, sizeof *ids, cmp_id);
	for (size_t i = 0; i < e->nterms; i++)
		e->rank[ids[i]] = (uint32_t)i;
	free(ids);
	qsort(e->t, e->nt, sizeof *e->t, cmp_tuple);
	for (size_t i = 0; i < e->nt; i++)
		if (i == 0 || e->t[i].term != e->t[i - 1].term ||
		    e->t[i].docno != e->t[i - 1].docno)
			e->postings++;
}

static void free_expect(expect *e)
{
	for (size_t i = 0; i < e->nterms; i++)
		free(e->terms[i]);
	free(e->terms);
	free(e->lens);
	free(e->table);
	free(e->rank);
	free(e->t);
	memset(e, 0, sizeof *e);
}

/* Walks every term of IX in order with its postings cursor and compares
 * each (term, docno, tf title, tf body, positions) with E. */
static void compare_postings(trawl_index *ix, const expect *e)
{
	trawl_error err;
	memset(&err, 0, sizeof err);
	dict_iter it;
	assert_int_equal(dict_seek(&ix->segs[0].dict, &it, "", 0, &err), TRAWL_OK);
	size_t k = 0; /* next expected tuple */
	uint64_t nterms = 0;
	for (;;) {
		dterm t;
		int rc = dict_next(&it, &t, &err);
		if (rc < 0)
			fail_msg("dict_next: %s", err.message);
		if (rc == 0)
			break;
		if (k == e->nt)
			fail_msg("index has extra term \"%s\"", t.term);
		uint32_t id = e->t[k].term;
		if (cmp_bytes(t.term, t.len, e->terms[id], e->lens[id]) != 0)
			fail_msg("index term \"%s\", expected \"%s\"", t.term,
				 e->terms[id]);
		nterms++;
		pcursor c;
		if (pcur_open(&c, &ix->segs[0].postings, &ix->segs[0].positions, &t, &err))
			fail_msg("pcur_open \"%s\": %s", t.term, err.message);
		uint32_t df = 0;
		while (k < e->nt && e->t[k].term == id) {
			uint32_t docno = e->t[k].docno;
			size_t end = k;
			uint32_t tft = 0, tfb = 0;
			while (end < e->nt && e->t[end].term == id &&
			       e->t[end].docno == docno) {
				if (e->t[end].pos & POS_BODY)
					tfb++;
				else
					tft++;
				end++;
			}
			if (c.docno != docno)
				fail_msg("term \"%s\": docno %u, expected %u",
					 t.term, c.docno, docno);
			assert_int_equal(pcur_tf_title(&c), tft);
			assert_int_equal(pcur_tf_body(&c), tfb);
			const uint32_t *pos;
			uint32_t n;
			if (pcur_positions(&c, &pos, &n))
				fail_msg("positions: %s", err.message);
			assert_int_equal(n, end - k);
			for (uint32_t i = 0; i < n; i++)
				if (pos[i] != e->t[k + i].pos)
					fail_msg("term \"%s\" docno %u: position "
						 "%u is %#x, expected %#x", t.term,
						 docno, i, pos[i], e->t[k + i].pos);
			df++;
			k = end;
			pcur_next(&c);
		}
		if (c.docno != DOC_END)
			fail_msg("term \"%s\": extra docno %u", t.term, c.docno);
		assert_int_equal(c.rc, TRAWL_OK);
		assert_int_equal(t.df, df);
		pcur_close(&c);
	}
	if (k != e->nt)
		fail_msg("index lacks term \"%s\"", e->terms[e->t[k].term]);
	assert_int_equal(nterms, e->nterms);
}

/* Every posting of the index at DIR is E's. */
static void postings_match(const char *dir, const expect *e)
{
	trawl_index *ix = open_index(dir);
	compare_postings(ix, e);
	trawl_index_close(ix);
}

/* ---- the shared world -------------------------------------------------- */

typedef struct world {
	char root[256];
	char small[300], large[300], one[300];
	char lanes[300], lanes_one[300]; /* two lanes under a small budget */
	corpus c;
	expect e;
	size_t small_runs, large_runs, lane_runs[2];
	uint64_t distinct_terms, word_postings;
} world;

static world *W;

static int group_setup(void **state)
{
	(void)state;
	const char *s = getenv("TRAWL_SEED");
	seed = s ? strtoull(s, NULL, 0) : 20251125u;
	print_message("test_build seed %llu (set TRAWL_SEED to replay)\n",
		      (unsigned long long)seed);
	W = calloc(1, sizeof *W);
	if (!W)
		return -1;
	snprintf(W->root, sizeof W->root, "%s/trawl-build-XXXXXX", tmp_base());
	if (!mkdtemp(W->root))
		return -1;
	snprintf(W->small, sizeof W->small, "%s/small", W->root);
	snprintf(W->large, sizeof W->large, "%s/large", W->root);
	gen_corpus(&W->c, NDOCS, seed, "doc-");
	build(W->small, &W->c, SMALL_BUDGET, 0, &W->small_runs);
	build(W->large, &W->c, LARGE_BUDGET, 0, &W->large_runs);
	snprintf(W->one, sizeof W->one, "%s/one", W->root);
	build_threads = 1;
	build(W->one, &W->c, SMALL_BUDGET, 0, NULL);
	build_threads = 2;
	/* two lanes (each its own memindex and runs) spilling several runs
	 * each, against one lane under the same budget */
	snprintf(W->lanes, sizeof W->lanes, "%s/lanes", W->root);
	snprintf(W->lanes_one, sizeof W->lanes_one, "%s/lanes-one", W->root);
	build_two_lanes_and_one(W->lanes, W->lanes_one, &W->c, LANES_BUDGET,
				W->lane_runs);
	compute_expect(&W->e, &W->c);
	/* the index's counts are of words: word pairs are not counted */
	W->distinct_terms = W->word_postings = 0;
	for (size_t i = 0; i < W->e.nt; i++) {
		const tuple *t = &W->e.t[i];
		if (W->e.terms[t->term][0] == '\001')
			continue;
		W->distinct_terms += i == 0 || t->term != t[-1].term;
		W->word_postings += i == 0 || t->term != t[-1].term ||
				    t->docno != t[-1].docno;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (!W)
		return 0;
	rm_rf(W->root);
	free_corpus(&W->c);
	free_expect(&W->e);
	free(W);
	return 0;
}

/* ---- the big comparison ------------------------------------------------ */

static void test_small_budget_spills_several_runs(void **state)
{
	(void)state;
	print_message("runs spilled before finish: %zu with 4 MiB, %zu with "
		      "1 GiB\n", W->small_runs, W->large_runs);
	/* finish merges these runs with the rest, read from memory */
	assert_true(W->small_runs >= 2);
}

/* A spill used to keep the term array and hash table it had grown, and
 * mi_bytes() counted them: past ~90000 distinct terms a 4 MiB build
 * spilled a run per document (5461 runs here; the merge then failed with
 * "Too many open files" under ulimit -n 1024). */
static void test_spill_gives_back_the_term_table(void **state)
{
	(void)state;
	assert_true(W->small_runs <= 20);
}

static void test_large_budget_spills_no_run_before_finish(void **state)
{
	(void)state;
	assert_int_equal(W->large_runs, 0);
}

static void test_both_builds_are_byte_identical(void **state)
{
	(void)state;
	const char *which = NULL;
	if (!same_files(W->small, W->large, &which))
		fail_msg("file %s differs between the two budgets", which);
}

static void test_one_and_two_threads_are_byte_identical(void **state)
{
	(void)state;
	const char *which = NULL;
	if (!same_files(W->small, W->one, &which))
		fail_msg("file %s differs between one and two threads", which);
}

static void test_two_lanes_each_spill_runs(void **state)
{
	(void)state;
	print_message("runs spilled by two lanes under %u MiB: %zu and %zu\n",
		      (unsigned)(LANES_BUDGET >> 20), W->lane_runs[0],
		      W->lane_runs[1]);
	assert_true(W->lane_runs[0] >= 2);
	assert_true(W->lane_runs[1] >= 2);
}

/* The lanes' postings interleave in the merge: the same files as one
 * lane's runs, cut at the same term. */
static void test_two_lanes_and_one_are_byte_identical(void **state)
{
	(void)state;
	const char *which = NULL;
	if (!same_files(W->lanes, W->lanes_one, &which))
		fail_msg("file %s differs between two lanes and one", which);
	if (!same_files(W->lanes, W->small, &which))
		fail_msg("file %s differs between two lanes and a 4 MiB build",
			 which);
}

static void test_every_posting_matches_with_two_lanes(void **state)
{
	(void)state;
	postings_match(W->lanes, &W->e);
}

/* Lanes that spill far more runs than a merge may open first merge
 * each lane's own runs into bigger ones (a lane's runs hold increasing
 * documents; the lanes' interleave only in the final merge). */
static void test_two_lanes_merge_many_runs_in_passes(void **state)
{
	(void)state;
	corpus c;
	gen_corpus(&c, 3000, seed ^ 0x5a5a, "many-");
	char two[600], one[600];
	snprintf(two, sizeof two, "%s/many-two", W->root);
	snprintf(one, sizeof one, "%s/many-one", W->root);
	size_t lanes[2] = { 0, 0 };
	build_two_lanes_and_one(two, one, &c, SMALL_BUDGET, lanes);
	print_message("3000 documents, two lanes under 4 MiB: %zu and %zu "
		      "runs\n", lanes[0], lanes[1]);
	/* more than the final merge's share of a lane (MERGE_FANIN / 2) */
	assert_true(lanes[0] > 32 && lanes[1] > 32);
	const char *which = NULL;
	if (!same_files(two, one, &which))
		fail_msg("file %s differs between two lanes and one", which);
	free_corpus(&c);
}

static void test_every_posting_matches_independent_analysis(void **state)
{
	(void)state;
	postings_match(W->small, &W->e);
}

static void test_every_posting_matches_with_large_budget(void **state)
{
	(void)state;
	postings_match(W->large, &W->e);
}

static void test_index_check_passes(void **state)
{
	(void)state;
	const char *dirs[2] = { W->small, W->large };
	for (int i = 0; i < 2; i++) {
		trawl_index *ix = open_index(dirs[i]);
		trawl_error err;
		memset(&err, 0, sizeof err);
		int rc = trawl_index_check(ix, &err);
		if (rc)
			fail_msg("check %s: %s", dirs[i], err.message);
		trawl_index_close(ix);
	}
}

static void test_stats_equal_expected_counts(void **state)
{
	(void)state;
	trawl_index *ix = open_index(W->small);
	trawl_stats st;
	trawl_error err;
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	assert_int_equal(st.docs, W->e.live);
	assert_int_equal(st.deleted, W->e.dead);
	assert_true(W->e.dead > 0);
	assert_int_equal(st.terms, W->distinct_terms);
	assert_true(W->e.npairs > 0); /* pair terms were compared too */
	assert_int_equal(st.postings, W->word_postings);
	assert_int_equal(st.positions, W->e.nt - W->e.npairs);
	/* every title and body byte added, replaced documents included */
	assert_int_equal(st.input_bytes, W->e.input_bytes);
	assert_string_equal(st.language, "english");
	assert_string_equal(trawl_index_language(ix), "english");
	assert_true(st.bytes_total == st.bytes_dict + st.bytes_postings +
				      st.bytes_positions + st.bytes_docs +
				      st.bytes_store);
	struct stat sb;
	char p[512];
	snprintf(p, sizeof p, "%s/seg-00000001/postings", W->small);
	assert_int_equal(stat(p, &sb), 0);
	uint64_t both = (uint64_t)sb.st_size;
	snprintf(p, sizeof p, "%s/seg-00000001/postings.2", W->small);
	if (stat(p, &sb) == 0)
		both += (uint64_t)sb.st_size;
	assert_int_equal(st.bytes_postings, both);
	trawl_index_close(ix);
}

static void assert_field(const char *got, size_t got_len, const char *want,
			 size_t want_len)
{
	assert_non_null(got);
	if (!want)
		want_len = 0;
	assert_int_equal(got_len, want_len);
	if (want_len)
		assert_memory_equal(got, want, want_len);
	assert_int_equal(got[got_len], '\0');
}

static void test_doc_get_returns_every_document_as_added(void **state)
{
	(void)state;
	trawl_index *ix = open_index(W->small);
	trawl_error err;
	for (size_t i = 0; i < W->c.n; i++) {
		const gdoc *g = &W->c.d[i];
		trawl_stored *s = NULL;
		int rc = trawl_doc_get(ix, (uint32_t)i, &s, &err);
		if (rc)
			fail_msg("doc_get %zu: %s", i, err.message);
		assert_int_equal(s->docno, i);
		assert_field(s->id, s->id_len, g->id, g->id_len);
		assert_field(s->title, s->title_len, g->title, g->title_len);
		assert_field(s->body, s->body_len, g->body, g->body_len);
		assert_field(s->date, s->date_len, g->date, g->date_len);
		assert_field(s->source, s->source_len, g->source, g->source_len);
		trawl_stored_free(s);
	}
	trawl_stored *s = NULL;
	assert_int_equal(trawl_doc_get(ix, (uint32_t)W->c.n, &s, &err),
			 TRAWL_ENOTFOUND);
	assert_int_equal(trawl_doc_get(ix, UINT32_MAX, &s, &err), TRAWL_ENOTFOUND);
	assert_null(s);
	trawl_index_close(ix);
}

/* Matches of TEXT in IX: OUT total; returns the first hit's docno or
 * UINT32_MAX. */
static uint32_t search(trawl_index *ix, const char *text, uint64_t *total)
{
	trawl_query *q = NULL;
	trawl_error err;
	memset(&err, 0, sizeof err);
	if (trawl_query_parse(ix, text, &q, &err))
		fail_msg("parse \"%s\": %s", text, err.message);
	trawl_hits *h = NULL;
	if (trawl_search(ix, q, NULL, &h, &err))
		fail_msg("search \"%s\": %s", text, err.message);
	*total = trawl_hits_total(h);
	uint32_t first = trawl_hits_count(h) ? trawl_hits_get(h, 0)->docno
					     : UINT32_MAX;
	trawl_hits_free(h);
	trawl_query_free(q);
	return first;
}

static void test_replaced_documents_are_never_matched(void **state)
{
	(void)state;
	trawl_index *ix = open_index(W->small);
	/* every dead docno is absent from every posting list */
	trawl_error err;
	dict_iter it;
	assert_int_equal(dict_seek(&ix->segs[0].dict, &it, "", 0, &err), TRAWL_OK);
	dterm t;
	size_t checked = 0;
	while (dict_next(&it, &t, &err) == 1) {
		pcursor c;
		assert_int_equal(pcur_open(&c, &ix->segs[0].postings, &ix->segs[0].positions, &t,
					   &err), TRAWL_OK);
		for (; c.docno != DOC_END; pcur_next(&c)) {
			assert_false(W->c.d[c.docno].dead);
			checked++;
		}
		pcur_close(&c);
	}
	assert_true(checked > 0);
	trawl_index_close(ix);
}

/* ---- small indexes ----------------------------------------------------- */

typedef struct fixture {
	char root[256];
	char dir[300];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->root, sizeof f->root, "%s/trawl-build-XXXXXX", tmp_base());
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/ix", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	rm_rf(f->root);
	free(f);
	return 0;
}

static trawl_doc mkdoc(const char *id, const char *title, const char *body)
{
	trawl_doc d;
	memset(&d, 0, sizeof d);
	d.id = id;
	d.id_len = strlen(id);
	d.title = title;
	d.title_len = title ? strlen(title) : 0;
	d.body = body;
	d.body_len = body ? strlen(body) : 0;
	return d;
}

static trawl_builder *new_builder(const char *dir, int force, size_t budget)
{
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.force = force;
	if (budget)
		o.memory_budget = budget;
	trawl_builder *b = NULL;
	trawl_error err;
	memset(&err, 0, sizeof err);
	if (trawl_builder_new(dir, &o, &b, &err))
		fail_msg("builder_new: %s", err.message);
	return b;
}

static void add(trawl_builder *b, const char *id, const char *title,
		const char *body, int want)
{
	trawl_doc d = mkdoc(id, title, body);
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_builder_add(b, &d, &err);
	if (rc != want)
		fail_msg("add %s: %d (%s), want %d", id, rc, err.message, want);
}

static void finish(trawl_builder *b)
{
	trawl_error err;
	memset(&err, 0, sizeof err);
	if (trawl_builder_finish(b, &err))
		fail_msg("finish: %s", err.message);
	trawl_builder_free(b);
}

/* The memindex's per-document scratch (token slots, the encoded
 * postings of a document) grows to the longest document and a spill
 * cannot shrink it: counted with the postings, one long document made a
 * 4 MiB build spill a run after every document that followed (64,751
 * runs for the four shared collections). */
static void test_one_long_document_does_not_make_every_add_spill(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, SMALL_BUDGET);
	/* 120,000 words, most of them distinct */
	size_t n = 120000;
	char *body = malloc(n * 12 + 1);
	assert_non_null(body);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += (size_t)sprintf(body + k, "w%zx ", i % 40000);
	trawl_doc d = mkdoc("long", NULL, body);
	trawl_error err;
	assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_OK);
	free(body);
	for (size_t i = 0; i < 3000; i++) {
		char id[40];
		snprintf(id, sizeof id, "short-%zu", i);
		trawl_doc s = mkdoc(id, "oil", "gas price rose");
		assert_int_equal(trawl_builder_add(b, &s, &err), TRAWL_OK);
	}
	size_t runs = count_runs(f->dir);
	print_message("a long document, then 3000 short ones, 4 MiB: %zu "
		      "runs before finish\n", runs);
	assert_true(runs <= 10);
	finish(b);
	trawl_index *ix = open_index(f->dir);
	uint64_t total = 0;
	search(ix, "price", &total);
	assert_int_equal(total, 3000);
	trawl_index_close(ix);
}

/* The builder's per-document tables grow with every document and used to
 * count against the budget with nothing a spill could free: past ~35000
 * documents a 4 MiB build spilled a run per document. */
static void test_many_small_documents_spill_few_runs(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, SMALL_BUDGET);
	for (size_t i = 0; i < 60000; i++) {
		char id[40];
		snprintf(id, sizeof id, "a-rather-long-document-id-%zu", i);
		trawl_doc d = mkdoc(id, NULL, "oil gas price");
		trawl_error err;
		assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_OK);
	}
	size_t runs = count_runs(f->dir);
	print_message("60000 documents, 4 MiB: %zu runs before finish\n", runs);
	assert_true(runs <= 10);
	finish(b);
	trawl_index *ix = open_index(f->dir);
	uint64_t total;
	search(ix, "gas", &total);
	assert_int_equal(total, 60000);
	trawl_index_close(ix);
}

static void test_repeated_id_later_document_wins(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, 0);
	add(b, "x", "first zebra", "alpha zebra", 0);
	add(b, "y", "other", "beta gamma", 0);
	add(b, "x", "second", "beta delta", 1);
	add(b, "z", NULL, "gamma", 0);
	add(b, "x", "third", "epsilon", 1);
	finish(b);
	trawl_index *ix = open_index(f->dir);
	uint64_t total;
	/* words only the replaced versions had */
	assert_int_equal(search(ix, "zebra", &total), UINT32_MAX);
	assert_int_equal(total, 0);
	assert_int_equal(search(ix, "delta", &total), UINT32_MAX);
	assert_int_equal(total, 0);
	assert_int_equal(search(ix, "alpha OR second", &total), UINT32_MAX);
	assert_int_equal(total, 0);
	/* the last version is found, under its own docno */
	assert_int_equal(search(ix, "epsilon", &total), 4);
	assert_int_equal(total, 1);
	assert_int_equal(search(ix, "third", &total), 4);
	assert_int_equal(search(ix, "beta", &total), 1);
	assert_int_equal(total, 1);
	assert_int_equal(search(ix, "gamma", &total) != UINT32_MAX, 1);
	assert_int_equal(total, 2);
	trawl_stats st;
	trawl_error err;
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	assert_int_equal(st.docs, 3);
	assert_int_equal(st.deleted, 2);
	/* zebra, alpha, first, second, delta are gone from the dictionary */
	dterm t;
	assert_int_equal(dict_lookup(&ix->segs[0].dict, "zebra", 5, &t, &err), 0);
	assert_int_equal(dict_lookup(&ix->segs[0].dict, "delta", 5, &t, &err), 0);
	assert_int_equal(dict_lookup(&ix->segs[0].dict, "epsilon", 7, &t, &err), 1);
	assert_int_equal(t.df, 1);
	assert_int_equal(trawl_index_check(ix, &err), TRAWL_OK);
	/* the replaced versions are still stored */
	trawl_stored *s;
	assert_int_equal(trawl_doc_get(ix, 0, &s, &err), TRAWL_OK);
	assert_string_equal(s->body, "alpha zebra");
	trawl_stored_free(s);
	trawl_index_close(ix);
}

static void test_every_document_of_a_term_replaced_drops_the_term(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, 0);
	add(b, "a", NULL, "onlyhere common", 0);
	add(b, "b", NULL, "common", 0);
	add(b, "a", NULL, "common again", 1);
	finish(b);
	trawl_index *ix = open_index(f->dir);
	trawl_stats st;
	trawl_error err;
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	assert_int_equal(st.terms, 2); /* common, again */
	assert_int_equal(st.postings, 3);
	assert_int_equal(st.positions, 3);
	assert_int_equal(trawl_index_check(ix, &err), TRAWL_OK);
	trawl_index_close(ix);
}

static void test_empty_index_opens_and_checks(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, 0);
	finish(b);
	trawl_index *ix = open_index(f->dir);
	trawl_stats st;
	trawl_error err;
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	assert_int_equal(st.docs, 0);
	assert_int_equal(st.terms, 0);
	assert_int_equal(trawl_index_check(ix, &err), TRAWL_OK);
	uint64_t total;
	assert_int_equal(search(ix, "anything", &total), UINT32_MAX);
	assert_int_equal(total, 0);
	trawl_index_close(ix);
}

static void test_builder_free_without_finish_leaves_nothing(void **state)
{
	fixture *f = *state;
	const corpus *c = &W->c;
	for (int round = 0; round < 3; round++) {
		/* 4 MiB: run files, store blocks (some still queued for
		 * compression) exist when the builder is freed */
		trawl_builder *b = new_builder(f->dir, 0, SMALL_BUDGET);
		size_t i = 0;
		for (; i < c->n; i++) {
			trawl_doc d = as_doc(&c->d[i]);
			trawl_error err;
			int rc = trawl_builder_add(b, &d, &err);
			assert_true(rc == 0 || rc == 1);
			if (round == 0 && i == 10)
				break;
			if (round == 1 && i == 3000)
				break;
			if (round == 2 && i % 256 == 0 && count_runs(f->dir) > 0)
				break;
		}
		if (round == 2)
			assert_true(count_runs(f->dir) > 0);
		trawl_builder_free(b);
		assert_int_equal(access(f->dir, F_OK), -1);
		assert_int_equal(count_entries(f->root), 0);
	}
	trawl_builder_free(NULL);
}

static void snapshot(const char *dir, uint8_t **bytes, size_t *lens)
{
	for (int i = 0; i < NINDEX_FILES; i++) {
		char p[512];
		snprintf(p, sizeof p, "%s/seg-00000001/%s", dir, index_files[i]);
		bytes[i] = slurp(p, &lens[i]);
		if (i < 6)
			assert_non_null(bytes[i]);
	}
}

static void assert_snapshot(const char *dir, uint8_t **bytes, size_t *lens)
{
	for (int i = 0; i < NINDEX_FILES; i++) {
		char p[512];
		snprintf(p, sizeof p, "%s/seg-00000001/%s", dir, index_files[i]);
		size_t n;
		uint8_t *now = slurp(p, &n);
		assert_true(!now == !bytes[i]);
		if (!now)
			continue;
		assert_int_equal(n, lens[i]);
		assert_memory_equal(now, bytes[i], n);
		free(now);
	}
}

static void test_existing_index_without_force_is_eexist_and_untouched(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, 0);
	add(b, "a", "old", "old index", 0);
	finish(b);
	uint8_t *bytes[NINDEX_FILES];
	size_t lens[NINDEX_FILES];
	snapshot(f->dir, bytes, lens);
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	trawl_builder *b2 = (trawl_builder *)&o; /* must be set to NULL */
	trawl_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(trawl_builder_new(f->dir, &o, &b2, &err), TRAWL_EEXIST);
	assert_null(b2);
	assert_int_equal(err.code, TRAWL_EEXIST);
	assert_non_null(strstr(err.message, f->dir));
	assert_snapshot(f->dir, bytes, lens);
	assert_int_equal(count_entries(f->root), 1);
	for (int i = 0; i < NINDEX_FILES; i++)
		free(bytes[i]);
}

/* Replaces DIR's meta file by TEXT (a valid checked file). */
static void put_meta(const char *dir, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/seg-00000001/meta", dir);
	assert_int_equal(unlink(p), 0);
	cfw w;
	trawl_error err;
	int rc = TRAWL_OK;
	assert_int_equal(cfw_open(&w, p, CF_META, &err), TRAWL_OK);
	cfw_write(&rc, &w, text, strlen(text));
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(cfw_close(&w, &err), TRAWL_OK);
}

static int open_rc(const char *dir, trawl_error *err)
{
	trawl_index *ix = NULL;
	memset(err, 0, sizeof *err);
	int rc = trawl_index_open(dir, &ix, err);
	trawl_index_close(ix);
	return rc;
}

/* One word: nothing to cut the postings at, so one part, and its meta
 * file read as format 1 (no "parts") or 2; anything else is refused. */
static void test_meta_parts_and_format(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, 0);
	add(b, "a", "", "alpha", 0);
	finish(b);
	char p[512];
	snprintf(p, sizeof p, "%s/seg-00000001/postings.2", f->dir);
	assert_int_equal(access(p, F_OK), -1);
	trawl_error err;
	assert_int_equal(open_rc(f->dir, &err), TRAWL_OK);
	const char *common = "language=english\ndocs=1\nlive=1\ndeleted=0\n"
			     "terms=1\npostings=1\npositions=1\ninput_bytes=5\n"
			     "title_tokens=0\nbody_tokens=1\n";
	static const struct {
		int format;
		const char *parts;
		int want;
		const char *named; /* in the message */
	} cases[] = {
		{ 1, "", TRAWL_OK, NULL },
		{ 2, "parts=1\n", TRAWL_OK, NULL },
		{ 2, "", TRAWL_ECORRUPT, "parts" },
		{ 2, "parts=3\n", TRAWL_ECORRUPT, "parts" },
		/* a second part the meta file names but the directory lacks */
		{ 2, "parts=2\n", TRAWL_ENOTFOUND, "postings.2" },
		{ 3, "parts=1\n", TRAWL_EVERSION, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char m[512];
		snprintf(m, sizeof m, "format=%d\n%s%s", cases[i].format, common,
			 cases[i].parts);
		put_meta(f->dir, m);
		assert_int_equal(open_rc(f->dir, &err), cases[i].want);
		if (cases[i].named)
			assert_non_null(strstr(err.message, cases[i].named));
	}
}

/* Two threads cut the postings and positions where their merge splits:
 * the second parts hold bytes (test_index_check_passes reads the index
 * whole, test_one_and_two_threads_are_byte_identical compares it). */
static void test_two_thread_build_writes_two_parts(void **state)
{
	(void)state;
	char p[512];
	const char *part2[2] = { "postings.2", "positions.2" };
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/seg-00000001/%s", W->small, part2[i]);
		struct stat sb;
		assert_int_equal(stat(p, &sb), 0);
		assert_true(sb.st_size > 40 + 8);
	}
	snprintf(p, sizeof p, "%s/seg-00000001/meta", W->small);
	size_t n = 0;
	uint8_t *m = slurp(p, &n);
	assert_non_null(m);
	assert_non_null(memmem(m, n, "parts=2\n", 8));
	free(m);
}

static void test_existing_index_with_force_is_replaced(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, 0);
	add(b, "a", "old", "old index", 0);
	add(b, "b", "old", "old index", 0);
	finish(b);
	b = new_builder(f->dir, 1, 0);
	add(b, "n", "new", "brand new", 0);
	/* until finish, the old index is what readers see */
	trawl_index *ix = open_index(f->dir);
	trawl_stats st;
	trawl_error err;
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	assert_int_equal(st.docs, 2);
	trawl_index_close(ix);
	finish(b);
	ix = open_index(f->dir);
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	assert_int_equal(st.docs, 1);
	uint64_t total;
	assert_int_equal(search(ix, "brand", &total), 0);
	search(ix, "old", &total);
	assert_int_equal(total, 0);
	assert_int_equal(trawl_index_check(ix, &err), TRAWL_OK);
	trawl_index_close(ix);
	/* the old index's files went with its temporary name */
	assert_int_equal(count_entries(f->root), 1);
}

static void test_non_index_directory_is_never_replaced(void **state)
{
	fixture *f = *state;
	assert_int_equal(mkdir(f->dir, 0755), 0);
	char p[512];
	snprintf(p, sizeof p, "%s/notes.txt", f->dir);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("precious", fp);
	fclose(fp);
	for (int force = 0; force < 2; force++) {
		trawl_build_opts o;
		trawl_build_opts_init(&o);
		o.force = force;
		trawl_builder *b = NULL;
		trawl_error err;
		memset(&err, 0, sizeof err);
		assert_int_equal(trawl_builder_new(f->dir, &o, &b, &err),
				 TRAWL_EEXIST);
		assert_null(b);
		assert_non_null(strstr(err.message, f->dir));
	}
	size_t n;
	uint8_t *s = slurp(p, &n);
	assert_non_null(s);
	assert_int_equal(n, 8);
	assert_memory_equal(s, "precious", 8);
	free(s);
	assert_int_equal(count_entries(f->dir), 1);
	assert_int_equal(count_entries(f->root), 1);
}

static void test_regular_file_at_target_is_never_replaced(void **state)
{
	fixture *f = *state;
	FILE *fp = fopen(f->dir, "w");
	assert_non_null(fp);
	fputs("file", fp);
	fclose(fp);
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.force = 1;
	trawl_builder *b = NULL;
	trawl_error err;
	assert_int_equal(trawl_builder_new(f->dir, &o, &b, &err), TRAWL_EEXIST);
	assert_null(b);
	struct stat st;
	assert_int_equal(stat(f->dir, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
}

static void test_empty_directory_is_replaced_only_with_force(void **state)
{
	fixture *f = *state;
	assert_int_equal(mkdir(f->dir, 0755), 0);
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	trawl_builder *b = NULL;
	trawl_error err;
	assert_int_equal(trawl_builder_new(f->dir, &o, &b, &err), TRAWL_EEXIST);
	b = new_builder(f->dir, 1, 0);
	add(b, "a", NULL, "word", 0);
	finish(b);
	trawl_index *ix = open_index(f->dir);
	trawl_index_close(ix);
	assert_int_equal(count_entries(f->root), 1);
}

static void test_finished_builder_takes_no_more(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, 0);
	add(b, "a", NULL, "word", 0);
	trawl_error err;
	assert_int_equal(trawl_builder_finish(b, &err), TRAWL_OK);
	trawl_doc d = mkdoc("b", NULL, "more");
	assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_EINVAL);
	assert_int_equal(trawl_builder_finish(b, &err), TRAWL_EINVAL);
	trawl_builder_free(b);
	/* freeing a finished builder keeps the index */
	trawl_index *ix = open_index(f->dir);
	trawl_index_close(ix);
}

/* A builder (new_builder) for a new index DIR (CAP bytes),
 * TMP/NAME-XXXXXX/ix. */
static trawl_builder *temp_builder(char *dir, size_t cap, const char *name,
				   size_t budget)
{
	snprintf(dir, cap, "%s/%s-XXXXXX", tmp_base(), name);
	assert_non_null(mkdtemp(dir));
	strcat(dir, "/ix");
	return new_builder(dir, 0, budget);
}

/* Counts the matches of TEXT in IX. */
static uint64_t count_of(trawl_index *ix, const char *text)
{
	trawl_query *q;
	trawl_error err;
	uint64_t n = UINT64_MAX;
	assert_int_equal(trawl_query_parse(ix, text, &q, &err), TRAWL_OK);
	assert_int_equal(trawl_count(ix, q, NULL, &n, &err), TRAWL_OK);
	trawl_query_free(q);
	return n;
}

/* A position gap and a docno gap past 2^14 take three varint bytes in a
 * run, the merge's rare case (one byte or two otherwise): they must come
 * through it exact, from the memory and from spilled runs alike.  The
 * same document repeats a word 17000 times running: its positions take a
 * byte per 128 (readers once refused fewer than a byte per 64 as damage,
 * failing the phrase queries on it and trawl-index check). */
static void test_long_gaps_and_long_runs_survive_the_merge(void **state)
{
	(void)state;
	enum { FAR = 17000, BETWEEN = 17000 };
	size_t cap = 64 + (size_t)FAR * 2;
	char *body = malloc(cap);
	assert_non_null(body);
	/* alpha at 0 and FAR + 1, omega at FAR + 2, beta at FAR + 3 */
	size_t n = (size_t)snprintf(body, cap, "alpha");
	for (int i = 0; i < FAR; i++)
		body[n++] = ' ', body[n++] = 'w';
	n += (size_t)snprintf(body + n, cap - n, " alpha omega beta");
	size_t budgets[2] = { LARGE_BUDGET, SMALL_BUDGET / 4 };
	for (int k = 0; k < 2; k++) {
		char dir[256];
		trawl_builder *b = temp_builder(dir, sizeof dir, "far", budgets[k]);
		trawl_error err;
		/* rarex in the first and the last document, BETWEEN apart */
		for (int i = 0; i <= BETWEEN + 1; i++) {
			char id[32], text[64];
			snprintf(id, sizeof id, "d%d", i);
			/* a new word a document: the small budget's
			 * term table fills, and it spills runs */
			snprintf(text, sizeof text, "%s filler%d x%d",
				 i == 0 || i == BETWEEN + 1 ? "rarex" : "common",
				 i % 50, i);
			const char *bd = i == 1 ? body : text;
			trawl_doc d = { id, strlen(id), "", 0, bd, strlen(bd),
					NULL, 0, NULL, 0 };
			assert_true(trawl_builder_add(b, &d, &err) >= 0);
		}
		/* the small budget has spilled runs, the large none */
		assert_int_equal(count_runs(dir) > 0, k == 1);
		assert_int_equal(trawl_builder_finish(b, &err), TRAWL_OK);
		trawl_builder_free(b);
		trawl_index *ix;
		assert_int_equal(trawl_index_open(dir, &ix, &err), TRAWL_OK);
		assert_int_equal(count_of(ix, "\"alpha omega\""), 1);
		assert_int_equal(count_of(ix, "\"alpha omega beta\""), 1);
		assert_int_equal(count_of(ix, "\"omega alpha\""), 0);
		/* w's 17000 positions: 133 groups of zero gaps, a byte each */
		assert_int_equal(count_of(ix, "\"w alpha omega\""), 1);
		assert_int_equal(count_of(ix, "\"w w w w\""), 1);
		assert_int_equal(count_of(ix, "alpha ADJ/0 beta"), 0);
		assert_int_equal(count_of(ix, "alpha ADJ/1 beta"), 1);
		assert_int_equal(count_of(ix, "rarex"), 2);
		assert_int_equal(count_of(ix, "rarex common"), 0);
		if (trawl_index_check(ix, &err))
			fail_msg("check %s: %s", dir, err.message);
		assert_int_equal(tu_small_index_free(ix, dir), 0);
	}
	free(body);
}

/* A document over 64 MiB (the limit of a JSON line) is EINPUT through
 * the API too: a stored block holds whole documents, and one past the
 * store's 256 MiB was written but then refused by every reader as damage.
 * The builder goes on. */
static void test_document_over_64_mib_is_einput(void **state)
{
	(void)state;
	size_t n = ((size_t)64 << 20) + 1 - 3; /* with the id "big": 64 MiB + 1 */
	char *body = malloc(n);
	assert_non_null(body);
	memset(body, 'a', n);
	char dir[256];
	trawl_builder *b = temp_builder(dir, sizeof dir, "huge", 0);
	trawl_error err;
	trawl_doc big = { "big", 3, "", 0, body, n, NULL, 0, NULL, 0 };
	assert_int_equal(trawl_builder_add(b, &big, &err), TRAWL_EINPUT);
	assert_non_null(strstr(err.message, "64 MiB"));
	trawl_doc ok = { "ok", 2, "", 0, "tiny body", 9, NULL, 0, NULL, 0 };
	assert_int_equal(trawl_builder_add(b, &ok, &err), TRAWL_OK);
	assert_int_equal(trawl_builder_finish(b, &err), TRAWL_OK);
	trawl_builder_free(b);
	trawl_index *ix;
	assert_int_equal(trawl_index_open(dir, &ix, &err), TRAWL_OK);
	assert_int_equal(count_of(ix, "tiny"), 1);
	assert_int_equal(count_of(ix, "aaaa*"), 0);
	assert_int_equal(tu_small_index_free(ix, dir), 0);
	free(body);
}

static void test_bad_documents_are_einput_and_skipped(void **state)
{
	fixture *f = *state;
	trawl_builder *b = new_builder(f->dir, 0, 0);
	trawl_error err;
	trawl_doc d = mkdoc("", NULL, "no id");
	assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_EINPUT);
	d.id = NULL;
	assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_EINPUT);
	const char *dates[] = { "2021-02-29", "2020-13-01", "2020-00-10",
				"20-01-01", "2020-01-32", "yesterday",
				"2020-1-01" };
	for (size_t i = 0; i < sizeof dates / sizeof *dates; i++) {
		d = mkdoc("dated", NULL, "dated doc");
		d.date = dates[i];
		d.date_len = strlen(dates[i]);
		memset(&err, 0, sizeof err);
		assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_EINPUT);
		assert_non_null(strstr(err.message, "dated"));
	}
	d = mkdoc("good", NULL, "good doc");
	d.date = "2020-02-29";
	d.date_len = 10;
	assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_OK);
	finish(b);
	trawl_index *ix = open_index(f->dir);
	trawl_stats st;
	assert_int_equal(trawl_index_stats(ix, &st, &err), TRAWL_OK);
	assert_int_equal(st.docs, 1);
	trawl_stored *s;
	assert_int_equal(trawl_doc_get(ix, 0, &s, &err), TRAWL_OK);
	assert_string_equal(s->id, "good");
	assert_string_equal(s->date, "2020-02-29");
	trawl_stored_free(s);
	trawl_index_close(ix);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_budget_spills_several_runs),
		cmocka_unit_test(test_long_gaps_and_long_runs_survive_the_merge),
		cmocka_unit_test(test_document_over_64_mib_is_einput),
		cmocka_unit_test(test_spill_gives_back_the_term_table),
		cmocka_unit_test(test_large_budget_spills_no_run_before_finish),
		cmocka_unit_test(test_both_builds_are_byte_identical),
		cmocka_unit_test(test_one_and_two_threads_are_byte_identical),
		cmocka_unit_test(test_two_lanes_each_spill_runs),
		cmocka_unit_test(test_two_lanes_and_one_are_byte_identical),
		cmocka_unit_test(test_every_posting_matches_with_two_lanes),
		cmocka_unit_test(test_two_lanes_merge_many_runs_in_passes),
		cmocka_unit_test(test_every_posting_matches_independent_analysis),
		cmocka_unit_test(test_every_posting_matches_with_large_budget),
		cmocka_unit_test(test_index_check_passes),
		cmocka_unit_test(test_stats_equal_expected_counts),
		cmocka_unit_test(test_two_thread_build_writes_two_parts),
		cmocka_unit_test(test_doc_get_returns_every_document_as_added),
		cmocka_unit_test(test_replaced_documents_are_never_matched),
		T(test_many_small_documents_spill_few_runs),
		T(test_one_long_document_does_not_make_every_add_spill),
		T(test_repeated_id_later_document_wins),
		T(test_every_document_of_a_term_replaced_drops_the_term),
		T(test_empty_index_opens_and_checks),
		T(test_builder_free_without_finish_leaves_nothing),
		T(test_existing_index_without_force_is_eexist_and_untouched),
		T(test_existing_index_with_force_is_replaced),
		T(test_meta_parts_and_format),
		T(test_non_index_directory_is_never_replaced),
		T(test_regular_file_at_target_is_never_replaced),
		T(test_empty_directory_is_replaced_only_with_force),
		T(test_finished_builder_takes_no_more),
		T(test_bad_documents_are_einput_and_skipped),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
