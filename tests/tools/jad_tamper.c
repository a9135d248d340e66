/*  jad-tamper: what an attacker with write access to a journal's disk
 *  could do, for the tests of jad-verify only (not installed).  Works on
 *  the LMDB file directly, below the journal API, as an attacker would.
 *
 *  jad-tamper DIR flip SEQ       flip the last byte of entry SEQ
 *  jad-tamper DIR flip-meta SEQ  flip a byte of entry SEQ's received time
 *  jad-tamper DIR remove SEQ     delete entry SEQ
 *  jad-tamper DIR swap SEQ       exchange entries SEQ and SEQ+1
 *  jad-tamper DIR insert SEQ     copy entry SEQ to SEQ+1, shifting the rest
 *  jad-tamper DIR truncate SEQ   delete every entry from SEQ on
 *  jad-tamper DIR drop-checkpoints 0   delete every signed checkpoint
 *  jad-tamper DIR zero-page SEQ  overwrite with zeros the page of data.mdb
 *                                that holds entry SEQ (a damaged disk, not
 *                                an attacker: the B-tree itself is broken;
 *                                prints the page number)
 *
 *  exit: 0 done; 2 usage or LMDB error.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

static void
s_key (uint8_t *k, uint64_t seq)
{
    for (int i = 7; i >= 0; i--, seq >>= 8)
        k[i] = (uint8_t) seq;
}

static uint64_t
s_seq (const MDB_val *k)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | ((const uint8_t *) k->mv_data)[i];
    return v;
}

static int
s_get (MDB_txn *txn, MDB_dbi dbi, uint64_t seq, MDB_val *v, uint8_t **copy)
{
    uint8_t kb[8];
    s_key (kb, seq);
    MDB_val k = { 8, kb };
    if (mdb_get (txn, dbi, &k, v))
        return -1;
    *copy = malloc (v->mv_size);
    memcpy (*copy, v->mv_data, v->mv_size);
    v->mv_data = *copy;
    return 0;
}

static int
s_put (MDB_txn *txn, MDB_dbi dbi, uint64_t seq, MDB_val *v)
{
    uint8_t kb[8];
    s_key (kb, seq);
    MDB_val k = { 8, kb };
    return mdb_put (txn, dbi, &k, v, 0);
}

static int
s_del (MDB_txn *txn, MDB_dbi dbi, uint64_t seq)
{
    uint8_t kb[8];
    s_key (kb, seq);
    MDB_val k = { 8, kb };
    return mdb_del (txn, dbi, &k, NULL);
}

/* The file offset of map address P, from this process's mapping of
 * DIR/data.mdb in /proc/self/maps; -1 when not found. */
static long long
s_file_offset (const void *p)
{
    FILE *f = fopen ("/proc/self/maps", "r");
    char line[4600];
    long long off = -1;
    while (f && off < 0 && fgets (line, sizeof line, f)) {
        unsigned long long lo, hi, foff;
        char path[4096] = "";
        if (sscanf (line, "%llx-%llx %*s %llx %*s %*s %4095s", &lo, &hi, &foff,
                    path) != 4)
            continue;
        size_t n = strlen (path);
        if (n < 9 || strcmp (path + n - 9, "/data.mdb") != 0)
            continue;
        if ((uintptr_t) p >= lo && (uintptr_t) p < hi)
            off = (long long) ((uintptr_t) p - lo + foff);
    }
    if (f)
        fclose (f);
    return off;
}

/* zero-page: find where entry SEQ's bytes lie in the file (LMDB hands out
 * pointers into its read-only map), close, and write a page of zeros
 * there.  A zeroed page is neither a branch nor a leaf: LMDB answers
 * MDB_CORRUPTED for every key on it. */
static int
s_zero_page (const char *dir, uint64_t seq)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val v;
    MDB_stat st;
    uint8_t kb[8];
    s_key (kb, seq);
    MDB_val k = { 8, kb };
    long long off = -1;
    if (mdb_env_create (&env) || mdb_env_set_maxdbs (env, 8)
    ||  mdb_env_open (env, dir, MDB_RDONLY, 0600)) {
        fprintf (stderr, "jad-tamper: cannot open %s\n", dir);
        return 2;
    }
    if (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn) == 0) {
        if (mdb_dbi_open (txn, "entries", 0, &dbi) == 0
        &&  mdb_get (txn, dbi, &k, &v) == 0 && mdb_env_stat (env, &st) == 0)
            off = s_file_offset (v.mv_data);
        mdb_txn_abort (txn);
    }
    mdb_env_close (env);
    if (off < 0) {
        fprintf (stderr, "jad-tamper: entry %llu not found in %s\n",
                 (unsigned long long) seq, dir);
        return 2;
    }
    long long page = off / st.ms_psize;
    char path[4200];
    snprintf (path, sizeof path, "%s/data.mdb", dir);
    uint8_t *zeros = calloc (1, st.ms_psize);
    int fd = open (path, O_WRONLY);
    int rc = zeros && fd >= 0
          && pwrite (fd, zeros, st.ms_psize, (off_t) (page * st.ms_psize))
             == (ssize_t) st.ms_psize
          && fsync (fd) == 0 ? 0 : 2;
    if (fd >= 0)
        close (fd);
    free (zeros);
    if (rc)
        fprintf (stderr, "jad-tamper: cannot write %s\n", path);
    else
        printf ("%lld\n", page);
    return rc;
}

