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
#include "colo-ctl.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

#include "colo/colo-config.h"
#include "colo/colo-dp.h"
#include "colo/colo-stats.h"
#include "colo/netdev-colo.h"
#include "netdev.h"
#include "ofproto/ofproto.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "seq.h"
#include "smap.h"
#include "sset.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"
#include "uuid.h"
#include "lib/vswitch-idl.h"

VLOG_DEFINE_THIS_MODULE(colo_ctl);

/* How often, in milliseconds, changed statistics are written to OVSDB. */
#define COLO_STATS_INTERVAL 1000

/* How long, in milliseconds, a graceful exit waits at most for the packets
 * that COLO pairs release to leave. */
#define COLO_CTL_EXIT_DRAIN 5000

/* A COLO pair: one row of the COLO table, validated. */
struct colo_ctl_pair {
    struct hmap_node node;      /* In 'all_pairs', hashed on 'name'. */
    char *name;                 /* The row's "name" (immutable). */
    struct uuid row_uuid;       /* The row's UUID. */

    /* Configuration in effect.  When 'error' is nonnull the row failed
     * validation, the pair is inactive and only 'mode' is meaningful. */
    enum colo_mode mode;
    struct colo_options options;
    char *channel;              /* Channel interface name, or NULL. */
    char *bridge;               /* Bridge holding 'channel', or NULL. */
    char *error;                /* Why the row was rejected, or NULL. */

    struct colo_dp_pair *dp;    /* Engines and datapath state. */

    /* Checkpoint protocol (see vswitch.xml, table COLO). */
    bool done_known;            /* 'last_done' and 'request' read yet? */
    int64_t last_done;          /* Last checkpoint_done acted upon. */
    int64_t unixctl_done;       /* Last "colo/checkpoint-done" number. */
    int64_t last_started;       /* Last checkpoint_started acted upon. */
    int64_t unixctl_started;    /* Last "colo/checkpoint-started" number. */
    int64_t request;            /* Last checkpoint_request number. */
    char *reason;               /* Its reason, if this process raised it. */
    bool awaiting;              /* Is 'request' outstanding? */
    bool renumbering;           /* Numbering starts over: checkpoint_done=0
                                 * and checkpoint_request=1 not yet in the
                                 * row. */
};

/* All pairs, one per COLO row.  Main thread only. */
static struct hmap all_pairs = HMAP_INITIALIZER(&all_pairs);

/* IDL sequence number at the last reconfiguration. */
static unsigned int idl_seqno;

/* Transaction that publishes status and statistics, while it is in flight,
 * and when the next statistics update is due. */
static struct ovsdb_idl_txn *publish_txn;
static long long int next_stats_publish = LLONG_MIN;

static uint64_t colo_dp_seqno;

static unixctl_cb_func colo_ctl_unixctl_show;
static unixctl_cb_func colo_ctl_unixctl_dump_conns;
static unixctl_cb_func colo_ctl_unixctl_checkpoint;
static unixctl_cb_func colo_ctl_unixctl_lease;

/* Initializes the module: registers interest in the COLO table's columns
 * that ovs-vswitchd writes (so that its own writes do not look like new
 * configuration) and in checkpoint_done, the unixctl commands and the
 * "colo" netdev class. */
void
colo_ctl_init(struct ovsdb_idl *idl)
{
    ovsdb_idl_omit_alert(idl, &ovsrec_colo_col_status);
    ovsdb_idl_omit_alert(idl, &ovsrec_colo_col_statistics);
    ovsdb_idl_omit_alert(idl, &ovsrec_colo_col_checkpoint_request);
    ovsdb_idl_omit_alert(idl, &ovsrec_colo_col_checkpoint_reason);
    /* A manager's checkpoint_done is read by colo_ctl_run() on every
     * iteration (the database connection wakes the main loop): it is no
     * reason to reconfigure every bridge, which sat on the path from the
     * acknowledgment to the first release. */
    ovsdb_idl_omit_alert(idl, &ovsrec_colo_col_checkpoint_done);
    ovsdb_idl_omit_alert(idl, &ovsrec_colo_col_checkpoint_started);
    ovsdb_idl_omit(idl, &ovsrec_colo_col_external_ids);

    unixctl_command_register("colo/show", "[pair]", 0, 1,
                             colo_ctl_unixctl_show, idl);
    unixctl_command_register("colo/dump-conns", "pair", 1, 1,
                             colo_ctl_unixctl_dump_conns, NULL);
    unixctl_command_register("colo/checkpoint-done", "pair number", 2, 2,
                             colo_ctl_unixctl_checkpoint, idl);
    unixctl_command_register("colo/checkpoint-started", "pair number", 2, 2,
                             colo_ctl_unixctl_checkpoint, idl);
    unixctl_command_register("colo/lease", "pair ms|@expiry [solo]", 2, 3,
                             colo_ctl_unixctl_lease, NULL);
    netdev_colo_register();
    colo_dp_seqno = seq_read(colo_dp_seq());
}

