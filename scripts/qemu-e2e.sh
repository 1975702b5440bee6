#!/usr/bin/env bash
# The QEMU end-to-end test: in the project's guest (NODES host nodes), the
# patched QEMU (make qemu) runs a real inner guest with two guest NUMA
# nodes, memsched=on, first confined to host node 0; see
# scripts/qemu-e2e-guest.py for what it asserts.
#
# usage: scripts/qemu-e2e.sh [--nodes N] [--config test|bench] [--timeout S]
#                            -- [qemu-e2e-guest.py options]
# The inner guest: a kernel and an initramfs whose /init is
# tools/memsched/vcpu-touch.c.  The kernel (E2E_INNER): "own" (default), Debian's
# untouched linux-source built with configs/inner.config (scripts/kernel.sh
# inner: an initramfs-only guest, no memsched); or "debian", Debian's cloud kernel
# (linux-image-cloud-amd64, unpacked from its .deb into build/e2e-inner,
# never installed), a distribution kernel that takes longer to boot.
#
# E2E_SNAPSHOT=1 (default): the inner guest is booted once here, on the
# build machine at one level of TCG, with the same QEMU binary and
# options; once every vCPU has written its memory it is stopped and saved
# and the test restores it with -incoming: QEMU's loader writes the
# guest's RAM while QEMU is confined to host node 0, as a boot would, and
# the vCPUs write on.  Booting it under two levels of TCG instead took
# 183-376 s of every run (E2E_SNAPSHOT=0).  The saved machine is kept in
# the machine's cache ($CACHE/e2e-snap/snap-KEY, scripts/common.sh) under a
# key of the QEMU binary, the kernel, the initramfs, the test script, its
# options and the firmware packages, as the inner kernel ($CACHE/inner) and
# the QEMU build (scripts/qemu.sh) are: a fresh clone with none of them
# changed boots no inner guest and builds neither.
set -euo pipefail
. "$(dirname "$0")/common.sh"

nodes=2 config=test timeout=1500
while [ $# -gt 0 ]; do
	case "$1" in
	--nodes) nodes=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) die "qemu-e2e.sh: unknown option $1" ;;
	esac
done

