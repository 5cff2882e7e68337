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
#include "colo/colo-rewrite.h"

#include <string.h>

#include "colo/colo-packet.h"
#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_rewrite);

/* A closed connection is forgotten after this many idle milliseconds. */
#define CLOSED_LINGER_MS 1000

/* TCP option kinds. */
enum tcp_option_kind {
    TCPOPT_EOL = 0,
    TCPOPT_NOP = 1,
    TCPOPT_SACK = 5,
    TCPOPT_TIMESTAMP = 8,
};

/* A connection, from the VM's point of view.  Hashed and compared as
 * bytes. */
struct rw_key {
    struct in6_addr vm_addr;
    struct in6_addr client_addr;
    ovs_be16 vm_port;
    ovs_be16 client_port;
    ovs_be16 dl_type;
    uint8_t pad[2];             /* Zero. */
};
BUILD_ASSERT_DECL(sizeof(struct rw_key) == 40);

/* A 32-bit number learned from a handshake. */
struct rw_learned {
    bool known;
    uint32_t value;
};

/* What is learned per connection: the two sides' values of a sequence
 * space (ISNs or timestamps) and the resulting offset. */
struct rw_space {
    struct rw_learned svm;      /* The SVM's value. */
    struct rw_learned pvm;      /* The PVM's value. */
    struct rw_learned offset;   /* svm - pvm, once both are known. */
};

struct rw_conn {
    struct hmap_node node;      /* In 'rw->conns'. */
    struct ovs_list lru_node;   /* In 'rw->lru', least recent first. */
    struct rw_key key;
    struct rw_space seq;        /* Sequence numbers. */
    struct rw_space ts;         /* TCP timestamps. */
    /* The spaces as they were at a checkpoint's start, kept until its done
     * (see colo_rewriter_set_failover()). */
    bool has_before;
    struct rw_space seq_before, ts_before;
    struct ovs_list held;       /* struct rw_held, client packets waiting
                                 * for 'seq.offset'. */
    size_t n_held;
    long long int last_used;
    bool fin_to_svm, fin_from_svm, rst;
};

/* A client packet waiting for its connection's offset. */
struct rw_held {
    struct ovs_list node;       /* In 'conn->held'. */
    struct dp_packet *pkt;
    long long int arrival;
};

struct colo_rewriter {
    struct colo_options options;
    bool failover;
    colo_rewrite_release_cb *release;
    void *aux;
    struct hmap conns;          /* struct rw_conn. */
    struct ovs_list lru;        /* struct rw_conn, least recent first. */
    size_t held_bytes;          /* Bytes of the packets held, all
                                 * connections (max-queue-bytes). */
    bool started;               /* Offsets reset at a checkpoint's start,
                                 * its done not seen yet. */
    struct colo_rewrite_stats stats;
};

/* A parsed TCP packet. */
struct rw_packet {
    struct dp_packet *pkt;
    struct tcp_header *tcp;
    uint8_t *opts, *opts_end;   /* TCP options. */
    uint16_t flags;
    bool malformed;             /* Set when parse_packet() fails on an IP
                                 * packet that OVS's parser rejects. */
    struct rw_key key;
};

struct colo_rewriter *
colo_rewriter_create(const struct colo_options *options,
                     colo_rewrite_release_cb *release, void *aux)
{
    struct colo_rewriter *rw = xzalloc(sizeof *rw);

    rw->options = *options;
    rw->release = release;
    rw->aux = aux;
    hmap_init(&rw->conns);
    ovs_list_init(&rw->lru);
    return rw;
}

void
colo_rewriter_set_options(struct colo_rewriter *rw,
                          const struct colo_options *options)
{
    rw->options = *options;
}

/* In failover mode the SVM talks to clients directly: connections known
 * before keep their offsets, new ones are not rewritten.  A failover
 * between a checkpoint's start and its done means that the checkpoint never
 * completed (the primary died during it): the SVM goes on from the previous
 * checkpoint, in the sequence spaces it had then, so the offsets of before
 * the start come back. */
