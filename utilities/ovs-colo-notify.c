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

/* ovs-colo-notify: attaches COLO pairs to the notify sockets of COLO
 * managers that speak QEMU colo-compare's notify protocol (Xen's libxl),
 * instead of OVSDB.
 *
 * For each pair, a new checkpoint_request in the pair's COLO row becomes
 * one DO_CHECKPOINT on the notify socket; each COLO_CHECKPOINT from the
 * manager becomes a checkpoint_done write; COLO_USERSPACE_PROXY_INIT is
 * answered with COLO_COMPARE_GET_XEN_INIT.  See colo/colo-notify.h for the
 * framing and Documentation/managers.rst ("Notify protocol bridge") for the
 * rules. */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "colo/colo-link.h"
#include "colo/colo-notify.h"
#include "command-line.h"
#include "daemon.h"
#include "dirs.h"
#include "fatal-signal.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "stream-ssl.h"
#include "stream.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"
#include "vswitch-idl.h"

VLOG_DEFINE_THIS_MODULE(colo_notify);

/* Most bytes queued for a peer before it counts as not reading. */
#define TX_QUEUE_MAX 65536

/* --db: the database to connect to. */
static char *db_remote;

/* --unixctl: control socket, or NULL for the default. */
static char *unixctl_path;

/* The transaction that writes checkpoint_done, while in flight. */
static struct ovsdb_idl_txn *txn;

/* The connection to the database. */
static struct ovsdb_idl *idl;

/* One COLO pair attached to one notify socket. */
struct notify_pair {
    char *name;                 /* COLO row name. */
    char *remote;               /* Notify socket, active or passive. */

    /* Connection to the manager. */
    struct colo_link link;
    char *last_error;           /* Last connection or protocol error. */

    /* The pair's row, as last seen. */
    bool row_seen;              /* The row exists. */
    int64_t request;            /* checkpoint_request. */
    int64_t done;               /* checkpoint_done. */

    /* Protocol state. */
    int64_t sent;               /* Request sent as DO_CHECKPOINT to the
                                 * current peer, 0 if none. */
    unsigned int acks_pending;  /* COLO_CHECKPOINTs not yet written. */
    int64_t written;            /* Last checkpoint_done we committed. */
    int64_t writing;            /* checkpoint_done in the transaction in
                                 * flight, 0 if none. */
    unsigned int acks_writing;  /* 'acks_pending' when it was created. */

    /* Counters, for colo-notify/show. */
    unsigned long long int n_do_checkpoint;
    unsigned long long int n_checkpoint;
    unsigned long long int n_init;
    unsigned long long int n_unknown;
    unsigned long long int n_errors;
};

static struct notify_pair *pairs;
static size_t n_pairs;

static void parse_options(int argc, char *argv[]);
OVS_NO_RETURN static void usage(void);
static unixctl_cb_func notify_unixctl_show;
static unixctl_cb_func notify_unixctl_exit;

static void
set_error(struct notify_pair *p, char *error)
{
    free(p->last_error);
    p->last_error = error;
}

/* Drops the connection to the manager, logging 'error' (malloc'd, taken)
 * if nonnull.  A request sent to this peer is sent again to the next. */
static void
peer_disconnect(struct notify_pair *p, int retval, char *error)
{
    if (error) {
        enum vlog_level level = retval == EOF ? VLL_INFO : VLL_WARN;

        VLOG(level, "%s: %s: %s; %s", p->name, p->remote, error,
             p->request > MAX(p->done, p->written)
             ? "the pending request will be sent to the next manager"
             : "waiting for the manager");
        set_error(p, error);
    }
    colo_link_disconnect(&p->link, retval);
    p->sent = 0;
}

static void
peer_send(struct notify_pair *p, const char *message)
{
    if (p->link.txbuf.size > TX_QUEUE_MAX) {
        p->n_errors++;
        peer_disconnect(p, ENOBUFS, xasprintf("manager is not reading (%"
                                          PRIu32" bytes queued)",
                                          p->link.txbuf.size));
        return;
    }
    colo_notify_encode(&p->link.txbuf, message);
}

