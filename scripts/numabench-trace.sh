#!/usr/bin/env bash
# One numabench workload under knumad with NUMABENCH_TRACE=1, in a guest:
# at every sample, each thread's node, its memsched group and home, and the
# nodes of its memory; then the run's summary and knumad's counters.  For
# looking into a bench result, not part of make bench.
#
# usage: scripts/numabench-trace.sh [--nodes N] [--thp] [WORKLOAD]
#        (default: 2 nodes, base pages, numa02; the bench kernel and
#        numabench must be built: make bench builds both)
set -uo pipefail
# shellcheck source=scripts/common.sh
. "$(dirname "$0")/common.sh"

nodes=2 thp=0 w=numa02
while [ $# -gt 0 ]; do
	case $1 in
	--nodes) nodes=$2; shift 2 ;;
	--thp) thp=1; shift ;;
	-*) die "unknown option $1" ;;
	*) w=$1; shift ;;
	esac
done
nb=$BUILD/bench-tools/numabench
[ -x "$nb" ] || die "no $nb: run make bench first"
# shellcheck disable=SC2016  # the guest expands them
exec "$TOP/scripts/vm-run" --config bench --nodes "$nodes" --cpus 4 --mem 2G \
	--timeout 200 -- bash -c '
	echo 1 >/sys/kernel/mm/knumad/enabled
	echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
	echo 0 >/proc/sys/kernel/numa_balancing
	th=; [ "$2" = 1 ] && th=--thp
	# shellcheck disable=SC2086
	NUMABENCH_TRACE=1 "$1" -w "$3" -M auto -m 320 -s 10 $th --label trace
	grep . /sys/kernel/mm/knumad/{full_scans,hint_faults,pages_migrated,thp_migrated}
	' - "$nb" "$thp" "$w"
