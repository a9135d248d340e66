/*  journal: the LMDB store of every entry the hub has accepted.
 *
 *  One directory holds one LMDB environment with three named databases:
 *
 *    entries  8-byte big-endian hub_seq -> packed jad.Entry, exactly the bytes
 *             published on the feed; written with MDB_APPEND, so hub_seq is
 *             1, 2, 3... with no gap.
 *    dedupe   origin bytes || 0x00 || incarnation (16) || BE origin_seq (8)
 *             -> BE hub_seq (8) || BLAKE2b-256 of the envelope bytes (32).
 *             A resent report finds its original hub_seq here; the same key
 *             with other bytes is a conflict, never a silent ack.
 *    meta     string keys: "operation_name", "operation_id" (16 bytes),
 *             "start_ms", "end_ms", "created_ms" (BE int64), "schema_version",
 *             "epoch" (BE uint32).
 *
 *  The head is not stored in meta: it is the last key of `entries`, which
 *  cannot disagree with the entries themselves.
 *
 *  Durability: every write is one transaction committed with full sync (no
 *  MDB_NOSYNC, MDB_NOMETASYNC or MDB_WRITEMAP), so after a SIGKILL or power
 *  loss a reopened journal holds every committed batch and no part of any
 *  other.  Callers acknowledge nothing before jad_journal_append returns 0.
 *
 *  Threads: one thread writes (append, meta_set); any thread may read (get,
 *  scan, head, lookup) while it does.  Readers use a short read transaction
 *  per call, so they never pin old pages for long.  Growing the map needs no
 *  transaction open in the process, which the journal arranges with an
 *  internal lock: do not call the journal from inside a scan callback that
 *  runs on the writer thread while that thread is appending.
 *
 *  Processes: one jad_journal_t per directory per process (a second open of
 *  the same directory fails), and never use one across fork(): open it in
 *  the process that uses it.
 *
 *  The LMDB plumbing under all of this (registry, map size, durability,
 *  modes, reader slots) is lib/store.c's (include/jad/store.h).
 */
#ifndef JAD_JOURNAL_H
#define JAD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct _jad_journal_t jad_journal_t;

/* Flags for jad_journal_open. */
#define JAD_JOURNAL_CREATE   1  /* make the directory and databases if missing */
#define JAD_JOURNAL_RDONLY   2  /* post-operation tools, status: no writes */

/* Layout version written at creation; a journal with another one is refused. */
#define JAD_JOURNAL_SCHEMA_VERSION  1
/* Map size a journal starts with; it doubles whenever it is full. */
#define JAD_JOURNAL_MAPSIZE_DEFAULT ((size_t) 64 << 20)
/* Longest origin name the dedupe key accepts (roster names are far shorter;
 * LMDB keys are limited to 511 bytes). */
#define JAD_JOURNAL_ORIGIN_MAX      255
/* BLAKE2b-256, used for prev_hash and for the dedupe envelope hash. */
#define JAD_JOURNAL_HASH_BYTES      32

/* Open the journal in DIR.  FLAGS is 0, JAD_JOURNAL_CREATE or
 * JAD_JOURNAL_RDONLY.  Clears reader slots left by dead processes.  Returns
 * NULL with a one-line reason in ERR when the directory or its databases are
 * missing (without CREATE), the schema version is not ours, the directory
 * is already open in this process, or LMDB fails.  Caller owns the result.
 * A writer sets the modes its group's readers need, whatever the umask: DIR
 * 0750, data.mdb 0640, lock.mdb 0660 (an LMDB reader writes the lock file),
 * so the hub's group (docs/OPERATIONS.md) may read every entry. */
jad_journal_t *jad_journal_open (const char *dir, int flags,
                                 char *err, size_t errlen);

/* Open read-only the journal a participant's directory DIR holds, as the
 * post-operation tools and the console take it: DIR/journal (a hub's
 * --data), DIR/mirror (an agent's) or DIR itself, the first with a
 * data.mdb.  NULL with jad_journal_open's reason in ERR, or "DIR: no
 * journal (neither DIR/journal nor DIR/mirror)". */
jad_journal_t *jad_journal_find (const char *dir, char *err, size_t errlen);

/* Close the journal; safe on NULL; nulls the caller's pointer.  No other
 * thread may be using it. */
void jad_journal_destroy (jad_journal_t **self_p);

/* Set the map size now (it still doubles when full).  Tests use a small one
 * to exercise growth; LMDB never sets it below the data already stored.
 * No other thread may be in the journal.  0 or -1 with ERR. */
