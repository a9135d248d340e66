/*  outbox: the agent's durable store of reports not yet acknowledged.
 *  See include/jad/outbox.h for the layout and the promises; the LMDB
 *  plumbing (registry, map growth, durability) is lib/store.c's.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/report.h"
#include "jad/err.h"
#include "jad/outbox.h"
#include "jad/store.h"
#include "jad/wire.h"

#define S_SCHEMA_VERSION  1     /* layout version, written at creation */
#define S_REF_RAW_MAX     400   /* longer refs are keyed by their hash */
#define S_TAG_UNSEALED    0x01
#define S_TAG_SEALED      0x02
#define S_SEAL_MAX        4096  /* records sealed per call at most */

/* The databases, in the order of s_dbs. */
enum {
    S_DB_META,                  /* string key -> value */
    S_DB_QUEUE,                 /* BE origin_seq -> tagged record */
    S_DB_REFS,                  /* ref -> BE origin_seq */
    S_DB_REJECTED,              /* BE origin_seq -> code, message, record */
    S_DB_COUNT
};

static const jad_store_db_t s_dbs[S_DB_COUNT] = {
    [S_DB_META]     = { "meta", 0 },
    [S_DB_QUEUE]    = { "queue", 0 },
    [S_DB_REFS]     = { "refs", 0 },
    [S_DB_REJECTED] = { "rejected", 0 },
};

static int s_init_fn (jad_store_t *store, MDB_txn *txn, void *arg,
                      char *err, size_t errlen);

/* An outbox is private to the agent's user: its parent (the agent's data
 * directory) is 0700 too, and no group reads it. */
static const jad_store_spec_t s_spec = {
    .kind        = "outbox",
    .dbs         = s_dbs,
    .ndbs        = S_DB_COUNT,
    .mapsize     = JAD_OUTBOX_MAPSIZE_DEFAULT,
    .dir_mode    = 0700,
    .group_modes = 0,
    .init        = s_init_fn,
};

struct _jad_outbox_t {
    jad_store_t *store;         /* the environment and its databases */
    uint8_t incarnation[JAD_ID_BYTES];  /* from meta, fixed at creation */
    char origin[JAD_OUTBOX_ORIGIN_MAX + 1];  /* "" until set */
    uint8_t operation_id[JAD_ID_BYTES]; /* valid when has_operation */
    int has_operation;          /* operation_id is known */
    /* Every record up to here is known to be sealed: records are sealed in
     * order and only this process seals, so jad_outbox_seal starts after
     * it instead of walking the whole queue each time. */
    uint64_t seal_hint;
};

static MDB_dbi
s_dbi (jad_store_t *store, int db)
{
    return jad_store_dbi (store, (size_t) db);
}

/* ------------------------------------------------------------ open, close */

/* Read the fields cached in SELF: incarnation, origin, operation id.
 * *FOUND_P = 0 when the outbox has no incarnation yet.  0 or an LMDB
 * code. */
