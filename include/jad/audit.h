/*  audit: everything a journal holds, checked against everything else it
 *  holds — the one check behind jad-verify and the hub's start.
 *
 *  One linear pass over hub_seq 1..head (the head read when the audit
 *  begins, with the record counts, in one read transaction):
 *
 *    entries      every key from 1 to the head holds an entry that
 *                 decodes and names its own hub_seq;
 *    chain        every prev_hash is the hash of the entry before it;
 *    signatures   from SIGN_FROM on: the envelope opens, is this
 *                 operation's, its origin may sign at that hub_seq (the
 *                 recorded rosters: lib/history.c), may send that kind
 *                 (lib/report.c), and its Ed25519 signature verifies;
 *    uniqueness   every entry's identity (origin, incarnation,
 *                 origin_seq) has a dedupe record that points to this very
 *                 hub_seq with its envelope's hash, and dedupe holds as
 *                 many records as there are entries: together that proves
 *                 no identity is journaled twice, with no set in memory;
 *    dedupe       the index against the entries: a record missing, one
 *                 pointing elsewhere, one too many — named by its key (an
 *                 index finding: the entries are fine, the index can be
 *                 rebuilt from them, jad_journal_dedupe_rebuild);
 *    checkpoints  each decodes, is signed by the hub's key (the history's),
 *                 and matches the hash of the entry it names; one that
 *                 names an entry the journal lacks is a truncation; the
 *                 last one must cover the head: a tail after it is named
 *                 with its range, and LIVE accepts a young one (a hub
 *                 checkpoints every 1,000 entries or 5 s);
 *    rosters      each recorded roster decodes, parses and is signed by
 *                 the hub (jad_history_load, into the caller's history);
 *    the file     pages past data.mdb's end (the store opens such a file
 *                 only when they are all free): a warning, nothing lost;
 *    compare      (optional) another journal of the operation, entry for
 *                 entry: an entry that differs, or entries it holds past
 *                 this one's head (a truncation to a signed prefix, which
 *                 nothing inside the journal may betray).  Its checkpoints
 *                 count here too where this journal has the entries they
 *                 name: a checkpoint is the hub's signature over an entry's
 *                 hash, whichever journal keeps it (a mirror whose agent
 *                 stopped before the hub's last checkpoint reached it is
 *                 covered by the hub's).
 *
 *  Damage does not stop the pass: a page LMDB cannot read is named as the
 *  range of hub_seqs it held and the pass goes on after it (entries are
 *  read key by key from the root: see journal.h's audit reads).  Every
 *  finding goes to the caller's callback as it is found, and the result
 *  keeps counts and the first one.
 *
 *  Cost: per entry one read, two BLAKE2b hashes, a walk of its bytes
 *  (no decode, no allocation) and one dedupe lookup; from SIGN_FROM on,
 *  a full decode and a signature check (~60 µs), spread over POOL.  The
 *  checkpoints' hashes are kept in memory (40 bytes each), entries a
 *  chunk at a time.
 *
 *  Threads: one audit runs on the caller's thread (and POOL's workers);
 *  the journal may be appended to meanwhile (what is after the head is
 *  not judged).
 */
#ifndef JAD_AUDIT_H
#define JAD_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "jad/history.h"
#include "jad/journal.h"
#include "jad/pool.h"

/* What a finding is about. */
typedef enum {
    JAD_AUDIT_ENTRY = 1,            /* an entry that does not decode, names
                                     * another hub_seq, or keys outside
                                     * 1..head */
    JAD_AUDIT_MISSING,              /* FIRST..LAST absent, though the journal
                                     * says they were there (a gap below the
                                     * head, a checkpoint, the index, the
                                     * compared journal) */
    JAD_AUDIT_UNREADABLE,           /* FIRST..LAST on a page LMDB cannot read */
    JAD_AUDIT_CHAIN,                /* prev_hash is not the previous entry's hash */
    JAD_AUDIT_SIGNATURE,            /* envelope, operation, signer, rights or
                                     * signature */
    JAD_AUDIT_DUPLICATE,            /* FIRST repeats the report journaled as
                                     * OTHER */
    JAD_AUDIT_DEDUPE_MISSING,       /* index: no record (or an unreadable one)
                                     * for entry FIRST's identity */
    JAD_AUDIT_DEDUPE_ELSEWHERE,     /* index: the record points to OTHER, or
                                     * holds another hash or size */
    JAD_AUDIT_DEDUPE_EXTRA,         /* index: a record for no entry */
    JAD_AUDIT_CHECKPOINT_BAD,       /* does not decode, is not the hub's
                                     * signature, or cannot be read */
    JAD_AUDIT_CHECKPOINT_MISMATCH,  /* entry FIRST does not hash to it */
    JAD_AUDIT_ROSTER_BAD,           /* a recorded roster that does not decode,
                                     * parse or verify */
    JAD_AUDIT_TAIL,                 /* FIRST..LAST covered by no checkpoint */
    JAD_AUDIT_DIFFERS,              /* compare: entry FIRST differs */
    JAD_AUDIT_LIVE_TAIL,            /* note: a young tail accepted (LIVE) */
    JAD_AUDIT_COMPARE_SHORT,        /* note: the compared journal ends (or
                                     * cannot be read) before this one's
                                     * head, or is ahead by a young range
                                     * (LIVE) */
    JAD_AUDIT_FREE_PAGES,           /* warning: pages past the file's end,
                                     * all unused (free): nothing lost */
    JAD_AUDIT_KIND_MAX = JAD_AUDIT_FREE_PAGES
} jad_audit_kind_t;

