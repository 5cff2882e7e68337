#!/bin/bash
# colo-vmtest.sh -- system tests of a real QEMU COLO pair (utilities/
# colo-vm.sh: Debian's QEMU 7.2 under TCG, a busybox guest), run by "make
# check-system" after the bed's tests and alone by "make check-vm".  Needs
# root.  Each QEMU runs in a network namespace of its own, its tap's host
# end at 10.0.0.1/24 with the same MAC on both sides (after a checkpoint
# the SVM's neighbour cache is the PVM's).
#
#   (v1) the pair reaches COLO state; the PVM serves HTTP over IPv4 and
#        IPv6 and TCP echo; its counter
#        advanced three times is not the SVM's until a checkpoint forced
#        over QMP, after which the SVM answers the PVM's counter: the SVM
#        became a copy of the PVM;
#   (v2) COLO_VMTEST_CHECKPOINTS (default 50) more checkpoints, each seen
#        as QEMU's STOP and RESUME events; the command-to-RESUME time's
#        p50 and max are printed; neither VM's console shows an oops, BUG
#        or panic line; the pair still in COLO state; the SVM still the
#        PVM's copy.
#   (v3) ovs-colo-manager --qemu drives the pair: a checkpoint request
#        written in OVSDB (as a comparator writes it) is forced over QMP
#        and acknowledged, after which the SVM has the PVM's counter; with
#        QEMU's periodic checkpoints on (x-checkpoint-delay 300 ms), each
#        one is acknowledged as a manager-initiated checkpoint.
#   (v4) the pair behind the two OVS nodes of the bed (utilities/
#        colo-bed.sh, bed_qemu_vms_up; COLO_BED_DIR and COLO_BED_NS as
#        there), the manager driving QEMU: COLO_VMTEST_REQUESTS (default
#        200) HTTP requests from the client through the pair, every answer
#        correct; the guest's counter read 20 times through the pair, each
#        answer one more (the PVM's); 64 KiB through TCP echo, byte for
#        byte; HTTP over IPv6; UDP echo over IPv4 and IPv6; 5 answers
#        that differ in each VM (the clock in ns and a random number):
#        each is a divergence, answered, with a checkpoint forced over QMP
#        and acknowledged on both nodes, while a TCP echo
#        connection open across them goes on; the checkpoints that real
#        guest TCP stacks caused are reported; consoles clean.
#   (v5) failover: the primary QEMU is killed during an IPv4 and an IPv6
#        TCP echo stream; the manager fails the pair over to the secondary
#        (x-colo-lost-heartbeat, failover mode, failover flows); both
#        streams go on, every byte exactly once; HTTP served by the SVM.
#   (v6) automatic failover: the same fault with "ovs-colo-manager auto"
#        on each node (witness, three-member cluster, fencing), each
#        driving its node's QEMU: the primary's manager gives the lease
#        up, the secondary's takes it, tells its QEMU
#        (x-colo-lost-heartbeat) and fails over; a TCP echo stream goes
#        on, every byte exactly once; HTTP served by the SVM.
# Exits nonzero on the first failure and always removes what it made.
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
. "$(dirname "$0")/colo-bed.sh"

bed_prepare colo-vmtest
make -C "$colo_top" colo-qemu-tcg-shim.so >/dev/null

vm=$colo_top/utilities/colo-vm.sh
ns=${COLO_VMTEST_NS:-colovm-}
dir=$(mktemp -d /tmp/colo-vmtest.XXXXXX)
checkpoints=${COLO_VMTEST_CHECKPOINTS:-50}
COLO_VMTEST_REQUESTS=${COLO_VMTEST_REQUESTS:-200}

ovs=$colo_top/ovs-build
vsctl() {
    "$ovs/utilities/ovs-vsctl" --db="unix:$dir/db/db.sock" --no-wait "$@"
}

