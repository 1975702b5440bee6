#!/usr/bin/env bash
# `make bench`: every workload of tools/memsched/numabench.c (and perf
# bench numa mem) in every mode - none, mainline NUMA balancing, numad,
# knumad, memsched groups, hard binding - one after another in the same
# guest, on the bench kernel (no debugging options), on 2 and 4 nodes.
#   BENCH_REPS       repetitions of each automatic mode (default 3)
#   BENCH_BASE_REPS  repetitions of none and hardbind (default 1: they do
#                    not adapt, so they do not vary much)
#   BENCH_ONLY       workloads, comma-separated (default all): misplaced,
#                    numa02, numa01t, shared, vnuma, perf, idle, scale, qemu
#   BENCH_SCALE_MIB  scale's sizes on 2 nodes (default "256 1024 4096", in
#                    a 12 GiB guest); BENCH_SCALE8_MIB on 8 nodes, 8 CPUs
#                    (default 256, in a 4 GiB guest: 512 MiB a node)
#   BENCH_SCALE_SECS seconds per scale run (default 60), BENCH_SCALE_REPS
#                    repetitions (default 1); modes mainline and knumad
#   BENCH_MODES      modes, comma-separated (default all): none, mainline,
#                    numad, knumad, memsched, hardbind
#   BENCH_NODES      node counts (default "2 4")
#   BENCH_SECS       measured seconds per run (default 8)
#   BENCH_IDLE_SECS  the idle workload's window (default 60; its first 8 s
#                    are reported apart too)
#   BENCH_QEMU       qemu's modes, comma-separated (default all:
#                    memsched,knumad,mainline,none): a real inner guest with four guest
#                    nodes (scripts/qemu-e2e.sh) in the patched QEMU with
#                    memsched=on and in Debian's unmodified QEMU with
#                    knumad, mainline NUMA balancing or neither, on 2 nodes
#   BENCH_PREALLOC   1 (default): the host backs every guest's RAM before it
#                    boots (scripts/vm-run, VMRUN_PREALLOC); 0: lazily, as
#                    before 2026-12-06 - a guest's first runs then paid host
#                    page faults for memory moved into pages it never used
#   BENCH_TRACE      1: numabench traces each run (NUMABENCH_TRACE=1: at
#                    every sample each thread's node, group and home and
#                    its memory's nodes, "trace ..." lines), and every
#                    numabench process's /proc/PID/memsched but its region
#                    lines is dumped 5 s into the run ("memsched ..."
#                    lines); in raw-*.txt, for looking into a result.
#                    Default 0: the trace reads /proc at every sample
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
export VMRUN_PREALLOC=${BENCH_PREALLOC:-1}
case "$VMRUN_PREALLOC" in 0|1) ;; *) die "BENCH_PREALLOC takes 0 or 1" ;; esac
trace=${BENCH_TRACE:-0}
case "$trace" in 0|1) ;; *) die "BENCH_TRACE takes 0 or 1" ;; esac
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
idle_secs=${BENCH_IDLE_SECS:-60}
case "$idle_secs" in ''|*[!0-9]*|0) die "BENCH_IDLE_SECS takes a number of seconds" ;; esac
timeout=$(((reps * 39 + base_reps * 19) * (secs + 10) * 2 + 4 * (idle_secs + 10) * 2 + 600))
start=$(date +%s)
# numabench's workloads, the scale runs (scale) and the QEMU runs (qemu)
nb_only=$(tr , '\n' <<<"$only" | grep -vxE 'qemu|scale' | paste -sd, - || true)
run_qemu=0 run_scale=0
[ "$only" = all ] || grep -qx qemu < <(tr , '\n' <<<"$only") && run_qemu=1
[ "$only" = all ] || grep -qx scale < <(tr , '\n' <<<"$only") && run_scale=1
# guest_bench RAW WHAT VM-RUN-ARGS...: a bench-guest.sh run in a guest of
# its own, its output into RAW, its "bench:" lines shown; dies unless the
# guest exited 0 and the run said it was done.
guest_bench() {
	local raw=$1 what=$2 rc
	shift 2
	set +e
	"$TOP/scripts/vm-run" --config "$config" "$@" 2>&1 | tee "$raw" |
		grep --line-buffered -a '^bench:'
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" = 0 ] || die "$what guest failed (exit $rc): $raw"
	grep -q '^bench: done' "$raw" || die "$what run did not finish: $raw"
}

