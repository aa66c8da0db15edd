/*
 * cfile.c -- checked index files (layout in cfile.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <isa-l/crc.h>

#include "cfile.h"
#include "codec.h"
#include "error.h"

/* The CRC-32 of gzip and zlib (same values, so the format is unchanged),
 * computed with ISA-L's carry-less multiplies: ~10x zlib's speed here,
 * and every byte of an index passes through it when written and when
 * first read. */
static inline uint32_t crc_of(uint32_t crc, const void *p, size_t n)
{
	return crc32_gzip_refl(crc, p, n);
}

#define CF_MAGIC "TRAWLIDX"
#define CF_TRAILER_MAGIC "TEND"
#define CFW_BUF (1u << 20)
/* Every CFW_KICK bytes a file's writeback is started: the build's last
 * fsyncs then wait for the tail only, not for every file at once (four
 * shared collections, sealing and closing the files: ~90 ms -> ~65 ms,
 * medians of 6 two-thread builds), and a large build does not leave
 * gigabytes of dirty pages behind it. */
#define CFW_KICK ((uint64_t)8 << 20)

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void make_header(uint8_t h[CF_HEADER], uint32_t kind, uint64_t len)
{
	memcpy(h, CF_MAGIC, 8);
	put32(h + 8, kind);
	put32(h + 12, CF_VERSION);
	put32(h + 16, (uint32_t)len);
	put32(h + 20, (uint32_t)(len >> 32));
	put32(h + 24, CF_CHUNK_SHIFT);
	put32(h + 28, crc_of(0, h, 28));
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

int cfw_open(cfw *w, const char *path, uint32_t kind, trawl_error *err)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->kind = kind;
	w->path = strdup(path);
	w->out = malloc(CFW_BUF);
	if (!w->path || !w->out) {
		cfw_abort(w);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		int e = errno;
		free(w->path);
		w->path = NULL;
		cfw_abort(w);
		return tr_err(err, TRAWL_EIO, "%s: %s", path, strerror(e));
	}
	uint8_t h[CF_HEADER];
	make_header(h, kind, 0);
	memcpy(w->out, h, CF_HEADER);
	w->out_n = CF_HEADER;
	w->crc = 0;
	return TRAWL_OK;
}

static void flush_out(int *rc, cfw *w)
{
	if (*rc || w->out_n == 0)
		return;
	if (write_all(w->fd, w->out, w->out_n) < 0) {
		if (!w->eno)
			w->eno = errno;
		*rc = TRAWL_EIO;
		return;
	}
	w->file_len += w->out_n;
	w->out_n = 0;
#ifdef SYNC_FILE_RANGE_WRITE
	if (w->file_len - w->kicked >= CFW_KICK) {
		/* advice: a failure shows, if it matters, in the fsync */
		(void)sync_file_range(w->fd, (off_t)w->kicked,
				      (off_t)(w->file_len - w->kicked),
				      SYNC_FILE_RANGE_WRITE);
		w->kicked = w->file_len;
	}
#endif
}

static void push_crc(int *rc, cfw *w)
{
	if (w->ncrcs == w->crcs_cap) {
		size_t cap = w->crcs_cap ? w->crcs_cap * 2 : 256;
		uint32_t *c = realloc(w->crcs, cap * sizeof *c);
		if (!c) {
			*rc = TRAWL_ENOMEM;
			return;
		}
		w->crcs = c;
		w->crcs_cap = cap;
	}
	w->crcs[w->ncrcs++] = w->crc;
	w->crc = 0;
	w->chunk_fill = 0;
}

void cfw_write(int *rc, cfw *w, const void *p, size_t n)
{
	const uint8_t *c = p;
	while (n && !*rc) {
		size_t room = (size_t)(CF_CHUNK - w->chunk_fill);
		size_t k = n < room ? n : room;
		if (k > CFW_BUF - w->out_n)
			k = CFW_BUF - w->out_n;
		memcpy(w->out + w->out_n, c, k);
		w->crc = crc_of(w->crc, c, k);
		w->out_n += k;
		w->chunk_fill += k;
		w->data_len += k;
		c += k;
		n -= k;
		if (w->chunk_fill == CF_CHUNK)
			push_crc(rc, w);
		if (w->out_n == CFW_BUF)
			flush_out(rc, w);
	}
}

uint64_t cfw_offset(const cfw *w)
{
	return w->data_len;
}