cleanup() {
    if test -f "$dir/manager.pid"; then
        kill "$(cat "$dir/manager.pid")" 2>/dev/null || true
    fi
    if test -f "$dir/db/ovsdb-server.pid"; then
        kill "$(cat "$dir/db/ovsdb-server.pid")" 2>/dev/null || true
    fi
    "$vm" stop "$dir" || true
    bed_down
    ip netns del "${ns}p" 2>/dev/null || true
    ip netns del "${ns}s" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

colo_check_diagnose() {
    for role in primary secondary; do
        echo "--- $role console (last lines)"
        tail -n 20 "$dir/$role.console" || true
        echo "--- $role QEMU log"
        cat "$dir/$role.log" || true
    done
    if test -f "$dir/manager.log"; then
        echo "--- manager log"
        cat "$dir/manager.log"
    fi
    if test -d "$COLO_BED_DIR/qemu"; then
        for role in primary secondary; do
            echo "--- bed: $role console (last lines)"
            tail -n 20 "$COLO_BED_DIR/qemu/$role.console" || true
        done
        echo "--- bed: primary colo/show vm1"
        bed_appctl primary colo/show vm1 || true
        echo "--- bed: manager log"
        cat "$COLO_BED_DIR/manager.log" || true
    fi
}
# get NS PATH [HOST]: the body of http://HOST/PATH (HOST 10.0.0.10 by
# default), fetched from namespace NS.
get() {
    ip netns exec "$1" /usr/bin/python3 -c '
import sys, urllib.request
print(urllib.request.urlopen("http://%s%s" % (sys.argv[2], sys.argv[1]),
                             timeout=10).read().decode().strip())' \
        "$2" "${3:-10.0.0.10}"
}
# echo_check NS: 100 lines through the guest's TCP echo server, each back.
echo_check() {
    ip netns exec "$1" /usr/bin/python3 -c '
import socket
s = socket.create_connection(("10.0.0.10", 7), timeout=10)
f = s.makefile("rwb")
for i in range(100):
    line = b"line %d of the echo check\n" % i
    f.write(line)
    f.flush()
    if f.readline() != line:
        raise SystemExit("line %d not echoed" % i)'
}

for side in p s; do
    ip netns del "$ns$side" 2>/dev/null || true
    ip netns add "$ns$side"
    ip -n "$ns$side" link set lo up
done
"$vm" start "$dir" pvm-ns="${ns}p" svm-ns="${ns}s" pvm-tap=tap0 \
    svm-tap=tap0 >/dev/null || fail "the pair did not start"
for side in p s; do
    ip -n "$ns$side" link set tap0 address 02:c0:10:00:00:01
    ip -n "$ns$side" addr add 10.0.0.1/24 dev tap0
    ip -n "$ns$side" addr add fd00:c010::1/64 dev tap0 nodad
    ip -n "$ns$side" link set tap0 up
done

answer=$(get "${ns}p" /index.html) || fail "no HTTP answer from the PVM"
test "$answer" = "hello from the COLO guest" \
    || fail "PVM answered '$answer'"
for i in $(seq 1 50); do
    answer=$(get "${ns}p" /index.html '[fd00:c010::10]' 2>/dev/null) && break
    sleep 0.2                   # the guest's IPv6 address is tentative
done
test "$answer" = "hello from the COLO guest" \
    || fail "PVM answered '$answer' over IPv6"
echo_check "${ns}p" || fail "TCP echo from the PVM"
for i in 1 2 3; do
    n=$(get "${ns}p" /cgi-bin/count) || fail "PVM: /cgi-bin/count"
    test "$n" = "$i" || fail "PVM counter $n, $i expected"
done
before=$(get "${ns}s" '/cgi-bin/count?read') || fail "no answer from the SVM"
test "$before" != 3 || fail "the SVM had the PVM's counter before a checkpoint"
out=$("$vm" checkpoint "$dir") || fail "checkpoint: $out"
after=$(get "${ns}s" '/cgi-bin/count?read') \
    || fail "no answer from the SVM after the checkpoint"
test "$after" = 3 || fail "SVM counter $after after the checkpoint, 3 expected"
pass "(v1) COLO state; SVM counter $before before a checkpoint, $after" \
     "(the PVM's) after it ($out)"

: > "$dir/times"
for i in $(seq 1 "$checkpoints"); do
    out=$("$vm" checkpoint "$dir") || fail "checkpoint $i: $out"
    echo "$out" | sed -n 's/^checkpoint_ms=\([0-9.]*\) .*/\1/p' >> "$dir/times"
done
test "$(wc -l < "$dir/times")" = "$checkpoints" \
    || fail "$(wc -l < "$dir/times") checkpoint times for $checkpoints"
"$vm" console-check "$dir" || fail "kernel error on a console"
n=$(get "${ns}p" /cgi-bin/count) || fail "PVM after checkpoints"
"$vm" checkpoint "$dir" >/dev/null || fail "last checkpoint"
after=$(get "${ns}s" '/cgi-bin/count?read') || fail "SVM after checkpoints"
test "$after" = "$n" || fail "SVM counter $after, PVM's $n"
pass "(v2) $checkpoints checkpoints, command to RESUME" \
     "$(sort -n "$dir/times" | awk '{ v[NR] = $1 } END {
          printf "p50 %s ms, max %s ms", v[int((NR + 1) / 2)], v[NR] }');" \
     "consoles clean; the SVM still the PVM's copy"

