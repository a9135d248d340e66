/*  jad-tamper: what an attacker with write access to a journal's disk
 *  could do, and what a failing disk does, for the tests of jad-verify and
 *  of the hub's start-up audit only (not installed).  Works on the LMDB
 *  file directly, below the journal API, as an attacker would.
 *
 *  jad-tamper DIR flip SEQ       flip the last byte of entry SEQ
 *  jad-tamper DIR flip-meta SEQ  flip a byte of entry SEQ's received time
 *  jad-tamper DIR remove SEQ     delete entry SEQ
 *  jad-tamper DIR swap SEQ       exchange entries SEQ and SEQ+1
 *  jad-tamper DIR insert SEQ     copy entry SEQ to SEQ+1, shifting the rest
 *  jad-tamper DIR truncate SEQ   delete every entry from SEQ on
 *  jad-tamper DIR drop-checkpoints SEQ
 *                                delete every signed checkpoint above SEQ
 *                                (0: all of them)
 *  jad-tamper DIR dup-append SEQ append a copy of entry SEQ's report as a
 *                                new entry after the head, its chain right
 *                                (received time and epoch copied)
 *  jad-tamper DIR cut SEQ        truncate to a signed prefix without a
 *                                trace: keep entries up to K, the greatest
 *                                checkpoint at or below SEQ, and delete the
 *                                later entries, their dedupe records and
 *                                checkpoints; prints K
 *  jad-tamper DIR young-tail SEQ delete the checkpoints above SEQ, then
 *                                stamp every entry after the last one left
 *                                (L) as received now, chain redone: the
 *                                tail of a journal in use; prints L
 *  jad-tamper DIR dedupe SEQ     point the dedupe record of entry SEQ's
 *                                report to SEQ+1; prints its key as
 *                                jad-verify names it: (origin, hex, seq)
 *  jad-tamper DIR dedupe-drop SEQ
 *                                delete that dedupe record; prints its key
 *  jad-tamper DIR scribble SEQ   overwrite a byte in the middle of entry
 *                                SEQ's value in place in data.mdb (a bad
 *                                sector, not a write through LMDB)
 *  jad-tamper DIR zero-page SEQ  overwrite with zeros, in place, the page of
 *                                data.mdb that holds entry SEQ (a damaged
 *                                disk: the B-tree itself is broken; LMDB
 *                                answers MDB_CORRUPTED for every key on it);
 *                                prints the page number
 *  jad-tamper DIR zero-dedupe-page SEQ
 *                                the same for the page holding the dedupe
 *                                record of entry SEQ's report; prints its key
 *
 *  exit: 0 done; 2 usage or LMDB error.
 */
#define _GNU_SOURCE     /* memmem */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/wire.h"

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

/* The last key of DBI, 0 when empty. */
static uint64_t
s_last (MDB_txn *txn, MDB_dbi dbi)
{
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t last = 0;
    mdb_cursor_open (txn, dbi, &cur);
    if (mdb_cursor_get (cur, &k, &v, MDB_LAST) == 0)
        last = s_seq (&k);
    mdb_cursor_close (cur);
    return last;
}

/* Delete every key of DBI above SEQ. */
static int
s_del_above (MDB_txn *txn, MDB_dbi dbi, uint64_t seq)
{
    int rc = 0;
    for (uint64_t last = s_last (txn, dbi); last > seq && rc == 0;
         last = s_last (txn, dbi))
        rc = s_del (txn, dbi, last);
    return rc;
}

/* The dedupe key of entry BUF into KEY (journal.h's layout); its length,
 * 0 when the entry does not decode.  TEXT = the key as jad-verify names it. */
