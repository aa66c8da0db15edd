/*
 * tlimits.h -- hard limits, in one place (not <limits.h>: -Ilib must not
 * shadow the system header).
 */
#ifndef TRAWL_LIMITS_H
#define TRAWL_LIMITS_H

#define TR_MAX_TOKEN_BYTES 64        /* SPEC 2.4: longer tokens are not indexed */
#define TR_MAX_QUERY_BYTES (1 << 20) /* a longer query is rejected (ELIMIT) */
#define TR_MAX_QUERY_DEPTH 256       /* bracket / operator nesting */
#define TR_MAX_QUERY_LEAVES 4096     /* words, phrases and prefixes */
#define TR_MAX_FIELD_TOKENS 0x7fffffffu /* positions carry the field in bit 31 */
#define TR_MAX_DOCS 0xfffffff0u      /* docnos are uint32 */
#define TR_MAX_DOC_BYTES (64u << 20) /* a longer JSON line is a malformed doc */

#endif