# (v3) The manager drives QEMU.  A node's database alone: the comparator's
# request is written as ovs-vswitchd writes it.
mkdir -p "$dir/db"
"$ovs/ovsdb/ovsdb-tool" create "$dir/db/conf.db" \
    "$colo_top/ovs/vswitchd/vswitch.ovsschema"
"$ovs/ovsdb/ovsdb-server" "$dir/db/conf.db" --remote="punix:$dir/db/db.sock" \
    --unixctl="$dir/db/ovsdb-server.ctl" --pidfile="$dir/db/ovsdb-server.pid" \
    --log-file="$dir/db/ovsdb-server.log" --detach --no-chdir 2>/dev/null \
    || fail "ovsdb-server did not start"
vsctl create COLO name=vm1 mode=primary >/dev/null
PYTHONPATH=$colo_top/ovs/python /usr/bin/python3 \
    "$colo_top/utilities/ovs-colo-manager" --node "primary=$dir/db" \
    --qemu "vm1=$dir/primary.qmp" --unixctl "$dir/manager.ctl" \
    >>"$dir/manager.log" 2>&1 &
echo $! >"$dir/manager.pid"
# done_at_least N: waits (10 s at most) until checkpoint_done >= N.
done_at_least() {
    local i
    for i in $(seq 100); do
        test "$(vsctl get COLO vm1 checkpoint_done)" -ge "$1" && return 0
        sleep 0.1
    done
    return 1
}
n=$(get "${ns}p" /cgi-bin/count) || fail "PVM before the request"
vsctl set COLO vm1 checkpoint_request=1 \
    checkpoint_reason='"payload differs (test)"'
done_at_least 1 || fail "request 1 not acknowledged"
grep -q "vm1: QEMU checkpoint done in" "$dir/manager.log" \
    || fail "the manager did not force the checkpoint over QMP"
after=$(get "${ns}s" '/cgi-bin/count?read') || fail "SVM after request 1"
test "$after" = "$n" || fail "SVM counter $after after request 1, PVM's $n"
test "$(vsctl get COLO vm1 checkpoint_started)" = 1 \
    || fail "checkpoint_started not written at the STOP of checkpoint 1"
pass "(v3) request 1 forced over QMP, checkpoint_started written at STOP," \
     "acknowledged: SVM counter $after, the PVM's" \
     "($(grep -o 'QEMU checkpoint done in.*' "$dir/manager.log"))"

done_before=$(vsctl get COLO vm1 checkpoint_done)
"$vm" qmp "$dir/primary-ops.qmp" migrate-set-parameters \
    '{"x-checkpoint-delay": 300}' >/dev/null
sleep 2
"$vm" qmp "$dir/primary-ops.qmp" migrate-set-parameters \
    '{"x-checkpoint-delay": 600000}' >/dev/null