int jad_journal_set_mapsize (jad_journal_t *self, size_t bytes,
                             char *err, size_t errlen);

/* Current map size in bytes. */
size_t jad_journal_mapsize (jad_journal_t *self);

/* The journal's directory (its realpath), for messages that name the
 * journal at fault and the command that repairs it; valid while SELF
 * lives. */
const char *jad_journal_path (const jad_journal_t *self);

/* ------------------------------------------------------------ metadata */

typedef struct {
    char     name[128];       /* operation name, NUL-terminated */
    uint8_t  id[16];          /* operation id from the roster */
    int64_t  start_ms;        /* planned start, ms since the epoch */
    int64_t  end_ms;          /* planned end */
    int64_t  created_ms;      /* when this journal was created */
    uint32_t schema_version;  /* JAD_JOURNAL_SCHEMA_VERSION */
    uint32_t epoch;           /* grows at each hub failover; stamped on entries */
    int      has;             /* 0 until meta_set has been called once */
} jad_journal_meta_t;

/* Write the operation fields and epoch of M in one durable commit.
 * created_ms and schema_version are written only when nonzero (an import
 * tool may preserve them); the journal sets both at creation.  M->has is
 * ignored.  0 or -1 (read-only journal, LMDB failure). */
int jad_journal_meta_set (jad_journal_t *self, const jad_journal_meta_t *m);

/* Fill M from the journal; fields never written are zero and M->has is 0
 * until the operation has been set.  0 or -1. */
int jad_journal_meta_get (jad_journal_t *self, jad_journal_meta_t *m);

/* ------------------------------------------------------------ hub writes */

/* Outcome of one item of jad_journal_append. */
#define JAD_JOURNAL_NEW        1  /* journaled now under hub_seq */
#define JAD_JOURNAL_DUPLICATE  2  /* same key and bytes, journaled earlier as hub_seq */
#define JAD_JOURNAL_CONFLICT   3  /* same key, other bytes: refused, hub_seq 0 */
#define JAD_JOURNAL_DAMAGED    4  /* the key's dedupe record is damaged and the
                                   * entries cannot settle it (the entry it
                                   * names is another report's, unreadable,
                                   * or past the head): nothing journaled,
                                   * hub_seq 0 — answer "retry later" */

/* Room for an item's DAMAGE text. */
#define JAD_JOURNAL_DAMAGE_MAX  512

typedef struct {
    /* in: the report's identity, already checked against the envelope */
    const char    *origin;        /* roster name, at most JAD_JOURNAL_ORIGIN_MAX */
    const uint8_t *incarnation;   /* 16 bytes */
    uint64_t       origin_seq;
    const uint8_t *envelope;      /* Envelope bytes exactly as received */
    size_t         envelope_len;
    int64_t        received_ms;   /* hub clock at receipt */
    int            keep_entry;    /* return the stored bytes in ENTRY */
    /* out: */
    int            status;        /* JAD_JOURNAL_NEW, _DUPLICATE or _CONFLICT */
    uint64_t       hub_seq;       /* new or original sequence; 0 on conflict */
    uint8_t       *entry;         /* NEW with keep_entry: the Entry bytes as
                                   * stored, malloc'd; the caller frees it */
    size_t         entry_len;
    char           damage[JAD_JOURNAL_DAMAGE_MAX];
                                  /* "" when the key's dedupe record agrees
                                   * with the entries; else one line (for the
                                   * log) naming the journal, the key, what
                                   * is wrong with its record and the repair
                                   * command — with DAMAGED, and with a
                                   * DUPLICATE or CONFLICT that was settled
                                   * by the stored entry's bytes */
} jad_journal_item_t;

/* Journal a batch of N items in one write transaction and one durable
 * commit (group commit).  Each item is compared with the dedupe database
 * and with the items before it in the batch; a new one becomes an Entry
 * {hub_seq = head + 1, epoch from meta, received_ms, envelope, prev_hash =
 * BLAKE2b-256 of the previous entry's stored bytes (absent for 1)}.  A full
 * map is grown and the whole batch retried.  Returns 0 when the batch is
 * committed (status and hub_seq filled in; only then may anything be
 * acknowledged), -1 with ERR when nothing was committed.
 *
 * The dedupe index is a copy of what the entries say, and a damaged copy
 * must never make a report's fate final: a key whose record holds the
 * envelope's hash and names an entry up to the head is a DUPLICATE at once
 * (the common resend: no entry read); any other record (another hash, an
 * entry past the head, a value of the wrong size, a record LMDB cannot
 * read) is settled by the entry it names, read and opened down to its
 * envelope — the same identity and these very bytes: DUPLICATE; the same
 * identity, other bytes: CONFLICT; anything else: DAMAGED.  Each of these
 * but a plain CONFLICT fills DAMAGE.  A record that cannot be read takes
 * its item out of the batch (DAMAGED) and the rest is journaled.  What the
 * index cannot show — a record missing for a journaled report — is not
 * found here: the hub's start-up audit checks the index against the
 * entries. */