static struct colo_ctl_pair *
colo_ctl_pair_find(const char *name)
{
    struct colo_ctl_pair *pair;

    HMAP_FOR_EACH_WITH_HASH (pair, node, hash_string(name, 0), &all_pairs) {
        if (!strcmp(pair->name, name)) {
            return pair;
        }
    }
    return NULL;
}

static struct colo_ctl_pair *
colo_ctl_pair_create(const char *name)
{
    struct colo_ctl_pair *pair = xzalloc(sizeof *pair);

    pair->name = xstrdup(name);
    colo_options_init(&pair->options);
    pair->dp = colo_dp_pair_create(name);
    hmap_insert(&all_pairs, &pair->node, hash_string(name, 0));
    return pair;
}

static void
colo_ctl_pair_destroy(struct colo_ctl_pair *pair)
{
    if (pair) {
        VLOG_INFO("COLO pair %s: removed", pair->name);
        hmap_remove(&all_pairs, &pair->node);
        colo_dp_pair_destroy(pair->dp);
        free(pair->reason);
        free(pair->name);
        free(pair->channel);
        free(pair->bridge);
        free(pair->error);
        free(pair);
    }
}

/* Fills 'iface_bridges' with a map from the name of every interface
 * attached to a bridge to that bridge's name (not copied). */
static void
map_interfaces_to_bridges(struct ovsdb_idl *idl, struct shash *iface_bridges)
{
    const struct ovsrec_bridge *br;

    OVSREC_BRIDGE_FOR_EACH (br, idl) {
        for (size_t i = 0; i < br->n_ports; i++) {
            const struct ovsrec_port *port = br->ports[i];

            for (size_t j = 0; j < port->n_interfaces; j++) {
                shash_add_once(iface_bridges, port->interfaces[j]->name,
                               br->name);
            }
        }
    }
}

/* The configuration of one row, as validated by colo_ctl_validate(). */
struct colo_ctl_config {
    enum colo_mode mode;
    struct colo_options options;
    const char *channel;        /* Row's channel, or NULL. */
    const char *bridge;         /* Bridge holding 'channel', or NULL. */
};

/* Validates 'row' into 'cfg'.  'iface_bridges' maps attached interfaces to
 * bridges; 'channels' maps the channels claimed by the rows validated before
 * this one to their pairs' names, and gets this row's channel if it is
 * valid.  Returns NULL if 'row' is valid, otherwise a malloc'd message that
 * starts with the name of the column at fault. */
static char *
colo_ctl_validate(const struct ovsrec_colo *row,
                  const struct shash *iface_bridges, struct shash *channels,
                  struct colo_ctl_config *cfg)
{
    cfg->mode = COLO_MODE_DISABLED;
    cfg->channel = row->channel;
    cfg->bridge = NULL;
    colo_options_init(&cfg->options);

    if (!colo_pair_name_is_valid(row->name)) {
        return xasprintf("name: \"%s\" is not a valid pair name (1 to %d "
                         "letters, digits, '_', '-' or '.')", row->name,
                         COLO_PAIR_NAME_MAX);
    }
    if (row->mode && !colo_mode_from_string(row->mode, &cfg->mode)) {
        return xasprintf("mode: unknown mode \"%s\"", row->mode);
    }

    char *error = colo_options_parse(&row->options, &cfg->options);
    if (error) {
        return error;
    }

    if (cfg->mode == COLO_MODE_DISABLED) {
        if (row->channel) {
            cfg->bridge = shash_find_data(iface_bridges, row->channel);
        }
        return NULL;
    }
    if (!row->channel) {
        return xasprintf("channel: required in mode %s",
                         colo_mode_to_string(cfg->mode));
    }
    cfg->bridge = shash_find_data(iface_bridges, row->channel);
    if (!cfg->bridge) {
        return xasprintf("channel: no interface named \"%s\" on any bridge",
                         row->channel);
    }
    const char *owner = shash_find_data(channels, row->channel);
    if (owner) {
        return xasprintf("channel: interface \"%s\" is already the channel "
                         "of pair \"%s\"", row->channel, owner);
    }
    shash_add(channels, row->channel, row->name);
    return NULL;
}

static bool
nullable_string_equal(const char *a, const char *b)
{
    return a ? b && !strcmp(a, b) : !b;
}

