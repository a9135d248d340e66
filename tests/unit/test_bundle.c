/* Unit tests: lib/bundle.c — country codes, endpoints, a bundle made from
 * a real roster (keys from keys.c), format ∘ parse round trip, the strict
 * parser's refusals (each names its line and field), the checksum, the
 * sealed secret (right and wrong passphrase, a field changed under a
 * recomputed checksum, a swapped box, a text bounded by its length),
 * unpacking (modes, an existing secret never overwritten, keys in the
 * directory that do not match, nothing written on refusal — no directory
 * either — and no temporary file left), the agent configuration's @DIR@, and
 * central key generation leaving nothing behind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "jad/bundle.h"
#include "jad/keys.h"
#include "jad/roster.h"
#include "testutil.h"

#define PASS "correct horse battery staple"

/* ------------------------------------------------------------ helpers */

typedef struct {
    char *dir;                  /* scratch directory (testutil), removed
                                   with all in it at teardown */
    jad_roster_t *roster;       /* hub, agent-de (DE), europol, agent-fr
                                   (FR, revoked) */
    char *de_secret;            /* agent-de.secret's text */
} s_fixture_t;

static void
s_path (char *buf, size_t len, const char *dir, const char *file)
{
    snprintf (buf, len, "%s/%s", dir, file);
}

static char *
s_slurp (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *buf = calloc (1, 1 << 20);
    size_t n = fread (buf, 1, (1 << 20) - 1, file);
    buf [n] = '\0';
    fclose (file);
    return buf;
}

/* A roster line for the key files DIR/NAME.pub. */
static void
s_roster_line (FILE *out, const char *dir, const char *name,
               const char *role, const char *cc, const char *extra)
{
    char path [256], err [256];
    s_path (path, sizeof path, dir, name);
    strcat (path, ".pub");
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    assert_non_null (keys);
    fprintf (out, "participant %s %s %s %s ", name, role, cc,
             jad_keys_public (keys));
    for (int i = 0; i < 32; i++)
        fprintf (out, "%02x", jad_keys_sign_public (keys) [i]);
    fputc (' ', out);
    for (int i = 0; i < 8; i++)
        fprintf (out, "%02x", jad_keys_key_id (keys) [i]);
    fprintf (out, "%s\n", extra);
    jad_keys_destroy (&keys);
}

static int
s_setup (void **state)
{
    s_fixture_t *fx = calloc (1, sizeof *fx);
    char err [256], path [256];
    if (!fx || !(fx->dir = jad_test_mkdtemp ())) {
        free (fx);
        return -1;
    }
    const char *names [] = { "hub", "agent-de", "europol", "agent-fr" };
    for (int i = 0; i < 4; i++)
        if (jad_keys_generate (names [i], fx->dir, err, sizeof err))
            return -1;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    fprintf (out, "operation Armstrong VIII\n"
             "operation_id 00112233445566778899aabbccddeeff\n"
             "start 2026-03-02T06:00:00Z\nend 2026-03-05T06:00:00Z\n");
    s_roster_line (out, fx->dir, "hub", "hub", "-", "");
    s_roster_line (out, fx->dir, "agent-de", "agent", "DE", "");
    s_roster_line (out, fx->dir, "europol", "coordinator", "-", "");
    s_roster_line (out, fx->dir, "agent-fr", "agent", "FR", " revoked");
    fclose (out);
    fx->roster = jad_roster_parse (text, len, NULL, err, sizeof err);
    free (text);
    if (!fx->roster)
        return -1;
    s_path (path, sizeof path, fx->dir, "agent-de.secret");
    fx->de_secret = s_slurp (path);
    *state = fx;
    return fx->de_secret ? 0 : -1;
}

static int
s_teardown (void **state)
{
    s_fixture_t *fx = *state;
    jad_test_rmtree (fx->dir);
    free (fx->dir);
    jad_roster_destroy (&fx->roster);
    free (fx->de_secret);
    free (fx);
    return 0;
}

static jad_bundle_t *
s_bundle_de (s_fixture_t *fx)
{
    char err [512];
    jad_bundle_t *b = jad_bundle_new (fx->roster, "agent-de",
                                      "tcp://hub.example.org:7401",
                                      "tcp://hub.example.org:7402", NULL,
                                      NULL, err, sizeof err);
    if (!b)
        fprintf (stderr, "%s\n", err);
    assert_non_null (b);
    return b;
}

/* Replace the first occurrence of FROM in TEXT by TO; a new string. */
static char *
s_replace (const char *text, const char *from, const char *to)
{
    const char *at = strstr (text, from);
    assert_non_null (at);
    size_t len = strlen (text) - strlen (from) + strlen (to);
    char *out = malloc (len + 1);
    size_t head = (size_t) (at - text);
    memcpy (out, text, head);
    strcpy (out + head, to);
    strcat (out, at + strlen (from));
    return out;
}