sleep 0.5
done_after=$(vsctl get COLO vm1 checkpoint_done)
periodic=$(grep -c "taken by QEMU: QEMU's periodic checkpoint" \
           "$dir/manager.log") || true
test "$periodic" -ge 3 \
    || fail "$periodic periodic checkpoints acknowledged in 2 s at 300 ms"
test "$done_after" -ge $((done_before + periodic)) \
    || fail "checkpoint_done $done_before -> $done_after for $periodic"
test "$(vsctl get COLO vm1 checkpoint_started)" = "$done_after" \
    || fail "checkpoint_started $(vsctl get COLO vm1 checkpoint_started)," \
            "checkpoint_done $done_after after the periodic checkpoints"
pass "(v3) $periodic of QEMU's periodic checkpoints (300 ms, for 2 s)" \
     "acknowledged: checkpoint_done $done_before -> $done_after"
"$vm" console-check "$dir" || fail "kernel error on a console"

# (v4) Behind the OVS nodes.
"$vm" stop "$dir"
kill "$(cat "$dir/manager.pid")" 2>/dev/null || true
rm -f "$dir/manager.pid"
bed_up
bed_qemu_vms_up || fail "bed: the QEMU pair did not start"
bed_pair_up || fail "the pair did not come up"
bed_manager_up || fail "bed: the manager did not start"
# Requests of the pair so far: the guest's own traffic (e.g. an IPv6
# duplicate address probe, whose nonce each kernel draws) may diverge.
requests() {
    bed_vsctl primary get COLO vm1 checkpoint_request
}
# acked N: waits (10 s at most) until the primary's checkpoint_done >= N.
acked() {
    local i
    for i in $(seq 100); do
        test "$(bed_vsctl primary get COLO vm1 checkpoint_done)" -ge "$1" \
            && return 0
        sleep 0.1
    done
    return 1
}
requests_before=$(requests)
out=$(bed_client /usr/bin/python3 - "$COLO_VMTEST_REQUESTS" <<'PY'
import http.client
import sys
n = int(sys.argv[1])
bad = 0
for i in range(n):
    conn = http.client.HTTPConnection("10.0.0.1", 80, timeout=10)
    conn.request("GET", "/index.html")
    if conn.getresponse().read().decode() != "hello from the COLO guest\n":
        bad += 1
    conn.close()
print(bad)
PY
) || fail "HTTP through the pair: $out"
test "$out" = 0 || fail "$out of $COLO_VMTEST_REQUESTS HTTP answers wrong"
http_requests=$(( $(requests) - requests_before ))
pass "(v4) $COLO_VMTEST_REQUESTS HTTP requests through the OVS pair to the" \
     "real VMs, every answer correct; checkpoint requests: $http_requests"
out=$(bed_client /usr/bin/python3 - <<'PY'
import urllib.request
last = None
for i in range(20):
    n = int(urllib.request.urlopen("http://10.0.0.1/cgi-bin/count",
                                   timeout=10).read())
    if last is not None and n != last + 1:
        raise SystemExit("counter %d after %d" % (n, last))
    last = n
print(last)
PY
) || fail "counter through the pair: $out"
pass "(v4) the counter read 20 times through the pair, each one more" \
     "(last $out)"
out=$(bed_client /usr/bin/python3 - <<'PY'
import socket
s = socket.create_connection(("10.0.0.1", 7), timeout=10)
data = bytes(range(256)) * 256
s.sendall(data)
out = b""
while len(out) < len(data):
    chunk = s.recv(65536)
    assert chunk, "connection closed early"
    out += chunk
assert out == data, "echo differs"
PY
) || fail "TCP echo through the pair: $out"
answer=$(bed_client curl -s -m 10 'http://[fd00::1]/index.html') \
    || fail "HTTP over IPv6 through the pair"
test "$answer" = "hello from the COLO guest" || fail "IPv6 answer '$answer'"
for host in 10.0.0.1 fd00::1; do
    out=$(bed_client /usr/bin/python3 - "$host" <<'PY'
import socket
import sys
host = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.settimeout(10)
for i in range(20):
    msg = b"datagram %d" % i
    s.sendto(msg, (host, 7))
    reply = s.recvfrom(100)[0]
    assert reply == msg, "datagram %d: answer %r" % (i, reply)
PY
) || fail "UDP echo through the pair to $host: $out"
done
pass "(v4) 64 KiB through TCP echo byte for byte; HTTP over IPv6; 20 UDP" \
     "echoes over IPv4 and over IPv6"
