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

#include "colo/colo-conntab.h"
#include "colo/colo-packet.h"
#include "csum.h"
#include "dp-packet.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_rewrite);

/* TCP option kinds. */
enum tcp_option_kind {
    TCPOPT_EOL = 0,
    TCPOPT_NOP = 1,
    TCPOPT_SACK = 5,
    TCPOPT_TIMESTAMP = 8,
};

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

/* A connection: the table's part, and what the rewriter learns. */
struct rw_conn {
    struct colo_ct_conn ct;     /* In 'rw->tab'; direction 0 is
                                 * COLO_TO_SVM, 1 COLO_FROM_SVM. */
    struct rw_space seq;        /* Sequence numbers. */
    struct rw_space ts;         /* TCP timestamps. */
    /* The spaces as they were at a checkpoint's start, kept until its done
     * (see colo_rewriter_set_failover()). */
    bool has_before;
    struct rw_space seq_before, ts_before;
    struct ovs_list held;       /* struct rw_held, client packets waiting
                                 * for 'seq.offset'. */
    size_t n_held;
};
BUILD_ASSERT_DECL(COLO_TO_SVM == 0 && COLO_FROM_SVM == 1);

/* A client packet waiting for its connection's offset. */
struct rw_held {
    struct ovs_list node;       /* In 'conn->held'. */
    struct ovs_list age_node;   /* In 'rw->aged', by arrival. */
    struct rw_conn *conn;
    struct dp_packet *pkt;
    long long int arrival;
};

struct colo_rewriter {
    struct colo_options options;
    bool failover;
    colo_rewrite_release_cb *release;
    void *aux;
    struct colo_conntab tab;    /* struct rw_conn. */
    struct ovs_list aged;       /* struct rw_held, all connections, oldest
                                 * first. */
    size_t held_bytes;          /* Bytes of the packets held, all
                                 * connections (max-queue-bytes). */
    bool started;               /* Offsets reset at a checkpoint's start,
                                 * its done not seen yet. */
    struct colo_rewrite_stats stats;
};

/* The most fields of one kind that 40 bytes of TCP options can hold: SACK
 * block edges (four options of one block each, or one of four blocks) and
 * timestamp options (10 bytes each). */
#define RW_MAX_SACK_EDGES 8
#define RW_MAX_TS 4

/* A parsed TCP packet. */
struct rw_packet {
    struct dp_packet *pkt;
    struct tcp_header *tcp;
    uint16_t flags;
    struct colo_conn_key key;   /* As the VM sends. */

    /* The options, as parse_options() found them. */
    bool has_options;
    bool bad_options;           /* Malformed: no field below is set. */
    size_t n_sack;
    uint8_t *sack[RW_MAX_SACK_EDGES]; /* SACK block edges. */
    size_t n_ts;
    uint8_t *ts[RW_MAX_TS];     /* Timestamp options: TSval at ts[i],
                                 * TSecr at ts[i] + 4. */
};

static struct colo_ct_conn *
rw_conn_alloc(void)
{
    struct rw_conn *conn = xzalloc(sizeof *conn);

    ovs_list_init(&conn->held);
    return &conn->ct;
}

static void
rw_conn_free(struct colo_ct_conn *ct)
{
    free(CONTAINER_OF(ct, struct rw_conn, ct));
}

static bool
rw_conn_busy(const struct colo_ct_conn *ct)
{
    return CONTAINER_OF(ct, struct rw_conn, ct)->n_held != 0;
}

static const struct colo_conntab_class rw_conn_class = {
    rw_conn_alloc, rw_conn_free, rw_conn_busy,
};

static struct rw_conn *
rw_conn_cast(struct colo_ct_conn *ct)
{
    return ct ? CONTAINER_OF(ct, struct rw_conn, ct) : NULL;
}

struct colo_rewriter *
colo_rewriter_create(const struct colo_options *options,
                     colo_rewrite_release_cb *release, void *aux)
{
    struct colo_rewriter *rw = xzalloc(sizeof *rw);

    colo_conntab_init(&rw->tab, &rw_conn_class);
    ovs_list_init(&rw->aged);
    colo_rewriter_set_options(rw, options);
    rw->release = release;
    rw->aux = aux;
    return rw;
}

