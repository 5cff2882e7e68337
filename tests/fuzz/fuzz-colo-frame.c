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

/* libFuzzer target: the channel's frame decoder, on a byte stream as a peer
 * could send it.  The first input byte chooses the vnet header mode; the
 * rest is decoded frame after frame, as netdev-colo does.  Every frame
 * decoded must lie inside the input; a frame re-encoded must decode to the
 * same bytes. */

#include <config.h>
#include <stdint.h>
#include <string.h>
#include "colo/colo-frame.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) {
        return 0;
    }
    bool vnet_hdr = data[0] & 1;
    data++;
    size--;

    while (size) {
        struct colo_frame frame;
        char *error = NULL;

        enum colo_frame_result r = colo_frame_decode(data, size, vnet_hdr,
                                                     &frame, &error);
        if (r == COLO_FRAME_BAD) {
            ovs_assert(error);
            free(error);
            break;
        }
        ovs_assert(!error);
        if (r == COLO_FRAME_NEED_MORE) {
            break;
        }
        ovs_assert(frame.consumed && frame.consumed <= size);
        if (r == COLO_FRAME_HEARTBEAT) {
            ovs_assert(!frame.eth_size
                       && frame.consumed == (vnet_hdr ? 8 : 4));
            data += frame.consumed;
            size -= frame.consumed;
            continue;
        }
        ovs_assert(frame.eth_ofs + frame.eth_size <= frame.consumed);
        ovs_assert(frame.eth_size >= COLO_FRAME_MIN_ETH);

        /* Round trip. */
        struct ofpbuf buf;
        struct colo_frame again;

        ofpbuf_init(&buf, 0);
        colo_frame_encode(&buf, data + frame.eth_ofs, frame.eth_size,
                          vnet_hdr);
        ovs_assert(colo_frame_decode(buf.data, buf.size, vnet_hdr, &again,
                                     &error) == COLO_FRAME_OK);
        ovs_assert(again.consumed == buf.size
                   && again.eth_size == frame.eth_size
                   && !memcmp((const uint8_t *) buf.data + again.eth_ofs,
                              data + frame.eth_ofs, frame.eth_size));
        ofpbuf_uninit(&buf);

        data += frame.consumed;
        size -= frame.consumed;
    }
    return 0;
}