/* TEXT with its checksum line recomputed over its field lines (what an
 * attacker who edits a field can always do). */
static char *
s_rechecksum (const char *text)
{
    char *fields = calloc (1, strlen (text) + 1);
    const char *line = text;
    while (*line) {
        const char *nl = strchr (line, '\n');
        size_t len = nl ? (size_t) (nl - line + 1) : strlen (line);
        if (line [0] != '#' && line [0] != '\n'
        &&  strncmp (line, "checksum = ", 11) != 0)
            strncat (fields, line, len);
        line += len;
    }
    uint8_t sum [32];
    char hex [65];
    crypto_generichash (sum, 32, (const uint8_t *) fields, strlen (fields),
                        NULL, 0);
    sodium_bin2hex (hex, sizeof hex, sum, 32);
    char *out = malloc (strlen (fields) + 80);
    sprintf (out, "%schecksum = %s\n", fields, hex);
    free (fields);
    return out;
}

static void
s_expect_refused (const char *text, const char *want)
{
    char err [512] = "";
    jad_bundle_t *b = jad_bundle_parse (text, strlen (text), 0, err,
                                        sizeof err);
    if (b || !strstr (err, want))
        fprintf (stderr, "expected '%s', got '%s'\n", want, b ? "ok" : err);
    assert_null (b);
    assert_non_null (strstr (err, want));
}

/* Entries of DIR whose name starts with PREFIX ("" for all). */
static int
s_count_prefixed (const char *dir, const char *prefix)
{
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir (d)))
        if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..")
        &&  strncmp (e->d_name, prefix, strlen (prefix)) == 0)
            n++;
    closedir (d);
    return n;
}

static int
s_count_entries (const char *dir)
{
    return s_count_prefixed (dir, "");
}

/* ------------------------------------------------------------ tests */

static void
test_country (void **state)
{
    (void) state;
    const char *hint = NULL;
    assert_int_equal (jad_bundle_country_known ("DE", &hint), 1);
    assert_string_equal (hint, "");
    assert_int_equal (jad_bundle_country_known ("XK", NULL), 1);
    assert_int_equal (jad_bundle_country_known ("AD", NULL), 1);
    assert_int_equal (jad_bundle_country_known ("ZW", NULL), 1);
    assert_int_equal (jad_bundle_country_known ("ZZ", NULL), 0);
    assert_int_equal (jad_bundle_country_known ("UK", &hint), 0);
    assert_non_null (strstr (hint, "GB"));
    assert_int_equal (jad_bundle_country_known ("EL", &hint), 0);
    assert_non_null (strstr (hint, "GR"));
    assert_int_equal (jad_bundle_country_known ("de", &hint), 0);
    assert_non_null (strstr (hint, "upper case"));
    assert_int_equal (jad_bundle_country_known ("D", NULL), 0);
    assert_int_equal (jad_bundle_country_known ("DEU", NULL), 0);
    assert_int_equal (jad_bundle_country_known ("", NULL), 0);
    assert_int_equal (jad_bundle_country_known (NULL, NULL), 0);
}

static void
test_endpoint (void **state)
{
    (void) state;
    const char *good [] = {
        "tcp://127.0.0.1:7401", "tcp://hub.example.org:1",
        "tcp://h:65535", "tcp://[::1]:7401", "tcp://[2001:db8::7]:80", NULL
    };
    const char *bad [] = {
        "tcp://127.0.0.1", "tcp://:7401", "tcp://h:0", "tcp://h:65536",
        "tcp://h:07401", "tcp://h:+1", "udp://h:1", "tcp://h h:1",
        "tcp://-h:1", "tcp://h.:1", "tcp://a..b:1", "tcp://[zz]:1",
        "tcp://[::1:1", "ipc:///tmp/x", "tcp://h:1\n", "tcp://h:123456", "",
        NULL
    };
    for (int i = 0; good [i]; i++)
        assert_int_equal (jad_bundle_endpoint_valid (good [i]), 1);
    for (int i = 0; bad [i]; i++) {
        if (jad_bundle_endpoint_valid (bad [i]))
            fprintf (stderr, "accepted '%s'\n", bad [i]);
        assert_int_equal (jad_bundle_endpoint_valid (bad [i]), 0);
    }
    char longer [300] = "tcp://";
    memset (longer + 6, 'a', 250);
    strcpy (longer + 256, ":1");
    assert_int_equal (jad_bundle_endpoint_valid (longer), 0);
}

