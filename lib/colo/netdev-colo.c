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
#include "colo/netdev-colo.h"

#include <errno.h>
#include <string.h>

#include "colo/colo-frame.h"
#include "colo/colo-link.h"
#include "coverage.h"
#include "dp-packet.h"
#include "dpif-netdev.h"
#include "netdev-provider.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovs-atomic.h"
#include "packets.h"
#include "smap.h"
#include "socket-util.h"
#include "stream.h"
#include "timeval.h"
#include "unaligned.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(netdev_colo);

/* Default and limits of options:tx-queue-bytes. */
#define TX_QUEUE_DEFAULT (4 * 1024 * 1024)
#define TX_QUEUE_MIN 65536
#define TX_QUEUE_MAX (1024 * 1024 * 1024)

/* Limits and default of options:heartbeat-interval (ms) and
 * heartbeat-misses. */
#define HEARTBEAT_INTERVAL_MAX 60000
#define HEARTBEAT_MISSES_DEFAULT 3
#define HEARTBEAT_MISSES_MAX 100

/* Bytes read from the stream at a time. */
#define RX_CHUNK 65536

/* Protects 'colo_list'. */
static struct ovs_mutex colo_list_mutex = OVS_MUTEX_INITIALIZER;

/* Every colo netdev, for the class's run and wait. */
static struct ovs_list colo_list OVS_GUARDED_BY(colo_list_mutex)
    = OVS_LIST_INITIALIZER(&colo_list);

/* Backpressure (see netdev_colo_tx_congested()): how many colo netdevs are
 * congested now, and a quarter of the smallest send queue limit. */
static atomic_count n_congested = ATOMIC_COUNT_INIT(0);
static atomic_uint64_t burst_bytes = ATOMIC_VAR_INIT(UINT64_MAX);

struct netdev_colo {
    struct netdev up;

    /* In 'colo_list'. */
    struct ovs_list list_node OVS_GUARDED_BY(colo_list_mutex);

    /* Protects all members below. */
    struct ovs_mutex mutex OVS_ACQ_AFTER(colo_list_mutex);

    /* Configuration (options:remote is 'link.remote'). */
    bool vnet_hdr OVS_GUARDED;          /* options:vnet_hdr. */
    size_t tx_limit OVS_GUARDED;        /* options:tx-queue-bytes. */
    bool gates OVS_GUARDED;             /* May be counted in 'n_congested':
                                         * not a COLO pair's channel. */
    bool congested OVS_GUARDED;         /* Counted in 'n_congested'. */
    size_t tx_frames OVS_GUARDED;       /* Frames in 'txbuf'. */
    size_t tx_head_left OVS_GUARDED;    /* Unsent bytes of the first, if it
                                         * was sent in part, else 0. */

    /* Heartbeat (see colo-frame.h): sent every 'hb_interval' ms (0: off)
     * while connected; a peer that sends nothing for 'hb_misses' intervals
     * is taken for gone and the connection is dropped. */
    unsigned int hb_interval OVS_GUARDED;
    unsigned int hb_misses OVS_GUARDED;
    long long int hb_next OVS_GUARDED;      /* Monotonic ms: next to send. */
    long long int last_heard OVS_GUARDED;   /* Monotonic ms: last bytes
                                             * from the peer (or connect). */
    long long int last_heard_wall OVS_GUARDED; /* The same, wall clock; 0
                                                * if nothing came yet. */
    uint64_t hb_losses OVS_GUARDED;         /* Times the peer went silent. */
    bool hb_lost OVS_GUARDED;               /* The last drop was a loss. */

    /* Connection: its state is status:state. */
    struct colo_link link OVS_GUARDED;
    char *last_error OVS_GUARDED;       /* Or NULL. */

    /* Data. */
    struct netdev_stats stats OVS_GUARDED;

    struct eth_addr mac OVS_GUARDED;
    enum netdev_flags flags OVS_GUARDED;
};

struct netdev_rxq_colo {
    struct netdev_rxq up;
};

static const struct netdev_class netdev_colo_class;

static bool is_colo_class(const struct netdev_class *);
static struct netdev_colo *netdev_colo_cast(const struct netdev *);

/* If 'netdev' is a colo channel, stores whether it is connected to its peer
 * and how many times it has connected so far, and returns true.  Otherwise
 * returns false. */
bool
netdev_colo_get_link(const struct netdev *netdev, bool *connected,
                     uint64_t *n_connects)
{
    if (!is_colo_class(netdev_get_class(netdev))) {
        return false;
    }

    struct netdev_colo *dev = netdev_colo_cast(netdev);
    ovs_mutex_lock(&dev->mutex);
    *connected = colo_link_is_connected(&dev->link);
    *n_connects = dev->link.n_connects;
    ovs_mutex_unlock(&dev->mutex);
    return true;
}

