/* Unit tests: agent/window.c — the agent's reports in flight, on simulated
 * time: the window's bound, the first wait, RTT samples as RFC 6298 computes
 * them (and none from a resent report: Karn), the fast resend of a report
 * a later answer shows lost (also when both were sent in the same
 * millisecond), timeouts doubling a report's wait up to 30 s (RFC 6298
 * 5.5: the wait after a timeout is the doubled one) and the backed-off wait
 * carried by new reports until a sample, reset after a reconnect (a fresh
 * wait, not a backed-off one), UNAVAILABLE, next_due's order, forget, and
 * the table's compaction over thousands of sends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "../../agent/window.h"

/* ------------------------------------------------------------ helpers */

static jad_window_t *
s_new (void)
{
    jad_window_t *w = jad_window_new ();
    assert_non_null (w);
    return w;
}

/* The report due first at NOW from FROM on, or 0 when none. */
static uint64_t
s_due (const jad_window_t *w, uint64_t from, int64_t now)
{
    uint64_t seq = 0xdeadbeef;
    if (!jad_window_next_due (w, from, now, &seq)) {
        assert_int_equal (seq, 0xdeadbeef);     /* left alone */
        return 0;
    }
    assert_true (seq != 0);
    return seq;
}

/* SEQ becomes due exactly at DUE: not at DUE - 1. */
static void
s_expect_due_at (const jad_window_t *w, uint64_t seq, int64_t due)
{
    assert_true (s_due (w, seq, due - 1) != seq);
    assert_int_equal (s_due (w, seq, due), seq);
}

/* ------------------------------------------------------------ tests */

static void
test_max (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_inflight (w), 0);
    assert_int_equal (jad_window_room (w), JAD_WINDOW_MAX);
    for (uint64_t seq = 1; seq <= JAD_WINDOW_MAX; seq++) {
        assert_int_equal (jad_window_sent (w, seq, 0), 0);
        assert_int_equal (jad_window_inflight (w), seq);
        assert_int_equal (jad_window_room (w), JAD_WINDOW_MAX - seq);
    }
    /* Full: refused, nothing changes. */
    assert_int_equal (jad_window_sent (w, JAD_WINDOW_MAX + 1, 0), -1);
    assert_int_equal (jad_window_inflight (w), JAD_WINDOW_MAX);
    assert_int_equal (jad_window_room (w), 0);
    /* One answered: room for one. */
    assert_int_equal (jad_window_answered (w, 1, 10), 1);
    assert_int_equal (jad_window_room (w), 1);
    assert_int_equal (jad_window_sent (w, JAD_WINDOW_MAX + 1, 10), 0);
    assert_int_equal (jad_window_room (w), 0);
    assert_int_equal (jad_window_sent (w, JAD_WINDOW_MAX + 2, 10), -1);
    jad_window_destroy (&w);
    assert_null (w);
    jad_window_destroy (&w);            /* safe on NULL */
    jad_window_destroy (NULL);
}

static void
test_order_misuse (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_sent (w, 5, 0), 0);
    /* Not above every earlier one: refused. */
    assert_int_equal (jad_window_sent (w, 5, 0), -1);
    assert_int_equal (jad_window_sent (w, 4, 0), -1);
    assert_int_equal (jad_window_inflight (w), 1);
    assert_int_equal (jad_window_sent (w, 9, 0), 0);      /* gaps are fine */
    assert_int_equal (jad_window_inflight (w), 2);
    jad_window_destroy (&w);
}

static void
test_first_rto (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_rto (w), JAD_WINDOW_RTO_MIN);
    assert_int_equal (jad_window_srtt (w), 0);
    assert_int_equal (jad_window_sent (w, 1, 1000), 0);
    assert_int_equal (s_due (w, 0, 1000), 0);
    s_expect_due_at (w, 1, 1000 + 2000);
    jad_window_destroy (&w);
}

