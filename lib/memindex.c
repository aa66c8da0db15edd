/*
 * memindex.c -- in-memory postings accumulator (see memindex.h).
 *
 * Each term's postings grow as a chain of slices (16 bytes, doubling to
 * 8 KiB) carved from 2 MiB pages (1 MiB under a small budget), so a
 * million rare terms cost no per-term malloc and a common term does not
 * copy as it grows.
 * A document's tokens are grouped by term with a counting sort over
 * per-document slots: O(tokens), no comparison sort.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"
#include "hash.h"
#include "hugealloc.h"
#include "keysort.h"
#include "memindex.h"
#include "postings.h"

/* The arena's unit, aligned, header included: 2 MiB, one transparent
 * huge page (see page_map), but 1 MiB under a small budget, where a few
 * pages must fit. */
#define PAGE_HUGE ((size_t)1 << 21)
#define PAGE_SMALL ((size_t)1 << 20)
#define SLICE_MIN 16
#define SLICE_MAX 8192
#define TABLE_MIN ((size_t)1 << 16)

typedef struct slice {
	struct slice *next;
	uint32_t cap, used;
	uint8_t data[];
} slice;

/* One cache line a term (the table is line-aligned): adding a document
 * reads last_doc and slot of each token's term, then wp of each of its
 * terms; at 72 bytes wp was on another line than slot for most terms, a
 * second miss.  The hash lives in the probe table only. */
typedef struct mterm {
	uint32_t len;
	uint32_t df;
	uint32_t last_doc;  /* last document seen, for slots */
	uint32_t prev_doc;  /* last document written, for gaps */
	uint32_t slot;
	uint32_t room;      /* free bytes at wp, in the tail slice */
	const char *str;
	uint64_t nbytes;
	slice *head, *tail;
	uint8_t *wp;        /* next byte to write in the tail slice */
} mterm;

_Static_assert(sizeof(mterm) == 64, "a term is one cache line");

typedef struct page {
	struct page *next;
	size_t used, cap;  /* of data */
	uint8_t data[];
} page;

struct memindex {
	page *pages;
	size_t npages;
	size_t page;     /* PAGE_HUGE or PAGE_SMALL */
	mterm *terms;
	size_t nterms, terms_cap;
	uint64_t *table; /* hash << 32 | (term index + 1); 0 = empty: the
			    hash in the slot spares a visit to the term */
	size_t table_cap;
	size_t ndocs;
	/* per-document scratch */
	uint32_t *slot_term, *slot_count, *slot_start, *scatter;
	size_t slots_cap, scatter_cap;
	uint32_t *tok_slot;
	size_t tok_cap;
	uint8_t *enc;
	size_t enc_cap;
	uint32_t *order; /* term indexes in byte order (mi_sort) */
	size_t nsorted;  /* terms in order: those with documents */
	/* word pairs: the words (ids 0..npw-1), each pair's term id or
	 * UINT32_MAX before its first occurrence since the last reset, and
	 * a document's pairs (term id, position) */
	const char *const *pw;
	size_t npw;
	int pw_rc;       /* the words could not be interned after a reset */
	uint32_t pair_id[SEG_PAIR_WORDS * SEG_PAIR_WORDS];
	uint32_t *pair_tok, *pair_pos;
	size_t pair_tok_cap, pair_pos_cap;
};

static int intern_pair_words(memindex *m);


/* A page of at least N bytes of data, mapped on its own (so a spill
 * gives it back to the system at once) and aligned to UNIT.  Slices are
 * written all over the arena, a posting at a time: on 4 KiB pages most
 * of those writes would also miss the TLB, so the pages are advised to
 * be huge where the system allows it. */
static page *page_map(size_t n, size_t unit)
{
	size_t len = (sizeof(page) + n + unit - 1) & ~(unit - 1);
	/* 1 MiB pages (small budgets) are not advised huge: merged with
	 * their neighbours they could be collapsed into huge pages half used */
	void *a = tr_map_aligned(len, unit, unit == PAGE_HUGE);
	if (!a)
		return NULL;
	page *pg = (page *)a;
	pg->next = NULL;
	pg->used = 0;
	pg->cap = len - sizeof(page);
	return pg;
}