void
colo_rewriter_set_failover(struct colo_rewriter *rw, bool failover)
{
    if (failover && !rw->failover && rw->started) {
        struct rw_conn *conn;

        VLOG_INFO("failover during a checkpoint: the offsets of before its "
                  "start are restored");
        HMAP_FOR_EACH (conn, node, &rw->conns) {
            if (conn->has_before) {
                conn->seq = conn->seq_before;
                conn->ts = conn->ts_before;
                conn->has_before = false;
            }
        }
        rw->started = false;
    }
    rw->failover = failover;
}

/* Parses 'pkt', going in direction 'dir', into 'rp'.  Returns false if it
 * is not a TCP packet with a sane header (it then passes unchanged). */
static bool
parse_packet(struct dp_packet *pkt, enum colo_rewrite_dir dir,
             struct rw_packet *rp)
{
    struct flow flow;

    flow_extract(pkt, &flow);
    rp->malformed = colo_packet_ip_is_malformed(pkt, &flow);
    if (rp->malformed || !is_ip_any(&flow) || flow.nw_proto != IPPROTO_TCP
        || flow.nw_frag & FLOW_NW_FRAG_ANY
        || !dp_packet_get_tcp_payload(pkt)) {
        return false;
    }

    struct in6_addr src, dst;
    if (flow.dl_type == htons(ETH_TYPE_IP)) {
        in6_addr_set_mapped_ipv4(&src, flow.nw_src);
        in6_addr_set_mapped_ipv4(&dst, flow.nw_dst);
    } else {
        src = flow.ipv6_src;
        dst = flow.ipv6_dst;
    }

    memset(&rp->key, 0, sizeof rp->key);
    rp->key.dl_type = flow.dl_type;
    if (dir == COLO_FROM_SVM) {
        rp->key.vm_addr = src;
        rp->key.vm_port = flow.tp_src;
        rp->key.client_addr = dst;
        rp->key.client_port = flow.tp_dst;
    } else {
        rp->key.vm_addr = dst;
        rp->key.vm_port = flow.tp_dst;
        rp->key.client_addr = src;
        rp->key.client_port = flow.tp_src;
    }
    rp->pkt = pkt;
    rp->tcp = dp_packet_l4(pkt);
    rp->flags = TCP_FLAGS(rp->tcp->tcp_ctl);
    rp->opts = (uint8_t *) (rp->tcp + 1);
    rp->opts_end = (uint8_t *) rp->tcp + TCP_OFFSET(rp->tcp->tcp_ctl) * 4;
    return true;
}

/* Returns the four bytes of 'x' with the two bytes of each 16-bit half
 * swapped: the checksum contribution of 'x' stored at an odd offset. */
static ovs_be32
swap_halves(ovs_be32 x)
{
    uint8_t b[4], t;

    memcpy(b, &x, 4);
    t = b[0], b[0] = b[1], b[1] = t;
    t = b[2], b[2] = b[3], b[3] = t;
    memcpy(&x, b, 4);
    return x;
}

/* Adds 'delta' to the 32-bit big-endian number at 'field', which is
 * anywhere in the TCP segment of 'rp', and updates the TCP checksum
 * incrementally. */
static void
add_to_field(struct rw_packet *rp, uint8_t *field, uint32_t delta)
{
    ovs_be32 old, new;

    memcpy(&old, field, 4);
    new = htonl(ntohl(old) + delta);
    memcpy(field, &new, 4);
    if ((field - (uint8_t *) rp->tcp) & 1) {
        old = swap_halves(old);
        new = swap_halves(new);
    }
    rp->tcp->tcp_csum = recalc_csum32(rp->tcp->tcp_csum, old, new);
}

static uint32_t
get_field(const uint8_t *field)
{
    ovs_be32 x;

    memcpy(&x, field, 4);
    return ntohl(x);
}

