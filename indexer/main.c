/*
 * trawl-index -- builds, updates, describes and verifies a trawl index.
 *
 *   trawl-index build -o INDEX [options] INPUT...
 *   trawl-index add INDEX [options] INPUT...
 *   trawl-index delete INDEX [--ids-from FILE] [ID...]
 *   trawl-index merge INDEX [--max-segments N]
 *   trawl-index stats INDEX
 *   trawl-index check INDEX
 *   trawl-index languages
 *
 * A thin command: argv -> libtrawl calls -> stdout.  It reads documents with
 * trawl_input_next (read_inputs, shared by build and add) and hands them to
 * a trawl_builder, committed with trawl_builder_finish, or to a trawl_writer
 * (add, delete, merge), committed once with trawl_writer_commit; summaries
 * come from trawl_index_stats.  Progress and warnings go to stderr, results
 * to stdout.  Exit codes: 0 ok, 1 done but documents were skipped (or ids
 * not found), 2 failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trawl.h"

#define PROG "trawl-index"

enum { EXIT_OK = 0, EXIT_SKIPPED = 1, EXIT_FAILED = 2 };

/* Set by SIGINT/SIGTERM; the build loop polls it between documents. */
static volatile sig_atomic_t g_signal;

static void on_signal(int sig)
{
	g_signal = sig;
}

/* ---- small helpers ------------------------------------------------------ */

static const char *errtext(const trawl_error *err, int rc)
{
	return err->message[0] ? err->message : trawl_errstr(rc);
}

/* "PATH: MESSAGE", or just MESSAGE when it already names PATH. */
static void path_msg(char *buf, size_t n, const char *path,
		     const trawl_error *err, int rc)
{
	const char *m = errtext(err, rc);
	if (strstr(m, path))
		snprintf(buf, n, "%s", m);
	else
		snprintf(buf, n, "%s: %s", path, m);
}

static void clear_err(trawl_error *err)
{
	err->code = 0;
	err->column = 0;
	err->message[0] = '\0';
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mb(uint64_t bytes)
{
	return (double)bytes / 1e6;
}

/* Parses SIZE: a number with an optional binary suffix k, M, G (or T),
 * optionally followed by "B" or "iB": 512k, 256M, 1G, 1GiB, 1048576.
 * Returns 0 and sets *out, or -1. */
static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return -1;
	double mult = 1;
	switch (*end) {
	case 'k': case 'K': mult = 1024.0; end++; break;
	case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
	case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: break;
	}
	if (mult > 1 && *end == 'i')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end != '\0')
		return -1;
	v *= mult;
	if (v < 1 || v > (double)SIZE_MAX / 2)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_count(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end || errno || v < 0 || v > 4096)
		return -1;
	*out = (int)v;
	return 0;
}

/* A count of at least 0, or "all" for no limit (UINT64_MAX). */
static int parse_limit(const char *s, uint64_t *out)
{
	if (strcmp(s, "all") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || *end || errno || *s == '-')
		return -1;
	*out = v;
	return 0;
}

/* Peak resident set size in bytes (Linux reports ru_maxrss in KiB). */
static uint64_t peak_rss(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024;
}

/* Opens the index at DIR, printing a message naming DIR on failure. */
static int open_index(const char *dir, trawl_index **ix)
{
	trawl_error err;
	clear_err(&err);
	int rc = trawl_index_open(dir, ix, &err);
	if (rc == TRAWL_OK)
		return 0;
	char msg[1024];
	path_msg(msg, sizeof msg, dir, &err, rc);
	fprintf(stderr, PROG ": cannot open index: %s\n", msg);
	return -1;
}

/* ---- usage -------------------------------------------------------------- */

static const char usage_main[] =
	"usage: " PROG " COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  build -o INDEX [options] INPUT...   build an index from corpus files\n"
	"  add INDEX [options] INPUT...        add or replace documents\n"
	"  delete INDEX ID...                  delete documents by id\n"
	"  merge INDEX [--max-segments N]      merge segments, drop deleted documents\n"
	"  stats INDEX                         print the index's figures\n"
	"  check INDEX                         verify every checksum and invariant\n"
	"  languages                           list the stemming languages\n"
	"\n"
	"`" PROG " COMMAND --help` describes one command.\n"
	"exit codes: 0 ok, 1 done but documents were skipped (or ids not found),\n"
	"            2 failed\n";

static const char usage_build[] =
	"usage: " PROG " build -o INDEX [options] INPUT...\n"
	"\n"
	"Builds the index directory INDEX from each INPUT: a .jsonl or .jsonl.gz\n"
	"file, a directory tree of .txt files, or - for JSON Lines on stdin.\n"
	"Nothing appears at INDEX until the build has succeeded.\n"
	"\n"
	"options:\n"
	"  -o, --output INDEX     the index directory to create (required)\n"
	"  -l, --language L       stemming language (default english; `none` for\n"
	"                         no stemming; see `" PROG " languages`)\n"
	"  -m, --memory SIZE      memory for in-memory postings, e.g. 512k, 256M,\n"
	"                         1G (default 256M)\n"
	"  -j, --threads N        analysis threads (default 0: one per core)\n"
	"  -f, --force            replace an existing index at INDEX\n"
	"      --strict           fail on the first malformed document instead of\n"
	"                         skipping it\n"
	"      --max-warnings N   show at most N warnings about single documents\n"
	"                         (default 20; `all` for every one); the rest\n"
	"                         are counted\n"
	"  -q, --quiet            no progress display\n"
	"  -h, --help             this text\n"
	"\n"
	"Progress goes to stderr when it is a terminal; the summary to stdout.\n"
	"exit codes: 0 ok, 1 built but malformed documents were skipped,\n"
	"            2 failed or interrupted (nothing written)\n";

