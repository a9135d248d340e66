/*  store: the one LMDB layer under the journal and the outbox.
 *  See include/jad/store.h for the promises.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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
    int map_slot;                   /* its entry in s_maps, or -1 */
    int lmdb_rc;                    /* the LMDB code the last failed open
                                     * step or write ended with, 0 if none:
                                     * tells damage from other failures */
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

/* ------------------------------------------------------------ the remedy */

/* What an operator can do about a damaged file of KIND: the end of every
 * refusal of one.  The store knows its kinds by name only here; a kind
 * it does not know gets the backup. */
static const char *
s_remedy (const char *kind)
{
    if (strcmp (kind, "journal") == 0)
        return "a hub's journal is rebuilt from a mirror with `jad-journal "
               "repair`, an agent's mirror is moved away and fetched again "
               "(docs/OPERATIONS.md, Recovery)";
    if (strcmp (kind, "outbox") == 0)
        return "an outbox holds what its agent has not delivered yet: restore "
               "it from a backup, or move it away and submit again what the "
               "hub does not have (docs/OPERATIONS.md, Recovery)";
    return "restore it from a backup";
}

/* V with a comma every three digits ("671,744") into BUF. */
static const char *
s_commas (uint64_t v, char buf[32])
{
    char digits[24];
    int n = snprintf (digits, sizeof digits, "%llu", (unsigned long long) v);
    int j = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
    return buf;
}

/* ------------------------------------------------------------ the file, unmapped */

/* LMDB maps data.mdb and trusts what its meta pages say: a file shorter
 * than the pages they name kills the process with SIGBUS at the first
 * read of a missing page, and a meta page that lost its newer transaction
 * id is silently replaced by the older one (a committed transaction rolled
 * back).  So before mdb_env_open the store reads both meta pages with
 * pread and checks them and the file's size, the way LMDB 0.9 (Debian 12:
 * 0.9.24) lays them out (mdb.c: MDB_page, MDB_db, MDB_meta): native byte
 * order, pgno_t and txnid_t as size_t.  Pages 0 and 1 are the meta pages
 * (page 1 at byte psize); transaction N writes meta page N & 1 (a new
 * file has txnid 0 in both, a compacting mdb_copy 0 and 1).  The cost: two
 * preads and an fstat; more only for a file shorter than its last page. */

typedef struct {                /* MDB_page's header (PAGEHDRSZ bytes) */
    size_t   pgno;              /* mp_pgno (a union with a pointer) */
    uint16_t pad;
    uint16_t flags;             /* S_P_* */
    uint16_t lower;             /* free space bounds; for an overflow */
    uint16_t upper;             /* page, together its number of pages */
} s_lmdb_page_t;

typedef struct {                /* MDB_db */
    uint32_t pad;               /* the free DB's: the page size */
    uint16_t flags;
    uint16_t depth;
    size_t   branch_pages;
    size_t   leaf_pages;
    size_t   overflow_pages;
    size_t   entries;
    size_t   root;              /* S_P_INVALID when the tree is empty */
} s_lmdb_db_t;

typedef struct {                /* MDB_meta, after the page header */
    uint32_t    magic;          /* S_MAGIC */
    uint32_t    version;        /* S_DATA_VERSION */
    void       *address;
    size_t      mapsize;
    s_lmdb_db_t dbs[2];         /* [0] the free pages, [1] the main DB */
    size_t      last_pg;        /* the last page the snapshot uses */
    size_t      txnid;          /* the transaction that wrote it */
} s_lmdb_meta_t;

#define S_PAGEHDR        sizeof (s_lmdb_page_t)
#define S_MAGIC          0xBEEFC0DEu
#define S_DATA_VERSION   1
#define S_P_BRANCH       0x01
#define S_P_LEAF         0x02
#define S_P_OVERFLOW     0x04
#define S_P_META         0x08
#define S_F_BIGDATA      0x01   /* a leaf node's data is on overflow pages */
#define S_NODEHDR        8      /* MDB_node: lo, hi, flags, ksize */
#define S_P_INVALID      (~(size_t) 0)
#define S_PSIZE_MIN      512
#define S_PSIZE_MAX      65536
#define S_FREE_DEPTH     16     /* the free pages' tree is never deeper */

_Static_assert (sizeof (size_t) != 8
                || (sizeof (s_lmdb_page_t) == 16 && sizeof (s_lmdb_meta_t) == 136
                    && offsetof (s_lmdb_meta_t, txnid) == 128),
                "MDB_page's header is 16 bytes and MDB_meta 136 on a 64-bit build");

