/* Unit tests: lib/keys.c — generate, file modes, load, Z85, refusal to
 * overwrite, refusal of a readable secret, names, damaged key files, the
 * signing keys (written, loaded, signing verified by sign.c, the RFC 8032
 * vector from a hand-written file, files from before signing keys refused),
 * and the CURVE socket options on real sockets (ZAP_ENFORCE_DOMAIN reads
 * back 1 and does refuse a client when no ZAP handler runs). */
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

#include <czmq.h>

#include "jad/keys.h"
#include "jad/sign.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

static void
s_path (char *buf, size_t len, const char *dir, const char *file)
{
    snprintf (buf, len, "%s/%s", dir, file);
}

static void
s_write_file (const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    assert_int_equal (fclose (f), 0);
    assert_int_equal (chmod (path, mode), 0);
}

static char *
s_read_file (const char *path)
{
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char *buf = calloc (1, 8192);
    assert_non_null (buf);
    size_t n = fread (buf, 1, 8191, f);
    buf [n] = '\0';
    fclose (f);
    return buf;
}

/* The lines of DIR/NAME.secret about signing: "sign-public-key = ...\n
 * key-id = ...\n" and, with SECRET, "sign-secret-key = ...\n".  Static
 * buffer. */
static const char *
s_sign_lines (const char *dir, const char *name, int secret)
{
    static char lines [512];
    char path [512];
    snprintf (path, sizeof path, "%s/%s.secret", dir, name);
    char *text = s_read_file (path);
    lines [0] = '\0';
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
        if (strncmp (line, "sign-public-key = ", 18) == 0
        ||  strncmp (line, "key-id = ", 9) == 0
        ||  (secret && strncmp (line, "sign-secret-key = ", 18) == 0)) {
            strcat (lines, line);
            strcat (lines, "\n");
        }
    free (text);
    return lines;
}

static int
s_is_hex (const char *s, size_t len)
{
    if (strlen (s) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!strchr ("0123456789abcdef", s [i]))
            return 0;
    return 1;
}

/* The value of FIELD in the file text TEXT (a static copy), or NULL. */
static const char *
s_field (const char *text, const char *field)
{
    static char value [256];
    char key [64];
    snprintf (key, sizeof key, "\n%s = ", field);
    const char *at = strstr (text, key);
    if (!at)
        return NULL;
    at += strlen (key);
    size_t n = strcspn (at, "\n");
    snprintf (value, sizeof value, "%.*s", (int) n, at);
    return value;
}

static jad_keys_t *
s_generate_and_load (const char *dir, const char *name)
{
    char err [256], path [512];
    assert_int_equal (jad_keys_generate (name, dir, err, sizeof err), 0);
    snprintf (path, sizeof path, "%s/%s.secret", dir, name);
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    if (!keys)
        fail_msg ("load: %s", err);
    return keys;
}

/* ------------------------------------------------------------ tests */