/* Stores the heartbeat of 'netdev' in '*hb' and returns true, or returns
 * false if 'netdev' is not a colo port. */
bool
netdev_colo_get_heartbeat(const struct netdev *netdev,
                          struct netdev_colo_heartbeat *hb)
{
    if (!is_colo_class(netdev_get_class(netdev))) {
        return false;
    }

    struct netdev_colo *dev = netdev_colo_cast(netdev);
    ovs_mutex_lock(&dev->mutex);
    hb->interval = dev->hb_interval;
    hb->last_heard = dev->last_heard_wall;
    hb->losses = dev->hb_losses;
    hb->lost = dev->hb_lost;
    ovs_mutex_unlock(&dev->mutex);
    return true;
}

/* The peer of 'dev' was heard from now. */
static void
heard(struct netdev_colo *dev) OVS_REQUIRES(dev->mutex)
{
    dev->last_heard = time_msec();
    dev->last_heard_wall = time_wall_msec();
}

static bool
is_colo_class(const struct netdev_class *class)
{
    return class->construct == netdev_colo_class.construct;
}

static struct netdev_colo *
netdev_colo_cast(const struct netdev *netdev)
{
    ovs_assert(is_colo_class(netdev_get_class(netdev)));
    return CONTAINER_OF(netdev, struct netdev_colo, up);
}

/* Tells the bridge that the status changed if the link's state is no
 * longer 'old'. */
static void
link_changed(struct netdev_colo *dev, enum colo_link_state old)
    OVS_REQUIRES(dev->mutex)
{
    if (dev->link.state != old) {
        netdev_change_seq_changed(&dev->up);
    }
}

/* Counts 'dev' in 'n_congested' while it is connected and its send queue
 * is at least half full, unless it is a COLO pair's channel. */
static void
update_congestion(struct netdev_colo *dev) OVS_REQUIRES(dev->mutex)
{
    bool congested = (dev->gates && colo_link_is_connected(&dev->link)
                      && dev->link.txbuf.size >= dev->tx_limit / 2);

    if (congested != dev->congested) {
        dev->congested = congested;
        if (congested) {
            atomic_count_inc(&n_congested);
        } else {
            atomic_count_dec(&n_congested);
        }
    }
}

/* Returns true if a connected colo port's send queue is half full or more:
 * a sender that must not lose packets should wait (the main loop wakes up
 * when the port can send again, see netdev_colo_wait()).  The channels of
 * COLO pairs do not count (see netdev_colo_set_gating()): released packets
 * never go there, and a secondary that falls behind must not hold the
 * primary's output back. */
bool
netdev_colo_tx_congested(void)
{
    return atomic_count_get(&n_congested) > 0;
}

/* Returns the open netdev named 'name', of any type, with a new reference
 * (netdev_close() it), or NULL if there is none: a COLO pair's channel,
 * which the bridge opens and the pair never does (netdev_open() would). */
struct netdev *
netdev_colo_find_channel(const char *name)
{
    return netdev_from_name(name);
}

/* Sets whether 'netdev', if it is a colo port, counts for
 * netdev_colo_tx_congested() (the default) or not (a COLO pair's
 * channel). */
void
netdev_colo_set_gating(struct netdev *netdev, bool gates)
{
    if (is_colo_class(netdev_get_class(netdev))) {
        struct netdev_colo *dev = netdev_colo_cast(netdev);

        ovs_mutex_lock(&dev->mutex);
        dev->gates = gates;
        update_congestion(dev);
        ovs_mutex_unlock(&dev->mutex);
    }
}

/* Returns how many bytes of packets a sender may send at once, while no
 * port is congested, without overflowing any colo port's send queue: a
 * quarter of the smallest options:tx-queue-bytes (SIZE_MAX without colo
 * ports). */
size_t
netdev_colo_burst_bytes(void)
{
    uint64_t bytes;

    atomic_read_relaxed(&burst_bytes, &bytes);
    return MIN(bytes, SIZE_MAX);
}

/* Recomputes 'burst_bytes'. */
static void
update_burst_bytes(void) OVS_EXCLUDED(colo_list_mutex)
{
    uint64_t bytes = UINT64_MAX;
    struct netdev_colo *dev;

    ovs_mutex_lock(&colo_list_mutex);
    LIST_FOR_EACH (dev, list_node, &colo_list) {
        ovs_mutex_lock(&dev->mutex);
        bytes = MIN(bytes, dev->tx_limit / 4);
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&colo_list_mutex);
    atomic_store_relaxed(&burst_bytes, bytes);
}

