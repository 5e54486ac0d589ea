#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# profile-guest: inside a TCG guest with a virtio disk, sysctls, THP and KSM,
# 'kvmtune profile apply virtual-host --ksm-unmerge --persist' changes the
# values, 'verify' then exits 0, and 'undo' restores every value and file
# exactly (compared with a capture taken before).  Then a write fails at each
# write point of apply in turn (KVMTUNE_TEST_FAIL_WRITE, the host seam's
# write hook): every value is restored, at 100% of the points.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_cmd qemu-system-x86_64 busybox
require_kvmtune
KT=$(kvmtune_path)

work=$(mktemp -d "${TMPDIR:-/tmp}/profile-guest.XXXXXX")
at_exit "rm -rf '$work'"

# Runs in the guest, prints TAP lines without numbers ("ok - ...").
cat >"$work/in-guest.sh" <<'EOF'
#!/bin/sh
kt=$1
export ASAN_OPTIONS=detect_leaks=0
# every file the profile may touch, and the --persist files and the journal
capture() {
    for f in /proc/sys/vm/swappiness /proc/sys/vm/dirty_ratio \
        /proc/sys/vm/dirty_background_ratio /proc/sys/kernel/numa_balancing \
        /proc/sys/net/core/somaxconn /sys/kernel/mm/transparent_hugepage/enabled \
        /sys/kernel/mm/transparent_hugepage/defrag /sys/kernel/mm/ksm/run \
        /sys/kernel/mm/ksm/merge_across_nodes /sys/block/vd*/queue/scheduler \
        /sys/block/vd*/queue/read_ahead_kb /sys/devices/system/cpu/cpu*/power/pm_qos_resume_latency_us \
        /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor \
        /etc/sysctl.d/80-kvmtune-profile.conf /etc/tmpfiles.d/80-kvmtune-profile.conf \
        /etc/udev/rules.d/80-kvmtune-profile.rules; do
        if [ -e "$f" ]; then echo "$f: $(cat "$f")"; else echo "$f: absent"; fi
    done
}
t() { if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fi; }
entries() { ls /var/lib/kvmtune/journal 2>/dev/null | grep -c '\.json$'; }

# KSM running, as an admin may have it: merge_across_nodes needs the unmerge sequence
echo 1 >/sys/kernel/mm/ksm/run
capture >/tmp/before
echo "# before:"; sed 's/^/#   /' /tmp/before

"$kt" profile verify virtual-host >/tmp/verify0 2>&1; rc=$?
desc="verify before apply exits 1 (values differ)"; t [ $rc -eq 1 ]
"$kt" profile apply virtual-host --ksm-unmerge --persist >/tmp/apply 2>&1; rc=$?
sed 's/^/#   /' /tmp/apply
desc="apply virtual-host --ksm-unmerge --persist exits 0"; t [ $rc -eq 0 ]
"$kt" profile verify virtual-host >/tmp/verify1 2>&1; rc=$?
sed 's/^/#   /' /tmp/verify1
desc="verify after apply exits 0"; t [ $rc -eq 0 ]
desc="vda's scheduler is none (was mq-deadline)"; t grep -q '\[none\]' /sys/block/vda/queue/scheduler
desc="vda's read-ahead is 4096 KiB"; t [ "$(cat /sys/block/vda/queue/read_ahead_kb)" = 4096 ]
desc="vm.swappiness is 10"; t [ "$(cat /proc/sys/vm/swappiness)" = 10 ]
desc="THP is madvise"; t grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled
desc="KSM: merge_across_nodes 0, running again"; t [ "$(cat /sys/kernel/mm/ksm/merge_across_nodes)$(cat /sys/kernel/mm/ksm/run)" = 01 ]
desc="kernel.numa_balancing is 0"; t [ "$(cat /proc/sys/kernel/numa_balancing)" = 0 ]
desc="CPU resume latency: the 70 us fallback (no cpuidle states under TCG)"; t [ "$(cat /sys/devices/system/cpu/cpu0/power/pm_qos_resume_latency_us)" = 70 ]
desc="--persist wrote the sysctl.d file"; t grep -q 'vm.swappiness = 10' /etc/sysctl.d/80-kvmtune-profile.conf
desc="the apply is journal entry 1"; t [ "$(entries)" = 1 ]
"$kt" undo >/tmp/undo 2>&1; rc=$?
sed 's/^/#   /' /tmp/undo
desc="undo exits 0"; t [ $rc -eq 0 ]
capture >/tmp/after
desc="undo restored every value and file exactly"; t cmp -s /tmp/before /tmp/after
cmp -s /tmp/before /tmp/after || diff /tmp/before /tmp/after | sed 's/^/#   /'

# a failing write at every write point of apply
k=1
restored=0
while [ $k -le 200 ]; do
    n0=$(entries)
    KVMTUNE_TEST_FAIL_WRITE=$k "$kt" profile apply virtual-host --ksm-unmerge --persist >/tmp/fail 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        # k is past the last write: apply went through; put the host back
        "$kt" undo >/dev/null 2>&1
        break
    fi
    capture >/tmp/after
    if [ $rc -eq 3 ] && cmp -s /tmp/before /tmp/after && [ "$(entries)" = "$n0" ]; then
        restored=$((restored + 1))
    else
        echo "# write $k failed: exit $rc, not everything restored"
        diff /tmp/before /tmp/after | sed 's/^/#   /'
        sed 's/^/#   /' /tmp/fail
    fi
    k=$((k + 1))
done
points=$((k - 1))
echo "# write points of apply: $points, restored after a failure at: $restored"
desc="a failing write at each of the $points write points restored everything ($restored of $points)"; t [ $points -gt 10 ] && [ $restored -eq $points ]
capture >/tmp/after
desc="the host is as before at the end"; t cmp -s /tmp/before /tmp/after
EOF
chmod +x "$work/in-guest.sh"

args=(--nodes 2 --cpus 2 --disk 64 --timeout 600
    --add "$work/in-guest.sh:/in-guest.sh" --add "$KT")
diag "guest-run ${args[*]} -- /in-guest.sh $KT"
rc=0
t0=$EPOCHREALTIME
"$VM_DIR/guest-run" "${args[@]}" -- /in-guest.sh "$KT" >"$work/out" 2>"$work/err" || rc=$?
if [[ $rc -eq 125 ]]; then
    diag "guest-run failed before the command reported (125), booting again: $(tail -n 3 "$work/err" | tr '\n' ' ')"
    rc=0
    "$VM_DIR/guest-run" "${args[@]}" -- /in-guest.sh "$KT" >"$work/out" 2>"$work/err" || rc=$?
fi
diag "guest exit $rc in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
if [[ $rc -ne 0 ]]; then
    not_ok "the guest ran the profile script (exit $rc)"
    diag "$(tail -n 20 "$work/err")"
    finish
fi
while IFS= read -r line; do
    case $line in
    "ok - "*) ok "${line#ok - }" ;;
    "not ok - "*) not_ok "${line#not ok - }" ;;
    "#"*) printf '%s\n' "$line" ;;
    esac
done <"$work/out"
finish
