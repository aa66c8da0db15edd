/*
 * builder.c -- trawl_builder: documents in, an index directory out.
 *
 * add(): analyse title and body, intern terms in the memindex, store the
 * document, keep its 16-byte record in memory; past the memory budget
 * the memindex spills a sorted run.  finish(): merge the runs and what
 * the memindex still holds into terms/postings/positions, write docs and
 * meta, fsync, and move the temporary directory into place (atomically
 * exchanging it with an index being replaced).  Until then nothing exists at the target;
 * free() without finish() removes every temporary file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "analyze.h"
#include "buf.h"
#include "cfile.h"
#include "docstore.h"
#include "error.h"
#include "tlimits.h"
#include "memindex.h"
#include "builder.h"
#include "keysort.h"
#include "manifest.h"
#include "merge.h"
#include "postings.h"
#include "segment.h"

/* Word pairs: every two adjacent occurrences of these words in a field
 * are also indexed as one term (memindex.h), so that a phrase with
 * "of the" in it reads the pair's positions, not those of "of" and
 * "the", which are in nearly every document dozens of times.  The
 * commonest words of English news (a few % more index for a phrase like
 * "one of the" 3x as fast); the meta lists them for the reader. */
static const char *const english_pairs[] = { "the", "of", "to", "a",
					     "in", "and", "on", "for" };

static int english(const char *language)
{
	return !strcmp(language, "english") || !strcmp(language, "en") ||
	       !strcmp(language, "eng");
}

int tr_build_pairs = 1;

/* LANGUAGE's pair words into *WORDS; returns how many (0: none). */
static size_t pair_words(const char *language, const char *const **words)
{
	int on = tr_build_pairs && english(language);
	*words = on ? english_pairs : NULL;
	return on ? sizeof english_pairs / sizeof *english_pairs : 0;
}

typedef struct idslot {
	uint32_t hash;
	uint32_t docno;
	uint64_t off; /* into ids arena: varint len | bytes */
} idslot;

/* Documents are dealt to NLANES lanes, LANE_CHUNK at a time.  A lane
 * analyses its documents and adds them to a memindex of its own, which
 * spills runs of its own; the final merge interleaves the lanes' postings
 * by document.  With a second core each lane runs on a thread of its own,
 * and nothing crosses between threads but the documents' text (handing
 * each token from an analysing thread to an indexing thread cost about a
 * tenth more instructions, and two independent builds of half the
 * collections each ran 1.15x as fast as such a two-thread build of all).
 * A one-thread build has one lane.  The runs differ with the lanes, the
 * index does not: the merge puts every term's postings in document order
 * and cuts the files where choose_cut() says, which only counts
 * documents by term, so the files are the same byte for byte whatever
 * the number of threads. */
#define NLANES 2
#define LANE_CHUNK 32

/* Lanes only where each gets this much of the budget: a lane's memindex
 * holds its own term table and pages (1 MiB each below a 64M budget),
 * which under a small budget would leave a lane room for a document or
 * two a run. */
size_t tr_lane_min_budget = (size_t)32 << 20;

/* A document on its way to a lane's thread, in one allocation, freed by
 * the caller once the lane is done with it (see lane.done).  Kept for
 * reuse instead, the buffers of a queue's worth of jobs each grew to the
 * longest document it had held: 90 MB in all. */
typedef struct djob {
	struct djob *next;
	uint32_t docno;
	size_t room;      /* the lane's postings room at this document */
	size_t title_len, body_len, id_len;
	size_t bytes;     /* counted in the lane's queue */
	char text[];      /* title, body, id */
} djob;

typedef struct lane {
	trawl_builder *b;
	unsigned index;
	trawl_analyzer *an;
	memindex *mi;
	uint32_t mi_epoch; /* changes when a spill empties mi: its term ids
			      are kept in the stem cache (an_token_memo) */
	uint32_t *tids, *tpos; /* the document's tokens */
	size_t ntok, tok_cap;
	uint32_t field_bit;
	buf lens;          /* title and body lengths (u32), a document */
	char **runs;       /* spilled, in docno order */
	size_t nruns;
	uint64_t *weights; /* mi_weigh() of every run, for the merge's cut */
	/* with threads: the queue the caller fills */
	int running;
	pthread_t thread;
	int sync_ready;    /* mu, work and room initialised */
	pthread_mutex_t mu;
	pthread_cond_t work, room; /* the thread waits for work, the caller
				      for room */
	djob *head, *tail;
	djob *done;        /* atomic: indexed, for the caller to free (a
			      free() here contended with its malloc()s for
			      glibc's arena: 50,000 futex calls a build) */
	int idle;          /* the thread waits for work */
	int caller_waits;  /* atomic: the caller waits for room */
	size_t queued;     /* atomic: bytes queued or being indexed */
	int stop;
	int rc;            /* atomic: the thread's sticky error */
	trawl_error err;
} lane;

struct trawl_builder {
	char *dir;      /* target */
	char *tmp;      /* temporary directory beside it (holds the lock) */
	char *seg;      /* where the segment's files go: tmp/seg-00000001 for
			   a whole index, tmp itself for a writer's segment */
	int segment_only; /* a writer's segment: no manifest, plain rename */
	int force;
	size_t budget;
	char language[32];
	const char *const *pair_words; /* indexed in pairs (memindex.h) */
	size_t npair_words;
	lane lanes[NLANES];
	unsigned nlanes;   /* 1, or NLANES with threads */
	cfw store_w;
	ds_writer ds;
	buf docs;       /* 16-byte records */
	buf dead;       /* bitmap of replaced docnos */
	uint32_t ndocs, ndead;
	buf ids;        /* id arena */
	idslot *idtab;
	size_t idcap, nids;
	size_t run_serial; /* names of runs merged into bigger ones */
	/* the final merge cuts the postings and positions in two where
	 * the terms' documents are about halved (choose_cut); with two or
	 * more threads a second thread merges the second part */
	int split_merge;
	int lock_fd;    /* flock on tmp/lock: marks the build as alive */
	int failed;
	int threaded;   /* the lanes run on threads of their own */
	size_t queue_max; /* bytes a lane's queue may hold */
	int finished;
	uint64_t input_bytes;
	trawl_error *cb_err;
};

void trawl_build_opts_init(trawl_build_opts *o)
{
	o->language = "english";
	o->memory_budget = (size_t)256 << 20;
	o->force = 0;
	o->threads = 0;
}

