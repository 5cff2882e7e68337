#!/bin/bash
# colo-test.sh -- installs and builds what is missing, then runs the tests:
# our autotests (tests/colo.at), the upstream OVS suites our patches touch,
# and the check that ovs-patches/ matches the prepared OVS tree.
#
# Extra arguments go to autotest, e.g.: utilities/colo-test.sh -k colo -v
#
# RECHECK=yes reruns a failed test once: a few upstream ovsdb-idl tests are
# timing-sensitive and fail now and then on a loaded 2-core machine (seen
# here for "track, simple idl, initially empty, strong references, insert
# and delete - C"); a real failure fails twice.
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
colo_bootstrap

cd "$colo_top"
make check-patches check-style
make check RECHECK=yes TESTSUITEFLAGS="-j$(nproc) $*"
