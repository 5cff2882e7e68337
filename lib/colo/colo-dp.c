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

#include <config.h>
#include "colo/colo-dp.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "cmap.h"
#include "colo/colo-compare.h"
#include "colo/colo-odp.h"
#include "colo/netdev-colo.h"
#include "coverage.h"
#include "dp-packet.h"
#include "hash.h"
#include "netdev.h"
#ifdef __linux__
#include "netdev-linux.h"
#endif
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/thread.h"
#include "openvswitch/vlog.h"
#include "ovs-rcu.h"
#include "seq.h"
#include "smap.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_dp);

COVERAGE_DEFINE(colo_dp_unknown_pair);
COVERAGE_DEFINE(colo_dp_bad_action);
COVERAGE_DEFINE(colo_dp_release_paused);
COVERAGE_DEFINE(colo_dp_mirror_batched);
COVERAGE_DEFINE(colo_dp_mirror_direct);

/* A packet a pair let go, waiting in its release queue. */
struct colo_release {
    struct dp_packet *pkt;
    const void *dp;             /* Datapath it came from. */
    uint32_t recirc_id;         /* Where it continues (0: dropped). */
    unsigned int depth;         /* Recirculation depth it was let go at. */
    long long int queued;       /* When it was let go, in ms. */
};

/* A pair's release queue: a ring of 'size' entries (a power of 2, or 0)
 * holding 'n' from 'head' on. */
struct colo_release_queue {
    struct colo_release *ring;
    size_t head, n, size;
    size_t bytes;               /* Bytes of the packets in it. */
};

static void
rq_push(struct colo_release_queue *q, const struct colo_release *r)
{
    if (q->n == q->size) {
        size_t size = q->size ? 2 * q->size : 64;
        struct colo_release *ring = xmalloc(size * sizeof *ring);

        for (size_t i = 0; i < q->n; i++) {
            ring[i] = q->ring[(q->head + i) & (q->size - 1)];
        }
        free(q->ring);
        q->ring = ring;
        q->head = 0;
        q->size = size;
    }
    q->ring[(q->head + q->n++) & (q->size - 1)] = *r;
    q->bytes += dp_packet_size(r->pkt);
}

static struct colo_release *
rq_front(const struct colo_release_queue *q)
{
    return q->n ? &q->ring[q->head] : NULL;
}

static void
rq_pop(struct colo_release_queue *q)
{
    q->bytes -= dp_packet_size(q->ring[q->head].pkt);
    q->head = (q->head + 1) & (q->size - 1);
    q->n--;
}

struct colo_dp_pair {
    /* In 'pairs' (by hash of 'name') and 'pair_list'; immutable. */
    struct cmap_node cmap_node;
    struct ovs_list list_node OVS_GUARDED_BY(colo_dp_list_mutex);
    char *name;

    /* Guards everything below. */
    struct ovs_mutex mutex;

    bool removed OVS_GUARDED;   /* colo_dp_pair_destroy() was called: the
                                 * pair goes once its queue is delivered. */
    enum colo_mode mode OVS_GUARDED;
    struct colo_options options OVS_GUARDED;
    char *channel_name OVS_GUARDED; /* Channel interface, or NULL. */
    struct netdev *channel OVS_GUARDED; /* Its netdev, once it exists. */
    uint32_t channel_port OVS_GUARDED;  /* Its datapath port, as last found
                                         * by the mirror ('hint' of struct
                                         * colo_dp_recirc's 'output'). */

    struct colo_compare *cmp OVS_GUARDED;   /* In primary mode. */
    struct colo_rewriter *rw OVS_GUARDED;   /* In secondary and failover. */
    struct netdev *svm_port OVS_GUARDED;    /* Where the SVM's output came
                                             * in (secondary mode), or NULL. */
    const void *dp OVS_GUARDED; /* Datapath of the last action, or NULL. */

    /* The ports, the channel excepted, whose packets the pair's actions
     * took: those that carry its traffic, whose receive buffers
     * colo_dp_run() sizes (option "port-rx-buffer"). */
    struct netdev **ports OVS_GUARDED;
    size_t n_ports OVS_GUARDED;

    /* Channel state and degraded mode (primary). */
    bool linked OVS_GUARDED;    /* Channel connected at the last look. */
    uint64_t n_connects OVS_GUARDED; /* Its connection count then. */
    bool degraded OVS_GUARDED;  /* Comparison suspended. */
    bool missed OVS_GUARDED;    /* The peer missed traffic while degraded:
                                 * a checkpoint must resynchronize it. */

    /* Fencing (see "Fencing" in colo-dp.h). */
    long long int lease_expiry OVS_GUARDED; /* Monotonic ms; LLONG_MIN
                                             * until a lease is granted. */
    bool solo OVS_GUARDED;      /* The lease lets a degraded primary
                                 * release uncompared output. */
    bool fenced OVS_GUARDED;    /* Fenced at the last colo_dp_run(). */

    /* Release queue (see "Order" in colo-dp.h). */
    struct colo_release_queue queue OVS_GUARDED;
    bool delivering OVS_GUARDED;    /* A thread is delivering 'queue'. */
    unsigned int depth OVS_GUARDED; /* Depth for packets let go now. */
    bool paused OVS_GUARDED;        /* Delivery waits for a congested port. */

    struct colo_dp_stats stats OVS_GUARDED;
};

/* Guards 'pair_list' and changes to 'pairs'.
 *
 * Lock order: colo_dp_list_mutex, then a pair's 'mutex', then the locks a
 * send on the channel takes (netdev-colo's colo_list_mutex and a channel's
 * mutex; dpif-netdev's tx port locks when the mirror's output batch is
 * flushed).  No lock is held while released packets are recirculated. */
static struct ovs_mutex colo_dp_list_mutex = OVS_MUTEX_INITIALIZER;

/* Every pair, removed ones included until their queue is delivered. */
static struct ovs_list pair_list OVS_GUARDED_BY(colo_dp_list_mutex)
    = OVS_LIST_INITIALIZER(&pair_list);

/* Every pair, by name, for the datapath threads (RCU). */
static struct cmap pairs = CMAP_INITIALIZER;

