/* Unit tests: hub/ingest.c — the hub's intake as a state machine, without
 * sockets, against a real journal, a real roster and real keys: a batch
 * journaled in one commit and acked in order; resends and conflicts (also
 * within one batch); every refusal with its exact code and the report's
 * identity as it was sent; a roster changed mid-stream; and the hub's own
 * failures (the journal, the signed bytes, a full batch, a damaged dedupe
 * index) answered UNAVAILABLE, never with a final code — logged once, not
 * per batch or per resend.
 *
 * Linked with -Wl,--wrap=jad_sign_report_bytes (Makefile): the wrapper
 * below fails on demand, as memory running out would. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/envelope.h"
#include "jad/frame.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/pool.h"
#include "jad/report_json.h"
#include "jad/roster.h"
#include "jad/sign.h"
#include "jad/wire.h"
#include "../../hub/ingest.h"
#include "testutil.h"

/* ------------------------------------------------------------ the wrap */

uint8_t *__real_jad_sign_report_bytes (const uint8_t op_id[16], const char *origin,
                                       const uint8_t incarnation[16],
                                       uint64_t origin_seq, int64_t event_time_ms,
                                       const uint8_t *report, size_t report_len,
                                       size_t *len_p);
uint8_t *__wrap_jad_sign_report_bytes (const uint8_t op_id[16], const char *origin,
                                       const uint8_t incarnation[16],
                                       uint64_t origin_seq, int64_t event_time_ms,
                                       const uint8_t *report, size_t report_len,
                                       size_t *len_p);

/* Set by a test: the signed bytes cannot be built (memory), as seen by the
 * verification pool's threads (set before jad_pool_run, which publishes
 * it to them). */
static int s_fail_sign_bytes;

uint8_t *
__wrap_jad_sign_report_bytes (const uint8_t op_id[16], const char *origin,
                              const uint8_t incarnation[16], uint64_t origin_seq,
                              int64_t event_time_ms, const uint8_t *report,
                              size_t report_len, size_t *len_p)
{
    if (s_fail_sign_bytes)
        return NULL;
    return __real_jad_sign_report_bytes (op_id, origin, incarnation, origin_seq,
                                         event_time_ms, report, report_len,
                                         len_p);
}

/* ------------------------------------------------------------ keys, roster */

