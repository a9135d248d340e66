/*  console_ui: the screen and the keys.  See console_ui.h.
 *
 *  The ui keeps only view state (focus, selection, sort, filter, the open
 *  prompt); everything it shows is read from the model at each draw.
 */
#include <ctype.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>
#include <jansson.h>

#include "jad/figures.h"
#include "jad/report_json.h"
#include "jad/timefmt.h"
#include "jad.pb-c.h"
#include "jad/report.h"
#include "console_ui.h"

#define S_PROMPT_MAX   512

enum { S_FOCUS_COUNTRIES = 0, S_FOCUS_FEED, S_FOCUS_COUNT };
enum { S_PROMPT_NONE = 0, S_PROMPT_FILTER, S_PROMPT_TO, S_PROMPT_PRIORITY,
       S_PROMPT_TEXT };
enum { S_SORT_ROSTER = 0, S_SORT_COUNTRY, S_SORT_CHECKS, S_SORT_HITS,
       S_SORT_SEIZURES, S_SORT_ARRESTS, S_SORT_LAST, S_SORT_SILENCE,
       S_SORT_COUNT };
static const char *s_sort_names[S_SORT_COUNT] = { "roster", "country",
    "checks", "hits", "seizures", "arrests", "last report", "silence" };

struct _jad_ui_t {
    int64_t  silent_ms;         /* highlight threshold */
    int      focus;             /* S_FOCUS_* */
    int      sort;              /* S_SORT_* */
    size_t   sel[S_FOCUS_COUNT];    /* selected row in each panel */
    size_t   top[S_FOCUS_COUNT];    /* first row shown */
    size_t   page[S_FOCUS_COUNT];   /* rows shown at the last draw */
    size_t   rows[S_FOCUS_COUNT];   /* rows there were at the last draw */
    char     filter[64];        /* feed filter: country codes and kinds */
    int      prompt;            /* S_PROMPT_* being typed */
    char     input[S_PROMPT_MAX];
    size_t   input_len;
    char     req_to[S_PROMPT_MAX];      /* the request being composed */
    char     req_priority[16];
    char     status[256];       /* last message for the status line */
    uint64_t detail_seq;        /* the entry shown in detail; 0: none */
    int      detail_scroll;
    int      colors;
    jad_model_country_t countries[JAD_MODEL_COUNTRIES_MAX];
};

jad_ui_t *
jad_ui_new (int64_t silent_ms)
{
    jad_ui_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->silent_ms = silent_ms;
    setlocale (LC_ALL, "");
    if (!initscr ()) {
        free (self);
        return NULL;
    }
    cbreak ();
    noecho ();
    nonl ();
    keypad (stdscr, TRUE);
    nodelay (stdscr, TRUE);
    curs_set (0);
    set_escdelay (50);
    if (has_colors () && start_color () == OK) {
        use_default_colors ();
        init_pair (1, COLOR_WHITE, COLOR_RED);      /* silent */
        init_pair (2, COLOR_YELLOW, -1);            /* notable kinds */
        init_pair (3, COLOR_CYAN, -1);              /* panel titles */
        self->colors = 1;
    }
    return self;
}

void
jad_ui_destroy (jad_ui_t **self_p)
{
    jad_ui_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    endwin ();
    free (self);
    *self_p = NULL;
}

/* ------------------------------------------------------------ helpers */

/* "3d 04:05" for a duration in ms. */
static void
s_duration (int64_t ms, char *buf, size_t len)
{
    if (ms < 0)
        ms = 0;
    int64_t m = ms / 60000;
    if (m >= 1440)
        snprintf (buf, len, "%" PRId64 "d %02" PRId64 ":%02" PRId64,
                  m / 1440, m % 1440 / 60, m % 60);
    else
        snprintf (buf, len, "%02" PRId64 ":%02" PRId64, m / 60, m % 60);
}

/* "11-16 07:00" (UTC) for a time in ms; "-" for 0. */
static void
s_when (int64_t ms, char *buf, size_t len)
{
    char t[JAD_TIME_STRLEN];
    if (ms <= 0) {
        snprintf (buf, len, "-");
        return;
    }
    jad_time_format (ms, t);
    snprintf (buf, len, "%.5s %.5s", t + 5, t + 11);
}

