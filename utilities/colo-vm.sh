#!/bin/bash
# colo-vm.sh -- a real QEMU COLO pair (Debian's QEMU 7.2, TCG) for the bed
# and the tests: a small guest built from Debian's packages, a primary and
# a secondary QEMU brought into COLO state, checkpoints forced and watched
# over QMP.  See Documentation/operating.rst, "Real VMs".
#
#   colo-vm.sh image              build (or find) the guest: Debian's kernel
#                                 (linux-image-amd64) and an initramfs of
#                                 busybox-static with the bed's servers
#                                 (and colo-vm-udp-echo.c, built static);
#                                 prints the cache directory
#   colo-vm.sh start DIR [OPT..]  start a pair whose sockets, consoles and
#                                 logs live in DIR and bring it into COLO
#                                 state; OPT: ip=ADDR/LEN (default
#                                 10.0.0.10/24), ip6=ADDR/LEN (default
#                                 fd00:c010::10/64), neigh=ADDR@MAC,...
#                                 (permanent neighbours in the guest),
#                                 mem=KIB (default 262152),
#                                 pvm-tap=TAP, svm-tap=TAP (default: no NIC
#                                 on that side), mac=MAC, migration=URI
#                                 (default unix:DIR/migration.sock),
#                                 pvm-ns=NS, svm-ns=NS (run that QEMU, and
#                                 so create its tap, in network namespace
#                                 NS), proxy=qemu (QEMU's own COLO
#                                 proxy in the QEMUs: filter-mirror,
#                                 filter-redirector, filter-rewriter,
#                                 colo-compare; both taps needed)
#   colo-vm.sh checkpoint DIR     force one checkpoint; prints its duration
#                                 (command to RESUME) in ms
#   colo-vm.sh console-check DIR  fail if either console shows an
#                                 oops, BUG or panic line
#   colo-vm.sh stop DIR           stop both QEMUs (waits for them to exit)
#   colo-vm.sh qmp SOCKET CMD [JSON]  one QMP command
#
# QMP goes through "ovs-colo-manager qmp" (Open vSwitch's Python library).
#
# The TCG-only workarounds (Documentation/operating.rst, "Real VMs"; none is needed with
# KVM):
#   - colo-qemu-tcg-shim.so (utilities/colo-qemu-tcg-shim.c) is preloaded
#     into both QEMUs: QEMU 7.2's checkpoint waits on the global lock's
#     condition variables without the lock under TCG and deadlocks;
#   - the RAM size is a multiple of 8 KiB but not of 256 KiB (262152 KiB =
#     256 MiB + 8 KiB): QEMU 7.2's dirty-bitmap fast path for 256 KiB
#     aligned RAM blocks loses TCG guest writes, and the SVM becomes a bad
#     copy (fixed in QEMU 9.0);
#   - "ip route ... quickack 1" on the migration link's route, when the
#     link is not loopback: QEMU sets no TCP_NODELAY and each checkpoint's
#     small messages meet Nagle and delayed ACKs (40 ms).
#
# Environment: COLO_VM_CACHE (default /var/cache/colo-vm), COLO_VM_QEMU
# (default qemu-system-x86_64), COLO_VM_SHIM (default: built next to this
# script's build tree, see "make colo-qemu-tcg-shim.so").

set -e -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${COLO_VM_CACHE:-/var/cache/colo-vm}
qemu=${COLO_VM_QEMU:-qemu-system-x86_64}

die() {
    echo "colo-vm: $*" >&2
    exit 1
}

manager() {
    if test -n "$COLO_VM_MANAGER"; then
        $COLO_VM_MANAGER "$@"
    elif command -v ovs-colo-manager >/dev/null 2>&1; then
        ovs-colo-manager "$@"
    else
        PYTHONPATH=$here/../ovs/python /usr/bin/python3 \
            "$here/ovs-colo-manager" "$@"
    fi
}