static void
test_new_refusals (void **state)
{
    s_fixture_t *fx = *state;
    char err [512];
    const char *ep = "tcp://h:1";
    assert_null (jad_bundle_new (fx->roster, "agent-xx", ep, ep, NULL, NULL,
                                 err, sizeof err));
    assert_non_null (strstr (err, "not in the roster"));
    assert_null (jad_bundle_new (fx->roster, "europol", ep, ep, NULL, NULL,
                                 err, sizeof err));
    assert_non_null (strstr (err, "coordinator"));
    assert_null (jad_bundle_new (fx->roster, "agent-fr", ep, ep, NULL, NULL,
                                 err, sizeof err));
    assert_non_null (strstr (err, "revoked"));
    assert_null (jad_bundle_new (fx->roster, "agent-de", "tcp://h", ep, NULL,
                                 NULL, err, sizeof err));
    assert_non_null (strstr (err, "--hub-endpoint"));
    assert_null (jad_bundle_new (fx->roster, "agent-de", ep, "h:1", NULL,
                                 NULL, err, sizeof err));
    assert_non_null (strstr (err, "--feed-endpoint"));
    assert_null (jad_bundle_new (fx->roster, "agent-de", ep, ep, "data",
                                 NULL, err, sizeof err));
    assert_non_null (strstr (err, "--data"));
    assert_null (jad_bundle_new (fx->roster, "agent-de", ep, ep,
                                 "@DIR@/../x", NULL, err, sizeof err));
    assert_null (jad_bundle_new (fx->roster, "agent-de", ep, ep, NULL,
                                 "loud", err, sizeof err));
    assert_non_null (strstr (err, "--log-level"));
    jad_bundle_t *b = jad_bundle_new (fx->roster, "agent-de", ep, ep,
                                      "/var/lib/jadhub/agent", "debug", err,
                                      sizeof err);
    assert_non_null (b);
    jad_bundle_destroy (&b);
    assert_null (b);
    jad_bundle_destroy (NULL);
    /* The same checks without a roster, with the same messages. */
    assert_int_equal (jad_bundle_check_settings (ep, ep, NULL, NULL, err,
                                                 sizeof err), 0);
    assert_int_equal (jad_bundle_check_settings (ep, ep, "/srv/a", "warn",
                                                 err, sizeof err), 0);
    assert_int_equal (jad_bundle_check_settings ("tcp://h", ep, NULL, NULL,
                                                 err, sizeof err), -1);
    assert_non_null (strstr (err, "--hub-endpoint"));
    assert_int_equal (jad_bundle_check_settings (ep, ep, "data", NULL, err,
                                                 sizeof err), -1);
    assert_non_null (strstr (err, "--data 'data'"));
    assert_int_equal (jad_bundle_check_settings (ep, ep, NULL, "loud", err,
                                                 sizeof err), -1);
    assert_non_null (strstr (err, "--log-level 'loud'"));
}

