/*  mqtt-bench: the "script around a broker" that bench/peer compares jadhub
 *  with: MQTT publishers and subscribers (libmosquitto, QoS 1) measuring
 *  what jad-bench flood measures on a hub.
 *
 *  mqtt-bench run --port P [--host 127.0.0.1] [--publishers 8]
 *                 [--subscribers 2] [--size 190] [--window 1000]
 *                 [--duration 10] [--rate R] [--quiet 3] [--drain 30]
 *      PUBLISHERS clients publish QoS 1 messages of SIZE bytes on
 *      "jad/bench/pN", each keeping at most WINDOW unconfirmed (no PUBACK
 *      yet), for DURATION seconds (at most RATE messages/s in all, paced on
 *      a 1 ms tick, when given).  SUBSCRIBERS clients with persistent
 *      sessions (clean_session = false, client ids "mqtt-bench-sub-N")
 *      subscribe to "jad/bench/#" at QoS 1.  Every payload carries its
 *      publisher, sequence number and send time, so each delivery is
 *      matched: prints messages/s confirmed, messages/s delivered to every
 *      subscriber (first send -> last such delivery), publish->delivered
 *      latency over every (message, subscriber) pair, and "lost": messages
 *      the broker had confirmed (PUBACK) that some subscriber never got.
 *      A publisher that loses its connection stops (what it had confirmed
 *      stays counted); a subscriber that loses it reconnects every 100 ms
 *      with its persistent session, so a broker killed and restarted
 *      mid-run (bench/peer/run.sh) hands over what it kept.  The run ends
 *      when the publishers are done and every subscriber is connected and
 *      has everything confirmed, or has received nothing new for QUIET
 *      seconds, or DRAIN seconds after the publishers are done.
 *      --offline N: the last N subscribers (sessions made by `prepare`)
 *      stay disconnected while the publishers publish and connect when
 *      they are done: an agent on a link that is down.
 *
 *  mqtt-bench prepare --port P [--subscribers 2]
 *      Connects the subscribers' persistent sessions, subscribes and
 *      disconnects, so that a broker stopped gracefully afterwards has
 *      them on disk (as a long-running deployment would).
 *
 *  One thread, one poll loop over every client (libmosquitto's external
 *  loop), like jad-bench.  Not a project dependency: bench/peer/run.sh
 *  builds it when libmosquitto-dev is there.
 *
 *  exit: 0 every confirmed message reached every subscriber; 1 some did
 *        not (lost or dropped); 2 usage or setup error.
 */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#define S_MAX_CLIENTS  256
#define S_MAGIC        0x4a414442u      /* "JADB" */
#define S_HEADER       22               /* magic 4, publisher 2, seq 8, time 8 */
#define S_TOPIC        "jad/bench/#"
#define S_MAX_SEQ      (1u << 28)       /* per publisher, a sanity bound */

/* One MQTT client: a publisher or a subscriber. */
typedef struct {
    struct mosquitto *mosq;
    int       index;            /* publisher or subscriber number */
    int       is_pub;
    int       connected;        /* CONNACK received, not yet disconnected */
    int       gone;             /* publisher: lost its connection, stopped */
    int       reconnects;       /* subscriber: times it came back */
    int       session_present;  /* subscriber: broker kept its session */
    int64_t   next_try_us;      /* subscriber: next reconnect attempt */
    /* publisher */
    uint64_t  next_seq;         /* next sequence number, from 1 */
    uint64_t  inflight;         /* published, not yet confirmed */
    uint64_t  confirmed;        /* PUBACKs received */
    uint64_t *mid_seq;          /* message id -> sequence number */
    /* subscriber */
    uint64_t  received;         /* deliveries, duplicates included */
    uint64_t  duplicates;       /* deliveries of a message it had */
} s_client_t;

/* Per publisher and sequence number: bit 0 confirmed, and per subscriber
 * whether it got the message; grown as sequence numbers grow. */
typedef struct {
    uint8_t  *confirmed;        /* by seq */
    uint8_t **got;              /* [subscriber][seq] */
    uint8_t  *got_n;            /* subscribers that got it, by seq */
    size_t    cap;
} s_track_t;

