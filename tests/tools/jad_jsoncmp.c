/*  jad-jsoncmp: compare figures with an expected file, issue 5's "equal".
 *
 *    jad-jsoncmp EXPECTED ACTUAL [--ignore KEY]...
 *
 *  Equal means: every key of EXPECTED is present in ACTUAL with the same
 *  value (recursively); a top-level key given to --ignore is not compared;
 *  ACTUAL may have keys EXPECTED lacks, except that a map whose key starts
 *  with "by_" (not by_country) may carry extra keys only with value 0.
 *  Exit 0 equal, 1 not (each difference named on stdout), 2 usage or I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int
s_cmp (const json_t *want, const json_t *got, const char *path, int is_by_map)
{
    int bad = 0;
    char sub[1024];
    if (json_is_object (want)) {
        if (!json_is_object (got)) {
            printf ("%s: not an object\n", path);
            return 1;
        }
        const char *k;
        json_t *v;
        json_object_foreach ((json_t *) want, k, v) {
            snprintf (sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
            const json_t *g = json_object_get (got, k);
            if (!g) {
                printf ("%s: missing\n", sub);
                bad = 1;
                continue;
            }
            int by = strncmp (k, "by_", 3) == 0 && strcmp (k, "by_country") != 0;
            bad |= s_cmp (v, g, sub, by);
        }
        if (is_by_map)
            json_object_foreach ((json_t *) got, k, v)
                if (!json_object_get (want, k)
                &&  !(json_is_integer (v) && json_integer_value (v) == 0)) {
                    printf ("%s.%s: unexpected non-zero key\n", path, k);
                    bad = 1;
                }
        return bad;
    }
    if (!json_equal ((json_t *) want, (json_t *) got)) {
        char *w = json_dumps (want, JSON_ENCODE_ANY | JSON_COMPACT);
        char *g = json_dumps (got, JSON_ENCODE_ANY | JSON_COMPACT);
        printf ("%s: expected %s, got %s\n", path, w ? w : "?", g ? g : "?");
        free (w);
        free (g);
        return 1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: jad-jsoncmp EXPECTED ACTUAL [--ignore KEY]...\n");
        return 2;
    }
    json_error_t e;
    json_t *want = json_load_file (argv[1], 0, &e);
    if (!want) {
        fprintf (stderr, "jad-jsoncmp: %s: %s\n", argv[1], e.text);
        return 2;
    }
    json_t *got = json_load_file (argv[2], 0, &e);
    if (!got) {
        fprintf (stderr, "jad-jsoncmp: %s: %s\n", argv[2], e.text);
        json_decref (want);
        return 2;
    }
    for (int i = 3; i + 1 < argc; i += 2)
        if (strcmp (argv[i], "--ignore") == 0)
            json_object_del (want, argv[i + 1]);
    int bad = s_cmp (want, got, "", 0);
    json_decref (want);
    json_decref (got);
    return bad ? 1 : 0;
}
