#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Capture what 'kvmtune top' and 'kvmtune stat --vms' read about the VMs on
# this host into DIR, as plain text copies, so that 'kvmtune --root DIR top'
# shows them later or elsewhere (a bug report, a golden test):
#   - the host files of tools/capture-host.sh, and /proc/uptime;
#   - for each QEMU process (all of them, or the PIDs given): /proc/PID/
#     cmdline, comm, status, stat, numa_maps, and task/*/comm and stat;
#   - KVM's per-VM statistics in debugfs, /sys/kernel/debug/kvm/PID-FD/*
#     (the counters; the vcpuN/ subdirectories are left out);
#   - /dev/kvm as an empty file when the host has it.
# Command lines can hold secrets (-object secret,data=...): read DIR before
# you share it.
#   tools/capture-vm.sh DIR [PID...]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR [PID...]" >&2; exit 2; }
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
"$here/capture-host.sh" "$out" 2>/dev/null
out=$(cd "$out" && pwd)

copy() { # copy one readable regular file, keeping its path
    local f=$1
    [ -f "$f" ] && [ -r "$f" ] || return 0
    mkdir -p "$out$(dirname "$f")"
    cat "$f" >"$out$f" 2>/dev/null || rm -f "$out$f"
}

is_qemu() { # comm qemu* or kvm, as kvmtune decides
    local comm
    comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
    case $comm in qemu* | kvm) return 0 ;; *) return 1 ;; esac
}

pids=("$@")
if [ ${#pids[@]} -eq 0 ]; then
    for d in /proc/[0-9]*; do
        p=${d#/proc/}
        if is_qemu "$p"; then pids+=("$p"); fi
    done
fi
copy /proc/uptime
[ -e /dev/kvm ] && { mkdir -p "$out/dev"; : >"$out/dev/kvm"; }
nvm=0
for p in "${pids[@]}"; do
    [ -d "/proc/$p" ] || { echo "capture-vm: no process $p" >&2; exit 1; }
    for f in cmdline comm status stat numa_maps; do copy "/proc/$p/$f"; done
    for t in /proc/"$p"/task/[0-9]*; do
        copy "$t/comm"
        copy "$t/stat"
    done
    for v in /sys/kernel/debug/kvm/"$p"-*; do
        [ -d "$v" ] || continue
        for f in "$v"/*; do copy "$f"; done
        nvm=$((nvm + 1))
    done
done
echo "captured ${#pids[@]} QEMU process(es), $nvm with KVM statistics, into $out" >&2