static void
test_rtt_samples (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();

    /* First sample R: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR. */
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_answered (w, 1, 1000), 1);
    assert_int_equal (jad_window_srtt (w), 1000);
    assert_int_equal (jad_window_rto (w), 1000 + 4 * 500);
    assert_int_equal (jad_window_inflight (w), 0);

    /* Then RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'| (with the old SRTT),
     * SRTT = 7/8 SRTT + 1/8 R': R' = 400 -> RTTVAR 525, SRTT 925. */
    assert_int_equal (jad_window_sent (w, 2, 5000), 0);
    assert_int_equal (jad_window_answered (w, 2, 5400), 1);
    assert_int_equal (jad_window_srtt (w), 925);
    assert_int_equal (jad_window_rto (w), 925 + 4 * 525);

    /* A new report waits that long. */
    assert_int_equal (jad_window_sent (w, 3, 6000), 0);
    s_expect_due_at (w, 3, 6000 + 3025);

    /* R' = 3025 - ... : one more, R' = 2925: RTTVAR = (3*525 + 2000)/4 =
     * 893, SRTT = (7*925 + 2925)/8 = 1175. */
    assert_int_equal (jad_window_answered (w, 3, 6000 + 2925), 1);
    assert_int_equal (jad_window_srtt (w), 1175);
    assert_int_equal (jad_window_rto (w), 1175 + 4 * 893);

    /* An answer for a report not in flight changes nothing. */
    assert_int_equal (jad_window_answered (w, 3, 20000), 0);
    assert_int_equal (jad_window_answered (w, 77, 20000), 0);
    assert_int_equal (jad_window_srtt (w), 1175);
    jad_window_destroy (&w);

    /* Short round trips: the wait never goes under 2 s. */
    w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_answered (w, 1, 100), 1);
    assert_int_equal (jad_window_srtt (w), 100);
    assert_int_equal (jad_window_rto (w), JAD_WINDOW_RTO_MIN);
    /* An answer within the same millisecond still counts as a sample. */
    assert_int_equal (jad_window_sent (w, 2, 200), 0);
    assert_int_equal (jad_window_answered (w, 2, 200), 1);
    assert_true (jad_window_srtt (w) > 0);
    assert_int_equal (jad_window_srtt (w), (7 * 100 + 0) / 8);
    jad_window_destroy (&w);

    /* Long ones: never over 30 s. */
    w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_answered (w, 1, 20000), 1);
    assert_int_equal (jad_window_srtt (w), 20000);
    assert_int_equal (jad_window_rto (w), JAD_WINDOW_RTO_MAX);
    assert_int_equal (jad_window_sent (w, 2, 20000), 0);
    s_expect_due_at (w, 2, 20000 + 30000);
    jad_window_destroy (&w);

    /* A first sample of 0 ms still marks the estimate as taken. */
    w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 50), 0);
    assert_int_equal (jad_window_answered (w, 1, 50), 1);
    assert_true (jad_window_srtt (w) > 0);
    assert_int_equal (jad_window_rto (w), JAD_WINDOW_RTO_MIN);
    jad_window_destroy (&w);
}

/* Karn: an answer to a report sent more than once is no sample. */
static void
test_karn (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (s_due (w, 0, 2000), 1);
    jad_window_resent (w, 1, 2000);
    assert_int_equal (jad_window_answered (w, 1, 2100), 1);
    assert_int_equal (jad_window_srtt (w), 0);        /* no sample */
    assert_int_equal (jad_window_inflight (w), 0);
    /* The backed-off wait stays until a report sent once is answered. */
    assert_int_equal (jad_window_rto (w), 4000);
    assert_int_equal (jad_window_sent (w, 2, 3000), 0);
    s_expect_due_at (w, 2, 3000 + 4000);
    assert_int_equal (jad_window_answered (w, 2, 3600), 1);
    assert_int_equal (jad_window_srtt (w), 600);
    assert_int_equal (jad_window_rto (w), JAD_WINDOW_RTO_MIN);

    /* A sample from a report sent once is taken even when an earlier one
     * had to be resent. */
    assert_int_equal (jad_window_sent (w, 3, 10000), 0);
    assert_int_equal (jad_window_sent (w, 4, 10000), 0);
    jad_window_resent (w, 3, 12000);        /* timed out */
    assert_int_equal (jad_window_answered (w, 3, 12500), 1);
    assert_int_equal (jad_window_srtt (w), 600);      /* 3: resent, none */
    assert_int_equal (jad_window_answered (w, 4, 12600), 1);
    /* 4: sent once, 2600 ms: RTTVAR (3*300 + 2000)/4 = 725, SRTT
     * (7*600 + 2600)/8 = 850. */
    assert_int_equal (jad_window_srtt (w), 850);
    assert_int_equal (jad_window_rto (w), 850 + 4 * 725);
    jad_window_destroy (&w);
}

/* A timeout doubles that report's wait, up to 30 s; until a report sent
 * once is answered, new reports start from the backed-off wait. */
