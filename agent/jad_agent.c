/*  jad-agent: a national command centre's link to the hub.
 *
 *    run     the daemon (agent/agent.c): sends the outbox, mirrors the feed
 *    submit  JSON Lines -> the outbox, durably, one result per line; works
 *            with the daemon and the hub down, several at once
 *    status  outbox, mirror and connection, as text or JSON
 *    inbox   the coordinators' requests to this country, and their state
 *    ack     acknowledge one, through the outbox
 *
 *  Exit status everywhere: 0 done; 1 some lines rejected (submit) or the
 *  daemon failed; 2 usage or I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <jansson.h>

#include "jad/config.h"
#include "jad/entry.h"
#include "jad/envelope.h"
#include "jad/journal.h"
#include "jad/lines.h"
#include "jad/log.h"
#include "jad/outbox.h"
#include "jad/report.h"
#include "jad/report_json.h"
#include "jad/statusfile.h"
#include "jad/timefmt.h"
#include "jad/wire.h"
#include "agent.h"

#define S_BATCH 1000    /* lines per durable commit in submit */

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-agent run    --data DIR --country CC --key FILE --hub-key FILE\n"
"                        --hub ENDPOINT --feed ENDPOINT [--log-level LEVEL]\n"
"       jad-agent submit --data DIR [--country CC] [FILE|-]\n"
"       jad-agent status --data DIR [--json]\n"
"       jad-agent inbox  --data DIR [--json]\n"
"       jad-agent ack    --data DIR SEQ [--text T]\n"
"\n"
"  run     the daemon: sends the outbox to the hub, mirrors the hub's feed\n"
"          into DIR/mirror, writes DIR/status.json every second\n"
"  submit  validate JSON Lines and store each valid report in the outbox\n"
"          durably; one result per line; works while the daemon is down\n"
"  status  outbox depth, last acked, rejected, mirror position and lag,\n"
"          connection state\n"
"  inbox   requests addressed to this country, with their ack state\n"
"  ack     acknowledge request SEQ (its hub_seq), through the outbox\n"
"\n"
"  jad-agent COMMAND --help  for a command's options; every command takes\n"
"  --config FILE (one file for all), and run takes --check\n"
"\n"
"exit: 0 done; 1 some lines rejected; 2 usage or I/O error\n");
}

static void
s_usage_run (FILE *out)
{
    fprintf (out,
"usage: jad-agent run --data DIR --country CC --key FILE --hub-key FILE\n"
"                     --hub ENDPOINT --feed ENDPOINT [--log-level LEVEL]\n"
"                     [--config FILE] [--check]\n"
"\n"
"  --data DIR        the agent's directory: outbox/, mirror/, status.json\n"
"  --country CC      this agent's country; must match the outbox's\n"
"  --key FILE        our key pair (NAME.secret); NAME is the report origin\n"
"  --hub-key FILE    the hub's public key (NAME.pub)\n"
"  --hub ENDPOINT    the hub's collector, e.g. tcp://127.0.0.1:7401\n"
"  --feed ENDPOINT   the hub's feed, e.g. tcp://127.0.0.1:7402\n"
"  --log-level L     error, warn, notice, info (default), debug\n"
"  --config FILE     settings as 'key = value' lines, keys being these\n"
"                    options' names; the command line wins.  Every command\n"
"                    takes --config and skips the keys of the others\n"
"  --check           check the configuration (country, endpoints, data\n"
"                    directory, key files, an existing outbox's country)\n"
"                    and exit: 0 valid, 1 invalid\n"
"\n"
"Stops cleanly on SIGTERM or SIGINT; ignores SIGHUP (restart to apply a new\n"
"configuration).  exit: 0 stopped; 1 failed; 2 usage\n"
"or startup error\n");
}

static void
s_usage_submit (FILE *out)
{
    fprintf (out,
"usage: jad-agent submit --data DIR [--country CC] [FILE|-]\n"
"\n"
"Reads JSON Lines (FILE, or standard input), validates each line and stores\n"
"each valid report in DIR's outbox before printing, per non-blank line:\n"
"  line N: accepted seq S\n"
"  line N: duplicate ref \"R\" (seq S)\n"
"  line N: rejected: FIELD: REASON\n"
"--country sets the outbox's country when it has none (it must match\n"
"otherwise); without it the outbox must exist with its country.\n"
"\n"
"exit: 0 all accepted (duplicates count); 1 some rejected; 2 usage or I/O\n");
}

static void
s_usage_status (FILE *out)
{
    fprintf (out,
"usage: jad-agent status --data DIR [--json]\n"
"\n"
"Shows the outbox (depth, last acked, rejected reports), the mirror's\n"
"position and lag behind the hub, and whether the daemon runs and hears\n"
"the hub.  --json prints one object with outbox_depth, last_acked,\n"
"last_acked_hub_seq, rejected, mirror_seq, mirror_lag, connected,\n"
"daemon_running, hub_head, country, origin, checkpoint, alarm, stale,\n"
"written.\n"
"\n"
"The daemon's view (connected, hub head, lag) comes from DIR/status.json,\n"
"which it rewrites every second.  When its writer no longer runs, or has\n"
"not written it for 5 s, the file is stale: the text says so (\"stale:\n"
"written 3 min ago by a process that is no longer running\"), JSON has\n"
"\"stale\":true, \"connected\":false and \"mirror_lag\":null, and hub_head\n"
"is as of \"written\".\n"
"\n"
"exit: 0 done; 2 usage error or no agent data in DIR\n");
}

