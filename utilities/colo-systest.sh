#!/bin/bash
# colo-systest.sh -- system tests of a COLO pair with real traffic, on the
# two-node bed (utilities/colo-bed.sh): two ovs-vswitchd on the userspace
# datapath in their own namespaces, a client on a LAN that reaches both
# nodes, a PVM and an SVM running the same deterministic servers, and the
# reference manager (utilities/ovs-colo-manager) acknowledging checkpoints.
# Needs root.  Run by "make check-system" and by .ci/run; exits nonzero on
# the first failure, and always removes the bed.
#
#   (a) 1000 HTTP requests, a TCP echo session and UDP echoes through the
#       pair: every answer correct, no checkpoint requested;
#   (b) the SVM answers differently: exactly one request, with a reason;
#       the manager acknowledges; the held answer reaches the client and
#       traffic goes on without another request;
#   (d) the same over IPv6, and a UDP divergence;
#   (f) the SVM diverges every 25th HTTP answer: 300 requests, every
#       answer the PVM's, every connection kept, one checkpoint per
#       divergence; then a 4 s bulk stream from the VM whose SVM copy
#       diverges periodically: every byte the PVM's, no more checkpoints
#       than divergences, none from a compare timeout;
#   (e) the channel between the nodes is cut mid-stream (link down, its
#       TCP connection aborted) and restored: degraded status while cut,
#       the client still served, a resync checkpoint once restored, and
#       every byte of the stream echoed exactly once;
#   (s) the host as shipped: a 5 s bulk transfer from the VM with the
#       host's socket buffers, through plain OVS (the host's buffers on
#       every port) and then through the pair: every byte the PVM's, in
#       order, at no less than COLO_SYSTEST_STOCK_PERCENT (default 50) % of
#       plain OVS's throughput, the ports that carry the pair given
#       port-rx-buffer's default;
#   (c) failover: the primary's ovs-vswitchd is killed during an IPv4 and
#       an IPv6 TCP stream; the manager fails the pair over to the
#       secondary; both streams go on, every byte exactly once.
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
# The bed's namespace VMs: these checks use their servers.
COLO_BED_VMS=netns
. "$(dirname "$0")/colo-bed.sh"

bed_prepare colo-systest

COLO_SYSTEST_REQUESTS=${COLO_SYSTEST_REQUESTS:-1000}
COLO_SYSTEST_STOCK_PERCENT=${COLO_SYSTEST_STOCK_PERCENT:-50}
colo_check_diagnose() {
    bed_diagnose
}
requests() {
    bed_vsctl primary get COLO vm1 checkpoint_request
}
client_py() {
    bed_client /usr/bin/python3 "$@"
}
stream_client() {
    client_py "$colo_top/utilities/colo-bed-client.py" stream "$@"
}
# progress NAME: lines echoed so far on stream NAME.
progress() {
    bed_progress "$COLO_BED_DIR/client/$1.progress"
}
# wait_progress NAME N: waits (up to 30 s) until stream NAME echoed N lines.
wait_progress() {
    bed_wait_progress "$COLO_BED_DIR/client/$1.progress" "$2" \
        || fail "stream $1 stuck at $(progress "$1") lines"
}

# http_check HOST N: N HTTP requests to HOST (a new connection every 10,
# keep-alive in between); prints how many answers were wrong.
http_check() {
    client_py - "$1" "$2" "$expected" <<'EOF'
import http.client
import sys

host, n, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3] + "\n"
bad = 0
for i in range(n):
    if i % 10 == 0:
        conn = http.client.HTTPConnection(host, 80, timeout=10)
    conn.request("GET", "/")
    if conn.getresponse().read().decode() != expected:
        bad += 1
print(bad)
EOF
}

