/* Unit tests: lib/audit.c — real LMDB journals made in a temporary
 * directory with the journal API, signed by real keys, then damaged the
 * way tests/tools/jad-tamper damages them (an attacker with the disk, or
 * a failing disk): an intact journal; a tail past the last checkpoint,
 * accepted only when young under LIVE; a signed report appended again
 * after the last checkpoint; a dedupe record pointing elsewhere, missing,
 * or unreadable, and the index rebuilt from the entries; a truncation
 * betrayed by a checkpoint or by the index; a page of entries LMDB
 * cannot read, named as a range, with the audit going on after it; bad
 * checkpoints and rosters; another journal compared entry for entry;
 * free pages gone past the file's end, a warning only.
 *
 * jad-tamper is run from $BIN (tests/run.sh sets it), else build/asan/bin. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/audit.h"
#include "jad/envelope.h"
#include "jad/history.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/pool.h"
#include "jad/record.h"
#include "jad/report_json.h"
#include "jad/roster.h"
#include "jad/sign.h"
#include "jad/wire.h"
#include "testutil.h"

#define S_OP_HEX "00112233445566778899aabbccddeeff"
static const uint8_t s_op[16] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};
static const uint8_t s_inc[2][16] = {
    { 0xde, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
    { 0xf7, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 },
};

enum { K_HUB, K_DE, K_FR, K_N };
static const char *s_names[K_N] = { "hub", "agent-de", "agent-fr" };
static const char *s_roles[K_N] = { "hub", "agent", "agent" };
static const char *s_ccs[K_N] = { "-", "DE", "FR" };
static char *s_keydir;
static jad_keys_t *s_keys[K_N];

/* Entries are received from here on, one second apart. */
#define S_T0  1605510000000LL

/* ------------------------------------------------------------ making */

/* The roster of the three, as text (canonical enough for a record). */
static char *
s_roster_text (void)
{
    char *text = malloc (4096);
    assert_non_null (text);
    size_t n = (size_t) snprintf (text, 4096,
        "operation     Test Operation\n"
        "operation_id  " S_OP_HEX "\n"
        "start         2020-11-16T00:00:00Z\n"
        "end           2020-11-22T00:00:00Z\n");
    for (int k = 0; k < K_N; k++) {
        char sign[65], id[17];
        sodium_bin2hex (sign, sizeof sign, jad_keys_sign_public (s_keys[k]), 32);
        sodium_bin2hex (id, sizeof id, jad_keys_key_id (s_keys[k]), 8);
        n += (size_t) snprintf (text + n, 4096 - n,
                                "participant   %s %s %s %s %s %s\n", s_names[k],
                                s_roles[k], s_ccs[k], jad_keys_public (s_keys[k]),
                                sign, id);
    }
    return text;
}

/* A signed envelope of agent K (0: DE, 1: FR), origin_seq SEQ. */
static uint8_t *
s_envelope (int k, uint64_t seq, size_t *len_p)
{
    char json[160], err[256];
    Jad__Report *r = NULL;
    int64_t t;
    int has_t;
    snprintf (json, sizeof json, "{\"type\":\"checks\",\"parcels\":%" PRIu64
              ",\"ref\":\"%s-%" PRIu64 "\"}", seq, s_ccs[1 + k], seq);
    if (jad_report_json_parse (json, strlen (json), NULL, &r, &t, &has_t,
                               err, sizeof err) != 0)
        fail_msg ("%s: %s", json, err);
    size_t rlen;
    uint8_t *report = jad_wire_encode (&r->base, &rlen);
    jad__report__free_unpacked (r, NULL);
    jad_envelope_id_t id = { s_op, s_names[1 + k], s_inc[k], seq };
    uint8_t *env = jad_envelope_seal (&id, S_T0 + (int64_t) seq, report, rlen,
                                      s_keys[1 + k], len_p, err, sizeof err);
    if (!env)
        fail_msg ("seal: %s", err);
    free (report);
    return env;
}