static void
test_timeout_backoff (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    /* 2 s, then 4, 8, 16, 30, 30 after each timeout. */
    const int64_t waits[] = { 4000, 8000, 16000, 30000, 30000 };
    int64_t due = 2000;
    s_expect_due_at (w, 1, due);
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
        jad_window_resent (w, 1, due);
        assert_int_equal (jad_window_rto (w), waits[i]);
        due += waits[i];
        s_expect_due_at (w, 1, due);
    }
    /* A new report starts from the backed-off wait. */
    assert_int_equal (jad_window_sent (w, 2, due + 10), 0);
    s_expect_due_at (w, 2, due + 10 + 30000);
    /* Its answer is a sample: the wait is measured again. */
    assert_int_equal (jad_window_answered (w, 2, due + 510), 1);
    assert_int_equal (jad_window_srtt (w), 500);
    assert_int_equal (jad_window_rto (w), JAD_WINDOW_RTO_MIN);
    assert_int_equal (s_due (w, 0, due + 510), 1);      /* its timer ran out */
    assert_int_equal (jad_window_sent (w, 3, due + 600), 0);
    s_expect_due_at (w, 3, due + 600 + 2000);
    jad_window_destroy (&w);
}

/* An answer to a later report shows the earlier unanswered ones lost:
 * due at once, resent without backing off. */
static void
test_fast_resend (void **state)
{
    (void) state;
    /* Sent at different times, and all in the same millisecond (as the
     * agent sends a batch). */
    for (int same_ms = 0; same_ms < 2; same_ms++) {
        jad_window_t *w = s_new ();
        for (uint64_t seq = 1; seq <= 4; seq++)
            assert_int_equal (jad_window_sent (w, seq, same_ms ? 0
                                               : (int64_t) seq * 10), 0);
        assert_int_equal (s_due (w, 0, 500), 0);
        assert_int_equal (jad_window_answered (w, 3, 500), 1);
        /* 1 and 2 due now, in order; 3 closed; 4 not due. */
        assert_int_equal (s_due (w, 0, 500), 1);
        assert_int_equal (s_due (w, 2, 500), 2);
        assert_int_equal (s_due (w, 3, 500), 0);
        assert_int_equal (jad_window_inflight (w), 3);
        /* Resent: the same wait (the measured one), no backing off. */
        int64_t rto = jad_window_rto (w);
        jad_window_resent (w, 1, 500);
        jad_window_resent (w, 2, 500);
        assert_int_equal (jad_window_rto (w), rto);
        assert_int_equal (s_due (w, 0, 500), 0);
        s_expect_due_at (w, 1, 500 + 2000);
        s_expect_due_at (w, 2, 500 + 2000);
        /* If those resends time out, that is a timeout: doubled. */
        jad_window_resent (w, 1, 2500);
        s_expect_due_at (w, 1, 2500 + 4000);
        jad_window_destroy (&w);
    }

    /* An earlier report resent after the answered one was sent is not
     * shown lost by its answer: its resend is behind. */
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_sent (w, 2, 100), 0);
    jad_window_resent (w, 1, 2000);
    assert_int_equal (jad_window_answered (w, 2, 2050), 1);
    assert_int_equal (s_due (w, 0, 2050), 0);
    s_expect_due_at (w, 1, 2000 + 4000);
    jad_window_destroy (&w);

    /* Nor is one resent in the same millisecond, after the answered
     * one's first send. */
    w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_sent (w, 2, 2000), 0);
    jad_window_resent (w, 1, 2000);         /* after 2, same ms */
    assert_int_equal (jad_window_answered (w, 2, 2300), 1);
    assert_int_equal (s_due (w, 0, 2300), 0);
    jad_window_destroy (&w);
}

/* The hub heard again after a silence: everything due now, with a fresh
 * wait — a reconnect is no timeout. */
