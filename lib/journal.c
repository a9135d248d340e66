/*  journal: the LMDB store of every entry the hub has accepted.
 *  See include/jad/journal.h for the layout and the promises.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/journal.h"
#include "jad/wire.h"

#define S_MAXDBS         8      /* entries, dedupe, meta, room for indexes */
#define S_GROW_TRIES     24     /* doublings before a full map is an error */
#define S_READER_CHECK   1024   /* commits between two mdb_reader_check */
#define S_DEDUPE_VAL     (8 + JAD_JOURNAL_HASH_BYTES)
#define S_DEDUPE_KEY_MAX (JAD_JOURNAL_ORIGIN_MAX + 1 + JAD_ID_BYTES + 8)

/* Modes of a journal's directory and files, whatever the umask: the owner's
 * group may read the journal, and may write the lock file because an LMDB
 * reader, even MDB_RDONLY, registers itself there.  So the post-operation
 * tools run as members of the hub's group rather than as the hub's user or
 * root (docs/OPERATIONS.md).  Others get nothing; a directory that must stay
 * private is made so by its parent (an agent's data directory is 0700). */
#define S_MODE_DIR       0750
#define S_MODE_DATA      0640
#define S_MODE_LOCK      0660

struct _jad_journal_t {
    MDB_env *env;               /* one per directory per process */
    MDB_dbi entries;            /* BE hub_seq -> Entry bytes */
    MDB_dbi dedupe;             /* identity -> BE hub_seq || hash */
    MDB_dbi meta;               /* string key -> value */
    MDB_dbi records[3];         /* [kind]: BE seq -> checkpoint / roster */
    int has_records[3];         /* the database exists in this file */
    int rdonly;                 /* opened with JAD_JOURNAL_RDONLY */
    char *path;                 /* realpath of the directory, registry key */
    char *datafile;             /* path of data.mdb, for jad_journal_stat */
    /* Every transaction holds this for reading; changing the map size
     * holds it for writing, because LMDB requires that no transaction be
     * open in the process while the map is resized. */
    pthread_rwlock_t lock;
    unsigned commits;           /* since the last mdb_reader_check */
    jad_journal_t *next;        /* registry of open directories */
};

/* Directories open in this process: LMDB must not open one env twice. */
static pthread_mutex_t s_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static jad_journal_t *s_registry = NULL;

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
    s_put_be64 (key + olen + 1 + JAD_ID_BYTES, origin_seq);
    return olen + 1 + JAD_ID_BYTES + 8;
}

/* Give the directory, data.mdb and lock.mdb their S_MODE_*, whatever the
 * umask they were created under, and whatever mode an older build gave
 * them.  Only a writer does it: it is normally the owner; a writer that is
 * not cannot change the modes (EPERM), and the files keep theirs, which
 * costs readers in the group access but nothing else, so it is not an
 * error. */
static void
s_force_modes (jad_journal_t *self)
{
    char lockfile[PATH_MAX];
    snprintf (lockfile, sizeof lockfile, "%s/lock.mdb", self->path);
    int fd = -1;
    if (mdb_env_get_fd (self->env, &fd) == 0 && fd >= 0)
        (void) fchmod (fd, S_MODE_DATA);
    (void) chmod (lockfile, S_MODE_LOCK);
    (void) chmod (self->path, S_MODE_DIR);
}

/* ------------------------------------------------------------ transactions */

/* Set the map size to SIZE (0: adopt the size another process set). */
static int
s_set_mapsize (jad_journal_t *self, size_t size)
{
    pthread_rwlock_wrlock (&self->lock);
    int rc = mdb_env_set_mapsize (self->env, size);
    pthread_rwlock_unlock (&self->lock);
    return rc;
}

/* Begin a transaction with the lock held for reading.  A map grown by
 * another process is adopted and the begin retried.  On error the lock is
 * not held. */
static int
s_begin (jad_journal_t *self, unsigned flags, MDB_txn **txn_p)
{
    for (int tries = 0; ; tries++) {
        pthread_rwlock_rdlock (&self->lock);
        int rc = mdb_txn_begin (self->env, NULL, flags, txn_p);
        if (rc == 0)
            return 0;
        pthread_rwlock_unlock (&self->lock);
        if (rc != MDB_MAP_RESIZED || tries >= 3)
            return rc;
        rc = s_set_mapsize (self, 0);
        if (rc)
            return rc;
    }
}

