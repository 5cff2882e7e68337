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

#ifndef COLO_ODP_H
#define COLO_ODP_H 1

/* The COLO datapath action, OVS_ACTION_ATTR_COLO.
 *
 * One userspace-datapath action carries the three OpenFlow actions: a
 * nested attribute with the operation (mirror, rewrite, compare), the pair's
 * name and, optionally, the recirculation id with which packets continue
 * through the pipeline after the pair is done with them.  Its text form, in
 * ofproto/trace, dpctl/dump-flows and dpctl/add-flow, is
 *
 *     colo(OP,pair=NAME[,recirc=ID])
 *
 * with OP one of "mirror", "rewrite", "compare" and ID in hexadecimal as in
 * recirc(ID).
 *
 * Thread safety: the functions only touch their arguments. */

#include <stdint.h>
#include "odp-netlink.h"

struct ds;
struct nlattr;
struct ofpbuf;

/* A parsed OVS_ACTION_ATTR_COLO. */
struct colo_odp_action {
    enum ovs_colo_op op;
    const char *pair;           /* Points into the attribute. */
    uint32_t recirc_id;         /* 0 if the action has none. */
};

const char *colo_odp_op_to_string(enum ovs_colo_op);

void colo_odp_put_action(struct ofpbuf *, enum ovs_colo_op, const char *pair,
                         uint32_t recirc_id);
int colo_odp_parse_attr(const struct nlattr *, struct colo_odp_action *);

void colo_odp_format_action(struct ds *, const struct nlattr *);
int colo_odp_parse_action(const char *, struct ofpbuf *);

#endif /* colo-odp.h */
