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

/* Unit tests of the COLO TCP rewriter (lib/colo/colo-rewrite.c), driven by
 * tests/colo.at:
 *
 *   ovstest test-colo-rewrite NAME        runs one scenario
 *   ovstest test-colo-rewrite random SEED CONNS
 *                                         random connections property test
 *   ovstest test-colo-rewrite bench [PACKETS]
 *                                         benchmark (make bench-rewrite)
 *
 * Every rewritten packet's checksum is recomputed from scratch and must be
 * right.  Scenarios assert and print nothing on success. */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colo/colo-rewrite.h"
#include "colo-test-packet.h"
#include "command-line.h"
#include "dp-packet.h"
#include "openvswitch/vlog.h"
#include "ovstest.h"
#include "packets.h"
#include "random.h"
#include "timeval.h"
#include "util.h"

/* Client packets the rewriter released after holding them, in order. */
static struct dp_packet *released[2 * COLO_REWRITE_MAX_HELD];
static size_t n_released;

static void
collect_released(struct dp_packet *pkt, enum colo_rewrite_dir dir,
                 void *aux OVS_UNUSED)
{
    ovs_assert(dir == COLO_TO_SVM);
    ovs_assert(n_released < ARRAY_SIZE(released));
    released[n_released++] = pkt;
}

static void
clear_released(void)
{
    for (size_t i = 0; i < n_released; i++) {
        dp_packet_delete(released[i]);
    }
    n_released = 0;
}

static struct colo_rewriter *
new_rewriter(bool timestamps, unsigned int max_connections)
{
    struct colo_options o;

    colo_options_init(&o);
    o.tcp_timestamp_offset = timestamps;
    if (max_connections) {
        o.max_connections = max_connections;
    }
    clear_released();
    return colo_rewriter_create(&o, collect_released, NULL);
}

static struct colo_rewrite_stats
stats(const struct colo_rewriter *rw)
{
    struct colo_rewrite_stats s;

    colo_rewriter_get_stats(rw, &s);
    return s;
}

static struct tcp_header *
tcp_of(const struct dp_packet *p)
{
    return dp_packet_l4(p);
}

static uint32_t
seq_of(const struct dp_packet *p)
{
    return ntohl(get_16aligned_be32(&tcp_of(p)->tcp_seq));
}

static uint32_t
ack_of(const struct dp_packet *p)
{
    return ntohl(get_16aligned_be32(&tcp_of(p)->tcp_ack));
}

static uint32_t
be32_at(const struct dp_packet *p, size_t tcp_ofs)
{
    ovs_be32 x;

    memcpy(&x, (const uint8_t *) tcp_of(p) + tcp_ofs, 4);
    return ntohl(x);
}

/* Runs 'pkt' through 'rw' expecting COLO_REWRITE_PASS and a valid
 * checksum, and returns it (the caller frees it). */
static struct dp_packet *
pass(struct colo_rewriter *rw, enum colo_rewrite_dir dir,
     struct dp_packet *pkt, long long int now)
{
    ovs_assert(colo_rewriter_process(rw, dir, pkt, now) == COLO_REWRITE_PASS);
    ovs_assert(colo_test_l4_csum_ok(pkt));
    return pkt;
}

/* Runs 'pkt' through 'rw' expecting COLO_REWRITE_HELD. */
static void
held(struct colo_rewriter *rw, struct dp_packet *pkt, long long int now)
{
    ovs_assert(colo_rewriter_process(rw, COLO_TO_SVM, pkt, now)
               == COLO_REWRITE_HELD);
}

/* Sequence numbers of a handshake: client ISN, PVM ISN, SVM ISN. */
struct isns {
    uint32_t c, p, s;
};

/* Plays a client-opened handshake through 'rw', with the client's third
 * packet before the SVM's SYN+ACK if 'ack_first', and checks the result. */
static void
client_handshake(struct colo_rewriter *rw, const struct isns *i,
                 bool ack_first, ovs_be16 dl_type)
{
    struct dp_packet *syn = colo_test_packet(SPEC(
        .dl_type = dl_type, .reverse = true, .flags = TCP_SYN, .seq = i->c));
    struct dp_packet *synack = colo_test_packet(SPEC(
        .dl_type = dl_type, .flags = TCP_SYN | TCP_ACK, .seq = i->s,
        .ack = i->c + 1));
    struct dp_packet *ack = colo_test_packet(SPEC(
        .dl_type = dl_type, .reverse = true, .seq = i->c + 1,
        .ack = i->p + 1));

    dp_packet_delete(pass(rw, COLO_TO_SVM, syn, 0));
    if (ack_first) {
        held(rw, ack, 0);
        ovs_assert(n_released == 0);
        pass(rw, COLO_FROM_SVM, synack, 0);
        ovs_assert(seq_of(synack) == i->p);
        ovs_assert(n_released == 1 && released[0] == ack);
        ovs_assert(colo_test_l4_csum_ok(ack));
        clear_released();
    } else {
        pass(rw, COLO_FROM_SVM, synack, 0);
        ovs_assert(seq_of(synack) == i->s);
        pass(rw, COLO_TO_SVM, ack, 0);
        dp_packet_delete(ack);
    }
    dp_packet_delete(synack);
}