static const char usage_add[] =
	"usage: " PROG " add INDEX [options] INPUT...\n"
	"\n"
	"Adds the documents of each INPUT (as for build: .jsonl, .jsonl.gz, a\n"
	"directory tree of .txt files, or - for stdin) to the index INDEX; a\n"
	"document whose id is already there replaces it.  Creates INDEX when\n"
	"it does not exist.  The changes become visible all at once, at the end.\n"
	"\n"
	"options:\n"
	"  -l, --language L       stemming language of a new index (default\n"
	"                         english); an existing index keeps its own\n"
	"  -m, --memory SIZE      memory for in-memory postings (default 256M)\n"
	"  -j, --threads N        analysis threads (default 0: one per core)\n"
	"      --strict           fail on the first malformed document instead of\n"
	"                         skipping it\n"
	"      --max-warnings N   show at most N warnings about single documents\n"
	"                         (default 20; `all` for every one)\n"
	"  -q, --quiet            no progress display\n"
	"  -h, --help             this text\n"
	"\n"
	"exit codes: 0 ok, 1 added but malformed documents were skipped,\n"
	"            2 failed, interrupted or locked (nothing of this add visible)\n";

static const char usage_delete[] =
	"usage: " PROG " delete INDEX [--ids-from FILE] [ID...]\n"
	"\n"
	"Deletes the documents with these ids from INDEX (ids from FILE, one a\n"
	"line, - for stdin; empty lines are ignored).  An id not in the index is\n"
	"reported on stderr (\"not found: ID\").  One commit at the end.\n"
	"exit codes: 0 every id deleted, 1 some ids not found,\n"
	"            2 failed, interrupted or locked (nothing deleted)\n";

static const char usage_merge[] =
	"usage: " PROG " merge INDEX [--max-segments N]\n"
	"\n"
	"Merges the segments of INDEX until at most N remain (default 1) and\n"
	"drops deleted and replaced documents for good.  Readers keep working;\n"
	"an interrupted merge leaves the index as it was.\n"
	"exit codes: 0 ok, 2 failed or locked\n";

static const char usage_stats[] =
	"usage: " PROG " stats INDEX\n"
	"\n"
	"Prints the documents, terms, postings and positions of INDEX and the\n"
	"size of each part, also as a percentage of the indexed text.\n"
	"exit codes: 0 ok, 2 missing or damaged index\n";

static const char usage_check[] =
	"usage: " PROG " check INDEX\n"
	"\n"
	"Verifies every checksum and structural invariant of every file of\n"
	"INDEX.  Prints \"ok\", or the first damage found (file and offset).\n"
	"exit codes: 0 ok, 2 damaged or missing index\n";

static const char usage_languages[] =
	"usage: " PROG " languages\n"
	"\n"
	"Lists the stemming languages this build offers, one a line.\n";

static int bad_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	return EXIT_FAILED;
}

/* Handles the options of a command that takes none but --help; returns -1
 * to go on, else an exit code.  Leaves *first at the first operand. */
static int simple_opts(int argc, char **argv, const char *usage, int *first)
{
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] == '-' && a[1] != '\0')
			return bad_usage(usage, "unknown option '%s'", a);
		break;
	}
	*first = i;
	return -1;
}

/* ---- figures ------------------------------------------------------------ */

/* What only a build knows, for the summary; NULL for `stats`. */
typedef struct build_info {
	uint64_t docs;       /* documents taken */
	uint64_t skipped;
	uint64_t replaced;
	uint64_t bytes_read; /* bytes consumed from the inputs */
	int ninputs;
	double seconds;
	uint64_t peak;
} build_info;

static void print_part(const char *name, uint64_t bytes, uint64_t input)
{
	if (input)
		printf("  %-20s %10.2f MB  %6.1f%%\n", name, mb(bytes),
		       100.0 * (double)bytes / (double)input);
	else
		printf("  %-20s %10.2f MB\n", name, mb(bytes));
}