static void
replace_string(char **dst, const char *src)
{
    free(*dst);
    *dst = nullable_xstrdup(src);
}

/* Makes 'pair' take on 'cfg' (if 'error' is NULL) or become inactive with
 * 'error' (which it takes ownership of), logging what changed. */
static void
colo_ctl_pair_apply(struct colo_ctl_pair *pair,
                    const struct colo_ctl_config *cfg, char *error)
{
    if (error) {
        if (!nullable_string_equal(pair->error, error)) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

            VLOG_WARN_RL(&rl, "COLO pair %s: invalid configuration, pair "
                         "inactive: %s", pair->name, error);
        }
        free(pair->error);
        pair->error = error;
        pair->mode = cfg->mode;
        replace_string(&pair->channel, NULL);
        replace_string(&pair->bridge, NULL);
        colo_dp_pair_configure(pair->dp, COLO_MODE_DISABLED, &pair->options,
                               NULL);
        return;
    }

    bool changed = (pair->error
                    || pair->mode != cfg->mode
                    || !nullable_string_equal(pair->channel, cfg->channel)
                    || !nullable_string_equal(pair->bridge, cfg->bridge)
                    || !colo_options_equal(&pair->options, &cfg->options));
    free(pair->error);
    pair->error = NULL;
    pair->mode = cfg->mode;
    pair->options = cfg->options;
    replace_string(&pair->channel, cfg->channel);
    replace_string(&pair->bridge, cfg->bridge);
    colo_dp_pair_configure(pair->dp, pair->mode, &pair->options,
                           pair->channel);
    if (changed) {
        VLOG_INFO("COLO pair %s: mode %s, channel %s, bridge %s",
                  pair->name, colo_mode_to_string(pair->mode),
                  pair->channel ? pair->channel : "(none)",
                  pair->bridge ? pair->bridge : "(none)");
    }
}

static int
compare_rows_by_name(const void *a_, const void *b_)
{
    const struct ovsrec_colo *const *a = a_;
    const struct ovsrec_colo *const *b = b_;

    return strcmp((*a)->name, (*b)->name);
}

/* Reads every COLO row and brings 'all_pairs' in line with them.  Rows are
 * visited in name order, so that when two rows conflict the same one is
 * always rejected. */
static void
colo_ctl_reconfigure(struct ovsdb_idl *idl)
{
    struct shash iface_bridges = SHASH_INITIALIZER(&iface_bridges);
    struct shash channels = SHASH_INITIALIZER(&channels);
    const struct ovsrec_colo **rows = NULL;
    size_t n_rows = 0, allocated_rows = 0;
    const struct ovsrec_colo *row;

    map_interfaces_to_bridges(idl, &iface_bridges);
    OVSREC_COLO_FOR_EACH (row, idl) {
        if (n_rows >= allocated_rows) {
            rows = x2nrealloc(rows, &allocated_rows, sizeof *rows);
        }
        rows[n_rows++] = row;
    }
    if (n_rows) {
        qsort(rows, n_rows, sizeof *rows, compare_rows_by_name);
    }

    struct hmap old_pairs = HMAP_INITIALIZER(&old_pairs);
    hmap_swap(&old_pairs, &all_pairs);
    for (size_t i = 0; i < n_rows; i++) {
        struct colo_ctl_config cfg;
        char *error;

        row = rows[i];
        struct colo_ctl_pair *pair = NULL;
        uint32_t hash = hash_string(row->name, 0);
        HMAP_FOR_EACH_WITH_HASH (pair, node, hash, &old_pairs) {
            if (!strcmp(pair->name, row->name)) {
                break;
            }
        }
        if (pair) {
            hmap_remove(&old_pairs, &pair->node);
            hmap_insert(&all_pairs, &pair->node, hash);
        } else {
            pair = colo_ctl_pair_create(row->name);
        }
        pair->row_uuid = row->header_.uuid;

        error = colo_ctl_validate(row, &iface_bridges, &channels, &cfg);
        colo_ctl_pair_apply(pair, &cfg, error);
    }

    struct colo_ctl_pair *pair;
    HMAP_FOR_EACH_SAFE (pair, node, &old_pairs) {
        hmap_insert(&all_pairs, &pair->node, pair->node.hash);
        colo_ctl_pair_destroy(pair);
    }
    hmap_destroy(&old_pairs);

    free(rows);
    shash_destroy(&channels);
    shash_destroy(&iface_bridges);
}

static const char *
colo_ctl_pair_state(const struct colo_ctl_pair *pair)
{
    return (pair->error ? "error"
            : pair->mode == COLO_MODE_DISABLED ? "disabled"
            : "active");
}

