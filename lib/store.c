/*  store: the one LMDB layer under the journal and the outbox.
 *  See include/jad/store.h for the promises.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "jad/err.h"
#include "jad/store.h"

#define S_GROW_TRIES     24     /* doublings before a full map is an error */
#define S_READER_CHECK   1024   /* commits between two mdb_reader_check */
#define S_RESIZED_TRIES  3      /* begins retried after adopting a new size */

struct _jad_store_t {
    const jad_store_spec_t *spec;   /* layout and modes; not owned */
    MDB_env *env;                   /* one per directory per process */
    MDB_dbi dbi[JAD_STORE_DBS_MAX]; /* [i]: handle of spec->dbs[i] */
    int has_db[JAD_STORE_DBS_MAX];  /* [i]: the database exists in the file */
    int rdonly;                     /* opened with JAD_STORE_RDONLY */
    char *path;                     /* realpath of the directory, registry key */
    char *datafile;                 /* PATH/data.mdb: size, trim */
    /* Every transaction holds this for reading; changing the map size
     * holds it for writing, because LMDB requires that no transaction be
     * open in the process while the map is resized. */
    pthread_rwlock_t lock;
    unsigned commits;               /* since the last mdb_reader_check */
    jad_store_t *next;              /* registry of open directories */
};

/* Directories open in this process, whatever their kind: LMDB must not
 * open one environment twice in a process (its POSIX locks would be
 * dropped when either copy closes). */
static pthread_mutex_t s_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static jad_store_t *s_registry = NULL;

/* ------------------------------------------------------------ integers */

void
jad_store_put_be64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t) (v & 0xff);
        v >>= 8;
    }
}

