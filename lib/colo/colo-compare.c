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
#include "colo/colo-compare.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "colo/colo-conntab.h"
#include "colo/colo-packet.h"
#include "coverage.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(colo_compare);

COVERAGE_DEFINE(colo_compare_diverged);
COVERAGE_DEFINE(colo_compare_timeout);

/* A packet held by the comparator. */
struct colo_held {
    struct ovs_list conn_node;  /* In 'conn->queue[side]'. */
    struct ovs_list age_node;   /* In 'cmp->aged[side]', by arrival. */
    struct colo_conn *conn;     /* Connection it belongs to. */
    struct dp_packet *pkt;      /* The packet (owned). */
    long long int arrival;      /* When it was handed in, in ms. */
    uint32_t cmp_ofs;           /* Bytes to compare: offset in 'pkt'... */
    uint32_t cmp_size;          /* ...and size. */
    uint32_t frag;              /* IPv4 fragment offset and MF flag. */
    uint32_t seq;               /* TCP: sequence number of first byte. */
    uint16_t tcp_flags;         /* TCP: flags. */
    uint8_t side;               /* enum colo_side. */
    bool deferred;              /* In 'conn->deferred', not in 'queue'. */
};

/* State of one connection. */
struct colo_conn {
    struct colo_ct_conn ct;     /* In 'cmp->tab'; directions are enum
                                 * colo_side. */
    struct ovs_list queue[2];   /* Held packets, indexed by enum colo_side:
                                 * primary in arrival order, secondary TCP
                                 * by sequence number, else arrival. */
    bool stalled;               /* Comparison stopped (divergence or forced
                                 * release) until the next flush. */

    /* A checkpoint started while this connection held packets: those are
     * settled at its end, and packets that come meanwhile wait in
     * 'deferred' (both sides, in arrival order) to be compared after it
     * (see colo_compare_checkpoint_start()). */
    bool frozen;
    struct ovs_list deferred;   /* struct colo_held, by arrival. */

    /* TCP. */
    bool seq_known;             /* Is 'cmp_seq' valid? */
    bool compared;              /* Any byte compared since 'cmp_seq' was
                                 * set? */
    uint32_t cmp_seq;           /* Bytes before this have been compared. */

    /* TCP: bytes compared beyond a gap at 'cmp_seq' (see compare_ahead()):
     * [ahead_start, ahead_end) if 'ahead'. */
    bool ahead;
    uint32_t ahead_start, ahead_end;

    /* TCP: the secondary's payload seen so far ends at 'sec_end' (if
     * 'sec_seen'); after a flush, primary bytes before 'settled_end' (if
     * 'settled') were sent by the secondary before the checkpoint (see
     * tcp_settle()). */
    bool sec_seen;
    uint32_t sec_end;
    bool settled;
    uint32_t settled_end;

    /* TCP: primary packets wait while the secondary holds bytes beyond
     * 'cmp_seq' (see tcp_track_secondary_gap()).  'gap_since' is when that
     * was first seen with comparison at 'gap_seq' and 'gap_ahead_end',
     * while in 'cmp->gaps'. */
    struct ovs_list gap_node;   /* In 'cmp->gaps', if 'in_gap'. */
    bool in_gap;
    long long int gap_since;
    uint32_t gap_seq, gap_ahead_end;
};

struct colo_compare {
    struct colo_options options;
    colo_release_cb *release;
    void *aux;

    struct colo_conntab tab;    /* struct colo_conn. */
    struct ovs_list aged[2];    /* struct colo_held, by side, oldest
                                 * first. */
    size_t held_bytes[2];       /* Bytes held, by side. */
    size_t n_held[2];           /* Packets held, by side. */

    struct colo_stats stats;

    long long int last_run;     /* Last colo_compare_run(), in ms. */
    long long int now;          /* Time of the current call, in ms. */
    struct ovs_list gaps;       /* struct colo_conn with a secondary gap,
                                 * oldest first. */

    uint64_t n_requests;        /* Checkpoint requests raised. */
    bool request_pending;       /* Is request 'n_requests' outstanding? */
    char *reason;               /* Reason of request 'n_requests'. */
    bool started;               /* A checkpoint started, not done yet. */
};

static void compare_conn(struct colo_compare *, struct colo_conn *);

static struct colo_ct_conn *
conn_alloc(void)
{
    struct colo_conn *conn = xzalloc(sizeof *conn);

    ovs_list_init(&conn->queue[COLO_PRIMARY]);
    ovs_list_init(&conn->queue[COLO_SECONDARY]);
    ovs_list_init(&conn->deferred);
    return &conn->ct;
}

static void
conn_free(struct colo_ct_conn *ct)
{
    struct colo_conn *conn = CONTAINER_OF(ct, struct colo_conn, ct);

    if (conn->in_gap) {
        ovs_list_remove(&conn->gap_node);
    }
    free(conn);
}

static bool
conn_is_empty(const struct colo_conn *conn)
{
    return (ovs_list_is_empty(&conn->queue[COLO_PRIMARY])
            && ovs_list_is_empty(&conn->queue[COLO_SECONDARY])
            && ovs_list_is_empty(&conn->deferred));
}

static bool
conn_busy(const struct colo_ct_conn *ct)
{
    return !conn_is_empty(CONTAINER_OF(ct, struct colo_conn, ct));
}