/* Calls 'cb' for each SACK block edge and timestamp of 'rp', with the kind
 * of option and the position of the field.  Returns false, without calling
 * 'cb' for anything, if the options are malformed. */
static bool
walk_options(struct rw_packet *rp,
             void (*cb)(struct rw_packet *, enum tcp_option_kind,
                        uint8_t *field, int index, void *aux),
             void *aux)
{
    for (int pass = 0; pass < 2; pass++) {
        uint8_t *p = rp->opts;

        while (p < rp->opts_end && *p != TCPOPT_EOL) {
            if (*p == TCPOPT_NOP) {
                p++;
                continue;
            }
            if (rp->opts_end - p < 2 || p[1] < 2 || p[1] > rp->opts_end - p) {
                return false;
            }
            int len = p[1];
            if (pass && *p == TCPOPT_SACK && (len - 2) % 8 == 0) {
                for (int i = 2; i < len; i += 4) {
                    cb(rp, TCPOPT_SACK, p + i, 0, aux);
                }
            } else if (pass && *p == TCPOPT_TIMESTAMP && len == 10) {
                cb(rp, TCPOPT_TIMESTAMP, p + 2, 0, aux);
                cb(rp, TCPOPT_TIMESTAMP, p + 6, 1, aux);
            }
            p += len;
        }
    }
    return true;
}

/* Finds the timestamp option's TSval (index 0) or TSecr (index 1). */
struct find_ts_aux {
    int index;
    uint8_t *field;
};

static void
find_ts_cb(struct rw_packet *rp OVS_UNUSED, enum tcp_option_kind kind,
           uint8_t *field, int index, void *aux_)
{
    struct find_ts_aux *aux = aux_;

    if (kind == TCPOPT_TIMESTAMP && index == aux->index) {
        aux->field = field;
    }
}

static uint8_t *
find_ts(struct rw_packet *rp, int index)
{
    struct find_ts_aux aux = { index, NULL };

    walk_options(rp, find_ts_cb, &aux);
    return aux.field;
}

/* Applies the connection's offsets to the options of 'rp'. */
struct shift_aux {
    enum colo_rewrite_dir dir;
    uint32_t seq_delta;         /* For SACK edges. */
    bool ts;                    /* Shift timestamps? */
    uint32_t ts_delta;
};

static void
shift_options_cb(struct rw_packet *rp, enum tcp_option_kind kind,
                 uint8_t *field, int index, void *aux_)
{
    const struct shift_aux *aux = aux_;

    if (kind == TCPOPT_SACK && aux->dir == COLO_TO_SVM) {
        add_to_field(rp, field, aux->seq_delta);
    } else if (kind == TCPOPT_TIMESTAMP && aux->ts
               && index == (aux->dir == COLO_TO_SVM ? 1 : 0)) {
        add_to_field(rp, field, aux->ts_delta);
    }
}

static void
learn_value(struct rw_learned *l, uint32_t value)
{
    if (!l->known) {
        l->known = true;
        l->value = value;
    }
}

/* Computes 's''s offset if both sides are known.  Returns true if it was
 * just learned. */
static bool
space_update(struct rw_space *s)
{
    if (!s->offset.known && s->svm.known && s->pvm.known) {
        s->offset.known = true;
        s->offset.value = s->svm.value - s->pvm.value;
        return true;
    }
    return false;
}

static void
space_reset(struct rw_space *s)
{
    s->svm.known = s->pvm.known = true;
    s->offset.known = true;
    s->offset.value = 0;
}

/* Learns from 'rp': the SVM's ISN (and TSval) from its SYN or SYN+ACK, the
 * PVM's from the client's first acknowledgment of it. */
