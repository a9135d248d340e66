/*  outbox: the agent's durable store of reports not yet acknowledged.
 *
 *  One directory (the agent's DIR/outbox, apart from its mirror) holds one
 *  LMDB environment with four named databases:
 *
 *    meta      string keys: "incarnation" (16 random bytes, made when the
 *              outbox is created), "next_seq" (BE64), "country" (2 bytes),
 *              "origin" (roster name, once the daemon knows its key),
 *              "operation_id" (16 bytes, once the hub has said it),
 *              "last_acked" and "last_acked_hub_seq" (BE64), "accepted" and
 *              "acked" (BE64 running totals), "schema_version" (BE32).
 *    queue     BE64 origin_seq -> record.  A record starts with a tag byte:
 *                0x01 unsealed: BE64 event_time_ms || packed Report
 *                0x02 sealed:   the Envelope bytes, exactly as sent
 *              A record is sealed once, in place, so every resend of it is
 *              byte-identical (the hub treats other bytes under the same
 *              identity as a CONFLICT).
 *    refs      the agent-local `ref` -> BE64 origin_seq; kept forever, so a
 *              re-submitted ref is answered "duplicate" even after its ack.
 *              Refs over 400 bytes are keyed by 0xff || BLAKE2b-256 (ref).
 *    rejected  BE64 origin_seq -> BE32 code || BE32 message length ||
 *              message || the record as it was in queue.  Reports the hub
 *              refused finally: moved here, never silently dropped.
 *
 *  Durability: every write is one transaction committed with full sync, so
 *  "accepted" is printed only after the report is on disk.
 *
 *  Processes: the daemon and any number of `submit` processes open the same
 *  directory at once; LMDB serialises their writers.  One jad_outbox_t per
 *  directory per process, used by one thread, never across fork(): open it
 *  in the process that uses it.  A full map is doubled and the transaction
 *  redone; a map grown by another process is adopted (lib/store.c).
 *
 *  Keys: the outbox holds none.  Sealing asks the caller's function for
 *  each envelope's bytes (jad_outbox_seal).
 */
#ifndef JAD_OUTBOX_H
#define JAD_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "jad/envelope.h"

typedef struct _jad_outbox_t jad_outbox_t;

/* Flags for jad_outbox_open. */
#define JAD_OUTBOX_CREATE   1   /* make the directory and databases if missing */
#define JAD_OUTBOX_RDONLY   2   /* status: no writes */

/* Map size a new outbox starts with; it doubles whenever it is full. */
#define JAD_OUTBOX_MAPSIZE_DEFAULT ((size_t) 64 << 20)
/* Longest origin (participant) name stored. */
#define JAD_OUTBOX_ORIGIN_MAX      64

/* Open the outbox in DIR.  FLAGS is 0, JAD_OUTBOX_CREATE or
 * JAD_OUTBOX_RDONLY.  Clears reader slots left by dead processes.  Returns
 * NULL with a one-line reason in ERR when the outbox is missing (without
 * CREATE), is not an outbox, or LMDB fails.  Caller owns the result. */
jad_outbox_t *jad_outbox_open (const char *dir, int flags,
                               char *err, size_t errlen);

/* Close the outbox; safe on NULL; nulls the caller's pointer. */
void jad_outbox_destroy (jad_outbox_t **self_p);

/* ------------------------------------------------------------ identity */

/* COUNTRY (3 bytes) = the outbox's country, NUL-terminated.  1 when set,
 * 0 when not yet set (COUNTRY is then ""), -1 on error. */
int jad_outbox_country (jad_outbox_t *self, char *country);

/* Set the outbox's country to CC (two upper-case letters) if it has none.
 * 0 when set now or already CC; -1 with ERR when it is another country,
 * CC is malformed, or LMDB fails. */
