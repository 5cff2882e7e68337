#!/bin/bash
# colo-deb.sh [OUTDIR] -- builds Debian packages of the patched Open vSwitch
# ("make deb"; OUTDIR defaults to deb/ at the top of this repository).
# Needs root (apt-get installs the build dependencies).
#
# The source package is Debian's own: the tree that openvswitch-source
# ships (OVS 3.1.0 with Debian's patches applied, which this script takes
# off again, so that the tree is upstream's and debian/patches/series
# applies as in the archive), debian/ from the archive's
# openvswitch_3.1.0-2+deb12u1.debian.tar.xz (fetched with a private apt
# configuration that has a deb-src line, its SHA256 checked against the
# archive's signed index and against the value below), and this project
# added to the series: the overlay (lib/colo/, vswitchd/colo*, tests/colo*,
# utilities/ovs-colo*) as one patch of new files, then ovs-patches/*.patch.
# packaging/debian/ holds the rest: debian.diff (no DPDK flavour, a
# build dependency on python3-docutils for the man pages, the package
# openvswitch-colo and its units) and the openvswitch-colo.* files.
#
# Built: the architecture-dependent packages (dpkg-buildpackage -B):
# openvswitch-common, openvswitch-switch, python3-openvswitch,
# openvswitch-colo and the others of Debian's set that come from the same
# build (ipsec, vtep, testcontroller); version 3.1.0-2+deb12u1+colo1.
# DEB_BUILD_OPTIONS defaults to "nocheck parallel=NPROC": the tests run
# in "make check" (set DEB_BUILD_OPTIONS to run them here too).  lintian
# then checks the result (its findings go to OUTDIR/lintian.txt).
set -e
. "$(dirname "$0")/colo-bootstrap.sh"

DEB_VERSION=3.1.0-2+deb12u1
COLO_DEB_VERSION=$DEB_VERSION+colo1
DEBIAN_TAR=openvswitch_$DEB_VERSION.debian.tar.xz
DEBIAN_TAR_SHA256=a73be9099e7014117cc7625711efeed1e0b90c2cef3a3341f146cfb7ce37df8d

out=$(mkdir -p "${1:-$colo_top/deb}" && cd "${1:-$colo_top/deb}" && pwd)
work=$out/work
tree=$work/openvswitch-3.1.0

die() {
    echo "colo-deb: $*" >&2
    exit 1
}

test "$(id -u)" = 0 || die "needs root (apt-get build-dep)"
colo_install_packages
for p in dpkg-dev lintian; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
        | grep -q "install ok installed" \
        || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
               --no-install-recommends "$p" >/dev/null 2>&1
done

# The patched OVS tree (ovs/), prepared from openvswitch-source.
cd "$colo_top"
test -x configure || autoreconf -fi >/dev/null
test -f Makefile || ./configure >/dev/null
make ovs-prepared.stamp >/dev/null
pristine=$(git -C ovs log --format=%H --grep='^Pristine Open vSwitch' | tail -1)
test -n "$pristine" || die "ovs/ has no pristine commit"

# Debian's debian/ directory, from the archive.
if ! echo "$DEBIAN_TAR_SHA256  $out/$DEBIAN_TAR" | sha256sum -c --status \
        2>/dev/null; then
    apt=$out/apt
    mkdir -p "$apt/lists/partial"
    uris=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources \
               2>/dev/null | grep -v security | head -1)
    echo "deb-src ${uris:-http://deb.debian.org/debian} bookworm main" \
        >"$apt/sources.list"
    aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list"
             -o Dir::Etc::SourceParts=/dev/null
             -o "Dir::State::Lists=$apt/lists")
    apt-get -qq "${aptopts[@]}" update
    line=$(apt-get -qq "${aptopts[@]}" source --print-uris \
               "openvswitch=$DEB_VERSION" | grep "debian.tar")
    url=$(echo "$line" | cut -d"'" -f2)
    sha=$(echo "$line" | sed -n 's/.*SHA256:\([0-9a-f]*\).*/\1/p')
    test "$sha" = "$DEBIAN_TAR_SHA256" \
        || die "the archive's $DEBIAN_TAR has SHA256 $sha, not $DEBIAN_TAR_SHA256"
    # (Run as root, apt-helper downloads unsandboxed into $out and says
    # so: not an error.)
    /usr/lib/apt/apt-helper download-file "$url" "$out/$DEBIAN_TAR" \
        "SHA256:$sha" >"$apt/download.log" 2>&1 \
        || die "download of $url failed: $(cat "$apt/download.log")"
