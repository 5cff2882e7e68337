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

/* Unit tests of the COLO comparator (lib/colo/colo-compare.c) and packet
 * classifier (lib/colo/colo-packet.c), driven by tests/colo.at:
 *
 *   ovstest test-colo-compare NAME       runs one scenario (see 'commands')
 *   ovstest test-colo-compare property SEED STREAMS
 *                                        random segmentation property test
 *
 * Scenarios assert with ovs_assert() and print nothing on success, except
 * the property test, which prints a summary. */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colo/colo-compare.h"
#include "colo/colo-packet.h"
#include "colo-test-packet.h"
#include "command-line.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovstest.h"
#include "packets.h"
#include "random.h"
#include "timeval.h"
#include "util.h"

/* Primary packets released by the comparator under test, in order. */
static struct dp_packet **released;
static size_t n_released, allocated_released;

static void
collect_released(struct dp_packet *pkt, void *aux OVS_UNUSED)
{
    if (n_released >= allocated_released) {
        released = x2nrealloc(released, &allocated_released,
                              sizeof *released);
    }
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

static const struct colo_options *
default_options(void)
{
    static struct colo_options options;

    colo_options_init(&options);
    return &options;
}

static struct colo_compare *
new_compare(const struct colo_options *options)
{
    clear_released();
    return colo_compare_create(options ? options : default_options(),
                               collect_released, NULL);
}

static void
feed(struct colo_compare *cmp, enum colo_side side,
     const struct colo_test_spec *sp, long long int now)
{
    colo_compare_input(cmp, side, colo_test_packet(sp), now);
}

static struct colo_stats
stats(const struct colo_compare *cmp)
{
    struct colo_stats s;

    colo_compare_get_stats(cmp, &s);
    return s;
}

static bool
has_request(const struct colo_compare *cmp, const char **reasonp)
{
    uint64_t n;
    const char *reason;

    if (!colo_compare_get_request(cmp, &n, &reason)) {
        return false;
    }
    if (reasonp) {
        *reasonp = reason;
    }
    return true;
}

/* Returns the TCP payload of released packet 'i' as a string. */
static char *
released_payload(size_t i)
{
    struct colo_packet cp;

    ovs_assert(i < n_released);
    colo_packet_classify(released[i], &cp);
    return xmemdup0((const char *) dp_packet_data(released[i]) + cp.cmp_ofs,
                    cp.cmp_size);
}

static void
assert_released_payloads(const char *expected[], size_t n)
{
    ovs_assert(n_released == n);
    for (size_t i = 0; i < n; i++) {
        char *s = released_payload(i);
        if (strcmp(s, expected[i])) {
            ovs_fatal(0, "released packet %"PRIuSIZE": \"%s\", expected "
                      "\"%s\"", i, s, expected[i]);
        }
        free(s);
    }
}

static void
test_tcp_identical(struct ovs_cmdl_context *ctx)
{
    struct colo_compare *cmp = new_compare(NULL);

    uint32_t seq0 = ctx->argc > 1 ? strtoul(ctx->argv[1], NULL, 10) : 1000;
    feed(cmp, COLO_PRIMARY, SPEC(.seq = seq0, .data = "hello"),
         0);
    ovs_assert(n_released == 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = seq0, .data = "hello"),
         1);
    assert_released_payloads((const char *[]) { "hello" }, 1);
    ovs_assert(stats(cmp).identical == 1);
    ovs_assert(stats(cmp).compared_bytes == 5);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_destroy(cmp);
    clear_released();
}

/* Different segmentation and headers on the two sides are not a
 * divergence, and no consumed segment stays queued. */
static void
test_tcp_segmentation(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "abcd"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 5, .data = "efghij"), 0);
    feed(cmp, COLO_SECONDARY,
         SPEC(.seq = 1, .data = "ab", .ttl = 3), 0);
    ovs_assert(n_released == 0);
    feed(cmp, COLO_SECONDARY,
         SPEC(.seq = 3, .data = "cdefg", .ttl = 3), 0);
    assert_released_payloads((const char *[]) { "abcd" }, 1);
    feed(cmp, COLO_SECONDARY,
         SPEC(.seq = 8, .data = "hij", .ttl = 3), 0);
    assert_released_payloads((const char *[]) { "abcd", "efghij" }, 2);
    ovs_assert(stats(cmp).held_packets == 0);
    ovs_assert(!has_request(cmp, NULL));

    /* Nothing is left behind: an idle connection expires. */
    colo_compare_run(cmp, default_options()->idle_timeout);
    ovs_assert(stats(cmp).conns_expired == 1);
    ovs_assert(stats(cmp).connections == 0);
    colo_compare_destroy(cmp);
    clear_released();
}

/* A pure ACK is not released ahead of the data before it, and secondary
 * output that comes first waits for the primary. */
static void
test_tcp_order(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    feed(cmp, COLO_SECONDARY, SPEC(.seq = 100, .data = "xyz"),
         0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .data = "xy"), 0);
    assert_released_payloads((const char *[]) { "xy" }, 1);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 102, .data = "zw"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 104), 0);
    ovs_assert(n_released == 1);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 103, .data = "w"), 0);
    assert_released_payloads((const char *[]) { "xy", "zw", "" }, 3);
    ovs_assert(stats(cmp).passed == 1);
    ovs_assert(stats(cmp).identical == 2);

    /* The same with a sequence number past 2^31: secondary output that
     * comes before any primary packet is kept, not taken as compared. */
    feed(cmp, COLO_SECONDARY, SPEC(.sport = 81,
                                               .seq = 3257911461u,
                                               .data = "late"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 81,
                                             .seq = 3257911461u,
                                             .data = "late"), 0);
    ovs_assert(n_released == 4);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_destroy(cmp);
    clear_released();
}

/* Retransmissions of compared data pass on both sides. */
static void
test_tcp_retransmit(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 7, .data = "data"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 7, .data = "data"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 7, .data = "data"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 7, .data = "data"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 9, .data = "ta"), 0);
    assert_released_payloads((const char *[]) { "data", "data" }, 2);
    ovs_assert(stats(cmp).secondary_retransmits == 2);
    ovs_assert(!has_request(cmp, NULL));
    ovs_assert(stats(cmp).held_packets == 0);
    colo_compare_destroy(cmp);
    clear_released();
}