INNER=$BUILD/e2e-inner
inner=${E2E_INNER:-own}
prepare_inner() {
	local pkg deb key img tmp
	cache_check
	mkdir -p "$INNER"
	if [ "$inner" = own ]; then
		# Debian's untouched source (configs/inner.config): the image
		# is kept on the machine under a key of its inputs, so a
		# fresh clone does not build it again
		key=$(cat "$BUILD/pristine/.version" "$TOP/configs/inner.config" \
			"$TOP/scripts/kernel.sh" <(gcc --version; ld --version) |
			sha256sum | cut -c1-16)
		img=$CACHE/inner/$key/bzImage
		if [ ! -f "$img" ]; then
			"$TOP/scripts/kernel.sh" inner >/dev/null ||
				die "the inner guest's kernel did not build: $LOGS/build-inner.log"
			mkdir -p "$CACHE/inner/$key"
			# another clone may be storing it too
			tmp=$(mktemp "$img.XXXXXX")
			cp "$BUILD/inner/arch/x86/boot/bzImage" "$tmp"
			chmod 644 "$tmp"	# mktemp made it 0600
			mv "$tmp" "$img"
		fi
		touch "$CACHE/inner/$key"
		cache_prune "$CACHE/inner" 2
		cp "$img" "$INNER/vmlinuz-own"
	elif [ "$inner" != debian ]; then
		die "E2E_INNER: own or debian"
	elif [ ! -f "$INNER/vmlinuz" ]; then
		pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
		if [ -z "$pkg" ]; then	# a fresh machine: no package lists yet
			apt-get update -qq >/dev/null 2>&1 || true
			pkg=$(apt-cache depends linux-image-cloud-amd64 |
				awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
		fi
		[ -n "$pkg" ] || die "no linux-image-cloud-amd64 in the archive"
		(cd "$INNER" && apt-get download -qq "$pkg" >/dev/null 2>&1) ||
			die "apt-get download $pkg failed"
		deb=$(ls "$INNER"/"$pkg"_*.deb | head -n1)
		rm -rf "$INNER/x" && mkdir "$INNER/x"
		dpkg-deb --fsys-tarfile "$deb" | tar -C "$INNER/x" -x ./boot
		cp "$INNER"/x/boot/vmlinuz-* "$INNER/vmlinuz"
		rm -rf "$INNER/x" "$deb"
	fi
	# made every time (a second): the same bytes in every clone (no
	# time stamps, inode numbers, owners), so the saved machine's key is
	# the same too
	rm -rf "$INNER/root" && mkdir -p "$INNER/root"
	gcc -static -O2 -pthread -Wall -o "$INNER/root/init" \
		"$TOP/tools/memsched/vcpu-touch.c"
	chmod 755 "$INNER/root/init"
	touch -d @0 "$INNER/root/init"
	(cd "$INNER/root" && echo init |
		cpio -o -H newc --reproducible -R 0:0 2>/dev/null) |
		gzip -n -1 >"$INNER/initrd.gz"
}

prepare_inner
rm -f "$INNER"/snap-*	# where an older qemu-e2e.sh kept them
qemu=${E2E_QEMU:-$BUILD/qemu/qemu-system-x86_64}
[ -x "$qemu" ] || die "no $qemu: run 'make qemu'"
kernel=$INNER/vmlinuz$([ "$inner" = debian ] || echo -own)
guest=(python3 "$TOP/scripts/qemu-e2e-guest.py" --qemu "$qemu"
	--kernel "$kernel" --initrd "$INNER/initrd.gz")
snap=()
if [ "${E2E_SNAPSHOT:-1}" = 1 ]; then
	# what shapes the saved machine: the binary, the guest, the script
	# and its options, and the firmware (a ROM's size is in the stream)
	# (their contents: not the names, which differ from clone to clone)
	sums=$(cat "$qemu" "$kernel" "$INNER/initrd.gz" \
		"$TOP/scripts/qemu-e2e-guest.py" | sha256sum) ||
		die "cannot hash the inputs"
	fw=$(dpkg-query -W -f='${Package} ${Version}\n' seabios ipxe-qemu \
		qemu-system-data 2>/dev/null || true)
	key=$(printf '%s\n' "$sums" "$fw" "$@" | sha256sum | cut -c1-16)
	# kept on the machine (its inputs are the same in every clone)
	mkdir -p "$CACHE/e2e-snap"
	exec 9>"$CACHE/e2e-snap/lock"
	flock 9
	file=$CACHE/e2e-snap/snap-$key/machine
	if [ ! -f "$file" ]; then
		# the four latest are kept
		cache_prune "$CACHE/e2e-snap" 3
		"${guest[@]}" "$@" --make-snapshot "$file" >&2 ||
			die "could not make the inner guest's snapshot"
	fi
	touch "$(dirname "$file")"
	# this run's own link to it: another clone's failed run may remove
	# the cache's (below)
	mkdir -p "$BUILD/e2e-$nodes"
	rm -f "$BUILD/e2e-$nodes"/snap-*
	ln -f "$file" "$BUILD/e2e-$nodes/snap-$key" 2>/dev/null ||
		cp "$file" "$BUILD/e2e-$nodes/snap-$key"
	exec 9>&-
	snap=(--snapshot "$BUILD/e2e-$nodes/snap-$key")
fi
work=$BUILD/e2e-$nodes
mkdir -p "$work"
cd "$work"
rc=0
"$TOP/scripts/vm-run" --config "$config" --nodes "$nodes" \
	--cpus $((nodes * 2)) --mem $((nodes >= 4 ? nodes : 3))G --timeout "$timeout" -- \
	"${guest[@]}" --workdir "$work" "${snap[@]}" "$@" || rc=$?
# a failed run makes the next one save the guest again, in case the
# snapshot was the trouble (not while another clone makes it; a run
# reads its own link)
if [ $rc != 0 ] && [ ${#snap[@]} != 0 ]; then
	exec 9>"$CACHE/e2e-snap/lock"
	flock 9
	rm -f "$file"
fi
exit $rc