static void
test_round_trip (void **state)
{
    s_fixture_t *fx = *state;
    char err [512];
    jad_bundle_t *b = s_bundle_de (fx);
    char *text = jad_bundle_format (b);
    assert_non_null (text);
    assert_int_equal (jad_bundle_has_secret (b), 0);
    assert_null (strstr (text, "secret-box"));
    assert_non_null (strstr (text, "\nconf = hub-key = @DIR@/hub.pub\n"));
    jad_bundle_t *back = jad_bundle_parse (text, strlen (text), 0, err,
                                           sizeof err);
    if (!back)
        fprintf (stderr, "%s\n", err);
    assert_non_null (back);
    char *again = jad_bundle_format (back);
    assert_string_equal (text, again);
    assert_string_equal (jad_bundle_operation (back), "Armstrong VIII");
    assert_string_equal (jad_bundle_name (back), "agent-de");
    assert_string_equal (jad_bundle_country (back), "DE");
    assert_string_equal (jad_bundle_hub_name (back), "hub");
    assert_string_equal (jad_bundle_hub_endpoint (back),
                         "tcp://hub.example.org:7401");
    assert_string_equal (jad_bundle_feed_endpoint (back),
                         "tcp://hub.example.org:7402");
    assert_memory_equal (jad_bundle_operation_id (back),
                         jad_roster_id (fx->roster), 16);
    assert_memory_equal (jad_bundle_hub_key_id (back),
                         jad_roster_hub (fx->roster)->key_id, 8);

    /* What travels by e-mail may come back with CRLF, other blanks,
     * upper-case hex and comments of its own: the same bundle. */
    char *crlf = calloc (1, 2 * strlen (text) + 1);
    for (const char *c = text, *d = crlf; *c; c++) {
        if (*c == '\n')
            *(char *) d++ = '\r';
        *(char *) d++ = *c;
    }
    char *blanks = s_replace (crlf, "name = agent-de", "  name\t=   agent-de  ");
    char *upper = s_replace (blanks, "operation-id = 0011",
                             "# a comment of the mailer\r\n\r\n"
                             "operation-id = 0011");
    char *upper2 = s_replace (upper, "aabbccddeeff", "AABBCCDDEEFF");
    jad_bundle_t *mangled = jad_bundle_parse (upper2, strlen (upper2), 0,
                                              err, sizeof err);
    if (!mangled)
        fprintf (stderr, "%s\n", err);
    assert_non_null (mangled);
    char *mangled_text = jad_bundle_format (mangled);
    assert_string_equal (mangled_text, text);
    free (mangled_text);
    jad_bundle_destroy (&mangled);
    free (crlf);
    free (blanks);
    free (upper);
    free (upper2);

    /* The agent configuration: @DIR@ replaced, keys as jad-agent run's. */
    char *conf = jad_bundle_agent_conf (back, "/srv/jad");
    assert_non_null (conf);
    assert_non_null (strstr (conf, "\ndata = /srv/jad/data\n"));
    assert_non_null (strstr (conf, "\nkey = /srv/jad/agent-de.secret\n"));
    assert_non_null (strstr (conf, "\nhub-key = /srv/jad/hub.pub\n"));
    assert_non_null (strstr (conf, "\ncountry = DE\n"));
    assert_non_null (strstr (conf, "\nhub = tcp://hub.example.org:7401\n"));
    assert_non_null (strstr (conf, "\nfeed = tcp://hub.example.org:7402\n"));
    assert_non_null (strstr (conf, "\nlog-level = info\n"));
    assert_null (strstr (conf, "@DIR@"));
    free (conf);
    assert_null (jad_bundle_agent_conf (back, "relative"));
    assert_null (jad_bundle_agent_conf (back, "/a\nb"));
    free (again);
    free (text);
    jad_bundle_destroy (&b);
    jad_bundle_destroy (&back);
}