/* One check of the file. */
typedef struct {
    int            fd;
    uint64_t       size;        /* data.mdb's bytes, after the metas were read */
    s_lmdb_meta_t  meta[2];
    unsigned       psize;       /* the page size both metas give */
    int            eno;         /* an errno when it could not be read, else 0 */
    char           why[320];    /* what is wrong, without kind and dir */
} s_file_t;

/* Check meta page I as read into BUF (LEN bytes).  0, or -1 with WHY. */
static int
s_meta_check (s_file_t *f, int i, const uint8_t *buf, size_t len)
{
    s_lmdb_page_t page;
    s_lmdb_meta_t *m = &f->meta[i];
    if (len < S_PAGEHDR + sizeof *m) {
        char a[32];
        snprintf (f->why, sizeof f->why, "data.mdb is damaged: %s bytes, too short "
                  "for its two meta pages (truncated?)", s_commas (f->size, a));
        return -1;
    }
    memcpy (&page, buf, sizeof page);
    memcpy (m, buf + S_PAGEHDR, sizeof *m);
    int n = 0;
    if (m->magic != S_MAGIC)
        n = snprintf (f->why, sizeof f->why, "magic 0x%08x where 0x%08x is expected",
                      m->magic, S_MAGIC);
    else
    if (!(page.flags & S_P_META) || page.pgno != (size_t) i)
        n = snprintf (f->why, sizeof f->why, "not marked meta page %d: page number "
                      "%zu, flags 0x%x", i, page.pgno, page.flags);
    else
    if (m->version != S_DATA_VERSION)
        n = snprintf (f->why, sizeof f->why, "format version %u where %u is expected",
                      m->version, S_DATA_VERSION);
    else
    if (m->dbs[0].pad < S_PSIZE_MIN || m->dbs[0].pad > S_PSIZE_MAX
    ||  (m->dbs[0].pad & (m->dbs[0].pad - 1)))
        n = snprintf (f->why, sizeof f->why, "page size %u", m->dbs[0].pad);
    else
    if (m->txnid != 0 && (m->txnid & 1) != (size_t) i)
        n = snprintf (f->why, sizeof f->why, "txnid %zu where an %s one is expected",
                      m->txnid, i ? "odd" : "even");
    else
    if (m->last_pg < 1 || m->last_pg > SIZE_MAX / m->dbs[0].pad - 1)
        n = snprintf (f->why, sizeof f->why, "last page %zu", m->last_pg);
    else
    for (int d = 0; d < 2 && n == 0; d++)
        if (m->dbs[d].root != S_P_INVALID
        &&  (m->dbs[d].root < 2 || m->dbs[d].root > m->last_pg))
            n = snprintf (f->why, sizeof f->why, "root page %zu of the %s tree, "
                          "outside pages 2 to %zu", m->dbs[d].root,
                          d ? "main" : "free pages'", m->last_pg);
    if (n == 0)
        return 0;
    /* "meta page 1 of data.mdb is damaged (txnid 4 where an odd ...)" */
    char detail[128];
    snprintf (detail, sizeof detail, "%.127s", f->why);
    snprintf (f->why, sizeof f->why, "meta page %d of data.mdb is damaged (%s)",
              i, detail);
    return -1;
}

/* Read page PGNO (and, for an overflow page, the pages after it up to
 * MAX bytes in all) into a new buffer.  NULL with WHY when it is outside
 * the file, not what its number says, or cannot be read. */
static uint8_t *
s_page_read (s_file_t *f, size_t pgno, size_t *len_p)
{
    size_t psize = f->psize;
    uint8_t *buf = NULL;
    s_lmdb_page_t page;
    if (pgno < 2 || pgno >= f->size / psize) {
        snprintf (f->why, sizeof f->why, "data.mdb is damaged: its free pages' "
                  "tree names page %zu, outside the file", pgno);
        return NULL;
    }
    size_t len = psize;
    for (int pass = 0; pass < 2; pass++) {
        uint8_t *more = realloc (buf, len);
        if (!more)
            break;
        buf = more;
        if (pread (f->fd, buf, len, (off_t) (pgno * psize)) != (ssize_t) len)
            break;
        memcpy (&page, buf, sizeof page);
        if (page.pgno != pgno)
            break;
        if (pass == 1 || !(page.flags & S_P_OVERFLOW)) {
            *len_p = len;
            return buf;
        }
        uint32_t pages;
        memcpy (&pages, buf + offsetof (s_lmdb_page_t, lower), sizeof pages);
        if (pages == 0 || pages > f->size / psize - pgno)
            break;
        len = (size_t) pages * psize;
    }
    free (buf);
    snprintf (f->why, sizeof f->why, "data.mdb is damaged: page %zu of its free "
              "pages' tree cannot be read", pgno);
    return NULL;
}