/* Checks that data in both directions is mapped between the spaces. */
static void
check_data(struct colo_rewriter *rw, const struct isns *i, ovs_be16 dl_type)
{
    struct dp_packet *p;

    p = pass(rw, COLO_FROM_SVM, colo_test_packet(SPEC(
        .dl_type = dl_type, .seq = i->s + 1, .ack = i->c + 1,
        .data = "response")), 1);
    ovs_assert(seq_of(p) == i->p + 1);
    ovs_assert(ack_of(p) == i->c + 1);
    dp_packet_delete(p);

    p = pass(rw, COLO_TO_SVM, colo_test_packet(SPEC(
        .dl_type = dl_type, .reverse = true, .seq = i->c + 1,
        .ack = i->p + 9, .data = "request")), 1);
    ovs_assert(ack_of(p) == i->s + 9);
    ovs_assert(seq_of(p) == i->c + 1);
    dp_packet_delete(p);
}

static void
test_handshakes(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    static const struct isns cases[] = {
        { 1000, 50000, 900000 },
        { 7, 0xfffffff0, 0x10 },        /* Offset wraps. */
        { 0xffffffff, 0x7fffffff, 0xfffffffe },
    };

    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        for (int ack_first = 0; ack_first < 2; ack_first++) {
            for (int v6 = 0; v6 < 2; v6++) {
                ovs_be16 dl_type = htons(v6 ? ETH_TYPE_IPV6 : ETH_TYPE_IP);
                struct colo_rewriter *rw = new_rewriter(false, 0);

                client_handshake(rw, &cases[c], ack_first, dl_type);
                check_data(rw, &cases[c], dl_type);
                ovs_assert(stats(rw).offsets_learned == 1);
                ovs_assert(stats(rw).connections == 1);
                ovs_assert(stats(rw).held == ack_first);
                colo_rewriter_destroy(rw);
            }
        }
    }
}

/* A connection the VM opens: its SYN gives the SVM's ISN, the client's
 * SYN+ACK the PVM's, in either order. */
static void
test_vm_opened(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns i = { 3000, 123456, 654321 };

    for (int synack_first = 0; synack_first < 2; synack_first++) {
        struct colo_rewriter *rw = new_rewriter(false, 0);
        struct dp_packet *syn = colo_test_packet(SPEC(
            .flags = TCP_SYN, .seq = i.s));
        struct dp_packet *synack = colo_test_packet(SPEC(
            .reverse = true, .flags = TCP_SYN | TCP_ACK, .seq = i.c,
            .ack = i.p + 1));

        if (synack_first) {
            /* The client's SYN+ACK opens the entry: it is a SYN. */
            held(rw, synack, 0);
            pass(rw, COLO_FROM_SVM, syn, 0);
            ovs_assert(seq_of(syn) == i.p);
            ovs_assert(n_released == 1 && ack_of(released[0]) == i.s + 1);
            ovs_assert(colo_test_l4_csum_ok(released[0]));
            clear_released();
        } else {
            pass(rw, COLO_FROM_SVM, syn, 0);
            ovs_assert(seq_of(syn) == i.s);
            pass(rw, COLO_TO_SVM, synack, 0);
            ovs_assert(ack_of(synack) == i.s + 1);
            dp_packet_delete(synack);
        }
        dp_packet_delete(syn);
        check_data(rw, &i, htons(ETH_TYPE_IP));
        colo_rewriter_destroy(rw);
    }
}

/* Retransmitted SYN and SYN+ACK do not change what was learned. */
static void
test_retransmitted_syn(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns i = { 1, 2000, 5000 };
    struct colo_rewriter *rw = new_rewriter(false, 0);

    client_handshake(rw, &i, false, htons(ETH_TYPE_IP));
    struct dp_packet *synack = colo_test_packet(SPEC(
        .flags = TCP_SYN | TCP_ACK, .seq = i.s, .ack = i.c + 1));
    pass(rw, COLO_FROM_SVM, synack, 0);
    ovs_assert(seq_of(synack) == i.p);
    dp_packet_delete(synack);
    check_data(rw, &i, htons(ETH_TYPE_IP));
    ovs_assert(stats(rw).offsets_learned == 1);
    colo_rewriter_destroy(rw);
}