static const struct colo_conntab_class conn_class = {
    conn_alloc, conn_free, conn_busy,
};

struct colo_compare *
colo_compare_create(const struct colo_options *options,
                    colo_release_cb *release, void *aux)
{
    struct colo_compare *cmp = xzalloc(sizeof *cmp);

    cmp->release = release;
    cmp->aux = aux;
    colo_conntab_init(&cmp->tab, &conn_class);
    ovs_list_init(&cmp->aged[COLO_PRIMARY]);
    ovs_list_init(&cmp->aged[COLO_SECONDARY]);
    ovs_list_init(&cmp->gaps);
    colo_compare_set_options(cmp, options);
    return cmp;
}

/* Reconfigures 'cmp'.  What it holds stays; new limits and timeouts apply
 * from the next packet or run on. */
void
colo_compare_set_options(struct colo_compare *cmp,
                         const struct colo_options *options)
{
    cmp->options = *options;
    colo_conntab_set_options(&cmp->tab, options);
}

/* Raises a checkpoint request, with a reason formatted from 'format', and
 * increments '*counter' (if nonnull), unless a request is already
 * outstanding.  Returns true if it raised one. */
static bool OVS_PRINTF_FORMAT(3, 4)
request_checkpoint(struct colo_compare *cmp, uint64_t *counter,
                   const char *format, ...)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    va_list args;

    if (cmp->request_pending) {
        return false;
    }
    va_start(args, format);
    free(cmp->reason);
    cmp->reason = xvasprintf(format, args);
    va_end(args);

    cmp->request_pending = true;
    cmp->n_requests++;
    cmp->stats.checkpoint_requests++;
    if (counter) {
        (*counter)++;
    }
    VLOG_INFO_RL(&rl, "checkpoint request %"PRIu64": %s",
                 cmp->n_requests, cmp->reason);
    return true;
}

/* Returns the key of 'conn' as a malloc'd string, for reasons and logs. */
static char *
conn_name(const struct colo_conn *conn)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    colo_conn_key_format(&conn->ct.key, &s);
    return ds_steal_cstr(&s);
}

static const uint8_t *
held_bytes(const struct colo_held *h)
{
    const uint8_t *data = dp_packet_data(h->pkt);

    /* An empty packet has no data pointer (found by fuzzing: adding even 0
     * to a null pointer is undefined behavior). */
    return data ? data + h->cmp_ofs : (const uint8_t *) "";
}

/* TCP: sequence number just after the payload of 'h'. */
static uint32_t
held_end(const struct colo_held *h)
{
    return h->seq + h->cmp_size;
}

/* Removes 'h' from its lists and accounting, and frees it, returning its
 * packet. */
static struct dp_packet *
held_remove(struct colo_compare *cmp, struct colo_held *h, enum colo_side side)
{
    struct dp_packet *pkt = h->pkt;

    ovs_list_remove(&h->conn_node);
    ovs_list_remove(&h->age_node);
    cmp->n_held[side]--;
    cmp->held_bytes[side] -= dp_packet_size(pkt);
    free(h);
    return pkt;
}

/* Releases primary packet 'h' to the client, counting it in '*counter'
 * too. */
static void
release_primary(struct colo_compare *cmp, struct colo_held *h,
                uint64_t *counter)
{
    struct dp_packet *pkt = held_remove(cmp, h, COLO_PRIMARY);

    cmp->stats.released++;
    (*counter)++;
    cmp->release(pkt, cmp->aux);
}

static void
free_secondary(struct colo_compare *cmp, struct colo_held *h)
{
    dp_packet_delete(held_remove(cmp, h, COLO_SECONDARY));
}

static struct colo_held *
queue_head(const struct colo_conn *conn, enum colo_side side)
{
    return (ovs_list_is_empty(&conn->queue[side]) ? NULL
            : CONTAINER_OF(ovs_list_front(&conn->queue[side]),
                           struct colo_held, conn_node));
}

/* Forgets the comparison state of 'conn', after a flush. */
static void
conn_reset(struct colo_conn *conn)
{
    conn->stalled = false;
    conn->frozen = false;
    conn->seq_known = false;
    conn->compared = false;
    conn->ahead = false;
    conn->settled = conn->sec_seen;
    conn->settled_end = conn->sec_end;
    if (conn->in_gap) {
        ovs_list_remove(&conn->gap_node);
        conn->in_gap = false;
    }
}

/* Returns the connection for 'key', creating it if needed, or NULL if the
 * table is full of connections that hold packets. */
static struct colo_conn *
conn_get(struct colo_compare *cmp, const struct colo_conn_key *key,
         long long int now)
{
    struct colo_ct_conn *ct = colo_conntab_get(&cmp->tab, key, true, now);

    return ct ? CONTAINER_OF(ct, struct colo_conn, ct) : NULL;
}

/* Makes room for 'size' more bytes on 'side': while its queue is full,
 * raises a checkpoint request and releases the oldest held primary packet
 * uncompared (counted in 'forced') or drops the oldest secondary packet
 * (counted in 'secondary_dropped').  Either way comparison of its
 * connection stops until the flush. */
