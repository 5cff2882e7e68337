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

/* libFuzzer target: the TCP rewriter, fed packets in both directions
 * (handshakes in any order, any flags and options), with timer runs,
 * checkpoints and failover in between.  A packet that had a valid L4
 * checksum must still have one after rewriting; every held packet comes
 * back exactly once. */

#include <config.h>
#include "colo/colo-config.h"
#include "colo/colo-rewrite.h"
#include "fuzz-input.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t n_returned;

static void
release(struct dp_packet *pkt, enum colo_rewrite_dir dir OVS_UNUSED,
        void *aux OVS_UNUSED)
{
    n_returned++;
    dp_packet_delete(pkt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    struct colo_options options;
    struct dp_packet *pkt;
    size_t n_held = 0;
    long long int now = 0;
    uint8_t ctl;

    colo_options_init(&options);
    options.max_connections = 4;
    n_returned = 0;

    struct colo_rewriter *rw = colo_rewriter_create(&options, release, NULL);
    while (fuzz_next_packet(&in, &ctl, &pkt)) {
        enum colo_rewrite_dir dir = ctl & 1 ? COLO_FROM_SVM : COLO_TO_SVM;
        bool csum_ok = !(ctl & 0x80) && colo_test_l4_csum_ok(pkt);

        if (colo_rewriter_process(rw, dir, pkt, now) == COLO_REWRITE_HELD) {
            n_held++;
        } else {
            ovs_assert(!csum_ok || colo_test_l4_csum_ok(pkt));
            dp_packet_delete(pkt);
        }
        if (ctl & 2) {
            now += 700;
            colo_rewriter_run(rw, now);
            if ((ctl & 0x0c) == 0x0c) {
                colo_rewriter_checkpoint_done(rw);
            } else if ((ctl & 0x0c) == 0x08) {
                colo_rewriter_set_failover(rw, true);
            }
        }
    }
    colo_rewriter_destroy(rw);
    ovs_assert(n_returned == n_held);
    return 0;
}
