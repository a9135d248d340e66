/*  lines: read JSON Lines one bounded line at a time.
 *
 *  getline() would buffer a hostile multi-gigabyte line whole; this reader
 *  keeps at most JAD_REPORT_LINE_MAX + 1 bytes of a line and skips the rest.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "jad/lines.h"

struct _jad_lines_t {
    FILE *f;                    /* input, not owned */
    size_t lineno;              /* physical lines read so far */
    char *buf;                  /* JAD_REPORT_LINE_MAX + 2 bytes */
};

jad_lines_t *
jad_lines_new (FILE *f)
{
    assert (f);
    jad_lines_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->f = f;
    self->buf = malloc (JAD_REPORT_LINE_MAX + 2);
    if (!self->buf) {
        free (self);
        return NULL;
    }
    return self;
}

void
jad_lines_destroy (jad_lines_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free ((*self_p)->buf);
        free (*self_p);
        *self_p = NULL;
    }
}

static int
s_blank (const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int
jad_lines_next (jad_lines_t *self, const char **line_p, size_t *len_p,
                size_t *lineno_p, int *too_long_p)
{
    assert (self);
    for (;;) {
        size_t len = 0;         /* bytes kept in buf */
        size_t total = 0;       /* bytes of the line, without "\n" */
        int c, any = 0;
        /* Keep one byte past the limit, so a line of exactly the limit plus
         * a "\r" is still whole, and anything longer is known too long. */
        const size_t keep = JAD_REPORT_LINE_MAX + 1;
        while ((c = getc_unlocked (self->f)) != EOF) {
            any = 1;
            if (c == '\n')
                break;
            if (len < keep)
                self->buf[len++] = (char) c;
            total++;
        }
        if (c == EOF && ferror (self->f))
            return -1;
        if (!any)
            return 0;
        self->lineno++;
        /* A CRLF line's "\r" does not count against the limit. */
        if (total > 0 && total <= keep && self->buf[total - 1] == '\r') {
            total--;
            len--;
        }
        if (total == 0 || (total <= JAD_REPORT_LINE_MAX && s_blank (self->buf, len)))
            continue;
        int too_long = total > JAD_REPORT_LINE_MAX;
        if (too_long)
            len = keep;
        self->buf[len] = '\0';
        *line_p = self->buf;
        *len_p = len;
        *lineno_p = self->lineno;
        *too_long_p = too_long;
        return 1;
    }
}

char *
jad_lines_trim (char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen (s);
    while (n > 0 && (s [n - 1] == ' ' || s [n - 1] == '\t'
                 ||  s [n - 1] == '\r' || s [n - 1] == '\n'))
        s [--n] = '\0';
    return s;
}
