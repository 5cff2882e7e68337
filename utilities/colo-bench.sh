#!/bin/bash
# colo-bench.sh -- the end-to-end benchmark ("make bench-e2e"): TCP
# throughput to the VM (iperf3), from the VM (the bed's deterministic
# source server on port 9: iperf3 -R sends different bytes from two VMs,
# see colo-bed-server.py), and HTTP request latency (p50, p99) from the
# bed's client to its protected VM, in the same run through
#
#   direct  a veth straight from the client to the PVM's namespace;
#   ovs     the primary node's userspace datapath, plain forwarding
#           (in_port=uplink actions=output:pvm and back), the same path
#           as COLO takes minus the COLO actions;
#   colo    the COLO pair of the bed (mirror, compare, rewrite on the
#           secondary), with the reference manager acknowledging the
#           checkpoints that iperf3's results exchange raises (the PVM's
#           and the SVM's reports carry their own timings).
#
# and prints the figures and the ratios, then, for each path's transfer
# from the VM, the counters that grew during it (AF_PACKET receive drops
# per port of both nodes, PVM and SVM TCP retransmissions, the comparator's
# checkpoint requests).  Needs root.  Not a test: it
# asserts nothing about speed.
#
# OVS's userspace datapath reads veth ports through AF_PACKET sockets whose
# receive buffer is net.core.rmem_default (208 KiB on Debian, and not
# settable per namespace): a burst from a VM overflows it and the packets
# are dropped.  Plain forwarding loses a little (TCP recovers by fast
# retransmit); COLO would lose more, since a lost SVM segment holds its
# connection until the SVM's retransmission timeout, so ovs-vswitchd sizes
# the buffers of the ports that carry a pair itself (the pair's option
# port-rx-buffer).  The benchmark measures the host as it is: the plain
# path runs with the host's buffers (the pair's option is set to 0 first).
#
#   COLO_BENCH_RMEM      net.core.rmem_default for the runs, in bytes: 0
#                        (the default) leaves the host's value; several
#                        values, e.g. "0 4194304", run the whole benchmark
#                        once per value (set before the bed's sockets are
#                        opened, the old value put back at the end)
#
#   COLO_BENCH_SECONDS   iperf3 duration per run (default 10)
#   COLO_BENCH_REQUESTS  HTTP requests per latency run (default 2000)
#
# "colo-bench.sh plot PNG" ("make bench-plot") measures instead the
# throughput to the VM through the three paths for each TCP segment size in
# COLO_BENCH_MSS (iperf3 -M; the bed's ports have checksum offload, hence
# TSO, off, so one segment is one packet), writes the figures next to PNG
# (same name, .dat) and plots them into PNG with gnuplot.
#
#   COLO_BENCH_MSS       segment sizes for "plot" (default
#                        "128 256 512 1024 1448")
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
# The bed's namespace VMs: these checks use their servers.
COLO_BED_VMS=netns
. "$(dirname "$0")/colo-bed.sh"

bed_prepare colo-bench
if ! command -v iperf3 >/dev/null; then
    echo "colo-bench: installing iperf3"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q iperf3 >/dev/null
fi

plot=
if test "$1" = plot; then
    test -n "$2" || { echo "colo-bench: plot needs a PNG file name" >&2; exit 1; }
    plot=$(realpath -m "$2")
    if ! command -v gnuplot >/dev/null; then
        echo "colo-bench: installing gnuplot-nox"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox \
            >/dev/null
    fi
fi
mss_list=${COLO_BENCH_MSS:-128 256 512 1024 1448}
seconds=${COLO_BENCH_SECONDS:-10}
requests=${COLO_BENCH_REQUESTS:-2000}
rmem=${COLO_BENCH_RMEM:-0}
out=$COLO_BED_DIR/bench

if test "$rmem" != "${rmem% *}"; then
    for value in $rmem; do
        echo "=== net.core.rmem_default: $( \
              test "$value" = 0 && echo "the host's" || echo "$value")"
        COLO_BENCH_RMEM=$value "$0" "$@" || exit
        echo
    done
    exit 0
fi

old_rmem=$(sysctl -n net.core.rmem_default)
trap 'bed_down; rm -rf "$out"; rmdir "$COLO_BED_DIR" 2>/dev/null; sysctl -q -w net.core.rmem_default=$old_rmem' EXIT
if test "$rmem" != 0; then
    sysctl -q -w net.core.rmem_default="$rmem"
fi
bed_up
bed_vms_up
bed_pair_up
bed_manager_up
mkdir -p "$out"
: >"$out/results"

