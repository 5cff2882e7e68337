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

#ifndef COLO_REWRITE_H
#define COLO_REWRITE_H 1

/* The COLO TCP rewriter of one pair, for the secondary node.
 *
 * Every TCP connection of the SVM starts with its own initial sequence
 * number (ISN); the client only knows the PVM's.  The rewriter learns, per
 * connection, offset = SVM ISN - PVM ISN from the handshake and applies
 * it:
 *
 *   - COLO_TO_SVM (client -> SVM): the acknowledgment number and the edges
 *     of SACK blocks are shifted by +offset;
 *   - COLO_FROM_SVM (SVM -> client, or to the primary's comparator): the
 *     sequence number is shifted by -offset, on every segment.
 *
 * The SVM's ISN comes from its SYN or SYN+ACK; the PVM's from the client's
 * acknowledgment of it (the third packet of a handshake the client opened,
 * or the client's SYN+ACK for a connection the VM opened), in either
 * arrival order.  A client packet that needs the offset before it is known
 * is held (at most COLO_REWRITE_MAX_HELD per connection and the
 * 'max_queue_bytes' option over all connections, for at most
 * COLO_REWRITE_HOLD_MS) and handed back through the release callback once
 * the SVM's ISN is seen; it is never dropped: on overflow or timeout it is
 * released unchanged, and counted.
 *
 * With the option 'tcp_timestamp_offset', TCP timestamps are mapped the
 * same way (SVM TSval - PVM TSval, learned from the same handshake
 * packets), so that after failover the client sees timestamps continue and
 * its PAWS check does not drop segments.
 *
 * Checksums are updated incrementally (a bad checksum stays bad).  After a
 * checkpoint the SVM is a copy of the PVM, so colo_rewriter_checkpoint_done()
 * sets every offset to 0 (or colo_rewriter_checkpoint_start() does, when the
 * manager says when the VMs stopped for the checkpoint).  In failover mode,
 * existing connections keep their offsets and new connections pass with
 * offset 0.
 *
 * Thread safety: not thread-safe; the user serializes all calls on one
 * rewriter, and the release callback runs within them. */

#include <stdbool.h>
#include <stdint.h>
#include "colo/colo-config.h"

struct dp_packet;
struct colo_rewriter;

#define COLO_REWRITE_MAX_HELD 256
#define COLO_REWRITE_HOLD_MS 1000

/* Direction of a packet through the rewriter. */
enum colo_rewrite_dir {
    COLO_TO_SVM,                /* Client to SVM: ack and SACK shifted. */
    COLO_FROM_SVM,              /* SVM to client: seq shifted. */
};

/* What colo_rewriter_process() did with a packet. */
enum colo_rewrite_result {
    COLO_REWRITE_PASS,          /* Rewritten as needed (or not TCP): go on
                                 * with the packet. */
    COLO_REWRITE_HELD,          /* The rewriter owns it until the offset is
                                 * known; the release callback returns it. */
};

typedef void colo_rewrite_release_cb(struct dp_packet *,
                                     enum colo_rewrite_dir, void *aux);

/* COLO_REWRITE_STAT(MEMBER, DESCRIPTION): one counter. */
#define COLO_REWRITE_STATS                                                  \
    COLO_REWRITE_STAT(connections, "connections tracked now")               \
    COLO_REWRITE_STAT(conns_created, "connections created")                 \
    COLO_REWRITE_STAT(conns_closed, "connections ended by FIN or RST")      \
    COLO_REWRITE_STAT(conns_expired, "idle connections forgotten")          \
    COLO_REWRITE_STAT(conns_evicted, "connections evicted, table full")     \
    COLO_REWRITE_STAT(offsets_learned, "offsets learned from handshakes")   \
    COLO_REWRITE_STAT(rewritten, "packets rewritten")                       \
    COLO_REWRITE_STAT(unknown, "TCP packets of unknown connections passed") \
    COLO_REWRITE_STAT(held, "client packets held for the offset")          \
    COLO_REWRITE_STAT(hold_timeouts, "held packets released unchanged")     \
    COLO_REWRITE_STAT(hold_overflows,                                       \
                      "client packets not held: hold queue full")           \
    COLO_REWRITE_STAT(bad_options, "malformed TCP options left alone")     \
    COLO_REWRITE_STAT(malformed, "malformed IP packets passed unchanged")

struct colo_rewrite_stats {
#define COLO_REWRITE_STAT(MEMBER, DESCRIPTION) uint64_t MEMBER;
    COLO_REWRITE_STATS
#undef COLO_REWRITE_STAT
};

struct colo_rewriter *colo_rewriter_create(const struct colo_options *,
                                           colo_rewrite_release_cb *,
                                           void *aux);
void colo_rewriter_destroy(struct colo_rewriter *);
void colo_rewriter_set_options(struct colo_rewriter *,
                               const struct colo_options *);
void colo_rewriter_set_failover(struct colo_rewriter *, bool failover);

enum colo_rewrite_result colo_rewriter_process(struct colo_rewriter *,
                                               enum colo_rewrite_dir,
                                               struct dp_packet *,
                                               long long int now);
void colo_rewriter_run(struct colo_rewriter *, long long int now);
void colo_rewriter_checkpoint_start(struct colo_rewriter *);
void colo_rewriter_checkpoint_done(struct colo_rewriter *);
void colo_rewriter_get_stats(const struct colo_rewriter *,
                             struct colo_rewrite_stats *);

#endif /* colo-rewrite.h */