/* How many pairs in 'pair_list' are removed and not freed yet. */
static size_t n_removed OVS_GUARDED_BY(colo_dp_list_mutex);

/* Set when a pair's ports or their receive buffer option change, for
 * colo_dp_run() to size the ports' receive buffers again. */
static atomic_bool ports_changed = false;

/* A port whose receive buffer colo_dp_run() sized, and to what.  Only the
 * main thread uses 'sized_ports'. */
struct sized_port {
    struct netdev *netdev;
    int bytes;
};
static struct sized_port *sized_ports;
static size_t n_sized_ports;

/* Changes when a pair raises a checkpoint request or changes state, to
 * wake up the control side. */
struct seq *
colo_dp_seq(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;
    static struct seq *seq;

    if (ovsthread_once_start(&once)) {
        seq = seq_create();
        ovsthread_once_done(&once);
    }
    return seq;
}

static bool (*recirc_ref)(uint32_t);
static void (*recirc_unref)(uint32_t);

void
colo_dp_set_recirc_ops(bool (*ref)(uint32_t), void (*unref)(uint32_t))
{
    recirc_ref = ref;
    recirc_unref = unref;
}

/* Returns 'recirc_id' with a new reference taken on it, or 0 if it is 0 or
 * no longer exists. */
static uint32_t
take_recirc_ref(uint32_t recirc_id)
{
    return (!recirc_id || !recirc_ref || recirc_ref(recirc_id)
            ? recirc_id : 0);
}

/* A pair lets 'pkt' go: it joins the pair's release queue. */
static void
release_packet(struct colo_dp_pair *pair, struct dp_packet *pkt)
    OVS_REQUIRES(pair->mutex)
{
    struct colo_release r = {
        .pkt = pkt,
        .dp = pair->dp,
        .recirc_id = pkt->md.recirc_id,
        .depth = pair->depth,
        .queued = time_msec(),
    };

    rq_push(&pair->queue, &r);
}

static void
compare_release_cb(struct dp_packet *pkt, void *pair_)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    struct colo_dp_pair *pair = pair_;

    if (!pkt->md.recirc_id) {
        pair->stats.release_dropped++;
    }
    release_packet(pair, pkt);
}

static void
rewrite_release_cb(struct dp_packet *pkt,
                   enum colo_rewrite_dir dir OVS_UNUSED, void *pair_)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    release_packet(pair_, pkt);
}

/* Recirculates 'batch', whose packets were let go at 'depth', then drops
 * the references their recirculation ids held. */
static void
recirc_batch(struct dp_packet_batch *batch, unsigned int depth,
             uint32_t *ids, size_t n_ids, const struct colo_dp_recirc *rc)
{
    if (!dp_packet_batch_is_empty(batch)) {
        rc->recirc(batch, depth, rc->aux);
        dp_packet_batch_init(batch);
    }
    if (recirc_unref) {
        for (size_t i = 0; i < n_ids; i++) {
            recirc_unref(ids[i]);
        }
    }
}

/* Returns true if 'pair' must not deliver what it lets go at time 'now':
 * it fences, serves clients in its mode and its lease is over. */
static bool
pair_is_fenced(const struct colo_dp_pair *pair, long long int now)
    OVS_REQUIRES(pair->mutex)
{
    return (pair->options.fencing
            && (pair->mode == COLO_MODE_PRIMARY
                || pair->mode == COLO_MODE_FAILOVER)
            && (now >= pair->lease_expiry
                || (pair->mode == COLO_MODE_PRIMARY && pair->degraded
                    && !pair->solo)));
}

/* Returns true if the head of 'pair''s queue may be delivered now by a
 * thread of datapath 'dp'; if it must wait for a congested port, notes it
 * in 'pair->paused'. */
static bool
pair_may_deliver(struct colo_dp_pair *pair, const void *dp)
    OVS_REQUIRES(pair->mutex)
{
    const struct colo_release *r = rq_front(&pair->queue);

    if (!r || r->dp != dp) {
        return false;
    }
    if (netdev_colo_tx_congested()) {
        long long int waited = time_msec() - r->queued;
        size_t max_bytes = 4 * pair->options.max_queue_bytes;

        if (waited < COLO_DP_RELEASE_MAX_WAIT
            && pair->queue.bytes <= max_bytes) {
            if (!pair->paused) {
                pair->paused = true;
                pair->stats.release_paused++;
                COVERAGE_INC(colo_dp_release_paused);
            }
            return false;
        }
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
        pair->stats.release_overrun++;
        VLOG_WARN_RL(&rl, "COLO pair %s: an output port is congested, but "
                     "the oldest released packet has waited %lld ms and "
                     "%"PRIuSIZE" bytes are queued (at most %d ms and %"
                     PRIuSIZE" bytes): they go on regardless (the port "
                     "counts those it drops in tx_dropped)", pair->name,
                     waited, pair->queue.bytes, COLO_DP_RELEASE_MAX_WAIT,
                     max_bytes);
    }
    pair->paused = false;
    return true;
}

/* Delivers 'pair''s release queue, from its head, in 'dp''s thread whose
 * context is in 'rc', for as long as it may, in bursts that fit an output
 * port, flushes the thread's output ports, then stops delivering
 * ('pair->delivering' is false on return).  The caller made itself the
 * deliverer ('pair->delivering' true) and holds no lock.  Gives up after a
 * few bursts, so that one thread cannot be kept delivering for others
 * forever; whoever appends next, or the main thread, goes on. */