/* SACK blocks from the client are shifted, also at an odd offset in the
 * options (the checksum update must handle it). */
static void
test_sack(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns i = { 10, 20000, 90000 };

    for (int odd = 0; odd < 2; odd++) {
        struct colo_rewriter *rw = new_rewriter(false, 0);
        uint8_t opts[24];
        size_t n = 0;

        client_handshake(rw, &i, false, htons(ETH_TYPE_IP));
        if (!odd) {
            opts[n++] = 1;
            opts[n++] = 1;
        } else {
            opts[n++] = 1;
        }
        opts[n++] = 5;
        opts[n++] = 18;
        for (int e = 0; e < 4; e++) {
            ovs_be32 edge = htonl(i.p + 100 + e * 50);
            memcpy(&opts[n], &edge, 4);
            n += 4;
        }
        while (n % 4) {
            opts[n++] = 0;
        }
        memcpy(&opts[n], "data", 4);

        struct dp_packet *p = pass(rw, COLO_TO_SVM, colo_test_packet(
            SPEC(.reverse = true, .seq = i.c + 1,
                                       .ack = i.p + 1, .opt_words = n / 4,
                                       .bytes = opts, .len = n + 4)), 1);
        size_t first = 20 + (odd ? 3 : 4);
        for (int e = 0; e < 4; e++) {
            ovs_assert(be32_at(p, first + 4 * e) == i.s + 100 + e * 50);
        }
        ovs_assert(ack_of(p) == i.s + 1);
        dp_packet_delete(p);
        colo_rewriter_destroy(rw);
    }
}

/* Builds TCP options holding a timestamp (NOP NOP TS) then "data". */
static void
ts_options(uint8_t opts[16], uint32_t tsval, uint32_t tsecr)
{
    ovs_be32 v = htonl(tsval), e = htonl(tsecr);

    opts[0] = 1;
    opts[1] = 1;
    opts[2] = 8;
    opts[3] = 10;
    memcpy(&opts[4], &v, 4);
    memcpy(&opts[8], &e, 4);
    memcpy(&opts[12], "data", 4);
}

/* With tcp-timestamp-offset, TSval from the SVM and TSecr from the client
 * are mapped; without it they are left alone. */
static void
test_timestamps(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns i = { 100, 200, 300 };

    for (int enabled = 0; enabled < 2; enabled++) {
        struct colo_rewriter *rw = new_rewriter(enabled, 0);
        uint8_t opts[16];

        dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
            SPEC(.reverse = true, .flags = TCP_SYN,
                                       .seq = i.c)), 0));
        ts_options(opts, 5000, 77);
        dp_packet_delete(pass(rw, COLO_FROM_SVM, colo_test_packet(
            SPEC(.flags = TCP_SYN | TCP_ACK,
                                       .seq = i.s, .ack = i.c + 1,
                                       .opt_words = 3, .bytes = opts,
                                       .len = 12)), 0));
        ts_options(opts, 78, 9000);
        dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
            SPEC(.reverse = true, .seq = i.c + 1,
                                       .ack = i.p + 1, .opt_words = 3,
                                       .bytes = opts, .len = 12)), 0));

        ts_options(opts, 5100, 80);
        struct dp_packet *p = pass(rw, COLO_FROM_SVM, colo_test_packet(
            SPEC(.seq = i.s + 1, .ack = i.c + 1,
                                       .opt_words = 3, .bytes = opts,
                                       .len = 16)), 1);
        ovs_assert(be32_at(p, 24) == (enabled ? 9100 : 5100));
        ovs_assert(be32_at(p, 28) == 80);
        ovs_assert(seq_of(p) == i.p + 1);
        dp_packet_delete(p);

        ts_options(opts, 81, 9100);
        p = pass(rw, COLO_TO_SVM, colo_test_packet(
            SPEC(.reverse = true, .seq = i.c + 1,
                                       .ack = i.p + 1, .opt_words = 3,
                                       .bytes = opts, .len = 16)), 1);
        ovs_assert(be32_at(p, 24) == 81);
        ovs_assert(be32_at(p, 28) == (enabled ? 5100 : 9100));
        dp_packet_delete(p);
        colo_rewriter_destroy(rw);
    }
}

/* FIN both ways, or RST either way, ends a connection; idle ones expire;
 * nothing leaks (checked by valgrind runs of the suite too). */