/* Every key of every command: one agent.conf serves them all, each command
 * taking the keys it knows and skipping the others'. */
static const char *const s_agent_keys[] = {
    "data", "country", "key", "hub-key", "hub", "feed", "log-level", "json",
    "text", NULL
};

/* --config FILE for command NAME with option table OPTS.  0, or the exit
 * status (1 under --check, else 2) after printing the reason. */
static int
s_config (const char *name, int *argc_p, char ***argv_p,
          const struct option *opts)
{
    char prog[64];
    snprintf (prog, sizeof prog, "jad-agent %s", name);
    return jad_config_apply (prog, argc_p, argv_p, 1, opts, s_agent_keys);
}

static char *
s_join (const char *dir, const char *name)
{
    size_t len = strlen (dir) + strlen (name) + 2;
    char *path = malloc (len);
    if (path)
        snprintf (path, len, "%s/%s", dir, name);
    return path;
}

/* ------------------------------------------------------------ run */

static int
s_run (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data",      required_argument, NULL, 'd' },
        { "country",   required_argument, NULL, 'c' },
        { "key",       required_argument, NULL, 'k' },
        { "hub-key",   required_argument, NULL, 'K' },
        { "hub",       required_argument, NULL, 'H' },
        { "feed",      required_argument, NULL, 'f' },
        { "log-level", required_argument, NULL, 'l' },
        { "check",     no_argument,       NULL, 'C' },
        { "help",      no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    jad_agent_config_t cfg = { 0 };
    int level = JAD_LOG_INFO, check = 0;
    int bad = s_config ("run", &argc, &argv, opts);
    if (bad)
        return bad;
    int c;
    while ((c = getopt_long (argc, argv, "d:c:k:K:H:f:l:h", opts, NULL)) != -1) {
        switch (c) {
            case 'd': cfg.data_dir = optarg; break;
            case 'c': cfg.country = optarg; break;
            case 'k': cfg.key_file = optarg; break;
            case 'K': cfg.hub_key_file = optarg; break;
            case 'H': cfg.hub_endpoint = optarg; break;
            case 'f': cfg.feed_endpoint = optarg; break;
            case 'C': check = 1; break;
            case 'l':
                level = jad_log_level_parse (optarg);
                if (level < 0) {
                    fprintf (stderr, "jad-agent: --log-level: unknown level '%s'\n",
                             optarg);
                    return 2;
                }
                break;
            case 'h': s_usage_run (stdout); return 0;
            default: s_usage_run (stderr); return 2;
        }
    }
    if (optind != argc || !cfg.data_dir || !cfg.country || !cfg.key_file
    ||  !cfg.hub_key_file || !cfg.hub_endpoint || !cfg.feed_endpoint) {
        fprintf (stderr, "jad-agent run: --data, --country, --key, --hub-key, "
                 "--hub and --feed are required\n");
        s_usage_run (stderr);
        return 2;
    }
    char err[512] = "";
    if (check) {
        if (jad_agent_check (&cfg, err, sizeof err) != 0) {
            fprintf (stderr, "jad-agent run: configuration invalid: %s\n", err);
            return 1;
        }
        printf ("jad-agent run: configuration valid\n");
        return 0;
    }
    jad_log_init ("agent", (jad_log_level_t) level);
    /* The agent reads its configuration once: SIGHUP (`systemctl reload`,
     * a closed terminal) must not stop it with reports in flight. */
    signal (SIGHUP, SIG_IGN);
    jad_agent_t *agent = jad_agent_new (&cfg, err, sizeof err);
    if (!agent) {
        jad_log_error ("cannot start: %s", err);
        return 2;
    }
    int rc = jad_agent_run (agent);
    jad_agent_destroy (&agent);
    return rc == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ submit */

/* One input line of a batch and what became of it. */
typedef struct {
    size_t lineno;
    int    item;                /* index into items, or -1 when rejected */
    char  *reason;              /* rejection text, malloc'd */
} s_line_t;

typedef struct {
    jad_outbox_t *outbox;
    s_line_t lines[S_BATCH];
    size_t n_lines;
    jad_outbox_item_t items[S_BATCH];
    uint8_t *bufs[S_BATCH];     /* packed reports of items */
    char *refs[S_BATCH];        /* refs of items, or NULL */
    size_t n_items;
    int rejected;               /* some line was rejected */
} s_submit_t;

/* Print REF quoted, with quotes, backslashes and control bytes escaped so
 * that a line of output stays one line. */
static void
s_print_ref (const char *ref)
{
    putchar ('"');
    for (const unsigned char *p = (const unsigned char *) ref; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf ("\\%c", *p);
        else
        if (*p < 0x20 || *p == 0x7f)
            printf ("\\x%02x", *p);
        else
            putchar (*p);
    }
    putchar ('"');
}

static void
s_batch_clear (s_submit_t *s)
{
    for (size_t i = 0; i < s->n_lines; i++)
        free (s->lines[i].reason);
    for (size_t i = 0; i < s->n_items; i++) {
        free (s->bufs[i]);
        free (s->refs[i]);
    }
    s->n_lines = 0;
    s->n_items = 0;
}

/* Commit the batch, then print its results in input order.  0, or -1
 * when nothing of it was stored (then nothing of it is printed). */
static int
s_batch_flush (s_submit_t *s)
{
    char err[512] = "";
    if (jad_outbox_submit_batch (s->outbox, s->items, s->n_items,
                                 err, sizeof err) != 0) {
        fprintf (stderr, "jad-agent submit: %s\n", err);
        s_batch_clear (s);
        return -1;
    }
    for (size_t i = 0; i < s->n_lines; i++) {
        s_line_t *l = &s->lines[i];
        if (l->item < 0) {
            printf ("line %zu: rejected: %s\n", l->lineno, l->reason);
            continue;
        }
        jad_outbox_item_t *item = &s->items[l->item];
        if (item->status == JAD_OUTBOX_DUPLICATE) {
            printf ("line %zu: duplicate ref ", l->lineno);
            s_print_ref (item->ref);
            printf (" (seq %" PRIu64 ")\n", item->origin_seq);
        }
        else
            printf ("line %zu: accepted seq %" PRIu64 "\n", l->lineno,
                    item->origin_seq);
    }
    fflush (stdout);
    s_batch_clear (s);
    return 0;
}

/* Validate one line into the batch. */
static int
s_batch_add (s_submit_t *s, const char *country, const char *line,
             size_t len, size_t lineno)
{
    s_line_t *l = &s->lines[s->n_lines];
    memset (l, 0, sizeof *l);
    l->lineno = lineno;
    l->item = -1;
    Jad__Report *report = NULL;
    int64_t time_ms = 0;
    int has_time = 0;
    char err[512] = "";
    if (jad_report_json_parse (line, len, country, &report, &time_ms,
                               &has_time, err, sizeof err) != 0) {
        l->reason = strdup (err);
        if (!l->reason)
            return -1;
        s->rejected = 1;
        s->n_lines++;
        return 0;
    }
    size_t i = s->n_items;
    jad_outbox_item_t *item = &s->items[i];
    memset (item, 0, sizeof *item);
    s->bufs[i] = jad_wire_encode (&report->base, &item->report_len);
    s->refs[i] = report->ref ? strdup (report->ref) : NULL;
    int oom = !s->bufs[i] || (report->ref && !s->refs[i]);
    jad__report__free_unpacked (report, NULL);
    if (oom) {
        free (s->bufs[i]);
        free (s->refs[i]);
        return -1;
    }
    item->report = s->bufs[i];
    item->ref = s->refs[i];
    item->event_time_ms = has_time ? time_ms : jad_time_now_ms ();
    l->item = (int) i;
    s->n_items++;
    s->n_lines++;
    return 0;
}

static int
s_submit (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data",    required_argument, NULL, 'd' },
        { "country", required_argument, NULL, 'c' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL, *country_opt = NULL, *path = "-";
    if (s_config ("submit", &argc, &argv, opts) != 0)
        return 2;
    int c;
    while ((c = getopt_long (argc, argv, "d:c:h", opts, NULL)) != -1) {
        switch (c) {
            case 'd': dir = optarg; break;
            case 'c': country_opt = optarg; break;
            case 'h': s_usage_submit (stdout); return 0;
            default: s_usage_submit (stderr); return 2;
        }
    }
    if (optind < argc)
        path = argv[optind++];
    if (!dir || optind != argc) {
        s_usage_submit (stderr);
        return 2;
    }
    if (country_opt && !jad_report_country_valid (country_opt)) {
        fprintf (stderr, "jad-agent submit: --country: two upper-case letters "
                 "expected\n");
        return 2;
    }

    int rc = 2;
    char *obpath = s_join (dir, "outbox");
    s_submit_t *s = calloc (1, sizeof *s);
    FILE *in = NULL;
    jad_lines_t *lines = NULL;
    char err[512] = "";
    char country[3] = "";
    if (!obpath || !s) {
        fprintf (stderr, "jad-agent submit: out of memory\n");
        goto out;
    }
    if (country_opt) {
        if (mkdir (dir, 0700) != 0 && errno != EEXIST) {
            fprintf (stderr, "jad-agent submit: %s: %s\n", dir, strerror (errno));
            goto out;
        }
        s->outbox = jad_outbox_open (obpath, JAD_OUTBOX_CREATE, err, sizeof err);
        if (!s->outbox
        ||  jad_outbox_set_country (s->outbox, country_opt, err, sizeof err) != 0) {
            fprintf (stderr, "jad-agent submit: %s\n", err);
            goto out;
        }
    }
    else {
        s->outbox = jad_outbox_open (obpath, 0, err, sizeof err);
        if (!s->outbox) {
            fprintf (stderr, "jad-agent submit: %s: no outbox yet; pass "
                     "--country CC or run the daemon first\n", dir);
            goto out;
        }
    }
    int got = jad_outbox_country (s->outbox, country);
    if (got != 1) {
        fprintf (stderr, "jad-agent submit: %s\n", got < 0
                 ? "cannot read the outbox"
                 : "the outbox has no country yet; pass --country CC or run "
                   "the daemon first");
        goto out;
    }

    in = strcmp (path, "-") == 0 ? stdin : fopen (path, "r");
    if (!in) {
        fprintf (stderr, "jad-agent submit: %s: %s\n", path, strerror (errno));
        goto out;
    }
    lines = jad_lines_new (in);
    if (!lines) {
        fprintf (stderr, "jad-agent submit: out of memory\n");
        goto out;
    }
    const char *line;
    size_t len, lineno;
    int too_long;
    while ((got = jad_lines_next (lines, &line, &len, &lineno, &too_long)) == 1) {
        /* A too-long line arrives cut at JAD_REPORT_LINE_MAX + 1 bytes,
         * which the parser refuses with the usual message. */
        if (s_batch_add (s, country, line, len, lineno) != 0) {
            fprintf (stderr, "jad-agent submit: out of memory\n");
            goto out;
        }
        if (s->n_lines == S_BATCH && s_batch_flush (s) != 0)
            goto out;
    }
    if (got < 0) {
        fprintf (stderr, "jad-agent submit: %s: read error: %s\n",
                 path, strerror (errno));
        /* what was read is still stored and answered */
        s_batch_flush (s);
        goto out;
    }
    if (s_batch_flush (s) != 0)
        goto out;
    rc = s->rejected ? 1 : 0;
out:
    if (s) {
        s_batch_clear (s);
        jad_outbox_destroy (&s->outbox);
    }
    free (s);
    free (obpath);
    jad_lines_destroy (&lines);
    if (in && in != stdin)
        fclose (in);
    return rc;
}

/* ------------------------------------------------------------ status */

typedef struct {
    jad_statusfile_t file;      /* status.json: its writer, age, staleness */
    int      running;           /* status.json's pid is alive */
    long     pid;
    int      connected;         /* the file says so, and it is current */
    int      has_hub_head;
    uint64_t hub_head;          /* as of file.written_ms */
    uint64_t checkpoint;        /* last hub checkpoint matched by the mirror */
    char     alarm[512];        /* the daemon's trust alarm, "" none */
    char     stale[192];        /* why the file is not current, "" when it is */
} s_daemon_t;

/* Read DIR/status.json, if any, whether its writer still runs, and
 * whether it is current (lib/statusfile.c): what a stale file says about
 * the connection is the past, not the present. */
static void
s_daemon_state (const char *dir, s_daemon_t *d)
{
    memset (d, 0, sizeof *d);
    char *path = s_join (dir, "status.json");
    if (!path)
        return;
    json_t *root = jad_statusfile_read (path, jad_time_now_ms (), &d->file);
    free (path);
    if (!root)
        return;
    d->pid = d->file.pid;
    d->running = d->file.running;
    jad_statusfile_describe (&d->file, d->stale, sizeof d->stale);
    json_t *v = json_object_get (root, "hub_head");
    if (json_is_integer (v) && json_integer_value (v) >= 0) {
        d->has_hub_head = 1;
        d->hub_head = (uint64_t) json_integer_value (v);
    }
    d->connected = !d->file.stale
                && json_is_true (json_object_get (root, "connected"));
    v = json_object_get (root, "checkpoint");
    if (json_is_integer (v) && json_integer_value (v) >= 0)
        d->checkpoint = (uint64_t) json_integer_value (v);
    v = json_object_get (root, "alarm");
    if (json_is_string (v))
        snprintf (d->alarm, sizeof d->alarm, "%s", json_string_value (v));
    json_decref (root);
}

static int
s_rejected_line (void *arg, uint64_t seq, uint32_t code, const char *message)
{
    (void) arg;
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value (&jad__error_code__descriptor, (int) code);
    printf ("  rejected      origin_seq %" PRIu64 ": %s: %s\n", seq,
            v ? v->name : "UNKNOWN", message);
    return 0;
}

/* The options of `status` and `inbox`: --data DIR [--json] [--help].
 * Returns -1 to go on, else the exit status (0 after --help, 2). */
static int
s_dir_json_options (int argc, char **argv, void (*usage) (FILE *),
                    const char **dir_p, int *json_p)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "json", no_argument,       NULL, 'j' },
        { "help", no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    if (s_config (argv[0], &argc, &argv, opts) != 0)
        return 2;
    int c;
    while ((c = getopt_long (argc, argv, "d:jh", opts, NULL)) != -1) {
        switch (c) {
            case 'd': *dir_p = optarg; break;
            case 'j': *json_p = 1; break;
            case 'h': usage (stdout); return 0;
            default: usage (stderr); return 2;
        }
    }
    if (!*dir_p || optind != argc) {
        usage (stderr);
        return 2;
    }
    return -1;
}

static int
s_status (int argc, char **argv)
{
    const char *dir = NULL;
    int as_json = 0;
    int done = s_dir_json_options (argc, argv, s_usage_status, &dir, &as_json);
    if (done >= 0)
        return done;
    int rc = 2;
    char err[512] = "";
    char *obpath = s_join (dir, "outbox");
    char *mpath = s_join (dir, "mirror");
    jad_outbox_t *outbox = NULL;
    jad_journal_t *mirror = NULL;
    if (!obpath || !mpath)
        goto out;
    outbox = jad_outbox_open (obpath, JAD_OUTBOX_RDONLY, err, sizeof err);
    if (!outbox) {
        fprintf (stderr, "jad-agent status: %s\n", err);
        goto out;
    }
    jad_outbox_stats_t st;
    if (jad_outbox_stats (outbox, &st) != 0) {
        fprintf (stderr, "jad-agent status: cannot read the outbox\n");
        goto out;
    }
    uint64_t mirror_seq = 0;
    struct stat sb;
    if (stat (mpath, &sb) == 0) {
        mirror = jad_journal_open (mpath, JAD_JOURNAL_RDONLY, err, sizeof err);
        if (!mirror || jad_journal_head (mirror, &mirror_seq) != 0) {
            fprintf (stderr, "jad-agent status: %s\n",
                     mirror ? "cannot read the mirror" : err);
            goto out;
        }
    }
    s_daemon_t d;
    s_daemon_state (dir, &d);
    uint64_t lag = d.has_hub_head && d.hub_head > mirror_seq
                 ? d.hub_head - mirror_seq : 0;
    char written[JAD_TIME_STRLEN] = "";
    if (d.file.exists && d.file.written_ms > 0)
        jad_time_format (d.file.written_ms, written);
    if (as_json) {
        /* A stale file's lag is not the present one: null. */
        printf ("{\"outbox_depth\":%" PRIu64 ",\"last_acked\":%" PRIu64
                ",\"last_acked_hub_seq\":%" PRIu64 ",\"rejected\":%" PRIu64
                ",\"mirror_seq\":%" PRIu64 ",\"mirror_lag\":",
                st.depth, st.last_acked, st.last_acked_hub_seq, st.rejected,
                mirror_seq);
        if (d.file.stale)
            printf ("null");
        else
            printf ("%" PRIu64, lag);
        printf (",\"connected\":%s,\"daemon_running\":%s,\"hub_head\":",
                d.connected ? "true" : "false", d.running ? "true" : "false");
        if (d.has_hub_head)
            printf ("%" PRIu64, d.hub_head);
        else
            printf ("null");
        json_t *alarm = d.alarm[0] ? json_string (d.alarm) : json_null ();
        char *alarm_text = json_dumps (alarm, JSON_ENCODE_ANY);
        printf (",\"country\":\"%s\",\"origin\":\"%s\",\"checkpoint\":%" PRIu64
                ",\"alarm\":%s,\"stale\":%s,\"written\":", st.country,
                st.origin, d.checkpoint, alarm_text ? alarm_text : "null",
                d.file.stale ? "true" : "false");
        if (written[0])
            printf ("\"%s\"}\n", written);
        else
            printf ("null}\n");
        free (alarm_text);
        json_decref (alarm);
    }
    else {
        printf ("agent %s\n", dir);
        printf ("  country       %s", st.country[0] ? st.country : "(not set)");
        if (st.origin[0])
            printf (" (origin %s)", st.origin);
        printf ("\n");
        if (d.running && !d.file.stale)
            printf ("  daemon        running (pid %ld), hub %s\n", d.pid,
                    d.connected ? "connected" : "not connected");
        else
        if (d.running)
            printf ("  daemon        running (pid %ld), hub connection "
                    "unknown (%s)\n", d.pid, d.stale);
        else
        if (d.file.exists)
            printf ("  daemon        daemon not running (%s)\n", d.stale);
        else
            printf ("  daemon        daemon not running\n");
        printf ("  outbox        %" PRIu64 " reports waiting, %" PRIu64
                " accepted in all, %" PRIu64 " acked\n",
                st.depth, st.accepted, st.acked);
        if (st.last_acked)
            printf ("  last acked    origin_seq %" PRIu64 " (hub_seq %" PRIu64 ")\n",
                    st.last_acked, st.last_acked_hub_seq);
        else
            printf ("  last acked    none\n");
        printf ("  rejected      %" PRIu64 "\n", st.rejected);
        if (st.rejected)
            jad_outbox_rejected_scan (outbox, 10, s_rejected_line, NULL);
        if (d.has_hub_head && !d.file.stale)
            printf ("  mirror        at %" PRIu64 ", hub at %" PRIu64 " (lag %"
                    PRIu64 ")\n", mirror_seq, d.hub_head, lag);
        else
        if (d.has_hub_head)
            printf ("  mirror        at %" PRIu64 ", hub head unknown (%" PRIu64
                    " when status.json was written, %s)\n", mirror_seq,
                    d.hub_head, written);
        else
            printf ("  mirror        at %" PRIu64 ", hub head unknown\n", mirror_seq);
        printf ("  chain         %s%s", d.alarm[0] ? "ALARM: " : "",
                d.alarm[0] ? d.alarm : "no break seen");
        if (!d.alarm[0] && d.checkpoint)
            printf (", hub checkpoint %" PRIu64 " matched", d.checkpoint);
        printf ("\n");
    }
    rc = 0;
out:
    jad_journal_destroy (&mirror);
    jad_outbox_destroy (&outbox);
    free (obpath);
    free (mpath);
    return rc;
}

/* ------------------------------------------------------------ inbox, ack */

static void
s_usage_inbox (FILE *out)
{
    fprintf (out,
"usage: jad-agent inbox --data DIR [--json]\n"
"\n"
"Lists the requests in DIR's mirror addressed to this agent's country (or\n"
"to all), oldest first: hub_seq, time, priority, state, sender, text.\n"
"State: acked (our request_ack is in the mirror), pending (one waits in\n"
"the outbox), open (none yet).  --json prints one array of objects with\n"
"hub_seq, time, priority, state, from, to, text.\n"
"\n"
"exit: 0 done; 2 usage error or no agent data in DIR\n");
}

static void
s_usage_ack (FILE *out)
{
    fprintf (out,
"usage: jad-agent ack --data DIR SEQ [--text T]\n"
"\n"
"Stores a request_ack of request SEQ (its hub_seq, from `inbox`) in DIR's\n"
"outbox, durably; the daemon sends it when the hub is reachable.  Prints\n"
"\"accepted seq S\" (S: the ack's origin_seq).\n"
"\n"
"exit: 0 stored; 1 SEQ is not a request for this country in the mirror;\n"
"2 usage or I/O error\n");
}

/* One request addressed to us, as `inbox` shows it. */
typedef struct {
    uint64_t hub_seq;
    int64_t  time_ms;           /* the coordinator's event time */
    char     from[JAD_JOURNAL_ORIGIN_MAX + 1];
    int      priority;          /* Jad__Priority, ROUTINE when absent */
    char    *to;                /* "all" or "DE,FR", malloc'd */
    char    *text;              /* malloc'd */
    const char *state;          /* "open", "pending", "acked" */
} s_request_t;

typedef struct {
    char          country[3];
    char          origin[JAD_OUTBOX_ORIGIN_MAX + 1];
    s_request_t  *reqs;
    size_t        n_reqs, cap_reqs;
    uint64_t     *acked;        /* request_seqs of our acks in the mirror */
    size_t        n_acked, cap_acked;
    uint64_t     *pending;      /* request_seqs of our acks in the outbox */
    size_t        n_pending, cap_pending;
} s_inbox_t;

static int
s_push_seq (uint64_t **v, size_t *n, size_t *cap, uint64_t seq)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        uint64_t *p = realloc (*v, c * sizeof *p);
        if (!p)
            return -1;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = seq;
    return 0;
}

static int
s_has_seq (const uint64_t *v, size_t n, uint64_t seq)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == seq)
            return 1;
    return 0;
}

