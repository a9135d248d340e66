/* Unit tests: lib/store.c — open, create and read-only with their error
 * texts; the registry refusing a second open in a process (under another
 * name too); optional databases; the write wrapper (redone from scratch on
 * a full map, nothing committed on failure); map growth while another
 * thread reads (the race the outbox once had: a resize with a transaction
 * open); a map grown by another process adopted; forced and unforced
 * modes under umask 077; scans, last, floor, get and count over BE64
 * keys; meta values and their byte layout.  Damaged files: what LMDB
 * writes into its meta pages (the alternation the checks rely on); a file
 * cut short, each meta field damaged in turn (and the rollback LMDB itself
 * would do), refused with errno EBADMSG and the text; a file legitimately
 * shorter than its last page (free pages never written) and a store
 * through random transactions accepted; a missing lock.mdb made again; a
 * writer on a read-only directory or file refused; a file cut short
 * under a reading process ending it with one line and exit 2, and any
 * other SIGBUS left as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lmdb.h>

#include "jad/store.h"
#include "testutil.h"

/* ------------------------------------------------------------ specs */

enum { S_META, S_ITEMS, S_EXTRA, S_NDBS };

static const jad_store_db_t s_dbs[S_NDBS] = {
    [S_META]  = { "meta", 0 },
    [S_ITEMS] = { "items", 0 },
    [S_EXTRA] = { "extra", 1 },
};

/* A private store, as the outbox is. */
static const jad_store_spec_t s_spec = {
    .kind = "teststore", .dbs = s_dbs, .ndbs = S_NDBS,
    .mapsize = (size_t) 1 << 20, .dir_mode = 0700, .group_modes = 0,
};

/* The same layout readable by the group, as the journal is. */
static const jad_store_spec_t s_group_spec = {
    .kind = "teststore", .dbs = s_dbs, .ndbs = S_NDBS,
    .mapsize = (size_t) 1 << 20, .dir_mode = JAD_STORE_GROUP_DIR_MODE,
    .group_modes = 1,
};

/* An older layout: without the optional database. */
static const jad_store_spec_t s_old_spec = {
    .kind = "teststore", .dbs = s_dbs, .ndbs = S_EXTRA,
    .mapsize = (size_t) 1 << 20, .dir_mode = 0700,
};

/* ------------------------------------------------------------ helpers */

static jad_store_t *
s_open (const char *dir, int flags, const jad_store_spec_t *spec)
{
    char err[512] = "";
    jad_store_t *s = jad_store_open (dir, flags, spec, NULL, err, sizeof err);
    if (!s)
        fail_msg ("open %s: %s", dir, err);
    return s;
}

/* Open that must fail; ERR receives the reason. */
static void
s_refused (const char *dir, int flags, const jad_store_spec_t *spec,
           char *err, size_t errlen)
{
    err[0] = 0;
    jad_store_t *s = jad_store_open (dir, flags, spec, NULL, err, errlen);
    if (s)
        fail_msg ("open %s succeeded", dir);
    assert_true (err[0] != 0);
}

/* S_VALUE bytes of (uint8_t) KEY under KEY: a reader can tell a torn or
 * misplaced value. */
#define S_VALUE 4000

typedef struct {
    uint64_t first;             /* keys FIRST .. FIRST + N - 1 */
    size_t   n;
    size_t   size;              /* value bytes */
    int      calls;             /* out: how often the body ran */
} s_puts_t;

static int
s_puts_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_puts_t *p = arg;
    p->calls++;
    for (size_t i = 0; i < p->n; i++) {
        uint8_t kb[8];
        uint64_t key = p->first + i;
        jad_store_put_be64 (kb, key);
        MDB_val k = { 8, kb }, v = { p->size, NULL };
        int rc = mdb_put (txn, jad_store_dbi (store, S_ITEMS), &k, &v,
                          MDB_RESERVE);
        if (rc)
            return rc;
        memset (v.mv_data, (int) (key & 0xff), p->size);
    }
    return 0;
}

static void
s_put_range (jad_store_t *s, uint64_t first, size_t n, size_t size)
{
    char err[512] = "";
    s_puts_t p = { first, n, size, 0 };
    if (jad_store_write (s, s_puts_fn, &p, err, sizeof err))
        fail_msg ("write: %s", err);
}

typedef struct {
    uint64_t next;              /* key expected next (0: any) */
    uint64_t keys[64];          /* the first keys seen */
    size_t   n;
    uint64_t stop_at;           /* stop after this key (0: never) */
    int      bytes;             /* check every value is S_VALUE x (uint8_t) key */
    char     why[128];          /* first inconsistency */
} s_seen_t;

static int
s_seen_fn (void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    s_seen_t *s = arg;
    if (s->n < 64)
        s->keys[s->n] = key;
    s->n++;
    if (s->next && key != s->next && !s->why[0])
        snprintf (s->why, sizeof s->why, "key %llu, expected %llu",
                  (unsigned long long) key, (unsigned long long) s->next);
    if (s->bytes && len != S_VALUE && !s->why[0])
        snprintf (s->why, sizeof s->why, "key %llu: %zu bytes",
                  (unsigned long long) key, len);
    for (size_t i = 0; s->bytes && i < len && !s->why[0]; i++)
        if (val[i] != (uint8_t) key)
            snprintf (s->why, sizeof s->why, "key %llu: byte %zu is %u",
                      (unsigned long long) key, i, val[i]);
    if (s->next)
        s->next = key + 1;
    return s->stop_at && key >= s->stop_at;
}

static mode_t
s_mode (const char *dir, const char *name)
{
    char path[1200];
    struct stat st;
    snprintf (path, sizeof path, "%s%s%s", dir, name ? "/" : "", name ? name : "");
    assert_int_equal (stat (path, &st), 0);
    return st.st_mode & 07777;
}

/* ------------------------------------------------------------ open */

static void
test_open (void **state)
{
    char err[1400], want[1400];
    const char *dir = jad_test_path (state, "s");
    char path[1024];
    snprintf (path, sizeof path, "%s", dir);

    /* Nothing there yet. */
    s_refused (path, 0, &s_spec, err, sizeof err);
    snprintf (want, sizeof want, "teststore %s: no teststore there (no such directory)",
              path);
    assert_string_equal (err, want);
    s_refused (path, JAD_STORE_CREATE | JAD_STORE_RDONLY, &s_spec, err, sizeof err);
    assert_string_equal (err, "teststore: CREATE and RDONLY are exclusive");
    assert_int_equal (mkdir (path, 0700), 0);
    s_refused (path, JAD_STORE_RDONLY, &s_spec, err, sizeof err);
    snprintf (want, sizeof want, "teststore %s: no teststore there (data.mdb missing)",
              path);
    assert_string_equal (err, want);
    /* A file is not a store's directory. */
    const char *file = jad_test_path (state, "file");
    FILE *f = fopen (file, "w");
    assert_non_null (f);
    fclose (f);
    s_refused (file, 0, &s_spec, err, sizeof err);
    assert_non_null (strstr (err, "not a directory"));
    assert_non_null (strstr (err, file));

    /* Create, write, reopen read-only. */
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_spec);
    assert_false (jad_store_rdonly (s));
    assert_string_equal (jad_store_kind (s), "teststore");
    char *real = realpath (path, NULL);
    assert_string_equal (jad_store_path (s), real);
    free (real);
    assert_true (jad_store_has_db (s, S_META));
    assert_true (jad_store_has_db (s, S_EXTRA));    /* a writer makes it */
    assert_int_equal (jad_store_mapsize (s), (size_t) 1 << 20);
    s_put_range (s, 1, 5, 100);
    uint64_t bytes = 0;
    assert_int_equal (jad_store_file_size (s, &bytes), 0);
    assert_true (bytes > 0);
    jad_store_destroy (&s);
    assert_null (s);
    jad_store_destroy (&s);                         /* safe on NULL */

    s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    assert_true (jad_store_rdonly (s));
    uint64_t count = 0;
    assert_int_equal (jad_store_count (s, jad_store_dbi (s, S_ITEMS), &count), 0);
    assert_int_equal (count, 5);
    s_puts_t p = { 6, 1, 10, 0 };
    assert_int_equal (jad_store_write (s, s_puts_fn, &p, err, sizeof err), -1);
    assert_int_equal (p.calls, 0);
    assert_non_null (strstr (err, "is open read-only"));
    assert_non_null (strstr (err, jad_store_path (s)));
    jad_store_destroy (&s);
}

/* A database required by the spec and missing from the file is "not a
 * jadhub KIND"; an optional one is created by a writer and simply absent
 * for a reader of an older file. */