static void
peer_flush(struct notify_pair *p)
{
    char *reason;
    int error = colo_link_send(&p->link, NULL, NULL, &reason);

    if (error) {
        p->n_errors++;
        peer_disconnect(p, error, reason);
    }
}

/* Accepts, connects and reconnects. */
static void
peer_run_connection(struct notify_pair *p)
{
    int error;

    if (colo_link_run(&p->link, &error) == COLO_LINK_CONNECT_FAILED) {
        set_error(p, xasprintf("connecting failed (%s)",
                               ovs_strerror(error)));
    }
}

static void
handle_message(struct notify_pair *p, const char *message)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

    if (!strcmp(message, COLO_NOTIFY_CHECKPOINT)) {
        p->n_checkpoint++;
        p->acks_pending++;
        VLOG_INFO("%s: manager reports a checkpoint done", p->name);
    } else if (!strcmp(message, COLO_NOTIFY_PROXY_INIT)) {
        p->n_init++;
        peer_send(p, COLO_NOTIFY_PROXY_INIT_REPLY);
    } else {
        p->n_unknown++;
        VLOG_WARN_RL(&rl, "%s: unknown message \"%s\" from manager ignored",
                     p->name, message);
    }
}

/* Reads and handles the manager's messages. */
static void
peer_receive(struct notify_pair *p)
{
    struct ofpbuf *rx = &p->link.rxbuf;

    while (colo_link_is_connected(&p->link)) {
        char *message, *error;
        size_t consumed;

        switch (colo_notify_decode(rx->data, rx->size, &message, &consumed,
                                   &error)) {
        case COLO_NOTIFY_OK:
            ofpbuf_pull(rx, consumed);
            handle_message(p, message);
            free(message);
            continue;

        case COLO_NOTIFY_BAD:
            p->n_errors++;
            peer_disconnect(p, EPROTO,
                            xasprintf("bad message from manager: %s",
                                      error));
            free(error);
            return;

        case COLO_NOTIFY_NEED_MORE:
            break;
        }

        /* Reads at most what the next message can still need. */
        char *reason;
        size_t n;
        int retval = colo_link_recv(&p->link,
                                    4 + COLO_NOTIFY_MAX_LEN - rx->size, &n,
                                    &reason);
        if (retval) {
            if (retval != EOF && retval != EPROTO) {
                p->n_errors++;
            }
            peer_disconnect(p, retval, reason);
            return;
        } else if (!n) {
            return;
        }
    }
}

/* Sends DO_CHECKPOINT for a request not yet sent to this peer. */
static void
peer_forward_request(struct notify_pair *p)
{
    if (colo_link_is_connected(&p->link) && p->row_seen
        && p->request > MAX(p->done, p->written) && p->sent != p->request) {
        VLOG_INFO("%s: checkpoint %"PRId64" requested: sending %s",
                  p->name, p->request, COLO_NOTIFY_DO_CHECKPOINT);
        peer_send(p, COLO_NOTIFY_DO_CHECKPOINT);
        p->sent = p->request;
        p->n_do_checkpoint++;
    }
}

static void
pair_run(struct notify_pair *p)
{
    peer_run_connection(p);
    if (colo_link_is_connected(&p->link)) {
        peer_receive(p);
        peer_forward_request(p);
        peer_flush(p);
    }
}

static void
pair_wait(struct notify_pair *p)
{
    colo_link_wait(&p->link);
    if (colo_link_is_connected(&p->link)) {
        stream_recv_wait(p->link.stream);
    }
}

static void
pair_open(struct notify_pair *p)
{
    colo_link_init(&p->link, p->name, "manager", "message");
    if (!colo_link_remote_is_valid(p->remote)) {
        ovs_fatal(0, "%s: \"%s\" is not a notify socket (unix:, tcp:, ssl:, "
                  "punix:, ptcp: or pssl:)", p->name, p->remote);
    }

    int error = colo_link_open(&p->link, p->remote);
    if (error) {
        ovs_fatal(error, "%s: could not listen on %s", p->name, p->remote);
    }
    if (p->link.pstream && pstream_get_bound_port(p->link.pstream)) {
        VLOG_INFO("%s: listening on %s, port %"PRIu16, p->name, p->remote,
                  ntohs(pstream_get_bound_port(p->link.pstream)));
    }
}

