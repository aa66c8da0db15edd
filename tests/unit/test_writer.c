/*
 * test_writer.c -- updating an index through trawl_writer_*: add, replace,
 * delete, commit, merge.  What a reader sees: the last commit only, and a
 * reader opened earlier keeps its snapshot until it closes (even after a
 * merge removed its files); deleted documents never match and are not
 * counted; uncommitted changes are invisible and discarded by close; one
 * writer at a time (ELOCKED names the lock); stats; merges; the automatic
 * merge policy keeps the segment count logarithmic; a write that fails in
 * the middle of a commit (RLIMIT_FSIZE in a child) leaves the last commit;
 * an fsync that fails at each point of a commit or merge (the binary is
 * linked with -Wl,--wrap=fsync) leaves the old or, past the manifest's
 * rename, the new state, and the same writer goes on.
 *
 * The randomized differential test applies seeded sequences of adds,
 * replaces, deletes, commits, merges and discarded batches, keeps the
 * surviving documents in memory, and after every commit compares the
 * match set of ~30 queries of every kind with a fresh trawl_builder build
 * of those documents.  TRAWL_SEED replays a seed (printed on stderr);
 * TRAWL_TEST=pattern runs some tests only.  Indexes go to /dev/shm when it
 * exists (TMPDIR overrides): commits fsync, and tmpfs keeps this fast.
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
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trawl.h"
#include "builder.h"
#include "manifest.h"

static uint64_t seed;

/* Under ASan (make test's second pass) the long tests do less: the point
 * there is memory errors on every path, not more random cases. */
#if defined(__SANITIZE_ADDRESS__)
static const int light = 1;
#else
static const int light = 0;
#endif


/* ---- fixture: a fresh directory per test -------------------------------- */

typedef struct fx {
	char root[PATH_MAX];
	char dir[PATH_MAX + 8];  /* the index being updated */
	char ref[PATH_MAX + 8];  /* fresh builds to compare with */
} fx;

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	/* tmpfs when there is one: commits fsync, and what is tested here
	 * is what a reader sees, not the disk's durability */
	const char *t = getenv("TMPDIR");
	if (!t || !*t)
		t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(f->root, sizeof f->root, "%s/trawl-writer-XXXXXX", t);
	assert_non_null(mkdtemp(f->root));
	snprintf(f->dir, sizeof f->dir, "%s/idx", f->root);
	snprintf(f->ref, sizeof f->ref, "%s/ref", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* ---- documents ---------------------------------------------------------- */

/* Few words, so that queries of every kind match something; stemming
 * collisions (prices/price, rising/rise) included. */
static const char *const vocab[] = {
	"oil", "gas", "price", "prices", "market", "bank", "rate", "crude",
	"opec", "said", "rise", "rising", "fell", "cut", "supply", "demand",
	"tanker", "port", "ship", "grain", "wheat", "corn", "dollar", "trade",
};
#define NVOCAB (sizeof vocab / sizeof *vocab)

typedef struct tdoc {
	char id[32];
	char *title, *body;
} tdoc;

/* The documents a reader should see, in no order. */
typedef struct model {
	tdoc *d;
	size_t n, cap;
} model;

static char *words(rng *r, size_t n)
{
	char *s = malloc(16 + n * 12);
	assert_non_null(s);
	size_t k = 0;
	s[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		/* skewed: low words are common */
		size_t w = rnd(r) % NVOCAB;
		if (rnd(r) % 2)
			w = w * w / NVOCAB;
		k += (size_t)sprintf(s + k, "%s%s", i ? " " : "", vocab[w]);
	}
	return s;
}

static trawl_doc as_doc(const tdoc *t)
{
	trawl_doc d;
	memset(&d, 0, sizeof d);
	d.id = t->id;
	d.id_len = strlen(t->id);
	d.title = t->title;
	d.title_len = strlen(t->title);
	d.body = t->body;
	d.body_len = strlen(t->body);
	return d;
}

static tdoc gen_doc(rng *r, const char *id)
{
	tdoc t;
	snprintf(t.id, sizeof t.id, "%s", id);
	t.title = words(r, rnd(r) % 5);
	t.body = words(r, rnd(r) % 30);
	return t;
}

static tdoc text_doc(const char *id, const char *title, const char *body)
{
	tdoc t;
	snprintf(t.id, sizeof t.id, "%s", id);
	t.title = strdup(title);
	t.body = strdup(body);
	assert_non_null(t.title);
	assert_non_null(t.body);
	return t;
}

static void tdoc_free(tdoc *t)
{
	free(t->title);
	free(t->body);
}

static tdoc tdoc_copy(const tdoc *t)
{
	return text_doc(t->id, t->title, t->body);
}

static ssize_t model_find(const model *m, const char *id)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->d[i].id, id))
			return (ssize_t)i;
	return -1;
}

/* Takes T (owned). */
static void model_put(model *m, tdoc t)
{
	ssize_t i = model_find(m, t.id);
	if (i >= 0) {
		tdoc_free(&m->d[i]);
		m->d[i] = t;
		return;
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->d = realloc(m->d, m->cap * sizeof *m->d);
		assert_non_null(m->d);
	}
	m->d[m->n++] = t;
}

static int model_del(model *m, const char *id)
{
	ssize_t i = model_find(m, id);
	if (i < 0)
		return 0;
	tdoc_free(&m->d[i]);
	m->d[i] = m->d[--m->n];
	return 1;
}

static void model_free(model *m)
{
	for (size_t i = 0; i < m->n; i++)
		tdoc_free(&m->d[i]);
	free(m->d);
	memset(m, 0, sizeof *m);
}

static void model_copy(model *dst, const model *src)
{
	model_free(dst);
	for (size_t i = 0; i < src->n; i++)
		model_put(dst, tdoc_copy(&src->d[i]));
}

/* ---- helpers ------------------------------------------------------------ */

static trawl_writer *wopen(const char *dir)
{
	trawl_writer *w = NULL;
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_writer_open(dir, NULL, &w, &err);
	if (rc)
		fail_msg("trawl_writer_open %s: %s", dir, err.message);
	assert_non_null(w);
	return w;
}

static void commit(trawl_writer *w)
{
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_writer_commit(w, &err);
	if (rc)
		fail_msg("commit: %d %s", rc, err.message);
}

static void merge(trawl_writer *w, size_t max)
{
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_writer_merge(w, max, &err);
	if (rc)
		fail_msg("merge: %d %s", rc, err.message);
}

static int wadd(trawl_writer *w, const tdoc *t)
{
	trawl_doc d = as_doc(t);
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_writer_add(w, &d, &err);
	if (rc < 0)
		fail_msg("add %s: %d %s", t->id, rc, err.message);
	return rc;
}

static int wdel(trawl_writer *w, const char *id)
{
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_writer_delete(w, id, strlen(id), &err);
	if (rc < 0)
		fail_msg("delete %s: %d %s", id, rc, err.message);
	return rc;
}

static trawl_index *ropen(const char *dir)
{
	trawl_index *ix = NULL;
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_index_open(dir, &ix, &err);
	if (rc)
		fail_msg("trawl_index_open %s: %s", dir, err.message);
	return ix;
}

static void check_ok(trawl_index *ix)
{
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = trawl_index_check(ix, &err);
	if (rc)
		fail_msg("trawl_index_check: %s", err.message);
}

