/* Unit tests: agent/agent.c (with agent/window.c) — jad-agent's daemon as
 * a state machine on simulated time, without sockets: a real outbox and
 * mirror in a temporary directory, real keys, a hub played by the test
 * (its heartbeats, acks, errors, entries from real journals, checkpoints
 * and roster records signed with its key).  What the agent sends goes to
 * the config's `send` hook and is read back frame by frame.
 *
 *   - the window: 1,000 submits of 1,500 queued, sealed envelopes that
 *     verify with the agent's key; acks let as many more go; acks are
 *     committed (status.json, the outbox after the agent);
 *   - resends: the same bytes after 2 s, the wait doubling; an ack of a
 *     later report resends the earlier unanswered ones at once;
 *   - refusals: a final code naming a report moves it to `rejected`;
 *     UNAVAILABLE keeps it and resends later; an error naming no report
 *     changes nothing;
 *   - the mirror: catch-up answers and live entries land in DIR/mirror in
 *     order, with the hub's roster records and checkpoints;
 *   - the alarm: a chain that does not continue, a checkpoint not signed
 *     by the hub, a checkpoint whose head is not the mirror's, a hub whose
 *     head went behind a checkpoint it signed (also after a restart);
 *   - the mirror's own write failing (a full disk): said once as ours, and
 *     once when it succeeds again;
 *   - the operation: a hub of another operation is sent nothing. */
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
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "jad/envelope.h"
#include "jad/feed_client.h"
#include "jad/frame.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/outbox.h"
#include "jad/record.h"
#include "jad/report_json.h"
#include "jad/sign.h"
#include "jad/wire.h"
#include "../../agent/agent.h"
#include "../../agent/window.h"
#include "testutil.h"

static const uint8_t s_op[16] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};
static const uint8_t s_other_op[16] = { 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t s_inc_hub[16] = { 0x70, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7 };

enum { K_HUB, K_DE, K_OTHER, K_N };
static const char *s_names[K_N] = { "hub", "agent-de", "other" };
static char *s_keydir;              /* made once in main */
static jad_keys_t *s_keys[K_N];     /* with secrets */

#define T0  1000000                 /* simulated monotonic ms at the start */

/* ------------------------------------------------------------ the hook */

/* A frame the agent sent, decoded. */
typedef struct {
    int64_t  at;                    /* simulated time */
    int      kind;
    uint64_t seq;                   /* SUBMIT: the envelope's origin_seq */
    uint8_t *bytes;                 /* SUBMIT: the envelope (a copy) */
    size_t   len;
    uint64_t from_seq;              /* CATCHUP */
    uint32_t credit;
} s_sent_t;

typedef struct {
    char         dir[600];          /* the agent's data directory */
    char         path[700];         /* s_fx_path's answer */
    jad_agent_t *agent;
    uint8_t      inc[16];           /* the outbox's incarnation */
    int64_t      now;
    uint64_t     hub_head;          /* what the hub's heartbeats say */
    const uint8_t *hub_op;          /* ... and its operation */
    s_sent_t    *sent;
    size_t       n_sent, cap;
} s_fx_t;

static s_fx_t *s_fxs[8];            /* freed by the teardown */

static int
s_send_hook (void *arg, const uint8_t *buf, size_t len)
{
    s_fx_t *fx = arg;
    if (fx->n_sent == fx->cap) {
        fx->cap = fx->cap ? 2 * fx->cap : 4096;
        fx->sent = realloc (fx->sent, fx->cap * sizeof *fx->sent);
        assert_non_null (fx->sent);
    }
    s_sent_t *s = &fx->sent[fx->n_sent++];
    memset (s, 0, sizeof *s);
    s->at = fx->now;
    jad_frame_t f;
    char err[256];
    if (jad_frame_decode (buf, len, &f, err, sizeof err) != JAD_OK)
        fail_msg ("the agent sent a frame that does not decode: %s", err);
    s->kind = f.kind;
    if (f.kind == JAD_FRAME_SUBMIT) {
        jad_envelope_t env;
        if (jad_envelope_open (f.bytes, f.len, &env, err, sizeof err) != JAD_OK)
            fail_msg ("the agent sent an envelope that does not open: %s", err);
        s->seq = env.id.origin_seq;
        jad_envelope_clear (&env);
        s->bytes = malloc (f.len);
        assert_non_null (s->bytes);
        memcpy (s->bytes, f.bytes, f.len);
        s->len = f.len;
    }
    else
    if (f.kind == JAD_FRAME_CATCHUP) {
        s->from_seq = f.catchup.from_seq;
        s->credit = f.catchup.credit;
    }
    jad_frame_clear (&f);
    return 0;
}

/* ------------------------------------------------------------ fixture */

static const char *
s_fx_path (s_fx_t *fx, const char *name)
{
    snprintf (fx->path, sizeof fx->path, "%s/%s", fx->dir, name);
    return fx->path;
}

/* The packed Report of JSON.  Caller frees. */
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

/* A fixture in STATE's directory under NAME: an outbox holding N reports
 * (for operation OP when not NULL), no agent yet. */
static s_fx_t *
s_fx_new (void **state, const char *name, size_t n, const uint8_t *op)
{
    s_fx_t *fx = calloc (1, sizeof *fx);
    assert_non_null (fx);
    for (size_t i = 0; i < sizeof s_fxs / sizeof s_fxs[0]; i++)
        if (!s_fxs[i]) {
            s_fxs[i] = fx;
            break;
        }
    snprintf (fx->dir, sizeof fx->dir, "%s", jad_test_path (state, name));
    assert_int_equal (mkdir (fx->dir, 0700), 0);
    fx->now = T0;
    fx->hub_op = s_op;
    /* Filled before the agent opens it: one open per process. */
    char err[256];
    jad_outbox_t *ob = jad_outbox_open (s_fx_path (fx, "outbox"), JAD_OUTBOX_CREATE,
                                        err, sizeof err);
    if (!ob)
        fail_msg ("outbox: %s", err);
    assert_int_equal (jad_outbox_set_country (ob, "DE", err, sizeof err), 0);
    if (op)
        assert_int_equal (jad_outbox_set_operation (ob, op, err, sizeof err), 0);
    memcpy (fx->inc, jad_outbox_incarnation (ob), 16);
    jad_outbox_item_t *items = calloc (n ? n : 1, sizeof *items);
    uint8_t **reports = calloc (n ? n : 1, sizeof *reports);
    assert_true (items && reports);
    for (size_t i = 0; i < n; i++) {
        char json[128];
        snprintf (json, sizeof json, "{\"type\":\"checks\",\"parcels\":%zu}", i + 1);
        reports[i] = s_report (json, &items[i].report_len);
        items[i].report = reports[i];
        items[i].event_time_ms = 1605510000000 + (int64_t) i;
    }
    if (n && jad_outbox_submit_batch (ob, items, n, err, sizeof err) != 0)
        fail_msg ("outbox: %s", err);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal (items[i].status, JAD_OUTBOX_ACCEPTED);
        assert_int_equal (items[i].origin_seq, i + 1);
        free (reports[i]);
    }
    free (items);
    free (reports);
    jad_outbox_destroy (&ob);
    return fx;
}

