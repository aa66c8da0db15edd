/*
 * gen.c -- seeded random documents and queries for the differential test.
 *
 * Documents draw from a small vocabulary whose surface forms stem alike
 * (direct/directing/directed), carry apostrophes, accents, ligatures,
 * several-token words (U.S., 18th-century) and tokens around the 64-byte
 * limit, joined by assorted punctuation (and an invalid UTF-8 byte), so
 * that phrases and NEARs often match and often just miss.  Some titles
 * and bodies are empty or NULL, some ids repeat (a replacement), a few
 * bodies are long; a corpus may add filler terms (to make the builder
 * spill and merge) and a family of terms fam00.. whose prefixes expand to
 * a chosen number of terms.
 *
 * Queries are built as onode trees over the whole grammar of SPEC section
 * 3, many of their words taken near one "focus" position of one document,
 * then rendered to text with the brackets precedence needs (and some it
 * does not), sometimes with other Unicode white space; og_invalid breaks a
 * valid query in a way SPEC rejects.
 *
 * Everything depends only on the rng state: a seed replays a run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

uint64_t or_rand(rng *r)
{
	/* splitmix64: tiny, and good enough for test data. */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t or_below(rng *r, uint32_t n)
{
	return n ? (uint32_t)(or_rand(r) % n) : 0;
}

/* Percent chance. */
static int chance(rng *r, uint32_t pct)
{
	return or_below(r, 100) < pct;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "gen: out of memory\n");
		exit(2);
	}
	return p;
}

typedef struct wt {
	const char *text;
	uint32_t weight;
} wt;

#define LONG_X "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
#define ZH16 "жжжжжжжжжжжжжжжж"

/* Surface forms; comments give the stem. */
static const wt vocab[] = {
	{ "direct", 6 }, { "directing", 5 }, { "directed", 4 }, /* direct */
	{ "direction", 2 }, { "Directs", 1 },
	{ "oil", 8 }, { "Oil", 2 }, { "OIL", 1 },               /* oil */
	{ "gas", 7 },
	{ "price", 5 }, { "prices", 5 }, { "priced", 1 },       /* price */
	{ "rate", 5 }, { "rates", 4 },                          /* rate */
	{ "Nicolás", 4 }, { "nicolas", 3 }, { "NICOLÁS", 1 },   /* nicola */
	{ "trump's", 3 }, { "Trump’s", 3 }, { "trump", 2 },     /* trump */
	{ "U.S.", 3 }, { "u.s.", 2 },                           /* u s */
	{ "us", 1 },
	{ "tren", 5 }, { "de", 5 }, { "aragua", 5 },
	{ "the", 7 }, { "of", 6 },               /* pair words (segment.h): */
	{ "in", 3 }, { "a", 3 }, { "and", 2 },   /* their pairs are indexed */
	{ "to", 2 }, { "on", 1 }, { "for", 1 },
	{ "near", 3 }, { "or", 3 }, { "not", 2 },               /* operators
								   in lowercase */
	{ "cut", 4 }, { "cuts", 2 }, { "cutting", 1 },          /* cut */
	{ "bank", 4 }, { "banks", 1 },
	{ "fell", 4 }, { "said", 4 }, { "opec", 3 }, { "OPEC", 1 },
	{ "isn't", 1 }, { "rock'n'roll", 1 }, { "18th-century", 1 },
	{ "Straße", 1 }, { "STRASSE", 1 }, { "ﬁnance", 1 },
	{ "finance", 1 },
	{ LONG_X, 1 },                  /* 70 bytes: a position, no term */
	{ ZH16 ZH16, 1 },               /* 64 bytes: still indexed */
	{ ZH16 ZH16 "ж", 1 },           /* 66 bytes: not indexed */
	{ "echo", 0 },                  /* only in runs (gen_text) */
};
#define RUN_WORD (NVOCAB - 1)
#define NVOCAB (sizeof(vocab) / sizeof(vocab[0]))

static const wt seps[] = {
	{ " ", 40 }, { ", ", 4 }, { ". ", 3 }, { " — ", 1 }, { " (", 1 },
	{ ") ", 1 }, { "-", 2 }, { "/", 1 }, { "\n", 1 }, { " & ", 1 },
	{ "\t", 1 }, { "_", 1 }, { " \xff ", 1 }, { "\xe2\x80\x9c", 1 },
	{ "...", 1 }, { "'", 1 }, { "  ", 1 },
};
#define NSEPS (sizeof(seps) / sizeof(seps[0]))