static int
s_load_identity (jad_outbox_t *self, MDB_txn *txn, MDB_dbi meta, int *found_p)
{
    int rc = jad_store_meta_get_bytes (txn, meta, "incarnation",
                                       self->incarnation, JAD_ID_BYTES);
    *found_p = rc == 0;
    if (rc && rc != MDB_NOTFOUND)
        return rc;
    rc = jad_store_meta_get_str (txn, meta, "origin", self->origin,
                                 sizeof self->origin);
    if (rc)
        return rc;
    rc = jad_store_meta_get_bytes (txn, meta, "operation_id",
                                   self->operation_id, JAD_ID_BYTES);
    self->has_operation = rc == 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

/* What the opening transaction needs. */
typedef struct {
    jad_outbox_t *self;         /* receives the identity */
    const char *dir;            /* as the caller named it, for error texts */
} s_open_t;

/* The opening transaction's work, after the store has opened the
 * databases.  Several processes may create the outbox at once: the write
 * transaction serialises them, and only the first finds no incarnation
 * and makes one — in the transaction that creates the databases, so no
 * reader ever sees an outbox without its incarnation. */
static int
s_init_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    s_open_t *o = arg;
    MDB_dbi meta = s_dbi (store, S_DB_META);
    MDB_val v;
    int found = 0;
    int rc = s_load_identity (o->self, txn, meta, &found);
    if (rc == 0 && found) {
        rc = jad_store_meta_get (txn, meta, "schema_version", &v);
        if (rc == 0 && (v.mv_size != 4
                        || jad_store_get_be32 (v.mv_data) != S_SCHEMA_VERSION)) {
            jad_err_set (err, errlen, "outbox %s: layout version not %u", o->dir,
                   S_SCHEMA_VERSION);
            return -1;
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    if (rc)
        return rc;
    if (!found && jad_store_rdonly (store)) {
        jad_err_set (err, errlen, "outbox %s: not initialised (no incarnation)", o->dir);
        return -1;
    }
    if (!found) {
        randombytes_buf (o->self->incarnation, JAD_ID_BYTES);
        rc = jad_store_meta_put (txn, meta, "incarnation", o->self->incarnation,
                                 JAD_ID_BYTES);
        if (!rc) rc = jad_store_meta_put_u64 (txn, meta, "next_seq", 1);
        if (!rc) rc = jad_store_meta_put_u32 (txn, meta, "schema_version",
                                              S_SCHEMA_VERSION);
    }
    return rc;
}

jad_outbox_t *
jad_outbox_open (const char *dir, int flags, char *err, size_t errlen)
{
    assert (dir);
    jad_outbox_t *self = NULL;

    if (sodium_init () < 0) {
        jad_err_set (err, errlen, "libsodium failed to initialise");
        goto out;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        jad_err_set (err, errlen, "outbox: out of memory");
        goto out;
    }
    int sflags = ((flags & JAD_OUTBOX_CREATE) ? JAD_STORE_CREATE : 0)
               | ((flags & JAD_OUTBOX_RDONLY) ? JAD_STORE_RDONLY : 0);
    s_open_t o = { self, dir };
    self->store = jad_store_open (dir, sflags, &s_spec, &o, err, errlen);
    if (!self->store) {
        free (self);
        self = NULL;
    }
out:
    return self;
}

void
jad_outbox_destroy (jad_outbox_t **self_p)
{
    assert (self_p);
    jad_outbox_t *self = *self_p;
    if (!self)
        return;
    jad_store_destroy (&self->store);
    free (self);
    *self_p = NULL;
}

/* ------------------------------------------------------------ identity */

int
jad_outbox_country (jad_outbox_t *self, char *country)
{
    assert (self && country);
    MDB_txn *txn = NULL;
    country[0] = 0;
    if (jad_store_read_begin (self->store, &txn))
        return -1;
    int rc = jad_store_meta_get_str (txn, s_dbi (self->store, S_DB_META),
                                     "country", country, 3);
    jad_store_read_end (self->store, &txn);
    if (rc)
        return -1;
    return country[0] ? 1 : 0;
}

typedef struct {
    const char *name;           /* meta key */
    const void *value;          /* the value to set, SIZE bytes */
    size_t      size;
    const char *what;           /* for the error text */
} s_setonce_t;

/* Put a meta value unless one is there; another value is an error. */
static int
s_setonce_fn (jad_store_t *store, MDB_txn *txn, void *arg,
              char *err, size_t errlen)
{
    s_setonce_t *s = arg;
    MDB_dbi meta = s_dbi (store, S_DB_META);
    MDB_val v;
    int rc = jad_store_meta_get (txn, meta, s->name, &v);
    if (rc == MDB_NOTFOUND)
        return jad_store_meta_put (txn, meta, s->name, s->value, s->size);
    if (rc)
        return rc;
    if (v.mv_size == s->size && memcmp (v.mv_data, s->value, s->size) == 0)
        return 0;
    if (strcmp (s->name, "operation_id") == 0)
        jad_err_set (err, errlen, "outbox %s belongs to another operation",
               jad_store_path (store));
    else
        jad_err_set (err, errlen, "outbox %s belongs to %s %.*s, not %.*s",
               jad_store_path (store), s->what, (int) v.mv_size,
               (const char *) v.mv_data, (int) s->size,
               (const char *) s->value);
    return -1;
}

int
jad_outbox_set_country (jad_outbox_t *self, const char *cc,
                        char *err, size_t errlen)
{
    assert (self && cc);
    if (!jad_report_country_valid (cc)) {
        jad_err_set (err, errlen, "country: two upper-case letters expected");
        return -1;
    }
    s_setonce_t s = { "country", cc, 2, "country" };
    return jad_store_write (self->store, s_setonce_fn, &s, err, errlen);
}

int
jad_outbox_set_origin (jad_outbox_t *self, const char *origin,
                       char *err, size_t errlen)
{
    assert (self && origin);
    size_t len = strlen (origin);
    if (len == 0 || len > JAD_OUTBOX_ORIGIN_MAX) {
        jad_err_set (err, errlen, "origin: 1 to %d characters expected",
               JAD_OUTBOX_ORIGIN_MAX);
        return -1;
    }
    s_setonce_t s = { "origin", origin, len, "origin" };
    if (jad_store_write (self->store, s_setonce_fn, &s, err, errlen))
        return -1;
    memcpy (self->origin, origin, len + 1);
    return 0;
}

int
jad_outbox_set_operation (jad_outbox_t *self, const uint8_t *operation_id,
                          char *err, size_t errlen)
{
    assert (self && operation_id);
    s_setonce_t s = { "operation_id", operation_id, JAD_ID_BYTES, "operation" };
    if (jad_store_write (self->store, s_setonce_fn, &s, err, errlen))
        return -1;
    memcpy (self->operation_id, operation_id, JAD_ID_BYTES);
    self->has_operation = 1;
    return 0;
}

const uint8_t *
jad_outbox_incarnation (const jad_outbox_t *self)
{
    assert (self);
    return self->incarnation;
}

/* ------------------------------------------------------------ submit */

typedef struct {
    jad_outbox_item_t *items;   /* the caller's batch, outputs filled in */
    size_t n;                   /* its length */
} s_submit_t;

/* The refs key of REF into KEY (S_REF_RAW_MAX + 1 bytes); returns its
 * length.  LMDB keys stop at 511 bytes, and refs have no length limit. */
static size_t
s_ref_key (uint8_t *key, const char *ref)
{
    size_t len = strlen (ref);
    if (len <= S_REF_RAW_MAX) {
        memcpy (key, ref, len);
        return len;
    }
    /* 0xff never begins a UTF-8 string, so this cannot equal a short ref. */
    key[0] = 0xff;
    crypto_generichash (key + 1, 32, (const uint8_t *) ref, len, NULL, 0);
    return 33;
}

static int
s_submit_fn (jad_store_t *store, MDB_txn *txn, void *arg,
             char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_submit_t *s = arg;
    MDB_dbi meta = s_dbi (store, S_DB_META);
    MDB_dbi queue = s_dbi (store, S_DB_QUEUE);
    MDB_dbi refs = s_dbi (store, S_DB_REFS);
    uint64_t next_seq, accepted;
    int rc = jad_store_meta_get_u64 (txn, meta, "next_seq", 1, &next_seq);
    if (!rc)
        rc = jad_store_meta_get_u64 (txn, meta, "accepted", 0, &accepted);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        jad_outbox_item_t *item = &s->items[i];
        uint8_t seqbuf[8];
        jad_store_put_be64 (seqbuf, next_seq);
        if (item->ref && item->ref[0]) {
            uint8_t keybuf[S_REF_RAW_MAX + 1];
            MDB_val k = { s_ref_key (keybuf, item->ref), keybuf };
            MDB_val v = { 8, seqbuf };
            /* Items earlier in this batch are already in `refs`. */
            rc = mdb_put (txn, refs, &k, &v, MDB_NOOVERWRITE);
            if (rc == MDB_KEYEXIST) {
                if (v.mv_size != 8)
                    return MDB_CORRUPTED;
                item->status = JAD_OUTBOX_DUPLICATE;
                item->origin_seq = jad_store_get_be64 (v.mv_data);
                rc = 0;
                continue;
            }
            if (rc)
                break;
        }
        MDB_val k = { 8, seqbuf };
        MDB_val v = { 1 + 8 + item->report_len, NULL };
        /* next_seq is above every key ever stored, so APPEND holds. */
        rc = mdb_put (txn, queue, &k, &v, MDB_APPEND | MDB_RESERVE);
        if (rc)
            break;
        uint8_t *p = v.mv_data;
        p[0] = S_TAG_UNSEALED;
        jad_store_put_be64 (p + 1, (uint64_t) item->event_time_ms);
        memcpy (p + 9, item->report, item->report_len);
        item->status = JAD_OUTBOX_ACCEPTED;
        item->origin_seq = next_seq++;
        accepted++;
    }
    if (!rc)
        rc = jad_store_meta_put_u64 (txn, meta, "next_seq", next_seq);
    if (!rc)
        rc = jad_store_meta_put_u64 (txn, meta, "accepted", accepted);
    return rc;
}

int
jad_outbox_submit_batch (jad_outbox_t *self, jad_outbox_item_t *items,
                         size_t n, char *err, size_t errlen)
{
    assert (self && (items || n == 0));
    if (n == 0)
        return 0;
    s_submit_t s = { items, n };
    return jad_store_write (self->store, s_submit_fn, &s, err, errlen);
}

/* ------------------------------------------------------------ daemon */

int
jad_outbox_last (jad_outbox_t *self, uint64_t *seq_p)
{
    assert (self && seq_p);
    return jad_store_last (self->store, s_dbi (self->store, S_DB_QUEUE), seq_p);
}

/* Split queue record SEQ (VAL[0..LEN)) into REC.  0, or -1 when it is
 * malformed. */
static int
s_record (uint64_t seq, const uint8_t *val, size_t len, jad_outbox_record_t *rec)
{
    if (len < 1)
        return -1;
    memset (rec, 0, sizeof *rec);
    rec->origin_seq = seq;
    if (val[0] == S_TAG_SEALED) {
        rec->sealed = 1;
        rec->data = val + 1;
        rec->len = len - 1;
        return 0;
    }
    if (val[0] == S_TAG_UNSEALED && len >= 9) {
        rec->event_time_ms = (int64_t) jad_store_get_be64 (val + 1);
        rec->data = val + 9;
        rec->len = len - 9;
        return 0;
    }
    return -1;
}

typedef struct {
    jad_outbox_t *self;         /* whose identity the envelopes carry */
    size_t   max;               /* records to seal at most */
    jad_outbox_seal_fn *seal_fn;    /* the caller's sealer */
    void    *seal_arg;          /* and its argument */
    uint64_t seqs[S_SEAL_MAX];  /* found unsealed in the first pass */
    size_t   n;                 /* how many of SEQS */
    uint64_t hint;              /* out: last record known sealed */
    int      bad;               /* the first pass met a malformed record */
} s_seal_t;

/* First pass of s_seal_fn: note the unsealed records, and how far the
 * queue is sealed before the first of them. */
static int
s_seal_find (void *arg, uint64_t seq, const uint8_t *val, size_t len)
{
    s_seal_t *s = arg;
    jad_outbox_record_t rec;
    if (s_record (seq, val, len, &rec)) {
        s->bad = 1;
        return 1;
    }
    if (!rec.sealed)
        s->seqs[s->n++] = seq;
    else
    if (s->n == 0)
        s->hint = seq;
    return s->n >= s->max;
}

static int
s_seal_fn (jad_store_t *store, MDB_txn *txn, void *arg,
           char *err, size_t errlen)
{
    s_seal_t *s = arg;
    jad_outbox_t *self = s->self;
    MDB_dbi queue = s_dbi (store, S_DB_QUEUE);
    MDB_val k, v;
    uint8_t keybuf[8];
    int rc = 0;
    s->n = 0;
    s->bad = 0;
    s->hint = self->seal_hint;
    /* First pass: which records to seal.  A second pass puts them, so no
     * cursor is walking the tree while it changes. */
    if (jad_store_scan_txn (txn, queue, self->seal_hint + 1, SIZE_MAX,
                            s_seal_find, s) < 0 || s->bad)
        return MDB_CORRUPTED;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        jad_outbox_record_t rec;
        jad_store_put_be64 (keybuf, s->seqs[i]);
        k.mv_size = 8;
        k.mv_data = keybuf;
        rc = mdb_get (txn, queue, &k, &v);
        if (rc)
            break;
        if (s_record (s->seqs[i], v.mv_data, v.mv_size, &rec)) {
            rc = MDB_CORRUPTED;
            break;
        }
        /* Sealed once, here: the bytes (and the signature in them) are
         * kept, so every resend carries the same ones. */
        jad_envelope_id_t id = {
            .operation_id = self->operation_id,
            .origin       = self->origin,
            .incarnation  = self->incarnation,
            .origin_seq   = rec.origin_seq,
        };
        char serr[256] = "";
        size_t elen = 0;
        uint8_t *buf = s->seal_fn (s->seal_arg, &id, rec.event_time_ms,
                                   rec.data, rec.len, &elen, serr, sizeof serr);
        if (!buf) {
            jad_err_set (err, errlen, "outbox %s: cannot seal record %llu: %s",
                   jad_store_path (store), (unsigned long long) rec.origin_seq,
                   serr);
            return -1;
        }
        MDB_val nv = { 1 + elen, NULL };
        rc = mdb_put (txn, queue, &k, &nv, MDB_RESERVE);
        if (rc == 0) {
            uint8_t *p = nv.mv_data;
            p[0] = S_TAG_SEALED;
            memcpy (p + 1, buf, elen);
            s->hint = rec.origin_seq;
        }
        free (buf);
    }
    return rc;
}

