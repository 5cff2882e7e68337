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

#ifndef COLO_FRAME_H
#define COLO_FRAME_H 1

/* Framing of the COLO channel, compatible with QEMU's COLO proxy sockets
 * (colo-compare, filter-mirror, filter-redirector).
 *
 * Each frame on the byte stream is a big-endian u32 'len', then, only when
 * vnet headers are on, a big-endian u32 'vnet_hdr_len', then 'len' bytes:
 * 'vnet_hdr_len' bytes of virtio-net header followed by the Ethernet frame
 * (no FCS).  There is no magic number and no version.
 *
 * Heartbeats (our extension): a frame of 'len' 0 (and 'vnet_hdr_len' 0)
 * carries nothing and tells the receiver that its peer is alive.  QEMU would
 * take it for an empty packet, so it is sent only to peers configured for
 * it (the colo port's options:heartbeat-interval); it is accepted from any
 * peer.
 *
 * Thread safety: the functions only touch their arguments. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ofpbuf;

/* Largest 'len' accepted, as in QEMU. */
#define COLO_FRAME_MAX_LEN (4096 + 65536)

/* Largest valid 'vnet_hdr_len', and the one we send. */
#define COLO_FRAME_MAX_VNET_HDR_LEN 20
#define COLO_FRAME_VNET_HDR_LEN 12

/* Smallest Ethernet frame accepted. */
#define COLO_FRAME_MIN_ETH 14

void colo_frame_encode(struct ofpbuf *, const void *eth, size_t eth_size,
                       bool vnet_hdr);
void colo_frame_encode_heartbeat(struct ofpbuf *, bool vnet_hdr);

/* Result of colo_frame_decode(). */
enum colo_frame_result {
    COLO_FRAME_NEED_MORE,       /* Not a whole frame yet. */
    COLO_FRAME_OK,              /* One frame decoded. */
    COLO_FRAME_HEARTBEAT,       /* A heartbeat ('consumed' bytes). */
    COLO_FRAME_BAD,             /* Invalid input: the stream must close. */
};

/* A decoded frame: the Ethernet frame is 'eth_size' bytes at 'eth_ofs' from
 * the start of the input, and the whole frame took 'consumed' bytes. */
struct colo_frame {
    size_t eth_ofs;
    size_t eth_size;
    size_t consumed;
};

enum colo_frame_result colo_frame_decode(const void *data, size_t size,
                                         bool vnet_hdr, struct colo_frame *,
                                         char **errorp);

#endif /* colo-frame.h */
