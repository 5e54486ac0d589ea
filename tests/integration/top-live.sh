#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# top-live: 'kvmtune top --batch -n 2' on this host with a paused TCG QEMU
# (tests/vm/qemu-paused): both frames show the VM with its vCPU threads and
# memory, and the line on KVM statistics says exactly why there are none -
# debugfs not mounted (as this host boots), and, with debugfs mounted in a
# private mount namespace, no kvm/ directory (no /dev/kvm) for root and
# "Permission denied" for an unprivileged user.  --json gives one line per
# frame.  Changes nothing on the host (the mount is private).
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64 jq unshare setpriv
KT=$(kvmtune_path)
work=$(mktemp -d "${TMPDIR:-/tmp}/top-live.XXXXXX")
at_exit "rm -rf '$work'"
# shellcheck source=tests/vm/qemu-paused
source "$VM_DIR/qemu-paused"
qemu_paused_start -m 64M -smp 2 -name guest=live01,debug-threads=on
at_exit qemu_paused_stop
diag "paused QEMU $QEMU_PID"

"$KT" top --batch -n 2 -d 0.5 >"$work/batch" 2>"$work/err" || bail "top --batch failed: $(cat "$work/err")"
sed 's/^/# /' "$work/batch"
frames=$(grep -c '^kvmtune top - ' "$work/batch")
rows=$(grep -cE "^$QEMU_PID +live01 " "$work/batch" || true)
if [ "$frames" = 2 ] && [ "$rows" = 2 ]; then ok "two frames, each with the paused VM live01"; else
    not_ok "frames $frames, rows of $QEMU_PID: $rows"; fi
if grep -qE "^$QEMU_PID +live01 +[0-9,-]+ \(N[0-9,-]+\) +[0-9.]+ " "$work/batch"; then
    ok "its vCPU threads' CPUs and nodes and its memory per node are shown"; else
    not_ok "row: $(grep "^$QEMU_PID" "$work/batch" | head -1)"; fi
if grep -E "^$QEMU_PID " "$work/batch" | tail -n 1 | grep -qE " [0-9]+\.[0-9] +- +-$"; then
    ok "second frame: memory moved since the first is a number, no exit rates"; else
    not_ok "second frame row: $(tail -1 "$work/batch")"; fi

msg_nodebugfs='KVM statistics: debugfs is not mounted at /sys/kernel/debug (mount -t debugfs none /sys/kernel/debug)'
msg_nokvm='KVM statistics: /sys/kernel/debug/kvm does not exist: KVM is not available on this host (no /dev/kvm); QEMU can only run under TCG here'
msg_denied='KVM statistics: /sys/kernel/debug/kvm: Permission denied (they need root, and a kernel that is not locked down)'
if [ -e /dev/kvm ]; then
    diag "this host has /dev/kvm: the no-KVM messages are not checked"
else
    if grep -qs ' /sys/kernel/debug debugfs ' /proc/mounts; then
        diag "debugfs is mounted here"
    elif grep -qxF "$msg_nodebugfs" "$work/batch"; then
        ok "debugfs not mounted: '$msg_nodebugfs'"
    else
        not_ok "no debugfs message: $(sed -n 2p "$work/batch")"
    fi
    unshare -m --propagation private sh -c 'mount -t debugfs none /sys/kernel/debug &&
        "$1" top --batch >"$2/nokvm" 2>&1 &&
        setpriv --reuid=65534 --regid=65534 --clear-groups "$1" top --batch >"$2/denied" 2>&1' \
        sh "$KT" "$work" || true
    if grep -qxF "$msg_nokvm" "$work/nokvm"; then ok "debugfs mounted, no KVM: '$msg_nokvm'"; else
        not_ok "no-KVM message: $(head -3 "$work/nokvm")"; fi
    if grep -qxF "$msg_denied" "$work/denied"; then ok "unprivileged: '$msg_denied'"; else
        not_ok "denied message: $(head -3 "$work/denied")"; fi
fi

"$KT" top --json -n 2 -d 0.2 >"$work/json" || bail "top --json failed"
if [ "$(wc -l <"$work/json")" = 2 ] &&
    [ "$(jq -s --argjson p "$QEMU_PID" '[.[] | .vms[] | select(.pid == $p and .vm == "live01")] | length' "$work/json")" = 2 ] &&
    [ "$(jq -s --argjson p "$QEMU_PID" '.[1].vms[] | select(.pid == $p) | .moved_kib | type' "$work/json")" = '"number"' ]; then
    ok "--json: one line per frame, the VM in both, moved_kib in the second"; else
    not_ok "json: $(head -c 400 "$work/json")"; fi
finish