/* Takes each pair's checkpoint columns from the database. */
static void
update_rows(void)
{
    for (size_t i = 0; i < n_pairs; i++) {
        pairs[i].row_seen = false;
    }

    const struct ovsrec_colo *row;
    OVSREC_COLO_FOR_EACH (row, idl) {
        for (size_t i = 0; i < n_pairs; i++) {
            struct notify_pair *p = &pairs[i];

            if (!strcmp(row->name, p->name)) {
                p->row_seen = true;
                p->request = row->checkpoint_request;
                p->done = row->checkpoint_done;
                if (p->done < p->written && !p->writing) {
                    /* ovs-vswitchd started the numbering over (after
                     * INT64_MAX): forget the old numbers. */
                    p->written = p->done;
                    p->sent = 0;
                }
            }
        }
    }
}

static const struct ovsrec_colo *
find_row(const char *name)
{
    const struct ovsrec_colo *row;

    OVSREC_COLO_FOR_EACH (row, idl) {
        if (!strcmp(row->name, name)) {
            return row;
        }
    }
    return NULL;
}

/* Writes checkpoint_done for the COLO_CHECKPOINTs received: the pending
 * request's number if there is one, otherwise one more than the greater
 * of the columns (a checkpoint the manager took on its own).  All the
 * COLO_CHECKPOINTs received so far go in one write, since only the
 * highest number matters (ovs-vswitchd flushes once for it): a burst costs
 * one transaction, and those that come while it is in flight the next. */
static void
write_checkpoints(void)
{
    if (txn) {
        enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(txn);

        if (status == TXN_INCOMPLETE) {
            return;
        }
        for (size_t i = 0; i < n_pairs; i++) {
            struct notify_pair *p = &pairs[i];

            if (!p->writing) {
                continue;
            }
            if (status == TXN_SUCCESS || status == TXN_UNCHANGED) {
                VLOG_INFO("%s: checkpoint_done=%"PRId64" written", p->name,
                          p->writing);
                p->written = p->writing;
                p->acks_pending -= p->acks_writing;
            } else {
                VLOG_INFO("%s: writing checkpoint_done=%"PRId64" failed "
                          "(%s); will retry", p->name, p->writing,
                          ovsdb_idl_txn_status_to_string(status));
            }
            p->writing = 0;
            p->acks_writing = 0;
        }
        ovsdb_idl_txn_destroy(txn);
        txn = NULL;
    }

    if (!ovsdb_idl_has_ever_connected(idl) || !ovsdb_idl_is_connected(idl)) {
        return;
    }
    for (size_t i = 0; i < n_pairs; i++) {
        struct notify_pair *p = &pairs[i];
        const struct ovsrec_colo *row;

        if (!p->acks_pending || !(row = find_row(p->name))) {
            continue;
        }
        int64_t base = MAX(row->checkpoint_done, p->written);
        int64_t done = (row->checkpoint_request > base
                        ? row->checkpoint_request
                        : base < INT64_MAX ? base + 1 : base);

        if (!txn) {
            txn = ovsdb_idl_txn_create(idl);
            ovsdb_idl_txn_add_comment(txn, "ovs-colo-notify: checkpoint done");
        }
        ovsrec_colo_verify_checkpoint_done(row);
        ovsrec_colo_set_checkpoint_done(row, done);
        p->writing = done;
        p->acks_writing = p->acks_pending;
    }
    if (txn) {
        ovsdb_idl_txn_commit(txn);
    }
}