/* Append N reports, alternately DE's and FR's, as entries FIRST.. of J,
 * received at S_T0 + hub_seq seconds, in one batch (one durable commit). */
static void
s_append (jad_journal_t *j, uint64_t first, size_t n)
{
    jad_journal_item_t *items = calloc (n + 1, sizeof *items);
    uint8_t **envs = calloc (n + 1, sizeof *envs);
    assert_true (items && envs);
    for (size_t i = 0; i < n; i++) {
        uint64_t seq = first + i;
        int k = (int) (seq % 2);
        size_t len;
        envs[i] = s_envelope (k, seq, &len);
        items[i] = (jad_journal_item_t) {
            .origin = s_names[1 + k], .incarnation = s_inc[k],
            .origin_seq = seq, .envelope = envs[i], .envelope_len = len,
            .received_ms = S_T0 + (int64_t) seq * 1000
        };
    }
    char err[256] = "";
    if (n && jad_journal_append (j, items, n, err, sizeof err) != 0)
        fail_msg ("append: %s", err);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal (items[i].status, JAD_JOURNAL_NEW);
        assert_int_equal (items[i].hub_seq, first + i);
        free (envs[i]);
    }
    free (envs);
    free (items);
}

/* Sign a checkpoint of entry SEQ as it stands, with SIGNER's key (the
 * hub's, or not), and store it. */
static void
s_checkpoint_by (jad_journal_t *j, uint64_t seq, int signer)
{
    uint8_t hash[JAD_HASH_BYTES];
    char err[256];
    assert_int_equal (jad_journal_hash (j, seq, hash), 1);
    size_t len;
    uint8_t *buf = jad_checkpoint_make (s_keys[signer], s_op, seq, hash,
                                        S_T0, &len);
    assert_non_null (buf);
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_CHECKPOINTS, seq,
                                              buf, len, err, sizeof err), 0);
    free (buf);
}

static void
s_checkpoint (jad_journal_t *j, uint64_t seq)
{
    s_checkpoint_by (j, seq, K_HUB);
}

/* A journal in STATE's directory under NAME: the operation, its roster
 * recorded, N entries, checkpoints at every multiple of EVERY and at
 * CP (0: none). */
static jad_journal_t *
s_make (void **state, const char *name, size_t n, uint64_t every, uint64_t cp)
{
    char err[256] = "";
    jad_journal_t *j = jad_journal_open (jad_test_path (state, name),
                                         JAD_JOURNAL_CREATE, err, sizeof err);
    if (!j)
        fail_msg ("open: %s", err);
    jad_journal_meta_t meta = { 0 };
    snprintf (meta.name, sizeof meta.name, "Test Operation");
    memcpy (meta.id, s_op, 16);
    assert_int_equal (jad_journal_meta_set (j, &meta), 0);
    char *text = s_roster_text ();
    size_t len;
    uint8_t *rec = jad_roster_record_make (s_keys[K_HUB], s_op, 1, text,
                                           strlen (text), S_T0, &len);
    assert_non_null (rec);
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_ROSTERS, 1, rec, len,
                                              err, sizeof err), 0);
    free (rec);
    free (text);
    s_append (j, 1, n);
    for (uint64_t s = every; every && s <= n; s += every)
        s_checkpoint (j, s);
    if (cp)
        s_checkpoint (j, cp);
    return j;
}

/* Close *J, run jad-tamper on its directory (STATE's NAME) with MODE SEQ,
 * reopen it.  OUT (when not NULL) gets the tool's first output line. */
