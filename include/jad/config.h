/*  config: `--config FILE` for every program.
 *
 *  A configuration file holds the same settings as a program's long
 *  options, one per line, so a systemd unit or an operator's script can say
 *  `jad-hub --config /etc/jadhub/hub.conf` instead of a long command line:
 *
 *      # a comment: a line whose first non-blank character is '#'
 *      data     = /var/lib/jadhub
 *      listen   = tcp://0.0.0.0:7401
 *      json     = true            <- a flag: true|false|yes|no|on|off|1|0
 *
 *  A key is a long option's name without its "--"; the value is the rest of
 *  the line after '=', trimmed (no quoting, no comments at the end of a
 *  line: Z85 keys and paths may hold '#').  A key may appear more than once
 *  where the option may.  The file's settings go before the command line's
 *  own options, so the command line wins where both set one.
 *
 *  Errors name the file and line: an unknown key, a flag given a value that
 *  is not a boolean, an option that needs a value given none, a line
 *  without '=', a line over 4 KiB, more than 1000 settings.
 */
#ifndef JAD_CONFIG_H
#define JAD_CONFIG_H

#include <getopt.h>
#include <stddef.h>

/* Expand `--config FILE` or `--config=FILE` found among (*ARGV_P)[FIRST..]
 * (FIRST is the index of the first option word: 1, or 2 after a command
 * word) into FILE's settings, as `--key=value` words placed at FIRST, and
 * drop the --config words.  OPTS is the getopt_long table of the command;
 * OTHERS, if not NULL, a NULL-terminated list of keys that belong to the
 * program's other commands, skipped silently (one agent file serves
 * `jad-agent run` and `jad-agent status`).  "config", "help" and "check"
 * are never accepted as keys.  Words after "--" are left alone.
 *
 * Returns 0 with *ARGC_P and *ARGV_P replaced by a vector the module owns
 * (valid until exit), or unchanged if there was no --config; -1 with a
 * message "FILE:LINE: reason" (or "--config: reason") in ERR. */
int jad_config_expand (int *argc_p, char ***argv_p, int first,
                       const struct option *opts, const char *const *others,
                       char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* jad_config_expand for a program's main: 0, or after printing
 * "PROG: reason" on stderr the exit status to return (1 under --check,
 * else 2). */
int jad_config_apply (const char *prog, int *argc_p, char ***argv_p, int first,
                      const struct option *opts, const char *const *others)
    __attribute__((warn_unused_result));

/* The exit status for a failed jad_config_expand: 1 when ARGV asks for
 * --check (the configuration was checked and is invalid), else 2. */
int jad_config_failure_status (int argc, char **argv);

/* For --check.  0, or -1 with "--NAME: reason" in ERR.
 *
 * An endpoint is tcp://HOST:PORT (HOST a name, an address, [IPv6] or '*';
 * PORT 1..65535) or ipc://PATH. */
int jad_config_check_endpoint (const char *name, const char *endpoint,
                               char *err, size_t errlen);

/* DIR is a directory this process may write, or can be created: its
 * nearest existing ancestor is a writable directory. */
int jad_config_check_dir (const char *name, const char *dir,
                          char *err, size_t errlen);

/* FILE exists and this process can read it. */
int jad_config_check_file (const char *name, const char *file,
                           char *err, size_t errlen);

#endif
