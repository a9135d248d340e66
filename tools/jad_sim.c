/*  jad-sim: run a whole operation on this machine, for real.
 *
 *  Generates keys and a roster, starts one real jad-hub and one real
 *  jad-agent per country on free loopback ports, submits every scenario
 *  line through its country's agent (`jad-agent submit`), waits until every
 *  report is acknowledged and every mirror has caught up, checks that
 *  nothing was lost or duplicated, and stops everything it started.
 *
 *  The hub and agent binaries are taken from the directory jad-sim itself
 *  lives in, so bin/, build/asan/bin/ and an installed PREFIX/bin each run
 *  their own build.
 *
 *  A hub that dies is started again on the same ports and data, up to
 *  S_HUB_RESTARTS times (its agents keep their reports in their outboxes
 *  meanwhile and send them when it is back), and a report is never called
 *  lost while an outbox still holds it.
 */
#define _GNU_SOURCE     /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "jad/config.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/lines.h"
#include "jad/outbox.h"
#include "jad/report.h"
#include "jad/report_json.h"
#include "jad/roster.h"
#include "jad/timefmt.h"

extern char **environ;

#define S_MAX_COUNTRIES 256
#define S_STALL_MS      60000   /* no progress this long: give up */
#define S_HUB_RESTARTS  3       /* a hub that dies is started again this
                                 * many times, after S_HUB_BACKOFF_MS, then
                                 * twice that, ... */
#define S_HUB_BACKOFF_MS 500

typedef struct {
    char   code[3];          /* ISO 3166 alpha-2 */
    char   name[16];         /* roster name: "agent-xx" */
    char  *lines;            /* the country's valid lines, '\n'-joined */
    size_t len, cap;
    uint64_t count;          /* lines routed to it */
    pid_t  agent;            /* jad-agent run */
    pid_t  submit;           /* jad-agent submit */
    int    submit_rc;
    jad_journal_t *mirror;   /* opened read-only once it exists */
} s_country_t;

typedef struct {
    const char  *scenario;
    const char  *data;
    const char  *operation;
    int          keep_running;
    char         bindir[4096];
    s_country_t  countries[S_MAX_COUNTRIES];
    size_t       n_countries;
    uint64_t     valid;      /* lines that parsed */
    uint64_t     rejected;   /* lines that did not */
    int64_t      first_ms, last_ms;
    pid_t        hub;
    int          hub_port, feed_port;
    int          hub_restarts;  /* times the hub was started again */
} s_sim_t;

static volatile sig_atomic_t s_stop;

/* snprintf for paths: a path too long for its buffer is cut, and the
 * open that follows fails with a clear error rather than the compiler
 * second-guessing every path join. */
static void s_fmt (char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
s_fmt (char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, size, fmt, ap);
    va_end (ap);
}

static void
s_on_signal (int sig)
{
    (void) sig;
    s_stop = 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-sim run SCENARIO.jsonl --data DIR [--operation NAME] [--keep-running]\n"
"                   [--config FILE] [--check]\n"
"\n"
"Runs the operation in SCENARIO (JSON Lines, each line with its \"country\")\n"
"through a real hub and one real agent per country on loopback:\n"
"DIR/hub (the hub's data), DIR/agents/CC (each agent's), DIR/keys (keys\n"
"and roster), DIR/logs (every process's log).  Waits until every report is\n"
"acknowledged and every mirror holds the whole journal (and, within 15 s,\n"
"the hub's checkpoint of it), then stops all processes (with\n"
"--keep-running: waits for SIGINT/SIGTERM first).\n"
"A hub that dies is started again on the same ports and data, up to 3\n"
"times (after 0.5 s, 1 s, 2 s); its agents keep their reports meanwhile.\n"
"A report still in an agent's outbox is never counted as lost: a run that\n"
"cannot finish says how many wait there.\n"
"The last line is a summary: N reports from C countries in S s (R reports/s).\n"
"\n"
"--config FILE  settings as 'key = value' lines, a key being a long option's\n"
"               name (data, operation, keep-running); SCENARIO stays on the\n"
"               command line, which wins where both set one\n"
"--check        check SCENARIO is readable, DIR can be made and holds no\n"
"               operation yet, jad-hub and jad-agent are beside jad-sim, and\n"
"               exit, starting and writing nothing\n"
"\n"
"exit: 0 done (--check: valid); 1 lines rejected, reports lost, or not\n"
"      finished (--check: invalid); 2 usage or I/O error\n");
}

