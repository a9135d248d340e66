/* libFuzzer target: a bundle file as `jad-keygen unbundle` reads it — text
 * that arrived by e-mail from the coordinator, untrusted until its fields
 * check out.  Each input is parsed twice, as it is and with the checksum
 * overlooked (so mutated fields get past it to the round trip).  Whatever
 * parses must format, reparse (now with a good checksum) and format to the
 * same text, and give an agent configuration without the placeholder;
 * a refusal must come with a message.  The secret box is not opened: that
 * costs an Argon2id run, and its code is the unit test's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/bundle.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_refused_well (const char *err, size_t errlen)
{
    size_t len = strnlen (err, errlen);
    if (len == 0 || len >= errlen - 1)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err [512] = "";
    jad_bundle_t *strict = jad_bundle_parse ((const char *) data, size, 0,
                                             err, sizeof err);
    if (!strict)
        s_refused_well (err, sizeof err);
    err [0] = '\0';
    jad_bundle_t *b = jad_bundle_parse ((const char *) data, size,
                                        JAD_BUNDLE_IGNORE_CHECKSUM, err,
                                        sizeof err);
    if (!b) {
        s_refused_well (err, sizeof err);
        if (strict)
            abort ();       /* a checksum overlooked can only admit more */
        return 0;
    }
    char *text = jad_bundle_format (b);
    if (!text)
        abort ();
    jad_bundle_t *back = jad_bundle_parse (text, strlen (text), 0, err,
                                           sizeof err);
    if (!back) {
        fprintf (stderr, "reparse failed: %s\n%s", err, text);
        abort ();
    }
    char *again = jad_bundle_format (back);
    if (!again || strcmp (text, again) != 0) {
        fprintf (stderr, "not stable:\n%s\n%s\n", text, again ? again : "");
        abort ();
    }
    if (jad_bundle_has_secret (b) != jad_bundle_has_secret (back)
    ||  strcmp (jad_bundle_name (b), jad_bundle_name (back)) != 0
    ||  strcmp (jad_bundle_hub_endpoint (b),
                jad_bundle_hub_endpoint (back)) != 0)
        abort ();
    /* Every setting of the configuration has its placeholder replaced (the
     * comments may quote an operation name that holds "@DIR@"). */
    char *conf = jad_bundle_agent_conf (back, "/srv/jad");
    if (!conf || !strstr (conf, "\nkey = /srv/jad/"))
        abort ();
    for (char *line = conf; line && *line; ) {
        char *nl = strchr (line, '\n');
        if (nl)
            *nl = '\0';
        if (line [0] != '#' && strstr (line, "@DIR@"))
            abort ();
        line = nl ? nl + 1 : NULL;
    }
    free (conf);
    free (again);
    free (text);
    jad_bundle_destroy (&back);
    jad_bundle_destroy (&b);
    jad_bundle_destroy (&strict);
    return 0;
}
