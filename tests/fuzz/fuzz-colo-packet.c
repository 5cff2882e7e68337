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

/* libFuzzer target: the packet classifier on any Ethernet frame.  The
 * compared region must lie inside the packet, and the key must hash and
 * format. */

#include <config.h>
#include <stdint.h>
#include "colo/colo-packet.h"
#include "dp-packet.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dp_packet *p = dp_packet_clone_data(data, size);
    struct colo_packet cp;
    struct ds s = DS_EMPTY_INITIALIZER;

    colo_packet_classify(p, &cp);
    ovs_assert(cp.cmp_ofs <= dp_packet_size(p));
    ovs_assert(cp.cmp_size <= dp_packet_size(p) - cp.cmp_ofs);
    colo_conn_key_hash(&cp.key);
    ovs_assert(colo_conn_key_equal(&cp.key, &cp.key));
    colo_conn_key_format(&cp.key, &s);
    ds_destroy(&s);
    dp_packet_delete(p);
    return 0;
}
