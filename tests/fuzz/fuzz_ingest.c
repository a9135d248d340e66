/* libFuzzer target: the hub's intake (hub/ingest.c) — every check between a
 * participant's submit and the journal — against a real journal.
 *
 * Made once (LLVMFuzzerInitialize), in a temporary directory (under
 * /dev/shm when there is one: the journal fsyncs every commit) removed at
 * exit: key pairs for a hub and four participants (agent-de, agent-fr, a
 * coordinator, an observer), a roster naming them, parsed from its text;
 * a journal of that operation; a verification pool (jad_pool_new (0)); the
 * intake.  The journal grows over the run (corrections and request acks
 * then find earlier entries to name).
 *
 * Input: FLAGS, then the Envelope bytes submitted.
 *   FLAGS bits 1-2  the sender: agent-de, agent-fr, coord, obs
 *         bit 0     re-seal: when the bytes open (jad_envelope_open), seal
 *                   the same identity, time and report again with the
 *                   sender's own key (jad_envelope_seal), so valid
 *                   signatures — and acks, duplicates, conflicts, the
 *                   journal — are reached at all; the fuzzer cannot forge
 *                   an Ed25519 signature.
 * Each input is one jad_ingest_submit, then jad_ingest_commit.
 *
 * Invariants (abort otherwise):
 *   - every submit gets exactly one answer (or drop), on its own route;
 *   - the answer decodes (jad_frame_decode) as an Ack or an ErrorReply;
 *     it carries the identity the submitted bytes carry, exactly as
 *     jad_envelope_ident reads it (PROTOCOL.md §6, "Matching an answer");
 *   - an Ack only for a re-sealed envelope: nothing else can carry a
 *     valid signature;
 *   - what is journaled is the submitted bytes, untouched, in an entry
 *     numbered head + 1; the count is what jad_ingest_commit returns.
 *
 * JAD_FUZZ_VERBOSE=1 in the environment prints each answer (to see what
 * the seeds reach: build/fuzz/fuzz_ingest -runs=0 tests/fuzz/corpus/ingest). */
#define _XOPEN_SOURCE 700       /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "jad/envelope.h"
#include "jad/frame.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/pool.h"
#include "jad/roster.h"
#include "jad/wire.h"
#include "../../hub/ingest.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

#define S_SENDERS 4
static const char *s_names[S_SENDERS + 1] = {
    "agent-de", "agent-fr", "coord", "obs", "hub"
};
static const char *s_roles[S_SENDERS + 1] = {
    "agent DE", "agent FR", "coordinator -", "observer -", "hub -"
};
/* The operation id of the seeds (tests/fuzz/make-state-seeds.py). */
static const uint8_t s_op_id[JAD_ID_BYTES] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};

static char          s_dir[256];
static jad_keys_t   *s_keys[S_SENDERS + 1];
static jad_roster_t *s_roster;
static jad_journal_t *s_journal;
static jad_pool_t   *s_pool;
static jad_ingest_t *s_ingest;

/* What the current input submitted, and what came of it. */
static struct {
    const uint8_t *bytes;       /* as submitted */
    size_t         len;
    int            resealed;
    int            route;       /* its address is the route given */
    int            answers, drops;
    long           journaled;
    uint64_t       head;        /* before the commit */
} s_cur;

static int s_verbose;           /* JAD_FUZZ_VERBOSE: print the answers */

static int
s_same_ident (const jad_ident_t *a, const jad_ident_t *b)
{
    return a->has_incarnation == b->has_incarnation
        && a->incarnation_len == b->incarnation_len
        && memcmp (a->incarnation, b->incarnation, a->incarnation_len) == 0
        && a->has_origin_seq == b->has_origin_seq
        && a->origin_seq == b->origin_seq;
}

static void
s_on_answer (void *arg, void *route, const uint8_t *frame, size_t len)
{
    (void) arg;
    char err[256];
    jad_frame_t f;
    jad_ident_t sent;
    if (route != &s_cur.route
    ||  jad_frame_decode (frame, len, &f, err, sizeof err) != JAD_OK)
        abort ();
    jad_envelope_ident (s_cur.bytes, s_cur.len, &sent);
    if (f.kind == JAD_FRAME_ACK) {
        if (!s_cur.resealed || !s_same_ident (&f.ack.ident, &sent))
            abort ();
    }
    else
    if (f.kind == JAD_FRAME_ERROR) {
        if (f.error.code < JAD_EMALFORMED || f.error.code > JAD_ERR_MAX
        ||  !s_same_ident (&f.error.ident, &sent))
            abort ();
    }
    else
        abort ();
    s_cur.answers++;
    if (s_verbose)
        fprintf (stderr, "fuzz_ingest: %s%s %s %s\n",
                 s_cur.resealed ? "(re-sealed) " : "",
                 jad_frame_kind_name (f.kind),
                 f.kind == JAD_FRAME_ERROR ? jad_err_name (f.error.code) : "",
                 f.kind == JAD_FRAME_ERROR ? f.error.message : "");
    jad_frame_clear (&f);
}

static void
s_on_journaled (void *arg, uint64_t seq, const uint8_t *entry, size_t len,
                void *tag)
{
    (void) arg;
    char err[256];
    if (tag != &s_cur || seq != s_cur.head + 1 + (uint64_t) s_cur.journaled)
        abort ();
    Jad__Entry *e = jad_wire_entry_decode (entry, len, err, sizeof err);
    if (!e || e->hub_seq != seq || e->envelope.len != s_cur.len
    ||  memcmp (e->envelope.data, s_cur.bytes, s_cur.len) != 0)
        abort ();
    jad_wire_free (&e);
    s_cur.journaled++;
}

static void
s_on_drop (void *arg, void *route)
{
    (void) arg;
    if (route != &s_cur.route)
        abort ();
    s_cur.drops++;
}

