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

#include "colo/colo-compare.h"
#include "colo/colo-odp.h"
#include "colo/netdev-colo.h"
#include "coverage.h"
#include "dp-packet.h"
#include "netdev-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/thread.h"
#include "openvswitch/vlog.h"
#include "seq.h"
#include "smap.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_dp);

COVERAGE_DEFINE(colo_dp_unknown_pair);
COVERAGE_DEFINE(colo_dp_bad_action);

/* Packets a pair let go, to be recirculated with the recirc_id each one
 * carried when it was let go. */
struct colo_released {
    struct dp_packet **pkts;
    uint32_t *recirc_ids;
    const void **dps;           /* Datapath of each packet. */
    size_t n, allocated;
};

struct colo_dp_pair {
    struct hmap_node node;      /* In 'all_pairs', by hash of 'name'. */
    char *name;

    enum colo_mode mode;
    struct colo_options options;
    char *channel_name;         /* Channel interface, or NULL. */
    struct netdev *channel;     /* Its netdev, once it exists, or NULL. */

    struct colo_compare *cmp;   /* In primary mode. */
    struct colo_rewriter *rw;   /* In secondary and failover modes. */
    struct netdev *svm_port;    /* Where the SVM's output came in, learned
                                 * in secondary mode, or NULL. */
    const void *dp;             /* Datapath of the last action, or NULL. */

    /* Channel state and degraded mode (primary). */
    bool linked;                /* Channel connected at the last look. */
    uint64_t n_connects;        /* Its connection count then. */
    bool degraded;              /* Comparison suspended. */
    bool missed;                /* The peer missed traffic while degraded:
                                 * a checkpoint must resynchronize it. */

    struct colo_dp_stats stats;
};

static struct ovs_mutex colo_dp_mutex = OVS_MUTEX_INITIALIZER;

static struct hmap all_pairs OVS_GUARDED_BY(colo_dp_mutex)
    = HMAP_INITIALIZER(&all_pairs);

/* Packets let go outside of colo_dp_execute(), waiting for their datapath's
 * colo_dp_flush_released(). */
static struct colo_released pending OVS_GUARDED_BY(colo_dp_mutex);

/* Where the engines' release callbacks put packets: the list of the
 * colo_dp_execute() in progress, or 'pending'. */
static struct colo_released *sink OVS_GUARDED_BY(colo_dp_mutex);

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

static void
released_add(struct colo_released *r, struct dp_packet *pkt, const void *dp)
{
    if (r->n >= r->allocated) {
        size_t allocated = r->allocated;

        r->pkts = x2nrealloc(r->pkts, &allocated, sizeof *r->pkts);
        r->recirc_ids = xrealloc(r->recirc_ids,
                                 allocated * sizeof *r->recirc_ids);
        r->dps = xrealloc(r->dps, allocated * sizeof *r->dps);
        r->allocated = allocated;
    }
    r->pkts[r->n] = pkt;
    r->recirc_ids[r->n] = pkt->md.recirc_id;
    r->dps[r->n] = dp;
    r->n++;
}

static void
released_destroy(struct colo_released *r)
{
    free(r->pkts);
    free(r->recirc_ids);
    free(r->dps);
}

/* Recirculates the packets in 'r' (in batches, in order) through 'recirc',
 * drops those without recirc_id, then drops the references on the ids.
 * Called without the mutex. */
static void
released_deliver(struct colo_released *r, colo_dp_recirc_func *recirc,
                 void *aux)
{
    struct dp_packet_batch batch;

    dp_packet_batch_init(&batch);
    for (size_t i = 0; i < r->n; i++) {
        struct dp_packet *pkt = r->pkts[i];

        if (!r->recirc_ids[i]) {
            dp_packet_delete(pkt);
            continue;
        }
        pkt->md.recirc_id = r->recirc_ids[i];
        if (dp_packet_batch_is_full(&batch)) {
            recirc(&batch, aux);
            dp_packet_batch_init(&batch);
        }
        dp_packet_batch_add(&batch, pkt);
    }
    if (!dp_packet_batch_is_empty(&batch)) {
        recirc(&batch, aux);
    }
    if (recirc_unref) {
        for (size_t i = 0; i < r->n; i++) {
            if (r->recirc_ids[i]) {
                recirc_unref(r->recirc_ids[i]);
            }
        }
    }
    r->n = 0;
}

