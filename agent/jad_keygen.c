/*  jad-keygen: make a participant's CURVE and Ed25519 signing key pairs.
 *
 *      jad-keygen NAME --out DIR
 *
 *  Writes DIR/NAME.secret (mode 0600; an existing one is never overwritten)
 *  and DIR/NAME.pub (mode 0644), creating DIR with mode 0700 if it is
 *  missing.  Prints the files' paths, the CURVE public key, the signing
 *  public key and its key id (what the roster needs); secret keys are never
 *  printed.  Exit status: 0 done, 2 usage or I/O error
 *  (including an existing secret key).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "jad/keys.h"
#include "jad/sign.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: jad-keygen NAME --out DIR\n"
        "\n"
        "Generate a CURVE key pair and an Ed25519 signing key pair for\n"
        "participant NAME (1..64 characters of [a-z0-9._-], starting with a\n"
        "letter or digit):\n"
        "  DIR/NAME.secret  mode 0600, stays on this machine; never overwritten\n"
        "  DIR/NAME.pub     mode 0644, goes to the roster's keeper\n"
        "DIR is created (mode 0700) if missing.  Exit status 0 on success,\n"
        "2 on a usage or I/O error, or if DIR/NAME.secret already exists.\n");
}

/* mkdir -p with mode 0700 for each directory it creates: a key directory
 * nobody else can list. */
static int
s_make_dirs (const char *dir)
{
    char path [4096];
    if ((size_t) snprintf (path, sizeof path, "%s", dir) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir (path, 0700) && errno != EEXIST)
                return -1;
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat st;
    if (stat (dir, &st))
        return -1;
    if (!S_ISDIR (st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int
main (int argc, char *argv [])
{
    const char *name = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp (argv [i], "--help") == 0 || strcmp (argv [i], "-h") == 0) {
            s_usage (stdout);
            return 0;
        }
        if (strcmp (argv [i], "--out") == 0 && i + 1 < argc && !dir)
            dir = argv [++i];
        else
        if (strncmp (argv [i], "--out=", 6) == 0 && !dir)
            dir = argv [i] + 6;
        else
        if (argv [i][0] != '-' && !name)
            name = argv [i];
        else {
            fprintf (stderr, "jad-keygen: unexpected argument '%s'\n",
                     argv [i]);
            s_usage (stderr);
            return 2;
        }
    }
    if (!name || !dir || !*dir) {
        fprintf (stderr, "jad-keygen: %s\n",
                 !name ? "missing NAME" : "missing --out DIR");
        s_usage (stderr);
        return 2;
    }
    if (!jad_keys_name_valid (name)) {
        fprintf (stderr, "jad-keygen: invalid name '%s' (1..64 characters of"
                 " [a-z0-9._-], starting with a letter or digit)\n", name);
        return 2;
    }
    if (s_make_dirs (dir)) {
        fprintf (stderr, "jad-keygen: %s: %s\n", dir, strerror (errno));
        return 2;
    }
    char err [512];
    if (jad_keys_generate (name, dir, err, sizeof err)) {
        fprintf (stderr, "jad-keygen: %s\n", err);
        return 2;
    }
    /* Read the public file back: it proves the write and gives the key
     * without this program ever holding the secret. */
    char pub_path [4096];
    snprintf (pub_path, sizeof pub_path, "%s/%s.pub", dir, name);
    jad_keys_t *keys = jad_keys_load (pub_path, err, sizeof err);
    if (!keys) {
        fprintf (stderr, "jad-keygen: %s\n", err);
        return 2;
    }
    char sign_hex [2 * JAD_SIGN_PUBLIC_BYTES + 1];
    char id_hex [2 * JAD_KEY_ID_BYTES + 1];
    sodium_bin2hex (sign_hex, sizeof sign_hex, jad_keys_sign_public (keys),
                    JAD_SIGN_PUBLIC_BYTES);
    sodium_bin2hex (id_hex, sizeof id_hex, jad_keys_key_id (keys),
                    JAD_KEY_ID_BYTES);
    printf ("public-file = %s\nsecret-file = %s/%s.secret\npublic-key = %s\n"
            "sign-public-key = %s\nkey-id = %s\n",
            pub_path, dir, name, jad_keys_public (keys), sign_hex, id_hex);
    jad_keys_destroy (&keys);
    if (fflush (stdout) || ferror (stdout)) {
        fprintf (stderr, "jad-keygen: stdout: %s\n", strerror (errno));
        return 2;
    }
    return 0;
}
