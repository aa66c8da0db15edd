/*
 * segment.h -- names and small records shared by the writer (builder.c)
 * and the reader (index.c) of an index directory:
 *
 *   meta       cfile: "key=value\n" lines (format, language, counts, sums)
 *   terms      cfile: dictionary (dict.h)
 *   postings   cfile: doc ids, frequencies, skip data (postings.h)
 *   positions  cfile: positions (postings.h)
 *   postings.2, positions.2
 *              with parts=2 in meta (format 2): the second part of each,
 *              from the term where a second thread took over the merge.
 *              The dictionary's offsets run on across the parts, as if
 *              each pair were one file: part 2 starts at part 1's length
 *   docs       cfile: one 16-byte record a document, by docno:
 *              u32 title tokens | u32 body tokens | u32 date (yyyymmdd, 0 =
 *              none) | u32 store block, bit 31 set when the document was
 *              replaced (it then has no postings)
 *   store      cfile: stored documents (docstore.h)
 *   ids        cfile: nlive x { u64 id hash | u32 docno }, sorted
 */
#ifndef TRAWL_SEGMENT_H
#define TRAWL_SEGMENT_H

#include <stdint.h>

#define SEG_FORMAT 2     /* 1: the same without parts (read as parts=1) */
#define SEG_POSTINGS2 "postings.2"
#define SEG_POSITIONS2 "positions.2"
#define SEG_FIRST "seg-00000001" /* the segment of a fresh build */
#define IDREC_SIZE 12            /* ids file: u64 id hash | u32 docno */
/* meta "pairs": up to SEG_PAIR_WORDS words, space-separated, whose
 * adjacent occurrences are also indexed as one term: SEG_PAIR_MARK, the
 * first word, a space, the second (at the first word's positions) */
#define SEG_PAIR_WORDS 8
#define SEG_PAIR_WORD_MAX 15
#define SEG_PAIR_MARK '\001'

/* The 64-bit hash of an id in the "ids" file (sorted by hash, then
 * docno; live documents only), so replace and delete find a document by
 * id without a scan.  A hash match is confirmed against the stored id. */
uint64_t seg_id_hash(const char *id, size_t len);
#define DOCREC_SIZE 16
#define DOCREC_DEAD 0x80000000u

/* Parses YYYY-MM-DD (a real calendar date) into yyyymmdd; 0 if invalid. */
uint32_t seg_parse_date(const char *s, size_t n);

#endif
