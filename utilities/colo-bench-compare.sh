#!/bin/bash
# colo-bench-compare.sh -- the comparator side by side with QEMU's
# colo-compare ("make bench-qemu"): the same driver ("ovstest
# test-colo-drive", tests/test-colo-drive.c) feeds primary and secondary
# streams in the COLO proxy framing to
#
#   ovs   ovs-vswitchd (userspace datapath, "dummy" type, no kernel ports)
#         with three colo ports on unix sockets: the PVM's output goes
#         through colo_compare(vm1,table=1) to the output port, the SVM's
#         comes in on the pair's channel;
#   qemu  Debian's qemu-system-x86_64 -machine none (no guest) running a
#         colo-compare object on an iothread with three unix-socket
#         chardevs,
#
# in one of three modes:
#
#   identical traffic (the default, "make bench-qemu"): for each payload
#     size, pairs/s, payload Mbit/s and release latency for both, and the
#     ratio; first comes a "lat" run of 64-byte pairs sent one at a time (a
#     tenth as many), for the release latency without queueing.  Not a
#     test: it asserts only that every pair is released once, in order.
#
#   divergent traffic (COLO_BENCH_DIVERGE=1, or "make bench-diverge"):
#     instead of the rows above, TCP 64 B and 1400 B pairs with 1 in
#     10,000, 1,000 and 100 secondary copies different (the last payload
#     byte), and UDP 64 B with 1 in 1,000, each with a manager that
#     acknowledges every checkpoint request at once ("ack 0"), one that
#     acknowledges each request 20 ms later, however many overlap ("ack
#     20"), and one that, like QEMU's COLO loop around real VMs, runs one
#     20 ms checkpoint at a time, the VMs paused meanwhile (the driver
#     sends no new pair), and serves the requests that came during it with
#     one more ("ack 20s").  The driver is the manager, on the notify
#     protocol: on the ovs side through ovs-colo-notify, which bridges
#     pair vm1 to a punix: socket; on the qemu side through colo-compare's
#     notify_dev (a fourth unix-socket chardev).  Per side: released
#     pairs/s, checkpoint requests (DO_CHECKPOINT) per divergent pair,
#     order violations within the connection (reordered, and max_late: how
#     many places the latest release came late), pairs lost (not released
#     5 s after the last release) and released twice; then ovs/qemu.  A
#     row sends at most COLO_BENCH_DIVERGENCES (default 20) divergent pairs
#     and at most COLO_BENCH_PACKETS pairs, so that it takes seconds.
#
#   many pairs (COLO_BENCH_PAIRS="1 4 16", or "make bench-pairs"): for
#     each N, N COLO pairs vm1..vmN on the ovs side (three colo-pmd ports
#     each, other_config:pmd-cpu-mask=0x3 for two PMD threads when there
#     are two CPUs or more) and N QEMU processes (one colo-compare each, as
#     one QEMU per VM), each driven at once by its own driver with
#     COLO_BENCH_PACKETS identical 64 B pairs: aggregate pairs/s (all
#     pairs over the longest driver's run, so a little low when the
#     drivers do not start together) and the slowest and fastest pair's
#     pairs/s.
#
# Each run uses connections (source ports) of its own: the comparator
# keeps a connection's state from one run to the next, and a TCP segment
# whose bytes it has compared already passes as a retransmission.
#
#   COLO_BENCH_PACKETS  pairs per run (default 200000)
#   COLO_BENCH_SIZES    payload sizes (default "64 512 1400")
#   COLO_BENCH_WINDOW   most pairs in flight (default 256; QEMU's
#                       colo-compare holds at most max_queue_size=1024
#                       packets per connection)
#   COLO_BENCH_PROTO    tcp (default) or udp (identical traffic only)
#   COLO_BENCH_PORT     the ovs side's port type: colo (default; polled by
#                       the main thread) or colo-pmd (by a PMD thread);
#                       the many-pairs mode always uses colo-pmd
#   COLO_BENCH_DIVERGE  if set and not 0: the divergent rows
#   COLO_BENCH_DIVERGENCES  most divergent pairs per row (default 20)
#   COLO_BENCH_PAIRS    if set: the many-pairs mode for these N
#   COLO_BENCH_PERF     if set, a file: ovs-vswitchd is profiled with
#                       "perf record -g" into it during the runs
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
. "$(dirname "$0")/colo-lib.sh"
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
max_divergences=${COLO_BENCH_DIVERGENCES:-20}
mode=identical
if test -n "$COLO_BENCH_PAIRS"; then
    mode=pairs
    port_type=colo-pmd
elif test -n "$COLO_BENCH_DIVERGE" && test "$COLO_BENCH_DIVERGE" != 0; then
    mode=diverge
