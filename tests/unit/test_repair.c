/* Unit tests: lib/repair.c — a journal rebuilt from a damaged one and its
 * mirrors, on real LMDB files damaged as a disk damages them: a page of
 * the data file zeroed (LMDB answers MDB_CORRUPTED for its keys, and a
 * cursor stepping onto it aborts), the file cut short (a reader faults
 * past its end), the whole journal gone, a byte changed inside an entry
 * that still decodes.  Also: entries no source has (the range named,
 * nothing to swap), a checkpoint that does not match, a mirror of another
 * operation, the in-use check against another process, and the swap. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/record.h"
#include "jad/repair.h"
#include "jad/store.h"
#include "jad/wire.h"
#include "testutil.h"

static const uint8_t s_opid[16] = { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t s_inc[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };

/* ------------------------------------------------------------ helpers */

/* DIR/NAME into BUF (the test's own buffer: jad_test_path has one). */
static const char *
s_at (void **state, char *buf, size_t len, const char *name)
{
    snprintf (buf, len, "%s/%s", jad_test_dir (state), name);
    return buf;
}

/* Envelope bytes for origin_seq SEQ, with a 300-byte report: a dozen
 * entries per page. */
static uint8_t *
s_envelope (const uint8_t *op, uint64_t seq, size_t *len_p)
{
    uint8_t report[300];
    for (size_t i = 0; i < sizeof report; i++)
        report[i] = (uint8_t) (i * 7 + seq);
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1; env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) op; env.operation_id.len = 16;
    env.origin = "agent-de";
    env.has_incarnation = 1;
    env.incarnation.data = (uint8_t *) s_inc; env.incarnation.len = 16;
    env.has_origin_seq = 1; env.origin_seq = seq;
    env.has_event_time_ms = 1; env.event_time_ms = 1605510003000 + (int64_t) seq;
    env.has_report = 1; env.report.data = report; env.report.len = sizeof report;
    uint8_t *buf = jad_wire_encode (&env.base, len_p);
    assert_non_null (buf);
    return buf;
}

/* A hub journal in DIR with entries 1..N of operation OP, as the hub
 * writes them, in batches of 100. */
static void
s_hub (const char *dir, const uint8_t *op, uint64_t n)
{
    char err[256];
    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    jad_journal_meta_t m = { .start_ms = 1, .end_ms = 2 };
    snprintf (m.name, sizeof m.name, "Unit");
    memcpy (m.id, op, 16);
    assert_int_equal (jad_journal_meta_set (j, &m), 0);
    for (uint64_t first = 1; first <= n; first += 100) {
        jad_journal_item_t items[100];
        uint8_t *bufs[100];
        size_t k = 0;
        for (uint64_t s = first; s <= n && k < 100; s++, k++) {
            memset (&items[k], 0, sizeof items[k]);
            bufs[k] = s_envelope (op, s, &items[k].envelope_len);
            items[k].origin = "agent-de";
            items[k].incarnation = s_inc;
            items[k].origin_seq = s;
            items[k].envelope = bufs[k];
            items[k].received_ms = 1605510004000 + (int64_t) s;
        }
        assert_int_equal (jad_journal_append (j, items, k, err, sizeof err), 0);
        for (size_t i = 0; i < k; i++)
            free (bufs[i]);
    }
    jad_journal_destroy (&j);
}

typedef struct {
    jad_journal_t *to;
    uint64_t       upto;
} s_copy_t;

static int
s_copy_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_copy_t *c = arg;
    char err[256];
    if (seq > c->upto)
        return 1;
    const uint8_t *bufs[1] = { buf };
    size_t lens[1] = { len };
    assert_int_equal (jad_journal_append_entries (c->to, bufs, lens, 1, err,
                                                  sizeof err), JAD_JOURNAL_OK);
    return 0;
}

static int
s_copy_records_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    char err[256];
    assert_int_equal (jad_journal_record_put (arg, JAD_JOURNAL_CHECKPOINTS, seq,
                                              buf, len, err, sizeof err), 0);
    return 0;
}