static s_client_t  s_pubs[S_MAX_CLIENTS], s_subs[S_MAX_CLIENTS];
static s_track_t   s_track[S_MAX_CLIENTS];
static int         s_n_pubs = 8, s_n_subs = 2;
static int         s_n_offline;         /* the last N subscribers: offline while publishing */
static const char *s_host = "127.0.0.1";
static int         s_port;
static size_t      s_size = 190;
static uint8_t    *s_payload;
static int64_t    *s_lat;               /* latency samples, us */
static size_t      s_lat_n, s_lat_cap;
static uint64_t    s_delivered;         /* messages every subscriber got */
static int64_t     s_last_delivery_us;
static int64_t     s_last_receive_us;  /* last delivery or (re)connection */
static int         s_ctl_fd = -1;       /* subscriber side: the publishers' results */
static int         s_ctl_ready;         /* ... are there to read */

static int64_t
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
s_put64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t) v;
}

static uint64_t
s_get64 (const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

/* Make room for sequence number SEQ of publisher P. */
static void
s_track_grow (int p, uint64_t seq)
{
    s_track_t *t = &s_track[p];
    if (seq < t->cap)
        return;
    size_t cap = t->cap ? t->cap : 65536;
    while (cap <= seq)
        cap *= 2;
    t->confirmed = realloc (t->confirmed, cap);
    t->got_n = realloc (t->got_n, cap);
    assert (t->confirmed && t->got_n);
    memset (t->confirmed + t->cap, 0, cap - t->cap);
    memset (t->got_n + t->cap, 0, cap - t->cap);
    if (!t->got)
        t->got = calloc ((size_t) s_n_subs, sizeof *t->got);
    assert (t->got);
    for (int s = 0; s < s_n_subs; s++) {
        t->got[s] = realloc (t->got[s], cap);
        assert (t->got[s]);
        memset (t->got[s] + t->cap, 0, cap - t->cap);
    }
    t->cap = cap;
}

static void
s_on_connect (struct mosquitto *mosq, void *obj, int rc, int flags)
{
    s_client_t *c = obj;
    if (rc != 0) {
        fprintf (stderr, "mqtt-bench: %s %d: connection refused (%d)\n",
                 c->is_pub ? "publisher" : "subscriber", c->index, rc);
        return;
    }
    c->connected = 1;
    s_last_receive_us = s_now_us ();    /* "quiet" counts from here too */
    if (!c->is_pub) {
        c->session_present = flags & 1;
        mosquitto_subscribe (mosq, NULL, S_TOPIC, 1);
    }
}

static void
s_on_disconnect (struct mosquitto *mosq, void *obj, int rc)
{
    (void) mosq;
    (void) rc;
    s_client_t *c = obj;
    c->connected = 0;
    if (c->is_pub)
        c->gone = 1;
    else
        c->next_try_us = s_now_us () + 100000;
}

static void
s_on_publish (struct mosquitto *mosq, void *obj, int mid)
{
    (void) mosq;
    s_client_t *c = obj;
    uint64_t seq = c->mid_seq[(uint16_t) mid];
    if (seq && !s_track[c->index].confirmed[seq]) {
        s_track[c->index].confirmed[seq] = 1;
        c->confirmed++;
        c->inflight--;
    }
}

static void
s_on_message (struct mosquitto *mosq, void *obj,
              const struct mosquitto_message *msg)
{
    (void) mosq;
    s_client_t *c = obj;
    int64_t now = s_now_us ();
    const uint8_t *p = msg->payload;
    c->received++;
    s_last_receive_us = now;
    if (msg->payloadlen < S_HEADER || s_get64 (p) >> 32 != S_MAGIC)
        return;
    int pub = p[4] << 8 | p[5];
    uint64_t seq = s_get64 (p + 6);
    int64_t sent = (int64_t) s_get64 (p + 14);
    if (pub >= s_n_pubs || seq == 0 || seq >= S_MAX_SEQ)
        return;
    s_track_grow (pub, seq);
    s_track_t *t = &s_track[pub];
    if (t->got[c->index][seq]) {
        c->duplicates++;
        return;
    }
    t->got[c->index][seq] = 1;
    if (s_lat_n == s_lat_cap) {
        s_lat_cap = s_lat_cap ? s_lat_cap * 2 : 1 << 20;
        s_lat = realloc (s_lat, s_lat_cap * sizeof *s_lat);
        assert (s_lat);
    }
    s_lat[s_lat_n++] = now - sent;
    if (++t->got_n[seq] == s_n_subs) {
        s_delivered++;
        s_last_delivery_us = now;
    }
}

/* A client with its callbacks; subscribers keep a persistent session. */
static int
s_client_open (s_client_t *c, int is_pub, int index)
{
    char id[64];
    memset (c, 0, sizeof *c);
    c->is_pub = is_pub;
    c->index = index;
    snprintf (id, sizeof id, "mqtt-bench-%s-%d", is_pub ? "pub" : "sub", index);
    c->mosq = mosquitto_new (id, is_pub, c);
    if (!c->mosq)
        return -1;
    mosquitto_connect_with_flags_callback_set (c->mosq, s_on_connect);
    mosquitto_disconnect_callback_set (c->mosq, s_on_disconnect);
    if (is_pub) {
        mosquitto_publish_callback_set (c->mosq, s_on_publish);
        /* Our own window decides; libmosquitto's (20) would queue inside. */
        mosquitto_max_inflight_messages_set (c->mosq, 0);
        c->mid_seq = calloc (65536, sizeof *c->mid_seq);
        assert (c->mid_seq);
        c->next_seq = 1;
    }
    else
        mosquitto_message_callback_set (c->mosq, s_on_message);
    int rc = mosquitto_connect (c->mosq, s_host, s_port, 30);
    if (rc != MOSQ_ERR_SUCCESS) {
        if (!is_pub)        /* s_turn retries: the broker may be restarting */
            return -1;
        fprintf (stderr, "mqtt-bench: cannot connect to %s:%d: %s\n", s_host,
                 s_port, mosquitto_strerror (rc));
        return -1;
    }
    return 0;
}

static void
s_client_close (s_client_t *c)
{
    if (c->mosq) {
        mosquitto_disconnect (c->mosq);
        mosquitto_destroy (c->mosq);
    }
    free (c->mid_seq);
    memset (c, 0, sizeof *c);
}

/* One turn of the loop over every client: poll up to TIMEOUT_MS, read,
 * write, keepalives, and reconnect subscribers that lost the broker. */
static void
s_turn (int timeout_ms)
{
    struct pollfd fds[2 * S_MAX_CLIENTS + 1];
    s_client_t *who[2 * S_MAX_CLIENTS];
    int n = 0;
    int64_t now = s_now_us ();
    for (int k = 0; k < s_n_pubs + s_n_subs; k++) {
        s_client_t *c = k < s_n_pubs ? &s_pubs[k] : &s_subs[k - s_n_pubs];
        if (!c->mosq || (c->is_pub && c->gone))
            continue;       /* the other process's side, or stopped */
        int fd = mosquitto_socket (c->mosq);
        if (fd < 0) {
            if (!c->is_pub && now >= c->next_try_us) {
                if (mosquitto_reconnect (c->mosq) == MOSQ_ERR_SUCCESS)
                    c->reconnects++;
                else
                    c->next_try_us = now + 100000;
            }
            continue;
        }
        fds[n] = (struct pollfd) { fd, POLLIN, 0 };
        if (mosquitto_want_write (c->mosq))
            fds[n].events |= POLLOUT;
        who[n++] = c;
    }
    if (s_ctl_fd >= 0)
        fds[n++] = (struct pollfd) { s_ctl_fd, POLLIN, 0 };
    poll (fds, (nfds_t) n, timeout_ms);
    if (s_ctl_fd >= 0 && fds[--n].revents)
        s_ctl_ready = 1;
    for (int i = 0; i < n; i++) {
        s_client_t *c = who[i];
        int rc = MOSQ_ERR_SUCCESS;
        /* libmosquitto reads one packet per call when it has nothing in
         * flight (a subscriber): read on while the socket has bytes, or a
         * subscriber would get one message per turn of this shared loop. */
        if (fds[i].revents & (POLLIN | POLLERR | POLLHUP)) {
            int waiting = 0, k = 0;
            do
                rc = mosquitto_loop_read (c->mosq, 1000);
            while (rc == MOSQ_ERR_SUCCESS && ++k < 10000
                && ioctl (fds[i].fd, FIONREAD, &waiting) == 0 && waiting > 0);
        }
        if (rc == MOSQ_ERR_SUCCESS && (fds[i].revents & POLLOUT))
            rc = mosquitto_loop_write (c->mosq, 1000);
        if (rc == MOSQ_ERR_SUCCESS)
            rc = mosquitto_loop_misc (c->mosq);
        if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN && c->connected) {
            /* libmosquitto closed the socket without a callback. */
            s_on_disconnect (c->mosq, c, rc);
        }
    }
}

