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

COLO_BED_DIR=${COLO_BED_DIR:-/tmp/colo-bed}
COLO_BED_NS=${COLO_BED_NS:-colo-}
COLO_BED_NODES="primary secondary"
COLO_BED_VMS="client pvm svm"

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
    bed_vsctl "$node" add-br br0 -- set Bridge br0 datapath_type=netdev
}

# bed_link: connects the nodes with veth link-p (primary, 10.99.0.1) --
# link-s (secondary, 10.99.0.2) and adds the colo channel port colo0 to each
# node's br0, the secondary listening and the primary connecting.
bed_link() {
    ip link add link-p netns "$(bed_ns primary)" type veth \
        peer name link-s netns "$(bed_ns secondary)"
    ip netns exec "$(bed_ns primary)" ip addr add 10.99.0.1/24 dev link-p
    ip netns exec "$(bed_ns secondary)" ip addr add 10.99.0.2/24 dev link-s
    ip netns exec "$(bed_ns primary)" ip link set link-p up
    ip netns exec "$(bed_ns secondary)" ip link set link-s up
    bed_vsctl secondary add-port br0 colo0 -- set Interface colo0 type=colo \
        options:remote=ptcp:7100:10.99.0.2
    bed_vsctl primary add-port br0 colo0 -- set Interface colo0 type=colo \
        options:remote=tcp:10.99.0.2:7100
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

# bed_attach VM ADDR NODE PORT: links VM's eth0 (ADDR, and the MAC that PVM
# and SVM share, or the client's) to port PORT of NODE's br0, with transmit
# checksum offload off on both ends (OVS forwards packets as they are).
bed_attach() {
    local vm=$1 addr=$2 node=$3 port=$4 mac=52:54:00:00:00:01
    test "$vm" != client || mac=52:54:00:00:00:02
    ip link add eth0 netns "$(bed_ns "$vm")" address "$mac" type veth \
        peer name "$port" netns "$(bed_ns "$node")"
    ip netns exec "$(bed_ns "$vm")" ethtool -K eth0 tx off >/dev/null
    ip netns exec "$(bed_ns "$node")" ethtool -K "$port" tx off >/dev/null
    ip netns exec "$(bed_ns "$vm")" ip addr add "$addr/24" dev eth0
    ip netns exec "$(bed_ns "$vm")" ip link set eth0 up
    ip netns exec "$(bed_ns "$node")" ip link set "$port" up
    bed_vsctl "$node" add-port br0 "$port"
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

# bed_vms_up: the client, the PVM (on the primary) and the SVM (on the
# secondary), with the same IP and MAC address in both VMs and the same
# servers (HTTP on port 80 serving $COLO_BED_DIR/VM/index.txt, TCP and UDP
# echo on port 7), and the flows of the primary and secondary nodes for pair
# vm1 (README.rst, "OpenFlow actions"); the caller creates the pair, as a
# manager would.
bed_vms_up() {
    local vm
    for vm in $COLO_BED_VMS; do
        mkdir -p "$COLO_BED_DIR/$vm"
        bed_netns_add "$vm"
    done
    bed_attach client 10.0.0.2 primary uplink
    bed_attach pvm 10.0.0.1 primary pvm
    bed_attach svm 10.0.0.1 secondary svm
    for vm in pvm svm; do
        printf 'Hello from the protected VM.\n' >"$COLO_BED_DIR/$vm/index.txt"
        bed_serve "$vm" http 80 "$COLO_BED_DIR/$vm/index.txt"
        bed_serve "$vm" echo 7
        bed_serve "$vm" udp-echo 7
    done

    printf '%s\n' \
        'in_port=uplink actions=colo_mirror(vm1),output:pvm' \
        'in_port=pvm actions=colo_compare(vm1,table=1)' \
        'in_port=colo0 actions=colo_compare(vm1)' \
        'table=1,in_port=pvm actions=output:uplink' \
        | bed_exec primary "$(bed_ovs utilities/ovs-ofctl)" add-flows br0 -
    printf '%s\n' \
        'in_port=colo0 actions=colo_rewrite(vm1),output:svm' \
        'in_port=svm actions=colo_rewrite(vm1),colo_mirror(vm1)' \
        | bed_exec secondary "$(bed_ovs utilities/ovs-ofctl)" add-flows br0 -
}

# bed_vms_down: stops the servers, removes the VMs' namespaces.
bed_vms_down() {
    local vm pid
    for vm in $COLO_BED_VMS; do
        for pid in $(cat "$COLO_BED_DIR/$vm/servers.pid" 2>/dev/null); do
            kill "$pid" 2>/dev/null || true
        done
        ip netns del "$(bed_ns "$vm")" 2>/dev/null || true
        rm -rf "${COLO_BED_DIR:?}/$vm"
    done
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
            && ip netns list | grep -qw "$(bed_ns "$node")"; then
        bed_vsctl "$node" --if-exists del-br br0 >/dev/null 2>&1 || true
    fi
    local pids="" pid
    for daemon in ovs-vswitchd ovsdb-server; do
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
    bed_vms_down
    for node in $COLO_BED_NODES; do
        bed_node_down "$node"
    done
    rmdir "$COLO_BED_DIR" 2>/dev/null || true
}