/* A mirror in DIR of FROM's entries 1..UPTO and its checkpoints, as an
 * agent keeps it (meta: the operation id only). */
static void
s_mirror (const char *dir, const char *from, uint64_t upto)
{
    char err[256];
    jad_journal_t *src = jad_journal_open (from, JAD_JOURNAL_RDONLY, err, sizeof err);
    jad_journal_t *dst = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_true (src && dst);
    jad_journal_meta_t m, mm = { 0 };
    assert_int_equal (jad_journal_meta_get (src, &m), 0);
    memcpy (mm.id, m.id, 16);
    assert_int_equal (jad_journal_meta_set (dst, &mm), 0);
    s_copy_t c = { dst, upto };
    for (uint64_t seq = 1; seq <= upto; seq += 500)
        assert_true (jad_journal_scan (src, seq, 500, s_copy_fn, &c) >= 0);
    assert_true (jad_journal_record_scan (src, JAD_JOURNAL_CHECKPOINTS, 0, 1000,
                                          s_copy_records_fn, dst) >= 0);
    jad_journal_destroy (&src);
    jad_journal_destroy (&dst);
}

/* Sign checkpoints of DIR at each of SEQS (0-terminated) with a new hub
 * key; a checkpoint of WRONG (not 0) carries another hash. */
static void
s_checkpoints (void **state, const char *dir, const uint64_t *seqs,
               uint64_t wrong)
{
    char err[256], path[600];
    if (access (s_at (state, path, sizeof path, "hub.secret"), F_OK) != 0)
        assert_int_equal (jad_keys_generate ("hub", jad_test_dir (state), err,
                                             sizeof err), 0);
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    jad_journal_t *j = jad_journal_open (dir, 0, err, sizeof err);
    assert_true (keys && j);
    for (const uint64_t *s = seqs; *s; s++) {
        uint8_t hash[JAD_JOURNAL_HASH_BYTES];
        assert_int_equal (jad_journal_hash (j, *s, hash), 1);
        if (*s == wrong)
            hash[0] ^= 1;
        size_t len = 0;
        uint8_t *buf = jad_checkpoint_make (keys, s_opid, *s, hash, 1000, &len);
        assert_non_null (buf);
        assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_CHECKPOINTS, *s,
                                                  buf, len, err, sizeof err), 0);
        free (buf);
    }
    jad_journal_destroy (&j);
    jad_keys_destroy (&keys);
}

/* The file offset of map address P in this process's map of a data.mdb. */
static long long
s_file_offset (const void *p)
{
    FILE *f = fopen ("/proc/self/maps", "r");
    char line[4600];
    long long off = -1;
    assert_non_null (f);
    while (off < 0 && fgets (line, sizeof line, f)) {
        unsigned long long lo, hi, foff;
        char path[4096] = "";
        if (sscanf (line, "%llx-%llx %*s %llx %*s %*s %4095s", &lo, &hi, &foff,
                    path) == 4
        &&  strstr (path, "/data.mdb")
        &&  (uintptr_t) p >= lo && (uintptr_t) p < hi)
            off = (long long) ((uintptr_t) p - lo + foff);
    }
    fclose (f);
    return off;
}

/* Zero the page of DIR/data.mdb holding entry SEQ (as tests/tools/
 * jad_tamper.c zero-page does), and check LMDB now refuses that entry. */