uint32_t seg_parse_date(const char *s, size_t n)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	unsigned v[3] = { 0, 0, 0 };
	const int at[3] = { 0, 5, 8 }, len[3] = { 4, 2, 2 };
	for (int f = 0; f < 3; f++)
		for (int i = 0; i < len[f]; i++) {
			char c = s[at[f] + i];
			if (c < '0' || c > '9')
				return 0;
			v[f] = v[f] * 10 + (unsigned)(c - '0');
		}
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30,
					    31, 31, 30, 31, 30, 31 };
	if (v[0] == 0 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > mdays[v[1] - 1])
		return 0;
	int leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
	if (v[1] == 2 && v[2] == 29 && !leap)
		return 0;
	return v[0] * 10000 + v[1] * 100 + v[2];
}

static void remove_stale(const char *dir, size_t n);
static void mark_dead(trawl_builder *b, uint32_t docno);
static void start_lanes(trawl_builder *b);

/* An existing directory we may replace: an index, or empty. */
static int replaceable(const char *dir)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/MANIFEST", dir);
	if (access(p, F_OK) == 0)
		return 1;
	snprintf(p, sizeof p, "%s/meta", dir);
	if (access(p, F_OK) == 0)
		return 1;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	return empty;
}

int trawl_builder_new(const char *dir, const trawl_build_opts *o,
		      trawl_builder **out, trawl_error *err)
{
	return builder_create(dir, o, 0, out, err);
}

int builder_create(const char *dir, const trawl_build_opts *o,
		   int segment_only, trawl_builder **out, trawl_error *err)
{
	trawl_build_opts def;
	if (!o) {
		trawl_build_opts_init(&def);
		o = &def;
	}
	*out = NULL;
	if (!dir || !*dir)
		return tr_err(err, TRAWL_EINVAL, "no index directory given");
	struct stat st;
	if (!segment_only && stat(dir, &st) == 0) {
		if (!o->force)
			return tr_err(err, TRAWL_EEXIST,
				      "%s already exists (use --force to replace "
				      "it)", dir);
		if (!S_ISDIR(st.st_mode) || !replaceable(dir))
			return tr_err(err, TRAWL_EEXIST,
				      "%s exists and is not a trawl index; not "
				      "replacing it", dir);
	}
	trawl_builder *b = calloc(1, sizeof *b);
	if (!b)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	b->force = o->force;
	b->segment_only = segment_only;
	b->budget = o->memory_budget ? o->memory_budget : (size_t)256 << 20;
	if (b->budget < ((size_t)4 << 20))
		b->budget = (size_t)4 << 20;
	snprintf(b->language, sizeof b->language, "%s",
		 o->language ? o->language : "english");
	buf_init(&b->docs);
	buf_init(&b->dead);
	buf_init(&b->ids);
	b->store_w.fd = -1;
	b->lock_fd = -1;
	b->npair_words = pair_words(b->language, &b->pair_words);
	int rc = TRAWL_OK;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = o->threads > 0 ? o->threads : (ncpu > 0 ? (int)ncpu : 1);
	b->nlanes = threads > 1 && b->budget / NLANES >= tr_lane_min_budget
			    ? NLANES : 1;
	for (unsigned i = 0; i < b->nlanes; i++) {
		lane *l = &b->lanes[i];
		l->b = b;
		l->index = i;
		l->mi_epoch = 1; /* a new memo holds 0 */
		buf_init(&l->lens);
		if ((rc = trawl_analyzer_new(b->language, &l->an, err)))
			goto fail;
		l->weights = calloc(MI_WEIGHT_KEYS, sizeof *l->weights);
		if (!l->weights ||
		    (rc = mi_new(&l->mi, b->budget / b->nlanes)) ||
		    (rc = mi_set_pairs(l->mi, b->pair_words, b->npair_words))) {
			rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
			goto fail;
		}
	}
	b->dir = strdup(dir);
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	b->tmp = malloc(n + 32);
	if (!b->dir || !b->tmp) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto fail;
	}
	b->dir[n] = '\0';
	remove_stale(dir, n);
	snprintf(b->tmp, n + 32, "%.*s.tmp-XXXXXX", (int)n, dir);
	if (!mkdtemp(b->tmp)) {
		rc = tr_err(err, TRAWL_EIO, "cannot create %s: %s", b->tmp,
			    strerror(errno));
		free(b->tmp);
		b->tmp = NULL;
		goto fail;
	}
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/lock", b->tmp);
	b->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (b->lock_fd < 0 || flock(b->lock_fd, LOCK_EX) < 0) {
		rc = tr_err(err, TRAWL_EIO, "%s: %s", p, strerror(errno));
		goto fail;
	}
	b->seg = malloc(strlen(b->tmp) + 16);
	if (!b->seg) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto fail;
	}
	if (b->segment_only) {
		strcpy(b->seg, b->tmp);
	} else {
		sprintf(b->seg, "%s/%s", b->tmp, SEG_FIRST);
		if (mkdir(b->seg, 0777) < 0) {
			rc = tr_err(err, TRAWL_EIO, "cannot create %s: %s", b->seg,
				    strerror(errno));
			goto fail;
		}
	}
	snprintf(p, sizeof p, "%s/store", b->seg);
	if ((rc = cfw_open(&b->store_w, p, CF_STORE, err)))
		goto fail;
	dsw_init(&b->ds, &b->store_w);
	/* with a second core, store compression runs beside the lanes */
	b->split_merge = threads > 1;
	if (threads > 1) {
		/* a sixteenth of the budget (16 MiB of the default 256M)
		 * rides out the compressor's dictionary training */
		size_t blocks = b->budget / 16 / DS_BLOCK;
		/* on failure it works inline */
		dsw_start_thread(&b->ds, blocks > 128 ? 128 : (unsigned)blocks);
		start_lanes(b);
	}
	b->idcap = 1024;
	b->idtab = calloc(b->idcap, sizeof *b->idtab);
	if (!b->idtab) {
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		goto fail;
	}
	*out = b;
	return TRAWL_OK;
fail:
	trawl_builder_free(b);
	return rc;
}

/* Removes temporary directories of builds of DIR that died (killed, power
 * loss): each live build holds an flock on its tmp/lock, so a lock we can
 * take belongs to nobody. */
