/*  err: the protocol's error codes.  See include/jad/err.h. */
#include "jad/err.h"

#include <stdarg.h>
#include <stdio.h>

#include "jad.pb-c.h"

/* The enum is the wire's, number for number. */
_Static_assert ((int) JAD_OK == (int) JAD__ERROR_CODE__ERROR_UNSPECIFIED, "err: OK");
_Static_assert ((int) JAD_EMALFORMED == (int) JAD__ERROR_CODE__MALFORMED, "err: MALFORMED");
_Static_assert ((int) JAD_EBAD_VERSION == (int) JAD__ERROR_CODE__BAD_VERSION, "err: BAD_VERSION");
_Static_assert ((int) JAD_EWRONG_OPERATION == (int) JAD__ERROR_CODE__WRONG_OPERATION,
                "err: WRONG_OPERATION");
_Static_assert ((int) JAD_EFORBIDDEN == (int) JAD__ERROR_CODE__FORBIDDEN, "err: FORBIDDEN");
_Static_assert ((int) JAD_ECONFLICT == (int) JAD__ERROR_CODE__CONFLICT, "err: CONFLICT");
_Static_assert ((int) JAD_ETOO_LARGE == (int) JAD__ERROR_CODE__TOO_LARGE, "err: TOO_LARGE");
_Static_assert ((int) JAD_EUNAVAILABLE == (int) JAD__ERROR_CODE__UNAVAILABLE, "err: UNAVAILABLE");
_Static_assert ((int) JAD_EBAD_SIGNATURE == (int) JAD__ERROR_CODE__BAD_SIGNATURE,
                "err: BAD_SIGNATURE");
/* A code added to the schema fails tests/unit/test_err.c, which counts
 * the descriptor's values. */

static const char *s_names[JAD_ERR_MAX + 1] = {
    "OK", "MALFORMED", "BAD_VERSION", "WRONG_OPERATION", "FORBIDDEN",
    "CONFLICT", "TOO_LARGE", "UNAVAILABLE", "BAD_SIGNATURE"
};

const char *
jad_err_name (int code)
{
    return code >= 0 && code <= JAD_ERR_MAX ? s_names[code] : "UNKNOWN";
}

int
jad_err_final (int code)
{
    return code != JAD_OK && code != JAD_EUNAVAILABLE;
}

void
jad_err_set (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, errlen, fmt, ap);
    va_end (ap);
}
