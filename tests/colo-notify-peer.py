#!/usr/bin/env python3
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

"""The manager's end of a COLO notify socket, for tests.

usage: colo-notify-peer.py PORTFILE

Listens on 127.0.0.1 (port chosen by the system, written to PORTFILE),
accepts one connection and prints each message it receives (frames of a
big-endian u32 length followed by ASCII) on its own line, until the peer
closes the connection.
"""

import os
import socket
import struct
import sys


def recv_exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % listener.getsockname()[1])
    # Renamed, so that readers never see a partial file.
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])

    conn, _ = listener.accept()
    while True:
        header = recv_exactly(conn, 4)
        if header is None:
            break
        (n,) = struct.unpack("!I", header)
        message = recv_exactly(conn, n)
        if message is None:
            break
        print(message.decode("ascii", "replace"), flush=True)


if __name__ == "__main__":
    main()
