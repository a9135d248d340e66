/* Unit tests: lib/journal.c — append and scan, dedupe and conflicts (also
 * within one batch), reopen, map growth, the prev_hash chain, readers while
 * a writer appends, the mirror's gap check, and a writer SIGKILLed at random
 * instants followed by a full consistency check; the files' modes under any
 * umask; a damaged dedupe index settled by the entries (never a CONFLICT
 * the stored bytes do not show), pages LMDB cannot read under it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/journal.h"
#include "jad/wire.h"
#include "testutil.h"


/* An envelope's bytes as a message, structure only (what the code under
 * test wrote is checked field by field below). */
static ProtobufCMessage *
s_envelope_decode (const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    return jad_wire_decode (&jad__envelope__descriptor, buf, len,
                            JAD_ENVELOPE_MAX, err, errlen);
}

static const uint8_t s_opid[16] = { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t s_inc1[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
static const uint8_t s_inc2[16] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 };

/* ------------------------------------------------------------ helpers */

/* A journal directory inside the test's temporary directory (testutil);
 * valid until the next call. */
static const char *
s_path (void **state, const char *name)
{
    return jad_test_path (state, name);
}

/* An Envelope that jad_envelope_open accepts, with a report of
 * REPORT_LEN bytes filled from SALT so different salts give different
 * bytes.  Caller frees. */
static uint8_t *
s_envelope (const char *origin, const uint8_t *inc, uint64_t seq,
            size_t report_len, uint32_t salt, size_t *len_p)
{
    uint8_t *report = malloc (report_len);
    assert_non_null (report);
    for (size_t i = 0; i < report_len; i++)
        report[i] = (uint8_t) (salt * 31 + i * 7 + seq);
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1; env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) s_opid; env.operation_id.len = 16;
    env.origin = (char *) origin;
    env.has_incarnation = 1;
    env.incarnation.data = (uint8_t *) inc; env.incarnation.len = 16;
    env.has_origin_seq = 1; env.origin_seq = seq;
    env.has_event_time_ms = 1; env.event_time_ms = 1605510003000 + (int64_t) seq;
    env.has_report = 1; env.report.data = report; env.report.len = report_len;
    uint8_t *buf = jad_wire_encode (&env.base, len_p);
    assert_non_null (buf);
    free (report);
    return buf;
}

/* Fill ITEM for (ORIGIN, INC, SEQ); the envelope is malloc'd into *BUF_P. */
static void
s_item (jad_journal_item_t *item, uint8_t **buf_p, const char *origin,
        const uint8_t *inc, uint64_t seq, size_t report_len, uint32_t salt)
{
    size_t len;
    *buf_p = s_envelope (origin, inc, seq, report_len, salt, &len);
    memset (item, 0, sizeof *item);
    item->origin = origin;
    item->incarnation = inc;
    item->origin_seq = seq;
    item->envelope = *buf_p;
    item->envelope_len = len;
    item->received_ms = 1605510004000 + (int64_t) seq;
}

/* Append origin_seq FIRST..FIRST+N-1 of (ORIGIN, INC) as one batch and
 * check they are all new. */
static void
s_append_range (jad_journal_t *j, const char *origin, const uint8_t *inc,
                uint64_t first, size_t n, size_t report_len)
{
    jad_journal_item_t *items = calloc (n, sizeof *items);
    uint8_t **bufs = calloc (n, sizeof *bufs);
    assert_true (items && bufs);
    for (size_t i = 0; i < n; i++)
        s_item (&items[i], &bufs[i], origin, inc, first + i, report_len, 0);
    char err[256] = "";
    int rc = jad_journal_append (j, items, n, err, sizeof err);
    if (rc)
        fail_msg ("append: %s", err);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal (items[i].status, JAD_JOURNAL_NEW);
        free (bufs[i]);
    }
    free (items);
    free (bufs);
}

typedef struct {
    uint64_t next;                      /* seq expected next */
    uint8_t prev[JAD_JOURNAL_HASH_BYTES];
    jad_journal_t *j;
    char why[256];                      /* first failure, "" if none */
} s_check_t;

/* Scan callback: the entry decodes, its hub_seq is its key, nothing is
 * missing, prev_hash chains, and its envelope's dedupe key maps back. */
static int
s_check_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_check_t *c = arg;
    char err[128];
    uint8_t hash[JAD_JOURNAL_HASH_BYTES];
    Jad__Envelope *env = NULL;
    Jad__Entry *e = jad_wire_entry_decode (buf, len, err, sizeof err);
    if (!e)
        snprintf (c->why, sizeof c->why, "entry %llu: %s", (unsigned long long) seq, err);
    else
    if (seq != c->next || e->hub_seq != seq)
        snprintf (c->why, sizeof c->why, "key %llu, hub_seq %llu, expected %llu",
                  (unsigned long long) seq, (unsigned long long) e->hub_seq,
                  (unsigned long long) c->next);
    else
    if (seq == 1 ? e->has_prev_hash
                 : !e->has_prev_hash || memcmp (e->prev_hash.data, c->prev, 32))
        snprintf (c->why, sizeof c->why, "entry %llu: prev_hash broken",
                  (unsigned long long) seq);
    else
    if (!(env = (Jad__Envelope *) s_envelope_decode (e->envelope.data, e->envelope.len,
                                          err, sizeof err)))
        snprintf (c->why, sizeof c->why, "entry %llu envelope: %s",
                  (unsigned long long) seq, err);
    else {
        uint64_t back = 0;
        int rc = jad_journal_lookup (c->j, env->origin, env->incarnation.data,
                                     env->origin_seq, &back, hash);
        uint8_t want[JAD_JOURNAL_HASH_BYTES];
        crypto_generichash (want, sizeof want, e->envelope.data, e->envelope.len,
                            NULL, 0);
        if (rc != 1 || back != seq || memcmp (hash, want, sizeof want))
            snprintf (c->why, sizeof c->why, "entry %llu: dedupe record %d -> %llu",
                      (unsigned long long) seq, rc, (unsigned long long) back);
    }
    jad_wire_free (&env);
    jad_wire_free (&e);
    crypto_generichash (c->prev, sizeof c->prev, buf, len, NULL, 0);
    c->next++;
    return c->why[0] != 0;
}

/* Check the whole journal in chunks; returns its head. */
static uint64_t
s_check_journal (jad_journal_t *j)
{
    s_check_t c = { .next = 1, .j = j };
    uint64_t head, count, dcount;
    assert_int_equal (jad_journal_head (j, &head), 0);
    assert_int_equal (jad_journal_count (j, &count), 0);
    assert_int_equal (jad_journal_dedupe_count (j, &dcount), 0);
    assert_int_equal (count, head);
    /* Every record in dedupe belongs to one journaled entry. */
    assert_int_equal (dcount, head);
    while (c.next <= head) {
        long n = jad_journal_scan (j, c.next, 300, s_check_fn, &c);
        if (c.why[0])
            fail_msg ("%s", c.why);
        assert_true (n > 0);
    }
    assert_int_equal (c.next, head + 1);
    return head;
}

static int
s_decode_seq (const uint8_t *buf, size_t len, uint64_t *seq)
{
    char err[128];
    Jad__Entry *e = jad_wire_entry_decode (buf, len, err, sizeof err);
    if (!e)
        return -1;
    *seq = e->hub_seq;
    jad_wire_free (&e);
    return 0;
}

/* ------------------------------------------------------------ tests */

typedef struct {
    uint64_t first, last;
    size_t visited;
} s_range_t;