static void
s_abort (jad_journal_t *self, MDB_txn **txn_p)
{
    if (*txn_p) {
        mdb_txn_abort (*txn_p);
        *txn_p = NULL;
        pthread_rwlock_unlock (&self->lock);
    }
}

static int
s_commit (jad_journal_t *self, MDB_txn **txn_p)
{
    int rc = mdb_txn_commit (*txn_p);   /* frees the txn even on error */
    *txn_p = NULL;
    pthread_rwlock_unlock (&self->lock);
    return rc;
}

/* The body of a write transaction: returns 0, an LMDB code (MDB_MAP_FULL
 * makes s_write grow the map and call it again from scratch), or -1 with
 * ERR already written. */
typedef int (s_write_fn) (jad_journal_t *self, MDB_txn *txn, void *ctx,
                          char *err, size_t errlen);

/* Run FN in a write transaction and commit it durably; a full map is
 * doubled and the whole transaction redone, which is safe because nothing
 * of it was committed, so nothing was acknowledged.  0 or -1 with ERR. */
static int
s_write (jad_journal_t *self, s_write_fn *fn, void *ctx,
         char *err, size_t errlen)
{
    if (self->rdonly) {
        s_err (err, errlen, "journal %s is open read-only", self->path);
        return -1;
    }
    for (int tries = 0; ; tries++) {
        MDB_txn *txn = NULL;
        int rc = s_begin (self, 0, &txn);
        if (rc == 0) {
            rc = fn (self, txn, ctx, err, errlen);
            if (rc == 0)
                rc = s_commit (self, &txn);
            else
                s_abort (self, &txn);
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
            s_err (err, errlen, "journal %s: %s", self->path, mdb_strerror (rc));
            return -1;
        }
        MDB_envinfo info;
        mdb_env_info (self->env, &info);
        size_t bigger = info.me_mapsize * 2;
        if (bigger < info.me_mapsize
        ||  (rc = s_set_mapsize (self, bigger)) != 0) {
            s_err (err, errlen, "journal %s: cannot grow map beyond %zu bytes: %s",
                   self->path, info.me_mapsize,
                   bigger < info.me_mapsize ? "overflow" : mdb_strerror (rc));
            return -1;
        }
    }
}

/* Last entry in TXN: *HEAD_P its hub_seq (0 when empty) and, when not
 * empty and HASH is not NULL, HASH = BLAKE2b-256 of its bytes. */
static int
s_last (jad_journal_t *self, MDB_txn *txn, uint64_t *head_p, uint8_t *hash)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int rc = mdb_cursor_open (txn, self->entries, &cur);
    if (rc)
        return rc;
    rc = mdb_cursor_get (cur, &k, &v, MDB_LAST);
    if (rc == MDB_NOTFOUND) {
        *head_p = 0;
        rc = 0;
    }
    else
    if (rc == 0) {
        if (k.mv_size != 8)
            rc = MDB_CORRUPTED;
        else {
            *head_p = s_get_be64 (k.mv_data);
            if (hash)
                s_hash (hash, v.mv_data, v.mv_size);
        }
    }
    mdb_cursor_close (cur);
    return rc;
}

/* ------------------------------------------------------------ meta */

static int
s_meta_put (jad_journal_t *self, MDB_txn *txn, const char *name,
            const void *data, size_t size)
{
    MDB_val k = { strlen (name), (void *) name };
    MDB_val v = { size, (void *) data };
    return mdb_put (txn, self->meta, &k, &v, 0);
}

static int
s_meta_put64 (jad_journal_t *self, MDB_txn *txn, const char *name, int64_t x)
{
    uint8_t b[8];
    s_put_be64 (b, (uint64_t) x);
    return s_meta_put (self, txn, name, b, 8);
}

static int
s_meta_put32 (jad_journal_t *self, MDB_txn *txn, const char *name, uint32_t x)
{
    uint8_t b[4];
    s_put_be32 (b, x);
    return s_meta_put (self, txn, name, b, 4);
}

/* Look NAME up; 1 found with *V, 0 not found, or an LMDB code < 0. */
static int
s_meta_find (jad_journal_t *self, MDB_txn *txn, const char *name, MDB_val *v)
{
    MDB_val k = { strlen (name), (void *) name };
    int rc = mdb_get (txn, self->meta, &k, v);
    return rc == 0 ? 1 : rc == MDB_NOTFOUND ? 0 : rc;
}

static int
s_meta_get32 (jad_journal_t *self, MDB_txn *txn, const char *name,
              uint32_t *x, int *found)
{
    MDB_val v;
    int rc = s_meta_find (self, txn, name, &v);
    *found = 0;
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (v.mv_size != 4)
            return MDB_CORRUPTED;
        *x = s_get_be32 (v.mv_data);
        *found = 1;
    }
    return 0;
}