static void remove_stale(const char *dir, size_t n)
{
	char parent[PATH_MAX], base[PATH_MAX + 8];
	snprintf(parent, sizeof parent, "%.*s", (int)n, dir);
	char *slash = strrchr(parent, '/');
	if (slash) {
		snprintf(base, sizeof base, "%s.tmp-", slash + 1);
		if (slash == parent)
			parent[1] = '\0';
		else
			*slash = '\0';
	} else {
		snprintf(base, sizeof base, "%s.tmp-", parent);
		strcpy(parent, ".");
	}
	DIR *d = opendir(parent);
	if (!d)
		return;
	struct dirent *e;
	size_t blen = strlen(base);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, base, blen) || strlen(e->d_name) != blen + 6)
			continue;
		char p[PATH_MAX + 320];
		snprintf(p, sizeof p, "%s/%s/lock", parent, e->d_name);
		int fd = open(p, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue; /* not ours, or a build still starting */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			snprintf(p, sizeof p, "%s/%s", parent, e->d_name);
			tr_rm_tree(p);
		}
		close(fd);
	}
	closedir(d);
}

static uint32_t hash_id(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h | 1; /* 0 marks an empty slot */
}

static int id_equal(const trawl_builder *b, const idslot *s, const char *id,
		    size_t n)
{
	rd r = { b->ids.p + s->off, b->ids.p + b->ids.n };
	uint64_t len;
	const uint8_t *p;
	return rd_varint(&r, &len) == 0 && len == n &&
	       rd_bytes(&r, len, &p) == 0 && memcmp(p, id, n) == 0;
}

static int id_grow(trawl_builder *b)
{
	size_t cap = b->idcap * 2;
	idslot *t = calloc(cap, sizeof *t);
	if (!t)
		return TRAWL_ENOMEM;
	for (size_t i = 0; i < b->idcap; i++) {
		if (!b->idtab[i].hash)
			continue;
		size_t j = b->idtab[i].hash & (cap - 1);
		while (t[j].hash)
			j = (j + 1) & (cap - 1);
		t[j] = b->idtab[i];
	}
	free(b->idtab);
	b->idtab = t;
	b->idcap = cap;
	return TRAWL_OK;
}

/* Records ID for DOCNO; OUT: *old, the docno it had (UINT32_MAX if new). */
static int id_put(trawl_builder *b, const char *id, size_t n, uint32_t docno,
		  uint32_t *old)
{
	uint32_t h = hash_id(id, n);
	size_t j = h & (b->idcap - 1);
	*old = UINT32_MAX;
	while (b->idtab[j].hash) {
		if (b->idtab[j].hash == h && id_equal(b, &b->idtab[j], id, n)) {
			*old = b->idtab[j].docno; /* UINT32_MAX once deleted */
			b->idtab[j].docno = docno;
			return TRAWL_OK;
		}
		j = (j + 1) & (b->idcap - 1);
	}
	int rc = TRAWL_OK;
	uint64_t off = b->ids.n;
	buf_put_varint(&rc, &b->ids, n);
	buf_put(&rc, &b->ids, id, n);
	if (rc)
		return rc;
	b->idtab[j].hash = h;
	b->idtab[j].docno = docno;
	b->idtab[j].off = off;
	if (++b->nids * 2 > b->idcap)
		return id_grow(b);
	return TRAWL_OK;
}

static int on_token(void *ctx, const trawl_token *t)
{
	lane *l = ctx;
	if (t->position >= TR_MAX_FIELD_TOKENS)
		return TRAWL_ELIMIT;
	if (!t->term)
		return 0; /* over 64 bytes: takes its position, not indexed */
	if (l->ntok == l->tok_cap) {
		size_t cap = l->tok_cap ? l->tok_cap * 2 : 4096;
		uint32_t *a = realloc(l->tids, cap * sizeof *a);
		if (!a)
			return TRAWL_ENOMEM;
		l->tids = a;
		a = realloc(l->tpos, cap * sizeof *a);
		if (!a)
			return TRAWL_ENOMEM;
		l->tpos = a;
		l->tok_cap = cap;
	}
	/* A word seen since the last spill has its term id in the stem
	 * cache: one hash lookup per token instead of two. */
	uint32_t *memo = an_token_memo(l->an), id;
	if (memo && memo[1] == l->mi_epoch) {
		id = memo[0];
	} else {
		id = mi_intern(l->mi, t->term,
			       t->term_len > DICT_TERM_MAX ? DICT_TERM_MAX
							   : t->term_len);
		if (id == UINT32_MAX)
			return TRAWL_ENOMEM;
		if (memo) {
			memo[0] = id;
			memo[1] = l->mi_epoch;
		}
	}
	l->tids[l->ntok] = id;
	l->tpos[l->ntok] = t->position | l->field_bit;
	l->ntok++;
	return 0;
}

/* Counts a field's tokens: the last position + 1. */
typedef struct { lane *l; uint32_t count; } field_ctx;

static int on_field_token(void *ctx, const trawl_token *t)
{
	field_ctx *f = ctx;
	f->count = t->position + 1;
	return on_token(f->l, t);
}

/* Merges L's runs MERGE_FANIN at a time into bigger runs until at most
 * MAX remain, so the final merge keeps few files open and few buffers in
 * memory whatever the corpus size. */
static int reduce_runs(lane *l, size_t max, trawl_error *err)
{
	trawl_builder *b = l->b;
	while (l->nruns > max) {
		size_t k = l->nruns - max + 1;
		if (k > MERGE_FANIN)
			k = MERGE_FANIN;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/run-merged-%06zu", b->tmp,
			 b->run_serial++);
		size_t per_run = b->budget / 4 / k;
		if (per_run > ((size_t)1 << 20))
			per_run = (size_t)1 << 20;
		int rc = merge_runs_to_run(l->runs, k, p, per_run, err);
		if (rc)
			return rc;
		char *path = strdup(p);
		if (!path)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		for (size_t i = 0; i < k; i++) {
			unlink(l->runs[i]);
			free(l->runs[i]);
		}
		/* the merged run holds the oldest documents: it goes first */
		memmove(l->runs + 1, l->runs + k, (l->nruns - k) * sizeof *l->runs);
		l->runs[0] = path;
		l->nruns -= k - 1;
	}
	return TRAWL_OK;
}

static int spill(lane *l, trawl_error *err)
{
	if (mi_ndocs(l->mi) == 0)
		return TRAWL_OK;
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/run-%u-%06zu", l->b->tmp, l->index, l->nruns);
	char **r = realloc(l->runs, (l->nruns + 1) * sizeof *r);
	if (!r)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	l->runs = r;
	l->runs[l->nruns] = strdup(p);
	if (!l->runs[l->nruns])
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	l->nruns++;
	mi_weigh(l->mi, l->weights);
	int rc = mi_spill(l->mi, p, err);
	/* whatever happened, the term ids are gone (0 is a new memo) */
	if (++l->mi_epoch == 0)
		l->mi_epoch = 1;
	return rc;
}

