/*  jad-keygen: a participant's key pairs, and the key ceremony of an
 *  operation (docs/SECURITY.md, "Key ceremony").
 *
 *      jad-keygen NAME --out DIR           (each participant, on its machine)
 *      jad-keygen roster ...               (the coordinator: the roster)
 *      jad-keygen bundle ...               (the coordinator: a country's bundle)
 *      jad-keygen unbundle FILE --out DIR  (the country)
 *
 *  `jad-keygen NAME --out DIR` writes DIR/NAME.secret (mode 0600; an
 *  existing one is never overwritten) and DIR/NAME.pub (mode 0644),
 *  creating DIR with mode 0700 if it is missing.  It prints the files'
 *  paths, the CURVE public key, the signing public key and its key id (what
 *  the roster needs); secret keys are never printed.
 *
 *  Every command takes --config FILE (its long options as `key = value`)
 *  and --check (validate, write nothing: "jad-keygen[ CMD]: configuration
 *  valid", exit 0, or one line "jad-keygen[ CMD]: configuration invalid:
 *  REASON", exit 1; usage and I/O errors stay 2) — s_fail tells which.
 *
 *  The words roster, bundle and unbundle in first place are commands; a
 *  participant of that name gets its keys with `jad-keygen --out DIR NAME`.
 *  This file is the command layer: the bundle is lib/bundle.c's, the roster
 *  lib/roster.c's, the keys lib/keys.c's.
 *
 *  Exit status: 0 done; 1 rejected (a duplicate name or key, a key file or
 *  bundle refused, a wrong passphrase, a tampered bundle); 2 usage or I/O
 *  error (including an existing secret key).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "jad/bundle.h"
#include "jad/config.h"
#include "jad/file.h"
#include "jad/keys.h"
#include "jad/roster.h"
#include "jad/sign.h"
#include "jad/timefmt.h"

#define S_ROSTER_MAX  (16 * 1024 * 1024)    /* roster.c's limit */

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: jad-keygen NAME --out DIR [--config FILE] [--check]\n"
        "       jad-keygen roster --out FILE --operation NAME --start TIME\n"
        "                  --end TIME --hub HUB.pub [--operation-id HEX] SPEC...\n"
        "       jad-keygen roster --add FILE SPEC...\n"
        "       jad-keygen bundle --roster FILE --name NAME --hub-endpoint EP\n"
        "                  --feed-endpoint EP --out FILE [--generate-secrets ...]\n"
        "       jad-keygen unbundle FILE --out DIR [--passphrase-file FILE]\n"
        "\n"
        "Generate a CURVE key pair and an Ed25519 signing key pair for\n"
        "participant NAME (1..64 characters of [a-z0-9._-], starting with a\n"
        "letter or digit):\n"
        "  DIR/NAME.secret  mode 0600, stays on this machine; never overwritten\n"
        "  DIR/NAME.pub     mode 0644, goes to the roster's keeper\n"
        "DIR is created (mode 0700) if missing.  Exit status 0 on success,\n"
        "2 on a usage or I/O error, or if DIR/NAME.secret already exists.\n"
        "  --config FILE    the options as 'key = value' lines (out); NAME\n"
        "                   stays on the command line, which wins\n"
        "  --check          check NAME and that DIR can hold the keys (it can\n"
        "                   be made or written, no NAME.secret in it); write\n"
        "                   nothing: exit 0 valid, 1 invalid\n"
        "\n"
        "The key ceremony of an operation (docs/SECURITY.md):\n"
        "  roster    the coordinator makes the roster from the .pub files the\n"
        "            participants sent, or adds a late one to it (--add)\n"
        "  bundle    the coordinator makes a country's bundle: the hub's public\n"
        "            keys, the endpoints, the operation, a ready agent.conf\n"
        "  unbundle  the country unpacks it next to its own NAME.secret\n"
        "  jad-keygen COMMAND --help  for a command's options.\n"
        "A participant named roster, bundle or unbundle gets its keys with\n"
        "`jad-keygen --out DIR NAME`.\n"
        "\n"
        "exit: 0 done; 1 rejected (duplicate name or key, a refused key file\n"
        "or bundle, wrong passphrase, tampered bundle); 2 usage or I/O error\n");
}

static void
s_usage_roster (FILE *out)
{
    fprintf (out,
        "usage: jad-keygen roster --out FILE --operation NAME --start TIME\n"
        "                  --end TIME --hub HUB.pub [--operation-id HEX] SPEC...\n"
        "       jad-keygen roster --add FILE SPEC...\n"
        "\n"
        "Make an operation's roster from the public key files (NAME.pub) the\n"
        "participants made with `jad-keygen NAME --out DIR` and sent in; or add\n"
        "participants to an existing roster (--add), leaving every line of it\n"
        "as it is.  Send the hub SIGHUP after --add: it reloads the roster and\n"
        "admits the new keys.\n"
        "\n"
        "  --out FILE          the new roster (never overwritten: use --add)\n"
        "  --add FILE          the existing roster to extend, in place (the\n"
        "                      file a link points to; its mode, owner and\n"
        "                      group kept; one --add at a time, by a lock)\n"
        "  --operation NAME    the operation's name (1..127 bytes of UTF-8)\n"
        "  --operation-id HEX  32 hex digits; default: 16 fresh random bytes\n"
        "  --start TIME        planned start, RFC 3339 (2026-03-02T06:00:00Z)\n"
        "  --end TIME          planned end, after the start\n"
        "  --hub HUB.pub       the hub's public key file (its name from the file)\n"
        "  SPEC                NAME:ROLE[:CC]=FILE.pub, one per participant:\n"
        "                      ROLE agent (then CC, its country: ISO 3166-1\n"
        "                      alpha-2, upper case, XK for Kosovo), coordinator\n"
        "                      or observer (no CC); NAME must be the name in\n"
        "                      FILE.pub.  e.g. agent-de:agent:DE=in/agent-de.pub\n"
        "\n"
        "The result is checked with the hub's own roster parser before it is\n"
        "written.  A duplicate name, CURVE key, signing key or key id, a file\n"
        "that is not a public key file (or holds a secret) is refused, naming\n"
        "the SPEC.  Prints roster, operation, operation-id, participants.\n"
        "\n"
        "  --config FILE       the options as 'key = value' lines (out, add,\n"
        "                      operation, operation-id, start, end, hub); SPECs\n"
        "                      stay on the command line, which wins\n"
        "  --check             check it all (key files, names, keys, times) and\n"
        "                      write nothing: exit 0 valid, 1 invalid\n"
        "\n"
        "exit: 0 written; 1 refused (duplicate, bad key file); 2 usage (bad\n"
        "SPEC, unknown country code, bad time) or I/O error\n");
}