static void
test_teardown(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns i = { 1, 2, 3 };
    struct colo_rewriter *rw = new_rewriter(false, 0);

    client_handshake(rw, &i, true, htons(ETH_TYPE_IP));
    struct dp_packet *fin = colo_test_packet(SPEC(
        .flags = TCP_FIN | TCP_ACK, .seq = i.s + 1, .ack = i.c + 1));
    pass(rw, COLO_FROM_SVM, fin, 10);
    ovs_assert(seq_of(fin) == i.p + 1);
    dp_packet_delete(fin);
    dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
        SPEC(.reverse = true,
                                   .flags = TCP_FIN | TCP_ACK,
                                   .seq = i.c + 1, .ack = i.p + 2)), 10));
    colo_rewriter_run(rw, 1009);
    ovs_assert(stats(rw).connections == 1);
    colo_rewriter_run(rw, 1010);
    ovs_assert(stats(rw).conns_closed == 1);
    ovs_assert(stats(rw).connections == 0);

    /* RST from the client, on a connection the VM opened. */
    dp_packet_delete(pass(rw, COLO_FROM_SVM, colo_test_packet(
        SPEC(.flags = TCP_SYN, .seq = 5)), 2000));
    dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
        SPEC(.reverse = true, .flags = TCP_RST)),
        2000));
    colo_rewriter_run(rw, 3000);
    ovs_assert(stats(rw).conns_closed == 2);

    /* An idle connection expires after idle-timeout. */
    client_handshake(rw, &i, false, htons(ETH_TYPE_IP));
    colo_rewriter_run(rw, 299999);
    ovs_assert(stats(rw).connections == 1);
    colo_rewriter_run(rw, 300000);
    ovs_assert(stats(rw).conns_expired == 1);
    ovs_assert(stats(rw).connections == 0);

    /* Packets of unknown connections pass unchanged. */
    struct dp_packet *p = pass(rw, COLO_FROM_SVM, colo_test_packet(
        SPEC(.seq = 77)), 0);
    ovs_assert(seq_of(p) == 77);
    ovs_assert(stats(rw).unknown == 1);
    dp_packet_delete(p);
    colo_rewriter_destroy(rw);
}

/* After a checkpoint every offset is 0, and held packets go on. */
static void
test_checkpoint(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns i = { 1, 1000, 7000 };
    struct colo_rewriter *rw = new_rewriter(false, 0);

    client_handshake(rw, &i, false, htons(ETH_TYPE_IP));
    colo_rewriter_checkpoint_done(rw);
    struct dp_packet *p = pass(rw, COLO_FROM_SVM, colo_test_packet(
        SPEC(.seq = i.p + 1, .data = "x")), 0);
    ovs_assert(seq_of(p) == i.p + 1);
    dp_packet_delete(p);

    /* A handshake interrupted by a checkpoint: the held ACK goes on. */
    struct dp_packet *syn = colo_test_packet(SPEC(
        .sport = 81, .reverse = true, .flags = TCP_SYN, .seq = 5));
    dp_packet_delete(pass(rw, COLO_TO_SVM, syn, 0));
    held(rw, colo_test_packet(SPEC(
        .sport = 81, .reverse = true, .seq = 6, .ack = 501)), 0);
    colo_rewriter_checkpoint_done(rw);
    ovs_assert(n_released == 1 && ack_of(released[0]) == 501);
    clear_released();
    colo_rewriter_destroy(rw);
}

/* A checkpoint's start sets the offsets to 0 at once; a connection that
 * begins between the start and the done keeps the offset it learns; a
 * failover before the done brings back the offsets of before the start. */
static void
test_checkpoint_start(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns before = { 1, 1000, 7000 };
    const struct isns after = { 5, 2000, 9000 };
    struct colo_rewriter *rw = new_rewriter(false, 0);

    client_handshake(rw, &before, false, htons(ETH_TYPE_IPV6));
    colo_rewriter_checkpoint_start(rw);
    struct dp_packet *p = pass(rw, COLO_FROM_SVM, colo_test_packet(
        SPEC(.dl_type = htons(ETH_TYPE_IPV6), .seq = before.p + 1,
             .data = "x")), 0);
    ovs_assert(seq_of(p) == before.p + 1);
    dp_packet_delete(p);

    client_handshake(rw, &after, false, htons(ETH_TYPE_IP));
    colo_rewriter_checkpoint_done(rw);
    check_data(rw, &after, htons(ETH_TYPE_IP));

    /* The next checkpoint, without a start, resets at its done. */
    colo_rewriter_checkpoint_done(rw);
    p = pass(rw, COLO_FROM_SVM, colo_test_packet(
        SPEC(.seq = after.p + 1, .data = "y")), 0);
    ovs_assert(seq_of(p) == after.p + 1);
    dp_packet_delete(p);
    colo_rewriter_destroy(rw);

    /* A failover between a start and its done: the checkpoint never
     * completed, the SVM is its old self, the old offsets come back. */
    rw = new_rewriter(false, 0);
    client_handshake(rw, &before, false, htons(ETH_TYPE_IP));
    colo_rewriter_checkpoint_start(rw);
    colo_rewriter_set_failover(rw, true);
    check_data(rw, &before, htons(ETH_TYPE_IP));
    colo_rewriter_destroy(rw);

    /* After the done, a failover keeps the offsets at 0. */
    rw = new_rewriter(false, 0);
    client_handshake(rw, &before, false, htons(ETH_TYPE_IP));
    colo_rewriter_checkpoint_start(rw);
    colo_rewriter_checkpoint_done(rw);
    colo_rewriter_set_failover(rw, true);
    p = pass(rw, COLO_FROM_SVM, colo_test_packet(
        SPEC(.seq = before.p + 1, .data = "z")), 0);
    ovs_assert(seq_of(p) == before.p + 1);
    dp_packet_delete(p);
    colo_rewriter_destroy(rw);
}