static void
s_zero_page (const char *dir, uint64_t seq)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val v;
    MDB_stat st;
    uint8_t kb[8];
    jad_store_put_be64 (kb, seq);
    MDB_val k = { 8, kb };
    assert_int_equal (mdb_env_create (&env), 0);
    mdb_env_set_maxdbs (env, 8);
    assert_int_equal (mdb_env_open (env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "entries", 0, &dbi), 0);
    assert_int_equal (mdb_get (txn, dbi, &k, &v), 0);
    assert_int_equal (mdb_env_stat (env, &st), 0);
    long long off = s_file_offset (v.mv_data);
    mdb_txn_abort (txn);
    mdb_env_close (env);
    assert_true (off > 0);
    char path[600];
    snprintf (path, sizeof path, "%s/data.mdb", dir);
    uint8_t *zeros = calloc (1, st.ms_psize);
    int fd = open (path, O_WRONLY);
    assert_true (zeros && fd >= 0);
    off_t at = (off_t) (off / st.ms_psize * st.ms_psize);
    assert_int_equal (pwrite (fd, zeros, st.ms_psize, at), (ssize_t) st.ms_psize);
    close (fd);
    free (zeros);
    /* What the repair meets: a point read of SEQ fails. */
    char err[256];
    uint8_t *buf = NULL;
    size_t len = 0;
    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_RDONLY, err, sizeof err);
    assert_non_null (j);
    assert_int_equal (jad_journal_get (j, seq, &buf, &len), -1);
    jad_journal_destroy (&j);
}

/* Change the received time of entry SEQ in DIR (a byte outside the
 * signed envelope): the entry still decodes and links to the one before
 * it, but the next one's prev_hash no longer names it. */
static void
s_flip_received (const char *dir, uint64_t seq)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val v;
    uint8_t kb[8];
    jad_store_put_be64 (kb, seq);
    MDB_val k = { 8, kb };
    assert_int_equal (mdb_env_create (&env), 0);
    mdb_env_set_maxdbs (env, 8);
    assert_int_equal (mdb_env_open (env, dir, 0, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, 0, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "entries", 0, &dbi), 0);
    assert_int_equal (mdb_get (txn, dbi, &k, &v), 0);
    uint8_t *copy = malloc (v.mv_size);
    memcpy (copy, v.mv_data, v.mv_size);
    /* Entry field 3 (received_ms) is a varint after tag 0x18. */
    for (size_t i = 0; i + 1 < v.mv_size; i++)
        if (copy[i] == 0x18) {
            copy[i + 1] ^= 0x01;
            break;
        }
    MDB_val nv = { v.mv_size, copy };
    assert_int_equal (mdb_put (txn, dbi, &k, &nv, 0), 0);
    assert_int_equal (mdb_txn_commit (txn), 0);
    mdb_env_close (env);
    free (copy);
}

/* A and B hold the same entries, byte for byte, 1..their heads. */
static void
s_same_entries (const char *a, const char *b)
{
    char err[256];
    jad_journal_t *ja = jad_journal_open (a, JAD_JOURNAL_RDONLY, err, sizeof err);
    jad_journal_t *jb = jad_journal_open (b, JAD_JOURNAL_RDONLY, err, sizeof err);
    assert_true (ja && jb);
    uint64_t ha, hb;
    assert_int_equal (jad_journal_head (ja, &ha), 0);
    assert_int_equal (jad_journal_head (jb, &hb), 0);
    assert_int_equal (ha, hb);
    for (uint64_t s = 1; s <= ha; s++) {
        uint8_t *x = NULL, *y = NULL;
        size_t lx = 0, ly = 0;
        assert_int_equal (jad_journal_get (ja, s, &x, &lx), 1);
        assert_int_equal (jad_journal_get (jb, s, &y, &ly), 1);
        if (lx != ly || memcmp (x, y, lx) != 0)
            fail_msg ("entry %llu differs", (unsigned long long) s);
        free (x);
        free (y);
    }
    jad_journal_destroy (&ja);
    jad_journal_destroy (&jb);
}

/* The rebuilt journal's index: one dedupe record per entry, and a
 * report found by its identity. */
static void
s_check_index (const char *dir, uint64_t n)
{
    char err[256];
    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_RDONLY, err, sizeof err);
    assert_non_null (j);
    uint64_t count = 0, seq = 0;
    assert_int_equal (jad_journal_dedupe_count (j, &count), 0);
    assert_int_equal (count, n);
    assert_int_equal (jad_journal_lookup (j, "agent-de", s_inc, n / 2, &seq, NULL), 1);
    assert_int_equal (seq, n / 2);
    jad_journal_destroy (&j);
}