static void
test_reset (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_sent (w, 2, 100), 0);
    assert_int_equal (jad_window_sent (w, 3, 200), 0);
    assert_int_equal (s_due (w, 0, 1000), 0);
    jad_window_reset (w, 1000);
    assert_int_equal (s_due (w, 0, 1000), 1);
    assert_int_equal (s_due (w, 2, 1000), 2);
    assert_int_equal (s_due (w, 3, 1000), 3);
    for (uint64_t seq = 1; seq <= 3; seq++)
        jad_window_resent (w, seq, 1000);
    assert_int_equal (s_due (w, 0, 2999), 0);
    assert_int_equal (s_due (w, 0, 3000), 1);
    /* New reports are not backed off by it. */
    assert_int_equal (jad_window_rto (w), JAD_WINDOW_RTO_MIN);
    assert_int_equal (jad_window_sent (w, 4, 1500), 0);
    s_expect_due_at (w, 4, 1500 + 2000);
    /* The answers to reports resent by the reset are no samples. */
    assert_int_equal (jad_window_answered (w, 1, 1200), 1);
    assert_int_equal (jad_window_srtt (w), 0);
    jad_window_destroy (&w);

    /* A report backed off by timeouts gets a fresh wait. */
    w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_answered (w, 1, 1000), 1);  /* RTO 3000 */
    assert_int_equal (jad_window_sent (w, 2, 1000), 0);
    jad_window_resent (w, 2, 4000);
    jad_window_resent (w, 2, 10000);        /* wait 12000 now */
    s_expect_due_at (w, 2, 22000);
    jad_window_reset (w, 11000);
    assert_int_equal (s_due (w, 0, 11000), 2);
    jad_window_resent (w, 2, 11000);
    /* The wait a report sent now would get: 12 s, backed off (no sample
     * since the timeouts). */
    assert_int_equal (jad_window_rto (w), 12000);
    s_expect_due_at (w, 2, 11000 + 12000);
    jad_window_destroy (&w);

    /* Empty: nothing due. */
    w = s_new ();
    jad_window_reset (w, 5);
    assert_int_equal (s_due (w, 0, 5), 0);
    jad_window_destroy (&w);
}

/* UNAVAILABLE ("retry later"): that report waits twice as long before it
 * is sent again — like a timeout, once. */
static void
test_unavailable (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_sent (w, 2, 0), 0);
    jad_window_unavailable (w, 1, 300);
    assert_int_equal (jad_window_inflight (w), 2);  /* still in flight */
    s_expect_due_at (w, 1, 300 + 4000);
    jad_window_resent (w, 1, 4300);
    s_expect_due_at (w, 1, 4300 + 4000);            /* not doubled again */
    jad_window_unavailable (w, 1, 4400);
    s_expect_due_at (w, 1, 4400 + 8000);
    jad_window_resent (w, 1, 12400);
    s_expect_due_at (w, 1, 12400 + 8000);
    /* Then a timeout of that resend: doubled. */
    jad_window_resent (w, 1, 20400);
    s_expect_due_at (w, 1, 20400 + 16000);
    /* The hub's trouble says nothing of the link: 2 is untouched. */
    assert_int_equal (s_due (w, 2, 1999), 0);
    assert_int_equal (s_due (w, 2, 2000), 2);
    /* For a report not in flight: nothing. */
    jad_window_unavailable (w, 9, 100);
    assert_int_equal (jad_window_inflight (w), 2);
    s_expect_due_at (w, 1, 20400 + 16000);
    jad_window_destroy (&w);

    /* A later answer does not cut an UNAVAILABLE wait short: that
     * report was answered, not lost. */
    w = s_new ();
    assert_int_equal (jad_window_sent (w, 3, 40000), 0);
    assert_int_equal (jad_window_sent (w, 4, 40000), 0);
    jad_window_unavailable (w, 3, 40100);
    assert_int_equal (jad_window_answered (w, 4, 40200), 1);
    s_expect_due_at (w, 3, 40100 + 4000);
    jad_window_unavailable (w, 4, 40300);   /* answered: nothing */
    assert_int_equal (jad_window_inflight (w), 1);
    jad_window_destroy (&w);
}

static void
test_next_due_order (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    for (uint64_t seq = 10; seq <= 100; seq += 10)
        assert_int_equal (jad_window_sent (w, seq, (int64_t) seq), 0);
    /* Due in origin_seq order, whatever the times. */
    assert_int_equal (s_due (w, 0, 2009), 0);
    assert_int_equal (s_due (w, 0, 2010), 10);
    assert_int_equal (s_due (w, 0, 2050), 10);
    assert_int_equal (s_due (w, 11, 2050), 20);
    assert_int_equal (s_due (w, 41, 2050), 50);
    assert_int_equal (s_due (w, 51, 2050), 0);
    jad_window_reset (w, 3000);
    /* A caller walking every due report: seq, seq + 1, ... */
    uint64_t seq = 0, seen[16];
    size_t n = 0;
    while (jad_window_next_due (w, seq, 3000, &seq)) {
        assert_true (n < 16);
        seen[n++] = seq;
        jad_window_resent (w, seq, 3000);
        seq++;
    }
    assert_int_equal (n, 10);
    for (size_t i = 0; i < n; i++)
        assert_int_equal (seen[i], 10 * (i + 1));
    assert_int_equal (s_due (w, 0, 3000), 0);
    /* Answered ones are skipped. */
    jad_window_reset (w, 4000);
    assert_int_equal (jad_window_answered (w, 10, 4000), 1);
    jad_window_forget (w, 20);
    assert_int_equal (s_due (w, 0, 4000), 30);
    assert_int_equal (s_due (w, 101, 4000), 0);
    jad_window_destroy (&w);
}

