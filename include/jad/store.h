/*  store: the one LMDB layer under the journal and the outbox.
 *
 *  A store is one directory holding one LMDB environment (data.mdb,
 *  lock.mdb) with a few named databases that its owner (lib/journal.c,
 *  lib/outbox.c) lays out.  The store knows nothing of entries, reports,
 *  envelopes or keys: it owns what every LMDB user here must get right and
 *  had been writing twice —
 *
 *    - one environment per directory per process (LMDB's POSIX locks are
 *      per process: a second env on the same files would drop the first
 *      one's locks when it closes), kept in a registry keyed by realpath;
 *    - the map size: a map another process grew is adopted when a
 *      transaction begins (MDB_MAP_RESIZED); a full map is doubled and the
 *      write transaction redone from scratch; both under a lock, because
 *      LMDB requires that no transaction be open in the process while
 *      mdb_env_set_mapsize runs;
 *    - durability: every write is one transaction committed with full sync
 *      (no MDB_NOSYNC, MDB_NOMETASYNC or MDB_WRITEMAP), so after a SIGKILL
 *      or power loss a reopened store holds every committed transaction
 *      and nothing of any other;
 *    - reader slots of dead processes cleared at open and every 1024
 *      commits (a dead reader would pin old pages and make the file grow);
 *    - the modes of the directory and files;
 *    - a damaged file refused with a message, never a signal: both meta
 *      pages and the file's size are checked before LMDB maps it, and a
 *      file that shrinks under a running process ends it with one line
 *      and exit status 2 instead of a silent SIGBUS (jad_store_open);
 *    - the small codecs every layout here uses: big-endian integers (so
 *      LMDB's byte order is numeric order), string-keyed meta values, and
 *      databases keyed by a BE64 sequence (scan, last, floor, count).
 *
 *  A damaged file never kills a program by a signal: the meta pages are
 *  checked before the file is mapped (jad_store_open), a file cut short
 *  under a running process stops it with one line and exit 2 (a SIGBUS
 *  handler), and a broken page in the middle, on which LMDB 0.9 asserts,
 *  does the same through LMDB's assert hook (mdb_env_set_assert).
 *
 *  Errors: functions that take ERR write one line into it, always starting
 *  with the store's kind and directory ("journal /x: ...") so a log line
 *  says which file is at fault.  Functions that run inside a caller's
 *  transaction return LMDB codes (0, MDB_NOTFOUND, MDB_CORRUPTED, ...) so
 *  a write body can hand them back to jad_store_write unchanged.
 *
 *  Threads: one thread writes (jad_store_write); any number of threads may
 *  read at the same time, each transaction short.  Every transaction holds
 *  an internal lock for reading; growing the map takes it for writing, so
 *  a thread must not begin a write (or call anything that may grow the
 *  map) while it holds a read transaction of the same store — it would
 *  wait for itself.  Read transactions are not tied to a thread
 *  (MDB_NOTLS): a scan callback may read the store again — but such a
 *  nested read fails (MDB_MAP_RESIZED) when another process has just grown
 *  the map, since adopting the new size would wait for the outer
 *  transaction: read what you need after the scan when that matters.
 *
 *  Processes: any number of processes may open one directory at once;
 *  LMDB serialises their writers.  Never use a store across fork(): open
 *  it in the process that uses it.
 */
#ifndef JAD_STORE_H
#define JAD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

typedef struct _jad_store_t jad_store_t;

/* Flags for jad_store_open. */
#define JAD_STORE_CREATE   1    /* make the directory and databases if missing */
#define JAD_STORE_RDONLY   2    /* no writes; LMDB opened MDB_RDONLY */

/* Named databases a store may have (LMDB's maxdbs). */
#define JAD_STORE_DBS_MAX  8

/* Modes a spec with group_modes forces on a writer's open, whatever the
 * umask: the owner's group may read the store, and may write the lock file
 * because an LMDB reader, even MDB_RDONLY, registers itself there.  Others
 * get nothing. */
