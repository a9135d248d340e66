/*  config: `--config FILE` expanded into the program's own long options.
 *
 *  Why words and not a settings struct: getopt_long then parses a file's
 *  settings and the command line with the same code, so a key means exactly
 *  what its flag means, and a program gains --config by one call before its
 *  option loop.  See include/jad/config.h for the file's syntax.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "jad/err.h"
#include "jad/config.h"
#include "jad/lines.h"

#define CONFIG_LINE_MAX     4096
#define CONFIG_SETTINGS_MAX 1000

/* The expanded vector and its words live until exit: argv's do. */
static char **s_argv;
static char **s_words;
static size_t s_nwords;
static int s_registered;

static void
s_free_all (void)
{
    for (size_t i = 0; i < s_nwords; i++)
        free (s_words [i]);
    free (s_words);
    free (s_argv);
    s_words = NULL;
    s_argv = NULL;
    s_nwords = 0;
}

static const struct option *
s_option (const struct option *opts, const char *key)
{
    for (; opts && opts->name; opts++)
        if (strcmp (opts->name, key) == 0)
            return opts;
    return NULL;
}

static int
s_listed (const char *const *list, const char *key)
{
    for (; list && *list; list++)
        if (strcmp (*list, key) == 0)
            return 1;
    return 0;
}

/* 1 true, 0 false, -1 not a boolean. */
static int
s_boolean (const char *value)
{
    static const char *const yes [] = { "true", "yes", "on", "1", NULL };
    static const char *const no [] = { "false", "no", "off", "0", NULL };
    if (s_listed (yes, value))
        return 1;
    if (s_listed (no, value))
        return 0;
    return -1;
}

/* "--KEY" or "--KEY=VALUE", malloc'd; NULL if memory runs out. */
static char *
s_word_new (const char *key, const char *value)
{
    size_t n = strlen (key) + (value ? strlen (value) + 1 : 0) + 3;
    char *word = malloc (n);
    if (word)
        snprintf (word, n, value ? "--%s=%s" : "--%s", key, value ? value : "");
    return word;
}

/* Append one word to the module's list (it owns every word it holds). */
static int
s_word_add (char ***words_p, size_t *n_p, size_t *cap_p, char *word)
{
    if (!word)
        return -1;
    if (*n_p == *cap_p) {
        size_t cap = *cap_p ? *cap_p * 2 : 16;
        char **words = realloc (*words_p, cap * sizeof *words);
        if (!words) {
            free (word);
            return -1;
        }
        *words_p = words;
        *cap_p = cap;
    }
    (*words_p) [(*n_p)++] = word;
    return 0;
}

/* The next line of F into LINE (CONFIG_LINE_MAX + 1 bytes), without its
 * newline: 1 a line, 2 too long, 3 a NUL byte in it, 0 at the end. */
static int
s_line_read (FILE *f, char *line)
{
    size_t len = 0;
    int c, result = 1;
    while ((c = getc (f)) != EOF && c != '\n') {
        if (c == '\0')
            result = 3;
        else
        if (len == CONFIG_LINE_MAX)
            return 2;
        else
            line [len++] = (char) c;
    }
    line [len] = '\0';
    if (c == EOF && len == 0 && result == 1)
        return 0;
    return result;
}

