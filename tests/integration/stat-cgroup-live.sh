#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cgroup fast path of 'kvmtune stat --vms', live: a paused QEMU with a
# 64 MiB hugetlbfs backend (2 MiB pages, bound to node 0) started inside
# cgroups of its own, as libvirt and Proxmox start VMs: a memory cgroup (v1
# below our own memory cgroup when the host has the v1 memory hierarchy, else
# v2) and a hugetlb cgroup (v1 or v2, wherever the controller is).  On the
# host this was written on that is the hybrid layout: v1 memory, hugetlb on
# the unified v2 mount.  kvmtune must read the VM from those cgroups (source
# "cgroup", no numa_maps), and find the same hugepages numa_maps shows and
# the QEMU's anonymous memory within a few percent of numa_maps' anon= pages.
# Restores the pool, removes the cgroups and the mount, and resets the v2
# root's subtree_control if it changed it.
# shellcheck disable=SC2015 # "check && ok ... || notok ...": ok always succeeds
set -euo pipefail
KVMTUNE=${KVMTUNE:-build/kvmtune}
pool=/sys/kernel/mm/hugepages/hugepages-2048kB

skip() { echo "# SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root"
[ -w "$pool/nr_hugepages" ] || skip "no writable 2 MiB hugepage pool"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v jq >/dev/null || skip "jq is not installed"

# hierarchy mount of a v1 controller, or nothing
v1_mount() { awk -v c="$1" '$3 == "cgroup" && ("," $4 ",") ~ ("," c ",") {print $2; exit}' /proc/mounts; }
v1_own() { awk -F: -v c="$1" '$1 != 0 && ("," $2 ",") ~ ("," c ",") {print $3; exit}' /proc/self/cgroup; }
cg2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)

fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }

