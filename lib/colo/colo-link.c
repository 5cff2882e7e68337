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
#include "colo/colo-link.h"

#include <errno.h>

#include "openvswitch/poll-loop.h"
#include "reconnect.h"
#include "socket-util.h"
#include "stream.h"
#include "timeval.h"
#include "util.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(colo_link);

/* While connected, a passive link looks for other peers (to refuse them)
 * only this often, then refuses all that wait: accept() costs a socket
 * allocation in the kernel even when nobody is waiting, which was several
 * percent of ovs-vswitchd's time when a channel port did it on every
 * iteration of the main loop. */
#define REFUSAL_INTERVAL_MS 1000

const char *
colo_link_state_to_string(enum colo_link_state state)
{
    switch (state) {
    case COLO_LINK_UNCONFIGURED: return "unconfigured";
    case COLO_LINK_LISTENING: return "listening";
    case COLO_LINK_CONNECTING: return "connecting";
    case COLO_LINK_CONNECTED: return "connected";
    case COLO_LINK_BACKOFF: return "backoff";
    }
    return "<invalid>";
}

/* Initializes 'link', unconfigured.  'name' and 'peer' go into its log
 * messages ("NAME: connected to PEER unix#3"); both must outlive the
 * link. */
void
colo_link_init(struct colo_link *link, const char *name, const char *peer)
{
    *link = (struct colo_link) {
        .name = name,
        .peer = peer,
        .state = COLO_LINK_UNCONFIGURED,
        .state_changed = time_wall_msec(),
    };
}

/* Returns true if 'remote' names a listener (ptcp:, pssl:, punix:...). */
bool
colo_link_remote_is_passive(const char *remote)
{
    return !pstream_verify_name(remote);
}

/* Returns true if 'remote' names a stream or a listener. */
bool
colo_link_remote_is_valid(const char *remote)
{
    return colo_link_remote_is_passive(remote)
           || !stream_verify_name(remote);
}

static void
set_state(struct colo_link *link, enum colo_link_state state)
{
    if (link->state != state) {
        link->state = state;
        link->state_changed = time_wall_msec();
        if (state == COLO_LINK_CONNECTED) {
            link->n_connects++;
        }
    }
}

/* Starts listening on, or connecting to, 'remote' (which must be valid, see
 * colo_link_remote_is_valid()).  Returns 0 or the errno value with which
 * listening failed; the link is then left unconfigured. */
int
colo_link_open(struct colo_link *link, const char *remote)
{
    ovs_assert(link->state == COLO_LINK_UNCONFIGURED);
    if (colo_link_remote_is_passive(remote)) {
        int error = pstream_open(remote, &link->pstream, DSCP_DEFAULT);

        if (error) {
            return error;
        }
        set_state(link, COLO_LINK_LISTENING);
    } else {
        long long int now = time_msec();

        link->reconnect = reconnect_create(now);
        reconnect_set_name(link->reconnect, remote);
        reconnect_set_probe_interval(link->reconnect, 0);
        reconnect_set_backoff(link->reconnect, 100, 4000);
        reconnect_enable(link->reconnect, now);
        set_state(link, COLO_LINK_BACKOFF);
    }
    link->remote = xstrdup(remote);
    return 0;
}

/* Drops the peer and the listener or backoff: the link is unconfigured. */
void
colo_link_close(struct colo_link *link)
{
    stream_close(link->stream);
    link->stream = NULL;
    pstream_close(link->pstream);
    link->pstream = NULL;
    reconnect_destroy(link->reconnect);
    link->reconnect = NULL;
    free(link->remote);
    link->remote = NULL;
    set_state(link, COLO_LINK_UNCONFIGURED);
}

/* Drops the peer, if any, because of 'error' (an errno value, EOF for a
 * clean close): a passive link listens again, an active one backs off. */
