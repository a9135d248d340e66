/*  agent: the jad-agent daemon — sends the outbox to the hub and mirrors
 *  the hub's feed.
 *
 *  One thread, one czmq poll loop, two sockets: a DEALER to the hub's
 *  collector (submit/ack, catch-up, heartbeats) and a SUB to its feed (live
 *  entries, hub heartbeats), both CURVE clients.  The rules it follows are
 *  docs/PROTOCOL.md sections 4 and 6: reports leave the outbox only when
 *  acked, at most JAD_AGENT_WINDOW unacknowledged, resent byte-identically
 *  with backoff; the mirror is a jad_journal in DIR/mirror kept gap-free by
 *  catch-up.  DIR/status.json is rewritten every second for `status`.
 */
#ifndef JAD_AGENT_H
#define JAD_AGENT_H

#include <stddef.h>

typedef struct _jad_agent_t jad_agent_t;

#define JAD_AGENT_WINDOW        1000    /* unacknowledged reports in flight */
#define JAD_AGENT_CREDIT        1000    /* catch-up entries asked at once */
#define JAD_AGENT_SILENT_MS     5000    /* hub heard within this: connected */
#define JAD_AGENT_REDIAL_MS    30000    /* silent this long: dial again (then
                                           doubling, up to 5 min) */

typedef struct {
    const char *data_dir;       /* DIR: outbox/, mirror/, status.json */
    const char *country;        /* must match the outbox's, if set */
    const char *key_file;       /* our .secret file; its name is the origin */
    const char *hub_key_file;   /* the hub's .pub file */
    const char *hub_endpoint;   /* the hub's collector (ROUTER) */
    const char *feed_endpoint;  /* the hub's feed (XPUB) */
} jad_agent_config_t;

/* What jad_agent_new would refuse, found without creating or connecting
 * anything: the country, the endpoints' syntax, the data directory, both
 * key files, an existing outbox's country.  0, or -1 with ERR. */
int jad_agent_check (const jad_agent_config_t *cfg, char *err, size_t errlen);

/* Open the outbox (creating it) and the mirror, check the country and the
 * origin against the outbox, load the keys, and connect both sockets.
 * NULL with a one-line reason in ERR on any failure: the caller exits 2.
 * Caller owns the result. */
jad_agent_t *jad_agent_new (const jad_agent_config_t *cfg,
                            char *err, size_t errlen);

/* Run until SIGTERM or SIGINT (czmq's zsys_interrupted).  Finishes the
 * write in progress and returns 0, or -1 after a fatal error (logged). */
int jad_agent_run (jad_agent_t *self);

/* Close sockets, outbox and mirror; safe on NULL; nulls *SELF_P. */
void jad_agent_destroy (jad_agent_t **self_p);

#endif
