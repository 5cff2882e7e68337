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
#include "colo/colo-packet.h"

#include <string.h>

#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

/* The key is hashed and compared as bytes. */
BUILD_ASSERT_DECL(sizeof(struct colo_conn_key) == 64);

/* Fills in the parts of 'cp' that mark the packet in 'p', with flow 'flow',
 * as a frame compared whole: a non-IP frame or, if 'malformed', an IP
 * packet that OVS's parser rejected. */
static void
classify_frame(const struct dp_packet *p, const struct flow *flow,
               bool malformed, struct colo_packet *cp)
{
    memset(&cp->key.src, 0, sizeof cp->key.src);
    memset(&cp->key.dst, 0, sizeof cp->key.dst);
    cp->key.eth_src = flow->dl_src;
    cp->key.eth_dst = flow->dl_dst;
    cp->key.nw_proto = 0;
    cp->key.malformed = malformed;
    cp->key.kind = COLO_KIND_FRAME;
    cp->kind = COLO_KIND_FRAME;
    cp->malformed = malformed;
    cp->cmp_ofs = 0;
    cp->cmp_size = dp_packet_size(p);
}

/* Returns true if the L4 header of the packet in 'p', whose flow is 'flow',
 * is complete enough to compare it as TCP or UDP. */
static bool
l4_header_is_sane(const struct dp_packet *p, const struct flow *flow)
{
    if (flow->nw_frag & FLOW_NW_FRAG_LATER) {
        return true;
    } else if (flow->nw_proto == IPPROTO_TCP) {
        return dp_packet_get_tcp_payload(p) != NULL;
    } else if (flow->nw_proto == IPPROTO_UDP) {
        return dp_packet_l4_size(p) >= UDP_HEADER_LEN;
    }
    return true;
}

/* Returns true if 'p', whose flow is 'flow' as extracted by flow_extract()
 * from 'p' (which sets the packet's offsets), is an IPv4 or IPv6 packet
 * whose headers OVS's parser rejects: truncated IP or L4 headers, a bad IHL
 * or total length, a bad IPv6 extension header chain, a TCP data offset
 * past the end, a UDP packet shorter than its header. */
bool
colo_packet_ip_is_malformed(const struct dp_packet *p,
                            const struct flow *flow)
{
    return (is_ip_any(flow)
            && (p->l4_ofs == UINT16_MAX || !l4_header_is_sane(p, flow)));
}

static void
classify_tcp(const struct dp_packet *p, const struct flow *flow,
             struct colo_packet *cp)
{
    const struct tcp_header *tcp = dp_packet_l4(p);
    const char *payload = dp_packet_get_tcp_payload(p);

    cp->kind = COLO_KIND_TCP;
    cp->key.src_port = flow->tp_src;
    cp->key.dst_port = flow->tp_dst;
    cp->tcp_flags = TCP_FLAGS(tcp->tcp_ctl);
    cp->seq = ntohl(get_16aligned_be32(&tcp->tcp_seq))
              + (cp->tcp_flags & TCP_SYN ? 1 : 0);
    cp->cmp_ofs = payload - (const char *) dp_packet_data(p);
    cp->cmp_size = dp_packet_get_tcp_payload_length(p);
}

static void
classify_datagram(const struct dp_packet *p, const struct flow *flow,
                  struct colo_packet *cp)
{
    cp->kind = COLO_KIND_DATAGRAM;
    if (flow->nw_frag & FLOW_NW_FRAG_ANY) {
        /* All fragments of a host pair and protocol form one queue. */
        if (flow->dl_type == htons(ETH_TYPE_IP)) {
            const struct ip_header *ip = dp_packet_l3(p);

            cp->frag = ntohs(ip->ip_frag_off)
                       & (IP_MORE_FRAGMENTS | IP_FRAG_OFF_MASK);
        }
    } else if (flow->nw_proto == IPPROTO_UDP
               || flow->nw_proto == IPPROTO_SCTP) {
        cp->key.src_port = flow->tp_src;
        cp->key.dst_port = flow->tp_dst;
    }
    cp->cmp_ofs = (const char *) dp_packet_l4(p)
                  - (const char *) dp_packet_data(p);
    cp->cmp_size = dp_packet_l4_size(p);
}