fi
build=$colo_top/ovs-build
dir=$(mktemp -d /tmp/colo-bench-compare.XXXXXX)
export OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir
export PATH=$build/utilities:$build/vswitchd:$build/ovsdb:$build/tests:$PATH

cleanup() {
    for pidfile in "$dir"/*.pid; do
        test -f "$pidfile" || continue
        kill -CONT "$(cat "$pidfile")" 2>/dev/null
        kill "$(cat "$pidfile")" 2>/dev/null
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

# ovs_start N: ovs-vswitchd with, for each of pairs 1..N, three ports (pinK,
# sinK and outK, on sockets ovs-pin.sock etc. for pair 1 and ovsK-pin.sock
# etc. for pair K) and the pair vmK.
ovs_start() {
    local n=$1 k sock args=
    ovsdb-tool create "$dir/conf.db" "$colo_top/ovs/vswitchd/vswitch.ovsschema"
    ovsdb-server --detach --no-chdir --pidfile --log-file \
        --remote="punix:$dir/db.sock" "$dir/conf.db"
    ovs-vsctl --no-wait init
    if test $mode = pairs && test "$(nproc)" -ge 2; then
        ovs-vsctl --no-wait set Open_vSwitch . other_config:pmd-cpu-mask=0x3
    fi
    ovs-vswitchd --enable-dummy=override --disable-system --detach --no-chdir \
        --pidfile --log-file -vconsole:off
    flows=
    for k in $(seq 1 "$n"); do
        sock=ovs$k
        test "$k" = 1 && sock=ovs
        args="$args -- add-port br0 pin$k
                    -- set Interface pin$k type=$port_type
                       options:remote=punix:$dir/$sock-pin.sock
                    -- add-port br0 sin$k
                    -- set Interface sin$k type=$port_type
                       options:remote=punix:$dir/$sock-sin.sock
                    -- add-port br0 out$k
                    -- set Interface out$k type=$port_type
                       options:remote=punix:$dir/$sock-out.sock
                    -- create COLO name=vm$k mode=primary channel=sin$k
                       options:max-queue-packets=65536"
        flows="${flows}in_port=pin$k actions=colo_compare(vm$k,table=1)
in_port=sin$k actions=colo_compare(vm$k)
table=1,in_port=pin$k actions=output:out$k
"
    done
    # shellcheck disable=SC2086
    ovs-vsctl add-br br0 -- set bridge br0 datapath-type=dummy $args >/dev/null
    if test -n "$COLO_BENCH_PERF"; then
        perf record -F 999 -g -o "$COLO_BENCH_PERF" \
            -p "$(cat "$dir/ovs-vswitchd.pid")" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    ovs-ofctl -O OpenFlow14 --bundle replace-flows br0 - <<EOF
$flows
EOF
}

# qemu_start [NAME [notify]]: QEMU's colo-compare on its own sockets, NAME
# (default qemu) naming them and the pidfile; with "notify", a fourth
# socket NAME-notify.sock is its notify_dev.
qemu_start() {
    local name=${1:-qemu} notify=
    if test "$2" = notify; then
        notify="-chardev socket,id=notify,path=$dir/$name-notify.sock,server=on,wait=off"
    fi
    # shellcheck disable=SC2086
    qemu-system-x86_64 -machine none -nodefaults -display none \
        -daemonize -pidfile "$dir/$name.pid" \
        -chardev "socket,id=pin,path=$dir/$name-pin.sock,server=on,wait=off" \
        -chardev "socket,id=sin,path=$dir/$name-sin.sock,server=on,wait=off" \
        -chardev "socket,id=out,path=$dir/$name-out.sock,server=on,wait=off" \
        $notify \
        -object iothread,id=io1 \
        -object "colo-compare,id=cmp,primary_in=pin,secondary_in=sin,outdev=out,iothread=io1${notify:+,notify_dev=notify}"
}

# qemu_stop [NAME]: stops QEMU NAME (default qemu), removes its sockets.
qemu_stop() {
    local name=${1:-qemu} pid
    pid=$(cat "$dir/$name.pid")
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
    done
    rm -f "$dir/$name"-*.sock "$dir/$name.pid"
}

# While QEMU runs, ovs-vswitchd is stopped, so that its threads (a colo-pmd
# port's PMD thread spins) take no CPU from QEMU.
ovs_pause() {
    kill -STOP "$(cat "$dir/ovs-vswitchd.pid")"
}
ovs_resume() {
    kill -CONT "$(cat "$dir/ovs-vswitchd.pid")"
}

# Each run on connections of its own (see above): source ports from $sport
# on.  Call before each run, in this shell.
run=0
next_run() {
    run=$((run + 1))
    sport=$((1024 + run * 64))
}

# drive SOCKETS [KEY=VALUE]...: one driver run on sockets SOCKETS-pin.sock
# etc.; the keys override the defaults.
drive() {
    local which=$1
    shift
    ovstest test-colo-drive "unix:$dir/$which-pin.sock" \
        "unix:$dir/$which-sin.sock" "unix:$dir/$which-out.sock" \
        packets="$packets" window="$window" proto="$proto" sport="$sport" \
        "$@"
}

field() {
    echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

cpu_info() {
    echo "$(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"
}

identical_rows() {
    echo "colo-bench-compare: $packets $proto pairs per run, window $window," \
         "ovs port type $port_type, $(cpu_info)"
    printf "%-6s %-5s %10s %9s %9s %9s %9s %8s %7s %7s\n" size impl pairs/s \
        Mbit/s p50_us p99_us reordered lost drv_cpu pmd_busy
    # "lat" runs: one pair in flight at a time (window 1), for the release
    # latency without queueing, with the driver polling without sleeping
    # (so that its own wakeup is not measured); the others fill the
    # window, for throughput.
    # "fwd" is ovs-vswitchd forwarding the primary stream straight to the
    # output (the secondary's frames dropped): the same sockets and
    # datapath without the comparator, to tell what the comparator adds to
    # latency.
    for size in lat $sizes; do
        impls="ovs qemu"
        test "$size" = lat && impls="fwd ovs qemu"
        for impl in $impls; do
            if test $impl = fwd; then
                ovs-ofctl -O OpenFlow14 --bundle replace-flows br0 - <<EOF
in_port=pin1 actions=output:out1
in_port=sin1 actions=drop
EOF
            elif test $impl = qemu; then
                # A fresh QEMU for each run: its connections end with the
                # run.
                ovs_pause
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
            next_run
            if test "$size" = lat; then
                line=$(drive $sockets size=64 packets=$((packets / 10)) \
                       window=1 busy=true)
            else
                line=$(drive $sockets size="$size")
            fi
            eval "${impl}_pps=$(field "$line" pps)"
            eval "${impl}_p50=$(field "$line" p50_us)"
            # How busy the PMD thread was: its share of cycles spent
            # processing packets rather than polling empty queues.
            busy=-
            if test $impl != qemu && test $port_type = colo-pmd; then
                busy=$(ovs-appctl dpif-netdev/pmd-stats-show \
                       | sed -n "s/.*processing cycles: [0-9]* (\\([0-9.]*\\)%).*/\\1/p" \
                       | head -1)
            fi
            printf '%-6s %-5s %10s %9s %9s %9s %9s %8s %7s %7s\n' "$size" \
                $impl "$(field "$line" pps)" "$(field "$line" mbps)" \
                "$(field "$line" p50_us)" "$(field "$line" p99_us)" \
                "$(field "$line" reordered)" "$(field "$line" lost)" \
                "$(field "$line" cpu)" "$busy"
            if test $impl = qemu; then
                qemu_stop
                ovs_resume
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
    printf 'ovs: %s identical pairs, %s checkpoint requests\n' \
        "$(colo_stats_settle; colo_stat identical)" \
        "$(colo_stat checkpoint_requests)"
}