static void
make_room(struct colo_compare *cmp, enum colo_side side, size_t size)
{
    const struct colo_options *o = &cmp->options;

    while ((cmp->n_held[side] + 1 > o->max_queue_packets
            || cmp->held_bytes[side] + size > o->max_queue_bytes)
           && !ovs_list_is_empty(&cmp->aged[side])) {
        struct colo_held *h = CONTAINER_OF(ovs_list_front(&cmp->aged[side]),
                                           struct colo_held, age_node);

        request_checkpoint(cmp, &cmp->stats.queue_full,
                           "queue full: %"PRIuSIZE" %s packets, %"PRIuSIZE
                           " bytes held", cmp->n_held[side],
                           side == COLO_PRIMARY ? "primary" : "secondary",
                           cmp->held_bytes[side]);
        h->conn->stalled = true;
        if (side == COLO_PRIMARY) {
            release_primary(cmp, h, &cmp->stats.forced);
        } else {
            cmp->stats.secondary_dropped++;
            free_secondary(cmp, h);
        }
    }
}

/* Inserts secondary TCP segment 'h' into 'conn''s secondary queue, which
 * is kept sorted by sequence number. */
static void
insert_secondary_tcp(struct colo_conn *conn, struct colo_held *h)
{
    struct colo_held *pos;

    LIST_FOR_EACH_REVERSE (pos, conn_node, &conn->queue[COLO_SECONDARY]) {
        if (INT_MOD_LEQ(pos->seq, h->seq)) {
            ovs_list_insert(pos->conn_node.next, &h->conn_node);
            return;
        }
    }
    ovs_list_push_front(&conn->queue[COLO_SECONDARY], &h->conn_node);
}

/* TCP: notes the sequence number of primary packet 'h' for the start of
 * comparison: the lowest sequence number the primary sent before any byte
 * was compared.  Only the primary sets it, so that a stale secondary
 * segment (sent before a checkpoint, received after) cannot hold
 * comparison back. */
static void
tcp_track_seq(struct colo_conn *conn, const struct colo_held *h)
{
    if (!conn->seq_known) {
        conn->seq_known = true;
        conn->cmp_seq = h->seq;
    } else if (!conn->compared && INT_MOD_LT(h->seq, conn->cmp_seq)) {
        conn->cmp_seq = h->seq;
    }
}

/* TCP: returns true if secondary segment 'h' has nothing to compare: no
 * payload, or payload that has been compared already (a retransmission),
 * which is counted. */
static bool
tcp_secondary_is_useless(struct colo_compare *cmp,
                         const struct colo_conn *conn,
                         const struct colo_held *h)
{
    if (!h->cmp_size) {
        return true;
    }
    if (conn->compared && INT_MOD_LEQ(held_end(h), conn->cmp_seq)) {
        cmp->stats.secondary_retransmits++;
        return true;
    }
    return false;
}

/* Puts 'h' in its connection's queue. */
static void
enqueue(struct colo_conn *conn, struct colo_held *h)
{
    if (conn->ct.key.kind == COLO_KIND_TCP && h->side == COLO_SECONDARY) {
        insert_secondary_tcp(conn, h);
    } else {
        ovs_list_push_back(&conn->queue[h->side], &h->conn_node);
    }
}

/* Takes 'h', which 'conn' and the age list hold already, into the
 * comparison of 'conn': tracks it, queues it (or frees it if it has nothing
 * to compare) and compares. */
static void
take_in(struct colo_compare *cmp, struct colo_conn *conn, struct colo_held *h)
{
    enum colo_side side = h->side;

    if (conn->ct.key.kind == COLO_KIND_TCP) {
        colo_conntab_track_tcp(&cmp->tab, &conn->ct, side, h->tcp_flags);
        if (side == COLO_SECONDARY && h->cmp_size
            && (!conn->sec_seen || INT_MOD_LT(conn->sec_end, held_end(h)))) {
            conn->sec_seen = true;
            conn->sec_end = held_end(h);
        }
        if (side == COLO_PRIMARY) {
            tcp_track_seq(conn, h);
        } else if (tcp_secondary_is_useless(cmp, conn, h)) {
            bool fin = h->tcp_flags & TCP_FIN;

            /* Not in a connection queue: make it look like one for
             * held_remove(). */
            ovs_list_init(&h->conn_node);
            free_secondary(cmp, h);
            if (fin) {
                /* It may let a primary FIN go. */
                compare_conn(cmp, conn);
            }
            return;
        }
    }
    enqueue(conn, h);
    compare_conn(cmp, conn);
}

/* Hands 'pkt', from 'side', to the comparator, which takes ownership. */
void
colo_compare_input(struct colo_compare *cmp, enum colo_side side,
                   struct dp_packet *pkt, long long int now)
{
    struct colo_packet cp;

    cmp->now = now;
    colo_packet_classify(pkt, &cp);
    if (side == COLO_PRIMARY) {
        cmp->stats.primary_packets++;
    } else {
        cmp->stats.secondary_packets++;
    }
    make_room(cmp, side, dp_packet_size(pkt));
    if (cp.malformed) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