static void
classify_ip(const struct dp_packet *p, const struct flow *flow,
            struct colo_packet *cp)
{
    if (flow->dl_type == htons(ETH_TYPE_IP)) {
        in6_addr_set_mapped_ipv4(&cp->key.src, flow->nw_src);
        in6_addr_set_mapped_ipv4(&cp->key.dst, flow->nw_dst);
    } else {
        cp->key.src = flow->ipv6_src;
        cp->key.dst = flow->ipv6_dst;
    }
    cp->key.nw_proto = flow->nw_proto;

    if (flow->nw_proto == IPPROTO_TCP
        && !(flow->nw_frag & FLOW_NW_FRAG_ANY)) {
        classify_tcp(p, flow, cp);
    } else {
        classify_datagram(p, flow, cp);
    }
    cp->key.kind = cp->kind;
}

/* Classifies the Ethernet frame in 'p' into 'cp'.  Uses flow_extract(),
 * which sets the packet's L3 and L4 offsets; the packet's metadata must be
 * initialized. */
void
colo_packet_classify(struct dp_packet *p, struct colo_packet *cp)
{
    struct flow flow;

    memset(cp, 0, sizeof *cp);
    flow_extract(p, &flow);
    memcpy(cp->key.vlans, flow.vlans, sizeof cp->key.vlans);
    cp->key.dl_type = flow.dl_type;

    if (!is_ip_any(&flow)) {
        classify_frame(p, &flow, false, cp);
    } else if (colo_packet_ip_is_malformed(p, &flow)) {
        classify_frame(p, &flow, true, cp);
    } else {
        classify_ip(p, &flow, cp);
    }
}

/* Appends a human-readable form of 'key' to 's', e.g.
 * "tcp 10.0.0.1:80->10.0.0.2:5000". */
void
colo_conn_key_format(const struct colo_conn_key *key, struct ds *s)
{
    static const char *const kinds[] = {
        [COLO_KIND_TCP] = "tcp",
        [COLO_KIND_DATAGRAM] = "ip",
        [COLO_KIND_FRAME] = "frame",
    };

    if (key->malformed) {
        ds_put_cstr(s, "malformed ");
    } else if (key->kind == COLO_KIND_DATAGRAM && key->nw_proto
               == IPPROTO_UDP) {
        ds_put_cstr(s, "udp ");
    } else {
        ds_put_format(s, "%s ", kinds[key->kind < ARRAY_SIZE(kinds)
                                      ? key->kind : COLO_KIND_FRAME]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(key->vlans); i++) {
        if (key->vlans[i].tci & htons(VLAN_CFI)) {
            ds_put_format(s, "vlan%d ", vlan_tci_to_vid(key->vlans[i].tci));
        }
    }
    if (key->kind == COLO_KIND_FRAME) {
        ds_put_format(s, "eth_type=0x%04"PRIx16" "ETH_ADDR_FMT"->"
                      ETH_ADDR_FMT, ntohs(key->dl_type),
                      ETH_ADDR_ARGS(key->eth_src),
                      ETH_ADDR_ARGS(key->eth_dst));
        return;
    }
    if (key->kind == COLO_KIND_DATAGRAM && key->nw_proto != IPPROTO_UDP) {
        ds_put_format(s, "proto=%"PRIu8" ", key->nw_proto);
    }
    ipv6_format_mapped(&key->src, s);
    if (key->src_port || key->dst_port) {
        ds_put_format(s, ":%"PRIu16, ntohs(key->src_port));
    }
    ds_put_cstr(s, "->");
    ipv6_format_mapped(&key->dst, s);
    if (key->src_port || key->dst_port) {
        ds_put_format(s, ":%"PRIu16, ntohs(key->dst_port));
    }
}