static void
s_tamper (void **state, jad_journal_t **j, const char *name, const char *mode,
          uint64_t seq, char *out, size_t outlen)
{
    char cmd[2048], err[256];
    const char *bin = getenv ("BIN");
    jad_journal_destroy (j);
    snprintf (cmd, sizeof cmd, "'%s/jad-tamper' '%s' %s %" PRIu64,
              bin && *bin ? bin : "build/asan/bin", jad_test_path (state, name),
              mode, seq);
    FILE *p = popen (cmd, "r");
    assert_non_null (p);
    char line[512] = "";
    if (!fgets (line, sizeof line, p))
        line[0] = 0;
    line[strcspn (line, "\n")] = 0;
    int status = pclose (p);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        fail_msg ("%s: exit %d", cmd, status);
    if (out)
        snprintf (out, outlen, "%s", line);
    *j = jad_journal_open (jad_test_path (state, name), 0, err, sizeof err);
    if (!*j)
        fail_msg ("reopen: %s", err);
}

/* ------------------------------------------------------------ auditing */

#define S_MAX_FOUND 64

typedef struct {
    jad_audit_finding_t found[S_MAX_FOUND];
    size_t n;
    jad_audit_result_t res;
    int stop_after;             /* stop after this many findings (0: never) */
} s_run_t;

static int
s_found_fn (void *arg, const jad_audit_finding_t *f)
{
    s_run_t *r = arg;
    if (r->n < S_MAX_FOUND)
        r->found[r->n++] = *f;
    return r->stop_after && (int) r->n >= r->stop_after;
}

/* Audit J: SIGN_FROM, LIVE at NOW_MS (0: the clock), against COMPARE. */
static s_run_t *
s_audit_ex (jad_journal_t *j, uint64_t sign_from, int live, int64_t now_ms,
            jad_journal_t *compare, int stop_after)
{
    s_run_t *r = calloc (1, sizeof *r);
    assert_non_null (r);
    r->stop_after = stop_after;
    jad_history_t *h = jad_history_new ();
    assert_non_null (h);
    jad_history_set_hub_key (h, jad_keys_sign_public (s_keys[K_HUB]));
    jad_pool_t *pool = jad_pool_new (1);
    assert_non_null (pool);
    jad_audit_config_t cfg = {
        .history = h, .op_id = s_op, .sign_from = sign_from, .live = live,
        .compare = compare, .compare_name = "OTHER", .pool = pool,
        .on_finding = s_found_fn, .arg = r, .now_ms = now_ms
    };
    char err[256] = "";
    if (jad_audit_run (j, &cfg, &r->res, err, sizeof err) != 0)
        fail_msg ("audit: %s", err);
    jad_pool_destroy (&pool);
    jad_history_destroy (&h);
    return r;
}

static s_run_t *
s_audit (jad_journal_t *j)
{
    return s_audit_ex (j, JAD_AUDIT_SIGN_ALL, 0, 0, NULL, 0);
}

/* The finding of KIND about hub_seq FIRST (0: any), failing the test when
 * there is none. */
static const jad_audit_finding_t *
s_expect (const s_run_t *r, jad_audit_kind_t kind, uint64_t first)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->found[i].kind == kind && (!first || r->found[i].first == first))
            return &r->found[i];
    char all[4096] = "";
    for (size_t i = 0; i < r->n; i++) {
        size_t at = strlen (all);
        snprintf (all + at, sizeof all - at, "\n  %s", r->found[i].text);
    }
    fail_msg ("no %s finding at %" PRIu64 "; found:%s", jad_audit_kind_name (kind),
              first, all);
    return NULL;
}

static void
s_expect_intact (const s_run_t *r)
{
    if (r->res.findings[JAD_AUDIT_DAMAGE])
        fail_msg ("not intact: %s", r->res.first.text);
}

/* ------------------------------------------------------------ tests */