static uint32_t pick(rng *r, const wt *t, size_t n)
{
	uint32_t total = 0, x;

	for (size_t i = 0; i < n; i++)
		total += t[i].weight;
	x = or_below(r, total);
	for (size_t i = 0; i < n; i++) {
		if (x < t[i].weight)
			return (uint32_t)i;
		x -= t[i].weight;
	}
	return 0;
}

/* ---- Documents ------------------------------------------------------ */

static char *gen_text(rng *r, size_t nwords, uint32_t run_pct, int **words,
		      size_t *len)
{
	size_t cap = 64, n = 0;
	char *s = xmalloc(cap);
	size_t run_at = SIZE_MAX, run_end = 0;

	/* In RUN_PCT % of the long texts one rare word repeats 129 times or
	 * more running: positions whose gaps are all 0, a group of 128 of
	 * them coded in one byte, and phrases and NEARs of a word with
	 * itself over hundreds of occurrences. */
	if (nwords >= 140 && chance(r, run_pct)) {
		run_at = or_below(r, (uint32_t)(nwords - 129));
		run_end = run_at + 129 +
			  or_below(r, (uint32_t)(nwords - run_at - 128));
	}
	*words = xmalloc(nwords * sizeof(int));
	for (size_t i = 0; i <= nwords; i++) {
		const char *parts[2] = { NULL, NULL };

		/* Separator before each word (rarely before the first) and
		 * rarely after the last. */
		if (i > 0 || chance(r, 5))
			parts[0] = seps[pick(r, seps, NSEPS)].text;
		/* inside a run, a plain space: an apostrophe would join
		 * two of its words into one token */
		if (i > run_at && i < run_end)
			parts[0] = " ";
		if (i == nwords && !chance(r, 5))
			parts[0] = NULL;
		if (i < nwords) {
			uint32_t w = i >= run_at && i < run_end
					     ? (uint32_t)RUN_WORD
					     : pick(r, vocab, NVOCAB);

			(*words)[i] = (int)w;
			parts[1] = vocab[w].text;
		}
		for (int p = 0; p < 2; p++) {
			size_t l;

			if (!parts[p])
				continue;
			l = strlen(parts[p]);
			if (n + l + 1 > cap) {
				cap = (n + l + 1) * 2;
				s = realloc(s, cap);
				if (!s)
					exit(2);
			}
			memcpy(s + n, parts[p], l);
			n += l;
		}
	}
	s[n] = '\0';
	*len = n;
	return s;
}

/* Appends JUNK filler tokens to *S (IN/OUT, malloc'd, *LEN bytes):
 * 'q' and four letters, a prefix no generated query has. */
static void add_junk(rng *r, char **s, size_t *len, size_t junk)
{
	char *p = realloc(*s, *len + junk * 6 + 1);

	if (!p)
		exit(2);
	for (size_t i = 0; i < junk; i++) {
		p[(*len)++] = ' ';
		p[(*len)++] = 'q';
		for (int j = 0; j < 4; j++)
			p[(*len)++] = (char)('a' + or_below(r, 26));
	}
	p[*len] = '\0';
	*s = p;
}

