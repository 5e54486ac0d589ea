#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `kvmtune check` on the live host: a hugetlbfs mount given mode 3352 (1770
# passed on as a decimal number) shows as 1352 and is reported as the mode
# typo (error, exit 1); after 'chmod 1770' on the mount the inode is right
# but the mount option is not (warning); after umount the finding is gone.
set -euo pipefail

: "${KVMTUNE:?}" "${KVMTUNE_SRC:?}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount)"; exit 77; }
grep -qw hugetlbfs /proc/filesystems || { echo "SKIP: kernel without hugetlbfs"; exit 77; }
[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || { echo "SKIP: no 2 MiB pages"; exit 77; }

mnt=$(mktemp -d /tmp/kvmtune-check-live.XXXXXX)
mounted=""
cleanup() {
	[ -n "$mounted" ] && umount "$mnt"
	rmdir "$mnt"
}
trap cleanup EXIT

# finding_for SEVERITY: the mount-mode-typo finding for our mount, as "severity|message".
finding_for() {
	{ "$KVMTUNE" check --json || true; } | python3 -c '
import json, sys
mnt = sys.argv[1]
for f in json.load(sys.stdin)["findings"]:
    if f["id"] == "mount-mode-typo" and ("'"'"'%s'"'"'" % mnt) in f["message"]:
        print(f["severity"] + "|" + f["message"])
' "$mnt"
}

mount -t hugetlbfs -o pagesize=2M,mode=3352 none "$mnt"
mounted=1
grep " $mnt " /proc/mounts
grep -q " $mnt hugetlbfs .*mode=1352" /proc/mounts || { echo "FAIL: kernel did not show mode=1352"; exit 1; }
rc=0
"$KVMTUNE" check >/dev/null || rc=$?
[ "$rc" = 1 ] || { echo "FAIL: check exit $rc with a typo mount, want 1"; exit 1; }
got=$(finding_for)
echo "typo mount: $got"
case "$got" in
error\|*"has mode 1352, not 1770"*) ;;
*) echo "FAIL: no mount-mode-typo error for $mnt"; exit 1 ;;
esac

chmod 1770 "$mnt"
got=$(finding_for)
echo "after chmod: $got"
case "$got" in
warning\|*"the inode was fixed since"*) ;;
*) echo "FAIL: want a warning after chmod 1770"; exit 1 ;;
esac

umount "$mnt"
mounted=""
got=$(finding_for)
[ -z "$got" ] || { echo "FAIL: finding still there after umount: $got"; exit 1; }
echo "ok: mount-mode-typo appears, downgrades after chmod, goes after umount"
