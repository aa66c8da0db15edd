/*
 * test_ingest.c -- trawl_input_*: JSON Lines files (plain, gzip, cut and
 * corrupt gzip), standard input, memory, .txt directory trees, malformed
 * lines with their file:line:column, and progress figures.  Each test
 * works in a fresh mkdtemp directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ingest.h"
#include "trawl.h"

/* ---- helpers ----------------------------------------------------------- */

typedef struct tmp {
	char dir[64];
	char path[512]; /* scratch for tmp_path */
} tmp;

static int setup(void **state)
{
	tmp *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/test_ingest.XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int teardown(void **state)
{
	tmp *t = *state;
	nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* DIR/REL in a static buffer of T. */
static const char *tmp_path(tmp *t, const char *rel)
{
	snprintf(t->path, sizeof t->path, "%s/%s", t->dir, rel);
	return t->path;
}

/* Writes LEN bytes to DIR/REL, creating parent directories. */
static void put_file(tmp *t, const char *rel, const void *data, size_t len)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", t->dir, rel);
	for (char *s = p + strlen(t->dir) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void put_str(tmp *t, const char *rel, const char *s)
{
	put_file(t, rel, s, strlen(s));
}

/* LEN bytes gzip-compressed into a malloc'd buffer; *out_len its size. */
static unsigned char *gzip_mem(const void *data, size_t len, size_t *out_len)
{
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&zs, len) + 64;
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

static void put_gz(tmp *t, const char *rel, const char *s, size_t *gz_len)
{
	size_t n;
	unsigned char *z = gzip_mem(s, strlen(s), &n);
	put_file(t, rel, z, n);
	if (gz_len)
		*gz_len = n;
	free(z);
}

/* Everything read from an input, copied. */
#define MAXR 64
typedef struct result {
	int ndocs;
	char *id[MAXR], *title[MAXR], *body[MAXR], *date[MAXR], *source[MAXR];
	size_t body_len[MAXR];
	int nerrs;
	char *errs[MAXR];
	int end_rc; /* 0 at the end, or the fatal code */
	char end_msg[512];
} result;

static char *dup_field(const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *d = malloc(n + 1);
	assert_non_null(d);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static void read_all_from(trawl_input *in, result *r)
{
	memset(r, 0, sizeof *r);
	for (;;) {
		trawl_doc d;
		trawl_error e;
		memset(&e, 0, sizeof e);
		int rc = trawl_input_next(in, &d, &e);
		if (rc == 1) {
			int i = r->ndocs++;
			if (i >= MAXR)
				continue; /* counted, not kept */
			r->id[i] = dup_field(d.id, d.id_len);
			r->title[i] = dup_field(d.title, d.title_len);
			r->body[i] = dup_field(d.body, d.body_len);
			r->body_len[i] = d.body_len;
			r->date[i] = dup_field(d.date, d.date_len);
			r->source[i] = dup_field(d.source, d.source_len);
		} else if (rc == TRAWL_EINPUT) {
			assert_int_equal(e.code, TRAWL_EINPUT);
			if (r->nerrs < MAXR)
				r->errs[r->nerrs] = strdup(e.message);
			r->nerrs++;
		} else {
			r->end_rc = rc;
			if (rc) {
				assert_int_equal(e.code, rc);
				strcpy(r->end_msg, e.message);
			}
			return;
		}
	}
}

static void read_all(const char *path, result *r)
{
	trawl_input *in = NULL;
	trawl_error e;
	int rc = trawl_input_open(path, &in, &e);
	if (rc)
		fail_msg("open %s: %s", path, e.message);
	read_all_from(in, r);
	trawl_input_close(in);
}

static void result_free(result *r)
{
	for (int i = 0; i < r->ndocs && i < MAXR; i++) {
		free(r->id[i]);
		free(r->title[i]);
		free(r->body[i]);
		free(r->date[i]);
		free(r->source[i]);
	}
	for (int i = 0; i < r->nerrs && i < MAXR; i++)
		free(r->errs[i]);
}

/* "PATH:LINE:COL: WHAT" */
static void assert_err(tmp *t, const char *msg, const char *rel, int line,
		       int col, const char *what)
{
	char want[1024];
	snprintf(want, sizeof want, "%s/%s:%d:%d: %s", t->dir, rel, line, col,
		 what);
	assert_string_equal(msg, want);
}

static const char three[] =
	"{\"id\":\"d1\",\"title\":\"One\",\"body\":\"first body\","
	"\"date\":\"2020-01-01\",\"source\":\"s\"}\n"
	"{\"id\":\"d2\",\"title\":\"Two\",\"body\":\"second\\nbody\"}\n"
	"{\"id\":\"d3\",\"title\":null,\"body\":null}\n";

static void check_three(result *r)
{
	assert_int_equal(r->end_rc, 0);
	assert_int_equal(r->nerrs, 0);
	assert_int_equal(r->ndocs, 3);
	assert_string_equal(r->id[0], "d1");
	assert_string_equal(r->title[0], "One");
	assert_string_equal(r->body[0], "first body");
	assert_string_equal(r->date[0], "2020-01-01");
	assert_string_equal(r->source[0], "s");
	assert_string_equal(r->id[1], "d2");
	assert_string_equal(r->body[1], "second\nbody");
	assert_null(r->date[1]);
	assert_null(r->source[1]);
	assert_string_equal(r->id[2], "d3");
	assert_null(r->title[2]);
	assert_null(r->body[2]);
}

/* ---- JSON Lines -------------------------------------------------------- */

static void test_plain_jsonl_reads_every_document(void **state)
{
	tmp *t = *state;
	result r;
	put_str(t, "c.jsonl", three);
	read_all(tmp_path(t, "c.jsonl"), &r);
	check_three(&r);
	result_free(&r);
}

static void test_last_line_without_newline_is_read(void **state)
{
	tmp *t = *state;
	result r;
	put_file(t, "c.jsonl", three, strlen(three) - 1);
	read_all(tmp_path(t, "c.jsonl"), &r);
	check_three(&r);
	result_free(&r);
}

static void test_empty_and_blank_files_have_no_documents(void **state)
{
	tmp *t = *state;
	result r;
	put_str(t, "e.jsonl", "");
	read_all(tmp_path(t, "e.jsonl"), &r);
	assert_int_equal(r.ndocs + r.nerrs + r.end_rc, 0);
	result_free(&r);
	put_str(t, "b.jsonl", "\n \n\t\r\n\r\n   ");
	read_all(tmp_path(t, "b.jsonl"), &r);
	assert_int_equal(r.ndocs + r.nerrs + r.end_rc, 0);
	result_free(&r);
}

/* Gzip is told by its magic bytes, whatever the file is called. */
static void test_gzip_jsonl_reads_like_plain(void **state)
{
	tmp *t = *state;
	result r;
	put_gz(t, "c.jsonl.gz", three, NULL);
	read_all(tmp_path(t, "c.jsonl.gz"), &r);
	check_three(&r);
	result_free(&r);
	put_gz(t, "named-plain.jsonl", three, NULL);
	read_all(tmp_path(t, "named-plain.jsonl"), &r);
	check_three(&r);
	result_free(&r);
}

/* `cat a.gz b.gz` is one valid gzip file of two members. */
static void test_gzip_members_are_concatenated(void **state)
{
	tmp *t = *state;
	size_t n1, n2;
	const char *a = "{\"id\":\"a\"}\n", *b = "{\"id\":\"b\"}\n";
	unsigned char *z1 = gzip_mem(a, strlen(a), &n1);
	unsigned char *z2 = gzip_mem(b, strlen(b), &n2);
	unsigned char *z = malloc(n1 + n2 + 5);
	assert_non_null(z);
	memcpy(z, z1, n1);
	memcpy(z + n1, z2, n2);
	put_file(t, "m.gz", z, n1 + n2);
	result r;
	read_all(tmp_path(t, "m.gz"), &r);
	assert_int_equal(r.end_rc, 0);
	assert_int_equal(r.ndocs, 2);
	assert_string_equal(r.id[1], "b");
	result_free(&r);
	/* bytes after the last member that are not gzip are ignored, as
	 * gzip -d does */
	memcpy(z + n1 + n2, "\0\0\0\0\n", 5);
	put_file(t, "g.gz", z, n1 + n2 + 5);
	read_all(tmp_path(t, "g.gz"), &r);
	assert_int_equal(r.end_rc, 0);
	assert_int_equal(r.ndocs, 2);
	result_free(&r);
	free(z1);
	free(z2);
	free(z);
}

/* Many lines, so a cut stream has delivered some documents first. */
static char *many_lines(int n)
{
	char *s = malloc((size_t)n * 80 + 1);
	assert_non_null(s);
	size_t k = 0;
	for (int i = 0; i < n; i++)
		k += (size_t)sprintf(s + k,
				     "{\"id\":\"doc%d\",\"body\":\"text %d "
				     "%x words\"}\n", i, i, i * 7919);
	return s;
}

static void test_gzip_cut_short_is_corrupt(void **state)
{
	tmp *t = *state;
	char *s = many_lines(20000);
	size_t n;
	unsigned char *z = gzip_mem(s, strlen(s), &n);
	/* cut in the middle of the deflate data, and inside the trailer */
	size_t cuts[2] = { n / 2, n - 4 };
	for (int c = 0; c < 2; c++) {
		put_file(t, "cut.gz", z, cuts[c]);
		trawl_input *in;
		trawl_error e;
		assert_int_equal(trawl_input_open(tmp_path(t, "cut.gz"), &in,
						  &e), TRAWL_OK);
		ingest_set_limits(in, 0, 4096);
		result r;
		read_all_from(in, &r);
		assert_int_equal(r.end_rc, TRAWL_ECORRUPT);
		assert_non_null(strstr(r.end_msg, tmp_path(t, "cut.gz")));
		assert_non_null(strstr(r.end_msg, "cut short"));
		/* complete lines before the cut were delivered; none after */
		assert_true(r.ndocs > 0);
		assert_true(c == 1 ? r.ndocs == 20000 : r.ndocs < 20000);
		/* the input cannot go on: the same error again */
		trawl_doc d;
		assert_int_equal(trawl_input_next(in, &d, &e),
				 TRAWL_ECORRUPT);
		assert_string_equal(e.message, r.end_msg);
		result_free(&r);
		trawl_input_close(in);
	}
	free(s);
	free(z);
}

/* Reads N bytes at Z from memory, CHUNK bytes at a time: the documents,
 * errors and final code in *counts (docs, errors, end code). */
static void read_mem_counts(const unsigned char *z, size_t n, size_t chunk,
			    int counts[3])
{
	trawl_input *in;
	trawl_error e;
	assert_int_equal(ingest_open_mem(z, n, "mem", &in, &e), TRAWL_OK);
	ingest_set_limits(in, 0, chunk);
	result r;
	read_all_from(in, &r);
	counts[0] = r.ndocs;
	counts[1] = r.nerrs;
	counts[2] = r.end_rc;
	result_free(&r);
	trawl_input_close(in);
}

/* Fuzzer find: read in 1-byte pieces, a cut stream lost the output inflate
 * still held when the input ran out.  Every read size must deliver the
 * same lines before ECORRUPT. */
static void test_gzip_cut_delivers_same_lines_for_any_read_size(void **state)
{
	(void)state;
	char *s = many_lines(300);
	size_t n;
	unsigned char *z = gzip_mem(s, strlen(s), &n);
	for (size_t cut = 20; cut < n; cut += n / 37) {
		int c[2][3];
		for (int k = 0; k < 2; k++) {
			read_mem_counts(z, cut, k ? 1 : 65536, c[k]);
			assert_int_equal(c[k][2], TRAWL_ECORRUPT);
		}
		assert_int_equal(c[0][0], c[1][0]);
		assert_int_equal(c[0][1], c[1][1]);
	}
	free(s);
	free(z);
}

/* Fuzzer find: fed a few bytes at a time, or given little room, the gzip
 * decoder works in buffers of its own and drops what they hold when it
 * meets damage, so the lines delivered before ECORRUPT depended on the
 * read size. */
static void test_gzip_damage_delivers_same_lines_for_any_read_size(void **state)
{
	(void)state;
	char *s = many_lines(300);
	size_t n;
	unsigned char *z = gzip_mem(s, strlen(s), &n);
	int differed = 0;
	for (size_t at = 12; at < n - 8; at += n / 41) {
		z[at] ^= 0x5b;
		int c[3][3];
		static const size_t sizes[3] = { 1, 7, 65536 };
		for (int k = 0; k < 3; k++)
			read_mem_counts(z, n, sizes[k], c[k]);
		z[at] ^= 0x5b;
		for (int k = 1; k < 3; k++)
			for (int j = 0; j < 3; j++)
				assert_int_equal(c[k][j], c[0][j]);
		/* the damage is found (CRC at the latest) and cost lines */
		assert_int_equal(c[0][2], TRAWL_ECORRUPT);
		differed += c[0][0] < 300;
	}
	assert_true(differed > 0);
	free(s);
	free(z);
}

static void test_gzip_damaged_data_is_corrupt(void **state)
{
	tmp *t = *state;
	char *s = many_lines(5000);
	size_t n;
	unsigned char *z = gzip_mem(s, strlen(s), &n);
	for (size_t i = n / 3; i < n / 3 + 64; i++)
		z[i] ^= 0x5a;
	put_file(t, "bad.gz", z, n);
	result r;
	read_all(tmp_path(t, "bad.gz"), &r);
	assert_int_equal(r.end_rc, TRAWL_ECORRUPT);
	assert_non_null(strstr(r.end_msg, tmp_path(t, "bad.gz")));
	assert_non_null(strstr(r.end_msg, "corrupt gzip data"));
	result_free(&r);
	free(s);
	free(z);
}

static void test_byte_order_mark_is_ignored(void **state)
{
	tmp *t = *state;
	result r;
	put_str(t, "bom.jsonl", "\xef\xbb\xbf{\"id\":\"a\"}\n{\"id\":\"b\"}\n");
	read_all(tmp_path(t, "bom.jsonl"), &r);
	assert_int_equal(r.ndocs, 2);
	assert_int_equal(r.nerrs, 0);
	assert_string_equal(r.id[0], "a");
	result_free(&r);
	/* columns on the first line still count the mark's 3 bytes; a mark
	 * on a later line is not a mark but a malformed line */
	put_str(t, "bom2.jsonl",
		"\xef\xbb\xbf{\"id\":5}\n\xef\xbb\xbf{\"id\":\"b\"}\n");
	read_all(tmp_path(t, "bom2.jsonl"), &r);
	assert_int_equal(r.ndocs, 0);
	assert_int_equal(r.nerrs, 2);
	assert_err(t, r.errs[0], "bom2.jsonl", 1, 10,
		   "\"id\" must be a string");
	assert_err(t, r.errs[1], "bom2.jsonl", 2, 1,
		   "expected '{' at the start of a document");
	result_free(&r);
	/* in gzip too */
	put_gz(t, "bom.gz", "\xef\xbb\xbf{\"id\":\"a\"}\n", NULL);
	read_all(tmp_path(t, "bom.gz"), &r);
	assert_int_equal(r.ndocs, 1);
	result_free(&r);
}

static void test_crlf_line_endings(void **state)
{
	tmp *t = *state;
	result r;
	put_str(t, "crlf.jsonl",
		"{\"id\":\"a\",\"title\":\"T\"}\r\n\r\n{\"id\":\"b\"}\r\n"
		"{\"id\":\"c\"\r\n");
	read_all(tmp_path(t, "crlf.jsonl"), &r);
	assert_int_equal(r.ndocs, 2);
	assert_string_equal(r.title[0], "T");
	assert_string_equal(r.id[1], "b");
	assert_int_equal(r.nerrs, 1);
	/* the \r is not part of the line: the column is just past "c" */
	assert_err(t, r.errs[0], "crlf.jsonl", 4, 10,
		   "expected ',' or '}' in object");
	result_free(&r);
}

static void test_blank_lines_are_skipped_and_counted(void **state)
{
	tmp *t = *state;
	result r;
	put_str(t, "blank.jsonl",
		"\n   \n{\"id\":\"a\"}\n\t \n\n{\"id\":}\n \r\n{\"id\":\"b\"}\n");
	read_all(tmp_path(t, "blank.jsonl"), &r);
	assert_int_equal(r.ndocs, 2);
	assert_int_equal(r.nerrs, 1);
	assert_err(t, r.errs[0], "blank.jsonl", 6, 7,
		   "\"id\" must be a string");
	result_free(&r);
}

/* One line of each malformed class, each between two good lines: each is
 * reported with its line and column and reading goes on. */
static void test_malformed_lines_name_file_line_column(void **state)
{
	tmp *t = *state;
	static const struct {
		const char *line;
		int col;
		const char *what;
	} bad[] = {
		{ "not json", 1, "expected '{' at the start of a document" },
		{ "{\"id\":\"a\" \"title\":\"x\"}", 11,
		  "expected ',' or '}' in object" },
		{ "{\"title\":\"no id\"}", 1, "missing \"id\"" },
		{ "{\"id\":42}", 7, "\"id\" must be a string" },
		{ "{\"id\":\"a\",\"title\":[]}", 19,
		  "\"title\" must be a string or null" },
		{ "{\"id\":\"a\",\"body\":1}", 18,
		  "\"body\" must be a string or null" },
		{ "{\"id\":\"a\",\"date\":true}", 18,
		  "\"date\" must be a string or null" },
		{ "{\"id\":\"a\",\"source\":{}}", 20,
		  "\"source\" must be a string or null" },
		{ "{\"id\":\"a\"} trailing", 12,
		  "unexpected data after the object" },
		{ "{\"id\":\"a\",\"x\":[1,2}", 19,
		  "expected ',' or ']' in array" },
		{ "{\"id\":\"a\\x\"}", 9, "invalid escape in string" },
		{ "{\"id\":\"abc", 7, "unterminated string" },
	};
	size_t nbad = sizeof bad / sizeof *bad;
	char text[4096];
	size_t k = 0;
	for (size_t i = 0; i < nbad; i++)
		k += (size_t)snprintf(text + k, sizeof text - k,
				      "{\"id\":\"ok%zu\"}\n%s\n", i,
				      bad[i].line);
	k += (size_t)snprintf(text + k, sizeof text - k,
			      "{\"id\":\"last\"}\n");
	put_str(t, "bad.jsonl", text);
	result r;
	read_all(tmp_path(t, "bad.jsonl"), &r);
	assert_int_equal(r.end_rc, 0);
	assert_int_equal(r.ndocs, (int)nbad + 1);
	assert_int_equal(r.nerrs, (int)nbad);
	for (size_t i = 0; i < nbad; i++) {
		assert_err(t, r.errs[i], "bad.jsonl", (int)(2 * i + 2),
			   bad[i].col, bad[i].what);
		char want[16];
		snprintf(want, sizeof want, "ok%zu", i);
		assert_string_equal(r.id[i], want);
	}
	assert_string_equal(r.id[nbad], "last");
	result_free(&r);
}

/* A line over the limit is one EINPUT, whether it arrives in one read or
 * in many, ends in a newline or at the end of the file. */
static void test_over_long_line_is_skipped(void **state)
{
	tmp *t = *state;
	char *big = malloc(5000);
	assert_non_null(big);
	int k = sprintf(big, "{\"id\":\"a\"}\n{\"id\":\"big\",\"body\":\"");
	memset(big + k, 'x', 2000);
	k += 2000;
	k += sprintf(big + k, "\"}\n{\"id\":\"b\"}\n{\"id\":\"big2\",\"t\":\"");
	memset(big + k, 'y', 1500);
	k += 1500;
	big[k] = '\0';
	put_str(t, "long.jsonl", big);
	size_t chunks[] = { 1, 7, 100, 1000, 0 };
	for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
		trawl_input *in;
		trawl_error e;
		assert_int_equal(trawl_input_open(tmp_path(t, "long.jsonl"),
						  &in, &e), TRAWL_OK);
		ingest_set_limits(in, 1000, chunks[c]);
		result r;
		read_all_from(in, &r);
		assert_int_equal(r.end_rc, 0);
		assert_int_equal(r.ndocs, 2);
		assert_string_equal(r.id[0], "a");
		assert_string_equal(r.id[1], "b");
		assert_int_equal(r.nerrs, 2);
		assert_err(t, r.errs[0], "long.jsonl", 2, 1001,
			   "line longer than 1000 bytes");
		assert_err(t, r.errs[1], "long.jsonl", 4, 1001,
			   "line longer than 1000 bytes");
		uint64_t done, total;
		trawl_input_progress(in, &done, &total);
		assert_int_equal(done, (uint64_t)k);
		assert_int_equal(total, (uint64_t)k);
		result_free(&r);
		trawl_input_close(in);
	}
	free(big);
}

/* Lines of 100 KB and more grow the buffer, read in small pieces too. */
static void test_long_lines_grow_the_buffer(void **state)
{
	tmp *t = *state;
	size_t n = 150000;
	char *s = malloc(3 * n + 200);
	assert_non_null(s);
	size_t k = 0;
	for (int d = 0; d < 3; d++) {
		k += (size_t)sprintf(s + k, "{\"id\":\"L%d\",\"body\":\"", d);
		for (size_t i = 0; i < n / 2; i++) {
			memcpy(s + k, i % 50 ? "w " : "\\n", 2);
			k += 2;
		}
		k += (size_t)sprintf(s + k, "\"}\n");
	}
	s[k] = '\0';
	put_str(t, "big.jsonl", s);
	put_gz(t, "big.gz", s, NULL);
	const char *names[] = { "big.jsonl", "big.gz" };
	for (int f = 0; f < 2; f++) {
		for (int c = 0; c < 2; c++) {
			trawl_input *in;
			trawl_error e;
			assert_int_equal(trawl_input_open(tmp_path(t, names[f]),
							  &in, &e), TRAWL_OK);
			if (c)
				ingest_set_limits(in, 0, 333);
			result r;
			read_all_from(in, &r);
			assert_int_equal(r.end_rc, 0);
			assert_int_equal(r.ndocs, 3);
			assert_int_equal(r.body_len[2], n - n / 100);
			result_free(&r);
			trawl_input_close(in);
		}
	}
	free(s);
}

static void test_escapes_surrogates_and_raw_bytes(void **state)
{
	tmp *t = *state;
	result r;
	put_str(t, "esc.jsonl",
		"{\"id\":\"e\",\"title\":\"caf\\u00e9 \\\"q\\\" \\ud83d\\ude00\","
		"\"body\":\"lone \\udc00 \\ud800x tab\\tend \xff\xfe raw\"}\n");
	read_all(tmp_path(t, "esc.jsonl"), &r);
	assert_int_equal(r.ndocs, 1);
	assert_string_equal(r.title[0],
			    "caf\xc3\xa9 \"q\" \xf0\x9f\x98\x80");
	assert_string_equal(r.body[0], "lone \xef\xbf\xbd \xef\xbf\xbdx "
				       "tab\tend \xff\xfe raw");
	result_free(&r);
}

static void test_null_fields_and_ignored_nested_keys(void **state)
{
	tmp *t = *state;
	result r;
	put_str(t, "n.jsonl",
		"{\"meta\":{\"tags\":[\"a\",{\"b\":[1,2.5e3,null]}],"
		"\"x\":{}},\"id\":\"n\",\"title\":null,\"n\":-0.5,"
		"\"body\":null,\"date\":\"\",\"source\":null,\"ok\":true}\n"
		"{\"id\":\"m\",\"id\":\"m2\",\"date\":\"2013-02-03\"}\n");
	read_all(tmp_path(t, "n.jsonl"), &r);
	assert_int_equal(r.nerrs, 0);
	assert_int_equal(r.ndocs, 2);
	assert_string_equal(r.id[0], "n");
	assert_null(r.title[0]);
	assert_null(r.body[0]);
	assert_null(r.date[0]);
	assert_null(r.source[0]);
	assert_string_equal(r.id[1], "m2");
	assert_string_equal(r.date[1], "2013-02-03");
	result_free(&r);
}

/* ---- .txt directory trees ---------------------------------------------- */

static void test_txt_tree_sorted_with_relative_ids(void **state)
{
	tmp *t = *state;
	put_str(t, "tree/b.txt", "Title B\nbody of b\nline 2\n");
	put_str(t, "tree/a/z.txt", "Deep\r\nbody\r\n");
	put_str(t, "tree/a/y/x.txt", "\xef\xbb\xbfWith mark\nbody");
	put_str(t, "tree/a.txt", "Only a title");
	put_str(t, "tree/empty.txt", "");
	put_str(t, "tree/notes.md", "# not a txt file\n");
	put_str(t, "tree/a/data.txt.bak", "ignored\n");
	put_str(t, "tree/a/TXT", "ignored\n");
	put_str(t, "tree/c.TXT", "ignored (case-sensitive)\n");
	mkdir(tmp_path(t, "tree/emptydir"), 0700);
	result r;
	char root[512];
	snprintf(root, sizeof root, "%s/tree/", t->dir); /* trailing '/' */
	read_all(root, &r);
	assert_int_equal(r.end_rc, 0);
	assert_int_equal(r.nerrs, 0);
	assert_int_equal(r.ndocs, 5);
	/* byte order of the relative path */
	static const char *ids[] = { "a.txt", "a/y/x.txt", "a/z.txt", "b.txt",
				     "empty.txt" };
	for (int i = 0; i < 5; i++)
		assert_string_equal(r.id[i], ids[i]);
	assert_string_equal(r.title[0], "Only a title");
	assert_null(r.body[0]);
	assert_string_equal(r.title[1], "With mark");
	assert_string_equal(r.body[1], "body");
	assert_string_equal(r.title[2], "Deep");
	assert_string_equal(r.body[2], "body\r\n");
	assert_string_equal(r.title[3], "Title B");
	assert_string_equal(r.body[3], "body of b\nline 2\n");
	assert_string_equal(r.title[4], "");
	assert_null(r.body[4]);
	for (int i = 0; i < 5; i++) {
		assert_null(r.date[i]);
		assert_null(r.source[i]);
	}
	result_free(&r);
}

static void test_txt_progress_and_over_long_file(void **state)
{
	tmp *t = *state;
	char big[3000];
	memset(big, 'w', sizeof big);
	put_str(t, "d/1.txt", "one\nbody\n");        /* 9 bytes */
	put_file(t, "d/2.txt", big, sizeof big);      /* 3000 bytes */
	put_str(t, "d/3.txt", "three\n");            /* 6 bytes */
	put_str(t, "d/skip.json", "{\"id\":\"x\"}\n");
	trawl_input *in;
	trawl_error e;
	assert_int_equal(trawl_input_open(tmp_path(t, "d"), &in, &e),
			 TRAWL_OK);
	ingest_set_limits(in, 2999, 0);
	uint64_t done, total;
	trawl_input_progress(in, &done, &total);
	assert_int_equal(done, 0);
	assert_int_equal(total, 3015);
	trawl_doc d;
	assert_int_equal(trawl_input_next(in, &d, &e), 1);
	trawl_input_progress(in, &done, &total);
	assert_int_equal(done, 9);
	assert_int_equal(trawl_input_next(in, &d, &e), TRAWL_EINPUT);
	char want[600];
	snprintf(want, sizeof want, "%s/d/2.txt: file longer than 2999 bytes",
		 t->dir);
	assert_string_equal(e.message, want);
	assert_int_equal(trawl_input_next(in, &d, &e), 1);
	assert_memory_equal(d.id, "3.txt", 5);
	assert_int_equal(trawl_input_next(in, &d, &e), 0);
	trawl_input_progress(in, &done, &total);
	assert_int_equal(done, total);
	trawl_input_close(in);
}

/* A link to a .txt file is read; a link to a directory is not followed,
 * so a cycle cannot make the walk endless. */
static void test_txt_symlinks(void **state)
{
	tmp *t = *state;
	put_str(t, "s/real/a.txt", "A\n");
	put_str(t, "outside.txt", "O\n");
	char target[512];
	snprintf(target, sizeof target, "%s/outside.txt", t->dir);
	assert_int_equal(symlink(target, tmp_path(t, "s/link.txt")), 0);
	assert_int_equal(symlink("..", tmp_path(t, "s/real/loop")), 0);
	assert_int_equal(symlink("nowhere.txt", tmp_path(t, "s/dead.txt")),
			 0);
	result r;
	read_all(tmp_path(t, "s"), &r);
	assert_int_equal(r.end_rc, 0);
	assert_int_equal(r.ndocs, 2);
	assert_string_equal(r.id[0], "link.txt");
	assert_string_equal(r.title[0], "O");
	assert_string_equal(r.id[1], "real/a.txt");
	result_free(&r);
}

/* ---- standard input ---------------------------------------------------- */

/* Runs read_all("-") with FD as standard input. */
static void read_stdin(int fd, result *r, uint64_t *total)
{
	int saved = dup(0);
	assert_true(saved >= 0);
	assert_true(dup2(fd, 0) == 0);
	close(fd);
	trawl_input *in;
	trawl_error e;
	assert_int_equal(trawl_input_open("-", &in, &e), TRAWL_OK);
	read_all_from(in, r);
	trawl_input_progress(in, NULL, total);
	trawl_input_close(in);
	assert_true(dup2(saved, 0) == 0);
	close(saved);
}

static void test_stdin_plain_from_a_file(void **state)
{
	tmp *t = *state;
	put_str(t, "in.jsonl", "{\"id\":\"x\"}\n{\"id\":\n");
	int fd = open(tmp_path(t, "in.jsonl"), O_RDONLY);
	assert_true(fd >= 0);
	result r;
	uint64_t total;
	read_stdin(fd, &r, &total);
	assert_int_equal(r.ndocs, 1);
	assert_string_equal(r.id[0], "x");
	assert_int_equal(r.nerrs, 1);
	assert_string_equal(r.errs[0],
			    "<stdin>:2:7: \"id\" must be a string");
	assert_int_equal(total, 0);
	result_free(&r);
}

static void test_stdin_gzip_from_a_pipe(void **state)
{
	(void)state;
	size_t n;
	unsigned char *z = gzip_mem(three, strlen(three), &n);
	int p[2];
	assert_int_equal(pipe(p), 0);
	/* small enough for the pipe buffer: no writer thread needed */
	assert_int_equal(write(p[1], z, n), (ssize_t)n);
	close(p[1]);
	result r;
	uint64_t total;
	read_stdin(p[0], &r, &total);
	check_three(&r);
	assert_int_equal(total, 0);
	result_free(&r);
	free(z);
}

/* ---- progress, memory input, errors ------------------------------------ */

static void test_progress_plain_counts_lines_taken(void **state)
{
	tmp *t = *state;
	put_str(t, "p.jsonl", three);
	trawl_input *in;
	trawl_error e;
	trawl_doc d;
	uint64_t done, total;
	assert_int_equal(trawl_input_open(tmp_path(t, "p.jsonl"), &in, &e),
			 TRAWL_OK);
	trawl_input_progress(in, &done, &total);
	assert_int_equal(done, 0);
	assert_int_equal(total, strlen(three));
	assert_int_equal(trawl_input_next(in, &d, &e), 1);
	trawl_input_progress(in, &done, &total);
	assert_int_equal(done, strchr(three, '\n') - three + 1);
	while (trawl_input_next(in, &d, &e) == 1)
		;
	trawl_input_progress(in, &done, &total);
	assert_int_equal(done, total);
	trawl_input_close(in);
}

static void test_progress_gzip_counts_compressed_bytes(void **state)
{
	tmp *t = *state;
	char *s = many_lines(30000);
	size_t gz;
	put_gz(t, "p.gz", s, &gz);
	trawl_input *in;
	trawl_error e;
	trawl_doc d;
	uint64_t done, total, last = 0;
	assert_int_equal(trawl_input_open(tmp_path(t, "p.gz"), &in, &e),
			 TRAWL_OK);
	ingest_set_limits(in, 0, 8192);
	trawl_input_progress(in, &done, &total);
	assert_int_equal(total, gz);
	int n = 0, rc;
	while ((rc = trawl_input_next(in, &d, &e)) == 1) {
		trawl_input_progress(in, &done, &total);
		assert_true(done >= last && done <= total);
		last = done;
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 30000);
	trawl_input_progress(in, &done, &total);
	assert_int_equal(done, gz);
	trawl_input_close(in);
	free(s);
}

/* Reading the same bytes from memory in pieces of any size gives the
 * same documents and errors. */
static void test_memory_input_any_chunk_size(void **state)
{
	(void)state;
	const char *text = "\xef\xbb\xbf{\"id\":\"a\",\"body\":\"x\\ty\"}\r\n"
			   "\n{bad}\n{\"id\":\"b\",\"title\":\"\\u00e9\"}";
	size_t zn;
	unsigned char *z = gzip_mem(text, strlen(text), &zn);
	for (int g = 0; g < 2; g++) {
		for (size_t chunk = 1; chunk <= 64; chunk++) {
			trawl_input *in;
			trawl_error e;
			assert_int_equal(ingest_open_mem(g ? (const void *)z
							   : text,
							 g ? zn : strlen(text),
							 "mem", &in, &e),
					 TRAWL_OK);
			ingest_set_limits(in, 0, chunk);
			result r;
			read_all_from(in, &r);
			assert_int_equal(r.end_rc, 0);
			assert_int_equal(r.ndocs, 2);
			assert_string_equal(r.body[0], "x\ty");
			assert_string_equal(r.title[1], "\xc3\xa9");
			assert_int_equal(r.nerrs, 1);
			assert_string_equal(r.errs[0],
					    "mem:3:2: expected a string key "
					    "in object");
			assert_int_equal(ingest_line(in), 4);
			result_free(&r);
			trawl_input_close(in);
		}
	}
	free(z);
}

static void test_open_errors(void **state)
{
	tmp *t = *state;
	trawl_input *in = (trawl_input *)1;
	trawl_error e;
	assert_int_equal(trawl_input_open(tmp_path(t, "missing.jsonl"), &in,
					  &e), TRAWL_ENOTFOUND);
	assert_null(in);
	assert_non_null(strstr(e.message, "missing.jsonl"));
	assert_non_null(strstr(e.message, strerror(ENOENT)));
	assert_int_equal(trawl_input_open("", &in, &e), TRAWL_EINVAL);
	assert_int_equal(trawl_input_open(NULL, &in, &e), TRAWL_EINVAL);
	trawl_input_close(NULL);
	/* unreadable: permissions do not stop root, so only as a user */
	if (geteuid() != 0) {
		put_str(t, "locked/a.txt", "x\n");
		chmod(tmp_path(t, "locked"), 0);
		assert_int_equal(trawl_input_open(tmp_path(t, "locked"), &in,
						  &e), TRAWL_EIO);
		assert_non_null(strstr(e.message, strerror(EACCES)));
		chmod(tmp_path(t, "locked"), 0700);
		put_str(t, "locked.jsonl", "{\"id\":\"a\"}\n");
		chmod(tmp_path(t, "locked.jsonl"), 0);
		assert_int_equal(trawl_input_open(tmp_path(t, "locked.jsonl"),
						  &in, &e), TRAWL_EIO);
		chmod(tmp_path(t, "locked.jsonl"), 0600);
	}
}

/* A read that fails (here: /proc/self/mem at offset 0 is not mapped) is
 * EIO with the system's reason, and stays so. */
static void test_read_error_is_eio(void **state)
{
	(void)state;
	trawl_input *in;
	trawl_error e;
	if (trawl_input_open("/proc/self/mem", &in, &e) != TRAWL_OK)
		skip();
	trawl_doc d;
	assert_int_equal(trawl_input_next(in, &d, &e), TRAWL_EIO);
	assert_non_null(strstr(e.message, "/proc/self/mem: read: "));
	assert_int_equal(trawl_input_next(in, &d, &e), TRAWL_EIO);
	trawl_input_close(in);
}

static void test_conformance_corpus_has_300_documents(void **state)
{
	(void)state;
	const char *shared = getenv("TRAWL_SHARED");
	char path[1024];
	snprintf(path, sizeof path, "%s/conformance/corpus.jsonl",
		 shared ? shared : "/work/shared");
	if (access(path, R_OK) != 0)
		skip();
	trawl_input *in;
	trawl_error e;
	trawl_doc d;
	assert_int_equal(trawl_input_open(path, &in, &e), TRAWL_OK);
	int n = 0, rc;
	while ((rc = trawl_input_next(in, &d, &e)) == 1) {
		assert_true(d.id_len > 0);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 300);
	trawl_input_close(in);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_plain_jsonl_reads_every_document),
		T(test_last_line_without_newline_is_read),
		T(test_empty_and_blank_files_have_no_documents),
		T(test_gzip_jsonl_reads_like_plain),
		T(test_gzip_members_are_concatenated),
		T(test_gzip_cut_short_is_corrupt),
		T(test_gzip_cut_delivers_same_lines_for_any_read_size),
		T(test_gzip_damage_delivers_same_lines_for_any_read_size),
		T(test_gzip_damaged_data_is_corrupt),
		T(test_byte_order_mark_is_ignored),
		T(test_crlf_line_endings),
		T(test_blank_lines_are_skipped_and_counted),
		T(test_malformed_lines_name_file_line_column),
		T(test_over_long_line_is_skipped),
		T(test_long_lines_grow_the_buffer),
		T(test_escapes_surrogates_and_raw_bytes),
		T(test_null_fields_and_ignored_nested_keys),
		T(test_txt_tree_sorted_with_relative_ids),
		T(test_txt_progress_and_over_long_file),
		T(test_txt_symlinks),
		T(test_stdin_plain_from_a_file),
		T(test_stdin_gzip_from_a_pipe),
		T(test_progress_plain_counts_lines_taken),
		T(test_progress_gzip_counts_compressed_bytes),
		T(test_memory_input_any_chunk_size),
		T(test_open_errors),
		T(test_read_error_is_eio),
		T(test_conformance_corpus_has_300_documents),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