uint64_t
jad_store_get_be64 (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

void
jad_store_put_be32 (uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}

uint32_t
jad_store_get_be32 (const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
         | ((uint32_t) p[2] << 8) | p[3];
}

/* ------------------------------------------------------------ registry */

/* Enter SELF in the registry unless its directory is there already.
 * 1 entered, 0 already open. */
static int
s_register (jad_store_t *self)
{
    int entered = 1;
    pthread_mutex_lock (&s_registry_lock);
    for (jad_store_t *s = s_registry; s; s = s->next)
        if (strcmp (s->path, self->path) == 0)
            entered = 0;
    if (entered) {
        self->next = s_registry;
        s_registry = self;
    }
    pthread_mutex_unlock (&s_registry_lock);
    return entered;
}

static void
s_unregister (jad_store_t *self)
{
    pthread_mutex_lock (&s_registry_lock);
    for (jad_store_t **s = &s_registry; *s; s = &(*s)->next)
        if (*s == self) {
            *s = self->next;
            break;
        }
    pthread_mutex_unlock (&s_registry_lock);
}

/* ------------------------------------------------------------ transactions */

/* Set the map size to SIZE (0: adopt the size another process set), with
 * no transaction of this process open: LMDB's requirement. */
static int
s_set_mapsize (jad_store_t *self, size_t size)
{
    pthread_rwlock_wrlock (&self->lock);
    int rc = mdb_env_set_mapsize (self->env, size);
    pthread_rwlock_unlock (&self->lock);
    return rc;
}

/* Transactions this thread has open, in any store: a begin nested in a
 * scan callback must not resize the map (that waits for every transaction
 * of the process to end, its own caller's included: a deadlock). */
static _Thread_local int s_open_txns;

/* Begin a transaction with the lock held for reading.  A map grown by
 * another process is adopted and the begin retried — unless this thread
 * already holds a transaction: then MDB_MAP_RESIZED is returned, and the
 * outer one's next begin adopts the size.  On error the lock is not held
 * and *TXN_P is NULL. */
static int
s_begin (jad_store_t *self, unsigned flags, MDB_txn **txn_p)
{
    *txn_p = NULL;
    for (int tries = 0; ; tries++) {
        pthread_rwlock_rdlock (&self->lock);
        int rc = mdb_txn_begin (self->env, NULL, flags, txn_p);
        if (rc == 0) {
            s_open_txns++;
            return 0;
        }
        *txn_p = NULL;
        pthread_rwlock_unlock (&self->lock);
        if (rc != MDB_MAP_RESIZED || tries >= S_RESIZED_TRIES || s_open_txns > 0)
            return rc;
        rc = s_set_mapsize (self, 0);
        if (rc)
            return rc;
    }
}

/* Abort *TXN_P, if any, and release the lock its begin took. */
static void
s_abort (jad_store_t *self, MDB_txn **txn_p)
{
    if (*txn_p) {
        mdb_txn_abort (*txn_p);
        *txn_p = NULL;
        s_open_txns--;
        pthread_rwlock_unlock (&self->lock);
    }
}

/* Commit *TXN_P durably and release the lock.  LMDB frees the transaction
 * even when the commit fails. */
static int
s_commit (jad_store_t *self, MDB_txn **txn_p)
{
    int rc = mdb_txn_commit (*txn_p);
    *txn_p = NULL;
    s_open_txns--;
    pthread_rwlock_unlock (&self->lock);
    return rc;
}

int
jad_store_read_begin (jad_store_t *self, MDB_txn **txn_p)
{
    assert (self && txn_p);
    return s_begin (self, MDB_RDONLY, txn_p);
}

void
jad_store_read_end (jad_store_t *self, MDB_txn **txn_p)
{
    assert (self && txn_p);
    s_abort (self, txn_p);
}

/* Double the map after MDB_MAP_FULL.  0, or -1 with ERR. */
static int
s_grow (jad_store_t *self, char *err, size_t errlen)
{
    MDB_envinfo info;
    mdb_env_info (self->env, &info);
    size_t bigger = info.me_mapsize * 2;
    int rc = 0;
    if (bigger < info.me_mapsize
    ||  (rc = s_set_mapsize (self, bigger)) != 0) {
        jad_err_set (err, errlen, "%s %s: cannot grow map beyond %zu bytes: %s",
               self->spec->kind, self->path, info.me_mapsize,
               bigger < info.me_mapsize ? "overflow" : mdb_strerror (rc));
        return -1;
    }
    return 0;
}

/* Run FN in a write transaction and commit it durably, growing the map
 * and redoing the whole transaction when it is full.  The loop under
 * jad_store_write and a writer's open.  0, or -1 with ERR. */
static int
s_write (jad_store_t *self, jad_store_txn_fn *fn, void *arg,
         char *err, size_t errlen)
{
    for (int tries = 0; ; tries++) {
        MDB_txn *txn = NULL;
        int rc = s_begin (self, 0, &txn);
        if (rc == 0) {
            rc = fn (self, txn, arg, err, errlen);
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
            jad_err_set (err, errlen, "%s %s: %s", self->spec->kind, self->path,
                   mdb_strerror (rc));
            return -1;
        }
        if (s_grow (self, err, errlen))
            return -1;
    }
}

int
jad_store_write (jad_store_t *self, jad_store_txn_fn *fn, void *arg,
                 char *err, size_t errlen)
{
    assert (self && fn);
    if (self->rdonly) {
        jad_err_set (err, errlen, "%s %s is open read-only", self->spec->kind,
               self->path);
        return -1;
    }
    return s_write (self, fn, arg, err, errlen);
}

/* ------------------------------------------------------------ open, close */

/* Give the directory, data.mdb and lock.mdb the JAD_STORE_GROUP_* modes,
 * whatever the umask they were created under and whatever mode an older
 * build gave them.  Only a writer does it: it is normally the owner; a
 * writer that is not cannot change the modes (EPERM), and the files keep
 * theirs, which costs readers in the group access but nothing else, so it
 * is not an error. */
static void
s_force_modes (jad_store_t *self)
{
    char lockfile[PATH_MAX];
    snprintf (lockfile, sizeof lockfile, "%s/lock.mdb", self->path);
    int fd = -1;
    if (mdb_env_get_fd (self->env, &fd) == 0 && fd >= 0)
        (void) fchmod (fd, JAD_STORE_GROUP_DATA_MODE);
    (void) chmod (lockfile, JAD_STORE_GROUP_LOCK_MODE);
    (void) chmod (self->path, JAD_STORE_GROUP_DIR_MODE);
}

/* What the opening transaction needs besides the store. */
typedef struct {
    const char *dir;            /* as the caller named it, for error texts */
    int create;                 /* JAD_STORE_CREATE: required dbs may be made */
    void *init_arg;             /* handed to spec->init */
} s_open_t;

/* The opening transaction: open every database of the spec, then run the
 * spec's init.  A writer's runs under s_write (it may be redone after
 * MDB_MAP_FULL: LMDB closes the handles an aborted transaction opened, and
 * they are opened again). */
static int
s_open_fn (jad_store_t *self, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
    s_open_t *o = arg;
    const jad_store_spec_t *spec = self->spec;
    for (size_t i = 0; i < spec->ndbs; i++) {
        const jad_store_db_t *db = &spec->dbs[i];
        /* An optional database came with a later layout: a writer adds
         * it to an older file, a reader goes on without it. */
        unsigned flags = db->optional ? (self->rdonly ? 0 : MDB_CREATE)
                                      : (o->create ? MDB_CREATE : 0);
        self->has_db[i] = 0;
        int rc = mdb_dbi_open (txn, db->name, flags, &self->dbi[i]);
        if (rc == MDB_NOTFOUND && db->optional)
            continue;
        if (rc == MDB_NOTFOUND) {
            jad_err_set (err, errlen, "%s %s: not a jadhub %s (no '%s' database)",
                   spec->kind, o->dir, spec->kind, db->name);
            return -1;
        }
        if (rc) {
            jad_err_set (err, errlen, "%s %s: %s", spec->kind, o->dir,
                   mdb_strerror (rc));
            return -1;
        }
        self->has_db[i] = 1;
    }
    int rc = spec->init ? spec->init (self, txn, o->init_arg, err, errlen) : 0;
    /* The open names the directory as the caller did; only a full map
     * goes back to s_write, to be grown. */
    if (rc != 0 && rc != -1 && rc != MDB_MAP_FULL) {
        jad_err_set (err, errlen, "%s %s: %s", spec->kind, o->dir, mdb_strerror (rc));
        rc = -1;
    }
    return rc;
}

/* Run the opening transaction: a writer's through s_write, committed
 * durably; a reader's in a read transaction, committed too because
 * committing keeps the database handles open.  0, or -1 with ERR. */
static int
s_open_txn (jad_store_t *self, s_open_t *o, char *err, size_t errlen)
{
    if (!self->rdonly)
        return s_write (self, s_open_fn, o, err, errlen);
    MDB_txn *txn = NULL;
    int rc = s_begin (self, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = s_open_fn (self, txn, o, err, errlen);
        if (rc == 0)
            rc = s_commit (self, &txn);
        else
            s_abort (self, &txn);
    }
    if (rc != 0 && rc != -1)
        jad_err_set (err, errlen, "%s %s: %s", self->spec->kind, o->dir,
               mdb_strerror (rc));
    return rc ? -1 : 0;
}

/* Free what jad_store_open made of SELF; it is not in the registry. */
static void
s_free (jad_store_t *self)
{
    if (self->env)
        mdb_env_close (self->env);
    pthread_rwlock_destroy (&self->lock);
    free (self->path);
    free (self->datafile);
    free (self);
}

jad_store_t *
jad_store_open (const char *dir, int flags, const jad_store_spec_t *spec,
                void *init_arg, char *err, size_t errlen)
{
    assert (dir && spec && spec->kind && spec->dbs);
    assert (spec->ndbs > 0 && spec->ndbs <= JAD_STORE_DBS_MAX);
    const char *kind = spec->kind;
    jad_store_t *self = NULL;
    jad_store_t *result = NULL;
    int registered = 0;
    int rc;
    struct stat st;

    if ((flags & JAD_STORE_CREATE) && (flags & JAD_STORE_RDONLY)) {
        jad_err_set (err, errlen, "%s: CREATE and RDONLY are exclusive", kind);
        goto out;
    }
    if ((flags & JAD_STORE_CREATE) && mkdir (dir, spec->dir_mode) != 0
    &&  errno != EEXIST) {
        jad_err_set (err, errlen, "%s %s: mkdir: %s", kind, dir, strerror (errno));
        goto out;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        jad_err_set (err, errlen, "%s: out of memory", kind);
        goto out;
    }
    self->spec = spec;
    pthread_rwlock_init (&self->lock, NULL);
    self->rdonly = (flags & JAD_STORE_RDONLY) != 0;
    self->path = realpath (dir, NULL);
    if (!self->path && errno == ENOENT) {
        jad_err_set (err, errlen, "%s %s: no %s there (no such directory)", kind,
               dir, kind);
        goto out;
    }
    if (!self->path) {
        jad_err_set (err, errlen, "%s %s: %s", kind, dir, strerror (errno));
        goto out;
    }
    if (stat (self->path, &st) != 0 || !S_ISDIR (st.st_mode)) {
        jad_err_set (err, errlen, "%s %s: not a directory", kind, dir);
        goto out;
    }
    size_t plen = strlen (self->path) + sizeof "/data.mdb";
    self->datafile = malloc (plen);
    if (!self->datafile) {
        jad_err_set (err, errlen, "%s: out of memory", kind);
        goto out;
    }
    snprintf (self->datafile, plen, "%s/data.mdb", self->path);
    int exists = stat (self->datafile, &st) == 0;
    if (!exists && !(flags & JAD_STORE_CREATE)) {
        jad_err_set (err, errlen, "%s %s: no %s there (data.mdb missing)", kind, dir,
               kind);
        goto out;
    }
    if (!s_register (self)) {
        jad_err_set (err, errlen, "%s %s is already open in this process", kind, dir);
        goto out;
    }
    registered = 1;

    /* MDB_NOTLS: read transactions are not tied to a thread's slot, so a
     * scan callback may read the store again without MDB_BAD_RSLOT.  The
     * files are made 0600 and opened up afterwards when the spec says so:
     * private first, never the other way round. */
    unsigned envflags = MDB_NOTLS | (self->rdonly ? MDB_RDONLY : 0);
    if ((rc = mdb_env_create (&self->env))
    ||  (rc = mdb_env_set_maxdbs (self->env, JAD_STORE_DBS_MAX))
    ||  (!exists && (rc = mdb_env_set_mapsize (self->env, spec->mapsize)))
    ||  (rc = mdb_env_open (self->env, self->path, envflags, 0600))) {
        jad_err_set (err, errlen, "%s %s: %s", kind, dir, mdb_strerror (rc));
        goto out;
    }
    if (!self->rdonly && spec->group_modes)
        s_force_modes (self);
    /* Reader slots of killed processes would pin old pages. */
    int dead = 0;
    mdb_reader_check (self->env, &dead);

    s_open_t o = { dir, (flags & JAD_STORE_CREATE) != 0, init_arg };
    if (s_open_txn (self, &o, err, errlen))
        goto out;
    result = self;
    self = NULL;
out:
    if (self) {
        if (registered)
            s_unregister (self);
        s_free (self);
    }
    return result;
}

void
jad_store_destroy (jad_store_t **self_p)
{
    assert (self_p);
    jad_store_t *self = *self_p;
    if (!self)
        return;
    s_unregister (self);
    s_free (self);
    *self_p = NULL;
}

const char *
jad_store_path (const jad_store_t *self)
{
    assert (self);
    return self->path;
}

const char *
jad_store_kind (const jad_store_t *self)
{
    assert (self);
    return self->spec->kind;
}

int
jad_store_rdonly (const jad_store_t *self)
{
    assert (self);
    return self->rdonly;
}

MDB_dbi
jad_store_dbi (const jad_store_t *self, size_t index)
{
    assert (self && index < self->spec->ndbs);
    return self->dbi[index];
}

int
jad_store_has_db (const jad_store_t *self, size_t index)
{
    assert (self && index < self->spec->ndbs);
    return self->has_db[index];
}

/* ------------------------------------------------------------ map, file */

size_t
jad_store_mapsize (jad_store_t *self)
{
    assert (self);
    MDB_envinfo info;
    mdb_env_info (self->env, &info);
    return info.me_mapsize;
}

int
jad_store_set_mapsize (jad_store_t *self, size_t bytes, char *err, size_t errlen)
{
    assert (self);
    int rc = s_set_mapsize (self, bytes);
    if (rc) {
        jad_err_set (err, errlen, "%s %s: set mapsize: %s", self->spec->kind,
               self->path, mdb_strerror (rc));
        return -1;
    }
    return 0;
}

int
jad_store_file_size (jad_store_t *self, uint64_t *bytes_p)
{
    assert (self && bytes_p);
    struct stat st;
    if (stat (self->datafile, &st) != 0)
        return -1;
    *bytes_p = (uint64_t) st.st_size;
    return 0;
}

void
jad_store_trim (jad_store_t *self)
{
    assert (self);
    /* LMDB does not tell where it mapped the file (me_mapaddr is set only
     * with MDB_FIXEDMAP), so find the data file's mapping the way ps does. */
    FILE *maps = fopen ("/proc/self/maps", "r");
    if (!maps)
        return;
    char line[4600];
    /* The lock keeps the map where it is while it is dropped: a resize
     * (which remaps) waits for it. */
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

/* ------------------------------------------------------------ meta values */

int
jad_store_meta_put (MDB_txn *txn, MDB_dbi dbi, const char *name,
                    const void *data, size_t size)
{
    assert (txn && name && (data || size == 0));
    MDB_val k = { strlen (name), (void *) name };
    MDB_val v = { size, (void *) data };
    return mdb_put (txn, dbi, &k, &v, 0);
}

int
jad_store_meta_put_u64 (MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t x)
{
    uint8_t b[8];
    jad_store_put_be64 (b, x);
    return jad_store_meta_put (txn, dbi, name, b, sizeof b);
}

int
jad_store_meta_put_u32 (MDB_txn *txn, MDB_dbi dbi, const char *name, uint32_t x)
{
    uint8_t b[4];
    jad_store_put_be32 (b, x);
    return jad_store_meta_put (txn, dbi, name, b, sizeof b);
}

int
jad_store_meta_put_str (MDB_txn *txn, MDB_dbi dbi, const char *name,
                        const char *str)
{
    assert (str);
    return jad_store_meta_put (txn, dbi, name, str, strlen (str));
}

int
jad_store_meta_get (MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *val)
{
    assert (txn && name && val);
    MDB_val k = { strlen (name), (void *) name };
    return mdb_get (txn, dbi, &k, val);
}

int
jad_store_meta_get_u64 (MDB_txn *txn, MDB_dbi dbi, const char *name,
                        uint64_t def, uint64_t *x)
{
    MDB_val v;
    int rc = jad_store_meta_get (txn, dbi, name, &v);
    *x = def;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (v.mv_size != 8)
        return MDB_CORRUPTED;
    *x = jad_store_get_be64 (v.mv_data);
    return 0;
}

int
jad_store_meta_get_u32 (MDB_txn *txn, MDB_dbi dbi, const char *name,
                        uint32_t def, uint32_t *x)
{
    MDB_val v;
    int rc = jad_store_meta_get (txn, dbi, name, &v);
    *x = def;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (v.mv_size != 4)
        return MDB_CORRUPTED;
    *x = jad_store_get_be32 (v.mv_data);
    return 0;
}

int
jad_store_meta_get_bytes (MDB_txn *txn, MDB_dbi dbi, const char *name,
                          void *buf, size_t size)
{
    MDB_val v;
    int rc = jad_store_meta_get (txn, dbi, name, &v);
    if (rc)
        return rc;
    if (v.mv_size != size)
        return MDB_CORRUPTED;
    memcpy (buf, v.mv_data, size);
    return 0;
}

int
jad_store_meta_get_str (MDB_txn *txn, MDB_dbi dbi, const char *name,
                        char *buf, size_t size)
{
    assert (buf && size > 0);
    MDB_val v;
    int rc = jad_store_meta_get (txn, dbi, name, &v);
    buf[0] = 0;
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (v.mv_size >= size)
        return MDB_CORRUPTED;
    memcpy (buf, v.mv_data, v.mv_size);
    buf[v.mv_size] = 0;
    return 0;
}

/* ------------------------------------------------------------ BE64-keyed */

long
jad_store_scan_txn (MDB_txn *txn, MDB_dbi dbi, uint64_t from, size_t max,
                    jad_store_scan_fn *fn, void *arg)
{
    assert (txn && fn);
    MDB_cursor *cur = NULL;
    uint8_t kb[8];
    MDB_val k = { 8, kb }, v;
    long visited = 0;

    if (max > LONG_MAX)
        max = LONG_MAX;
    jad_store_put_be64 (kb, from);
    if (mdb_cursor_open (txn, dbi, &cur))
        return -1;
    int rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && (size_t) visited < max) {
        if (k.mv_size != 8) {
            rc = MDB_CORRUPTED;
            break;
        }
        visited++;
        if (fn (arg, jad_store_get_be64 (k.mv_data), v.mv_data, v.mv_size))
            break;
        rc = mdb_cursor_get (cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close (cur);
    return rc == 0 || rc == MDB_NOTFOUND ? visited : -1;
}

long
jad_store_scan (jad_store_t *self, MDB_dbi dbi, uint64_t from, size_t max,
                jad_store_scan_fn *fn, void *arg)
{
    assert (self && fn);
    MDB_txn *txn = NULL;
    if (s_begin (self, MDB_RDONLY, &txn))
        return -1;
    long visited = jad_store_scan_txn (txn, dbi, from, max, fn, arg);
    s_abort (self, &txn);
    return visited;
}

int
jad_store_last_txn (MDB_txn *txn, MDB_dbi dbi, uint64_t *key_p, MDB_val *val)
{
    assert (txn && key_p);
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    *key_p = 0;
    int rc = mdb_cursor_open (txn, dbi, &cur);
    if (rc)
        return rc;
    rc = mdb_cursor_get (cur, &k, &v, MDB_LAST);
    if (rc == 0 && k.mv_size != 8)
        rc = MDB_CORRUPTED;
    if (rc == 0) {
        *key_p = jad_store_get_be64 (k.mv_data);
        if (val)
            *val = v;
    }
    mdb_cursor_close (cur);
    return rc;
}

int
jad_store_last (jad_store_t *self, MDB_dbi dbi, uint64_t *key_p)
{
    assert (self && key_p);
    MDB_txn *txn = NULL;
    *key_p = 0;
    int rc = s_begin (self, MDB_RDONLY, &txn);
    if (rc)
        return -1;
    rc = jad_store_last_txn (txn, dbi, key_p, NULL);
    s_abort (self, &txn);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : -1;
}

int
jad_store_floor (jad_store_t *self, MDB_dbi dbi, uint64_t x, uint64_t *key_p)
{
    assert (self && key_p);
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    uint8_t kb[8];
    MDB_val k = { 8, kb }, v;
    int result = -1;

    *key_p = 0;
    jad_store_put_be64 (kb, x);
    if (s_begin (self, MDB_RDONLY, &txn) || mdb_cursor_open (txn, dbi, &cur))
        goto out;
    /* The first key >= X; when it is above X, or there is none (every key
     * is below X), the floor is the key before, or the last one. */
    int rc = mdb_cursor_get (cur, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && k.mv_size == 8 && jad_store_get_be64 (k.mv_data) > x)
        rc = mdb_cursor_get (cur, &k, &v, MDB_PREV);
    else
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get (cur, &k, &v, MDB_LAST);
    if (rc == MDB_NOTFOUND)
        result = 0;
    else
    if (rc == 0 && k.mv_size == 8) {
        *key_p = jad_store_get_be64 (k.mv_data);
        result = 1;
    }
out:
    if (cur)
        mdb_cursor_close (cur);
    s_abort (self, &txn);
    return result;
}

int
jad_store_get (jad_store_t *self, MDB_dbi dbi, uint64_t key,
               uint8_t **buf_p, size_t *len_p)
{
    assert (self && buf_p && len_p);
    MDB_txn *txn = NULL;
    uint8_t kb[8];
    MDB_val k = { 8, kb }, v;
    int result = -1;

    *buf_p = NULL;
    *len_p = 0;
    jad_store_put_be64 (kb, key);
    if (s_begin (self, MDB_RDONLY, &txn))
        goto out;
    int rc = mdb_get (txn, dbi, &k, &v);
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

int
jad_store_count (jad_store_t *self, MDB_dbi dbi, uint64_t *count_p)
{
    assert (self && count_p);
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
