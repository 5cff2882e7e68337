# colo-bootstrap.sh -- sourced by the quick-start scripts.
#
# Installs the Debian packages the build and tests need (only those that are
# missing; apt-get needs root), then configures and builds this repository
# in place if that has not been done yet.  Safe to run again: an up-to-date
# build costs a few seconds.

colo_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages: build (autotools, compiler, OVS's libraries and its
# source), tests (iproute2, procps, openssl for the test PKI; python3 with
# netaddr and pyparsing for OVS's flow-parser checks; groff for the man page
# checks; graphviz for the schema diagram in ovs-vswitchd.conf.db(5);
# python3-docutils to check README.rst, Documentation/ and the man pages in
# "make check-style" and to build the man pages;
# qemu-system-x86 for the interop test against QEMU's colo-compare), and the
# demo and system tests (iproute2 for namespaces, ethtool to turn off veth
# checksum offload, curl as the client).
COLO_PACKAGES="openvswitch-source build-essential autoconf automake libtool
pkg-config libssl-dev libcap-ng-dev libunbound-dev openssl procps iproute2
python3 python3-netaddr python3-pyparsing groff graphviz git qemu-system-x86
ethtool curl valgrind python3-docutils"

colo_install_packages() {
    local missing=""
    for p in $COLO_PACKAGES; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
                | grep -q "install ok installed"; then
            missing="$missing $p"
        fi
    done
    test -n "$missing" || return 0
    if test "$(id -u)" != 0; then
        echo "colo: missing Debian packages:$missing" >&2
        echo "colo: run as root, or: apt-get install$missing" >&2
        return 1
    fi
    echo "colo: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

colo_build() {
    local jobs
    jobs=$(nproc 2>/dev/null || echo 2)
    cd "$colo_top" || return 1
    if test ! -x configure; then
        echo "colo: autoreconf"
        autoreconf -fi >/dev/null 2>&1 || autoreconf -fi || return 1
    fi
    if test ! -f Makefile; then
        echo "colo: configure"
        ./configure >/dev/null || return 1
    fi
    echo "colo: make -j$jobs (first build: about 2 minutes)"
    make -j"$jobs" >build.log 2>&1 || {
        tail -40 build.log
        echo "colo: build failed, see $colo_top/build.log" >&2
        return 1
    }
}

colo_bootstrap() {
    colo_install_packages && colo_build
}
