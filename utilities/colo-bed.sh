# colo-bed.sh -- a two-node COLO bed on one machine, sourced by the demo and
# the system tests.
#
# Each node (primary, secondary) is a network namespace "colo-NODE" (the
# prefix is $COLO_BED_NS) running
# its own ovsdb-server and ovs-vswitchd from this repository's build, with
# its run directory under $COLO_BED_DIR/NODE and a userspace-datapath bridge
# br0.  A veth pair (link-p 10.99.0.1 in the primary, link-s 10.99.0.2 in
# the secondary) is the network between the nodes, and over it a "colo"
# channel port colo0 on each br0: the secondary listens on TCP port 7100,
# the primary connects.  bed_down removes every namespace, process and
# directory that bed_up made, even after a failure, so running twice in a
# row works.
#
# Requires root, and colo_top (set by colo-bootstrap.sh).

. "$colo_top/utilities/colo-lib.sh"

COLO_BED_DIR=${COLO_BED_DIR:-/tmp/colo-bed}
COLO_BED_NS=${COLO_BED_NS:-colo-}
COLO_BED_NODES="primary secondary"
# The VMs: "netns" (default), namespaces running colo-bed-server.py, or
# "qemu", a real QEMU COLO pair (bed_qemu_vms_up).
COLO_BED_VMS=${COLO_BED_VMS:-netns}
COLO_BED_VM_NAMES="client pvm svm"
# How long the bed's checkpoint hook takes (bed_manager_up).
COLO_BED_CHECKPOINT_MS=${COLO_BED_CHECKPOINT_MS:-10}
# Heartbeats on the channel (bed_link): interval in ms, 0 for none (the
# partition trials use 100: a link that fails silently is noticed in 300
# ms).  Automatic failover (bed_witness_up, bed_auto_up): the lease and the
# Raft election timer of the clustered COLO_Cluster database.
COLO_BED_HEARTBEAT_MS=${COLO_BED_HEARTBEAT_MS:-0}
COLO_BED_LEASE_MS=${COLO_BED_LEASE_MS:-500}
COLO_BED_ELECTION_MS=${COLO_BED_ELECTION_MS:-400}

# bed_prepare PROGRAM: exits unless run as root (namespaces, taps); builds
# whatever is missing (colo_bootstrap).
bed_prepare() {
    if test "$(id -u)" != 0; then
        echo "$1: needs root (network namespaces, taps)" >&2
        exit 1
    fi
    colo_bootstrap
}

# bed_ns NAME: the network namespace of node or VM NAME.
bed_ns() {
    echo "$COLO_BED_NS$1"
}

bed_ovs() {
    echo "$colo_top/ovs-build/$1"
}

# bed_env NODE: the environment that points OVS programs at NODE's files.
bed_env() {
    local d=$COLO_BED_DIR/$1
    echo "OVS_RUNDIR=$d OVS_LOGDIR=$d OVS_DBDIR=$d OVS_SYSCONFDIR=$d"
}

# bed_exec NODE CMD...: runs CMD in NODE's namespace and environment.
bed_exec() {
    local node=$1
    shift
    ip netns exec "$(bed_ns "$node")" env $(bed_env "$node") "$@"
}

bed_vsctl() {
    local node=$1
    shift
    bed_exec "$node" "$(bed_ovs utilities/ovs-vsctl)" --timeout=10 "$@"
}

bed_appctl() {
    local node=$1
    shift
    bed_exec "$node" "$(bed_ovs utilities/ovs-appctl)" --timeout=10 "$@"
}

# bed_daemon NODE PROGRAM ARGS...: starts PROGRAM (a path in the OVS build)
# as a daemon of NODE that logs to a file in NODE's directory, showing its
# stderr only if it fails to start.
bed_daemon() {
    local node=$1 program=$2 err
    shift 2
    err=$COLO_BED_DIR/$node/$(basename "$program").stderr
    bed_exec "$node" "$(bed_ovs "$program")" "$@" --pidfile --log-file \
        --detach --no-chdir 2>"$err" || { cat "$err" >&2; return 1; }
}

