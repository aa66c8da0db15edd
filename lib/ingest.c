/*
 * ingest.c -- corpus readers behind trawl_input_*: JSON Lines (a file,
 * standard input or memory; plain or gzip, told apart by the magic bytes
 * 1f 8b) and directory trees of .txt files.
 *
 * Call order: trawl_input_open, trawl_input_next* (until 0 or a fatal
 * code), trawl_input_close.
 *
 * JSON Lines: raw bytes are read (or inflated) in large chunks into one
 * growing buffer; lines are cut with memchr and parsed in place by
 * json_parse_doc, so the steady state makes no allocation and no copy
 * except of strings that hold escapes.  A line over the limit is dropped
 * without being kept in memory.  .txt trees are listed and sorted at open
 * (so builds are deterministic and the total size is known); each file is
 * read whole when its turn comes.  This module does not validate dates or
 * detect repeated ids: the builder does.
 *
 * A malformed line is TRAWL_EINPUT "file:line:column: what", the column in
 * bytes from 1 (a BOM on line 1 counted), and reading goes on; a gzip
 * stream cut short or damaged is TRAWL_ECORRUPT after every line decoded
 * before the damage has been delivered, and the input stops there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>

#include "buf.h"
#include "error.h"
#include "ingest.h"
#include "json.h"
#include "tlimits.h"

#define DEFAULT_CHUNK ((size_t)1 << 20) /* few syscalls and inflate calls */
/* gzip: least compressed input and room handed to the decoder
 * (fill_gz) */
#define GZ_IN ((size_t)1 << 16)
#define GZ_OUT ((size_t)1 << 17)
#define MAX_CHUNK ((size_t)1 << 30)     /* fits ISA-L's uint32_t counts */

enum { MODE_JSONL, MODE_DIR };

typedef struct txt_file {
	char *rel;     /* path below the root, '/'-separated: the doc id */
	uint64_t size; /* as listed at open, for progress */
} txt_file;

struct trawl_input {
	int mode;
	char *name;          /* for messages: the path given, or "<stdin>" */
	int fatal;           /* sticky code once the input cannot go on */
	int deferred;        /* a fatal code to raise at the next fill */
	trawl_error ferr;    /* its message, repeated on later calls */
	size_t max_line;
	size_t chunk;
	buf scratch;         /* decoded JSON strings */

	/* Raw source: a descriptor, or memory when fd < 0. */
	int fd;
	int own_fd;
	const unsigned char *mem;
	size_t mem_len, mem_pos;
	int src_eof;

	/* gzip, once detected. */
	int detected;
	int gz;
	int in_member;       /* inside a gzip member (not at a boundary) */
	struct inflate_state *zs; /* ISA-L's: ~80 KiB, so on the heap */
	unsigned char *zbuf;
	size_t zcap;
	uint64_t zdone;      /* compressed bytes given to inflate */

	/* Decoded bytes: [pos, end) is not yet taken; [pos, scan) has no
	 * newline. */
	unsigned char *b;
	size_t cap, pos, end, scan;
	int eof;             /* nothing more will be appended */
	int skipping;        /* dropping the rest of an over-long line */
	uint64_t taken;      /* decoded bytes taken (plain progress) */
	uint64_t lineno;     /* the last line taken, from 1 */
	uint64_t total;

	/* .txt directory */
	char *root;
	txt_file *files;
	size_t nfiles, next_file;
	uint64_t dir_done;
	buf path;            /* root/rel of the current file */
};

