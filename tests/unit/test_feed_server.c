/* Unit tests: lib/feed_server.c — the serving side on real sockets: a
 * server on 127.0.0.1 (free ports) over a real journal of 10 entries with
 * two recorded rosters (effective 1 and 6) and two checkpoints (5 and 10),
 * and real CURVE clients (jad_client_connect) with roster keys.
 *
 *   - catch-up: the roster in force at its start first (not an older
 *     one), then the entries, the checkpoints of the range, the end;
 *   - the live feed: a subscriber that joined at head 0 receives every
 *     record in the order a reader needs it as the head advances; a new
 *     subscription resends the roster in force, once a second at most;
 *   - the collector: heartbeats answered with the head and operation; a
 *     submit without an owner UNAVAILABLE with its identity; a frame of
 *     version 2 BAD_VERSION with the submit's identity; a bounded queue of
 *     catch-ups per peer;
 *   - admission: a key off the roster hears nothing (ZAP); a key revoked
 *     while connected is answered FORBIDDEN from its next message.
 *
 * The server is polled by the test's thread; waits are bounded by
 * deadlines, never fixed sleeps but where a socket must settle. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <czmq.h>
#include <lmdb.h>
#include <sodium.h>

#include "jad/client.h"
#include "jad/envelope.h"
#include "jad/feed_server.h"
#include "jad/frame.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/record.h"
#include "jad/report_json.h"
#include "jad/roster.h"
#include "jad/timefmt.h"
#include "jad/wire.h"
#include "testutil.h"

#define S_OP_HEX "00112233445566778899aabbccddeeff"
static const uint8_t s_op[16] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
};
static const uint8_t s_inc[16] = { 0xde, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };

enum { K_HUB, K_DE, K_FR, K_OUT, K_N };
static const char *s_names[K_N] = { "hub", "agent-de", "agent-fr", "outsider" };
static const char *s_roles[K_N] = { "hub", "agent", "agent", "agent" };
static const char *s_ccs[K_N] = { "-", "DE", "FR", "NL" };
static char *s_keydir;
static jad_keys_t *s_keys[K_N];

#define S_HEAD  10                  /* entries in the journal */

/* ------------------------------------------------------------ fixture */

typedef struct {
    jad_journal_t     *journal;
    jad_roster_t      *roster;      /* in force */
    jad_roster_t      *old;         /* the one before (kept alive) */
    jad_feed_server_t *server;
    char               listen[64];
    char               publish[64];
    zsock_t           *socks[8];    /* clients, destroyed at the end */
    size_t             n_socks;
} s_fx_t;

static s_fx_t *s_fx;

/* The roster: hub, agent-de, agent-fr (REVOKED_FR: " revoked=N" or ""),
 * never the outsider. */
static jad_roster_t *
s_roster (const char *revoked_fr)
{
    char text[4096];
    size_t n = (size_t) snprintf (text, sizeof text,
        "operation     Test Operation\n"
        "operation_id  " S_OP_HEX "\n"
        "start         2020-11-16T00:00:00Z\n"
        "end           2020-11-22T00:00:00Z\n");
    for (int k = 0; k < K_OUT; k++) {
        char sign[65], id[17];
        sodium_bin2hex (sign, sizeof sign, jad_keys_sign_public (s_keys[k]), 32);
        sodium_bin2hex (id, sizeof id, jad_keys_key_id (s_keys[k]), 8);
        n += (size_t) snprintf (text + n, sizeof text - n,
                                "participant   %s %s %s %s %s %s%s\n",
                                s_names[k], s_roles[k], s_ccs[k],
                                jad_keys_public (s_keys[k]), sign, id,
                                k == K_FR ? revoked_fr : "");
        assert_true (n < sizeof text);
    }
    char err[256];
    jad_roster_t *r = jad_roster_parse (text, n, "test roster", err, sizeof err);
    if (!r)
        fail_msg ("roster: %s", err);
    return r;
}

/* An envelope of agent-de (INC, SEQ).  Caller frees. */
static uint8_t *
s_envelope (uint64_t seq, size_t *len_p)
{
    Jad__Report *r = NULL;
    int64_t t;
    int has_t;
    char err[256];
    const char *json = "{\"type\":\"checks\",\"parcels\":3}";
    assert_int_equal (jad_report_json_parse (json, strlen (json), NULL, &r, &t,
                                             &has_t, err, sizeof err), 0);
    size_t rlen;
    uint8_t *report = jad_wire_encode (&r->base, &rlen);
    jad__report__free_unpacked (r, NULL);
    assert_non_null (report);
    jad_envelope_id_t id = { s_op, "agent-de", s_inc, seq };
    uint8_t *env = jad_envelope_seal (&id, 1605510000000 + (int64_t) seq, report,
                                      rlen, s_keys[K_DE], len_p, err, sizeof err);
    free (report);
    if (!env)
        fail_msg ("seal: %s", err);
    return env;
}

/* Two free TCP ports on 127.0.0.1, asked of the kernel (both held until
 * both are known, so they differ), then released for the server.  The
 * server's own endpoints must be fixed ones: it binds its feed again on a
 * revocation. */