qmp() {
    manager qmp "$@"
}

# The guest: cached by the versions of the two packages it is made of.
image() {
    local kpkg kver bver key dir tmp
    kpkg=$(apt-cache depends linux-image-amd64 \
           | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    test -n "$kpkg" || die "linux-image-amd64: no kernel package found"
    kver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ { print $2 }')
    bver=$(apt-cache policy busybox-static | awk '/Candidate:/ { print $2 }')
    # ... and of the guest's own files.
    key=$(echo "$kpkg-$kver-busybox-$bver-$(cat "$here/colo-vm-init" \
          "$here/colo-vm-udp-echo.c" | md5sum | cut -c1-8)" \
          | tr -c "A-Za-z0-9.+\n-" _)
    dir=$cache/$key
    if test -f "$dir/ready"; then
        echo "$dir"
        return
    fi
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/build.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    (cd "$tmp" && apt-get download -q "$kpkg" busybox-static >/dev/null 2>&1) \
        || (cd "$tmp" && apt-get update -q >/dev/null \
            && apt-get download -q "$kpkg" busybox-static >/dev/null) \
        || die "apt-get download $kpkg busybox-static failed"
    dpkg-deb -x "$tmp"/linux-image-*.deb "$tmp/k"
    dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/b"
    local root=$tmp/root
    mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,www/cgi-bin,lib/modules}
    cp "$tmp/b/bin/busybox" "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        test -e "$root/bin/$applet" || ln -s busybox "$root/bin/$applet"
    done
    cp "$(find "$tmp/k/lib/modules" -name e1000.ko)" "$root/lib/modules/"
    install -m 755 "$here/colo-vm-init" "$root/init"
    ${CC:-gcc} -static -O2 -Wall -Werror -o "$root/bin/colo-vm-udp-echo" \
        "$here/colo-vm-udp-echo.c" || die "cannot build colo-vm-udp-echo"
    # busybox has cpio, Debian 12 a minimal system does not.
    (cd "$root" && find . | ./bin/busybox cpio -o -H newc | gzip -1) \
        > "$tmp/initrd.gz"
    mkdir -p "$dir"
    cp "$tmp"/k/boot/vmlinuz-* "$dir/vmlinuz"
    cp "$tmp/initrd.gz" "$dir/initrd.gz"
    touch "$dir/ready"
    rm -rf "$tmp"
    trap - EXIT
    echo "$dir"
}

shim_path() {
    if test -n "$COLO_VM_SHIM"; then
        echo "$COLO_VM_SHIM"
    elif test -f "$here/../colo-qemu-tcg-shim.so"; then
        echo "$here/../colo-qemu-tcg-shim.so"
    else
        die "colo-qemu-tcg-shim.so not found: run make, or set COLO_VM_SHIM"
    fi
}

# run_qemu DIR ROLE IMAGE NS ARGS...: one QEMU in the background (in
# network namespace NS if not empty), its own session, serial console
# logged in DIR/ROLE.console, three QMP monitors (QEMU serves one client on
# each): DIR/ROLE.qmp for the reference manager, DIR/ROLE-auto.qmp for the
# node's "ovs-colo-manager auto", DIR/ROLE-ops.qmp for this script and
# operators.
run_qemu() {
    local dir=$1 role=$2 img=$3 ns=$4 netns=
    shift 4
    test -n "$ns" && netns="ip netns exec $ns"
    # shellcheck disable=SC2086
    LD_PRELOAD=$(shim_path) COLO_SHIM_LOG=$dir/shim.log \
        setsid $netns "$qemu" -name "colo-$role,debug-threads=on" \
        -machine pc,accel=tcg -cpu qemu64 -smp 1 -m "${mem}K" \
        -nodefaults -no-user-config -display none -vga none \
        -kernel "$img/vmlinuz" -initrd "$img/initrd.gz" \
        -append "console=ttyS0 panic=-1 quiet colo_ip=$ip${ip6:+ colo_ip6=$ip6}${neigh:+ colo_neigh=$neigh}" \
        -serial "file:$dir/$role.console" \
        -qmp "unix:$dir/$role.qmp,server=on,wait=off" \
        -qmp "unix:$dir/$role-auto.qmp,server=on,wait=off" \
        -qmp "unix:$dir/$role-ops.qmp,server=on,wait=off" \
        -pidfile "$dir/$role.pid" \
        "$@" </dev/null >>"$dir/$role.log" 2>&1 &
    # Not -daemonize: with -incoming, QEMU 7.2's daemonizing parent waits
    # until the incoming migration is over.
    local i
    for i in $(seq 1 100); do
        test -S "$dir/$role-ops.qmp" && return 0
        kill -0 $! 2>/dev/null || break
        sleep 0.1
    done
    die "$role QEMU failed to start: $(tail -3 "$dir/$role.log")"
}

