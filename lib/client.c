/*  client: a participant's socket to the hub.  See client.h. */
#include "jad/client.h"

#include <errno.h>
#include <stdio.h>

#include "jad/keys.h"
#include "jad/wire.h"

int
jad_client_connect (zsock_t *sock, const jad_keys_t *own,
                    const char *server_public, const char *endpoint,
                    int linger_ms, char *err, size_t errlen)
{
    zsock_set_reconnect_ivl (sock, 1000);
    zsock_set_reconnect_ivl_max (sock, 32000);
    zsock_set_maxmsgsize (sock, JAD_FRAME_WIRE_MAX);
    zsock_set_linger (sock, linger_ms);
    zsock_set_heartbeat_ivl (sock, 1000);
    zsock_set_heartbeat_timeout (sock, 5000);
    zsock_set_heartbeat_ttl (sock, 10000);
    if (jad_keys_apply_client (own, server_public, zsock_resolve (sock)) != 0) {
        snprintf (err, errlen, "cannot make a CURVE client socket: %s",
                  zmq_strerror (errno));
        return -1;
    }
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        snprintf (err, errlen, "cannot connect to %s: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}