static void
s_free_ports (int *ports, int n)
{
    int fds[2];
    assert_true (n <= 2);
    for (int i = 0; i < n; i++) {
        fds[i] = socket (AF_INET, SOCK_STREAM, 0);
        assert_true (fds[i] >= 0);
        struct sockaddr_in a;
        memset (&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        a.sin_port = 0;
        assert_int_equal (bind (fds[i], (struct sockaddr *) &a, sizeof a), 0);
        socklen_t alen = sizeof a;
        assert_int_equal (getsockname (fds[i], (struct sockaddr *) &a, &alen), 0);
        ports[i] = ntohs (a.sin_port);
    }
    for (int i = 0; i < n; i++)
        close (fds[i]);
}

/* Damage to do to the journal before the server starts (a test sets it;
 * the teardown clears it): entry S_TAMPER_SEQ's received_ms changed ('m':
 * it still decodes and chains onto the entry before; the next entry's
 * prev_hash no longer matches it) or the last byte of its prev_hash
 * flipped ('p'). */
static char s_tamper_how;
static uint64_t s_tamper_seq;
static uint8_t *s_tamper_was;       /* the entry's bytes before */
static size_t s_tamper_was_len;

static void
s_tamper (const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t kb[8];
    for (int i = 0; i < 8; i++)
        kb[i] = (uint8_t) (s_tamper_seq >> (56 - 8 * i));
    MDB_val k = { 8, kb }, v;
    char err[256];
    assert_int_equal (mdb_env_create (&env), 0);
    assert_int_equal (mdb_env_set_maxdbs (env, 8), 0);
    assert_int_equal (mdb_env_open (env, dir, MDB_NOTLS, 0600), 0);
    assert_int_equal (mdb_txn_begin (env, NULL, 0, &txn), 0);
    assert_int_equal (mdb_dbi_open (txn, "entries", 0, &dbi), 0);
    assert_int_equal (mdb_get (txn, dbi, &k, &v), 0);
    s_tamper_was = malloc (v.mv_size);
    assert_non_null (s_tamper_was);
    memcpy (s_tamper_was, v.mv_data, v.mv_size);
    s_tamper_was_len = v.mv_size;
    Jad__Entry *e = jad_wire_entry_decode (v.mv_data, v.mv_size, err, sizeof err);
    assert_non_null (e);
    if (s_tamper_how == 'm')
        e->received_ms++;
    else
        e->prev_hash.data[e->prev_hash.len - 1] ^= 0x01;
    size_t len;
    uint8_t *buf = jad_wire_encode (&e->base, &len);
    assert_non_null (buf);
    jad_wire_free (&e);
    v = (MDB_val) { len, buf };
    assert_int_equal (mdb_put (txn, dbi, &k, &v, 0), 0);
    assert_int_equal (mdb_txn_commit (txn), 0);
    mdb_env_close (env);
    free (buf);
}

/* The journal in STATE's directory: entries 1..10, rosters recorded at 1
 * and 6, checkpoints at 5 and 10 (then damaged as s_tamper_how says); and
 * a server over it at HEAD with collector and feed on free ports. */
static s_fx_t *
s_fx_new (void **state, uint64_t head)
{
    s_fx_t *fx = calloc (1, sizeof *fx);
    assert_non_null (fx);
    s_fx = fx;
    char err[512];
    fx->journal = jad_journal_open (jad_test_path (state, "journal"),
                                    JAD_JOURNAL_CREATE, err, sizeof err);
    if (!fx->journal)
        fail_msg ("journal: %s", err);
    jad_journal_meta_t m;
    memset (&m, 0, sizeof m);
    memcpy (m.id, s_op, 16);
    snprintf (m.name, sizeof m.name, "Test Operation");
    assert_int_equal (jad_journal_meta_set (fx->journal, &m), 0);
    jad_journal_item_t items[S_HEAD];
    uint8_t *envs[S_HEAD];
    for (uint64_t seq = 1; seq <= S_HEAD; seq++) {
        size_t len;
        envs[seq - 1] = s_envelope (seq, &len);
        items[seq - 1] = (jad_journal_item_t) {
            .origin = "agent-de", .incarnation = s_inc, .origin_seq = seq,
            .envelope = envs[seq - 1], .envelope_len = len,
            .received_ms = 1605510001000
        };
    }
    assert_int_equal (jad_journal_append (fx->journal, items, S_HEAD, err,
                                          sizeof err), 0);
    for (uint64_t seq = 1; seq <= S_HEAD; seq++) {
        assert_int_equal (items[seq - 1].hub_seq, seq);
        free (envs[seq - 1]);
    }
    fx->roster = s_roster ("");
    char *text = jad_roster_format (fx->roster);
    assert_non_null (text);
    for (uint64_t eff = 1; eff <= 6; eff += 5) {
        size_t len;
        uint8_t *rec = jad_roster_record_make (s_keys[K_HUB], s_op, eff, text,
                                               strlen (text), 1605510000000, &len);
        assert_non_null (rec);
        assert_int_equal (jad_journal_record_put (fx->journal, JAD_JOURNAL_ROSTERS,
                                                  eff, rec, len, err, sizeof err), 0);
        free (rec);
    }
    free (text);
    for (uint64_t seq = 5; seq <= 10; seq += 5) {
        uint8_t hash[JAD_HASH_BYTES];
        size_t len;
        assert_int_equal (jad_journal_hash (fx->journal, seq, hash), 1);
        uint8_t *cp = jad_checkpoint_make (s_keys[K_HUB], s_op, seq, hash,
                                           1605510002000, &len);
        assert_non_null (cp);
        assert_int_equal (jad_journal_record_put (fx->journal, JAD_JOURNAL_CHECKPOINTS,
                                                  seq, cp, len, err, sizeof err), 0);
        free (cp);
    }
    if (s_tamper_how) {
        jad_journal_destroy (&fx->journal);
        s_tamper (jad_test_path (state, "journal"));
        fx->journal = jad_journal_open (jad_test_path (state, "journal"), 0,
                                        err, sizeof err);
        if (!fx->journal)
            fail_msg ("journal: %s", err);
    }
    int ports[2];
    s_free_ports (ports, 2);
    snprintf (fx->listen, sizeof fx->listen, "tcp://127.0.0.1:%d", ports[0]);
    snprintf (fx->publish, sizeof fx->publish, "tcp://127.0.0.1:%d", ports[1]);
    jad_feed_server_config_t cfg = {
        .keys = s_keys[K_HUB], .publish = fx->publish, .listen = fx->listen,
        .journal = fx->journal, .operation_id = s_op, .epoch = 3, .head = head,
        .on_submit = NULL, .no_submit_reason = "a test server journals nothing"
    };
    fx->server = jad_feed_server_new (&cfg, fx->roster, err, sizeof err);
    if (!fx->server)
        fail_msg ("server: %s", err);
    assert_int_equal (jad_feed_server_head (fx->server), head);
    return fx;
}

static int
s_teardown (void **state)
{
    s_fx_t *fx = s_fx;
    if (fx) {
        for (size_t i = 0; i < fx->n_socks; i++)
            zsock_destroy (&fx->socks[i]);
        jad_feed_server_destroy (&fx->server);
        jad_roster_destroy (&fx->roster);
        jad_roster_destroy (&fx->old);
        jad_journal_destroy (&fx->journal);
        free (fx);
        s_fx = NULL;
    }
    s_tamper_how = 0;
    free (s_tamper_was);
    s_tamper_was = NULL;
    return jad_test_dir_teardown (state);
}

/* A CURVE client of TYPE (DEALER or SUB) with key K, connected. */
static zsock_t *
s_client (s_fx_t *fx, int k, int type)
{
    zsock_t *sock = zsock_new (type);
    assert_non_null (sock);
    assert_true (fx->n_socks < sizeof fx->socks / sizeof fx->socks[0]);
    fx->socks[fx->n_socks++] = sock;
    if (type == ZMQ_SUB)
        zsock_set_subscribe (sock, "");
    char err[256];
    if (jad_client_connect (sock, s_keys[k], jad_keys_public (s_keys[K_HUB]),
                            type == ZMQ_SUB ? fx->publish : fx->listen, 0,
                            err, sizeof err) != 0)
        fail_msg ("connect: %s", err);
    return sock;
}

/* Send a frame built by frame.h (BUF, freed here) on SOCK.  Built in a
 * statement of its own: the order in which a call's arguments are
 * evaluated is unspecified, so `s_send (s, build (&len), len)` may read
 * LEN first. */
static void
s_send (zsock_t *sock, uint8_t *buf, size_t len)
{
    assert_non_null (buf);
    assert_true (zmq_send (zsock_resolve (sock), buf, len, 0) == (int) len);
    free (buf);
}

static void
s_send_heartbeat (zsock_t *sock, uint64_t mirror_seq)
{
    jad_heartbeat_t hb = {
        .has_head = 1, .head_seq = mirror_seq, .has_time = 1,
        .time_ms = 1605510000000, .has_health = 1,
        .health = { .outbox_depth = 7, .last_acked = 3, .mirror_seq = mirror_seq }
    };
    size_t len;
    uint8_t *buf = jad_frame_heartbeat (&hb, &len);
    s_send (sock, buf, len);
}

static void
s_send_catchup (zsock_t *sock, uint64_t from, uint32_t credit)
{
    size_t len;
    uint8_t *buf = jad_frame_catchup (from, credit, &len);
    s_send (sock, buf, len);
}

/* A frame a client received, decoded to what the tests look at. */
typedef struct {
    int         kind;
    uint64_t    seq;                /* ENTRY: hub_seq; ROSTER: effective_seq;
                                       CHECKPOINT: hub_seq; CATCHUP_END: head */
    int         more;               /* CATCHUP_END */
    int         code;               /* ERROR */
    char        message[256];
    jad_ident_t ident;              /* ERROR */
    jad_heartbeat_t hb;             /* HEARTBEAT (operation_id not kept) */
    uint8_t     op[16];             /* ... its operation id, when given */
    int64_t     at;                 /* mono ms received */
} s_msg_t;

static void
s_decode (const uint8_t *buf, size_t len, s_msg_t *m)
{
    char err[256];
    jad_frame_t f;
    memset (m, 0, sizeof *m);
    m->at = jad_time_mono_ms ();
    if (jad_frame_decode (buf, len, &f, err, sizeof err) != JAD_OK)
        fail_msg ("a frame from the server does not decode: %s", err);
    m->kind = f.kind;
    switch (f.kind) {
    case JAD_FRAME_ENTRY: {
        Jad__Entry *e = jad_wire_entry_decode (f.bytes, f.len, err, sizeof err);
        assert_non_null (e);
        m->seq = e->hub_seq;
        jad_wire_free (&e);
        break;
    }
    case JAD_FRAME_ROSTER: {
        jad_roster_record_t rec;
        assert_int_equal (jad_roster_record_decode (f.bytes, f.len, &rec, err,
                                                    sizeof err), 0);
        assert_int_equal (jad_roster_record_verify (&rec, s_op,
                              jad_keys_sign_public (s_keys[K_HUB])), 0);
        m->seq = rec.effective_seq;
        jad_roster_record_clear (&rec);
        break;
    }
    case JAD_FRAME_CHECKPOINT: {
        jad_checkpoint_t cp;
        assert_int_equal (jad_checkpoint_decode (f.bytes, f.len, &cp, err,
                                                 sizeof err), 0);
        m->seq = cp.hub_seq;
        break;
    }
    case JAD_FRAME_CATCHUP_END:
        m->seq = f.catchup_end.head_seq;
        m->more = f.catchup_end.more;
        break;
    case JAD_FRAME_ERROR:
        m->code = f.error.code;
        snprintf (m->message, sizeof m->message, "%s", f.error.message);
        m->ident = f.error.ident;
        break;
    case JAD_FRAME_HEARTBEAT:
        m->hb = f.heartbeat;
        if (f.heartbeat.operation_id)
            memcpy (m->op, f.heartbeat.operation_id, 16);
        m->hb.operation_id = NULL;
        break;
    default:
        break;
    }
    jad_frame_clear (&f);
}

/* Run the server (poll, serve) and read SOCK until WANT frames came or
 * TIMEOUT_MS passed; the feed's heartbeats (with a head: not the welcome)
 * are skipped when SKIP_HB.  The frames into OUT (up to MAX); their
 * number (at most WANT: later ones stay in the socket). */
static size_t
s_collect (s_fx_t *fx, zsock_t *sock, s_msg_t *out, size_t max, size_t want,
           int timeout_ms, int skip_hb)
{
    size_t n = 0;
    int64_t deadline = jad_time_mono_ms () + timeout_ms;
    while (n < want && jad_time_mono_ms () < deadline) {
        jad_feed_server_poll (fx->server, 5);
        while (jad_feed_server_serve (fx->server))
            ;
        while (n < want) {          /* the rest stays for the next call */
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, zsock_resolve (sock), ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&msg);
                break;
            }
            s_msg_t m;
            s_decode (zmq_msg_data (&msg), zmq_msg_size (&msg), &m);
            zmq_msg_close (&msg);
            if (skip_hb && m.kind == JAD_FRAME_HEARTBEAT && m.hb.has_head)
                continue;
            if (n < max)
                out[n] = m;
            n++;
        }
    }
    return n;
}

