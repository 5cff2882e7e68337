# colo-lib.sh -- helpers the COLO scripts share, sourced by them (colo-bed.sh
# sources it for the scripts that use the bed).
#
# Checks (colo-demo, colo-systest, colo-vmtest, colo-deb-test):
#
#   pass MESSAGE...   a check passed: counted in $passed, printed
#   fail MESSAGE...   a check failed: printed with the diagnosis, exit 1
#
# Before sourcing, a script may set COLO_CHECK_PREFIX, what each line starts
# with (default: the script's name and ": ").  It may define
# colo_check_diagnose, which fail runs (its output going to stderr) to show
# what an operator needs to see why a check failed.
#
# Statistics: ovs-vswitchd writes a pair's counters to the statistics column
# of its COLO row at most once a second (COLO_STATS_INTERVAL in
# vswitchd/colo-ctl.c), so a reader that needs the counts of what just
# happened waits for that first:
#
#   colo_stats_settle   waits until what happened before the call is in
#                       the database
#   colo_stat KEY [PAIR]  counter KEY of PAIR (vm1 by default) through
#                       ovs-vsctl (the bed has bed_stat NODE KEY for its
#                       nodes)

COLO_CHECK_PREFIX=${COLO_CHECK_PREFIX-$(basename "$0" .sh): }
passed=0

pass() {
    passed=$((passed + 1))
    echo "${COLO_CHECK_PREFIX}ok: $*"
}

fail() {
    echo "${COLO_CHECK_PREFIX}FAILED: $*" >&2
    if declare -F colo_check_diagnose >/dev/null; then
        colo_check_diagnose >&2 || true
    fi
    exit 1
}

colo_stats_settle() {
    sleep 1.5
}

colo_stat() {
    ovs-vsctl get COLO "${2:-vm1}" "statistics:$1"
}
