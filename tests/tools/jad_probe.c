/*  jad-probe: a test client that speaks to a real hub as a participant —
 *  or as a misbehaving one.  Used by the process-level tests only; not
 *  installed.
 *
 *  jad-probe --key F --hub-key F --hub EP hello
 *      heartbeat; prints "head N" from the hub's answer
 *  jad-probe --key F --hub-key F --hub EP submit [--origin NAME]
 *            [--country CC] [--seq N] [--op-id HEX]
 *      one deployment report; prints "ack HUB_SEQ dup D" or "error CODE MSG"
 *  jad-probe --key F --hub-key F --hub EP garbage
 *      sends malformed frames, counts error replies, then checks that the
 *      hub still answers a heartbeat
 *  jad-probe port
 *      prints a free TCP port on 127.0.0.1
 *  jad-probe --key F --hub-key F --feed EP listen
 *      prints "received" if anything arrives on the feed within 3 s
 *
 *  exit: 0 as expected (ack / answer / received); 1 an error reply;
 *        2 usage; 3 no answer within the timeout.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>
#include <sodium.h>

#include "jad/keys.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

static jad_keys_t *s_keys;
static char s_hub_public[41];

static zsock_t *
s_connect (int type, const char *endpoint)
{
    zsock_t *sock = zsock_new (type);
    int linger = 0;
    zmq_setsockopt (zsock_resolve (sock), ZMQ_LINGER, &linger, sizeof linger);
    if (jad_keys_apply_client (s_keys, s_hub_public, zsock_resolve (sock)) != 0) {
        fprintf (stderr, "jad-probe: cannot set CURVE keys\n");
        exit (2);
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
s_send_frame (zsock_t *sock, const Jad__Frame *frame)
{
    size_t len;
    uint8_t *buf = jad_wire_encode (&frame->base, &len);
    zframe_t *f = zframe_new (buf, len);
    zframe_send (&f, sock, 0);
    free (buf);
}

static void
s_send_raw (zsock_t *sock, const void *buf, size_t len)
{
    zframe_t *f = zframe_new (buf, len);
    zframe_send (&f, sock, 0);
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

static int
s_print_answer (Jad__Frame *frame)
{
    if (!frame) {
        printf ("no answer\n");
        return 3;
    }
    int rc = 0;
    if (frame->body_case == JAD__FRAME__BODY_ACK)
        printf ("ack %" PRIu64 " dup %d\n", frame->ack->hub_seq,
                (int) frame->ack->duplicate);
    else
    if (frame->body_case == JAD__FRAME__BODY_ERROR) {
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (
            &jad__error_code__descriptor, frame->error->code);
        printf ("error %s %s\n", v ? v->name : "?",
                frame->error->message ? frame->error->message : "");
        rc = 1;
    }
    else
        printf ("frame %d\n", (int) frame->body_case);
    return rc;
}

static int
s_submit (zsock_t *sock, const char *origin, const char *country,
          uint64_t seq, const char *op_hex)
{
    Jad__Frame *hello = s_hello (sock);
    if (!hello) {
        printf ("no answer\n");
        return 3;
    }
    uint8_t op_id[16], incarnation[16];
    memcpy (op_id, hello->heartbeat->operation_id.data, 16);
    jad_wire_free (&hello);
    if (op_hex)
        sodium_hex2bin (op_id, 16, op_hex, strlen (op_hex), NULL, NULL, NULL);
    memset (incarnation, 0x5a, sizeof incarnation);

    Jad__Report report = JAD__REPORT__INIT;
    Jad__Deployment dep = JAD__DEPLOYMENT__INIT;
    dep.has_officers = 1;
    dep.officers = 3;
    report.body_case = JAD__REPORT__BODY_DEPLOYMENT;
    report.deployment = &dep;
    report.country = (char *) country;
    size_t rlen;
    uint8_t *rbuf = jad_wire_encode (&report.base, &rlen);
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1;
    env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1;
    env.operation_id.data = op_id;
    env.operation_id.len = 16;
    env.origin = (char *) origin;
    env.has_incarnation = 1;
    env.incarnation.data = incarnation;
    env.incarnation.len = 16;
    env.has_origin_seq = 1;
    env.origin_seq = seq;
    env.has_event_time_ms = 1;
    env.event_time_ms = 1605510003000LL;
    env.has_report = 1;
    env.report.data = rbuf;
    env.report.len = rlen;
    size_t elen;
    uint8_t *ebuf = jad_wire_encode (&env.base, &elen);
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_SUBMIT;
    frame.submit.data = ebuf;
    frame.submit.len = elen;
    s_send_frame (sock, &frame);
    free (ebuf);
    free (rbuf);
    Jad__Frame *answer;
    while ((answer = s_recv (sock, 3000))
    &&     answer->body_case == JAD__FRAME__BODY_HEARTBEAT)
        jad_wire_free (&answer);
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
        { NULL, 0, NULL, 0 }
    };
    const char *key = NULL, *hub_key = NULL, *hub = NULL, *feed = NULL;
    const char *origin = NULL, *country = NULL, *op_hex = NULL;
    uint64_t seq = 1;
    int c;
    while ((c = getopt_long (argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key = optarg; break;
        case 'K': hub_key = optarg; break;
        case 'e': hub = optarg; break;
        case 'f': feed = optarg; break;
        case 'o': origin = optarg; break;
        case 'c': country = optarg; break;
        case 's': seq = strtoull (optarg, NULL, 10); break;
        case 'i': op_hex = optarg; break;
        default: return 2;
        }
    }
    if (optind != argc - 1
    ||  ((!key || !hub_key) && strcmp (argv[argc - 1], "port") != 0)) {
        fprintf (stderr, "usage: see the comment at the top of jad_probe.c\n");
        return 2;
    }
    const char *cmd = argv[optind];
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
    if (sodium_init () < 0)
        return 2;
    zsys_init ();
    zsys_set_logstream (NULL);
    s_keys = jad_keys_load (key, err, sizeof err);
    jad_keys_t *hk = jad_keys_load (hub_key, err, sizeof err);
    if (!s_keys || !hk) {
        fprintf (stderr, "jad-probe: %s\n", err);
        return 2;
    }
    snprintf (s_hub_public, sizeof s_hub_public, "%s", jad_keys_public (hk));
    jad_keys_destroy (&hk);
    int rc = 2;
    zsock_t *sock = NULL;
    if (strcmp (cmd, "listen") == 0 && feed) {
        sock = s_connect (ZMQ_SUB, feed);
        zpoller_t *poller = zpoller_new (sock, NULL);
        rc = zpoller_wait (poller, 3000) ? 0 : 3;
        printf ("%s\n", rc == 0 ? "received" : "nothing");
        zpoller_destroy (&poller);
    }
    else
    if (hub) {
        sock = s_connect (ZMQ_DEALER, hub);
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
            rc = s_submit (sock, origin ? origin : jad_keys_name (s_keys),
                           country, seq, op_hex);
        else
        if (strcmp (cmd, "garbage") == 0)
            rc = s_garbage (sock);
    }
    zsock_destroy (&sock);
    jad_keys_destroy (&s_keys);
    return rc;
}
