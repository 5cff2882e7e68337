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

/* Checkpoint round trips through a primary COLO pair, timed leg by leg
 * ("make bench-checkpoint", utilities/colo-bench-checkpoint.sh):
 *
 *   ovstest test-colo-checkpoint PRIMARY SECONDARY OUTPUT [KEY=VALUE]...
 *
 * PRIMARY, SECONDARY and OUTPUT are active stream names of the pair's
 * sockets in the COLO proxy framing, as for test-colo-drive: where the
 * comparator reads the PVM's output, where it reads the SVM's (the pair's
 * channel) and where it writes what it releases.  For each checkpoint the
 * program writes one primary frame and then one secondary frame with
 * different content, so that the comparator holds the primary and raises a
 * checkpoint request, and times two legs with the monotonic clock:
 *
 *   leg 1 (divergence to request): from writing the secondary frame to
 *       the manager seeing the request;
 *   leg 2 (acknowledgment to release): from writing the acknowledgment to
 *       reading the held primary frame on OUTPUT.
 *
 * The manager is this program, on one of three paths ('path' key):
 *
 *   ovsdb    an IDL client: the request is seen when the pair's
 *            checkpoint_request grows; the acknowledgment is a transaction
 *            that sets checkpoint_done to that number (timed from just
 *            before it is committed);
 *   notify   a notify-protocol peer of ovs-colo-notify on 'notify': the
 *            request is seen when "DO_CHECKPOINT" is read; the
 *            acknowledgment is writing "COLO_CHECKPOINT";
 *   unixctl  the request is seen through the IDL, as for ovsdb; the
 *            acknowledgment is "colo/checkpoint-done PAIR N" sent to
 *            ovs-vswitchd's control socket 'unixctl' with OVS's unixctl
 *            client, which waits for the reply before OUTPUT is read again
 *            (so leg 2 is never shorter than the command's round trip).
 *            At the end checkpoint_done is set to the last number, which
 *            ovs-vswitchd takes as already done, so that the row does not
 *            look like a pending request to the next manager.
 *
 * Each released frame must be the primary frame of the checkpoint under way
 * (so nothing is released early, twice, or from the secondary), and each leg
 * must end within 10 s, or the program fails.  It prints one line:
 *
 *   path=P checkpoints=N leg1_count=N leg1_p50_us=A leg1_p99_us=B
 *       leg1_max_us=C leg2_count=N leg2_p50_us=D leg2_p99_us=E leg2_max_us=F
 *
 * Keys: path (ovsdb, notify or unixctl; default ovsdb), db (the database,
 * required: the IDL also waits until the pair's channel is connected and
 * the pair not degraded before the first checkpoint), notify (for path
 * notify), unixctl (for path unixctl), pair (default vm1), checkpoints
 * (default 1000), warmup (checkpoints taken first and not counted, default
 * 2), proto (udp, the default, or tcp), size (payload bytes, 16 to 1400,
 * default 64), busy (true: poll the sockets and the IDL without ever
 * sleeping, so that a leg does not include this program's own wakeup). */

#include <config.h>
#undef NDEBUG
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "colo-test-packet.h"
#include "colo/colo-frame.h"
#include "colo/colo-notify.h"
#include "dp-packet.h"
#include "jsonrpc.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovstest.h"
#include "packets.h"
#include "smap.h"
#include "stream.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"
#include "lib/vswitch-idl.h"

/* How long a leg may take before the program gives up, in ms. */
#define LEG_TIMEOUT 10000

enum ckpt_path { PATH_OVSDB, PATH_NOTIFY, PATH_UNIXCTL };

/* One connected stream and its buffers. */
struct ckpt_conn {
    const char *name;
    struct stream *stream;
    struct ofpbuf rx;           /* Received and not yet decoded. */
};

struct ckpt_ctx {
    enum ckpt_path path;
    const char *pair;
    bool busy;

    struct ckpt_conn primary, secondary, output, notify;
    struct ovsdb_idl *idl;
    struct jsonrpc *unixctl;

    int64_t request;            /* Last checkpoint_request seen. */
};