/* A primary segment lost before the comparator: the bytes beyond it that
 * both sides hold are compared and released at once; the gap's bytes are
 * compared when the PVM's retransmission comes, and comparison then goes
 * on past what was released ahead. */
static void
test_tcp_gap(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 100, .data = "aaaabbbb"), 0);
    assert_released_payloads((const char *[]) { "aaaa" }, 1);
    /* "bbbb" at 104 is lost on the primary side. */
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 108, .data = "cccc"), 0);
    ovs_assert(n_released == 1);    /* The secondary has no "cccc" yet. */
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 108, .data = "ccccdd"), 0);
    assert_released_payloads((const char *[]) { "aaaa", "cccc" }, 2);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 112, .data = "dd"), 0);
    assert_released_payloads((const char *[]) { "aaaa", "cccc", "dd" }, 3);
    /* A segment without payload goes ahead too, once the bytes before it
     * have; a FIN does not. */
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 114), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 114, .data = "e",
                                 .flags = TCP_FIN | TCP_ACK), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 114, .data = "e",
                                   .flags = TCP_FIN | TCP_ACK), 0);
    assert_released_payloads((const char *[]) { "aaaa", "cccc", "dd", "" },
                              4);
    ovs_assert(stats(cmp).released_ahead == 3);
    ovs_assert(stats(cmp).held_packets == 1);
    ovs_assert(!has_request(cmp, NULL));

    /* The PVM retransmits the gap: it goes, and so does what waited, in
     * the order the primary packets came. */
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 104, .data = "bbbb"), 0);
    assert_released_payloads((const char *[]) { "aaaa", "cccc", "dd", "",
                                                "e", "bbbb" }, 6);
    ovs_assert(stats(cmp).held_packets == 0);
    ovs_assert(stats(cmp).compared_bytes == 15);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_destroy(cmp);
    clear_released();

    /* A difference beyond the gap is a divergence all the same. */
    cmp = new_compare(NULL);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "xx"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 1, .data = "xx"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 5, .data = "zz"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 5, .data = "zZ"), 0);
    ovs_assert(n_released == 1);
    const char *reason;
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(strstr(reason, "different payload in sequence range [5, 7)"));
    colo_compare_destroy(cmp);
    clear_released();

    /* Gaps on both sides: comparison ahead starts where both have bytes
     * again, but "dd" waits for "cc", which the PVM sent first and the
     * secondary has not sent yet: the PVM's output is not reordered. */
    cmp = new_compare(NULL);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "aa"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 1, .data = "aa"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 5, .data = "cc"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 7, .data = "dd"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 7, .data = "dd"), 0);
    assert_released_payloads((const char *[]) { "aa" }, 1);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 3, .data = "bb"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 3, .data = "bbcc"), 0);
    assert_released_payloads((const char *[]) { "aa", "cc", "dd", "bb" }, 4);
    ovs_assert(stats(cmp).held_packets == 0);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_destroy(cmp);
    clear_released();

    /* A gap on the secondary side waits: the PVM's output is not
     * reordered. */
    cmp = new_compare(NULL);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "aa"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 3, .data = "bb"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 3, .data = "bb"), 0);
    ovs_assert(n_released == 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 1, .data = "aa"), 0);
    assert_released_payloads((const char *[]) { "aa", "bb" }, 2);
    ovs_assert(stats(cmp).released_ahead == 0);
    colo_compare_destroy(cmp);
    clear_released();
}

/* After a checkpoint, primary bytes that the secondary had sent before it
 * (their copy freed by the flush) are released at once, uncompared, rather
 * than waiting for a copy that will not come; bytes past them are compared
 * again. */
static void
test_tcp_settle(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    /* The secondary is ahead: these are freed by the checkpoint while the
     * primary's copies are still on their way. */
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 104, .data = "bbbb"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 108, .data = "cc"), 0);
    assert_released_payloads((const char *[]) { "aaaa" }, 1);
    colo_compare_checkpoint_done(cmp);

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 104, .data = "bbbb"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 108, .data = "ccdd"), 0);
    assert_released_payloads((const char *[]) { "aaaa", "bbbb" }, 2);
    ovs_assert(stats(cmp).settled_bytes == 6);
    /* "dd" is new output: it waits for the secondary's copy. */
    colo_compare_run(cmp, 1);
    ovs_assert(!has_request(cmp, NULL));
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 110, .data = "dd"), 0);
    assert_released_payloads((const char *[]) { "aaaa", "bbbb", "ccdd" }, 3);
    ovs_assert(stats(cmp).held_packets == 0);

    /* And a difference there is a divergence as always. */
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 112, .data = "ee"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 112, .data = "eE"), 0);
    ovs_assert(has_request(cmp, NULL));
    ovs_assert(n_released == 3);
    colo_compare_destroy(cmp);
    clear_released();
}

/* A gap in the secondary's stream (an SVM segment lost on its way) raises a
 * checkpoint request once it is 'secondary-gap-timeout' old, rather than
 * waiting for the SVM's retransmission or the compare timeout; a gap
 * filled in time raises nothing; 0 turns the check off. */