# A TCP echo connection open across the checkpoints: after each one the
# SVM's sequence space is the PVM's, and the rewriter must follow.
rm -f "$dir/stop-echo"
bed_client /usr/bin/python3 - "$dir/stop-echo" >"$dir/long-echo.out" 2>&1 <<'PY' &
import os
import socket
import sys
import time
s = socket.create_connection(("10.0.0.1", 7), timeout=10)
rounds = after = 0
while after < 20:
    data = os.urandom(4096)
    s.sendall(data)
    out = b""
    while len(out) < len(data):
        chunk = s.recv(65536)
        assert chunk, "connection closed after %d rounds" % rounds
        out += chunk
    assert out == data, "round %d: echo differs" % rounds
    rounds += 1
    if os.path.exists(sys.argv[1]):
        after += 1
    time.sleep(0.05)
print("rounds=%d" % rounds)
PY
long_echo=$!
secondary_before=$(bed_vsctl secondary get COLO vm1 checkpoint_done)
for i in 1 2 3 4 5; do
    before=$(requests)
    answer=$(bed_client curl -s -m 10 http://10.0.0.1/cgi-bin/random) \
        || fail "random answer $i"
    echo "$answer" | grep -qE '^[0-9]+ [0-9a-f]{32}$' \
        || fail "random answer $i: '$answer'"
    test "$(requests)" -gt "$before" \
        || fail "random answer $i: no checkpoint request"
    acked "$(requests)" || fail "random answer $i: not acknowledged"
done
requests_after_divergences=$(requests)
touch "$dir/stop-echo"
wait "$long_echo" || fail "TCP echo across the checkpoints:" \
    "$(cat "$dir/long-echo.out")"
# The echo went on after the checkpoints with no request: the rewriter
# follows the SVM into the PVM's sequence space (an offset kept from before
# would make every later SVM segment differ).
test "$(requests)" = "$requests_after_divergences" \
    || fail "$(( $(requests) - requests_after_divergences )) checkpoint" \
            "requests during the echo after the checkpoints"
secondary_after=$(bed_vsctl secondary get COLO vm1 checkpoint_done)
test "$secondary_after" -ge $((secondary_before + 5)) \
    || fail "the secondary's checkpoint_done went from $secondary_before" \
            "to $secondary_after over 5 checkpoints"
# Each checkpoint was started (the VMs' STOP) on both nodes before it was
# done, and both ovs-vswitchd acted on the start.
for node in primary secondary; do
    started=$(bed_vsctl $node get COLO vm1 checkpoint_started)
    done_n=$(bed_vsctl $node get COLO vm1 checkpoint_done)
    test "$started" = "$done_n" \
        || fail "$node: checkpoint_started $started, checkpoint_done $done_n"
    grep -q "COLO pair vm1: checkpoint $done_n started" \
        "$COLO_BED_DIR/$node/ovs-vswitchd.log" \
        || fail "$node: ovs-vswitchd did not act on checkpoint_started"
done
# How long after STOP the starts were written, against the pauses.
started_ms=$(sed -n 's/.*primary vm1: checkpoint_started=.*, \([0-9.]*\) ms after STOP/\1/p' \
             "$COLO_BED_DIR/manager.log" | sort -n | sed -n '1p;$p' | paste -sd-)
pauses=$(sed -n 's/.*VMs paused \([0-9.]*\) ms.*/\1/p' \
         "$COLO_BED_DIR/manager.log" | sort -n | sed -n '1p;$p' | paste -sd-)
forced=$(grep -c "QEMU checkpoint done in" "$COLO_BED_DIR/manager.log") \
    || true
colo_stats_settle
pass "(v4) a TCP echo connection kept across the 5 checkpoints below," \
     "4 KiB echoed byte for byte in each of $(cat "$dir/long-echo.out"), no" \
     "checkpoint request in the 20 rounds after them"
pass "(v4) 5 divergent answers, each with its checkpoint; $forced" \
     "checkpoints forced over QMP in all, $(bed_stat primary timeouts)" \
     "compare timeouts; checkpoint_started" \
     "written on both nodes $started_ms ms after STOP (VMs paused" \
     "$pauses ms), $(bed_stat primary deferred) packets deferred past a" \
     "checkpoint"
"$vm" console-check "$COLO_BED_DIR/qemu" || fail "kernel error on a console"

# (v5) Failover: the primary QEMU dies during an IPv4 and an IPv6 stream.
progress() {
    bed_progress "$dir/$1.progress"
}
wait_progress() {
    bed_wait_progress "$dir/$1.progress" "$2"
}
for v in 4:10.0.0.1 6:fd00::1; do
    bed_client /usr/bin/python3 "$colo_top/utilities/colo-bed-client.py" \
        stream "${v#*:}" 7 12 "$dir/v${v%%:*}.progress" \
        >"$dir/v${v%%:*}.out" 2>&1 &
    eval "v${v%%:*}_pid=\$!"
done
wait_progress v4 100 || fail "IPv4 stream: $(cat "$dir/v4.out")"
wait_progress v6 100 || fail "IPv6 stream: $(cat "$dir/v6.out")"
kill -9 "$(cat "$COLO_BED_DIR/qemu/primary.pid")"
killed_at=$(date +%s%N)
v4_at=$(progress v4)
v6_at=$(progress v6)
out=$(bed_manager colo-manager/failover secondary vm1 br0 uplink svm) \
    || fail "failover command failed: $out"
failover_ms=$(( ($(date +%s%N) - killed_at) / 1000000 ))
grep -q "the secondary QEMU left COLO" "$COLO_BED_DIR/manager.log" \
    || fail "the manager did not tell the secondary QEMU"
"$vm" qmp "$COLO_BED_DIR/qemu/secondary-ops.qmp" query-colo-status \
    | grep '"mode": *"none"' >/dev/null \
    || fail "the secondary QEMU is still in COLO mode"
wait_progress v4 $((v4_at + 100)) || fail "IPv4 stream stopped: $(cat "$dir/v4.out")"
resumed_ms=$(( ($(date +%s%N) - killed_at) / 1000000 ))
wait "$v4_pid" || fail "IPv4 stream: $(cat "$dir/v4.out")"
wait "$v6_pid" || fail "IPv6 stream: $(cat "$dir/v6.out")"
test "$(progress v6)" -gt $((v6_at + 100)) || fail "IPv6 stream stopped"
pass "(v5) primary QEMU killed at lines $v4_at (IPv4), $v6_at (IPv6);" \
     "failover (x-colo-lost-heartbeat, failover mode, flows) done" \
     "$failover_ms ms later, 100 more lines echoed within $resumed_ms ms"
pass "(v5) IPv4 $(cat "$dir/v4.out")"
pass "(v5) IPv6 $(cat "$dir/v6.out")"
answer=$(bed_client curl -s -m 10 http://10.0.0.1/cgi-bin/count) \
    || fail "HTTP after failover"
pass "(v5) HTTP served by the SVM after failover (counter $answer)"
grep -E -n 'Oops|BUG|Kernel panic|list_del corruption|general protection' \
    "$COLO_BED_DIR/qemu/secondary.console" \
    && fail "kernel error on the SVM's console"
bed_down

# (v6) Automatic failover: the primary QEMU dies again, now with no one
# to run a command: "ovs-colo-manager auto" on each node (a witness, the
# three-member cluster, options:fencing=1), each on its node's QEMU.
auto_log() {
    echo "--- $1 auto.log" >&2
    cat "$COLO_BED_DIR/$1/auto.log" >&2 || true
}
auto_fail() {
    auto_log primary
    auto_log secondary
    fail "$@"
}
bed_up
bed_witness_up || fail "bed: the witness did not come up"
bed_qemu_vms_up || fail "bed: the QEMU pair did not start"
bed_pair_up || fail "the pair did not come up"
bed_auto_up >/dev/null || auto_fail "the automatic managers did not start"
bed_manager_up || fail "bed: the manager did not start"
for node in primary secondary; do
    for i in $(seq 100); do
        grep -q "vm1: QEMU on .* connected" "$COLO_BED_DIR/$node/auto.log" \
            && break
        sleep 0.1
    done
    grep -q "vm1: QEMU on .* connected" "$COLO_BED_DIR/$node/auto.log" \
        || auto_fail "$node: the automatic manager did not reach its QEMU"
done
bed_client /usr/bin/python3 "$colo_top/utilities/colo-bed-client.py" \
    stream 10.0.0.1 7 12 "$dir/a4.progress" >"$dir/a4.out" 2>&1 &
a4_pid=$!
wait_progress a4 100 || auto_fail "IPv4 stream: $(cat "$dir/a4.out")"
kill -9 "$(cat "$COLO_BED_DIR/qemu/primary.pid")"
killed_at=$(date +%s%N)
a4_at=$(progress a4)
for i in $(seq 100); do
    test "$(bed_vsctl secondary get COLO vm1 status:mode)" = failover \
        && break
    sleep 0.1
done
failover_ms=$(( ($(date +%s%N) - killed_at) / 1000000 ))
test "$(bed_vsctl secondary get COLO vm1 status:mode)" = failover \
    || auto_fail "the secondary did not take over within 10 s"
grep -q "DECISION primary vm1: release .*the PVM's QEMU on primary is gone" \
    "$COLO_BED_DIR/primary/auto.log" \
    || auto_fail "the primary did not give the lease up"
grep -q "DECISION secondary vm1: takeover .*released by its holder" \
    "$COLO_BED_DIR/secondary/auto.log" \
    || auto_fail "the secondary did not take over the released lease"
grep -q "vm1: takeover: the SVM leaves COLO: x-colo-lost-heartbeat done" \
    "$COLO_BED_DIR/secondary/auto.log" \
    || auto_fail "the secondary's manager did not tell its QEMU"
"$vm" qmp "$COLO_BED_DIR/qemu/secondary-ops.qmp" query-colo-status \
    | grep '"mode": *"none"' >/dev/null \
    || auto_fail "the secondary QEMU is still in COLO mode"
for i in $(seq 100); do
    grep -q "vm1: failover done" "$COLO_BED_DIR/secondary/auto.log" && break
    sleep 0.1
done
grep -q "vm1: failover done" "$COLO_BED_DIR/secondary/auto.log" \
    || auto_fail "the secondary's failover flows are not in"
wait_progress a4 $((a4_at + 100)) \
    || auto_fail "IPv4 stream stopped: $(cat "$dir/a4.out")"
resumed_ms=$(( ($(date +%s%N) - killed_at) / 1000000 ))
wait "$a4_pid" || auto_fail "IPv4 stream: $(cat "$dir/a4.out")"
lease=$("$(bed_ovs ovsdb/ovsdb-client)" --format=csv dump \
        "unix:$COLO_BED_DIR/secondary/cluster.sock" COLO_Cluster Lease \
        holder epoch protected | tail -1)
test "$lease" = 2,secondary,false \
    || auto_fail "Lease row after the takeover: $lease"
pass "(v6) primary QEMU killed at line $a4_at: with no one involved, its" \
     "manager gave the lease up, the secondary's took it (epoch 2," \
     "unprotected), told its QEMU (x-colo-lost-heartbeat) and failed over" \
     "in $failover_ms ms; 100 more lines echoed within $resumed_ms ms"
pass "(v6) IPv4 $(cat "$dir/a4.out")"
answer=$(bed_client curl -s -m 10 http://10.0.0.1/cgi-bin/count) \
    || auto_fail "HTTP after the automatic failover"
pass "(v6) HTTP served by the SVM after the automatic failover" \
     "(counter $answer)"
bed_down

echo "colo-vmtest: all $passed checks passed"