#define S_OP_HEX "00112233445566778899aabbccddeeff"
static const uint8_t s_op[16] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};
static const uint8_t s_other_op[16] = { 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t s_inc_de[16] = { 0xde, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
static const uint8_t s_inc_fr[16] = { 0xf7, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
static const uint8_t s_inc_co[16] = { 0xc0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
static const uint8_t s_inc_ob[16] = { 0x0b, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4 };

enum { K_HUB, K_DE, K_FR, K_COORD, K_OBS, K_N };
static const char *s_names[K_N] = { "hub", "agent-de", "agent-fr", "coord", "obs" };
static const char *s_roles[K_N] = { "hub", "agent", "agent", "coordinator", "observer" };
static const char *s_ccs[K_N] = { "-", "DE", "FR", "-", "-" };

static char *s_keydir;              /* made once in main, removed at the end */
static jad_keys_t *s_keys[K_N];     /* with secrets */

/* The roster of the five, agent-fr marked REVOKED_FR when not NULL
 * ("revoked=2").  Caller destroys. */
static jad_roster_t *
s_roster (const char *revoked_fr)
{
    char text[4096];
    size_t n = (size_t) snprintf (text, sizeof text,
        "operation     Test Operation\n"
        "operation_id  " S_OP_HEX "\n"
        "start         2020-11-16T00:00:00Z\n"
        "end           2020-11-22T00:00:00Z\n");
    for (int k = 0; k < K_N; k++) {
        char sign[65], id[17];
        sodium_bin2hex (sign, sizeof sign, jad_keys_sign_public (s_keys[k]), 32);
        sodium_bin2hex (id, sizeof id, jad_keys_key_id (s_keys[k]), 8);
        n += (size_t) snprintf (text + n, sizeof text - n,
                                "participant   %s %s %s %s %s %s%s%s\n",
                                s_names[k], s_roles[k], s_ccs[k],
                                jad_keys_public (s_keys[k]), sign, id,
                                k == K_FR && revoked_fr ? " " : "",
                                k == K_FR && revoked_fr ? revoked_fr : "");
        assert_true (n < sizeof text);
    }
    char err[256];
    jad_roster_t *r = jad_roster_parse (text, n, "test roster", err, sizeof err);
    if (!r)
        fail_msg ("roster: %s", err);
    return r;
}

/* ------------------------------------------------------------ reports */

/* The packed Report of JSON (valid: the JSON reader validates it). */
static uint8_t *
s_report (const char *json, size_t *len_p)
{
    Jad__Report *r = NULL;
    int64_t t;
    int has_t;
    char err[256];
    if (jad_report_json_parse (json, strlen (json), NULL, &r, &t, &has_t,
                               err, sizeof err) != 0)
        fail_msg ("%s: %s", json, err);
    uint8_t *buf = jad_wire_encode (&r->base, len_p);
    assert_non_null (buf);
    jad__report__free_unpacked (r, NULL);
    return buf;
}

/* The envelope of JSON as ORIGIN, (INC, SEQ), in operation OP, signed by
 * SIGNER (NULL: unsigned).  Caller frees. */
static uint8_t *
s_seal_op (const uint8_t *op, const jad_keys_t *signer, const char *origin,
           const uint8_t *inc, uint64_t seq, const char *json, size_t *len_p)
{
    size_t rlen;
    uint8_t *report = s_report (json, &rlen);
    jad_envelope_id_t id = { op, origin, inc, seq };
    char err[256];
    uint8_t *env = jad_envelope_seal (&id, 1605510000000 + (int64_t) seq,
                                      report, rlen, signer, len_p, err, sizeof err);
    if (!env)
        fail_msg ("seal: %s", err);
    free (report);
    return env;
}

static uint8_t *
s_seal (int k, const uint8_t *inc, uint64_t seq, const char *json, size_t *len_p)
{
    return s_seal_op (s_op, s_keys[k], s_names[k], inc, seq, json, len_p);
}

/* An envelope built field by field, as a sender this build does not
 * trust might: VERSION, INC[0..INC_LEN), ORIGIN_SEQ (HAS_SEQ), REPORT,
 * signed by agent-de over the report's signed bytes when INC_LEN is 16. */
static uint8_t *
s_raw_envelope (uint32_t version, const uint8_t *inc, size_t inc_len,
                int has_seq, uint64_t seq, const uint8_t *report,
                size_t report_len, size_t *len_p)
{
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    uint8_t sig[JAD_SIGN_BYTES];
    env.has_version = 1;
    env.version = version;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) s_op;
    env.operation_id.len = 16;
    env.origin = (char *) "agent-de";
    env.has_incarnation = 1;
    env.incarnation.data = (uint8_t *) inc;
    env.incarnation.len = inc_len;
    env.has_origin_seq = (protobuf_c_boolean) has_seq;
    env.origin_seq = seq;
    env.has_event_time_ms = 1;
    env.event_time_ms = 1605510000000;
    env.has_report = 1;
    env.report.data = (uint8_t *) report;
    env.report.len = report_len;
    if (inc_len == 16) {
        size_t mlen;
        uint8_t *msg = jad_sign_report_bytes (s_op, "agent-de", inc, seq,
                                              env.event_time_ms, report,
                                              report_len, &mlen);
        assert_non_null (msg);
        assert_int_equal (jad_keys_sign (s_keys[K_DE], msg, mlen, sig), 0);
        free (msg);
        env.has_key_id = 1;
        env.key_id.data = (uint8_t *) jad_keys_key_id (s_keys[K_DE]);
        env.key_id.len = JAD_KEY_ID_BYTES;
        env.has_signature = 1;
        env.signature.data = sig;
        env.signature.len = sizeof sig;
    }
    uint8_t *buf = jad_wire_encode (&env.base, len_p);
    assert_non_null (buf);
    return buf;
}

/* ------------------------------------------------------------ the fixture */

/* One answer as the owner's callback received it, decoded. */
typedef struct {
    int         route;              /* the submit's number */
    int         kind;               /* JAD_FRAME_ACK or JAD_FRAME_ERROR */
    int         code;
    char        message[512];
    jad_ident_t ident;
    uint64_t    hub_seq;
    int         duplicate;
} s_answer_t;

typedef struct {
    uint64_t seq;
    uint8_t *entry;                 /* a copy */
    size_t   len;
    void    *tag;
} s_journaled_t;

#define S_MAX  2100

typedef struct {
    jad_journal_t *journal;
    jad_roster_t  *roster;
    jad_pool_t    *pool;
    jad_ingest_t  *ingest;
    s_answer_t    *answers;         /* in the order received */
    size_t         n_answers;
    s_journaled_t *journaled;
    size_t         n_journaled;
    int            dropped;         /* routes freed unanswered */
    int            routes;          /* routes handed out */
} s_fix_t;

/* A participant tag per roster index, for the `journaled` callback. */
static int s_tags[K_N];

static void
s_on_answer (void *arg, void *route, const uint8_t *frame, size_t len)
{
    s_fix_t *fx = arg;
    assert_true (fx->n_answers < S_MAX);
    s_answer_t *a = &fx->answers[fx->n_answers++];
    memset (a, 0, sizeof *a);
    a->route = *(int *) route;
    free (route);
    jad_frame_t f;
    char err[256];
    if (jad_frame_decode (frame, len, &f, err, sizeof err) != JAD_OK)
        fail_msg ("answer does not decode: %s", err);
    a->kind = f.kind;
    if (f.kind == JAD_FRAME_ACK) {
        a->ident = f.ack.ident;
        a->hub_seq = f.ack.hub_seq;
        a->duplicate = f.ack.duplicate;
    }
    else {
        assert_int_equal (f.kind, JAD_FRAME_ERROR);
        a->code = f.error.code;
        snprintf (a->message, sizeof a->message, "%s", f.error.message);
        a->ident = f.error.ident;
    }
    jad_frame_clear (&f);
}

static void
s_on_journaled (void *arg, uint64_t seq, const uint8_t *entry, size_t len,
                void *tag)
{
    s_fix_t *fx = arg;
    assert_true (fx->n_journaled < S_MAX);
    s_journaled_t *j = &fx->journaled[fx->n_journaled++];
    j->seq = seq;
    j->entry = malloc (len);
    assert_non_null (j->entry);
    memcpy (j->entry, entry, len);
    j->len = len;
    j->tag = tag;
}

static void
s_on_drop (void *arg, void *route)
{
    s_fix_t *fx = arg;
    fx->dropped++;
    free (route);
}

/* A new journal in the test's directory (FLAGS: 0 for a writer; RDONLY
 * reopens it read-only after creating it), with the operation set. */
static jad_journal_t *
s_journal (void **state, int flags)
{
    char err[256];
    const char *path = jad_test_path (state, "journal");
    jad_journal_t *j = jad_journal_open (path, JAD_JOURNAL_CREATE, err, sizeof err);
    if (!j)
        fail_msg ("journal: %s", err);
    jad_journal_meta_t m;
    memset (&m, 0, sizeof m);
    snprintf (m.name, sizeof m.name, "Test Operation");
    memcpy (m.id, s_op, 16);
    m.start_ms = 1605484800000;
    m.end_ms = 1606003200000;
    assert_int_equal (jad_journal_meta_set (j, &m), 0);
    if (flags == JAD_JOURNAL_RDONLY) {
        jad_journal_destroy (&j);
        j = jad_journal_open (path, JAD_JOURNAL_RDONLY, err, sizeof err);
        if (!j)
            fail_msg ("journal: %s", err);
    }
    return j;
}

/* The test's fixture, freed by the teardown even when the test failed
 * half-way (cmocka leaves the test function with a longjmp). */
static s_fix_t *s_fix;

static s_fix_t *
s_fix_new (void **state, int journal_flags)
{
    s_fix_t *fx = calloc (1, sizeof *fx);
    assert_non_null (fx);
    fx->answers = calloc (S_MAX, sizeof *fx->answers);
    fx->journaled = calloc (S_MAX, sizeof *fx->journaled);
    assert_true (fx->answers && fx->journaled);
    fx->journal = s_journal (state, journal_flags);
    fx->roster = s_roster (NULL);
    fx->pool = jad_pool_new (1);
    assert_non_null (fx->pool);
    jad_ingest_handlers_t on = { s_on_answer, s_on_journaled, s_on_drop };
    fx->ingest = jad_ingest_new (fx->journal, s_op, fx->roster, fx->pool, &on, fx);
    assert_non_null (fx->ingest);
    s_fix = fx;
    return fx;
}

static void
s_fix_free (s_fix_t **fx_p)
{
    s_fix_t *fx = *fx_p;
    if (!fx)
        return;
    jad_ingest_destroy (&fx->ingest);
    jad_pool_destroy (&fx->pool);
    jad_roster_destroy (&fx->roster);
    jad_journal_destroy (&fx->journal);
    for (size_t i = 0; i < fx->n_journaled; i++)
        free (fx->journaled[i].entry);
    free (fx->journaled);
    free (fx->answers);
    free (fx);
    *fx_p = NULL;
}

static int
s_teardown (void **state)
{
    s_fix_free (&s_fix);
    s_fail_sign_bytes = 0;
    return jad_test_dir_teardown (state);
}

/* Submit ENV as participant K (its line in the roster in force), then
 * free ENV.  Returns what jad_ingest_submit returned; *ROUTE_P the
 * submit's number (its answer's `route`). */
static int
s_submit_as (s_fix_t *fx, const jad_participant_t *who, int k, uint8_t *env,
             size_t len, int *route_p)
{
    int *route = malloc (sizeof *route);
    assert_non_null (route);
    *route = ++fx->routes;
    if (route_p)
        *route_p = *route;
    int rc = jad_ingest_submit (fx->ingest, who, &s_tags[k], env, len, route);
    free (env);
    return rc;
}

static int
s_submit (s_fix_t *fx, int k, uint8_t *env, size_t len, int *route_p)
{
    const jad_participant_t *who = jad_roster_find_name (fx->roster, s_names[k]);
    assert_non_null (who);
    return s_submit_as (fx, who, k, env, len, route_p);
}

/* Submit the report JSON from participant K as (INC, SEQ), properly
 * sealed; returns the submit's number. */
static int
s_submit_json (s_fix_t *fx, int k, const uint8_t *inc, uint64_t seq,
               const char *json)
{
    size_t len;
    uint8_t *env = s_seal (k, inc, seq, json, &len);
    int route;
    assert_int_equal (s_submit (fx, k, env, len, &route), 0);
    return route;
}

/* Answer I is an ack of (INC, SEQ) journaled as HUB_SEQ, on ROUTE. */
static void
s_expect_ack (const s_fix_t *fx, size_t i, int route, const uint8_t *inc,
              uint64_t seq, uint64_t hub_seq, int duplicate)
{
    assert_true (i < fx->n_answers);
    const s_answer_t *a = &fx->answers[i];
    if (a->kind != JAD_FRAME_ACK)
        fail_msg ("answer %zu: %s \"%s\", expected an ack", i,
                  jad_err_name (a->code), a->message);
    assert_int_equal (a->route, route);
    assert_true (a->ident.has_incarnation && a->ident.has_origin_seq);
    assert_int_equal (a->ident.incarnation_len, 16);
    assert_memory_equal (a->ident.incarnation, inc, 16);
    assert_int_equal (a->ident.origin_seq, seq);
    assert_int_equal (a->hub_seq, hub_seq);
    assert_int_equal (a->duplicate, duplicate);
}

/* Answer I is an error CODE on ROUTE whose message holds WHY and whose
 * identity is INC[0..INC_LEN) and SEQ (INC NULL: none). */
static void
s_expect_error (const s_fix_t *fx, size_t i, int route, jad_err_t code,
                const char *why, const uint8_t *inc, size_t inc_len,
                uint64_t seq)
{
    assert_true (i < fx->n_answers);
    const s_answer_t *a = &fx->answers[i];
    if (a->kind != JAD_FRAME_ERROR || a->code != (int) code)
        fail_msg ("answer %zu: %s %s \"%s\", expected %s", i,
                  a->kind == JAD_FRAME_ACK ? "ack" : "error",
                  jad_err_name (a->code), a->message, jad_err_name (code));
    assert_int_equal (a->route, route);
    if (why && !strstr (a->message, why))
        fail_msg ("answer %zu: \"%s\" does not say \"%s\"", i, a->message, why);
    if (!inc) {
        assert_false (a->ident.has_incarnation);
        return;
    }
    assert_true (a->ident.has_incarnation);
    assert_int_equal (a->ident.incarnation_len, inc_len);
    assert_memory_equal (a->ident.incarnation, inc, inc_len);
    assert_true (a->ident.has_origin_seq);
    assert_int_equal (a->ident.origin_seq, seq);
}

/* Submit ENV from K and expect it refused at once with CODE naming WHY and
 * the identity (INC, SEQ) echoed; nothing is left waiting. */
static void
s_expect_refused (s_fix_t *fx, int k, uint8_t *env, size_t len, jad_err_t code,
                  const char *why, const uint8_t *inc, size_t inc_len,
                  uint64_t seq)
{
    size_t waiting = jad_ingest_waiting (fx->ingest);
    size_t before = fx->n_answers;
    int route;
    assert_int_equal (s_submit (fx, k, env, len, &route), 0);
    assert_int_equal (fx->n_answers, before + 1);
    assert_int_equal (jad_ingest_waiting (fx->ingest), waiting);
    s_expect_error (fx, before, route, code, why, inc, inc_len, seq);
}

/* Commit and expect FRESH new entries. */
static void
s_commit (s_fix_t *fx, long fresh)
{
    assert_int_equal (jad_ingest_commit (fx->ingest), fresh);
    assert_int_equal (jad_ingest_waiting (fx->ingest), 0);
}

/* ------------------------------------------------------------ tests */

/* A batch: nothing answered before the commit; then one commit, acks in
 * order with hub_seq 1..n, and each new entry handed on as stored. */
static void
test_batch_commit (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    const int n = 5;
    uint8_t *sent[5];
    size_t sent_len[5];
    int routes[5];
    for (int i = 0; i < n; i++) {
        char json[128];
        snprintf (json, sizeof json, "{\"type\":\"checks\",\"parcels\":%d}", 10 + i);
        uint8_t *env = s_seal (K_DE, s_inc_de, (uint64_t) i + 1, json, &sent_len[i]);
        sent[i] = malloc (sent_len[i]);
        assert_non_null (sent[i]);
        memcpy (sent[i], env, sent_len[i]);
        assert_int_equal (s_submit (fx, K_DE, env, sent_len[i], &routes[i]), 0);
    }
    assert_int_equal (fx->n_answers, 0);        /* nothing before the commit */
    assert_int_equal (jad_ingest_waiting (fx->ingest), n);
    assert_int_equal (jad_ingest_head (fx->ingest), 0);
    uint64_t head = 99;
    assert_int_equal (jad_journal_head (fx->journal, &head), 0);
    assert_int_equal (head, 0);

    s_commit (fx, n);
    assert_int_equal (fx->n_answers, n);
    for (int i = 0; i < n; i++)
        s_expect_ack (fx, (size_t) i, routes[i], s_inc_de, (uint64_t) i + 1,
                      (uint64_t) i + 1, 0);
    assert_int_equal (jad_ingest_head (fx->ingest), n);
    assert_int_equal (jad_journal_head (fx->journal, &head), 0);
    assert_int_equal (head, n);

    /* Each entry handed on is the one stored, carrying the bytes sent. */
    assert_int_equal (fx->n_journaled, n);
    uint8_t prev[JAD_HASH_BYTES];
    for (int i = 0; i < n; i++) {
        const s_journaled_t *j = &fx->journaled[i];
        char err[256];
        assert_int_equal (j->seq, i + 1);
        assert_ptr_equal (j->tag, &s_tags[K_DE]);
        Jad__Entry *e = jad_wire_entry_decode (j->entry, j->len, err, sizeof err);
        if (!e)
            fail_msg ("entry %d: %s", i + 1, err);
        assert_int_equal (e->hub_seq, i + 1);
        assert_true (e->has_received_ms && e->received_ms > 0);
        assert_int_equal (e->envelope.len, sent_len[i]);
        assert_memory_equal (e->envelope.data, sent[i], sent_len[i]);
        if (i == 0)
            assert_false (e->has_prev_hash);
        else {
            assert_true (e->has_prev_hash && e->prev_hash.len == 32);
            assert_memory_equal (e->prev_hash.data, prev, 32);
        }
        jad_wire_free (&e);
        uint8_t *stored;
        size_t stored_len;
        assert_int_equal (jad_journal_get (fx->journal, j->seq, &stored,
                                           &stored_len), 1);
        assert_int_equal (stored_len, j->len);
        assert_memory_equal (stored, j->entry, j->len);
        free (stored);
        jad_sign_hash (j->entry, j->len, prev);
        free (sent[i]);
    }

    /* A commit with nothing waiting does nothing. */
    s_commit (fx, 0);
    assert_int_equal (fx->n_answers, n);
    assert_int_equal (fx->n_journaled, n);
    assert_int_equal (fx->dropped, 0);
}

/* Resends get their original hub_seq, flagged duplicate — in a later
 * batch and twice within one; the same identity with other bytes is a
 * CONFLICT, never acked, and stays one. */
static void
test_dedupe (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    const char *a_json = "{\"type\":\"checks\",\"parcels\":1}";
    const char *b_json = "{\"type\":\"checks\",\"parcels\":2}";
    const char *c_json = "{\"type\":\"checks\",\"parcels\":3}";
    const char *x_json = "{\"type\":\"checks\",\"parcels\":99}";
    int r1 = s_submit_json (fx, K_DE, s_inc_de, 1, a_json);
    int r2 = s_submit_json (fx, K_DE, s_inc_de, 2, b_json);
    s_commit (fx, 2);
    s_expect_ack (fx, 0, r1, s_inc_de, 1, 1, 0);
    s_expect_ack (fx, 1, r2, s_inc_de, 2, 2, 0);

    /* Batch 2: A resent; C new and resent within the batch; A and C under
     * their identities with other bytes. */
    int ra = s_submit_json (fx, K_DE, s_inc_de, 1, a_json);
    int rc1 = s_submit_json (fx, K_DE, s_inc_de, 3, c_json);
    int rc2 = s_submit_json (fx, K_DE, s_inc_de, 3, c_json);
    int rxa = s_submit_json (fx, K_DE, s_inc_de, 1, x_json);
    int rxc = s_submit_json (fx, K_DE, s_inc_de, 3, x_json);
    assert_int_equal (fx->n_answers, 2);
    s_commit (fx, 1);
    assert_int_equal (fx->n_answers, 7);
    s_expect_ack (fx, 2, ra, s_inc_de, 1, 1, 1);
    s_expect_ack (fx, 3, rc1, s_inc_de, 3, 3, 0);
    s_expect_ack (fx, 4, rc2, s_inc_de, 3, 3, 1);
    s_expect_error (fx, 5, rxa, JAD_ECONFLICT, NULL, s_inc_de, 16, 1);
    s_expect_error (fx, 6, rxc, JAD_ECONFLICT, NULL, s_inc_de, 16, 3);
    assert_int_equal (fx->n_journaled, 3);
    assert_int_equal (fx->journaled[2].seq, 3);

    /* Final: the conflicting bytes again get the same answer; the same
     * origin_seq of another incarnation is another report. */
    int rxa2 = s_submit_json (fx, K_DE, s_inc_de, 1, x_json);
    uint8_t inc2[16];
    memcpy (inc2, s_inc_de, 16);
    inc2[15] ^= 0x55;
    int rn = s_submit_json (fx, K_DE, inc2, 1, x_json);
    s_commit (fx, 1);
    s_expect_error (fx, 7, rxa2, JAD_ECONFLICT, NULL, s_inc_de, 16, 1);
    s_expect_ack (fx, 8, rn, inc2, 1, 4, 0);
    uint64_t head;
    assert_int_equal (jad_journal_head (fx->journal, &head), 0);
    assert_int_equal (head, 4);
}

/* Who may send what (PROTOCOL.md §3, §6): each refusal at once, with its
 * code and the report's identity; what is allowed waits for the commit. */
static void
test_senders (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    size_t len;
    uint8_t *env;
    const char *checks = "{\"type\":\"checks\",\"parcels\":5}";

    env = s_seal_op (s_other_op, s_keys[K_DE], "agent-de", s_inc_de, 7, checks, &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EWRONG_OPERATION, "operation_id",
                      s_inc_de, 16, 7);
    /* agent-de sending agent-fr's report (signed by agent-fr, even). */
    env = s_seal (K_FR, s_inc_fr, 8, checks, &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EFORBIDDEN, "origin", s_inc_fr, 16, 8);
    /* An observer, the hub: nothing. */
    env = s_seal (K_OBS, s_inc_ob, 9, checks, &len);
    s_expect_refused (fx, K_OBS, env, len, JAD_EFORBIDDEN, "observer", s_inc_ob, 16, 9);
    env = s_seal (K_OBS, s_inc_ob, 10,
                  "{\"type\":\"sitrep\",\"text\":\"all quiet\"}", &len);
    s_expect_refused (fx, K_OBS, env, len, JAD_EFORBIDDEN, NULL, s_inc_ob, 16, 10);
    env = s_seal (K_HUB, s_inc_ob, 11, checks, &len);
    s_expect_refused (fx, K_HUB, env, len, JAD_EFORBIDDEN, NULL, s_inc_ob, 16, 11);
    /* A coordinator: requests and sitreps, no intake kind. */
    env = s_seal (K_COORD, s_inc_co, 12, "{\"type\":\"deployment\",\"officers\":3}", &len);
    s_expect_refused (fx, K_COORD, env, len, JAD_EFORBIDDEN, "deployment",
                      s_inc_co, 16, 12);
    /* An agent: no request, no other country. */
    env = s_seal (K_DE, s_inc_de, 13,
                  "{\"type\":\"request\",\"text\":\"go\",\"to\":[\"FR\"]}", &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EFORBIDDEN, "request", s_inc_de, 16, 13);
    env = s_seal (K_DE, s_inc_de, 14,
                  "{\"type\":\"checks\",\"parcels\":5,\"country\":\"FR\"}", &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EFORBIDDEN, "country", s_inc_de, 16, 14);
    assert_int_equal (fx->n_journaled, 0);

    /* An invalid report: MALFORMED naming the field; bytes that are no
     * report at all: MALFORMED. */
    Jad__Report r = JAD__REPORT__INIT;
    Jad__Deployment d = JAD__DEPLOYMENT__INIT;
    r.body_case = JAD__REPORT__BODY_DEPLOYMENT;
    r.deployment = &d;
    size_t rlen;
    uint8_t *report = jad_wire_encode (&r.base, &rlen);
    assert_non_null (report);
    jad_envelope_id_t id = { s_op, "agent-de", s_inc_de, 15 };
    char err[256];
    env = jad_envelope_seal (&id, 1605510000000, report, rlen, s_keys[K_DE], &len,
                             err, sizeof err);
    assert_non_null (env);
    free (report);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED, "deployment.officers",
                      s_inc_de, 16, 15);
    const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
    id.origin_seq = 16;
    env = jad_envelope_seal (&id, 1605510000000, junk, sizeof junk, s_keys[K_DE],
                             &len, err, sizeof err);
    assert_non_null (env);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED, NULL, s_inc_de, 16, 16);

    /* Allowed: a coordinator's request and sitrep, an agent's report with
     * its own country. */
    int rq = s_submit_json (fx, K_COORD, s_inc_co, 1,
                            "{\"type\":\"request\",\"text\":\"go\",\"to\":[\"DE\"]}");
    int rs = s_submit_json (fx, K_COORD, s_inc_co, 2,
                            "{\"type\":\"sitrep\",\"text\":\"all quiet\"}");
    int rd = s_submit_json (fx, K_DE, s_inc_de, 1,
                            "{\"type\":\"checks\",\"parcels\":5,\"country\":\"DE\"}");
    size_t refused = fx->n_answers;
    assert_int_equal (refused, 10);
    s_commit (fx, 3);
    s_expect_ack (fx, refused, rq, s_inc_co, 1, 1, 0);
    s_expect_ack (fx, refused + 1, rs, s_inc_co, 2, 2, 0);
    s_expect_ack (fx, refused + 2, rd, s_inc_de, 1, 3, 0);
    assert_ptr_equal (fx->journaled[0].tag, &s_tags[K_COORD]);
    assert_ptr_equal (fx->journaled[2].tag, &s_tags[K_DE]);
}

/* A correction must supersede an earlier report of the sender's country;
 * a request_ack must name a request addressed to it (or to all). */
static void
test_targets (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    s_submit_json (fx, K_COORD, s_inc_co, 1,                       /* 1 */
                   "{\"type\":\"request\",\"text\":\"a\",\"to\":[\"FR\"]}");
    s_submit_json (fx, K_COORD, s_inc_co, 2,                       /* 2 */
                   "{\"type\":\"request\",\"text\":\"b\",\"to\":[\"FR\",\"DE\"]}");
    s_submit_json (fx, K_COORD, s_inc_co, 3,                       /* 3 */
                   "{\"type\":\"request\",\"text\":\"c\",\"to\":\"all\"}");
    s_submit_json (fx, K_FR, s_inc_fr, 1, "{\"type\":\"checks\",\"parcels\":1}");  /* 4 */
    s_submit_json (fx, K_DE, s_inc_de, 1, "{\"type\":\"checks\",\"parcels\":2}");  /* 5 */
    s_commit (fx, 5);
    size_t base = fx->n_answers;
    size_t len;
    uint8_t *env;

    env = s_seal (K_DE, s_inc_de, 2,
                  "{\"type\":\"correction\",\"supersedes\":4,"
                  "\"replacement\":{\"type\":\"checks\",\"parcels\":7}}", &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED,
                      "correction.supersedes: entry 4 is not a report from DE",
                      s_inc_de, 16, 2);
    env = s_seal (K_DE, s_inc_de, 3,
                  "{\"type\":\"correction\",\"supersedes\":99,"
                  "\"replacement\":{\"type\":\"checks\",\"parcels\":7}}", &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED,
                      "correction.supersedes: no entry 99", s_inc_de, 16, 3);
    env = s_seal (K_DE, s_inc_de, 4, "{\"type\":\"request_ack\",\"request_seq\":1}", &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED,
                      "request_ack.request_seq: request 1 is not addressed to DE",
                      s_inc_de, 16, 4);
    env = s_seal (K_DE, s_inc_de, 5, "{\"type\":\"request_ack\",\"request_seq\":5}", &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED,
                      "request_ack.request_seq: entry 5 is not a request",
                      s_inc_de, 16, 5);
    env = s_seal (K_DE, s_inc_de, 6, "{\"type\":\"request_ack\",\"request_seq\":6}", &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED,
                      "request_ack.request_seq: no entry 6", s_inc_de, 16, 6);
    assert_int_equal (fx->n_answers, base + 5);

    /* Addressed to DE, to all; DE's own report corrected. */
    int r1 = s_submit_json (fx, K_DE, s_inc_de, 7,
                            "{\"type\":\"request_ack\",\"request_seq\":2,\"text\":\"on it\"}");
    int r2 = s_submit_json (fx, K_DE, s_inc_de, 8,
                            "{\"type\":\"request_ack\",\"request_seq\":3}");
    int r3 = s_submit_json (fx, K_DE, s_inc_de, 9,
                            "{\"type\":\"correction\",\"supersedes\":5,"
                            "\"replacement\":{\"type\":\"checks\",\"parcels\":7}}");
    /* ... and FR may acknowledge request 1. */
    int r4 = s_submit_json (fx, K_FR, s_inc_fr, 2,
                            "{\"type\":\"request_ack\",\"request_seq\":1}");
    s_commit (fx, 4);
    s_expect_ack (fx, base + 5, r1, s_inc_de, 7, 6, 0);
    s_expect_ack (fx, base + 6, r2, s_inc_de, 8, 7, 0);
    s_expect_ack (fx, base + 7, r3, s_inc_de, 9, 8, 0);
    s_expect_ack (fx, base + 8, r4, s_inc_fr, 2, 9, 0);
}

/* Signatures are checked at the commit, on the pool: BAD_SIGNATURE with
 * the identity, nothing journaled, the valid ones of the batch acked. */
/* An earlier entry that the journal holds but that does not decode (a
 * damaged page, a journal written by something else) is the hub's
 * trouble, not the report's: a correction of it is UNAVAILABLE — the
 * agent keeps it and tries again — never MALFORMED. */
static void
test_target_unreadable (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0x01 };
    jad_journal_item_t item = {
        .origin = "agent-de", .incarnation = s_inc_fr, .origin_seq = 1,
        .envelope = garbage, .envelope_len = sizeof garbage,
        .received_ms = 1605510000000
    };
    char err[256];
    if (jad_journal_append (fx->journal, &item, 1, err, sizeof err) != 0)
        fail_msg ("append: %s", err);
    /* A new intake sees the journal's head (1). */
    jad_ingest_destroy (&fx->ingest);
    jad_ingest_handlers_t on = { s_on_answer, s_on_journaled, s_on_drop };
    fx->ingest = jad_ingest_new (fx->journal, s_op, fx->roster, fx->pool, &on, fx);
    assert_non_null (fx->ingest);
    size_t len;
    uint8_t *env = s_seal (K_DE, s_inc_de, 1,
                           "{\"type\":\"correction\",\"supersedes\":1,"
                           "\"replacement\":{\"type\":\"checks\",\"parcels\":7}}",
                           &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EUNAVAILABLE,
                      "correction.supersedes: entry 1 cannot be read now",
                      s_inc_de, 16, 1);
}

