/*  jad-hub: the central hub (`jad-hub --data ...`) and its status command
 *  (`jad-hub status --data DIR [--json]`). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <czmq.h>
#include <jansson.h>
#include <sodium.h>

#include "jad/config.h"
#include "jad/journal.h"
#include "jad/log.h"
#include "jad/statusfile.h"
#include "jad/timefmt.h"
#include "hub.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-hub --data DIR --roster FILE --key FILE\n"
"               [--listen tcp://127.0.0.1:7401] [--publish tcp://127.0.0.1:7402]\n"
"               [--operation NAME] [--log-level error|warn|notice|info|debug]\n"
"               [--config FILE] [--check]\n"
"       jad-hub status --data DIR [--json] [--config FILE]\n"
"\n"
"The hub journals every report in DIR/journal (LMDB), acknowledges it and\n"
"publishes it.  SIGHUP reloads the roster; SIGTERM or SIGINT stops it.\n"
"status: head sequence, participants and when last seen, ingest rate,\n"
"journal size.  The running hub's view comes from DIR/status.json, which it\n"
"rewrites every second; when its writer no longer runs or has not written\n"
"it for 5 s it is stale: the text says so (\"stale: written 3 min ago by a\n"
"process that is no longer running\"), JSON has \"stale\":true, and nobody\n"
"is shown connected.  JSON \"written\" is when the file was written.\n"
"\n"
"--config FILE  read settings from FILE: 'key = value' lines, a key being\n"
"               a long option's name (data, roster, key, listen, publish,\n"
"               operation, log-level); the command line wins where both set one\n"
"--check        check the configuration (key, roster, endpoints, data\n"
"               directory, an existing journal's operation) and exit\n"
"\n"
"exit: 0 done (--check: valid); 1 failed (--check: invalid);\n"
"      2 usage or I/O error\n");
}

static void
s_on_hup (int sig)
{
    (void) sig;
    jad_hub_request_reload ();
}

/* status: the journal (authoritative, read-only) and the running hub's
 * status.json (participants, rate). */