static void
test_databases (void **state)
{
    char err[1400], want[1400];
    char path[1024];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "old"));
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_old_spec);
    jad_store_destroy (&s);

    s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    assert_true (jad_store_has_db (s, S_ITEMS));
    assert_false (jad_store_has_db (s, S_EXTRA));
    jad_store_destroy (&s);
    s = s_open (path, 0, &s_spec);
    assert_true (jad_store_has_db (s, S_EXTRA));
    jad_store_destroy (&s);
    s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    assert_true (jad_store_has_db (s, S_EXTRA));
    jad_store_destroy (&s);

    /* A store of another layout: no 'items' in it. */
    static const jad_store_db_t other_dbs[1] = { { "meta", 0 } };
    static const jad_store_spec_t other = {
        .kind = "teststore", .dbs = other_dbs, .ndbs = 1,
        .mapsize = (size_t) 1 << 20, .dir_mode = 0700,
    };
    snprintf (path, sizeof path, "%s", jad_test_path (state, "other"));
    s = s_open (path, JAD_STORE_CREATE, &other);
    jad_store_destroy (&s);
    s_refused (path, 0, &s_spec, err, sizeof err);
    snprintf (want, sizeof want, "teststore %s: not a jadhub teststore (no 'items' "
              "database)", path);
    assert_string_equal (err, want);
    s_refused (path, JAD_STORE_RDONLY, &s_spec, err, sizeof err);
    assert_string_equal (err, want);
}

/* One environment per directory per process, whatever the name it is
 * opened under. */
static void
test_registry (void **state)
{
    char err[1400], want[1400];
    char path[1024], alias[1024];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    snprintf (alias, sizeof alias, "%s", jad_test_path (state, "alias"));
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_spec);
    s_refused (path, 0, &s_spec, err, sizeof err);
    snprintf (want, sizeof want, "teststore %s is already open in this process", path);
    assert_string_equal (err, want);
    s_refused (path, JAD_STORE_RDONLY, &s_spec, err, sizeof err);
    assert_string_equal (err, want);
    assert_int_equal (symlink (path, alias), 0);
    s_refused (alias, JAD_STORE_RDONLY, &s_spec, err, sizeof err);
    assert_non_null (strstr (err, "already open"));
    /* Another store beside it is no trouble. */
    jad_store_t *t = s_open (jad_test_path (state, "t"), JAD_STORE_CREATE, &s_spec);
    jad_store_destroy (&s);
    /* Closed: open again, under either name. */
    s = s_open (alias, 0, &s_spec);
    jad_store_destroy (&s);
    s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    jad_store_destroy (&s);
    jad_store_destroy (&t);
}

/* ------------------------------------------------------------ writes */

typedef struct {
    int calls;
    int fail_with;              /* what the body returns after its put */
} s_fail_t;

static int
s_fail_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    s_fail_t *f = arg;
    f->calls++;
    uint8_t kb[8];
    jad_store_put_be64 (kb, 999);
    MDB_val k = { 8, kb }, v = { 3, "abc" };
    int rc = mdb_put (txn, jad_store_dbi (store, S_ITEMS), &k, &v, 0);
    if (rc)
        return rc;
    if (f->fail_with == -1)
        snprintf (err, errlen, "body: refused");
    return f->fail_with;
}

static void
test_write (void **state)
{
    char err[1024] = "";
    jad_store_t *s = s_open (jad_test_path (state, "s"), JAD_STORE_CREATE, &s_spec);
    MDB_dbi items = jad_store_dbi (s, S_ITEMS);
    uint64_t count = 99;

    /* A body's refusal: its text, nothing committed. */
    s_fail_t f = { 0, -1 };
    assert_int_equal (jad_store_write (s, s_fail_fn, &f, err, sizeof err), -1);
    assert_string_equal (err, "body: refused");
    assert_int_equal (f.calls, 1);
    assert_int_equal (jad_store_count (s, items, &count), 0);
    assert_int_equal (count, 0);
    /* An LMDB code other than MAP_FULL: LMDB's text with the directory. */
    f = (s_fail_t) { 0, MDB_CORRUPTED };
    assert_int_equal (jad_store_write (s, s_fail_fn, &f, err, sizeof err), -1);
    char want[1200];
    snprintf (want, sizeof want, "teststore %s: %s", jad_store_path (s),
              mdb_strerror (MDB_CORRUPTED));
    assert_string_equal (err, want);
    assert_int_equal (f.calls, 1);
    assert_int_equal (jad_store_count (s, items, &count), 0);
    assert_int_equal (count, 0);

    /* 3 MB through a 1 MiB map in one transaction: the body runs again
     * from scratch after each doubling, and the whole of it commits. */
    s_puts_t p = { 1, 750, S_VALUE, 0 };
    if (jad_store_write (s, s_puts_fn, &p, err, sizeof err))
        fail_msg ("write: %s", err);
    assert_true (p.calls > 1);
    assert_true (jad_store_mapsize (s) >= (size_t) 4 << 20);
    assert_int_equal (jad_store_count (s, items, &count), 0);
    assert_int_equal (count, 750);
    s_seen_t seen = { .next = 1, .bytes = 1 };
    assert_int_equal (jad_store_scan (s, items, 0, SIZE_MAX, s_seen_fn, &seen), 750);
    if (seen.why[0])
        fail_msg ("%s", seen.why);
    size_t grown = jad_store_mapsize (s);
    jad_store_destroy (&s);

    /* The grown size is the file's now. */
    s = s_open (jad_test_path (state, "s"), 0, &s_spec);
    assert_int_equal (jad_store_mapsize (s), grown);
    assert_int_equal (jad_store_set_mapsize (s, (size_t) 64 << 20, err, sizeof err), 0);
    assert_int_equal (jad_store_mapsize (s), (size_t) 64 << 20);
    jad_store_trim (s);         /* dropped pages come back on the next read */
    memset (&seen, 0, sizeof seen);
    seen.next = 1;
    seen.bytes = 1;
    assert_int_equal (jad_store_scan (s, jad_store_dbi (s, S_ITEMS), 0, SIZE_MAX,
                                      s_seen_fn, &seen), 750);
    if (seen.why[0])
        fail_msg ("%s", seen.why);
    jad_store_destroy (&s);
}

/* ------------------------------------------------------------ growth */

typedef struct {
    jad_store_t *s;
    int batches;                /* of 20 values each */
    volatile int done;
    char why[512];
} s_writer_t;

static void *
s_writer (void *arg)
{
    s_writer_t *w = arg;
    for (int b = 0; b < w->batches && !w->why[0]; b++) {
        s_puts_t p = { 1 + (uint64_t) b * 20, 20, S_VALUE, 0 };
        if (jad_store_write (w->s, s_puts_fn, &p, w->why, sizeof w->why))
            break;
    }
    __atomic_store_n (&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* A reader scans in chunks, touching every byte, while the writer grows
 * the map again and again: a resize with a transaction open would unmap
 * the pages under the reader. */
static void
test_growth_with_readers (void **state)
{
    char err[512] = "";
    jad_store_t *s = s_open (jad_test_path (state, "s"), JAD_STORE_CREATE, &s_spec);
    assert_int_equal (jad_store_set_mapsize (s, (size_t) 256 << 10, err, sizeof err), 0);
    MDB_dbi items = jad_store_dbi (s, S_ITEMS);
    s_writer_t w = { .s = s, .batches = 200 };
    pthread_t t;
    assert_int_equal (pthread_create (&t, NULL, s_writer, &w), 0);
    s_seen_t seen = { .next = 1, .bytes = 1 };
    uint64_t last_key = 0;
    int rounds = 0;
    for (;;) {
        int done = __atomic_load_n (&w.done, __ATOMIC_SEQ_CST);
        uint64_t last;
        assert_int_equal (jad_store_last (s, items, &last), 0);
        assert_true (last >= last_key);
        last_key = last;
        long n = jad_store_scan (s, items, seen.next, 40, s_seen_fn, &seen);
        if (seen.why[0])
            fail_msg ("%s", seen.why);
        assert_true (n >= 0);
        rounds++;
        if (done && seen.next > last)
            break;
    }
    pthread_join (t, NULL);
    if (w.why[0])
        fail_msg ("writer: %s", w.why);
    assert_int_equal (seen.next, 4001);
    assert_true (rounds > 1);
    assert_true (jad_store_mapsize (s) >= (size_t) 16 << 20);
    jad_store_destroy (&s);
}

/* Another process grows the map while this one has the store open: the
 * next transaction here finds MDB_MAP_RESIZED, adopts the new size and
 * goes on, reads and writes alike. */
static void
test_resized_by_another (void **state)
{
    char err[512] = "";
    char path[1024];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_spec);
    s_put_range (s, 1, 10, S_VALUE);
    jad_store_destroy (&s);

    int go[2];
    assert_int_equal (pipe (go), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        /* The child opens its own environment after the fork. */
        char c;
        close (go[1]);
        if (read (go[0], &c, 1) != 1)
            _exit (2);
        jad_store_t *cs = jad_store_open (path, 0, &s_spec, NULL, err, sizeof err);
        if (!cs)
            _exit (3);
        for (int b = 0; b < 100; b++) {
            s_puts_t p = { 11 + (uint64_t) b * 20, 20, S_VALUE, 0 };
            if (jad_store_write (cs, s_puts_fn, &p, err, sizeof err))
                _exit (4);
        }
        size_t grown = jad_store_mapsize (cs);
        jad_store_destroy (&cs);
        _exit (grown > ((size_t) 1 << 20) ? 0 : 5);
    }
    close (go[0]);
    s = s_open (path, 0, &s_spec);
    MDB_dbi items = jad_store_dbi (s, S_ITEMS);
    uint64_t count;
    assert_int_equal (jad_store_count (s, items, &count), 0);
    assert_int_equal (count, 10);
    assert_int_equal (jad_store_mapsize (s), (size_t) 1 << 20);
    assert_int_equal (write (go[1], "g", 1), 1);
    close (go[1]);
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);

    /* 2010 values of 4000 bytes do not fit the 1 MiB this process mapped. */
    s_seen_t seen = { .next = 1, .bytes = 1 };
    assert_int_equal (jad_store_scan (s, items, 1, SIZE_MAX, s_seen_fn, &seen), 2010);
    if (seen.why[0])
        fail_msg ("%s", seen.why);
    assert_true (jad_store_mapsize (s) > (size_t) 1 << 20);
    s_put_range (s, 2011, 10, S_VALUE);
    assert_int_equal (jad_store_count (s, items, &count), 0);
    assert_int_equal (count, 2020);
    jad_store_destroy (&s);
}