static void page_unmap(page *pg)
{
	munmap(pg, pg->cap + sizeof(page));
}

static void *arena_alloc(memindex *m, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (!m->pages || m->pages->used + n > m->pages->cap) {
		page *p = page_map(n, m->page);
		if (!p)
			return NULL;
		p->next = m->pages;
		m->pages = p;
		m->npages += (p->cap + sizeof(page)) / m->page;
	}
	void *r = m->pages->data + m->pages->used;
	m->pages->used += n;
	return r;
}

int mi_new(memindex **out, size_t budget)
{
	memindex *m = calloc(1, sizeof *m);
	if (!m)
		return TRAWL_ENOMEM;
	m->page = budget >= 32 * PAGE_HUGE ? PAGE_HUGE : PAGE_SMALL;
	m->table_cap = TABLE_MIN;
	m->table = calloc(m->table_cap, sizeof *m->table);
	if (!m->table) {
		free(m);
		return TRAWL_ENOMEM;
	}
	*out = m;
	return TRAWL_OK;
}

static void reset(memindex *m)
{
	while (m->pages) {
		page *n = m->pages->next;
		page_unmap(m->pages);
		m->pages = n;
	}
	m->npages = 0;
	m->nterms = 0;
	free(m->order);
	m->order = NULL;
	m->ndocs = 0;
	/* give the term array and a grown table back: mi_bytes() counts
	 * them, and a spill that kept them would leave the accumulator over
	 * a small budget for good, spilling a run per document after it */
	tr_free_table(m->terms, m->terms_cap * sizeof *m->terms);
	m->terms = NULL;
	m->terms_cap = 0;
	if (m->table_cap > TABLE_MIN) {
		uint64_t *t = calloc(TABLE_MIN, sizeof *t);
		if (t) {
			free(m->table);
			m->table = t;
			m->table_cap = TABLE_MIN;
			m->pw_rc = intern_pair_words(m);
			return;
		}
	}
	memset(m->table, 0, m->table_cap * sizeof *m->table);
	m->pw_rc = intern_pair_words(m);
}

void mi_free(memindex *m)
{
	if (!m)
		return;
	m->npw = 0; /* nothing to intern again */
	reset(m);   /* frees the terms */
	free(m->table);
	free(m->slot_term);
	free(m->slot_count);
	free(m->slot_start);
	free(m->scatter);
	free(m->tok_slot);
	free(m->enc);
	free(m->pair_tok);
	free(m->pair_pos);
	free(m);
}

size_t mi_bytes(const memindex *m)
{
	return m->npages * m->page + m->terms_cap * sizeof(mterm) +
	       m->table_cap * sizeof *m->table;
}

size_t mi_ndocs(const memindex *m)
{
	return m->ndocs;
}

static int grow_table(memindex *m)
{
	size_t cap = m->table_cap * 2;
	uint64_t *t = calloc(cap, sizeof *t);
	if (!t)
		return TRAWL_ENOMEM;
	for (size_t i = 0; i < m->table_cap; i++) {
		uint64_t e = m->table[i];
		if (!e)
			continue;
		size_t j = (uint32_t)(e >> 32) & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = e;
	}
	free(m->table);
	m->table = t;
	m->table_cap = cap;
	return TRAWL_OK;
}