static void
test_signatures (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    const char *checks = "{\"type\":\"checks\",\"parcels\":5}";
    size_t len;
    int r_unsigned, r_other, r_forged, r_good;

    /* Unsigned. */
    uint8_t *env = s_seal_op (s_op, NULL, "agent-de", s_inc_de, 1, checks, &len);
    assert_int_equal (s_submit (fx, K_DE, env, len, &r_unsigned), 0);
    /* Signed by another participant's key (its key id). */
    env = s_seal_op (s_op, s_keys[K_FR], "agent-de", s_inc_de, 2, checks, &len);
    assert_int_equal (s_submit (fx, K_DE, env, len, &r_other), 0);
    /* Signed by another key under agent-de's key id. */
    env = s_seal_op (s_op, s_keys[K_FR], "agent-de", s_inc_de, 3, checks, &len);
    char err[256];
    /* Tampered on purpose: the generated struct, then encoded again. */
    Jad__Envelope *e = (Jad__Envelope *) jad_wire_decode (
        &jad__envelope__descriptor, env, len, JAD_ENVELOPE_MAX, err, sizeof err);
    assert_non_null (e);
    free (env);
    assert_int_equal (e->key_id.len, JAD_KEY_ID_BYTES);
    memcpy (e->key_id.data, jad_keys_key_id (s_keys[K_DE]), JAD_KEY_ID_BYTES);
    env = jad_wire_encode (&e->base, &len);
    assert_non_null (env);
    jad_wire_free (&e);
    assert_int_equal (s_submit (fx, K_DE, env, len, &r_forged), 0);
    r_good = s_submit_json (fx, K_DE, s_inc_de, 4, checks);

    assert_int_equal (fx->n_answers, 0);
    assert_int_equal (jad_ingest_waiting (fx->ingest), 4);
    s_commit (fx, 1);
    assert_int_equal (fx->n_answers, 4);
    /* The refusals first (answered as verified), then the commit's acks. */
    s_expect_error (fx, 0, r_unsigned, JAD_EBAD_SIGNATURE, "key_id", s_inc_de, 16, 1);
    s_expect_error (fx, 1, r_other, JAD_EBAD_SIGNATURE, "key_id", s_inc_de, 16, 2);
    s_expect_error (fx, 2, r_forged, JAD_EBAD_SIGNATURE, "does not verify",
                    s_inc_de, 16, 3);
    s_expect_ack (fx, 3, r_good, s_inc_de, 4, 1, 0);
    assert_int_equal (fx->n_journaled, 1);

    /* Final: the same unsigned bytes again get the same answer. */
    env = s_seal_op (s_op, NULL, "agent-de", s_inc_de, 1, checks, &len);
    assert_int_equal (s_submit (fx, K_DE, env, len, &r_unsigned), 0);
    s_commit (fx, 0);
    s_expect_error (fx, 4, r_unsigned, JAD_EBAD_SIGNATURE, "key_id", s_inc_de, 16, 1);
}

