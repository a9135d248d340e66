/* Unit tests: lib/pool.c — every index runs exactly once, runs repeat. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "jad/pool.h"

static void
s_mark (void *arg, size_t i)
{
    int *hits = arg;
    hits[i]++;      /* each index belongs to exactly one call */
}

static void
test_each_once (void **state)
{
    (void) state;
    int threads[] = { 0, 1, 3, 8 };
    for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
        jad_pool_t *pool = jad_pool_new (threads[t]);
        assert_non_null (pool);
        for (size_t n = 0; n < 2000; n += 97) {
            int *hits = calloc (n + 1, sizeof *hits);
            for (int rep = 0; rep < 3; rep++)
                jad_pool_run (pool, s_mark, hits, n);
            for (size_t i = 0; i < n; i++)
                assert_int_equal (hits[i], 3);
            assert_int_equal (hits[n], 0);
            free (hits);
        }
        jad_pool_destroy (&pool);
        assert_null (pool);
    }
    jad_pool_destroy (&(jad_pool_t *) { NULL });
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_each_once),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