static void
test_generate_files_and_modes (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], pub [512], sec [512];
    assert_int_equal (jad_keys_generate ("agent-de", dir, err, sizeof err), 0);
    s_path (pub, sizeof pub, dir, "agent-de.pub");
    s_path (sec, sizeof sec, dir, "agent-de.secret");

    struct stat st;
    assert_int_equal (stat (sec, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0600);
    assert_int_equal (stat (pub, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0644);

    /* The public file holds no secret; no temporary file is left over. */
    char *text = s_read_file (pub);
    assert_non_null (strstr (text, "name = agent-de\n"));
    assert_non_null (strstr (text, "public-key = "));
    assert_true (s_is_hex (s_field (text, "sign-public-key"), 64));
    char sign_public [65];
    strcpy (sign_public, s_field (text, "sign-public-key"));
    assert_true (s_is_hex (s_field (text, "key-id"), 16));
    char key_id [17];
    strcpy (key_id, s_field (text, "key-id"));
    assert_null (strstr (text, "secret"));
    free (text);
    text = s_read_file (sec);
    assert_non_null (strstr (text, "\nsecret-key = "));
    assert_string_equal (s_field (text, "sign-public-key"), sign_public);
    assert_string_equal (s_field (text, "key-id"), key_id);
    assert_true (s_is_hex (s_field (text, "sign-secret-key"), 64));
    assert_string_not_equal (s_field (text, "sign-secret-key"), sign_public);
    free (text);
    DIR *d = opendir (dir);
    assert_non_null (d);
    int files = 0;
    for (struct dirent *e; (e = readdir (d)); )
        if (e->d_name [0] != '.' || strlen (e->d_name) > 2)
            files++;
    closedir (d);
    assert_int_equal (files, 2);
}

static void
test_load_secret_and_public (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], pub [512];
    jad_keys_t *keys = s_generate_and_load (dir, "hub");
    assert_string_equal (jad_keys_name (keys), "hub");
    assert_true (jad_keys_has_secret (keys));
    assert_non_null (jad_keys_secret (keys));
    assert_int_equal (strlen (jad_keys_public (keys)), 40);
    assert_int_equal (strlen (jad_keys_secret (keys)), 40);
    assert_string_not_equal (jad_keys_public (keys), jad_keys_secret (keys));

    uint8_t bytes [32];
    assert_non_null (zmq_z85_decode (bytes, jad_keys_public (keys)));
    assert_non_null (zmq_z85_decode (bytes, jad_keys_secret (keys)));
    assert_true (jad_keys_z85_valid (jad_keys_public (keys)));

    s_path (pub, sizeof pub, dir, "hub.pub");
    jad_keys_t *public_only = jad_keys_load (pub, err, sizeof err);
    assert_non_null (public_only);
    assert_false (jad_keys_has_secret (public_only));
    assert_null (jad_keys_secret (public_only));
    assert_string_equal (jad_keys_public (public_only), jad_keys_public (keys));
    assert_string_equal (jad_keys_name (public_only), "hub");

    jad_keys_destroy (&keys);
    assert_null (keys);
    jad_keys_destroy (&public_only);
    jad_keys_destroy (&public_only);    /* safe on NULL */
}

static void
test_refuse_overwrite (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], sec [512];
    assert_int_equal (jad_keys_generate ("agent-fr", dir, err, sizeof err), 0);
    s_path (sec, sizeof sec, dir, "agent-fr.secret");
    char *before = s_read_file (sec);

    err [0] = '\0';
    assert_int_equal (jad_keys_generate ("agent-fr", dir, err, sizeof err), -1);
    assert_non_null (strstr (err, "already exists"));
    assert_non_null (strstr (err, "agent-fr.secret"));
    char *after = s_read_file (sec);
    assert_string_equal (before, after);
    free (before);
    free (after);

    /* A missing directory is an error, not a crash. */
    char missing [512];
    s_path (missing, sizeof missing, dir, "no/such/dir");
    assert_int_equal (jad_keys_generate ("x", missing, err, sizeof err), -1);
}

static void
test_refuse_readable_secret (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], sec [512], other [512];
    assert_int_equal (jad_keys_generate ("agent-nl", dir, err, sizeof err), 0);
    s_path (sec, sizeof sec, dir, "agent-nl.secret");

    assert_int_equal (chmod (sec, 0644), 0);
    assert_null (jad_keys_load (sec, err, sizeof err));
    assert_non_null (strstr (err, "group or others"));
    assert_non_null (strstr (err, "0644"));

    assert_int_equal (chmod (sec, 0640), 0);
    assert_null (jad_keys_load (sec, err, sizeof err));

    /* The same text under another name is still a secret. */
    char *text = s_read_file (sec);
    s_path (other, sizeof other, dir, "agent-nl.key");
    s_write_file (other, text, 0604);
    free (text);
    assert_null (jad_keys_load (other, err, sizeof err));
    assert_non_null (strstr (err, "group or others"));

    assert_int_equal (chmod (sec, 0600), 0);
    jad_keys_t *keys = jad_keys_load (sec, err, sizeof err);
    assert_non_null (keys);
    jad_keys_destroy (&keys);
    assert_int_equal (chmod (sec, 0400), 0);
    keys = jad_keys_load (sec, err, sizeof err);
    assert_non_null (keys);
    jad_keys_destroy (&keys);
}