static void
set_error(struct netdev_colo *dev, char *error)
    OVS_REQUIRES(dev->mutex)
{
    free(dev->last_error);
    dev->last_error = error;
}

/* Accounts for the 'n' bytes at 'p', the head of the link's 'txbuf', having
 * been sent, before they are pulled from it: 'tx_frames' counts the frames
 * queued and not sent entirely, 'tx_head_left' what is left to send of the
 * first.  Called by colo_link_send() from flush_tx(), which holds
 * 'dev->mutex'. */
static void
account_sent(const uint8_t *p, size_t n, void *dev_)
    OVS_NO_THREAD_SAFETY_ANALYSIS
{
    struct netdev_colo *dev = dev_;

    while (n) {
        if (!dev->tx_head_left) {
            /* 'p' is at the start of a frame, which is entirely queued. */
            dev->tx_head_left = (ntohl(get_unaligned_be32(
                                     ALIGNED_CAST(const ovs_be32 *, p)))
                                 + (dev->vnet_hdr ? 8 : 4));
        }
        size_t k = MIN(n, dev->tx_head_left);
        dev->tx_head_left -= k;
        p += k;
        n -= k;
        if (!dev->tx_head_left) {
            dev->tx_frames--;
        }
    }
}

/* Drops the connection to the peer, if any, because of 'error' (an errno
 * value, EOF for a clean close), recording 'msg' (which this function
 * takes, may be NULL) as the reason. */
static void
disconnect(struct netdev_colo *dev, int error, char *msg)
    OVS_REQUIRES(dev->mutex)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

    if (msg) {
        if (error == EOF) {
            VLOG_INFO_RL(&rl, "%s: %s", netdev_get_name(&dev->up), msg);
        } else {
            VLOG_WARN_RL(&rl, "%s: %s", netdev_get_name(&dev->up), msg);
        }
        set_error(dev, msg);
    }
    enum colo_link_state old = dev->link.state;
    colo_link_disconnect(&dev->link, error);
    dev->stats.tx_dropped += dev->tx_frames;
    dev->tx_frames = 0;
    dev->tx_head_left = 0;
    update_congestion(dev);
    link_changed(dev, old);
}

/* Closes everything, before a new configuration or destruction. */
static void
channel_close(struct netdev_colo *dev) OVS_REQUIRES(dev->mutex)
{
    enum colo_link_state old = dev->link.state;

    disconnect(dev, EOF, NULL);
    colo_link_close(&dev->link);
    link_changed(dev, old);
}

/* Opens the listener or starts connecting to 'remote'.  Returns 0 or an
 * errno value. */
static int
channel_open(struct netdev_colo *dev, const char *remote)
    OVS_REQUIRES(dev->mutex)
{
    enum colo_link_state old = dev->link.state;
    int error = colo_link_open(&dev->link, remote);

    link_changed(dev, old);
    return error;
}

/* Tries to send the queued bytes. */
static void
flush_tx(struct netdev_colo *dev) OVS_REQUIRES(dev->mutex)
{
    char *reason;
    int error = colo_link_send(&dev->link, account_sent, dev, &reason);

    if (error) {
        disconnect(dev, error, reason);
    }
    update_congestion(dev);
}

/* Sends a heartbeat when one is due, and drops the connection to a peer
 * that has been silent for too long. */
static void
run_heartbeat(struct netdev_colo *dev) OVS_REQUIRES(dev->mutex)
{
    if (!dev->hb_interval || !colo_link_is_connected(&dev->link)) {
        return;
    }

    long long int now = time_msec();
    long long int silent = now - dev->last_heard;
    if (silent > (long long int) dev->hb_interval * dev->hb_misses) {
        dev->hb_losses++;
        disconnect(dev, ETIMEDOUT,
                   xasprintf("peer silent for %lld ms: %u heartbeats of "
                             "%u ms missed", silent, dev->hb_misses,
                             dev->hb_interval));
        dev->hb_lost = true;
        return;
    }
    if (now >= dev->hb_next) {
        size_t size = dev->vnet_hdr ? 8 : 4;

        if (dev->link.txbuf.size + size <= dev->tx_limit) {
            colo_frame_encode_heartbeat(&dev->link.txbuf, dev->vnet_hdr);
            dev->tx_frames++;
        }
        dev->hb_next = now + dev->hb_interval;
    }
}