/* Fills 'status' with what the "status" column of 'pair' should hold. */
static void
colo_ctl_pair_get_status(const struct colo_ctl_pair *pair,
                         struct smap *status)
{
    smap_add(status, "state", colo_ctl_pair_state(pair));
    smap_add(status, "mode", colo_mode_to_string(pair->mode));
    if (pair->error) {
        smap_add(status, "error", pair->error);
    }
    if (pair->channel) {
        smap_add(status, "channel", pair->channel);
    }
    if (pair->bridge) {
        smap_add(status, "bridge", pair->bridge);
    }
    if (!pair->error && pair->mode != COLO_MODE_DISABLED) {
        colo_dp_pair_get_status(pair->dp, status);
        if (pair->last_started > pair->last_done) {
            smap_add_format(status, "checkpoint", "started %"PRId64,
                            pair->last_started);
        } else if (pair->awaiting) {
            smap_add_format(status, "checkpoint", "requested %"PRId64,
                            pair->request);
        }
    }
}

/* Returns true if the "statistics" column of 'row' differs from the 'n'
 * sorted 'keys' and their 'values'. */
static bool
row_stats_differ(const struct ovsrec_colo *row,
                 const char *keys[], const int64_t values[], size_t n)
{
    if (row->n_statistics != n) {
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(row->key_statistics[i], keys[i])
            || row->value_statistics[i] != values[i]) {
            return true;
        }
    }
    return false;
}

/* Creates 'publish_txn' on 'idl' if it does not exist yet, so that a
 * transaction is only made when some column needs writing. */
static void
publish_txn_start(struct ovsdb_idl *idl)
{
    if (!publish_txn) {
        publish_txn = ovsdb_idl_txn_create(idl);
        ovsdb_idl_txn_add_comment(publish_txn, "ovs-vswitchd: COLO status");
    }
}

/* Writes the "statistics" column of 'row' from 'pair', if it changed.
 * Inactive pairs publish no statistics. */
static void
colo_ctl_pair_publish_stats(struct ovsdb_idl *idl,
                            const struct colo_ctl_pair *pair,
                            const struct ovsrec_colo *row)
{
    const struct colo_stat_def *defs[COLO_DP_N_STATS];
    const char *keys[COLO_DP_N_STATS];
    int64_t values[COLO_DP_N_STATS];
    size_t n = 0;

    if (!pair->error && pair->mode != COLO_MODE_DISABLED) {
        struct colo_dp_pair_stats stats;

        colo_dp_pair_get_stats(pair->dp, &stats);
        /* In key order: the IDL keeps maps sorted by key. */
        n = colo_dp_stat_defs(pair->mode, true, defs);
        for (size_t i = 0; i < n; i++) {
            keys[i] = defs[i]->key;
            values[i] = colo_dp_stat_value(&stats, defs[i]);
        }
    }
    if (row_stats_differ(row, keys, values, n)) {
        publish_txn_start(idl);
        ovsrec_colo_set_statistics(row, keys, values, n);
    }
}

/* Brings the "status" and, when due, "statistics" columns of every row in
 * line with 'all_pairs', with at most one transaction in flight and none
 * when nothing changed. */
static void
colo_ctl_publish(struct ovsdb_idl *idl)
{
    if (publish_txn) {
        if (ovsdb_idl_txn_commit(publish_txn) == TXN_INCOMPLETE) {
            return;
        }
        ovsdb_idl_txn_destroy(publish_txn);
        publish_txn = NULL;
    }

    bool stats_due = time_msec() >= next_stats_publish;
    struct colo_ctl_pair *pair;

    HMAP_FOR_EACH (pair, node, &all_pairs) {
        const struct ovsrec_colo *row
            = ovsrec_colo_get_for_uuid(idl, &pair->row_uuid);
        struct smap status = SMAP_INITIALIZER(&status);

        if (!row) {
            continue;
        }
        if (pair->reason && row->checkpoint_request != pair->request) {
            publish_txn_start(idl);
            ovsrec_colo_set_checkpoint_request(row, pair->request);
            ovsrec_colo_set_checkpoint_reason(row, pair->reason);
            if (pair->renumbering) {
                /* Fails, and is tried again, if a manager wrote
                 * checkpoint_done meanwhile. */
                ovsrec_colo_verify_checkpoint_done(row);
                ovsrec_colo_set_checkpoint_done(row, 0);
            }
        }

        colo_ctl_pair_get_status(pair, &status);
        if (!smap_equal(&status, &row->status)) {
            publish_txn_start(idl);
            ovsrec_colo_set_status(row, &status);
        }
        smap_destroy(&status);

        if (stats_due) {
            colo_ctl_pair_publish_stats(idl, pair, row);
        }
    }
    if (stats_due) {
        next_stats_publish = time_msec() + COLO_STATS_INTERVAL;
    }

    if (publish_txn
        && ovsdb_idl_txn_commit(publish_txn) != TXN_INCOMPLETE) {
        ovsdb_idl_txn_destroy(publish_txn);
        publish_txn = NULL;
    }
}

