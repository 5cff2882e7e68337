#!/bin/bash
# colo-failover-trials.sh [TRIALS] [FAULT...] -- partition trials of
# automatic failover on the two-node bed with its witness
# (utilities/colo-bed.sh: bed_witness_up, bed_auto_up).  Needs root.
#
# Each trial builds the bed afresh (nodes, witness, three-member
# COLO_Cluster database, VMs, pair vm1 with options:fencing=1, an
# "ovs-colo-manager auto" on each node, the reference manager for
# checkpoints), starts a TCP echo stream and a
# UDP request/response stream from the client (a line or a request every
# 10 ms) and a watcher of the client's LAN (which node emits when), injects
# FAULT about 1 s in, and checks:
#
#   - split brain: no frame of the pair (source MAC the VMs') from the
#     secondary's uplink before the last one from the primary's (the two
#     nodes never serve at once), in every trial;
#   - the TCP stream: every byte echoed exactly once, in order;
#   - the outcome: a failover for the faults that take the primary away,
#     none for the others.
#
# FAULTs (default: all):
#   kill-vswitchd   kill -9 the primary's ovs-vswitchd            (failover)
#   kill-node       kill -9 every process of the primary node and
#                   its PVM                                       (failover)
#   partition       cut the primary off from the secondary and the
#                   witness (channel and management links down);
#                   it still reaches the clients                  (failover)
#   channel-cut     the channel link only                         (none)
#   secondary-cut   the secondary off from both                   (none)
#   flap            the primary's management and channel links
#                   down for 200 ms, less than the lease          (none)
#   kill-witness    kill -9 the witness's cluster member          (none)
#
# Prints one line per trial and a table per fault: time from the fault to
# the first frame the survivor emits (p50/p99), the longest gap the TCP and
# UDP clients saw (p50/p99), UDP requests lost, TCP errors, split brains.
# Exits nonzero if any trial saw split brain, a TCP error or the wrong
# outcome.  "make check-failover" runs 1 trial of each fault;
# "make bench-failover" 50 (COLO_TRIALS).
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
COLO_BED_VMS=netns
# Heartbeats on the channel: a silently cut link is noticed in 300 ms.
COLO_BED_HEARTBEAT_MS=${COLO_BED_HEARTBEAT_MS:-100}
. "$(dirname "$0")/colo-bed.sh"

bed_prepare colo-failover-trials

TRIALS=${1:-1}
shift || true
FAULTS=${*:-kill-vswitchd kill-node partition channel-cut secondary-cut flap kill-witness}
STREAM_S=${COLO_TRIALS_STREAM_S:-5}
OUT=${COLO_TRIALS_OUT:-$(mktemp -d /tmp/colo-trials.XXXXXX)}
mkdir -p "$OUT"
trap 'bed_down' EXIT

expect_failover() {
    case $1 in
        kill-vswitchd|kill-node|partition) return 0 ;;
        *) return 1 ;;
    esac
}

inject() {
    local p s
    p=$(bed_ns primary)
    s=$(bed_ns secondary)
    case $1 in
        kill-vswitchd)
            kill -9 "$(cat "$COLO_BED_DIR/primary/ovs-vswitchd.pid")" ;;
        kill-node)
            # shellcheck disable=SC2046
            kill -9 $(ip netns pids "$p") $(ip netns pids "$(bed_ns pvm)") ;;
        partition)
            ip netns exec "$p" ip link set mgmt down
            ip netns exec "$p" ip link set link-p down ;;
        channel-cut)
            ip netns exec "$p" ip link set link-p down ;;
        secondary-cut)
            ip netns exec "$s" ip link set mgmt down
            ip netns exec "$s" ip link set link-s down ;;
        flap)
            ip netns exec "$p" ip link set mgmt down
            ip netns exec "$p" ip link set link-p down
            sleep 0.2
            ip netns exec "$p" ip link set mgmt up
            ip netns exec "$p" ip link set link-p up ;;
        kill-witness)
            kill -9 "$(cat "$COLO_BED_DIR/witness/cluster.pid")" ;;
        *)
            echo "colo-failover-trials: unknown fault $1" >&2
            exit 2 ;;
    esac
}

