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

"""A scripted peer for the colo channel port and notify bridge tests.

usage: colo-peer.py ADDRESS ACTION...

ADDRESS is unix:PATH, tcp:IP:PORT or ssl:IP:PORT:KEY:CERT (TLS with that
client key and certificate; the server's is not checked), or punix:PATH
to listen there and serve the first connection.  ACTIONs run in order:
  frame:HEX      send one frame (u32 length + Ethernet frame HEX)
  vframe:HEX     the same with a 12-byte vnet header (vnet_hdr=true)
  raw:HEX        send these bytes as they are
  msg:TEXT       send one notify message (u32 length + ASCII TEXT)
  sleep:SECONDS  wait
  waitfile:PATH  wait until PATH exists
  read:N         read N frames (no vnet header), print each as hex
  readmsg:N      read N notify messages, print each as text
  quiet:SECONDS  read for SECONDS; any message is printed as
                 "unexpected: TEXT" and fails
  eof            wait until the other side closes the connection
  hold           keep the connection open without reading until killed
  seqframes:N:SIZE[:FIRST[:FILL]]
                 send N UDP frames (10.0.0.1:80 -> 10.0.0.2:5000) of SIZE
                 bytes each (Ethernet header included), numbered FIRST
                 (default 0) onward: the number is the payload's first 8
                 bytes (big-endian), the rest of the payload is FILL
                 (a byte in hex, default 00)
  count:N:SECONDS[:MBPS]
                 read frames until N have come, or until none has come
                 for SECONDS, at most MBPS megabytes a second if given (a
                 slow client, so that the sender has to queue); print "frames=K order=ok" if the numbers
                 (as sent by seqframes) only grew, else "order=bad"
                 followed by the first out-of-order pair
"""

import os
import select
import socket
import ssl
import struct
import sys
import time

import ovs.socket_util


def strerror(error):
    return os.strerror(error) if isinstance(error, int) else str(error)


def connect(address):
    # OVS's make_unix_socket() reaches paths longer than sun_path through
    # /proc/self/fd (a test directory below a long checkout path).
    if address.startswith("unix:"):
        error, s = ovs.socket_util.make_unix_socket(
            socket.SOCK_STREAM, False, None, address[5:])
        if error:
            sys.exit("colo-peer: %s: %s" % (address, strerror(error)))
    elif address.startswith("tcp:"):
        host, port = address[4:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    elif address.startswith("punix:"):
        path = address[6:]
        error, listener = ovs.socket_util.make_unix_socket(
            socket.SOCK_STREAM, False, path + ".tmp", None)
        if error:
            sys.exit("colo-peer: %s: %s" % (address, strerror(error)))
        listener.listen(1)
        os.rename(path + ".tmp", path)
        s, _ = listener.accept()
        listener.close()
    elif address.startswith("ssl:"):
        host, port, key, cert = address[4:].split(":")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.load_cert_chain(cert, key)
        s = ctx.wrap_socket(socket.create_connection((host, int(port))))
    else:
        sys.exit("colo-peer: bad address %s" % address)
    return s


def recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            sys.exit("colo-peer: connection closed")
        data += chunk
    return data


def seq_frame(seq, size, fill):
    """A UDP frame of 'size' bytes whose payload starts with 'seq'."""
    eth = bytes.fromhex("505400000002505400000001" "0800")
    ip_len = size - len(eth)
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0, 64,
                               17, 0, bytes([10, 0, 0, 1]),
                               bytes([10, 0, 0, 2])))
    csum = sum(struct.unpack("!10H", bytes(ip)))
    while csum > 0xffff:
        csum = (csum & 0xffff) + (csum >> 16)
    ip[10:12] = struct.pack("!H", ~csum & 0xffff)
    udp = struct.pack("!HHHH", 80, 5000, ip_len - 20, 0)
    payload = struct.pack("!Q", seq) + bytes([fill]) * (ip_len - 36)
    return eth + bytes(ip) + udp + payload


