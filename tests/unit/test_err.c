/* Unit tests: lib/err.c — the name of every code, "UNKNOWN" for the rest,
 * which codes are final, and the enum tied to the schema's ErrorCode: a
 * code added to proto/jad.proto without err.h fails here (the static
 * asserts in lib/err.c only catch a renumbering). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "jad/err.h"
#include "jad.pb-c.h"

static void
test_names (void **state)
{
    (void) state;
    assert_string_equal (jad_err_name (JAD_OK), "OK");
    assert_string_equal (jad_err_name (JAD_EMALFORMED), "MALFORMED");
    assert_string_equal (jad_err_name (JAD_EBAD_VERSION), "BAD_VERSION");
    assert_string_equal (jad_err_name (JAD_EWRONG_OPERATION), "WRONG_OPERATION");
    assert_string_equal (jad_err_name (JAD_EFORBIDDEN), "FORBIDDEN");
    assert_string_equal (jad_err_name (JAD_ECONFLICT), "CONFLICT");
    assert_string_equal (jad_err_name (JAD_ETOO_LARGE), "TOO_LARGE");
    assert_string_equal (jad_err_name (JAD_EUNAVAILABLE), "UNAVAILABLE");
    assert_string_equal (jad_err_name (JAD_EBAD_SIGNATURE), "BAD_SIGNATURE");
    /* The numbers are the wire's. */
    assert_int_equal (JAD_OK, 0);
    assert_int_equal (JAD_EMALFORMED, 1);
    assert_int_equal (JAD_EBAD_SIGNATURE, 8);
    assert_int_equal (JAD_ERR_MAX, JAD_EBAD_SIGNATURE);
}

static void
test_unknown (void **state)
{
    (void) state;
    const int unknown[] = { -1, JAD_ERR_MAX + 1, 42, 1000, INT_MAX, INT_MIN };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        assert_string_equal (jad_err_name (unknown[i]), "UNKNOWN");
}

static void
test_final (void **state)
{
    (void) state;
    assert_int_equal (jad_err_final (JAD_OK), 0);
    assert_int_equal (jad_err_final (JAD_EUNAVAILABLE), 0);
    assert_int_equal (jad_err_final (JAD_EMALFORMED), 1);
    assert_int_equal (jad_err_final (JAD_EBAD_VERSION), 1);
    assert_int_equal (jad_err_final (JAD_EWRONG_OPERATION), 1);
    assert_int_equal (jad_err_final (JAD_EFORBIDDEN), 1);
    assert_int_equal (jad_err_final (JAD_ECONFLICT), 1);
    assert_int_equal (jad_err_final (JAD_ETOO_LARGE), 1);
    assert_int_equal (jad_err_final (JAD_EBAD_SIGNATURE), 1);
    /* A newer hub's refusal is still a refusal. */
    assert_int_equal (jad_err_final (JAD_ERR_MAX + 1), 1);
    assert_int_equal (jad_err_final (99), 1);
    assert_int_equal (jad_err_final (-1), 1);
    assert_int_equal (jad_err_final (INT_MAX), 1);
}

/* Every value of the schema's ErrorCode is a code of err.h, with the same
 * number and (but for 0) the same name; none is missing, none extra. */
static void
test_schema (void **state)
{
    (void) state;
    const ProtobufCEnumDescriptor *d = &jad__error_code__descriptor;
    assert_int_equal (d->n_values, JAD_ERR_MAX + 1);
    for (unsigned i = 0; i < d->n_values; i++) {
        const ProtobufCEnumValue *v = &d->values[i];
        assert_true (v->value >= 0 && v->value <= JAD_ERR_MAX);
        if (v->value == 0)
            assert_string_equal (v->name, "ERROR_UNSPECIFIED");
        else
            assert_string_equal (v->name, jad_err_name (v->value));
        assert_ptr_equal (protobuf_c_enum_descriptor_get_value (d, (int) i), v);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_unknown),
        cmocka_unit_test (test_final),
        cmocka_unit_test (test_schema),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