static void
learn(struct rw_conn *conn, enum colo_rewrite_dir dir, struct rw_packet *rp)
{
    if (dir == COLO_FROM_SVM && rp->flags & TCP_SYN) {
        uint8_t *tsval = find_ts(rp, 0);

        learn_value(&conn->seq.svm, ntohl(get_16aligned_be32(
                                              &rp->tcp->tcp_seq)));
        if (tsval) {
            learn_value(&conn->ts.svm, get_field(tsval));
        }
    } else if (dir == COLO_TO_SVM && rp->flags & TCP_ACK
               && !conn->seq.pvm.known) {
        uint8_t *tsecr = find_ts(rp, 1);

        learn_value(&conn->seq.pvm, ntohl(get_16aligned_be32(
                                              &rp->tcp->tcp_ack)) - 1);
        if (tsecr) {
            learn_value(&conn->ts.pvm, get_field(tsecr));
        }
    }
    space_update(&conn->ts);
}

/* Rewrites 'rp' with 'conn''s offsets, which must be known. */
static void
rewrite(struct colo_rewriter *rw, struct rw_conn *conn,
        enum colo_rewrite_dir dir, struct rw_packet *rp)
{
    uint32_t off = conn->seq.offset.value;
    struct shift_aux aux = {
        .dir = dir,
        .seq_delta = off,
        .ts = (rw->options.tcp_timestamp_offset && conn->ts.offset.known
               && conn->ts.offset.value),
        .ts_delta = (dir == COLO_TO_SVM ? conn->ts.offset.value
                     : -conn->ts.offset.value),
    };

    if (!off && !aux.ts) {
        return;
    }
    if (dir == COLO_FROM_SVM) {
        add_to_field(rp, (uint8_t *) &rp->tcp->tcp_seq, -off);
    } else if (rp->flags & TCP_ACK) {
        add_to_field(rp, (uint8_t *) &rp->tcp->tcp_ack, off);
    }
    if (rp->opts < rp->opts_end && (dir == COLO_TO_SVM || aux.ts)
        && !walk_options(rp, shift_options_cb, &aux)) {
        rw->stats.bad_options++;
    }
    rw->stats.rewritten++;
}

static void
track_close(struct rw_conn *conn, enum colo_rewrite_dir dir,
            const struct rw_packet *rp)
{
    if (rp->flags & TCP_RST) {
        conn->rst = true;
    } else if (rp->flags & TCP_FIN) {
        if (dir == COLO_TO_SVM) {
            conn->fin_to_svm = true;
        } else {
            conn->fin_from_svm = true;
        }
    }
}

static bool
conn_closed(const struct rw_conn *conn)
{
    return conn->rst || (conn->fin_to_svm && conn->fin_from_svm);
}

static struct rw_conn *
conn_lookup(const struct colo_rewriter *rw, const struct rw_key *key,
            uint32_t hash)
{
    struct rw_conn *conn;

    HMAP_FOR_EACH_WITH_HASH (conn, node, hash, &rw->conns) {
        if (!memcmp(&conn->key, key, sizeof *key)) {
            return conn;
        }
    }
    return NULL;
}

static void
conn_destroy(struct colo_rewriter *rw, struct rw_conn *conn)
{
    ovs_assert(!conn->n_held);
    hmap_remove(&rw->conns, &conn->node);
    ovs_list_remove(&conn->lru_node);
    rw->stats.connections--;
    free(conn);
}

/* Evicts the least recently used connection that holds no packet. */
static bool
conn_evict(struct colo_rewriter *rw)
{
    struct rw_conn *conn;
    int budget = 64;

    LIST_FOR_EACH (conn, lru_node, &rw->lru) {
        if (!conn->n_held) {
            conn_destroy(rw, conn);
            rw->stats.conns_evicted++;
            return true;
        }
        if (!--budget) {
            break;
        }
    }
    return false;
}

