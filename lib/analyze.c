/*
 * analyze.c -- text -> tokens and terms (SPEC section 2): UTF-8 decoding
 * (a bad byte is a separator), per-character normalisation (NFKD, marks
 * removed, full case folding, via utf8proc), tokens of letters and numbers
 * with the inner-apostrophe rule, and Snowball stemming (libstemmer).
 *
 * Use: trawl_analyzer_new, trawl_analyze*, trawl_analyzer_free.  One
 * analyser per thread: it owns a libstemmer object, a token buffer and a
 * cache of stems, and records nothing global.
 *
 * Speed: runs of ASCII letters and digits are lower-cased in a tight loop
 * that never calls utf8proc; other characters go through a small memo of
 * their normalisation; a bounded open-addressing cache maps a normalised
 * token to its stem so repeated words skip libstemmer.  Nothing is
 * allocated per token.
 *
 * It does not number fields or drop tokens: positions count from 0 per
 * call, and a token over TR_MAX_TOKEN_BYTES is passed on with no term.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "analyze.h"
#include "buf.h"
#include "error.h"
#include "hash.h"
#include "hugealloc.h"
#include "tlimits.h"

/* Code points one character normalises to: U+FDFA gives 18, nothing gives
 * more in Unicode 15; the slack covers later tables. */
#define NORM_MAX 32

/* The stem cache starts small, so an analyser used for a few query words
 * stays small, and doubles up to AN_CACHE_ENTRIES * 2 slots (load 1/2). */
#define CACHE_SLOTS_MIN 1024u
#define CACHE_ARENA_MIN 16384u

/* Normalisations remembered per analyser: text in one script repeats a
 * small alphabet, and without the memo utf8proc's lookups take about
 * 40% of the time on non-ASCII text.  Direct-mapped by code point. */
#define MEMO_N 512u
#define MEMO_MAX 4 /* code points kept; longer results are recomputed */

enum { C_SEP, C_WORD, C_APOS };

struct memo {
	uint32_t key;		/* code point + 1; 0: empty */
	int32_t out[MEMO_MAX];
	uint8_t n;
	uint8_t cls[MEMO_MAX];
};

/* One cached stem: token bytes then stem bytes then a NUL in the arena
 * at off.  tok_len 0 marks an empty slot (tokens are never empty).  The
 * token's first 12 bytes are also kept in the slot (as tok_key() words
 * them), so a lookup of a token that short reads one slot and nothing of
 * the arena: the slot's load is the one cache miss a token costs.  32
 * bytes, two to a cache line. */
struct slot {
	uint64_t key0;		/* bytes 0..7 */
	uint32_t hash;
	uint32_t off;
	uint32_t key1;		/* bytes 8..11 */
	uint8_t tok_len;
	uint8_t stem_len;
	uint32_t memo[2];	/* the caller's, see an_token_memo() */
};

_Static_assert(sizeof(struct slot) == 32, "two slots to a cache line");

/* A token's buffer always has TOK_SLACK bytes past the token's first
 * byte (tok_reserve), so its first 16 can be read as two words and the
 * bytes past its end masked off: no branch on the token's length, which
 * differs from one token to the next and was mispredicted about as
 * often. */
#define TOK_SLACK 16

/* The low N bytes of a word, N <= 8. */
static const uint64_t low_bytes[9] = {
	0, 0xff, 0xffff, 0xffffff, 0xffffffff, 0xffffffffffull,
	0xffffffffffffull, 0xffffffffffffffull, ~0ull
};

/* W's bytes 0..7 and 8..15, those past N zero; W has TOK_SLACK bytes. */
static inline void tok_words(const uint8_t *w, size_t n, uint64_t *a,
			     uint64_t *b)
{
	memcpy(a, w, 8);
	memcpy(b, w + 8, 8);
	size_t c = n < 16 ? n : 16;
	*a &= low_bytes[c < 8 ? c : 8];
	*b &= low_bytes[c > 8 ? c - 8 : 0];
}