static trawl_stats stats(trawl_index *ix)
{
	trawl_stats st;
	assert_int_equal(trawl_index_stats(ix, &st, NULL), TRAWL_OK);
	return st;
}

typedef struct idlist {
	char **id;
	size_t n, cap;
	trawl_index *ix;
} idlist;

static int collect(void *ctx, uint32_t docno)
{
	idlist *l = ctx;
	trawl_stored *s;
	assert_int_equal(trawl_doc_get(l->ix, docno, &s, NULL), TRAWL_OK);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->id = realloc(l->id, l->cap * sizeof *l->id);
		assert_non_null(l->id);
	}
	l->id[l->n++] = strdup(s->id);
	trawl_stored_free(s);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The ids matching Q, sorted; fails on a parse or search error. */
static idlist match_ids(trawl_index *ix, const char *q)
{
	idlist l;
	memset(&l, 0, sizeof l);
	l.ix = ix;
	trawl_query *tq;
	trawl_error err;
	memset(&err, 0, sizeof err);
	if (trawl_query_parse(ix, q, &tq, &err))
		fail_msg("parse '%s': %s", q, err.message);
	if (trawl_foreach_match(ix, tq, NULL, collect, &l, &err))
		fail_msg("search '%s': %s", q, err.message);
	uint64_t c;
	assert_int_equal(trawl_count(ix, tq, NULL, &c, &err), TRAWL_OK);
	assert_int_equal(c, l.n);
	trawl_query_free(tq);
	if (l.n)
		qsort(l.id, l.n, sizeof *l.id, cmp_str);
	return l;
}

static void idlist_free(idlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->id[i]);
	free(l->id);
}

static void assert_same_ids(const idlist *got, const idlist *want,
			    const char *what)
{
	size_t i = 0;
	for (; i < got->n && i < want->n; i++)
		if (strcmp(got->id[i], want->id[i]))
			break;
	if (i < got->n || i < want->n)
		fail_msg("seed %llu: %s: %zu ids, want %zu; first difference "
			 "at %zu: got %s, want %s", (unsigned long long)seed,
			 what, got->n, want->n, i,
			 i < got->n ? got->id[i] : "(end)",
			 i < want->n ? want->id[i] : "(end)");
}

static uint64_t count(trawl_index *ix, const char *q)
{
	idlist l = match_ids(ix, q);
	uint64_t n = l.n;
	idlist_free(&l);
	return n;
}

/* Every document of M is stored as M has it, under its id. */
static void assert_docs_equal_model(trawl_index *ix, const model *m)
{
	trawl_stats st = stats(ix);
	assert_int_equal(st.docs, m->n);
	/* docnos run over deleted documents too: visit all, keep the live */
	size_t seen = 0;
	uint32_t total = (uint32_t)(st.docs + st.deleted);
	for (uint32_t d = 0; d < total; d++) {
		trawl_stored *s;
		if (trawl_doc_get(ix, d, &s, NULL))
			continue;
		ssize_t k = model_find(m, s->id);
		if (k >= 0 && !strcmp(m->d[k].title, s->title) &&
		    !strcmp(m->d[k].body, s->body))
			seen++;
		trawl_stored_free(s);
	}
	/* a replaced or deleted document may still be stored; every model
	 * document must be there with its newest text */
	assert_true(seen >= m->n);
}

/* Builds REF from M with trawl_builder (replacing what is there). */
static void build_ref(const char *ref, const model *m)
{
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.force = 1;
	o.threads = 1;
	trawl_builder *b;
	trawl_error err;
	memset(&err, 0, sizeof err);
	if (trawl_builder_new(ref, &o, &b, &err))
		fail_msg("builder: %s", err.message);
	for (size_t i = 0; i < m->n; i++) {
		trawl_doc d = as_doc(&m->d[i]);
		assert_int_equal(trawl_builder_add(b, &d, &err), TRAWL_OK);
	}
	if (trawl_builder_finish(b, &err))
		fail_msg("finish: %s", err.message);
	trawl_builder_free(b);
}

/* A query of kind K over the vocabulary. */
static void gen_query(rng *r, int k, char *q, size_t n)
{
	const char *a = vocab[rnd(r) % NVOCAB], *b = vocab[rnd(r) % NVOCAB];
	const char *c = vocab[rnd(r) % NVOCAB];
	unsigned d = (unsigned)(rnd(r) % 4);
	switch (k % 11) {
	case 0: snprintf(q, n, "%s", a); break;
	case 1: snprintf(q, n, "%s AND %s", a, b); break;
	case 2: snprintf(q, n, "%s OR %s", a, b); break;
	case 3: snprintf(q, n, "%s NOT %s", a, b); break;
	case 4: snprintf(q, n, "\"%s %s\"", a, b); break;
	case 5: snprintf(q, n, "%s NEAR/%u %s", a, d, b); break;
	case 6: snprintf(q, n, "%s ADJ/%u %s", a, d, b); break;
	case 7: snprintf(q, n, "%.2s*", a); break;
	case 8: snprintf(q, n, "title:%s", a); break;
	case 9: snprintf(q, n, "title:(%s OR %s) -%s", a, b, c); break;
	default: snprintf(q, n, "(%s OR %.3s*) %s", a, b, c); break;
	}
}

/* The committed index at F->dir must answer like a fresh build of M. */
static void compare_with_fresh_build(fx *f, const model *m, rng *r,
				     const char *when)
{
	build_ref(f->ref, m);
	trawl_index *ix = ropen(f->dir), *ref = ropen(f->ref);
	check_ok(ix);
	trawl_stats st = stats(ix);
	if (st.docs != m->n)
		fail_msg("seed %llu: %s: %llu live documents, want %zu",
			 (unsigned long long)seed, when,
			 (unsigned long long)st.docs, m->n);
	for (int k = 0; k < 33; k++) {
		char q[256], what[512];
		gen_query(r, k, q, sizeof q);
		snprintf(what, sizeof what, "%s: query '%s'", when, q);
		idlist got = match_ids(ix, q), want = match_ids(ref, q);
		assert_same_ids(&got, &want, what);
		idlist_free(&got);
		idlist_free(&want);
	}
	assert_docs_equal_model(ix, m);
	trawl_index_close(ix);
	trawl_index_close(ref);
}

/* Names in DIR that its MANIFEST does not reference (LOCK and MANIFEST
 * aside), as one string, "" when none. */
static void unreferenced(const char *dir, char *out, size_t n)
{
	manifest m;
	assert_int_equal(man_read(dir, &m, NULL), TRAWL_OK);
	out[0] = '\0';
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *name = e->d_name;
		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    !strcmp(name, "LOCK") || !strcmp(name, "MANIFEST"))
			continue;
		int ref = 0;
		for (size_t i = 0; i < m.nsegs; i++)
			ref |= !strcmp(m.segs[i].name, name) ||
			       !strcmp(m.segs[i].del, name);
		if (!ref) {
			size_t k = strlen(out);
			snprintf(out + k, n - k, "%s ", name);
		}
	}
	closedir(d);
	man_free(&m);
}

/* ---- add, replace, delete, commit --------------------------------------- */