int
main (int argc, char **argv)
{
    if (argc != 4) {
        fprintf (stderr, "usage: jad-tamper DIR flip|flip-meta|remove|swap|insert|truncate|drop-checkpoints|zero-page SEQ\n");
        return 2;
    }
    const char *mode = argv[2];
    uint64_t seq = strtoull (argv[3], NULL, 10);
    if (strcmp (mode, "zero-page") == 0)
        return s_zero_page (argv[1], seq);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val a, b;
    uint8_t *ca = NULL, *cb = NULL;
    int rc = mdb_env_create (&env);
    mdb_env_set_maxdbs (env, 8);
    mdb_env_set_mapsize (env, (size_t) 1 << 30);
    if (rc || mdb_env_open (env, argv[1], 0, 0600)
    ||  mdb_txn_begin (env, NULL, 0, &txn)
    ||  mdb_dbi_open (txn, "entries", 0, &dbi)) {
        fprintf (stderr, "jad-tamper: cannot open %s\n", argv[1]);
        return 2;
    }
    rc = -1;
    if (strcmp (mode, "drop-checkpoints") == 0) {
        MDB_dbi cps;
        rc = mdb_dbi_open (txn, "checkpoints", 0, &cps);
        if (rc == 0)
            rc = mdb_drop (txn, cps, 0);
    }
    else
    if (strcmp (mode, "flip") == 0 && s_get (txn, dbi, seq, &a, &ca) == 0) {
        ca[a.mv_size - 1] ^= 0x01;
        rc = s_put (txn, dbi, seq, &a);
    }
    else
    if (strcmp (mode, "flip-meta") == 0 && s_get (txn, dbi, seq, &a, &ca) == 0) {
        /* Entry field 3 (received_ms) is a varint after tag 0x18. */
        for (size_t i = 0; i + 1 < a.mv_size; i++)
            if (ca[i] == 0x18) {
                ca[i + 1] ^= 0x01;
                break;
            }
        rc = s_put (txn, dbi, seq, &a);
    }
    else
    if (strcmp (mode, "remove") == 0)
        rc = s_del (txn, dbi, seq);
    else
    if (strcmp (mode, "swap") == 0 && s_get (txn, dbi, seq, &a, &ca) == 0
    &&  s_get (txn, dbi, seq + 1, &b, &cb) == 0)
        rc = s_put (txn, dbi, seq, &b) || s_put (txn, dbi, seq + 1, &a);
    else
    if (strcmp (mode, "insert") == 0 || strcmp (mode, "truncate") == 0) {
        MDB_cursor *cur;
        MDB_val k, v;
        uint64_t last = 0;
        mdb_cursor_open (txn, dbi, &cur);
        if (mdb_cursor_get (cur, &k, &v, MDB_LAST) == 0)
            last = s_seq (&k);
        mdb_cursor_close (cur);
        rc = 0;
        if (mode[0] == 't')
            for (uint64_t s = seq; s <= last && rc == 0; s++)
                rc = s_del (txn, dbi, s);
        else {
            for (uint64_t s = last; s > seq && rc == 0; s--) {
                if (s_get (txn, dbi, s, &a, &ca) == 0)
                    rc = s_put (txn, dbi, s + 1, &a);
                free (ca);
                ca = NULL;
            }
            if (rc == 0 && s_get (txn, dbi, seq, &a, &ca) == 0)
                rc = s_put (txn, dbi, seq + 1, &a);
        }
    }
    if (rc == 0)
        rc = mdb_txn_commit (txn);
    else
        mdb_txn_abort (txn);
    mdb_env_close (env);
    free (ca);
    free (cb);
    if (rc) {
        fprintf (stderr, "jad-tamper: %s %s failed\n", mode, argv[3]);
        return 2;
    }
    return 0;
}