/* Formats the message of a code after which the input cannot go on. */
static void ferr_set(trawl_input *in, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void ferr_vset(trawl_input *in, int code, const char *fmt,
		      va_list ap)
{
	vsnprintf(in->ferr.message, sizeof in->ferr.message, fmt, ap);
	in->ferr.code = code;
	in->ferr.column = 0;
}

static void ferr_set(trawl_input *in, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ferr_vset(in, code, fmt, ap);
	va_end(ap);
}

/* Makes the formatted code stick: this and every later call report it. */
static int ferr_raise(trawl_input *in, trawl_error *err)
{
	in->fatal = in->ferr.code;
	in->deferred = 0;
	if (err)
		*err = in->ferr;
	return in->fatal;
}

/* ferr_set + ferr_raise. */
static int fatal(trawl_input *in, trawl_error *err, int code,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fatal(trawl_input *in, trawl_error *err, int code,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ferr_vset(in, code, fmt, ap);
	va_end(ap);
	return ferr_raise(in, err);
}

static trawl_input *input_new(const char *name)
{
	trawl_input *in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	in->name = strdup(name);
	if (!in->name) {
		free(in);
		return NULL;
	}
	in->fd = -1;
	in->max_line = TR_MAX_DOC_BYTES;
	in->chunk = DEFAULT_CHUNK;
	buf_init(&in->scratch);
	buf_init(&in->path);
	return in;
}

/* ---- raw source ---------------------------------------------------------- */

/* Reads up to N raw bytes; *got == 0 means the end (src_eof is set). */
static int src_read(trawl_input *in, unsigned char *dst, size_t n,
		    size_t *got, trawl_error *err)
{
	*got = 0;
	if (n == 0)
		return TRAWL_OK; /* not the end: no room was offered */
	if (in->fd < 0) {
		size_t left = in->mem_len - in->mem_pos;
		if (n > left)
			n = left;
		if (n)
			memcpy(dst, in->mem + in->mem_pos, n);
		in->mem_pos += n;
		*got = n;
		if (!n)
			in->src_eof = 1;
		return TRAWL_OK;
	}
	for (;;) {
		ssize_t r = read(in->fd, dst, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return fatal(in, err, TRAWL_EIO, "%s: read: %s",
				     in->name, strerror(errno));
		}
		*got = (size_t)r;
		if (r == 0)
			in->src_eof = 1;
		return TRAWL_OK;
	}
}

/* ---- decoded byte stream ------------------------------------------------- */

/* Bytes a fill may append: a chunk, but at least GZ_OUT for gzip (see
 * fill_gz). */
static size_t out_room(const trawl_input *in)
{
	return in->gz && in->chunk < GZ_OUT ? GZ_OUT : in->chunk;
}

/* Moves the untaken bytes to the front and makes room for a chunk. */
static int make_room(trawl_input *in, trawl_error *err)
{
	if (in->pos) {
		memmove(in->b, in->b + in->pos, in->end - in->pos);
		in->end -= in->pos;
		in->scan -= in->pos;
		in->pos = 0;
	}
	size_t want = out_room(in);
	if (in->cap - in->end >= want)
		return TRAWL_OK;
	size_t cap = in->cap ? in->cap * 2 : 4096;
	if (cap < in->end + want)
		cap = in->end + want;
	unsigned char *p = realloc(in->b, cap);
	if (!p)
		return fatal(in, err, TRAWL_ENOMEM, "%s: out of memory",
			     in->name);
	in->b = p;
	in->cap = cap;
	return TRAWL_OK;
}

/* Looks at the first bytes: gzip moves them to the compressed buffer. */
static int detect(trawl_input *in, trawl_error *err)
{
	int rc;
	in->detected = 1;
	while (in->end < 2 && !in->src_eof) {
		size_t got, room = in->cap - in->end;
		if ((rc = src_read(in, in->b + in->end,
				   room < in->chunk ? room : in->chunk, &got,
				   err)))
			return rc;
		in->end += got;
	}
	if (in->end < 2 || in->b[0] != 0x1f || in->b[1] != 0x8b)
		return TRAWL_OK;
	in->gz = 1;
	in->zcap = in->chunk > 2 * GZ_IN ? in->chunk : 2 * GZ_IN;
	if (in->zcap < in->end)
		in->zcap = in->end;
	in->zbuf = malloc(in->zcap);
	if (!in->zbuf)
		return fatal(in, err, TRAWL_ENOMEM, "%s: out of memory",
			     in->name);
	memcpy(in->zbuf, in->b, in->end);
	in->zs = calloc(1, sizeof *in->zs);
	if (!in->zs)
		return fatal(in, err, TRAWL_ENOMEM, "%s: out of memory",
			     in->name);
	isal_inflate_init(in->zs);
	in->zs->next_in = in->zbuf;
	in->zs->avail_in = (uint32_t)in->end;
	in->end = 0;
	/* the decoder's room is GZ_OUT, more than the chunk fill() made */
	return make_room(in, err);
}

/* Inflates with ISA-L (its igzip decoder inflated the four shared
 * collections in 0.33 s of CPU against zlib's 1.6 s), one gzip member
 * after another: ISAL_GZIP parses each member's header and checks its
 * CRC-32 and length.  Where damage is met depends on how the input came:
 * given a few bytes at a time, or little room to write, the decoder works
 * in buffers of its own and drops what they hold at the error.  So it is
 * always handed at least GZ_IN bytes (or the rest of the input), topped
 * up to a full buffer, and GZ_OUT bytes of room, and the lines delivered
 * before ECORRUPT do not depend on the read size or on a pipe's short
 * reads. */
static int fill_gz(trawl_input *in, size_t want, trawl_error *err)
{
	struct inflate_state *zs = in->zs;
	int rc;
	for (;;) {
		if (zs->avail_in < GZ_IN && !in->src_eof) {
			size_t have = zs->avail_in, got;
			memmove(in->zbuf, zs->next_in, have);
			do {
				if ((rc = src_read(in, in->zbuf + have,
						   in->zcap - have, &got, err)))
					return rc;
				have += got;
			} while (have < in->zcap && !in->src_eof);
			zs->next_in = in->zbuf;
			zs->avail_in = (uint32_t)have;
		}
		if (!in->in_member) {
			if (zs->avail_in == 0)
				return 0; /* the end, between members */
			/* Another member follows (as after `cat a.gz
			 * b.gz`), or trailing bytes, which gzip itself
			 * ignores with a warning: so do we. */
			if (zs->next_in[0] != 0x1f) {
				in->zdone += zs->avail_in;
				zs->avail_in = 0;
				in->src_eof = 1;
				in->mem_pos = in->mem_len;
				return 0;
			}
			uint8_t *next_in = zs->next_in;
			uint32_t avail_in = zs->avail_in;
			isal_inflate_reset(zs);
			zs->next_in = next_in;
			zs->avail_in = avail_in;
			zs->crc_flag = ISAL_GZIP;
			in->in_member = 1;
		}
		uint32_t before = zs->avail_in;
		zs->next_out = in->b + in->end;
		zs->avail_out = (uint32_t)want;
		int zr = isal_inflate(zs);
		/* after an error avail_in is not to be trusted (seen: -1) */
		in->zdone += zs->avail_in <= before ? before - zs->avail_in
						    : before;
		size_t got = want - zs->avail_out;
		in->end += got;
		if (zr != ISAL_DECOMP_OK) {
			const char *why =
				zr == ISAL_INCORRECT_CHECKSUM ? "checksum mismatch"
				: zr == ISAL_INVALID_WRAPPER ? "bad gzip header"
				: zr == ISAL_UNSUPPORTED_METHOD
					? "not deflate"
					: "invalid deflate data";
			ferr_set(in, TRAWL_ECORRUPT,
				 "%s: corrupt gzip data near compressed byte "
				 "%llu (%s)",
				 in->name, (unsigned long long)in->zdone, why);
			/* Lines decoded before the damage are still
			 * delivered, however the input was cut into reads:
			 * the error waits for the next fill. */
			if (got) {
				in->deferred = in->ferr.code;
				return 1;
			}
			return ferr_raise(in, err);
		}
		if (zs->block_state == ISAL_BLOCK_FINISH)
			in->in_member = 0;
		else if (!got && zs->avail_in == 0 && in->src_eof)
			return fatal(in, err, TRAWL_ECORRUPT,
				     "%s: gzip stream cut short (unexpected "
				     "end of file after %llu compressed "
				     "bytes)",
				     in->name, (unsigned long long)in->zdone);
		else if (!got && zs->avail_in == before && before)
			return fatal(in, err, TRAWL_ECORRUPT,
				     "%s: gzip decoder stalled", in->name);
		if (got)
			return 1;
	}
}

/* Appends decoded bytes after in->end.  Returns 1 when some came, 0 at
 * the end of the input, or a fatal code. */
static int fill(trawl_input *in, trawl_error *err)
{
	if (in->deferred)
		return ferr_raise(in, err);
	int rc = make_room(in, err);
	if (rc)
		return rc;
	if (!in->detected) {
		if ((rc = detect(in, err)))
			return rc;
		if (in->end > 0)
			return 1;
	}
	if (in->gz)
		return fill_gz(in, out_room(in), err);
	size_t got;
	if ((rc = src_read(in, in->b + in->end, in->chunk, &got, err)))
		return rc;
	in->end += got;
	return got > 0;
}

/* Takes the next line (without its '\n').  Returns 1 with *line and *len
 * (valid until the buffer is refilled), 0 at the end, TRAWL_EINPUT for a
 * line over max_line (already skipped), or a fatal code. */
static int next_line(trawl_input *in, const unsigned char **line,
		     size_t *len, trawl_error *err)
{
	for (;;) {
		size_t start = in->pos, n, next;
		unsigned char *nl = in->scan < in->end
			? memchr(in->b + in->scan, '\n', in->end - in->scan)
			: NULL;
		if (nl) {
			n = (size_t)(nl - in->b) - start;
			next = n + 1;
		} else if (in->eof) {
			if (start == in->end && !in->skipping)
				return 0;
			n = next = in->end - start;
		} else {
			in->scan = in->end;
			if (in->end - in->pos > in->max_line) {
				/* Too long whatever follows: forget it and
				 * keep memory flat until its newline. */
				in->skipping = 1;
				in->taken += in->end - in->pos;
				in->pos = in->scan = in->end;
			}
			int rc = fill(in, err);
			if (rc < 0)
				return rc;
			if (rc == 0)
				in->eof = 1;
			continue;
		}
		in->pos = in->scan = start + next;
		in->taken += next;
		in->lineno++;
		if (in->skipping || n > in->max_line) {
			in->skipping = 0;
			return tr_err(err, TRAWL_EINPUT,
				      "%s:%llu:%zu: line longer than %zu "
				      "bytes",
				      in->name,
				      (unsigned long long)in->lineno,
				      in->max_line + 1, in->max_line);
		}
		*line = in->b + start;
		*len = n;
		return 1;
	}
}

static int next_jsonl(trawl_input *in, trawl_doc *doc, trawl_error *err)
{
	for (;;) {
		const unsigned char *line = NULL;
		size_t len = 0, col0 = 0, i, col;
		const char *what;
		int rc = next_line(in, &line, &len, err);
		if (rc != 1)
			return rc;
		/* A byte order mark is ignored; columns still count it. */
		if (in->lineno == 1 && len >= 3 && line[0] == 0xef &&
		    line[1] == 0xbb && line[2] == 0xbf) {
			line += 3;
			len -= 3;
			col0 = 3;
		}
		if (len && line[len - 1] == '\r')
			len--;
		for (i = 0; i < len; i++)
			if (line[i] != ' ' && line[i] != '\t' &&
			    line[i] != '\r')
				break;
		if (i == len)
			continue; /* blank line */
		rc = json_parse_doc((const char *)line, len, doc,
				    &in->scratch, &col, &what);
		if (rc == TRAWL_OK)
			return 1;
		if (rc == TRAWL_EINPUT)
			return tr_err(err, TRAWL_EINPUT, "%s:%llu:%zu: %s",
				      in->name,
				      (unsigned long long)in->lineno,
				      col + col0, what);
		return fatal(in, err, rc, "%s:%llu: out of memory", in->name,
			     (unsigned long long)in->lineno);
	}
}

/* ---- .txt directories ---------------------------------------------------- */

typedef struct walk {
	trawl_input *in;
	trawl_error *err;
	buf rel;       /* the current directory below the root, with '/' */
	size_t nalloc; /* room in in->files */
} walk;

static int ends_with_txt(const char *s)
{
	size_t n = strlen(s);
	return n >= 4 && memcmp(s + n - 4, ".txt", 4) == 0;
}

static int add_file(walk *w, const char *name, uint64_t size)
{
	trawl_input *in = w->in;
	if (in->nfiles == w->nalloc) {
		size_t n = w->nalloc ? w->nalloc * 2 : 64;
		txt_file *f = realloc(in->files, n * sizeof *f);
		if (!f)
			return TRAWL_ENOMEM;
		in->files = f;
		w->nalloc = n;
	}
	size_t dl = w->rel.n, nl = strlen(name);
	char *rel = malloc(dl + nl + 1);
	if (!rel)
		return TRAWL_ENOMEM;
	if (dl)
		memcpy(rel, w->rel.p, dl);
	memcpy(rel + dl, name, nl + 1);
	in->files[in->nfiles].rel = rel;
	in->files[in->nfiles].size = size;
	in->nfiles++;
	in->total += size;
	return TRAWL_OK;
}

/* Lists DIRFD (consumed) whose path below the root is w->rel.  Symbolic
 * links to files are followed; links to directories are not, so a link
 * cycle cannot make the walk endless. */
static int walk_dir(walk *w, int dirfd)
{
	trawl_input *in = w->in;
	int rc = TRAWL_OK;
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return tr_err(w->err, TRAWL_EIO, "%s/%.*s: %s", in->root,
			      (int)w->rel.n, (const char *)w->rel.p,
			      strerror(errno));
	}
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno)
				rc = tr_err(w->err, TRAWL_EIO,
					    "%s/%.*s: readdir: %s", in->root,
					    (int)w->rel.n,
					    (const char *)w->rel.p,
					    strerror(errno));
			break;
		}
		const char *nm = e->d_name;
		if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd, nm, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = tr_err(w->err, TRAWL_EIO, "%s/%.*s%s: %s",
				    in->root, (int)w->rel.n,
				    (const char *)w->rel.p, nm,
				    strerror(errno));
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (!ends_with_txt(nm) || fstatat(dirfd, nm, &st, 0) < 0)
				continue; /* dangling links are skipped */
			if (!S_ISREG(st.st_mode))
				continue;
		}
		if (S_ISREG(st.st_mode)) {
			if (ends_with_txt(nm) &&
			    (rc = add_file(w, nm, (uint64_t)st.st_size))) {
				rc = tr_err(w->err, rc, "%s: out of memory",
					    in->root);
				break;
			}
		} else if (S_ISDIR(st.st_mode)) {
			int fd = openat(dirfd, nm,
					O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0) {
				rc = tr_err(w->err, TRAWL_EIO,
					    "%s/%.*s%s: %s", in->root,
					    (int)w->rel.n,
					    (const char *)w->rel.p, nm,
					    strerror(errno));
				break;
			}
			size_t keep = w->rel.n;
			buf_puts(&rc, &w->rel, nm);
			buf_putc(&rc, &w->rel, '/');
			if (rc) {
				close(fd);
				rc = tr_err(w->err, rc, "%s: out of memory",
					    in->root);
				break;
			}
			rc = walk_dir(w, fd);
			w->rel.n = keep;
			if (rc)
				break;
		}
	}
	closedir(d);
	return rc;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const txt_file *)a)->rel, ((const txt_file *)b)->rel);
}

