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

/* libFuzzer target: the comparator, fed two interleaved streams (primary
 * and secondary) with timer runs and checkpoints in between.  Small queue
 * and table bounds make the full-queue and full-table paths reachable.
 * Whatever happens, every primary packet must be released exactly once:
 * the count of releases equals the count of primary packets once the
 * comparator is destroyed. */

#include <config.h>
#include "colo/colo-compare.h"
#include "colo/colo-config.h"
#include "fuzz-input.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t n_released;

static void
release(struct dp_packet *pkt, void *aux OVS_UNUSED)
{
    n_released++;
    dp_packet_delete(pkt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = { data, size };
    struct colo_options options;
    struct dp_packet *pkt;
    size_t n_primary = 0;
    long long int now = 0;
    uint8_t ctl;

    colo_options_init(&options);
    options.max_queue_packets = 8;
    options.max_queue_bytes = 4096;
    options.max_connections = 4;
    n_released = 0;

    struct colo_compare *cmp = colo_compare_create(&options, release, NULL);
    while (fuzz_next_packet(&in, &ctl, &pkt)) {
        enum colo_side side = ctl & 1 ? COLO_SECONDARY : COLO_PRIMARY;

        n_primary += side == COLO_PRIMARY;
        colo_compare_input(cmp, side, pkt, now);
        if (ctl & 2) {
            now += 500;
            colo_compare_run(cmp, now);
            uint64_t number;
            const char *reason;

            if (colo_compare_get_request(cmp, &number, &reason)) {
                colo_compare_checkpoint_done(cmp);
            }
        }
    }
    ovs_assert(n_released <= n_primary);
    colo_compare_destroy(cmp);
    ovs_assert(n_released == n_primary);
    return 0;
}
