#!/usr/bin/env bash
# `make bench`: every workload of tools/memsched/numabench.c (and perf
# bench numa mem) in every mode - none, mainline NUMA balancing, numad,
# knumad, memsched groups, hard binding - one after another in the same
# guest, on the bench kernel (no debugging options), on 2 and 4 nodes.
#   BENCH_REPS       repetitions of each automatic mode (default 3)
#   BENCH_BASE_REPS  repetitions of none and hardbind (default 1: they do
#                    not adapt, so they do not vary much)
#   BENCH_ONLY       workloads, comma-separated (default all): misplaced,
#                    numa02, numa01t, shared, vnuma, perf, idle
#   BENCH_MODES      modes, comma-separated (default all): none, mainline,
#                    numad, knumad, memsched, hardbind
#   BENCH_NODES      node counts (default "2 4")
#   BENCH_SECS       measured seconds per run (default 8)
# Output in build/bench-results/: bench.md, bench.json, *.png, raw-*.txt.
set -euo pipefail
. "$(dirname "$0")/common.sh"

config=${CONFIG:-bench}
reps=${BENCH_REPS:-3}
base_reps=${BENCH_BASE_REPS:-1}
only=${BENCH_ONLY:-all}
modes=${BENCH_MODES:-all}
node_counts=${BENCH_NODES:-2 4}
secs=${BENCH_SECS:-8}
for v in "$reps" "$base_reps" "$secs"; do
	case "$v" in ''|*[!0-9]*) die "BENCH_REPS, BENCH_BASE_REPS and BENCH_SECS take numbers" ;; esac
done
case "$only" in all|*[!a-z0-9,]*) [ "$only" = all ] || die "BENCH_ONLY: workload names, comma-separated" ;; esac
case "$modes" in all|*[!a-z,]*) [ "$modes" = all ] || die "BENCH_MODES: mode names, comma-separated" ;; esac

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh" >/dev/null
"$TOP/scripts/kernel.sh" "$config"
"$TOP/scripts/kernel.sh" "$config" headers >/dev/null
tools=$BUILD/bench-tools
res=$BUILD/bench-results
mkdir -p "$tools" "$res"
# static: the guest runs it with no library read over 9p
gcc -static -Wall -O2 -I"$BUILD/$config/usr/include" -o "$tools/numabench" \
	"$TOP/tools/memsched/numabench.c" -lpthread

# 39 runs per repetition of the automatic modes, 19 per base repetition
# (bench-guest.sh's plan), each about SECS + 10 s: twice that, and a margin
timeout=$(((reps * 39 + base_reps * 19) * (secs + 10) * 2 + 600))
start=$(date +%s)
raws=()
for n in $node_counts; do
	raw=$res/raw-${n}nodes.txt
	msg "bench on $n nodes (raw output: ${raw#"$TOP"/})"
	set +e
	"$TOP/scripts/vm-run" --config "$config" --nodes "$n" --cpus 4 --mem 4G \
		--timeout "$timeout" -- bash "$TOP/scripts/bench-guest.sh" "$tools" \
		"$reps" "$base_reps" "$secs" "$only" "$modes" 2>&1 | tee "$raw" |
		grep --line-buffered -a '^bench:'
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" = 0 ] || die "the $n-node guest failed (exit $rc): $raw"
	grep -q '^bench: done' "$raw" || die "the $n-node run did not finish: $raw"
	raws+=("$raw")
done
python3 "$TOP/scripts/bench-report.py" "$res" "${raws[@]}"
msg "make bench took $(($(date +%s) - start)) s; table: ${res#"$TOP"/}/bench.md"
