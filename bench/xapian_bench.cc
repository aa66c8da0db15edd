/*
 * xapian_bench.cc -- Xapian's side of the benchmark (C++ API, 1.4).
 *
 *   xapian_bench index DBDIR INPUT
 *       indexes a JSON Lines corpus (.jsonl or .jsonl.gz) single-threaded.
 *       Documents are read with trawl's own reader (trawl_input_*), so all
 *       engines see exactly the same title and body strings.
 *
 *   xapian_bench query DBDIR -q QUERIES [-r REPS] [-w WARMUP] [-s SAMPLES]
 *       times column 3 of QUERIES.  Output: see benchutil.h.
 *
 * How the index is made, to match trawl's semantics as closely as Xapian
 * allows (SPEC.md sections 2-3):
 *   - TermGenerator with the English Snowball stemmer (the same algorithm
 *     as trawl's default) and STEM_ALL: every term, also inside phrases,
 *     is the stem, as in trawl.  (Xapian's default, STEM_SOME, indexes
 *     unstemmed words as well and would make a larger index.)
 *   - positions on; no stop words.
 *   - the title twice: with prefix "S" (for title:) and unprefixed, so
 *     that plain queries search title and body.  A gap of 100 positions
 *     between title and body keeps phrases from spanning the two fields.
 *   - the document's id as a unique boolean term "Q<id>", and id, title,
 *     date, source and body as the document data, so that Xapian stores
 *     the text as trawl does (docdata.glass holds it; the report can take
 *     it out of the total).
 *   - after the last document, the database is compacted into one
 *     read-optimised copy (Database::compact), as trawl's final merge and
 *     FTS5's 'optimize' do; the time counts as indexing.
 *
 * Queries: QueryParser with the same stemmer and STEM_ALL, default
 * operator AND (trawl's implicit AND), FLAG_PHRASE | FLAG_BOOLEAN |
 * FLAG_WILDCARD | FLAG_LOVEHATE, prefix "title:" -> "S".  Each run parses
 * the query and calls get_mset(0, 10, doccount): the top 10 by BM25 and,
 * because check_at_least covers every document, an exact match count.
 */
#include <xapian.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ftw.h>
#include <string>

#include "trawl.h"
#include "benchutil.h"

static int usage()
{
	std::fprintf(stderr,
		     "usage: xapian_bench index DBDIR INPUT\n"
		     "       xapian_bench query DBDIR -q QUERIES [-r REPS] [-w WARMUP] [-s SAMPLES]\n");
	return 2;
}

/* nftw callback of rm_rf. */
static int rm_entry(const char *path, const struct stat *, int, struct FTW *)
{
	return std::remove(path);
}