struct tok_key {
	uint64_t k0;
	uint32_t k1;
};

/* The first 12 bytes of W (N of them, TOK_SLACK readable) as two words;
 * for one N, equal words mean equal bytes. */
static inline struct tok_key tok_key(const uint8_t *w, size_t n)
{
	uint64_t a, b;
	tok_words(w, n, &a, &b);
	return (struct tok_key){ a, (uint32_t)b };
}

/* The stem cache's hash of W (N bytes, TOK_SLACK readable): one round
 * a word over the masked first 16 bytes, the rest (long tokens) as
 * tr_hash_bytes does. */
static inline uint32_t tok_hash(const uint8_t *w, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t a, b, h = k ^ n;
	tok_words(w, n, &a, &b);
	h = (h ^ a) * k;
	h ^= h >> 29;
	h = (h ^ b) * k;
	h ^= h >> 29;
	if (n > 16)
		h ^= tr_hash_bytes(w + 16, n - 16);
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return (uint32_t)h;
}

/* Tokens held back before delivery (see struct held). */
#define HOLD 2

struct trawl_analyzer {
	struct sb_stemmer *stemmer; /* NULL for "none" */
	int fast;		/* ASCII loop and memo on; tests turn off */

	uint8_t *tok;		/* the token being built; NUL-ended on emit */
	size_t tok_cap;
	uint8_t *held[HOLD];	/* tokens emitted but not yet delivered */
	size_t held_cap[HOLD];

	struct slot *slots;	/* nslots, a power of two; NULL when off */
	uint32_t nslots;
	uint32_t nused;
	uint32_t max_entries;	/* 0: no cache */
	struct slot *cur;	/* the slot of the token being emitted */
	uint8_t *arena;
	size_t arena_n, arena_cap;
	an_stats stats;
	struct memo memo[MEMO_N];
};

/* A token is delivered HOLD tokens late: when the HOLD-th after it ends,
 * or at the end of the text.  Its stem cache slot, a cache miss for most
 * tokens (the table is megabytes), is prefetched when it is emitted, so
 * the miss overlaps the scan of the next tokens and the callbacks of the
 * ones before.  Held back by one token, the probe's share of a one-thread
 * build's perf samples fell from 15 % to 4 %; by two rather than one,
 * emit, deliver and the probe together from 19 % to 17 %; by four, no
 * lower. */
struct held {
	size_t n;		/* bytes in its a->held buffer */
	size_t start, end;
	uint32_t pos;
	uint32_t hash;		/* of its bytes, when the cache is on */
};

/* The state of one trawl_analyze call. */
struct scan {
	size_t tok_n;		/* bytes in a->tok; 0 = not in a token */
	int apos;		/* an apostrophe follows the token, pending */
	size_t start, end;	/* the token's bytes in the input */
	uint32_t pos;
	struct held held[HOLD]; /* a ring: held[first], then the next */
	unsigned first, nheld;
	trawl_token_fn fn;
	void *ctx;
};

/* ASCII letters and digits -> their lower case; everything else -> 0.
 * Bytes >= 0x80 are 0 so the fast loop stops at any non-ASCII byte. */
