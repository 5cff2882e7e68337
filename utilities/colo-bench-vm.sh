#!/bin/bash
# colo-bench-vm.sh -- "make bench-vm": traffic from the bed's client to a
# real QEMU COLO pair (utilities/colo-vm.sh) behind the two OVS nodes, the
# reference manager driving QEMU over QMP (--qemu), through
#
#   colo  the pair (mirror, compare, rewrite; checkpoints forced over QMP);
#   ovs   the primary node's userspace datapath, plain forwarding to the
#         PVM (in_port=uplink actions=output:pvm and back), same bed;
#   qemu  QEMU's own COLO proxy (colo-vm.sh start ... proxy=qemu:
#         filter-mirror, filter-redirector, filter-rewriter and
#         colo-compare in the QEMUs, as QEMU's COLO-FT documentation sets
#         them up), the same guests started again, behind the same plain
#         forwarding; QEMU takes its checkpoints by itself, counted on
#         the primary's QMP events.
#
# For each: COLO_BENCH_VM_REQUESTS (default 1000) HTTP requests, each on a
# new TCP connection (a real guest TCP stack's handshake, ISN, timestamps,
# window and ACK timing every time): requests/s and latency p50/p99; then
# COLO_BENCH_VM_DOWNLOADS (default 3) downloads of the guest's 16 MiB file:
# Mbit/s each; and, through colo, the checkpoint requests per 1,000
# requests and per download, with their reasons, and the comparator's
# compare timeouts.  Under TCG the guest, not the network, bounds both
# paths.  Needs root.  Not a test: it asserts only that every answer is
# right.
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
. "$(dirname "$0")/colo-bed.sh"

if test "$(id -u)" != 0; then
    echo "colo-bench-vm: needs root (network namespaces, taps)" >&2
    exit 1
fi
colo_bootstrap
make -C "$colo_top" colo-qemu-tcg-shim.so >/dev/null
requests=${COLO_BENCH_VM_REQUESTS:-1000}
downloads=${COLO_BENCH_VM_DOWNLOADS:-3}

trap 'bed_down' EXIT
bed_up
bed_qemu_vms_up
bed_vsctl primary create COLO name=vm1 mode=primary channel=colo0 >/dev/null
bed_vsctl secondary create COLO name=vm1 mode=secondary channel=colo0 \
    >/dev/null
for node in primary secondary; do
    bed_vsctl "$node" wait-until COLO vm1 status:channel_state=connected
done
bed_manager_up

stat() {
    bed_appctl primary colo/show vm1 | sed -n "s/^    $1=//p"
}
requests_so_far() {
    bed_vsctl primary get COLO vm1 checkpoint_request
}

