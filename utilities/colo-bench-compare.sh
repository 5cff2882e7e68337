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
#   COLO_BENCH_PORT     the ovs side's port type: colo (default; polled by
#                       the main thread) or colo-pmd (by a PMD thread)
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
port_type=${COLO_BENCH_PORT:-colo}
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
    -- add-port br0 pin -- set Interface pin type=$port_type ofport_request=1 \
       options:remote="punix:$dir/ovs-pin.sock" \
    -- add-port br0 sin -- set Interface sin type=$port_type ofport_request=2 \
       options:remote="punix:$dir/ovs-sin.sock" \
    -- add-port br0 out -- set Interface out type=$port_type ofport_request=3 \
       options:remote="punix:$dir/ovs-out.sock" \
    -- create COLO name=vm1 mode=primary channel=sin \
       options:max-queue-packets=65536 >/dev/null
if test -n "$COLO_BENCH_PERF"; then
    perf record -F 999 -g -o "$COLO_BENCH_PERF" -p "$(cat "$dir/ovs-vswitchd.pid")" \
        >/dev/null 2>&1 &
    perf_pid=$!
fi
flows="in_port=pin actions=colo_compare(vm1,table=1)
in_port=sin actions=colo_compare(vm1)
table=1,in_port=pin actions=output:out"
ovs-ofctl add-flows br0 - <<EOF
$flows
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
    local which=$1 size=$2 n=${3:-$packets} w=${4:-$window} busy=${5:-false}
    ovstest test-colo-drive "unix:$dir/$which-pin.sock" \
        "unix:$dir/$which-sin.sock" "unix:$dir/$which-out.sock" \
        packets="$n" size="$size" window="$w" proto="$proto" busy="$busy"
}

field() {
    echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

echo "colo-bench-compare: $packets $proto pairs per run, window $window," \
     "ovs port type $port_type," \
     "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"
printf "%-6s %-5s %10s %9s %9s %9s %9s %8s %7s %7s\n" size impl pairs/s \
    Mbit/s p50_us p99_us reordered lost drv_cpu pmd_busy
# "lat" runs: one pair in flight at a time (window 1), for the release
# latency without queueing, with the driver polling without sleeping (so
# that its own wakeup is not measured); the others fill the window, for
# throughput.
# "fwd" is ovs-vswitchd forwarding the primary stream straight to the
# output (the secondary's frames dropped): the same sockets and datapath
# without the comparator, to tell what the comparator adds to latency.
for size in lat $sizes; do
    impls="ovs qemu"
    test "$size" = lat && impls="fwd ovs qemu"
    for impl in $impls; do
        if test $impl = fwd; then
            ovs-ofctl -O OpenFlow14 --bundle replace-flows br0 - <<EOF
in_port=pin actions=output:out
in_port=sin actions=drop
EOF
        elif test $impl = qemu; then
            # A fresh QEMU for each run: its connections end with the run.
            # ovs-vswitchd is stopped meanwhile, so that its threads (a
            # colo-pmd port's PMD thread spins) take no CPU from QEMU.
            kill -STOP "$(cat "$dir/ovs-vswitchd.pid")"
            qemu_start
        else
            ovs-ofctl -O OpenFlow14 --bundle replace-flows br0 - <<EOF
$flows
EOF
        fi
        if test $impl != qemu && test $port_type = colo-pmd; then
            ovs-appctl dpif-netdev/pmd-stats-clear
        fi
        sockets=$impl
        test $impl = fwd && sockets=ovs
        if test "$size" = lat; then
            line=$(drive $sockets 64 $((packets / 10)) 1 true)
        else
            line=$(drive $sockets "$size")
        fi
        eval "${impl}_pps=$(field "$line" pps)"
        eval "${impl}_p50=$(field "$line" p50_us)"
        # How busy the PMD thread was: its share of cycles spent processing
        # packets rather than polling empty queues.
        busy=-
        if test $impl != qemu && test $port_type = colo-pmd; then
            busy=$(ovs-appctl dpif-netdev/pmd-stats-show \
                   | sed -n "s/.*processing cycles: [0-9]* (\\([0-9.]*\\)%).*/\\1/p" \
                   | head -1)
        fi
        printf '%-6s %-5s %10s %9s %9s %9s %9s %8s %7s %7s\n' "$size" $impl \
            "$(field "$line" pps)" "$(field "$line" mbps)" \
            "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
            "$(field "$line" reordered)" "$(field "$line" lost)" \
            "$(field "$line" cpu)" "$busy"
        if test $impl = qemu; then
            pid=$(cat "$dir/qemu.pid")
            kill "$pid"
            while kill -0 "$pid" 2>/dev/null; do
                sleep 0.1
            done
            rm -f "$dir"/qemu-*.sock "$dir/qemu.pid"
            kill -CONT "$(cat "$dir/ovs-vswitchd.pid")"
        fi
    done
    if test "$size" = lat; then
        awk -v o="$ovs_p50" -v f="$fwd_p50" 'BEGIN {
            printf "lat: the comparator adds %.1f us p50 to plain forwarding\n",
                   o - f }'
        continue
    fi
    awk -v s="$size" -v o="$ovs_pps" -v q="$qemu_pps" \
        'BEGIN { printf "%s B: ovs/qemu = %.1fx\n", s, o / q }'
done
# No pair differed, so any checkpoint request would be spurious.
ovs-appctl colo/show vm1 \
    | sed -n 's/^ *\(identical\|checkpoint_requests\)=//p' | tr '\n' ' ' \
    | awk '{ printf "ovs: %s identical pairs, %s checkpoint requests\n", $1, $2 }'
if test -n "$COLO_BENCH_PERF"; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || :
fi