# The direct path: client 10.1.0.2 -- PVM 10.1.0.1.
bed_veth "$(bed_ns client)" direct "$(bed_ns pvm)" direct
ip netns exec "$(bed_ns client)" ip addr add 10.1.0.2/24 dev direct
ip netns exec "$(bed_ns pvm)" ip addr add 10.1.0.1/24 dev direct

# iperf_servers: (re)starts an iperf3 server in the PVM and in the SVM, so
# that every run starts from the same state on both.
iperf_servers() {
    local vm pid
    for vm in pvm svm; do
        pid=$(cat "$COLO_BED_DIR/$vm/iperf3.pid" 2>/dev/null) \
            && kill "$pid" 2>/dev/null
        rm -f "$COLO_BED_DIR/$vm/iperf3.pid"
    done
    sleep 0.2
    for vm in pvm svm; do
        ip netns exec "$(bed_ns "$vm")" iperf3 -s -D \
            -I "$COLO_BED_DIR/$vm/iperf3.pid" --logfile "$out/iperf3-$vm.log"
    done
    sleep 0.3
    for vm in pvm svm; do
        # (iperf3's pid file has no newline at its end.)
        echo "$(cat "$COLO_BED_DIR/$vm/iperf3.pid")" \
            >>"$COLO_BED_DIR/$vm/servers.pid"
    done
}