# bed_node_up NODE: starts NODE's namespace, ovsdb-server and ovs-vswitchd,
# with bridge br0 on the userspace datapath.
bed_node_up() {
    local node=$1 d=$COLO_BED_DIR/$1
    mkdir -p "$d"
    bed_netns_add "$node"
    "$(bed_ovs ovsdb/ovsdb-tool)" create "$d/conf.db" \
        "$colo_top/ovs/vswitchd/vswitch.ovsschema"
    bed_daemon "$node" ovsdb/ovsdb-server "$d/conf.db" \
        --remote="punix:$d/db.sock"
    bed_vsctl "$node" --no-wait init
    bed_daemon "$node" vswitchd/ovs-vswitchd "unix:$d/db.sock"
    # fail_mode=secure from the start: a bridge that carries a COLO pair
    # runs secure anyway, and a bridge without controller whose fail mode
    # changes loses its flows.
    bed_vsctl "$node" add-br br0 -- set Bridge br0 datapath_type=netdev \
        fail_mode=secure
}

# bed_link: connects the nodes with veth link-p (primary, 10.99.0.1) --
# link-s (secondary, 10.99.0.2) and adds the colo channel port colo0 to each
# node's br0, the secondary listening and the primary connecting, with
# heartbeats every $COLO_BED_HEARTBEAT_MS ms (0: none).
bed_link() {
    ip link add link-p netns "$(bed_ns primary)" type veth \
        peer name link-s netns "$(bed_ns secondary)"
    ip netns exec "$(bed_ns primary)" ip addr add 10.99.0.1/24 dev link-p
    ip netns exec "$(bed_ns secondary)" ip addr add 10.99.0.2/24 dev link-s
    ip netns exec "$(bed_ns primary)" ip link set link-p up
    ip netns exec "$(bed_ns secondary)" ip link set link-s up
    local hb=options:heartbeat-interval=$COLO_BED_HEARTBEAT_MS
    bed_vsctl secondary add-port br0 colo0 -- set Interface colo0 type=colo \
        options:remote=ptcp:7100:10.99.0.2 "$hb"
    bed_vsctl primary add-port br0 colo0 -- set Interface colo0 type=colo \
        options:remote=tcp:10.99.0.2:7100 "$hb"
}

# bed_netns_add NAME: creates NAME's namespace, loopback up, IPv6 off (so
# that no router solicitation or DAD probe, sent at a random time by one VM
# only, reaches a comparator).
bed_netns_add() {
    local ns
    ns=$(bed_ns "$1")
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$ns" ip link set lo up
}

# bed_veth NS1 DEV1 NS2 DEV2 [MAC]: a veth pair DEV1 (in namespace NS1, with
# MAC if given) -- DEV2 (in NS2), both up, with transmit checksum offload off
# on both ends (OVS forwards packets as they are).
bed_veth() {
    ip link add "$2" netns "$1" ${5:+address $5} type veth \
        peer name "$4" netns "$3"
    ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
    ip netns exec "$3" ethtool -K "$4" tx off >/dev/null
    ip netns exec "$1" ip link set "$2" up
    ip netns exec "$3" ip link set "$4" up
}

# bed_ipv6_on NS DEV: IPv6 on DEV without anything a VM would send on its
# own at a random time (no link-local address, DAD, router solicitation).
# Adding an address still joins its solicited-node group, which Linux
# reports twice (MLDv2 to ff02::16), the second time after a random delay of
# up to mldv2_unsolicited_report_interval (1 s): a PVM's late report with no
# SVM report in step is held for the compare timeout and then asks for a
# checkpoint (seen in the demo, 1 run in 5 on a loaded machine).  An
# interval of 0 sends both reports at once, when the address is added,
# which the bed does before it creates any pair.
bed_ipv6_on() {
    local c
    for c in accept_dad=0 accept_ra=0 router_solicitations=0 \
             addr_gen_mode=1 mldv1_unsolicited_report_interval=0 \
             mldv2_unsolicited_report_interval=0 disable_ipv6=0; do
        ip netns exec "$1" sysctl -q -w "net.ipv6.conf.$2.$c"
    done
}