# echo_check HOST: 64 KiB through the TCP echo server, checked.
echo_check() {
    client_py - "$1" <<'EOF'
import socket
import sys
s = socket.create_connection((sys.argv[1], 7), timeout=10)
data = bytes(range(256)) * 256
s.sendall(data)
out = b""
while len(out) < len(data):
    chunk = s.recv(65536)
    assert chunk, "connection closed early"
    out += chunk
assert out == data, "echo differs"
EOF
}

# udp_check HOST N: N UDP echoes, each answer checked.
udp_check() {
    client_py - "$1" "$2" <<'EOF'
import socket
import sys
host, n = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_DGRAM)
s.settimeout(10)
for i in range(n):
    msg = b"datagram %d" % i
    s.sendto(msg, (host, 7))
    reply = s.recvfrom(100)[0]
    assert reply == msg, "datagram %d: answer %r" % (i, reply)
EOF
}

trap 'bed_down' EXIT
bed_up
bed_vms_up
bed_pair_up || fail "the pair did not come up"
bed_manager_up || fail "manager did not start"
expected=$(cat "$COLO_BED_DIR/pvm/index.txt")

# (a) Identical traffic.
bad=$(http_check 10.0.0.1 "$COLO_SYSTEST_REQUESTS") \
    || fail "HTTP requests failed"
test "$bad" = 0 || fail "$bad of $COLO_SYSTEST_REQUESTS HTTP answers wrong"
pass "(a) $COLO_SYSTEST_REQUESTS HTTP requests, every answer correct"
echo_check 10.0.0.1 || fail "TCP echo session"
pass "(a) TCP echo session: 64 KiB echoed byte for byte"
udp_check 10.0.0.1 20 || fail "UDP echo"
pass "(a) 20 UDP echoes"
test "$(requests)" = 0 || fail "checkpoint requested: \
$(bed_vsctl primary get COLO vm1 checkpoint_reason)"
colo_stats_settle
test "$(bed_stat primary diverged_payload)" = 0 || fail "divergence counted"
identical=$(bed_stat primary identical)
test "$identical" -gt "$COLO_SYSTEST_REQUESTS" \
    || fail "too few packets compared identical: $identical"
pass "(a) no checkpoint request; $identical packets compared identical," \
     "$(bed_stat secondary rewrite_offsets_learned) TCP offsets learned"

# (b) Divergence; the manager's hook makes the SVM answer like the PVM.
# The SVM's answer is as long as the PVM's, so that the bed's SVM, which
# keeps its own TCP state across the "checkpoint", stays in step after it.
printf 'Hello from the diverged SVM.\n' >"$COLO_BED_DIR/svm/index.txt"
reply=$(bed_client curl -s -m 30 http://10.0.0.1/) \
    || fail "the held request failed"
test "$reply" = "$expected" || fail "held answer wrong: $reply"
test "$(requests)" = 1 || fail "$(requests) requests instead of 1"
reason=$(bed_vsctl primary get COLO vm1 checkpoint_reason)
case $reason in
    *"10.0.0.1:80->10.0.0.2:"*) ;;
    *) fail "reason does not name the connection: $reason" ;;
esac
pass "(b) divergence: checkpoint 1 requested: $reason"
bed_vsctl primary wait-until COLO vm1 checkpoint_done=1 \
    || fail "primary not acknowledged"
test "$(bed_vsctl secondary get COLO vm1 checkpoint_done)" = 0 \
    || fail "the secondary was acknowledged (--requester-only)"
test "$(wc -l <"$COLO_BED_DIR/checkpoints")" = 1 \
    || fail "the manager took $(wc -l <"$COLO_BED_DIR/checkpoints") checkpoints"
pass "(b) the manager acknowledged it on the primary; the held PVM answer" \
     "reached the client"
bad=$(http_check 10.0.0.1 20) || fail "HTTP after the checkpoint"
test "$bad" = 0 || fail "$bad wrong answers after the checkpoint"
sleep 3.5   # Longer than compare-timeout: a late difference would show.
test "$(requests)" = 1 || fail "another request: \
$(bed_vsctl primary get COLO vm1 checkpoint_reason)"
pass "(b) 20 more requests after the checkpoint, no further request"

