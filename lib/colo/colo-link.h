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

#ifndef COLO_LINK_H
#define COLO_LINK_H 1

/* One end of a stream connection that is kept up: passive (a listener that
 * takes one peer at a time and refuses any other) or active (connects, and
 * reconnects with backoff after a failure or a close).  The colo channel
 * port and ovs-colo-notify both hold their peer through one, each with its
 * own framing (lib/colo/colo-frame.h, lib/colo/colo-notify.h) on the byte
 * stream the link carries.
 *
 * The link manages the connection and logs what happens to it (a peer
 * connected, another refused), and holds the byte stream's two buffers:
 * the caller appends framed bytes to 'txbuf' and sends them with
 * colo_link_send(), receives into 'rxbuf' with colo_link_recv() and decodes
 * (and pulls) whole frames from its head.  The caller handles a failed
 * connection attempt that colo_link_run() reports and the failures that
 * colo_link_send() and colo_link_recv() report, and calls
 * colo_link_disconnect() for them or when the peer misbehaves.  Not
 * thread-safe: the caller serializes the calls on one link. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/ofpbuf.h"

enum colo_link_state {
    COLO_LINK_UNCONFIGURED,     /* Not opened, or closed. */
    COLO_LINK_LISTENING,        /* Passive, waiting for the peer. */
    COLO_LINK_CONNECTING,       /* Active, connection in progress. */
    COLO_LINK_CONNECTED,        /* 'stream' is the peer. */
    COLO_LINK_BACKOFF,          /* Active, waiting before reconnecting. */
};

const char *colo_link_state_to_string(enum colo_link_state);

struct colo_link {
    const char *name;           /* Log prefix: the port's or pair's name. */
    const char *peer;           /* What the peer is, for logs: "peer",
                                 * "manager". */
    const char *unit;           /* What a frame is called: "frame",
                                 * "message". */
    char *remote;               /* As given to colo_link_open(). */
    struct pstream *pstream;    /* Passive: the listener. */
    struct reconnect *reconnect; /* Active: the backoff. */
    struct stream *stream;      /* The peer, or the connection in progress. */
    enum colo_link_state state;
    long long int state_changed; /* Wall clock (ms) of the last change. */
    uint64_t n_connects;        /* Times the link became connected. */
    uint64_t n_refused;         /* Passive: other peers refused. */

    /* The byte stream, while connected (emptied on disconnection). */
    struct ofpbuf rxbuf;        /* Received, not yet decoded: whole frames
                                 * and the start of the next. */
    struct ofpbuf txbuf;        /* Framed, not yet sent. */
    long long int next_refusal; /* Passive and connected: when to look for
                                 * another peer (to refuse) next. */
};

/* What one colo_link_run() call did. */
enum colo_link_event {
    COLO_LINK_NONE,
    COLO_LINK_UP,               /* Now connected to 'stream'. */
    COLO_LINK_REFUSED,          /* Passive: refused another peer. */
    COLO_LINK_CONNECT_FAILED,   /* Active: connecting failed; back off. */
};

void colo_link_init(struct colo_link *, const char *name, const char *peer,
                    const char *unit);
void colo_link_destroy(struct colo_link *);
bool colo_link_remote_is_passive(const char *remote);
bool colo_link_remote_is_valid(const char *remote);
int colo_link_open(struct colo_link *, const char *remote);
void colo_link_close(struct colo_link *);
enum colo_link_event colo_link_run(struct colo_link *, int *errorp);
void colo_link_wait(struct colo_link *);
void colo_link_disconnect(struct colo_link *, int error);

typedef void colo_link_sent_cb(const uint8_t *data, size_t n, void *aux);
int colo_link_send(struct colo_link *, colo_link_sent_cb *, void *aux,
                   char **reasonp);
int colo_link_recv(struct colo_link *, size_t max, size_t *n_received,
                   char **reasonp);

static inline bool
colo_link_is_connected(const struct colo_link *link)
{
    return link->state == COLO_LINK_CONNECTED;
}

#endif /* colo-link.h */