/* Everything checks out, and is counted. */
static void
test_intact (void **state)
{
    jad_journal_t *j = s_make (state, "j", 40, 20, 0);
    s_run_t *r = s_audit (j);
    s_expect_intact (r);
    assert_int_equal (r->n, 0);
    assert_int_equal (r->res.head, 40);
    assert_int_equal (r->res.entries, 40);
    assert_int_equal (r->res.signatures, 40);
    assert_int_equal (r->res.checkpoints, 2);
    assert_int_equal (r->res.last_checkpoint, 40);
    assert_int_equal (r->res.rosters, 1);
    assert_true (r->res.hub_key);
    free (r);
    /* Only past the last checkpoint: what the hub checks at its start. */
    s_append (j, 41, 5);
    r = s_audit_ex (j, JAD_AUDIT_SIGN_TAIL, 0, 0, NULL, 0);
    assert_int_equal (r->res.signatures, 5);
    assert_int_equal (r->res.kinds[JAD_AUDIT_TAIL], 1);
    free (r);
    /* Chain only. */
    r = s_audit_ex (j, JAD_AUDIT_SIGN_NONE, 0, 0, NULL, 0);
    assert_int_equal (r->res.signatures, 0);
    assert_int_equal (r->res.entries, 45);
    free (r);
    /* An empty journal is intact. */
    jad_journal_t *e = s_make (state, "empty", 0, 0, 0);
    r = s_audit (e);
    s_expect_intact (r);
    assert_int_equal (r->res.head, 0);
    free (r);
    jad_journal_destroy (&e);
    jad_journal_destroy (&j);
}

/* Entries after the last checkpoint are a tail named with its range; LIVE
 * accepts it only while it is young and short. */
static void
test_tail (void **state)
{
    jad_journal_t *j = s_make (state, "j", 30, 0, 20);
    s_run_t *r = s_audit (j);
    const jad_audit_finding_t *f = s_expect (r, JAD_AUDIT_TAIL, 21);
    assert_int_equal (f->last, 30);
    assert_int_equal (f->severity, JAD_AUDIT_DAMAGE);
    assert_non_null (strstr (f->text, "hub_seq 21..30: not covered by a signed "
                                      "checkpoint (the last one is at 20)"));
    assert_int_equal (r->res.first.kind, JAD_AUDIT_TAIL);
    free (r);
    /* Live, the tail's first entry received 5 s before: accepted. */
    int64_t received21 = S_T0 + 21 * 1000;
    r = s_audit_ex (j, JAD_AUDIT_SIGN_ALL, 1, received21 + 5000, NULL, 0);
    s_expect_intact (r);
    f = s_expect (r, JAD_AUDIT_LIVE_TAIL, 21);
    assert_int_equal (f->severity, JAD_AUDIT_NOTE);
    assert_non_null (strstr (f->text, "accepted (live)"));
    free (r);
    /* Live, but received a minute before: not a live hub's tail. */
    r = s_audit_ex (j, JAD_AUDIT_SIGN_ALL, 1, received21 + 60000, NULL, 0);
    f = s_expect (r, JAD_AUDIT_TAIL, 21);
    assert_non_null (strstr (f->text, "too old for a live hub's tail"));
    free (r);
    /* Without any checkpoint, the whole journal is the tail. */
    jad_journal_t *n = s_make (state, "none", 5, 0, 0);
    r = s_audit (n);
    f = s_expect (r, JAD_AUDIT_TAIL, 1);
    assert_int_equal (f->last, 5);
    free (r);
    jad_journal_destroy (&n);
    jad_journal_destroy (&j);
}

/* A genuine signed report appended again after the last checkpoint, its
 * chain right: every signature verifies, the chain holds, yet the dedupe
 * record points to the first copy — a report counted twice. */
