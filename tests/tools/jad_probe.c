/*  jad-probe: a test client that speaks to a real hub as a participant —
 *  or as a misbehaving one.  Used by the process-level tests only; not
 *  installed.
 *
 *  Who connects (every command but port):
 *      --key F --hub-key F   a participant's key file and the hub's
 *      --random-key          a fresh CURVE key pair no roster knows
 *                            (needs --hub-key only)
 *      --plain               no CURVE at all (needs no key)
 *
 *  jad-probe ... --hub EP hello
 *      heartbeat; prints "head N" from the hub's answer
 *  jad-probe ... --hub EP submit [--origin NAME] [--country CC] [--seq N]
 *            [--op-id HEX] [--incarnation HEX] [--officers N] [--ref R]
 *            [--sign MODE] [--sign-key F] [--sign-op-id HEX] [--save FILE]
 *      one signed deployment report (reference R, default probe-SEQ); prints "ack HUB_SEQ dup D" or
 *      "error CODE MSG".  --sign: good (default), none (no key id, no
 *      signature), nosig (key id, no signature), forged (one bit of a good
 *      signature flipped), truncated (63 bytes), wrong-key (signed by
 *      --sign-key's key, own key id), other-id (signed by --sign-key's key
 *      with its key id), tampered (signed over officers N, sent with N+1).
 *      --sign-op-id: sign over this operation id instead of the envelope's.
 *      --save: write the envelope bytes sent to FILE.
 *  jad-probe ... --hub EP replay FILE [--op-id HEX]
 *      sends the envelope bytes in FILE (from submit --save) as they are,
 *      or with their operation id replaced; prints the answer as submit
 *  jad-probe ... --hub EP garbage
 *      sends malformed frames, counts error replies, then checks that the
 *      hub still answers a heartbeat
 *  jad-probe ... --hub EP hostile [--only PREFIX] [--skip PREFIX]
 *      a battery of hostile protobuf (unknown fields, bad lengths, deep
 *      nesting, bad enums, bad UTF-8, ...), one at a time, each properly
 *      signed where a signature is needed to reach the decoder; prints one
 *      "case NAME: ANSWER" line each, "acked N" (must be 0), then "still
 *      served" or "no answer"
 *  jad-probe ... --hub EP nested [--count DEPTH] [--seq N]
 *      one properly signed report nested DEPTH times (correction inside
 *      correction; default: as deep as fits in a report, ~9,000); prints
 *      "case nested: ANSWER", then "still served" or "no answer"
 *  jad-probe ... --hub EP oversized
 *      a submit within the frame limit but over the envelope limit (expects
 *      TOO_LARGE), then a frame over ZMQ_MAXMSGSIZE (libzmq drops the
 *      connection), then a heartbeat on a new connection
 *  jad-probe ... --hub EP flood-catchup [--count N] [--hold S]
 *      N catch-up requests from seq 1 (default 10000) without reading any
 *      answer, then holds the connection S seconds (default 0), unread
 *  jad-probe ... --feed EP stall-sub [--hold S]
 *      subscribes to the feed and never reads, for S seconds (default 10)
 *  jad-probe ... --hub EP submit-request --to CC[,CC]|all --text T
 *            [--priority routine|urgent] [--seq N] [--incarnation HEX]
 *      one signed request report (a coordinator's), otherwise as submit;
 *      prints "ack HUB_SEQ dup D" or "error CODE MSG"
 *  jad-probe ... --feed EP listen
 *      prints "received" if anything arrives on the feed within 3 s
 *  jad-probe ... --feed EP participants
 *      waits up to 5 s for the hub's Participants frame; prints one line
 *      per peer: "peer NAME ROLE COUNTRY|- connected|silent outbox N
 *      last_acked N mirror N", then "received"
 *  jad-probe port
 *      prints a free TCP port on 127.0.0.1
 *
 *  exit: 0 as expected (ack / answer / received / done); 1 an error reply
 *        (hostile: an ack); 2 usage; 3 no answer within the timeout.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>
#include <sodium.h>

#include "jad/keys.h"
#include "jad/sign.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

/* How the probe connects. */
enum { S_AUTH_KEY, S_AUTH_RANDOM, S_AUTH_PLAIN };

/* Everything the command line sets. */
typedef struct {
    int         auth;           /* S_AUTH_* */
    const char *origin;         /* envelope origin; default: own name */
    const char *country;        /* report country; default: absent */
    uint64_t    seq;            /* origin_seq */
    const char *op_hex;         /* envelope operation id; default: hub's */
    const char *inc_hex;        /* incarnation; default 0x5a... */
    const char *ref;            /* report reference; default probe-SEQ */
    uint64_t    officers;       /* report content */
    const char *sign;           /* signing mode */
    const char *sign_op_hex;    /* operation id signed over */
    const char *save;           /* where to write the envelope sent */
    const char *file;           /* replay: the envelope to send */
    long        count;          /* flood-catchup: requests */
    int         hold;           /* seconds to hold a connection unread */
    const char *only;           /* hostile: run only cases with this prefix */
    const char *skip;           /* hostile: skip cases with this prefix */
    const char *to;             /* submit-request: "DE,FR" or "all" */
    const char *text;           /* submit-request: the request's text */
    const char *priority;       /* submit-request: routine or urgent */
} s_opts_t;

static jad_keys_t *s_keys;          /* own keys (S_AUTH_KEY) */
static jad_keys_t *s_sign_keys;     /* --sign-key */
static char s_hub_public[41];
static int s_small_queues;          /* stall-sub: tiny receive queues */