static int open_dir(trawl_input *in, int fd, trawl_error *err)
{
	walk w = { in, err, { 0 }, 0 };
	size_t n = strlen(in->name);
	in->mode = MODE_DIR;
	/* "dir/" and "dir" name the same tree; keep "/" itself. */
	while (n > 1 && in->name[n - 1] == '/')
		n--;
	in->root = strndup(in->name, n);
	if (!in->root) {
		close(fd);
		return tr_err(err, TRAWL_ENOMEM, "%s: out of memory",
			      in->name);
	}
	if (strcmp(in->root, "/") == 0)
		in->root[0] = '\0'; /* so "root/rel" reads "/rel" */
	buf_init(&w.rel);
	int rc = walk_dir(&w, fd);
	buf_free(&w.rel);
	if (rc)
		return rc;
	/* Byte order of the whole relative path: the same on every
	 * machine and locale. */
	qsort(in->files, in->nfiles, sizeof *in->files, cmp_file);
	return TRAWL_OK;
}

/* Reads the open file FD whole into in->b; *n its length.  A file over
 * max_line gives TRAWL_EINPUT without reading the rest. */
static int read_whole(trawl_input *in, int fd, size_t *n, trawl_error *err)
{
	size_t len = 0;
	for (;;) {
		if (in->cap - len < 4096 || in->cap == 0) {
			size_t cap = in->cap ? in->cap * 2 : 65536;
			unsigned char *p = realloc(in->b, cap);
			if (!p)
				return fatal(in, err, TRAWL_ENOMEM,
					     "%s: out of memory",
					     (const char *)in->path.p);
			in->b = p;
			in->cap = cap;
		}
		size_t want = in->cap - len;
		if (want > in->max_line + 1 - len)
			want = in->max_line + 1 - len;
		ssize_t r = read(fd, in->b + len, want);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return fatal(in, err, TRAWL_EIO, "%s: read: %s",
				     (const char *)in->path.p,
				     strerror(errno));
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > in->max_line)
			return tr_err(err, TRAWL_EINPUT,
				      "%s: file longer than %zu bytes",
				      (const char *)in->path.p,
				      in->max_line);
	}
	*n = len;
	return TRAWL_OK;
}