static void
test_names (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256];
    char longest [66];
    memset (longest, 'a', 64);
    longest [64] = '\0';
    assert_true (jad_keys_name_valid ("hub"));
    assert_true (jad_keys_name_valid ("agent-de"));
    assert_true (jad_keys_name_valid ("a.b_c-9"));
    assert_true (jad_keys_name_valid ("0"));
    assert_true (jad_keys_name_valid (longest));
    longest [64] = 'a';
    longest [65] = '\0';
    assert_false (jad_keys_name_valid (longest));
    assert_false (jad_keys_name_valid (""));
    assert_false (jad_keys_name_valid (NULL));
    assert_false (jad_keys_name_valid ("Hub"));
    assert_false (jad_keys_name_valid ("a/b"));
    assert_false (jad_keys_name_valid (".."));
    assert_false (jad_keys_name_valid (".hidden"));
    assert_false (jad_keys_name_valid ("-x"));
    assert_false (jad_keys_name_valid ("a b"));
    assert_false (jad_keys_name_valid ("agent\xc3\xa9"));

    assert_int_equal (jad_keys_generate ("../evil", dir, err, sizeof err), -1);
    assert_non_null (strstr (err, "invalid name"));
    assert_int_equal (jad_keys_generate ("", dir, err, sizeof err), -1);
}

static void
test_z85_valid (void **state)
{
    (void) state;
    assert_true (jad_keys_z85_valid ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
    assert_false (jad_keys_z85_valid ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf"));
    assert_false (jad_keys_z85_valid ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf77"));
    assert_false (jad_keys_z85_valid ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]y~7"));
    assert_false (jad_keys_z85_valid ("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]y 7"));
    /* "#####" is 85^5 - 1, above 2^32 - 1: not a 4-byte group. */
    assert_false (jad_keys_z85_valid ("#####>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
    assert_false (jad_keys_z85_valid ("rq:rM#####Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
    assert_false (jad_keys_z85_valid (NULL));
}

static void
test_damaged_files (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], path [512];
    jad_keys_t *a = s_generate_and_load (dir, "a");
    jad_keys_t *b = s_generate_and_load (dir, "b");
    char text [1024];

    struct { const char *what; const char *expect; } cases [2];
    s_path (path, sizeof path, dir, "bad.pub");

    /* A secret that belongs to another public key. */
    snprintf (text, sizeof text, "name = a\npublic-key = %s\nsecret-key = %s\n"
              "%s", jad_keys_public (a), jad_keys_secret (b),
              s_sign_lines (dir, "a", 1));
    s_write_file (path, text, 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, "does not belong"));
    /* No key material in the error text. */
    assert_null (strstr (err, jad_keys_secret (b)));

    cases [0].what = "name = a\n";
    cases [0].expect = "missing 'public-key'";
    cases [1].what = "# only a comment\n";
    cases [1].expect = "missing 'name'";
    snprintf (text, sizeof text, "name = a\npublic-key = %s\ncolour = red\n",
              jad_keys_public (a));
    s_write_file (path, text, 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, ":3: unknown field"));

    snprintf (text, sizeof text, "name = a\nname = a\npublic-key = %s\n",
              jad_keys_public (a));
    s_write_file (path, text, 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, ":2: 'name' given twice"));

    s_write_file (path, "name = a\npublic-key = short\n", 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, ":2: invalid public-key"));

    s_write_file (path, "name = A\n", 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, ":1: invalid name"));

    s_write_file (path, "just words\n", 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, ":1: expected"));

    for (int i = 0; i < 2; i++) {
        s_write_file (path, cases [i].what, 0600);
        assert_null (jad_keys_load (path, err, sizeof err));
        assert_non_null (strstr (err, cases [i].expect));
    }

    /* A .secret without a secret key; a huge file; a directory. */
    s_path (path, sizeof path, dir, "c.secret");
    snprintf (text, sizeof text, "name = c\npublic-key = %s\n%s",
              jad_keys_public (a), s_sign_lines (dir, "a", 0));
    s_write_file (path, text, 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, "missing 'secret-key'"));

    char *big = malloc (10000);
    assert_non_null (big);
    memset (big, '#', 9999);
    big [9999] = '\0';
    s_write_file (path, big, 0600);
    free (big);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, "larger than"));

    assert_null (jad_keys_load (dir, err, sizeof err));
    s_path (path, sizeof path, dir, "nope.pub");
    assert_null (jad_keys_load (path, err, sizeof err));

    /* Blank lines, comments, CRLF and '#' / '=' inside values are fine. */
    s_path (path, sizeof path, dir, "ok.pub");
    snprintf (text, sizeof text, "\n  # hello\r\nname=a\r\n  public-key   =  %s  \r\n"
              "%s", jad_keys_public (a), s_sign_lines (dir, "a", 0));
    s_write_file (path, text, 0644);
    jad_keys_t *ok = jad_keys_load (path, err, sizeof err);
    if (!ok)
        fail_msg ("%s", err);
    assert_string_equal (jad_keys_public (ok), jad_keys_public (a));
    jad_keys_destroy (&ok);

    jad_keys_destroy (&a);
    jad_keys_destroy (&b);
}