static void
netdev_colo_dev_run(struct netdev_colo *dev) OVS_REQUIRES(dev->mutex)
{
    enum colo_link_state old = dev->link.state;
    int error;

    switch (colo_link_run(&dev->link, &error)) {
    case COLO_LINK_UP:
        heard(dev);
        dev->hb_next = time_msec();
        dev->hb_lost = false;
        break;
    case COLO_LINK_CONNECT_FAILED:
        set_error(dev, xasprintf("connecting to %s failed (%s)",
                                 dev->link.remote, ovs_strerror(error)));
        break;
    case COLO_LINK_NONE:
    case COLO_LINK_REFUSED:
        break;
    }
    run_heartbeat(dev);
    flush_tx(dev);
    link_changed(dev, old);
}

static void
netdev_colo_run(const struct netdev_class *class OVS_UNUSED)
{
    struct netdev_colo *dev;

    ovs_mutex_lock(&colo_list_mutex);
    LIST_FOR_EACH (dev, list_node, &colo_list) {
        ovs_mutex_lock(&dev->mutex);
        netdev_colo_dev_run(dev);
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&colo_list_mutex);
}

static void
netdev_colo_wait(const struct netdev_class *class OVS_UNUSED)
{
    struct netdev_colo *dev;

    ovs_mutex_lock(&colo_list_mutex);
    LIST_FOR_EACH (dev, list_node, &colo_list) {
        ovs_mutex_lock(&dev->mutex);
        colo_link_wait(&dev->link);
        if (colo_link_is_connected(&dev->link) && dev->hb_interval) {
            poll_timer_wait_until(MIN(dev->hb_next,
                                      dev->last_heard + 1
                                      + (long long int) dev->hb_interval
                                        * dev->hb_misses));
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&colo_list_mutex);
}

/* Sends what every colo port has queued, waiting until 'deadline' (in ms)
 * at most for peers to read it: for a graceful exit, whose last packets
 * would otherwise die in the send queues.  Returns the number of frames
 * that were still queued at the deadline (counted as tx_dropped, logged).
 * Main thread only: it blocks. */
size_t
netdev_colo_drain(long long int deadline)
{
    size_t lost = 0;

    for (;;) {
        struct netdev_colo *dev;
        bool pending = false;

        ovs_mutex_lock(&colo_list_mutex);
        LIST_FOR_EACH (dev, list_node, &colo_list) {
            ovs_mutex_lock(&dev->mutex);
            flush_tx(dev);
            if (colo_link_is_connected(&dev->link) && dev->link.txbuf.size) {
                pending = true;
                stream_send_wait(dev->link.stream);
            }
            ovs_mutex_unlock(&dev->mutex);
        }
        ovs_mutex_unlock(&colo_list_mutex);

        if (!pending || time_msec() >= deadline) {
            break;
        }
        poll_timer_wait_until(deadline);
        poll_block();
    }

    struct netdev_colo *dev;
    ovs_mutex_lock(&colo_list_mutex);
    LIST_FOR_EACH (dev, list_node, &colo_list) {
        ovs_mutex_lock(&dev->mutex);
        if (dev->tx_frames) {
            VLOG_WARN("%s: %"PRIuSIZE" packets (%"PRIu32" bytes) still "
                      "queued for the peer are lost",
                      netdev_get_name(&dev->up), dev->tx_frames,
                      dev->link.txbuf.size);
            lost += dev->tx_frames;
            dev->stats.tx_dropped += dev->tx_frames;
            dev->tx_frames = 0;
            dev->tx_head_left = 0;
            ofpbuf_clear(&dev->link.txbuf);
            update_congestion(dev);
        }
        ovs_mutex_unlock(&dev->mutex);
    }
    ovs_mutex_unlock(&colo_list_mutex);
    return lost;
}

static struct netdev *
netdev_colo_alloc(void)
{
    struct netdev_colo *dev = xzalloc(sizeof *dev);
    return &dev->up;
}

static int
netdev_colo_construct(struct netdev *netdev)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_init(&dev->mutex);
    ovs_mutex_lock(&dev->mutex);
    dev->tx_limit = TX_QUEUE_DEFAULT;
    dev->hb_misses = HEARTBEAT_MISSES_DEFAULT;
    dev->gates = true;
    colo_link_init(&dev->link, netdev_get_name(netdev), "peer", "frame");
    eth_addr_random(&dev->mac);
    dev->flags = NETDEV_UP;
    ovs_mutex_unlock(&dev->mutex);

    ovs_mutex_lock(&colo_list_mutex);
    ovs_list_push_back(&colo_list, &dev->list_node);
    ovs_mutex_unlock(&colo_list_mutex);
    update_burst_bytes();
    return 0;
}