/* Read PATH's settings as `--key=value` / `--flag` words. */
static int
s_read (const char *path, const struct option *opts, const char *const *others,
        char ***words_p, size_t *n_p, char *err, size_t errlen)
{
    size_t cap = 0, settings = 0, lineno = 0;
    char line [CONFIG_LINE_MAX + 1];
    int got;
    FILE *f = fopen (path, "r");
    int rc = -1;
    if (!f) {
        jad_err_set (err, errlen, "--config: %s: %s", path, strerror (errno));
        goto done;
    }
    /* Byte by byte, so that neither a line without end nor a NUL byte can
     * make it read more than CONFIG_LINE_MAX. */
    while ((got = s_line_read (f, line)) > 0) {
        lineno++;
        if (got == 2) {
            jad_err_set (err, errlen, "%s:%zu: line longer than %d bytes",
                   path, lineno, CONFIG_LINE_MAX);
            goto done;
        }
        if (got == 3) {
            jad_err_set (err, errlen, "%s:%zu: NUL byte in line", path, lineno);
            goto done;
        }
        char *s = jad_lines_trim (line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr (s, '=');
        if (!eq) {
            jad_err_set (err, errlen, "%s:%zu: expected 'key = value'", path, lineno);
            goto done;
        }
        *eq = '\0';
        char *key = jad_lines_trim (s);
        char *value = jad_lines_trim (eq + 1);
        if (*key == '\0') {
            jad_err_set (err, errlen, "%s:%zu: missing key before '='", path, lineno);
            goto done;
        }
        /* "check" in a unit's file would make ExecStart validate and exit
         * 0: a service that looks started and does nothing. */
        if (strcmp (key, "config") == 0 || strcmp (key, "help") == 0
        ||  strcmp (key, "check") == 0) {
            jad_err_set (err, errlen, "%s:%zu: '%s' cannot be set in a configuration file",
                   path, lineno, key);
            goto done;
        }
        const struct option *o = s_option (opts, key);
        if (!o) {
            if (s_listed (others, key))
                continue;
            jad_err_set (err, errlen, "%s:%zu: unknown key '%s'", path, lineno, key);
            goto done;
        }
        if (++settings > CONFIG_SETTINGS_MAX) {
            jad_err_set (err, errlen, "%s:%zu: more than %d settings",
                   path, lineno, CONFIG_SETTINGS_MAX);
            goto done;
        }
        char *word = NULL;
        if (o->has_arg == no_argument) {
            int b = s_boolean (value);
            if (b < 0) {
                jad_err_set (err, errlen, "%s:%zu: '%s' is a flag: its value must be "
                       "true or false, not '%s'", path, lineno, key, value);
                goto done;
            }
            if (b == 0)
                continue;
            word = s_word_new (key, NULL);
        }
        else {
            if (*value == '\0' && o->has_arg == required_argument) {
                jad_err_set (err, errlen, "%s:%zu: '%s' needs a value", path, lineno, key);
                goto done;
            }
            word = s_word_new (key, value);
        }
        if (s_word_add (words_p, n_p, &cap, word)) {
            jad_err_set (err, errlen, "--config: out of memory");
            goto done;
        }
    }
    if (ferror (f)) {
        jad_err_set (err, errlen, "--config: %s: read error", path);
        goto done;
    }
    rc = 0;
done:
    if (f)
        fclose (f);
    return rc;
}

int
jad_config_expand (int *argc_p, char ***argv_p, int first,
                   const struct option *opts, const char *const *others,
                   char *err, size_t errlen)
{
    int argc = *argc_p;
    char **argv = *argv_p;
    const char *path = NULL;
    int at = -1, span = 0;
    for (int i = first; i < argc; i++) {
        if (strcmp (argv [i], "--") == 0)
            break;
        const char *p = NULL;
        int n = 0;
        if (strcmp (argv [i], "--config") == 0) {
            if (i + 1 >= argc) {
                jad_err_set (err, errlen, "--config: needs a FILE");
                return -1;
            }
            p = argv [i + 1];
            n = 2;
        }
        else
        if (strncmp (argv [i], "--config=", 9) == 0) {
            p = argv [i] + 9;
            n = 1;
        }
        if (!p)
            continue;
        if (path) {
            jad_err_set (err, errlen, "--config: given twice");
            return -1;
        }
        path = p;
        at = i;
        span = n;
        i += n - 1;
    }
    if (!path)
        return 0;

    char **words = NULL;
    size_t n = 0;
    if (s_read (path, opts, others, &words, &n, err, errlen)) {
        for (size_t i = 0; i < n; i++)
            free (words [i]);
        free (words);
        return -1;
    }
    size_t total = (size_t) argc - (size_t) span + n;
    char **out = calloc (total + 1, sizeof *out);
    if (!out) {
        for (size_t i = 0; i < n; i++)
            free (words [i]);
        free (words);
        jad_err_set (err, errlen, "--config: out of memory");
        return -1;
    }
    size_t k = 0;
    for (int i = 0; i < first; i++)
        out [k++] = argv [i];
    for (size_t i = 0; i < n; i++)
        out [k++] = words [i];
    for (int i = first; i < argc; i++)
        if (i < at || i >= at + span)
            out [k++] = argv [i];
    out [k] = NULL;

    /* A second expansion in one process (a test) replaces the first. */
    s_free_all ();
    if (!s_registered && atexit (s_free_all) == 0)
        s_registered = 1;
    s_argv = out;
    s_words = words;
    s_nwords = n;
    *argc_p = (int) k;
    *argv_p = out;
    return 0;
}

int
jad_config_apply (const char *prog, int *argc_p, char ***argv_p, int first,
                  const struct option *opts, const char *const *others)
{
    char err [1024];
    if (jad_config_expand (argc_p, argv_p, first, opts, others,
                           err, sizeof err) == 0)
        return 0;
    fprintf (stderr, "%s: %s\n", prog, err);
    return jad_config_failure_status (*argc_p, *argv_p);
}

int
jad_config_failure_status (int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp (argv [i], "--") != 0; i++)
        if (strcmp (argv [i], "--check") == 0)
            return 1;
    return 2;
}

