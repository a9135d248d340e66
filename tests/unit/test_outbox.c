/* Unit tests: lib/outbox.c — sequence numbers for a batch, duplicate refs
 * within and across batches, reopen, sealing (fields, byte-identical
 * resends), acks, rejects, identity checks, map growth, and two processes
 * submitting at once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "jad/envelope.h"
#include "jad/keys.h"
#include "jad/outbox.h"
#include "jad/sign.h"
#include "jad/wire.h"
#include "testutil.h"


/* An envelope's bytes as a message, structure only (what the code under
 * test wrote is checked field by field below). */
static ProtobufCMessage *
s_envelope_decode (const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    return jad_wire_decode (&jad__envelope__descriptor, buf, len,
                            JAD_ENVELOPE_MAX, err, errlen);
}

static const uint8_t s_opid[16] = { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* ------------------------------------------------------------ helpers */

/* The agent's key that signs sealed envelopes, made per test. */
static jad_keys_t *s_keys;

static int
s_setup (void **state)
{
    char keydir[600], keyfile[700], err[256];
    if (jad_test_dir_setup (state))
        return -1;
    snprintf (keydir, sizeof keydir, "%s/keys", jad_test_dir (state));
    snprintf (keyfile, sizeof keyfile, "%s/agent-de.secret", keydir);
    if (mkdir (keydir, 0700) != 0
    ||  jad_keys_generate ("agent-de", keydir, err, sizeof err) != 0
    ||  !(s_keys = jad_keys_load (keyfile, err, sizeof err))) {
        fprintf (stderr, "setup: %s\n", err);
        return -1;
    }
    return 0;
}

static int
s_teardown (void **state)
{
    jad_keys_destroy (&s_keys);
    return jad_test_dir_teardown (state);
}

/* An outbox directory inside the test's temporary directory (testutil);
 * valid until the next call. */
static const char *
s_path (void **state, const char *name)
{
    return jad_test_path (state, name);
}

static jad_outbox_t *
s_open (void **state, const char *name, int flags)
{
    char err[256] = "";
    jad_outbox_t *o = jad_outbox_open (s_path (state, name), flags, err, sizeof err);
    if (!o)
        fail_msg ("open %s: %s", name, err);
    return o;
}

/* A packed checks Report with PARCELS and REF (may be NULL); caller frees. */
static uint8_t *
s_report (uint64_t parcels, const char *ref, size_t *len_p)
{
    Jad__Checks checks = JAD__CHECKS__INIT;
    checks.has_parcels = 1;
    checks.parcels = parcels;
    Jad__Report r = JAD__REPORT__INIT;
    r.ref = (char *) ref;
    r.body_case = JAD__REPORT__BODY_CHECKS;
    r.checks = &checks;
    uint8_t *buf = jad_wire_encode (&r.base, len_p);
    assert_non_null (buf);
    return buf;
}

/* Submit one batch of N reports with REFS[i] (NULL entries: no ref);
 * STATUS and SEQ receive the results. */
static void
s_submit (jad_outbox_t *o, const char *const *refs, size_t n,
          int *status, uint64_t *seq)
{
    jad_outbox_item_t *items = calloc (n, sizeof *items);
    uint8_t **bufs = calloc (n, sizeof *bufs);
    assert_true (items && bufs);
    for (size_t i = 0; i < n; i++) {
        bufs[i] = s_report (i + 1, refs ? refs[i] : NULL, &items[i].report_len);
        items[i].report = bufs[i];
        items[i].ref = refs ? refs[i] : NULL;
        items[i].event_time_ms = 1605510003000 + (int64_t) i;
    }
    char err[256] = "";
    if (jad_outbox_submit_batch (o, items, n, err, sizeof err))
        fail_msg ("submit: %s", err);
    for (size_t i = 0; i < n; i++) {
        if (status) status[i] = items[i].status;
        if (seq) seq[i] = items[i].origin_seq;
        free (bufs[i]);
    }
    free (items);
    free (bufs);
}

static void
s_identity (jad_outbox_t *o)
{
    char err[256] = "";
    if (jad_outbox_set_country (o, "DE", err, sizeof err)
    ||  jad_outbox_set_origin (o, "agent-de", err, sizeof err)
    ||  jad_outbox_set_operation (o, s_opid, err, sizeof err))
        fail_msg ("identity: %s", err);
}

/* The sealer the agent passes, with the test's key; refuses record
 * FAIL_SEQ, and counts its calls. */
typedef struct {
    uint64_t fail_seq;          /* 0: seal everything */
    int      calls;
} s_sealer_t;

static uint8_t *
s_seal_cb (void *arg, const jad_envelope_id_t *id, int64_t event_time_ms,
           const uint8_t *report, size_t report_len, size_t *len_p,
           char *err, size_t errlen)
{
    s_sealer_t *s = arg;
    if (s)
        s->calls++;
    if (s && id->origin_seq == s->fail_seq) {
        snprintf (err, errlen, "no key today");
        return NULL;
    }
    return jad_envelope_seal (id, event_time_ms, report, report_len, s_keys,
                              len_p, err, errlen);
}

/* Seal up to MAX with the test's key. */
static long
s_seal (jad_outbox_t *o, size_t max, char *err, size_t errlen)
{
    return jad_outbox_seal (o, max, s_seal_cb, NULL, err, errlen);
}

/* Records seen by a scan: copies of their bytes. */
typedef struct {
    uint64_t seq[64];
    int      sealed[64];
    uint8_t *data[64];
    size_t   len[64];
    size_t   n;
} s_seen_t;

static int
s_collect (void *arg, const jad_outbox_record_t *rec)
{
    s_seen_t *s = arg;
    assert_true (s->n < 64);
    s->seq[s->n] = rec->origin_seq;
    s->sealed[s->n] = rec->sealed;
    s->data[s->n] = malloc (rec->len + 1);
    memcpy (s->data[s->n], rec->data, rec->len);
    s->len[s->n] = rec->len;
    s->n++;
    return 0;
}

static void
s_seen_free (s_seen_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free (s->data[i]);
    s->n = 0;
}

/* ------------------------------------------------------------ tests */

static void
test_submit_seqs (void **state)
{
    jad_outbox_t *o = s_open (state, "o", JAD_OUTBOX_CREATE);
    char cc[3];
    assert_int_equal (jad_outbox_country (o, cc), 0);
    char err[256] = "";
    assert_int_equal (jad_outbox_set_country (o, "DE", err, sizeof err), 0);
    assert_int_equal (jad_outbox_country (o, cc), 1);
    assert_string_equal (cc, "DE");
    assert_int_equal (jad_outbox_set_country (o, "DE", err, sizeof err), 0);
    assert_int_equal (jad_outbox_set_country (o, "FR", err, sizeof err), -1);
    assert_non_null (strstr (err, "DE"));
    assert_int_equal (jad_outbox_set_country (o, "de", err, sizeof err), -1);

    int status[5];
    uint64_t seq[5];
    const char *refs[5] = { "r1", "r2", NULL, "r4", "r5" };
    s_submit (o, refs, 5, status, seq);
    for (int i = 0; i < 5; i++) {
        assert_int_equal (status[i], JAD_OUTBOX_ACCEPTED);
        assert_int_equal (seq[i], (uint64_t) i + 1);
    }
    jad_outbox_stats_t st;
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_int_equal (st.depth, 5);
    assert_int_equal (st.next_seq, 6);
    assert_int_equal (st.accepted, 5);
    assert_string_equal (st.country, "DE");
    uint64_t last;
    assert_int_equal (jad_outbox_last (o, &last), 0);
    assert_int_equal (last, 5);

    /* unsealed records hold the report and the event time */
    s_seen_t seen = { .n = 0 };
    assert_int_equal (jad_outbox_scan (o, 2, 10, s_collect, &seen), 4);
    assert_int_equal (seen.seq[0], 2);
    assert_int_equal (seen.sealed[0], 0);
    Jad__Report *r = jad_wire_report_decode (seen.data[0], seen.len[0], err, sizeof err);
    assert_non_null (r);
    assert_string_equal (r->ref, "r2");
    jad_wire_free (&r);
    s_seen_free (&seen);
    jad_outbox_destroy (&o);
    assert_null (o);
    jad_outbox_destroy (&o);    /* safe on NULL */
}

static void
test_duplicate_refs (void **state)
{
    jad_outbox_t *o = s_open (state, "o", JAD_OUTBOX_CREATE);
    int status[5];
    uint64_t seq[5];
    const char *b1[5] = { "a", "b", "a", NULL, "c" };
    s_submit (o, b1, 5, status, seq);
    assert_int_equal (status[0], JAD_OUTBOX_ACCEPTED); assert_int_equal (seq[0], 1);
    assert_int_equal (status[1], JAD_OUTBOX_ACCEPTED); assert_int_equal (seq[1], 2);
    assert_int_equal (status[2], JAD_OUTBOX_DUPLICATE); assert_int_equal (seq[2], 1);
    assert_int_equal (status[3], JAD_OUTBOX_ACCEPTED); assert_int_equal (seq[3], 3);
    assert_int_equal (status[4], JAD_OUTBOX_ACCEPTED); assert_int_equal (seq[4], 4);

    /* a long ref is keyed by its hash, and still found */
    char longref[1000];
    memset (longref, 'x', sizeof longref - 1);
    longref[sizeof longref - 1] = 0;
    const char *b2[4] = { "b", "d", longref, longref };
    s_submit (o, b2, 4, status, seq);
    assert_int_equal (status[0], JAD_OUTBOX_DUPLICATE); assert_int_equal (seq[0], 2);
    assert_int_equal (status[1], JAD_OUTBOX_ACCEPTED); assert_int_equal (seq[1], 5);
    assert_int_equal (status[2], JAD_OUTBOX_ACCEPTED); assert_int_equal (seq[2], 6);
    assert_int_equal (status[3], JAD_OUTBOX_DUPLICATE); assert_int_equal (seq[3], 6);

    /* refs are kept after the ack */
    uint64_t a[1] = { 1 }, h[1] = { 7 };
    char err[256];
    assert_int_equal (jad_outbox_ack (o, a, h, 1, err, sizeof err), 0);
    const char *b3[1] = { "a" };
    s_submit (o, b3, 1, status, seq);
    assert_int_equal (status[0], JAD_OUTBOX_DUPLICATE); assert_int_equal (seq[0], 1);

    jad_outbox_stats_t st;
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_int_equal (st.depth, 5);
    assert_int_equal (st.next_seq, 7);
    jad_outbox_destroy (&o);
}

static void
test_reopen (void **state)
{
    jad_outbox_t *o = s_open (state, "o", JAD_OUTBOX_CREATE);
    uint8_t inc[16];
    memcpy (inc, jad_outbox_incarnation (o), 16);
    s_identity (o);
    const char *refs[3] = { "x", "y", "z" };
    s_submit (o, refs, 3, NULL, NULL);

    /* a second open in one process is refused */
    char err[256] = "";
    assert_null (jad_outbox_open (s_path (state, "o"), 0, err, sizeof err));
    assert_non_null (strstr (err, "already open"));
    jad_outbox_destroy (&o);

    o = s_open (state, "o", 0);
    assert_memory_equal (jad_outbox_incarnation (o), inc, 16);
    char cc[3];
    assert_int_equal (jad_outbox_country (o, cc), 1);
    assert_string_equal (cc, "DE");
    assert_int_equal (jad_outbox_set_origin (o, "agent-fr", err, sizeof err), -1);
    assert_non_null (strstr (err, "agent-de"));
    uint8_t other[16] = { 0 };
    assert_int_equal (jad_outbox_set_operation (o, other, err, sizeof err), -1);
    int status[2];
    uint64_t seq[2];
    const char *refs2[2] = { "y", "w" };
    s_submit (o, refs2, 2, status, seq);
    assert_int_equal (status[0], JAD_OUTBOX_DUPLICATE); assert_int_equal (seq[0], 2);
    assert_int_equal (status[1], JAD_OUTBOX_ACCEPTED); assert_int_equal (seq[1], 4);
    jad_outbox_stats_t st;
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_string_equal (st.origin, "agent-de");
    assert_int_equal (st.has_operation, 1);
    assert_memory_equal (st.operation_id, s_opid, 16);
    jad_outbox_destroy (&o);

    /* read-only, and a missing outbox */
    o = s_open (state, "o", JAD_OUTBOX_RDONLY);
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_int_equal (st.depth, 4);
    assert_int_equal (jad_outbox_set_country (o, "DE", err, sizeof err), -1);
    jad_outbox_destroy (&o);
    assert_null (jad_outbox_open (s_path (state, "none"), 0, err, sizeof err));
    assert_null (jad_outbox_open (s_path (state, "none"), JAD_OUTBOX_RDONLY, err, sizeof err));
}

static void
test_incarnation (void **state)
{
    jad_outbox_t *a = s_open (state, "a", JAD_OUTBOX_CREATE);
    jad_outbox_t *b = s_open (state, "b", JAD_OUTBOX_CREATE);
    assert_memory_not_equal (jad_outbox_incarnation (a), jad_outbox_incarnation (b), 16);
    uint8_t inc[16];
    memcpy (inc, jad_outbox_incarnation (a), 16);
    jad_outbox_destroy (&a);
    a = s_open (state, "a", JAD_OUTBOX_CREATE);
    assert_memory_equal (jad_outbox_incarnation (a), inc, 16);
    jad_outbox_destroy (&a);
    jad_outbox_destroy (&b);
}

static void
test_seal (void **state)
{
    jad_outbox_t *o = s_open (state, "o", JAD_OUTBOX_CREATE);
    char err[256] = "";
    const char *refs[4] = { "a", "b", "c", "d" };
    s_submit (o, refs, 4, NULL, NULL);
    /* no origin and operation yet */
    assert_int_equal (s_seal (o, 100, err, sizeof err), -1);
    s_identity (o);

    assert_int_equal (s_seal (o, 3, err, sizeof err), 3);
    s_seen_t s1 = { .n = 0 }, s2 = { .n = 0 };
    assert_int_equal (jad_outbox_scan (o, 0, 100, s_collect, &s1), 4);
    assert_int_equal (s1.sealed[0] + s1.sealed[1] + s1.sealed[2], 3);
    assert_int_equal (s1.sealed[3], 0);
    assert_int_equal (s_seal (o, 100, err, sizeof err), 1);
    assert_int_equal (s_seal (o, 100, err, sizeof err), 0);
    s_seen_free (&s1);

    assert_int_equal (jad_outbox_scan (o, 0, 100, s_collect, &s1), 4);
    assert_int_equal (jad_outbox_scan (o, 0, 100, s_collect, &s2), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal (s1.sealed[i], 1);
        assert_int_equal (s1.len[i], s2.len[i]);
        assert_memory_equal (s1.data[i], s2.data[i], s1.len[i]);
        Jad__Envelope *env = (Jad__Envelope *) s_envelope_decode (s1.data[i], s1.len[i],
                                                        err, sizeof err);
        if (!env)
            fail_msg ("envelope %zu: %s", i, err);
        assert_int_equal (env->version, 1);
        assert_int_equal (env->operation_id.len, 16);
        assert_memory_equal (env->operation_id.data, s_opid, 16);
        assert_string_equal (env->origin, "agent-de");
        assert_memory_equal (env->incarnation.data, jad_outbox_incarnation (o), 16);
        assert_int_equal (env->origin_seq, i + 1);
        assert_int_equal (env->event_time_ms, 1605510003000 + (int64_t) i);
        Jad__Report *r = jad_wire_report_decode (env->report.data, env->report.len,
                                                 err, sizeof err);
        assert_non_null (r);
        assert_string_equal (r->ref, refs[i]);
        assert_int_equal (r->checks->parcels, i + 1);
        /* Signed by the agent's key over the report's signed bytes. */
        assert_int_equal (env->key_id.len, JAD_KEY_ID_BYTES);
        assert_memory_equal (env->key_id.data, jad_keys_key_id (s_keys),
                             JAD_KEY_ID_BYTES);
        size_t mlen;
        uint8_t *msg = jad_sign_report_bytes (s_opid, env->origin,
                                              env->incarnation.data,
                                              env->origin_seq, env->event_time_ms,
                                              env->report.data, env->report.len,
                                              &mlen);
        assert_non_null (msg);
        assert_int_equal (env->signature.len, JAD_SIGN_BYTES);
        assert_int_equal (jad_sign_verify (jad_keys_sign_public (s_keys), msg,
                                           mlen, env->signature.data), 0);
        msg[mlen - 1] ^= 1;
        assert_int_equal (jad_sign_verify (jad_keys_sign_public (s_keys), msg,
                                           mlen, env->signature.data), -1);
        free (msg);
        jad_wire_free (&r);
        jad_wire_free (&env);
    }
    s_seen_free (&s1);
    s_seen_free (&s2);

    /* new records after an ack are sealed too; sealed ones stay as they are */
    uint64_t a[2] = { 1, 2 }, h[2] = { 10, 11 };
    assert_int_equal (jad_outbox_ack (o, a, h, 2, err, sizeof err), 0);
    const char *refs2[2] = { "e", "f" };
    s_submit (o, refs2, 2, NULL, NULL);
    assert_int_equal (s_seal (o, 100, err, sizeof err), 2);
    assert_int_equal (jad_outbox_scan (o, 0, 100, s_collect, &s1), 4);
    assert_int_equal (s1.seq[0], 3);
    assert_int_equal (s1.seq[3], 6);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal (s1.sealed[i], 1);
    s_seen_free (&s1);
    jad_outbox_destroy (&o);

    /* after a reopen, sealing walks past the sealed ones and seals the rest */
    o = s_open (state, "o", 0);
    const char *refs3[1] = { "g" };
    s_submit (o, refs3, 1, NULL, NULL);
    assert_int_equal (s_seal (o, 100, err, sizeof err), 1);
    assert_int_equal (s_seal (o, 100, err, sizeof err), 0);
    jad_outbox_destroy (&o);
}

/* A sealer that fails: nothing of the batch is committed, the records
 * stay unsealed, and a later call seals them all. */
static void
test_seal_failure (void **state)
{
    jad_outbox_t *o = s_open (state, "o", JAD_OUTBOX_CREATE);
    s_identity (o);
    s_submit (o, NULL, 3, NULL, NULL);
    char err[512] = "";
    s_sealer_t bad = { 2, 0 };
    assert_int_equal (jad_outbox_seal (o, 100, s_seal_cb, &bad, err, sizeof err), -1);
    assert_int_equal (bad.calls, 2);
    assert_non_null (strstr (err, "cannot seal record 2: no key today"));
    assert_non_null (strstr (err, "outbox "));
    s_seen_t seen = { .n = 0 };
    assert_int_equal (jad_outbox_scan (o, 0, 100, s_collect, &seen), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (seen.sealed[i], 0);
    s_seen_free (&seen);

    s_sealer_t good = { 0, 0 };
    assert_int_equal (jad_outbox_seal (o, 2, s_seal_cb, &good, err, sizeof err), 2);
    assert_int_equal (good.calls, 2);
    assert_int_equal (jad_outbox_seal (o, 100, s_seal_cb, &good, err, sizeof err), 1);
    assert_int_equal (good.calls, 3);
    /* Nothing left: no call, no write. */
    assert_int_equal (jad_outbox_seal (o, 100, s_seal_cb, &good, err, sizeof err), 0);
    assert_int_equal (good.calls, 3);
    assert_int_equal (jad_outbox_scan (o, 0, 100, s_collect, &seen), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (seen.sealed[i], 1);
    s_seen_free (&seen);
    jad_outbox_destroy (&o);
}

static int
s_rejected_cb (void *arg, uint64_t seq, uint32_t code, const char *message)
{
    char *out = arg;
    snprintf (out, 256, "%llu %u %s", (unsigned long long) seq, code, message);
    return 0;
}

static void
test_ack_reject (void **state)
{
    jad_outbox_t *o = s_open (state, "o", JAD_OUTBOX_CREATE);
    s_identity (o);
    s_submit (o, NULL, 6, NULL, NULL);
    char err[256] = "";
    assert_int_equal (s_seal (o, 100, err, sizeof err), 6);

    uint64_t a[3] = { 2, 1, 4 }, h[3] = { 21, 20, 23 };
    assert_int_equal (jad_outbox_ack (o, a, h, 3, err, sizeof err), 0);
    jad_outbox_stats_t st;
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_int_equal (st.depth, 3);
    assert_int_equal (st.last_acked, 4);
    assert_int_equal (st.last_acked_hub_seq, 23);
    assert_int_equal (st.acked, 3);

    /* a repeated ack changes nothing; a lower one keeps last_acked */
    uint64_t a2[2] = { 4, 3 }, h2[2] = { 23, 22 };
    assert_int_equal (jad_outbox_ack (o, a2, h2, 2, err, sizeof err), 0);
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_int_equal (st.depth, 2);
    assert_int_equal (st.last_acked, 4);
    assert_int_equal (st.last_acked_hub_seq, 23);
    assert_int_equal (st.acked, 4);

    assert_int_equal (jad_outbox_reject (o, 5, 4, "origin: not yours", err, sizeof err), 1);
    assert_int_equal (jad_outbox_reject (o, 5, 4, "again", err, sizeof err), 0);
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_int_equal (st.depth, 1);
    assert_int_equal (st.rejected, 1);
    char line[256] = "";
    assert_int_equal (jad_outbox_rejected_scan (o, 10, s_rejected_cb, line), 1);
    assert_string_equal (line, "5 4 origin: not yours");

    s_seen_t seen = { .n = 0 };
    assert_int_equal (jad_outbox_scan (o, 0, 100, s_collect, &seen), 1);
    assert_int_equal (seen.seq[0], 6);
    s_seen_free (&seen);
    jad_outbox_destroy (&o);
}

/* Big records overflow the default 64 MiB map: it must grow, and the batch
 * that hit the limit must be stored whole. */
static void
test_map_growth (void **state)
{
    jad_outbox_t *o = s_open (state, "o", JAD_OUTBOX_CREATE);
    size_t n = 100, size = 60000;
    uint8_t *blob = malloc (size);
    memset (blob, 0x5a, size);
    jad_outbox_item_t *items = calloc (n, sizeof *items);
    char err[256] = "";
    for (int batch = 0; batch < 14; batch++) {
        for (size_t i = 0; i < n; i++) {
            items[i].report = blob;
            items[i].report_len = size;
            items[i].ref = NULL;
        }
        if (jad_outbox_submit_batch (o, items, n, err, sizeof err))
            fail_msg ("batch %d: %s", batch, err);
        assert_int_equal (items[n - 1].origin_seq, (uint64_t) (batch + 1) * n);
    }
    jad_outbox_stats_t st;
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_int_equal (st.depth, 1400);
    free (items);
    free (blob);
    jad_outbox_destroy (&o);
}

/* Two processes submit at once, each with its own env opened after the
 * fork: every report gets a sequence, none twice, with no gap. */
static void
test_concurrent (void **state)
{
    jad_outbox_t *o = s_open (state, "o", JAD_OUTBOX_CREATE);
    s_identity (o);
    jad_outbox_destroy (&o);
    const int children = 2, batches = 20, per = 10;
    pid_t pids[2];
    for (int c = 0; c < children; c++) {
        pids[c] = fork ();
        assert_true (pids[c] >= 0);
        if (pids[c] == 0) {
            char err[256] = "";
            jad_outbox_t *co = jad_outbox_open (s_path (state, "o"), 0, err, sizeof err);
            if (!co)
                _exit (3);
            for (int b = 0; b < batches; b++) {
                jad_outbox_item_t items[10];
                uint8_t *bufs[10];
                char refs[10][48];
                for (int i = 0; i < per; i++) {
                    memset (&items[i], 0, sizeof items[i]);
                    snprintf (refs[i], sizeof refs[i], "c%d-b%d-i%d", c, b, i);
                    bufs[i] = s_report ((uint64_t) i, refs[i], &items[i].report_len);
                    items[i].report = bufs[i];
                    items[i].ref = refs[i];
                }
                int rc = jad_outbox_submit_batch (co, items, per, err, sizeof err);
                for (int i = 0; i < per; i++) {
                    free (bufs[i]);
                    if (items[i].status != JAD_OUTBOX_ACCEPTED)
                        rc = -1;
                }
                if (rc)
                    _exit (4);
            }
            jad_outbox_destroy (&co);
            _exit (0);
        }
    }
    for (int c = 0; c < children; c++) {
        int status;
        assert_int_equal (waitpid (pids[c], &status, 0), pids[c]);
        assert_true (WIFEXITED (status));
        assert_int_equal (WEXITSTATUS (status), 0);
    }
    o = s_open (state, "o", 0);
    jad_outbox_stats_t st;
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    uint64_t total = (uint64_t) children * batches * per;
    assert_int_equal (st.depth, total);
    assert_int_equal (st.next_seq, total + 1);
    uint64_t last;
    assert_int_equal (jad_outbox_last (o, &last), 0);
    assert_int_equal (last, total);       /* depth == last: 1..total, no gap */
    jad_outbox_destroy (&o);
}

/* ------------------------------------------------------------ old files */

static void
s_be64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t) v;
}

static void
s_raw_put (MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
           const void *v, size_t vlen)
{
    MDB_val kv = { klen, (void *) k }, vv = { vlen, (void *) v };
    assert_int_equal (mdb_put (txn, dbi, &kv, &vv, 0), 0);
}

/* An unsealed queue record: 0x01 || BE64 event time || report. */
static uint8_t *
s_raw_unsealed (uint64_t parcels, const char *ref, int64_t t, size_t *len_p)
{
    size_t rlen;
    uint8_t *report = s_report (parcels, ref, &rlen);
    uint8_t *rec = malloc (9 + rlen);
    assert_non_null (rec);
    rec[0] = 0x01;
    s_be64 (rec + 1, (uint64_t) t);
    memcpy (rec + 9, report, rlen);
    free (report);
    *len_p = 9 + rlen;
    return rec;
}

/* Write with LMDB alone, byte for byte, an outbox as the code before
 * lib/store.c left it: report 1 rejected, 2 sealed, 3 and 4 waiting. */
static void
s_write_old_outbox (const char *dir, const uint8_t *inc, uint8_t **sealed_p,
                    size_t *sealed_len_p)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, queue, refs, rejected;
    uint8_t b8[8], b4[4] = { 0, 0, 0, 1 };
    char err[256];
    assert_int_equal (mkdir (dir, 0700), 0);
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 8), 0);
    assert_int_equal (mdb_env_open (env, dir, MDB_NOTLS, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, 0, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "meta", MDB_CREATE, &meta), 0);
    assert_int_equal (mdb_dbi_open (txn, "queue", MDB_CREATE, &queue), 0);
    assert_int_equal (mdb_dbi_open (txn, "refs", MDB_CREATE, &refs), 0);
    assert_int_equal (mdb_dbi_open (txn, "rejected", MDB_CREATE, &rejected), 0);
    s_raw_put (txn, meta, "incarnation", 11, inc, 16);
    s_be64 (b8, 5);
    s_raw_put (txn, meta, "next_seq", 8, b8, 8);
    s_raw_put (txn, meta, "schema_version", 14, b4, 4);
    s_raw_put (txn, meta, "country", 7, "DE", 2);
    s_raw_put (txn, meta, "origin", 6, "agent-de", 8);
    s_raw_put (txn, meta, "operation_id", 12, s_opid, 16);
    s_be64 (b8, 4);
    s_raw_put (txn, meta, "accepted", 8, b8, 8);
    for (uint64_t seq = 1; seq <= 4; seq++) {
        char ref[8];
        snprintf (ref, sizeof ref, "r%llu", (unsigned long long) seq);
        s_be64 (b8, seq);
        s_raw_put (txn, refs, ref, strlen (ref), b8, 8);
        size_t len;
        uint8_t *rec = s_raw_unsealed (seq, ref, 1605510003000 + (int64_t) seq, &len);
        if (seq == 1) {         /* BE32 code || BE32 length || message || record */
            const char *msg = "origin: not yours";
            uint8_t *r = malloc (8 + strlen (msg) + len);
            assert_non_null (r);
            memcpy (r, "\0\0\0\4\0\0\0\x11", 8);
            memcpy (r + 8, msg, 17);
            memcpy (r + 25, rec, len);
            s_raw_put (txn, rejected, b8, 8, r, 25 + len);
            free (r);
        }
        else
        if (seq == 2) {         /* 0x02 || the Envelope */
            jad_envelope_id_t id = { s_opid, "agent-de", inc, seq };
            size_t elen;
            uint8_t *env_buf = jad_envelope_seal (&id, 1605510003002, rec + 9,
                                                  len - 9, s_keys, &elen,
                                                  err, sizeof err);
            assert_non_null (env_buf);
            uint8_t *r = malloc (1 + elen);
            assert_non_null (r);
            r[0] = 0x02;
            memcpy (r + 1, env_buf, elen);
            s_raw_put (txn, queue, b8, 8, r, 1 + elen);
            *sealed_p = env_buf;
            *sealed_len_p = elen;
            free (r);
        }
        else
            s_raw_put (txn, queue, b8, 8, rec, len);
        free (rec);
    }
    assert_int_equal (mdb_txn_commit (txn), 0);
    mdb_env_close (env);
}

