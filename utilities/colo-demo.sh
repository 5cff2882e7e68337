#!/bin/bash
# colo-demo.sh -- the README's main job: installs and builds what is missing,
# brings up a primary and a secondary node (two ovs-vswitchd instances in
# their own network namespaces, linked by a colo channel port over TCP),
# configures the COLO
# pair "vm1" on both through OVSDB as a manager would, and shows what each
# node reports.  Every step is checked; the script exits nonzero if one
# fails, and removes everything it made in any case.
#
# Then a client sends real HTTP, TCP echo and UDP traffic to the protected
# VM through the pair (the PVM and the SVM run the same deterministic
# servers), the SVM is made to answer differently once, and the reference
# manager (utilities/ovs-colo-manager) takes and acknowledges the
# checkpoint.  Last, the primary's ovs-vswitchd is killed during a live
# TCP stream, the manager fails the pair over to the secondary, and the
# client's stream goes on.
#
# With COLO_BED_VMS=qemu the PVM and SVM are a real QEMU COLO pair
# (utilities/colo-vm.sh: Debian's QEMU under TCG, a busybox guest), the
# manager forces each checkpoint over QMP, the divergence is an answer
# that each VM makes differently (the guest's clock), and the failover
# follows the death of the whole primary node (its QEMU and its
# ovs-vswitchd), telling the secondary QEMU with x-colo-lost-heartbeat.
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
COLO_CHECK_PREFIX="   "
. "$(dirname "$0")/colo-bed.sh"

bed_prepare colo-demo

step() {
    printf '\n== %s\n' "$*"
}

# What a failed check prints (colo-bed.sh).
colo_check_diagnose() {
    bed_diagnose
}

trap 'bed_down' EXIT
step "Starting the primary and secondary nodes (namespaces colo-primary, colo-secondary)"
bed_up
bed_vms_up
pass "two ovsdb-server + ovs-vswitchd pairs, br0 on each"
if test "$COLO_BED_VMS" = qemu; then
    pass "client namespace; PVM and SVM: a QEMU COLO pair in COLO state" \
       "(10.0.0.1, same MAC; taps pvm and svm on the nodes' br0), with the" \
       "flows of both nodes"
    expected="hello from the COLO guest"
else
    pass "client, PVM and SVM namespaces (PVM and SVM: 10.0.0.1, same MAC)," \
       "with the flows of both nodes"
    expected=$(cat "$COLO_BED_DIR/pvm/index.txt")
fi
for node in primary secondary; do
    bed_vsctl "$node" wait-until Interface colo0 status:state=connected \
        || fail "$node: channel colo0 did not connect"
done
pass "channel colo0: secondary listens on 10.99.0.2:7100, primary connected:"
for node in primary secondary; do
    printf '     %-9s %s\n' "$node" \
        "$(bed_vsctl "$node" get Interface colo0 status:state status:peer \
           | tr '\n' ' ')"
done

step "Manager: creating pair vm1 on both nodes"
bed_vsctl primary create COLO name=vm1 mode=primary channel=colo0 \
    options:compare-timeout=3000 external_ids:vm=demo >/dev/null
bed_vsctl secondary create COLO name=vm1 mode=secondary channel=colo0 \
    external_ids:vm=demo >/dev/null
for node in primary secondary; do
    bed_vsctl "$node" wait-until COLO vm1 status:state=active \
        || fail "$node: vm1 did not become active"
    pass "$node: vm1 is $(bed_vsctl "$node" get COLO vm1 status:state)," \
       "mode $(bed_vsctl "$node" get COLO vm1 status:mode)"
done

step "ovs-appctl colo/show on the primary"
bed_appctl primary colo/show vm1 | sed 's/^/   /'

step "Manager: a bad option is rejected, naming the field; the node keeps running"
bed_vsctl primary set COLO vm1 options:compare-timeout=soon
bed_vsctl primary wait-until COLO vm1 status:state=error \
    || fail "bad option was not rejected"
error=$(bed_vsctl primary get COLO vm1 status:error)
case $error in
    *options:compare-timeout*) pass "status:error = $error" ;;
    *) fail "status:error does not name the option: $error" ;;
esac
bed_vsctl secondary wait-until COLO vm1 status:state=active \
    || fail "secondary affected"
