/*
 * Copyright (c) 2026 The COLO proxy for Open vSwitch authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* colo-qemu-tcg-shim.so -- an LD_PRELOAD library that lets Debian's QEMU
 * 7.2 take COLO checkpoints of a TCG (no KVM) guest.  Not needed, and not
 * to be used, with KVM.
 *
 * Why: QEMU 7.2's COLO checkpoint saves the guest's RAM from the
 * 'live_migration' thread without holding QEMU's global lock.  Under TCG
 * the dirty-log sync on that path waits on condition variables that are
 * paired with the global lock, which that thread does not own: glibc then
 * "releases" a mutex another thread holds and returns owning it, and the
 * primary deadlocks at its first checkpoint; the same thread's broadcasts
 * that wake the vCPUs, sent without the lock, can be lost.
 *
 * What it does, for waits and wake-ups only, leaving every other call
 * alone:
 *
 *   - pthread_cond_wait()/pthread_cond_timedwait() called with a mutex
 *     that the calling thread does not own: take the mutex, wait at most
 *     COLO_SHIM_WAIT_MS on the condition, release the mutex and return 0.
 *     QEMU's callers re-check their predicate after every wake-up, so a
 *     short wait is a spurious wake-up to them.
 *
 *   - pthread_cond_broadcast()/pthread_cond_signal() from the
 *     'live_migration' thread (QEMU names its threads with "-name
 *     ...,debug-threads=on"), on a condition whose mutex the shim has seen
 *     in a wait and that the thread does not own: the wake-up is sent
 *     with that mutex held (taken for at most COLO_SHIM_WAIT_MS; sent
 *     anyway if it cannot be), so a waiter cannot miss it between checking
 *     its predicate and sleeping.
 *
 * Ownership is read from glibc's mutex (__data.__owner, the owner's thread
 * id, which glibc records for every mutex type on Linux).
 *
 * Counters: with COLO_SHIM_LOG=FILE set, the number of each kind of
 * correction is appended to FILE when the process exits. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define COLO_SHIM_WAIT_MS 2

/* glibc exports the condition variable functions in two versions; QEMU
 * links against the current one. */
#define COLO_SHIM_GLIBC_COND "GLIBC_2.3.2"

typedef int cond_wait_fn(pthread_cond_t *, pthread_mutex_t *);
typedef int cond_timedwait_fn(pthread_cond_t *, pthread_mutex_t *,
                              const struct timespec *);
typedef int cond_wake_fn(pthread_cond_t *);

static cond_wait_fn *real_wait;
static cond_timedwait_fn *real_timedwait;
static cond_wake_fn *real_broadcast;
static cond_wake_fn *real_signal;

static atomic_ulong n_unowned_waits;
static atomic_ulong n_locked_wakeups;
static atomic_ulong n_unlocked_wakeups;

/* Which mutex each condition was last waited on with: a small open
 * hash table, never shrunk (QEMU has a few hundred conditions at most). */
#define COLO_SHIM_SLOTS 4096
static struct {
    _Atomic(pthread_cond_t *) cond;
    _Atomic(pthread_mutex_t *) mutex;
} pairs[COLO_SHIM_SLOTS];

static void *
lookup(const char *name)
{
    void *f = dlvsym(RTLD_NEXT, name, COLO_SHIM_GLIBC_COND);

    if (!f) {
        f = dlsym(RTLD_NEXT, name);
    }
    if (!f) {
        fprintf(stderr, "colo-qemu-tcg-shim: %s not found\n", name);
        abort();
    }
    return f;
}

static void
report(void)
{
    const char *file = getenv("COLO_SHIM_LOG");
    FILE *stream = file ? fopen(file, "a") : NULL;

    if (stream) {
        fprintf(stream, "pid=%ld unowned_waits=%lu locked_wakeups=%lu "
                "unlocked_wakeups=%lu\n", (long) getpid(),
                atomic_load(&n_unowned_waits),
                atomic_load(&n_locked_wakeups),
                atomic_load(&n_unlocked_wakeups));
        fclose(stream);
    }
}