int
main(int argc, char *argv[])
{
    struct unixctl_server *unixctl;
    bool exiting = false;

    ovs_cmdl_proctitle_init(argc, argv);
    set_program_name(argv[0]);
    service_start(&argc, &argv);
    parse_options(argc, argv);
    fatal_ignore_sigpipe();

    argc -= optind;
    argv += optind;
    if (argc < 1) {
        ovs_fatal(0, "at least one PAIR=REMOTE argument is required "
                  "(use --help for usage)");
    }
    pairs = xcalloc(argc, sizeof *pairs);
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');

        if (!eq || eq == argv[i] || !eq[1]) {
            ovs_fatal(0, "\"%s\": PAIR=REMOTE expected", argv[i]);
        }
        struct notify_pair *p = &pairs[n_pairs++];
        p->name = xmemdup0(argv[i], eq - argv[i]);
        p->remote = xstrdup(eq + 1);
        for (size_t j = 0; j + 1 < n_pairs; j++) {
            if (!strcmp(pairs[j].name, p->name)) {
                ovs_fatal(0, "%s: pair given twice", p->name);
            }
        }
    }

    daemonize_start(false);
    int error = unixctl_server_create(unixctl_path, &unixctl);
    if (error) {
        exit(EXIT_FAILURE);
    }
    unixctl_command_register("colo-notify/show", "", 0, 0,
                             notify_unixctl_show, NULL);
    unixctl_command_register("exit", "", 0, 0, notify_unixctl_exit,
                             &exiting);

    idl = ovsdb_idl_create(db_remote, &ovsrec_idl_class, false, true);
    ovsdb_idl_add_table(idl, &ovsrec_table_colo);
    ovsdb_idl_add_column(idl, &ovsrec_colo_col_name);
    ovsdb_idl_add_column(idl, &ovsrec_colo_col_checkpoint_request);
    ovsdb_idl_add_column(idl, &ovsrec_colo_col_checkpoint_done);

    for (size_t i = 0; i < n_pairs; i++) {
        pair_open(&pairs[i]);
    }
    daemonize_complete();
    VLOG_INFO("%s (Open vSwitch) %s", program_name, VERSION);

    bool db_connected = false;
    while (!exiting) {
        ovsdb_idl_run(idl);
        if (ovsdb_idl_is_connected(idl) != db_connected) {
            db_connected = !db_connected;
            if (db_connected) {
                VLOG_INFO("connected to the database %s", db_remote);
            } else {
                VLOG_WARN("lost the database %s; retrying (pending "
                          "requests and acknowledgments are kept)",
                          db_remote);
            }
        }
        if (ovsdb_idl_has_ever_connected(idl)) {
            update_rows();
        }
        unixctl_server_run(unixctl);
        for (size_t i = 0; i < n_pairs; i++) {
            pair_run(&pairs[i]);
        }
        write_checkpoints();

        for (size_t i = 0; i < n_pairs; i++) {
            pair_wait(&pairs[i]);
        }
        ovsdb_idl_wait(idl);
        if (txn) {
            ovsdb_idl_txn_wait(txn);
        }
        unixctl_server_wait(unixctl);
        if (exiting) {
            poll_immediate_wake();
        }
        poll_block();
    }

    for (size_t i = 0; i < n_pairs; i++) {
        struct notify_pair *p = &pairs[i];

        colo_link_destroy(&p->link);
        free(p->last_error);
        free(p->name);
        free(p->remote);
    }
    free(pairs);
    if (txn) {
        /* ovsdb_idl_txn_destroy() does not take NULL. */
        ovsdb_idl_txn_destroy(txn);
    }
    ovsdb_idl_destroy(idl);
    unixctl_server_destroy(unixctl);
    service_stop();
    return 0;
}