/* Prints the figures of ST (and BI when a build just made them) to stdout. */
static void print_stats(const char *dir, const trawl_stats *st,
			const build_info *bi)
{
	printf("index        %s (language %s)\n", dir,
	       st->language[0] ? st->language : "?");
	printf("documents    %" PRIu64 "\n", st->docs);
	if (bi) {
		printf("skipped      %" PRIu64 "\n", bi->skipped);
		printf("replaced     %" PRIu64 "\n", bi->replaced);
	} else {
		printf("deleted      %" PRIu64 " (replaced or deleted, until a "
		       "merge)\n", st->deleted);
		printf("segments     %" PRIu64 "\n", st->segments);
	}
	printf("terms        %" PRIu64 " distinct\n", st->terms);
	printf("postings     %" PRIu64 "\n", st->postings);
	printf("positions    %" PRIu64 "\n", st->positions);
	if (bi)
		printf("input        %.2f MB of title+body text (%.2f MB read "
		       "from %d input%s)\n",
		       mb(st->input_bytes), mb(bi->bytes_read), bi->ninputs,
		       bi->ninputs == 1 ? "" : "s");
	else
		printf("input        %.2f MB of title+body text\n",
		       mb(st->input_bytes));
	if (st->input_bytes)
		printf("index        %.2f MB (%.1f%% of input)\n",
		       mb(st->bytes_total),
		       100.0 * (double)st->bytes_total /
			       (double)st->input_bytes);
	else
		printf("index        %.2f MB\n", mb(st->bytes_total));
	uint64_t in = st->input_bytes;
	print_part("dictionary", st->bytes_dict, in);
	print_part("doc ids+freqs", st->bytes_postings, in);
	print_part("positions", st->bytes_positions, in);
	print_part("per-doc data", st->bytes_docs, in);
	print_part("stored documents", st->bytes_store, in);
	uint64_t parts = st->bytes_dict + st->bytes_postings +
			 st->bytes_positions + st->bytes_docs + st->bytes_store;
	if (st->bytes_total > parts)
		print_part("other", st->bytes_total - parts, in);
	if (bi) {
		double s = bi->seconds > 0 ? bi->seconds : 1e-9;
		printf("time         %.2f s (%.2f MB/s, %.0f docs/s)\n",
		       bi->seconds, mb(st->input_bytes) / s,
		       (double)st->docs / s);
		printf("peak memory  %.1f MB\n", mb(bi->peak));
	}
}

/* ---- build -------------------------------------------------------------- */

/* Warnings about single documents shown before the rest are only
 * counted: enough to see what is wrong with an input, few enough to keep
 * the summary in view. */
#define DEFAULT_MAX_WARNINGS 20

typedef struct progress {
	int on;             /* stderr is a terminal */
	int shown;          /* a progress line is on screen */
	double start, last; /* seconds */
	uint64_t docs;
	uint64_t done_before; /* bytes of finished inputs */
	uint64_t *sizes;      /* per input: stat size, 0 = unknown */
	int ninputs, cur;
	/* warnings about single documents: a damaged file can hold
	 * thousands, which would bury everything else on stderr */
	uint64_t max_warn;    /* shown at most; UINT64_MAX for all */
	uint64_t warned;      /* issued, shown or not */
} progress;

static void progress_clear(progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = 0;
	}
}

static void progress_show(progress *p, const trawl_input *in, int force)
{
	if (!p->on)
		return;
	double t = now_seconds();
	if (!force && t - p->last < 0.25)
		return;
	p->last = t;

	uint64_t done = 0, total = 0;
	if (in)
		trawl_input_progress(in, &done, &total);
	uint64_t all_done = p->done_before + done;
	uint64_t all_total = all_done;
	int known = 1;
	if (in) {
		/* Known only when the current input and every input still
		 * to come have a size (stdin and directories may not). */
		all_total = p->done_before + total;
		known = total != 0;
		for (int i = p->cur + 1; i < p->ninputs && known; i++) {
			known = p->sizes[i] != 0;
			all_total += p->sizes[i];
		}
	}
	double el = t - p->start;
	if (el <= 0)
		el = 1e-9;
	double rate = (double)all_done / el;
	fprintf(stderr, "\r%" PRIu64 " docs  %.1f MB  %.0f docs/s  %.1f MB/s",
		p->docs, mb(all_done), (double)p->docs / el, mb((uint64_t)rate));
	if (known && all_total >= all_done) {
		double pct = all_total ? 100.0 * (double)all_done /
						 (double)all_total
				       : 100.0;
		fprintf(stderr, "  %.1f%%", pct);
		if (rate > 0 && el > 1) {
			uint64_t eta = (uint64_t)((double)(all_total - all_done)
						  / rate);
			fprintf(stderr, "  ETA %" PRIu64 ":%02" PRIu64, eta / 60,
				eta % 60);
		}
	}
	fputs("\033[K", stderr);
	fflush(stderr);
	p->shown = 1;
}

/* One line on stderr after clearing the progress line: PROG, then
 * LABEL ("warning: " or ""), then the message. */