/* Envelopes that do not open are answered with the identity they were
 * sent with, byte for byte (PROTOCOL.md §6 "Matching an answer"). */
static void
test_identity_echoed (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    size_t rlen, len;
    uint8_t *report = s_report ("{\"type\":\"checks\",\"parcels\":5}", &rlen);
    uint8_t *env;

    /* A schema version this hub does not speak, properly signed. */
    env = s_raw_envelope (99, s_inc_de, 16, 1, 21, report, rlen, &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EBAD_VERSION, "Envelope.version",
                      s_inc_de, 16, 21);
    /* origin_seq 0. */
    env = s_raw_envelope (JAD_SCHEMA_VERSION, s_inc_de, 16, 1, 0, report, rlen, &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED, "origin_seq",
                      s_inc_de, 16, 0);
    /* A 15-byte incarnation: echoed as the 15 bytes it is. */
    env = s_raw_envelope (JAD_SCHEMA_VERSION, s_inc_de, 15, 1, 22, report, rlen, &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED, "incarnation",
                      s_inc_de, 15, 22);
    /* Over the limit of an envelope. */
    uint8_t *big = calloc (1, JAD_ENVELOPE_MAX);
    assert_non_null (big);
    env = s_raw_envelope (JAD_SCHEMA_VERSION, s_inc_de, 16, 1, 23, big,
                          JAD_ENVELOPE_MAX, &len);
    free (big);
    assert_true (len > JAD_ENVELOPE_MAX);
    s_expect_refused (fx, K_DE, env, len, JAD_ETOO_LARGE, NULL, s_inc_de, 16, 23);
    /* No identity at all: an error about no report. */
    const uint8_t junk[] = { 0xff, 0xff, 0xff };
    env = malloc (sizeof junk);
    assert_non_null (env);
    memcpy (env, junk, sizeof junk);
    s_expect_refused (fx, K_DE, env, sizeof junk, JAD_EMALFORMED, NULL, NULL, 0, 0);
    free (report);
    s_commit (fx, 0);
    assert_int_equal (fx->n_journaled, 0);
}

