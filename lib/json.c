/*
 * json.c -- one JSON object line -> trawl_doc.  A single forward pass over
 * the line: the five document keys are decoded, every other value is
 * validated and skipped (iteratively, with a fixed bracket stack), so a
 * line is accepted only when it is exactly one valid JSON object (RFC 8259,
 * except that raw bytes >= 0x80 are not checked for UTF-8).
 *
 * Speed: the string scan looks at 8 bytes at a time for '"', '\\' and
 * control bytes (SWAR), and escape-free strings are not copied at all.
 * Error columns are byte offsets from 1, not characters: cheap to compute
 * and what `cut -b` and most editors' byte-offset jump expect.
 */
#include <stdint.h>
#include <string.h>

#include "json.h"

typedef struct parser {
	const unsigned char *s;
	size_t len;
	size_t i;         /* the next byte to look at */
	buf *scratch;     /* decoded strings; room reserved up front */
	const char *what; /* error description, static */
} parser;

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* 1 for the bytes that end a run of plain string bytes. */
static const unsigned char special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

/* The index of the first byte at or after I that is '"', '\\' or a
 * control byte, or LEN.  The word test is exact (no false positives), so
 * the byte loop after it runs at most 8 steps per special byte. */
static inline size_t scan_special(const unsigned char *s, size_t i,
				  size_t len)
{
	while (len - i >= 8) {
		uint64_t x, q, b;
		memcpy(&x, s + i, 8);
		q = x ^ (ONES * '"');
		b = x ^ (ONES * '\\');
		if ((((q - ONES) & ~q) | ((b - ONES) & ~b) |
		     ((x - ONES * 0x20) & ~x)) & HIGHS)
			break;
		i += 8;
	}
	while (i < len && !special[s[i]])
		i++;
	return i;
}

static inline void skip_ws(parser *p)
{
	while (p->i < p->len) {
		unsigned char c = p->s[p->i];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
		p->i++;
	}
}

