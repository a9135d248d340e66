/*  agent: the jad-agent daemon — sends the outbox to the hub and mirrors
 *  the hub's feed.
 *
 *  One thread, one poll loop over the feed client's two sockets (a DEALER
 *  to the hub's collector for submits, acks, catch-up and heartbeats; a
 *  SUB to its feed), both CURVE clients.  The rules it follows are
 *  docs/PROTOCOL.md §6: reports leave the outbox only when acked, at most
 *  JAD_WINDOW_MAX unacknowledged (agent/window.h), resent byte-identically
 *  after a measured wait; the mirror is a jad_journal in DIR/mirror kept
 *  gap-free by the feed client's catch-up; the hub's checkpoints and
 *  rosters are verified against it.  DIR/status.json is rewritten every
 *  second for `status`.
 */
#ifndef JAD_AGENT_H
#define JAD_AGENT_H

#include <stddef.h>
#include <stdint.h>

typedef struct _jad_agent_t jad_agent_t;

typedef struct {
    const char *data_dir;       /* DIR: outbox/, mirror/, status.json */
    const char *country;        /* must match the outbox's, if set */
    const char *key_file;       /* our .secret file; its name is the origin */
    const char *hub_key_file;   /* the hub's .pub file */
    const char *hub_endpoint;   /* the hub's collector (ROUTER) */
    const char *feed_endpoint;  /* the hub's feed (XPUB) */
    /* Tests only: with no endpoints the agent opens no socket; what it
     * would send goes to SEND (SEND_ARG, buffer, length: 0 sent, -1
     * refused), and jad_agent_input feeds it what the hub says. */
    int (*send) (void *send_arg, const uint8_t *buf, size_t len);
    void *send_arg;
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

/* One turn of the loop at NOW (monotonic ms), without waiting: read what
 * the sockets hold, commit the mirror and the acks, timers, send. */
void jad_agent_step (jad_agent_t *self, int64_t now);

/* A message from the hub as if read from the feed (FROM_FEED) or the
 * DEALER at NOW — the tests' way in, without sockets. */
void jad_agent_input (jad_agent_t *self, const uint8_t *buf, size_t len,
                      int from_feed, int64_t now);

/* The first break found in what the hub sent ("" none), and the mirror's
 * committed head. */
const char *jad_agent_alarm (const jad_agent_t *self);
uint64_t jad_agent_mirror_head (const jad_agent_t *self);

/* Close sockets, outbox and mirror; safe on NULL; nulls *SELF_P. */
void jad_agent_destroy (jad_agent_t **self_p);

#endif
