/*
 * fts5_bench.c -- SQLite FTS5's side of the benchmark (C API).
 *
 *   fts5_bench index DB INPUT
 *       indexes a JSON Lines corpus (.jsonl or .jsonl.gz) single-threaded.
 *       Documents are read with trawl's own reader (trawl_input_*), so all
 *       engines see exactly the same title and body strings.
 *
 *   fts5_bench stats DB
 *       key=value lines: file size, and the bytes of the stored text
 *       (the %_content table) against the full-text index proper, from
 *       the dbstat virtual table.
 *
 *   fts5_bench query DB -q QUERIES [-r REPS] [-w WARMUP] [-s SAMPLES]
 *       times column 4 of QUERIES.  Output: see benchutil.h.
 *
 * The table is a normal (not contentless) FTS5 table, so it stores the
 * text as trawl does:
 *
 *     CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body,
 *         date UNINDEXED, source UNINDEXED,
 *         tokenize='porter unicode61 remove_diacritics 2')
 *
 * with FTS5's default detail=full (positions on).  Indexing is one
 * transaction of prepared INSERTs, then INSERT ... ('optimize') merges
 * the index into one b-tree segment (as trawl's final merge does) and
 * VACUUM drops the pages that frees; all count as indexing time.  SQLite's durability defaults are kept (trawl
 * and Xapian fsync their indexes too).
 *
 * Each query run binds the MATCH expression to two prepared statements:
 * the top 10 by FTS5's built-in bm25 rank, and COUNT(*) for the exact
 * number of matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "trawl.h"
#include "benchutil.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: fts5_bench index DB INPUT\n"
		"       fts5_bench stats DB\n"
		"       fts5_bench query DB -q QUERIES [-r REPS] [-w WARMUP] [-s SAMPLES]\n");
	return 2;
}

/* Runs SQL that returns no rows; prints the error and returns -1 on failure. */
static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "fts5_bench: %s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* Binds LEN bytes at S (NULL: empty string) as text parameter I. */
static void bind_text(sqlite3_stmt *st, int i, const char *s, size_t len)
{
	sqlite3_bind_text(st, i, s ? s : "", s ? (int)len : 0, SQLITE_STATIC);
}

static int cmd_index(const char *path, const char *input)
{
	trawl_input *in;
	trawl_error err;
	if (trawl_input_open(input, &in, &err) != TRAWL_OK) {
		fprintf(stderr, "fts5_bench: %s\n", err.message);
		return 1;
	}
	unlink(path);
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "fts5_bench: %s: %s\n", path, sqlite3_errmsg(db));
		return 1;
	}
	int rc = 1;
	sqlite3_stmt *ins = NULL;
	unsigned long long ndocs = 0, skipped = 0;
	if (exec(db, "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
		     "date UNINDEXED, source UNINDEXED, "
		     "tokenize='porter unicode61 remove_diacritics 2')") ||
	    exec(db, "BEGIN"))
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO docs(id, title, body, date, source) "
			       "VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "fts5_bench: %s\n", sqlite3_errmsg(db));
		goto out;
	}
	trawl_doc d;
	int r;
	while ((r = trawl_input_next(in, &d, &err)) != 0) {
		if (r == TRAWL_EINPUT) { /* skipped, as trawl-index does */
			skipped++;
			continue;
		}
		if (r < 0) {
			fprintf(stderr, "fts5_bench: %s\n", err.message);
			goto out;
		}
		bind_text(ins, 1, d.id, d.id_len);
		bind_text(ins, 2, d.title, d.title_len);
		bind_text(ins, 3, d.body, d.body_len);
		bind_text(ins, 4, d.date, d.date_len);
		bind_text(ins, 5, d.source, d.source_len);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "fts5_bench: insert: %s\n", sqlite3_errmsg(db));
			goto out;
		}
		sqlite3_reset(ins);
		ndocs++;
	}
	/* 'optimize' leaves the pages of the merged segments free; VACUUM
	 * gives them back, so that the file holds only the index and text. */
	if (exec(db, "INSERT INTO docs(docs) VALUES('optimize')") ||
	    exec(db, "COMMIT") || exec(db, "VACUUM"))
		goto out;
	printf("documents=%llu\nskipped=%llu\n", ndocs, skipped);
	rc = 0;
