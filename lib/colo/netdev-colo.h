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

#ifndef NETDEV_COLO_H
#define NETDEV_COLO_H 1

/* The "colo" netdev class: a point-to-point packet channel between the two
 * nodes of a COLO pair, over an OVS stream, framed as QEMU's COLO proxy
 * sockets are (lib/colo/colo-frame.h).  See vswitchd/vswitch.xml, Interface
 * type "colo", for its options and status. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netdev;

void netdev_colo_register(void);
/* The heartbeat of a colo channel (options:heartbeat-interval). */
struct netdev_colo_heartbeat {
    unsigned int interval;      /* ms; 0 if off. */
    long long int last_heard;   /* Wall clock (ms) of the last bytes from
                                 * the peer, or 0 if none yet. */
    uint64_t losses;            /* Times the peer went silent. */
    bool lost;                  /* The last disconnection was a loss. */
};
bool netdev_colo_get_heartbeat(const struct netdev *,
                               struct netdev_colo_heartbeat *);

bool netdev_colo_get_link(const struct netdev *, bool *connected,
                          uint64_t *n_connects);

struct netdev *netdev_colo_find_channel(const char *name);

/* Backpressure for senders that must not lose packets (the COLO release
 * path): a connected colo port whose send queue is half full is
 * "congested"; a burst of at most netdev_colo_burst_bytes() bytes sent
 * while no port is congested always fits. */
bool netdev_colo_tx_congested(void);
void netdev_colo_set_gating(struct netdev *, bool gates);
size_t netdev_colo_burst_bytes(void);
size_t netdev_colo_drain(long long int deadline);

#endif /* netdev-colo.h */
