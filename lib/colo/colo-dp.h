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

#ifndef COLO_DP_H
#define COLO_DP_H 1

/* COLO pairs as the datapath sees them.
 *
 * This module owns the engines of every pair (the comparator on a primary
 * node, the TCP rewriter on a secondary node) and executes the COLO
 * datapath action, OVS_ACTION_ATTR_COLO, on them.  The control side
 * (vswitchd/colo-ctl.c) creates, configures and destroys pairs from the
 * COLO table, runs their timers, reads their checkpoint requests and
 * statistics and reports checkpoints done.  The datapath side (dpif-netdev)
 * calls colo_dp_execute() for each action and colo_dp_flush_released()
 * from its main-thread run function.
 *
 * Packets.  An action's packets belong to the pair until it lets them go:
 * the comparator releases primary packets after comparison or a flush; the
 * rewriter returns client packets held for an offset.  A packet that is let
 * go continues through the pipeline by recirculation with the recirc_id of
 * its action (see lib/colo/colo-xlate.inc); one without recirc_id is
 * dropped (counted).  Every held packet keeps a reference on its recirc_id
 * (see colo_dp_set_recirc_ops()), so it stays valid when its flow is
 * deleted or revalidated.
 *
 * Order.  Each pair has one release queue: every packet the pair lets go,
 * whoever lets it go (an action in a PMD thread or the main thread, a
 * checkpoint, a timeout, degraded mode, a reconfiguration, the pair's
 * removal), is appended to it, and at most one thread at a time delivers
 * the queue, from its head, and flushes its output ports before another
 * thread may deliver.  The comparator lets primary packets go in their
 * connection's arrival order (colo-compare.h), so a pair's primary packets
 * leave the node in the order the PVM sent them, per connection, whatever
 * the port types and the number of threads.  The thread that appends to an
 * idle queue delivers it before returning, so that an identical pair is
 * released at once; packets let go by the control side are delivered by
 * the next action on the pair or by the main thread's next
 * colo_dp_flush_released(), whichever comes first.
 *
 * Backpressure.  A queue is delivered in bursts of at most a quarter of the
 * smallest colo port send queue; while a colo port (other than a pair's
 * channel) has a half full send queue (netdev_colo_tx_congested()),
 * delivery pauses and resumes when it drains, so that a checkpoint flush
 * larger than an output port can take goes out over several iterations
 * instead of being dropped.  If the oldest packet has waited
 * COLO_DP_RELEASE_MAX_WAIT ms, or the queue holds more than four times the
 * pair's max-queue-bytes (a peer that stopped reading), delivery goes on
 * regardless; the port then drops and counts what does not fit, and the
 * pair counts 'release_overrun'.
 *
 * Direction.  A packet that entered the datapath on the pair's channel
 * interface came from the peer node: for colo_compare it is the secondary
 * side, for colo_rewrite it goes toward the SVM.  Any other input port is
 * the primary side (compare) or the SVM's output (rewrite).
 *
 * Degraded mode.  On a primary node whose channel is down, comparison
 * stops: held primary packets are released in order, new ones are released
 * uncompared and counted as 'unprotected', and the pair is "degraded".  When
 * the channel is back the pair requests a checkpoint (the secondary missed
 * traffic) and resumes comparison once it is done.
 *
 * Thread safety: every function may be called from any thread.  Each pair
 * has its own mutex; pairs are found by name through an RCU map.  Lock
 * order: colo_dp_list_mutex, then a pair's mutex, then a colo netdev's
 * mutex or OVS's netdev_mutex (netdev_ref() and netdev_close() of the ports
 * a pair notes and sizes).  Packets are recirculated without any of them
 * held.
 *
 * Fencing.  With option "fencing", a pair in primary or failover mode (the
 * modes whose output reaches clients) delivers what it lets go only while
 * it holds a lease, granted until a time of the monotonic clock by
 * colo_dp_pair_set_lease() (a manager that holds the pair's lease in a
 * quorum renews it); past that time the pair is "fenced": what it lets go
 * is dropped (counted in 'fenced_dropped').  A degraded primary is fenced
 * too unless its lease says "solo": releasing uncompared output makes the
 * secondary stale, so the quorum must first know that it may no longer
 * take over.  The time is checked by the
 * thread that delivers, burst by burst, so a pair stops serving when its
 * lease ends even if nothing renews it and the main thread is busy.
 *
 * Ports.  A pair notes the ports, its channel excepted, whose packets its
 * actions take (status "ports"), and colo_dp_run() gives each of those
 * that receives through AF_PACKET sockets the largest "port-rx-buffer" of
 * the pairs it carries. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "colo/colo-config.h"
#include "colo/colo-rewrite.h"
#include "colo/colo-stats.h"

struct dp_packet_batch;
struct ds;
struct netdev;
struct nlattr;
struct seq;
struct smap;

/* COLO_DP_STAT(MEMBER, DESCRIPTION): counters of the datapath glue. */
#define COLO_DP_STATS                                                       \
    COLO_DP_STAT(mirrored, "packets copied to the peer node")               \
    COLO_DP_STAT(unprotected,                                               \
                 "primary packets released uncompared: degraded/inactive")  \
    COLO_DP_STAT(release_dropped,                                           \
                 "released primary packets dropped: no table=N")            \
    COLO_DP_STAT(secondary_ignored,                                         \
                 "secondary packets dropped: degraded/inactive")            \
    COLO_DP_STAT(rewrite_passed, "packets through colo_rewrite")            \
    COLO_DP_STAT(degraded_episodes, "times the channel was lost")          \
    COLO_DP_STAT(release_paused,                                            \
                 "times delivery paused: an output port was congested")    \
    COLO_DP_STAT(release_overrun,                                           \
                 "bursts delivered to a port still congested after the "   \
                 "maximum wait")                                           \
    COLO_DP_STAT(release_queued, "packets let go, not yet delivered (now)") \
    COLO_DP_STAT(fenced_dropped,                                            \
                 "packets let go while fenced (no valid lease): dropped")

