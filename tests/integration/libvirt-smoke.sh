#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# libvirt-smoke: a private libvirtd (tests/vm/libvirtd-private) starts a
# <domain type='qemu'> with hugepage backing and <numatune> paused; the QEMU
# command line it generated has a memory-backend-file in our hugetlbfs, the
# guest RAM is really taken from the 2 MiB pool, and everything is torn down.
# shellcheck disable=SC2016 # script text for eval and jq
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_root
require_cmd qemu-system-x86_64 busybox cpio unshare libvirtd virtlogd virsh jq
require_private_mounts
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs (libvirtd-private needs it)"
grep -qw hugetlbfs /proc/filesystems || skip_all "kernel has no hugetlbfs"

work=$(mktemp -d "${TMPDIR:-/tmp}/libvirt-smoke.XXXXXX")
at_exit "rm -rf '$work'"

kernel=$("$VM_DIR/guest-run" --print-kernel) || bail "could not get the guest kernel"

# A tiny initramfs that would power the guest off (the domain stays paused).
mkdir -p "$work/initrd/bin"
cp "$(command -v busybox)" "$work/initrd/bin/busybox"
printf '#!/bin/busybox sh\n/bin/busybox poweroff -f\n' >"$work/initrd/init"
chmod 755 "$work/initrd/init"
(cd "$work/initrd" && find . | cpio -o -H newc --quiet >"$work/initrd.cpio")

dom=kvmtune-smoke-$$
cat >"$work/domain.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <memoryBacking><hugepages/></memoryBacking>
  <numatune><memory mode='strict' nodeset='0'/></numatune>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$work/initrd.cpio</initrd>
    <cmdline>console=ttyS0 quiet</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <emulator>$(command -v qemu-system-x86_64)</emulator>
    <memballoon model='none'/>
  </devices>
</domain>
EOF

# Runs inside the private namespace; records what it saw in $work.
cat >"$work/inside.sh" <<'EOF'
#!/bin/bash
set -euo pipefail
work=$1 dom=$2 vm=$3
free() { awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo; }
echo "$LIBVIRTD_PRIVATE_HUGETLBFS" >"$work/hugetlbfs"
free >"$work/free_before"
virsh define "$work/domain.xml" >/dev/null
virsh start --paused "$dom" >"$work/start.out" 2>&1
virsh domstate "$dom" >"$work/state"
"$vm/libvirtd-private" --cmdline "$dom" >"$work/cmdline"
cat "/run/libvirt/qemu/$dom.pid" >"$work/qemu_pid"
cp "/proc/$(<"$work/qemu_pid")/numa_maps" "$work/numa_maps"
free >"$work/free_during"
stat -f -c '%b %f' "$LIBVIRTD_PRIVATE_HUGETLBFS" | awk '{ print $1 - $2 }' >"$work/used_during"
cat /run/libvirtd.pid >"$work/libvirtd_pid"
cat /run/virtlogd.pid >"$work/virtlogd_pid"
# Leave the domain running: libvirtd-private must tear it down.
EOF
chmod +x "$work/inside.sh"

hp_free() {
    awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo
}

hugepool_add_2m 64
free_host_before=$(hp_free)
run_libvirt_before=$(ls -d /run/libvirt /var/lib/libvirt /var/log/libvirt 2>/dev/null || true)

rc=0
t0=$EPOCHREALTIME
"$VM_DIR/libvirtd-private" --hugetlbfs --run "$work/inside.sh" "$work" "$dom" "$VM_DIR" \
    >"$work/run.out" 2>"$work/run.err" || rc=$?
diag "libvirtd-private --run: exit $rc in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
if [[ $rc -ne 0 ]]; then
    not_ok "private libvirtd ran the domain script (exit $rc)"
    diag "$(tail -n 25 "$work/run.err")" "$(cat "$work/start.out" 2>/dev/null)"
else
    ok "private libvirtd ran the domain script"
fi

hp=$(cat "$work/hugetlbfs" 2>/dev/null || true)
check "domain is paused (state '$(xargs <"$work/state" 2>/dev/null)')" \
    grep -qx paused "$work/state"

backend=$(grep -F memory-backend-file "$work/cmdline" 2>/dev/null || true)
diag "backend: ${backend:-<none in command line>}"
check "command line has a memory-backend-file" test -n "$backend"
mempath=$(sed -n 's/^-object //p' <<<"$backend" | tr -d "'" |
    jq -r '."mem-path" // empty' 2>/dev/null || true)
check "its mem-path ($mempath) is in the private hugetlbfs ($hp)" \
    test -n "$hp" -a -n "$mempath" -a "${mempath#"$hp"/}" != "$mempath"
check "its size is 64 MiB" grep -q '"size":67108864' <<<"$backend"
if grep -q '"host-nodes":\[0\],"policy":"bind"' <<<"$backend"; then
    diag "numatune strict nodeset 0 became host-nodes [0], policy bind on the backend"
else
    diag "numatune was not expressed on the backend (libvirt may use cpuset cgroups instead)"
fi

line=$(grep -F "file=$hp/" "$work/numa_maps" 2>/dev/null || true)
diag "numa_maps: ${line:-<no mapping from $hp>}"
check "QEMU maps 32 huge 2 MiB pages from it" \
    eval '[[ " $line " == *" huge "* && " $line " == *" kernelpagesize_kB=2048 "* && " $line " =~ \ N[0-9]+=32\  ]]'
free_before=$(cat "$work/free_before" 2>/dev/null || echo '?')
free_during=$(cat "$work/free_during" 2>/dev/null || echo '?')
used_during=$(cat "$work/used_during" 2>/dev/null || echo '?')
# Pool-wide counters also move with other hugepage users: reported only.
diag "host HugePages_Free $free_before -> $free_during while paused"
check "the domain holds exactly 32 pages of the private hugetlbfs (got $used_during)" \
    test "$used_during" = 32

qpid=$(cat "$work/qemu_pid" 2>/dev/null || true)
check "QEMU (pid ${qpid:-?}) is gone after teardown" eval "[[ -n '$qpid' ]] && ! pid_alive '$qpid'"
diag "host HugePages_Free $(hp_free) after teardown ($free_host_before before)"
run_libvirt_after=$(ls -d /run/libvirt /var/lib/libvirt /var/log/libvirt 2>/dev/null || true)
check "host libvirt directories unchanged ('$run_libvirt_after')" \
    test "$run_libvirt_after" = "$run_libvirt_before"
for d in libvirtd virtlogd; do
    p=$(cat "$work/${d}_pid" 2>/dev/null || true)
    check "private $d (pid ${p:-?}) is gone" eval "[[ -n '$p' ]] && ! pid_alive '$p'"
done

finish