/* The roster changes between turns: agent-fr revoked.  The feed server
 * would refuse its key; should its line reach the intake anyway, the
 * intake refuses it (a report journaled after the revocation would fail
 * jad-verify for ever).  A correction of agent-fr's earlier report by
 * agent-de is still refused by country. */
static void
test_roster_change (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    int r1 = s_submit_json (fx, K_FR, s_inc_fr, 1, "{\"type\":\"checks\",\"parcels\":1}");
    s_commit (fx, 1);
    s_expect_ack (fx, 0, r1, s_inc_fr, 1, 1, 0);

    jad_roster_t *fresh = s_roster ("revoked=2");
    jad_ingest_set_roster (fx->ingest, fresh);
    jad_roster_destroy (&fx->roster);           /* the intake keeps no pointer */
    fx->roster = fresh;
    const jad_participant_t *fr = jad_roster_find_name (fresh, "agent-fr");
    assert_non_null (fr);
    assert_true (fr->revoked);
    assert_int_equal (fr->revoked_seq, 2);

    size_t len;
    uint8_t *env = s_seal (K_FR, s_inc_fr, 2, "{\"type\":\"checks\",\"parcels\":2}", &len);
    int route;
    assert_int_equal (s_submit_as (fx, fr, K_FR, env, len, &route), 0);
    s_commit (fx, 0);
    assert_int_equal (fx->n_answers, 2);
    s_expect_error (fx, 1, route, JAD_EFORBIDDEN, "revoked", s_inc_fr, 16, 2);
    assert_int_equal (fx->n_journaled, 1);

    env = s_seal (K_DE, s_inc_de, 1,
                  "{\"type\":\"correction\",\"supersedes\":1,"
                  "\"replacement\":{\"type\":\"checks\",\"parcels\":7}}", &len);
    s_expect_refused (fx, K_DE, env, len, JAD_EMALFORMED,
                      "correction.supersedes: entry 1 is not a report from DE",
                      s_inc_de, 16, 1);
    int r2 = s_submit_json (fx, K_DE, s_inc_de, 2, "{\"type\":\"checks\",\"parcels\":3}");
    s_commit (fx, 1);
    s_expect_ack (fx, 3, r2, s_inc_de, 2, 2, 0);
}

