/*  history: the rosters an operation went through.  See history.h for the
 *  contract; the rules for a country and for a signer are here, once.
 *
 *  The rosters are kept in an array sorted by effective_seq (an "era":
 *  the roster and the first entry it governs), so the roster governing an
 *  entry is a binary search away.  Records usually come in order (a
 *  journal scan), sometimes not (a console hears the feed before its
 *  catch-up ends): an out-of-order one is inserted in place, a memmove of
 *  pointers.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/report.h"
#include "jad/history.h"
#include "jad/record.h"
#include "jad/sign.h"

/* A roster and the first hub_seq it governs. */
typedef struct {
    uint64_t      from;         /* effective_seq, >= 1 */
    jad_roster_t *roster;       /* owned */
    char         *text;         /* as recorded, NUL-terminated (owned) */
} s_era_t;

struct _jad_history_t {
    s_era_t *eras;              /* sorted by FROM, no two alike */
    size_t   n_eras;
    size_t   cap_eras;
    uint8_t  hub_key[JAD_SIGN_PUBLIC_BYTES];  /* the trust anchor */
    int      has_hub_key;
    uint64_t next_key;          /* jad_history_load: the next record key
                                   to read (0: from the first) */
};

jad_history_t *
jad_history_new (void)
{
    return calloc (1, sizeof (jad_history_t));
}

void
jad_history_destroy (jad_history_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jad_history_t *self = *self_p;
    for (size_t i = 0; i < self->n_eras; i++) {
        jad_roster_destroy (&self->eras[i].roster);
        free (self->eras[i].text);
    }
    free (self->eras);
    free (self);
    *self_p = NULL;
}

/* The index of the era governing SEQ (greatest FROM <= SEQ), or -1 when
 * SEQ is before every era. */
static long
s_governing (const jad_history_t *self, uint64_t seq)
{
    size_t lo = 0, hi = self->n_eras;     /* answer: lo - 1 */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->eras[mid].from <= seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long) lo - 1;
}

/* Put ROSTER and TEXT (both taken) in place as governing from FROM,
 * replacing an era with the same FROM; the first roster in a history
 * without an anchor gives it its hub's key.  0, or -1 when memory runs
 * out (both freed, the history unchanged). */
static int
s_put (jad_history_t *self, uint64_t from, jad_roster_t *roster, char *text)
{
    int rc = -1;
    const uint8_t *hub_key = jad_roster_hub (roster)->sign_key;
    long at = s_governing (self, from);
    if (at >= 0 && self->eras[at].from == from) {
        s_era_t *era = &self->eras[at];
        jad_roster_destroy (&era->roster);
        free (era->text);
        era->roster = roster;
        era->text = text;
    }
    else {
        if (self->n_eras == self->cap_eras) {
            size_t cap = self->cap_eras ? self->cap_eras * 2 : 8;
            s_era_t *eras = realloc (self->eras, cap * sizeof *eras);
            if (!eras)
                goto out;
            self->eras = eras;
            self->cap_eras = cap;
        }
        size_t i = (size_t) (at + 1);
        memmove (&self->eras[i + 1], &self->eras[i],
                 (self->n_eras - i) * sizeof *self->eras);
        self->eras[i] = (s_era_t) { from, roster, text };
        self->n_eras++;
    }
    if (!self->has_hub_key)
        jad_history_set_hub_key (self, hub_key);
    roster = NULL;
    text = NULL;
    rc = 0;
out:
    jad_roster_destroy (&roster);
    free (text);
    return rc;
}

int
jad_history_add (jad_history_t *self, uint64_t effective_seq,
                 jad_roster_t **roster_p)
{
    int rc = -1;
    jad_roster_t *roster = *roster_p;
    *roster_p = NULL;
    char *text = effective_seq ? jad_roster_format (roster) : NULL;
    if (!text)
        goto out;
    rc = s_put (self, effective_seq, roster, text);
    roster = NULL;              /* s_put took both, whatever came of it */
out:
    jad_roster_destroy (&roster);
    return rc;
}

/* jad_history_add_record without the "roster record at N: " its caller
 * puts first: the reason alone in WHY.  0, -1 (a bad record) or -2 (out
 * of memory: not the record's fault). */