/* In failover mode, known connections keep their offset and new ones are
 * left alone. */
static void
test_failover(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns i = { 1, 1000, 7000 };
    struct colo_rewriter *rw = new_rewriter(false, 0);

    client_handshake(rw, &i, false, htons(ETH_TYPE_IP));
    colo_rewriter_set_failover(rw, true);
    check_data(rw, &i, htons(ETH_TYPE_IP));

    struct dp_packet *syn = colo_test_packet(SPEC(
        .sport = 81, .flags = TCP_SYN, .seq = 42));
    pass(rw, COLO_FROM_SVM, syn, 0);
    ovs_assert(seq_of(syn) == 42);
    dp_packet_delete(syn);
    ovs_assert(stats(rw).connections == 1);
    ovs_assert(stats(rw).unknown == 1);
    colo_rewriter_destroy(rw);
}

/* A bad checksum stays bad; malformed options are left alone. */
static void
test_bad_input(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct isns i = { 1, 1000, 7000 };
    struct colo_rewriter *rw = new_rewriter(false, 0);

    client_handshake(rw, &i, false, htons(ETH_TYPE_IP));
    struct dp_packet *p = colo_test_packet(SPEC(
        .seq = i.s + 1, .data = "x", .bad_csum = true));
    ovs_assert(!colo_test_l4_csum_ok(p));
    ovs_assert(colo_rewriter_process(rw, COLO_FROM_SVM, p, 0)
               == COLO_REWRITE_PASS);
    ovs_assert(seq_of(p) == i.p + 1);
    ovs_assert(!colo_test_l4_csum_ok(p));
    dp_packet_delete(p);

    /* An option whose length runs past the header. */
    uint8_t opts[8] = { 5, 30, 0, 0, 0, 0, 0, 0 };
    p = pass(rw, COLO_TO_SVM, colo_test_packet(SPEC(
        .reverse = true, .seq = i.c + 1, .ack = i.p + 1, .opt_words = 2,
        .bytes = opts, .len = 8)), 0);
    ovs_assert(ack_of(p) == i.s + 1);
    ovs_assert(stats(rw).bad_options == 1);
    dp_packet_delete(p);

    /* Not TCP, or truncated: passed untouched, the truncated one counted
     * as malformed. */
    p = colo_test_packet(SPEC(.nw_proto = IPPROTO_UDP, .data = "u"));
    ovs_assert(colo_rewriter_process(rw, COLO_FROM_SVM, p, 0)
               == COLO_REWRITE_PASS);
    ovs_assert(stats(rw).malformed == 0);
    dp_packet_delete(p);
    uint64_t rewritten = stats(rw).rewritten;
    p = colo_test_packet(SPEC(.seq = i.s + 1));
    dp_packet_set_size(p, 14 + 20 + 10);
    ovs_assert(colo_rewriter_process(rw, COLO_FROM_SVM, p, 0)
               == COLO_REWRITE_PASS);
    ovs_assert(stats(rw).malformed == 1);
    ovs_assert(stats(rw).rewritten == rewritten);
    dp_packet_delete(p);
    colo_rewriter_destroy(rw);
}