static int
s_status (const char *dir, int json)
{
    char path[4096], err[512];
    snprintf (path, sizeof path, "%s/journal", dir);
    jad_journal_t *journal = jad_journal_open (path, JAD_JOURNAL_RDONLY,
                                               err, sizeof err);
    if (!journal) {
        fprintf (stderr, "jad-hub: %s\n", err);
        return 2;
    }
    uint64_t head = 0, bytes = 0;
    jad_journal_meta_t meta;
    int rc = jad_journal_head (journal, &head) || jad_journal_stat (journal, &bytes)
          || jad_journal_meta_get (journal, &meta);
    jad_journal_destroy (&journal);
    if (rc) {
        fprintf (stderr, "jad-hub: %s: cannot read the journal\n", path);
        return 2;
    }
    /* The running hub's view, if current: a stale file (its hub gone, or
     * hung) says who was connected then, not now (lib/statusfile.c). */
    snprintf (path, sizeof path, "%s/status.json", dir);
    jad_statusfile_t file;
    json_t *st = jad_statusfile_read (path, jad_time_now_ms (), &file);
    int running = file.running;
    char stale[192], written[JAD_TIME_STRLEN] = "";
    jad_statusfile_describe (&file, stale, sizeof stale);
    if (file.exists && file.written_ms > 0)
        jad_time_format (file.written_ms, written);
    json_t *out = json_object ();
    json_object_set_new (out, "operation", json_string (meta.name));
    json_object_set_new (out, "running", json_boolean (running));
    json_object_set_new (out, "head_seq", json_integer ((json_int_t) head));
    json_object_set_new (out, "journal_bytes", json_integer ((json_int_t) bytes));
    json_object_set_new (out, "ingest_rate", !file.stale && st
        ? json_incref (json_object_get (st, "ingest_rate")) : json_real (0));
    json_t *parts = st ? json_object_get (st, "participants") : NULL;
    json_object_set_new (out, "participants",
                         parts ? json_incref (parts) : json_array ());
    json_object_set_new (out, "stale", json_boolean (file.stale));
    json_object_set_new (out, "written", written[0] ? json_string (written)
                                                    : json_null ());
    if (parts && file.stale) {
        size_t i;
        json_t *p;
        json_array_foreach (parts, i, p)
            json_object_set_new (p, "connected", json_false ());
    }
    if (json) {
        char *text = json_dumps (out, JSON_COMPACT);
        printf ("%s\n", text);
        free (text);
    }
    else {
        printf ("operation     %s\n", meta.name);
        printf ("hub           %s%s%s%s\n", running ? "running" : "not running",
                stale[0] ? " (" : "", stale, stale[0] ? ")" : "");
        printf ("head          %" PRIu64 "\n", head);
        printf ("journal       %" PRIu64 " bytes\n", bytes);
        printf ("ingest rate   %.1f reports/s\n",
                json_number_value (json_object_get (out, "ingest_rate")));
        size_t i;
        json_t *p;
        json_array_foreach (json_object_get (out, "participants"), i, p) {
            json_t *seen = json_object_get (p, "last_seen");
            printf ("  %-24s %-12s %-3s %-13s last seen %s\n",
                    json_string_value (json_object_get (p, "name")),
                    json_string_value (json_object_get (p, "role")),
                    json_string_value (json_object_get (p, "country")),
                    json_is_true (json_object_get (p, "connected"))
                        ? "connected" : "not connected",
                    json_is_string (seen) ? json_string_value (seen) : "never");
        }
    }
    json_decref (out);
    json_decref (st);
    return 0;
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "roster", required_argument, NULL, 'r' },
        { "key", required_argument, NULL, 'k' },
        { "listen", required_argument, NULL, 'l' },
        { "publish", required_argument, NULL, 'p' },
        { "operation", required_argument, NULL, 'o' },
        { "log-level", required_argument, NULL, 'v' },
        { "json", no_argument, NULL, 'j' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    jad_hub_config_t config = {
        .listen = "tcp://127.0.0.1:7401",
        .publish = "tcp://127.0.0.1:7402",
    };
    int status = 0, json = 0, check = 0, level = JAD_LOG_NOTICE;
    if (argc > 1 && strcmp (argv[1], "status") == 0) {
        status = 1;
        optind = 2;
    }
    char err[1024];
    int config_rc = jad_config_apply ("jad-hub", &argc, &argv, optind, opts, NULL);
    if (config_rc != 0)
        return config_rc;
    int c;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': config.data = optarg; break;
        case 'r': config.roster = optarg; break;
        case 'k': config.key = optarg; break;
        case 'l': config.listen = optarg; break;
        case 'p': config.publish = optarg; break;
        case 'o': config.operation = optarg; break;
        case 'j': json = 1; break;
        case 'C': check = 1; break;
        case 'v':
            level = jad_log_level_parse (optarg);
            if (level < 0) {
                fprintf (stderr, "jad-hub: --log-level: unknown level %s\n", optarg);
                return 2;
            }
            break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf (stderr, "jad-hub: unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    if (!config.data) {
        fprintf (stderr, "jad-hub: --data DIR is required\n");
        return 2;
    }
    if (status && check) {
        fprintf (stderr, "jad-hub: --check checks the hub's configuration, not status\n");
        return 2;
    }
    if (status)
        return s_status (config.data, json);
    if (!config.roster || !config.key) {
        fprintf (stderr, "jad-hub: --roster FILE and --key FILE are required\n");
        return 2;
    }
    if (check) {
        if (jad_hub_check (&config, err, sizeof err) != 0) {
            fprintf (stderr, "jad-hub: configuration invalid: %s\n", err);
            return 1;
        }
        printf ("jad-hub: configuration valid\n");
        return 0;
    }
    /* No core dumps: the hub's memory holds its secret key. */
    struct rlimit no_core = { 0, 0 };
    setrlimit (RLIMIT_CORE, &no_core);
    if (sodium_init () < 0) {
        fprintf (stderr, "jad-hub: libsodium failed to initialise\n");
        return 2;
    }
    jad_log_init ("hub", (jad_log_level_t) level);
    zsys_init ();
    zsys_set_logstream (NULL);
    signal (SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = s_on_hup };
    sigemptyset (&sa.sa_mask);
    sigaction (SIGHUP, &sa, NULL);

    jad_hub_t *hub = jad_hub_new (&config, err, sizeof err);
    if (!hub) {
        jad_log_error ("%s", err);
        return 2;
    }
    int rc = jad_hub_run (hub);
    jad_hub_destroy (&hub);
    return rc == 0 ? 0 : 1;
}
