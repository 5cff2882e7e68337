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

#ifndef COLO_STATS_H
#define COLO_STATS_H 1

#define COLO_STATS                                                          \
    COLO_STAT(primary_packets, "packets handed in from the primary side")   \
    COLO_STAT(secondary_packets, "packets handed in from the secondary side") \
    COLO_STAT(compared_bytes, "bytes found identical on both sides")        \
    COLO_STAT(identical, "primary packets released after comparison")      \
    COLO_STAT(passed, "primary TCP packets without new payload released")  \
    COLO_STAT(released, "primary packets released, for any reason")        \
    COLO_STAT(flushed, "primary packets released by a checkpoint flush")   \
    COLO_STAT(forced, "primary packets released uncompared, queue full")   \
    COLO_STAT(untracked, "packets not compared, connection table full")    \
    COLO_STAT(secondary_retransmits, "secondary TCP data already compared") \
    COLO_STAT(released_ahead, "TCP segments released beyond a gap")        \
    COLO_STAT(settled_bytes,                                                \
              "TCP bytes the secondary sent before a checkpoint, released " \
              "uncompared after it")                                        \
    COLO_STAT(deferred,                                                     \
              "packets that came during a checkpoint, compared after it")   \
    COLO_STAT(secondary_dropped, "secondary packets dropped, queue full")   \
    COLO_STAT(diverged_payload, "comparisons that found different bytes")   \
    COLO_STAT(diverged_size, "datagram pairs of different sizes")           \
    COLO_STAT(timeouts, "checkpoint requests raised by a timeout")          \
    COLO_STAT(secondary_gaps,                                               \
              "checkpoint requests raised by a gap in the secondary's TCP " \
              "stream")                                                     \
    COLO_STAT(queue_full, "checkpoint requests raised by a full queue")     \
    COLO_STAT(table_full, "checkpoint requests raised by a full table")     \
    COLO_STAT(malformed, "malformed IP packets, compared as whole frames")  \
    COLO_STAT(checkpoint_requests, "checkpoint requests raised")           \
    COLO_STAT(checkpoints, "checkpoints completed (flushes)")               \
    COLO_STAT(connections, "connections tracked now")                       \
    COLO_STAT(held_packets, "primary packets held now")                     \
    COLO_STAT(conns_created, "connections created")                         \
    COLO_STAT(conns_closed, "connections ended by FIN or RST")              \
    COLO_STAT(conns_expired, "idle connections forgotten")                  \
    COLO_STAT(conns_evicted, "idle connections evicted from a full table")

struct colo_stats {
#define COLO_STAT(MEMBER, DESCRIPTION) uint64_t MEMBER;
    COLO_STATS
#undef COLO_STAT
};

#endif /* colo-stats.h */