static int
s_add_record (jad_history_t *self, const uint8_t *buf, size_t len,
              uint64_t expect_seq, int verify, const uint8_t *op_id,
              uint64_t *seq_p, char *why, size_t whylen)
{
    int rc = -1;
    jad_roster_record_t rec;
    jad_roster_t *roster = NULL;
    char *text = NULL;
    *seq_p = expect_seq;
    if (jad_roster_record_decode (buf, len, &rec, why, whylen) != 0)
        goto out;
    *seq_p = rec.effective_seq;
    if (expect_seq && rec.effective_seq != expect_seq) {
        snprintf (why, whylen, "effective_seq %" PRIu64 " is not the key it "
                  "is stored under (%" PRIu64 ")", rec.effective_seq,
                  expect_seq);
        *seq_p = expect_seq;
        goto out;
    }
    roster = jad_roster_parse (rec.text, rec.text_len, "recorded roster",
                               why, whylen);
    if (!roster)
        goto out;
    if (verify) {
        assert (op_id);
        /* An empty history with no anchor trusts this record's hub (which
         * proves consistency, not origin): only once it verifies. */
        const uint8_t *key = self->has_hub_key
                           ? self->hub_key : jad_roster_hub (roster)->sign_key;
        if (memcmp (jad_roster_id (roster), op_id, JAD_ROSTER_ID_BYTES) != 0) {
            snprintf (why, whylen, "another operation's roster");
            goto out;
        }
        if (jad_roster_record_verify (&rec, op_id, key) != 0) {
            snprintf (why, whylen, "the hub's signature does not verify");
            goto out;
        }
    }
    text = strndup (rec.text, rec.text_len);
    if (!text) {
        snprintf (why, whylen, "out of memory");
        rc = -2;
        goto out;
    }
    if (s_put (self, rec.effective_seq, roster, text) != 0) {
        roster = NULL;      /* s_put freed both */
        text = NULL;
        snprintf (why, whylen, "out of memory");
        rc = -2;
        goto out;
    }
    roster = NULL;
    text = NULL;
    rc = 0;
out:
    jad_roster_destroy (&roster);
    free (text);
    jad_roster_record_clear (&rec);
    return rc;
}

int
jad_history_add_record (jad_history_t *self, const uint8_t *buf, size_t len,
                        uint64_t expect_seq, int verify, const uint8_t *op_id,
                        char *err, size_t errlen)
{
    char why[512];
    uint64_t seq;
    if (s_add_record (self, buf, len, expect_seq, verify, op_id, &seq,
                      why, sizeof why) == 0)
        return 0;
    if (seq)
        snprintf (err, errlen, "roster record at %" PRIu64 ": %s", seq, why);
    else
        snprintf (err, errlen, "roster record: %s", why);
    return -1;
}

/* The state of one jad_history_load. */
typedef struct {
    jad_history_t      *self;
    int                 verify;
    const uint8_t      *op_id;
    jad_history_bad_fn *on_bad;
    void               *arg;
    long                added;      /* records added */
    int                 failed;     /* out of memory, or ON_BAD said stop */
} s_load_t;

static int
s_load_fn (void *arg, uint64_t key, const uint8_t *buf, size_t len)
{
    s_load_t *load = arg;
    char why[512];
    uint64_t seq;
    int rc = s_add_record (load->self, buf, len, key, load->verify,
                           load->op_id, &seq, why, sizeof why);
    /* Read, added or bad: the next load starts after it, and a bad record
     * is reported once.  Not when memory ran out: it is the next one's. */
    if (rc != -2)
        load->self->next_key = key + 1;
    if (rc == 0)
        load->added++;
    else
    if (rc == -2 || (load->on_bad && load->on_bad (load->arg, key, why) != 0))
        load->failed = 1;
    return load->failed;
}

long
jad_history_load (jad_history_t *self, jad_journal_t *journal, int verify,
                  const uint8_t *op_id, jad_history_bad_fn *on_bad, void *arg)
{
    s_load_t load = { self, verify, op_id, on_bad, arg, 0, 0 };
    if (jad_journal_record_scan (journal, JAD_JOURNAL_ROSTERS, self->next_key,
                                 SIZE_MAX, s_load_fn, &load) < 0
    ||  load.failed)
        return -1;
    return load.added;
}