static void test_add_replace_delete_commit(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	tdoc a = text_doc("a", "oil", "crude oil rose");
	tdoc b = text_doc("b", "gas", "gas fell");
	tdoc c = text_doc("c", "wheat", "grain and wheat");
	assert_int_equal(wadd(w, &a), 0);
	assert_int_equal(wadd(w, &b), 0);
	assert_int_equal(wadd(w, &c), 0);
	commit(w);
	trawl_index *ix = ropen(f->dir);
	assert_int_equal(stats(ix).docs, 3);
	assert_int_equal(count(ix, "oil"), 1);
	trawl_index_close(ix);

	/* replace a committed document, delete one, an unknown id */
	tdoc a2 = text_doc("a", "tanker", "a tanker in port");
	assert_int_equal(wadd(w, &a2), 1);
	assert_int_equal(wdel(w, "b"), 1);
	assert_int_equal(wdel(w, "b"), 0);
	assert_int_equal(wdel(w, "nobody"), 0);
	/* a pending document is replaced too, and can be deleted */
	tdoc d = text_doc("d", "corn", "corn");
	tdoc d2 = text_doc("d", "corn", "corn and dollar");
	assert_int_equal(wadd(w, &d), 0);
	assert_int_equal(wadd(w, &d2), 1);
	tdoc e = text_doc("e", "yen", "yen");
	assert_int_equal(wadd(w, &e), 0);
	assert_int_equal(wdel(w, "e"), 1);
	commit(w);
	ix = ropen(f->dir);
	check_ok(ix);
	assert_int_equal(stats(ix).docs, 3);
	idlist l = match_ids(ix, "oil OR gas OR tanker OR wheat OR corn OR yen");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.id[0], "a");
	assert_string_equal(l.id[1], "c");
	assert_string_equal(l.id[2], "d");
	idlist_free(&l);
	assert_int_equal(count(ix, "oil"), 0);
	assert_int_equal(count(ix, "tanker"), 1);
	assert_int_equal(count(ix, "dollar"), 1);
	trawl_index_close(ix);
	trawl_writer_close(w);

	/* a new writer sees the committed ids: replace and delete them */
	w = wopen(f->dir);
	tdoc c2 = text_doc("c", "wheat", "wheat price");
	assert_int_equal(wadd(w, &c2), 1);
	assert_int_equal(wdel(w, "d"), 1);
	commit(w);
	trawl_writer_close(w);
	ix = ropen(f->dir);
	check_ok(ix);
	assert_int_equal(stats(ix).docs, 2);
	assert_int_equal(count(ix, "price"), 1);
	assert_int_equal(count(ix, "corn"), 0);
	trawl_index_close(ix);
	tdoc *all[] = { &a, &b, &c, &a2, &d, &d2, &e, &c2 };
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		tdoc_free(all[i]);
}

/* Each segment's store numbers its blocks from 0: documents fetched from
 * three segments in turn, each twice, must each come from its own
 * segment's block 0, not from the block another fetch left decompressed
 * (the index keeps the last block of each store cursor it lends). */
static void test_stored_documents_from_segments_in_turn(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	enum { SEGS = 3, PER = 4 };
	tdoc t[SEGS][PER];
	for (int g = 0; g < SEGS; g++) {
		for (int i = 0; i < PER; i++) {
			char id[32], body[64];
			snprintf(id, sizeof id, "s%d-%d", g, i);
			snprintf(body, sizeof body, "segment %d document %d", g, i);
			t[g][i] = text_doc(id, "same title", body);
			assert_int_equal(wadd(w, &t[g][i]), 0);
		}
		commit(w);
	}
	trawl_writer_close(w);
	trawl_index *ix = ropen(f->dir);
	trawl_stats st = stats(ix);
	assert_int_equal(st.docs, SEGS * PER);
	assert_int_equal(st.segments, SEGS);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < PER; i++)
			for (int g = 0; g < SEGS; g++) {
				trawl_stored *d;
				uint32_t docno = (uint32_t)(g * PER + i);
				assert_int_equal(trawl_doc_get(ix, docno, &d, NULL),
						 TRAWL_OK);
				assert_string_equal(d->id, t[g][i].id);
				assert_string_equal(d->body, t[g][i].body);
				trawl_stored_free(d);
			}
	trawl_index_close(ix);
	for (int g = 0; g < SEGS; g++)
		for (int i = 0; i < PER; i++)
			tdoc_free(&t[g][i]);
}

static void test_writer_creates_a_missing_index_with_its_language(void **state)
{
	fx *f = *state;
	trawl_build_opts o;
	trawl_build_opts_init(&o);
	o.language = "none";
	trawl_writer *w;
	trawl_error err;
	assert_int_equal(trawl_writer_open(f->dir, &o, &w, &err), TRAWL_OK);
	tdoc a = text_doc("a", "", "running prices");
	wadd(w, &a);
	commit(w);
	trawl_writer_close(w);
	trawl_index *ix = ropen(f->dir);
	assert_string_equal(trawl_index_language(ix), "none");
	assert_int_equal(count(ix, "running"), 1);
	assert_int_equal(count(ix, "run"), 0);
	trawl_index_close(ix);
	tdoc_free(&a);

	/* an unknown language creates nothing */
	char p[PATH_MAX + 16];
	snprintf(p, sizeof p, "%s/other", f->root);
	o.language = "klingon";
	w = (trawl_writer *)1;
	assert_int_equal(trawl_writer_open(p, &o, &w, &err), TRAWL_EINVAL);
	assert_null(w);
	assert_int_not_equal(access(p, F_OK), 0);
}

static void test_writer_refuses_a_directory_that_is_not_an_index(void **state)
{
	fx *f = *state;
	char p[PATH_MAX + 16];
	snprintf(p, sizeof p, "%s/notes.txt", f->root);
	FILE *fp = fopen(p, "w");
	assert_non_null(fp);
	fputs("mine\n", fp);
	fclose(fp);
	trawl_writer *w;
	trawl_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(trawl_writer_open(f->root, NULL, &w, &err),
			 TRAWL_EINVAL);
	assert_null(w);
	assert_non_null(strstr(err.message, "not a trawl index"));
	snprintf(p, sizeof p, "%s/LOCK", f->root);
	assert_int_not_equal(access(p, F_OK), 0); /* nothing written */
	snprintf(p, sizeof p, "%s/MANIFEST", f->root);
	assert_int_not_equal(access(p, F_OK), 0);
}

/* ---- snapshots ---------------------------------------------------------- */

typedef struct snap {
	trawl_stats st;
	idlist all;
	char **text;    /* per docno: "id|title|body" or NULL */
	uint32_t ndocnos;
} snap;

static snap take_snap(trawl_index *ix)
{
	snap s;
	s.st = stats(ix);
	s.all = match_ids(ix, "common");
	s.ndocnos = (uint32_t)(s.st.docs + s.st.deleted);
	s.text = calloc(s.ndocnos + 1, sizeof *s.text);
	assert_non_null(s.text);
	for (uint32_t d = 0; d < s.ndocnos; d++) {
		trawl_stored *t;
		assert_int_equal(trawl_doc_get(ix, d, &t, NULL), TRAWL_OK);
		size_t n = t->id_len + t->title_len + t->body_len + 3;
		s.text[d] = malloc(n);
		assert_non_null(s.text[d]);
		snprintf(s.text[d], n, "%s|%s|%s", t->id, t->title, t->body);
		trawl_stored_free(t);
	}
	return s;
}

