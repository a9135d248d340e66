/*  jad-replay: play a journal again, as JSON Lines or as a hub's feed.
 *
 *  Entries come out in hub order, each as its report in the intake format
 *  (with `country` and `time`) plus hub_seq, origin, origin_seq and
 *  received.  Filters select by country, type, event time and sequence;
 *  --speed paces by event time; --follow keeps reading as the hub writes.
 *
 *  --publish serves the same entries through the hub's own feed server
 *  (lib/feed_server.c): the same ZAP admission, welcome, heartbeats
 *  (head_seq = how far the replay has played), Frame{entry} with the
 *  journal's bytes untouched, and the recorded rosters and checkpoints as
 *  they fall due.  --listen adds the collector for heartbeats and catch-up
 *  up to that point, so an agent or a console can mirror a past operation
 *  as if it were live.  A replay journals nothing: a submit is refused
 *  UNAVAILABLE.
 *
 *  Reads the journal read-only in chunks of short read transactions;
 *  entries are decoded inside one and paced and printed outside it, so a
 *  slow reader or a long --speed wait pins nothing.  Memory: one chunk.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>
#include <sodium.h>

#include "jad/config.h"
#include "jad/entry.h"
#include "jad/feed_server.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/report.h"
#include "jad/report_json.h"
#include "jad/roster.h"
#include "jad/timefmt.h"

#define S_CHUNK        1024     /* entries decoded per read transaction */
#define S_POLL_MS       200     /* --follow: how often to look at the head */
#define S_MAX_FILTER     64     /* countries or types in one filter */

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

typedef struct {
    /* options */
    const char *dir;
    char        countries[S_MAX_FILTER][3];   /* --country; none = all */
    size_t      n_countries;
    int         types[S_MAX_FILTER];          /* --type, body cases */
    size_t      n_types;
    int64_t     from_ms, to_ms;               /* --from, --to (inclusive) */
    int         has_from, has_to;
    uint64_t    after_seq;                    /* --after-seq */
    double      speed;                        /* --speed; 0 = no pacing */
    int         follow;                       /* --follow */
    const char *publish;                      /* --publish ENDPOINT */
    const char *listen;                       /* --listen ENDPOINT */
    const char *key_file;                     /* --key */
    const char *roster_file;                  /* --roster */
    int         quiet;                        /* --quiet: no JSON Lines */
    /* state */
    jad_entry_reader_t *reader;
    jad_journal_meta_t  meta;
    uint64_t    played;         /* last hub_seq looked at (shown or not) */
    uint64_t    shown;          /* entries printed or published */
    uint64_t    bad;            /* entries that did not decode */
    int         progress;       /* stderr is a terminal */
    jad_time_pace_t pace;       /* --speed */
    /* the feed (--publish) */
    jad_keys_t *keys;
    jad_roster_t *roster;       /* whose keys are admitted */
    jad_feed_server_t *feed;
} s_replay_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-replay --data DIR [--country CC[,CC...]] [--type T[,T...]]\n"
"                  [--from TIME] [--to TIME] [--after-seq N] [--speed X]\n"
"                  [--follow] [--quiet]\n"
"                  [--publish ENDPOINT --key FILE [--roster FILE]\n"
"                   [--listen ENDPOINT]] [--config FILE] [--check]\n"
"\n"
"Prints the entries of the journal in DIR (a hub's data directory or an\n"
"agent's) in hub order, one JSON line each: the report in the intake format\n"
"(with country and time) plus hub_seq, origin, origin_seq, received.\n"
"  --country, --type  only these (repeatable, or comma-separated)\n"
"  --from, --to       only event times in [FROM, TO] (RFC 3339)\n"
"  --after-seq N      start after hub_seq N\n"
"  --speed X          pace by event time, X times real time (3600: an\n"
"                     operation hour per second); default: no pacing\n"
"  --follow           at the end, wait for the entries the hub writes next\n"
"  --publish EP       also serve them as a hub's feed (CURVE XPUB) on EP,\n"
"                     with the server key --key FILE (a .secret; the hub's\n"
"                     own, so subscribers need no new key) admitting the\n"
"                     participants of --roster FILE (default: the roster\n"
"                     recorded in the journal).  Playing starts when the\n"
"                     first subscriber arrives; at the end the feed stays\n"
"                     up (heartbeats) until SIGINT/SIGTERM.\n"
"  --listen EP        with --publish: answer heartbeats and catch-up\n"
"                     requests on EP, up to the entry played so far\n"
"  --quiet            print no JSON lines (with --publish)\n"
"  --config FILE      settings as 'key = value' lines, a key being one of\n"
"                     these options' names; the command line wins (a\n"
"                     --country or --type there replaces the file's list)\n"
"  --check            check the options, that the journal opens and, with\n"
"                     --publish, the endpoints, key and roster; binds\n"
"                     nothing and exits\n"
"Corrections are shown as they are (type correction), not applied.\n"
"\n"
"exit: 0 done (--check: valid); 1 some entries did not decode (named on\n"
"stderr; --check: invalid); 2 usage or I/O error\n");
}

