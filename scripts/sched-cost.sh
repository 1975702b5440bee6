#!/usr/bin/env bash
# The scheduler hook's cost (review item 8): hackbench and perf bench sched
# messaging, wakeup-heavy, on a kernel without memsched (nomemsched) and on
# the bench kernel with the tasks ungrouped and all in one memsched group
# (tools/memsched/msgroup), in the same guest shape.  Each case REPS times;
# prints every run and the median.  Then what a short-lived process costs
# (review item 9; tools/memsched/forkcost): fork+exit and fork+exec, alone
# and beside 300 idle processes, with knumad off and on.  Under TCG, compare the kernels with
# each other, not with hardware.  Results: build/bench-results/sched-*.txt.
#   scripts/sched-cost.sh [kernel-config...]   (default: nomemsched bench)
# A name with no configs/<name>.config uses build/<name>/arch/x86/boot/
# bzImage as it is: a kernel of an older commit, for a before/after.
set -euo pipefail
. "$(dirname "$0")/common.sh"

reps=${REPS:-3}
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(nomemsched bench)
"$TOP/scripts/kernel.sh" bench headers >/dev/null
mkdir -p "$BUILD/tools" "$BUILD/bench-results"
gcc -Wall -O2 -I"$BUILD/bench/usr/include" -o "$BUILD/tools/msgroup" \
	"$TOP/tools/memsched/msgroup.c"
gcc -Wall -O2 -o "$BUILD/tools/forkcost" "$TOP/tools/memsched/forkcost.c"
command -v hackbench >/dev/null || apt-get install -y rt-tests >/dev/null

cat >"$BUILD/tools/sched-guest.sh" <<'GUEST'
reps=$1 msgroup=$2 label=$3 forkcost=$4
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo 0 >/proc/sys/kernel/numa_balancing
if [ -e /sys/kernel/mm/knumad/enabled ]; then
	echo 0 >/sys/kernel/mm/knumad/enabled
fi
modes=plain
[ -e /sys/kernel/mm/memsched ] && modes="plain grouped"
for mode in $modes; do
	pre=
	[ $mode = grouped ] && pre=$msgroup
	for b in hackbench messaging; do
		t=$(for i in $(seq "$reps"); do
			if [ $b = hackbench ]; then
				$pre hackbench -g 4 -l 1000 2>/dev/null |
					awk '/^Time:/ {print $2}'
			else
				$pre perf bench sched messaging -g 4 -l 200 \
					2>/dev/null | awk '/Total time:/ {print $3}'
			fi
		done)
		echo "$label $mode $b runs (s): $(echo $t)"
		echo "result $label $mode $b median $(echo "$t" | med) s"
	done
done
knumad=off
[ -e /sys/kernel/mm/knumad/enabled ] && knumad="0 1"
for k in $knumad; do
	[ "$k" = off ] || echo "$k" >/sys/kernel/mm/knumad/enabled
	for bg in 0 300; do
		for i in $(seq "$reps"); do
			echo "result $label knumad=$k $($forkcost 400 $bg)"
		done
	done
done
GUEST
out="$BUILD/bench-results/sched-$(date +%Y%m%d-%H%M%S).txt"
for c in "${configs[@]}"; do
	# a name without a config fragment is a kernel built elsewhere and
	# copied to build/<name>/arch/x86/boot/bzImage (an older commit's)
	[ ! -f "$TOP/configs/$c.config" ] || "$TOP/scripts/kernel.sh" "$c"
	"$TOP/scripts/vm-run" --config "$c" --nodes 2 --cpus 4 --mem 2G \
		--timeout 2400 -- bash "$BUILD/tools/sched-guest.sh" "$reps" \
		"$BUILD/tools/msgroup" "$c" "$BUILD/tools/forkcost" |
		tee -a "$out"
done
echo
echo "== summary ($out)"
grep '^result' "$out" | sed 's/^result //'