void
colo_rewriter_set_options(struct colo_rewriter *rw,
                          const struct colo_options *options)
{
    colo_conntab_set_options(&rw->tab, options);
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
        HMAP_FOR_EACH (conn, ct.node, &rw->tab.conns) {
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

/* Parses 'pkt', going in direction 'dir', into 'rp' (but for its options:
 * parse_options()).  Returns false if it is not a TCP packet with a sane
 * header (it then passes unchanged), with '*malformed' set if OVS's parser
 * rejects its IP headers. */
static bool
parse_packet(struct dp_packet *pkt, enum colo_rewrite_dir dir,
             struct rw_packet *rp, bool *malformed)
{
    struct colo_packet cp;

    colo_packet_classify(pkt, &cp);
    *malformed = cp.malformed;
    if (cp.kind != COLO_KIND_TCP) {
        return false;
    }
    rp->key = dir == COLO_FROM_SVM ? cp.key : colo_conn_key_reverse(&cp.key);
    rp->pkt = pkt;
    rp->tcp = dp_packet_l4(pkt);
    rp->flags = cp.tcp_flags;
    return true;
}

/* Finds, in one pass, the SACK block edges and timestamps among the TCP
 * options of 'rp'.  Malformed options leave every field unset. */
static void
parse_options(struct rw_packet *rp)
{
    uint8_t *p = (uint8_t *) (rp->tcp + 1);
    uint8_t *end = (uint8_t *) rp->tcp + TCP_OFFSET(rp->tcp->tcp_ctl) * 4;

    rp->has_options = p < end;
    rp->bad_options = false;
    rp->n_sack = rp->n_ts = 0;
    while (p < end && *p != TCPOPT_EOL) {
        if (*p == TCPOPT_NOP) {
            p++;
            continue;
        }
        if (end - p < 2 || p[1] < 2 || p[1] > end - p) {
            rp->bad_options = true;
            rp->n_sack = rp->n_ts = 0;
            return;
        }
        int len = p[1];
        if (*p == TCPOPT_SACK && (len - 2) % 8 == 0) {
            for (int i = 2; i < len; i += 4) {
                ovs_assert(rp->n_sack < RW_MAX_SACK_EDGES);
                rp->sack[rp->n_sack++] = p + i;
            }
        } else if (*p == TCPOPT_TIMESTAMP && len == 10) {
            ovs_assert(rp->n_ts < RW_MAX_TS);
            rp->ts[rp->n_ts++] = p + 2;
        }
        p += len;
    }
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
 * PVM's from the client's first acknowledgment of it.  The timestamps are
 * those of the last timestamp option, if any. */
static void
learn(struct rw_conn *conn, enum colo_rewrite_dir dir, struct rw_packet *rp)
{
    uint8_t *ts = rp->n_ts ? rp->ts[rp->n_ts - 1] : NULL;

    if (dir == COLO_FROM_SVM && rp->flags & TCP_SYN) {
        learn_value(&conn->seq.svm, ntohl(get_16aligned_be32(
                                              &rp->tcp->tcp_seq)));
        if (ts) {
            learn_value(&conn->ts.svm, get_field(ts));
        }
    } else if (dir == COLO_TO_SVM && rp->flags & TCP_ACK
               && !conn->seq.pvm.known) {
        learn_value(&conn->seq.pvm, ntohl(get_16aligned_be32(
                                              &rp->tcp->tcp_ack)) - 1);
        if (ts) {
            learn_value(&conn->ts.pvm, get_field(ts + 4));
        }
    }
    space_update(&conn->ts);
}

/* Rewrites 'rp' with 'conn''s offsets, which must be known: to the SVM, the
 * acknowledgment number, the SACK block edges and TSecr; from the SVM, the
 * sequence number and TSval. */
static void
rewrite(struct colo_rewriter *rw, struct rw_conn *conn,
        enum colo_rewrite_dir dir, struct rw_packet *rp)
{
    uint32_t off = conn->seq.offset.value;
    bool ts = (rw->options.tcp_timestamp_offset && conn->ts.offset.known
               && conn->ts.offset.value);

    if (!off && !ts) {
        return;
    }
    if (dir == COLO_FROM_SVM) {
        add_to_field(rp, (uint8_t *) &rp->tcp->tcp_seq, -off);
    } else if (rp->flags & TCP_ACK) {
        add_to_field(rp, (uint8_t *) &rp->tcp->tcp_ack, off);
    }
    if (rp->has_options && (dir == COLO_TO_SVM || ts)) {
        if (rp->bad_options) {
            rw->stats.bad_options++;
        }
        if (dir == COLO_TO_SVM) {
            for (size_t i = 0; i < rp->n_sack; i++) {
                add_to_field(rp, rp->sack[i], off);
            }
        }
        if (ts) {
            uint32_t ts_off = conn->ts.offset.value;

            for (size_t i = 0; i < rp->n_ts; i++) {
                if (dir == COLO_TO_SVM) {
                    add_to_field(rp, rp->ts[i] + 4, ts_off);
                } else {
                    add_to_field(rp, rp->ts[i], -ts_off);
                }
            }
        }
    }
    rw->stats.rewritten++;
}

/* Rewrites and releases the packets 'conn' holds, or releases them
 * unchanged if its offset is still unknown. */
static void
release_held(struct colo_rewriter *rw, struct rw_conn *conn)
{
    struct rw_held *h;

    LIST_FOR_EACH_POP (h, node, &conn->held) {
        struct rw_packet rp;
        bool malformed;

        ovs_list_remove(&h->age_node);
        conn->n_held--;
        rw->held_bytes -= dp_packet_size(h->pkt);
        if (conn->seq.offset.known
            && parse_packet(h->pkt, COLO_TO_SVM, &rp, &malformed)) {
            parse_options(&rp);
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
    h->conn = conn;
    h->pkt = rp->pkt;
    h->arrival = now;
    ovs_list_push_back(&conn->held, &h->node);
    ovs_list_push_back(&rw->aged, &h->age_node);
    conn->n_held++;
    rw->held_bytes += size;
    rw->stats.held++;
    return true;
}

/* Rewrites 'pkt', going in direction 'dir'.  See enum colo_rewrite_result
 * for who owns 'pkt' afterward. */
enum colo_rewrite_result
colo_rewriter_process(struct colo_rewriter *rw, enum colo_rewrite_dir dir,
                      struct dp_packet *pkt, long long int now)
{
    struct rw_packet rp;
    bool malformed;

    if (!parse_packet(pkt, dir, &rp, &malformed)) {
        if (malformed) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

            rw->stats.malformed++;
            VLOG_INFO_RL(&rl, "malformed IP packet (%"PRIu32" bytes) "
                         "passed unchanged", dp_packet_size(pkt));
        }
        return COLO_REWRITE_PASS;
    }

    /* A connection begins with a SYN, unless in failover mode. */
    struct rw_conn *conn = rw_conn_cast(colo_conntab_get(
        &rw->tab, &rp.key, !rw->failover && rp.flags & TCP_SYN, now));
    if (!conn) {
        rw->stats.unknown++;
        return COLO_REWRITE_PASS;
    }

    parse_options(&rp);
    learn(conn, dir, &rp);
    colo_conntab_track_tcp(&rw->tab, &conn->ct, dir, rp.flags);
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
    while (!ovs_list_is_empty(&rw->aged)) {
        struct rw_held *h = CONTAINER_OF(ovs_list_front(&rw->aged),
                                         struct rw_held, age_node);

        if (now - h->arrival < COLO_REWRITE_HOLD_MS) {
            break;
        }
        release_held(rw, h->conn);
    }
    colo_conntab_run(&rw->tab, now);
}

/* After a checkpoint the SVM is a copy of the PVM: every offset becomes 0,
 * and held packets go on with it.  If 'keep', the spaces of before are
 * kept (see colo_rewriter_set_failover()). */
static void
reset_offsets(struct colo_rewriter *rw, bool keep)
{
    struct rw_conn *conn;

    HMAP_FOR_EACH (conn, ct.node, &rw->tab.conns) {
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
        HMAP_FOR_EACH (conn, ct.node, &rw->tab.conns) {
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
    colo_conntab_get_stats(&rw->tab, &stats->connections,
                           &stats->conns_created, &stats->conns_closed,
                           &stats->conns_expired, &stats->conns_evicted);
}

/* Destroys 'rw', releasing held packets unchanged. */
void
colo_rewriter_destroy(struct colo_rewriter *rw)
{
    if (rw) {
        struct rw_conn *conn;

        HMAP_FOR_EACH (conn, ct.node, &rw->tab.conns) {
            release_held(rw, conn);
        }
        colo_conntab_destroy(&rw->tab);
        free(rw);
    }
}
