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

"""Clients for the COLO bed (run in the client's namespace).

  colo-bed-client.py stream HOST PORT SECONDS PROGRESS
      A long-lived TCP stream to an echo server: sends a numbered 64-byte
      line every 10 ms for SECONDS, checks that the echo is every byte sent,
      exactly once and in order, and writes the number of lines echoed so
      far to the file PROGRESS (so that a test can act mid-stream).  Fails
      if the echo differs or stalls for 60 s.  Prints what it saw.

  colo-bed-client.py sink HOST PORT SECONDS
      Reads what a "source" server sends for SECONDS; prints the
      throughput in Gbit/s.

  colo-bed-client.py check-source HOST PORT SECONDS [RCVBUF]
      The same, checking that every byte is the source's pattern (the
      PVM's) and none is missing; prints "bytes=N gbps=G
      longest_gap_ms=M" and fails on the first wrong byte.  RCVBUF sets
      the socket's receive buffer (so the TCP window) in bytes.

  colo-bed-client.py udp-stream HOST PORT SECONDS
      A numbered UDP request every 10 ms for SECONDS to an echo server,
      then 1 s for late answers; prints "udp: sent=N answered=M lost=L
      duplicated=D longest_gap_ms=G" (G: the longest time without an
      answer).  Fails if an answer is not the echo of a request.

  colo-bed-client.py latency HOST PORT COUNT
      COUNT HTTP GETs on one keep-alive connection; prints the 50th and
      99th percentiles of the request latency in microseconds.
"""

import http.client
import os
import select
import socket
import sys
import time

LINE = 64
STALL = 60.0


def write_progress(path, n):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % n)
    os.rename(tmp, path)


def stream(host, port, seconds, progress):
    s = socket.create_connection((host, port), timeout=10)
    s.setblocking(False)
    sent = b""
    echoed = 0
    next_line, longest_gap = 0, 0.0
    start = last_rx = time.monotonic()
    end = start + seconds
    next_send = start
    write_progress(progress, 0)
    while True:
        now = time.monotonic()
        if now < end and now >= next_send:
            line = (b"%08d colo stream line" % next_line).ljust(LINE - 1,
                                                                 b".")
            s.sendall(line + b"\n")
            sent += line + b"\n"
            next_line += 1
            next_send += 0.01
        if now >= end and echoed == len(sent):
            break
        if now - last_rx > STALL:
            print("stream: stalled for %d s after %d of %d bytes echoed"
                  % (STALL, echoed, len(sent)))
            return 1
        readable, _, _ = select.select([s], [], [], 0.005)
        if not readable:
            continue
        data = s.recv(65536)
        if not data:
            print("stream: closed by the server after %d bytes" % echoed)
            return 1
        if sent[echoed:echoed + len(data)] != data:
            print("stream: echo differs at byte %d: %r" % (echoed, data[:80]))
            return 1
        longest_gap = max(longest_gap, time.monotonic() - last_rx)
        last_rx = time.monotonic()
        echoed += len(data)
        write_progress(progress, echoed // LINE)
    s.close()
    print("stream: %d lines (%d bytes) sent and echoed exactly once, in "
          "order; longest gap %.0f ms" % (next_line, len(sent),
                                          longest_gap * 1000))
    return 0


def sink(host, port, seconds):
    s = socket.create_connection((host, port), timeout=10)
    n = 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        data = s.recv(1 << 20)
        if not data:
            break
        n += len(data)
    elapsed = time.monotonic() - start
    s.close()
    print("%.2f" % (n * 8 / elapsed / 1e9))
    return 0


def check_source(host, port, seconds, rcvbuf=0):
    expected = bytes(range(256)) * ((1 << 20) // 256 + 2)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    if rcvbuf:
        # A small window keeps the VM's bursts small.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(STALL)
    s.connect((host, port))
    n = 0
    gap = 0.0
    start = last = time.monotonic()
    while last - start < seconds:
        data = s.recv(1 << 20)
        now = time.monotonic()
        gap = max(gap, now - last)
        last = now
        if not data:
            print("connection closed after %d bytes" % n)
            return 1
        ofs = n % 256
        if data != expected[ofs:ofs + len(data)]:
            for i, b in enumerate(data):
                if b != (n + i) % 256:
                    break
            print("byte %d is %d, not the PVM's %d" % (n + i, b, (n + i) % 256))
            return 1
        n += len(data)
    s.close()
    print("bytes=%d gbps=%.2f longest_gap_ms=%d"
          % (n, n * 8 / (last - start) / 1e9, gap * 1000))
    return 0


def udp_stream(host, port, seconds):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.connect((host, port))
    answered = set()
    sent = duplicated = 0
    start = last_rx = time.monotonic()
    gap = 0.0
    next_send = start
    while True:
        now = time.monotonic()
        if now >= start + seconds + 1.0:
            break
        if now < start + seconds and now >= next_send:
            s.send(b"colo udp request %08d" % sent)
            sent += 1
            next_send += 0.01
        readable, _, _ = select.select([s], [], [], 0.005)
        if not readable:
            continue
        try:
            data = s.recv(65536)
        except ConnectionRefusedError:
            continue
        if not data.startswith(b"colo udp request "):
            print("udp: an answer that is no request's echo: %r" % data[:80])
            return 1
        n = int(data[17:25])
        if n in answered:
            duplicated += 1
        answered.add(n)
        gap = max(gap, time.monotonic() - last_rx)
        last_rx = time.monotonic()
    s.close()
    print("udp: sent=%d answered=%d lost=%d duplicated=%d longest_gap_ms=%d"
          % (sent, len(answered), sent - len(answered), duplicated,
             gap * 1000))
    return 0


def latency(host, port, count):
    conn = http.client.HTTPConnection(host, port, timeout=10)
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        conn.request("GET", "/")
        conn.getresponse().read()
        samples.append((time.perf_counter() - t0) * 1e6)
    samples.sort()
    print("%.0f %.0f" % (samples[len(samples) // 2],
                         samples[min(len(samples) - 1,
                                     len(samples) * 99 // 100)]))
    return 0


def main(argv):
    if len(argv) == 6 and argv[1] == "stream":
        return stream(argv[2], int(argv[3]), float(argv[4]), argv[5])
    if len(argv) == 5 and argv[1] == "sink":
        return sink(argv[2], int(argv[3]), float(argv[4]))
    if len(argv) in (5, 6) and argv[1] == "check-source":
        return check_source(argv[2], int(argv[3]), float(argv[4]),
                            int(argv[5]) if len(argv) == 6 else 0)
    if len(argv) == 5 and argv[1] == "udp-stream":
        return udp_stream(argv[2], int(argv[3]), float(argv[4]))
    if len(argv) == 5 and argv[1] == "latency":
        return latency(argv[2], int(argv[3]), int(argv[4]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
