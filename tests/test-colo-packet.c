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

/* Packet tools for the COLO autotests:
 *
 *   compose [KEY=VALUE]...   prints a packet in hex, for netdev-dummy/receive
 *   pcap FILE                prints one summary line per packet of FILE
 *
 * compose's keys: proto=tcp|udp|icmp, ipv6=1, reverse=1 (client to VM),
 * sport=N, dport=N, seq=N, ack=N, flags=syn|synack|ack|fin|rst|psh,
 * vlan=N, data=STRING, len=N (zero bytes); and, to damage the packet once
 * built, for the bad-input tests: pushvlan=N (push one more 802.1Q tag,
 * outermost; repeatable), ihl=N, iplen=N (IPv4 total length or IPv6
 * payload length), ip6next=N, doff=N (TCP data offset), truncate=N (frame
 * length).  Checksums are not updated after damage. */

#include <config.h>
#undef NDEBUG
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "colo-test-packet.h"
#include "command-line.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "ovstest.h"
#include "packets.h"
#include "pcap-file.h"
#include "util.h"

static uint16_t
parse_tcp_flags_arg(const char *s)
{
    static const struct {
        const char *name;
        uint16_t flags;
    } names[] = {
        { "syn", TCP_SYN }, { "synack", TCP_SYN | TCP_ACK },
        { "ack", TCP_ACK }, { "fin", TCP_FIN | TCP_ACK },
        { "rst", TCP_RST }, { "psh", TCP_PSH | TCP_ACK },
    };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (!strcmp(s, names[i].name)) {
            return names[i].flags;
        }
    }
    ovs_fatal(0, "%s: unknown TCP flags", s);
}

/* Damage done to a composed packet, after it is built, to make the
 * malformed and unusual frames of the bad-input tests.  -1 leaves a field
 * alone. */
struct mangle {
    int ihl;                    /* IPv4 header length, in 32-bit words. */
    int doff;                   /* TCP data offset, in 32-bit words. */
    int ip_len;                 /* IPv4 total length or IPv6 payload
                                 * length. */
    int ip6_next;               /* IPv6 next header. */
    int truncate;               /* Frame length. */
    int n_tags;                 /* Extra 802.1Q tags pushed outermost... */
    uint16_t tags[8];           /* ...with these VLAN IDs. */
};

static void
mangle_packet(struct dp_packet *p, const struct mangle *m)
{
    struct flow flow;

    for (int i = 0; i < m->n_tags; i++) {
        eth_push_vlan(p, htons(ETH_TYPE_VLAN), htons(m->tags[i]));
    }
    flow_extract(p, &flow);

    struct ip_header *ip = dp_packet_l3(p);
    if (flow.dl_type == htons(ETH_TYPE_IP)) {
        if (m->ihl >= 0) {
            ip->ip_ihl_ver = IP_IHL_VER(m->ihl, IP_VERSION);
        }
        if (m->ip_len >= 0) {
            ip->ip_tot_len = htons(m->ip_len);
        }
    } else if (flow.dl_type == htons(ETH_TYPE_IPV6)) {
        struct ovs_16aligned_ip6_hdr *ip6 = dp_packet_l3(p);

        if (m->ip_len >= 0) {
            ip6->ip6_ctlun.ip6_un1.ip6_un1_plen = htons(m->ip_len);
        }
        if (m->ip6_next >= 0) {
            ip6->ip6_ctlun.ip6_un1.ip6_un1_nxt = m->ip6_next;
        }
    }
    if (m->doff >= 0 && flow.nw_proto == IPPROTO_TCP) {
        struct tcp_header *tcp = dp_packet_l4(p);

        tcp->tcp_ctl = TCP_CTL(TCP_FLAGS(tcp->tcp_ctl), m->doff);
    }
    if (m->truncate >= 0 && m->truncate < dp_packet_size(p)) {
        dp_packet_set_size(p, m->truncate);
    }
}