static int fail(parser *p, const char *what)
{
	p->what = what;
	return TRAWL_EINPUT;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The 4 hex digits at S[i..i+4) as a number, or -1. */
static long hex4(const unsigned char *s, size_t i, size_t len)
{
	long v = 0;
	if (len - i < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int h = hexval(s[i + k]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static size_t put_utf8(unsigned char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | cp >> 6);
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The string whose quote is at p->i.  With OUT == NULL it is only
 * validated; else decoded into OUT (room for its JSON length assumed) and
 * *n set.  *direct is set when the result is the raw bytes at *start. */
static int string_core(parser *p, unsigned char *out, size_t *n,
		       size_t *start, int *direct)
{
	const unsigned char *s = p->s;
	size_t len = p->len, q = p->i, j, o = 0;

	j = scan_special(s, q + 1, len);
	if (j < len && s[j] == '"') {
		*start = q + 1;
		*n = j - q - 1;
		*direct = 1;
		p->i = j + 1;
		return TRAWL_OK;
	}
	*direct = 0;
	if (out) {
		memcpy(out, s + q + 1, j - q - 1);
		o = j - q - 1;
	}
	for (;;) {
		size_t k;
		if (j >= len) {
			p->i = q;
			return fail(p, "unterminated string");
		}
		unsigned char c = s[j];
		if (c == '"')
			break;
		if (c < 0x20) {
			p->i = j;
			return fail(p, "control character in string "
				       "(must be escaped)");
		}
		/* c is '\\' */
		if (len - j < 2) {
			p->i = q;
			return fail(p, "unterminated string");
		}
		unsigned char e = s[j + 1], d;
		switch (e) {
		case '"': d = '"'; break;
		case '\\': d = '\\'; break;
		case '/': d = '/'; break;
		case 'b': d = '\b'; break;
		case 'f': d = '\f'; break;
		case 'n': d = '\n'; break;
		case 'r': d = '\r'; break;
		case 't': d = '\t'; break;
		case 'u': {
			long cp = hex4(s, j + 2, len);
			if (cp < 0) {
				p->i = j;
				return fail(p, "invalid \\u escape in string "
					       "(needs 4 hex digits)");
			}
			j += 6;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				long lo = -1;
				if (len - j >= 6 && s[j] == '\\' &&
				    s[j + 1] == 'u')
					lo = hex4(s, j + 2, len);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
					j += 6;
				} else {
					cp = 0xfffd; /* lone high surrogate */
				}
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				cp = 0xfffd; /* lone low surrogate */
			}
			if (out)
				o += put_utf8(out + o, (unsigned long)cp);
			goto run;
		}
		default:
			p->i = j;
			return fail(p, "invalid escape in string");
		}
		if (out)
			out[o++] = d;
		j += 2;
	run:
		k = scan_special(s, j, len);
		if (out) {
			memcpy(out + o, s + j, k - j);
			o += k - j;
		}
		j = k;
	}
	*n = o;
	p->i = j + 1;
	return TRAWL_OK;
}

/* Decodes the string at p->i into the scratch buffer (or points into the
 * line when it has no escape). */
static int get_string(parser *p, const char **str, size_t *n)
{
	size_t start;
	int direct;
	buf *sc = p->scratch;
	unsigned char *out = sc->p + sc->n;
	int rc = string_core(p, out, n, &start, &direct);
	if (rc)
		return rc;
	if (direct) {
		*str = (const char *)p->s + start;
	} else {
		*str = (const char *)out;
		sc->n += *n;
	}
	return TRAWL_OK;
}

int json_string(const char *line, size_t len, size_t *pos, buf *scratch,
		const char **s, size_t *n, const char **err_what)
{
	parser p = { (const unsigned char *)line, len, *pos, scratch, NULL };
	if (p.i >= len || line[p.i] != '"') {
		*err_what = "expected a string";
		return TRAWL_EINPUT;
	}
	int rc = get_string(&p, s, n);
	*pos = p.i;
	if (rc)
		*err_what = p.what;
	return rc;
}

static int skip_string(parser *p)
{
	size_t n, start;
	int direct;
	return string_core(p, NULL, &n, &start, &direct);
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int skip_number(parser *p)
{
	const unsigned char *s = p->s;
	size_t len = p->len, i = p->i;
	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0') {
		i++;
	} else if (i < len && is_digit(s[i])) {
		while (i < len && is_digit(s[i]))
			i++;
	} else {
		p->i = i;
		return fail(p, "invalid number");
	}
	if (i < len && s[i] == '.') {
		i++;
		if (i >= len || !is_digit(s[i])) {
			p->i = i;
			return fail(p, "invalid number (digit expected "
				       "after '.')");
		}
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !is_digit(s[i])) {
			p->i = i;
			return fail(p, "invalid number (digit expected "
				       "in exponent)");
		}
		while (i < len && is_digit(s[i]))
			i++;
	}
	p->i = i;
	return TRAWL_OK;
}

static int match_word(parser *p, const char *w, size_t n)
{
	if (p->len - p->i >= n && memcmp(p->s + p->i, w, n) == 0) {
		p->i += n;
		return 1;
	}
	return 0;
}

/* After '{' or ',' in an object: a key string, then ':'; leaves p->i at
 * the value. */
static int skip_key(parser *p)
{
	skip_ws(p);
	if (p->i >= p->len || p->s[p->i] != '"')
		return fail(p, "expected a string key in object");
	int rc = skip_string(p);
	if (rc)
		return rc;
	skip_ws(p);
	if (p->i >= p->len || p->s[p->i] != ':')
		return fail(p, "expected ':' after key");
	p->i++;
	skip_ws(p);
	return TRAWL_OK;
}

/* Validates and steps over one value of any kind at p->i (space before it
 * already skipped).  Iterative, so a deeply nested value cannot overflow
 * the C stack. */
static int skip_value(parser *p)
{
	unsigned char stack[JSON_MAX_DEPTH]; /* the closing bracket expected */
	size_t depth = 0;
	int rc;

	for (;;) {
		/* A value starts at p->i. */
		unsigned char c = p->i < p->len ? p->s[p->i] : 0;
		switch (c) {
		case '{':
		case '[':
			if (depth == JSON_MAX_DEPTH)
				return fail(p, "nesting too deep");
			stack[depth++] = c == '{' ? '}' : ']';
			p->i++;
			skip_ws(p);
			if (p->i < p->len && p->s[p->i] == stack[depth - 1]) {
				p->i++;
				depth--;
				break;
			}
			if (c == '{' && (rc = skip_key(p)))
				return rc;
			continue;
		case '"':
			if ((rc = skip_string(p)))
				return rc;
			break;
		case 't':
			if (!match_word(p, "true", 4))
				return fail(p, "invalid literal");
			break;
		case 'f':
			if (!match_word(p, "false", 5))
				return fail(p, "invalid literal");
			break;
		case 'n':
			if (!match_word(p, "null", 4))
				return fail(p, "invalid literal");
			break;
		default:
			if (c == '-' || is_digit(c)) {
				if ((rc = skip_number(p)))
					return rc;
				break;
			}
			return fail(p, "expected a value");
		}
		/* A value ended: close brackets until a ',' or the end. */
		for (;;) {
			if (depth == 0)
				return TRAWL_OK;
			skip_ws(p);
			unsigned char close = stack[depth - 1];
			c = p->i < p->len ? p->s[p->i] : 0;
			if (c == close) {
				p->i++;
				depth--;
				continue;
			}
			if (c != ',')
				return fail(p, close == '}'
					       ? "expected ',' or '}' in object"
					       : "expected ',' or ']' in array");
			p->i++;
			skip_ws(p);
			if (close == '}' && (rc = skip_key(p)))
				return rc;
			break;
		}
	}
}

enum { K_OTHER, K_ID, K_TITLE, K_BODY, K_DATE, K_SOURCE };

static int key_kind(const char *k, size_t n)
{
	switch (n) {
	case 2: return memcmp(k, "id", 2) == 0 ? K_ID : K_OTHER;
	case 4:
		if (memcmp(k, "body", 4) == 0)
			return K_BODY;
		return memcmp(k, "date", 4) == 0 ? K_DATE : K_OTHER;
	case 5: return memcmp(k, "title", 5) == 0 ? K_TITLE : K_OTHER;
	case 6: return memcmp(k, "source", 6) == 0 ? K_SOURCE : K_OTHER;
	default: return K_OTHER;
	}
}

static const char *const type_msg[] = {
	[K_ID] = "\"id\" must be a string",
	[K_TITLE] = "\"title\" must be a string or null",
	[K_BODY] = "\"body\" must be a string or null",
	[K_DATE] = "\"date\" must be a string or null",
	[K_SOURCE] = "\"source\" must be a string or null",
};

static int parse_object(parser *p, trawl_doc *d)
{
	/* Slots indexed by key kind; the last occurrence of a key wins. */
	const char *val[6] = { 0 };
	size_t vlen[6] = { 0 }, id_col = 0;
	int rc;

	skip_ws(p);
	if (p->i >= p->len || p->s[p->i] != '{')
		return fail(p, "expected '{' at the start of a document");
	p->i++;
	skip_ws(p);
	if (p->i < p->len && p->s[p->i] == '}') {
		p->i++;
	} else {
		for (;;) {
			const char *k;
			size_t kn;
			skip_ws(p);
			if (p->i >= p->len || p->s[p->i] != '"')
				return fail(p, "expected a string key in "
					       "object");
			if ((rc = get_string(p, &k, &kn)))
				return rc;
			skip_ws(p);
			if (p->i >= p->len || p->s[p->i] != ':')
				return fail(p, "expected ':' after key");
			p->i++;
			skip_ws(p);
			int kind = key_kind(k, kn);
			if (kind == K_OTHER) {
				if ((rc = skip_value(p)))
					return rc;
			} else if (p->i < p->len && p->s[p->i] == '"') {
				if (kind == K_ID)
					id_col = p->i + 1;
				if ((rc = get_string(p, &val[kind],
						     &vlen[kind])))
					return rc;
			} else if (kind != K_ID && match_word(p, "null", 4)) {
				val[kind] = NULL;
				vlen[kind] = 0;
			} else {
				return fail(p, type_msg[kind]);
			}
			skip_ws(p);
			if (p->i < p->len && p->s[p->i] == ',') {
				p->i++;
				continue;
			}
			if (p->i < p->len && p->s[p->i] == '}') {
				p->i++;
				break;
			}
			return fail(p, "expected ',' or '}' in object");
		}
	}
	skip_ws(p);
	if (p->i < p->len)
		return fail(p, "unexpected data after the object");
	if (!id_col) {
		p->i = 0;
		return fail(p, "missing \"id\"");
	}
	if (vlen[K_ID] == 0) {
		p->i = id_col - 1;
		return fail(p, "\"id\" is empty");
	}
	d->id = val[K_ID];
	d->id_len = vlen[K_ID];
	d->title = val[K_TITLE];
	d->title_len = vlen[K_TITLE];
	d->body = val[K_BODY];
	d->body_len = vlen[K_BODY];
	d->date = vlen[K_DATE] ? val[K_DATE] : NULL;
	d->date_len = vlen[K_DATE];
	d->source = vlen[K_SOURCE] ? val[K_SOURCE] : NULL;
	d->source_len = vlen[K_SOURCE];
	return TRAWL_OK;
}

int json_parse_doc(const char *line, size_t len, trawl_doc *out,
		   buf *scratch, size_t *err_col, const char **err_what)
{
	parser p = { (const unsigned char *)line, len, 0, scratch, NULL };
	int rc = TRAWL_OK;

	/* Every decoded string is at most as long as its JSON text, so one
	 * reservation covers the whole line and the buffer never moves
	 * while pointers into it are handed out. */
	buf_reset(scratch);
	buf_reserve(&rc, scratch, len ? len : 1);
	if (rc)
		return rc;
	rc = parse_object(&p, out);
	if (rc) {
		*err_col = p.i + 1;
		*err_what = p.what;
	}
	return rc;
}
