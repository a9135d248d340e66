/* Unit tests: lib/store.c — open, create and read-only with their error
 * texts; the registry refusing a second open in a process (under another
 * name too); optional databases; the write wrapper (redone from scratch on
 * a full map, nothing committed on failure); map growth while another
 * thread reads (the race the outbox once had: a resize with a transaction
 * open); a map grown by another process adopted; forced and unforced
 * modes under umask 077; scans, last, floor, get and count over BE64
 * keys; meta values and their byte layout. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    char path[1024], file[1200];
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
    assert_null (jad_store_open (path, JAD_STORE_CREATE, &spec, &in, err, sizeof err));
    snprintf (want, sizeof want, "teststore %s: %s", path, mdb_strerror (MDB_CORRUPTED));
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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