        cmp->stats.malformed++;
        VLOG_INFO_RL(&rl, "malformed IP packet (%"PRIu32" bytes) from the "
                     "%s side: compared as a whole frame",
                     dp_packet_size(pkt),
                     side == COLO_PRIMARY ? "primary" : "secondary");
    }

    struct colo_conn *conn = conn_get(cmp, &cp.key, now);
    if (!conn) {
        request_checkpoint(cmp, &cmp->stats.table_full,
                           "connection table full (%u connections)",
                           cmp->options.max_connections);
        cmp->stats.untracked++;
        if (side == COLO_PRIMARY) {
            cmp->stats.released++;
            cmp->release(pkt, cmp->aux);
        } else {
            dp_packet_delete(pkt);
        }
        return;
    }

    struct colo_held *h = xmalloc(sizeof *h);
    h->conn = conn;
    h->pkt = pkt;
    h->arrival = now;
    h->cmp_ofs = cp.cmp_ofs;
    h->cmp_size = cp.cmp_size;
    h->frag = cp.frag;
    h->seq = cp.seq;
    h->tcp_flags = cp.tcp_flags;
    h->side = side;
    h->deferred = conn->frozen;
    ovs_list_push_back(&cmp->aged[side], &h->age_node);
    cmp->n_held[side]++;
    cmp->held_bytes[side] += dp_packet_size(pkt);
    if (h->deferred) {
        /* Emitted after the checkpoint's start: compared after its end. */
        cmp->stats.deferred++;
        ovs_list_push_back(&conn->deferred, &h->conn_node);
    } else {
        take_in(cmp, conn, h);
    }
}

/* Marks 'conn' as diverged: raises a checkpoint request with a reason that
 * names the connection and stops comparing it until the next flush. */
static void OVS_PRINTF_FORMAT(4, 5)
diverge(struct colo_compare *cmp, struct colo_conn *conn, uint64_t *counter,
        const char *format, ...)
{
    char *name = conn_name(conn);
    char *what;
    va_list args;

    va_start(args, format);
    what = xvasprintf(format, args);
    va_end(args);

    COVERAGE_INC(colo_compare_diverged);
    (*counter)++;
    request_checkpoint(cmp, NULL, "%s: %s", name, what);
    conn->stalled = true;
    free(what);
    free(name);
}

/* Datagrams and frames: pairs the heads of the two queues of 'conn' while
 * they are identical. */
static void
compare_fifo(struct colo_compare *cmp, struct colo_conn *conn)
{
    struct colo_held *p, *s;

    while ((p = queue_head(conn, COLO_PRIMARY))
           && (s = queue_head(conn, COLO_SECONDARY))) {
        if (p->cmp_size != s->cmp_size) {
            diverge(cmp, conn, &cmp->stats.diverged_size,
                    "size %"PRIu32" on the primary, %"PRIu32
                    " on the secondary", p->cmp_size, s->cmp_size);
            return;
        }
        if (p->frag != s->frag) {
            diverge(cmp, conn, &cmp->stats.diverged_payload,
                    "fragment offset and flags %#"PRIx32" on the primary, %#"
                    PRIx32" on the secondary", p->frag, s->frag);
            return;
        }
        if (memcmp(held_bytes(p), held_bytes(s), p->cmp_size)) {
            diverge(cmp, conn, &cmp->stats.diverged_payload,
                    "different content (%"PRIu32" bytes)", p->cmp_size);
            return;
        }
        cmp->stats.compared_bytes += p->cmp_size;
        free_secondary(cmp, s);
        release_primary(cmp, p, &cmp->stats.identical);
    }
}

/* TCP: returns the held packet of 'conn' on 'side' whose payload contains
 * sequence number 'seq', or NULL. */
static struct colo_held *
tcp_find(const struct colo_conn *conn, enum colo_side side, uint32_t seq)
{
    struct colo_held *h;

    LIST_FOR_EACH (h, conn_node, &conn->queue[side]) {
        if (INT_MOD_LEQ(h->seq, seq) && INT_MOD_LT(seq, held_end(h))) {
            return h;
        }
    }
    return NULL;
}

/* TCP: compares the bytes from '*seqp' on, on both sides, for as long as
 * both have them, advancing '*seqp'.  Returns false on a divergence. */
static bool
tcp_compare_from(struct colo_compare *cmp, struct colo_conn *conn,
                 uint32_t *seqp)
{
    for (;;) {
        uint32_t seq = *seqp;
        struct colo_held *p = tcp_find(conn, COLO_PRIMARY, seq);
        struct colo_held *s = p ? tcp_find(conn, COLO_SECONDARY, seq) : NULL;

        if (!s) {
            return true;
        }
        uint32_t end = INT_MOD_MIN(held_end(p), held_end(s));
        uint32_t n = end - seq;
        if (memcmp(held_bytes(p) + (seq - p->seq),
                   held_bytes(s) + (seq - s->seq), n)) {
            diverge(cmp, conn, &cmp->stats.diverged_payload,
                    "different payload in sequence range [%"PRIu32", %"
                    PRIu32")", seq, end);
            return false;
        }
        *seqp = end;
        cmp->stats.compared_bytes += n;
    }
}

/* TCP: compares the bytes at 'conn->cmp_seq' on both sides for as long as
 * both have them.  Returns false on a divergence. */
static bool
tcp_compare_bytes(struct colo_compare *cmp, struct colo_conn *conn)
{
    uint32_t start = conn->cmp_seq;
    bool ok = tcp_compare_from(cmp, conn, &conn->cmp_seq);

    if (conn->cmp_seq != start) {
        conn->compared = true;
    }
    return ok;
}

