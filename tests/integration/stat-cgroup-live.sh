#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The cgroup v2 fast path of 'kvmtune stat --vms' reads numa_stat files the
# kernel writes.  This host may lack the memory controller on cgroup v2, so the
# whole path cannot run live; what can: a paused QEMU with a 64 MiB hugetlbfs
# backend in a cgroup of its own with the hugetlb controller, whose real
# hugetlb.2MB.numa_stat is copied with its /proc files into a root for
# 'kvmtune --root' (plus a hand-written memory.numa_stat when the host has
# none).  kvmtune must then read the VM from the cgroup (source "cgroup") and
# find the same 64 MiB of 2 MiB pages per node that numa_maps shows.
# Restores the pool, the cgroup it made and the root's subtree_control.
# shellcheck disable=SC2015 # "check && ok ... || notok ...": ok always succeeds
set -euo pipefail
KVMTUNE=${KVMTUNE:-build/kvmtune}
pool=/sys/kernel/mm/hugepages/hugepages-2048kB

skip() { echo "# SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root"
[ -w "$pool/nr_hugepages" ] || skip "no writable 2 MiB hugepage pool"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v jq >/dev/null || skip "jq is not installed"
cg2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$cg2" ] || skip "no cgroup v2 mount"
grep -qw hugetlb "$cg2/cgroup.controllers" || skip "no hugetlb controller on cgroup v2 ($cg2)"

fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }

orig=$(cat "$pool/nr_hugepages")
tmp=$(mktemp -d /tmp/kvmtune-stat-cg.XXXXXX)
mnt=$tmp/huge
cg=$cg2/kvmtune-stat-test.$$
q=""
mounted=0
enabled=0
# shellcheck disable=SC2317 # called through trap
cleanup() {
    if [ -n "$q" ]; then kill "$q" 2>/dev/null || true; wait "$q" 2>/dev/null || true; fi
    [ -d "$cg" ] && rmdir "$cg"
    [ "$enabled" = 1 ] && { echo "-hugetlb" >"$cg2/cgroup.subtree_control" || true; }
    [ "$mounted" = 1 ] && umount "$mnt"
    echo "$orig" >"$pool/nr_hugepages"
    echo "# restored pool to $orig, $cg2/cgroup.subtree_control to '$(cat "$cg2/cgroup.subtree_control")'"
    rm -rf "$tmp"
}
trap cleanup EXIT

echo $((orig + 34)) >"$pool/nr_hugepages"
[ "$(cat "$pool/free_hugepages")" -ge 32 ] || skip "could not get 32 free 2 MiB pages"
mkdir "$mnt"
mount -t hugetlbfs -o pagesize=2M none "$mnt"
mounted=1
if ! grep -qw hugetlb "$cg2/cgroup.subtree_control"; then
    echo "+hugetlb" >"$cg2/cgroup.subtree_control" || skip "cannot enable hugetlb in $cg2"
    enabled=1
fi
mkdir "$cg"
# the shell moves itself into the cgroup, then becomes QEMU
sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$cg" \
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

stat_line=$(cat "$cg/hugetlb.2MB.numa_stat")
echo "# $cg/hugetlb.2MB.numa_stat: $stat_line"
[[ "$stat_line" == "total=67108864 N0=67108864"* ]] && ok "the kernel counts 64 MiB of 2 MiB pages on node 0 in bytes" ||
    notok "unexpected hugetlb.2MB.numa_stat: $stat_line"

# A root holding the live files kvmtune reads for this VM.
root=$tmp/root
rel=${cg#"$cg2"}
for f in /proc/cpuinfo /proc/meminfo /sys/devices/system/cpu/online /sys/devices/system/cpu/possible \
    /sys/devices/system/node/online "/proc/$q/comm" "/proc/$q/cmdline" "/proc/$q/cgroup" "/proc/$q/numa_maps"; do
    [ -e "$f" ] || continue
    mkdir -p "$root$(dirname "$f")"
    cat "$f" >"$root$f"
done
for d in /sys/devices/system/node/node[0-9]*; do
    mkdir -p "$root$d"
    cat "$d/cpulist" >"$root$d/cpulist"
    cat "$d/meminfo" >"$root$d/meminfo"
done
for d in /sys/kernel/mm/hugepages/hugepages-*; do
    mkdir -p "$root$d"
    for k in nr_hugepages free_hugepages resv_hugepages surplus_hugepages nr_overcommit_hugepages; do
        cat "$d/$k" >"$root$d/$k"
    done
done
for t in /proc/"$q"/task/*; do
    mkdir -p "$root$t"
    cat "$t/comm" >"$root$t/comm"
    cat "$t/stat" >"$root$t/stat"
done
echo "cgroup2 $cg2 cgroup2 rw 0 0" >"$root/proc/mounts"
mkdir -p "$root$cg"
cat "$cg/cgroup.procs" >"$root$cg/cgroup.procs"
for f in "$cg"/hugetlb.*.numa_stat; do cat "$f" >"$root$f"; done
if [ -r "$cg/memory.numa_stat" ]; then
    cat "$cg/memory.numa_stat" >"$root$cg/memory.numa_stat"
else
    echo "# no memory controller on cgroup v2 here: memory.numa_stat written by hand (anon 1 MiB on node 0)"
    printf 'anon N0=1048576\nfile_mapped N0=0\n' >"$root$cg/memory.numa_stat"
fi
json=$("$KVMTUNE" --root "$root" stat --vms --json "$q")
j() { jq -r "$1" <<<"$json"; }
[ "$(j '.processes[0].source')" = cgroup ] && ok "kvmtune reads the VM from its cgroup ($rel)" ||
    notok "source: $(j '.processes[0].source') cgroup: $(j '.processes[0].cgroup')"
[ "$(j '.processes[0].nodes[] | select(.node == 0) | .huge_kib')" = 65536 ] &&
    ok "huge_kib on node 0 from hugetlb.2MB.numa_stat = 65536, as numa_maps says" ||
    notok "huge_kib: $(j '.processes[0].nodes')"
nm=$("$KVMTUNE" --root "$root" stat --vms --json --no-cgroup "$q")
[ "$(jq -r '.processes[0].nodes[] | select(.node == 0) | .huge_kib' <<<"$nm")" = 65536 ] &&
    ok "--no-cgroup: the same 65536 KiB from the captured numa_maps" || notok "numa_maps huge: $nm"
echo "1..$n"
exit $fail
