/*
 * trawl-query -- searches a trawl index.
 *
 *   trawl-query INDEX QUERY...        one query (the words joined by spaces)
 *   trawl-query INDEX < queries.txt   batch: one query a line
 *   trawl-query INDEX                 on a terminal: a `trawl> ` prompt
 *
 * A thin command: argv -> libtrawl calls -> stdout.  Per query it calls
 * trawl_query_parse, then trawl_search (ranked hits), trawl_count (--count)
 * or trawl_foreach_match (--ids), and per hit trawl_doc_get, trawl_snippet
 * and trawl_match_spans; what it adds is only layout: columns, wrapping,
 * ANSI or bracket highlighting and JSON escaping.
 * Exit codes (grep-like): 0 some query matched, 1 nothing matched, 2 error.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "trawl.h"

#define PROG "trawl-query"

enum { EXIT_MATCH = 0, EXIT_NOMATCH = 1, EXIT_FAILED = 2 };
enum { HL_NONE, HL_BRACKETS, HL_ANSI };
enum { MODE_HITS, MODE_JSON, MODE_COUNT, MODE_IDS };

#define ANSI_MATCH "\033[1;31m"
#define ANSI_DIM "\033[2m"
#define ANSI_RESET "\033[0m"
#define MAX_WIDTH 100

typedef struct cli {
	const char *index_dir;
	char *query;      /* the QUERY words joined, or NULL */
	int mode;         /* MODE_* */
	int explain;
	int hl;           /* HL_* */
	int color;        /* ANSI decoration of the rank line */
	int width;        /* wrap snippets at this column; 0 = no wrapping */
	int batch;        /* queries come from stdin */
	trawl_search_opts so;
} cli;

static const char usage[] =
	"usage: " PROG " INDEX [QUERY...] [options]\n"
	"\n"
	"Searches INDEX.  The QUERY words are joined with spaces into one query.\n"
	"Without QUERY, reads one query a line from stdin (batch mode), or shows\n"
	"a `trawl> ` prompt when stdin is a terminal (\\q or end of input quits).\n"
	"Put `--` before a query word that starts with `-` and is an option name.\n"
	"\n"
	"output (default: ranked hits with title and highlighted snippet):\n"
	"  -n N                 hits to show (default 10)\n"
	"      --offset K       skip the first K hits\n"
	"      --json           one JSON object a line per hit\n"
	"      --count          print the exact number of matches only\n"
	"      --ids            print the id of every match, one a line\n"
	"      --explain        print the parsed query and how each score was made\n"
	"      --sort score|date  rank by score (default) or newest first\n"
	"      --since DATE     only documents dated DATE (YYYY-MM-DD) or later\n"
	"      --until DATE     only documents dated DATE or earlier\n"
	"      --no-highlight   do not mark matches in titles and snippets\n"
	"      --highlight=ansi|brackets\n"
	"                       mark matches in bold colour, or as [match]\n"
	"                       (default: ansi on a terminal, else brackets)\n"
	"      --color=auto|always|never\n"
	"                       use colour (default auto: when stdout is a terminal)\n"
	"      --threads N      threads a search may use (default 0: one per core;\n"
	"                       a light search stays on one)\n"
	"  -h, --help           this text\n"
	"\n"
	"exit codes: 0 matches found, 1 no matches, 2 error (bad query, bad\n"
	"index, bad option); in batch mode 0 if any query matched, 2 if any failed\n";

/* ---- small helpers ------------------------------------------------------ */

static const char *errtext(const trawl_error *err, int rc)
{
	return err->message[0] ? err->message : trawl_errstr(rc);
}

static void clear_err(trawl_error *err)
{
	err->code = 0;
	err->column = 0;
	err->message[0] = '\0';
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(" PROG " --help for usage)\n", stderr);
	return EXIT_FAILED;
}

