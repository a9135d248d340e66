/*  err: the protocol's error codes — what decoders and checks return.
 *
 *  One enum, the same numbers as the wire's ErrorCode (proto/jad.proto;
 *  lib/err.c ties each value to the generated one with a static assert),
 *  so a decoder's verdict goes into an ErrorReply as it is and an
 *  ErrorReply's code comes back as it was sent.  Callers branch on codes,
 *  never on the text of a message: the text is for people (it names the
 *  field at fault) and may change.
 *
 *  Final or not: JAD_EUNAVAILABLE is the only code a client retries (the
 *  hub could not do its part: journal, memory, shutdown); every other code
 *  is the report's own fault and resending the same bytes gets the same
 *  answer.  A hub-side failure must therefore never be answered with a
 *  final code.
 */
#ifndef JAD_ERR_H
#define JAD_ERR_H

#include <stddef.h>

typedef enum {
    JAD_OK                = 0,  /* no error (ERROR_UNSPECIFIED on the wire) */
    JAD_EMALFORMED        = 1,  /* does not decode, or a field is invalid */
    JAD_EBAD_VERSION      = 2,  /* a schema version this build does not speak */
    JAD_EWRONG_OPERATION  = 3,  /* another operation's id */
    JAD_EFORBIDDEN        = 4,  /* the sender's role, origin or country may not */
    JAD_ECONFLICT         = 5,  /* the same identity with other bytes */
    JAD_ETOO_LARGE        = 6,  /* over a size limit */
    JAD_EUNAVAILABLE      = 7,  /* the receiver failed: retry later */
    JAD_EBAD_SIGNATURE    = 8   /* signature or key id missing or wrong */
} jad_err_t;

/* The largest code; anything above it from the wire is unknown. */
#define JAD_ERR_MAX  JAD_EBAD_SIGNATURE

/* "MALFORMED", "BAD_VERSION", ... as in the schema; "OK" for JAD_OK and
 * "UNKNOWN" for a number this build does not know.  Static string. */
const char *jad_err_name (int code);

/* Write a one-line reason into ERR (ERRLEN bytes, always NUL-terminated)
 * as snprintf does; nothing when ERR is NULL or ERRLEN 0 — for modules
 * whose callers may pass no ERR (the stores, the configuration). */
void jad_err_set (char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 when CODE is final for the report it answers (resending the same
 * bytes cannot change it): every code but JAD_OK and JAD_EUNAVAILABLE,
 * unknown numbers included (a newer hub's refusal is still a refusal). */
int jad_err_final (int code);

#endif
