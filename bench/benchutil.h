/*
 * benchutil.h -- the parts the three query harnesses share (header only,
 * valid C11 and C++): reading one column of bench/queries.txt, a monotonic
 * clock, the timing loop's bookkeeping, and the output format.
 *
 * queries.txt: one query a line, four TAB-separated columns
 *
 *     kind <TAB> trawl query <TAB> xapian query or - <TAB> fts5 query or -
 *
 * Blank lines and lines starting with '#' are skipped.  A "-" means the
 * engine cannot express the query; the harness prints "n/a" for it.
 *
 * Output of every harness, one line per query in file order:
 *
 *     median_us <TAB> p95_us <TAB> count
 *
 * ("n/a" three times for a query the engine cannot express, "err" three
 * times, with the message on stderr, for one it rejects).  With a samples
 * file, every timed repetition is written there too, one line per query,
 * so that the report can pool the samples of a query kind.
 */
#ifndef BENCHUTIL_H
#define BENCHUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Column numbers in queries.txt (0-based). */
enum { BQ_KIND = 0, BQ_TRAWL = 1, BQ_XAPIAN = 2, BQ_FTS5 = 3 };

/* One query of the file: its text for this harness, NULL when "-". */
typedef struct bq_query {
	char *text;
	double *samples; /* microseconds, one per timed repetition */
	size_t nsamples;
} bq_query;

typedef struct bq_options {
	const char *queries;  /* path of queries.txt */
	const char *samples;  /* path to write raw samples, or NULL */
	int column;           /* BQ_TRAWL, BQ_XAPIAN or BQ_FTS5 */
	int reps;             /* timed repetitions per query */
	int warmup;           /* untimed passes over all queries first */
} bq_options;

static inline double bq_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Returns field COL of the TAB-separated LINE (modified in place), or NULL. */
static inline char *bq_field(char *line, int col)
{
	char *p = line;
	for (int i = 0; i < col; i++) {
		p = strchr(p, '\t');
		if (!p)
			return NULL;
		p++;
	}
	char *end = strchr(p, '\t');
	if (end)
		*end = '\0';
	return p;
}

/* Reads column COL of every query line of PATH.  OUT: *out (n entries).
 * Returns 0, or -1 with a message on stderr. */
static inline int bq_load(const char *path, int col, bq_query **out,
			  size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	bq_query *qs = NULL;
	size_t cnt = 0, cap = 0;
	char line[8192];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *text = bq_field(line, col);
		if (!text) {
			fprintf(stderr, "%s:%d: fewer than %d columns\n", path,
				lineno, col + 1);
			fclose(f);
			return -1;
		}
		if (cnt == cap) {
			cap = cap ? 2 * cap : 64;
			qs = (bq_query *)realloc(qs, cap * sizeof *qs);
			if (!qs) {
				fclose(f);
				return -1;
			}
		}
		qs[cnt].text = strcmp(text, "-") == 0 ? NULL : strdup(text);
		qs[cnt].samples = NULL;
		qs[cnt].nsamples = 0;
		cnt++;
	}
	fclose(f);
	*out = qs;
	*n = cnt;
	return 0;
}

static inline int bq_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median and 95th percentile (nearest rank) of N samples; sorts them. */
static inline void bq_stats(double *s, size_t n, double *median, double *p95)
{
	qsort(s, n, sizeof *s, bq_cmp_double);
	*median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	size_t rank = (size_t)(0.95 * (double)n + 0.999999);
	*p95 = s[rank ? rank - 1 : 0];
}

/* Parses "-q FILE -r REPS -w WARMUP -s SAMPLES" from argv[i..].  Returns
 * 0, or -1 for an unknown or incomplete option. */
static inline int bq_parse_args(int argc, char **argv, int i, bq_options *o)
{
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (i + 1 >= argc)
			return -1;
		if (strcmp(a, "-q") == 0)
			o->queries = argv[++i];
		else if (strcmp(a, "-r") == 0)
			o->reps = atoi(argv[++i]);
		else if (strcmp(a, "-w") == 0)
			o->warmup = atoi(argv[++i]);
		else if (strcmp(a, "-s") == 0)
			o->samples = argv[++i];
		else
			return -1;
	}
	return o->queries && o->reps > 0 && o->warmup >= 0 ? 0 : -1;
}

/*
 * The timing loop.  RUN(ctx, text, &count) executes one query completely
 * (parse, top 10 ranked, exact count) and returns 0, or non-zero when the
 * engine rejects it (it prints why).  First WARMUP untimed passes over all
 * queries, then REPS timed rounds; each round runs every query once, so
 * that a burst of noise from other processes spreads over all queries
 * instead of falling on one.  Prints one result line per query.
 */
typedef int (*bq_run_fn)(void *ctx, const char *text, unsigned long long *count);

static inline int bq_main_loop(const bq_options *o, bq_run_fn run, void *ctx)
{
	bq_query *qs;
	size_t n;
	if (bq_load(o->queries, o->column, &qs, &n))
		return 2;
	unsigned long long *counts =
		(unsigned long long *)calloc(n ? n : 1, sizeof *counts);
	char *failed = (char *)calloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++) {
		qs[i].samples = (double *)calloc((size_t)o->reps, sizeof(double));
		if (qs[i].text && run(ctx, qs[i].text, &counts[i]))
			failed[i] = 1; /* rejected: never timed */
	}
	for (int w = 1; w < o->warmup; w++) /* pass 1 was the check above */
		for (size_t i = 0; i < n; i++)
			if (qs[i].text && !failed[i])
				run(ctx, qs[i].text, &counts[i]);
	for (int r = 0; r < o->reps; r++)
		for (size_t i = 0; i < n; i++) {
			if (!qs[i].text || failed[i])
				continue;
			unsigned long long c = 0;
			double t0 = bq_now_us();
			run(ctx, qs[i].text, &c);
			qs[i].samples[qs[i].nsamples++] = bq_now_us() - t0;
			if (c != counts[i]) {
				fprintf(stderr, "count changed: %s\n", qs[i].text);
				counts[i] = c;
			}
		}
	FILE *sf = o->samples ? fopen(o->samples, "w") : NULL;
	if (o->samples && !sf)
		perror(o->samples);
	for (size_t i = 0; i < n; i++) {
		if (!qs[i].text || failed[i]) {
			const char *w = failed[i] ? "err" : "n/a";
			printf("%s\t%s\t%s\n", w, w, w);
			if (sf)
				fprintf(sf, "%s\n", w);
			continue;
		}
		if (sf) {
			for (size_t k = 0; k < qs[i].nsamples; k++)
				fprintf(sf, "%s%.1f", k ? " " : "", qs[i].samples[k]);
			fputc('\n', sf);
		}
		double med, p95;
		bq_stats(qs[i].samples, qs[i].nsamples, &med, &p95);
		printf("%.1f\t%.1f\t%llu\n", med, p95, counts[i]);
	}
	if (sf)
		fclose(sf);
	for (size_t i = 0; i < n; i++) {
		free(qs[i].text);
		free(qs[i].samples);
	}
	free(qs);
	free(counts);
	free(failed);
	return 0;
}

#endif /* BENCHUTIL_H */