# bed_attach VM ADDR ADDR6 NODE PORT: links VM's eth0 (ADDR and ADDR6, and
# the MAC that PVM and SVM share) to port PORT of NODE's br0.
bed_attach() {
    local vm=$1 addr=$2 addr6=$3 node=$4 port=$5
    bed_veth "$(bed_ns "$vm")" eth0 "$(bed_ns "$node")" "$port" \
        52:54:00:00:00:01
    bed_ipv6_on "$(bed_ns "$vm")" eth0
    ip netns exec "$(bed_ns "$vm")" ip addr add "$addr/24" dev eth0
    ip netns exec "$(bed_ns "$vm")" ip addr add "$addr6/64" dev eth0 nodad
    bed_vsctl "$node" add-port br0 "$port"
}

# bed_lan: the client's LAN, a hub (a Linux bridge "lan" that learns
# nothing, so it floods every frame) in the client's namespace, with the
# client's address on it (10.0.0.2, fd00::2) and a port to the uplink of
# each node: the client reaches the VM through whichever node serves it,
# as on a real LAN; a node drops what it does not serve.
bed_lan() {
    local ns node
    ns=$(bed_ns client)
    ip netns exec "$ns" ip link add lan address 52:54:00:00:00:02 \
        type bridge ageing_time 0
    ip netns exec "$ns" ethtool -K lan tx off >/dev/null
    for node in $COLO_BED_NODES; do
        bed_veth "$ns" "lan-$node" "$(bed_ns "$node")" uplink
        ip netns exec "$ns" ip link set "lan-$node" master lan
        bed_vsctl "$node" add-port br0 uplink
    done
    bed_ipv6_on "$ns" lan
    ip netns exec "$ns" ip addr add 10.0.0.2/24 dev lan
    ip netns exec "$ns" ip addr add fd00::2/64 dev lan nodad
    ip netns exec "$ns" ip link set lan up
}

# bed_neigh NS DEV ADDR...: permanent neighbor entries for ADDRs (IPv4 and
# IPv6) with the MAC of the other end: the PVM's and the SVM's kernels would
# otherwise probe their neighbors at randomized times, once each, which no
# comparator can match (a real COLO pair has the same problem; the bed
# avoids it).
bed_neigh() {
    local ns=$1 dev=$2 mac=$3
    shift 3
    for addr in "$@"; do
        ip netns exec "$ns" ip neigh replace "$addr" lladdr "$mac" \
            dev "$dev" nud permanent
    done
}

# bed_serve VM KIND ARGS...: starts a colo-bed-server.py of KIND in VM.
bed_serve() {
    local vm=$1 d=$COLO_BED_DIR/$1
    shift
    ip netns exec "$(bed_ns "$vm")" /usr/bin/python3 \
        "$colo_top/utilities/colo-bed-server.py" "$@" \
        >>"$d/servers.log" 2>&1 &
    echo $! >>"$d/servers.pid"
}

# bed_vms_up: with COLO_BED_VMS=qemu, bed_qemu_vms_up; else
# the client (on a LAN that reaches both nodes' uplink ports),
# the PVM (on the primary) and the SVM (on the secondary), with the same IP
# and MAC addresses in both VMs (10.0.0.1, fd00::1) and the same servers
# (HTTP on port 80 serving $COLO_BED_DIR/VM/index.txt, TCP and UDP echo on
# port 7, a TCP source of a fixed pattern on port 9), and the flows of the
# primary and secondary nodes for pair vm1 (Documentation/operating.rst,
# "OpenFlow actions"); anything else is dropped.  The caller creates the
# pair, as a manager would.
bed_vms_up() {
    local vm
    if test "$COLO_BED_VMS" = qemu; then
        bed_qemu_vms_up
        return
    fi
    for vm in $COLO_BED_VM_NAMES; do
        mkdir -p "$COLO_BED_DIR/$vm"
        bed_netns_add "$vm"
    done
    bed_lan
    bed_attach pvm 10.0.0.1 fd00::1 primary pvm
    bed_attach svm 10.0.0.1 fd00::1 secondary svm
    bed_neigh "$(bed_ns client)" lan 52:54:00:00:00:01 10.0.0.1 fd00::1
    for vm in pvm svm; do
        bed_neigh "$(bed_ns "$vm")" eth0 52:54:00:00:00:02 10.0.0.2 fd00::2
        printf 'Hello from the protected VM.\n' >"$COLO_BED_DIR/$vm/index.txt"
        bed_serve "$vm" http 80 "$COLO_BED_DIR/$vm/index.txt"
        bed_serve "$vm" echo 7
        bed_serve "$vm" source 9 "$COLO_BED_DIR/$vm/source-diverge-every"
        bed_serve "$vm" udp-echo 7 "$COLO_BED_DIR/$vm/udp-suffix"
    done

    bed_flows
    bed_wait_servers
}