const uint8_t *
jad_history_hub_key (const jad_history_t *self)
{
    return self->has_hub_key ? self->hub_key : NULL;
}

void
jad_history_set_hub_key (jad_history_t *self, const uint8_t *key)
{
    memcpy (self->hub_key, key, JAD_SIGN_PUBLIC_BYTES);
    self->has_hub_key = 1;
}

size_t
jad_history_size (const jad_history_t *self)
{
    return self->n_eras;
}

uint64_t
jad_history_last_seq (const jad_history_t *self)
{
    return self->n_eras ? self->eras[self->n_eras - 1].from : 0;
}

const jad_roster_t *
jad_history_at (const jad_history_t *self, uint64_t seq)
{
    long i = s_governing (self, seq);
    return i >= 0 ? self->eras[i].roster : NULL;
}

const jad_roster_t *
jad_history_last (const jad_history_t *self)
{
    return self->n_eras ? self->eras[self->n_eras - 1].roster : NULL;
}

const char *
jad_history_last_text (const jad_history_t *self)
{
    return self->n_eras ? self->eras[self->n_eras - 1].text : NULL;
}

const jad_participant_t *
jad_history_origin (const jad_history_t *self, uint64_t seq, const char *origin)
{
    long gov = s_governing (self, seq);
    const jad_participant_t *who = NULL;
    if (gov >= 0)
        who = jad_roster_find_name (self->eras[gov].roster, origin);
    /* Not on the roster of its time: an entry older than every recorded
     * roster (a journal whose first rosters were lost), or a participant
     * the roster of its time forgot.  A name's role and country never
     * change within an operation, so the nearest roster naming it says
     * who it is: later ones first, the hub only ever adds participants. */
    for (size_t i = (size_t) (gov + 1); !who && i < self->n_eras; i++)
        who = jad_roster_find_name (self->eras[i].roster, origin);
    for (long i = gov - 1; !who && i >= 0; i--)
        who = jad_roster_find_name (self->eras[i].roster, origin);
    return who;
}

void
jad_history_country (const jad_history_t *self, uint64_t seq,
                     const char *origin, const char *report_country,
                     char *country)
{
    country[0] = 0;
    if (jad_report_country_valid (report_country)) {
        memcpy (country, report_country, 3);
        return;
    }
    if (!origin)
        return;
    const jad_participant_t *who = jad_history_origin (self, seq, origin);
    if (who) {
        if (jad_report_country_valid (who->country))
            memcpy (country, who->country, 3);
        return;     /* a coordinator's, an observer's: none */
    }
    /* `jad-journal import` names its origins "import-CC" and records no
     * roster; only a name of exactly that form says a country. */
    if (strncmp (origin, "import-", 7) == 0 && jad_report_country_valid (origin + 7))
        memcpy (country, origin + 7, 3);
}

const jad_participant_t *
jad_history_signer (const jad_history_t *self, uint64_t seq,
                    const char *origin, char *err, size_t errlen)
{
    const jad_roster_t *roster = jad_history_at (self, seq);
    const jad_participant_t *who = roster ? jad_roster_find_name (roster, origin)
                                          : NULL;
    if (!who) {
        snprintf (err, errlen, "origin \"%.64s\" is not on the roster in "
                  "force", origin);
        return NULL;
    }
    if (who->role != JAD_ROLE_AGENT && who->role != JAD_ROLE_COORDINATOR) {
        snprintf (err, errlen, "origin %s is a %s, not an agent or "
                  "coordinator", who->name, jad_roster_role_name (who->role));
        return NULL;
    }
    /* Revoked with no sequence: the hub had not recorded it yet, so no
     * entry of this key can be trusted. */
    if (who->revoked && (who->revoked_seq == 0 || who->revoked_seq <= seq)) {
        snprintf (err, errlen, "origin %s's key was revoked (from entry "
                  "%" PRIu64 ")", who->name, who->revoked_seq);
        return NULL;
    }
    return who;
}
