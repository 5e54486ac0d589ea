#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-args-live: the arguments 'kvmtune qemu-args' generates run in QEMU and do
# what they say.  For 2 MiB pages on a private hugetlbfs and each policy
# (bind, preferred, interleave on host node 0), a paused TCG QEMU started with
# exactly kvmtune's arguments maps its RAM from that hugetlbfs with the policy,
# huge pages of 2048 kB, all on node 0, and takes exactly the VM's size from
# the pool; then two guest cells (both bound to node 0) get one backend each.
# The pool is grown relative to what is there and restored; QEMU is stopped
# by PID (tests/vm/qemu-paused).
# shellcheck disable=SC2016,SC2317 # script text for bash -c; checks called via check
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64 python3
grep -qw hugetlbfs /proc/filesystems || skip_all "kernel has no hugetlbfs"
[[ -d /sys/devices/system/node/node0 ]] || skip_all "host has no NUMA node 0 in sysfs"
KVMTUNE_BIN=$(kvmtune_path)
NODE0_FREE=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/free_hugepages

work=$(mktemp -d "${TMPDIR:-/tmp}/qemu-args-live.XXXXXX")
at_exit "rm -rf '$work'"

hugepool_add_2m 64
[[ "$(<"$NODE0_FREE")" -ge 32 ]] || skip_all "host node 0 got fewer than 32 free 2 MiB pages"
private_hugetlbfs pagesize=2M,size=128M
mnt=$HUGETLBFS_DIR

# mnt_used: 2 MiB pages held by files of our hugetlbfs
mnt_used() {
    stat -f -c '%b %f' "$mnt" | awk '{ print $1 - $2 }'
}

# gen ARGS...: kvmtune qemu-args --json ARGS → the argument vector in $work/argv (NUL-separated).
gen() {
    "$KVMTUNE_BIN" qemu-args --json --hugetlbfs "$mnt" "$@" >"$work/args.json" &&
        python3 -c 'import json,sys; sys.stdout.write("".join(a + "\0" for a in json.load(open(sys.argv[1]))["argv"]))' \
            "$work/args.json" >"$work/argv"
}

# run_paused EXTRA-QEMU-ARGS...: start QEMU with kvmtune's arguments, record numa_maps and counters.
run_paused() {
    local -a argv
    mapfile -d '' -t argv <"$work/argv"
    rm -f "$work/numa_maps" "$work/used_during" "$work/pid"
    "$VM_DIR/qemu-paused" "$@" "${argv[@]}" \
        --run bash -c '
            set -e
            echo "$QEMU_PID" >"$1/pid"
            cp "/proc/$QEMU_PID/numa_maps" "$1/numa_maps"
            stat -f -c "%b %f" "$2" | awk "{ print \$1 - \$2 }" >"$1/used_during"' _ "$work" "$mnt" \
        2>"$work/qemu-paused.err"
}

has_word() {
    [[ " $1 " == *" $2 "* ]]
}

policy_word() {
    case $1 in
    bind) echo bind:0 ;;
    preferred) echo prefer:0 ;;
    interleave) echo interleave:0 ;;
    esac
}

for policy in bind preferred interleave; do
    diag "--- 64 MiB on 2M pages, $policy node 0"
    if ! gen --mem 64M --page 2M --host-nodes 0 --policy "$policy" --name "live-$policy"; then
        not_ok "$policy: kvmtune qemu-args succeeds"
        continue
    fi
    diag "args: $(tr '\0' ' ' <"$work/argv")"
    check "$policy: no -mem-path/-mem-prealloc in the arguments" \
        bash -c '! grep -qz -e "^-mem-path$" -e "^-mem-prealloc$" "$1"' _ "$work/argv"
    used_before=$(mnt_used)
    rc=0
    run_paused || rc=$?
    check "$policy: QEMU starts with kvmtune's arguments (rc $rc)" test "$rc" -eq 0
    [[ $rc -eq 0 ]] || diag "$(cat "$work/qemu-paused.err")"
    line=$(grep -F "file=$mnt/" "$work/numa_maps" 2>/dev/null || true)
    diag "numa_maps: ${line:-<no mapping of $mnt>}"
    check "$policy: guest RAM mapped from the private hugetlbfs" test -n "$line"
    check "$policy: numa_maps policy $(policy_word "$policy")" has_word "$line" "$(policy_word "$policy")"
    check "$policy: numa_maps huge, kernelpagesize_kB=2048" \
        eval 'has_word "$line" huge && has_word "$line" kernelpagesize_kB=2048'
    check "$policy: numa_maps N0=32 (all 64 MiB on node 0)" has_word "$line" N0=32
    used_during=$(cat "$work/used_during" 2>/dev/null || echo '?')
    check "$policy: exactly 32 pages taken from the pool ($used_before -> $used_during)" \
        test "$used_during" = $((used_before + 32))
    qpid=$(cat "$work/pid" 2>/dev/null || true)
    check "$policy: QEMU (pid ${qpid:-?}) stopped and its pages returned ($(mnt_used) in use)" \
        eval '[[ -n "$qpid" ]] && ! pid_alive "$qpid" && [[ "$(mnt_used)" == "$used_before" ]]'
done

diag "--- two guest cells of 32 MiB on 2M pages, both bound to node 0"
if gen --cells 0:32M:0,1:32M:1 --page 2M --host-nodes 0 --policy bind --name live-cells; then
    used_before=$(mnt_used)
    rc=0
    run_paused -smp 2 || rc=$?
    check "cells: QEMU starts with kvmtune's arguments (rc $rc)" test "$rc" -eq 0
    [[ $rc -eq 0 ]] || diag "$(cat "$work/qemu-paused.err")"
    n=$(grep -F "file=$mnt/" "$work/numa_maps" 2>/dev/null | grep -c ' bind:0 .*N0=16' || true)
    diag "$(grep -F "file=$mnt/" "$work/numa_maps" 2>/dev/null || echo '<no mapping>')"
    check "cells: two hugetlbfs mappings, each bind:0 with N0=16 (got $n)" test "$n" -eq 2
    used_during=$(cat "$work/used_during" 2>/dev/null || echo '?')
    check "cells: exactly 32 pages taken from the pool ($used_before -> $used_during)" \
        test "$used_during" = $((used_before + 32))
else
    not_ok "cells: kvmtune qemu-args succeeds"
fi

finish