/* Publish the next message of publisher C; 0 sent, -1 not. */
static int
s_publish (s_client_t *c)
{
    char topic[32];
    uint64_t seq = c->next_seq;
    s_track_grow (c->index, seq);
    s_put64 (s_payload, (uint64_t) S_MAGIC << 32);
    s_payload[4] = (uint8_t) (c->index >> 8);
    s_payload[5] = (uint8_t) c->index;
    s_put64 (s_payload + 6, seq);
    s_put64 (s_payload + 14, (uint64_t) s_now_us ());
    snprintf (topic, sizeof topic, "jad/bench/p%d", c->index);
    int mid;
    if (mosquitto_publish (c->mosq, &mid, topic, (int) s_size, s_payload, 1,
                           false) != MOSQ_ERR_SUCCESS)
        return -1;
    c->mid_seq[(uint16_t) mid] = seq;
    c->next_seq++;
    c->inflight++;
    return 0;
}

static int
s_cmp_i64 (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

static void
s_print_latency (void)
{
    if (s_lat_n == 0) {
        printf ("publish->delivered no samples\n");
        return;
    }
    qsort (s_lat, s_lat_n, sizeof *s_lat, s_cmp_i64);
    const double q[] = { 0.50, 0.90, 0.99, 0.999 };
    const char *qn[] = { "p50", "p90", "p99", "p99.9" };
    printf ("publish->delivered");
    for (size_t i = 0; i < 4; i++) {
        size_t k = (size_t) (q[i] * (double) (s_lat_n - 1) + 0.5);
        printf (" %s %.3f ms", qn[i], (double) s_lat[k] / 1000.0);
    }
    printf (" max %.3f ms (n=%zu)\n", (double) s_lat[s_lat_n - 1] / 1000.0, s_lat_n);
}

/* Wait until every subscriber (SUBS_ONLY) or every publisher is connected. */
static int
s_wait_connected (int subs_only, int64_t timeout_us)
{
    int64_t until = s_now_us () + timeout_us;
    while (s_now_us () < until) {
        int all = 1;
        for (int i = 0; subs_only && i < s_n_subs - s_n_offline; i++)
            all &= s_subs[i].connected;
        for (int i = 0; !subs_only && i < s_n_pubs; i++)
            all &= s_pubs[i].connected;
        if (all)
            return 0;
        s_turn (10);
    }
    fprintf (stderr, "mqtt-bench: clients not connected within %.0f s\n",
             (double) timeout_us / 1e6);
    return -1;
}

/* Read exactly LEN bytes from FD; 0 on success. */
static int
s_read_all (int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len; ) {
        ssize_t n = read (fd, (uint8_t *) buf + got, len - got);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            return -1;
        if (n > 0)
            got += (size_t) n;
    }
    return 0;
}