/* The journal fails at the commit (a journal opened read-only cannot
 * append): every waiting report is answered UNAVAILABLE with its identity
 * — "retry later" — and nothing is handed on. */
static void
test_journal_fails (void **state)
{
    s_fix_t *fx = s_fix_new (state, JAD_JOURNAL_RDONLY);
    int routes[3];
    for (int i = 0; i < 3; i++)
        routes[i] = s_submit_json (fx, K_DE, s_inc_de, (uint64_t) i + 1,
                                   "{\"type\":\"checks\",\"parcels\":4}");
    assert_int_equal (fx->n_answers, 0);
    assert_int_equal (jad_ingest_commit (fx->ingest), -1);
    assert_int_equal (jad_ingest_waiting (fx->ingest), 0);
    assert_int_equal (fx->n_answers, 3);
    for (int i = 0; i < 3; i++)
        s_expect_error (fx, (size_t) i, routes[i], JAD_EUNAVAILABLE, "retry",
                        s_inc_de, 16, (uint64_t) i + 1);
    assert_int_equal (fx->n_journaled, 0);
    assert_int_equal (jad_ingest_head (fx->ingest), 0);
}

/* The signed bytes cannot be built when the signature is checked (the
 * hub's memory): UNAVAILABLE, not BAD_SIGNATURE — the report is sound and
 * its sender must not give it up.  Resent later, it is acked. */
