/*
 * bench_codec.c -- measures the postings codecs on a real index: for every
 * term's docno gaps, frequencies and position gaps, the bytes taken by
 * LEB128 varints, plain frame-of-reference bit packing (FOR) and the
 * index's own block codec (PFor or Rice, whichever is smaller, reported as
 * pfor_*), and the decode speed of each, in blocks of 128 values.  Prints
 * one key=value line per result.  Then what any coding of the same
 * information must spend at least, under two models that ignore word
 * order beyond each document's counts (bound=...): each posting's
 * position set as a random subset of its field (binomial: log2 C(n, tf)
 * a posting), and each document's token sequence as a random arrangement
 * of its words (multinomial: log2 n! / prod tf! a field), beside the bits
 * the index spends; and for the doc ids, each term's documents as a
 * random subset (log2 C(N, df)).  A code below these needs context
 * between words (which word follows which).  Built by bench/run.sh:
 *
 *   bench/results/tmp/bin/bench_codec INDEX
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "dict.h"
#include "index.h"
#include "postings.h"

typedef struct stream {
	uint32_t *v;
	size_t n, cap;
} stream;

static void push(stream *s, uint32_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1 << 20;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		if (!s->v) {
			perror("realloc");
			exit(2);
		}
	}
	s->v[s->n++] = x;
}

/* log2 of n choose k */
static double log2_choose(double n, double k)
{
	return (lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)) / M_LN2;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned width(const uint32_t *v, size_t n)
{
	uint32_t m = 0;
	for (size_t i = 0; i < n; i++)
		m |= v[i];
	return m ? 32 - (unsigned)__builtin_clz(m) : 0;
}

/* Size of a PFor block whose exceptions are packed: 7-bit indices and
 * high parts at one width (what a denser exception layout would cost). */
static size_t packed_exc_size(const uint32_t *v, size_t n)
{
	unsigned count[33] = { 0 };
	for (size_t i = 0; i < n; i++)
		count[v[i] ? 32 - __builtin_clz(v[i]) : 0]++;
	unsigned maxb = 32;
	while (maxb > 0 && count[maxb] == 0)
		maxb--;
	size_t best = 2 + (n * maxb + 7) / 8, nexc = 0;
	for (unsigned b = maxb; b-- > 0;) {
		nexc += count[b + 1];
		size_t size = 3 + (n * b + 7) / 8 + (nexc * 7 + 7) / 8 +
			      (nexc * (maxb - b) + 7) / 8;
		if (size < best)
			best = size;
	}
	return best;
}