/* Acts on a checkpoint of 'pair' numbered 'done' (from checkpoint_done in
 * 'row' or from "colo/checkpoint-done"), if it is new. */
static void
colo_ctl_pair_checkpoint_done(struct colo_ctl_pair *pair, int64_t done)
{
    if (done <= pair->last_done) {
        return;
    }
    pair->last_done = done;
    if (pair->awaiting && done >= pair->request) {
        VLOG_INFO("COLO pair %s: checkpoint %"PRId64" done", pair->name,
                  done);
    } else {
        VLOG_INFO("COLO pair %s: checkpoint %"PRId64" done (not the one "
                  "requested: taken as a manager-initiated checkpoint)",
                  pair->name, done);
    }
    pair->awaiting = false;
    colo_dp_pair_checkpoint_done(pair->dp);
}

/* Acts on the start of a checkpoint of 'pair' numbered 'started' (from
 * checkpoint_started in its row or from "colo/checkpoint-started"): the VMs
 * stopped for it.  Ignored unless it is newer than both the last start and
 * the last done. */
static void
colo_ctl_pair_checkpoint_start(struct colo_ctl_pair *pair, int64_t started)
{
    if (started <= pair->last_started || started <= pair->last_done) {
        return;
    }
    pair->last_started = started;
    VLOG_INFO("COLO pair %s: checkpoint %"PRId64" started", pair->name,
              started);
    colo_dp_pair_checkpoint_start(pair->dp);
}

/* Runs the checkpoint protocol of 'pair' against its 'row': a checkpoint
 * start closes the pair's epoch, a checkpoint done settles it, and a new
 * request of the pair gets the next number. */
static void
colo_ctl_pair_run_checkpoint(struct colo_ctl_pair *pair,
                             const struct ovsrec_colo *row)
{
    if (!pair->done_known) {
        /* First look at the row (new pair, or ovs-vswitchd restarted):
         * take its numbers as they are. */
        pair->done_known = true;
        pair->last_done = row->checkpoint_done;
        pair->last_started = row->checkpoint_started;
        pair->request = row->checkpoint_request;
    }
    if (pair->renumbering) {
        if (row->checkpoint_request != pair->request) {
            /* The row still has the old numbers. */
            return;
        }
        pair->renumbering = false;
    }
    colo_ctl_pair_checkpoint_start(pair, MAX(row->checkpoint_started,
                                             pair->unixctl_started));
    colo_ctl_pair_checkpoint_done(pair, MAX(row->checkpoint_done,
                                            pair->unixctl_done));

    if (pair->error || pair->mode == COLO_MODE_DISABLED || pair->awaiting) {
        return;
    }
    char *reason = colo_dp_pair_get_request(pair->dp);
    if (reason) {
        int64_t last = MAX(MAX(pair->request, row->checkpoint_request),
                           pair->last_done);

        if (last == INT64_MAX) {
            /* No number is left (a manager wrote INT64_MAX): numbering
             * starts over, with checkpoint_done=0 written along with the
             * request (see vswitch.xml). */
            VLOG_WARN("COLO pair %s: checkpoint numbers exhausted "
                      "(%"PRId64"): numbering starts over at 1",
                      pair->name, last);
            pair->renumbering = true;
            pair->last_done = pair->unixctl_done = 0;
            pair->last_started = pair->unixctl_started = 0;
            last = 0;
        }
        pair->request = last + 1;
        pair->awaiting = true;
        free(pair->reason);
        pair->reason = reason;
        VLOG_INFO("COLO pair %s: checkpoint %"PRId64" requested: %s",
                  pair->name, pair->request, reason);
    }
}

/* Returns the name of a COLO row whose channel is an interface of bridge
 * 'br_cfg', or NULL if there is none.  bridge.c runs such a bridge in fail
 * mode secure whatever its fail_mode column says: in standalone mode a
 * bridge without controllers has a NORMAL flow whenever its flows are gone
 * (after a restart, until the manager puts the COLO flows back), which
 * floods the SVM's output coming in on the channel to the clients. */