/* Sorts the documents L added since its last spill for the final merge,
 * which reads them from memory: writing them out as one more run only
 * to read them back cost 0.3-0.4 s of a 10 s build that never spilled. */
static int sort_last_run(lane *l, trawl_error *err)
{
	if (mi_ndocs(l->mi) == 0)
		return TRAWL_OK;
	mi_weigh(l->mi, l->weights);
	return mi_sort(l->mi, err);
}

/* Where the final merge cuts the terms in two: the start of the first
 * two-byte prefix at or past which about half of the terms' documents
 * lie (their counts by prefix add up the same however the documents
 * were dealt to lanes and runs, so the cut, and the files, are the same
 * whatever the number of threads).  OUT: the cut (1 or 2 bytes); 0 when
 * one side would be empty. */
static size_t choose_cut(const trawl_builder *b, char out[3])
{
	uint64_t total = 0;
	for (unsigned i = 0; i < b->nlanes; i++)
		for (uint32_t k = 0; k < MI_WEIGHT_KEYS; k++)
			total += b->lanes[i].weights[k];
	uint64_t below = 0;
	uint32_t first = MI_WEIGHT_KEYS, last = 0, cut = MI_WEIGHT_KEYS;
	for (uint32_t k = 0; k < MI_WEIGHT_KEYS; k++) {
		uint64_t w = 0;
		for (unsigned i = 0; i < b->nlanes; i++)
			w += b->lanes[i].weights[k];
		if (!w)
			continue;
		if (first == MI_WEIGHT_KEYS)
			first = k;
		last = k;
		/* cut before k, or after it if that is nearer half */
		if (cut == MI_WEIGHT_KEYS && 2 * (below + w) >= total)
			cut = 2 * below + w >= total ? k : k + 1;
		below += w;
	}
	if (cut <= first || cut > last)
		return 0;
	out[0] = (char)(cut >> 8);
	out[1] = (char)(cut & 0xff);
	out[2] = '\0';
	return out[1] ? 2 : 1;
}

/* The lane document DOCNO is dealt to. */
static lane *lane_of(trawl_builder *b, uint32_t docno)
{
	return &b->lanes[(docno / LANE_CHUNK) % b->nlanes];
}

/* Memory the builder holds besides the lanes' postings, as the caller
 * sees it document by document, the same whatever the number of threads
 * (so that the lanes spill where they would with one): the lanes' token
 * arrays, the queues and the compressor's queue are left to the margin
 * over the budget that the README gives. */
static size_t fixed_bytes(const trawl_builder *b)
{
	return b->docs.cap + b->dead.cap + b->ids.cap +
	       b->idcap * sizeof(idslot) + (size_t)b->ndocs * 8 +
	       2 * (size_t)DS_BLOCK;
}

/* Room a lane's memindex may fill before a spill.  The per-document
 * tables (fixed) grow with every document and no spill frees them: the
 * postings keep at least half the budget, or past some number of
 * documents every add would spill a run (and the merge would need a file
 * per document). */
static size_t postings_room(const trawl_builder *b, size_t fixed)
{
	size_t room = fixed < b->budget / 2 ? b->budget - fixed : b->budget / 2;
	return room / b->nlanes;
}

/* Analyses a document into lane L's memindex: title, body (lengths
 * into L's lens), spilling past ROOM. */
static int lane_add(lane *l, uint32_t docno, const char *title,
		    size_t title_len, const char *body, size_t body_len,
		    const char *id, size_t id_len, size_t room,
		    trawl_error *err)
{
	l->ntok = 0;
	field_ctx fc = { l, 0 };
	l->field_bit = 0;
	int rc = trawl_analyze(l->an, title, title_len, on_field_token, &fc);
	uint32_t lens[2] = { fc.count, 0 };
	fc.count = 0;
	l->field_bit = POS_BODY;
	if (!rc)
		rc = trawl_analyze(l->an, body, body_len, on_field_token, &fc);
	lens[1] = fc.count;
	if (rc)
		return tr_err(err, rc, "analysing document %.*s: %s",
			      (int)(id_len > 200 ? 200 : id_len), id,
			      trawl_errstr(rc));
	buf_put(&rc, &l->lens, lens, sizeof lens);
	if (!rc)
		rc = mi_add_doc(l->mi, docno, l->tids, l->tpos, l->ntok);
	if (rc)
		return tr_err(err, rc, "out of memory");
	if (mi_bytes(l->mi) >= room)
		return spill(l, err);
	return TRAWL_OK;
}

/* A lane's thread: takes the whole queue at a time (a lock a batch, not
 * a document), and hands back each document's bytes as it is done. */
static void *lane_thread(void *arg)
{
	lane *l = arg;
	for (;;) {
		pthread_mutex_lock(&l->mu);
		while (!l->head && !l->stop) {
			l->idle = 1;
			pthread_cond_wait(&l->work, &l->mu);
			l->idle = 0;
		}
		djob *j = l->head;
		l->head = l->tail = NULL;
		pthread_mutex_unlock(&l->mu);
		if (!j)
			break;
		while (j) {
			djob *next = j->next;
			trawl_error e;
			int rc = TRAWL_OK;
			if (!__atomic_load_n(&l->rc, __ATOMIC_RELAXED)) {
				const char *t = j->text;
				rc = lane_add(l, j->docno, t, j->title_len,
					      t + j->title_len, j->body_len,
					      t + j->title_len + j->body_len,
					      j->id_len, j->room, &e);
			}
			size_t bytes = j->bytes;
			djob *old = __atomic_load_n(&l->done, __ATOMIC_RELAXED);
			do
				j->next = old;
			while (!__atomic_compare_exchange_n(&l->done, &old, j, 1,
							    __ATOMIC_RELEASE,
							    __ATOMIC_RELAXED));
			j = next;
			if (rc) {
				pthread_mutex_lock(&l->mu);
				l->err = e;
				__atomic_store_n(&l->rc, rc, __ATOMIC_SEQ_CST);
				pthread_cond_signal(&l->room);
				pthread_mutex_unlock(&l->mu);
			}
			/* the caller, if it waits for room, reads queued
			 * after raising its flag: one of the two sees the
			 * other's write.  It waits for half the queue, so
			 * that it is woken once in a while, not for every
			 * document (100,000 futex calls a build). */
			size_t q = __atomic_sub_fetch(&l->queued, bytes,
						      __ATOMIC_SEQ_CST);
			if (2 * q <= l->b->queue_max &&
			    __atomic_load_n(&l->caller_waits, __ATOMIC_SEQ_CST)) {
				pthread_mutex_lock(&l->mu);
				pthread_cond_signal(&l->room);
				pthread_mutex_unlock(&l->mu);
			}
		}
	}
	return NULL;
}