static void
s_fx_free (s_fx_t **fx_p)
{
    s_fx_t *fx = *fx_p;
    if (!fx)
        return;
    jad_agent_destroy (&fx->agent);
    for (size_t i = 0; i < fx->n_sent; i++)
        free (fx->sent[i].bytes);
    free (fx->sent);
    free (fx);
    *fx_p = NULL;
}

static int
s_teardown (void **state)
{
    for (size_t i = 0; i < sizeof s_fxs / sizeof s_fxs[0]; i++)
        s_fx_free (&s_fxs[i]);
    return jad_test_dir_teardown (state);
}

/* Deliver BUF (freed here) as from the feed or the DEALER, now. */
static void
s_input (s_fx_t *fx, uint8_t *buf, size_t len, int from_feed)
{
    assert_non_null (buf);
    jad_agent_input (fx->agent, buf, len, from_feed, fx->now);
    free (buf);
}

/* The hub's heartbeat on the DEALER (its answer to ours). */
static void
s_heartbeat (s_fx_t *fx)
{
    jad_heartbeat_t hb = {
        .has_head = 1, .head_seq = fx->hub_head, .has_time = 1,
        .time_ms = 1605510000000, .has_epoch = 1, .epoch = 0,
        .operation_id = fx->hub_op
    };
    size_t len;
    uint8_t *buf = jad_frame_heartbeat (&hb, &len);
    s_input (fx, buf, len, 0);
}

static void
s_step (s_fx_t *fx)
{
    jad_agent_step (fx->agent, fx->now);
}

/* Start the agent: the feed's welcome, the hub's heartbeat, one turn.
 * The catch-up it then asks is answered "nothing more" when the hub's
 * head is 0 (ANSWER). */
static void
s_start (s_fx_t *fx, int answer)
{
    char err[512], key[1024], hub[1024];
    snprintf (key, sizeof key, "%s/agent-de.secret", s_keydir);
    snprintf (hub, sizeof hub, "%s/hub.pub", s_keydir);
    jad_agent_config_t cfg = {
        .data_dir = fx->dir, .country = "DE", .key_file = key,
        .hub_key_file = hub, .send = s_send_hook, .send_arg = fx
    };
    fx->agent = jad_agent_new (&cfg, err, sizeof err);
    if (!fx->agent)
        fail_msg ("agent: %s", err);
    assert_string_equal (jad_agent_alarm (fx->agent), "");
    static const uint8_t welcome[1];
    jad_agent_input (fx->agent, welcome, 0, 1, fx->now);    /* the XPUB's */
    s_heartbeat (fx);
    s_step (fx);
    if (answer) {
        size_t len;
        uint8_t *buf = jad_frame_catchup_end (fx->hub_head, 0, &len);
        s_input (fx, buf, len, 0);
    }
}

/* Run the agent on simulated time up to UNTIL, a turn every 100 ms and
 * the hub's heartbeat every second (a hub that answers, not one that
 * went silent). */
static void
s_run (s_fx_t *fx, int64_t until)
{
    while (fx->now < until) {
        fx->now += 100;
        if (fx->now % 1000 == 0)
            s_heartbeat (fx);
        s_step (fx);
    }
}

/* Submits sent since index FROM of the log: their number; the origin_seq
 * of each into SEQS (when not NULL, up to MAX). */
static size_t
s_submits (const s_fx_t *fx, size_t from, uint64_t *seqs, size_t max)
{
    size_t n = 0;
    for (size_t i = from; i < fx->n_sent; i++)
        if (fx->sent[i].kind == JAD_FRAME_SUBMIT) {
            if (seqs && n < max)
                seqs[n] = fx->sent[i].seq;
            n++;
        }
    return n;
}

/* The times at which report SEQ was sent, into AT (up to MAX); their
 * number.  Every send of it carries the same bytes. */
static size_t
s_sends_of (const s_fx_t *fx, uint64_t seq, int64_t *at, size_t max)
{
    size_t n = 0;
    const s_sent_t *first = NULL;
    for (size_t i = 0; i < fx->n_sent; i++) {
        const s_sent_t *s = &fx->sent[i];
        if (s->kind != JAD_FRAME_SUBMIT || s->seq != seq)
            continue;
        if (!first)
            first = s;
        else {
            assert_int_equal (s->len, first->len);
            assert_memory_equal (s->bytes, first->bytes, s->len);
        }
        if (n < max)
            at[n] = s->at;
        n++;
    }
    return n;
}

