/*  pool: worker threads for data-parallel loops.  See pool.h. */
#include "jad/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define S_MAX_THREADS 64
#define S_CHUNK        8    /* items taken per lock: amortises the mutex */

struct _jad_pool_t {
    pthread_mutex_t lock;
    pthread_cond_t  go;          /* a new run, or stop */
    pthread_cond_t  done;        /* the last item of a run finished */
    pthread_t       threads[S_MAX_THREADS];
    int             n_threads;
    jad_pool_fn    *fn;          /* the current run */
    void           *arg;
    size_t          n, next, finished;
    unsigned long   generation;  /* counts runs, so workers see new ones */
    int             stop;
};

/* Take and run chunks of the current run until none is left.  Called with
 * the lock held; returns with it held. */
static void
s_work (jad_pool_t *self)
{
    while (self->next < self->n) {
        size_t from = self->next;
        size_t to = from + S_CHUNK < self->n ? from + S_CHUNK : self->n;
        self->next = to;
        jad_pool_fn *fn = self->fn;
        void *arg = self->arg;
        pthread_mutex_unlock (&self->lock);
        for (size_t i = from; i < to; i++)
            fn (arg, i);
        pthread_mutex_lock (&self->lock);
        self->finished += to - from;
        if (self->finished == self->n)
            pthread_cond_signal (&self->done);
    }
}

static void *
s_worker (void *data)
{
    jad_pool_t *self = data;
    unsigned long seen = 0;
    pthread_mutex_lock (&self->lock);
    for (;;) {
        while (!self->stop && self->generation == seen)
            pthread_cond_wait (&self->go, &self->lock);
        if (self->stop)
            break;
        seen = self->generation;
        s_work (self);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

jad_pool_t *
jad_pool_new (int threads)
{
    if (threads <= 0) {
        long cpus = sysconf (_SC_NPROCESSORS_ONLN);
        threads = cpus > 1 ? (int) cpus - 1 : 0;
    }
    if (threads > S_MAX_THREADS)
        threads = S_MAX_THREADS;
    jad_pool_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->go, NULL);
    pthread_cond_init (&self->done, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create (&self->threads[i], NULL, s_worker, self) != 0) {
            jad_pool_destroy (&self);
            return NULL;
        }
        self->n_threads++;
    }
    return self;
}

void
jad_pool_destroy (jad_pool_t **self_p)
{
    jad_pool_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->stop = 1;
    pthread_cond_broadcast (&self->go);
    pthread_mutex_unlock (&self->lock);
    for (int i = 0; i < self->n_threads; i++)
        pthread_join (self->threads[i], NULL);
    pthread_cond_destroy (&self->done);
    pthread_cond_destroy (&self->go);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
jad_pool_run (jad_pool_t *self, jad_pool_fn *fn, void *arg, size_t n)
{
    if (n == 0)
        return;
    if (self->n_threads == 0 || n < 2) {
        for (size_t i = 0; i < n; i++)
            fn (arg, i);
        return;
    }
    pthread_mutex_lock (&self->lock);
    self->fn = fn;
    self->arg = arg;
    self->n = n;
    self->next = 0;
    self->finished = 0;
    self->generation++;
    pthread_cond_broadcast (&self->go);
    s_work (self);
    while (self->finished < self->n)
        pthread_cond_wait (&self->done, &self->lock);
    self->n = 0;
    pthread_mutex_unlock (&self->lock);
}

int
jad_pool_size (const jad_pool_t *self)
{
    return self->n_threads;
}
