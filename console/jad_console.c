/*  jad-console: the coordinators' live picture of the operation (issue 6).
 *
 *  Connects to a hub as a coordinator or observer (its key on the roster),
 *  catches up from the journal and follows the live feed; or replays a
 *  journal directory.  Three modules do the work, one noun each:
 *  console_link (where entries come from), console_model (what they add
 *  up to, with lib/figures.c, so the totals are jad-report's) and
 *  console_ui (ncurses).  docs/CONSOLE.md is the user's guide.
 *
 *  The loop: pump the link for up to 50 ms (decoding as fast as entries
 *  come), handle the keys, and redraw when a key asks for it or 200 ms
 *  have passed: at most five full redraws a second from the feed, however
 *  fast it runs.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>

#include "jad/config.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/timefmt.h"
#include "console_link.h"
#include "console_model.h"
#include "console_ui.h"

#define S_PUMP_MS        50     /* link budget per loop turn */
#define S_REDRAW_MS     200     /* periodic redraw: five a second at most */
#define S_KEY_REDRAW_MS  30     /* a key redraws sooner, but not in a burst */

static volatile sig_atomic_t s_stop;

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
"usage: jad-console --hub ENDPOINT --feed ENDPOINT --key FILE --hub-key FILE\n"
"                   [--silent-after SECONDS] [--config FILE] [--check]\n"
"       jad-console --replay DIR [--speed X] [--silent-after SECONDS]\n"
"                   [--config FILE] [--check]\n"
"\n"
"The operation's live picture in the terminal: header, totals (as\n"
"jad-report counts them), countries, and the feed of notable entries.\n"
"  --hub       the hub's collector endpoint (its --listen)\n"
"  --feed      the hub's feed endpoint (its --publish)\n"
"  --key       this console's secret key file (a coordinator or observer\n"
"              on the roster)\n"
"  --hub-key   the hub's public key file\n"
"  --silent-after  highlight a country none of whose agents was heard for\n"
"              this many seconds (default 60)\n"
"  --replay    play the journal of DIR (a hub's data directory, an agent's,\n"
"              or a journal) instead of connecting\n"
"  --speed     replay paced by event time, X times real time (default: as\n"
"              fast as it decodes)\n"
"  --config    settings from FILE, 'key = value' lines, a key being one of\n"
"              these options' names; the command line wins\n"
"  --check     check the options, endpoints and key files (or that the\n"
"              journal opens) and exit, connecting to nothing\n"
"Keys: arrows/PgUp/PgDn scroll, Tab switches panel, s sorts the countries,\n"
"/ filters the feed, Enter opens an entry, r composes a request, q quits.\n"
"See docs/CONSOLE.md.\n"
"\n"
"exit: 0 quit (--check: valid); 1 --check: invalid; 2 usage error, or the\n"
"hub or journal cannot be used\n");
}

/* --silent-after, --speed: a number above 0 and at most MAX (WHAT says so
 * in the error).  0, or -1 with ERR. */
static int
s_positive (const char *name, const char *text, double max, const char *what,
            double *v_p, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    *v_p = strtod (text, &end);
    if (errno || end == text || *end || !(*v_p > 0) || *v_p > max) {
        snprintf (err, errlen, "--%s: \"%s\" is not %s", name, text, what);
        return -1;
    }
    return 0;
}

/* The replay link of DIR (its journal opened read-only).  0, or -1 with
 * ERR. */
static int
s_open_replay (const char *dir, double speed, jad_link_t **link_p,
               char *err, size_t errlen)
{
    char why[512];
    *link_p = jad_link_new_replay (dir, speed, why, sizeof why);
    if (!*link_p) {
        snprintf (err, errlen, "--replay: %s", why);
        return -1;
    }
    return 0;
}

/* A live console's settings checked without connecting, for the run and
 * for --check alike: the endpoints' syntax, our secret key, the hub's
 * public key.  0, or -1 with ERR naming the option. */
