/*  outbox: the agent's durable store of reports not yet acknowledged.
 *  See include/jad/outbox.h for the layout and the promises.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/outbox.h"
#include "jad/keys.h"
#include "jad/sign.h"
#include "jad/wire.h"

#define S_MAXDBS          8     /* meta, queue, refs, rejected, and room */
#define S_GROW_TRIES      24    /* doublings before a full map is an error */
#define S_READER_CHECK    1024  /* commits between two mdb_reader_check */
#define S_SCHEMA_VERSION  1     /* layout version, written at creation */
#define S_REF_RAW_MAX     400   /* longer refs are keyed by their hash */
#define S_TAG_UNSEALED    0x01
#define S_TAG_SEALED      0x02

struct _jad_outbox_t {
    MDB_env *env;               /* one per directory per process */
    MDB_dbi meta;               /* string key -> value */
    MDB_dbi queue;              /* BE origin_seq -> tagged record */
    MDB_dbi refs;               /* ref -> BE origin_seq */
    MDB_dbi rejected;           /* BE origin_seq -> code, message, record */
    int rdonly;                 /* opened with JAD_OUTBOX_RDONLY */
    char *path;                 /* realpath of the directory, registry key */
    uint8_t incarnation[JAD_ID_BYTES];  /* from meta, fixed at creation */
    char origin[JAD_OUTBOX_ORIGIN_MAX + 1];  /* "" until set */
    uint8_t operation_id[JAD_ID_BYTES]; /* valid when has_operation */
    int has_operation;
    /* Every record up to here is known to be sealed: records are sealed in
     * order and only this process seals, so jad_outbox_seal starts after
     * it instead of walking the whole queue each time. */
    uint64_t seal_hint;
    const jad_keys_t *signer;   /* signs sealed envelopes; not owned */
    unsigned commits;           /* since the last mdb_reader_check */
    jad_outbox_t *next;         /* registry of open directories */
};

/* Directories open in this process: LMDB must not open one env twice (its
 * POSIX locks would be dropped when either copy closes). */
static pthread_mutex_t s_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static jad_outbox_t *s_registry = NULL;

static void s_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_err (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, errlen, fmt, ap);
    va_end (ap);
}

static void
s_put_be64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t) (v & 0xff);
        v >>= 8;
    }
}

