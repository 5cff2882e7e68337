/*
 * Copyright (c) 2026 The ovs-colo authors.
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

#ifndef COLO_COMPARE_H
#define COLO_COMPARE_H 1

/* The COLO comparator of one pair.
 *
 * Usage: create a comparator with the pair's options and a release
 * callback.  Hand it every packet of the primary VM's output and of the
 * secondary VM's output with colo_compare_input(); it owns them from then
 * on.  It calls the release callback, synchronously, for each primary
 * packet that may go to the client, in per-connection arrival order, and
 * frees secondary packets once compared.  Call colo_compare_run()
 * periodically (colo_compare_next_wakeup() says when), for timeouts and
 * expiry.
 *
 * When the comparator needs a checkpoint (different output, a primary
 * packet without counterpart after the compare timeout, a full queue or
 * connection table), it raises a request: colo_compare_get_request()
 * returns its number and reason.  Only one request is outstanding at a
 * time.  When the checkpoint has been taken, colo_compare_checkpoint_done()
 * releases every held primary packet, frees every secondary packet and
 * forgets the comparison state.
 *
 * Epochs.  A manager that knows when the VMs stop for a checkpoint (QEMU's
 * STOP event) says so with colo_compare_checkpoint_start(): packets held
 * then belong to the old epoch and are settled by the done as above, while
 * packets that come between the start and the done (the VMs resumed before
 * the manager could acknowledge) are compared after the done instead of
 * being flushed uncompared.  Nothing is compared across the boundary.
 *
 * Every primary packet is released exactly once: after comparison, at a
 * flush, when a full queue forces it out (counted), or when the comparator
 * is destroyed.
 *
 * Order.  Per connection, primary packets are released in the order they
 * were handed in, always: a packet is released only when every older
 * primary packet of its connection has been (TCP bytes compared beyond a
 * primary-side gap included; a full queue forces out the oldest).  A
 * connection that diverged releases nothing more until the flush; other
 * connections go on releasing their identical packets.  A flush releases
 * every held primary packet in arrival order, so at a checkpoint the held
 * packets come before any newer packet of their connection.  The caller
 * keeps that order on the way out (lib/colo/colo-dp.h, "Order").
 *
 * Thread safety: a comparator is not thread-safe.  Its user serializes all
 * calls on one comparator (for example with a per-pair mutex); the release
 * callback runs within those calls. */

#include <stdbool.h>
#include <stdint.h>
#include "colo/colo-config.h"
#include "colo/colo-stats.h"

struct dp_packet;
struct ds;
struct colo_compare;

/* The two sides of a comparison. */
enum colo_side {
    COLO_PRIMARY,               /* The PVM's output, held until compared. */
    COLO_SECONDARY,             /* The SVM's output, freed after use. */
};

/* Called with each primary packet that may go to the client; the callee
 * takes ownership of it. */
typedef void colo_release_cb(struct dp_packet *, void *aux);

struct colo_compare *colo_compare_create(const struct colo_options *,
                                         colo_release_cb *, void *aux);
void colo_compare_destroy(struct colo_compare *);
void colo_compare_set_options(struct colo_compare *,
                              const struct colo_options *);

void colo_compare_input(struct colo_compare *, enum colo_side,
                        struct dp_packet *, long long int now);
void colo_compare_run(struct colo_compare *, long long int now);
long long int colo_compare_next_wakeup(const struct colo_compare *);

bool colo_compare_get_request(const struct colo_compare *,
                              uint64_t *number, const char **reason);
void colo_compare_checkpoint_start(struct colo_compare *);
void colo_compare_checkpoint_done(struct colo_compare *);
void colo_compare_flush(struct colo_compare *);

void colo_compare_get_stats(const struct colo_compare *, struct colo_stats *);
void colo_compare_dump_conns(const struct colo_compare *, long long int now,
                             struct ds *);

#endif /* colo-compare.h */