#define JAD_STORE_GROUP_DIR_MODE   0750
#define JAD_STORE_GROUP_DATA_MODE  0640
#define JAD_STORE_GROUP_LOCK_MODE  0660

/* The body of a transaction: jad_store_write's, or a spec's init.  STORE
 * is the store the transaction belongs to (jad_store_dbi gives the
 * handles), TXN the transaction, ARG the caller's.  Returns 0, an LMDB
 * code (MDB_MAP_FULL from a write makes jad_store_write grow the map and
 * call the body again from scratch; any other code becomes ERR), or -1
 * with ERR already written.  A body is called again after MDB_MAP_FULL,
 * so it must set every output afresh on each call, and must not keep
 * pointers into the database after it returns. */
typedef int (jad_store_txn_fn) (jad_store_t *store, MDB_txn *txn, void *arg,
                                char *err, size_t errlen);

/* One named database of a store. */
typedef struct {
    const char *name;           /* its name in the file */
    int         optional;       /* 0: missing without CREATE is "not a jadhub
                                 * KIND"; 1: added to the layout later — a
                                 * writer creates it, a read-only open of an
                                 * older file goes on without it */
} jad_store_db_t;

/* What a store is: its owner's layout and its files' modes.  Usually a
 * static const of the owner's. */
typedef struct {
    const char           *kind;      /* "journal", "outbox": first word of
                                      * every error text, and the noun of
                                      * "no KIND there" */
    const jad_store_db_t *dbs;       /* the databases, opened in this order;
                                      * jad_store_dbi takes an index here */
    size_t                ndbs;      /* 1..JAD_STORE_DBS_MAX */
    size_t                mapsize;   /* map size of a new file; an existing
                                      * one keeps the size it grew to */
    unsigned              dir_mode;  /* mkdir mode under JAD_STORE_CREATE
                                      * (the umask applies) */
    int                   group_modes;
                                     /* 1: a writer forces the
                                      * JAD_STORE_GROUP_* modes on the
                                      * directory and files; 0: they keep
                                      * the modes they were made with
                                      * (files 0600) */
    jad_store_txn_fn     *init;      /* NULL, or run inside the opening
                                      * transaction, after the databases are
                                      * open: check a layout version, create
                                      * an identity.  For a writer, in a
                                      * write transaction (what it writes
                                      * commits with the databases, at once;
                                      * redone from scratch after
                                      * MDB_MAP_FULL like any write body);
                                      * under JAD_STORE_RDONLY, in a read
                                      * transaction, where it must not write
                                      * (jad_store_rdonly says which) */
} jad_store_spec_t;

/* ------------------------------------------------------------ lifecycle */