static uint64_t
s_get_be64 (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static void
s_put_be32 (uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}

static uint32_t
s_get_be32 (const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
         | ((uint32_t) p[2] << 8) | p[3];
}

/* ------------------------------------------------------------ transactions */

/* Begin a transaction; a map grown by another process is adopted and the
 * begin retried (no other transaction is open: one thread per outbox). */
static int
s_begin (jad_outbox_t *self, unsigned flags, MDB_txn **txn_p)
{
    for (int tries = 0; ; tries++) {
        int rc = mdb_txn_begin (self->env, NULL, flags, txn_p);
        if (rc != MDB_MAP_RESIZED || tries >= 3)
            return rc;
        rc = mdb_env_set_mapsize (self->env, 0);
        if (rc)
            return rc;
    }
}

/* The body of a write transaction: returns 0, an LMDB code (MDB_MAP_FULL
 * makes s_write grow the map and call it again from scratch), or -1 with
 * ERR already written.  It must write its outputs afresh on every call. */
typedef int (s_write_fn) (jad_outbox_t *self, MDB_txn *txn, void *ctx,
                          char *err, size_t errlen);

/* Run FN in a write transaction and commit it durably; a full map is
 * doubled and the whole transaction redone, which is safe because nothing
 * of it was committed, so nothing was reported.  0 or -1 with ERR. */
static int
s_write (jad_outbox_t *self, s_write_fn *fn, void *ctx,
         char *err, size_t errlen)
{
    if (self->rdonly) {
        s_err (err, errlen, "outbox %s is open read-only", self->path);
        return -1;
    }
    for (int tries = 0; ; tries++) {
        MDB_txn *txn = NULL;
        int rc = s_begin (self, 0, &txn);
        if (rc == 0) {
            rc = fn (self, txn, ctx, err, errlen);
            if (rc == 0)
                rc = mdb_txn_commit (txn);  /* frees the txn even on error */
            else
                mdb_txn_abort (txn);
        }
        if (rc == 0) {
            if (++self->commits >= S_READER_CHECK) {
                int dead;
                self->commits = 0;
                mdb_reader_check (self->env, &dead);
            }
            return 0;
        }
        if (rc == -1)
            return -1;
        if (rc != MDB_MAP_FULL || tries >= S_GROW_TRIES) {
            s_err (err, errlen, "outbox %s: %s", self->path, mdb_strerror (rc));
            return -1;
        }
        MDB_envinfo info;
        mdb_env_info (self->env, &info);
        size_t bigger = info.me_mapsize * 2;
        if (bigger < info.me_mapsize
        ||  (rc = mdb_env_set_mapsize (self->env, bigger)) != 0) {
            s_err (err, errlen, "outbox %s: cannot grow map beyond %zu bytes: %s",
                   self->path, info.me_mapsize,
                   bigger < info.me_mapsize ? "overflow" : mdb_strerror (rc));
            return -1;
        }
    }
}

/* ------------------------------------------------------------ meta */

static int
s_meta_put (jad_outbox_t *self, MDB_txn *txn, const char *name,
            const void *data, size_t size)
{
    MDB_val k = { strlen (name), (void *) name };
    MDB_val v = { size, (void *) data };
    return mdb_put (txn, self->meta, &k, &v, 0);
}

static int
s_meta_put64 (jad_outbox_t *self, MDB_txn *txn, const char *name, uint64_t x)
{
    uint8_t b[8];
    s_put_be64 (b, x);
    return s_meta_put (self, txn, name, b, 8);
}

/* Look NAME up; 1 found with *V, 0 not found, or an LMDB code < 0. */
static int
s_meta_find (jad_outbox_t *self, MDB_txn *txn, const char *name, MDB_val *v)
{
    MDB_val k = { strlen (name), (void *) name };
    int rc = mdb_get (txn, self->meta, &k, v);
    return rc == 0 ? 1 : rc == MDB_NOTFOUND ? 0 : rc;
}

/* *X = the BE64 value of NAME, or DEF when absent.  0 or an LMDB code. */
static int
s_meta_get64 (jad_outbox_t *self, MDB_txn *txn, const char *name,
              uint64_t def, uint64_t *x)
{
    MDB_val v;
    int rc = s_meta_find (self, txn, name, &v);
    if (rc < 0)
        return rc;
    *x = def;
    if (rc == 1) {
        if (v.mv_size != 8)
            return MDB_CORRUPTED;
        *x = s_get_be64 (v.mv_data);
    }
    return 0;
}

/* Copy the string value NAME into BUF (SIZE bytes, NUL-terminated); ""
 * when absent.  0 or an LMDB code. */
static int
s_meta_getstr (jad_outbox_t *self, MDB_txn *txn, const char *name,
               char *buf, size_t size)
{
    MDB_val v;
    int rc = s_meta_find (self, txn, name, &v);
    buf[0] = 0;
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (v.mv_size >= size)
            return MDB_CORRUPTED;
        memcpy (buf, v.mv_data, v.mv_size);
        buf[v.mv_size] = 0;
    }
    return 0;
}

/* Read the fields cached in SELF: incarnation, origin, operation id.
 * *FOUND_P = 0 when the outbox has no incarnation yet. */
static int
s_load_identity (jad_outbox_t *self, MDB_txn *txn, int *found_p)
{
    MDB_val v;
    int rc = s_meta_find (self, txn, "incarnation", &v);
    *found_p = rc == 1;
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (v.mv_size != JAD_ID_BYTES)
            return MDB_CORRUPTED;
        memcpy (self->incarnation, v.mv_data, JAD_ID_BYTES);
    }
    rc = s_meta_getstr (self, txn, "origin", self->origin, sizeof self->origin);
    if (rc)
        return rc;
    rc = s_meta_find (self, txn, "operation_id", &v);
    if (rc < 0)
        return rc;
    self->has_operation = rc == 1;
    if (rc == 1) {
        if (v.mv_size != JAD_ID_BYTES)
            return MDB_CORRUPTED;
        memcpy (self->operation_id, v.mv_data, JAD_ID_BYTES);
    }
    return 0;
}