/* ------------------------------------------------------------ options */

/* Add the comma-separated items of ARG to the --country or --type list.
 * 0, or -1 with ERR. */
static int
s_parse_list (s_replay_t *self, const char *arg, int countries,
              char *err, size_t errlen)
{
    char buf[1024];
    snprintf (buf, sizeof buf, "%s", arg);
    char *save = NULL;
    for (char *item = strtok_r (buf, ",", &save); item;
         item = strtok_r (NULL, ",", &save)) {
        if (countries) {
            if (!jad_report_country_valid (item)) {
                snprintf (err, errlen, "--country: \"%s\" is not two "
                          "upper-case letters", item);
                return -1;
            }
            if (self->n_countries == S_MAX_FILTER)
                goto full;
            memcpy (self->countries[self->n_countries++], item, 3);
        }
        else {
            int type = jad_report_enum_parse (JAD_REPORT_ENUM_TYPE, item);
            if (type < 0) {
                snprintf (err, errlen, "--type: unknown report type \"%s\"",
                          item);
                return -1;
            }
            if (self->n_types == S_MAX_FILTER)
                goto full;
            self->types[self->n_types++] = type;
        }
    }
    return 0;
full:
    snprintf (err, errlen, "--%s: at most %d items in a filter",
              countries ? "country" : "type", S_MAX_FILTER);
    return -1;
}

static int
s_wanted (const s_replay_t *self, const jad_entry_t *e)
{
    if (self->n_countries) {
        size_t i;
        for (i = 0; i < self->n_countries; i++)
            if (strcmp (self->countries[i], e->country) == 0)
                break;
        if (i == self->n_countries)
            return 0;
    }
    if (self->n_types) {
        size_t i;
        for (i = 0; i < self->n_types; i++)
            if (self->types[i] == (int) e->report->body_case)
                break;
        if (i == self->n_types)
            return 0;
    }
    if (self->has_from && e->event_time_ms < self->from_ms)
        return 0;
    if (self->has_to && e->event_time_ms > self->to_ms)
        return 0;
    return 1;
}

/* ------------------------------------------------------------ the feed */

/* The feed's identity, for the run and for --check alike: the server's
 * key (a .secret) and the roster whose keys are admitted (--roster FILE,
 * else the last one the journal records), which must be the journal's
 * operation's.  0, or -1 with ERR naming the option. */
static int
s_feed_identity (s_replay_t *self, char *err, size_t errlen)
{
    char why[512];
    self->keys = jad_keys_load (self->key_file, why, sizeof why);
    if (!self->keys) {
        snprintf (err, errlen, "--key: %s", why);
        return -1;
    }
    if (!jad_keys_has_secret (self->keys)) {
        snprintf (err, errlen, "--key: %s: a server needs a .secret key file",
                  self->key_file);
        return -1;
    }
    if (self->roster_file) {
        self->roster = jad_roster_load (self->roster_file, why, sizeof why);
        if (!self->roster) {
            snprintf (err, errlen, "--roster: %s", why);
            return -1;
        }
    }
    else {
        const char *text = jad_entry_reader_roster_text (self->reader);
        if (!text) {
            snprintf (err, errlen, "--data: %s: the journal records no "
                      "roster: pass --roster FILE", self->dir);
            return -1;
        }
        self->roster = jad_roster_parse (text, strlen (text), "recorded roster",
                                         why, sizeof why);
        if (!self->roster) {
            snprintf (err, errlen, "--data: %s", why);
            return -1;
        }
    }
    if (self->meta.has
    &&  memcmp (jad_roster_id (self->roster), self->meta.id, JAD_ID_BYTES) != 0) {
        snprintf (err, errlen, "%s: the roster is another operation's than the "
                  "journal's", self->roster_file ? "--roster" : "--data");
        return -1;
    }
    return 0;
}