static void
pair_deliver(struct colo_dp_pair *pair, const void *dp,
             const struct colo_dp_recirc *rc)
    OVS_EXCLUDED(pair->mutex)
{
    uint32_t ids[NETDEV_MAX_BURST];
    struct dp_packet_batch batch;
    bool unflushed = false;
    int bursts = 0;

    dp_packet_batch_init(&batch);
    for (;;) {
        size_t max_bytes = netdev_colo_burst_bytes();
        unsigned int depth = 0;
        size_t n_ids = 0;
        size_t bytes = 0;

        ovs_mutex_lock(&pair->mutex);
        bool more = bursts < 64 && pair_may_deliver(pair, dp);
        if (!more && !unflushed) {
            pair->delivering = false;
            ovs_mutex_unlock(&pair->mutex);
            return;
        }
        if (more) {
            bool fenced = (pair->options.fencing
                           && pair_is_fenced(pair, time_msec()));

            depth = rq_front(&pair->queue)->depth;
            for (struct colo_release *r = rq_front(&pair->queue);
                 r && r->dp == dp && r->depth == depth
                 && !dp_packet_batch_is_full(&batch)
                 && n_ids < NETDEV_MAX_BURST;
                 r = rq_front(&pair->queue)) {
                struct dp_packet *pkt = r->pkt;
                uint32_t recirc_id = r->recirc_id;
                size_t size = dp_packet_size(pkt);

                if (bytes && bytes + size > max_bytes) {
                    break;
                }
                bytes += size;
                rq_pop(&pair->queue);   /* Reads 'pkt': before any free. */
                if (fenced) {
                    pair->stats.fenced_dropped++;
                    if (recirc_id) {
                        ids[n_ids++] = recirc_id;
                    }
                    dp_packet_delete(pkt);
                } else if (recirc_id) {
                    pkt->md.recirc_id = recirc_id;
                    ids[n_ids++] = recirc_id;
                    dp_packet_batch_add(&batch, pkt);
                } else {
                    dp_packet_delete(pkt);
                }
            }
        }
        ovs_mutex_unlock(&pair->mutex);

        if (more) {
            recirc_batch(&batch, depth, ids, n_ids, rc);
            unflushed = true;
            bursts++;
        } else {
            /* Before another thread may deliver: what this one queued on
             * its output ports must leave first. */
            if (rc->flush) {
                rc->flush(rc->aux);
            }
            unflushed = false;
        }
    }
}

/* If 'pair' has packets to deliver in datapath 'dp' and no thread
 * delivers them, delivers them in this thread. */
static void
pair_try_deliver(struct colo_dp_pair *pair, const void *dp,
                 const struct colo_dp_recirc *rc)
    OVS_EXCLUDED(pair->mutex)
{
    bool deliver;

    ovs_mutex_lock(&pair->mutex);
    deliver = (!pair->delivering && pair->queue.n
               && rq_front(&pair->queue)->dp == dp);
    if (deliver) {
        pair->delivering = true;
    }
    ovs_mutex_unlock(&pair->mutex);
    if (deliver) {
        pair_deliver(pair, dp, rc);
    }
}

static struct colo_dp_pair *
pair_find(const char *name)
{
    struct colo_dp_pair *pair;

    CMAP_FOR_EACH_WITH_HASH (pair, cmap_node, hash_string(name, 0),
                             &pairs) {
        if (!strcmp(pair->name, name)) {
            return pair;
        }
    }
    return NULL;
}

/* Makes 'pair->channel' the netdev named 'pair->channel_name', if it
 * exists.  The pair never creates it: the bridge does. */
static void
pair_refresh_channel(struct colo_dp_pair *pair) OVS_REQUIRES(pair->mutex)
{
    struct netdev *netdev = (pair->channel_name
                             ? netdev_colo_find_channel(pair->channel_name)
                             : NULL);

    if (netdev != pair->channel) {
        if (pair->channel) {
            netdev_colo_set_gating(pair->channel, true);
            netdev_close(pair->channel);
        }
        if (netdev) {
            netdev_colo_set_gating(netdev, false);
        }
        pair->channel = netdev;
    } else {
        netdev_close(netdev);
    }
}

/* Looks at the channel and moves a primary pair in or out of degraded
 * mode. */
static void
pair_update_link(struct colo_dp_pair *pair) OVS_REQUIRES(pair->mutex)
{
    bool connected = false;
    uint64_t n_connects = pair->n_connects;

    if (pair->channel
        && !netdev_colo_get_link(pair->channel, &connected, &n_connects)) {
        /* Not a colo channel: nothing tells us it is down. */
        connected = true;
    }

    if (pair->cmp) {
        bool flapped = n_connects != pair->n_connects;

        if (!pair->degraded && (!connected || flapped)) {
            pair->degraded = true;
            pair->missed = flapped;
            if (n_connects || flapped) {
                pair->stats.degraded_episodes++;
                VLOG_WARN("COLO pair %s: channel to the secondary %s; "
                          "primary output is released uncompared until the "
                          "pair is resynchronized", pair->name,
                          connected ? "reconnected" : "is down");
            } else {
                VLOG_INFO("COLO pair %s: waiting for the channel to the "
                          "secondary; primary output is released uncompared "
                          "until it connects", pair->name);
            }
            colo_compare_flush(pair->cmp);
            seq_change(colo_dp_seq());
        }
        if (pair->degraded && connected && !pair->missed) {
            pair->degraded = false;
            seq_change(colo_dp_seq());
            VLOG_INFO("COLO pair %s: channel to the secondary is up; "
                      "comparison resumes", pair->name);
        }
    }
    pair->linked = connected;
    pair->n_connects = n_connects;
}

/* Creates the pair named 'name', or, if a removed pair of that name still
 * delivers its last packets, takes it back (so that its packets keep their
 * place ahead of the new pair's). */
struct colo_dp_pair *
colo_dp_pair_create(const char *name)
{
    struct colo_dp_pair *pair;

    ovs_mutex_lock(&colo_dp_list_mutex);
    pair = pair_find(name);
    if (pair) {
        ovs_mutex_lock(&pair->mutex);
        ovs_assert(pair->removed);
        pair->removed = false;
        n_removed--;
        ovs_mutex_unlock(&pair->mutex);
    } else {
        pair = xzalloc(sizeof *pair);
        pair->name = xstrdup(name);
        ovs_mutex_init(&pair->mutex);
        pair->mode = COLO_MODE_DISABLED;
        pair->lease_expiry = LLONG_MIN;
        colo_options_init(&pair->options);
        ovs_list_push_back(&pair_list, &pair->list_node);
        cmap_insert(&pairs, &pair->cmap_node, hash_string(name, 0));
    }
    ovs_mutex_unlock(&colo_dp_list_mutex);
    return pair;
}

static void
pair_free(struct colo_dp_pair *pair)
{
    free(pair->queue.ring);
    ovs_mutex_destroy(&pair->mutex);
    free(pair->name);
    free(pair);
}

