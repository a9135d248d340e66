/*  bundle: the file a country gets for an operation (format and rules in
 *  include/jad/bundle.h).
 *
 *  One table (s_fields) gives the fields in their order; the parser walks
 *  it line by line, the formatter and the canonical text (checksum,
 *  additional data of the sealed secret) are made from it, so the three
 *  cannot disagree.  Every value is checked as it is read, with the line
 *  number; the checksum is compared last, so that a damaged field is named
 *  rather than reported as a bad checksum (and the fuzzer gets past it).
 *
 *  Besides keys.c this is the one module that handles secret key material
 *  (the sealed secret of a centrally generated key pair): it only ever sits
 *  in sodium_malloc'd memory, as do the passphrase-derived key, and both
 *  are wiped by sodium_free.
 */
#define _GNU_SOURCE     /* O_TMPFILE (open(2)); this file only */
#include "jad/report.h"
#include "jad/bundle.h"
#include "jad/file.h"
#include "jad/keys.h"
#include "jad/lines.h"
#include "jad/log.h"
#include "jad/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define S_VERSION       "1"
#define S_SECRET_MAX    4096    /* a key file is at most this (keys.c) */
#define S_NONCE         crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  /* 24 */
#define S_TAG           crypto_aead_xchacha20poly1305_ietf_ABYTES     /* 16 */
#define S_KEY           crypto_aead_xchacha20poly1305_ietf_KEYBYTES   /* 32 */
#define S_SALT          crypto_pwhash_SALTBYTES                       /* 16 */
#define S_BOX_MAX       (S_NONCE + S_SECRET_MAX + S_TAG)
#define S_LEVEL_MAX     7       /* "notice" */

struct _jad_bundle_t {
    char operation [JAD_ROSTER_OPERATION_MAX + 1];  /* operation name */
    uint8_t op_id [JAD_ROSTER_ID_BYTES];            /* operation id */
    jad_participant_t own;      /* the agent: name, country, public keys */
    jad_participant_t hub;      /* the hub: name, public keys */
    char hub_endpoint [JAD_BUNDLE_ENDPOINT_MAX + 1];    /* collector */
    char feed_endpoint [JAD_BUNDLE_ENDPOINT_MAX + 1];   /* feed */
    char data [JAD_BUNDLE_PATH_MAX + 1];    /* conf data: "@DIR@/..." or
                                               an absolute path */
    char log_level [S_LEVEL_MAX + 1];       /* conf log-level */
    int  kdf;                   /* JAD_BUNDLE_KDF_*, 0 without a secret */
    uint8_t salt [S_SALT];      /* Argon2id salt */
    uint8_t *box;               /* nonce ‖ ciphertext ‖ tag, or NULL */
    size_t box_len;             /* bytes in box */
};

/* ------------------------------------------------------------ the fields */

/* The fields in file order.  A conf field is a "conf = KEY = VALUE" line
 * whose KEY is .conf. */
typedef enum {
    F_VERSION, F_OPERATION, F_OPERATION_ID, F_NAME, F_ROLE, F_COUNTRY,
    F_PUBLIC, F_SIGN_PUBLIC, F_KEY_ID, F_HUB_NAME, F_HUB_PUBLIC,
    F_HUB_SIGN_PUBLIC, F_HUB_KEY_ID, F_HUB_ENDPOINT, F_FEED_ENDPOINT,
    F_CONF_DATA, F_CONF_COUNTRY, F_CONF_KEY, F_CONF_HUB_KEY, F_CONF_HUB,
    F_CONF_FEED, F_CONF_LOG_LEVEL, F_KDF, F_SALT, F_BOX, F_CHECKSUM,
    F_COUNT
} s_field_t;

static const struct {
    const char *name;   /* field name on the line */
    const char *conf;   /* the agent option, for a conf line; else NULL */
} s_fields [F_COUNT] = {
    { "jadhub-bundle", NULL }, { "operation", NULL },
    { "operation-id", NULL }, { "name", NULL }, { "role", NULL },
    { "country", NULL }, { "public-key", NULL }, { "sign-public-key", NULL },
    { "key-id", NULL }, { "hub-name", NULL }, { "hub-public-key", NULL },
    { "hub-sign-public-key", NULL }, { "hub-key-id", NULL },
    { "hub-endpoint", NULL }, { "feed-endpoint", NULL },
    { "conf", "data" }, { "conf", "country" }, { "conf", "key" },
    { "conf", "hub-key" }, { "conf", "hub" }, { "conf", "feed" },
    { "conf", "log-level" }, { "kdf", NULL }, { "salt", NULL },
    { "secret-box", NULL }, { "checksum", NULL }
};

static const char *s_kdf_names [] = {
    NULL, "argon2id-moderate", "argon2id-interactive"
};

/* ------------------------------------------------------------ countries */

/* ISO 3166-1 alpha-2 codes in use (Debian's iso-codes, 249), and XK. */
static const char s_countries [] =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI "
    "BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN "
    "CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK "
    "FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK "
    "ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP "
    "NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF "
    "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS XK YE YT ZA ZM ZW";

int
jad_bundle_country_known (const char *cc, const char **hint)
{
    if (hint)
        *hint = "";
    if (!cc || strlen (cc) != 2)
        return 0;
    if (jad_report_country_valid (cc)) {
        /* Every code in the list is followed by a blank or the end. */
        for (const char *at = s_countries; *at; at += at [2] ? 3 : 2)
            if (at [0] == cc [0] && at [1] == cc [1])
                return 1;
        /* The EU's own abbreviations, which ISO 3166 does not have. */
        if (hint && strcmp (cc, "UK") == 0)
            *hint = " (the United Kingdom is GB)";
        if (hint && strcmp (cc, "EL") == 0)
            *hint = " (Greece is GR)";
        return 0;
    }
    if (hint && cc [0] >= 'a' && cc [0] <= 'z' && cc [1] >= 'a'
    &&  cc [1] <= 'z')
        *hint = " (upper case: ISO 3166-1 alpha-2)";
    return 0;
}

/* ------------------------------------------------------------ values */

/* Strict UTF-8 over LEN bytes: no overlong forms, no surrogates, nothing
 * above U+10FFFF. */