static void assert_same_snap(const snap *a, const snap *b)
{
	assert_int_equal(a->st.docs, b->st.docs);
	assert_int_equal(a->st.deleted, b->st.deleted);
	assert_int_equal(a->st.segments, b->st.segments);
	assert_same_ids(&a->all, &b->all, "snapshot");
	assert_int_equal(a->ndocnos, b->ndocnos);
	for (uint32_t d = 0; d < a->ndocnos; d++)
		assert_string_equal(a->text[d], b->text[d]);
}

static void free_snap(snap *s)
{
	idlist_free(&s->all);
	for (uint32_t d = 0; d < s->ndocnos; d++)
		free(s->text[d]);
	free(s->text);
}

static void add_range(trawl_writer *w, const char *prefix, int from, int to,
		      const char *extra)
{
	for (int i = from; i < to; i++) {
		char id[32], body[128];
		snprintf(id, sizeof id, "%s%d", prefix, i);
		snprintf(body, sizeof body, "common %s %s number%d", extra,
			 vocab[i % NVOCAB], i);
		tdoc t = text_doc(id, vocab[(i * 7) % NVOCAB], body);
		wadd(w, &t);
		tdoc_free(&t);
	}
}

static void test_reader_keeps_its_snapshot_through_commit_and_merge(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	add_range(w, "s", 0, 30, "first");
	commit(w);
	add_range(w, "s", 30, 60, "second");
	commit(w);
	wdel(w, "s5");
	commit(w);

	trawl_index *old = ropen(f->dir);
	snap before = take_snap(old);
	assert_int_equal(before.st.segments, 2);
	assert_int_equal(before.st.docs, 59);
	assert_int_equal(before.st.deleted, 1);

	/* change everything: deletes, replaces, adds, then a full merge that
	 * removes every file the old reader maps */
	for (int i = 0; i < 20; i++) {
		char id[16];
		snprintf(id, sizeof id, "s%d", i);
		wdel(w, id);
	}
	add_range(w, "s", 20, 40, "replaced");
	add_range(w, "t", 0, 10, "third");
	commit(w);
	merge(w, 1);
	char p[PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/seg-00000001", f->dir);
	assert_int_not_equal(access(p, F_OK), 0);
	snprintf(p, sizeof p, "%s/seg-00000002", f->dir);
	assert_int_not_equal(access(p, F_OK), 0);

	snap again = take_snap(old);
	assert_same_snap(&before, &again);
	assert_int_equal(count(old, "replaced"), 0);
	assert_int_equal(count(old, "third"), 0);
	check_ok(old);
	trawl_index *now = ropen(f->dir);
	assert_int_equal(stats(now).docs, 50);
	assert_int_equal(stats(now).segments, 1);
	assert_int_equal(count(now, "replaced"), 20);
	assert_int_equal(count(now, "first"), 0);
	check_ok(now);
	trawl_index_close(now);
	trawl_index_close(old);
	free_snap(&before);
	free_snap(&again);
	trawl_writer_close(w);
}

static void test_uncommitted_changes_are_invisible_and_close_discards(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	add_range(w, "u", 0, 10, "kept");
	commit(w);
	trawl_index *ix = ropen(f->dir);
	snap before = take_snap(ix);
	trawl_index_close(ix);

	add_range(w, "u", 5, 15, "pending");
	wdel(w, "u0");
	/* not yet committed: neither a new reader nor the old one sees it */
	ix = ropen(f->dir);
	snap during = take_snap(ix);
	assert_same_snap(&before, &during);
	assert_int_equal(count(ix, "pending"), 0);
	trawl_index_close(ix);
	trawl_writer_close(w); /* discards */

	ix = ropen(f->dir);
	snap after = take_snap(ix);
	assert_same_snap(&before, &after);
	check_ok(ix);
	trawl_index_close(ix);
	char left[4096];
	unreferenced(f->dir, left, sizeof left);
	assert_string_equal(left, "");

	/* a new writer starts from the commit: u0 is still there */
	w = wopen(f->dir);
	assert_int_equal(wdel(w, "u0"), 1);
	assert_int_equal(wdel(w, "u12"), 0);
	trawl_writer_close(w);
	free_snap(&before);
	free_snap(&during);
	free_snap(&after);
}

static void test_deleted_documents_never_match_nor_count(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	add_range(w, "x", 0, 40, "xs");
	commit(w);
	add_range(w, "y", 0, 40, "ys");
	commit(w);
	/* x0, x3, ..., x39 and y1, y4, ..., y37 */
	for (int i = 0; i < 40; i += 3) {
		char id[16];
		snprintf(id, sizeof id, "x%d", i);
		assert_int_equal(wdel(w, id), 1);
		snprintf(id, sizeof id, "y%d", i + 1);
		assert_int_equal(wdel(w, id), i + 1 < 40);
	}
	commit(w);
	trawl_index *ix = ropen(f->dir);
	assert_int_equal(stats(ix).docs, 80 - 27);
	assert_int_equal(count(ix, "common"), 80 - 27);
	assert_int_equal(count(ix, "xs"), 26);
	assert_int_equal(count(ix, "ys"), 27);
	/* words only the deleted ones have */
	assert_int_equal(count(ix, "xs number0"), 0);
	assert_int_equal(count(ix, "ys number1"), 0);
	assert_int_equal(count(ix, "xs number39 OR ys number37"), 0);
	assert_int_equal(count(ix, "\"xs oil\" number0"), 0);
	assert_int_equal(count(ix, "number0 OR number1"), 2);
	/* number3, number30..39 in x and y; x3, x30, x33, x36, x39, y31,
	 * y34, y37 deleted */
	assert_int_equal(count(ix, "number3*"), 22 - 8);
	/* the ranked search and its total agree */
	trawl_query *q;
	assert_int_equal(trawl_query_parse(ix, "common", &q, NULL), TRAWL_OK);
	trawl_search_opts so;
	trawl_search_opts_init(&so);
	so.n = 1000;
	trawl_hits *h;
	assert_int_equal(trawl_search(ix, q, &so, &h, NULL), TRAWL_OK);
	assert_int_equal(trawl_hits_total(h), 53);
	assert_int_equal(trawl_hits_count(h), 53);
	for (size_t i = 0; i < trawl_hits_count(h); i++) {
		trawl_stored *s;
		assert_int_equal(trawl_doc_get(ix, trawl_hits_get(h, i)->docno,
					       &s, NULL), TRAWL_OK);
		int n = atoi(s->id + 1);
		assert_true(n % 3 != (s->id[0] == 'x' ? 0 : 1));
		trawl_stored_free(s);
	}
	trawl_hits_free(h);
	trawl_query_free(q);
	check_ok(ix);
	trawl_index_close(ix);
	/* deleted, then the same id added again: one live document */
	assert_int_equal(wdel(w, "x1"), 1);
	commit(w);
	tdoc t = text_doc("x0", "", "common again");
	assert_int_equal(wadd(w, &t), 0);
	commit(w);
	tdoc_free(&t);
	ix = ropen(f->dir);
	assert_int_equal(count(ix, "common"), 53);
	assert_int_equal(count(ix, "again"), 1);
	trawl_index_close(ix);
	trawl_writer_close(w);
}

/* ---- the lock ----------------------------------------------------------- */

static void test_second_writer_is_elocked_naming_the_lock(void **state)
{
	fx *f = *state;
	trawl_writer *w1 = wopen(f->dir), *w2 = (trawl_writer *)1;
	trawl_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(trawl_writer_open(f->dir, NULL, &w2, &err),
			 TRAWL_ELOCKED);
	assert_null(w2);
	assert_int_equal(err.code, TRAWL_ELOCKED);
	char lock[PATH_MAX + 16];
	snprintf(lock, sizeof lock, "%s/LOCK", f->dir);
	assert_non_null(strstr(err.message, lock));
	/* in another process too */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		trawl_writer *w3;
		int rc = trawl_writer_open(f->dir, NULL, &w3, NULL);
		_exit(rc == TRAWL_ELOCKED ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* readers are never locked out */
	trawl_index *ix = ropen(f->dir);
	trawl_index_close(ix);
	trawl_writer_close(w1);
	w2 = wopen(f->dir);
	trawl_writer_close(w2);
}

/* ---- stats and merges --------------------------------------------------- */

static void test_stats_count_segments_live_and_deleted(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	trawl_index *ix = ropen(f->dir);
	trawl_stats st = stats(ix);
	assert_int_equal(st.docs, 0);
	assert_int_equal(st.segments, 0);
	trawl_index_close(ix);
	add_range(w, "a", 0, 10, "one");
	commit(w);
	add_range(w, "b", 0, 10, "two");
	commit(w);
	ix = ropen(f->dir);
	st = stats(ix);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.docs, 20);
	assert_int_equal(st.deleted, 0);
	trawl_index_close(ix);
	wdel(w, "a1");
	wdel(w, "a2");
	wdel(w, "b3");
	commit(w);
	ix = ropen(f->dir);
	st = stats(ix);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.docs, 17);
	assert_int_equal(st.deleted, 3);
	trawl_index_close(ix);
	add_range(w, "a", 5, 7, "three"); /* replaces two */
	commit(w);
	ix = ropen(f->dir);
	st = stats(ix);
	assert_int_equal(st.segments, 3);
	assert_int_equal(st.docs, 17);
	assert_int_equal(st.deleted, 5);
	trawl_index_close(ix);
	merge(w, 1);
	ix = ropen(f->dir);
	st = stats(ix);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.docs, 17);
	assert_int_equal(st.deleted, 0);
	check_ok(ix);
	trawl_index_close(ix);
	trawl_writer_close(w);
}