static void
s_ack (s_fx_t *fx, uint64_t seq, uint64_t hub_seq)
{
    size_t len;
    uint8_t *buf = jad_frame_ack (fx->inc, seq, hub_seq, 0, &len);
    s_input (fx, buf, len, 0);
}

/* An ErrorReply CODE about (INC, SEQ), or about no report (INC NULL). */
static void
s_error (s_fx_t *fx, jad_err_t code, const uint8_t *inc, uint64_t seq)
{
    jad_ident_t ident = { 0 };
    if (inc) {
        ident.has_incarnation = 1;
        memcpy (ident.incarnation, inc, 16);
        ident.incarnation_len = 16;
        ident.has_origin_seq = 1;
        ident.origin_seq = seq;
    }
    size_t len;
    uint8_t *buf = jad_frame_error (code, "as the test says", inc ? &ident : NULL,
                                    &len);
    s_input (fx, buf, len, 0);
}

/* Field NAME of FX's status.json as a number: an integer's value, 0 for
 * null, 1 for anything else (the alarm's text). */
static int64_t
s_status (s_fx_t *fx, const char *name)
{
    json_error_t jerr;
    json_t *root = json_load_file (s_fx_path (fx, "status.json"), 0, &jerr);
    if (!root)
        fail_msg ("status.json: %s", jerr.text);
    json_t *v = json_object_get (root, name);
    assert_non_null (v);
    int64_t value = json_is_null (v) ? 0
                  : json_is_integer (v) ? (int64_t) json_integer_value (v) : 1;
    json_decref (root);
    return value;
}

/* The outbox's statistics, read after the agent is gone. */
static void
s_outbox_stats (s_fx_t *fx, jad_outbox_stats_t *st)
{
    char err[256];
    jad_agent_destroy (&fx->agent);
    jad_outbox_t *ob = jad_outbox_open (s_fx_path (fx, "outbox"), JAD_OUTBOX_RDONLY,
                                        err, sizeof err);
    if (!ob)
        fail_msg ("outbox: %s", err);
    assert_int_equal (jad_outbox_stats (ob, st), 0);
    jad_outbox_destroy (&ob);
}

/* ------------------------------------------------------------ hub side */

/* A hub's journal at PATH with N entries (reports whose contents depend
 * on SALT: journals of different SALT differ from entry 1), the entries'
 * bytes into ENTRIES/LENS (caller frees each).  Kept open (caller
 * destroys). */
static jad_journal_t *
s_hub_journal (const char *path, size_t n, int salt, uint8_t **entries,
               size_t *lens)
{
    char err[256];
    jad_journal_t *j = jad_journal_open (path, JAD_JOURNAL_CREATE, err, sizeof err);
    if (!j)
        fail_msg ("journal: %s", err);
    jad_journal_meta_t m;
    memset (&m, 0, sizeof m);
    memcpy (m.id, s_op, 16);
    snprintf (m.name, sizeof m.name, "Test Operation");
    assert_int_equal (jad_journal_meta_set (j, &m), 0);
    for (size_t i = 0; i < n; i++) {
        char json[128];
        snprintf (json, sizeof json, "{\"type\":\"deployment\",\"officers\":%d}",
                  salt * 100 + (int) i + 1);
        size_t rlen, elen;
        uint8_t *report = s_report (json, &rlen);
        jad_envelope_id_t id = { s_op, "agent-de", s_inc_hub, i + 1 };
        uint8_t *env = jad_envelope_seal (&id, 1605510000000, report, rlen,
                                          s_keys[K_DE], &elen, err, sizeof err);
        assert_non_null (env);
        jad_journal_item_t it = {
            .origin = "agent-de", .incarnation = s_inc_hub, .origin_seq = i + 1,
            .envelope = env, .envelope_len = elen,
            .received_ms = 1605510001000 + (int64_t) i, .keep_entry = 1
        };
        if (jad_journal_append (j, &it, 1, err, sizeof err) != 0)
            fail_msg ("append: %s", err);
        assert_int_equal (it.status, JAD_JOURNAL_NEW);
        assert_int_equal (it.hub_seq, i + 1);
        entries[i] = it.entry;
        lens[i] = it.entry_len;
        free (env);
        free (report);
    }
    return j;
}

static void
s_entry (s_fx_t *fx, const uint8_t *entry, size_t len, int from_feed)
{
    size_t flen;
    uint8_t *buf = jad_frame_bytes (JAD_FRAME_ENTRY, entry, len, &flen);
    s_input (fx, buf, flen, from_feed);
}

/* A checkpoint of SEQ with HEAD_HASH signed by key K, sent on the feed
 * or the DEALER. */
static void
s_checkpoint (s_fx_t *fx, int k, uint64_t seq, const uint8_t *head_hash,
              int from_feed)
{
    size_t len, flen;
    uint8_t *cp = jad_checkpoint_make (s_keys[k], s_op, seq, head_hash,
                                       1605510009000, &len);
    assert_non_null (cp);
    uint8_t *buf = jad_frame_bytes (JAD_FRAME_CHECKPOINT, cp, len, &flen);
    free (cp);
    s_input (fx, buf, flen, from_feed);
}

/* A roster record governing from EFFECTIVE, signed by key K. */
static void
s_roster_record (s_fx_t *fx, int k, uint64_t effective, int from_feed)
{
    char text[1024];
    int n = snprintf (text, sizeof text,
                      "operation     Test Operation\n"
                      "operation_id  00112233445566778899aabbccddeeff\n"
                      "start         2020-11-16T00:00:00Z\n"
                      "end           2020-11-22T00:00:00Z\n"
                      "# effective from %llu\n", (unsigned long long) effective);
    size_t len, flen;
    uint8_t *rec = jad_roster_record_make (s_keys[k], s_op, effective, text,
                                           (size_t) n, 1605510000000, &len);
    assert_non_null (rec);
    uint8_t *buf = jad_frame_bytes (JAD_FRAME_ROSTER, rec, len, &flen);
    free (rec);
    s_input (fx, buf, flen, from_feed);
}