/* YYYY-MM-DD with a real month and day. */
static int valid_date(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	static const int mdays[12] = {31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return 0;
	return 1;
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || *end || errno || s[0] == '-' || v > SIZE_MAX / 2)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Appends S to the growing string *DST (space-separated). */
static int append_word(char **dst, const char *s)
{
	size_t old = *dst ? strlen(*dst) : 0, add = strlen(s);
	char *p = realloc(*dst, old + add + 2);
	if (!p)
		return -1;
	if (old)
		p[old++] = ' ';
	memcpy(p + old, s, add + 1);
	*dst = p;
	return 0;
}

/* ---- text layout -------------------------------------------------------- */

/* Collapses runs of ASCII white space (paragraph breaks in snippets) into
 * one space and trims both ends, in place. */
static void squeeze_space(char *s)
{
	char *w = s;
	int space = 0;
	for (const char *r = s; *r; r++) {
		if (*r == ' ' || *r == '\n' || *r == '\t' || *r == '\r' ||
		    *r == '\f' || *r == '\v') {
			space = 1;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

/* Display columns of N bytes at S: code points, not counting ANSI escape
 * sequences (ESC [ ... final byte). */
static size_t display_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x1b && i + 1 < n && s[i + 1] == '[') {
			i += 2;
			while (i < n && !((unsigned char)s[i] >= 0x40 &&
					  (unsigned char)s[i] <= 0x7e))
				i++;
			continue;
		}
		if ((c & 0xc0) != 0x80)
			w++;
	}
	return w;
}

/* Prints TEXT (single-spaced) indented by INDENT columns, wrapped so no
 * line passes WIDTH columns; WIDTH 0 prints it on one line. */
static void print_wrapped(const char *text, int indent, int width)
{
	int col = 0;
	size_t limit = width > indent + 20 ? (size_t)(width - indent) : 0;
	const char *p = text;
	printf("%*s", indent, "");
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		size_t w = display_width(p, n);
		if (col > 0 && limit && (size_t)col + 1 + w > limit) {
			printf("\n%*s", indent, "");
			col = 0;
		} else if (col > 0) {
			putchar(' ');
			col++;
		}
		fwrite(p, 1, n, stdout);
		col += (int)w;
		p += n;
		while (*p == ' ')
			p++;
	}
	putchar('\n');
}

/* Prints every line of TEXT with INDENT spaces before it. */
static void print_indented(const char *text, int indent)
{
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		printf("%*s%.*s\n", indent, "", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* The syntax error, then the query and a caret under COLUMN (1-based code
 * points; tabs are kept so the caret lines up). */
static void print_syntax_error(const char *query, const trawl_error *err)
{
	char msg[sizeof err->message];
	snprintf(msg, sizeof msg, "%s",
		 err->message[0] ? err->message : trawl_errstr(TRAWL_ESYNTAX));
	/* the column is printed in front: drop a trailing " (column N)" */
	char tail[32];
	snprintf(tail, sizeof tail, " (column %d)", err->column);
	size_t ml = strlen(msg), tl = strlen(tail);
	if (ml > tl && strcmp(msg + ml - tl, tail) == 0)
		msg[ml - tl] = '\0';
	if (err->column <= 0) {
		fprintf(stderr, PROG ": syntax error: %s\n  %s\n", msg, query);
		return;
	}
	fprintf(stderr, PROG ": syntax error at column %d: %s\n", err->column,
		msg);
	fprintf(stderr, "  %s\n  ", query);
	int col = 1;
	for (const char *p = query; *p && col < err->column; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c & 0xc0) == 0x80)
			continue; /* continuation byte: same code point */
		fputc(c == '\t' ? '\t' : ' ', stderr);
		col++;
	}
	fputs("^\n", stderr);
}

/* ---- JSON --------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at S (N bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Writes N bytes of S as a JSON string: quotes, backslash and control
 * characters escaped, UTF-8 kept, invalid bytes as U+FFFD, U+2028/2029
 * escaped (they end lines in JavaScript). */
static void json_str(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	putchar('"');
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c == '"' || c == '\\') {
			putchar('\\');
			putchar(c);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': fputs("\\n", stdout); break;
			case '\t': fputs("\\t", stdout); break;
			case '\r': fputs("\\r", stdout); break;
			case '\b': fputs("\\b", stdout); break;
			case '\f': fputs("\\f", stdout); break;
			default: printf("\\u%04x", c); break;
			}
			i++;
		} else if (c < 0x80) {
			putchar(c);
			i++;
		} else {
			size_t len = utf8_len(p + i, n - i);
			if (len == 0) {
				fputs("\\ufffd", stdout);
				i++;
			} else if (len == 3 && p[i] == 0xe2 && p[i + 1] == 0x80 &&
				   (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
				printf("\\u%04x", p[i + 2] == 0xa8 ? 0x2028
								   : 0x2029);
				i += 3;
			} else {
				fwrite(p + i, 1, len, stdout);
				i += len;
			}
		}
	}
	putchar('"');
}

