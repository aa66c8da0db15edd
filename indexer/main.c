/*
 * trawl-index -- builds, describes and verifies a trawl index.
 *
 *   trawl-index build -o INDEX [options] INPUT...
 *   trawl-index stats INDEX
 *   trawl-index check INDEX
 *   trawl-index languages
 *
 * A thin command: argv -> libtrawl calls -> stdout.  It reads documents with
 * trawl_input_next, hands them to a trawl_builder and commits with
 * trawl_builder_finish; the summary comes from trawl_index_stats on the
 * finished index.  Progress and warnings go to stderr, results to stdout.
 * Exit codes: 0 ok, 1 built with skipped documents, 2 failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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
	"  stats INDEX                         print the index's figures\n"
	"  check INDEX                         verify every checksum and invariant\n"
	"  languages                           list the stemming languages\n"
	"\n"
	"`" PROG " COMMAND --help` describes one command.\n"
	"exit codes: 0 ok, 1 built but documents were skipped, 2 failed\n";

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
	"  -q, --quiet            no progress display\n"
	"  -h, --help             this text\n"
	"\n"
	"Progress goes to stderr when it is a terminal; the summary to stdout.\n"
	"exit codes: 0 ok, 1 built but malformed documents were skipped,\n"
	"            2 failed or interrupted (nothing written)\n";

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
	} else if (st->deleted) {
		printf("replaced     %" PRIu64 "\n", st->deleted);
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

typedef struct progress {
	int on;             /* stderr is a terminal */
	int shown;          /* a progress line is on screen */
	double start, last; /* seconds */
	uint64_t docs;
	uint64_t done_before; /* bytes of finished inputs */
	uint64_t *sizes;      /* per input: stat size, 0 = unknown */
	int ninputs, cur;
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

