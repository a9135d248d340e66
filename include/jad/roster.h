/*  roster: the operation's participants and the keys that identify them.
 *
 *  The roster is the hub's only source of who may connect and what a key
 *  may do: the role and country bound to a public key here are what the hub
 *  enforces, never anything a client says about itself.
 *
 *  File format (UTF-8 text, one entry per line; deploy/examples/roster.sample
 *  is a fully commented example):
 *
 *    # a comment: '#' as the first non-blank character of a line.  Not at
 *    # the end of a line: Z85 keys may contain '#'.
 *    operation     Armstrong VII
 *    operation_id  9f3c0a41d2b84e6f8a1c5d7e0b2f4a68
 *    start         2020-11-16T07:00:00Z
 *    end           2020-11-21T07:00:00Z
 *    participant   NAME  ROLE  COUNTRY  PUBLIC_KEY  SIGN_PUBLIC_KEY  KEY_ID
 *    participant   NAME  ROLE  COUNTRY  PUBLIC_KEY  SIGN_PUBLIC_KEY  KEY_ID
 *                  revoked[=SEQ]
 *
 *  Each line is a keyword, blanks, and its value.
 *    operation     the rest of the line, trimmed: 1..127 bytes, no control
 *                  characters.
 *    operation_id  32 hex digits (16 random bytes), either case.
 *    start, end    RFC 3339 times; end must be after start.
 *    participant   six fields separated by blanks, and an optional seventh:
 *                  NAME     1..64 of [a-z0-9._-], starting with [a-z0-9]
 *                           (the name its key files carry, see keys.h);
 *                  ROLE     hub | agent | coordinator | observer;
 *                  COUNTRY  two upper-case letters (ISO 3166-1 alpha-2) for
 *                           an agent, '-' for every other role;
 *                  PUBLIC_KEY  the participant's CURVE public key, 40 Z85
 *                           characters (public-key in NAME.pub);
 *                  SIGN_PUBLIC_KEY  its Ed25519 signing public key, 64 hex
 *                           digits (sign-public-key in NAME.pub), a valid
 *                           Ed25519 point;
 *                  KEY_ID   16 hex digits (key-id in NAME.pub): must equal
 *                           the id derived from SIGN_PUBLIC_KEY (the first 8
 *                           bytes of its BLAKE2b-256, see sign.h);
 *                  revoked  optional: the participant is revoked.  The hub
 *                           fills in the hub_seq from which it takes effect
 *                           when it records the roster in its journal;
 *                  revoked=SEQ  revoked from hub_seq SEQ (decimal, >= 1) on:
 *                           entries with hub_seq >= SEQ signed by this key
 *                           are invalid, earlier ones still verify.
 *                  Hex is read in either case and written in lower case.
 *  operation, operation_id, start and end appear exactly once; exactly one
 *  participant is the hub, and it cannot be revoked; names, CURVE keys,
 *  signing keys and key ids are unique (revoked participants included).
 *  Any other keyword, or any violation, rejects the whole file with
 *  "FILE:LINE: reason".
 *
 *  Revocation: a revoked participant stays in the roster, so the entries it
 *  signed before its revocation still verify years later, but it is never
 *  admitted: jad_roster_find_key (the admission lookup) skips it.
 *
 *  Canonical text (jad_roster_format, jad_roster_save): one comment line,
 *  the four header lines in the order above with the keyword padded to 14
 *  columns, a blank line, a column-title comment, then one participant line
 *  per participant in file order, "participant   " + NAME padded to 20 +
 *  ' ' + ROLE padded to 12 + ' ' + COUNTRY ('-' when none) padded to 8 +
 *  ' ' + PUBLIC_KEY + ' ' + SIGN_PUBLIC_KEY + ' ' + KEY_ID (lower-case hex)
 *  [+ " revoked=SEQ", or " revoked" while SEQ is unknown], each line ending
 *  in a newline.  Times as jad_time_format writes them.  Parsing canonical
 *  text and formatting it again gives the same bytes.
 */
#ifndef JAD_ROSTER_H
#define JAD_ROSTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct _jad_roster_t jad_roster_t;

/* Participant roles.  0 is never a role, so a zeroed struct is invalid. */
#define JAD_ROLE_HUB          1
#define JAD_ROLE_AGENT        2
#define JAD_ROLE_COORDINATOR  3
#define JAD_ROLE_OBSERVER     4

#define JAD_ROSTER_OPERATION_MAX  127    /* bytes in an operation name */
#define JAD_ROSTER_ID_BYTES       16