int jad_journal_append (jad_journal_t *self, jad_journal_item_t *items,
                        size_t n, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* ------------------------------------------------------------ mirror writes */

/* Results of jad_journal_append_entries: why a batch was refused, so that
 * a caller tells a break in the hub's history from a glitch without
 * reading the text.  Every refusal is negative, like -1. */
#define JAD_JOURNAL_OK        0   /* stored, all of it */
#define JAD_JOURNAL_EIO     (-1)  /* LMDB or memory failed; nothing stored */
#define JAD_JOURNAL_EORDER  (-2)  /* an entry's hub_seq is not head + 1: a
                                   * gap or an old entry (catch up) */
#define JAD_JOURNAL_EDECODE (-3)  /* an entry does not decode */
#define JAD_JOURNAL_EBROKEN (-4)  /* an entry in order whose prev_hash is
                                   * not the hash of the entry stored before
                                   * it (or, for entry 1, is present): the
                                   * hub's history differs from what it sent
                                   * before — a break, not a glitch */

/* Store N entries received from the hub's feed, in one durable commit, as
 * the exact bytes received.  Each must decode, carry hub_seq == head + 1
 * (in order), and a prev_hash equal to the hash of the entry stored before
 * it.  Returns JAD_JOURNAL_OK, or one of the codes above with ERR naming
 * the entry ("does not decode", "has hub_seq N, expected M", "prev_hash
 * does not match entry N") and nothing stored; the caller then catches up
 * from head + 1.  The first refusal in the batch decides the code.  When
 * an entry's envelope decodes, its dedupe record is added too, so
 * jad_journal_lookup works on a mirror. */
int jad_journal_append_entries (jad_journal_t *self,
                                const uint8_t *const *bufs, const size_t *lens,
                                size_t n, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* ------------------------------------------------------------ reads */

/* *SEQ_P = the last hub_seq, 0 when empty.  0 or -1. */
int jad_journal_head (jad_journal_t *self, uint64_t *seq_p);

/* *COUNT_P = number of entries (equal to the head, since there are no
 * gaps; read from LMDB's statistics, so it is a check on that). 0 or -1. */
int jad_journal_count (jad_journal_t *self, uint64_t *count_p);

/* Copy entry SEQ into a new malloc'd buffer (*BUF_P, *LEN_P); caller frees.
 * 1 found, 0 not found, -1 error. */
int jad_journal_get (jad_journal_t *self, uint64_t seq,
                     uint8_t **buf_p, size_t *len_p);

/* Visit up to MAX entries from FROM_SEQ in order, in one short read
 * transaction.  BUF is valid only during the call of FN; FN returns
 * nonzero to stop early (that entry counts as visited).  Returns the
 * number of entries visited, or -1.  Read catch-up in chunks: a long
 * reader makes the file grow. */
typedef int (jad_journal_scan_fn) (void *arg, uint64_t seq,
                                   const uint8_t *buf, size_t len);
long jad_journal_scan (jad_journal_t *self, uint64_t from_seq, size_t max,
                       jad_journal_scan_fn *fn, void *arg);

/* Find a report by identity.  *HUB_SEQ_P = its hub_seq and, when HASH is
 * not NULL, HASH (JAD_JOURNAL_HASH_BYTES) = BLAKE2b-256 of its envelope.
 * 1 found, 0 not found, -1 error. */
int jad_journal_lookup (jad_journal_t *self, const char *origin,
                        const uint8_t *incarnation, uint64_t origin_seq,
                        uint64_t *hub_seq_p, uint8_t *hash);

/* *COUNT_P = number of dedupe records.  0 or -1. */
int jad_journal_dedupe_count (jad_journal_t *self, uint64_t *count_p);

/* *BYTES_P = size of the data file on disk, for status.  0 or -1. */
int jad_journal_stat (jad_journal_t *self, uint64_t *bytes_p);

/* Drop this process's mapping of the journal's pages (they stay in the
 * page cache and are mapped again on the next read).  A long-running hub
 * calls it now and then so that serving catch-ups from a large journal
 * does not keep the whole file resident in its memory.  The map is
 * read-only (no MDB_WRITEMAP), so nothing is lost. */
void jad_journal_trim (jad_journal_t *self);

/* ------------------------------------------------------------ side records */

/* Records kept beside the entries, in the same environment, keyed by a hub
 * sequence: signed checkpoints (key = the hub_seq they cover) and the
 * rosters the hub applied (key = the first hub_seq each governs).  They are
 * not entries: counting reports never sees them. */
#define JAD_JOURNAL_CHECKPOINTS  1
#define JAD_JOURNAL_ROSTERS      2

/* Store BUF under SEQ in the KIND database (replacing what was there) in
 * one durable commit — none when SEQ holds these very bytes already (the
 * same record received again).  0 or -1 with ERR. */
int jad_journal_record_put (jad_journal_t *self, int kind, uint64_t seq,
                            const uint8_t *buf, size_t len,
                            char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Like jad_journal_scan, over the KIND database.  A journal made before
 * side records existed has none (0). */
long jad_journal_record_scan (jad_journal_t *self, int kind, uint64_t from_seq,
                              size_t max, jad_journal_scan_fn *fn, void *arg);

/* *SEQ_P = the last key in KIND (0 when none).  0 or -1. */
int jad_journal_record_last (jad_journal_t *self, int kind, uint64_t *seq_p);

/* *KEY_P = the greatest key in KIND that is <= SEQ: for ROSTERS, the
 * roster governing hub_seq SEQ (what a feed serving from SEQ sends
 * first).  1 found, 0 none (*KEY_P = 0; also for a journal without side
 * records), -1 error.  One short read transaction. */
int jad_journal_record_floor (jad_journal_t *self, int kind, uint64_t seq,
                              uint64_t *key_p);

/* The first record of KIND at or after FROM_SEQ: *KEY_P its key, its
 * bytes copied into a new malloc'd *BUF_P (*LEN_P; caller frees).  1
 * found, 0 none (*BUF_P NULL), -1 error (a read failed or memory ran
 * out).  One search from the root, one short read transaction: a walk
 * from record to record would step onto a damaged page. */
int jad_journal_record_next (jad_journal_t *self, int kind, uint64_t from_seq,
                             uint64_t *key_p, uint8_t **buf_p, size_t *len_p);

/* HASH (JAD_JOURNAL_HASH_BYTES) = BLAKE2b-256 of entry SEQ's bytes, the
 * value the next entry's prev_hash holds.  1 found, 0 not, -1 error. */
int jad_journal_hash (jad_journal_t *self, uint64_t seq, uint8_t *hash);

/* ------------------------------------------------------------ audit reads */

/* Reads for lib/audit.c, which checks everything a journal holds even
 * when parts of the file are damaged.  LMDB 0.9 reports a damaged page it
 * reaches from the root (MDB_CORRUPTED, MDB_PAGE_NOTFOUND) but aborts the
 * process when a cursor steps sideways into one (an assertion in
 * mdb_cursor_next): these read one key at a time from the root, and after
 * an error go on in a fresh read transaction (LMDB fails every later call
 * of the one that saw it). */

/* What a read found under one key. */
#define JAD_JOURNAL_ABSENT      0   /* no such key */
#define JAD_JOURNAL_PRESENT     1   /* the value is there */
#define JAD_JOURNAL_UNREADABLE  2   /* LMDB cannot read the page that holds
                                     * it, or one on the way to it */
#define JAD_JOURNAL_MALFORMED   3   /* a dedupe record of the wrong size */

/* One hub_seq visited by jad_journal_walk: STATE one of the above; BUF
 * and LEN the entry's bytes when PRESENT, valid only during the call;
 * LMDB_RC LMDB's code when UNREADABLE (mdb_strerror names it).  Returns
 * nonzero to stop (that hub_seq counts as visited). */
typedef int (jad_journal_walk_fn) (void *arg, uint64_t seq, int state,
                                   const uint8_t *buf, size_t len, int lmdb_rc);

/* Visit every hub_seq from FROM to TO inclusive, at most MAX of them, in
 * order, each read by its key in one short read transaction (renewed
 * after a damaged page).  A key missing or unreadable is visited too, with
 * its state: nothing stops the walk but FN.  Returns the number visited,
 * or -1 when no read transaction can begin.  Keep MAX a chunk (thousands):
 * a long reader makes the file grow. */
long jad_journal_walk (jad_journal_t *self, uint64_t from, uint64_t to,
                       size_t max, jad_journal_walk_fn *fn, void *arg);

/* Counts read in one read transaction, so that they agree with each other
 * even while a hub appends. */
typedef struct {
    uint64_t head;          /* the last key of entries; 0 when empty or
                             * when it cannot be read (HEAD_RC) */
    int      head_rc;       /* 0, or LMDB's code reading the last key */
    uint64_t entries;       /* records in entries (LMDB's statistics) */
    uint64_t dedupe;        /* records in dedupe */
    uint64_t file_bytes;    /* data.mdb's size on disk */
    uint64_t last_page_end; /* where LMDB's last page ends: past FILE_BYTES
                             * only for pages of the free list (lib/store.c
                             * refuses any other file shorter than that),
                             * as in a copy made by mdb_copy */
    unsigned page_size;
} jad_journal_census_t;

/* Fill *C.  0, or -1 when the journal cannot be read at all. */
int jad_journal_census (jad_journal_t *self, jad_journal_census_t *c);

/* One identity for jad_journal_lookup_many. */
typedef struct {
    /* in: */
    const uint8_t *origin;          /* not NUL-terminated; ORIGIN_LEN 0:
                                     * skip this one (state ABSENT) */
    size_t         origin_len;
    const uint8_t *incarnation;     /* JAD_ID_BYTES (16) */
    uint64_t       origin_seq;
    /* out: */
    int            state;           /* JAD_JOURNAL_ABSENT, _PRESENT,
                                     * _UNREADABLE or _MALFORMED */
    int            lmdb_rc;         /* LMDB's code when UNREADABLE */
    uint64_t       hub_seq;         /* PRESENT: the record's hub_seq */
    uint8_t        hash[JAD_JOURNAL_HASH_BYTES];   /* and envelope hash */
} jad_journal_ident_t;

/* Look up the dedupe records of Q[0..N), in one read transaction (renewed
 * after a damaged page).  0, or -1 when no read transaction can begin. */
int jad_journal_lookup_many (jad_journal_t *self, jad_journal_ident_t *q,
                             size_t n);

/* A dedupe record visited by jad_journal_dedupe_scan: its key and value,
 * valid only during the call.  Nonzero stops. */
typedef int (jad_journal_dedupe_fn) (void *arg, const uint8_t *key,
                                     size_t key_len, const uint8_t *val,
                                     size_t val_len);

/* Visit up to MAX dedupe records in key order, from the first key after
 * AFTER (AFTER_LEN bytes; NULL: from the first), in one short read
 * transaction.  This one steps a cursor: call it only on an index whose
 * records jad_journal_lookup_many could read.  The number visited, or
 * -1. */
long jad_journal_dedupe_scan (jad_journal_t *self, const uint8_t *after,
                              size_t after_len, size_t max,
                              jad_journal_dedupe_fn *fn, void *arg);

/* Split a dedupe key (as jad_journal_dedupe_scan gives it) into ORIGIN
 * (NUL-terminated, JAD_JOURNAL_ORIGIN_MAX + 1 bytes), INCARNATION
 * (JAD_ID_BYTES) and *ORIGIN_SEQ_P.  0, or -1 when KEY is not of that
 * shape. */
int jad_journal_dedupe_key_split (const uint8_t *key, size_t len,
                                  char *origin, uint8_t *incarnation,
                                  uint64_t *origin_seq_p);

/* Why jad_journal_dedupe_rebuild refused: two entries carry one identity. */
#define JAD_JOURNAL_EDUPLICATE (-5)

/* Rebuild the dedupe index from the entries, in one write transaction and
 * one durable commit: the index emptied, then one record per entry whose
 * envelope opens (what a mirror indexes), pointing to its hub_seq with its
 * envelope's hash.  *RECORDS_P = records written.  Returns JAD_JOURNAL_OK;
 * JAD_JOURNAL_EDUPLICATE when two entries carry one identity (*DUP_SEQ_P
 * the later, *DUP_OF_P the earlier; nothing written): the journal itself
 * is wrong, not its index; JAD_JOURNAL_EDECODE when an entry does not
 * decode; JAD_JOURNAL_EIO (LMDB: a page of the entries or of the old index
 * it cannot read).  ERR says which.  Costs a read and a decode per entry
 * and a write per record: run it where the hub is stopped or starting. */
int jad_journal_dedupe_rebuild (jad_journal_t *self, uint64_t *records_p,
                                uint64_t *dup_seq_p, uint64_t *dup_of_p,
                                char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