void cfw_start_writeback(const cfw *w)
{
#ifdef SYNC_FILE_RANGE_WRITE
	/* advice: a failure shows, if it matters, in the fsync */
	(void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#else
	(void)w;
#endif
}

/* Sealing or closing W failed with RC (errno E for EIO): reports it and
 * removes the file. */
static int finish_failed(cfw *w, int rc, int e, trawl_error *err)
{
	if (rc == TRAWL_EIO)
		tr_err(err, rc, "%s: write failed: %s", w->path, strerror(e));
	else
		tr_err(err, rc, "%s: out of memory", w->path);
	cfw_abort(w);
	return rc;
}

int cfw_seal(cfw *w, trawl_error *err)
{
	int rc = TRAWL_OK;
	if (w->chunk_fill)
		push_crc(&rc, w);
	uint8_t t[4];
	uint32_t tcrc = 0;
	for (size_t i = 0; i < w->ncrcs && !rc; i++) {
		put32(t, w->crcs[i]);
		tcrc = crc_of(tcrc, t, 4);
		if (w->out_n + 4 > CFW_BUF)
			flush_out(&rc, w);
		memcpy(w->out + w->out_n, t, 4);
		w->out_n += 4;
	}
	if (!rc && w->out_n + 8 > CFW_BUF)
		flush_out(&rc, w);
	if (!rc) {
		put32(w->out + w->out_n, tcrc);
		memcpy(w->out + w->out_n + 4, CF_TRAILER_MAGIC, 4);
		w->out_n += 8;
	}
	flush_out(&rc, w);
	if (!rc) {
		uint8_t h[CF_HEADER];
		make_header(h, w->kind, w->data_len);
		if (pwrite(w->fd, h, CF_HEADER, 0) != CF_HEADER)
			rc = TRAWL_EIO;
	}
	if (rc)
		return finish_failed(w, rc, errno, err);
	w->sealed = 1;
	cfw_start_writeback(w);
	return TRAWL_OK;
}

int cfw_close(cfw *w, trawl_error *err)
{
	int rc = w->sealed ? TRAWL_OK : cfw_seal(w, err);
	if (rc)
		return rc;
	if (fsync(w->fd) < 0)
		return finish_failed(w, TRAWL_EIO, errno, err);
	if (close(w->fd) < 0) {
		int e = errno;
		w->fd = -1;
		cfw_abort(w);
		return tr_err(err, TRAWL_EIO, "close failed: %s", strerror(e));
	}
	w->fd = -1;
	free(w->path);
	free(w->crcs);
	free(w->out);
	memset(w, 0, sizeof *w);
	w->fd = -1;
	return TRAWL_OK;
}

void cfw_abort(cfw *w)
{
	/* path is set only once the file exists */
	if (w->path) {
		if (w->fd >= 0)
			close(w->fd);
		unlink(w->path);
	}
	free(w->path);
	free(w->crcs);
	free(w->out);
	memset(w, 0, sizeof *w);
	w->fd = -1;
}

int cfw_fail(const cfw *w, int rc, trawl_error *err)
{
	return tr_err(err, rc, "writing %s: %s", w->path ? w->path : "?",
		      rc == TRAWL_EIO && w->eno ? strerror(w->eno)
						: trawl_errstr(rc));
}

/* ---- reading ---- */

int cf_open(cfile *f, const char *dir, const char *name, uint32_t kind,
	    trawl_error *err)
{
	memset(f, 0, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return tr_err(err, e == ENOENT ? TRAWL_ENOTFOUND : TRAWL_EIO,
			      "%s: %s", path, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return tr_err(err, TRAWL_EIO, "%s: %s", path, strerror(e));
	}
	size_t len = (size_t)st.st_size;
	if (len < CF_HEADER + 8) {
		close(fd);
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: truncated (%zu bytes, offset 0)", path, len);
	}
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (m == MAP_FAILED)
		return tr_err(err, TRAWL_EIO, "%s: mmap: %s", path, strerror(e));
	f->map = m;
	f->map_len = len;
	const uint8_t *h = f->map;
	if (memcmp(h, CF_MAGIC, 8) != 0) {
		cf_close(f);
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: not a trawl index file (bad magic at offset 0)",
			      path);
	}
	if (get_u32le(h + 28) != crc_of(0, h, 28)) {
		cf_close(f);
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: header checksum mismatch (offset 0)", path);
	}
	if (get_u32le(h + 12) != CF_VERSION) {
		uint32_t v = get_u32le(h + 12);
		cf_close(f);
		return tr_err(err, TRAWL_EVERSION,
			      "%s: format version %u, this build reads %u (rebuild the index)", path,
			      v, CF_VERSION);
	}
	if (get_u32le(h + 8) != kind || get_u32le(h + 24) != CF_CHUNK_SHIFT) {
		cf_close(f);
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: wrong file kind or chunk size (offset 8)",
			      path);
	}
	f->data_len = get_u64le(h + 16);
	f->nchunks = (f->data_len + CF_CHUNK - 1) >> CF_CHUNK_SHIFT;
	if (f->data_len > len || f->nchunks > len / 4 ||
	    (uint64_t)CF_HEADER + f->data_len + 4 * f->nchunks + 8 != len) {
		cf_close(f);
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: size %zu does not match its header (truncated "
			      "or extended; offset 16)", path, len);
	}
	f->data = f->map + CF_HEADER;
	f->crcs = f->data + f->data_len;
	const uint8_t *t = f->crcs + 4 * f->nchunks;
	if (memcmp(t + 4, CF_TRAILER_MAGIC, 4) != 0 ||
	    get_u32le(t) != crc_of(0, f->crcs, 4 * f->nchunks)) {
		cf_close(f);
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: checksum table damaged (offset %llu)", path,
			      (unsigned long long)(CF_HEADER + f->data_len));
	}
	f->verified = calloc(f->nchunks ? f->nchunks : 1, 1);
	if (!f->verified) {
		cf_close(f);
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	}
	return TRAWL_OK;
}