void og_corpus(rng *r, size_t ndocs, size_t junk, size_t family,
	       gcorpus *c)
{
	c->ndocs = ndocs;
	c->family = family;
	c->docs = xmalloc(ndocs * sizeof(*c->docs));
	for (size_t i = 0; i < ndocs; i++) {
		gdoc *d = &c->docs[i];
		size_t nt = chance(r, 15) ? 0 : 1 + or_below(r, 8);
		size_t nb = chance(r, 5) ? 0 : 1 + or_below(r, 40);

		/* A few long bodies, for positions past small blocks, and
		 * rarely a very long one. */
		if (chance(r, 2))
			nb = 100 + or_below(r, 200);
		if (or_below(r, 1000) < 3)
			nb = 1000 + or_below(r, 2500);
		/* and now and then a huge one, with a run: its word's
		 * positions then take well under a byte per 64 */
		int huge = or_below(r, 4000) == 0;
		if (huge)
			nb = 12000 + or_below(r, 6000);

		memset(d, 0, sizeof(*d));
		/* Now and then a later document repeats an earlier id and
		 * so replaces it. */
		if (i > 0 && chance(r, 3))
			memcpy(d->id, c->docs[or_below(r, (uint32_t)i)].id,
			       sizeof(d->id));
		else
			snprintf(d->id, sizeof(d->id), "d%04zu", i);
		d->title = gen_text(r, nt, 25, &d->tw, &d->tlen);
		d->ntw = nt;
		d->body = gen_text(r, nb, huge ? 100 : 25, &d->bw, &d->blen);
		d->nbw = nb;
		if (junk)
			add_junk(r, &d->body, &d->blen, junk);
		if (family) {
			char fam[32];
			int l = snprintf(fam, sizeof(fam), " fam%02zu",
					 i % family);
			char *p = realloc(d->body, d->blen + (size_t)l + 1);

			if (!p)
				exit(2);
			memcpy(p + d->blen, fam, (size_t)l + 1);
			d->body = p;
			d->blen += (size_t)l;
		}
		/* NULL title or body means empty (trawl_doc): test it. */
		if (d->tlen == 0 && chance(r, 50)) {
			free(d->title);
			d->title = NULL;
		}
		if (d->blen == 0 && chance(r, 50)) {
			free(d->body);
			d->body = NULL;
		}
	}
}

void og_corpus_free(gcorpus *c)
{
	for (size_t i = 0; i < c->ndocs; i++) {
		free(c->docs[i].title);
		free(c->docs[i].body);
		free(c->docs[i].tw);
		free(c->docs[i].bw);
	}
	free(c->docs);
	c->docs = NULL;
	c->ndocs = 0;
}

/* ---- Queries -------------------------------------------------------- */

/* Generation state: the focus is a run of words of one document field
 * that leaves draw from, so that operands sit near each other. */
typedef struct gq {
	rng *r;
	const gcorpus *c;
	trawl_analyzer *an;
	const int *fw;      /* focus words (vocabulary indexes) */
	size_t nfw;
	size_t at;          /* focus position */
} gq;

static const char *focus_word(gq *g, int spread)
{
	size_t lo, hi, p;

	if (g->nfw == 0 || chance(g->r, 30))
		return vocab[pick(g->r, vocab, NVOCAB)].text;
	lo = g->at > (size_t)spread ? g->at - (size_t)spread : 0;
	hi = g->at + (size_t)spread < g->nfw ? g->at + (size_t)spread
					     : g->nfw - 1;
	p = lo + or_below(g->r, (uint32_t)(hi - lo + 1));
	return vocab[g->fw[p]].text;
}

/* Copies at most N code points of S. */
static char *utf8_head(const char *s, size_t n)
{
	size_t i = 0;

	while (s[i] && n > 0) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		n--;
	}
	char *d = xmalloc(i + 1);

	memcpy(d, s, i);
	d[i] = '\0';
	return d;
}

static const char *const specials[] = {
	"oil,gas", "de-aragua", "u.s.", "near/3", "zebra", LONG_X,
	"Title:oil", "tren.de", "‘oil’", "cut!", "oil…",
};
#define NSPECIALS (sizeof(specials) / sizeof(specials[0]))

/* Text put inside quotes as text, not syntax (SPEC 3.1 Quotes). */
static const char *const quoted_syntax[] = {
	"OR", "NEAR", "-de", "title:oil", "tr*", "(gas)", "AND", "NEAR/2",
};
#define NQSYNTAX (sizeof(quoted_syntax) / sizeof(quoted_syntax[0]))

static onode *g_phrase(gq *g)
{
	size_t n = 2 + or_below(g->r, 3), len = 0;
	char buf[1024];
	onode *leaf;

	buf[0] = '\0';
	/* Consecutive words of the focus, so the phrase matches there;
	 * sometimes one word swapped or syntax text mixed in. */
	if (g->nfw && chance(g->r, 75)) {
		size_t start = g->at + n <= g->nfw ? g->at
						    : (g->nfw > n ? g->nfw - n : 0);

		for (size_t i = 0; i < n && start + i < g->nfw; i++) {
			const char *w = vocab[g->fw[start + i]].text;

			if (chance(g->r, 12))
				w = vocab[pick(g->r, vocab, NVOCAB)].text;
			if (chance(g->r, 4))
				w = quoted_syntax[or_below(g->r, NQSYNTAX)];
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s%s", i ? (chance(g->r, 10) ? ", " : " ") : "", w);
		}
	} else {
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
						"%s%s", i ? " " : "",
						focus_word(g, 4));
	}
	leaf = on_leaf(O_PHRASE, buf);
	leaf->style = chance(g->r, 25); /* 1: “ ” */
	return leaf;
}