static size_t
s_dedupe_key (const uint8_t *buf, size_t len, uint8_t *key, char *text,
              size_t textlen, uint8_t *env_hash)
{
    char err[128];
    size_t klen = 0;
    Jad__Entry *e = jad_wire_entry_decode (buf, len, err, sizeof err);
    Jad__Envelope *env = e ? (Jad__Envelope *) jad_wire_decode (
        &jad__envelope__descriptor, e->envelope.data, e->envelope.len,
        JAD_ENVELOPE_MAX, err, sizeof err) : NULL;
    if (env && env->origin && env->incarnation.len == 16) {
        size_t olen = strlen (env->origin);
        memcpy (key, env->origin, olen);
        key[olen] = 0;
        memcpy (key + olen + 1, env->incarnation.data, 16);
        s_key (key + olen + 17, env->origin_seq);
        klen = olen + 25;
        char hex[33];
        sodium_bin2hex (hex, sizeof hex, env->incarnation.data, 16);
        snprintf (text, textlen, "(%s, %s, %llu)", env->origin, hex,
                  (unsigned long long) env->origin_seq);
        if (env_hash)
            crypto_generichash (env_hash, 32, e->envelope.data, e->envelope.len,
                                NULL, 0);
    }
    jad_wire_free (&env);
    jad_wire_free (&e);
    return klen;
}

/* Entry BUF re-encoded as hub_seq SEQ after an entry hashing to PREV (NULL:
 * the first), received at RECEIVED_MS (0: as it was); malloc'd into *OUT. */
static int
s_restamp (const uint8_t *buf, size_t len, uint64_t seq, const uint8_t *prev,
           int64_t received_ms, MDB_val *out)
{
    char err[128];
    Jad__Entry *e = jad_wire_entry_decode (buf, len, err, sizeof err);
    if (!e)
        return -1;
    e->has_hub_seq = 1;
    e->hub_seq = seq;
    if (received_ms) {
        e->has_received_ms = 1;
        e->received_ms = received_ms;
    }
    uint8_t *old_prev = e->prev_hash.data;
    e->has_prev_hash = prev != NULL;
    e->prev_hash.data = (uint8_t *) prev;
    e->prev_hash.len = prev ? 32 : 0;
    out->mv_data = jad_wire_encode (&e->base, &out->mv_size);
    e->prev_hash.data = old_prev;
    jad_wire_free (&e);
    return out->mv_data ? 0 : -1;
}

/* Where the map of DIR/data.mdb starts in this process (/proc/self/maps),
 * NULL when not found. */
static const uint8_t *
s_map_base (const char *dir)
{
    char want[4200], line[4600];
    char *real = realpath (dir, NULL);
    const uint8_t *base = NULL;
    if (!real)
        return NULL;
    snprintf (want, sizeof want, "%s/data.mdb", real);
    free (real);
    FILE *maps = fopen ("/proc/self/maps", "r");
    while (maps && !base && fgets (line, sizeof line, maps)) {
        unsigned long start, end, off;
        int at = 0;
        if (sscanf (line, "%lx-%lx %*s %lx %*s %*s %n", &start, &end, &off, &at) >= 3
        &&  at > 0 && off == 0) {
            line[strcspn (line, "\n")] = 0;
            if (strcmp (line + at, want) == 0)
                base = (const uint8_t *) start;
        }
    }
    if (maps)
        fclose (maps);
    return base;
}

/* Overwrite data.mdb in place: LEN bytes at OFF with BYTES (or, when
 * BYTES is NULL, each byte at OFF..OFF+LEN flipped). */
static int
s_in_place (const char *dir, long off, size_t len, const uint8_t *bytes)
{
    char path[4200];
    snprintf (path, sizeof path, "%s/data.mdb", dir);
    int fd = open (path, O_RDWR);
    uint8_t *buf = malloc (len);
    int rc = -1;
    if (fd >= 0 && buf && pread (fd, buf, len, off) == (ssize_t) len) {
        for (size_t i = 0; i < len; i++)
            buf[i] = bytes ? bytes[i] : (uint8_t) (buf[i] ^ 0xff);
        if (pwrite (fd, buf, len, off) == (ssize_t) len && fsync (fd) == 0)
            rc = 0;
    }
    free (buf);
    if (fd >= 0)
        close (fd);
    return rc;
}