static void
s_inbox_free (s_inbox_t *ib)
{
    for (size_t i = 0; i < ib->n_reqs; i++) {
        free (ib->reqs[i].to);
        free (ib->reqs[i].text);
    }
    free (ib->reqs);
    free (ib->acked);
    free (ib->pending);
}

/* Take what entry E means for the inbox: a request to us, or our ack. */
static int
s_inbox_entry (s_inbox_t *ib, const jad_entry_t *e)
{
    const Jad__Report *r = e->report;
    if (!r)
        return 0;
    if (r->body_case == JAD__REPORT__BODY_REQUEST_ACK) {
        if (ib->origin[0] && strcmp (e->origin, ib->origin) == 0)
            return s_push_seq (&ib->acked, &ib->n_acked, &ib->cap_acked,
                               r->request_ack->request_seq);
        return 0;
    }
    if (r->body_case != JAD__REPORT__BODY_REQUEST
    ||  !jad_report_request_addressed (r->request, ib->country))
        return 0;
    if (ib->n_reqs == ib->cap_reqs) {
        size_t c = ib->cap_reqs ? ib->cap_reqs * 2 : 16;
        s_request_t *p = realloc (ib->reqs, c * sizeof *p);
        if (!p)
            return -1;
        ib->reqs = p;
        ib->cap_reqs = c;
    }
    const Jad__Request *q = r->request;
    s_request_t *req = &ib->reqs[ib->n_reqs];
    memset (req, 0, sizeof *req);
    req->hub_seq = e->hub_seq;
    req->time_ms = e->event_time_ms;
    snprintf (req->from, sizeof req->from, "%s", e->origin);
    req->priority = q->has_priority ? (int) q->priority : JAD__PRIORITY__ROUTINE;
    req->text = strdup (q->text ? q->text : "");
    size_t tolen = q->has_all && q->all ? 4 : 3 * q->n_to + 1;
    req->to = malloc (tolen);
    if (!req->text || !req->to) {
        free (req->text);
        free (req->to);
        return -1;
    }
    if (q->has_all && q->all)
        snprintf (req->to, tolen, "all");
    else {
        req->to[0] = '\0';
        for (size_t i = 0; i < q->n_to; i++) {
            if (i)
                strcat (req->to, ",");
            strcat (req->to, q->to[i]);
        }
    }
    ib->n_reqs++;
    return 0;
}