# bed_flows: the flows of the primary and secondary nodes for pair vm1
# (Documentation/operating.rst, "OpenFlow actions"); anything else is
# dropped.
bed_flows() {
    printf '%s\n' \
        'priority=0 actions=drop' \
        'in_port=uplink actions=colo_mirror(vm1),output:pvm' \
        'in_port=pvm actions=colo_compare(vm1,table=1)' \
        'in_port=colo0 actions=colo_compare(vm1)' \
        'table=1,in_port=pvm actions=output:uplink' \
        | bed_exec primary "$(bed_ovs utilities/ovs-ofctl)" add-flows br0 -
    printf '%s\n' \
        'priority=0 actions=drop' \
        'in_port=colo0 actions=colo_rewrite(vm1),output:svm' \
        'in_port=svm actions=colo_rewrite(vm1),colo_mirror(vm1)' \
        | bed_exec secondary "$(bed_ovs utilities/ovs-ofctl)" add-flows br0 -
}

# bed_pair_up: the COLO rows of pair vm1 on both nodes (primary and
# secondary, channel colo0); waits until both ends of the channel are
# connected.
bed_pair_up() {
    local node
    bed_vsctl primary create COLO name=vm1 mode=primary channel=colo0 \
        >/dev/null || return 1
    bed_vsctl secondary create COLO name=vm1 mode=secondary channel=colo0 \
        >/dev/null || return 1
    for node in primary secondary; do
        bed_vsctl "$node" wait-until COLO vm1 \
            status:channel_state=connected || {
            echo "bed: $node: channel not connected" >&2
            return 1
        }
    done
}

# bed_stat NODE KEY [PAIR]: counter KEY of pair PAIR (vm1 by default) on
# NODE, from the statistics column of its COLO row, as ovs-vswitchd last
# wrote it: after traffic whose counters matter, colo_stats_settle first
# (see colo-lib.sh).
bed_stat() {
    bed_vsctl "$1" get COLO "${3:-vm1}" "statistics:$2"
}

# bed_wait_settled NODE [PAIR]: waits (10 s at most) until pair PAIR (vm1)
# on NODE holds no packet and has no checkpoint outstanding, so that what
# happens next is the only cause of a new checkpoint request: a packet still
# held would time out and ask for one of its own.  held_packets comes from
# the statistics ovs-vswitchd publishes once a second, so "settled" must
# hold for three reads 0.5 s apart.  Returns 1 if the pair does not settle.
bed_wait_settled() {
    local node=$1 pair=${2:-vm1} i quiet=0 request done held
    for i in $(seq 20); do
        request=$(bed_vsctl "$node" get COLO "$pair" checkpoint_request)
        done=$(bed_vsctl "$node" get COLO "$pair" checkpoint_done)
        held=$(bed_stat "$node" held_packets "$pair")
        if test "$held" = 0 && test "$done" -ge "$request"; then
            quiet=$((quiet + 1))
            test $quiet -ge 3 && return 0
        else
            quiet=0
        fi
        sleep 0.5
    done
    echo "bed: $node: $pair does not settle: $held packets held," \
         "checkpoint $request requested, $done done" >&2
    return 1
}

# bed_diagnose: what a failed check of a script using the bed prints (its
# colo_check_diagnose, see colo-lib.sh): each node's pair vm1, its
# checkpoint columns and the COLO lines of its ovs-vswitchd log, then the
# manager's log and the checkpoints its hook took.
bed_diagnose() {
    local node
    for node in primary secondary; do
        echo "--- $node: colo/show vm1"
        bed_appctl "$node" colo/show vm1 || true
        echo "--- $node: COLO vm1 checkpoint columns"
        bed_vsctl "$node" --columns=checkpoint_request,checkpoint_reason,checkpoint_done \
            list COLO vm1 || true
        echo "--- $node: ovs-vswitchd.log, COLO lines (last 40)"
        grep -i colo "$COLO_BED_DIR/$node/ovs-vswitchd.log" | tail -n 40 || true
    done
    if test -f "$COLO_BED_DIR/manager.log"; then
        echo "--- manager log"
        cat "$COLO_BED_DIR/manager.log"
        echo "--- checkpoints the manager's hook took"
        cat "$COLO_BED_DIR/checkpoints" 2>/dev/null || true
    fi
}

