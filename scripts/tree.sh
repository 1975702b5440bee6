#!/usr/bin/env bash
# Assemble the kernel tree under build/src: Debian's pristine source, the
# quilt-style series in patches/, and the project's new files overlaid at
# their kernel paths.
#
# build/pristine holds the untouched unpacked source.  build/src is a
# hard-linked copy of it in which only the files the project manages are
# replaced (never edited in place, so the pristine copy stays pristine).
# A managed file is rewritten only when its content changes, so editing one
# overlay file rebuilds one object, not the world.
set -euo pipefail
. "$(dirname "$0")/common.sh"

# Directories of the repo that hold files at their kernel paths.
OVERLAY_DIRS=(mm kernel include arch lib Documentation samples
	tools/testing/selftests/memsched tools/memsched)

unpack_pristine() {
	local ver stamp=$BUILD/pristine/.version
	ver=$(dpkg-query -W -f='${Version}' "$LINUX_SOURCE_PKG" 2>/dev/null) ||
		die "$LINUX_SOURCE_PKG is not installed (run scripts/deps.sh)"
	if [ -d "$PRISTINE" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$ver" ]; then
		return
	fi
	msg "unpacking $LINUX_SOURCE_TAR ($ver)"
	rm -rf "$BUILD/pristine" "$SRC"
	mkdir -p "$BUILD/pristine"
	tar -C "$BUILD/pristine" -xf "$LINUX_SOURCE_TAR"
	echo "$ver" >"$stamp"
}

# Files named by the patches in the series ("+++ b/path" lines).
patched_files() {
	local p
	while read -r p; do
		sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$TOP/patches/$p"
	done < <(series) | sort -u
}

series() {
	[ -f "$TOP/patches/series" ] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TOP/patches/series"
}

build_stage() {
	local stage=$1 f p
	rm -rf "$stage"
	mkdir -p "$stage"
	# Pristine copies of every file a patch touches, then the series.
	while read -r f; do
		[ -n "$f" ] || continue
		if [ -f "$PRISTINE/$f" ]; then
			mkdir -p "$stage/$(dirname "$f")"
			cp "$PRISTINE/$f" "$stage/$f"
		fi
	done < <(patched_files)
	while read -r p; do
		if ! out=$(cd "$stage" && patch -p1 --no-backup-if-mismatch \
				-f -s <"$TOP/patches/$p" 2>&1); then
			printf '%s\n' "$out" >&2
			find "$stage" -name '*.rej' -exec sh -c \
				'echo "--- failing hunks in $1:"; cat "$1"' _ {} \; >&2
			die "patch $p does not apply to $(cat "$BUILD/pristine/.version")"
		fi
	done < <(series)
	# New files at their kernel paths.
	for d in "${OVERLAY_DIRS[@]}"; do
		[ -d "$TOP/$d" ] || continue
		(cd "$TOP" && find "$d" -type f ! -name '*.orig' ! -name '*~') |
		while read -r f; do
			mkdir -p "$stage/$(dirname "$f")"
			cp "$TOP/$f" "$stage/$f"
		done
	done
}

sync_stage() {
	local stage=$1 manifest=$SRC/.memsched-managed f n=0
	if [ ! -d "$SRC" ]; then
		msg "creating $SRC (hard links to the pristine tree)"
		cp -al "$PRISTINE" "$SRC"
	fi
	(cd "$stage" && find . -type f | sed 's|^\./||' | sort) >"$manifest.new"
	# Files managed last time but not now: back to pristine (or gone).
	if [ -f "$manifest" ]; then
		comm -23 "$manifest" "$manifest.new" | while read -r f; do
			if [ -f "$PRISTINE/$f" ]; then
				cp --remove-destination "$PRISTINE/$f" "$SRC/$f"
			else
				rm -f "$SRC/$f"
			fi
			echo "    restored $f" >&2
		done
	fi
	while read -r f; do
		if ! cmp -s "$stage/$f" "$SRC/$f"; then
			mkdir -p "$SRC/$(dirname "$f")"
			cp --remove-destination "$stage/$f" "$SRC/$f"
			n=$((n + 1))
		fi
	done <"$manifest.new"
	mv "$manifest.new" "$manifest"
	msg "tree ready: $(wc -l <"$manifest") managed files, $n updated, $(series | wc -l) patches"
}

mkdir -p "$BUILD"
unpack_pristine
build_stage "$BUILD/stage"
sync_stage "$BUILD/stage"