static const uint8_t ascii_word[256] = {
	['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
	['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e',
	['F'] = 'f', ['G'] = 'g', ['H'] = 'h', ['I'] = 'i', ['J'] = 'j',
	['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n', ['O'] = 'o',
	['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't',
	['U'] = 'u', ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y',
	['Z'] = 'z',
	['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e',
	['f'] = 'f', ['g'] = 'g', ['h'] = 'h', ['i'] = 'i', ['j'] = 'j',
	['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n', ['o'] = 'o',
	['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't',
	['u'] = 'u', ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y',
	['z'] = 'z',
};

/* ---- Languages ---------------------------------------------------------- */

/* libstemmer offers 29 algorithms; the bound only guards a future one. */
#define LANG_MAX 126

static const char *lang_list[LANG_MAX + 2];
static pthread_once_t lang_once = PTHREAD_ONCE_INIT;

static void lang_init(void)
{
	const char **l = sb_stemmer_list();
	size_t n = 0;

	while (l && l[n] && n < LANG_MAX) {
		lang_list[n] = l[n];
		n++;
	}
	lang_list[n++] = "none";
	lang_list[n] = NULL;
}

/* Returns libstemmer's algorithm names then "none", NULL-terminated;
 * static, never NULL. */
const char **trawl_languages(void)
{
	pthread_once(&lang_once, lang_init);
	return lang_list;
}

static int lang_known(const char *name)
{
	const char **l;

	for (l = trawl_languages(); *l; l++)
		if (!strcmp(*l, name))
			return 1;
	return 0;
}

/* ---- Analyser ----------------------------------------------------------- */

/* Creates an analyser for LANGUAGE (NULL: "english"; "none": no
 * stemming; any name or alias libstemmer accepts, e.g. "en").  OUT: *out
 * on success only, freed with trawl_analyzer_free.  Returns EINVAL with a
 * message listing the choices for an unknown name, ENOMEM. */
int trawl_analyzer_new(const char *language, trawl_analyzer **out,
		       trawl_error *err)
{
	trawl_analyzer *a;

	*out = NULL;
	if (!language)
		language = "english";
	a = calloc(1, sizeof *a);
	if (!a)
		return tr_err(err, TRAWL_ENOMEM, "analyser: out of memory");
	a->fast = 1;
	a->max_entries = AN_CACHE_ENTRIES;
	if (strcmp(language, "none") != 0) {
		a->stemmer = sb_stemmer_new(language, "UTF_8");
		if (!a->stemmer) {
			/* libstemmer says NULL for both an unknown name and
			 * no memory; a listed name can only mean the latter. */
			int known = lang_known(language);
			free(a);
			if (known)
				return tr_err(err, TRAWL_ENOMEM,
					      "analyser: out of memory "
					      "creating the %s stemmer",
					      language);
			const char **l = trawl_languages();
			int rc = TRAWL_OK;
			buf b;
			buf_init(&b);
			for (size_t i = 0; l[i]; i++)
				buf_printf(&rc, &b, "%s%s", i ? ", " : "",
					   l[i]);
			buf_cstr(&rc, &b);
			tr_err(err, TRAWL_EINVAL,
			       "unknown language \"%.40s\"; choose one of: %s",
			       language, rc ? "(list unavailable)" :
			       (const char *)b.p);
			buf_free(&b);
			return TRAWL_EINVAL;
		}
	}
	int nomem = 0;
	a->tok_cap = 256;
	a->tok = malloc(a->tok_cap);
	nomem |= !a->tok;
	for (int i = 0; i < HOLD; i++) {
		a->held_cap[i] = 256;
		a->held[i] = malloc(a->held_cap[i]);
		nomem |= !a->held[i];
	}
	if (nomem) {
		trawl_analyzer_free(a);
		return tr_err(err, TRAWL_ENOMEM, "analyser: out of memory");
	}
	*out = a;
	return TRAWL_OK;
}

/* Frees A and its stemmer; NULL is a no-op. */
void trawl_analyzer_free(trawl_analyzer *a)
{
	if (!a)
		return;
	sb_stemmer_delete(a->stemmer);
	free(a->tok);
	for (int i = 0; i < HOLD; i++)
		free(a->held[i]);
	tr_free_table(a->slots, (size_t)a->nslots * sizeof *a->slots);
	free(a->arena);
	free(a);
}

/* ---- Stem cache --------------------------------------------------------- */


static void cache_clear(trawl_analyzer *a)
{
	if (a->slots)
		memset(a->slots, 0, (size_t)a->nslots * sizeof *a->slots);
	a->nused = 0;
	a->arena_n = 0;
}

static struct slot *cache_probe(trawl_analyzer *a, uint32_t h,
				struct tok_key k, const uint8_t *w, size_t n)
{
	uint32_t mask = a->nslots - 1, i = h & mask;

	for (;;) {
		struct slot *s = &a->slots[i];
		if (!s->tok_len)
			return s;
		if (s->hash == h && s->tok_len == n && s->key0 == k.k0 &&
		    s->key1 == k.k1 &&
		    (n <= 12 || tr_same_bytes(a->arena + s->off + 12, w + 12,
					      n - 12)))
			return s;
		i = (i + 1) & mask;
	}
}

/* Doubles the table, rehashing from the stored hashes.  On failure the
 * old table stays and the caller clears it instead. */
static int cache_grow(trawl_analyzer *a)
{
	uint32_t ns = a->slots ? a->nslots * 2 : CACHE_SLOTS_MIN;
	struct slot *old = a->slots, *nw;
	uint32_t oldn = a->nslots;

	/* line-aligned, so no slot straddles two lines */
	nw = tr_alloc_table((size_t)ns * sizeof *nw);
	if (!nw)
		return -1;
	memset(nw, 0, (size_t)ns * sizeof *nw);
	a->slots = nw;
	a->nslots = ns;
	for (uint32_t i = 0; i < oldn; i++) {
		if (!old[i].tok_len)
			continue;
		uint32_t j = old[i].hash & (ns - 1);
		while (nw[j].tok_len)
			j = (j + 1) & (ns - 1);
		nw[j] = old[i];
	}
	tr_free_table(old, (size_t)oldn * sizeof *old);
	return 0;
}

/* Stores W (N bytes) -> STEM (SN bytes).  Returns the stored, NUL-ended
 * stem, or NULL when it was not cached (cache off, stem too long, no
 * memory); a full cache is emptied first. */
static const char *cache_put(trawl_analyzer *a, uint32_t h,
			     struct tok_key k, const uint8_t *w, size_t n,
			     const uint8_t *stem, size_t sn)
{
	size_t need = n + sn + 1;

	if (!a->max_entries || sn > UINT8_MAX)
		return NULL;
	if (a->slots && a->nused >= a->max_entries) {
		cache_clear(a);
		a->stats.clears++;
	}
	/* Below max_entries, so growing keeps nslots <= 2 * max_entries. */
	if ((!a->slots || a->nused >= a->nslots / 2) && cache_grow(a) != 0) {
		if (!a->slots)
			return NULL;
		cache_clear(a);
		a->stats.clears++;
	}
	if (a->arena_cap - a->arena_n < need) {
		size_t cap = a->arena_cap ? a->arena_cap * 2 : CACHE_ARENA_MIN;
		uint8_t *p = NULL;
		if (cap <= AN_CACHE_ARENA_MAX)
			p = realloc(a->arena, cap);
		if (p) {
			a->arena = p;
			a->arena_cap = cap;
		} else {
			cache_clear(a);
			a->stats.clears++;
			if (a->arena_cap < need)
				return NULL;
		}
	}
	struct slot *s = cache_probe(a, h, k, w, n);
	s->key0 = k.k0;
	s->key1 = k.k1;
	s->hash = h;
	s->off = (uint32_t)a->arena_n;
	s->tok_len = (uint8_t)n;
	s->stem_len = (uint8_t)sn;
	s->memo[0] = s->memo[1] = 0;
	a->cur = s;
	memcpy(a->arena + a->arena_n, w, n);
	memcpy(a->arena + a->arena_n + n, stem, sn);
	a->arena[a->arena_n + n + sn] = '\0';
	a->arena_n += need;
	a->nused++;
	return (const char *)a->arena + s->off + n;
}

/* OUT: *term, *term_len: the stem of W (N <= 64 bytes, hash H when the
 * cache is on), NUL-terminated, valid until the next call on A.  ENOMEM
 * when libstemmer runs out. */
static int stem(trawl_analyzer *a, const uint8_t *w, size_t n, uint32_t h,
		const char **term, size_t *term_len)
{
	struct tok_key k = tok_key(w, n);

	a->cur = NULL;

	if (a->slots && a->max_entries) {
		struct slot *s = cache_probe(a, h, k, w, n);
		if (s->tok_len) {
			a->cur = s;
			a->stats.hits++;
			*term = (const char *)a->arena + s->off + n;
			*term_len = s->stem_len;
			return TRAWL_OK;
		}
	}
	const sb_symbol *r = sb_stemmer_stem(a->stemmer, w, (int)n);
	if (!r)
		return TRAWL_ENOMEM;
	int rn = sb_stemmer_length(a->stemmer);
	a->stats.misses++;
	const char *c = cache_put(a, h, k, w, n, r, (size_t)rn);
	/* Uncached, libstemmer's own buffer serves: it ends in a NUL and
	 * lives until the next stem call, after the callback. */
	*term = c ? c : (const char *)r;
	*term_len = (size_t)rn;
	return TRAWL_OK;
}

uint32_t *an_token_memo(trawl_analyzer *a)
{
	return a->cur ? a->cur->memo : NULL;
}

/* Fast paths off (ON = 0) or on; see analyze.h. */
void an_set_fast_paths(trawl_analyzer *a, int on)
{
	a->fast = on != 0;
}

/* Empties the stem cache and caps it at MAX_ENTRIES (0: off). */
void an_set_cache_limit(trawl_analyzer *a, uint32_t max_entries)
{
	cache_clear(a);
	a->max_entries = max_entries;
}

/* OUT: *st, the cache counters since A was created. */
void an_get_stats(const trawl_analyzer *a, an_stats *st)
{
	*st = a->stats;
}

/* ---- Characters --------------------------------------------------------- */

/* Decodes one UTF-8 sequence at P (N >= 1 bytes) into *CP.  Returns its
 * length, or 0 when P does not start a well-formed sequence (overlong,
 * surrogate, past U+10FFFF, truncated, stray continuation byte).  The
 * caller then skips one byte as a separator, so a bad lead byte never
 * swallows the valid text behind it. */
static size_t utf8_decode(const uint8_t *p, size_t n, int32_t *cp)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		if (n < 2 || (p[1] & 0xc0) != 0x80)
			return 0;
		*cp = (int32_t)(c & 0x1f) << 6 | (p[1] & 0x3f);
		return 2;
	}
	if (c < 0xf0) {
		if (c == 0xe0)
			lo = 0xa0;	/* overlong below U+0800 */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates U+D800..DFFF */
		if (n < 3 || p[1] < lo || p[1] > hi || (p[2] & 0xc0) != 0x80)
			return 0;
		*cp = (int32_t)(c & 0x0f) << 12 | (int32_t)(p[1] & 0x3f) << 6 |
		      (p[2] & 0x3f);
		return 3;
	}
	if (c < 0xf5) {
		if (c == 0xf0)
			lo = 0x90;	/* overlong below U+10000 */
		else if (c == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
		if (n < 4 || p[1] < lo || p[1] > hi ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		*cp = (int32_t)(c & 0x07) << 18 | (int32_t)(p[1] & 0x3f) << 12 |
		      (int32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		return 4;
	}
	return 0;
}

static size_t utf8_encode(int32_t cp, uint8_t *o)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Normalises CP into OUT (ROOM code points) in SPEC order: NFKD with
 * marks (Mn, Mc, Me) removed, then full case folding.  utf8proc's own
 * combined flags fold first, which turns the iota subscript of ᾳ into a
 * second letter ("αι"); decomposing first strips it as the mark it is.
 * Whatever folding produces is normalised again, so the result is a
 * fixed point (Unicode 15 needs none of this: NFKD has already split İ
 * into I + U+0307 before folding could give i + U+0307).  Returns the
 * count (0: the character vanishes), or -1 if the tables ever outgrow
 * NORM_MAX.
 */
static int norm_cp(int32_t cp, int32_t *out, int room, int depth)
{
	int32_t d[NORM_MAX], f[NORM_MAX];
	int bc = 0, k = 0;
	utf8proc_ssize_t n, m;

	n = utf8proc_decompose_char(cp, d, NORM_MAX, UTF8PROC_COMPAT |
				    UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK,
				    &bc);
	if (n < 0 || n > NORM_MAX)
		return -1;
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		m = utf8proc_decompose_char(d[i], f, NORM_MAX,
					    UTF8PROC_CASEFOLD, &bc);
		if (m < 0 || m > NORM_MAX)
			return -1;
		if (m == 1 && f[0] == d[i]) {
			if (k == room)
				return -1;
			out[k++] = d[i];
			continue;
		}
		if (depth >= 3) {
			/* Deeper than Unicode ever needs: take it as is. */
			for (utf8proc_ssize_t j = 0; j < m; j++) {
				if (k == room)
					return -1;
				out[k++] = f[j];
			}
			continue;
		}
		for (utf8proc_ssize_t j = 0; j < m; j++) {
			int r = norm_cp(f[j], out + k, room - k, depth + 1);
			if (r < 0)
				return -1;
			k += r;
		}
	}
	return k;
}

/* Class of a normalised code point: letters L* and numbers N* make
 * tokens; U+0027 and U+2019 may join two halves of one. */
static int cp_class(int32_t cp)
{
	if (cp == 0x27 || cp == 0x2019)
		return C_APOS;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO:
		return C_WORD;
	default:
		return C_SEP;
	}
}

/* Normalises CP into OUT and CLS (NORM_MAX each) through the memo.
 * Returns the count; a character the tables cannot hold is one
 * separator. */
static int normalize(trawl_analyzer *a, int32_t cp, int32_t *out,
		     uint8_t *cls)
{
	struct memo *m = &a->memo[(uint32_t)cp & (MEMO_N - 1)];
	int k;

	if (a->fast && m->key == (uint32_t)cp + 1) {
		memcpy(out, m->out, sizeof m->out);
		memcpy(cls, m->cls, sizeof m->cls);
		return m->n;
	}
	k = norm_cp(cp, out, NORM_MAX, 0);
	if (k < 0) {
		out[0] = 0xfffd;	/* So: a separator */
		k = 1;
	}
	for (int i = 0; i < k; i++)
		cls[i] = (uint8_t)cp_class(out[i]);
	if (a->fast && k <= MEMO_MAX) {
		m->key = (uint32_t)cp + 1;
		m->n = (uint8_t)k;
		memcpy(m->out, out, (size_t)k * sizeof *out);
		memcpy(m->cls, cls, (size_t)k);
	}
	return k;
}

/* ---- Tokens ------------------------------------------------------------- */

/* Copies the run of ASCII letters and digits at P (before END), lower
 * case, to O, which has room for the run plus 16 bytes; returns the
 * run's length.  Sixteen bytes at a time where sixteen are there: the
 * byte loop's exit, at a different length for every word, was a branch
 * mispredicted a word (a quarter of trawl_analyze's time, perf). */
static size_t ascii_run(const uint8_t *p, const uint8_t *end, uint8_t *o)
{
	const uint8_t *q = p;
#ifdef __SSE2__
	const __m128i bit5 = _mm_set1_epi8(0x20);
	const __m128i a1 = _mm_set1_epi8('a' - 1), z1 = _mm_set1_epi8('z' + 1);
	const __m128i d1 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1);
	while (end - q >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)q);
		/* OR 0x20 folds A-Z onto a-z and leaves digits as they are;
		 * bytes >= 0x80 are negative, so no signed range takes them */
		__m128i low = _mm_or_si128(v, bit5);
		__m128i letter = _mm_and_si128(_mm_cmpgt_epi8(low, a1),
					       _mm_cmplt_epi8(low, z1));
		__m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, d1),
					      _mm_cmplt_epi8(v, d9));
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(letter, digit));
		_mm_storeu_si128((__m128i *)o, low);
		unsigned k = (unsigned)__builtin_ctz(~m); /* bit 16 is 0 */
		o += k;
		q += k;
		if (k < 16)
			return (size_t)(q - p);
	}
#endif
	while (q < end && ascii_word[*q])
		*o++ = ascii_word[*q++];
	return (size_t)(q - p);
}