/* ------------------------------------------------------------ tests */

/* 1,500 queued: the window sends 1,000, sealed and signed by the agent;
 * every ack lets one more go; acks are committed. */
static void
test_window (void **state)
{
    s_fx_t *fx = s_fx_new (state, "a", 1500, NULL);
    s_start (fx, 1);
    uint64_t *seqs = calloc (2000, sizeof *seqs);
    assert_non_null (seqs);
    assert_int_equal (s_submits (fx, 0, seqs, 2000), JAD_WINDOW_MAX);
    for (size_t i = 0; i < JAD_WINDOW_MAX; i++)
        assert_int_equal (seqs[i], i + 1);
    /* Each is an envelope of ours, for the hub's operation, that verifies
     * with our key. */
    size_t checked = 0;
    for (size_t i = 0; i < fx->n_sent; i++) {
        const s_sent_t *s = &fx->sent[i];
        if (s->kind != JAD_FRAME_SUBMIT)
            continue;
        jad_envelope_t env;
        char err[256];
        assert_int_equal (jad_envelope_open (s->bytes, s->len, &env, err, sizeof err),
                          JAD_OK);
        assert_string_equal (env.id.origin, "agent-de");
        assert_memory_equal (env.id.operation_id, s_op, 16);
        assert_memory_equal (env.id.incarnation, fx->inc, 16);
        assert_int_equal (env.event_time_ms, 1605510000000 + (int64_t) env.id.origin_seq - 1);
        if (jad_envelope_verify (&env, jad_keys_sign_public (s_keys[K_DE]),
                                 jad_keys_key_id (s_keys[K_DE]), err, sizeof err) != JAD_OK)
            fail_msg ("origin_seq %llu: %s", (unsigned long long) env.id.origin_seq, err);
        jad_envelope_clear (&env);
        checked++;
    }
    assert_int_equal (checked, JAD_WINDOW_MAX);

    /* Full: a turn later, nothing more. */
    size_t mark = fx->n_sent;
    fx->now += 100;
    s_step (fx);
    assert_int_equal (s_submits (fx, mark, NULL, 0), 0);

    /* Ten acks: ten more, the next ones in order. */
    fx->now += 100;
    for (uint64_t seq = 1; seq <= 10; seq++)
        s_ack (fx, seq, seq);
    mark = fx->n_sent;
    s_step (fx);
    assert_int_equal (s_submits (fx, mark, seqs, 2000), 10);
    for (size_t i = 0; i < 10; i++)
        assert_int_equal (seqs[i], JAD_WINDOW_MAX + 1 + i);
    mark = fx->n_sent;
    fx->now += 100;
    s_step (fx);
    assert_int_equal (s_submits (fx, mark, NULL, 0), 0);

    /* status.json, rewritten each second, counts them. */
    s_run (fx, T0 + 1000);
    assert_int_equal (s_status (fx, "outbox_depth"), 1490);
    assert_int_equal (s_status (fx, "last_acked"), 10);
    assert_int_equal (s_status (fx, "last_acked_hub_seq"), 10);
    assert_int_equal (s_status (fx, "rejected"), 0);
    jad_outbox_stats_t st;
    s_outbox_stats (fx, &st);
    assert_int_equal (st.depth, 1490);
    assert_int_equal (st.acked, 10);
    assert_int_equal (st.last_acked, 10);
    assert_int_equal (st.next_seq, 1501);
    assert_true (st.has_operation);
    assert_memory_equal (st.operation_id, s_op, 16);
    free (seqs);
}

/* No answer: the same bytes again after 2 s, then after a wait that
 * doubles each time (RFC 6298 5.5, 5.6). */
static void
test_resend_backoff (void **state)
{
    s_fx_t *fx = s_fx_new (state, "a", 3, NULL);
    s_start (fx, 1);
    assert_int_equal (s_submits (fx, 0, NULL, 0), 3);
    s_run (fx, T0 + 15000);
    for (uint64_t seq = 1; seq <= 3; seq++) {
        int64_t at[8];
        size_t n = s_sends_of (fx, seq, at, 8);
        assert_int_equal (n, 4);
        assert_int_equal (at[0], T0);
        assert_int_equal (at[1] - at[0], 2000);
        assert_int_equal (at[2] - at[1], 4000);
        assert_int_equal (at[3] - at[2], 8000);
    }
}

/* One connection delivers in order: an ack of a report sent later shows
 * the earlier unanswered ones lost, and they go again at once — also
 * those sent in the same turn as the acked one — with the same bytes and
 * no backing off. */
static void
test_resend_fast (void **state)
{
    s_fx_t *fx = s_fx_new (state, "a", 3, NULL);
    s_start (fx, 1);
    assert_int_equal (s_submits (fx, 0, NULL, 0), 3);
    s_run (fx, T0 + 500);
    size_t mark = fx->n_sent;
    s_ack (fx, 3, 1);
    fx->now += 100;
    s_step (fx);
    uint64_t seqs[8];
    assert_int_equal (s_submits (fx, mark, seqs, 8), 2);
    assert_int_equal (seqs[0], 1);
    assert_int_equal (seqs[1], 2);
    /* Their next wait is the measured one (never under 2 s), not
     * doubled. */
    s_run (fx, T0 + 10000);
    for (uint64_t seq = 1; seq <= 2; seq++) {
        int64_t at[8];
        size_t n = s_sends_of (fx, seq, at, 8);
        assert_true (n >= 3);
        assert_int_equal (at[1], T0 + 600);
        assert_int_equal (at[2] - at[1], 2000);
    }
    int64_t at[8];
    assert_int_equal (s_sends_of (fx, 3, at, 8), 1);
}

