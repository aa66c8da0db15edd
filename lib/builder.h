/*
 * builder.h -- the builder's internal entry points for the writer
 * (writer.c): building one segment of an existing index.
 */
#ifndef TRAWL_BUILDER_H
#define TRAWL_BUILDER_H

#include "manifest.h"
#include "trawl.h"

/* SEGMENT_ONLY: DIR is the segment's final path inside an index; the
 * build happens in DIR.tmp-XXXXXX and finish renames it to DIR, with no
 * manifest (the writer commits).  Otherwise as trawl_builder_new. */
int builder_create(const char *dir, const trawl_build_opts *o,
		   int segment_only, trawl_builder **out, trawl_error *err);

/* After a successful finish: the segment's manifest entry (name and del
 * left empty). */
void builder_seg_info(const trawl_builder *b, man_seg *out);

/* Marks the pending document with this id dead; 1 if there was one. */
int builder_delete_id(trawl_builder *b, const char *id, size_t len);

/* Documents added so far. */
uint32_t builder_ndocs(const trawl_builder *b);

/* Calls FN for every id the builder holds a live document for. */
int builder_foreach_id(const trawl_builder *b,
		       int (*fn)(void *ctx, const char *id, size_t len),
		       void *ctx);

/* Test hook: the budget a lane needs (builder.c); lowered, a build with
 * two threads deals its documents to two lanes under a small budget. */
extern size_t tr_lane_min_budget;

/* Test hook: 0 builds segments without word pairs, as a build before
 * them did (segment.h); 1, the default, with them. */
extern int tr_build_pairs;

#endif
