/*
 * writer.c -- updating an index: add, replace and delete documents,
 * commit, merge (public API in trawl.h).
 *
 * Call order: open, (add | delete)*, commit, ..., merge?, close.
 *
 * Segments are immutable.  New documents go to a pending segment, built
 * by the builder in segment mode (INDEX/seg-N.tmp-XXXXXX, renamed to
 * INDEX/seg-N when the commit starts).  Deleting or replacing a committed
 * document sets its bit in a pending copy of its segment's deletion
 * bitmap.  The commit writes the new segment and new bitmaps under fresh
 * names, then the manifest (manifest.h) -- the one commit point -- and
 * only then removes what the old manifest used and the new one does not.
 * A writer that dies leaves files no manifest names; the next writer's
 * open removes them.  One writer at a time: INDEX/LOCK, flock'ed.
 *
 * Merging re-indexes the live documents of adjacent segments, read back
 * from their stores, into one new segment: deleted documents go for good.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder.h"
#include "docstore.h"
#include "error.h"
#include "index.h"
#include "manifest.h"
#include "segment.h"

#define MERGE_FACTOR 8
#define MERGE_MIN_DOCS 1000

struct trawl_writer {
	char *dir;
	int lock_fd;
	trawl_build_opts opts;
	char language[32];
	manifest man;           /* the last commit */
	trawl_index *ix;        /* a reader of the last commit */
	uint8_t **pdel;         /* per committed segment: pending bitmap or NULL */
	uint32_t *pdel_count;   /* documents newly deleted in it */
	trawl_builder *pending; /* new documents */
	char pending_name[MAN_NAME_MAX];
	int broken;             /* a failed commit left no usable reader */
};

static int in_manifest(const manifest *m, const char *name)
{
	for (size_t i = 0; i < m->nsegs; i++)
		if (!strcmp(m->segs[i].name, name) || !strcmp(m->segs[i].del, name))
			return 1;
	return 0;
}

/* Removes every entry of the index directory that the manifest does not
 * name (segments and bitmaps of commits that died or were superseded,
 * temporary files), keeping MANIFEST and LOCK. */
static void remove_unreferenced(const char *dir, const manifest *m)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		const char *n = e->d_name;
		if (!strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "MANIFEST") ||
		    !strcmp(n, "LOCK") || in_manifest(m, n))
			continue;
		if (strncmp(n, "seg-", 4) && strncmp(n, "del-", 4) &&
		    strcmp(n, "MANIFEST.tmp"))
			continue; /* not ours: leave it */
		char p[PATH_MAX + 256];
		snprintf(p, sizeof p, "%s/%s", dir, n);
		tr_rm_tree(p);
	}
	closedir(d);
}

static void drop_pending(trawl_writer *w)
{
	trawl_builder_free(w->pending);
	w->pending = NULL;
	for (size_t i = 0; w->pdel && i < w->man.nsegs; i++) {
		free(w->pdel[i]);
		w->pdel[i] = NULL;
		w->pdel_count[i] = 0;
	}
}

/* Reloads the manifest and the reader after a commit. */
static int reload(trawl_writer *w, trawl_error *err)
{
	drop_pending(w);
	free(w->pdel);
	free(w->pdel_count);
	w->pdel = NULL;
	w->pdel_count = NULL;
	man_free(&w->man);
	trawl_index_close(w->ix);
	w->ix = NULL;
	int rc = man_read(w->dir, &w->man, err);
	if (rc)
		return rc;
	rc = trawl_index_open(w->dir, &w->ix, err);
	if (rc)
		return rc;
	size_t n = w->man.nsegs ? w->man.nsegs : 1;
	w->pdel = calloc(n, sizeof *w->pdel);
	w->pdel_count = calloc(n, sizeof *w->pdel_count);
	if (!w->pdel || !w->pdel_count)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	snprintf(w->language, sizeof w->language, "%s", w->man.language);
	return TRAWL_OK;
}

