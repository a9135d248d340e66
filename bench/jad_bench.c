/*  jad-bench: a load generator that is a participant of a real hub.
 *
 *  jad-bench latency --hub EP --feed EP --hub-key F --key F --watch-key F
 *                    [--rate 2000] [--duration 10]
 *      One agent (--key) submits envelopes at a fixed rate on its CURVE
 *      DEALER; a second participant (--watch-key, e.g. a coordinator)
 *      subscribes to the feed.  Prints submit->ack and submit->seen
 *      latency (p50, p90, p99, p99.9, max).  Sends are paced on a 1 ms
 *      tick and never wait for the hub, so a slow hub shows up as latency,
 *      not as a lower send rate.
 *
 *  jad-bench flood --hub EP --hub-key F [--feed EP --watch-key F]
 *                  [--window 1000] [--duration 10] [--count N [--presign]]
 *                  [--watchers N] [--rate R] [--drain S] [--acked-out FILE]
 *                  KEY...
 *      One DEALER per agent KEY, each keeping WINDOW envelopes
 *      unacknowledged (the agent protocol's limit), for DURATION seconds
 *      or until N envelopes in all are sent, then waits up to S seconds
 *      (30) for the last acks.  Prints reports/s acknowledged and, with
 *      --watch-key, how many entries one subscriber saw.
 *      --watchers N: N subscribers on the feed (one SUB each, all with the
 *      --watch-key), each decoding every entry down to its envelope:
 *      prints submit->seen latency over every (report, subscriber) pair
 *      and "delivered": reports every subscriber saw, per second from the
 *      first send to the last such delivery (publisher -> every subscriber,
 *      the figure bench/peer compares with an MQTT broker).
 *      --rate R: send at most R envelopes/s in all (paced on a 1 ms tick),
 *      for latency below saturation.
 *      --acked-out FILE: writes "ORIGIN ORIGIN_SEQ" for every acknowledged
 *      envelope, so bench/peer can look for each in the journal after a
 *      kill -9 of the hub (a run with one incarnation per agent on a fresh
 *      hub: the pair names one entry).
 *      Also prints the mean size of the Submit frames sent and of the
 *      Entry frames seen on the feed.
 *
 *  jad-bench free-ports N
 *      N free TCP ports on 127.0.0.1, one a line (for bench/run.sh).
 *
 *      --presign (with --count) signs and encodes every agent's envelopes
 *      before the clock starts, so the flood measures the hub and not the
 *      load generator's Ed25519 signing (~29 us each, on the same cores).
 *
 *  Every envelope is sealed with jad_envelope_seal, signed with its agent
 *  KEY's Ed25519 key, as an agent seals its reports: the hub refuses
 *  unsigned envelopes.  Frames are built and read by lib/frame.c; entries
 *  on the feed are peeled in place (jad_entry_peel), not unpacked.  KEY
 *  files must be .secret files (CURVE and signing secrets).  Every
 *  envelope has a random incarnation per run, so runs can follow one
 *  another on the same hub.  Reports are a fixed mix (checks, seizure,
 *  hit, deployment) without a country: the hub takes the origin's.
 *
 *  exit: 0 every envelope acked (and, in latency mode, seen); 1 otherwise;
 *        2 usage or setup error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <czmq.h>
#include <sodium.h>

#include "jad/entry.h"
#include "jad/envelope.h"
#include "jad/frame.h"
#include "jad/keys.h"
#include "jad/wire.h"

#define S_MAX_AGENTS   256      /* bench/scale connects 200 */
#define S_N_REPORTS    4        /* size of the report mix */
#define S_DRAIN_MS     30000    /* wait this long for the last acks */

/* One submitting participant: its DEALER and what it has in flight. */
typedef struct {
    zsock_t  *sock;             /* CURVE DEALER to the hub */
    void     *raw;              /* its libzmq handle */
    char      name[JAD_KEYS_NAME_MAX + 1];  /* roster name = origin */
    size_t    name_len;         /* strlen (name) */
    uint8_t   incarnation[JAD_ID_BYTES];    /* random per run */
    uint64_t  next_seq;         /* next origin_seq to send, from 1 */
    uint64_t  acked;            /* acks received */
    uint64_t  errors;           /* error replies received */
    int64_t  *sent_us;          /* send time by origin_seq; 0 once acked */
    int64_t  *ack_us;           /* ack time by origin_seq (latency mode) */
    uint8_t  *seen_n;           /* subscribers that saw it, by origin_seq */
    size_t    cap;              /* entries in sent_us / ack_us */
    jad_keys_t *keys;           /* its keys: signs every envelope */
    uint8_t **pre;              /* --presign: Submit frames by origin_seq */
    size_t   *pre_len;
    uint64_t  n_pre;            /* frames 1..n_pre are in pre[] */
} s_agent_t;