static int
s_mkdir (const char *path)
{
    if (mkdir (path, 0700) != 0 && errno != EEXIST) {
        fprintf (stderr, "jad-sim: cannot create %s: %s\n", path, strerror (errno));
        return -1;
    }
    return 0;
}

/* A free loopback TCP port: bind port 0, read it, close. */
static int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
    &&  getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
        port = ntohs (addr.sin_port);
    if (fd >= 0)
        close (fd);
    return port;
}

/* Start BINDIR/PROG with ARGV; stdout and stderr to LOG; stdin from
 * STDIN_FD (or /dev/null when -1). */
static pid_t
s_spawn (s_sim_t *self, const char *prog, char *const argv[], const char *log,
         const char *out, int stdin_fd)
{
    char path[4200];
    s_fmt (path, sizeof path, "%s/%s", self->bindir, prog);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init (&fa);
    if (stdin_fd >= 0)
        posix_spawn_file_actions_adddup2 (&fa, stdin_fd, 0);
    else
        posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen (&fa, 1, out ? out : log,
                                      O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen (&fa, 2, log,
                                      O_WRONLY | O_CREAT | O_APPEND, 0600);
    pid_t pid;
    int rc = posix_spawn (&pid, path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy (&fa);
    if (rc != 0) {
        fprintf (stderr, "jad-sim: cannot start %s: %s\n", path, strerror (rc));
        return -1;
    }
    return pid;
}

static s_country_t *
s_country (s_sim_t *self, const char *code)
{
    for (size_t i = 0; i < self->n_countries; i++)
        if (strcmp (self->countries[i].code, code) == 0)
            return &self->countries[i];
    if (self->n_countries == S_MAX_COUNTRIES)
        return NULL;
    s_country_t *c = &self->countries[self->n_countries++];
    memset (c, 0, sizeof *c);
    s_fmt (c->code, sizeof c->code, "%s", code);
    s_fmt (c->name, sizeof c->name, "agent-%c%c", code[0] + 32, code[1] + 32);
    return c;
}

static int
s_append (s_country_t *c, const char *line, size_t len)
{
    if (c->len + len + 1 > c->cap) {
        size_t cap = (c->cap ? c->cap * 2 : 65536) + len + 1;
        char *grown = realloc (c->lines, cap);
        if (!grown)
            return -1;
        c->lines = grown;
        c->cap = cap;
    }
    memcpy (c->lines + c->len, line, len);
    c->len += len;
    c->lines[c->len++] = '\n';
    c->count++;
    return 0;
}

/* Validate every line with the submit parser and route it by country. */
static int
s_read_scenario (s_sim_t *self)
{
    FILE *in = fopen (self->scenario, "r");
    if (!in) {
        fprintf (stderr, "jad-sim: %s: %s\n", self->scenario, strerror (errno));
        return -1;
    }
    jad_lines_t *lines = jad_lines_new (in);
    const char *line;
    size_t len, lineno;
    int too_long, got;
    char err[512];
    self->first_ms = INT64_MAX;
    self->last_ms = 0;
    while ((got = jad_lines_next (lines, &line, &len, &lineno, &too_long)) == 1) {
        if (too_long) {
            printf ("line %zu: rejected: line longer than %d bytes\n", lineno,
                    JAD_REPORT_LINE_MAX);
            self->rejected++;
            continue;
        }
        if (strspn (line, " \t\r") == len)
            continue;
        Jad__Report *report = NULL;
        int64_t time_ms = 0;
        int has_time = 0;
        if (jad_report_json_parse (line, len, NULL, &report, &time_ms,
                                   &has_time, err, sizeof err) != 0) {
            printf ("line %zu: rejected: %s\n", lineno, err);
            self->rejected++;
            continue;
        }
        s_country_t *c = report->country ? s_country (self, report->country) : NULL;
        jad__report__free_unpacked (report, NULL);
        if (!c) {
            printf ("line %zu: rejected: country: required to route the "
                    "report to an agent\n", lineno);
            self->rejected++;
            continue;
        }
        if (has_time && time_ms < self->first_ms)
            self->first_ms = time_ms;
        if (has_time && time_ms > self->last_ms)
            self->last_ms = time_ms;
        if (s_append (c, line, len) != 0) {
            fprintf (stderr, "jad-sim: out of memory\n");
            got = -1;
            break;
        }
        self->valid++;
    }
    jad_lines_destroy (&lines);
    fclose (in);
    if (got < 0)
        return -1;
    if (self->first_ms == INT64_MAX) {
        self->first_ms = jad_time_now_ms ();
        self->last_ms = self->first_ms;
    }
    return 0;
}

/* The roster's keys for P from its public file: CURVE key, signing key,
 * key id. */
static int
s_read_public (const char *path, jad_participant_t *p)
{
    char err[512];
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    if (!keys) {
        fprintf (stderr, "jad-sim: %s\n", err);
        return -1;
    }
    s_fmt (p->public_key, sizeof p->public_key, "%s", jad_keys_public (keys));
    memcpy (p->sign_key, jad_keys_sign_public (keys), sizeof p->sign_key);
    memcpy (p->key_id, jad_keys_key_id (keys), sizeof p->key_id);
    jad_keys_destroy (&keys);
    return 0;
}

/* Keys for the hub and every agent, and the roster. */
static int
s_make_roster (s_sim_t *self, const char *keys, const char *roster)
{
    char err[512], path[4200];
    size_t n = self->n_countries + 1;
    jad_participant_t *parts = calloc (n, sizeof *parts);
    int rc = -1;
    if (!parts)
        return -1;
    for (size_t i = 0; i < n; i++) {
        jad_participant_t *p = &parts[i];
        if (i == 0) {
            s_fmt (p->name, sizeof p->name, "hub");
            p->role = JAD_ROLE_HUB;
        }
        else {
            s_country_t *c = &self->countries[i - 1];
            s_fmt (p->name, sizeof p->name, "%s", c->name);
            s_fmt (p->country, sizeof p->country, "%s", c->code);
            p->role = JAD_ROLE_AGENT;
        }
        if (jad_keys_generate (p->name, keys, err, sizeof err) != 0) {
            fprintf (stderr, "jad-sim: %s\n", err);
            goto out;
        }
        s_fmt (path, sizeof path, "%s/%s.pub", keys, p->name);
        if (s_read_public (path, p) != 0)
            goto out;
    }
    uint8_t id[16];
    randombytes_buf (id, sizeof id);
    char name[256];
    if (self->operation)
        s_fmt (name, sizeof name, "%s", self->operation);
    else {
        char base[4096];
        s_fmt (base, sizeof base, "%s", self->scenario);
        s_fmt (name, sizeof name, "%s", basename (base));
        char *dot = strrchr (name, '.');
        if (dot && dot != name)
            *dot = '\0';
    }
    int64_t day = 86400000;
    int64_t start = self->first_ms - self->first_ms % day;
    if (jad_roster_save (roster, name, id, start, self->last_ms + day,
                         parts, n, err, sizeof err) != 0) {
        fprintf (stderr, "jad-sim: %s\n", err);
        goto out;
    }
    rc = 0;
out:
    free (parts);
    return rc;
}

static void
s_stop_all (s_sim_t *self)
{
    for (size_t i = 0; i < self->n_countries; i++) {
        s_country_t *c = &self->countries[i];
        if (c->submit > 0)
            kill (c->submit, SIGTERM);
        if (c->agent > 0)
            kill (c->agent, SIGTERM);
    }
    if (self->hub > 0)
        kill (self->hub, SIGTERM);
    for (size_t i = 0; i < self->n_countries; i++) {
        s_country_t *c = &self->countries[i];
        if (c->submit > 0)
            waitpid (c->submit, NULL, 0);
        if (c->agent > 0)
            waitpid (c->agent, NULL, 0);
        c->submit = c->agent = 0;
        jad_journal_destroy (&c->mirror);
    }
    if (self->hub > 0)
        waitpid (self->hub, NULL, 0);
    self->hub = 0;
}

/* Outbox depth from the agent's status file; -1 when not readable yet. */
static long
s_outbox_depth (const char *data, const char *code)
{
    char path[4200];
    s_fmt (path, sizeof path, "%s/agents/%s/status.json", data, code);
    json_error_t jerr;
    json_t *st = json_load_file (path, 0, &jerr);
    if (!st)
        return -1;
    json_t *depth = json_object_get (st, "outbox_depth");
    long n = json_is_integer (depth) ? (long) json_integer_value (depth) : -1;
    json_decref (st);
    return n;
}

/* Reports waiting in every agent's outbox, read from the outboxes
 * themselves (a status file may be a second old, or its agent dead).
 * *UNREADABLE_P = outboxes that could not be read. */
static uint64_t
s_waiting (s_sim_t *self, size_t *unreadable_p)
{
    uint64_t waiting = 0;
    *unreadable_p = 0;
    for (size_t i = 0; i < self->n_countries; i++) {
        char path[4200], err[512];
        jad_outbox_stats_t st;
        s_fmt (path, sizeof path, "%s/agents/%s/outbox", self->data,
               self->countries[i].code);
        jad_outbox_t *outbox = jad_outbox_open (path, JAD_OUTBOX_RDONLY,
                                                err, sizeof err);
        if (outbox && jad_outbox_stats (outbox, &st) == 0)
            waiting += st.depth;
        else
            (*unreadable_p)++;
        jad_outbox_destroy (&outbox);
    }
    return waiting;
}

static uint64_t
s_head (jad_journal_t **journal_p, const char *dir)
{
    char err[512];
    uint64_t head = 0;
    if (!*journal_p)
        *journal_p = jad_journal_open (dir, JAD_JOURNAL_RDONLY, err, sizeof err);
    if (*journal_p && jad_journal_head (*journal_p, &head) != 0)
        head = 0;
    return head;
}

/* Once converged, wait (up to S_SIGNED_MS) until every mirror holds a
 * checkpoint covering HEAD: the hub signs one within 5 s of its last
 * entry, and an agent stopped before it arrived keeps a tail no
 * checkpoint covers, which jad-verify does not call intact. */
#define S_SIGNED_MS 15000

static void
s_wait_signed (s_sim_t *self, uint64_t head)
{
    int64_t until = jad_time_mono_ms () + S_SIGNED_MS;
    while (!s_stop && jad_time_mono_ms () < until) {
        int all = 1;
        for (size_t i = 0; i < self->n_countries && all; i++) {
            uint64_t cp = 0;
            jad_journal_t *m = self->countries[i].mirror;
            if (!m || jad_journal_record_last (m, JAD_JOURNAL_CHECKPOINTS, &cp) != 0
            ||  cp < head)
                all = 0;
        }
        if (all)
            return;
        usleep (50000);
    }
}

/* The hub child exited with STATUS: start it again on the same ports
 * and data (HUB_ARGV, log LOG) after a growing pause, unless it has been
 * S_HUB_RESTARTS times already.  1 when it stays down. */
static int
s_hub_died (s_sim_t *self, int status, const char *logs, char *const hub_argv[],
            const char *log)
{
    char how[64];
    if (WIFSIGNALED (status))
        s_fmt (how, sizeof how, "killed by signal %d", WTERMSIG (status));
    else
        s_fmt (how, sizeof how, "exit %d", WEXITSTATUS (status));
    if (self->hub_restarts >= S_HUB_RESTARTS) {
        fprintf (stderr, "jad-sim: the hub exited again (%s; see %s/hub.log), "
                 "after %d restarts: giving up\n", how, logs, S_HUB_RESTARTS);
        return 1;
    }
    int64_t pause = (int64_t) S_HUB_BACKOFF_MS << self->hub_restarts;
    self->hub_restarts++;
    fprintf (stderr, "jad-sim: the hub exited (%s; see %s/hub.log): starting "
             "it again in %.1f s (restart %d of %d)\n", how, logs,
             (double) pause / 1000.0, self->hub_restarts, S_HUB_RESTARTS);
    for (int64_t end = jad_time_mono_ms () + pause;
         !s_stop && jad_time_mono_ms () < end; )
        usleep (20000);
    if (s_stop)
        return 1;
    self->hub = s_spawn (self, "jad-hub", hub_argv, log, NULL, -1);
    return self->hub < 0 ? (self->hub = 0, 1) : 0;
}

/* Everything a run needs before it starts anything, for the run and for
 * --check alike: the hub and agent binaries beside jad-sim, a readable
 * SCENARIO, and a --data DIR that can be made and holds no operation yet.
 * Sets BINDIR.  0, or -1 with ERR. */
static int
s_prepare (s_sim_t *self, char *err, size_t errlen)
{
    char exe[4096], path[4200];
    ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        s_fmt (err, errlen, "cannot find my own directory");
        return -1;
    }
    exe[n] = '\0';
    s_fmt (self->bindir, sizeof self->bindir, "%s", dirname (exe));
    const char *progs[] = { "jad-hub", "jad-agent" };
    for (size_t i = 0; i < 2; i++) {
        s_fmt (path, sizeof path, "%s/%s", self->bindir, progs[i]);
        if (access (path, X_OK) != 0) {
            s_fmt (err, errlen, "%s: %s (jad-sim runs the %s beside it)",
                   path, strerror (errno), progs[i]);
            return -1;
        }
    }
    if (access (self->scenario, R_OK) != 0) {
        s_fmt (err, errlen, "SCENARIO %s: %s", self->scenario, strerror (errno));
        return -1;
    }
    if (jad_config_check_dir ("data", self->data, err, errlen) != 0)
        return -1;
    /* The run makes DIR, not its parents. */
    s_fmt (path, sizeof path, "%s", self->data);
    if (access (self->data, F_OK) != 0 && access (dirname (path), F_OK) != 0) {
        s_fmt (err, errlen, "--data: %s: %s", path, strerror (errno));
        return -1;
    }
    s_fmt (path, sizeof path, "%s/hub/journal", self->data);
    if (access (path, F_OK) == 0) {
        s_fmt (err, errlen, "--data: %s already holds an operation; use an "
               "empty directory", self->data);
        return -1;
    }
    return 0;
}

static int
s_run (s_sim_t *self)
{
    char keys[4200], logs[4200], agents[4200], roster[4200], path[4200];
    char hub_ep[64], feed_ep[64], log[4400], out[4400];
    int rc = 2;
    jad_journal_t *hub_journal = NULL;
    if (s_read_scenario (self) != 0)
        return 2;
    if (self->n_countries == 0) {
        fprintf (stderr, "jad-sim: %s: no valid report to run\n", self->scenario);
        return 1;
    }
    s_fmt (keys, sizeof keys, "%s/keys", self->data);
    s_fmt (logs, sizeof logs, "%s/logs", self->data);
    s_fmt (agents, sizeof agents, "%s/agents", self->data);
    s_fmt (roster, sizeof roster, "%s/roster", keys);
    s_fmt (path, sizeof path, "%s/hub", self->data);
    if (s_mkdir (self->data) || s_mkdir (keys) || s_mkdir (logs)
    ||  s_mkdir (agents) || s_mkdir (path))
        return 2;
    if (s_make_roster (self, keys, roster) != 0)
        return 2;
    self->hub_port = s_free_port ();
    self->feed_port = s_free_port ();
    while (self->feed_port == self->hub_port)
        self->feed_port = s_free_port ();
    if (self->hub_port < 0 || self->feed_port < 0) {
        fprintf (stderr, "jad-sim: no free loopback port\n");
        return 2;
    }
    s_fmt (hub_ep, sizeof hub_ep, "tcp://127.0.0.1:%d", self->hub_port);
    s_fmt (feed_ep, sizeof feed_ep, "tcp://127.0.0.1:%d", self->feed_port);

    int64_t t0 = jad_time_mono_ms ();
    char hub_data[4200], hub_key[4200], hub_pub[4200];
    s_fmt (hub_data, sizeof hub_data, "%s/hub", self->data);
    s_fmt (hub_key, sizeof hub_key, "%s/hub.secret", keys);
    s_fmt (hub_pub, sizeof hub_pub, "%s/hub.pub", keys);
    char hub_log[4400];
    s_fmt (hub_log, sizeof hub_log, "%s/hub.log", logs);
    char *hub_argv[] = { "jad-hub", "--data", hub_data, "--roster", roster,
                         "--key", hub_key, "--listen", hub_ep,
                         "--publish", feed_ep, NULL };
    self->hub = s_spawn (self, "jad-hub", hub_argv, hub_log, NULL, -1);
    if (self->hub < 0)
        goto out;

    for (size_t i = 0; i < self->n_countries; i++) {
        s_country_t *c = &self->countries[i];
        char data[4200], key[4200];
        s_fmt (data, sizeof data, "%s/%s", agents, c->code);
        s_fmt (key, sizeof key, "%s/%s.secret", keys, c->name);
        s_fmt (log, sizeof log, "%s/%s.log", logs, c->name);
        char *argv[] = { "jad-agent", "run", "--data", data, "--country",
                         c->code, "--key", key, "--hub-key", hub_pub,
                         "--hub", hub_ep, "--feed", feed_ep, NULL };
        c->agent = s_spawn (self, "jad-agent", argv, log, NULL, -1);
        if (c->agent < 0)
            goto out;
    }
    /* Submit every country's lines through its agent, all at once. */
    for (size_t i = 0; i < self->n_countries; i++) {
        s_country_t *c = &self->countries[i];
        char data[4200];
        int fds[2];
        s_fmt (data, sizeof data, "%s/%s", agents, c->code);
        s_fmt (log, sizeof log, "%s/submit-%s.log", logs, c->code);
        s_fmt (out, sizeof out, "%s/submit-%s.out", logs, c->code);
        if (pipe2 (fds, O_CLOEXEC) != 0)
            goto out;
        char *argv[] = { "jad-agent", "submit", "--data", data, "--country",
                         c->code, "-", NULL };
        c->submit = s_spawn (self, "jad-agent", argv, log, out, fds[0]);
        close (fds[0]);
        if (c->submit < 0) {
            close (fds[1]);
            goto out;
        }
        size_t off = 0;
        while (off < c->len) {
            ssize_t w = write (fds[1], c->lines + off, c->len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t) w;
        }
        close (fds[1]);
    }
    int submit_failed = 0;
    for (size_t i = 0; i < self->n_countries; i++) {
        s_country_t *c = &self->countries[i];
        int status;
        waitpid (c->submit, &status, 0);
        c->submit = 0;
        c->submit_rc = WIFEXITED (status) ? WEXITSTATUS (status) : 2;
        if (c->submit_rc != 0) {
            fprintf (stderr, "jad-sim: submit for %s exited %d (see "
                     "%s/submit-%s.out)\n", c->code, c->submit_rc, logs, c->code);
            submit_failed = 1;
        }
    }

    /* Wait until the hub holds every report, every outbox is empty and
     * every mirror holds the hub's whole journal. */
    s_fmt (path, sizeof path, "%s/hub/journal", self->data);
    uint64_t best = 0;
    int64_t progress_at = jad_time_mono_ms ();
    int done = 0;
    uint64_t hub_head = 0;
    while (!s_stop) {
        hub_head = s_head (&hub_journal, path);
        uint64_t reached = hub_head;
        int all = hub_head >= self->valid;
        for (size_t i = 0; i < self->n_countries; i++) {
            s_country_t *c = &self->countries[i];
            char mirror[4200];
            s_fmt (mirror, sizeof mirror, "%s/%s/mirror", agents, c->code);
            uint64_t m = s_head (&c->mirror, mirror);
            reached += m;
            if (m < hub_head || s_outbox_depth (self->data, c->code) != 0)
                all = 0;
        }
        int dead = 0, status = 0;
        if (self->hub > 0 && waitpid (self->hub, &status, WNOHANG) == self->hub) {
            self->hub = 0;
            dead = s_hub_died (self, status, logs, hub_argv, hub_log);
            progress_at = jad_time_mono_ms ();
        }
        if (all || dead)
            { done = all; break; }
        int64_t now = jad_time_mono_ms ();
        if (reached > best) {
            best = reached;
            progress_at = now;
        }
        else
        if (now - progress_at > S_STALL_MS) {
            fprintf (stderr, "jad-sim: no progress for %d s\n", S_STALL_MS / 1000);
            break;
        }
        usleep (50000);
    }
    double secs = (double) (jad_time_mono_ms () - t0) / 1000.0;
    if (done)
        s_wait_signed (self, hub_head);

    rc = 0;
    if (!done) {
        /* Every accepted report is journaled (acknowledged ones surely) or
         * still in its outbox (or, unacknowledged, both): only what is in
         * neither is lost. */
        size_t unreadable = 0;
        uint64_t waiting = s_waiting (self, &unreadable);
        uint64_t held = hub_head + waiting;
        if (held < self->valid && !unreadable)
            fprintf (stderr, "jad-sim: lost: the hub journaled %" PRIu64 " of %"
                     PRIu64 " accepted reports and the outboxes hold %" PRIu64
                     ": %" PRIu64 " lost\n", hub_head, self->valid, waiting,
                     self->valid - held);
        else
            fprintf (stderr, "jad-sim: not finished: the hub journaled %" PRIu64
                     " of %" PRIu64 " accepted reports; %" PRIu64 " wait in the "
                     "agents' outboxes%s (not lost: an agent sends them when "
                     "its hub is back)\n", hub_head, self->valid, waiting,
                     unreadable ? ", and some outboxes could not be read" : "");
        rc = 1;
    }
    else
    if (hub_head > self->valid) {
        fprintf (stderr, "jad-sim: duplicated: the hub journaled %" PRIu64
                 " entries for %" PRIu64 " reports\n", hub_head, self->valid);
        rc = 1;
    }
    if (submit_failed || self->rejected)
        rc = 1;
    if (self->keep_running && done) {
        printf ("running: hub %s, feed %s, data %s; SIGINT or SIGTERM stops\n",
                hub_ep, feed_ep, self->data);
        fflush (stdout);
        while (!s_stop)
            pause ();
    }
    printf ("%" PRIu64 " reports from %zu countries in %.1f s (%.0f reports/s)\n",
            hub_head, self->n_countries, secs,
            secs > 0 ? (double) hub_head / secs : 0.0);
out:
    jad_journal_destroy (&hub_journal);
    s_stop_all (self);
    return rc;
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "operation", required_argument, NULL, 'o' },
        { "keep-running", no_argument, NULL, 'k' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    static s_sim_t sim;
    s_sim_t *self = &sim;
    if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)) {
        s_usage (stdout);
        return 0;
    }
    if (argc < 2 || strcmp (argv[1], "run") != 0) {
        s_usage (stderr);
        return 2;
    }
    char err[4400];
    int config_rc = jad_config_apply ("jad-sim", &argc, &argv, 2, opts, NULL);
    if (config_rc != 0)
        return config_rc;
    optind = 2;
    int c, check = 0;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': self->data = optarg; break;
        case 'o': self->operation = optarg; break;
        case 'k': self->keep_running = 1; break;
        case 'C': check = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc - 1 || !self->data) {
        fprintf (stderr, "jad-sim: run needs SCENARIO.jsonl and --data DIR\n");
        return 2;
    }
    self->scenario = argv[optind];
    if (s_prepare (self, err, sizeof err) != 0) {
        fprintf (stderr, check ? "jad-sim: configuration invalid: %s\n"
                               : "jad-sim: %s\n", err);
        return check ? 1 : 2;
    }
    if (check) {
        printf ("jad-sim: configuration valid\n");
        return 0;
    }
    if (sodium_init () < 0)
        return 2;
    struct sigaction sa = { .sa_handler = s_on_signal };
    sigemptyset (&sa.sa_mask);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGTERM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    int rc = s_run (self);
    for (size_t i = 0; i < self->n_countries; i++)
        free (self->countries[i].lines);
    return rc;
}