static void json_str_or_null(const char *s, size_t n)
{
	if (s && n)
		json_str(s, n);
	else
		fputs("null", stdout);
}

/* ---- one query ---------------------------------------------------------- */

/* Prints one hit of Q in the default layout or as JSON; returns a
 * TRAWL_* code. */
static int print_hit(trawl_index *ix, const trawl_query *q, const cli *c,
		     const char *query, size_t rank, const trawl_hit *h)
{
	trawl_error err;
	clear_err(&err);
	trawl_stored *d = NULL;
	char *title = NULL, *passage = NULL;
	trawl_match_span *spans = NULL;
	size_t nspans = 0;

	int rc = trawl_doc_get(ix, h->docno, &d, &err);
	if (rc != TRAWL_OK)
		goto fail;
	trawl_snippet_opts sn;
	trawl_snippet_opts_init(&sn);
	int hl = c->mode == MODE_JSON ? HL_NONE : c->hl;
	if (hl == HL_NONE) {
		sn.hl_open = "";
		sn.hl_close = "";
	} else if (hl == HL_ANSI) {
		sn.hl_open = ANSI_MATCH;
		sn.hl_close = ANSI_RESET;
	} else {
		sn.hl_open = "[";
		sn.hl_close = "]";
	}
	clear_err(&err);
	rc = trawl_snippet(ix, q, d, &sn, &title, &passage, &err);
	if (rc != TRAWL_OK)
		goto fail;

	if (c->mode == MODE_JSON) {
		clear_err(&err);
		rc = trawl_match_spans(ix, q, d, &spans, &nspans, &err);
		if (rc != TRAWL_OK)
			goto fail;
		putchar('{');
		if (query) {
			fputs("\"query\":", stdout);
			json_str(query, strlen(query));
			putchar(',');
		}
		fputs("\"id\":", stdout);
		json_str(d->id, d->id_len);
		printf(",\"rank\":%zu,\"score\":", rank);
		if (isfinite(h->score))
			printf("%.6f", h->score);
		else
			fputs("null", stdout);
		fputs(",\"date\":", stdout);
		json_str_or_null(d->date, d->date_len);
		fputs(",\"source\":", stdout);
		json_str_or_null(d->source, d->source_len);
		fputs(",\"title\":", stdout);
		json_str(d->title, d->title_len);
		fputs(",\"snippet\":", stdout);
		json_str(passage, strlen(passage));
		fputs(",\"matches\":[", stdout);
		for (size_t i = 0; i < nspans; i++)
			printf("%s{\"field\":\"%s\",\"position\":%" PRIu32
			       ",\"start\":%zu,\"end\":%zu}",
			       i ? "," : "",
			       spans[i].field == 0 ? "title" : "body",
			       spans[i].position, spans[i].byte_start,
			       spans[i].byte_end);
		putchar(']');
		if (c->explain && h->explain) {
			fputs(",\"explain\":", stdout);
			json_str(h->explain, strlen(h->explain));
		}
		fputs("}\n", stdout);
	} else {
		squeeze_space(title);
		squeeze_space(passage);
		const char *date = d->date_len ? d->date : "-";
		printf("%3zu. ", rank);
		if (c->color)
			fputs(ANSI_DIM, stdout);
		printf("%.3f  %-10s  %s", h->score, date, d->id);
		if (c->color)
			fputs(ANSI_RESET, stdout);
		printf("  %s\n", title[0] ? title : "(no title)");
		if (passage[0])
			print_wrapped(passage, 5, c->width);
		if (c->explain && h->explain)
			print_indented(h->explain, 5);
	}
	free(spans);
	free(title);
	free(passage);
	trawl_stored_free(d);
	return TRAWL_OK;

fail:
	fprintf(stderr, PROG ": document %" PRIu32 ": %s\n", h->docno,
		errtext(&err, rc));
	free(spans);
	free(title);
	free(passage);
	trawl_stored_free(d);
	return rc;
}