/* Latency samples in microseconds. */
typedef struct {
    int64_t  *v;
    size_t    n, cap;
} s_samples_t;

static jad_keys_t *s_hub_keys;
static uint8_t     s_op_id[JAD_ID_BYTES];
static uint8_t    *s_reports[S_N_REPORTS];    /* packed Report mix */
static size_t      s_report_len[S_N_REPORTS];
static uint64_t    s_submit_bytes;              /* Submit frames sent */

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
s_sample_add (s_samples_t *s, int64_t us)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        s->v = realloc (s->v, s->cap * sizeof *s->v);
        assert (s->v);
    }
    s->v[s->n++] = us;
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* Print "LABEL p50 … max" in ms; sorts S. */
static void
s_sample_print (const char *label, s_samples_t *s)
{
    if (s->n == 0) {
        printf ("%-13s no samples\n", label);
        return;
    }
    qsort (s->v, s->n, sizeof *s->v, s_cmp_i64);
    const double q[] = { 0.50, 0.90, 0.99, 0.999 };
    const char *qn[] = { "p50", "p90", "p99", "p99.9" };
    printf ("%-13s", label);
    for (size_t i = 0; i < 4; i++) {
        size_t k = (size_t) (q[i] * (double) (s->n - 1) + 0.5);
        printf (" %s %.3f ms", qn[i], (double) s->v[k] / 1000.0);
    }
    printf (" max %.3f ms (n=%zu)\n", (double) s->v[s->n - 1] / 1000.0, s->n);
}

/* A CURVE client socket of TYPE with OWN's keys, connected to ENDPOINT. */
static zsock_t *
s_connect (int type, const jad_keys_t *own, const char *endpoint)
{
    zsock_t *sock = zsock_new (type);
    if (!sock)
        return NULL;
    void *raw = zsock_resolve (sock);
    int linger = 0, hwm = 0, on = 1;
    zmq_setsockopt (raw, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (raw, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (raw, ZMQ_RCVHWM, &hwm, sizeof hwm);
    if (type == ZMQ_DEALER)
        zmq_setsockopt (raw, ZMQ_IMMEDIATE, &on, sizeof on);
    if (jad_keys_apply_client (own, jad_keys_public (s_hub_keys), raw) != 0) {
        fprintf (stderr, "jad-bench: cannot set CURVE keys\n");
        zsock_destroy (&sock);
        return NULL;
    }
    if (type == ZMQ_SUB)
        zsock_set_subscribe (sock, "");
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        fprintf (stderr, "jad-bench: cannot connect %s\n", endpoint);
        zsock_destroy (&sock);
    }
    return sock;
}

/* Send the frame BUF[0..LEN) (a builder's, NULL when it could not be
 * built) without waiting, and free it; 0 sent, -1 not (HWM, error). */
static int
s_send_built (void *raw, uint8_t *buf, size_t len)
{
    if (!buf)
        return -1;
    int rc = zmq_send (raw, buf, len, ZMQ_DONTWAIT) == (int) len ? 0 : -1;
    free (buf);
    return rc;
}

static void
s_send_heartbeat (void *raw)
{
    jad_heartbeat_t hb = { .has_time = 1, .time_ms = (int64_t) time (NULL) * 1000 };
    size_t len = 0;
    uint8_t *buf = jad_frame_heartbeat (&hb, &len);
    s_send_built (raw, buf, len);
}

/* Receive one message without waiting and decode it into *F, which the
 * caller clears with jad_frame_clear whatever the result.  1 when F holds
 * a frame; 0 when nothing is waiting or it does not decode: *GOT_P says
 * which (the message's size in bytes, at least 1, when one was received;
 * else 0). */
static int
s_recv_frame (void *raw, jad_frame_t *f, int *got_p)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    *got_p = 0;
    if (zmq_msg_recv (&msg, raw, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close (&msg);
        memset (f, 0, sizeof *f);
        return 0;
    }
    *got_p = zmq_msg_size (&msg) > 0 ? (int) zmq_msg_size (&msg) : 1;
    char err[256];
    /* (the bytes a frame carries are copied out of the message: F outlives
     * it) */
    int ok = jad_frame_decode (zmq_msg_data (&msg), zmq_msg_size (&msg), f,
                               err, sizeof err) == JAD_OK;
    if (!ok)
        fprintf (stderr, "jad-bench: undecodable frame: %s\n", err);
    zmq_msg_close (&msg);
    return ok;
}

/* Entry bytes BUF[0..LEN) peeled in place: the agent among AGENTS[0..N)
 * that sent it in this run (its origin and incarnation) and the
 * origin_seq, or NULL. */
static s_agent_t *
s_entry_agent (const uint8_t *buf, size_t len, s_agent_t *agents, size_t n,
               uint64_t *seq_p)
{
    char err[256];
    jad_entry_peel_t peel;
    if (jad_entry_peel (buf, len, &peel, err, sizeof err) != 0
    ||  !peel.origin || peel.incarnation_len != JAD_ID_BYTES)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s_agent_t *a = &agents[i];
        if (peel.origin_len == a->name_len
        &&  memcmp (peel.origin, a->name, a->name_len) == 0) {
            if (memcmp (peel.incarnation, a->incarnation, JAD_ID_BYTES) != 0)
                return NULL;
            *seq_p = peel.origin_seq;
            return a;
        }
    }
    return NULL;
}

