#!/bin/bash
# colo-test.sh -- installs and builds what is missing, then runs the tests:
# our autotests (tests/colo.at), the upstream OVS suites our patches touch,
# the check that ovs-patches/ matches the prepared OVS tree, our autotests
# again on a build with AddressSanitizer (leak detection on) and
# UndefinedBehaviorSanitizer ("make check-asan", about 12 more minutes),
# and, as root, the system tests with real traffic on the two-node bed
# (utilities/colo-systest.sh, the failover trials, the QEMU pair), then the
# Debian packages built ("make deb") and their install test in a clean
# Debian 12 chroot ("make check-deb", about 10 minutes the first time).
#
# Extra arguments go to autotest, e.g.: utilities/colo-test.sh -k colo -v
#
# RECHECK=yes reruns a failed test once: some upstream tests are
# timing-sensitive on a loaded 2-core machine (the worst are left out, see
# build-aux/flaky-upstream-tests); a real failure fails twice.
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
colo_bootstrap

cd "$colo_top"
make check-patches check-style
make check RECHECK=yes TESTSUITEFLAGS="-j$(nproc) $*"
make check-asan RECHECK=yes TESTSUITEFLAGS="-j$(nproc) $*"
if test "$(id -u)" = 0; then
    make check-system
    make check-deb
else
    echo "colo-test: not root: system tests (make check-system) skipped"
fi
