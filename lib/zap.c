/*  zap: ZAP (RFC 27) handler for the hub's CURVE sockets. */
#include "jad/zap.h"

#include <string.h>

#include "jad/keys.h"
#include "jad/log.h"
#include "jad/frame.h"

typedef struct {
    zhashx_t *keys;     /* admitted Z85 public keys -> (unused) */
} s_zap_t;

/* Answer one ZAP request: frames version, request id, domain, address,
 * identity, mechanism, credentials (the 32-byte CURVE public key). */
static void
s_handle (s_zap_t *self, zsock_t *handler)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *request_id = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *cred = zmsg_pop (request);
    const char *status = "400", *text = "not admitted";
    char key[41] = "";

    if (!version || strcmp (version, "1.0") != 0) {
        /* Not a ZAP request we can answer meaningfully: RFC 27 says close. */
        jad_log_error ("zap: malformed request");
        goto out;
    }
    if (!domain || strcmp (domain, JAD_ZAP_DOMAIN) != 0)
        text = "wrong ZAP domain";
    else
    if (!mechanism || strcmp (mechanism, "CURVE") != 0)
        text = "CURVE required";
    else
    if (!cred || zframe_size (cred) != 32)
        text = "bad credentials";
    else {
        zmq_z85_encode (key, zframe_data (cred), 32);
        if (zhashx_lookup (self->keys, key)) {
            status = "200";
            text = "OK";
        }
        else
            text = "key not on the roster";
    }
    if (strcmp (status, "200") != 0)
        jad_log_warn ("refused connection from %s: %s%s%s",
                      address ? address : "?", text, *key ? " " : "", key);
    zstr_sendm (handler, "1.0");
    zstr_sendm (handler, request_id ? request_id : "");
    zstr_sendm (handler, status);
    zstr_sendm (handler, text);
    zstr_sendm (handler, strcmp (status, "200") == 0 ? key : "");
    zframe_t *meta = zframe_new (NULL, 0);
    zframe_send (&meta, handler, 0);
out:
    zstr_free (&version);
    zstr_free (&request_id);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zframe_destroy (&cred);
    zmsg_destroy (&request);
}

void
jad_zap_actor (zsock_t *pipe, void *args)
{
    (void) args;
    s_zap_t self = { .keys = zhashx_new () };
    zsock_t *handler = zsock_new (ZMQ_REP);
    if (!handler || zsock_bind (handler, "inproc://zeromq.zap.01") != 0) {
        jad_log_error ("zap: cannot bind the ZAP handler");
        zsock_destroy (&handler);
        zhashx_destroy (&self.keys);
        zsock_signal (pipe, 1);
        return;
    }
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    for (;;) {
        void *which = zpoller_wait (poller, -1);
        if (which == handler) {
            s_handle (&self, handler);
            continue;
        }
        if (which != pipe)
            break;      /* interrupted: the owner will send $TERM */
        zmsg_t *msg = zmsg_recv (pipe);
        if (!msg)
            break;
        char *command = zmsg_popstr (msg);
        int stop = !command || strcmp (command, "$TERM") == 0;
        if (command && strcmp (command, "KEYS") == 0) {
            zhashx_purge (self.keys);
            char *key;
            while ((key = zmsg_popstr (msg))) {
                zhashx_insert (self.keys, key, (void *) 1);
                zstr_free (&key);
            }
            zsock_signal (pipe, 0);
        }
        zstr_free (&command);
        zmsg_destroy (&msg);
        if (stop)
            break;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&handler);
    zhashx_destroy (&self.keys);
}

int
jad_zap_set_keys (zactor_t *zap, const char *const *keys, size_t n)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "KEYS");
    for (size_t i = 0; i < n; i++)
        zmsg_addstr (msg, keys[i]);
    if (zmsg_send (&msg, zap) != 0) {
        zmsg_destroy (&msg);
        return -1;
    }
    return zsock_wait (zap) == 0 ? 0 : -1;
}

zsock_t *
jad_zap_server_socket (const jad_keys_t *keys, int type,
                       const char *endpoint, char *err, size_t errlen)
{
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        snprintf (err, errlen, "cannot create a socket");
        return NULL;
    }
    void *raw = zsock_resolve (sock);
    int64_t maxmsg = JAD_FRAME_WIRE_MAX;
    /* Per peer: enough for a catch-up answer and a burst of acks; a peer
     * that reads nothing costs at most this much, then loses frames (and
     * catches up later). */
    int hwm = 10000, on = 1, linger = 1000;
    zmq_setsockopt (raw, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt (raw, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt (raw, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (raw, ZMQ_LINGER, &linger, sizeof linger);
    int ivl = 1000, timeout = 5000, ttl = 10000;
    zmq_setsockopt (raw, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt (raw, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof timeout);
    zmq_setsockopt (raw, ZMQ_HEARTBEAT_TTL, &ttl, sizeof ttl);
    if (type == ZMQ_ROUTER)
        zmq_setsockopt (raw, ZMQ_ROUTER_MANDATORY, &on, sizeof on);
    if (type == ZMQ_XPUB) {
        /* The first message a new subscriber gets: an empty heartbeat
         * frame, telling it its subscription is live (Clone pattern). */
        size_t len;
        uint8_t *buf = jad_frame_heartbeat (NULL, &len);
        if (buf)
            zmq_setsockopt (raw, ZMQ_XPUB_WELCOME_MSG, buf, len);
        free (buf);
        /* Every subscription up to the owner, not only a topic's first:
         * each new subscriber is sent the roster in force (feed_server),
         * and all of them subscribe to "". */
        zmq_setsockopt (raw, ZMQ_XPUB_VERBOSE, &on, sizeof on);
    }
    if (jad_keys_apply_server (keys, raw, JAD_ZAP_DOMAIN) != 0) {
        snprintf (err, errlen, "cannot make %s a CURVE server with ZAP "
                  "enforced", endpoint);
        zsock_destroy (&sock);
        return NULL;
    }
    if (zsock_bind (sock, "%s", endpoint) < 0) {
        snprintf (err, errlen, "cannot bind %s: %s", endpoint,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}
