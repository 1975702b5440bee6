#!/usr/bin/env bash
# `make run`: boot a 2-node guest, show its topology, and run the vnuma
# sample (tools/memsched/vnuma.c): a QEMU-like process with one memsched
# group per virtual node, whose RAM starts misplaced on host node 0; then
# knumad moving an unmodified process's misplaced memory, with the locality
# printed as it climbs (tools/memsched/misplaced.c).
set -euo pipefail
. "$(dirname "$0")/common.sh"

config=${CONFIG:-test}
"$TOP/scripts/kernel.sh" "$config" headers >/dev/null
mkdir -p "$BUILD/tools"
gcc -Wall -O2 -isystem "$BUILD/$config/usr/include" \
	-o "$BUILD/tools/vnuma" "$TOP/tools/memsched/vnuma.c" -lpthread
gcc -Wall -O2 -o "$BUILD/tools/misplaced" "$TOP/tools/memsched/misplaced.c" \
	-lpthread

cat >"$BUILD/tools/demo-guest.sh" <<'GUEST'
set -e
echo "=== guest topology ==="
numactl --hardware
echo
echo "=== vnuma: 2 virtual nodes x 2 vCPUs, 64 MiB each, RAM first touched on node 0 ==="
"$1/vnuma" -n 2 -c 2 -m 64 -t 10 --misplace
echo
echo "=== the same without memsched ==="
"$1/vnuma" -n 2 -c 2 -m 64 -t 10 --misplace --no-memsched
echo
echo "=== knumad: an unmodified process, 64 MiB first touched on node 0, used from node 1 ==="
k=/sys/kernel/mm/knumad
echo 0 >/proc/sys/kernel/numa_balancing
echo 100 >$k/scan_sleep_millisecs
echo 1 >$k/enabled
"$1/misplaced" -m 64 -t 60 --label knumad
echo "knumad counters: $(cd $k && for f in full_scans pages_scanned hint_faults hint_faults_local pages_migrated thp_migrated migrate_failed; do printf '%s=%s ' $f "$(cat $f)"; done)"
echo 0 >$k/enabled
GUEST
"$TOP/scripts/vm-run" --config "$config" --nodes 2 --cpus 4 --mem 2G \
	--timeout 300 -- bash "$BUILD/tools/demo-guest.sh" "$BUILD/tools"
