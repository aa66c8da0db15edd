/*
 * error.h -- filling a caller's trawl_error.  Every module reports through
 * tr_err(), which formats the message and returns the code, so a failing
 * path reads `return tr_err(err, TRAWL_ECORRUPT, "...", ...);`.
 */
#ifndef TRAWL_ERROR_H
#define TRAWL_ERROR_H

#include "trawl.h"

/* Fills ERR (may be NULL) with CODE, column 0 and the formatted message;
 * returns CODE. */
int tr_err(trawl_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* As tr_err, with a query column (1-based code points). */
int tr_err_col(trawl_error *err, int code, int column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Resets ERR to "no error". */
void tr_err_clear(trawl_error *err);

#endif
