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
#include "colo-test-packet.h"

#include <string.h>

#include "csum.h"
#include "dp-packet.h"
#include "flow.h"
#include "packets.h"
#include "util.h"

/* Returns the one's complement sum of the L4 segment of 'p' and its pseudo
 * header: 0xffff folded (csum_finish() of 0) when the checksum is right. */
static ovs_be16
l4_csum(const struct dp_packet *p)
{
    const void *l3 = dp_packet_l3(p);
    uint32_t partial;

    if (IP_VER(((const struct ip_header *) l3)->ip_ihl_ver) == 4) {
        partial = packet_csum_pseudoheader(l3);
    } else {
        partial = packet_csum_pseudoheader6(l3);
    }
    return csum_finish(csum_continue(partial, dp_packet_l4(p),
                                     dp_packet_l4_size(p)));
}

/* Returns true if the TCP, UDP or ICMPv6 checksum of 'p' is right,
 * computed from scratch. */
bool
colo_test_l4_csum_ok(const struct dp_packet *p)
{
    return l4_csum(p) == 0;
}

/* Recomputes the IPv4 and TCP checksums of 'p' from scratch. */
static void
fix_tcp_csums(struct dp_packet *p, bool ipv4)
{
    struct tcp_header *tcp = dp_packet_l4(p);

    if (ipv4) {
        struct ip_header *ip = dp_packet_l3(p);
        ip->ip_csum = 0;
        ip->ip_csum = csum(ip, IP_IHL(ip->ip_ihl_ver) * 4);
    }
    tcp->tcp_csum = 0;
    tcp->tcp_csum = l4_csum(p);
}

struct dp_packet *
colo_test_packet(const struct colo_test_spec *sp)
{
    struct dp_packet *p = dp_packet_new(128 + sp->len);
    struct flow flow;
    size_t len = sp->data ? strlen(sp->data) : sp->len;
    const void *l7 = sp->data ? (const void *) sp->data : sp->bytes;
    struct eth_addr vm = ETH_ADDR_C(52, 54, 00, 00, 00, 01);
    struct eth_addr client = ETH_ADDR_C(52, 54, 00, 00, 00, 02);
    ovs_be16 vm_port = htons(sp->sport ? sp->sport : 80);
    ovs_be16 client_port = htons(sp->dport ? sp->dport : 5000);

    memset(&flow, 0, sizeof flow);
    flow.dl_src = sp->reverse ? client : vm;
    flow.dl_dst = sp->reverse ? vm : client;
    flow.dl_type = sp->dl_type ? sp->dl_type : htons(ETH_TYPE_IP);
    flow.nw_proto = sp->nw_proto ? sp->nw_proto : IPPROTO_TCP;
    flow.nw_ttl = sp->ttl ? sp->ttl : 64;
    if (flow.dl_type == htons(ETH_TYPE_IPV6)) {
        flow.ipv6_src.s6_addr[0] = flow.ipv6_dst.s6_addr[0] = 0xfd;
        flow.ipv6_src.s6_addr[15] = sp->reverse ? 2 : 1;
        flow.ipv6_dst.s6_addr[15] = sp->reverse ? 1 : 2;
    } else {
        flow.nw_src = htonl(sp->reverse ? 0x0a000002 : 0x0a000001);
        flow.nw_dst = htonl(sp->reverse ? 0x0a000001 : 0x0a000002);
    }
    flow.tp_src = sp->reverse ? client_port : vm_port;
    flow.tp_dst = sp->reverse ? vm_port : client_port;
    /* flow_compose() leaves out the payload of SYN, FIN and RST segments:
     * compose with ACK and set the flags afterward. */
    flow.tcp_flags = htons(TCP_ACK);
    flow.ipv6_label = htonl(sp->label);
    if (sp->vlan) {
        int i = sp->svlan ? 1 : 0;
        flow.vlans[i].tpid = htons(ETH_TYPE_VLAN_8021Q);
        flow.vlans[i].tci = htons(sp->vlan | VLAN_CFI);
    }
    if (sp->svlan) {
        flow.vlans[0].tpid = htons(ETH_TYPE_VLAN_8021AD);
        flow.vlans[0].tci = htons(sp->svlan | VLAN_CFI);
    }
    flow_compose(p, &flow, l7, len);
    pkt_metadata_init(&p->md, 0);

    bool ipv4 = flow.dl_type == htons(ETH_TYPE_IP);
    if (ipv4) {
        struct ip_header *ip = dp_packet_l3(p);
        ip->ip_id = htons(sp->ip_id);
        ip->ip_frag_off = htons(sp->frag);
    }
    if (flow.nw_proto == IPPROTO_TCP && flow.dl_type != htons(ETH_TYPE_ARP)) {
        struct tcp_header *tcp = dp_packet_l4(p);
        put_16aligned_be32(&tcp->tcp_seq, htonl(sp->seq));
        put_16aligned_be32(&tcp->tcp_ack, htonl(sp->ack));
        tcp->tcp_winsz = htons(sp->window);
        tcp->tcp_ctl = TCP_CTL(sp->flags ? sp->flags : TCP_ACK,
                               5 + sp->opt_words);
        if (!(sp->frag & ~IP_DONT_FRAGMENT)) {
            fix_tcp_csums(p, ipv4);
        }
        if (sp->bad_csum) {
            tcp->tcp_csum ^= htons(0x1234);
        }
    }
    return p;
}