static void
test_duplicate (void **state)
{
    jad_journal_t *j = s_make (state, "j", 30, 0, 30);
    s_tamper (state, &j, "j", "dup-append", 10, NULL, 0);
    s_tamper (state, &j, "j", "dup-append", 10, NULL, 0);
    s_run_t *r = s_audit (j);
    const jad_audit_finding_t *f = s_expect (r, JAD_AUDIT_DUPLICATE, 31);
    assert_int_equal (f->other, 10);
    assert_false (f->index);
    assert_non_null (strstr (f->text, "hub_seq 31: a second copy of the report "
                                      "journaled as hub_seq 10"));
    assert_non_null (strstr (f->key, "agent-de, de01"));
    s_expect (r, JAD_AUDIT_DUPLICATE, 32);
    assert_int_equal (r->res.signatures, 32);     /* every signature is good */
    assert_int_equal (r->res.kinds[JAD_AUDIT_CHAIN], 0);
    assert_int_equal (r->res.first.kind, JAD_AUDIT_DUPLICATE);
    assert_int_equal (r->res.first.first, 31);
    free (r);
    /* The hub's start audit checks the tail, and finds it too. */
    r = s_audit_ex (j, JAD_AUDIT_SIGN_TAIL, 0, 0, NULL, 0);
    s_expect (r, JAD_AUDIT_DUPLICATE, 31);
    assert_int_equal (r->res.signatures, 2);
    free (r);
    /* Rebuilding the index cannot hide it. */
    uint64_t records = 0, dup = 0, of = 0;
    char err[256] = "";
    assert_int_equal (jad_journal_dedupe_rebuild (j, &records, &dup, &of,
                                                  err, sizeof err),
                      JAD_JOURNAL_EDUPLICATE);
    assert_int_equal (dup, 31);
    assert_int_equal (of, 10);
    assert_non_null (strstr (err, "hub_seq 31 carries the identity of hub_seq 10"));
    jad_journal_destroy (&j);
}

/* The dedupe index against the entries: a record pointing elsewhere, a
 * record missing, a page of records unreadable — each named by its key,
 * as the index's fault only; rebuilt from the entries, it is right. */
static void
test_dedupe (void **state)
{
    char key[512], err[256] = "";
    jad_journal_t *j = s_make (state, "j", 300, 100, 0);
    s_tamper (state, &j, "j", "dedupe", 10, key, sizeof key);
    s_run_t *r = s_audit (j);
    const jad_audit_finding_t *f = s_expect (r, JAD_AUDIT_DEDUPE_ELSEWHERE, 10);
    assert_string_equal (f->key, key);
    assert_int_equal (f->other, 11);
    assert_true (f->index);
    assert_int_equal (r->res.entry_damage, 0);
    assert_int_equal (r->res.index_damage, 1);
    assert_string_equal (r->res.first.key, key);
    free (r);

    s_tamper (state, &j, "j", "dedupe-drop", 20, key, sizeof key);
    r = s_audit (j);
    f = s_expect (r, JAD_AUDIT_DEDUPE_MISSING, 20);
    assert_string_equal (f->key, key);
    assert_non_null (strstr (f->text, "missing"));
    free (r);

    s_tamper (state, &j, "j", "zero-dedupe-page", 150, key, sizeof key);
    r = s_audit (j);
    int named = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->found[i].kind == JAD_AUDIT_DEDUPE_MISSING
        &&  strcmp (r->found[i].key, key) == 0) {
            assert_non_null (strstr (r->found[i].text, "unreadable"));
            named = 1;
        }
    assert_true (named);
    assert_int_equal (r->res.entry_damage, 0);
    assert_int_equal (r->res.entries, 300);
    free (r);

    uint64_t records = 0;
    assert_int_equal (jad_journal_dedupe_rebuild (j, &records, NULL, NULL,
                                                  err, sizeof err), JAD_JOURNAL_OK);
    assert_int_equal (records, 300);
    r = s_audit (j);
    s_expect_intact (r);
    assert_int_equal (r->n, 0);
    free (r);
    /* and a resend finds its original again */
    uint64_t at = 0;
    assert_int_equal (jad_journal_lookup (j, "agent-de", s_inc[0], 10, &at, NULL), 1);
    assert_int_equal (at, 10);
    jad_journal_destroy (&j);
}