void
colo_link_disconnect(struct colo_link *link, int error)
{
    stream_close(link->stream);
    link->stream = NULL;
    if (link->pstream) {
        set_state(link, COLO_LINK_LISTENING);
    } else if (link->reconnect) {
        reconnect_disconnected(link->reconnect, time_msec(), error);
        set_state(link, COLO_LINK_BACKOFF);
    }
}

static enum colo_link_event
run_passive(struct colo_link *link)
{
    struct stream *stream;

    if (link->stream && time_msec() < link->next_refusal) {
        return COLO_LINK_NONE;
    }
    if (pstream_accept(link->pstream, &stream)) {
        /* Nobody (else) waits: look again in a while. */
        link->next_refusal = time_msec() + REFUSAL_INTERVAL_MS;
        return COLO_LINK_NONE;
    }
    if (link->stream) {
        /* 'next_refusal' stays in the past: the next call, at once (see
         * colo_link_wait()), refuses the next peer waiting, so that a
         * crowd is refused in one go. */
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

        link->n_refused++;
        VLOG_WARN_RL(&rl, "%s: refused %s %s: already connected to %s",
                     link->name, link->peer, stream_get_name(stream),
                     stream_get_name(link->stream));
        stream_close(stream);
        return COLO_LINK_REFUSED;
    }
    link->stream = stream;
    set_state(link, COLO_LINK_CONNECTED);
    return COLO_LINK_UP;
}

static enum colo_link_event
run_active(struct colo_link *link, int *errorp)
{
    long long int now = time_msec();

    if (reconnect_run(link->reconnect, now) == RECONNECT_CONNECT) {
        int error = stream_open(link->remote, &link->stream, DSCP_DEFAULT);

        if (error) {
            reconnect_connect_failed(link->reconnect, now, error);
            set_state(link, COLO_LINK_BACKOFF);
            *errorp = error;
            return COLO_LINK_CONNECT_FAILED;
        }
        reconnect_connecting(link->reconnect, now);
        set_state(link, COLO_LINK_CONNECTING);
    }
    if (link->state == COLO_LINK_CONNECTING) {
        int error = stream_connect(link->stream);

        if (!error) {
            reconnect_connected(link->reconnect, now);
            set_state(link, COLO_LINK_CONNECTED);
            return COLO_LINK_UP;
        } else if (error != EAGAIN) {
            stream_close(link->stream);
            link->stream = NULL;
            reconnect_connect_failed(link->reconnect, now, error);
            set_state(link, COLO_LINK_BACKOFF);
            *errorp = error;
            return COLO_LINK_CONNECT_FAILED;
        }
    }
    return COLO_LINK_NONE;
}

/* Accepts, refuses, connects and reconnects; runs the connected stream.
 * Returns what happened; for COLO_LINK_CONNECT_FAILED, stores the errno
 * value in '*errorp'. */
enum colo_link_event
colo_link_run(struct colo_link *link, int *errorp)
{
    enum colo_link_event event = COLO_LINK_NONE;

    *errorp = 0;
    if (link->pstream) {
        event = run_passive(link);
    } else if (link->reconnect) {
        event = run_active(link, errorp);
    }
    if (event == COLO_LINK_UP) {
        VLOG_INFO("%s: connected to %s %s", link->name, link->peer,
                  stream_get_name(link->stream));
    }
    if (link->state == COLO_LINK_CONNECTED) {
        stream_run(link->stream);
    }
    return event;
}

/* Arranges for poll_block() to wake when colo_link_run() has work: a peer to
 * accept, a backoff that ends, a connection that completes.  The caller
 * adds its own waits for receiving and sending on 'stream'. */
void
colo_link_wait(struct colo_link *link)
{
    if (link->pstream) {
        if (link->stream) {
            poll_timer_wait_until(link->next_refusal);
        } else {
            pstream_wait(link->pstream);
        }
    }
    if (link->reconnect) {
        reconnect_wait(link->reconnect, time_msec());
    }
    if (link->stream) {
        if (link->state == COLO_LINK_CONNECTING) {
            stream_connect_wait(link->stream);
        } else {
            stream_run_wait(link->stream);
        }
    }
}
