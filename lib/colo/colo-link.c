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
#include <inttypes.h>

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
 * messages ("NAME: connected to PEER unix#3"), 'peer' and 'unit' into the
 * reasons its byte stream gives for failing ("PEER closed the connection
 * in the middle of a UNIT"); the strings must outlive the link. */
void
colo_link_init(struct colo_link *link, const char *name, const char *peer,
               const char *unit)
{
    *link = (struct colo_link) {
        .name = name,
        .peer = peer,
        .unit = unit,
        .state = COLO_LINK_UNCONFIGURED,
        .state_changed = time_wall_msec(),
    };
    ofpbuf_init(&link->rxbuf, 0);
    ofpbuf_init(&link->txbuf, 0);
}

/* Closes 'link' and frees its buffers. */
void
colo_link_destroy(struct colo_link *link)
{
    colo_link_close(link);
    ofpbuf_uninit(&link->rxbuf);
    ofpbuf_uninit(&link->txbuf);
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
    ofpbuf_clear(&link->rxbuf);
    ofpbuf_clear(&link->txbuf);
    set_state(link, COLO_LINK_UNCONFIGURED);
}

/* Drops the peer, if any, because of 'error' (an errno value, EOF for a
 * clean close): a passive link listens again, an active one backs off. */
void
colo_link_disconnect(struct colo_link *link, int error)
{
    stream_close(link->stream);
    link->stream = NULL;
    ofpbuf_clear(&link->rxbuf);
    ofpbuf_clear(&link->txbuf);
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
            if (link->txbuf.size) {
                stream_send_wait(link->stream);
            }
        }
    }
}

/* Moves the data of 'b' back to the start of its buffer when that is cheap
 * (nothing left, or what is left fits in the space before it), so that a
 * buffer that is appended to and pulled from does not grow without
 * bound. */
static void
rewind_buffer(struct ofpbuf *b)
{
    if (!b->size) {
        ofpbuf_clear(b);
    } else if (ofpbuf_headroom(b) >= b->size) {
        ofpbuf_shift(b, -(int) ofpbuf_headroom(b));
    }
}

/* Sends as much of 'txbuf' as the peer takes now, if connected, calling
 * 'sent' (if nonnull) with each run of bytes sent, before they leave
 * 'txbuf'.  Returns 0, or a positive errno value if sending failed, with
 * the reason (malloc'd) in '*reasonp': the caller then disconnects. */
int
colo_link_send(struct colo_link *link, colo_link_sent_cb *sent, void *aux,
               char **reasonp)
{
    *reasonp = NULL;
    while (colo_link_is_connected(link) && link->txbuf.size) {
        int n = stream_send(link->stream, link->txbuf.data,
                            link->txbuf.size);

        if (n < 0 && n != -EAGAIN) {
            *reasonp = xasprintf("send failed (%s)", ovs_strerror(-n));
            return -n;
        } else if (n <= 0) {
            break;
        }
        if (sent) {
            sent(link->txbuf.data, n, aux);
        }
        ofpbuf_pull(&link->txbuf, n);
        rewind_buffer(&link->txbuf);
    }
    return 0;
}

/* Receives at most 'max' bytes from the peer, which must be connected,
 * appending them to 'rxbuf'; stores their number (0 if none is there now)
 * in '*n_received'.  Returns 0 or, when the connection is over, with the
 * reason (malloc'd) in '*reasonp': EOF for a close between frames, EPROTO
 * for a close in the middle of one (bytes left in 'rxbuf'), or the errno
 * value of a failure.  The caller then disconnects. */
int
colo_link_recv(struct colo_link *link, size_t max, size_t *n_received,
               char **reasonp)
{
    *n_received = 0;
    *reasonp = NULL;
    rewind_buffer(&link->rxbuf);
    ofpbuf_prealloc_tailroom(&link->rxbuf, max);

    int n = stream_recv(link->stream, ofpbuf_tail(&link->rxbuf), max);
    if (n > 0) {
        link->rxbuf.size += n;
        *n_received = n;
        return 0;
    } else if (n == -EAGAIN) {
        return 0;
    } else if (n) {
        *reasonp = xasprintf("receive failed (%s)", ovs_strerror(-n));
        return -n;
    } else if (link->rxbuf.size) {
        *reasonp = xasprintf("%s closed the connection in the middle of a "
                             "%s (%"PRIu32" bytes pending)", link->peer,
                             link->unit, link->rxbuf.size);
        return EPROTO;
    } else {
        *reasonp = xasprintf("%s closed the connection", link->peer);
        return EOF;
    }
}
