#!/bin/bash
# colo-bench-vm.sh -- "make bench-vm": traffic from the bed's client to a
# real QEMU COLO pair (utilities/colo-vm.sh) behind the two OVS nodes, the
# reference manager driving QEMU over QMP (--qemu), through
#
#   colo  the pair (mirror, compare, rewrite; checkpoints forced over QMP);
#   ovs   the primary node's userspace datapath, plain forwarding to the
#         PVM (in_port=uplink actions=output:pvm and back), same bed and
#         pair (the SVM then sees nothing);
#   qemu  QEMU's own COLO proxy (colo-vm.sh start ... proxy=qemu:
#         filter-mirror, filter-redirector, filter-rewriter and
#         colo-compare in the QEMUs, as QEMU's COLO-FT documentation sets
#         them up), the same guests started again, behind the same plain
#         forwarding; QEMU takes its checkpoints by itself, counted on
#         the primary's QMP events.
#
# The paths take turns: COLO_BENCH_VM_ROUNDS rounds (default 3), in the
# order colo, ovs, qemu, then qemu, ovs, colo, and so on, so that the
# machine's drift falls on every path alike.  In each round, each path gets
# its share of COLO_BENCH_VM_REQUESTS (default 1000) HTTP requests, each on a
# new TCP connection (a real guest TCP stack's handshake, ISN, timestamps,
# window and ACK timing every time), its share of COLO_BENCH_VM_UDP (default
# 1000) UDP echo requests (one at a time), and one download of the guest's
# 16 MiB file.  Printed: each round's figures, then per path the median of
# the rounds' requests/s, the latency p50/p99 over all requests, the
# downloads' Mbit/s, and the checkpoints: colo's requests (with their
# reasons and the comparator's compare timeouts), qemu's taken.  Under TCG
# the guest, not the network, bounds every path.  Needs root.  Not a test:
# it asserts only that every answer is right.
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
. "$(dirname "$0")/colo-bed.sh"

bed_prepare colo-bench-vm
make -C "$colo_top" colo-qemu-tcg-shim.so >/dev/null
rounds=${COLO_BENCH_VM_ROUNDS:-3}
requests=$(( ${COLO_BENCH_VM_REQUESTS:-1000} / rounds ))
udp=$(( ${COLO_BENCH_VM_UDP:-1000} / rounds ))
out=$COLO_BED_DIR.bench-vm
rm -rf "$out"
mkdir -p "$out"

watch_pid=
trap 'test -z "$watch_pid" || kill "$watch_pid" 2>/dev/null; bed_down' EXIT
bed_up
bed_qemu_vms_up
bed_pair_up
bed_manager_up
cp /dev/null "$out/colo-manager.log"
pair=colo                       # What the QEMU pair runs now: colo or qemu.

# stat KEY: the primary's counter KEY, as last published (see bed_stat).
stat() {
    bed_stat primary "$1"
}

# http_run PATH: $requests HTTP requests; prints requests/s, appends each
# latency (ms) to $out/PATH.http.
http_run() {
    bed_client /usr/bin/python3 - "$requests" "$out/$1.http" <<'PY'
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
with open(sys.argv[2], "a") as f:
    f.writelines("%.3f\n" % (x * 1e3) for x in lat)
print("%.0f" % (n / secs))
PY
}

# udp_run PATH: $udp UDP echo requests, one at a time (a lost one is sent
# again after 1 s and counted); prints requests/s and the losses, appends
# each latency (ms) to $out/PATH.udp.
udp_run() {
    bed_client /usr/bin/python3 - "$udp" "$out/$1.udp" <<'PY'
import os
import socket
import sys
import time
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.0.0.1", 7))
s.settimeout(1.0)
lat = []
lost = 0
start = time.monotonic()
for i in range(n):
    data = b"%d " % i + os.urandom(32).hex().encode()
    t = time.monotonic()
    while True:
        s.send(data)
        try:
            while s.recv(2048) != data:
                pass
            break
        except socket.timeout:
            lost += 1
    lat.append(time.monotonic() - t)
secs = time.monotonic() - start
with open(sys.argv[2], "a") as f:
    f.writelines("%.3f\n" % (x * 1e3) for x in lat)
print("%.0f %d" % (n / secs, lost))
PY
}

# download_run: prints the Mbit/s of one download of the 16 MiB file.
download_run() {
    bed_client curl -s -m 120 -o /dev/null \
        -w '%{size_download} %{speed_download}\n' http://10.0.0.1/big \
        | awk '$1 != 16777216 { print "short download: " $1 > "/dev/stderr";
                                exit 1 }
               { printf "%.0f\n", $2 * 8 / 1e6 }'
}

# pair_switch colo|qemu: restarts the QEMU pair for that path if it runs
# the other one: without QEMU's network objects (colo, ovs) or with them
# (qemu).  QEMU's checkpoints are counted on its QMP events by a
# "qmp watch", which prints the count so far on SIGUSR1.
pair_switch() {
    test "$pair" != "$1" || return 0
    if test "$pair" = colo; then
        cat "$COLO_BED_DIR/manager.log" >>"$out/colo-manager.log"
        bed_manager_down
    else
        kill "$watch_pid"
        watch_pid=
    fi
    bed_qemu_pair_stop
    if test "$1" = qemu; then
        bed_qemu_pair_start proxy=qemu
        PYTHONPATH=$colo_top/ovs/python /usr/bin/python3 \
            "$colo_top/utilities/ovs-colo-manager" qmp \
            "$COLO_BED_DIR/qemu/primary.qmp" watch >"$out/watch.out" &
        watch_pid=$!
        sleep 1
    else
        bed_qemu_pair_start
        bed_manager_up
    fi
    pair=$1
    # The guest just booted (its IPv6 address probe is one checkpoint):
    # warm up, not measured.
    sleep 2
    requests=20 http_run warmup >/dev/null
}