diverge_rows() {
    local row p size every n ack serial impl out line f
    # The manager's socket on the ovs side.
    ovs-colo-notify --detach --no-chdir --pidfile --log-file \
        "vm1=punix:$dir/ovs-notify.sock"
    echo "colo-bench-compare: divergent rows, at most $packets pairs and" \
         "$max_divergences divergent pairs per row, window $window, ovs" \
         "port type $port_type, $(cpu_info)"
    echo "ckpt/div: DO_CHECKPOINT per divergent pair; done/div: checkpoints" \
         "taken (COLO_CHECKPOINT) per divergent pair; late: max_late" \
         "(places); reord: reordered"
    printf "%-24s | %-50s | %-50s | %s\n" "" ovs qemu ""
    printf "%-24s | %9s %8s %8s %6s %5s %4s %4s | %9s %8s %8s %6s %5s %4s %4s | %s\n" \
        "proto size 1/N ack" pairs/s ckpt/div done/div reord late lost dup \
        pairs/s ckpt/div done/div reord late lost dup ovs/qemu
    for row in "tcp 64 10000" "tcp 64 1000" "tcp 64 100" \
               "tcp 1400 10000" "tcp 1400 1000" "tcp 1400 100" \
               "udp 64 1000"; do
        # shellcheck disable=SC2086
        set -- $row
        p=$1 size=$2 every=$3
        n=$((max_divergences * every))
        test $n -gt "$packets" && n=$packets
        for ack in 0 20 20s; do
            serial=false
            case $ack in *s) serial=true ;; esac
            out=
            for impl in ovs qemu; do
                if test $impl = qemu; then
                    ovs_pause
                    qemu_start qemu notify
                fi
                next_run
                line=$(drive $impl proto="$p" size="$size" packets="$n" \
                       diverge="$every" notify="unix:$dir/$impl-notify.sock" \
                       ack_ms="${ack%s}" serial=$serial)
                out="$out $(field "$line" pps)"
                for f in checkpoints acks; do
                    out="$out $(awk -v c="$(field "$line" $f)" \
                                    -v d="$(field "$line" diverged)" \
                                'BEGIN { if (d) printf "%.2f", c / d; else print "-" }')"
                done
                for f in reordered max_late lost dup; do
                    out="$out $(field "$line" $f)"
                done
                eval "${impl}_pps=$(field "$line" pps)"
                if test $impl = qemu; then
                    qemu_stop
                    ovs_resume
                fi
            done
            # shellcheck disable=SC2086
            printf "%-24s | %9s %8s %8s %6s %5s %4s %4s | %9s %8s %8s %6s %5s %4s %4s | %s\n" \
                "$p $size 1/$every ack $ack" $out \
                "$(awk -v o="$ovs_pps" -v q="$qemu_pps" \
                   'BEGIN { printf "%.1fx", o / q }')"
        done
    done
    printf 'ovs: %s checkpoint requests in all\n' \
        "$(colo_stats_settle; colo_stat checkpoint_requests)"
}

