/* Unit tests: lib/timefmt.c — RFC 3339 parsing, offsets, rejections. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "jad/timefmt.h"

static void
test_parse_utc (void **state)
{
    (void) state;
    int64_t ms;
    assert_int_equal (jad_time_parse ("2020-11-16T07:00:03Z", &ms), 0);
    assert_int_equal (ms, 1605510003000LL);
    assert_int_equal (jad_time_parse ("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal (ms, 0);
    assert_int_equal (jad_time_parse ("2020-11-16T07:00:03.25Z", &ms), 0);
    assert_int_equal (ms, 1605510003250LL);
    assert_int_equal (jad_time_parse ("2024-02-29T00:00:00Z", &ms), 0);
}

static void
test_parse_offset (void **state)
{
    (void) state;
    int64_t a, b, c;
    assert_int_equal (jad_time_parse ("2020-11-16T09:00:03+02:00", &a), 0);
    assert_int_equal (jad_time_parse ("2020-11-16T07:00:03Z", &b), 0);
    assert_int_equal (jad_time_parse ("2020-11-16T02:30:03-04:30", &c), 0);
    assert_int_equal (a, b);
    assert_int_equal (c, b);
}

static void
test_parse_rejects (void **state)
{
    (void) state;
    const char *bad[] = {
        "", "2020-11-16", "2020-11-16 07:00:03Z", "2020-11-16T07:00:03",
        "2020-13-01T00:00:00Z", "2021-02-29T00:00:00Z", "2020-11-16T24:00:00Z",
        "2020-11-16T07:00:03+2:00", "2020-11-16T07:00:03Zjunk",
        "1969-12-31T23:59:59Z", "2020-11-16T07:00:03.Z", "20x0-11-16T07:00:03Z",
        "2020-11-16T07:00:03.1234567891Z", "2020-11-16T07:00:03+24:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms;
        if (jad_time_parse (bad[i], &ms) == 0)
            fail_msg ("accepted \"%s\"", bad[i]);
    }
}

static void
test_format (void **state)
{
    (void) state;
    char buf[JAD_TIME_STRLEN];
    jad_time_format (1605510003000LL, buf);
    assert_string_equal (buf, "2020-11-16T07:00:03Z");
    jad_time_format (1605510003250LL, buf);
    assert_string_equal (buf, "2020-11-16T07:00:03.250Z");
    int64_t ms;
    assert_int_equal (jad_time_parse (buf, &ms), 0);
    assert_int_equal (ms, 1605510003250LL);
    assert_true (jad_time_now_ms () > 1605510003000LL);
    assert_true (jad_time_mono_ms () >= 0);
}

/* Pacing: the first event is due at once and sets the origin; later ones
 * are due after their event-time distance over the speed; earlier ones at
 * once. */
static void
test_pace (void **state)
{
    (void) state;
    jad_time_pace_t pace = { .speed = 3600 };
    assert_int_equal (jad_time_pace (&pace, 1000000, 500), 0);
    /* an operation hour later is due a second later */
    assert_int_equal (jad_time_pace (&pace, 1000000 + 3600000, 500), 1000);
    assert_int_equal (jad_time_pace (&pace, 1000000 + 3600000, 1200), 300);
    assert_true (jad_time_pace (&pace, 1000000 + 3600000, 1600) < 0);
    assert_true (jad_time_pace (&pace, 999000, 600) <= 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pace),
        cmocka_unit_test (test_parse_utc),
        cmocka_unit_test (test_parse_offset),
        cmocka_unit_test (test_parse_rejects),
        cmocka_unit_test (test_format),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