/* A pair lets 'pkt' go. */
static void
release_packet(struct colo_dp_pair *pair, struct dp_packet *pkt)
    OVS_REQUIRES(colo_dp_mutex)
{
    released_add(sink ? sink : &pending, pkt, pair->dp);
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

static struct colo_dp_pair *
pair_find(const char *name) OVS_REQUIRES(colo_dp_mutex)
{
    struct colo_dp_pair *pair;

    HMAP_FOR_EACH_WITH_HASH (pair, node, hash_string(name, 0), &all_pairs) {
        if (!strcmp(pair->name, name)) {
            return pair;
        }
    }
    return NULL;
}

/* Makes 'pair->channel' the netdev named 'pair->channel_name', if it
 * exists.  The pair never creates it: the bridge does. */
static void
pair_refresh_channel(struct colo_dp_pair *pair) OVS_REQUIRES(colo_dp_mutex)
{
    struct netdev *netdev = (pair->channel_name
                             ? netdev_from_name(pair->channel_name) : NULL);

    if (netdev != pair->channel) {
        netdev_close(pair->channel);
        pair->channel = netdev;
    } else {
        netdev_close(netdev);
    }
}

/* Looks at the channel and moves a primary pair in or out of degraded
 * mode. */
static void
pair_update_link(struct colo_dp_pair *pair) OVS_REQUIRES(colo_dp_mutex)
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

struct colo_dp_pair *
colo_dp_pair_create(const char *name)
{
    struct colo_dp_pair *pair = xzalloc(sizeof *pair);

    pair->name = xstrdup(name);
    pair->mode = COLO_MODE_DISABLED;
    colo_options_init(&pair->options);

    ovs_mutex_lock(&colo_dp_mutex);
    hmap_insert(&all_pairs, &pair->node, hash_string(name, 0));
    ovs_mutex_unlock(&colo_dp_mutex);
    return pair;
}

/* Destroys 'pair'.  The primary packets it holds are released, so that none
 * is lost. */
void
colo_dp_pair_destroy(struct colo_dp_pair *pair)
{
    if (!pair) {
        return;
    }
    ovs_mutex_lock(&colo_dp_mutex);
    hmap_remove(&all_pairs, &pair->node);
    colo_compare_destroy(pair->cmp);
    colo_rewriter_destroy(pair->rw);
    netdev_close(pair->channel);
    netdev_close(pair->svm_port);
    ovs_mutex_unlock(&colo_dp_mutex);

    free(pair->channel_name);
    free(pair->name);
    free(pair);
}

/* Gives 'pair' its mode, options and channel interface name.  Changing the
 * mode creates and destroys engines (destroying one releases what it
 * holds). */
void
colo_dp_pair_configure(struct colo_dp_pair *pair, enum colo_mode mode,
                       const struct colo_options *options,
                       const char *channel)
{
    ovs_mutex_lock(&colo_dp_mutex);
    if (!channel || !pair->channel_name
        || strcmp(channel, pair->channel_name)) {
        free(pair->channel_name);
        pair->channel_name = nullable_xstrdup(channel);
    }
    pair_refresh_channel(pair);

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
    pair->options = *options;
    pair_update_link(pair);
    ovs_mutex_unlock(&colo_dp_mutex);
}

/* Returns a malloc'd reason if 'pair' needs a checkpoint, otherwise NULL.
 * The request stays outstanding until colo_dp_pair_checkpoint_done(). */
char *
colo_dp_pair_get_request(struct colo_dp_pair *pair)
{
    char *reason = NULL;
    const char *cmp_reason;
    uint64_t number;

    ovs_mutex_lock(&colo_dp_mutex);
    if (pair->cmp && colo_compare_get_request(pair->cmp, &number,
                                              &cmp_reason)) {
        reason = xstrdup(cmp_reason);
    } else if (pair->cmp && pair->degraded && pair->missed && pair->linked) {
        reason = xasprintf("channel to the secondary restored after %"PRIu64
                           " primary packets went uncompared: the secondary "
                           "must be resynchronized",
                           pair->stats.unprotected);
    }
    ovs_mutex_unlock(&colo_dp_mutex);
    return reason;
}

/* A checkpoint was taken: the comparator flushes, the rewriter forgets its
 * offsets, and a degraded pair whose channel is up resumes comparison. */
void
colo_dp_pair_checkpoint_done(struct colo_dp_pair *pair)
{
    ovs_mutex_lock(&colo_dp_mutex);
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
    ovs_mutex_unlock(&colo_dp_mutex);
}

void
colo_dp_pair_get_stats(struct colo_dp_pair *pair,
                       struct colo_dp_pair_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    ovs_mutex_lock(&colo_dp_mutex);
    if (pair->cmp) {
        colo_compare_get_stats(pair->cmp, &stats->compare);
    }
    if (pair->rw) {
        colo_rewriter_get_stats(pair->rw, &stats->rewrite);
    }
    stats->dp = pair->stats;
    ovs_mutex_unlock(&colo_dp_mutex);
}

/* Adds the channel state and, for a primary pair, whether it is degraded
 * to 'status'. */
void
colo_dp_pair_get_status(struct colo_dp_pair *pair, struct smap *status)
{
    ovs_mutex_lock(&colo_dp_mutex);
    if (pair->channel_name) {
        bool connected;
        uint64_t n_connects;

        smap_add(status, "channel_state",
                 !pair->channel ? "missing"
                 : !netdev_colo_get_link(pair->channel, &connected,
                                         &n_connects) ? "unknown"
                 : connected ? "connected" : "disconnected");
    }
    if (pair->cmp) {
        smap_add(status, "degraded", pair->degraded ? "true" : "false");
        if (pair->degraded && pair->missed) {
            smap_add(status, "resync", "needed");
        }
    }
    ovs_mutex_unlock(&colo_dp_mutex);
}

void
colo_dp_pair_dump_conns(struct colo_dp_pair *pair, struct ds *s)
{
    ovs_mutex_lock(&colo_dp_mutex);
    if (pair->cmp) {
        colo_compare_dump_conns(pair->cmp, time_msec(), s);
    } else {
        ds_put_format(s, "no comparator (mode %s)\n",
                      colo_mode_to_string(pair->mode));
    }
    ovs_mutex_unlock(&colo_dp_mutex);
}

/* Runs the pairs' timers (compare timeouts, expiry, rewriter holds) and
 * watches their channels.  Packets let go here wait for their datapath. */
void
colo_dp_run(void)
{
    long long int now = time_msec();
    struct colo_dp_pair *pair;

    ovs_mutex_lock(&colo_dp_mutex);
    HMAP_FOR_EACH (pair, node, &all_pairs) {
        pair_refresh_channel(pair);
        pair_update_link(pair);
        if (pair->cmp) {
            colo_compare_run(pair->cmp, now);
        }
        if (pair->rw) {
            colo_rewriter_run(pair->rw, now);
        }
    }
    ovs_mutex_unlock(&colo_dp_mutex);
}

void
colo_dp_wait(void)
{
    struct colo_dp_pair *pair;

    ovs_mutex_lock(&colo_dp_mutex);
    HMAP_FOR_EACH (pair, node, &all_pairs) {
        if (pair->cmp) {
            long long int next = colo_compare_next_wakeup(pair->cmp);
            long long int scan = time_msec() + pair->options.scan_period;

            poll_timer_wait_until(MIN(next, scan));
        } else if (pair->rw) {
            poll_timer_wait(pair->options.scan_period);
        }
    }
    ovs_mutex_unlock(&colo_dp_mutex);
}

static bool
pair_has_request(const struct colo_dp_pair *pair) OVS_REQUIRES(colo_dp_mutex)
{
    const char *reason;
    uint64_t number;

    return (pair && pair->cmp
            && (colo_compare_get_request(pair->cmp, &number, &reason)
                || (pair->degraded && pair->missed && pair->linked)));
}

static void
execute_mirror(struct colo_dp_pair *pair, struct dp_packet_batch *batch)
    OVS_REQUIRES(colo_dp_mutex)
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
    netdev_send(pair->channel, 0, &copy, true);
}