static void test_merge_to_one_segment_drops_deleted_and_keeps_results(void **state)
{
	fx *f = *state;
	rng r = { seed ^ 0x51 };
	model m;
	memset(&m, 0, sizeof m);
	trawl_writer *w = wopen(f->dir);
	for (int c = 0; c < 5; c++) {
		for (int i = 0; i < 30; i++) {
			char id[16];
			snprintf(id, sizeof id, "m%d", (int)(rnd(&r) % 100));
			tdoc t = gen_doc(&r, id);
			wadd(w, &t);
			model_put(&m, t);
		}
		for (int i = 0; i < 5; i++) {
			char id[16];
			snprintf(id, sizeof id, "m%d", (int)(rnd(&r) % 100));
			assert_int_equal(wdel(w, id), model_del(&m, id));
		}
		commit(w);
	}
	trawl_index *ix = ropen(f->dir);
	assert_true(stats(ix).deleted > 0);
	assert_true(stats(ix).segments > 1);
	trawl_index_close(ix);
	compare_with_fresh_build(f, &m, &r, "before merge");
	merge(w, 1);
	ix = ropen(f->dir);
	trawl_stats st = stats(ix);
	assert_int_equal(st.segments, 1);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(st.docs, m.n);
	trawl_index_close(ix);
	compare_with_fresh_build(f, &m, &r, "after merge");
	char left[4096];
	unreferenced(f->dir, left, sizeof left);
	assert_string_equal(left, "");
	trawl_writer_close(w);
	model_free(&m);
}

/* Deleted documents go for good in every segment, not only in those a
 * merge to N > 1 segments combines. */
static void test_merge_to_two_segments_drops_deleted_everywhere(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	add_range(w, "p", 0, 20, "one");
	commit(w);
	add_range(w, "q", 0, 20, "two");
	commit(w);
	add_range(w, "r", 0, 20, "three");
	commit(w);
	wdel(w, "p1");
	wdel(w, "q2");
	merge(w, 2);
	trawl_index *ix = ropen(f->dir);
	trawl_stats st = stats(ix);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.docs, 58);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(count(ix, "common"), 58);
	check_ok(ix);
	trawl_index_close(ix);
	/* fewer segments than asked for: still purged */
	wdel(w, "r3");
	merge(w, 5);
	ix = ropen(f->dir);
	st = stats(ix);
	assert_int_equal(st.segments, 2);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(st.docs, 57);
	trawl_index_close(ix);
	trawl_writer_close(w);
}

static void test_merge_policy_keeps_segment_count_logarithmic(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	uint64_t most = 0;
	int ncommits = light ? 20 : 60;
	for (int c = 0; c < ncommits; c++) {
		char prefix[16];
		snprintf(prefix, sizeof prefix, "c%d-", c);
		add_range(w, prefix, 0, 200, "");
		commit(w);
		trawl_index *ix = ropen(f->dir);
		trawl_stats st = stats(ix);
		trawl_index_close(ix);
		double n = (double)st.docs < 1000 ? 1000 : (double)st.docs;
		double bound = 8 * log(n / 1000) / log(8) + 8;
		if ((double)st.segments >= bound)
			fail_msg("after commit %d: %llu documents in %llu segments, "
				 "bound %.1f", c + 1, (unsigned long long)st.docs,
				 (unsigned long long)st.segments, bound);
		assert_int_equal(st.docs, (uint64_t)(c + 1) * 200);
		if (st.segments > most)
			most = st.segments;
	}
	assert_true(most >= 8);  /* it did let segments pile up a little */
	trawl_index *ix = ropen(f->dir);
	assert_int_equal(count(ix, "common"), (uint64_t)ncommits * 200);
	check_ok(ix);
	trawl_index_close(ix);
	trawl_writer_close(w);
}

/* ---- the randomized differential test ----------------------------------- */

