/*  repair: a new journal rebuilt from the entries of a damaged one and of
 *  its mirrors.  See include/jad/repair.h for the rules and the promises.
 *
 *  Two halves: the readers (a child process per source, asked one question
 *  at a time over a socket pair, restarted when one dies), and the builder
 *  in the calling process, which owns the only writable journal — the new
 *  one — and never opens a source itself.
 */
#define _GNU_SOURCE     /* renameat2 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "jad/err.h"
#include "jad/journal.h"
#include "jad/record.h"
#include "jad/repair.h"
#include "jad/roster.h"
#include "jad/wire.h"

#define S_SOURCES_MAX   (1 + JAD_REPAIR_MIRRORS_MAX)
#define S_DEATHS_MAX    64          /* readers of one source that may die
                                     * before it is given up */
#define S_BATCH         1000        /* entries per durable commit */
#define S_BATCH_BYTES   (8 << 20)   /* ... or this many bytes */
#define S_ANSWER_MAX    (64 << 20)  /* larger than any entry or record */
#define S_HASH          JAD_JOURNAL_HASH_BYTES

/* ------------------------------------------------------------ protocol */

/* The questions a reader answers. */
enum {
    S_ASK_HEAD = 1,             /* key = its head */
    S_ASK_META,                 /* bytes = its jad_journal_meta_t */
    S_ASK_ENTRY,                /* ARG: the entry's bytes; status 1 found,
                                 * 0 not there, -1 not readable */
    S_ASK_RECORD                /* KIND, ARG: the first side record with a
                                 * key >= ARG: status 1 (key, bytes), 0 none */
};

typedef struct {
    uint32_t op;                /* S_ASK_* */
    uint32_t kind;              /* JAD_JOURNAL_CHECKPOINTS or _ROSTERS */
    uint64_t arg;
} s_question_t;

typedef struct {
    int32_t  status;            /* per question; -1 failed */
    uint32_t len;               /* bytes that follow */
    uint64_t key;
} s_answer_hdr_t;

/* An answer as the builder holds it: BUF is malloc'd (NULL when LEN 0). */
typedef struct {
    int      status;
    uint64_t key;
    uint8_t *buf;
    size_t   len;
} s_answer_t;

/* One source and the child reading it. */
typedef struct {
    const char *dir;            /* as the caller named it */
    int         find;           /* 1: jad_journal_find (a mirror);
                                 * 0: jad_journal_open (the damaged one) */
    pid_t       pid;            /* its reader; 0 none running */
    int         fd;             /* our end of the socket pair; -1 none */
    int         deaths;         /* readers that died */
    int         last_signal;    /* what ended the last one, 0 an exit */
    int         gone;           /* cannot be read at all */
    char        why[320];       /* ... because */
    uint64_t    head;           /* as it says; 0 unknown or empty */
    int         has_meta;       /* META answered and says has */
    jad_journal_meta_t meta;
} s_source_t;

/* One entry as one source gave it. */
typedef struct {
    uint64_t seq;               /* which entry this slot holds; 0 none */
    int      ok;                /* read, decodes, says hub_seq SEQ */
    uint8_t *buf;               /* its bytes (NULL once taken) */
    size_t   len;
    uint8_t  hash[S_HASH];      /* BLAKE2b-256 of the bytes */
    int      has_prev;          /* it has a prev_hash (entry 1 has none) */
    uint8_t  prev[S_HASH];      /* its prev_hash */
    uint32_t epoch;             /* its epoch, for a meta rebuilt without
                                 * the damaged journal's */
} s_copy_t;

typedef struct {
    const jad_repair_config_t *cfg;            /* the caller's */
    jad_repair_result_t *res;                  /* the caller's, filled in */
    s_source_t     src[S_SOURCES_MAX];         /* [0] damaged, [1..] mirrors */
    size_t         n_src;
    jad_journal_t *out;                        /* the new journal: the only
                                                * one this process opens */
    s_copy_t       copies[2][S_SOURCES_MAX];   /* by seq & 1: N and N + 1 */
    const uint8_t *batch[S_BATCH];             /* owned, freed at flush */
    size_t         batch_len[S_BATCH];         /* their lengths */
    size_t         n_batch, batch_bytes;       /* how many, how large */
    uint32_t       last_epoch;                 /* of the last entry taken */
    uint64_t       damaged_bad;                /* entries the damaged journal
                                                * could not give */
    uint64_t       damaged_bad_first, damaged_bad_last;    /* their range */
} s_repair_t;