/* Heartbeat the hub until it answers (5 s at most); the answer carries the
 * operation id.  0 on success. */
static int
s_hello (s_agent_t *a)
{
    zmq_pollitem_t item = { a->raw, 0, ZMQ_POLLIN, 0 };
    int64_t until = s_now_us () + 5000000, next_hb = 0;
    while (s_now_us () < until) {
        /* ZMQ_IMMEDIATE: a send before the handshake is refused, so say
         * hello again until the hub answers. */
        if (s_now_us () >= next_hb) {
            s_send_heartbeat (a->raw);
            next_hb = s_now_us () + 100000;
        }
        if (zmq_poll (&item, 1, 20) <= 0)
            continue;
        int got, decoded;
        jad_frame_t f;
        while ((decoded = s_recv_frame (a->raw, &f, &got)) || got) {
            int ok = decoded && f.kind == JAD_FRAME_HEARTBEAT
                  && f.heartbeat.operation_id;  /* 16 bytes: checked */
            if (ok)
                memcpy (s_op_id, f.heartbeat.operation_id, JAD_ID_BYTES);
            jad_frame_clear (&f);
            if (ok)
                return 0;
        }
    }
    fprintf (stderr, "jad-bench: %s: no answer from the hub\n", a->name);
    return -1;
}

/* Wait up to 5 s for the feed's welcome message: the subscription is live. */
static int
s_wait_welcome (zsock_t *sub)
{
    zmq_pollitem_t item = { zsock_resolve (sub), 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, 5000) <= 0) {
        fprintf (stderr, "jad-bench: nothing on the feed within 5 s\n");
        return -1;
    }
    return 0;
}

/* The report mix, packed once. */
static void
s_build_reports (void)
{
    Jad__Report r[S_N_REPORTS];
    Jad__Checks checks = JAD__CHECKS__INIT;
    Jad__Seizure seizure = JAD__SEIZURE__INIT;
    Jad__Hit hit = JAD__HIT__INIT;
    Jad__Deployment dep = JAD__DEPLOYMENT__INIT;
    for (size_t i = 0; i < S_N_REPORTS; i++)
        jad__report__init (&r[i]);
    checks.has_persons = checks.has_vehicles = checks.has_parcels = 1;
    checks.persons = 214;
    checks.vehicles = 87;
    checks.parcels = 31;
    r[0].body_case = JAD__REPORT__BODY_CHECKS;
    r[0].checks = &checks;
    seizure.has_item = seizure.has_firearm_type = seizure.has_count = 1;
    seizure.item = JAD__ITEM__FIREARM;
    seizure.firearm_type = JAD__FIREARM_TYPE__PISTOL;
    seizure.count = 2;
    seizure.serial = "AB123456";
    r[1].body_case = JAD__REPORT__BODY_SEIZURE;
    r[1].seizure = &seizure;
    hit.has_database = hit.has_count = 1;
    hit.database = JAD__DATABASE__SLTD;
    hit.count = 1;
    r[2].body_case = JAD__REPORT__BODY_HIT;
    r[2].hit = &hit;
    dep.has_officers = 1;
    dep.officers = 42;
    r[3].body_case = JAD__REPORT__BODY_DEPLOYMENT;
    r[3].deployment = &dep;
    for (size_t i = 0; i < S_N_REPORTS; i++) {
        s_reports[i] = jad_wire_encode (&r[i].base, &s_report_len[i]);
        assert (s_reports[i]);
    }
}

/* A's Submit frame for envelope SEQ, sealed with A's signing key as an
 * agent seals its reports (jad_envelope_seal): a malloc'd buffer and its
 * length in *LEN_P, or NULL. */
static uint8_t *
s_encode_submit (const s_agent_t *a, uint64_t seq, size_t *len_p)
{
    size_t k = seq % S_N_REPORTS;
    int64_t event_time_ms = 1605510000000LL + (int64_t) seq * 1000;
    jad_envelope_id_t id = {
        .operation_id = s_op_id, .origin = a->name,
        .incarnation = a->incarnation, .origin_seq = seq
    };
    char err[256];
    size_t elen = 0;
    uint8_t *ebuf = jad_envelope_seal (&id, event_time_ms, s_reports[k],
                                       s_report_len[k], a->keys, &elen,
                                       err, sizeof err);
    if (!ebuf) {
        fprintf (stderr, "jad-bench: %s: cannot sign: %s\n", a->name, err);
        return NULL;
    }
    uint8_t *buf = jad_frame_bytes (JAD_FRAME_SUBMIT, ebuf, elen, len_p);
    free (ebuf);
    return buf;
}