static void
s_usage_bundle (FILE *out)
{
    fprintf (out,
        "usage: jad-keygen bundle --roster FILE --name NAME --hub-endpoint EP\n"
        "                  --feed-endpoint EP --out FILE [--data PATH]\n"
        "                  [--log-level LEVEL]\n"
        "       jad-keygen bundle --generate-secrets --country CC [--kdf K]\n"
        "                  [--passphrase-file FILE] --roster FILE --name NAME\n"
        "                  --hub-endpoint EP --feed-endpoint EP --out FILE\n"
        "\n"
        "Make the bundle a country gets (one text file, format in\n"
        "include/jad/bundle.h): the hub's public keys, the hub's endpoints,\n"
        "the operation's name and id, the agent's name, country and public\n"
        "keys, and a ready agent.conf.  The country runs\n"
        "`jad-keygen unbundle FILE --out DIR`, puts its own NAME.secret in DIR\n"
        "(if it is not there already) and `jad-agent run --config DIR/agent.conf`.\n"
        "\n"
        "  --roster FILE        the operation's roster; NAME is an agent in it\n"
        "  --name NAME          the agent participant\n"
        "  --hub-endpoint EP    the hub's collector as the country reaches it,\n"
        "                       tcp://HOST:PORT (jad-agent --hub)\n"
        "  --feed-endpoint EP   the hub's feed, tcp://HOST:PORT (jad-agent --feed)\n"
        "  --out FILE           the bundle (never overwritten)\n"
        "  --data PATH          the agent's data directory in agent.conf:\n"
        "                       @DIR@/PATH or absolute (default @DIR@/data; @DIR@\n"
        "                       is where the bundle is unpacked)\n"
        "  --log-level LEVEL    the agent's log level in agent.conf (info)\n"
        "\n"
        "--generate-secrets: only for a country that cannot run jad-keygen\n"
        "itself.  The coordinator generates NAME's key pairs here, seals the\n"
        "secret key into the bundle under a passphrase (Argon2id, then\n"
        "XChaCha20-Poly1305; the passphrase also authenticates the whole\n"
        "bundle) and, once the bundle is written, adds NAME (an agent of\n"
        "--country CC) to the roster: a refused run changes nothing.  This\n"
        "WEAKENS NON-REPUDIATION: the coordinator has held the country's\n"
        "signing key, so a signature no longer proves that the country alone\n"
        "made a report.\n"
        "Send the passphrase by another channel than the bundle.\n"
        "  --country CC           the new agent's country\n"
        "  --kdf K                moderate (default: 3 passes, 256 MiB) or\n"
        "                         interactive (2 passes, 64 MiB)\n"
        "  --passphrase-file FILE the passphrase is FILE's first line\n"
        "                         (else $JAD_PASSPHRASE, else asked twice on the\n"
        "                         terminal with echo off); at least %d characters\n"
        "\n"
        "  --config FILE    the options as 'key = value' lines (roster, name,\n"
        "                   hub-endpoint, ..., generate-secrets = true); the\n"
        "                   command line wins\n"
        "  --check          check the roster, NAME, endpoints, --data,\n"
        "                   --log-level and --out, make nothing, ask no\n"
        "                   passphrase: exit 0 valid, 1 invalid\n"
        "\n"
        "exit: 0 written; 1 refused (NAME not an active agent, or already in\n"
        "the roster with --generate-secrets); 2 usage or I/O error\n",
        JAD_BUNDLE_PASS_MIN);
}

static void
s_usage_unbundle (FILE *out)
{
    fprintf (out,
        "usage: jad-keygen unbundle FILE --out DIR [--passphrase-file FILE]\n"
        "\n"
        "Unpack a bundle from the coordinator into DIR (created mode 0700):\n"
        "  DIR/agent.conf     the agent's configuration (replaced if present):\n"
        "                     jad-agent run --config DIR/agent.conf\n"
        "  DIR/NAME.pub, DIR/HUB.pub   public keys (kept if present and equal)\n"
        "  DIR/NAME.secret    only from a bundle made with --generate-secrets:\n"
        "                     mode 0600, never overwritten\n"
        "Otherwise NAME.secret is the one you made with `jad-keygen NAME --out\n"
        "DIR`: if it is in DIR it must match the key in the bundle (the roster's);\n"
        "if not, put it there.  Check the printed hub-key-id with the\n"
        "coordinator over another channel (telephone) before the operation.\n"
        "\n"
        "  --passphrase-file FILE  for a bundle with a secret key: the passphrase\n"
        "                          is FILE's first line (else $JAD_PASSPHRASE,\n"
        "                          else asked on the terminal with echo off)\n"
        "  --config FILE           the options as 'key = value' lines (out,\n"
        "                          passphrase-file); FILE stays on the command line\n"
        "  --check                 check the bundle (fields, checksum) and DIR\n"
        "                          (no secret to overwrite, keys there match)\n"
        "                          without the passphrase; write nothing: exit 0\n"
        "                          valid, 1 invalid\n"
        "\n"
        "exit: 0 unpacked; 1 refused (damaged or tampered bundle, wrong\n"
        "passphrase, keys in DIR that do not match); 2 usage or I/O error\n"
        "(including an existing secret key where the bundle brings one)\n");
}

/* ------------------------------------------------------------ failures */

/* How the running command tells what went wrong (s_fail). */
static const char *s_cmd = NULL;    /* "roster", "bundle", "unbundle"; NULL
                                       for `NAME --out DIR` */
static int s_checking = 0;          /* --check, once the options are read:
                                       a reason about the configuration
                                       makes it invalid */

/* What kind of failure a reason is, which gives the exit status. */
typedef enum {
    S_REFUSED,  /* an input refused (a duplicate, a bad key file or bundle,
                   a wrong passphrase): 1 */
    S_BAD,      /* a bad value, or a file the options name that is missing,
                   unreadable or in the way (an existing --out): 2 as a
                   usage or I/O error, 1 under --check (invalid) */
    S_IO        /* a fault of this machine rather than of the
                   configuration (memory, a read or write error,
                   libsodium): 2, also under --check */
} s_kind_t;

/* Print "jad-keygen[ CMD]: REASON" on stderr — under --check, for a reason
 * that makes the configuration invalid, "jad-keygen[ CMD]: configuration
 * invalid: REASON" (docs/TOOLS.md: one line, the common format) — and
 * return the exit status for KIND. */
static int
s_fail (s_kind_t kind, const char *fmt, ...)
    __attribute__((format (printf, 2, 3)));

static int
s_fail (s_kind_t kind, const char *fmt, ...)
{
    int invalid = s_checking && kind != S_IO;
    va_list args;
    fprintf (stderr, "jad-keygen%s%s: %s", s_cmd ? " " : "", s_cmd ? s_cmd : "",
             invalid ? "configuration invalid: " : "");
    va_start (args, fmt);
    vfprintf (stderr, fmt, args);
    va_end (args);
    fputc ('\n', stderr);
    return invalid || kind == S_REFUSED ? 1 : 2;
}

/* The end of a command run with --check: "configuration valid" when RC is
 * 0 (a failure has told its reason already, in s_fail's format). */
static int
s_check_verdict (int rc)
{
    if (rc == 0) {
        printf ("jad-keygen%s%s: configuration valid\n", s_cmd ? " " : "",
                s_cmd ? s_cmd : "");
        if (fflush (stdout))
            rc = 2;
    }
    return rc;
}

/* Does PATH exist (as anything, a dangling link included)? */
static int
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0;
}

/* The option parser of a command: getopt_long over ARGV (ARGV[0] the
 * program or the command word), with our own message for an unknown
 * option. */
static int
s_getopt (int argc, char **argv, const struct option *opts)
{
    int c = getopt_long (argc, argv, ":h", opts, NULL);
    if (c == '?' || c == ':') {
        fprintf (stderr, "jad-keygen%s%s: %s '%s'\n", s_cmd ? " " : "",
                 s_cmd ? s_cmd : "",
                 c == ':' ? "missing value for" : "unexpected argument",
                 argv [optind - 1]);
        return '?';
    }
    return c;
}

/* --config FILE for the command with option table OPTS: the file's
 * settings become options (config.h).  0, or the exit status after
 * printing why. */