/* Makes room for NEED bytes in the token buffer, and TOK_SLACK more. */
static int tok_reserve(trawl_analyzer *a, size_t need)
{
	size_t cap = a->tok_cap;
	uint8_t *p;

	need += TOK_SLACK;
	if (need <= cap)
		return TRAWL_OK;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return TRAWL_ENOMEM;
		cap *= 2;
	}
	p = realloc(a->tok, cap);
	if (!p)
		return TRAWL_ENOMEM;
	a->tok = p;
	a->tok_cap = cap;
	return TRAWL_OK;
}

/* Hands the oldest held token, if any, to the callback.  Returns 0 or
 * the stop value. */
static int deliver(trawl_analyzer *a, struct scan *s)
{
	if (!s->nheld)
		return 0;
	unsigned k = s->first;
	struct held *h = &s->held[k];
	const uint8_t *w = a->held[k];
	trawl_token t;
	int rc;

	s->first = (k + 1) % HOLD;
	s->nheld--;
	t.token = (const char *)w;
	t.token_len = h->n;
	a->cur = NULL;
	if (h->n > TR_MAX_TOKEN_BYTES) {
		t.term = NULL;
		t.term_len = 0;
	} else if (!a->stemmer) {
		t.term = t.token;
		t.term_len = t.token_len;
	} else {
		rc = stem(a, w, h->n, h->hash, &t.term, &t.term_len);
		if (rc)
			return rc;
	}
	t.position = h->pos;
	t.byte_start = h->start;
	t.byte_end = h->end;
	return s->fn(s->ctx, &t);
}