static int
s_run (void **state, const char *damaged, const char *const *mirrors,
       jad_repair_result_t *res, char *err, size_t errlen)
{
    char out[600];
    jad_repair_config_t cfg = { .damaged = damaged,
                                .out = s_at (state, out, sizeof out, "new") };
    for (; mirrors && *mirrors; mirrors++)
        cfg.mirrors[cfg.n_mirrors++] = *mirrors;
    return jad_repair_run (&cfg, res, err, errlen);
}

/* ------------------------------------------------------------ tests */

/* A zeroed page of entries: those come from the mirror, all the others
 * from the damaged journal; the result equals the mirror entry for entry,
 * its index is rebuilt, its checkpoints match, its meta is the hub's. */
static void
test_damaged_page (void **state)
{
    char hub[600], mirror[600], out[600], err[512];
    jad_repair_result_t res;
    s_at (state, hub, sizeof hub, "hub");
    s_at (state, mirror, sizeof mirror, "mirror");
    s_at (state, out, sizeof out, "new");
    s_hub (hub, s_opid, 2000);
    const uint64_t cps[] = { 1000, 2000, 0 };
    s_checkpoints (state, hub, cps, 0);
    s_mirror (mirror, hub, 2000);
    s_zero_page (hub, 1000);
    const char *mirrors[] = { mirror, NULL };
    int rc = s_run (state, hub, mirrors, &res, err, sizeof err);
    if (rc != 0)
        fail_msg ("rc %d: %s / %s", rc, err, res.notes);
    assert_int_equal (res.head, 2000);
    assert_true (res.taken[1] >= 1 && res.taken[1] < 100);
    assert_int_equal (res.taken[0] + res.taken[1], 2000);
    assert_int_equal (res.checkpoints, 2);
    assert_int_equal (res.lost_from, 0);
    assert_int_equal (res.bad_checkpoint, 0);
    assert_int_equal (res.meta, JAD_REPAIR_META_DAMAGED);
    assert_non_null (strstr (res.notes, "could not be read there"));
    s_same_entries (out, mirror);
    s_check_index (out, 2000);
    jad_journal_t *j = jad_journal_open (out, JAD_JOURNAL_RDONLY, err, sizeof err);
    jad_journal_meta_t m;
    assert_int_equal (jad_journal_meta_get (j, &m), 0);
    assert_string_equal (m.name, "Unit");
    assert_memory_equal (m.id, s_opid, 16);
    jad_journal_destroy (&j);
}

/* The journal gone with its disk: a mirror alone rebuilds it; the meta is
 * the mirror's operation id. */
static void
test_lost_disk (void **state)
{
    char hub[600], mirror[600], out[600], err[512];
    jad_repair_result_t res;
    s_at (state, hub, sizeof hub, "hub");
    s_at (state, mirror, sizeof mirror, "mirror");
    s_at (state, out, sizeof out, "new");
    s_hub (hub, s_opid, 700);
    s_mirror (mirror, hub, 700);
    assert_int_equal (jad_test_rmtree (hub), 0);
    const char *mirrors[] = { mirror, NULL };
    assert_int_equal (s_run (state, hub, mirrors, &res, err, sizeof err), 0);
    assert_int_equal (res.head, 700);
    assert_int_equal (res.taken[0], 0);
    assert_int_equal (res.taken[1], 700);
    assert_int_equal (res.meta, JAD_REPAIR_META_MIRROR);
    assert_non_null (strstr (res.notes, "does not open"));
    s_same_entries (out, mirror);
    s_check_index (out, 700);
    jad_journal_t *j = jad_journal_open (out, JAD_JOURNAL_RDONLY, err, sizeof err);
    jad_journal_meta_t m;
    assert_int_equal (jad_journal_meta_get (j, &m), 0);
    assert_memory_equal (m.id, s_opid, 16);
    jad_journal_destroy (&j);
}

/* A journal ahead of its only mirror, damaged in the part only it had:
 * the rebuilt journal stops before the damage and the range lost is
 * named, up to the last checkpoint. */