/* Open the store in DIR as SPEC lays it out.  FLAGS is 0,
 * JAD_STORE_CREATE (make the directory with SPEC->dir_mode and the
 * databases) or JAD_STORE_RDONLY.  A writer first checks that the
 * directory, data.mdb and lock.mdb (those that exist) are writable.  Then
 * data.mdb is checked against its own meta pages before LMDB maps it
 * (LMDB 0.9's layout; two preads and an fstat): both meta pages carry the
 * magic, version, meta flag and one sane page size; their txnids follow
 * LMDB's alternation (meta page N & 1 holds txnid N, so they differ by
 * one, or are both 0 in a new file) — a damaged txnid is refused, never
 * left to LMDB, which would open the other meta and roll a committed
 * transaction back; last page and root pages are in range; and the file
 * holds every page the newer meta uses (pages past its end are allowed
 * only when its free-page tree lists them all: LMDB does not write a
 * page it allocated and freed in one transaction).  An empty data.mdb is
 * made afresh under CREATE.  Registers DIR's realpath (a second open of
 * one directory in a process fails), opens the environment (MDB_NOTLS,
 * maxdbs JAD_STORE_DBS_MAX, SPEC->mapsize for a new file; LMDB makes a
 * missing lock.mdb again), forces the modes when SPEC says so and this is
 * a writer, clears the reader slots of dead processes, then opens the
 * databases and runs SPEC->init (with INIT_ARG) in one transaction,
 * committed durably.
 *
 * Returns NULL with a one-line reason in ERR and errno set.  errno is
 * EBADMSG when the file is damaged — "KIND DIR: data.mdb is damaged:
 * 503,808 bytes, but its last page ends at byte 671,744 (truncated?);
 * ...", "KIND DIR: meta page 1 of data.mdb is damaged (txnid 6 where an
 * odd one is expected); ...", "KIND DIR: meta pages 0 and 1 of data.mdb
 * disagree (...)", "KIND DIR: data.mdb is damaged (MDB_CORRUPTED: ...)",
 * each ending with what an operator can do for that kind (the journal's
 * `jad-journal repair`, the outbox's backup; docs/OPERATIONS.md,
 * Recovery).  Any other errno means the store could not be opened at
 * all: ENOENT "KIND DIR: no KIND there (no such directory)", "...
 * (data.mdb missing)", "... (data.mdb is empty)"; ENOTDIR "KIND DIR: not a
 * directory"; EACCES, EPERM or EROFS "KIND DIR: read-only (data.mdb is not
 * writable: ...): ..." (a writer) or LMDB's "Permission denied"; EBUSY
 * "KIND DIR is already open in this process"; EINVAL "KIND DIR: not a
 * jadhub KIND (no 'NAME' database)", "KIND: CREATE and RDONLY are
 * exclusive", SPEC->init's reason; or LMDB's reason with its errno.  So
 * a checker can tell "damaged" (its verdict) from "cannot open" (an I/O
 * error).
 *
 * While the store is open, a SIGBUS on a read of its map (the file was
 * cut short under the process) writes "PROGRAM: KIND DIR: data.mdb shrank
 * under this process (a read at byte N is past its end): it is damaged;
 * stopping (exit 2); ..." to stderr and ends the process with _exit(2):
 * the first open installs a SA_SIGINFO handler for SIGBUS that does this
 * for the maps of up to 32 open stores and hands any other SIGBUS to the
 * disposition it replaced.  A program that installs its own SIGBUS
 * handler afterwards replaces it until the next open of a store, which
 * puts it back on top (handing what is not a store's to that one).
 *
 * A writer's open costs one durable commit.  Caller owns the result; SPEC
 * must outlive it, INIT_ARG need not. */
jad_store_t *jad_store_open (const char *dir, int flags,
                             const jad_store_spec_t *spec, void *init_arg,
                             char *err, size_t errlen);

/* Close the store and leave the registry; safe on NULL; nulls the
 * caller's pointer.  No other thread may be using it, no transaction of it
 * may be open. */
void jad_store_destroy (jad_store_t **self_p);

/* The realpath of the store's directory, for error texts; valid while
 * SELF lives. */
const char *jad_store_path (const jad_store_t *self);

/* The spec's kind ("journal", "outbox"). */
const char *jad_store_kind (const jad_store_t *self);

/* 1 when opened with JAD_STORE_RDONLY. */
int jad_store_rdonly (const jad_store_t *self);

/* The handle of database INDEX of the spec, for mdb_get/put/cursor inside
 * a transaction of this store.  Valid while SELF lives.  Only meaningful
 * when jad_store_has_db (an optional database may be absent). */
MDB_dbi jad_store_dbi (const jad_store_t *self, size_t index);

/* 1 when database INDEX exists in the file (always, for a required one;
 * for an optional one, 0 on a read-only open of a file made before it). */
int jad_store_has_db (const jad_store_t *self, size_t index);

/* ------------------------------------------------------------ transactions */

/* Begin a read transaction into *TXN_P, holding the internal lock for
 * reading until jad_store_read_end.  A map grown by another process is
 * adopted and the begin retried.  Returns 0, or an LMDB code with *TXN_P
 * NULL and no lock held.  Keep it short: an open reader pins the pages it
 * sees, so the file grows while it lives, and a writer that must grow the
 * map waits for it. */
