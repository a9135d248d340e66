/*  pool: a fixed set of worker threads for data-parallel loops.
 *
 *  jad_pool_run (pool, fn, arg, n) calls fn (arg, i) for every i in
 *  [0, n), spread over the workers and the calling thread, and returns when
 *  all calls are done.  Used where one thread would be the bottleneck on
 *  pure computation — verifying Ed25519 signatures costs ~76 µs each — and
 *  FN touches only item i (no locks needed inside FN).  One caller at a
 *  time.
 */
#ifndef JAD_POOL_H
#define JAD_POOL_H

#include <stddef.h>

typedef struct _jad_pool_t jad_pool_t;
typedef void (jad_pool_fn) (void *arg, size_t i);

/* A pool of THREADS workers besides the caller (0: the number of online
 * CPUs minus one).  NULL when threads cannot be started. */
jad_pool_t *jad_pool_new (int threads);

/* Stop and join the workers; safe on NULL; nulls the caller's pointer. */
void jad_pool_destroy (jad_pool_t **self_p);

/* Run FN (ARG, i) for i in [0, N); returns when all have run. */
void jad_pool_run (jad_pool_t *self, jad_pool_fn *fn, void *arg, size_t n);

/* Workers besides the caller. */
int jad_pool_size (const jad_pool_t *self);

#endif
