#!/bin/bash
# colo-demo.sh -- the README's main job: installs and builds what is missing,
# brings up a primary and a secondary node (two ovs-vswitchd instances in
# their own network namespaces, linked by a colo channel port over TCP),
# configures the COLO
# pair "vm1" on both through OVSDB as a manager would, and shows what each
# node reports.  Every step is checked; the script exits nonzero if one
# fails, and removes everything it made in any case.
#
# Today the pair is configured, validated and reported, and the manager's
# checkpoint columns work; mirroring, comparison, rewriting and failover of
# real traffic arrive with the engine (see README.rst, "Status").
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
. "$(dirname "$0")/colo-bed.sh"

if test "$(id -u)" != 0; then
    echo "colo-demo: needs root (network namespaces)" >&2
    exit 1
fi
colo_bootstrap

checks=0
step() {
    printf '\n== %s\n' "$*"
}
ok() {
    checks=$((checks + 1))
    printf '   ok: %s\n' "$*"
}
fail() {
    printf '   FAILED: %s\n' "$*" >&2
    exit 1
}

trap 'bed_down' EXIT
step "Starting the primary and secondary nodes (namespaces colo-primary, colo-secondary)"
bed_up
ok "two ovsdb-server + ovs-vswitchd pairs, br0 on each"
for node in primary secondary; do
    bed_vsctl "$node" wait-until Interface colo0 status:state=connected \
        || fail "$node: channel colo0 did not connect"
done
ok "channel colo0: secondary listens on 10.99.0.2:7100, primary connected:"
for node in primary secondary; do
    printf '     %-9s %s\n' "$node" \
        "$(bed_vsctl "$node" get Interface colo0 status:state status:peer \
           | tr '\n' ' ')"
done

step "Manager: creating pair vm1 on both nodes"
bed_vsctl primary create COLO name=vm1 mode=primary channel=colo0 \
    options:compare-timeout=3000 external_ids:vm=demo >/dev/null
bed_vsctl secondary create COLO name=vm1 mode=secondary channel=colo0 \
    external_ids:vm=demo >/dev/null
for node in primary secondary; do
    bed_vsctl "$node" wait-until COLO vm1 status:state=active \
        || fail "$node: vm1 did not become active"
    ok "$node: vm1 is $(bed_vsctl "$node" get COLO vm1 status:state)," \
       "mode $(bed_vsctl "$node" get COLO vm1 status:mode)"
done

step "ovs-appctl colo/show on the primary"
bed_appctl primary colo/show vm1 | sed 's/^/   /'

step "Manager: a bad option is rejected, naming the field; the node keeps running"
bed_vsctl primary set COLO vm1 options:compare-timeout=soon
bed_vsctl primary wait-until COLO vm1 status:state=error \
    || fail "bad option was not rejected"
error=$(bed_vsctl primary get COLO vm1 status:error)
case $error in
    *options:compare-timeout*) ok "status:error = $error" ;;
    *) fail "status:error does not name the option: $error" ;;
esac
bed_vsctl secondary wait-until COLO vm1 status:state=active \
    || fail "secondary affected"
ok "secondary unaffected"
bed_vsctl primary set COLO vm1 options:compare-timeout=2000
bed_vsctl primary wait-until COLO vm1 status:state=active \
    || fail "fixed option not applied"
bed_appctl primary colo/show vm1 | grep -q 'compare-timeout=2000 ms' \
    || fail "colo/show does not show the new timeout"
ok "fixed: compare-timeout=2000 ms in effect"

step "Manager: the checkpoint columns"
bed_vsctl primary set COLO vm1 checkpoint_done=1
bed_vsctl primary wait-until COLO vm1 checkpoint_done=1
bed_appctl primary colo/show vm1 | grep -q 'checkpoint: requested 0, done 1' \
    || fail "colo/show does not show checkpoint_done"
ok "checkpoint_done=1 written by the manager and seen by ovs-vswitchd"

step "Manager: an unknown pair is an error"
if bed_appctl primary colo/show vm2 2>/dev/null; then
    fail "colo/show vm2 succeeded"
fi
ok "colo/show vm2: $(bed_appctl primary colo/show vm2 2>&1 | head -1)"

step "Summary"
for node in primary secondary; do
    printf '   %-9s %s\n' "$node:" \
        "$(bed_vsctl "$node" --columns=name,mode,status --bare list COLO | tr '\n' ' ')"
done
printf '   %d checks passed; tearing the bed down.\n' "$checks"