/* After a failed commit or merge: drops the pending changes and brings
 * the writer back to the manifest on disk -- the old one, or the new one
 * when only the final fsync of the directory failed -- removing the
 * segments and bitmaps that it does not name, so that the next commit
 * can reuse their names. */
static void after_failure(trawl_writer *w)
{
	drop_pending(w);
	manifest disk;
	trawl_error e2;
	if (man_read(w->dir, &disk, &e2) != TRAWL_OK) {
		w->broken = 1;
		return;
	}
	remove_unreferenced(w->dir, &disk);
	if (disk.generation != w->man.generation && reload(w, &e2))
		w->broken = 1;
	man_free(&disk);
}

static int check_usable(const trawl_writer *w, trawl_error *err)
{
	if (w->broken)
		return tr_err(err, TRAWL_EINVAL, "%s: the writer cannot go on "
			      "after a failed commit; close it", w->dir);
	return TRAWL_OK;
}

/* An existing directory a writer may turn into an index: nothing in it
 * but what an earlier writer of a new index may have left. */
static int empty_or_ours(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int ok = 1;
	while (ok && (e = readdir(d))) {
		const char *n = e->d_name;
		ok = !strcmp(n, ".") || !strcmp(n, "..") || !strcmp(n, "LOCK") ||
		     !strcmp(n, "MANIFEST.tmp") || !strncmp(n, "seg-", 4) ||
		     !strncmp(n, "del-", 4);
	}
	closedir(d);
	return ok;
}