static int
s_write_all (int fd, const void *buf, size_t len)
{
    for (size_t put = 0; put < len; ) {
        ssize_t n = write (fd, (const uint8_t *) buf + put, len - put);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            return -1;
        if (n > 0)
            put += (size_t) n;
    }
    return 0;
}

/* The subscribers' process: connect them, say so on READY_FD, take in
 * deliveries until the publishers' results come on CTL_FD (start time,
 * end time, and per publisher its last sequence number and which were
 * confirmed), then until everything confirmed is there, or QUIET seconds
 * without a delivery, or DRAIN seconds; print what was delivered and
 * lost.  Returns the exit status. */
static int
s_subscriber_side (int ready_fd, int ctl_fd, double quiet, double drain)
{
    for (int i = 0; i < s_n_subs - s_n_offline; i++)
        if (s_client_open (&s_subs[i], 0, i) != 0)
            return 2;
    if (s_wait_connected (1, 5000000) != 0)
        return 2;
    /* Let the SUBACKs come back before the first publish. */
    for (int64_t until = s_now_us () + 200000; s_now_us () < until; )
        s_turn (10);
    if (s_write_all (ready_fd, "R", 1) != 0)
        return 2;
    close (ready_fd);

    s_ctl_fd = ctl_fd;
    int64_t start = 0, pub_done = 0;
    uint64_t confirmed = 0;
    while (1) {
        s_turn (50);
        int64_t now = s_now_us ();
        if (s_ctl_ready && !pub_done) {
            int64_t t[2];
            if (s_read_all (ctl_fd, t, sizeof t) != 0)
                return 2;
            start = t[0];
            pub_done = now;
            for (int p = 0; p < s_n_pubs; p++) {
                uint64_t next;
                if (s_read_all (ctl_fd, &next, sizeof next) != 0 || next > S_MAX_SEQ)
                    return 2;
                s_pubs[p].next_seq = next;
                s_track_grow (p, next);
                if (next > 1 && s_read_all (ctl_fd, s_track[p].confirmed + 1, next - 1) != 0)
                    return 2;
                for (uint64_t seq = 1; seq < next; seq++)
                    confirmed += s_track[p].confirmed[seq];
            }
            s_ctl_fd = -1;
            /* The offline subscribers come back now (to a broker that may
             * be down: then they retry every 100 ms). */
            for (int i = s_n_subs - s_n_offline; i < s_n_subs; i++)
                if (s_client_open (&s_subs[i], 0, i) != 0)
                    s_subs[i].next_try_us = now + 100000;
        }
        if (!pub_done)
            continue;
        int subs_up = 1;
        for (int i = 0; i < s_n_subs; i++)
            subs_up &= s_subs[i].connected;
        if (subs_up && s_delivered >= confirmed)
            break;
        if (subs_up && now - s_last_receive_us > (int64_t) (quiet * 1e6)
        &&  now - pub_done > (int64_t) (quiet * 1e6))
            break;
        if (now - pub_done > (int64_t) (drain * 1e6))
            break;
    }

    /* Lost: confirmed to a publisher, missing at some subscriber. */
    uint64_t lost_any = 0, lost_sub[S_MAX_CLIENTS] = { 0 };
    for (int p = 0; p < s_n_pubs; p++)
        for (uint64_t seq = 1; seq < s_pubs[p].next_seq; seq++) {
            if (!s_track[p].confirmed[seq])
                continue;
            int missing = 0;
            for (int s = 0; s < s_n_subs; s++)
                if (!s_track[p].got[s][seq]) {
                    lost_sub[s]++;
                    missing = 1;
                }
            lost_any += missing;
        }
    double dsecs = s_delivered ? (double) (s_last_delivery_us - start) / 1e6 : 0;
    printf ("delivered: %" PRIu64 " messages to every one of %d subscribers"
            " in %.2f s (%.0f messages/s delivered)\n", s_delivered, s_n_subs,
            dsecs, dsecs > 0 ? (double) s_delivered / dsecs : 0.0);
    printf ("sizes: payload %zu bytes, topic %zu bytes\n", s_size,
            strlen ("jad/bench/p0"));
    printf ("subscribers:");
    for (int s = 0; s < s_n_subs; s++)
        printf (" [%d: %" PRIu64 " received, %" PRIu64 " duplicates,"
                " %" PRIu64 " confirmed missing, %d reconnects, session %s]",
                s, s_subs[s].received, s_subs[s].duplicates, lost_sub[s],
                s_subs[s].reconnects,
                s_subs[s].reconnects ? (s_subs[s].session_present ? "kept" : "lost")
                                     : "-");
    printf ("\n");
    printf ("lost: %" PRIu64 " of %" PRIu64 " confirmed messages never reached"
            " every subscriber (%.2f %%)\n", lost_any, confirmed,
            confirmed ? 100.0 * (double) lost_any / (double) confirmed : 0.0);
    s_print_latency ();
    fflush (stdout);
    return lost_any ? 1 : 0;
}