static void
test_signing_keys (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], pub [512];
    jad_keys_t *keys = s_generate_and_load (dir, "agent-de");
    s_path (pub, sizeof pub, dir, "agent-de.pub");
    jad_keys_t *public_only = jad_keys_load (pub, err, sizeof err);
    assert_non_null (public_only);

    /* Both objects carry the signing public key and its derived id. */
    assert_memory_equal (jad_keys_sign_public (keys),
                         jad_keys_sign_public (public_only),
                         JAD_SIGN_PUBLIC_BYTES);
    assert_memory_equal (jad_keys_key_id (keys), jad_keys_key_id (public_only),
                         JAD_KEY_ID_BYTES);
    uint8_t id [JAD_KEY_ID_BYTES];
    jad_sign_key_id (jad_keys_sign_public (keys), id);
    assert_memory_equal (id, jad_keys_key_id (keys), JAD_KEY_ID_BYTES);
    /* The signing key is not the CURVE key. */
    uint8_t curve [32];
    assert_non_null (zmq_z85_decode (curve, jad_keys_public (keys)));
    assert_memory_not_equal (curve, jad_keys_sign_public (keys), 32);

    /* Signed with the secret, verified with the public file's key. */
    static const uint8_t msg [] = "jadhub-report-v1 and more";
    uint8_t sig [JAD_SIGN_BYTES];
    assert_int_equal (jad_keys_sign (keys, msg, sizeof msg, sig), 0);
    assert_int_equal (jad_sign_verify (jad_keys_sign_public (public_only),
                                       msg, sizeof msg, sig), 0);
    uint8_t tampered [sizeof msg];
    memcpy (tampered, msg, sizeof msg);
    tampered [3] ^= 0x10;
    assert_int_equal (jad_sign_verify (jad_keys_sign_public (public_only),
                                       tampered, sizeof tampered, sig), -1);
    assert_int_equal (jad_keys_sign (public_only, msg, sizeof msg, sig), -1);
    assert_int_equal (jad_keys_sign (keys, NULL, 0, sig), 0);
    assert_int_equal (jad_sign_verify (jad_keys_sign_public (keys), NULL, 0,
                                       sig), 0);

    /* Another participant's key does not verify it. */
    jad_keys_t *other = s_generate_and_load (dir, "agent-fr");
    assert_int_equal (jad_keys_sign (keys, msg, sizeof msg, sig), 0);
    assert_int_equal (jad_sign_verify (jad_keys_sign_public (other), msg,
                                       sizeof msg, sig), -1);
    jad_keys_destroy (&other);
    jad_keys_destroy (&public_only);
    jad_keys_destroy (&keys);
}

/* A hand-written secret file whose signing seed is RFC 8032's test 1: the
 * seed is read as written, and signs the empty message as the RFC says. */