static void
test_parse_refusals (void **state)
{
    s_fixture_t *fx = *state;
    jad_bundle_t *b = s_bundle_de (fx);
    char *text = jad_bundle_format (b);
    char *t;
    jad_bundle_destroy (&b);

    s_expect_refused ("", "missing 'jadhub-bundle': not a jadhub bundle");
    s_expect_refused ("hello\n", "line 1: expected 'field = value'");
    t = s_replace (text, "jadhub-bundle = 1", "jadhub-bundle = 2");
    s_expect_refused (t, "jadhub-bundle: version '2' is not supported");
    free (t);
    /* Out of order, unknown, repeated. */
    t = s_replace (text, "role = agent\n", "");
    s_expect_refused (t, "expected 'role', found 'country'");
    free (t);
    t = s_replace (text, "role = agent\n", "role = agent\nrole = agent\n");
    s_expect_refused (t, "expected 'country', found 'role'");
    free (t);
    t = s_replace (text, "role = agent\n", "role = agent\nextra = 1\n");
    s_expect_refused (t, "expected 'country', found 'extra'");
    free (t);
    t = s_replace (text, "role = agent", "role = coordinator");
    s_expect_refused (t, "role: 'coordinator': only agents get bundles");
    free (t);
    t = s_replace (text, "country = DE", "country = UK");
    s_expect_refused (t, "country: 'UK' is not an ISO 3166-1 alpha-2 code"
                      " (the United Kingdom is GB)");
    free (t);
    t = s_replace (text, "name = agent-de", "name = Agent");
    s_expect_refused (t, "line 13: name: 1..64 characters");
    free (t);
    t = s_replace (text, "hub-name = hub", "hub-name = agent-de");
    s_expect_refused (t, "hub-name: the same as name");
    free (t);
    t = s_replace (text, "key-id = ", "key-id = 00");
    s_expect_refused (t, "key-id: expected 16 hex digits");
    free (t);
    t = s_replace (text, "operation-id = 00", "operation-id = 0g");
    s_expect_refused (t, "operation-id: expected 32 hex digits");
    free (t);
    t = s_replace (text, "hub-endpoint = tcp://hub.example.org:7401",
                   "hub-endpoint = tcp://hub.example.org:99999");
    s_expect_refused (t, "hub-endpoint: expected tcp://HOST:PORT");
    free (t);
    t = s_replace (text, "hub-endpoint = tcp://hub.example.org:7401",
                   "hub-endpoint =");
    s_expect_refused (t, "hub-endpoint: no value");
    free (t);
    /* The configuration may not say anything the fields do not. */
    t = s_replace (text, "conf = hub = tcp://hub.example.org:7401",
                   "conf = hub = tcp://evil.example.org:7401");
    s_expect_refused (t, "conf hub: must be 'tcp://hub.example.org:7401'");
    free (t);
    t = s_replace (text, "conf = key = @DIR@/agent-de.secret",
                   "conf = key = /etc/shadow");
    s_expect_refused (t, "conf key: must be '@DIR@/agent-de.secret'");
    free (t);
    t = s_replace (text, "conf = data = @DIR@/data",
                   "conf = data = relative");
    s_expect_refused (t, "conf data: expected @DIR@/PATH");
    free (t);
    t = s_replace (text, "conf = data = @DIR@/data", "conf = dat = x");
    s_expect_refused (t, "expected 'conf = data = VALUE'");
    free (t);
    t = s_replace (text, "conf = log-level = info", "conf = log-level = 5");
    s_expect_refused (t, "conf log-level: error, warn");
    free (t);
    /* Bytes. */
    t = s_replace (text, "operation = Armstrong VIII",
                   "operation = Armstrong\001VIII");
    s_expect_refused (t, "control character (byte 0x01");
    free (t);
    t = s_replace (text, "operation = Armstrong VIII",
                   "operation = Armstrong \xc3\x28");
    s_expect_refused (t, "not UTF-8");
    free (t);
    char *nul = strdup (text);
    nul [100] = '\0';
    char err [512];
    assert_null (jad_bundle_parse (nul, strlen (text), 0, err, sizeof err));
    assert_non_null (strstr (err, "control character (byte 0x00"));
    free (nul);
    char *longline = calloc (1, JAD_BUNDLE_LINE_MAX + 100);
    memset (longline, '#', JAD_BUNDLE_LINE_MAX + 1);
    s_expect_refused (longline, "line 1: longer than 8192 bytes");
    free (longline);
    char *big = calloc (1, JAD_BUNDLE_MAX + 10);
    memset (big, '\n', JAD_BUNDLE_MAX + 1);
    s_expect_refused (big, "larger than 65536 bytes");
    free (big);
    /* Truncated, extended, damaged. */
    t = strdup (text);
    *strstr (t, "conf = feed") = '\0';
    s_expect_refused (t, "missing 'conf = feed' (truncated?)");
    free (t);
    t = s_replace (text, "\nchecksum = ", "\nkdf = argon2id-moderate\n"
                   "checksum = ");
    s_expect_refused (t, "expected 'salt', found 'checksum'");
    free (t);
    size_t n = strlen (text);
    t = malloc (n + 32);
    sprintf (t, "%sname = x\n", text);
    s_expect_refused (t, "text after the checksum");
    free (t);
    t = s_replace (text, "operation = Armstrong VIII",
                   "operation = Armstrong VIIII");
    s_expect_refused (t, "checksum does not match");
    /* ... which a test may ask to overlook, and a recomputed checksum
     * makes good: the checksum is for accidents, not attackers. */
    jad_bundle_t *b2 = jad_bundle_parse (t, strlen (t),
                                         JAD_BUNDLE_IGNORE_CHECKSUM, err,
                                         sizeof err);
    assert_non_null (b2);
    jad_bundle_destroy (&b2);
    char *fixed = s_rechecksum (t);
    b2 = jad_bundle_parse (fixed, strlen (fixed), 0, err, sizeof err);
    assert_non_null (b2);
    assert_string_equal (jad_bundle_operation (b2), "Armstrong VIIII");
    jad_bundle_destroy (&b2);
    free (fixed);
    free (t);
    t = s_replace (text, "checksum = ", "checksum = 0");
    s_expect_refused (t, "checksum: expected 64 hex digits");
    free (t);
    free (text);
}

/* Seal agent-de's secret into its bundle; the sealed text. */
static char *
s_sealed_text (s_fixture_t *fx)
{
    char err [512];
    jad_bundle_t *b = s_bundle_de (fx);
    int rc = jad_bundle_seal (b, fx->de_secret, strlen (fx->de_secret),
                              PASS, strlen (PASS),
                              JAD_BUNDLE_KDF_INTERACTIVE, err, sizeof err);
    if (rc)
        fprintf (stderr, "%s\n", err);
    assert_int_equal (rc, 0);
    assert_int_equal (jad_bundle_has_secret (b), 1);
    char *text = jad_bundle_format (b);
    jad_bundle_destroy (&b);
    return text;
}

