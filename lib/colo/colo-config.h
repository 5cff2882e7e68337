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

#ifndef COLO_CONFIG_H
#define COLO_CONFIG_H 1

/* Configuration of a COLO pair.
 *
 * A pair's configuration comes from one row of the OVSDB COLO table: a mode
 * and a set of integer options.  This module turns the database's strings
 * into validated values and back into text, and knows nothing of OVSDB
 * itself, so that the engine and its unit tests can use it too.
 *
 * Thread safety: the functions only touch their arguments. */

#include <stdbool.h>
#include "compiler.h"

struct ds;
struct smap;

/* The role of this node for a pair. */
enum colo_mode {
    COLO_MODE_DISABLED,         /* Does nothing (also: mode not set). */
    COLO_MODE_PRIMARY,          /* Runs the PVM: mirror and compare. */
    COLO_MODE_SECONDARY,        /* Runs the SVM: rewrite, send output. */
    COLO_MODE_FAILOVER,         /* The SVM took over from a lost primary. */
};

/* A pair's name: 1 to COLO_PAIR_NAME_MAX letters, digits, '_', '-' or '.',
 * so that OpenFlow actions and datapath actions can carry it. */
#define COLO_PAIR_NAME_MAX 31
bool colo_pair_name_is_valid(const char *);

bool colo_mode_from_string(const char *, enum colo_mode *);
const char *colo_mode_to_string(enum colo_mode);

/* COLO_OPTION(MEMBER, KEY, MIN, MAX, DEFAULT, UNIT): one option of the
 * COLO table's "options" column.  Values are decimal integers in
 * [MIN, MAX]; an empty UNIT marks a flag (0 or 1).  vswitchd/vswitch.xml
 * documents each KEY; keep it in sync. */
#define COLO_OPTIONS                                                        \
    COLO_OPTION(compare_timeout, "compare-timeout", 1, 3600000, 3000, "ms") \
    COLO_OPTION(scan_period, "scan-period", 1, 60000, 100, "ms")            \
    COLO_OPTION(max_queue_packets, "max-queue-packets", 1, 1048576, 16384,  \
                "packets")                                                  \
    COLO_OPTION(max_queue_bytes, "max-queue-bytes", 65536, 1073741824,      \
                16777216, "bytes")                                          \
    COLO_OPTION(max_connections, "max-connections", 1, 4194304, 65536,      \
                "connections")                                              \
    COLO_OPTION(idle_timeout, "idle-timeout", 1000, 86400000, 300000, "ms") \
    COLO_OPTION(tcp_timestamp_offset, "tcp-timestamp-offset", 0, 1, 1, "") \
    COLO_OPTION(secondary_gap_timeout, "secondary-gap-timeout", 0, 60000,  \
                20, "ms")                                                   \
    COLO_OPTION(port_rx_buffer, "port-rx-buffer", 0, 268435456, 4194304,   \
                "bytes")                                                    \
    COLO_OPTION(fencing, "fencing", 0, 1, 0, "")

/* A pair's options in effect. */
struct colo_options {
#define COLO_OPTION(MEMBER, KEY, MIN, MAX, DEFAULT, UNIT) \
    unsigned int MEMBER;
    COLO_OPTIONS
#undef COLO_OPTION
};

void colo_options_init(struct colo_options *);
char *colo_options_parse(const struct smap *, struct colo_options *)
    OVS_WARN_UNUSED_RESULT;
void colo_options_format(const struct colo_options *, struct ds *);
bool colo_options_equal(const struct colo_options *,
                        const struct colo_options *);

#endif /* colo-config.h */