/* ------------------------------------------------------------ open, close */

jad_outbox_t *
jad_outbox_open (const char *dir, int flags, char *err, size_t errlen)
{
    assert (dir);
    jad_outbox_t *self = NULL;
    jad_outbox_t *result = NULL;
    MDB_txn *txn = NULL;
    int registered = 0;
    int rc;
    struct stat st;

    if (sodium_init () < 0) {
        s_err (err, errlen, "libsodium failed to initialise");
        goto out;
    }
    if ((flags & JAD_OUTBOX_CREATE) && (flags & JAD_OUTBOX_RDONLY)) {
        s_err (err, errlen, "outbox: CREATE and RDONLY are exclusive");
        goto out;
    }
    if ((flags & JAD_OUTBOX_CREATE) && mkdir (dir, 0700) != 0 && errno != EEXIST) {
        s_err (err, errlen, "outbox %s: mkdir: %s", dir, strerror (errno));
        goto out;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        s_err (err, errlen, "outbox: out of memory");
        goto out;
    }
    self->rdonly = (flags & JAD_OUTBOX_RDONLY) != 0;
    self->path = realpath (dir, NULL);
    if (!self->path) {
        s_err (err, errlen, "outbox %s: %s", dir, errno == ENOENT
               ? "no outbox there (no such directory)" : strerror (errno));
        goto out;
    }
    if (stat (self->path, &st) != 0 || !S_ISDIR (st.st_mode)) {
        s_err (err, errlen, "outbox %s: not a directory", dir);
        goto out;
    }
    char datafile[4096];
    snprintf (datafile, sizeof datafile, "%s/data.mdb", self->path);
    int exists = stat (datafile, &st) == 0;
    if (!exists && !(flags & JAD_OUTBOX_CREATE)) {
        s_err (err, errlen, "outbox %s: no outbox there (data.mdb missing)", dir);
        goto out;
    }

    pthread_mutex_lock (&s_registry_lock);
    for (jad_outbox_t *o = s_registry; o; o = o->next)
        if (strcmp (o->path, self->path) == 0)
            registered = -1;
    if (registered == 0) {
        self->next = s_registry;
        s_registry = self;
        registered = 1;
    }
    pthread_mutex_unlock (&s_registry_lock);
    if (registered < 0) {
        registered = 0;
        s_err (err, errlen, "outbox %s is already open in this process", dir);
        goto out;
    }

    unsigned envflags = MDB_NOTLS | (self->rdonly ? MDB_RDONLY : 0);
    if ((rc = mdb_env_create (&self->env))
    ||  (rc = mdb_env_set_maxdbs (self->env, S_MAXDBS))
    ||  (!exists && (rc = mdb_env_set_mapsize (self->env, JAD_OUTBOX_MAPSIZE_DEFAULT)))
    ||  (rc = mdb_env_open (self->env, self->path, envflags, 0600))) {
        s_err (err, errlen, "outbox %s: %s", dir, mdb_strerror (rc));
        goto out;
    }
    /* Reader slots of killed submit processes would pin old pages. */
    int dead = 0;
    mdb_reader_check (self->env, &dead);

    /* Several processes may create the outbox at once: the write
     * transaction serialises them, and only the first finds no incarnation
     * and makes one. */
    rc = s_begin (self, self->rdonly ? MDB_RDONLY : 0, &txn);
    if (rc) {
        s_err (err, errlen, "outbox %s: %s", dir, mdb_strerror (rc));
        goto out;
    }
    unsigned dbflags = (flags & JAD_OUTBOX_CREATE) ? MDB_CREATE : 0;
    const char *dbname = "meta";
    if ((rc = mdb_dbi_open (txn, dbname, dbflags, &self->meta)) == 0) {
        dbname = "queue";
        rc = mdb_dbi_open (txn, dbname, dbflags, &self->queue);
    }
    if (rc == 0) {
        dbname = "refs";
        rc = mdb_dbi_open (txn, dbname, dbflags, &self->refs);
    }
    if (rc == 0) {
        dbname = "rejected";
        rc = mdb_dbi_open (txn, dbname, dbflags, &self->rejected);
    }
    if (rc == MDB_NOTFOUND) {
        s_err (err, errlen, "outbox %s: not a jadhub outbox (no '%s' database)",
               dir, dbname);
        goto out;
    }
    int found = 0;
    if (rc == 0)
        rc = s_load_identity (self, txn, &found);
    MDB_val v;
    if (rc == 0 && found) {
        rc = s_meta_find (self, txn, "schema_version", &v);
        if (rc == 1 && (v.mv_size != 4 || s_get_be32 (v.mv_data) != S_SCHEMA_VERSION)) {
            s_err (err, errlen, "outbox %s: layout version not %u", dir,
                   S_SCHEMA_VERSION);
            goto out;
        }
        rc = rc < 0 ? rc : 0;
    }
    if (rc) {
        s_err (err, errlen, "outbox %s: %s", dir, mdb_strerror (rc));
        goto out;
    }
    if (!found && self->rdonly) {
        s_err (err, errlen, "outbox %s: not initialised (no incarnation)", dir);
        goto out;
    }
    if (!found) {
        uint8_t ver[4];
        s_put_be32 (ver, S_SCHEMA_VERSION);
        randombytes_buf (self->incarnation, sizeof self->incarnation);
        rc = s_meta_put (self, txn, "incarnation", self->incarnation,
                         sizeof self->incarnation);
        if (!rc) rc = s_meta_put64 (self, txn, "next_seq", 1);
        if (!rc) rc = s_meta_put (self, txn, "schema_version", ver, 4);
        if (rc) {
            s_err (err, errlen, "outbox %s: %s", dir, mdb_strerror (rc));
            goto out;
        }
    }
    /* Committing keeps the database handles open, read-only too. */
    rc = mdb_txn_commit (txn);
    txn = NULL;
    if (rc) {
        s_err (err, errlen, "outbox %s: %s", dir, mdb_strerror (rc));
        goto out;
    }
    result = self;
    self = NULL;
out:
    if (txn)
        mdb_txn_abort (txn);
    if (self) {
        if (!registered) {
            if (self->env)
                mdb_env_close (self->env);
            free (self->path);
            free (self);
        }
        else
            jad_outbox_destroy (&self);
    }
    return result;
}