/* The SUB's welcome (the XPUB's empty heartbeat), and the server has
 * seen the subscription. */
static void
s_subscribed (s_fx_t *fx, zsock_t *sub, uint64_t subs_before)
{
    s_msg_t m[4];
    assert_int_equal (s_collect (fx, sub, m, 4, 1, 5000, 1), 1);
    assert_int_equal (m[0].kind, JAD_FRAME_HEARTBEAT);
    assert_false (m[0].hb.has_head);
    int64_t deadline = jad_time_mono_ms () + 2000;
    while (jad_feed_server_subscriptions (fx->server) <= subs_before
    &&     jad_time_mono_ms () < deadline)
        jad_feed_server_poll (fx->server, 5);
    assert_true (jad_feed_server_subscriptions (fx->server) > subs_before);
}

static void
s_expect (const s_msg_t *m, int kind, uint64_t seq)
{
    if (m->kind != kind || m->seq != seq)
        fail_msg ("got %s %llu, expected %s %llu", jad_frame_kind_name (m->kind),
                  (unsigned long long) m->seq, jad_frame_kind_name (kind),
                  (unsigned long long) seq);
}

/* ------------------------------------------------------------ tests */

/* From 7 with credit 3: the roster in force at 7 (recorded at 6, not the
 * one at 1), entries 7..9, no checkpoint (none in 7..9), the end {9, more}.
 * From 1 with credit 1000 at the head: both rosters, all entries, both
 * checkpoints, the end {10, no more}. */