/* ------------------------------------------------------------ modes */

static void
test_modes (void **state)
{
    char path[1024], file[1400];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "group"));
    mode_t old = umask (077);
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_group_spec);
    umask (old);
    jad_store_destroy (&s);
    assert_int_equal (s_mode (path, NULL), 0750);
    assert_int_equal (s_mode (path, "data.mdb"), 0640);
    assert_int_equal (s_mode (path, "lock.mdb"), 0660);

    /* A reader changes nothing; a writer restores the modes. */
    snprintf (file, sizeof file, "%s/data.mdb", path);
    assert_int_equal (chmod (file, 0600), 0);
    assert_int_equal (chmod (path, 0700), 0);
    s = s_open (path, JAD_STORE_RDONLY, &s_group_spec);
    jad_store_destroy (&s);
    assert_int_equal (s_mode (path, NULL), 0700);
    assert_int_equal (s_mode (path, "data.mdb"), 0600);
    old = umask (077);
    s = s_open (path, 0, &s_group_spec);
    umask (old);
    jad_store_destroy (&s);
    assert_int_equal (s_mode (path, NULL), 0750);
    assert_int_equal (s_mode (path, "data.mdb"), 0640);

    /* A private store stays private even under umask 0. */
    snprintf (path, sizeof path, "%s", jad_test_path (state, "private"));
    old = umask (0);
    s = s_open (path, JAD_STORE_CREATE, &s_spec);
    umask (old);
    jad_store_destroy (&s);
    assert_int_equal (s_mode (path, NULL), 0700);
    assert_int_equal (s_mode (path, "data.mdb"), 0600);
    assert_int_equal (s_mode (path, "lock.mdb"), 0600);
}

/* ------------------------------------------------------------ BE64 keys */

typedef struct {
    uint64_t keys[8];
    size_t n;
} s_keys_t;

static int
s_keys_put_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_keys_t *k = arg;
    for (size_t i = 0; i < k->n; i++) {
        uint8_t kb[8], vb[8];
        jad_store_put_be64 (kb, k->keys[i]);
        jad_store_put_be64 (vb, k->keys[i] * 3);
        MDB_val kv = { 8, kb }, vv = { 8, vb };
        int rc = mdb_put (txn, jad_store_dbi (store, S_ITEMS), &kv, &vv, 0);
        if (rc)
            return rc;
    }
    return 0;
}

/* Inside a write transaction: scan what it is about to change, then
 * change it. */
static int
s_scan_in_write_fn (jad_store_t *store, MDB_txn *txn, void *arg,
                    char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_seen_t *seen = arg;
    MDB_dbi items = jad_store_dbi (store, S_ITEMS);
    long n = jad_store_scan_txn (txn, items, 0, SIZE_MAX, s_seen_fn, seen);
    if (n < 0)
        return MDB_CORRUPTED;
    uint64_t last;
    MDB_val v;
    int rc = jad_store_last_txn (txn, items, &last, &v);
    if (rc)
        return rc;
    if (last != 100 || v.mv_size != 8 || jad_store_get_be64 (v.mv_data) != 300)
        return MDB_CORRUPTED;
    uint8_t kb[8];
    jad_store_put_be64 (kb, 100);
    MDB_val k = { 8, kb };
    return mdb_del (txn, items, &k, NULL);
}

static int
s_bad_key_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    (void) arg, (void) err, (void) errlen;
    MDB_val k = { 3, "bad" }, v = { 1, "x" };
    return mdb_put (txn, jad_store_dbi (store, S_EXTRA), &k, &v, 0);
}

static int
s_any_fn (void *arg, uint64_t key, const uint8_t *val, size_t len)
{
    (void) key, (void) val, (void) len;
    (*(int *) arg)++;
    return 0;
}

static void
test_keys (void **state)
{
    char err[512] = "";
    jad_store_t *s = s_open (jad_test_path (state, "s"), JAD_STORE_CREATE, &s_spec);
    MDB_dbi items = jad_store_dbi (s, S_ITEMS);
    MDB_dbi extra = jad_store_dbi (s, S_EXTRA);
    uint64_t key = 99, count = 99;

    /* Empty. */
    assert_int_equal (jad_store_last (s, items, &key), 0);
    assert_int_equal (key, 0);
    assert_int_equal (jad_store_floor (s, items, 50, &key), 0);
    assert_int_equal (jad_store_count (s, items, &count), 0);
    assert_int_equal (count, 0);
    s_seen_t seen = { 0 };
    assert_int_equal (jad_store_scan (s, items, 0, 10, s_seen_fn, &seen), 0);

    /* 10, 20, ... 100, written out of order: keys sort as numbers, and
     * 0x100 (256) after 0xff-something would not if they were not BE. */
    s_keys_t k = { { 70, 10, 100, 30, 20, 50, 40, 60 }, 8 };
    assert_int_equal (jad_store_write (s, s_keys_put_fn, &k, err, sizeof err), 0);
    k = (s_keys_t) { { 90, 80 }, 2 };
    assert_int_equal (jad_store_write (s, s_keys_put_fn, &k, err, sizeof err), 0);
    assert_int_equal (jad_store_count (s, items, &count), 0);
    assert_int_equal (count, 10);
    assert_int_equal (jad_store_last (s, items, &key), 0);
    assert_int_equal (key, 100);

    memset (&seen, 0, sizeof seen);
    assert_int_equal (jad_store_scan (s, items, 0, 3, s_seen_fn, &seen), 3);
    assert_int_equal (seen.keys[0], 10);
    assert_int_equal (seen.keys[2], 30);
    memset (&seen, 0, sizeof seen);
    assert_int_equal (jad_store_scan (s, items, 25, 100, s_seen_fn, &seen), 8);
    assert_int_equal (seen.keys[0], 30);
    assert_int_equal (seen.keys[7], 100);
    memset (&seen, 0, sizeof seen);
    seen.stop_at = 50;          /* the callback stops: that one counts */
    assert_int_equal (jad_store_scan (s, items, 30, 100, s_seen_fn, &seen), 3);
    memset (&seen, 0, sizeof seen);
    assert_int_equal (jad_store_scan (s, items, 101, 100, s_seen_fn, &seen), 0);
    assert_int_equal (jad_store_scan (s, items, 100, 0, s_seen_fn, &seen), 0);

    /* Floor: the greatest key at or below. */
    static const uint64_t floors[][3] = {   /* x, found, key */
        { 0, 0, 0 }, { 9, 0, 0 }, { 10, 1, 10 }, { 11, 1, 10 }, { 55, 1, 50 },
        { 99, 1, 90 }, { 100, 1, 100 }, { 101, 1, 100 }, { UINT64_MAX, 1, 100 },
    };
    for (size_t i = 0; i < sizeof floors / sizeof floors[0]; i++) {
        key = 12345;
        assert_int_equal (jad_store_floor (s, items, floors[i][0], &key),
                          (int) floors[i][1]);
        assert_int_equal (key, floors[i][2]);
    }

    /* Get: a copy of the value. */
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal (jad_store_get (s, items, 40, &buf, &len), 1);
    assert_int_equal (len, 8);
    assert_int_equal (jad_store_get_be64 (buf), 120);
    free (buf);
    assert_int_equal (jad_store_get (s, items, 41, &buf, &len), 0);
    assert_null (buf);

    /* Scan and last inside a write transaction, which then deletes. */
    memset (&seen, 0, sizeof seen);
    assert_int_equal (jad_store_write (s, s_scan_in_write_fn, &seen, err, sizeof err), 0);
    assert_int_equal (seen.n, 10);
    assert_int_equal (jad_store_last (s, items, &key), 0);
    assert_int_equal (key, 90);

    /* A key that is not 8 bytes is corruption, for every reader. */
    assert_int_equal (jad_store_write (s, s_bad_key_fn, NULL, err, sizeof err), 0);
    int visited = 0;
    assert_int_equal (jad_store_scan (s, extra, 0, 10, s_any_fn, &visited), -1);
    assert_int_equal (jad_store_last (s, extra, &key), -1);
    assert_int_equal (jad_store_floor (s, extra, 0, &key), -1);
    jad_store_destroy (&s);
}

