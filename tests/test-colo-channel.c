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

/* The colo channel port (lib/colo/netdev-colo.c) outside ovs-vswitchd:
 *
 *   ovstest test-colo-channel bench [PACKETS]
 *       opens two colo netdevs linked over a unix socket, then over TCP
 *       on 127.0.0.1, in one process, sends PACKETS frames of 64 and of
 *       1400 bytes from one to the other, in batches of 32, checks that
 *       all arrive in order, and prints packets/s and Gbit/s of Ethernet
 *       frames (one core does both ends). */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "colo/netdev-colo.h"
#include "command-line.h"
#include "dp-packet.h"
#include "netdev.h"
#include "openvswitch/vlog.h"
#include "ovstest.h"
#include "smap.h"
#include "timeval.h"
#include "util.h"

#define BATCH 32

static struct netdev *
open_colo(const char *name, const char *remote)
{
    struct smap args = SMAP_INITIALIZER(&args);
    struct netdev *netdev;
    char *error = NULL;

    ovs_assert(!netdev_open(name, "colo", &netdev));
    smap_add(&args, "remote", remote);
    smap_add(&args, "tx-queue-bytes", "16777216");
    if (netdev_set_config(netdev, &args, &error)) {
        ovs_fatal(0, "%s", error);
    }
    smap_destroy(&args);
    return netdev;
}

static void
bench(struct netdev *tx, struct netdev_rxq *rxq, size_t size,
      size_t n_packets)
{
    struct dp_packet *model = dp_packet_new(size);
    size_t sent = 0, received = 0;
    long long int start = time_msec();
    struct timespec t0, t1;

    dp_packet_put_zeros(model, size);
    xclock_gettime(CLOCK_MONOTONIC, &t0);
    while (received < n_packets) {
        if (sent == received) {
            struct dp_packet_batch batch;

            dp_packet_batch_init(&batch);
            for (int i = 0; i < BATCH && sent < n_packets; i++, sent++) {
                struct dp_packet *p = dp_packet_clone(model);
                uint32_t seq = sent;

                memcpy(dp_packet_data(p), &seq, sizeof seq);
                dp_packet_batch_add(&batch, p);
            }
            netdev_send(tx, 0, &batch, false);
        }
        netdev_run();

        struct dp_packet_batch rx;
        if (!netdev_rxq_recv(rxq, &rx, NULL)) {
            struct dp_packet *p;

            DP_PACKET_BATCH_FOR_EACH (i, p, &rx) {
                uint32_t seq;

                memcpy(&seq, dp_packet_data(p), sizeof seq);
                ovs_assert(seq == received);
                ovs_assert(dp_packet_size(p) == size);
                received++;
            }
            dp_packet_delete_batch(&rx, true);
        }
        if (time_msec() - start > 60000) {
            ovs_fatal(0, "stuck after %"PRIuSIZE" of %"PRIuSIZE" packets",
                      received, n_packets);
        }
    }
    xclock_gettime(CLOCK_MONOTONIC, &t1);

    double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%5"PRIuSIZE" B frames: %8.3f Mpps  %6.2f Gbit/s\n", size,
           n_packets / secs / 1e6, n_packets * size * 8 / secs / 1e9);
    dp_packet_delete(model);
}

static const char *
get_status(const struct netdev *netdev, const char *key, struct smap *status)
{
    smap_clear(status);
    netdev_get_status(netdev, status);
    return smap_get_def(status, key, "");
}

/* Links a new listening netdev on 'listen' to a new connecting one,
 * running the channel until both are connected, and benchmarks it. */
static void
bench_link(const char *kind, const char *listen, size_t n_packets)
{
    struct smap status = SMAP_INITIALIZER(&status);
    struct netdev *a = open_colo("bench-rx", listen);
    struct netdev *b;
    struct netdev_rxq *rxq;
    char *connect;

    if (!strncmp(listen, "ptcp:", 5)) {
        connect = xasprintf("tcp:127.0.0.1:%s",
                            get_status(a, "bound_port", &status));
    } else {
        connect = xasprintf("unix:%s", listen + 6);
    }
    b = open_colo("bench-tx", connect);

    long long int deadline = time_msec() + 10000;
    while (strcmp(get_status(a, "state", &status), "connected")
           || strcmp(get_status(b, "state", &status), "connected")) {
        netdev_run();
        ovs_assert(time_msec() < deadline);
        xnanosleep(1000000);
    }
    ovs_assert(!netdev_rxq_open(a, &rxq, 0));

    printf("%s, %"PRIuSIZE" packets per size, one core, batches of %d\n",
           kind, n_packets, BATCH);
    bench(b, rxq, 64, n_packets);
    bench(b, rxq, 1400, n_packets);

    netdev_rxq_close(rxq);
    netdev_close(b);
    netdev_close(a);
    smap_destroy(&status);
    free(connect);
}

static void
test_bench(struct ovs_cmdl_context *ctx)
{
    size_t n_packets = ctx->argc > 1 ? atoi(ctx->argv[1]) : 1000000;
    char *path = xasprintf("colo_bench.%d.sock", (int) getpid());
    char *listen = xasprintf("punix:%s", path);

    netdev_colo_register();
    bench_link("unix socket", listen, n_packets);
    bench_link("TCP on 127.0.0.1", "ptcp:0:127.0.0.1", n_packets);
    unlink(path);
    free(path);
    free(listen);
}

static const struct ovs_cmdl_command commands[] = {
    {"bench", "[PACKETS]", 0, 1, test_bench, OVS_RO},
    {NULL, NULL, 0, 0, NULL, OVS_RO},
};

static void
test_colo_channel_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_WARN);
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-colo-channel", test_colo_channel_main);