static void
test_catchup (void **state)
{
    s_fx_t *fx = s_fx_new (state, S_HEAD);
    zsock_t *dealer = s_client (fx, K_DE, ZMQ_DEALER);
    s_msg_t m[32];
    s_send_catchup (dealer, 7, 3);
    assert_int_equal (s_collect (fx, dealer, m, 32, 5, 5000, 0), 5);
    s_expect (&m[0], JAD_FRAME_ROSTER, 6);
    s_expect (&m[1], JAD_FRAME_ENTRY, 7);
    s_expect (&m[2], JAD_FRAME_ENTRY, 8);
    s_expect (&m[3], JAD_FRAME_ENTRY, 9);
    s_expect (&m[4], JAD_FRAME_CATCHUP_END, 9);
    assert_int_equal (m[4].more, 1);
    /* Nothing after the end. */
    assert_int_equal (s_collect (fx, dealer, m, 32, 1, 300, 0), 0);

    s_send_catchup (dealer, 1, 1000);
    size_t want = 2 + S_HEAD + 2 + 1;
    assert_int_equal (s_collect (fx, dealer, m, 32, want, 5000, 0), want);
    s_expect (&m[0], JAD_FRAME_ROSTER, 1);
    s_expect (&m[1], JAD_FRAME_ROSTER, 6);
    for (uint64_t seq = 1; seq <= S_HEAD; seq++)
        s_expect (&m[1 + seq], JAD_FRAME_ENTRY, seq);
    s_expect (&m[12], JAD_FRAME_CHECKPOINT, 5);
    s_expect (&m[13], JAD_FRAME_CHECKPOINT, 10);
    s_expect (&m[14], JAD_FRAME_CATCHUP_END, 10);
    assert_int_equal (m[14].more, 0);

    /* From the checkpoint's entry on: its checkpoint comes after it; from
     * past the head: the roster the next entry will be under, the end. */
    s_send_catchup (dealer, 5, 1);
    assert_int_equal (s_collect (fx, dealer, m, 32, 4, 5000, 0), 4);
    s_expect (&m[0], JAD_FRAME_ROSTER, 1);
    s_expect (&m[1], JAD_FRAME_ENTRY, 5);
    s_expect (&m[2], JAD_FRAME_CHECKPOINT, 5);
    s_expect (&m[3], JAD_FRAME_CATCHUP_END, 5);
    assert_int_equal (m[3].more, 1);
    s_send_catchup (dealer, 11, 1000);
    assert_int_equal (s_collect (fx, dealer, m, 32, 2, 5000, 0), 2);
    s_expect (&m[0], JAD_FRAME_ROSTER, 6);
    s_expect (&m[1], JAD_FRAME_CATCHUP_END, 10);
    assert_int_equal (m[1].more, 0);
}

