#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt-live: for several domains, the memory arguments a running libvirtd
# generates (private libvirtd from tests/vm/libvirtd-private, domains started
# paused) equal those of 'kvmtune qemu-args --domain' for the same XML, run in
# the same namespace (so both see the private hugetlbfs): the objects with all
# properties, -numa, -machine memory-backend=, -m, -overcommit mem-lock=
# (tests/libvirt/compare-libvirt.py --pair).  <locked/> is left out: a private
# libvirtd cannot raise the memlock limit here (CAP_SYS_RESOURCE); mem-lock is
# covered by the libvirt fixtures (mlock-on).
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64 unshare libvirtd virtlogd virsh python3
require_private_mounts
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs (libvirtd-private needs it)"
grep -qw hugetlbfs /proc/filesystems || skip_all "kernel has no hugetlbfs"
KVMTUNE_BIN=$(kvmtune_path)
COMPARE=$REPO_ROOT/tests/libvirt/compare-libvirt.py

work=$(mktemp -d "${TMPDIR:-/tmp}/libvirt-live.XXXXXX")
at_exit "rm -rf '$work'"

# domain NAME MEMORYBACKING NUMATUNE CPU: a paused-only TCG domain of 64 MiB.
domain() {
    cat >"$work/$1.xml" <<XML
<domain type='qemu'>
  <name>kvmtune-live-$1</name>
  <memory unit='MiB'>64</memory>
  <memoryBacking>$2</memoryBacking>
  <vcpu placement='static'>2</vcpu>
  $3
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  $4
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
XML
    echo "$1" >>"$work/domains"
}
cells="<cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model><numa>
    <cell id='0' cpus='0' memory='32' unit='MiB'/>
    <cell id='1' cpus='1' memory='32' unit='MiB' memAccess='shared'/></numa></cpu>"
domain seed003 "<hugepages/>" "<numatune><memory mode='strict' nodeset='0'/></numatune>" ""
domain cells-memnode "<hugepages><page size='2048' unit='KiB'/></hugepages>" \
    "<numatune><memory mode='preferred' nodeset='0'/><memnode cellid='1' mode='strict' nodeset='0'/></numatune>" "$cells"
domain memfd-shared "<hugepages/><source type='memfd'/><access mode='shared'/><allocation mode='immediate' threads='2'/>" \
    "<numatune><memory mode='interleave' nodeset='0'/></numatune>" ""
domain ram-interleave "" "<numatune><memory mode='interleave' nodeset='0'/></numatune>" "$cells"

cat >"$work/inside.sh" <<'INSIDE'
#!/bin/bash
set -uo pipefail
work=$1 vm=$2 kvmtune=$3
echo "$LIBVIRTD_PRIVATE_HUGETLBFS" >"$work/hugetlbfs"
while read -r d; do
    dom=kvmtune-live-$d
    "$kvmtune" qemu-args --json --domain "$work/$d.xml" >"$work/$d.kvmtune.json" 2>"$work/$d.kvmtune.err"
    echo $? >"$work/$d.kvmtune.rc"
    virsh define "$work/$d.xml" >/dev/null 2>"$work/$d.virsh.err" &&
        virsh start --paused "$dom" >>"$work/$d.virsh.err" 2>&1 &&
        "$vm/libvirtd-private" --cmdline "$dom" >"$work/$d.cmdline"
    echo $? >"$work/$d.libvirt.rc"
    virsh destroy "$dom" >/dev/null 2>&1
    virsh undefine "$dom" >/dev/null 2>&1
done <"$work/domains"
exit 0
INSIDE
chmod +x "$work/inside.sh"

hugepool_add_2m 64
rc=0
"$VM_DIR/libvirtd-private" --hugetlbfs --run "$work/inside.sh" "$work" "$VM_DIR" "$KVMTUNE_BIN" \
    >"$work/run.out" 2>"$work/run.err" || rc=$?
check "private libvirtd ran the domains (exit $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag "$(tail -n 20 "$work/run.err")"
hp=$(cat "$work/hugetlbfs" 2>/dev/null || echo /nonexistent)

while read -r d; do
    if [[ "$(cat "$work/$d.libvirt.rc" 2>/dev/null)" != 0 ]]; then
        not_ok "$d: libvirt started the domain"
        diag "$(cat "$work/$d.virsh.err" 2>/dev/null)"
        continue
    fi
    if [[ "$(cat "$work/$d.kvmtune.rc" 2>/dev/null)" != 0 ]]; then
        not_ok "$d: kvmtune qemu-args accepted the domain"
        diag "$(cat "$work/$d.kvmtune.err" 2>/dev/null)"
        continue
    fi
    out=$(python3 "$COMPARE" --pair "$work/$d.kvmtune.json" "$work/$d.cmdline" "$hp" 2>&1) && r=0 || r=$?
    check "$d: memory arguments equal libvirt's" test "$r" -eq 0
    [[ $r -eq 0 ]] || diag "$out" "libvirt: $(grep -E 'memory-backend|^-numa|^-m |^-machine|mem-lock' "$work/$d.cmdline" | tr '\n' ' ')"
done <"$work/domains"

finish