/* Delivers every held token, in order. */
static int deliver_all(trawl_analyzer *a, struct scan *s)
{
	int rc = 0;
	while (s->nheld && !rc)
		rc = deliver(a, s);
	return rc;
}

/* Ends the token being built: its stem cache slot is prefetched, the
 * oldest held token delivered if HOLD are, and it is held; a pending
 * apostrophe is dropped (it had no letter after it).  Returns 0 or the
 * stop value. */
static int emit(trawl_analyzer *a, struct scan *s)
{
	uint32_t h = 0;
	int rc;

	s->apos = 0;
	if (a->stemmer && a->max_entries && s->tok_n <= TR_MAX_TOKEN_BYTES) {
		h = tok_hash(a->tok, s->tok_n);
		if (a->slots)
			__builtin_prefetch(&a->slots[h & (a->nslots - 1)]);
	}
	if (s->nheld == HOLD && (rc = deliver(a, s)) != 0)
		return rc;
	if (s->pos == UINT32_MAX)
		return (rc = deliver_all(a, s)) != 0 ? rc : TRAWL_ELIMIT;
	a->tok[s->tok_n] = '\0';
	unsigned k = (s->first + s->nheld) % HOLD;
	uint8_t *b = a->held[k];
	size_t cap = a->held_cap[k];
	a->held[k] = a->tok;
	a->held_cap[k] = a->tok_cap;
	a->tok = b;
	a->tok_cap = cap;
	s->held[k] = (struct held){ .n = s->tok_n, .start = s->start,
				    .end = s->end, .pos = s->pos++,
				    .hash = h };
	s->nheld++;
	s->tok_n = 0;
	return 0;
}