/* The publishers (this process) and the subscribers (a child process, so
 * that neither side's loop holds up the other's acknowledgements, as on
 * separate machines). */
static int
s_run (uint64_t window, double duration, double rate, double quiet,
       double drain)
{
    int ready[2], ctl[2];
    if (pipe (ready) != 0 || pipe (ctl) != 0) {
        perror ("mqtt-bench: pipe");
        return 2;
    }
    fflush (stdout);
    pid_t child = fork ();
    if (child < 0) {
        perror ("mqtt-bench: fork");
        return 2;
    }
    if (child == 0) {
        close (ready[0]);
        close (ctl[1]);
        int rc = s_subscriber_side (ready[1], ctl[0], quiet, drain);
        fflush (stdout);
        _exit (rc);
    }
    close (ready[1]);
    close (ctl[0]);
    int rc = 2;
    char r;
    if (s_read_all (ready[0], &r, 1) != 0) {
        fprintf (stderr, "mqtt-bench: the subscribers did not start\n");
        goto out;
    }
    for (int i = 0; i < s_n_pubs; i++)
        if (s_client_open (&s_pubs[i], 1, i) != 0)
            goto out;
    if (s_wait_connected (0, 5000000) != 0)
        goto out;

    int64_t start = s_now_us ();
    int64_t end = start + (int64_t) (duration * 1e6);
    int64_t last_confirm = start;
    uint64_t sent = 0, confirmed = 0;
    while (1) {
        int64_t now = s_now_us ();
        int sending = now < end;
        uint64_t due = rate > 0 ? (uint64_t) ((double) (now - start) * rate / 1e6) + 1
                                : UINT64_MAX;
        for (int progress = sending; progress; ) {
            progress = 0;
            for (int i = 0; i < s_n_pubs; i++) {
                s_client_t *c = &s_pubs[i];
                if (c->gone || !c->connected || c->inflight >= window || sent >= due)
                    continue;
                if (s_publish (c) != 0)
                    continue;
                sent++;
                progress = 1;
            }
        }
        uint64_t was = confirmed;
        int pubs_left = 0;
        sent = confirmed = 0;
        for (int i = 0; i < s_n_pubs; i++) {
            sent += s_pubs[i].next_seq - 1;
            confirmed += s_pubs[i].confirmed;
            if (!s_pubs[i].gone && (sending || s_pubs[i].inflight))
                pubs_left++;
        }
        if (confirmed > was)
            last_confirm = now;
        if (!pubs_left)
            break;
        if (!sending && now > end + (int64_t) (drain * 1e6))
            break;
        s_turn (sending ? (rate > 0 ? 1 : 10) : 50);
    }
    double csecs = (double) (last_confirm - start) / 1e6;
    int gone = 0;
    for (int i = 0; i < s_n_pubs; i++)
        gone += s_pubs[i].gone;
    printf ("publish: %d publishers, window %" PRIu64 ", %.1f s max: %" PRIu64
            " sent, %" PRIu64 " confirmed (PUBACK) in %.2f s (%.0f messages/s"
            " confirmed), %d lost the broker\n", s_n_pubs, window, duration,
            sent, confirmed, csecs, csecs > 0 ? (double) confirmed / csecs : 0.0,
            gone);
    fflush (stdout);
    int64_t t[2] = { start, s_now_us () };
    if (s_write_all (ctl[1], t, sizeof t) != 0)
        goto out;
    for (int p = 0; p < s_n_pubs; p++) {
        uint64_t next = s_pubs[p].next_seq;
        if (s_write_all (ctl[1], &next, sizeof next) != 0
        ||  (next > 1 && s_write_all (ctl[1], s_track[p].confirmed + 1, next - 1) != 0))
            goto out;
    }
    rc = 0;
out:
    close (ctl[1]);
    close (ready[0]);
    int status;
    if (waitpid (child, &status, 0) != child || !WIFEXITED (status))
        return 2;
    return rc == 0 ? WEXITSTATUS (status) : rc;
}