typedef struct {
    uint64_t seq;
    uint32_t code;
    char     message[64];
} s_rejected_t;

static int
s_rejected_fn (void *arg, uint64_t origin_seq, uint32_t code, const char *message)
{
    s_rejected_t *r = arg;
    r->seq = origin_seq;
    r->code = code;
    snprintf (r->message, sizeof r->message, "%s", message);
    return 0;
}

/* A final refusal naming a report moves it to `rejected`; UNAVAILABLE
 * keeps it and it is resent later; an error naming no report (or a
 * report of another incarnation) changes nothing. */
static void
test_refusals (void **state)
{
    s_fx_t *fx = s_fx_new (state, "a", 3, NULL);
    s_start (fx, 1);
    assert_int_equal (s_submits (fx, 0, NULL, 0), 3);
    s_run (fx, T0 + 500);
    s_error (fx, JAD_EMALFORMED, fx->inc, 2);
    s_error (fx, JAD_EUNAVAILABLE, fx->inc, 3);
    s_error (fx, JAD_EMALFORMED, NULL, 0);
    uint8_t other[16];
    memcpy (other, fx->inc, 16);
    other[0] ^= 0xff;
    s_error (fx, JAD_EMALFORMED, other, 1);
    s_run (fx, T0 + 12000);

    /* 2: sent once and never again.  3: resent, not before the wait. */
    int64_t at[16];
    assert_int_equal (s_sends_of (fx, 2, at, 16), 1);
    size_t n3 = s_sends_of (fx, 3, at, 16);
    assert_true (n3 >= 2);
    assert_true (at[1] >= T0 + 500 + JAD_WINDOW_RTO_MIN);
    assert_true (s_sends_of (fx, 1, at, 16) >= 2);
    assert_int_equal (s_status (fx, "rejected"), 1);
    assert_int_equal (s_status (fx, "outbox_depth"), 2);

    jad_outbox_stats_t st;
    s_outbox_stats (fx, &st);
    assert_int_equal (st.depth, 2);
    assert_int_equal (st.rejected, 1);
    assert_int_equal (st.acked, 0);
    char err[256];
    jad_outbox_t *ob = jad_outbox_open (s_fx_path (fx, "outbox"), JAD_OUTBOX_RDONLY,
                                        err, sizeof err);
    assert_non_null (ob);
    s_rejected_t rej = { 0 };
    assert_int_equal (jad_outbox_rejected_scan (ob, 10, s_rejected_fn, &rej), 1);
    jad_outbox_destroy (&ob);
    assert_int_equal (rej.seq, 2);
    assert_int_equal (rej.code, JAD_EMALFORMED);
    assert_string_equal (rej.message, "as the test says");
}

/* The last catch-up request the agent sent (fails if none). */
static const s_sent_t *
s_last_catchup (const s_fx_t *fx)
{
    for (size_t i = fx->n_sent; i-- > 0;)
        if (fx->sent[i].kind == JAD_FRAME_CATCHUP)
            return &fx->sent[i];
    fail_msg ("no catch-up asked");
    return NULL;
}

static size_t
s_count (const s_fx_t *fx, int kind)
{
    size_t n = 0;
    for (size_t i = 0; i < fx->n_sent; i++)
        n += fx->sent[i].kind == kind;
    return n;
}

static void
s_catchup_end (s_fx_t *fx, uint64_t head, int more)
{
    size_t len;
    uint8_t *buf = jad_frame_catchup_end (head, more, &len);
    s_input (fx, buf, len, 0);
}

/* Start FX's agent with the hub at HEAD and answer its catch-up with
 * entries 1..HEAD of ENTRIES. */
static void
s_start_mirrored (s_fx_t *fx, uint64_t head, uint8_t **entries, size_t *lens)
{
    fx->hub_head = head;
    s_start (fx, 0);
    const s_sent_t *c = s_last_catchup (fx);
    assert_int_equal (c->from_seq, 1);
    fx->now += 100;
    for (uint64_t seq = 1; seq <= head; seq++)
        s_entry (fx, entries[seq - 1], lens[seq - 1], 0);
    s_catchup_end (fx, head, 0);
    s_step (fx);
    assert_int_equal (jad_agent_mirror_head (fx->agent), head);
}

/* A catch-up answer (the roster in force, entries, a checkpoint) and then
 * live entries and a checkpoint land in DIR/mirror, in order, as sent. */