static void
test_signing_seed_rfc8032 (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], path [512], text [2048];
    jad_keys_t *a = s_generate_and_load (dir, "a");
    s_path (path, sizeof path, dir, "rfc.secret");
    char file [2048];
    snprintf (file, sizeof file, "name = a\npublic-key = %s\nsecret-key = %s\n"
        "sign-public-key = D75A980182B10AB7D54BFED3C964073A"
                          "0EE172F3DAA62325AF021A68F707511A\n"
        "key-id = 7849ac3049680be1\n"
        "sign-secret-key = 9d61b19deffd5a60ba844af492ec2cc4"
                          "4449c5697b326919703bac031cae7f60\n",
        jad_keys_public (a), jad_keys_secret (a));
    s_write_file (path, file, 0600);
    jad_keys_t *rfc = jad_keys_load (path, err, sizeof err);
    if (!rfc)
        fail_msg ("%s", err);
    uint8_t sig [JAD_SIGN_BYTES];
    assert_int_equal (jad_keys_sign (rfc, NULL, 0, sig), 0);
    static const uint8_t expected [64] = {
        0xe5, 0x56, 0x43, 0x00, 0xc3, 0x60, 0xac, 0x72, 0x90, 0x86, 0xe2, 0xcc,
        0x80, 0x6e, 0x82, 0x8a, 0x84, 0x87, 0x7f, 0x1e, 0xb8, 0xe5, 0xd9, 0x74,
        0xd8, 0x73, 0xe0, 0x65, 0x22, 0x49, 0x01, 0x55, 0x5f, 0xb8, 0x82, 0x15,
        0x90, 0xa3, 0x3b, 0xac, 0xc6, 0x1e, 0x39, 0x70, 0x1c, 0xf9, 0xb4, 0x6b,
        0xd2, 0x5b, 0xf5, 0xf0, 0x59, 0x5b, 0xbe, 0x24, 0x65, 0x51, 0x41, 0x43,
        0x8e, 0x7a, 0x10, 0x0b };
    assert_memory_equal (sig, expected, 64);
    jad_keys_destroy (&rfc);

    /* A seed that is not the public key's; a key id that is not the key's;
     * bad hex; a signing seed in a file without a CURVE secret. */
    struct { const char *from, *to, *expect; } cases [] = {
        { "9d61b19d", "9d61b19e", "sign-secret-key does not belong" },
        { "7849ac30", "7849ac31", "key-id does not belong" },
        { "D75A9801", "D75A98ZZ", ":4: invalid sign-public-key" },
        { "key-id = 7849ac3049680be1", "key-id = 7849ac3049680b",
          ":5: invalid key-id" },
        { "sign-secret-key = 9d61", "sign-secret-key = 9d6",
          ":6: invalid sign-secret-key" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char bad [2048];
        const char *at = strstr (file, cases [i].from);
        assert_non_null (at);
        snprintf (bad, sizeof bad, "%.*s%s%s", (int) (at - file), file,
                  cases [i].to, at + strlen (cases [i].from));
        s_write_file (path, bad, 0600);
        assert_null (jad_keys_load (path, err, sizeof err));
        if (!strstr (err, cases [i].expect))
            fail_msg ("case %zu: '%s'", i, err);
        assert_null (strstr (err, "9d61b19"));      /* no secret echoed */
    }
    s_path (path, sizeof path, dir, "rfc.pub");
    const char *sign_lines = strstr (file, "sign-public-key");
    snprintf (text, sizeof text, "name = a\npublic-key = %s\n%s",
              jad_keys_public (a), sign_lines);
    s_write_file (path, text, 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, "missing 'secret-key'"));
    jad_keys_destroy (&a);
}

/* Key files made before signing keys existed are refused, with the fix. */
static void
test_old_files_refused (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], path [512], text [1024];
    jad_keys_t *a = s_generate_and_load (dir, "a");

    s_path (path, sizeof path, dir, "old.pub");
    snprintf (text, sizeof text, "# jadhub public key for a\nname = a\n"
              "public-key = %s\n", jad_keys_public (a));
    s_write_file (path, text, 0644);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, "old.pub: no signing key: regenerate with"
                             " jad-keygen"));

    s_path (path, sizeof path, dir, "old.secret");
    snprintf (text, sizeof text, "name = a\npublic-key = %s\nsecret-key = %s\n",
              jad_keys_public (a), jad_keys_secret (a));
    s_write_file (path, text, 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, "no signing key: regenerate with"
                             " jad-keygen"));

    /* New public lines but no signing seed in a secret file: the same. */
    snprintf (text, sizeof text, "name = a\npublic-key = %s\nsecret-key = %s\n"
              "%s", jad_keys_public (a), jad_keys_secret (a),
              s_sign_lines (dir, "a", 0));
    s_write_file (path, text, 0600);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, "no signing key"));

    /* A signing key without its key id. */
    s_path (path, sizeof path, dir, "noid.pub");
    snprintf (text, sizeof text, "name = a\npublic-key = %s\n%s",
              jad_keys_public (a), s_sign_lines (dir, "a", 0));
    *strstr (text, "key-id") = '\0';
    s_write_file (path, text, 0644);
    assert_null (jad_keys_load (path, err, sizeof err));
    assert_non_null (strstr (err, "missing 'key-id'"));
    jad_keys_destroy (&a);
}

