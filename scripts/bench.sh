#!/usr/bin/env bash
# `make bench`: knumad against mainline NUMA balancing on the same
# misplaced-private workload, in the same guest, with the bench kernel (no
# debugging options).  Each case: SIZE MiB first touched on node 0, then
# used by 2 threads on node 1 only; the time to 95% on node 1, the passes
# of the balancer in charge, hinting faults, pages migrated and CPU time.
# Results: stdout and build/bench-results/<date>.txt.
set -euo pipefail
. "$(dirname "$0")/common.sh"

config=${CONFIG:-bench}
size=${BENCH_MB:-256}
"$TOP/scripts/kernel.sh" "$config"
"$TOP/scripts/kernel.sh" "$config" headers >/dev/null
mkdir -p "$BUILD/tools" "$BUILD/bench-results"
gcc -Wall -O2 -o "$BUILD/tools/misplaced" "$TOP/tools/memsched/misplaced.c" \
	-lpthread

cat >"$BUILD/tools/bench-guest.sh" <<'GUEST'
set -e
tool=$1 size=$2
k=/sys/kernel/mm/knumad
nb=/proc/sys/kernel/numa_balancing
uname -r
for thp in "" --thp; do
	echo "--- knumad (enabled=1, kernel.numa_balancing=0), default knobs:" \
		"scan_sleep_millisecs=$(cat $k/scan_sleep_millisecs)" \
		"pages_to_scan=$(cat $k/pages_to_scan)" \
		"migrate_rate_limit_mbps=$(cat $k/migrate_rate_limit_mbps)"
	echo 0 >$nb
	echo 1 >$k/enabled
	"$tool" -m "$size" -t 300 $thp --label "knumad${thp:+-thp}" || true
	echo 0 >$k/enabled
	echo "--- mainline (kernel.numa_balancing=1, knumad off), default sysctls:" \
		"scan_delay_ms=$(cat /proc/sys/kernel/numa_balancing_scan_delay_ms 2>/dev/null || echo ?)" \
		"scan_size_mb=$(cat /proc/sys/kernel/numa_balancing_scan_size_mb 2>/dev/null || echo ?)"
	echo 1 >$nb
	"$tool" -m "$size" -t 300 $thp --label "mainline${thp:+-thp}" || true
	echo 0 >$nb
done
GUEST
out="$BUILD/bench-results/$(date +%Y%m%d-%H%M%S).txt"
"$TOP/scripts/vm-run" --config "$config" --nodes 2 --cpus 4 --mem 2G \
	--timeout 1500 -- bash "$BUILD/tools/bench-guest.sh" \
	"$BUILD/tools/misplaced" "$size" | tee "$out"
echo
echo "== summary ($out)"
grep '^result' "$out" | sed 's/^result //'