static void
test_integers (void **state)
{
    (void) state;
    uint8_t b[8];
    jad_store_put_be64 (b, 0x0102030405060708ull);
    static const uint8_t want64[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_memory_equal (b, want64, 8);
    assert_int_equal (jad_store_get_be64 (b), 0x0102030405060708ull);
    jad_store_put_be64 (b, UINT64_MAX);
    assert_int_equal (jad_store_get_be64 (b), UINT64_MAX);
    jad_store_put_be32 (b, 0xa1b2c3d4u);
    static const uint8_t want32[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
    assert_memory_equal (b, want32, 4);
    assert_int_equal (jad_store_get_be32 (b), 0xa1b2c3d4u);
}

/* ------------------------------------------------------------ meta */

static int
s_meta_put_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    (void) arg, (void) err, (void) errlen;
    MDB_dbi meta = jad_store_dbi (store, S_META);
    static const uint8_t id[4] = { 0xde, 0xad, 0xbe, 0xef };
    int rc = jad_store_meta_put_u64 (txn, meta, "u64", 0x0102030405060708ull);
    if (!rc) rc = jad_store_meta_put_u32 (txn, meta, "u32", 0x0a0b0c0du);
    if (!rc) rc = jad_store_meta_put_str (txn, meta, "str", "agent-de");
    if (!rc) rc = jad_store_meta_put (txn, meta, "id", id, sizeof id);
    if (!rc) rc = jad_store_meta_put (txn, meta, "empty", NULL, 0);
    return rc;
}

static void
test_meta (void **state)
{
    char err[512] = "";
    jad_store_t *s = s_open (jad_test_path (state, "s"), JAD_STORE_CREATE, &s_spec);
    assert_int_equal (jad_store_write (s, s_meta_put_fn, NULL, err, sizeof err), 0);
    MDB_dbi meta = jad_store_dbi (s, S_META);
    MDB_txn *txn = NULL;
    assert_int_equal (jad_store_read_begin (s, &txn), 0);
    assert_non_null (txn);

    /* The bytes as stored: big-endian, strings without their NUL. */
    MDB_val v;
    assert_int_equal (jad_store_meta_get (txn, meta, "u64", &v), 0);
    static const uint8_t want64[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    assert_int_equal (v.mv_size, 8);
    assert_memory_equal (v.mv_data, want64, 8);
    assert_int_equal (jad_store_meta_get (txn, meta, "u32", &v), 0);
    static const uint8_t want32[4] = { 10, 11, 12, 13 };
    assert_int_equal (v.mv_size, 4);
    assert_memory_equal (v.mv_data, want32, 4);
    assert_int_equal (jad_store_meta_get (txn, meta, "str", &v), 0);
    assert_int_equal (v.mv_size, 8);
    assert_memory_equal (v.mv_data, "agent-de", 8);
    assert_int_equal (jad_store_meta_get (txn, meta, "none", &v), MDB_NOTFOUND);

    uint64_t x64 = 0;
    uint32_t x32 = 0;
    assert_int_equal (jad_store_meta_get_u64 (txn, meta, "u64", 7, &x64), 0);
    assert_int_equal (x64, 0x0102030405060708ull);
    assert_int_equal (jad_store_meta_get_u64 (txn, meta, "none", 7, &x64), 0);
    assert_int_equal (x64, 7);
    assert_int_equal (jad_store_meta_get_u64 (txn, meta, "u32", 7, &x64), MDB_CORRUPTED);
    assert_int_equal (jad_store_meta_get_u32 (txn, meta, "u32", 9, &x32), 0);
    assert_int_equal (x32, 0x0a0b0c0du);
    assert_int_equal (jad_store_meta_get_u32 (txn, meta, "none", 9, &x32), 0);
    assert_int_equal (x32, 9);
    assert_int_equal (jad_store_meta_get_u32 (txn, meta, "u64", 9, &x32), MDB_CORRUPTED);

    uint8_t id[4] = { 0 }, id8[8] = { 0 };
    assert_int_equal (jad_store_meta_get_bytes (txn, meta, "id", id, 4), 0);
    assert_int_equal (id[0], 0xde);
    assert_int_equal (id[3], 0xef);
    assert_int_equal (jad_store_meta_get_bytes (txn, meta, "id", id8, 8), MDB_CORRUPTED);
    assert_int_equal (jad_store_meta_get_bytes (txn, meta, "none", id8, 8), MDB_NOTFOUND);

    char str[16] = "junk";
    assert_int_equal (jad_store_meta_get_str (txn, meta, "str", str, sizeof str), 0);
    assert_string_equal (str, "agent-de");
    assert_int_equal (jad_store_meta_get_str (txn, meta, "none", str, sizeof str), 0);
    assert_string_equal (str, "");
    assert_int_equal (jad_store_meta_get_str (txn, meta, "empty", str, sizeof str), 0);
    assert_string_equal (str, "");
    char small[8];              /* 8 bytes and a NUL do not fit */
    assert_int_equal (jad_store_meta_get_str (txn, meta, "str", small, sizeof small),
                      MDB_CORRUPTED);
    jad_store_read_end (s, &txn);
    assert_null (txn);
    jad_store_read_end (s, &txn);   /* nothing open: nothing happens */
    jad_store_destroy (&s);
}

/* ------------------------------------------------------------ init */

typedef struct {
    int calls;
    int rdonly_seen;            /* jad_store_rdonly as init saw it */
    int fail;                   /* -1: refuse with a text; else an LMDB code */
} s_init_t;

static int
s_init_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    s_init_t *in = arg;
    in->calls++;
    in->rdonly_seen = jad_store_rdonly (store);
    if (in->fail == -1) {
        snprintf (err, errlen, "init: not ours");
        return -1;
    }
    if (in->fail)
        return in->fail;
    if (in->rdonly_seen)
        return 0;
    return jad_store_meta_put_str (txn, jad_store_dbi (store, S_META), "made", "yes");
}

static void
test_init (void **state)
{
    static const jad_store_spec_t spec = {
        .kind = "teststore", .dbs = s_dbs, .ndbs = S_NDBS,
        .mapsize = (size_t) 1 << 20, .dir_mode = 0700, .init = s_init_fn,
    };
    char err[1400] = "", want[1400];
    char path[1024];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));

    /* A refusing init: no store, its text, nothing registered. */
    s_init_t in = { 0, 0, -1 };
    assert_null (jad_store_open (path, JAD_STORE_CREATE, &spec, &in, err, sizeof err));
    assert_string_equal (err, "init: not ours");
    /* An LMDB code from init names the directory as given. */
    in = (s_init_t) { 0, 0, MDB_CORRUPTED };
    errno = 0;
    assert_null (jad_store_open (path, JAD_STORE_CREATE, &spec, &in, err, sizeof err));
    assert_int_equal (errno, EBADMSG);
    snprintf (want, sizeof want, "teststore %s: data.mdb is damaged (%s); restore "
              "it from a backup", path, mdb_strerror (MDB_CORRUPTED));
    assert_string_equal (err, want);

    /* What init writes commits with the databases. */
    in = (s_init_t) { 0, 0, 0 };
    jad_store_t *s = jad_store_open (path, JAD_STORE_CREATE, &spec, &in, err, sizeof err);
    assert_non_null (s);
    assert_int_equal (in.calls, 1);
    assert_int_equal (in.rdonly_seen, 0);
    jad_store_destroy (&s);
    in = (s_init_t) { 0, 1, 0 };
    s = jad_store_open (path, JAD_STORE_RDONLY, &spec, &in, err, sizeof err);
    assert_non_null (s);
    assert_int_equal (in.rdonly_seen, 1);
    MDB_txn *txn = NULL;
    char made[8];
    assert_int_equal (jad_store_read_begin (s, &txn), 0);
    assert_int_equal (jad_store_meta_get_str (txn, jad_store_dbi (s, S_META), "made",
                                              made, sizeof made), 0);
    jad_store_read_end (s, &txn);
    assert_string_equal (made, "yes");
    jad_store_destroy (&s);
}

