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

"""A stand-in for a QEMU's QMP monitor, for tests of the managers.

usage: colo-qmp-peer.py SOCKET LOG [FAILING-COMMAND...]

Listens on unix socket SOCKET and serves one client at a time as a QMP
monitor does: a greeting, then an answer to each command, {"return": {}},
or an error for a FAILING-COMMAND.  Appends each command's name to LOG, one
per line, as it arrives.  Killing this program closes the connection, as a
QEMU that dies does.
"""

import json
import os
import socket
import sys


def serve(conn, log, failing):
    conn.sendall(b'{"QMP": {"version": {"qemu": {"major": 7, "minor": 2, '
                 b'"micro": 0}}, "capabilities": []}}\r\n')
    decoder = json.JSONDecoder()
    buf = ""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        buf += data.decode()
        while True:
            buf = buf.lstrip()
            if not buf:
                break
            try:
                msg, n = decoder.raw_decode(buf)
            except ValueError:
                break
            buf = buf[n:]
            command = msg.get("execute", "?")
            with open(log, "a") as f:
                f.write(command + "\n")
            if command in failing:
                reply = {"error": {"class": "GenericError",
                                   "desc": "refused by the test"}}
            else:
                reply = {"return": {}}
            conn.sendall(json.dumps(reply).encode() + b"\r\n")


def main():
    path, log = sys.argv[1:3]
    failing = set(sys.argv[3:])
    log = os.path.abspath(log)
    # Bound from its own directory: a unix socket's path has at most 107
    # bytes, and test directories can be deeper than that.
    directory, name = os.path.split(os.path.abspath(path))
    os.chdir(directory)
    if os.path.exists(name):
        os.unlink(name)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(name)
    server.listen(1)
    while True:
        conn, _ = server.accept()
        try:
            serve(conn, log, failing)
        except OSError:
            pass
        conn.close()


if __name__ == "__main__":
    main()