int jad_outbox_set_country (jad_outbox_t *self, const char *cc,
                            char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Set the envelope origin (the participant's roster name) if none is set.
 * Sealed envelopes carry it, so it never changes: 0 when set now or equal,
 * -1 with ERR when another origin is stored. */
int jad_outbox_set_origin (jad_outbox_t *self, const char *origin,
                           char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Set the operation id (16 bytes, from the hub) if none is set.  0 when set
 * now or equal, -1 with ERR when another operation is stored (the sealed
 * envelopes belong to it). */
int jad_outbox_set_operation (jad_outbox_t *self, const uint8_t *operation_id,
                              char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The outbox's incarnation (16 bytes), valid while SELF lives. */
const uint8_t *jad_outbox_incarnation (const jad_outbox_t *self);

/* ------------------------------------------------------------ submit */

/* Outcome of one item of jad_outbox_submit_batch. */
#define JAD_OUTBOX_ACCEPTED   1   /* stored now under origin_seq */
#define JAD_OUTBOX_DUPLICATE  2   /* its ref was stored before as origin_seq */

typedef struct {
    /* in: */
    const uint8_t *report;        /* packed, validated Report */
    size_t         report_len;
    const char    *ref;           /* the report's ref, or NULL */
    int64_t        event_time_ms; /* the line's time, or the submission time */
    /* out: */
    int            status;        /* JAD_OUTBOX_ACCEPTED or _DUPLICATE */
    uint64_t       origin_seq;    /* new sequence, or the original's */
} jad_outbox_item_t;

/* Store a batch of N reports in one write transaction and one durable
 * commit.  Each item whose ref was not seen before (in the outbox or
 * earlier in the batch) gets origin_seq = next_seq++.  Returns 0 when
 * committed (only then may anything be printed as accepted), -1 with ERR
 * when nothing was stored. */
int jad_outbox_submit_batch (jad_outbox_t *self, jad_outbox_item_t *items,
                             size_t n, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* ------------------------------------------------------------ daemon */

/* Seals one report: returns the Envelope bytes of report REPORT
 * (REPORT_LEN bytes) under identity ID at EVENT_TIME_MS in a new malloc'd
 * buffer (the outbox frees it) with their length in *LEN_P, or NULL with
 * a one-line reason in ERR.  ARG is jad_outbox_seal's.  The agent's calls
 * jad_envelope_seal with its key: the outbox never holds a key.  ID and
 * REPORT are valid only during the call. */
typedef uint8_t *(jad_outbox_seal_fn) (void *arg, const jad_envelope_id_t *id,
                                       int64_t event_time_ms,
                                       const uint8_t *report, size_t report_len,
                                       size_t *len_p, char *err, size_t errlen);

/* Seal up to MAX unsealed records, in origin_seq order, in one write
 * transaction and one durable commit: for each, SEAL_FN (with ARG) is
 * given the outbox's identity (operation_id, origin, incarnation) with
 * the record's origin_seq, event time and report, and the bytes it
 * returns replace the record, once and for all.  Origin and operation
 * must be set.  When SEAL_FN fails, nothing is committed and -1 is
 * returned with "outbox DIR: cannot seal record N: <its reason>" in ERR.
 * SEAL_FN runs inside the write transaction (other writers, `submit`
 * processes, wait meanwhile), and may be called again for the same record
 * when the map grows and the transaction is redone: only what the last
 * call returned is kept, so it must seal the same input the same way (an
 * Ed25519 signature does).  It must not call the outbox.  Looks first with
 * a read transaction, so it costs no write when there is nothing to seal.
 * Returns the number sealed, or -1 with ERR. */
long jad_outbox_seal (jad_outbox_t *self, size_t max,
                      jad_outbox_seal_fn *seal_fn, void *arg,
                      char *err, size_t errlen);

typedef struct {
    uint64_t       origin_seq;
    int            sealed;        /* 1: DATA is the Envelope; 0: the Report */
    int64_t        event_time_ms; /* unsealed records only */
    const uint8_t *data;          /* valid only during the callback */
    size_t         len;
} jad_outbox_record_t;

/* Visit up to MAX records from FROM_SEQ in order, in one short read
 * transaction.  FN returns nonzero to stop (that record counts as
 * visited).  Returns the number visited, or -1. */
typedef int (jad_outbox_scan_fn) (void *arg, const jad_outbox_record_t *rec);
long jad_outbox_scan (jad_outbox_t *self, uint64_t from_seq, size_t max,
                      jad_outbox_scan_fn *fn, void *arg);

/* *SEQ_P = the highest origin_seq in the queue, 0 when empty.  A cheap
 * read for the daemon's poll for records added by `submit`.  0 or -1. */
int jad_outbox_last (jad_outbox_t *self, uint64_t *seq_p);

/* Delete the N acknowledged records ORIGIN_SEQS[i] (hub sequence
 * HUB_SEQS[i]) in one durable commit and record the highest as last
 * acked.  Records already gone (a duplicate ack) are skipped.  0 or -1. */
int jad_outbox_ack (jad_outbox_t *self, const uint64_t *origin_seqs,
                    const uint64_t *hub_seqs, size_t n,
                    char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Move record ORIGIN_SEQ from the queue to `rejected` with the hub's error
 * CODE and MESSAGE (may be NULL), in one durable commit.  1 moved, 0 not
 * in the queue, -1 with ERR. */
int jad_outbox_reject (jad_outbox_t *self, uint64_t origin_seq,
                       uint32_t code, const char *message,
                       char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Visit up to MAX rejected reports in origin_seq order; MESSAGE is
 * NUL-terminated and valid only during FN.  Returns the number visited or
 * -1. */
typedef int (jad_outbox_rejected_fn) (void *arg, uint64_t origin_seq,
                                      uint32_t code, const char *message);
long jad_outbox_rejected_scan (jad_outbox_t *self, size_t max,
                               jad_outbox_rejected_fn *fn, void *arg);

/* ------------------------------------------------------------ status */

typedef struct {
    uint64_t depth;               /* records in the queue (accepted, not acked) */
    uint64_t next_seq;            /* origin_seq the next report gets */
    uint64_t last_acked;          /* highest origin_seq acked, 0 if none */
    uint64_t last_acked_hub_seq;  /* its hub_seq */
    uint64_t rejected;            /* reports the hub refused finally */
    uint64_t accepted;            /* reports ever accepted */
    uint64_t acked;               /* reports ever acked */
    char     country[3];          /* "" until set */
    char     origin[JAD_OUTBOX_ORIGIN_MAX + 1];  /* "" until set */
    int      has_operation;       /* operation_id is set */
    uint8_t  operation_id[16];
} jad_outbox_stats_t;

/* Fill ST in one short read transaction.  0 or -1. */
int jad_outbox_stats (jad_outbox_t *self, jad_outbox_stats_t *st);

#endif
