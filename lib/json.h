/*
 * json.h -- a small, strict parser for one JSON object per line, as the
 * corpus readers need it: it decodes the five document keys (id, title,
 * body, date, source) and validates and skips every other value.  It does
 * not build a tree and keeps no state between calls.
 *
 * Strings without escapes are returned as pointers into the line itself;
 * strings with escapes are decoded into the caller's scratch buffer.  Raw
 * bytes that are not valid UTF-8 are passed through unchanged (the analyser
 * treats them as separators), so a document is never rejected for them.
 */
#ifndef TRAWL_JSON_H
#define TRAWL_JSON_H

#include <stddef.h>

#include "trawl.h"
#include "buf.h"

/* Nesting deeper than this in an ignored value is rejected, so skipping
 * needs no allocation. */
#define JSON_MAX_DEPTH 1024

/* Parses LINE (LEN bytes, need not be NUL-terminated; no newline in it)
 * as one JSON object describing a document.
 *   OUT: *out -- id (a non-empty string, required), title and body (NULL
 *        when missing or null), date and source (NULL when missing, null
 *        or ""); other keys are ignored; for a repeated key the last one
 *        wins.  The strings point into LINE or into SCRATCH and are valid
 *        while both are left untouched.
 *   IN/OUT: scratch -- reset and reused; grows at most to LEN bytes
 *        (a decoded string is never longer than its JSON text).
 *   OUT: *err_col, *err_what -- on TRAWL_EINPUT, the 1-based byte column
 *        in LINE where the problem was found and a static description
 *        ("expected ',' or '}' in object").
 * Returns TRAWL_OK, TRAWL_EINPUT for a line that is not one valid JSON
 * object with a string id (trailing non-space bytes included), or
 * TRAWL_ENOMEM.  Leading and trailing space, tab, CR and LF are allowed. */
int json_parse_doc(const char *line, size_t len, trawl_doc *out,
		   buf *scratch, size_t *err_col, const char **err_what);

/* Decodes the JSON string whose opening quote is at LINE[*pos], LEN being
 * the length of LINE.  IN/OUT: *pos moves past the closing quote.
 *   OUT: *s, *n -- the decoded bytes: into LINE when there is no escape,
 *        else appended to SCRATCH, which must already have room for
 *        LEN - *pos more bytes (it is never grown here, so pointers to
 *        earlier results stay valid).
 * \uXXXX escapes become UTF-8; a surrogate pair becomes one character and
 * a lone surrogate U+FFFD.  Returns TRAWL_OK or TRAWL_EINPUT with *pos at
 * the offending byte and *err_what set. */
int json_string(const char *line, size_t len, size_t *pos, buf *scratch,
		const char **s, size_t *n, const char **err_what);

#endif
