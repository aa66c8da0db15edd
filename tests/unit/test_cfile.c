/*
 * test_cfile.c -- checked files (cfile.h): write/read round trips across
 * chunk boundaries, cf_range bounds, lazy per-chunk CRC checks (a damaged
 * chunk fails alone, with a message naming the file), and the open-time
 * checks: truncation, extension, magic, header CRC, version, kind, chunk
 * size, checksum table and trailer.  Each test works in its own mkdtemp
 * directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "trawl.h"
#include "cfile.h"
#include "codec.h"


/* ---- helpers ----------------------------------------------------------- */

static rng rng_state = { 20251125u };

typedef struct fixture {
	char dir[256];
	char path[512];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "%s/trawl-cfile-XXXXXX", tmp_base());
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/data", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static uint8_t *random_bytes(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(&rng_state);
	return p;
}

/* Writes DATA[0..n) as a cfile of KIND in pieces of random sizes. */
static void write_cfile(const char *path, uint32_t kind, const uint8_t *data,
			size_t n)
{
	cfw w;
	trawl_error err;
	assert_int_equal(cfw_open(&w, path, kind, &err), TRAWL_OK);
	int rc = TRAWL_OK;
	size_t at = 0;
	while (at < n) {
		size_t k = 1 + rnd(&rng_state) % 40000;
		if (rnd(&rng_state) % 4 == 0)
			k = 1 + rnd(&rng_state) % 8;
		if (k > n - at)
			k = n - at;
		cfw_write(&rc, &w, data + at, k);
		at += k;
		assert_int_equal(cfw_offset(&w), at);
	}
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(cfw_close(&w, &err), TRAWL_OK);
}

