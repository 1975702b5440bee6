#!/usr/bin/env bash
# make qemu: Debian's QEMU source with tools/qemu/patches applied, built for
# one target (x86_64-softmmu, TCG, no default features) through ccache;
# build/qemu/qemu-system-x86_64 links to the binary.
#
# The source comes only as Debian's source package: a deb-src entry in an
# apt configuration of the build's own (in the cache, below), so the system's
# sources are never edited, and `apt-get source` with that configuration.
# Idempotent: nothing is rebuilt unless the patches or the source changed.
#
# The source package and the build tree live in the machine's cache
# ($CACHE/qemu, scripts/common.sh), not in the clone: the tree under a key
# of everything that goes into it - the .dsc, tools/qemu/patches, the
# configure options below and the versions of the compiler and libraries
# it builds with - so a fresh clone of an unchanged QEMU side runs ninja on
# a built tree (1.6 s measured) instead of unpacking, configuring and building
# from ccache (96-163 s measured here).  ninja still checks every output against
# its inputs.
set -euo pipefail
. "$(dirname "$0")/common.sh"

QDIR=$BUILD/qemu
QCACHE=$CACHE/qemu
APT=$QCACHE/apt
DL=$QCACHE/dl
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

# apt options that point apt at $APT only.
apt_opts() {
	echo -o "Dir::Etc::SourceList=$APT/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
}

fetch_source() {
	local suite uri ver
	# into a directory of its own, which becomes $DL once complete: an
	# interrupted download leaves no .dsc without its tarballs
	rm -rf "$DL.part"
	mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$DL.part"
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
	# shellcheck disable=SC2046
	(cd "$DL.part" &&
		{ apt-get $(apt_opts) source --download-only -qq \
			"qemu${ver:+=$ver}" >/dev/null 2>&1 ||
		  apt-get $(apt_opts) source --download-only -qq qemu >/dev/null 2>&1; }) ||
		die "apt-get source qemu failed"
	ls "$DL.part"/qemu_*.dsc >/dev/null 2>&1 || die "apt-get source qemu: no .dsc"
	rm -rf "$DL"
	mv "$DL.part" "$DL"
}

# A stamp of what the built tree is made of: the .dsc, every patch, the
# configure options and the toolchain.
tree_stamp() {
	{
		cat "$DL"/qemu_*.dsc "$PATCHES/series" \
			$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PATCHES/series" |
				sed "s|^|$PATCHES/|")
		declare -f configure
		gcc --version
		ld --version
		dpkg-query -W -f='${Package} ${Version}\n' libc6-dev \
			"${QEMU_BUILD_DEPS[@]}" 2>&1 || true
	} | sha256sum | cut -c1-16
}

unpack_and_patch() {
	local p dsc
	dsc=$(ls "$DL"/qemu_*.dsc | tail -n1)
	rm -rf "$tree/src" "$tree/obj"
	msg "unpacking $(basename "$dsc") (Debian's patches applied) into $tree"
	dpkg-source -q -x "$dsc" "$tree/src" >/dev/null
	while read -r p; do
		patch -d "$tree/src" -p1 -s --no-backup-if-mismatch <"$PATCHES/$p" ||
			die "tools/qemu/patches/$p does not apply"
	done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PATCHES/series")
}

configure() {
	mkdir -p "$tree/obj"
	(cd "$tree/obj" && "$tree/src/configure" \
		--target-list=x86_64-softmmu --without-default-features \
		--enable-tcg --enable-fdt=system --enable-numa \
		--disable-docs --disable-werror \
		--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu \
		--cc="ccache gcc" --cxx="ccache g++" --host-cc=gcc)
}

deps
cache_check
mkdir -p "$QDIR" "$QCACHE/trees"
# one build at a time in the machine's cache (two clones at once)
exec 9>"$QCACHE/lock"
flock 9
[ -n "$(ls "$DL"/qemu_*.dsc 2>/dev/null)" ] || fetch_source
stamp=$(tree_stamp)
tree=$QCACHE/trees/$stamp
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
export CCACHE_BASEDIR=$tree
# -g puts the build directory into the hash; without this another tree
# never hits the cache of the previous one.
export CCACHE_NOHASHDIR=1
mkdir -p "$tree"
touch "$tree"
if [ ! -f "$tree/.configured" ]; then
	unpack_and_patch
	run_logged "$LOGS/qemu-configure.log" "configuring QEMU" configure
	touch "$tree/.configured"
else
	msg "QEMU: the tree built before for these inputs, $tree"
fi
cache_prune "$QCACHE/trees" 3
run_logged "$LOGS/qemu-build.log" "building qemu-system-x86_64" \
	ninja -C "$tree/obj" qemu-system-x86_64
# what an older qemu.sh kept in the clone
find "$QDIR" -mindepth 1 -maxdepth 1 ! -name qemu-system-x86_64 -exec rm -rf {} +
ln -sfn "$tree/obj/qemu-system-x86_64" "$BIN"
msg "QEMU: ${BIN#"$TOP"/} ($("$BIN" --version | head -n1))"
