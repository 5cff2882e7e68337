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
#include "colo/colo-config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "openvswitch/dynamic-string.h"
#include "smap.h"
#include "util.h"

/* Names of the modes, indexed by enum colo_mode. */
static const char *const mode_names[] = {
    [COLO_MODE_DISABLED] = "disabled",
    [COLO_MODE_PRIMARY] = "primary",
    [COLO_MODE_SECONDARY] = "secondary",
    [COLO_MODE_FAILOVER] = "failover",
};

/* Returns true if 'name' is usable as a pair name (see colo-config.h). */
bool
colo_pair_name_is_valid(const char *name)
{
    size_t len = strlen(name);

    if (!len || len > COLO_PAIR_NAME_MAX) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char) *p) && !strchr("_-.", *p)) {
            return false;
        }
    }
    return true;
}

/* Parses 's' as a mode name into '*mode'.  Returns true if successful,
 * false if 's' names no mode. */
bool
colo_mode_from_string(const char *s, enum colo_mode *mode)
{
    for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++) {
        if (!strcmp(s, mode_names[i])) {
            *mode = i;
            return true;
        }
    }
    return false;
}

const char *
colo_mode_to_string(enum colo_mode mode)
{
    return mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "<invalid>";
}

/* Definition of one option, generated from COLO_OPTIONS. */
struct colo_option_def {
    const char *key;            /* Key in the "options" column. */
    size_t offset;              /* Offset of the member in colo_options. */
    unsigned int min, max;      /* Valid range, inclusive. */
    unsigned int default_value; /* Value when the key is absent. */
    const char *unit;           /* For humans: "ms", "bytes", ... */
};

static const struct colo_option_def option_defs[] = {
#define COLO_OPTION(MEMBER, KEY, MIN, MAX, DEFAULT, UNIT)           \
    { KEY, offsetof(struct colo_options, MEMBER), MIN, MAX, DEFAULT, UNIT },
    COLO_OPTIONS
#undef COLO_OPTION
};

static unsigned int *
option_member(struct colo_options *options, const struct colo_option_def *d)
{
    return ALIGNED_CAST(unsigned int *, (char *) options + d->offset);
}

static unsigned int
option_value(const struct colo_options *options,
             const struct colo_option_def *d)
{
    return *ALIGNED_CAST(const unsigned int *,
                         (const char *) options + d->offset);
}

static const struct colo_option_def *
option_def_find(const char *key)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_defs); i++) {
        if (!strcmp(option_defs[i].key, key)) {
            return &option_defs[i];
        }
    }
    return NULL;
}

/* Sets every option in 'options' to its default. */
void
colo_options_init(struct colo_options *options)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_defs); i++) {
        *option_member(options, &option_defs[i])
            = option_defs[i].default_value;
    }
}

/* Returns a malloc'd error for 'key' with 'value', which is not a decimal
 * integer in the range of 'd' (or NULL if it is one, storing it in
 * '*valuep'). */
static char *
parse_option_value(const struct colo_option_def *d, const char *value,
                   unsigned int *valuep)
{
    const char *digits = value[0] == '-' ? value + 1 : value;
    size_t n = strspn(digits, "0123456789");

    if (!n || digits[n] != '\0') {
        return xasprintf("options:%s: \"%s\" is not a decimal integer",
                         d->key, value);
    }

    errno = 0;
    unsigned long long x = strtoull(digits, NULL, 10);
    if (value[0] == '-' || errno == ERANGE || x < d->min || x > d->max) {
        return xasprintf("options:%s: %s is out of range %u to %u%s%s%s",
                         d->key, value, d->min, d->max,
                         d->unit[0] ? " (" : "", d->unit,
                         d->unit[0] ? ")" : "");
    }
    *valuep = x;
    return NULL;
}

/* Parses the COLO table's "options" column 'smap' into 'options', starting
 * from the defaults.  Returns NULL if successful, otherwise a malloc'd error
 * message that starts with "options:KEY:" (the caller must free it); the
 * first bad key in alphabetical order is reported, and 'options' then holds
 * the defaults. */
char *
colo_options_parse(const struct smap *smap, struct colo_options *options)
{
    const struct smap_node **nodes = smap_sort(smap);
    size_t n = smap_count(smap);
    char *error = NULL;

    colo_options_init(options);
    for (size_t i = 0; i < n && !error; i++) {
        const char *key = nodes[i]->key;
        const struct colo_option_def *d = option_def_find(key);

        if (d) {
            error = parse_option_value(d, nodes[i]->value,
                                       option_member(options, d));
        } else {
            struct ds s = DS_EMPTY_INITIALIZER;

            ds_put_format(&s, "options:%s: unknown option (valid: ", key);
            for (size_t j = 0; j < ARRAY_SIZE(option_defs); j++) {
                ds_put_format(&s, "%s%s", j ? ", " : "", option_defs[j].key);
            }
            ds_put_char(&s, ')');
            error = ds_steal_cstr(&s);
        }
    }
    free(nodes);

    if (error) {
        colo_options_init(options);
    }
    return error;
}

/* Appends 'options' to 's' as "key=value unit" lines, each indented by four
 * spaces. */
void
colo_options_format(const struct colo_options *options, struct ds *s)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_defs); i++) {
        const struct colo_option_def *d = &option_defs[i];

        ds_put_format(s, "    %s=%u%s%s\n", d->key, option_value(options, d),
                      d->unit[0] ? " " : "", d->unit);
    }
}

bool
colo_options_equal(const struct colo_options *a, const struct colo_options *b)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_defs); i++) {
        if (option_value(a, &option_defs[i])
            != option_value(b, &option_defs[i])) {
            return false;
        }
    }
    return true;
}