/* A subscriber that joined at head 0 receives, as the head advances,
 * every record where a reader needs it: roster@1 before entry 1, roster@6
 * before entry 6, each checkpoint after its entry. */
static void
test_live_records (void **state)
{
    s_fx_t *fx = s_fx_new (state, 0);
    zsock_t *sub = s_client (fx, K_DE, ZMQ_SUB);
    s_subscribed (fx, sub, 0);
    for (uint64_t seq = 1; seq <= S_HEAD; seq++) {
        if (seq == 3 || seq == 8) {
            /* Left out by a replay's filter: the head moves all the same. */
            jad_feed_server_set_head (fx->server, seq);
            continue;
        }
        uint8_t *buf;
        size_t len;
        assert_int_equal (jad_journal_get (fx->journal, seq, &buf, &len), 1);
        jad_feed_server_publish_entry (fx->server, seq, buf, len);
        free (buf);
    }
    assert_int_equal (jad_feed_server_head (fx->server), S_HEAD);
    s_msg_t m[32];
    size_t want = 2 + (S_HEAD - 2) + 2;
    assert_int_equal (s_collect (fx, sub, m, 32, want, 5000, 1), want);
    size_t i = 0;
    s_expect (&m[i++], JAD_FRAME_ROSTER, 1);
    s_expect (&m[i++], JAD_FRAME_ENTRY, 1);
    s_expect (&m[i++], JAD_FRAME_ENTRY, 2);
    s_expect (&m[i++], JAD_FRAME_ENTRY, 4);
    s_expect (&m[i++], JAD_FRAME_ENTRY, 5);
    s_expect (&m[i++], JAD_FRAME_CHECKPOINT, 5);
    s_expect (&m[i++], JAD_FRAME_ROSTER, 6);
    s_expect (&m[i++], JAD_FRAME_ENTRY, 6);
    s_expect (&m[i++], JAD_FRAME_ENTRY, 7);
    s_expect (&m[i++], JAD_FRAME_ENTRY, 9);
    s_expect (&m[i++], JAD_FRAME_ENTRY, 10);
    s_expect (&m[i++], JAD_FRAME_CHECKPOINT, 10);
    /* Each once. */
    assert_int_equal (s_collect (fx, sub, m, 32, 1, 300, 1), 0);
}

/* A new subscription: the roster in force (at head 10: the one recorded
 * at 6) is published again — at most once a second. */
static void
test_subscription_roster (void **state)
{
    s_fx_t *fx = s_fx_new (state, S_HEAD);
    zsock_t *sub1 = s_client (fx, K_DE, ZMQ_SUB);
    s_subscribed (fx, sub1, 0);
    s_msg_t m[8], m2[8];
    assert_int_equal (s_collect (fx, sub1, m, 8, 1, 3000, 1), 1);
    s_expect (&m[0], JAD_FRAME_ROSTER, 6);
    int64_t first = m[0].at;

    /* A second subscriber within the second: its roster waits for it. */
    zsock_t *sub2 = s_client (fx, K_FR, ZMQ_SUB);
    s_subscribed (fx, sub2, 1);
    assert_int_equal (s_collect (fx, sub2, m2, 8, 1, 3000, 1), 1);
    s_expect (&m2[0], JAD_FRAME_ROSTER, 6);
    assert_true (m2[0].at - first >= 900);
    /* The first subscriber got it again too, once. */
    assert_int_equal (s_collect (fx, sub1, m, 8, 2, 500, 1), 1);
    s_expect (&m[0], JAD_FRAME_ROSTER, 6);
}

