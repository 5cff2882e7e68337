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

#include <config.h>
#include "colo/colo-frame.h"

#include <string.h>

#include "openvswitch/ofpbuf.h"
#include "openvswitch/types.h"
#include "unaligned.h"
#include "util.h"

/* Appends to 'out' the frame that carries the Ethernet frame 'eth', of
 * 'eth_size' bytes, with a zeroed virtio-net header if 'vnet_hdr'. */
void
colo_frame_encode(struct ofpbuf *out, const void *eth, size_t eth_size,
                  bool vnet_hdr)
{
    size_t vnet_size = vnet_hdr ? COLO_FRAME_VNET_HDR_LEN : 0;
    ovs_be32 len = htonl(vnet_size + eth_size);

    ofpbuf_put(out, &len, sizeof len);
    if (vnet_hdr) {
        ovs_be32 vnet_len = htonl(vnet_size);

        ofpbuf_put(out, &vnet_len, sizeof vnet_len);
        ofpbuf_put_zeros(out, vnet_size);
    }
    ofpbuf_put(out, eth, eth_size);
}

/* Appends a heartbeat frame to 'out' (see colo-frame.h). */
void
colo_frame_encode_heartbeat(struct ofpbuf *out, bool vnet_hdr)
{
    ofpbuf_put_zeros(out, vnet_hdr ? 8 : 4);
}

/* The big-endian 32-bit number at 'p', which need not be aligned. */
static uint32_t
get_be32(const uint8_t *p)
{
    return ntohl(get_unaligned_be32(ALIGNED_CAST(const ovs_be32 *, p)));
}

/* Decodes the frame at the start of the 'size' bytes at 'data' into
 * '*frame'.  On COLO_FRAME_BAD, stores a malloc'd description of the
 * problem in '*errorp' (the caller frees it). */
enum colo_frame_result
colo_frame_decode(const void *data_, size_t size, bool vnet_hdr,
                  struct colo_frame *frame, char **errorp)
{
    const uint8_t *data = data_;
    size_t hdr_size = vnet_hdr ? 8 : 4;

    *errorp = NULL;
    if (size < hdr_size) {
        return COLO_FRAME_NEED_MORE;
    }

    uint32_t len = get_be32(data);
    uint32_t vnet_len = vnet_hdr ? get_be32(data + 4) : 0;
    if (len > COLO_FRAME_MAX_LEN) {
        *errorp = xasprintf("frame length %"PRIu32" exceeds the maximum %d",
                            len, COLO_FRAME_MAX_LEN);
        return COLO_FRAME_BAD;
    }
    if (vnet_len > COLO_FRAME_MAX_VNET_HDR_LEN || vnet_len > len) {
        *errorp = xasprintf("invalid vnet_hdr_len %"PRIu32" (frame length %"
                            PRIu32")", vnet_len, len);
        return COLO_FRAME_BAD;
    }
    if (!len) {
        frame->eth_ofs = frame->consumed = hdr_size;
        frame->eth_size = 0;
        return COLO_FRAME_HEARTBEAT;
    }
    if (len - vnet_len < COLO_FRAME_MIN_ETH) {
        *errorp = xasprintf("%"PRIu32"-byte frame is shorter than an "
                            "Ethernet header", len - vnet_len);
        return COLO_FRAME_BAD;
    }
    if (size - hdr_size < len) {
        return COLO_FRAME_NEED_MORE;
    }
    frame->eth_ofs = hdr_size + vnet_len;
    frame->eth_size = len - vnet_len;
    frame->consumed = hdr_size + len;
    return COLO_FRAME_OK;
}