def count_frames(s, n, idle, mbps):
    """Reads up to 'n' frames, giving up after 'idle' seconds without one,
    at most 'mbps' megabytes a second if nonzero; returns the report
    line."""
    buf = bytearray()
    start = None
    n_bytes = 0
    k = 0
    last = None
    bad = None
    deadline = time.time() + idle
    while k < n:
        while len(buf) >= 4:
            (length,) = struct.unpack("!I", buf[:4])
            if len(buf) < 4 + length:
                break
            if length >= 50:
                (seq,) = struct.unpack("!Q", buf[4 + 42:4 + 50])
            else:
                seq = -1
            if bad is None and last is not None and seq <= last:
                bad = "%d after %d" % (seq, last)
            last = seq
            k += 1
            del buf[:4 + length]
            deadline = time.time() + idle
        if k >= n:
            break
        timeout = deadline - time.time()
        if timeout <= 0 or not select.select([s], [], [], timeout)[0]:
            break
        if mbps:
            # Reading this chunk must not take us above 'mbps'.
            if start is None:
                start = time.time()
            ahead = start + n_bytes / (mbps * 1e6) - time.time()
            if ahead > 0:
                time.sleep(ahead)
        chunk = s.recv(65536)
        if not chunk:
            break
        n_bytes += len(chunk)
        buf += chunk
    return "frames=%d order=%s" % (k, "ok" if bad is None
                                   else "bad (%s)" % bad)


def main():
    s = connect(sys.argv[1])
    for action in sys.argv[2:]:
        verb, _, arg = action.partition(":")
        if verb == "frame":
            eth = bytes.fromhex(arg)
            s.sendall(struct.pack("!I", len(eth)) + eth)
        elif verb == "vframe":
            eth = bytes.fromhex(arg)
            s.sendall(struct.pack("!II", 12 + len(eth), 12) + bytes(12) + eth)
        elif verb == "raw":
            s.sendall(bytes.fromhex(arg))
        elif verb == "sleep":
            time.sleep(float(arg))
        elif verb == "waitfile":
            while not os.path.exists(arg):
                time.sleep(0.05)
        elif verb == "read":
            for _ in range(int(arg)):
                (n,) = struct.unpack("!I", recv_exactly(s, 4))
                print(recv_exactly(s, n).hex())
            sys.stdout.flush()
        elif verb == "msg":
            text = arg.encode("ascii")
            s.sendall(struct.pack("!I", len(text)) + text)
        elif verb == "readmsg":
            for _ in range(int(arg)):
                (n,) = struct.unpack("!I", recv_exactly(s, 4))
                print(recv_exactly(s, n).decode("ascii"))
            sys.stdout.flush()
        elif verb == "quiet":
            deadline = time.time() + float(arg)
            while time.time() < deadline:
                if select.select([s], [], [], deadline - time.time())[0]:
                    (n,) = struct.unpack("!I", recv_exactly(s, 4))
                    sys.exit("unexpected: %s"
                             % recv_exactly(s, n).decode("ascii"))
        elif verb == "eof":
            while s.recv(4096):
                pass
        elif verb == "seqframes":
            args = arg.split(":")
            n, size = int(args[0]), int(args[1])
            first = int(args[2]) if len(args) > 2 else 0
            fill = int(args[3], 16) if len(args) > 3 else 0
            out = bytearray()
            for seq in range(first, first + n):
                eth = seq_frame(seq, size, fill)
                out += struct.pack("!I", len(eth)) + eth
                if len(out) > 1 << 20:
                    s.sendall(out)
                    out = bytearray()
            s.sendall(out)
        elif verb == "count":
            args = arg.split(":")
            mbps = float(args[2]) if len(args) > 2 else 0
            print(count_frames(s, int(args[0]), float(args[1]), mbps))
            sys.stdout.flush()
        elif verb == "hold":
            while True:
                time.sleep(1)
        else:
            sys.exit("colo-peer: bad action %s" % action)
    s.close()


if __name__ == "__main__":
    main()