static onode *g_prefix(gq *g)
{
	for (int tries = 0; tries < 20; tries++) {
		const char *w = focus_word(g, 6);
		char *head = utf8_head(w, 1 + or_below(g->r, 5));
		onode *leaf;

		/* The text before * must be one token (SPEC 3.1). */
		if (oracle_ntokens(g->an, head, NULL) != 1) {
			free(head);
			continue;
		}
		leaf = on_leaf(O_PREFIX, head);
		free(head);
		return leaf;
	}
	return on_leaf(O_PREFIX, "di");
}

/* A leaf that is never ignored: it has at least one token. */
static onode *g_leaf(gq *g)
{
	uint32_t x = or_below(g->r, 100);
	onode *n;

	if (g->c->family && chance(g->r, 4)) {
		char fam[32];

		/* fam* expands to the whole family, fam1* to ten. */
		if (chance(g->r, 50)) {
			n = on_leaf(O_PREFIX, chance(g->r, 50) ? "fam" : "fa");
		} else if (chance(g->r, 50)) {
			snprintf(fam, sizeof(fam), "fam%u", or_below(g->r, 13));
			n = on_leaf(O_PREFIX, fam);
		} else {
			snprintf(fam, sizeof(fam), "fam%02u",
				 or_below(g->r, (uint32_t)g->c->family + 2));
			n = on_leaf(O_WORD, fam);
		}
		return n;
	}

	if (x < 50)
		return on_leaf(O_WORD, focus_word(g, 5));
	if (x < 72)
		return g_phrase(g);
	if (x < 88)
		return g_prefix(g);
	if (x < 96)
		return on_leaf(O_WORD, specials[or_below(g->r, NSPECIALS)]);
	/* A quoted single word is that word. */
	n = on_leaf(O_PHRASE, focus_word(g, 5));
	n->style = chance(g->r, 50);
	return n;
}

static int g_field(gq *g)
{
	return chance(g->r, 50) ? OF_TITLE : OF_BODY;
}

static onode *g_near(gq *g, int depth);

/* An operand of NEAR/ADJ (SPEC 3): a word, prefix, phrase, a field
 * restriction of those, a group of OR-ed such operands (restricted or
 * not), or another NEAR/ADJ. */
static onode *g_nop(gq *g, int depth)
{
	uint32_t x = or_below(g->r, 100);
	onode *n;

	if (depth <= 0 || x < 55) {
		n = g_leaf(g);
		if (chance(g->r, 5))
			n->paren = 1;
		return n;
	}
	if (x < 68) {
		n = on_field(g_field(g), g_leaf(g));
		/* title:(body:x) matches nothing; rarely. */
		if (chance(g->r, 5))
			n = on_field(g_field(g), n);
		return n;
	}
	if (x < 88) {
		size_t k = chance(g->r, 8) ? 4 + or_below(g->r, 9)
					   : 2 + or_below(g->r, 2);

		n = on_new(O_OR);
		for (size_t i = 0; i < k; i++)
			on_add(n, g_nop(g, depth - 1));
		if (chance(g->r, 40))
			n = on_field(g_field(g), n);
		return n;
	}
	n = g_near(g, depth - 1);
	if (chance(g->r, 30))
		n = on_field(g_field(g), n);
	return n;
}

static onode *g_near(gq *g, int depth)
{
	size_t links;
	onode *n;

	if (depth <= 0 || chance(g->r, 45))
		return g_nop(g, depth);
	links = chance(g->r, 25) ? 2 : 1;
	n = g_nop(g, depth - 1);
	for (size_t i = 0; i < links; i++) {
		okind kind = chance(g->r, 40) ? O_ADJ : O_NEAR;
		uint32_t style = or_below(g->r, 20);
		uint64_t k;

		/* style 0: bare NEAR (k = 10); 1: NEAR/0k; 2: a k past
		 * any field (saturates); else NEAR/k, k mostly small. */
		if (style >= 3)
			style = 3;
		if (style == 0)
			k = 10;
		else if (style == 2)
			k = UINT64_MAX;
		else
			k = chance(g->r, 80) ? or_below(g->r, 6)
					     : or_below(g->r, 14);
		n = on_bin(kind, k, n, g_nop(g, depth - 1));
		n->style = (int)style;
	}
	return n;
}

