/*  client: a participant's socket to the hub, set up one way everywhere.
 *
 *  Every jadhub client socket (an agent's DEALER and SUB, the console's)
 *  reconnects from 1 s rising to 32 s, refuses frames over the protocol's
 *  limit, sends ZMTP heartbeats (1 s, 5 s timeout, 10 s TTL — under
 *  libzmq 4.3.4's 65.5 s wrap), and is a CURVE client of the hub.
 */
#ifndef JAD_CLIENT_H
#define JAD_CLIENT_H

#include <stddef.h>
#include <czmq.h>

struct _jad_keys_t;

/* Set SOCK up as above with OWN's key pair for the server whose public key
 * is SERVER_PUBLIC (Z85), LINGER_MS of linger at close, and connect it to
 * ENDPOINT.  0, or -1 with a reason in ERR. */
int jad_client_connect (zsock_t *sock, const struct _jad_keys_t *own,
                        const char *server_public, const char *endpoint,
                        int linger_ms, char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