nic_args() {
    local tap=$1
    test -n "$tap" || return 0
    echo "-netdev tap,id=n0,ifname=$tap,script=no,downscript=no" \
         "-device e1000,netdev=n0,mac=$mac,romfile="
}

start() {
    local dir=$1
    shift
    ip=10.0.0.10/24 ip6='' neigh='' mem=262152 mac=52:54:00:c0:10:01
    local pvm_tap='' svm_tap='' pvm_ns='' svm_ns='' migration='' opt img
    local proxy='' pvm_proxy='' svm_proxy='' 
    for opt in "$@"; do
        case $opt in
            ip=*) ip=${opt#ip=} ;;
            ip6=*) ip6=${opt#ip6=} ;;
            neigh=*) neigh=${opt#neigh=} ;;
            mem=*) mem=${opt#mem=} ;;
            mac=*) mac=${opt#mac=} ;;
            pvm-tap=*) pvm_tap=${opt#pvm-tap=} ;;
            svm-tap=*) svm_tap=${opt#svm-tap=} ;;
            migration=*) migration=${opt#migration=} ;;
            pvm-ns=*) pvm_ns=${opt#pvm-ns=} ;;
            svm-ns=*) svm_ns=${opt#svm-ns=} ;;
            proxy=qemu) proxy=qemu ;;
            *) die "start: unknown option $opt" ;;
        esac
    done
    if test $((mem % 256)) = 0; then
        echo "colo-vm: warning: mem=$mem KiB is a multiple of 256 KiB;" \
             "under TCG the SVM will not be a faithful copy" >&2
    fi
    img=$(image)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # The migration link: a unix socket when both QEMUs share a host (no
    # Nagle, no delayed ACK), else tcp:HOST:PORT with "quickack 1" on its
    # route.
    local uri=${migration:-unix:$dir/migration.sock}
    rm -f "$dir/migration.sock"

    if test "$proxy" = qemu; then
        test -n "$pvm_tap" && test -n "$svm_tap" \
            || die "proxy=qemu needs pvm-tap and svm-tap"
        # QEMU's own COLO proxy, as in QEMU's COLO-FT documentation, on
        # unix sockets: the primary mirrors what its NIC receives to the
        # secondary (mirror), sends its guest's output (compare0) and the
        # SVM's (compare1) to colo-compare, whose released packets
        # (compare_out) go out of its NIC; the secondary's NIC receives the
        # mirror and sends to compare1, through its filter-rewriter.
        local c="-chardev socket,path=$dir"
        pvm_proxy="$c/mirror.sock,id=mirror0,server=on,wait=off
            $c/compare1.sock,id=compare1,server=on,wait=off
            $c/compare0.sock,id=compare0,server=on,wait=off
            $c/compare0.sock,id=compare0-0
            $c/compare_out.sock,id=compare_out,server=on,wait=off
            $c/compare_out.sock,id=compare_out0
            -object filter-mirror,id=m0,netdev=n0,queue=tx,outdev=mirror0
            -object filter-redirector,id=redire0,netdev=n0,queue=rx,indev=compare_out
            -object filter-redirector,id=redire1,netdev=n0,queue=rx,outdev=compare0
            -object iothread,id=iothread1
            -object colo-compare,id=comp0,primary_in=compare0-0,secondary_in=compare1,outdev=compare_out0,iothread=iothread1"
        svm_proxy="$c/mirror.sock,id=red0,reconnect=1
            $c/compare1.sock,id=red1,reconnect=1
            -object filter-redirector,id=f1,netdev=n0,queue=tx,indev=red0
            -object filter-redirector,id=f2,netdev=n0,queue=rx,outdev=red1
            -object filter-rewriter,id=rew0,netdev=n0,queue=all"
    fi

    # shellcheck disable=SC2046,SC2086
    run_qemu "$dir" secondary "$img" "$svm_ns" $(nic_args "$svm_tap") \
        $svm_proxy -incoming "$uri"
    # shellcheck disable=SC2046,SC2086
    run_qemu "$dir" primary "$img" "$pvm_ns" $(nic_args "$pvm_tap") \
        $pvm_proxy

    wait_console "$dir/primary.console" "colo-vm: ready" 120 \
        || die "the primary guest did not boot: $(tail -5 "$dir/primary.console")"
    qmp "$dir/secondary-ops.qmp" migrate-set-capabilities \
        '{"capabilities": [{"capability": "x-colo", "state": true}]}' >/dev/null
    qmp "$dir/primary-ops.qmp" migrate-set-capabilities \
        '{"capabilities": [{"capability": "x-colo", "state": true}]}' >/dev/null
    # Periodic checkpoints every 10 minutes: the manager forces the ones
    # it needs.
    qmp "$dir/primary-ops.qmp" migrate-set-parameters \
        '{"x-checkpoint-delay": 600000}' >/dev/null
    qmp "$dir/primary-ops.qmp" migrate "{\"uri\": \"$uri\"}" >/dev/null
    local i
    for i in $(seq 1 600); do
        if qmp "$dir/primary-ops.qmp" query-colo-status \
               | grep '"mode": *"primary"' >/dev/null \
           && qmp "$dir/secondary-ops.qmp" query-colo-status \
               | grep '"mode": *"secondary"' >/dev/null; then
            echo "colo-vm: pair in COLO state (primary pid" \
                 "$(cat "$dir/primary.pid"), secondary pid" \
                 "$(cat "$dir/secondary.pid"))"
            return 0
        fi
        sleep 0.1
    done
    die "the pair did not reach COLO state: $(qmp "$dir/primary-ops.qmp" query-migrate)"
}

# wait_console FILE TEXT SECONDS
wait_console() {
    local i
    for i in $(seq 1 $(($3 * 10))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

checkpoint() {
    local dir=$1
    qmp "$dir/primary-ops.qmp" checkpoint
}

console_check() {
    local dir=$1 role bad=0
    for role in primary secondary; do
        if grep -E -n 'Oops|BUG|Kernel panic|list_del corruption|general protection' \
               "$dir/$role.console"; then
            echo "colo-vm: $role console shows a kernel error" >&2
            bad=1
        fi
    done
    return $bad
}

stop() {
    local dir=$1 role pid i
    for role in primary secondary; do
        test -f "$dir/$role.pid" || continue
        pid=$(cat "$dir/$role.pid")
        kill "$pid" 2>/dev/null || true
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$dir/$role.pid"
    done
}

cmd=$1
test -n "$cmd" || die "usage: colo-vm.sh image|start|checkpoint|console-check|stop ..."
shift
case $cmd in
    image) image ;;
    start) start "$@" ;;
    checkpoint) checkpoint "$@" ;;
    console-check) console_check "$@" ;;
    qmp) qmp "$@" ;;
    stop) stop "$@" ;;
    *) die "$cmd: unknown command" ;;
esac
