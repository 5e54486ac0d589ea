#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Tests that need a private mount namespace (libvirtd-private) skip with the
# reason where / is not a mount point, as in a chroot, instead of failing:
# lib.sh's require_private_mounts, run inside a minimal chroot made here (bash,
# unshare, mountpoint and their libraries), must exit 77 and name the cause.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

require_root
require_cmd chroot unshare mountpoint ldd

cr=$(mktemp -d "${TMPDIR:-/tmp}/kvmtune-chroot.XXXXXX")
at_exit "rm -rf '$cr'"
for bin in bash unshare mountpoint dirname basename; do
	path=$(command -v "$bin")
	mkdir -p "$cr$(dirname "$path")"
	cp "$path" "$cr$path"
	while read -r lib; do
		[[ -n $lib && -e $lib ]] || continue
		mkdir -p "$cr$(dirname "$lib")"
		cp -L "$lib" "$cr$lib"
	done < <(ldd "$path" | grep -oE '/[^ ]+')
done
mkdir -p "$cr/t" "$cr/dev"
mknod -m 666 "$cr/dev/null" c 1 3
cp "$TESTS_DIR/integration/lib.sh" "$cr/t/lib.sh"
printf '%s\n' "#!$(command -v bash)" 'set -euo pipefail' '. /t/lib.sh' 'require_private_mounts' \
	'echo "not skipped"' >"$cr/t/probe.sh"
chmod +x "$cr/t/probe.sh"

rc=0
out=$(chroot "$cr" /t/probe.sh 2>&1) || rc=$?
diag "in the chroot: exit $rc: $out"
check "a test needing a private mount namespace skips in a chroot (exit $rc)" test "$rc" -eq 77
check "the skip names the cause" grep -q "must be a mount point" <<<"$out"
finish