struct colo_dp_stats {
#define COLO_DP_STAT(MEMBER, DESCRIPTION) uint64_t MEMBER;
    COLO_DP_STATS
#undef COLO_DP_STAT
};

/* Everything a pair counts. */
struct colo_dp_pair_stats {
    struct colo_stats compare;          /* Comparator (primary mode). */
    struct colo_rewrite_stats rewrite;  /* Rewriter (secondary, failover). */
    struct colo_dp_stats dp;
};

/* One statistic of a pair: its key (in the COLO table's "statistics"
 * column and "colo/show"), where it is in struct colo_dp_pair_stats, and
 * what it counts.  The table of all of them is built from COLO_STATS,
 * COLO_REWRITE_STATS and COLO_DP_STATS. */
struct colo_stat_def {
    const char *key;
    size_t offset;              /* Of a uint64_t in colo_dp_pair_stats. */
    const char *description;
    bool rewrite;               /* The rewriter's (modes other than primary)
                                 * rather than the comparator's (primary);
                                 * meaningless if 'dp'. */
    bool dp;                    /* The datapath glue's (every mode). */
};

/* How many statistics there are, all modes together. */
#define COLO_DP_N_STATS \
    (sizeof (struct colo_dp_pair_stats) / sizeof (uint64_t))

size_t colo_dp_stat_defs(enum colo_mode, bool sorted,
                         const struct colo_stat_def *defs[COLO_DP_N_STATS]);
uint64_t colo_dp_stat_value(const struct colo_dp_pair_stats *,
                            const struct colo_stat_def *);

struct colo_dp_pair;

/* Control side. */
struct colo_dp_pair *colo_dp_pair_create(const char *name);
void colo_dp_pair_destroy(struct colo_dp_pair *);
void colo_dp_pair_configure(struct colo_dp_pair *, enum colo_mode,
                            const struct colo_options *,
                            const char *channel);
char *colo_dp_pair_get_request(struct colo_dp_pair *);
void colo_dp_pair_checkpoint_start(struct colo_dp_pair *);
void colo_dp_pair_checkpoint_done(struct colo_dp_pair *);
void colo_dp_pair_get_stats(struct colo_dp_pair *,
                            struct colo_dp_pair_stats *);
void colo_dp_pair_get_status(struct colo_dp_pair *, struct smap *);
void colo_dp_pair_dump_conns(struct colo_dp_pair *, struct ds *);
void colo_dp_pair_set_lease(struct colo_dp_pair *, long long int expiry,
                            bool solo);
bool colo_dp_pair_get_lease(struct colo_dp_pair *, long long int *expiry);

void colo_dp_run(void);
void colo_dp_wait(void);
struct seq *colo_dp_seq(void);

/* Recirculation ids: 'ref' takes a reference (false if the id is gone),
 * 'unref' drops it.  ofproto-dpif's translation sets them before it gives
 * a pair its first recirculation id (lib/colo/colo-xlate.inc); without
 * them (unit tests) ids are not referenced. */
void colo_dp_set_recirc_ops(bool (*ref)(uint32_t), void (*unref)(uint32_t));

/* How long, in ms, delivery waits for a congested output port at most. */
#define COLO_DP_RELEASE_MAX_WAIT 10000

/* Datapath side.  'dp' identifies the datapath (it is only compared).
 *
 * The datapath gives colo_dp_execute() and colo_dp_flush_released() its
 * functions, with its thread context in 'aux'.  'recirc' recirculates a
 * batch of packets (which carry their recirc_id) at recirculation depth
 * 'depth' + 1, or drops them if that is too deep; 'flush' sends what the
 * thread queued on its output ports; 'output' queues 'batch' (consumed) on
 * the thread's output batch of the datapath port whose netdev is 'netdev',
 * as an output action does, and returns true, or returns false, leaving
 * 'batch' alone, if no port of the datapath has that netdev.  '*hint' is
 * the caller's memory of the port (0 at first): tried first, and set to
 * the port found. */
struct colo_dp_recirc {
    void (*recirc)(struct dp_packet_batch *, unsigned int depth, void *aux);
    void (*flush)(void *aux);
    bool (*output)(struct dp_packet_batch *, const struct netdev *,
                   uint32_t *hint, void *aux);
    void *aux;
};
void colo_dp_execute(const void *dp, struct dp_packet_batch *,
                     bool should_steal, const struct nlattr *action,
                     const struct netdev *in_netdev, unsigned int depth,
                     const struct colo_dp_recirc *);
bool colo_dp_flush_released(const void *dp, const struct colo_dp_recirc *);
void colo_dp_wait_released(const void *dp);
size_t colo_dp_count_released(void);

#endif /* colo-dp.h */