static void
test_lost_entries (void **state)
{
    char hub[600], mirror[600], err[512];
    jad_repair_result_t res;
    s_at (state, hub, sizeof hub, "hub");
    s_at (state, mirror, sizeof mirror, "mirror");
    s_hub (hub, s_opid, 2000);
    const uint64_t cps[] = { 2000, 0 };
    s_checkpoints (state, hub, cps, 0);
    s_mirror (mirror, hub, 1200);
    s_zero_page (hub, 1600);
    const char *mirrors[] = { mirror, NULL };
    assert_int_equal (s_run (state, hub, mirrors, &res, err, sizeof err), 1);
    assert_true (res.head >= 1500 && res.head < 1600);
    assert_int_equal (res.lost_from, res.head + 1);
    assert_int_equal (res.lost_to, 2000);
    assert_int_equal (res.taken[1], 0);
}

/* A byte changed inside entry 500 (it still decodes and links to 499):
 * entry 501 says which copy is right, and the mirror's is taken. */
static void
test_next_entry_decides (void **state)
{
    char hub[600], mirror[600], out[600], err[512];
    jad_repair_result_t res;
    s_at (state, hub, sizeof hub, "hub");
    s_at (state, mirror, sizeof mirror, "mirror");
    s_at (state, out, sizeof out, "new");
    s_hub (hub, s_opid, 800);
    s_mirror (mirror, hub, 800);
    s_flip_received (hub, 500);
    const char *mirrors[] = { mirror, NULL };
    assert_int_equal (s_run (state, hub, mirrors, &res, err, sizeof err), 0);
    assert_int_equal (res.head, 800);
    assert_int_equal (res.taken[1], 1);
    s_same_entries (out, mirror);
}

/* A checkpoint that does not match the chain (signed over another hash),
 * and no source with another copy of it: the rebuilt journal is checked
 * against every checkpoint, and this one is named. */
static void
test_bad_checkpoint (void **state)
{
    char hub[600], err[512];
    jad_repair_result_t res;
    s_at (state, hub, sizeof hub, "hub");
    s_hub (hub, s_opid, 300);
    const uint64_t cps[] = { 100, 200, 300, 0 };
    s_checkpoints (state, hub, cps, 200);
    assert_int_equal (s_run (state, hub, NULL, &res, err, sizeof err), 1);
    assert_int_equal (res.head, 300);
    assert_int_equal (res.bad_checkpoint, 200);
    assert_int_equal (res.checkpoints, 3);
    assert_int_equal (res.lost_from, 0);
}

/* A data file cut short: reading past its end faults the reader (SIGBUS),
 * which dies, is replaced, and is finally given up; the mirror gives the
 * rest and the repair itself goes on. */
static void
test_truncated (void **state)
{
    char hub[600], mirror[600], out[600], path[700], err[512];
    jad_repair_result_t res;
    s_at (state, hub, sizeof hub, "hub");
    s_at (state, mirror, sizeof mirror, "mirror");
    s_at (state, out, sizeof out, "new");
    s_hub (hub, s_opid, 1500);
    s_mirror (mirror, hub, 1500);
    snprintf (path, sizeof path, "%s/data.mdb", hub);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (truncate (path, st.st_size / 3), 0);
    const char *mirrors[] = { mirror, NULL };
    int rc = s_run (state, hub, mirrors, &res, err, sizeof err);
    if (rc != 0)
        fail_msg ("rc %d: %s / %s", rc, err, res.notes);
    assert_int_equal (res.head, 1500);
    assert_true (res.taken[1] > 0);
    assert_non_null (strstr (res.notes, hub));
    s_same_entries (out, mirror);
}

/* What is refused: a directory holding a journal already, a mirror of
 * another operation, no source at all. */
