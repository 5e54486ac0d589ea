#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hugetlbfs-mode: the facts kvmtune's 1352 text states, on the running kernel.
# A private hugetlbfs mount given mode=3352 (1770 read as decimal) shows 1352
# in /proc/mounts and on its inode, and 'kvmtune check' reports it as
# mount-mode-typo meaning 1770; mode=1770 and mode=01770 both show 1770 (the
# kernel reads the option as octal). No pages are allocated.
# shellcheck disable=SC2317 # cleanups run from the exit trap
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_cmd jq
require_kvmtune
grep -qw hugetlbfs /proc/filesystems || skip_all "kernel has no hugetlbfs"
[[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]] || skip_all "no 2 MiB hugepages"
kt=$(kvmtune_path)

private_hugetlbfs pagesize=2M,size=2M,mode=3352
mnt=$HUGETLBFS_DIR
shown() { awk -v m="${1:-$mnt}" '$2 == m { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] ~ /^mode=/) print substr(o[i], 6) }' /proc/mounts; }

check "mode=3352 shows mode=1352 in /proc/mounts (got $(shown))" test "$(shown)" = 1352
check "mode=3352 gives the mount root mode 1352 (got $(stat -c %a "$mnt"))" test "$(stat -c %a "$mnt")" = 1352
json=$("$kt" check --json || true)
typo=$(jq -r --arg m "$mnt" '.findings[] | select(.id == "mount-mode-typo") | .message | select(contains($m))' <<<"$json")
check "kvmtune check reports the mount as mount-mode-typo, meaning 1770" grep -q "has mode 1352, not 1770" <<<"$typo"
check "the finding says only what is known" grep -q "reads mode=1770 as octal" <<<"$typo"

for m in 1770 01770; do
    dir=$(mktemp -d "${TMPDIR:-/tmp}/kvmtune-test-hugetlbfs.XXXXXX")
    at_exit "rmdir '$dir'"
    mount -t hugetlbfs -o "pagesize=2M,size=2M,mode=$m" none "$dir"
    at_exit "umount '$dir'"
    check "mode=$m shows mode=1770 (got $(shown "$dir")): the kernel reads it as octal" \
        test "$(shown "$dir")" = 1770
done
finish