static int
s_config (int *argc_p, char ***argv_p, const struct option *opts)
{
    char prog [64];
    snprintf (prog, sizeof prog, "jad-keygen%s%s", s_cmd ? " " : "",
              s_cmd ? s_cmd : "");
    return jad_config_apply (prog, argc_p, argv_p, 1, opts, NULL);
}

/* ------------------------------------------------------------ NAME --out */

/* --check for `NAME --out DIR`: DIR can be made or written, and holds no
 * NAME.secret (which would be refused).  0, or the status after s_fail. */
static int
s_keygen_check (const char *name, const char *dir)
{
    char err [PATH_MAX + 128], path [PATH_MAX];
    struct stat st;
    if (jad_config_check_dir ("out", dir, err, sizeof err))
        return s_fail (S_BAD, "%s", err);
    if ((size_t) snprintf (path, sizeof path, "%s/%s.secret", dir, name)
        >= sizeof path)
        return s_fail (S_BAD, "--out %s: path too long", dir);
    if (lstat (path, &st) == 0)
        return s_fail (S_BAD, "--out: %s: a secret key already exists;"
                       " refusing to overwrite it", path);
    return 0;
}

static int
s_keygen (int argc, char *argv [])
{
    static const struct option opts [] = {
        { "out",   required_argument, NULL, 'o' },
        { "check", no_argument,       NULL, 'C' },
        { "help",  no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *name = NULL, *dir = NULL;
    int c, check = 0;

    int bad = s_config (&argc, &argv, opts);
    if (bad)
        return bad;
    while ((c = s_getopt (argc, argv, opts)) != -1) {
        switch (c) {
            case 'o': dir = optarg; break;
            case 'C': check = 1; break;
            case 'h': s_usage (stdout); return 0;
            default:
                s_usage (stderr);
                return 2;
        }
    }
    if (optind < argc)
        name = argv [optind];
    if (optind + 1 < argc) {
        fprintf (stderr, "jad-keygen: unexpected argument '%s'\n",
                 argv [optind + 1]);
        s_usage (stderr);
        return 2;
    }
    if (!name || !dir || !*dir) {
        fprintf (stderr, "jad-keygen: %s\n",
                 !name ? "missing NAME" : "missing --out DIR");
        s_usage (stderr);
        return 2;
    }
    s_checking = check;
    if (!jad_keys_name_valid (name))
        return s_fail (S_BAD, "invalid name '%s' (1..64 characters of"
                       " [a-z0-9._-], starting with a letter or digit)",
                       name);
    if (check)
        return s_check_verdict (s_keygen_check (name, dir));
    /* A key directory nobody else can list. */
    if (jad_file_make_dirs (dir, 0700)) {
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

/* ------------------------------------------------------------ passphrase */

static struct termios s_tty_saved;
static int s_tty_fd = -1;

/* Give the terminal its echo back if we are stopped while asking. */
static void
s_tty_restore (int sig)
{
    if (s_tty_fd >= 0)
        tcsetattr (s_tty_fd, TCSAFLUSH, &s_tty_saved);
    signal (sig, SIG_DFL);
    raise (sig);
}

/* Read one line from the terminal with echo off, after PROMPT, into BUF
 * (CAP bytes, guarded).  0, or -1 (no terminal, too long). */
static int
s_tty_read (int fd, const char *prompt, char *buf, size_t cap)
{
    struct termios quiet;
    size_t len = 0;
    int rc = -1;
    if (tcgetattr (fd, &s_tty_saved))
        return -1;
    quiet = s_tty_saved;
    quiet.c_lflag &= (tcflag_t) ~(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    s_tty_fd = fd;
    signal (SIGINT, s_tty_restore);
    signal (SIGTERM, s_tty_restore);
    signal (SIGHUP, s_tty_restore);
    if (jad_file_write_all (fd, prompt, strlen (prompt))
    ||  tcsetattr (fd, TCSAFLUSH, &quiet))
        goto out;
    for (;;) {
        char c;
        ssize_t n = read (fd, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || c == '\n')
            break;
        if (len + 1 >= cap) {
            len = cap;      /* too long: keep reading to the end of line */
            continue;
        }
        buf [len++] = c;
    }
    if (len < cap) {
        buf [len] = '\0';
        rc = 0;
    }
out:
    tcsetattr (fd, TCSAFLUSH, &s_tty_saved);
    (void) jad_file_write_all (fd, "\n", 1);  /* ends the silent line */
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGHUP, SIG_DFL);
    s_tty_fd = -1;
    return rc;
}

/* The passphrase, in guarded memory the caller frees with sodium_free
 * (which wipes it): FILE's first line, else $JAD_PASSPHRASE (wiped from
 * the environment once read), else asked on the terminal (twice when
 * CONFIRM).  Never printed or logged.  NULL with a reason. */
static char *
s_passphrase (const char *file, int confirm, size_t *len_p,
              char *err, size_t errlen)
{
    const size_t cap = JAD_BUNDLE_PASS_MAX + 2;
    char *pass = sodium_malloc (cap);
    char *again = NULL;
    int fd = -1, ok = 0;
    size_t len = 0;
    if (!pass) {
        snprintf (err, errlen, "out of locked memory for the passphrase");
        return NULL;
    }
    const char *env = getenv ("JAD_PASSPHRASE");
    if (file) {
        fd = open (file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf (err, errlen, "--passphrase-file %s: %s", file,
                      strerror (errno));
            goto out;
        }
        for (;;) {      /* only the first line is read */
            ssize_t n = read (fd, pass + len, cap - 1 - len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                snprintf (err, errlen, "--passphrase-file %s: %s", file,
                          strerror (errno));
                goto out;
            }
            len += (size_t) n;
            if (n == 0 || memchr (pass, '\n', len) || len == cap - 1)
                break;
        }
        char *nl = memchr (pass, '\n', len);
        if (!nl && len == cap - 1) {
            snprintf (err, errlen, "--passphrase-file %s: first line longer"
                      " than %d bytes", file, JAD_BUNDLE_PASS_MAX);
            goto out;
        }
        if (nl)
            len = (size_t) (nl - pass);
        if (len > 0 && pass [len - 1] == '\r')
            len--;
        sodium_memzero (pass + len, cap - len);
        if (memchr (pass, '\0', len)) {
            snprintf (err, errlen, "--passphrase-file %s: NUL byte", file);
            goto out;
        }
    }
    else
    if (env) {
        len = strlen (env);
        if (len > JAD_BUNDLE_PASS_MAX) {
            snprintf (err, errlen, "JAD_PASSPHRASE: longer than %d bytes",
                      JAD_BUNDLE_PASS_MAX);
            goto out;
        }
        memcpy (pass, env, len);
        pass [len] = '\0';
        /* Not left behind in our environment (a later /proc read). */
        sodium_memzero ((char *) env, len);
        unsetenv ("JAD_PASSPHRASE");
    }
    else {
        fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || !isatty (fd)) {
            snprintf (err, errlen, "no passphrase: give --passphrase-file"
                      " FILE or set JAD_PASSPHRASE (no terminal to ask on)");
            goto out;
        }
        if (s_tty_read (fd, "passphrase: ", pass, cap - 1)) {
            snprintf (err, errlen, "passphrase: not read (at most %d bytes)",
                      JAD_BUNDLE_PASS_MAX);
            goto out;
        }
        len = strlen (pass);
        if (confirm) {
            again = sodium_malloc (cap);
            if (!again || s_tty_read (fd, "passphrase again: ", again,
                                      cap - 1)) {
                snprintf (err, errlen, "passphrase: not read");
                goto out;
            }
            if (strlen (again) != len || sodium_memcmp (again, pass, len)) {
                snprintf (err, errlen, "the two passphrases differ");
                goto out;
            }
        }
    }
    if (len == 0) {
        snprintf (err, errlen, "empty passphrase");
        goto out;
    }
    if (confirm && len < JAD_BUNDLE_PASS_MIN) {
        snprintf (err, errlen, "passphrase shorter than %d characters",
                  JAD_BUNDLE_PASS_MIN);
        goto out;
    }
    *len_p = len;
    ok = 1;
out:
    if (fd >= 0)
        close (fd);
    sodium_free (again);
    if (!ok) {
        sodium_free (pass);
        pass = NULL;
    }
    return pass;
}

/* ------------------------------------------------------------ roster */

/* One participant of the command line: "NAME:ROLE[:CC]=FILE.pub". */
typedef struct {
    const char *arg;            /* the argument as given, for messages */
    char line [512];            /* its roster line */
} s_spec_t;

/* The roster line of participant NAME, ROLE, CC ("" for none) with its
 * given public keys, in LINE (LEN bytes), laid out as roster.c writes it. */
static void
s_roster_line (char *line, size_t len, const char *name, const char *role,
               const char *cc, const char *public_key,
               const uint8_t *sign_key, const uint8_t *key_id)
{
    char sign_hex [2 * JAD_SIGN_PUBLIC_BYTES + 1];
    char id_hex [2 * JAD_KEY_ID_BYTES + 1];
    sodium_bin2hex (sign_hex, sizeof sign_hex, sign_key, JAD_SIGN_PUBLIC_BYTES);
    sodium_bin2hex (id_hex, sizeof id_hex, key_id, JAD_KEY_ID_BYTES);
    snprintf (line, len, "participant   %-20s %-12s %-8s %s %s %s\n", name,
              role, *cc ? cc : "-", public_key, sign_hex, id_hex);
}

/* Read a public key file for participant NAME given by argument ARG.
 * 0, or the status after s_fail (a file that is not there: S_BAD; one
 * that is not a participant's public file: S_REFUSED). */
static int
s_pub_load (const char *arg, const char *path, const char *name,
            const char *role, const char *cc, char *line, size_t len)
{
    char err [512];
    if (access (path, R_OK))
        return s_fail (S_BAD, "%s: %s: %s", arg, path, strerror (errno));
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    if (!keys)
        return s_fail (S_REFUSED, "%s: %s", arg, err);
    int rc = 0;
    if (jad_keys_has_secret (keys))
        rc = s_fail (S_REFUSED, "%s: %s holds a secret key: give the"
                     " participant's .pub file (and keep the secret where it"
                     " was made)", arg, path);
    else
    if (name && strcmp (jad_keys_name (keys), name) != 0)
        rc = s_fail (S_REFUSED, "%s: %s is the key of '%s', not of '%s' (the"
                     " roster name must be the one the keys were made for)",
                     arg, path, jad_keys_name (keys), name);
    else
        s_roster_line (line, len, jad_keys_name (keys), role, cc,
                       jad_keys_public (keys), jad_keys_sign_public (keys),
                       jad_keys_key_id (keys));
    jad_keys_destroy (&keys);
    return rc;
}

/* Parse SPEC "NAME:ROLE[:CC]=FILE" and load FILE into SPEC->line.
 * 0, or the status after s_fail. */
static int
s_spec_parse (const char *arg, s_spec_t *spec)
{
    char buf [PATH_MAX + 128];
    char name [JAD_KEYS_NAME_MAX + 1] = "", role [16] = "", cc [8] = "";
    const char *hint = "";
    spec->arg = arg;
    if (strlen (arg) >= sizeof buf)
        return s_fail (S_BAD, "%.60s...: too long", arg);
    strcpy (buf, arg);
    char *eq = strchr (buf, '=');
    if (!eq || eq [1] == '\0')
        return s_fail (S_BAD, "'%s': expected NAME:ROLE[:CC]=FILE.pub", arg);
    *eq = '\0';
    const char *file = eq + 1;
    char *fields [4] = { NULL };
    int n = 0;
    for (char *p = buf, *colon; n < 4; p = colon + 1) {
        fields [n++] = p;
        colon = strchr (p, ':');
        if (!colon)
            break;
        *colon = '\0';
    }
    if (n < 2 || n > 3 || strchr (fields [n - 1], ':'))
        return s_fail (S_BAD, "'%s': expected NAME:ROLE[:CC]=FILE.pub", arg);
    if (!jad_keys_name_valid (fields [0]))
        return s_fail (S_BAD, "'%s': bad NAME '%.64s' (1..64 characters of"
                       " [a-z0-9._-], starting with a letter or digit)", arg,
                       fields [0]);
    strcpy (name, fields [0]);
    int r = jad_roster_role_parse (fields [1]);
    if (r < 0 || r == JAD_ROLE_HUB)
        return s_fail (S_BAD, "'%s': bad ROLE '%.16s' (agent, coordinator or"
                       " observer; the hub is --hub)", arg, fields [1]);
    snprintf (role, sizeof role, "%s", fields [1]);
    if (r == JAD_ROLE_AGENT) {
        if (n != 3)
            return s_fail (S_BAD, "'%s': an agent needs its country:"
                           " NAME:agent:CC=FILE.pub", arg);
        if (!jad_bundle_country_known (fields [2], &hint))
            return s_fail (S_BAD, "'%s': country '%.8s' is not an ISO 3166-1"
                           " alpha-2 code%s", arg, fields [2], hint);
        strcpy (cc, fields [2]);
    }
    else
    if (n == 3)
        return s_fail (S_BAD, "'%s': a%s %s has no country", arg,
                       r == JAD_ROLE_OBSERVER ? "n" : "", role);
    return s_pub_load (arg, file, name, role, cc, spec->line,
                       sizeof spec->line);
}

/* Parse TEXT with the hub's roster parser into *ROSTER_P.  On an error on
 * line L, name what made that line: WHAT [L - 1] if L <= NWHAT (NULL: the
 * roster file itself, FILE); lines 1..USAGE_UPTO are the command line's
 * values (S_BAD), the rest participants that clash (S_REFUSED).  0, or
 * the status after s_fail. */
static int
s_roster_check (const char *text, size_t len, const char *file,
                const char **what, int nwhat, int usage_upto,
                jad_roster_t **roster_p)
{
    char err [600];
    *roster_p = jad_roster_parse (text, len, "roster", err, sizeof err);
    if (*roster_p)
        return 0;
    int line = 0, at = 0;
    if (sscanf (err, "roster:%d: %n", &line, &at) != 1)
        at = 0;         /* "roster: reason": the file as a whole */
    s_kind_t kind = at > 0 && line >= 1 && line <= usage_upto ? S_BAD
                                                              : S_REFUSED;
    if (at > 0 && line >= 1 && line <= nwhat && what [line - 1])
        return s_fail (kind, "%s: %s", what [line - 1], err + at);
    if (at > 0)
        return s_fail (kind, "%s:%d: %s", file, line, err + at);
    return s_fail (kind, "%s%s", file, err + strlen ("roster"));
}

/* One line per control-free value, so that parser line numbers map back
 * to the option that made them.  0, or the status after s_fail. */
static int
s_one_line (const char *option, const char *value)
{
    for (const char *c = value; *c; c++)
        if (*c == '\n' || *c == '\r')
            return s_fail (S_BAD, "%s: a line break in the value", option);
    return 0;
}

/* Hold the roster at REAL (a resolved path) for a read-modify-write: an
 * exclusive flock on its directory, which the atomic replace leaves in
 * place (a lock on the file itself would go with the old inode), so two
 * `--add` runs — or --generate-secrets and --add — take turns instead of
 * one losing the other's lines.  Advisory: it binds jad-keygen, not an
 * editor.  The descriptor to close, or -1 after s_fail. */
static int
s_roster_lock (const char *real)
{
    char dir [PATH_MAX];
    jad_file_dirname (real, dir);
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        s_fail (S_IO, "%s: %s", dir, strerror (errno));
        return -1;
    }
    int rc;
    while ((rc = flock (fd, LOCK_EX)) != 0 && errno == EINTR)
        ;
    if (rc) {
        s_fail (S_IO, "%s: cannot lock: %s", dir, strerror (errno));
        close (fd);
        return -1;
    }
    return fd;
}

/* Replace the roster at REAL by TEXT (LEN bytes) as jad_file_put does — a
 * temporary file beside it, fsync'd, renamed over it, the directory
 * fsync'd — with the mode, owner and group of the file it replaces (ST):
 * a roster of root:jadhub 0640 rewritten by `sudo jad-keygen roster --add`
 * stays readable by the hub.  The owner is set on the temporary file, so
 * the roster never has the wrong one under its name.  0, or -1 with a
 * reason in ERR (the roster as it was). */
static int
s_roster_replace (const char *real, const char *text, size_t len,
                  const struct stat *st, char *err, size_t errlen)
{
    char dir [PATH_MAX], tmp [PATH_MAX];
    struct stat now;
    mode_t mode = st->st_mode & 07777;
    int rc = -1;
    jad_file_dirname (real, dir);
    if (jad_file_temp (dir, text, len, mode, tmp, err, errlen))
        return -1;
    int fd = open (tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat (fd, &now)) {
        snprintf (err, errlen, "%s: %s", tmp, strerror (errno));
        goto out;
    }
    if (now.st_uid != st->st_uid || now.st_gid != st->st_gid) {
        /* EPERM is let pass only when we are not root: a user cannot give
         * a file away (nor to a group he is not in), so the roster then
         * belongs to whoever ran --add — who could write it anyway.  As
         * root (`sudo jad-keygen roster --add`, the usual way) the owner
         * and group must be kept, or the hub cannot read its roster on the
         * next reload: any failure is an error. */
        if (fchown (fd, st->st_uid, st->st_gid)
        &&  !(errno == EPERM && geteuid () != 0)) {
            snprintf (err, errlen, "%s: cannot keep its owner %u:%u: %s",
                      real, (unsigned) st->st_uid, (unsigned) st->st_gid,
                      strerror (errno));
            goto out;
        }
        /* chown may clear set-id bits: the mode as it was, exactly. */
        if (fchmod (fd, mode) || fsync (fd)) {
            snprintf (err, errlen, "%s: %s", tmp, strerror (errno));
            goto out;
        }
    }
    if (rename (tmp, real)) {
        snprintf (err, errlen, "%s: cannot rename into place: %s", real,
                  strerror (errno));
        goto out;
    }
    tmp [0] = '\0';
    if (jad_file_sync_dir (dir)) {
        snprintf (err, errlen, "%s: cannot sync: %s", dir, strerror (errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close (fd);
    if (tmp [0])
        unlink (tmp);
    return rc;
}

/* Append LINES (N roster lines) to the roster at PATH, keeping every byte
 * of it, after checking the result with the roster parser (DRY_RUN: only
 * that, and nothing written: the result is the roster as it would be).
 * WHAT names each line's origin for messages.  A symbolic link is
 * followed: the file it points to is rewritten, with its mode, owner and
 * group, and the link stays.  The read, check and write happen under
 * s_roster_lock.  The new roster in *RESULT (if not NULL).  0, or the
 * status after s_fail. */
static int
s_roster_append (const char *path, const char *const *lines,
                 const char **what, int n, int dry_run, jad_roster_t **result)
{
    char err [PATH_MAX + 600];
    size_t len = 0;
    int rc = 2, lock = -1;
    char *text = NULL, *grown = NULL, *real = NULL;
    const char **origin = NULL;
    jad_roster_t *roster = NULL;
    struct stat st;

    real = realpath (path, NULL);
    if (!real)
        return s_fail (S_BAD, "%s: %s", path, strerror (errno));
    if (!dry_run && (lock = s_roster_lock (real)) < 0)
        goto out;
    roster = jad_roster_load (real, err, sizeof err);
    if (!roster) {
        rc = s_fail (access (real, R_OK) ? S_BAD : S_REFUSED, "%s", err);
        goto out;
    }
    jad_roster_destroy (&roster);
    if (stat (real, &st)) {
        rc = s_fail (S_IO, "%s: %s", real, strerror (errno));
        goto out;
    }
    text = jad_file_read (real, S_ROSTER_MAX, &len, err, sizeof err);
    if (!text) {
        rc = s_fail (S_IO, "%s", err);
        goto out;
    }
    size_t extra = 1;
    for (int i = 0; i < n; i++)
        extra += strlen (lines [i]);
    grown = realloc (text, len + extra + 1);
    if (!grown) {
        rc = s_fail (S_IO, "out of memory");
        goto out;
    }
    text = grown;
    int old_lines = 0;
    for (size_t i = 0; i < len; i++)
        old_lines += text [i] == '\n';
    if (len > 0 && text [len - 1] != '\n') {
        text [len++] = '\n';
        old_lines++;
    }
    for (int i = 0; i < n; i++) {
        memcpy (text + len, lines [i], strlen (lines [i]));
        len += strlen (lines [i]);
    }
    text [len] = '\0';
    origin = calloc ((size_t) old_lines + (size_t) n + 1, sizeof *origin);
    if (!origin) {
        rc = s_fail (S_IO, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        origin [old_lines + i] = what [i];
    rc = s_roster_check (text, len, path, origin, old_lines + n, 0, &roster);
    if (rc)
        goto out;
    if (!dry_run && s_roster_replace (real, text, len, &st, err, sizeof err)) {
        rc = s_fail (S_IO, "%s", err);
        goto out;
    }
    if (result) {
        *result = roster;
        roster = NULL;
    }
    rc = 0;
out:
    if (lock >= 0)
        close (lock);   /* and with it the lock */
    jad_roster_destroy (&roster);
    free (origin);
    free (text);
    free (real);
    return rc;
}

static int
s_roster (int argc, char **argv)
{
    static const struct option opts [] = {
        { "out",          required_argument, NULL, 'o' },
        { "add",          required_argument, NULL, 'a' },
        { "operation",    required_argument, NULL, 'n' },
        { "operation-id", required_argument, NULL, 'i' },
        { "start",        required_argument, NULL, 's' },
        { "end",          required_argument, NULL, 'e' },
        { "hub",          required_argument, NULL, 'H' },
        { "check",        no_argument,       NULL, 'C' },
        { "help",         no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *out = NULL, *add = NULL, *operation = NULL, *op_id = NULL;
    const char *start = NULL, *end = NULL, *hub = NULL;
    int rc = 2, c, check = 0;
    s_spec_t *specs = NULL;
    const char **what = NULL, **lines = NULL;
    char *text = NULL;
    jad_roster_t *roster = NULL;

    s_cmd = "roster";
    int bad = s_config (&argc, &argv, opts);
    if (bad)
        return bad;
    while ((c = s_getopt (argc, argv, opts)) != -1) {
        switch (c) {
            case 'C': check = 1; break;
            case 'o': out = optarg; break;
            case 'a': add = optarg; break;
            case 'n': operation = optarg; break;
            case 'i': op_id = optarg; break;
            case 's': start = optarg; break;
            case 'e': end = optarg; break;
            case 'H': hub = optarg; break;
            case 'h': s_usage_roster (stdout); return 0;
            default:
                fprintf (stderr, "(jad-keygen roster --help for the options)\n");
                return 2;
        }
    }
    int n = argc - optind;
    if (add && (out || operation || op_id || start || end || hub)) {
        fprintf (stderr, "jad-keygen roster: --add FILE takes only SPECs (the"
                 " operation and the hub are in FILE already)\n");
        return 2;
    }
    if (add && n == 0) {
        fprintf (stderr, "jad-keygen roster: --add needs at least one"
                 " SPEC\n");
        return 2;
    }
    if (!add && (!out || !operation || !start || !end || !hub)) {
        fprintf (stderr, "jad-keygen roster: --out, --operation, --start,"
                 " --end and --hub are required (or --add FILE)\n");
        s_usage_roster (stderr);
        return 2;
    }
    /* From here on a bad value makes the configuration invalid. */
    s_checking = check;
    specs = calloc ((size_t) n + 1, sizeof *specs);
    what = calloc ((size_t) n + 6, sizeof *what);
    lines = calloc ((size_t) n + 1, sizeof *lines);
    if (!specs || !what || !lines) {
        rc = s_fail (S_IO, "out of memory");
        goto out;
    }
    if (sodium_init () < 0) {
        rc = s_fail (S_IO, "libsodium failed to initialise");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        rc = s_spec_parse (argv [optind + i], &specs [i]);
        if (rc)
            goto out;
        lines [i] = specs [i].line;
    }

    if (add) {
        for (int i = 0; i < n; i++)
            what [i] = specs [i].arg;
        rc = s_roster_append (add, lines, what, n, check, &roster);
        if (rc || check)
            goto out;
        printf ("roster = %s\n", add);
        for (int i = 0; i < n; i++) {
            const jad_participant_t *p = jad_roster_at (roster,
                                   jad_roster_size (roster) - (size_t) n
                                   + (size_t) i);
            printf ("added = %s %s %s\n", p->name,
                    jad_roster_role_name (p->role),
                    p->country [0] ? p->country : "-");
        }
        printf ("participants = %zu\n"
                "# send the hub SIGHUP (systemctl reload jad-hub) to admit"
                " the new keys\n", jad_roster_size (roster));
        rc = fflush (stdout) ? 2 : 0;
        goto out;
    }
    if (s_exists (out)) {
        rc = s_fail (S_BAD, "--out %s: exists; refusing to overwrite it (to"
                     " add participants: --add %s)", out, out);
        goto out;
    }
    if ((rc = s_one_line ("--operation", operation))
    ||  (rc = s_one_line ("--start", start))
    ||  (rc = s_one_line ("--end", end)))
        goto out;
    uint8_t id [JAD_ROSTER_ID_BYTES];
    char id_hex [2 * JAD_ROSTER_ID_BYTES + 1];
    if (op_id) {
        size_t bin_len = 0;
        const char *stop = NULL;
        if (strlen (op_id) != 2 * sizeof id
        ||  sodium_hex2bin (id, sizeof id, op_id, strlen (op_id), NULL,
                            &bin_len, &stop) || bin_len != sizeof id
        ||  *stop) {
            rc = s_fail (S_BAD, "--operation-id: expected 32 hex digits");
            goto out;
        }
    }
    else
        randombytes_buf (id, sizeof id);
    sodium_bin2hex (id_hex, sizeof id_hex, id, sizeof id);
    char hub_line [512];
    rc = s_pub_load ("--hub", hub, NULL, "hub", "", hub_line, sizeof hub_line);
    if (rc)
        goto out;
    size_t size = 0;
    FILE *file = open_memstream (&text, &size);
    if (!file) {
        rc = s_fail (S_IO, "out of memory");
        goto out;
    }
    fprintf (file, "operation %s\noperation_id %s\nstart %s\nend %s\n%s",
             operation, id_hex, start, end, hub_line);
    what [0] = "--operation";
    what [1] = "--operation-id";
    what [2] = "--start";
    what [3] = "--end";
    what [4] = "--hub";
    for (int i = 0; i < n; i++) {
        fputs (specs [i].line, file);
        what [5 + i] = specs [i].arg;
    }
    if (fclose (file) || !text) {
        rc = s_fail (S_IO, "out of memory");
        goto out;
    }
    /* A bad name or time is the command line's fault (usage), a clash
     * between participants the keys' (refused). */
    rc = s_roster_check (text, size, out, what, 5 + n, 4, &roster);
    if (rc || check)
        goto out;
    char err [600];
    size_t count = jad_roster_size (roster);
    jad_participant_t *parts = calloc (count, sizeof *parts);
    if (!parts) {
        rc = s_fail (S_IO, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < count; i++)
        parts [i] = *jad_roster_at (roster, i);
    int saved = jad_roster_save (out, jad_roster_operation (roster), id,
                                 jad_roster_start_ms (roster),
                                 jad_roster_end_ms (roster), parts, count,
                                 err, sizeof err);
    free (parts);
    if (saved) {
        rc = s_fail (S_IO, "%s", err);
        goto out;
    }
    printf ("roster = %s\noperation = %s\noperation-id = %s\n"
            "participants = %zu\n", out, jad_roster_operation (roster),
            id_hex, count);
    rc = fflush (stdout) ? 2 : 0;
out:
    if (check && s_checking)
        rc = s_check_verdict (rc);
    jad_roster_destroy (&roster);
    free (text);
    free (specs);
    free (what);
    free (lines);
    return rc;
}

/* ------------------------------------------------------------ bundle */

static void
s_print_id (const char *label, const uint8_t *bytes, size_t n)
{
    char hex [2 * 32 + 1];
    sodium_bin2hex (hex, sizeof hex, bytes, n);
    printf ("%s = %s\n", label, hex);
}

/* The roster at PATH, or NULL after s_fail (missing or unreadable: S_BAD;
 * refused by the parser: S_REFUSED) with the status in *RC. */
static jad_roster_t *
s_roster_load (const char *path, int *rc)
{
    char err [PATH_MAX + 600];
    jad_roster_t *roster = jad_roster_load (path, err, sizeof err);
    if (!roster)
        *rc = s_fail (access (path, R_OK) ? S_BAD : S_REFUSED, "%s", err);
    return roster;
}

/* --generate-secrets: NAME's key pairs made here, and the roster at
 * ROSTER_PATH as it will be with NAME in it as an agent of CC — in memory
 * only (*ROSTER_P), for the bundle to be made and written against it
 * before anything is added to the file.  The roster line in LINE (LEN
 * bytes), for s_roster_append once the bundle is written; the secret's
 * text in *SECRET_P (guarded; sodium_free).  0, or the status after
 * s_fail. */
static int
s_generate (const char *roster_path, const char *name, const char *cc,
            char *line, size_t len, jad_roster_t **roster_p,
            char **secret_p, size_t *len_p)
{
    char err [600];
    jad_participant_t p;
    if (jad_bundle_keys_generate (name, &p, secret_p, len_p, err,
                                  sizeof err))
        return s_fail (S_IO, "%s", err);
    s_roster_line (line, len, name, "agent", cc, p.public_key, p.sign_key,
                   p.key_id);
    const char *lines [1] = { line };
    const char *what [1] = { "--name/--country" };
    int rc = s_roster_append (roster_path, lines, what, 1, 1, roster_p);
    if (rc) {
        sodium_free (*secret_p);
        *secret_p = NULL;
    }
    return rc;
}

static int
s_bundle (int argc, char **argv)
{
    static const struct option opts [] = {
        { "roster",           required_argument, NULL, 'r' },
        { "name",             required_argument, NULL, 'n' },
        { "hub-endpoint",     required_argument, NULL, 'H' },
        { "feed-endpoint",    required_argument, NULL, 'f' },
        { "out",              required_argument, NULL, 'o' },
        { "data",             required_argument, NULL, 'd' },
        { "log-level",        required_argument, NULL, 'l' },
        { "generate-secrets", no_argument,       NULL, 'g' },
        { "country",          required_argument, NULL, 'c' },
        { "kdf",              required_argument, NULL, 'k' },
        { "passphrase-file",  required_argument, NULL, 'p' },
        { "check",            no_argument,       NULL, 'C' },
        { "help",             no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *roster_path = NULL, *name = NULL, *hub_ep = NULL;
    const char *feed_ep = NULL, *out = NULL, *data = NULL, *level = NULL;
    const char *cc = NULL, *kdf_name = NULL, *pass_file = NULL;
    const char *hint = "";
    int generate = 0, c, rc = 2, kdf = JAD_BUNDLE_KDF_MODERATE;
    char err [600], line [512];
    char *pass = NULL, *secret = NULL, *text = NULL;
    size_t passlen = 0, secret_len = 0;
    jad_roster_t *roster = NULL, *added = NULL;
    jad_bundle_t *bundle = NULL;
    int check = 0;

    s_cmd = "bundle";
    int bad = s_config (&argc, &argv, opts);
    if (bad)
        return bad;
    while ((c = s_getopt (argc, argv, opts)) != -1) {
        switch (c) {
            case 'C': check = 1; break;
            case 'r': roster_path = optarg; break;
            case 'n': name = optarg; break;
            case 'H': hub_ep = optarg; break;
            case 'f': feed_ep = optarg; break;
            case 'o': out = optarg; break;
            case 'd': data = optarg; break;
            case 'l': level = optarg; break;
            case 'g': generate = 1; break;
            case 'c': cc = optarg; break;
            case 'k': kdf_name = optarg; break;
            case 'p': pass_file = optarg; break;
            case 'h': s_usage_bundle (stdout); return 0;
            default:
                fprintf (stderr, "(jad-keygen bundle --help for the options)\n");
                return 2;
        }
    }
    if (optind != argc) {
        fprintf (stderr, "jad-keygen bundle: unexpected argument '%s'\n",
                 argv [optind]);
        return 2;
    }
    if (!roster_path || !name || !hub_ep || !feed_ep || !out) {
        fprintf (stderr, "jad-keygen bundle: --roster, --name, --hub-endpoint,"
                 " --feed-endpoint and --out are required\n");
        s_usage_bundle (stderr);
        return 2;
    }
    if (!generate && (cc || kdf_name || pass_file)) {
        fprintf (stderr, "jad-keygen bundle: --country, --kdf and"
                 " --passphrase-file go with --generate-secrets\n");
        return 2;
    }
    if (generate && !cc) {
        fprintf (stderr, "jad-keygen bundle: --generate-secrets needs"
                 " --country CC\n");
        return 2;
    }
    /* From here on a bad value makes the configuration invalid.  Every
     * value is checked before the roster is read, a passphrase asked or a
     * key made: a typo costs nothing. */
    s_checking = check;
    if (!jad_keys_name_valid (name)) {
        rc = s_fail (S_BAD, "--name '%s': 1..64 characters of [a-z0-9._-],"
                     " starting with a letter or digit", name);
        goto out;
    }
    if (jad_bundle_check_settings (hub_ep, feed_ep, data, level, err,
                                   sizeof err)) {
        rc = s_fail (S_BAD, "%s", err);
        goto out;
    }
    if (generate) {
        if (!jad_bundle_country_known (cc, &hint)) {
            rc = s_fail (S_BAD, "--country '%s': not an ISO 3166-1 alpha-2"
                         " code%s", cc, hint);
            goto out;
        }
        if (kdf_name && strcmp (kdf_name, "interactive") == 0)
            kdf = JAD_BUNDLE_KDF_INTERACTIVE;
        else
        if (kdf_name && strcmp (kdf_name, "moderate") != 0) {
            rc = s_fail (S_BAD, "--kdf '%s': moderate or interactive",
                         kdf_name);
            goto out;
        }
        if (check && pass_file
        &&  jad_config_check_file ("passphrase-file", pass_file, err,
                                   sizeof err)) {
            rc = s_fail (S_BAD, "%s", err);
            goto out;
        }
    }
    if (s_exists (out)) {
        rc = s_fail (S_BAD, "--out %s: exists; refusing to overwrite it",
                     out);
        goto out;
    }
    if (sodium_init () < 0) {
        rc = s_fail (S_IO, "libsodium failed to initialise");
        goto out;
    }
    roster = s_roster_load (roster_path, &rc);
    if (!roster)
        goto out;
    if (generate && jad_roster_find_name (roster, name)) {
        rc = s_fail (S_REFUSED, "--name %s: already in the roster;"
                     " --generate-secrets makes a new participant (without"
                     " it, the bundle uses the roster's key)", name);
        goto out;
    }
    if (generate && check) {
        /* NAME is not in the roster yet and no key is made under --check:
         * jad_bundle_new's own checks of the values (above) and of the
         * roster (it loads, NAME is new) are all there is to check. */
        rc = 0;
        goto out;
    }
    if (generate) {
        /* The passphrase first: nothing is made if it cannot be had. */
        pass = s_passphrase (pass_file, 1, &passlen, err, sizeof err);
        if (!pass) {
            rc = s_fail (S_BAD, "%s", err);
            goto out;
        }
        fprintf (stderr, "jad-keygen bundle: --generate-secrets: %s's secret"
                 " keys are made here, by the coordinator.  This weakens"
                 " non-repudiation: a signature by %s no longer proves that"
                 " %s alone made the report.\n", name, name, cc);
        rc = s_generate (roster_path, name, cc, line, sizeof line, &added,
                         &secret, &secret_len);
        if (rc)
            goto out;
    }
    bundle = jad_bundle_new (added ? added : roster, name, hub_ep, feed_ep,
                             data, level, err, sizeof err);
    if (!bundle) {
        rc = s_fail (strncmp (err, "--name", 6) == 0
                     || strncmp (err, "roster", 6) == 0 ? S_REFUSED : S_BAD,
                     "%s", err);
        goto out;
    }
    if (check) {
        rc = 0;
        goto out;
    }
    if (secret && jad_bundle_seal (bundle, secret, secret_len, pass, passlen,
                                   kdf, err, sizeof err)) {
        rc = s_fail (S_BAD, "%s", err);
        goto out;
    }
    sodium_free (secret);       /* wiped: only the sealed copy remains */
    secret = NULL;
    sodium_free (pass);
    pass = NULL;
    text = jad_bundle_format (bundle);
    if (!text) {
        rc = s_fail (S_IO, "out of memory");
        goto out;
    }
    if (jad_file_put (out, text, strlen (text),
                      jad_bundle_has_secret (bundle) ? 0600 : 0644, 1,
                      err, sizeof err)) {
        rc = s_fail (errno == EEXIST ? S_BAD : S_IO, "%s", err);
        goto out;
    }
    if (added) {
        /* Only now, with the bundle safely written, does NAME join the
         * roster (read again, under the lock: a participant another run
         * added meanwhile is kept).  Should that fail, the bundle goes:
         * nothing refers to the new keys, and a rerun starts afresh. */
        const char *lines [1] = { line };
        const char *what [1] = { "--name/--country" };
        rc = s_roster_append (roster_path, lines, what, 1, 0, NULL);
        if (rc) {
            if (unlink (out) == 0)
                fprintf (stderr, "jad-keygen bundle: %s removed: %s was not"
                         " added to %s\n", out, name, roster_path);
            else
                fprintf (stderr, "jad-keygen bundle: %s: cannot remove it"
                         " (%s): delete it, %s is not in %s\n", out,
                         strerror (errno), name, roster_path);
            goto out;
        }
    }
    printf ("bundle = %s\nname = %s\ncountry = %s\n", out,
            jad_bundle_name (bundle), jad_bundle_country (bundle));
    s_print_id ("operation-id", jad_bundle_operation_id (bundle),
                JAD_ROSTER_ID_BYTES);
    s_print_id ("hub-key-id", jad_bundle_hub_key_id (bundle),
                JAD_KEY_ID_BYTES);
    printf ("secret = %s\n", jad_bundle_has_secret (bundle)
            ? (kdf == JAD_BUNDLE_KDF_MODERATE ? "sealed (argon2id-moderate)"
                                             : "sealed (argon2id-interactive)")
            : "none (the country keeps its own)");
    if (added)
        printf ("roster = %s (%s added: send the hub SIGHUP)\n", roster_path,
                name);
    rc = 0;
    if (fflush (stdout))
        rc = s_fail (S_IO, "stdout: %s (%s was written%s)", strerror (errno),
                     out, added ? ", and the roster" : "");
out:
    if (check && s_checking)
        rc = s_check_verdict (rc);
    sodium_free (secret);
    sodium_free (pass);
    free (text);
    jad_bundle_destroy (&bundle);
    jad_roster_destroy (&added);
    jad_roster_destroy (&roster);
    return rc;
}

/* ------------------------------------------------------------ unbundle */

static int
s_unbundle (int argc, char **argv)
{
    static const struct option opts [] = {
        { "out",             required_argument, NULL, 'o' },
        { "passphrase-file", required_argument, NULL, 'p' },
        { "check",           no_argument,       NULL, 'C' },
        { "help",            no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *out = NULL, *pass_file = NULL;
    int c, rc = 2, io_error = 0, state = 0, check = 0;
    char err [1200];
    char *pass = NULL, *abs = NULL;
    size_t passlen = 0;
    jad_bundle_t *bundle = NULL;

    s_cmd = "unbundle";
    int bad = s_config (&argc, &argv, opts);
    if (bad)
        return bad;
    while ((c = s_getopt (argc, argv, opts)) != -1) {
        switch (c) {
            case 'C': check = 1; break;
            case 'o': out = optarg; break;
            case 'p': pass_file = optarg; break;
            case 'h': s_usage_unbundle (stdout); return 0;
            default:
                fprintf (stderr, "(jad-keygen unbundle --help for the options)\n");
                return 2;
        }
    }
    if (optind + 1 != argc || !out || !*out) {
        fprintf (stderr, "jad-keygen unbundle: %s\n", optind + 1 < argc
                 ? "one bundle FILE at a time" : optind == argc
                 ? "missing the bundle FILE" : "missing --out DIR");
        s_usage_unbundle (stderr);
        return 2;
    }
    s_checking = check;
    const char *file = argv [optind];
    bundle = jad_bundle_load (file, &io_error, err, sizeof err);
    if (!bundle) {
        rc = s_fail (io_error ? S_BAD : S_REFUSED, "%s", err);
        goto out;
    }
    if (check) {
        /* Everything but the passphrase, which costs an Argon2id run. */
        int checked;
        if (pass_file && jad_config_check_file ("passphrase-file", pass_file,
                                                err, sizeof err))
            rc = s_fail (S_BAD, "%s", err);
        else
        if ((checked = jad_bundle_check_dir (bundle, out, err, sizeof err)))
            rc = s_fail (checked == JAD_BUNDLE_REJECTED ? S_REFUSED : S_BAD,
                         "%s", err);
        else
            rc = 0;
        goto out;
    }
    if (jad_bundle_has_secret (bundle)) {
        char path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s.secret", out,
                  jad_bundle_name (bundle));
        if (s_exists (path)) {
            rc = s_fail (S_BAD, "%s: a secret key already exists; refusing"
                         " to overwrite it (unpack into another directory)",
                         path);
            goto out;
        }
        pass = s_passphrase (pass_file, 0, &passlen, err, sizeof err);
        if (!pass) {
            rc = s_fail (S_BAD, "%s", err);
            goto out;
        }
    }
    int unpacked = jad_bundle_unpack (bundle, out, pass, passlen, &state,
                                      err, sizeof err);
    sodium_free (pass);
    pass = NULL;
    if (unpacked) {
        rc = s_fail (unpacked == JAD_BUNDLE_REJECTED ? S_REFUSED : S_BAD,
                     "%s", err);
        goto out;
    }
    abs = realpath (out, NULL);
    const char *dir = abs ? abs : out;
    const char *name = jad_bundle_name (bundle);
    printf ("operation = %s\n", jad_bundle_operation (bundle));
    s_print_id ("operation-id", jad_bundle_operation_id (bundle),
                JAD_ROSTER_ID_BYTES);
    printf ("name = %s\ncountry = %s\nhub-endpoint = %s\nfeed-endpoint = %s\n",
            name, jad_bundle_country (bundle), jad_bundle_hub_endpoint (bundle),
            jad_bundle_feed_endpoint (bundle));
    s_print_id ("hub-key-id", jad_bundle_hub_key_id (bundle),
                JAD_KEY_ID_BYTES);
    printf ("hub-key-file = %s/%s.pub\nconfig = %s/agent.conf\n"
            "secret-file = %s/%s.secret (%s)\n"
            "run = jad-agent run --config %s/agent.conf\n"
            "# check hub-key-id with the coordinator over another channel"
            " (telephone) before the operation\n",
            dir, jad_bundle_hub_name (bundle), dir, dir, name,
            state == 'w' ? "written from the bundle, mode 0600"
            : state == 'p' ? "present, matches the roster"
            : "MISSING: put your own secret key file there",
            dir);
    rc = fflush (stdout) ? 2 : 0;
out:
    if (check)
        rc = s_check_verdict (rc);
    sodium_free (pass);
    free (abs);
    jad_bundle_destroy (&bundle);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc >= 2 && strcmp (argv [1], "roster") == 0)
        return s_roster (argc - 1, argv + 1);
    if (argc >= 2 && strcmp (argv [1], "bundle") == 0)
        return s_bundle (argc - 1, argv + 1);
    if (argc >= 2 && strcmp (argv [1], "unbundle") == 0)
        return s_unbundle (argc - 1, argv + 1);
    return s_keygen (argc, argv);
}