static void
netdev_colo_destruct(struct netdev *netdev)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_lock(&colo_list_mutex);
    ovs_list_remove(&dev->list_node);
    ovs_mutex_unlock(&colo_list_mutex);

    ovs_mutex_lock(&dev->mutex);
    channel_close(dev);
    colo_link_destroy(&dev->link);
    free(dev->last_error);
    ovs_mutex_unlock(&dev->mutex);
    ovs_mutex_destroy(&dev->mutex);
    update_burst_bytes();
}

static void
netdev_colo_dealloc(struct netdev *netdev)
{
    free(netdev_colo_cast(netdev));
}

/* Parses 'args' into the remote, vnet header flag and queue limit.  Returns
 * NULL or a malloc'd error that names the option. */
static char *
parse_config(const struct smap *args, char **remotep, bool *vnet_hdrp,
             size_t *tx_limitp, unsigned int *hb_intervalp,
             unsigned int *hb_missesp)
{
    const struct smap_node *node;

    *remotep = NULL;
    *vnet_hdrp = false;
    *tx_limitp = TX_QUEUE_DEFAULT;
    *hb_intervalp = 0;
    *hb_missesp = HEARTBEAT_MISSES_DEFAULT;
    SMAP_FOR_EACH (node, args) {
        if (!strcmp(node->key, "remote")) {
            *remotep = node->value;
        } else if (!strcmp(node->key, "vnet_hdr")) {
            if (strcmp(node->value, "true") && strcmp(node->value, "false")) {
                return xasprintf("options:vnet_hdr: \"%s\" is not true or "
                                 "false", node->value);
            }
            *vnet_hdrp = !strcmp(node->value, "true");
        } else if (!strcmp(node->key, "tx-queue-bytes")) {
            unsigned int x;
            if (!str_to_uint(node->value, 10, &x)
                || x < TX_QUEUE_MIN || x > TX_QUEUE_MAX) {
                return xasprintf("options:tx-queue-bytes: \"%s\" is not an "
                                 "integer from %d to %d", node->value,
                                 TX_QUEUE_MIN, TX_QUEUE_MAX);
            }
            *tx_limitp = x;
        } else if (!strcmp(node->key, "heartbeat-interval")) {
            if (!str_to_uint(node->value, 10, hb_intervalp)
                || *hb_intervalp > HEARTBEAT_INTERVAL_MAX) {
                return xasprintf("options:heartbeat-interval: \"%s\" is not "
                                 "an integer from 0 to %d (ms)", node->value,
                                 HEARTBEAT_INTERVAL_MAX);
            }
        } else if (!strcmp(node->key, "heartbeat-misses")) {
            if (!str_to_uint(node->value, 10, hb_missesp)
                || *hb_missesp < 1 || *hb_missesp > HEARTBEAT_MISSES_MAX) {
                return xasprintf("options:heartbeat-misses: \"%s\" is not "
                                 "an integer from 1 to %d", node->value,
                                 HEARTBEAT_MISSES_MAX);
            }
        } else {
            return xasprintf("options:%s: unknown option (valid: remote, "
                             "vnet_hdr, tx-queue-bytes, heartbeat-interval, "
                             "heartbeat-misses)", node->key);
        }
    }
    if (!*remotep) {
        return xstrdup("options:remote: required");
    }
    if (!colo_link_remote_is_valid(*remotep)) {
        return xasprintf("options:remote: \"%s\" is not tcp:, ssl:, unix:, "
                         "ptcp:, pssl: or punix:", *remotep);
    }
    return NULL;
}

/* Returns true if 'remote' is a tcp: or ptcp: channel that is not
 * confined to the loopback interface, i.e. carries client traffic and VM
 * output across a network in plain text.  A host name other than
 * "localhost" counts as the network (it is not resolved here). */
static bool
remote_is_plaintext_network(const char *remote)
{
    bool passive = !strncmp(remote, "ptcp:", 5);

    if (!passive && strncmp(remote, "tcp:", 4)) {
        return false;           /* ssl:, pssl:, unix:, punix:. */
    }

    char *target = xstrdup(remote + (passive ? 5 : 4));
    char *host, *port;
    if (passive) {
        inet_parse_port_host_tokens(target, &port, &host);
    } else {
        inet_parse_host_port_tokens(target, &host, &port);
    }

    bool network = true;
    struct in6_addr ip6;
    ovs_be32 ip4;
    if (!host || !host[0]) {
        network = true;         /* ptcp: on every address. */
    } else if (!strcmp(host, "localhost")) {
        network = false;
    } else if (ip_parse(host, &ip4)) {
        network = (ntohl(ip4) >> 24) != 127;
    } else if (ipv6_parse(host, &ip6)) {
        network = !ipv6_addr_equals(&ip6, &in6addr_loopback);
    }
    free(target);
    return network;
}