uint32_t mi_intern(memindex *m, const char *term, size_t len)
{
	uint32_t h = tr_hash_bytes(term, len);
	size_t mask = m->table_cap - 1;
	size_t j = h & mask;
	for (;;) {
		uint64_t e = m->table[j];
		if (!e)
			break;
		if ((uint32_t)(e >> 32) == h) {
			uint32_t i = (uint32_t)e - 1;
			mterm *t = &m->terms[i];
			if (t->len == len && tr_same_bytes(t->str, term, len))
				return i;
		}
		j = (j + 1) & mask;
	}
	if (m->nterms == m->terms_cap) {
		size_t cap = m->terms_cap ? m->terms_cap * 2 : 4096;
		mterm *t = tr_alloc_table(cap * sizeof *t);
		if (!t)
			return UINT32_MAX;
		if (m->nterms)
			memcpy(t, m->terms, m->nterms * sizeof *t);
		tr_free_table(m->terms, m->terms_cap * sizeof *t);
		m->terms = t;
		m->terms_cap = cap;
	}
	char *s = arena_alloc(m, len ? len : 1);
	if (!s)
		return UINT32_MAX;
	memcpy(s, term, len);
	mterm *t = &m->terms[m->nterms];
	memset(t, 0, sizeof *t);
	t->len = (uint32_t)len;
	t->str = s;
	t->last_doc = UINT32_MAX;
	t->prev_doc = UINT32_MAX;
	m->table[j] = (uint64_t)h << 32 | ((uint32_t)m->nterms + 1);
	m->nterms++;
	if (m->nterms * 2 > m->table_cap && grow_table(m))
		return UINT32_MAX;
	return (uint32_t)m->nterms - 1;
}

/* The pair words take ids 0..npw-1 of a fresh accumulator. */
static int intern_pair_words(memindex *m)
{
	for (size_t i = 0; i < SEG_PAIR_WORDS * SEG_PAIR_WORDS; i++)
		m->pair_id[i] = UINT32_MAX;
	for (size_t i = 0; i < m->npw; i++)
		if (mi_intern(m, m->pw[i], strlen(m->pw[i])) != i)
			return TRAWL_ENOMEM;
	return TRAWL_OK;
}

int mi_set_pairs(memindex *m, const char *const *words, size_t n)
{
	if (m->nterms || n > SEG_PAIR_WORDS)
		return TRAWL_EINVAL;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(words[i]);
		if (!len || len > SEG_PAIR_WORD_MAX || strchr(words[i], ' '))
			return TRAWL_EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(words[i], words[j]))
				return TRAWL_EINVAL;
	}
	m->pw = words;
	m->npw = n;
	return m->pw_rc = intern_pair_words(m);
}

/* The term id of the pair of words A and B (ids below npw). */
static uint32_t pair_term(memindex *m, uint32_t a, uint32_t b)
{
	uint32_t *id = &m->pair_id[a * SEG_PAIR_WORDS + b];
	if (*id == UINT32_MAX) {
		char t[2 * 64 + 2];
		int n = snprintf(t, sizeof t, "%c%s %s", SEG_PAIR_MARK,
				 m->pw[a], m->pw[b]);
		if (n < 0 || (size_t)n >= sizeof t)
			return UINT32_MAX;
		*id = mi_intern(m, t, (size_t)n);
	}
	return *id;
}

/* append() past the tail slice: fills it, then chains new ones. */
static int append_slow(memindex *m, mterm *t, const uint8_t *p, size_t n)
{
	while (n) {
		if (!t->room) {
			uint32_t cap = t->tail ? t->tail->cap * 2 : SLICE_MIN;
			if (cap > SLICE_MAX)
				cap = SLICE_MAX;
			slice *s = arena_alloc(m, sizeof *s + cap);
			if (!s)
				return TRAWL_ENOMEM;
			s->next = NULL;
			s->cap = cap;
			s->used = 0;
			if (t->tail) {
				t->tail->used = t->tail->cap;
				t->tail->next = s;
			} else {
				t->head = s;
			}
			t->tail = s;
			t->wp = s->data;
			t->room = cap;
		}
		size_t k = t->room < n ? t->room : n;
		memcpy(t->wp, p, k);
		t->wp += k;
		t->room -= (uint32_t)k;
		p += k;
		n -= k;
	}
	return TRAWL_OK;
}

/* Appends N bytes to T's chain.  The write position and room live in the
 * term, so the common case never loads the slice: its line is only
 * stored to, which does not stall on a cache miss.  P must be readable
 * for 16 bytes. */