static int next_txt(trawl_input *in, trawl_doc *doc, trawl_error *err)
{
	if (in->next_file == in->nfiles)
		return 0;
	txt_file *f = &in->files[in->next_file++];
	int rc = TRAWL_OK;
	size_t n = 0;

	buf_reset(&in->path);
	buf_puts(&rc, &in->path, in->root);
	buf_putc(&rc, &in->path, '/');
	buf_puts(&rc, &in->path, f->rel);
	buf_cstr(&rc, &in->path);
	if (rc)
		return fatal(in, err, rc, "%s: out of memory", in->name);
	in->dir_done += f->size;
	int fd = open((const char *)in->path.p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fatal(in, err, TRAWL_EIO, "%s: %s",
			     (const char *)in->path.p, strerror(errno));
	rc = read_whole(in, fd, &n, err);
	close(fd);
	if (rc)
		return rc;

	const unsigned char *p = in->b;
	if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) {
		p += 3;
		n -= 3;
	}
	const unsigned char *nl = n ? memchr(p, '\n', n) : NULL;
	size_t tlen = nl ? (size_t)(nl - p) : n;
	memset(doc, 0, sizeof *doc);
	doc->id = f->rel;
	doc->id_len = strlen(f->rel);
	doc->title = (const char *)p;
	doc->title_len = tlen;
	if (tlen && p[tlen - 1] == '\r')
		doc->title_len--;
	if (nl) {
		doc->body = (const char *)nl + 1;
		doc->body_len = n - tlen - 1;
	}
	return 1;
}