# iperf_gbps HOST [MSS]: the receiver's throughput in Gbit/s.
iperf_gbps() {
    iperf_servers
    bed_client timeout $((seconds + 30)) iperf3 -c "$1" -t "$seconds" -J \
        ${2:+-M "$2"} >"$out/iperf3.json" 2>&1 || true
    /usr/bin/python3 - "$out/iperf3.json" <<'EOF'
import json
import sys
try:
    with open(sys.argv[1]) as f:
        r = json.load(f)
    print("%.2f" % (r["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception as e:
    sys.stderr.write("colo-bench: iperf3 failed: %s\n" % e)
    print("nan")
EOF
}

# snapshot: the counters that say where a transfer loses segments, one
# "name value" per line: AF_PACKET receive drops of each port of both nodes
# (ss's skmem "d"), TCP retransmissions of the PVM and the SVM (nstat), and
# the comparator's checkpoint requests by reason.
snapshot() {
    local node vm stat
    for node in $COLO_BED_NODES; do
        ip netns exec "$(bed_ns "$node")" ss -0 -m -n -a -H 2>/dev/null \
            | sed -n "s/^p_raw.*[*]:\([^ ]*\) .*,d\([0-9]*\)).*/drops:$node\/\1 \2/p"
    done
    for vm in pvm svm; do
        echo "retrans:$vm $(ip netns exec "$(bed_ns "$vm")" nstat -as \
                            TcpRetransSegs | awk '$1 == "TcpRetransSegs" \
                                                  { print $2 }')"
    done
    for stat in checkpoint_requests timeouts secondary_gaps; do
        echo "compare:$stat $(bed_vsctl primary get COLO vm1 \
                              statistics:$stat 2>/dev/null || echo 0)"
    done
}

# buffers: the receive buffer ("rb" in ss -m) of each port's AF_PACKET
# socket on both nodes, on one line.
buffers() {
    local node
    for node in $COLO_BED_NODES; do
        ip netns exec "$(bed_ns "$node")" ss -0 -m -n -a -H 2>/dev/null \
            | sed -n "s/^p_raw.*[*]:\([^ ]*\) .*,rb\([0-9]*\),.*/$node\/\1 \2/p"
    done | sort -u | paste -s -d ' '
}

# counters BEFORE AFTER: what grew between two snapshots, on one line.
counters() {
    /usr/bin/python3 - "$1" "$2" <<'EOF'
import sys


def load(f):
    d = {}
    for line in open(f):
        k, _, v = line.partition(" ")
        try:
            d[k] = d.get(k, 0) + int(v)
        except ValueError:
            pass
    return d


a, b = load(sys.argv[1]), load(sys.argv[2])
print(", ".join("%s +%d" % (k, b[k] - a.get(k, 0))
                for k in sorted(b) if b[k] != a.get(k, 0)) or "nothing")
EOF
}

# run NAME HOST: one line of figures for path NAME to HOST.
run() {
    local up down lat
    up=$(iperf_gbps "$2")
    snapshot >"$out/before"
    down=$(bed_client timeout $((seconds + 30)) /usr/bin/python3 \
           "$colo_top/utilities/colo-bed-client.py" sink "$2" 9 "$seconds") \
        || down=nan
    snapshot >"$out/after"
    echo "$1 from the VM: $(counters "$out/before" "$out/after");" \
         "receive buffers: $(buffers)" >>"$out/counters"
    local before
    before=$(bed_vsctl primary get COLO vm1 checkpoint_request)
    lat=$(bed_client /usr/bin/python3 "$colo_top/utilities/colo-bed-client.py" \
          latency "$2" 80 "$requests") || lat="nan nan"
    if test "$1" = colo; then
        # Every response is the same in both VMs: a request here is spurious.
        spurious=$(($(bed_vsctl primary get COLO vm1 checkpoint_request)
                    - before))
    fi
    echo "$1 $up $down $lat" >>"$out/results"
    printf '%-8s %12s %12s %10s %10s\n' "$1" "$up" "$down" ${lat}
}

# plain_flows: the primary node forwards plainly, without the COLO actions.
plain_flows() {
    printf '%s\n' \
        'priority=0 actions=drop' \
        'in_port=uplink actions=output:pvm' \
        'in_port=pvm actions=output:uplink' \
        | bed_exec primary "$(bed_ovs utilities/ovs-ofctl)" --bundle \
              -O OpenFlow14 replace-flows br0 -
}

if test -n "$plot"; then
    # One column per path, one row per segment size.
    for path in direct colo ovs; do
        test $path = ovs && plain_flows
        host=10.0.0.1
        test $path = direct && host=10.1.0.1
        for mss in $mss_list; do
            echo "$path $mss $(iperf_gbps $host "$mss")" | tee -a "$out/results"
        done
    done
    dat=${plot%.png}.dat
    {
        echo "# colo-bench.sh plot: TCP throughput to the VM (Gbit/s, iperf3" \
             "-t $seconds -M MSS)"
        echo "# $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1)," \
             "kernel $(uname -r), $(date -u +%Y-%m-%d)"
        echo "# mss direct ovs colo"
        for mss in $mss_list; do
            printf '%s' "$mss"
            for path in direct ovs colo; do
                printf ' %s' "$(awk -v p=$path -v m="$mss" \
                                '$1 == p && $2 == m { print $3 }' \
                                "$out/results")"
            done
            echo
        done
    } >"$dat"
    cat "$dat"
    gnuplot <<EOF
set terminal pngcairo size 800,500 font "sans,10"
set output "$plot"
set title "TCP throughput to the protected VM (iperf3, ${seconds} s per point)"
set xlabel "TCP segment size (MSS, bytes)"
set ylabel "Gbit/s"
set key top left
set grid
set yrange [0:*]
plot "$dat" using 1:2 with linespoints title "direct veth", \
     "$dat" using 1:3 with linespoints title "plain OVS (userspace)", \
     "$dat" using 1:4 with linespoints title "COLO pair"
EOF
    echo "colo-bench: wrote $plot and $dat"
    exit 0
fi

printf '%-8s %12s %12s %10s %10s\n' path "to VM Gb/s" "from VM Gb/s" \
    "p50 us" "p99 us"
run direct 10.1.0.1
run colo 10.0.0.1
requests_colo=$(bed_vsctl primary get COLO vm1 checkpoint_request)
plain_flows
# Plain OVS as shipped: the host's receive buffers on the ports again.
for node in primary secondary; do
    bed_vsctl $node set COLO vm1 options:port-rx-buffer=0
done
sleep 0.5
run ovs 10.0.0.1

/usr/bin/python3 - "$out/results" <<'EOF'
import sys
r = {}
for line in open(sys.argv[1]):
    name, *v = line.split()
    r[name] = [float(x) for x in v]


def ratio(a, b, i):
    if r[b][i] != r[b][i] or r[b][i] == 0:   # NaN or zero.
        return "n/a"
    return "%.0f %%" % (100 * r[a][i] / r[b][i])


print()
for a, b in (("colo", "ovs"), ("colo", "direct"), ("ovs", "direct")):
    print("%-6s / %-6s  throughput to VM %6s, from VM %6s; "
          "latency p50 %6s, p99 %6s" % (a, b, ratio(a, b, 0),
                                        ratio(a, b, 1), ratio(a, b, 2),
                                        ratio(a, b, 3)))
EOF
echo
echo "COLO run: $requests_colo checkpoint requests (iperf3's results" \
     "exchange differs between PVM and SVM), acknowledged by the manager;" \
     "$spurious of them during the $requests HTTP requests (whose responses" \
     "are the same from both VMs: any request there would be spurious)."
echo "Counters during the transfers from the VM:"
cat "$out/counters"
echo "net.core.rmem_default during the runs: $(sysctl -n net.core.rmem_default)."
echo "Machine: $(nproc) CPUs, $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1)," \
     "kernel $(uname -r); ${seconds}s per iperf3 run, $requests requests."