static void
test_seal_refusals (void **state)
{
    s_fixture_t *fx = *state;
    char err [512];
    jad_bundle_t *b = s_bundle_de (fx);
    /* Too short a passphrase; another participant's secret. */
    assert_int_equal (jad_bundle_seal (b, fx->de_secret,
                                       strlen (fx->de_secret), "short", 5,
                                       JAD_BUNDLE_KDF_INTERACTIVE, err,
                                       sizeof err), -1);
    assert_non_null (strstr (err, "passphrase"));
    char path [256];
    s_path (path, sizeof path, fx->dir, "europol.secret");
    char *other = s_slurp (path);
    assert_int_equal (jad_bundle_seal (b, other, strlen (other), PASS,
                                       strlen (PASS),
                                       JAD_BUNDLE_KDF_INTERACTIVE, err,
                                       sizeof err), -1);
    assert_non_null (strstr (err, "not agent-de's"));
    assert_int_equal (jad_bundle_has_secret (b), 0);
    /* The key check reads LEN bytes, not to the NUL: agent-de's text cut
     * before its public-key line is not agent-de's key file, though the
     * line follows in memory. */
    size_t cut = (size_t) (strstr (fx->de_secret, "\npublic-key = ")
                           - fx->de_secret);
    assert_int_equal (jad_bundle_seal (b, fx->de_secret, cut, PASS,
                                       strlen (PASS),
                                       JAD_BUNDLE_KDF_INTERACTIVE, err,
                                       sizeof err), -1);
    assert_non_null (strstr (err, "not agent-de's"));
    /* ... and a text with no NUL after it is read no further (ASan). */
    size_t len = strlen (fx->de_secret);
    char *bare = malloc (len);
    memcpy (bare, fx->de_secret, len);
    assert_int_equal (jad_bundle_seal (b, bare, len - 1, PASS, strlen (PASS),
                                       JAD_BUNDLE_KDF_INTERACTIVE, err,
                                       sizeof err), 0);
    free (bare);
    free (other);
    jad_bundle_destroy (&b);
}

