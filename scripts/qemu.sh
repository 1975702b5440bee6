#!/usr/bin/env bash
# make qemu: Debian's QEMU source with tools/qemu/patches applied, built for
# one target (x86_64-softmmu, TCG, no default features) through ccache into
# build/qemu/qemu-system-x86_64.
#
# The source comes only as Debian's source package: a deb-src entry in an
# apt configuration of the build's own (build/qemu/apt/), so the system's
# sources are never edited, and `apt-get source` with that configuration.
# Idempotent: nothing is rebuilt unless the patches or the source changed.
set -euo pipefail
. "$(dirname "$0")/common.sh"

QDIR=$BUILD/qemu
APT=$QDIR/apt
PATCHES=$TOP/tools/qemu/patches
BIN=$QDIR/qemu-system-x86_64
QEMU_BUILD_DEPS=(ninja-build meson libglib2.0-dev libpixman-1-dev libfdt-dev
	libnuma-dev pkg-config dpkg-dev ccache python3)

deps() {
	local p missing=()
	for p in "${QEMU_BUILD_DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	msg "installing: ${missing[*]}"
	[ "$(id -u)" = 0 ] || die "need root to apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

# apt options that point apt at build/qemu/apt only.
apt_opts() {
	echo -o "Dir::Etc::SourceList=$APT/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
}

fetch_source() {
	local suite uri ver
	mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$QDIR/dl"
	# The same archive and suite as the system's Debian, deb-src only.
	suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
	uri=http://deb.debian.org/debian
	cat >"$APT/sources.list" <<-EOF
	deb-src $uri $suite main
	deb-src $uri $suite-updates main
	deb-src http://deb.debian.org/debian-security $suite-security main
	EOF
	# shellcheck disable=SC2046
	apt-get $(apt_opts) update -qq >/dev/null
	# The version of the qemu-system-x86 binary package, if it is there.
	ver=$(dpkg-query -W -f='${source:Version}' qemu-system-x86 2>/dev/null || true)
	(cd "$QDIR/dl" &&
		# shellcheck disable=SC2046
		apt-get $(apt_opts) source --download-only -qq \
			"qemu${ver:+=$ver}" >/dev/null 2>&1 ||
		apt-get $(apt_opts) source --download-only -qq qemu >/dev/null 2>&1)
	ls "$QDIR"/dl/qemu_*.dsc >/dev/null 2>&1 || die "apt-get source qemu failed"
}

# A stamp of what the tree is made of: the .dsc and every patch.
tree_stamp() {
	cat "$QDIR"/dl/qemu_*.dsc "$PATCHES/series" \
		$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PATCHES/series" |
			sed "s|^|$PATCHES/|") | sha256sum | cut -d' ' -f1
}

unpack_and_patch() {
	local p dsc
	dsc=$(ls "$QDIR"/dl/qemu_*.dsc | tail -n1)
	rm -rf "$QDIR/src" "$QDIR/obj"
	msg "unpacking $(basename "$dsc") (Debian's patches applied)"
	dpkg-source -q -x "$dsc" "$QDIR/src" >/dev/null
	while read -r p; do
		patch -d "$QDIR/src" -p1 -s --no-backup-if-mismatch <"$PATCHES/$p" ||
			die "tools/qemu/patches/$p does not apply"
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PATCHES/series")
}

configure() {
	mkdir -p "$QDIR/obj"
	(cd "$QDIR/obj" && "$QDIR/src/configure" \
		--target-list=x86_64-softmmu --without-default-features \
		--enable-tcg --enable-fdt=system --enable-numa \
		--disable-docs --disable-werror \
		--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu \
		--cc="ccache gcc" --cxx="ccache g++" --host-cc=gcc)
}

deps
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export CCACHE_BASEDIR=$QDIR
# -g puts the build directory into the hash; without this a fresh clone
# (another build directory) never hits the cache of the previous one.
export CCACHE_NOHASHDIR=1
[ -n "$(ls "$QDIR"/dl/qemu_*.dsc 2>/dev/null)" ] || fetch_source
stamp=$(tree_stamp)
if [ "$(cat "$QDIR/.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -d "$QDIR/obj" ]; then
	unpack_and_patch
	run_logged "$LOGS/qemu-configure.log" "configuring QEMU" configure
	echo "$stamp" >"$QDIR/.stamp"
fi
run_logged "$LOGS/qemu-build.log" "building qemu-system-x86_64" \
	ninja -C "$QDIR/obj" qemu-system-x86_64
ln -sf obj/qemu-system-x86_64 "$BIN"
msg "QEMU: ${BIN#"$TOP"/} ($("$BIN" --version | head -n1))"
