/*  journal: the LMDB store of every entry the hub has accepted.
 *  See include/jad/journal.h for the layout and the promises; the LMDB
 *  plumbing (registry, map growth, durability, modes) is lib/store.c's.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/err.h"
#include "jad/journal.h"
#include "jad/envelope.h"
#include "jad/store.h"
#include "jad/wire.h"

#define S_DEDUPE_VAL     (8 + JAD_JOURNAL_HASH_BYTES)
#define S_DEDUPE_KEY_MAX (JAD_JOURNAL_ORIGIN_MAX + 1 + JAD_ID_BYTES + 8)

/* The databases, in the order of s_dbs. */
enum {
    S_DB_ENTRIES,               /* BE hub_seq -> Entry bytes */
    S_DB_DEDUPE,                /* identity -> BE hub_seq || hash */
    S_DB_META,                  /* string key -> value */
    S_DB_CHECKPOINTS,           /* BE hub_seq covered -> Checkpoint bytes */
    S_DB_ROSTERS,               /* BE first hub_seq governed -> RosterRecord */
    S_DB_COUNT
};

static const jad_store_db_t s_dbs[S_DB_COUNT] = {
    [S_DB_ENTRIES]     = { "entries", 0 },
    [S_DB_DEDUPE]      = { "dedupe", 0 },
    [S_DB_META]        = { "meta", 0 },
    /* Side records came with the trust issue: a read-only open of an
     * older journal simply has none. */
    [S_DB_CHECKPOINTS] = { "checkpoints", 1 },
    [S_DB_ROSTERS]     = { "rosters", 1 },
};

static int s_init_fn (jad_store_t *store, MDB_txn *txn, void *arg,
                      char *err, size_t errlen);

/* A journal's directory is readable by its owner's group, whatever the
 * umask: the post-operation tools run as members of the hub's group
 * rather than as the hub's user or root (docs/OPERATIONS.md).  A directory
 * that must stay private is made so by its parent (an agent's data
 * directory is 0700). */
static const jad_store_spec_t s_spec = {
    .kind        = "journal",
    .dbs         = s_dbs,
    .ndbs        = S_DB_COUNT,
    .mapsize     = JAD_JOURNAL_MAPSIZE_DEFAULT,
    .dir_mode    = JAD_STORE_GROUP_DIR_MODE,
    .group_modes = 1,
    .init        = s_init_fn,
};

/* The database of side records of KIND (JAD_JOURNAL_CHECKPOINTS or
 * JAD_JOURNAL_ROSTERS). */
#define S_DB_RECORDS(kind)  (S_DB_CHECKPOINTS + (kind) - JAD_JOURNAL_CHECKPOINTS)

struct _jad_journal_t {
    jad_store_t *store;         /* the environment and its databases */
};