static int
s_meta_get64 (jad_journal_t *self, MDB_txn *txn, const char *name, int64_t *x)
{
    MDB_val v;
    int rc = s_meta_find (self, txn, name, &v);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        if (v.mv_size != 8)
            return MDB_CORRUPTED;
        *x = (int64_t) s_get_be64 (v.mv_data);
    }
    return 0;
}

static int
s_meta_set_fn (jad_journal_t *self, MDB_txn *txn, void *ctx,
               char *err, size_t errlen)
{
    (void) err, (void) errlen;
    const jad_journal_meta_t *m = ctx;
    int rc = s_meta_put (self, txn, "operation_name", m->name,
                         strnlen (m->name, sizeof m->name - 1));
    if (!rc) rc = s_meta_put (self, txn, "operation_id", m->id, sizeof m->id);
    if (!rc) rc = s_meta_put64 (self, txn, "start_ms", m->start_ms);
    if (!rc) rc = s_meta_put64 (self, txn, "end_ms", m->end_ms);
    if (!rc) rc = s_meta_put32 (self, txn, "epoch", m->epoch);
    if (!rc && m->created_ms)
        rc = s_meta_put64 (self, txn, "created_ms", m->created_ms);
    if (!rc && m->schema_version)
        rc = s_meta_put32 (self, txn, "schema_version", m->schema_version);
    return rc;
}

int
jad_journal_meta_set (jad_journal_t *self, const jad_journal_meta_t *m)
{
    assert (self && m);
    char err[256];
    return s_write (self, s_meta_set_fn, (void *) m, err, sizeof err);
}