/* Our request_acks still in the outbox: "pending". */
static int
s_inbox_outbox_fn (void *arg, const jad_outbox_record_t *rec)
{
    s_inbox_t *ib = arg;
    const uint8_t *report = rec->data;
    size_t len = rec->len;
    jad_envelope_t env = { 0 };
    char err[256];
    if (rec->sealed) {
        if (jad_envelope_open (rec->data, rec->len, &env, err, sizeof err) != JAD_OK) {
            jad_envelope_clear (&env);
            return 0;
        }
        report = env.report;
        len = env.report_len;
    }
    Jad__Report *r = jad_wire_report_decode (report, len, err, sizeof err);
    int rc = 0;
    if (r && r->body_case == JAD__REPORT__BODY_REQUEST_ACK)
        rc = s_push_seq (&ib->pending, &ib->n_pending, &ib->cap_pending,
                         r->request_ack->request_seq) ? 1 : 0;
    jad_wire_free (&r);
    jad_envelope_clear (&env);
    return rc;
}

/* Open DIR's outbox (for country and origin) and read the mirror into IB;
 * ONLY_SEQ, when not 0, reads that one entry.  0, or -1 (message printed). */
static int
s_inbox_load (const char *cmd, const char *dir, s_inbox_t *ib,
              jad_outbox_t **outbox_p, int flags, uint64_t only_seq)
{
    int rc = -1;
    char err[512] = "";
    char *obpath = s_join (dir, "outbox");
    char *mpath = s_join (dir, "mirror");
    jad_entry_reader_t *reader = NULL;
    jad_entry_t *batch = NULL;
    if (!obpath || !mpath) {
        fprintf (stderr, "jad-agent %s: out of memory\n", cmd);
        goto out;
    }
    *outbox_p = jad_outbox_open (obpath, flags, err, sizeof err);
    if (!*outbox_p) {
        fprintf (stderr, "jad-agent %s: %s\n", cmd, err);
        goto out;
    }
    jad_outbox_stats_t st;
    if (jad_outbox_stats (*outbox_p, &st) != 0 || !st.country[0]) {
        fprintf (stderr, "jad-agent %s: %s\n", cmd, st.country[0]
                 ? "cannot read the outbox" : "the outbox has no country yet");
        goto out;
    }
    memcpy (ib->country, st.country, 3);
    snprintf (ib->origin, sizeof ib->origin, "%s", st.origin);
    struct stat sb;
    if (stat (mpath, &sb) != 0) {
        rc = 0;                 /* no mirror yet: nothing received */
        goto out;
    }
    reader = jad_entry_reader_new (mpath, err, sizeof err);
    if (!reader) {
        fprintf (stderr, "jad-agent %s: %s\n", cmd, err);
        goto out;
    }
    enum { S_CHUNK = 1024 };
    batch = calloc (S_CHUNK, sizeof *batch);
    if (!batch) {
        fprintf (stderr, "jad-agent %s: out of memory\n", cmd);
        goto out;
    }
    uint64_t from = only_seq ? only_seq : 1;
    for (;;) {
        long n = jad_entry_reader_read (reader, from, batch,
                                        only_seq ? 1 : S_CHUNK);
        if (n < 0) {
            fprintf (stderr, "jad-agent %s: cannot read the mirror\n", cmd);
            goto out;
        }
        int failed = 0;
        for (long i = 0; i < n; i++) {
            if (!failed && (!only_seq || batch[i].hub_seq == only_seq)
            &&  s_inbox_entry (ib, &batch[i]) != 0)
                failed = 1;
            from = batch[i].hub_seq + 1;
            jad_entry_clear (&batch[i]);
        }
        if (failed) {
            fprintf (stderr, "jad-agent %s: out of memory\n", cmd);
            goto out;
        }
        if (n == 0 || only_seq)
            break;
    }
    rc = 0;
out:
    free (batch);
    jad_entry_reader_destroy (&reader);
    free (obpath);
    free (mpath);
    return rc;
}

