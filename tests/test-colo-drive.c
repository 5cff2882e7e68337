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
 * 'packets' pairs (one primary frame, then the same frame as secondary)
 * round-robin over 'conns' TCP connections (or UDP with proto=udp) from
 * the VM, 'size' bytes of payload each, with at most 'window' pairs sent
 * and not yet released, reads the released frames, checks that each is a
 * primary copy that was sent, and prints one line:
 *
 *   packets=N size=S seconds=T pps=P mbps=M p50_us=A p99_us=B max_us=C
 *       reordered=R lost=L cpu=U diverged=D checkpoints=K acks=A dup=U
 *       max_late=X sent=S
 *
 * where mbps counts payload bits of the released pairs, the latencies go
 * from the moment the pair was written to the moment its release was read,
 * 'lost' counts the pairs sent and not released when the run ended (all
 * released, or no release for 'timeout' ms: a stall is reported, not
 * fatal; 'sent' tells how many pairs were sent at all, fewer than
 * 'packets' when the window stayed full), and 'cpu' is the driver's own
 * CPU time (user and system) in percent of the run's duration (which
 * ends with the last release): near 100, the driver, not the comparator,
 * bounds the figures.
 *
 * Order is checked per connection, which is what a comparator must keep
 * (connections are independent, and a connection held for a divergence
 * must not hold the others): 'reordered' counts releases that came while
 * an older pair of the same connection was not yet released ('conns=1',
 * the default, makes that the order of the whole run, as before this
 * counter became per connection), 'max_late' is the largest number of
 * younger pairs of its own connection released before a pair, and 'dup'
 * counts releases of a pair already released.  A released frame that was
 * never sent, is the secondary's copy of a divergent pair, or does not
 * match its connection's port or sequence number is fatal.
 *
 * Divergence and the notify protocol (see Documentation/managers.rst,
 * "Notify protocol bridge"): with 'diverge=N', the secondary copy of pairs
 * N, 2N, 3N, ...  (counting from 1) differs in the last payload byte; with
 * 'diverge_conn=J' as well, pairs N, 2N, ... of connection J (counting
 * that connection's pairs) diverge and no other.  'diverged' counts them.
 * With 'notify=STREAM' the driver connects there (ovs-colo-notify's
 * socket, or QEMU colo-compare's notify_dev chardev) and acts as a COLO
 * manager: each DO_CHECKPOINT received ('checkpoints') is answered with
 * one COLO_CHECKPOINT 'ack_ms' milliseconds later, timed in the poll loop
 * so that pairs keep flowing meanwhile; with 'manager_every=M' it also
 * sends a COLO_CHECKPOINT of its own after every M pairs sent.  'acks'
 * counts every COLO_CHECKPOINT sent.  With 'serial=true' the manager
 * behaves like QEMU's COLO checkpoint loop: one checkpoint at a time, each
 * 'ack_ms' long, during which both VMs are paused: the driver sends no
 * new pair (those already written still arrive), as a stopped VM emits
 * nothing; requests that arrive while one runs wait for it to end and are
 * then served, all together, by one more checkpoint (so at most one
 * checkpoint runs and at most one waits, however many requests arrive).
 * Without 'notify', a divergent pair is released only by whoever
 * acknowledges the checkpoint (a test's "ovs-appctl
 * colo/checkpoint-done"), or else counted in 'lost'.
 *
 * Keys: packets (default 100000), size (default 64; at least 9 with
 * 'diverge'), window (default 256), proto (tcp or udp), conns (default 1;
 * sport (default 80: connection J goes from the VM's port sport + J; the
 * client's is 5000), busy (true: poll the
 * sockets without ever sleeping, so that a latency does not include waking
 * the driver up, whose cost on a VM is tens of microseconds and comes only
 * when a release is slow enough to find the driver asleep), timeout
 * (default 5000 ms), linger (default 0 ms: after the last release, keep
 * reading that long for late duplicates; not counted in 'seconds'),
 * diverge (default 0, never), diverge_conn (default -1, any), notify,
 * ack_ms (default 0), serial (default false), manager_every (default 0,
 * never). */

#include <config.h>
#undef NDEBUG
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "colo-test-packet.h"
#include "bitmap.h"
#include "colo/colo-frame.h"
#include "colo/colo-notify.h"
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

/* Reads what 'c' has to give into 'rx', once.  Returns the number of bytes
 * read, 0 if none was there. */
static size_t
conn_recv(struct drive_conn *c, struct ofpbuf *rx)
{
    if (ofpbuf_headroom(rx)) {
        ofpbuf_shift(rx, -(int) ofpbuf_headroom(rx));
    }
    ofpbuf_prealloc_tailroom(rx, 65536);

    int n = stream_recv(c->stream, ofpbuf_tail(rx), ofpbuf_tailroom(rx));
    if (n > 0) {
        rx->size += n;
        return n;
    } else if (n != -EAGAIN) {
        ovs_fatal(n ? -n : 0, "%s: receive failed%s", c->name,
                  n ? "" : " (closed)");
    }
    return 0;
}

static int
compare_ll(const void *a_, const void *b_)
{
    const long long int *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

/* The driver as a COLO manager on a notify socket. */
struct drive_manager {
    struct drive_conn conn;     /* 'conn.buf' holds what is to be sent. */
    struct ofpbuf rx;           /* Received and not decoded. */
    int ack_ms;                 /* Delay of each acknowledgment. */
    bool serial;                /* One checkpoint at a time, coalescing. */
    bool waiting;               /* 'serial': a request awaits the next. */
    long long int *due;         /* When each pending ack is due (ms), */
    size_t head, n, allocated;  /* a ring of 'n' from 'head'. */
    size_t n_checkpoints;       /* DO_CHECKPOINT received. */
    size_t n_acks;              /* COLO_CHECKPOINT sent. */
};

static void
manager_send_checkpoint(struct drive_manager *m)
{
    colo_notify_encode(&m->conn.buf, COLO_NOTIFY_CHECKPOINT);
    m->n_acks++;
}

/* Reads and answers what the comparator said; sends the acknowledgments
 * that are due.  Returns true if anything was received or sent. */
static bool
manager_run(struct drive_manager *m)
{
    bool progress = false;

    while (conn_recv(&m->conn, &m->rx)) {
        progress = true;
    }
    for (;;) {
        char *message, *error;
        size_t consumed;
        enum colo_notify_result r;

        r = colo_notify_decode(m->rx.data, m->rx.size, &message, &consumed,
                               &error);
        if (r == COLO_NOTIFY_BAD) {
            ovs_fatal(0, "%s: %s", m->conn.name, error);
        } else if (r == COLO_NOTIFY_NEED_MORE) {
            break;
        }
        ofpbuf_pull(&m->rx, consumed);
        if (!strcmp(message, COLO_NOTIFY_DO_CHECKPOINT)) {
            m->n_checkpoints++;
            if (m->serial && m->n) {
                /* A checkpoint is running: the request waits for the
                 * next one, together with any other that comes. */
                m->waiting = true;
            } else if (m->n >= m->allocated) {
                /* Grow the ring, unrolling it. */
                size_t old = m->allocated;
                long long int *due;

                m->allocated = old ? 2 * old : 64;
                due = xmalloc(m->allocated * sizeof *due);
                for (size_t i = 0; i < m->n; i++) {
                    due[i] = m->due[(m->head + i) % old];
                }
                free(m->due);
                m->due = due;
                m->head = 0;
            }
            if (!m->serial || !m->n) {
                m->due[(m->head + m->n++) % m->allocated]
                    = time_msec() + m->ack_ms;
            }
        }
        /* Anything else (COLO_COMPARE_GET_XEN_INIT) needs no answer. */
        free(message);
    }

    long long int now = time_msec();
    while (m->n && m->due[m->head] <= now) {
        manager_send_checkpoint(m);
        m->head = (m->head + 1) % m->allocated;
        m->n--;
        progress = true;
        if (m->waiting) {
            /* 'serial': the next checkpoint starts when this one ends. */
            m->waiting = false;
            m->due[(m->head + m->n++) % m->allocated] = now + m->ack_ms;
        }
    }
    conn_flush(&m->conn);
    return progress;
}

static void
manager_wait(const struct drive_manager *m)
{
    stream_recv_wait(m->conn.stream);
    if (m->conn.buf.size) {
        stream_send_wait(m->conn.stream);
    }
    if (m->n) {
        poll_timer_wait_until(m->due[m->head]);
    }
}

static unsigned long
parse_ulong(const char *key, const char *value)
{
    char *end;
    unsigned long x;

    errno = 0;
    x = strtoul(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-') {
        ovs_fatal(0, "%s=%s: nonnegative integer expected", key, value);
    }
    return x;
}

static void
test_colo_drive_main(int argc, char *argv[])
{
    size_t n_packets = 100000, size = 64, window = 256, n_conns = 1;
    size_t diverge = 0, manager_every = 0, sport = 80;
    long long int diverge_conn = -1;
    int timeout_ms = 5000, linger_ms = 0, ack_ms = 0;
    const char *notify = NULL;
    uint8_t proto = IPPROTO_TCP;
    bool busy = false, serial = false;

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
            n_packets = parse_ulong(key, value);
        } else if (!strcmp(key, "size")) {
            size = parse_ulong(key, value);
        } else if (!strcmp(key, "window")) {
            window = parse_ulong(key, value);
        } else if (!strcmp(key, "proto")) {
            proto = !strcmp(value, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
        } else if (!strcmp(key, "busy")) {
            busy = !strcmp(value, "true");
        } else if (!strcmp(key, "conns")) {
            n_conns = parse_ulong(key, value);
        } else if (!strcmp(key, "sport")) {
            sport = parse_ulong(key, value);
        } else if (!strcmp(key, "diverge")) {
            diverge = parse_ulong(key, value);
        } else if (!strcmp(key, "diverge_conn")) {
            diverge_conn = (!strcmp(value, "-1") ? -1
                            : (long long int) parse_ulong(key, value));
        } else if (!strcmp(key, "notify")) {
            notify = value;
        } else if (!strcmp(key, "ack_ms")) {
            ack_ms = MIN(parse_ulong(key, value), 3600000);
        } else if (!strcmp(key, "serial")) {
            serial = !strcmp(value, "true");
        } else if (!strcmp(key, "manager_every")) {
            manager_every = parse_ulong(key, value);
        } else if (!strcmp(key, "timeout")) {
            timeout_ms = MIN(parse_ulong(key, value), 3600000);
        } else if (!strcmp(key, "linger")) {
            linger_ms = MIN(parse_ulong(key, value), 3600000);
        } else {
            ovs_fatal(0, "%s: unknown key", key);
        }
    }
    if (size < 8 || size > 1460 || !n_packets || !window) {
        ovs_fatal(0, "size must be 8 to 1460, packets and window nonzero");
    }
    if (diverge && size < 9) {
        ovs_fatal(0, "diverge needs size 9 or more (the last payload byte "
                  "differs, the first 8 hold the pair's index)");
    }
    if (!n_conns || n_conns > 1000) {
        ovs_fatal(0, "conns must be 1 to 1000");
    }
    if (!sport || sport + n_conns > 65536) {
        ovs_fatal(0, "sport must be 1 to 65536 - conns");
    }
    if (diverge_conn >= (long long int) n_conns) {
        ovs_fatal(0, "diverge_conn must be -1 or less than conns");
    }
    if (manager_every && !notify) {
        ovs_fatal(0, "manager_every needs notify");
    }

    struct drive_manager manager;
    struct drive_conn primary, secondary, output;
    memset(&manager, 0, sizeof manager);
    if (notify) {
        conn_open(&manager.conn, notify);
        ofpbuf_init(&manager.rx, 4096);
        manager.ack_ms = ack_ms;
        manager.serial = serial;
    }
    conn_open(&output, argv[3]);
    conn_open(&secondary, argv[2]);
    conn_open(&primary, argv[1]);
    /* The comparator accepts the connections in its own time: a primary
     * packet that came before it took the secondary's would go
     * uncompared. */
    xsleep(1);

    /* The model packet; each copy carries its index in its first payload
     * bytes, its connection's source port and, for TCP, its own sequence
     * number in its connection. */
    uint8_t *payload = xzalloc(size);
    struct dp_packet *model = colo_test_packet(SPEC(
        .nw_proto = proto, .seq = 1, .bytes = payload, .len = size));
    const size_t l4_ofs = (const char *) dp_packet_l4(model)
                          - (const char *) dp_packet_data(model);
    const size_t data_ofs = dp_packet_size(model) - size;
    const size_t frame_size = dp_packet_size(model);
    free(payload);

    /* Pair 'i' goes on connection i % n_conns, at place i / n_conns in it.
     * Per connection: the place of its oldest pair not yet released, and
     * the greatest place released. */
    size_t *next_in_order = xcalloc(n_conns, sizeof *next_in_order);
    size_t *max_released = xcalloc(n_conns, sizeof *max_released);
    bool *any_released = xcalloc(n_conns, sizeof *any_released);

    long long int *sent_at = xmalloc(n_packets * sizeof *sent_at);
    long long int *latency = xmalloc(n_packets * sizeof *latency);
    unsigned long *released = bitmap_allocate(n_packets);
    size_t n_sent = 0, n_released = 0, n_reordered = 0, n_diverged = 0;
    size_t n_dup = 0, max_late = 0;
    long long int start = now_ns(), end = start, last_release = start;
    long long int last_progress = time_msec(), linger_until = LLONG_MAX;
    double cpu_at_start = cpu_seconds(), cpu_at_end = cpu_at_start;

    for (;;) {
        size_t sent_before = n_sent, released_before = n_released;
        size_t dup_before = n_dup;
        bool progress = false;

        /* Queue pairs up to the window. */
        while (n_sent < n_packets && n_sent - n_released < window
               && primary.buf.size < 1 << 20
               && !(manager.serial && manager.n)) {
            size_t conn = n_sent % n_conns, place = n_sent / n_conns;
            struct dp_packet *p = dp_packet_clone(model);
            uint8_t *data = dp_packet_data(p);
            ovs_be64 index = htonll(n_sent);
            ovs_be16 src = htons(sport + conn);

            memcpy(data + data_ofs, &index, sizeof index);
            /* TCP and UDP both start with the source port. */
            memcpy(data + l4_ofs, &src, sizeof src);
            if (proto == IPPROTO_TCP) {
                struct tcp_header *tcp = (void *) (data + l4_ofs);

                put_16aligned_be32(&tcp->tcp_seq, htonl(1 + place * size));
            }
            colo_frame_encode(&primary.buf, data, frame_size, false);
            if (diverge
                && (diverge_conn < 0
                    ? (n_sent + 1) % diverge == 0
                    : (conn == (size_t) diverge_conn
                       && (place + 1) % diverge == 0))) {
                data[frame_size - 1] ^= 0xff;
                n_diverged++;
            }
            colo_frame_encode(&secondary.buf, data, frame_size, false);
            sent_at[n_sent++] = now_ns();
            dp_packet_delete(p);
            if (manager_every && n_sent % manager_every == 0) {
                /* A checkpoint of the manager's own, once the pair is
                 * on its way (as far as the sockets take it). */
                conn_flush(&primary);
                conn_flush(&secondary);
                manager_send_checkpoint(&manager);
            }
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
            } else if (r == COLO_FRAME_NEED_MORE) {
                if (conn_recv(&output, &output.buf)) {
                    continue;
                }
                break;
            } else if (r == COLO_FRAME_HEARTBEAT) {
                ofpbuf_pull(&output.buf, frame.consumed);
                continue;
            }

            const uint8_t *eth = (const uint8_t *) output.buf.data
                                 + frame.eth_ofs;
            ovs_be64 index;

            if (frame.eth_size != frame_size) {
                ovs_fatal(0, "released frame of %"PRIuSIZE" bytes, "
                          "expected %"PRIuSIZE, frame.eth_size, frame_size);
            }
            memcpy(&index, eth + data_ofs, sizeof index);
            uint64_t i = ntohll(index);
            if (i >= n_sent) {
                ovs_fatal(0, "released packet %"PRIu64" never sent", i);
            }

            size_t conn = i % n_conns, place = i / n_conns;
            ovs_be16 src;

            memcpy(&src, eth + l4_ofs, sizeof src);
            uint16_t port = ntohs(src);
            if (port != sport + conn) {
                ovs_fatal(0, "released packet %"PRIu64" from port %"PRIu16
                          ", sent from %"PRIuSIZE, i, port, sport + conn);
            }
            if (proto == IPPROTO_TCP) {
                const struct tcp_header *tcp = (const void *) (eth + l4_ofs);
                uint32_t seq = ntohl(get_16aligned_be32(&tcp->tcp_seq));

                if (seq != (uint32_t) (1 + place * size)) {
                    ovs_fatal(0, "released packet %"PRIu64" with sequence "
                              "number %"PRIu32", sent with %"PRIuSIZE,
                              i, seq, 1 + place * size);
                }
            }
            if (size > 8 && eth[frame_size - 1]) {
                ovs_fatal(0, "released the secondary's copy of packet "
                          "%"PRIu64, i);
            }
            ofpbuf_pull(&output.buf, frame.consumed);

            if (bitmap_is_set(released, i)) {
                n_dup++;
                continue;
            }
            bitmap_set1(released, i);
            if (place != next_in_order[conn]) {
                n_reordered++;
            }
            if (!any_released[conn] || place > max_released[conn]) {
                any_released[conn] = true;
                max_released[conn] = place;
            } else {
                /* Late: count the younger pairs of its connection that
                 * came first. */
                size_t late = 0;

                for (size_t q = place + 1; q <= max_released[conn]; q++) {
                    late += bitmap_is_set(released, q * n_conns + conn);
                }
                max_late = MAX(max_late, late);
            }
            while (next_in_order[conn] * n_conns + conn < n_sent
                   && bitmap_is_set(released,
                                    next_in_order[conn] * n_conns + conn)) {
                next_in_order[conn]++;
            }
            last_release = now_ns();
            latency[n_released] = last_release - sent_at[i];
            n_released++;
        }

        if (notify) {
            progress = manager_run(&manager);
        }

        long long int now = time_msec();
        if (n_released != released_before || n_dup != dup_before) {
            last_progress = now;
            if (n_released == n_packets && n_released != released_before) {
                end = last_release;
                cpu_at_end = cpu_seconds();
                linger_until = now + linger_ms;
            }
        }
        if (n_released == n_packets && now >= linger_until) {
            break;
        }
        if (n_sent != sent_before || n_released != released_before
            || progress) {
            /* Progress: go round again before sleeping, to refill the
             * window that the releases opened. */
            continue;
        }
        if (n_released < n_packets && now - last_progress > timeout_ms) {
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
        if (notify) {
            manager_wait(&manager);
        }
        if (n_released == n_packets) {
            poll_timer_wait_until(linger_until);
        } else {
            poll_timer_wait_until(last_progress + timeout_ms + 1);
        }
        poll_block();
    }
    if (n_released < n_packets) {
        /* Do not count the wait for what never came. */
        end = last_release;
        cpu_at_end = cpu_seconds();
    }
    double secs = (end - start) / 1e9;
    double cpu_secs = cpu_at_end - cpu_at_start;
    if (!n_released) {
        ovs_fatal(0, "nothing released (%"PRIuSIZE" pairs sent)", n_sent);
    }

    qsort(latency, n_released, sizeof *latency, compare_ll);
    printf("packets=%"PRIuSIZE" size=%"PRIuSIZE" seconds=%.3f pps=%.0f "
           "mbps=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f "
           "reordered=%"PRIuSIZE" lost=%"PRIuSIZE" cpu=%.0f "
           "diverged=%"PRIuSIZE" checkpoints=%"PRIuSIZE" acks=%"PRIuSIZE" "
           "dup=%"PRIuSIZE" max_late=%"PRIuSIZE" sent=%"PRIuSIZE"\n",
           n_packets, size, secs, n_released / secs,
           n_released * size * 8 / secs / 1e6,
           latency[n_released / 2] / 1e3,
           latency[n_released * 99 / 100] / 1e3,
           latency[n_released - 1] / 1e3,
           n_reordered, n_sent - n_released, 100 * cpu_secs / secs,
           n_diverged, manager.n_checkpoints, manager.n_acks,
           n_dup, max_late, n_sent);
    free(released);
    free(next_in_order);
    free(max_released);
    free(any_released);

    dp_packet_delete(model);
    free(sent_at);
    free(latency);
    struct drive_conn *conns[] = { &primary, &secondary, &output };
    for (size_t i = 0; i < ARRAY_SIZE(conns); i++) {
        stream_close(conns[i]->stream);
        ofpbuf_uninit(&conns[i]->buf);
    }
    if (notify) {
        stream_close(manager.conn.stream);
        ofpbuf_uninit(&manager.conn.buf);
        ofpbuf_uninit(&manager.rx);
        free(manager.due);
    }
}

OVSTEST_REGISTER("test-colo-drive", test_colo_drive_main);