/* ------------------------------------------------------------ damaged files */

/* Where LMDB 0.9 keeps what the checks read, on a 64-bit build (mdb.c:
 * a 16-byte page header, then MDB_meta): the test reads and damages the
 * bytes itself, and cross-checks them with what LMDB reports. */
#define S_OFF_PGNO      0
#define S_OFF_FLAGS     10
#define S_OFF_MAGIC     16
#define S_OFF_VERSION   20
#define S_OFF_PSIZE     40      /* mm_dbs[0].md_pad */
#define S_OFF_FREE_ROOT 80      /* mm_dbs[0].md_root */
#define S_OFF_MAIN_ROOT 128     /* mm_dbs[1].md_root */
#define S_OFF_LAST_PG   136
#define S_OFF_TXNID     144

static char s_data[1300];       /* s_datafile's answer */

static const char *
s_datafile (const char *dir)
{
    snprintf (s_data, sizeof s_data, "%s/data.mdb", dir);
    return s_data;
}

static uint64_t
s_get (const char *file, off_t at, size_t size)
{
    uint64_t v = 0;
    int fd = open (file, O_RDONLY);
    assert_true (fd >= 0);
    assert_int_equal (pread (fd, &v, size, at), (ssize_t) size);
    close (fd);
    return v;           /* little-endian host: the low SIZE bytes */
}

static void
s_set (const char *file, off_t at, size_t size, uint64_t v)
{
    int fd = open (file, O_WRONLY);
    assert_true (fd >= 0);
    assert_int_equal (pwrite (fd, &v, size, at), (ssize_t) size);
    close (fd);
}

static uint64_t
s_fsize (const char *file)
{
    struct stat st;
    assert_int_equal (stat (file, &st), 0);
    return (uint64_t) st.st_size;
}

/* A whole file's bytes, to put a damaged file back as it was. */
static uint8_t *
s_slurp (const char *file, size_t *len_p)
{
    *len_p = (size_t) s_fsize (file);
    uint8_t *buf = malloc (*len_p + 1);
    assert_non_null (buf);
    int fd = open (file, O_RDONLY);
    assert_true (fd >= 0);
    assert_int_equal (pread (fd, buf, *len_p, 0), (ssize_t) *len_p);
    close (fd);
    return buf;
}

static void
s_restore (const char *file, const uint8_t *buf, size_t len)
{
    int fd = open (file, O_WRONLY | O_TRUNC);
    assert_true (fd >= 0);
    assert_int_equal (pwrite (fd, buf, len, 0), (ssize_t) len);
    close (fd);
}

/* V with a comma every three digits, as the store writes sizes. */
static const char *
s_commas (uint64_t v, char *buf)
{
    char d[24];
    int n = snprintf (d, sizeof d, "%llu", (unsigned long long) v), j = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = d[i];
    }
    buf[j] = 0;
    return buf;
}

/* The open of DIR with FLAGS must fail as damage (errno EBADMSG) with
 * "teststore DIR: WANT" at the start of its reason and the remedy at its
 * end. */
static void
s_damaged (const char *dir, int flags, const jad_store_spec_t *spec, const char *want)
{
    char err[1400] = "", head[3000];
    errno = 0;
    jad_store_t *s = jad_store_open (dir, flags, spec, NULL, err, sizeof err);
    if (s)
        fail_msg ("open %s succeeded; expected: %s", dir, want);
    if (errno != EBADMSG)
        fail_msg ("errno %d (%s) for: %s", errno, strerror (errno), err);
    snprintf (head, sizeof head, "%s %s: %s; ", spec->kind, dir, want);
    if (strncmp (err, head, strlen (head)) != 0)
        fail_msg ("reason\n  %s\nexpected to start with\n  %s", err, head);
}

/* What LMDB itself writes into the meta pages: a new environment has
 * txnid 0 in both; transaction N writes meta page N & 1, so after N
 * commits the pages hold N and N - 1.  The checks rely on exactly this. */
static void
test_meta_alternation (void **state)
{
    char path[1024];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "raw"));
    assert_int_equal (mkdir (path, 0700), 0);
    MDB_env *env = NULL;
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_open (env, path, 0, 0600), 0);
    MDB_envinfo info;
    assert_int_equal (mdb_env_info (env, &info), 0);
    const char *file = s_datafile (path);
    unsigned psize = (unsigned) s_get (file, S_OFF_PSIZE, 4);
    assert_int_equal (s_get (file, S_OFF_MAGIC, 4), 0xBEEFC0DE);
    assert_int_equal (s_get (file, psize + S_OFF_MAGIC, 4), 0xBEEFC0DE);
    assert_int_equal (s_get (file, S_OFF_VERSION, 4), 1);
    assert_int_equal (s_get (file, psize + S_OFF_PGNO, 8), 1);
    assert_int_equal (s_get (file, S_OFF_FLAGS, 2) & 0x08, 0x08);
    assert_int_equal (s_get (file, S_OFF_TXNID, 8), 0);
    assert_int_equal (s_get (file, psize + S_OFF_TXNID, 8), 0);
    assert_int_equal (s_get (file, S_OFF_LAST_PG, 8), 1);
    assert_int_equal (s_get (file, S_OFF_MAIN_ROOT, 8), UINT64_MAX);
    mdb_env_close (env);
    /* A new file with nothing committed opens. */
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_spec);
    jad_store_destroy (&s);

    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    s = s_open (path, JAD_STORE_CREATE, &s_spec);     /* commit 1 */
    file = s_datafile (path);
    for (uint64_t n = 1; n <= 6; n++) {
        if (n > 1)
            s_put_range (s, n, 1, 100);
        assert_int_equal (s_get (file, (n & 1) * psize + S_OFF_TXNID, 8), n);
        assert_int_equal (s_get (file, (~n & 1) * psize + S_OFF_TXNID, 8), n - 1);
    }
    /* The newer meta's last page and roots are LMDB's own. */
    MDB_txn *txn = NULL;
    assert_int_equal (jad_store_read_begin (s, &txn), 0);
    assert_int_equal (mdb_env_info (mdb_txn_env (txn), &info), 0);
    jad_store_read_end (s, &txn);
    assert_int_equal (info.me_last_txnid, 6);
    assert_int_equal (s_get (file, S_OFF_LAST_PG, 8), info.me_last_pgno);
    uint64_t root = s_get (file, S_OFF_MAIN_ROOT, 8);
    assert_true (root >= 2 && root <= info.me_last_pgno);
    assert_true (s_fsize (file) >= (info.me_last_pgno + 1) * psize);
    jad_store_destroy (&s);
}

/* A store with some 1.2 MB in it, closed; its page size. */
static unsigned
s_make_full (const char *path)
{
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_spec);
    for (int b = 0; b < 6; b++)
        s_put_range (s, 1 + (uint64_t) b * 50, 50, S_VALUE);
    jad_store_destroy (&s);
    return (unsigned) s_get (s_datafile (path), S_OFF_PSIZE, 4);
}

/* A file cut short is refused before LMDB maps it — by readers and
 * writers alike, with the sizes, and errno EBADMSG — where LMDB would
 * die of SIGBUS at the first missing page. */