/* Entries removed from the end: the checkpoint that covered them says so;
 * with the checkpoints removed too, the index still does; removed with
 * their index records and checkpoints, only another journal can. */
static void
test_truncation (void **state)
{
    jad_journal_t *j = s_make (state, "j", 30, 10, 0);
    s_tamper (state, &j, "j", "truncate", 26, NULL, 0);
    s_run_t *r = s_audit (j);
    const jad_audit_finding_t *f = s_expect (r, JAD_AUDIT_MISSING, 26);
    assert_non_null (strstr (f->text, "hub_seq 26: missing (26..30: a signed "
                                      "checkpoint at 30 covers them"));
    assert_int_equal (r->res.first.first, 26);
    free (r);

    s_tamper (state, &j, "j", "drop-checkpoints", 25, NULL, 0);
    r = s_audit (j);
    f = s_expect (r, JAD_AUDIT_MISSING, 26);
    assert_int_equal (f->last, 30);
    assert_non_null (strstr (f->text, "the dedupe index names 5 reports"));
    free (r);

    /* A mirror of the whole, then the journal cut to a signed prefix
     * without a trace: intact on its own, short against the mirror. */
    jad_journal_t *k = s_make (state, "k", 30, 10, 0);
    char err[256] = "", out[64];
    jad_journal_t *m = jad_journal_open (jad_test_path (state, "m"),
                                         JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (m);
    jad_journal_meta_t meta = { 0 };
    memcpy (meta.id, s_op, 16);
    assert_int_equal (jad_journal_meta_set (m, &meta), 0);
    for (uint64_t s = 1; s <= 30; s++) {
        uint8_t *buf;
        size_t len;
        assert_int_equal (jad_journal_get (k, s, &buf, &len), 1);
        const uint8_t *bufs[1] = { buf };
        assert_int_equal (jad_journal_append_entries (m, bufs, &len, 1, err,
                                                      sizeof err), JAD_JOURNAL_OK);
        free (buf);
    }
    for (uint64_t s = 10; s <= 30; s += 10)
        s_checkpoint (m, s);
    s_tamper (state, &k, "k", "cut", 25, out, sizeof out);
    assert_string_equal (out, "20");
    r = s_audit (k);
    s_expect_intact (r);
    assert_int_equal (r->res.head, 20);
    free (r);
    r = s_audit_ex (k, JAD_AUDIT_SIGN_ALL, 0, 0, m, 0);
    f = s_expect (r, JAD_AUDIT_MISSING, 21);
    assert_int_equal (f->last, 30);
    assert_non_null (strstr (f->text, "OTHER holds them, this journal ends at 20"));
    free (r);
    /* The mirror against the cut journal: it holds more, nothing differs. */
    r = s_audit_ex (m, JAD_AUDIT_SIGN_NONE, 0, 0, k, 0);
    s_expect_intact (r);
    f = s_expect (r, JAD_AUDIT_COMPARE_SHORT, 21);
    assert_int_equal (f->severity, JAD_AUDIT_NOTE);
    free (r);
    jad_journal_destroy (&m);
    jad_journal_destroy (&k);
    jad_journal_destroy (&j);
}

/* A page of entries LMDB cannot read is named as the range of hub_seqs
 * it held, and the audit goes on: damage after it is found too, and the
 * entries after it are not blamed for a chain it cannot see. */
static void
test_unreadable (void **state)
{
    jad_journal_t *j = s_make (state, "j", 300, 100, 0);
    s_tamper (state, &j, "j", "zero-page", 100, NULL, 0);
    s_tamper (state, &j, "j", "scribble", 250, NULL, 0);
    s_run_t *r = s_audit (j);
    const jad_audit_finding_t *u = s_expect (r, JAD_AUDIT_UNREADABLE, 0);
    assert_true (u->first <= 100 && u->last >= 100);
    assert_true (u->first > 1 && u->last < 250);
    assert_non_null (strstr (u->text, "unreadable: LMDB cannot read the page"));
    assert_int_equal (r->res.first.kind, JAD_AUDIT_UNREADABLE);
    /* the scribbled entry, after the damaged page */
    const jad_audit_finding_t *f = s_expect (r, JAD_AUDIT_ENTRY, 250);
    assert_non_null (strstr (f->text, "hub_seq 250: envelope does not decode"));
    s_expect (r, JAD_AUDIT_CHAIN, 251);
    for (size_t i = 0; i < r->n; i++)
        if (r->found[i].kind == JAD_AUDIT_CHAIN)
            assert_int_equal (r->found[i].first, 251);
    assert_int_equal (r->res.entries, 300 - (u->last - u->first + 1));
    free (r);
    jad_journal_destroy (&j);
}

/* Checkpoints: one not signed by the hub, one of another chain; a roster
 * record that does not decode; a gap in the middle; a moved entry. */
static void
test_records (void **state)
{
    char err[256] = "";
    jad_journal_t *j = s_make (state, "j", 30, 0, 0);
    s_checkpoint_by (j, 10, K_DE);      /* not the hub's signature */
    uint8_t wrong[JAD_HASH_BYTES] = { 1 };
    size_t len;
    uint8_t *buf = jad_checkpoint_make (s_keys[K_HUB], s_op, 20, wrong, S_T0, &len);
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_CHECKPOINTS, 20,
                                              buf, len, err, sizeof err), 0);
    free (buf);
    s_checkpoint (j, 30);
    const uint8_t junk[] = "not a roster record";
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_ROSTERS, 25, junk,
                                              sizeof junk, err, sizeof err), 0);
    s_run_t *r = s_audit (j);
    const jad_audit_finding_t *f = s_expect (r, JAD_AUDIT_CHECKPOINT_BAD, 0);
    assert_non_null (strstr (f->text, "checkpoint at 10: the hub's signature "
                                      "does not verify"));
    f = s_expect (r, JAD_AUDIT_CHECKPOINT_MISMATCH, 20);
    assert_non_null (strstr (f->text, "hub_seq 20: does not match the hub's "
                                      "signed checkpoint"));
    f = s_expect (r, JAD_AUDIT_ROSTER_BAD, 0);
    assert_non_null (strstr (f->text, "roster record at 25"));
    assert_int_equal (r->res.checkpoints, 1);
    assert_int_equal (r->res.last_checkpoint, 30);
    free (r);

    s_tamper (state, &j, "j", "remove", 15, NULL, 0);
    s_tamper (state, &j, "j", "swap", 5, NULL, 0);
    r = s_audit (j);
    f = s_expect (r, JAD_AUDIT_MISSING, 15);
    assert_non_null (strstr (f->text, "hub_seq 15: missing (the journal jumps to 16)"));
    f = s_expect (r, JAD_AUDIT_ENTRY, 5);
    assert_non_null (strstr (f->text, "hub_seq 5: the entry says it is 6 (moved)"));
    assert_int_equal (r->res.first.first, 5);
    /* The record of the removed entry's report names a hub_seq it lacks. */
    s_expect (r, JAD_AUDIT_DEDUPE_EXTRA, 0);
    free (r);
    jad_journal_destroy (&j);
}