static void
test_tcp_secondary_gap(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);
    const char *reason;

    ovs_assert(default_options()->secondary_gap_timeout == 20);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 104, .data = "bbbb"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 108, .data = "cccc"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    /* "bbbb" is lost on the secondary side. */
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 108, .data = "cccc"), 5);
    assert_released_payloads((const char *[]) { "aaaa" }, 1);
    ovs_assert(colo_compare_next_wakeup(cmp) <= 25);
    colo_compare_run(cmp, 24);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_run(cmp, 25);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(strstr(reason, "the secondary's stream has a gap at "
                      "sequence 104 for 20 ms"));
    ovs_assert(stats(cmp).secondary_gaps == 1);
    ovs_assert(stats(cmp).timeouts == 0);
    ovs_assert(n_released == 1);
    colo_compare_checkpoint_done(cmp);
    assert_released_payloads((const char *[]) { "aaaa", "bbbb", "cccc" },
                              3);
    colo_compare_destroy(cmp);
    clear_released();

    /* Filled in time: nothing raised, everything compared. */
    cmp = new_compare(NULL);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 104, .data = "bbbb"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 108, .data = "cccc"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    colo_compare_run(cmp, 19);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 104, .data = "bbbb"), 19);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 108, .data = "cccc"), 19);
    colo_compare_run(cmp, 100);
    ovs_assert(!has_request(cmp, NULL));
    assert_released_payloads((const char *[]) { "aaaa", "bbbb", "cccc" },
                              3);
    ovs_assert(stats(cmp).secondary_gaps == 0);
    colo_compare_destroy(cmp);
    clear_released();

    /* Bytes missing on both sides where comparison stands, the secondary
     * holding later ones that the primary does not: compare-ahead cannot
     * go on either, and the same gap raises the request (seen on a stock
     * host, where it waited for the compare timeout). */
    cmp = new_compare(NULL);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 108, .data = "cccc"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 112, .data = "dddd"), 0);
    assert_released_payloads((const char *[]) { "aaaa" }, 1);
    colo_compare_run(cmp, 19);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_run(cmp, 20);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(stats(cmp).secondary_gaps == 1);
    ovs_assert(stats(cmp).timeouts == 0);
    colo_compare_checkpoint_done(cmp);
    assert_released_payloads((const char *[]) { "aaaa", "cccc" }, 2);
    colo_compare_destroy(cmp);
    clear_released();

    /* A secondary that is merely behind (nothing beyond where comparison
     * stands) is left to the compare timeout. */
    cmp = new_compare(NULL);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 104, .data = "bbbb"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    colo_compare_run(cmp, 2999);
    ovs_assert(!has_request(cmp, NULL));
    ovs_assert(stats(cmp).secondary_gaps == 0);
    colo_compare_destroy(cmp);
    clear_released();

    /* Turned off: only the compare timeout fires. */
    struct colo_options o = *default_options();
    o.secondary_gap_timeout = 0;
    cmp = new_compare(&o);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .data = "aaaa"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 104, .data = "bbbb"), 0);
    colo_compare_run(cmp, 2999);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_run(cmp, 3000);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(stats(cmp).timeouts == 1);
    ovs_assert(stats(cmp).secondary_gaps == 0);
    colo_compare_destroy(cmp);
    clear_released();
}

/* Sequence numbers wrap around 2^32. */
static void
test_tcp_wrap(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    feed(cmp, COLO_PRIMARY,
         SPEC(.seq = UINT32_MAX - 2, .data = "0123456"), 0);
    feed(cmp, COLO_SECONDARY,
         SPEC(.seq = UINT32_MAX - 2, .data = "012"), 0);
    ovs_assert(n_released == 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 0, .data = "3456"),
         0);
    assert_released_payloads((const char *[]) { "0123456" }, 1);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 4, .data = "78"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 4, .data = "78"), 0);
    ovs_assert(n_released == 2);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_destroy(cmp);
    clear_released();
}

/* A differing byte raises one request that names the connection; held
 * packets are released by the flush, in order, and comparison resumes. */
static void
test_tcp_diverge(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);
    const char *reason;

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "same"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 5, .data = "left"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 1, .data = "samE"),
         0);
    ovs_assert(n_released == 0);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(!strcmp(reason, "tcp 10.0.0.1:80->10.0.0.2:5000: different "
                       "payload in sequence range [1, 5)"));
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 5, .data = "righ"),
         0);
    ovs_assert(stats(cmp).diverged_payload == 1);
    ovs_assert(stats(cmp).checkpoint_requests == 1);

    colo_compare_checkpoint_done(cmp);
    assert_released_payloads((const char *[]) { "same", "left" }, 2);
    ovs_assert(stats(cmp).flushed == 2);
    ovs_assert(!has_request(cmp, NULL));

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 9, .data = "ok"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 9, .data = "ok"), 0);
    ovs_assert(n_released == 3);
    ovs_assert(stats(cmp).checkpoints == 1);
    colo_compare_destroy(cmp);
    clear_released();
}

/* A checkpoint's start closes the epoch: what a connection held then is
 * settled by the done (primary released, secondary freed), what comes
 * between the start and the done is compared after it, in the order it
 * came, and connections that held nothing compare at once. */
static void
test_checkpoint_start(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);
    const char *reason;

    /* Connection 80 diverges and holds its primary packet. */
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "same"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 1, .data = "samE"), 0);
    ovs_assert(has_request(cmp, NULL));

    colo_compare_checkpoint_start(cmp);
    ovs_assert(!has_request(cmp, NULL));

    /* After the start: connection 80 defers, connection 81 (nothing held)
     * compares at once. */
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 5, .data = "next"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 5, .data = "next"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 9, .data = "last"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 81, .seq = 1, .data = "other"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.sport = 81, .seq = 1, .data = "other"),
         0);
    ovs_assert(n_released == 1);
    ovs_assert(stats(cmp).deferred == 3);

    /* No compare timeout while the checkpoint runs. */
    colo_compare_run(cmp, 100000);
    ovs_assert(!has_request(cmp, NULL));

    /* A divergence after the start raises the next request at once. */
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 82, .seq = 1, .data = "a"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.sport = 82, .seq = 1, .data = "b"), 0);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(!strcmp(reason, "tcp 10.0.0.1:82->10.0.0.2:5000: different "
                       "payload in sequence range [1, 2)"));

    colo_compare_checkpoint_done(cmp);
    /* "same" settled by the checkpoint, "next" compared after it, "last"
     * waits for the secondary; the request raised after the start stays. */
    assert_released_payloads((const char *[]) { "other", "same", "next" }, 3);
    struct colo_stats st = stats(cmp);
    ovs_assert(st.flushed == 1);
    ovs_assert(st.identical == 2);
    ovs_assert(st.held_packets == 2);
    ovs_assert(st.checkpoints == 1);
    ovs_assert(has_request(cmp, NULL));

    feed(cmp, COLO_SECONDARY, SPEC(.seq = 9, .data = "last"), 0);
    ovs_assert(n_released == 4);

    /* The second checkpoint has no start: everything is flushed. */
    colo_compare_checkpoint_done(cmp);
    ovs_assert(n_released == 5);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_destroy(cmp);
    clear_released();
}