const char *
colo_ctl_bridge_carries_pair(const struct ovsdb_idl *idl,
                             const struct ovsrec_bridge *br_cfg)
{
    const struct ovsrec_colo *row;

    OVSREC_COLO_FOR_EACH (row, idl) {
        if (!row->channel) {
            continue;
        }
        for (size_t i = 0; i < br_cfg->n_ports; i++) {
            const struct ovsrec_port *port = br_cfg->ports[i];

            for (size_t j = 0; j < port->n_interfaces; j++) {
                if (!strcmp(port->interfaces[j]->name, row->channel)) {
                    return row->name;
                }
            }
        }
    }
    return NULL;
}

/* Reconfigures from the database if it changed, runs the pairs and the
 * checkpoint protocol, then publishes.  bridge.c calls this only while it
 * holds the database lock. */
void
colo_ctl_run(struct ovsdb_idl *idl)
{
    unsigned int seqno = ovsdb_idl_get_seqno(idl);

    if (seqno != idl_seqno) {
        idl_seqno = seqno;
        colo_ctl_reconfigure(idl);
    }

    colo_dp_seqno = seq_read(colo_dp_seq());
    colo_dp_run();

    struct colo_ctl_pair *pair;
    HMAP_FOR_EACH (pair, node, &all_pairs) {
        const struct ovsrec_colo *row
            = ovsrec_colo_get_for_uuid(idl, &pair->row_uuid);

        if (row) {
            colo_ctl_pair_run_checkpoint(pair, row);
        }
    }
    colo_ctl_publish(idl);
}

/* bridge.c calls this whether or not it called colo_ctl_run() (which it
 * does only while it holds the database lock): without a run, nothing here
 * may be due, or the process would spin. */
void
colo_ctl_wait(struct ovsdb_idl *idl OVS_UNUSED)
{
    if (publish_txn) {
        ovsdb_idl_txn_wait(publish_txn);
    } else if (!hmap_is_empty(&all_pairs)
               && next_stats_publish > time_msec()) {
        poll_timer_wait_until(next_stats_publish);
    }
    colo_dp_wait();
    seq_wait(colo_dp_seq(), colo_dp_seqno);
}

/* Runs the datapaths of 'type' once, which delivers what COLO pairs let
 * go. */
static void
colo_ctl_type_run(const char *type)
{
    ofproto_type_run(type);
}

/* Calls 'cb' for every datapath type. */
static void
colo_ctl_for_each_type(void (*cb)(const char *datapath_type))
{
    struct sset types;
    const char *type;

    sset_init(&types);
    ofproto_enumerate_types(&types);
    SSET_FOR_EACH (type, &types) {
        cb(type);
    }
    sset_destroy(&types);
}

/* Called first on exit, while the bridges and datapaths still exist: ends
 * every pair, which hands every packet its comparator or rewriter holds to
 * the datapath, then runs the datapaths and the colo ports until those
 * packets have gone on through the pipeline (to the client, for a primary)
 * and out of the colo ports' send queues, for COLO_CTL_EXIT_DRAIN ms at
 * most.  A graceful exit or restart so loses no PVM output; what is still
 * undelivered at the deadline is counted in the log.  The pair comes back
 * from the database when ovs-vswitchd starts again. */
void
colo_ctl_exit(void)
{
    long long int deadline = time_msec() + COLO_CTL_EXIT_DRAIN;
    struct colo_ctl_pair *pair;

    HMAP_FOR_EACH_SAFE (pair, node, &all_pairs) {
        struct colo_dp_pair_stats stats;

        colo_dp_pair_get_stats(pair->dp, &stats);
        uint64_t held = stats.compare.held_packets;
        if (held) {
            VLOG_INFO("COLO pair %s: releasing %"PRIu64" held packets on "
                      "exit", pair->name, held);
        }
        colo_ctl_pair_destroy(pair);
    }

    for (;;) {
        netdev_run();
        colo_ctl_for_each_type(colo_ctl_type_run);
        if (!colo_dp_count_released() || time_msec() >= deadline) {
            break;
        }
        netdev_wait();
        colo_ctl_for_each_type(ofproto_type_wait);
        poll_timer_wait_until(deadline);
        poll_block();
    }

    size_t undelivered = colo_dp_count_released();
    if (undelivered) {
        VLOG_WARN("%"PRIuSIZE" packets released by COLO pairs could not be "
                  "delivered within %d ms of the exit: lost", undelivered,
                  COLO_CTL_EXIT_DRAIN);
    }
    size_t unsent = netdev_colo_drain(deadline);
    if (unsent) {
        VLOG_WARN("%"PRIuSIZE" packets queued on colo ports could not be "
                  "sent within %d ms of the exit: lost", unsent,
                  COLO_CTL_EXIT_DRAIN);
    }
}