/* Held packets are bounded per connection and in time. */
static void
test_hold_limits(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_rewriter *rw = new_rewriter(false, 0);

    dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
        SPEC(.reverse = true, .flags = TCP_SYN,
                                   .seq = 1)), 0));
    for (int k = 0; k < COLO_REWRITE_MAX_HELD; k++) {
        held(rw, colo_test_packet(SPEC(
            .reverse = true, .seq = 2, .ack = 1001)), 0);
    }
    dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
        SPEC(.reverse = true, .seq = 2,
                                   .ack = 1001)), 0));
    ovs_assert(stats(rw).hold_overflows == 1);
    ovs_assert(stats(rw).hold_timeouts == 0);
    colo_rewriter_run(rw, COLO_REWRITE_HOLD_MS - 1);
    ovs_assert(n_released == 0);
    colo_rewriter_run(rw, COLO_REWRITE_HOLD_MS);
    ovs_assert(n_released == COLO_REWRITE_MAX_HELD);
    ovs_assert(ack_of(released[0]) == 1001);
    ovs_assert(stats(rw).hold_timeouts == COLO_REWRITE_MAX_HELD);
    colo_rewriter_destroy(rw);
    clear_released();

    /* And in bytes over all connections, by max-queue-bytes: 64 KiB here,
     * 8 connections of 1,000-byte packets.  Once the offsets are known the
     * bytes are free again. */
    struct colo_options o;
    colo_options_init(&o);
    o.max_queue_bytes = 65536;
    rw = colo_rewriter_create(&o, collect_released, NULL);
    static uint8_t payload[1000];
    size_t n_held = 0, size = 0;
    for (int port = 1; port <= 8; port++) {
        dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
            SPEC(.sport = port, .reverse = true, .flags = TCP_SYN,
                 .seq = 1)), 0));
        for (int k = 0; k < 10; k++) {
            struct dp_packet *pkt = colo_test_packet(SPEC(
                .sport = port, .reverse = true, .seq = 2, .ack = 1001,
                .bytes = payload, .len = sizeof payload));

            size = dp_packet_size(pkt);
            if (colo_rewriter_process(rw, COLO_TO_SVM, pkt, 0)
                == COLO_REWRITE_HELD) {
                n_held++;
            } else {
                dp_packet_delete(pkt);
            }
        }
    }
    ovs_assert(n_held == 65536 / size);
    ovs_assert(stats(rw).hold_overflows == 80 - n_held);
    ovs_assert(stats(rw).held == n_held);
    /* The SVM's SYN+ACK on port 1 lets its 10 packets go, rewritten. */
    dp_packet_delete(pass(rw, COLO_FROM_SVM, colo_test_packet(
        SPEC(.sport = 1, .flags = TCP_SYN | TCP_ACK, .seq = 5000,
             .ack = 2)), 0));
    ovs_assert(n_released == 10);
    clear_released();
    held(rw, colo_test_packet(SPEC(.sport = 8, .reverse = true, .seq = 2,
                                   .ack = 1001, .bytes = payload,
                                   .len = sizeof payload)), 0);
    colo_rewriter_destroy(rw);
    clear_released();
}

/* A full table evicts the least recently used connection. */
static void
test_table_full(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_rewriter *rw = new_rewriter(false, 2);

    for (int port = 1; port <= 3; port++) {
        dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
            SPEC(.sport = port, .reverse = true,
                                       .flags = TCP_SYN, .seq = 1)), port));
    }
    ovs_assert(stats(rw).connections == 2);
    ovs_assert(stats(rw).conns_evicted == 1);
    colo_rewriter_destroy(rw);
}

/* Property test: many connections with random ISNs, handshake orders,
 * directions and segments; every packet the client would see from the SVM
 * carries PVM sequence numbers, every client packet reaching the SVM
 * carries SVM acknowledgments, and every checksum is right. */
static void
test_random(struct ovs_cmdl_context *ctx)
{
    uint32_t seed = atoi(ctx->argv[1]);
    int n_conns = atoi(ctx->argv[2]);
    struct colo_rewriter *rw = new_rewriter(false, 0);
    size_t n_packets = 0;

    random_set_seed(seed);
    for (int k = 0; k < n_conns; k++) {
        struct isns i = { random_uint32(), random_uint32(), random_uint32() };
        uint16_t port = 1 + k;
        bool ack_first = random_range(2);
        uint32_t vm_sent = 1, client_sent = 1;
        struct dp_packet *p;

        dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(
            SPEC(.sport = port, .reverse = true,
                                       .flags = TCP_SYN, .seq = i.c)), 0));
        struct dp_packet *synack = colo_test_packet(SPEC(
            .sport = port, .flags = TCP_SYN | TCP_ACK, .seq = i.s,
            .ack = i.c + 1));
        struct dp_packet *ack = colo_test_packet(SPEC(
            .sport = port, .reverse = true, .seq = i.c + 1, .ack = i.p + 1));
        if (ack_first) {
            held(rw, ack, 0);
            pass(rw, COLO_FROM_SVM, synack, 0);
            ovs_assert(n_released == 1 && ack_of(released[0]) == i.s + 1);
            clear_released();
        } else {
            pass(rw, COLO_FROM_SVM, synack, 0);
            pass(rw, COLO_TO_SVM, ack, 0);
            ovs_assert(ack_of(ack) == i.s + 1);
            dp_packet_delete(ack);
        }
        dp_packet_delete(synack);

        for (int seg = random_range(20); seg >= 0; seg--) {
            size_t len = random_range(1400);
            uint8_t *data = xmalloc(len + 1);

            random_bytes(data, len);
            if (random_range(2)) {
                p = pass(rw, COLO_FROM_SVM, colo_test_packet(
                    SPEC(.sport = port,
                                               .seq = i.s + vm_sent,
                                               .ack = i.c + client_sent,
                                               .bytes = data, .len = len)),
                    0);
                ovs_assert(seq_of(p) == i.p + vm_sent);
                ovs_assert(ack_of(p) == i.c + client_sent);
                vm_sent += len;
            } else {
                p = pass(rw, COLO_TO_SVM, colo_test_packet(
                    SPEC(.sport = port,
                                               .reverse = true,
                                               .seq = i.c + client_sent,
                                               .ack = i.p + vm_sent,
                                               .bytes = data, .len = len)),
                    0);
                ovs_assert(ack_of(p) == i.s + vm_sent);
                ovs_assert(seq_of(p) == i.c + client_sent);
                client_sent += len;
            }
            dp_packet_delete(p);
            free(data);
            n_packets++;
        }
    }
    ovs_assert(stats(rw).offsets_learned == n_conns);
    ovs_assert(stats(rw).connections == n_conns);
    colo_rewriter_destroy(rw);
    printf("%d connections, %"PRIuSIZE" data packets: ok\n", n_conns,
           n_packets);
}