/* Write TEXT at row Y from column X, cut at the screen's edge, padded
 * with blanks to the edge when PAD. */
static void
s_line (int y, int x, const char *text, int pad)
{
    int w = COLS - x;
    if (y < 0 || y >= LINES || w <= 0)
        return;
    mvaddnstr (y, x, text, w);
    if (pad) {
        int cy, cx;
        getyx (stdscr, cy, cx);
        (void) cy;
        for (; cx < COLS; cx++)
            addch (' ');
    }
}

static void
s_title (jad_ui_t *self, int y, const char *text, int focused)
{
    attr_t a = A_BOLD | (focused ? A_REVERSE : 0);
    if (self->colors && !focused)
        a |= COLOR_PAIR (3);
    attron (a);
    s_line (y, 0, text, 1);
    attroff (a);
}

/* 1 when note N passes the feed filter: every word of it is a country
 * code (two letters) equal to N's, N's kind, or the start of N's kind when
 * the word is no kind's whole name ("req" finds requests and their acks,
 * "request" requests only). */
static int
s_filter_match (const char *filter, const jad_model_note_t *n)
{
    char buf[64];
    snprintf (buf, sizeof buf, "%s", filter);
    for (char *save = NULL, *w = strtok_r (buf, " ,", &save); w;
         w = strtok_r (NULL, " ,", &save)) {
        if (strlen (w) == 2 && toupper ((unsigned char) w[0]) == n->country[0]
        &&  toupper ((unsigned char) w[1]) == n->country[1])
            continue;
        if (strcasecmp (n->kind, w) == 0)
            continue;
        if (jad_report_enum_parse (JAD_REPORT_ENUM_TYPE, w) < 0
        &&  strncasecmp (n->kind, w, strlen (w)) == 0)
            continue;
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ panels */

static void
s_draw_header (jad_ui_t *self, jad_model_t *model, jad_link_t *link, int live)
{
    (void) self;
    char line[512], el[32], rem[32], a[32], b[32];
    int64_t start = jad_model_start_ms (model), end = jad_model_end_ms (model);
    int64_t now = live ? jad_time_now_ms () : jad_model_latest_ms (model);
    const char *op = jad_model_operation (model);
    if (start && now) {
        s_duration (now - start, el, sizeof el);
        s_duration (end - now, rem, sizeof rem);
    }
    else
        snprintf (el, sizeof el, "-"), snprintf (rem, sizeof rem, "-");
    snprintf (line, sizeof line, " %s | elapsed %s left %s | seq %s/%s | %s%s",
              *op ? op : "(no roster yet)", el, now > end && end ? "0 (ended)" : rem,
              jad_figures_num (jad_model_head (model), a), jad_figures_num (jad_link_hub_head (link), b),
              jad_link_state (link),
              jad_model_bad (model) ? " | undecodable entries!" : "");
    attron (A_REVERSE | A_BOLD);
    s_line (0, 0, line, 1);
    attroff (A_REVERSE | A_BOLD);
}

/* Append " (name n, name n)" for each key of OBJ (a by_* map) to OUT. */
static void
s_map (const json_t *obj, char *out, size_t len)
{
    const char *key;
    json_t *v;
    char n[32];
    size_t o = strlen (out);
    int first = 1;
    json_object_foreach ((json_t *) obj, key, v) {
        if (!json_is_integer (v) || o + 2 >= len)
            continue;
        int w = snprintf (out + o, len - o, "%s%s %s", first ? " (" : ", ", key,
                          jad_figures_num ((uint64_t) json_integer_value (v), n));
        if (w < 0)
            break;
        o += (size_t) w < len - o ? (size_t) w : len - o - 1;
        first = 0;
    }
    if (!first && o + 2 < len)
        snprintf (out + o, len - o, ")");
}

/* Flows items into lines of the screen's width. */
typedef struct {
    int  y, first_y, last_y;    /* current line, and the lines it may use */
    char line[1024];
} s_flow_t;

static void
s_flow_add (s_flow_t *fl, const char *item)
{
    size_t l = strlen (fl->line), il = strlen (item);
    if (l > 1 && l + 2 + il > (size_t) COLS && fl->y < fl->last_y) {
        s_line (fl->y++, 0, fl->line, 1);
        fl->line[0] = 0;
        l = 0;
    }
    snprintf (fl->line + l, sizeof fl->line - l, "%s%s", l ? "  " : " ", item);
}

/* "LABEL N" (with the by_* map MAP when not NULL) as one item. */
static void
s_flow_num (s_flow_t *fl, const char *label, uint64_t n, const char *unit,
            const json_t *map)
{
    char item[512], a[32];
    snprintf (item, sizeof item, "%s %s%s", label, jad_figures_num (n, a), unit);
    if (map)
        s_map (map, item, sizeof item);
    s_flow_add (fl, item);
}

/* The totals: a title and five lines, the figures flowed into them in the
 * order a press release gives them.  Returns the rows used. */
static int
s_draw_totals (jad_ui_t *self, const json_t *f, int y)
{
    s_title (self, y++, " Totals", 0);
    s_flow_t fl = { y, y, y + 4, "" };
    const json_t *sz = json_object_get (f, "seizures");
    s_flow_num (&fl, "reports", jad_figures_get (f, "reports"), "", NULL);
    s_flow_num (&fl, "countries", jad_figures_get (f, "countries"), "", NULL);
    s_flow_num (&fl, "officers", jad_figures_get (f, "officers"), "", NULL);
    s_flow_num (&fl, "checked: persons", jad_figures_get (f, "checks.persons"), "", NULL);
    s_flow_num (&fl, "vehicles", jad_figures_get (f, "checks.vehicles"), "", NULL);
    s_flow_num (&fl, "parcels", jad_figures_get (f, "checks.parcels"), "", NULL);
    s_flow_num (&fl, "premises", jad_figures_get (f, "checks.premises"), "", NULL);
    s_flow_num (&fl, "db searches", jad_figures_get (f, "checks.db_searches"), "", NULL);
    s_flow_num (&fl, "hits", jad_figures_get (f, "hits.total"), "",
                json_object_get (json_object_get (f, "hits"), "by_database"));
    s_flow_num (&fl, "arrests", jad_figures_get (f, "arrests.total"), "",
                json_object_get (json_object_get (f, "arrests"), "by_charge"));
    s_flow_num (&fl, "seized: firearms", jad_figures_get (sz, "firearms.total"), "",
                json_object_get (json_object_get (sz, "firearms"), "by_type"));
    s_flow_num (&fl, "parts", jad_figures_get (sz, "firearm_parts"), "", NULL);
    s_flow_num (&fl, "ammunition", jad_figures_get (sz, "ammunition"), "", NULL);
    s_flow_num (&fl, "grenades", jad_figures_get (sz, "grenades"), "", NULL);
    s_flow_num (&fl, "explosives", jad_figures_get (sz, "explosives_grams"), " g", NULL);
    s_flow_num (&fl, "other weapons", jad_figures_get (sz, "other_weapons"), "", NULL);
    s_flow_num (&fl, "drugs", jad_figures_get (sz, "drugs_grams.total"), " g",
                json_object_get (json_object_get (sz, "drugs_grams"), "by_type"));
    if (json_object_size (json_object_get (sz, "cash"))) {
        char item[512] = "cash";
        s_map (json_object_get (sz, "cash"), item, sizeof item);
        s_flow_add (&fl, item);
    }
    s_flow_num (&fl, "vehicles", jad_figures_get (sz, "vehicles"), "", NULL);
    s_flow_num (&fl, "documents", jad_figures_get (sz, "documents"), "", NULL);
    s_flow_num (&fl, "illegal entries", jad_figures_get (f, "detections.illegal_entry"), "", NULL);
    s_flow_num (&fl, "forged documents", jad_figures_get (f, "detections.forged_document"), "", NULL);
    s_flow_num (&fl, "cyber targets", jad_figures_get (f, "cyber_targets.total"), "", NULL);
    s_flow_num (&fl, "investigations", jad_figures_get (f, "investigations"), "", NULL);
    s_line (fl.y++, 0, fl.line, 1);
    while (fl.y <= fl.last_y)
        s_line (fl.y++, 0, "", 1);
    return 6;
}

static int
s_silent (const jad_ui_t *self, const jad_model_country_t *c)
{
    return c->has_health && c->silent_ms > self->silent_ms;
}

static jad_ui_t *s_sort_ui;     /* qsort has no argument */

static int
s_country_cmp (const void *pa, const void *pb)
{
    const jad_model_country_t *a = pa, *b = pb;
    int64_t x = 0, y = 0;
    switch (s_sort_ui->sort) {
    case S_SORT_COUNTRY:  return strcmp (a->cc, b->cc);
    case S_SORT_CHECKS:   x = (int64_t) b->checks; y = (int64_t) a->checks; break;
    case S_SORT_HITS:     x = (int64_t) b->hits; y = (int64_t) a->hits; break;
    case S_SORT_SEIZURES: x = (int64_t) b->seizures; y = (int64_t) a->seizures; break;
    case S_SORT_ARRESTS:  x = (int64_t) b->arrests; y = (int64_t) a->arrests; break;
    case S_SORT_LAST:     x = b->last_report_ms; y = a->last_report_ms; break;
    case S_SORT_SILENCE:  x = b->silent_ms; y = a->silent_ms; break;
    default: return 0;
    }
    return x < y ? -1 : x > y ? 1 : strcmp (a->cc, b->cc);
}

/* Keep the selection of panel P visible in PAGE rows of N. */
static void
s_scroll (jad_ui_t *self, int p, size_t n, size_t page)
{
    if (n == 0)
        self->sel[p] = 0;
    else
    if (self->sel[p] >= n)
        self->sel[p] = n - 1;
    if (self->sel[p] < self->top[p])
        self->top[p] = self->sel[p];
    if (page && self->sel[p] >= self->top[p] + page)
        self->top[p] = self->sel[p] - page + 1;
    if (self->top[p] + page > n)
        self->top[p] = n > page ? n - page : 0;
    self->page[p] = page;
    self->rows[p] = n;
}

static void
s_draw_countries (jad_ui_t *self, jad_model_t *model, const json_t *f,
                  int y, int h)
{
    size_t n = jad_model_countries (model, f, self->countries, JAD_MODEL_COUNTRIES_MAX);
    size_t silent = 0;
    for (size_t i = 0; i < n; i++)
        silent += s_silent (self, &self->countries[i]);
    if (self->sort != S_SORT_ROSTER) {
        s_sort_ui = self;
        qsort (self->countries, n, sizeof *self->countries, s_country_cmp);
    }
    char l[512], a[32], b[32], c[32], d[32], e[32], w[32];
    snprintf (l, sizeof l, " Countries %zu (sort: %s)%s%s", n,
              s_sort_names[self->sort], silent ? "  silent: " : "",
              silent ? jad_figures_num (silent, a) : "");
    s_title (self, y++, l, self->focus == S_FOCUS_COUNTRIES);
    attron (A_UNDERLINE);
    s_line (y++, 0, "  CC officers   checks   hits seizures arrests last report "
                    "link", 1);
    attroff (A_UNDERLINE);
    size_t page = h > 2 ? (size_t) (h - 2) : 0;
    s_scroll (self, S_FOCUS_COUNTRIES, n, page);
    for (size_t r = 0; r < page; r++) {
        size_t i = self->top[S_FOCUS_COUNTRIES] + r;
        if (i >= n) {
            s_line (y + (int) r, 0, "", 1);
            continue;
        }
        const jad_model_country_t *ct = &self->countries[i];
        char link[96];
        int sil = s_silent (self, ct);
        if (!ct->has_health)
            snprintf (link, sizeof link, "?");
        else
        if (ct->silent_ms == INT64_MAX)
            snprintf (link, sizeof link, "SILENT never heard");
        else
        if (sil)
            snprintf (link, sizeof link, "SILENT %" PRId64 "s outbox %" PRIu64
                      " lag %" PRIu64, ct->silent_ms / 1000, ct->outbox_depth,
                      ct->mirror_lag);
        else
            snprintf (link, sizeof link, "%s %" PRId64 "s outbox %" PRIu64
                      " lag %" PRIu64, ct->connected ? "ok" : "down",
                      ct->silent_ms / 1000, ct->outbox_depth, ct->mirror_lag);
        s_when (ct->last_report_ms, w, sizeof w);
        snprintf (l, sizeof l, "%c %-2s %8s %8s %6s %8s %7s %-11s %s",
                  sil ? '!' : ' ', ct->cc, jad_figures_num (ct->officers, a),
                  jad_figures_num (ct->checks, b), jad_figures_num (ct->hits, c),
                  jad_figures_num (ct->seizures, d), jad_figures_num (ct->arrests, e), w, link);
        attr_t at = 0;
        if (sil)
            at |= self->colors ? COLOR_PAIR (1) | A_BOLD : A_BOLD;
        if (self->focus == S_FOCUS_COUNTRIES && i == self->sel[S_FOCUS_COUNTRIES])
            at |= A_REVERSE;
        attron (at);
        s_line (y + (int) r, 0, l, 1);
        attroff (at);
    }
}

/* The feed's rows, newest first, that pass the filter: indices into the
 * model's notes, into OUT (at most MAX). */
static size_t
s_feed_rows (jad_ui_t *self, jad_model_t *model, size_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = jad_model_notes (model); i-- > 0 && n < max;) {
        const jad_model_note_t *note = jad_model_note (model, i);
        if (!self->filter[0] || s_filter_match (self->filter, note))
            out[n++] = i;
    }
    return n;
}

static void
s_note_line (const jad_model_note_t *n, char *l, size_t len)
{
    char w[32];
    s_when (n->time_ms, w, sizeof w);
    if (strcmp (n->kind, "request") == 0)
        snprintf (l, len, " %s %-2s %-11s acks %u%s%s%s %s", w, n->country[0] ? n->country : "--",
                  n->kind, n->acks, n->acked_by[0] ? " [" : "", n->acked_by,
                  n->acked_by[0] ? "]" : "", n->summary);
    else
        snprintf (l, len, " %s %-2s %-11s %s", w, n->country[0] ? n->country : "--",
                  n->kind, n->summary);
}

static void
s_draw_feed (jad_ui_t *self, jad_model_t *model, int y, int h)
{
    static size_t rows[JAD_MODEL_NOTES_MAX];
    size_t n = s_feed_rows (self, model, rows, JAD_MODEL_NOTES_MAX);
    char l[512];
    snprintf (l, sizeof l, " Feed: %zu notable%s%s%s", n,
              self->filter[0] ? " (filter: " : "", self->filter,
              self->filter[0] ? ")" : "");
    s_title (self, y++, l, self->focus == S_FOCUS_FEED);
    size_t page = h > 1 ? (size_t) (h - 1) : 0;
    s_scroll (self, S_FOCUS_FEED, n, page);
    for (size_t r = 0; r < page; r++) {
        size_t i = self->top[S_FOCUS_FEED] + r;
        if (i >= n) {
            s_line (y + (int) r, 0, "", 1);
            continue;
        }
        s_note_line (jad_model_note (model, rows[i]), l, sizeof l);
        attr_t at = self->focus == S_FOCUS_FEED && i == self->sel[S_FOCUS_FEED]
                  ? A_REVERSE : 0;
        attron (at);
        s_line (y + (int) r, 0, l, 1);
        attroff (at);
    }
}

static const jad_model_note_t *
s_note_by_seq (jad_model_t *model, uint64_t seq)
{
    for (size_t i = jad_model_notes (model); i-- > 0;) {
        const jad_model_note_t *n = jad_model_note (model, i);
        if (n->seq == seq)
            return n;
        if (n->seq < seq)
            break;
    }
    return NULL;
}

/* The open entry, over the whole screen but the header and status. */
static void
s_draw_detail (jad_ui_t *self, jad_model_t *model)
{
    const jad_model_note_t *n = s_note_by_seq (model, self->detail_seq);
    char l[512], t1[JAD_TIME_STRLEN], t2[JAD_TIME_STRLEN];
    int y = 1, bottom = LINES - 1;
    s_title (self, y++, " Entry (Esc or Enter closes, arrows scroll)", 1);
    if (!n) {
        s_line (y++, 0, " (no longer kept)", 1);
        for (; y < bottom; y++)
            s_line (y, 0, "", 1);
        return;
    }
    jad_time_format (n->time_ms, t1);
    jad_time_format (n->received_ms, t2);
    const char *lines[64];
    char head[4][200];
    int nl = 0;
    snprintf (head[0], sizeof head[0], " hub_seq %" PRIu64 "  kind %s  country %s",
              n->seq, n->kind, n->country[0] ? n->country : "-");
    snprintf (head[1], sizeof head[1], " origin %s", n->origin);
    snprintf (head[2], sizeof head[2], " event %s  received %s", t1, t2);
    snprintf (head[3], sizeof head[3], " acks %u %s", n->acks, n->acked_by);
    for (int i = 0; i < 3; i++)
        lines[nl++] = head[i];
    if (strcmp (n->kind, "request") == 0)
        lines[nl++] = head[3];
    json_t *obj = n->json ? json_loads (n->json, 0, NULL) : NULL;
    char *pretty = obj ? json_dumps (obj, JSON_INDENT (2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref (obj);
    char *save = NULL;
    for (char *p = pretty ? strtok_r (pretty, "\n", &save) : NULL; p && nl < 64;
         p = strtok_r (NULL, "\n", &save))
        lines[nl++] = p;
    if (self->detail_scroll > nl - 1)
        self->detail_scroll = nl > 0 ? nl - 1 : 0;
    for (int i = self->detail_scroll; i < nl && y < bottom; i++) {
        snprintf (l, sizeof l, "%s", lines[i]);
        for (char *c = l; *c; c++)
            if ((unsigned char) *c < 0x20)
                *c = ' ';
        s_line (y++, 0, l, 1);
    }
    for (; y < bottom; y++)
        s_line (y, 0, "", 1);
    free (pretty);
}

static void
s_draw_status (jad_ui_t *self, jad_link_t *link)
{
    char l[1024];
    static const char *prompts[] = { "", "filter (country codes, kinds; empty clears): ",
        "request to (CC CC ... or all): ", "priority (routine/urgent) [routine]: ",
        "request text: " };
    if (self->prompt) {
        snprintf (l, sizeof l, "%s%s_", prompts[self->prompt], self->input);
        attron (A_BOLD);
        s_line (LINES - 1, 0, l, 1);
        attroff (A_BOLD);
        return;
    }
    const char *ans = jad_link_last_answer (link);
    if (self->status[0])
        snprintf (l, sizeof l, " %s%s%s", self->status, *ans ? " | " : "", ans);
    else
    if (*ans)
        snprintf (l, sizeof l, " %s", ans);
    else
        snprintf (l, sizeof l, " q quit  Tab panel  arrows/PgUp/PgDn scroll  s sort"
                  "  / filter  Enter open  r request");
    attron (A_REVERSE);
    s_line (LINES - 1, 0, l, 1);
    attroff (A_REVERSE);
}

void
jad_ui_draw (jad_ui_t *self, jad_model_t *model, jad_link_t *link)
{
    json_t *f = jad_model_figures (model);
    int live = strncmp (jad_link_state (link), "replay", 6) != 0;
    erase ();
    s_draw_header (self, model, link, live);
    if (self->detail_seq)
        s_draw_detail (self, model);
    else {
        int y = 1;
        y += s_draw_totals (self, f, y);
        int left = LINES - 1 - y;      /* minus the status line */
        if (left < 4)
            left = 4;
        int hc = left / 2 + 1, hf = left - hc;
        s_draw_countries (self, model, f, y, hc);
        s_draw_feed (self, model, y + hc, hf);
    }
    s_draw_status (self, link);
    json_decref (f);
    refresh ();
}

/* ------------------------------------------------------------ keys */

static void
s_prompt (jad_ui_t *self, int which, const char *initial)
{
    self->prompt = which;
    snprintf (self->input, sizeof self->input, "%s", initial);
    self->input_len = strlen (self->input);
}

/* Build and send the composed request. */
static void
s_request_send (jad_ui_t *self, jad_model_t *model, jad_link_t *link,
                const char *text)
{
    json_t *req = json_object ();
    json_object_set_new (req, "type", json_string ("request"));
    json_object_set_new (req, "text", json_string (text));
    if (strcasecmp (self->req_to, "all") == 0 || !self->req_to[0])
        json_object_set_new (req, "to", json_string ("all"));
    else {
        json_t *to = json_array ();
        char buf[S_PROMPT_MAX];
        snprintf (buf, sizeof buf, "%s", self->req_to);
        for (char *save = NULL, *w = strtok_r (buf, " ,", &save); w;
             w = strtok_r (NULL, " ,", &save)) {
            for (char *c = w; *c; c++)
                *c = (char) toupper ((unsigned char) *c);
            json_array_append_new (to, json_string (w));
        }
        json_object_set_new (req, "to", to);
    }
    json_object_set_new (req, "priority", json_string (self->req_priority));
    char *line = json_dumps (req, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (req);
    char err[256];
    if (!line)
        snprintf (self->status, sizeof self->status, "out of memory");
    else
    if (jad_link_request (link, model, line, err, sizeof err) != 0)
        snprintf (self->status, sizeof self->status, "request %.200s", err);
    else
        self->status[0] = 0;
    free (line);
}

/* Whether this build knows the request kind (issue 6). */
static int
s_requests_available (char *why, size_t len)
{
    static const char *sample =
        "{\"type\":\"request\",\"text\":\"x\",\"to\":\"all\",\"priority\":\"routine\"}";
    Jad__Report *r = NULL;
    int64_t t;
    int has_t;
    if (jad_report_json_parse (sample, strlen (sample), NULL, &r, &t, &has_t,
                               why, len) != 0)
        return 0;
    jad__report__free_unpacked (r, NULL);
    return 1;
}

static void
s_prompt_done (jad_ui_t *self, jad_model_t *model, jad_link_t *link)
{
    int which = self->prompt;
    self->prompt = S_PROMPT_NONE;
    switch (which) {
    case S_PROMPT_FILTER:
        snprintf (self->filter, sizeof self->filter, "%.63s", self->input);
        self->sel[S_FOCUS_FEED] = self->top[S_FOCUS_FEED] = 0;
        break;
    case S_PROMPT_TO:
        snprintf (self->req_to, sizeof self->req_to, "%s", self->input);
        s_prompt (self, S_PROMPT_PRIORITY, "");
        break;
    case S_PROMPT_PRIORITY:
        if (!self->input[0] || strcasecmp (self->input, "routine") == 0)
            snprintf (self->req_priority, sizeof self->req_priority, "routine");
        else
        if (strcasecmp (self->input, "urgent") == 0)
            snprintf (self->req_priority, sizeof self->req_priority, "urgent");
        else {
            snprintf (self->status, sizeof self->status,
                      "priority is routine or urgent: request cancelled");
            break;
        }
        s_prompt (self, S_PROMPT_TEXT, "");
        break;
    case S_PROMPT_TEXT:
        if (!self->input[0]) {
            snprintf (self->status, sizeof self->status, "empty text: request cancelled");
            break;
        }
        s_request_send (self, model, link, self->input);
        break;
    default:
        break;
    }
}

static void
s_prompt_key (jad_ui_t *self, int ch, jad_model_t *model, jad_link_t *link)
{
    if (ch == 27) {                             /* Esc */
        self->prompt = S_PROMPT_NONE;
        snprintf (self->status, sizeof self->status, "cancelled");
    }
    else
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER)
        s_prompt_done (self, model, link);
    else
    if (ch == 21) {                             /* Ctrl-U: clear */
        self->input_len = 0;
        self->input[0] = 0;
    }
    else
    if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        /* Remove one UTF-8 character. */
        while (self->input_len > 0) {
            unsigned char c = (unsigned char) self->input[--self->input_len];
            if ((c & 0xC0) != 0x80)
                break;
        }
        self->input[self->input_len] = 0;
    }
    else
    if (ch >= 0x20 && ch < 0x100 && ch != 0x7f && self->input_len + 1 < sizeof self->input) {
        self->input[self->input_len++] = (char) ch;
        self->input[self->input_len] = 0;
    }
}

static void
s_move (jad_ui_t *self, long delta)
{
    int p = self->focus;
    long s = (long) self->sel[p] + delta;
    if (s < 0)
        s = 0;
    if (self->rows[p] && s >= (long) self->rows[p])
        s = (long) self->rows[p] - 1;
    self->sel[p] = (size_t) s;
}

int
jad_ui_keys (jad_ui_t *self, jad_model_t *model, jad_link_t *link, int *dirty)
{
    int ch;
    char why[256];
    while ((ch = getch ()) != ERR) {
        *dirty = 1;
        if (ch == KEY_RESIZE) {
            clear ();
            continue;
        }
        if (self->prompt) {
            s_prompt_key (self, ch, model, link);
            continue;
        }
        self->status[0] = 0;
        if (self->detail_seq) {
            if (ch == 27 || ch == '\n' || ch == '\r' || ch == KEY_ENTER || ch == KEY_BACKSPACE)
                self->detail_seq = 0;
            else
            if (ch == KEY_DOWN || ch == KEY_NPAGE)
                self->detail_scroll += ch == KEY_DOWN ? 1 : 10;
            else
            if ((ch == KEY_UP || ch == KEY_PPAGE) && self->detail_scroll > 0)
                self->detail_scroll -= ch == KEY_UP ? 1 : (self->detail_scroll < 10 ? self->detail_scroll : 10);
            else
            if (ch == 'q')
                return 1;
            continue;
        }
        switch (ch) {
        case 'q': case 'Q':
            return 1;
        case '\t': case KEY_BTAB:
            self->focus = (self->focus + 1) % S_FOCUS_COUNT;
            break;
        case KEY_UP:    s_move (self, -1); break;
        case KEY_DOWN:  s_move (self, 1); break;
        case KEY_PPAGE: s_move (self, -(long) (self->page[self->focus] ? self->page[self->focus] : 1)); break;
        case KEY_NPAGE: s_move (self, (long) (self->page[self->focus] ? self->page[self->focus] : 1)); break;
        case KEY_HOME:  self->sel[self->focus] = 0; break;
        case KEY_END:   s_move (self, (long) self->rows[self->focus]); break;
        case 's':
            self->sort = (self->sort + 1) % S_SORT_COUNT;
            self->focus = S_FOCUS_COUNTRIES;
            break;
        case '/':
            self->focus = S_FOCUS_FEED;
            s_prompt (self, S_PROMPT_FILTER, self->filter);
            break;
        case '\n': case '\r': case KEY_ENTER:
            if (self->focus == S_FOCUS_FEED) {
                static size_t rows[JAD_MODEL_NOTES_MAX];
                size_t n = s_feed_rows (self, model, rows, JAD_MODEL_NOTES_MAX);
                if (self->sel[S_FOCUS_FEED] < n) {
                    self->detail_seq = jad_model_note (model, rows[self->sel[S_FOCUS_FEED]])->seq;
                    self->detail_scroll = 0;
                }
            }
            else {
                /* A country: filter the feed by it. */
                if (self->sel[S_FOCUS_COUNTRIES] < self->rows[S_FOCUS_COUNTRIES]) {
                    snprintf (self->filter, sizeof self->filter, "%s",
                              self->countries[self->sel[S_FOCUS_COUNTRIES]].cc);
                    self->focus = S_FOCUS_FEED;
                    self->sel[S_FOCUS_FEED] = self->top[S_FOCUS_FEED] = 0;
                }
            }
            break;
        case 'r':
            if (strncmp (jad_link_state (link), "replay", 6) == 0)
                snprintf (self->status, sizeof self->status,
                          "requests: not available in replay");
            else
            if (!s_requests_available (why, sizeof why))
                snprintf (self->status, sizeof self->status,
                          "requests: not available in this build (%.180s)", why);
            else
                s_prompt (self, S_PROMPT_TO, "");
            break;
        default:
            break;
        }
    }
    return 0;
}
