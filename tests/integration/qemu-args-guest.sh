#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-args-guest: a TCG guest booted with the memory arguments of
# 'kvmtune qemu-args' (two cells of 128 MiB on 2 MiB hugepages of a private
# hugetlbfs, both bound to host node 0) sees two NUMA nodes with one vCPU and
# about 128 MiB each.  tests/vm/guest-run boots the guest; a QEMU wrapper
# (GUEST_RUN_QEMU) replaces guest-run's own -m/-object/-numa by kvmtune's.
# While the guest runs, the wrapper records the host pages QEMU took (on our
# own hugetlbfs, so that other users of the host pool do not disturb it).
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64 busybox python3
grep -qw hugetlbfs /proc/filesystems || skip_all "kernel has no hugetlbfs"
[[ -d /sys/devices/system/node/node0 ]] || skip_all "host has no NUMA node 0 in sysfs"
KVMTUNE_BIN=$(kvmtune_path)

work=$(mktemp -d "${TMPDIR:-/tmp}/qemu-args-guest.XXXXXX")
at_exit "rm -rf '$work'"

hugepool_add_2m 160
private_hugetlbfs pagesize=2M,size=256M
mnt=$HUGETLBFS_DIR
echo "$mnt" >"$work/mnt"

"$KVMTUNE_BIN" qemu-args --json --hugetlbfs "$mnt" --cells 0:128M:0,1:128M:1 --page 2M \
    --host-nodes 0 --policy bind --name guest-cells >"$work/args.json" ||
    bail "kvmtune qemu-args failed"
python3 -c 'import json,sys; sys.stdout.write("".join(a + "\0" for a in json.load(open(sys.argv[1]))["argv"]))' \
    "$work/args.json" >"$work/argv"
diag "kvmtune: $(tr '\0' ' ' <"$work/argv")"

# The wrapper drops guest-run's memory options and appends kvmtune's.
cat >"$work/qemu-wrapper" <<'WRAP'
#!/bin/bash
work=$(dirname "$0")
args=()
while (($#)); do
    case "$1" in
    -m | -numa) shift 2 ;;
    -object)
        if [[ "$2" == memory-backend-* ]]; then shift 2; else args+=("$1" "$2"); shift 2; fi ;;
    *) args+=("$1"); shift ;;
    esac
done
mapfile -d '' -t mem <"$work/argv"
printf '%s\n' "${args[@]}" "${mem[@]}" >"$work/qemu-argv"
qemu-system-x86_64 "${args[@]}" "${mem[@]}" &
qpid=$!
# once preallocation is done (all expected pages mapped), record what QEMU took
want=$(cat "$work/expect_pages")
for _ in $(seq 600); do
    got=$(awk '/ huge / { for (i = 1; i <= NF; i++) if ($i ~ /^N[0-9]+=/) { split($i, a, "="); n += a[2] } }
               END { print n + 0 }' "/proc/$qpid/numa_maps" 2>/dev/null)
    ((got >= want)) && break
    sleep 0.1
done
cp "/proc/$qpid/numa_maps" "$work/numa_maps" 2>/dev/null
# pages held by files of our hugetlbfs (mounted with size=, so statfs counts them)
stat -f -c '%b %f' "$(cat "$work/mnt")" | awk '{ print $1 - $2 }' >"$work/used_during"
wait "$qpid"
WRAP
chmod +x "$work/qemu-wrapper"

cat >"$work/in-guest.sh" <<'GUEST'
#!/bin/sh
for d in /sys/devices/system/node/node[0-9]*; do
    echo "${d##*/node} $(cat "$d/cpulist") $(awk '/MemTotal:/ { print $4 }' "$d/meminfo")"
done
GUEST
chmod +x "$work/in-guest.sh"

rc=0
echo 128 >"$work/expect_pages"
GUEST_RUN_QEMU=$work/qemu-wrapper "$VM_DIR/guest-run" --nodes 2 --cpus 2 --mem 256 --timeout 300 \
    --add "$work/in-guest.sh:/in-guest.sh" -- /in-guest.sh >"$work/guest.out" 2>"$work/guest.err" || rc=$?
check "guest booted with kvmtune's memory arguments and ran (rc $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag "$(tail -n 20 "$work/guest.err")"
diag "guest nodes (id cpulist MemTotal kB):" "$(cat "$work/guest.out")"

check "guest sees exactly two NUMA nodes" test "$(wc -l <"$work/guest.out")" -eq 2
n0=$(awk '$1 == 0 { print $2, $3 }' "$work/guest.out")
n1=$(awk '$1 == 1 { print $2, $3 }' "$work/guest.out")
# Kernel reservations come out of node 0 (as in guest-status.sh); node 1 loses only its memmap.
check "guest node 0: cpu 0, 32-128 MiB ($n0)" \
    eval '[[ "${n0%% *}" == 0 ]] && (( ${n0##* } >= 32768 && ${n0##* } <= 131072 ))'
check "guest node 1: cpu 1, 95-100% of 128 MiB ($n1)" \
    eval '[[ "${n1%% *}" == 1 ]] && (( ${n1##* } >= 124518 && ${n1##* } <= 131072 ))'

maps=$(grep -F "file=$mnt/" "$work/numa_maps" 2>/dev/null || true)
diag "host numa_maps of the guest's RAM:" "${maps:-<none>}"
check "host: two backends from the private hugetlbfs, each bind:0, 2048 kB pages" \
    test "$(grep -c ' bind:0 .*kernelpagesize_kB=2048' <<<"$maps")" -eq 2
used_during=$(cat "$work/used_during" 2>/dev/null || echo '?')
check "host: exactly 128 pages of our hugetlbfs in use while the guest ran ($used_during)" \
    test "$used_during" = 128

finish
