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

#ifndef COLO_FUZZ_INPUT_H
#define COLO_FUZZ_INPUT_H 1

/* Turns a fuzzer's input into a stream of packets for the engines: each
 * record is either a TCP or UDP packet built from a few input bytes (so
 * that the fuzzer reaches deep into connection tracking: shared 5-tuples,
 * nearby sequence numbers, any flags and TCP options), or a raw frame of
 * any bytes (so that malformed input is covered too). */

#include <stdint.h>
#include <string.h>
#include "dp-packet.h"
#include "packets.h"
#include "tests/colo-test-packet.h"

struct fuzz_input {
    const uint8_t *data;
    size_t size;
};

static inline bool
fuzz_take(struct fuzz_input *in, void *dst, size_t n)
{
    if (in->size < n) {
        return false;
    }
    memcpy(dst, in->data, n);
    in->data += n;
    in->size -= n;
    return true;
}

/* Reads the next record: its control byte in '*ctl' (bits 0-1 are the
 * caller's) and its packet in '*pkt'.  Returns false at the end. */
static inline bool
fuzz_next_packet(struct fuzz_input *in, uint8_t *ctl, struct dp_packet **pkt)
{
    uint8_t c, len;

    if (!fuzz_take(in, &c, 1) || !fuzz_take(in, &len, 1)) {
        return false;
    }
    *ctl = c;
    if (c & 0x80) {
        /* Raw frame. */
        size_t n = MIN(len, in->size);
        *pkt = dp_packet_clone_data(in->data, n);
        in->data += n;
        in->size -= n;
        return true;
    }

    /* Built packet: seq offset, ack offset, flags, option words. */
    uint8_t b[4] = { 0, 0, 0, 0 };
    fuzz_take(in, b, sizeof b);
    size_t n = MIN(len, in->size);
    struct colo_test_spec sp = {
        .nw_proto = c & 0x40 ? IPPROTO_UDP : IPPROTO_TCP,
        .dl_type = c & 0x20 ? htons(ETH_TYPE_IPV6) : htons(ETH_TYPE_IP),
        .reverse = c & 0x10,
        .sport = 80 + ((c >> 2) & 1),
        .seq = 1000 + b[0] * 16,
        .ack = 5000 + b[1] * 16,
        .flags = b[2] & 0x3f,
        .opt_words = MIN(b[3] & 0xf, n / 4),
        .bytes = in->data,
        .len = n,
    };
    if (!sp.bytes) {
        sp.bytes = (const uint8_t *) "";
    }
    in->data += n;
    in->size -= n;
    *pkt = colo_test_packet(&sp);
    return true;
}

#endif /* fuzz-input.h */
