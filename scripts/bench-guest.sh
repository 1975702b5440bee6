#!/usr/bin/env bash
# The guest side of `make bench` (scripts/bench.sh): every workload in every
# mode, one after another in this guest.  Output: a "run ..." line before
# each run, the workload's own lines, and numabench's "json ..." line.
#   bench-guest.sh TOOLS REPS BASE_REPS SECS ONLY [MODES]
# ONLY: comma-separated workloads, or "all" (every one but scale).  scale is
# misplaced at each size of BENCH_SCALE_MIB (default "256 1024 4096") for
# BENCH_SCALE_SECS (default 60) each, with the most knumad regions the
# process had and the most slab charged to its memory cgroup ("regions N
# slab BYTES" after its run); bench.sh runs it in guests of
# its own, large enough for it.  The modes:
#   none      knumad off, kernel.numa_balancing=0
#   mainline  kernel.numa_balancing=1 at its default scan settings
#   numad     Debian's numad, unmodified: numad -i 1:2 -H 0 (see README)
#   knumad    knumad on at its defaults
#   memsched  explicit groups (numa02, vnuma), nothing automatic
#   hardbind  threads pinned and memory bound (MPOL_BIND): the ideal
set -u
tools=$1 reps=$2 base_reps=$3 secs=$4 only=$5 only_modes=${6:-all}
k=/sys/kernel/mm/knumad
nb=/proc/sys/kernel/numa_balancing
nodes=$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)
mib=320		# numad manages only processes of 300 MB or more

mount -t tmpfs tmpfs /var/log	# numad's log; the root is read-only
echo madvise >/sys/kernel/mm/transparent_hugepage/enabled
echo madvise >/sys/kernel/mm/transparent_hugepage/defrag
echo "bench: $(uname -r), $nodes nodes, $(nproc) CPUs, $(($(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024)) MiB"
echo "bench: guest RAM backed by the host before boot (BENCH_PREALLOC): ${BENCH_PREALLOC:-?}"
# BENCH_TRACE=1 (scripts/bench.sh): numabench's trace, and a dump of
# /proc/PID/memsched 5 s into each run
trace=${BENCH_TRACE:-0}
[ "$trace" = 1 ] && export NUMABENCH_TRACE=1
echo "bench: traced (BENCH_TRACE): $trace"
echo "bench: knumad defaults: scan_sleep_millisecs=$(cat $k/scan_sleep_millisecs)" \
	"pages_to_scan=$(cat $k/pages_to_scan)" \
	"migrate_rate_limit_mbps=$(cat $k/migrate_rate_limit_mbps)"
echo "bench: mainline: scan_delay_ms=$(cat /sys/kernel/debug/sched/numa_balancing/scan_delay_ms 2>/dev/null || echo ?)" \
	"scan_period_min_ms=$(cat /sys/kernel/debug/sched/numa_balancing/scan_period_min_ms 2>/dev/null || echo ?)" \
	"scan_size_mb=$(cat /sys/kernel/debug/sched/numa_balancing/scan_size_mb 2>/dev/null || echo ?)"

numad_pid() { cat /var/run/numad.pid 2>/dev/null; }

mode_on() {
	echo 0 >$nb
	echo 0 >$k/enabled
	case $1 in
	mainline) echo 1 >$nb ;;
	knumad) echo 1 >$k/enabled ;;
	numad)
		numad -i 1:2 -H 0
		for _ in $(seq 50); do [ -n "$(numad_pid)" ] && break; sleep 0.1; done
		kill -0 "$(numad_pid)" 2>/dev/null || return 1
		;;
	esac
}

mode_off() {
	local pid
	pid=$(numad_pid)
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
		rm -f /var/run/numad.pid
	fi
	echo 0 >$nb
	echo 0 >$k/enabled
}