/* Datagrams are paired first in, first out, and released in order. */
static void
test_udp_fifo(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);
    const char *reason;

    for (int i = 0; i < 3; i++) {
        char data[8];
        snprintf(data, sizeof data, "dg%d", i);
        feed(cmp, COLO_PRIMARY,
             SPEC(.nw_proto = IPPROTO_UDP, .data = data), 0);
    }
    for (int i = 0; i < 3; i++) {
        char data[8];
        snprintf(data, sizeof data, "dg%d", i);
        feed(cmp, COLO_SECONDARY, SPEC(.nw_proto = IPPROTO_UDP,
                                                   .data = data, .ttl = 9),
             0);
    }
    ovs_assert(n_released == 3);
    for (int i = 0; i < 3; i++) {
        struct colo_packet cp;
        colo_packet_classify(released[i], &cp);
        ovs_assert(cp.kind == COLO_KIND_DATAGRAM);
        /* The UDP header is compared too: payload after 8 bytes. */
        ovs_assert(((const char *) dp_packet_data(released[i]))
                   [cp.cmp_ofs + 10] == '0' + i);
    }

    feed(cmp, COLO_PRIMARY,
         SPEC(.nw_proto = IPPROTO_UDP, .data = "long"), 0);
    feed(cmp, COLO_SECONDARY,
         SPEC(.nw_proto = IPPROTO_UDP, .data = "longer"), 0);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(!strcmp(reason, "udp 10.0.0.1:80->10.0.0.2:5000: size 12 on "
                       "the primary, 14 on the secondary"));
    ovs_assert(stats(cmp).diverged_size == 1);
    colo_compare_destroy(cmp);
    ovs_assert(n_released == 4);
    clear_released();
}

/* A primary packet without counterpart raises one request after the
 * compare timeout, not before. */
static void
test_timeout(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_options o = *default_options();
    struct colo_compare *cmp;
    const char *reason;

    o.compare_timeout = 500;
    o.scan_period = 100;
    cmp = new_compare(&o);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "alone"),
         1000);
    ovs_assert(colo_compare_next_wakeup(cmp) == 1500);
    colo_compare_run(cmp, 1499);
    ovs_assert(!has_request(cmp, NULL));
    ovs_assert(colo_compare_next_wakeup(cmp) == 1599);
    colo_compare_run(cmp, 1600);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(!strcmp(reason, "tcp 10.0.0.1:80->10.0.0.2:5000: no "
                       "secondary output for 600 ms"));
    ovs_assert(stats(cmp).timeouts == 1);
    colo_compare_run(cmp, 5000);
    ovs_assert(stats(cmp).timeouts == 1);
    ovs_assert(stats(cmp).checkpoint_requests == 1);
    colo_compare_checkpoint_done(cmp);
    ovs_assert(n_released == 1);
    colo_compare_destroy(cmp);
    clear_released();
}

/* A full primary queue raises a request and releases the oldest packet
 * uncompared: every primary packet is accounted for. */
static void
test_queue_full(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_options o = *default_options();
    struct colo_compare *cmp;

    o.max_queue_packets = 4;
    cmp = new_compare(&o);
    for (int i = 0; i < 6; i++) {
        feed(cmp, COLO_PRIMARY, SPEC(.seq = 1 + 4 * i,
                                                 .data = "pkt!"), 0);
    }
    struct colo_stats s = stats(cmp);
    ovs_assert(s.queue_full == 1);
    ovs_assert(s.checkpoint_requests == 1);
    ovs_assert(s.forced == 2);
    ovs_assert(s.held_packets == 4);
    ovs_assert(n_released == 2);
    ovs_assert(s.released + s.held_packets == s.primary_packets);
    for (int i = 0; i < 6; i++) {
        feed(cmp, COLO_SECONDARY, SPEC(.seq = 1 + 4 * i,
                                                   .data = "pkt!"), 0);
    }
    ovs_assert(stats(cmp).secondary_dropped == 2);
    colo_compare_checkpoint_done(cmp);
    ovs_assert(n_released == 6);
    colo_compare_destroy(cmp);
    clear_released();
}

/* A full connection table evicts idle connections; when every connection
 * holds packets, new ones go uncompared with a request. */
static void
test_table_full(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_options o = *default_options();
    struct colo_compare *cmp;

    o.max_connections = 2;
    cmp = new_compare(&o);
    for (int port = 1; port <= 3; port++) {
        feed(cmp, COLO_PRIMARY, SPEC(.sport = port, .seq = 1,
                                                 .data = "a"), 0);
        feed(cmp, COLO_SECONDARY, SPEC(.sport = port, .seq = 1,
                                                   .data = "a"), 0);
    }
    ovs_assert(stats(cmp).conns_evicted == 1);
    ovs_assert(stats(cmp).connections == 2);
    ovs_assert(!has_request(cmp, NULL));

    feed(cmp, COLO_PRIMARY, SPEC(.sport = 2, .seq = 2,
                                             .data = "b"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 3, .seq = 2,
                                             .data = "b"), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 4, .seq = 1,
                                             .data = "c"), 0);
    ovs_assert(stats(cmp).table_full == 1);
    ovs_assert(stats(cmp).untracked == 1);
    ovs_assert(n_released == 4);
    colo_compare_destroy(cmp);
    ovs_assert(n_released == 6);
    clear_released();
}

/* A full table evicts an ended connection before an open one, even an open
 * one used less recently. */