static int
netdev_colo_set_config(struct netdev *netdev, const struct smap *args,
                       char **errp)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);
    unsigned int hb_interval, hb_misses;
    char *remote;
    bool vnet_hdr;
    size_t tx_limit;
    char *error = parse_config(args, &remote, &vnet_hdr,
                               &tx_limit, &hb_interval, &hb_misses);
    int retval = 0;

    if (error) {
        VLOG_ERR_BUF(errp, "%s: %s", netdev_get_name(netdev), error);
        free(error);
        return EINVAL;
    }

    ovs_mutex_lock(&dev->mutex);
    dev->tx_limit = tx_limit;
    if (hb_interval && !dev->hb_interval) {
        /* Count silence from now on. */
        heard(dev);
        dev->hb_next = time_msec();
    }
    dev->hb_interval = hb_interval;
    dev->hb_misses = hb_misses;
    update_congestion(dev);
    if (!dev->link.remote || strcmp(dev->link.remote, remote)
        || dev->vnet_hdr != vnet_hdr) {
        channel_close(dev);
        dev->vnet_hdr = vnet_hdr;
        set_error(dev, NULL);
        retval = channel_open(dev, remote);
        if (retval) {
            VLOG_ERR_BUF(errp, "%s: options:remote: %s: %s",
                         netdev_get_name(netdev), remote,
                         ovs_strerror(retval));
        } else if (remote_is_plaintext_network(remote)) {
            /* Once per configuration of the remote. */
            VLOG_WARN("%s: options:remote=%s: the COLO channel carries "
                      "client traffic and VM output across the network "
                      "unencrypted and unauthenticated; use ssl: and pssl: "
                      "between hosts", netdev_get_name(netdev), remote);
        }
        netdev_change_seq_changed(netdev);
    }
    ovs_mutex_unlock(&dev->mutex);
    update_burst_bytes();
    return retval;
}

static int
netdev_colo_get_config(const struct netdev *netdev, struct smap *args)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (dev->link.remote) {
        smap_add(args, "remote", dev->link.remote);
    }
    if (dev->vnet_hdr) {
        smap_add(args, "vnet_hdr", "true");
    }
    if (dev->tx_limit != TX_QUEUE_DEFAULT) {
        smap_add_format(args, "tx-queue-bytes", "%"PRIuSIZE, dev->tx_limit);
    }
    if (dev->hb_interval) {
        smap_add_format(args, "heartbeat-interval", "%u", dev->hb_interval);
    }
    if (dev->hb_misses != HEARTBEAT_MISSES_DEFAULT) {
        smap_add_format(args, "heartbeat-misses", "%u", dev->hb_misses);
    }
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_get_status(const struct netdev *netdev, struct smap *status)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    smap_add(status, "state", colo_link_state_to_string(dev->link.state));
    if (colo_link_is_connected(&dev->link)) {
        smap_add(status, "peer", stream_get_name(dev->link.stream));
    }
    smap_add_nocopy(status, xstrdup("last_change"),
                    xastrftime_msec("%Y-%m-%dT%H:%M:%S.###Z",
                                    dev->link.state_changed, true));
    if (dev->link.pstream && pstream_get_bound_port(dev->link.pstream)) {
        smap_add_format(status, "bound_port", "%"PRIu16,
                        ntohs(pstream_get_bound_port(dev->link.pstream)));
    }
    if (dev->last_error) {
        smap_add(status, "last_error", dev->last_error);
    }
    if (dev->hb_interval) {
        if (dev->last_heard_wall) {
            smap_add_nocopy(status, xstrdup("heartbeat_last_heard"),
                            xastrftime_msec("%Y-%m-%dT%H:%M:%S.###Z",
                                            dev->last_heard_wall, true));
        }
        smap_add_format(status, "heartbeat_losses", "%"PRIu64,
                        dev->hb_losses);
    }
    smap_add_format(status, "tx_queued_bytes", "%"PRIu32,
                    dev->link.txbuf.size);
    smap_add_format(status, "tx_queued_packets", "%"PRIuSIZE, dev->tx_frames);
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

/* Frames and queues every packet of 'batch' for the peer, counting those
 * that do not fit (or find no peer) as tx_dropped.  Takes the batch. */
