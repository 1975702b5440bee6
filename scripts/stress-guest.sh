#!/bin/bash
# The guest half of `make stress` (scripts/stress.sh runs it in vm-run on
# the test kernel): fuzzing, fault injection, unprivileged abuse, hotplug
# and memory pressure, STRESS_S seconds per phase, with knumad at
# aggressive knobs throughout.  One "stress: ok|FAIL <what>" line per
# check and "stress: info <what>" lines with the numbers; the exit status
# is the number of failed checks.  vm-run fails the run on any kernel
# report (WARN, BUG, KASAN, lockdep, RCU stall, hung task, kmemleak).
#   stress-guest.sh SECONDS TOOLS KSELFTESTS [PHASE...]
# PHASE: fuzz faults abuse hotplug (default: all).
# STRESS_KSFAULTS_RAN=1: the kselftest memsched_faults has just run in
# this guest (make test's slice): the faults phase does not run it again.
set -u
S=$1 T=$2 KS=$3
shift 3
phases=${*:-fuzz faults abuse hotplug}
K=/sys/kernel/mm/knumad M=/sys/kernel/mm/memsched
W=/tmp/stress
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
nfail=0

ok() { echo "stress: ok   $*"; }
bad() { echo "stress: FAIL $*"; nfail=$((nfail + 1)); }
info() { echo "stress: info [$SECONDS s] $*"; }
check() {	# check "what" command...
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
knumad_pid() { pgrep -x knumad | head -n 1; }
# "SCAN_NS MIGRATE_NS": what knumad charged to process $1 (0 0 if gone)
charged_ns() {
	cat "/proc/$1/memsched" 2>/dev/null |
	awk '/^knumad scanned/ { for (i = 1; i < NF; i++) {
		if ($i == "scan_ns") s = $(i + 1)
		if ($i == "migrate_ns") m = $(i + 1) } }
	     END { printf "%.0f %.0f\n", s, m }'	# mawk prints 3.9e+09
}
# CPU time of a task in ms: the scheduler's own count (schedstat), not
# utime + stime, which are tick samples: over the short windows of a
# make test slice (then 5 s) those were noise enough to fail a comparison
# (13.4% against 14.6% with a quarter of the work)
cpu_ms() { awk '{printf "%d\n", $1 / 1000000}' "/proc/$1/schedstat"; }
aggressive() {
	echo 1 >$K/enabled
	echo 100 >$K/scan_sleep_millisecs
	echo 65536 >$K/pages_to_scan
	echo 4096 >$K/migrate_rate_limit_mbps
}
alive() {	# the guest still answers: processes, /proc, memsched, knumad
	local out
	out=$(sh -c 'echo alive' 2>&1) && [ "$out" = alive ] &&
		cat /proc/self/memsched >/dev/null && [ -n "$(knumad_pid)" ] &&
		grep -q MemFree /proc/meminfo
}