static void
test_truncated (void **state)
{
    char path[1024], file[1400], want[1400], a[32], b[32];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    unsigned psize = s_make_full (path);
    snprintf (file, sizeof file, "%s", s_datafile (path));
    uint64_t size = s_fsize (file);
    int newer = (int) (s_get (file, psize + S_OFF_TXNID, 8) > s_get (file, S_OFF_TXNID, 8));
    uint64_t ends = (s_get (file, newer * psize + S_OFF_LAST_PG, 8) + 1) * psize;
    assert_true (size >= ends);

    uint64_t cut = size / 4 * 3;
    assert_int_equal (truncate (file, (off_t) cut), 0);
    snprintf (want, sizeof want, "data.mdb is damaged: %s bytes, but its last page "
              "ends at byte %s (truncated?)", s_commas (cut, a), s_commas (ends, b));
    s_damaged (path, JAD_STORE_RDONLY, &s_spec, want);
    s_damaged (path, 0, &s_spec, want);
    s_damaged (path, JAD_STORE_CREATE, &s_spec, want);
    /* Whatever the kind: each says what to do about it. */
    static const jad_store_spec_t journal = {
        .kind = "journal", .dbs = s_dbs, .ndbs = S_NDBS,
        .mapsize = (size_t) 1 << 20, .dir_mode = 0700,
    };
    static const jad_store_spec_t outbox = {
        .kind = "outbox", .dbs = s_dbs, .ndbs = S_NDBS,
        .mapsize = (size_t) 1 << 20, .dir_mode = 0700,
    };
    char err[1400];
    s_refused (path, JAD_STORE_RDONLY, &journal, err, sizeof err);
    assert_non_null (strstr (err, "`jad-journal repair`"));
    assert_non_null (strstr (err, "docs/OPERATIONS.md"));
    s_refused (path, JAD_STORE_RDONLY, &outbox, err, sizeof err);
    assert_non_null (strstr (err, "restore it from a backup"));
    assert_non_null (strstr (err, "docs/OPERATIONS.md"));
    s_refused (path, JAD_STORE_RDONLY, &s_spec, err, sizeof err);
    assert_non_null (strstr (err, "; restore it from a backup"));
    /* Nothing is left registered or mapped: the store opens once whole. */
    assert_int_equal (truncate (file, (off_t) size), 0);
    assert_int_equal (truncate (file, (off_t) ends), 0);
    jad_store_t *s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    s_seen_t seen = { .next = 1, .bytes = 1 };
    assert_int_equal (jad_store_scan (s, jad_store_dbi (s, S_ITEMS), 1, SIZE_MAX,
                                      s_seen_fn, &seen), 300);
    jad_store_destroy (&s);
    /* One byte short of the last page. */
    assert_int_equal (truncate (file, (off_t) ends - 1), 0);
    snprintf (want, sizeof want, "data.mdb is damaged: %s bytes, but its last page "
              "ends at byte %s (truncated?)", s_commas (ends - 1, a), s_commas (ends, b));
    s_damaged (path, JAD_STORE_RDONLY, &s_spec, want);

    /* Shorter than the meta pages. */
    assert_int_equal (truncate (file, psize + 100), 0);
    snprintf (want, sizeof want, "data.mdb is damaged: %s bytes, too short for its "
              "two meta pages (truncated?)", s_commas (psize + 100, a));
    s_damaged (path, JAD_STORE_RDONLY, &s_spec, want);
    assert_int_equal (truncate (file, 5), 0);
    s_damaged (path, 0, &s_spec, "data.mdb is damaged: 5 bytes, too short for its "
               "two meta pages (truncated?)");

    /* Empty: nothing to read; a writer that may create makes it anew. */
    assert_int_equal (truncate (file, 0), 0);
    errno = 0;
    s_refused (path, JAD_STORE_RDONLY, &s_spec, err, sizeof err);
    assert_int_equal (errno, ENOENT);
    snprintf (want, sizeof want, "teststore %s: no teststore there (data.mdb is empty)",
              path);
    assert_string_equal (err, want);
    s = s_open (path, JAD_STORE_CREATE, &s_spec);
    uint64_t count = 9;
    assert_int_equal (jad_store_count (s, jad_store_dbi (s, S_ITEMS), &count), 0);
    assert_int_equal (count, 0);
    jad_store_destroy (&s);
}

/* Each field of a meta page that LMDB trusts, damaged in turn, is named;
 * the newer meta's txnid lowered by two is refused although LMDB itself
 * opens that file — on the older meta, a committed transaction gone. */
static void
test_damaged_meta (void **state)
{
    char path[1024], file[1400], want[512];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    unsigned psize = s_make_full (path);
    snprintf (file, sizeof file, "%s", s_datafile (path));
    size_t len;
    uint8_t *whole = s_slurp (file, &len);
    uint64_t t0 = s_get (file, S_OFF_TXNID, 8), t1 = s_get (file, psize + S_OFF_TXNID, 8);
    int newer = t1 > t0;
    uint64_t tn = newer ? t1 : t0, to = newer ? t0 : t1;
    off_t at = (off_t) newer * psize;
    assert_int_equal (tn, to + 1);

    s_set (file, psize + S_OFF_MAGIC, 4, 0xBEEFC0DF);
    s_damaged (path, JAD_STORE_RDONLY, &s_spec, "meta page 1 of data.mdb is damaged "
               "(magic 0xbeefc0df where 0xbeefc0de is expected)");
    s_restore (file, whole, len);
    s_set (file, S_OFF_VERSION, 4, 2);
    s_damaged (path, 0, &s_spec, "meta page 0 of data.mdb is damaged (format "
               "version 2 where 1 is expected)");
    s_restore (file, whole, len);
    s_set (file, S_OFF_FLAGS, 2, 0x02);
    s_damaged (path, 0, &s_spec, "meta page 0 of data.mdb is damaged (not marked "
               "meta page 0: page number 0, flags 0x2)");
    s_restore (file, whole, len);
    s_set (file, psize + S_OFF_PSIZE, 4, 3000);
    s_damaged (path, 0, &s_spec, "meta page 1 of data.mdb is damaged (page size 3000)");
    s_restore (file, whole, len);
    s_set (file, psize + S_OFF_PSIZE, 4, psize * 2);
    snprintf (want, sizeof want, "meta pages 0 and 1 of data.mdb disagree (page "
              "sizes %u and %u): one of them is damaged", psize, psize * 2);
    s_damaged (path, 0, &s_spec, want);
    s_restore (file, whole, len);

    /* The newer txnid with its lowest bit flipped: the wrong parity. */
    s_set (file, at + S_OFF_TXNID, 8, tn ^ 1);
    snprintf (want, sizeof want, "meta page %d of data.mdb is damaged (txnid %llu "
              "where an %s one is expected)", newer, (unsigned long long) (tn ^ 1),
              newer ? "odd" : "even");
    s_damaged (path, JAD_STORE_RDONLY, &s_spec, want);
    s_restore (file, whole, len);
    /* ... raised by two: not the next one. */
    s_set (file, at + S_OFF_TXNID, 8, tn + 2);
    snprintf (want, sizeof want, "meta pages 0 and 1 of data.mdb disagree "
              "(txnids %llu and %llu, where one follows the other): one of "
              "them is damaged", (unsigned long long) (newer ? to : tn + 2),
              (unsigned long long) (newer ? tn + 2 : to));
    s_damaged (path, 0, &s_spec, want);
    /* ... lowered by two, the one before the older's: the older then uses
     * fewer pages than the one before it, which LMDB never does (the last
     * commit here grew the file). */
    uint64_t last_n = s_get (file, at + S_OFF_LAST_PG, 8);
    uint64_t last_o = s_get (file, (off_t) (!newer) * psize + S_OFF_LAST_PG, 8);
    assert_true (last_n > last_o);
    s_set (file, at + S_OFF_TXNID, 8, tn - 2);
    snprintf (want, sizeof want, "meta pages 0 and 1 of data.mdb disagree (txnid "
              "%llu uses pages up to %llu, the later txnid %llu only up to %llu): "
              "one of them is damaged", (unsigned long long) tn - 2,
              (unsigned long long) last_n, (unsigned long long) to,
              (unsigned long long) last_o);
    s_damaged (path, 0, &s_spec, want);
    /* Lowered by two, LMDB opens the older meta without a word. */
    MDB_env *env = NULL;
    MDB_envinfo info;
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, JAD_STORE_DBS_MAX), 0);
    assert_int_equal (mdb_env_open (env, path, MDB_RDONLY, 0600), 0);
    assert_int_equal (mdb_env_info (env, &info), 0);
    assert_int_equal (info.me_last_txnid, to);
    mdb_env_close (env);
    s_restore (file, whole, len);

    /* Last page and roots out of range. */
    s_set (file, at + S_OFF_LAST_PG, 8, 0);
    snprintf (want, sizeof want, "meta page %d of data.mdb is damaged (last page 0)",
              newer);
    s_damaged (path, 0, &s_spec, want);
    s_restore (file, whole, len);
    uint64_t last = s_get (file, at + S_OFF_LAST_PG, 8);
    s_set (file, at + S_OFF_MAIN_ROOT, 8, last + 1);
    snprintf (want, sizeof want, "meta page %d of data.mdb is damaged (root page "
              "%llu of the main tree, outside pages 2 to %llu)", newer,
              (unsigned long long) last + 1, (unsigned long long) last);
    s_damaged (path, 0, &s_spec, want);
    s_restore (file, whole, len);
    s_set (file, at + S_OFF_FREE_ROOT, 8, 1);
    snprintf (want, sizeof want, "meta page %d of data.mdb is damaged (root page 1 "
              "of the free pages' tree, outside pages 2 to %llu)", newer,
              (unsigned long long) last);
    s_damaged (path, 0, &s_spec, want);
    s_restore (file, whole, len);

    /* A root page that is in range but not a tree's: LMDB finds it, and
     * that is damage too. */
    uint64_t root = s_get (file, at + S_OFF_MAIN_ROOT, 8);
    s_set (file, (off_t) (root * psize) + S_OFF_FLAGS, 2, 0x04);
    snprintf (want, sizeof want, "data.mdb is damaged (%s)", mdb_strerror (MDB_CORRUPTED));
    s_damaged (path, JAD_STORE_RDONLY, &s_spec, want);
    s_restore (file, whole, len);

    /* Put back, it opens and holds everything. */
    jad_store_t *s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    uint64_t count = 0;
    assert_int_equal (jad_store_count (s, jad_store_dbi (s, S_ITEMS), &count), 0);
    assert_int_equal (count, 300);
    jad_store_destroy (&s);
    free (whole);
}