static int
netdev_colo_send(struct netdev *netdev, int qid OVS_UNUSED,
                 struct dp_packet_batch *batch,
                 bool concurrent_txq OVS_UNUSED)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);
    struct dp_packet *packet;

    ovs_mutex_lock(&dev->mutex);
    DP_PACKET_BATCH_FOR_EACH (i, packet, batch) {
        size_t size = dp_packet_size(packet);
        size_t framed = size + 8 + (dev->vnet_hdr
                                    ? COLO_FRAME_VNET_HDR_LEN : 0);

        if (!colo_link_is_connected(&dev->link)
            || dev->link.txbuf.size + framed > dev->tx_limit
            || size > COLO_FRAME_MAX_LEN - COLO_FRAME_VNET_HDR_LEN) {
            dev->stats.tx_dropped++;
            continue;
        }
        if (ofpbuf_tailroom(&dev->link.txbuf) < framed) {
            /* Grow geometrically: ofpbuf_put() alone grows the buffer to
             * just fit, so that every frame queued behind a slow peer
             * would copy the whole queue (seen as multi-second main loop
             * iterations under AddressSanitizer). */
            ofpbuf_prealloc_tailroom(&dev->link.txbuf,
                                     MAX(framed, dev->link.txbuf.size));
        }
        colo_frame_encode(&dev->link.txbuf, dp_packet_data(packet), size,
                          dev->vnet_hdr);
        dev->tx_frames++;
        dev->stats.tx_packets++;
        dev->stats.tx_bytes += size;
    }
    flush_tx(dev);
    ovs_mutex_unlock(&dev->mutex);

    dp_packet_delete_batch(batch, true);
    return 0;
}

static void
netdev_colo_send_wait(struct netdev *netdev, int qid OVS_UNUSED)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    if (colo_link_is_connected(&dev->link) && dev->link.txbuf.size) {
        stream_send_wait(dev->link.stream);
    }
    ovs_mutex_unlock(&dev->mutex);
}

/* Decodes the frames in 'dev->link.rxbuf' into 'batch'.  Returns false if the
 * peer sent something invalid (the connection is then closed). */
static bool
decode_frames(struct netdev_colo *dev, struct dp_packet_batch *batch)
    OVS_REQUIRES(dev->mutex)
{
    while (!dp_packet_batch_is_full(batch)) {
        struct colo_frame frame;
        char *error;

        switch (colo_frame_decode(dev->link.rxbuf.data, dev->link.rxbuf.size,
                                  dev->vnet_hdr, &frame, &error)) {
        case COLO_FRAME_NEED_MORE:
            return true;
        case COLO_FRAME_BAD:
            dev->stats.rx_errors++;
            disconnect(dev, EPROTO,
                       xasprintf("bad frame from peer: %s", error));
            free(error);
            return false;
        case COLO_FRAME_HEARTBEAT:
            ofpbuf_pull(&dev->link.rxbuf, frame.consumed);
            break;
        case COLO_FRAME_OK: {
            struct dp_packet *p = dp_packet_clone_data_with_headroom(
                (const char *) dev->link.rxbuf.data + frame.eth_ofs,
                frame.eth_size, DP_NETDEV_HEADROOM);

            dp_packet_batch_add(batch, p);
            dev->stats.rx_packets++;
            dev->stats.rx_bytes += frame.eth_size;
            ofpbuf_pull(&dev->link.rxbuf, frame.consumed);
            break;
        }
        default:
            OVS_NOT_REACHED();
        }
    }
    return true;
}

/* Reads what the peer sent.  Returns false if the connection closed. */
static bool
read_stream(struct netdev_colo *dev) OVS_REQUIRES(dev->mutex)
{
    char *reason;
    size_t n;
    int error = colo_link_recv(&dev->link, RX_CHUNK, &n, &reason);

    if (!error) {
        if (n) {
            heard(dev);
        }
        return true;
    }
    if (error == EPROTO) {
        dev->stats.rx_errors++;
    }
    disconnect(dev, error, reason);
    return false;
}

static struct netdev_rxq *
netdev_colo_rxq_alloc(void)
{
    struct netdev_rxq_colo *rx = xzalloc(sizeof *rx);
    return &rx->up;
}

static int
netdev_colo_rxq_construct(struct netdev_rxq *rxq OVS_UNUSED)
{
    return 0;
}

static void
netdev_colo_rxq_destruct(struct netdev_rxq *rxq OVS_UNUSED)
{
}

static void
netdev_colo_rxq_dealloc(struct netdev_rxq *rxq)
{
    free(CONTAINER_OF(rxq, struct netdev_rxq_colo, up));
}