static void
test_sign_bytes_fail (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    size_t len;
    uint8_t *env = s_seal (K_DE, s_inc_de, 1, "{\"type\":\"checks\",\"parcels\":4}", &len);
    uint8_t *again = malloc (len);
    assert_non_null (again);
    memcpy (again, env, len);
    int route;
    assert_int_equal (s_submit (fx, K_DE, env, len, &route), 0);
    s_fail_sign_bytes = 1;
    assert_int_equal (jad_ingest_commit (fx->ingest), 0);
    s_fail_sign_bytes = 0;
    assert_int_equal (fx->n_answers, 1);
    s_expect_error (fx, 0, route, JAD_EUNAVAILABLE, NULL, s_inc_de, 16, 1);
    assert_int_equal (fx->n_journaled, 0);

    assert_int_equal (s_submit (fx, K_DE, again, len, &route), 0);
    s_commit (fx, 1);
    s_expect_ack (fx, 1, route, s_inc_de, 1, 1, 0);
}

/* A full batch: the submit that fills it returns 1; one more before the
 * commit is answered UNAVAILABLE with its identity, not dropped. */
static void
test_batch_full (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    for (uint64_t seq = 1; seq <= JAD_INGEST_BATCH; seq++) {
        size_t len;
        uint8_t *env = s_seal (K_DE, s_inc_de, seq, "{\"type\":\"checks\",\"parcels\":1}",
                               &len);
        int rc = s_submit (fx, K_DE, env, len, NULL);
        assert_int_equal (rc, seq == JAD_INGEST_BATCH ? 1 : 0);
    }
    assert_int_equal (jad_ingest_waiting (fx->ingest), JAD_INGEST_BATCH);
    size_t len;
    uint8_t *env = s_seal (K_DE, s_inc_de, JAD_INGEST_BATCH + 1,
                           "{\"type\":\"checks\",\"parcels\":1}", &len);
    uint8_t *again = malloc (len);
    assert_non_null (again);
    memcpy (again, env, len);
    int route;
    assert_int_equal (s_submit (fx, K_DE, env, len, &route), 1);
    assert_int_equal (fx->n_answers, 1);
    s_expect_error (fx, 0, route, JAD_EUNAVAILABLE, NULL, s_inc_de, 16,
                    JAD_INGEST_BATCH + 1);
    assert_int_equal (jad_ingest_waiting (fx->ingest), JAD_INGEST_BATCH);

    s_commit (fx, JAD_INGEST_BATCH);
    assert_int_equal (fx->n_answers, 1 + JAD_INGEST_BATCH);
    for (size_t i = 0; i < JAD_INGEST_BATCH; i++)
        s_expect_ack (fx, 1 + i, (int) i + 1, s_inc_de, i + 1, i + 1, 0);
    assert_int_equal (s_submit (fx, K_DE, again, len, &route), 0);
    s_commit (fx, 1);
    s_expect_ack (fx, 1 + JAD_INGEST_BATCH, route, s_inc_de, JAD_INGEST_BATCH + 1,
                  JAD_INGEST_BATCH + 1, 0);
}

/* Destroyed with reports waiting: their routes go to `drop`, unanswered. */
static void
test_destroy_waiting (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    s_submit_json (fx, K_DE, s_inc_de, 1, "{\"type\":\"checks\",\"parcels\":4}");
    s_submit_json (fx, K_DE, s_inc_de, 2, "{\"type\":\"checks\",\"parcels\":4}");
    jad_ingest_destroy (&fx->ingest);
    assert_int_equal (fx->dropped, 2);
    assert_int_equal (fx->n_answers, 0);
    uint64_t head;
    assert_int_equal (jad_journal_head (fx->journal, &head), 0);
    assert_int_equal (head, 0);
}

/* ------------------------------------------------------------ damage */

/* Overwrite the dedupe record of agent-de's (INC, SEQ) in the journal at
 * PATH (closed) with hub_seq HUB_SEQ and a hash that is no envelope's. */
static void
s_damage_record (const char *path, const uint8_t *inc, uint64_t seq,
                 uint64_t hub_seq)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t key[9 + 16 + 8], val[40];
    memcpy (key, "agent-de", 9);
    memcpy (key + 9, inc, 16);
    for (int i = 0; i < 8; i++) {
        key[25 + i] = (uint8_t) (seq >> (56 - 8 * i));
        val[i] = (uint8_t) (hub_seq >> (56 - 8 * i));
    }
    memset (val + 8, 0x5a, 32);
    MDB_val k = { sizeof key, key }, v = { sizeof val, val };
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 8), 0);
    assert_int_equal (mdb_env_open (env, path, MDB_NOTLS, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, 0, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "dedupe", 0, &dbi), 0);
    assert_int_equal (mdb_put (txn, dbi, &k, &v, 0), 0);
    assert_int_equal (mdb_txn_commit (txn), 0);
    mdb_env_close (env);
}