static inline int append(memindex *m, mterm *t, const uint8_t *p, size_t n)
{
	t->nbytes += n;
	if (n <= 16 && t->room >= 16) {
		memcpy(t->wp, p, 16); /* the bytes past n are overwritten later */
	} else if (n <= t->room) {
		memcpy(t->wp, p, n);
	} else {
		return append_slow(m, t, p, n);
	}
	t->wp += n;
	t->room -= (uint32_t)n;
	return TRAWL_OK;
}

static size_t put_varint(uint8_t *o, uint32_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		o[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o[n++] = (uint8_t)v;
	return n;
}

/* How far ahead mi_add_doc() prefetches a token's term. */
#define MI_AHEAD 8

static int reserve32(uint32_t **p, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	uint32_t *q = realloc(*p, c * sizeof *q);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* Gives term T (id ID) a slot of this document unless it has one, and
 * counts the token in it.  -1 when out of memory. */
static inline int count_token(memindex *m, mterm *t, uint32_t id,
			      uint32_t docno, size_t i, size_t *nslots)
{
	if (t->last_doc != docno) {
		t->last_doc = docno;
		if (*nslots == m->slots_cap) {
			size_t cap = m->slots_cap ? m->slots_cap * 2 : 256;
			uint32_t *a = realloc(m->slot_term, cap * 4);
			if (!a)
				return -1;
			m->slot_term = a;
			a = realloc(m->slot_count, cap * 4);
			if (!a)
				return -1;
			m->slot_count = a;
			a = realloc(m->slot_start, cap * 4);
			if (!a)
				return -1;
			m->slot_start = a;
			m->slots_cap = cap;
		}
		/* the tail of its postings, written to below */
		__builtin_prefetch(t->wp, 1);
		t->slot = (uint32_t)*nslots;
		m->slot_term[*nslots] = id;
		m->slot_count[*nslots] = 0;
		(*nslots)++;
	}
	m->tok_slot[i] = t->slot;
	m->slot_count[t->slot]++;
	return 0;
}

/* The tokens' slots (count_token()); with PAIRS, the document's word
 * pairs found on the way, into pair_tok (first id * SEG_PAIR_WORDS +
 * second id) and pair_pos.  Returns the number of pairs, or -1 when out
 * of memory. */
static inline __attribute__((always_inline)) long
count_tokens(memindex *m, uint32_t docno, const uint32_t *ids,
	     const uint32_t *pos, size_t n, size_t *nslots, const int pairs)
{
	uint32_t npw = (uint32_t)m->npw, prev_id = UINT32_MAX, prev_pos = 0;
	uint32_t *pair_tok = m->pair_tok, *pair_pos = m->pair_pos;
	size_t npairs = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		/* a token's term is a cache miss more often than not (the
		 * table is megabytes): ask for the one AHEAD tokens on */
		if (i + MI_AHEAD < n)
			__builtin_prefetch(&m->terms[ids[i + MI_AHEAD]], 1);
		if (count_token(m, &m->terms[id], id, docno, i, nslots))
			return -1;
		if (pairs) {
			/* two pair words a position apart: in one field,
			 * whose bit the positions carry */
			uint32_t p = pos[i];
			pair_tok[npairs] = prev_id * SEG_PAIR_WORDS + id;
			pair_pos[npairs] = prev_pos;
			uint32_t hi = id > prev_id ? id : prev_id;
			npairs += (hi < npw) & (p == prev_pos + 1);
			prev_id = id;
			prev_pos = p;
		}
	}
	return (long)npairs;
}

int mi_add_doc(memindex *m, uint32_t docno, const uint32_t *ids,
	       const uint32_t *pos, size_t n)
{
	if (m->pw_rc)
		return m->pw_rc;
	/* a pair at most every token but the first */
	size_t room = m->npw ? 2 * n : n;
	if (reserve32(&m->tok_slot, &m->tok_cap, room) ||
	    reserve32(&m->scatter, &m->scatter_cap, room))
		return TRAWL_ENOMEM;
	size_t nslots = 0;
	long npairs = 0;
	if (m->npw) {
		if (reserve32(&m->pair_tok, &m->pair_tok_cap, n) ||
		    reserve32(&m->pair_pos, &m->pair_pos_cap, n))
			return TRAWL_ENOMEM;
		npairs = count_tokens(m, docno, ids, pos, n, &nslots, 1);
	} else {
		npairs = count_tokens(m, docno, ids, pos, n, &nslots, 0);
	}
	if (npairs < 0)
		return TRAWL_ENOMEM;
	/* interning may move the terms: after the tokens' loop */
	for (long j = 0; j < npairs; j++) {
		uint32_t c = m->pair_tok[j];
		uint32_t id = pair_term(m, c / SEG_PAIR_WORDS, c % SEG_PAIR_WORDS);
		if (id == UINT32_MAX)
			return TRAWL_ENOMEM;
		if (count_token(m, &m->terms[id], id, docno, n + (size_t)j,
				&nslots))
			return TRAWL_ENOMEM;
	}
	uint32_t sum = 0;
	for (size_t s = 0; s < nslots; s++) {
		m->slot_start[s] = sum;
		sum += m->slot_count[s];
	}
	for (size_t i = 0; i < n; i++)
		m->scatter[m->slot_start[m->tok_slot[i]]++] = pos[i];
	for (long j = 0; j < npairs; j++)
		m->scatter[m->slot_start[m->tok_slot[n + (size_t)j]]++] =
			m->pair_pos[j];
	/* encode each term's posting; slot_start now points at its end */
	for (size_t s = 0; s < nslots; s++) {
		mterm *t = &m->terms[m->slot_term[s]];
		uint32_t cnt = m->slot_count[s];
		const uint32_t *p = m->scatter + m->slot_start[s] - cnt;
		size_t need = 16 + (size_t)cnt * 5; /* append() reads 16 */
		if (need > m->enc_cap) {
			size_t cap = m->enc_cap ? m->enc_cap : 1024;
			while (cap < need)
				cap *= 2;
			uint8_t *e = realloc(m->enc, cap);
			if (!e)
				return TRAWL_ENOMEM;
			m->enc = e;
			m->enc_cap = cap;
		}
		uint32_t tft = 0;
		while (tft < cnt && !POS_FIELD(p[tft]))
			tft++;
		uint8_t *o = m->enc;
		size_t k = put_varint(o, docno - t->prev_doc - 1);
		k += put_varint(o + k, tft);
		k += put_varint(o + k, cnt - tft);
		uint32_t prev = UINT32_MAX;
		for (uint32_t i = 0; i < tft; i++) {
			k += put_varint(o + k, p[i] - prev - 1);
			prev = p[i];
		}
		prev = UINT32_MAX;
		for (uint32_t i = tft; i < cnt; i++) {
			uint32_t v = p[i] & ~POS_BODY;
			k += put_varint(o + k, v - prev - 1);
			prev = v;
		}
		if (append(m, t, o, k))
			return TRAWL_ENOMEM;
		t->prev_doc = docno;
		t->df++;
	}
	m->ndocs++;
	return TRAWL_OK;
}

static int cmp_terms(const void *a, const void *b, void *ctx)
{
	const memindex *m = ctx;
	const mterm *x = &m->terms[*(const uint32_t *)a];
	const mterm *y = &m->terms[*(const uint32_t *)b];
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->str, y->str, n);
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Terms are sorted by their first 8 bytes, big-endian (keysort), which
 * decide most comparisons without a visit to the term's bytes; terms that
 * share them (keysort_ties), by their bytes. */
static int cmp_tied_terms(const void *a, const void *b, void *ctx)
{
	return cmp_terms(&((const keyed *)a)->val, &((const keyed *)b)->val, ctx);
}

static void fput_varint(FILE *f, uint64_t v)
{
	while (v >= 0x80) {
		putc((int)(v | 0x80) & 0xff, f);
		v >>= 7;
	}
	putc((int)v, f);
}

int mi_sort(memindex *m, trawl_error *err)
{
	free(m->order);
	m->order = malloc((m->nterms ? m->nterms : 1) * sizeof *m->order);
	if (!m->order)
		return tr_err(err, TRAWL_ENOMEM, "out of memory sorting terms");
	keyed *keys = malloc((m->nterms ? m->nterms : 1) * sizeof *keys);
	if (!keys)
		return tr_err(err, TRAWL_ENOMEM, "out of memory sorting terms");
	/* a pair word no document of the run had has none to write */
	size_t n = 0;
	for (size_t i = 0; i < m->nterms; i++) {
		const mterm *t = &m->terms[i];
		if (i < m->npw && !t->df)
			continue;
		uint64_t p = 0;
		for (size_t k = 0; k < 8; k++)
			p = p << 8 | (k < t->len ? (uint8_t)t->str[k] : 0);
		keys[n].key = p;
		keys[n].val = (uint32_t)i;
		n++;
	}
	m->nsorted = n;
	keyed *tmp = malloc((m->nterms ? m->nterms : 1) * sizeof *tmp);
	if (!tmp) {
		free(keys);
		return tr_err(err, TRAWL_ENOMEM, "out of memory sorting terms");
	}
	/* terms that share their first 8 bytes: by the rest */
	keysort_ties(keys, tmp, n, cmp_tied_terms, m);
	free(tmp);
	for (size_t i = 0; i < n; i++)
		m->order[i] = keys[i].val;
	free(keys);
	for (size_t i = 0; i < m->nterms; i++) {
		mterm *t = &m->terms[i];
		if (t->tail) /* readers walk slices by their used bytes */
			t->tail->used = t->tail->cap - t->room;
	}
	return TRAWL_OK;
}

size_t mi_nterms(const memindex *m)
{
	return m->nsorted;
}

void mi_term(const memindex *m, size_t i, const char **str, size_t *len,
	     uint32_t *df, uint64_t *nbytes)
{
	const mterm *t = &m->terms[m->order[i]];
	*str = t->str;
	*len = t->len;
	*df = t->df;
	*nbytes = t->nbytes;
}

void mi_weigh(const memindex *m, uint64_t *weights)
{
	for (size_t i = 0; i < m->nterms; i++) {
		const mterm *t = &m->terms[i];
		const uint8_t *s = (const uint8_t *)t->str;
		weights[MI_WEIGHT_KEY(s, t->len)] += t->df;
	}
}

void mi_payload(const memindex *m, size_t i, uint8_t *dst)
{
	for (const slice *s = m->terms[m->order[i]].head; s; s = s->next) {
		memcpy(dst, s->data, s->used);
		dst += s->used;
	}
}

int mi_spill(memindex *m, const char *path, trawl_error *err)
{
	int rc = mi_sort(m, err);
	if (rc)
		return rc;
	char *vbuf = malloc(1 << 20);
	FILE *f = vbuf ? fopen(path, "wbx") : NULL;
	if (!f) {
		int e = vbuf ? errno : ENOMEM;
		free(vbuf);
		return tr_err(err, TRAWL_EIO, "%s: %s", path, strerror(e));
	}
	setvbuf(f, vbuf, _IOFBF, 1 << 20);
	for (size_t i = 0; i < m->nsorted; i++) {
		const mterm *t = &m->terms[m->order[i]];
		fput_varint(f, t->len);
		fwrite(t->str, 1, t->len, f);
		fput_varint(f, t->df);
		fput_varint(f, t->nbytes);
		for (const slice *s = t->head; s; s = s->next)
			fwrite(s->data, 1, s->used, f);
	}
	int bad = ferror(f);
	int e = errno;
	if (fclose(f) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	free(vbuf);
	if (bad) {
		unlink(path);
		return tr_err(err, TRAWL_EIO, "writing %s: %s", path,
			      strerror(e));
	}
	reset(m);
	return TRAWL_OK;
}
