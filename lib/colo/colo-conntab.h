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

#ifndef COLO_CONNTAB_H
#define COLO_CONNTAB_H 1

/* The connection table of a COLO engine.
 *
 * The comparator (colo-compare) and the rewriter (colo-rewrite) each track
 * connections; what they track differs, how they track it does not.  This
 * module is the common part: the table keyed by struct colo_conn_key, the
 * least-recently-used order, eviction when the table is full, expiry of
 * idle and ended connections, and the TCP FIN/RST tracking that says when a
 * connection has ended.  Each engine keeps its own state per connection in
 * a struct that embeds a struct colo_ct_conn, the split lib/conntrack makes
 * between struct conn and its per-protocol state.
 *
 * Keys.  A connection is keyed as the VM sends it: source the VM, as
 * colo_packet_classify() makes the key of a VM's packet.  A packet to the
 * VM (the rewriter's client side) is looked up with its key reversed
 * (colo_conn_key_reverse()), so that both directions of a connection find
 * the same entry.
 *
 * Ending.  A TCP connection has ended once each direction sent a FIN, or
 * either sent a RST (colo_conntab_track_tcp()).  An ended connection is
 * forgotten after COLO_CONNTAB_CLOSED_LINGER_MS without traffic (or the
 * idle timeout if that is shorter), which absorbs late retransmissions;
 * any other connection after the idle timeout.
 *
 * Busy connections.  The engine's class says whether a connection holds
 * packets; a busy connection is never evicted nor expired: its packets must
 * go first (the engine settles them on its own timers).
 *
 * Work per call.  Lookup is a hash lookup.  Eviction looks at no more than
 * COLO_CONNTAB_EVICT_BUDGET candidates; colo_conntab_run() looks at no more
 * than COLO_CONNTAB_RUN_BUDGET connections and stops at the first one that
 * is too young to expire, so a table of many live connections costs
 * nothing per run.
 *
 * Thread safety: none.  The engine serializes all calls on one table. */

#include <stdbool.h>
#include <stdint.h>
#include "colo/colo-config.h"
#include "colo/colo-packet.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"

/* Candidates looked at to evict one connection from a full table. */
#define COLO_CONNTAB_EVICT_BUDGET 64

/* Connections looked at by one colo_conntab_run(). */
#define COLO_CONNTAB_RUN_BUDGET 1024

/* An ended connection is forgotten after this many idle milliseconds,
 * unless the idle timeout is shorter. */
#define COLO_CONNTAB_CLOSED_LINGER_MS 1000

/* A connection, as the table sees it.  Embedded in the engine's own
 * connection struct; everything here is read-only to the engine. */
struct colo_ct_conn {
    struct hmap_node node;      /* In 'tab->conns', by hash of 'key'. */
    struct ovs_list lru_node;   /* In 'tab->lru[closed]', least recently
                                 * used first. */
    struct colo_conn_key key;   /* As the VM sends. */
    long long int last_used;    /* Last lookup or insertion, in ms. */
    bool fin[2];                /* TCP: FIN seen, by direction (the
                                 * engine's numbering, 0 or 1). */
    bool closed;                /* TCP: FIN both ways, or RST. */
};

/* What the table needs to know about the engine's connections. */
struct colo_conntab_class {
    /* Returns a new connection, zeroed but for what the engine
     * initializes; the table fills in the struct colo_ct_conn. */
    struct colo_ct_conn *(*alloc)(void);

    /* Frees 'conn', which the table no longer holds. */
    void (*free)(struct colo_ct_conn *conn);

    /* Returns true if 'conn' holds packets. */
    bool (*busy)(const struct colo_ct_conn *conn);
};

/* Counters, kept up to date by the table. */
struct colo_conntab_stats {
    uint64_t created;           /* Connections created. */
    uint64_t closed;            /* Ended connections forgotten. */
    uint64_t expired;           /* Idle connections forgotten. */
    uint64_t evicted;           /* Connections evicted from a full table. */
};

struct colo_conntab {
    const struct colo_conntab_class *class;
    struct hmap conns;          /* struct colo_ct_conn, by key.  An engine
                                 * may iterate over it (HMAP_FOR_EACH on
                                 * 'ct.node'), not change it. */
    struct ovs_list lru[2];     /* struct colo_ct_conn, least recently used
                                 * first: [0] open, [1] ended. */
    unsigned int max_conns;     /* Beyond this, evict or refuse. */
    long long int idle_timeout; /* In ms. */
    struct colo_conntab_stats stats;
};

void colo_conntab_init(struct colo_conntab *,
                       const struct colo_conntab_class *);
void colo_conntab_destroy(struct colo_conntab *);
void colo_conntab_set_options(struct colo_conntab *,
                              const struct colo_options *);

struct colo_ct_conn *colo_conntab_get(struct colo_conntab *,
                                      const struct colo_conn_key *,
                                      bool create, long long int now);
void colo_conntab_track_tcp(struct colo_conntab *, struct colo_ct_conn *,
                            int dir, uint16_t tcp_flags);
void colo_conntab_run(struct colo_conntab *, long long int now);
long long int colo_conntab_next_expiry(const struct colo_conntab *);
void colo_conntab_get_stats(const struct colo_conntab *,
                            uint64_t *connections, uint64_t *created,
                            uint64_t *closed, uint64_t *expired,
                            uint64_t *evicted);

#endif /* colo-conntab.h */