/* Append a line to RES->notes. */
static void s_note (s_repair_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
s_note (s_repair_t *self, const char *fmt, ...)
{
    char *notes = self->res->notes;
    size_t used = strlen (notes), size = sizeof self->res->notes;
    if (used + 2 >= size)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (notes + used, size - used - 1, fmt, ap);
    va_end (ap);
    used = strlen (notes);
    notes[used] = '\n';
    notes[used + 1] = 0;
}

static int
s_write_full (int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

/* 0 when LEN bytes were read; -1 at the end of the stream or an error. */
static int
s_read_full (int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = read (fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

/* ------------------------------------------------------------ the reader */

static void
s_reply (int fd, int status, uint64_t key, const void *buf, size_t len)
{
    s_answer_hdr_t h = { status, (uint32_t) len, key };
    if (s_write_full (fd, &h, sizeof h) != 0
    ||  (len && s_write_full (fd, buf, len) != 0))
        _exit (0);              /* the builder is gone */
}

/* The child: open SRC and answer questions on FD until the builder hangs
 * up.  Never returns.  Its first answer says whether SRC opened. */
static void __attribute__((noreturn))
s_reader (const s_source_t *src, int fd)
{
    char err[300] = "";
    /* LMDB's assertion text on a damaged page would only confuse the
     * builder's user: the builder says what died, and where. */
    int devnull = open ("/dev/null", O_WRONLY);
    if (devnull >= 0) {
        dup2 (devnull, STDERR_FILENO);
        close (devnull);
    }
    struct rlimit no_core = { 0, 0 };
    setrlimit (RLIMIT_CORE, &no_core);
    /* A fault ends this process, whatever the parent had set up for its
     * own (a test harness that longjmps out of a SIGBUS, a sanitizer's
     * report, a daemon's SIGTERM handler). */
    const int fatal[] = { SIGBUS, SIGSEGV, SIGILL, SIGFPE, SIGABRT, SIGTERM,
                          SIGINT, SIGHUP };
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        signal (fatal[i], SIG_DFL);
    jad_journal_t *j = src->find
        ? jad_journal_find (src->dir, err, sizeof err)
        : jad_journal_open (src->dir, JAD_JOURNAL_RDONLY, err, sizeof err);
    if (!j) {
        s_reply (fd, -1, 0, err, strlen (err));
        _exit (0);
    }
    s_reply (fd, 0, 0, NULL, 0);
    s_question_t q;
    while (s_read_full (fd, &q, sizeof q) == 0) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (q.op == S_ASK_HEAD) {
            uint64_t head = 0;
            int rc = jad_journal_head (j, &head);
            s_reply (fd, rc ? -1 : 0, head, NULL, 0);
        }
        else
        if (q.op == S_ASK_META) {
            jad_journal_meta_t m;
            int rc = jad_journal_meta_get (j, &m);
            s_reply (fd, rc ? -1 : 0, 0, &m, sizeof m);
        }
        else
        if (q.op == S_ASK_ENTRY) {
            int found = jad_journal_get (j, q.arg, &buf, &len);
            s_reply (fd, found, q.arg, buf, found == 1 ? len : 0);
        }
        else
        if (q.op == S_ASK_RECORD) {
            /* One search from the root per record: a walk from record to
             * record would step onto a damaged page in the next leaf. */
            uint64_t key = 0;
            int found = jad_journal_record_next (j, (int) q.kind, q.arg, &key,
                                                 &buf, &len);
            s_reply (fd, found, key, buf, found == 1 ? len : 0);
        }
        else
            s_reply (fd, -1, 0, NULL, 0);
        free (buf);
    }
    jad_journal_destroy (&j);
    _exit (0);
}

/* ------------------------------------------------------------ asking */

/* Reap SRC's reader (ended or ending), noting how it ended. */
static void
s_reap (s_source_t *src)
{
    if (src->fd >= 0)
        close (src->fd);
    src->fd = -1;
    if (src->pid > 0) {
        int status = 0;
        while (waitpid (src->pid, &status, 0) < 0 && errno == EINTR)
            ;
        src->last_signal = WIFSIGNALED (status) ? WTERMSIG (status) : 0;
    }
    src->pid = 0;
}

static void
s_gone (s_source_t *src, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
s_gone (s_source_t *src, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (src->why, sizeof src->why, fmt, ap);
    va_end (ap);
    src->gone = 1;
}

static int s_answer_read (s_source_t *src, s_answer_t *a);

/* Start a reader for SRC.  0 when it opened SRC; -1 when SRC is gone
 * (does not open) or no process could be made (ERR set: that is the
 * builder's failure, not the source's). */
static int
s_start (s_repair_t *self, s_source_t *src, char *err, size_t errlen)
{
    int sv[2];
    if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        jad_err_set (err, errlen, "repair: socketpair: %s", strerror (errno));
        return -1;
    }
    fflush (NULL);              /* nothing buffered is written twice */
    pid_t pid = fork ();
    if (pid < 0) {
        jad_err_set (err, errlen, "repair: fork: %s", strerror (errno));
        close (sv[0]);
        close (sv[1]);
        return -1;
    }
    if (pid == 0) {
        close (sv[0]);
        for (size_t i = 0; i < self->n_src; i++)
            if (self->src[i].fd >= 0)
                close (self->src[i].fd);
        s_reader (src, sv[1]);
    }
    close (sv[1]);
    src->pid = pid;
    src->fd = sv[0];
    s_answer_t hello = { 0 };
    if (s_answer_read (src, &hello) != 0) {
        s_reap (src);
        s_gone (src, "its reader died while opening it (%s%d): the file is "
                "damaged where LMDB starts reading",
                src->last_signal ? "signal " : "exit ", src->last_signal);
        return -1;
    }
    if (hello.status != 0) {
        s_gone (src, "does not open: %.*s", (int) hello.len,
                hello.buf ? (const char *) hello.buf : "");
        free (hello.buf);
        s_reap (src);
        return -1;
    }
    free (hello.buf);
    return 0;
}

static int
s_answer_read (s_source_t *src, s_answer_t *a)
{
    s_answer_hdr_t h;
    memset (a, 0, sizeof *a);
    if (s_read_full (src->fd, &h, sizeof h) != 0 || h.len > S_ANSWER_MAX)
        return -1;
    a->status = h.status;
    a->key = h.key;
    a->len = h.len;
    if (h.len) {
        a->buf = malloc (h.len);
        if (!a->buf || s_read_full (src->fd, a->buf, h.len) != 0) {
            free (a->buf);
            a->buf = NULL;
            return -1;
        }
    }
    return 0;
}

/* Ask SRC's reader question (OP, KIND, ARG) into *A (the caller frees
 * A->buf).  1 answered; 0 not answered — SRC is gone, or its reader died
 * on this very question (a damaged page: the next question gets a new
 * reader); -1 the builder failed (ERR). */
static int
s_ask (s_repair_t *self, s_source_t *src, uint32_t op, uint32_t kind,
       uint64_t arg, s_answer_t *a, char *err, size_t errlen)
{
    memset (a, 0, sizeof *a);
    if (src->gone)
        return 0;
    if (src->fd < 0 && s_start (self, src, err, errlen) != 0)
        return src->gone ? 0 : -1;
    s_question_t q = { op, kind, arg };
    if (s_write_full (src->fd, &q, sizeof q) == 0 && s_answer_read (src, a) == 0)
        return 1;
    s_reap (src);
    if (++src->deaths >= S_DEATHS_MAX)
        s_gone (src, "its readers died %d times (last: %s%d); the rest of it "
                "is not read", src->deaths,
                src->last_signal ? "signal " : "exit ", src->last_signal);
    return 0;
}

/* ------------------------------------------------------------ entries */

/* SRC's copy of entry SEQ, read once and kept while SEQ is the entry
 * being chosen or the one after it.  NULL when the builder failed. */
static s_copy_t *
s_copy (s_repair_t *self, size_t k, uint64_t seq, char *err, size_t errlen)
{
    s_copy_t *c = &self->copies[seq & 1][k];
    if (c->seq == seq)
        return c;
    free (c->buf);
    memset (c, 0, sizeof *c);
    c->seq = seq;
    s_answer_t a;
    int asked = s_ask (self, &self->src[k], S_ASK_ENTRY, 0, seq, &a, err, errlen);
    if (asked < 0)
        return NULL;
    if (asked == 0 || a.status != 1) {
        free (a.buf);
        return c;
    }
    char derr[128];
    Jad__Entry *e = jad_wire_entry_decode (a.buf, a.len, derr, sizeof derr);
    if (e && e->has_hub_seq && e->hub_seq == seq) {
        c->ok = 1;
        c->buf = a.buf;
        c->len = a.len;
        a.buf = NULL;
        crypto_generichash (c->hash, S_HASH, c->buf, c->len, NULL, 0);
        c->has_prev = e->has_prev_hash && e->prev_hash.len > 0;
        if (c->has_prev && e->prev_hash.len == S_HASH)
            memcpy (c->prev, e->prev_hash.data, S_HASH);
        else
        if (c->has_prev)
            c->ok = 0;          /* a prev_hash of another size links nothing */
        c->epoch = e->has_epoch ? e->epoch : 0;
    }
    jad_wire_free (&e);
    free (a.buf);
    return c;
}

/* C links to the entry before it: none for entry 1, else PREV. */
static int
s_links (const s_copy_t *c, uint64_t seq, const uint8_t *prev)
{
    if (seq == 1)
        return !c->has_prev;
    return c->has_prev && sodium_memcmp (c->prev, prev, S_HASH) == 0;
}

/* 1 when the next entry vouches for C: some source's entry SEQ + 1 names
 * C's hash as its prev_hash, or no source has an entry SEQ + 1 at all.
 * 0 when next entries exist and all name something else; -1 failed. */
static int
s_confirmed (s_repair_t *self, const s_copy_t *c, uint64_t seq,
             char *err, size_t errlen)
{
    int any = 0;
    for (size_t k = 0; k < self->n_src; k++) {
        const s_copy_t *next = s_copy (self, k, seq + 1, err, errlen);
        if (!next)
            return -1;
        if (!next->ok)
            continue;
        any = 1;
        if (next->has_prev && sodium_memcmp (next->prev, c->hash, S_HASH) == 0)
            return 1;
    }
    return !any;
}

static int
s_flush (s_repair_t *self, char *err, size_t errlen)
{
    int rc = 0;
    if (self->n_batch
    &&  jad_journal_append_entries (self->out, self->batch, self->batch_len,
                                    self->n_batch, err, errlen) != JAD_JOURNAL_OK)
        rc = -1;
    for (size_t i = 0; i < self->n_batch; i++)
        free ((void *) self->batch[i]);
    self->n_batch = 0;
    self->batch_bytes = 0;
    return rc;
}

/* Choose entry SEQ (see repair.h): *TAKEN_P = the source it comes from,
 * -1 when no source can give it.  0, or -1 failed. */
static int
s_choose (s_repair_t *self, uint64_t seq, const uint8_t *prev, int *taken_p,
          char *err, size_t errlen)
{
    int first = -1;
    *taken_p = -1;
    for (size_t k = 0; k < self->n_src; k++) {
        s_copy_t *c = s_copy (self, k, seq, err, errlen);
        if (!c)
            return -1;
        if (!c->ok || !s_links (c, seq, prev))
            continue;
        if (first < 0)
            first = (int) k;
        int vouched = s_confirmed (self, c, seq, err, errlen);
        if (vouched < 0)
            return -1;
        if (vouched) {
            *taken_p = (int) k;
            return 0;
        }
    }
    /* Copies that link but that no next entry vouches for: the first
     * one; the walk then stops at the next entry, which links to none. */
    *taken_p = first;
    return 0;
}

/* Walk hub_seq 1, 2... into the new journal until no source gives the
 * next one.  0, or -1 failed. */
static int
s_entries (s_repair_t *self, char *err, size_t errlen)
{
    uint8_t prev[S_HASH] = { 0 };
    for (uint64_t seq = 1; ; seq++) {
        int k;
        if (s_choose (self, seq, prev, &k, err, errlen) != 0)
            return -1;
        if (k < 0)
            break;
        s_copy_t *c = &self->copies[seq & 1][k];
        /* Entries the damaged journal should have had and could not give
         * (its head unknown: any). */
        if (k != 0 && (self->src[0].head == 0 || seq <= self->src[0].head)) {
            if (!self->damaged_bad++)
                self->damaged_bad_first = seq;
            self->damaged_bad_last = seq;
        }
        self->batch[self->n_batch] = c->buf;
        self->batch_len[self->n_batch++] = c->len;
        self->batch_bytes += c->len;
        c->buf = NULL;
        memcpy (prev, c->hash, S_HASH);
        self->last_epoch = c->epoch;
        self->res->taken[k]++;
        self->res->head = seq;
        if ((self->n_batch == S_BATCH || self->batch_bytes >= S_BATCH_BYTES)
        &&  s_flush (self, err, errlen) != 0)
            return -1;
    }
    return s_flush (self, err, errlen);
}

/* ------------------------------------------------------------ side records */

/* The record under KEY in the new journal, copied into *A (status 1), or
 * status 0 when there is none.  0, or -1 failed. */
static int
s_out_record (s_repair_t *self, int kind, uint64_t key, s_answer_t *a)
{
    uint64_t at = 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    memset (a, 0, sizeof *a);
    int found = jad_journal_record_next (self->out, kind, key, &at, &buf, &len);
    if (found < 0)
        return -1;
    if (found == 1 && at == key) {
        a->status = 1;
        a->key = key;
        a->buf = buf;
        a->len = len;
        return 0;
    }
    free (buf);
    return 0;
}

/* A copy worth keeping under KEY: it decodes, says KEY, and a checkpoint
 * within the new chain matches it. */
static int
s_record_good (s_repair_t *self, int kind, uint64_t key,
               const uint8_t *buf, size_t len)
{
    char err[256];
    if (kind == JAD_JOURNAL_CHECKPOINTS) {
        jad_checkpoint_t cp;
        if (jad_checkpoint_decode (buf, len, &cp, err, sizeof err) != 0
        ||  cp.hub_seq != key)
            return 0;
        return key > self->res->head || jad_checkpoint_match (&cp, self->out) == 1;
    }
    jad_roster_record_t rec = { 0 };
    int good = jad_roster_record_decode (buf, len, &rec, err, sizeof err) == 0
            && rec.effective_seq == key;
    jad_roster_record_clear (&rec);
    return good;
}

/* Put SRC's record (KEY, BUF) into the new journal unless it holds these
 * bytes, or other bytes that are good when these are not. */
static int
s_merge (s_repair_t *self, int kind, uint64_t key, const uint8_t *buf,
         size_t len, char *err, size_t errlen)
{
    s_answer_t have;
    int rc = -1;
    if (s_out_record (self, kind, key, &have) != 0) {
        jad_err_set (err, errlen, "repair: cannot read the new journal's side records");
        return -1;
    }
    int put = 1;
    if (have.status == 1) {
        int same = have.len == len && memcmp (have.buf, buf, len) == 0;
        if (!same)
            self->res->conflicts++;
        put = !same && !s_record_good (self, kind, key, have.buf, have.len)
           && s_record_good (self, kind, key, buf, len);
    }
    rc = put ? jad_journal_record_put (self->out, kind, key, buf, len, err, errlen)
             : 0;
    free (have.buf);
    return rc;
}

/* Every side record of KIND from every source, merged. */
static int
s_records (s_repair_t *self, int kind, char *err, size_t errlen)
{
    const char *noun = kind == JAD_JOURNAL_CHECKPOINTS ? "checkpoints" : "rosters";
    for (size_t k = 0; k < self->n_src; k++) {
        s_source_t *src = &self->src[k];
        uint64_t from = 0;
        for (;;) {
            s_answer_t a;
            int asked = s_ask (self, src, S_ASK_RECORD, (uint32_t) kind, from,
                               &a, err, errlen);
            if (asked < 0)
                return -1;
            if (asked == 0 || a.status < 0) {
                if (!src->gone)
                    s_note (self, "%s: its %s could be read only below %llu",
                            src->dir, noun, (unsigned long long) from);
                free (a.buf);
                break;
            }
            if (a.status == 0) {
                free (a.buf);
                break;
            }
            int rc = s_merge (self, kind, a.key, a.buf, a.len, err, errlen);
            free (a.buf);
            if (rc != 0)
                return -1;
            if (a.key == UINT64_MAX)
                break;
            from = a.key + 1;
        }
    }
    return 0;
}

typedef struct {
    jad_checkpoint_t cps[256];
    size_t           n;
    uint64_t         last;
    uint64_t         undecodable;   /* first key that does not decode */
} s_cps_t;

static int
s_cp_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_cps_t *c = arg;
    char err[256];
    c->last = seq;
    if (jad_checkpoint_decode (buf, len, &c->cps[c->n], err, sizeof err) != 0
    ||  c->cps[c->n].hub_seq != seq) {
        if (!c->undecodable)
            c->undecodable = seq;
    }
    else
        c->n++;
    return c->n == sizeof c->cps / sizeof c->cps[0];
}

/* Count the new journal's checkpoints and match each with the new chain,
 * after each chunk is read (a read nested in a scan: store.h). */
static int
s_check_checkpoints (s_repair_t *self, char *err, size_t errlen)
{
    s_cps_t *c = calloc (1, sizeof *c);
    int rc = -1;
    if (!c) {
        jad_err_set (err, errlen, "repair: out of memory");
        return -1;
    }
    uint64_t from = 0;
    for (;;) {
        c->n = 0;
        long visited = jad_journal_record_scan (self->out, JAD_JOURNAL_CHECKPOINTS,
                                                from, 256, s_cp_fn, c);
        if (visited < 0) {
            jad_err_set (err, errlen, "repair: cannot read the new journal's checkpoints");
            goto out;
        }
        for (size_t i = 0; i < c->n; i++) {
            uint64_t seq = c->cps[i].hub_seq;
            self->res->checkpoints++;
            if (seq <= self->res->head
            &&  jad_checkpoint_match (&c->cps[i], self->out) != 1
            &&  !self->res->bad_checkpoint)
                self->res->bad_checkpoint = seq;
        }
        if (visited < 256)
            break;
        from = c->last + 1;
    }
    if (c->undecodable && (!self->res->bad_checkpoint
                           || c->undecodable < self->res->bad_checkpoint))
        self->res->bad_checkpoint = c->undecodable;
    rc = 0;
out:
    free (c);
    return rc;
}

static int
s_count_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    (void) seq, (void) buf, (void) len;
    (*(uint64_t *) arg)++;
    return 0;
}

/* ------------------------------------------------------------ meta */

/* The last recorded roster's operation name and times into *M (the id
 * stays): what a mirror's meta lacks.  0 when there is one of M's
 * operation, else -1. */
static int
s_meta_from_roster (s_repair_t *self, jad_journal_meta_t *m, int set_id)
{
    uint64_t key = 0;
    s_answer_t a;
    char err[256];
    int rc = -1;
    if (jad_journal_record_last (self->out, JAD_JOURNAL_ROSTERS, &key) != 0
    ||  key == 0 || s_out_record (self, JAD_JOURNAL_ROSTERS, key, &a) != 0
    ||  a.status != 1)
        return -1;
    jad_roster_record_t rec = { 0 };
    jad_roster_t *roster = NULL;
    if (jad_roster_record_decode (a.buf, a.len, &rec, err, sizeof err) == 0)
        roster = jad_roster_parse (rec.text, rec.text_len, "recorded roster",
                                   err, sizeof err);
    if (roster && (set_id || memcmp (jad_roster_id (roster), m->id,
                                     sizeof m->id) == 0)) {
        snprintf (m->name, sizeof m->name, "%s", jad_roster_operation (roster));
        memcpy (m->id, jad_roster_id (roster), sizeof m->id);
        m->start_ms = jad_roster_start_ms (roster);
        m->end_ms = jad_roster_end_ms (roster);
        rc = 0;
    }
    jad_roster_destroy (&roster);
    jad_roster_record_clear (&rec);
    free (a.buf);
    return rc;
}

/* The new journal's meta: the damaged journal's, else a mirror's id with
 * the recorded roster's name and times and the last entry's epoch. */
static int
s_meta (s_repair_t *self)
{
    jad_journal_meta_t m;
    memset (&m, 0, sizeof m);
    if (self->src[0].has_meta) {
        m = self->src[0].meta;
        self->res->meta = JAD_REPAIR_META_DAMAGED;
        return jad_journal_meta_set (self->out, &m);
    }
    int found = 0;
    for (size_t k = 1; k < self->n_src && !found; k++)
        if (self->src[k].has_meta) {
            memcpy (m.id, self->src[k].meta.id, sizeof m.id);
            found = 1;
        }
    if (s_meta_from_roster (self, &m, !found) == 0)
        found = 1;
    if (!found) {
        s_note (self, "no source holds the operation's name and id: the hub "
                "writes its roster's when it starts");
        return 0;
    }
    /* created_ms and schema_version: the new journal's own (0 keeps). */
    m.created_ms = 0;
    m.schema_version = 0;
    m.epoch = self->last_epoch;
    self->res->meta = JAD_REPAIR_META_MIRROR;
    s_note (self, "the damaged journal's metadata could not be read: "
            "operation \"%s\" from the mirrors and the recorded roster", m.name);
    return jad_journal_meta_set (self->out, &m);
}

/* ------------------------------------------------------------ run */

/* Open every source, learn its head and meta, and refuse a mirror of
 * another operation.  0, or -1 with ERR. */
static int
s_sources (s_repair_t *self, char *err, size_t errlen)
{
    const uint8_t *op_id = NULL;
    const char *op_from = NULL;
    size_t opened = 0;
    for (size_t k = 0; k < self->n_src; k++) {
        s_source_t *src = &self->src[k];
        s_answer_t a;
        int asked = s_ask (self, src, S_ASK_HEAD, 0, 0, &a, err, errlen);
        if (asked < 0)
            return -1;
        if (asked == 1 && a.status == 0)
            src->head = a.key;
        else
        if (!src->gone)
            s_note (self, "%s: its head cannot be read: entries past every "
                    "other source's head and its last checkpoint would be "
                    "lost unnoticed", src->dir);
        free (a.buf);
        asked = s_ask (self, src, S_ASK_META, 0, 0, &a, err, errlen);
        if (asked < 0)
            return -1;
        if (asked == 1 && a.status == 0 && a.len == sizeof src->meta) {
            memcpy (&src->meta, a.buf, sizeof src->meta);
            src->has_meta = src->meta.has;
        }
        free (a.buf);
        if (src->gone) {
            s_note (self, "%s: %s", src->dir, src->why);
            continue;
        }
        opened++;
        if (!src->has_meta)
            continue;
        if (op_id && memcmp (op_id, src->meta.id, JAD_ID_BYTES) != 0) {
            jad_err_set (err, errlen, "repair: %s is a journal of another "
                         "operation (\"%s\") than %s's", src->dir,
                         src->meta.name, op_from);
            return -1;
        }
        if (!op_id) {
            op_id = src->meta.id;
            op_from = src->dir;
        }
    }
    if (opened == 0) {
        jad_err_set (err, errlen, "repair: no source opens: %s: %s",
                     self->src[0].dir, self->src[0].why);
        return -1;
    }
    return 0;
}

int
jad_repair_run (const jad_repair_config_t *cfg, jad_repair_result_t *res,
                char *err, size_t errlen)
{
    assert (cfg && res && cfg->damaged && cfg->out);
    assert (cfg->n_mirrors <= JAD_REPAIR_MIRRORS_MAX);
    char path[4200];
    int rc = -1;
    memset (res, 0, sizeof *res);
    if (errlen)
        err[0] = 0;
    s_repair_t *self = calloc (1, sizeof *self);
    if (!self || sodium_init () < 0) {
        jad_err_set (err, errlen, "repair: out of memory");
        free (self);
        return -1;
    }
    self->cfg = cfg;
    self->res = res;
    self->src[0].dir = cfg->damaged;
    for (size_t i = 0; i < cfg->n_mirrors; i++) {
        self->src[1 + i].dir = cfg->mirrors[i];
        self->src[1 + i].find = 1;
    }
    self->n_src = 1 + cfg->n_mirrors;
    for (size_t k = 0; k < self->n_src; k++)
        self->src[k].fd = -1;

    snprintf (path, sizeof path, "%s/data.mdb", cfg->out);
    if (access (path, F_OK) == 0) {
        jad_err_set (err, errlen, "repair: %s holds a journal already: the new "
                     "one is made in a directory without one", cfg->out);
        goto out;
    }
    if (s_sources (self, err, errlen) != 0)
        goto out;
    self->out = jad_journal_open (cfg->out, JAD_JOURNAL_CREATE, err, errlen);
    if (!self->out)
        goto out;
    if (s_entries (self, err, errlen) != 0
    ||  s_records (self, JAD_JOURNAL_CHECKPOINTS, err, errlen) != 0
    ||  s_records (self, JAD_JOURNAL_ROSTERS, err, errlen) != 0)
        goto out;
    if (s_meta (self) != 0) {
        jad_err_set (err, errlen, "repair: %s: cannot write the journal's "
                     "metadata", cfg->out);
        goto out;
    }
    if (s_check_checkpoints (self, err, errlen) != 0
    ||  jad_journal_record_scan (self->out, JAD_JOURNAL_ROSTERS, 0, SIZE_MAX,
                                 s_count_fn, &res->rosters) < 0) {
        if (!err[0])
            jad_err_set (err, errlen, "repair: cannot read the new journal");
        goto out;
    }
    /* What some source says existed beyond the new head. */
    uint64_t known = 0;
    jad_journal_record_last (self->out, JAD_JOURNAL_CHECKPOINTS, &known);
    for (size_t k = 0; k < self->n_src; k++)
        if (self->src[k].head > known)
            known = self->src[k].head;
    if (known > res->head) {
        res->lost_from = res->head + 1;
        res->lost_to = known;
    }
    if (self->damaged_bad && !self->src[0].gone)
        s_note (self, "%s: %llu entries between %llu and %llu could not be "
                "read there, or did not link: taken from the mirrors",
                cfg->damaged, (unsigned long long) self->damaged_bad,
                (unsigned long long) self->damaged_bad_first,
                (unsigned long long) self->damaged_bad_last);
    for (size_t k = 0; k < self->n_src; k++) {
        const s_source_t *src = &self->src[k];
        if (src->deaths >= S_DEATHS_MAX)
            s_note (self, "%s: %s", src->dir, src->why);
        else
        if (src->deaths)
            s_note (self, "%s: %d of its readers died on damaged pages (last: "
                    "%s%d); what they were reading counts as unreadable",
                    src->dir, src->deaths, src->last_signal ? "signal " : "exit ",
                    src->last_signal);
    }
    rc = res->lost_from || res->bad_checkpoint ? 1 : 0;
out:
    for (size_t k = 0; k < self->n_src; k++) {
        if (self->src[k].pid > 0)
            kill (self->src[k].pid, SIGTERM);
        s_reap (&self->src[k]);
    }
    for (size_t s = 0; s < 2; s++)
        for (size_t k = 0; k < S_SOURCES_MAX; k++)
            free (self->copies[s][k].buf);
    for (size_t i = 0; i < self->n_batch; i++)
        free ((void *) self->batch[i]);
    jad_journal_destroy (&self->out);
    free (self);
    return rc;
}

/* ------------------------------------------------------------ in use, swap */

int
jad_repair_in_use (const char *dir, long *pid_p)
{
    char path[4200];
    *pid_p = 0;
    snprintf (path, sizeof path, "%s/lock.mdb", dir);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    /* LMDB holds a read lock on byte 0 for as long as the environment is
     * open; asking for a write lock there finds any holder. */
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                        .l_start = 0, .l_len = 1 };
    int rc = fcntl (fd, F_GETLK, &fl);
    int saved = errno;
    close (fd);
    if (rc != 0) {
        errno = saved;
        return -1;
    }
    if (fl.l_type == F_UNLCK)
        return 0;
    *pid_p = (long) fl.l_pid;
    return 1;
}

