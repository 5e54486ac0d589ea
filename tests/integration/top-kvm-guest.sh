#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# top-kvm-guest: 'kvmtune top' reading real KVM statistics.  This host has no
# /dev/kvm, so KVM runs one level down: a 2-node TCG guest with an SVM CPU
# (qemu64,+svm,+npt) loads the kvm-amd module of its own kernel
# (tests/vm/kvm-modules) and runs a nested QEMU under KVM (kvm01: 2 vCPUs,
# 64 MiB of 2 MiB pages bound to node 1) beside one under TCG (tcg02); see
# top-kvm-guest.inner.  Checks: before debugfs is mounted top says so; then
# both frames show kvm01 with exit rates (io and halt exits from SeaBIOS),
# KVM's own 2 MiB mappings (pages_2m) and its hugepages on node 1, and
# tcg02 without KVM counters.  Changes nothing on the host.
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_kvmtune
require_cmd qemu-system-x86_64 jq apt-get dpkg-deb
[ -f /usr/share/seabios/bios-256k.bin ] || skip_all "no SeaBIOS image (/usr/share/seabios/bios-256k.bin)"
tcg=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
[ -f "$tcg" ] || skip_all "no QEMU TCG module at $tcg"
KT=$(kvmtune_path)
mods=$("$VM_DIR/kvm-modules") || skip_all "the guest kernel's KVM modules could not be fetched"
qemu=$(command -v qemu-system-x86_64)
work=$(mktemp -d "${TMPDIR:-/tmp}/top-kvm-guest.XXXXXX")
at_exit "rm -rf '$work'"
inner=$TESTS_DIR/integration/top-kvm-guest.inner

rc=0
"$VM_DIR/guest-run" --nodes 2 --cpus 2 --node-mem 512,512 --cpu qemu64,+svm,+npt --timeout 400 \
    --add "$KT" --add "$qemu" --add "$mods" --add /usr/share/seabios/bios-256k.bin \
    --add /usr/share/qemu/kvmvapic.bin --add "$tcg" --add "$inner" \
    -- sh "$inner" live "$KT" "$qemu" "$mods" >"$work/out" 2>"$work/err" || rc=$?
[ "$rc" != 125 ] || skip_all "guest-run could not boot a guest: $(tail -n 3 "$work/err")"
[ "$rc" != 3 ] || skip_all "KVM did not come up in the guest: $(tail -n 3 "$work/err")"
[ "$rc" = 0 ] || bail "in-guest script failed ($rc): $(tail -n 5 "$work/err")"
section() { awk -v s="@@ $1" '$0 == s {on = 1; next} /^@@ / {on = 0} on' "$work/out"; }
section top-batch | sed 's/^/# /'

if section top-before-debugfs | grep -qx 'KVM statistics: debugfs is not mounted at /sys/kernel/debug (mount -t debugfs none /sys/kernel/debug)'; then
    ok "before debugfs is mounted: top says so"; else not_ok "before debugfs: $(section top-before-debugfs | head -2)"; fi
section top-json >"$work/json"
jqs() { jq -s "$1" "$work/json"; }
if [ "$(jqs '[.[] | .kvm_stats.state] | unique | join(",")' | tr -d '"')" = ok ]; then
    ok "KVM statistics readable in both frames"; else not_ok "kvm_stats: $(jqs '[.[] | .kvm_stats]' | head -c 300)"; fi
if [ "$(jqs '[.[] | .vms[] | select(.vm == "kvm01") | .kvm.exits_per_s > 0 and .kvm.per_s.io > 0 and .kvm.per_s.halt > 0] | all')" = true ] &&
    [ "$(jqs '[.[] | .vms[] | select(.vm == "kvm01")] | length')" = 2 ]; then
    ok "kvm01: exits, io and halt exits per second > 0 in both frames"; else
    not_ok "kvm01 rates: $(jqs '[.[] | .vms[] | select(.vm == "kvm01") | .kvm]' | head -c 400)"; fi
if [ "$(jqs '.[0].vms[] | select(.vm == "kvm01") | .kvm.since_start')" = true ] &&
    [ "$(jqs '.[1].vms[] | select(.vm == "kvm01") | .kvm.since_start')" = false ]; then
    ok "first frame: rates since the VM started; second: over the frame"; else not_ok "since_start flags"; fi
if [ "$(jqs '.[1].vms[] | select(.vm == "kvm01") | .kvm.mapped.pages_2m >= 1')" = true ]; then
    ok "KVM maps kvm01's guest memory with 2 MiB pages (pages_2m $(jqs '.[1].vms[] | select(.vm == "kvm01") | .kvm.mapped.pages_2m'))"; else
    not_ok "pages_2m: $(jqs '.[1].vms[] | select(.vm == "kvm01") | .kvm.mapped')"; fi
if [ "$(jqs '.[1].vms[] | select(.vm == "kvm01") | .hugepages[0].node_kib["1"]')" = 65536 ]; then
    ok "kvm01's 64 MiB of 2 MiB pages are on node 1"; else not_ok "kvm01 hugepages: $(jqs '.[1].vms[] | select(.vm == "kvm01") | .hugepages')"; fi
if [ "$(jqs '[.[] | .vms[] | select(.vm == "tcg02") | .kvm == null] | all')" = true ] &&
    section top-batch | grep -qE '^[0-9]+ +tcg02 .* no KVM +-$'; then
    ok "tcg02 (TCG) has no KVM counters: 'no KVM'"; else not_ok "tcg02: $(section top-batch | grep tcg02 | head -1)"; fi
if [ "$(section top-batch | grep -c '^kvmtune top - ')" = 2 ] &&
    section top-batch | head -n 4 | grep -qE '^[0-9]+ +kvm01 '; then
    ok "--batch -n 2 -o exits: two frames, kvm01 first"; else not_ok "batch frames"; fi
finish