int
jad_journal_meta_get (jad_journal_t *self, jad_journal_meta_t *m)
{
    assert (self && m);
    MDB_txn *txn = NULL;
    MDB_val v;
    int found;
    memset (m, 0, sizeof *m);
    int rc = s_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return -1;
    rc = s_meta_find (self, txn, "operation_name", &v);
    if (rc == 1) {
        size_t n = v.mv_size < sizeof m->name - 1 ? v.mv_size : sizeof m->name - 1;
        memcpy (m->name, v.mv_data, n);
        m->has = 1;
        rc = 0;
    }
    if (rc == 0)
        rc = s_meta_find (self, txn, "operation_id", &v);
    if (rc == 1) {
        rc = v.mv_size == sizeof m->id ? 0 : MDB_CORRUPTED;
        if (rc == 0)
            memcpy (m->id, v.mv_data, sizeof m->id);
    }
    if (!rc) rc = s_meta_get64 (self, txn, "start_ms", &m->start_ms);
    if (!rc) rc = s_meta_get64 (self, txn, "end_ms", &m->end_ms);
    if (!rc) rc = s_meta_get64 (self, txn, "created_ms", &m->created_ms);
    if (!rc) rc = s_meta_get32 (self, txn, "schema_version", &m->schema_version, &found);
    if (!rc) rc = s_meta_get32 (self, txn, "epoch", &m->epoch, &found);
    s_abort (self, &txn);
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------ open, close */

jad_journal_t *
jad_journal_open (const char *dir, int flags, char *err, size_t errlen)
{
    assert (dir);
    jad_journal_t *self = NULL;
    jad_journal_t *result = NULL;
    MDB_txn *txn = NULL;
    int registered = 0;
    int rc;
    struct stat st;

    if (sodium_init () < 0) {
        s_err (err, errlen, "libsodium failed to initialise");
        goto out;
    }
    if ((flags & JAD_JOURNAL_CREATE) && (flags & JAD_JOURNAL_RDONLY)) {
        s_err (err, errlen, "journal: CREATE and RDONLY are exclusive");
        goto out;
    }
    if ((flags & JAD_JOURNAL_CREATE) && mkdir (dir, S_MODE_DIR) != 0
    &&  errno != EEXIST) {
        s_err (err, errlen, "journal %s: mkdir: %s", dir, strerror (errno));
        goto out;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        s_err (err, errlen, "journal: out of memory");
        goto out;
    }
    pthread_rwlock_init (&self->lock, NULL);
    self->rdonly = (flags & JAD_JOURNAL_RDONLY) != 0;
    self->path = realpath (dir, NULL);
    if (!self->path) {
        s_err (err, errlen, "journal %s: %s", dir, errno == ENOENT
               ? "no journal there (no such directory)" : strerror (errno));
        goto out;
    }
    if (stat (self->path, &st) != 0 || !S_ISDIR (st.st_mode)) {
        s_err (err, errlen, "journal %s: not a directory", dir);
        goto out;
    }
    size_t plen = strlen (self->path) + sizeof "/data.mdb";
    self->datafile = malloc (plen);
    if (!self->datafile) {
        s_err (err, errlen, "journal: out of memory");
        goto out;
    }
    snprintf (self->datafile, plen, "%s/data.mdb", self->path);
    int exists = stat (self->datafile, &st) == 0;
    if (!exists && !(flags & JAD_JOURNAL_CREATE)) {
        s_err (err, errlen, "journal %s: no journal there (data.mdb missing)", dir);
        goto out;
    }

    pthread_mutex_lock (&s_registry_lock);
    for (jad_journal_t *j = s_registry; j; j = j->next)
        if (strcmp (j->path, self->path) == 0)
            registered = -1;
    if (registered == 0) {
        self->next = s_registry;
        s_registry = self;
        registered = 1;
    }
    pthread_mutex_unlock (&s_registry_lock);
    if (registered < 0) {
        registered = 0;
        s_err (err, errlen, "journal %s is already open in this process", dir);
        goto out;
    }

    /* MDB_NOTLS: read transactions are not tied to a thread's slot, so a
     * scan callback may call jad_journal_get without MDB_BAD_RSLOT. */
    unsigned envflags = MDB_NOTLS | (self->rdonly ? MDB_RDONLY : 0);
    if ((rc = mdb_env_create (&self->env))
    ||  (rc = mdb_env_set_maxdbs (self->env, S_MAXDBS))
    ||  (!exists && (rc = mdb_env_set_mapsize (self->env, JAD_JOURNAL_MAPSIZE_DEFAULT)))
    ||  (rc = mdb_env_open (self->env, self->path, envflags, 0600))) {
        s_err (err, errlen, "journal %s: %s", dir, mdb_strerror (rc));
        goto out;
    }
    if (!self->rdonly)
        s_force_modes (self);
    /* An existing file keeps the map size it last grew to. */
    int dead = 0;
    mdb_reader_check (self->env, &dead);

    rc = mdb_txn_begin (self->env, NULL, self->rdonly ? MDB_RDONLY : 0, &txn);
    if (rc) {
        s_err (err, errlen, "journal %s: %s", dir, mdb_strerror (rc));
        goto out;
    }
    unsigned dbflags = (flags & JAD_JOURNAL_CREATE) ? MDB_CREATE : 0;
    const char *dbname = "entries";
    if ((rc = mdb_dbi_open (txn, dbname, dbflags, &self->entries)) == 0) {
        dbname = "dedupe";
        rc = mdb_dbi_open (txn, dbname, dbflags, &self->dedupe);
    }
    if (rc == 0) {
        dbname = "meta";
        rc = mdb_dbi_open (txn, dbname, dbflags, &self->meta);
    }
    /* Side records (checkpoints, rosters) came with the trust issue: a
     * read-only open of an older journal simply has none. */
    static const char *record_names[3] = { NULL, "checkpoints", "rosters" };
    for (int kind = 1; rc == 0 && kind <= 2; kind++) {
        int rrc = mdb_dbi_open (txn, record_names[kind],
                                self->rdonly ? 0 : MDB_CREATE,
                                &self->records[kind]);
        if (rrc == 0)
            self->has_records[kind] = 1;
        else
        if (rrc != MDB_NOTFOUND)
            rc = rrc;
    }
    if (rc == MDB_NOTFOUND) {
        s_err (err, errlen, "journal %s: not a jadhub journal (no '%s' database)",
               dir, dbname);
        goto out;
    }
    uint32_t version = 0;
    int found = 0;
    if (rc == 0)
        rc = s_meta_get32 (self, txn, "schema_version", &version, &found);
    if (rc) {
        s_err (err, errlen, "journal %s: %s", dir, mdb_strerror (rc));
        goto out;
    }
    if (found && version != JAD_JOURNAL_SCHEMA_VERSION) {
        s_err (err, errlen, "journal %s: schema version %u, this build reads %u",
               dir, version, JAD_JOURNAL_SCHEMA_VERSION);
        goto out;
    }
    if (!found && !self->rdonly) {
        rc = s_meta_put32 (self, txn, "schema_version", JAD_JOURNAL_SCHEMA_VERSION);
        if (!rc)
            rc = s_meta_put64 (self, txn, "created_ms", s_now_ms ());
        if (rc) {
            s_err (err, errlen, "journal %s: %s", dir, mdb_strerror (rc));
            goto out;
        }
    }
    /* Committing keeps the database handles open, read-only too. */
    rc = mdb_txn_commit (txn);
    txn = NULL;
    if (rc) {
        s_err (err, errlen, "journal %s: %s", dir, mdb_strerror (rc));
        goto out;
    }
    result = self;
    self = NULL;
out:
    if (txn)
        mdb_txn_abort (txn);
    if (self) {
        if (!registered) {
            /* never entered the registry: nothing else can see it */
            if (self->env)
                mdb_env_close (self->env);
            pthread_rwlock_destroy (&self->lock);
            free (self->path);
            free (self->datafile);
            free (self);
        }
        else
            jad_journal_destroy (&self);
    }
    return result;
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
    s_err (err, errlen, "%s: no journal (neither %s/journal nor %s/mirror)",
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
    pthread_mutex_lock (&s_registry_lock);
    for (jad_journal_t **j = &s_registry; *j; j = &(*j)->next)
        if (*j == self) {
            *j = self->next;
            break;
        }
    pthread_mutex_unlock (&s_registry_lock);
    if (self->env)
        mdb_env_close (self->env);
    pthread_rwlock_destroy (&self->lock);
    free (self->path);
    free (self->datafile);
    free (self);
    *self_p = NULL;
}

int
jad_journal_set_mapsize (jad_journal_t *self, size_t bytes,
                         char *err, size_t errlen)
{
    assert (self);
    int rc = s_set_mapsize (self, bytes);
    if (rc) {
        s_err (err, errlen, "journal %s: set mapsize: %s", self->path,
               mdb_strerror (rc));
        return -1;
    }
    return 0;
}

size_t
jad_journal_mapsize (jad_journal_t *self)
{
    assert (self);
    MDB_envinfo info;
    mdb_env_info (self->env, &info);
    return info.me_mapsize;
}

/* ------------------------------------------------------------ hub append */

typedef struct {
    jad_journal_item_t *items;
    const uint8_t *hashes;      /* n x BLAKE2b-256 of the envelopes */
    size_t n;
} s_append_ctx_t;

static int
s_append_fn (jad_journal_t *self, MDB_txn *txn, void *arg,
             char *err, size_t errlen)
{
    s_append_ctx_t *ctx = arg;
    uint8_t prev[JAD_JOURNAL_HASH_BYTES];
    uint8_t kbuf[S_DEDUPE_KEY_MAX];
    uint8_t seqbuf[8];
    uint8_t dval[S_DEDUPE_VAL];
    uint64_t head = 0;
    uint32_t epoch = 0;
    int found;

    int rc = s_meta_get32 (self, txn, "epoch", &epoch, &found);
    if (!rc)
        rc = s_last (self, txn, &head, prev);
    for (size_t i = 0; rc == 0 && i < ctx->n; i++) {
        jad_journal_item_t *it = &ctx->items[i];
        const uint8_t *hash = ctx->hashes + i * JAD_JOURNAL_HASH_BYTES;
        it->status = 0;
        it->hub_seq = 0;
        free (it->entry);       /* from an attempt redone after MAP_FULL */
        it->entry = NULL;
        it->entry_len = 0;
        MDB_val dk = { s_dedupe_key (kbuf, it->origin, it->incarnation,
                                     it->origin_seq), kbuf };
        MDB_val dv;
        /* Earlier items of this batch are already in the txn, so this
         * also catches a report sent twice within one batch. */
        rc = mdb_get (txn, self->dedupe, &dk, &dv);
        if (rc == 0) {
            if (dv.mv_size != S_DEDUPE_VAL)
                return MDB_CORRUPTED;
            if (sodium_memcmp ((const uint8_t *) dv.mv_data + 8, hash,
                               JAD_JOURNAL_HASH_BYTES) == 0) {
                it->status = JAD_JOURNAL_DUPLICATE;
                it->hub_seq = s_get_be64 (dv.mv_data);
            }
            else
                it->status = JAD_JOURNAL_CONFLICT;
            continue;
        }
        if (rc != MDB_NOTFOUND)
            break;

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
            s_err (err, errlen, "journal: out of memory encoding entry");
            return -1;
        }
        s_put_be64 (seqbuf, head + 1);
        MDB_val ek = { 8, seqbuf }, ev = { len, buf };
        rc = mdb_put (txn, self->entries, &ek, &ev, MDB_APPEND);
        if (rc == 0) {
            memcpy (dval, seqbuf, 8);
            memcpy (dval + 8, hash, JAD_JOURNAL_HASH_BYTES);
            dv.mv_size = sizeof dval;
            dv.mv_data = dval;
            rc = mdb_put (txn, self->dedupe, &dk, &dv, MDB_NOOVERWRITE);
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

    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const jad_journal_item_t *it = &items[i];
        size_t olen = it->origin ? strnlen (it->origin, JAD_JOURNAL_ORIGIN_MAX + 1) : 0;
        if (olen == 0 || olen > JAD_JOURNAL_ORIGIN_MAX) {
            s_err (err, errlen, "journal: item %zu: origin missing or over %d bytes",
                   i, JAD_JOURNAL_ORIGIN_MAX);
            goto out;
        }
        if (!it->incarnation || !it->envelope || it->envelope_len == 0) {
            s_err (err, errlen, "journal: item %zu: incarnation or envelope missing", i);
            goto out;
        }
    }
    /* Hash outside the write transaction: it is the slow part. */
    hashes = malloc (n * JAD_JOURNAL_HASH_BYTES);
    if (!hashes) {
        s_err (err, errlen, "journal: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        s_hash (hashes + i * JAD_JOURNAL_HASH_BYTES,
                items[i].envelope, items[i].envelope_len);

    s_append_ctx_t ctx = { items, hashes, n };
    rc = s_write (self, s_append_fn, &ctx, err, errlen);
out:
    if (rc != 0)
        for (size_t i = 0; i < n; i++) {
            items[i].status = 0;
            items[i].hub_seq = 0;
            free (items[i].entry);
            items[i].entry = NULL;
            items[i].entry_len = 0;
        }
    free (hashes);
    return rc;
}

/* ------------------------------------------------------------ mirror append */

typedef struct {
    const uint8_t *const *bufs;
    const size_t *lens;
    size_t n;
} s_mirror_ctx_t;

/* Index the envelope of ENTRY in dedupe, if it decodes; a record already
 * there is left alone (the hub decided, the mirror only copies). */
static int
s_mirror_dedupe (jad_journal_t *self, MDB_txn *txn, const Jad__Entry *entry)
{
    char derr[128];
    uint8_t kbuf[S_DEDUPE_KEY_MAX];
    uint8_t dval[S_DEDUPE_VAL];
    int rc = 0;

    if (!entry->has_envelope)
        return 0;
    Jad__Envelope *env = jad_wire_envelope_decode (entry->envelope.data,
                                                   entry->envelope.len,
                                                   derr, sizeof derr);
    if (env && env->origin && env->has_incarnation
    &&  env->incarnation.len == JAD_ID_BYTES && env->has_origin_seq) {
        MDB_val dk = { s_dedupe_key (kbuf, env->origin, env->incarnation.data,
                                     env->origin_seq), kbuf };
        if (dk.mv_size > 0) {
            s_put_be64 (dval, entry->hub_seq);
            s_hash (dval + 8, entry->envelope.data, entry->envelope.len);
            MDB_val dv = { sizeof dval, dval };
            rc = mdb_put (txn, self->dedupe, &dk, &dv, MDB_NOOVERWRITE);
            if (rc == MDB_KEYEXIST)
                rc = 0;
        }
    }
    jad_wire_free (&env);
    return rc;
}

static int
s_mirror_fn (jad_journal_t *self, MDB_txn *txn, void *arg,
             char *err, size_t errlen)
{
    s_mirror_ctx_t *ctx = arg;
    uint8_t prev[JAD_JOURNAL_HASH_BYTES];
    uint8_t seqbuf[8];
    char derr[128];
    uint64_t head = 0;

    int rc = s_last (self, txn, &head, prev);
    for (size_t i = 0; rc == 0 && i < ctx->n; i++) {
        Jad__Entry *entry = jad_wire_entry_decode (ctx->bufs[i], ctx->lens[i],
                                                   derr, sizeof derr);
        if (!entry) {
            s_err (err, errlen, "journal: mirror entry %zu (after %llu) "
                   "does not decode: %s", i, (unsigned long long) head, derr);
            return -1;
        }
        if (!entry->has_hub_seq || entry->hub_seq != head + 1) {
            s_err (err, errlen, "journal: mirror entry %zu has hub_seq %llu, "
                   "expected %llu", i, (unsigned long long) entry->hub_seq,
                   (unsigned long long) head + 1);
            rc = -1;
        }
        else
        if (head == 0 ? entry->has_prev_hash && entry->prev_hash.len > 0
                      : !entry->has_prev_hash
                        || entry->prev_hash.len != JAD_JOURNAL_HASH_BYTES
                        || sodium_memcmp (entry->prev_hash.data, prev,
                                          JAD_JOURNAL_HASH_BYTES) != 0) {
            s_err (err, errlen, "journal: mirror entry %llu: prev_hash does not "
                   "match entry %llu", (unsigned long long) entry->hub_seq,
                   (unsigned long long) head);
            rc = -1;
        }
        if (rc == 0) {
            s_put_be64 (seqbuf, head + 1);
            MDB_val k = { 8, seqbuf };
            MDB_val v = { ctx->lens[i], (void *) ctx->bufs[i] };
            rc = mdb_put (txn, self->entries, &k, &v, MDB_APPEND);
        }
        if (rc == 0)
            rc = s_mirror_dedupe (self, txn, entry);
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
        return 0;
    s_mirror_ctx_t ctx = { bufs, lens, n };
    return s_write (self, s_mirror_fn, &ctx, err, errlen);
}

/* ------------------------------------------------------------ reads */

int
jad_journal_head (jad_journal_t *self, uint64_t *seq_p)
{
    assert (self && seq_p);
    MDB_txn *txn = NULL;
    int rc = s_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return -1;
    rc = s_last (self, txn, seq_p, NULL);
    s_abort (self, &txn);
    return rc ? -1 : 0;
}

static int
s_count (jad_journal_t *self, MDB_dbi dbi, uint64_t *count_p)
{
    MDB_txn *txn = NULL;
    MDB_stat st;
    int rc = s_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return -1;
    rc = mdb_stat (txn, dbi, &st);
    if (rc == 0)
        *count_p = st.ms_entries;
    s_abort (self, &txn);
    return rc ? -1 : 0;
}

int
jad_journal_count (jad_journal_t *self, uint64_t *count_p)
{
    assert (self && count_p);
    return s_count (self, self->entries, count_p);
}

int
jad_journal_dedupe_count (jad_journal_t *self, uint64_t *count_p)
{
    assert (self && count_p);
    return s_count (self, self->dedupe, count_p);
}

int
jad_journal_get (jad_journal_t *self, uint64_t seq,
                 uint8_t **buf_p, size_t *len_p)
{
    assert (self && buf_p && len_p);
    MDB_txn *txn = NULL;
    uint8_t kb[8];
    MDB_val k = { 8, kb }, v;
    int result = -1;

    *buf_p = NULL;
    *len_p = 0;
    s_put_be64 (kb, seq);
    if (s_begin (self, MDB_RDONLY, &txn))
        goto out;
    int rc = mdb_get (txn, self->entries, &k, &v);
    if (rc == MDB_NOTFOUND) {
        result = 0;
        goto out;
    }
    if (rc)
        goto out;
    /* +1: a zero-length value would otherwise make malloc return NULL */
    *buf_p = malloc (v.mv_size + 1);
    if (!*buf_p)
        goto out;
    memcpy (*buf_p, v.mv_data, v.mv_size);
    *len_p = v.mv_size;
    result = 1;
out:
    s_abort (self, &txn);
    return result;
}

/* Visit up to MAX records of DBI from key FROM_SEQ on, in one short read
 * transaction: the loop under jad_journal_scan and jad_journal_record_scan. */
static long
s_scan (jad_journal_t *self, MDB_dbi dbi, uint64_t from_seq, size_t max,
        jad_journal_scan_fn *fn, void *arg)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    uint8_t kb[8];
    MDB_val k = { 8, kb }, v;
    long visited = 0;
    long result = -1;

    if (max > LONG_MAX)
        max = LONG_MAX;
    s_put_be64 (kb, from_seq);
    if (s_begin (self, MDB_RDONLY, &txn))
        goto out;
    if (mdb_cursor_open (txn, dbi, &cur))
        goto out;
    int rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && (size_t) visited < max) {
        if (k.mv_size != 8)
            goto out;
        visited++;
        if (fn (arg, s_get_be64 (k.mv_data), v.mv_data, v.mv_size))
            break;
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        goto out;
    result = visited;
out:
    if (cur)
        mdb_cursor_close (cur);
    s_abort (self, &txn);
    return result;
}

long
jad_journal_scan (jad_journal_t *self, uint64_t from_seq, size_t max,
                  jad_journal_scan_fn *fn, void *arg)
{
    assert (self && fn);
    return s_scan (self, self->entries, from_seq, max, fn, arg);
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
    if (s_begin (self, MDB_RDONLY, &txn))
        goto out;
    int rc = mdb_get (txn, self->dedupe, &k, &v);
    if (rc == MDB_NOTFOUND)
        result = 0;
    else
    if (rc == 0 && v.mv_size == S_DEDUPE_VAL) {
        *hub_seq_p = s_get_be64 (v.mv_data);
        if (hash)
            memcpy (hash, (const uint8_t *) v.mv_data + 8, JAD_JOURNAL_HASH_BYTES);
        result = 1;
    }
out:
    s_abort (self, &txn);
    return result;
}

int
jad_journal_stat (jad_journal_t *self, uint64_t *bytes_p)
{
    assert (self && bytes_p);
    struct stat st;
    if (stat (self->datafile, &st) != 0)
        return -1;
    *bytes_p = (uint64_t) st.st_size;
    return 0;
}

/* ------------------------------------------------------------ side records */

typedef struct {
    int            kind;
    uint64_t       seq;
    const uint8_t *buf;
    size_t         len;
} s_record_put_t;

static int
s_record_put_fn (jad_journal_t *self, MDB_txn *txn, void *arg,
                 char *err, size_t errlen)
{
    s_record_put_t *put = arg;
    uint8_t kb[8];
    s_put_be64 (kb, put->seq);
    MDB_val k = { 8, kb }, v = { put->len, (void *) put->buf };
    int rc = mdb_put (txn, self->records[put->kind], &k, &v, 0);
    if (rc == MDB_MAP_FULL)
        return rc;
    if (rc) {
        s_err (err, errlen, "journal %s: %s", self->path, mdb_strerror (rc));
        return -1;
    }
    return 0;
}

int
jad_journal_record_put (jad_journal_t *self, int kind, uint64_t seq,
                        const uint8_t *buf, size_t len,
                        char *err, size_t errlen)
{
    assert (self && (kind == JAD_JOURNAL_CHECKPOINTS || kind == JAD_JOURNAL_ROSTERS));
    if (!self->has_records[kind]) {
        s_err (err, errlen, "journal %s has no side records", self->path);
        return -1;
    }
    s_record_put_t put = { kind, seq, buf, len };
    return s_write (self, s_record_put_fn, &put, err, errlen);
}

long
jad_journal_record_scan (jad_journal_t *self, int kind, uint64_t from_seq,
                         size_t max, jad_journal_scan_fn *fn, void *arg)
{
    assert (self && fn && (kind == JAD_JOURNAL_CHECKPOINTS || kind == JAD_JOURNAL_ROSTERS));
    if (!self->has_records[kind])
        return 0;
    return s_scan (self, self->records[kind], from_seq, max, fn, arg);
}

int
jad_journal_record_last (jad_journal_t *self, int kind, uint64_t *seq_p)
{
    assert (self && (kind == JAD_JOURNAL_CHECKPOINTS || kind == JAD_JOURNAL_ROSTERS));
    *seq_p = 0;
    if (!self->has_records[kind])
        return 0;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    int result = -1;
    if (s_begin (self, MDB_RDONLY, &txn)
    ||  mdb_cursor_open (txn, self->records[kind], &cur))
        goto out;
    int rc = mdb_cursor_get (cur, &k, &v, MDB_LAST);
    if (rc == 0 && k.mv_size == 8)
        *seq_p = s_get_be64 (k.mv_data);
    if (rc == 0 || rc == MDB_NOTFOUND)
        result = 0;
out:
    if (cur)
        mdb_cursor_close (cur);
    s_abort (self, &txn);
    return result;
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
    /* LMDB does not tell where it mapped the file (me_mapaddr is set only
     * with MDB_FIXEDMAP), so find the data file's mapping the way ps does. */
    FILE *maps = fopen ("/proc/self/maps", "r");
    if (!maps || !self->datafile) {
        if (maps)
            fclose (maps);
        return;
    }
    char line[4600];
    pthread_rwlock_rdlock (&self->lock);
    while (fgets (line, sizeof line, maps)) {
        unsigned long start, end;
        int path_at = 0;
        if (sscanf (line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &path_at) < 2
        ||  path_at == 0)
            continue;
        char *path = line + path_at;
        path[strcspn (path, "\n")] = '\0';
        if (strcmp (path, self->datafile) == 0)
            madvise ((void *) start, end - start, MADV_DONTNEED);
    }
    pthread_rwlock_unlock (&self->lock);
    fclose (maps);
}