/* Start the feed server on the journal, at the entry played so far. */
static int
s_feed_start (s_replay_t *self, char *err, size_t errlen)
{
    jad_feed_server_config_t fc = {
        .keys = self->keys, .publish = self->publish, .listen = self->listen,
        .journal = jad_entry_reader_journal (self->reader),
        .operation_id = self->meta.id, .epoch = self->meta.epoch,
        .head = self->played,
        .no_submit_reason = "this is a replay of a past operation: it "
                            "journals nothing"
    };
    self->feed = jad_feed_server_new (&fc, self->roster, err, errlen);
    return self->feed ? 0 : -1;
}

static void
s_feed_stop (s_replay_t *self)
{
    jad_feed_server_destroy (&self->feed);
    jad_roster_destroy (&self->roster);
    jad_keys_destroy (&self->keys);
}

/* Serve the feed for up to WAIT_MS: subscriptions, requests, heartbeats.
 * Returns early when told to stop. */
static void
s_feed_serve (s_replay_t *self, int64_t wait_ms)
{
    int64_t deadline = jad_time_mono_ms () + wait_ms;
    do {
        int64_t left = deadline - jad_time_mono_ms ();
        jad_feed_server_poll (self->feed, left > 0 ? (int) left : 0);
        jad_feed_server_serve (self->feed);
    } while (!s_stop && jad_time_mono_ms () < deadline);
}

/* Publish entry E's journal bytes on the feed. */
static void
s_feed_entry (s_replay_t *self, const jad_entry_t *e)
{
    /* The stored bytes, exactly as the hub published them: protobuf
     * encoding is not canonical, and the next entry's prev_hash is over
     * these bytes. */
    size_t len;
    uint8_t *stored = NULL;
    if (jad_journal_get (jad_entry_reader_journal (self->reader), e->hub_seq,
                         &stored, &len) == 1)
        jad_feed_server_publish_entry (self->feed, e->hub_seq, stored, len);
    else
        jad_feed_server_set_head (self->feed, e->hub_seq);
    free (stored);
}

/* ------------------------------------------------------------ playing */

/* Wait until entry E is due: event times scaled by --speed from the first
 * entry shown.  Entries out of event order are shown at once. */
static void
s_pace (s_replay_t *self, const jad_entry_t *e)
{
    if (self->speed <= 0)
        return;
    self->pace.speed = self->speed;
    int64_t now = jad_time_mono_ms ();
    int64_t due = now + jad_time_pace (&self->pace, e->event_time_ms, now);
    fflush (stdout);
    for (; now < due && !s_stop; now = jad_time_mono_ms ()) {
        if (self->feed)
            s_feed_serve (self, due - now);
        else
            zclock_sleep ((int) (due - now < 100 ? due - now : 100));
    }
}

static void
s_show (s_replay_t *self, jad_entry_t *e)
{
    self->played = e->hub_seq;
    int wanted = e->report && s_wanted (self, e);
    if (!e->report) {
        fprintf (stderr, "jad-replay: entry %" PRIu64 ": %s\n", e->hub_seq,
                 e->error);
        self->bad++;
    }
    if (!wanted) {
        /* Not shown, but played: the feed's head moves past it. */
        if (self->feed)
            jad_feed_server_set_head (self->feed, e->hub_seq);
        return;
    }
    s_pace (self, e);
    if (s_stop)
        return;
    if (self->feed)
        s_feed_entry (self, e);
    self->shown++;
    if (self->quiet)
        return;
    char *line = jad_entry_json (e, 1);
    if (!line) {
        fprintf (stderr, "jad-replay: entry %" PRIu64 ": report does not "
                 "format\n", e->hub_seq);
        self->bad++;
        return;
    }
    puts (line);
    free (line);
    if (self->follow || self->speed > 0 || self->feed)
        fflush (stdout);        /* someone is watching */
}

