/*  roster: parse, validate and write the operation roster (format in
 *  include/jad/roster.h).
 *
 *  Loading, parsing recorded text, saving and jad_roster_add share one
 *  set of participant checks (s_participant_add, fed the text fields of a
 *  roster line; structs go through s_participant_add_struct, which prints
 *  them as such a line first), so the simulator can never write a roster
 *  that the hub then refuses.  Formatting and saving share s_format, so a
 *  saved file is exactly jad_roster_format's canonical text.
 */
#include "jad/report.h"
#include "jad/roster.h"
#include "jad/file.h"
#include "jad/keys.h"
#include "jad/lines.h"
#include "jad/sign.h"
#include "jad/timefmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define S_LINE_MAX          1024    /* longer lines are not a roster */
#define S_PARTICIPANTS_MAX  10000   /* a bound on what one file may allocate */
#define S_FILE_MAX          (16 * 1024 * 1024)  /* larger is not a roster */

struct _jad_roster_t {
    char    operation [JAD_ROSTER_OPERATION_MAX + 1];  /* operation name */
    uint8_t id [JAD_ROSTER_ID_BYTES];   /* operation id */
    int64_t start_ms;       /* planned start, ms since the epoch */
    int64_t end_ms;         /* planned end */
    jad_participant_t *parts;   /* participants, in file order */
    size_t  size;           /* participants in use */
    size_t  cap;            /* participants allocated */
    size_t  hubs;           /* hub participants seen (must end as 1) */
};

static const char *s_role_names [] = {
    NULL, "hub", "agent", "coordinator", "observer"
};

const char *
jad_roster_role_name (int role)
{
    if (role >= JAD_ROLE_HUB && role <= JAD_ROLE_OBSERVER)
        return s_role_names [role];
    return "unknown";
}