static void
test_table_evicts_ended(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_options o = *default_options();
    struct ds conns = DS_EMPTY_INITIALIZER;
    struct colo_compare *cmp;

    o.max_connections = 2;
    cmp = new_compare(&o);

    /* Port 1: open, used first. */
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 1, .seq = 1, .data = "a"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.sport = 1, .seq = 1, .data = "a"), 0);
    /* Port 2: FIN both ways, used after. */
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 2, .seq = 1, .data = "bye",
                                 .flags = TCP_FIN | TCP_ACK), 1);
    feed(cmp, COLO_SECONDARY, SPEC(.sport = 2, .seq = 1, .data = "bye",
                                   .flags = TCP_FIN | TCP_ACK), 1);
    ovs_assert(n_released == 2);

    /* Port 3 finds the table full: port 2 goes, port 1 stays. */
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 3, .seq = 1, .data = "c"), 2);
    ovs_assert(stats(cmp).conns_evicted == 1);
    ovs_assert(stats(cmp).connections == 2);
    colo_compare_dump_conns(cmp, 2, &conns);
    ovs_assert(strstr(ds_cstr(&conns), ":1->"));
    ovs_assert(!strstr(ds_cstr(&conns), ":2->"));
    ovs_assert(strstr(ds_cstr(&conns), ":3->"));
    ds_destroy(&conns);
    colo_compare_destroy(cmp);
    ovs_assert(n_released == 3);
    clear_released();
}

/* FIN from both sides ends a connection after a short linger. */
static void
test_close(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "bye",
                                             .flags = TCP_FIN | TCP_ACK), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 1, .data = "bye",
                                               .flags = TCP_FIN | TCP_ACK),
         0);
    ovs_assert(n_released == 1);
    colo_compare_run(cmp, 999);
    ovs_assert(stats(cmp).connections == 1);
    colo_compare_run(cmp, 1000);
    ovs_assert(stats(cmp).conns_closed == 1);
    ovs_assert(stats(cmp).connections == 0);

    feed(cmp, COLO_PRIMARY, SPEC(.sport = 9, .seq = 1,
                                             .flags = TCP_RST), 2000);
    ovs_assert(n_released == 2);
    colo_compare_run(cmp, 3000);
    ovs_assert(stats(cmp).conns_closed == 2);
    colo_compare_destroy(cmp);
    clear_released();
}

/* A primary FIN waits for the secondary's, and what follows it (sequence
 * number one past the FIN) is released after it. */
static void
test_fin_waits(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 1, .data = "abc"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 1, .data = "abc"), 0);
    ovs_assert(n_released == 1);

    /* The PVM closes first: its FIN is held, and so is the ACK it sends
     * after it, in order. */
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 4, .flags = TCP_FIN | TCP_ACK), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 5), 0);
    ovs_assert(n_released == 1);

    /* The SVM's FIN lets both go. */
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 4, .flags = TCP_FIN | TCP_ACK), 0);
    ovs_assert(n_released == 3);
    ovs_assert(stats(cmp).passed == 2);
    ovs_assert(!stats(cmp).checkpoint_requests);

    /* Without the SVM's FIN, a primary FIN ends in a timeout. */
    feed(cmp, COLO_PRIMARY, SPEC(.sport = 9, .seq = 1,
                                 .flags = TCP_FIN | TCP_ACK), 0);
    ovs_assert(n_released == 3);
    colo_compare_run(cmp, 3000);
    ovs_assert(stats(cmp).timeouts == 1);
    colo_compare_destroy(cmp);
    clear_released();
}

/* IPv6 and VLAN-tagged traffic is compared, per tag. */
static void
test_ipv6_vlan(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);
    ovs_be16 ipv6 = htons(ETH_TYPE_IPV6);
    const char *reason;

    feed(cmp, COLO_PRIMARY, SPEC(.dl_type = ipv6, .seq = 1,
                                             .data = "v6"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.dl_type = ipv6, .seq = 1,
                                               .data = "v6"), 0);
    ovs_assert(n_released == 1);

    feed(cmp, COLO_PRIMARY, SPEC(.nw_proto = IPPROTO_UDP,
                                             .vlan = 10, .data = "t"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.nw_proto = IPPROTO_UDP,
                                               .data = "t"), 0);
    ovs_assert(n_released == 1);
    feed(cmp, COLO_SECONDARY, SPEC(.nw_proto = IPPROTO_UDP,
                                               .vlan = 10, .data = "t"), 0);
    ovs_assert(n_released == 2);
    ovs_assert(stats(cmp).connections == 3);

    feed(cmp, COLO_PRIMARY, SPEC(.dl_type = ipv6,
                                             .nw_proto = IPPROTO_UDP,
                                             .vlan = 20, .data = "a"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.dl_type = ipv6,
                                               .nw_proto = IPPROTO_UDP,
                                               .vlan = 20, .data = "b"), 0);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(!strcmp(reason, "udp vlan20 fd00::1:80->fd00::2:5000: "
                       "different content (9 bytes)"));
    colo_compare_checkpoint_done(cmp);

    /* 802.1ad: the outer tag is part of the key too. */
    feed(cmp, COLO_PRIMARY, SPEC(.nw_proto = IPPROTO_UDP,
                                             .svlan = 100, .vlan = 10,
                                             .data = "qinq"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.nw_proto = IPPROTO_UDP,
                                               .svlan = 200, .vlan = 10,
                                               .data = "qinq"), 0);
    ovs_assert(n_released == 3);
    feed(cmp, COLO_SECONDARY, SPEC(.nw_proto = IPPROTO_UDP,
                                               .svlan = 100, .vlan = 10,
                                               .data = "qinq"), 0);
    ovs_assert(n_released == 4);
    ovs_assert(stats(cmp).malformed == 0);
    colo_compare_destroy(cmp);
    clear_released();
}

/* Non-IP frames (ARP) are compared whole. */
static void
test_arp(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);
    ovs_be16 arp = htons(ETH_TYPE_ARP);

    feed(cmp, COLO_PRIMARY, SPEC(.dl_type = arp), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.dl_type = arp), 0);
    ovs_assert(n_released == 1);
    feed(cmp, COLO_PRIMARY, SPEC(.dl_type = arp), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.dl_type = arp, .ttl = 1),
         0);
    /* For ARP, flow_compose() does not use the TTL: identical again. */
    ovs_assert(n_released == 2);
    ovs_assert(stats(cmp).compared_bytes == 2 * (14 + 28));
    colo_compare_destroy(cmp);
    clear_released();
}