/* Benchmark: "bench [PACKETS]" runs PACKETS packets (default 1000000) per
 * case through one rewriter whose 64 connections have learned their
 * offsets, half from the SVM (sequence number shifted) and half from the
 * client (acknowledgment shifted), and prints packets rewritten per second
 * of one core.  Packets are built in batches outside the timed region and
 * freed outside it. */

#define BENCH_CONNS 64
#define BENCH_BATCH 8192

struct bench_case {
    const char *name;
    size_t size;                /* Payload bytes after the options. */
    bool timestamps;            /* TS option, tcp-timestamp-offset on. */
    bool sack;                  /* Client packets carry 3 SACK blocks. */
};

static const struct isns bench_isns = { 1000, 2000000000, 3000000000u };

static struct dp_packet *
bench_packet(const struct bench_case *bc, size_t k, uint8_t *buf)
{
    int conn = k % BENCH_CONNS;
    bool from_svm = (k / BENCH_CONNS) % 2 == 0;
    uint32_t off = (k / (2 * BENCH_CONNS)) * bc->size;
    size_t n = 0;

    if (bc->timestamps) {
        ts_options(buf, 5000 + k, 77 + k);
        n = 12;
    }
    if (bc->sack && !from_svm) {
        /* Three blocks: with the timestamp, the 40 bytes TCP allows. */
        buf[n++] = 1;
        buf[n++] = 1;
        buf[n++] = 5;
        buf[n++] = 26;
        for (int e = 0; e < 6; e++) {
            ovs_be32 edge = htonl(bench_isns.p + 1 + off + 100 * (e + 1));

            memcpy(&buf[n], &edge, 4);
            n += 4;
        }
    }
    int opt_words = n / 4;

    memset(&buf[n], 'x', bc->size);
    if (from_svm) {
        return colo_test_packet(SPEC(
            .sport = 1 + conn, .seq = bench_isns.s + 1 + off,
            .ack = bench_isns.c + 1, .opt_words = opt_words, .bytes = buf,
            .len = n + bc->size));
    } else {
        return colo_test_packet(SPEC(
            .sport = 1 + conn, .reverse = true, .seq = bench_isns.c + 1,
            .ack = bench_isns.p + 1 + off, .opt_words = opt_words,
            .bytes = buf, .len = n + bc->size));
    }
}