static void
execute_compare(struct colo_dp_pair *pair, struct dp_packet *pkt,
                bool from_peer, uint32_t recirc_id, long long int now)
    OVS_REQUIRES(colo_dp_mutex)
{
    bool comparing = pair && pair->cmp && !pair->degraded;

    if (from_peer) {
        pkt->md.recirc_id = 0;
        if (comparing) {
            colo_compare_input(pair->cmp, COLO_SECONDARY, pkt, now);
        } else {
            if (pair) {
                pair->stats.secondary_ignored++;
            }
            dp_packet_delete(pkt);
        }
    } else {
        pkt->md.recirc_id = take_recirc_ref(recirc_id);
        if (comparing) {
            colo_compare_input(pair->cmp, COLO_PRIMARY, pkt, now);
        } else if (pair) {
            pair->stats.unprotected++;
            if (pair->cmp) {
                pair->missed = true;
            }
            compare_release_cb(pkt, pair);
        } else {
            released_add(sink, pkt, NULL);
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
    OVS_REQUIRES(colo_dp_mutex)
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
    OVS_REQUIRES(colo_dp_mutex)
{
    pkt->md.recirc_id = take_recirc_ref(recirc_id);
    if (pair && pair->rw) {
        enum colo_rewrite_dir dir = rewrite_direction(pair, from_peer,
                                                      in_netdev);

        pair->stats.rewrite_passed++;
        if (colo_rewriter_process(pair->rw, dir, pkt, now)
            == COLO_REWRITE_HELD) {
            return;
        }
    }
    released_add(sink, pkt, NULL);
}

/* Executes OVS_ACTION_ATTR_COLO 'action' on 'batch', whose packets entered
 * datapath 'dp' on 'in_netdev' (NULL if unknown).  Packets the pair lets go
 * during the call are recirculated through 'recirc' before it returns.  If
 * 'should_steal', the call consumes the packets of 'batch'. */
void
colo_dp_execute(const void *dp, struct dp_packet_batch *batch,
                bool should_steal, const struct nlattr *action,
                const struct netdev *in_netdev,
                colo_dp_recirc_func *recirc, void *aux)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct colo_odp_action act;

    if (colo_odp_parse_attr(action, &act)) {
        COVERAGE_ADD(colo_dp_bad_action, dp_packet_batch_size(batch));
        VLOG_WARN_RL(&rl, "malformed COLO datapath action: packets dropped");
        dp_packet_delete_batch(batch, should_steal);
        return;
    }

    struct colo_released local = { .n = 0 };
    long long int now = time_msec();
    struct dp_packet_batch copy;

    if (act.op != OVS_COLO_OP_MIRROR && !should_steal) {
        dp_packet_batch_clone(&copy, batch);
        batch = &copy;
    }

    ovs_mutex_lock(&colo_dp_mutex);
    struct colo_dp_pair *pair = pair_find(act.pair);
    if (pair) {
        pair->dp = dp;
        pair_update_link(pair);
    } else {
        COVERAGE_ADD(colo_dp_unknown_pair, dp_packet_batch_size(batch));
        VLOG_WARN_RL(&rl, "colo(%s): no COLO pair named %s: packets pass "
                     "unprotected", colo_odp_op_to_string(act.op), act.pair);
    }

    if (act.op == OVS_COLO_OP_MIRROR) {
        if (pair) {
            execute_mirror(pair, batch);
        }
        ovs_mutex_unlock(&colo_dp_mutex);
        if (should_steal) {
            dp_packet_delete_batch(batch, true);
        }
        return;
    }

    bool from_peer = pair && pair->channel && in_netdev == pair->channel;
    bool had_request = pair_has_request(pair);
    struct dp_packet *pkt;

    sink = &local;
    DP_PACKET_BATCH_FOR_EACH (i, pkt, batch) {
        if (act.op == OVS_COLO_OP_COMPARE) {
            execute_compare(pair, pkt, from_peer, act.recirc_id, now);
        } else {
            execute_rewrite(pair, pkt, from_peer, in_netdev, act.recirc_id,
                            now);
        }
    }
    sink = NULL;
    if (!had_request && pair_has_request(pair)) {
        seq_change(colo_dp_seq());
    }
    ovs_mutex_unlock(&colo_dp_mutex);

    /* The packets now belong to the pair or to 'local'. */
    dp_packet_batch_init(batch);
    released_deliver(&local, recirc, aux);
    released_destroy(&local);
}

/* Recirculates, through 'recirc', the packets of datapath 'dp' that pairs
 * let go outside of an action.  Returns true if there were any. */
bool
colo_dp_flush_released(const void *dp, colo_dp_recirc_func *recirc,
                       void *aux)
{
    struct colo_released local = { .n = 0 };

    ovs_mutex_lock(&colo_dp_mutex);
    if (pending.n) {
        size_t kept = 0;

        for (size_t i = 0; i < pending.n; i++) {
            if (pending.dps[i] == dp || !pending.dps[i]) {
                pending.pkts[i]->md.recirc_id = pending.recirc_ids[i];
                released_add(&local, pending.pkts[i], dp);
            } else {
                pending.pkts[kept] = pending.pkts[i];
                pending.recirc_ids[kept] = pending.recirc_ids[i];
                pending.dps[kept] = pending.dps[i];
                kept++;
            }
        }
        pending.n = kept;
    }
    ovs_mutex_unlock(&colo_dp_mutex);

    bool any = local.n > 0;
    released_deliver(&local, recirc, aux);
    released_destroy(&local);
    return any;
}

/* Wakes the poll loop at once if datapath 'dp' has packets to flush. */
void
colo_dp_wait_released(const void *dp)
{
    ovs_mutex_lock(&colo_dp_mutex);
    for (size_t i = 0; i < pending.n; i++) {
        if (pending.dps[i] == dp || !pending.dps[i]) {
            poll_immediate_wake();
            break;
        }
    }
    ovs_mutex_unlock(&colo_dp_mutex);
}