/* Malformed IP headers are counted and compared as whole frames, without
 * reading out of bounds. */
static void
test_malformed(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);

    for (int side = COLO_PRIMARY; side <= COLO_SECONDARY; side++) {
        /* IHL of 15 words in a 20-byte header. */
        struct dp_packet *p = colo_test_packet(SPEC(.seq = 1,
                                                           .data = "x"));
        struct ip_header *ip = dp_packet_l3(p);
        ip->ip_ihl_ver = IP_IHL_VER(15, 4);
        colo_compare_input(cmp, side, p, 0);

        /* TCP data offset past the end of the packet. */
        p = colo_test_packet(SPEC(.seq = 1, .sport = 7));
        struct tcp_header *tcp = dp_packet_l4(p);
        tcp->tcp_ctl = TCP_CTL(TCP_ACK, 15);
        colo_compare_input(cmp, side, p, 0);

        /* Truncated in the middle of the IP header. */
        p = colo_test_packet(SPEC(.seq = 1, .sport = 8));
        dp_packet_set_size(p, 14 + 10);
        colo_compare_input(cmp, side, p, 0);

        /* Empty, with no data pointer at all (found by fuzzing). */
        colo_compare_input(cmp, side, dp_packet_new(0), 0);
    }
    ovs_assert(stats(cmp).malformed == 6);
    ovs_assert(n_released == 4);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_destroy(cmp);
    clear_released();
}

/* What legitimately differs between replicas is ignored: IP ID, TTL, TCP
 * window and options, IPv6 flow label; SYN and FIN without payload never
 * diverge. */
static void
test_headers(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);
    ovs_be16 ipv6 = htons(ETH_TYPE_IPV6);

    feed(cmp, COLO_PRIMARY, SPEC(.seq = 99, .flags = TCP_SYN),
         0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 99, .ip_id = 7,
                                               .flags = TCP_SYN), 0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 100, .ip_id = 1,
                                             .window = 100,
                                             .data = "payload"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 100, .ip_id = 2,
                                               .ttl = 1, .window = 200,
                                               .opt_words = 3,
                                               .data = "\x01\x01\x08\x0a"
                                                       "12345678payload"),
         0);
    feed(cmp, COLO_PRIMARY, SPEC(.seq = 107, .ip_id = 3,
                                             .flags = TCP_FIN | TCP_ACK),
         0);
    feed(cmp, COLO_SECONDARY, SPEC(.seq = 107, .ip_id = 4,
                                               .flags = TCP_FIN | TCP_ACK),
         0);
    assert_released_payloads((const char *[]) { "", "payload", "" }, 3);

    feed(cmp, COLO_PRIMARY, SPEC(.dl_type = ipv6, .seq = 1,
                                             .label = 0x12345,
                                             .data = "six"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.dl_type = ipv6, .seq = 1,
                                               .label = 0xabcde, .ttl = 2,
                                               .data = "six"), 0);
    ovs_assert(n_released == 4);
    ovs_assert(!has_request(cmp, NULL));
    colo_compare_destroy(cmp);
    clear_released();
}

/* ICMP, ICMPv6 and IPv4 fragments are compared first in, first out. */
static void
test_icmp_frag(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    struct colo_compare *cmp = new_compare(NULL);
    ovs_be16 ipv6 = htons(ETH_TYPE_IPV6);
    const char *reason;

    /* ICMP echo reply (type 0) and ICMPv6 echo reply (type 129). */
    feed(cmp, COLO_PRIMARY, SPEC(.nw_proto = IPPROTO_ICMP,
                                             .sport = 0, .dport = 0,
                                             .data = "ping"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.nw_proto = IPPROTO_ICMP,
                                               .sport = 0, .dport = 0,
                                               .ip_id = 5, .data = "ping"),
         0);
    feed(cmp, COLO_PRIMARY, SPEC(.dl_type = ipv6,
                                             .nw_proto = IPPROTO_ICMPV6,
                                             .sport = 129, .dport = 0,
                                             .data = "ping6"), 0);
    feed(cmp, COLO_SECONDARY, SPEC(.dl_type = ipv6,
                                               .nw_proto = IPPROTO_ICMPV6,
                                               .sport = 129, .dport = 0,
                                               .data = "ping6"), 0);
    ovs_assert(n_released == 2);

    /* A UDP datagram in two IPv4 fragments. */
    struct colo_test_spec first = { .nw_proto = IPPROTO_UDP,
                                    .frag = IP_MORE_FRAGMENTS,
                          .data = "fragment one" };
    struct colo_test_spec later = { .nw_proto = IPPROTO_UDP, .frag = 2,
                          .data = "two" };
    feed(cmp, COLO_PRIMARY, &first, 0);
    feed(cmp, COLO_PRIMARY, &later, 0);
    feed(cmp, COLO_SECONDARY, &first, 0);
    feed(cmp, COLO_SECONDARY, &later, 0);
    ovs_assert(n_released == 4);
    ovs_assert(!has_request(cmp, NULL));

    /* The same later fragment at another offset diverges. */
    feed(cmp, COLO_PRIMARY, &later, 0);
    later.frag = 3;
    feed(cmp, COLO_SECONDARY, &later, 0);
    ovs_assert(has_request(cmp, &reason));
    ovs_assert(!strcmp(reason, "udp 10.0.0.1->10.0.0.2: fragment "
                       "offset and flags 0x2 on the primary, 0x3 on the "
                       "secondary"));
    colo_compare_destroy(cmp);
    clear_released();
}

/* Property test: the same random byte streams, segmented at random on each
 * side, with random retransmissions, reordering within a window on the
 * secondary side and random interleaving of the sides, cause no request
 * and are released entirely and in order.  Then one flipped byte causes
 * exactly one request. */