static int
s_range_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_range_t *r = arg;
    uint64_t hub_seq = 0;
    assert_int_equal (s_decode_seq (buf, len, &hub_seq), 0);
    assert_int_equal (hub_seq, seq);
    if (r->visited++ == 0)
        r->first = seq;
    r->last = seq;
    return 0;
}

static int
s_stop_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    (void) buf, (void) len;
    return seq >= *(uint64_t *) arg;
}

static void
test_append_scan (void **state)
{
    char err[256] = "";
    jad_journal_t *j = jad_journal_open (s_path (state, "j"), JAD_JOURNAL_CREATE,
                                         err, sizeof err);
    assert_non_null (j);
    uint64_t head = 99;
    assert_int_equal (jad_journal_head (j, &head), 0);
    assert_int_equal (head, 0);
    s_range_t r = { 0 };
    assert_int_equal (jad_journal_scan (j, 1, 10, s_range_fn, &r), 0);

    for (int b = 0; b < 10; b++)
        s_append_range (j, "cy-police", s_inc1, 1 + b * 10, 10, 100);
    assert_int_equal (jad_journal_head (j, &head), 0);
    assert_int_equal (head, 100);

    /* From N to the end, with room to spare. */
    assert_int_equal (jad_journal_scan (j, 50, 1000, s_range_fn, &r), 51);
    assert_int_equal (r.first, 50);
    assert_int_equal (r.last, 100);
    /* A bounded chunk. */
    memset (&r, 0, sizeof r);
    assert_int_equal (jad_journal_scan (j, 0, 7, s_range_fn, &r), 7);
    assert_int_equal (r.first, 1);
    assert_int_equal (r.last, 7);
    /* Past the head. */
    assert_int_equal (jad_journal_scan (j, 101, 7, s_range_fn, &r), 0);
    /* The callback stops the scan. */
    uint64_t stop = 12;
    assert_int_equal (jad_journal_scan (j, 10, 100, s_stop_fn, &stop), 3);

    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal (jad_journal_get (j, 0, &buf, &len), 0);
    assert_null (buf);
    assert_int_equal (jad_journal_get (j, 101, &buf, &len), 0);
    assert_int_equal (jad_journal_get (j, 42, &buf, &len), 1);
    char derr[128];
    Jad__Entry *e = jad_wire_entry_decode (buf, len, derr, sizeof derr);
    assert_non_null (e);
    assert_int_equal (e->hub_seq, 42);
    assert_int_equal (e->received_ms, 1605510004000 + 42);
    assert_true (e->has_epoch);
    assert_int_equal (e->epoch, 0);
    Jad__Envelope *env = (Jad__Envelope *) s_envelope_decode (e->envelope.data, e->envelope.len,
                                                   derr, sizeof derr);
    assert_non_null (env);
    assert_int_equal (env->origin_seq, 42);
    assert_string_equal (env->origin, "cy-police");
    jad_wire_free (&env);
    jad_wire_free (&e);
    free (buf);

    uint64_t seq = 0, bytes = 0;
    assert_int_equal (jad_journal_lookup (j, "cy-police", s_inc1, 42, &seq, NULL), 1);
    assert_int_equal (seq, 42);
    assert_int_equal (jad_journal_lookup (j, "cy-police", s_inc2, 42, &seq, NULL), 0);
    assert_int_equal (jad_journal_lookup (j, "gr-police", s_inc1, 42, &seq, NULL), 0);
    assert_int_equal (jad_journal_stat (j, &bytes), 0);
    assert_true (bytes > 0);
    assert_int_equal (s_check_journal (j), 100);

    /* An empty batch commits nothing and is not an error. */
    assert_int_equal (jad_journal_append (j, NULL, 0, err, sizeof err), 0);
    jad_journal_destroy (&j);
    assert_null (j);
    jad_journal_destroy (&j);
}

static void
test_batch_mixed (void **state)
{
    char err[256] = "";
    jad_journal_t *j = jad_journal_open (s_path (state, "j"), JAD_JOURNAL_CREATE,
                                         err, sizeof err);
    assert_non_null (j);
    s_append_range (j, "cy-police", s_inc1, 1, 3, 50);

    jad_journal_item_t it[8];
    uint8_t *bufs[8];
    s_item (&it[0], &bufs[0], "cy-police", s_inc1, 2, 50, 0);   /* resent 2 */
    s_item (&it[1], &bufs[1], "cy-police", s_inc1, 1, 50, 9);   /* 1, other bytes */
    s_item (&it[2], &bufs[2], "cy-police", s_inc1, 4, 50, 0);   /* new */
    s_item (&it[3], &bufs[3], "cy-police", s_inc1, 4, 50, 0);   /* 4 again, same batch */
    s_item (&it[4], &bufs[4], "cy-police", s_inc1, 4, 50, 5);   /* 4, other bytes */
    s_item (&it[5], &bufs[5], "cy-police", s_inc2, 1, 50, 0);   /* new incarnation */
    s_item (&it[6], &bufs[6], "gr-police", s_inc1, 1, 50, 0);   /* other origin */
    s_item (&it[7], &bufs[7], "cy-police", s_inc1, 3, 50, 0);   /* resent 3 */
    assert_int_equal (jad_journal_append (j, it, 8, err, sizeof err), 0);

    const int status[8] = {
        JAD_JOURNAL_DUPLICATE, JAD_JOURNAL_CONFLICT, JAD_JOURNAL_NEW,
        JAD_JOURNAL_DUPLICATE, JAD_JOURNAL_CONFLICT, JAD_JOURNAL_NEW,
        JAD_JOURNAL_NEW, JAD_JOURNAL_DUPLICATE
    };
    const uint64_t seq[8] = { 2, 0, 4, 4, 0, 5, 6, 3 };
    for (int i = 0; i < 8; i++) {
        assert_int_equal (it[i].status, status[i]);
        assert_int_equal (it[i].hub_seq, seq[i]);
        free (bufs[i]);
    }
    assert_int_equal (s_check_journal (j), 6);

    /* A malformed item fails the batch and commits nothing. */
    s_item (&it[0], &bufs[0], "cy-police", s_inc1, 7, 50, 0);
    it[1] = it[0];
    it[1].origin = NULL;
    assert_int_equal (jad_journal_append (j, it, 2, err, sizeof err), -1);
    assert_non_null (strstr (err, "item 1"));
    assert_int_equal (it[0].status, 0);
    free (bufs[0]);
    assert_int_equal (s_check_journal (j), 6);
    jad_journal_destroy (&j);
}

