/*  keys: a participant's two key pairs — the only module that touches
 *  secret key material.
 *
 *  Every participant has a CURVE key pair (Curve25519: libzmq's CURVE
 *  protects each hop with it) and, kept apart from it, an Ed25519 signing
 *  key pair (detached signatures over what it sends, verifiable by anyone
 *  holding the roster: see sign.h).  Both live in two text files written by
 *  jad_keys_generate (and bin/jad-keygen):
 *
 *    DIR/NAME.pub      mode 0644, shareable:
 *
 *        # jadhub public keys for NAME
 *        name = NAME
 *        public-key = <40 Z85 characters>          CURVE public key
 *        sign-public-key = <64 hex digits>         Ed25519 public key
 *        key-id = <16 hex digits>                  see below
 *
 *    DIR/NAME.secret   mode 0600, never leaves its machine: the same lines
 *                      plus
 *
 *        secret-key = <40 Z85 characters>          CURVE secret key
 *        sign-secret-key = <64 hex digits>         Ed25519 seed (32 bytes)
 *
 *  The key id is the first 8 bytes of BLAKE2b-256 of the 32-byte signing
 *  public key (jad_sign_key_id).  It is derived, but written out for humans
 *  and for the roster; a key-id that does not match is an error.
 *
 *  Format: one "field = value" per line; blank lines and lines whose first
 *  non-blank character is '#' are ignored (only there: Z85 text may contain
 *  '#' and '=', so a value runs from the first '=' to the end of the line,
 *  trimmed).  Hex is read in either case and written in lower case.  Any
 *  other field, a repeated field, or a missing name/public-key/key-id is an
 *  error; a file without sign-public-key (or a secret file without
 *  sign-secret-key: one made before signing keys existed) is refused with
 *  "no signing key: regenerate with jad-keygen".  When the file has secret
 *  keys, each public key must be the one derived from its secret.
 *
 *  A name is 1..64 characters of [a-z0-9._-], starting with [a-z0-9] (so a
 *  name is never ".", ".." or a hidden file).
 *
 *  Secret keys are held in libsodium guarded memory (sodium_malloc: locked,
 *  guard pages, wiped on free) and are never logged or printed; error texts
 *  from this module never contain key material.
 */
#ifndef JAD_KEYS_H
#define JAD_KEYS_H

#include <stddef.h>
#include <stdint.h>

typedef struct _jad_keys_t jad_keys_t;

#define JAD_KEYS_NAME_MAX   64      /* longest participant name */
#define JAD_KEYS_Z85_LEN    40      /* a 32-byte CURVE key as Z85 text */

/* 1 when NAME is a valid participant name (see above), else 0. */
int jad_keys_name_valid (const char *name);

/* 1 when TEXT is exactly 40 Z85 characters that decode to 32 bytes (each
 * 5-character group within 32 bits), else 0. */
int jad_keys_z85_valid (const char *text);

/* Generate a new CURVE key pair and a new Ed25519 signing key pair for NAME and write DIR/NAME.secret (created
 * with O_EXCL, mode 0600 from the start) and then DIR/NAME.pub (mode 0644,
 * replaced atomically).  An existing DIR/NAME.secret is never overwritten:
 * that is refused with an error.  DIR must exist.  Both files and DIR are
 * fsync'd.  A failed call leaves no secret file behind, so it can be
 * retried.  0 on success, -1 with a one-line reason in ERR. */
int jad_keys_generate (const char *name, const char *dir,
                       char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Load a key file: a .secret file (public and secret key) or a .pub file
 * (public key only).  Refuses a file with a secret key (or named *.secret)
 * that group or others may access (mode & 077), a file that is not a regular
 * file or larger than 4 KiB, bad syntax, an invalid name or Z85 key, and a
 * secret key that does not match its public key.  Returns a new object the
 * caller owns (free with jad_keys_destroy), or NULL with a reason in ERR. */
jad_keys_t *jad_keys_load (const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Destroy the keys, wiping the secret; nulls *SELF_P; safe on NULL. */
void jad_keys_destroy (jad_keys_t **self_p);

/* The participant name and the public key (Z85, NUL-terminated); valid
 * while SELF lives. */
const char *jad_keys_name   (const jad_keys_t *self);
const char *jad_keys_public (const jad_keys_t *self);

/* The secret key (Z85, NUL-terminated, in guarded memory) or NULL for a
 * public-only object.  Valid while SELF lives.  Pass it only to libzmq; do
 * not copy, log or print it. */
const char *jad_keys_secret     (const jad_keys_t *self);
int         jad_keys_has_secret (const jad_keys_t *self);

/* The Ed25519 signing public key (JAD_SIGN_PUBLIC_BYTES = 32 bytes) and its
 * key id (JAD_KEY_ID_BYTES = 8 bytes); valid while SELF lives.  Present in
 * every loaded object, public-only or not. */
const uint8_t *jad_keys_sign_public (const jad_keys_t *self);
const uint8_t *jad_keys_key_id      (const jad_keys_t *self);

/* Sign MSG (LEN bytes; MSG may be NULL when LEN is 0) with SELF's Ed25519
 * secret key: a detached signature in SIG (JAD_SIGN_BYTES = 64 bytes).
 * Sign only the domain-separated strings sign.h builds.  Costs ~29 µs.
 * 0 on success, -1 when SELF has no secret (a public-only object). */
int jad_keys_sign (const jad_keys_t *self, const uint8_t *msg, size_t len,
                   uint8_t sig [64])
    __attribute__((warn_unused_result));

/* Make ZMQ_SOCKET (a raw libzmq socket: zsock_resolve (sock)) a CURVE client
 * of the server whose public key is SERVER_PUBLIC (Z85), using OWN's key
 * pair (OWN must have a secret).  Call before connect.  0 on success, -1 if
 * OWN has no secret, SERVER_PUBLIC is not valid Z85 or libzmq refuses an
 * option (errno set). */
int jad_keys_apply_client (const jad_keys_t *own, const char *server_public,
                           void *zmq_socket)
    __attribute__((warn_unused_result));

/* Make ZMQ_SOCKET a CURVE server with OWN's secret key, in ZAP domain
 * ZAP_DOMAIN (non-empty), with ZMQ_ZAP_ENFORCE_DOMAIN (draft option 93) on,
 * so that a client is refused when no ZAP handler answers rather than
 * admitted.  Reads option 93 back and fails unless it is 1 (a libzmq built
 * without the option).  Call before bind, after starting the ZAP handler
 * (zauth).  0 on success, -1 otherwise. */
int jad_keys_apply_server (const jad_keys_t *own, void *zmq_socket,
                           const char *zap_domain)
    __attribute__((warn_unused_result));

#endif
