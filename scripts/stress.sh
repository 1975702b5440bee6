#!/usr/bin/env bash
# `make stress`: syscall fuzzing (trinity's vm group and tools/memsched/
# msfuzz), fault injection, unprivileged abuse, CPU hotplug and memory
# pressure, on the test kernel (KASAN, lockdep, DEBUG_VM, kmemleak, hung
# task detection), on 2 and 4 nodes.  The phases are in
# scripts/stress-guest.sh; vm-run fails a guest on any kernel report.
#   STRESS_S   seconds per phase (default 120: about 20 minutes in all)
#   STRESS_NODES  node counts (default "2 4")
#   STRESS_BUILT=1  the tree, test kernel and headers are built (make
#                 test sets it after building them): do not make them again
#   STRESS_TOOLS_ONLY=1  build the tools and kselftests, run nothing
#                 (make test runs its slice in the 2-node kselftest guest)
#   STRESS_E2E=0  skip the QEMU end-to-end test on the test kernel
#   scripts/stress.sh [PHASE...]   (fuzz faults abuse hotplug; default all,
#                 and then the QEMU end-to-end test on the test kernel)
# Ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
. "$(dirname "$0")/common.sh"

S=${STRESS_S:-120}
node_counts=${STRESS_NODES:-2 4}
case "$S" in ''|*[!0-9]*) die "STRESS_S must be a number of seconds" ;; esac
# make test has just built the tree, the kernel and its headers (20 s
# of make finding nothing to do, twice over)
if [ "${STRESS_BUILT:-0}" != 1 ]; then
	"$TOP/scripts/deps.sh" || exit 1
	"$TOP/scripts/tree.sh" >/dev/null || exit 1
	"$TOP/scripts/kernel.sh" test || exit 1
	"$TOP/scripts/kernel.sh" test headers >/dev/null || exit 1
fi
tools=$BUILD/stress-tools
mkdir -p "$tools" "$LOGS"
# static: the guest runs them from tmpfs, with no library read over 9p
for t in msfuzz msabuse misplaced vnuma; do
	gcc -static -Wall -O2 -I"$BUILD/test/usr/include" -o "$tools/$t" \
		"$TOP/tools/memsched/$t.c" -lpthread || die "cannot build $t"
done
ks=$BUILD/kselftest
make -C "$SRC/tools/testing/selftests" TARGETS=memsched O="$ks/out" \
	KHDR_INCLUDES="-isystem $BUILD/test/usr/include" \
	INSTALL_PATH="$ks/install" install >"$LOGS/stress-kselftest-build.log" 2>&1 ||
	die "kselftest build failed: $LOGS/stress-kselftest-build.log"
[ "${STRESS_TOOLS_ONLY:-0}" = 1 ] && exit 0

pass=0 fail=0
for n in $node_counts; do
	log=$LOGS/stress-${n}nodes.log
	msg "stress on $n nodes, ${S}s per phase (log: ${log#"$TOP"/})"
	"$TOP/scripts/vm-run" --nodes "$n" --cpus 4 --mem 2G \
		--timeout $((S * 8 + 600)) -- \
		bash "$TOP/scripts/stress-guest.sh" "$S" "$tools" "$ks/install" "$@" \
		>"$log" 2>&1
	rc=$?
	grep -E '^stress: ' "$log" | sed "s/^stress: /  [$n nodes] /"
	p=$(grep -c '^stress: ok' "$log")
	f=$(grep -c '^stress: FAIL' "$log")
	pass=$((pass + p)) fail=$((fail + f))
	if [ $rc = 0 ] && [ "$p" -gt 0 ]; then
		pass=$((pass + 1))
		echo "  [$n nodes] ok   guest clean: no kernel report, all checks passed"
	else
		fail=$((fail + 1))
		echo "  [$n nodes] FAIL guest run (exit $rc)"
		grep -E 'vm-run|^    ' "$log" | head -n 12
	fi
done
# The patched QEMU's end-to-end test on the debug kernel: make test runs
# it on the bench kernel (on this one a run takes about 170 s); here
# KASAN, lockdep and kmemleak watch a real VMM's hugetlb, shared memfd and
# hot-plugged ranges move.  Not when only some phases were asked for.
if [ $# = 0 ] && [ "${STRESS_E2E:-1}" = 1 ]; then
	log=$LOGS/stress-qemu-e2e.log
	msg "QEMU end to end on the test kernel, 2 host nodes (log: ${log#"$TOP"/})"
	if "$TOP/scripts/qemu.sh" >"$LOGS/qemu.log" 2>&1 &&
	   "$TOP/scripts/qemu-e2e.sh" --nodes 2 --config test -- --mode memsched \
		--vhost --hotplug >"$log" 2>&1 && grep -q '^e2e: PASS' "$log"; then
		pass=$((pass + 1))
		echo "  ok   $(grep '^e2e: PASS' "$log")"
	else
		fail=$((fail + 1))
		echo "  FAIL QEMU end to end on the test kernel"
		grep -E 'vm-run|FAIL|Error' "$log" | head -n 10
	fi
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