# qemu_checkpoints: QEMU's checkpoints since the watch started.
qemu_checkpoints() {
    local n i
    n=$(wc -l < "$out/watch.out")
    kill -USR1 "$watch_pid"
    for i in $(seq 50); do
        test "$(wc -l < "$out/watch.out")" -gt "$n" && break
        sleep 0.1
    done
    sed -n '$s/^checkpoints=//p' "$out/watch.out"
}

# checkpoints PATH: checkpoints so far on PATH's pair (colo: requests that
# the comparator raised, once the counters of what came before are
# published).
checkpoints() {
    case $1 in
        colo) colo_stats_settle; stat checkpoint_requests ;;
        qemu) qemu_checkpoints ;;
        *) echo 0 ;;
    esac
}

ofctl() {
    bed_exec primary "$(bed_ovs utilities/ovs-ofctl)" "$@"
}

# path_run ROUND PATH: one round of PATH; prints a line of figures and
# appends "PATH REQ/S UDP/S MBIT/S CHECKPOINTS-HTTP CHECKPOINTS-ALL" to
# $out/rounds.
path_run() {
    local round=$1 path=$2 c0 c1 c2 t0 http udp_fig dl
    pair_switch "$([ "$path" = qemu ] && echo qemu || echo colo)"
    if test "$path" = colo; then
        ofctl --strict del-flows br0 'priority=40000,in_port=uplink'
        ofctl --strict del-flows br0 'priority=40000,in_port=pvm'
        # The SVM missed what went the plain path: a checkpoint first,
        # not counted.
        bed_manager colo-manager/checkpoint vm1 >/dev/null
        colo_stats_settle
        t0=$(stat timeouts)
    else
        # Plain forwarding on the primary node, above the pair's flows.
        printf '%s\n' \
            'priority=40000,in_port=uplink actions=output:pvm' \
            'priority=40000,in_port=pvm actions=output:uplink' \
            | ofctl add-flows br0 -
    fi
    c0=$(checkpoints "$path")
    http=$(http_run "$path")
    c1=$(checkpoints "$path")
    udp_fig=$(udp_run "$path")
    dl=$(download_run)
    c2=$(checkpoints "$path")
    echo "$path $http ${udp_fig% *} $dl $((c1 - c0)) $((c2 - c0))" \
        >>"$out/rounds"
    printf 'round %d %-5s %5s requests/s  %5s UDP/s (%s lost)  %4s Mbit/s' \
        "$round" "$path" "$http" "${udp_fig% *}" "${udp_fig#* }" "$dl"
    if test "$path" != ovs; then
        printf '  checkpoints: %d in HTTP, %d in all' $((c1 - c0)) \
            $((c2 - c0))
    fi
    if test "$path" = colo; then
        printf ', %d compare timeouts' $(( $(stat timeouts) - t0 ))
    fi
    echo
}

echo "colo-bench-vm: $rounds rounds of $requests HTTP requests (one TCP" \
     "connection each), $udp UDP echoes and a 16 MiB download per path;" \
     "QEMU $(qemu-system-x86_64 --version \
     | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG, guest" \
     "$(basename "$(dirname "$("$colo_top/utilities/colo-vm.sh" image)/x")")," \
     "$(nproc) CPUs ($(sed -n 's/^model name.*: //p' /proc/cpuinfo | head -1))"
for round in $(seq 1 "$rounds"); do
    if test $((round % 2)) = 1; then
        order="colo ovs qemu"
    else
        order="qemu ovs colo"
    fi
    for path in $order; do
        path_run "$round" "$path"
    done
done
if test "$pair" = colo; then
    cat "$COLO_BED_DIR/manager.log" >>"$out/colo-manager.log"
fi

/usr/bin/python3 - "$out" "$requests" "$rounds" <<'PY'
import os
import statistics
import sys
out, requests, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = {}
for line in open(os.path.join(out, "rounds")):
    path, http, udp, dl, cp_http, cp_all = line.split()
    rows.setdefault(path, []).append((int(http), int(udp), int(dl),
                                      int(cp_http), int(cp_all)))


def pct(path, kind):
    lat = sorted(float(x) for x in open(os.path.join(out, path + "." + kind)))
    return lat[len(lat) // 2], lat[len(lat) * 99 // 100]


print("%-5s %11s %7s %7s %7s %7s %7s %-17s %s" % (
    "path", "requests/s", "p50 ms", "p99 ms", "UDP/s", "p50 ms", "p99 ms",
    "download Mbit/s", "checkpoints per 1,000 requests (all)"))
for path in ("colo", "ovs", "qemu"):
    r = rows[path]
    hp50, hp99 = pct(path, "http")
    up50, up99 = pct(path, "udp")
    cp = ("-" if path == "ovs" else "%.1f (%d)" % (
        sum(x[3] for x in r) * 1000 / (requests * len(r)),
        sum(x[4] for x in r)))
    print("%-5s %11.0f %7.2f %7.2f %7.0f %7.2f %7.2f %-17s %s" % (
        path, statistics.median(x[0] for x in r), hp50, hp99,
        statistics.median(x[1] for x in r), up50, up99,
        "/".join(str(x[2]) for x in r), cp))
PY
echo "colo's reasons (manager log):"
sed -n 's/^[^ ]* checkpoint of vm1 requested by primary: //p' \
    "$out/colo-manager.log" \
    | sed -E 's/[0-9]+(\.[0-9]+){3}:[0-9]+/ADDR:PORT/g;
              s/\[[0-9]+, [0-9]+\)/[range]/; s/[0-9]+ bytes/N bytes/' \
    | sort | uniq -c | sort -rn | sed 's/^/  /'