static void
test_mirror (void **state)
{
    uint8_t *e[6], hash[JAD_HASH_BYTES];
    size_t l[6];
    jad_journal_t *hj = s_hub_journal (jad_test_path (state, "hub"), 6, 0, e, l);
    s_fx_t *fx = s_fx_new (state, "a", 0, NULL);
    fx->hub_head = 4;
    s_start (fx, 0);
    const s_sent_t *c = s_last_catchup (fx);
    assert_int_equal (c->from_seq, 1);
    assert_int_equal (c->credit, JAD_FEED_CLIENT_CREDIT);
    assert_int_equal (jad_agent_mirror_head (fx->agent), 0);

    /* The answer, on the DEALER. */
    fx->now += 100;
    s_roster_record (fx, K_HUB, 1, 0);
    for (int i = 0; i < 4; i++)
        s_entry (fx, e[i], l[i], 0);
    assert_int_equal (jad_journal_hash (hj, 3, hash), 1);
    s_checkpoint (fx, K_HUB, 3, hash, 0);
    s_catchup_end (fx, 4, 0);
    s_step (fx);
    assert_int_equal (jad_agent_mirror_head (fx->agent), 4);

    /* Live, on the feed. */
    fx->now += 100;
    fx->hub_head = 6;
    s_entry (fx, e[4], l[4], 1);
    s_entry (fx, e[5], l[5], 1);
    assert_int_equal (jad_journal_hash (hj, 6, hash), 1);
    s_checkpoint (fx, K_HUB, 6, hash, 1);
    s_step (fx);
    assert_int_equal (jad_agent_mirror_head (fx->agent), 6);
    s_run (fx, T0 + 3000);
    assert_string_equal (jad_agent_alarm (fx->agent), "");
    assert_int_equal (s_status (fx, "mirror_seq"), 6);
    assert_int_equal (s_status (fx, "checkpoint"), 6);
    assert_int_equal (s_status (fx, "alarm"), 0);
    assert_int_equal (s_count (fx, JAD_FRAME_CATCHUP), 1);   /* caught up */

    /* The mirror holds the hub's bytes, and its records. */
    jad_agent_destroy (&fx->agent);
    char err[256];
    jad_journal_t *m = jad_journal_open (s_fx_path (fx, "mirror"), JAD_JOURNAL_RDONLY,
                                         err, sizeof err);
    if (!m)
        fail_msg ("mirror: %s", err);
    uint64_t head = 0, key = 0;
    assert_int_equal (jad_journal_head (m, &head), 0);
    assert_int_equal (head, 6);
    for (uint64_t seq = 1; seq <= 6; seq++) {
        uint8_t *buf;
        size_t len;
        assert_int_equal (jad_journal_get (m, seq, &buf, &len), 1);
        assert_int_equal (len, l[seq - 1]);
        assert_memory_equal (buf, e[seq - 1], len);
        free (buf);
    }
    assert_int_equal (jad_journal_record_last (m, JAD_JOURNAL_CHECKPOINTS, &key), 0);
    assert_int_equal (key, 6);
    assert_int_equal (jad_journal_record_floor (m, JAD_JOURNAL_CHECKPOINTS, 5, &key), 1);
    assert_int_equal (key, 3);
    assert_int_equal (jad_journal_record_last (m, JAD_JOURNAL_ROSTERS, &key), 0);
    assert_int_equal (key, 1);
    jad_journal_meta_t meta;
    assert_int_equal (jad_journal_meta_get (m, &meta), 0);
    assert_true (meta.has);
    assert_memory_equal (meta.id, s_op, 16);
    jad_journal_destroy (&m);
    jad_journal_destroy (&hj);
    for (int i = 0; i < 6; i++)
        free (e[i]);
}

/* A live entry that does not continue the mirror's chain (another
 * journal's entry 4): the alarm, and the mirror keeps its head. */
static void
test_alarm_chain (void **state)
{
    uint8_t *a[4], *b[4];
    size_t al[4], bl[4];
    jad_journal_t *ja = s_hub_journal (jad_test_path (state, "hub-a"), 4, 0, a, al);
    jad_journal_t *jb = s_hub_journal (jad_test_path (state, "hub-b"), 4, 1, b, bl);
    s_fx_t *fx = s_fx_new (state, "a", 0, NULL);
    s_start_mirrored (fx, 3, a, al);
    fx->now += 100;
    fx->hub_head = 4;
    s_entry (fx, b[3], bl[3], 1);
    s_step (fx);
    assert_non_null (strstr (jad_agent_alarm (fx->agent), "chain"));
    assert_int_equal (jad_agent_mirror_head (fx->agent), 3);
    s_run (fx, T0 + 2000);
    assert_int_equal (s_status (fx, "alarm"), 1);
    /* The true entry 4 still chains: the mirror goes on, the alarm stays. */
    s_entry (fx, a[3], al[3], 1);
    s_run (fx, T0 + 9000);
    assert_int_equal (jad_agent_mirror_head (fx->agent), 4);
    assert_non_null (strstr (jad_agent_alarm (fx->agent), "chain"));
    jad_journal_destroy (&ja);
    jad_journal_destroy (&jb);
    for (int i = 0; i < 4; i++) {
        free (a[i]);
        free (b[i]);
    }
}

/* Checkpoints and roster records: one not signed by the hub, one whose
 * head is not the mirror's entry, each an alarm; valid ones none, and
 * status.json's checkpoint moves (also for a checkpoint that arrives
 * before its entry). */
