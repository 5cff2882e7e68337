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

#ifndef COLO_PACKET_H
#define COLO_PACKET_H 1

/* Classification of packets for the COLO comparator.
 *
 * The comparator pairs each packet of the primary VM's output with the
 * secondary VM's output for the same connection.  This module says which
 * connection a packet belongs to, how it is compared and which of its bytes
 * must be identical.  It relies on OVS's flow_extract() for header parsing,
 * so malformed headers never cause an out-of-bounds read.
 *
 * The rule for each kind of frame:
 *
 *   - TCP (valid header): compared as a byte stream by sequence number; the
 *     payload bytes must be identical.  Headers (IP ID, TTL or hop limit,
 *     checksums, flow label, window, options) may differ.
 *
 *   - UDP, ICMP, ICMPv6 (ND included), other IP protocols, IP fragments:
 *     datagrams paired first-in first-out per connection; everything from
 *     the L4 header on must be identical (for IPv4 fragments, the fragment
 *     offset and more-fragments flag too).
 *
 *   - Non-IP frames (ARP included): paired first-in first-out per
 *     (EtherType, Ethernet addresses); the whole frame must be identical.
 *
 *   - Malformed IP (a header that OVS's parser rejects: truncated, bad IHL,
 *     total length, extension header chain, TCP data offset, UDP shorter
 *     than its header): counted as malformed and handled like a non-IP
 *     frame, in a queue of its own.  Nothing is dropped for being malformed.
 *
 * VLAN tags (802.1Q, 802.1ad, up to OVS's limit) are part of the key, so a
 * tagged frame is compared with frames of the same tags only.
 *
 * Thread safety: the functions only touch their arguments. */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "hash.h"
#include "openvswitch/flow.h"
#include "openvswitch/packets.h"
#include "openvswitch/types.h"
#include "util.h"

struct dp_packet;
struct ds;

/* How a packet is compared. */
enum colo_kind {
    COLO_KIND_TCP,              /* Byte stream, by sequence number. */
    COLO_KIND_DATAGRAM,         /* FIFO pairing, from the L4 header on. */
    COLO_KIND_FRAME,            /* FIFO pairing, whole frame. */
};

/* Identifies a connection: the packets whose output is compared together.
 * Hashed and compared as bytes: keep it free of padding (asserted in
 * colo-packet.c) and zero unused members. */
struct colo_conn_key {
    struct in6_addr src;        /* IP source (IPv4-mapped for IPv4). */
    struct in6_addr dst;        /* IP destination. */
    union flow_vlan_hdr vlans[FLOW_MAX_VLAN_HEADERS]; /* VLAN tags. */
    struct eth_addr eth_src;    /* Non-IP and malformed only. */
    struct eth_addr eth_dst;    /* Non-IP and malformed only. */
    ovs_be16 dl_type;           /* EtherType. */
    ovs_be16 src_port;          /* TCP/UDP source port, else 0. */
    ovs_be16 dst_port;          /* TCP/UDP destination port, else 0. */
    uint8_t nw_proto;           /* IP protocol, else 0. */
    uint8_t kind;               /* enum colo_kind. */
    uint8_t malformed;          /* 1 for the malformed-IP queue. */
    uint8_t pad[3];             /* Zero. */
};

/* A classified packet. */
struct colo_packet {
    struct colo_conn_key key;
    enum colo_kind kind;
    bool malformed;             /* IP headers that OVS's parser rejects. */
    uint16_t cmp_ofs;           /* Offset of the bytes to compare... */
    uint32_t cmp_size;          /* ...and their number. */
    uint32_t frag;              /* IPv4 fragment offset and MF, else 0. */

    /* TCP only. */
    uint32_t seq;               /* Sequence number of the first payload
                                 * byte (after the SYN, if any). */
    uint16_t tcp_flags;         /* TCP_SYN, TCP_FIN, TCP_RST, ... */
};

void colo_packet_classify(struct dp_packet *, struct colo_packet *);
bool colo_packet_ip_is_malformed(const struct dp_packet *,
                                 const struct flow *);
void colo_conn_key_format(const struct colo_conn_key *, struct ds *);

/* The key functions run once or twice per packet: inline, and the hash
 * over 32-bit words (the key has no padding that is not zeroed). */
BUILD_ASSERT_DECL(sizeof(struct colo_conn_key) % 4 == 0);

static inline uint32_t
colo_conn_key_hash(const struct colo_conn_key *key)
{
    return hash_words(ALIGNED_CAST(const uint32_t *, key),
                      sizeof *key / 4, 0);
}

static inline bool
colo_conn_key_equal(const struct colo_conn_key *a,
                    const struct colo_conn_key *b)
{
    return !memcmp(a, b, sizeof *a);
}

/* Returns the key of the other direction of 'key''s connection: source and
 * destination (addresses, ports and, for frames, Ethernet addresses)
 * swapped. */
static inline struct colo_conn_key
colo_conn_key_reverse(const struct colo_conn_key *key)
{
    struct colo_conn_key r = *key;

    r.src = key->dst;
    r.dst = key->src;
    r.src_port = key->dst_port;
    r.dst_port = key->src_port;
    r.eth_src = key->eth_dst;
    r.eth_dst = key->eth_src;
    return r;
}

#endif /* colo-packet.h */