static void
test_forget (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    assert_int_equal (jad_window_sent (w, 1, 0), 0);
    assert_int_equal (jad_window_sent (w, 2, 0), 0);
    assert_int_equal (jad_window_sent (w, 3, 0), 0);
    jad_window_forget (w, 2);
    assert_int_equal (jad_window_inflight (w), 2);
    assert_int_equal (jad_window_room (w), JAD_WINDOW_MAX - 2);
    assert_int_equal (jad_window_answered (w, 2, 100), 0);   /* closed */
    jad_window_forget (w, 2);                                 /* twice */
    jad_window_forget (w, 99);                                /* unknown */
    assert_int_equal (jad_window_inflight (w), 2);
    /* No sample, no fast resend of 1. */
    jad_window_forget (w, 3);
    assert_int_equal (jad_window_srtt (w), 0);
    assert_int_equal (s_due (w, 0, 1999), 0);
    assert_int_equal (s_due (w, 0, 2000), 1);
    jad_window_forget (w, 1);
    assert_int_equal (jad_window_inflight (w), 0);
    assert_int_equal (s_due (w, 0, 100000), 0);
    /* Empty again: any seq may start it. */
    assert_int_equal (jad_window_sent (w, 4, 200), 0);
    assert_int_equal (jad_window_inflight (w), 1);
    jad_window_destroy (&w);
}

/* 5,000 sends with answers interleaved and every 7th report left
 * unanswered until the end, so the table fills past 2 * MAX + 16 again
 * and again and is compacted under a window that never empties. */
static void
test_compaction (void **state)
{
    (void) state;
    jad_window_t *w = s_new ();
    const uint64_t n = 5000;
    char *open = calloc (n + 1, 1);
    assert_non_null (open);
    size_t inflight = 0;
    int64_t now = 0;
    for (uint64_t seq = 1; seq <= n; seq++) {
        now += 3;
        assert_int_equal (jad_window_sent (w, seq, now), 0);
        open[seq] = 1;
        inflight++;
        /* Answer the one sent 20 ago unless it is a 7th; forget every
         * 11th of those instead. */
        if (seq > 20 && (seq - 20) % 7 != 0) {
            uint64_t a = seq - 20;
            if (a % 11 == 0)
                jad_window_forget (w, a);
            else
                assert_int_equal (jad_window_answered (w, a, now), 1);
            open[a] = 0;
            inflight--;
        }
        assert_int_equal (jad_window_inflight (w), inflight);
        assert_int_equal (jad_window_room (w), JAD_WINDOW_MAX - inflight);
    }
    /* Open: the multiples of 7 up to 4980 (711) and the last 20. */
    assert_int_equal (inflight, 711 + 20);
    /* Every report still open is due after a reset, in order, and only
     * those. */
    jad_window_reset (w, now);
    uint64_t seq = 0, expect = 1;
    size_t seen = 0;
    while (jad_window_next_due (w, seq, now, &seq)) {
        while (expect <= n && !open[expect])
            expect++;
        assert_int_equal (seq, expect);
        seen++;
        expect++;
        seq++;
    }
    assert_int_equal (seen, inflight);
    /* Answer them all, out of order; the window empties. */
    for (uint64_t s = n; s >= 1; s--)
        if (open[s])
            assert_int_equal (jad_window_answered (w, s, now + 1), 1);
    assert_int_equal (jad_window_inflight (w), 0);
    assert_int_equal (jad_window_room (w), JAD_WINDOW_MAX);
    assert_int_equal (s_due (w, 0, now + 100000), 0);
    free (open);
    jad_window_destroy (&w);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_max),
        cmocka_unit_test (test_order_misuse),
        cmocka_unit_test (test_first_rto),
        cmocka_unit_test (test_rtt_samples),
        cmocka_unit_test (test_karn),
        cmocka_unit_test (test_timeout_backoff),
        cmocka_unit_test (test_fast_resend),
        cmocka_unit_test (test_reset),
        cmocka_unit_test (test_unavailable),
        cmocka_unit_test (test_next_due_order),
        cmocka_unit_test (test_forget),
        cmocka_unit_test (test_compaction),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
