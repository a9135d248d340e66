/*  console_link: where jad-console's entries come from — a live hub (SUB on
 *  its feed, DEALER to its collector, the Clone pattern of
 *  docs/PROTOCOL.md "Catch-up") or a journal directory (--replay).
 *
 *  Either way the link feeds the model (console_model.h) in hub order,
 *  each entry once, and never blocks longer than the budget it is given,
 *  so the screen stays responsive however fast entries come.
 *
 *  Live: the console is a coordinator or observer on the roster.  It sends
 *  a heartbeat every second (the hub answers with its own, which carries the
 *  operation id), catches up from the journal with credit 1,000, holds live
 *  entries while a catch-up is in flight, and catches up again on a gap or
 *  when a heartbeat's head is past its own.  A request (jad_link_request)
 *  is sent signed over the DEALER as an agent sends a report.
 *
 *  Threads: a link belongs to one thread.
 */
#ifndef JAD_CONSOLE_LINK_H
#define JAD_CONSOLE_LINK_H

#include <stddef.h>
#include <stdint.h>
#include "console_model.h"

typedef struct _jad_link_t jad_link_t;

/* A live link: connect to the hub's collector HUB and feed FEED with the
 * key pair in KEY_FILE (a .secret file) and the hub's public key in
 * HUB_KEY_FILE.  NULL with a reason in ERR.  Caller owns the result. */
jad_link_t *jad_link_new_live (const char *hub, const char *feed,
                               const char *key_file, const char *hub_key_file,
                               char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* A replay link: the journal of DIR (a hub's data directory, an agent's,
 * or the journal itself), paced by event time at SPEED (0: as fast as it
 * decodes).  Keeps following the journal's head.  NULL with a reason in
 * ERR. */
jad_link_t *jad_link_new_replay (const char *dir, double speed,
                                 char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Close; safe on NULL; nulls the caller's pointer. */
void jad_link_destroy (jad_link_t **self_p);

/* Move entries into MODEL for at most BUDGET_MS (waiting for input when
 * there is none).  0, or -1 when the model ran out of memory or the
 * journal cannot be read. */
int jad_link_pump (jad_link_t *self, jad_model_t *model, int budget_ms);

/* One line about the link for the header: "live", "catching up",
 * "hub silent 12s", "replay 1.0x", "replay done"... */
const char *jad_link_state (const jad_link_t *self);

/* The hub's head as last heard (the journal's head in replay). */
uint64_t jad_link_hub_head (const jad_link_t *self);

/* Send the report JSON line LINE (a request) signed, in MODEL's operation.
 * 0 sent (the hub's answer appears in jad_link_last_answer), or -1 with a
 * reason in ERR (not available in replay, not valid, not connected). */
int jad_link_request (jad_link_t *self, jad_model_t *model, const char *line,
                      char *err, size_t errlen);

/* The hub's answer to the last request: "" none yet, "accepted: hub_seq N",
 * "refused: CODE: message". */
const char *jad_link_last_answer (const jad_link_t *self);

#endif