static void
init_functions(void)
{
    real_wait = (cond_wait_fn *) lookup("pthread_cond_wait");
    real_timedwait = (cond_timedwait_fn *) lookup("pthread_cond_timedwait");
    real_broadcast = (cond_wake_fn *) lookup("pthread_cond_broadcast");
    real_signal = (cond_wake_fn *) lookup("pthread_cond_signal");
}

__attribute__((constructor)) static void
init(void)
{
    if (!real_signal) {
        init_functions();
    }
    atexit(report);
}

static size_t
slot_of(const pthread_cond_t *cond)
{
    uintptr_t x = (uintptr_t) cond;

    x ^= x >> 17;
    x *= 0x9e3779b97f4a7c15ULL;
    return (x >> 20) % COLO_SHIM_SLOTS;
}

static void
remember(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    size_t start = slot_of(cond);

    for (size_t i = 0; i < COLO_SHIM_SLOTS; i++) {
        size_t s = (start + i) % COLO_SHIM_SLOTS;
        pthread_cond_t *c = atomic_load(&pairs[s].cond);

        if (c == cond) {
            atomic_store(&pairs[s].mutex, mutex);
            return;
        } else if (!c) {
            pthread_cond_t *expected = NULL;

            if (atomic_compare_exchange_strong(&pairs[s].cond, &expected,
                                               cond)
                || expected == cond) {
                atomic_store(&pairs[s].mutex, mutex);
                return;
            }
        }
    }
    /* Full: the condition goes unremembered; its wake-ups are sent as
     * QEMU sends them. */
}

static pthread_mutex_t *
recall(const pthread_cond_t *cond)
{
    size_t start = slot_of(cond);

    for (size_t i = 0; i < COLO_SHIM_SLOTS; i++) {
        size_t s = (start + i) % COLO_SHIM_SLOTS;
        pthread_cond_t *c = atomic_load(&pairs[s].cond);

        if (c == cond) {
            return atomic_load(&pairs[s].mutex);
        } else if (!c) {
            return NULL;
        }
    }
    return NULL;
}

static int
owns(const pthread_mutex_t *mutex)
{
    return mutex->__data.__owner == gettid();
}

/* Waits at most COLO_SHIM_WAIT_MS on 'cond' for a caller that does not own
 * 'mutex', owning it for the wait only. */
static int
unowned_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    struct timespec until;

    atomic_fetch_add(&n_unowned_waits, 1);
    pthread_mutex_lock(mutex);
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += COLO_SHIM_WAIT_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_clockwait(cond, mutex, CLOCK_MONOTONIC, &until);
    pthread_mutex_unlock(mutex);
    return 0;
}

int
pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    if (!real_signal) {
        init_functions();
    }
    if (!owns(mutex)) {
        return unowned_wait(cond, mutex);
    }
    remember(cond, mutex);
    return real_wait(cond, mutex);
}

int
pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                       const struct timespec *abstime)
{
    if (!real_signal) {
        init_functions();
    }
    if (!owns(mutex)) {
        return unowned_wait(cond, mutex);
    }
    remember(cond, mutex);
    return real_timedwait(cond, mutex, abstime);
}

static int
is_migration_thread(void)
{
    char name[16];

    return (!pthread_getname_np(pthread_self(), name, sizeof name)
            && !strcmp(name, "live_migration"));
}

static int
wake(pthread_cond_t *cond, cond_wake_fn **realp)
{
    pthread_mutex_t *mutex;

    if (!real_signal) {
        init_functions();
    }

    cond_wake_fn *real = *realp;
    if (!is_migration_thread()
        || !(mutex = recall(cond))
        || owns(mutex)) {
        return real(cond);
    }

    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += COLO_SHIM_WAIT_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    if (pthread_mutex_timedlock(mutex, &until)) {
        atomic_fetch_add(&n_unlocked_wakeups, 1);
        return real(cond);
    }
    atomic_fetch_add(&n_locked_wakeups, 1);
    int error = real(cond);
    pthread_mutex_unlock(mutex);
    return error;
}

int
pthread_cond_broadcast(pthread_cond_t *cond)
{
    return wake(cond, &real_broadcast);
}

int
pthread_cond_signal(pthread_cond_t *cond)
{
    return wake(cond, &real_signal);
}
