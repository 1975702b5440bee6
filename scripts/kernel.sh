#!/usr/bin/env bash
# Configure and build one kernel: scripts/kernel.sh test|bench|nomemsched|inner
# [extra make args...].  Out of tree in build/<config>, through ccache.
set -euo pipefail
. "$(dirname "$0")/common.sh"

cfg=${1:?usage: kernel.sh test|bench|nomemsched|inner [make args]}
shift
frag=$TOP/configs/$cfg.config
[ -f "$frag" ] || die "no such config: $frag"
out=$BUILD/$cfg
mkdir -p "$out" "$LOGS"
# A fragment that says "# source: pristine" builds Debian's untouched
# tree (build/pristine), not the project's: the QEMU end-to-end test's
# inner guest runs no memsched, as a real guest does not.
src=$SRC
grep -q '^# source: pristine$' "$frag" && src=$PRISTINE
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export CCACHE_BASEDIR=$BUILD
# ccache identifies -fplugin plugins like the compiler: by content, not by
# an mtime that differs in every clone.
export CCACHE_COMPILERCHECK=content
# GCC plugins are host objects that every compile loads, and ccache hashes
# them: build them free of absolute paths, or a clone in another directory
# misses the cache for the whole kernel.
kmake=(make -C "$src" O="$out" CC="ccache gcc" HOSTCC="ccache gcc"
	HOSTCXXFLAGS="-ffile-prefix-map=$BUILD/=" -j"$(nproc)")

configure() {
	local want=$out/.config.wanted stamp=$out/.config.stamp sum
	# A fragment whose first line says "# standalone" is the whole wish
	# list; the others go on top of configs/base.config.
	local base='configs/base.config + '
	if head -n 1 "$frag" | grep -q '^# standalone'; then
		base=
		cat "$frag" >"$want"
	else
		cat "$TOP/configs/base.config" "$frag" >"$want"
	fi
	# The fragments, the source version and every Kconfig file the
	# project changes decide the configuration.
	sum=$(cat "$want" "$BUILD/pristine/.version" \
		$([ "$src" = "$PRISTINE" ] ||
		  grep -E '(^|/)Kconfig' "$SRC/.memsched-managed" | sed "s|^|$SRC/|") |
		sha1sum)
	if [ -f "$out/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
		return
	fi
	msg "configuring $cfg (allnoconfig + ${base}configs/$cfg.config)"
	"${kmake[@]}" KCONFIG_ALLCONFIG="$want" allnoconfig >"$LOGS/config-$cfg.log" 2>&1 ||
		{ tail -n 30 "$LOGS/config-$cfg.log"; die "configuration failed"; }
	# Every option the fragments ask for must have stuck.
	local bad=0 line sym val got
	while read -r line; do
		case "$line" in CONFIG_*=*) ;; *) continue ;; esac
		sym=${line%%=*}
		val=${line#*=}
		got=$(grep -E "^$sym=|^# $sym is not set" "$out/.config" || true)
		case "$val" in
		n) [ -z "$got" ] || [ "$got" = "# $sym is not set" ] || { echo "  $sym: wanted n, got $got"; bad=1; } ;;
		*) [ "$got" = "$sym=$val" ] || { echo "  $sym: wanted $val, got ${got:-nothing}"; bad=1; } ;;
		esac
	done < <(tac "$want" | awk -F= '!seen[$1]++' | tac) >&2
	if [ $bad = 1 ]; then
		[ "${ALLOW_MISSING_CONFIG:-0}" = 1 ] ||
			die "options above did not stick in build/$cfg/.config (missing dependency?)"
		warn "options above did not stick (ALLOW_MISSING_CONFIG=1)"
	fi
	echo "$sum" >"$stamp"
}

configure
run_logged "$LOGS/build-$cfg.log" "building $cfg kernel" "${kmake[@]}" "$@"
if [ $# -eq 0 ]; then
	msg "image: ${out#"$TOP"/}/arch/x86/boot/bzImage"
fi