# (d) IPv6, and UDP divergence.
bad=$(http_check fd00::1 200) || fail "IPv6 HTTP requests failed"
test "$bad" = 0 || fail "$bad of 200 IPv6 HTTP answers wrong"
echo_check fd00::1 || fail "IPv6 TCP echo session"
udp_check fd00::1 20 || fail "IPv6 UDP echo"
test "$(requests)" = 1 || fail "checkpoint requested over IPv6: \
$(bed_vsctl primary get COLO vm1 checkpoint_reason)"
pass "(d) IPv6: 200 HTTP requests, 64 KiB TCP echo, 20 UDP echoes," \
     "all correct, no checkpoint request"
printf ' (SVM)' >"$COLO_BED_DIR/svm/udp-suffix"
udp_check 10.0.0.1 1 || fail "the held UDP answer is not the PVM's"
test "$(requests)" = 2 || fail "$(requests) requests instead of 2"
reason=$(bed_vsctl primary get COLO vm1 checkpoint_reason)
case $reason in
    *"udp 10.0.0.1:7->10.0.0.2:"*) ;;
    *) fail "reason does not name the UDP flow: $reason" ;;
esac
pass "(d) UDP divergence: checkpoint 2: $reason; the client got the PVM's" \
     "answer"
udp_check fd00::1 20 || fail "UDP after the checkpoint"
test "$(requests)" = 2 || fail "another request after the UDP checkpoint"
pass "(d) 20 more UDP echoes, no further request"

# (f) Periodic divergence: the SVM's HTTP server answers every 25th
# request differently (same length), 300 requests on keep-alive
# connections of 10: every answer the client gets is the PVM's, every
# connection survives, and each divergence costs exactly one checkpoint
# (the client waits for each answer, so divergences never overlap).
before=$(requests)
colo_stats_settle
before_flushed=$(bed_stat primary flushed)
echo 25 >"$COLO_BED_DIR/svm/index.txt.diverge-every"
bad=$(http_check 10.0.0.1 300) || fail "HTTP requests with periodic divergence failed"
rm -f "$COLO_BED_DIR/svm/index.txt.diverge-every"
test "$bad" = 0 || fail "$bad of 300 answers were not the PVM's"
n=$(( $(requests) - before ))
test "$n" = 12 || fail "$n checkpoint requests for 12 divergences"
bed_vsctl primary wait-until COLO vm1 "checkpoint_done=$(requests)" \
    || fail "the last checkpoint was not acknowledged"
colo_stats_settle
pass "(f) periodic divergence: 300 HTTP answers, all the PVM's, 12" \
     "divergences, 12 checkpoints;" \
     "$(( $(bed_stat primary flushed) - before_flushed )) held packets" \
     "released by them"

# (f) A bulk stream from the VM whose SVM copy diverges every 300th
# 64 KiB pattern, read for 4 s through a 32 KiB TCP window (small bursts:
# this checks divergence, (s) below the full-speed stream): every byte the
# client gets is the PVM's, the connection survives, checkpoints are coalesced (no more requests than
# divergences), and none comes from a compare timeout: after each flush the
# stream goes on at once rather than waiting 3 s for copies the flush
# discarded.
before=$(requests)
before_timeouts=$(bed_stat primary timeouts)
ofo() {
    bed_client nstat -az TcpExtTCPOFOQueue | awk '/TCPOFOQueue/ { print $2 }'
}
before_ofo=$(ofo)
echo 300 >"$COLO_BED_DIR/svm/source-diverge-every"
out=$(client_py "$colo_top/utilities/colo-bed-client.py" check-source \
      10.0.0.1 9 4 32768) || fail "bulk stream with periodic divergence: $out"
rm -f "$COLO_BED_DIR/svm/source-diverge-every"
divergences=$(cat "$COLO_BED_DIR/svm/source-diverge-every.count" 2>/dev/null \
              || echo 0)