int trawl_writer_open(const char *dir, const trawl_build_opts *o,
		      trawl_writer **out, trawl_error *err)
{
	*out = NULL;
	trawl_writer *w = calloc(1, sizeof *w);
	if (!w)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	w->lock_fd = -1;
	if (o)
		w->opts = *o;
	else
		trawl_build_opts_init(&w->opts);
	w->dir = strdup(dir);
	if (!w->dir) {
		free(w);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	int rc = TRAWL_OK;
	const char *lang = w->opts.language ? w->opts.language : "english";
	struct stat st;
	if (stat(dir, &st) != 0) {
		/* check the language before anything appears at DIR */
		trawl_analyzer *a;
		if ((rc = trawl_analyzer_new(lang, &a, err)))
			goto fail;
		trawl_analyzer_free(a);
		if (mkdir(dir, 0777) < 0) {
			rc = tr_err(err, TRAWL_EIO, "cannot create %s: %s", dir,
				    strerror(errno));
			goto fail;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		rc = tr_err(err, TRAWL_EINVAL, "%s is not a directory", dir);
		goto fail;
	}
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/MANIFEST", dir);
	char q[PATH_MAX];
	snprintf(q, sizeof q, "%s/meta", dir);
	if (access(p, F_OK) != 0 && access(q, F_OK) != 0 &&
	    !empty_or_ours(dir)) {
		/* never write a LOCK and MANIFEST into someone's directory */
		rc = tr_err(err, TRAWL_EINVAL, "%s is not a trawl index (no "
			    "MANIFEST) and not empty", dir);
		goto fail;
	}
	snprintf(p, sizeof p, "%s/LOCK", dir);
	w->lock_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (w->lock_fd < 0) {
		rc = tr_err(err, TRAWL_EIO, "%s: %s", p, strerror(errno));
		goto fail;
	}
	if (flock(w->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		rc = tr_err(err, errno == EWOULDBLOCK ? TRAWL_ELOCKED : TRAWL_EIO,
			    "%s: %s", p, errno == EWOULDBLOCK
				    ? "another writer holds this lock"
				    : strerror(errno));
		goto fail;
	}
	manifest m;
	rc = man_read(dir, &m, err);
	if (rc == TRAWL_ENOTFOUND) {
		snprintf(p, sizeof p, "%s/meta", dir);
		if (access(p, F_OK) == 0) {
			rc = tr_err(err, TRAWL_EVERSION, "%s: an index without a "
				    "MANIFEST cannot be updated; rebuild it", dir);
			goto fail;
		}
		/* a new, empty index */
		memset(&m, 0, sizeof m);
		m.generation = 0;
		m.next_segment = 1;
		snprintf(m.language, sizeof m.language, "%s", lang);
		trawl_analyzer *a;
		rc = trawl_analyzer_new(m.language, &a, err);
		trawl_analyzer_free(a);
		if (!rc)
			rc = man_write(dir, &m, err);
	}
	if (rc)
		goto fail;
	remove_unreferenced(dir, &m);
	man_free(&m);
	if ((rc = reload(w, err)))
		goto fail;
	*out = w;
	return TRAWL_OK;
fail:
	trawl_writer_close(w);
	return rc;
}

void trawl_writer_close(trawl_writer *w)
{
	if (!w)
		return;
	drop_pending(w);
	free(w->pdel);
	free(w->pdel_count);
	man_free(&w->man);
	trawl_index_close(w->ix);
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	free(w->dir);
	free(w);
}

static int ensure_pending(trawl_writer *w, trawl_error *err)
{
	if (w->pending)
		return TRAWL_OK;
	snprintf(w->pending_name, sizeof w->pending_name, "seg-%08llu",
		 (unsigned long long)w->man.next_segment);
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", w->dir, w->pending_name);
	trawl_build_opts o = w->opts;
	o.language = w->language;
	o.force = 0;
	return builder_create(p, &o, 1, &w->pending, err);
}

/* Marks committed document DOCNO (global) deleted in the pending bitmaps. */
static int pending_delete(trawl_writer *w, uint32_t docno, trawl_error *err)
{
	uint32_t local;
	segment *sg = ix_segment(w->ix, docno, &local);
	if (!sg)
		return tr_err(err, TRAWL_ENOTFOUND, "no document %u", docno);
	size_t i = (size_t)(sg - w->ix->segs);
	if (!w->pdel[i]) {
		size_t n = ((size_t)sg->ndocs + 7) / 8;
		w->pdel[i] = calloc(n ? n : 1, 1);
		if (!w->pdel[i])
			return tr_err(err, TRAWL_ENOMEM, "out of memory");
		if (sg->del)
			memcpy(w->pdel[i], sg->del, n);
	}
	uint8_t bit = (uint8_t)(1u << (local & 7));
	if (w->pdel[i][local >> 3] & bit)
		return 0;
	w->pdel[i][local >> 3] |= bit;
	w->pdel_count[i]++;
	return 1;
}

/* The committed document with this id, unless already pending-deleted:
 * 1 with *docno, 0 if none. */
static int committed_id(trawl_writer *w, const char *id, size_t len,
			uint32_t *docno, trawl_error *err)
{
	int r = ix_find_id(w->ix, id, len, docno, err);
	if (r <= 0)
		return r;
	uint32_t local;
	segment *sg = ix_segment(w->ix, *docno, &local);
	size_t i = (size_t)(sg - w->ix->segs);
	if (w->pdel[i] && (w->pdel[i][local >> 3] >> (local & 7)) & 1)
		return 0;
	return 1;
}

int trawl_writer_add(trawl_writer *w, const trawl_doc *d, trawl_error *err)
{
	int rc = check_usable(w, err);
	if (!rc)
		rc = ensure_pending(w, err);
	if (rc)
		return rc;
	int r = trawl_builder_add(w->pending, d, err);
	if (r < 0)
		return r;
	uint32_t docno;
	int c = committed_id(w, d->id, d->id_len, &docno, err);
	if (c < 0)
		return c;
	if (c) {
		int pd = pending_delete(w, docno, err);
		if (pd < 0)
			return pd;
		r = 1;
	}
	return r;
}

int trawl_writer_delete(trawl_writer *w, const char *id, size_t len,
			trawl_error *err)
{
	int rc = check_usable(w, err);
	if (rc)
		return rc;
	int found = w->pending ? builder_delete_id(w->pending, id, len) : 0;
	uint32_t docno;
	int c = committed_id(w, id, len, &docno, err);
	if (c < 0)
		return c;
	if (c) {
		int pd = pending_delete(w, docno, err);
		if (pd < 0)
			return pd;
		found = 1;
	}
	return found;
}

/* Lengths of the documents of SG newly deleted in BITS, to take out of
 * the manifest's sums. */
static int deleted_lengths(segment *sg, const uint8_t *bits, uint32_t *nlive,
			   uint64_t *tt, uint64_t *bt, trawl_error *err)
{
	*nlive = 0;
	*tt = *bt = 0;
	for (uint32_t d = 0; d < sg->ndocs; d++) {
		docrec r;
		int rc = seg_docrec(sg, d, &r, err);
		if (rc)
			return rc;
		int dead = r.dead || ((bits[d >> 3] >> (d & 7)) & 1);
		if (dead)
			continue;
		(*nlive)++;
		*tt += r.title_len;
		*bt += r.body_len;
	}
	return TRAWL_OK;
}

static int merge_policy(trawl_writer *w, trawl_error *err);

/* The end of a commit or merge that wrote (rc == 0) or failed to write
 * manifest M: on success, remove what M no longer names and reload; on
 * failure, remove what was written under fresh names (a segment or
 * bitmap left in place would block the next commit, which reuses its
 * name).  Frees M; returns RC or the reload's error. */
static int settle(trawl_writer *w, manifest *m, int rc, trawl_error *err)
{
	if (!rc)
		remove_unreferenced(w->dir, m);
	man_free(m);
	if (rc) {
		after_failure(w);
		return rc;
	}
	if ((rc = reload(w, err)))
		w->broken = 1;
	return rc;
}

/* Writes the pending changes and the new manifest.  On failure the
 * pending changes are gone and the writer is back at the last commit. */
static int commit_changes(trawl_writer *w, trawl_error *err)
{
	int rc = check_usable(w, err);
	if (rc)
		return rc;
	manifest m;
	memset(&m, 0, sizeof m);
	m.generation = w->man.generation + 1;
	m.next_segment = w->man.next_segment;
	snprintf(m.language, sizeof m.language, "%s", w->man.language);
	for (size_t i = 0; i < w->man.nsegs && !rc; i++) {
		man_seg s = w->man.segs[i];
		if (w->pdel[i] && w->pdel_count[i]) {
			segment *sg = &w->ix->segs[i];
			/* segment names are "seg-" and 8 digits */
			snprintf(s.del, sizeof s.del, "del-%.16s-%llu", s.name + 4,
				 (unsigned long long)m.generation);
			rc = del_write(w->dir, s.del, w->pdel[i], sg->ndocs, err);
			if (!rc)
				rc = deleted_lengths(sg, w->pdel[i], &s.live,
						     &s.title_tokens,
						     &s.body_tokens, err);
		}
		if (!rc && s.live == 0)
			continue; /* every document gone: drop the segment */
		if (!rc && man_add(&m, &s))
			rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	if (!rc && w->pending && builder_ndocs(w->pending)) {
		rc = trawl_builder_finish(w->pending, err);
		if (!rc) {
			man_seg s;
			builder_seg_info(w->pending, &s);
			snprintf(s.name, sizeof s.name, "%s", w->pending_name);
			m.next_segment++;
			if (s.live && man_add(&m, &s))
				rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
		}
	}
	if (!rc)
		rc = man_write(w->dir, &m, err);
	return settle(w, &m, rc, err);
}

int trawl_writer_commit(trawl_writer *w, trawl_error *err)
{
	int rc = commit_changes(w, err);
	if (rc)
		return rc;
	rc = merge_policy(w, err);
	if (rc && err) {
		/* say that the changes themselves are safe */
		static const char pre[] = "changes committed, but the "
					  "automatic merge failed: ";
		char m[sizeof pre + sizeof err->message];
		snprintf(m, sizeof m, "%s%s", pre, err->message);
		snprintf(err->message, sizeof err->message, "%.*s",
			 (int)(sizeof err->message - 1), m);
	}
	return rc;
}

/* Re-indexes the live documents of segments [from, to) into one new
 * segment and commits the manifest with it in their place. */
static int merge_range(trawl_writer *w, size_t from, size_t to,
		       trawl_error *err)
{
	char name[MAN_NAME_MAX], p[PATH_MAX];
	snprintf(name, sizeof name, "seg-%08llu",
		 (unsigned long long)w->man.next_segment);
	snprintf(p, sizeof p, "%s/%s", w->dir, name);
	trawl_build_opts o = w->opts;
	o.language = w->language;
	o.force = 0;
	trawl_builder *b;
	int rc = builder_create(p, &o, 1, &b, err);
	if (rc)
		return rc;
	for (size_t i = from; i < to && !rc; i++) {
		segment *sg = &w->ix->segs[i];
		ds_cursor dc;
		memset(&dc, 0, sizeof dc);
		dc.dicts = &sg->store_dicts;
		for (uint32_t d = 0; d < sg->ndocs && !rc; d++) {
			docrec r;
			if ((rc = seg_docrec(sg, d, &r, err)) || r.dead)
				continue;
			trawl_stored *s;
			if ((rc = ds_get_cached(&sg->store, &dc, r.block, d, &s, err)))
				break;
			trawl_doc doc = { s->id, s->id_len, s->title, s->title_len,
					  s->body, s->body_len, s->date, s->date_len,
					  s->source, s->source_len };
			int a = trawl_builder_add(b, &doc, err);
			free(s);
			if (a < 0)
				rc = a;
		}
		ds_cursor_free(&dc);
	}
	if (!rc)
		rc = trawl_builder_finish(b, err);
	manifest m;
	memset(&m, 0, sizeof m);
	if (!rc) {
		m.generation = w->man.generation + 1;
		m.next_segment = w->man.next_segment + 1;
		snprintf(m.language, sizeof m.language, "%s", w->man.language);
		man_seg s;
		builder_seg_info(b, &s);
		snprintf(s.name, sizeof s.name, "%s", name);
		for (size_t i = 0; i < w->man.nsegs && !rc; i++) {
			if (i >= from && i < to) {
				if (i == from && s.live && man_add(&m, &s))
					rc = TRAWL_ENOMEM;
				continue;
			}
			if (man_add(&m, &w->man.segs[i]))
				rc = TRAWL_ENOMEM;
		}
		if (rc)
			tr_err(err, rc, "out of memory");
		else
			rc = man_write(w->dir, &m, err);
	}
	trawl_builder_free(b);
	return settle(w, &m, rc, err);
}

static unsigned level_of(uint32_t live)
{
	unsigned l = 0;
	uint64_t cap = MERGE_MIN_DOCS;
	while (live >= cap && l < 20) {
		cap *= MERGE_FACTOR;
		l++;
	}
	return l;
}

static int merge_policy(trawl_writer *w, trawl_error *err)
{
	for (;;) {
		size_t n = w->man.nsegs;
		if (n < MERGE_FACTOR)
			return TRAWL_OK;
		unsigned l = level_of(w->man.segs[n - 1].live);
		size_t k = 1;
		while (k < n && level_of(w->man.segs[n - 1 - k].live) <= l)
			k++;
		if (k < MERGE_FACTOR)
			return TRAWL_OK;
		int rc = merge_range(w, n - k, n, err);
		if (rc)
			return rc;
	}
}

int trawl_writer_merge(trawl_writer *w, size_t max_segments, trawl_error *err)
{
	if (max_segments < 1)
		max_segments = 1;
	int rc = commit_changes(w, err);
	if (rc)
		return rc;
	if (w->man.nsegs > max_segments) {
		/* merge the tail segments, which are the newest and smallest */
		size_t n = w->man.nsegs;
		size_t k = n - max_segments + 1;
		if ((rc = merge_range(w, n - k, n, err)))
			return rc;
	}
	/* deleted documents go for good in the segments not merged too;
	 * merge_range keeps segment i at index i (none has 0 live) */
	for (size_t i = 0; i < w->man.nsegs; i++)
		if (w->man.segs[i].live < w->man.segs[i].docs) {
			if ((rc = merge_range(w, i, i + 1, err)))
				return rc;
		}
	return TRAWL_OK;
}