static void
test_reopen (void **state)
{
    char err[256] = "";
    const char *dir = s_path (state, "j");
    assert_null (jad_journal_open (dir, 0, err, sizeof err));
    assert_non_null (strstr (err, "no journal"));
    assert_null (jad_journal_open (dir, JAD_JOURNAL_RDONLY, err, sizeof err));

    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    jad_journal_meta_t m;
    assert_int_equal (jad_journal_meta_get (j, &m), 0);
    assert_int_equal (m.has, 0);
    assert_int_equal (m.schema_version, JAD_JOURNAL_SCHEMA_VERSION);
    assert_true (m.created_ms > 1600000000000);
    int64_t created = m.created_ms;

    /* One env per directory per process. */
    assert_null (jad_journal_open (dir, 0, err, sizeof err));
    assert_non_null (strstr (err, "already open"));

    memset (&m, 0, sizeof m);
    snprintf (m.name, sizeof m.name, "ARMSTRONG VII");
    memcpy (m.id, s_opid, 16);
    m.start_ms = 1605510000000;
    m.end_ms = 1605855600000;
    m.epoch = 3;
    assert_int_equal (jad_journal_meta_set (j, &m), 0);
    s_append_range (j, "cy-police", s_inc1, 1, 20, 80);
    jad_journal_destroy (&j);

    j = jad_journal_open (dir, 0, err, sizeof err);
    assert_non_null (j);
    jad_journal_meta_t back;
    assert_int_equal (jad_journal_meta_get (j, &back), 0);
    assert_int_equal (back.has, 1);
    assert_string_equal (back.name, "ARMSTRONG VII");
    assert_memory_equal (back.id, s_opid, 16);
    assert_int_equal (back.start_ms, 1605510000000);
    assert_int_equal (back.end_ms, 1605855600000);
    assert_int_equal (back.created_ms, created);
    assert_int_equal (back.schema_version, JAD_JOURNAL_SCHEMA_VERSION);
    assert_int_equal (back.epoch, 3);

    /* Idempotency across reopen: the same reports get their old seqs. */
    jad_journal_item_t it[20];
    uint8_t *bufs[20];
    for (int i = 0; i < 20; i++)
        s_item (&it[i], &bufs[i], "cy-police", s_inc1, 20 - i, 80, 0);
    assert_int_equal (jad_journal_append (j, it, 20, err, sizeof err), 0);
    for (int i = 0; i < 20; i++) {
        assert_int_equal (it[i].status, JAD_JOURNAL_DUPLICATE);
        assert_int_equal (it[i].hub_seq, 20 - i);
        free (bufs[i]);
    }
    s_append_range (j, "cy-police", s_inc1, 21, 1, 80);
    uint8_t *buf;
    size_t len;
    assert_int_equal (jad_journal_get (j, 21, &buf, &len), 1);
    Jad__Entry *e = jad_wire_entry_decode (buf, len, err, sizeof err);
    assert_non_null (e);
    assert_int_equal (e->epoch, 3);     /* stamped from meta */
    jad_wire_free (&e);
    free (buf);
    assert_int_equal (s_check_journal (j), 21);
    jad_journal_destroy (&j);

    /* Read-only: reads work, writes are refused. */
    j = jad_journal_open (dir, JAD_JOURNAL_RDONLY, err, sizeof err);
    assert_non_null (j);
    assert_int_equal (s_check_journal (j), 21);
    s_item (&it[0], &bufs[0], "cy-police", s_inc1, 22, 80, 0);
    assert_int_equal (jad_journal_append (j, it, 1, err, sizeof err), -1);
    assert_non_null (strstr (err, "read-only"));
    free (bufs[0]);
    assert_int_equal (jad_journal_meta_set (j, &m), -1);
    jad_journal_destroy (&j);

    /* CREATE on an existing journal keeps it. */
    j = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    assert_int_equal (s_check_journal (j), 21);
    jad_journal_destroy (&j);
}

static void
test_map_growth (void **state)
{
    char err[256] = "";
    const char *dir = s_path (state, "j");
    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    assert_int_equal (jad_journal_set_mapsize (j, 1 << 20, err, sizeof err), 0);
    assert_int_equal (jad_journal_mapsize (j), 1 << 20);
    /* 640 x 9 KiB: about 6 MB through a 1 MiB map, in batches of 64. */
    for (int b = 0; b < 10; b++)
        s_append_range (j, "cy-police", s_inc1, 1 + b * 64, 64, 9 * 1024);
    assert_true (jad_journal_mapsize (j) >= (size_t) 6 << 20);
    uint64_t bytes;
    assert_int_equal (jad_journal_stat (j, &bytes), 0);
    assert_true (bytes >= (uint64_t) 5 << 20);
    assert_int_equal (s_check_journal (j), 640);
    jad_journal_destroy (&j);

    /* The grown size survives reopen, and so does everything else. */
    j = jad_journal_open (dir, 0, err, sizeof err);
    assert_non_null (j);
    assert_true (jad_journal_mapsize (j) >= (size_t) 6 << 20);
    assert_int_equal (s_check_journal (j), 640);
    jad_journal_destroy (&j);
}

/* Writer thread for test_readers_during_writes. */
typedef struct {
    jad_journal_t *j;
    int batches;
    volatile int done;
    char why[256];
} s_writer_t;