/* Frees the removed pairs whose queue has been delivered. */
static void
pairs_collect(void) OVS_REQUIRES(colo_dp_list_mutex)
{
    struct colo_dp_pair *pair;

    LIST_FOR_EACH_SAFE (pair, list_node, &pair_list) {
        ovs_mutex_lock(&pair->mutex);
        bool done = pair->removed && !pair->queue.n && !pair->delivering;
        ovs_mutex_unlock(&pair->mutex);
        if (done) {
            n_removed--;
            ovs_list_remove(&pair->list_node);
            cmap_remove(&pairs, &pair->cmap_node, hash_string(pair->name, 0));
            ovsrcu_postpone(pair_free, pair);
        }
    }
}

/* Removes 'pair'.  The primary packets it holds are released, so that none
 * is lost: the pair lives on, inactive, until they are delivered. */
void
colo_dp_pair_destroy(struct colo_dp_pair *pair)
{
    if (!pair) {
        return;
    }
    ovs_mutex_lock(&colo_dp_list_mutex);
    ovs_mutex_lock(&pair->mutex);
    pair->removed = true;
    n_removed++;
    pair->mode = COLO_MODE_DISABLED;
    colo_compare_destroy(pair->cmp);
    pair->cmp = NULL;
    colo_rewriter_destroy(pair->rw);
    pair->rw = NULL;
    if (pair->channel) {
        netdev_colo_set_gating(pair->channel, true);
        netdev_close(pair->channel);
        pair->channel = NULL;
    }
    free(pair->channel_name);
    pair->channel_name = NULL;
    netdev_close(pair->svm_port);
    pair->svm_port = NULL;
    for (size_t i = 0; i < pair->n_ports; i++) {
        netdev_close(pair->ports[i]);
    }
    free(pair->ports);
    pair->ports = NULL;
    pair->n_ports = 0;
    atomic_store_relaxed(&ports_changed, true);
    pair->degraded = pair->missed = false;
    pair->lease_expiry = LLONG_MIN;
    pair->solo = false;
    pair->fenced = false;
    memset(&pair->stats, 0, sizeof pair->stats);
    ovs_mutex_unlock(&pair->mutex);
    pairs_collect();
    ovs_mutex_unlock(&colo_dp_list_mutex);
}

/* Gives 'pair' its mode, options and channel interface name.  Changing the
 * mode creates and destroys engines (destroying one releases what it
 * holds). */
void
colo_dp_pair_configure(struct colo_dp_pair *pair, enum colo_mode mode,
                       const struct colo_options *options,
                       const char *channel)
{
    ovs_mutex_lock(&pair->mutex);
    if (!channel || !pair->channel_name
        || strcmp(channel, pair->channel_name)) {
        free(pair->channel_name);
        pair->channel_name = nullable_xstrdup(channel);
    }
    pair_refresh_channel(pair);

    pair->depth = 0;
    if (mode != COLO_MODE_PRIMARY && pair->cmp) {
        colo_compare_destroy(pair->cmp);
        pair->cmp = NULL;
    }
    if (mode != COLO_MODE_SECONDARY && mode != COLO_MODE_FAILOVER
        && pair->rw) {
        colo_rewriter_destroy(pair->rw);
        pair->rw = NULL;
    }
    if (mode == COLO_MODE_PRIMARY && !pair->cmp) {
        pair->cmp = colo_compare_create(options, compare_release_cb, pair);
        pair->degraded = false;
        pair->missed = false;
        if (pair->channel) {
            netdev_colo_get_link(pair->channel, &pair->linked,
                                 &pair->n_connects);
        }
    } else if (pair->cmp) {
        colo_compare_set_options(pair->cmp, options);
    }
    if ((mode == COLO_MODE_SECONDARY || mode == COLO_MODE_FAILOVER)
        && !pair->rw) {
        pair->rw = colo_rewriter_create(options, rewrite_release_cb, pair);
    } else if (pair->rw) {
        colo_rewriter_set_options(pair->rw, options);
    }
    if (pair->rw) {
        colo_rewriter_set_failover(pair->rw, mode == COLO_MODE_FAILOVER);
    }
    pair->mode = mode;
    if (pair->options.port_rx_buffer != options->port_rx_buffer) {
        atomic_store_relaxed(&ports_changed, true);
    }
    pair->options = *options;
    pair_update_link(pair);
    ovs_mutex_unlock(&pair->mutex);
}

/* Returns a malloc'd reason if 'pair' needs a checkpoint, otherwise NULL.
 * The request stays outstanding until colo_dp_pair_checkpoint_done(). */
char *
colo_dp_pair_get_request(struct colo_dp_pair *pair)
{
    char *reason = NULL;
    const char *cmp_reason;
    uint64_t number;

    ovs_mutex_lock(&pair->mutex);
    if (pair->cmp && colo_compare_get_request(pair->cmp, &number,
                                              &cmp_reason)) {
        reason = xstrdup(cmp_reason);
    } else if (pair->cmp && pair->degraded && pair->missed && pair->linked) {
        reason = xasprintf("channel to the secondary restored after %"PRIu64
                           " primary packets went uncompared: the secondary "
                           "must be resynchronized",
                           pair->stats.unprotected);
    }
    ovs_mutex_unlock(&pair->mutex);
    return reason;
}

/* A checkpoint started (the VMs stopped for it): the comparator closes its
 * epoch and the rewriter sets its offsets to 0 (see
 * colo_compare_checkpoint_start() and colo_rewriter_checkpoint_start()).
 * A degraded pair waits for the done. */
void
colo_dp_pair_checkpoint_start(struct colo_dp_pair *pair)
{
    ovs_mutex_lock(&pair->mutex);
    if (pair->cmp && !pair->degraded) {
        colo_compare_checkpoint_start(pair->cmp);
    }
    if (pair->rw) {
        colo_rewriter_checkpoint_start(pair->rw);
    }
    ovs_mutex_unlock(&pair->mutex);
}

/* A checkpoint was taken: the comparator flushes, the rewriter forgets its
 * offsets, and a degraded pair whose channel is up resumes comparison. */