static void
test_alarm_records (void **state)
{
    uint8_t *e[4], hash[JAD_HASH_BYTES], hash2[JAD_HASH_BYTES];
    size_t l[4];
    jad_journal_t *hj = s_hub_journal (jad_test_path (state, "hub"), 4, 0, e, l);
    assert_int_equal (jad_journal_hash (hj, 3, hash), 1);
    assert_int_equal (jad_journal_hash (hj, 2, hash2), 1);

    /* Signed by another key. */
    s_fx_t *fx = s_fx_new (state, "a", 0, NULL);
    s_start_mirrored (fx, 3, e, l);
    s_checkpoint (fx, K_OTHER, 3, hash, 1);
    s_step (fx);
    assert_non_null (strstr (jad_agent_alarm (fx->agent), "signature"));
    assert_non_null (strstr (jad_agent_alarm (fx->agent), "checkpoint 3"));

    /* The hub's signature over a head that is not the mirror's. */
    fx = s_fx_new (state, "b", 0, NULL);
    s_start_mirrored (fx, 3, e, l);
    s_checkpoint (fx, K_HUB, 3, hash2, 1);
    s_step (fx);
    assert_non_null (strstr (jad_agent_alarm (fx->agent), "checkpoint 3"));
    assert_non_null (strstr (jad_agent_alarm (fx->agent), "does not match"));

    /* A roster record not signed by the hub. */
    fx = s_fx_new (state, "c", 0, NULL);
    s_start_mirrored (fx, 3, e, l);
    s_roster_record (fx, K_OTHER, 4, 1);
    s_step (fx);
    assert_non_null (strstr (jad_agent_alarm (fx->agent), "roster"));
    assert_non_null (strstr (jad_agent_alarm (fx->agent), "signature"));

    /* Valid: no alarm, and the checkpoint is counted once verified. */
    fx = s_fx_new (state, "d", 0, NULL);
    s_start_mirrored (fx, 3, e, l);
    s_run (fx, T0 + 1000);
    assert_int_equal (s_status (fx, "checkpoint"), 0);
    s_roster_record (fx, K_HUB, 4, 1);
    s_checkpoint (fx, K_HUB, 3, hash, 1);
    s_run (fx, T0 + 2000);
    assert_string_equal (jad_agent_alarm (fx->agent), "");
    assert_int_equal (s_status (fx, "checkpoint"), 3);
    assert_int_equal (s_status (fx, "alarm"), 0);
    /* Checkpoint 4 before entry 4: it waits for its entry. */
    assert_int_equal (jad_journal_hash (hj, 4, hash), 1);
    s_checkpoint (fx, K_HUB, 4, hash, 1);
    s_run (fx, T0 + 3000);
    assert_int_equal (s_status (fx, "checkpoint"), 3);
    fx->hub_head = 4;
    s_entry (fx, e[3], l[3], 1);
    s_run (fx, T0 + 4000);
    assert_int_equal (jad_agent_mirror_head (fx->agent), 4);
    assert_int_equal (s_status (fx, "checkpoint"), 4);
    assert_string_equal (jad_agent_alarm (fx->agent), "");
    jad_journal_destroy (&hj);
    for (int i = 0; i < 4; i++)
        free (e[i]);
}

/* The hub runs another operation than the outbox's: nothing is sent, no
 * catch-up asked.  A hub that changes its operation after reports went
 * out gets nothing more either, resends included. */
static void
test_operation (void **state)
{
    s_fx_t *fx = s_fx_new (state, "a", 3, s_op);
    fx->hub_op = s_other_op;
    s_start (fx, 0);
    s_run (fx, T0 + 5000);
    assert_int_equal (s_submits (fx, 0, NULL, 0), 0);
    assert_int_equal (s_count (fx, JAD_FRAME_CATCHUP), 0);
    assert_true (s_count (fx, JAD_FRAME_HEARTBEAT) >= 5);     /* still alive */
    jad_outbox_stats_t st;
    s_outbox_stats (fx, &st);
    assert_int_equal (st.depth, 3);
    assert_memory_equal (st.operation_id, s_op, 16);

    fx = s_fx_new (state, "b", 3, NULL);
    s_start (fx, 1);
    assert_int_equal (s_submits (fx, 0, NULL, 0), 3);
    fx->hub_op = s_other_op;
    s_run (fx, T0 + 15000);
    assert_int_equal (s_submits (fx, 0, NULL, 0), 3);
}

/* ------------------------------------------------------------ logs */

/* The hub's heartbeat with HEAD at hub time TIME_MS, on the feed or the
 * DEALER. */
static void
s_heartbeat_at (s_fx_t *fx, uint64_t head, int64_t time_ms, int from_feed)
{
    jad_heartbeat_t hb = {
        .has_head = 1, .head_seq = head, .has_time = 1, .time_ms = time_ms,
        .has_epoch = 1, .epoch = 0, .operation_id = fx->hub_op
    };
    size_t len;
    uint8_t *buf = jad_frame_heartbeat (&hb, &len);
    s_input (fx, buf, len, from_feed);
}

/* A hub whose head falls behind a checkpoint it signed earlier (restored
 * from an old copy, its journal cut short) has lost entries it vouched
 * for: the alarm, once — but only on a heartbeat made after that
 * checkpoint (by the hub's clock): one made before it may arrive after
 * it.  A restarted agent holds the hub to the checkpoint its mirror keeps. */
static void
test_alarm_head_behind (void **state)
{
    uint8_t *e[4], hash[JAD_HASH_BYTES];
    size_t l[4];
    const int64_t cp_time = 1605510009000;      /* s_checkpoint's */
    jad_journal_t *hj = s_hub_journal (jad_test_path (state, "hub"), 4, 0, e, l);
    s_fx_t *fx = s_fx_new (state, "a", 0, NULL);
    s_start_mirrored (fx, 4, e, l);
    assert_int_equal (jad_journal_hash (hj, 3, hash), 1);
    s_checkpoint (fx, K_HUB, 3, hash, 1);
    s_run (fx, T0 + 1000);
    assert_int_equal (s_status (fx, "checkpoint"), 3);
    assert_string_equal (jad_agent_alarm (fx->agent), "");

    jad_test_log_capture (JAD_LOG_ERROR);
    /* Head 2, but said before the checkpoint was signed: nothing. */
    s_heartbeat_at (fx, 2, cp_time - 1, 0);
    s_heartbeat_at (fx, 2, cp_time, 1);
    const char *before = jad_agent_alarm (fx->agent);
    int quiet = before[0] == '\0';
    /* Said after it: entries 3.. are gone from the hub. */
    s_heartbeat_at (fx, 2, cp_time + 1000, 1);
    s_heartbeat_at (fx, 2, cp_time + 2000, 0);
    s_heartbeat_at (fx, 1, cp_time + 3000, 1);
    fx->now += 100;
    s_step (fx);
    char *log = jad_test_log_release ();
    assert_true (quiet);
    assert_string_equal (jad_agent_alarm (fx->agent),
                         "the hub's head 2 is behind checkpoint 3 it signed "
                         "earlier: entries 3..3 are gone from the hub");
    if (jad_test_lines_with (log, "ALARM: the hub's head") != 1)
        fail_msg ("log:\n%s", log);
    free (log);
    s_run (fx, T0 + 3000);
    assert_int_equal (s_status (fx, "alarm"), 1);

    /* Restarted: the checkpoint its mirror keeps is held against the hub
     * at once. */
    jad_agent_destroy (&fx->agent);
    fx->hub_head = 1;
    s_start (fx, 0);
    assert_string_equal (jad_agent_alarm (fx->agent), "");
    s_run (fx, fx->now + 1000);
    assert_int_equal (s_status (fx, "checkpoint"), 3);
    s_heartbeat_at (fx, 1, cp_time + 5000, 1);
    assert_non_null (strstr (jad_agent_alarm (fx->agent),
                             "the hub's head 1 is behind checkpoint 3"));

    /* A hub at or past its checkpoints: never. */
    fx = s_fx_new (state, "b", 0, NULL);
    s_start_mirrored (fx, 4, e, l);
    s_checkpoint (fx, K_HUB, 3, hash, 1);
    s_heartbeat_at (fx, 3, cp_time + 1000, 1);
    s_heartbeat_at (fx, 4, cp_time + 2000, 0);
    s_run (fx, T0 + 2000);
    assert_string_equal (jad_agent_alarm (fx->agent), "");
    jad_journal_destroy (&hj);
    for (int i = 0; i < 4; i++)
        free (e[i]);
}