typedef struct ids_ctx {
	trawl_index *ix;
	trawl_error err;
	int rc;
	uint64_t n;
} ids_ctx;

static int print_id(void *ctx, uint32_t docno)
{
	ids_ctx *x = ctx;
	trawl_stored *d = NULL;
	clear_err(&x->err);
	int rc = trawl_doc_get(x->ix, docno, &d, &x->err);
	if (rc != TRAWL_OK) {
		x->rc = rc;
		return 1;
	}
	fwrite(d->id, 1, d->id_len, stdout);
	putchar('\n');
	trawl_stored_free(d);
	x->n++;
	return 0;
}

/* Runs QUERY and prints its results as C asks.  Returns EXIT_MATCH,
 * EXIT_NOMATCH or EXIT_FAILED. */
static int run_query(trawl_index *ix, const cli *c, const char *query)
{
	trawl_error err;
	clear_err(&err);
	trawl_query *q = NULL;
	int status = EXIT_FAILED;
	trawl_hits *hits = NULL;
	char *tree = NULL;

	double t0 = now_ms();
	int rc = trawl_query_parse(ix, query, &q, &err);
	if (rc == TRAWL_ESYNTAX) {
		print_syntax_error(query, &err);
		goto out;
	}
	if (rc != TRAWL_OK) {
		/* e.g. ELIMIT for a huge query: show only its start */
		size_t n = strlen(query), max = 160;
		while (n > max && ((unsigned char)query[max] & 0xc0) == 0x80)
			max--;
		fprintf(stderr, PROG ": %s\n  %.*s%s\n", errtext(&err, rc),
			(int)(n > max ? max : n), query, n > max ? "…" : "");
		goto out;
	}

	if (c->mode == MODE_COUNT) {
		uint64_t n = 0;
		clear_err(&err);
		rc = trawl_count(ix, q, &c->so, &n, &err);
		if (rc != TRAWL_OK)
			goto fail;
		if (c->batch)
			printf("%" PRIu64 "\t%s\n", n, query);
		else
			printf("%" PRIu64 "\n", n);
		status = n ? EXIT_MATCH : EXIT_NOMATCH;
		goto out;
	}

	if (c->mode == MODE_IDS) {
		if (c->batch)
			printf("# %s\n", query);
		ids_ctx x;
		memset(&x, 0, sizeof x);
		x.ix = ix;
		clear_err(&err);
		rc = trawl_foreach_match(ix, q, &c->so, print_id, &x, &err);
		if (x.rc != TRAWL_OK) {
			fprintf(stderr, PROG ": %s\n", errtext(&x.err, x.rc));
			goto out;
		}
		if (rc != TRAWL_OK)
			goto fail;
		status = x.n ? EXIT_MATCH : EXIT_NOMATCH;
		goto out;
	}

	clear_err(&err);
	rc = trawl_search(ix, q, &c->so, &hits, &err);
	if (rc != TRAWL_OK)
		goto fail;
	double ms = now_ms() - t0;
	uint64_t total = trawl_hits_total(hits);
	size_t n = trawl_hits_count(hits);

	if (c->mode == MODE_HITS) {
		if (c->batch)
			printf("# %s\n", query);
		printf("%" PRIu64 " match%s (%.1f ms)\n", total,
		       total == 1 ? "" : "es", ms);
	}
	if (c->explain && c->mode == MODE_HITS) {
		if (trawl_query_describe(q, &tree) == TRAWL_OK && tree)
			printf("query: %s\n", tree);
	}
	for (size_t i = 0; i < n; i++) {
		const trawl_hit *h = trawl_hits_get(hits, i);
		if (!h)
			break;
		rc = print_hit(ix, q, c, c->batch ? query : NULL,
			       c->so.offset + i + 1, h);
		if (rc != TRAWL_OK)
			goto out;
	}
	if (c->mode == MODE_HITS && c->batch)
		putchar('\n');
	status = total ? EXIT_MATCH : EXIT_NOMATCH;
	goto out;

fail:
	fprintf(stderr, PROG ": %s\n", errtext(&err, rc));
out:
	free(tree);
	trawl_hits_free(hits);
	trawl_query_free(q);
	fflush(stdout);
	return status;
}

