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

/* Counters of a COLO pair's decisions.
 *
 * COLO_STAT(MEMBER, DESCRIPTION): one counter, published under the key
 * MEMBER in the COLO table's "statistics" column and by "ovs-appctl
 * colo/show".  vswitchd/vswitch.xml documents each key; keep it in sync. */

#include <stdint.h>

#define COLO_STATS                                                          \
    COLO_STAT(primary_packets, "packets handed in from the primary side")   \
    COLO_STAT(secondary_packets, "packets handed in from the secondary side") \
    COLO_STAT(identical, "primary packets identical to secondary output")   \
    COLO_STAT(diverged, "comparisons that found different output")          \
    COLO_STAT(released, "primary packets released")                         \
    COLO_STAT(timeouts, "checkpoint requests raised by a timeout")          \
    COLO_STAT(queue_full, "checkpoint requests raised by a full queue")     \
    COLO_STAT(malformed, "malformed packets counted and dropped")           \
    COLO_STAT(checkpoints, "checkpoints completed")

struct colo_stats {
#define COLO_STAT(MEMBER, DESCRIPTION) uint64_t MEMBER;
    COLO_STATS
#undef COLO_STAT
};

#endif /* colo-stats.h */
