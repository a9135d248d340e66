/*  repair: a new journal rebuilt from the entries of a damaged one and of
 *  the mirrors that hold the same signed entries.
 *
 *  A hub's disk can lose pages (a bad sector, a torn write: LMDB then says
 *  MDB_CORRUPTED or MDB_PAGE_NOTFOUND for the keys on them) or the whole
 *  journal.  Every agent mirrors the hub's journal as the exact bytes the
 *  hub published, with its checkpoints and rosters, so what the damaged
 *  journal cannot give a mirror can: an operation survives the loss of its
 *  hub's disk while one mirror is intact.  The repair never writes into the
 *  damaged file (its B-tree may be broken); it builds a new journal in
 *  another directory, and jad_repair_swap puts it in place.
 *
 *  Entries: hub_seq 1, 2, 3... in order.  Each is the damaged journal's
 *  copy when it can be read (point reads only), decodes, says its hub_seq
 *  and links to the entry taken before it (prev_hash = BLAKE2b-256 of that
 *  entry's bytes); else the first mirror's copy that does.  When copies of
 *  two sources both link but differ (a byte changed inside a value that
 *  still decodes), the next entry decides: the copy whose hash a source's
 *  next entry names as its prev_hash is taken.  The walk stops at the first
 *  hub_seq no source can give.  Entries go in through
 *  jad_journal_append_entries, the mirrors' write path: exact bytes, order
 *  and chain checked again, dedupe records written — the index is rebuilt
 *  from the entries themselves.
 *
 *  Side records: the checkpoints and rosters of every source (the union;
 *  identical bytes under a key are one).  Where sources differ under a
 *  key, the first copy that decodes — and for a checkpoint, matches the
 *  new chain — is kept.  Meta: the damaged journal's (operation, times,
 *  epoch, created_ms); without it, a mirror's operation id with the name
 *  and times of the last recorded roster and the last entry's epoch.
 *
 *  Verdict: complete when no source knows of an entry past the new head
 *  (no checkpoint, no source's head is beyond it) and every checkpoint
 *  matches the new chain.
 *
 *  Processes: each source is read by a child process of its own (fork)
 *  over a socket pair, one question at a time.  A damaged page can make
 *  LMDB abort (an assertion, when a cursor steps onto it) and a truncated
 *  file makes the reader fault (SIGBUS, past the file's end): a child that
 *  dies costs only the read it was doing — that entry counts as unreadable
 *  there — and a new child serves the next question.  The caller must not
 *  have a source open itself, and must not reap children it did not start
 *  (waitpid (-1, ...)) while jad_repair_run runs.
 */
#ifndef JAD_REPAIR_H
#define JAD_REPAIR_H

#include <stddef.h>
#include <stdint.h>

/* Mirrors one repair reads besides the damaged journal. */
#define JAD_REPAIR_MIRRORS_MAX  15

/* Where the new journal's meta came from. */
#define JAD_REPAIR_META_NONE     0  /* no source had it: the hub writes its
                                     * roster's when it starts */
#define JAD_REPAIR_META_DAMAGED  1  /* the damaged journal's, whole */
#define JAD_REPAIR_META_MIRROR   2  /* a mirror's operation id, the last
                                     * recorded roster's name and times */

typedef struct {
    const char *damaged;        /* the damaged journal's directory (a
                                 * journal directory, opened with
                                 * jad_journal_open); it may be missing or
                                 * not open at all */
    const char *mirrors[JAD_REPAIR_MIRRORS_MAX];
                                /* mirrors, as jad_journal_find takes them:
                                 * an agent's DIR (DIR/mirror), a hub's DIR
                                 * (DIR/journal) or a journal directory */
    size_t      n_mirrors;
    const char *out;            /* the new journal's directory: made, and
                                 * must not hold a journal yet */
} jad_repair_config_t;

typedef struct {
    uint64_t head;              /* the new journal holds entries 1..head */
    uint64_t taken[1 + JAD_REPAIR_MIRRORS_MAX];
                                /* how many came from the damaged journal
                                 * ([0]) and from each mirror ([1 + i]) */
    uint64_t checkpoints;       /* checkpoints in the new journal */
    uint64_t rosters;           /* recorded rosters in the new journal */
    uint64_t conflicts;         /* side records whose sources differed */
    uint64_t lost_from;         /* entries lost_from..lost_to are known to
                                 * have existed (a checkpoint or a source's
                                 * head covers them) and no source could
                                 * give them; both 0 when none */
    uint64_t lost_to;
    uint64_t bad_checkpoint;    /* the first checkpoint that does not match
                                 * the new chain; 0 none */
    int      meta;              /* JAD_REPAIR_META_* */
    char     notes[2048];       /* what else happened, one line each
                                 * ('\n'-terminated): a source that does
                                 * not open, entries the damaged journal
                                 * could not give, readers that died; "" */
} jad_repair_result_t;

/* Build the new journal in CFG->out from CFG->damaged and the mirrors, and
 * fill *RES.  Returns 0 when it is complete (see above), 1 when it was
 * built but entries are lost or a checkpoint does not match (RES says
 * which: the new journal must not replace the damaged one), -1 with ERR
 * when it could not be built (CFG->out holds a journal already, a mirror
 * of another operation, no source opens, an I/O error; CFG->out may then
 * hold a partial journal).  Costs a read per entry (more where the
 * damaged journal fails) and one durable commit per 1,000 entries. */
int jad_repair_run (const jad_repair_config_t *cfg, jad_repair_result_t *res,
                    char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* 1 when a process holds the journal in DIR open (*PID_P its pid): every
 * process that opens an LMDB environment holds a shared lock on the first
 * byte of its lock.mdb while it has it open, so this sees a hub, a tool
 * reading the journal, or a hung one.  0 when none does (or there is no
 * lock.mdb); -1 when it cannot tell (errno). */
int jad_repair_in_use (const char *dir, long *pid_p);

/* Put the journal directory BUILT in JOURNAL's place; JOURNAL, when it
 * exists, becomes DAMAGED_AS (which must not exist).  Both in one atomic
 * exchange where the file system has one (renameat2 RENAME_EXCHANGE: at
 * every instant JOURNAL is a whole journal), else two renames; then the
 * directory holding them is synced.  0, or -1 with ERR. */
int jad_repair_swap (const char *journal, const char *built,
                     const char *damaged_as, char *err, size_t errlen);

#endif
