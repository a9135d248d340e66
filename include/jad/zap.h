/*  zap: the hub's ZAP handler, admitting CURVE clients by roster key.
 *
 *  A CURVE server with no ZAP handler admits everyone, and czmq's zauth
 *  reads keys from a directory and copies metadata unbounded; this handler
 *  keeps the admitted keys in memory, answers User-Id = the client's Z85
 *  public key (the hub maps it to a participant itself), and logs every
 *  refusal.  It runs as a czmq actor bound to inproc://zeromq.zap.01 and
 *  must be started before the hub binds its CURVE sockets.
 */
#ifndef JAD_ZAP_H
#define JAD_ZAP_H

#include <czmq.h>

/* Domain the hub's sockets use; requests for any other domain are refused. */
#define JAD_ZAP_DOMAIN "jadhub"

/* The actor.  Commands on its pipe:
 *   "KEYS" key1 key2 ...   replace the admitted set (Z85 public keys);
 *                          signals 0 (zsock_wait) once applied.
 *   "$TERM"                stop. */
void jad_zap_actor (zsock_t *pipe, void *args);

/* A CURVE server socket of TYPE (ROUTER or XPUB) bound to ENDPOINT with
 * KEYS' secret, set up the way every jadhub server socket is: frame limit,
 * per-peer queues, ZMTP heartbeats, ROUTER_MANDATORY, the empty-heartbeat
 * welcome on an XPUB (Clone pattern), ZAP domain enforced.  Start the ZAP
 * actor first.  NULL with a reason in ERR.  Caller owns the socket.
 * (jad-hub and jad-replay --publish.) */
struct _jad_keys_t;
zsock_t *jad_zap_server_socket (const struct _jad_keys_t *keys, int type,
                                const char *endpoint, char *err, size_t errlen);

/* Replace the admitted keys with KEYS[0..N) and wait until applied. */
int jad_zap_set_keys (zactor_t *zap, const char *const *keys, size_t n);

#endif