/* Feeds one normalised code point of class CLS that came from input
 * bytes [START, END). */
static int feed(trawl_analyzer *a, struct scan *s, int32_t cp, int cls,
		size_t start, size_t end)
{
	int rc;

	switch (cls) {
	case C_WORD:
		/* apostrophe + up to 4 bytes + the NUL of emit */
		rc = tok_reserve(a, s->tok_n + 6);
		if (rc)
			return rc;
		if (!s->tok_n)
			s->start = start;
		if (s->apos) {
			a->tok[s->tok_n++] = '\'';
			s->apos = 0;
		}
		s->tok_n += utf8_encode(cp, a->tok + s->tok_n);
		s->end = end;
		return 0;
	case C_APOS:
		if (s->tok_n && !s->apos) {
			s->apos = 1;
			return 0;
		}
		/* A second apostrophe, or one with no token before it,
		 * separates. */
		return s->tok_n ? emit(a, s) : 0;
	default:
		return s->tok_n ? emit(a, s) : 0;
	}
}

/* Analyses LEN bytes of TEXT with A, calling FN(CTX, token) for each
 * token in order; the token's strings (both NUL-terminated) and the
 * token itself are valid only during the call, and FN must not use A.
 * Returns TRAWL_OK, FN's first non-zero value (analysis stops there),
 * ENOMEM, ELIMIT past 2^32 - 1 tokens, or EINVAL for NULL A or FN. */