long
jad_outbox_seal (jad_outbox_t *self, size_t max, jad_outbox_seal_fn *seal_fn,
                 void *arg, char *err, size_t errlen)
{
    assert (self && seal_fn);
    if (!self->origin[0] || !self->has_operation) {
        jad_err_set (err, errlen, "outbox %s: origin and operation must be set "
               "before sealing", jad_store_path (self->store));
        return -1;
    }
    uint64_t last;
    if (jad_outbox_last (self, &last)) {
        jad_err_set (err, errlen, "outbox %s: cannot read the queue",
               jad_store_path (self->store));
        return -1;
    }
    if (last <= self->seal_hint || max == 0)
        return 0;
    s_seal_t *s = calloc (1, sizeof *s);
    if (!s) {
        jad_err_set (err, errlen, "outbox: out of memory");
        return -1;
    }
    s->self = self;
    s->max = max < S_SEAL_MAX ? max : S_SEAL_MAX;
    s->seal_fn = seal_fn;
    s->seal_arg = arg;
    long result = -1;
    if (jad_store_write (self->store, s_seal_fn, s, err, errlen) == 0) {
        self->seal_hint = s->hint;
        result = (long) s->n;
    }
    free (s);
    return result;
}

typedef struct {
    jad_outbox_scan_fn *fn;     /* the caller's callback */
    void *arg;                  /* and its argument */
    int bad;                    /* a record did not split: -1 */
} s_scan_t;