static void warn(progress *p, const char *fmt, ...)
{
	va_list ap;
	progress_clear(p);
	fputs(PROG ": warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void fail(progress *p, const char *fmt, ...)
{
	va_list ap;
	progress_clear(p);
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
}

static int cmd_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"language", required_argument, NULL, 'l'},
		{"memory", required_argument, NULL, 'm'},
		{"threads", required_argument, NULL, 'j'},
		{"force", no_argument, NULL, 'f'},
		{"strict", no_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	trawl_build_opts bo;
	trawl_build_opts_init(&bo);
	const char *out = NULL;
	int strict = 0, quiet = 0;

	opterr = 0;
	int c;
	/* GNU getopt_long permutes, so options may follow the inputs; "-"
	 * is an operand and "--" ends the options. */
	while ((c = getopt_long(argc, argv, ":o:l:m:j:fqh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'l': bo.language = optarg; break;
		case 'm':
			if (parse_size(optarg, &bo.memory_budget) != 0)
				return bad_usage(usage_build,
						 "bad --memory '%s' (use e.g. "
						 "512k, 256M, 1G)", optarg);
			break;
		case 'j':
			if (parse_count(optarg, &bo.threads) != 0)
				return bad_usage(usage_build,
						 "bad --threads '%s'", optarg);
			break;
		case 'f': bo.force = 1; break;
		case 'S': strict = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_build, stdout); return EXIT_OK;
		case ':':
			return bad_usage(usage_build, "option '%s' needs a value",
					 argv[optind - 1]);
		default:
			if (optopt)
				return bad_usage(usage_build,
						 "unknown option '-%c'", optopt);
			return bad_usage(usage_build, "unknown option '%s'",
					 argv[optind - 1]);
		}
	}
	char **inputs = argv + optind;
	int ninputs = argc - optind;
	if (!out)
		return bad_usage(usage_build, "missing -o INDEX");
	if (ninputs == 0)
		return bad_usage(usage_build, "no INPUT given");

	/* Check every input exists before any work, and note its size for
	 * the progress display. */
	progress p;
	memset(&p, 0, sizeof p);
	p.on = !quiet && isatty(STDERR_FILENO);
	p.ninputs = ninputs;
	p.sizes = calloc((size_t)ninputs, sizeof *p.sizes);
	if (!p.sizes) {
		fputs(PROG ": out of memory\n", stderr);
		return EXIT_FAILED;
	}
	for (int i = 0; i < ninputs; i++) {
		struct stat sb;
		if (strcmp(inputs[i], "-") == 0) {
			if (fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode))
				p.sizes[i] = (uint64_t)sb.st_size;
			continue;
		}
		if (stat(inputs[i], &sb) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", inputs[i],
				strerror(errno));
			free(p.sizes);
			return EXIT_FAILED;
		}
		if (S_ISREG(sb.st_mode))
			p.sizes[i] = (uint64_t)sb.st_size;
	}

	install_signals();
	int status = EXIT_FAILED;
	trawl_builder *b = NULL;
	trawl_input *in = NULL;
	trawl_error err;
	build_info bi;
	memset(&bi, 0, sizeof bi);
	bi.ninputs = ninputs;
	p.start = now_seconds();
	p.last = p.start; /* first update after 0.25 s: none for tiny builds */

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

	for (int i = 0; i < ninputs && !g_signal; i++) {
		p.cur = i;
		clear_err(&err);
		rc = trawl_input_open(inputs[i], &in, &err);
		if (rc != TRAWL_OK) {
			fail_path(&p, inputs[i], &err, rc);
			goto done;
		}
		for (;;) {
			if (g_signal)
				break;
			trawl_doc doc;
			clear_err(&err);
			rc = trawl_input_next(in, &doc, &err);
			if (rc == 0)
				break;
			if (rc == TRAWL_EINPUT) {
				if (strict) {
					fail(&p, "%s", errtext(&err, rc));
					fail(&p, "--strict: stopping, nothing "
						 "written");
					goto done;
				}
				warn(&p, "%s (document skipped)",
				     errtext(&err, rc));
				bi.skipped++;
				continue;
			}
			if (rc < 0) {
				if (g_signal)
					break;
				fail_path(&p, inputs[i], &err, rc);
				goto done;
			}
			clear_err(&err);
			rc = trawl_builder_add(b, &doc, &err);
			if (rc == 1) {
				warn(&p, "id %.*s repeated: later document wins",
				     (int)doc.id_len, doc.id ? doc.id : "");
				bi.replaced++;
			} else if (rc < 0) {
				fail_path(&p, inputs[i], &err, rc);
				goto done;
			}
			p.docs++;
			progress_show(&p, in, 0);
		}
		uint64_t d = 0, t = 0;
		trawl_input_progress(in, &d, &t);
		p.done_before += d;
		trawl_input_close(in);
		in = NULL;
	}
	if (g_signal) {
		fail(&p, "interrupted by signal %d: nothing written",
		     (int)g_signal);
		goto done;
	}
	bi.bytes_read = p.done_before;
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
	trawl_input_close(in);
	trawl_builder_free(b); /* without finish: removes temporary files */
	free(p.sizes);
	return status;
}

/* ---- stats, check, languages ------------------------------------------- */

static int cmd_stats(int argc, char **argv)
{
	int first, r = simple_opts(argc, argv, usage_stats, &first);
	if (r >= 0)
		return r;
	if (argc - first != 1)
		return bad_usage(usage_stats, "expected one INDEX");
	const char *dir = argv[first];
	trawl_index *ix = NULL;
	if (open_index(dir, &ix) != 0)
		return EXIT_FAILED;
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
	int first, r = simple_opts(argc, argv, usage_check, &first);
	if (r >= 0)
		return r;
	if (argc - first != 1)
		return bad_usage(usage_check, "expected one INDEX");
	const char *dir = argv[first];
	trawl_index *ix = NULL;
	if (open_index(dir, &ix) != 0)
		return EXIT_FAILED;
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
			else if (strcmp(argv[2], "stats") == 0) u = usage_stats;
			else if (strcmp(argv[2], "check") == 0) u = usage_check;
			else if (strcmp(argv[2], "languages") == 0)
				u = usage_languages;
		}
		fputs(u, stdout);
		status = EXIT_OK;
	} else if (strcmp(cmd, "build") == 0) {
		status = cmd_build(argc - 1, argv + 1);
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
