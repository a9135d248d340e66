/*  hub: the jad-hub daemon — ingest, journal, acknowledge, fan out.
 *
 *  One thread owns the journal and both sockets.  Each turn of the loop
 *  reads up to a batch of messages (lib/feed_server.c: admission,
 *  heartbeats, catch-up requests; submits go to hub/ingest.c), journals
 *  every valid report of the turn in one durable commit, then answers
 *  them, then publishes the new entries, then serves a slice of the
 *  pending catch-ups, so a long replay never stalls live traffic.
 */
#ifndef JAD_HUB_HUB_H
#define JAD_HUB_HUB_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *data;        /* directory: journal/, status.json */
    const char *roster;      /* roster file, reloaded on SIGHUP */
    const char *key;         /* the hub's secret key file */
    const char *listen;      /* ROUTER endpoint */
    const char *publish;     /* XPUB endpoint */
    const char *operation;   /* expected operation name, or NULL */
} jad_hub_config_t;

typedef struct _jad_hub_t jad_hub_t;

/* Load keys and roster, open (or create) the journal, start ZAP, bind.
 * NULL with a reason in ERR on any failure.  Caller owns the result. */
jad_hub_t *jad_hub_new (const jad_hub_config_t *config, char *err, size_t errlen);

/* What jad_hub_new would refuse, found without binding or writing: the
 * key, the roster (and that the key is its hub), the endpoints' syntax, the
 * data directory, an existing journal's operation.  0, or -1 with ERR. */
int jad_hub_check (const jad_hub_config_t *config, char *err, size_t errlen);

/* Serve until SIGINT/SIGTERM.  0 on a clean stop, -1 on a fatal error. */
int jad_hub_run (jad_hub_t *self);

void jad_hub_destroy (jad_hub_t **self_p);

/* Ask the running hub to reload its roster (call from a signal handler). */
void jad_hub_request_reload (void);

#endif