/* ---- batch and interactive ---------------------------------------------- */

/* Strips the line end and reports whether anything but white space is
 * left. */
static int chomp(char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return 1;
	return 0;
}

/* Reads queries from stdin, one a line, prompting when INTERACTIVE.
 * Returns 0 if any matched, 2 if any failed (batch), else 1. */
static int run_lines(trawl_index *ix, cli *c, int interactive)
{
	char *line = NULL;
	size_t cap = 0;
	int matched = 0, failed = 0;
	for (;;) {
		if (interactive) {
			fputs("trawl> ", stdout);
			fflush(stdout);
		}
		if (getline(&line, &cap, stdin) < 0) {
			if (interactive)
				putchar('\n');
			break;
		}
		if (!chomp(line))
			continue;
		if (interactive && strcmp(line, "\\q") == 0)
			break;
		int r = run_query(ix, c, line);
		if (r == EXIT_MATCH)
			matched = 1;
		else if (r == EXIT_FAILED)
			failed = 1;
	}
	free(line);
	if (failed && !interactive)
		return EXIT_FAILED;
	return matched ? EXIT_MATCH : EXIT_NOMATCH;
}

/* ---- arguments ---------------------------------------------------------- */

/* The value of option NAME: "--name=value", or the next argument. */
static const char *opt_value(int argc, char **argv, int *i, const char *eq,
			     const char *name)
{
	if (eq)
		return eq + 1;
	if (*i + 1 >= argc) {
		bad_usage("option '%s' needs a value", name);
		return NULL;
	}
	return argv[++*i];
}

/* Fills C from argv; returns -1 to go on or an exit code. */
static int parse_args(int argc, char **argv, cli *c)
{
	const char *highlight = NULL, *color = "auto";
	int no_highlight = 0, only_operands = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_operands || a[0] != '-' || a[1] == '\0') {
		operand:
			if (!c->index_dir)
				c->index_dir = a;
			else if (append_word(&c->query, a) != 0)
				return bad_usage("out of memory");
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_operands = 1;
			continue;
		}
		if (a[1] != '-') {
			/* Short options: -n N, -nN (digits), -h.  Any other
			 * word that starts with '-' is a negated query word
			 * (-gas, -nuclear). */
			if (a[1] == 'h' && a[2] == '\0') {
				fputs(usage, stdout);
				return EXIT_MATCH;
			}
			if (a[1] == 'n' &&
			    (a[2] == '\0' || strspn(a + 2, "0123456789") ==
						     strlen(a + 2))) {
				const char *v = a[2] ? a + 2 : NULL;
				if (!v) {
					if (i + 1 >= argc)
						return bad_usage("option '-n' "
								 "needs a value");
					v = argv[++i];
				}
				if (parse_size(v, &c->so.n) != 0)
					return bad_usage("bad -n '%s'", v);
				continue;
			}
			goto operand;
		}
		const char *eq = strchr(a, '=');
		size_t len = eq ? (size_t)(eq - a) : strlen(a);
		char name[32];
		if (len >= sizeof name)
			return bad_usage("unknown option '%s'", a);
		memcpy(name, a, len);
		name[len] = '\0';
		const char *v;