int
main (int argc, char **argv)
{
    if (argc != 4) {
        fprintf (stderr, "usage: jad-tamper DIR flip|flip-meta|remove|swap|insert|"
                 "truncate|drop-checkpoints|dup-append|cut|young-tail|dedupe|"
                 "dedupe-drop|scribble|zero-page|zero-dedupe-page SEQ\n");
        return 2;
    }
    const char *mode = argv[2];
    uint64_t seq = strtoull (argv[3], NULL, 10);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi, dedupe = 0, cps = 0;
    MDB_val a, b;
    MDB_stat st;
    uint8_t *ca = NULL, *cb = NULL;
    long in_place_off = -1;
    size_t in_place_len = 0;
    int rc = mdb_env_create (&env);
    mdb_env_set_maxdbs (env, 8);
    mdb_env_set_mapsize (env, (size_t) 1 << 30);
    if (rc || mdb_env_open (env, argv[1], 0, 0600)
    ||  mdb_txn_begin (env, NULL, 0, &txn)
    ||  mdb_dbi_open (txn, "entries", 0, &dbi)
    ||  mdb_dbi_open (txn, "dedupe", 0, &dedupe)) {
        fprintf (stderr, "jad-tamper: cannot open %s\n", argv[1]);
        return 2;
    }
    int has_cps = mdb_dbi_open (txn, "checkpoints", 0, &cps) == 0;
    rc = -1;
    if (strcmp (mode, "drop-checkpoints") == 0) {
        if (has_cps)
            rc = seq == 0 ? mdb_drop (txn, cps, 0) : s_del_above (txn, cps, seq);
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
        uint64_t last = s_last (txn, dbi);
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
    else
    if (strcmp (mode, "dup-append") == 0 && s_get (txn, dbi, seq, &a, &ca) == 0) {
        uint64_t head = s_last (txn, dbi);
        uint8_t prev[32];
        if (s_get (txn, dbi, head, &b, &cb) == 0) {
            crypto_generichash (prev, sizeof prev, b.mv_data, b.mv_size, NULL, 0);
            MDB_val n;
            if (s_restamp (a.mv_data, a.mv_size, head + 1, prev, 0, &n) == 0) {
                rc = s_put (txn, dbi, head + 1, &n);
                free (n.mv_data);
            }
        }
    }
    else
    if (strcmp (mode, "cut") == 0 && has_cps) {
        /* K: the greatest checkpoint at or below SEQ. */
        uint64_t keep = 0;
        MDB_cursor *cur;
        MDB_val k, v;
        mdb_cursor_open (txn, cps, &cur);
        for (int r = mdb_cursor_get (cur, &k, &v, MDB_FIRST); r == 0;
             r = mdb_cursor_get (cur, &k, &v, MDB_NEXT))
            if (s_seq (&k) <= seq)
                keep = s_seq (&k);
        mdb_cursor_close (cur);
        rc = keep ? 0 : -1;
        for (uint64_t s = s_last (txn, dbi); rc == 0 && s > keep; s--) {
            uint8_t key[300];
            char text[400];
            if (s_get (txn, dbi, s, &a, &ca) == 0) {
                MDB_val dk = { s_dedupe_key (a.mv_data, a.mv_size, key, text,
                                             sizeof text, NULL), key };
                if (dk.mv_size)
                    mdb_del (txn, dedupe, &dk, NULL);
                rc = s_del (txn, dbi, s);
            }
            free (ca);
            ca = NULL;
        }
        if (rc == 0)
            rc = s_del_above (txn, cps, keep);
        if (rc == 0)
            printf ("%llu\n", (unsigned long long) keep);
    }
    else
    if (strcmp (mode, "young-tail") == 0) {
        rc = has_cps ? s_del_above (txn, cps, seq) : 0;
        uint64_t keep = has_cps ? s_last (txn, cps) : 0;
        uint64_t head = s_last (txn, dbi);
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        int64_t now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        uint8_t prev[32];
        int has_prev = 0;
        if (keep && s_get (txn, dbi, keep, &b, &cb) == 0) {
            crypto_generichash (prev, sizeof prev, b.mv_data, b.mv_size, NULL, 0);
            has_prev = 1;
        }
        for (uint64_t s = keep + 1; rc == 0 && s <= head; s++) {
            MDB_val n = { 0, NULL };
            rc = s_get (txn, dbi, s, &a, &ca)
              || s_restamp (a.mv_data, a.mv_size, s, has_prev ? prev : NULL,
                            now, &n)
              || s_put (txn, dbi, s, &n);
            if (n.mv_data)
                crypto_generichash (prev, sizeof prev, n.mv_data, n.mv_size,
                                    NULL, 0);
            has_prev = 1;
            free (n.mv_data);
            free (ca);
            ca = NULL;
        }
        if (rc == 0)
            printf ("%llu\n", (unsigned long long) keep);
    }
    else
    if ((strcmp (mode, "dedupe") == 0 || strcmp (mode, "dedupe-drop") == 0)
    &&  s_get (txn, dbi, seq, &a, &ca) == 0) {
        uint8_t key[300];
        char text[400];
        MDB_val dk = { s_dedupe_key (a.mv_data, a.mv_size, key, text, sizeof text,
                                     NULL), key }, dv;
        if (dk.mv_size && mode[6] == '-')
            rc = mdb_del (txn, dedupe, &dk, NULL);
        else
        if (dk.mv_size && mdb_get (txn, dedupe, &dk, &dv) == 0 && dv.mv_size == 40) {
            uint8_t val[40];
            memcpy (val, dv.mv_data, 40);
            s_key (val, seq + 1);
            dv.mv_data = val;
            rc = mdb_put (txn, dedupe, &dk, &dv, 0);
        }
        if (rc == 0)
            printf ("%s\n", text);
    }
    else
    if (strcmp (mode, "scribble") == 0 || strcmp (mode, "zero-page") == 0
    ||  strcmp (mode, "zero-dedupe-page") == 0) {
        /* Where the value lies in the file: its address in the map, less
         * the map's start. */
        uint8_t kb[8], key[300];
        char text[400];
        s_key (kb, seq);
        MDB_val k = { 8, kb };
        const uint8_t *base = s_map_base (argv[1]);
        int found = mdb_get (txn, dbi, &k, &a) == 0;
        if (found && strcmp (mode, "zero-dedupe-page") == 0) {
            MDB_val dk = { s_dedupe_key (a.mv_data, a.mv_size, key, text,
                                         sizeof text, NULL), key };
            found = dk.mv_size && mdb_get (txn, dedupe, &dk, &a) == 0;
            if (found)
                printf ("%s\n", text);
        }
        if (base && found && mdb_env_stat (env, &st) == 0) {
            long off = (long) ((const uint8_t *) a.mv_data - base);
            if (mode[0] == 's') {
                in_place_off = off + (long) a.mv_size / 2;
                in_place_len = 1;
            }
            else {
                in_place_off = off - off % (long) st.ms_psize;
                in_place_len = st.ms_psize;
            }
            rc = 0;
        }
        mdb_txn_abort (txn);
        mdb_env_close (env);
        if (rc == 0) {
            uint8_t *zeros = mode[0] == 'z' ? calloc (1, in_place_len) : NULL;
            rc = s_in_place (argv[1], in_place_off, in_place_len, zeros);
            free (zeros);
        }
        if (rc) {
            fprintf (stderr, "jad-tamper: %s %s failed\n", mode, argv[3]);
            return 2;
        }
        if (strcmp (mode, "zero-page") == 0)
            printf ("%ld\n", in_place_off / (long) st.ms_psize);
        return 0;
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