# drive_pairs PREFIX N PAIRS: runs N drivers at once, each with PAIRS pairs,
# on sockets PREFIXK-pin.sock etc. (ovs-pin.sock etc. for ovs's pair 1) and
# prints "AGGREGATE MIN MAX BAD": all pairs released over the longest
# driver's run, the slowest and the fastest driver's pairs/s, the sum of
# reordered, lost and dup.
drive_pairs() {
    local prefix=$1 n=$2 per=$3 k sock pids=
    for k in $(seq 1 "$n"); do
        sock=$prefix$k
        test "$prefix" = ovs && test "$k" = 1 && sock=ovs
        drive "$sock" size=64 packets="$per" >"$dir/pair$k.out" &
        pids="$pids $!"
    done
    # shellcheck disable=SC2086
    wait $pids
    for k in $(seq 1 "$n"); do
        cat "$dir/pair$k.out"
    done | awk '{
        for (i = 1; i <= NF; i++) {
            split($i, kv, "=")
            v[kv[1]] = kv[2]
        }
        total += v["sent"] - v["lost"]
        if (v["seconds"] > longest) longest = v["seconds"]
        if (min == "" || v["pps"] + 0 < min) min = v["pps"] + 0
        if (v["pps"] + 0 > max) max = v["pps"] + 0
        bad += v["reordered"] + v["lost"] + v["dup"]
    } END { printf "%.0f %.0f %.0f %d\n", total / longest, min, max, bad }'
}

pairs_rows() {
    local n n_max=0 per k ovs qemu
    for n in $COLO_BENCH_PAIRS; do
        test "$n" -gt $n_max && n_max=$n
    done
    ovs_start "$n_max"
    echo "colo-bench-compare: many pairs, $packets identical 64 B $proto" \
         "pairs per pair, window $window, colo-pmd ports, pmd-cpu-mask" \
         "$(ovs-vsctl get Open_vSwitch . other_config:pmd-cpu-mask \
            2>/dev/null || echo unset), $(cpu_info)"
    echo "bad: reordered + lost + dup over all pairs"
    printf "%-5s | %-37s | %-37s | %s\n" "" ovs qemu ""
    printf "%-5s | %12s %10s %10s %3s | %12s %10s %10s %3s | %s\n" pairs \
        "aggr pairs/s" "min/pair" "max/pair" bad \
        "aggr pairs/s" "min/pair" "max/pair" bad ovs/qemu
    for n in $COLO_BENCH_PAIRS; do
        per=$packets
        next_run
        ovs=$(drive_pairs ovs "$n" $per)
        ovs_pause
        for k in $(seq 1 "$n"); do
            qemu_start "qemu$k"
        done
        qemu=$(drive_pairs qemu "$n" $per)
        for k in $(seq 1 "$n"); do
            qemu_stop "qemu$k"
        done
        ovs_resume
        # shellcheck disable=SC2086
        printf "%-5s | %12s %10s %10s %3s | %12s %10s %10s %3s | %s\n" \
            "$n" $ovs $qemu \
            "$(awk -v o="${ovs%% *}" -v q="${qemu%% *}" \
               'BEGIN { printf "%.1fx", o / q }')"
    done
}

case $mode in
    identical)
        ovs_start 1
        identical_rows
        ;;
    diverge)
        ovs_start 1
        diverge_rows
        ;;
    pairs)
        pairs_rows
        ;;
esac
if test -n "$COLO_BENCH_PERF"; then
    kill -INT "$perf_pid"
    wait "$perf_pid" || :
fi
