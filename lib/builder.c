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

/* The indexing thread's copy of a stem cache entry (key): its term's
 * bytes (in wstr).  Its term id lives apart, in wid, which every token
 * reads: 4 bytes a slot (512 KiB in all) rather than a 24-byte entry
 * (3 MiB) keep that lookup in cache; the indexing thread's share of a
 * two-thread build's CPU fell from 7.0 % to 5.3 % (perf). */
typedef struct wmemo {
	uint64_t key;
	uint32_t off;   /* of the term in wstr */
	uint32_t len;
} wmemo;

/* Jobs waiting for the indexing thread: one per 256 KiB of the budget (a
 * job's arrays grow to its longest document), 1024 at the default 256M.
 * The deeper the queue, the longer the analysing thread runs on while
 * the indexing and compressing threads hold both cores, and the less a
 * core idles when they catch up: 1024 rather than 256 jobs, two threads,
 * all four collections, 5 alternating pairs: wall median 5.31 -> 5.22 s,
 * min 5.10 -> 4.90 s, peak RSS 242 -> 265 MB. */
#define IQUEUE 1024
#define IQUEUE_MIN 32
#define IWAKE 32   /* jobs queued before the thread is woken */

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
	trawl_analyzer *an;
	memindex *mi;
	uint32_t mi_epoch; /* changes when a spill empties mi: its term ids
			      are kept in the stem cache (an_token_memo) */
	wmemo *wm;      /* the indexing thread's terms by stem cache slot
			   (an_token_key) */
	uint32_t *wid;  /* and their term ids + 1 in mi, 0 for none yet
			   (cleared by a spill) */
	size_t wm_cap;
	buf wstr;       /* their bytes, for the cache generation wgen */
	uint32_t wgen;
	cfw store_w;
	ds_writer ds;
	buf docs;       /* 16-byte records */
	buf dead;       /* bitmap of replaced docnos */
	uint32_t ndocs, ndead;
	buf ids;        /* id arena */
	idslot *idtab;
	size_t idcap, nids;
	char **runs;
	size_t nruns;
	/* the final merge cuts the postings and positions in two at the
	 * middle of the biggest run spilled (by bytes); with two or more
	 * threads a second thread merges the second part */
	int split_merge;
	char split[DICT_TERM_MAX + 1];
	size_t split_len, split_run_bytes;
	int lock_fd;    /* flock on tmp/lock: marks the build as alive */
	/* per-document token scratch */
	uint32_t *tids, *tpos;
	size_t ntok, tok_cap;
	uint32_t field_bit;
	int failed;
	/* With a second core the memindex belongs to an indexing thread:
	 * the caller analyses each document into a job (terms as bytes,
	 * positions) and the thread interns, adds and spills, in document
	 * order, so the index is the same whatever the thread count. */
	int threaded;
	int imu_ready;           /* imu and icv initialised */
	pthread_t ithread;
	pthread_mutex_t imu;
	pthread_cond_t icv;
	struct ijob *ihead, *itail, *ifree;
	unsigned iqueued, iqueue_max;
	int istop;
	int irc;                 /* the thread's sticky error */
	trawl_error ierr;
	size_t fixed_snapshot;   /* fixed_bytes() as the caller last saw it */
	struct ijob *cur;        /* the job the caller is filling */
	uint32_t *jids, *jpos;   /* term ids, positions of a job: index_job's */
	size_t jids_cap;
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
static void *index_thread(void *arg);

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
	buf_init(&b->wstr);
	buf_init(&b->dead);
	buf_init(&b->ids);
	b->store_w.fd = -1;
	b->lock_fd = -1;
	int rc = trawl_analyzer_new(b->language, &b->an, err);
	if (rc)
		goto fail;
	b->npair_words = pair_words(b->language, &b->pair_words);
	if ((rc = mi_new(&b->mi, b->budget)) ||
	    (rc = mi_set_pairs(b->mi, b->pair_words, b->npair_words))) {
		tr_err(err, rc, "out of memory");
		goto fail;
	}
	b->mi_epoch = 1; /* a new memo holds 0 */
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
	/* with a second core, store compression runs beside the indexing */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int threads = o->threads > 0 ? o->threads : (ncpu > 0 ? (int)ncpu : 1);
	b->split_merge = threads > 1;
	if (threads > 1) {
		size_t jobs = b->budget >> 18;
		b->iqueue_max = jobs > IQUEUE ? IQUEUE :
				jobs < IQUEUE_MIN ? IQUEUE_MIN : (unsigned)jobs;
		/* a sixteenth of the budget (16 MiB of the default 256M)
		 * rides out the compressor's dictionary training */
		size_t blocks = b->budget / 16 / DS_BLOCK;
		/* on failure it works inline */
		dsw_start_thread(&b->ds, blocks > 128 ? 128 : (unsigned)blocks);
		if (pthread_mutex_init(&b->imu, NULL) == 0) {
			if (pthread_cond_init(&b->icv, NULL) == 0) {
				b->imu_ready = 1;
				if (pthread_create(&b->ithread, NULL, index_thread,
						   b) == 0)
					b->threaded = 1;
				/* else: index inline */
			} else {
				pthread_mutex_destroy(&b->imu);
			}
		}
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

/* One analysed document on its way to the indexing thread, in 4 bytes a
 * token (the two threads run on two cores: every byte of a job crosses
 * between their caches).  A term's bytes travel once per stem cache
 * entry: the thread keeps them by key, so later tokens of the entry send
 * the key alone.  The key's generation and the token's position are
 * implied (the job's last generation mark, the previous position + 1)
 * except where a mark gives them: at a field's first token, after a
 * token too long to index, when the stem cache starts a generation. */
typedef struct jmark {
	uint32_t at;    /* token index */
	uint32_t value; /* its position | field bit, or its key generation */
} jmark;

typedef struct ijob {
	struct ijob *next;
	uint32_t docno;
	size_t ntok;
	buf terms;      /* per token with KEY_BYTES: u8 length | bytes */
	uint32_t *key;  /* per token: an_token_key()'s slot + 1 (0 for none),
			   with KEY_BYTES when the term's bytes follow */
	size_t key_cap;
	buf pos_marks, gen_marks; /* jmark */
	uint32_t last_pos, gen;   /* the filler's: of the last token */
} ijob;

#define KEY_BYTES ((uint32_t)1 << 31)

static void put_mark(int *rc, buf *b, size_t at, uint32_t value)
{
	jmark m = { (uint32_t)at, value };
	buf_put(rc, b, &m, sizeof m);
}

/* Adds a token to J: its cache KEY, and the term's bytes unless SENT (the
 * stem cache entry's memo, or NULL) says this key already took them. */
static int job_token(ijob *j, const trawl_token *t, uint32_t field_bit,
		     uint64_t key, uint32_t *sent)
{
	int rc = TRAWL_OK;
	size_t len = t->term_len > DICT_TERM_MAX ? DICT_TERM_MAX : t->term_len;
	if (j->ntok == j->key_cap) {
		size_t cap = j->key_cap ? j->key_cap * 2 : 1024;
		uint32_t *k = realloc(j->key, cap * sizeof *k);
		if (!k)
			return TRAWL_ENOMEM;
		j->key = k;
		j->key_cap = cap;
	}
	uint32_t pos = t->position | field_bit;
	if (j->ntok == 0 || pos != j->last_pos + 1)
		put_mark(&rc, &j->pos_marks, j->ntok, pos);
	j->last_pos = pos;
	uint32_t gen = (uint32_t)(key >> 32);
	if (key && (j->gen_marks.n == 0 || gen != j->gen)) {
		put_mark(&rc, &j->gen_marks, j->ntok, gen);
		j->gen = gen;
	}
	uint32_t k32 = (uint32_t)key;
	/* sent holds the generation + 1 whose key took the bytes: a rehash
	 * keeps the memo but makes new keys */
	uint32_t mark = gen + 1;
	if (!key || !sent || *sent != mark) {
		buf_putc(&rc, &j->terms, (uint8_t)len);
		buf_put(&rc, &j->terms, t->term, len);
		if (key && sent && !rc)
			*sent = mark;
		k32 |= KEY_BYTES;
	}
	if (rc)
		return rc;
	j->key[j->ntok++] = k32;
	return TRAWL_OK;
}

static int on_token(void *ctx, const trawl_token *t)
{
	trawl_builder *b = ctx;
	if (t->position >= TR_MAX_FIELD_TOKENS)
		return TRAWL_ELIMIT;
	if (!t->term)
		return 0; /* over 64 bytes: takes its position, not indexed */
	if (b->cur) {
		/* the memo's first word, unused with a thread, marks the key
		 * whose bytes went out */
		uint32_t *memo = an_token_memo(b->an);
		return job_token(b->cur, t, b->field_bit, an_token_key(b->an),
				 memo);
	}
	if (b->ntok == b->tok_cap) {
		size_t cap = b->tok_cap ? b->tok_cap * 2 : 4096;
		uint32_t *a = realloc(b->tids, cap * sizeof *a);
		if (!a)
			return TRAWL_ENOMEM;
		b->tids = a;
		a = realloc(b->tpos, cap * sizeof *a);
		if (!a)
			return TRAWL_ENOMEM;
		b->tpos = a;
		b->tok_cap = cap;
	}
	/* A word seen since the last spill has its term id in the stem
	 * cache: one hash lookup per token instead of two. */
	uint32_t *memo = an_token_memo(b->an), id;
	if (memo && memo[1] == b->mi_epoch) {
		id = memo[0];
	} else {
		id = mi_intern(b->mi, t->term,
			       t->term_len > DICT_TERM_MAX ? DICT_TERM_MAX
							   : t->term_len);
		if (id == UINT32_MAX)
			return TRAWL_ENOMEM;
		if (memo) {
			memo[0] = id;
			memo[1] = b->mi_epoch;
		}
	}
	b->tids[b->ntok] = id;
	b->tpos[b->ntok] = t->position | b->field_bit;
	b->ntok++;
	return 0;
}

/* Counts a field's tokens: the last position + 1. */
typedef struct { trawl_builder *b; uint32_t count; } field_ctx;

static int on_field_token(void *ctx, const trawl_token *t)
{
	field_ctx *f = ctx;
	f->count = t->position + 1;
	return on_token(f->b, t);
}

/* Merges runs MERGE_FANIN at a time into bigger runs until at most
 * MERGE_FANIN remain, so the final merge keeps few files open and few
 * buffers in memory whatever the corpus size. */
static int reduce_runs(trawl_builder *b, trawl_error *err)
{
	size_t serial = b->nruns;
	while (b->nruns > MERGE_FANIN) {
		size_t k = MERGE_FANIN;
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/run-%06zu", b->tmp, serial++);
		size_t per_run = b->budget / 4 / k;
		if (per_run > ((size_t)1 << 20))
			per_run = (size_t)1 << 20;
		int rc = merge_runs_to_run(b->runs, k, p, per_run, err);
		if (rc)
			return rc;
		char *path = strdup(p);
		if (!path)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		for (size_t i = 0; i < k; i++) {
			unlink(b->runs[i]);
			free(b->runs[i]);
		}
		/* the merged run holds the oldest documents: it goes first */
		memmove(b->runs + 1, b->runs + k, (b->nruns - k) * sizeof *b->runs);
		b->runs[0] = path;
		b->nruns -= k - 1;
	}
	return TRAWL_OK;
}

/* Keeps MID as the two-thread merge's split if its run of BYTES is the
 * biggest so far. */
static void note_split(trawl_builder *b, size_t bytes, const char *mid,
		       size_t mid_len)
{
	if (mid_len && bytes > b->split_run_bytes) {
		memcpy(b->split, mid, mid_len + 1);
		b->split_len = mid_len;
		b->split_run_bytes = bytes;
	}
}

static int spill(trawl_builder *b, trawl_error *err)
{
	if (mi_ndocs(b->mi) == 0)
		return TRAWL_OK;
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/run-%06zu", b->tmp, b->nruns);
	char **r = realloc(b->runs, (b->nruns + 1) * sizeof *r);
	if (!r)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	b->runs = r;
	b->runs[b->nruns] = strdup(p);
	if (!b->runs[b->nruns])
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	b->nruns++;
	size_t bytes = mi_bytes(b->mi);
	char mid[DICT_TERM_MAX + 1];
	size_t mid_len = 0;
	int rc = mi_spill(b->mi, p, mid, &mid_len, err);
	/* whatever happened, the term ids are gone (0 is a new memo) */
	if (++b->mi_epoch == 0)
		b->mi_epoch = 1;
	if (b->wid)
		memset(b->wid, 0, b->wm_cap * sizeof *b->wid);
	if (!rc)
		note_split(b, bytes, mid, mid_len);
	return rc;
}

/* Sorts the documents added since the last spill for the final merge,
 * which reads them from memory: writing them out as one more run only
 * to read them back cost 0.3-0.4 s of a 10 s build that never spilled. */
static int sort_last_run(trawl_builder *b, trawl_error *err)
{
	if (mi_ndocs(b->mi) == 0)
		return TRAWL_OK;
	size_t bytes = mi_bytes(b->mi);
	char mid[DICT_TERM_MAX + 1];
	size_t mid_len = 0;
	int rc = mi_sort(b->mi, mid, &mid_len, err);
	if (!rc)
		note_split(b, bytes, mid, mid_len);
	return rc;
}

static size_t fixed_bytes(const trawl_builder *b)
{
	/* wm and wstr, the indexing thread's, at their bounds: read here by
	 * the other thread, they are counted at most, not as they grow */
	return b->docs.cap + b->dead.cap + b->ids.cap +
	       b->idcap * sizeof(idslot) + b->tok_cap * 8 +
	       (b->ds.threaded ? b->ds.max_queued + 2 : 2) * (size_t)DS_BLOCK +
	       (b->threaded ? 2 * (size_t)AN_CACHE_ENTRIES *
					(sizeof(wmemo) + sizeof(uint32_t)) +
			       AN_CACHE_ARENA_MAX : 0);
}

/* Room the memindex may fill before a spill.  The per-document tables
 * (fixed) grow with every document and no spill frees them: the postings
 * keep at least half the budget, or past some number of documents every
 * add would spill a run (and the merge would need a file per document). */
static size_t postings_room(const trawl_builder *b, size_t fixed)
{
	return fixed < b->budget / 2 ? b->budget - fixed : b->budget / 2;
}

/* Grows the indexing thread's table of term ids by stem cache slot to
 * hold SLOT (bounded by twice the cache's entries). */
static int wm_grow(trawl_builder *b, uint32_t slot)
{
	size_t cap = b->wm_cap ? b->wm_cap : 4096;
	while (cap <= slot)
		cap *= 2;
	wmemo *w = realloc(b->wm, cap * sizeof *w);
	if (!w)
		return TRAWL_ENOMEM;
	b->wm = w;
	uint32_t *id = realloc(b->wid, cap * sizeof *id);
	if (!id)
		return TRAWL_ENOMEM;
	b->wid = id;
	memset(w + b->wm_cap, 0, (cap - b->wm_cap) * sizeof *w);
	memset(id + b->wm_cap, 0, (cap - b->wm_cap) * sizeof *id);
	b->wm_cap = cap;
	return TRAWL_OK;
}

/* How many tokens ahead index_job() prefetches a term id. */
#define WID_AHEAD 16

/* Interns a job's terms and adds it to the memindex (the indexing
 * thread's work, or the caller's without one). */
static int index_job(trawl_builder *b, ijob *j, trawl_error *err)
{
	if (j->ntok > b->jids_cap) {
		uint32_t *a = realloc(b->jids, j->ntok * sizeof *a);
		if (!a)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		b->jids = a;
		a = realloc(b->jpos, j->ntok * sizeof *a);
		if (!a)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		b->jpos = a;
		b->jids_cap = j->ntok;
	}
	rd r = { j->terms.p, j->terms.p + j->terms.n };
	const jmark *pm = (const jmark *)j->pos_marks.p;
	const jmark *gm = (const jmark *)j->gen_marks.p;
	const jmark *pm_end = pm + j->pos_marks.n / sizeof *pm;
	const jmark *gm_end = gm + j->gen_marks.n / sizeof *gm;
	uint32_t pos = 0, gen = 0;
	for (size_t i = 0; i < j->ntok; i++) {
		if (pm < pm_end && pm->at == i)
			pos = (pm++)->value;
		else if (i == 0)
			return tr_err(err, TRAWL_EINVAL, "internal: bad job");
		else
			pos++;
		b->jpos[i] = pos;
		if (gm < gm_end && gm->at == i)
			gen = (gm++)->value;
		/* wid is read at random, a miss more often than not: ask
		 * for the slot of the token WID_AHEAD on */
		if (i + WID_AHEAD < j->ntok) {
			uint32_t ahead = (j->key[i + WID_AHEAD] & ~KEY_BYTES) - 1;
			if (ahead < b->wm_cap)
				__builtin_prefetch(&b->wid[ahead]);
		}
		uint32_t k32 = j->key[i] & ~KEY_BYTES;
		uint64_t key = k32 ? (uint64_t)gen << 32 | k32 : 0;
		uint8_t len = 0;
		const uint8_t *t = NULL;
		if ((j->key[i] & KEY_BYTES) &&
		    (rd_u8(&r, &len) || rd_bytes(&r, len, &t)))
			return tr_err(err, TRAWL_EINVAL, "internal: bad job");
		uint32_t slot = UINT32_MAX;
		if (key) {
			slot = k32 - 1;
			if (slot >= b->wm_cap && wm_grow(b, slot))
				return tr_err(err, TRAWL_ENOMEM, "out of memory");
			wmemo *w = &b->wm[slot];
			if (t) {
				/* a new entry; a new generation drops the
				 * bytes of the old one's */
				if (gen != b->wgen) {
					buf_reset(&b->wstr);
					b->wgen = gen;
				}
				int rc = TRAWL_OK;
				w->key = key;
				w->off = (uint32_t)b->wstr.n;
				w->len = len;
				b->wid[slot] = 0;
				buf_put(&rc, &b->wstr, t, len);
				if (rc)
					return tr_err(err, rc, "out of memory");
			} else if (b->wid[slot]) {
				/* seen since the last spill: the id without
				 * a lookup */
				b->jids[i] = b->wid[slot] - 1;
				continue;
			} else if (w->key != key) {
				return tr_err(err, TRAWL_EINVAL, "internal: bad job key");
			}
			t = b->wstr.p + w->off;
			len = (uint8_t)w->len;
		} else if (!t) {
			return tr_err(err, TRAWL_EINVAL, "internal: bad job");
		}
		uint32_t id = mi_intern(b->mi, (const char *)t, len);
		if (id == UINT32_MAX)
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		b->jids[i] = id;
		if (slot != UINT32_MAX)
			b->wid[slot] = id + 1;
	}
	int rc = mi_add_doc(b->mi, j->docno, b->jids, b->jpos, j->ntok);
	if (rc)
		return tr_err(err, rc, "out of memory");
	size_t fixed = __atomic_load_n(&b->fixed_snapshot, __ATOMIC_RELAXED);
	if (mi_bytes(b->mi) >= postings_room(b, fixed))
		return spill(b, err);
	return TRAWL_OK;
}

static void *index_thread(void *arg)
{
	trawl_builder *b = arg;
	pthread_mutex_lock(&b->imu);
	for (;;) {
		while (!b->ihead && !b->istop)
			pthread_cond_wait(&b->icv, &b->imu);
		ijob *j = b->ihead;
		if (!j)
			break;
		b->ihead = j->next;
		if (!b->ihead)
			b->itail = NULL;
		int failed = b->irc != 0;
		pthread_mutex_unlock(&b->imu);
		trawl_error e;
		int rc = failed ? TRAWL_OK : index_job(b, j, &e);
		pthread_mutex_lock(&b->imu);
		if (rc && !b->irc) {
			b->irc = rc;
			b->ierr = e;
		}
		j->next = b->ifree;
		b->ifree = j;
		b->iqueued--;
		pthread_cond_broadcast(&b->icv);
	}
	pthread_mutex_unlock(&b->imu);
	return NULL;
}

/* Waits for the indexing thread to finish its queue and end; returns its
 * error (message in ERR). */
static int stop_index_thread(trawl_builder *b, trawl_error *err)
{
	if (!b->threaded)
		return TRAWL_OK;
	pthread_mutex_lock(&b->imu);
	b->istop = 1;
	pthread_cond_broadcast(&b->icv);
	pthread_mutex_unlock(&b->imu);
	pthread_join(b->ithread, NULL);
	b->threaded = 0;
	int rc = b->irc;
	if (rc && err)
		*err = b->ierr;
	return rc;
}

static void free_jobs(ijob *j)
{
	while (j) {
		ijob *n = j->next;
		buf_free(&j->terms);
		buf_free(&j->pos_marks);
		buf_free(&j->gen_marks);
		free(j->key);
		free(j);
		j = n;
	}
}

/* A job to fill for the next document: reused when one is free, waiting
 * while the queue is full. */
static ijob *take_job(trawl_builder *b)
{
	pthread_mutex_lock(&b->imu);
	while (b->iqueued >= b->iqueue_max && !b->irc)
		pthread_cond_wait(&b->icv, &b->imu);
	ijob *j = b->ifree;
	if (j)
		b->ifree = j->next;
	pthread_mutex_unlock(&b->imu);
	if (!j)
		j = calloc(1, sizeof *j);
	if (j) {
		j->next = NULL;
		j->ntok = 0;
		buf_reset(&j->terms);
		buf_reset(&j->pos_marks);
		buf_reset(&j->gen_marks);
	}
	return j;
}

static void put_job(trawl_builder *b, ijob *j)
{
	pthread_mutex_lock(&b->imu);
	if (b->itail)
		b->itail->next = j;
	else
		b->ihead = j;
	b->itail = j;
	b->iqueued++;
	/* The indexing thread, faster than the analysis, would otherwise
	 * sleep and be woken once a document: wake it for a batch. */
	if (b->iqueued >= IWAKE)
		pthread_cond_broadcast(&b->icv);
	pthread_mutex_unlock(&b->imu);
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
	if (b->threaded &&
	    __atomic_load_n(&b->irc, __ATOMIC_RELAXED)) {
		b->failed = 1;
		return stop_index_thread(b, err);
	}
	uint32_t docno = b->ndocs;
	b->ntok = 0;
	if (b->threaded) {
		b->cur = take_job(b);
		if (!b->cur) {
			b->failed = 1;
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		}
		b->cur->docno = docno;
	}
	field_ctx fc = { b, 0 };
	b->field_bit = 0;
	int rc = trawl_analyze(b->an, d->title ? d->title : "",
			       d->title ? d->title_len : 0, on_field_token, &fc);
	uint32_t title_len = fc.count;
	fc.count = 0;
	b->field_bit = POS_BODY;
	if (!rc)
		rc = trawl_analyze(b->an, d->body ? d->body : "",
				   d->body ? d->body_len : 0, on_field_token, &fc);
	uint32_t body_len = fc.count;
	ijob *job = b->cur;
	b->cur = NULL;
	if (rc) {
		if (job)
			free_jobs(job);
		b->failed = 1;
		return tr_err(err, rc, "analysing document %.*s: %s",
			      (int)(d->id_len > 200 ? 200 : d->id_len), d->id,
			      trawl_errstr(rc));
	}
	uint32_t old;
	if ((rc = id_put(b, d->id, d->id_len, docno, &old)) ||
	    (!job && (rc = mi_add_doc(b->mi, docno, b->tids, b->tpos, b->ntok)))) {
		if (job)
			free_jobs(job);
		b->failed = 1;
		return tr_err(err, rc, "out of memory");
	}
	if (job)
		put_job(b, job);
	uint32_t block = 0;
	dsw_add(&rc, &b->ds, docno, d, &block);
	uint8_t rec[DOCREC_SIZE];
	uint32_t v[4] = { title_len, body_len, date, block };
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
	int replaced = 0;
	if (old != UINT32_MAX) {
		mark_dead(b, old);
		replaced = 1;
	}
	size_t fixed = fixed_bytes(b);
	if (b->threaded) {
		/* the thread spills; queued jobs count against the budget */
		__atomic_store_n(&b->fixed_snapshot, fixed + b->iqueue_max * 4096,
				 __ATOMIC_RELAXED);
		return replaced;
	}
	if (mi_bytes(b->mi) >= postings_room(b, fixed)) {
		if ((rc = spill(b, err))) {
			b->failed = 1;
			return rc;
		}
	}
	return replaced;
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
	int rc = stop_index_thread(b, err);
	if (!rc)
		rc = sort_last_run(b, err);
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
	int two = b->split_len > 0;
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
	if (!rc)
		rc = reduce_runs(b, err);
	if (!rc) {
		size_t per_run = b->budget / 4 / (b->nruns ? b->nruns : 1);
		if (per_run > ((size_t)1 << 20))
			per_run = (size_t)1 << 20;
		merge_split sp = { b->tmp, b->split, b->split_len,
				   b->split_merge, &pw2, &xw2 };
		rc = merge_runs(b->runs, b->nruns,
				mi_ndocs(b->mi) ? b->mi : NULL,
				b->ndead ? b->dead.p : NULL, b->ndocs, per_run,
				&sp, &tw, &pw, &xw, &mo, err);
	}
	mi_free(b->mi);
	b->mi = NULL;
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
	for (size_t i = 0; i < b->nruns; i++)
		unlink(b->runs[i]);
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
	stop_index_thread(b, NULL);
	free_jobs(b->ihead);
	free_jobs(b->ifree);
	if (b->imu_ready) {
		pthread_cond_destroy(&b->icv);
		pthread_mutex_destroy(&b->imu);
	}
	dsw_free(&b->ds);
	cfw_abort(&b->store_w);
	if (b->tmp)
		tr_rm_tree(b->tmp);
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	trawl_analyzer_free(b->an);
	mi_free(b->mi);
	free(b->wm);
	free(b->wid);
	buf_free(&b->wstr);
	buf_free(&b->docs);
	buf_free(&b->dead);
	buf_free(&b->ids);
	free(b->idtab);
	for (size_t i = 0; i < b->nruns; i++)
		free(b->runs[i]);
	free(b->runs);
	free(b->tids);
	free(b->tpos);
	free(b->jids);
	free(b->jpos);
	free(b->dir);
	free(b->tmp);
	free(b->seg);
	free(b);
}
