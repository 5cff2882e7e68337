#!/bin/bash
# colo-fuzz.sh -- builds the libFuzzer targets of tests/fuzz/ with clang
# (AddressSanitizer and UndefinedBehaviorSanitizer on) and runs each for
# COLO_FUZZ_SECONDS (default 120) from its committed seed corpus
# (tests/fuzz/corpus/TARGET), in a scratch copy of it; prints executions,
# coverage and the result of each.  A crash leaves its input in
# $COLO_FUZZ_DIR (default /tmp/colo-fuzz) and makes the script fail.
# "make fuzz" runs it.
#
#   utilities/colo-fuzz.sh [TARGET...]    frame packet compare rewrite notify
set -e
. "$(dirname "$0")/colo-bootstrap.sh"
colo_bootstrap
if ! command -v clang >/dev/null; then
    echo "colo-fuzz: installing clang"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q clang >/dev/null
fi

seconds=${COLO_FUZZ_SECONDS:-120}
dir=${COLO_FUZZ_DIR:-/tmp/colo-fuzz}
targets=${*:-frame packet compare rewrite notify}
ovs=$colo_top/ovs
build=$colo_top/ovs-build
mkdir -p "$dir"

sources() {
    case $1 in
        frame) echo lib/colo/colo-frame.c ;;
        notify) echo lib/colo/colo-notify.c ;;
        packet) echo lib/colo/colo-packet.c ;;
        compare) echo lib/colo/colo-compare.c lib/colo/colo-packet.c \
                      lib/colo/colo-config.c tests/colo-test-packet.c ;;
        rewrite) echo lib/colo/colo-rewrite.c lib/colo/colo-packet.c \
                      lib/colo/colo-config.c tests/colo-test-packet.c ;;
        *) echo "colo-fuzz: unknown target $1" >&2; return 1 ;;
    esac
}

status=0
for t in $targets; do
    srcs=$(sources "$t")
    bin=$dir/fuzz-colo-$t
    (cd "$ovs" && clang -g -O1 -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
        -I"$build" -I"$ovs" -I"$ovs/include" -I"$build/include" \
        -I"$ovs/lib" -I"$build/lib" \
        "$colo_top/tests/fuzz/fuzz-colo-$t.c" $srcs \
        "$build/lib/.libs/libopenvswitch.a" \
        "$build/lib/.libs/libopenvswitchavx512.a" \
        -lssl -lcrypto -lcap-ng -latomic -lm -lunbound -lpthread \
        -o "$bin")
    rm -rf "$dir/corpus-$t" "$dir/$t-"*
    mkdir -p "$dir/corpus-$t"
    cp "$colo_top/tests/fuzz/corpus/$t/"* "$dir/corpus-$t/" 2>/dev/null || true
    log=$dir/fuzz-colo-$t.log
    if (cd "$dir" && "$bin" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$dir/$t-" "$dir/corpus-$t" >"$log" 2>&1); then
        result=ok
    else
        result="FAILED (see $log and $dir/$t-*)"
        status=1
    fi
    printf '%-8s %12s execs %8s exec/s  cov %5s  ft %6s  corpus %5s  %s\n' \
        "$t" \
        "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
        "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" \
        "$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" \
        "$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" \
        "$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" \
        "$result"
done
exit $status