static void test_random_updates_match_a_fresh_build(void **state)
{
	fx *f = *state;
	rng r = { seed };
	model committed, pending;
	memset(&committed, 0, sizeof committed);
	memset(&pending, 0, sizeof pending);
	trawl_writer *w = wopen(f->dir);
	unsigned next_id = 0;
	int rounds = light ? 15 : 45, commits = 0;
	for (int round = 0; round < rounds; round++) {
		int nops = (int)(rnd(&r) % 40);
		for (int op = 0; op < nops; op++) {
			unsigned k = (unsigned)(rnd(&r) % 10);
			char id[32];
			if (k < 6 || pending.n == 0) {
				/* add: mostly new ids, some replacing */
				if (pending.n && rnd(&r) % 3 == 0)
					snprintf(id, sizeof id, "%s",
						 pending.d[rnd(&r) % pending.n].id);
				else
					snprintf(id, sizeof id, "r%u", next_id++);
				tdoc t = gen_doc(&r, id);
				int want = model_find(&pending, id) >= 0;
				int got = wadd(w, &t);
				if (got != want)
					fail_msg("seed %llu: add %s returned %d, want %d",
						 (unsigned long long)seed, id, got, want);
				model_put(&pending, t);
			} else {
				/* delete: a live id, or one deleted or unknown */
				if (k < 9)
					snprintf(id, sizeof id, "%s",
						 pending.d[rnd(&r) % pending.n].id);
				else
					snprintf(id, sizeof id, "r%u",
						 (unsigned)(rnd(&r) % (next_id + 5)));
				int want = model_find(&pending, id) >= 0;
				int got = wdel(w, id);
				if (got != want)
					fail_msg("seed %llu: delete %s returned %d, want %d",
						 (unsigned long long)seed, id, got, want);
				model_del(&pending, id);
			}
		}
		char when[64];
		unsigned what = (unsigned)(rnd(&r) % 20);
		if (what < 2) {
			/* close without commit: everything pending is lost */
			trawl_writer_close(w);
			w = wopen(f->dir);
			model_copy(&pending, &committed);
			snprintf(when, sizeof when, "round %d (discarded)", round);
		} else if (what < 4) {
			size_t max = 1 + rnd(&r) % 3;
			merge(w, max);
			model_copy(&committed, &pending);
			trawl_index *ix = ropen(f->dir);
			trawl_stats st = stats(ix);
			trawl_index_close(ix);
			assert_true(st.segments <= max);
			assert_int_equal(st.deleted, 0);
			snprintf(when, sizeof when, "round %d (merge to %zu)", round,
				 max);
		} else {
			commit(w);
			model_copy(&committed, &pending);
			if (what == 4) {
				trawl_writer_close(w);
				w = wopen(f->dir);
			}
			snprintf(when, sizeof when, "round %d (commit)", round);
		}
		commits++;
		compare_with_fresh_build(f, &committed, &r, when);
	}
	trawl_index *ix = ropen(f->dir);
	trawl_stats st = stats(ix);
	trawl_index_close(ix);
	fprintf(stderr, "# seed %llu: %d commits, %zu documents in %llu "
		"segments\n", (unsigned long long)seed, commits, committed.n,
		(unsigned long long)st.segments);
	trawl_writer_close(w);
	model_free(&committed);
	model_free(&pending);
}

/* ---- a write that fails in the middle of a commit ----------------------- */

/* The ids of every live document, sorted, as one string. */
static char *all_ids(const char *dir)
{
	trawl_index *ix = ropen(dir);
	check_ok(ix);
	idlist l = match_ids(ix, "common");
	assert_int_equal(l.n, stats(ix).docs);
	size_t n = 1;
	for (size_t i = 0; i < l.n; i++)
		n += strlen(l.id[i]) + 1;
	char *s = malloc(n);
	assert_non_null(s);
	s[0] = '\0';
	for (size_t i = 0; i < l.n; i++) {
		strcat(s, l.id[i]);
		strcat(s, " ");
	}
	idlist_free(&l);
	trawl_index_close(ix);
	return s;
}

/* What a child's commit did: committed; failed writing one of these
 * (its message names the file); the commit went through but the
 * automatic merge after it failed; failed, then the same writer
 * committed. */
enum {
	CHILD_COMMITTED = 10, CHILD_RETRIED = 11,
	FAIL_RUN = 20, FAIL_STORE, FAIL_POSTINGS, FAIL_DOCS, FAIL_OTHER_FILE,
	FAIL_DEL, FAIL_MANIFEST, FAIL_MERGE, FAIL_END
};

static int fail_kind(const char *m)
{
	if (strstr(m, "automatic merge failed"))
		return FAIL_MERGE;
	if (strstr(m, "/run-"))
		return FAIL_RUN;
	if (strstr(m, "store"))
		return FAIL_STORE;
	if (strstr(m, "/terms") || strstr(m, "/postings") ||
	    strstr(m, "/positions"))
		return FAIL_POSTINGS;
	if (strstr(m, "/docs"))
		return FAIL_DOCS;
	if (strstr(m, "/del-"))
		return FAIL_DEL;
	if (strstr(m, "MANIFEST"))
		return FAIL_MANIFEST;
	return FAIL_OTHER_FILE;
}

/* The documents of a child's commit, by KIND: 0, 150 documents of common
 * words (the postings are the largest file); 1, 20 documents of long
 * random tokens that are stored but not indexed (the store is); 2, 600
 * documents of one word (the per-document records are); 3, none. */
static void child_adds(trawl_writer *w, int kind, int tag)
{
	int n = kind == 0 ? 150 : kind == 1 ? 20 : kind == 2 ? 600 : 0;
	rng r = { (uint64_t)tag };
	char *body = malloc(8192);
	assert_non_null(body);
	for (int i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof id, "n%d-%d", tag, i);
		if (kind == 0) {
			snprintf(body, 8192, "common fresh%d %s %s %s number%d "
				 "and some more text so that segment files grow: "
				 "%d %d %d", tag, vocab[i % NVOCAB],
				 vocab[(i / 3) % NVOCAB], vocab[(i / 7) % NVOCAB],
				 i, i * 7, i * 13, i * 31);
		} else if (kind == 1) {
			size_t k = (size_t)sprintf(body, "common ");
			while (k < 4000) {
				body[k++] = (char)('a' + rnd(&r) % 26);
				if (rnd(&r) % 100 == 0)
					body[k++] = ' ';
			}
			body[k] = '\0';
		} else {
			snprintf(body, 8192, "common");
		}
		tdoc t = text_doc(id, "", body);
		trawl_doc d = as_doc(&t);
		trawl_error err;
		if (trawl_writer_add(w, &d, &err) < 0) {
			fprintf(stderr, "child: add: %s\n", err.message);
			_exit(1);
		}
		tdoc_free(&t);
	}
	free(body);
}

/* In a child: opens a writer, adds documents of KIND, deletes one
 * document of each segment, limits file sizes to LIMIT bytes and
 * commits.  A failure must be EIO with a message naming the file and
 * the cause.  With RETRY, lifts the limit and commits one more document
 * with the same writer.  Exits with one of the codes above, or 1. */