void
colo_dp_pair_checkpoint_done(struct colo_dp_pair *pair)
{
    ovs_mutex_lock(&pair->mutex);
    pair->depth = 0;
    if (pair->cmp) {
        colo_compare_checkpoint_done(pair->cmp);
        pair_update_link(pair);
        if (pair->degraded && pair->linked) {
            pair->degraded = false;
            pair->missed = false;
            VLOG_INFO("COLO pair %s: resynchronized; comparison resumes",
                      pair->name);
        }
    }
    if (pair->rw) {
        colo_rewriter_checkpoint_done(pair->rw);
    }
    ovs_mutex_unlock(&pair->mutex);
}

/* Every statistic, in the order "colo/show" prints them. */
static const struct colo_stat_def stat_defs[] = {
#define COLO_STAT(MEMBER, DESCRIPTION)                                      \
    { #MEMBER, offsetof(struct colo_dp_pair_stats, compare.MEMBER),         \
      DESCRIPTION, false, false },
    COLO_STATS
#undef COLO_STAT
#define COLO_REWRITE_STAT(MEMBER, DESCRIPTION)                              \
    { "rewrite_" #MEMBER, offsetof(struct colo_dp_pair_stats, rewrite.MEMBER),\
      DESCRIPTION, true, false },
    COLO_REWRITE_STATS
#undef COLO_REWRITE_STAT
#define COLO_DP_STAT(MEMBER, DESCRIPTION)                                   \
    { #MEMBER, offsetof(struct colo_dp_pair_stats, dp.MEMBER),              \
      DESCRIPTION, false, true },
    COLO_DP_STATS
#undef COLO_DP_STAT
};
BUILD_ASSERT_DECL(ARRAY_SIZE(stat_defs) == COLO_DP_N_STATS);

static int
compare_stat_defs_by_key(const void *a_, const void *b_)
{
    const struct colo_stat_def *const *a = a_;
    const struct colo_stat_def *const *b = b_;

    return strcmp((*a)->key, (*b)->key);
}

/* Stores in 'defs' the statistics that a pair in 'mode' has (the
 * comparator's in primary mode, the rewriter's in the others, and the
 * datapath glue's), in the order of "colo/show" or, if 'sorted', of their
 * keys (the order of the database's map), and returns how many. */
size_t
colo_dp_stat_defs(enum colo_mode mode, bool sorted,
                  const struct colo_stat_def *defs[COLO_DP_N_STATS])
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;
    static const struct colo_stat_def *by_key[COLO_DP_N_STATS];
    bool rewrite = mode != COLO_MODE_PRIMARY;
    size_t n = 0;

    if (ovsthread_once_start(&once)) {
        for (size_t i = 0; i < COLO_DP_N_STATS; i++) {
            by_key[i] = &stat_defs[i];
        }
        qsort(by_key, COLO_DP_N_STATS, sizeof *by_key,
              compare_stat_defs_by_key);
        ovsthread_once_done(&once);
    }
    for (size_t i = 0; i < COLO_DP_N_STATS; i++) {
        const struct colo_stat_def *def = sorted ? by_key[i] : &stat_defs[i];

        if (def->dp || (def->rewrite == rewrite
                        && mode != COLO_MODE_DISABLED)) {
            defs[n++] = def;
        }
    }
    return n;
}

uint64_t
colo_dp_stat_value(const struct colo_dp_pair_stats *stats,
                   const struct colo_stat_def *def)
{
    uint64_t value;

    memcpy(&value, (const char *) stats + def->offset, sizeof value);
    return value;
}

void
colo_dp_pair_get_stats(struct colo_dp_pair *pair,
                       struct colo_dp_pair_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    ovs_mutex_lock(&pair->mutex);
    if (pair->cmp) {
        colo_compare_get_stats(pair->cmp, &stats->compare);
    }
    if (pair->rw) {
        colo_rewriter_get_stats(pair->rw, &stats->rewrite);
    }
    stats->dp = pair->stats;
    stats->dp.release_queued = pair->queue.n;
    ovs_mutex_unlock(&pair->mutex);
}

/* Adds the channel state and, for a primary pair, whether it is degraded
 * to 'status'. */
void
colo_dp_pair_get_status(struct colo_dp_pair *pair, struct smap *status)
{
    ovs_mutex_lock(&pair->mutex);
    if (pair->channel_name) {
        bool connected = false;
        uint64_t n_connects;

        smap_add(status, "channel_state",
                 !pair->channel ? "missing"
                 : !netdev_colo_get_link(pair->channel, &connected,
                                         &n_connects) ? "unknown"
                 : connected ? "connected" : "disconnected");

        struct netdev_colo_heartbeat hb;
        if (pair->channel && netdev_colo_get_heartbeat(pair->channel, &hb)
            && hb.interval) {
            /* What changes on every heartbeat stays out of the database;
             * the last time heard is frozen once the peer is not alive. */
            bool alive = connected;
            smap_add(status, "peer",
                     alive ? "alive" : hb.lost ? "lost" : "down");
            if (!alive && hb.last_heard) {
                smap_add_nocopy(status, xstrdup("peer_last_heard"),
                                xastrftime_msec("%Y-%m-%dT%H:%M:%S.###Z",
                                                hb.last_heard, true));
            }
            smap_add_format(status, "heartbeat_losses", "%"PRIu64,
                            hb.losses);
        }
    }
    if (pair->n_ports) {
        struct sset names = SSET_INITIALIZER(&names);

        for (size_t i = 0; i < pair->n_ports; i++) {
            sset_add(&names, netdev_get_name(pair->ports[i]));
        }
        smap_add_nocopy(status, xstrdup("ports"),
                        sset_join(&names, ",", ""));
        sset_destroy(&names);
    }
    if (pair->options.fencing
        && (pair->mode == COLO_MODE_PRIMARY
            || pair->mode == COLO_MODE_FAILOVER)) {
        smap_add(status, "fenced",
                 pair_is_fenced(pair, time_msec()) ? "true" : "false");
    }
    if (pair->cmp) {
        smap_add(status, "degraded", pair->degraded ? "true" : "false");
        if (pair->degraded && pair->missed) {
            smap_add(status, "resync", "needed");
        }
    }
    ovs_mutex_unlock(&pair->mutex);
}