static int
s_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

static void
s_cleanup (void)
{
    jad_ingest_destroy (&s_ingest);
    jad_pool_destroy (&s_pool);
    jad_journal_destroy (&s_journal);
    jad_roster_destroy (&s_roster);
    for (int i = 0; i <= S_SENDERS; i++)
        jad_keys_destroy (&s_keys[i]);
    if (s_dir[0])
        nftw (s_dir, s_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void
s_fail (const char *what, const char *err)
{
    fprintf (stderr, "fuzz_ingest: %s: %s\n", what, err);
    abort ();
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    char err[512], path[512];
    jad_log_init ("fuzz", JAD_LOG_ERROR);
    s_verbose = getenv ("JAD_FUZZ_VERBOSE") != NULL;
    if (sodium_init () < 0)
        s_fail ("sodium_init", "failed");
    const char *tmp = access ("/dev/shm", W_OK) == 0 ? "/dev/shm"
                    : getenv ("TMPDIR") ? getenv ("TMPDIR") : "/tmp";
    snprintf (s_dir, sizeof s_dir, "%s/jad-fuzz-ingest.XXXXXX", tmp);
    if (!mkdtemp (s_dir))
        s_fail (s_dir, "mkdtemp failed");
    atexit (s_cleanup);
    /* Keys, and the roster that names them. */
    size_t cap = 4096, used = 0;
    char *text = malloc (cap);
    if (!text)
        s_fail ("roster", "out of memory");
    used += (size_t) snprintf (text, cap,
        "operation     Fuzz Operation\n"
        "operation_id  00112233445566778899aabbccddeeff\n"
        "start         2020-11-16T00:00:00Z\n"
        "end           2020-11-22T00:00:00Z\n");
    for (int i = 0; i <= S_SENDERS; i++) {
        if (jad_keys_generate (s_names[i], s_dir, err, sizeof err) != 0)
            s_fail ("keygen", err);
        snprintf (path, sizeof path, "%s/%s.secret", s_dir, s_names[i]);
        if (!(s_keys[i] = jad_keys_load (path, err, sizeof err)))
            s_fail ("keys", err);
        char sign_hex[65], id_hex[17];
        sodium_bin2hex (sign_hex, sizeof sign_hex,
                        jad_keys_sign_public (s_keys[i]), 32);
        sodium_bin2hex (id_hex, sizeof id_hex, jad_keys_key_id (s_keys[i]), 8);
        used += (size_t) snprintf (text + used, cap - used,
                                   "participant   %s %s %s %s %s\n",
                                   s_names[i], s_roles[i],
                                   jad_keys_public (s_keys[i]), sign_hex,
                                   id_hex);
        if (used >= cap)
            s_fail ("roster", "text too long");
    }
    s_roster = jad_roster_parse (text, used, "fuzz roster", err, sizeof err);
    free (text);
    if (!s_roster)
        s_fail ("roster", err);
    /* The journal of that operation. */
    snprintf (path, sizeof path, "%s/journal", s_dir);
    s_journal = jad_journal_open (path, JAD_JOURNAL_CREATE, err, sizeof err);
    if (!s_journal)
        s_fail ("journal", err);
    jad_journal_meta_t meta;
    memset (&meta, 0, sizeof meta);
    snprintf (meta.name, sizeof meta.name, "%s", jad_roster_operation (s_roster));
    memcpy (meta.id, jad_roster_id (s_roster), JAD_ID_BYTES);
    meta.start_ms = jad_roster_start_ms (s_roster);
    meta.end_ms = jad_roster_end_ms (s_roster);
    if (memcmp (meta.id, s_op_id, JAD_ID_BYTES) != 0
    ||  jad_journal_meta_set (s_journal, &meta) != 0)
        s_fail ("journal", "cannot set the operation");
    s_pool = jad_pool_new (0);
    if (!s_pool)
        s_fail ("pool", "cannot start threads");
    jad_ingest_handlers_t on = {
        .answer = s_on_answer, .journaled = s_on_journaled, .drop = s_on_drop
    };
    s_ingest = jad_ingest_new (s_journal, s_op_id, s_roster, s_pool, &on, NULL);
    if (!s_ingest)
        s_fail ("ingest", "cannot start");
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int sender = (data[0] >> 1) & 3;
    const jad_participant_t *who = jad_roster_find_name (s_roster,
                                                         s_names[sender]);
    if (!who)
        abort ();
    uint8_t *sealed = NULL;
    memset (&s_cur, 0, sizeof s_cur);
    s_cur.bytes = data + 1;
    s_cur.len = size - 1;
    if (data[0] & 1) {
        char err[256];
        jad_envelope_t env;
        if (jad_envelope_open (data + 1, size - 1, &env, err, sizeof err)
            == JAD_OK) {
            size_t len = 0;
            sealed = jad_envelope_seal (&env.id, env.event_time_ms, env.report,
                                        env.report_len, s_keys[sender], &len,
                                        err, sizeof err);
            if (sealed) {
                s_cur.bytes = sealed;
                s_cur.len = len;
                s_cur.resealed = 1;
            }
        }
        jad_envelope_clear (&env);
    }
    s_cur.head = jad_ingest_head (s_ingest);
    (void) jad_ingest_submit (s_ingest, who, &s_cur, s_cur.bytes, s_cur.len,
                              &s_cur.route);
    long fresh = jad_ingest_commit (s_ingest);
    if (s_cur.answers + s_cur.drops != 1 || fresh != s_cur.journaled
    ||  jad_ingest_waiting (s_ingest) != 0
    ||  jad_ingest_head (s_ingest) != s_cur.head + (uint64_t) s_cur.journaled)
        abort ();
    free (sealed);
    return 0;
}