static onode *g_or(gq *g, int depth);

/* A member of an AND list: a NEAR-level expression, or a group. */
static onode *g_member(gq *g, int depth)
{
	uint32_t x = or_below(g->r, 100);
	onode *n;

	if (depth <= 0 || x < 65)
		return g_near(g, depth);
	n = g_or(g, depth - 1);
	n->paren = 1;
	if (x < 85)
		n = on_field(g_field(g), n);
	return n;
}

static onode *g_and(gq *g, int depth)
{
	size_t k, pos;
	onode *n;

	if (depth <= 0 || chance(g->r, 55))
		return g_member(g, depth);
	k = 2 + or_below(g->r, 3);
	pos = or_below(g->r, (uint32_t)k);
	n = on_new(O_AND);
	for (size_t i = 0; i < k; i++) {
		onode *m = g_member(g, depth - 1);

		/* At least one positive member (SPEC 3.1 Negation). */
		if (i != pos && chance(g->r, 35))
			m->neg = 1;
		/* How the member is joined, see render(). */
		m->sep = (int)or_below(g->r, 4);
		on_add(n, m);
	}
	/* A member with no token is ignored like punctuation. */
	if (chance(g->r, 6)) {
		onode *v = chance(g->r, 50) ? on_leaf(O_WORD, "&")
					    : on_leaf(O_PHRASE, "");

		v->sep = 0; /* joined by a space, not AND */
		on_add(n, v);
	}
	return n;
}

static onode *g_or(gq *g, int depth)
{
	size_t k;
	onode *n;

	if (depth <= 0 || chance(g->r, 70))
		return g_and(g, depth);
	/* Now and then a wide OR, as a long synonym list would be. */
	k = chance(g->r, 8) ? 4 + or_below(g->r, 13) : 2 + or_below(g->r, 2);
	n = on_new(O_OR);
	for (size_t i = 0; i < k; i++)
		on_add(n, g_and(g, depth - 1));
	return n;
}

onode *og_query(rng *r, const gcorpus *c, trawl_analyzer *an)
{
	gq g = { .r = r, .c = c, .an = an };

	if (c->ndocs) {
		const gdoc *d = &c->docs[or_below(r, (uint32_t)c->ndocs)];

		if (d->ntw && (chance(r, 30) || !d->nbw)) {
			g.fw = d->tw;
			g.nfw = d->ntw;
		} else {
			g.fw = d->bw;
			g.nfw = d->nbw;
		}
		g.at = g.nfw ? or_below(r, (uint32_t)g.nfw) : 0;
	}
	return g_or(&g, 1 + (int)or_below(r, 4));
}

/* ---- Rendering ------------------------------------------------------ */

typedef struct sbuf {
	char *p;
	size_t n, cap;
} sbuf;

