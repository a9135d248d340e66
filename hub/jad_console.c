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
"                   [--silent-after SECONDS]\n"
"       jad-console --replay DIR [--speed X] [--silent-after SECONDS]\n"
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
"Keys: arrows/PgUp/PgDn scroll, Tab switches panel, s sorts the countries,\n"
"/ filters the feed, Enter opens an entry, r composes a request, q quits.\n"
"See docs/CONSOLE.md.\n"
"\n"
"exit: 0 quit; 2 usage error, or the hub or journal cannot be used\n");
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
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *hub = NULL, *feed = NULL, *key = NULL, *hub_key = NULL;
    const char *replay = NULL;
    double speed = 0, silent_after = 60;
    int c, has_speed = 0;
    char *end;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'H': hub = optarg; break;
        case 'f': feed = optarg; break;
        case 'k': key = optarg; break;
        case 'K': hub_key = optarg; break;
        case 'r': replay = optarg; break;
        case 's':
            errno = 0;
            silent_after = strtod (optarg, &end);
            if (errno || end == optarg || *end || !(silent_after > 0)
            ||  silent_after > 86400 * 30) {
                fprintf (stderr, "jad-console: --silent-after: \"%s\" is not a "
                         "number of seconds above 0\n", optarg);
                return 2;
            }
            break;
        case 'x':
            errno = 0;
            speed = strtod (optarg, &end);
            if (errno || end == optarg || *end || !(speed > 0) || speed > 1e9) {
                fprintf (stderr, "jad-console: --speed: \"%s\" is not a number "
                         "above 0\n", optarg);
                return 2;
            }
            has_speed = 1;
            break;
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
    if (has_speed && !replay) {
        fprintf (stderr, "jad-console: --speed is for --replay\n");
        return 2;
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
    char err[512] = "";
    jad_model_t *model = jad_model_new ();
    jad_link_t *link = NULL;
    jad_ui_t *ui = NULL;
    if (!model) {
        fprintf (stderr, "jad-console: out of memory\n");
        goto out;
    }
    link = replay ? jad_link_new_replay (replay, speed, err, sizeof err)
                  : jad_link_new_live (hub, feed, key, hub_key, err, sizeof err);
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