/* ---- public API ---------------------------------------------------------- */

/* See trawl.h.  A directory is listed (and its .txt sizes summed) here,
 * so an unreadable subdirectory fails the open with EIO; a missing path is
 * ENOTFOUND; a file is opened but not read yet (gzip is detected by the
 * first read).  OUT: *out, NULL on error. */
int trawl_input_open(const char *path, trawl_input **out, trawl_error *err)
{
	if (out)
		*out = NULL;
	if (!path || !*path || !out)
		return tr_err(err, TRAWL_EINVAL,
			      "trawl_input_open: no path given");
	int is_stdin = strcmp(path, "-") == 0;
	trawl_input *in = input_new(is_stdin ? "<stdin>" : path);
	if (!in)
		return tr_err(err, TRAWL_ENOMEM, "%s: out of memory", path);
	int rc = TRAWL_OK;
	if (is_stdin) {
		in->fd = 0;
	} else {
		struct stat st;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			rc = tr_err(err, e == ENOENT ? TRAWL_ENOTFOUND
						     : TRAWL_EIO,
				    "%s: %s", path, strerror(e));
			goto fail;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((rc = open_dir(in, fd, err)))
				goto fail;
			*out = in;
			return TRAWL_OK;
		}
		in->fd = fd;
		in->own_fd = 1;
		if (S_ISREG(st.st_mode))
			in->total = (uint64_t)st.st_size;
	}
	*out = in;
	return TRAWL_OK;