# bed_progress FILE: how many lines a stream client (colo-bed-client.py
# stream) has had echoed so far, from its progress FILE.
bed_progress() {
    cat "$1" 2>/dev/null || echo 0
}

# bed_wait_progress FILE N: waits (30 s at most) until FILE says N or more.
bed_wait_progress() {
    local i
    for i in $(seq 300); do
        test "$(bed_progress "$1")" -ge "$2" && return 0
        sleep 0.1
    done
    return 1
}

# bed_qemu_vms_up: as bed_vms_up, with a real QEMU COLO pair
# (utilities/colo-vm.sh, run from $COLO_BED_DIR/qemu) instead of the PVM's
# and SVM's namespaces: the primary QEMU runs in the primary node's
# namespace, its tap "pvm" a port of br0, the secondary QEMU likewise with
# tap "svm"; same addresses and MAC as bed_vms_up, the client's as a
# permanent neighbour in the guest.  The guest serves HTTP on port 80
# (/index.html, /cgi-bin/count, /cgi-bin/random) and TCP echo on port 7.
bed_qemu_vms_up() {
    mkdir -p "$COLO_BED_DIR/client"
    bed_netns_add client
    bed_lan
    bed_qemu_pair_start || return 1
    bed_neigh "$(bed_ns client)" lan 52:54:00:00:00:01 10.0.0.1 fd00::1
    bed_flows
}