static void vsay(progress *p, const char *label, const char *fmt, va_list ap)
{
	progress_clear(p);
	fprintf(stderr, PROG ": %s", label);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void warn(progress *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(p, "warning: ", fmt, ap);
	va_end(ap);
}

/* warn() for a document skipped or replaced: past the --max-warnings
 * limit only counted, and said once where the shown ones stop. */
static void doc_warn(progress *p, const char *fmt, ...)
{
	if (p->warned++ >= p->max_warn) {
		if (p->warned == p->max_warn + 1 && p->max_warn > 0)
			warn(p, "further warnings about documents not shown "
			     "(--max-warnings)");
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsay(p, "warning: ", fmt, ap);
	va_end(ap);
}

/* After the inputs: how many document warnings the limit held back. */
static void doc_warn_summary(progress *p)
{
	if (p->warned > p->max_warn)
		fprintf(stderr, PROG ": %" PRIu64 " warning%s about documents "
				"not shown (--max-warnings all shows every one)\n",
			p->warned - p->max_warn,
			p->warned - p->max_warn == 1 ? "" : "s");
}

static void fail(progress *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(p, "", fmt, ap);
	va_end(ap);
}

static void fail_path(progress *p, const char *path, const trawl_error *err,
		      int rc)
{
	char msg[1024];
	path_msg(msg, sizeof msg, path, err, rc);
	fail(p, "%s", msg);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART, so a blocked read returns; SA_RESETHAND, so a second
	 * signal kills at once if the first is not noticed. */
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Past a file size limit (ulimit -f) a write fails with EFBIG, which
	 * is reported like a full disk and cleaned up, instead of the
	 * signal killing the build and leaving its temporary directory. */
	signal(SIGXFSZ, SIG_IGN);
}

/* Checks that every input exists before any work, and notes its size for
 * the progress display.  Returns 0, or -1 after saying why. */
static int prepare_inputs(char **inputs, int ninputs, int quiet,
			  uint64_t max_warn, progress *p)
{
	memset(p, 0, sizeof *p);
	p->on = !quiet && isatty(STDERR_FILENO);
	p->max_warn = max_warn;
	p->ninputs = ninputs;
	p->sizes = calloc((size_t)ninputs, sizeof *p->sizes);
	if (!p->sizes) {
		fputs(PROG ": out of memory\n", stderr);
		return -1;
	}
	for (int i = 0; i < ninputs; i++) {
		struct stat sb;
		if (strcmp(inputs[i], "-") == 0) {
			if (fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode))
				p->sizes[i] = (uint64_t)sb.st_size;
			continue;
		}
		if (stat(inputs[i], &sb) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", inputs[i],
				strerror(errno));
			free(p->sizes);
			p->sizes = NULL;
			return -1;
		}
		if (S_ISREG(sb.st_mode))
			p->sizes[i] = (uint64_t)sb.st_size;
	}
	p->start = now_seconds();
	p->last = p->start; /* first update after 0.25 s: none for tiny runs */
	return 0;
}

/* Where documents go: a builder (build) or a writer (add). */
typedef struct sink {
	trawl_builder *b;
	trawl_writer *w;
} sink;

static int sink_add(sink *k, const trawl_doc *d, trawl_error *err)
{
	return k->b ? trawl_builder_add(k->b, d, err)
		    : trawl_writer_add(k->w, d, err);
}

enum { READ_OK = 0, READ_FAILED = -1, READ_INTERRUPTED = -2 };

/* Reads every document of INPUTS into K.  A malformed document (from the
 * input, or one the builder rejects such as a bad date) is skipped with a
 * warning and counted in BI, or with STRICT stops everything.  A build
 * warns about a repeated id; for add, replacing is the point.  Returns
 * READ_OK, READ_FAILED after printing why (WHAT is "nothing written" or
 * "nothing committed"), or READ_INTERRUPTED when g_signal is set. */
static int read_inputs(char **inputs, int ninputs, int strict, sink *k,
		       const char *what, progress *p, build_info *bi)
{
	int warn_repeats = k->b != NULL;
	trawl_error err;
	for (int i = 0; i < ninputs && !g_signal; i++) {
		p->cur = i;
		trawl_input *in = NULL;
		clear_err(&err);
		int rc = trawl_input_open(inputs[i], &in, &err);
		if (rc != TRAWL_OK) {
			fail_path(p, inputs[i], &err, rc);
			return READ_FAILED;
		}
		for (;;) {
			if (g_signal)
				break;
			trawl_doc doc;
			clear_err(&err);
			rc = trawl_input_next(in, &doc, &err);
			if (rc == 0)
				break;
			if (rc > 0) {
				clear_err(&err);
				rc = sink_add(k, &doc, &err);
				if (rc == TRAWL_EINPUT) {
					/* say which input it came from */
					char m[sizeof err.message + 64];
					path_msg(m, sizeof m, inputs[i], &err, rc);
					snprintf(err.message, sizeof err.message,
						 "%.*s",
						 (int)sizeof err.message - 1, m);
				}
			}
			if (rc == TRAWL_EINPUT) {
				if (strict) {
					fail(p, "%s", errtext(&err, rc));
					fail(p, "--strict: stopping, %s", what);
					trawl_input_close(in);
					return READ_FAILED;
				}
				doc_warn(p, "%s (document skipped)",
					 errtext(&err, rc));
				bi->skipped++;
				continue;
			}
			if (rc < 0) {
				if (g_signal)
					break;
				fail_path(p, inputs[i], &err, rc);
				trawl_input_close(in);
				return READ_FAILED;
			}
			if (rc == 1) {
				if (warn_repeats)
					doc_warn(p, "id %.*s repeated: later "
						 "document wins", (int)doc.id_len,
						 doc.id ? doc.id : "");
				bi->replaced++;
			}
			bi->docs++;
			p->docs++;
			progress_show(p, in, 0);
		}
		uint64_t d = 0, t = 0;
		trawl_input_progress(in, &d, &t);
		p->done_before += d;
		trawl_input_close(in);
	}
	bi->bytes_read = p->done_before;
	doc_warn_summary(p);
	return g_signal ? READ_INTERRUPTED : READ_OK;
}

/* Parses the options build and add share; -1 to go on, else an exit code.
 * BUILD: -o and --force are allowed. */