static int
s_check_live (const char *hub, const char *feed, const char *key,
              const char *hub_key, char *err, size_t errlen)
{
    char why[512];
    if (jad_config_check_endpoint ("hub", hub, err, errlen) != 0
    ||  jad_config_check_endpoint ("feed", feed, err, errlen) != 0)
        return -1;
    jad_keys_t *keys = jad_keys_load (key, why, sizeof why);
    if (!keys || !jad_keys_has_secret (keys)) {
        if (keys)
            snprintf (err, errlen, "--key: %s: not a secret key file", key);
        else
            snprintf (err, errlen, "--key: %s", why);
        jad_keys_destroy (&keys);
        return -1;
    }
    jad_keys_destroy (&keys);
    keys = jad_keys_load (hub_key, why, sizeof why);
    if (!keys) {
        snprintf (err, errlen, "--hub-key: %s", why);
        return -1;
    }
    jad_keys_destroy (&keys);
    return 0;
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "hub", required_argument, NULL, 'H' },
        { "feed", required_argument, NULL, 'f' },
        { "key", required_argument, NULL, 'k' },
        { "hub-key", required_argument, NULL, 'K' },
        { "silent-after", required_argument, NULL, 's' },
        { "replay", required_argument, NULL, 'r' },
        { "speed", required_argument, NULL, 'x' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *hub = NULL, *feed = NULL, *key = NULL, *hub_key = NULL;
    const char *replay = NULL, *speed_arg = NULL, *silent_arg = NULL;
    double speed = 0, silent_after = 60;
    int c, check = 0;
    char err[1024] = "";
    int config_rc = jad_config_apply ("jad-console", &argc, &argv, 1, opts, NULL);
    if (config_rc != 0)
        return config_rc;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'H': hub = optarg; break;
        case 'f': feed = optarg; break;
        case 'k': key = optarg; break;
        case 'K': hub_key = optarg; break;
        case 'r': replay = optarg; break;
        case 's': silent_arg = optarg; break;
        case 'x': speed_arg = optarg; break;
        case 'C': check = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc) {
        fprintf (stderr, "jad-console: unexpected argument \"%s\" (--help for usage)\n",
                 argv[optind]);
        return 2;
    }
    if (replay && (hub || feed || key || hub_key)) {
        fprintf (stderr, "jad-console: --replay takes no --hub, --feed, --key "
                 "or --hub-key\n");
        return 2;
    }
    if (!replay && (!hub || !feed || !key || !hub_key)) {
        fprintf (stderr, "jad-console: --hub, --feed, --key and --hub-key are "
                 "required, or --replay DIR (--help for usage)\n");
        return 2;
    }
    if (speed_arg && !replay) {
        fprintf (stderr, "jad-console: --speed is for --replay\n");
        return 2;
    }
    /* The values, then what the link needs, for the run and for --check
     * alike: a replay's journal is opened here (read-only); a live link's
     * endpoints and keys are checked here, and it connects only later. */
    jad_link_t *link = NULL;
    if ((silent_arg && s_positive ("silent-after", silent_arg, 86400 * 30,
                                   "a number of seconds above 0",
                                   &silent_after, err, sizeof err) != 0)
    ||  (speed_arg && s_positive ("speed", speed_arg, 1e9, "a number above 0",
                                  &speed, err, sizeof err) != 0)
    ||  (replay ? s_open_replay (replay, speed, &link, err, sizeof err)
                : s_check_live (hub, feed, key, hub_key, err, sizeof err)) != 0) {
        fprintf (stderr, check ? "jad-console: configuration invalid: %s\n"
                               : "jad-console: %s\n", err);
        return check ? 1 : 2;
    }
    if (check) {
        jad_link_destroy (&link);
        printf ("jad-console: configuration valid\n");
        return 0;
    }
    /* Nothing may write to the terminal under ncurses: only errors are
     * logged, and czmq's own log goes nowhere. */
    jad_log_init ("console", JAD_LOG_ERROR);
    zsys_init ();
    zsys_set_logstream (NULL);
    zsys_handler_set (NULL);
    signal (SIGINT, s_on_signal);
    signal (SIGTERM, s_on_signal);
    signal (SIGHUP, s_on_signal);

    int rc = 2;
    jad_model_t *model = jad_model_new ();
    jad_ui_t *ui = NULL;
    if (!model) {
        fprintf (stderr, "jad-console: out of memory\n");
        goto out;
    }
    if (!link)
        link = jad_link_new_live (hub, feed, key, hub_key, err, sizeof err);
    if (!link) {
        fprintf (stderr, "jad-console: %s\n", err);
        goto out;
    }
    if (!isatty (STDOUT_FILENO) || !isatty (STDIN_FILENO)) {
        fprintf (stderr, "jad-console: needs a terminal\n");
        goto out;
    }
    ui = jad_ui_new ((int64_t) (silent_after * 1000));
    if (!ui) {
        fprintf (stderr, "jad-console: cannot use the terminal\n");
        goto out;
    }
    int64_t drawn = 0;
    int quit = 0;
    while (!s_stop && !quit) {
        if (jad_link_pump (link, model, S_PUMP_MS) != 0) {
            snprintf (err, sizeof err, replay ? "%s: cannot read the journal"
                      : "out of memory", replay ? replay : "");
            break;
        }
        int dirty = 0;
        quit = jad_ui_keys (ui, model, link, &dirty);
        int64_t now = jad_time_mono_ms ();
        if (!quit && (now - drawn >= S_REDRAW_MS || (dirty && now - drawn >= S_KEY_REDRAW_MS))) {
            jad_ui_draw (ui, model, link);
            drawn = now;
        }
    }
    rc = quit || s_stop ? 0 : 2;
out:
    jad_ui_destroy (&ui);
    if (rc != 0 && err[0] && model && link)
        fprintf (stderr, "jad-console: %s\n", err);
    jad_link_destroy (&link);
    jad_model_destroy (&model);
    return rc;
}