out:
	sqlite3_finalize(ins);
	sqlite3_close(db);
	trawl_input_close(in);
	return rc;
}

/* Prints the integer result of SQL as "KEY=value". */
static int print_int(sqlite3 *db, const char *key, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "fts5_bench: %s: %s\n", sql, sqlite3_errmsg(db));
		return -1;
	}
	int ok = sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		printf("%s=%lld\n", key, (long long)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	return ok ? 0 : -1;
}

static int cmd_stats(sqlite3 *db)
{
	/* dbstat counts whole pages, so the parts plus the free pages add up
	 * to the file size.  docs_content is the stored text; the rest
	 * (docs_data, docs_idx, docs_docsize, docs_config, the schema) is
	 * the full-text index. */
	int bad = print_int(db, "bytes_total",
			    "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size");
	bad |= print_int(db, "bytes_content",
			 "SELECT sum(pgsize) FROM dbstat WHERE name = 'docs_content'");
	bad |= print_int(db, "bytes_index",
			 "SELECT sum(pgsize) FROM dbstat WHERE name <> 'docs_content'");
	bad |= print_int(db, "bytes_free",
			 "SELECT freelist_count * page_size FROM pragma_freelist_count, pragma_page_size");
	bad |= print_int(db, "docs", "SELECT count(*) FROM docs");
	return bad ? 1 : 0;
}

/* What one query run needs: the two statements, prepared once. */
typedef struct query_ctx {
	sqlite3 *db;
	sqlite3_stmt *top;   /* top 10 by bm25 */
	sqlite3_stmt *count; /* exact count */
} query_ctx;

/* One complete query: top 10 and exact count. */
static int run_query(void *ctx, const char *text, unsigned long long *count)
{
	query_ctx *c = (query_ctx *)ctx;
	int rc = 0;
	volatile sqlite3_int64 sink = 0;
	sqlite3_bind_text(c->top, 1, text, -1, SQLITE_STATIC);
	int r;
	while ((r = sqlite3_step(c->top)) == SQLITE_ROW)
		sink += sqlite3_column_int64(c->top, 0);
	(void)sink;
	if (r != SQLITE_DONE) {
		fprintf(stderr, "fts5: %s: %s\n", text, sqlite3_errmsg(c->db));
		rc = -1;
	}
	sqlite3_reset(c->top);
	if (rc)
		return rc;
	sqlite3_bind_text(c->count, 1, text, -1, SQLITE_STATIC);
	if (sqlite3_step(c->count) == SQLITE_ROW) {
		*count = (unsigned long long)sqlite3_column_int64(c->count, 0);
	} else {
		fprintf(stderr, "fts5: %s: %s\n", text, sqlite3_errmsg(c->db));
		rc = -1;
	}
	sqlite3_reset(c->count);
	return rc;
}

static int cmd_query(sqlite3 *db, int argc, char **argv)
{
	bq_options o = { NULL, NULL, BQ_FTS5, 20, 2 };
	if (bq_parse_args(argc, argv, 3, &o))
		return usage();
	/* Map the file as trawl maps its index, instead of read() into
	 * SQLite's small default page cache. */
	if (exec(db, "PRAGMA mmap_size = 17179869184"))
		return 1;
	query_ctx c = { db, NULL, NULL };
	if (sqlite3_prepare_v2(db, "SELECT rowid FROM docs WHERE docs MATCH ?1 "
			       "ORDER BY rank LIMIT 10", -1, &c.top, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM docs WHERE docs MATCH ?1",
			       -1, &c.count, NULL) != SQLITE_OK) {
		fprintf(stderr, "fts5_bench: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	int rc = bq_main_loop(&o, run_query, &c);
	sqlite3_finalize(c.top);
	sqlite3_finalize(c.count);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "index") == 0 && argc == 4)
		return cmd_index(argv[2], argv[3]);
	sqlite3 *db;
	if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "fts5_bench: %s: %s\n", argv[2], sqlite3_errmsg(db));
		return 1;
	}
	int rc;
	if (strcmp(argv[1], "stats") == 0 && argc == 3)
		rc = cmd_stats(db);
	else if (strcmp(argv[1], "query") == 0)
		rc = cmd_query(db, argc, argv);
	else
		rc = usage();
	sqlite3_close(db);
	return rc;
}