static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	uint8_t *p = malloc(len ? (size_t)len : 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*n = (size_t)len;
	return p;
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Recomputes the header CRC after an edit of the header. */
static void fix_header_crc(uint8_t *file)
{
	put32(file + 28, (uint32_t)crc32(0, file, 28));
}

static size_t expected_size(size_t data)
{
	size_t nchunks = (data + CF_CHUNK - 1) / CF_CHUNK;
	return CF_HEADER + data + 4 * nchunks + 8;
}

/* Opens PATH (as "data" in dir) and expects CODE with a message naming
 * the file. */
static void expect_open_fails(fixture *f, uint32_t kind, int code)
{
	cfile c;
	trawl_error err;
	memset(&err, 0, sizeof err);
	int rc = cf_open(&c, f->dir, "data", kind, &err);
	if (rc == TRAWL_OK)
		cf_close(&c);
	assert_int_equal(rc, code);
	assert_int_equal(err.code, code);
	if (!strstr(err.message, "/data"))
		fail_msg("message does not name the file: %s", err.message);
}

/* ---- round trips ------------------------------------------------------- */

static void round_trip(fixture *f, size_t n)
{
	uint8_t *data = random_bytes(n);
	write_cfile(f->path, CF_POSTINGS, data, n);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal((size_t)st.st_size, expected_size(n));

	cfile c;
	trawl_error err;
	assert_int_equal(cf_open(&c, f->dir, "data", CF_POSTINGS, &err), TRAWL_OK);
	assert_int_equal(c.data_len, n);
	assert_int_equal(c.nchunks, (n + CF_CHUNK - 1) / CF_CHUNK);
	assert_int_equal(cf_size(&c), expected_size(n));
	const uint8_t *p = NULL;
	assert_int_equal(cf_range(&c, 0, n, &p, &err), TRAWL_OK);
	if (n)
		assert_memory_equal(p, data, n);
	/* random sub-ranges, including ones across chunk boundaries */
	for (int k = 0; k < 200 && n; k++) {
		uint64_t off = rnd(&rng_state) % n;
		uint64_t len = rnd(&rng_state) % (n - off + 1);
		assert_int_equal(cf_range(&c, off, len, &p, &err), TRAWL_OK);
		assert_ptr_equal(p, c.data + off);
		if (len)
			assert_memory_equal(p, data + off, len);
	}
	assert_int_equal(cf_verify_all(&c, &err), TRAWL_OK);
	cf_close(&c);
	unlink(f->path);
	free(data);
}

static void test_round_trip_empty(void **state) { round_trip(*state, 0); }
static void test_round_trip_one_byte(void **state) { round_trip(*state, 1); }
static void test_round_trip_chunk_minus_one(void **state)
{
	round_trip(*state, CF_CHUNK - 1);
}
static void test_round_trip_exact_chunk(void **state)
{
	round_trip(*state, CF_CHUNK);
}
static void test_round_trip_chunk_plus_one(void **state)
{
	round_trip(*state, CF_CHUNK + 1);
}
static void test_round_trip_100000_bytes(void **state)
{
	round_trip(*state, 100000);
}
static void test_round_trip_past_write_buffer(void **state)
{
	/* the writer buffers 1 MiB: cross that too */
	round_trip(*state, (3u << 20) + 12345);
}

static void test_range_bounds(void **state)
{
	fixture *f = *state;
	size_t n = 40000;
	uint8_t *data = random_bytes(n);
	write_cfile(f->path, CF_TERMS, data, n);
	cfile c;
	trawl_error err;
	assert_int_equal(cf_open(&c, f->dir, "data", CF_TERMS, &err), TRAWL_OK);
	const uint8_t *p;
	assert_int_equal(cf_range(&c, n, 0, &p, &err), TRAWL_OK);
	assert_int_equal(cf_range(&c, n - 1, 1, &p, &err), TRAWL_OK);
	assert_int_equal(p[0], data[n - 1]);
	assert_int_equal(cf_range(&c, 0, n, &p, &err), TRAWL_OK);
	static const struct { uint64_t off, len; } bad[] = {
		{ 40000, 1 }, { 40001, 0 }, { 0, 40001 }, { 39999, 2 },
		{ UINT64_MAX, 1 }, { 1, UINT64_MAX }, { UINT64_MAX, 0 },
		{ 20000, UINT64_MAX - 19999 }, { UINT64_MAX - 1, 2 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&err, 0, sizeof err);
		p = NULL;
		assert_int_equal(cf_range(&c, bad[i].off, bad[i].len, &p, &err),
				 TRAWL_ECORRUPT);
		assert_null(p);
		assert_non_null(strstr(err.message, "data"));
	}
	cf_close(&c);
	free(data);
}

/* A file in two parts (cf_open_part) reads as one: offsets from the
 * first part's length on are in the second; a range lies in one part. */
static void test_two_parts_read_as_one(void **state)
{
	fixture *f = *state;
	size_t n1 = 40000, n2 = 30000;
	uint8_t *data = random_bytes(n1 + n2);
	char path2[600];
	snprintf(path2, sizeof path2, "%s.2", f->path);
	write_cfile(f->path, CF_POSTINGS, data, n1);
	write_cfile(path2, CF_POSTINGS, data + n1, n2);
	cfile c;
	trawl_error err;
	assert_int_equal(cf_open(&c, f->dir, "data", CF_POSTINGS, &err), TRAWL_OK);
	assert_int_equal(cf_open_part(&c, f->dir, "data.2", CF_POSTINGS, &err),
			 TRAWL_OK);
	assert_int_equal(cf_data_len(&c), n1 + n2);
	struct stat s1, s2;
	assert_int_equal(stat(f->path, &s1), 0);
	assert_int_equal(stat(path2, &s2), 0);
	assert_int_equal(cf_size(&c), (uint64_t)(s1.st_size + s2.st_size));
	const uint8_t *p;
	for (size_t off = 0; off < n1 + n2; off += 997) {
		size_t len = 1 + off % 300;
		int across = off < n1 && off + len > n1;
		if (off + len > n1 + n2)
			len = n1 + n2 - off;
		memset(&err, 0, sizeof err);
		p = NULL;
		int rc = cf_range(&c, off, len, &p, &err);
		if (across) {
			assert_int_equal(rc, TRAWL_ECORRUPT);
			assert_null(p);
		} else {
			assert_int_equal(rc, TRAWL_OK);
			assert_memory_equal(p, data + off, len);
		}
	}
	assert_int_equal(cf_range(&c, n1, n2, &p, &err), TRAWL_OK);
	assert_memory_equal(p, data + n1, n2);
	assert_int_equal(cf_range(&c, n1 + n2, 0, &p, &err), TRAWL_OK);
	memset(&err, 0, sizeof err);
	assert_int_equal(cf_range(&c, n1 + n2, 1, &p, &err), TRAWL_ECORRUPT);
	assert_non_null(strstr(err.message, "data.2"));
	assert_int_equal(cf_range(&c, n1 - 1, 2, &p, &err), TRAWL_ECORRUPT);
	assert_int_equal(cf_verify_all(&c, &err), TRAWL_OK);
	cf_close(&c);

	/* damage in the second part is found there, and named */
	size_t len;
	uint8_t *file = read_file(path2, &len);
	file[CF_HEADER + 20000] ^= 1;
	write_file(path2, file, len);
	assert_int_equal(cf_open(&c, f->dir, "data", CF_POSTINGS, &err), TRAWL_OK);
	assert_int_equal(cf_open_part(&c, f->dir, "data.2", CF_POSTINGS, &err),
			 TRAWL_OK);
	assert_int_equal(cf_range(&c, 100, 100, &p, &err), TRAWL_OK);
	memset(&err, 0, sizeof err);
	assert_int_equal(cf_range(&c, n1 + 20000, 1, &p, &err), TRAWL_ECORRUPT);
	assert_non_null(strstr(err.message, "data.2"));
	memset(&err, 0, sizeof err);
	assert_int_equal(cf_verify_all(&c, &err), TRAWL_ECORRUPT);
	assert_non_null(strstr(err.message, "data.2"));
	cf_close(&c);
	/* a missing part is reported as such */
	assert_int_equal(unlink(path2), 0);
	assert_int_equal(cf_open(&c, f->dir, "data", CF_POSTINGS, &err), TRAWL_OK);
	assert_int_equal(cf_open_part(&c, f->dir, "data.2", CF_POSTINGS, &err),
			 TRAWL_ENOTFOUND);
	assert_non_null(strstr(err.message, "data.2"));
	cf_close(&c);
	free(file);
	free(data);
}

/* ---- damaged data ------------------------------------------------------ */

static void test_flipped_data_byte_fails_its_chunk_only(void **state)
{
	fixture *f = *state;
	size_t n = 100000; /* chunks 0..6 */
	uint8_t *data = random_bytes(n);
	write_cfile(f->path, CF_POSITIONS, data, n);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	size_t bad_off = 3 * CF_CHUNK + 1234;
	file[CF_HEADER + bad_off] ^= 0x10;
	write_file(f->path, file, len);

	cfile c;
	trawl_error err;
	/* open does not read data chunks */
	assert_int_equal(cf_open(&c, f->dir, "data", CF_POSITIONS, &err), TRAWL_OK);
	const uint8_t *p;
	for (uint64_t k = 0; k < c.nchunks; k++) {
		uint64_t off = k * CF_CHUNK;
		uint64_t l = n - off < CF_CHUNK ? n - off : CF_CHUNK;
		memset(&err, 0, sizeof err);
		int rc = cf_range(&c, off, l, &p, &err);
		if (k == 3) {
			assert_int_equal(rc, TRAWL_ECORRUPT);
			assert_int_equal(err.code, TRAWL_ECORRUPT);
			if (!strstr(err.message, "data"))
				fail_msg("message does not name the file: %s",
					 err.message);
		} else {
			assert_int_equal(rc, TRAWL_OK);
			assert_memory_equal(p, data + off, l);
		}
	}
	/* still failing on a second read, and for a range across it */
	assert_int_equal(cf_range(&c, bad_off, 1, &p, &err), TRAWL_ECORRUPT);
	assert_int_equal(cf_range(&c, 2 * CF_CHUNK + 5, CF_CHUNK, &p, &err),
			 TRAWL_ECORRUPT);
	assert_int_equal(cf_range(&c, 3 * CF_CHUNK - 10, 10, &p, &err), TRAWL_OK);
	assert_int_equal(cf_range(&c, 4 * CF_CHUNK, 10, &p, &err), TRAWL_OK);
	assert_int_equal(cf_verify_all(&c, &err), TRAWL_ECORRUPT);
	assert_non_null(strstr(err.message, "data"));
	cf_close(&c);
	free(file);
	free(data);
}

static void test_flipped_last_partial_chunk_is_corrupt(void **state)
{
	fixture *f = *state;
	size_t n = 2 * CF_CHUNK + 7;
	uint8_t *data = random_bytes(n);
	write_cfile(f->path, CF_STORE, data, n);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	file[CF_HEADER + n - 1] ^= 0x01;
	write_file(f->path, file, len);
	cfile c;
	trawl_error err;
	assert_int_equal(cf_open(&c, f->dir, "data", CF_STORE, &err), TRAWL_OK);
	const uint8_t *p;
	assert_int_equal(cf_range(&c, 0, 2 * CF_CHUNK, &p, &err), TRAWL_OK);
	assert_int_equal(cf_range(&c, n - 1, 1, &p, &err), TRAWL_ECORRUPT);
	assert_int_equal(cf_range(&c, n, 0, &p, &err), TRAWL_OK);
	cf_close(&c);
	free(file);
	free(data);
}

/* ---- open-time checks -------------------------------------------------- */

static void test_truncated_file_is_corrupt(void **state)
{
	fixture *f = *state;
	size_t n = CF_CHUNK + 100;
	uint8_t *data = random_bytes(n);
	write_cfile(f->path, CF_DOCS, data, n);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	size_t cuts[] = { 0, 1, 8, 31, 32, 39, 40, 41, CF_HEADER + 100,
			  len - 9, len - 8, len - 5, len - 4, len - 1 };
	for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
		write_file(f->path, file, cuts[i]);
		expect_open_fails(f, CF_DOCS, TRAWL_ECORRUPT);
	}
	write_file(f->path, file, len);
	cfile c;
	trawl_error err;
	assert_int_equal(cf_open(&c, f->dir, "data", CF_DOCS, &err), TRAWL_OK);
	cf_close(&c);
	free(file);
	free(data);
}