static void lane_sync_free(lane *l)
{
	if (!l->sync_ready)
		return;
	pthread_cond_destroy(&l->room);
	pthread_cond_destroy(&l->work);
	pthread_mutex_destroy(&l->mu);
	l->sync_ready = 0;
}

static int lane_sync_init(lane *l)
{
	if (pthread_mutex_init(&l->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&l->work, NULL) != 0) {
		pthread_mutex_destroy(&l->mu);
		return -1;
	}
	if (pthread_cond_init(&l->room, NULL) != 0) {
		pthread_cond_destroy(&l->work);
		pthread_mutex_destroy(&l->mu);
		return -1;
	}
	l->sync_ready = 1;
	return 0;
}

/* Tells L's thread to end once its queue is done, and waits for it. */
static void lane_join(lane *l)
{
	pthread_mutex_lock(&l->mu);
	l->stop = 1;
	pthread_cond_signal(&l->work);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->thread, NULL);
	l->running = 0;
}

static void free_jobs(djob *j);

/* Starts a thread a lane; with none (or one), the lanes run inline. */
static void start_lanes(trawl_builder *b)
{
	/* a 32nd of the budget for each lane's waiting documents (8 MiB of
	 * the default 256M): deep enough that a lane busy with a long
	 * document keeps the other one fed */
	b->queue_max = b->budget / 32;
	unsigned started = 0;
	for (unsigned i = 0; i < b->nlanes; i++) {
		lane *l = &b->lanes[i];
		if (lane_sync_init(l) ||
		    pthread_create(&l->thread, NULL, lane_thread, l) != 0)
			break;
		l->running = 1;
		started++;
	}
	if (started == b->nlanes) {
		b->threaded = 1;
		return;
	}
	/* not all: stop those that started, and run inline */
	for (unsigned i = 0; i < b->nlanes; i++) {
		if (b->lanes[i].running)
			lane_join(&b->lanes[i]);
		b->lanes[i].stop = 0;
	}
}

/* Waits for the lanes' threads to finish their queues and end; returns
 * the first error (message in ERR). */
static int stop_lanes(trawl_builder *b, trawl_error *err)
{
	if (!b->threaded)
		return TRAWL_OK;
	int rc = TRAWL_OK;
	for (unsigned i = 0; i < b->nlanes; i++) {
		lane *l = &b->lanes[i];
		lane_join(l);
		free_jobs(l->done); /* before the merge needs the memory */
		l->done = NULL;
		if (l->rc && !rc) {
			rc = l->rc;
			if (err)
				*err = l->err;
		}
	}
	b->threaded = 0;
	return rc;
}

/* The first error of a lane's thread, if any (message in ERR). */
static int lane_failed(trawl_builder *b, trawl_error *err)
{
	for (unsigned i = 0; i < b->nlanes; i++) {
		lane *l = &b->lanes[i];
		if (__atomic_load_n(&l->rc, __ATOMIC_SEQ_CST)) {
			pthread_mutex_lock(&l->mu);
			int rc = l->rc;
			if (err)
				*err = l->err;
			pthread_mutex_unlock(&l->mu);
			return rc;
		}
	}
	return TRAWL_OK;
}

static void free_jobs(djob *j)
{
	while (j) {
		djob *n = j->next;
		free(j);
		j = n;
	}
}

/* Queues document D (number DOCNO) for lane L's thread, waiting while
 * its queue is full. */
static int lane_push(trawl_builder *b, lane *l, uint32_t docno,
		     const trawl_doc *d, size_t room, trawl_error *err)
{
	size_t tl = d->title ? d->title_len : 0, bl = d->body ? d->body_len : 0;
	size_t bytes = tl + bl + d->id_len + sizeof(djob);
	size_t q = __atomic_load_n(&l->queued, __ATOMIC_SEQ_CST);
	if (q && q + bytes > b->queue_max) {
		pthread_mutex_lock(&l->mu);
		pthread_cond_signal(&l->work); /* it may wait for a chunk's end */
		__atomic_store_n(&l->caller_waits, 1, __ATOMIC_SEQ_CST);
		for (;;) {
			q = __atomic_load_n(&l->queued, __ATOMIC_SEQ_CST);
			if (2 * q <= b->queue_max || l->rc)
				break;
			pthread_cond_wait(&l->room, &l->mu);
		}
		__atomic_store_n(&l->caller_waits, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&l->mu);
	}
	free_jobs(__atomic_exchange_n(&l->done, NULL, __ATOMIC_ACQUIRE));
	djob *j = malloc(sizeof *j + tl + bl + d->id_len);
	if (!j)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	if (tl)
		memcpy(j->text, d->title, tl);
	if (bl)
		memcpy(j->text + tl, d->body, bl);
	memcpy(j->text + tl + bl, d->id, d->id_len);
	j->next = NULL;
	j->docno = docno;
	j->room = room;
	j->title_len = tl;
	j->body_len = bl;
	j->id_len = d->id_len;
	j->bytes = bytes;
	__atomic_add_fetch(&l->queued, bytes, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&l->mu);
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	/* woken a chunk at a time, not a document at a time */
	if (l->idle && (docno + 1) % LANE_CHUNK == 0)
		pthread_cond_signal(&l->work);
	pthread_mutex_unlock(&l->mu);
	return TRAWL_OK;
}