static int input_opts(int argc, char **argv, int build, const char *usage,
		      trawl_build_opts *bo, const char **out, int *strict,
		      int *quiet, uint64_t *max_warn)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"language", required_argument, NULL, 'l'},
		{"memory", required_argument, NULL, 'm'},
		{"threads", required_argument, NULL, 'j'},
		{"force", no_argument, NULL, 'f'},
		{"strict", no_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},
		{"max-warnings", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	opterr = 0;
	int c;
	/* GNU getopt_long permutes, so options may follow the inputs; "-"
	 * is an operand and "--" ends the options. */
	while ((c = getopt_long(argc, argv, ":o:l:m:j:fqh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'o':
		case 'f':
			if (!build)
				return bad_usage(usage, "unknown option '%s'",
						 argv[optind - 1]);
			if (c == 'o')
				*out = optarg;
			else
				bo->force = 1;
			break;
		case 'l': bo->language = optarg; break;
		case 'm':
			if (parse_size(optarg, &bo->memory_budget) != 0)
				return bad_usage(usage,
						 "bad --memory '%s' (use e.g. "
						 "512k, 256M, 1G)", optarg);
			break;
		case 'j':
			if (parse_count(optarg, &bo->threads) != 0)
				return bad_usage(usage, "bad --threads '%s'",
						 optarg);
			break;
		case 'S': *strict = 1; break;
		case 'q': *quiet = 1; break;
		case 'W':
			if (parse_limit(optarg, max_warn) != 0)
				return bad_usage(usage,
						 "bad --max-warnings '%s' (a "
						 "number, or all)", optarg);
			break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		case ':':
			return bad_usage(usage, "option '%s' needs a value",
					 argv[optind - 1]);
		default:
			if (optopt)
				return bad_usage(usage, "unknown option '-%c'",
						 optopt);
			return bad_usage(usage, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	return -1;
}

static int cmd_build(int argc, char **argv)
{
	trawl_build_opts bo;
	trawl_build_opts_init(&bo);
	const char *out = NULL;
	int strict = 0, quiet = 0;
	uint64_t max_warn = DEFAULT_MAX_WARNINGS;
	int r = input_opts(argc, argv, 1, usage_build, &bo, &out, &strict,
			   &quiet, &max_warn);
	if (r >= 0)
		return r;
	char **inputs = argv + optind;
	int ninputs = argc - optind;
	if (!out)
		return bad_usage(usage_build, "missing -o INDEX");
	if (ninputs == 0)
		return bad_usage(usage_build, "no INPUT given");

	progress p;
	if (prepare_inputs(inputs, ninputs, quiet, max_warn, &p) != 0)
		return EXIT_FAILED;
	install_signals();
	int status = EXIT_FAILED;
	trawl_builder *b = NULL;
	trawl_error err;
	build_info bi;
	memset(&bi, 0, sizeof bi);
	bi.ninputs = ninputs;

	clear_err(&err);
	int rc = trawl_builder_new(out, &bo, &b, &err);
	if (rc != TRAWL_OK) {
		char msg[1024];
		path_msg(msg, sizeof msg, out, &err, rc);
		if (rc == TRAWL_EEXIST && !strstr(msg, "--force"))
			fail(&p, "%s (use --force to replace it)", msg);
		else
			fail_path(&p, out, &err, rc);
		goto done;
	}
	sink k = { b, NULL };
	r = read_inputs(inputs, ninputs, strict, &k, "nothing written", &p,
			&bi);
	if (r == READ_INTERRUPTED)
		fail(&p, "interrupted by signal %d: nothing written",
		     (int)g_signal);
	if (r != READ_OK)
		goto done;
	progress_show(&p, NULL, 1);
	if (p.on) {
		fputs("  writing index...\033[K", stderr);
		fflush(stderr);
	}

	clear_err(&err);
	rc = trawl_builder_finish(b, &err);
	if (rc != TRAWL_OK) {
		fail_path(&p, out, &err, rc);
		goto done;
	}
	trawl_builder_free(b);
	b = NULL;
	progress_clear(&p);
	if (g_signal)
		fprintf(stderr, PROG ": signal %d arrived while committing; "
				"the index is complete\n", (int)g_signal);
	bi.seconds = now_seconds() - p.start;
	bi.peak = peak_rss();

	trawl_index *ix = NULL;
	if (open_index(out, &ix) != 0)
		goto done;
	trawl_stats st;
	memset(&st, 0, sizeof st);
	clear_err(&err);
	rc = trawl_index_stats(ix, &st, &err);
	if (rc != TRAWL_OK) {
		fail_path(&p, out, &err, rc);
		trawl_index_close(ix);
		goto done;
	}
	print_stats(out, &st, &bi);
	trawl_index_close(ix);
	status = bi.skipped ? EXIT_SKIPPED : EXIT_OK;
	if (bi.skipped)
		fprintf(stderr, PROG ": %" PRIu64 " malformed document%s "
				"skipped\n", bi.skipped,
			bi.skipped == 1 ? "" : "s");

done:
	progress_clear(&p);
	trawl_builder_free(b); /* without finish: removes temporary files */
	free(p.sizes);
	return status;
}

/* ---- add, delete, merge ------------------------------------------------- */

/* Opens DIR for writing, printing a message naming DIR (or its lock) on
 * failure.  O may be NULL. */
static int open_writer(const char *dir, const trawl_build_opts *o,
		       trawl_writer **w)
{
	trawl_error err;
	clear_err(&err);
	int rc = trawl_writer_open(dir, o, w, &err);
	if (rc == TRAWL_OK)
		return 0;
	char msg[1024];
	path_msg(msg, sizeof msg, dir, &err, rc);
	fprintf(stderr, PROG ": cannot open %s for writing: %s\n", dir, msg);
	return -1;
}

/* The figures a writer's summary ends with; 0, or -1 after a message. */
static int index_stats(const char *dir, trawl_stats *st)
{
	trawl_index *ix = NULL;
	if (open_index(dir, &ix) != 0)
		return -1;
	memset(st, 0, sizeof *st);
	trawl_error err;
	clear_err(&err);
	int rc = trawl_index_stats(ix, st, &err);
	trawl_index_close(ix);
	if (rc != TRAWL_OK) {
		char msg[1024];
		path_msg(msg, sizeof msg, dir, &err, rc);
		fprintf(stderr, PROG ": %s\n", msg);
		return -1;
	}
	return 0;
}

static void print_tail(const trawl_stats *st, double seconds)
{
	printf("segments     %" PRIu64 "\n", st->segments);
	printf("live docs    %" PRIu64 "\n", st->docs);
	printf("deleted      %" PRIu64 " (stored until a merge)\n",
	       st->deleted);
	printf("time         %.2f s\n", seconds);
}

/* Removes the empty index `add` created, when nothing was committed. */
static void remove_new_index(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/MANIFEST", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/LOCK", dir);
	unlink(p);
	rmdir(dir); /* fails, harmlessly, if anything else is there */
}

static int cmd_add(int argc, char **argv)
{
	trawl_build_opts bo;
	trawl_build_opts_init(&bo);
	bo.language = NULL; /* given or not: a new index defaults to english */
	const char *unused = NULL;
	int strict = 0, quiet = 0;
	uint64_t max_warn = DEFAULT_MAX_WARNINGS;
	int r = input_opts(argc, argv, 0, usage_add, &bo, &unused, &strict,
			   &quiet, &max_warn);
	if (r >= 0)
		return r;
	if (argc - optind < 1)
		return bad_usage(usage_add, "missing INDEX");
	const char *dir = argv[optind];
	char **inputs = argv + optind + 1;
	int ninputs = argc - optind - 1;
	if (ninputs == 0)
		return bad_usage(usage_add, "no INPUT given");

	progress p;
	if (prepare_inputs(inputs, ninputs, quiet, max_warn, &p) != 0)
		return EXIT_FAILED;
	struct stat sb;
	int existed = stat(dir, &sb) == 0;
	trawl_writer *w = NULL;
	int status = EXIT_FAILED, created = 0;
	if (open_writer(dir, &bo, &w) != 0)
		goto done;
	created = !existed;
	if (existed && bo.language) {
		trawl_index *ix = NULL;
		if (trawl_index_open(dir, &ix, NULL) == TRAWL_OK &&
		    strcmp(trawl_index_language(ix), bo.language))
			warn(&p, "%s has language %s; --language %s ignored", dir,
			     trawl_index_language(ix), bo.language);
		trawl_index_close(ix);
	}
	install_signals();
	build_info bi;
	memset(&bi, 0, sizeof bi);
	bi.ninputs = ninputs;
	sink k = { NULL, w };
	r = read_inputs(inputs, ninputs, strict, &k, "nothing committed", &p,
			&bi);
	if (r == READ_INTERRUPTED)
		fail(&p, "interrupted by signal %d: nothing committed",
		     (int)g_signal);
	if (r != READ_OK)
		goto done;
	progress_show(&p, NULL, 1);
	if (p.on) {
		fputs("  committing...\033[K", stderr);
		fflush(stderr);
	}
	trawl_error err;
	clear_err(&err);
	int rc = trawl_writer_commit(w, &err);
	if (rc != TRAWL_OK) {
		fail_path(&p, dir, &err, rc);
		goto done;
	}
	created = 0; /* committed: it stays */
	trawl_writer_close(w);
	w = NULL;
	progress_clear(&p);
	if (g_signal)
		fprintf(stderr, PROG ": signal %d arrived while committing; "
				"the add is complete\n", (int)g_signal);
	trawl_stats st;
	if (index_stats(dir, &st) != 0)
		goto done;
	printf("index        %s (language %s)\n", dir, st.language);
	printf("added        %" PRIu64 "\n", bi.docs);
	printf("replaced     %" PRIu64 "\n", bi.replaced);
	printf("skipped      %" PRIu64 "\n", bi.skipped);
	print_tail(&st, now_seconds() - p.start);
	status = bi.skipped ? EXIT_SKIPPED : EXIT_OK;
	if (bi.skipped)
		fprintf(stderr, PROG ": %" PRIu64 " malformed document%s "
				"skipped\n", bi.skipped,
			bi.skipped == 1 ? "" : "s");
done:
	progress_clear(&p);
	trawl_writer_close(w); /* without commit: discards this add */
	if (created)
		remove_new_index(dir);
	free(p.sizes);
	return status;
}

/* Reads ids from PATH ("-": stdin), one a line, into *ids / *n (growing
 * *cap).  Returns 0, or -1 after a message. */
static int read_ids(const char *path, char ***ids, size_t *n, size_t *cap)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	int rc = 0;
	while ((len = getline(&line, &lcap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (*n == *cap) {
			size_t c = *cap ? 2 * *cap : 64;
			char **t = realloc(*ids, c * sizeof *t);
			if (!t) {
				rc = -1;
				break;
			}
			*ids = t;
			*cap = c;
		}
		if (!((*ids)[*n] = strdup(line))) {
			rc = -1;
			break;
		}
		(*n)++;
	}
	if (rc)
		fputs(PROG ": out of memory\n", stderr);
	else if (ferror(f)) {
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
		rc = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int cmd_delete(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"ids-from", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *from = NULL;
	opterr = 0;
	int c;
	/* options may follow INDEX; after "--", every argument is an id */
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': from = optarg; break;
		case 'h': fputs(usage_delete, stdout); return EXIT_OK;
		case ':':
			return bad_usage(usage_delete, "option '%s' needs a value",
					 argv[optind - 1]);
		default:
			return bad_usage(usage_delete, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (argc - optind < 1)
		return bad_usage(usage_delete, "missing INDEX");
	const char *dir = argv[optind++];
	if (optind == argc && !from)
		return bad_usage(usage_delete, "no ID given (or --ids-from FILE)");

	double start = now_seconds();
	char **ids = NULL;
	size_t nids = 0, cap = 0;
	int status = EXIT_FAILED;
	trawl_writer *w = NULL;
	trawl_index *ix = NULL;
	if (from && read_ids(from, &ids, &nids, &cap) != 0)
		goto done;
	/* an index must be there: delete never creates one */
	if (open_index(dir, &ix) != 0)
		goto done;
	trawl_index_close(ix);
	if (open_writer(dir, NULL, &w) != 0)
		goto done;
	install_signals();
	uint64_t deleted = 0, missing = 0;
	size_t nargs = (size_t)(argc - optind);
	trawl_error err;
	for (size_t i = 0; i < nargs + nids && !g_signal; i++) {
		const char *id = i < nargs ? argv[optind + (int)i] : ids[i - nargs];
		clear_err(&err);
		int rc = trawl_writer_delete(w, id, strlen(id), &err);
		if (rc < 0) {
			char msg[1024];
			path_msg(msg, sizeof msg, dir, &err, rc);
			fprintf(stderr, PROG ": deleting %s: %s\n", id, msg);
			goto done;
		}
		if (rc == 0) {
			fprintf(stderr, PROG ": not found: %s\n", id);
			missing++;
		} else {
			deleted++;
		}
	}
	if (g_signal) {
		fprintf(stderr, PROG ": interrupted by signal %d: nothing "
				"deleted\n", (int)g_signal);
		goto done;
	}
	clear_err(&err);
	int rc = trawl_writer_commit(w, &err);
	if (rc != TRAWL_OK) {
		char msg[1024];
		path_msg(msg, sizeof msg, dir, &err, rc);
		fprintf(stderr, PROG ": %s\n", msg);
		goto done;
	}
	trawl_writer_close(w);
	w = NULL;
	trawl_stats st;
	if (index_stats(dir, &st) != 0)
		goto done;
	printf("index        %s\n", dir);
	printf("deleted      %" PRIu64 " document%s\n", deleted,
	       deleted == 1 ? "" : "s");
	printf("not found    %" PRIu64 "\n", missing);
	printf("segments     %" PRIu64 "\n", st.segments);
	printf("live docs    %" PRIu64 "\n", st.docs);
	printf("time         %.2f s\n", now_seconds() - start);
	status = missing ? EXIT_SKIPPED : EXIT_OK;
done:
	trawl_writer_close(w); /* without commit: nothing deleted */
	for (size_t i = 0; i < nids; i++)
		free(ids[i]);
	free(ids);
	return status;
}

static int cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"max-segments", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int max = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_count(optarg, &max) != 0 || max < 1)
				return bad_usage(usage_merge,
						 "bad --max-segments '%s' (a "
						 "number from 1)", optarg);
			break;
		case 'h': fputs(usage_merge, stdout); return EXIT_OK;
		case ':':
			return bad_usage(usage_merge, "option '%s' needs a value",
					 argv[optind - 1]);
		default:
			return bad_usage(usage_merge, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return bad_usage(usage_merge, "expected one INDEX");
	const char *dir = argv[optind];
	double start = now_seconds();
	/* no signal handlers: the merge cannot stop half way, and a merge
	 * killed at any point leaves the index as it was */
	trawl_stats before;
	if (index_stats(dir, &before) != 0)
		return EXIT_FAILED;
	trawl_writer *w = NULL;
	if (open_writer(dir, NULL, &w) != 0)
		return EXIT_FAILED;
	trawl_error err;
	clear_err(&err);
	int rc = trawl_writer_merge(w, (size_t)max, &err);
	trawl_writer_close(w);
	if (rc != TRAWL_OK) {
		char msg[1024];
		path_msg(msg, sizeof msg, dir, &err, rc);
		fprintf(stderr, PROG ": merge failed: %s\n", msg);
		return EXIT_FAILED;
	}
	trawl_stats st;
	if (index_stats(dir, &st) != 0)
		return EXIT_FAILED;
	printf("index        %s\n", dir);
	printf("segments     %" PRIu64 " -> %" PRIu64 "\n", before.segments,
	       st.segments);
	printf("live docs    %" PRIu64 "\n", st.docs);
	printf("dropped      %" PRIu64 " deleted or replaced documents\n",
	       before.deleted - st.deleted);
	printf("size         %.2f MB -> %.2f MB\n", mb(before.bytes_total),
	       mb(st.bytes_total));
	printf("time         %.2f s\n", now_seconds() - start);
	return EXIT_OK;
}

/* ---- stats, check, languages ------------------------------------------- */

/* The options and the one INDEX argument of stats and check, and the
 * index opened.  Returns -1 to go on, or the exit code. */
static int open_index_arg(int argc, char **argv, const char *usage,
			  const char **dir, trawl_index **ix)
{
	int first, r = simple_opts(argc, argv, usage, &first);
	if (r >= 0)
		return r;
	if (argc - first != 1)
		return bad_usage(usage, "expected one INDEX");
	*dir = argv[first];
	*ix = NULL;
	if (open_index(*dir, ix) != 0)
		return EXIT_FAILED;
	return -1;
}

static int cmd_stats(int argc, char **argv)
{
	const char *dir;
	trawl_index *ix;
	int r = open_index_arg(argc, argv, usage_stats, &dir, &ix);
	if (r >= 0)
		return r;
	trawl_stats st;
	memset(&st, 0, sizeof st);
	trawl_error err;
	clear_err(&err);
	int rc = trawl_index_stats(ix, &st, &err);
	if (rc != TRAWL_OK) {
		char msg[1024];
		path_msg(msg, sizeof msg, dir, &err, rc);
		fprintf(stderr, PROG ": %s\n", msg);
		trawl_index_close(ix);
		return EXIT_FAILED;
	}
	print_stats(dir, &st, NULL);
	trawl_index_close(ix);
	return EXIT_OK;
}

static int cmd_check(int argc, char **argv)
{
	const char *dir;
	trawl_index *ix;
	int r = open_index_arg(argc, argv, usage_check, &dir, &ix);
	if (r >= 0)
		return r;
	trawl_error err;
	clear_err(&err);
	int rc = trawl_index_check(ix, &err);
	trawl_index_close(ix);
	if (rc != TRAWL_OK) {
		char msg[1024];
		path_msg(msg, sizeof msg, dir, &err, rc);
		fprintf(stderr, PROG ": check failed: %s\n", msg);
		return EXIT_FAILED;
	}
	printf("ok\n");
	return EXIT_OK;
}

static int cmd_languages(int argc, char **argv)
{
	int first, r = simple_opts(argc, argv, usage_languages, &first);
	if (r >= 0)
		return r;
	if (first != argc)
		return bad_usage(usage_languages, "unexpected '%s'",
				 argv[first]);
	for (const char **l = trawl_languages(); l && *l; l++)
		printf("%s\n", *l);
	return EXIT_OK;
}

/* ---- main --------------------------------------------------------------- */

static int finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": write error on stdout: %s\n",
			strerror(errno));
		return EXIT_FAILED;
	}
	return status;
}

int main(int argc, char **argv)
{
#ifdef M_ARENA_MAX
	/* glibc gives each thread that meets a busy malloc its own arena,
	 * which keeps its freed memory apart: with two threads and --memory
	 * 4M the four shared collections peaked at 71-73 MB (more than the
	 * budget + 64 MB), with one arena at 56-60 MB, as fast. */
	mallopt(M_ARENA_MAX, 1);
#endif
	if (argc < 2)
		return bad_usage(usage_main, "missing COMMAND");
	const char *cmd = argv[1];
	int status;
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		fputs(usage_main, stdout);
		status = EXIT_OK;
	} else if (strcmp(cmd, "--version") == 0) {
		printf(PROG " %s\n", TRAWL_VERSION);
		status = EXIT_OK;
	} else if (strcmp(cmd, "help") == 0) {
		const char *u = usage_main;
		if (argc > 2) {
			if (strcmp(argv[2], "build") == 0) u = usage_build;
			else if (strcmp(argv[2], "add") == 0) u = usage_add;
			else if (strcmp(argv[2], "delete") == 0) u = usage_delete;
			else if (strcmp(argv[2], "merge") == 0) u = usage_merge;
			else if (strcmp(argv[2], "stats") == 0) u = usage_stats;
			else if (strcmp(argv[2], "check") == 0) u = usage_check;
			else if (strcmp(argv[2], "languages") == 0)
				u = usage_languages;
		}
		fputs(u, stdout);
		status = EXIT_OK;
	} else if (strcmp(cmd, "build") == 0) {
		status = cmd_build(argc - 1, argv + 1);
	} else if (strcmp(cmd, "add") == 0) {
		status = cmd_add(argc - 1, argv + 1);
	} else if (strcmp(cmd, "delete") == 0) {
		status = cmd_delete(argc - 1, argv + 1);
	} else if (strcmp(cmd, "merge") == 0) {
		status = cmd_merge(argc - 1, argv + 1);
	} else if (strcmp(cmd, "stats") == 0) {
		status = cmd_stats(argc - 1, argv + 1);
	} else if (strcmp(cmd, "check") == 0) {
		status = cmd_check(argc - 1, argv + 1);
	} else if (strcmp(cmd, "languages") == 0) {
		status = cmd_languages(argc - 1, argv + 1);
	} else {
		return bad_usage(usage_main, "unknown command '%s'", cmd);
	}
	return finish_stdout(status);
}