http_run() {
    bed_client /usr/bin/python3 - "$requests" <<'PY'
import http.client
import sys
import time
n = int(sys.argv[1])
lat = []
start = time.monotonic()
for i in range(n):
    t = time.monotonic()
    conn = http.client.HTTPConnection("10.0.0.1", 80, timeout=10)
    conn.request("GET", "/index.html")
    body = conn.getresponse().read()
    conn.close()
    if body != b"hello from the COLO guest\n":
        raise SystemExit("request %d: wrong answer %r" % (i, body))
    lat.append(time.monotonic() - t)
secs = time.monotonic() - start
lat.sort()
print("%.0f %.2f %.2f" % (n / secs, lat[len(lat) // 2] * 1e3,
                          lat[len(lat) * 99 // 100] * 1e3))
PY
}

download_run() {
    local i
    for i in $(seq 1 "$downloads"); do
        bed_client curl -s -m 120 -o /dev/null \
            -w '%{size_download} %{speed_download}\n' http://10.0.0.1/big
    done | awk '$1 != 16777216 { print "short download: " $1 > "/dev/stderr";
                                 exit 1 }
                { printf "%s%.0f", (NR > 1 ? " / " : ""), $2 * 8 / 1e6 }
                END { print "" }'
}

echo "colo-bench-vm: $requests HTTP requests (one TCP connection each)," \
     "$downloads downloads of 16 MiB; QEMU $(qemu-system-x86_64 --version \
     | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG, guest" \
     "$(basename "$(dirname "$("$colo_top/utilities/colo-vm.sh" image)/x")")," \
     "$(nproc) CPUs ($(sed -n 's/^model name.*: //p' /proc/cpuinfo | head -1))"

# colo first: the SVM then starts as the PVM's copy.
r0=$(requests_so_far)
t0=$(stat timeouts)
colo_http=$(http_run)
r1=$(requests_so_far)
colo_dl=$(download_run)
r2=$(requests_so_far)
t2=$(stat timeouts)

# Plain forwarding on the primary node, above the pair's flows.
printf '%s\n' \
    'priority=40000,in_port=uplink actions=output:pvm' \
    'priority=40000,in_port=pvm actions=output:uplink' \
    | bed_exec primary "$(bed_ovs utilities/ovs-ofctl)" add-flows br0 -
ovs_http=$(http_run)
ovs_dl=$(download_run)

# QEMU's own proxy: the pair started again with it, on the same taps; the
# primary node forwards as above; the SVM's tap is on no bridge (QEMU's
# sockets carry the SVM's traffic).
cp "$COLO_BED_DIR/manager.log" "$COLO_BED_DIR/colo-manager.log"
bed_manager_down
# The same OpenFlow port number when the tap comes back: the flows name it.
pvm_ofport=$(bed_vsctl primary get Interface pvm ofport)
bed_vsctl primary del-port br0 pvm
bed_vsctl secondary del-port br0 svm
"$colo_top/utilities/colo-vm.sh" stop "$COLO_BED_DIR/qemu"
rm -rf "$COLO_BED_DIR/qemu"
"$colo_top/utilities/colo-vm.sh" start "$COLO_BED_DIR/qemu" \
    ip=10.0.0.1/24 ip6=fd00::1/64 mac=52:54:00:00:00:01 \
    neigh=10.0.0.2@52:54:00:00:00:02,fd00::2@52:54:00:00:00:02 \
    pvm-ns="$(bed_ns primary)" pvm-tap=pvm \
    svm-ns="$(bed_ns secondary)" svm-tap=svm proxy=qemu >/dev/null
ip netns exec "$(bed_ns primary)" ip link set pvm up
ip netns exec "$(bed_ns secondary)" ip link set svm up
bed_vsctl primary add-port br0 pvm \
    -- set Interface pvm ofport_request="$pvm_ofport"
# QEMU's checkpoints, counted on its QMP events: "watch" prints the count
# so far on SIGUSR1.
PYTHONPATH=$colo_top/ovs/python /usr/bin/python3 \
    "$colo_top/utilities/ovs-colo-manager" qmp \
    "$COLO_BED_DIR/qemu/primary.qmp" watch >"$COLO_BED_DIR/watch.out" &
watch_pid=$!
# checkpoints_so_far: QEMU's checkpoints since the watch started.
checkpoints_so_far() {
    local n i
    n=$(wc -l < "$COLO_BED_DIR/watch.out")
    kill -USR1 "$watch_pid"
    for i in $(seq 50); do
        test "$(wc -l < "$COLO_BED_DIR/watch.out")" -gt "$n" && break
        sleep 0.1
    done
    sed -n '$s/^checkpoints=//p' "$COLO_BED_DIR/watch.out"
}
sleep 1
q0=$(checkpoints_so_far)
qemu_http=$(http_run)
q1=$(checkpoints_so_far)
qemu_dl=$(download_run)
q2=$(checkpoints_so_far)
kill "$watch_pid"

printf '%-5s %10s %9s %9s %-24s %s\n' path "requests/s" "p50 ms" "p99 ms" \
    "download Mbit/s" "checkpoints"
# shellcheck disable=SC2086
printf '%-5s %10s %9s %9s %-24s %s\n' colo $colo_http "$colo_dl" \
    "$((r1 - r0)) in $requests requests, $((r2 - r1)) in $downloads downloads"
# shellcheck disable=SC2086
printf '%-5s %10s %9s %9s %-24s %s\n' ovs $ovs_http "$ovs_dl" -
# shellcheck disable=SC2086
printf '%-5s %10s %9s %9s %-24s %s\n' qemu $qemu_http "$qemu_dl" \
    "$((q1 - q0)) in $requests requests, $((q2 - q1)) in $downloads downloads"
echo "compare timeouts during colo: $((t2 - t0)); checkpoints per 1,000" \
     "requests: colo $(awk -v c=$((r1 - r0)) -v n="$requests" \
                       'BEGIN { printf "%.1f", c * 1000 / n }')," \
     "qemu $(awk -v c=$((q1 - q0)) -v n="$requests" \
             'BEGIN { printf "%.1f", c * 1000 / n }')"
echo "colo's reasons (manager log):"
sed -n 's/^[^ ]* checkpoint of vm1 requested by primary: //p' \
    "$COLO_BED_DIR/colo-manager.log" \
    | sed -E 's/[0-9]+(\.[0-9]+){3}:[0-9]+/ADDR:PORT/g;
              s/\[[0-9]+, [0-9]+\)/[range]/; s/[0-9]+ bytes/N bytes/' \
    | sort | uniq -c | sort -rn | sed 's/^/  /'