/* What the walk of the free pages' tree counts. */
typedef struct {
    size_t   lo, hi;            /* the pages past the file's end */
    uint8_t *seen;              /* a bit each, set when listed free */
    size_t   count;             /* distinct pages of lo..hi listed */
    size_t   pages;             /* pages read, against loops */
} s_free_t;

/* Count into FR the pages of FR->lo..hi that the free pages' tree under
 * PGNO lists (a leaf's value is an MDB_IDL: a count, then page numbers).
 * 0, or -1 with WHY. */
static int
s_free_walk (s_file_t *f, s_free_t *fr, size_t pgno, int depth)
{
    size_t len = 0;
    if (depth > S_FREE_DEPTH || ++fr->pages > f->size / f->psize) {
        snprintf (f->why, sizeof f->why, "data.mdb is damaged: its free pages' "
                  "tree loops");
        return -1;
    }
    uint8_t *buf = s_page_read (f, pgno, &len);
    if (!buf)
        return -1;
    int rc = 0;
    s_lmdb_page_t page;
    memcpy (&page, buf, sizeof page);
    size_t nkeys = page.lower >= S_PAGEHDR ? (page.lower - S_PAGEHDR) / 2 : 0;
    if (!(page.flags & (S_P_BRANCH | S_P_LEAF)) || page.lower > f->psize)
        rc = -1;
    for (size_t k = 0; k < nkeys && rc == 0; k++) {
        uint16_t at, node[4];           /* lo, hi, flags, ksize */
        memcpy (&at, buf + S_PAGEHDR + 2 * k, 2);
        if ((size_t) at + S_NODEHDR > f->psize) {
            rc = -1;
            break;
        }
        memcpy (node, buf + at, sizeof node);
        size_t data = (size_t) at + S_NODEHDR + node[3];
        if (page.flags & S_P_BRANCH) {
            /* A child's page number: lo, hi, and on 64 bits the flags. */
            size_t child = node[0] | ((size_t) node[1] << 16);
            if (sizeof (size_t) > 4)
                child |= (size_t) node[2] << 16 << 16;
            rc = s_free_walk (f, fr, child, depth + 1);
            continue;
        }
        size_t dsize = node[0] | ((size_t) node[1] << 16);
        const uint8_t *ids = buf + data;
        uint8_t *big = NULL;
        size_t biglen = 0;
        if (node[2] & S_F_BIGDATA) {
            size_t over;
            if (data + sizeof over > f->psize) {
                rc = -1;
                break;
            }
            memcpy (&over, buf + data, sizeof over);
            big = s_page_read (f, over, &biglen);
            if (!big)
                goto out;
            if (dsize > biglen - S_PAGEHDR) {
                free (big);
                rc = -1;
                break;
            }
            ids = big + S_PAGEHDR;
        }
        else
        if (data + dsize > f->psize) {
            rc = -1;
            break;
        }
        size_t n = 0;
        if (dsize >= sizeof n)
            memcpy (&n, ids, sizeof n);
        if (n > dsize / sizeof n - 1)
            rc = -1;
        for (size_t j = 1; j <= n && rc == 0; j++) {
            size_t p;
            memcpy (&p, ids + j * sizeof p, sizeof p);
            if (p >= fr->lo && p <= fr->hi) {
                size_t bit = p - fr->lo;
                if (!(fr->seen[bit / 8] & (1u << (bit % 8)))) {
                    fr->seen[bit / 8] |= (uint8_t) (1u << (bit % 8));
                    fr->count++;
                }
            }
        }
        free (big);
    }
    if (rc == -1 && !f->why[0])
        snprintf (f->why, sizeof f->why, "data.mdb is damaged: page %zu of its "
                  "free pages' tree is not one", pgno);
out:
    free (buf);
    return rc == 0 && !f->why[0] ? 0 : -1;
}

/* The newest meta's pages past the file's end: allowed only when every
 * one of them is free.  LMDB never writes a page it allocated and freed
 * in the same transaction, so a file may legitimately end before the last
 * page when those are the last ones ("the file may be shorter if the
 * freeDB lists the final pages", mdb.c); anything else is a truncation.
 * 0, or -1 with WHY. */
