#!/bin/bash
# colo-bench-compare.sh -- the comparator side by side with QEMU's
# colo-compare ("make bench-qemu"): the same driver ("ovstest
# test-colo-drive", tests/test-colo-drive.c) feeds identical primary and
# secondary streams in the COLO proxy framing to
#
#   ovs   ovs-vswitchd (userspace datapath, "dummy" type, no kernel ports)
#         with three colo ports on unix sockets: the PVM's output goes
#         through colo_compare(vm1,table=1) to the output port, the SVM's
#         comes in on the pair's channel;
#   qemu  Debian's qemu-system-x86_64 -machine none (no guest) running a
#         colo-compare object on an iothread with three unix-socket
#         chardevs,
#
# for each payload size, and prints pairs/s, payload Mbit/s and release
# latency for both, and the ratio; first comes a "lat" run of 64-byte pairs
# sent one at a time (a tenth as many), for the release latency without
# queueing.  Not a test: it asserts only that every
# pair is released once, in order.
#
#   COLO_BENCH_PACKETS  pairs per run (default 200000)
#   COLO_BENCH_SIZES    payload sizes (default "64 512 1400")
#   COLO_BENCH_WINDOW   most pairs in flight (default 256; QEMU's
#                       colo-compare holds at most max_queue_size=1024
#                       packets per connection)
#   COLO_BENCH_PROTO    tcp (default) or udp
#   COLO_BENCH_PERF     if set, a file: ovs-vswitchd is profiled with
#                       "perf record -g" into it during the runs
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
colo_bootstrap
if ! command -v qemu-system-x86_64 >/dev/null; then
    echo "colo-bench-compare: qemu-system-x86_64 missing" >&2
    exit 1
fi
packets=${COLO_BENCH_PACKETS:-200000}
sizes=${COLO_BENCH_SIZES:-64 512 1400}
window=${COLO_BENCH_WINDOW:-256}
proto=${COLO_BENCH_PROTO:-tcp}
build=$colo_top/ovs-build
dir=$(mktemp -d /tmp/colo-bench-compare.XXXXXX)
export OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir
export PATH=$build/utilities:$build/vswitchd:$build/ovsdb:$build/tests:$PATH

cleanup() {
    for pidfile in "$dir"/*.pid; do
        test -f "$pidfile" && kill "$(cat "$pidfile")" 2>/dev/null
    done
    sleep 0.2
    rm -rf "$dir"
}
trap cleanup EXIT
if test -n "$COLO_BENCH_PERF"; then
    # Profiles ovs-vswitchd during the runs: perf record -g to this file.
    command -v perf >/dev/null || {
        echo "colo-bench-compare: perf missing (apt-get install linux-perf)" >&2
        exit 1
    }
fi

# ovs-vswitchd with the three ports and the pair.
ovsdb-tool create "$dir/conf.db" "$colo_top/ovs/vswitchd/vswitch.ovsschema"
ovsdb-server --detach --no-chdir --pidfile --log-file \
    --remote="punix:$dir/db.sock" "$dir/conf.db"
ovs-vsctl --no-wait init
ovs-vswitchd --enable-dummy=override --disable-system --detach --no-chdir \
    --pidfile --log-file -vconsole:off
ovs-vsctl add-br br0 -- set bridge br0 datapath-type=dummy \
    -- add-port br0 pin -- set Interface pin type=colo ofport_request=1 \
       options:remote="punix:$dir/ovs-pin.sock" \
    -- add-port br0 sin -- set Interface sin type=colo ofport_request=2 \
       options:remote="punix:$dir/ovs-sin.sock" \
    -- add-port br0 out -- set Interface out type=colo ofport_request=3 \
       options:remote="punix:$dir/ovs-out.sock" \
    -- create COLO name=vm1 mode=primary channel=sin \
       options:max-queue-packets=65536 >/dev/null
if test -n "$COLO_BENCH_PERF"; then
    perf record -F 999 -g -o "$COLO_BENCH_PERF" -p "$(cat "$dir/ovs-vswitchd.pid")" \
        >/dev/null 2>&1 &
    perf_pid=$!
fi
ovs-ofctl add-flows br0 - <<EOF
in_port=pin actions=colo_compare(vm1,table=1)
in_port=sin actions=colo_compare(vm1)
table=1,in_port=pin actions=output:out
EOF

# QEMU's colo-compare on its own sockets.
qemu_start() {
    qemu-system-x86_64 -machine none -nodefaults -display none \
        -daemonize -pidfile "$dir/qemu.pid" \
        -chardev "socket,id=pin,path=$dir/qemu-pin.sock,server=on,wait=off" \
        -chardev "socket,id=sin,path=$dir/qemu-sin.sock,server=on,wait=off" \
        -chardev "socket,id=out,path=$dir/qemu-out.sock,server=on,wait=off" \
        -object iothread,id=io1 \
        -object colo-compare,id=cmp,primary_in=pin,secondary_in=sin,outdev=out,iothread=io1
}

drive() {
    local which=$1 size=$2 n=${3:-$packets} w=${4:-$window}
    ovstest test-colo-drive "unix:$dir/$which-pin.sock" \
        "unix:$dir/$which-sin.sock" "unix:$dir/$which-out.sock" \
        packets="$n" size="$size" window="$w" proto="$proto"
}

field() {
    echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

echo "colo-bench-compare: $packets $proto pairs per run, window $window," \
     "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"
printf "%-6s %-5s %10s %9s %9s %9s %9s %8s\n" size impl pairs/s Mbit/s p50_us p99_us reordered lost
# "lat" runs: one pair in flight at a time (window 1), for the release
# latency without queueing; the others fill the window, for throughput.
for size in lat $sizes; do
    for impl in ovs qemu; do
        if test $impl = qemu; then
            # A fresh QEMU for each run: its connections end with the run.
            qemu_start
        else
            # Acknowledge a request left by the previous run, if any.
            req=$(ovs-vsctl get COLO vm1 checkpoint_request)
            ovs-vsctl set COLO vm1 checkpoint_done="$req"
        fi
        if test "$size" = lat; then
            line=$(drive $impl 64 $((packets / 10)) 1)
        else
            line=$(drive $impl "$size")
        fi
        eval "${impl}_pps=$(field "$line" pps)"
        printf '%-6s %-5s %10s %9s %9s %9s %9s %8s\n' "$size" $impl \
            "$(field "$line" pps)" "$(field "$line" mbps)" \
            "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
            "$(field "$line" reordered)" "$(field "$line" lost)"
        if test $impl = qemu; then
            pid=$(cat "$dir/qemu.pid")
            kill "$pid"
            while kill -0 "$pid" 2>/dev/null; do
                sleep 0.1
            done
            rm -f "$dir"/qemu-*.sock "$dir/qemu.pid"
        fi
    done
    test "$size" = lat && continue
    awk -v s="$size" -v o="$ovs_pps" -v q="$qemu_pps" \
        'BEGIN { printf "%s B: ovs/qemu = %.1fx\n", s, o / q }'
done
if test -n "$COLO_BENCH_PERF"; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || :
fi
