#!/usr/bin/env bash
# Install what the build, the VM and the checks need, from Debian's archive
# only.  Idempotent: a no-op when everything is present.
set -euo pipefail
. "$(dirname "$0")/common.sh"

pkgs=(
	"$LINUX_SOURCE_PKG" qemu-system-x86 make gcc flex bison bc libelf-dev
	libssl-dev cpio dwarves xz-utils patch rsync python3 perl sparse
	gcc-12-plugin-dev ccache busybox-static numactl libnuma-dev linux-perf
	kmod trinity numad gnuplot-nox
)

# Is VERSION of PKG in the archive?  (Not "apt-cache madison | grep -q":
# under pipefail, grep's early exit can fail the pipeline with SIGPIPE.)
offered() {
	local list
	list=$(apt-cache madison "$1" 2>/dev/null) || return 1
	[[ $list == *" $2 "* ]]
}

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=''
	[[ $st == *'ok installed'* ]] || missing+=("$p")
done
# The series is tested on one kernel source: install exactly it when
# another one is installed and the archive still has it.
have=$(dpkg-query -W -f='${Version}' "$LINUX_SOURCE_PKG" 2>/dev/null) || have=''
if [ -n "$have" ] && [ "$have" != "$LINUX_SOURCE_PIN" ]; then
	[ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null &&
		offered "$LINUX_SOURCE_PKG" "$LINUX_SOURCE_PIN" &&
		missing+=("$LINUX_SOURCE_PKG")
fi

if [ ${#missing[@]} -gt 0 ]; then
	msg "installing: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# Prefer the pinned kernel source; fall back to the newest one.
	want=()
	for p in "${missing[@]}"; do
		if [ "$p" = "$LINUX_SOURCE_PKG" ] &&
		   offered "$p" "$LINUX_SOURCE_PIN"; then
			want+=("$p=$LINUX_SOURCE_PIN")
		else
			want+=("$p")
		fi
	done
	apt-get install -y -qq --no-install-recommends --allow-downgrades \
		"${want[@]}" >/dev/null
fi

have=$(dpkg-query -W -f='${Version}' "$LINUX_SOURCE_PKG")
if [ "$have" != "$LINUX_SOURCE_PIN" ]; then
	warn "########################################################"
	warn "$LINUX_SOURCE_PKG is $have, the series was tested on $LINUX_SOURCE_PIN"
	warn "patches may not apply; update LINUX_SOURCE_PIN in scripts/common.sh"
	warn "########################################################"
fi
exit 0
