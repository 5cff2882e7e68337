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

#ifndef COLO_TEST_PACKET_H
#define COLO_TEST_PACKET_H 1

/* Packets for the COLO unit tests (tests/test-colo-*.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct dp_packet;

/* What a test packet looks like; zero members take defaults.  By default
 * it goes from the VM (10.0.0.1 or fd00::1, port 80) to the client
 * (10.0.0.2 or fd00::2, port 5000); 'reverse' swaps the two. */
struct colo_test_spec {
    ovs_be16 dl_type;           /* Default IPv4. */
    uint8_t nw_proto;           /* Default TCP. */
    bool reverse;               /* From the client to the VM. */
    uint16_t sport, dport;      /* Defaults 80 and 5000 (before
                                 * 'reverse'). */
    uint32_t seq;               /* TCP sequence number. */
    uint32_t ack;               /* TCP acknowledgment number. */
    uint16_t flags;             /* TCP flags (default ACK). */
    uint8_t ttl;                /* Default 64. */
    uint16_t vlan;              /* VLAN ID, 0 for none. */
    uint16_t svlan;             /* 802.1ad outer VLAN ID, 0 for none. */
    uint16_t ip_id;             /* IPv4 identification. */
    uint16_t frag;              /* IPv4 fragment offset and flags. */
    uint32_t label;             /* IPv6 flow label. */
    uint16_t window;            /* TCP window. */
    int opt_words;              /* TCP: the first 4 * opt_words bytes of
                                 * the payload become TCP options. */
    bool bad_csum;              /* Corrupt the L4 checksum. */
    const char *data;           /* Payload (or use 'bytes' and 'len'). */
    const uint8_t *bytes;
    size_t len;
};

struct dp_packet *colo_test_packet(const struct colo_test_spec *);

/* SPEC(.seq = 1, .data = "x"): a pointer to a spec, for brevity. */
#define SPEC(...) (&(struct colo_test_spec) { __VA_ARGS__ })
bool colo_test_l4_csum_ok(const struct dp_packet *);

#endif /* colo-test-packet.h */