/* The mirror's own write fails (a full disk: here writes past the file
 * size limit): said once as what it is — our write, not the hub's doing —
 * and once when writes succeed again, with how many failed; the rest of
 * the catch-up answer it overtook is dropped in one line that says why.
 * Then the mirror catches up. */
static void
test_mirror_write_fails (void **state)
{
    uint8_t *e[4], hash[JAD_HASH_BYTES];
    size_t l[4];
    jad_journal_t *hj = s_hub_journal (jad_test_path (state, "hub"), 4, 0, e, l);
    assert_int_equal (jad_journal_hash (hj, 2, hash), 1);
    s_fx_t *fx = s_fx_new (state, "a", 0, NULL);
    fx->hub_head = 4;
    s_start (fx, 0);
    assert_int_equal (s_last_catchup (fx)->from_seq, 1);

    struct rlimit was, full;
    assert_int_equal (getrlimit (RLIMIT_FSIZE, &was), 0);
    void (*old) (int) = signal (SIGXFSZ, SIG_IGN);
    full = was;
    full.rlim_cur = 8192;       /* LMDB's two meta pages, nothing beyond */
    jad_test_log_capture (JAD_LOG_INFO);
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &full), 0);
    /* The answer: a checkpoint after entry 2 commits the mirror, which
     * fails; entries 3 and 4 are the rest of an overtaken answer. */
    fx->now += 100;
    s_entry (fx, e[0], l[0], 0);
    s_entry (fx, e[1], l[1], 0);
    s_checkpoint (fx, K_HUB, 2, hash, 0);
    s_entry (fx, e[2], l[2], 0);
    s_entry (fx, e[3], l[3], 0);
    s_catchup_end (fx, 4, 0);
    s_step (fx);
    uint64_t head1 = jad_agent_mirror_head (fx->agent);
    /* Asked again 5 s later: fails again. */
    size_t asked = s_count (fx, JAD_FRAME_CATCHUP);
    s_run (fx, fx->now + 5200);
    size_t asked2 = s_count (fx, JAD_FRAME_CATCHUP);
    for (int i = 0; i < 4; i++)
        s_entry (fx, e[i], l[i], 0);
    s_catchup_end (fx, 4, 0);
    s_step (fx);
    uint64_t head2 = jad_agent_mirror_head (fx->agent);
    assert_int_equal (setrlimit (RLIMIT_FSIZE, &was), 0);
    signal (SIGXFSZ, old);
    /* Room again: the next catch-up is kept. */
    s_run (fx, fx->now + 5200);
    size_t asked3 = s_count (fx, JAD_FRAME_CATCHUP);
    for (int i = 0; i < 4; i++)
        s_entry (fx, e[i], l[i], 0);
    s_catchup_end (fx, 4, 0);
    s_step (fx);
    char *log = jad_test_log_release ();
    assert_int_equal (head1, 0);
    assert_int_equal (head2, 0);
    assert_int_equal (asked2, asked + 1);
    assert_int_equal (asked3, asked2 + 1);
    assert_int_equal (jad_agent_mirror_head (fx->agent), 4);
    if (jad_test_lines_with (log, "mirror: cannot write ") != 1
    ||  jad_test_lines_with (log, "mirror: writes succeed again after 2 failed "
                           "commits") != 1
    ||  jad_test_lines_with (log, "2 entries of a catch-up answer dropped (from 3): "
                           "we could not keep entry 1") != 1
    ||  jad_test_lines_with (log, "out of order") != 0
    ||  jad_test_lines_with (log, "does not follow") != 0
    ||  jad_test_lines_with (log, "ALARM") != 0)
        fail_msg ("log:\n%s", log);
    free (log);
    jad_journal_destroy (&hj);
    for (int i = 0; i < 4; i++)
        free (e[i]);
}

/* ------------------------------------------------------------ main */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_window, jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_resend_backoff, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_resend_fast, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_refusals, jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_mirror, jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_alarm_chain, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_alarm_records, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_operation, jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_alarm_head_behind, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_mirror_write_fails, jad_test_dir_setup,
                                         s_teardown),
    };
    if (sodium_init () < 0)
        return 1;
    /* Alarms and refusals are the point here: their log lines are noise. */
    jad_log_init ("test", JAD_LOG_ERROR);
    if (jad_test_keys_make (s_names, K_N, s_keys, &s_keydir) != 0) {
        jad_test_keys_free (s_keys, K_N, &s_keydir);
        return 1;
    }
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    jad_test_keys_free (s_keys, K_N, &s_keydir);
    return rc;
}