# bed_qemu_pair_start [proxy=qemu]: starts the QEMU pair of bed_qemu_vms_up
# and puts its taps on the nodes' br0, always at OpenFlow port 100 (flows
# added before a restart stay right).  With proxy=qemu, QEMU's own COLO
# proxy carries the SVM's traffic (colo-vm.sh) and the SVM's tap stays off
# the secondary's bridge.
bed_qemu_pair_start() {
    local node port
    "$colo_top/utilities/colo-vm.sh" start "$COLO_BED_DIR/qemu" \
        ip=10.0.0.1/24 ip6=fd00::1/64 mac=52:54:00:00:00:01 \
        neigh=10.0.0.2@52:54:00:00:00:02,fd00::2@52:54:00:00:00:02 \
        pvm-ns="$(bed_ns primary)" pvm-tap=pvm \
        svm-ns="$(bed_ns secondary)" svm-tap=svm "$@" >/dev/null || return 1
    for node in primary:pvm secondary:svm; do
        port=${node#*:}
        node=${node%:*}
        ip netns exec "$(bed_ns "$node")" ip link set "$port" up
        if test "$node" = secondary && test "$*" = proxy=qemu; then
            continue
        fi
        bed_vsctl "$node" add-port br0 "$port" \
            -- set Interface "$port" ofport_request=100
    done
}

# bed_qemu_pair_stop: stops the QEMU pair, taking its taps off the bridges.
bed_qemu_pair_stop() {
    bed_vsctl primary --if-exists del-port br0 pvm
    bed_vsctl secondary --if-exists del-port br0 svm
    "$colo_top/utilities/colo-vm.sh" stop "$COLO_BED_DIR/qemu" || true
    rm -rf "${COLO_BED_DIR:?}/qemu"
}

# bed_wait_servers: waits until every server of the PVM and the SVM listens.
bed_wait_servers() {
    local vm i
    for vm in pvm svm; do
        for i in $(seq 50); do
            test "$(ip netns exec "$(bed_ns "$vm")" ss -Hltun \
                    '( sport = :80 or sport = :7 or sport = :9 )' \
                    | wc -l)" -ge 4 && break
            sleep 0.1
        done
    done
}

# bed_vms_down: stops the servers and the QEMU pair, removes the VMs'
# namespaces.
bed_vms_down() {
    local vm pid
    if test -d "$COLO_BED_DIR/qemu"; then
        "$colo_top/utilities/colo-vm.sh" stop "$COLO_BED_DIR/qemu" || true
        rm -rf "${COLO_BED_DIR:?}/qemu"
    fi
    for vm in $COLO_BED_VM_NAMES; do
        for pid in $(cat "$COLO_BED_DIR/$vm/servers.pid" 2>/dev/null); do
            kill "$pid" 2>/dev/null || true
        done
        ip netns del "$(bed_ns "$vm")" 2>/dev/null || true
        rm -rf "${COLO_BED_DIR:?}/$vm"
    done
}

# bed_manager_up: starts the reference manager (utilities/ovs-colo-manager)
# for both nodes, logging to $COLO_BED_DIR/manager.log, with control socket
# $COLO_BED_DIR/manager.ctl (see bed_manager).  It acknowledges every
# checkpoint after running a hook that "takes" it the only way the bed can:
# it appends the request to $COLO_BED_DIR/checkpoints and makes the SVM's
# servers answer like the PVM's again.  A real checkpoint copies the whole
# VM; the bed's SVM keeps its own TCP state, so the manager acknowledges on
# the requesting node only (--requester-only): telling the secondary that
# the SVM is now a copy would reset its TCP offsets and break the SVM's
# live connections.
#
# The hook takes $COLO_BED_CHECKPOINT_MS (default 10) ms, as a real
# checkpoint pauses the VMs for 5 to 15 ms (Documentation/operating.rst,
# "Real VMs").  It matters for a TCP stream: the client's acknowledgments
# reach the SVM later than the PVM (through the channel), and the bed's SVM,
# not being made a copy of the PVM, must have them all before the flush
# releases the PVM's bytes beyond them; an acknowledgment of bytes the SVM
# has not sent yet is dropped by its TCP, and once the SVM's window is spent
# nothing else would come (its retransmissions go to the comparator, never
# to the client): the stream would stall until the compare timeout.
#
# With the QEMU pair of bed_qemu_vms_up, the manager drives it instead
# (--qemu): each checkpoint is forced over QMP and acknowledged on both
# nodes, and QEMU's own checkpoints are acknowledged too.
bed_manager_up() {
    local hook=$COLO_BED_DIR/checkpoint-hook.sh d=$COLO_BED_DIR
    local how=(--hook "sh $hook" --requester-only)
    if test -d "$d/qemu"; then
        how=(--qemu "vm1=$d/qemu/primary.qmp,$d/qemu/secondary.qmp")
    fi
    printf '%s\n' \
        "echo \"\$COLO_NODE \$COLO_PAIR \$COLO_CHECKPOINT \$COLO_REASON\" >>$d/checkpoints" \
        "cp $d/pvm/index.txt $d/svm/index.txt" \
        "rm -f $d/svm/udp-suffix" \
        "sleep $(awk -v ms="$COLO_BED_CHECKPOINT_MS" 'BEGIN { print ms / 1000 }')" \
        >"$hook"
    : >"$d/checkpoints"
    PYTHONPATH=$colo_top/ovs/python /usr/bin/python3 \
        "$colo_top/utilities/ovs-colo-manager" \
        --node "primary=$d/primary" --node "secondary=$d/secondary" \
        --unixctl "$d/manager.ctl" --ofctl "$(bed_ovs utilities/ovs-ofctl)" \
        "${how[@]}" >>"$d/manager.log" 2>&1 &
    echo $! >"$d/manager.pid"
    local i
    for i in $(seq 50); do
        test -S "$d/manager.ctl" && return 0
        sleep 0.1
    done
    echo "bed: the manager did not start:" >&2
    cat "$d/manager.log" >&2
    return 1
}

# bed_manager CMD ARGS...: a control command of the manager.
bed_manager() {
    "$(bed_ovs utilities/ovs-appctl)" -t "$COLO_BED_DIR/manager.ctl" \
        --timeout=20 "$@"
}

bed_manager_down() {
    local pid
    pid=$(cat "$COLO_BED_DIR/manager.pid" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null || true
    rm -f "$COLO_BED_DIR/manager.pid" "$COLO_BED_DIR/manager.ctl" \
        "$COLO_BED_DIR/manager.log" "$COLO_BED_DIR/checkpoints" \
        "$COLO_BED_DIR/checkpoint-hook.sh"
}

# bed_client CMD...: runs CMD in the client's namespace.
bed_client() {
    ip netns exec "$(bed_ns client)" "$@"
}

bed_up() {
    bed_down
    for node in $COLO_BED_NODES; do
        bed_node_up "$node"
    done
    bed_link
}

# bed_node_down NODE: stops NODE's daemons (deleting its bridges first, so no
# tap is left behind) and removes its namespace and directory.
bed_node_down() {
    local node=$1 d=$COLO_BED_DIR/$1
    if test -S "$d/db.sock" \
            && kill -0 "$(cat "$d/ovs-vswitchd.pid" 2>/dev/null)" 2>/dev/null \
            && ip netns list | grep -qw "$(bed_ns "$node")"; then
        bed_vsctl "$node" --if-exists del-br br0 >/dev/null 2>&1 || true
    fi
    local pids="" pid
    for daemon in auto ovs-vswitchd ovsdb-server cluster; do
        pid=$(cat "$d/$daemon.pid" 2>/dev/null) || continue
        kill "$pid" 2>/dev/null && pids="$pids $pid"
    done
    for pid in $pids; do
        for i in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
    done
    ip netns del "$(bed_ns "$node")" 2>/dev/null || true
    rm -rf "$d"
}

bed_down() {
    bed_manager_down
    bed_vms_down
    for node in $COLO_BED_NODES; do
        bed_node_down "$node"
    done
    bed_node_down witness
    rmdir "$COLO_BED_DIR" 2>/dev/null || true
}

# bed_mgmt_addr NODE: NODE's address on the management LAN (primary,
# secondary or witness).
bed_mgmt_addr() {
    case $1 in
        primary) echo 10.98.0.1 ;;
        secondary) echo 10.98.0.2 ;;
        witness) echo 10.98.0.3 ;;
    esac
}