static int
s_scan_fn (void *arg, uint64_t seq, const uint8_t *val, size_t len)
{
    s_scan_t *s = arg;
    jad_outbox_record_t rec;
    if (s_record (seq, val, len, &rec)) {
        s->bad = 1;
        return 1;
    }
    return s->fn (s->arg, &rec);
}

long
jad_outbox_scan (jad_outbox_t *self, uint64_t from_seq, size_t max,
                 jad_outbox_scan_fn *fn, void *arg)
{
    assert (self && fn);
    s_scan_t s = { fn, arg, 0 };
    long visited = jad_store_scan (self->store, s_dbi (self->store, S_DB_QUEUE),
                                   from_seq, max, s_scan_fn, &s);
    return s.bad ? -1 : visited;
}

typedef struct {
    const uint64_t *seqs;       /* origin_seqs acked */
    const uint64_t *hub_seqs;   /* the hub_seq of each */
    size_t n;                   /* how many */
} s_ack_t;

static int
s_ack_fn (jad_store_t *store, MDB_txn *txn, void *arg,
          char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_ack_t *s = arg;
    MDB_dbi meta = s_dbi (store, S_DB_META);
    MDB_dbi queue = s_dbi (store, S_DB_QUEUE);
    uint64_t last, last_hub, acked;
    int rc = jad_store_meta_get_u64 (txn, meta, "last_acked", 0, &last);
    if (!rc) rc = jad_store_meta_get_u64 (txn, meta, "last_acked_hub_seq", 0, &last_hub);
    if (!rc) rc = jad_store_meta_get_u64 (txn, meta, "acked", 0, &acked);
    int changed = 0;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        uint8_t keybuf[8];
        jad_store_put_be64 (keybuf, s->seqs[i]);
        MDB_val k = { 8, keybuf };
        rc = mdb_del (txn, queue, &k, NULL);
        if (rc == MDB_NOTFOUND) {
            rc = 0;         /* acked twice: gone already */
            continue;
        }
        if (rc)
            break;
        acked++;
        changed = 1;
        if (s->seqs[i] > last) {
            last = s->seqs[i];
            last_hub = s->hub_seqs[i];
        }
    }
    if (!rc && changed) {
        rc = jad_store_meta_put_u64 (txn, meta, "last_acked", last);
        if (!rc) rc = jad_store_meta_put_u64 (txn, meta, "last_acked_hub_seq", last_hub);
        if (!rc) rc = jad_store_meta_put_u64 (txn, meta, "acked", acked);
    }
    return rc;
}

