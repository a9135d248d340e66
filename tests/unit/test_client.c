/* Unit tests: lib/client.c — the options every client socket gets, and a
 * clear error for a bad endpoint. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jad/client.h"
#include "jad/keys.h"
#include "jad/wire.h"
#include "testutil.h"

static void
test_connect (void **state)
{
    const char *dir = jad_test_dir (state);
    char err[256], path[1100];
    assert_int_equal (jad_keys_generate ("agent-de", dir, err, sizeof err), 0);
    assert_int_equal (jad_keys_generate ("hub", dir, err, sizeof err), 0);
    snprintf (path, sizeof path, "%s/agent-de.secret", dir);
    jad_keys_t *own = jad_keys_load (path, err, sizeof err);
    snprintf (path, sizeof path, "%s/hub.pub", dir);
    jad_keys_t *hub = jad_keys_load (path, err, sizeof err);
    assert_true (own && hub);

    zsock_t *sock = zsock_new (ZMQ_DEALER);
    /* nothing listens there: connecting is asynchronous and succeeds */
    assert_int_equal (jad_client_connect (sock, own, jad_keys_public (hub),
                                          "tcp://127.0.0.1:9", 250,
                                          err, sizeof err), 0);
    assert_int_equal (zsock_linger (sock), 250);
    assert_int_equal (zsock_reconnect_ivl_max (sock), 32000);
    assert_int_equal (zsock_maxmsgsize (sock), JAD_FRAME_MAX + 4096);
    assert_int_equal (zsock_heartbeat_ttl (sock), 10000);
    zsock_destroy (&sock);

    sock = zsock_new (ZMQ_SUB);
    assert_int_equal (jad_client_connect (sock, own, jad_keys_public (hub),
                                          "nonsense", 0, err, sizeof err), -1);
    assert_non_null (strstr (err, "nonsense"));
    /* a public-only key cannot be a client */
    assert_int_equal (jad_client_connect (sock, hub, jad_keys_public (hub),
                                          "tcp://127.0.0.1:9", 0,
                                          err, sizeof err), -1);
    assert_non_null (strstr (err, "CURVE"));
    zsock_destroy (&sock);
    jad_keys_destroy (&own);
    jad_keys_destroy (&hub);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_connect, jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