/* TCP: frees the secondary segments whose payload has been compared. */
static void
tcp_free_compared(struct colo_compare *cmp, struct colo_conn *conn)
{
    struct colo_held *s;

    LIST_FOR_EACH_SAFE (s, conn_node, &conn->queue[COLO_SECONDARY]) {
        if (INT_MOD_LEQ(held_end(s), conn->cmp_seq)) {
            free_secondary(cmp, s);
        }
    }
}

/* TCP: releases primary packets from the head of 'conn''s queue whose
 * payload has been compared entirely.  A FIN waits for the secondary's FIN:
 * released earlier, it would let the client acknowledge a FIN that the SVM
 * has not sent yet, an acknowledgment the SVM drops, and the SVM's own FIN
 * would then never be acknowledged (its retransmissions go nowhere but
 * here). */
static void
tcp_release_compared(struct colo_compare *cmp, struct colo_conn *conn)
{
    struct colo_held *p;

    while ((p = queue_head(conn, COLO_PRIMARY))
           && INT_MOD_LEQ(held_end(p), conn->cmp_seq)
           && (!(p->tcp_flags & TCP_FIN) || conn->ct.fin[COLO_SECONDARY])) {
        bool fin_at_end = ((p->tcp_flags & TCP_FIN)
                           && held_end(p) == conn->cmp_seq);

        release_primary(cmp, p, (p->cmp_size
                                 ? &cmp->stats.identical
                                 : &cmp->stats.passed));
        if (fin_at_end) {
            /* Both sides sent FIN here: it takes one sequence number. */
            conn->cmp_seq++;
        }
    }
}

/* TCP: when the primary has a gap at 'conn->cmp_seq' (the PVM's segment
 * carrying those bytes was lost between the PVM and the comparator, e.g.
 * dropped by a full socket buffer, while later ones came), compares the
 * bytes beyond the gap that both sides hold and releases the primary
 * segments made only of such bytes.  Without this the client, which then
 * sees nothing beyond the gap, sends no duplicate acknowledgment, and the
 * gap is only filled by the PVM's retransmission timeout, which backs off
 * exponentially: a bulk transfer crawls.  With it, the client acknowledges
 * around the gap and the PVM retransmits at once, as it would for a loss
 * in the network.  Every byte released is still a byte compared
 * identical, and primary packets still leave in the order they came: only
 * those at the head of the connection's queue go, up to the first one that
 * must wait.  One range ahead at a time, extended as bytes come; a FIN is
 * never released ahead.  (A gap on the secondary side
 * waits for the SVM's retransmission: releasing around it would reorder
 * the PVM's output.)  Returns false on a divergence. */
static bool
tcp_compare_ahead(struct colo_compare *cmp, struct colo_conn *conn)
{
    uint32_t seq = 0;

    if (conn->ahead) {
        seq = conn->ahead_end;
    } else {
        /* Start at the later of the lowest segments past the gap on each
         * side (the secondary may have a gap there too). */
        for (int side = 0; side < 2; side++) {
            const struct colo_held *h;
            uint32_t lowest = 0;
            bool found = false;

            LIST_FOR_EACH (h, conn_node, &conn->queue[side]) {
                if (h->cmp_size && INT_MOD_LT(conn->cmp_seq, h->seq)
                    && (!found || INT_MOD_LT(h->seq, lowest))) {
                    lowest = h->seq;
                    found = true;
                }
            }
            if (!found) {
                return true;
            }
            seq = side == COLO_PRIMARY ? lowest : INT_MOD_MAX(seq, lowest);
        }
    }

    uint32_t start = seq;
    if (!tcp_compare_from(cmp, conn, &seq)) {
        return false;
    }
    if (seq == start) {
        return true;
    }
    if (!conn->ahead) {
        conn->ahead = true;
        conn->ahead_start = start;
    }
    conn->ahead_end = seq;

    /* Release from the head of the queue, in arrival order, up to the
     * first packet that must wait: one with bytes outside the range, or a
     * FIN.  A segment without payload inside the range goes too: the PVM
     * sent it after the bytes before it. */
    struct colo_held *h;
    LIST_FOR_EACH_SAFE (h, conn_node, &conn->queue[COLO_PRIMARY]) {
        if ((h->tcp_flags & TCP_FIN)
            || !INT_MOD_LEQ(conn->ahead_start, h->seq)
            || !INT_MOD_LEQ(held_end(h), conn->ahead_end)) {
            break;
        }
        cmp->stats.released_ahead++;
        release_primary(cmp, h, (h->cmp_size ? &cmp->stats.identical
                                 : &cmp->stats.passed));
    }
    LIST_FOR_EACH_SAFE (h, conn_node, &conn->queue[COLO_SECONDARY]) {
        if (INT_MOD_LEQ(conn->ahead_start, h->seq)
            && INT_MOD_LEQ(held_end(h), conn->ahead_end)) {
            free_secondary(cmp, h);
        }
    }
    return true;
}