/* An outbox written before lib/store.c: read, submitted to, sealed, acked
 * and rejected from as before, and what this build writes keeps the
 * layout. */
static void
test_old_layout (void **state)
{
    const uint8_t inc[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6 };
    char dir[600], err[256] = "";
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    snprintf (dir, sizeof dir, "%s", s_path (state, "old"));
    s_write_old_outbox (dir, inc, &sealed, &sealed_len);

    jad_outbox_t *o = s_open (state, "old", 0);
    assert_memory_equal (jad_outbox_incarnation (o), inc, 16);
    jad_outbox_stats_t st;
    assert_int_equal (jad_outbox_stats (o, &st), 0);
    assert_int_equal (st.depth, 3);
    assert_int_equal (st.rejected, 1);
    assert_int_equal (st.next_seq, 5);
    assert_int_equal (st.accepted, 4);
    assert_string_equal (st.country, "DE");
    assert_string_equal (st.origin, "agent-de");
    assert_int_equal (st.has_operation, 1);
    char line[256] = "";
    assert_int_equal (jad_outbox_rejected_scan (o, 10, s_rejected_cb, line), 1);
    assert_string_equal (line, "1 4 origin: not yours");
    s_seen_t seen = { .n = 0 };
    assert_int_equal (jad_outbox_scan (o, 0, 100, s_collect, &seen), 3);
    assert_int_equal (seen.seq[0], 2);
    assert_int_equal (seen.sealed[0], 1);
    assert_int_equal (seen.len[0], sealed_len);
    assert_memory_equal (seen.data[0], sealed, sealed_len);
    assert_int_equal (seen.sealed[1], 0);
    Jad__Report *r = jad_wire_report_decode (seen.data[1], seen.len[1], err, sizeof err);
    assert_non_null (r);
    assert_string_equal (r->ref, "r3");
    jad_wire_free (&r);
    s_seen_free (&seen);

    /* Refs carry over; sequences go on; the old records seal. */
    int status[2];
    uint64_t seq[2];
    const char *refs[2] = { "r3", "r9" };
    s_submit (o, refs, 2, status, seq);
    assert_int_equal (status[0], JAD_OUTBOX_DUPLICATE); assert_int_equal (seq[0], 3);
    assert_int_equal (status[1], JAD_OUTBOX_ACCEPTED); assert_int_equal (seq[1], 5);
    assert_int_equal (s_seal (o, 100, err, sizeof err), 3);
    uint64_t a[1] = { 2 }, h[1] = { 40 };
    assert_int_equal (jad_outbox_ack (o, a, h, 1, err, sizeof err), 0);
    assert_int_equal (jad_outbox_reject (o, 3, 5, "conflict", err, sizeof err), 1);
    jad_outbox_destroy (&o);

    /* Read back with LMDB alone. */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, queue, refs_db, rejected;
    MDB_val k, v;
    uint8_t b8[8];
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 8), 0);
    assert_int_equal (mdb_env_open (env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "meta", 0, &meta), 0);
    assert_int_equal (mdb_dbi_open (txn, "queue", 0, &queue), 0);
    assert_int_equal (mdb_dbi_open (txn, "refs", 0, &refs_db), 0);
    assert_int_equal (mdb_dbi_open (txn, "rejected", 0, &rejected), 0);
    k = (MDB_val) { 8, "next_seq" };
    assert_int_equal (mdb_get (txn, meta, &k, &v), 0);
    s_be64 (b8, 6);
    assert_int_equal (v.mv_size, 8);
    assert_memory_equal (v.mv_data, b8, 8);
    k = (MDB_val) { 18, "last_acked_hub_seq" };
    assert_int_equal (mdb_get (txn, meta, &k, &v), 0);
    s_be64 (b8, 40);
    assert_memory_equal (v.mv_data, b8, 8);
    k = (MDB_val) { 2, "r9" };
    assert_int_equal (mdb_get (txn, refs_db, &k, &v), 0);
    s_be64 (b8, 5);
    assert_memory_equal (v.mv_data, b8, 8);
    /* Record 5, sealed in place: 0x02 || an envelope of this identity. */
    k = (MDB_val) { 8, b8 };
    assert_int_equal (mdb_get (txn, queue, &k, &v), 0);
    const uint8_t *p = v.mv_data;
    assert_int_equal (p[0], 0x02);
    Jad__Envelope *env_msg = (Jad__Envelope *) s_envelope_decode (p + 1, v.mv_size - 1,
                                                       err, sizeof err);
    assert_non_null (env_msg);
    assert_int_equal (env_msg->origin_seq, 5);
    assert_memory_equal (env_msg->incarnation.data, inc, 16);
    jad_wire_free (&env_msg);
    /* Record 3, rejected: BE32 code || BE32 length || message || record. */
    s_be64 (b8, 3);
    assert_int_equal (mdb_get (txn, rejected, &k, &v), 0);
    p = v.mv_data;
    assert_memory_equal (p, "\0\0\0\5\0\0\0\x08" "conflict", 16);
    assert_int_equal (p[16], 0x02);
    assert_int_equal (mdb_get (txn, queue, &k, &v), MDB_NOTFOUND);
    s_be64 (b8, 2);
    assert_int_equal (mdb_get (txn, queue, &k, &v), MDB_NOTFOUND);
    mdb_txn_abort (txn);
    mdb_env_close (env);
    free (sealed);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_submit_seqs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_duplicate_refs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_incarnation, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_seal, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_seal_failure, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_ack_reject, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_map_growth, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_concurrent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_old_layout, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
