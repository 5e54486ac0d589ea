#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-paused-smoke: a paused TCG QEMU with a 64 MiB hugetlbfs memory backend,
# prealloc=on and host-nodes=0,policy=bind takes exactly 32 2 MiB pages from
# host node 0 at start-up, and gives them back when it is stopped.
# shellcheck disable=SC2016,SC2317 # script text for bash -c; checks called via check
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_cmd qemu-system-x86_64
grep -qw hugetlbfs /proc/filesystems || skip_all "kernel has no hugetlbfs"
[[ -d /sys/devices/system/node/node0 ]] || skip_all "host has no NUMA node 0 in sysfs"
NODE0_FREE=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages

work=$(mktemp -d "${TMPDIR:-/tmp}/qemu-paused-smoke.XXXXXX")
at_exit "rm -rf '$work'"

hp_free() {
    awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo
}

hugepool_add_2m 64
[[ "$(<"$NODE0_FREE")" -ge 32 ]] || skip_all "host node 0 has fewer than 32 free 2 MiB pages"
private_hugetlbfs pagesize=2M,size=8G
mnt=$HUGETLBFS_DIR

# Pool-wide counters move with anything else that uses hugepages on this host
# (other tests too): they are reported. The checks count only our mount.
free_before=$(hp_free)
node0_before=$(<"$NODE0_FREE")
used_before=$(hugetlbfs_used_pages "$mnt") || bail "statfs on $mnt gives no page counts"

rc=0
"$VM_DIR/qemu-paused" -m 64M \
    -object "memory-backend-file,id=m0,size=64M,mem-path=$mnt,prealloc=on,host-nodes=0,policy=bind" \
    -numa node,nodeid=0,memdev=m0 \
    --run bash -c '
        set -e
        echo "$QEMU_PID" >"$1/pid"
        cp "/proc/$QEMU_PID/numa_maps" "$1/numa_maps"
        awk "/^HugePages_Free:/ { print \$2 }" /proc/meminfo >"$1/free_during"
        cat "$2" >"$1/node0_during"
        stat -f -c "%b %f" "$3" | awk "{ print \$1 - \$2 }" >"$1/used_during"' \
    _ "$work" "$NODE0_FREE" "$mnt" \
    2>"$work/qemu-paused.err" || rc=$?
check "qemu-paused --run exits 0 (got $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag "$(cat "$work/qemu-paused.err")"

free_during=$(cat "$work/free_during" 2>/dev/null || echo '?')
node0_during=$(cat "$work/node0_during" 2>/dev/null || echo '?')
used_during=$(cat "$work/used_during" 2>/dev/null || echo '?')
diag "host HugePages_Free $free_before -> $free_during, node 0 free $node0_before -> $node0_during"
check "QEMU took exactly 32 pages in our hugetlbfs ($used_before -> $used_during)" \
    test "$used_during" = $((used_before + 32))

line=$(grep -F "file=$mnt/" "$work/numa_maps" 2>/dev/null || true)
diag "numa_maps: ${line:-<no mapping of $mnt>}"
has_word() {
    [[ " $line " == *" $1 "* ]]
}
check "numa_maps: backing file mapped from our hugetlbfs" test -n "$line"
check "numa_maps: bind:0" has_word bind:0
check "numa_maps: huge" has_word huge
check "numa_maps: kernelpagesize_kB=2048" has_word kernelpagesize_kB=2048
check "numa_maps: N0=32" has_word N0=32

qpid=$(cat "$work/pid" 2>/dev/null || true)
check "QEMU (pid ${qpid:-?}) is gone after qemu-paused returned" \
    eval "[[ -n '$qpid' ]] && ! pid_alive '$qpid'"
check "all 32 pages came back ($(hugetlbfs_used_pages "$mnt") in use, expected $used_before)" \
    test "$(hugetlbfs_used_pages "$mnt")" = "$used_before"
diag "host HugePages_Free now $(hp_free)"

finish
