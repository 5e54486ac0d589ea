#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plan-libvirt: one plan through a private libvirtd (tests/vm/libvirtd-private).
# 'kvmtune plan --domain dom.xml --write' places a 64 MiB hugepage domain with
# one vCPU and one I/O thread on this host and merges the placement into the
# file (cells, <numatune> memnode, <cputune> vcpupin/emulatorpin/iothreadpin);
# 'kvmtune lint' finds no error in the result; libvirt accepts the written XML
# ('virsh define', 'virsh start --paused'), generates the same memory arguments
# as 'kvmtune qemu-args --domain' for it (tests/libvirt/compare-libvirt.py
# --pair), and runs the vCPU thread on the planned CPU and the emulator on the
# planned CPUs ('virsh vcpupin', 'virsh emulatorpin', the thread's own
# Cpus_allowed_list).
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64 unshare libvirtd virtlogd virsh python3 jq
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs (libvirtd-private needs it)"
grep -qw hugetlbfs /proc/filesystems || skip_all "kernel has no hugetlbfs"
KVMTUNE_BIN=$(kvmtune_path)
COMPARE=$REPO_ROOT/tests/libvirt/compare-libvirt.py

work=$(mktemp -d "${TMPDIR:-/tmp}/plan-libvirt.XXXXXX")
at_exit "rm -rf '$work'"
mkdir "$work/no-domains"

cat >"$work/dom.xml" <<XML
<domain type='qemu'>
  <name>kvmtune-plan-live</name>
  <memory unit='MiB'>64</memory>
  <memoryBacking><hugepages/></memoryBacking>
  <vcpu placement='static'>1</vcpu>
  <iothreads>1</iothreads>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
XML

cat >"$work/inside.sh" <<'INSIDE'
#!/bin/bash
set -uo pipefail
work=$1 kt=$2 vm=$3
dom=kvmtune-plan-live
echo "$LIBVIRTD_PRIVATE_HUGETLBFS" >"$work/hugetlbfs"
plan=("$kt" plan --no-processes --domains "$work/no-domains" --domain "$work/dom.xml")
"${plan[@]}" --json >"$work/plan.json" 2>"$work/plan.err"
"${plan[@]}" --write >"$work/write.out" 2>&1
echo $? >"$work/write.rc"
"$kt" lint --json --domains "$work/no-domains" --domain "$work/dom.xml" >"$work/lint.json" 2>&1
"$kt" qemu-args --json --domain "$work/dom.xml" >"$work/kvmtune.json" 2>"$work/kvmtune.err"
echo $? >"$work/kvmtune.rc"
virsh define "$work/dom.xml" >/dev/null 2>"$work/virsh.err" &&
    virsh start --paused "$dom" >>"$work/virsh.err" 2>&1 &&
    "$vm/libvirtd-private" --cmdline "$dom" >"$work/cmdline"
echo $? >"$work/libvirt.rc"
virsh vcpupin "$dom" >"$work/vcpupin" 2>&1
virsh emulatorpin "$dom" >"$work/emulatorpin" 2>&1
pid=$(cat "/run/libvirt/qemu/$dom.pid" 2>/dev/null)
for t in /proc/"$pid"/task/*; do
    echo "$(cat "$t/comm")|$(awk '/^Cpus_allowed_list/ { print $2 }' "$t/status")"
done >"$work/threads" 2>/dev/null
virsh destroy "$dom" >/dev/null 2>&1
virsh undefine "$dom" >/dev/null 2>&1
exit 0
INSIDE
chmod +x "$work/inside.sh"

hugepool_add_2m 64
rc=0
"$VM_DIR/libvirtd-private" --hugetlbfs --run "$work/inside.sh" "$work" "$KVMTUNE_BIN" "$VM_DIR" \
    >"$work/run.out" 2>"$work/run.err" || rc=$?
check "private libvirtd ran (exit $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || { diag "$(tail -n 20 "$work/run.err")"; finish; }

diag "plan: $(jq -c '.vms[0] | {nodes, cells: [.cells[] | {node, pages}], pins}' "$work/plan.json" 2>&1)"
check "kvmtune plan placed the domain" test "$(jq '.placed' "$work/plan.json")" -eq 1
check "plan --write merged it into the file (exit $(cat "$work/write.rc"))" \
    test "$(cat "$work/write.rc")" -eq 0
check "the written domain has the plan's pins" grep -q "<vcpupin vcpu=\"0\" cpuset=\"$(jq -r '.vms[0].pins.vcpus[0]' "$work/plan.json")\"/>" "$work/dom.xml"
diag "lint: $(jq -c '[.findings[] | .id]' "$work/lint.json" 2>&1)"
check "lint finds no error in the written domain" test "$(jq '.errors' "$work/lint.json")" -eq 0
if [[ "$(cat "$work/libvirt.rc")" != 0 ]]; then
    not_ok "libvirt defined and started the written domain"
    diag "$(cat "$work/virsh.err")"
    finish
fi
ok "libvirt defined and started the written domain"
hp=$(cat "$work/hugetlbfs")
out=$(python3 "$COMPARE" --pair "$work/kvmtune.json" "$work/cmdline" "$hp" 2>&1) && r=0 || r=$?
check "libvirt's memory arguments equal kvmtune's for the written domain" test "$r" -eq 0
[[ $r -eq 0 ]] || diag "$out"
diag "libvirt: $(grep -E 'memory-backend|^-numa' "$work/cmdline" | tr '\n' ' ')"
node=$(jq '.vms[0].cells[0].node' "$work/plan.json")
check "the guest RAM backend is bound to the planned node $node" \
    grep -q "\"host-nodes\":\[$node\],\"policy\":\"bind\"" "$work/cmdline"
vcpu=$(jq -r '.vms[0].pins.vcpus[0]' "$work/plan.json")
emu=$(jq -r '.vms[0].pins.emulator' "$work/plan.json")
diag "virsh vcpupin: $(tr -s ' \n' ' ' <"$work/vcpupin")"
diag "threads: $(tr '\n' ' ' <"$work/threads")"
check "virsh vcpupin: vCPU 0 on CPU $vcpu" grep -Eq "^ *0 +$vcpu *$" "$work/vcpupin"
check "virsh emulatorpin: CPUs $emu" grep -Eq "^ *\*: +$emu *$" "$work/emulatorpin"
got=$(awk -F'|' '$1 ~ /^CPU 0\// { print $2 }' "$work/threads")
check "the 'CPU 0/...' thread may run on CPU $vcpu only (got ${got:-none})" test "$got" = "$vcpu"

finish