typedef struct {
    char name [65];         /* 1..64 of [a-z0-9._-] */
    int  role;              /* JAD_ROLE_* */
    char country [3];       /* "DE" for an agent; "" for any other role */
    char public_key [41];   /* Z85 CURVE public key */
    uint8_t sign_key [32];  /* Ed25519 signing public key */
    uint8_t key_id [8];     /* jad_sign_key_id (sign_key) */
    int  revoked;           /* 1 when marked revoked */
    uint64_t revoked_seq;   /* first hub_seq it may no longer sign;
                               0 = not yet known (or not revoked) */
} jad_participant_t;

/* "hub", "agent", "coordinator", "observer"; "unknown" for anything else. */
const char *jad_roster_role_name (int role);
/* The role named NAME, or -1. */
int jad_roster_role_parse (const char *name);

/* Load and validate the roster at PATH (at most 16 MiB).  Returns a new
 * roster the caller owns (free with jad_roster_destroy), or NULL with
 * "FILE:LINE: reason" (or "FILE: reason" for what is missing from the whole
 * file) in ERR. */
jad_roster_t *jad_roster_load (const char *path, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The same from TEXT (LEN bytes, need not be NUL-terminated: the roster
 * text the hub recorded in its journal, for instance).  Errors name
 * NAME_FOR_ERRORS ("roster" when NULL) in place of the file. */
jad_roster_t *jad_roster_parse (const char *text, size_t len,
                                const char *name_for_errors,
                                char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* The roster as canonical text (see above), NUL-terminated.  Caller owns
 * the result (free); NULL when memory runs out. */
char *jad_roster_format (const jad_roster_t *self)
    __attribute__((warn_unused_result));

/* Free the roster; nulls *SELF_P; safe on NULL.  Pointers returned by the
 * accessors die with it. */
void jad_roster_destroy (jad_roster_t **self_p);

const char    *jad_roster_operation (const jad_roster_t *self);
/* The 16-byte operation id. */
const uint8_t *jad_roster_id        (const jad_roster_t *self);
int64_t        jad_roster_start_ms  (const jad_roster_t *self);
int64_t        jad_roster_end_ms    (const jad_roster_t *self);

/* Participants in file order: I < jad_roster_size. */
size_t jad_roster_size (const jad_roster_t *self);
const jad_participant_t *jad_roster_at (const jad_roster_t *self, size_t i);

/* Lookups; each returns the participant or NULL.  A linear scan: rosters
 * hold tens of participants, and comparing them costs less than a hash.
 *   find_key      by CURVE public key (Z85), ACTIVE participants only: the
 *                 admission lookup, a revoked participant is not found;
 *   find_key_any  by CURVE public key, revoked ones included;
 *   find_name     by name, revoked ones included (the caller checks
 *                 ->revoked / ->revoked_seq);
 *   find_key_id   by key id (8 bytes), revoked ones included: the lookup
 *                 for verifying a signature. */
const jad_participant_t *jad_roster_find_key     (const jad_roster_t *self,
                                                  const char *public_z85);
const jad_participant_t *jad_roster_find_key_any (const jad_roster_t *self,
                                                  const char *public_z85);
const jad_participant_t *jad_roster_find_name    (const jad_roster_t *self,
                                                  const char *name);
const jad_participant_t *jad_roster_find_key_id  (const jad_roster_t *self,
                                                  const uint8_t key_id [8]);
/* The hub participant (there is exactly one). */
const jad_participant_t *jad_roster_hub (const jad_roster_t *self);

/* Mark participant NAME revoked from hub_seq SEQ on.  SEQ 0 marks it
 * revoked and leaves a known sequence as it is (or unknown).  Any other SEQ
 * replaces the participant's sequence: keeping a revocation permanent (a
 * sequence that never moves once recorded) is the caller's policy — the
 * hub fills in a bare "revoked" and restores the recorded sequence over an
 * edited file.  -1 when NAME is not in the roster or is the hub (which
 * cannot be revoked); 0 otherwise. */
int jad_roster_set_revoked (jad_roster_t *self, const char *name,
                            uint64_t seq);

/* Append a copy of participant P (its revocation included) after the same
 * checks as a roster line: valid fields, unique name and keys, at most one
 * hub.  For the hub, to keep a participant the operator deleted from the
 * file listed as revoked.  0, or -1 (the roster unchanged). */
int jad_roster_add (jad_roster_t *self, const jad_participant_t *p)
    __attribute__((warn_unused_result));

/* Write a roster to PATH atomically (temporary file in the same directory,
 * fsync, rename, fsync of the directory), mode 0644.  The same rules as
 * jad_roster_load are checked first, so a saved roster always loads; a
 * participant's country may be "" or "-" for a role without one.  The text
 * written is canonical (jad_roster_format's), with each participant's
 * signing key, key id and revocation (revoked_seq set without revoked is
 * an error).  0 on success, -1 with a reason in ERR. */
int jad_roster_save (const char *path, const char *operation,
                     const uint8_t id [16], int64_t start_ms, int64_t end_ms,
                     const jad_participant_t *p, size_t n,
                     char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