/* Play from after --after-seq to the head, and on with --follow. */
static int
s_play (s_replay_t *self)
{
    jad_journal_t *journal = jad_entry_reader_journal (self->reader);
    jad_entry_t *chunk = calloc (S_CHUNK, sizeof *chunk);
    uint64_t head = 0, seq = self->after_seq + 1;
    int64_t t0 = jad_time_mono_ms (), shown_at = 0;
    int rc = -1;
    if (!chunk || jad_journal_head (journal, &head) != 0)
        goto out;
    while (!s_stop) {
        long n = jad_entry_reader_read (self->reader, seq, chunk, S_CHUNK);
        if (n < 0)
            goto out;
        for (long i = 0; i < n; i++) {
            if (!s_stop)
                s_show (self, &chunk[i]);
            jad_entry_clear (&chunk[i]);
        }
        if (n > 0) {
            seq = self->played + 1;
            int64_t now = jad_time_mono_ms ();
            if (self->progress && !self->follow && now - t0 >= 1000
            &&  now - shown_at >= 200 && head) {
                shown_at = now;
                fprintf (stderr, "\rreplaying %" PRIu64 "/%" PRIu64 " (%d%%)",
                         self->played, head,
                         (int) ((self->played > head ? head : self->played)
                                * 100 / head));
            }
            if (self->feed)
                s_feed_serve (self, 0);
            continue;
        }
        if (shown_at) {
            fprintf (stderr, "\r%50s\r", "");
            shown_at = 0;
        }
        if (!self->follow)
            break;
        /* At the head: wait for the hub to write more.  New rosters may
         * come with them (countries of new participants). */
        fflush (stdout);
        if (self->feed)
            s_feed_serve (self, S_POLL_MS);
        else
            zclock_sleep (S_POLL_MS);
        if (jad_entry_reader_refresh (self->reader) != 0)
            goto out;
    }
    rc = 0;
out:
    free (chunk);
    return rc;
}

/* How many words at FIRST of the expanded vector (ARGC words) came from
 * --config FILE: jad_config_expand puts the file's words there, before
 * the command line's own (ARGC0 words, less "--config FILE" or
 * "--config=FILE").  0 without --config. */
static int
s_file_words (int argc0, char **argv0, int argc, int first)
{
    for (int i = first; i < argc0 && strcmp (argv0[i], "--") != 0; i++) {
        if (strcmp (argv0[i], "--config") == 0)
            return argc - argc0 + 2;
        if (strncmp (argv0[i], "--config=", 9) == 0)
            return argc - argc0 + 1;
    }
    return 0;
}

/* What a replay needs before it plays, for the run and for --check alike:
 * the journal open and its metadata read; with --publish, well-formed
 * endpoints and the feed's key and roster.  0, or -1 with ERR. */