# bed_member_start NODE: starts NODE's member of the COLO_Cluster database:
# an ovsdb-server of its own (the node's Open_vSwitch database is another),
# clients on ptcp:6641 on the management LAN and on NODE/cluster.sock,
# Raft on port 6643, control socket NODE/cluster.ctl.
bed_member_start() {
    local d=$COLO_BED_DIR/$1 err=$COLO_BED_DIR/$1/cluster.stderr
    ip netns exec "$(bed_ns "$1")" "$(bed_ovs ovsdb/ovsdb-server)" \
        "$d/cluster.db" --remote="punix:$d/cluster.sock" \
        --remote="ptcp:6641:$(bed_mgmt_addr "$1")" \
        --pidfile="$d/cluster.pid" --unixctl="$d/cluster.ctl" \
        --log-file="$d/cluster.log" --detach --no-chdir 2>"$err" \
        || { cat "$err" >&2; return 1; }
}

# bed_cluster NODE CMD ARGS...: a command of NODE's cluster member.
bed_cluster() {
    local node=$1
    shift
    "$(bed_ovs utilities/ovs-appctl)" -t "$COLO_BED_DIR/$node/cluster.ctl" \
        --timeout=10 "$@"
}

# bed_witness_up: the witness (namespace colo-witness, a third small host)
# and the management LAN: a Linux bridge "mgmt" in the witness (10.98.0.3)
# with a port to device "mgmt" of each node (primary 10.98.0.1, secondary
# 10.98.0.2), so that cutting a node's "mgmt" cuts it off from both others.
# Creates the three-member COLO_Cluster database (one member per node and
# on the witness), waits for its leader and sets its election timer to
# $COLO_BED_ELECTION_MS.  After bed_up.
bed_witness_up() {
    local ns node d i
    ns=$(bed_ns witness)
    mkdir -p "$COLO_BED_DIR/witness"
    bed_netns_add witness
    ip netns exec "$ns" ip link add mgmt type bridge
    ip netns exec "$ns" ip addr add 10.98.0.3/24 dev mgmt
    ip netns exec "$ns" ip link set mgmt up
    for node in $COLO_BED_NODES; do
        ip link add "mgmt-$node" netns "$ns" type veth \
            peer name mgmt netns "$(bed_ns "$node")"
        ip netns exec "$ns" ip link set "mgmt-$node" master mgmt up
        ip netns exec "$(bed_ns "$node")" ip addr add \
            "$(bed_mgmt_addr "$node")/24" dev mgmt
        ip netns exec "$(bed_ns "$node")" ip link set mgmt up
    done
    # Created on the primary, which is the first leader: losing the
    # witness or the secondary then costs no election (one would stop
    # renewals for up to the election timer plus 1 s, longer than the
    # lease), and losing the primary costs one that overlaps the lease's
    # wait (Documentation/managers.rst, "Automatic failover").
    "$(bed_ovs ovsdb/ovsdb-tool)" create-cluster \
        "$COLO_BED_DIR/primary/cluster.db" \
        "$colo_top/utilities/ovs-colo-cluster.ovsschema" tcp:10.98.0.1:6643
    for node in secondary witness; do
        "$(bed_ovs ovsdb/ovsdb-tool)" join-cluster \
            "$COLO_BED_DIR/$node/cluster.db" COLO_Cluster \
            "tcp:$(bed_mgmt_addr "$node"):6643" tcp:10.98.0.1:6643
    done
    for node in primary secondary witness; do
        bed_member_start "$node" || return 1
    done
    for i in $(seq 100); do
        d=0
        for node in primary secondary witness; do
            bed_cluster "$node" cluster/status COLO_Cluster 2>/dev/null \
                | grep -q '^Status: cluster member' && d=$((d + 1))
        done
        test $d = 3 && break
        sleep 0.1
    done
    test $d = 3 || { echo "bed: the cluster did not form" >&2; return 1; }
    for node in primary secondary witness; do
        if bed_cluster "$node" cluster/status COLO_Cluster \
                | grep -q '^Role: leader'; then
            bed_cluster "$node" cluster/change-election-timer COLO_Cluster \
                "$COLO_BED_ELECTION_MS" >/dev/null || return 1
            return 0
        fi
    done
    echo "bed: the cluster has no leader" >&2
    return 1
}