/* Heartbeats are answered with the server's head, epoch and operation;
 * the peer's health is kept, clamped. */
static void
test_heartbeat (void **state)
{
    s_fx_t *fx = s_fx_new (state, S_HEAD);
    zsock_t *dealer = s_client (fx, K_DE, ZMQ_DEALER);
    s_send_heartbeat (dealer, 99);
    s_msg_t m[4];
    assert_int_equal (s_collect (fx, dealer, m, 4, 1, 5000, 0), 1);
    assert_int_equal (m[0].kind, JAD_FRAME_HEARTBEAT);
    assert_true (m[0].hb.has_head);
    assert_int_equal (m[0].hb.head_seq, S_HEAD);
    assert_true (m[0].hb.has_epoch);
    assert_int_equal (m[0].hb.epoch, 3);
    assert_memory_equal (m[0].op, s_op, 16);
    jad_feed_peer_t *peer = jad_feed_server_peer (fx->server,
                                                  jad_keys_public (s_keys[K_DE]));
    assert_non_null (peer);
    assert_string_equal (peer->name, "agent-de");
    assert_true (peer->has_health);
    assert_int_equal (peer->health.mirror_seq, S_HEAD);      /* clamped */
    assert_int_equal (peer->health.outbox_depth, 7);
    assert_int_equal (peer->health.last_acked, 3);
}

/* A submit to a server without an owner: UNAVAILABLE with the envelope's
 * identity.  A frame of version 2: BAD_VERSION with the submit's
 * identity.  A frame that is no participant's: MALFORMED, no identity. */
static void
test_collector_refusals (void **state)
{
    s_fx_t *fx = s_fx_new (state, S_HEAD);
    zsock_t *dealer = s_client (fx, K_DE, ZMQ_DEALER);
    size_t len, flen;
    uint8_t *env = s_envelope (41, &flen);
    uint8_t *buf = jad_frame_bytes (JAD_FRAME_SUBMIT, env, flen, &len);
    s_send (dealer, buf, len);
    s_msg_t m[4];
    assert_int_equal (s_collect (fx, dealer, m, 4, 1, 5000, 0), 1);
    assert_int_equal (m[0].kind, JAD_FRAME_ERROR);
    assert_int_equal (m[0].code, JAD_EUNAVAILABLE);
    assert_string_equal (m[0].message, "a test server journals nothing");
    assert_true (m[0].ident.has_incarnation && m[0].ident.has_origin_seq);
    assert_int_equal (m[0].ident.incarnation_len, 16);
    assert_memory_equal (m[0].ident.incarnation, s_inc, 16);
    assert_int_equal (m[0].ident.origin_seq, 41);
    free (env);

    env = s_envelope (42, &flen);
    Jad__Frame f = JAD__FRAME__INIT;
    f.has_version = 1;
    f.version = 2;
    f.body_case = JAD__FRAME__BODY_SUBMIT;
    f.submit.data = env;
    f.submit.len = flen;
    buf = jad_wire_encode (&f.base, &len);
    s_send (dealer, buf, len);
    free (env);
    assert_int_equal (s_collect (fx, dealer, m, 4, 1, 5000, 0), 1);
    assert_int_equal (m[0].kind, JAD_FRAME_ERROR);
    assert_int_equal (m[0].code, JAD_EBAD_VERSION);
    assert_true (m[0].ident.has_incarnation && m[0].ident.has_origin_seq);
    assert_int_equal (m[0].ident.incarnation_len, 16);
    assert_memory_equal (m[0].ident.incarnation, s_inc, 16);
    assert_int_equal (m[0].ident.origin_seq, 42);

    buf = jad_frame_catchup_end (3, 0, &len);
    s_send (dealer, buf, len);
    assert_int_equal (s_collect (fx, dealer, m, 4, 1, 5000, 0), 1);
    assert_int_equal (m[0].kind, JAD_FRAME_ERROR);
    assert_int_equal (m[0].code, JAD_EMALFORMED);
    assert_false (m[0].ident.has_incarnation);
    assert_false (m[0].ident.has_origin_seq);
}

/* Ten catch-up requests at once: a few per peer are queued (4), the rest
 * dropped (the peer asks again on timeout). */
