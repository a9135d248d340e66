/*  window: the agent's reports in flight.  See agent/window.h. */
#include "window.h"

#include <stdlib.h>

#define S_CAP  (2 * JAD_WINDOW_MAX + 16)

/* One report sent and not yet answered. */
typedef struct {
    uint64_t seq;               /* origin_seq */
    uint64_t order;             /* when it was last sent, in sends: what
                                   "sent earlier" means (a batch goes out
                                   within one millisecond) */
    int64_t  sent_at;           /* monotonic ms of the last send */
    int64_t  due;               /* monotonic ms of the next resend */
    int64_t  backoff;           /* its current wait */
    int      resent;            /* sent more than once: no RTT sample */
    int      fast;              /* its next resend is no timeout (a later
                                   answer showed it lost, a reconnect, or
                                   UNAVAILABLE already backed it off): the
                                   wait is not doubled */
    int      done;              /* answered */
} s_flight_t;

struct _jad_window_t {
    s_flight_t flight[S_CAP];   /* sorted by seq; [lo, hi) in use */
    size_t     lo, hi;
    size_t     inflight;        /* entries of [lo, hi) not done */
    uint64_t   sends;           /* sends so far (the last order given) */
    int64_t    srtt, rttvar;    /* RFC 6298; 0: no sample yet */
    int64_t    backed_off;      /* wait backed off since the last sample */
};

jad_window_t *
jad_window_new (void)
{
    return calloc (1, sizeof (jad_window_t));
}