static struct rw_conn *
conn_create(struct colo_rewriter *rw, const struct rw_key *key,
            uint32_t hash)
{
    if (hmap_count(&rw->conns) >= rw->options.max_connections
        && !conn_evict(rw)) {
        return NULL;
    }

    struct rw_conn *conn = xzalloc(sizeof *conn);
    conn->key = *key;
    ovs_list_init(&conn->held);
    hmap_insert(&rw->conns, &conn->node, hash);
    ovs_list_push_back(&rw->lru, &conn->lru_node);
    rw->stats.connections++;
    rw->stats.conns_created++;
    return conn;
}

/* Rewrites and releases the packets 'conn' holds, or releases them
 * unchanged if its offset is still unknown. */
static void
release_held(struct colo_rewriter *rw, struct rw_conn *conn)
{
    struct rw_held *h;

    LIST_FOR_EACH_POP (h, node, &conn->held) {
        struct rw_packet rp;

        conn->n_held--;
        rw->held_bytes -= dp_packet_size(h->pkt);
        if (conn->seq.offset.known
            && parse_packet(h->pkt, COLO_TO_SVM, &rp)) {
            rewrite(rw, conn, COLO_TO_SVM, &rp);
        } else {
            rw->stats.hold_timeouts++;
        }
        rw->release(h->pkt, COLO_TO_SVM, rw->aux);
        free(h);
    }
}

/* Holds client packet 'rp' until 'conn''s offset is known.  Returns false
 * if 'conn' holds COLO_REWRITE_MAX_HELD packets already, or if holding it
 * would take the bytes held by all connections past the max-queue-bytes
 * option. */
static bool
hold(struct colo_rewriter *rw, struct rw_conn *conn,
     const struct rw_packet *rp, long long int now)
{
    size_t size = dp_packet_size(rp->pkt);

    if (conn->n_held >= COLO_REWRITE_MAX_HELD
        || rw->held_bytes + size > rw->options.max_queue_bytes) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

        rw->stats.hold_overflows++;
        VLOG_WARN_RL(&rl, "hold queue full (%"PRIuSIZE" packets on the "
                     "connection, %"PRIuSIZE" bytes in all): a client "
                     "packet passes without its offset", conn->n_held,
                     rw->held_bytes);
        return false;
    }

    struct rw_held *h = xmalloc(sizeof *h);
    h->pkt = rp->pkt;
    h->arrival = now;
    ovs_list_push_back(&conn->held, &h->node);
    conn->n_held++;
    rw->held_bytes += size;
    rw->stats.held++;
    return true;
}

/* Returns the connection of 'rp', creating it for a SYN unless in failover
 * mode, or NULL. */
static struct rw_conn *
conn_get(struct colo_rewriter *rw, const struct rw_packet *rp,
         long long int now)
{
    uint32_t hash = hash_bytes(&rp->key, sizeof rp->key, 0);
    struct rw_conn *conn = conn_lookup(rw, &rp->key, hash);

    if (!conn) {
        if (rw->failover || !(rp->flags & TCP_SYN)) {
            return NULL;
        }
        conn = conn_create(rw, &rp->key, hash);
        if (!conn) {
            return NULL;
        }
    }
    ovs_list_remove(&conn->lru_node);
    ovs_list_push_back(&rw->lru, &conn->lru_node);
    conn->last_used = now;
    return conn;
}

/* Rewrites 'pkt', going in direction 'dir'.  See enum colo_rewrite_result
 * for who owns 'pkt' afterward. */
enum colo_rewrite_result
colo_rewriter_process(struct colo_rewriter *rw, enum colo_rewrite_dir dir,
                      struct dp_packet *pkt, long long int now)
{
    struct rw_packet rp;

