/*  jad-delay: a TCP relay that holds every chunk for a while — the field
 *  tests' long, jittery link (tc netem is not available on these kernels).
 *
 *    jad-delay --listen ADDR:PORT --target ADDR:PORT [--delay MS]
 *              [--jitter MS] [--seed N] [--max-conns N] [--quiet]
 *
 *  Each connection accepted on --listen gets its own connection to
 *  --target; bytes are forwarded both ways, and each chunk read is passed
 *  on no earlier than DELAY ± JITTER ms (uniform) after it arrived.  Order
 *  is kept: a chunk's release time is max(previous chunk's release, arrival
 *  + random delay), per direction, so jitter delays but never reorders —
 *  as on a real path under TCP.  A direction that holds more than 8 MiB
 *  stops reading until it drains, which pushes back on the sender through
 *  TCP.  An end-of-stream is passed on (shutdown) once what came before it
 *  is written; a reset or error closes both sides.
 *
 *  SIGUSR1 heals the link: chunks read from then on are passed on at once
 *  (still after those held before them); SIGUSR2 brings the delay back.
 *  One thread, poll(); SIGTERM or SIGINT stops it and prints what it
 *  carried and how long it held the chunks read while delaying (from the
 *  read to the last byte written: the delay the other end saw).  Exit: 0
 *  stopped by a signal; 1 failed while running; 2 usage error, or the
 *  listening socket could not be made.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define S_CHUNK_MAX   65536             /* bytes per read */
#define S_QUEUE_MAX   (8u << 20)        /* bytes held per direction */
#define S_DELAY_MAX   600000            /* ms, a sanity bound on options */

/* One read's bytes, waiting for their release time. */
typedef struct s_chunk {
    struct s_chunk *next;
    int64_t  due;               /* monotonic ms when it may be written */
    int64_t  arrived;           /* monotonic ms when it was read */
    int      held;              /* read while delaying (not healed) */
    size_t   len;               /* bytes in data */
    size_t   off;               /* bytes already written */
    unsigned char data[];
} s_chunk_t;

/* One direction of a connection: read from fd[from], written to fd[to]. */
typedef struct {
    int        from, to;        /* indexes into the connection's fd[] */
    s_chunk_t *head, *tail;     /* held chunks, oldest first */
    size_t     queued;          /* bytes held (unwritten) */
    int64_t    last_due;        /* release time of the newest chunk */
    uint64_t   carried;         /* bytes written so far */
    int        eof;             /* the reading side ended its stream */
    int        shut;            /* the end was passed on (SHUT_WR) */
    int        blocked;         /* the last write would have blocked */
} s_pipe_t;

/* An accepted connection and its connection to the target. */
typedef struct {
    int      fd[2];             /* 0: the client, 1: the target */
    int      connecting;        /* the target's connect() is in progress */
    int      dead;              /* closed on an error; removed by the loop */
    s_pipe_t dir[2];            /* 0: client -> target, 1: target -> client */
    char     name[96];          /* the client's address, for the log */
} s_conn_t;

/* The relay: its options, its random numbers, its connections. */
typedef struct {
    struct sockaddr_storage target;     /* where every client is joined */
    socklen_t target_len;
    int       delay, jitter;    /* ms */
    int       max_conns;        /* connections at once */
    int       quiet;            /* no per-connection lines */
    uint64_t  rng;              /* xorshift64* state, never 0 */
    s_conn_t **conns;           /* open connections */
    size_t    n, cap;
    uint64_t  accepted;         /* connections accepted in all */
    uint64_t  bytes[2];         /* bytes carried per direction, closed conns */
    uint64_t  held;             /* chunks read while delaying, all written */
    uint64_t  held_ms;          /* their holds summed: arrival to last byte out */
    int64_t   held_max;         /* the longest of them */
} s_relay_t;

static volatile sig_atomic_t s_stop;
static volatile sig_atomic_t s_healed;  /* SIGUSR1: no more added delay */
static int s_wake[2] = { -1, -1 };      /* self-pipe: a signal wakes poll() */