static void *
s_writer (void *arg)
{
    s_writer_t *w = arg;
    jad_journal_item_t it[20];
    uint8_t *bufs[20];
    uint64_t seq = 1;
    for (int b = 0; b < w->batches && !w->why[0]; b++) {
        for (int i = 0; i < 20; i++, seq++)
            s_item (&it[i], &bufs[i], "cy-police", s_inc1, seq, 2000, 0);
        if (jad_journal_append (w->j, it, 20, w->why, sizeof w->why) == 0) {
            for (int i = 0; i < 20; i++)
                if (it[i].status != JAD_JOURNAL_NEW)
                    snprintf (w->why, sizeof w->why, "item %d status %d", i,
                              it[i].status);
        }
        for (int i = 0; i < 20; i++)
            free (bufs[i]);
    }
    __atomic_store_n (&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void
test_readers_during_writes (void **state)
{
    char err[256] = "";
    jad_journal_t *j = jad_journal_open (s_path (state, "j"), JAD_JOURNAL_CREATE,
                                         err, sizeof err);
    assert_non_null (j);
    /* Small map, so the writer grows it while this thread reads. */
    assert_int_equal (jad_journal_set_mapsize (j, 1 << 20, err, sizeof err), 0);
    s_writer_t w = { .j = j, .batches = 150 };
    pthread_t t;
    assert_int_equal (pthread_create (&t, NULL, s_writer, &w), 0);

    /* Catch up in chunks, as the hub's catch-up does, until the writer is
     * done and the head is reached; heads only grow, entries only chain. */
    s_check_t c = { .next = 1, .j = j };
    uint64_t last_head = 0;
    int rounds = 0;
    for (;;) {
        int done = __atomic_load_n (&w.done, __ATOMIC_SEQ_CST);
        uint64_t head;
        assert_int_equal (jad_journal_head (j, &head), 0);
        assert_true (head >= last_head);
        last_head = head;
        long n = jad_journal_scan (j, c.next, 50, s_check_fn, &c);
        if (c.why[0])
            fail_msg ("%s", c.why);
        assert_true (n >= 0);
        rounds++;
        if (done && c.next > head)
            break;
    }
    pthread_join (t, NULL);
    if (w.why[0])
        fail_msg ("writer: %s", w.why);
    assert_int_equal (c.next, 3001);
    assert_true (rounds > 1);
    assert_true (jad_journal_mapsize (j) > 1 << 20);
    assert_int_equal (s_check_journal (j), 3000);
    jad_journal_destroy (&j);
}

typedef struct {
    uint8_t **bufs;
    size_t *lens;
    size_t n;
} s_copy_t;

static int
s_copy_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    (void) seq;
    s_copy_t *c = arg;
    c->bufs[c->n] = malloc (len);
    memcpy (c->bufs[c->n], buf, len);
    c->lens[c->n++] = len;
    return 0;
}

static void
test_mirror (void **state)
{
    char err[256] = "";
    jad_journal_t *hub = jad_journal_open (s_path (state, "hub"), JAD_JOURNAL_CREATE,
                                           err, sizeof err);
    assert_non_null (hub);
    s_append_range (hub, "cy-police", s_inc1, 1, 20, 60);
    s_append_range (hub, "gr-police", s_inc2, 1, 10, 60);
    uint8_t *bufs[30];
    size_t lens[30];
    s_copy_t copy = { bufs, lens, 0 };
    assert_int_equal (jad_journal_scan (hub, 1, 100, s_copy_fn, &copy), 30);
    jad_journal_destroy (&hub);

    jad_journal_t *m = jad_journal_open (s_path (state, "mirror"),
                                         JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (m);
    const uint8_t *const *cb = (const uint8_t *const *) bufs;
    assert_int_equal (jad_journal_append_entries (m, cb, lens, 10, err, sizeof err),
                      JAD_JOURNAL_OK);
    /* 12..15 after 10: a gap, refused whole. */
    assert_int_equal (jad_journal_append_entries (m, cb + 11, lens + 11, 4,
                                                  err, sizeof err), JAD_JOURNAL_EORDER);
    assert_non_null (strstr (err, "hub_seq 12, expected 11"));
    /* 11..13 then 15: the gap inside the batch refuses all of it. */
    const uint8_t *mixed[4] = { bufs[10], bufs[11], bufs[12], bufs[14] };
    size_t mixed_len[4] = { lens[10], lens[11], lens[12], lens[14] };
    assert_int_equal (jad_journal_append_entries (m, mixed, mixed_len, 4,
                                                  err, sizeof err), JAD_JOURNAL_EORDER);
    assert_non_null (strstr (err, "hub_seq 15, expected 14"));
    /* An old entry again. */
    assert_int_equal (jad_journal_append_entries (m, cb + 9, lens + 9, 1,
                                                  err, sizeof err), JAD_JOURNAL_EORDER);
    assert_non_null (strstr (err, "hub_seq 10, expected 11"));
    uint64_t head;
    assert_int_equal (jad_journal_head (m, &head), 0);
    assert_int_equal (head, 10);

    /* An entry 11 whose prev_hash is not the hash of our entry 10. */
    Jad__Entry *e = jad_wire_entry_decode (bufs[10], lens[10], err, sizeof err);
    assert_non_null (e);
    e->prev_hash.data[0] ^= 1;
    size_t flen;
    uint8_t *forged = jad_wire_encode (&e->base, &flen);
    jad_wire_free (&e);
    const uint8_t *fb[1] = { forged };
    assert_int_equal (jad_journal_append_entries (m, fb, &flen, 1, err, sizeof err),
                      JAD_JOURNAL_EBROKEN);
    assert_non_null (strstr (err, "prev_hash"));
    /* Bytes that are not an entry. */
    const uint8_t junk[] = { 0xff, 0xff, 0xff };
    const uint8_t *jb[1] = { junk };
    size_t jlen = sizeof junk;
    assert_int_equal (jad_journal_append_entries (m, jb, &jlen, 1, err, sizeof err),
                      JAD_JOURNAL_EDECODE);
    assert_non_null (strstr (err, "does not decode"));
    /* A batch whose second entry breaks the chain: refused whole, as a
     * break, the good entry before it not stored either. */
    free (forged);
    e = jad_wire_entry_decode (bufs[11], lens[11], err, sizeof err);
    assert_non_null (e);
    e->prev_hash.data[31] ^= 1;
    forged = jad_wire_encode (&e->base, &flen);
    jad_wire_free (&e);
    const uint8_t *late[2] = { bufs[10], forged };
    size_t late_len[2] = { lens[10], flen };
    assert_int_equal (jad_journal_append_entries (m, late, late_len, 2,
                                                  err, sizeof err), JAD_JOURNAL_EBROKEN);
    assert_non_null (strstr (err, "entry 12: prev_hash does not match entry 11"));
    assert_int_equal (jad_journal_head (m, &head), 0);
    assert_int_equal (head, 10);
    free (forged);

    /* Catch up: the rest in one batch. */
    assert_int_equal (jad_journal_append_entries (m, cb + 10, lens + 10, 20,
                                                  err, sizeof err), JAD_JOURNAL_OK);
    assert_int_equal (s_check_journal (m), 30);
    /* Stored exactly as received. */
    for (int i = 0; i < 30; i++) {
        uint8_t *buf;
        size_t len;
        assert_int_equal (jad_journal_get (m, (uint64_t) i + 1, &buf, &len), 1);
        assert_int_equal (len, lens[i]);
        assert_memory_equal (buf, bufs[i], len);
        free (buf);
        free (bufs[i]);
    }
    uint64_t seq;
    assert_int_equal (jad_journal_lookup (m, "gr-police", s_inc2, 10, &seq, NULL), 1);
    assert_int_equal (seq, 30);
    jad_journal_destroy (&m);
}

/* ------------------------------------------------------------ crash test */

/* The child: open the journal and append batches forever, with a fresh
 * incarnation, some resent reports and varied sizes, until SIGKILLed. */
static void __attribute__((noreturn))
s_crash_child (const char *dir)
{
    char err[256];
    jad_journal_t *j = jad_journal_open (dir, 0, err, sizeof err);
    if (!j) {
        fprintf (stderr, "child: %s\n", err);
        _exit (2);
    }
    uint8_t inc[16];
    randombytes_buf (inc, sizeof inc);
    jad_journal_item_t it[40];
    uint8_t *bufs[40];
    uint64_t seq = 1;
    for (;;) {
        size_t n = 1 + randombytes_uniform (40);
        for (size_t i = 0; i < n; i++) {
            /* about one in eight resends an earlier report */
            uint64_t s = (seq > 1 && randombytes_uniform (8) == 0)
                       ? 1 + randombytes_uniform ((uint32_t) (seq - 1)) : seq++;
            /* the size follows from s, so a resend has the same bytes */
            s_item (&it[i], &bufs[i], "cy-police", inc, s,
                    16 + (size_t) (s * 2654435761u % 3000), 0);
        }
        if (jad_journal_append (j, it, n, err, sizeof err) != 0) {
            fprintf (stderr, "child: %s\n", err);
            _exit (3);
        }
        for (size_t i = 0; i < n; i++) {
            if (it[i].status == JAD_JOURNAL_CONFLICT)
                _exit (4);
            free (bufs[i]);
        }
    }
}

static void
test_crash (void **state)
{
    char err[256] = "";
    const char *dir = s_path (state, "j");
    /* Create it here and close it again: no env crosses the fork. */
    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    assert_int_equal (jad_journal_set_mapsize (j, 1 << 20, err, sizeof err), 0);
    jad_journal_destroy (&j);

    uint64_t head = 0;
    for (int round = 0; round < 10; round++) {
        pid_t pid = fork ();
        assert_true (pid >= 0);
        if (pid == 0)
            s_crash_child (dir);

        /* Watch it from this process, read-only (a reader in another
         * process, like the post-operation tools), until it has written
         * enough, then kill it at a random instant. */
        uint64_t target = head + 200 + randombytes_uniform (400);
        j = jad_journal_open (dir, JAD_JOURNAL_RDONLY, err, sizeof err);
        if (!j)
            fail_msg ("reader: %s", err);
        uint64_t now = 0;
        int status;
        for (int tries = 0; now < target && tries < 20000; tries++) {
            assert_int_equal (jad_journal_head (j, &now), 0);
            assert_true (now >= head);
            if (waitpid (pid, &status, WNOHANG) == pid)
                fail_msg ("child exited early with status %d", status);
            usleep (500);
        }
        assert_true (now >= target);
        usleep (randombytes_uniform (20000));
        kill (pid, SIGKILL);
        assert_int_equal (waitpid (pid, &status, 0), pid);
        assert_true (WIFSIGNALED (status));
        jad_journal_destroy (&j);

        /* Reopen as the writer would: nothing committed is lost, nothing
         * half-written shows. */
        j = jad_journal_open (dir, 0, err, sizeof err);
        if (!j)
            fail_msg ("reopen: %s", err);
        uint64_t after = s_check_journal (j);
        assert_true (after >= now);
        head = after;
        jad_journal_destroy (&j);
    }
    assert_true (head >= 2000);
}

static int
s_record_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_range_t *r = arg;
    (void) buf, (void) len;
    if (r->visited++ == 0)
        r->first = seq;
    r->last = seq;
    return 0;
}

/* Side records: checkpoints and rosters beside the entries, and the
 * entry hash they refer to. */
static void
test_records (void **state)
{
    char err[256] = "";
    jad_journal_t *j = jad_journal_open (s_path (state, "j"), JAD_JOURNAL_CREATE,
                                         err, sizeof err);
    assert_non_null (j);
    s_append_range (j, "cy-police", s_inc1, 1, 20, 100);
    uint64_t last = 99;
    assert_int_equal (jad_journal_record_last (j, JAD_JOURNAL_CHECKPOINTS, &last), 0);
    assert_int_equal (last, 0);
    const uint8_t a[] = "checkpoint-10", b[] = "checkpoint-20", r[] = "roster-1";
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_CHECKPOINTS, 10,
                                              a, sizeof a, err, sizeof err), 0);
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_CHECKPOINTS, 20,
                                              b, sizeof b, err, sizeof err), 0);
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_ROSTERS, 1,
                                              r, sizeof r, err, sizeof err), 0);
    assert_int_equal (jad_journal_record_last (j, JAD_JOURNAL_CHECKPOINTS, &last), 0);
    assert_int_equal (last, 20);
    s_range_t range = { 0 };
    assert_int_equal (jad_journal_record_scan (j, JAD_JOURNAL_CHECKPOINTS, 11, 10,
                                               s_record_fn, &range), 1);
    assert_int_equal (range.first, 20);
    assert_int_equal (jad_journal_record_scan (j, JAD_JOURNAL_ROSTERS, 0, 10,
                                               s_record_fn, &range), 1);
    /* The record governing a sequence: the greatest key at or below it. */
    uint64_t key = 99;
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_CHECKPOINTS, 9, &key), 0);
    assert_int_equal (key, 0);
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_CHECKPOINTS, 10, &key), 1);
    assert_int_equal (key, 10);
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_CHECKPOINTS, 19, &key), 1);
    assert_int_equal (key, 10);
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_CHECKPOINTS, 20, &key), 1);
    assert_int_equal (key, 20);
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_CHECKPOINTS, UINT64_MAX,
                                                &key), 1);
    assert_int_equal (key, 20);
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_ROSTERS, 0, &key), 0);
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_ROSTERS, 1, &key), 1);
    assert_int_equal (key, 1);
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_ROSTERS, 500, &key), 1);
    assert_int_equal (key, 1);
    /* The first record at or after a sequence, copied. */
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal (jad_journal_record_next (j, JAD_JOURNAL_CHECKPOINTS, 11,
                                               &key, &buf, &len), 1);
    assert_int_equal (key, 20);
    assert_int_equal (len, sizeof b);
    assert_memory_equal (buf, b, sizeof b);
    free (buf);
    assert_int_equal (jad_journal_record_next (j, JAD_JOURNAL_CHECKPOINTS, 21,
                                               &key, &buf, &len), 0);
    assert_null (buf);
    assert_int_equal (len, 0);
    /* Entry counts do not see side records. */
    uint64_t count = 0;
    assert_int_equal (jad_journal_count (j, &count), 0);
    assert_int_equal (count, 20);
    /* The hash of entry N is entry N+1's prev_hash. */
    uint8_t hash[JAD_JOURNAL_HASH_BYTES];
    assert_int_equal (jad_journal_hash (j, 5, hash), 1);
    assert_int_equal (jad_journal_get (j, 6, &buf, &len), 1);
    Jad__Entry *e = jad_wire_entry_decode (buf, len, err, sizeof err);
    assert_non_null (e);
    assert_memory_equal (e->prev_hash.data, hash, JAD_JOURNAL_HASH_BYTES);
    jad_wire_free (&e);
    free (buf);
    assert_int_equal (jad_journal_hash (j, 21, hash), 0);
    jad_journal_destroy (&j);
}