/* TCP, after a flush: if the primary holds the bytes at 'conn->cmp_seq'
 * and the secondary does not, but had sent them before the checkpoint
 * (their copy was freed by the flush, or was still on its way), takes them
 * as settled by the checkpoint: they advance 'conn->cmp_seq' without
 * comparison, counted in 'settled_bytes', and returns true.  The PVM's
 * copies were simply still on their way to the comparator at the
 * checkpoint; the secondary will not send them again (a real SVM is then a
 * copy of the PVM, past those bytes), so without this they would wait for
 * the compare timeout and raise a needless checkpoint. */
static bool
tcp_settle(struct colo_compare *cmp, struct colo_conn *conn)
{
    if (!conn->settled) {
        return false;
    }
    if (!INT_MOD_LT(conn->cmp_seq, conn->settled_end)) {
        conn->settled = false;
        return false;
    }

    struct colo_held *p = tcp_find(conn, COLO_PRIMARY, conn->cmp_seq);
    if (!p || tcp_find(conn, COLO_SECONDARY, conn->cmp_seq)) {
        return false;
    }
    uint32_t end = INT_MOD_MIN(held_end(p), conn->settled_end);
    cmp->stats.settled_bytes += end - conn->cmp_seq;
    conn->cmp_seq = end;
    conn->compared = true;
    return true;
}

/* TCP: notes whether 'conn' is stuck on a gap: primary packets wait, and
 * the secondary holds bytes beyond 'conn->cmp_seq', so the SVM has sent
 * further and what is missing at 'cmp_seq' was lost on the way (seen: a
 * full AF_PACKET receive buffer on either node).  Typically the primary
 * holds the bytes at 'cmp_seq' and the secondary does not: the SVM
 * retransmits only after its retransmission timeout, 200 ms at least and
 * backing off, since the client, which receives nothing beyond the gap,
 * acknowledges nothing new.  Both sides may also miss bytes there.  While
 * comparison moves on (at 'cmp_seq' or ahead of a primary-side gap) the
 * clock restarts; colo_compare_run() asks for a checkpoint once the same
 * gap is older than the 'secondary-gap-timeout' option.  A secondary that
 * is merely behind holds nothing beyond 'cmp_seq' and is left to the
 * compare timeout. */
static void
tcp_track_secondary_gap(struct colo_compare *cmp, struct colo_conn *conn)
{
    bool gap = false;

    if (!ovs_list_is_empty(&conn->queue[COLO_PRIMARY])) {
        const struct colo_held *s;

        LIST_FOR_EACH (s, conn_node, &conn->queue[COLO_SECONDARY]) {
            if (s->cmp_size && INT_MOD_LT(conn->cmp_seq, held_end(s))) {
                gap = true;
                break;
            }
        }
    }
    uint32_t ahead_end = conn->ahead ? conn->ahead_end : conn->cmp_seq;
    if (conn->in_gap && (!gap || conn->gap_seq != conn->cmp_seq
                         || conn->gap_ahead_end != ahead_end)) {
        conn->in_gap = false;
        ovs_list_remove(&conn->gap_node);
    }
    if (gap && !conn->in_gap) {
        conn->in_gap = true;
        conn->gap_since = cmp->now;
        conn->gap_seq = conn->cmp_seq;
        conn->gap_ahead_end = ahead_end;
        ovs_list_push_back(&cmp->gaps, &conn->gap_node);
    }
}

static void
compare_tcp(struct colo_compare *cmp, struct colo_conn *conn)
{
    /* Until the primary has sent something, there is nothing to compare
     * with and no sequence number to judge the secondary's output by. */
    if (!conn->seq_known) {
        return;
    }
    for (;;) {
        if (!tcp_compare_bytes(cmp, conn)) {
            return;
        }
        if (tcp_settle(cmp, conn)) {
            continue;
        }
        if (conn->ahead && INT_MOD_LEQ(conn->ahead_start, conn->cmp_seq)) {
            /* The gap is filled: what lies ahead was compared already. */
            if (INT_MOD_LT(conn->cmp_seq, conn->ahead_end)) {
                conn->cmp_seq = conn->ahead_end;
            }
            conn->ahead = false;
            continue;
        }
        break;
    }
    tcp_free_compared(cmp, conn);
    tcp_release_compared(cmp, conn);
    if (!ovs_list_is_empty(&conn->queue[COLO_PRIMARY])
        && (conn->ahead || !tcp_find(conn, COLO_PRIMARY, conn->cmp_seq))) {
        if (!tcp_compare_ahead(cmp, conn)) {
            return;
        }
    }
    tcp_track_secondary_gap(cmp, conn);
}

static void
compare_conn(struct colo_compare *cmp, struct colo_conn *conn)
{
    if (conn->stalled) {
        return;
    }
    if (conn->ct.key.kind == COLO_KIND_TCP) {
        compare_tcp(cmp, conn);
    } else {
        compare_fifo(cmp, conn);
    }
}

/* Raises a checkpoint request if the oldest held primary packet has waited
 * longer than the compare timeout. */
static void
check_timeout(struct colo_compare *cmp, long long int now)
{
    if (cmp->request_pending || cmp->started
        || ovs_list_is_empty(&cmp->aged[COLO_PRIMARY])) {
        return;
    }

    struct colo_held *h = CONTAINER_OF(
        ovs_list_front(&cmp->aged[COLO_PRIMARY]), struct colo_held, age_node);
    if (now - h->arrival >= cmp->options.compare_timeout) {
        char *name = conn_name(h->conn);

        COVERAGE_INC(colo_compare_timeout);
        request_checkpoint(cmp, &cmp->stats.timeouts,
                           "%s: no secondary output for %lld ms", name,
                           now - h->arrival);
        free(name);
    }
}