void
jad_outbox_destroy (jad_outbox_t **self_p)
{
    assert (self_p);
    jad_outbox_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&s_registry_lock);
    for (jad_outbox_t **o = &s_registry; *o; o = &(*o)->next)
        if (*o == self) {
            *o = self->next;
            break;
        }
    pthread_mutex_unlock (&s_registry_lock);
    if (self->env)
        mdb_env_close (self->env);
    free (self->path);
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
    if (s_begin (self, MDB_RDONLY, &txn))
        return -1;
    int rc = s_meta_getstr (self, txn, "country", country, 3);
    mdb_txn_abort (txn);
    if (rc)
        return -1;
    return country[0] ? 1 : 0;
}

typedef struct {
    const char *name;           /* meta key */
    const void *value;
    size_t      size;
    const char *what;           /* for the error text */
} s_setonce_t;

/* Put a meta value unless one is there; another value is an error. */
static int
s_setonce_fn (jad_outbox_t *self, MDB_txn *txn, void *ctx,
              char *err, size_t errlen)
{
    s_setonce_t *s = ctx;
    MDB_val v;
    int rc = s_meta_find (self, txn, s->name, &v);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (v.mv_size == s->size && memcmp (v.mv_data, s->value, s->size) == 0)
            return 0;
        if (strcmp (s->name, "operation_id") == 0)
            s_err (err, errlen, "outbox %s belongs to another operation",
                   self->path);
        else
            s_err (err, errlen, "outbox %s belongs to %s %.*s, not %.*s",
                   self->path, s->what, (int) v.mv_size,
                   (const char *) v.mv_data, (int) s->size,
                   (const char *) s->value);
        return -1;
    }
    return s_meta_put (self, txn, s->name, s->value, s->size);
}

