#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt-hook: kvmtune's packaged hook script (data/libvirt-hook-qemu.in,
# pointing at the kvmtune under test) in a private libvirtd's
# /etc/libvirt/hooks/qemu.d, enabled in its private /etc/default/kvmtune.
# Starting a 64 MiB hugepage domain bound to node 0 reserves exactly its 32
# pages (node 0's pool grows by 32, the record names them) and QEMU takes them;
# the record's holder is QEMU's PID (the 'started' hook), so 'hugepages release
# --stale' leaves it while QEMU runs; destroying it gives them back and removes
# the record.  When libvirt never calls 'release' (as after a libvirtd crash;
# here: the hook switched off) and QEMU dies (kill -9), the record is stale and
# 'release --stale' gives the pages back.  A domain whose pages
# would starve the host does not start, and libvirt's error carries kvmtune's
# reason, with the pool unchanged.
# shellcheck disable=SC2016 # script text
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
require_cmd qemu-system-x86_64 unshare libvirtd virtlogd virsh
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs (libvirtd-private needs it)"
grep -qw hugetlbfs /proc/filesystems || skip_all "kernel has no hugetlbfs"
[[ -w /sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages ]] ||
    skip_all "no writable node 0 2 MiB pool"
KVMTUNE_BIN=$(kvmtune_path)

work=$(mktemp -d "${TMPDIR:-/tmp}/libvirt-hook.XXXXXX")
at_exit "rm -rf '$work'"
sed -e "s|@BINDIR@/kvmtune|$KVMTUNE_BIN|" -e 's|@SYSCONFDIR@|/etc|' \
    "$REPO_ROOT/data/libvirt-hook-qemu.in" >"$work/hook"
chmod 755 "$work/hook"
printf 'KVMTUNE_LIBVIRT_HOOK=yes\nKVMTUNE_HOOK_OPTIONS="--keep-free 256M --timeout 20"\n' >"$work/default"
# The records live in the namespace's private /run; libvirtd-private's teardown
# destroys the domain, whose release hook gives the pages back.

# domain NAME MIB: a paused-only TCG domain on 2 MiB pages, strict on node 0
domain() {
    cat >"$work/$1.xml" <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>$2</memory>
  <memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages></memoryBacking>
  <vcpu placement='static'>1</vcpu>
  <numatune><memory mode='strict' nodeset='0'/></numatune>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}
domain kvmtune-hook-hp 64
# more than the whole machine: the keep-free guard must refuse it
domain kvmtune-hook-big $(($(awk '/MemTotal:/ { print $2 }' /proc/meminfo) / 1024 + 1024))

cat >"$work/inside.sh" <<'INSIDE'
#!/bin/bash
set -uo pipefail
work=$1
K=$2
P=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
R=/run/kvmtune/hugepages/kvmtune-hook-hp
echo "pool_before $(cat $P)"
virsh define "$work/kvmtune-hook-hp.xml" >/dev/null
virsh start --paused kvmtune-hook-hp >"$work/start.out" 2>&1; echo "start_rc $?"
echo "pool_running $(cat $P)"
echo "qemu_pid $(cat /run/libvirt/qemu/kvmtune-hook-hp.pid 2>/dev/null)"
echo "record_running $(tr '\n' ';' <$R 2>/dev/null)"
echo "used_running $(stat -f -c '%b %f' "$LIBVIRTD_PRIVATE_HUGETLBFS" | awk '{ print $1 - $2 }')"
"$K" hugepages release --stale >"$work/stale-live.out" 2>&1; echo "stale_live_rc $?"
echo "record_after_stale_live $([ -e $R ] && echo present || echo absent) $(cat $P)"
virsh destroy kvmtune-hook-hp >/dev/null 2>&1; echo "destroy_rc $?"
sleep 0.5
echo "pool_destroyed $(cat $P)"
echo "record_destroyed $([ -e $R ] && echo present || echo absent)"
# libvirt never calls 'release' (a crashed libvirtd; here the hook is off) and QEMU dies
virsh start --paused kvmtune-hook-hp >"$work/start2.out" 2>&1; echo "start2_rc $?"
q=$(cat /run/libvirt/qemu/kvmtune-hook-hp.pid 2>/dev/null)
cp /etc/default/kvmtune "$work/default.on"
echo KVMTUNE_LIBVIRT_HOOK=no >/etc/default/kvmtune
kill -9 "$q"
i=0; while [ $i -lt 100 ] && [ "$(virsh domstate kvmtune-hook-hp 2>&1)" != "shut off" ]; do sleep 0.1; i=$((i + 1)); done
echo "record_orphan $([ -e $R ] && echo present || echo absent) $(cat $P)"
"$K" hugepages release --stale >"$work/stale.out" 2>&1; echo "stale_rc $?"
echo "record_stale_released $([ -e $R ] && echo present || echo absent) $(cat $P)"
cp "$work/default.on" /etc/default/kvmtune
virsh undefine kvmtune-hook-hp >/dev/null 2>&1
virsh define "$work/kvmtune-hook-big.xml" >/dev/null
virsh start --paused kvmtune-hook-big >"$work/big.out" 2>&1; echo "big_rc $?"
echo "big_error $(tr '\n' ' ' <"$work/big.out")"
echo "pool_big $(cat $P)"
echo "record_big $([ -e /run/kvmtune/hugepages/kvmtune-hook-big ] && echo present || echo absent)"
echo "big_state $(virsh domstate kvmtune-hook-big 2>&1)"
virsh undefine kvmtune-hook-big >/dev/null 2>&1
exit 0
INSIDE
chmod +x "$work/inside.sh"