n=$(( $(requests) - before ))
test "$divergences" -gt 0 || fail "the SVM's stream never diverged ($out)"
test "$n" -ge 1 && test "$n" -le "$divergences" \
    || fail "$n checkpoint requests for $divergences divergences"
colo_stats_settle
test "$(bed_stat primary timeouts)" = "$before_timeouts" \
    || fail "a compare timeout raised a request during the stream"
bed_vsctl primary wait-until COLO vm1 "checkpoint_done=$(requests)" \
    || fail "the last checkpoint was not acknowledged"
pass "(f) bulk stream from the VM, the SVM diverging: $out, every byte the" \
     "PVM's; $divergences divergences, $n checkpoints, no timeout;" \
     "$(( $(ofo) - before_ofo )) segments out of order at the client"

# (e) Channel cut and restored during a TCP stream.
stream_client 10.0.0.1 7 10 "$COLO_BED_DIR/client/cut.progress" \
    >"$COLO_BED_DIR/client/cut.out" &
cut_pid=$!
wait_progress cut 100
before=$(requests)
ip netns exec "$(bed_ns primary)" ip link set link-p down
ip netns exec "$(bed_ns primary)" ss -K dst 10.99.0.2 dport = 7100 \
    >/dev/null 2>&1
ip netns exec "$(bed_ns secondary)" ss -K sport = 7100 >/dev/null 2>&1
bed_vsctl primary wait-until COLO vm1 status:degraded=true \
    || fail "no degraded status"
cut_at=$(progress cut)
wait_progress cut $((cut_at + 100))
pass "(e) channel cut at line $cut_at: status degraded, the client still" \
     "served ($(progress cut) lines)"
ip netns exec "$(bed_ns primary)" ip link set link-p up
bed_vsctl primary wait-until COLO vm1 status:channel_state=connected \
    || fail "channel not restored"
bed_vsctl primary wait-until COLO vm1 "checkpoint_request>$before" \
    || fail "no resync request"
reason=$(bed_vsctl primary get COLO vm1 checkpoint_reason)
case $reason in
    *restored*) ;;
    *) fail "not a resync request: $reason" ;;
esac
bed_vsctl primary wait-until COLO vm1 status:degraded=false \
    || fail "still degraded"
pass "(e) channel restored: resync checkpoint ($reason), acknowledged," \
     "no longer degraded"
wait "$cut_pid" || fail "stream across the cut: $(cat "$COLO_BED_DIR/client/cut.out")"
pass "(e) $(cat "$COLO_BED_DIR/client/cut.out")"
colo_stats_settle
test "$(bed_stat primary unprotected)" -gt 0 \
    || fail "no packet counted unprotected while degraded"

# (s) The host as shipped.  check-source checks that every byte is the
# PVM's pattern, in order, and prints "bytes=N gbps=G longest_gap_ms=M".
# Plain OVS first, by flows above the pair's (whose priority is the default
# 32768), removed after, with the
# host's receive buffers on the ports (port-rx-buffer=0 gives them back).
of() {
    bed_exec primary "$(bed_ovs utilities/ovs-ofctl)" "$@"
}
gbps() {
    echo "$1" | sed -n 's/.*gbps=\([0-9.]*\).*/\1/p'
}
# rb NODE PORT: the receive buffer of NODE's AF_PACKET socket on PORT.
rb() {
    ip netns exec "$(bed_ns "$1")" ss -0 -m -n -a -H \
        | sed -n "s/^p_raw.*[*]:$2 .*,rb\([0-9]*\),.*/\1/p" | head -1
}
for node in primary secondary; do
    bed_vsctl $node set COLO vm1 options:port-rx-buffer=0
done
printf '%s\n' \
    'priority=40000,cookie=0x5,in_port=uplink actions=output:pvm' \
    'priority=40000,cookie=0x5,in_port=pvm actions=output:uplink' \
    | of add-flows br0 - || fail "plain flows"