int trawl_builder_add(trawl_builder *b, const trawl_doc *d, trawl_error *err)
{
	if (b->failed || b->finished)
		return tr_err(err, TRAWL_EINVAL,
			      "builder cannot take documents any more");
	if (!d->id || d->id_len == 0)
		return tr_err(err, TRAWL_EINPUT, "document has no id");
	if (d->id_len > 65535)
		return tr_err(err, TRAWL_EINPUT, "document id longer than 65535 bytes");
	/* the limit of a JSON line, whatever the way in: a stored block
	 * holds whole documents, and a reader takes one past DS_MAX_RAW
	 * for damage */
	uint64_t bytes = (uint64_t)d->id_len + d->title_len + d->body_len +
			 d->date_len + d->source_len;
	if (bytes > TR_MAX_DOC_BYTES)
		return tr_err(err, TRAWL_EINPUT,
			      "document %.*s: %llu bytes, more than the %u MiB "
			      "a document may have",
			      (int)(d->id_len > 200 ? 200 : d->id_len), d->id,
			      (unsigned long long)bytes, TR_MAX_DOC_BYTES >> 20);
	uint32_t date = 0;
	if (d->date && d->date_len) {
		date = seg_parse_date(d->date, d->date_len);
		if (!date)
			return tr_err(err, TRAWL_EINPUT,
				      "document %.*s: date \"%.*s\" is not "
				      "YYYY-MM-DD", (int)(d->id_len > 200 ? 200 : d->id_len),
				      d->id, (int)(d->date_len > 40 ? 40 : d->date_len),
				      d->date);
	}
	if (b->ndocs >= TR_MAX_DOCS)
		return tr_err(err, TRAWL_ELIMIT, "too many documents");
	int rc;
	if (b->threaded && (rc = lane_failed(b, err))) {
		b->failed = 1;
		return rc;
	}
	uint32_t docno = b->ndocs;
	lane *l = lane_of(b, docno);
	size_t room = postings_room(b, fixed_bytes(b));
	if (b->threaded)
		rc = lane_push(b, l, docno, d, room, err);
	else
		rc = lane_add(l, docno, d->title ? d->title : "",
			      d->title ? d->title_len : 0,
			      d->body ? d->body : "", d->body ? d->body_len : 0,
			      d->id, d->id_len, room, err);
	if (rc) {
		b->failed = 1;
		return rc;
	}
	uint32_t old;
	if ((rc = id_put(b, d->id, d->id_len, docno, &old))) {
		b->failed = 1;
		return tr_err(err, rc, "out of memory");
	}
	uint32_t block = 0;
	dsw_add(&rc, &b->ds, docno, d, &block);
	/* the lengths come from the lane at finish() */
	uint8_t rec[DOCREC_SIZE];
	uint32_t v[4] = { 0, 0, date, block };
	for (int i = 0; i < 4; i++)
		for (int k = 0; k < 4; k++)
			rec[4 * i + k] = (uint8_t)(v[i] >> (8 * k));
	buf_put(&rc, &b->docs, rec, sizeof rec);
	if ((docno & 7) == 0)
		buf_putc(&rc, &b->dead, 0);
	if (rc) {
		b->failed = 1;
		return tr_err(err, rc, "storing document: %s%s",
			      trawl_errstr(rc),
			      rc == TRAWL_EIO ? " (disk full?)" : "");
	}
	b->ndocs++;
	b->input_bytes += (d->title ? d->title_len : 0) + (d->body ? d->body_len : 0);
	if (old != UINT32_MAX) {
		mark_dead(b, old);
		return 1;
	}
	return 0;
}

/* Writes the lanes' title and body lengths into the documents' records,
 * dealt as add() dealt the documents. */
static int fill_lengths(trawl_builder *b, trawl_error *err)
{
	size_t at[NLANES] = { 0 };
	for (uint32_t d = 0; d < b->ndocs; d++) {
		lane *l = lane_of(b, d);
		size_t i = at[l->index]++;
		if ((i + 1) * 8 > l->lens.n)
			return tr_err(err, TRAWL_EINVAL,
				      "internal: a lane lost documents");
		uint32_t v[2];
		memcpy(v, l->lens.p + i * 8, 8);
		uint8_t *r = b->docs.p + (size_t)d * DOCREC_SIZE;
		for (int f = 0; f < 2; f++)
			for (int k = 0; k < 4; k++)
				r[4 * f + k] = (uint8_t)(v[f] >> (8 * k));
	}
	return TRAWL_OK;
}

static int write_docs(trawl_builder *b, trawl_error *err)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/docs", b->seg);
	cfw w;
	int rc = cfw_open(&w, p, CF_DOCS, err);
	if (rc)
		return rc;
	cfw_write(&rc, &w, b->docs.p, b->docs.n);
	if (rc) {
		cfw_abort(&w);
		return tr_err(err, rc, "%s: write failed", p);
	}
	return cfw_close(&w, err);
}

