/*  keys: a participant's CURVE and Ed25519 key pairs, their files, the
 *  socket options that use the one and the signatures made with the other.
 *
 *  Secret material (the Z85 CURVE secret, the binary secrets, the Ed25519
 *  seed and secret key, the text of a secret file) only ever sits in
 *  sodium_malloc'd buffers, which are locked in memory, fenced by guard
 *  pages and wiped by sodium_free.  CURVE keys are made with libsodium's
 *  crypto_box_keypair (what zmq_curve_keypair calls, but here the binary
 *  secret lands in memory we wipe) and encoded with zmq_z85_encode; the
 *  signing key is a random 32-byte seed, expanded with
 *  crypto_sign_seed_keypair.  The two pairs are independent: neither is
 *  derived from the other.
 */
#include "jad/keys.h"
#include "jad/file.h"
#include "jad/lines.h"
#include "jad/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

/* ZMQ_ZAP_ENFORCE_DOMAIN is a draft option: Debian's libzmq implements it,
 * but its header hides the name unless drafts are enabled. */
#define S_ZAP_ENFORCE_DOMAIN 93

#define S_FILE_MAX   4096       /* a key file is a few lines */
#define S_KEY_BYTES  32

#define S_SEED_BYTES crypto_sign_SEEDBYTES          /* 32 */
#define S_SIGN_SK    crypto_sign_SECRETKEYBYTES     /* 64: seed ‖ public */
#define S_HEX_KEY    (2 * S_KEY_BYTES)              /* 64 hex digits */

struct _jad_keys_t {
    char  name[JAD_KEYS_NAME_MAX + 1];      /* participant name */
    char  public[JAD_KEYS_Z85_LEN + 1];     /* Z85 CURVE public key */
    char *secret;       /* Z85 secret key in sodium_malloc'd memory, or NULL */
    uint8_t sign_public [JAD_SIGN_PUBLIC_BYTES];    /* Ed25519 public key */
    uint8_t key_id [JAD_KEY_ID_BYTES];      /* derived from sign_public */
    uint8_t *sign_secret;   /* Ed25519 secret key (64 bytes, libsodium's
                               seed ‖ public form), sodium_malloc'd, or NULL */
};