int
jad_outbox_set_country (jad_outbox_t *self, const char *cc,
                        char *err, size_t errlen)
{
    assert (self && cc);
    if (strlen (cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z') {
        s_err (err, errlen, "country: two upper-case letters expected");
        return -1;
    }
    s_setonce_t s = { "country", cc, 2, "country" };
    return s_write (self, s_setonce_fn, &s, err, errlen);
}

int
jad_outbox_set_origin (jad_outbox_t *self, const char *origin,
                       char *err, size_t errlen)
{
    assert (self && origin);
    size_t len = strlen (origin);
    if (len == 0 || len > JAD_OUTBOX_ORIGIN_MAX) {
        s_err (err, errlen, "origin: 1 to %d characters expected",
               JAD_OUTBOX_ORIGIN_MAX);
        return -1;
    }
    s_setonce_t s = { "origin", origin, len, "origin" };
    if (s_write (self, s_setonce_fn, &s, err, errlen))
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
    if (s_write (self, s_setonce_fn, &s, err, errlen))
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
    jad_outbox_item_t *items;
    size_t n;
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
s_submit_fn (jad_outbox_t *self, MDB_txn *txn, void *ctx,
             char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_submit_t *s = ctx;
    uint64_t next_seq, accepted;
    int rc = s_meta_get64 (self, txn, "next_seq", 1, &next_seq);
    if (!rc)
        rc = s_meta_get64 (self, txn, "accepted", 0, &accepted);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        jad_outbox_item_t *item = &s->items[i];
        uint8_t seqbuf[8];
        s_put_be64 (seqbuf, next_seq);
        if (item->ref && item->ref[0]) {
            uint8_t keybuf[S_REF_RAW_MAX + 1];
            MDB_val k = { s_ref_key (keybuf, item->ref), keybuf };
            MDB_val v = { 8, seqbuf };
            /* Items earlier in this batch are already in `refs`. */
            rc = mdb_put (txn, self->refs, &k, &v, MDB_NOOVERWRITE);
            if (rc == MDB_KEYEXIST) {
                if (v.mv_size != 8)
                    return MDB_CORRUPTED;
                item->status = JAD_OUTBOX_DUPLICATE;
                item->origin_seq = s_get_be64 (v.mv_data);
                rc = 0;
                continue;
            }
            if (rc)
                break;
        }
        MDB_val k = { 8, seqbuf };
        MDB_val v = { 1 + 8 + item->report_len, NULL };
        /* next_seq is above every key ever stored, so APPEND holds. */
        rc = mdb_put (txn, self->queue, &k, &v, MDB_APPEND | MDB_RESERVE);
        if (rc)
            break;
        uint8_t *p = v.mv_data;
        p[0] = S_TAG_UNSEALED;
        s_put_be64 (p + 1, (uint64_t) item->event_time_ms);
        memcpy (p + 9, item->report, item->report_len);
        item->status = JAD_OUTBOX_ACCEPTED;
        item->origin_seq = next_seq++;
        accepted++;
    }
    if (!rc)
        rc = s_meta_put64 (self, txn, "next_seq", next_seq);
    if (!rc)
        rc = s_meta_put64 (self, txn, "accepted", accepted);
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
    return s_write (self, s_submit_fn, &s, err, errlen);
}

/* ------------------------------------------------------------ daemon */

int
jad_outbox_last (jad_outbox_t *self, uint64_t *seq_p)
{
    assert (self && seq_p);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    *seq_p = 0;
    int rc = s_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return -1;
    rc = mdb_cursor_open (txn, self->queue, &cur);
    if (rc == 0) {
        rc = mdb_cursor_get (cur, &k, &v, MDB_LAST);
        if (rc == 0 && k.mv_size == 8)
            *seq_p = s_get_be64 (k.mv_data);
        else
        if (rc == 0)
            rc = MDB_CORRUPTED;
        else
        if (rc == MDB_NOTFOUND)
            rc = 0;
        mdb_cursor_close (cur);
    }
    mdb_txn_abort (txn);
    return rc ? -1 : 0;
}

/* Split a stored queue record into REC.  0, or -1 when it is malformed. */
static int
s_record (const MDB_val *k, const MDB_val *v, jad_outbox_record_t *rec)
{
    const uint8_t *p = v->mv_data;
    if (k->mv_size != 8 || v->mv_size < 1)
        return -1;
    memset (rec, 0, sizeof *rec);
    rec->origin_seq = s_get_be64 (k->mv_data);
    if (p[0] == S_TAG_SEALED) {
        rec->sealed = 1;
        rec->data = p + 1;
        rec->len = v->mv_size - 1;
        return 0;
    }
    if (p[0] == S_TAG_UNSEALED && v->mv_size >= 9) {
        rec->event_time_ms = (int64_t) s_get_be64 (p + 1);
        rec->data = p + 9;
        rec->len = v->mv_size - 9;
        return 0;
    }
    return -1;
}

#define S_SEAL_MAX 4096         /* records sealed per call at most */

typedef struct {
    size_t   max;               /* records to seal at most */
    uint64_t seqs[S_SEAL_MAX];  /* found unsealed in the first pass */
    size_t   n;
    uint64_t hint;              /* out: last record known sealed */
} s_seal_t;

static int
s_seal_fn (jad_outbox_t *self, MDB_txn *txn, void *ctx,
           char *err, size_t errlen)
{
    s_seal_t *s = ctx;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    uint8_t keybuf[8];
    s->n = 0;
    s->hint = self->seal_hint;
    /* First pass: which records to seal.  A second pass puts them, so no
     * cursor is walking the tree while it changes. */
    int rc = mdb_cursor_open (txn, self->queue, &cur);
    if (rc)
        return rc;
    s_put_be64 (keybuf, self->seal_hint + 1);
    k.mv_size = 8;
    k.mv_data = keybuf;
    rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && s->n < s->max) {
        jad_outbox_record_t rec;
        if (s_record (&k, &v, &rec)) {
            rc = MDB_CORRUPTED;
            break;
        }
        if (!rec.sealed)
            s->seqs[s->n++] = rec.origin_seq;
        else
        if (s->n == 0)
            s->hint = rec.origin_seq;
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close (cur);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        jad_outbox_record_t rec;
        s_put_be64 (keybuf, s->seqs[i]);
        k.mv_size = 8;
        k.mv_data = keybuf;
        rc = mdb_get (txn, self->queue, &k, &v);
        if (rc)
            break;
        if (s_record (&k, &v, &rec)) {
            rc = MDB_CORRUPTED;
            break;
        }
        Jad__Envelope env = JAD__ENVELOPE__INIT;
        env.has_version = 1;
        env.version = JAD_SCHEMA_VERSION;
        env.has_operation_id = 1;
        env.operation_id.data = self->operation_id;
        env.operation_id.len = JAD_ID_BYTES;
        env.origin = self->origin;
        env.has_incarnation = 1;
        env.incarnation.data = self->incarnation;
        env.incarnation.len = JAD_ID_BYTES;
        env.has_origin_seq = 1;
        env.origin_seq = rec.origin_seq;
        env.has_event_time_ms = 1;
        env.event_time_ms = rec.event_time_ms;
        env.has_report = 1;
        env.report.data = (uint8_t *) rec.data;
        env.report.len = rec.len;
        /* Sign once, here: the signature travels in the sealed bytes, so
         * every resend carries the same one. */
        uint8_t sig[JAD_SIGN_BYTES], key_id[JAD_KEY_ID_BYTES];
        size_t mlen = 0;
        uint8_t *msg = jad_sign_report_bytes (self->operation_id, self->origin,
                                              self->incarnation, rec.origin_seq,
                                              rec.event_time_ms, rec.data,
                                              rec.len, &mlen);
        int signed_ok = msg && jad_keys_sign (self->signer, msg, mlen, sig) == 0;
        free (msg);
        if (!signed_ok) {
            s_err (err, errlen, "outbox %s: cannot sign record %llu",
                   self->path, (unsigned long long) rec.origin_seq);
            return -1;
        }
        memcpy (key_id, jad_keys_key_id (self->signer), sizeof key_id);
        env.has_key_id = 1;
        env.key_id.data = key_id;
        env.key_id.len = sizeof key_id;
        env.has_signature = 1;
        env.signature.data = sig;
        env.signature.len = sizeof sig;
        size_t len = protobuf_c_message_get_packed_size (&env.base);
        if (len + 1 > JAD_FRAME_MAX) {
            s_err (err, errlen, "outbox %s: record %llu too large to send",
                   self->path, (unsigned long long) rec.origin_seq);
            return -1;
        }
        size_t elen;
        uint8_t *buf = jad_wire_encode (&env.base, &elen);
        if (!buf) {
            s_err (err, errlen, "outbox: out of memory");
            return -1;
        }
        MDB_val nv = { 1 + elen, NULL };
        rc = mdb_put (txn, self->queue, &k, &nv, MDB_RESERVE);
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
jad_outbox_seal (jad_outbox_t *self, size_t max, char *err, size_t errlen)
{
    assert (self);
    if (!self->origin[0] || !self->has_operation || !self->signer) {
        s_err (err, errlen, "outbox %s: origin, operation and signing key "
               "must be set before sealing", self->path);
        return -1;
    }
    uint64_t last;
    if (jad_outbox_last (self, &last)) {
        s_err (err, errlen, "outbox %s: cannot read the queue", self->path);
        return -1;
    }
    if (last <= self->seal_hint || max == 0)
        return 0;
    s_seal_t *s = calloc (1, sizeof *s);
    if (!s) {
        s_err (err, errlen, "outbox: out of memory");
        return -1;
    }
    s->max = max < S_SEAL_MAX ? max : S_SEAL_MAX;
    long result = -1;
    if (s_write (self, s_seal_fn, s, err, errlen) == 0) {
        self->seal_hint = s->hint;
        result = (long) s->n;
    }
    free (s);
    return result;
}

long
jad_outbox_scan (jad_outbox_t *self, uint64_t from_seq, size_t max,
                 jad_outbox_scan_fn *fn, void *arg)
{
    assert (self && fn);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    uint8_t keybuf[8];
    long visited = 0;
    if (s_begin (self, MDB_RDONLY, &txn))
        return -1;
    int rc = mdb_cursor_open (txn, self->queue, &cur);
    if (rc == 0) {
        s_put_be64 (keybuf, from_seq);
        k.mv_size = 8;
        k.mv_data = keybuf;
        rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
        while (rc == 0 && (size_t) visited < max) {
            jad_outbox_record_t rec;
            if (s_record (&k, &v, &rec)) {
                rc = MDB_CORRUPTED;
                break;
            }
            visited++;
            if (fn (arg, &rec))
                break;
            rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
        mdb_cursor_close (cur);
    }
    mdb_txn_abort (txn);
    return rc ? -1 : visited;
}

typedef struct {
    const uint64_t *seqs;
    const uint64_t *hub_seqs;
    size_t n;
} s_ack_t;

static int
s_ack_fn (jad_outbox_t *self, MDB_txn *txn, void *ctx,
          char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_ack_t *s = ctx;
    uint64_t last, last_hub, acked;
    int rc = s_meta_get64 (self, txn, "last_acked", 0, &last);
    if (!rc) rc = s_meta_get64 (self, txn, "last_acked_hub_seq", 0, &last_hub);
    if (!rc) rc = s_meta_get64 (self, txn, "acked", 0, &acked);
    int changed = 0;
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        uint8_t keybuf[8];
        s_put_be64 (keybuf, s->seqs[i]);
        MDB_val k = { 8, keybuf };
        rc = mdb_del (txn, self->queue, &k, NULL);
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
        rc = s_meta_put64 (self, txn, "last_acked", last);
        if (!rc) rc = s_meta_put64 (self, txn, "last_acked_hub_seq", last_hub);
        if (!rc) rc = s_meta_put64 (self, txn, "acked", acked);
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
    return s_write (self, s_ack_fn, &s, err, errlen);
}

typedef struct {
    uint64_t    seq;
    uint32_t    code;
    const char *message;
    int         moved;          /* out */
} s_reject_t;

static int
s_reject_fn (jad_outbox_t *self, MDB_txn *txn, void *ctx,
             char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_reject_t *s = ctx;
    uint8_t keybuf[8];
    s_put_be64 (keybuf, s->seq);
    MDB_val k = { 8, keybuf };
    MDB_val v;
    s->moved = 0;
    int rc = mdb_get (txn, self->queue, &k, &v);
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
    rc = mdb_put (txn, self->rejected, &k, &nv, MDB_RESERVE);
    if (rc == 0) {
        uint8_t *p = nv.mv_data;
        s_put_be32 (p, s->code);
        s_put_be32 (p + 4, (uint32_t) mlen);
        if (mlen)
            memcpy (p + 8, s->message, mlen);
        memcpy (p + 8 + mlen, record, rlen);
        rc = mdb_del (txn, self->queue, &k, NULL);
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
    if (s_write (self, s_reject_fn, &s, err, errlen))
        return -1;
    return s.moved;
}

long
jad_outbox_rejected_scan (jad_outbox_t *self, size_t max,
                          jad_outbox_rejected_fn *fn, void *arg)
{
    assert (self && fn);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    long visited = 0;
    if (s_begin (self, MDB_RDONLY, &txn))
        return -1;
    int rc = mdb_cursor_open (txn, self->rejected, &cur);
    if (rc == 0) {
        rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST);
        while (rc == 0 && (size_t) visited < max) {
            const uint8_t *p = v.mv_data;
            if (k.mv_size != 8 || v.mv_size < 8
            ||  s_get_be32 (p + 4) > v.mv_size - 8) {
                rc = MDB_CORRUPTED;
                break;
            }
            uint32_t mlen = s_get_be32 (p + 4);
            char msg[4097];
            memcpy (msg, p + 8, mlen < 4096 ? mlen : 4096);
            msg[mlen < 4096 ? mlen : 4096] = 0;
            visited++;
            if (fn (arg, s_get_be64 (k.mv_data), s_get_be32 (p), msg))
                break;
            rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
        }
        if (rc == MDB_NOTFOUND)
            rc = 0;
        mdb_cursor_close (cur);
    }
    mdb_txn_abort (txn);
    return rc ? -1 : visited;
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
    int rc = s_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return -1;
    rc = mdb_stat (txn, self->queue, &ms);
    if (!rc) {
        st->depth = ms.ms_entries;
        rc = mdb_stat (txn, self->rejected, &ms);
    }
    if (!rc) {
        st->rejected = ms.ms_entries;
        rc = s_meta_get64 (self, txn, "next_seq", 1, &st->next_seq);
    }
    if (!rc) rc = s_meta_get64 (self, txn, "last_acked", 0, &st->last_acked);
    if (!rc) rc = s_meta_get64 (self, txn, "last_acked_hub_seq", 0, &st->last_acked_hub_seq);
    if (!rc) rc = s_meta_get64 (self, txn, "accepted", 0, &st->accepted);
    if (!rc) rc = s_meta_get64 (self, txn, "acked", 0, &st->acked);
    if (!rc) rc = s_meta_getstr (self, txn, "country", st->country, sizeof st->country);
    if (!rc) rc = s_meta_getstr (self, txn, "origin", st->origin, sizeof st->origin);
    if (!rc) {
        rc = s_meta_find (self, txn, "operation_id", &v);
        if (rc == 1 && v.mv_size == JAD_ID_BYTES) {
            st->has_operation = 1;
            memcpy (st->operation_id, v.mv_data, JAD_ID_BYTES);
        }
        rc = rc < 0 ? rc : 0;
    }
    mdb_txn_abort (txn);
    return rc ? -1 : 0;
}

void
jad_outbox_set_signer (jad_outbox_t *self, const jad_keys_t *keys)
{
    self->signer = keys;
}
