#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Capture the files kvmtune reads from this host into DIR, as plain text
# copies, so that 'kvmtune --root DIR ...' sees the same host later or
# elsewhere (a bug report, a golden test).  Like hwloc-gather-topology, but
# only for what a NUMA/hugepage tool needs.
#   tools/capture-host.sh DIR
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)

copy() { # copy one readable regular file, keeping its path
    local f=$1
    [ -f "$f" ] && [ -r "$f" ] || return 0
    mkdir -p "$out$(dirname "$f")"
    # sysfs files report size 4096; cat reads what is really there.  Write-only
    # files (compact, drop_caches) are created empty so writers find them.
    cat "$f" >"$out$f" 2>/dev/null || : >"$out$f"
}

for f in /proc/meminfo /proc/cpuinfo /proc/mounts /proc/cmdline /proc/swaps \
    /proc/sys/kernel/osrelease /proc/sys/kernel/numa_balancing \
    /proc/sys/vm/hugetlb_shm_group /proc/sys/vm/nr_hugepages /proc/sys/vm/nr_overcommit_hugepages \
    /proc/sys/vm/min_free_kbytes /proc/sys/vm/compaction_proactiveness \
    /proc/sys/vm/compact_memory /proc/sys/vm/drop_caches; do
    copy "$f"
done
for f in /sys/devices/system/cpu/{online,offline,possible,present,kernel_max}; do copy "$f"; done
for d in /sys/devices/system/cpu/cpu[0-9]*; do
    [ -d "$d" ] || continue
    copy "$d/online"
    for f in "$d"/topology/*; do copy "$f"; done
    for c in "$d"/cache/index[0-9]*; do
        for f in level type size shared_cpu_list shared_cpu_map; do copy "$c/$f"; done
    done
done
for f in /sys/devices/system/node/{online,possible,has_cpu,has_memory,has_normal_memory}; do copy "$f"; done
for d in /sys/devices/system/node/node[0-9]*; do
    [ -d "$d" ] || continue
    for f in cpulist cpumap distance meminfo numastat compact; do copy "$d/$f"; done
    for p in "$d"/hugepages/hugepages-*; do
        for f in "$p"/*; do copy "$f"; done
    done
done
for p in /sys/kernel/mm/hugepages/hugepages-*; do
    for f in "$p"/*; do copy "$f"; done
done
for f in /sys/kernel/mm/transparent_hugepage/{enabled,defrag} /sys/kernel/mm/ksm/*; do copy "$f"; done
for f in /etc/libvirt/qemu.conf /etc/libvirt/qemu/*.xml /etc/group /etc/passwd \
    /etc/sysctl.d/*.conf /etc/fstab; do
    copy "$f"
done
echo "captured $(find "$out" -type f | wc -l) files into $out" >&2