void
jad_window_destroy (jad_window_t **self_p)
{
    if (self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

size_t
jad_window_inflight (const jad_window_t *self)
{
    return self->inflight;
}

size_t
jad_window_room (const jad_window_t *self)
{
    return self->inflight < JAD_WINDOW_MAX ? JAD_WINDOW_MAX - self->inflight : 0;
}

int64_t
jad_window_srtt (const jad_window_t *self)
{
    return self->srtt;
}

/* The first wait: the round trip as measured, never under the minimum.
 * Karn: while every report times out before its ack comes no sample is
 * taken (an ack of a resent report is ambiguous), so the wait stays backed
 * off until a report sent once is acked. */
int64_t
jad_window_rto (const jad_window_t *self)
{
    int64_t rto = self->srtt + 4 * self->rttvar;
    if (rto < self->backed_off)
        rto = self->backed_off;
    return rto < JAD_WINDOW_RTO_MIN ? JAD_WINDOW_RTO_MIN
         : rto > JAD_WINDOW_RTO_MAX ? JAD_WINDOW_RTO_MAX : rto;
}

static void
s_sample (jad_window_t *self, int64_t rtt)
{
    self->backed_off = 0;
    if (self->srtt == 0) {
        self->srtt = rtt > 0 ? rtt : 1;
        self->rttvar = rtt / 2;
        return;
    }
    int64_t diff = self->srtt > rtt ? self->srtt - rtt : rtt - self->srtt;
    self->rttvar = (3 * self->rttvar + diff) / 4;
    self->srtt = (7 * self->srtt + rtt) / 8;
    if (self->srtt == 0)
        self->srtt = 1;
}

static int64_t
s_double (int64_t wait)
{
    return wait * 2 > JAD_WINDOW_RTO_MAX ? JAD_WINDOW_RTO_MAX : wait * 2;
}

/* Index of SEQ in [lo, hi), or -1. */
static long
s_find (const jad_window_t *self, uint64_t seq)
{
    size_t lo = self->lo, hi = self->hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->flight[mid].seq == seq)
            return (long) mid;
        if (self->flight[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void
s_close (jad_window_t *self, long i)
{
    if (i < 0 || self->flight[i].done)
        return;
    self->flight[i].done = 1;
    self->inflight--;
    while (self->lo < self->hi && self->flight[self->lo].done)
        self->lo++;
    if (self->lo == self->hi)
        self->lo = self->hi = 0;
}

int
jad_window_sent (jad_window_t *self, uint64_t seq, int64_t now)
{
    if (self->inflight >= JAD_WINDOW_MAX
    ||  (self->hi > self->lo && self->flight[self->hi - 1].seq >= seq))
        return -1;
    if (self->hi == S_CAP) {
        /* Drop answered entries: at most a window's worth remain. */
        size_t n = 0;
        for (size_t i = self->lo; i < self->hi; i++)
            if (!self->flight[i].done)
                self->flight[n++] = self->flight[i];
        self->lo = 0;
        self->hi = n;
    }
    s_flight_t *f = &self->flight[self->hi++];
    f->seq = seq;
    f->order = ++self->sends;
    f->sent_at = now;
    f->backoff = jad_window_rto (self);
    f->due = now + f->backoff;
    f->resent = 0;
    f->fast = 0;
    f->done = 0;
    self->inflight++;
    return 0;
}

int
jad_window_answered (jad_window_t *self, uint64_t seq, int64_t now)
{
    long i = s_find (self, seq);
    if (i < 0 || self->flight[i].done)
        return 0;
    s_flight_t *answered = &self->flight[i];
    if (!answered->resent)
        s_sample (self, now - answered->sent_at);
    /* Sent before the answered one (by order, not by time: a batch is
     * sent within one millisecond) and not already being resent or
     * waiting out an UNAVAILABLE: lost. */
    for (long j = (long) self->lo; j < i; j++) {
        s_flight_t *f = &self->flight[j];
        if (!f->done && !f->fast && f->order < answered->order && f->due > now) {
            f->due = now;
            f->fast = 1;
        }
    }
    s_close (self, i);
    return 1;
}

void
jad_window_unavailable (jad_window_t *self, uint64_t seq, int64_t now)
{
    long i = s_find (self, seq);
    if (i < 0 || self->flight[i].done)
        return;
    /* Like a timeout: the wait doubles, and it is waited now; its resend
     * then does not double it again. */
    s_flight_t *f = &self->flight[i];
    f->backoff = s_double (f->backoff);
    f->due = now + f->backoff;
    f->fast = 1;
}

void
jad_window_forget (jad_window_t *self, uint64_t seq)
{
    s_close (self, s_find (self, seq));
}

void
jad_window_reset (jad_window_t *self, int64_t now)
{
    int64_t rto = jad_window_rto (self);
    /* A reconnect is no timeout: the resends wait RTO, undoubled. */
    for (size_t i = self->lo; i < self->hi; i++) {
        self->flight[i].due = now;
        self->flight[i].backoff = rto;
        self->flight[i].fast = 1;
    }
}

int
jad_window_next_due (const jad_window_t *self, uint64_t from, int64_t now,
                     uint64_t *seq_p)
{
    /* From the first entry at or past FROM (the table is sorted), so a
     * caller walking every due report costs one pass in all. */
    size_t lo = self->lo, hi = self->hi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->flight[mid].seq < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < self->hi; i++) {
        const s_flight_t *f = &self->flight[i];
        if (!f->done && f->due <= now) {
            *seq_p = f->seq;
            return 1;
        }
    }
    return 0;
}

void
jad_window_resent (jad_window_t *self, uint64_t seq, int64_t now)
{
    long i = s_find (self, seq);
    if (i < 0 || self->flight[i].done)
        return;
    s_flight_t *f = &self->flight[i];
    f->order = ++self->sends;
    f->sent_at = now;
    f->resent = 1;
    if (f->fast) {
        /* Loss seen from answers, a reconnect, UNAVAILABLE: no backing
         * off (RFC 6298 backs off on timeouts only). */
        f->fast = 0;
        f->due = now + f->backoff;
        return;
    }
    /* A timeout: the wait doubles, and this resend waits the doubled one
     * (RFC 6298 5.5, 5.6). */
    f->backoff = s_double (f->backoff);
    f->due = now + f->backoff;
    if (f->backoff > self->backed_off)
        self->backed_off = f->backoff;
}