static void child_commit(const char *dir, rlim_t limit, int kind, int retry,
			 int tag)
{
	signal(SIGXFSZ, SIG_IGN);
	trawl_writer *w;
	trawl_error err;
	memset(&err, 0, sizeof err);
	if (trawl_writer_open(dir, NULL, &w, &err)) {
		fprintf(stderr, "child: open: %s\n", err.message);
		_exit(1);
	}
	child_adds(w, kind, tag);
	const char *pre[] = { "base", "more" };
	for (int i = 0; i < 2; i++) {
		char id[32];
		snprintf(id, sizeof id, "%s%d", pre[i], tag);
		trawl_writer_delete(w, id, strlen(id), &err);
	}
	struct rlimit rl, old;
	getrlimit(RLIMIT_FSIZE, &old);
	rl = old;
	rl.rlim_cur = limit;
	setrlimit(RLIMIT_FSIZE, &rl);
	memset(&err, 0, sizeof err);
	int rc = trawl_writer_commit(w, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	if (getenv("TRAWL_VERBOSE"))
		fprintf(stderr, "# kind %d limit %llu: %s\n", kind,
			(unsigned long long)limit, rc ? err.message : "committed");
	if (rc == TRAWL_OK)
		_exit(CHILD_COMMITTED);
	if (rc != TRAWL_EIO || !strstr(err.message, dir) ||
	    !strstr(err.message, strerror(EFBIG))) {
		fprintf(stderr, "child: commit: %d '%s'\n", rc, err.message);
		_exit(1);
	}
	if (!retry)
		_exit(fail_kind(err.message)); /* as if it died: no close */
	tdoc t = text_doc("retried", "", "common retried");
	trawl_doc d = as_doc(&t);
	if (trawl_writer_add(w, &d, &err) < 0 ||
	    trawl_writer_commit(w, &err) != TRAWL_OK) {
		fprintf(stderr, "child: commit after a failed one: %s\n",
			err.message);
		_exit(1);
	}
	trawl_writer_close(w);
	_exit(CHILD_RETRIED);
}

static int run_child(const char *dir, rlim_t limit, int kind, int retry,
		     int tag)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_commit(dir, limit, kind, retry, tag);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	int code = WEXITSTATUS(status);
	if (code != CHILD_COMMITTED && code != CHILD_RETRIED &&
	    (code < FAIL_RUN || code >= FAIL_END))
		fail_msg("child of kind %d with limit %llu exited %d", kind,
			 (unsigned long long)limit, code);
	return code;
}

static void test_failed_write_during_commit_leaves_the_last_commit(void **state)
{
	fx *f = *state;
	trawl_writer *w = wopen(f->dir);
	add_range(w, "base", 0, 60, "");
	commit(w);
	add_range(w, "more", 0, 60, "");
	commit(w);
	trawl_writer_close(w);
	/* limits from 1 byte up by a factor of 4, for each kind of
	 * documents: the failure lands in a bitmap, the manifest, the
	 * postings, the store, the per-document records ... until the
	 * commit fits */
	int seen[FAIL_END] = { 0 }, ncommitted = 0, tag = 0;
	char *before = all_ids(f->dir);
	for (int kind = 0; kind < 4; kind++) {
		rlim_t step = kind == 3 ? 2 : 4;
		if (light)
			step = kind == 0 || kind == 2 ? 16 : 4;
		for (rlim_t limit = 1; limit < ((rlim_t)1 << 21); limit *= step) {
			tag++;
			int code = run_child(f->dir, limit, kind, 0, tag);
			char *after = all_ids(f->dir);
			if (code == CHILD_COMMITTED || code == FAIL_MERGE) {
				ncommitted++;
				assert_string_not_equal(after, before);
				seen[code == FAIL_MERGE ? FAIL_MERGE : 0]++;
				free(before);
				before = after;
				if (code == CHILD_COMMITTED)
					break; /* larger limits commit too */
				continue;
			}
			seen[code]++;
			/* exactly the last commit; a new writer removes what
			 * the failed commit left and can commit */
			assert_string_equal(after, before);
			w = wopen(f->dir);
			char left[4096];
			unreferenced(f->dir, left, sizeof left);
			assert_string_equal(left, "");
			char id[32];
			snprintf(id, sizeof id, "after%d", tag);
			tdoc t = text_doc(id, "", "common after");
			wadd(w, &t);
			tdoc_free(&t);
			commit(w);
			trawl_writer_close(w);
			char *again = all_ids(f->dir);
			assert_int_equal(strlen(again), strlen(after) +
					 strlen(id) + 1);
			free(before);
			free(after);
			before = again;
		}
	}
	free(before);
	assert_int_equal(ncommitted >= 4, 1);
	static const char *const names[FAIL_END] = {
		[FAIL_POSTINGS] = "postings", [FAIL_STORE] = "store",
		[FAIL_DOCS] = "docs", [FAIL_DEL] = "bitmap",
		[FAIL_MANIFEST] = "manifest" };
	for (int k = FAIL_RUN; k < FAIL_END; k++)
		if (names[k] && !seen[k])
			fail_msg("no commit failed writing the %s", names[k]);

	/* the writer whose commit failed can commit again */
	int retried = 0;
	for (rlim_t limit = 1; limit < 4096; limit *= light ? 8 : 4) {
		tag++;
		char *ids0 = all_ids(f->dir);
		int code = run_child(f->dir, limit, tag % 3, 1, tag);
		char *ids1 = all_ids(f->dir);
		if (code == CHILD_RETRIED) {
			retried++;
			assert_non_null(strstr(ids1, "retried "));
			assert_int_equal(strlen(ids1), strlen(ids0) + 8);
			w = wopen(f->dir);
			wdel(w, "retried");
			commit(w);
			trawl_writer_close(w);
		}
		free(ids0);
		free(ids1);
	}
	assert_true(retried >= 3);
	trawl_index *ix = ropen(f->dir);
	check_ok(ix);
	trawl_index_close(ix);
}

/* ---- fsync failing in the middle of a commit or merge ------------------- */

/* Linked with -Wl,--wrap=fsync: the fsync_fail_at-th call fails. */
int __real_fsync(int fd);
static int fsync_fail_at, fsync_calls;

int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
	if (fsync_fail_at && ++fsync_calls == fsync_fail_at) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

/* Fails the Nth fsync of a commit (or, with MERGE, of a full merge) for
 * N = 1, 2, ... until one goes through.  Every failure is EIO and leaves
 * the index at the old state or -- when only the directory's fsync after
 * the manifest's rename failed -- the new one; check passes; and the same
 * writer goes on to commit more. */
static void fail_each_fsync(fx *f, int merge_too)
{
	trawl_writer *w = wopen(f->dir);
	add_range(w, "base", 0, 40, "");
	commit(w);
	add_range(w, "more", 0, 40, "");
	commit(w);
	int n = 0, n_new = 0;
	for (;; n++) {
		char *old = all_ids(f->dir);
		char tag[32];
		snprintf(tag, sizeof tag, "f%d-", n);
		add_range(w, tag, 0, 20, "");
		char id[32];
		snprintf(id, sizeof id, "base%d", n);
		wdel(w, id);
		trawl_error err;
		memset(&err, 0, sizeof err);
		fsync_calls = 0;
		fsync_fail_at = n + 1;
		int rc = merge_too ? trawl_writer_merge(w, 1, &err)
				   : trawl_writer_commit(w, &err);
		fsync_fail_at = 0;
		char *now = all_ids(f->dir);
		if (rc == TRAWL_OK) {
			assert_string_not_equal(now, old);
			free(old);
			free(now);
			break;
		}
		assert_int_equal(rc, TRAWL_EIO);
		assert_non_null(strstr(err.message, "fsync") ||
				strstr(err.message, "write failed") ?
				err.message : NULL);
		if (strcmp(now, old)) {
			/* committed: the new documents are all there */
			n_new++;
			char want[64];
			snprintf(want, sizeof want, "%s19 ", tag);
			assert_non_null(strstr(now, want));
		}
		/* the same writer commits again, from the state on disk */
		snprintf(id, sizeof id, "again%d", n);
		tdoc t = text_doc(id, "", "common again");
		wadd(w, &t);
		tdoc_free(&t);
		commit(w);
		char *after = all_ids(f->dir);
		assert_int_equal(strlen(after), strlen(now) + strlen(id) + 1);
		free(after);
		free(old);
		free(now);
		char left[4096];
		unreferenced(f->dir, left, sizeof left);
		assert_string_equal(left, "");
	}
	assert_true(n >= 4);
	assert_true(n_new >= 1); /* the fsync after the rename failed once */
	trawl_writer_close(w);
	trawl_index *ix = ropen(f->dir);
	check_ok(ix);
	trawl_index_close(ix);
}