static void test_extended_file_is_corrupt(void **state)
{
	fixture *f = *state;
	size_t n = 1000;
	uint8_t *data = random_bytes(n);
	write_cfile(f->path, CF_DOCS, data, n);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	uint8_t *big = calloc(1, len + CF_CHUNK);
	assert_non_null(big);
	memcpy(big, file, len);
	size_t extra[] = { 1, 4, 8, CF_CHUNK };
	for (size_t i = 0; i < 4; i++) {
		write_file(f->path, big, len + extra[i]);
		expect_open_fails(f, CF_DOCS, TRAWL_ECORRUPT);
	}
	free(big);
	free(file);
	free(data);
}

static void test_wrong_kind_is_corrupt(void **state)
{
	fixture *f = *state;
	uint8_t *data = random_bytes(100);
	write_cfile(f->path, CF_TERMS, data, 100);
	expect_open_fails(f, CF_POSTINGS, TRAWL_ECORRUPT);
	expect_open_fails(f, CF_META, TRAWL_ECORRUPT);
	free(data);
}

static void test_bad_magic_is_corrupt(void **state)
{
	fixture *f = *state;
	uint8_t *data = random_bytes(100);
	write_cfile(f->path, CF_META, data, 100);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	for (int i = 0; i < 8; i++) {
		file[i] ^= 0x20;
		fix_header_crc(file);
		write_file(f->path, file, len);
		expect_open_fails(f, CF_META, TRAWL_ECORRUPT);
		file[i] ^= 0x20;
	}
	free(file);
	free(data);
}

