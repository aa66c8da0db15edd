/*
 * trawl.h -- the one public header of libtrawl, a full-text search engine
 * for news collections: a compressed positional inverted index, exact phrase
 * and proximity matching, BM25 ranking and highlighted snippets.
 *
 * Call order:
 *   build:  trawl_builder_new, trawl_builder_add*, trawl_builder_finish,
 *           trawl_builder_free
 *   search: trawl_index_open, (trawl_query_parse, trawl_search,
 *           trawl_hits_*, trawl_doc_get, trawl_snippet)*, trawl_index_close
 *
 * Errors: every fallible function returns TRAWL_OK (0) or a negative
 * TRAWL_E* code, and fills the optional trawl_error (may be NULL) with a
 * message that says where: file, offset, line or column.  The library never
 * exits or aborts on bad input.
 *
 * Threads: an open trawl_index and a parsed trawl_query are read-only and
 * may be shared by any number of threads; every other handle belongs to one
 * thread at a time.  A search may also run on threads of its own
 * (trawl_search_opts.threads), joined before it returns.
 */
#ifndef TRAWL_H
#define TRAWL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRAWL_VERSION "0.1.0"

/* ---- Errors ------------------------------------------------------------ */

enum {
	TRAWL_OK = 0,
	TRAWL_ENOMEM = -1,    /* out of memory */
	TRAWL_EIO = -2,       /* a system call failed (errno in the message) */
	TRAWL_ECORRUPT = -3,  /* an index file is damaged or truncated */
	TRAWL_EVERSION = -4,  /* an index file of another format version */
	TRAWL_ESYNTAX = -5,   /* a query that cannot be parsed */
	TRAWL_EINVAL = -6,    /* a bad argument or option */
	TRAWL_ELIMIT = -7,    /* a hard limit was exceeded */
	TRAWL_EEXIST = -8,    /* the target exists (an index without force) */
	TRAWL_ENOTFOUND = -9, /* no such index, file or document */
	TRAWL_EINPUT = -10,   /* a malformed input document (skippable) */
	TRAWL_ELOCKED = -11   /* another writer holds the index's lock */
};

/* What went wrong, filled by a failing call when the caller passes one. */
typedef struct trawl_error {
	int code;          /* the TRAWL_E* code returned */
	int column;        /* queries: 1-based column in code points, else 0 */
	char message[512]; /* says what and where */
} trawl_error;

/* Static text for a code; never NULL. */
const char *trawl_errstr(int rc);

/* ---- Text analysis (SPEC section 2) ------------------------------------ */

typedef struct trawl_analyzer trawl_analyzer;

/* The stemming algorithms this build offers: libstemmer's, then "none".
 * NULL-terminated, static. */
const char **trawl_languages(void);

/* Creates an analyser for LANGUAGE ("english" when NULL; "none" means no
 * stemming).  OUT: *out, freed with trawl_analyzer_free.  EINVAL for an
 * unknown language. */
int trawl_analyzer_new(const char *language, trawl_analyzer **out,
		       trawl_error *err);
void trawl_analyzer_free(trawl_analyzer *a); /* NULL is a no-op */

/* One token of analysed text.  Pointers are valid only during the
 * callback. */
typedef struct trawl_token {
	const char *token;   /* normalised token (NFKD, marks removed, folded) */
	size_t token_len;
	const char *term;    /* its stem; NULL when the token is over 64 bytes */
	size_t term_len;
	uint32_t position;   /* 0, 1, 2, ... within the text */
	size_t byte_start;   /* the token's bytes in the original text */
	size_t byte_end;
} trawl_token;

/* Returns non-zero to stop the analysis early (that value is returned). */
typedef int (*trawl_token_fn)(void *ctx, const trawl_token *tok);

/* Analyses LEN bytes of UTF-8 TEXT (invalid bytes separate tokens),
 * calling FN for each token in order.  Returns TRAWL_OK, FN's non-zero
 * value, or ENOMEM. */
