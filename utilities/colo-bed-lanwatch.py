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

"""colo-bed-lanwatch.py OUT IFACE...: watches the client's LAN (run in the
client's namespace): records when each IFACE (a port of the LAN's bridge
that leads to one node's uplink) received a frame from its node, i.e. when
that node emitted to the clients.  On SIGTERM writes to OUT one line per
IFACE, "IFACE COUNT FIRST LAST" (CLOCK_REALTIME seconds; 0 0 if none),
then the frame times themselves, "IFACE TIME" per frame, and exits."""

import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out, ifaces = argv[1], argv[2:]
    socks = {}
    for iface in ifaces:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                          socket.htons(ETH_P_ALL))
        s.bind((iface, 0))
        s.setblocking(False)
        socks[s] = iface
    times = {iface: [] for iface in ifaces}
    stop = []
    signal.signal(signal.SIGTERM, lambda signo, frame: stop.append(1))
    while not stop:
        try:
            readable, _, _ = select.select(list(socks), [], [], 0.1)
        except InterruptedError:
            continue
        now = time.time()
        for s in readable:
            while True:
                try:
                    _, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                except OSError:
                    # ENETDOWN: the port's link went down (a fault).
                    break
                # Frames the bridge floods toward the node are "outgoing"
                # on its port; those from the node come in.
                if addr[2] != PACKET_OUTGOING:
                    times[socks[s]].append(now)
    with open(out, "w") as f:
        for iface in ifaces:
            t = times[iface]
            f.write("%s %d %.6f %.6f\n" % (iface, len(t), t[0] if t else 0,
                                           t[-1] if t else 0))
        for iface in ifaces:
            for t in times[iface]:
                f.write("%s %.6f\n" % (iface, t))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
