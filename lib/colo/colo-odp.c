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
#include "colo/colo-odp.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "colo/colo-config.h"
#include "netlink.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

static const char *const op_names[] = {
    [OVS_COLO_OP_MIRROR] = "mirror",
    [OVS_COLO_OP_REWRITE] = "rewrite",
    [OVS_COLO_OP_COMPARE] = "compare",
};

const char *
colo_odp_op_to_string(enum ovs_colo_op op)
{
    return op < ARRAY_SIZE(op_names) ? op_names[op] : "unknown";
}

/* Appends OVS_ACTION_ATTR_COLO to 'actions'.  'recirc_id' 0 means none. */
void
colo_odp_put_action(struct ofpbuf *actions, enum ovs_colo_op op,
                    const char *pair, uint32_t recirc_id)
{
    size_t offset = nl_msg_start_nested(actions, OVS_ACTION_ATTR_COLO);

    nl_msg_put_u8(actions, OVS_COLO_ATTR_OP, op);
    nl_msg_put_string(actions, OVS_COLO_ATTR_PAIR, pair);
    if (recirc_id) {
        nl_msg_put_u32(actions, OVS_COLO_ATTR_RECIRC, recirc_id);
    }
    nl_msg_end_nested(actions, offset);
}

/* Parses OVS_ACTION_ATTR_COLO 'attr' into 'action'.  Returns 0 if
 * successful, EINVAL if 'attr' is malformed. */
int
colo_odp_parse_attr(const struct nlattr *attr, struct colo_odp_action *action)
{
    static const struct nl_policy policy[] = {
        [OVS_COLO_ATTR_OP] = { .type = NL_A_U8 },
        [OVS_COLO_ATTR_PAIR] = { .type = NL_A_STRING,
                                 .max_len = COLO_PAIR_NAME_MAX + 1 },
        [OVS_COLO_ATTR_RECIRC] = { .type = NL_A_U32, .optional = true },
    };
    struct nlattr *a[ARRAY_SIZE(policy)];

    if (!nl_parse_nested(attr, policy, a, ARRAY_SIZE(policy))) {
        return EINVAL;
    }
    uint8_t op = nl_attr_get_u8(a[OVS_COLO_ATTR_OP]);
    if (op >= ARRAY_SIZE(op_names)) {
        return EINVAL;
    }
    action->op = op;
    action->pair = nl_attr_get_string(a[OVS_COLO_ATTR_PAIR]);
    action->recirc_id = (a[OVS_COLO_ATTR_RECIRC]
                         ? nl_attr_get_u32(a[OVS_COLO_ATTR_RECIRC]) : 0);
    return 0;
}

/* Appends the text form of OVS_ACTION_ATTR_COLO 'attr' to 's'. */
void
colo_odp_format_action(struct ds *s, const struct nlattr *attr)
{
    struct colo_odp_action action;

    if (colo_odp_parse_attr(attr, &action)) {
        ds_put_cstr(s, "colo(error)");
        return;
    }
    ds_put_format(s, "colo(%s,pair=%s", colo_odp_op_to_string(action.op),
                  action.pair);
    if (action.recirc_id) {
        ds_put_format(s, ",recirc=%#"PRIx32, action.recirc_id);
    }
    ds_put_char(s, ')');
}

/* Parses the text form of a COLO action at the start of 's' and appends it
 * to 'actions'.  Returns the number of bytes parsed, or -EINVAL. */
int
colo_odp_parse_action(const char *s, struct ofpbuf *actions)
{
    const char *p = s;
    enum ovs_colo_op op;
    char pair[COLO_PAIR_NAME_MAX + 1];
    uint32_t recirc_id = 0;

    if (strncmp(p, "colo(", 5)) {
        return -EINVAL;
    }
    p += 5;
    for (op = 0; op < ARRAY_SIZE(op_names); op++) {
        size_t len = strlen(op_names[op]);

        if (!strncmp(p, op_names[op], len) && p[len] == ',') {
            p += len + 1;
            break;
        }
    }
    if (op >= ARRAY_SIZE(op_names) || strncmp(p, "pair=", 5)) {
        return -EINVAL;
    }
    p += 5;
    size_t len = strcspn(p, ",)");
    if (len > COLO_PAIR_NAME_MAX) {
        return -EINVAL;
    }
    memcpy(pair, p, len);
    pair[len] = '\0';
    if (!colo_pair_name_is_valid(pair)) {
        return -EINVAL;
    }
    p += len;
    if (!strncmp(p, ",recirc=", 8)) {
        char *end;
        unsigned long long int id;

        p += 8;
        id = strtoull(p, &end, 0);
        if (end == p || !id || id > UINT32_MAX) {
            return -EINVAL;
        }
        recirc_id = id;
        p = end;
    }
    if (*p != ')') {
        return -EINVAL;
    }
    p++;
    colo_odp_put_action(actions, op, pair, recirc_id);
    return p - s;
}