/* The modes of a journal's files do not depend on the umask: the group may
 * read data.mdb and write lock.mdb (LMDB readers register there), so the
 * post-operation tools run as members of the hub's group.  A writer also
 * repairs the modes of an older journal; a reader changes nothing. */
static mode_t
s_mode (const char *dir, const char *name)
{
    char path[600];
    struct stat st;
    snprintf (path, sizeof path, "%s%s%s", dir, name ? "/" : "", name ? name : "");
    assert_int_equal (stat (path, &st), 0);
    return st.st_mode & 07777;
}

static void
test_file_modes (void **state)
{
    char err[512] = "";
    const char *path = s_path (state, "modes");
    mode_t old = umask (077);
    jad_journal_t *j = jad_journal_open (path, JAD_JOURNAL_CREATE, err, sizeof err);
    umask (old);
    assert_non_null (j);
    jad_journal_destroy (&j);
    assert_int_equal (s_mode (path, NULL), 0750);
    assert_int_equal (s_mode (path, "data.mdb"), 0640);
    assert_int_equal (s_mode (path, "lock.mdb"), 0660);

    /* A reader leaves the modes alone, even private ones ... */
    char file[600];
    snprintf (file, sizeof file, "%s/data.mdb", path);
    assert_int_equal (chmod (file, 0600), 0);
    snprintf (file, sizeof file, "%s/lock.mdb", path);
    assert_int_equal (chmod (file, 0600), 0);
    assert_int_equal (chmod (path, 0700), 0);
    j = jad_journal_open (path, JAD_JOURNAL_RDONLY, err, sizeof err);
    assert_non_null (j);
    jad_journal_destroy (&j);
    assert_int_equal (s_mode (path, NULL), 0700);
    assert_int_equal (s_mode (path, "data.mdb"), 0600);
    assert_int_equal (s_mode (path, "lock.mdb"), 0600);

    /* ... and a writer opening that journal under umask 077 restores them. */
    old = umask (077);
    j = jad_journal_open (path, 0, err, sizeof err);
    umask (old);
    assert_non_null (j);
    jad_journal_destroy (&j);
    assert_int_equal (s_mode (path, NULL), 0750);
    assert_int_equal (s_mode (path, "data.mdb"), 0640);
    assert_int_equal (s_mode (path, "lock.mdb"), 0660);
}

/* jad_journal_find: DIR/journal first, then DIR/mirror, then DIR. */
static void
test_find (void **state)
{
    char err[512];
    const char *dir = jad_test_dir (state);
    assert_null (jad_journal_find (dir, err, sizeof err));
    char want[1024];
    snprintf (want, sizeof want, "%s: no journal (neither %s/journal nor %s/mirror)",
              dir, dir, dir);
    assert_string_equal (err, want);

    jad_journal_t *j = jad_journal_open (s_path (state, "mirror"),
                                         JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    jad_journal_destroy (&j);
    j = jad_journal_find (dir, err, sizeof err);
    assert_non_null (j);
    jad_journal_meta_t m;
    memset (&m, 0, sizeof m);
    assert_int_equal (jad_journal_meta_set (j, &m), -1);    /* read-only */
    jad_journal_destroy (&j);
}

/* ------------------------------------------------------------ old files */

static void
s_be64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t) v;
}

static int
s_raw_put (MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen,
           const void *v, size_t vlen)
{
    MDB_val kv = { klen, (void *) k }, vv = { vlen, (void *) v };
    return mdb_put (txn, dbi, &kv, &vv, 0);
}