static void measure(const char *name, const stream *s)
{
	size_t pexc = 0;
	for (size_t i = 0; i < s->n; i += PC_BLOCK)
		pexc += packed_exc_size(s->v + i, s->n - i < PC_BLOCK ? s->n - i : PC_BLOCK);
	printf("stream=%s packed_exceptions_bits=%.2f\n", name, 8.0 * pexc / s->n);
	int rc = TRAWL_OK;
	buf vb, fb, pb;
	buf_init(&vb);
	buf_init(&fb);
	buf_init(&pb);
	for (size_t i = 0; i < s->n; i++)
		buf_put_varint(&rc, &vb, s->v[i]);
	for (size_t i = 0; i < s->n; i += PC_BLOCK) {
		size_t k = s->n - i < PC_BLOCK ? s->n - i : PC_BLOCK;
		unsigned w = width(s->v + i, k);
		buf_putc(&rc, &fb, (uint8_t)w);
		buf_reserve(&rc, &fb, (k * w + 7) / 8);
		pc_pack(fb.p + fb.n, s->v + i, k, w);
		fb.n += (k * w + 7) / 8;
		pc_encode(&rc, &pb, s->v + i, k);
	}
	uint32_t out[PC_BLOCK];
	uint64_t sum = 0;
	/* decode speeds, best of 3 */
	double tv = 1e9, tf = 1e9, tp = 1e9;
	for (int rep = 0; rep < 3; rep++) {
		double t0 = now();
		rd r = { vb.p, vb.p + vb.n };
		for (size_t i = 0; i < s->n; i++) {
			uint32_t x;
			rd_varint32(&r, &x);
			sum += x;
		}
		double t1 = now();
		const uint8_t *p = fb.p;
		for (size_t i = 0; i < s->n; i += PC_BLOCK) {
			size_t k = s->n - i < PC_BLOCK ? s->n - i : PC_BLOCK;
			unsigned w = *p++;
			pc_unpack(out, p, k, w);
			p += (k * w + 7) / 8;
			sum += out[0];
		}
		double t2 = now();
		rd r2 = { pb.p, pb.p + pb.n };
		for (size_t i = 0; i < s->n; i += PC_BLOCK) {
			size_t k = s->n - i < PC_BLOCK ? s->n - i : PC_BLOCK;
			pc_decode(&r2, out, k);
			sum += out[0];
		}
		double t3 = now();
		if (t1 - t0 < tv) tv = t1 - t0;
		if (t2 - t1 < tf) tf = t2 - t1;
		if (t3 - t2 < tp) tp = t3 - t2;
	}
	double n = (double)s->n;
	printf("stream=%s values=%zu varint_bits=%.2f for_bits=%.2f pfor_bits=%.2f "
	       "varint_Mints_s=%.0f for_Mints_s=%.0f pfor_Mints_s=%.0f check=%llu\n",
	       name, s->n, 8.0 * vb.n / n, 8.0 * fb.n / n, 8.0 * pb.n / n,
	       n / tv / 1e6, n / tf / 1e6, n / tp / 1e6,
	       (unsigned long long)(sum & 1));
	buf_free(&vb);
	buf_free(&fb);
	buf_free(&pb);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bench_codec INDEX\n");
		return 2;
	}
	trawl_error err;
	trawl_index *ix;
	if (trawl_index_open(argv[1], &ix, &err)) {
		fprintf(stderr, "bench_codec: %s\n", err.message);
		return 2;
	}
	stream gaps = { 0 }, tfs = { 0 }, pos = { 0 };
	segment *sg = &ix->segs[0];
	/* per document and field: the sum of lgamma(tf + 1) of its words */
	double *lg_title = calloc(sg->ndocs ? sg->ndocs : 1, sizeof *lg_title);
	double *lg_body = calloc(sg->ndocs ? sg->ndocs : 1, sizeof *lg_body);
	if (!lg_title || !lg_body) {
		perror("calloc");
		return 2;
	}
	double binomial = 0, docid_bound = 0;
	uint64_t pos_bytes = 0, post_bytes = 0;
	dict_iter it;
	dterm t;
	if (dict_seek(&ix->segs[0].dict, &it, "", 0, &err))
		return 2;
	uint64_t pair_bytes = 0;
	while (dict_next(&it, &t, &err) == 1) {
		if (t.len && t.term[0] == SEG_PAIR_MARK) {
			/* word pairs copy words: the bounds are of words */
			pair_bytes += t.pos_len + t.post_len;
			continue;
		}
		pcursor c;
		if (pcur_open(&c, &ix->segs[0].postings, &ix->segs[0].positions, &t, &err))
			return 2;
		uint32_t prev = UINT32_MAX;
		docid_bound += log2_choose(sg->live, t.df);
		pos_bytes += t.pos_len;
		post_bytes += t.post_len;
		for (; c.docno != DOC_END; pcur_next(&c)) {
			docrec r;
			if (seg_docrec(sg, c.docno, &r, &err))
				return 2;
			uint32_t ft = pcur_tf_title(&c), fb = pcur_tf_body(&c);
			binomial += log2_choose(r.title_len, ft) +
				    log2_choose(r.body_len, fb);
			lg_title[c.docno] += lgamma(ft + 1.0);
			lg_body[c.docno] += lgamma(fb + 1.0);
			push(&gaps, c.docno - prev - 1);
			prev = c.docno;
			/* as the index stores it: tf - 1 */
			push(&tfs, pcur_tf_title(&c) + pcur_tf_body(&c) - 1);
			const uint32_t *p;
			uint32_t n;
			pcur_positions(&c, &p, &n);
			uint32_t last = UINT32_MAX;
			for (uint32_t i = 0; i < n; i++) {
				if (i == pcur_tf_title(&c))
					last = UINT32_MAX;
				uint32_t v = p[i] & ~POS_BODY;
				push(&pos, v - last - 1);
				last = v;
			}
		}
		pcur_close(&c);
	}
	printf("# bench_codec %s (reproduce: bench/results/tmp/bin/bench_codec %s)\n",
	       argv[1], argv[1]);
	measure("docno_gaps", &gaps);
	measure("tf_minus_1", &tfs);
	measure("position_gaps", &pos);
	double multinomial = 0;
	for (uint32_t d = 0; d < sg->ndocs; d++) {
		docrec r;
		if (seg_docrec(sg, d, &r, &err))
			return 2;
		if (r.dead)
			continue;
		multinomial += (lgamma(r.title_len + 1.0) - lg_title[d] +
				lgamma(r.body_len + 1.0) - lg_body[d]) / M_LN2;
	}
	double npos = (double)pos.n, npost = (double)gaps.n;
	printf("bound=positions values=%zu index_bits=%.2f binomial_bits=%.2f "
	       "multinomial_bits=%.2f\n", pos.n, 8.0 * pos_bytes / npos,
	       binomial / npos, multinomial / npos);
	printf("word_pairs bytes=%llu (left out above)\n",
	       (unsigned long long)pair_bytes);
	printf("bound=docids values=%zu postings_file_bits=%.2f "
	       "random_subset_bits=%.2f\n", gaps.n, 8.0 * post_bytes / npost,
	       docid_bound / npost);
	free(lg_title);
	free(lg_body);
	free(gaps.v);
	free(tfs.v);
	free(pos.v);
	trawl_index_close(ix);
	return 0;
}