int
jad_config_check_endpoint (const char *name, const char *endpoint,
                           char *err, size_t errlen)
{
    if (!endpoint || !*endpoint) {
        jad_err_set (err, errlen, "--%s: missing endpoint", name);
        return -1;
    }
    if (strncmp (endpoint, "ipc://", 6) == 0 && endpoint [6] != '\0')
        return 0;
    if (strncmp (endpoint, "tcp://", 6) != 0) {
        jad_err_set (err, errlen, "--%s: '%s' is not tcp://HOST:PORT or ipc://PATH",
               name, endpoint);
        return -1;
    }
    const char *host = endpoint + 6;
    const char *colon = strrchr (host, ':');
    if (!colon || colon == host) {
        jad_err_set (err, errlen, "--%s: '%s' has no HOST:PORT", name, endpoint);
        return -1;
    }
    char *end;
    errno = 0;
    long port = strtol (colon + 1, &end, 10);
    if (colon [1] == '\0' || *end != '\0' || errno || port < 1 || port > 65535) {
        jad_err_set (err, errlen, "--%s: '%s': port must be 1..65535", name, endpoint);
        return -1;
    }
    return 0;
}

int
jad_config_check_dir (const char *name, const char *dir, char *err, size_t errlen)
{
    char path [4096];
    if (!dir || !*dir) {
        jad_err_set (err, errlen, "--%s: missing directory", name);
        return -1;
    }
    if ((size_t) snprintf (path, sizeof path, "%s", dir) >= sizeof path) {
        jad_err_set (err, errlen, "--%s: path too long", name);
        return -1;
    }
    struct stat st;
    while (stat (path, &st) != 0) {
        if (errno != ENOENT) {
            jad_err_set (err, errlen, "--%s: %s: %s", name, path, strerror (errno));
            return -1;
        }
        char *slash = strrchr (path, '/');
        if (!slash) {
            if (strcmp (path, ".") == 0) {     /* the working directory is gone */
                jad_err_set (err, errlen, "--%s: %s: %s", name, dir, strerror (ENOENT));
                return -1;
            }
            snprintf (path, sizeof path, ".");
            continue;
        }
        if (slash == path)
            slash [1] = '\0';
        else
            *slash = '\0';
    }
    if (!S_ISDIR (st.st_mode)) {
        jad_err_set (err, errlen, "--%s: %s is not a directory", name, path);
        return -1;
    }
    if (access (path, W_OK | X_OK) != 0) {
        jad_err_set (err, errlen, "--%s: %s: %s", name, path, strerror (errno));
        return -1;
    }
    return 0;
}

int
jad_config_check_file (const char *name, const char *file, char *err, size_t errlen)
{
    if (!file || !*file) {
        jad_err_set (err, errlen, "--%s: missing file", name);
        return -1;
    }
    if (access (file, R_OK) != 0) {
        jad_err_set (err, errlen, "--%s: %s: %s", name, file, strerror (errno));
        return -1;
    }
    return 0;
}