/* Write with LMDB alone, byte for byte, a journal as the code before
 * lib/store.c left it: entries, dedupe and meta, no side records (a
 * journal older than them), epoch 7, entries 1..3 of cy-police. */
static void
s_write_old_journal (const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi entries, dedupe, meta;
    assert_int_equal (mkdir (dir, 0750), 0);
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 8), 0);
    assert_int_equal (mdb_env_open (env, dir, MDB_NOTLS, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, 0, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "entries", MDB_CREATE, &entries), 0);
    assert_int_equal (mdb_dbi_open (txn, "dedupe", MDB_CREATE, &dedupe), 0);
    assert_int_equal (mdb_dbi_open (txn, "meta", MDB_CREATE, &meta), 0);
    uint8_t b8[8], b4[4] = { 0, 0, 0, 1 }, e4[4] = { 0, 0, 0, 7 };
    assert_int_equal (s_raw_put (txn, meta, "schema_version", 14, b4, 4), 0);
    s_be64 (b8, 1605500000000);
    assert_int_equal (s_raw_put (txn, meta, "created_ms", 10, b8, 8), 0);
    assert_int_equal (s_raw_put (txn, meta, "start_ms", 8, b8, 8), 0);
    assert_int_equal (s_raw_put (txn, meta, "operation_name", 14, "ARMSTRONG VII", 13), 0);
    assert_int_equal (s_raw_put (txn, meta, "operation_id", 12, s_opid, 16), 0);
    assert_int_equal (s_raw_put (txn, meta, "epoch", 5, e4, 4), 0);
    uint8_t prev[32];
    for (uint64_t seq = 1; seq <= 3; seq++) {
        size_t elen, len;
        uint8_t *env_buf = s_envelope ("cy-police", s_inc1, seq, 80, 0, &elen);
        Jad__Entry e = JAD__ENTRY__INIT;
        e.has_hub_seq = 1; e.hub_seq = seq;
        e.has_epoch = 1; e.epoch = 7;
        e.has_received_ms = 1; e.received_ms = 1605510004000 + (int64_t) seq;
        e.has_envelope = 1; e.envelope.data = env_buf; e.envelope.len = elen;
        if (seq > 1) {
            e.has_prev_hash = 1; e.prev_hash.data = prev; e.prev_hash.len = 32;
        }
        uint8_t *buf = jad_wire_encode (&e.base, &len);
        assert_non_null (buf);
        s_be64 (b8, seq);
        assert_int_equal (s_raw_put (txn, entries, b8, 8, buf, len), 0);
        uint8_t key[9 + 1 + 16 + 8], val[8 + 32];
        memcpy (key, "cy-police", 10);          /* with its NUL */
        memcpy (key + 10, s_inc1, 16);
        s_be64 (key + 26, seq);
        s_be64 (val, seq);
        crypto_generichash (val + 8, 32, env_buf, elen, NULL, 0);
        assert_int_equal (s_raw_put (txn, dedupe, key, sizeof key, val, sizeof val), 0);
        crypto_generichash (prev, 32, buf, len, NULL, 0);
        free (buf);
        free (env_buf);
    }
    assert_int_equal (mdb_txn_commit (txn), 0);
    mdb_env_close (env);
}

/* A journal written before lib/store.c reads and grows as it did, and what
 * this build writes into it keeps that layout. */
static void
test_old_layout (void **state)
{
    char err[512] = "";
    char dir[600];
    snprintf (dir, sizeof dir, "%s", s_path (state, "old"));
    s_write_old_journal (dir);

    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_RDONLY, err, sizeof err);
    if (!j)
        fail_msg ("open: %s", err);
    assert_int_equal (s_check_journal (j), 3);
    jad_journal_meta_t m;
    assert_int_equal (jad_journal_meta_get (j, &m), 0);
    assert_int_equal (m.has, 1);
    assert_string_equal (m.name, "ARMSTRONG VII");
    assert_memory_equal (m.id, s_opid, 16);
    assert_int_equal (m.epoch, 7);
    assert_int_equal (m.schema_version, 1);
    assert_int_equal (m.created_ms, 1605500000000);
    assert_int_equal (m.start_ms, 1605500000000);
    assert_int_equal (m.end_ms, 0);
    uint64_t key = 99;
    assert_int_equal (jad_journal_record_last (j, JAD_JOURNAL_ROSTERS, &key), 0);
    assert_int_equal (key, 0);
    assert_int_equal (jad_journal_record_floor (j, JAD_JOURNAL_ROSTERS, 3, &key), 0);
    s_range_t r = { 0 };
    assert_int_equal (jad_journal_record_scan (j, JAD_JOURNAL_CHECKPOINTS, 0, 10,
                                               s_record_fn, &r), 0);
    const uint8_t cp[] = "cp";
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_CHECKPOINTS, 3, cp, 2,
                                              err, sizeof err), -1);
    jad_journal_destroy (&j);

    /* A writer carries on: hub_seq 4 and 5, chained, in the old epoch. */
    j = jad_journal_open (dir, 0, err, sizeof err);
    if (!j)
        fail_msg ("open: %s", err);
    s_append_range (j, "cy-police", s_inc1, 4, 2, 80);
    assert_int_equal (s_check_journal (j), 5);
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_CHECKPOINTS, 5, cp, 2,
                                              err, sizeof err), 0);
    uint8_t *buf;
    size_t len;
    assert_int_equal (jad_journal_get (j, 5, &buf, &len), 1);
    Jad__Entry *e = jad_wire_entry_decode (buf, len, err, sizeof err);
    assert_non_null (e);
    assert_int_equal (e->epoch, 7);
    jad_wire_free (&e);
    free (buf);
    jad_journal_destroy (&j);

    /* Read back with LMDB alone: the keys and values are laid out as
     * before. */
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi entries, dedupe, meta, cps;
    MDB_val k, v;
    uint8_t b8[8];
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 8), 0);
    assert_int_equal (mdb_env_open (env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "entries", 0, &entries), 0);
    assert_int_equal (mdb_dbi_open (txn, "dedupe", 0, &dedupe), 0);
    assert_int_equal (mdb_dbi_open (txn, "meta", 0, &meta), 0);
    assert_int_equal (mdb_dbi_open (txn, "checkpoints", 0, &cps), 0);
    s_be64 (b8, 5);
    k = (MDB_val) { 8, b8 };
    assert_int_equal (mdb_get (txn, entries, &k, &v), 0);
    uint8_t hash[32];
    e = jad_wire_entry_decode (v.mv_data, v.mv_size, err, sizeof err);
    assert_non_null (e);
    crypto_generichash (hash, 32, e->envelope.data, e->envelope.len, NULL, 0);
    jad_wire_free (&e);
    uint8_t dkey[10 + 16 + 8];
    memcpy (dkey, "cy-police", 10);
    memcpy (dkey + 10, s_inc1, 16);
    s_be64 (dkey + 26, 5);
    k = (MDB_val) { sizeof dkey, dkey };
    assert_int_equal (mdb_get (txn, dedupe, &k, &v), 0);
    assert_int_equal (v.mv_size, 40);
    assert_memory_equal (v.mv_data, b8, 8);
    assert_memory_equal ((uint8_t *) v.mv_data + 8, hash, 32);
    k = (MDB_val) { 14, "schema_version" };
    assert_int_equal (mdb_get (txn, meta, &k, &v), 0);
    assert_int_equal (v.mv_size, 4);
    assert_memory_equal (v.mv_data, "\0\0\0\1", 4);
    k = (MDB_val) { 10, "created_ms" };
    assert_int_equal (mdb_get (txn, meta, &k, &v), 0);
    s_be64 (b8, 1605500000000);
    assert_memory_equal (v.mv_data, b8, 8);     /* kept, not restamped */
    s_be64 (b8, 5);
    k = (MDB_val) { 8, b8 };
    assert_int_equal (mdb_get (txn, cps, &k, &v), 0);
    assert_int_equal (v.mv_size, 2);
    mdb_txn_abort (txn);
    mdb_env_close (env);
}