static void test_bad_header_crc_is_corrupt(void **state)
{
	fixture *f = *state;
	uint8_t *data = random_bytes(100);
	write_cfile(f->path, CF_META, data, 100);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	for (int i = 8; i < CF_HEADER; i++) {
		file[i] ^= 0x04;
		write_file(f->path, file, len);
		expect_open_fails(f, CF_META, TRAWL_ECORRUPT);
		file[i] ^= 0x04;
	}
	free(file);
	free(data);
}

static void test_other_version_is_eversion(void **state)
{
	fixture *f = *state;
	uint8_t *data = random_bytes(100);
	write_cfile(f->path, CF_META, data, 100);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	uint32_t versions[] = { 0, CF_VERSION + 1, 0xffffffffu };
	for (int i = 0; i < 3; i++) {
		put32(file + 12, versions[i]);
		fix_header_crc(file);
		write_file(f->path, file, len);
		expect_open_fails(f, CF_META, TRAWL_EVERSION);
	}
	free(file);
	free(data);
}

static void test_other_chunk_size_is_corrupt(void **state)
{
	fixture *f = *state;
	uint8_t *data = random_bytes(100);
	write_cfile(f->path, CF_META, data, 100);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	put32(file + 24, CF_CHUNK_SHIFT + 1);
	fix_header_crc(file);
	write_file(f->path, file, len);
	expect_open_fails(f, CF_META, TRAWL_ECORRUPT);
	free(file);
	free(data);
}