static zsock_t *
s_connect (int type, const char *endpoint, int auth)
{
    zsock_t *sock = zsock_new (type);
    void *raw = zsock_resolve (sock);
    int linger = 0;
    zmq_setsockopt (raw, ZMQ_LINGER, &linger, sizeof linger);
    int64_t maxmsg = -1;
    zmq_setsockopt (raw, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (auth == S_AUTH_KEY) {
        if (jad_keys_apply_client (s_keys, s_hub_public, raw) != 0) {
            fprintf (stderr, "jad-probe: cannot set CURVE keys\n");
            exit (2);
        }
    }
    else
    if (auth == S_AUTH_RANDOM) {
        char pub[41], sec[41];
        if (zmq_curve_keypair (pub, sec) != 0
        ||  zmq_setsockopt (raw, ZMQ_CURVE_SERVERKEY, s_hub_public, 40) != 0
        ||  zmq_setsockopt (raw, ZMQ_CURVE_PUBLICKEY, pub, 40) != 0
        ||  zmq_setsockopt (raw, ZMQ_CURVE_SECRETKEY, sec, 40) != 0) {
            fprintf (stderr, "jad-probe: cannot set random CURVE keys\n");
            exit (2);
        }
        sodium_memzero (sec, sizeof sec);
    }
    if (s_small_queues) {
        int hwm = 1, rcvbuf = 4096;
        zmq_setsockopt (raw, ZMQ_RCVHWM, &hwm, sizeof hwm);
        zmq_setsockopt (raw, ZMQ_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    if (type == ZMQ_SUB)
        zsock_set_subscribe (sock, "");
    if (zsock_connect (sock, "%s", endpoint) != 0) {
        fprintf (stderr, "jad-probe: cannot connect %s\n", endpoint);
        exit (2);
    }
    return sock;
}

static void
s_send_raw (zsock_t *sock, const void *buf, size_t len)
{
    zframe_t *f = zframe_new (buf, len);
    zframe_send (&f, sock, 0);
}

static void
s_send_frame (zsock_t *sock, const Jad__Frame *frame)
{
    size_t len;
    uint8_t *buf = jad_wire_encode (&frame->base, &len);
    s_send_raw (sock, buf, len);
    free (buf);
}

/* A Frame{submit: BUF} of the current version. */
static void
s_send_submit (zsock_t *sock, const uint8_t *buf, size_t len)
{
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_SUBMIT;
    frame.submit.data = (uint8_t *) buf;
    frame.submit.len = len;
    s_send_frame (sock, &frame);
}

/* Next frame from the hub within TIMEOUT ms, decoded; NULL on timeout. */
static Jad__Frame *
s_recv (zsock_t *sock, int timeout)
{
    zpoller_t *poller = zpoller_new (sock, NULL);
    Jad__Frame *frame = NULL;
    int64_t until = jad_time_mono_ms () + timeout;
    while (!frame) {
        int64_t left = until - jad_time_mono_ms ();
        if (left <= 0 || !zpoller_wait (poller, (int) left))
            break;
        zframe_t *f = zframe_recv (sock);
        char err[256];
        frame = f ? jad_wire_frame_decode (zframe_data (f), zframe_size (f),
                                           err, sizeof err) : NULL;
        zframe_destroy (&f);
    }
    zpoller_destroy (&poller);
    return frame;
}

/* The next frame that is not a heartbeat, within TIMEOUT ms. */
static Jad__Frame *
s_recv_answer (zsock_t *sock, int timeout)
{
    Jad__Frame *answer;
    while ((answer = s_recv (sock, timeout))
    &&     answer->body_case == JAD__FRAME__BODY_HEARTBEAT)
        jad_wire_free (&answer);
    return answer;
}

static void
s_heartbeat (zsock_t *sock)
{
    Jad__Frame frame = JAD__FRAME__INIT;
    Jad__Heartbeat hb = JAD__HEARTBEAT__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_HEARTBEAT;
    frame.heartbeat = &hb;
    s_send_frame (sock, &frame);
}

/* Heartbeat and wait for the hub's answer (skipping anything else). */
static Jad__Frame *
s_hello (zsock_t *sock)
{
    s_heartbeat (sock);
    Jad__Frame *frame;
    while ((frame = s_recv (sock, 3000))) {
        if (frame->body_case == JAD__FRAME__BODY_HEARTBEAT)
            return frame;
        jad_wire_free (&frame);
    }
    return NULL;
}

/* "error CODE MSG", "ack N dup D", "frame K" or "no answer" into OUT. */
static int
s_describe (const Jad__Frame *frame, char *out, size_t outlen)
{
    if (!frame) {
        snprintf (out, outlen, "no answer");
        return 3;
    }
    if (frame->body_case == JAD__FRAME__BODY_ACK) {
        snprintf (out, outlen, "ack %" PRIu64 " dup %d", frame->ack->hub_seq,
                  (int) frame->ack->duplicate);
        return 0;
    }
    if (frame->body_case == JAD__FRAME__BODY_ERROR) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (
            &jad__error_code__descriptor, frame->error->code);
        snprintf (out, outlen, "error %s %s", v ? v->name : "?",
                  frame->error->message ? frame->error->message : "");
        return 1;
    }
    snprintf (out, outlen, "frame %d", (int) frame->body_case);
    return 0;
}

static int
s_print_answer (Jad__Frame *frame)
{
    char text[600];
    int rc = s_describe (frame, text, sizeof text);
    printf ("%s\n", text);
    return rc;
}

static int
s_hex16 (const char *hex, uint8_t out[16])
{
    size_t n = 0;
    if (sodium_hex2bin (out, 16, hex, strlen (hex), NULL, &n, NULL) != 0
    ||  n != 16) {
        fprintf (stderr, "jad-probe: %s: not 32 hex digits\n", hex);
        exit (2);
    }
    return 0;
}

static int
s_write_file (const char *path, const uint8_t *buf, size_t len)
{
    FILE *f = fopen (path, "wb");
    if (!f || fwrite (buf, 1, len, f) != len || fclose (f) != 0) {
        fprintf (stderr, "jad-probe: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

static uint8_t *
s_read_file (const char *path, size_t *len_p)
{
    zfile_t *file = zfile_new (NULL, path);
    uint8_t *buf = NULL;
    if (file && zfile_input (file) == 0) {
        zchunk_t *chunk = zfile_read (file, zfile_cursize (file), 0);
        if (chunk) {
            *len_p = zchunk_size (chunk);
            buf = malloc (*len_p ? *len_p : 1);
            memcpy (buf, zchunk_data (chunk), *len_p);
            zchunk_destroy (&chunk);
        }
    }
    zfile_destroy (&file);
    if (!buf)
        fprintf (stderr, "jad-probe: cannot read %s\n", path);
    return buf;
}

/* A packed deployment report of OFFICERS officers, with reference REF
 * and COUNTRY when set. */
static uint8_t *
s_report (const char *country, const char *ref, uint64_t officers,
          size_t *len_p)
{
    Jad__Report report = JAD__REPORT__INIT;
    Jad__Deployment dep = JAD__DEPLOYMENT__INIT;
    dep.has_officers = 1;
    dep.officers = officers;
    report.body_case = JAD__REPORT__BODY_DEPLOYMENT;
    report.deployment = &dep;
    report.country = (char *) country;
    report.ref = (char *) ref;
    return jad_wire_encode (&report.base, len_p);
}

/* Sign ENV (whose report is in place) per MODE; fills ENV's key_id and
 * signature from SIG and KEY_ID (caller-owned buffers).  SIGNED_REPORT is
 * the report the signature covers (it differs from ENV's for tampered).
 * Returns 0, or 2 on a usage error. */
static int
s_sign (Jad__Envelope *env, const s_opts_t *o, const uint8_t *signed_report,
        size_t signed_len, uint8_t sig[64], uint8_t key_id[8])
{
    const char *mode = o->sign ? o->sign : "good";
    if (strcmp (mode, "none") == 0)
        return 0;
    const jad_keys_t *signer = s_keys;
    if (strcmp (mode, "wrong-key") == 0 || strcmp (mode, "other-id") == 0) {
        if (!s_sign_keys) {
            fprintf (stderr, "jad-probe: --sign %s needs --sign-key\n", mode);
            return 2;
        }
        signer = s_sign_keys;
    }
    memcpy (key_id, jad_keys_key_id (strcmp (mode, "other-id") == 0
                                     ? s_sign_keys : s_keys), 8);
    env->has_key_id = 1;
    env->key_id.data = key_id;
    env->key_id.len = 8;
    if (strcmp (mode, "nosig") == 0)
        return 0;
    uint8_t op_id[16];
    memcpy (op_id, env->operation_id.data, 16);
    if (o->sign_op_hex)
        s_hex16 (o->sign_op_hex, op_id);
    size_t mlen;
    uint8_t *msg = jad_sign_report_bytes (op_id, env->origin,
                                          env->incarnation.data,
                                          env->origin_seq, env->event_time_ms,
                                          signed_report, signed_len, &mlen);
    if (!msg || jad_keys_sign (signer, msg, mlen, sig) != 0) {
        fprintf (stderr, "jad-probe: cannot sign\n");
        free (msg);
        return 2;
    }
    free (msg);
    env->has_signature = 1;
    env->signature.data = sig;
    env->signature.len = 64;
    if (strcmp (mode, "forged") == 0)
        sig[17] ^= 0x04;
    else
    if (strcmp (mode, "truncated") == 0)
        env->signature.len = 63;
    else
    if (strcmp (mode, "good") != 0 && strcmp (mode, "wrong-key") != 0
    &&  strcmp (mode, "other-id") != 0 && strcmp (mode, "tampered") != 0) {
        fprintf (stderr, "jad-probe: --sign %s: unknown mode\n", mode);
        return 2;
    }
    return 0;
}

/* The hub's operation id, learnt from its heartbeat answer. */
static int
s_hub_op_id (zsock_t *sock, uint8_t op_id[16])
{
    Jad__Frame *hello = s_hello (sock);
    if (!hello)
        return -1;
    int rc = -1;
    if (hello->heartbeat->has_operation_id
    &&  hello->heartbeat->operation_id.len == 16) {
        memcpy (op_id, hello->heartbeat->operation_id.data, 16);
        rc = 0;
    }
    jad_wire_free (&hello);
    return rc;
}

/* Build an envelope carrying REPORT, signed (per --sign) over SIGNED (the
 * same report but for --sign tampered); a malloc'd packed envelope in
 * *OUT_P (caller frees).  0, or 2 on a usage error. */
static int
s_envelope (const s_opts_t *o, const uint8_t op_id[16],
            const uint8_t *report, size_t rlen,
            const uint8_t *signed_report, size_t slen,
            uint8_t **out_p, size_t *len_p)
{
    uint8_t incarnation[16];
    memset (incarnation, 0x5a, sizeof incarnation);
    if (o->inc_hex)
        s_hex16 (o->inc_hex, incarnation);
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1;
    env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) op_id;
    env.operation_id.len = 16;
    env.origin = (char *) (o->origin ? o->origin : jad_keys_name (s_keys));
    env.has_incarnation = 1;
    env.incarnation.data = incarnation;
    env.incarnation.len = 16;
    env.has_origin_seq = 1;
    env.origin_seq = o->seq;
    env.has_event_time_ms = 1;
    env.event_time_ms = 1605510003000LL;
    env.has_report = 1;
    env.report.data = (uint8_t *) report;
    env.report.len = rlen;
    uint8_t sig[64], key_id[8];
    int rc = s_sign (&env, o, signed_report, slen, sig, key_id);
    if (rc != 0)
        return rc;
    *out_p = jad_wire_encode (&env.base, len_p);
    return 0;
}

static int
s_submit (zsock_t *sock, const s_opts_t *o)
{
    uint8_t op_id[16];
    if (s_hub_op_id (sock, op_id) != 0) {
        printf ("no answer\n");
        return 3;
    }
    if (o->op_hex)
        s_hex16 (o->op_hex, op_id);
    /* Sign over SBUF, send RBUF: they differ only for tampered. */
    int tampered = o->sign && strcmp (o->sign, "tampered") == 0;
    size_t rlen, slen, elen = 0;
    char ref[64];
    snprintf (ref, sizeof ref, "probe-%" PRIu64, o->seq);
    const char *r = o->ref ? o->ref : ref;
    uint8_t *rbuf = s_report (o->country, r, o->officers + tampered, &rlen);
    uint8_t *sbuf = s_report (o->country, r, o->officers, &slen);
    uint8_t *ebuf = NULL;
    int rc = s_envelope (o, op_id, rbuf, rlen, sbuf, slen, &ebuf, &elen);
    free (rbuf);
    free (sbuf);
    if (rc != 0)
        return rc;
    if (o->save && s_write_file (o->save, ebuf, elen) != 0) {
        free (ebuf);
        return 2;
    }
    s_send_submit (sock, ebuf, elen);
    free (ebuf);
    Jad__Frame *answer = s_recv_answer (sock, 3000);
    rc = s_print_answer (answer);
    jad_wire_free (&answer);
    return rc;
}

static int
s_replay (zsock_t *sock, const s_opts_t *o)
{
    size_t len;
    uint8_t *buf = s_read_file (o->file, &len);
    if (!buf)
        return 2;
    Jad__Frame *hello = s_hello (sock);     /* be a live peer first */
    jad_wire_free (&hello);
    if (o->op_hex) {
        char err[256];
        Jad__Envelope *env = jad_wire_envelope_decode (buf, len, err, sizeof err);
        if (!env) {
            fprintf (stderr, "jad-probe: %s: %s\n", o->file, err);
            free (buf);
            return 2;
        }
        s_hex16 (o->op_hex, env->operation_id.data);
        free (buf);
        buf = jad_wire_encode (&env->base, &len);
        jad_wire_free (&env);
    }
    s_send_submit (sock, buf, len);
    free (buf);
    Jad__Frame *answer = s_recv_answer (sock, 3000);
    int rc = s_print_answer (answer);
    jad_wire_free (&answer);
    return rc;
}

static int
s_garbage (zsock_t *sock)
{
    int errors = 0;
    /* 1. bytes that are no protobuf at all */
    const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                             0xff, 0xff, 0x01 };
    s_send_raw (sock, junk, sizeof junk);
    /* 2. an empty frame */
    s_send_raw (sock, "", 0);
    /* 3. a frame of another schema version */
    Jad__Frame frame = JAD__FRAME__INIT;
    Jad__Heartbeat hb = JAD__HEARTBEAT__INIT;
    frame.has_version = 1;
    frame.version = 99;
    frame.body_case = JAD__FRAME__BODY_HEARTBEAT;
    frame.heartbeat = &hb;
    s_send_frame (sock, &frame);
    /* 4. a truncated submit: a valid frame header announcing 100 bytes */
    const uint8_t truncated[] = { 0x08, 0x01, 0x12, 0x64, 0x08, 0x01 };
    s_send_raw (sock, truncated, sizeof truncated);
    /* 5. a submit whose envelope is garbage */
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_SUBMIT;
    frame.submit.data = (uint8_t *) junk;
    frame.submit.len = sizeof junk;
    s_send_frame (sock, &frame);
    /* 6. a message of two frames */
    zstr_sendm (sock, "two");
    zstr_send (sock, "frames");
    /* 7. a frame a participant never sends (an ack) */
    Jad__Ack ack = JAD__ACK__INIT;
    frame.body_case = JAD__FRAME__BODY_ACK;
    frame.ack = &ack;
    s_send_frame (sock, &frame);
    Jad__Frame *answer;
    while ((answer = s_recv (sock, 1500))) {
        if (answer->body_case == JAD__FRAME__BODY_ERROR)
            errors++;
        jad_wire_free (&answer);
    }
    printf ("errors %d\n", errors);
    /* Still served? */
    Jad__Frame *hello = s_hello (sock);
    int rc = hello ? 0 : 3;
    printf ("%s\n", hello ? "still served" : "no answer");
    jad_wire_free (&hello);
    return rc;
}

/* ------------------------------------------------------------ hostile */

/* A growable byte string for hand-made protobuf. */
typedef struct {
    uint8_t *data;
    size_t   len, cap;
} s_buf_t;

static void
s_put (s_buf_t *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        b->cap = (b->len + len) * 2 + 64;
        b->data = realloc (b->data, b->cap);
        if (!b->data)
            exit (2);
    }
    if (len)
        memcpy (b->data + b->len, data, len);
    b->len += len;
}

static void
s_varint (s_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
        v >>= 7;
        n++;
    } while (v);
    s_put (b, tmp, n);
}

static void
s_field_int (s_buf_t *b, uint32_t num, uint64_t v)
{
    s_varint (b, (uint64_t) num << 3);
    s_varint (b, v);
}

static void
s_field_bytes (s_buf_t *b, uint32_t num, const void *data, size_t len)
{
    s_varint (b, ((uint64_t) num << 3) | 2);
    s_varint (b, len);
    s_put (b, data, len);
}

static size_t
s_varint_len (uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* A Report nested DEPTH times: Report{correction{replacement{Report{...}}}}
 * around an innermost deployment.  Each level is a header (its lengths)
 * in front of the level inside it, so the lengths are counted inside out
 * and the headers written outside in: linear in the size (copying each
 * level into the next was quadratic — minutes for 9,000 levels). */
static void
s_nested_report (s_buf_t *out, int depth)
{
    s_buf_t dep = { 0 }, inner = { 0 };
    s_field_int (&dep, 1, 3);
    s_field_bytes (&inner, 17, dep.data, dep.len);  /* Report.deployment */
    free (dep.data);
    /* size[i]: the bytes of the Report i levels up; corr[i]: of its
     * Correction. */
    size_t *size = calloc ((size_t) depth + 1, sizeof *size);
    size_t *corr = calloc ((size_t) depth + 1, sizeof *corr);
    assert (size && corr);
    size[0] = inner.len;
    for (int i = 1; i <= depth; i++) {
        corr[i] = 2 /* supersedes = 1 */ + 1 + s_varint_len (size[i - 1])
                + size[i - 1];
        size[i] = 2 /* tag 19 */ + s_varint_len (corr[i]) + corr[i];
    }
    for (int i = depth; i >= 1; i--) {
        s_varint (out, (19 << 3) | 2);              /* Report.correction */
        s_varint (out, corr[i]);
        s_field_int (out, 1, 1);                    /* supersedes */
        s_varint (out, (2 << 3) | 2);               /* replacement */
        s_varint (out, size[i - 1]);
    }
    s_put (out, inner.data, inner.len);
    free (inner.data);
    free (size);
    free (corr);
}

/* Send BUF as a submit of an envelope built around it (REPORT=1: BUF is
 * the report, signed properly; REPORT=0: BUF is the envelope). */
static void
s_hostile_submit (zsock_t *sock, const s_opts_t *o, const uint8_t op_id[16],
                  const uint8_t *buf, size_t len, int report, uint64_t seq)
{
    if (!report) {
        s_send_submit (sock, buf, len);
        return;
    }
    /* A reference of its own, so that a report the hub wrongly accepts
     * is still told apart in the journal. */
    s_buf_t rep = { 0 };
    char ref[32];
    snprintf (ref, sizeof ref, "hostile-%" PRIu64, seq);
    s_field_bytes (&rep, 6, ref, strlen (ref));
    s_put (&rep, buf, len);
    s_opts_t so = *o;
    so.seq = seq;
    so.sign = "good";
    uint8_t *ebuf = NULL;
    size_t elen = 0;
    if (s_envelope (&so, op_id, rep.data, rep.len, rep.data, rep.len,
                    &ebuf, &elen) != 0)
        exit (2);
    free (rep.data);
    s_send_submit (sock, ebuf, elen);
    free (ebuf);
}

/* --only / --skip: hostile cases whose name starts with the prefix. */
static int
s_case_wanted (const s_opts_t *o, const char *name)
{
    if (o->only && strncmp (name, o->only, strlen (o->only)) != 0)
        return 0;
    if (o->skip && strncmp (name, o->skip, strlen (o->skip)) == 0)
        return 0;
    return 1;
}

static int s_hostile_acked;
static int s_hostile_silent;

/* Wait for the answer to one hostile case; print it. */
static void
s_hostile_answer (zsock_t *sock, const char *name, int timeout)
{
    /* Catch-up answers come later than the hub reads the request: only a
     * catch-up case takes one as its answer. */
    int catchup = strncmp (name, "frame-catchup", 13) == 0;
    Jad__Frame *answer;
    while ((answer = s_recv_answer (sock, timeout))
    &&     !catchup
    &&     (answer->body_case == JAD__FRAME__BODY_CATCHUP_END
         || answer->body_case == JAD__FRAME__BODY_ENTRY
         || answer->body_case == JAD__FRAME__BODY_CHECKPOINT
         || answer->body_case == JAD__FRAME__BODY_ROSTER))
        jad_wire_free (&answer);
    char text[600];
    s_describe (answer, text, sizeof text);
    printf ("case %s: %.200s\n", name, text);
    if (answer && answer->body_case == JAD__FRAME__BODY_ACK)
        s_hostile_acked++;
    if (!answer)
        s_hostile_silent++;
    jad_wire_free (&answer);
    fflush (stdout);
}

static int
s_hostile (zsock_t *sock, const s_opts_t *o)
{
    uint8_t op_id[16];
    if (s_hub_op_id (sock, op_id) != 0) {
        printf ("no answer\n");
        return 3;
    }
    uint64_t seq = 1000000;     /* origin_seqs no honest test uses */
    s_buf_t b = { 0 };
#define CASE(name, is_report, timeout, ...) do {                            \
        if (!s_case_wanted (o, name))                                       \
            break;                                                          \
        b.len = 0;                                                          \
        __VA_ARGS__;                                                        \
        s_hostile_submit (sock, o, op_id, b.data, b.len, is_report, seq++); \
        s_hostile_answer (sock, name, timeout);                             \
    } while (0)
#define RAW(name, timeout, ...) do {                                        \
        if (!s_case_wanted (o, name))                                       \
            break;                                                          \
        b.len = 0;                                                          \
        __VA_ARGS__;                                                        \
        s_send_raw (sock, b.data, b.len);                                   \
        s_hostile_answer (sock, name, timeout);                             \
    } while (0)

    /* Frames. */
    RAW ("frame-unknown-field", 2000, {
        s_field_int (&b, 1, 1); s_field_int (&b, 15, 7); });
    RAW ("frame-unknown-field-in-heartbeat", 2000, {
        s_buf_t hb = { 0 };
        s_field_int (&hb, 1, 1); s_field_int (&hb, 99, 1);
        s_field_int (&b, 1, 1); s_field_bytes (&b, 8, hb.data, hb.len);
        free (hb.data); });
    RAW ("frame-no-version", 2000, {
        s_field_bytes (&b, 8, "", 0); });
    RAW ("frame-field-zero-multibyte-tag", 2000, {
        s_field_int (&b, 1, 1);
        const uint8_t zero_tag[] = { 0x80, 0x00, 0x05 };
        s_put (&b, zero_tag, sizeof zero_tag); });
    RAW ("frame-overlong-varint", 2000, {
        const uint8_t v[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                              0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
        s_put (&b, v, sizeof v); });
    RAW ("frame-length-2^63", 2000, {
        s_field_int (&b, 1, 1);
        s_varint (&b, (2 << 3) | 2); s_varint (&b, (uint64_t) 1 << 63);
        s_put (&b, "abc", 3); });
    RAW ("frame-wrong-wire-type", 2000, {
        s_field_int (&b, 1, 1);
        s_field_int (&b, 2, 12345); });        /* submit as a varint */
    RAW ("frame-empty-submit", 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 2, "", 0); });
    RAW ("frame-empty-catchup-end", 2000, {    /* hub->peer body from a peer */
        s_field_int (&b, 1, 1); s_field_bytes (&b, 7, "", 0); });
    RAW ("frame-entry-from-peer", 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 6, "\x08\x01", 2); });
    RAW ("frame-checkpoint-from-peer", 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 9, "\x08\x01", 2); });
    RAW ("frame-roster-from-peer", 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 10, "\x08\x01", 2); });
    RAW ("frame-catchup-from-max", 2000, {
        s_buf_t c = { 0 };
        s_field_int (&c, 1, UINT64_MAX); s_field_int (&c, 2, UINT32_MAX);
        s_field_int (&b, 1, 1); s_field_bytes (&b, 5, c.data, c.len);
        free (c.data); });
    RAW ("frame-catchup-credit-0", 2000, {
        s_buf_t c = { 0 };
        s_field_int (&c, 1, 0); s_field_int (&c, 2, 0);
        s_field_int (&b, 1, 1); s_field_bytes (&b, 5, c.data, c.len);
        free (c.data); });
    RAW ("frame-heartbeat-huge-health", 2000, {
        s_buf_t h = { 0 }, hb = { 0 };
        s_field_int (&h, 1, UINT64_MAX); s_field_int (&h, 2, UINT64_MAX);
        s_field_int (&h, 3, UINT64_MAX);
        s_field_int (&hb, 1, UINT64_MAX); s_field_int (&hb, 2, (uint64_t) INT64_MIN);
        s_field_bytes (&hb, 4, h.data, h.len);
        s_field_bytes (&hb, 5, "short", 5);
        s_field_int (&b, 1, 1); s_field_bytes (&b, 8, hb.data, hb.len);
        free (h.data); free (hb.data); });

    /* Envelopes (sent as they are: no signature needed to be refused). */
    CASE ("envelope-garbage", 0, 2000, {
        s_put (&b, "\x0a\xff\xff\xff\x0f", 5); });
    CASE ("envelope-truncated", 0, 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 2, op_id, 16);
        s_varint (&b, (3 << 3) | 2); s_varint (&b, 40); s_put (&b, "agent", 5); });
    CASE ("envelope-unknown-field", 0, 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 2, op_id, 16);
        s_field_bytes (&b, 3, jad_keys_name (s_keys), strlen (jad_keys_name (s_keys)));
        s_field_bytes (&b, 4, "0123456789abcdef", 16);
        s_field_int (&b, 5, 7); s_field_int (&b, 6, 1605510003000LL);
        s_field_bytes (&b, 7, "\x8a\x01\x02\x08\x03", 5);
        s_field_int (&b, 42, 1); });
    CASE ("envelope-op-id-15-bytes", 0, 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 2, op_id, 15);
        s_field_bytes (&b, 3, "x", 1); });
    CASE ("envelope-origin-1000-bytes", 0, 2000, {
        char origin[1000]; memset (origin, 'a', sizeof origin);
        s_field_int (&b, 1, 1); s_field_bytes (&b, 2, op_id, 16);
        s_field_bytes (&b, 3, origin, sizeof origin);
        s_field_bytes (&b, 4, "0123456789abcdef", 16);
        s_field_int (&b, 5, 7); s_field_int (&b, 6, 1605510003000LL);
        s_field_bytes (&b, 7, "\x8a\x01\x02\x08\x03", 5); });
    CASE ("envelope-origin-embedded-nul", 0, 2000, {
        const char *name = jad_keys_name (s_keys);
        s_buf_t on = { 0 };
        s_put (&on, name, strlen (name)); s_put (&on, "\0evil", 5);
        s_field_int (&b, 1, 1); s_field_bytes (&b, 2, op_id, 16);
        s_field_bytes (&b, 3, on.data, on.len);
        s_field_bytes (&b, 4, "0123456789abcdef", 16);
        s_field_int (&b, 5, 7); s_field_int (&b, 6, 1605510003000LL);
        s_field_bytes (&b, 7, "\x8a\x01\x02\x08\x03", 5);
        free (on.data); });
    CASE ("envelope-seq-0", 0, 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 2, op_id, 16);
        s_field_bytes (&b, 3, jad_keys_name (s_keys), strlen (jad_keys_name (s_keys)));
        s_field_bytes (&b, 4, "0123456789abcdef", 16);
        s_field_int (&b, 5, 0); s_field_int (&b, 6, 1605510003000LL);
        s_field_bytes (&b, 7, "\x8a\x01\x02\x08\x03", 5); });
    CASE ("envelope-negative-time", 0, 2000, {
        s_field_int (&b, 1, 1); s_field_bytes (&b, 2, op_id, 16);
        s_field_bytes (&b, 3, jad_keys_name (s_keys), strlen (jad_keys_name (s_keys)));
        s_field_bytes (&b, 4, "0123456789abcdef", 16);
        s_field_int (&b, 5, 7); s_field_int (&b, 6, (uint64_t) INT64_MIN);
        s_field_bytes (&b, 7, "\x8a\x01\x02\x08\x03", 5); });
    CASE ("envelope-version-2", 0, 2000, {
        s_field_int (&b, 1, 2); s_field_bytes (&b, 2, op_id, 16); });

    /* Reports, inside properly signed envelopes. */
    CASE ("report-garbage", 1, 2000, {
        s_put (&b, "\xff\xff\xff\xff\xff\xff", 6); });
    CASE ("report-truncated", 1, 2000, {
        s_varint (&b, (17 << 3) | 2); s_varint (&b, 9); s_put (&b, "\x08", 1); });
    CASE ("report-unknown-field", 1, 2000, {
        s_field_bytes (&b, 17, "\x08\x03", 2); s_field_int (&b, 77, 1); });
    CASE ("report-unknown-field-nested", 1, 2000, {
        s_field_bytes (&b, 17, "\x08\x03\xb8\x06\x01", 5); });   /* field 103 */
    CASE ("report-no-body", 1, 2000, {
        s_field_bytes (&b, 2, "Nicosia", 7); });
    CASE ("report-bad-enum", 1, 2000, {
        s_field_bytes (&b, 12, "\x08\xe7\x07\x20\x01", 5); });  /* item 999 */
    CASE ("report-negative-enum", 1, 2000, {
        s_buf_t s = { 0 };
        s_field_int (&s, 1, (uint64_t) -5); s_field_int (&s, 4, 1);
        s_field_bytes (&b, 12, s.data, s.len); free (s.data); });
    CASE ("report-bad-utf8", 1, 2000, {
        s_field_bytes (&b, 2, "\xc3\x28\xff", 3);
        s_field_bytes (&b, 17, "\x08\x03", 2); });
    CASE ("report-embedded-nul", 1, 2000, {
        s_field_bytes (&b, 2, "Nic\0sia", 7);
        s_field_bytes (&b, 17, "\x08\x03", 2); });
    CASE ("report-two-bodies", 1, 2000, {
        s_field_bytes (&b, 17, "\x08\x03", 2);
        s_field_bytes (&b, 18, "\x0a\x02hi", 4); });
    CASE ("report-nan-lat", 1, 2000, {
        const uint8_t nan[8] = { 0, 0, 0, 0, 0, 0, 0xf8, 0x7f };
        s_varint (&b, (3 << 3) | 1); s_put (&b, nan, 8);
        s_field_bytes (&b, 17, "\x08\x03", 2); });
    CASE ("report-huge-count", 1, 2000, {
        s_field_bytes (&b, 17, "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11); });
    CASE ("report-nested-20", 1, 2000, { s_nested_report (&b, 20); });
    CASE ("report-nested-2000", 1, 3000, { s_nested_report (&b, 2000); });
    CASE ("report-over-limit", 1, 3000, {
        char text[JAD_REPORT_MAX + 10];
        memset (text, 'x', sizeof text);
        s_buf_t s = { 0 };
        s_field_bytes (&s, 1, text, sizeof text);
        s_field_bytes (&b, 18, s.data, s.len); free (s.data); });
    free (b.data);
#undef CASE
#undef RAW
    printf ("acked %d\nsilent %d\n", s_hostile_acked, s_hostile_silent);
    Jad__Frame *hello = s_hello (sock);
    int rc = hello ? (s_hostile_acked ? 1 : 0) : 3;
    printf ("%s\n", hello ? "still served" : "no answer");
    jad_wire_free (&hello);
    return rc;
}

/* One properly signed report nested as deep as fits in JAD_REPORT_MAX
 * (DEPTH levels when given): the decoder's recursion is the target. */
static int
s_nested (zsock_t *sock, const s_opts_t *o, int depth)
{
    uint8_t op_id[16];
    if (s_hub_op_id (sock, op_id) != 0) {
        printf ("no answer\n");
        return 3;
    }
    s_buf_t b = { 0 };
    if (depth <= 0) {
        depth = 2000;
        s_nested_report (&b, depth);
        while (b.len < JAD_REPORT_MAX - 600) {
            depth = (int) (depth * (double) (JAD_REPORT_MAX - 300) / b.len);
            b.len = 0;
            s_nested_report (&b, depth);
        }
        while (b.len > JAD_REPORT_MAX - 64) {
            depth -= 50;
            b.len = 0;
            s_nested_report (&b, depth);
        }
    }
    else
        s_nested_report (&b, depth);
    printf ("nested %d levels, %zu bytes\n", depth, b.len);
    fflush (stdout);
    s_hostile_submit (sock, o, op_id, b.data, b.len, 1, o->seq);
    free (b.data);
    s_hostile_answer (sock, "nested", 5000);
    Jad__Frame *hello = s_hello (sock);
    printf ("%s\n", hello ? "still served" : "no answer");
    int rc = hello ? 0 : 3;
    jad_wire_free (&hello);
    return rc;
}

/* A submit over the envelope limit, then a frame over ZMQ_MAXMSGSIZE,
 * then a heartbeat on a new connection. */
static int
s_oversized (zsock_t **sock_p, const char *endpoint, const s_opts_t *o)
{
    zsock_t *sock = *sock_p;
    uint8_t op_id[16];
    if (s_hub_op_id (sock, op_id) != 0) {
        printf ("no answer\n");
        return 3;
    }
    /* 1. 200 KiB of envelope in a frame the socket accepts */
    size_t n = 200 * 1024;
    uint8_t *big = calloc (1, n + 64);
    s_buf_t b = { 0 };
    s_field_int (&b, 1, 1);
    s_field_bytes (&b, 2, big, n);
    s_send_raw (sock, b.data, b.len);
    Jad__Frame *answer = s_recv_answer (sock, 3000);
    char text[600];
    s_describe (answer, text, sizeof text);
    printf ("case envelope-200k: %.200s\n", text);
    jad_wire_free (&answer);
    /* 2. a valid-looking frame of 300 KiB: libzmq closes the connection */
    b.len = 0;
    s_field_int (&b, 1, 1);
    big = realloc (big, 300 * 1024);
    memset (big, 0, 300 * 1024);
    s_field_bytes (&b, 2, big, 300 * 1024);
    s_send_raw (sock, b.data, b.len);
    answer = s_recv_answer (sock, 2000);
    s_describe (answer, text, sizeof text);
    printf ("case frame-300k: %.200s\n", text);
    jad_wire_free (&answer);
    /* 3. 10 MiB */
    b.len = 0;
    s_field_int (&b, 1, 1);
    big = realloc (big, 10 << 20);
    memset (big, 0x41, 10 << 20);
    s_field_bytes (&b, 2, big, 10 << 20);
    s_send_raw (sock, b.data, b.len);
    answer = s_recv_answer (sock, 2000);
    s_describe (answer, text, sizeof text);
    printf ("case frame-10m: %.200s\n", text);
    jad_wire_free (&answer);
    free (big);
    free (b.data);
    zsock_destroy (sock_p);
    /* 4. a new connection is served */
    *sock_p = s_connect (ZMQ_DEALER, endpoint, o->auth);
    Jad__Frame *hello = s_hello (*sock_p);
    printf ("%s\n", hello ? "still served" : "no answer");
    int rc = hello ? 0 : 3;
    jad_wire_free (&hello);
    return rc;
}

/* COUNT catch-up requests from seq 1, never reading; hold HOLD seconds. */
static int
s_flood_catchup (zsock_t *sock, const s_opts_t *o)
{
    Jad__Frame frame = JAD__FRAME__INIT;
    Jad__CatchupRequest req = JAD__CATCHUP_REQUEST__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_CATCHUP;
    frame.catchup = &req;
    req.has_from_seq = 1;
    req.from_seq = 1;
    req.has_credit = 1;
    req.credit = 1000;
    size_t len;
    uint8_t *buf = jad_wire_encode (&frame.base, &len);
    long sent = 0;
    int64_t until = jad_time_mono_ms () + 20000;
    long count = o->count > 0 ? o->count : 10000;
    while (sent < count && jad_time_mono_ms () < until) {
        zframe_t *f = zframe_new (buf, len);
        if (zframe_send (&f, sock, ZFRAME_DONTWAIT) == 0)
            sent++;
        else {
            zframe_destroy (&f);
            zclock_sleep (1);       /* our send queue is full: the hub reads slower */
        }
    }
    free (buf);
    printf ("sent %ld\n", sent);
    fflush (stdout);
    if (o->hold > 0)
        zclock_sleep (o->hold * 1000);
    return sent == count ? 0 : 3;
}

static int
s_stall_sub (const s_opts_t *o)
{
    zclock_sleep ((o->hold > 0 ? o->hold : 10) * 1000);
    printf ("held\n");
    return 0;
}

/* A packed request to O->to with O->text; NULL on a usage error. */
static uint8_t *
s_request_report (const s_opts_t *o, size_t *len_p)
{
    Jad__Report report = JAD__REPORT__INIT;
    Jad__Request req = JAD__REQUEST__INIT;
    report.body_case = JAD__REPORT__BODY_REQUEST;
    report.request = &req;
    req.text = (char *) (o->text ? o->text : "probe request");
    char *to[64];
    char list[256];
    if (!o->to || strcmp (o->to, "all") == 0) {
        req.has_all = 1;
        req.all = 1;
    }
    else {
        snprintf (list, sizeof list, "%s", o->to);
        for (char *tok = strtok (list, ","); tok && req.n_to < 64;
             tok = strtok (NULL, ","))
            to[req.n_to++] = tok;
        req.to = to;
    }
    if (o->priority) {
        req.has_priority = 1;
        req.priority = strcmp (o->priority, "urgent") == 0
                     ? JAD__PRIORITY__URGENT : JAD__PRIORITY__ROUTINE;
    }
    return jad_wire_encode (&report.base, len_p);
}

static int
s_submit_request (zsock_t *sock, const s_opts_t *o)
{
    uint8_t op_id[16];
    if (s_hub_op_id (sock, op_id) != 0) {
        printf ("no answer\n");
        return 3;
    }
    size_t rlen, elen = 0;
    uint8_t *rbuf = s_request_report (o, &rlen);
    uint8_t *ebuf = NULL;
    int rc = rbuf ? s_envelope (o, op_id, rbuf, rlen, rbuf, rlen, &ebuf, &elen) : 2;
    free (rbuf);
    if (rc != 0)
        return rc;
    s_send_submit (sock, ebuf, elen);
    free (ebuf);
    Jad__Frame *answer = s_recv_answer (sock, 3000);
    rc = s_print_answer (answer);
    jad_wire_free (&answer);
    return rc;
}

/* Wait for a Participants frame on the feed and print its peers. */
static int
s_participants (zsock_t *sock)
{
    int64_t until = jad_time_mono_ms () + 5000;
    for (;;) {
        int64_t left = until - jad_time_mono_ms ();
        if (left <= 0)
            break;
        Jad__Frame *frame = s_recv (sock, (int) left);
        if (!frame)
            break;
        if (frame->body_case != JAD__FRAME__BODY_PARTICIPANTS) {
            jad_wire_free (&frame);
            continue;
        }
        const Jad__Participants *pp = frame->participants;
        for (size_t i = 0; i < pp->n_peers; i++) {
            const Jad__PeerStatus *ps = pp->peers[i];
            printf ("peer %s %s %s %s outbox %" PRIu64 " last_acked %" PRIu64
                    " mirror %" PRIu64 "\n", ps->name ? ps->name : "?",
                    ps->role ? ps->role : "?", ps->country ? ps->country : "-",
                    ps->connected ? "connected" : "silent", ps->outbox_depth,
                    ps->last_acked, ps->mirror_seq);
        }
        printf ("received\n");
        jad_wire_free (&frame);
        return 0;
    }
    printf ("nothing\n");
    return 3;
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "hub-key", required_argument, NULL, 'K' },
        { "hub", required_argument, NULL, 'e' },
        { "feed", required_argument, NULL, 'f' },
        { "origin", required_argument, NULL, 'o' },
        { "country", required_argument, NULL, 'c' },
        { "seq", required_argument, NULL, 's' },
        { "op-id", required_argument, NULL, 'i' },
        { "incarnation", required_argument, NULL, 'n' },
        { "officers", required_argument, NULL, 'O' },
        { "ref", required_argument, NULL, 'r' },
        { "sign", required_argument, NULL, 'S' },
        { "sign-key", required_argument, NULL, 'G' },
        { "sign-op-id", required_argument, NULL, 'I' },
        { "save", required_argument, NULL, 'w' },
        { "count", required_argument, NULL, 'N' },
        { "hold", required_argument, NULL, 'H' },
        { "only", required_argument, NULL, 'y' },
        { "skip", required_argument, NULL, 'x' },
        { "to", required_argument, NULL, 't' },
        { "text", required_argument, NULL, 'T' },
        { "priority", required_argument, NULL, 'p' },
        { "random-key", no_argument, NULL, 'R' },
        { "plain", no_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 }
    };
    const char *key = NULL, *hub_key = NULL, *hub = NULL, *feed = NULL;
    const char *sign_key = NULL;
    s_opts_t o = { .auth = S_AUTH_KEY, .seq = 1, .officers = 3,
                   .count = -1 };
    int c;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key = optarg; break;
        case 'K': hub_key = optarg; break;
        case 'e': hub = optarg; break;
        case 'f': feed = optarg; break;
        case 'o': o.origin = optarg; break;
        case 'c': o.country = optarg; break;
        case 's': o.seq = strtoull (optarg, NULL, 10); break;
        case 'i': o.op_hex = optarg; break;
        case 'n': o.inc_hex = optarg; break;
        case 'r': o.ref = optarg; break;
        case 'O': o.officers = strtoull (optarg, NULL, 10); break;
        case 'S': o.sign = optarg; break;
        case 'G': sign_key = optarg; break;
        case 'I': o.sign_op_hex = optarg; break;
        case 'w': o.save = optarg; break;
        case 'N': o.count = strtol (optarg, NULL, 10); break;
        case 'H': o.hold = atoi (optarg); break;
        case 'y': o.only = optarg; break;
        case 'x': o.skip = optarg; break;
        case 't': o.to = optarg; break;
        case 'T': o.text = optarg; break;
        case 'p': o.priority = optarg; break;
        case 'R': o.auth = S_AUTH_RANDOM; break;
        case 'P': o.auth = S_AUTH_PLAIN; break;
        default: return 2;
        }
    }
    const char *cmd = optind < argc ? argv[optind] : "";
    int nargs = strcmp (cmd, "replay") == 0 ? 2 : 1;
    if (argc - optind != nargs) {
        fprintf (stderr, "usage: see the comment at the top of jad_probe.c\n");
        return 2;
    }
    if (nargs == 2)
        o.file = argv[optind + 1];
    char err[512];
    if (strcmp (cmd, "port") == 0) {
        /* A free loopback port, for the test scripts: bind 0, report it. */
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in addr = { .sin_family = AF_INET,
                                    .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
        socklen_t alen = sizeof addr;
        if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) != 0
        ||  getsockname (fd, (struct sockaddr *) &addr, &alen) != 0)
            return 2;
        printf ("%d\n", ntohs (addr.sin_port));
        close (fd);
        return 0;
    }
    if ((o.auth == S_AUTH_KEY && (!key || !hub_key))
    ||  (o.auth == S_AUTH_RANDOM && !hub_key)) {
        fprintf (stderr, "usage: see the comment at the top of jad_probe.c\n");
        return 2;
    }
    if (sodium_init () < 0)
        return 2;
    zsys_init ();
    zsys_set_logstream (NULL);
    if (o.auth == S_AUTH_KEY) {
        s_keys = jad_keys_load (key, err, sizeof err);
        if (!s_keys) {
            fprintf (stderr, "jad-probe: %s\n", err);
            return 2;
        }
    }
    if (hub_key) {
        jad_keys_t *hk = jad_keys_load (hub_key, err, sizeof err);
        if (!hk) {
            fprintf (stderr, "jad-probe: %s\n", err);
            return 2;
        }
        snprintf (s_hub_public, sizeof s_hub_public, "%s", jad_keys_public (hk));
        jad_keys_destroy (&hk);
    }
    if (sign_key && !(s_sign_keys = jad_keys_load (sign_key, err, sizeof err))) {
        fprintf (stderr, "jad-probe: %s\n", err);
        return 2;
    }
    int needs_keys = strcmp (cmd, "submit") == 0 || strcmp (cmd, "hostile") == 0
                  || strcmp (cmd, "oversized") == 0
                  || strcmp (cmd, "nested") == 0
                  || strcmp (cmd, "submit-request") == 0;
    if (needs_keys && !s_keys) {
        fprintf (stderr, "jad-probe: %s needs --key\n", cmd);
        return 2;
    }
    int rc = 2;
    zsock_t *sock = NULL;
    if (strcmp (cmd, "listen") == 0 && feed) {
        sock = s_connect (ZMQ_SUB, feed, o.auth);
        zpoller_t *poller = zpoller_new (sock, NULL);
        rc = zpoller_wait (poller, 3000) ? 0 : 3;
        printf ("%s\n", rc == 0 ? "received" : "nothing");
        zpoller_destroy (&poller);
    }
    else
    if (strcmp (cmd, "participants") == 0 && feed) {
        sock = s_connect (ZMQ_SUB, feed, o.auth);
        rc = s_participants (sock);
    }
    else
    if (strcmp (cmd, "stall-sub") == 0 && feed) {
        /* Small queues on our side, so the hub's side fills first. */
        s_small_queues = 1;
        sock = s_connect (ZMQ_SUB, feed, o.auth);
        rc = s_stall_sub (&o);
    }
    else
    if (hub) {
        sock = s_connect (ZMQ_DEALER, hub, o.auth);
        if (strcmp (cmd, "hello") == 0) {
            Jad__Frame *hello = s_hello (sock);
            if (hello)
                printf ("head %" PRIu64 "\n", hello->heartbeat->head_seq);
            else
                printf ("no answer\n");
            rc = hello ? 0 : 3;
            jad_wire_free (&hello);
        }
        else
        if (strcmp (cmd, "submit") == 0)
            rc = s_submit (sock, &o);
        else
        if (strcmp (cmd, "submit-request") == 0)
            rc = s_submit_request (sock, &o);
        else
        if (strcmp (cmd, "replay") == 0)
            rc = s_replay (sock, &o);
        else
        if (strcmp (cmd, "garbage") == 0)
            rc = s_garbage (sock);
        else
        if (strcmp (cmd, "hostile") == 0)
            rc = s_hostile (sock, &o);
        else
        if (strcmp (cmd, "nested") == 0)
            rc = s_nested (sock, &o, (int) o.count);
        else
        if (strcmp (cmd, "oversized") == 0)
            rc = s_oversized (&sock, hub, &o);
        else
        if (strcmp (cmd, "flood-catchup") == 0)
            rc = s_flood_catchup (sock, &o);
        else
            fprintf (stderr, "jad-probe: %s: unknown command\n", cmd);
    }
    zsock_destroy (&sock);
    jad_keys_destroy (&s_keys);
    jad_keys_destroy (&s_sign_keys);
    return rc;
}
