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

/* A comparator driver that speaks the COLO proxy framing, so that the same
 * load can be put on ovs-vswitchd's comparator (through colo ports) and on
 * QEMU's colo-compare (through its chardev sockets):
 *
 *   ovstest test-colo-drive PRIMARY SECONDARY OUTPUT [KEY=VALUE]...
 *
 * PRIMARY, SECONDARY and OUTPUT are active stream names (unix:PATH,
 * tcp:IP:PORT): where the comparator reads the PVM's output, where it reads
 * the SVM's, and where it writes what it releases.  The driver sends
 * 'packets' identical pairs (one primary frame, then the same frame as
 * secondary) of one TCP connection (or UDP with proto=udp) from the VM,
 * 'size' bytes of payload each, with at most 'window' pairs sent and not
 * yet released, reads the released frames, checks that none is released
 * twice or was never sent, and prints one line:
 *
 *   packets=N size=S seconds=T pps=P mbps=M p50_us=A p99_us=B max_us=C
 *       reordered=R lost=L cpu=U
 *
 * where mbps counts payload bits of the released pairs, the latencies go
 * from the moment the pair was written to the moment its release was read,
 * 'reordered' counts releases that came before an older pair's and 'lost'
 * the pairs not released 5 s after the last release, and 'cpu' is the
 * driver's own CPU time (user and system) in percent of the run's duration:
 * near 100, the driver, not the comparator, bounds the figures.  Keys: packets
 * (default 100000), size (default 64), window (default 256), proto
 * (tcp or udp), busy (true: poll the sockets without ever sleeping, so
 * that a latency does not include waking the driver up, whose cost on a
 * VM is tens of microseconds and comes only when a release is slow enough
 * to find the driver asleep). */

#include <config.h>
#undef NDEBUG
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "colo-test-packet.h"
#include "bitmap.h"
#include "colo/colo-frame.h"
#include "command-line.h"
#include "dp-packet.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "ovstest.h"
#include "packets.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"

/* One connected stream and its buffers. */
struct drive_conn {
    const char *name;
    struct stream *stream;
    struct ofpbuf buf;          /* To send, or received and not decoded. */
};