static const char s_z85_chars[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

/* libsodium must be initialised before sodium_malloc; sodium_init is
 * idempotent and thread-safe, so every entry point just calls it. */
static int
s_sodium (char *err, size_t errlen)
{
    if (sodium_init () < 0) {
        snprintf (err, errlen, "libsodium failed to initialise");
        return -1;
    }
    return 0;
}

int
jad_keys_name_valid (const char *name)
{
    if (!name)
        return 0;
    size_t len = strlen (name);
    if (len < 1 || len > JAD_KEYS_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name [i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

int
jad_keys_z85_valid (const char *text)
{
    if (!text || strlen (text) != JAD_KEYS_Z85_LEN)
        return 0;
    /* zmq_z85_decode's range checks differ between libzmq versions, so the
     * alphabet and each group's 32-bit range are checked here first. */
    for (int g = 0; g < JAD_KEYS_Z85_LEN; g += 5) {
        uint64_t value = 0;
        for (int i = 0; i < 5; i++) {
            char c = text [g + i];
            const char *at = c ? strchr (s_z85_chars, c) : NULL;
            if (!at)
                return 0;
            value = value * 85 + (uint64_t) (at - s_z85_chars);
        }
        if (value > UINT32_MAX)
            return 0;
    }
    uint8_t bytes [S_KEY_BYTES];
    int ok = zmq_z85_decode (bytes, text) != NULL;
    sodium_memzero (bytes, sizeof bytes);   /* TEXT may be a secret */
    return ok;
}

int
jad_keys_generate (const char *name, const char *dir, char *err, size_t errlen)
{
    int rc = -1;
    int fd = -1;
    int created = 0;
    uint8_t pk [S_KEY_BYTES];
    uint8_t *sk = NULL;         /* binary secret, guarded */
    uint8_t *sign_sk = NULL;    /* Ed25519 seed ‖ public, guarded */
    char *text = NULL;          /* secret file text, guarded */
    char pub_z85 [JAD_KEYS_Z85_LEN + 1];
    uint8_t sign_pk [JAD_SIGN_PUBLIC_BYTES], key_id [JAD_KEY_ID_BYTES];
    char sign_pk_hex [2 * JAD_SIGN_PUBLIC_BYTES + 1];
    char key_id_hex [2 * JAD_KEY_ID_BYTES + 1];
    char pub_path [PATH_MAX], sec_path [PATH_MAX];

    if (s_sodium (err, errlen))
        return -1;
    if (!jad_keys_name_valid (name)) {
        snprintf (err, errlen, "invalid name (1..%d characters of [a-z0-9._-],"
                  " starting with a letter or digit)", JAD_KEYS_NAME_MAX);
        return -1;
    }
    if ((size_t) snprintf (pub_path, sizeof pub_path, "%s/%s.pub", dir, name)
        >= sizeof pub_path
    ||  (size_t) snprintf (sec_path, sizeof sec_path, "%s/%s.secret", dir, name)
        >= sizeof sec_path) {
        snprintf (err, errlen, "%s: path too long", dir);
        return -1;
    }
    sk = sodium_malloc (S_KEY_BYTES);
    sign_sk = sodium_malloc (S_SIGN_SK);
    text = sodium_malloc (S_FILE_MAX);
    if (!sk || !sign_sk || !text) {
        snprintf (err, errlen, "out of locked memory for the secret key");
        goto out;
    }
    crypto_box_keypair (pk, sk);
    zmq_z85_encode (pub_z85, pk, S_KEY_BYTES);
    crypto_sign_keypair (sign_pk, sign_sk);
    jad_sign_key_id (sign_pk, key_id);
    sodium_bin2hex (sign_pk_hex, sizeof sign_pk_hex, sign_pk, sizeof sign_pk);
    sodium_bin2hex (key_id_hex, sizeof key_id_hex, key_id, sizeof key_id);

    /* The secret first: O_EXCL refuses an existing one before anything is
     * touched, and mode 0600 at creation means it is never readable by
     * others, not even for an instant. */
    fd = open (sec_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
               0600);
    if (fd < 0) {
        if (errno == EEXIST)
            snprintf (err, errlen, "%s: a secret key already exists; refusing"
                      " to overwrite it", sec_path);
        else
            snprintf (err, errlen, "%s: cannot create: %s",
                      sec_path, strerror (errno));
        goto out;
    }
    created = 1;
    int len = snprintf (text, S_FILE_MAX,
                        "# jadhub secret keys for %s: keep them on this"
                        " machine, mode 0600\n"
                        "name = %s\npublic-key = %s\nsign-public-key = %s\n"
                        "key-id = %s\nsecret-key = ",
                        name, name, pub_z85, sign_pk_hex, key_id_hex);
    zmq_z85_encode (text + len, sk, S_KEY_BYTES);
    len += JAD_KEYS_Z85_LEN;
    len += snprintf (text + len, S_FILE_MAX - (size_t) len,
                     "\nsign-secret-key = ");
    /* The seed is the first half of libsodium's Ed25519 secret key. */
    sodium_bin2hex (text + len, S_FILE_MAX - (size_t) len, sign_sk,
                    S_SEED_BYTES);
    strcat (text + len, "\n");
    if (jad_file_write_all (fd, text, strlen (text)) || fsync (fd)) {
        snprintf (err, errlen, "%s: cannot write: %s", sec_path,
                  strerror (errno));
        goto out;
    }
    int close_rc = close (fd);
    fd = -1;
    if (close_rc) {
        snprintf (err, errlen, "%s: cannot write: %s", sec_path,
                  strerror (errno));
        goto out;
    }
    snprintf (text, S_FILE_MAX, "# jadhub public keys for %s\n"
              "name = %s\npublic-key = %s\nsign-public-key = %s\n"
              "key-id = %s\n", name, name, pub_z85, sign_pk_hex, key_id_hex);
    /* Put in place by rename (a stale .pub is replaced); the directory
     * fsync that follows makes the secret's creation durable too. */
    if (jad_file_put (pub_path, text, strlen (text), 0644, 0, err, errlen))
        goto out;
    rc = 0;
out:
    if (fd >= 0)
        close (fd);
    if (rc && created)
        unlink (sec_path);  /* a half-made pair must not block a retry */
    sodium_free (sk);       /* sodium_free wipes before freeing */
    sodium_free (sign_sk);
    sodium_free (text);
    return rc;
}

/* Does the secret SECRET_Z85 belong to PUBLIC_Z85?  Both already valid. */
static int
s_pair_matches (const char *public_z85, const char *secret_z85)
{
    uint8_t pk [S_KEY_BYTES], derived [S_KEY_BYTES];
    uint8_t *sk = sodium_malloc (S_KEY_BYTES);
    if (!sk)
        return 0;
    int ok = zmq_z85_decode (pk, public_z85)
          && zmq_z85_decode (sk, secret_z85)
          && crypto_scalarmult_base (derived, sk) == 0
          && sodium_memcmp (pk, derived, S_KEY_BYTES) == 0;
    sodium_free (sk);
    return ok;
}

/* Decode exactly 2 * N hex digits (either case) of TEXT into OUT. */
static int
s_hex_decode (const char *text, uint8_t *out, size_t n)
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (strlen (text) != 2 * n
    ||  sodium_hex2bin (out, n, text, 2 * n, NULL, &bin_len, &end) != 0
    ||  bin_len != n || *end != '\0')
        return -1;
    return 0;
}

static int
s_hex_valid (const char *text, size_t n)
{
    if (strlen (text) != 2 * n)
        return 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (!strchr ("0123456789abcdefABCDEF", text [i]))
            return 0;
    return 1;
}

static int
s_named_secret (const char *path)
{
    size_t n = strlen (path);
    return n >= 7 && strcmp (path + n - 7, ".secret") == 0;
}

jad_keys_t *
jad_keys_load (const char *path, char *err, size_t errlen)
{
    jad_keys_t *self = NULL;
    char *buf = NULL;           /* the file's text, guarded: it may hold a secret */
    int fd = -1;
    int ok = 0;

    if (s_sodium (err, errlen))
        return NULL;
    /* O_NONBLOCK: a FIFO in its place is refused below, not waited on
     * (reads of a regular file ignore it). */
    fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        goto out;
    }
    struct stat st;
    if (fstat (fd, &st)) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        goto out;
    }
    if (!S_ISREG (st.st_mode)) {
        snprintf (err, errlen, "%s: not a regular file", path);
        goto out;
    }
    /* Checked on the open descriptor, so the file cannot be swapped between
     * the check and the read. */
    if (s_named_secret (path) && (st.st_mode & 077)) {
        snprintf (err, errlen, "%s: secret key file is accessible by group or"
                  " others (mode %04o); run chmod 600 on it",
                  path, (unsigned) (st.st_mode & 07777));
        goto out;
    }
    buf = sodium_malloc (S_FILE_MAX + 1);
    self = calloc (1, sizeof *self);
    if (!buf || !self) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    /* Into the guarded buffer, not through jad_file_read's heap one: the
     * text may hold a secret. */
    size_t len = 0;
    if (jad_file_read_fd (fd, buf, S_FILE_MAX + 1, &len)) {
        snprintf (err, errlen, "%s: %s", path, strerror (errno));
        goto out;
    }
    if (len > S_FILE_MAX) {
        snprintf (err, errlen, "%s: larger than %d bytes: not a key file",
                  path, S_FILE_MAX);
        goto out;
    }
    buf [len] = '\0';
    if (memchr (buf, '\0', len)) {
        snprintf (err, errlen, "%s: contains a NUL byte: not a key file", path);
        goto out;
    }

    const char *name = NULL, *public = NULL, *secret = NULL;
    const char *sign_public = NULL, *key_id = NULL, *sign_secret = NULL;
    int lineno = 0;
    char *next = buf;
    while (next) {
        char *line = next;
        next = strchr (line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        line = jad_lines_trim (line);
        if (*line == '\0' || *line == '#')
            continue;
        char *eq = strchr (line, '=');
        if (!eq) {
            snprintf (err, errlen, "%s:%d: expected 'field = value'",
                      path, lineno);
            goto out;
        }
        *eq = '\0';
        char *field = jad_lines_trim (line);
        char *value = jad_lines_trim (eq + 1);
        const char **slot = strcmp (field, "name") == 0 ? &name
                          : strcmp (field, "public-key") == 0 ? &public
                          : strcmp (field, "secret-key") == 0 ? &secret
                          : strcmp (field, "sign-public-key") == 0 ? &sign_public
                          : strcmp (field, "key-id") == 0 ? &key_id
                          : strcmp (field, "sign-secret-key") == 0 ? &sign_secret
                          : NULL;
        if (!slot) {
            snprintf (err, errlen, "%s:%d: unknown field '%.32s'",
                      path, lineno, field);
            goto out;
        }
        if (*slot) {
            snprintf (err, errlen, "%s:%d: '%s' given twice",
                      path, lineno, field);
            goto out;
        }
        int valid = slot == &name ? jad_keys_name_valid (value)
                  : slot == &key_id ? s_hex_valid (value, JAD_KEY_ID_BYTES)
                  : slot == &sign_public || slot == &sign_secret
                                    ? s_hex_valid (value, S_KEY_BYTES)
                  : jad_keys_z85_valid (value);
        if (!valid) {
            /* Never echo the value: it may be a (damaged) secret. */
            snprintf (err, errlen, "%s:%d: invalid %s", path, lineno,
                      slot == &name ? "name" : field);
            goto out;
        }
        *slot = value;
    }
    if (!name || !public) {
        snprintf (err, errlen, "%s: missing '%s'", path,
                  !name ? "name" : "public-key");
        goto out;
    }
    if (!sign_public || (secret && !sign_secret)) {
        snprintf (err, errlen, "%s: no signing key: regenerate with"
                  " jad-keygen", path);
        goto out;
    }
    if (!key_id) {
        snprintf (err, errlen, "%s: missing 'key-id'", path);
        goto out;
    }
    if ((s_named_secret (path) || sign_secret) && !secret) {
        snprintf (err, errlen, "%s: missing 'secret-key'", path);
        goto out;
    }
    uint8_t id [JAD_KEY_ID_BYTES], derived_id [JAD_KEY_ID_BYTES];
    if (s_hex_decode (sign_public, self->sign_public, S_KEY_BYTES)
    ||  s_hex_decode (key_id, id, JAD_KEY_ID_BYTES)) {
        snprintf (err, errlen, "%s: invalid sign-public-key", path);
        goto out;
    }
    jad_sign_key_id (self->sign_public, derived_id);
    if (memcmp (id, derived_id, JAD_KEY_ID_BYTES) != 0) {
        snprintf (err, errlen, "%s: key-id does not belong to"
                  " sign-public-key", path);
        goto out;
    }
    memcpy (self->key_id, id, JAD_KEY_ID_BYTES);
    if (secret && (st.st_mode & 077)) {
        snprintf (err, errlen, "%s: file holds a secret key but is accessible"
                  " by group or others (mode %04o); run chmod 600 on it",
                  path, (unsigned) (st.st_mode & 07777));
        goto out;
    }
    if (secret && !s_pair_matches (public, secret)) {
        snprintf (err, errlen, "%s: secret-key does not belong to public-key",
                  path);
        goto out;
    }
    strcpy (self->name, name);
    strcpy (self->public, public);
    if (secret) {
        self->secret = sodium_malloc (JAD_KEYS_Z85_LEN + 1);
        if (!self->secret) {
            snprintf (err, errlen, "out of locked memory for the secret key");
            goto out;
        }
        memcpy (self->secret, secret, JAD_KEYS_Z85_LEN + 1);
        sodium_mprotect_readonly (self->secret);

        /* The file holds the seed; the pair is derived here and must be
         * the one the file names. */
        uint8_t *seed = sodium_malloc (S_SEED_BYTES);
        self->sign_secret = sodium_malloc (S_SIGN_SK);
        if (!seed || !self->sign_secret) {
            sodium_free (seed);
            snprintf (err, errlen, "out of locked memory for the secret key");
            goto out;
        }
        uint8_t derived [JAD_SIGN_PUBLIC_BYTES];
        int match = s_hex_decode (sign_secret, seed, S_SEED_BYTES) == 0
                 && crypto_sign_seed_keypair (derived, self->sign_secret,
                                              seed) == 0
                 && sodium_memcmp (derived, self->sign_public,
                                   JAD_SIGN_PUBLIC_BYTES) == 0;
        sodium_free (seed);
        if (!match) {
            snprintf (err, errlen, "%s: sign-secret-key does not belong to"
                      " sign-public-key", path);
            goto out;
        }
        sodium_mprotect_readonly (self->sign_secret);
    }
    ok = 1;
out:
    if (fd >= 0)
        close (fd);
    sodium_free (buf);
    if (!ok)
        jad_keys_destroy (&self);
    return self;
}

void
jad_keys_destroy (jad_keys_t **self_p)
{
    if (self_p && *self_p) {
        jad_keys_t *self = *self_p;
        sodium_free (self->secret);     /* wipes */
        sodium_free (self->sign_secret);
        free (self);
        *self_p = NULL;
    }
}

const char *
jad_keys_name (const jad_keys_t *self)
{
    return self->name;
}

const char *
jad_keys_public (const jad_keys_t *self)
{
    return self->public;
}

const char *
jad_keys_secret (const jad_keys_t *self)
{
    return self->secret;
}

int
jad_keys_has_secret (const jad_keys_t *self)
{
    return self->secret != NULL;
}

const uint8_t *
jad_keys_sign_public (const jad_keys_t *self)
{
    return self->sign_public;
}

const uint8_t *
jad_keys_key_id (const jad_keys_t *self)
{
    return self->key_id;
}

int
jad_keys_sign (const jad_keys_t *self, const uint8_t *msg, size_t len,
               uint8_t sig [JAD_SIGN_BYTES])
{
    static const uint8_t empty [1] = { 0 };
    if (!self || !self->sign_secret || !sig || (!msg && len))
        return -1;
    if (crypto_sign_detached (sig, NULL, msg ? msg : empty, len,
                              self->sign_secret) != 0)
        return -1;
    return 0;
}

/* libzmq takes a Z85 key as 41 bytes including the NUL. */
int
jad_keys_apply_client (const jad_keys_t *own, const char *server_public,
                       void *zmq_socket)
{
    if (!own || !own->secret || !zmq_socket
    ||  !jad_keys_z85_valid (server_public)) {
        errno = EINVAL;
        return -1;
    }
    if (zmq_setsockopt (zmq_socket, ZMQ_CURVE_SERVERKEY, server_public,
                        JAD_KEYS_Z85_LEN + 1)
    ||  zmq_setsockopt (zmq_socket, ZMQ_CURVE_PUBLICKEY, own->public,
                        JAD_KEYS_Z85_LEN + 1)
    ||  zmq_setsockopt (zmq_socket, ZMQ_CURVE_SECRETKEY, own->secret,
                        JAD_KEYS_Z85_LEN + 1))
        return -1;
    return 0;
}

/* Without ZAP_ENFORCE_DOMAIN a CURVE server whose ZAP handler is missing
 * (not started yet, crashed, stopped first at shutdown) admits every client
 * that knows its public key; with it, such clients are refused.  The option
 * is read back because a libzmq without it would accept nothing yet leave
 * the hole open. */
int
jad_keys_apply_server (const jad_keys_t *own, void *zmq_socket,
                       const char *zap_domain)
{
    if (!own || !own->secret || !zmq_socket || !zap_domain
    ||  !*zap_domain || strlen (zap_domain) > 255) {
        errno = EINVAL;
        return -1;
    }
    int one = 1;
    if (zmq_setsockopt (zmq_socket, ZMQ_CURVE_SERVER, &one, sizeof one)
    ||  zmq_setsockopt (zmq_socket, ZMQ_CURVE_SECRETKEY, own->secret,
                        JAD_KEYS_Z85_LEN + 1)
    ||  zmq_setsockopt (zmq_socket, ZMQ_ZAP_DOMAIN, zap_domain,
                        strlen (zap_domain))
    ||  zmq_setsockopt (zmq_socket, S_ZAP_ENFORCE_DOMAIN, &one, sizeof one))
        return -1;
    int value = 0;
    size_t size = sizeof value;
    if (zmq_getsockopt (zmq_socket, S_ZAP_ENFORCE_DOMAIN, &value, &size)
    ||  size != sizeof value || value != 1) {
        errno = ENOTSUP;
        return -1;
    }
    return 0;
}