typedef struct {
    uint64_t first;             /* keys FIRST .. FIRST + N - 1 */
    size_t   n;
} s_dels_t;

static int
s_dels_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_dels_t *d = arg;
    for (size_t i = 0; i < d->n; i++) {
        uint8_t kb[8];
        jad_store_put_be64 (kb, d->first + i);
        MDB_val k = { 8, kb };
        int rc = mdb_del (txn, jad_store_dbi (store, S_ITEMS), &k, NULL);
        if (rc)
            return rc;
    }
    return 0;
}

/* The newer meta's last page, and its free pages' root, of FILE. */
static uint64_t
s_last_end (const char *file, unsigned psize)
{
    uint64_t t0 = s_get (file, S_OFF_TXNID, 8), t1 = s_get (file, psize + S_OFF_TXNID, 8);
    off_t at = t1 > t0 ? psize : 0;
    return (s_get (file, at + S_OFF_LAST_PG, 8) + 1) * psize;
}

/* A file may end before its last page when the pages past its end are
 * free: LMDB does not write a page it allocated and freed in the same
 * transaction (mdb.c: "the file may be shorter if the freeDB lists the
 * final pages"; mdb_copy copies no further than the file's end), nor
 * does it ever read a free page.  Such a file opens, reads and takes
 * writes; cut into a page in use, it is refused.  The free tail is made
 * here by deleting the values whose overflow pages are last in the file,
 * (the small values' pages, copied on each write, moved to reclaimed
 * pages below them since), then cutting the file there. */
static void
test_free_tail (void **state)
{
    char path[1024], file[1400], want[1400], a[32], b[32], err[1400] = "";
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_spec);
    s_put_range (s, 1, 5, 10);              /* one leaf: rewritten each time */
    s_put_range (s, 1000, 100, S_VALUE);    /* 100 overflow pages at the end */
    s_dels_t d = { 1000, 100 };
    assert_int_equal (jad_store_write (s, s_dels_fn, &d, err, sizeof err), 0);
    for (uint64_t k = 6; k <= 11; k++)
        s_put_range (s, k, 1, 10);
    jad_store_destroy (&s);
    snprintf (file, sizeof file, "%s", s_datafile (path));
    unsigned psize = (unsigned) s_get (file, S_OFF_PSIZE, 4);
    uint64_t ends = s_last_end (file, psize);
    uint64_t size = s_fsize (file);
    assert_int_equal (size, ends);

    /* The last 50 pages gone: all free. */
    uint64_t cut = ends - 50 * (uint64_t) psize;
    assert_int_equal (truncate (file, (off_t) cut), 0);
    s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    uint64_t count = 0;
    assert_int_equal (jad_store_count (s, jad_store_dbi (s, S_ITEMS), &count), 0);
    assert_int_equal (count, 11);
    s_seen_t seen = { .next = 1 };
    assert_int_equal (jad_store_scan (s, jad_store_dbi (s, S_ITEMS), 1, SIZE_MAX,
                                      s_seen_fn, &seen), 11);
    if (seen.why[0])
        fail_msg ("%s", seen.why);
    jad_store_destroy (&s);
    /* Copies by LMDB's own tool, plain (the same short tail) and
     * compacted, open too. */
    char copy[1200];
    for (int compact = 0; compact < 2; compact++) {
        MDB_env *env = NULL;
        snprintf (copy, sizeof copy, "%s", jad_test_path (state, compact ? "cc" : "cp"));
        assert_int_equal (mkdir (copy, 0700), 0);
        assert_int_equal (mdb_env_create (&env), 0);
        assert_int_equal (mdb_env_set_maxdbs (env, JAD_STORE_DBS_MAX), 0);
        assert_int_equal (mdb_env_open (env, path, MDB_RDONLY, 0600), 0);
        assert_int_equal (mdb_env_copy2 (env, copy, compact ? MDB_CP_COMPACT : 0), 0);
        mdb_env_close (env);
        if (!compact)
            assert_int_equal (s_fsize (s_datafile (copy)), cut);
        s = s_open (copy, JAD_STORE_RDONLY, &s_spec);
        assert_int_equal (jad_store_count (s, jad_store_dbi (s, S_ITEMS), &count), 0);
        assert_int_equal (count, 11);
        jad_store_destroy (&s);
        s = s_open (copy, 0, &s_spec);
        s_put_range (s, 12, 1, 10);
        jad_store_destroy (&s);
    }
    /* A writer goes on: LMDB writes a free page it reuses wherever it is. */
    s = s_open (path, 0, &s_spec);
    s_put_range (s, 12, 30, 10);
    s_put_range (s, 42, 60, S_VALUE);
    assert_int_equal (jad_store_count (s, jad_store_dbi (s, S_ITEMS), &count), 0);
    assert_int_equal (count, 101);
    jad_store_destroy (&s);
    s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    memset (&seen, 0, sizeof seen);
    seen.next = 1;
    assert_int_equal (jad_store_scan (s, jad_store_dbi (s, S_ITEMS), 1, SIZE_MAX,
                                      s_seen_fn, &seen), 101);
    if (seen.why[0])
        fail_msg ("%s", seen.why);
    jad_store_destroy (&s);

    /* Cut into the pages in use: refused. */
    ends = s_last_end (file, psize);
    cut = 4 * (uint64_t) psize;
    assert_int_equal (truncate (file, (off_t) cut), 0);
    snprintf (want, sizeof want, "data.mdb is damaged: %s bytes, but its last page "
              "ends at byte %s (truncated?)", s_commas (cut, a), s_commas (ends, b));
    s_damaged (path, JAD_STORE_RDONLY, &s_spec, want);
}

typedef struct {
    unsigned seed;
    int      ops;
} s_random_t;

/* Random puts (small values, and large ones on overflow pages) and
 * deletes in one transaction. */