/* fsync the directory holding PATH: a rename is durable once its
 * directory is. */
static int
s_sync_parent (const char *path)
{
    char copy[4200];
    snprintf (copy, sizeof copy, "%s", path);
    int fd = open (dirname (copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    close (fd);
    return rc;
}

int
jad_repair_swap (const char *journal, const char *built,
                 const char *damaged_as, char *err, size_t errlen)
{
    struct stat st;
    if (lstat (damaged_as, &st) == 0) {
        jad_err_set (err, errlen, "%s exists already", damaged_as);
        return -1;
    }
    if (lstat (journal, &st) != 0) {
        if (errno != ENOENT || rename (built, journal) != 0) {
            jad_err_set (err, errlen, "cannot move %s to %s: %s", built, journal,
                         strerror (errno));
            return -1;
        }
        s_sync_parent (journal);
        return 0;
    }
    if (renameat2 (AT_FDCWD, built, AT_FDCWD, journal, RENAME_EXCHANGE) == 0) {
        /* BUILT's name now holds the damaged journal. */
        if (rename (built, damaged_as) != 0) {
            jad_err_set (err, errlen, "the new journal is in place, but the "
                         "damaged one could not be moved from %s to %s: %s",
                         built, damaged_as, strerror (errno));
            return -1;
        }
    }
    else {
        /* No exchange on this file system: two renames, the first of
         * which is undone if the second fails. */
        if (rename (journal, damaged_as) != 0) {
            jad_err_set (err, errlen, "cannot move %s to %s: %s", journal,
                         damaged_as, strerror (errno));
            return -1;
        }
        if (rename (built, journal) != 0) {
            int saved = errno;
            if (rename (damaged_as, journal) != 0)
                jad_err_set (err, errlen, "cannot move %s to %s (%s); the "
                             "damaged journal is %s", built, journal,
                             strerror (saved), damaged_as);
            else
                jad_err_set (err, errlen, "cannot move %s to %s: %s", built,
                             journal, strerror (saved));
            return -1;
        }
    }
    s_sync_parent (journal);
    return 0;
}