int trawl_analyze(trawl_analyzer *a, const char *text, size_t len,
		  trawl_token_fn fn, void *ctx);

/* ---- Documents and corpus input (SPEC section 1) ----------------------- */

/* A document; strings need not be NUL-terminated.  NULL title or body
 * means empty; NULL date or source means none.  date is YYYY-MM-DD. */
typedef struct trawl_doc {
	const char *id;
	size_t id_len;
	const char *title;
	size_t title_len;
	const char *body;
	size_t body_len;
	const char *date;
	size_t date_len;
	const char *source;
	size_t source_len;
} trawl_doc;

typedef struct trawl_input trawl_input;

/* Opens a corpus: a .jsonl or .jsonl.gz file (gzip is detected by its
 * magic bytes, not its name), a directory tree of .txt files, or "-" for
 * JSON Lines on standard input.  OUT: *out. */
int trawl_input_open(const char *path, trawl_input **out, trawl_error *err);

/* Reads the next document into *doc (valid until the next call).
 * Returns 1 with a document, 0 at the end, TRAWL_EINPUT for a malformed
 * document (err names file, line and column; the reader has moved past it
 * and the next call goes on), or another negative code for a failure after
 * which the input cannot go on (EIO, a gzip stream cut short: ECORRUPT). */
int trawl_input_next(trawl_input *in, trawl_doc *doc, trawl_error *err);

/* Progress: bytes consumed so far and the total size (0 when unknown,
 * as for a pipe).  For gzip input both count compressed bytes. */
void trawl_input_progress(const trawl_input *in, uint64_t *done,
			  uint64_t *total);
void trawl_input_close(trawl_input *in); /* NULL is a no-op */

/* ---- Building an index ------------------------------------------------- */

typedef struct trawl_builder trawl_builder;

typedef struct trawl_build_opts {
	const char *language;  /* stemmer; default "english" */
	size_t memory_budget;  /* bytes for in-memory postings; default 256 MiB */
	int force;             /* replace an existing index; default 0 */
	int threads;           /* 0 = one per core; 2 or more: documents are
				  analysed on two threads (with 64 MiB of
				  budget or more) and stored ones compressed
				  on a third; the index is the same byte for
				  byte whatever the count */
} trawl_build_opts;

void trawl_build_opts_init(trawl_build_opts *o);

/* Starts building an index at DIR.  Nothing appears at DIR until
 * trawl_builder_finish succeeds; an existing index there is replaced
 * (atomically) only with force, else EEXIST. */
int trawl_builder_new(const char *dir, const trawl_build_opts *o,
		      trawl_builder **out, trawl_error *err);

/* Adds a document (copied).  Returns TRAWL_OK, or 1 when it replaced an
 * earlier document with the same id, or a negative code: TRAWL_EINPUT
 * (skippable: the builder goes on) for a document without an id, with an
 * id over 65535 bytes, a date not YYYY-MM-DD, or more than 64 MiB in all
 * (the limit of a JSON line). */
int trawl_builder_add(trawl_builder *b, const trawl_doc *d, trawl_error *err);

/* Writes the index and moves it into place: the commit point. */
int trawl_builder_finish(trawl_builder *b, trawl_error *err);

/* Frees the builder; without a successful finish, removes every temporary
 * file and leaves DIR as it was.  NULL is a no-op. */
void trawl_builder_free(trawl_builder *b);

/* ---- Updating an index ------------------------------------------------- */

/* A writer adds, replaces and deletes documents of an existing index (or
 * creates one), made visible all at once by a commit.  One writer at a
 * time: a second gets TRAWL_ELOCKED naming the lock file.  Readers opened
 * before a commit keep their snapshot until they close.
 *
 * Merge policy: a segment's level is L when it holds fewer than
 * 1000 * 8^L live documents (and at least 1000 * 8^(L-1)).  After each
 * commit, while the newest segment (level L) and the run of segments just
 * before it whose level is at most L number 8 or more, that run is merged
 * into one segment.  Each level thus holds fewer than 8 segments, and an
 * index of N documents has at most about 8 * (log8(N / 1000) + 2). */