    if (!parse_packet(pkt, dir, &rp)) {
        if (rp.malformed) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

            rw->stats.malformed++;
            VLOG_INFO_RL(&rl, "malformed IP packet (%"PRIu32" bytes) "
                         "passed unchanged", dp_packet_size(pkt));
        }
        return COLO_REWRITE_PASS;
    }

    struct rw_conn *conn = conn_get(rw, &rp, now);
    if (!conn) {
        rw->stats.unknown++;
        return COLO_REWRITE_PASS;
    }

    learn(conn, dir, &rp);
    track_close(conn, dir, &rp);
    if (space_update(&conn->seq)) {
        rw->stats.offsets_learned++;
        rewrite(rw, conn, dir, &rp);
        release_held(rw, conn);
        return COLO_REWRITE_PASS;
    }
    if (conn->seq.offset.known) {
        rewrite(rw, conn, dir, &rp);
    } else if (dir == COLO_TO_SVM && rp.flags & TCP_ACK
               && hold(rw, conn, &rp, now)) {
        return COLO_REWRITE_HELD;
    }
    return COLO_REWRITE_PASS;
}

/* Releases held packets that waited too long, unchanged, and forgets idle
 * and closed connections. */
void
colo_rewriter_run(struct colo_rewriter *rw, long long int now)
{
    long long int idle = rw->options.idle_timeout;
    struct rw_conn *conn;

    LIST_FOR_EACH_SAFE (conn, lru_node, &rw->lru) {
        if (conn->n_held) {
            struct rw_held *h = CONTAINER_OF(ovs_list_front(&conn->held),
                                             struct rw_held, node);
            if (now - h->arrival >= COLO_REWRITE_HOLD_MS) {
                release_held(rw, conn);
            }
            continue;
        }
        if (conn_closed(conn)
            ? now - conn->last_used >= MIN(idle, CLOSED_LINGER_MS)
            : now - conn->last_used >= idle) {
            if (conn_closed(conn)) {
                rw->stats.conns_closed++;
            } else {
                rw->stats.conns_expired++;
            }
            conn_destroy(rw, conn);
        }
    }
}

/* After a checkpoint the SVM is a copy of the PVM: every offset becomes 0,
 * and held packets go on with it.  If 'keep', the spaces of before are
 * kept (see colo_rewriter_set_failover()). */
static void
reset_offsets(struct colo_rewriter *rw, bool keep)
{
    struct rw_conn *conn;

    HMAP_FOR_EACH (conn, node, &rw->conns) {
        conn->has_before = keep;
        if (keep) {
            conn->seq_before = conn->seq;
            conn->ts_before = conn->ts;
        }
        space_reset(&conn->seq);
        space_reset(&conn->ts);
        release_held(rw, conn);
    }
}

/* A checkpoint has started: the VMs are stopped, and whatever reaches the SVM
 * from now on is received by the copy of the PVM it becomes, so the offsets
 * become 0 now rather than at the done.  Connections that begin after this
 * (the VMs may resume before the done) learn their offsets as usual, and the
 * done leaves them alone. */
void
colo_rewriter_checkpoint_start(struct colo_rewriter *rw)
{
    if (!rw->started) {
        rw->started = true;
        reset_offsets(rw, true);
    }
}

/* A checkpoint is done: every offset becomes 0, unless that was done at the
 * checkpoint's start (colo_rewriter_checkpoint_start()). */
void
colo_rewriter_checkpoint_done(struct colo_rewriter *rw)
{
    if (rw->started) {
        struct rw_conn *conn;

        rw->started = false;
        HMAP_FOR_EACH (conn, node, &rw->conns) {
            conn->has_before = false;
        }
    } else {
        reset_offsets(rw, false);
    }
}

void
colo_rewriter_get_stats(const struct colo_rewriter *rw,
                        struct colo_rewrite_stats *stats)
{
    *stats = rw->stats;
}

/* Destroys 'rw', releasing held packets unchanged. */
void
colo_rewriter_destroy(struct colo_rewriter *rw)
{
    if (rw) {
        struct rw_conn *conn;

        HMAP_FOR_EACH_SAFE (conn, node, &rw->conns) {
            release_held(rw, conn);
            conn_destroy(rw, conn);
        }
        hmap_destroy(&rw->conns);
        free(rw);
    }
}
