# Shared settings for the memsched scripts; sourced, never run.
# shellcheck shell=bash

# The Debian kernel source package this series was tested against.  If the
# archive no longer has it, scripts/deps.sh takes the newest and warns.
LINUX_SOURCE_PKG=linux-source-6.12
LINUX_SOURCE_PIN=6.12.118-1~deb12u1
LINUX_SOURCE_TAR=/usr/src/linux-source-6.12.tar.xz

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
PRISTINE=$BUILD/pristine/linux-source-6.12
SRC=$BUILD/src
LOGS=$BUILD/logs
# Build outputs that do not depend on the project's kernel code, kept on
# the machine across clones like ccache's objects, each under a key made of
# everything that goes into it: the patched QEMU's build tree
# (scripts/qemu.sh), the QEMU end-to-end test's inner guest kernel and its
# saved machine (scripts/qemu-e2e.sh).  MEMSCHED_CACHE=/empty/dir for a
# cold run.
CACHE=$(realpath -m "${MEMSCHED_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/memsched}")

msg() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf '\033[1;33mWARNING: %s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# Run a long command with its output in a log file and a one-line heartbeat;
# on failure show the tail of the log.
run_logged() {
	local log=$1 what=$2
	shift 2
	mkdir -p "$(dirname "$log")"
	msg "$what (log: ${log#"$TOP"/})"
	local start=$SECONDS n=0
	"$@" >"$log" 2>&1 &
	local pid=$!
	# look every second (a step that is done goes on at once), say so
	# every ten
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		[ $((n % 10)) = 0 ] && kill -0 "$pid" 2>/dev/null &&
			printf '    ... %ds, %s\n' $((SECONDS - start)) \
				"$(tail -n1 "$log" | cut -c1-100)" >&2
	done
	if ! wait "$pid"; then
		printf '\033[1;31m%s failed after %ds; last lines of %s:\033[0m\n' \
			"$what" $((SECONDS - start)) "$log" >&2
		grep -E 'error|Error|ERROR' "$log" | tail -n 20 >&2
		tail -n 25 "$log" >&2
		return 1
	fi
	msg "$what done in $((SECONDS - start))s"
}

# Keep the N most recently used entries of a cache directory (a cache
# entry is used when its key is looked up: touch it then).
cache_prune() {	# cache_prune DIR N
	local d=$1 n=$2
	[ -d "$d" ] || return 0
	{ ls -td "$d"/*/ 2>/dev/null || true; } | tail -n +$((n + 1)) |
		xargs -r -d '\n' rm -rf --
}

# The guests see the host's / read-only, but vm-init mounts tmpfs on
# /tmp and /run: what a guest runs from the cache must not be there.
cache_check() {
	case "$CACHE/" in
	/tmp/* | /run/*) die "MEMSCHED_CACHE=$CACHE: under /tmp or /run, which the guests do not see" ;;
	esac
	mkdir -p "$CACHE"
}
