/*  bundle: what the coordinator hands a country for an operation — one
 *  self-describing text file (`jad-keygen bundle` writes it, `jad-keygen
 *  unbundle` unpacks it; docs/SECURITY.md "Key ceremony").
 *
 *  A bundle is for one agent participant of the roster.  It carries the
 *  hub's public keys, the hub's two endpoints, the operation's name and id,
 *  the agent's own name, country and public keys, and a ready agent
 *  configuration (jad-agent run's long options, `key = value`).  It may
 *  also carry the agent's secret key file, generated centrally
 *  (`--generate-secrets`): then the secret is always encrypted under a
 *  passphrase and the whole bundle is authenticated by it.
 *
 *  Format, version 1 (UTF-8 text, LF or CRLF line ends):
 *
 *    # comments: lines whose first non-blank character is '#'; blank
 *    # lines are ignored too.  Both may appear anywhere.
 *    jadhub-bundle = 1
 *    operation = Armstrong VII             roster.h's rules: 1..127 bytes
 *    operation-id = <32 hex digits>
 *    name = agent-de                       keys.h's participant name
 *    role = agent                          only agents get bundles (v1)
 *    country = DE                          ISO 3166-1 alpha-2 or XK
 *    public-key = <40 Z85>                 the agent's CURVE public key
 *    sign-public-key = <64 hex>            its Ed25519 public key
 *    key-id = <16 hex>                     derived from sign-public-key
 *    hub-name = hub
 *    hub-public-key = <40 Z85>
 *    hub-sign-public-key = <64 hex>
 *    hub-key-id = <16 hex>
 *    hub-endpoint = tcp://HOST:PORT        the hub's collector (--hub)
 *    feed-endpoint = tcp://HOST:PORT       the hub's feed (--feed)
 *    conf = data = @DIR@/data              the agent configuration, one
 *    conf = country = DE                   `conf = KEY = VALUE` line per
 *    conf = key = @DIR@/agent-de.secret    setting, in this order:
 *    conf = hub-key = @DIR@/hub.pub        data, country, key, hub-key,
 *    conf = hub = tcp://HOST:PORT          hub, feed, log-level
 *    conf = feed = tcp://HOST:PORT
 *    conf = log-level = info
 *    kdf = argon2id-moderate               \  only in a bundle with a
 *    salt = <32 hex digits>                 | secret (all three or none)
 *    secret-box = <base64>                 /
 *    checksum = <64 hex digits>            always last
 *
 *  Every field appears exactly once, in the order above (conf lines as a
 *  block, each key once, in the order shown).  A value runs from the first
 *  '=' to the end of the line, trimmed of blanks.  Anything else — an
 *  unknown or missing field, one out of order, a bad value, a NUL byte, a
 *  line over 8 KiB, a file over 64 KiB, bytes that are not UTF-8 or are
 *  control characters — rejects the bundle with "line N: FIELD: reason"
 *  (the line number and the field at fault).
 *
 *  The conf lines must agree with the fields: country = country, key =
 *  @DIR@/NAME.secret, hub-key = @DIR@/HUB-NAME.pub, hub = hub-endpoint,
 *  feed = feed-endpoint; data is "@DIR@/..." or an absolute path;
 *  log-level is error, warn, notice, info or debug.  @DIR@ stands for the
 *  directory the bundle is unpacked into: `jad-keygen unbundle` writes
 *  agent.conf with it replaced by that directory's absolute path.
 *
 *  Endpoints: "tcp://HOST:PORT", HOST a DNS name or IPv4 address
 *  ([A-Za-z0-9.-], 1..253) or a bracketed IPv6 address, PORT 1..65535;
 *  at most 255 bytes.
 *
 *  Canonical field text: each field line as "FIELD = VALUE\n" (a conf line
 *  as "conf = KEY = VALUE\n"; hex in lower case), comments and blank
 *  lines left out: what jad_bundle_format writes, without its comments.  The
 *  checksum is BLAKE2b-256 of the canonical text of every field before it:
 *  it catches a truncated or damaged bundle (not an attacker — the bundle
 *  is not signed: the country compares the hub's key id with the
 *  coordinator over another channel).  Because it covers the canonical
 *  text, line ends and blanks changed in transit do not matter.
 *
 *  The secret: kdf names the passphrase hashing, Argon2id v1.3
 *  (crypto_pwhash_ALG_ARGON2ID13) with libsodium's MODERATE limits
 *  ("argon2id-moderate": 3 passes, 256 MiB) or INTERACTIVE limits
 *  ("argon2id-interactive": 2 passes, 64 MiB) — names, never numbers, so
 *  a bundle cannot make its reader allocate what it likes.  salt is a
 *  random 16 bytes.  The 32-byte key it derives seals the agent's secret
 *  key file (keys.h's NAME.secret text, at most 4 KiB) with
 *  XChaCha20-Poly1305 (crypto_aead_xchacha20poly1305_ietf): secret-box is
 *  the base64 (with padding) of a random 24-byte nonce followed by the
 *  ciphertext and its 16-byte tag.  The additional data is the canonical
 *  text of every field before secret-box, so a wrong passphrase and any
 *  change to the bundle's fields (a swapped hub key or endpoint included)
 *  are both refused by the tag.
 *
 *  Only this module and keys.c touch secret key material: the decrypted
 *  secret and the passphrase stay in sodium_malloc'd memory and are wiped.
 */