/* ------------------------------------------------------------ damage */

/* Overwrite, with LMDB alone (the journal closed), the dedupe record of
 * (ORIGIN, INC, SEQ) in DIR with VAL[0..VLEN) — the index damaged, the
 * file's structure sound. */
static void
s_dedupe_set (const char *dir, const char *origin, const uint8_t *inc,
              uint64_t seq, const uint8_t *val, size_t vlen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dedupe;
    uint8_t key[64];
    size_t olen = strlen (origin);
    memcpy (key, origin, olen + 1);
    memcpy (key + olen + 1, inc, 16);
    s_be64 (key + olen + 17, seq);
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 8), 0);
    assert_int_equal (mdb_env_open (env, dir, MDB_NOTLS, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, 0, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "dedupe", 0, &dedupe), 0);
    assert_int_equal (s_raw_put (txn, dedupe, key, olen + 25, val, vlen), 0);
    assert_int_equal (mdb_txn_commit (txn), 0);
    mdb_env_close (env);
}

/* A dedupe value: HUB_SEQ and the hash of ENV[0..LEN) with its first byte
 * flipped when FLIP. */
static void
s_dedupe_val (uint8_t *val, uint64_t hub_seq, const uint8_t *env, size_t len,
              int flip)
{
    s_be64 (val, hub_seq);
    crypto_generichash (val + 8, 32, env, len, NULL, 0);
    if (flip)
        val[8] ^= 0x01;
}

/* 1 when BUF[0..LEN) holds NEEDLE[0..NLEN). */
static int
s_holds (const uint8_t *buf, size_t len, const uint8_t *needle, size_t nlen)
{
    for (size_t i = 0; i + nlen <= len; i++)
        if (buf[i] == needle[0] && memcmp (buf + i, needle, nlen) == 0)
            return 1;
    return 0;
}

/* Make every leaf page of DIR/data.mdb that holds NEEDLE unreadable to
 * LMDB (its flags say neither leaf nor branch: MDB_CORRUPTED), as a
 * damaged page of the disk would.  The number of pages broken. */
static int
s_break_pages (const char *dir, const uint8_t *needle, size_t len)
{
    char path[700];
    snprintf (path, sizeof path, "%s/data.mdb", dir);
    FILE *f = fopen (path, "r+b");
    assert_non_null (f);
    long psize = sysconf (_SC_PAGESIZE);
    uint8_t *page = malloc ((size_t) psize);
    assert_non_null (page);
    int broken = 0;
    for (long at = 0; fseek (f, at, SEEK_SET) == 0
                      && fread (page, 1, (size_t) psize, f) == (size_t) psize;
         at += psize) {
        uint16_t flags;
        memcpy (&flags, page + 10, 2);          /* MDB_page.mp_flags */
        if ((flags & 0x07) != 0x02 || !s_holds (page, (size_t) psize, needle, len))
            continue;
        flags = 0;
        memcpy (page + 10, &flags, 2);
        assert_int_equal (fseek (f, at, SEEK_SET), 0);
        assert_int_equal (fwrite (page, 1, (size_t) psize, f), (size_t) psize);
        broken++;
    }
    free (page);
    assert_int_equal (fclose (f), 0);
    return broken;
}

/* Item I of a batch is STATUS with HUB_SEQ; its damage text says each of
 * the WHATs (NULL-terminated; none: no text). */
static void
s_expect_item (const jad_journal_item_t *it, int status, uint64_t hub_seq,
               const char *const *what)
{
    if (it->status != status || it->hub_seq != hub_seq)
        fail_msg ("origin_seq %llu: status %d hub_seq %llu (%s), expected %d %llu",
                  (unsigned long long) it->origin_seq, it->status,
                  (unsigned long long) it->hub_seq, it->damage, status,
                  (unsigned long long) hub_seq);
    if (!what || !what[0]) {
        assert_string_equal (it->damage, "");
        return;
    }
    for (size_t i = 0; what[i]; i++)
        if (!strstr (it->damage, what[i]))
            fail_msg ("origin_seq %llu: \"%s\" does not say \"%s\"",
                      (unsigned long long) it->origin_seq, it->damage, what[i]);
}

/* A damaged dedupe record never makes a report's fate final by itself:
 * the stored entry it names settles it.  The same bytes are a DUPLICATE
 * whatever the record's hash; an entry of another report, past the head,
 * a value of the wrong size, an entry that does not decode: DAMAGED
 * (retry later), each with a line naming the key, the fault and the
 * repair command; only the same identity with other bytes is a CONFLICT.
 * The rest of the batch is journaled as usual. */