/* A damaged dedupe record: a byte-identical resend is acked as the
 * duplicate it is (the stored entry's bytes say so), never CONFLICT; a
 * record naming another report's entry is UNAVAILABLE (the agent keeps
 * the report and resends), never final.  Each damaged key is logged once,
 * with the repair command, however often its report is resent. */
static void
test_dedupe_damaged (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    const char *json[3] = { "{\"type\":\"checks\",\"parcels\":1}",
                            "{\"type\":\"checks\",\"parcels\":2}",
                            "{\"type\":\"checks\",\"parcels\":3}" };
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_submit_json (fx, K_DE, s_inc_de, seq, json[seq - 1]);
    s_commit (fx, 3);
    size_t base = fx->n_answers;

    /* The index damaged under a closed journal; the hub starts again. */
    jad_ingest_destroy (&fx->ingest);
    jad_journal_destroy (&fx->journal);
    char path[1024], err[256];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "journal"));
    s_damage_record (path, s_inc_de, 1, 1);     /* its own entry, bad hash */
    s_damage_record (path, s_inc_de, 2, 3);     /* report 3's entry */
    fx->journal = jad_journal_open (path, 0, err, sizeof err);
    if (!fx->journal)
        fail_msg ("journal: %s", err);
    jad_ingest_handlers_t on = { s_on_answer, s_on_journaled, s_on_drop };
    fx->ingest = jad_ingest_new (fx->journal, s_op, fx->roster, fx->pool, &on, fx);
    assert_non_null (fx->ingest);

    /* Each resent twice, in two batches; and a new report goes through. */
    jad_test_log_capture (JAD_LOG_NOTICE);
    int r1 = s_submit_json (fx, K_DE, s_inc_de, 1, json[0]);
    int r2 = s_submit_json (fx, K_DE, s_inc_de, 2, json[1]);
    long fresh1 = jad_ingest_commit (fx->ingest);
    int r1b = s_submit_json (fx, K_DE, s_inc_de, 1, json[0]);
    int r2b = s_submit_json (fx, K_DE, s_inc_de, 2, json[1]);
    int r4 = s_submit_json (fx, K_DE, s_inc_de, 4, "{\"type\":\"checks\",\"parcels\":4}");
    long fresh2 = jad_ingest_commit (fx->ingest);
    char *log = jad_test_log_release ();
    assert_int_equal (fresh1, 0);
    assert_int_equal (fresh2, 1);
    s_expect_ack (fx, base, r1, s_inc_de, 1, 1, 1);
    s_expect_error (fx, base + 1, r2, JAD_EUNAVAILABLE, "dedupe index is damaged",
                    s_inc_de, 16, 2);
    s_expect_ack (fx, base + 2, r1b, s_inc_de, 1, 1, 1);
    s_expect_error (fx, base + 3, r2b, JAD_EUNAVAILABLE, "retry later",
                    s_inc_de, 16, 2);
    s_expect_ack (fx, base + 4, r4, s_inc_de, 4, 4, 0);
    /* Once per key, naming it and the repair; no conflict said. */
    if (jad_test_lines_with (log, "origin_seq 1) holds a hash that is not entry 1's") != 1
    ||  jad_test_lines_with (log, "origin_seq 2) names entry 3, which holds another "
                           "report (agent-de, origin_seq 3)") != 1
    ||  jad_test_lines_with (log, "jad-journal repair --data ") != 2
    ||  jad_test_lines_with (log, "conflict") != 0)
        fail_msg ("log:\n%s", log);
    free (log);
    uint64_t head;
    assert_int_equal (jad_journal_head (fx->journal, &head), 0);
    assert_int_equal (head, 4);
}

/* Commits failing (a full disk: here writes past the file size limit)
 * are logged once when they start and once when one succeeds again, with
 * how many failed meanwhile — not once per batch; every report meanwhile
 * is answered UNAVAILABLE, and acked once the disk has room. */
static void
test_commits_failing (void **state)
{
    s_fix_t *fx = s_fix_new (state, 0);
    int r0 = s_submit_json (fx, K_DE, s_inc_de, 1, "{\"type\":\"checks\",\"parcels\":1}");
    s_commit (fx, 1);
    s_expect_ack (fx, 0, r0, s_inc_de, 1, 1, 0);

    struct rlimit was, full;
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &was), 0);
    void (*old) (int) = signal (SIGXFSZ, SIG_IGN);
    full = was;
    full.rlim_cur = 8192;       /* LMDB's two meta pages, nothing beyond */
    jad_test_log_capture (JAD_LOG_NOTICE);
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &full), 0);
    long rc[3];
    int routes[3];
    for (int i = 0; i < 3; i++) {
        routes[i] = s_submit_json (fx, K_DE, s_inc_de, 2,
                                   "{\"type\":\"checks\",\"parcels\":2}");
        rc[i] = jad_ingest_commit (fx->ingest);
    }
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &was), 0);
    int r2 = s_submit_json (fx, K_DE, s_inc_de, 2, "{\"type\":\"checks\",\"parcels\":2}");
    long ok = jad_ingest_commit (fx->ingest);
    char *log = jad_test_log_release ();
    signal (SIGXFSZ, old);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (rc[i], -1);
        s_expect_error (fx, 1 + (size_t) i, routes[i], JAD_EUNAVAILABLE, "retry",
                        s_inc_de, 16, 2);
    }
    assert_int_equal (ok, 1);
    s_expect_ack (fx, 4, r2, s_inc_de, 2, 2, 0);
    if (jad_test_lines_with (log, "commits are failing") != 1
    ||  jad_test_lines_with (log, "journal:") != 2
    ||  jad_test_lines_with (log, "commits succeed again after 3 failed batches "
                           "(3 reports answered UNAVAILABLE") != 1)
        fail_msg ("log:\n%s", log);
    free (log);
}

/* ------------------------------------------------------------ main */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_batch_commit, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_dedupe, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_senders, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_targets, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_target_unreadable, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_signatures, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_identity_echoed, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_roster_change, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_journal_fails, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_sign_bytes_fail, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_batch_full, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_waiting, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_dedupe_damaged, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_commits_failing, jad_test_dir_setup,
                                         s_teardown),
    };
    if (sodium_init () < 0)
        return 1;
    /* The refusals are the point here: their warnings are noise. */
    jad_log_init ("test", JAD_LOG_ERROR);
    if (jad_test_keys_make (s_names, K_N, s_keys, &s_keydir) != 0) {
        jad_test_keys_free (s_keys, K_N, &s_keydir);
        return 1;
    }
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    jad_test_keys_free (s_keys, K_N, &s_keydir);
    return rc;
}