static long long int
now_ns(void)
{
    struct timespec ts;

    xclock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The CPU time this process has used, user and system, in seconds. */
static double
cpu_seconds(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
           + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
conn_open(struct drive_conn *c, const char *name)
{
    int error;

    c->name = name;
    ofpbuf_init(&c->buf, 65536);
    error = stream_open_block(stream_open(name, &c->stream, DSCP_DEFAULT),
                              -1, &c->stream);
    if (error) {
        ovs_fatal(error, "%s: connection failed", name);
    }
}

/* Sends what 'c' holds, as far as the stream takes it. */
static void
conn_flush(struct drive_conn *c)
{
    while (c->buf.size) {
        int n = stream_send(c->stream, c->buf.data, c->buf.size);

        if (n == -EAGAIN) {
            break;
        } else if (n < 0) {
            ovs_fatal(-n, "%s: send failed", c->name);
        }
        ofpbuf_pull(&c->buf, n);
    }
    if (!c->buf.size) {
        ofpbuf_clear(&c->buf);
    } else if (ofpbuf_headroom(&c->buf) > c->buf.size) {
        ofpbuf_shift(&c->buf, -(int) ofpbuf_headroom(&c->buf));
    }
}

static int
compare_ll(const void *a_, const void *b_)
{
    const long long int *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

static void
test_colo_drive_main(int argc, char *argv[])
{
    size_t n_packets = 100000, size = 64, window = 256;
    uint8_t proto = IPPROTO_TCP;
    bool busy = false;

    if (argc < 4) {
        ovs_fatal(0, "usage: %s PRIMARY SECONDARY OUTPUT [KEY=VALUE]...",
                  argv[0]);
    }
    for (int i = 4; i < argc; i++) {
        char *key = argv[i], *value = strchr(key, '=');

        if (!value) {
            ovs_fatal(0, "%s: KEY=VALUE expected", key);
        }
        *value++ = '\0';
        if (!strcmp(key, "packets")) {
            n_packets = strtoul(value, NULL, 10);
        } else if (!strcmp(key, "size")) {
            size = strtoul(value, NULL, 10);
        } else if (!strcmp(key, "window")) {
            window = strtoul(value, NULL, 10);
        } else if (!strcmp(key, "proto")) {
            proto = !strcmp(value, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
        } else if (!strcmp(key, "busy")) {
            busy = !strcmp(value, "true");
        } else {
            ovs_fatal(0, "%s: unknown key", key);
        }
    }
    if (size < 8 || size > 1460 || !n_packets || !window) {
        ovs_fatal(0, "size must be 8 to 1460, packets and window nonzero");
    }

    struct drive_conn primary, secondary, output;
    conn_open(&output, argv[3]);
    conn_open(&secondary, argv[2]);
    conn_open(&primary, argv[1]);
    /* The comparator accepts the connections in its own time: a primary
     * packet that came before it took the secondary's would go
     * uncompared. */
    xsleep(1);

    /* The model packet; each copy carries its index in its first payload
     * bytes and, for TCP, its own sequence number. */
    uint8_t *payload = xzalloc(size);
    struct dp_packet *model = colo_test_packet(SPEC(
        .nw_proto = proto, .seq = 1, .bytes = payload, .len = size));
    const size_t l4_ofs = (const char *) dp_packet_l4(model)
                          - (const char *) dp_packet_data(model);
    const size_t data_ofs = dp_packet_size(model) - size;
    free(payload);

    long long int *sent_at = xmalloc(n_packets * sizeof *sent_at);
    long long int *latency = xmalloc(n_packets * sizeof *latency);
    unsigned long *released = bitmap_allocate(n_packets);
    size_t n_sent = 0, n_released = 0, n_reordered = 0, next_in_order = 0;
    long long int start = now_ns(), last_progress = time_msec();
    double cpu_at_start = cpu_seconds();

    while (n_released < n_packets) {
        size_t sent_before = n_sent, released_before = n_released;

        /* Queue pairs up to the window. */
        while (n_sent < n_packets && n_sent - n_released < window
               && primary.buf.size < 1 << 20) {
            struct dp_packet *p = dp_packet_clone(model);
            uint8_t *data = dp_packet_data(p);
            ovs_be64 index = htonll(n_sent);

            memcpy(data + data_ofs, &index, sizeof index);
            if (proto == IPPROTO_TCP) {
                struct tcp_header *tcp = (void *) (data + l4_ofs);

                put_16aligned_be32(&tcp->tcp_seq, htonl(1 + n_sent * size));
            }
            colo_frame_encode(&primary.buf, data, dp_packet_size(p), false);
            colo_frame_encode(&secondary.buf, data, dp_packet_size(p),
                              false);
            sent_at[n_sent++] = now_ns();
            dp_packet_delete(p);
        }
        conn_flush(&primary);
        conn_flush(&secondary);

        /* Read releases. */
        for (;;) {
            struct colo_frame frame;
            char *error;
            enum colo_frame_result r;

            r = colo_frame_decode(output.buf.data, output.buf.size, false,
                                  &frame, &error);
            if (r == COLO_FRAME_BAD) {
                ovs_fatal(0, "%s: %s", output.name, error);
            } else if (r == COLO_FRAME_OK) {
                const uint8_t *eth = (const uint8_t *) output.buf.data
                                     + frame.eth_ofs;
                ovs_be64 index;

                if (frame.eth_size != dp_packet_size(model)) {
                    ovs_fatal(0, "released frame of %"PRIuSIZE" bytes, "
                              "expected %"PRIu32, frame.eth_size,
                              dp_packet_size(model));
                }
                memcpy(&index, eth + data_ofs, sizeof index);
                uint64_t i = ntohll(index);
                if (i >= n_sent || bitmap_is_set(released, i)) {
                    ovs_fatal(0, "released packet %"PRIu64" %s", i,
                              i >= n_sent ? "never sent" : "twice");
                }
                bitmap_set1(released, i);
                if (i != next_in_order) {
                    n_reordered++;
                }
                while (next_in_order < n_sent
                       && bitmap_is_set(released, next_in_order)) {
                    next_in_order++;
                }
                latency[n_released] = now_ns() - sent_at[i];
                n_released++;
                ofpbuf_pull(&output.buf, frame.consumed);
                last_progress = time_msec();
                continue;
            }

            if (ofpbuf_headroom(&output.buf)) {
                ofpbuf_shift(&output.buf, -(int) ofpbuf_headroom(&output.buf));
            }
            ofpbuf_prealloc_tailroom(&output.buf, 65536);
            int n = stream_recv(output.stream, ofpbuf_tail(&output.buf),
                                ofpbuf_tailroom(&output.buf));
            if (n > 0) {
                output.buf.size += n;
                continue;
            } else if (n != -EAGAIN) {
                ovs_fatal(n ? -n : 0, "%s: receive failed%s", output.name,
                          n ? "" : " (closed)");
            }
            break;
        }

        if (n_released >= n_packets) {
            break;
        }
        if (n_sent != sent_before || n_released != released_before) {
            /* Progress: go round again before sleeping, to refill the
             * window that the releases opened. */
            continue;
        }
        if (time_msec() - last_progress > 5000) {
            if (n_sent < n_packets) {
                ovs_fatal(0, "no release for 5 s: %"PRIuSIZE" of %"PRIuSIZE
                          " pairs released, %"PRIuSIZE" sent", n_released,
                          n_packets, n_sent);
            }
            break;              /* The rest is lost: reported below. */
        }
        if (busy) {
            continue;
        }
        stream_recv_wait(output.stream);
        if (primary.buf.size) {
            stream_send_wait(primary.stream);
        }
        if (secondary.buf.size) {
            stream_send_wait(secondary.stream);
        }
        poll_timer_wait(1000);
        poll_block();
    }
    double secs = (now_ns() - start) / 1e9;
    double cpu_secs = cpu_seconds() - cpu_at_start;
    if (n_released < n_packets) {
        /* Do not count the wait for what never came. */
        secs -= 5;
    }
    if (!n_released) {
        ovs_fatal(0, "nothing released");
    }

    qsort(latency, n_released, sizeof *latency, compare_ll);
    printf("packets=%"PRIuSIZE" size=%"PRIuSIZE" seconds=%.3f pps=%.0f "
           "mbps=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f "
           "reordered=%"PRIuSIZE" lost=%"PRIuSIZE" cpu=%.0f\n",
           n_packets, size, secs, n_released / secs,
           n_released * size * 8 / secs / 1e6,
           latency[n_released / 2] / 1e3,
           latency[n_released * 99 / 100] / 1e3,
           latency[n_released - 1] / 1e3,
           n_reordered, n_packets - n_released, 100 * cpu_secs / secs);
    free(released);

    dp_packet_delete(model);
    free(sent_at);
    free(latency);
    struct drive_conn *conns[] = { &primary, &secondary, &output };
    for (size_t i = 0; i < ARRAY_SIZE(conns); i++) {
        stream_close(conns[i]->stream);
        ofpbuf_uninit(&conns[i]->buf);
    }
}

OVSTEST_REGISTER("test-colo-drive", test_colo_drive_main);