#ifndef JAD_BUNDLE_H
#define JAD_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "jad/roster.h"

typedef struct _jad_bundle_t jad_bundle_t;

#define JAD_BUNDLE_MAX          (64 * 1024)     /* largest bundle file */
#define JAD_BUNDLE_LINE_MAX     8192            /* longest line */
#define JAD_BUNDLE_ENDPOINT_MAX 255             /* longest endpoint */
#define JAD_BUNDLE_PATH_MAX     1024            /* longest conf data path */
#define JAD_BUNDLE_PASS_MIN     12      /* shortest passphrase to seal with */
#define JAD_BUNDLE_PASS_MAX     1024    /* longest passphrase */

/* Passphrase hashing strength (libsodium's limits for Argon2id). */
#define JAD_BUNDLE_KDF_MODERATE     1   /* 3 passes, 256 MiB, ~1 s */
#define JAD_BUNDLE_KDF_INTERACTIVE  2   /* 2 passes, 64 MiB, ~0.2 s */

/* Parse flags. */
#define JAD_BUNDLE_IGNORE_CHECKSUM  1   /* tests and the fuzzer only: a
                                           well-formed but wrong checksum is
                                           accepted */

/* Results of jad_bundle_unpack beside 0. */
#define JAD_BUNDLE_REJECTED  (-1)   /* wrong passphrase, altered bundle,
                                       keys that do not match */
#define JAD_BUNDLE_IO        (-2)   /* file system error, existing secret */

/* 1 when CC is an ISO 3166-1 alpha-2 code in use (or XK, Kosovo), else 0.
 * HINT, if not NULL, gets a suggestion for a familiar wrong code ("use GB"
 * for UK, "use GR" for EL, "use upper case" for "de") or "". */
int jad_bundle_country_known (const char *cc, const char **hint);

/* 1 when TEXT is an endpoint as described above, else 0. */
int jad_bundle_endpoint_valid (const char *text);

/* A bundle for agent NAME of ROSTER (an active agent), its hub reached at
 * HUB_ENDPOINT and FEED_ENDPOINT, its agent data directory DATA (NULL:
 * "@DIR@/data") and agent log level LOG_LEVEL (NULL: "info").  Caller owns
 * the result (jad_bundle_destroy); NULL with a reason naming the argument
 * in ERR. */