typedef struct trawl_writer trawl_writer;

/* Opens DIR for writing (creating an empty index when there is none;
 * language from O, default english).  Removes temporary files and
 * segments left by a writer that died. */
int trawl_writer_open(const char *dir, const trawl_build_opts *o,
		      trawl_writer **out, trawl_error *err);

/* Adds D; a document with the same id (committed or pending) is replaced.
 * Returns 0, 1 when it replaced one, or a negative code (TRAWL_EINPUT for
 * a document the builder rejects; the writer goes on). */
int trawl_writer_add(trawl_writer *w, const trawl_doc *d, trawl_error *err);

/* Deletes the document with this id.  Returns 1, 0 when there is none,
 * or a negative code. */
int trawl_writer_delete(trawl_writer *w, const char *id, size_t len,
			trawl_error *err);

/* Makes every change since the last commit visible, atomically and
 * durably, then applies the merge policy. */
int trawl_writer_commit(trawl_writer *w, trawl_error *err);

/* Commits, then merges segments until at most MAX_SEGMENTS remain (at
 * least 1), dropping deleted documents for good. */
int trawl_writer_merge(trawl_writer *w, size_t max_segments,
		       trawl_error *err);

/* Closes the writer; changes not committed are discarded.  NULL is a
 * no-op. */
void trawl_writer_close(trawl_writer *w);

/* ---- Opening an index -------------------------------------------------- */

typedef struct trawl_index trawl_index;

/* Opens the index at DIR: maps its files and verifies headers and footers;
 * postings are read (and their checksums verified) only when a query
 * touches them. */
int trawl_index_open(const char *dir, trawl_index **out, trawl_error *err);
void trawl_index_close(trawl_index *ix); /* NULL is a no-op */

/* Figures for `trawl-index stats` and the build summary. */
typedef struct trawl_stats {
	uint64_t docs;           /* live documents */
	uint64_t deleted;        /* replaced or deleted documents still stored */
	uint64_t segments;       /* segments (1 after a build or a full merge) */
	uint64_t terms;          /* distinct terms (summed over segments) */
	uint64_t postings;       /* (term, document) pairs */
	uint64_t positions;      /* (term, document, field, position) tuples */
	uint64_t input_bytes;    /* title+body bytes indexed */
	uint64_t bytes_dict;     /* term dictionary */
	uint64_t bytes_postings; /* doc ids, frequencies and skip data */
	uint64_t bytes_positions;
	uint64_t bytes_docs;     /* per-document lengths and dates */
	uint64_t bytes_store;    /* stored documents */
	uint64_t bytes_total;
	char language[32];
} trawl_stats;

int trawl_index_stats(trawl_index *ix, trawl_stats *st, trawl_error *err);

/* Verifies every checksum and structural invariant of every file.
 * ECORRUPT names the file and offset of the first damage. */
int trawl_index_check(trawl_index *ix, trawl_error *err);

/* The index's analyser language. */
const char *trawl_index_language(const trawl_index *ix);

/* ---- Stored documents -------------------------------------------------- */

/* A document as stored; strings are NUL-terminated, date and source are
 * "" when absent. */
typedef struct trawl_stored {
	uint32_t docno;
	const char *id;
	const char *title;
	const char *body;
	const char *date;
	const char *source;
	size_t id_len, title_len, body_len, date_len, source_len;
} trawl_stored;

/* Reads document DOCNO.  OUT: *out, freed with trawl_stored_free. */
int trawl_doc_get(trawl_index *ix, uint32_t docno, trawl_stored **out,
		  trawl_error *err);
void trawl_stored_free(trawl_stored *d);

/* ---- Queries (SPEC section 3) ------------------------------------------ */

typedef struct trawl_query trawl_query;