fi

echo "colo-deb: source tree in $tree"
rm -rf "$work"
mkdir -p "$work"
git -C ovs archive --prefix=openvswitch-3.1.0/ "$pristine" | tar -x -C "$work"
rm -rf "$tree/debian"
tar -x -C "$tree" -f "$out/$DEBIAN_TAR"
cd "$tree"
# Take Debian's patches off (openvswitch-source ships them applied).
for p in $(sed -e 's/#.*//' -e '/^ *$/d' debian/patches/series | tac); do
    patch -R -p1 -s --no-backup-if-mismatch <"debian/patches/$p" \
        || die "Debian's $p does not come off openvswitch-source's tree"
done

# This project's part: the overlay as one patch of new files, then the
# hooks.
overlay=$work/overlay
mkdir -p "$overlay"
sh "$colo_top/build-aux/ovs-tree" sync "$colo_top" "$overlay"
{
    echo "Description: COLO proxy: lib/colo/, vswitchd/colo*, tests/colo*,"
    echo " utilities/ovs-colo* (new files)."
    echo "Forwarded: not-needed"
    echo
    while read -r f; do
        diff -u --label /dev/null --label "b/$f" /dev/null "$overlay/$f" \
            || test $? = 1
    done <"$overlay/.colo-overlay"
} >debian/patches/colo-overlay.patch
echo colo-overlay.patch >>debian/patches/series
for p in $(sed -e 's/#.*//' -e '/^ *$/d' "$colo_top/ovs-patches/series"); do
    cp "$colo_top/ovs-patches/$p" debian/patches/
    echo "$p" >>debian/patches/series
done

patch -p1 -s --no-backup-if-mismatch <"$colo_top/packaging/debian/debian.diff"
# (debian/openvswitch-switch-dpdk.* stay: debian/automake.mk distributes
# them, and no package uses them.)
cp "$colo_top"/packaging/debian/openvswitch-colo.* debian/
when=$(git -C "$colo_top" log -1 --format=%aD 2>/dev/null || date -R)
# Who signs the entry: DEBFULLNAME and DEBEMAIL, as for dch, or the author
# of this repository's last commit.
who="${DEBFULLNAME:-$(git -C "$colo_top" log -1 --format=%an)}"
who="$who <${DEBEMAIL:-$(git -C "$colo_top" log -1 --format=%ae)}>"
{
    echo "openvswitch ($COLO_DEB_VERSION) bookworm; urgency=medium"
    echo
    echo "  * COLO proxy (https://wiki.qemu.org/Features/COLO) in Open vSwitch:"
    echo "    the colo port type, the colo_mirror, colo_rewrite and colo_compare"
    echo "    actions and the COLO table (patches colo-overlay.patch and"
    echo "    00*.patch); new package openvswitch-colo (ovs-colo-manager,"
    echo "    ovs-colo-notify, their systemd units, disabled until configured)."
    echo "  * No DPDK flavour (openvswitch-switch-dpdk)."
    echo
    echo " -- $who  $when"
    echo
    cat debian/changelog
} >debian/changelog.new
mv debian/changelog.new debian/changelog
test "$(dpkg-parsechangelog -S Version)" = "$COLO_DEB_VERSION"
# debian/automake.mk would remake debian/copyright from AUTHORS.rst, newer
# here than in Debian's tree, with a script meant for upstream's: keep
# Debian's.
touch debian/copyright

echo "colo-deb: build dependencies"
DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq "$tree" >"$out/build-dep.log" 2>&1 \
    || die "apt-get build-dep failed: see $out/build-dep.log"
echo "colo-deb: dpkg-buildpackage -B (log: $out/build.log)"
start=$(date +%s)
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck parallel=$(nproc)}
# Debian's tools and python3 only (not a python3 earlier on PATH, which
# would build python3-openvswitch for itself and lack apt's modules).
PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    dpkg-buildpackage -B -us -uc >"$out/build.log" 2>&1 || {
    tail -40 "$out/build.log"
    die "dpkg-buildpackage failed: see $out/build.log"
}
echo "colo-deb: built in $(( $(date +%s) - start )) s"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
lintian --tag-display-limit 0 "$out"/*.changes >"$out/lintian.txt" 2>&1 \
    || true
echo "colo-deb: lintian: $(grep -c '^E:' "$out/lintian.txt") errors," \
     "$(grep -c '^W:' "$out/lintian.txt") warnings ($out/lintian.txt)"
ls "$out"/*.deb