int
jad_outbox_ack (jad_outbox_t *self, const uint64_t *origin_seqs,
                const uint64_t *hub_seqs, size_t n, char *err, size_t errlen)
{
    assert (self && ((origin_seqs && hub_seqs) || n == 0));
    if (n == 0)
        return 0;
    s_ack_t s = { origin_seqs, hub_seqs, n };
    return jad_store_write (self->store, s_ack_fn, &s, err, errlen);
}

typedef struct {
    uint64_t    seq;            /* origin_seq refused */
    uint32_t    code;           /* the hub's error code */
    const char *message;        /* its message, or NULL */
    int         moved;          /* out: 1 when it was in the queue */
} s_reject_t;

static int
s_reject_fn (jad_store_t *store, MDB_txn *txn, void *arg,
             char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_reject_t *s = arg;
    MDB_dbi queue = s_dbi (store, S_DB_QUEUE);
    uint8_t keybuf[8];
    jad_store_put_be64 (keybuf, s->seq);
    MDB_val k = { 8, keybuf };
    MDB_val v;
    s->moved = 0;
    int rc = mdb_get (txn, queue, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    size_t mlen = s->message ? strnlen (s->message, 4096) : 0;
    /* Copy the record out: the put below may move pages. */
    size_t rlen = v.mv_size;
    uint8_t *record = malloc (rlen ? rlen : 1);
    if (!record)
        return ENOMEM;
    memcpy (record, v.mv_data, rlen);
    MDB_val nv = { 8 + mlen + rlen, NULL };
    rc = mdb_put (txn, s_dbi (store, S_DB_REJECTED), &k, &nv, MDB_RESERVE);
    if (rc == 0) {
        uint8_t *p = nv.mv_data;
        jad_store_put_be32 (p, s->code);
        jad_store_put_be32 (p + 4, (uint32_t) mlen);
        if (mlen)
            memcpy (p + 8, s->message, mlen);
        memcpy (p + 8 + mlen, record, rlen);
        rc = mdb_del (txn, queue, &k, NULL);
    }
    free (record);
    if (rc == 0)
        s->moved = 1;
    return rc;
}

int
jad_outbox_reject (jad_outbox_t *self, uint64_t origin_seq, uint32_t code,
                   const char *message, char *err, size_t errlen)
{
    assert (self);
    s_reject_t s = { origin_seq, code, message, 0 };
    if (jad_store_write (self->store, s_reject_fn, &s, err, errlen))
        return -1;
    return s.moved;
}

typedef struct {
    jad_outbox_rejected_fn *fn; /* the caller's callback */
    void *arg;                  /* and its argument */
    int bad;                    /* a record did not split: -1 */
} s_rejected_t;

static int
s_rejected_fn (void *arg, uint64_t seq, const uint8_t *p, size_t len)
{
    s_rejected_t *s = arg;
    if (len < 8 || jad_store_get_be32 (p + 4) > len - 8) {
        s->bad = 1;
        return 1;
    }
    uint32_t mlen = jad_store_get_be32 (p + 4);
    char msg[4097];
    memcpy (msg, p + 8, mlen < 4096 ? mlen : 4096);
    msg[mlen < 4096 ? mlen : 4096] = 0;
    return s->fn (s->arg, seq, jad_store_get_be32 (p), msg);
}

long
jad_outbox_rejected_scan (jad_outbox_t *self, size_t max,
                          jad_outbox_rejected_fn *fn, void *arg)
{
    assert (self && fn);
    s_rejected_t s = { fn, arg, 0 };
    long visited = jad_store_scan (self->store,
                                   s_dbi (self->store, S_DB_REJECTED), 0, max,
                                   s_rejected_fn, &s);
    return s.bad ? -1 : visited;
}

/* ------------------------------------------------------------ status */

int
jad_outbox_stats (jad_outbox_t *self, jad_outbox_stats_t *st)
{
    assert (self && st);
    MDB_txn *txn = NULL;
    MDB_stat ms;
    MDB_val v;
    memset (st, 0, sizeof *st);
    if (jad_store_read_begin (self->store, &txn))
        return -1;
    MDB_dbi meta = s_dbi (self->store, S_DB_META);
    int rc = mdb_stat (txn, s_dbi (self->store, S_DB_QUEUE), &ms);
    if (!rc) {
        st->depth = ms.ms_entries;
        rc = mdb_stat (txn, s_dbi (self->store, S_DB_REJECTED), &ms);
    }
    if (!rc) {
        st->rejected = ms.ms_entries;
        rc = jad_store_meta_get_u64 (txn, meta, "next_seq", 1, &st->next_seq);
    }
    if (!rc) rc = jad_store_meta_get_u64 (txn, meta, "last_acked", 0, &st->last_acked);
    if (!rc) rc = jad_store_meta_get_u64 (txn, meta, "last_acked_hub_seq", 0,
                                          &st->last_acked_hub_seq);
    if (!rc) rc = jad_store_meta_get_u64 (txn, meta, "accepted", 0, &st->accepted);
    if (!rc) rc = jad_store_meta_get_u64 (txn, meta, "acked", 0, &st->acked);
    if (!rc) rc = jad_store_meta_get_str (txn, meta, "country", st->country,
                                          sizeof st->country);
    if (!rc) rc = jad_store_meta_get_str (txn, meta, "origin", st->origin,
                                          sizeof st->origin);
    if (!rc) {
        /* Shown, not relied on: a value of another size shows as unset. */
        rc = jad_store_meta_get (txn, meta, "operation_id", &v);
        if (rc == 0 && v.mv_size == JAD_ID_BYTES) {
            st->has_operation = 1;
            memcpy (st->operation_id, v.mv_data, JAD_ID_BYTES);
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    jad_store_read_end (self->store, &txn);
    return rc ? -1 : 0;
}
