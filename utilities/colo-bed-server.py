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

"""Deterministic servers for the COLO bed's PVM and SVM.

A COLO pair only stays in step if the two VMs answer byte for byte the
same.  Python's http.server puts the time of day in every reply, so the
bed's "VMs" run these instead:

  colo-bed-server.py http PORT FILE   HTTP/1.1 with keep-alive; every GET
                                      is answered with FILE's current
                                      content (re-read each time, so
                                      changing it on one VM makes it
                                      diverge) and no Date header
  colo-bed-server.py echo PORT        TCP echo
  colo-bed-server.py udp-echo PORT    UDP echo

Each listens on every address, one thread per connection, until killed.
"""

import socket
import socketserver
import sys


class HTTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            request = self.rfile.readline()
            if not request:
                return
            while True:
                line = self.rfile.readline()
                if not line or line in (b"\r\n", b"\n"):
                    break
            with open(self.server.content_file, "rb") as f:
                body = f.read()
            self.wfile.write(b"HTTP/1.1 200 OK\r\n"
                             b"Content-Type: text/plain\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(body)
                             + body)
            self.wfile.flush()


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class UDPEchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main(argv):
    if len(argv) < 3 or argv[1] not in ("http", "echo", "udp-echo"):
        sys.stderr.write(__doc__)
        return 2
    kind, port = argv[1], int(argv[2])
    if kind == "http":
        server = TCPServer(("0.0.0.0", port), HTTPHandler)
        server.content_file = argv[3]
    elif kind == "echo":
        server = TCPServer(("0.0.0.0", port), EchoHandler)
    else:
        server = socketserver.ThreadingUDPServer(("0.0.0.0", port),
                                                 UDPEchoHandler)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