static void
test_apply_server_enforces_domain (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], pub [512];
    jad_keys_t *keys = s_generate_and_load (dir, "hub");

    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert_non_null (router);
    assert_int_equal (jad_keys_apply_server (keys, zsock_resolve (router),
                                             "jadhub"), 0);
    int value = 0;
    size_t size = sizeof value;
    assert_int_equal (zmq_getsockopt (zsock_resolve (router), 93, &value,
                                      &size), 0);
    assert_int_equal (value, 1);
    assert_int_equal (zsock_curve_server (router), 1);
    char *domain = zsock_zap_domain (router);
    assert_string_equal (domain, "jadhub");
    zstr_free (&domain);

    /* Public-only keys, an empty domain: refused. */
    s_path (pub, sizeof pub, dir, "hub.pub");
    jad_keys_t *public_only = jad_keys_load (pub, err, sizeof err);
    assert_non_null (public_only);
    zsock_t *other = zsock_new (ZMQ_ROUTER);
    assert_int_equal (jad_keys_apply_server (public_only,
                                             zsock_resolve (other), "x"), -1);
    assert_int_equal (jad_keys_apply_server (keys, zsock_resolve (other), ""),
                      -1);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert_int_equal (jad_keys_apply_client (public_only,
                                             jad_keys_public (keys),
                                             zsock_resolve (dealer)), -1);
    assert_int_equal (jad_keys_apply_client (keys, "not a key",
                                             zsock_resolve (dealer)), -1);
    zsock_destroy (&dealer);
    zsock_destroy (&other);
    zsock_destroy (&router);
    jad_keys_destroy (&public_only);
    jad_keys_destroy (&keys);
}

/* Send one message from a CURVE client to a CURVE server; 1 if it arrives
 * within TIMEOUT_MS. */
static int
s_handshake (jad_keys_t *server_keys, jad_keys_t *client_keys, int timeout_ms)
{
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    assert_non_null (server);
    assert_non_null (client);
    assert_int_equal (jad_keys_apply_server (server_keys,
                                             zsock_resolve (server), "jadhub"),
                      0);
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    assert_int_equal (jad_keys_apply_client (client_keys,
                                             jad_keys_public (server_keys),
                                             zsock_resolve (client)), 0);
    assert_int_equal (zsock_connect (client, "tcp://127.0.0.1:%d", port), 0);
    zsock_set_sndtimeo (client, timeout_ms);
    zsock_set_linger (client, 0);
    zstr_send (client, "hello");
    zsock_set_rcvtimeo (server, timeout_ms);
    zmsg_t *msg = zmsg_recv (server);
    int arrived = msg != NULL;
    zmsg_destroy (&msg);
    zsock_destroy (&client);
    zsock_destroy (&server);
    return arrived;
}

static void
test_curve_handshake_needs_zap (void **state)
{
    const char *dir = jad_test_dir (state);
    jad_keys_t *hub = s_generate_and_load (dir, "hub");
    jad_keys_t *agent = s_generate_and_load (dir, "agent-de");

    /* No ZAP handler: enforce-domain makes the server refuse the client. */
    assert_false (s_handshake (hub, agent, 300));

    /* With a ZAP handler admitting any CURVE client: it gets through. */
    zactor_t *auth = zactor_new (zauth, NULL);
    assert_non_null (auth);
    zstr_sendx (auth, "CURVE", CURVE_ALLOW_ANY, NULL);
    zsock_wait (auth);
    assert_true (s_handshake (hub, agent, 3000));
    zactor_destroy (&auth);

    jad_keys_destroy (&hub);
    jad_keys_destroy (&agent);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_generate_files_and_modes,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_load_secret_and_public,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_refuse_overwrite,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_refuse_readable_secret,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_names, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test (test_z85_valid),
        cmocka_unit_test_setup_teardown (test_damaged_files,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_signing_keys,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_signing_seed_rfc8032,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_old_files_refused,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_apply_server_enforces_domain,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_curve_handshake_needs_zap,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