/* Sign and encode A's envelopes 1..N before the clock starts (--presign),
 * so that a flood measures the hub, not the load generator's signing. */
static int
s_presign (s_agent_t *a, uint64_t n)
{
    a->pre = calloc (n + 1, sizeof *a->pre);
    a->pre_len = calloc (n + 1, sizeof *a->pre_len);
    assert (a->pre && a->pre_len);
    for (uint64_t seq = 1; seq <= n; seq++) {
        a->pre[seq] = s_encode_submit (a, seq, &a->pre_len[seq]);
        if (!a->pre[seq])
            return -1;
        a->n_pre = seq;
    }
    return 0;
}

/* Submit A's next envelope; 0 sent, -1 not (send queue full). */
static int
s_submit (s_agent_t *a, int64_t now_us)
{
    uint64_t seq = a->next_seq;
    if (seq >= a->cap) {
        size_t cap = a->cap * 2;
        a->sent_us = realloc (a->sent_us, cap * sizeof *a->sent_us);
        a->ack_us = realloc (a->ack_us, cap * sizeof *a->ack_us);
        a->seen_n = realloc (a->seen_n, cap * sizeof *a->seen_n);
        assert (a->sent_us && a->ack_us && a->seen_n);
        memset (a->sent_us + a->cap, 0, (cap - a->cap) * sizeof *a->sent_us);
        memset (a->ack_us + a->cap, 0, (cap - a->cap) * sizeof *a->ack_us);
        memset (a->seen_n + a->cap, 0, (cap - a->cap) * sizeof *a->seen_n);
        a->cap = cap;
    }
    size_t len;
    uint8_t *buf;
    int pre = seq <= a->n_pre;
    if (pre) {
        buf = a->pre[seq];
        len = a->pre_len[seq];
    }
    else
    if (!(buf = s_encode_submit (a, seq, &len)))
        return -1;
    int rc = zmq_send (a->raw, buf, len, ZMQ_DONTWAIT) == (int) len ? 0 : -1;
    if (!pre)
        free (buf);
    if (rc == 0) {
        s_submit_bytes += len;
        if (pre) {
            free (a->pre[seq]);
            a->pre[seq] = NULL;
        }
        a->sent_us[seq] = now_us;
        a->next_seq++;
    }
    return rc;
}

/* Read every waiting answer on A's DEALER; ack latencies go to ACKS. */
static void
s_drain_answers (s_agent_t *a, s_samples_t *acks)
{
    int got, decoded;
    jad_frame_t f;
    while ((decoded = s_recv_frame (a->raw, &f, &got)) || got) {
        if (!decoded) {
            jad_frame_clear (&f);
            continue;
        }
        int64_t now = s_now_us ();
        if (f.kind == JAD_FRAME_ACK) {
            /* (an ack's identity is checked present on decode) */
            uint64_t seq = f.ack.ident.origin_seq;
            int ours = f.ack.ident.incarnation_len == JAD_ID_BYTES
                    && memcmp (f.ack.ident.incarnation, a->incarnation,
                               JAD_ID_BYTES) == 0;
            if (ours && seq > 0 && seq < a->next_seq && a->sent_us[seq]) {
                s_sample_add (acks, now - a->sent_us[seq]);
                a->ack_us[seq] = now;
                a->acked++;
            }
        }
        else
        if (f.kind == JAD_FRAME_ERROR) {
            if (a->errors++ < 5)
                fprintf (stderr, "jad-bench: %s: error %d: %s\n", a->name,
                         f.error.code, f.error.message);
        }
        jad_frame_clear (&f);
    }
}

/* Read every waiting feed message.  With AGENT, peel each entry down to
 * its envelope's identity and record submit->seen for AGENT's envelopes
 * in SEEN; without, only count entries.  Returns entries read. */
static uint64_t
s_drain_feed (zsock_t *sub, s_agent_t *agent, s_samples_t *seen)
{
    uint64_t entries = 0;
    int got, decoded;
    jad_frame_t f;
    void *raw = zsock_resolve (sub);
    while ((decoded = s_recv_frame (raw, &f, &got)) || got) {
        if (!decoded || f.kind != JAD_FRAME_ENTRY) {
            jad_frame_clear (&f);
            continue;
        }
        entries++;
        if (agent) {
            int64_t now = s_now_us ();
            uint64_t seq = 0;
            if (s_entry_agent (f.bytes, f.len, agent, 1, &seq)
            &&  seq > 0 && seq < agent->next_seq && agent->sent_us[seq])
                s_sample_add (seen, now - agent->sent_us[seq]);
        }
        jad_frame_clear (&f);
    }
    return entries;
}

