/*
 * json.c -- just enough JSON to read the conformance vectors: one flat
 * object a line, whose values we want are strings, numbers or arrays of
 * strings.  Written apart from the engine's reader on purpose, so that the
 * oracle's view of corpus.jsonl does not depend on the engine's ingest.
 */
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

typedef struct jp {
	const char *p;
	char *out;          /* decoded string being built */
	size_t n, cap;
} jp;

static void ws(jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' ||
	       *j->p == '\n')
		j->p++;
}

static int out_byte(jp *j, unsigned c)
{
	if (j->n + 2 > j->cap) {
		char *q;

		j->cap = j->cap ? j->cap * 2 : 64;
		q = realloc(j->out, j->cap);
		if (!q)
			return -1;
		j->out = q;
	}
	j->out[j->n++] = (char)c;
	j->out[j->n] = '\0';
	return 0;
}

static int out_cp(jp *j, unsigned long c)
{
	if (c < 0x80)
		return out_byte(j, (unsigned)c);
	if (c < 0x800)
		return out_byte(j, 0xc0 | (unsigned)(c >> 6)) ||
		       out_byte(j, 0x80 | (unsigned)(c & 0x3f));
	if (c < 0x10000)
		return out_byte(j, 0xe0 | (unsigned)(c >> 12)) ||
		       out_byte(j, 0x80 | (unsigned)((c >> 6) & 0x3f)) ||
		       out_byte(j, 0x80 | (unsigned)(c & 0x3f));
	return out_byte(j, 0xf0 | (unsigned)(c >> 18)) ||
	       out_byte(j, 0x80 | (unsigned)((c >> 12) & 0x3f)) ||
	       out_byte(j, 0x80 | (unsigned)((c >> 6) & 0x3f)) ||
	       out_byte(j, 0x80 | (unsigned)(c & 0x3f));
}

static int hex4(const char *p, unsigned long *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned long)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Reads a string at j->p (on its opening quote) into a fresh buffer.
 * OUT: *s (malloc'd), *len. */
static int string(jp *j, char **s, size_t *len)
{
	if (*j->p != '"')
		return -1;
	j->p++;
	j->out = NULL;
	j->n = j->cap = 0;
	if (out_byte(j, 0) < 0)
		return -1;
	j->n = 0;
	for (;;) {
		unsigned char c = (unsigned char)*j->p;
		unsigned long cp, lo;

		if (c == '\0' || c < 0x20)
			goto bad;
		j->p++;
		if (c == '"')
			break;
		if (c != '\\') {
			if (out_byte(j, c) < 0)
				goto bad;
			continue;
		}
		c = (unsigned char)*j->p++;
		switch (c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (hex4(j->p, &cp) < 0)
				goto bad;
			j->p += 4;
			/* A surrogate pair is one code point. */
			if (cp >= 0xd800 && cp < 0xdc00 && j->p[0] == '\\' &&
			    j->p[1] == 'u' && hex4(j->p + 2, &lo) == 0 &&
			    lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				     (lo - 0xdc00);
				j->p += 6;
			}
			if (out_cp(j, cp) < 0)
				goto bad;
			continue;
		default:
			goto bad;
		}
		if (out_byte(j, c) < 0)
			goto bad;
	}
	*s = j->out;
	*len = j->n;
	j->out = NULL;
	return 0;
bad:
	free(j->out);
	j->out = NULL;
	return -1;
}

/* Skips any value. */
static int skip(jp *j, int depth)
{
	char *s;
	size_t len;

	if (depth > 64)
		return -1;
	ws(j);
	if (*j->p == '"') {
		if (string(j, &s, &len) < 0)
			return -1;
		free(s);
		return 0;
	}
	if (*j->p == '[' || *j->p == '{') {
		char close = *j->p == '[' ? ']' : '}';

		j->p++;
		ws(j);
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (close == '}') {
				ws(j);
				if (string(j, &s, &len) < 0)
					return -1;
				free(s);
				ws(j);
				if (*j->p++ != ':')
					return -1;
			}
			if (skip(j, depth + 1) < 0)
				return -1;
			ws(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != close)
				return -1;
			return 0;
		}
	}
	/* number, true, false, null */
	if (!strchr("-0123456789tfn", *j->p) || *j->p == '\0')
		return -1;
	while (*j->p && !strchr(",}] \t\r\n", *j->p))
		j->p++;
	return 0;
}

static int value(jp *j, jval *v)
{
	const char *start;

	ws(j);
	memset(v, 0, sizeof(*v));
	v->type = 'x';
	if (*j->p == '"') {
		v->type = 's';
		return string(j, &v->s, &v->slen);
	}
	if (*j->p == '[') {
		const char *save = j->p;

		v->type = 'a';
		j->p++;
		ws(j);
		if (*j->p == ']') {
			j->p++;
			return 0;
		}
		for (;;) {
			char *s, **arr;
			size_t len;

			ws(j);
			if (*j->p != '"') {
				/* Not an array of strings: skip it. */
				oj_clear(v);
				v->type = 'x';
				j->p = save;
				return skip(j, 0);
			}
			if (string(j, &s, &len) < 0)
				return -1;
			arr = realloc(v->arr, (v->narr + 1) * sizeof(*arr));
			if (!arr) {
				free(s);
				return -1;
			}
			v->arr = arr;
			v->arr[v->narr++] = s;
			ws(j);
			if (*j->p == ',') {
				j->p++;
				continue;
			}
			if (*j->p++ != ']')
				return -1;
			return 0;
		}
	}
	start = j->p;
	if (strncmp(j->p, "null", 4) == 0) {
		v->type = '0';
		j->p += 4;
		return 0;
	}
	if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "false", 5) == 0) {
		v->type = 'b';
		v->num = *j->p == 't';
		j->p += *j->p == 't' ? 4 : 5;
		return 0;
	}
	if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
		char *end;

		v->type = 'n';
		v->num = strtod(start, &end);
		j->p = end;
		return end == start ? -1 : 0;
	}
	return skip(j, 0);
}

int oj_object(const char *line, const char *const *keys, jval *vals,
		size_t nkeys)
{
	jp j = { .p = line };

	for (size_t i = 0; i < nkeys; i++) {
		memset(&vals[i], 0, sizeof(vals[i]));
		vals[i].type = '-';
	}
	if (strncmp(j.p, "\xef\xbb\xbf", 3) == 0)
		j.p += 3;
	ws(&j);
	if (*j.p++ != '{')
		return -1;
	ws(&j);
	if (*j.p == '}')
		return 0;
	for (;;) {
		char *key;
		size_t klen, i;

		ws(&j);
		if (string(&j, &key, &klen) < 0)
			goto bad;
		ws(&j);
		if (*j.p++ != ':') {
			free(key);
			goto bad;
		}
		for (i = 0; i < nkeys; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		free(key);
		if (i < nkeys) {
			/* A repeated key: the last one wins. */
			oj_clear(&vals[i]);
			if (value(&j, &vals[i]) < 0)
				goto bad;
		} else if (skip(&j, 0) < 0) {
			goto bad;
		}
		ws(&j);
		if (*j.p == ',') {
			j.p++;
			continue;
		}
		if (*j.p++ != '}')
			goto bad;
		return 0;
	}
bad:
	for (size_t i = 0; i < nkeys; i++)
		oj_clear(&vals[i]);
	return -1;
}

void oj_clear(jval *v)
{
	free(v->s);
	for (size_t i = 0; i < v->narr; i++)
		free(v->arr[i]);
	free(v->arr);
	v->s = NULL;
	v->arr = NULL;
	v->narr = 0;
	v->slen = 0;
}