/* How bad a finding is: DAMAGE makes the journal "not intact"; a WARNING
 * is printed but leaves it intact; a NOTE only informs. */
#define JAD_AUDIT_NOTE     0
#define JAD_AUDIT_WARNING  1
#define JAD_AUDIT_DAMAGE   2

/* Longest dedupe key as text: "(origin, 32 hex digits, origin_seq)". */
#define JAD_AUDIT_KEY_MAX  (JAD_JOURNAL_ORIGIN_MAX + 64)

/* One thing found. */
typedef struct {
    jad_audit_kind_t kind;
    int      severity;              /* JAD_AUDIT_DAMAGE, _WARNING or _NOTE */
    int      index;                 /* 1: only a derived index is at fault
                                     * (the dedupe kinds): the entries are
                                     * fine and the index can be rebuilt */
    uint64_t first, last;           /* the hub_seqs concerned; 0 when none */
    uint64_t other;                 /* DUPLICATE: the hub_seq of the first
                                     * copy; DEDUPE_ELSEWHERE: where the
                                     * record points */
    char     key[JAD_AUDIT_KEY_MAX];/* dedupe key as text, "" when none */
    char     text[640];             /* one line, as jad-verify prints it:
                                     * "hub_seq 17: ...", "dedupe key (...):
                                     * ...", "checkpoint at 1000: ..." */
} jad_audit_finding_t;

/* Called with each finding as it is found (F valid during the call),
 * sometimes from inside a read of the journal: it must not call the
 * journal.  Return nonzero to stop the audit early (the result then holds
 * what was found so far). */
typedef int (jad_audit_fn) (void *arg, const jad_audit_finding_t *f);

/* Called after each chunk of entries: DONE hub_seqs of TOTAL. */
typedef void (jad_audit_progress_fn) (void *arg, uint64_t done, uint64_t total);

/* SIGN_FROM values. */
#define JAD_AUDIT_SIGN_ALL   1              /* every entry's signature */
#define JAD_AUDIT_SIGN_NONE  UINT64_MAX     /* chain only */
#define JAD_AUDIT_SIGN_TAIL  0              /* the entries after the last
                                             * checkpoint the hub's key
                                             * signed: what the hub vouched
                                             * for is proved by the chain */

/* A live tail is accepted when it is no longer than this and its first
 * entry was received no longer ago than JAD_AUDIT_LIVE_TAIL_MS when the
 * audit began: a hub signs a checkpoint every 1,000 entries (after the
 * batch that crosses them) or 5 s after the last one; three intervals
 * leave room for a busy hub's late loop. */
#define JAD_AUDIT_LIVE_TAIL_ENTRIES  2000
#define JAD_AUDIT_LIVE_TAIL_MS       15000

/* What to check and where findings go. */
typedef struct {
    jad_history_t *history;         /* the rosters (borrowed; required): the
                                     * caller anchors it (hub key set, or a
                                     * pinned roster added); the audit loads
                                     * the recorded rosters into it,
                                     * verified, and checks signers and
                                     * checkpoints against it.  Without a hub
                                     * key, checkpoints are matched by hash
                                     * only */
    const uint8_t *op_id;           /* the operation (JAD_ID_BYTES) */
    uint64_t       sign_from;       /* JAD_AUDIT_SIGN_* or a hub_seq */
    int            live;            /* accept a young tail (a journal in use) */
    jad_journal_t *compare;         /* NULL, or another journal of the
                                     * operation to hold this one against */
    const char    *compare_name;    /* its name in the texts */
    jad_pool_t    *pool;            /* NULL: everything on the caller's thread */
    jad_audit_fn  *on_finding;      /* NULL: only the result */
    jad_audit_progress_fn *progress;/* NULL: none */
    void          *arg;             /* for both */
    int64_t        now_ms;          /* wall clock for the tail's age; 0: now */
} jad_audit_config_t;

/* What the audit found, in numbers. */
typedef struct {
    uint64_t head;                  /* the last hub_seq judged */
    uint64_t entries;               /* entries read */
    uint64_t signatures;            /* signatures verified */
    uint64_t checkpoints;           /* checkpoints that verified and matched */
    uint64_t last_checkpoint;       /* hub_seq of the last that matched, 0 */
    uint64_t last_signed;           /* hub_seq of the last that decoded and
                                     * verified (whether it matched or not) */
    long     rosters;               /* recorded rosters loaded */
    int      hub_key;               /* 1 when checkpoints' signatures were
                                     * checked (the history has a hub key) */
    uint64_t findings[3];           /* by severity: NOTE, WARNING, DAMAGE */
    uint64_t kinds[JAD_AUDIT_KIND_MAX + 1];  /* by kind */
    uint64_t entry_damage;          /* DAMAGE findings not about an index */
    uint64_t index_damage;          /* DAMAGE findings about an index only */
    jad_audit_finding_t first;      /* the first DAMAGE finding (the lowest
                                     * hub_seq; ones without a hub_seq come
                                     * after), kind 0 when none */
} jad_audit_result_t;

/* Audit JOURNAL as CONFIG says into *RESULT (cleared first).  Returns 0
 * when the audit ran to its end (or ON_FINDING stopped it), whatever it
 * found; -1 with ERR when it could not run: the journal cannot be read at
 * all (not even its counts), or memory ran out.  The journal is intact
 * when RESULT->findings[JAD_AUDIT_DAMAGE] is 0. */
int jad_audit_run (jad_journal_t *journal, const jad_audit_config_t *config,
                   jad_audit_result_t *result, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* "entry", "missing", "unreadable", ... — the kind's name, for logs and
 * tests.  Static string. */
const char *jad_audit_kind_name (jad_audit_kind_t kind);

#endif