static int
s_tail_check (s_file_t *f, const s_lmdb_meta_t *m)
{
    uint64_t need = (uint64_t) (m->last_pg + 1) * f->psize;
    if (f->size >= need)
        return 0;
    s_free_t fr = { .lo = (size_t) (f->size / f->psize), .hi = m->last_pg };
    size_t missing = fr.hi - fr.lo + 1;
    int rc = -1;
    if (m->dbs[0].root != S_P_INVALID) {
        fr.seen = calloc (missing / 8 + 1, 1);
        if (fr.seen && s_free_walk (f, &fr, m->dbs[0].root, 0) == 0
        &&  fr.count == missing)
            rc = 0;
        free (fr.seen);
    }
    if (rc) {
        char a[32], b[32];
        snprintf (f->why, sizeof f->why, "data.mdb is damaged: %s bytes, but its "
                  "last page ends at byte %s (truncated?)", s_commas (f->size, a),
                  s_commas (need, b));
    }
    return rc;
}

/* Both meta pages and the size of the file at FD.  0; 1 when the file is
 * empty; -1 with WHY. */
static int
s_file_check_once (s_file_t *f)
{
    uint8_t buf[S_PAGEHDR + sizeof (s_lmdb_meta_t)];
    struct stat st;
    f->why[0] = '\0';
    f->eno = 0;
    ssize_t n = pread (f->fd, buf, sizeof buf, 0);
    if (n < 0) {
        f->eno = errno;
        snprintf (f->why, sizeof f->why, "data.mdb: %s", strerror (errno));
        return -1;
    }
    if (n == 0 && fstat (f->fd, &st) == 0 && st.st_size == 0)
        return 1;
    f->size = (uint64_t) n;
    if (s_meta_check (f, 0, buf, (size_t) n))
        return -1;
    f->psize = f->meta[0].dbs[0].pad;
    n = pread (f->fd, buf, sizeof buf, (off_t) f->psize);
    /* The size only now: a writer extends the file before it writes the
     * meta page that names the new pages, never the other way round. */
    if (fstat (f->fd, &st) != 0) {
        f->eno = errno;
        snprintf (f->why, sizeof f->why, "data.mdb: %s", strerror (errno));
        return -1;
    }
    f->size = (uint64_t) st.st_size;
    if (s_meta_check (f, 1, buf, n < 0 ? 0 : (size_t) n))
        return -1;
    const s_lmdb_meta_t *m0 = &f->meta[0], *m1 = &f->meta[1];
    if (m1->dbs[0].pad != f->psize) {
        snprintf (f->why, sizeof f->why, "meta pages 0 and 1 of data.mdb disagree "
                  "(page sizes %u and %u): one of them is damaged", f->psize,
                  m1->dbs[0].pad);
        return -1;
    }
    /* Each commit overwrites the older meta with the next txnid: they
     * differ by one (both 0 in a new file).  Anything else is a damaged
     * txnid, and LMDB would open the other meta — a silent rollback. */
    size_t lo = m0->txnid < m1->txnid ? m0->txnid : m1->txnid;
    size_t hi = m0->txnid < m1->txnid ? m1->txnid : m0->txnid;
    if (hi != lo + 1 && !(hi == 0 && lo == 0)) {
        snprintf (f->why, sizeof f->why, "meta pages 0 and 1 of data.mdb disagree "
                  "(txnids %zu and %zu, where one follows the other): one of "
                  "them is damaged", m0->txnid, m1->txnid);
        return -1;
    }
    /* LMDB never gives pages back to the file: a later transaction uses
     * at least the pages of the one before.  (A newer txnid lowered to
     * the one before the older's, in a commit that used no new page,
     * shows nowhere: that rollback the meta pages cannot tell.) */
    const s_lmdb_meta_t *newer = &f->meta[m1->txnid > m0->txnid];
    const s_lmdb_meta_t *older = &f->meta[m1->txnid <= m0->txnid];
    if (older->last_pg > newer->last_pg) {
        snprintf (f->why, sizeof f->why, "meta pages 0 and 1 of data.mdb disagree "
                  "(txnid %zu uses pages up to %zu, the later txnid %zu only up "
                  "to %zu): one of them is damaged", older->txnid, older->last_pg,
                  newer->txnid, newer->last_pg);
        return -1;
    }
    return s_tail_check (f, newer);
}