# trial FAULT N: one trial; appends "FAULT failover serving_ms tcp_gap_ms
# udp_gap_ms udp_lost tcp_ok split" to $OUT/results.
trial() {
    local fault=$1 n=$2 d=$COLO_BED_DIR/client t0 tcp udp
    bed_up >/dev/null
    bed_witness_up
    bed_vms_up
    bed_pair_up
    bed_auto_up >/dev/null
    # Checkpoints, as a deployment has them: a divergence (a datagram that
    # one VM's kernel dropped pairs the next ones wrongly) would otherwise
    # hold its connection for good.
    bed_manager_up
    # Not through a shell function: $! must be the watcher itself.
    ip netns exec "$(bed_ns client)" /usr/bin/python3 \
        "$colo_top/utilities/colo-bed-lanwatch.py" \
        "$d/lan.out" 52:54:00:00:00:01 lan-primary lan-secondary &
    local watch=$!
    bed_client /usr/bin/python3 "$colo_top/utilities/colo-bed-client.py" \
        stream 10.0.0.1 7 "$STREAM_S" "$d/tcp.progress" >"$d/tcp.out" 2>&1 &
    tcp=$!
    bed_client /usr/bin/python3 "$colo_top/utilities/colo-bed-client.py" \
        udp-stream 10.0.0.1 7 "$STREAM_S" >"$d/udp.out" 2>&1 &
    udp=$!
    bed_wait_progress "$d/tcp.progress" 100 || true
    t0=$(date +%s.%N)
    inject "$fault"
    local tcp_ok=1
    wait "$tcp" || tcp_ok=0
    wait "$udp" || true
    local mode
    mode=$(bed_vsctl secondary get COLO vm1 status:mode 2>/dev/null || echo ?)
    kill -TERM "$watch"
    wait "$watch" || true
    cp "$d/tcp.out" "$OUT/$fault-$n.tcp"
    cp "$d/udp.out" "$OUT/$fault-$n.udp"
    cp "$d/lan.out" "$OUT/$fault-$n.lan"
    for node in primary secondary; do
        cp "$COLO_BED_DIR/$node/auto.log" "$OUT/$fault-$n.$node.auto.log" \
            2>/dev/null || true
        cp "$COLO_BED_DIR/$node/ovs-vswitchd.log" \
            "$OUT/$fault-$n.$node.vswitchd.log" 2>/dev/null || true
    done
    /usr/bin/python3 - "$fault" "$t0" "$mode" "$tcp_ok" "$d/lan.out" \
        "$d/tcp.out" "$d/udp.out" >>"$OUT/results" <<'PY'
import re
import sys
fault, t0, mode, tcp_ok, lan, tcp, udp = sys.argv[1:]
t0 = float(t0)
first, last = {}, {}
for line in open(lan):
    f = line.split()
    if len(f) == 4:
        first[f[0]] = float(f[2]) if int(f[1]) else None
        last[f[0]] = float(f[3]) if int(f[1]) else None
p_last, s_first = last.get("lan-primary"), first.get("lan-secondary")
split = int(s_first is not None and p_last is not None and s_first < p_last)
serving = "-" if s_first is None else "%.0f" % ((s_first - t0) * 1000)
m = re.search(r"longest gap (\d+) ms", open(tcp).read())
tcp_gap = m.group(1) if m else "-"
m = re.search(r"lost=(\d+) .*longest_gap_ms=(\d+)", open(udp).read())
udp_lost, udp_gap = (m.group(1), m.group(2)) if m else ("-", "-")
print(fault, int(mode == "failover"), serving, tcp_gap, udp_gap, udp_lost,
      tcp_ok, split)
PY
    bed_down
    tail -1 "$OUT/results"
}

: >"$OUT/results"
echo "colo-failover-trials: $TRIALS trial(s) of: $FAULTS; logs in $OUT"
echo "fault failover serving_ms tcp_gap_ms udp_gap_ms udp_lost tcp_ok split"
for fault in $FAULTS; do
    for n in $(seq "$TRIALS"); do
        trial "$fault" "$n"
    done
done

/usr/bin/python3 - "$OUT/results" "$STREAM_S" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
expect = {"kill-vswitchd": 1, "kill-node": 1, "partition": 1}
bad = 0


def pct(values, p):
    values = sorted(int(v) for v in values if v != "-")
    if not values:
        return "-"
    return str(values[min(len(values) - 1, len(values) * p // 100)])


print()
print("%-14s %6s %9s %13s %13s %13s %8s %7s %6s" % (
    "fault", "trials", "failovers", "serving p50/99", "tcp gap p50/99",
    "udp gap p50/99", "udp lost", "tcp bad", "split"))
for fault in dict.fromkeys(r[0] for r in rows):
    rs = [r for r in rows if r[0] == fault]
    failovers = sum(int(r[1]) for r in rs)
    wrong = sum(int(r[1]) != expect.get(fault, 0) for r in rs)
    tcp_bad = sum(r[6] != "1" for r in rs)
    split = sum(int(r[7]) for r in rs)
    lost = sum(int(r[5]) for r in rs if r[5] != "-")
    bad += wrong + tcp_bad + split
    print("%-14s %6d %9d %6s/%-6s %6s/%-6s %6s/%-6s %8d %7d %6d%s" % (
        fault, len(rs), failovers, pct([r[2] for r in rs], 50),
        pct([r[2] for r in rs], 99), pct([r[3] for r in rs], 50),
        pct([r[3] for r in rs], 99), pct([r[4] for r in rs], 50),
        pct([r[4] for r in rs], 99), lost, tcp_bad, split,
        "  WRONG OUTCOME x%d" % wrong if wrong else ""))
sys.exit(1 if bad else 0)
PY