static void
test_compose(struct ovs_cmdl_context *ctx)
{
    struct mangle m = { -1, -1, -1, -1, -1, 0, { 0 } };
    static uint8_t zeros[9216];
    struct colo_test_spec spec;

    memset(&spec, 0, sizeof spec);
    for (int i = 1; i < ctx->argc; i++) {
        char *arg = ctx->argv[i];
        char *value = strchr(arg, '=');

        if (!value) {
            ovs_fatal(0, "%s: KEY=VALUE expected", arg);
        }
        *value++ = '\0';
        if (!strcmp(arg, "proto")) {
            spec.nw_proto = (!strcmp(value, "udp") ? IPPROTO_UDP
                             : !strcmp(value, "icmp") ? IPPROTO_ICMP
                             : IPPROTO_TCP);
        } else if (!strcmp(arg, "ipv6")) {
            spec.dl_type = htons(ETH_TYPE_IPV6);
        } else if (!strcmp(arg, "reverse")) {
            spec.reverse = atoi(value);
        } else if (!strcmp(arg, "sport")) {
            spec.sport = atoi(value);
        } else if (!strcmp(arg, "dport")) {
            spec.dport = atoi(value);
        } else if (!strcmp(arg, "seq")) {
            spec.seq = strtoul(value, NULL, 0);
        } else if (!strcmp(arg, "ack")) {
            spec.ack = strtoul(value, NULL, 0);
        } else if (!strcmp(arg, "flags")) {
            spec.flags = parse_tcp_flags_arg(value);
        } else if (!strcmp(arg, "vlan")) {
            spec.vlan = atoi(value);
        } else if (!strcmp(arg, "data")) {
            spec.data = value;
        } else if (!strcmp(arg, "len")) {
            spec.bytes = zeros;
            spec.len = MIN(atoi(value), sizeof zeros);
        } else if (!strcmp(arg, "ihl")) {
            m.ihl = atoi(value);
        } else if (!strcmp(arg, "doff")) {
            m.doff = atoi(value);
        } else if (!strcmp(arg, "iplen")) {
            m.ip_len = atoi(value);
        } else if (!strcmp(arg, "ip6next")) {
            m.ip6_next = atoi(value);
        } else if (!strcmp(arg, "truncate")) {
            m.truncate = atoi(value);
        } else if (!strcmp(arg, "pushvlan")) {
            if (m.n_tags >= ARRAY_SIZE(m.tags)) {
                ovs_fatal(0, "too many pushvlan keys");
            }
            m.tags[m.n_tags++] = atoi(value);
        } else {
            ovs_fatal(0, "%s: unknown key", arg);
        }
    }
    if (spec.dl_type == htons(ETH_TYPE_IPV6)
        && spec.nw_proto == IPPROTO_ICMP) {
        spec.nw_proto = IPPROTO_ICMPV6;
    }

    struct dp_packet *p = colo_test_packet(&spec);
    mangle_packet(p, &m);

    const uint8_t *data = dp_packet_data(p);
    for (size_t i = 0; i < dp_packet_size(p); i++) {
        printf("%02x", data[i]);
    }
    putchar('\n');
    dp_packet_delete(p);
}

static void
summarize(struct dp_packet *p, struct ds *s)
{
    struct flow flow;

    flow_extract(p, &flow);
    if (flow.vlans[0].tci) {
        ds_put_format(s, "vlan=%d ", vlan_tci_to_vid(flow.vlans[0].tci));
    }
    if (flow.dl_type != htons(ETH_TYPE_IP)
        && flow.dl_type != htons(ETH_TYPE_IPV6)) {
        ds_put_format(s, "eth_type=0x%04"PRIx16" len=%"PRIu32,
                      ntohs(flow.dl_type), dp_packet_size(p));
        return;
    }

    const char *proto = (flow.nw_proto == IPPROTO_TCP ? "tcp"
                         : flow.nw_proto == IPPROTO_UDP ? "udp"
                         : flow.nw_proto == IPPROTO_ICMP ? "icmp"
                         : flow.nw_proto == IPPROTO_ICMPV6 ? "icmp"
                         : "ip");
    ds_put_format(s, "%s%s ", proto,
                  flow.dl_type == htons(ETH_TYPE_IPV6) ? "6" : "");
    if (flow.nw_proto == IPPROTO_TCP
        && dp_packet_l4_size(p) >= TCP_HEADER_LEN) {
        const struct tcp_header *tcp = dp_packet_l4(p);
        uint16_t ctl = TCP_FLAGS(tcp->tcp_ctl);

        ds_put_format(s, "%"PRIu16">%"PRIu16" seq=%"PRIu32" ack=%"PRIu32
                      " flags=", ntohs(flow.tp_src), ntohs(flow.tp_dst),
                      ntohl(get_16aligned_be32(&tcp->tcp_seq)),
                      ntohl(get_16aligned_be32(&tcp->tcp_ack)));
        packet_format_tcp_flags(s, ctl);
        const char *data = dp_packet_get_tcp_payload(p);
        size_t n = dp_packet_l4_size(p) - TCP_OFFSET(tcp->tcp_ctl) * 4;
        ds_put_format(s, " payload=%"PRIuSIZE, n);
        if (data && n) {
            ds_put_cstr(s, " \"");
            for (size_t i = 0; i < n && i < 32; i++) {
                ds_put_char(s, data[i] >= 32 && data[i] < 127 ? data[i] : '.');
            }
            ds_put_char(s, '"');
        }
        ds_put_format(s, " csum=%s", colo_test_l4_csum_ok(p) ? "ok" : "bad");
    } else if (flow.nw_proto == IPPROTO_UDP) {
        ds_put_format(s, "%"PRIu16">%"PRIu16" len=%"PRIu32,
                      ntohs(flow.tp_src), ntohs(flow.tp_dst),
                      dp_packet_size(p));
    } else {
        ds_put_format(s, "len=%"PRIu32, dp_packet_size(p));
    }
}

static void
test_pcap(struct ovs_cmdl_context *ctx)
{
    struct pcap_file *file = ovs_pcap_open(ctx->argv[1], "rb");

    if (!file) {
        ovs_fatal(errno, "%s: open failed", ctx->argv[1]);
    }
    for (;;) {
        struct dp_packet *p;
        int error = ovs_pcap_read(file, &p, NULL);

        if (error) {
            break;
        }
        struct ds s = DS_EMPTY_INITIALIZER;
        summarize(p, &s);
        puts(ds_cstr(&s));
        ds_destroy(&s);
        dp_packet_delete(p);
    }
    ovs_pcap_close(file);
}

static const struct ovs_cmdl_command commands[] = {
    {"compose", "[KEY=VALUE]...", 0, INT_MAX, test_compose, OVS_RO},
    {"pcap", "FILE", 1, 1, test_pcap, OVS_RO},
    {NULL, NULL, 0, 0, NULL, OVS_RO},
};

static void
test_colo_packet_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-colo-packet", test_colo_packet_main);