raws=()
[ -n "$nb_only" ] || node_counts=
for n in $node_counts; do
	raw=$res/raw-${n}nodes.txt
	msg "bench on $n nodes (raw output: ${raw#"$TOP"/})"
	guest_bench "$raw" "the $n-node" --nodes "$n" --cpus 4 --mem 4G \
		--timeout "$timeout" -- env BENCH_IDLE_SECS="$idle_secs" \
		BENCH_PREALLOC="$VMRUN_PREALLOC" BENCH_TRACE="$trace" \
		bash "$TOP/scripts/bench-guest.sh" "$tools" \
		"$reps" "$base_reps" "$secs" "$nb_only" "$modes"
	raws+=("$raw")
done
[ ${#raws[@]} = 0 ] || python3 "$TOP/scripts/bench-report.py" "$res" "${raws[@]}"

# Scale: misplaced at growing sizes, and on 8 nodes; guests of their own
# (a 4 GiB process first touched on one node needs a 6 GiB node).
if [ $run_scale = 1 ]; then
	scale_reps=${BENCH_SCALE_REPS:-1} scale_secs=${BENCH_SCALE_SECS:-60}
	for v in "$scale_reps" "$scale_secs"; do
		case "$v" in ''|*[!0-9]*) die "BENCH_SCALE_REPS and BENCH_SCALE_SECS take numbers" ;; esac
	done
	scale_raws=()
	for spec in "2 4 12G ${BENCH_SCALE_MIB:-256 1024 4096}" \
		    "8 8 4G ${BENCH_SCALE8_MIB:-256}"; do
		read -r n c mem sizes <<<"$spec"
		case "$sizes" in *[!0-9\ ]*|'') die "BENCH_SCALE_MIB, BENCH_SCALE8_MIB: sizes in MiB" ;; esac
		raw=$res/raw-scale-${n}nodes.txt
		nruns=$(($(wc -w <<<"$sizes") * 2 * scale_reps))
		msg "scale on $n nodes, $sizes MiB (raw output: ${raw#"$TOP"/})"
		guest_bench "$raw" "the $n-node scale" --nodes "$n" --cpus "$c" \
			--mem "$mem" --timeout $((nruns * (scale_secs * 3 + 120) + 600)) -- \
			env BENCH_SCALE_MIB="$sizes" BENCH_SCALE_SECS="$scale_secs" \
			BENCH_PREALLOC="$VMRUN_PREALLOC" \
			bash "$TOP/scripts/bench-guest.sh" "$tools" "$scale_reps" 1 \
			"$secs" scale "$modes"
		scale_raws+=("$raw")
	done
	python3 "$TOP/scripts/bench-report.py" --scale "$res" "${scale_raws[@]}"
fi

# A real VMM: the same inner guest and backends in every mode.  memsched
# is the patched QEMU; the others run Debian's own qemu-system-x86_64.
qmodes=$(tr , ' ' <<<"${BENCH_QEMU:-memsched,knumad,mainline,none}")
for m in $qmodes; do
	case "$m" in memsched|knumad|mainline|none) ;;
	*) die "BENCH_QEMU: memsched, knumad, mainline, none (comma-separated)" ;;
	esac
done
if [ $run_qemu = 1 ]; then
	case " $qmodes " in *" memsched "*)
		"$TOP/scripts/qemu.sh" >"$res/qemu-build.log" 2>&1 ||
			die "make qemu failed: $res/qemu-build.log" ;;
	esac
	for m in $qmodes; do
		raw=$res/raw-qemu-$m.txt
		msg "QEMU, a real inner guest on 2 nodes: $m (raw output: ${raw#"$TOP"/})"
		# booted, not restored: a restore populates every page of the
		# shared and hugetlb backends, pages the guest never touches
		# and knumad and NUMA balancing therefore never see, which
		# would flatter memsched (it moves whole bound ranges)
		q=(env E2E_SNAPSHOT=${E2E_SNAPSHOT:-0})
		[ "$m" = memsched ] || q+=(E2E_QEMU=/usr/bin/qemu-system-x86_64)
		"${q[@]}" "$TOP/scripts/qemu-e2e.sh" --nodes 2 --config "$config" \
			-- --mode "$m" >"$raw" 2>&1 || [ "$m" != memsched ] ||
			die "the memsched QEMU run failed: $raw"
		grep -a -E '^e2e: (final|PASS|FAIL|[a-z]+: 95%)' "$raw" | sed 's/^/  /' || true
	done
	python3 "$TOP/scripts/bench-report.py" --qemu "$res" $qmodes
fi
msg "make bench took $(($(date +%s) - start)) s; table: ${res#"$TOP"/}/bench.md"