static int
s_prepare (void)
{
    s_n_offline = 0;        /* every session, offline ones included */
    for (int i = 0; i < s_n_subs; i++)
        if (s_client_open (&s_subs[i], 0, i) != 0)
            return 2;
    if (s_wait_connected (1, 5000000) != 0)
        return 2;
    for (int64_t until = s_now_us () + 300000; s_now_us () < until; )
        s_turn (10);
    return 0;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: mqtt-bench run --port P [--host H] [--publishers 8] [--subscribers 2]\n"
"                      [--size 190] [--window 1000] [--duration 10] [--rate R]\n"
"                      [--quiet 3] [--drain 30] [--offline N]\n"
"       mqtt-bench prepare --port P [--host H] [--subscribers 2]\n"
"\n"
"QoS 1 publishers and persistent-session subscribers on an MQTT broker:\n"
"messages/s confirmed and delivered to every subscriber, publish->delivered\n"
"latency, and confirmed messages that never reached a subscriber.\n"
"exit: 0 nothing lost; 1 confirmed messages lost; 2 usage or setup error\n");
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", required_argument, NULL, 'H' },
        { "port", required_argument, NULL, 'p' },
        { "publishers", required_argument, NULL, 'P' },
        { "subscribers", required_argument, NULL, 'S' },
        { "size", required_argument, NULL, 's' },
        { "window", required_argument, NULL, 'W' },
        { "duration", required_argument, NULL, 'd' },
        { "rate", required_argument, NULL, 'r' },
        { "quiet", required_argument, NULL, 'q' },
        { "drain", required_argument, NULL, 'D' },
        { "offline", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    uint64_t window = 1000;
    double duration = 10, rate = 0, quiet = 3, drain = 30;
    int c;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'H': s_host = optarg; break;
        case 'p': s_port = atoi (optarg); break;
        case 'P': s_n_pubs = atoi (optarg); break;
        case 'S': s_n_subs = atoi (optarg); break;
        case 's': s_size = strtoul (optarg, NULL, 10); break;
        case 'W': window = strtoull (optarg, NULL, 10); break;
        case 'd': duration = atof (optarg); break;
        case 'r': rate = atof (optarg); break;
        case 'q': quiet = atof (optarg); break;
        case 'D': drain = atof (optarg); break;
        case 'o': s_n_offline = atoi (optarg); break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc - 1 || s_port <= 0 || s_port > 65535
    ||  s_n_pubs < 1 || s_n_pubs > S_MAX_CLIENTS || s_n_subs < 1
    ||  s_n_subs > 250 || s_size < S_HEADER || s_size > 1 << 20
    ||  window < 1 || window > 60000 || duration <= 0 || rate < 0
    ||  quiet <= 0 || drain < 0 || s_n_offline < 0 || s_n_offline >= s_n_subs) {
        s_usage (stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    int is_run = strcmp (cmd, "run") == 0;
    if (!is_run && strcmp (cmd, "prepare") != 0) {
        s_usage (stderr);
        return 2;
    }
    signal (SIGPIPE, SIG_IGN);      /* a dead peer process is an error, not a kill */
    mosquitto_lib_init ();
    s_payload = malloc (s_size);
    assert (s_payload);
    for (size_t i = 0; i < s_size; i++)     /* not compressible, not zero */
        s_payload[i] = (uint8_t) (i * 151 + 7);
    int rc = is_run ? s_run (window, duration, rate, quiet, drain) : s_prepare ();
    for (int i = 0; i < s_n_pubs; i++)
        s_client_close (&s_pubs[i]);
    for (int i = 0; i < s_n_subs; i++)
        s_client_close (&s_subs[i]);
    for (int p = 0; p < S_MAX_CLIENTS; p++) {
        free (s_track[p].confirmed);
        free (s_track[p].got_n);
        for (int s = 0; s_track[p].got && s < s_n_subs; s++)
            free (s_track[p].got[s]);
        free (s_track[p].got);
    }
    free (s_lat);
    free (s_payload);
    mosquitto_lib_cleanup ();
    return rc;
}
