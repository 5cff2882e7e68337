#!/bin/bash
# colo-deb-test.sh [DEBDIR] -- the install test of the Debian packages
# that "make deb" built into DEBDIR (default deb/ at the top of this
# repository): "make check-deb".  Needs root.
#
# In a clean Debian 12 (debootstrap --variant=minbase from the archive,
# kept in DEBDIR/base and copied afresh for each run into DEBDIR/root):
#
#   (d1) Debian's stock openvswitch-switch from the archive, started the
#        way the package does (its init script: ovs-ctl), a bridge made;
#   (d2) the built packages installed over it with
#        "apt-get install ./*.deb" (dependencies from the archive);
#        started again, the existing conf.db keeps its bridge and gains
#        the COLO table (ovs-ctl converts it to the new schema);
#   (d3) a COLO pair with its colo channel port made with ovs-vsctl,
#        seen in "ovs-appctl colo/show"; colo_compare and colo_rewrite
#        flows added with ovs-ofctl, seen in dump-flows;
#   (d4) openvswitch-colo: ovs-colo-manager and ovs-colo-notify run,
#        their man pages, units (disabled, "systemd-analyze verify"
#        clean) and /etc/default file are in place; ovs-colo-manager auto refuses a one-member cluster;
#   (d5) ovs-colo-manager.service's command line, configured in
#        /etc/default/openvswitch-colo, runs "ovs-colo-manager auto" on a
#        three-member cluster; "ovs-appctl -t ovs-colo-manager" reaches it;
#        Debian's logrotate entry rotates its log and it reopens it;
#   (d6) purge: the packages, conf.db and the COLO configuration gone.
#
# The chroot shares the host's network (apt needs the archive); its
# bridge is a userspace one ("colodeb0", datapath_type=netdev), its COLO
# channel listens on 127.0.0.1.  This machine has no openvswitch kernel
# module, which ovs-ctl insists on loading: the test mounts an empty
# /sys/module/openvswitch in the chroot so that ovs-ctl believes it
# loaded (nothing here uses the kernel datapath).
set -e
. "$(dirname "$0")/colo-bootstrap.sh"

debdir=$(cd "${1:-$colo_top/deb}" && pwd)
base=$debdir/base
root=$debdir/root
. "$(dirname "$0")/colo-lib.sh"