nodes=$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)
# Everything runs from tmpfs: a process whose allocations are failed on
# purpose can break a 9p mount for everyone (seen with cache=none: every
# stat then fails with EINVAL), and this script and the tools are on one.
if [ "$0" != $W/bin/stress-guest.sh ]; then
	mkdir -p $W/bin $W/ks && chmod 1777 $W || exit 99
	cp "$0" "$T"/* $W/bin/ && cp -r "$KS"/memsched $W/ks/ || exit 99
	exec bash $W/bin/stress-guest.sh "$S" $W/bin $W/ks $phases
fi
cd $W || exit 99
echo 32 >/proc/sys/vm/nr_hugepages
aggressive
info "$nodes nodes, $(nproc) CPUs, ${S}s per phase, knumad: sleep $(cat $K/scan_sleep_millisecs) ms, pages_to_scan $(cat $K/pages_to_scan), rate $(cat $K/migrate_rate_limit_mbps) MiB/s"

# Memory for knumad to move all along (implicit groups form for it).
touch $W/run
( while [ -e $W/run ]; do
	if [ -e $W/pause ]; then sleep 1; continue; fi
	"$T/misplaced" -m 32 -t 20 -f $((nodes - 1)) >/dev/null 2>&1
  done ) &
bg_misplaced=$!

phase_fuzz() {
	local rc n trinity_pid
	info "fuzz: trinity -g vm as nobody and msfuzz (root and nobody) for ${S}s"
	mkdir -p $W/trinity && chown nobody $W/trinity
	# trinity takes a while to set up under TCG: the clock starts when
	# its children run
	(cd $W/trinity && exec "${NOBODY[@]}" trinity -q -g vm -C 2 -l off \
		--disable-fds=sockets,perf,pseudo,drm </dev/null >$W/trinity.log 2>&1) &
	trinity_pid=$!
	for n in $(seq 120); do
		grep -q 'fd providers' $W/trinity.log && break
		sleep 0.5
	done
	"$T/msfuzz" -t "$S" -p 4 -T 3 -u 65534 >$W/msfuzz.log 2>&1
	rc=$?
	pkill -INT trinity	# main prints "Ran N syscalls" once its children are gone
	for n in $(seq 60); do
		pgrep trinity >/dev/null || break
		sleep 0.5
	done
	pkill -KILL trinity
	wait $trinity_pid
	grep '^msfuzz: \(total\|tbind\|mbind\|prctl\|unexpected\|worker\)' $W/msfuzz.log |
		sed 's/^/stress: info /'
	grep 'UNEXPECTED' $W/msfuzz.log | head -n 5
	check "fuzz: msfuzz answers were all success or documented errnos (exit $rc)" \
		test $rc = 0
	# its total, or if it had to be killed, its last progress line
	n=$(grep -o 'Ran [0-9]* syscalls' $W/trinity.log | tail -n 1 | grep -o '[0-9]*')
	[ -n "$n" ] || n=$(grep -o '[0-9]* iterations' $W/trinity.log | tail -n 1 | grep -o '[0-9]*')
	info "fuzz: trinity (as nobody, -g vm, sockets/perf/pseudo/drm fds off: trinity 2023.01 segfaults making sockets here): $(grep -E 'Ran [0-9]* syscalls|[0-9]+ iterations' $W/trinity.log | tail -n 1)"
	check "fuzz: trinity ran syscalls (${n:-0})" test "${n:-0}" -gt 0
	[ "${n:-0}" -gt 0 ] || tail -n 8 $W/trinity.log
	check "fuzz: the guest still answers" alive
}

phase_faults() {
	local rc f0 f1 f2 m0 m1 m2 kp pid half=$((S / 2 > 5 ? S / 2 : 5))
	# make test's slice runs after this guest's kselftests, which ran
	# memsched_faults minutes before (33 s here, with knumad busy)
	if [ "${STRESS_KSFAULTS_RAN:-0}" = 1 ]; then
		info "faults: memsched_faults ran in this guest's kselftests (make test): not again"
	else
		info "faults: every allocation of ms_tbind/ms_mbind failed in turn (memsched_faults)"
		(cd "$KS/memsched" && ./memsched_faults) >$W/faults.log 2>&1
		rc=$?
		grep -E '^#.*(calls|made under)' $W/faults.log |
			sed 's/^# */stress: info faults: /'
		grep -E '^not ok' $W/faults.log
		check "faults: memsched_faults (exit $rc)" test $rc = 0
	fi

	# knumad's own allocations and migrations fail, then succeed again.
	kp=$(knumad_pid)
	for d in failslab fail_page_alloc; do
		echo Y >/sys/kernel/debug/$d/task-filter
		echo 0 >/sys/kernel/debug/$d/verbose
		echo -1 >/sys/kernel/debug/$d/times
		echo 1 >/sys/kernel/debug/$d/interval
		echo N >/sys/kernel/debug/$d/ignore-gfp-wait
		echo 100 >/sys/kernel/debug/$d/probability
	done
	echo N >/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem
	echo 0 >/sys/kernel/debug/fail_page_alloc/min-order
	# every allocation of the knumad thread failing: it samples nothing
	# new (the workload's threads still move what was decided)
	f0=$(cat $K/migrate_failed) m0=$(cat $K/pages_migrated)
	echo 1 >/proc/"$kp"/make-it-fail
	"$T/misplaced" -m 64 -t $((2 * half)) -f $((nodes - 1)) >$W/faults-misplaced.log 2>&1 &
	pid=$!
	sleep "$half"
	f1=$(cat $K/migrate_failed) m1=$(cat $K/pages_migrated)
	info "faults: knumad failing all its allocations for ${half}s: migrate_failed +$((f1 - f0)), pages_migrated +$((m1 - m0))"
	# only the page allocations (the migrations' destinations) failing,
	# of the knumad thread and of the workload's threads: they move
	# their own memory in task work (mm/knumad.c, knumad_task_move()).
	# Once the workload has touched its memory and its threads run (its
	# first progress line): its own faults allocate nothing then.  In a
	# slow guest the 64 MiB took longer than ${half}s to touch, the
	# failing faults stalled it, and nothing was left to fail (fc14,
	# 2026-12-02: migrate_failed +0, "VM_FAULT_OOM leaked" retries).
	echo 0 >/sys/kernel/debug/failslab/probability
	echo 0 >/proc/"$kp"/make-it-fail
	for _ in $(seq 120); do
		grep -q '% on node' $W/faults-misplaced.log && break
		sleep 0.5
	done
	f1=$(cat $K/migrate_failed) m1=$(cat $K/pages_migrated)
	echo 1 >/proc/"$kp"/make-it-fail
	for t in /proc/"$pid"/task/*/make-it-fail; do echo 1 >"$t"; done 2>/dev/null
	sleep "$half"
	echo 0 >/proc/"$kp"/make-it-fail
	for t in /proc/"$pid"/task/*/make-it-fail; do echo 0 >"$t"; done 2>/dev/null
	f2=$(cat $K/migrate_failed) m2=$(cat $K/pages_migrated)
	wait $pid
	info "faults: then only its page allocations for ${half}s: migrate_failed +$((f2 - f1)), pages_migrated +$((m2 - m1))"
	check "faults: knumad counted the migrations that failed" test $((f2 - f1)) -gt 0

	# One failure at a time: armed with times=1, the next allocation
	# knumad makes fails (slab and page allocator in turn), then the next
	# one, while the background workload gives it pages to move.  The
	# fault-injection stack traces (verbose=2) name the call site that
	# failed; the distinct knumad functions among them are reported
	# (the page allocator prints none for a __GFP_NOWARN allocation, as
	# a migration's destination is, and at most 10 every 5 s).
	local lines0 armed=0 hit=0 d sites end
	lines0=$(dmesg | wc -l)
	for d in failslab fail_page_alloc; do
		echo 0 >/sys/kernel/debug/$d/times
		echo 100 >/sys/kernel/debug/$d/probability
		echo 2 >/sys/kernel/debug/$d/verbose
	done
	echo 1 >/proc/"$kp"/make-it-fail
	end=$((SECONDS + half))
	while [ $SECONDS -lt $end ]; do
		d=failslab
		[ $((armed % 2)) = 1 ] && d=fail_page_alloc
		armed=$((armed + 1))
		echo 1 >/sys/kernel/debug/$d/times
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ "$(cat /sys/kernel/debug/$d/times)" = 0 ] && break
			sleep 0.1
		done
		if [ "$(cat /sys/kernel/debug/$d/times)" = 0 ]; then
			hit=$((hit + 1))
		else
			echo 0 >/sys/kernel/debug/$d/times
		fi
		sleep 0.5	# the stack-trace rate limit: 10 per 5 s
	done
	echo 0 >/proc/"$kp"/make-it-fail
	for d in failslab fail_page_alloc; do
		echo 0 >/sys/kernel/debug/$d/verbose
		echo -1 >/sys/kernel/debug/$d/times
	done
	sites=$(dmesg | tail -n +"$((lines0 + 1))" | awk '
		/FAULT_INJECTION: forcing a failure/ { want = 1; next }
		want && /knumad_[a-z_]*\+0x/ {
			match($0, /knumad_[a-z_]*\+/)
			print substr($0, RSTART, RLENGTH - 1); want = 0 }' |
		sort | uniq -c | sort -rn | awk '{printf "%s%s x%s", sep, $2, $1; sep = ", "}')
	info "faults: single failures: $armed armed, $hit injected into knumad; knumad call sites in the traces printed: ${sites:-none}"
	check "faults: single failures reached knumad" test "$hit" -gt 0
	# and retries once allocations work again (32 MiB: 64 took 30 s
	# to touch and move in a make test slice)
	"$T/misplaced" -m 32 -t 120 -f $((nodes - 1)) >$W/faults-after.log 2>&1
	rc=$?
	info "faults: then $(grep -o 'to95_s=[^ ]* final_pct=[^ ]*' $W/faults-after.log)"
	check "faults: knumad moves memory again once allocations work (exit $rc)" \
		test $rc = 0

	# Random slab failures (1 in 20) in fuzzing processes.
	for d in failslab fail_page_alloc; do
		echo 0 >/sys/kernel/debug/$d/probability
	done
	echo 5 >/sys/kernel/debug/failslab/probability
	"$T/msfuzz" -F -t "$half" -p 2 -T 2 -u 65534 >$W/msfuzz-faults.log 2>&1
	rc=$?
	grep -iE 'fatal|glibc|abort|smash' $W/msfuzz-faults.log | head -n 3 |
		sed 's/^/stress: info faults: msfuzz said: /'
	echo 0 >/sys/kernel/debug/failslab/probability
	grep '^msfuzz: \(total\|tbind\|mbind\|unexpected\|worker\)' $W/msfuzz-faults.log |
		sed 's/^/stress: info faults: /'
	grep 'UNEXPECTED' $W/msfuzz-faults.log | head -n 5
	check "faults: msfuzz with 5% of its slab allocations failing (exit $rc)" test $rc = 0
	check "faults: the guest still answers" alive
}