static void
test_catchup_queue (void **state)
{
    s_fx_t *fx = s_fx_new (state, S_HEAD);
    zsock_t *dealer = s_client (fx, K_DE, ZMQ_DEALER);
    /* Connected first (a heartbeat answered), so the ten arrive together. */
    s_send_heartbeat (dealer, 0);
    s_msg_t m[64];
    assert_int_equal (s_collect (fx, dealer, m, 64, 1, 5000, 0), 1);
    for (int i = 0; i < 10; i++)
        s_send_catchup (dealer, 1, 1);
    zclock_sleep (300);             /* all ten in the server's queue */
    /* Four answers of three frames (roster@1, entry 1, end), no more. */
    size_t n = s_collect (fx, dealer, m, 64, 12, 5000, 0);
    assert_int_equal (n, 12);
    for (size_t i = 0; i < n; i += 3) {
        s_expect (&m[i], JAD_FRAME_ROSTER, 1);
        s_expect (&m[i + 1], JAD_FRAME_ENTRY, 1);
        s_expect (&m[i + 2], JAD_FRAME_CATCHUP_END, 1);
    }
    assert_int_equal (s_collect (fx, dealer, m, 64, 1, 500, 0), 0);
    jad_feed_peer_t *peer = jad_feed_server_peer (fx->server,
                                                  jad_keys_public (s_keys[K_DE]));
    assert_non_null (peer);
    assert_int_equal (peer->catchups, 0);
    /* Served, the peer may ask again. */
    s_send_catchup (dealer, 10, 1);
    assert_int_equal (s_collect (fx, dealer, m, 64, 4, 5000, 0), 4);
    s_expect (&m[0], JAD_FRAME_ROSTER, 6);
    s_expect (&m[1], JAD_FRAME_ENTRY, 10);
    s_expect (&m[2], JAD_FRAME_CHECKPOINT, 10);
    s_expect (&m[3], JAD_FRAME_CATCHUP_END, 10);
}

/* A key off the roster is refused at the handshake (ZAP): it hears
 * nothing and is never a peer.  A key revoked while connected is
 * answered FORBIDDEN from its next message on, a submit with its
 * identity. */
static void
test_admission (void **state)
{
    s_fx_t *fx = s_fx_new (state, S_HEAD);
    zsock_t *out = s_client (fx, K_OUT, ZMQ_DEALER);
    zsock_t *fr = s_client (fx, K_FR, ZMQ_DEALER);
    s_send_heartbeat (out, 0);
    s_send_heartbeat (fr, 0);
    s_msg_t m[4];
    assert_int_equal (s_collect (fx, fr, m, 4, 1, 5000, 0), 1);
    assert_int_equal (m[0].kind, JAD_FRAME_HEARTBEAT);
    assert_int_equal (s_collect (fx, out, m, 4, 1, 1000, 0), 0);
    assert_null (jad_feed_server_peer (fx->server, jad_keys_public (s_keys[K_OUT])));

    /* agent-fr revoked (from entry 11) while its session stays open. */
    fx->old = fx->roster;
    fx->roster = s_roster (" revoked=11");
    assert_int_equal (jad_feed_server_set_roster (fx->server, fx->roster, 1), 0);
    jad_roster_destroy (&fx->old);      /* the server keeps no pointer to it */
    s_send_heartbeat (fr, 0);
    assert_int_equal (s_collect (fx, fr, m, 4, 1, 5000, 0), 1);
    assert_int_equal (m[0].kind, JAD_FRAME_ERROR);
    assert_int_equal (m[0].code, JAD_EFORBIDDEN);
    assert_string_equal (m[0].message, "key not on the roster");
    assert_false (m[0].ident.has_incarnation);
    size_t len, flen;
    uint8_t *env = s_envelope (43, &flen);
    uint8_t *buf = jad_frame_bytes (JAD_FRAME_SUBMIT, env, flen, &len);
    s_send (fr, buf, len);
    free (env);
    assert_int_equal (s_collect (fx, fr, m, 4, 1, 5000, 0), 1);
    assert_int_equal (m[0].code, JAD_EFORBIDDEN);
    assert_true (m[0].ident.has_incarnation && m[0].ident.has_origin_seq);
    assert_memory_equal (m[0].ident.incarnation, s_inc, 16);
    assert_int_equal (m[0].ident.origin_seq, 43);

    /* agent-de is still served, and subscribes to the feed bound again. */
    zsock_t *de = s_client (fx, K_DE, ZMQ_DEALER);
    s_send_heartbeat (de, 0);
    assert_int_equal (s_collect (fx, de, m, 4, 1, 5000, 0), 1);
    assert_int_equal (m[0].kind, JAD_FRAME_HEARTBEAT);
    zsock_t *sub = s_client (fx, K_DE, ZMQ_SUB);
    s_subscribed (fx, sub, jad_feed_server_subscriptions (fx->server));
}

/* ------------------------------------------------------------ damage */

/* Answer frames up to and including the catch-up end: the entries'
 * numbers as "1 2 3", the checkpoints' as "c5", the end as "end6+" (more)
 * or "end6". */
static const char *
s_answer_trace (const s_msg_t *m, size_t n)
{
    static char out[512];
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && at < sizeof out - 32; i++) {
        const char *sep = at ? " " : "";
        if (m[i].kind == JAD_FRAME_ENTRY)
            at += (size_t) snprintf (out + at, sizeof out - at, "%s%llu", sep,
                                     (unsigned long long) m[i].seq);
        else
        if (m[i].kind == JAD_FRAME_CHECKPOINT)
            at += (size_t) snprintf (out + at, sizeof out - at, "%sc%llu", sep,
                                     (unsigned long long) m[i].seq);
        else
        if (m[i].kind == JAD_FRAME_CATCHUP_END)
            at += (size_t) snprintf (out + at, sizeof out - at, "%send%llu%s", sep,
                                     (unsigned long long) m[i].seq,
                                     m[i].more ? "+" : "");
    }
    return out;
}