static void test_failed_fsync_during_commit_keeps_the_writer_consistent(void **state)
{
	fail_each_fsync(*state, 0);
}

static void test_failed_fsync_during_merge_keeps_the_writer_consistent(void **state)
{
	fail_each_fsync(*state, 1);
}

static int group_setup(void **state)
{
	(void)state;
	const char *s = getenv("TRAWL_SEED");
	seed = s && *s ? strtoull(s, NULL, 10)
		       : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	fprintf(stderr, "# test_writer: TRAWL_SEED=%llu\n",
		(unsigned long long)seed);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return 0;
}

/* Whether segment SEG of DIR lists word pairs in its meta. */
static int seg_has_pairs(const char *dir, const char *seg)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof p, "%s/%s/meta", dir, seg);
	FILE *fp = fopen(p, "rb");
	assert_non_null(fp);
	char b[4096];
	size_t n = fread(b, 1, sizeof b, fp);
	fclose(fp);
	return memmem(b, n, "\npairs=", 7) != NULL;
}

/* Q's top hits (docno and score) in A and B are the same. */
static void assert_same_top(trawl_index *a, trawl_index *b, const char *q)
{
	trawl_hits *h[2];
	trawl_index *ix[2] = { a, b };
	for (int k = 0; k < 2; k++) {
		trawl_query *tq;
		trawl_error err;
		if (trawl_query_parse(ix[k], q, &tq, &err))
			fail_msg("parse '%s': %s", q, err.message);
		trawl_search_opts o;
		trawl_search_opts_init(&o);
		o.n = 20;
		assert_int_equal(trawl_search(ix[k], tq, &o, &h[k], &err), TRAWL_OK);
		trawl_query_free(tq);
	}
	assert_int_equal(trawl_hits_total(h[0]), trawl_hits_total(h[1]));
	assert_int_equal(trawl_hits_count(h[0]), trawl_hits_count(h[1]));
	for (size_t i = 0; i < trawl_hits_count(h[0]); i++) {
		const trawl_hit *x = trawl_hits_get(h[0], i), *y = trawl_hits_get(h[1], i);
		if (x->docno != y->docno || x->score != y->score)
			fail_msg("'%s' hit %zu: doc %u score %.17g, want doc %u "
				 "score %.17g", q, i, x->docno, x->score, y->docno,
				 y->score);
	}
	trawl_hits_free(h[0]);
	trawl_hits_free(h[1]);
}

/* An index with a segment from before word pairs (no "pairs" in its
 * meta: phrases read the words) and one with them (phrases read the
 * pairs) answers every phrase as a build without pairs does, with the
 * same scores; so does the segment a merge makes of both (with pairs). */
static void test_segments_with_and_without_pairs_agree(void **state)
{
	fx *f = *state;
	static const char *const text[][2] = {
		{ "One of the best", "it is one of the oil ports of the year" },
		{ "The state of the union", "in the first quarter of the year, "
		  "the of the the of the" },
		{ "Of the people", "one of a kind; and the for the to the in the "
		  "on the oil of the a a" },
		{ "one of", "the end: one of, the end. The oil of the port" },
		{ "Nothing here", "oil prices rose in March" },
	};
	static const char *const queries[] = {
		"\"one of the\"", "\"of the\"", "\"the of the\"",
		"title:\"of the\"", "\"in the first quarter\"",
		"\"of the\" NEAR/3 oil", "oil ADJ/2 \"of the\"",
		"\"the for the to the\"", "\"a a\"", "\"on the oil\"",
		"\"the the\"", "\"one of\" the", "\"of the\" OR \"in the\"",
		"\"of the\" -year", "\"the oil of the port\"",
	};
	model m;
	memset(&m, 0, sizeof m);
	size_t nt = sizeof text / sizeof *text;
	trawl_writer *w = wopen(f->dir);
	for (size_t i = 0; i < nt; i++) {
		char id[16];
		snprintf(id, sizeof id, "d%zu", i);
		/* the first two documents as a build before pairs made them */
		tr_build_pairs = i >= 2;
		tdoc t = text_doc(id, text[i][0], text[i][1]);
		wadd(w, &t);
		model_put(&m, t);
		if (i == 1 || i == nt - 1)
			commit(w);
	}
	tr_build_pairs = 0;
	build_ref(f->ref, &m); /* no pairs at all */
	tr_build_pairs = 1;
	assert_false(seg_has_pairs(f->dir, "seg-00000001"));
	assert_true(seg_has_pairs(f->dir, "seg-00000002"));
	assert_false(seg_has_pairs(f->ref, "seg-00000001"));
	trawl_index *ref = ropen(f->ref);
	for (int round = 0; round < 2; round++) {
		trawl_index *ix = ropen(f->dir);
		check_ok(ix);
		assert_int_equal(stats(ix).segments, round ? 1 : 2);
		for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
			idlist got = match_ids(ix, queries[q]);
			idlist want = match_ids(ref, queries[q]);
			assert_same_ids(&got, &want, queries[q]);
			idlist_free(&got);
			idlist_free(&want);
			assert_same_top(ix, ref, queries[q]);
		}
		/* the pairs are there to be read, and are right */
		assert_int_equal(count(ix, "\"one of the\""), 2);
		assert_int_equal(count(ix, "\"the of the\""), 1);
		trawl_index_close(ix);
		if (!round) {
			merge(w, 1);
			assert_true(seg_has_pairs(f->dir, "seg-00000003"));
		}
	}
	trawl_index_close(ref);
	trawl_writer_close(w);
	model_free(&m);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_add_replace_delete_commit),
	T(test_stored_documents_from_segments_in_turn),
		T(test_writer_creates_a_missing_index_with_its_language),
		T(test_writer_refuses_a_directory_that_is_not_an_index),
		T(test_reader_keeps_its_snapshot_through_commit_and_merge),
		T(test_uncommitted_changes_are_invisible_and_close_discards),
		T(test_deleted_documents_never_match_nor_count),
		T(test_second_writer_is_elocked_naming_the_lock),
		T(test_stats_count_segments_live_and_deleted),
		T(test_merge_to_one_segment_drops_deleted_and_keeps_results),
		T(test_merge_to_two_segments_drops_deleted_everywhere),
		T(test_merge_policy_keeps_segment_count_logarithmic),
		T(test_segments_with_and_without_pairs_agree),
		T(test_random_updates_match_a_fresh_build),
		T(test_failed_write_during_commit_leaves_the_last_commit),
		T(test_failed_fsync_during_commit_keeps_the_writer_consistent),
		T(test_failed_fsync_during_merge_keeps_the_writer_consistent),
	};
#undef T
	/* TRAWL_TEST=pattern runs the matching tests only */
	if (getenv("TRAWL_TEST"))
		cmocka_set_test_filter(getenv("TRAWL_TEST"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