/* Load KEY_PATH and connect a DEALER for it to HUB.  0 on success. */
static int
s_agent_open (s_agent_t *a, const char *key_path, const char *hub)
{
    char err[512];
    memset (a, 0, sizeof *a);
    jad_keys_t *keys = jad_keys_load (key_path, err, sizeof err);
    if (!keys) {
        fprintf (stderr, "jad-bench: %s\n", err);
        return -1;
    }
    snprintf (a->name, sizeof a->name, "%s", jad_keys_name (keys));
    a->name_len = strlen (a->name);
    a->keys = keys;
    if (!jad_keys_has_secret (keys)) {
        fprintf (stderr, "jad-bench: %s: not a secret key file\n", key_path);
        return -1;
    }
    a->sock = s_connect (ZMQ_DEALER, keys, hub);
    if (!a->sock)
        return -1;
    a->raw = zsock_resolve (a->sock);
    randombytes_buf (a->incarnation, sizeof a->incarnation);
    a->next_seq = 1;
    a->cap = 1 << 16;
    a->sent_us = calloc (a->cap, sizeof *a->sent_us);
    a->ack_us = calloc (a->cap, sizeof *a->ack_us);
    a->seen_n = calloc (a->cap, sizeof *a->seen_n);
    assert (a->sent_us && a->ack_us && a->seen_n);
    return s_hello (a);
}

static void
s_agent_close (s_agent_t *a)
{
    zsock_destroy (&a->sock);
    jad_keys_destroy (&a->keys);
    free (a->sent_us);
    free (a->ack_us);
    free (a->seen_n);
    a->sent_us = a->ack_us = NULL;
    a->seen_n = NULL;
    for (uint64_t i = 1; a->pre && i <= a->n_pre; i++)
        free (a->pre[i]);
    free (a->pre);
    free (a->pre_len);
    a->pre = NULL;
    a->pre_len = NULL;
    a->n_pre = 0;
}

static zsock_t *
s_watcher_open (const char *key_path, const char *feed)
{
    char err[512];
    jad_keys_t *keys = jad_keys_load (key_path, err, sizeof err);
    if (!keys) {
        fprintf (stderr, "jad-bench: %s\n", err);
        return NULL;
    }
    zsock_t *sub = s_connect (ZMQ_SUB, keys, feed);
    jad_keys_destroy (&keys);
    if (sub && s_wait_welcome (sub) != 0)
        zsock_destroy (&sub);
    return sub;
}

/* ------------------------------------------------------------ latency */

static int
s_latency (const char *hub, const char *feed, const char *key,
           const char *watch_key, double rate, double duration)
{
    int rc = 2;
    s_agent_t agent;
    memset (&agent, 0, sizeof agent);
    s_samples_t acks = { 0 }, seen = { 0 };
    zsock_t *sub = s_watcher_open (watch_key, feed);
    if (!sub || s_agent_open (&agent, key, hub) != 0)
        goto out;
    uint64_t total = (uint64_t) (rate * duration + 0.5);
    int64_t start = s_now_us ();
    int64_t end = start + (int64_t) (duration * 1e6);
    int64_t drain_until = end + S_DRAIN_MS * 1000;
    int64_t next_hb = start + 1000000;
    uint64_t sent = 0, late = 0;
    zmq_pollitem_t items[2] = {
        { agent.raw, 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (sub), 0, ZMQ_POLLIN, 0 }
    };
    while (1) {
        int64_t now = s_now_us ();
        /* Send everything due by now: envelope i is due at start + i/rate. */
        while (sent < total) {
            int64_t due = start + (int64_t) ((double) sent * 1e6 / rate);
            if (due > now)
                break;
            if (now - due > 1000)
                late++;
            if (s_submit (&agent, now) != 0)
                break;
            sent++;
        }
        if (now >= next_hb) {
            s_send_heartbeat (agent.raw);
            next_hb = now + 1000000;
        }
        if (sent == total && agent.acked == total && seen.n == total)
            break;
        if (now > drain_until)
            break;
        zmq_poll (items, 2, sent < total ? 1 : 100);
        s_drain_answers (&agent, &acks);
        s_drain_feed (sub, &agent, &seen);
    }
    double secs = (double) (end - start) / 1e6;
    printf ("latency: %" PRIu64 " sent at %.0f/s over %.1f s: %" PRIu64
            " acked, %zu seen by %s, %" PRIu64 " errors, %" PRIu64
            " sends >1 ms late\n", sent, rate, secs, agent.acked, seen.n,
            "the watcher", agent.errors, late);
    s_sample_print ("submit->ack", &acks);
    s_sample_print ("submit->seen", &seen);
    rc = agent.acked == total && seen.n == total && agent.errors == 0 ? 0 : 1;
out:
    if (agent.sock || agent.keys)
        s_agent_close (&agent);
    zsock_destroy (&sub);
    free (acks.v);
    free (seen.v);
    return rc;
}

