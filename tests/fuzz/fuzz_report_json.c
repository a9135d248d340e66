/* libFuzzer target: one line of a national JSON export, as jad-agent and
 * the import tools read it.  Whatever parses must format, reparse, and
 * format to the same text (the round trip the format promises), and the
 * reparsed report must pass validation; anything else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/report.h"
#include "jad/report_json.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[256];
    Jad__Report *r = NULL, *back = NULL;
    int64_t ms = 0, ms2 = 0;
    int has_time = 0, has_time2 = 0;
    char *text = NULL, *text2 = NULL;

    /* Half the inputs also get an own country, to exercise that check. */
    const char *own = (size > 0 && (data[0] & 1)) ? "DE" : NULL;
    if (jad_report_json_parse ((const char *) data, size, own, &r, &ms,
                               &has_time, err, sizeof err) != 0) {
        if (err[0] == '\0' || strlen (err) >= sizeof err)
            abort ();
        return 0;
    }
    text = jad_report_json_format (r, has_time, ms);
    if (!text)
        abort ();
    if (jad_report_json_parse (text, strlen (text), own, &back, &ms2,
                               &has_time2, err, sizeof err) != 0) {
        fprintf (stderr, "reparse of %s failed: %s\n", text, err);
        abort ();
    }
    if (has_time != has_time2 || (has_time && ms != ms2)
    ||  jad_report_validate (back, err, sizeof err) != 0)
        abort ();
    text2 = jad_report_json_format (back, has_time2, ms2);
    if (!text2 || strcmp (text, text2) != 0) {
        fprintf (stderr, "not stable:\n%s\n%s\n", text, text2 ? text2 : "(null)");
        abort ();
    }
    free (text);
    free (text2);
    jad__report__free_unpacked (r, NULL);
    jad__report__free_unpacked (back, NULL);
    return 0;
}