static void put(sbuf *b, const char *s)
{
	size_t len = strlen(s);

	if (b->n + len + 1 > b->cap) {
		b->cap = (b->n + len + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			exit(2);
	}
	memcpy(b->p + b->n, s, len + 1);
	b->n += len;
}

/* Binding strength (SPEC 3.1 Levels): OR loosest, then the AND/NOT
 * level, then NEAR/ADJ, then field restrictions and leaves. */
static int level(const onode *n)
{
	switch (n->kind) {
	case O_OR:
		return 1;
	case O_AND:
		return 2;
	case O_NEAR:
	case O_ADJ:
		return 3;
	default:
		return 4;
	}
}

/* Writes N where the context needs binding strength NEED or more. */
static void render(sbuf *b, const onode *n, int need)
{
	int paren = n->paren || level(n) < need;
	char num[64];

	if (paren)
		put(b, "(");
	switch (n->kind) {
	case O_WORD:
		put(b, n->text);
		break;
	case O_PHRASE:
		put(b, n->style ? "“" : "\"");
		put(b, n->text);
		put(b, n->style ? "”" : "\"");
		break;
	case O_PREFIX:
		put(b, n->text);
		put(b, "*");
		break;
	case O_FIELD:
		put(b, n->field == OF_TITLE ? "title:" : "body:");
		/* A field's operand is a leaf or a bracketed group; a nested
		 * field gets brackets too: title:(body:x). */
		render(b, n->kids[0], n->kids[0]->kind == O_FIELD ? 5 : 4);
		break;
	case O_OR:
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				put(b, " OR ");
			render(b, n->kids[i], 2);
		}
		break;
	case O_AND:
		for (size_t i = 0; i < n->nkids; i++) {
			const onode *k = n->kids[i];
			static const char *const neg_sep[] = {
				" -", " NOT ", " AND NOT ", " AND -"
			};

			if (i == 0)
				put(b, k->neg ? "-" : "");
			else if (k->neg)
				put(b, neg_sep[k->sep & 3]);
			else
				put(b, (k->sep & 1) ? " AND " : " ");
			/* The operand of - and NOT is NEAR-level:
			 * -a NEAR b is NOT (a NEAR b). */
			render(b, k, 3);
		}
		break;
	case O_NEAR:
	case O_ADJ:
		/* Left to right: a NEAR chain on the left needs no
		 * brackets, one on the right does. */
		render(b, n->kids[0], 3);
		put(b, n->kind == O_NEAR ? " NEAR" : " ADJ");
		if (n->style == 1)
			snprintf(num, sizeof(num), "/0%llu ",
				 (unsigned long long)n->k);
		else if (n->style == 2)
			snprintf(num, sizeof(num),
				 "/123456789012345678901234567890 ");
		else if (n->style == 3)
			snprintf(num, sizeof(num), "/%llu ",
				 (unsigned long long)n->k);
		else
			snprintf(num, sizeof(num), " ");
		put(b, num);
		render(b, n->kids[1], 4);
		break;
	}
	if (paren)
		put(b, ")");
}

char *og_render(const onode *n)
{
	sbuf b = { 0 };

	put(&b, "");
	render(&b, n, 1);
	return b.p;
}

void og_respace(rng *r, char **text)
{
	/* Unicode White_Space other than U+0020 (SPEC 3.1 Words). */
	static const char *const ws[] = {
		"\t", "\n", "  ", "\xe3\x80\x80", "\xc2\xa0", "\xe2\x80\x83",
	};
	sbuf b = { 0 };
	int on = chance(r, 10);

	if (!on)
		return;
	put(&b, "");
	for (const char *p = *text; *p; p++) {
		char one[2] = { *p, '\0' };

		put(&b, *p == ' ' ? ws[or_below(r, sizeof(ws) / sizeof(ws[0]))]
				  : one);
	}
	free(*text);
	*text = b.p;
}

/* Breakages each of which SPEC 3 rejects whatever valid query V is. */
static const char *const broken[] = {
	"%s OR", "%s NEAR", "NEAR %s", "ADJ/2 %s", "%s AND", "%s NOT",
	"(%s", "%s)", "%s \"oil", "%s “oil\"", "-(%s)", "%s OR -oil",
	"%s (-oil)", "%s NEAR/x oil", "%s NEAR/ oil", "%s NEAR/-1 oil",
	"%s NEAR/5b oil", "%s ADJ/1.5 oil", "%s ()", "%s NEAR &",
	"%s --oil", "%s NOT -oil", "%s - oil", "%s title: oil",
	"%s title:-oil", "%s *", "%s U.S*", "%s &*", "%s title:",
	"%s (oil gas) NEAR prices", "%s oil NEAR (gas -de)", "%s OR ()",
	"%s AND OR oil", "%s OR OR oil", "%s NEAR NEAR oil", "%s ))",
	"(%s))", "%s (oil OR)", "%s (OR oil)",
};
#define NBROKEN (sizeof(broken) / sizeof(broken[0]))

static const char *const broken_alone[] = {
	"", " ", "&", "\"\"", "“”", "()", "(())", "-oil", "NOT oil",
	"oil OR", "*", "title:", "-(oil gas)", "oil NEAR/",
};
#define NBROKEN_ALONE (sizeof(broken_alone) / sizeof(broken_alone[0]))

char *og_invalid(rng *r, const char *valid)
{
	const char *fmt;
	size_t n;
	char *s;

	if (chance(r, 10)) {
		fmt = broken_alone[or_below(r, NBROKEN_ALONE)];
		n = strlen(fmt) + 1;
		s = xmalloc(n);
		memcpy(s, fmt, n);
		return s;
	}
	fmt = broken[or_below(r, NBROKEN)];
	n = strlen(fmt) + strlen(valid) + 1;
	s = xmalloc(n);
	snprintf(s, n, fmt, valid);
	return s;
}
