/*  console_ui: jad-console's screen — ncurses drawing and the keys.
 *
 *  Panels, top to bottom: a header line (operation, elapsed and remaining
 *  time, feed position, link state), the totals (lib/figures.c's, as
 *  jad-report prints them), the countries (sortable; a country silent
 *  longer than the threshold is marked "SILENT" and shown in reverse), the
 *  feed of notable entries (filterable; Enter opens one), and a status line
 *  (keys, prompts, answers).  Everything fits 80x24; a larger terminal
 *  shows more rows.  Drawing reads the model and the link; it never
 *  blocks.  The caller redraws at most a few times a second.
 *
 *  Threads: the ui belongs to one thread (ncurses is not thread-safe).
 */
#ifndef JAD_CONSOLE_UI_H
#define JAD_CONSOLE_UI_H

#include <stdint.h>
#include "console_link.h"
#include "console_model.h"

typedef struct _jad_ui_t jad_ui_t;

/* Take over the terminal (initscr, no echo, keypad, colours).  SILENT_MS:
 * a country whose agents were last heard longer ago is highlighted.  NULL
 * when the terminal cannot be used.  Caller owns the result. */
jad_ui_t *jad_ui_new (int64_t silent_ms);

/* Give the terminal back (endwin); safe on NULL; nulls *SELF_P. */
void jad_ui_destroy (jad_ui_t **self_p);

/* Handle every key waiting, without blocking.  Returns 1 when the user
 * asked to quit, else 0; *DIRTY is set when the screen should be drawn
 * again now. */
int jad_ui_keys (jad_ui_t *self, jad_model_t *model, jad_link_t *link,
                 int *dirty);

/* Draw the whole screen from MODEL and LINK. */
void jad_ui_draw (jad_ui_t *self, jad_model_t *model, jad_link_t *link);

#endif