void
colo_dp_pair_dump_conns(struct colo_dp_pair *pair, struct ds *s)
{
    ovs_mutex_lock(&pair->mutex);
    if (pair->cmp) {
        colo_compare_dump_conns(pair->cmp, time_msec(), s);
    } else {
        ds_put_format(s, "no comparator (mode %s)\n",
                      colo_mode_to_string(pair->mode));
    }
    if (pair->queue.n) {
        ds_put_format(s, "release queue: %"PRIuSIZE" packets%s\n",
                      pair->queue.n,
                      pair->paused ? " (paused: output congested)" : "");
    }
    ovs_mutex_unlock(&pair->mutex);
}

/* Grants 'pair' a lease until 'expiry' (a time of the monotonic clock, as
 * time_msec() tells it), or takes it back (an expiry in the past).  See
 * "Fencing" in colo-dp.h. */
void
colo_dp_pair_set_lease(struct colo_dp_pair *pair, long long int expiry,
                       bool solo)
{
    ovs_mutex_lock(&pair->mutex);
    pair->lease_expiry = expiry;
    pair->solo = solo;
    ovs_mutex_unlock(&pair->mutex);
    seq_change(colo_dp_seq());
}

/* Stores in '*expiry' the end of 'pair''s lease (LLONG_MIN if none was
 * ever granted) and returns true if the pair is fenced now. */
bool
colo_dp_pair_get_lease(struct colo_dp_pair *pair, long long int *expiry)
{
    bool fenced;

    ovs_mutex_lock(&pair->mutex);
    *expiry = pair->lease_expiry;
    fenced = pair_is_fenced(pair, time_msec());
    ovs_mutex_unlock(&pair->mutex);
    return fenced;
}

/* Logs a change of 'pair''s fencing at time 'now'. */
static void
pair_update_fence(struct colo_dp_pair *pair, long long int now)
    OVS_REQUIRES(pair->mutex)
{
    bool fenced = pair_is_fenced(pair, now);

    if (fenced != pair->fenced) {
        pair->fenced = fenced;
        if (!fenced) {
            VLOG_INFO("COLO pair %s: lease granted for %lld ms%s: serving",
                      pair->name, pair->lease_expiry - now,
                      pair->degraded ? ", alone" : "");
        } else if (now < pair->lease_expiry) {
            VLOG_WARN("COLO pair %s: fenced: degraded, and the lease does "
                      "not let the pair run alone (the secondary could still "
                      "take over); what the pair lets go is dropped",
                      pair->name);
        } else if (pair->lease_expiry == LLONG_MIN) {
            VLOG_WARN("COLO pair %s: fenced: no lease granted yet; what the "
                      "pair lets go is dropped", pair->name);
        } else {
            VLOG_WARN("COLO pair %s: fenced: the lease ended %lld ms ago; "
                      "what the pair lets go is dropped", pair->name,
                      now - pair->lease_expiry);
        }
        seq_change(colo_dp_seq());
    }
}

/* Asks for receive buffer 'bytes' on 'netdev', if it has AF_PACKET
 * receive sockets (system and internal ports). */
static void
size_port(struct netdev *netdev, int bytes)
{
#ifdef __linux__
    netdev_linux_set_rx_buffer(netdev, bytes);
#else
    (void) netdev;
    (void) bytes;
#endif
}

/* Sizes the receive buffers of the ports that carry pairs: each gets the
 * largest "port-rx-buffer" among the pairs it carries.  A burst from a VM
 * that overflows a buffer loses segments that only the VM's retransmission
 * timeout brings back, far slower for a compared connection than for a
 * plain one.  A port that no longer carries a pair gets the system's
 * default back. */
static void
size_ports(void) OVS_REQUIRES(colo_dp_list_mutex)
{
    struct sized_port *want = NULL;
    size_t n_want = 0, allocated = 0;
    struct colo_dp_pair *pair;

    LIST_FOR_EACH (pair, list_node, &pair_list) {
        ovs_mutex_lock(&pair->mutex);
        for (size_t i = 0; i < pair->n_ports; i++) {
            int bytes = pair->options.port_rx_buffer;
            size_t j;

            for (j = 0; j < n_want; j++) {
                if (want[j].netdev == pair->ports[i]) {
                    want[j].bytes = MAX(want[j].bytes, bytes);
                    break;
                }
            }
            if (j == n_want) {
                if (n_want == allocated) {
                    want = x2nrealloc(want, &allocated, sizeof *want);
                }
                want[n_want].netdev = netdev_ref(pair->ports[i]);
                want[n_want++].bytes = bytes;
            }
        }
        ovs_mutex_unlock(&pair->mutex);
    }

    for (size_t i = 0; i < n_sized_ports; i++) {
        struct netdev *netdev = sized_ports[i].netdev;
        bool kept = false;

        for (size_t j = 0; j < n_want && !kept; j++) {
            kept = want[j].netdev == netdev;
        }
        if (!kept) {
            size_port(netdev, 0);
        }
        netdev_close(netdev);
    }
    for (size_t i = 0; i < n_want; i++) {
        size_port(want[i].netdev, want[i].bytes);
    }
    free(sized_ports);
    sized_ports = want;
    n_sized_ports = n_want;
}

/* Runs the pairs' timers (compare timeouts, expiry, rewriter holds) and
 * watches their channels.  Packets let go here wait for their datapath. */
void
colo_dp_run(void)
{
    long long int now = time_msec();
    struct colo_dp_pair *pair;
    bool changed;

    ovs_mutex_lock(&colo_dp_list_mutex);
    atomic_read_relaxed(&ports_changed, &changed);
    if (changed) {
        atomic_store_relaxed(&ports_changed, false);
        size_ports();
    }
    LIST_FOR_EACH (pair, list_node, &pair_list) {
        ovs_mutex_lock(&pair->mutex);
        pair->depth = 0;
        pair_refresh_channel(pair);
        pair_update_link(pair);
        pair_update_fence(pair, now);
        if (pair->cmp) {
            colo_compare_run(pair->cmp, now);
        }
        if (pair->rw) {
            colo_rewriter_run(pair->rw, now);
        }
        ovs_mutex_unlock(&pair->mutex);
    }
    ovs_mutex_unlock(&colo_dp_list_mutex);
}