static void test_data_length_disagreeing_with_size_is_corrupt(void **state)
{
	fixture *f = *state;
	size_t n = 3 * CF_CHUNK;
	uint8_t *data = random_bytes(n);
	write_cfile(f->path, CF_POSTINGS, data, n);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	uint64_t lens[] = { 0, 1, n - 1, n + 1, n + 4, (uint64_t)len,
			    UINT64_MAX, UINT64_MAX - CF_HEADER, (uint64_t)1 << 62 };
	for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
		put32(file + 16, (uint32_t)lens[i]);
		put32(file + 20, (uint32_t)(lens[i] >> 32));
		fix_header_crc(file);
		write_file(f->path, file, len);
		expect_open_fails(f, CF_POSTINGS, TRAWL_ECORRUPT);
	}
	free(file);
	free(data);
}

static void test_damaged_checksum_table_is_corrupt(void **state)
{
	fixture *f = *state;
	size_t n = 2 * CF_CHUNK + 1;
	uint8_t *data = random_bytes(n);
	write_cfile(f->path, CF_POSTINGS, data, n);
	size_t len;
	uint8_t *file = read_file(f->path, &len);
	/* every byte of the crcs, the trailer CRC and "TEND" */
	for (size_t i = CF_HEADER + n; i < len; i++) {
		file[i] ^= 0x80;
		write_file(f->path, file, len);
		expect_open_fails(f, CF_POSTINGS, TRAWL_ECORRUPT);
		file[i] ^= 0x80;
	}
	free(file);
	free(data);
}

static void test_missing_file_is_enotfound(void **state)
{
	fixture *f = *state;
	expect_open_fails(f, CF_META, TRAWL_ENOTFOUND);
}

/* ---- writer ------------------------------------------------------------ */