colo_check_diagnose() {
    for f in "$root"/var/log/openvswitch/*.log; do
        test -f "$f" || continue
        echo "--- $f (last lines)"
        tail -n 15 "$f"
    done
}

test "$(id -u)" = 0 || fail "needs root (debootstrap, chroot, mounts)"
ls "$debdir"/openvswitch-colo_*.deb >/dev/null 2>&1 \
    || fail "no packages in $debdir: run \"make deb\" first"

dpkg-query -W -f='${Status}' debootstrap 2>/dev/null \
    | grep -q "install ok installed" \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
           --no-install-recommends debootstrap >/dev/null

mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources \
             2>/dev/null | grep -v security | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
if ! test -f "$base/.colo-complete"; then
    echo "colo-deb-test: debootstrap bookworm into $base (once)"
    rm -rf "$base"
    debootstrap --variant=minbase bookworm "$base" "$mirror" \
        >"$debdir/debootstrap.log" 2>&1 \
        || fail "debootstrap failed: see $debdir/debootstrap.log"
    touch "$base/.colo-complete"
fi

mounted=()
cleanup() {
    local i
    if test -x "$root/etc/init.d/openvswitch-switch"; then
        chroot "$root" /etc/init.d/openvswitch-switch stop >/dev/null 2>&1 \
            || true
    fi
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount -l "${mounted[$i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT
mnt() {
    mkdir -p "${@: -1}"
    mount "$@"
    mounted+=("${@: -1}")
}

rm -rf "$root"
cp -a "$base" "$root"
mnt -t proc proc "$root/proc"
mnt --bind /dev "$root/dev"
mnt -t sysfs sysfs "$root/sys"
mnt -t tmpfs tmpfs "$root/sys/module"
mkdir "$root/sys/module/openvswitch"
mnt -t tmpfs tmpfs "$root/run"
cp /etc/resolv.conf "$root/etc/resolv.conf"
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
# As in any chroot: packages do not start services by themselves; the test
# starts them with the package's init script.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/debs"
cp "$debdir"/*.deb "$root/debs/"

in_root() {
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}
apt_root() {
    in_root apt-get -y -qq -o Dpkg::Use-Pty=0 "$@" >>"$debdir/apt.log" 2>&1 \
        || fail "apt-get $*: see $debdir/apt.log"
}
: >"$debdir/apt.log"

# (d1) Debian's stock package.
apt_root update
# systemd too (not running: a chroot), for systemctl and systemd-analyze.
apt_root install --no-install-recommends openvswitch-switch systemd
stock=$(in_root dpkg-query -W -f='${Version}' openvswitch-switch)
in_root /etc/init.d/openvswitch-switch start >/dev/null \
    || fail "the stock openvswitch-switch did not start"
in_root ovs-vsctl --timeout=10 add-br colodeb0 \
    -- set Bridge colodeb0 datapath_type=netdev fail_mode=secure
stock_schema=$(in_root ovs-vsctl get Open_vSwitch . db_version)
in_root ovsdb-client list-tables | grep -qx COLO \
    && fail "the stock database already has a COLO table"
pass "(d1) stock openvswitch-switch $stock (schema $stock_schema) started" \
     "by its init script, bridge colodeb0 made"
in_root /etc/init.d/openvswitch-switch stop >/dev/null

# (d2) Our packages over it.
debs=$(cd "$root/debs" && ls openvswitch-common_*.deb \
           openvswitch-switch_*.deb python3-openvswitch_*.deb \
           openvswitch-colo_*.deb | sed 's|^|/debs/|')
# shellcheck disable=SC2086
apt_root install --no-install-recommends $debs
version=$(in_root dpkg-query -W -f='${Version}' openvswitch-switch)
test "$version" != "$stock" || fail "openvswitch-switch is still $stock"
dpkg --compare-versions "$version" gt "$stock" \
    || fail "$version does not sort above $stock"
in_root /etc/init.d/openvswitch-switch start >/dev/null \
    || fail "the upgraded openvswitch-switch did not start"
schema=$(in_root ovs-vsctl get Open_vSwitch . db_version)
in_root ovsdb-client list-tables | grep -qx COLO \
    || fail "the upgraded database has no COLO table"
in_root ovs-vsctl br-exists colodeb0 \
    || fail "the bridge made before the upgrade is gone"
pass "(d2) upgraded to $version with apt-get install ./*.deb: conf.db" \
     "converted from schema $stock_schema to $schema, COLO table added," \
     "bridge colodeb0 kept"

# (d3) A COLO pair and its flows.
in_root ovs-vsctl --timeout=10 add-port colodeb0 colo0 \
    -- set Interface colo0 type=colo options:remote=ptcp:7199:127.0.0.1 \
    -- add-port colodeb0 svm -- set Interface svm type=internal \
    || fail "colo channel port"
in_root ovs-vsctl --timeout=10 create COLO name=vm1 mode=secondary \
    channel=colo0 >/dev/null || fail "ovs-vsctl create COLO"
in_root ovs-vsctl --timeout=10 wait-until COLO vm1 status:mode=secondary \
    || fail "the pair did not come up"
show=$(in_root ovs-appctl colo/show vm1) || fail "colo/show: $show"
echo "$show" | grep -q "vm1" || fail "colo/show does not show vm1: $show"
printf '%s\n' \
    'in_port=colo0 actions=colo_rewrite(vm1),output:svm' \
    'in_port=svm actions=colo_rewrite(vm1),colo_mirror(vm1)' \
    'table=1,in_port=svm actions=colo_compare(vm1)' \
    | in_root ovs-ofctl add-flows colodeb0 - || fail "ovs-ofctl add-flows"
flows=$(in_root ovs-ofctl dump-flows colodeb0)
for a in 'colo_rewrite(vm1)' 'colo_mirror(vm1)' 'colo_compare(vm1)'; do
    echo "$flows" | grep -qF "$a" || fail "dump-flows lacks $a: $flows"
done
pass "(d3) COLO pair vm1 (mode secondary, channel colo0 listening) in" \
     "colo/show; colo_rewrite, colo_mirror and colo_compare flows added" \
     "and dumped"

# (d4) The COLO tools.
in_root ovs-colo-manager --help | grep -q -- "--node" \
    || fail "ovs-colo-manager --help"
in_root ovs-colo-notify --version | grep -q "Open vSwitch" \
    || fail "ovs-colo-notify --version"
for f in /usr/share/man/man8/ovs-colo-manager.8.gz \
         /usr/share/man/man8/ovs-colo-notify.8.gz \
         /usr/share/openvswitch/ovs-colo-cluster.ovsschema \
         /lib/systemd/system/ovs-colo-manager.service \
         /lib/systemd/system/ovs-colo-notify.service \
         /etc/default/openvswitch-colo; do
    test -e "$root$f" || fail "$f is missing"
done
for u in ovs-colo-manager ovs-colo-notify; do
    test ! -e "$root/etc/systemd/system/multi-user.target.wants/$u.service" \
        || fail "$u.service is enabled before it is configured"
    state=$(in_root systemctl is-enabled "$u.service" 2>&1) || true
    test "$state" = disabled || fail "$u.service: is-enabled says $state"
    # (No man-db in the chroot: systemd-analyze cannot check Documentation=.)
    out=$(in_root systemd-analyze verify "/lib/systemd/system/$u.service" \
              2>&1 | grep -v "Command 'man " || true)
    test -z "$out" || fail "systemd-analyze verify $u.service: $out"
done
in_root ovsdb-tool create-cluster /tmp/c.db \
    /usr/share/openvswitch/ovs-colo-cluster.ovsschema unix:/tmp/c.raft
in_root ovsdb-server /tmp/c.db --remote=punix:/tmp/c.sock \
    --unixctl=/tmp/c.ctl --pidfile=/tmp/c.pid --detach --no-chdir -vconsole:off \
    --log-file=/tmp/c.log
out=$(in_root ovs-colo-manager auto --self a --rundir /var/run/openvswitch \
          --cluster unix:/tmp/c.sock --cluster-ctl /tmp/c.ctl \
          --pair vm1,colodeb0,colo0,svm 2>&1) \
    && fail "ovs-colo-manager auto ran with a one-member cluster"
echo "$out" | grep -q "automatic failover needs three" \
    || fail "ovs-colo-manager auto: $out"
in_root sh -c 'kill $(cat /tmp/c.pid)'
pass "(d4) ovs-colo-manager and ovs-colo-notify run, man pages, schema," \
     "units (disabled, verified by systemd-analyze) and" \
     "/etc/default/openvswitch-colo installed;" \
     "ovs-colo-manager auto refuses a one-member cluster"

# (d5) The manager's unit, configured: its command line with
# OVS_COLO_MANAGER_OPTS from /etc/default/openvswitch-colo (the chroot has
# no running systemd to start it), against a three-member cluster; then
# log rotation by Debian's own logrotate entry.
apt_root install --no-install-recommends logrotate
schema=/usr/share/openvswitch/ovs-colo-cluster.ovsschema
in_root ovsdb-tool create-cluster /tmp/c1.db $schema unix:/tmp/c1.raft
for i in 2 3; do
    in_root ovsdb-tool join-cluster /tmp/c$i.db COLO_Cluster \
        unix:/tmp/c$i.raft unix:/tmp/c1.raft
done
for i in 1 2 3; do
    in_root ovsdb-server /tmp/c$i.db --remote=punix:/tmp/c$i.sock \
        --unixctl=/tmp/c$i.ctl --pidfile=/tmp/c$i.pid --detach --no-chdir \
        -vconsole:off --log-file=/tmp/c$i.log
done
for i in $(seq 100); do
    n=0
    for j in 1 2 3; do
        in_root ovs-appctl -t /tmp/c$j.ctl cluster/status COLO_Cluster \
            2>/dev/null | grep -q "^Status: cluster member" && n=$((n + 1))
    done
    test $n = 3 && break
    sleep 0.1
done
test $n = 3 || fail "the three-member cluster did not form"
sed -i 's|^OVS_COLO_MANAGER_OPTS=.*|OVS_COLO_MANAGER_OPTS="--self a --rundir /var/run/openvswitch --cluster unix:/tmp/c1.sock --cluster-ctl /tmp/c1.ctl --pair vm1,colodeb0,colo0,svm"|' \
    "$root/etc/default/openvswitch-colo"
unit=/lib/systemd/system/ovs-colo-manager.service
start=$(sed -n '/^ExecStart=/,/[^\\]$/p' "$root$unit" \
            | sed -e 's/^ExecStart=//' -e 's/\\$//' | tr '\n' ' ')
pidfile=$(sed -n 's/^PIDFile=//p' "$root$unit")
in_root sh -c ". /etc/default/openvswitch-colo && $start" \
    || fail "the unit's command failed: $start"
show=$(in_root ovs-appctl -t ovs-colo-manager colo-manager/show) \
    || fail "ovs-appctl -t ovs-colo-manager: $show"
echo "$show" | grep -q "^node a:" || fail "colo-manager/show: $show"
pid=$(in_root cat "$pidfile")
log=/var/log/openvswitch/ovs-colo-manager.log
grep -q "automatic failover on a" "$root$log" || fail "nothing in $log"
in_root logrotate -f /etc/logrotate.d/openvswitch-switch \
    || fail "logrotate failed"
test -f "$root$log.1.gz" || fail "$log was not rotated"
# (Seen from the host, its files' paths start with $root.)
fds=$(ls -l /proc/"$pid"/fd/)
test "$(echo "$fds" | grep -c "> $root$log\$")" = 1 \
    || fail "the manager (pid $pid) did not reopen $log: $fds"
in_root ovs-appctl -t ovs-colo-manager exit || fail "the unit's ExecStop"
for i in 1 2 3; do
    in_root sh -c "kill \$(cat /tmp/c$i.pid)"
done
pass "(d5) ovs-colo-manager.service's command, configured in" \
     "/etc/default/openvswitch-colo, ran the manager on a three-member" \
     "cluster: ovs-appctl -t ovs-colo-manager reached it, Debian's" \
     "logrotate entry rotated its log and it reopened it"

# (d6) Purge.
in_root /etc/init.d/openvswitch-switch stop >/dev/null
apt_root purge openvswitch-colo openvswitch-switch openvswitch-common \
    python3-openvswitch
for f in /etc/openvswitch/conf.db /etc/default/openvswitch-colo \
         /usr/bin/ovs-colo-manager /usr/sbin/ovs-vswitchd; do
    test ! -e "$root$f" || fail "$f is still there after purge"
done
pass "(d6) purged: conf.db, /etc/default/openvswitch-colo and the" \
     "programs gone"
echo "colo-deb-test: all $passed checks passed"