/* ------------------------------------------------------------ flood */

/* What the flood's subscribers saw (--watchers): every entry decoded down
 * to its envelope and matched to the agent and origin_seq that sent it. */
typedef struct {
    size_t       n;             /* subscribers; a report is delivered when all saw it */
    zsock_t    **subs;          /* their SUB sockets */
    int          decode;        /* 0: only count entries (no --watchers) */
    uint64_t     delivered;     /* reports every subscriber saw */
    int64_t      last_us;       /* when the last of those was completed */
    uint64_t     entries;       /* Entry frames seen, all subscribers */
    uint64_t     entry_bytes;   /* their size */
    s_samples_t  seen;          /* submit->seen per (report, subscriber) */
} s_watch_t;

/* Read every waiting entry on SUB; with W->decode, match each to its
 * agent in AGENTS (the entry peeled in place) and count it towards that
 * report's delivery. */
static void
s_drain_watcher (zsock_t *sub, s_agent_t *agents, size_t n_agents,
                 s_watch_t *w)
{
    int got, decoded;
    jad_frame_t f;
    void *raw = zsock_resolve (sub);
    while ((decoded = s_recv_frame (raw, &f, &got)) || got) {
        if (!decoded || f.kind != JAD_FRAME_ENTRY) {
            jad_frame_clear (&f);
            continue;
        }
        w->entries++;
        w->entry_bytes += (uint64_t) got;
        if (!w->decode) {
            jad_frame_clear (&f);
            continue;
        }
        int64_t now = s_now_us ();
        uint64_t seq = 0;
        s_agent_t *a = s_entry_agent (f.bytes, f.len, agents, n_agents, &seq);
        if (a && seq > 0 && seq < a->next_seq && a->sent_us[seq]) {
            s_sample_add (&w->seen, now - a->sent_us[seq]);
            if (++a->seen_n[seq] == w->n) {
                w->delivered++;
                w->last_us = now;
            }
        }
        jad_frame_clear (&f);
    }
}

/* Write "ORIGIN ORIGIN_SEQ" for every acknowledged envelope to PATH. */
static int
s_write_acked (const char *path, const s_agent_t *agents, size_t n_agents)
{
    FILE *f = fopen (path, "w");
    if (!f) {
        fprintf (stderr, "jad-bench: cannot write %s: %s\n", path, strerror (errno));
        return -1;
    }
    for (size_t i = 0; i < n_agents; i++)
        for (uint64_t seq = 1; seq < agents[i].next_seq; seq++)
            if (agents[i].ack_us[seq])
                fprintf (f, "%s %" PRIu64 "\n", agents[i].name, seq);
    return fclose (f) == 0 ? 0 : -1;
}