static void test_abort_removes_the_file(void **state)
{
	fixture *f = *state;
	cfw w;
	trawl_error err;
	assert_int_equal(cfw_open(&w, f->path, CF_RUN, &err), TRAWL_OK);
	int rc = TRAWL_OK;
	uint8_t *data = random_bytes(3 * CF_CHUNK);
	cfw_write(&rc, &w, data, 3 * CF_CHUNK);
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(access(f->path, F_OK), 0);
	cfw_abort(&w);
	assert_int_equal(access(f->path, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	/* aborting again, or a zeroed writer, is harmless */
	cfw_abort(&w);
	cfw z;
	memset(&z, 0, sizeof z);
	cfw_abort(&z);
	free(data);
}

static void test_abort_after_close_leaves_the_file(void **state)
{
	fixture *f = *state;
	uint8_t *data = random_bytes(10);
	cfw w;
	trawl_error err;
	assert_int_equal(cfw_open(&w, f->path, CF_RUN, &err), TRAWL_OK);
	int rc = TRAWL_OK;
	cfw_write(&rc, &w, data, 10);
	assert_int_equal(cfw_close(&w, &err), TRAWL_OK);
	cfw_abort(&w); /* the builder aborts every writer on its way out */
	assert_int_equal(access(f->path, F_OK), 0);
	free(data);
}

/* Sealing writes the whole file (a reader accepts it before the close)
 * and a sealed file still goes with cfw_abort, as an unfinished build's
 * must. */
static void test_sealed_file_is_complete_and_abort_removes_it(void **state)
{
	fixture *f = *state;
	size_t n = CF_CHUNK + 123;
	uint8_t *data = random_bytes(n);
	cfw w;
	trawl_error err;
	assert_int_equal(cfw_open(&w, f->path, CF_POSTINGS, &err), TRAWL_OK);
	int rc = TRAWL_OK;
	cfw_write(&rc, &w, data, n);
	assert_int_equal(rc, TRAWL_OK);
	assert_int_equal(cfw_seal(&w, &err), TRAWL_OK);
	cfile c;
	assert_int_equal(cf_open(&c, f->dir, "data", CF_POSTINGS, &err), TRAWL_OK);
	assert_int_equal(c.data_len, n);
	assert_int_equal(cf_verify_all(&c, &err), TRAWL_OK);
	cf_close(&c);
	cfw_abort(&w);
	assert_int_equal(access(f->path, F_OK), -1);
	/* sealed then closed: the same file as closed at once */
	assert_int_equal(cfw_open(&w, f->path, CF_POSTINGS, &err), TRAWL_OK);
	cfw_write(&rc, &w, data, n);
	assert_int_equal(cfw_seal(&w, &err), TRAWL_OK);
	assert_int_equal(cfw_close(&w, &err), TRAWL_OK);
	size_t len;
	uint8_t *p = read_file(f->path, &len);
	assert_int_equal(len, expected_size(n));
	free(p);
	free(data);
}

static void test_open_of_existing_path_fails(void **state)
{
	fixture *f = *state;
	write_file(f->path, (const uint8_t *)"x", 1);
	cfw w;
	trawl_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(cfw_open(&w, f->path, CF_RUN, &err), TRAWL_EIO);
	assert_non_null(strstr(err.message, f->path));
	/* and the existing file is untouched */
	size_t len;
	uint8_t *p = read_file(f->path, &len);
	assert_int_equal(len, 1);
	assert_int_equal(p[0], 'x');
	free(p);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_round_trip_empty),
		T(test_round_trip_one_byte),
		T(test_round_trip_chunk_minus_one),
		T(test_round_trip_exact_chunk),
		T(test_round_trip_chunk_plus_one),
		T(test_round_trip_100000_bytes),
		T(test_round_trip_past_write_buffer),
		T(test_range_bounds),
		T(test_two_parts_read_as_one),
		T(test_flipped_data_byte_fails_its_chunk_only),
		T(test_flipped_last_partial_chunk_is_corrupt),
		T(test_truncated_file_is_corrupt),
		T(test_extended_file_is_corrupt),
		T(test_wrong_kind_is_corrupt),
		T(test_bad_magic_is_corrupt),
		T(test_bad_header_crc_is_corrupt),
		T(test_other_version_is_eversion),
		T(test_other_chunk_size_is_corrupt),
		T(test_data_length_disagreeing_with_size_is_corrupt),
		T(test_damaged_checksum_table_is_corrupt),
		T(test_missing_file_is_enotfound),
		T(test_abort_removes_the_file),
		T(test_abort_after_close_leaves_the_file),
		T(test_sealed_file_is_complete_and_abort_removes_it),
		T(test_open_of_existing_path_fails),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