rc=0
"$VM_DIR/libvirtd-private" --hugetlbfs --file "$work/hook:/etc/libvirt/hooks/qemu.d/kvmtune" \
    --file "$work/default:/etc/default/kvmtune" \
    --run "$work/inside.sh" "$work" "$KVMTUNE_BIN" >"$work/out" 2>"$work/err" || rc=$?
check "private libvirtd with the hook ran (exit $rc)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || diag "$(tail -n 20 "$work/err")"
diag "$(cat "$work/out")"
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$work/out"; }

before=$(val pool_before)
check "the hugepage domain started ($(val start_rc); $(tr '\n' ' ' <"$work/start.out" 2>/dev/null))" \
    test "$(val start_rc)" = 0
check "start reserved exactly its 32 pages on node 0 ($before -> $(val pool_running))" \
    test "$(val pool_running)" = $((before + 32))
check "the record names them, held by QEMU's PID $(val qemu_pid) ($(val record_running))" \
    grep -qx "pid $(val qemu_pid) start [0-9]*;node 0 page_kb 2048 pages 32;" <<<"$(val record_running)"
check "release --stale leaves it while QEMU runs ($(val stale_live_rc), $(val record_after_stale_live))" \
    test "$(val stale_live_rc) $(val record_after_stale_live)" = "0 present $((before + 32))"
check "QEMU holds 32 pages of the private hugetlbfs ($(val used_running))" \
    test "$(val used_running)" = 32
check "destroy: the pool is back to $before ($(val pool_destroyed))" \
    test "$(val destroy_rc) $(val pool_destroyed)" = "0 $before"
check "destroy: the record is removed" test "$(val record_destroyed)" = absent
check "no release hook after QEMU's kill -9: the record stays, 32 pages held ($(val start2_rc), $(val record_orphan))" \
    test "$(val start2_rc) $(val record_orphan)" = "0 present $((before + 32))"
check "its holder is gone: release --stale gives the pages back ($(val stale_rc), $(val record_stale_released))" \
    test "$(val stale_rc) $(val record_stale_released)" = "0 absent $before"
check "the starving domain did not start (virsh start exit $(val big_rc))" test "$(val big_rc)" != 0
check "libvirt's error carries kvmtune's reason ($(val big_error))" \
    grep -q 'kvmtune: node 0: the request needs .* must stay free for the host' <<<"$(val big_error)"
check "nothing was reserved for it (pool $(val pool_big), record $(val record_big))" \
    test "$(val pool_big) $(val record_big)" = "$before absent"
check "it is shut off ($(val big_state))" test "$(val big_state)" = "shut off"
finish