static int
s_prepare (s_replay_t *self, char *err, size_t errlen)
{
    char why[512];
    self->reader = jad_entry_reader_new (self->dir, why, sizeof why);
    if (!self->reader) {
        snprintf (err, errlen, "--data: %s", why);
        return -1;
    }
    if (jad_journal_meta_get (jad_entry_reader_journal (self->reader),
                              &self->meta) != 0) {
        snprintf (err, errlen, "--data: %s: cannot read the journal", self->dir);
        return -1;
    }
    if (!self->publish)
        return 0;
    if (jad_config_check_endpoint ("publish", self->publish, err, errlen) != 0
    ||  (self->listen
         && jad_config_check_endpoint ("listen", self->listen, err, errlen) != 0))
        return -1;
    return s_feed_identity (self, err, errlen);
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "country", required_argument, NULL, 'c' },
        { "type", required_argument, NULL, 't' },
        { "from", required_argument, NULL, 'F' },
        { "to", required_argument, NULL, 'T' },
        { "after-seq", required_argument, NULL, 'a' },
        { "speed", required_argument, NULL, 's' },
        { "follow", no_argument, NULL, 'f' },
        { "publish", required_argument, NULL, 'p' },
        { "listen", required_argument, NULL, 'l' },
        { "key", required_argument, NULL, 'k' },
        { "roster", required_argument, NULL, 'r' },
        { "quiet", no_argument, NULL, 'q' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    static s_replay_t replay;
    s_replay_t *self = &replay;
    int c, rc = 2, check = 0;
    int from_cmdline[2] = { 0, 0 };     /* --type, --country seen there */
    char err[1024] = "", *end;
    int argc0 = argc;
    char **argv0 = argv;
    int config_rc = jad_config_apply ("jad-replay", &argc, &argv, 1, opts, NULL);
    if (config_rc != 0)
        return config_rc;
    int file_end = 1 + s_file_words (argc0, argv0, argc, 1);
    /* A bad value is kept in ERR (the first one) until the options are all
     * read: under --check it makes the configuration invalid. */
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': self->dir = optarg; break;
        case 'c':
        case 't':
            /* A list on the command line replaces the file's. */
            if (optind > file_end && !from_cmdline[c == 'c']) {
                from_cmdline[c == 'c'] = 1;
                *(c == 'c' ? &self->n_countries : &self->n_types) = 0;
            }
            if (!err[0])
                s_parse_list (self, optarg, c == 'c', err, sizeof err);
            break;
        case 'F':
        case 'T':
            if (jad_time_parse (optarg, c == 'F' ? &self->from_ms
                                                 : &self->to_ms) != 0 && !err[0])
                snprintf (err, sizeof err, "--%s: \"%s\" is not an RFC 3339 "
                          "time", c == 'F' ? "from" : "to", optarg);
            *(c == 'F' ? &self->has_from : &self->has_to) = 1;
            break;
        case 'a':
            errno = 0;
            self->after_seq = strtoull (optarg, &end, 10);
            if ((errno || *end || !*optarg || *optarg == '-') && !err[0])
                snprintf (err, sizeof err, "--after-seq: \"%s\" is not a "
                          "sequence number", optarg);
            break;
        case 's':
            self->speed = strtod (optarg, &end);
            if ((*end || !(self->speed > 0) || self->speed > 1e12) && !err[0])
                snprintf (err, sizeof err, "--speed: \"%s\" is not a "
                          "positive number", optarg);
            break;
        case 'f': self->follow = 1; break;
        case 'p': self->publish = optarg; break;
        case 'l': self->listen = optarg; break;
        case 'k': self->key_file = optarg; break;
        case 'r': self->roster_file = optarg; break;
        case 'q': self->quiet = 1; break;
        case 'C': check = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc || !self->dir) {
        fprintf (stderr, "jad-replay: --data DIR is required (--help)\n");
        return 2;
    }
    if (self->publish && !self->key_file) {
        fprintf (stderr, "jad-replay: --publish needs --key FILE\n");
        return 2;
    }
    if (!self->publish && (self->listen || self->key_file || self->roster_file)) {
        fprintf (stderr, "jad-replay: --listen, --key and --roster go with "
                 "--publish\n");
        return 2;
    }
    if (sodium_init () < 0)
        return 2;
    if (err[0] || s_prepare (self, err, sizeof err) != 0) {
        fprintf (stderr, check ? "jad-replay: configuration invalid: %s\n"
                               : "jad-replay: %s\n", err);
        rc = check ? 1 : 2;
        goto out;
    }
    if (check) {
        printf ("jad-replay: configuration valid\n");
        rc = 0;
        goto out;
    }
    /* Our own handlers: czmq's would only set a flag we do not read. */
    zsys_handler_set (NULL);
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    self->progress = isatty (STDERR_FILENO);
    /* Played so far: nothing after --after-seq (the head, if it is past). */
    uint64_t head = 0;
    if (jad_journal_head (jad_entry_reader_journal (self->reader), &head) != 0) {
        fprintf (stderr, "jad-replay: %s: cannot read the journal\n", self->dir);
        goto out;
    }
    self->played = self->after_seq < head ? self->after_seq : head;
    if (self->publish) {
        zsys_init ();
        zsys_set_logstream (NULL);
        if (s_feed_start (self, err, sizeof err) != 0) {
            fprintf (stderr, "jad-replay: %s\n", err);
            goto out;
        }
        fprintf (stderr, "jad-replay: feed on %s; waiting for a subscriber\n",
                 self->publish);
        while (!s_stop && jad_feed_server_subscriptions (self->feed) == 0)
            s_feed_serve (self, 100);
    }
    if (s_play (self) != 0) {
        fprintf (stderr, "jad-replay: %s: cannot read the journal\n", self->dir);
        goto out;
    }
    fflush (stdout);
    if (self->feed && !s_stop) {
        fprintf (stderr, "jad-replay: played to %" PRIu64 " (%" PRIu64
                 " entries shown); serving until interrupted\n",
                 self->played, self->shown);
        while (!s_stop)
            s_feed_serve (self, 1000);
    }
    if (ferror (stdout)) {
        fprintf (stderr, "jad-replay: cannot write the output\n");
        goto out;
    }
    rc = self->bad ? 1 : 0;
out:
    s_feed_stop (self);
    jad_entry_reader_destroy (&self->reader);
    return rc;
}
