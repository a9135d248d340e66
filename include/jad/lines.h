/*  lines: a bounded reader of JSON Lines input.
 *
 *  Every tool that reads reports reads them through this, so line numbers
 *  and the line-length limit mean the same everywhere.  Memory is bounded:
 *  one buffer of JAD_REPORT_LINE_MAX + 2 bytes, whatever the input holds.
 */
#ifndef JAD_LINES_H
#define JAD_LINES_H

#include <stddef.h>
#include <stdio.h>
#include "jad/report.h"

typedef struct _jad_lines_t jad_lines_t;

/* A reader of F.  F is not owned: the caller closes it after destroying
 * the reader.  NULL if memory runs out. */
jad_lines_t *jad_lines_new (FILE *f);

/* Free the reader; safe on NULL, nulls the caller's pointer. */
void jad_lines_destroy (jad_lines_t **self_p);

/* Next non-blank line.  Returns 1 with *LINE_P and *LEN_P the line without its
 * "\n" or "\r\n" (valid until the next call; it is NUL-terminated, but may
 * hold NUL bytes itself), *LINENO_P its 1-based physical line number
 * (blank lines and rejected lines count), and *TOO_LONG_P 1 if the line was
 * longer than JAD_REPORT_LINE_MAX: then its rest has been read and dropped,
 * *LINE_P holds its first JAD_REPORT_LINE_MAX + 1 bytes and *LEN_P is
 * JAD_REPORT_LINE_MAX + 1, so jad_report_json_parse() refuses it with the
 * usual message.  Blank lines (nothing but spaces, tabs and a CR) are
 * skipped.  The last line needs no final newline.  Returns 0 at the end of
 * the input, -1 on a read error (errno set). */
int jad_lines_next (jad_lines_t *self, const char **line_p, size_t *len_p,
                    size_t *lineno_p, int *too_long_p)
    __attribute__((warn_unused_result));

/* S without its leading blanks (spaces, tabs) and with its trailing
 * blanks, CR and LF cut off in place: how the line-based text files
 * (roster, key files, bundles, configuration) read a line or a value. */
char *jad_lines_trim (char *s);

#endif