static int
s_utf8_valid (const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s [i];
        int extra;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { extra = 1; min = 0x80;    c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { extra = 2; min = 0x800;   c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { extra = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        if (len - i <= (size_t) extra)
            return 0;
        for (int k = 1; k <= extra; k++) {
            if ((s [i + k] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (s [i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        i += (size_t) extra + 1;
    }
    return 1;
}

/* roster.h's operation name: 1..127 bytes of UTF-8, no control
 * characters, no blank at either end. */
static int
s_operation_valid (const char *s)
{
    size_t len = strlen (s);
    if (len < 1 || len > JAD_ROSTER_OPERATION_MAX
    ||  s [0] == ' ' || s [len - 1] == ' ')
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s [i] < 0x20 || s [i] == 0x7f)
            return 0;
    return s_utf8_valid ((const unsigned char *) s, len);
}

/* Decode exactly 2 * N hex digits (either case) of S into OUT. */
static int
s_hex (const char *s, uint8_t *out, size_t n)
{
    if (strlen (s) != 2 * n)
        return -1;
    for (size_t i = 0; i < 2 * n; i++)
        if (!s [i] || !strchr ("0123456789abcdefABCDEF", s [i]))
            return -1;
    size_t bin_len = 0;
    if (sodium_hex2bin (out, n, s, 2 * n, NULL, &bin_len, NULL) != 0
    ||  bin_len != n)
        return -1;
    return 0;
}

static void
s_hex_put (char *out, const uint8_t *bytes, size_t n)
{
    sodium_bin2hex (out, 2 * n + 1, bytes, n);
}

static int
s_host_char (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

int
jad_bundle_endpoint_valid (const char *text)
{
    if (!text || strlen (text) > JAD_BUNDLE_ENDPOINT_MAX
    ||  strncmp (text, "tcp://", 6) != 0)
        return 0;
    const char *host = text + 6;
    const char *colon = strrchr (host, ':');
    if (!colon || colon == host)
        return 0;
    size_t host_len = (size_t) (colon - host);
    if (host [0] == '[') {
        /* [IPv6]: hex digits, ':' and '.', at least "::". */
        if (host_len < 4 || host [host_len - 1] != ']')
            return 0;
        for (size_t i = 1; i + 1 < host_len; i++)
            if (!strchr ("0123456789abcdefABCDEF:.", host [i]))
                return 0;
    }
    else {
        if (host_len > 253 || host [0] == '.' || host [0] == '-'
        ||  host [host_len - 1] == '.' || host [host_len - 1] == '-')
            return 0;
        for (size_t i = 0; i < host_len; i++)
            if (!s_host_char (host [i]) || (host [i] == '.' && host [i + 1] == '.'))
                return 0;
    }
    /* PORT: 1..65535 in decimal, no sign, no leading zero. */
    const char *port = colon + 1;
    size_t port_len = strlen (port);
    if (port_len < 1 || port_len > 5 || port [0] < '1' || port [0] > '9')
        return 0;
    long value = 0;
    for (size_t i = 0; i < port_len; i++) {
        if (port [i] < '0' || port [i] > '9')
            return 0;
        value = value * 10 + (port [i] - '0');
    }
    return value <= 65535;
}

/* The agent's data directory as the configuration gives it: "@DIR@/..."
 * or an absolute path, printable ASCII or UTF-8 without control
 * characters, no ".." component. */
static int
s_data_valid (const char *s)
{
    size_t len = strlen (s);
    if (len < 1 || len > JAD_BUNDLE_PATH_MAX)
        return 0;
    if (strncmp (s, "@DIR@/", 6) != 0 && s [0] != '/')
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s [i] < 0x20 || s [i] == 0x7f
        ||  (s [i] == ' ' && (i == 0 || i == len - 1)))
            return 0;
    if (strstr (s, "/../") || (len >= 3 && strcmp (s + len - 3, "/..") == 0))
        return 0;
    if (strstr (s + 1, "@DIR@"))
        return 0;           /* the placeholder only at the start */
    return s_utf8_valid ((const unsigned char *) s, len);
}

static int
s_level_valid (const char *s)
{
    return strlen (s) <= S_LEVEL_MAX && jad_log_level_parse (s) >= 0;
}

/* ------------------------------------------------------------ canonical */

/* The value of field F of SELF as the canonical text writes it, in BUF
 * (large enough for any value: the box as base64 is the longest). */
static void
s_value (const jad_bundle_t *self, s_field_t f, char *buf, size_t len)
{
    const jad_participant_t *p = f >= F_HUB_NAME && f <= F_HUB_KEY_ID
                               ? &self->hub : &self->own;
    switch (f) {
        case F_VERSION:     snprintf (buf, len, S_VERSION); break;
        case F_OPERATION:   snprintf (buf, len, "%s", self->operation); break;
        case F_OPERATION_ID: s_hex_put (buf, self->op_id, sizeof self->op_id);
                            break;
        case F_NAME:
        case F_HUB_NAME:    snprintf (buf, len, "%s", p->name); break;
        case F_ROLE:        snprintf (buf, len, "agent"); break;
        case F_COUNTRY:
        case F_CONF_COUNTRY: snprintf (buf, len, "%s", self->own.country);
                            break;
        case F_PUBLIC:
        case F_HUB_PUBLIC:  snprintf (buf, len, "%s", p->public_key); break;
        case F_SIGN_PUBLIC:
        case F_HUB_SIGN_PUBLIC: s_hex_put (buf, p->sign_key, sizeof p->sign_key);
                            break;
        case F_KEY_ID:
        case F_HUB_KEY_ID:  s_hex_put (buf, p->key_id, sizeof p->key_id); break;
        case F_HUB_ENDPOINT:
        case F_CONF_HUB:    snprintf (buf, len, "%s", self->hub_endpoint); break;
        case F_FEED_ENDPOINT:
        case F_CONF_FEED:   snprintf (buf, len, "%s", self->feed_endpoint);
                            break;
        case F_CONF_DATA:   snprintf (buf, len, "%s", self->data); break;
        case F_CONF_KEY:    snprintf (buf, len, "@DIR@/%s.secret",
                                      self->own.name); break;
        case F_CONF_HUB_KEY: snprintf (buf, len, "@DIR@/%s.pub",
                                       self->hub.name); break;
        case F_CONF_LOG_LEVEL: snprintf (buf, len, "%s", self->log_level);
                            break;
        case F_KDF:         snprintf (buf, len, "%s", s_kdf_names [self->kdf]);
                            break;
        case F_SALT:        s_hex_put (buf, self->salt, sizeof self->salt);
                            break;
        case F_BOX:         sodium_bin2base64 (buf, len, self->box,
                                               self->box_len,
                                               sodium_base64_VARIANT_ORIGINAL);
                            break;
        default:            buf [0] = '\0';
    }
}

#define S_VALUE_MAX  (sodium_base64_ENCODED_LEN (S_BOX_MAX, \
                      sodium_base64_VARIANT_ORIGINAL) + 1)

/* Append the canonical line of field F to FILE. */
static void
s_line_put (const jad_bundle_t *self, s_field_t f, FILE *file, char *buf)
{
    s_value (self, f, buf, S_VALUE_MAX);
    if (s_fields [f].conf)
        fprintf (file, "conf = %s = %s\n", s_fields [f].conf, buf);
    else
        fprintf (file, "%s = %s\n", s_fields [f].name, buf);
}

/* The fields SELF has, in order: without a secret the three secret fields
 * are skipped. */
static int
s_present (const jad_bundle_t *self, s_field_t f)
{
    return self->box || (f != F_KDF && f != F_SALT && f != F_BOX);
}

/* The canonical text of SELF's fields before field UPTO, hashed with
 * BLAKE2b-256 into OUT, or (OUT NULL) returned as a malloc'd string.
 * NULL / -1 when memory runs out. */
static char *
s_canonical (const jad_bundle_t *self, s_field_t upto)
{
    char *text = NULL;
    size_t len = 0;
    char *buf = malloc (S_VALUE_MAX);
    FILE *file = buf ? open_memstream (&text, &len) : NULL;
    if (!file) {
        free (buf);
        return NULL;
    }
    for (s_field_t f = 0; f < upto; f++)
        if (s_present (self, f))
            s_line_put (self, f, file, buf);
    int bad = ferror (file);
    if (fclose (file) || bad) {
        free (text);
        text = NULL;
    }
    free (buf);
    return text;
}

static int
s_checksum (const jad_bundle_t *self, uint8_t out [32])
{
    char *text = s_canonical (self, F_CHECKSUM);
    if (!text)
        return -1;
    crypto_generichash (out, 32, (const uint8_t *) text, strlen (text),
                        NULL, 0);
    free (text);
    return 0;
}

/* ------------------------------------------------------------ lifecycle */

void
jad_bundle_destroy (jad_bundle_t **self_p)
{
    if (self_p && *self_p) {
        free ((*self_p)->box);      /* sealed: not secret */
        free (*self_p);
        *self_p = NULL;
    }
}

/* Check one participant's public fields as the parser would. */
static int
s_participant_check (const jad_participant_t *p, const char *what,
                     char *err, size_t errlen)
{
    uint8_t derived [JAD_KEY_ID_BYTES];
    if (!jad_keys_name_valid (p->name)) {
        snprintf (err, errlen, "%s: invalid name", what);
        return -1;
    }
    if (!jad_keys_z85_valid (p->public_key)) {
        snprintf (err, errlen, "%s: invalid public key", what);
        return -1;
    }
    if (!crypto_core_ed25519_is_valid_point (p->sign_key)) {
        snprintf (err, errlen, "%s: invalid signing key", what);
        return -1;
    }
    jad_sign_key_id (p->sign_key, derived);
    if (memcmp (derived, p->key_id, sizeof derived) != 0) {
        snprintf (err, errlen, "%s: key id does not match the signing key",
                  what);
        return -1;
    }
    return 0;
}

int
jad_bundle_check_settings (const char *hub_endpoint, const char *feed_endpoint,
                           const char *data, const char *log_level,
                           char *err, size_t errlen)
{
    data = data ? data : "@DIR@/data";
    log_level = log_level ? log_level : "info";
    if (!jad_bundle_endpoint_valid (hub_endpoint)) {
        snprintf (err, errlen, "--hub-endpoint '%.300s': expected"
                  " tcp://HOST:PORT", hub_endpoint ? hub_endpoint : "");
        return -1;
    }
    if (!jad_bundle_endpoint_valid (feed_endpoint)) {
        snprintf (err, errlen, "--feed-endpoint '%.300s': expected"
                  " tcp://HOST:PORT", feed_endpoint ? feed_endpoint : "");
        return -1;
    }
    if (!s_data_valid (data)) {
        snprintf (err, errlen, "--data '%.300s': expected @DIR@/PATH or an"
                  " absolute path (no '..', no control characters)", data);
        return -1;
    }
    if (!s_level_valid (log_level)) {
        snprintf (err, errlen, "--log-level '%.20s': error, warn, notice,"
                  " info or debug", log_level);
        return -1;
    }
    return 0;
}

jad_bundle_t *
jad_bundle_new (const jad_roster_t *roster, const char *name,
                const char *hub_endpoint, const char *feed_endpoint,
                const char *data, const char *log_level,
                char *err, size_t errlen)
{
    jad_bundle_t *self = NULL;
    const char *hint = "";
    if (sodium_init () < 0) {
        snprintf (err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    data = data ? data : "@DIR@/data";
    log_level = log_level ? log_level : "info";
    const jad_participant_t *own = roster && name
                                 ? jad_roster_find_name (roster, name) : NULL;
    const jad_participant_t *hub = roster ? jad_roster_hub (roster) : NULL;
    if (!own) {
        snprintf (err, errlen, "--name %s: not in the roster",
                  name ? name : "(none)");
        return NULL;
    }
    if (own->role != JAD_ROLE_AGENT) {
        snprintf (err, errlen, "--name %s: role %s in the roster; bundles"
                  " are for agents", name, jad_roster_role_name (own->role));
        return NULL;
    }
    if (own->revoked) {
        snprintf (err, errlen, "--name %s: revoked in the roster", name);
        return NULL;
    }
    if (!jad_bundle_country_known (own->country, &hint)) {
        snprintf (err, errlen, "--name %s: country '%s' is not an ISO 3166-1"
                  " alpha-2 code%s", name, own->country, hint);
        return NULL;
    }
    if (!hub) {
        snprintf (err, errlen, "roster: no hub");
        return NULL;
    }
    if (jad_bundle_check_settings (hub_endpoint, feed_endpoint, data,
                                   log_level, err, errlen))
        return NULL;
    if (!s_operation_valid (jad_roster_operation (roster))) {
        snprintf (err, errlen, "roster: bad operation name");
        return NULL;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    snprintf (self->operation, sizeof self->operation, "%s",
              jad_roster_operation (roster));
    memcpy (self->op_id, jad_roster_id (roster), sizeof self->op_id);
    self->own = *own;
    self->hub = *hub;
    self->hub.country [0] = '\0';
    snprintf (self->hub_endpoint, sizeof self->hub_endpoint, "%s",
              hub_endpoint);
    snprintf (self->feed_endpoint, sizeof self->feed_endpoint, "%s",
              feed_endpoint);
    snprintf (self->data, sizeof self->data, "%s", data);
    snprintf (self->log_level, sizeof self->log_level, "%s", log_level);
    if (s_participant_check (&self->own, "agent", err, errlen)
    ||  s_participant_check (&self->hub, "hub", err, errlen))
        jad_bundle_destroy (&self);
    return self;
}

/* ------------------------------------------------------------ parse */

/* Read a participant's public key fields. */
static int
s_z85_field (const char *value, char *out, const char *field,
             char *why, size_t whylen)
{
    if (!jad_keys_z85_valid (value)) {
        snprintf (why, whylen, "%s: expected 40 Z85 characters", field);
        return -1;
    }
    memcpy (out, value, JAD_KEYS_Z85_LEN + 1);
    return 0;
}

/* Check VALUE of field F (line already split) against the rules and the
 * fields before it, and store it in SELF.  0, or -1 with the reason
 * (starting with the field's name) in WHY. */
static int
s_field_set (jad_bundle_t *self, s_field_t f, const char *value,
             char *why, size_t whylen)
{
    const char *field = s_fields [f].conf ? s_fields [f].conf : s_fields [f].name;
    jad_participant_t *p = f >= F_HUB_NAME && f <= F_HUB_KEY_ID
                         ? &self->hub : &self->own;
    char expect [JAD_BUNDLE_PATH_MAX + 80];
    const char *hint = "";
    switch (f) {
        case F_VERSION:
            if (strcmp (value, S_VERSION) != 0) {
                snprintf (why, whylen, "jadhub-bundle: version '%.16s' is"
                          " not supported (this jad-keygen reads version "
                          S_VERSION ")", value);
                return -1;
            }
            return 0;
        case F_OPERATION:
            if (!s_operation_valid (value)) {
                snprintf (why, whylen, "operation: 1..%d bytes of UTF-8"
                          " without control characters",
                          JAD_ROSTER_OPERATION_MAX);
                return -1;
            }
            strcpy (self->operation, value);
            return 0;
        case F_OPERATION_ID:
            if (s_hex (value, self->op_id, sizeof self->op_id)) {
                snprintf (why, whylen, "operation-id: expected 32 hex digits");
                return -1;
            }
            return 0;
        case F_NAME:
        case F_HUB_NAME:
            if (!jad_keys_name_valid (value)) {
                snprintf (why, whylen, "%s: 1..64 characters of [a-z0-9._-],"
                          " starting with a letter or digit", field);
                return -1;
            }
            if (f == F_HUB_NAME && strcmp (value, self->own.name) == 0) {
                snprintf (why, whylen, "hub-name: the same as name");
                return -1;
            }
            strcpy (p->name, value);
            return 0;
        case F_ROLE:
            if (strcmp (value, "agent") != 0) {
                snprintf (why, whylen, "role: '%.16s': only agents get"
                          " bundles", value);
                return -1;
            }
            self->own.role = JAD_ROLE_AGENT;
            self->hub.role = JAD_ROLE_HUB;
            return 0;
        case F_COUNTRY:
            if (!jad_bundle_country_known (value, &hint)) {
                snprintf (why, whylen, "country: '%.8s' is not an ISO 3166-1"
                          " alpha-2 code%s", value, hint);
                return -1;
            }
            strcpy (self->own.country, value);
            return 0;
        case F_PUBLIC:
        case F_HUB_PUBLIC:
            if (s_z85_field (value, p->public_key, field, why, whylen))
                return -1;
            if (f == F_HUB_PUBLIC
            &&  strcmp (value, self->own.public_key) == 0) {
                snprintf (why, whylen, "hub-public-key: the same as"
                          " public-key");
                return -1;
            }
            return 0;
        case F_SIGN_PUBLIC:
        case F_HUB_SIGN_PUBLIC:
            if (s_hex (value, p->sign_key, sizeof p->sign_key)
            ||  !crypto_core_ed25519_is_valid_point (p->sign_key)) {
                snprintf (why, whylen, "%s: expected an Ed25519 public key"
                          " (64 hex digits)", field);
                return -1;
            }
            if (f == F_HUB_SIGN_PUBLIC
            &&  memcmp (p->sign_key, self->own.sign_key,
                        sizeof p->sign_key) == 0) {
                snprintf (why, whylen, "hub-sign-public-key: the same as"
                          " sign-public-key");
                return -1;
            }
            return 0;
        case F_KEY_ID:
        case F_HUB_KEY_ID: {
            uint8_t derived [JAD_KEY_ID_BYTES];
            if (s_hex (value, p->key_id, sizeof p->key_id)) {
                snprintf (why, whylen, "%s: expected 16 hex digits", field);
                return -1;
            }
            jad_sign_key_id (p->sign_key, derived);
            if (memcmp (derived, p->key_id, sizeof derived) != 0) {
                snprintf (why, whylen, "%s: does not belong to the signing"
                          " key", field);
                return -1;
            }
            return 0;
        }
        case F_HUB_ENDPOINT:
        case F_FEED_ENDPOINT:
            if (!jad_bundle_endpoint_valid (value)) {
                snprintf (why, whylen, "%s: expected tcp://HOST:PORT (at"
                          " most %d bytes)", field, JAD_BUNDLE_ENDPOINT_MAX);
                return -1;
            }
            strcpy (f == F_HUB_ENDPOINT ? self->hub_endpoint
                                        : self->feed_endpoint, value);
            return 0;
        case F_CONF_DATA:
            if (!s_data_valid (value)) {
                snprintf (why, whylen, "conf data: expected @DIR@/PATH or an"
                          " absolute path (no '..', no control characters)");
                return -1;
            }
            strcpy (self->data, value);
            return 0;
        case F_CONF_LOG_LEVEL:
            if (!s_level_valid (value)) {
                snprintf (why, whylen, "conf log-level: error, warn, notice,"
                          " info or debug");
                return -1;
            }
            strcpy (self->log_level, value);
            return 0;
        case F_CONF_COUNTRY:
        case F_CONF_KEY:
        case F_CONF_HUB_KEY:
        case F_CONF_HUB:
        case F_CONF_FEED:
            /* Determined by the fields: the configuration may not say
             * anything else than the header a person reads. */
            s_value (self, f, expect, sizeof expect);
            if (strcmp (value, expect) != 0) {
                snprintf (why, whylen, "conf %s: must be '%s'", field, expect);
                return -1;
            }
            return 0;
        case F_KDF:
            for (int k = JAD_BUNDLE_KDF_MODERATE;
                 k <= JAD_BUNDLE_KDF_INTERACTIVE; k++)
                if (strcmp (value, s_kdf_names [k]) == 0)
                    self->kdf = k;
            if (!self->kdf) {
                snprintf (why, whylen, "kdf: argon2id-moderate or"
                          " argon2id-interactive");
                return -1;
            }
            return 0;
        case F_SALT:
            if (s_hex (value, self->salt, sizeof self->salt)) {
                snprintf (why, whylen, "salt: expected 32 hex digits");
                return -1;
            }
            return 0;
        case F_BOX: {
            size_t vlen = strlen (value), bin_len = 0;
            const char *end = NULL;
            if (vlen > sodium_base64_ENCODED_LEN (S_BOX_MAX,
                                     sodium_base64_VARIANT_ORIGINAL)) {
                snprintf (why, whylen, "secret-box: longer than a key file");
                return -1;
            }
            self->box = malloc (S_BOX_MAX);
            if (!self->box) {
                snprintf (why, whylen, "out of memory");
                return -1;
            }
            if (sodium_base642bin (self->box, S_BOX_MAX, value, vlen, NULL,
                                   &bin_len, &end,
                                   sodium_base64_VARIANT_ORIGINAL) != 0
            ||  end != value + vlen) {
                snprintf (why, whylen, "secret-box: not base64");
                return -1;
            }
            if (bin_len <= S_NONCE + S_TAG) {
                snprintf (why, whylen, "secret-box: too short");
                return -1;
            }
            self->box_len = bin_len;
            return 0;
        }
        default:
            snprintf (why, whylen, "internal error");
            return -1;
    }
}

jad_bundle_t *
jad_bundle_parse (const char *text, size_t len, int flags,
                  char *err, size_t errlen)
{
    jad_bundle_t *self = NULL;
    char *line = NULL;
    char why [JAD_BUNDLE_PATH_MAX + 200];
    int lineno = 0, ok = 0;
    s_field_t next = F_VERSION;     /* the field expected next */
    uint8_t sum [32];

    if (sodium_init () < 0) {
        snprintf (err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    if (!text && len) {
        snprintf (err, errlen, "bundle: no text");
        return NULL;
    }
    if (len > JAD_BUNDLE_MAX) {
        snprintf (err, errlen, "bundle: larger than %d bytes: not a bundle",
                  JAD_BUNDLE_MAX);
        return NULL;
    }
    self = calloc (1, sizeof *self);
    line = malloc (JAD_BUNDLE_LINE_MAX + 1);
    if (!self || !line) {
        snprintf (err, errlen, "bundle: out of memory");
        goto out;
    }
    size_t at = 0;
    while (at < len) {
        const char *nl = memchr (text + at, '\n', len - at);
        size_t line_len = nl ? (size_t) (nl - (text + at)) : len - at;
        lineno++;
        if (line_len > JAD_BUNDLE_LINE_MAX) {
            snprintf (err, errlen, "line %d: longer than %d bytes",
                      lineno, JAD_BUNDLE_LINE_MAX);
            goto out;
        }
        memcpy (line, text + at, line_len);
        line [line_len] = '\0';
        at += line_len + (nl ? 1 : 0);
        for (size_t i = 0; i < line_len; i++) {
            unsigned char c = (unsigned char) line [i];
            if ((c < 0x20 && c != '\t' && !(c == '\r' && i + 1 == line_len))
            ||  c == 0x7f) {
                snprintf (err, errlen, "line %d: control character (byte"
                          " 0x%02x at column %zu)", lineno, c, i + 1);
                goto out;
            }
        }
        if (!s_utf8_valid ((const unsigned char *) line, line_len)) {
            snprintf (err, errlen, "line %d: not UTF-8", lineno);
            goto out;
        }
        char *trimmed = jad_lines_trim (line);
        if (*trimmed == '\0' || *trimmed == '#')
            continue;
        if (next == F_COUNT) {
            snprintf (err, errlen, "line %d: text after the checksum",
                      lineno);
            goto out;
        }
        char *eq = strchr (trimmed, '=');
        if (!eq) {
            snprintf (err, errlen, "line %d: expected 'field = value'",
                      lineno);
            goto out;
        }
        *eq = '\0';
        char *field = jad_lines_trim (trimmed);
        char *value = jad_lines_trim (eq + 1);
        /* A bundle without a secret goes from the conf block straight to
         * the checksum. */
        if (next == F_KDF && strcmp (field, "checksum") == 0)
            next = F_CHECKSUM;
        if (strcmp (field, s_fields [next].name) != 0) {
            snprintf (err, errlen, "line %d: expected '%s%s%s', found"
                      " '%.40s'", lineno, s_fields [next].name,
                      s_fields [next].conf ? " = " : "",
                      s_fields [next].conf ? s_fields [next].conf : "",
                      field);
            goto out;
        }
        if (s_fields [next].conf) {
            char *ceq = strchr (value, '=');
            char *key = value;
            if (ceq)
                *ceq = '\0';
            key = jad_lines_trim (key);
            if (!ceq || strcmp (key, s_fields [next].conf) != 0) {
                snprintf (err, errlen, "line %d: expected 'conf = %s ="
                          " VALUE'", lineno, s_fields [next].conf);
                goto out;
            }
            value = jad_lines_trim (ceq + 1);
        }
        if (*value == '\0') {
            snprintf (err, errlen, "line %d: %s%s%s: no value", lineno,
                      s_fields [next].name, s_fields [next].conf ? " " : "",
                      s_fields [next].conf ? s_fields [next].conf : "");
            goto out;
        }
        if (next == F_CHECKSUM) {
            if (s_hex (value, sum, sizeof sum)) {
                snprintf (err, errlen, "line %d: checksum: expected 64 hex"
                          " digits", lineno);
                goto out;
            }
        }
        else
        if (s_field_set (self, next, value, why, sizeof why)) {
            snprintf (err, errlen, "line %d: %s", lineno, why);
            goto out;
        }
        next++;
    }
    if (next != F_COUNT) {
        snprintf (err, errlen, "bundle: missing '%s%s%s'%s",
                  s_fields [next].name, s_fields [next].conf ? " = " : "",
                  s_fields [next].conf ? s_fields [next].conf : "",
                  next > F_VERSION ? " (truncated?)" : ": not a jadhub bundle");
        goto out;
    }
    if (!(flags & JAD_BUNDLE_IGNORE_CHECKSUM)) {
        uint8_t want [32];
        if (s_checksum (self, want)) {
            snprintf (err, errlen, "bundle: out of memory");
            goto out;
        }
        if (sodium_memcmp (want, sum, sizeof sum) != 0) {
            snprintf (err, errlen, "bundle: checksum does not match: the"
                      " bundle was damaged or changed on the way");
            goto out;
        }
    }
    ok = 1;
out:
    free (line);
    if (!ok)
        jad_bundle_destroy (&self);
    return self;
}

jad_bundle_t *
jad_bundle_load (const char *path, int *io_error, char *err, size_t errlen)
{
    jad_bundle_t *self = NULL;
    char why [512];
    size_t len = 0;
    if (io_error)
        *io_error = 1;
    char *buf = jad_file_read (path, JAD_BUNDLE_MAX, &len, err, errlen);
    if (!buf && errno != EFBIG)
        return NULL;
    if (io_error)
        *io_error = 0;
    if (!buf) {     /* too large: refused like any text that is no bundle */
        snprintf (err, errlen, "%s: bundle: larger than %d bytes: not a"
                  " bundle", path, JAD_BUNDLE_MAX);
        return NULL;
    }
    self = jad_bundle_parse (buf, len, 0, why, sizeof why);
    if (!self)
        snprintf (err, errlen, "%s: %s", path, why);
    free (buf);
    return self;
}

/* ------------------------------------------------------------ format */

char *
jad_bundle_format (const jad_bundle_t *self)
{
    char *text = NULL, *fields = NULL;
    size_t len = 0;
    uint8_t sum [32];
    char sum_hex [65];
    char id_hex [2 * JAD_KEY_ID_BYTES + 1];
    fields = s_canonical (self, F_CHECKSUM);
    if (!fields || s_checksum (self, sum)) {
        free (fields);
        return NULL;
    }
    s_hex_put (sum_hex, sum, sizeof sum);
    s_hex_put (id_hex, self->hub.key_id, sizeof self->hub.key_id);
    FILE *file = open_memstream (&text, &len);
    if (!file) {
        free (fields);
        return NULL;
    }
    fprintf (file,
        "# jadhub bundle for %s (%s), operation \"%s\"\n"
        "#\n"
        "# Unpack it with:  jad-keygen unbundle THIS-FILE --out DIR\n"
        "# then run:        jad-agent run --config DIR/agent.conf\n"
        "# Before the operation, check the hub's key id with the coordinator\n"
        "# over another channel (telephone): %s\n"
        "%s"
        "# Format: include/jad/bundle.h.  Do not edit: the checksum covers\n"
        "# every field.\n",
        self->own.name, self->own.country, self->operation, id_hex,
        self->box ? "# It holds the participant's SECRET key, encrypted with"
                    " a passphrase\n# sent separately; keep it like a"
                    " secret key.\n" : "# Nothing in it is secret; "
                    "your own NAME.secret goes into DIR.\n");
    fputs (fields, file);
    fprintf (file, "checksum = %s\n", sum_hex);
    int bad = ferror (file);
    free (fields);
    if (fclose (file) || bad) {
        free (text);
        return NULL;
    }
    return text;
}

/* ------------------------------------------------------------ secrets */

static int
s_kdf_limits (int kdf, unsigned long long *ops, size_t *mem)
{
    if (kdf == JAD_BUNDLE_KDF_MODERATE) {
        *ops = crypto_pwhash_OPSLIMIT_MODERATE;
        *mem = crypto_pwhash_MEMLIMIT_MODERATE;
        return 0;
    }
    if (kdf == JAD_BUNDLE_KDF_INTERACTIVE) {
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        return 0;
    }
    return -1;
}

/* Derive the sealing key from PASS into KEY (S_KEY bytes, guarded). */
static int
s_derive (const jad_bundle_t *self, const char *pass, size_t passlen,
          uint8_t *key, char *err, size_t errlen)
{
    unsigned long long ops;
    size_t mem;
    if (s_kdf_limits (self->kdf, &ops, &mem)) {
        snprintf (err, errlen, "kdf: unknown");
        return -1;
    }
    if (crypto_pwhash (key, S_KEY, pass, passlen, self->salt, ops, mem,
                       crypto_pwhash_ALG_ARGON2ID13) != 0) {
        snprintf (err, errlen, "Argon2id needs %zu MiB of memory and could"
                  " not get it", mem >> 20);
        return -1;
    }
    return 0;
}

/* Does TEXT (LEN bytes, not NUL-terminated for all we know) hold NEEDLE?
 * strstr would read past LEN to the first NUL; memmem is a GNU extension
 * this build does not ask for. */
static int
s_contains (const char *text, size_t len, const char *needle)
{
    size_t n = strlen (needle);
    for (size_t at = 0; n <= len && at <= len - n; at++)
        if (memcmp (text + at, needle, n) == 0)
            return 1;
    return 0;
}

int
jad_bundle_seal (jad_bundle_t *self, const char *secret_text, size_t len,
                 const char *pass, size_t passlen, int kdf,
                 char *err, size_t errlen)
{
    int rc = -1;
    uint8_t *key = NULL;
    uint8_t *box = NULL;
    char *ad = NULL;
    char needle [JAD_KEYS_Z85_LEN + 32];
    unsigned long long ops, ct_len = 0;
    size_t mem;

    if (!self || !secret_text || !pass || s_kdf_limits (kdf, &ops, &mem)) {
        snprintf (err, errlen, "seal: bad arguments");
        return -1;
    }
    if (passlen < JAD_BUNDLE_PASS_MIN || passlen > JAD_BUNDLE_PASS_MAX) {
        snprintf (err, errlen, "passphrase: %d to %d characters",
                  JAD_BUNDLE_PASS_MIN, JAD_BUNDLE_PASS_MAX);
        return -1;
    }
    /* Guard against sealing someone else's key under this name: the
     * country checks it again, with keys.c's loader, when it unpacks. */
    snprintf (needle, sizeof needle, "\npublic-key = %s\n",
              self->own.public_key);
    if (len < 1 || len > S_SECRET_MAX || memchr (secret_text, '\0', len)
    ||  !s_contains (secret_text, len, needle)) {
        snprintf (err, errlen, "seal: the secret key file is not %s's",
                  self->own.name);
        return -1;
    }
    key = sodium_malloc (S_KEY);
    box = malloc (S_NONCE + len + S_TAG);
    if (!key || !box) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    self->kdf = kdf;
    randombytes_buf (self->salt, sizeof self->salt);
    /* The additional data needs the box present (s_present), not its
     * bytes: the fields before it are the same either way. */
    free (self->box);
    self->box = box;
    self->box_len = S_NONCE + len + S_TAG;
    box = NULL;
    ad = s_canonical (self, F_BOX);
    if (!ad) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    if (s_derive (self, pass, passlen, key, err, errlen))
        goto out;
    randombytes_buf (self->box, S_NONCE);
    crypto_aead_xchacha20poly1305_ietf_encrypt (
        self->box + S_NONCE, &ct_len, (const uint8_t *) secret_text, len,
        (const uint8_t *) ad, strlen (ad), NULL, self->box, key);
    if (ct_len != len + S_TAG) {
        snprintf (err, errlen, "encryption failed");
        goto out;
    }
    rc = 0;
out:
    if (rc) {
        free (self->box);
        self->box = NULL;
        self->box_len = 0;
        self->kdf = 0;
    }
    free (box);
    free (ad);
    sodium_free (key);
    return rc;
}

/* Open the box: the secret file's text in guarded memory (*OUT_P, *LEN_P;
 * the caller sodium_free's it).  0; JAD_BUNDLE_REJECTED for a wrong
 * passphrase or an altered bundle; JAD_BUNDLE_IO when memory runs out. */
static int
s_open (const jad_bundle_t *self, const char *pass, size_t passlen,
        char **out_p, size_t *len_p, char *err, size_t errlen)
{
    int rc = JAD_BUNDLE_IO;
    uint8_t *key = sodium_malloc (S_KEY);
    size_t len = self->box_len - S_NONCE - S_TAG;
    char *plain = sodium_malloc (len + 1);
    char *ad = s_canonical (self, F_BOX);
    unsigned long long plain_len = 0;
    if (!key || !plain || !ad) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    if (!pass || passlen == 0) {
        snprintf (err, errlen, "the bundle holds a secret key: a passphrase"
                  " is needed");
        rc = JAD_BUNDLE_REJECTED;
        goto out;
    }
    if (passlen > JAD_BUNDLE_PASS_MAX) {
        snprintf (err, errlen, "passphrase longer than %d bytes",
                  JAD_BUNDLE_PASS_MAX);
        rc = JAD_BUNDLE_REJECTED;
        goto out;
    }
    if (s_derive (self, pass, passlen, key, err, errlen))
        goto out;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt (
            (uint8_t *) plain, &plain_len, NULL, self->box + S_NONCE,
            self->box_len - S_NONCE, (const uint8_t *) ad, strlen (ad),
            self->box, key) != 0
    ||  plain_len != len) {
        snprintf (err, errlen, "wrong passphrase, or the bundle was changed"
                  " since it was made: the secret key cannot be opened");
        rc = JAD_BUNDLE_REJECTED;
        goto out;
    }
    plain [len] = '\0';
    if (memchr (plain, '\0', len)) {
        snprintf (err, errlen, "the sealed secret is not a key file");
        rc = JAD_BUNDLE_REJECTED;
        goto out;
    }
    *out_p = plain;
    *len_p = len;
    plain = NULL;
    rc = 0;
out:
    sodium_free (key);
    sodium_free (plain);
    free (ad);
    return rc;
}

/* ------------------------------------------------------------ files */

/* Does the key file at PATH hold P's public keys?  1 yes, 0 no (reason in
 * ERR), -1 it could not be loaded (reason in ERR). */
static int
s_keys_match (const char *path, const jad_participant_t *p,
              char *err, size_t errlen)
{
    jad_keys_t *keys = jad_keys_load (path, err, errlen);
    if (!keys)
        return -1;
    int match = strcmp (jad_keys_name (keys), p->name) == 0
             && strcmp (jad_keys_public (keys), p->public_key) == 0
             && memcmp (jad_keys_sign_public (keys), p->sign_key,
                        sizeof p->sign_key) == 0;
    if (!match)
        snprintf (err, errlen, "%s: holds other keys than the bundle's %s"
                  " (unpack into a fresh directory, or ask the coordinator"
                  " which key the roster has)", path, p->name);
    jad_keys_destroy (&keys);
    return match;
}

/* keys.h's public file text for P. */
static void
s_pub_text (const jad_participant_t *p, char *buf, size_t len)
{
    char sign_hex [2 * JAD_SIGN_PUBLIC_BYTES + 1];
    char id_hex [2 * JAD_KEY_ID_BYTES + 1];
    s_hex_put (sign_hex, p->sign_key, sizeof p->sign_key);
    s_hex_put (id_hex, p->key_id, sizeof p->key_id);
    snprintf (buf, len, "# jadhub public keys for %s\nname = %s\n"
              "public-key = %s\nsign-public-key = %s\nkey-id = %s\n",
              p->name, p->name, p->public_key, sign_hex, id_hex);
}

char *
jad_bundle_agent_conf (const jad_bundle_t *self, const char *dir)
{
    char *text = NULL;
    size_t len = 0;
    char value [JAD_BUNDLE_PATH_MAX + 80];
    if (!dir || dir [0] != '/' || strlen (dir) > PATH_MAX)
        return NULL;
    for (const char *c = dir; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7f)
            return NULL;
    FILE *file = open_memstream (&text, &len);
    if (!file)
        return NULL;
    fprintf (file,
        "# jad-agent configuration for %s (%s), operation \"%s\",\n"
        "# unpacked from its bundle by jad-keygen unbundle.\n"
        "# Run:  jad-agent run --config %s/agent.conf\n"
        "# Keys are jad-agent run's long options; the command line wins.\n",
        self->own.name, self->own.country, self->operation, dir);
    for (s_field_t f = F_CONF_DATA; f <= F_CONF_LOG_LEVEL; f++) {
        s_value (self, f, value, sizeof value);
        int placeholder = strncmp (value, "@DIR@", 5) == 0;
        fprintf (file, "%s = %s%s\n", s_fields [f].conf,
                 placeholder ? dir : "", value + (placeholder ? 5 : 0));
    }
    int bad = ferror (file);
    if (fclose (file) || bad) {
        free (text);
        return NULL;
    }
    return text;
}

/* The checks of unpacking into DIR that need no passphrase: NAME.pub and
 * HUB.pub, where present, hold the bundle's keys (else they are written:
 * *WRITE_PUB, *WRITE_HUB); NAME.secret is absent when the bundle brings
 * one, and else, when present, belongs to the bundle's keys (*STATE 'p',
 * else 'm').  0, JAD_BUNDLE_REJECTED or JAD_BUNDLE_IO. */
static int
s_preflight (const jad_bundle_t *self, const char *dir, int *write_pub,
             int *write_hub, int *state, char *err, size_t errlen)
{
    char sec_path [PATH_MAX], pub_path [PATH_MAX], hub_path [PATH_MAX];
    struct stat st;
    if ((size_t) snprintf (sec_path, sizeof sec_path, "%s/%s.secret", dir,
                           self->own.name) >= sizeof sec_path
    ||  (size_t) snprintf (pub_path, sizeof pub_path, "%s/%s.pub", dir,
                           self->own.name) >= sizeof pub_path
    ||  (size_t) snprintf (hub_path, sizeof hub_path, "%s/%s.pub", dir,
                           self->hub.name) >= sizeof hub_path) {
        snprintf (err, errlen, "%s: path too long", dir);
        return JAD_BUNDLE_IO;
    }
    *write_pub = lstat (pub_path, &st) != 0;
    if (!*write_pub && s_keys_match (pub_path, &self->own, err, errlen) <= 0)
        return JAD_BUNDLE_REJECTED;
    *write_hub = lstat (hub_path, &st) != 0;
    if (!*write_hub && s_keys_match (hub_path, &self->hub, err, errlen) <= 0)
        return JAD_BUNDLE_REJECTED;
    *state = 'm';
    if (lstat (sec_path, &st) == 0) {
        if (self->box) {
            snprintf (err, errlen, "%s: a secret key already exists; refusing"
                      " to overwrite it (unpack into another directory)",
                      sec_path);
            return JAD_BUNDLE_IO;
        }
        if (s_keys_match (sec_path, &self->own, err, errlen) <= 0)
            return JAD_BUNDLE_REJECTED;
        *state = 'p';
    }
    return 0;
}

/* Is DIR there?  0 with *EXISTS 1 (a directory) or 0 (nothing there yet);
 * JAD_BUNDLE_IO with a reason when it is something else or cannot be
 * looked at. */
static int
s_dir_state (const char *dir, int *exists, char *err, size_t errlen)
{
    struct stat st;
    *exists = 0;
    if (stat (dir, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf (err, errlen, "%s: %s", dir, strerror (errno));
        return JAD_BUNDLE_IO;
    }
    if (!S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "%s: not a directory", dir);
        return JAD_BUNDLE_IO;
    }
    *exists = 1;
    return 0;
}

int
jad_bundle_check_dir (const jad_bundle_t *self, const char *dir,
                      char *err, size_t errlen)
{
    int write_pub, write_hub, state, exists;
    int rc = s_dir_state (dir, &exists, err, errlen);
    if (rc || !exists)
        return rc;      /* missing: made when unpacking, nothing to clash */
    return s_preflight (self, dir, &write_pub, &write_hub, &state, err,
                        errlen);
}

/* PATH without trailing slashes (the root stays "/"), in place. */
static void
s_strip_slashes (char *path)
{
    size_t n = strlen (path);
    while (n > 1 && path [n - 1] == '/')
        path [--n] = '\0';
}

/* The outermost of DIR and its parents that does not exist yet, in TOP
 * (PATH_MAX bytes): where jad_file_make_dirs (DIR) will start creating,
 * so that s_dirs_undo can take back what it made.  DIR is missing. */
static void
s_missing_top (const char *dir, char *top)
{
    char path [PATH_MAX];
    struct stat st;
    snprintf (path, sizeof path, "%s", dir);
    s_strip_slashes (path);
    snprintf (top, PATH_MAX, "%s", path);
    for (;;) {
        char *slash = strrchr (path, '/');
        if (!slash || slash == path)
            break;
        *slash = '\0';
        s_strip_slashes (path);
        if (stat (path, &st) == 0)
            break;
        snprintf (top, PATH_MAX, "%s", path);
    }
}

/* Remove what unpacking made for DIR when it fails after making it: DIR,
 * then each parent up to TOP, while they are empty (rmdir refuses a
 * directory with anything in it, so nothing of anyone else's goes). */
static void
s_dirs_undo (const char *dir, const char *top)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s", dir);
    s_strip_slashes (path);
    for (;;) {
        if (rmdir (path) != 0 || strcmp (path, top) == 0)
            return;
        char *slash = strrchr (path, '/');
        if (!slash || slash == path)
            return;
        *slash = '\0';
        s_strip_slashes (path);
    }
}

/* The opened secret's text (LEN bytes) in a new file of DIR, mode 0600,
 * for keys.c's loader to judge and s_secret_link to put in place under its
 * name.  Where the kernel and the file system have them the file is an
 * unnamed one (O_TMPFILE): it has no name in DIR until it is linked as
 * NAME.secret, so a crash or a kill before that leaves no copy of the
 * secret behind; PATH is then /proc/self/fd/N and *FD_P its descriptor,
 * which the caller closes.  Else (EOPNOTSUPP, EISDIR from an old kernel,
 * no /proc) a named temporary file DIR/.jad.XXXXXX (jad_file_temp, *FD_P
 * -1), which the caller unlinks.  0, or -1 with a reason and PATH "". */
static int
s_secret_temp (const char *dir, const char *text, size_t len, int *fd_p,
               char *path, char *err, size_t errlen)
{
    *fd_p = -1;
    path [0] = '\0';
#ifdef O_TMPFILE
    int fd = open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR) {
        snprintf (err, errlen, "%s: cannot create a file: %s", dir,
                  strerror (errno));
        return -1;
    }
    if (fd >= 0) {
        snprintf (path, PATH_MAX, "/proc/self/fd/%d", fd);
        if (access (path, F_OK) != 0) {
            close (fd);         /* no /proc: it could not be linked */
            path [0] = '\0';
        }
        else
        if (jad_file_write_all (fd, text, len) || fchmod (fd, 0600)
        ||  fsync (fd)) {
            snprintf (err, errlen, "%s: cannot write a file: %s", dir,
                      strerror (errno));
            close (fd);
            path [0] = '\0';
            return -1;
        }
        else {
            *fd_p = fd;
            return 0;
        }
    }
#endif
    return jad_file_temp (dir, text, len, 0600, path, err, errlen);
}

/* Give the file s_secret_temp made (TMP, FD) the name PATH: with link(),
 * which never replaces an existing file (an unnamed file through its
 * /proc/self/fd link, followed).  0, or -1 with errno. */
static int
s_secret_link (const char *tmp, int fd, const char *path)
{
#ifdef O_TMPFILE
    if (fd >= 0)
        return linkat (AT_FDCWD, tmp, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
#else
    (void) fd;
#endif
    return link (tmp, path);
}

int
jad_bundle_unpack (const jad_bundle_t *self, const char *dir,
                   const char *pass, size_t passlen, int *secret_state,
                   char *err, size_t errlen)
{
    int rc = JAD_BUNDLE_IO;
    char *abs = NULL, *conf = NULL, *secret = NULL;
    size_t secret_len = 0;
    char sec_path [PATH_MAX], pub_path [PATH_MAX], hub_path [PATH_MAX];
    char conf_path [PATH_MAX], top [PATH_MAX] = "";
    char tmp_sec [PATH_MAX] = "", tmp_pub [PATH_MAX] = "";
    char tmp_hub [PATH_MAX] = "", tmp_conf [PATH_MAX] = "";
    char pub_text [512], hub_text [512];
    int write_pub = 1, write_hub = 1, state = 'm', exists = 0;
    int sec_fd = -1, made = 0;

    /* Everything that can refuse the bundle — what DIR holds already, the
     * passphrase — comes before anything is made, DIR included: a refused
     * bundle leaves no trace. */
    rc = s_dir_state (dir, &exists, err, errlen);
    if (rc)
        goto out;
    if (exists) {
        rc = s_preflight (self, dir, &write_pub, &write_hub, &state, err,
                          errlen);
        if (rc)
            goto out;
    }
    if (self->box) {
        rc = s_open (self, pass, passlen, &secret, &secret_len, err, errlen);
        if (rc)
            goto out;
    }
    rc = JAD_BUNDLE_IO;
    if (!exists) {
        s_missing_top (dir, top);
        made = 1;       /* what make_dirs made before failing goes too */
        if (jad_file_make_dirs (dir, 0700)) {
            snprintf (err, errlen, "%s: %s", dir, strerror (errno));
            goto out;
        }
    }
    abs = realpath (dir, NULL);
    if (!abs) {
        snprintf (err, errlen, "%s: %s", dir, strerror (errno));
        goto out;
    }
    if ((size_t) snprintf (sec_path, sizeof sec_path, "%s/%s.secret", abs,
                           self->own.name) >= sizeof sec_path
    ||  (size_t) snprintf (pub_path, sizeof pub_path, "%s/%s.pub", abs,
                           self->own.name) >= sizeof pub_path
    ||  (size_t) snprintf (hub_path, sizeof hub_path, "%s/%s.pub", abs,
                           self->hub.name) >= sizeof hub_path
    ||  (size_t) snprintf (conf_path, sizeof conf_path, "%s/agent.conf", abs)
        >= sizeof conf_path) {
        snprintf (err, errlen, "%s: path too long", dir);
        goto out;
    }
    conf = jad_bundle_agent_conf (self, abs);
    if (!conf) {
        snprintf (err, errlen, "%s: a directory name with control"
                  " characters cannot go into agent.conf", abs);
        goto out;
    }
    if (secret) {
        if (s_secret_temp (abs, secret, secret_len, &sec_fd, tmp_sec, err,
                           errlen))
            goto out;
        /* keys.c's loader is the judge of a key file. */
        if (s_keys_match (tmp_sec, &self->own, err, errlen) <= 0) {
            snprintf (err, errlen, "the sealed secret key is not %s's, or"
                      " not a valid key file", self->own.name);
            rc = JAD_BUNDLE_REJECTED;
            goto out;
        }
        state = 'w';
    }
    s_pub_text (&self->own, pub_text, sizeof pub_text);
    s_pub_text (&self->hub, hub_text, sizeof hub_text);
    if ((write_pub && jad_file_temp (abs, pub_text, strlen (pub_text), 0644,
                                    tmp_pub, err, errlen))
    ||  (write_hub && jad_file_temp (abs, hub_text, strlen (hub_text), 0644,
                                    tmp_hub, err, errlen))
    ||  jad_file_temp (abs, conf, strlen (conf), 0644, tmp_conf, err, errlen))
        goto out;

    /* Put the files in place: the secret with link(), which never
     * replaces an existing file, the others with rename(). */
    if (tmp_sec [0]) {
        if (s_secret_link (tmp_sec, sec_fd, sec_path)) {
            snprintf (err, errlen, "%s: %s", sec_path, errno == EEXIST
                      ? "a secret key already exists; refusing to overwrite"
                        " it" : strerror (errno));
            goto out;
        }
        if (sec_fd < 0)
            unlink (tmp_sec);
        tmp_sec [0] = '\0';
    }
    if ((tmp_pub [0] && rename (tmp_pub, pub_path))
    ||  (tmp_hub [0] && rename (tmp_hub, hub_path))
    ||  rename (tmp_conf, conf_path)) {
        snprintf (err, errlen, "%s: cannot put files in place: %s", abs,
                  strerror (errno));
        goto out;
    }
    tmp_pub [0] = tmp_hub [0] = tmp_conf [0] = '\0';
    if (jad_file_sync_dir (abs)) {
        snprintf (err, errlen, "%s: cannot sync: %s", abs, strerror (errno));
        goto out;
    }
    if (secret_state)
        *secret_state = state;
    rc = 0;
out:
    if (sec_fd >= 0)
        close (sec_fd);         /* an unnamed file not linked is gone */
    else
    if (tmp_sec [0])
        unlink (tmp_sec);
    if (tmp_pub [0])
        unlink (tmp_pub);
    if (tmp_hub [0])
        unlink (tmp_hub);
    if (tmp_conf [0])
        unlink (tmp_conf);
    if (rc && made)
        s_dirs_undo (dir, top);
    sodium_free (secret);
    free (conf);
    free (abs);
    return rc;
}

/* ------------------------------------------------------------ generate */

/* A private directory for a moment's key files: in memory (/dev/shm) when
 * possible, so the secret never reaches a disk. */
static int
s_private_dir (char *dir, size_t len)
{
    const char *bases [3] = { "/dev/shm", getenv ("TMPDIR"), "/tmp" };
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (!bases [i] || !*bases [i] || stat (bases [i], &st)
        ||  !S_ISDIR (st.st_mode))
            continue;
        if ((size_t) snprintf (dir, len, "%s/jad-keygen.XXXXXX", bases [i])
            >= len)
            continue;
        if (mkdtemp (dir))
            return 0;
    }
    return -1;
}

int
jad_bundle_keys_generate (const char *name, jad_participant_t *p,
                          char **secret_p, size_t *len_p,
                          char *err, size_t errlen)
{
    int rc = -1;
    char dir [PATH_MAX] = "", sec_path [PATH_MAX], pub_path [PATH_MAX];
    char *text = NULL;
    jad_keys_t *keys = NULL;
    int fd = -1;
    size_t len = 0;

    if (!jad_keys_name_valid (name)) {
        snprintf (err, errlen, "invalid name");
        return -1;
    }
    if (s_private_dir (dir, sizeof dir)) {
        snprintf (err, errlen, "cannot make a private directory in /dev/shm,"
                  " $TMPDIR or /tmp: %s", strerror (errno));
        dir [0] = '\0';
        goto out;
    }
    if ((size_t) snprintf (sec_path, sizeof sec_path, "%s/%s.secret", dir,
                           name) >= sizeof sec_path
    ||  (size_t) snprintf (pub_path, sizeof pub_path, "%s/%s.pub", dir, name)
        >= sizeof pub_path) {
        snprintf (err, errlen, "%s: path too long", dir);
        goto out;
    }
    if (jad_keys_generate (name, dir, err, errlen))
        goto out;
    /* The loader checks what the generator wrote, then the text is read
     * into guarded memory. */
    keys = jad_keys_load (sec_path, err, errlen);
    if (!keys)
        goto out;
    text = sodium_malloc (S_SECRET_MAX + 1);
    fd = open (sec_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (!text || fd < 0) {
        snprintf (err, errlen, "%s: %s", sec_path,
                  text ? strerror (errno) : "out of locked memory");
        goto out;
    }
    /* Into the guarded buffer: jad_file_read's would be ordinary heap. */
    if (jad_file_read_fd (fd, text, S_SECRET_MAX, &len)) {
        snprintf (err, errlen, "%s: %s", sec_path, strerror (errno));
        goto out;
    }
    if (len == S_SECRET_MAX) {
        snprintf (err, errlen, "%s: too long", sec_path);
        goto out;
    }
    text [len] = '\0';
    memset (p, 0, sizeof *p);
    snprintf (p->name, sizeof p->name, "%s", jad_keys_name (keys));
    snprintf (p->public_key, sizeof p->public_key, "%s",
              jad_keys_public (keys));
    memcpy (p->sign_key, jad_keys_sign_public (keys), sizeof p->sign_key);
    memcpy (p->key_id, jad_keys_key_id (keys), sizeof p->key_id);
    *secret_p = text;
    *len_p = len;
    text = NULL;
    rc = 0;
out:
    if (fd >= 0)
        close (fd);
    jad_keys_destroy (&keys);
    sodium_free (text);
    if (dir [0]) {
        unlink (sec_path);
        unlink (pub_path);
        rmdir (dir);
    }
    return rc;
}

/* ------------------------------------------------------------ accessors */

const char *
jad_bundle_operation (const jad_bundle_t *self)
{
    return self->operation;
}

const uint8_t *
jad_bundle_operation_id (const jad_bundle_t *self)
{
    return self->op_id;
}

const char *
jad_bundle_name (const jad_bundle_t *self)
{
    return self->own.name;
}

const char *
jad_bundle_country (const jad_bundle_t *self)
{
    return self->own.country;
}

const char *
jad_bundle_hub_name (const jad_bundle_t *self)
{
    return self->hub.name;
}

const uint8_t *
jad_bundle_hub_key_id (const jad_bundle_t *self)
{
    return self->hub.key_id;
}

const char *
jad_bundle_hub_endpoint (const jad_bundle_t *self)
{
    return self->hub_endpoint;
}

const char *
jad_bundle_feed_endpoint (const jad_bundle_t *self)
{
    return self->feed_endpoint;
}

int
jad_bundle_has_secret (const jad_bundle_t *self)
{
    return self->box != NULL;
}