/* Raises a checkpoint request if a gap in the secondary's TCP stream has
 * lasted the 'secondary-gap-timeout' (see tcp_track_secondary_gap()). */
static void
check_secondary_gaps(struct colo_compare *cmp, long long int now)
{
    unsigned int timeout = cmp->options.secondary_gap_timeout;

    if (!timeout || cmp->request_pending || cmp->started
        || ovs_list_is_empty(&cmp->gaps)) {
        return;
    }

    const struct colo_conn *conn = CONTAINER_OF(ovs_list_front(&cmp->gaps),
                                                struct colo_conn, gap_node);
    if (now - conn->gap_since >= timeout) {
        char *name = conn_name(conn);

        request_checkpoint(cmp, &cmp->stats.secondary_gaps,
                           "%s: the secondary's stream has a gap at sequence "
                           "%"PRIu32" for %lld ms", name, conn->cmp_seq,
                           now - conn->gap_since);
        free(name);
    }
}

/* Checks for timeouts and expires idle connections. */
void
colo_compare_run(struct colo_compare *cmp, long long int now)
{
    cmp->last_run = now;
    cmp->now = now;
    check_timeout(cmp, now);
    check_secondary_gaps(cmp, now);
    colo_conntab_run(&cmp->tab, now);
}

/* Returns when colo_compare_run() should be called next: when the oldest
 * held primary packet times out or the least recently used connection may
 * expire, but no sooner than a scan period after the last run. */
long long int
colo_compare_next_wakeup(const struct colo_compare *cmp)
{
    long long int next = LLONG_MAX;

    if (!ovs_list_is_empty(&cmp->aged[COLO_PRIMARY])
        && !cmp->request_pending && !cmp->started) {
        const struct colo_held *h = CONTAINER_OF(
            ovs_list_front(&cmp->aged[COLO_PRIMARY]), struct colo_held,
            age_node);

        next = h->arrival + cmp->options.compare_timeout;
    }
    next = MIN(next, colo_conntab_next_expiry(&cmp->tab));
    next = (next == LLONG_MAX ? next
            : MAX(next, cmp->last_run + cmp->options.scan_period));
    if (cmp->options.secondary_gap_timeout && !cmp->request_pending
        && !cmp->started && !ovs_list_is_empty(&cmp->gaps)) {
        const struct colo_conn *conn = CONTAINER_OF(
            ovs_list_front(&cmp->gaps), struct colo_conn, gap_node);

        next = MIN(next, conn->gap_since
                         + cmp->options.secondary_gap_timeout);
    }
    return next;
}

/* If a checkpoint request is outstanding, returns true and stores its
 * number (1 for the first request, then one more for each) and reason. */
bool
colo_compare_get_request(const struct colo_compare *cmp, uint64_t *number,
                         const char **reason)
{
    if (cmp->request_pending) {
        *number = cmp->n_requests;
        *reason = cmp->reason;
        return true;
    }
    return false;
}

/* Releases every held primary packet in arrival order, frees every
 * secondary packet, and restarts comparison. */
static void
flush(struct colo_compare *cmp)
{
    struct colo_held *h;
    struct colo_conn *conn;

    LIST_FOR_EACH_SAFE (h, age_node, &cmp->aged[COLO_PRIMARY]) {
        release_primary(cmp, h, &cmp->stats.flushed);
    }
    LIST_FOR_EACH_SAFE (h, age_node, &cmp->aged[COLO_SECONDARY]) {
        free_secondary(cmp, h);
    }
    HMAP_FOR_EACH (conn, ct.node, &cmp->tab.conns) {
        conn_reset(conn);
    }
}

/* Releases every held primary packet in arrival order and frees every
 * secondary packet, without completing a checkpoint: an outstanding request
 * stays outstanding. */
void
colo_compare_flush(struct colo_compare *cmp)
{
    flush(cmp);
}

/* A checkpoint has started: the VMs are stopped (QEMU's STOP), and what they
 * emit from now on comes after the checkpoint, when the SVM is a copy of the
 * PVM.  Connections that hold nothing start comparing afresh at once; those
 * that hold packets keep them for colo_compare_checkpoint_done() to settle,
 * and the packets they receive meanwhile wait to be compared after it.  The
 * outstanding request, if any, is the one being served: a new one may be
 * raised for what comes after the start (colo_compare_get_request()).  No
 * timeout runs until the checkpoint is done.  A second start before the
 * done is ignored. */
void
colo_compare_checkpoint_start(struct colo_compare *cmp)
{
    struct colo_conn *conn;

    if (cmp->started) {
        return;
    }
    cmp->started = true;
    cmp->request_pending = false;
    HMAP_FOR_EACH (conn, ct.node, &cmp->tab.conns) {
        if (conn_is_empty(conn)) {
            conn_reset(conn);
        } else {
            conn->frozen = true;
        }
    }
}

/* Ends a checkpoint that colo_compare_checkpoint_start() began: releases the
 * primary packets that frozen connections held at the start, in arrival
 * order, frees their secondary packets, and then compares the packets that
 * came after the start, in the order they came. */