void
colo_dp_wait(void)
{
    struct colo_dp_pair *pair;

    ovs_mutex_lock(&colo_dp_list_mutex);
    LIST_FOR_EACH (pair, list_node, &pair_list) {
        ovs_mutex_lock(&pair->mutex);
        if (!pair->fenced && pair_is_fenced(pair, LLONG_MAX)) {
            poll_timer_wait_until(pair->lease_expiry);
        }
        if (pair->cmp) {
            long long int next = colo_compare_next_wakeup(pair->cmp);
            long long int scan = time_msec() + pair->options.scan_period;

            poll_timer_wait_until(MIN(next, scan));
        } else if (pair->rw) {
            poll_timer_wait(pair->options.scan_period);
        }
        ovs_mutex_unlock(&pair->mutex);
    }
    ovs_mutex_unlock(&colo_dp_list_mutex);
}

/* Remembers that 'in_netdev' carries 'pair''s traffic. */
static void
pair_note_port(struct colo_dp_pair *pair, const struct netdev *in_netdev)
    OVS_REQUIRES(pair->mutex)
{
    if (!in_netdev || in_netdev == pair->channel) {
        return;
    }
    for (size_t i = 0; i < pair->n_ports; i++) {
        if (pair->ports[i] == in_netdev) {
            return;
        }
    }
    pair->ports = xrealloc(pair->ports,
                           (pair->n_ports + 1) * sizeof *pair->ports);
    pair->ports[pair->n_ports++] = netdev_ref(in_netdev);
    atomic_store_relaxed(&ports_changed, true);
    seq_change(colo_dp_seq());
}

static bool
pair_has_request(const struct colo_dp_pair *pair) OVS_REQUIRES(pair->mutex)
{
    const char *reason;
    uint64_t number;

    return (pair->cmp
            && (colo_compare_get_request(pair->cmp, &number, &reason)
                || (pair->degraded && pair->missed && pair->linked)));
}

/* Sends a copy of 'batch' to the peer on 'pair''s channel: through the
 * datapath's output batching on the channel's port, as an output action
 * would ('rc'), or straight to the channel if the datapath has no such
 * port. */
static void
execute_mirror(struct colo_dp_pair *pair, struct dp_packet_batch *batch,
               const struct colo_dp_recirc *rc)
    OVS_REQUIRES(pair->mutex)
{
    if (!pair->channel || pair->mode == COLO_MODE_DISABLED
        || pair->mode == COLO_MODE_FAILOVER) {
        return;
    }

    struct dp_packet_batch copy;
    dp_packet_batch_clone(&copy, batch);
    pair->stats.mirrored += dp_packet_batch_size(&copy);
    if (pair->cmp && !pair->linked) {
        pair->missed = true;
    }
    size_t n = dp_packet_batch_size(&copy);
    if (rc->output
        && rc->output(&copy, pair->channel, &pair->channel_port, rc->aux)) {
        COVERAGE_ADD(colo_dp_mirror_batched, n);
    } else {
        COVERAGE_ADD(colo_dp_mirror_direct, n);
        netdev_send(pair->channel, 0, &copy, true);
    }
}

static void
execute_compare(struct colo_dp_pair *pair, struct dp_packet *pkt,
                bool from_peer, uint32_t recirc_id, long long int now)
    OVS_REQUIRES(pair->mutex)
{
    bool comparing = pair->cmp && !pair->degraded;

    if (from_peer) {
        pkt->md.recirc_id = 0;
        if (comparing) {
            colo_compare_input(pair->cmp, COLO_SECONDARY, pkt, now);
        } else {
            pair->stats.secondary_ignored++;
            dp_packet_delete(pkt);
        }
    } else {
        pkt->md.recirc_id = take_recirc_ref(recirc_id);
        if (comparing) {
            colo_compare_input(pair->cmp, COLO_PRIMARY, pkt, now);
        } else {
            pair->stats.unprotected++;
            if (pair->cmp) {
                pair->missed = true;
            }
            compare_release_cb(pkt, pair);
        }
    }
}

/* Returns the direction of a packet through 'pair''s rewriter.  In
 * secondary mode a packet from the channel goes to the SVM and any other is
 * the SVM's output, whose input port is remembered; in failover mode the
 * channel is gone and that port tells the SVM's output from the
 * clients'. */
static enum colo_rewrite_dir
rewrite_direction(struct colo_dp_pair *pair, bool from_peer,
                  const struct netdev *in_netdev)
    OVS_REQUIRES(pair->mutex)
{
    if (pair->mode == COLO_MODE_FAILOVER) {
        return (pair->svm_port && in_netdev == pair->svm_port
                ? COLO_FROM_SVM : COLO_TO_SVM);
    }
    if (!from_peer && in_netdev && in_netdev != pair->svm_port) {
        netdev_close(pair->svm_port);
        pair->svm_port = netdev_ref(in_netdev);
    }
    return from_peer ? COLO_TO_SVM : COLO_FROM_SVM;
}

static void
execute_rewrite(struct colo_dp_pair *pair, struct dp_packet *pkt,
                bool from_peer, const struct netdev *in_netdev,
                uint32_t recirc_id, long long int now)
    OVS_REQUIRES(pair->mutex)
{
    pkt->md.recirc_id = take_recirc_ref(recirc_id);
    if (pair->rw) {
        enum colo_rewrite_dir dir = rewrite_direction(pair, from_peer,
                                                      in_netdev);

        pair->stats.rewrite_passed++;
        if (colo_rewriter_process(pair->rw, dir, pkt, now)
            == COLO_REWRITE_HELD) {
            return;
        }
    }
    release_packet(pair, pkt);
}

/* Continues 'batch' (an action on no known pair) at once, unprotected. */
static void
execute_unknown(struct dp_packet_batch *batch, uint32_t recirc_id,
                unsigned int depth, const struct colo_dp_recirc *rc)
{
    struct dp_packet *pkt;

    if (!recirc_id || !take_recirc_ref(recirc_id)) {
        dp_packet_delete_batch(batch, true);
        return;
    }
    DP_PACKET_BATCH_FOR_EACH (i, pkt, batch) {
        pkt->md.recirc_id = recirc_id;
    }
    recirc_batch(batch, depth, &recirc_id, 1, rc);
}

