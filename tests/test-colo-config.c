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

/* Unit tests of lib/colo/colo-config.c, driven by tests/colo.at:
 *
 *   ovstest test-colo-config options [KEY=VALUE]...
 *       parses the options, prints them or the error (exit status 1)
 *   ovstest test-colo-config modes
 *       checks that every mode name round-trips
 *   ovstest test-colo-config ranges
 *       checks, for every option, that both ends of its range are accepted
 *       and the values just outside are rejected with an error naming the
 *       option; prints one line per option */

#include <config.h>
#undef NDEBUG
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colo/colo-config.h"
#include "colo/colo-dp.h"
#include "command-line.h"
#include "openvswitch/dynamic-string.h"
#include "ovstest.h"
#include "smap.h"
#include "util.h"

static void
test_options(struct ovs_cmdl_context *ctx)
{
    struct smap smap = SMAP_INITIALIZER(&smap);
    struct colo_options options, defaults;

    for (int i = 1; i < ctx->argc; i++) {
        const char *eq = strchr(ctx->argv[i], '=');

        if (!eq) {
            ovs_fatal(0, "%s: argument must be KEY=VALUE", ctx->argv[i]);
        }
        smap_add_nocopy(&smap, xmemdup0(ctx->argv[i], eq - ctx->argv[i]),
                        xstrdup(eq + 1));
    }

    char *error = colo_options_parse(&smap, &options);
    smap_destroy(&smap);
    colo_options_init(&defaults);
    if (error) {
        /* A rejected configuration leaves nothing half applied. */
        ovs_assert(colo_options_equal(&options, &defaults));
        printf("error: %s\n", error);
        free(error);
        exit(1);
    }

    struct ds s = DS_EMPTY_INITIALIZER;
    colo_options_format(&options, &s);
    fputs(ds_cstr(&s), stdout);
    ds_destroy(&s);
}

/* Parses the single option 'key'='value' into 'options' and returns the
 * error, if any. */
static char *
parse_one(const char *key, long long int value, struct colo_options *options)
{
    struct smap smap = SMAP_INITIALIZER(&smap);

    smap_add_format(&smap, key, "%lld", value);
    char *error = colo_options_parse(&smap, options);
    smap_destroy(&smap);
    return error;
}

static void
check_out_of_range(const char *key, long long int value,
                   unsigned int min, unsigned int max, const char *unit)
{
    struct colo_options options, defaults;
    char *error = parse_one(key, value, &options);
    char *expected = xasprintf("options:%s: %lld is out of range %u to %u"
                               "%s%s%s", key, value, min, max,
                               unit[0] ? " (" : "", unit,
                               unit[0] ? ")" : "");

    if (!error || strcmp(error, expected)) {
        ovs_fatal(0, "%s=%lld: expected error \"%s\", got \"%s\"",
                  key, value, expected, error ? error : "(none)");
    }
    colo_options_init(&defaults);
    ovs_assert(colo_options_equal(&options, &defaults));
    free(expected);
    free(error);
}

static void
test_ranges(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
#define COLO_OPTION(MEMBER, KEY, MIN, MAX, DEFAULT, UNIT)               \
    {                                                                   \
        struct colo_options options;                                   \
        char *error;                                                    \
                                                                        \
        error = parse_one(KEY, MIN, &options);                          \
        ovs_assert(!error && options.MEMBER == (MIN));                  \
        error = parse_one(KEY, MAX, &options);                          \
        ovs_assert(!error && options.MEMBER == (MAX));                  \
        check_out_of_range(KEY, (long long int) (MIN) - 1, MIN, MAX, UNIT); \
        check_out_of_range(KEY, (long long int) (MAX) + 1, MIN, MAX, UNIT); \
        printf("%s: %lld and %lld rejected\n", KEY,                      \
               (long long int) (MIN) - 1, (long long int) (MAX) + 1);   \
    }
    COLO_OPTIONS
#undef COLO_OPTION
}

static void
test_modes(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    static const char *const names[] = {
        "disabled", "primary", "secondary", "failover",
    };
    enum colo_mode mode;

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        ovs_assert(colo_mode_from_string(names[i], &mode));
        ovs_assert(!strcmp(colo_mode_to_string(mode), names[i]));
    }
    ovs_assert(!colo_mode_from_string("Primary", &mode));
    ovs_assert(!colo_mode_from_string("", &mode));
    ovs_assert(!strcmp(colo_mode_to_string(99), "<invalid>"));
}

/* Prints every statistic's key, the comparator's, the rewriter's, then the
 * datapath glue's, each in the order of "colo/show", after checking the
 * table: keys unique, sorted order sorted, every mode's set as
 * documented. */
static void
test_stats(struct ovs_cmdl_context *ctx OVS_UNUSED)
{
    const struct colo_stat_def *all[2 * COLO_DP_N_STATS];
    const struct colo_stat_def *defs[COLO_DP_N_STATS];
    size_t n_all = 0, n_dp;

    n_dp = colo_dp_stat_defs(COLO_MODE_DISABLED, false, defs);
    for (size_t i = 0; i < n_dp; i++) {
        ovs_assert(defs[i]->dp);
    }
    for (enum colo_mode mode = 0; mode <= COLO_MODE_FAILOVER; mode++) {
        for (int sorted = 0; sorted < 2; sorted++) {
            size_t n = colo_dp_stat_defs(mode, sorted, defs);

            for (size_t i = 0; i < n; i++) {
                ovs_assert(defs[i]->dp
                           || defs[i]->rewrite == (mode != COLO_MODE_PRIMARY));
                ovs_assert(!sorted || !i
                           || strcmp(defs[i - 1]->key, defs[i]->key) < 0);
            }
            if (!sorted && (mode == COLO_MODE_PRIMARY
                            || mode == COLO_MODE_SECONDARY)) {
                for (size_t i = 0; i < n; i++) {
                    if (!defs[i]->dp) {
                        all[n_all++] = defs[i];
                    }
                }
            }
        }
    }
    n_dp = colo_dp_stat_defs(COLO_MODE_DISABLED, false, defs);
    for (size_t i = 0; i < n_dp; i++) {
        all[n_all++] = defs[i];
    }
    ovs_assert(n_all == COLO_DP_N_STATS);
    for (size_t i = 0; i < n_all; i++) {
        for (size_t j = 0; j < i; j++) {
            ovs_assert(strcmp(all[i]->key, all[j]->key));
        }
        ovs_assert(all[i]->description && all[i]->description[0]);
        printf("%s\n", all[i]->key);
    }
}

static const struct ovs_cmdl_command commands[] = {
    {"options", "[KEY=VALUE]...", 0, INT_MAX, test_options, OVS_RO},
    {"modes", NULL, 0, 0, test_modes, OVS_RO},
    {"ranges", NULL, 0, 0, test_ranges, OVS_RO},
    {"stats", NULL, 0, 0, test_stats, OVS_RO},
    {NULL, NULL, 0, 0, NULL, OVS_RO},
};

static void
test_colo_config_main(int argc, char *argv[])
{
    struct ovs_cmdl_context ctx = {
        .argc = argc - 1,
        .argv = argv + 1,
    };

    set_program_name(argv[0]);
    ovs_cmdl_run_command(&ctx, commands);
}

OVSTEST_REGISTER("test-colo-config", test_colo_config_main);