static int
s_flood (const char *hub, const char *feed, const char *watch_key,
         char **keys, size_t n_keys, uint64_t window, double duration,
         uint64_t count, int presign, size_t n_watchers, double rate,
         double drain, const char *acked_out)
{
    int rc = 2;
    s_agent_t *agents = calloc (n_keys, sizeof *agents);
    s_samples_t acks = { 0 };
    s_watch_t w = { 0 };
    w.decode = n_watchers > 0;
    w.n = watch_key && feed ? (n_watchers ? n_watchers : 1) : 0;
    w.subs = calloc (w.n + 1, sizeof *w.subs);
    zmq_pollitem_t *items = calloc (n_keys + w.n, sizeof *items);
    assert (agents && items && w.subs);
    size_t opened = 0;
    for (size_t i = 0; i < w.n; i++)
        if (!(w.subs[i] = s_watcher_open (watch_key, feed)))
            goto out;
    for (; opened < n_keys; opened++)
        if (s_agent_open (&agents[opened], keys[opened], hub) != 0) {
            opened++;
            goto out;
        }
    if (presign && count) {
        /* Round-robin sending gives each agent about COUNT / N; the rest
         * (if any) is signed as it is sent. */
        uint64_t per = count / n_keys + window;
        if (per > count)
            per = count;
        int64_t t0 = s_now_us ();
        for (size_t i = 0; i < n_keys; i++)
            if (s_presign (&agents[i], per) != 0)
                goto out;
        fprintf (stderr, "jad-bench: presigned %zu x %" PRIu64 " envelopes in %.1f s\n",
                 n_keys, per, (double) (s_now_us () - t0) / 1e6);
    }
    fprintf (stderr, "jad-bench: %zu agents and %zu subscribers connected\n",
             n_keys, w.n);
    for (size_t i = 0; i < n_keys; i++)
        items[i] = (zmq_pollitem_t) { agents[i].raw, 0, ZMQ_POLLIN, 0 };
    size_t n_items = n_keys;
    for (size_t i = 0; i < w.n; i++)
        items[n_items++] = (zmq_pollitem_t) { zsock_resolve (w.subs[i]), 0, ZMQ_POLLIN, 0 };

    int64_t start = s_now_us ();
    int64_t end = start + (int64_t) (duration * 1e6);
    int64_t next_hb = start + 1000000, last_ack = start;
    uint64_t acked = 0, sent = 0;
    /* COUNT (0: none) ends the run early, when that many are sent. */
    while (1) {
        int64_t now = s_now_us ();
        int sending = now < end && (!count || sent < count);
        /* RATE (0: none) caps what is due by now, in all. */
        uint64_t due = rate > 0 ? (uint64_t) ((double) (now - start) * rate / 1e6) + 1
                                : UINT64_MAX;
        /* One envelope per agent per pass: round robin, so a rate cap
         * and the window are shared fairly. */
        for (int progress = sending; progress; ) {
            progress = 0;
            for (size_t i = 0; i < n_keys; i++) {
                s_agent_t *a = &agents[i];
                if (a->next_seq - 1 - a->acked >= window
                ||  (count && sent >= count) || sent >= due)
                    continue;
                if (s_submit (a, now) != 0)
                    continue;
                sent++;
                progress = 1;
            }
        }
        if (now >= next_hb) {
            for (size_t i = 0; i < n_keys; i++)
                s_send_heartbeat (agents[i].raw);
            next_hb = now + 1000000;
        }
        sent = acked = 0;
        for (size_t i = 0; i < n_keys; i++) {
            sent += agents[i].next_seq - 1;
            acked += agents[i].acked;
        }
        if (!sending && acked == sent)
            break;
        if (now > end + (int64_t) (drain * 1e6))
            break;
        int timeout = !sending ? 100 : rate > 0 ? 1 : (int) ((end - now) / 1000) + 1;
        zmq_poll (items, (int) n_items, timeout);
        uint64_t before = acks.n;
        for (size_t i = 0; i < n_keys; i++)
            s_drain_answers (&agents[i], &acks);
        if (acks.n > before)
            last_ack = s_now_us ();
        for (size_t i = 0; i < w.n; i++)
            s_drain_watcher (w.subs[i], agents, n_keys, &w);
    }
    /* The feed may trail the last ack by a little (by more with several
     * decoding subscribers on the same cores). */
    if (w.n) {
        int64_t until = s_now_us () + (w.decode ? 10000000 : 2000000);
        while ((w.decode ? w.delivered : w.entries) < acked && s_now_us () < until) {
            zmq_poll (items + n_keys, (int) w.n, 100);
            for (size_t i = 0; i < w.n; i++)
                s_drain_watcher (w.subs[i], agents, n_keys, &w);
        }
    }
    uint64_t errors = 0;
    for (size_t i = 0; i < n_keys; i++)
        errors += agents[i].errors;
    double secs = (double) (last_ack - start) / 1e6;
    printf ("flood: %zu agents, window %" PRIu64 ", %.1f s max: %" PRIu64
            " sent, %" PRIu64 " acked in %.2f s (%.0f reports/s acked), %"
            PRIu64 " errors", n_keys, window, duration, sent, acked, secs,
            secs > 0 ? (double) acked / secs : 0.0, errors);
    if (w.n && !w.decode)
        printf (", %" PRIu64 " seen on the feed", w.entries);
    printf ("\n");
    if (w.decode) {
        double dsecs = (double) (w.last_us - start) / 1e6;
        printf ("delivered: %" PRIu64 " reports to every one of %zu subscribers"
                " in %.2f s (%.0f reports/s delivered)\n", w.delivered, w.n,
                dsecs, dsecs > 0 ? (double) w.delivered / dsecs : 0.0);
    }
    printf ("sizes: Submit frame mean %.1f bytes",
            sent ? (double) s_submit_bytes / (double) sent : 0.0);
    if (w.entries)
        printf (", feed Entry frame mean %.1f bytes",
                (double) w.entry_bytes / (double) w.entries);
    printf ("\n");
    s_sample_print ("submit->ack", &acks);
    if (w.decode)
        s_sample_print ("submit->seen", &w.seen);
    rc = acked == sent && errors == 0 ? 0 : 1;
    if (w.decode && w.delivered != acked)
        rc = 1;
    if (acked_out && s_write_acked (acked_out, agents, n_keys) != 0)
        rc = 2;
out:
    for (size_t i = 0; i < opened; i++)
        s_agent_close (&agents[i]);
    for (size_t i = 0; i < w.n; i++)
        zsock_destroy (&w.subs[i]);
    free (w.subs);
    free (w.seen.v);
    free (agents);
    free (items);
    free (acks.v);
    return rc;
}

