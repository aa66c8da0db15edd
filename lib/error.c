/*
 * error.c -- code texts and the message buffer of trawl_error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

const char *trawl_errstr(int rc)
{
	switch (rc) {
	case TRAWL_OK: return "ok";
	case TRAWL_ENOMEM: return "out of memory";
	case TRAWL_EIO: return "input/output error";
	case TRAWL_ECORRUPT: return "index file is damaged";
	case TRAWL_EVERSION: return "index format version not supported";
	case TRAWL_ESYNTAX: return "query syntax error";
	case TRAWL_EINVAL: return "invalid argument";
	case TRAWL_ELIMIT: return "limit exceeded";
	case TRAWL_EEXIST: return "already exists";
	case TRAWL_ENOTFOUND: return "not found";
	case TRAWL_EINPUT: return "malformed input document";
	case TRAWL_ELOCKED: return "index is locked by another writer";
	default: return "unknown error";
	}
}

static int vset(trawl_error *err, int code, int column, const char *fmt,
		va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	err->column = column;
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	return code;
}

int tr_err(trawl_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, code, 0, fmt, ap);
	va_end(ap);
	return code;
}

int tr_err_col(trawl_error *err, int code, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(err, code, column, fmt, ap);
	va_end(ap);
	return code;
}

void tr_err_clear(trawl_error *err)
{
	if (err) {
		err->code = TRAWL_OK;
		err->column = 0;
		err->message[0] = '\0';
	}
}