fail:
	trawl_input_close(in);
	return rc;
}

/* See ingest.h. */
int ingest_open_mem(const void *data, size_t len, const char *name,
		    trawl_input **out, trawl_error *err)
{
	if (out)
		*out = NULL;
	if (!out || (!data && len))
		return tr_err(err, TRAWL_EINVAL, "ingest_open_mem: no data");
	trawl_input *in = input_new(name ? name : "<memory>");
	if (!in)
		return tr_err(err, TRAWL_ENOMEM, "out of memory");
	in->mem = data;
	in->mem_len = len;
	in->total = len;
	*out = in;
	return TRAWL_OK;
}

/* See trawl.h.  Returns 1, 0, TRAWL_EINPUT (skippable: a malformed line,
 * an over-long line or .txt file), or a code that sticks: every later call
 * returns it again with the same message (EIO, ECORRUPT, ENOMEM).  The
 * document's strings point into IN's buffers or its line. */
int trawl_input_next(trawl_input *in, trawl_doc *doc, trawl_error *err)
{
	if (!in || !doc)
		return tr_err(err, TRAWL_EINVAL, "trawl_input_next: no input");
	if (in->fatal) {
		if (err)
			*err = in->ferr;
		return in->fatal;
	}
	if (in->mode == MODE_DIR)
		return next_txt(in, doc, err);
	return next_jsonl(in, doc, err);
}