/* A segment of a stream, to be fed. */
struct seg {
    uint16_t port;
    uint32_t seq;
    size_t ofs, len;
};

/* Cuts a stream of 'size' bytes for connection 'port', starting at 'isn',
 * into random segments appended to '*segs', with random retransmissions of
 * earlier segments ('retransmit') and, if 'shuffle', swaps of neighbours. */
static void
cut_stream(uint16_t port, uint32_t isn, size_t size, bool shuffle,
           struct seg **segs, size_t *n, size_t *allocated)
{
    size_t start = *n;

    size_t ofs = 0;
    while (ofs < size) {
        size_t max_len = 1 + random_range(1400);
        size_t len = MIN(size - ofs, max_len);

        if (*n >= *allocated) {
            *segs = x2nrealloc(*segs, allocated, sizeof **segs);
        }
        (*segs)[(*n)++] = (struct seg) { port, isn + ofs, ofs, len };
        if (random_range(10) == 0 && *n - start > 1) {
            if (*n >= *allocated) {
                *segs = x2nrealloc(*segs, allocated, sizeof **segs);
            }
            size_t old = start + random_range(*n - start);
            (*segs)[(*n)++] = (*segs)[old];
        }
        ofs += len;
    }
    if (shuffle) {
        for (size_t i = start; i + 1 < *n; i++) {
            if (random_range(4) == 0) {
                struct seg tmp = (*segs)[i];
                (*segs)[i] = (*segs)[i + 1];
                (*segs)[i + 1] = tmp;
            }
        }
    }
}

static void
test_property(struct ovs_cmdl_context *ctx)
{
    uint32_t seed = atoi(ctx->argv[1]);
    int n_streams = atoi(ctx->argv[2]);
    size_t total_segments = 0, total_bytes = 0;

    random_set_seed(seed);
    for (int round = 0; round < n_streams; round++) {
        struct colo_compare *cmp = new_compare(NULL);
        size_t size = 1 + random_range(20000);
        uint8_t *data = xmalloc(size);
        uint8_t *sdata = xmalloc(size);
        uint32_t isn = random_uint32();
        struct seg *segs[2] = { NULL, NULL };
        size_t n[2] = { 0, 0 }, allocated[2] = { 0, 0 }, next[2] = { 0, 0 };
        bool flip = round % 2;
        size_t flip_at = random_range(size);

        random_bytes(data, size);
        memcpy(sdata, data, size);
        if (flip) {
            sdata[flip_at] ^= 1 + random_range(255);
        }
        cut_stream(80, isn, size, false, &segs[0], &n[0], &allocated[0]);
        cut_stream(80, isn, size, true, &segs[1], &n[1], &allocated[1]);

        while (next[0] < n[0] || next[1] < n[1]) {
            int side = (next[0] >= n[0] ? 1
                        : next[1] >= n[1] ? 0
                        : random_range(2));
            const struct seg *sg = &segs[side][next[side]++];
            const uint8_t *bytes = side ? sdata : data;

            feed(cmp, side, SPEC(.sport = sg->port,
                                             .seq = sg->seq,
                                             .bytes = bytes + sg->ofs,
                                             .len = sg->len), 0);
        }
        total_segments += n[0] + n[1];
        total_bytes += size;

        struct colo_stats s = stats(cmp);
        const char *reason;
        if (!flip) {
            /* Every primary byte released once, in order. */
            size_t got = 0;
            if (has_request(cmp, &reason)) {
                ovs_fatal(0, "round %d: unexpected request: %s", round,
                          reason);
            }
            ovs_assert(s.held_packets == 0);
            ovs_assert(n_released == n[0]);
            for (size_t i = 0; i < n_released; i++) {
                struct colo_packet cp;
                colo_packet_classify(released[i], &cp);
                ovs_assert(cp.seq == segs[0][i].seq);
                if (cp.seq - isn == got) {
                    got += cp.cmp_size;
                }
            }
            ovs_assert(got == size);
            ovs_assert(s.compared_bytes == size);
        } else {
            if (!has_request(cmp, &reason)) {
                ovs_fatal(0, "round %d: no request for the byte flipped at "
                          "%"PRIuSIZE" of %"PRIuSIZE, round, flip_at, size);
            }
            ovs_assert(strstr(reason, "tcp 10.0.0.1:80->10.0.0.2:5000: "));
            ovs_assert(s.checkpoint_requests == 1);
            ovs_assert(s.diverged_payload == 1);
            colo_compare_checkpoint_done(cmp);
            ovs_assert(n_released == n[0]);
        }
        /* Either way, the primary packets left in the order they came. */
        for (size_t i = 0; i < n_released; i++) {
            struct colo_packet cp;

            colo_packet_classify(released[i], &cp);
            ovs_assert(cp.seq == segs[0][i].seq);
        }
        colo_compare_destroy(cmp);
        clear_released();
        free(segs[0]);
        free(segs[1]);
        free(data);
        free(sdata);
    }
    printf("%d streams, %"PRIuSIZE" segments, %"PRIuSIZE" bytes: ok\n",
           n_streams, total_segments, total_bytes);
}


/* Benchmark: "bench [PAIRS]" feeds PAIRS primary/secondary pairs (default
 * 1000000) per case through one comparator, spread over 64 connections,
 * and prints pairs compared per second of one core.  Packets are built in
 * batches outside the timed region. */

#define BENCH_CONNS 64
#define BENCH_BATCH 8192

struct bench_case {
    const char *name;
    uint8_t nw_proto;
    size_t size;                /* Payload bytes. */
    int diverge_every;          /* 0, or one divergent pair in this many. */
};