int cf_open_part(cfile *f, const char *dir, const char *name, uint32_t kind,
		 trawl_error *err)
{
	cfile *p = calloc(1, sizeof *p);
	if (!p)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	int rc = cf_open(p, dir, name, kind, err);
	if (rc) {
		free(p);
		return rc;
	}
	while (f->next)
		f = f->next;
	f->next = p;
	return TRAWL_OK;
}

void cf_close(cfile *f)
{
	if (f->next) {
		cf_close(f->next);
		free(f->next);
	}
	if (f->map)
		munmap((void *)f->map, f->map_len);
	free(f->verified);
	memset(f, 0, sizeof *f);
}

static int verify_chunk(cfile *f, uint64_t c, trawl_error *err)
{
	if (__atomic_load_n(&f->verified[c], __ATOMIC_ACQUIRE))
		return TRAWL_OK;
	uint64_t off = c << CF_CHUNK_SHIFT;
	uint64_t n = f->data_len - off < CF_CHUNK ? f->data_len - off : CF_CHUNK;
	uint32_t want = get_u32le(f->crcs + 4 * c);
	if (crc_of(0, f->data + off, n) != want)
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: checksum mismatch in bytes %llu-%llu (file "
			      "offset %llu)", f->name, (unsigned long long)off,
			      (unsigned long long)(off + n - 1),
			      (unsigned long long)(off + CF_HEADER));
	__atomic_store_n(&f->verified[c], 1, __ATOMIC_RELEASE);
	return TRAWL_OK;
}

int cf_range_slow(cfile *f, uint64_t off, uint64_t len, const uint8_t **p,
		  trawl_error *err)
{
	if (f->next && off >= f->data_len)
		return cf_range(f->next, off - f->data_len, len, p, err);
	if (off > f->data_len || len > f->data_len - off)
		return tr_err(err, TRAWL_ECORRUPT,
			      "%s: reference to bytes %llu+%llu past the end "
			      "(%llu bytes)", f->name, (unsigned long long)off,
			      (unsigned long long)len,
			      (unsigned long long)f->data_len);
	if (len) {
		uint64_t c0 = off >> CF_CHUNK_SHIFT;
		uint64_t c1 = (off + len - 1) >> CF_CHUNK_SHIFT;
		for (uint64_t c = c0; c <= c1; c++) {
			int rc = verify_chunk(f, c, err);
			if (rc)
				return rc;
		}
	}
	*p = f->data + off;
	return TRAWL_OK;
}

int cf_verify_all(cfile *f, trawl_error *err)
{
	for (; f; f = f->next)
		for (uint64_t c = 0; c < f->nchunks; c++) {
			int rc = verify_chunk(f, c, err);
			if (rc)
				return rc;
		}
	return TRAWL_OK;
}

uint64_t cf_size(const cfile *f)
{
	uint64_t n = 0;
	for (; f; f = f->next)
		n += f->map_len;
	return n;
}

uint64_t cf_data_len(const cfile *f)
{
	uint64_t n = 0;
	for (; f; f = f->next)
		n += f->data_len;
	return n;
}

int tr_fsync_dir(const char *dir, trawl_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return tr_err(err, TRAWL_EIO, "%s: %s", dir, strerror(errno));
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	if (rc < 0)
		return tr_err(err, TRAWL_EIO, "fsync %s: %s", dir, strerror(e));
	return TRAWL_OK;
}

int tr_rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return unlink(path);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[PATH_MAX + 256];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			tr_rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	return rmdir(path);
}