static void
notify_unixctl_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
                    const char *argv[] OVS_UNUSED, void *aux OVS_UNUSED)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "database: %s (%s)\n", db_remote,
                  ovsdb_idl_is_connected(idl) ? "connected" : "not connected");
    for (size_t i = 0; i < n_pairs; i++) {
        const struct notify_pair *p = &pairs[i];

        ds_put_format(&s, "%s: %s\n", p->name, p->remote);
        ds_put_format(&s, "  manager: %s",
                      colo_link_state_to_string(p->link.state));
        if (colo_link_is_connected(&p->link)) {
            ds_put_format(&s, " (%s)", stream_get_name(p->link.stream));
        }
        ds_put_char(&s, '\n');
        if (!p->row_seen) {
            ds_put_cstr(&s, "  row: not found\n");
        } else {
            ds_put_format(&s, "  checkpoint_request=%"PRId64
                          " checkpoint_done=%"PRId64"\n",
                          p->request, p->done);
        }
        ds_put_format(&s, "  pending: %s, %u acknowledgment(s) to write\n",
                      p->request > MAX(p->done, p->written)
                      ? (p->sent == p->request ? "request sent" : "request")
                      : "none", p->acks_pending);
        ds_put_format(&s, "  connections=%llu do_checkpoint=%llu "
                      "checkpoint=%llu init=%llu unknown=%llu errors=%llu "
                      "refused=%llu\n",
                      (unsigned long long int) p->link.n_connects,
                      p->n_do_checkpoint, p->n_checkpoint,
                      p->n_init, p->n_unknown, p->n_errors,
                      (unsigned long long int) p->link.n_refused);
        if (p->last_error) {
            ds_put_format(&s, "  last error: %s\n", p->last_error);
        }
    }
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static void
notify_unixctl_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
                    const char *argv[] OVS_UNUSED, void *exiting_)
{
    bool *exiting = exiting_;

    *exiting = true;
    unixctl_command_reply(conn, NULL);
}

static const char *
default_db(void)
{
    static char *def;

    if (!def) {
        def = xasprintf("unix:%s/db.sock", ovs_rundir());
    }
    return def;
}

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_DB = UCHAR_MAX + 1,
        OPT_UNIXCTL,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        DAEMON_LONG_OPTIONS,
        VLOG_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);

        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_DB:
            db_remote = xstrdup(optarg);
            break;

        case OPT_UNIXCTL:
            unixctl_path = optarg;
            break;

        case 'h':
            usage();

        case 'V':
            ovs_print_version(0, 0);
            exit(EXIT_SUCCESS);

        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        STREAM_SSL_OPTION_HANDLERS

        case '?':
            exit(EXIT_FAILURE);

        default:
            OVS_NOT_REACHED();
        }
    }
    free(short_options);
    if (!db_remote) {
        db_remote = xstrdup(default_db());
    }
}

static void
usage(void)
{
    printf("%s: attaches COLO pairs to the notify sockets of COLO managers\n"
           "usage: %s [OPTIONS] PAIR=REMOTE...\n"
           "\n"
           "For each PAIR (a row of the COLO table), a new\n"
           "checkpoint_request becomes one \"DO_CHECKPOINT\" message on\n"
           "the notify socket REMOTE, each \"COLO_CHECKPOINT\" message\n"
           "from the manager becomes a checkpoint_done write (the pending\n"
           "request's number, or one more than the greater of the two\n"
           "columns), and \"COLO_USERSPACE_PROXY_INIT\" is answered with\n"
           "\"COLO_COMPARE_GET_XEN_INIT\".  Messages are a big-endian u32\n"
           "length and that many bytes of ASCII, as for QEMU's colo-compare\n"
           "notify_dev.  Unknown messages are logged and ignored; a bad\n"
           "message (over %d bytes, or not printable ASCII) closes the\n"
           "connection.  A request pending when the manager goes is sent to\n"
           "the next manager that connects, once.\n"
           "\n"
           "REMOTE is an active socket (unix:FILE, tcp:IP:PORT,\n"
           "ssl:IP:PORT), connected to with backoff and reconnected when\n"
           "lost, or a passive one (punix:FILE, ptcp:PORT[:IP],\n"
           "pssl:PORT[:IP]) that serves one manager at a time.\n",
           program_name, program_name, COLO_NOTIFY_MAX_LEN);
    printf("\nDatabase and control:\n"
           "  --db=DATABASE           connect to DATABASE\n"
           "                          (default: %s)\n"
           "  --unixctl=SOCKET        override default control socket name\n"
           "                          (commands: colo-notify/show, exit)\n",
           default_db());
    daemon_usage();
    vlog_usage();
    stream_usage("REMOTE and DATABASE", true, true, false);
    printf("\nOther options:\n"
           "  -h, --help              display this help message\n"
           "  -V, --version           display version information\n");
    exit(EXIT_SUCCESS);
}