int trawl_analyze(trawl_analyzer *a, const char *text, size_t len,
		  trawl_token_fn fn, void *ctx)
{
	const uint8_t *base = (const uint8_t *)text, *p = base, *end;
	struct scan s = { .fn = fn, .ctx = ctx };
	int32_t norm[NORM_MAX];
	uint8_t cls[NORM_MAX];
	int rc;

	if (!a || !fn || (!text && len))
		return TRAWL_EINVAL;
	if (!len)
		return TRAWL_OK;
	end = base + len;
	while (p < end) {
		uint8_t c = *p;
		if (c < 0x80 && a->fast) {
			if (ascii_word[c]) {
				/* The hot loop: a run of ASCII letters and
				 * digits, lower-cased into the token, room
				 * made for up to 256 bytes of it at a time
				 * (its length is not known yet). */
				if (!s.tok_n)
					s.start = (size_t)(p - base);
				if (s.apos) {
					if ((rc = tok_reserve(a, s.tok_n + 2)))
						return rc;
					a->tok[s.tok_n++] = '\'';
					s.apos = 0;
				}
				for (;;) {
					size_t left = (size_t)(end - p);
					size_t room = left < 256 ? left : 256;
					/* + NUL + ascii_run's 16 */
					rc = tok_reserve(a, s.tok_n + room + 17);
					if (rc)
						return rc;
					size_t k = ascii_run(p, p + room,
							     a->tok + s.tok_n);
					p += k;
					s.tok_n += k;
					if (k < room || room == left)
						break;
				}
				s.end = (size_t)(p - base);
				continue;
			}
			p++;
			if (c == '\'' && s.tok_n && !s.apos) {
				s.apos = 1;
				continue;
			}
			if (s.tok_n && (rc = emit(a, &s)) != 0)
				return rc;
			continue;
		}

		int32_t cp;
		size_t cs = (size_t)(p - base);
		size_t n = utf8_decode(p, (size_t)(end - p), &cp);
		int k;
		if (!n) {
			p++;
			if (s.tok_n && (rc = emit(a, &s)) != 0)
				return rc;
			continue;
		}
		p += n;
		k = normalize(a, cp, norm, cls);
		if (k == 0) {
			/* A lone mark vanishes; after a token's last
			 * letter it still belongs to the token's bytes. */
			if (s.tok_n && !s.apos)
				s.end = cs + n;
			continue;
		}
		for (int i = 0; i < k; i++) {
			rc = feed(a, &s, norm[i], cls[i], cs, cs + n);
			if (rc)
				return rc;
		}
	}
	if (s.tok_n && (rc = emit(a, &s)) != 0)
		return rc;
	return deliver_all(a, &s);
}
