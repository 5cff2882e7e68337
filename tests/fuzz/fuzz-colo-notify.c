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

/* libFuzzer target: the notify protocol decoder of ovs-colo-notify, on a
 * byte stream as a manager could send it, message after message.  Every
 * message decoded must lie inside the input and be printable ASCII; a
 * message re-encoded must give the same bytes. */

#include <config.h>
#include <stdint.h>
#include <string.h>
#include "colo/colo-notify.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    while (size) {
        char *message, *error;
        size_t consumed;

        enum colo_notify_result r = colo_notify_decode(data, size, &message,
                                                       &consumed, &error);
        if (r == COLO_NOTIFY_BAD) {
            ovs_assert(error && !message);
            free(error);
            break;
        }
        ovs_assert(!error);
        if (r == COLO_NOTIFY_NEED_MORE) {
            ovs_assert(!message);
            break;
        }

        size_t len = strlen(message);
        ovs_assert(consumed == 4 + len && consumed <= size);
        ovs_assert(len <= COLO_NOTIFY_MAX_LEN);
        for (size_t i = 0; i < len; i++) {
            ovs_assert(message[i] >= 0x20 && message[i] <= 0x7e);
        }

        /* Round trip. */
        struct ofpbuf buf;

        ofpbuf_init(&buf, 0);
        colo_notify_encode(&buf, message);
        ovs_assert(buf.size == consumed && !memcmp(buf.data, data, consumed));
        ofpbuf_uninit(&buf);
        free(message);

        data += consumed;
        size -= consumed;
    }
    return 0;
}
