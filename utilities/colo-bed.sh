# colo-bed.sh -- a two-node COLO bed on one machine, sourced by the demo and
# the system tests.
#
# Each node (primary, secondary) is a network namespace "colo-NODE" running
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
COLO_BED_NODES="primary secondary"

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
    ip netns exec "colo-$node" env $(bed_env "$node") "$@"
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
    ip netns add "colo-$node"
    ip netns exec "colo-$node" ip link set lo up
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
    ip link add link-p netns colo-primary type veth \
        peer name link-s netns colo-secondary
    ip netns exec colo-primary ip addr add 10.99.0.1/24 dev link-p
    ip netns exec colo-secondary ip addr add 10.99.0.2/24 dev link-s
    ip netns exec colo-primary ip link set link-p up
    ip netns exec colo-secondary ip link set link-s up
    bed_vsctl secondary add-port br0 colo0 -- set Interface colo0 type=colo \
        options:remote=ptcp:7100:10.99.0.2
    bed_vsctl primary add-port br0 colo0 -- set Interface colo0 type=colo \
        options:remote=tcp:10.99.0.2:7100
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
    if test -S "$d/db.sock" && ip netns list | grep -qw "colo-$node"; then
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
    ip netns del "colo-$node" 2>/dev/null || true
    rm -rf "$d"
}

bed_down() {
    for node in $COLO_BED_NODES; do
        bed_node_down "$node"
    done
    rmdir "$COLO_BED_DIR" 2>/dev/null || true
}