plain=$(client_py "$colo_top/utilities/colo-bed-client.py" check-source \
        10.0.0.1 9 5) || fail "bulk transfer through plain OVS: $plain"
plain_rb=$(rb primary pvm)
of del-flows br0 cookie=0x5/-1 || fail "plain flows not removed"
for node in primary secondary; do
    bed_vsctl $node remove COLO vm1 options port-rx-buffer
done
before=$(requests)
gaps=$(bed_stat primary secondary_gaps)
colo=$(client_py "$colo_top/utilities/colo-bed-client.py" check-source \
       10.0.0.1 9 5) || fail "bulk transfer through the pair: $colo"
want=4194304    # The default.
for port in primary/pvm secondary/svm; do
    got=$(rb "${port%/*}" "${port#*/}")
    test "${got:-0}" -ge "$want" \
        || fail "$port: receive buffer ${got:-unknown}, not $want"
done
awk -v c="$(gbps "$colo")" -v p="$(gbps "$plain")" \
    -v pct="$COLO_SYSTEST_STOCK_PERCENT" 'BEGIN { exit !(c * 100 >= p * pct) }' \
    || fail "from the VM on a stock host: pair $colo, plain OVS $plain:" \
            "below $COLO_SYSTEST_STOCK_PERCENT %"
colo_stats_settle
pass "(s) net.core.rmem_default $(sysctl -n net.core.rmem_default):" \
     "5 s from the VM, plain OVS (pvm buffer $plain_rb) $plain; the pair" \
     "(pvm and svm buffers $want) $colo, every byte the PVM's, in order" \
     "($(( $(bed_stat primary secondary_gaps) - gaps )) secondary gaps," \
     "$(( $(requests) - before )) checkpoints)"

# (c) Failover during an IPv4 and an IPv6 stream.
stream_client 10.0.0.1 7 12 "$COLO_BED_DIR/client/v4.progress" \
    >"$COLO_BED_DIR/client/v4.out" &
v4_pid=$!
stream_client fd00::1 7 12 "$COLO_BED_DIR/client/v6.progress" \
    >"$COLO_BED_DIR/client/v6.out" &
v6_pid=$!
wait_progress v4 100
wait_progress v6 100
kill -9 "$(cat "$COLO_BED_DIR/primary/ovs-vswitchd.pid")"
v4_at=$(progress v4)
v6_at=$(progress v6)
out=$(bed_manager colo-manager/failover secondary vm1 br0 uplink svm) \
    || fail "failover command failed: $out"
test "$(bed_vsctl secondary get COLO vm1 status:mode)" = failover \
    || fail "secondary not in failover mode"
pass "(c) primary's ovs-vswitchd killed at lines $v4_at (IPv4) and" \
     "$v6_at (IPv6); manager: $out"
wait "$v4_pid" || fail "IPv4 stream: $(cat "$COLO_BED_DIR/client/v4.out")"
wait "$v6_pid" || fail "IPv6 stream: $(cat "$COLO_BED_DIR/client/v6.out")"
test "$(progress v4)" -gt $((v4_at + 100)) || fail "IPv4 stream stopped"
test "$(progress v6)" -gt $((v6_at + 100)) || fail "IPv6 stream stopped"
pass "(c) IPv4 $(cat "$COLO_BED_DIR/client/v4.out")"
pass "(c) IPv6 $(cat "$COLO_BED_DIR/client/v6.out")"
colo_stats_settle
test "$(bed_stat secondary rewrite_rewritten)" -gt 0 \
    || fail "nothing rewritten"
bad=$(http_check 10.0.0.1 20) || fail "HTTP after failover"
test "$bad" = 0 || fail "$bad wrong answers after failover"
udp_check fd00::1 5 || fail "UDP after failover"
pass "(c) new HTTP connections and UDP served by the SVM after failover"

echo "colo-systest: all $passed checks passed"
