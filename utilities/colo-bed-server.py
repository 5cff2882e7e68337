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
                                      diverge) and no Date header; while
                                      FILE.diverge-every holds a number
                                      N, every Nth answer (counted from
                                      when it appeared) has its last but
                                      one byte changed to "#" (same
                                      length: periodic divergence)
  colo-bed-server.py echo PORT        TCP echo
  colo-bed-server.py source PORT [FILE]
                                      TCP: sends a fixed 64 KiB pattern
                                      over and over until the peer closes
                                      (iperf3 -R is no substitute: after a
                                      partial write it starts its buffer
                                      over, so two VMs send different
                                      bytes); while FILE holds a number N,
                                      every Nth pattern sent has its first
                                      byte changed (periodic divergence),
                                      and FILE.count says how many were
  colo-bed-server.py udp-echo PORT [FILE]
                                      UDP echo, followed by FILE's current
                                      content if FILE exists

Each listens on every IPv6 and IPv4 address, one thread per connection, until killed.
"""

import socket
import socketserver
import sys
import threading


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
            if self.server.diverge_now() and len(body) >= 2:
                body = body[:-2] + b"#" + body[-1:]
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


class SourceHandler(socketserver.BaseRequestHandler):
    PATTERN = bytes(range(256)) * 256
    CHANGED = b"\xff" + PATTERN[1:]

    def diverge_every(self):
        try:
            with open(self.server.diverge_file) as f:
                return int(f.read())
        except (TypeError, FileNotFoundError, ValueError):
            return 0

    def handle(self):
        sent = 0
        diverged = 0
        every = 0
        try:
            while True:
                if sent % 16 == 0:
                    every = self.diverge_every()
                sent += 1
                if every > 0 and sent % every == 0:
                    diverged += 1
                    with open(self.server.diverge_file + ".count", "w") as f:
                        f.write("%d\n" % diverged)
                    self.request.sendall(self.CHANGED)
                else:
                    self.request.sendall(self.PATTERN)
        except OSError:
            return


class UDPEchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        suffix = b""
        if self.server.suffix_file:
            try:
                with open(self.server.suffix_file, "rb") as f:
                    suffix = f.read()
            except FileNotFoundError:
                pass
        sock.sendto(data + suffix, self.client_address)


class PeriodicDivergence(object):
    """Counts HTTP answers while CONTENT_FILE.diverge-every exists."""
    content_file = None
    answers = 0
    lock = threading.Lock()

    def diverge_now(self):
        try:
            with open(self.content_file + ".diverge-every") as f:
                every = int(f.read())
        except (FileNotFoundError, ValueError):
            with self.lock:
                self.answers = 0
            return False
        with self.lock:
            self.answers += 1
            return every > 0 and self.answers % every == 0


class DualStack(object):
    """Listens on every IPv6 and IPv4 address (IPv4 alone if the namespace
    has no IPv6)."""
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class TCPServer6(DualStack, TCPServer):
    pass


class HTTPServer(PeriodicDivergence, TCPServer):
    pass


class HTTPServer6(PeriodicDivergence, TCPServer6):
    pass


class UDPServer6(DualStack, socketserver.ThreadingUDPServer):
    pass


def make_server(tcp, port, handler, http=False):
    try:
        cls = (HTTPServer6 if http else TCPServer6) if tcp else UDPServer6
        return cls(("::", port), handler)
    except OSError:
        cls = ((HTTPServer if http else TCPServer) if tcp
               else socketserver.ThreadingUDPServer)
        return cls(("0.0.0.0", port), handler)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("http", "echo", "source",
                                         "udp-echo"):
        sys.stderr.write(__doc__)
        return 2
    kind, port = argv[1], int(argv[2])
    if kind == "http":
        server = make_server(True, port, HTTPHandler, http=True)
        server.content_file = argv[3]
    elif kind == "echo":
        server = make_server(True, port, EchoHandler)
    elif kind == "source":
        server = make_server(True, port, SourceHandler)
        server.diverge_file = argv[3] if len(argv) > 3 else None
    else:
        server = make_server(False, port, UDPEchoHandler)
        server.suffix_file = argv[3] if len(argv) > 3 else None
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