/* Another journal, entry for entry: one that differs is named. */
static void
test_compare (void **state)
{
    jad_journal_t *a = s_make (state, "a", 20, 10, 0);
    jad_journal_t *b = s_make (state, "b", 20, 10, 0);
    /* Same reports, same times: identical entries. */
    s_run_t *r = s_audit_ex (a, JAD_AUDIT_SIGN_ALL, 0, 0, b, 0);
    s_expect_intact (r);
    assert_int_equal (r->n, 0);
    free (r);
    s_tamper (state, &b, "b", "flip-meta", 7, NULL, 0);
    r = s_audit_ex (a, JAD_AUDIT_SIGN_ALL, 0, 0, b, 0);
    const jad_audit_finding_t *f = s_expect (r, JAD_AUDIT_DIFFERS, 7);
    assert_non_null (strstr (f->text, "hub_seq 7: differs from OTHER's entry 7"));
    assert_int_equal (r->res.kinds[JAD_AUDIT_DIFFERS], 1);
    free (r);
    /* Stopped by the callback after the first finding. */
    r = s_audit_ex (b, JAD_AUDIT_SIGN_ALL, 0, 0, a, 1);
    assert_int_equal (r->n, 1);
    free (r);
    jad_journal_destroy (&b);
    jad_journal_destroy (&a);
}