static void
test_sealed_unpack (void **state)
{
    s_fixture_t *fx = *state;
    char err [512], dir [256], path [256];
    int secret_state = 0;
    char *text = s_sealed_text (fx);
    assert_non_null (strstr (text, "kdf = argon2id-interactive\n"));
    assert_non_null (strstr (text, "secret-box = "));
    /* No secret in the clear. */
    char *seed = strstr (fx->de_secret, "sign-secret-key = ");
    char *curve = strstr (fx->de_secret, "\nsecret-key = ");
    assert_non_null (seed);
    assert_non_null (curve);
    char seed_hex [65], curve_z85 [41];
    memcpy (seed_hex, seed + 18, 64);
    seed_hex [64] = '\0';
    memcpy (curve_z85, curve + 14, 40);
    curve_z85 [40] = '\0';
    assert_null (strstr (text, seed_hex));
    assert_null (strstr (text, curve_z85));

    jad_bundle_t *b = jad_bundle_parse (text, strlen (text), 0, err,
                                        sizeof err);
    assert_non_null (b);
    assert_int_equal (jad_bundle_has_secret (b), 1);
    char *again = jad_bundle_format (b);
    assert_string_equal (again, text);
    free (again);

    /* Wrong passphrase, no passphrase: refused, nothing written — not
     * even the directory, nor its missing parent. */
    snprintf (dir, sizeof dir, "%s/country/keys", fx->dir);
    s_path (path, sizeof path, fx->dir, "country");
    assert_int_equal (jad_bundle_unpack (b, dir, "wrong horse battery", 19,
                                         &secret_state, err, sizeof err),
                      JAD_BUNDLE_REJECTED);
    assert_non_null (strstr (err, "wrong passphrase"));
    assert_int_equal (access (path, F_OK), -1);
    assert_int_equal (jad_bundle_unpack (b, dir, NULL, 0, &secret_state,
                                         err, sizeof err),
                      JAD_BUNDLE_REJECTED);
    assert_int_equal (access (path, F_OK), -1);
    /* An existing empty directory stays as it was: empty. */
    assert_int_equal (mkdir (path, 0755), 0);
    assert_int_equal (jad_bundle_unpack (b, path, "wrong horse battery", 19,
                                         &secret_state, err, sizeof err),
                      JAD_BUNDLE_REJECTED);
    assert_int_equal (s_count_entries (path), 0);
    assert_int_equal (rmdir (path), 0);

    /* The right one: the secret, 0600, in a 0700 directory, loadable and
     * the roster's. */
    assert_int_equal (jad_bundle_unpack (b, dir, PASS, strlen (PASS),
                                         &secret_state, err, sizeof err), 0);
    assert_int_equal (secret_state, 'w');
    struct stat st;
    assert_int_equal (stat (dir, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0700);
    s_path (path, sizeof path, dir, "agent-de.secret");
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    char *written = s_slurp (path);
    assert_string_equal (written, fx->de_secret);
    free (written);
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    assert_non_null (keys);
    assert_int_equal (jad_keys_has_secret (keys), 1);
    assert_string_equal (jad_keys_public (keys),
                         jad_roster_find_name (fx->roster,
                                               "agent-de")->public_key);
    jad_keys_destroy (&keys);
    s_path (path, sizeof path, dir, "hub.pub");
    keys = jad_keys_load (path, err, sizeof err);
    assert_non_null (keys);
    assert_string_equal (jad_keys_public (keys),
                         jad_roster_hub (fx->roster)->public_key);
    jad_keys_destroy (&keys);
    s_path (path, sizeof path, dir, "agent.conf");
    char *conf = s_slurp (path);
    assert_non_null (conf);
    assert_non_null (strstr (conf, "key = "));
    assert_null (strstr (conf, "@DIR@"));
    free (conf);
    assert_int_equal (s_count_entries (dir), 4);     /* no .jad.* left */

    /* Again: the secret is never overwritten (and --check says so). */
    assert_int_equal (jad_bundle_check_dir (b, dir, err, sizeof err),
                      JAD_BUNDLE_IO);
    assert_int_equal (jad_bundle_unpack (b, dir, PASS, strlen (PASS),
                                         &secret_state, err, sizeof err),
                      JAD_BUNDLE_IO);
    assert_non_null (strstr (err, "already exists"));
    jad_bundle_destroy (&b);

    /* A field changed and the checksum recomputed: the passphrase's tag
     * refuses it. */
    char *evil = s_replace (text, "hub-endpoint = tcp://hub.example.org",
                            "hub-endpoint = tcp://evil.example.org");
    char *evil2 = s_replace (evil, "conf = hub = tcp://hub.example.org",
                             "conf = hub = tcp://evil.example.org");
    char *evil3 = s_rechecksum (evil2);
    b = jad_bundle_parse (evil3, strlen (evil3), 0, err, sizeof err);
    assert_non_null (b);
    snprintf (dir, sizeof dir, "%s/country2", fx->dir);
    assert_int_equal (jad_bundle_unpack (b, dir, PASS, strlen (PASS),
                                         &secret_state, err, sizeof err),
                      JAD_BUNDLE_REJECTED);
    assert_non_null (strstr (err, "wrong passphrase, or the bundle was"
                                  " changed"));
    assert_int_equal (access (dir, F_OK), -1);
    jad_bundle_destroy (&b);
    free (evil);
    free (evil2);
    free (evil3);

    /* A flipped bit in the box. */
    char *box = strstr (text, "secret-box = ") + 20;
    *box = *box == 'A' ? 'B' : 'A';
    char *flipped = s_rechecksum (text);
    b = jad_bundle_parse (flipped, strlen (flipped), 0, err, sizeof err);
    assert_non_null (b);
    assert_int_equal (jad_bundle_unpack (b, dir, PASS, strlen (PASS),
                                         &secret_state, err, sizeof err),
                      JAD_BUNDLE_REJECTED);
    assert_non_null (strstr (err, "wrong passphrase, or the bundle was"
                                  " changed"));
    assert_int_equal (access (dir, F_OK), -1);
    jad_bundle_destroy (&b);
    free (flipped);

    /* A malformed box and a kdf by number are parse errors. */
    char *t = s_replace (text, "secret-box = ", "secret-box = !");
    s_expect_refused (t, "secret-box: not base64");
    free (t);
    t = s_replace (text, "kdf = argon2id-interactive",
                   "kdf = argon2id ops=1 mem=99999999999");
    s_expect_refused (t, "kdf: argon2id-moderate or argon2id-interactive");
    free (t);
    t = s_replace (text, "salt = ", "salt = 00");
    s_expect_refused (t, "salt: expected 32 hex digits");
    free (t);
    free (text);
}

static void
test_plain_unpack (void **state)
{
    s_fixture_t *fx = *state;
    char err [512], dir [256], path [256];
    int secret_state = 0;
    jad_bundle_t *b = s_bundle_de (fx);

    /* --check's view first: nothing in the way, nothing written. */
    snprintf (dir, sizeof dir, "%s/not-yet", fx->dir);
    assert_int_equal (jad_bundle_check_dir (b, dir, err, sizeof err), 0);
    assert_int_equal (access (dir, F_OK), -1);
    assert_int_equal (jad_bundle_check_dir (b, fx->dir, err, sizeof err), 0);

    /* The country's own key directory: the secret is kept and checked. */
    assert_int_equal (jad_bundle_unpack (b, fx->dir, NULL, 0, &secret_state,
                                         err, sizeof err), 0);
    assert_int_equal (secret_state, 'p');

    /* A fresh directory: the secret is missing, the rest is there. */
    snprintf (dir, sizeof dir, "%s/fresh", fx->dir);
    assert_int_equal (jad_bundle_unpack (b, dir, NULL, 0, &secret_state,
                                         err, sizeof err), 0);
    assert_int_equal (secret_state, 'm');
    assert_int_equal (s_count_entries (dir), 3);

    /* Another participant's secret under agent-de's name: refused. */
    snprintf (dir, sizeof dir, "%s/wrong", fx->dir);
    mkdir (dir, 0700);
    char err2 [256];
    assert_int_equal (jad_keys_generate ("agent-de", dir, err2, sizeof err2),
                      0);
    s_path (path, sizeof path, dir, "agent-de.pub");
    unlink (path);
    assert_int_equal (jad_bundle_unpack (b, dir, NULL, 0, &secret_state,
                                         err, sizeof err),
                      JAD_BUNDLE_REJECTED);
    assert_non_null (strstr (err, "holds other keys"));
    assert_int_equal (s_count_entries (dir), 1);
    assert_int_equal (jad_bundle_check_dir (b, dir, err, sizeof err),
                      JAD_BUNDLE_REJECTED);
    /* ... and other keys in NAME.pub too. */
    s_path (path, sizeof path, dir, "agent-de.secret");
    unlink (path);
    char pubsrc [256];
    s_path (pubsrc, sizeof pubsrc, fx->dir, "europol.pub");
    char *pub = s_slurp (pubsrc);
    char *renamed = s_replace (pub, "name = europol", "name = agent-de");
    s_path (path, sizeof path, dir, "agent-de.pub");
    FILE *f = fopen (path, "w");
    fputs (renamed, f);
    fclose (f);
    assert_int_equal (jad_bundle_unpack (b, dir, NULL, 0, &secret_state,
                                         err, sizeof err),
                      JAD_BUNDLE_REJECTED);
    assert_int_equal (s_count_entries (dir), 1);
    free (pub);
    free (renamed);

    /* A file where the directory should be. */
    s_path (path, sizeof path, fx->dir, "plain");
    f = fopen (path, "w");
    fclose (f);
    assert_int_equal (jad_bundle_unpack (b, path, NULL, 0, &secret_state,
                                         err, sizeof err), JAD_BUNDLE_IO);
    assert_int_equal (jad_bundle_check_dir (b, path, err, sizeof err),
                      JAD_BUNDLE_IO);
    jad_bundle_destroy (&b);
}

static void
test_keys_generate (void **state)
{
    s_fixture_t *fx = *state;
    char err [512];
    jad_participant_t p;
    char *secret = NULL;
    size_t len = 0;
    int before = s_count_prefixed ("/dev/shm", "jad-keygen.");
    assert_int_equal (jad_bundle_keys_generate ("agent-be", &p, &secret,
                                                &len, err, sizeof err), 0);
    assert_int_equal (s_count_prefixed ("/dev/shm", "jad-keygen."), before);
    assert_string_equal (p.name, "agent-be");
    assert_int_equal (strlen (p.public_key), 40);
    assert_int_equal (len, strlen (secret));
    assert_non_null (strstr (secret, "sign-secret-key = "));
    assert_non_null (strstr (secret, p.public_key));
    /* It seals into agent-be's bundle once agent-be is in a roster. */
    char *text = jad_roster_format (fx->roster);
    char *line = NULL;
    size_t n = 0;
    FILE *out = open_memstream (&line, &n);
    fprintf (out, "%sparticipant agent-be agent BE %s ", text, p.public_key);
    for (int i = 0; i < 32; i++)
        fprintf (out, "%02x", p.sign_key [i]);
    fputc (' ', out);
    for (int i = 0; i < 8; i++)
        fprintf (out, "%02x", p.key_id [i]);
    fputc ('\n', out);
    fclose (out);
    jad_roster_t *roster = jad_roster_parse (line, n, NULL, err, sizeof err);
    assert_non_null (roster);
    jad_bundle_t *b = jad_bundle_new (roster, "agent-be", "tcp://h:1",
                                      "tcp://h:2", NULL, NULL, err,
                                      sizeof err);
    assert_non_null (b);
    assert_int_equal (jad_bundle_seal (b, secret, len, PASS, strlen (PASS),
                                       JAD_BUNDLE_KDF_INTERACTIVE, err,
                                       sizeof err), 0);
    jad_bundle_destroy (&b);
    jad_roster_destroy (&roster);
    free (line);
    free (text);
    sodium_free (secret);
    assert_int_equal (jad_bundle_keys_generate ("Bad", &p, &secret, &len,
                                                err, sizeof err), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_country),
        cmocka_unit_test (test_endpoint),
        cmocka_unit_test_setup_teardown (test_new_refusals, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_round_trip, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_parse_refusals, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_seal_refusals, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_sealed_unpack, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_plain_unpack, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_keys_generate, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