static long long int
now_ns(void)
{
    struct timespec ts;

    xclock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
conn_open(struct ckpt_conn *c, const char *name)
{
    int error;

    c->name = name;
    ofpbuf_init(&c->rx, 4096);
    error = stream_open_block(stream_open(name, &c->stream, DSCP_DEFAULT),
                              -1, &c->stream);
    if (error) {
        ovs_fatal(error, "%s: connection failed", name);
    }
}

static void
conn_close(struct ckpt_conn *c)
{
    if (c->name) {
        stream_close(c->stream);
        ofpbuf_uninit(&c->rx);
    }
}

/* Sends all of 'data', waiting if the stream is full (it never is for the
 * few bytes sent here, so this does not take time in the timed legs). */
static void
conn_send_all(struct ckpt_conn *c, const void *data, size_t size)
{
    while (size) {
        int n = stream_send(c->stream, data, size);

        if (n > 0) {
            data = (const char *) data + n;
            size -= n;
        } else if (n == -EAGAIN) {
            stream_send_wait(c->stream);
            poll_block();
        } else {
            ovs_fatal(-n, "%s: send failed", c->name);
        }
    }
}

/* Reads what 'c' has to offer into 'c->rx', without blocking. */
static void
conn_receive(struct ckpt_conn *c)
{
    if (!c->rx.size) {
        ofpbuf_clear(&c->rx);
    } else if (ofpbuf_headroom(&c->rx)) {
        ofpbuf_shift(&c->rx, -(int) ofpbuf_headroom(&c->rx));
    }
    ofpbuf_prealloc_tailroom(&c->rx, 4096);

    int n = stream_recv(c->stream, ofpbuf_tail(&c->rx),
                        ofpbuf_tailroom(&c->rx));
    if (n > 0) {
        c->rx.size += n;
    } else if (n != -EAGAIN) {
        ovs_fatal(n ? -n : 0, "%s: receive failed%s", c->name,
                  n ? "" : " (closed)");
    }
}

/* Returns the Ethernet frame that 'c' received next, as a new dp_packet,
 * or NULL if none has come in whole yet. */
static struct dp_packet *
output_next_frame(struct ckpt_conn *c)
{
    for (int i = 0; i < 2; i++) {
        struct colo_frame frame;
        char *error;

        switch (colo_frame_decode(c->rx.data, c->rx.size, false, &frame,
                                  &error)) {
        case COLO_FRAME_BAD:
            ovs_fatal(0, "%s: %s", c->name, error);
        case COLO_FRAME_HEARTBEAT:
            ofpbuf_pull(&c->rx, frame.consumed);
            i--;
            break;
        case COLO_FRAME_OK: {
            struct dp_packet *p = dp_packet_clone_data(
                (const char *) c->rx.data + frame.eth_ofs, frame.eth_size);
            ofpbuf_pull(&c->rx, frame.consumed);
            return p;
        }
        case COLO_FRAME_NEED_MORE:
            if (!i) {
                conn_receive(c);
            }
            break;
        }
    }
    return NULL;
}

/* Returns the notify message that 'c' received next (malloc'd), or NULL if
 * none has come in whole yet. */
static char *
notify_next_message(struct ckpt_conn *c)
{
    for (int i = 0; i < 2; i++) {
        char *message, *error;
        size_t consumed;

        switch (colo_notify_decode(c->rx.data, c->rx.size, &message,
                                   &consumed, &error)) {
        case COLO_NOTIFY_BAD:
            ovs_fatal(0, "%s: %s", c->name, error);
        case COLO_NOTIFY_OK:
            ofpbuf_pull(&c->rx, consumed);
            return message;
        case COLO_NOTIFY_NEED_MORE:
            if (!i) {
                conn_receive(c);
            }
            break;
        }
    }
    return NULL;
}

static const struct ovsrec_colo *
find_row(const struct ckpt_ctx *ctx)
{
    const struct ovsrec_colo *row;

    OVSREC_COLO_FOR_EACH (row, ctx->idl) {
        if (!strcmp(row->name, ctx->pair)) {
            return row;
        }
    }
    return NULL;
}

/* Sleeps until something is registered to wake us, unless busy. */
static void
ckpt_block(const struct ckpt_ctx *ctx, long long int deadline)
{
    if (ctx->busy) {
        poll_immediate_wake();
    } else {
        poll_timer_wait_until(deadline);
    }
    poll_block();
}

/* Runs the IDL until 'done' returns true for the pair's row (and the IDL
 * has connected), for at most 'timeout' ms.  Returns the row. */
static const struct ovsrec_colo *
idl_wait_for(struct ckpt_ctx *ctx,
             bool (*done)(const struct ovsrec_colo *), const char *what)
{
    long long int deadline = time_msec() + LEG_TIMEOUT;

    for (;;) {
        ovsdb_idl_run(ctx->idl);

        const struct ovsrec_colo *row = find_row(ctx);
        if (row && done(row)) {
            return row;
        }
        if (time_msec() > deadline) {
            ovs_fatal(0, "no %s within %d s", what, LEG_TIMEOUT / 1000);
        }
        ovsdb_idl_wait(ctx->idl);
        ckpt_block(ctx, deadline);
    }
}

static bool
pair_ready(const struct ovsrec_colo *row)
{
    return (smap_get_bool(&row->status, "degraded", true) == false
            && !strcmp(smap_get_def(&row->status, "channel_state", ""),
                       "connected"));
}

static bool
pair_idle(const struct ovsrec_colo *row)
{
    return row->checkpoint_request <= row->checkpoint_done;
}

/* Commits a transaction that sets the pair's checkpoint_done to 'done' and
 * waits for its outcome, which must be success. */
static void
write_done_block(struct ckpt_ctx *ctx, int64_t done)
{
    const struct ovsrec_colo *row = find_row(ctx);
    struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(ctx->idl);

    ovsrec_colo_set_checkpoint_done(row, done);
    enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit_block(txn);
    if (status != TXN_SUCCESS && status != TXN_UNCHANGED) {
        ovs_fatal(0, "writing checkpoint_done=%"PRId64": %s", done,
                  ovsdb_idl_txn_status_to_string(status));
    }
    ovsdb_idl_txn_destroy(txn);
}

/* Waits for the next checkpoint request on the path under test, watching
 * the output for any frame released meanwhile (none may be).  Returns the
 * time the request was seen and, on the IDL paths, stores its number in
 * ctx->request. */
static long long int
wait_request(struct ckpt_ctx *ctx)
{
    long long int deadline = time_msec() + LEG_TIMEOUT;

    for (;;) {
        if (ctx->path == PATH_NOTIFY) {
            char *message = notify_next_message(&ctx->notify);

            if (message) {
                long long int t = now_ns();

                if (strcmp(message, COLO_NOTIFY_DO_CHECKPOINT)) {
                    ovs_fatal(0, "%s: unexpected message \"%s\"",
                              ctx->notify.name, message);
                }
                free(message);
                return t;
            }
        } else {
            ovsdb_idl_run(ctx->idl);

            const struct ovsrec_colo *row = find_row(ctx);
            if (!row) {
                ovs_fatal(0, "COLO row %s disappeared", ctx->pair);
            }
            if (row->checkpoint_request > ctx->request) {
                long long int t = now_ns();

                ctx->request = row->checkpoint_request;
                return t;
            }
        }

        struct dp_packet *early = output_next_frame(&ctx->output);
        if (early) {
            ovs_fatal(0, "%s: a frame of %"PRIu32" bytes was released "
                      "before the checkpoint", ctx->output.name,
                      dp_packet_size(early));
        }
        if (time_msec() > deadline) {
            ovs_fatal(0, "no checkpoint request within %d s",
                      LEG_TIMEOUT / 1000);
        }
        if (!ctx->busy) {
            if (ctx->path == PATH_NOTIFY) {
                stream_recv_wait(ctx->notify.stream);
            } else {
                ovsdb_idl_wait(ctx->idl);
            }
            stream_recv_wait(ctx->output.stream);
        }
        ckpt_block(ctx, deadline);
    }
}

/* Acknowledges the request seen last on the path under test.  Returns the
 * time the acknowledgment was written and, on the ovsdb path, the
 * transaction that carries it, still in flight. */
static long long int
send_ack(struct ckpt_ctx *ctx, struct ovsdb_idl_txn **txnp)
{
    long long int t;

    *txnp = NULL;
    if (ctx->path == PATH_OVSDB) {
        struct ovsdb_idl_txn *txn = ovsdb_idl_txn_create(ctx->idl);

        ovsrec_colo_set_checkpoint_done(find_row(ctx), ctx->request);
        t = now_ns();
        enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(txn);
        if (status != TXN_INCOMPLETE) {
            ovs_fatal(0, "checkpoint_done=%"PRId64" transaction: %s",
                      ctx->request, ovsdb_idl_txn_status_to_string(status));
        }
        *txnp = txn;
    } else if (ctx->path == PATH_NOTIFY) {
        struct ofpbuf msg;

        ofpbuf_init(&msg, 32);
        colo_notify_encode(&msg, COLO_NOTIFY_CHECKPOINT);
        t = now_ns();
        conn_send_all(&ctx->notify, msg.data, msg.size);
        ofpbuf_uninit(&msg);
    } else {
        char *number = xasprintf("%"PRId64, ctx->request);
        char *argv[] = { CONST_CAST(char *, ctx->pair), number };
        char *result, *error;

        t = now_ns();
        int retval = unixctl_client_transact(ctx->unixctl,
                                             "colo/checkpoint-done", 2, argv,
                                             &result, &error);
        if (retval) {
            ovs_fatal(retval, "colo/checkpoint-done: transaction failed");
        } else if (error) {
            ovs_fatal(0, "colo/checkpoint-done %s %s: %s", ctx->pair, number,
                      error);
        }
        free(result);
        free(number);
    }
    return t;
}

/* Waits for the held primary frame 'expected' on the output while the
 * acknowledgment's transaction 'txn' (if any) completes.  Returns the time
 * the frame was read.  Returns only once 'txn' succeeded, and destroys
 * it. */
static long long int
wait_release(struct ckpt_ctx *ctx, const struct dp_packet *expected,
             struct ovsdb_idl_txn *txn)
{
    long long int deadline = time_msec() + LEG_TIMEOUT;
    long long int released = 0;

    for (;;) {
        if (!released) {
            struct dp_packet *p = output_next_frame(&ctx->output);

            if (p) {
                released = now_ns();
                if (!dp_packet_equal(p, expected)) {
                    ovs_fatal(0, "%s: the frame released is not the held "
                              "primary frame", ctx->output.name);
                }
                dp_packet_delete(p);
            }
        }
        if (txn) {
            ovsdb_idl_run(ctx->idl);

            enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(txn);
            if (status != TXN_INCOMPLETE) {
                if (status != TXN_SUCCESS) {
                    ovs_fatal(0, "checkpoint_done=%"PRId64" transaction: "
                              "%s", ctx->request,
                              ovsdb_idl_txn_status_to_string(status));
                }
                ovsdb_idl_txn_destroy(txn);
                txn = NULL;
            }
        }
        if (released && !txn) {
            return released;
        }
        if (time_msec() > deadline) {
            ovs_fatal(0, "%s within %d s of the acknowledgment",
                      released ? "transaction not complete"
                      : "no release", LEG_TIMEOUT / 1000);
        }
        if (!ctx->busy) {
            if (!released) {
                stream_recv_wait(ctx->output.stream);
            }
            if (txn) {
                ovsdb_idl_wait(ctx->idl);
                ovsdb_idl_txn_wait(txn);
            }
        }
        ckpt_block(ctx, deadline);
    }
}

/* Makes the frame that the PVM ('primary') or the SVM sends for checkpoint
 * 'i': the same connection and headers, different payloads. */
static struct dp_packet *
make_frame(bool primary, uint64_t i, uint8_t proto, size_t size)
{
    uint8_t *payload = xmalloc(size);

    memset(payload, primary ? 'p' : 's', size);
    memcpy(payload + 1, &i, sizeof i);
    struct dp_packet *p = colo_test_packet(SPEC(
        .nw_proto = proto, .seq = 1 + i * size, .bytes = payload,
        .len = size));
    free(payload);
    return p;
}

static void
send_frame(struct ckpt_conn *c, const struct dp_packet *p)
{
    struct ofpbuf buf;

    ofpbuf_init(&buf, dp_packet_size(p) + 8);
    colo_frame_encode(&buf, dp_packet_data(p), dp_packet_size(p), false);
    conn_send_all(c, buf.data, buf.size);
    ofpbuf_uninit(&buf);
}

static int
compare_ll(const void *a_, const void *b_)
{
    const long long int *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

static void
print_leg(int leg, long long int *ns, size_t n)
{
    qsort(ns, n, sizeof *ns, compare_ll);
    printf(" leg%d_count=%"PRIuSIZE" leg%d_p50_us=%.1f leg%d_p99_us=%.1f "
           "leg%d_max_us=%.1f", leg, n, leg, ns[n / 2] / 1e3,
           leg, ns[n * 99 / 100] / 1e3, leg, ns[n - 1] / 1e3);
}

static void
test_colo_checkpoint_main(int argc, char *argv[])
{
    const char *db = NULL, *notify = NULL, *unixctl = NULL;
    size_t n_checkpoints = 1000, n_warmup = 2, size = 64;
    uint8_t proto = IPPROTO_UDP;
    struct ckpt_ctx ctx;

    /* The IDL's connection messages would clutter the output. */
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    memset(&ctx, 0, sizeof ctx);
    ctx.path = PATH_OVSDB;
    ctx.pair = "vm1";
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
        if (!strcmp(key, "path")) {
            if (!strcmp(value, "ovsdb")) {
                ctx.path = PATH_OVSDB;
            } else if (!strcmp(value, "notify")) {
                ctx.path = PATH_NOTIFY;
            } else if (!strcmp(value, "unixctl")) {
                ctx.path = PATH_UNIXCTL;
            } else {
                ovs_fatal(0, "path: ovsdb, notify or unixctl expected");
            }
        } else if (!strcmp(key, "db")) {
            db = value;
        } else if (!strcmp(key, "notify")) {
            notify = value;
        } else if (!strcmp(key, "unixctl")) {
            unixctl = value;
        } else if (!strcmp(key, "pair")) {
            ctx.pair = value;
        } else if (!strcmp(key, "checkpoints")) {
            n_checkpoints = strtoul(value, NULL, 10);
        } else if (!strcmp(key, "warmup")) {
            n_warmup = strtoul(value, NULL, 10);
        } else if (!strcmp(key, "size")) {
            size = strtoul(value, NULL, 10);
        } else if (!strcmp(key, "proto")) {
            proto = !strcmp(value, "tcp") ? IPPROTO_TCP : IPPROTO_UDP;
        } else if (!strcmp(key, "busy")) {
            ctx.busy = !strcmp(value, "true");
        } else {
            ovs_fatal(0, "%s: unknown key", key);
        }
    }
    if (!db) {
        ovs_fatal(0, "db=REMOTE is required");
    } else if (ctx.path == PATH_NOTIFY && !notify) {
        ovs_fatal(0, "path=notify requires notify=REMOTE");
    } else if (ctx.path == PATH_UNIXCTL && !unixctl) {
        ovs_fatal(0, "path=unixctl requires unixctl=SOCKET");
    } else if (!n_checkpoints || size < 16 || size > 1400) {
        ovs_fatal(0, "checkpoints must be nonzero, size 16 to 1400");
    }

    ctx.idl = ovsdb_idl_create(db, &ovsrec_idl_class, false, true);
    ovsdb_idl_add_table(ctx.idl, &ovsrec_table_colo);
    ovsdb_idl_add_column(ctx.idl, &ovsrec_colo_col_name);
    ovsdb_idl_add_column(ctx.idl, &ovsrec_colo_col_status);
    ovsdb_idl_add_column(ctx.idl, &ovsrec_colo_col_checkpoint_request);
    ovsdb_idl_add_column(ctx.idl, &ovsrec_colo_col_checkpoint_done);

    conn_open(&ctx.output, argv[3]);
    conn_open(&ctx.secondary, argv[2]);
    conn_open(&ctx.primary, argv[1]);
    /* A primary frame that came before the comparator had the channel
     * would go uncompared: wait until the pair says it is comparing, and
     * for no request to be outstanding. */
    idl_wait_for(&ctx, pair_ready, "connected, not degraded pair");
    ctx.request = idl_wait_for(&ctx, pair_idle,
                               "pair without outstanding request")
                  ->checkpoint_request;

    if (ctx.path == PATH_NOTIFY) {
        /* The hello's answer tells that ovs-colo-notify took this
         * connection, so that the first request finds it. */
        struct ofpbuf msg;
        char *reply;

        conn_open(&ctx.notify, notify);
        ofpbuf_init(&msg, 32);
        colo_notify_encode(&msg, COLO_NOTIFY_PROXY_INIT);
        conn_send_all(&ctx.notify, msg.data, msg.size);
        ofpbuf_uninit(&msg);
        long long int deadline = time_msec() + LEG_TIMEOUT;
        while (!(reply = notify_next_message(&ctx.notify))) {
            if (time_msec() > deadline) {
                ovs_fatal(0, "%s: no answer to %s", notify,
                          COLO_NOTIFY_PROXY_INIT);
            }
            stream_recv_wait(ctx.notify.stream);
            poll_timer_wait_until(deadline);
            poll_block();
        }
        if (strcmp(reply, COLO_NOTIFY_PROXY_INIT_REPLY)) {
            ovs_fatal(0, "%s: \"%s\" in answer to %s", notify, reply,
                      COLO_NOTIFY_PROXY_INIT);
        }
        free(reply);
        /* Not needed any more on this path: ovs-colo-notify writes. */
        ovsdb_idl_destroy(ctx.idl);
        ctx.idl = NULL;
    } else if (ctx.path == PATH_UNIXCTL) {
        int error = unixctl_client_create(unixctl, &ctx.unixctl);

        if (error) {
            ovs_fatal(error, "%s: cannot connect", unixctl);
        }
    }

    long long int *leg1 = xmalloc(n_checkpoints * sizeof *leg1);
    long long int *leg2 = xmalloc(n_checkpoints * sizeof *leg2);
    for (size_t i = 0; i < n_warmup + n_checkpoints; i++) {
        struct dp_packet *p = make_frame(true, i, proto, size);
        struct dp_packet *s = make_frame(false, i, proto, size);
        struct ovsdb_idl_txn *txn;

        send_frame(&ctx.primary, p);
        long long int diverged = now_ns();
        send_frame(&ctx.secondary, s);
        long long int requested = wait_request(&ctx);
        long long int acked = send_ack(&ctx, &txn);
        long long int released = wait_release(&ctx, p, txn);

        if (i >= n_warmup) {
            leg1[i - n_warmup] = requested - diverged;
            leg2[i - n_warmup] = released - acked;
        }
        dp_packet_delete(p);
        dp_packet_delete(s);
    }

    if (ctx.path == PATH_UNIXCTL) {
        /* colo/checkpoint-done leaves the column alone: catch it up. */
        write_done_block(&ctx, ctx.request);
    }

    printf("path=%s checkpoints=%"PRIuSIZE,
           ctx.path == PATH_OVSDB ? "ovsdb"
           : ctx.path == PATH_NOTIFY ? "notify" : "unixctl", n_checkpoints);
    print_leg(1, leg1, n_checkpoints);
    print_leg(2, leg2, n_checkpoints);
    putchar('\n');

    free(leg1);
    free(leg2);
    jsonrpc_close(ctx.unixctl);
    ovsdb_idl_destroy(ctx.idl);
    conn_close(&ctx.primary);
    conn_close(&ctx.secondary);
    conn_close(&ctx.output);
    conn_close(&ctx.notify);
}

OVSTEST_REGISTER("test-colo-checkpoint", test_colo_checkpoint_main);