# perf bench numa mem, with hardbind as its own -C/-M binding: process p
# on node p % nodes, its threads on that node's CPUs in turn.
perf_cmd() {
	local mode=$1 c m p t cpus
	# -0: first touch on CPU 0's node, so there is something to move;
	# not with hardbind, whose -M binds each process's memory to its node
	set -- perf bench numa mem -p 2 -t 2 -P "$mib" -m -c -s $((secs * 2))
	[ "$mode" = hardbind ] || set -- "$@" -0
	if [ "$mode" = hardbind ]; then
		c='' m=''
		for p in 0 1; do
			# shellcheck disable=SC2207
			cpus=($(awk -F, '{for (i = 1; i <= NF; i++) {n = split($i, r, "-"); for (c = r[1]; c <= r[n]; c++) print c}}' \
				/sys/devices/system/node/node$((p % nodes))/cpulist))
			for t in 0 1; do
				c+=${c:+,}${cpus[$((t % ${#cpus[@]}))]}
				m+=${m:+,}$((p % nodes))
			done
		done
		set -- "$@" -C "$c" -M "$m"
	fi
	echo "$@"
}

# workload:thp:modes
plan=(
	"misplaced:0:none mainline numad knumad hardbind"
	"misplaced:1:none mainline numad knumad hardbind"
	"numa02:0:none mainline numad knumad memsched hardbind"
	"numa02:1:none mainline numad knumad memsched hardbind"
	"numa01t:0:none mainline numad knumad hardbind"
	"numa01t:1:none mainline numad knumad hardbind"
	"shared:0:none mainline numad knumad hardbind"
	"vnuma:0:none mainline numad knumad memsched hardbind"
	"perf:0:none mainline numad knumad hardbind"
	"idle:0:none mainline numad knumad"
	"scale:0:mainline knumad"
)
scale_mib=${BENCH_SCALE_MIB:-256 1024 4096}
scale_secs=${BENCH_SCALE_SECS:-60}
idle_secs=${BENCH_IDLE_SECS:-60}
runs=()
for p in "${plan[@]}"; do
	w=${p%%:*} rest=${p#*:} thp=${rest%%:*} modes=${rest#*:}
	case ",$only," in *",$w,"*) ;; ",all,") [ "$w" != scale ] || continue ;; *) continue ;; esac
	sizes=$mib
	[ "$w" = scale ] && sizes=$scale_mib
	for r in $(seq "$reps"); do
		# the order of the modes turns by one each repetition
		# shellcheck disable=SC2086
		set -- $modes
		for _ in $(seq $(((r - 1) % $#))); do set -- "${@:2}" "$1"; done
		for size in $sizes; do
			for m in "$@"; do
				case ",$only_modes," in *",$m,"*|",all,") ;; *) continue ;; esac
				case $m in none|hardbind) [ "$r" -le "$base_reps" ] || continue ;; esac
				runs+=("$w $thp $m $r $size")
			done
		done
	done
done

# The most knumad regions any numabench process had while PID ran, and
# the most slab memory charged to the memory cgroup CG it ran in (knumad's
# regions and their xarray are charged to the process's memcg).
max_regions() {
	local max=0 slab=- n p
	while kill -0 "$1" 2>/dev/null; do
		for p in $(pgrep -x numabench); do
			n=$(awk '/^knumad regions/ {print $3}' /proc/"$p"/memsched 2>/dev/null)
			[ -n "$n" ] && [ "$n" -gt "$max" ] && max=$n
		done
		n=$(awk '$1 == "slab" {print $2}' "$2"/memory.stat 2>/dev/null)
		[ -n "$n" ] && { [ "$slab" = - ] || [ "$n" -gt "$slab" ]; } && slab=$n
		sleep 1
	done
	echo "regions $max slab $slab"
}

start=$(date +%s)
i=0
for run in "${runs[@]}"; do
	read -r w thp m r size <<<"$run"
	i=$((i + 1))
	now=$(date +%s)
	el=$((now - start))
	left=''
	[ $i -gt 1 ] && left=", about $(((el * (${#runs[@]} - i + 1) / (i - 1) + 30) / 60)) min left"
	name=$w
	[ "$thp" = 1 ] && name+=" thp"
	[ "$w" = scale ] && name+=" $size MiB"
	echo "bench: [$nodes nodes] run $i/${#runs[@]}: $name, $m, rep $r (${el} s elapsed$left)" >&2
	echo "run $w $thp $m $r $nodes"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	echo 1 >/proc/sys/vm/compact_memory
	if ! mode_on "$m"; then
		echo "bench: FAIL $w $m rep $r: numad did not start"
		mode_off
		continue
	fi
	tm=auto
	case $m in hardbind|memsched) tm=$m ;; esac
	th=''
	[ "$thp" = 1 ] && th=--thp
	dump=''
	if [ "$trace" = 1 ]; then
		(
			sleep 5
			for p in $(pgrep -x numabench); do
				grep -v '^region' /proc/"$p"/memsched 2>/dev/null |
					sed "s/^/memsched 5s pid $p: /"
			done
		) &
		dump=$!
	fi
	case $w in
	perf)
		# shellcheck disable=SC2046
		timeout $((secs * 4 + 120)) "$tools/numabench" -w cmd -s "$secs" --label "$r" -- $(perf_cmd "$m") 2>&1
		;;
	idle)
		# a long window: idle is what follows the first look at the
		# memory; numabench reports its first 8 s apart
		timeout $((idle_secs * 4 + 120)) "$tools/numabench" -w idle -m 1024 -s "$idle_secs" --label "$r"
		;;
	scale)
		# in a memory cgroup of its own, to read what it is charged
		cg=/sys/fs/cgroup/bench-scale
		# (without the memory controller the run goes on: "slab -")
		echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
		rmdir $cg 2>/dev/null
		mkdir -p $cg 2>/dev/null
		# shellcheck disable=SC2016
		timeout $((scale_secs * 4 + 300)) sh -c 'echo $$ >"$0"/cgroup.procs 2>/dev/null; exec "$@"' \
			$cg "$tools/numabench" -w misplaced -M auto \
			-m "$size" -s "$scale_secs" --label "$r" &
		pid=$!
		max_regions "$pid" $cg
		wait "$pid"
		st=$?
		rmdir $cg 2>/dev/null
		(exit $st)
		;;
	*)
		timeout $((secs * 4 + 120)) "$tools/numabench" -w "$w" -M "$tm" -m "$mib" -s "$secs" $th --label "$r"
		;;
	esac || echo "bench: FAIL $w $m rep $r (exit $?)"
	[ -z "$dump" ] || wait "$dump"
	echo "meminfo $(grep -E '^(AnonHugePages|MemFree)' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
	mode_off
done
echo "bench: done, $i runs in $(($(date +%s) - start)) s"