/* Frees every pair.  The database rows are left alone: their ephemeral
 * columns go away with this process's connection. */
void
colo_ctl_destroy(void)
{
    struct colo_ctl_pair *pair;

    if (publish_txn) {
        ovsdb_idl_txn_destroy(publish_txn);
        publish_txn = NULL;
    }
    HMAP_FOR_EACH_SAFE (pair, node, &all_pairs) {
        colo_ctl_pair_destroy(pair);
    }
}

static void
colo_ctl_pair_format(const struct colo_ctl_pair *pair,
                     const struct ovsrec_colo *row, struct ds *s)
{
    ds_put_format(s, "%s:\n", pair->name);
    ds_put_format(s, "  mode: %s\n", colo_mode_to_string(pair->mode));
    ds_put_format(s, "  state: %s\n", colo_ctl_pair_state(pair));
    if (pair->error) {
        ds_put_format(s, "  error: %s\n", pair->error);
        return;
    }
    if (pair->channel) {
        ds_put_format(s, "  channel: %s (bridge %s)\n", pair->channel,
                      pair->bridge ? pair->bridge : "none");
    }
    if (row) {
        ds_put_format(s, "  checkpoint: requested %"PRId64", ",
                      row->checkpoint_request);
        if (row->checkpoint_started) {
            ds_put_format(s, "started %"PRId64", ", row->checkpoint_started);
        }
        ds_put_format(s, "done %"PRId64"\n", row->checkpoint_done);
    }
    if (pair->mode != COLO_MODE_DISABLED) {
        struct smap status = SMAP_INITIALIZER(&status);

        colo_dp_pair_get_status(pair->dp, &status);
        const struct smap_node **nodes = smap_sort(&status);
        for (size_t i = 0; i < smap_count(&status); i++) {
            ds_put_format(s, "  %s: %s\n", nodes[i]->key, nodes[i]->value);
        }
        free(nodes);
        smap_destroy(&status);
    }
    if (pair->options.fencing) {
        long long int expiry, now = time_msec();
        bool fenced = colo_dp_pair_get_lease(pair->dp, &expiry);

        ds_put_format(s, "  lease: %s", fenced ? "fenced" : "serving");
        if (expiry == LLONG_MIN) {
            ds_put_cstr(s, ", none granted\n");
        } else if (expiry > now) {
            ds_put_format(s, ", ends in %lld ms\n", expiry - now);
        } else {
            ds_put_format(s, ", ended %lld ms ago\n", now - expiry);
        }
    }
    if (pair->awaiting) {
        ds_put_format(s, "  outstanding request: %s\n", pair->reason
                      ? pair->reason : "(raised before a restart)");
    }
    ds_put_cstr(s, "  options:\n");
    colo_options_format(&pair->options, s);

    struct colo_dp_pair_stats stats;
    const struct colo_stat_def *defs[COLO_DP_N_STATS];
    size_t n = colo_dp_stat_defs(pair->mode, false, defs);

    colo_dp_pair_get_stats(pair->dp, &stats);
    ds_put_cstr(s, "  statistics:\n");
    for (size_t i = 0; i < n; i++) {
        ds_put_format(s, "    %s=%"PRIu64"\n", defs[i]->key,
                      colo_dp_stat_value(&stats, defs[i]));
    }
}

static int
compare_pairs_by_name(const void *a_, const void *b_)
{
    const struct colo_ctl_pair *const *a = a_;
    const struct colo_ctl_pair *const *b = b_;

    return strcmp((*a)->name, (*b)->name);
}

/* "colo/show [PAIR]": prints one pair, or all of them in name order. */
static void
colo_ctl_unixctl_show(struct unixctl_conn *conn, int argc,
                      const char *argv[], void *idl_)
{
    struct ovsdb_idl *idl = idl_;
    struct ds s = DS_EMPTY_INITIALIZER;
    const struct colo_ctl_pair **pairs;
    size_t n = 0;

    if (argc > 1) {
        const struct colo_ctl_pair *pair = colo_ctl_pair_find(argv[1]);

        if (!pair) {
            unixctl_command_reply_error(conn, "no such COLO pair");
            return;
        }
        pairs = xmalloc(sizeof *pairs);
        pairs[n++] = pair;
    } else {
        const struct colo_ctl_pair *pair;

        pairs = xmalloc(MAX(1, hmap_count(&all_pairs)) * sizeof *pairs);
        HMAP_FOR_EACH (pair, node, &all_pairs) {
            pairs[n++] = pair;
        }
        qsort(pairs, n, sizeof *pairs, compare_pairs_by_name);
    }

    for (size_t i = 0; i < n; i++) {
        const struct ovsrec_colo *row
            = ovsrec_colo_get_for_uuid(idl, &pairs[i]->row_uuid);

        colo_ctl_pair_format(pairs[i], row, &s);
    }
    if (!n) {
        ds_put_cstr(&s, "no COLO pairs\n");
    }
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
    free(pairs);
}