int jad_store_read_begin (jad_store_t *self, MDB_txn **txn_p);

/* End the read transaction *TXN_P and release the lock; nulls *TXN_P;
 * nothing happens when it is already NULL. */
void jad_store_read_end (jad_store_t *self, MDB_txn **txn_p);

/* Run FN (with ARG) in a write transaction and commit it with full sync.
 * When FN or the commit says MDB_MAP_FULL the map is doubled (under the
 * lock, with no transaction of this process open) and FN called again
 * from scratch — safe, because nothing of the first try was committed, so
 * nothing was acknowledged.  Every 1024 commits clears dead readers' slots.
 * Returns 0 once committed (only then may anything be acknowledged), or
 * -1 with ERR ("KIND DIR is open read-only", FN's reason, "KIND DIR:
 * <LMDB's reason>", "KIND DIR: cannot grow map beyond N bytes: ...") and
 * nothing committed.  Costs two syncs of the data file (its pages, then
 * the meta page). */
int jad_store_write (jad_store_t *self, jad_store_txn_fn *fn, void *arg,
                     char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* ------------------------------------------------------------ map, file */

/* Current map size in bytes. */
size_t jad_store_mapsize (jad_store_t *self);

/* Set the map size now (it still doubles when full).  Tests use a small
 * one to exercise growth; LMDB never sets it below the data already
 * stored.  Waits for open transactions of this process to end.  0, or -1
 * with "KIND DIR: set mapsize: ..." in ERR. */
int jad_store_set_mapsize (jad_store_t *self, size_t bytes,
                           char *err, size_t errlen);

/* *BYTES_P = size of data.mdb on disk.  0, or -1 (stat failed). */
int jad_store_file_size (jad_store_t *self, uint64_t *bytes_p);

/* Drop this process's mapping of the data file's pages: they stay in the
 * page cache and are mapped again on the next read.  A long-running
 * reader of a large store calls it now and then so that its resident
 * memory does not grow to the file's size.  The map is read-only (no
 * MDB_WRITEMAP), so nothing is lost.  Costs a read of /proc/self/maps. */
void jad_store_trim (jad_store_t *self);

/* ------------------------------------------------------------ integers */

/* Big-endian integers, the byte order of every key and number stored:
 * LMDB compares keys as bytes, so BE keys sort as numbers. */
void     jad_store_put_be64 (uint8_t *p, uint64_t v);
uint64_t jad_store_get_be64 (const uint8_t *p);
void     jad_store_put_be32 (uint8_t *p, uint32_t v);
uint32_t jad_store_get_be32 (const uint8_t *p);

/* ------------------------------------------------------------ meta values */

/* A meta database maps a string NAME (without its NUL) to a value.  These
 * run inside the caller's transaction TXN on database DBI and return LMDB
 * codes. */

/* Store SIZE bytes of DATA under NAME, replacing any value.  0 or an
 * LMDB code (MDB_MAP_FULL included). */
int jad_store_meta_put (MDB_txn *txn, MDB_dbi dbi, const char *name,
                        const void *data, size_t size);

/* Store X as BE64 / BE32 / the bytes of STR (without NUL). */
int jad_store_meta_put_u64 (MDB_txn *txn, MDB_dbi dbi, const char *name,
                            uint64_t x);
int jad_store_meta_put_u32 (MDB_txn *txn, MDB_dbi dbi, const char *name,
                            uint32_t x);
int jad_store_meta_put_str (MDB_txn *txn, MDB_dbi dbi, const char *name,
                            const char *str);

/* *VAL = the value of NAME, pointing into the map: valid until TXN ends or
 * writes.  0, MDB_NOTFOUND, or an LMDB code. */
int jad_store_meta_get (MDB_txn *txn, MDB_dbi dbi, const char *name,
                        MDB_val *val);

/* *X = the BE64 / BE32 value of NAME, or DEF when NAME is absent.  0, or
 * MDB_CORRUPTED (a value of another size), or an LMDB code. */
int jad_store_meta_get_u64 (MDB_txn *txn, MDB_dbi dbi, const char *name,
                            uint64_t def, uint64_t *x);
int jad_store_meta_get_u32 (MDB_txn *txn, MDB_dbi dbi, const char *name,
                            uint32_t def, uint32_t *x);

/* Copy the value of NAME, which must be exactly SIZE bytes, into BUF.
 * 0, MDB_NOTFOUND (BUF untouched), MDB_CORRUPTED (another size), or an
 * LMDB code. */
int jad_store_meta_get_bytes (MDB_txn *txn, MDB_dbi dbi, const char *name,
                              void *buf, size_t size);

/* Copy the string value of NAME into BUF (SIZE bytes, NUL-terminated; ""
 * when absent).  0, MDB_CORRUPTED (SIZE - 1 bytes or more), or an LMDB
 * code. */
int jad_store_meta_get_str (MDB_txn *txn, MDB_dbi dbi, const char *name,
                            char *buf, size_t size);

/* ------------------------------------------------------------ BE64-keyed */

/* The functions below serve databases keyed by an 8-byte big-endian
 * sequence (the journal's entries and side records, the outbox's queue
 * and rejected).  A key of another size is corruption. */

/* A visited record: KEY its sequence, VAL[0..LEN) its value, valid only
 * during the call.  Returns 0 to go on, nonzero to stop (the record
 * counts as visited). */
typedef int (jad_store_scan_fn) (void *arg, uint64_t key,
                                 const uint8_t *val, size_t len);

/* Visit up to MAX records of DBI from key FROM on, in order, in one short
 * read transaction.  Returns the number visited, or -1 (LMDB failure, a
 * key not 8 bytes).  Read a large range in chunks: a long reader makes
 * the file grow. */
long jad_store_scan (jad_store_t *self, MDB_dbi dbi, uint64_t from,
                     size_t max, jad_store_scan_fn *fn, void *arg);

/* The same inside the caller's transaction TXN, which may be a write
 * transaction (FN must not write to DBI meanwhile: the cursor is walking
 * it).  The number visited, or -1. */
long jad_store_scan_txn (MDB_txn *txn, MDB_dbi dbi, uint64_t from,
                         size_t max, jad_store_scan_fn *fn, void *arg);

/* *KEY_P = the last (greatest) key of DBI in TXN, and *VAL (when not NULL)
 * its value, valid until TXN ends or writes.  0, MDB_NOTFOUND (empty:
 * *KEY_P = 0), MDB_CORRUPTED or an LMDB code. */
int jad_store_last_txn (MDB_txn *txn, MDB_dbi dbi, uint64_t *key_p,
                        MDB_val *val);

/* *KEY_P = the last key of DBI, 0 when empty.  0 or -1. */
int jad_store_last (jad_store_t *self, MDB_dbi dbi, uint64_t *key_p);

/* *KEY_P = the greatest key of DBI that is <= X.  1 found, 0 none (every
 * key is above X, or DBI is empty; *KEY_P = 0), -1 error. */
int jad_store_floor (jad_store_t *self, MDB_dbi dbi, uint64_t x,
                     uint64_t *key_p);

/* Copy the value under KEY into a new malloc'd buffer (*BUF_P, *LEN_P;
 * caller frees).  1 found, 0 not found (*BUF_P NULL), -1 error. */
int jad_store_get (jad_store_t *self, MDB_dbi dbi, uint64_t key,
                   uint8_t **buf_p, size_t *len_p);

/* *COUNT_P = the number of records in DBI (any keys), from LMDB's
 * statistics: no walk.  0 or -1. */
int jad_store_count (jad_store_t *self, MDB_dbi dbi, uint64_t *count_p);

#endif