/* See trawl.h.  done: plain JSON Lines, bytes of the lines taken; gzip,
 * compressed bytes taken by the decoder (it reads ahead by up to a
 * chunk, at least 128 KiB); directories, sizes of the files read.
 * total: the file size, the sum of the .txt sizes, the memory length, or
 * 0 for a pipe.  Either pointer may be NULL. */
void trawl_input_progress(const trawl_input *in, uint64_t *done,
			  uint64_t *total)
{
	uint64_t d = 0, t = 0;
	if (in) {
		t = in->total;
		if (in->mode == MODE_DIR)
			d = in->dir_done;
		else if (in->gz)
			d = in->zdone;
		else
			d = in->taken;
	}
	if (done)
		*done = d;
	if (total)
		*total = t;
}

/* See ingest.h. */
void ingest_set_limits(trawl_input *in, size_t max_line, size_t chunk)
{
	if (max_line)
		in->max_line = max_line;
	if (chunk)
		in->chunk = chunk > MAX_CHUNK ? MAX_CHUNK : chunk;
}

/* See ingest.h. */
uint64_t ingest_line(const trawl_input *in)
{
	return in->mode == MODE_JSONL ? in->lineno : 0;
}

/* See trawl.h.  Closes the file (never standard input) and frees all. */
void trawl_input_close(trawl_input *in)
{
	if (!in)
		return;
	if (in->own_fd)
		close(in->fd);
	free(in->zs);
	free(in->zbuf);
	free(in->b);
	buf_free(&in->scratch);
	buf_free(&in->path);
	for (size_t i = 0; i < in->nfiles; i++)
		free(in->files[i].rel);
	free(in->files);
	free(in->root);
	free(in->name);
	free(in);
}
