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
 *    participant   NAME  ROLE  COUNTRY  PUBLIC_KEY
 *
 *  Each line is a keyword, blanks, and its value.
 *    operation     the rest of the line, trimmed: 1..127 bytes, no control
 *                  characters.
 *    operation_id  32 hex digits (16 random bytes), either case.
 *    start, end    RFC 3339 times; end must be after start.
 *    participant   four fields separated by blanks:
 *                  NAME     1..64 of [a-z0-9._-], starting with [a-z0-9]
 *                           (the name its key files carry, see keys.h);
 *                  ROLE     hub | agent | coordinator | observer;
 *                  COUNTRY  two upper-case letters (ISO 3166-1 alpha-2) for
 *                           an agent, '-' for every other role;
 *                  PUBLIC_KEY  the participant's CURVE public key, 40 Z85
 *                           characters.
 *  operation, operation_id, start and end appear exactly once; exactly one
 *  participant is the hub; names and keys are unique.  Any other keyword,
 *  or any violation, rejects the whole file with "FILE:LINE: reason".
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
} jad_participant_t;

/* "hub", "agent", "coordinator", "observer"; "unknown" for anything else. */
const char *jad_roster_role_name (int role);
/* The role named NAME, or -1. */
int jad_roster_role_parse (const char *name);

/* Load and validate the roster at PATH.  Returns a new roster the caller
 * owns (free with jad_roster_destroy), or NULL with "FILE:LINE: reason" (or
 * "FILE: reason" for what is missing from the whole file) in ERR. */
jad_roster_t *jad_roster_load (const char *path, char *err, size_t errlen)
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

/* The participant with this key / name, or NULL.  A linear scan: rosters
 * hold tens of participants, and comparing them costs less than a hash. */
const jad_participant_t *jad_roster_find_key  (const jad_roster_t *self,
                                               const char *public_z85);
const jad_participant_t *jad_roster_find_name (const jad_roster_t *self,
                                               const char *name);
/* The hub participant (there is exactly one). */
const jad_participant_t *jad_roster_hub (const jad_roster_t *self);

/* Write a roster to PATH atomically (temporary file in the same directory,
 * fsync, rename, fsync of the directory), mode 0644.  The same rules as
 * jad_roster_load are checked first, so a saved roster always loads; a
 * participant's country may be "" or "-" for a role without one.  0 on
 * success, -1 with a reason in ERR. */
int jad_roster_save (const char *path, const char *operation,
                     const uint8_t id [16], int64_t start_ms, int64_t end_ms,
                     const jad_participant_t *p, size_t n,
                     char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
