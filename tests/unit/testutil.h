/*  testutil: what the unit tests share — a private temporary directory per
 *  test, removed with everything in it afterwards, and participants' keys
 *  made once per test program, and the log captured.
 *
 *  Use as a cmocka setup/teardown pair: the state is a jad_test_dir_t.
 *
 *      static const struct CMUnitTest tests[] = {
 *          cmocka_unit_test_setup_teardown (test_x, jad_test_dir_setup,
 *                                           jad_test_dir_teardown),
 *      };
 *      ... in test_x:  const char *p = jad_test_path (state, "journal");
 *
 *  Directories are made under $TMPDIR (else /tmp) as jad-unit-XXXXXX, mode
 *  0700.  Linked into every unit test (Makefile), not into libjad.
 */
#ifndef JAD_TESTUTIL_H
#define JAD_TESTUTIL_H

#include <stddef.h>

#include "jad/keys.h"
#include "jad/log.h"

typedef struct {
    char dir[512];      /* the directory, no trailing slash */
    char path[1024];    /* jad_test_path's last answer */
} jad_test_dir_t;

/* cmocka setup: a new temporary directory into *STATE.  0, or -1. */
int jad_test_dir_setup (void **state);

/* cmocka teardown: remove the directory and everything in it (files of
 * any mode, nested directories), free the state.  Always 0. */
int jad_test_dir_teardown (void **state);

/* STATE's directory. */
const char *jad_test_dir (void **state);

/* STATE's directory joined with NAME ("DIR/NAME"); valid until the next
 * call with the same state. */
const char *jad_test_path (void **state, const char *name);

/* Make a temporary directory and return it (malloc'd, caller frees) for
 * tests that need one outside a setup; NULL on failure. */
char *jad_test_mkdtemp (void);

/* Remove DIR and everything in it.  0, or -1 when something stayed. */
int jad_test_rmtree (const char *dir);

/* Capture the log (stderr) from now on, at LEVEL: for tests that check
 * what a module says, and how often. */
void jad_test_log_capture (jad_log_level_t level);

/* What was logged since jad_test_log_capture (malloc'd, caller frees);
 * stderr as before, the log at JAD_LOG_ERROR again (where the unit tests
 * keep it: refusals are the point, their lines noise). */
char *jad_test_log_release (void);

/* How many lines of TEXT hold WHAT. */
int jad_test_lines_with (const char *text, const char *what);

/* Make a participant's key pairs for each of the N NAMES in a new
 * temporary directory (*DIR_P, malloc'd) and load each, with its secrets,
 * into KEYS[i] (as jad-keygen would, through lib/keys.c).  0, or -1 with
 * the reason on stderr; either way jad_test_keys_free undoes it. */
int jad_test_keys_make (const char *const *names, size_t n,
                        jad_keys_t **keys, char **dir_p);

/* Destroy KEYS[0..N), remove *DIR_P with everything in it, free and NULL
 * it.  Safe after a failed or partial jad_test_keys_make. */
void jad_test_keys_free (jad_keys_t **keys, size_t n, char **dir_p);

#endif