static void
finish_started(struct colo_compare *cmp)
{
    struct colo_held *h;
    struct colo_conn *conn;

    LIST_FOR_EACH_SAFE (h, age_node, &cmp->aged[COLO_PRIMARY]) {
        if (h->conn->frozen && !h->deferred) {
            release_primary(cmp, h, &cmp->stats.flushed);
        }
    }
    LIST_FOR_EACH_SAFE (h, age_node, &cmp->aged[COLO_SECONDARY]) {
        if (h->conn->frozen && !h->deferred) {
            free_secondary(cmp, h);
        }
    }
    cmp->started = false;
    HMAP_FOR_EACH (conn, ct.node, &cmp->tab.conns) {
        if (conn->frozen) {
            struct ovs_list deferred;

            conn_reset(conn);
            ovs_list_move(&deferred, &conn->deferred);
            ovs_list_init(&conn->deferred);
            while (!ovs_list_is_empty(&deferred)) {
                h = CONTAINER_OF(ovs_list_pop_front(&deferred),
                                 struct colo_held, conn_node);
                h->deferred = false;
                take_in(cmp, conn, h);
            }
        }
    }
}

/* A checkpoint is done (requested or not).  If it was started
 * (colo_compare_checkpoint_start()), settles what was held at its start;
 * otherwise flushes everything and allows a new request. */
void
colo_compare_checkpoint_done(struct colo_compare *cmp)
{
    if (cmp->started) {
        finish_started(cmp);
    } else {
        flush(cmp);
        cmp->request_pending = false;
    }
    cmp->stats.checkpoints++;
}

void
colo_compare_get_stats(const struct colo_compare *cmp,
                       struct colo_stats *stats)
{
    *stats = cmp->stats;
    stats->held_packets = cmp->n_held[COLO_PRIMARY];
    colo_conntab_get_stats(&cmp->tab, &stats->connections,
                           &stats->conns_created, &stats->conns_closed,
                           &stats->conns_expired, &stats->conns_evicted);
}

/* Appends one line per tracked connection to 's', in no particular order:
 * its key, the packets and bytes held on each side and its state. */
/* TCP: appends to 's' where the payload held on 'side' of 'conn' starts and
 * ends (in sequence numbers relative to the compared sequence number), and
 * whether the byte at the compared sequence number is held: what an
 * operator needs to see why a connection does not move. */
static void
dump_tcp_held(const struct colo_conn *conn, enum colo_side side,
              struct ds *s)
{
    const struct colo_held *h;
    bool any = false;
    int32_t lo = 0, hi = 0;

    LIST_FOR_EACH (h, conn_node, &conn->queue[side]) {
        int32_t start = h->seq - conn->cmp_seq;
        int32_t end = held_end(h) - conn->cmp_seq;

        if (!h->cmp_size) {
            continue;
        }
        if (!any || start < lo) {
            lo = start;
        }
        if (!any || end > hi) {
            hi = end;
        }
        any = true;
    }
    if (any) {
        ds_put_format(s, " %s_held=[%+"PRId32",%+"PRId32")%s",
                      side == COLO_PRIMARY ? "primary" : "secondary", lo, hi,
                      tcp_find(conn, side, conn->cmp_seq) ? "" : "(gap)");
    }
}

void
colo_compare_dump_conns(const struct colo_compare *cmp, long long int now,
                        struct ds *s)
{
    const struct colo_conn *conn;

    HMAP_FOR_EACH (conn, ct.node, &cmp->tab.conns) {
        size_t n[2] = { 0, 0 }, bytes[2] = { 0, 0 };

        for (int side = 0; side < 2; side++) {
            const struct colo_held *h;

            LIST_FOR_EACH (h, conn_node, &conn->queue[side]) {
                n[side]++;
                bytes[side] += dp_packet_size(h->pkt);
            }
        }
        colo_conn_key_format(&conn->ct.key, s);
        ds_put_format(s, " primary=%"PRIuSIZE"/%"PRIuSIZE"B"
                      " secondary=%"PRIuSIZE"/%"PRIuSIZE"B idle=%lldms",
                      n[COLO_PRIMARY], bytes[COLO_PRIMARY],
                      n[COLO_SECONDARY], bytes[COLO_SECONDARY],
                      now - conn->ct.last_used);
        if (conn->ct.key.kind == COLO_KIND_TCP && conn->seq_known) {
            ds_put_format(s, " compared_seq=%"PRIu32, conn->cmp_seq);
            for (int side = 0; side < 2; side++) {
                dump_tcp_held(conn, side, s);
            }
        }
        if (conn->stalled) {
            ds_put_cstr(s, " stalled");
        }
        if (conn->frozen) {
            ds_put_format(s, " checkpoint-started deferred=%"PRIuSIZE,
                          ovs_list_size(&conn->deferred));
        }
        if (conn->ct.closed) {
            ds_put_cstr(s, " closed");
        }
        ds_put_char(s, '\n');
    }
}

/* Destroys 'cmp', releasing the primary packets it holds (so that none is
 * lost) and freeing the secondary ones. */
void
colo_compare_destroy(struct colo_compare *cmp)
{
    if (cmp) {
        flush(cmp);
        colo_conntab_destroy(&cmp->tab);
        free(cmp->reason);
        free(cmp);
    }
}