/* "colo/dump-conns PAIR": the comparator's connections. */
static void
colo_ctl_unixctl_dump_conns(struct unixctl_conn *conn, int argc OVS_UNUSED,
                            const char *argv[], void *aux OVS_UNUSED)
{
    const struct colo_ctl_pair *pair = colo_ctl_pair_find(argv[1]);
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!pair) {
        unixctl_command_reply_error(conn, "no such COLO pair");
        return;
    }
    colo_dp_pair_dump_conns(pair->dp, &s);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

/* "colo/checkpoint-started PAIR NUMBER" and "colo/checkpoint-done PAIR
 * NUMBER": the same as the manager writing NUMBER to the pair's
 * checkpoint_started or checkpoint_done column, without the database round
 * trip.  The column is left alone. */
static void
colo_ctl_unixctl_checkpoint(struct unixctl_conn *conn, int argc OVS_UNUSED,
                            const char *argv[], void *idl)
{
    bool start = !strcmp(argv[0], "colo/checkpoint-started");
    struct colo_ctl_pair *pair = colo_ctl_pair_find(argv[1]);
    long long int number;

    if (!pair) {
        unixctl_command_reply_error(conn, "no such COLO pair");
        return;
    }
    if (!str_to_llong(argv[2], 10, &number) || number < 0) {
        unixctl_command_reply_error(conn, "number: a checkpoint number "
                                    "(a nonnegative integer) is expected");
        return;
    }

    const struct ovsrec_colo *row
        = ovsrec_colo_get_for_uuid(idl, &pair->row_uuid);
    if (row) {
        colo_ctl_pair_run_checkpoint(pair, row);
    }
    if (start) {
        if (number <= pair->last_started || number <= pair->last_done) {
            unixctl_command_reply(conn, "already started or done\n");
            return;
        }
        pair->unixctl_started = MAX(pair->unixctl_started, number);
        colo_ctl_pair_checkpoint_start(pair, number);
    } else {
        if (number <= pair->last_done) {
            unixctl_command_reply(conn, "already done\n");
            return;
        }
        pair->unixctl_done = MAX(pair->unixctl_done, number);
        colo_ctl_pair_checkpoint_done(pair, number);
    }
    unixctl_command_reply(conn, NULL);
}

/* "colo/lease PAIR MS" grants PAIR a lease for MS milliseconds from now
 * (0 takes it back); "colo/lease PAIR @EXPIRY" until EXPIRY, a time of the
 * monotonic clock (CLOCK_MONOTONIC) in milliseconds, which a manager
 * computes from the time it asked the quorum, so that the lease cannot
 * outlast the quorum's grant however late this command arrives.  With
 * "solo", a degraded primary may release uncompared output (the quorum
 * knows that the secondary may no longer take over).  Replies with the
 * milliseconds left (0 if none). */
static void
colo_ctl_unixctl_lease(struct unixctl_conn *conn, int argc OVS_UNUSED,
                       const char *argv[], void *aux OVS_UNUSED)
{
    struct colo_ctl_pair *pair = colo_ctl_pair_find(argv[1]);
    bool absolute = argv[2][0] == '@';
    long long int now = time_msec();
    long long int value;

    if (!pair) {
        unixctl_command_reply_error(conn, "no such COLO pair");
        return;
    }
    if (!str_to_llong(argv[2] + absolute, 10, &value) || value < 0
        || (!absolute && value > INT_MAX)) {
        unixctl_command_reply_error(conn, "lease: MS (0 to 2147483647) or "
                                    "@EXPIRY (monotonic ms) is expected");
        return;
    }
    if (!pair->options.fencing) {
        unixctl_command_reply_error(conn, "the pair does not fence "
                                    "(options:fencing is 0): a lease "
                                    "would mean nothing");
        return;
    }

    bool solo = argc > 3 && !strcmp(argv[3], "solo");
    if (argc > 3 && !solo) {
        unixctl_command_reply_error(conn, "only \"solo\" may follow the "
                                    "lease");
        return;
    }

    long long int expiry = absolute ? value : now + value;
    colo_dp_pair_set_lease(pair->dp, expiry, solo);

    char *reply = xasprintf("%lld\n", MAX(0, expiry - now));
    unixctl_command_reply(conn, reply);
    free(reply);
}