/* Ask a catch-up from FROM and collect its answer up to its end. */
static const char *
s_catchup_answer (s_fx_t *fx, zsock_t *dealer, uint64_t from)
{
    static s_msg_t m[64];
    s_send_catchup (dealer, from, 1000);
    size_t n = 0;
    while (n < 64) {
        size_t got = s_collect (fx, dealer, m + n, 64 - n, 1, 5000, 0);
        assert_int_equal (got, 1);
        if (m[n++].kind == JAD_FRAME_CATCHUP_END)
            break;
    }
    return s_answer_trace (m, n);
}

/* An entry whose bytes changed on the disk (its received_ms: it still
 * decodes, and chains onto the one before) fails its own hash — the next
 * entry's prev_hash: it is never served, nor anything after it.  The
 * answer ends before it with `more` (with its checkpoints: those of the
 * entries sent); the log names it and the repair command, once however
 * often it is asked for. */
static void
test_catchup_damaged_entry (void **state)
{
    s_tamper_how = 'm';
    s_tamper_seq = 7;
    s_fx_t *fx = s_fx_new (state, S_HEAD);
    zsock_t *dealer = s_client (fx, K_DE, ZMQ_DEALER);
    jad_test_log_capture (JAD_LOG_ERROR);
    char first[512], again[512], from3[512];
    snprintf (first, sizeof first, "%s", s_catchup_answer (fx, dealer, 1));
    snprintf (again, sizeof again, "%s", s_catchup_answer (fx, dealer, 7));
    snprintf (from3, sizeof from3, "%s", s_catchup_answer (fx, dealer, 3));
    char *log = jad_test_log_release ();
    assert_string_equal (first, "1 2 3 4 5 6 c5 end6+");
    assert_string_equal (again, "end6+");
    assert_string_equal (from3, "3 4 5 6 c5 end6+");
    if (jad_test_lines_with (log, "catch-up: entry 7 of journal ") != 1
    ||  jad_test_lines_with (log, "no entry from 7 on is served; run `jad-journal "
                           "repair --data ") != 1)
        fail_msg ("log:\n%s", log);
    free (log);
}

/* The link between two entries broken on the side of the later one (its
 * prev_hash): either may be the damaged one, so neither is served. */
static void
test_catchup_broken_link (void **state)
{
    s_tamper_how = 'p';
    s_tamper_seq = 4;
    s_fx_t *fx = s_fx_new (state, S_HEAD);
    zsock_t *dealer = s_client (fx, K_DE, ZMQ_DEALER);
    jad_test_log_capture (JAD_LOG_ERROR);
    char first[512], at4[512];
    snprintf (first, sizeof first, "%s", s_catchup_answer (fx, dealer, 1));
    snprintf (at4, sizeof at4, "%s", s_catchup_answer (fx, dealer, 4));
    char *log = jad_test_log_release ();
    assert_string_equal (first, "1 2 end2+");
    assert_string_equal (at4, "end3+");
    if (jad_test_lines_with (log, "entry 3 of journal ") != 1
    ||  jad_test_lines_with (log, "does not hash to the prev_hash of entry 4") != 1
    ||  jad_test_lines_with (log, "entry 4 of journal ") != 1
    ||  jad_test_lines_with (log, "prev_hash that is not the hash of entry 3") != 1)
        fail_msg ("log:\n%s", log);
    free (log);
}

/* The journal's last entry has no next one to vouch for it: the bytes it
 * was published with do.  Entry 10 damaged on the disk after the server
 * published it: not served. */
static void
test_catchup_damaged_last (void **state)
{
    s_tamper_how = 'm';
    s_tamper_seq = S_HEAD;
    s_fx_t *fx = s_fx_new (state, S_HEAD - 1);
    jad_feed_server_publish_entry (fx->server, S_HEAD, s_tamper_was,
                                   s_tamper_was_len);
    zsock_t *dealer = s_client (fx, K_DE, ZMQ_DEALER);
    jad_test_log_capture (JAD_LOG_ERROR);
    char answer[512];
    snprintf (answer, sizeof answer, "%s", s_catchup_answer (fx, dealer, 8));
    char *log = jad_test_log_release ();
    assert_string_equal (answer, "8 9 end9+");
    if (jad_test_lines_with (log, "entry 10 of journal ") != 1
    ||  jad_test_lines_with (log, "is not the entry published as 10") != 1)
        fail_msg ("log:\n%s", log);
    free (log);
}

/* ------------------------------------------------------------ main */

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_catchup, jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_live_records, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_subscription_roster, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_heartbeat, jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_collector_refusals, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_catchup_queue, jad_test_dir_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_admission, jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_catchup_damaged_entry,
                                         jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_catchup_broken_link,
                                         jad_test_dir_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_catchup_damaged_last,
                                         jad_test_dir_setup, s_teardown),
    };
    if (sodium_init () < 0)
        return 1;
    jad_log_init ("test", JAD_LOG_ERROR);
    if (jad_test_keys_make (s_names, K_N, s_keys, &s_keydir) != 0) {
        jad_test_keys_free (s_keys, K_N, &s_keydir);
        return 1;
    }
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    jad_test_keys_free (s_keys, K_N, &s_keydir);
    return rc;
}