static void
s_on_signal (int sig)
{
    int saved = errno;
    if (sig == SIGUSR1)
        s_healed = 1;
    else if (sig == SIGUSR2)
        s_healed = 0;
    else
        s_stop = 1;
    if (write (s_wake[1], "x", 1) < 0) {
        /* full pipe: poll() is woken already */
    }
    errno = saved;
}

/* A line on stderr.  INFO lines (connections opened and closed) are
 * dropped with --quiet; errors never are. */
__attribute__ ((format (printf, 3, 4)))
static void
s_say (const s_relay_t *self, int info, const char *fmt, ...)
{
    if (info && self && self->quiet)
        return;
    va_list ap;
    va_start (ap, fmt);
    fputs ("jad-delay: ", stderr);
    vfprintf (stderr, fmt, ap);
    fputc ('\n', stderr);
    va_end (ap);
}

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t
s_rand (s_relay_t *self)
{
    uint64_t x = self->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* The hold time of the next chunk: DELAY ± JITTER ms, never negative;
 * 0 while healed. */
static int64_t
s_hold_ms (s_relay_t *self)
{
    if (s_healed)
        return 0;
    int64_t d = self->delay;
    if (self->jitter > 0)
        d += (int64_t) (s_rand (self) % (uint64_t) (2 * self->jitter + 1)) - self->jitter;
    return d < 0 ? 0 : d;
}

/* ADDR:PORT (or [ADDR]:PORT) -> a numeric socket address.  0, or -1 with
 * the reason in ERR. */
static int
s_parse_addr (const char *text, struct sockaddr_storage *ss, socklen_t *len,
              char *err, size_t errlen)
{
    char host[128];
    const char *colon = strrchr (text, ':');
    if (!colon || colon == text || !colon[1]) {
        snprintf (err, errlen, "'%s': expected ADDRESS:PORT", text);
        return -1;
    }
    size_t hl = (size_t) (colon - text);
    const char *h = text;
    if (*h == '[' && hl >= 2 && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl >= sizeof host) {
        snprintf (err, errlen, "'%s': address too long", text);
        return -1;
    }
    memcpy (host, h, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol (colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535) {
        snprintf (err, errlen, "'%s': port must be 1 to 65535", text);
        return -1;
    }
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo (host, colon + 1, &hints, &res);
    if (rc != 0 || !res) {
        snprintf (err, errlen, "'%s': not a numeric address: %s", text,
                  gai_strerror (rc));
        return -1;
    }
    memcpy (ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo (res);
    return 0;
}

static int
s_nonblock (int fd)
{
    int fl = fcntl (fd, F_GETFL);
    return fl < 0 ? -1 : fcntl (fd, F_SETFL, fl | O_NONBLOCK);
}

static void
s_conn_destroy (s_relay_t *self, s_conn_t **conn_p)
{
    s_conn_t *c = *conn_p;
    if (!c)
        return;
    for (int d = 0; d < 2; d++) {
        self->bytes[d] += c->dir[d].carried;
        s_chunk_t *k = c->dir[d].head;
        while (k) {
            s_chunk_t *next = k->next;
            free (k);
            k = next;
        }
    }
    for (int i = 0; i < 2; i++)
        if (c->fd[i] >= 0)
            close (c->fd[i]);
    free (c);
    *conn_p = NULL;
}

/* Close a connection because of an error: both sides, now. */
static void
s_conn_fail (s_relay_t *self, s_conn_t *c, const char *what, int err)
{
    if (!c->dead)
        s_say (self, 0, "%s: %s%s%s; closing", c->name, what,
               err ? ": " : "", err ? strerror (err) : "");
    c->dead = 1;
}

/* Accept one client and start connecting to the target.  0, or -1 when
 * the backlog is empty (or accept failed). */
static int
s_accept (s_relay_t *self, int lfd)
{
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    int fd = accept (lfd, (struct sockaddr *) &peer, &plen);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
        &&  errno != ECONNABORTED)
            s_say (self, 0, "accept: %s", strerror (errno));
        return -1;
    }
    s_conn_t *c = NULL;
    int tfd = -1;
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        s_conn_t **grown = realloc (self->conns, cap * sizeof *grown);
        if (!grown) {
            s_say (self, 0, "cannot relay a new connection: out of memory");
            goto fail;
        }
        self->conns = grown;
        self->cap = cap;
    }
    c = calloc (1, sizeof *c);
    if (!c) {
        s_say (self, 0, "cannot relay a new connection: out of memory");
        goto fail;
    }
    char host[64] = "?", serv[16] = "?";
    getnameinfo ((struct sockaddr *) &peer, plen, host, sizeof host, serv,
                 sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf (c->name, sizeof c->name, "%s:%s", host, serv);
    tfd = socket (self->target.ss_family, SOCK_STREAM, 0);
    if (tfd < 0 || s_nonblock (fd) || s_nonblock (tfd)) {
        s_say (self, 0, "%s: cannot make a socket: %s", c->name, strerror (errno));
        goto fail;
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt (tfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect (tfd, (struct sockaddr *) &self->target, self->target_len) == 0)
        c->connecting = 0;
    else if (errno == EINPROGRESS)
        c->connecting = 1;
    else {
        s_say (self, 0, "%s: connect to the target: %s", c->name, strerror (errno));
        goto fail;
    }
    c->fd[0] = fd;
    c->fd[1] = tfd;
    c->dir[0].from = 0;
    c->dir[0].to = 1;
    c->dir[1].from = 1;
    c->dir[1].to = 0;
    self->conns[self->n++] = c;
    self->accepted++;
    s_say (self, 1, "%s: accepted", c->name);
    return 0;
fail:
    free (c);
    if (tfd >= 0)
        close (tfd);
    close (fd);
    return 0;       /* this one is lost; the next may do */
}

/* Read what fd[from] has into a new held chunk. */
static void
s_pipe_read (s_relay_t *self, s_conn_t *c, s_pipe_t *p, int64_t now)
{
    unsigned char buf[S_CHUNK_MAX];
    ssize_t n = recv (c->fd[p->from], buf, sizeof buf, 0);
    if (n == 0) {
        p->eof = 1;
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            s_conn_fail (self, c, p->from ? "target read" : "client read", errno);
        return;
    }
    s_chunk_t *k = malloc (sizeof *k + (size_t) n);
    if (!k) {
        s_conn_fail (self, c, "out of memory", 0);
        return;
    }
    memcpy (k->data, buf, (size_t) n);
    k->len = (size_t) n;
    k->off = 0;
    k->next = NULL;
    k->arrived = now;
    k->held = !s_healed;
    k->due = now + s_hold_ms (self);
    if (k->due < p->last_due)
        k->due = p->last_due;           /* order is kept */
    p->last_due = k->due;
    if (p->tail)
        p->tail->next = k;
    else
        p->head = k;
    p->tail = k;
    p->queued += (size_t) n;
}

/* Write every chunk whose time has come, until the socket is full; pass
 * an end of stream on once nothing is held before it. */
static void
s_pipe_flush (s_relay_t *self, s_conn_t *c, s_pipe_t *p, int64_t now)
{
    p->blocked = 0;
    while (p->head && p->head->due <= now) {
        s_chunk_t *k = p->head;
        ssize_t n = send (c->fd[p->to], k->data + k->off, k->len - k->off,
                          MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                p->blocked = 1;
            else if (errno != EINTR)
                s_conn_fail (self, c, p->to ? "target write" : "client write", errno);
            return;
        }
        k->off += (size_t) n;
        p->queued -= (size_t) n;
        p->carried += (uint64_t) n;
        if (k->off < k->len)
            continue;
        /* The hold as the other end saw it: from the read to the last
         * byte written (order and a full socket add to the drawn delay). */
        if (k->held) {
            int64_t hold = now - k->arrived;
            self->held++;
            self->held_ms += (uint64_t) hold;
            if (hold > self->held_max)
                self->held_max = hold;
        }
        p->head = k->next;
        if (!p->head)
            p->tail = NULL;
        free (k);
    }
    if (p->eof && !p->head && !p->shut) {
        shutdown (c->fd[p->to], SHUT_WR);
        p->shut = 1;
    }
}

/* Soonest release time among held chunks not yet due; -1 if none. */
static int
s_timeout (const s_relay_t *self, int64_t now)
{
    int64_t best = -1;
    for (size_t i = 0; i < self->n; i++)
        for (int d = 0; d < 2; d++) {
            const s_pipe_t *p = &self->conns[i]->dir[d];
            if (!p->head || p->head->due <= now || p->blocked)
                continue;
            int64_t wait = p->head->due - now;
            if (best < 0 || wait < best)
                best = wait;
        }
    return best < 0 ? -1 : (int) best;
}

/* One poll() round: accept, connect, read, write.  0, or -1 if poll()
 * failed for a reason other than a signal. */
static int
s_relay_step (s_relay_t *self, int lfd)
{
    size_t nfds = 2 + 2 * self->n;
    struct pollfd *fds = calloc (nfds, sizeof *fds);
    if (!fds)
        return -1;
    int64_t now = s_now_ms ();
    fds[0].fd = s_wake[0];
    fds[0].events = POLLIN;
    fds[1].fd = self->n < (size_t) self->max_conns ? lfd : -1;
    fds[1].events = POLLIN;
    for (size_t i = 0; i < self->n; i++) {
        s_conn_t *c = self->conns[i];
        for (int side = 0; side < 2; side++) {
            struct pollfd *f = &fds[2 + 2 * i + (size_t) side];
            const s_pipe_t *in = &c->dir[side];         /* read from side */
            const s_pipe_t *out = &c->dir[1 - side];    /* written to side */
            f->fd = c->fd[side];
            if (c->connecting) {
                /* The client waits (unread) until the target answers. */
                if (side == 0)
                    f->fd = -1;
                else
                    f->events = POLLOUT;
                continue;
            }
            /* A side done both ways is not polled: its hang-up would wake
             * us until the other side's held bytes are written. */
            if (in->eof && out->shut) {
                f->fd = -1;
                continue;
            }
            if (!in->eof && in->queued < S_QUEUE_MAX)
                f->events |= POLLIN;
            if (out->blocked)
                f->events |= POLLOUT;
        }
    }
    int rc = poll (fds, (nfds_t) nfds, s_timeout (self, now));
    if (rc < 0) {
        int e = errno;
        free (fds);
        if (e == EINTR)
            return 0;
        errno = e;
        return -1;
    }
    now = s_now_ms ();
    if (fds[0].revents & POLLIN) {
        char drain[16];
        while (read (s_wake[0], drain, sizeof drain) > 0) {
        }
    }
    size_t before = self->n;
    for (size_t i = 0; i < before; i++) {
        s_conn_t *c = self->conns[i];
        struct pollfd *f0 = &fds[2 + 2 * i], *f1 = &fds[3 + 2 * i];
        if (c->connecting) {
            if (f1->revents) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt (c->fd[1], SOL_SOCKET, SO_ERROR, &err, &el);
                if (err)
                    s_conn_fail (self, c, "connect to the target", err);
                else
                    c->connecting = 0;
            }
            continue;
        }
        for (int side = 0; side < 2 && !c->dead; side++) {
            short ev = side ? f1->revents : f0->revents;
            if (!(ev & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (!c->dir[side].eof)
                s_pipe_read (self, c, &c->dir[side], now);   /* data, EOF or the error */
            else if (ev & (POLLHUP | POLLERR))
                /* Read to the end already and still hung up: the peer
                 * reset or closed both ways, nothing more can reach it. */
                s_conn_fail (self, c, side ? "target lost" : "client lost", 0);
        }
    }
    int incoming = (fds[1].revents & POLLIN) != 0;
    free (fds);
    /* Flush every pipe whose time came, whatever poll() said. */
    for (size_t i = 0; i < self->n; i++) {
        s_conn_t *c = self->conns[i];
        for (int d = 0; d < 2 && !c->dead && !c->connecting; d++)
            s_pipe_flush (self, c, &c->dir[d], now);
    }
    /* Remove the failed and the finished (both ends passed on). */
    size_t kept = 0;
    for (size_t i = 0; i < self->n; i++) {
        s_conn_t *c = self->conns[i];
        if (c->dead || (c->dir[0].shut && c->dir[1].shut)) {
            if (!c->dead)
                s_say (self, 1, "%s: closed (%" PRIu64 " bytes up, %" PRIu64 " down)",
                       c->name, c->dir[0].carried, c->dir[1].carried);
            s_conn_destroy (self, &c);
        }
        else
            self->conns[kept++] = c;
    }
    self->n = kept;
    /* Take what the backlog holds, a bounded number per round. */
    for (int k = 0; incoming && k < 64 && self->n < (size_t) self->max_conns; k++)
        if (s_accept (self, lfd) != 0)
            break;
    return 0;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-delay --listen ADDR:PORT --target ADDR:PORT [--delay MS]\n"
"                 [--jitter MS] [--seed N] [--max-conns N] [--quiet]\n"
"\n"
"A TCP relay for tests: every connection accepted on --listen is joined to\n"
"a new connection to --target, and each chunk of bytes, in either\n"
"direction, is held DELAY +/- JITTER ms (uniform) before it is passed on,\n"
"in order.  Addresses are numeric (127.0.0.1:7401, [::1]:7401).\n"
"\n"
"  --listen ADDR:PORT  where clients connect\n"
"  --target ADDR:PORT  where each client's bytes go\n"
"  --delay MS          hold time per direction (default 300)\n"
"  --jitter MS         spread around it (default 100; never below 0 ms)\n"
"  --seed N            random seed (default: from the clock and the pid)\n"
"  --max-conns N       connections at once; more wait in the backlog\n"
"                      (default 1000)\n"
"  --quiet             do not log each connection (errors still are)\n"
"\n"
"SIGUSR1: no more added delay (the link heals; what is held keeps its\n"
"time); SIGUSR2: the delay again.  SIGTERM or SIGINT stops it and prints\n"
"the bytes carried each way and the chunks held (read while delaying,\n"
"written in full) with their mean and longest hold, read to last byte out:\n"
"  jad-delay: stopped: C connections, U bytes to the target, D bytes back;\n"
"  held N chunks, mean M ms, max X ms\n"
"exit: 0 stopped by a signal; 1 failed while running; 2 usage error or\n"
"the listening socket could not be made\n");
}

/* A decimal option in [lo, hi], or -1 after saying what is wrong. */
static long
s_num (const char *opt, const char *text, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol (text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        fprintf (stderr, "jad-delay: --%s: '%s': expected a number from %ld to %ld\n",
                 opt, text, lo, hi);
        return -1;
    }
    return v;
}

/* The listening socket on LISTEN, non-blocking; -1 after saying why. */
static int
s_listen (const char *listen_at)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char err[256];
    if (s_parse_addr (listen_at, &ss, &len, err, sizeof err) != 0) {
        fprintf (stderr, "jad-delay: --listen: %s\n", err);
        return -1;
    }
    int fd = socket (ss.ss_family, SOCK_STREAM, 0);
    int one = 1;
    if (fd < 0
    ||  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
    ||  bind (fd, (struct sockaddr *) &ss, len) != 0
    ||  listen (fd, 512) != 0
    ||  s_nonblock (fd) != 0) {
        fprintf (stderr, "jad-delay: cannot listen on %s: %s\n", listen_at,
                 strerror (errno));
        if (fd >= 0)
            close (fd);
        return -1;
    }
    return fd;
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen",    required_argument, NULL, 'l' },
        { "target",    required_argument, NULL, 't' },
        { "delay",     required_argument, NULL, 'd' },
        { "jitter",    required_argument, NULL, 'j' },
        { "seed",      required_argument, NULL, 's' },
        { "max-conns", required_argument, NULL, 'm' },
        { "quiet",     no_argument,       NULL, 'q' },
        { "help",      no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    s_relay_t relay = { .delay = 300, .jitter = 100, .max_conns = 1000 };
    s_relay_t *self = &relay;
    const char *listen_at = NULL, *target = NULL;
    long seed = -1, v;
    int c, rc = 2, lfd = -1;
    while ((c = getopt_long (argc, argv, "l:t:d:j:s:m:qh", opts, NULL)) != -1) {
        switch (c) {
            case 'l': listen_at = optarg; break;
            case 't': target = optarg; break;
            case 'd':
                if ((v = s_num ("delay", optarg, 0, S_DELAY_MAX)) < 0)
                    return 2;
                self->delay = (int) v;
                break;
            case 'j':
                if ((v = s_num ("jitter", optarg, 0, S_DELAY_MAX)) < 0)
                    return 2;
                self->jitter = (int) v;
                break;
            case 's':
                if ((seed = s_num ("seed", optarg, 0, 2147483647L)) < 0)
                    return 2;
                break;
            case 'm':
                if ((v = s_num ("max-conns", optarg, 1, 100000)) < 0)
                    return 2;
                self->max_conns = (int) v;
                break;
            case 'q': self->quiet = 1; break;
            case 'h': s_usage (stdout); return 0;
            default: s_usage (stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "jad-delay: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!listen_at || !target) {
        fprintf (stderr, "jad-delay: --listen and --target are required\n");
        s_usage (stderr);
        return 2;
    }
    char err[256];
    if (s_parse_addr (target, &self->target, &self->target_len, err, sizeof err) != 0) {
        fprintf (stderr, "jad-delay: --target: %s\n", err);
        return 2;
    }
    self->rng = seed >= 0 ? (uint64_t) seed * 0x9E3779B97F4A7C15ULL + 1
                          : ((uint64_t) time (NULL) << 20) ^ (uint64_t) getpid ();
    if (self->rng == 0)
        self->rng = 1;

    if (pipe (s_wake) != 0 || s_nonblock (s_wake[0]) || s_nonblock (s_wake[1])) {
        fprintf (stderr, "jad-delay: cannot make a pipe: %s\n", strerror (errno));
        goto out;
    }
    struct sigaction sa = { 0 };
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    sigaction (SIGUSR1, &sa, NULL);
    sigaction (SIGUSR2, &sa, NULL);
    lfd = s_listen (listen_at);
    if (lfd < 0)
        goto out;
    s_say (self, 1, "%s -> %s, %d +/- %d ms each way", listen_at, target,
           self->delay, self->jitter);
    rc = 0;
    int healed = 0;
    while (!s_stop) {
        if (s_healed != healed) {
            healed = s_healed;
            s_say (self, 0, "%s", healed ? "healed: no added delay from now on"
                                         : "delaying again");
        }
        if (s_relay_step (self, lfd) != 0) {
            s_say (self, 0, "poll: %s", strerror (errno));
            rc = 1;
            break;
        }
    }
    for (size_t i = 0; i < self->n; i++)
        s_conn_destroy (self, &self->conns[i]);
    self->n = 0;
    /* Always said, --quiet or not: the test's log shows the relay worked,
     * and the field tests read the holds from it (tests/field/netns.sh). */
    fprintf (stderr, "jad-delay: stopped: %" PRIu64 " connections, %" PRIu64
             " bytes to the target, %" PRIu64 " bytes back; held %" PRIu64
             " chunks, mean %" PRIu64 " ms, max %" PRId64 " ms\n",
             self->accepted, self->bytes[0], self->bytes[1], self->held,
             self->held ? (self->held_ms + self->held / 2) / self->held : 0,
             self->held_max);
out:
    free (self->conns);
    if (lfd >= 0)
        close (lfd);
    for (int i = 0; i < 2; i++)
        if (s_wake[i] >= 0)
            close (s_wake[i]);
    return rc;
}