phase_abuse() {
	local f v w out n s0 s1 c0 c1 p0 p1 m0 m1 g0 g1 kp what secs bound cpu pid mapcount apid own worst ready t0
	info "abuse: an unprivileged user against the knobs, the quota, memory and knumad"
	# knobs: nobody can write any - nor open one for writing, which
	# also covers a knob that would refuse the value 7 (one shell as
	# nobody tries them all: a setpriv and a shell per knob took 20 s;
	# "true", not ":", whose failed redirection would end the shell)
	local knobs vals wrote
	knobs=$(find $K $M -maxdepth 1 -type f -perm -u=w)
	vals=$(cat $knobs)
	wrote=$("${NOBODY[@]}" sh -c 'for f; do
		if { true >>"$f"; } 2>/dev/null || { echo 7 >"$f"; } 2>/dev/null; then
			echo "$f"; fi; done' sh $knobs)
	[ -z "$wrote" ] || bad "abuse: nobody wrote $(echo $wrote)"
	[ "$(cat $knobs)" = "$vals" ] || bad "abuse: a knob changed under nobody's writes"
	ok "abuse: no knob under $K or $M is writable by nobody ($(echo $knobs | wc -w) knobs tried)"

	# groups of earlier phases are released asynchronously: a count
	# short of the quota must recover, a leaked one would not
	echo 64 >$M/max_groups_per_user
	for n in 1 2 3 4 5 6; do
		out=$("${NOBODY[@]}" "$T/msabuse" groups)
		[ "$out" = "msabuse: groups 64 errno EDQUOT" ] && break
		sleep 2
	done
	info "abuse: $out (max_groups_per_user 64, try $n)"
	check "abuse: group quota holds ($out)" test "$out" = "msabuse: groups 64 errno EDQUOT"
	echo 1024 >$M/max_groups_per_user

	# VMA splitting: bounded by vm.max_map_count (lowered to 16384 here,
	# 4096 in a short run, for time: every ms_mbind() splits under
	# KASAN), charged to the memcg
	mapcount=$(cat /proc/sys/vm/max_map_count)
	echo $((S >= 60 ? 16384 : 4096)) >/proc/sys/vm/max_map_count
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
	mkdir -p /sys/fs/cgroup/abuse
	s0=$(awk '/SUnreclaim/ {print $2}' /proc/meminfo)
	: >$W/split.log
	sh -c 'echo $$ >/sys/fs/cgroup/abuse/cgroup.procs &&
		exec "$@"' sh "${NOBODY[@]}" "$T/msabuse" split 100000 >$W/split.log 2>&1 &
	pid=$!
	for n in $(seq 600); do	# it holds the ranges 2 s after saying so
		grep -q 'msabuse: split' $W/split.log && break
		sleep 0.2
	done
	s1=$(awk '/SUnreclaim/ {print $2}' /proc/meminfo)
	wait $pid
	out=$(grep 'msabuse: split' $W/split.log)
	info "abuse: $out; max_map_count $(cat /proc/sys/vm/max_map_count); SUnreclaim +$((s1 - s0)) kB; cgroup memory.peak $(cat /sys/fs/cgroup/abuse/memory.peak 2>/dev/null || echo ?) bytes"
	check "abuse: splitting stops at max_map_count ($out)" \
		sh -c "echo '$out' | grep -q 'errno ENOMEM'"
	echo "$mapcount" >/proc/sys/vm/max_map_count
	rmdir /sys/fs/cgroup/abuse 2>/dev/null

	# knumad's CPU while nobody runs each abuse, at the default knobs and
	# with nothing else running: its work per second (pages armed, base
	# pages here) is bounded by pages_to_scan / scan_sleep_millisecs
	touch $W/pause
	pkill -x misplaced
	echo 1000 >$K/scan_sleep_millisecs
	echo 4096 >$K/pages_to_scan
	echo 256 >$K/migrate_rate_limit_mbps
	kp=$(knumad_pid)
	secs=$((S / 3 > 8 ? S / 3 : 8))
	bound=$((4096 * 1000 / 1000))
	# The sparse process is knumad's worst case per unit of its budget:
	# every unit is a 2 MiB region visited for one page.  Its CPU at the
	# default knobs is the bound for the others, and must follow
	# pages_to_scan: a quarter of the budget cuts the walk to a quarter,
	# while the cost of each pass (a wake-up, the process list, mmap_lock)
	# stays; measured 0.50 (S=60) and 0.56 (S=120) of the CPU at the full
	# budget, so the check asks for at most two thirds.
	#
	# The sparse windows open once the process has touched its pages
	# (not while it builds its page tables, nor while it exits), and
	# also say what knumad charged to that process (scan_ns, migrate_ns
	# in /proc/<pid>/memsched) and how many pages it moved in all.
	worst=
	for what in sparse sparse-quarter dense forks churn; do
		[ $what = sparse-quarter ] && echo 1024 >$K/pages_to_scan
		apid= own=
		case $what in
		sparse*)
			"${NOBODY[@]}" "$T/msabuse" sparse $((secs + 30)) \
				>$W/abuse-$what.log 2>&1 &
			apid=$! t0=$SECONDS
			for n in $(seq 300); do
				grep -q touched $W/abuse-$what.log && break
				sleep 0.2
			done
			if ! grep -q touched $W/abuse-$what.log; then
				bad "abuse: $what: msabuse did not set up its 16 TiB in 60 s: $(head -c 200 $W/abuse-$what.log)"
				kill "$apid" 2>/dev/null
				wait "$apid" 2>/dev/null
				[ $what = sparse ] && worst=
				continue
			fi
			own=" (set up in $((SECONDS - t0)) s)" ;;
		esac
		c0=$(cpu_ms "$kp") p0=$(cat $K/pages_scanned)
		m0=$(cat $K/pages_migrated)
		[ -n "$apid" ] && ready=$own own=$(charged_ns $apid)
		case $what in
		# 64 MiB in a short run: 256 MiB took 20 s to touch here
		dense) "${NOBODY[@]}" "$T/msabuse" dense $((S >= 60 ? 256 : 64)) "$secs" ;;
		sparse*) sleep "$secs" ;;
		*) "${NOBODY[@]}" "$T/msabuse" $what "$secs" ;;
		esac >>$W/abuse-$what.log 2>&1
		c1=$(cpu_ms "$kp") p1=$(cat $K/pages_scanned)
		m1=$(cat $K/pages_migrated)
		if [ -n "$apid" ]; then
			read -r s0 g0 <<<"$own"
			read -r s1 g1 < <(charged_ns $apid)
			t0=$SECONDS
			kill "$apid"
			wait "$apid" 2>/dev/null
			own="$ready, of it charged to the process: scan $(((s1 - s0) / 1000000)) ms, migrate $(((g1 - g0) / 1000000)) ms (gone in $((SECONDS - t0)) s)"
		fi
		echo 4096 >$K/pages_to_scan
		cpu=$(echo "scale=2; ($c1 - $c0) / 10 / $secs" | bc)
		info "abuse: $what for ${secs}s ($(grep -o 'msabuse: .*' $W/abuse-$what.log | tail -n 1)): knumad ${cpu}% of a CPU${own}, $(((p1 - p0) / secs)) pages armed/s (knobs allow $bound/s), $((m1 - m0)) pages migrated"
		check "abuse: $what: knumad arms at most pages_to_scan per scan_sleep (+25%)" \
			test $(((p1 - p0) / secs)) -le $((bound * 5 / 4))
		case $what in
		sparse) worst=$cpu ;;
		sparse-quarter)
			# Over the 8 s windows of the make test slice this failed
			# twice in three runs of 2026-12-01 (a quarter: 21.01%
			# against 14.65% at the full budget) while each window
			# ran from the sparse process's start to its exit: 4-11 s
			# of building its page tables and 0-5 s of exit (measured
			# since) inside a window divided by 8 s, knumad's work in
			# them counted as scanning.  What knumad did in those
			# seconds was not pinned down.  Windows from "touched" to
			# the kill: 0.13-0.33 of the full budget's CPU in seven
			# runs (five of the abuse phase alone, two make tests).
			# not vacuous: the full budget must have cost 2% of a
			# CPU (17.6-23.3% measured), or there is nothing to cut
			check "abuse: a quarter of pages_to_scan, knumad's CPU ${cpu}% <= 2/3 of ${worst:-?}% (+0.3), the full budget's >= 2%" \
				test "$(echo "scale=3; ${worst:-0} >= 2 && $cpu <= ${worst:-0} * 2 / 3 + 0.3" | bc)" = 1 ;;
		*)
			check "abuse: $what: knumad's CPU (${cpu}%) <= the sparse case's (${worst:-?}%) +0.5" \
				test "$(echo "$cpu <= ${worst:-0} + 0.5" | bc)" = 1 ;;
		esac
	done
	rm -f $W/pause
	aggressive
	check "abuse: the guest still answers" alive
}