static void
bench_run(const struct bench_case *bc, size_t n_packets)
{
    struct dp_packet **pkts = xmalloc(BENCH_BATCH * sizeof *pkts);
    uint8_t *buf = xmalloc(64 + bc->size);
    struct colo_rewriter *rw = new_rewriter(bc->timestamps, 0);
    long long int elapsed_ns = 0;

    for (int conn = 0; conn < BENCH_CONNS; conn++) {
        const struct isns *i = &bench_isns;
        int words = bc->timestamps ? 3 : 0;
        uint8_t opts[16];

        dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(SPEC(
            .sport = 1 + conn, .reverse = true, .flags = TCP_SYN,
            .seq = i->c)), 0));
        ts_options(opts, 5000, 77);
        dp_packet_delete(pass(rw, COLO_FROM_SVM, colo_test_packet(SPEC(
            .sport = 1 + conn, .flags = TCP_SYN | TCP_ACK, .seq = i->s,
            .ack = i->c + 1, .opt_words = words, .bytes = opts,
            .len = 4 * words)), 0));
        ts_options(opts, 78, 9000);
        dp_packet_delete(pass(rw, COLO_TO_SVM, colo_test_packet(SPEC(
            .sport = 1 + conn, .reverse = true, .seq = i->c + 1,
            .ack = i->p + 1, .opt_words = words, .bytes = opts,
            .len = 4 * words)), 0));
    }

    size_t done = 0;
    while (done < n_packets) {
        size_t n = MIN(BENCH_BATCH, n_packets - done);
        struct timespec start, end;

        for (size_t i = 0; i < n; i++) {
            pkts[i] = bench_packet(bc, done + i, buf);
        }
        xclock_gettime(CLOCK_MONOTONIC, &start);
        for (size_t i = 0; i < n; i++) {
            bool from_svm = ((done + i) / BENCH_CONNS) % 2 == 0;

            colo_rewriter_process(rw, from_svm ? COLO_FROM_SVM : COLO_TO_SVM,
                                  pkts[i], 1);
        }
        xclock_gettime(CLOCK_MONOTONIC, &end);
        elapsed_ns += (end.tv_sec - start.tv_sec) * 1000000000LL
                      + (end.tv_nsec - start.tv_nsec);

        /* Spot check, outside the timed region: the last packet of the
         * batch was mapped into the other space. */
        struct dp_packet *last = pkts[n - 1];
        size_t k = done + n - 1;
        uint32_t off = (k / (2 * BENCH_CONNS)) * bc->size;
        if ((k / BENCH_CONNS) % 2 == 0) {
            ovs_assert(seq_of(last) == bench_isns.p + 1 + off);
            ovs_assert(!bc->timestamps || be32_at(last, 24) == 9000 + k);
        } else {
            ovs_assert(ack_of(last) == bench_isns.s + 1 + off);
            ovs_assert(!bc->timestamps
                       || be32_at(last, 28) == (uint32_t) (77 + k - 4000));
        }
        ovs_assert(colo_test_l4_csum_ok(last));
        for (size_t i = 0; i < n; i++) {
            dp_packet_delete(pkts[i]);
        }
        done += n;
    }

    struct colo_rewrite_stats s = stats(rw);
    ovs_assert(s.rewritten >= n_packets);
    ovs_assert(s.connections == BENCH_CONNS);
    printf("%-24s %8.3f Mpackets/s  %7.1f ns/packet\n",
           bc->name, n_packets / (elapsed_ns / 1e9) / 1e6,
           (double) elapsed_ns / n_packets);
    colo_rewriter_destroy(rw);
    free(buf);
    free(pkts);
}

static void
test_bench(struct ovs_cmdl_context *ctx)
{
    static const struct bench_case cases[] = {
        { "tcp 64 B", 64, false, false },
        { "tcp 1400 B", 1400, false, false },
        { "tcp 64 B, timestamps", 64, true, false },
        { "tcp 64 B, ts + 3 SACK", 64, true, true },
    };
    size_t n_packets = ctx->argc > 1 ? atoi(ctx->argv[1]) : 1000000;

    printf("%"PRIuSIZE" packets per case, %d connections, one core\n",
           n_packets, BENCH_CONNS);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        bench_run(&cases[i], n_packets);
    }
}

static const struct ovs_cmdl_command commands[] = {
    {"handshakes", NULL, 0, 0, test_handshakes, OVS_RO},
    {"vm-opened", NULL, 0, 0, test_vm_opened, OVS_RO},
    {"retransmitted-syn", NULL, 0, 0, test_retransmitted_syn, OVS_RO},
    {"sack", NULL, 0, 0, test_sack, OVS_RO},
    {"timestamps", NULL, 0, 0, test_timestamps, OVS_RO},
    {"teardown", NULL, 0, 0, test_teardown, OVS_RO},
    {"checkpoint", NULL, 0, 0, test_checkpoint, OVS_RO},
    {"checkpoint-start", NULL, 0, 0, test_checkpoint_start, OVS_RO},
    {"failover", NULL, 0, 0, test_failover, OVS_RO},
    {"bad-input", NULL, 0, 0, test_bad_input, OVS_RO},
    {"hold-limits", NULL, 0, 0, test_hold_limits, OVS_RO},
    {"table-full", NULL, 0, 0, test_table_full, OVS_RO},
    {"random", "SEED CONNS", 2, 2, test_random, OVS_RO},
    {"bench", "[PACKETS]", 0, 1, test_bench, OVS_RO},
    {NULL, NULL, 0, 0, NULL, OVS_RO},
};

static void
test_colo_rewrite_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-colo-rewrite", test_colo_rewrite_main);