/* Check DATAFILE before LMDB maps it.  0 fine; 1 empty (LMDB makes a new
 * store there); -1 with ERR ("KIND DIR: ...") and *ERRNO_P: EBADMSG when
 * the file is damaged, else why it could not be read. */
static int
s_file_check (const char *kind, const char *dir, const char *datafile,
              int *errno_p, char *err, size_t errlen)
{
    s_file_t f = { .fd = open (datafile, O_RDONLY | O_CLOEXEC) };
    if (f.fd < 0) {
        *errno_p = errno;
        jad_err_set (err, errlen, "%s %s: data.mdb: %s", kind, dir, strerror (errno));
        return -1;
    }
    /* A writer in another process may commit between the two preads, and
     * twice more before the second: damage is what a second look sees
     * again. */
    int rc = s_file_check_once (&f);
    if (rc < 0)
        rc = s_file_check_once (&f);
    if (rc < 0 && f.eno) {
        *errno_p = f.eno;
        jad_err_set (err, errlen, "%s %s: %s", kind, dir, f.why);
    }
    else
    if (rc < 0) {
        *errno_p = EBADMSG;
        jad_err_set (err, errlen, "%s %s: %s; %s", kind, dir, f.why, s_remedy (kind));
    }
    close (f.fd);
    return rc;
}

/* A writer needs its directory, data.mdb and lock.mdb writable (LMDB
 * makes a missing lock.mdb again; an open for writing of a read-only
 * file fails with a bare "Permission denied").  Checked with the
 * effective ids, as open will be.  0, or -1 with ERR and *ERRNO_P. */