static void
bench_build(const struct bench_case *bc, size_t first, size_t n,
            uint32_t seqs[], struct dp_packet *pkts[][2])
{
    uint8_t *payload = xzalloc(bc->size);

    for (size_t i = 0; i < n; i++) {
        size_t pair = first + i;
        int conn = pair % BENCH_CONNS;
        struct colo_test_spec sp = { .nw_proto = bc->nw_proto,
                                     .sport = 1000 + conn,
                           .seq = seqs[conn], .bytes = payload,
                           .len = bc->size };

        memcpy(payload, &pair, MIN(sizeof pair, bc->size));
        pkts[i][0] = colo_test_packet(&sp);
        if (bc->diverge_every && pair % bc->diverge_every
            == bc->diverge_every - 1) {
            payload[bc->size - 1] ^= 1;
        }
        pkts[i][1] = colo_test_packet(&sp);
        payload[bc->size - 1] = 0;
        seqs[conn] += bc->size;
    }
    free(payload);
}

static void
discard_released(struct dp_packet *pkt, void *aux)
{
    size_t *n = aux;

    (*n)++;
    dp_packet_delete(pkt);
}

static void
bench_run(const struct bench_case *bc, size_t n_pairs)
{
    struct dp_packet *(*pkts)[2] = xmalloc(BENCH_BATCH * sizeof *pkts);
    uint32_t seqs[BENCH_CONNS];
    size_t n_released_here = 0;
    long long int elapsed_ns = 0;
    struct colo_compare *cmp;

    for (int i = 0; i < BENCH_CONNS; i++) {
        seqs[i] = i * 100000000u;
    }
    cmp = colo_compare_create(default_options(), discard_released,
                              &n_released_here);
    size_t done = 0;
    while (done < n_pairs) {
        size_t n = MIN(BENCH_BATCH, n_pairs - done);
        struct timespec start, end;

        bench_build(bc, done, n, seqs, pkts);
        xclock_gettime(CLOCK_MONOTONIC, &start);
        for (size_t i = 0; i < n; i++) {
            colo_compare_input(cmp, COLO_PRIMARY, pkts[i][0], 0);
            colo_compare_input(cmp, COLO_SECONDARY, pkts[i][1], 0);
            if (OVS_UNLIKELY(bc->diverge_every)
                && colo_compare_get_request(cmp, &(uint64_t) { 0 },
                                            &(const char *) { NULL })) {
                colo_compare_checkpoint_done(cmp);
            }
        }
        xclock_gettime(CLOCK_MONOTONIC, &end);
        elapsed_ns += (end.tv_sec - start.tv_sec) * 1000000000LL
                      + (end.tv_nsec - start.tv_nsec);
        done += n;
    }

    struct colo_stats s;
    colo_compare_get_stats(cmp, &s);
    ovs_assert(n_released_here == n_pairs);
    printf("%-22s %8.3f Mpairs/s  %7.1f ns/pair  %"PRIu64" requests\n",
           bc->name, n_pairs / (elapsed_ns / 1e9) / 1e6,
           (double) elapsed_ns / n_pairs, s.checkpoint_requests);
    colo_compare_destroy(cmp);
    free(pkts);
}

static void
test_bench(struct ovs_cmdl_context *ctx)
{
    static const struct bench_case cases[] = {
        { "tcp 64 B", IPPROTO_TCP, 64, 0 },
        { "tcp 1400 B", IPPROTO_TCP, 1400, 0 },
        { "udp 64 B", IPPROTO_UDP, 64, 0 },
        { "udp 1400 B", IPPROTO_UDP, 1400, 0 },
        { "tcp 64 B, 1/1000 diff", IPPROTO_TCP, 64, 1000 },
        { "udp 64 B, 1/1000 diff", IPPROTO_UDP, 64, 1000 },
    };
    size_t n_pairs = ctx->argc > 1 ? atoi(ctx->argv[1]) : 1000000;

    printf("%"PRIuSIZE" pairs per case, %d connections, one core\n",
           n_pairs, BENCH_CONNS);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        bench_run(&cases[i], n_pairs);
    }
}

static const struct ovs_cmdl_command commands[] = {
    {"tcp-identical", "[SEQ]", 0, 1, test_tcp_identical, OVS_RO},
    {"tcp-segmentation", NULL, 0, 0, test_tcp_segmentation, OVS_RO},
    {"tcp-order", NULL, 0, 0, test_tcp_order, OVS_RO},
    {"tcp-retransmit", NULL, 0, 0, test_tcp_retransmit, OVS_RO},
    {"tcp-gap", NULL, 0, 0, test_tcp_gap, OVS_RO},
    {"tcp-settle", NULL, 0, 0, test_tcp_settle, OVS_RO},
    {"tcp-secondary-gap", NULL, 0, 0, test_tcp_secondary_gap, OVS_RO},
    {"tcp-wrap", NULL, 0, 0, test_tcp_wrap, OVS_RO},
    {"checkpoint-start", NULL, 0, 0, test_checkpoint_start, OVS_RO},
    {"tcp-diverge", NULL, 0, 0, test_tcp_diverge, OVS_RO},
    {"udp-fifo", NULL, 0, 0, test_udp_fifo, OVS_RO},
    {"timeout", NULL, 0, 0, test_timeout, OVS_RO},
    {"queue-full", NULL, 0, 0, test_queue_full, OVS_RO},
    {"table-full", NULL, 0, 0, test_table_full, OVS_RO},
    {"table-evicts-ended", NULL, 0, 0, test_table_evicts_ended, OVS_RO},
    {"close", NULL, 0, 0, test_close, OVS_RO},
    {"fin-waits", NULL, 0, 0, test_fin_waits, OVS_RO},
    {"ipv6-vlan", NULL, 0, 0, test_ipv6_vlan, OVS_RO},
    {"arp", NULL, 0, 0, test_arp, OVS_RO},
    {"malformed", NULL, 0, 0, test_malformed, OVS_RO},
    {"headers", NULL, 0, 0, test_headers, OVS_RO},
    {"icmp-frag", NULL, 0, 0, test_icmp_frag, OVS_RO},
    {"property", "SEED STREAMS", 2, 2, test_property, OVS_RO},
    {"bench", "[PAIRS]", 0, 1, test_bench, OVS_RO},
    {NULL, NULL, 0, 0, NULL, OVS_RO},
};

static void
test_colo_compare_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    ovs_cmdl_run_command(&ctx, commands);
    free(released);
}

OVSTEST_REGISTER("test-colo-compare", test_colo_compare_main);