pass "secondary unaffected"
bed_vsctl primary set COLO vm1 options:compare-timeout=2000
bed_vsctl primary wait-until COLO vm1 status:state=active \
    || fail "fixed option not applied"
bed_appctl primary colo/show vm1 | grep -q 'compare-timeout=2000 ms' \
    || fail "colo/show does not show the new timeout"
pass "fixed: compare-timeout=2000 ms in effect"

step "Manager: the checkpoint columns"
bed_vsctl primary set COLO vm1 checkpoint_done=1
bed_vsctl primary wait-until COLO vm1 checkpoint_done=1
bed_appctl primary colo/show vm1 | grep -q 'checkpoint: requested 0, done 1' \
    || fail "colo/show does not show checkpoint_done"
pass "checkpoint_done=1 written by the manager and seen by ovs-vswitchd"

step "Client traffic through the pair (HTTP, TCP echo, UDP echo)"
# A real guest's own traffic (an IPv6 duplicate address probe carries a
# nonce each kernel draws) may have raised a request already.
request_before=$(bed_vsctl primary get COLO vm1 checkpoint_request)
for i in $(seq 20); do
    reply=$(bed_client curl -s -m 10 http://10.0.0.1/) \
        || fail "HTTP request $i got no answer"
    test "$reply" = "$expected" || fail "HTTP request $i: wrong answer: $reply"
done
pass "20 HTTP requests, every answer correct: \"$expected\""
reply=$(bed_client /usr/bin/python3 -c '
import socket
s = socket.create_connection(("10.0.0.1", 7), timeout=10)
out = b""
for i in range(10):
    line = b"line %d of the echo session\n" % i
    s.sendall(line)
    while not out.endswith(line):
        out += s.recv(4096)
print(len(out))
') || fail "TCP echo session failed"
pass "TCP echo session: 10 lines, $reply bytes echoed"
reply=$(bed_client /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(b"ping over udp", ("10.0.0.1", 7))
print(s.recvfrom(100)[0].decode())
') || fail "UDP echo failed"
pass "UDP echo: $reply"
request=$(bed_vsctl primary get COLO vm1 checkpoint_request)
test "$request" = "$request_before" \
    || fail "unexpected checkpoint request $request:" \
            "$(bed_vsctl primary get COLO vm1 checkpoint_reason)"
pass "no checkpoint requested: PVM and SVM answered identically"
# Counters as ovs-vswitchd publishes them in the COLO table (ovs-vsctl get
# COLO vm1 statistics:KEY), once a second.
colo_stats_settle
printf '     primary:   compared %s bytes; %s packets identical, %s released, %s checkpoints\n' \
    "$(bed_stat primary compared_bytes)" "$(bed_stat primary identical)" \
    "$(bed_stat primary released)" "$(bed_stat primary checkpoints)"
printf '     secondary: %s TCP offsets learned, %s segments rewritten, %s mirrored\n' \
    "$(bed_stat secondary rewrite_offsets_learned)" \
    "$(bed_stat secondary rewrite_rewritten)" "$(bed_stat secondary mirrored)"

step "Starting the reference manager (utilities/ovs-colo-manager)"
bed_manager_up || fail "manager did not start"
pass "watching vm1 on both nodes; control socket $COLO_BED_DIR/manager.ctl"

step "Divergence: the SVM's server answers differently"
bed_wait_settled primary || fail "the pair did not settle before the divergence"
request_before=$(bed_vsctl primary get COLO vm1 checkpoint_request)
if test "$COLO_BED_VMS" = qemu; then
    # The guest's clock in ns and random bytes: each VM answers its own.
    reply=$(bed_client curl -s -m 30 http://10.0.0.1/cgi-bin/random) \
        || fail "the client's request failed"
    echo "$reply" | grep -qE '^[0-9]+ [0-9a-f]{32}$' \
        || fail "the client got: $reply"
    expected_reply=$reply
else
    # As long as the PVM's answer, so that the bed's SVM, which keeps its
    # own TCP state across the "checkpoint", stays in step byte for byte
    # after it.
    printf 'Hello from the diverged SVM.\n' >"$COLO_BED_DIR/svm/index.txt"
    reply=$(bed_client curl -s -m 30 http://10.0.0.1/) \
        || fail "the client's request failed"
    expected_reply=$expected
fi
request=$(bed_vsctl primary get COLO vm1 checkpoint_request)
test "$request" -gt "$request_before" || fail "no checkpoint request"
pass "checkpoint $request requested: $(bed_vsctl primary get COLO vm1 checkpoint_reason)"
pass "the PVM's answer was held until the checkpoint; the manager's log:"
sed -n 's/^[^ ]* /     /p' "$COLO_BED_DIR/manager.log" | grep checkpoint
test "$reply" = "$expected_reply" || fail "the client got: $reply"
pass "the held answer (the PVM's) reached the client: \"$reply\""
reply=$(bed_client curl -s -m 10 http://10.0.0.1/) || fail "no answer"
test "$reply" = "$expected" || fail "wrong answer after the checkpoint"
test "$(bed_vsctl primary get COLO vm1 checkpoint_request)" = "$request" \
    || fail "a further checkpoint was requested"
pass "traffic goes on, compared again, no further request"

step "Manager: an unknown pair is an error"
if bed_appctl primary colo/show vm2 2>/dev/null; then
    fail "colo/show vm2 succeeded"
fi
pass "colo/show vm2: $(bed_appctl primary colo/show vm2 2>&1 | head -1)"

step "Failover: the primary node dies during a live TCP stream"
bed_client /usr/bin/python3 "$colo_top/utilities/colo-bed-client.py" stream \
    10.0.0.1 7 8 "$COLO_BED_DIR/client/progress" \
    >"$COLO_BED_DIR/client/stream.out" &
stream_pid=$!
progress() {
    bed_progress "$COLO_BED_DIR/client/progress"
}
bed_wait_progress "$COLO_BED_DIR/client/progress" 200 \
    || fail "the stream does not flow"
pass "client: echo stream to 10.0.0.1:7, a 64-byte line every 10 ms," \
   "$(progress) lines so far"
primary_figures=$(printf '%s packets compared identical, %s released, %s diverged, %s checkpoint requests, %s checkpoints' \
    "$(bed_stat primary identical)" "$(bed_stat primary released)" \
    "$(bed_stat primary diverged_payload)" "$(bed_stat primary checkpoint_requests)" \
    "$(bed_stat primary checkpoints)")
kill -9 "$(cat "$COLO_BED_DIR/primary/ovs-vswitchd.pid")"
if test "$COLO_BED_VMS" = qemu; then
    kill -9 "$(cat "$COLO_BED_DIR/qemu/primary.pid")"
fi
killed_at=$(progress)
if test "$COLO_BED_VMS" = qemu; then
    pass "primary node killed (kill -9 of its ovs-vswitchd and its QEMU)" \
       "at line $killed_at"
else
    pass "primary's ovs-vswitchd killed (kill -9) at line $killed_at"
fi
out=$(bed_manager colo-manager/failover secondary vm1 br0 uplink svm) \
    || fail "failover: $out"
pass "manager: $out (mode=failover, then the failover flows in one bundle):"
bed_exec secondary "$(bed_ovs utilities/ovs-ofctl)" --no-stats dump-flows \
    br0 | sed 's/^ */     /'
wait "$stream_pid" || fail "the stream broke: $(cat "$COLO_BED_DIR/client/stream.out")"
test "$(progress)" -gt $((killed_at + 100)) || fail "the stream stopped"
pass "the client's $(cat "$COLO_BED_DIR/client/stream.out")"
colo_stats_settle
pass "served by the SVM through the secondary after line $killed_at:" \
   "$(bed_stat secondary rewrite_rewritten) segments rewritten"
reply=$(bed_client curl -s -m 10 http://10.0.0.1/) || fail "no answer"
test "$reply" = "$expected" || fail "wrong answer after failover"
pass "new connections are served by the SVM too"

step "Summary"
printf '   primary:   until killed (as last published): %s\n' "$primary_figures"
printf '   secondary: %s\n' \
    "$(bed_vsctl secondary --columns=name,mode,status --bare list COLO | tr '\n' ' ')"
printf '   manager:   %s; vm1 failed over to the secondary\n' \
    "$(bed_manager colo-manager/show | tail -1)"
printf '   client:    %s\n' "$(cat "$COLO_BED_DIR/client/stream.out")"
printf '   %d checks passed; tearing the bed down.\n' "$passed"