jad_bundle_t *jad_bundle_new (const jad_roster_t *roster, const char *name,
                              const char *hub_endpoint,
                              const char *feed_endpoint, const char *data,
                              const char *log_level, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The checks of jad_bundle_new that need no roster, with its messages:
 * the endpoints, DATA and LOG_LEVEL (NULL: the defaults).  For a caller
 * that must refuse a typo before it touches the roster (`jad-keygen
 * bundle --generate-secrets`).  0, or -1 with a reason naming the option
 * in ERR. */
int jad_bundle_check_settings (const char *hub_endpoint,
                               const char *feed_endpoint, const char *data,
                               const char *log_level, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Parse and validate TEXT (LEN bytes, need not be NUL-terminated; untrusted:
 * at most JAD_BUNDLE_MAX).  FLAGS: 0 or JAD_BUNDLE_IGNORE_CHECKSUM.  Caller
 * owns the result; NULL with "line N: reason" (or "bundle: reason" for
 * the file as a whole: missing field, checksum, size) in ERR.
 * Does not open the secret: jad_bundle_unpack does, with the passphrase. */
jad_bundle_t *jad_bundle_parse (const char *text, size_t len, int flags,
                                char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The same from the file at PATH; errors start with PATH.  *IO_ERROR, if
 * not NULL, is set to 1 when the file could not be read (0 when its
 * content was refused). */
jad_bundle_t *jad_bundle_load (const char *path, int *io_error,
                               char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Free the bundle; nulls *SELF_P; safe on NULL. */
void jad_bundle_destroy (jad_bundle_t **self_p);

/* Seal SECRET_TEXT (LEN bytes: a NAME.secret file's text, at most 4 KiB,
 * whose keys must be the bundle's own) into SELF under PASS (PASSLEN
 * bytes, JAD_BUNDLE_PASS_MIN..JAD_BUNDLE_PASS_MAX) with KDF
 * (JAD_BUNDLE_KDF_*).  Costs one Argon2id run.  0, or -1 with a reason in
 * ERR (never any of the secret). */
int jad_bundle_seal (jad_bundle_t *self, const char *secret_text, size_t len,
                     const char *pass, size_t passlen, int kdf,
                     char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The bundle as text (see above: comments, the fields, the checksum).
 * Parsing it gives the same bundle, and formatting that the same text.
 * Caller owns the result (free); NULL when memory runs out. */
char *jad_bundle_format (const jad_bundle_t *self)
    __attribute__((warn_unused_result));

/* The agent configuration file's text, with @DIR@ replaced by DIR (an
 * absolute path without control characters or '\n').  Caller owns the
 * result (free); NULL on a bad DIR or out of memory. */
char *jad_bundle_agent_conf (const jad_bundle_t *self, const char *dir)
    __attribute__((warn_unused_result));

/* Unpack SELF into directory DIR (created mode 0700 with its parents when
 * missing): DIR/NAME.secret (only from a bundle with a secret: mode 0600,
 * created exclusively — an existing one is never overwritten), DIR/NAME.pub
 * and DIR/HUB-NAME.pub (0644, written only when missing; an existing one
 * must hold the bundle's keys), and DIR/agent.conf (0644, replaced
 * atomically).  A secret bundle needs PASS (PASSLEN bytes); otherwise PASS
 * is ignored.  An existing DIR/NAME.secret must belong to the bundle's
 * public keys.  On return *SECRET_STATE, if not NULL, says what became of
 * the secret: 'w' written from the bundle, 'p' present and matching, 'm'
 * missing (the country puts its own there).  0; JAD_BUNDLE_REJECTED (wrong
 * passphrase, altered bundle, keys not matching); JAD_BUNDLE_IO; with a
 * reason in ERR.
 *
 * Nothing is written when the bundle is refused: DIR is made only once
 * what is in it and the passphrase have passed (and the directories made
 * are removed again, while empty, if a later step fails).  The opened
 * secret goes from guarded memory to an unnamed file in DIR (O_TMPFILE,
 * mode 0600), which keys.c's loader checks and link() names NAME.secret:
 * until then it has no name, and a crash leaves nothing.  Where O_TMPFILE
 * is missing (EOPNOTSUPP, EISDIR, no /proc) it is a named temporary file
 * DIR/.jad.XXXXXX, mode 0600 from its creation, unlinked once linked or on
 * any failure — but left behind, with the secret in it, by a crash or a
 * SIGKILL in that window (a few milliseconds). */
int jad_bundle_unpack (const jad_bundle_t *self, const char *dir,
                       const char *pass, size_t passlen, int *secret_state,
                       char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* What jad_bundle_unpack checks before it needs the passphrase, for
 * `--check`: DIR (which need not exist yet) holds no secret key where the
 * bundle brings one, and any NAME.pub, HUB-NAME.pub and NAME.secret in it
 * hold the bundle's keys.  Writes nothing.  0, JAD_BUNDLE_REJECTED or
 * JAD_BUNDLE_IO with a reason in ERR. */
int jad_bundle_check_dir (const jad_bundle_t *self, const char *dir,
                          char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Generate a key pair for NAME (keys.c's jad_keys_generate, in a private
 * directory under /dev/shm when it can, else $TMPDIR or /tmp, removed
 * before returning) and give back its public keys in *P (name, CURVE key,
 * signing key, key id; role and country left to the caller) and the text
 * of its secret file in *SECRET_P (sodium_malloc'd: free it with
 * sodium_free, which wipes it; *LEN_P bytes).  0, or -1 with a reason. */
int jad_bundle_keys_generate (const char *name, jad_participant_t *p,
                              char **secret_p, size_t *len_p,
                              char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Accessors; strings valid while SELF lives. */
const char    *jad_bundle_operation     (const jad_bundle_t *self);
const uint8_t *jad_bundle_operation_id  (const jad_bundle_t *self);  /* 16 */
const char    *jad_bundle_name          (const jad_bundle_t *self);
const char    *jad_bundle_country       (const jad_bundle_t *self);
const char    *jad_bundle_hub_name      (const jad_bundle_t *self);
const uint8_t *jad_bundle_hub_key_id    (const jad_bundle_t *self);  /* 8 */
const char    *jad_bundle_hub_endpoint  (const jad_bundle_t *self);
const char    *jad_bundle_feed_endpoint (const jad_bundle_t *self);
/* 1 when the bundle carries a (sealed) secret key. */
int            jad_bundle_has_secret    (const jad_bundle_t *self);

#endif
