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

#ifndef COLO_NOTIFY_H
#define COLO_NOTIFY_H 1

/* The notify protocol of QEMU's colo-compare ("notify_dev"), which Xen's
 * COLO manager (libxl) speaks: on a byte stream, each message is a
 * big-endian u32 length followed by that many bytes of ASCII, without a
 * NUL.
 *
 *   proxy -> manager   DO_CHECKPOINT               a checkpoint is needed
 *   manager -> proxy   COLO_USERSPACE_PROXY_INIT   hello...
 *   proxy -> manager   COLO_COMPARE_GET_XEN_INIT   ...answered
 *   manager -> proxy   COLO_CHECKPOINT             a checkpoint is done
 *
 * Thread safety: the functions only touch their arguments. */

#include <stdbool.h>
#include <stddef.h>

struct ofpbuf;

#define COLO_NOTIFY_DO_CHECKPOINT "DO_CHECKPOINT"
#define COLO_NOTIFY_PROXY_INIT "COLO_USERSPACE_PROXY_INIT"
#define COLO_NOTIFY_PROXY_INIT_REPLY "COLO_COMPARE_GET_XEN_INIT"
#define COLO_NOTIFY_CHECKPOINT "COLO_CHECKPOINT"

/* Longest message accepted.  The protocol's messages are at most 25 bytes;
 * anything much longer is not this protocol. */
#define COLO_NOTIFY_MAX_LEN 256

void colo_notify_encode(struct ofpbuf *, const char *message);

/* Result of colo_notify_decode(). */
enum colo_notify_result {
    COLO_NOTIFY_NEED_MORE,      /* Not a whole message yet. */
    COLO_NOTIFY_OK,             /* One message decoded. */
    COLO_NOTIFY_BAD,            /* Invalid input: the stream must close. */
};

enum colo_notify_result colo_notify_decode(const void *data, size_t size,
                                           char **messagep, size_t *consumed,
                                           char **errorp);

#endif /* colo-notify.h */