static int
s_inbox (int argc, char **argv)
{
    const char *dir = NULL;
    int as_json = 0;
    int done = s_dir_json_options (argc, argv, s_usage_inbox, &dir, &as_json);
    if (done >= 0)
        return done;
    int rc = 2;
    s_inbox_t ib;
    memset (&ib, 0, sizeof ib);
    jad_outbox_t *outbox = NULL;
    json_t *arr = NULL;
    if (s_inbox_load ("inbox", dir, &ib, &outbox, JAD_OUTBOX_RDONLY, 0) != 0)
        goto out;
    if (jad_outbox_scan (outbox, 1, SIZE_MAX, s_inbox_outbox_fn, &ib) < 0) {
        fprintf (stderr, "jad-agent inbox: cannot read the outbox\n");
        goto out;
    }
    for (size_t i = 0; i < ib.n_reqs; i++) {
        s_request_t *req = &ib.reqs[i];
        req->state = s_has_seq (ib.acked, ib.n_acked, req->hub_seq) ? "acked"
                   : s_has_seq (ib.pending, ib.n_pending, req->hub_seq) ? "pending"
                   : "open";
    }
    if (as_json) {
        arr = json_array ();
        for (size_t i = 0; arr && i < ib.n_reqs; i++) {
            s_request_t *req = &ib.reqs[i];
            char t[JAD_TIME_STRLEN];
            jad_time_format (req->time_ms, t);
            json_array_append_new (arr, json_pack (
                "{s:I, s:s, s:s, s:s, s:s, s:s, s:s}",
                "hub_seq", (json_int_t) req->hub_seq, "time", t,
                "priority", jad_report_enum_name (JAD_REPORT_ENUM_PRIORITY,
                                                  req->priority),
                "state", req->state, "from", req->from, "to", req->to,
                "text", req->text));
        }
        char *text = arr ? json_dumps (arr, JSON_COMPACT) : NULL;
        if (!text) {
            fprintf (stderr, "jad-agent inbox: out of memory\n");
            goto out;
        }
        printf ("%s\n", text);
        free (text);
    }
    else {
        printf ("inbox of %s: %zu request%s\n", ib.country, ib.n_reqs,
                ib.n_reqs == 1 ? "" : "s");
        for (size_t i = 0; i < ib.n_reqs; i++) {
            s_request_t *req = &ib.reqs[i];
            char t[JAD_TIME_STRLEN];
            jad_time_format (req->time_ms, t);
            printf ("  %" PRIu64 "  %s  %-7s  %-7s  from %s to %s: ",
                    req->hub_seq, t,
                    jad_report_enum_name (JAD_REPORT_ENUM_PRIORITY, req->priority),
                    req->state, req->from, req->to);
            /* The text is free text from afar: one line, no control bytes. */
            for (const unsigned char *p = (const unsigned char *) req->text; *p; p++)
                putchar (*p < 0x20 || *p == 0x7f ? ' ' : *p);
            putchar ('\n');
        }
    }
    rc = 0;
out:
    json_decref (arr);
    s_inbox_free (&ib);
    jad_outbox_destroy (&outbox);
    return rc;
}