uint64_t seg_id_hash(const char *id, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)id[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

static int cmp_docno(const void *a, const void *b, void *ctx)
{
	(void)ctx;
	uint32_t x = ((const keyed *)a)->val, y = ((const keyed *)b)->val;
	return (x > y) - (x < y);
}

/* Writes the "ids" file: every live document's id hash and docno, by
 * hash, then docno. */
static int write_ids(trawl_builder *b, trawl_error *err)
{
	size_t n = 0, cap = b->nids ? b->nids : 1;
	keyed *recs = malloc(cap * sizeof *recs);
	keyed *tmp = malloc(cap * sizeof *tmp);
	uint8_t *out = malloc(cap * IDREC_SIZE);
	if (!recs || !tmp || !out) {
		free(recs);
		free(tmp);
		free(out);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < b->idcap; i++) {
		if (!b->idtab[i].hash || b->idtab[i].docno == UINT32_MAX)
			continue;
		rd r = { b->ids.p + b->idtab[i].off, b->ids.p + b->ids.n };
		uint64_t len;
		const uint8_t *id;
		if (rd_varint(&r, &len) || rd_bytes(&r, len, &id))
			continue;
		recs[n].key = seg_id_hash((const char *)id, len);
		recs[n].val = b->idtab[i].docno;
		n++;
	}
	/* ids whose hashes collide: by docno, the file's order */
	keysort_ties(recs, tmp, n, cmp_docno, NULL);
	for (size_t i = 0; i < n; i++) {
		uint8_t *o = out + i * IDREC_SIZE;
		for (int k = 0; k < 8; k++)
			o[k] = (uint8_t)(recs[i].key >> (8 * k));
		for (int k = 0; k < 4; k++)
			o[8 + k] = (uint8_t)(recs[i].val >> (8 * k));
	}
	free(recs);
	free(tmp);
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/ids", b->seg);
	cfw w;
	int rc = cfw_open(&w, p, CF_IDS, err);
	if (!rc) {
		cfw_write(&rc, &w, out, n * IDREC_SIZE);
		if (rc) {
			cfw_abort(&w);
			rc = tr_err(err, rc, "%s: write failed", p);
		} else {
			rc = cfw_close(&w, err);
		}
	}
	free(out);
	return rc;
}

void builder_seg_info(const trawl_builder *b, man_seg *out)
{
	memset(out, 0, sizeof *out);
	out->docs = b->ndocs;
	out->live = b->ndocs - b->ndead;
	for (uint32_t i = 0; i < b->ndocs; i++) {
		const uint8_t *r = b->docs.p + (size_t)i * DOCREC_SIZE;
		if (r[15] & 0x80)
			continue;
		out->title_tokens += get_u32le(r);
		out->body_tokens += get_u32le(r + 4);
	}
}

static void mark_dead(trawl_builder *b, uint32_t docno)
{
	b->dead.p[docno >> 3] |= (uint8_t)(1u << (docno & 7));
	b->docs.p[(size_t)docno * DOCREC_SIZE + 15] |= 0x80;
	b->ndead++;
}

int builder_delete_id(trawl_builder *b, const char *id, size_t len)
{
	uint32_t h = hash_id(id, len);
	size_t j = h & (b->idcap - 1);
	while (b->idtab[j].hash) {
		if (b->idtab[j].hash == h && id_equal(b, &b->idtab[j], id, len)) {
			uint32_t d = b->idtab[j].docno;
			if (d == UINT32_MAX)
				return 0;
			mark_dead(b, d);
			b->idtab[j].docno = UINT32_MAX;
			return 1;
		}
		j = (j + 1) & (b->idcap - 1);
	}
	return 0;
}

uint32_t builder_ndocs(const trawl_builder *b)
{
	return b->ndocs;
}

int builder_foreach_id(const trawl_builder *b,
		       int (*fn)(void *ctx, const char *id, size_t len),
		       void *ctx)
{
	for (size_t i = 0; i < b->idcap; i++) {
		if (!b->idtab[i].hash || b->idtab[i].docno == UINT32_MAX)
			continue;
		rd r = { b->ids.p + b->idtab[i].off, b->ids.p + b->ids.n };
		uint64_t len;
		const uint8_t *id;
		if (rd_varint(&r, &len) || rd_bytes(&r, len, &id))
			continue;
		int rc = fn(ctx, (const char *)id, len);
		if (rc)
			return rc;
	}
	return 0;
}

/* A fresh index's manifest: its one segment. */
static int write_manifest(trawl_builder *b, trawl_error *err)
{
	manifest m;
	memset(&m, 0, sizeof m);
	m.generation = 1;
	m.next_segment = 2;
	snprintf(m.language, sizeof m.language, "%s", b->language);
	man_seg s;
	builder_seg_info(b, &s);
	snprintf(s.name, sizeof s.name, "%s", SEG_FIRST);
	if (man_add(&m, &s))
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	int rc = man_write(b->tmp, &m, err);
	man_free(&m);
	return rc;
}

static int write_meta(trawl_builder *b, const merge_out *mo, int parts,
		      trawl_error *err)
{
	char pairs[SEG_PAIR_WORDS * (SEG_PAIR_WORD_MAX + 1) + 1] = "";
	for (size_t i = 0, n = 0; i < b->npair_words; i++)
		n += (size_t)snprintf(pairs + n, sizeof pairs - n, "%s%s",
				      i ? " " : "", b->pair_words[i]);
	uint64_t tsum = 0, bsum = 0;
	for (uint32_t i = 0; i < b->ndocs; i++) {
		const uint8_t *r = b->docs.p + (size_t)i * DOCREC_SIZE;
		if (r[15] & 0x80)
			continue;
		tsum += get_u32le(r);
		bsum += get_u32le(r + 4);
	}
	int rc = TRAWL_OK;
	buf m;
	buf_init(&m);
	buf_printf(&rc, &m,
		   "format=%d\nlanguage=%s\ndocs=%u\nlive=%u\ndeleted=%u\n"
		   "terms=%llu\npostings=%llu\npositions=%llu\n"
		   "input_bytes=%llu\ntitle_tokens=%llu\nbody_tokens=%llu\n"
		   "parts=%d\n%s%s%s",
		   SEG_FORMAT, b->language, b->ndocs, b->ndocs - b->ndead,
		   b->ndead, (unsigned long long)mo->terms,
		   (unsigned long long)mo->postings,
		   (unsigned long long)mo->positions,
		   (unsigned long long)b->input_bytes,
		   (unsigned long long)tsum, (unsigned long long)bsum, parts,
		   *pairs ? "pairs=" : "", pairs, *pairs ? "\n" : "");
	if (*pairs)
		buf_printf(&rc, &m, "pair_terms=%llu\npair_postings=%llu\n"
			   "pair_positions=%llu\n",
			   (unsigned long long)mo->pair_terms,
			   (unsigned long long)mo->pair_postings,
			   (unsigned long long)mo->pair_positions);
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/meta", b->seg);
	cfw w;
	if (!rc)
		rc = cfw_open(&w, p, CF_META, err);
	else
		tr_err(err, rc, "out of memory");
	if (!rc) {
		cfw_write(&rc, &w, m.p, m.n);
		if (rc)
			cfw_abort(&w);
		else
			rc = cfw_close(&w, err);
	}
	buf_free(&m);
	return rc;
}

/* Moves the finished temporary directory to the target. */
static int install(trawl_builder *b, trawl_error *err)
{
	struct stat st;
	if (b->segment_only) {
		if (rename(b->tmp, b->dir) < 0)
			return tr_err(err, TRAWL_EIO, "cannot create %s: %s",
				      b->dir, strerror(errno));
	} else if (stat(b->dir, &st) == 0) {
		if (!b->force)
			return tr_err(err, TRAWL_EEXIST, "%s already exists",
				      b->dir);
		/* swap atomically: readers see the old or the new index */
		if (renameat2(AT_FDCWD, b->tmp, AT_FDCWD, b->dir,
			      RENAME_EXCHANGE) < 0)
			return tr_err(err, TRAWL_EIO, "cannot replace %s: %s",
				      b->dir, strerror(errno));
		/* b->tmp now holds the old index */
		tr_rm_tree(b->tmp);
	} else if (rename(b->tmp, b->dir) < 0) {
		return tr_err(err, TRAWL_EIO, "cannot create %s: %s", b->dir,
			      strerror(errno));
	}
	free(b->tmp);
	b->tmp = NULL;
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", b->dir);
	char *slash = strrchr(parent, '/');
	if (slash == parent)
		parent[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(parent, ".");
	return tr_fsync_dir(parent, err);
}

int trawl_builder_finish(trawl_builder *b, trawl_error *err)
{
	if (b->failed || b->finished)
		return tr_err(err, TRAWL_EINVAL, "builder already %s",
			      b->failed ? "failed" : "finished");
	int rc = stop_lanes(b, err);
	if (!rc)
		rc = fill_lengths(b, err);
	for (unsigned i = 0; i < b->nlanes && !rc; i++)
		rc = sort_last_run(&b->lanes[i], err);
	char cut[3];
	size_t cut_len = rc ? 0 : choose_cut(b, cut);
	if (!rc) { /* the compressing thread finishes during the merge */
		dsw_flush(&rc, &b->ds);
		if (rc)
			tr_err(err, rc, "writing the store: %s", trawl_errstr(rc));
		else /* most of it reaches the disk during the merge */
			cfw_start_writeback(&b->store_w);
	}
	/* the postings and positions in two parts, cut where a second
	 * thread takes over the merge (with one thread too: the same
	 * files whatever the thread count) */
	cfw tw, pw, xw, pw2, xw2;
	memset(&tw, 0, sizeof tw);
	memset(&pw, 0, sizeof pw);
	memset(&xw, 0, sizeof xw);
	memset(&pw2, 0, sizeof pw2);
	memset(&xw2, 0, sizeof xw2);
	tw.fd = pw.fd = xw.fd = pw2.fd = xw2.fd = -1;
	int two = cut_len > 0;
	char p[PATH_MAX];
	merge_out mo;
	memset(&mo, 0, sizeof mo);
	if (!rc) {
		snprintf(p, sizeof p, "%s/terms", b->seg);
		rc = cfw_open(&tw, p, CF_TERMS, err);
	}
	if (!rc) {
		snprintf(p, sizeof p, "%s/postings", b->seg);
		rc = cfw_open(&pw, p, CF_POSTINGS, err);
	}
	if (!rc) {
		snprintf(p, sizeof p, "%s/positions", b->seg);
		rc = cfw_open(&xw, p, CF_POSITIONS, err);
	}
	if (!rc && two) {
		snprintf(p, sizeof p, "%s/" SEG_POSTINGS2, b->seg);
		rc = cfw_open(&pw2, p, CF_POSTINGS, err);
	}
	if (!rc && two) {
		snprintf(p, sizeof p, "%s/" SEG_POSITIONS2, b->seg);
		rc = cfw_open(&xw2, p, CF_POSITIONS, err);
	}
	/* at most MERGE_FANIN sources in all, a lane's memindex among
	 * them */
	for (unsigned i = 0; i < b->nlanes && !rc; i++)
		rc = reduce_runs(&b->lanes[i], MERGE_FANIN / b->nlanes - 1, err);
	merge_src srcs[MERGE_FANIN];
	size_t nsrcs = 0;
	for (unsigned i = 0; i < b->nlanes && !rc; i++) {
		lane *l = &b->lanes[i];
		for (size_t k = 0; k < l->nruns; k++)
			srcs[nsrcs++] = (merge_src){ l->runs[k], NULL, i };
		if (mi_ndocs(l->mi))
			srcs[nsrcs++] = (merge_src){ NULL, l->mi, i };
	}
	if (!rc) {
		size_t per_run = b->budget / 4 / (nsrcs ? nsrcs : 1);
		if (per_run > ((size_t)1 << 20))
			per_run = (size_t)1 << 20;
		merge_split sp = { b->tmp, cut, cut_len, b->split_merge,
				   &pw2, &xw2 };
		rc = merge_runs(srcs, nsrcs, b->ndead ? b->dead.p : NULL,
				b->ndocs, per_run, &sp, &tw, &pw, &xw, &mo, err);
	}
	for (unsigned i = 0; i < NLANES; i++) {
		mi_free(b->lanes[i].mi);
		b->lanes[i].mi = NULL;
	}
	if (!rc) {
		dsw_finish(&rc, &b->ds);
		if (rc)
			tr_err(err, rc, "writing the store: %s", trawl_errstr(rc));
	}
	/* all sealed before any is fsynced: their writes overlap */
	cfw *files[] = { &b->store_w, &tw, &pw, &xw, &pw2, &xw2 };
	size_t nfiles = two ? 6 : 4;
	for (size_t i = 0; i < nfiles && !rc; i++)
		rc = cfw_seal(files[i], err);
	for (size_t i = 0; i < nfiles && !rc; i++)
		rc = cfw_close(files[i], err);
	for (size_t i = 1; i < 6; i++)
		cfw_abort(files[i]);
	for (unsigned i = 0; i < NLANES; i++)
		for (size_t k = 0; k < b->lanes[i].nruns; k++)
			unlink(b->lanes[i].runs[k]);
	if (!rc)
		rc = write_docs(b, err);
	if (!rc)
		rc = write_meta(b, &mo, two ? 2 : 1, err);
	if (!rc)
		rc = write_ids(b, err);
	if (!rc && !b->segment_only) {
		rc = tr_fsync_dir(b->seg, err);
		if (!rc)
			rc = write_manifest(b, err);
	}
	if (!rc) {
		char lp[PATH_MAX];
		snprintf(lp, sizeof lp, "%s/lock", b->tmp);
		unlink(lp); /* the flock stays held until free() */
	}
	if (!rc) {
		/* mkdtemp made it private; an index is as shareable as any
		 * directory the user creates */
		mode_t um = umask(0);
		umask(um);
		chmod(b->tmp, 0777 & ~um);
		rc = tr_fsync_dir(b->tmp, err);
	}
	if (!rc)
		rc = install(b, err);
	if (rc) {
		b->failed = 1;
		return rc;
	}
	b->finished = 1;
	return TRAWL_OK;
}

void trawl_builder_free(trawl_builder *b)
{
	if (!b)
		return;
	/* stop the threads first: the indexing one writes runs into tmp, the
	 * store's compressing one writes to store_w */
	stop_lanes(b, NULL);
	dsw_free(&b->ds);
	cfw_abort(&b->store_w);
	if (b->tmp)
		tr_rm_tree(b->tmp);
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	for (unsigned i = 0; i < NLANES; i++) {
		lane *l = &b->lanes[i];
		free_jobs(l->head);
		free_jobs(l->done);
		lane_sync_free(l);
		trawl_analyzer_free(l->an);
		mi_free(l->mi);
		buf_free(&l->lens);
		free(l->weights);
		for (size_t k = 0; k < l->nruns; k++)
			free(l->runs[k]);
		free(l->runs);
		free(l->tids);
		free(l->tpos);
	}
	buf_free(&b->docs);
	buf_free(&b->dead);
	buf_free(&b->ids);
	free(b->idtab);
	free(b->dir);
	free(b->tmp);
	free(b->seg);
	free(b);
}