static int
s_random_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_random_t *r = arg;
    unsigned seed = r->seed;        /* the same ops if the body runs again */
    MDB_dbi items = jad_store_dbi (store, S_ITEMS);
    for (int i = 0; i < r->ops; i++) {
        uint8_t kb[8];
        jad_store_put_be64 (kb, (uint64_t) (rand_r (&seed) % 400));
        MDB_val k = { 8, kb };
        int rc;
        if (rand_r (&seed) % 3 == 0) {
            rc = mdb_del (txn, items, &k, NULL);
            if (rc == MDB_NOTFOUND)
                rc = 0;
        }
        else {
            size_t size = rand_r (&seed) % 4 ? 1 + rand_r (&seed) % 300
                                             : 2000 + rand_r (&seed) % 12000;
            MDB_val v = { size, NULL };
            rc = mdb_put (txn, items, &k, &v, MDB_RESERVE);
            if (rc == 0)
                memset (v.mv_data, 7, size);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* Whatever LMDB does in ordinary use, the checks accept it: a store
 * through many transactions of random puts and deletes opens after each
 * of them. */
static void
test_checks_accept_use (void **state)
{
    char path[1024], err[1400] = "";
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_spec);
    for (unsigned t = 0; t < 120; t++) {
        s_random_t r = { t * 7919u + 1, 1 + (int) (t % 40) };
        if (jad_store_write (s, s_random_fn, &r, err, sizeof err))
            fail_msg ("write %u: %s", t, err);
        if (t % 4 == 3) {
            jad_store_destroy (&s);
            s = jad_store_open (path, t % 8 == 3 ? JAD_STORE_RDONLY : 0, &s_spec,
                                NULL, err, sizeof err);
            if (!s)
                fail_msg ("after transaction %u: %s", t, err);
            if (jad_store_rdonly (s)) {
                jad_store_destroy (&s);
                s = s_open (path, 0, &s_spec);
            }
        }
    }
    jad_store_destroy (&s);
}

/* LMDB makes a missing lock.mdb again, for a writer and a reader. */
static void
test_lock_missing (void **state)
{
    char path[1024], lock[1200];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    s_make_full (path);
    snprintf (lock, sizeof lock, "%s/lock.mdb", path);
    assert_int_equal (unlink (lock), 0);
    jad_store_t *s = s_open (path, JAD_STORE_RDONLY, &s_spec);
    jad_store_destroy (&s);
    assert_int_equal (access (lock, F_OK), 0);
    assert_int_equal (unlink (lock), 0);
    s = s_open (path, 0, &s_spec);
    s_put_range (s, 301, 1, 10);
    jad_store_destroy (&s);
    assert_int_equal (access (lock, F_OK), 0);
}

/* Make PATH immutable (ON) or not: how root, whom modes do not stop,
 * gets a file it cannot write.  0, or -1 when the file system or the
 * process's capabilities do not allow it. */
static int
s_immutable (const char *path, int on)
{
    int fd = open (path, O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    int attr = 0, rc = ioctl (fd, FS_IOC_GETFLAGS, &attr);
    if (rc == 0) {
        attr = on ? attr | FS_IMMUTABLE_FL : attr & ~FS_IMMUTABLE_FL;
        rc = ioctl (fd, FS_IOC_SETFLAGS, &attr);
    }
    close (fd);
    return rc;
}

/* Make PATH (a directory or data.mdb) read-only for this process: by
 * its mode, or for root by the immutable attribute.  0, or -1 (skip). */
static int
s_read_only (const char *path, int dir, int on)
{
    if (geteuid () != 0)
        return chmod (path, on ? (dir ? 0500 : 0400) : (dir ? 0700 : 0600));
    return s_immutable (path, on);
}

/* A writer on a read-only directory or data.mdb is refused, naming which;
 * a reader still opens it. */
static void
test_read_only (void **state)
{
    char path[1024], file[1400], err[1400], want[1400];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    s_make_full (path);
    snprintf (file, sizeof file, "%s", s_datafile (path));
    static const struct { int dir; const char *what; } cases[] = {
        { 1, "the directory" }, { 0, "data.mdb" },
    };
    int ran = 0;
    for (size_t i = 0; i < 2; i++) {
        const char *target = cases[i].dir ? path : file;
        if (s_read_only (target, cases[i].dir, 1) != 0)
            continue;
        ran++;
        errno = 0;
        err[0] = 0;
        jad_store_t *s = jad_store_open (path, 0, &s_spec, NULL, err, sizeof err);
        int eno = errno;
        jad_store_t *r = s ? NULL : jad_store_open (path, JAD_STORE_RDONLY, &s_spec,
                                                    NULL, want, sizeof want);
        s_read_only (target, cases[i].dir, 0);
        if (s)
            fail_msg ("a writer opened with %s read-only", cases[i].what);
        assert_true (eno == EACCES || eno == EPERM);
        snprintf (want, sizeof want, "teststore %s: read-only (%s is not writable: %s): ",
                  path, cases[i].what, strerror (eno));
        if (strncmp (err, want, strlen (want)) != 0)
            fail_msg ("reason\n  %s\nexpected to start with\n  %s", err, want);
        assert_non_null (strstr (err, "docs/OPERATIONS.md"));
        if (!r)
            fail_msg ("a reader did not open it: %s", want);
        jad_store_destroy (&r);
    }
    if (!ran)
        skip ();        /* root without CAP_LINUX_IMMUTABLE, or no chattr here */
}

/* The child of test_shrink_under_reader: open PATH, say so on READY,
 * wait for GO, then read every value.  Exits 0 if that worked. */
static void
s_shrink_child (const char *path, int ready, int go)
{
    char err[1400], c;
    jad_store_t *s = jad_store_open (path, JAD_STORE_RDONLY, &s_spec, NULL, err,
                                     sizeof err);
    if (!s || write (ready, "r", 1) != 1 || read (go, &c, 1) != 1)
        _exit (3);
    s_seen_t seen = { .next = 1, .bytes = 1 };
    long n = jad_store_scan (s, jad_store_dbi (s, S_ITEMS), 1, SIZE_MAX, s_seen_fn,
                             &seen);
    _exit (n == 300 ? 0 : 4);
}

/* Run s_shrink_child on PATH, cutting data.mdb to CUT bytes (unless 0)
 * while it waits; its exit status, and its stderr into OUT. */
static int
s_shrink_run (const char *path, uint64_t cut, char *out, size_t outlen)
{
    int ready[2], go[2], errp[2];
    assert_int_equal (pipe (ready), 0);
    assert_int_equal (pipe (go), 0);
    assert_int_equal (pipe (errp), 0);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        /* Not the harness's handler: a SIGBUS the store does not take
         * kills the child, as it would a program. */
        signal (SIGBUS, SIG_DFL);
        dup2 (errp[1], STDERR_FILENO);
        close (ready[0]), close (go[1]), close (errp[0]), close (errp[1]);
        s_shrink_child (path, ready[1], go[0]);
    }
    close (ready[1]), close (go[0]), close (errp[1]);
    char c;
    assert_int_equal (read (ready[0], &c, 1), 1);
    if (cut)
        assert_int_equal (truncate (s_datafile (path), (off_t) cut), 0);
    assert_int_equal (write (go[1], "g", 1), 1);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < outlen && (r = read (errp[0], out + n, outlen - 1 - n)) > 0)
        n += (size_t) r;
    out[n] = 0;
    int status;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    close (ready[0]), close (go[1]), close (errp[0]);
    return status;
}

/* A file cut short while a process reads it: one line naming the file
 * and exit status 2, not a death by SIGBUS. */
static void
test_shrink_under_reader (void **state)
{
    char path[1024], out[2048], want[1400];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    unsigned psize = s_make_full (path);
    /* Uncut, the child reads everything. */
    int status = s_shrink_run (path, 0, out, sizeof out);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_string_equal (out, "");

    status = s_shrink_run (path, 2 * psize, out, sizeof out);
    if (WIFSIGNALED (status))
        fail_msg ("the reader died of signal %d", WTERMSIG (status));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 2);
    char *real = realpath (path, NULL);
    snprintf (want, sizeof want, "test_store: teststore %s: data.mdb shrank under "
              "this process (a read at byte ", real);
    free (real);
    if (strncmp (out, want, strlen (want)) != 0)
        fail_msg ("stderr\n  %s\nexpected to start with\n  %s", out, want);
    assert_non_null (strstr (out, " is past its end): it is damaged; stopping "
                                  "(exit 2); restore it from a backup\n"));
    assert_int_equal (strchr (out, '\n') - out + 1, (long) strlen (out));
}

/* A SIGBUS that is not a read of a store's map is left as it was: the
 * process dies of it (or of the sanitizer's handler for it). */
static void
test_sigbus_elsewhere (void **state)
{
    char path[1024];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "s"));
    jad_store_t *s = s_open (path, JAD_STORE_CREATE, &s_spec);
    jad_store_destroy (&s);
    const char *other = jad_test_path (state, "other");
    int fd = open (other, O_RDWR | O_CREAT, 0600);
    assert_true (fd >= 0);
    assert_int_equal (ftruncate (fd, 65536), 0);
    for (int how = 0; how < 2; how++) {
        pid_t pid = fork ();
        assert_true (pid >= 0);
        if (pid == 0) {
            signal (SIGBUS, SIG_DFL);
            int devnull = open ("/dev/null", O_WRONLY);
            dup2 (devnull, STDERR_FILENO);
            jad_store_t *cs = jad_store_open (path, JAD_STORE_RDONLY, &s_spec, NULL,
                                              NULL, 0);
            if (!cs)
                _exit (3);
            if (how == 0)
                kill (getpid (), SIGBUS);
            volatile char *map = mmap (NULL, 65536, PROT_READ, MAP_SHARED, fd, 0);
            if (map == MAP_FAILED || ftruncate (fd, 0) != 0)
                _exit (4);
            char c = map[8192];     /* past the end: SIGBUS, not the store's */
            _exit (c == 0 ? 5 : 6);
        }
        int status;
        assert_int_equal (waitpid (pid, &status, 0), pid);
        if (!WIFSIGNALED (status))
            fail_msg ("case %d: exited %d", how, WEXITSTATUS (status));
        assert_int_equal (ftruncate (fd, 65536), 0);
    }
    close (fd);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_open, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_databases, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_registry, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_write, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_growth_with_readers, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_resized_by_another, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_modes, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_keys, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test (test_integers),
        cmocka_unit_test_setup_teardown (test_meta, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_init, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_meta_alternation, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_truncated, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_damaged_meta, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_free_tail, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_checks_accept_use, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_lock_missing, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_read_only, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_shrink_under_reader, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_sigbus_elsewhere, jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