/* Executes OVS_ACTION_ATTR_COLO 'action' on 'batch', whose packets entered
 * datapath 'dp' on 'in_netdev' (NULL if unknown), at recirculation depth
 * 'depth'.  Packets the pair lets go join its release queue; if no other
 * thread is delivering it, this one does, through 'rc', before returning.
 * If 'should_steal', the call consumes the packets of 'batch'. */
void
colo_dp_execute(const void *dp, struct dp_packet_batch *batch,
                bool should_steal, const struct nlattr *action,
                const struct netdev *in_netdev, unsigned int depth,
                const struct colo_dp_recirc *rc)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct colo_odp_action act;

    if (colo_odp_parse_attr(action, &act)) {
        COVERAGE_ADD(colo_dp_bad_action, dp_packet_batch_size(batch));
        VLOG_WARN_RL(&rl, "malformed COLO datapath action: packets dropped");
        dp_packet_delete_batch(batch, should_steal);
        return;
    }

    struct colo_dp_pair *pair = pair_find(act.pair);
    if (!pair) {
        COVERAGE_ADD(colo_dp_unknown_pair, dp_packet_batch_size(batch));
        VLOG_WARN_RL(&rl, "colo(%s): no COLO pair named %s: packets pass "
                     "unprotected", colo_odp_op_to_string(act.op), act.pair);
    }

    if (act.op == OVS_COLO_OP_MIRROR) {
        if (pair) {
            ovs_mutex_lock(&pair->mutex);
            pair->dp = dp;
            pair_update_link(pair);
            pair_note_port(pair, in_netdev);
            execute_mirror(pair, batch, rc);
            ovs_mutex_unlock(&pair->mutex);
        }
        if (should_steal) {
            dp_packet_delete_batch(batch, true);
        }
        return;
    }

    struct dp_packet_batch copy;
    if (!should_steal) {
        dp_packet_batch_clone(&copy, batch);
        batch = &copy;
    }
    if (!pair) {
        execute_unknown(batch, act.recirc_id, depth, rc);
        return;
    }

    long long int now = time_msec();
    struct dp_packet *pkt;
    bool deliver;

    ovs_mutex_lock(&pair->mutex);
    pair->dp = dp;
    pair->depth = depth;
    pair_update_link(pair);
    pair_note_port(pair, in_netdev);

    bool from_peer = pair->channel && in_netdev == pair->channel;
    bool had_request = pair_has_request(pair);
    DP_PACKET_BATCH_FOR_EACH (i, pkt, batch) {
        if (act.op == OVS_COLO_OP_COMPARE) {
            execute_compare(pair, pkt, from_peer, act.recirc_id, now);
        } else {
            execute_rewrite(pair, pkt, from_peer, in_netdev, act.recirc_id,
                            now);
        }
    }
    pair->depth = 0;
    if (!had_request && pair_has_request(pair)) {
        seq_change(colo_dp_seq());
    }
    deliver = !pair->delivering && pair->queue.n;
    if (deliver) {
        pair->delivering = true;
    }
    ovs_mutex_unlock(&pair->mutex);

    /* The packets now belong to the pair. */
    dp_packet_batch_init(batch);
    if (deliver) {
        pair_deliver(pair, dp, rc);
    }
}

/* Delivers, through 'rc', the packets of datapath 'dp' that pairs let go
 * and that no other thread is delivering.  Returns true if there were any
 * (delivered or not). */
bool
colo_dp_flush_released(const void *dp, const struct colo_dp_recirc *rc)
{
    struct colo_dp_pair **list = NULL;
    size_t n = 0, allocated = 0;
    struct colo_dp_pair *pair;

    /* Only the main thread removes pairs (and frees them after an RCU grace
     * period), so the pairs listed here outlive this function. */
    ovs_mutex_lock(&colo_dp_list_mutex);
    LIST_FOR_EACH (pair, list_node, &pair_list) {
        ovs_mutex_lock(&pair->mutex);
        bool pending = pair->queue.n && rq_front(&pair->queue)->dp == dp;
        ovs_mutex_unlock(&pair->mutex);
        if (pending) {
            if (n >= allocated) {
                list = x2nrealloc(list, &allocated, sizeof *list);
            }
            list[n++] = pair;
        }
    }
    ovs_mutex_unlock(&colo_dp_list_mutex);

    for (size_t i = 0; i < n; i++) {
        pair_try_deliver(list[i], dp, rc);
    }
    free(list);

    /* Removed pairs whose queue this or another thread delivered. */
    ovs_mutex_lock(&colo_dp_list_mutex);
    if (n_removed) {
        pairs_collect();
    }
    ovs_mutex_unlock(&colo_dp_list_mutex);
    return n > 0;
}

/* Wakes the poll loop when datapath 'dp' has packets to deliver: at once,
 * unless delivery waits for a congested port (the port wakes the loop when
 * it can send again) or for the thread that delivers them; in either case
 * no later than when the oldest packet's wait for a congested port ends. */
void
colo_dp_wait_released(const void *dp)
{
    struct colo_dp_pair *pair;

    ovs_mutex_lock(&colo_dp_list_mutex);
    LIST_FOR_EACH (pair, list_node, &pair_list) {
        ovs_mutex_lock(&pair->mutex);
        const struct colo_release *r = rq_front(&pair->queue);
        if (r && r->dp == dp) {
            if (!pair->delivering && !netdev_colo_tx_congested()) {
                poll_immediate_wake();
            } else {
                poll_timer_wait_until(r->queued + COLO_DP_RELEASE_MAX_WAIT);
            }
        }
        ovs_mutex_unlock(&pair->mutex);
    }
    ovs_mutex_unlock(&colo_dp_list_mutex);
}

/* Returns how many packets pairs have let go and not delivered yet. */
size_t
colo_dp_count_released(void)
{
    struct colo_dp_pair *pair;
    size_t n = 0;

    ovs_mutex_lock(&colo_dp_list_mutex);
    LIST_FOR_EACH (pair, list_node, &pair_list) {
        ovs_mutex_lock(&pair->mutex);
        n += pair->queue.n;
        ovs_mutex_unlock(&pair->mutex);
    }
    ovs_mutex_unlock(&colo_dp_list_mutex);
    return n;
}