static MDB_dbi
s_dbi (jad_store_t *store, int db)
{
    return jad_store_dbi (store, (size_t) db);
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_hash (uint8_t *out, const uint8_t *buf, size_t len)
{
    crypto_generichash (out, JAD_JOURNAL_HASH_BYTES, buf, len, NULL, 0);
}

/* Build the dedupe key into KEY (S_DEDUPE_KEY_MAX bytes); returns its
 * length, or 0 when ORIGIN is too long or empty. */
static size_t
s_dedupe_key (uint8_t *key, const char *origin, const uint8_t *incarnation,
              uint64_t origin_seq)
{
    size_t olen = strnlen (origin, JAD_JOURNAL_ORIGIN_MAX + 1);
    if (olen == 0 || olen > JAD_JOURNAL_ORIGIN_MAX)
        return 0;
    memcpy (key, origin, olen);
    key[olen] = 0;
    memcpy (key + olen + 1, incarnation, JAD_ID_BYTES);
    jad_store_put_be64 (key + olen + 1 + JAD_ID_BYTES, origin_seq);
    return olen + 1 + JAD_ID_BYTES + 8;
}

/* Last entry in TXN: *HEAD_P its hub_seq (0 when empty) and, when not
 * empty and HASH is not NULL, HASH = BLAKE2b-256 of its bytes.  0 or an
 * LMDB code. */
static int
s_last (jad_store_t *store, MDB_txn *txn, uint64_t *head_p, uint8_t *hash)
{
    MDB_val v;
    int rc = jad_store_last_txn (txn, s_dbi (store, S_DB_ENTRIES), head_p, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc == 0 && hash)
        s_hash (hash, v.mv_data, v.mv_size);
    return rc;
}

/* ------------------------------------------------------------ meta */

static int
s_meta_set_fn (jad_store_t *store, MDB_txn *txn, void *arg,
               char *err, size_t errlen)
{
    (void) err, (void) errlen;
    const jad_journal_meta_t *m = arg;
    MDB_dbi meta = s_dbi (store, S_DB_META);
    int rc = jad_store_meta_put (txn, meta, "operation_name", m->name,
                                 strnlen (m->name, sizeof m->name - 1));
    if (!rc) rc = jad_store_meta_put (txn, meta, "operation_id", m->id, sizeof m->id);
    if (!rc) rc = jad_store_meta_put_u64 (txn, meta, "start_ms", (uint64_t) m->start_ms);
    if (!rc) rc = jad_store_meta_put_u64 (txn, meta, "end_ms", (uint64_t) m->end_ms);
    if (!rc) rc = jad_store_meta_put_u32 (txn, meta, "epoch", m->epoch);
    if (!rc && m->created_ms)
        rc = jad_store_meta_put_u64 (txn, meta, "created_ms", (uint64_t) m->created_ms);
    if (!rc && m->schema_version)
        rc = jad_store_meta_put_u32 (txn, meta, "schema_version", m->schema_version);
    return rc;
}

int
jad_journal_meta_set (jad_journal_t *self, const jad_journal_meta_t *m)
{
    assert (self && m);
    char err[256];
    return jad_store_write (self->store, s_meta_set_fn, (void *) m,
                            err, sizeof err);
}

/* *X = the BE64 meta value NAME as a signed number, 0 when absent. */
static int
s_meta_get_i64 (MDB_txn *txn, MDB_dbi meta, const char *name, int64_t *x)
{
    uint64_t u;
    int rc = jad_store_meta_get_u64 (txn, meta, name, 0, &u);
    *x = (int64_t) u;
    return rc;
}

int
jad_journal_meta_get (jad_journal_t *self, jad_journal_meta_t *m)
{
    assert (self && m);
    MDB_txn *txn = NULL;
    MDB_val v;
    memset (m, 0, sizeof *m);
    if (jad_store_read_begin (self->store, &txn))
        return -1;
    MDB_dbi meta = s_dbi (self->store, S_DB_META);
    int rc = jad_store_meta_get (txn, meta, "operation_name", &v);
    if (rc == 0) {
        size_t n = v.mv_size < sizeof m->name - 1 ? v.mv_size : sizeof m->name - 1;
        memcpy (m->name, v.mv_data, n);
        m->has = 1;
    }
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (!rc) rc = jad_store_meta_get_bytes (txn, meta, "operation_id", m->id,
                                            sizeof m->id);
    if (rc == MDB_NOTFOUND)
        rc = 0;
    if (!rc) rc = s_meta_get_i64 (txn, meta, "start_ms", &m->start_ms);
    if (!rc) rc = s_meta_get_i64 (txn, meta, "end_ms", &m->end_ms);
    if (!rc) rc = s_meta_get_i64 (txn, meta, "created_ms", &m->created_ms);
    if (!rc) rc = jad_store_meta_get_u32 (txn, meta, "schema_version", 0,
                                          &m->schema_version);
    if (!rc) rc = jad_store_meta_get_u32 (txn, meta, "epoch", 0, &m->epoch);
    jad_store_read_end (self->store, &txn);
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------ open, close */

/* The opening transaction's check: a journal of another layout is
 * refused; a writer stamps an unversioned one (new, or made before the
 * version was written) with ours and its creation time.  ARG is the
 * directory as the caller named it. */
static int
s_init_fn (jad_store_t *store, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    const char *dir = arg;
    MDB_dbi meta = s_dbi (store, S_DB_META);
    MDB_val v;
    int rc = jad_store_meta_get (txn, meta, "schema_version", &v);
    if (rc == 0) {
        if (v.mv_size != 4)
            return MDB_CORRUPTED;
        uint32_t version = jad_store_get_be32 (v.mv_data);
        if (version != JAD_JOURNAL_SCHEMA_VERSION) {
            jad_err_set (err, errlen, "journal %s: schema version %u, this build reads %u",
                   dir, version, JAD_JOURNAL_SCHEMA_VERSION);
            return -1;
        }
        return 0;
    }
    if (rc != MDB_NOTFOUND || jad_store_rdonly (store))
        return rc == MDB_NOTFOUND ? 0 : rc;
    rc = jad_store_meta_put_u32 (txn, meta, "schema_version",
                                 JAD_JOURNAL_SCHEMA_VERSION);
    if (!rc)
        rc = jad_store_meta_put_u64 (txn, meta, "created_ms", (uint64_t) s_now_ms ());
    return rc;
}

jad_journal_t *
jad_journal_open (const char *dir, int flags, char *err, size_t errlen)
{
    assert (dir);
    jad_journal_t *self = NULL;

    if (sodium_init () < 0) {
        jad_err_set (err, errlen, "libsodium failed to initialise");
        goto out;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        jad_err_set (err, errlen, "journal: out of memory");
        goto out;
    }
    int sflags = ((flags & JAD_JOURNAL_CREATE) ? JAD_STORE_CREATE : 0)
               | ((flags & JAD_JOURNAL_RDONLY) ? JAD_STORE_RDONLY : 0);
    self->store = jad_store_open (dir, sflags, &s_spec, (void *) dir,
                                  err, errlen);
    if (!self->store) {
        free (self);
        self = NULL;
    }
out:
    return self;
}

jad_journal_t *
jad_journal_find (const char *dir, char *err, size_t errlen)
{
    const char *subdirs[] = { "journal", "mirror", "" };
    for (size_t i = 0; i < 3; i++) {
        char path[4096], data[4200];
        struct stat st;
        snprintf (path, sizeof path, "%s%s%s", dir, *subdirs[i] ? "/" : "",
                  subdirs[i]);
        snprintf (data, sizeof data, "%s/data.mdb", path);
        if (stat (data, &st) == 0)
            return jad_journal_open (path, JAD_JOURNAL_RDONLY, err, errlen);
    }
    jad_err_set (err, errlen, "%s: no journal (neither %s/journal nor %s/mirror)",
           dir, dir, dir);
    return NULL;
}

void
jad_journal_destroy (jad_journal_t **self_p)
{
    assert (self_p);
    jad_journal_t *self = *self_p;
    if (!self)
        return;
    jad_store_destroy (&self->store);
    free (self);
    *self_p = NULL;
}

int
jad_journal_set_mapsize (jad_journal_t *self, size_t bytes,
                         char *err, size_t errlen)
{
    assert (self);
    return jad_store_set_mapsize (self->store, bytes, err, errlen);
}

size_t
jad_journal_mapsize (jad_journal_t *self)
{
    assert (self);
    return jad_store_mapsize (self->store);
}

const char *
jad_journal_path (const jad_journal_t *self)
{
    assert (self);
    return jad_store_path (self->store);
}

/* ------------------------------------------------------------ hub append */

typedef struct {
    jad_journal_item_t *items;  /* the caller's batch, outputs filled in */
    const uint8_t *hashes;      /* n x BLAKE2b-256 of the envelopes */
    size_t n;                   /* its length */
    uint8_t *unreadable;        /* n flags: the item's dedupe record (or the
                                 * entry it names) could not be read in an
                                 * earlier try: DAMAGED, not looked at again */
    int retry;                  /* out: a read failed and marked an item
                                 * unreadable: try the batch again */
} s_append_ctx_t;

/* Write into IT->damage why its dedupe record cannot be taken as it
 * stands: the journal, the key, WHAT, and the command that rebuilds the
 * index from the entries. */
static void s_damage (jad_store_t *store, jad_journal_item_t *it,
                      const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_damage (jad_store_t *store, jad_journal_item_t *it, const char *fmt, ...)
{
    char what[160], inc[2 * JAD_ID_BYTES + 1];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (what, sizeof what, fmt, ap);
    va_end (ap);
    sodium_bin2hex (inc, sizeof inc, it->incarnation, JAD_ID_BYTES);
    const char *path = jad_store_path (store);
    snprintf (it->damage, sizeof it->damage, "journal %s: the dedupe record of "
              "(%.64s, incarnation %s, origin_seq %" PRIu64 ") %s: the index is "
              "damaged; run `jad-journal repair --data %s`", path, it->origin,
              inc, it->origin_seq, what, path);
}

/* Settle item IT, whose dedupe record DV does not show a resend of these
 * very bytes (another hash, an entry past HEAD, a value of another size),
 * by the entry the record names, read in TXN (the entries of this batch
 * included).  Sets IT's status — DUPLICATE (with hub_seq), CONFLICT or
 * DAMAGED — and IT->damage.  Returns 0; -1 with ERR when memory ran out
 * (the batch fails: retry later); or an LMDB code when the entry cannot
 * be read (IT is DAMAGED; LMDB may have marked TXN failed: the caller
 * starts the batch again). */
static int
s_settle (jad_store_t *store, MDB_txn *txn, jad_journal_item_t *it,
          const MDB_val *dv, uint64_t head, char *err, size_t errlen)
{
    char derr[128];
    uint8_t kb[8], stored[JAD_JOURNAL_HASH_BYTES];
    Jad__Entry *entry = NULL;
    jad_envelope_t env = { 0 };
    int rc = 0;

    it->status = JAD_JOURNAL_DAMAGED;
    if (dv->mv_size != S_DEDUPE_VAL) {
        s_damage (store, it, "is %zu bytes, not %d", dv->mv_size, S_DEDUPE_VAL);
        goto out;
    }
    uint64_t seq = jad_store_get_be64 (dv->mv_data);
    const uint8_t *hash = (const uint8_t *) dv->mv_data + 8;
    if (seq == 0 || seq > head) {
        s_damage (store, it, "names entry %" PRIu64 ", past the head %" PRIu64,
                  seq, head);
        goto out;
    }
    jad_store_put_be64 (kb, seq);
    MDB_val k = { 8, kb }, v;
    rc = mdb_get (txn, s_dbi (store, S_DB_ENTRIES), &k, &v);
    if (rc != 0) {
        if (rc == MDB_NOTFOUND)
            s_damage (store, it, "names entry %" PRIu64 ", which is missing", seq);
        else
            s_damage (store, it, "names entry %" PRIu64 ", which cannot be read "
                      "(%s)", seq, mdb_strerror (rc));
        if (rc == MDB_NOTFOUND)
            rc = 0;
        goto out;
    }
    errno = 0;                  /* ENOMEM below must be this decode's */
    entry = jad_wire_entry_decode (v.mv_data, v.mv_size, derr, sizeof derr);
    jad_err_t code = !entry ? (errno == ENOMEM ? JAD_EUNAVAILABLE : JAD_EMALFORMED)
                   : !entry->has_envelope ? JAD_EMALFORMED
                   : jad_envelope_open (entry->envelope.data, entry->envelope.len,
                                        &env, derr, sizeof derr);
    if (code == JAD_EUNAVAILABLE) {
        jad_err_set (err, errlen, "journal: out of memory reading entry %" PRIu64,
                     seq);
        rc = -1;
    }
    else
    if (code != JAD_OK)
        s_damage (store, it, "names entry %" PRIu64 ", which does not decode "
                  "(%s)", seq, entry && !entry->has_envelope ? "no envelope" : derr);
    else
    if (strcmp (env.id.origin, it->origin) != 0
    ||  memcmp (env.id.incarnation, it->incarnation, JAD_ID_BYTES) != 0
    ||  env.id.origin_seq != it->origin_seq)
        s_damage (store, it, "names entry %" PRIu64 ", which holds another "
                  "report (%.64s, origin_seq %" PRIu64 ")", seq, env.id.origin,
                  env.id.origin_seq);
    else
    if (entry->envelope.len == it->envelope_len
    &&  memcmp (entry->envelope.data, it->envelope, it->envelope_len) == 0) {
        /* A resend of what is stored, whatever the record's hash says. */
        it->status = JAD_JOURNAL_DUPLICATE;
        it->hub_seq = seq;
        s_damage (store, it, "holds a hash that is not entry %" PRIu64 "'s, "
                  "which is this very report", seq);
    }
    else {
        /* The same report's identity over other bytes: a real conflict.
         * The record may be damaged as well (its hash none of the two). */
        it->status = JAD_JOURNAL_CONFLICT;
        s_hash (stored, entry->envelope.data, entry->envelope.len);
        if (sodium_memcmp (stored, hash, JAD_JOURNAL_HASH_BYTES) != 0)
            s_damage (store, it, "holds a hash that is not entry %" PRIu64
                      "'s (a conflict all the same: that entry is this "
                      "identity's, with other bytes)", seq);
    }
out:
    jad_envelope_clear (&env);
    jad_wire_free (&entry);
    return rc;
}

static int
s_append_fn (jad_store_t *store, MDB_txn *txn, void *arg,
             char *err, size_t errlen)
{
    s_append_ctx_t *ctx = arg;
    MDB_dbi entries = s_dbi (store, S_DB_ENTRIES);
    MDB_dbi dedupe = s_dbi (store, S_DB_DEDUPE);
    uint8_t prev[JAD_JOURNAL_HASH_BYTES];
    uint8_t kbuf[S_DEDUPE_KEY_MAX];
    uint8_t seqbuf[8];
    uint8_t dval[S_DEDUPE_VAL];
    uint64_t head = 0;
    uint32_t epoch = 0;

    int rc = jad_store_meta_get_u32 (txn, s_dbi (store, S_DB_META), "epoch",
                                     0, &epoch);
    if (!rc)
        rc = s_last (store, txn, &head, prev);
    for (size_t i = 0; rc == 0 && i < ctx->n; i++) {
        jad_journal_item_t *it = &ctx->items[i];
        const uint8_t *hash = ctx->hashes + i * JAD_JOURNAL_HASH_BYTES;
        it->status = 0;
        it->hub_seq = 0;
        free (it->entry);       /* from an attempt redone after MAP_FULL */
        it->entry = NULL;
        it->entry_len = 0;
        if (ctx->unreadable[i]) {
            /* Its DAMAGE stays the one written when the read failed. */
            it->status = JAD_JOURNAL_DAMAGED;
            continue;
        }
        it->damage[0] = '\0';
        MDB_val dk = { s_dedupe_key (kbuf, it->origin, it->incarnation,
                                     it->origin_seq), kbuf };
        MDB_val dv;
        /* Earlier items of this batch are already in the txn, so this
         * also catches a report sent twice within one batch. */
        rc = mdb_get (txn, dedupe, &dk, &dv);
        if (rc == 0) {
            uint64_t seq = dv.mv_size == S_DEDUPE_VAL
                         ? jad_store_get_be64 (dv.mv_data) : 0;
            if (seq >= 1 && seq <= head
            &&  sodium_memcmp ((const uint8_t *) dv.mv_data + 8, hash,
                               JAD_JOURNAL_HASH_BYTES) == 0) {
                it->status = JAD_JOURNAL_DUPLICATE;
                it->hub_seq = seq;
                continue;
            }
            rc = s_settle (store, txn, it, &dv, head, err, errlen);
            if (rc == 0 || rc == -1)
                continue;       /* settled; or the batch fails (memory) */
        }
        else
        if (rc != MDB_NOTFOUND)
            s_damage (store, it, "cannot be read (%s)", mdb_strerror (rc));
        if (rc != MDB_NOTFOUND) {
            /* LMDB marks a transaction failed when it meets a damaged
             * page: take this item out and try the batch again. */
            it->status = JAD_JOURNAL_DAMAGED;
            ctx->unreadable[i] = 1;
            ctx->retry = 1;
            jad_err_set (err, errlen, "%s", it->damage);
            return -1;
        }

        Jad__Entry entry = JAD__ENTRY__INIT;
        entry.has_hub_seq = 1;
        entry.hub_seq = head + 1;
        entry.has_epoch = 1;
        entry.epoch = epoch;
        entry.has_received_ms = 1;
        entry.received_ms = it->received_ms;
        entry.has_envelope = 1;
        entry.envelope.data = (uint8_t *) it->envelope;
        entry.envelope.len = it->envelope_len;
        if (head > 0) {
            entry.has_prev_hash = 1;
            entry.prev_hash.data = prev;
            entry.prev_hash.len = sizeof prev;
        }
        size_t len = 0;
        uint8_t *buf = jad_wire_encode (&entry.base, &len);
        if (!buf) {
            jad_err_set (err, errlen, "journal: out of memory encoding entry");
            return -1;
        }
        jad_store_put_be64 (seqbuf, head + 1);
        MDB_val ek = { 8, seqbuf }, ev = { len, buf };
        rc = mdb_put (txn, entries, &ek, &ev, MDB_APPEND);
        if (rc == 0) {
            memcpy (dval, seqbuf, 8);
            memcpy (dval + 8, hash, JAD_JOURNAL_HASH_BYTES);
            dv.mv_size = sizeof dval;
            dv.mv_data = dval;
            rc = mdb_put (txn, dedupe, &dk, &dv, MDB_NOOVERWRITE);
        }
        if (rc == 0) {
            s_hash (prev, buf, len);
            head++;
            it->status = JAD_JOURNAL_NEW;
            it->hub_seq = head;
            if (it->keep_entry) {
                it->entry = buf;    /* the caller publishes these bytes */
                it->entry_len = len;
                buf = NULL;
            }
        }
        free (buf);
    }
    return rc;
}

int
jad_journal_append (jad_journal_t *self, jad_journal_item_t *items,
                    size_t n, char *err, size_t errlen)
{
    assert (self);
    assert (items || n == 0);
    int rc = -1;
    uint8_t *hashes = NULL;
    uint8_t *unreadable = NULL;

    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const jad_journal_item_t *it = &items[i];
        size_t olen = it->origin ? strnlen (it->origin, JAD_JOURNAL_ORIGIN_MAX + 1) : 0;
        if (olen == 0 || olen > JAD_JOURNAL_ORIGIN_MAX) {
            jad_err_set (err, errlen, "journal: item %zu: origin missing or over %d bytes",
                   i, JAD_JOURNAL_ORIGIN_MAX);
            goto out;
        }
        if (!it->incarnation || !it->envelope || it->envelope_len == 0) {
            jad_err_set (err, errlen, "journal: item %zu: incarnation or envelope missing", i);
            goto out;
        }
    }
    /* Hash outside the write transaction: it is the slow part. */
    hashes = malloc (n * JAD_JOURNAL_HASH_BYTES);
    unreadable = calloc (n, 1);
    if (!hashes || !unreadable) {
        jad_err_set (err, errlen, "journal: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        s_hash (hashes + i * JAD_JOURNAL_HASH_BYTES,
                items[i].envelope, items[i].envelope_len);

    /* Each try that meets an unreadable record takes one more item out:
     * at most N + 1 tries, and none but the first in a sound journal. */
    s_append_ctx_t ctx = { items, hashes, n, unreadable, 0 };
    do {
        ctx.retry = 0;
        rc = jad_store_write (self->store, s_append_fn, &ctx, err, errlen);
    } while (rc != 0 && ctx.retry);
out:
    if (rc != 0)
        for (size_t i = 0; i < n; i++) {
            items[i].status = 0;
            items[i].hub_seq = 0;
            items[i].damage[0] = '\0';
            free (items[i].entry);
            items[i].entry = NULL;
            items[i].entry_len = 0;
        }
    free (unreadable);
    free (hashes);
    return rc;
}

/* ------------------------------------------------------------ mirror append */

typedef struct {
    const uint8_t *const *bufs; /* the entries as received */
    const size_t *lens;         /* their lengths */
    size_t n;                   /* how many */
    int refusal;                /* out: JAD_JOURNAL_E* when the batch is
                                 * refused for what it holds, 0 otherwise */
} s_mirror_ctx_t;

/* Index the envelope of ENTRY in dedupe, if it decodes; a record already
 * there is left alone (the hub decided, the mirror only copies). */
static int
s_mirror_dedupe (MDB_txn *txn, MDB_dbi dedupe, const Jad__Entry *entry)
{
    char derr[128];
    uint8_t kbuf[S_DEDUPE_KEY_MAX];
    uint8_t dval[S_DEDUPE_VAL];
    int rc = 0;

    if (!entry->has_envelope)
        return 0;
    jad_envelope_t env;
    if (jad_envelope_open (entry->envelope.data, entry->envelope.len, &env,
                           derr, sizeof derr) == JAD_OK) {
        MDB_val dk = { s_dedupe_key (kbuf, env.id.origin, env.id.incarnation,
                                     env.id.origin_seq), kbuf };
        if (dk.mv_size > 0) {
            jad_store_put_be64 (dval, entry->hub_seq);
            s_hash (dval + 8, entry->envelope.data, entry->envelope.len);
            MDB_val dv = { sizeof dval, dval };
            rc = mdb_put (txn, dedupe, &dk, &dv, MDB_NOOVERWRITE);
            if (rc == MDB_KEYEXIST)
                rc = 0;
        }
    }
    jad_envelope_clear (&env);
    return rc;
}

static int
s_mirror_fn (jad_store_t *store, MDB_txn *txn, void *arg,
             char *err, size_t errlen)
{
    s_mirror_ctx_t *ctx = arg;
    MDB_dbi entries = s_dbi (store, S_DB_ENTRIES);
    MDB_dbi dedupe = s_dbi (store, S_DB_DEDUPE);
    uint8_t prev[JAD_JOURNAL_HASH_BYTES];
    uint8_t seqbuf[8];
    char derr[128];
    uint64_t head = 0;

    ctx->refusal = 0;
    int rc = s_last (store, txn, &head, prev);
    for (size_t i = 0; rc == 0 && i < ctx->n; i++) {
        Jad__Entry *entry = jad_wire_entry_decode (ctx->bufs[i], ctx->lens[i],
                                                   derr, sizeof derr);
        if (!entry) {
            jad_err_set (err, errlen, "journal: mirror entry %zu (after %llu) "
                   "does not decode: %s", i, (unsigned long long) head, derr);
            ctx->refusal = JAD_JOURNAL_EDECODE;
            return -1;
        }
        if (!entry->has_hub_seq || entry->hub_seq != head + 1) {
            jad_err_set (err, errlen, "journal: mirror entry %zu has hub_seq %llu, "
                   "expected %llu", i, (unsigned long long) entry->hub_seq,
                   (unsigned long long) head + 1);
            ctx->refusal = JAD_JOURNAL_EORDER;
            rc = -1;
        }
        else
        if (head == 0 ? entry->has_prev_hash && entry->prev_hash.len > 0
                      : !entry->has_prev_hash
                        || entry->prev_hash.len != JAD_JOURNAL_HASH_BYTES
                        || sodium_memcmp (entry->prev_hash.data, prev,
                                          JAD_JOURNAL_HASH_BYTES) != 0) {
            jad_err_set (err, errlen, "journal: mirror entry %llu: prev_hash does not "
                   "match entry %llu", (unsigned long long) entry->hub_seq,
                   (unsigned long long) head);
            ctx->refusal = JAD_JOURNAL_EBROKEN;
            rc = -1;
        }
        if (rc == 0) {
            jad_store_put_be64 (seqbuf, head + 1);
            MDB_val k = { 8, seqbuf };
            MDB_val v = { ctx->lens[i], (void *) ctx->bufs[i] };
            rc = mdb_put (txn, entries, &k, &v, MDB_APPEND);
        }
        if (rc == 0)
            rc = s_mirror_dedupe (txn, dedupe, entry);
        if (rc == 0) {
            s_hash (prev, ctx->bufs[i], ctx->lens[i]);
            head++;
        }
        jad_wire_free (&entry);
    }
    return rc;
}

int
jad_journal_append_entries (jad_journal_t *self,
                            const uint8_t *const *bufs, const size_t *lens,
                            size_t n, char *err, size_t errlen)
{
    assert (self);
    assert ((bufs && lens) || n == 0);
    if (n == 0)
        return JAD_JOURNAL_OK;
    s_mirror_ctx_t ctx = { bufs, lens, n, 0 };
    if (jad_store_write (self->store, s_mirror_fn, &ctx, err, errlen) == 0)
        return JAD_JOURNAL_OK;
    return ctx.refusal ? ctx.refusal : JAD_JOURNAL_EIO;
}

/* ------------------------------------------------------------ reads */

int
jad_journal_head (jad_journal_t *self, uint64_t *seq_p)
{
    assert (self && seq_p);
    return jad_store_last (self->store, s_dbi (self->store, S_DB_ENTRIES), seq_p);
}

int
jad_journal_count (jad_journal_t *self, uint64_t *count_p)
{
    assert (self && count_p);
    return jad_store_count (self->store, s_dbi (self->store, S_DB_ENTRIES),
                            count_p);
}

int
jad_journal_dedupe_count (jad_journal_t *self, uint64_t *count_p)
{
    assert (self && count_p);
    return jad_store_count (self->store, s_dbi (self->store, S_DB_DEDUPE),
                            count_p);
}

int
jad_journal_get (jad_journal_t *self, uint64_t seq,
                 uint8_t **buf_p, size_t *len_p)
{
    assert (self && buf_p && len_p);
    return jad_store_get (self->store, s_dbi (self->store, S_DB_ENTRIES), seq,
                          buf_p, len_p);
}

long
jad_journal_scan (jad_journal_t *self, uint64_t from_seq, size_t max,
                  jad_journal_scan_fn *fn, void *arg)
{
    assert (self && fn);
    return jad_store_scan (self->store, s_dbi (self->store, S_DB_ENTRIES),
                           from_seq, max, fn, arg);
}

int
jad_journal_lookup (jad_journal_t *self, const char *origin,
                    const uint8_t *incarnation, uint64_t origin_seq,
                    uint64_t *hub_seq_p, uint8_t *hash)
{
    assert (self && origin && incarnation && hub_seq_p);
    MDB_txn *txn = NULL;
    uint8_t kbuf[S_DEDUPE_KEY_MAX];
    MDB_val k = { s_dedupe_key (kbuf, origin, incarnation, origin_seq), kbuf };
    MDB_val v;
    int result = -1;

    *hub_seq_p = 0;
    if (k.mv_size == 0)
        return 0;               /* no such origin can have been journaled */
    if (jad_store_read_begin (self->store, &txn))
        goto out;
    int rc = mdb_get (txn, s_dbi (self->store, S_DB_DEDUPE), &k, &v);
    if (rc == MDB_NOTFOUND)
        result = 0;
    else
    if (rc == 0 && v.mv_size == S_DEDUPE_VAL) {
        *hub_seq_p = jad_store_get_be64 (v.mv_data);
        if (hash)
            memcpy (hash, (const uint8_t *) v.mv_data + 8, JAD_JOURNAL_HASH_BYTES);
        result = 1;
    }
out:
    jad_store_read_end (self->store, &txn);
    return result;
}

int
jad_journal_stat (jad_journal_t *self, uint64_t *bytes_p)
{
    assert (self && bytes_p);
    return jad_store_file_size (self->store, bytes_p);
}

/* ------------------------------------------------------------ side records */

/* 1 when KIND's database is in the file: a read-only open of a journal
 * made before side records existed has none. */
static int
s_has_records (jad_journal_t *self, int kind)
{
    assert (kind == JAD_JOURNAL_CHECKPOINTS || kind == JAD_JOURNAL_ROSTERS);
    return jad_store_has_db (self->store, S_DB_RECORDS (kind));
}

typedef struct {
    int            kind;        /* JAD_JOURNAL_CHECKPOINTS or _ROSTERS */
    uint64_t       seq;         /* its key */
    const uint8_t *buf;         /* the record's bytes */
    size_t         len;
} s_record_put_t;

static int
s_record_put_fn (jad_store_t *store, MDB_txn *txn, void *arg,
                 char *err, size_t errlen)
{
    (void) err, (void) errlen;
    s_record_put_t *put = arg;
    uint8_t kb[8];
    jad_store_put_be64 (kb, put->seq);
    MDB_val k = { 8, kb }, v = { put->len, (void *) put->buf };
    return mdb_put (txn, s_dbi (store, S_DB_RECORDS (put->kind)), &k, &v, 0);
}

int
jad_journal_record_put (jad_journal_t *self, int kind, uint64_t seq,
                        const uint8_t *buf, size_t len,
                        char *err, size_t errlen)
{
    assert (self);
    if (!s_has_records (self, kind)) {
        jad_err_set (err, errlen, "journal %s has no side records",
               jad_store_path (self->store));
        return -1;
    }
    /* The same record again (a roster every catch-up answer carries, a
     * checkpoint resent) costs a read, not a durable commit. */
    uint8_t *have = NULL;
    size_t have_len = 0;
    int same = jad_store_get (self->store, s_dbi (self->store, S_DB_RECORDS (kind)),
                              seq, &have, &have_len) == 1
            && have_len == len && memcmp (have, buf, len) == 0;
    free (have);
    if (same)
        return 0;
    s_record_put_t put = { kind, seq, buf, len };
    return jad_store_write (self->store, s_record_put_fn, &put, err, errlen);
}

long
jad_journal_record_scan (jad_journal_t *self, int kind, uint64_t from_seq,
                         size_t max, jad_journal_scan_fn *fn, void *arg)
{
    assert (self && fn);
    if (!s_has_records (self, kind))
        return 0;
    return jad_store_scan (self->store, s_dbi (self->store, S_DB_RECORDS (kind)),
                           from_seq, max, fn, arg);
}

int
jad_journal_record_last (jad_journal_t *self, int kind, uint64_t *seq_p)
{
    assert (self && seq_p);
    *seq_p = 0;
    if (!s_has_records (self, kind))
        return 0;
    return jad_store_last (self->store, s_dbi (self->store, S_DB_RECORDS (kind)),
                           seq_p);
}

int
jad_journal_record_floor (jad_journal_t *self, int kind, uint64_t seq,
                          uint64_t *key_p)
{
    assert (self && key_p);
    *key_p = 0;
    if (!s_has_records (self, kind))
        return 0;
    return jad_store_floor (self->store, s_dbi (self->store, S_DB_RECORDS (kind)),
                            seq, key_p);
}

typedef struct {
    uint64_t key;
    uint8_t *buf;
    size_t   len;
    int      oom;
} s_record_copy_t;

static int
s_record_copy_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_record_copy_t *copy = arg;
    copy->key = seq;
    copy->buf = malloc (len ? len : 1);
    if (copy->buf) {
        memcpy (copy->buf, buf, len);
        copy->len = len;
    }
    else
        copy->oom = 1;
    return 1;
}

int
jad_journal_record_next (jad_journal_t *self, int kind, uint64_t from_seq,
                         uint64_t *key_p, uint8_t **buf_p, size_t *len_p)
{
    assert (self && key_p && buf_p && len_p);
    s_record_copy_t copy = { 0, NULL, 0, 0 };
    long n = jad_journal_record_scan (self, kind, from_seq, 1, s_record_copy_fn,
                                      &copy);
    *key_p = copy.key;
    *buf_p = copy.buf;
    *len_p = copy.len;
    if (n < 0 || copy.oom) {
        free (copy.buf);
        *buf_p = NULL;
        *len_p = 0;
        return -1;
    }
    return n == 1;
}

int
jad_journal_hash (jad_journal_t *self, uint64_t seq, uint8_t *hash)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int found = jad_journal_get (self, seq, &buf, &len);
    if (found == 1)
        s_hash (hash, buf, len);
    free (buf);
    return found;
}

void
jad_journal_trim (jad_journal_t *self)
{
    assert (self);
    jad_store_trim (self->store);
}

/* ------------------------------------------------------------ audit reads */

/* The state a read's LMDB code means: a missing key, or a page LMDB
 * cannot read (any other failure of a read inside a transaction that
 * began: the page is what it was reading). */
static int
s_read_state (int rc)
{
    return rc == 0 ? JAD_JOURNAL_PRESENT
         : rc == MDB_NOTFOUND ? JAD_JOURNAL_ABSENT : JAD_JOURNAL_UNREADABLE;
}

long
jad_journal_walk (jad_journal_t *self, uint64_t from, uint64_t to,
                  size_t max, jad_journal_walk_fn *fn, void *arg)
{
    assert (self && fn);
    MDB_dbi entries = s_dbi (self->store, S_DB_ENTRIES);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    long visited = 0;

    for (uint64_t seq = from; seq <= to && (size_t) visited < max; seq++) {
        if (!txn && (jad_store_read_begin (self->store, &txn) != 0
                     || mdb_cursor_open (txn, entries, &cur) != 0)) {
            visited = -1;
            break;
        }
        uint8_t kb[8];
        jad_store_put_be64 (kb, seq);
        MDB_val k = { 8, kb }, v = { 0, NULL };
        /* MDB_SET_KEY is an exact search: from the cursor's page when the
         * key is on it, else from the root — never a step to a sibling. */
        int rc = mdb_cursor_get (cur, &k, &v, MDB_SET_KEY);
        int state = s_read_state (rc);
        if (state == JAD_JOURNAL_UNREADABLE) {
            /* LMDB fails every later call in this transaction */
            mdb_cursor_close (cur);
            cur = NULL;
            jad_store_read_end (self->store, &txn);
        }
        visited++;
        int stop = fn (arg, seq, state, state == JAD_JOURNAL_PRESENT ? v.mv_data : NULL,
                       state == JAD_JOURNAL_PRESENT ? v.mv_size : 0,
                       state == JAD_JOURNAL_UNREADABLE ? rc : 0);
        if (stop || seq == UINT64_MAX)
            break;
    }
    if (cur)
        mdb_cursor_close (cur);
    jad_store_read_end (self->store, &txn);
    return visited;
}

int
jad_journal_census (jad_journal_t *self, jad_journal_census_t *c)
{
    assert (self && c);
    MDB_txn *txn = NULL;
    MDB_stat st;
    memset (c, 0, sizeof *c);
    if (jad_store_read_begin (self->store, &txn) != 0)
        return -1;
    int rc = mdb_stat (txn, s_dbi (self->store, S_DB_ENTRIES), &st);
    if (rc == 0) {
        c->entries = st.ms_entries;
        rc = mdb_stat (txn, s_dbi (self->store, S_DB_DEDUPE), &st);
    }
    if (rc == 0) {
        c->dedupe = st.ms_entries;
        /* Last, since a damaged last page fails the transaction. */
        int last = jad_store_last_txn (txn, s_dbi (self->store, S_DB_ENTRIES),
                                       &c->head, NULL);
        c->head_rc = last == MDB_NOTFOUND ? 0 : last;
        if (last != 0)
            c->head = 0;
    }
    MDB_envinfo info;
    if (rc == 0 && mdb_env_info (mdb_txn_env (txn), &info) == 0
    &&  mdb_env_stat (mdb_txn_env (txn), &st) == 0) {
        c->page_size = st.ms_psize;
        c->last_page_end = ((uint64_t) info.me_last_pgno + 1) * st.ms_psize;
    }
    jad_store_read_end (self->store, &txn);
    if (rc == 0 && jad_store_file_size (self->store, &c->file_bytes) != 0)
        c->file_bytes = c->last_page_end;
    return rc == 0 ? 0 : -1;
}

/* The dedupe key of an origin given with its length (as peeled from an
 * envelope); 0 when it cannot be one (empty, too long, a NUL in it). */
static size_t
s_dedupe_key_n (uint8_t *key, const uint8_t *origin, size_t olen,
                const uint8_t *incarnation, uint64_t origin_seq)
{
    if (olen == 0 || olen > JAD_JOURNAL_ORIGIN_MAX || memchr (origin, 0, olen))
        return 0;
    memcpy (key, origin, olen);
    key[olen] = 0;
    memcpy (key + olen + 1, incarnation, JAD_ID_BYTES);
    jad_store_put_be64 (key + olen + 1 + JAD_ID_BYTES, origin_seq);
    return olen + 1 + JAD_ID_BYTES + 8;
}

int
jad_journal_lookup_many (jad_journal_t *self, jad_journal_ident_t *q, size_t n)
{
    assert (self && (q || n == 0));
    MDB_dbi dedupe = s_dbi (self->store, S_DB_DEDUPE);
    MDB_txn *txn = NULL;
    uint8_t kbuf[S_DEDUPE_KEY_MAX];
    int result = 0;

    for (size_t i = 0; i < n; i++) {
        jad_journal_ident_t *it = &q[i];
        it->state = JAD_JOURNAL_ABSENT;
        it->lmdb_rc = 0;
        it->hub_seq = 0;
        MDB_val k = { 0, kbuf }, v;
        if (it->origin_len && it->incarnation)
            k.mv_size = s_dedupe_key_n (kbuf, it->origin, it->origin_len,
                                        it->incarnation, it->origin_seq);
        if (k.mv_size == 0)
            continue;
        if (!txn && jad_store_read_begin (self->store, &txn) != 0) {
            result = -1;
            break;
        }
        int rc = mdb_get (txn, dedupe, &k, &v);
        it->state = s_read_state (rc);
        if (it->state == JAD_JOURNAL_PRESENT && v.mv_size != S_DEDUPE_VAL)
            it->state = JAD_JOURNAL_MALFORMED;
        else
        if (it->state == JAD_JOURNAL_PRESENT) {
            it->hub_seq = jad_store_get_be64 (v.mv_data);
            memcpy (it->hash, (const uint8_t *) v.mv_data + 8, JAD_JOURNAL_HASH_BYTES);
        }
        else
        if (it->state == JAD_JOURNAL_UNREADABLE) {
            it->lmdb_rc = rc;
            jad_store_read_end (self->store, &txn);
        }
    }
    jad_store_read_end (self->store, &txn);
    return result;
}

long
jad_journal_dedupe_scan (jad_journal_t *self, const uint8_t *after,
                         size_t after_len, size_t max,
                         jad_journal_dedupe_fn *fn, void *arg)
{
    assert (self && fn);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k = { after_len, (void *) after }, v;
    long visited = -1;

    if (jad_store_read_begin (self->store, &txn) != 0
    ||  mdb_cursor_open (txn, s_dbi (self->store, S_DB_DEDUPE), &cur) != 0)
        goto out;
    int rc = after && after_len ? mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE)
                                : mdb_cursor_get (cur, &k, &v, MDB_FIRST);
    if (rc == 0 && after && after_len && k.mv_size == after_len
    &&  memcmp (k.mv_data, after, after_len) == 0)
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    long n = 0;
    while (rc == 0 && (size_t) n < max) {
        n++;
        if (fn (arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size))
            break;
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    if (rc == 0 || rc == MDB_NOTFOUND)
        visited = n;
out:
    if (cur)
        mdb_cursor_close (cur);
    jad_store_read_end (self->store, &txn);
    return visited;
}

int
jad_journal_dedupe_key_split (const uint8_t *key, size_t len, char *origin,
                              uint8_t *incarnation, uint64_t *origin_seq_p)
{
    assert (key && origin && incarnation && origin_seq_p);
    if (len < 1 + 1 + JAD_ID_BYTES + 8 || len > S_DEDUPE_KEY_MAX)
        return -1;
    size_t olen = len - 1 - JAD_ID_BYTES - 8;
    if (key[olen] != 0 || memchr (key, 0, olen))
        return -1;
    memcpy (origin, key, olen);
    origin[olen] = 0;
    memcpy (incarnation, key + olen + 1, JAD_ID_BYTES);
    *origin_seq_p = jad_store_get_be64 (key + olen + 1 + JAD_ID_BYTES);
    return 0;
}

typedef struct {
    uint64_t records;           /* out: records written */
    uint64_t dup_seq, dup_of;   /* out: a second entry of one identity */
    int      refusal;           /* out: JAD_JOURNAL_EDUPLICATE, _EDECODE, 0 */
} s_rebuild_t;

/* The rebuild's write transaction: empty dedupe, then walk the entries
 * (a cursor over entries while writing dedupe: another database) and
 * index each envelope that opens.  Redone from scratch after MAP_FULL. */
static int
s_rebuild_fn (jad_store_t *store, MDB_txn *txn, void *arg,
              char *err, size_t errlen)
{
    s_rebuild_t *rb = arg;
    MDB_dbi dedupe = s_dbi (store, S_DB_DEDUPE);
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    char derr[128];
    uint8_t kbuf[S_DEDUPE_KEY_MAX];
    uint8_t dval[S_DEDUPE_VAL];

    rb->records = rb->dup_seq = rb->dup_of = 0;
    rb->refusal = 0;
    int rc = mdb_drop (txn, dedupe, 0);
    if (rc == 0)
        rc = mdb_cursor_open (txn, s_dbi (store, S_DB_ENTRIES), &cur);
    if (rc == 0)
        rc = mdb_cursor_get (cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        uint64_t seq = k.mv_size == 8 ? jad_store_get_be64 (k.mv_data) : 0;
        Jad__Entry *entry = jad_wire_entry_decode (v.mv_data, v.mv_size,
                                                   derr, sizeof derr);
        if (!entry || seq == 0) {
            jad_err_set (err, errlen, "journal: entry %llu does not decode: %s",
                         (unsigned long long) seq, entry ? "bad key" : derr);
            rb->refusal = JAD_JOURNAL_EDECODE;
            jad_wire_free (&entry);
            rc = -1;
            break;
        }
        jad_envelope_t env = { 0 };
        if (entry->has_envelope
        &&  jad_envelope_open (entry->envelope.data, entry->envelope.len, &env,
                               derr, sizeof derr) == JAD_OK) {
            MDB_val dk = { s_dedupe_key (kbuf, env.id.origin, env.id.incarnation,
                                         env.id.origin_seq), kbuf };
            if (dk.mv_size > 0) {
                jad_store_put_be64 (dval, seq);
                s_hash (dval + 8, entry->envelope.data, entry->envelope.len);
                MDB_val dv = { sizeof dval, dval };
                rc = mdb_put (txn, dedupe, &dk, &dv, MDB_NOOVERWRITE);
                if (rc == MDB_KEYEXIST) {
                    rb->dup_of = jad_store_get_be64 (dv.mv_data);
                    rb->dup_seq = seq;
                    rb->refusal = JAD_JOURNAL_EDUPLICATE;
                    jad_err_set (err, errlen, "journal: hub_seq %llu carries the "
                                 "identity of hub_seq %llu (%s, origin_seq %llu)",
                                 (unsigned long long) seq,
                                 (unsigned long long) rb->dup_of, env.id.origin,
                                 (unsigned long long) env.id.origin_seq);
                    rc = -1;
                }
                else
                if (rc == 0)
                    rb->records++;
            }
        }
        jad_envelope_clear (&env);
        jad_wire_free (&entry);
        if (rc == 0)
            rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    if (cur)
        mdb_cursor_close (cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int
jad_journal_dedupe_rebuild (jad_journal_t *self, uint64_t *records_p,
                            uint64_t *dup_seq_p, uint64_t *dup_of_p,
                            char *err, size_t errlen)
{
    assert (self);
    s_rebuild_t rb = { 0 };
    int rc = jad_store_write (self->store, s_rebuild_fn, &rb, err, errlen);
    if (records_p)
        *records_p = rc == 0 ? rb.records : 0;
    if (dup_seq_p)
        *dup_seq_p = rb.dup_seq;
    if (dup_of_p)
        *dup_of_p = rb.dup_of;
    if (rc == 0)
        return JAD_JOURNAL_OK;
    return rb.refusal ? rb.refusal : JAD_JOURNAL_EIO;
}