/* Parses TEXT with the index's analyser.  ESYNTAX with err->column and a
 * message for a query the language rejects.  OUT: *out. */
int trawl_query_parse(trawl_index *ix, const char *text, trawl_query **out,
		      trawl_error *err);
void trawl_query_free(trawl_query *q);

/* The parsed tree in a readable prefix form, e.g.
 * (AND (PHRASE tren de aragua) (NEAR/10 ...)).  OUT: *out, free() it. */
int trawl_query_describe(const trawl_query *q, char **out);

enum { TRAWL_SORT_SCORE = 0, TRAWL_SORT_DATE = 1 };

typedef struct trawl_search_opts {
	size_t n;           /* hits to return; default 10 */
	size_t offset;      /* hits to skip first; default 0 */
	int sort;           /* TRAWL_SORT_SCORE (default) or TRAWL_SORT_DATE
			       (newest first, then score) */
	const char *since;  /* YYYY-MM-DD inclusive, or NULL; documents */
	const char *until;  /*   without a date fail any date filter */
	int explain;        /* fill trawl_hit.explain */
	int threads;        /* threads one trawl_search may use; default 1,
			       0 = one per core.  A search reading many
			       postings is cut into slices of the documents;
			       the results are the same for any count */
} trawl_search_opts;

void trawl_search_opts_init(trawl_search_opts *o);

typedef struct trawl_hit {
	uint32_t docno;
	double score;
	const char *explain; /* with opts.explain: how the score was made */
} trawl_hit;

typedef struct trawl_hits trawl_hits;

/* Runs Q: the exact count of matches and the top n after offset. */
int trawl_search(trawl_index *ix, const trawl_query *q,
		 const trawl_search_opts *o, trawl_hits **out,
		 trawl_error *err);
uint64_t trawl_hits_total(const trawl_hits *h);  /* exact match count */
size_t trawl_hits_count(const trawl_hits *h);    /* hits returned */
const trawl_hit *trawl_hits_get(const trawl_hits *h, size_t i);
void trawl_hits_free(trawl_hits *h);

/* Counts the matches of Q (date filters and threads of O apply; O may be
 * NULL). */
int trawl_count(trawl_index *ix, const trawl_query *q,
		const trawl_search_opts *o, uint64_t *count, trawl_error *err);

/* Calls FN for every match in document order; a non-zero return stops
 * the walk and is returned. */
typedef int (*trawl_match_fn)(void *ctx, uint32_t docno);
int trawl_foreach_match(trawl_index *ix, const trawl_query *q,
			const trawl_search_opts *o, trawl_match_fn fn,
			void *ctx, trawl_error *err);

/* ---- Snippets and highlighting ----------------------------------------- */

/* A matched token in a stored field. */
typedef struct trawl_match_span {
	int field;           /* 0 title, 1 body */
	uint32_t position;   /* token position in the field */
	size_t byte_start, byte_end;
} trawl_match_span;

typedef struct trawl_snippet_opts {
	size_t words;        /* passage length in tokens; default 30 */
	const char *hl_open; /* put around each match; default "[" and "]" */
	const char *hl_close;
	const char *ellipsis;/* marks cut text; default "…" */
} trawl_snippet_opts;

void trawl_snippet_opts_init(trawl_snippet_opts *o);

/* The best body passage of D for Q (the window with the most distinct
 * matched terms) with matches highlighted, and the highlighted title.
 * OUT: *title and *passage, free() them. */
int trawl_snippet(trawl_index *ix, const trawl_query *q,
		  const trawl_stored *d, const trawl_snippet_opts *o,
		  char **title, char **passage, trawl_error *err);

/* Every token of D that matches a term of Q, title first.  OUT: *out
 * (free() it) and *n. */
int trawl_match_spans(trawl_index *ix, const trawl_query *q,
		      const trawl_stored *d, trawl_match_span **out,
		      size_t *n, trawl_error *err);

#ifdef __cplusplus
}
#endif
#endif /* TRAWL_H */
