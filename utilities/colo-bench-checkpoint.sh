#!/bin/bash
# colo-bench-checkpoint.sh -- checkpoint round trips through a primary COLO
# pair ("make bench-checkpoint"), timed leg by leg by "ovstest
# test-colo-checkpoint" (tests/test-colo-checkpoint.c):
#
#   leg 1  divergence -> request visible: from writing a secondary frame
#          that differs from the held primary frame to the manager seeing
#          the checkpoint request;
#   leg 2  acknowledgment -> first release: from writing the
#          acknowledgment to reading the held primary frame on the output.
#
# ovs-vswitchd (userspace datapath, "dummy" type, no kernel ports) has
# three ports on unix sockets, pin, sin and out, pin's output going through
# colo_compare(vm1,table=1) to out and the secondary coming in on sin, the
# pair's channel; the program plays the PVM, the SVM, the client and the
# manager, on each manager path:
#
#   ovsdb    an IDL client sees checkpoint_request grow and writes
#            checkpoint_done;
#   notify   ovs-colo-notify between the database and the program, which
#            reads DO_CHECKPOINT and writes COLO_CHECKPOINT;
#   unixctl  the request seen through the IDL, acknowledged with
#            "colo/checkpoint-done" on ovs-vswitchd's control socket;
#
# for each port type, and prints p50, p99 and max of each leg, in
# microseconds, and whether the goal (p50 <= 1 ms, p99 <= 5 ms) is met.
# Not a test: it fails only if a checkpoint does not complete.
#
#   COLO_BENCH_CHECKPOINTS  checkpoints per path (default 1000)
#   COLO_BENCH_WARMUP       checkpoints taken first on each path and not
#                           counted (default 2: the first ones set up the
#                           datapath flows)
#   COLO_BENCH_PORT         port types (default "colo colo-pmd")
#   COLO_BENCH_PATHS        manager paths (default "ovsdb notify unixctl")
#   COLO_BENCH_PROTO        udp (default) or tcp
#   COLO_BENCH_BUSY         true: the program polls without sleeping, so
#                           that its own wakeup is not measured (default
#                           false)
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
. "$(dirname "$0")/colo-lib.sh"
colo_bootstrap
checkpoints=${COLO_BENCH_CHECKPOINTS:-1000}
warmup=${COLO_BENCH_WARMUP:-2}
port_types=${COLO_BENCH_PORT:-colo colo-pmd}
paths=${COLO_BENCH_PATHS:-ovsdb notify unixctl}
proto=${COLO_BENCH_PROTO:-udp}
busy=${COLO_BENCH_BUSY:-false}
build=$colo_top/ovs-build
dir=$(mktemp -d /tmp/colo-bench-ckpt.XXXXXX)
export OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir OVS_SYSCONFDIR=$dir
export PATH=$build/utilities:$build/vswitchd:$build/ovsdb:$build/tests:$PATH

# Waits until process $1 has exited (a zombie counts: its parent is gone).
wait_exit() {
    while kill -0 "$1" 2>/dev/null \
          && ! ps -o stat= -p "$1" | grep -q Z; do
        sleep 0.1
    done
}
stop_daemons() {
    for pidfile in "$dir"/*.pid; do
        test -f "$pidfile" || continue
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || :
        wait_exit "$pid"
        rm -f "$pidfile"
    done
}
cleanup() {
    stop_daemons
    rm -rf "$dir"
}
trap cleanup EXIT

# ovsdb-server and ovs-vswitchd with the three ports of type $1 and the
# pair, from a fresh database.
start_switch() {
    rm -f "$dir/conf.db" "$dir"/*.sock
    ovsdb-tool create "$dir/conf.db" \
        "$colo_top/ovs/vswitchd/vswitch.ovsschema"
    ovsdb-server --detach --no-chdir --pidfile -vconsole:off --log-file \
        --remote="punix:$dir/db.sock" "$dir/conf.db"
    ovs-vsctl --no-wait init
    ovs-vswitchd --enable-dummy=override --disable-system --detach \
        --no-chdir --pidfile -vconsole:off --log-file
    ovs-vsctl add-br br0 -- set bridge br0 datapath-type=dummy \
        -- add-port br0 pin -- set Interface pin type=$1 ofport_request=1 \
           options:remote="punix:$dir/pin.sock" \
        -- add-port br0 sin -- set Interface sin type=$1 ofport_request=2 \
           options:remote="punix:$dir/sin.sock" \
        -- add-port br0 out -- set Interface out type=$1 ofport_request=3 \
           options:remote="punix:$dir/out.sock" \
        -- create COLO name=vm1 mode=primary channel=sin >/dev/null
    ovs-ofctl add-flows br0 - <<EOF
in_port=pin actions=colo_compare(vm1,table=1)
in_port=sin actions=colo_compare(vm1)
table=1,in_port=pin actions=output:out
EOF
}

run_path() {
    local path=$1 extra=
    case $path in
    notify)
        ovs-colo-notify --detach --no-chdir --pidfile -vconsole:off \
            --log-file --db="unix:$dir/db.sock" "vm1=punix:$dir/notify.sock"
        extra="notify=unix:$dir/notify.sock"
        ;;
    unixctl)
        extra="unixctl=$dir/ovs-vswitchd.$(cat "$dir/ovs-vswitchd.pid").ctl"
        ;;
    esac
    ovstest test-colo-checkpoint "unix:$dir/pin.sock" "unix:$dir/sin.sock" \
        "unix:$dir/out.sock" path=$path db="unix:$dir/db.sock" $extra \
        checkpoints="$checkpoints" warmup="$warmup" proto="$proto" busy="$busy"
    if test $path = notify; then
        pid=$(cat "$dir/ovs-colo-notify.pid")
        ovs-appctl -t ovs-colo-notify exit
        wait_exit "$pid"
        rm -f "$dir/ovs-colo-notify.pid"
    fi
}

field() {
    echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

echo "colo-bench-checkpoint: $checkpoints checkpoints per path, $proto," \
     "busy=$busy, $(nproc) CPUs" \
     "($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))"
printf "%-9s %-8s %-19s %7s %10s %10s %10s %s\n" port path leg count \
    p50_us p99_us max_us "goal (p50<=1ms, p99<=5ms)"
for port_type in $port_types; do
    start_switch $port_type
    for path in $paths; do
        line=$(run_path $path)
        for leg in 1 2; do
            name=$(test $leg = 1 && echo divergence-\>request \
                   || echo ack-\>release)
            p50=$(field "$line" leg${leg}_p50_us)
            p99=$(field "$line" leg${leg}_p99_us)
            goal=$(awk -v a="$p50" -v b="$p99" 'BEGIN {
                print (a <= 1000 && b <= 5000) ? "met" : "NOT met" }')
            printf "%-9s %-8s %-19s %7s %10s %10s %10s %s\n" $port_type \
                $path "$name" "$(field "$line" leg${leg}_count)" "$p50" \
                "$p99" "$(field "$line" leg${leg}_max_us)" "$goal"
        done
    done
    # Every checkpoint was requested once and flushed once.
    colo_stats_settle
    printf '%s: %s checkpoint requests, %s checkpoints\n' $port_type \
        "$(colo_stat checkpoint_requests)" "$(colo_stat checkpoints)"
    stop_daemons
done