phase_hotplug() {
	local last cpus c i n pid pids epids home bad_home t0 knob vals v w
	last=$((nodes - 1))
	cpus=$(tr ',' ' ' </sys/devices/system/node/node$last/cpulist)
	case "$cpus" in *-*) cpus=$(seq ${cpus%-*} ${cpus#*-}) ;; esac
	info "hotplug: node $last's CPUs ($(echo $cpus)) offline and online, memory filled, processes killed with moves queued, knumad toggled, knobs garbled"

	# groups live while their node's CPUs go away and come back
	"$T/vnuma" -n "$nodes" -c 1 -m 16 -t $((S + 30)) >$W/vnuma.log 2>&1 &
	pid=$!
	sleep 3
	bad_home=0
	t0=$SECONDS
	while [ $((SECONDS - t0)) -lt $((S / 2 > 6 ? S / 2 : 6)) ]; do
		for c in $cpus; do echo 0 >/sys/devices/system/cpu/cpu$c/online; done
		sleep 3
		home=$(awk '/^group/ {print $4}' /proc/$pid/memsched 2>/dev/null | sort -u | tr '\n' ' ')
		case " $home" in *" $last "*) bad_home=$((bad_home + 1)) ;; esac
		for c in $cpus; do echo 1 >/sys/devices/system/cpu/cpu$c/online; done
		sleep 1
	done
	info "hotplug: CPUs offline and online"
	check "hotplug: no group kept its home on node $last while it had no CPU ($bad_home times)" \
		test $bad_home = 0
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null

	# fill the node a group lives on: the group's memory spills, no OOM
	dmesg | grep -c 'Out of memory\|oom-kill' >$W/oom0
	"$T/msabuse" bound 64 $((S / 4 + 5)) >$W/bound.log 2>&1 &
	pid=$!
	for i in $(seq 100); do
		grep -q 'home [0-9]' $W/bound.log && break
		sleep 0.2
	done
	home=$(grep -o 'home [0-9]*' $W/bound.log | awk '{print $2}')
	c=$(awk '/MemFree/ {print int($4 / 1024)}' /sys/devices/system/node/node${home:-0}/meminfo)
	# ... and bind a range while the node is still full (the fill
	# holds its memory 6 s once it has it)
	"$T/msabuse" fill "${home:-0}" "$c" 6 >$W/fill.log 2>&1 &
	fpid=$!
	for i in $(seq 300); do
		grep -q 'preferring node' $W/fill.log && break
		kill -0 $fpid 2>/dev/null || break
		sleep 0.2
	done
	"$T/msabuse" bound 64 1 >$W/bound2.log 2>&1
	wait $fpid
	wait $pid
	info "hotplug: $(cat $W/bound.log); $(cat $W/fill.log); then $(cat $W/bound2.log)"
	check "hotplug: nothing OOM-killed while a group's node was full" \
		test "$(dmesg | grep -c 'Out of memory\|oom-kill')" = "$(cat $W/oom0)"
	check "hotplug: a range bound while a group's node was full was populated" \
		grep -q 'msabuse: bound 64 MiB' $W/bound2.log
	check "hotplug: the node filled was the group's home (${home:-none})" \
		grep -q "preferring node ${home:-none}:" $W/fill.log

	# processes killed or exec'd with background moves queued
	# (8 MiB each in a short run: 10 x 32 MiB took 37 s to populate)
	pids= epids= n=$((S >= 60 ? 20 : 5)) v=$((S >= 60 ? 32 : 8))
	for i in $(seq $n); do
		"$T/msabuse" queued $v &
		pids="$pids $!"
		"$T/msabuse" queued $v exec &
		epids="$epids $!"
	done
	sleep 1
	for p in $pids; do kill -9 "$p" 2>/dev/null; sleep 0.$((RANDOM % 3)); done
	wait $pids $epids 2>/dev/null
	ok "hotplug: $n processes killed and $n exec'd with moves queued"
	info "hotplug: knumad toggled and knobs garbled for $((S / 4 + 3)) s"

	# knumad on and off while it works; knobs garbled by several writers
	t0=$SECONDS
	( while [ $((SECONDS - t0)) -lt $((S / 4 + 3)) ]; do
		echo 0 >$K/enabled; sleep 0.2; echo 1 >$K/enabled; sleep 0.3
	  done ) &
	pids=$!
	for w in 1 2 3; do
		( while [ $((SECONDS - t0)) -lt $((S / 4 + 3)) ]; do
			for knob in $K/scan_sleep_millisecs $K/pages_to_scan \
				    $K/migrate_rate_limit_mbps $M/move_interval_ms \
				    $M/max_groups_per_user; do
				for v in -1 0 1 4294967296 18446744073709551616 abc '' \
					 ' 5' '5 ' 0x10 $((RANDOM)) $((RANDOM % 100 + 1)); do
					echo "$v" >$knob 2>/dev/null
				done
			done
		  done ) &
		pids="$pids $!"
	done
	wait $pids
	vals=
	for knob in $K/scan_sleep_millisecs $K/pages_to_scan $K/migrate_rate_limit_mbps \
		    $M/move_interval_ms $M/max_groups_per_user $K/enabled; do
		vals="$vals $(basename $knob)=$(cat $knob)"
	done
	info "hotplug: knobs after the writers:$vals"
	check "hotplug: every knob reads a valid value after garbage writes" \
		awk -v s="$vals" 'BEGIN { n = split(s, a, " "); for (i = 1; i <= n; i++) {
			split(a[i], kv, "="); v = kv[2] + 0;
			if (kv[2] !~ /^[0-9]+$/) exit 1;
			if (kv[1] == "scan_sleep_millisecs" && (v < 1 || v > 3600000)) exit 1;
			if (kv[1] == "pages_to_scan" && (v < 1 || v > 16777216)) exit 1;
			if (kv[1] == "migrate_rate_limit_mbps" && (v < 1 || v > 1048576)) exit 1;
			if (kv[1] == "move_interval_ms" && v > 60000) exit 1;
			if (kv[1] == "max_groups_per_user" && v < 1) exit 1;
			if (kv[1] == "enabled" && v > 1) exit 1 } }'
	echo 1024 >$M/max_groups_per_user
	echo 10 >$M/move_interval_ms
	aggressive
	check "hotplug: the guest still answers" alive
}

# A shell error inside a phase (bash: an arithmetic syntax error) ends
# this whole loop, not just the phase, and the rest of the script ran on
# as if all was well: seen with a count awk printed as 3.9e+09.  Each
# phase that ran to its end is counted, and a short count is a failure.
completed=0
for ph in $phases; do
	start=$SECONDS
	"phase_$ph"
	info "$ph: $((SECONDS - start)) s"
	completed=$((completed + 1))
done
set -- $phases
[ "$completed" = $# ] ||
	bad "only $completed of the $# phases ($phases) ran to their end: a shell error in $0 (above)"
rm -f $W/run
kill $bg_misplaced 2>/dev/null
wait 2>/dev/null
info "knumad totals: $(for f in full_scans pages_scanned hint_faults pages_migrated thp_migrated migrate_failed; do printf '%s %s, ' $f "$(cat $K/$f)"; done)"
echo "stress: $nfail failed"
exit $nfail