# bed_auto_up: automatic failover of pair vm1 (after bed_pair_up and
# bed_witness_up): options:fencing=1 on both nodes, then
# "ovs-colo-manager auto" on each node, in its namespace (NODE/auto.log,
# NODE/auto.ctl, NODE/auto.pid); waits until the primary serves.  With the
# QEMU pair of bed_qemu_vms_up, each manager drives its node's QEMU too
# (--qemu, on the QEMU's ROLE-auto.qmp).
bed_auto_up() {
    local node vm d qemu
    for node in $COLO_BED_NODES; do
        bed_vsctl "$node" set COLO vm1 options:fencing=1 || return 1
    done
    for node in $COLO_BED_NODES; do
        d=$COLO_BED_DIR/$node
        vm=pvm
        test "$node" = secondary && vm=svm
        qemu=()
        if test -d "$COLO_BED_DIR/qemu"; then
            qemu=(--qemu "vm1=$COLO_BED_DIR/qemu/$node-auto.qmp")
        fi
        bed_exec "$node" env PYTHONPATH="$colo_top/ovs/python" \
            /usr/bin/python3 "$colo_top/utilities/ovs-colo-manager" auto \
            --self "$node" --rundir "$d" --cluster "unix:$d/cluster.sock" \
            --cluster-ctl "$d/cluster.ctl" --pair "vm1,br0,uplink,$vm" \
            --lease-ms "$COLO_BED_LEASE_MS" "${qemu[@]}" \
            --unixctl "$d/auto.ctl" --log-file "$d/auto.log" \
            --ofctl "$(bed_ovs utilities/ovs-ofctl)" \
            --detach --no-chdir --pidfile="$d/auto.pid" \
            2>"$d/auto.stderr" || { cat "$d/auto.stderr" >&2; return 1; }
    done
    bed_vsctl primary wait-until COLO vm1 status:fenced=false
}

# bed_auto NODE CMD ARGS...: a control command of NODE's automatic manager.
bed_auto() {
    local node=$1
    shift
    "$(bed_ovs utilities/ovs-appctl)" -t "$COLO_BED_DIR/$node/auto.ctl" \
        --timeout=10 "$@"
}