/* Removes the tree at PATH, if any. */
static void rm_rf(const std::string &path)
{
	nftw(path.c_str(), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int cmd_index(const char *dbdir, const char *input)
{
	trawl_input *in;
	trawl_error err;
	if (trawl_input_open(input, &in, &err) != TRAWL_OK) {
		std::fprintf(stderr, "xapian_bench: %s\n", err.message);
		return 1;
	}
	/* Build beside the target, then compact into the target. */
	std::string tmp = std::string(dbdir) + ".build";
	rm_rf(tmp);
	rm_rf(dbdir);
	unsigned long long ndocs = 0, skipped = 0;
	try {
		Xapian::WritableDatabase db(tmp, Xapian::DB_CREATE_OR_OVERWRITE);
		Xapian::TermGenerator tg;
		tg.set_stemmer(Xapian::Stem("english"));
		tg.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
		trawl_doc d;
		int rc;
		while ((rc = trawl_input_next(in, &d, &err)) != 0) {
			if (rc == TRAWL_EINPUT) { /* skipped, as trawl-index does */
				skipped++;
				continue;
			}
			if (rc < 0) {
				std::fprintf(stderr, "xapian_bench: %s\n", err.message);
				trawl_input_close(in);
				return 1;
			}
			std::string id(d.id, d.id_len);
			std::string title(d.title ? d.title : "", d.title ? d.title_len : 0);
			std::string body(d.body ? d.body : "", d.body ? d.body_len : 0);
			Xapian::Document doc;
			tg.set_document(doc);
			tg.index_text(title, 1, "S");
			tg.increase_termpos();
			tg.index_text(title);
			tg.increase_termpos();
			tg.index_text(body);
			/* Stored text: id, title, date, source, body. */
			std::string data = id + '\n' + title + '\n' +
				std::string(d.date ? d.date : "", d.date ? d.date_len : 0) + '\n' +
				std::string(d.source ? d.source : "", d.source ? d.source_len : 0) + '\n' +
				body;
			doc.set_data(data);
			std::string idterm = "Q" + id;
			doc.add_boolean_term(idterm);
			db.replace_document(idterm, doc); /* a repeated id replaces */
			ndocs++;
		}
		db.commit();
		db.compact(dbdir);
		db.close();
	} catch (const Xapian::Error &e) {
		std::fprintf(stderr, "xapian_bench: %s\n", e.get_description().c_str());
		trawl_input_close(in);
		return 1;
	}
	trawl_input_close(in);
	rm_rf(tmp);
	std::printf("documents=%llu\nskipped=%llu\n", ndocs, skipped);
	return 0;
}

/* What one query run needs. */
struct QueryCtx {
	Xapian::Database db;
	Xapian::QueryParser qp;
	Xapian::doccount doccount;
};

/* One complete query: parse, top 10, exact count. */
static int run_query(void *ctx, const char *text, unsigned long long *count)
{
	QueryCtx *c = static_cast<QueryCtx *>(ctx);
	try {
		const unsigned flags = Xapian::QueryParser::FLAG_PHRASE |
			Xapian::QueryParser::FLAG_BOOLEAN |
			Xapian::QueryParser::FLAG_WILDCARD |
			Xapian::QueryParser::FLAG_LOVEHATE;
		Xapian::Query q = c->qp.parse_query(text, flags);
		Xapian::Enquire enq(c->db);
		enq.set_query(q);
		Xapian::MSet m = enq.get_mset(0, 10, c->doccount);
		volatile Xapian::docid sink = 0;
		for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
			sink += *it;
		(void)sink;
		*count = m.get_matches_estimated(); /* exact: see above */
		if (m.get_matches_lower_bound() != m.get_matches_upper_bound())
			std::fprintf(stderr, "xapian: %s: count not exact\n", text);
	} catch (const Xapian::Error &e) {
		std::fprintf(stderr, "xapian: %s: %s\n", text,
			     e.get_description().c_str());
		return -1;
	}
	return 0;
}

static int cmd_query(const char *dbdir, int argc, char **argv)
{
	bq_options o = { NULL, NULL, BQ_XAPIAN, 20, 2 };
	if (bq_parse_args(argc, argv, 3, &o))
		return usage();
	try {
		QueryCtx c;
		c.db = Xapian::Database(dbdir);
		c.doccount = c.db.get_doccount();
		c.qp.set_database(c.db); /* needed for wildcard expansion */
		c.qp.set_stemmer(Xapian::Stem("english"));
		c.qp.set_stemming_strategy(Xapian::QueryParser::STEM_ALL);
		c.qp.set_default_op(Xapian::Query::OP_AND);
		c.qp.add_prefix("title", "S");
		return bq_main_loop(&o, run_query, &c);
	} catch (const Xapian::Error &e) {
		std::fprintf(stderr, "xapian_bench: %s\n", e.get_description().c_str());
		return 1;
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();
	if (std::strcmp(argv[1], "index") == 0 && argc == 4)
		return cmd_index(argv[2], argv[3]);
	if (std::strcmp(argv[1], "query") == 0)
		return cmd_query(argv[2], argc, argv);
	return usage();
}