orig=$(cat "$pool/nr_hugepages")
tmp=$(mktemp -d /tmp/kvmtune-stat-cg.XXXXXX)
mnt=$tmp/huge
q=""
mounted=0
enabled=""
made=()
# shellcheck disable=SC2317 # called through trap
cleanup() {
    if [ -n "$q" ]; then kill "$q" 2>/dev/null || true; wait "$q" 2>/dev/null || true; fi
    for ((i = ${#made[@]} - 1; i >= 0; i--)); do rmdir "${made[i]}" 2>/dev/null || echo "# could not remove ${made[i]}"; done
    for c in $enabled; do echo "-$c" >"$cg2/cgroup.subtree_control" || true; done
    [ "$mounted" = 1 ] && umount "$mnt"
    echo "$orig" >"$pool/nr_hugepages"
    echo "# restored pool to $orig"
    [ -z "$cg2" ] || echo "# $cg2/cgroup.subtree_control: '$(cat "$cg2/cgroup.subtree_control")'"
    rm -rf "$tmp"
}
trap cleanup EXIT

# where each controller lives: "v1 DIR" or "v2 DIR" for the new cgroup
place() {
    local ctl=$1 m own
    m=$(v1_mount "$ctl")
    own=$(v1_own "$ctl")
    if [ -n "$m" ] && [ -n "$own" ]; then
        echo "v1 $m${own%/}/kvmtune-stat-test.$$"
    elif [ -n "$cg2" ] && grep -qw "$ctl" "$cg2/cgroup.controllers"; then
        echo "v2 $cg2/kvmtune-stat-test.$$"
    fi
}
read -r mem_v mem_cg <<<"$(place memory)" || true
read -r hug_v hug_cg <<<"$(place hugetlb)" || true
[ -n "${mem_cg:-}" ] || skip "no memory controller on v1 or v2"
[ -n "${hug_cg:-}" ] || skip "no hugetlb controller on v1 or v2"
echo "# memory cgroup ($mem_v): $mem_cg"
echo "# hugetlb cgroup ($hug_v): $hug_cg"

echo $((orig + 34)) >"$pool/nr_hugepages"
[ "$(cat "$pool/free_hugepages")" -ge 32 ] || skip "could not get 32 free 2 MiB pages"
mkdir "$mnt"
mount -t hugetlbfs -o pagesize=2M none "$mnt"
mounted=1
for pair in "memory:$mem_v" "hugetlb:$hug_v"; do
    ctl=${pair%%:*}
    if [ "${pair#*:}" = v2 ] && ! grep -qw "$ctl" "$cg2/cgroup.subtree_control"; then
        echo "+$ctl" >"$cg2/cgroup.subtree_control" || skip "cannot enable $ctl in $cg2"
        enabled="$enabled $ctl"
    fi
done
for d in "$mem_cg" "$hug_cg"; do
    [ -d "$d" ] && continue
    mkdir "$d"
    made+=("$d")
done
# the shell moves itself into the cgroups, then becomes QEMU
sh -c 'for d in "$1" "$2"; do echo $$ >"$d/cgroup.procs"; done; shift 2; exec "$@"' sh \
    "$mem_cg" "$hug_cg" \
    qemu-system-x86_64 -accel tcg -S -display none -nodefaults -no-user-config -m 64 \
    -name guest=kvmtune-cg-test,debug-threads=on \
    -object memory-backend-file,id=m0,size=64M,mem-path="$mnt",prealloc=on,host-nodes=0,policy=bind \
    -machine memory-backend=m0 </dev/null >"$tmp/qemu.log" 2>&1 &
q=$!
for _ in $(seq 600); do
    grep -q ' huge .*N0=32 ' "/proc/$q/numa_maps" 2>/dev/null && break
    kill -0 "$q" 2>/dev/null || { notok "QEMU died: $(cat "$tmp/qemu.log")"; exit 1; }
    sleep 0.1
done

want=total
[ "$hug_v" = v1 ] && want=hierarchical_total # v1 shows the cgroup's own first
stat_line=$(grep -m1 "^$want=" "$hug_cg/hugetlb.2MB.numa_stat" | sed 's/^hierarchical_//')
echo "# $hug_cg/hugetlb.2MB.numa_stat: $stat_line"
[[ "$stat_line" == "total=67108864 N0=67108864"* ]] && ok "the kernel counts 64 MiB of 2 MiB pages on node 0 in bytes" ||
    notok "unexpected hugetlb.2MB.numa_stat: $stat_line"

json=$("$KVMTUNE" stat --vms --json "$q")
j() { jq -r "$1" <<<"$json"; }
[ "$(j '.processes[0].source')" = cgroup ] && [ "$(j '.processes[0].cgroup')" = "$mem_cg" ] &&
    ok "kvmtune reads the live VM from its cgroups ($(j '.processes[0].cgroup'))" ||
    notok "source: $(j '.processes[0].source') cgroup: $(j '.processes[0].cgroup')"
[ "$(j '.processes[0].nodes[] | select(.node == 0) | .huge_kib')" = 65536 ] &&
    ok "huge_kib on node 0 from the hugetlb cgroup = 65536, as numa_maps says" ||
    notok "huge_kib: $(j '.processes[0].nodes')"

# the QEMU's anonymous memory: numa_maps' anon= pages against the memory cgroup.
# A QEMU still settling after preallocation (freeing its start-up buffers)
# changes it between two reads: compare only when numa_maps read before and
# after kvmtune agree.
anon_now() {
    awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^anon=/ && $0 !~ / huge /) { split($i, a, "="); n += a[2] } }
         END { print n * 4 }' "/proc/$q/numa_maps"
}
for try in 1 2 3 4 5; do
    before=$(anon_now)
    cg_kib=$("$KVMTUNE" stat --vms --json "$q" | jq -r '[.processes[0].nodes[].private_kib] | add')
    anon_kib=$(anon_now)
    echo "# try $try: numa_maps anon= $before then $anon_kib KiB, memory cgroup $cg_kib KiB"
    [ "$before" = "$anon_kib" ] && break
    sleep 1
done
((cg_kib * 100 >= anon_kib * 95 && cg_kib * 100 <= anon_kib * 105)) &&
    ok "memory cgroup's anonymous memory within 5 % of numa_maps' ($cg_kib vs $anon_kib KiB)" ||
    notok "memory cgroup anon $cg_kib KiB vs numa_maps anon $anon_kib KiB"

nm=$("$KVMTUNE" stat --vms --json --no-cgroup "$q")
[ "$(jq -r '.processes[0].source' <<<"$nm")" = numa_maps ] &&
    [ "$(jq -r '.processes[0].nodes[] | select(.node == 0) | .huge_kib' <<<"$nm")" = 65536 ] &&
    ok "--no-cgroup: numa_maps gives the same 65536 KiB" || notok "numa_maps: $nm"
echo "1..$n"
exit $fail
