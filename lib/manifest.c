/*
 * manifest.c -- reading and atomically replacing MANIFEST, and deletion
 * bitmaps (see manifest.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cfile.h"
#include "error.h"
#include "manifest.h"

void man_free(manifest *m)
{
	free(m->segs);
	memset(m, 0, sizeof *m);
}

int man_add(manifest *m, const man_seg *s)
{
	if (m->nsegs == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		man_seg *p = realloc(m->segs, cap * sizeof *p);
		if (!p)
			return TRAWL_ENOMEM;
		m->segs = p;
		m->cap = cap;
	}
	m->segs[m->nsegs++] = *s;
	return TRAWL_OK;
}

/* A safe file name: letters, digits, '-', '.', not starting with '.'. */
static int good_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '.'))
			return 0;
	return 1;
}

static int parse_seg(char *line, man_seg *s)
{
	memset(s, 0, sizeof *s);
	int have = 0;
	for (char *tok = strtok(line, " "); tok; tok = strtok(NULL, " ")) {
		char *eq = strchr(tok, '=');
		if (!eq)
			return -1;
		*eq = '\0';
		const char *k = tok, *v = eq + 1;
		char *end;
		if (!strcmp(k, "segment")) {
			if (strlen(v) >= MAN_NAME_MAX || !good_name(v))
				return -1;
			strcpy(s->name, v);
			have |= 1;
		} else if (!strcmp(k, "del")) {
			if (strcmp(v, "-") == 0)
				s->del[0] = '\0';
			else if (strlen(v) >= MAN_NAME_MAX || !good_name(v))
				return -1;
			else
				strcpy(s->del, v);
			have |= 2;
		} else {
			unsigned long long x = strtoull(v, &end, 10);
			if (*end || !*v)
				return -1;
			if (!strcmp(k, "docs") && x <= UINT32_MAX) {
				s->docs = (uint32_t)x;
				have |= 4;
			} else if (!strcmp(k, "live") && x <= UINT32_MAX) {
				s->live = (uint32_t)x;
				have |= 8;
			} else if (!strcmp(k, "title_tokens")) {
				s->title_tokens = x;
				have |= 16;
			} else if (!strcmp(k, "body_tokens")) {
				s->body_tokens = x;
				have |= 32;
			}
		}
	}
	return have == 63 && s->live <= s->docs ? 0 : -1;
}

int man_read(const char *dir, manifest *m, trawl_error *err)
{
	memset(m, 0, sizeof *m);
	cfile f;
	int rc = cf_open(&f, dir, "MANIFEST", CF_MANIFEST, err);
	if (rc)
		return rc;
	const uint8_t *p;
	rc = cf_range(&f, 0, f.data_len, &p, err);
	char *text = NULL;
	if (!rc) {
		text = malloc(f.data_len + 1);
		if (!text)
			rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	if (rc) {
		cf_close(&f);
		return rc;
	}
	memcpy(text, p, f.data_len);
	text[f.data_len] = '\0';
	cf_close(&f);
	int format = 0, bad = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && !bad;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "format=", 7))
			format = atoi(line + 7);
		else if (!strncmp(line, "generation=", 11))
			m->generation = strtoull(line + 11, NULL, 10);
		else if (!strncmp(line, "next_segment=", 13))
			m->next_segment = strtoull(line + 13, NULL, 10);
		else if (!strncmp(line, "language=", 9))
			snprintf(m->language, sizeof m->language, "%s", line + 9);
		else if (!strncmp(line, "segment=", 8)) {
			man_seg s;
			if (parse_seg(line, &s))
				bad = 1;
			else if (man_add(m, &s))
				bad = 2;
		}
	}
	free(text);
	if (bad == 2) {
		man_free(m);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	if (bad || format != MANIFEST_FORMAT || !m->language[0]) {
		man_free(m);
		return tr_err(err, format && format != MANIFEST_FORMAT ? TRAWL_EVERSION
									: TRAWL_ECORRUPT,
			      "%s/MANIFEST: bad or unsupported manifest", dir);
	}
	return TRAWL_OK;
}

int man_write(const char *dir, const manifest *m, trawl_error *err)
{
	int rc = TRAWL_OK;
	buf b;
	buf_init(&b);
	buf_printf(&rc, &b, "format=%d\ngeneration=%llu\nlanguage=%s\n"
		   "next_segment=%llu\n", MANIFEST_FORMAT,
		   (unsigned long long)m->generation, m->language,
		   (unsigned long long)m->next_segment);
	for (size_t i = 0; i < m->nsegs; i++) {
		const man_seg *s = &m->segs[i];
		buf_printf(&rc, &b, "segment=%s docs=%u live=%u del=%s "
			   "title_tokens=%llu body_tokens=%llu\n", s->name,
			   s->docs, s->live, s->del[0] ? s->del : "-",
			   (unsigned long long)s->title_tokens,
			   (unsigned long long)s->body_tokens);
	}
	if (rc) {
		buf_free(&b);
		return tr_err(err, rc, "out of memory");
	}
	char tmp[PATH_MAX], dst[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s/MANIFEST.tmp", dir);
	snprintf(dst, sizeof dst, "%s/MANIFEST", dir);
	unlink(tmp); /* a leftover of a commit that died */
	cfw w;
	rc = cfw_open(&w, tmp, CF_MANIFEST, err);
	if (!rc) {
		cfw_write(&rc, &w, b.p, b.n);
		if (rc) {
			cfw_abort(&w);
			rc = tr_err(err, rc, "%s: write failed", tmp);
		} else {
			rc = cfw_close(&w, err);
		}
	}
	buf_free(&b);
	/* the new segments' and bitmaps' directory entries must be durable
	 * before a manifest names them */
	if (!rc && (rc = tr_fsync_dir(dir, err)))
		unlink(tmp);
	if (rc)
		return rc;
	if (rename(tmp, dst) < 0) {
		int e = errno;
		unlink(tmp);
		return tr_err(err, TRAWL_EIO, "rename %s: %s", dst, strerror(e));
	}
	return tr_fsync_dir(dir, err);
}

int del_read(const char *dir, const char *name, uint32_t ndocs, uint8_t **bits,
	     trawl_error *err)
{
	cfile f;
	int rc = cf_open(&f, dir, name, CF_DEL, err);
	if (rc)
		return rc;
	size_t n = ((size_t)ndocs + 7) / 8;
	const uint8_t *p;
	if (f.data_len != n) {
		cf_close(&f);
		return tr_err(err, TRAWL_ECORRUPT, "%s/%s: %llu bytes for %u "
			      "documents", dir, name,
			      (unsigned long long)f.data_len, ndocs);
	}
	rc = cf_range(&f, 0, n, &p, err);
	uint8_t *b = rc ? NULL : malloc(n ? n : 1);
	if (!rc && !b)
		rc = tr_err(err, TRAWL_ENOMEM, "out of memory");
	if (!rc)
		memcpy(b, p, n);
	cf_close(&f);
	if (rc)
		return rc;
	*bits = b;
	return TRAWL_OK;
}

int del_write(const char *dir, const char *name, const uint8_t *bits,
	      uint32_t ndocs, trawl_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	cfw w;
	int rc = cfw_open(&w, path, CF_DEL, err);
	if (rc)
		return rc;
	cfw_write(&rc, &w, bits, ((size_t)ndocs + 7) / 8);
	if (rc) {
		cfw_abort(&w);
		return tr_err(err, rc, "%s: write failed", path);
	}
	return cfw_close(&w, err);
}