static int
s_ack (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "text", required_argument, NULL, 't' },
        { "help", no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL, *text = NULL;
    if (s_config ("ack", &argc, &argv, opts) != 0)
        return 2;
    int c;
    while ((c = getopt_long (argc, argv, "d:t:h", opts, NULL)) != -1) {
        switch (c) {
            case 'd': dir = optarg; break;
            case 't': text = optarg; break;
            case 'h': s_usage_ack (stdout); return 0;
            default: s_usage_ack (stderr); return 2;
        }
    }
    if (!dir || optind + 1 != argc) {
        s_usage_ack (stderr);
        return 2;
    }
    char *end = NULL;
    const char *arg = argv[optind];
    errno = 0;
    unsigned long long seq = strtoull (arg, &end, 10);
    if (!*arg || *arg == '-' || *end || errno || seq < 1 || seq > JAD_QUANTITY_MAX) {
        fprintf (stderr, "jad-agent ack: SEQ: a hub sequence number from 1 "
                 "expected\n");
        return 2;
    }
    int rc = 2;
    s_inbox_t ib;
    memset (&ib, 0, sizeof ib);
    jad_outbox_t *outbox = NULL;
    uint8_t *buf = NULL;
    if (s_inbox_load ("ack", dir, &ib, &outbox, 0, seq) != 0)
        goto out;
    if (ib.n_reqs != 1) {
        fprintf (stderr, "jad-agent ack: %llu is not a request for %s in the "
                 "mirror\n", seq, ib.country);
        rc = 1;
        goto out;
    }
    Jad__Report report = JAD__REPORT__INIT;
    Jad__RequestAck ack = JAD__REQUEST_ACK__INIT;
    report.body_case = JAD__REPORT__BODY_REQUEST_ACK;
    report.request_ack = &ack;
    ack.has_request_seq = 1;
    ack.request_seq = seq;
    ack.text = (char *) text;
    char err[512] = "";
    if (jad_report_validate (&report, err, sizeof err) != 0) {
        fprintf (stderr, "jad-agent ack: %s\n", err);
        goto out;
    }
    jad_outbox_item_t item;
    memset (&item, 0, sizeof item);
    buf = jad_wire_encode (&report.base, &item.report_len);
    if (!buf) {
        fprintf (stderr, "jad-agent ack: out of memory\n");
        goto out;
    }
    item.report = buf;
    item.event_time_ms = jad_time_now_ms ();
    if (jad_outbox_submit_batch (outbox, &item, 1, err, sizeof err) != 0) {
        fprintf (stderr, "jad-agent ack: %s\n", err);
        goto out;
    }
    printf ("accepted seq %" PRIu64 "\n", item.origin_seq);
    rc = 0;
out:
    free (buf);
    s_inbox_free (&ib);
    jad_outbox_destroy (&outbox);
    return rc;
}

/* ------------------------------------------------------------ main */

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_usage (stderr);
        return 2;
    }
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
    ||  strcmp (argv[1], "help") == 0) {
        s_usage (stdout);
        return 0;
    }
    /* getopt_long sees the command's own arguments only. */
    if (strcmp (argv[1], "run") == 0)
        return s_run (argc - 1, argv + 1);
    if (strcmp (argv[1], "submit") == 0)
        return s_submit (argc - 1, argv + 1);
    if (strcmp (argv[1], "status") == 0)
        return s_status (argc - 1, argv + 1);
    if (strcmp (argv[1], "inbox") == 0)
        return s_inbox (argc - 1, argv + 1);
    if (strcmp (argv[1], "ack") == 0)
        return s_ack (argc - 1, argv + 1);
    fprintf (stderr, "jad-agent: unknown command '%s'\n", argv[1]);
    s_usage (stderr);
    return 2;
}