/* Pages past the end of data.mdb that were all free (as in a copy made
 * by mdb_copy; lib/store.c refuses any other short file): a warning,
 * not damage.  The free tail is made as test_store does: a large value,
 * whose overflow pages are last in the file, deleted, small writes that
 * move the small pages below them, then the file cut there. */
static void
test_free_pages (void **state)
{
    char err[256] = "", path[1200];
    jad_journal_t *j = s_make (state, "j", 20, 20, 0);
    size_t big_len = 400 * 1024;
    uint8_t *big = calloc (1, big_len);
    assert_non_null (big);
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_ROSTERS, 999, big,
                                              big_len, err, sizeof err), 0);
    free (big);
    jad_journal_destroy (&j);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t kb[8] = { 0, 0, 0, 0, 0, 0, 0x03, 0xe7 };   /* 999 */
    MDB_val k = { 8, kb };
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 8), 0);
    assert_int_equal (mdb_env_open (env, jad_test_path (state, "j"), 0, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, 0, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "rosters", 0, &dbi), 0);
    assert_int_equal (mdb_del (txn, dbi, &k, NULL), 0);
    assert_int_equal (mdb_txn_commit (txn), 0);
    mdb_env_close (env);
    j = jad_journal_open (jad_test_path (state, "j"), 0, err, sizeof err);
    assert_non_null (j);
    for (uint64_t s = 1; s <= 6; s++)
        s_checkpoint (j, s);
    jad_journal_census_t c;
    assert_int_equal (jad_journal_census (j, &c), 0);
    assert_int_equal (c.file_bytes, c.last_page_end);
    jad_journal_destroy (&j);
    snprintf (path, sizeof path, "%s/data.mdb", jad_test_path (state, "j"));
    assert_int_equal (truncate (path, (off_t) (c.last_page_end - 50 * c.page_size)), 0);

    j = jad_journal_open (jad_test_path (state, "j"), JAD_JOURNAL_RDONLY,
                          err, sizeof err);
    if (!j)
        fail_msg ("open: %s", err);
    s_run_t *r = s_audit (j);
    s_expect_intact (r);
    const jad_audit_finding_t *f = s_expect (r, JAD_AUDIT_FREE_PAGES, 0);
    assert_int_equal (f->severity, JAD_AUDIT_WARNING);
    assert_non_null (strstr (f->text, "all of them unused"));
    assert_int_equal (r->res.findings[JAD_AUDIT_WARNING], 1);
    assert_int_equal (r->res.entries, 20);
    free (r);
    jad_journal_destroy (&j);
}

/* ------------------------------------------------------------ main */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_intact, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_tail, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_duplicate, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_dedupe, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_truncation, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_unreadable, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_records, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_compare, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_free_pages, jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    if (sodium_init () < 0
    ||  jad_test_keys_make (s_names, K_N, s_keys, &s_keydir) != 0) {
        jad_test_keys_free (s_keys, K_N, &s_keydir);
        return 1;
    }
    int failed = cmocka_run_group_tests (tests, NULL, NULL);
    jad_test_keys_free (s_keys, K_N, &s_keydir);
    return failed;
}
