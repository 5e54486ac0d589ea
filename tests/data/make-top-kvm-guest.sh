#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate tests/data/top-kvm-guest: a capture (tools/capture-vm.sh) of two
# QEMUs inside a 2-node TCG guest whose CPU has SVM, so that KVM loads there
# (tests/vm/kvm-modules): kvm01 under KVM with 64 MiB of 2 MiB pages bound to
# node 1, tcg02 under TCG.  See top-kvm-guest.README.  Needs what
# tests/vm/guest-run needs; changes nothing on the host.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/tests/data/top-kvm-guest
kt=${KVMTUNE:-$top/build/kvmtune}
kt=$(realpath "$kt")
qemu=$(command -v qemu-system-x86_64)
mods=$("$top/tests/vm/kvm-modules")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$top/tests/vm/guest-run" --nodes 2 --cpus 2 --node-mem 512,512 --cpu qemu64,+svm,+npt \
    --timeout 400 --add "$kt" --add "$qemu" --add "$mods" \
    --add /usr/share/seabios/bios-256k.bin --add /usr/share/qemu/kvmvapic.bin \
    --add /usr/bin/bash --add /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so \
    --add "$top/tools/capture-vm.sh" --add "$top/tools/capture-host.sh" \
    --add "$top/tests/integration/top-kvm-guest.inner" \
    -- sh "$top/tests/integration/top-kvm-guest.inner" capture "$kt" "$qemu" "$mods" \
    "$top/tools/capture-vm.sh" >"$tmp/out"
rm -rf "$out"
mkdir -p "$out"
sed '1,/^@@ capture$/d' "$tmp/out" | base64 -d | tar -xz -C "$out"
echo "make-top-kvm-guest: $(find "$out" -type f | wc -l) files in $out" >&2