static int
s_writable_check (const char *kind, const char *dir, const char *path,
                  int *errno_p, char *err, size_t errlen)
{
    static const char *names[] = { NULL, "data.mdb", "lock.mdb" };
    char file[PATH_MAX + 16];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf (file, sizeof file, "%s%s%s", path, names[i] ? "/" : "",
                  names[i] ? names[i] : "");
        if (names[i] && access (file, F_OK) != 0)
            continue;
        if (faccessat (AT_FDCWD, file, W_OK, AT_EACCESS) != 0) {
            *errno_p = errno;
            jad_err_set (err, errlen, "%s %s: read-only (%s is not writable: %s): "
                         "a writer needs the directory, data.mdb and lock.mdb "
                         "writable by its user (owners and modes: "
                         "docs/OPERATIONS.md, section 2)", kind, dir,
                         names[i] ? names[i] : "the directory", strerror (errno));
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ a file shrinking under the map */

/* A file cut short while a process has it mapped (a truncate, a failing
 * disk) makes the next read of a missing page raise SIGBUS, which kills
 * the process without a word.  The store keeps the map of every open
 * store in a fixed table that a SIGBUS handler can read without locks
 * (atomics, no allocation), with the line to write ready-made; the
 * handler, installed once when the first store opens, writes that line
 * and exits 2 when the faulting address is in a store's map, and leaves
 * any other SIGBUS to the disposition before it.  Beyond S_MAPS_MAX open
 * stores a map is not covered: a SIGBUS there is left alone too. */

#define S_MAPS_MAX   32
#define S_MAPS_TEXT  1024

typedef struct {
    atomic_int       used;      /* claimed by an open store */
    atomic_uintptr_t start;     /* its map [start, end); 0 while unknown */
    atomic_uintptr_t end;
    size_t           split;     /* the byte offset goes at text[split] */
    size_t           len;
    char             text[S_MAPS_TEXT];
} s_map_t;

static s_map_t s_maps[S_MAPS_MAX];
static struct sigaction s_sigbus_before;    /* the disposition we replaced */
static pthread_mutex_t s_sigbus_lock = PTHREAD_MUTEX_INITIALIZER;

/* The handler: async-signal-safe only (no stdio, no allocation). */
static void
s_on_sigbus (int sig, siginfo_t *info, void *context)
{
    (void) context;
    uintptr_t at = (uintptr_t) info->si_addr;
    for (int i = 0; info->si_code > 0 && i < S_MAPS_MAX; i++) {
        uintptr_t start = atomic_load (&s_maps[i].start);
        uintptr_t end = atomic_load (&s_maps[i].end);
        if (start == 0 || at < start || at >= end)
            continue;
        s_map_t *m = &s_maps[i];
        char line[S_MAPS_TEXT + 24], digits[24];
        size_t nd = 0, n = 0;
        uintptr_t off = at - start;
        do
            digits[nd++] = (char) ('0' + off % 10);
        while ((off /= 10) != 0);
        memcpy (line, m->text, m->split);
        n = m->split;
        while (nd > 0)
            line[n++] = digits[--nd];
        memcpy (line + n, m->text + m->split, m->len - m->split);
        n += m->len - m->split;
        ssize_t w = write (STDERR_FILENO, line, n);
        (void) w;
        _exit (2);
    }
    /* Not a store's: as if this handler had never been.  A fault comes
     * back at once when the instruction is retried; a SIGBUS sent by
     * kill(2) is raised again, pending until this handler returns. */
    sigaction (SIGBUS, &s_sigbus_before, NULL);
    if (info->si_code <= 0)
        raise (sig);
}

/* Install the handler, once — and again when something installed its own
 * since (a test harness does, around each test): ours goes on top and
 * hands what is not a store's to it. */
static void
s_sigbus_install (void)
{
    struct sigaction sa, now;
    pthread_mutex_lock (&s_sigbus_lock);
    if (sigaction (SIGBUS, NULL, &now) == 0
    &&  (!(now.sa_flags & SA_SIGINFO) || now.sa_sigaction != s_on_sigbus)) {
        memset (&sa, 0, sizeof sa);
        sa.sa_sigaction = s_on_sigbus;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset (&sa.sa_mask);
        sigaction (SIGBUS, &sa, &s_sigbus_before);
    }
    pthread_mutex_unlock (&s_sigbus_lock);
}

/* [*START, *END) of this process's map of DATAFILE, from
 * /proc/self/maps: LMDB does not say where it mapped the file
 * (mdb_env_info's me_mapaddr is set only with MDB_FIXEDMAP).  0, or -1
 * when it is not found. */
static int
s_map_find (const char *datafile, uintptr_t *start_p, uintptr_t *end_p)
{
    FILE *maps = fopen ("/proc/self/maps", "re");
    if (!maps)
        return -1;
    char line[PATH_MAX + 256];
    uintptr_t lo = 0, hi = 0;
    while (fgets (line, sizeof line, maps)) {
        unsigned long start, end;
        int path_at = 0;
        if (sscanf (line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &path_at) < 2
        ||  path_at == 0)
            continue;
        char *path = line + path_at;
        path[strcspn (path, "\n")] = '\0';
        if (strcmp (path, datafile) != 0)
            continue;
        if (lo == 0 || start < lo)
            lo = start;
        if (end > hi)
            hi = end;
    }
    fclose (maps);
    *start_p = lo;
    *end_p = hi;
    return lo ? 0 : -1;
}

/* Where SELF's map is now, after an open or a resize (the map moves). */
static void
s_map_update (jad_store_t *self)
{
    if (self->map_slot < 0)
        return;
    s_map_t *m = &s_maps[self->map_slot];
    uintptr_t start = 0, end = 0;
    atomic_store (&m->start, 0);
    if (s_map_find (self->datafile, &start, &end) == 0) {
        atomic_store (&m->end, end);
        atomic_store (&m->start, start);
    }
}

/* Forget SELF's map before LMDB unmaps it (a resize, a close). */
static void
s_map_forget (jad_store_t *self)
{
    if (self->map_slot >= 0)
        atomic_store (&s_maps[self->map_slot].start, 0);
}

#ifdef __GLIBC__
extern char *program_invocation_short_name;
#endif

/* LMDB's assertion hook.  LMDB 0.9 aborts the process (SIGABRT) when a
 * cursor walks onto a page that is not what the tree says — a page of a
 * damaged file zeroed or overwritten in the middle, which the meta checks
 * at open cannot see.  It calls this first: say which file and what to
 * do, as every other refusal of a damaged file does, and exit 2 rather
 * than die of a signal.  MSG is LMDB's own text (file, line, check). */
static void
s_assert_fn (MDB_env *env, const char *msg)
{
    jad_store_t *self = mdb_env_get_userctx (env);
#ifdef __GLIBC__
    const char *prog = program_invocation_short_name;
#else
    const char *prog = "jad";
#endif
    if (self)
        fprintf (stderr, "%s: %s %s: data.mdb is damaged: LMDB met a broken "
                 "page (%s); stopping (exit 2); run `jad-verify --data %s` to "
                 "see what is left; %s\n", prog, self->spec->kind, self->path,
                 msg, self->path, s_remedy (self->spec->kind));
    else
        fprintf (stderr, "%s: an LMDB file is damaged: %s; stopping (exit 2)\n",
                 prog, msg);
    fflush (stderr);
    _exit (2);
}

/* Claim a slot for SELF, with its line ready, and record its map. */
static void
s_map_register (jad_store_t *self)
{
    s_sigbus_install ();
    self->map_slot = -1;
    for (int i = 0; i < S_MAPS_MAX && self->map_slot < 0; i++) {
        int free_slot = 0;
        if (atomic_compare_exchange_strong (&s_maps[i].used, &free_slot, 1))
            self->map_slot = i;
    }
    if (self->map_slot < 0)
        return;
    s_map_t *m = &s_maps[self->map_slot];
#ifdef __GLIBC__
    const char *prog = program_invocation_short_name;
#else
    const char *prog = "jad";
#endif
    int n = snprintf (m->text, sizeof m->text, "%s: %s %s: data.mdb shrank under "
                      "this process (a read at byte ", prog, self->spec->kind,
                      self->path);
    m->split = n < 0 ? 0 : (size_t) n < sizeof m->text ? (size_t) n
                                                        : sizeof m->text - 1;
    n = snprintf (m->text + m->split, sizeof m->text - m->split, " is past its "
                  "end): it is damaged; stopping (exit 2); %s\n",
                  s_remedy (self->spec->kind));
    m->len = m->split + (n < 0 ? 0 : (size_t) n);
    if (m->len >= sizeof m->text) {
        m->len = sizeof m->text - 1;
        m->text[m->len - 1] = '\n';
    }
    s_map_update (self);
}

/* Give SELF's slot back. */
static void
s_map_release (jad_store_t *self)
{
    if (self->map_slot < 0)
        return;
    s_map_forget (self);
    atomic_store (&s_maps[self->map_slot].used, 0);
    self->map_slot = -1;
}

/* ------------------------------------------------------------ transactions */

/* Set the map size to SIZE (0: adopt the size another process set), with
 * no transaction of this process open: LMDB's requirement. */
static int
s_set_mapsize (jad_store_t *self, size_t size)
{
    pthread_rwlock_wrlock (&self->lock);
    /* LMDB unmaps the file and maps it again, elsewhere: no read of it
     * can fault meanwhile (no transaction is open). */
    s_map_forget (self);
    int rc = mdb_env_set_mapsize (self->env, size);
    s_map_update (self);
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
            self->lmdb_rc = rc;
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
            self->lmdb_rc = rc;
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
        self->lmdb_rc = rc;
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
    if (rc != 0 && rc != -1) {
        self->lmdb_rc = rc;
        jad_err_set (err, errlen, "%s %s: %s", self->spec->kind, o->dir,
               mdb_strerror (rc));
    }
    return rc ? -1 : 0;
}

/* Free what jad_store_open made of SELF; it is not in the registry. */
static void
s_free (jad_store_t *self)
{
    s_map_release (self);
    if (self->env)
        mdb_env_close (self->env);
    pthread_rwlock_destroy (&self->lock);
    free (self->path);
    free (self->datafile);
    free (self);
}

/* What is checked before LMDB maps the file: that data.mdb is there
 * (unless it may be created), a writer's access to the directory and
 * files, and data.mdb against its meta pages.  0 with *EXISTS_P whether
 * data.mdb is there, or -1 with ERR and *ERRNO_P. */
static int
s_open_check (jad_store_t *self, const char *dir, int flags, int *exists_p,
              int *errno_p, char *err, size_t errlen)
{
    const char *kind = self->spec->kind;
    struct stat st;
    *exists_p = stat (self->datafile, &st) == 0;
    if (!*exists_p && !(flags & JAD_STORE_CREATE)) {
        *errno_p = ENOENT;
        jad_err_set (err, errlen, "%s %s: no %s there (data.mdb missing)", kind, dir,
               kind);
        return -1;
    }
    if (!self->rdonly
    &&  s_writable_check (kind, dir, self->path, errno_p, err, errlen) != 0)
        return -1;
    if (!*exists_p)
        return 0;
    /* An empty data.mdb is a store whose making was cut short before
     * anything was written: LMDB makes it afresh for a writer that may
     * create; nobody else has anything to read there. */
    int rc = s_file_check (kind, dir, self->datafile, errno_p, err, errlen);
    if (rc == 1 && !(flags & JAD_STORE_CREATE)) {
        *errno_p = ENOENT;
        jad_err_set (err, errlen, "%s %s: no %s there (data.mdb is empty)", kind,
                     dir, kind);
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* LMDB's codes that mean the file is damaged, not that it cannot be
 * opened: the open says so and sets errno to EBADMSG. */
static int
s_is_damage (int rc)
{
    return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID;
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
    int eno = EINVAL;           /* errno on failure: why it failed */
    struct stat st;

    if ((flags & JAD_STORE_CREATE) && (flags & JAD_STORE_RDONLY)) {
        jad_err_set (err, errlen, "%s: CREATE and RDONLY are exclusive", kind);
        goto out;
    }
    if ((flags & JAD_STORE_CREATE) && mkdir (dir, spec->dir_mode) != 0
    &&  errno != EEXIST) {
        eno = errno;
        jad_err_set (err, errlen, "%s %s: mkdir: %s", kind, dir, strerror (errno));
        goto out;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        eno = ENOMEM;
        jad_err_set (err, errlen, "%s: out of memory", kind);
        goto out;
    }
    self->spec = spec;
    self->map_slot = -1;
    pthread_rwlock_init (&self->lock, NULL);
    self->rdonly = (flags & JAD_STORE_RDONLY) != 0;
    self->path = realpath (dir, NULL);
    if (!self->path) {
        eno = errno;
        if (errno == ENOENT)
            jad_err_set (err, errlen, "%s %s: no %s there (no such directory)", kind,
                   dir, kind);
        else
            jad_err_set (err, errlen, "%s %s: %s", kind, dir, strerror (errno));
        goto out;
    }
    if (stat (self->path, &st) != 0 || !S_ISDIR (st.st_mode)) {
        eno = ENOTDIR;
        jad_err_set (err, errlen, "%s %s: not a directory", kind, dir);
        goto out;
    }
    size_t plen = strlen (self->path) + sizeof "/data.mdb";
    self->datafile = malloc (plen);
    if (!self->datafile) {
        eno = ENOMEM;
        jad_err_set (err, errlen, "%s: out of memory", kind);
        goto out;
    }
    snprintf (self->datafile, plen, "%s/data.mdb", self->path);
    int exists = 0;
    if (s_open_check (self, dir, flags, &exists, &eno, err, errlen) != 0)
        goto out;
    if (!s_register (self)) {
        eno = EBUSY;
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
    ||  (rc = mdb_env_set_userctx (self->env, self))
    ||  (rc = mdb_env_set_assert (self->env, s_assert_fn))
    ||  (rc = mdb_env_set_maxdbs (self->env, JAD_STORE_DBS_MAX))
    ||  (!exists && (rc = mdb_env_set_mapsize (self->env, spec->mapsize)))
    ||  (rc = mdb_env_open (self->env, self->path, envflags, 0600))) {
        self->lmdb_rc = rc;
        jad_err_set (err, errlen, "%s %s: %s", kind, dir, mdb_strerror (rc));
        goto damage;
    }
    s_map_register (self);
    if (!self->rdonly && spec->group_modes)
        s_force_modes (self);
    /* Reader slots of killed processes would pin old pages. */
    int dead = 0;
    mdb_reader_check (self->env, &dead);

    s_open_t o = { dir, (flags & JAD_STORE_CREATE) != 0, init_arg };
    if (s_open_txn (self, &o, err, errlen))
        goto damage;
    result = self;
    self = NULL;
    goto out;
damage:
    /* LMDB found what the meta pages could not show (a page of the wrong
     * kind, one it cannot find): damage too. */
    if (s_is_damage (self->lmdb_rc)) {
        eno = EBADMSG;
        jad_err_set (err, errlen, "%s %s: data.mdb is damaged (%s); %s", kind, dir,
                     mdb_strerror (self->lmdb_rc), s_remedy (kind));
    }
    else
    if (self->lmdb_rc > 0)
        eno = self->lmdb_rc;        /* LMDB passes the system's errno on */
out:
    if (self) {
        if (registered)
            s_unregister (self);
        s_free (self);
    }
    if (!result)
        errno = eno;
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
    /* The lock keeps the map where it is while it is dropped: a resize
     * (which remaps) waits for it. */
    pthread_rwlock_rdlock (&self->lock);
    uintptr_t start = 0, end = 0;
    if (s_map_find (self->datafile, &start, &end) == 0)
        madvise ((void *) start, end - start, MADV_DONTNEED);
    pthread_rwlock_unlock (&self->lock);
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
