#!/usr/bin/python3
# Copyright (c) 2026 The ovs-colo authors.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at:
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""colo-bed-lanwatch.py OUT MAC IFACE...: watches the client's LAN (run in
the client's namespace): records when each IFACE (a port of the LAN's
bridge that leads to one node's uplink) received a frame from its node, and
counts as the pair's output, what the split-brain check looks at, the
frames whose Ethernet source is MAC (the VMs' address): a node's own
frames (its kernel's, say) are no pair serving clients.  Each frame is
timed by the kernel when it arrived (SO_TIMESTAMPNS).  On SIGTERM writes to
OUT one line per IFACE, "IFACE COUNT FIRST LAST" over the pair's frames
(CLOCK_REALTIME seconds; 0 0 if none), then every frame, "IFACE TIME SRC
ETHERTYPE pair|other", and exits."""

import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    out, mac, ifaces = argv[1], argv[2].lower(), argv[3:]
    socks = {}
    for iface in ifaces:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                          socket.htons(ETH_P_ALL))
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.bind((iface, 0))
        s.setblocking(False)
        socks[s] = iface
    frames = []                 # (iface, time, src, ethertype)
    stop = []
    signal.signal(signal.SIGTERM, lambda signo, frame: stop.append(1))
    while not stop:
        try:
            readable, _, _ = select.select(list(socks), [], [], 0.1)
        except InterruptedError:
            continue
        for s in readable:
            while True:
                try:
                    data, anc, _, addr = s.recvmsg(
                        65536, socket.CMSG_SPACE(16))
                except BlockingIOError:
                    break
                except OSError:
                    # ENETDOWN: the port's link went down (a fault).
                    break
                # Frames the bridge floods toward the node are "outgoing"
                # on its port; those from the node come in.
                if addr[2] == PACKET_OUTGOING or len(data) < 14:
                    continue
                t = None
                for level, kind, value in anc:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        sec, nsec = struct.unpack("qq", value[:16])
                        t = sec + nsec / 1e9
                if t is None:
                    t = time.time()
                frames.append((socks[s], t, mac_str(data[6:12]),
                               struct.unpack("!H", data[12:14])[0]))
    with open(out, "w") as f:
        for iface in ifaces:
            t = [fr[1] for fr in frames if fr[0] == iface and fr[2] == mac]
            f.write("%s %d %.6f %.6f\n" % (iface, len(t), min(t, default=0),
                                           max(t, default=0)))
        for iface, t, src, ethertype in sorted(frames, key=lambda x: x[1]):
            f.write("%s %.6f %s 0x%04x %s\n" % (
                iface, t, src, ethertype, "pair" if src == mac else "other"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