/* ------------------------------------------------------------ ports */

static int
s_free_ports (int n)
{
    int fds[64];
    if (n < 1 || n > 64)
        return 2;
    for (int i = 0; i < n; i++) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        socklen_t len = sizeof sa;
        fds[i] = socket (AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0
        ||  bind (fds[i], (struct sockaddr *) &sa, sizeof sa) != 0
        ||  getsockname (fds[i], (struct sockaddr *) &sa, &len) != 0) {
            perror ("jad-bench: free-ports");
            return 2;
        }
        printf ("%d\n", ntohs (sa.sin_port));
    }
    for (int i = 0; i < n; i++)
        close (fds[i]);
    return 0;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-bench latency --hub EP --feed EP --hub-key F --key F --watch-key F\n"
"                         [--rate 2000] [--duration 10]\n"
"       jad-bench flood --hub EP --hub-key F [--feed EP --watch-key F]\n"
"                       [--window 1000] [--duration 10] [--count N [--presign]]\n"
"                       [--watchers N] [--rate R] [--drain S] [--acked-out FILE]\n"
"                       KEY...\n"
"       jad-bench free-ports N\n");
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "hub", required_argument, NULL, 'e' },
        { "feed", required_argument, NULL, 'f' },
        { "hub-key", required_argument, NULL, 'K' },
        { "key", required_argument, NULL, 'k' },
        { "watch-key", required_argument, NULL, 'w' },
        { "rate", required_argument, NULL, 'r' },
        { "duration", required_argument, NULL, 'd' },
        { "window", required_argument, NULL, 'W' },
        { "count", required_argument, NULL, 'n' },
        { "presign", no_argument, NULL, 'P' },
        { "watchers", required_argument, NULL, 'N' },
        { "drain", required_argument, NULL, 'D' },
        { "acked-out", required_argument, NULL, 'A' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *hub = NULL, *feed = NULL, *hub_key = NULL, *key = NULL;
    const char *watch_key = NULL, *acked_out = NULL;
    double rate = 2000, duration = 10, drain = S_DRAIN_MS / 1000.0;
    int rate_given = 0;
    long watchers = 0;
    uint64_t window = 1000, count = 0;
    int c, presign = 0;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e': hub = optarg; break;
        case 'f': feed = optarg; break;
        case 'K': hub_key = optarg; break;
        case 'k': key = optarg; break;
        case 'w': watch_key = optarg; break;
        case 'r': rate = atof (optarg); rate_given = 1; break;
        case 'N': watchers = atol (optarg); break;
        case 'D': drain = atof (optarg); break;
        case 'A': acked_out = optarg; break;
        case 'd': duration = atof (optarg); break;
        case 'W': window = strtoull (optarg, NULL, 10); break;
        case 'n': count = strtoull (optarg, NULL, 10); break;
        case 'P': presign = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind >= argc) {
        s_usage (stderr);
        return 2;
    }
    const char *cmd = argv[optind++];
    if (strcmp (cmd, "free-ports") == 0)
        return s_free_ports (optind < argc ? atoi (argv[optind]) : 1);
    int is_latency = strcmp (cmd, "latency") == 0;
    int is_flood = strcmp (cmd, "flood") == 0;
    if ((!is_latency && !is_flood) || !hub || !hub_key || rate <= 0
    ||  duration <= 0 || window < 1 || watchers < 0 || watchers > 255
    ||  drain < 0 || (watchers > 0 && (!feed || !watch_key))
    ||  (is_latency && (!feed || !key || !watch_key || optind != argc))
    ||  (is_flood && (optind == argc || argc - optind > S_MAX_AGENTS))) {
        s_usage (stderr);
        return 2;
    }
    if (sodium_init () < 0)
        return 2;
    zsys_init ();
    zsys_set_logstream (NULL);
    char err[512];
    s_hub_keys = jad_keys_load (hub_key, err, sizeof err);
    if (!s_hub_keys) {
        fprintf (stderr, "jad-bench: %s\n", err);
        return 2;
    }
    s_build_reports ();
    int rc = is_latency
        ? s_latency (hub, feed, key, watch_key, rate, duration)
        : s_flood (hub, feed, watch_key, argv + optind,
                   (size_t) (argc - optind), window, duration, count,
                   presign, (size_t) watchers, rate_given ? rate : 0,
                   drain, acked_out);
    for (size_t i = 0; i < S_N_REPORTS; i++)
        free (s_reports[i]);
    jad_keys_destroy (&s_hub_keys);
    return rc;
}
