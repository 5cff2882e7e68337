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
#include "colo/colo-conntab.h"

#include <limits.h>
#include <string.h>

#include "packets.h"
#include "util.h"

/* Initializes 'tab', empty, for connections of 'class'.  It takes no
 * connection until colo_conntab_set_options() allows some. */
void
colo_conntab_init(struct colo_conntab *tab,
                  const struct colo_conntab_class *class)
{
    memset(tab, 0, sizeof *tab);
    tab->class = class;
    hmap_init(&tab->conns);
    ovs_list_init(&tab->lru[0]);
    ovs_list_init(&tab->lru[1]);
}

/* Takes the table's limits from 'options': max_connections and
 * idle_timeout.  A smaller maximum evicts nothing at once; the table shrinks
 * as connections end. */
void
colo_conntab_set_options(struct colo_conntab *tab,
                         const struct colo_options *options)
{
    tab->max_conns = options->max_connections;
    tab->idle_timeout = options->idle_timeout;
}

static void
conn_remove(struct colo_conntab *tab, struct colo_ct_conn *conn)
{
    ovs_assert(!tab->class->busy(conn));
    hmap_remove(&tab->conns, &conn->node);
    ovs_list_remove(&conn->lru_node);
    tab->class->free(conn);
}

/* Frees every connection of 'tab', none of which may be busy. */
void
colo_conntab_destroy(struct colo_conntab *tab)
{
    struct colo_ct_conn *conn;

    HMAP_FOR_EACH_SAFE (conn, node, &tab->conns) {
        conn_remove(tab, conn);
    }
    hmap_destroy(&tab->conns);
}

/* Evicts the least recently used connection that is not busy, ended ones
 * first, looking at no more than COLO_CONNTAB_EVICT_BUDGET candidates in
 * each list.  Returns true if one was evicted. */
static bool
evict(struct colo_conntab *tab)
{
    for (int closed = 1; closed >= 0; closed--) {
        struct colo_ct_conn *conn;
        int budget = COLO_CONNTAB_EVICT_BUDGET;

        LIST_FOR_EACH (conn, lru_node, &tab->lru[closed]) {
            if (!tab->class->busy(conn)) {
                conn_remove(tab, conn);
                tab->stats.evicted++;
                return true;
            }
            if (!--budget) {
                break;
            }
        }
    }
    return false;
}

/* Returns the connection for 'key', marked as used at 'now'.  If there is
 * none and 'create' is true, creates it, evicting an idle connection if the
 * table is full.  Returns NULL if there is none and 'create' is false, or if
 * the table is full of busy connections. */
struct colo_ct_conn *
colo_conntab_get(struct colo_conntab *tab, const struct colo_conn_key *key,
                 bool create, long long int now)
{
    uint32_t hash = colo_conn_key_hash(key);
    struct colo_ct_conn *conn;

    HMAP_FOR_EACH_WITH_HASH (conn, node, hash, &tab->conns) {
        if (colo_conn_key_equal(&conn->key, key)) {
            ovs_list_remove(&conn->lru_node);
            ovs_list_push_back(&tab->lru[conn->closed], &conn->lru_node);
            conn->last_used = now;
            return conn;
        }
    }

    if (!create
        || (hmap_count(&tab->conns) >= tab->max_conns && !evict(tab))) {
        return NULL;
    }
    conn = tab->class->alloc();
    conn->key = *key;
    conn->last_used = now;
    hmap_insert(&tab->conns, &conn->node, hash);
    ovs_list_push_back(&tab->lru[0], &conn->lru_node);
    tab->stats.created++;
    return conn;
}

/* Notes the TCP flags 'tcp_flags' of a segment of 'conn' going in direction
 * 'dir' (0 or 1, the engine's numbering): FIN both ways or RST either way
 * ends the connection. */
void
colo_conntab_track_tcp(struct colo_conntab *tab, struct colo_ct_conn *conn,
                       int dir, uint16_t tcp_flags)
{
    if (tcp_flags & TCP_FIN) {
        conn->fin[dir] = true;
    }
    if (!conn->closed
        && (tcp_flags & TCP_RST || (conn->fin[0] && conn->fin[1]))) {
        conn->closed = true;
        ovs_list_remove(&conn->lru_node);
        ovs_list_push_back(&tab->lru[1], &conn->lru_node);
    }
}

static long long int
lifetime(const struct colo_conntab *tab, bool closed)
{
    return (closed ? MIN(tab->idle_timeout, COLO_CONNTAB_CLOSED_LINGER_MS)
            : tab->idle_timeout);
}

/* Forgets the connections that are not busy and have outlived their
 * lifetime (see "Ending" in colo-conntab.h). */
void
colo_conntab_run(struct colo_conntab *tab, long long int now)
{
    int budget = COLO_CONNTAB_RUN_BUDGET;

    for (int closed = 0; closed < 2; closed++) {
        long long int life = lifetime(tab, closed);
        struct colo_ct_conn *conn;

        LIST_FOR_EACH_SAFE (conn, lru_node, &tab->lru[closed]) {
            if (now - conn->last_used < life || !budget--) {
                break;
            }
            if (!tab->class->busy(conn)) {
                if (closed) {
                    tab->stats.closed++;
                } else {
                    tab->stats.expired++;
                }
                conn_remove(tab, conn);
            }
        }
    }
}

/* Stores the number of connections in '*connections' and the counters of
 * connections created, closed (ended and forgotten), expired (idle and
 * forgotten) and evicted in the others. */
void
colo_conntab_get_stats(const struct colo_conntab *tab, uint64_t *connections,
                       uint64_t *created, uint64_t *closed, uint64_t *expired,
                       uint64_t *evicted)
{
    *connections = hmap_count(&tab->conns);
    *created = tab->stats.created;
    *closed = tab->stats.closed;
    *expired = tab->stats.expired;
    *evicted = tab->stats.evicted;
}

/* Returns when the least recently used connection may expire (it may be
 * busy then, or have been used since), or LLONG_MAX if the table is
 * empty. */
long long int
colo_conntab_next_expiry(const struct colo_conntab *tab)
{
    long long int next = LLONG_MAX;

    for (int closed = 0; closed < 2; closed++) {
        if (!ovs_list_is_empty(&tab->lru[closed])) {
            const struct colo_ct_conn *conn = CONTAINER_OF(
                ovs_list_front(&tab->lru[closed]), struct colo_ct_conn,
                lru_node);

            next = MIN(next, conn->last_used + lifetime(tab, closed));
        }
    }
    return next;
}