static int
netdev_colo_rxq_recv(struct netdev_rxq *rxq, struct dp_packet_batch *batch,
                     int *qfill)
{
    struct netdev_colo *dev = netdev_colo_cast(rxq->netdev);

    dp_packet_batch_init(batch);
    ovs_mutex_lock(&dev->mutex);
    if (dev->link.txbuf.size) {
        /* What a send left queued: a PMD thread's port is not flushed by
         * the main loop in time, so do it here, on every poll. */
        flush_tx(dev);
    }
    if (colo_link_is_connected(&dev->link)
        && decode_frames(dev, batch) && dp_packet_batch_is_empty(batch)
        && read_stream(dev)) {
        decode_frames(dev, batch);
    }
    ovs_mutex_unlock(&dev->mutex);

    if (qfill) {
        *qfill = 0;
    }
    return dp_packet_batch_is_empty(batch) ? EAGAIN : 0;
}

static void
netdev_colo_rxq_wait(struct netdev_rxq *rxq)
{
    struct netdev_colo *dev = netdev_colo_cast(rxq->netdev);

    ovs_mutex_lock(&dev->mutex);
    if (colo_link_is_connected(&dev->link)) {
        struct colo_frame frame;
        char *error;

        if (colo_frame_decode(dev->link.rxbuf.data, dev->link.rxbuf.size,
                              dev->vnet_hdr, &frame, &error)
            != COLO_FRAME_NEED_MORE) {
            poll_immediate_wake();
        } else {
            stream_recv_wait(dev->link.stream);
        }
        free(error);
    }
    ovs_mutex_unlock(&dev->mutex);
}

static int
netdev_colo_get_stats(const struct netdev *netdev, struct netdev_stats *stats)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *stats = dev->stats;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_get_etheraddr(const struct netdev *netdev, struct eth_addr *mac)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *mac = dev->mac;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_set_etheraddr(struct netdev *netdev, const struct eth_addr mac)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    dev->mac = mac;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

static int
netdev_colo_update_flags(struct netdev *netdev, enum netdev_flags off,
                         enum netdev_flags on, enum netdev_flags *old_flagsp)
{
    struct netdev_colo *dev = netdev_colo_cast(netdev);

    ovs_mutex_lock(&dev->mutex);
    *old_flagsp = dev->flags;
    dev->flags = (dev->flags | on) & ~off;
    ovs_mutex_unlock(&dev->mutex);
    return 0;
}

#define NETDEV_COLO_CLASS_COMMON                        \
    .run = netdev_colo_run,                             \
    .wait = netdev_colo_wait,                           \
    .alloc = netdev_colo_alloc,                         \
    .construct = netdev_colo_construct,                 \
    .destruct = netdev_colo_destruct,                   \
    .dealloc = netdev_colo_dealloc,                     \
    .get_config = netdev_colo_get_config,               \
    .set_config = netdev_colo_set_config,               \
    .get_status = netdev_colo_get_status,               \
    .send = netdev_colo_send,                           \
    .send_wait = netdev_colo_send_wait,                 \
    .get_etheraddr = netdev_colo_get_etheraddr,         \
    .set_etheraddr = netdev_colo_set_etheraddr,         \
    .get_stats = netdev_colo_get_stats,                 \
    .update_flags = netdev_colo_update_flags,           \
    .rxq_alloc = netdev_colo_rxq_alloc,                 \
    .rxq_construct = netdev_colo_rxq_construct,         \
    .rxq_destruct = netdev_colo_rxq_destruct,           \
    .rxq_dealloc = netdev_colo_rxq_dealloc,             \
    .rxq_recv = netdev_colo_rxq_recv,                   \
    .rxq_wait = netdev_colo_rxq_wait

/* "colo": received frames are read by the datapath's main thread, in its
 * poll loop, like any non-PMD port. */
static const struct netdev_class netdev_colo_class = {
    .type = "colo",
    NETDEV_COLO_CLASS_COMMON,
};

/* "colo-pmd": the same port, whose receive queue is polled by a PMD thread
 * of the userspace datapath instead.  The thread spins on its core, so this
 * is for a host that gives cores to the datapath; in exchange the packets
 * no longer wait for, nor share a core with, the main loop. */
static const struct netdev_class netdev_colo_pmd_class = {
    .type = "colo-pmd",
    .is_pmd = true,
    NETDEV_COLO_CLASS_COMMON,
};

/* Registers the "colo" and "colo-pmd" netdev classes.  Safe to call more
 * than once. */
void
netdev_colo_register(void)
{
    static struct ovsthread_once once = OVSTHREAD_ONCE_INITIALIZER;

    if (ovsthread_once_start(&once)) {
        netdev_register_provider(&netdev_colo_class);
        netdev_register_provider(&netdev_colo_pmd_class);
        ovsthread_once_done(&once);
    }
}