#define FLAG(s) (strcmp(name, s) == 0 && !eq)
#define VALUED(s) (strcmp(name, s) == 0)
		if (FLAG("--help")) {
			fputs(usage, stdout);
			return EXIT_MATCH;
		} else if (FLAG("--version")) {
			printf(PROG " %s\n", TRAWL_VERSION);
			return EXIT_MATCH;
		} else if (FLAG("--json")) {
			c->mode = MODE_JSON;
		} else if (FLAG("--count")) {
			c->mode = MODE_COUNT;
		} else if (FLAG("--ids")) {
			c->mode = MODE_IDS;
		} else if (FLAG("--explain")) {
			c->explain = 1;
		} else if (FLAG("--no-highlight")) {
			no_highlight = 1;
		} else if (VALUED("--highlight")) {
			/* --highlight alone means the default style */
			highlight = eq ? eq + 1 : "auto";
		} else if (VALUED("--color") || VALUED("--colour")) {
			color = eq ? eq + 1 : "always";
		} else if (VALUED("--offset")) {
			if (!(v = opt_value(argc, argv, &i, eq, name)))
				return EXIT_FAILED;
			if (parse_size(v, &c->so.offset) != 0)
				return bad_usage("bad --offset '%s'", v);
		} else if (VALUED("--threads")) {
			size_t t;
			if (!(v = opt_value(argc, argv, &i, eq, name)))
				return EXIT_FAILED;
			if (parse_size(v, &t) != 0 || t > 1024)
				return bad_usage("bad --threads '%s' (0 to 1024)", v);
			c->so.threads = (int)t;
		} else if (VALUED("--sort")) {
			if (!(v = opt_value(argc, argv, &i, eq, name)))
				return EXIT_FAILED;
			if (strcmp(v, "score") == 0)
				c->so.sort = TRAWL_SORT_SCORE;
			else if (strcmp(v, "date") == 0)
				c->so.sort = TRAWL_SORT_DATE;
			else
				return bad_usage("bad --sort '%s' (score or "
						 "date)", v);
		} else if (VALUED("--since") || VALUED("--until")) {
			if (!(v = opt_value(argc, argv, &i, eq, name)))
				return EXIT_FAILED;
			if (!valid_date(v))
				return bad_usage("bad %s '%s': dates are "
						 "YYYY-MM-DD", name, v);
			if (name[2] == 's')
				c->so.since = v;
			else
				c->so.until = v;
		} else {
			return bad_usage("unknown option '%s'", a);
		}
#undef FLAG
#undef VALUED
	}
	if (!c->index_dir)
		return bad_usage("missing INDEX");

	int tty = isatty(STDOUT_FILENO);
	if (strcmp(color, "always") == 0)
		c->color = 1;
	else if (strcmp(color, "never") == 0)
		c->color = 0;
	else if (strcmp(color, "auto") == 0) {
		const char *term = getenv("TERM");
		c->color = tty && !getenv("NO_COLOR") &&
			   !(term && strcmp(term, "dumb") == 0);
	} else {
		return bad_usage("bad --color '%s' (auto, always or never)",
				 color);
	}
	if (no_highlight)
		c->hl = HL_NONE;
	else if (!highlight || strcmp(highlight, "auto") == 0)
		c->hl = c->color ? HL_ANSI : HL_BRACKETS;
	else if (strcmp(highlight, "ansi") == 0)
		c->hl = HL_ANSI;
	else if (strcmp(highlight, "brackets") == 0)
		c->hl = HL_BRACKETS;
	else
		return bad_usage("bad --highlight '%s' (ansi or brackets)",
				 highlight);

	if (tty) {
		struct winsize ws;
		int cols = MAX_WIDTH;
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col)
			cols = ws.ws_col;
		c->width = cols < MAX_WIDTH ? cols : MAX_WIDTH;
	}
	c->so.explain = c->explain;
	return -1;
}

int main(int argc, char **argv)
{
	cli c;
	memset(&c, 0, sizeof c);
	trawl_search_opts_init(&c.so);
	c.so.threads = 0; /* a command has the machine: every core */
	int status = parse_args(argc, argv, &c);
	if (status >= 0) {
		free(c.query);
		return status;
	}

	trawl_index *ix = NULL;
	trawl_error err;
	clear_err(&err);
	int rc = trawl_index_open(c.index_dir, &ix, &err);
	if (rc != TRAWL_OK) {
		/* name the directory, unless the message already does */
		const char *m = errtext(&err, rc);
		if (strstr(m, c.index_dir))
			fprintf(stderr, PROG ": cannot open index: %s\n", m);
		else
			fprintf(stderr, PROG ": cannot open index: %s: %s\n",
				c.index_dir, m);
		free(c.query);
		return EXIT_FAILED;
	}

	if (c.query) {
		status = run_query(ix, &c, c.query);
	} else if (!isatty(STDIN_FILENO)) {
		c.batch = 1;
		status = run_lines(ix, &c, 0);
	} else {
		status = run_lines(ix, &c, 1);
	}

	trawl_index_close(ix);
	free(c.query);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": write error on stdout: %s\n",
			strerror(errno));
		return EXIT_FAILED;
	}
	return status;
}