int
jad_roster_role_parse (const char *name)
{
    for (int role = JAD_ROLE_HUB; role <= JAD_ROLE_OBSERVER; role++)
        if (name && strcmp (name, s_role_names [role]) == 0)
            return role;
    return -1;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
 * Names end up in JSON, which must be valid UTF-8. */
static int
s_utf8_valid (const unsigned char *s)
{
    while (*s) {
        unsigned c = *s;
        int extra;
        unsigned min;
        if (c < 0x80) { s++; continue; }
        else if ((c & 0xE0) == 0xC0) { extra = 1; min = 0x80;    c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { extra = 2; min = 0x800;   c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { extra = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        for (int i = 1; i <= extra; i++) {
            if ((s [i] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (s [i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        s += extra + 1;
    }
    return 1;
}

/* 1..127 bytes of UTF-8 without control characters or blanks at its ends
 * (the parser trims them, so they could not survive a save and load). */
static int
s_operation_valid (const char *s)
{
    size_t len = strlen (s);
    if (len < 1 || len > JAD_ROSTER_OPERATION_MAX)
        return 0;
    if (s [0] == ' ' || s [len - 1] == ' ')
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s [i];
        if (c < 0x20 || c == 0x7f)
            return 0;
    }
    return s_utf8_valid ((const unsigned char *) s);
}

static int
s_hex_value (char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode exactly 2 * N hex digits (either case) of S into OUT. */
static int
s_hex (const char *s, uint8_t *out, size_t n)
{
    if (strlen (s) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int hi = s_hex_value (s [2 * i]), lo = s_hex_value (s [2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out [i] = (uint8_t) (hi << 4 | lo);
    }
    return 0;
}

/* "revoked" (SEQ unknown: 0) or "revoked=SEQ", SEQ 1..2^64-1 in decimal. */
static int
s_revoked_parse (const char *s, uint64_t *seq)
{
    if (strcmp (s, "revoked") == 0) {
        *seq = 0;
        return 0;
    }
    if (strncmp (s, "revoked=", 8) != 0)
        return -1;
    s += 8;
    if (*s < '1' || *s > '9')       /* no sign, no leading zero, not 0 */
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned) (*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *seq = v;
    return 0;
}

/* Check one participant, given as the text fields of its roster line,
 * against the rules and the participants already added, and add it.
 * COUNTRY may be "-" or "" for a role without one; REVOKED is NULL or the
 * optional seventh field.  Loading and saving both come here, so what one
 * accepts the other accepts.  0, or -1 with the reason (no location) in
 * WHY. */
static int
s_participant_add (jad_roster_t *self, const char *name, const char *role_text,
                   const char *country, const char *key, const char *sign_hex,
                   const char *id_hex, const char *revoked,
                   char *why, size_t whylen)
{
    if (!jad_keys_name_valid (name)) {
        snprintf (why, whylen, "participant: invalid name (1..64 characters"
                  " of [a-z0-9._-], starting with a letter or digit)");
        return -1;
    }
    int role = jad_roster_role_parse (role_text);
    if (role < 0) {
        snprintf (why, whylen, "participant %s: bad role '%.20s' (hub, agent,"
                  " coordinator or observer)", name, role_text);
        return -1;
    }
    int no_country = strcmp (country, "-") == 0 || *country == '\0';
    if (role == JAD_ROLE_AGENT) {
        if (no_country) {
            snprintf (why, whylen, "participant %s: an agent needs a country",
                      name);
            return -1;
        }
        if (!jad_report_country_valid (country)) {
            snprintf (why, whylen, "participant %s: bad country '%.8s' (two"
                      " upper-case letters)", name, country);
            return -1;
        }
    }
    else
    if (!no_country) {
        snprintf (why, whylen, "participant %s: a%s %s has no country (use"
                  " '-')", name, role == JAD_ROLE_OBSERVER ? "n" : "",
                  s_role_names [role]);
        return -1;
    }
    if (!jad_keys_z85_valid (key)) {
        snprintf (why, whylen, "participant %s: bad public key (40 Z85"
                  " characters)", name);
        return -1;
    }
    uint8_t sign_key [JAD_SIGN_PUBLIC_BYTES], key_id [JAD_KEY_ID_BYTES];
    uint8_t derived [JAD_KEY_ID_BYTES];
    if (s_hex (sign_hex, sign_key, sizeof sign_key)) {
        snprintf (why, whylen, "participant %s: bad signing key (64 hex"
                  " digits: sign-public-key from NAME.pub)", name);
        return -1;
    }
    if (sodium_init () < 0 || !crypto_core_ed25519_is_valid_point (sign_key)) {
        snprintf (why, whylen, "participant %s: bad signing key (not an"
                  " Ed25519 public key)", name);
        return -1;
    }
    if (s_hex (id_hex, key_id, sizeof key_id)) {
        snprintf (why, whylen, "participant %s: bad key id (16 hex digits:"
                  " key-id from NAME.pub)", name);
        return -1;
    }
    jad_sign_key_id (sign_key, derived);
    if (memcmp (key_id, derived, sizeof key_id) != 0) {
        char hex [2 * JAD_KEY_ID_BYTES + 1];
        for (int i = 0; i < JAD_KEY_ID_BYTES; i++)
            snprintf (hex + 2 * i, 3, "%02x", derived [i]);
        snprintf (why, whylen, "participant %s: key id does not match the"
                  " signing key (its key id is %s)", name, hex);
        return -1;
    }
    uint64_t revoked_seq = 0;
    if (revoked && s_revoked_parse (revoked, &revoked_seq)) {
        snprintf (why, whylen, "participant %s: unexpected '%.32s' (the"
                  " optional last field is 'revoked' or 'revoked=SEQ', SEQ"
                  " >= 1)", name, revoked);
        return -1;
    }
    if (revoked && role == JAD_ROLE_HUB) {
        snprintf (why, whylen, "participant %s: the hub cannot be revoked",
                  name);
        return -1;
    }
    for (size_t i = 0; i < self->size; i++) {
        const jad_participant_t *q = &self->parts [i];
        if (strcmp (q->name, name) == 0) {
            snprintf (why, whylen, "participant %s: duplicate name", name);
            return -1;
        }
        if (strcmp (q->public_key, key) == 0) {
            snprintf (why, whylen, "participant %s: duplicate key (also"
                      " participant %s)", name, q->name);
            return -1;
        }
        if (memcmp (q->sign_key, sign_key, sizeof sign_key) == 0) {
            snprintf (why, whylen, "participant %s: duplicate signing key"
                      " (also participant %s)", name, q->name);
            return -1;
        }
        if (memcmp (q->key_id, key_id, sizeof key_id) == 0) {
            snprintf (why, whylen, "participant %s: duplicate key id (also"
                      " participant %s)", name, q->name);
            return -1;
        }
    }
    if (role == JAD_ROLE_HUB && self->hubs > 0) {
        snprintf (why, whylen, "participant %s: a second hub (exactly one hub"
                  " participant is required)", name);
        return -1;
    }
    if (self->size == self->cap) {
        if (self->cap >= S_PARTICIPANTS_MAX) {
            snprintf (why, whylen, "more than %d participants",
                      S_PARTICIPANTS_MAX);
            return -1;
        }
        size_t cap = self->cap ? self->cap * 2 : 16;
        jad_participant_t *parts = realloc (self->parts, cap * sizeof *parts);
        if (!parts) {
            snprintf (why, whylen, "out of memory");
            return -1;
        }
        self->parts = parts;
        self->cap = cap;
    }
    jad_participant_t *p = &self->parts [self->size++];
    memset (p, 0, sizeof *p);
    strcpy (p->name, name);
    p->role = role;
    if (role == JAD_ROLE_AGENT)
        strcpy (p->country, country);
    strcpy (p->public_key, key);
    memcpy (p->sign_key, sign_key, sizeof sign_key);
    memcpy (p->key_id, key_id, sizeof key_id);
    p->revoked = revoked != NULL;
    p->revoked_seq = revoked_seq;
    if (role == JAD_ROLE_HUB)
        self->hubs++;
    return 0;
}

/* Line numbers of the keywords that appear once; 0 while not seen. */
typedef struct {
    int operation, operation_id, start, end;
} s_seen_t;

/* Parse and check one line (NUL-terminated, modified in place).  0, or -1
 * with the reason (no location) in WHY. */
static int
s_parse_line (jad_roster_t *self, char *line, int lineno, s_seen_t *seen,
              char *why, size_t whylen)
{
    char *text = jad_lines_trim (line);
    if (*text == '\0' || *text == '#')
        return 0;
    char *value = text + strcspn (text, " \t");
    if (*value)
        *value++ = '\0';
    value = jad_lines_trim (value);
    const char *keyword = text;
    int *once = strcmp (keyword, "operation") == 0 ? &seen->operation
              : strcmp (keyword, "operation_id") == 0 ? &seen->operation_id
              : strcmp (keyword, "start") == 0 ? &seen->start
              : strcmp (keyword, "end") == 0 ? &seen->end
              : NULL;
    if (!once && strcmp (keyword, "participant") != 0) {
        snprintf (why, whylen, "unknown keyword '%.32s'", keyword);
        return -1;
    }
    if (once && *once) {
        snprintf (why, whylen, "'%s' given twice (first on line %d)",
                  keyword, *once);
        return -1;
    }
    if (*value == '\0') {
        snprintf (why, whylen, "'%s' without a value", keyword);
        return -1;
    }
    if (once == &seen->operation) {
        if (!s_operation_valid (value)) {
            snprintf (why, whylen, "operation: 1..%d bytes of UTF-8 text"
                      " without control characters", JAD_ROSTER_OPERATION_MAX);
            return -1;
        }
        strcpy (self->operation, value);
    }
    else
    if (once == &seen->operation_id) {
        if (s_hex (value, self->id, JAD_ROSTER_ID_BYTES)) {
            snprintf (why, whylen, "operation_id: expected 32 hex digits");
            return -1;
        }
    }
    else
    if (once == &seen->start || once == &seen->end) {
        int64_t *ms = once == &seen->start ? &self->start_ms : &self->end_ms;
        if (jad_time_parse (value, ms)) {
            snprintf (why, whylen, "%s: not an RFC 3339 time", keyword);
            return -1;
        }
    }
    else {
        char *fields [8] = { NULL };
        char *save = NULL;
        int n = 0;
        for (char *tok = strtok_r (value, " \t", &save); tok;
             tok = strtok_r (NULL, " \t", &save))
            if (n < 8)
                fields [n++] = tok;
        if (n != 6 && n != 7) {
            snprintf (why, whylen, "participant: expected NAME ROLE COUNTRY"
                      " PUBLIC_KEY SIGN_PUBLIC_KEY KEY_ID [revoked[=SEQ]]%s",
                      n == 4 ? " (no signing key: add sign-public-key and"
                               " key-id from NAME.pub)" : "");
            return -1;
        }
        if (s_participant_add (self, fields [0], fields [1], fields [2],
                               fields [3], fields [4], fields [5], fields [6],
                               why, whylen))
            return -1;
    }
    if (once)
        *once = lineno;
    return 0;
}

jad_roster_t *
jad_roster_parse (const char *text, size_t len, const char *name_for_errors,
                  char *err, size_t errlen)
{
    const char *name = name_for_errors ? name_for_errors : "roster";
    jad_roster_t *self = calloc (1, sizeof *self);
    char line [S_LINE_MAX + 1];
    char why [256];
    int lineno = 0;
    int ok = 0;
    s_seen_t seen = { 0, 0, 0, 0 };

    if (!self || (!text && len)) {
        snprintf (err, errlen, "%s: %s", name, self ? "no text" : "out of memory");
        goto out;
    }
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr (text + at, '\n', len - at);
        size_t line_len = nl ? (size_t) (nl - (text + at)) : len - at;
        lineno++;
        if (line_len > S_LINE_MAX) {
            snprintf (err, errlen, "%s:%d: line longer than %d bytes",
                      name, lineno, S_LINE_MAX);
            goto out;
        }
        if (memchr (text + at, '\0', line_len)) {
            snprintf (err, errlen, "%s:%d: NUL byte", name, lineno);
            goto out;
        }
        memcpy (line, text + at, line_len);
        line [line_len] = '\0';
        at += line_len + (nl ? 1 : 0);
        if (s_parse_line (self, line, lineno, &seen, why, sizeof why)) {
            snprintf (err, errlen, "%s:%d: %s", name, lineno, why);
            goto out;
        }
    }
    const char *missing = !seen.operation ? "operation"
                        : !seen.operation_id ? "operation_id"
                        : !seen.start ? "start"
                        : !seen.end ? "end" : NULL;
    if (missing) {
        snprintf (err, errlen, "%s: missing '%s'", name, missing);
        goto out;
    }
    if (self->end_ms <= self->start_ms) {
        snprintf (err, errlen, "%s:%d: end is not after start", name,
                  seen.end > seen.start ? seen.end : seen.start);
        goto out;
    }
    if (self->hubs != 1) {
        snprintf (err, errlen, "%s: no hub participant (exactly one is"
                  " required)", name);
        goto out;
    }
    ok = 1;
out:
    if (!ok)
        jad_roster_destroy (&self);
    return self;
}

jad_roster_t *
jad_roster_load (const char *path, char *err, size_t errlen)
{
    size_t len = 0;
    char *buf = jad_file_read (path, S_FILE_MAX, &len, err, errlen);
    if (!buf) {
        if (errno == EFBIG)
            snprintf (err, errlen, "%s: larger than %d bytes: not a roster",
                      path, S_FILE_MAX);
        return NULL;
    }
    jad_roster_t *self = jad_roster_parse (buf, len, path, err, errlen);
    free (buf);
    return self;
}

void
jad_roster_destroy (jad_roster_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->parts);
        free (*self_p);
        *self_p = NULL;
    }
}

const char *
jad_roster_operation (const jad_roster_t *self)
{
    return self->operation;
}

const uint8_t *
jad_roster_id (const jad_roster_t *self)
{
    return self->id;
}

int64_t
jad_roster_start_ms (const jad_roster_t *self)
{
    return self->start_ms;
}

int64_t
jad_roster_end_ms (const jad_roster_t *self)
{
    return self->end_ms;
}

size_t
jad_roster_size (const jad_roster_t *self)
{
    return self->size;
}

const jad_participant_t *
jad_roster_at (const jad_roster_t *self, size_t i)
{
    return i < self->size ? &self->parts [i] : NULL;
}

const jad_participant_t *
jad_roster_find_key_any (const jad_roster_t *self, const char *public_z85)
{
    if (!public_z85)
        return NULL;
    for (size_t i = 0; i < self->size; i++)
        if (strcmp (self->parts [i].public_key, public_z85) == 0)
            return &self->parts [i];
    return NULL;
}

const jad_participant_t *
jad_roster_find_key (const jad_roster_t *self, const char *public_z85)
{
    const jad_participant_t *p = jad_roster_find_key_any (self, public_z85);
    return p && !p->revoked ? p : NULL;
}

const jad_participant_t *
jad_roster_find_key_id (const jad_roster_t *self,
                        const uint8_t key_id [JAD_KEY_ID_BYTES])
{
    if (!key_id)
        return NULL;
    for (size_t i = 0; i < self->size; i++)
        if (memcmp (self->parts [i].key_id, key_id, JAD_KEY_ID_BYTES) == 0)
            return &self->parts [i];
    return NULL;
}

const jad_participant_t *
jad_roster_find_name (const jad_roster_t *self, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < self->size; i++)
        if (strcmp (self->parts [i].name, name) == 0)
            return &self->parts [i];
    return NULL;
}

const jad_participant_t *
jad_roster_hub (const jad_roster_t *self)
{
    for (size_t i = 0; i < self->size; i++)
        if (self->parts [i].role == JAD_ROLE_HUB)
            return &self->parts [i];
    return NULL;
}

/* Check and add participant P, given as a struct (its fields need not be
 * NUL-terminated), through the text its roster line would hold: the checks
 * are exactly the loader's. */
static int
s_participant_add_struct (jad_roster_t *self, const jad_participant_t *p,
                          char *why, size_t whylen)
{
    const char *role = jad_roster_role_name (p->role);
    char sign_hex [2 * JAD_SIGN_PUBLIC_BYTES + 1];
    char id_hex [2 * JAD_KEY_ID_BYTES + 1];
    char revoked [40];
    char name [sizeof p->name], key [sizeof p->public_key];
    char country [sizeof p->country];
    for (int k = 0; k < JAD_SIGN_PUBLIC_BYTES; k++)
        snprintf (sign_hex + 2 * k, 3, "%02x", p->sign_key [k]);
    for (int k = 0; k < JAD_KEY_ID_BYTES; k++)
        snprintf (id_hex + 2 * k, 3, "%02x", p->key_id [k]);
    if (p->revoked_seq)
        snprintf (revoked, sizeof revoked, "revoked=%" PRIu64, p->revoked_seq);
    else
        snprintf (revoked, sizeof revoked, "revoked");
    memcpy (name, p->name, sizeof name);
    name [sizeof name - 1] = '\0';
    memcpy (key, p->public_key, sizeof key);
    key [sizeof key - 1] = '\0';
    memcpy (country, p->country, sizeof country);
    country [sizeof country - 1] = '\0';
    if (!p->revoked && p->revoked_seq) {
        snprintf (why, whylen, "participant %s: revoked_seq set but not"
                  " revoked", name);
        return -1;
    }
    return s_participant_add (self, name, role, country, key, sign_hex,
                              id_hex, p->revoked ? revoked : NULL, why,
                              whylen);
}

int
jad_roster_add (jad_roster_t *self, const jad_participant_t *p)
{
    char why [256];
    if (!self || !p)
        return -1;
    return s_participant_add_struct (self, p, why, sizeof why);
}

int
jad_roster_set_revoked (jad_roster_t *self, const char *name, uint64_t seq)
{
    jad_participant_t *p = NULL;
    for (size_t i = 0; name && i < self->size; i++)
        if (strcmp (self->parts [i].name, name) == 0)
            p = &self->parts [i];
    if (!p || p->role == JAD_ROLE_HUB)
        return -1;
    p->revoked = 1;
    if (seq)
        p->revoked_seq = seq;
    return 0;
}

static void
s_hex_write (FILE *file, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf (file, "%02x", bytes [i]);
}

/* The canonical roster text, in a malloc'd string (its length in *LEN_P)
 * the caller frees; NULL when memory runs out. */
static char *
s_format (const char *operation, const uint8_t id [16], int64_t start_ms,
          int64_t end_ms, const jad_participant_t *p, size_t n,
          size_t *len_p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *file = open_memstream (&text, &len);
    if (!file)
        return NULL;
    char start [JAD_TIME_STRLEN], end [JAD_TIME_STRLEN];
    jad_time_format (start_ms, start);
    jad_time_format (end_ms, end);
    fprintf (file, "# jadhub operation roster (format: include/jad/roster.h)\n"
             "operation     %s\noperation_id  ", operation);
    s_hex_write (file, id, JAD_ROSTER_ID_BYTES);
    fprintf (file, "\nstart         %s\nend           %s\n\n"
             "#             NAME                 ROLE         COUNTRY  "
             "%-40s %-64s KEY_ID\n", start, end, "PUBLIC_KEY",
             "SIGN_PUBLIC_KEY");
    for (size_t i = 0; i < n; i++) {
        fprintf (file, "participant   %-20s %-12s %-8s %s ", p [i].name,
                 jad_roster_role_name (p [i].role),
                 p [i].role == JAD_ROLE_AGENT ? p [i].country : "-",
                 p [i].public_key);
        s_hex_write (file, p [i].sign_key, JAD_SIGN_PUBLIC_BYTES);
        fputc (' ', file);
        s_hex_write (file, p [i].key_id, JAD_KEY_ID_BYTES);
        if (p [i].revoked && p [i].revoked_seq)
            fprintf (file, " revoked=%" PRIu64, p [i].revoked_seq);
        else
        if (p [i].revoked)
            fputs (" revoked", file);
        fputc ('\n', file);
    }
    int bad = ferror (file);
    if (fclose (file) || bad) {
        free (text);
        return NULL;
    }
    *len_p = len;
    return text;
}

char *
jad_roster_format (const jad_roster_t *self)
{
    size_t len = 0;
    return s_format (self->operation, self->id, self->start_ms, self->end_ms,
                     self->parts, self->size, &len);
}

int
jad_roster_save (const char *path, const char *operation,
                 const uint8_t id [16], int64_t start_ms, int64_t end_ms,
                 const jad_participant_t *p, size_t n,
                 char *err, size_t errlen)
{
    int rc = -1;
    jad_roster_t check = { .parts = NULL };
    char why [256];
    char *text = NULL;
    size_t len = 0;

    /* The same checks as loading, on a scratch roster. */
    if (!operation || !s_operation_valid (operation)) {
        snprintf (err, errlen, "%s: operation: 1..%d bytes of UTF-8 text"
                  " without control characters or blanks at its ends", path,
                  JAD_ROSTER_OPERATION_MAX);
        goto out;
    }
    if (end_ms <= start_ms || start_ms < 0) {
        snprintf (err, errlen, "%s: end is not after start", path);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (s_participant_add_struct (&check, &p [i], why, sizeof why)) {
            snprintf (err, errlen, "%s: participant %zu: %s", path, i + 1,
                      why);
            goto out;
        }
    if (check.hubs != 1) {
        snprintf (err, errlen, "%s: no hub participant (exactly one is"
                  " required)", path);
        goto out;
    }

    text = s_format (operation, id, start_ms, end_ms, check.parts, n, &len);
    if (!text) {
        snprintf (err, errlen, "%s: out of memory", path);
        goto out;
    }
    if (jad_file_put (path, text, len, 0644, 0, err, errlen))
        goto out;
    rc = 0;
out:
    free (text);
    free (check.parts);
    return rc;
}