static void
test_refused (void **state)
{
    char hub[600], mirror[600], other[600], out[600], err[512];
    jad_repair_result_t res;
    static const uint8_t op2[16] = { 0xb0, 1 };
    s_at (state, hub, sizeof hub, "hub");
    s_at (state, mirror, sizeof mirror, "mirror");
    s_at (state, other, sizeof other, "other");
    s_hub (hub, s_opid, 50);
    s_hub (other, op2, 50);
    s_mirror (mirror, other, 50);
    const char *mirrors[] = { mirror, NULL };
    assert_int_equal (s_run (state, hub, mirrors, &res, err, sizeof err), -1);
    assert_non_null (strstr (err, "another operation"));
    assert_int_equal (jad_test_rmtree (s_at (state, out, sizeof out, "new")), 0);
    s_hub (out, s_opid, 1);
    assert_int_equal (s_run (state, hub, NULL, &res, err, sizeof err), -1);
    assert_non_null (strstr (err, "holds a journal already"));
    assert_int_equal (jad_test_rmtree (out), 0);
    s_at (state, hub, sizeof hub, "nothing");
    assert_int_equal (s_run (state, hub, NULL, &res, err, sizeof err), -1);
    assert_non_null (strstr (err, "no source opens"));
}

/* Another process holding the journal open is seen, with its pid; none
 * once it has closed it. */
static void
test_in_use (void **state)
{
    char hub[600], err[256];
    long pid = 0;
    int go[2];
    s_at (state, hub, sizeof hub, "hub");
    s_hub (hub, s_opid, 10);
    assert_int_equal (jad_repair_in_use (hub, &pid), 0);
    assert_int_equal (pipe (go), 0);
    pid_t child = fork ();
    assert_true (child >= 0);
    if (child == 0) {
        /* Holds it open until killed. */
        jad_journal_t *j = jad_journal_open (hub, JAD_JOURNAL_RDONLY, err, sizeof err);
        if (!j || write (go[1], "x", 1) != 1)
            _exit (1);
        for (;;)
            pause ();
    }
    char c;
    assert_int_equal (read (go[0], &c, 1), 1);
    assert_int_equal (jad_repair_in_use (hub, &pid), 1);
    assert_int_equal (pid, child);
    kill (child, SIGKILL);
    waitpid (child, NULL, 0);
    close (go[0]);
    close (go[1]);
    assert_int_equal (jad_repair_in_use (hub, &pid), 0);
    s_at (state, hub, sizeof hub, "nothing");
    assert_int_equal (jad_repair_in_use (hub, &pid), 0);
}

/* The swap: the new journal takes the old one's name, the old one its
 * own; a journal that is gone is simply replaced; an existing name for the
 * damaged one is refused. */
static void
test_swap (void **state)
{
    char j[600], b[600], d[600], path[700], err[256];
    s_at (state, j, sizeof j, "journal");
    s_at (state, b, sizeof b, "journal.repair");
    s_at (state, d, sizeof d, "journal.damaged");
    assert_int_equal (mkdir (j, 0700), 0);
    assert_int_equal (mkdir (b, 0700), 0);
    snprintf (path, sizeof path, "%s/old", j);
    fclose (fopen (path, "w"));
    snprintf (path, sizeof path, "%s/new", b);
    fclose (fopen (path, "w"));
    assert_int_equal (jad_repair_swap (j, b, d, err, sizeof err), 0);
    snprintf (path, sizeof path, "%s/new", j);
    assert_int_equal (access (path, F_OK), 0);
    snprintf (path, sizeof path, "%s/old", d);
    assert_int_equal (access (path, F_OK), 0);
    assert_int_not_equal (access (b, F_OK), 0);
    /* the damaged name taken: refused, nothing moved */
    assert_int_equal (mkdir (b, 0700), 0);
    assert_int_equal (jad_repair_swap (j, b, d, err, sizeof err), -1);
    assert_non_null (strstr (err, "exists"));
    assert_int_equal (access (b, F_OK), 0);
    /* no journal any more: the new one just takes the name */
    assert_int_equal (jad_test_rmtree (j), 0);
    assert_int_equal (jad_repair_swap (j, b, "/nonexistent/x", err, sizeof err), 0);
    assert_int_equal (access (j, F_OK), 0);
    assert_int_not_equal (access (b, F_OK), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_damaged_page, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_lost_disk, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_lost_entries, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_next_entry_decides, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_bad_checkpoint, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_truncated, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_refused, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_in_use, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_swap, jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, NULL, NULL);
}
