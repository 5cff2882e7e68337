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
#include "colo/colo-notify.h"

#include <string.h>

#include "byte-order.h"
#include "openvswitch/ofpbuf.h"
#include "unaligned.h"
#include "util.h"

/* Appends 'message' to 'b' as one frame. */
void
colo_notify_encode(struct ofpbuf *b, const char *message)
{
    size_t len = strlen(message);

    ovs_assert(len <= COLO_NOTIFY_MAX_LEN);
    ovs_be32 hdr = htonl(len);

    ofpbuf_put(b, &hdr, sizeof hdr);
    ofpbuf_put(b, message, len);
}

/* Decodes the first message of the 'size' bytes at 'data'.  On
 * COLO_NOTIFY_OK, stores the message as a malloc'd string in '*messagep'
 * and the bytes it took in '*consumed'.  On COLO_NOTIFY_BAD, stores a
 * malloc'd error in '*errorp': a length over COLO_NOTIFY_MAX_LEN, or a byte
 * that is not printable ASCII. */
enum colo_notify_result
colo_notify_decode(const void *data_, size_t size, char **messagep,
                   size_t *consumed, char **errorp)
{
    const uint8_t *data = data_;

    *messagep = NULL;
    *errorp = NULL;
    if (size < 4) {
        return COLO_NOTIFY_NEED_MORE;
    }

    uint32_t len = ntohl(get_unaligned_be32(ALIGNED_CAST(const ovs_be32 *,
                                                         data)));
    if (len > COLO_NOTIFY_MAX_LEN) {
        *errorp = xasprintf("message length %"PRIu32" exceeds the maximum %d",
                            len, COLO_NOTIFY_MAX_LEN);
        return COLO_NOTIFY_BAD;
    }
    if (size - 4 < len) {
        return COLO_NOTIFY_NEED_MORE;
    }
    for (uint32_t i = 0; i < len; i++) {
        uint8_t c = data[4 + i];

        if (c < 0x20 || c > 0x7e) {
            *errorp = xasprintf("byte 0x%02"PRIx8" at offset %"PRIu32" of a "
                                "%"PRIu32"-byte message is not printable "
                                "ASCII", c, i, len);
            return COLO_NOTIFY_BAD;
        }
    }
    *messagep = xmemdup0((const char *) data + 4, len);
    *consumed = 4 + len;
    return COLO_NOTIFY_OK;
}
