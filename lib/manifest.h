/*
 * manifest.h -- the commit point of an index: which segments make it up
 * and which of their documents are deleted.
 *
 * "MANIFEST" is a cfile (kind CF_MANIFEST) of text lines:
 *   format=2
 *   generation=G          increases by one with every commit
 *   language=english
 *   next_segment=N        number for the next new segment
 *   segment=NAME docs=D live=L del=FILE|- title_tokens=T body_tokens=B
 *   ...                   (one line a segment, in document order)
 * FILE is a deletion bitmap (cfile kind CF_DEL, bit d set = docno d of the
 * segment deleted; D bits).  A commit writes new segments and bitmaps under
 * fresh names, then MANIFEST.tmp, fsyncs it, renames it over MANIFEST and
 * fsyncs the directory: a reader sees the old or the new manifest whole.
 */
#ifndef TRAWL_MANIFEST_H
#define TRAWL_MANIFEST_H

#include <stdint.h>

#include "trawl.h"

#define MANIFEST_FORMAT 2
#define MAN_NAME_MAX 64

typedef struct man_seg {
	char name[MAN_NAME_MAX];   /* directory in the index */
	char del[MAN_NAME_MAX];    /* deletion bitmap file, "" for none */
	uint32_t docs, live;
	uint64_t title_tokens, body_tokens; /* of live documents */
} man_seg;

typedef struct manifest {
	uint64_t generation;
	uint64_t next_segment;
	char language[32];
	man_seg *segs;
	size_t nsegs, cap;
} manifest;

/* Reads DIR/MANIFEST.  ENOTFOUND when there is none. */
int man_read(const char *dir, manifest *m, trawl_error *err);
/* Writes DIR/MANIFEST atomically (temp, fsync, rename, fsync dir). */
int man_write(const char *dir, const manifest *m, trawl_error *err);
void man_free(manifest *m);
int man_add(manifest *m, const man_seg *s);

/* Deletion bitmaps. OUT: *bits (ndocs bits, free()), read and checked. */
int del_read(const char *dir, const char *name, uint32_t ndocs, uint8_t **bits,
	     trawl_error *err);
int del_write(const char *dir, const char *name, const uint8_t *bits,
	      uint32_t ndocs, trawl_error *err);

#endif