static void
test_dedupe_damaged (void **state)
{
    char err[512] = "", dir[600];
    snprintf (dir, sizeof dir, "%s", s_path (state, "j"));
    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    s_append_range (j, "cy-police", s_inc1, 1, 4, 50);     /* 1..4 */
    s_append_range (j, "gr-police", s_inc1, 1, 1, 50);     /* 5 */
    s_append_range (j, "cy-police", s_inc2, 1, 1, 50);     /* 6 */
    assert_int_equal (s_check_journal (j), 6);
    uint8_t *six;
    size_t six_len;
    assert_int_equal (jad_journal_get (j, 6, &six, &six_len), 1);
    jad_journal_destroy (&j);

    uint8_t val[40];
    size_t len;
    uint8_t *env = s_envelope ("cy-police", s_inc1, 1, 50, 0, &len);
    s_dedupe_val (val, 1, env, len, 1);                 /* 1: another hash */
    s_dedupe_set (dir, "cy-police", s_inc1, 1, val, 40);
    free (env);
    env = s_envelope ("cy-police", s_inc1, 2, 50, 0, &len);
    s_dedupe_val (val, 5, env, len, 1);                 /* 2: gr-police's entry */
    s_dedupe_set (dir, "cy-police", s_inc1, 2, val, 40);
    free (env);
    env = s_envelope ("cy-police", s_inc1, 3, 50, 0, &len);
    s_dedupe_val (val, 99, env, len, 0);                /* 3: past the head */
    s_dedupe_set (dir, "cy-police", s_inc1, 3, val, 40);
    free (env);
    s_dedupe_set (dir, "cy-police", s_inc1, 4, val, 7); /* 4: 7 bytes */
    /* 6: its entry no longer decodes, and the record's hash is another. */
    env = s_envelope ("cy-police", s_inc2, 1, 50, 0, &len);
    s_dedupe_val (val, 6, env, len, 1);
    s_dedupe_set (dir, "cy-police", s_inc2, 1, val, 40);
    free (env);
    {
        MDB_env *menv;
        MDB_txn *txn;
        MDB_dbi entries;
        uint8_t k[8], junk[] = { 0xff, 0xff, 0xff, 0xff };
        s_be64 (k, 6);
        assert_int_equal (mdb_env_create (&menv), 0);
        assert_int_equal (mdb_env_set_maxdbs (menv, 8), 0);
        assert_int_equal (mdb_env_open (menv, dir, MDB_NOTLS, 0600), 0);
        assert_int_equal (mdb_txn_begin (menv, NULL, 0, &txn), 0);
        assert_int_equal (mdb_dbi_open (txn, "entries", 0, &entries), 0);
        assert_int_equal (s_raw_put (txn, entries, k, 8, junk, sizeof junk), 0);
        assert_int_equal (mdb_txn_commit (txn), 0);
        mdb_env_close (menv);
    }

    j = jad_journal_open (dir, 0, err, sizeof err);
    if (!j)
        fail_msg ("open: %s", err);
    jad_journal_item_t it[9];
    uint8_t *bufs[9];
    s_item (&it[0], &bufs[0], "cy-police", s_inc1, 1, 50, 0);  /* the same bytes */
    s_item (&it[1], &bufs[1], "cy-police", s_inc1, 1, 50, 9);  /* other bytes */
    s_item (&it[2], &bufs[2], "cy-police", s_inc1, 2, 50, 0);
    s_item (&it[3], &bufs[3], "cy-police", s_inc1, 3, 50, 0);
    s_item (&it[4], &bufs[4], "cy-police", s_inc1, 4, 50, 0);
    s_item (&it[5], &bufs[5], "cy-police", s_inc2, 1, 50, 0);
    s_item (&it[6], &bufs[6], "gr-police", s_inc1, 1, 50, 9);  /* a plain conflict */
    s_item (&it[7], &bufs[7], "gr-police", s_inc1, 1, 50, 0);  /* a plain resend */
    s_item (&it[8], &bufs[8], "cy-police", s_inc1, 5, 50, 0);  /* new */
    assert_int_equal (jad_journal_append (j, it, 9, err, sizeof err), 0);
    const char *key1[] = { "journal ", dir, "dedupe record of (cy-police, "
        "incarnation 01010101010101010101010101010101, origin_seq 1)",
        "this very report", "index is damaged",
        "run `jad-journal repair --data ", NULL };
    s_expect_item (&it[0], JAD_JOURNAL_DUPLICATE, 1, key1);
    const char *other1[] = { "origin_seq 1)", "not entry 1's", "a conflict all "
        "the same", NULL };
    s_expect_item (&it[1], JAD_JOURNAL_CONFLICT, 0, other1);
    const char *key2[] = { "origin_seq 2)", "names entry 5, which holds another "
        "report (gr-police, origin_seq 1)", "jad-journal repair", NULL };
    s_expect_item (&it[2], JAD_JOURNAL_DAMAGED, 0, key2);
    const char *key3[] = { "origin_seq 3)", "names entry 99, past the head 6",
        NULL };
    s_expect_item (&it[3], JAD_JOURNAL_DAMAGED, 0, key3);
    const char *key4[] = { "origin_seq 4)", "is 7 bytes, not 40", NULL };
    s_expect_item (&it[4], JAD_JOURNAL_DAMAGED, 0, key4);
    const char *key6[] = { "incarnation 0202", "names entry 6, which does not "
        "decode", NULL };
    s_expect_item (&it[5], JAD_JOURNAL_DAMAGED, 0, key6);
    s_expect_item (&it[6], JAD_JOURNAL_CONFLICT, 0, NULL);
    s_expect_item (&it[7], JAD_JOURNAL_DUPLICATE, 5, NULL);
    s_expect_item (&it[8], JAD_JOURNAL_NEW, 7, NULL);
    uint64_t head = 0;
    assert_int_equal (jad_journal_head (j, &head), 0);
    assert_int_equal (head, 7);
    for (int i = 0; i < 9; i++)
        free (bufs[i]);
    free (six);
    jad_journal_destroy (&j);
}

/* A page LMDB cannot read under a dedupe record, or under the entry a
 * damaged record names: the items it concerns are DAMAGED, the batch
 * is tried again without them and the others are journaled. */
static void
test_dedupe_unreadable (void **state)
{
    char err[512] = "", dir[600];
    snprintf (dir, sizeof dir, "%s", s_path (state, "j"));
    jad_journal_t *j = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    /* Enough entries for several leaf pages: entry 1's is not the last. */
    s_append_range (j, "cy-police", s_inc1, 1, 200, 50);
    uint8_t *one;
    size_t one_len;
    assert_int_equal (jad_journal_get (j, 1, &one, &one_len), 1);
    jad_journal_destroy (&j);
    uint8_t val[40];
    size_t len;
    uint8_t *env = s_envelope ("cy-police", s_inc1, 1, 50, 0, &len);
    s_dedupe_val (val, 1, env, len, 1);
    s_dedupe_set (dir, "cy-police", s_inc1, 1, val, 40);
    free (env);
    assert_true (s_break_pages (dir, one, one_len) >= 1);
    free (one);

    j = jad_journal_open (dir, 0, err, sizeof err);
    if (!j)
        fail_msg ("open: %s", err);
    jad_journal_item_t it[3];
    uint8_t *bufs[3];
    s_item (&it[0], &bufs[0], "cy-police", s_inc1, 1, 50, 0);
    s_item (&it[1], &bufs[1], "cy-police", s_inc1, 201, 50, 0);
    s_item (&it[2], &bufs[2], "cy-police", s_inc1, 150, 50, 0);
    if (jad_journal_append (j, it, 3, err, sizeof err) != 0)
        fail_msg ("append: %s", err);
    const char *unread[] = { "origin_seq 1)", "names entry 1, which cannot be "
        "read (", "jad-journal repair", NULL };
    s_expect_item (&it[0], JAD_JOURNAL_DAMAGED, 0, unread);
    s_expect_item (&it[1], JAD_JOURNAL_NEW, 201, NULL);
    s_expect_item (&it[2], JAD_JOURNAL_DUPLICATE, 150, NULL);
    for (int i = 0; i < 3; i++)
        free (bufs[i]);
    jad_journal_destroy (&j);

    /* The dedupe records' page itself: no key can be told, none is
     * journaled (new or not, nobody can say), and nothing fails. */
    char dir2[600];
    snprintf (dir2, sizeof dir2, "%s", s_path (state, "k"));
    j = jad_journal_open (dir2, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    s_append_range (j, "cy-police", s_inc1, 1, 3, 50);
    jad_journal_destroy (&j);
    uint8_t needle[10 + 16];
    memcpy (needle, "cy-police", 10);
    memcpy (needle + 10, s_inc1, 16);
    assert_true (s_break_pages (dir2, needle, sizeof needle) >= 1);
    j = jad_journal_open (dir2, 0, err, sizeof err);
    if (!j)
        fail_msg ("open: %s", err);
    s_item (&it[0], &bufs[0], "cy-police", s_inc1, 2, 50, 0);
    s_item (&it[1], &bufs[1], "cy-police", s_inc1, 4, 50, 0);
    if (jad_journal_append (j, it, 2, err, sizeof err) != 0)
        fail_msg ("append: %s", err);
    const char *cannot[] = { "origin_seq 2)", "cannot be read", NULL };
    s_expect_item (&it[0], JAD_JOURNAL_DAMAGED, 0, cannot);
    const char *cannot4[] = { "origin_seq 4)", "cannot be read", NULL };
    s_expect_item (&it[1], JAD_JOURNAL_DAMAGED, 0, cannot4);
    uint64_t head = 0;
    assert_int_equal (jad_journal_head (j, &head), 0);
    assert_int_equal (head, 3);
    for (int i = 0; i < 2; i++)
        free (bufs[i]);
    jad_journal_destroy (&j);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_append_scan, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_batch_mixed, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_reopen, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_map_growth, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_readers_during_writes, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_mirror, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_crash, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_records, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_file_modes, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_find, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_old_layout, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_dedupe_damaged, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_dedupe_unreadable, jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, NULL, NULL);
}
