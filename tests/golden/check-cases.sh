#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the fixture roots of the tests/golden/check-* cases.
#
# Every case starts from the same base: the real 2-node machine
# ../shared/fixtures/machines/32intel64-2p8co2t+8ve (2 x 2048 2 MiB pages,
# an empty 1 GiB pool, CPU with pse and pdpe1gb, 8 GiB swap), cut down to
# the files kvmtune reads (and hwloc needs), plus what a Debian host with libvirt adds: the
# libvirt-qemu user in group kvm (gid 108), its /dev/hugepages mounted with
# mode=1770,gid=108, and one defined domain 'db' (2 GiB of 2 MiB pages bound
# strictly to node 1).  The base is clean (case check-clean); each other case
# changes only what provokes its finding (see mk_case calls below).
# Usage: tests/golden/check-cases.sh   (from the repo top; rewrites roots only)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
src=${FIXTURES:-$top/../shared/fixtures}/machines/32intel64-2p8co2t+8ve
out=$top/tests/golden

base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT

# --- base root -------------------------------------------------------------
(cd "$src" && find proc/meminfo proc/mounts \
	sys/devices/system/node/online sys/devices/system/node/possible \
	sys/devices/system/node/has_memory sys/devices/system/node/has_cpu \
	sys/devices/system/node/node*/cpulist sys/devices/system/node/node*/meminfo \
	sys/devices/system/node/node*/distance sys/devices/system/node/node*/hugepages \
	sys/devices/system/cpu/online sys/devices/system/cpu/possible \
	sys/kernel/mm/hugepages -type f -print0 | cpio -0pdm --quiet "$base")
# The three topology files per CPU that hwloc needs to not abort its Linux
# discovery (it would print a warning, and the golden runner wants stderr clean).
(cd "$src" && find sys/devices/system/cpu/cpu[0-9]*/topology \( -name physical_package_id \
	-o -name core_id -o -name thread_siblings \) -print0 | cpio -0pdm --quiet "$base")
# First CPU of /proc/cpuinfo only: the flags are what matter.
awk 'BEGIN{RS=""; ORS="\n\n"} NR==1' "$src/proc/cpuinfo" >"$base/proc/cpuinfo"
sed -i 's|^hugetlbfs /dev/hugepages hugetlbfs rw,relatime 0 0$|hugetlbfs /dev/hugepages hugetlbfs rw,relatime,mode=1770,gid=108,pagesize=2M 0 0|' \
	"$base/proc/mounts"
grep -q 'mode=1770,gid=108' "$base/proc/mounts"
mkdir -p "$base/etc/libvirt/qemu" "$base/proc/sys/kernel" "$base/proc/sys/vm"
printf 'root:x:0:0:root:/root:/bin/bash\nlibvirt-qemu:x:64055:108:Libvirt Qemu,,,:/var/lib/libvirt:/usr/sbin/nologin\n' \
	>"$base/etc/passwd"
printf 'root:x:0:\nkvm:x:108:\nlibvirt:x:109:\nstaff:x:50:\n' >"$base/etc/group"
echo 6.1.0-28-amd64 >"$base/proc/sys/kernel/osrelease"
mkdir -p "$base/boot"
printf 'CONFIG_HUGETLBFS=y\nCONFIG_HUGETLB_PAGE=y\nCONFIG_TRANSPARENT_HUGEPAGE=y\n' \
	>"$base/boot/config-6.1.0-28-amd64"
echo 0 >"$base/proc/sys/vm/hugetlb_shm_group"
echo 0 >"$base/proc/sys/kernel/numa_balancing"
mkdir -p "$base/sys/kernel/mm/transparent_hugepage" "$base/sys/kernel/mm/ksm"
echo 'always [madvise] never' >"$base/sys/kernel/mm/transparent_hugepage/enabled"
echo 0 >"$base/sys/kernel/mm/ksm/run"
echo 1 >"$base/sys/kernel/mm/ksm/merge_across_nodes"

domain() { # name memory_kib page_size_kib nodeset mode
	cat <<XML
<domain type='kvm'>
  <name>$1</name>
  <memory unit='KiB'>$2</memory>
  <vcpu placement='static'>2</vcpu>
  <memoryBacking>
    <hugepages>
      <page size='$3' unit='KiB'/>
    </hugepages>
  </memoryBacking>
  <numatune>
    <memory mode='$5' nodeset='$4'/>
  </numatune>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
</domain>
XML
}
domain db 2097152 2048 1 strict >"$base/etc/libvirt/qemu/db.xml"

# mk_case NAME 'ARGS' [description]; then the caller edits $case/root.
mk_case() {
	case=$out/check-$1
	rm -rf "$case/root"
	mkdir -p "$case"
	cp -a "$base" "$case/root"
	echo "$2" >"$case/cmd"
	printf '%s\n' "$3" >"$case/README"
	r=$case/root
}

mk_case clean 'check' "The base itself (see check-cases.sh): no findings, every check ran, exit 0."

mk_case clean-json 'check --json' "The base as JSON: empty findings, zero counts."

mk_case cpu-pagesize 'check' "CPU flags without pdpe1gb, VM db asks for 1 GiB pages: error cpu-pagesize."
sed -i 's/ pdpe1gb//' "$r/proc/cpuinfo"
domain db 2097152 1048576 1 strict >"$r/etc/libvirt/qemu/db.xml"

mk_case kernel-hugetlbfs 'check' "/boot/config-6.1.0-28-amd64 without CONFIG_HUGETLBFS, THP set: error kernel-hugetlbfs."
mkdir -p "$r/boot"
printf 'CONFIG_TRANSPARENT_HUGEPAGE=y\n# CONFIG_HUGETLBFS is not set\nCONFIG_HUGETLB_PAGE=y\n' \
	>"$r/boot/config-6.1.0-28-amd64"

mk_case kernel-thp 'check' "/boot/config-6.1.0-28-amd64 with HUGETLBFS but no THP: info kernel-thp, exit 0."
mkdir -p "$r/boot"
printf 'CONFIG_HUGETLBFS=y\n# CONFIG_TRANSPARENT_HUGEPAGE is not set\n' >"$r/boot/config-6.1.0-28-amd64"

mk_case mount-missing 'check' "No hugetlbfs line in /proc/mounts, VM db needs 2 MiB pages: error mount-missing."
sed -i '/hugetlbfs/d' "$r/proc/mounts"

mk_case mount-missing-unused 'check' "No hugetlbfs mount and no domains: only a warning (memfd/shm can still use the pool), exit 0."
sed -i '/hugetlbfs/d' "$r/proc/mounts"
rm "$r/etc/libvirt/qemu/db.xml"

mk_case mount-mode-typo 'check' "Mount mode=1352 (1770 given in decimal): error mount-mode-typo; kvm has r-x: warning mount-access."
sed -i 's/mode=1770,gid=108/mode=1352,gid=108/' "$r/proc/mounts"

mk_case mount-access 'check' "Mount with default mode 755 root:root (the raw fixture line): warning mount-access for libvirt-qemu:kvm."
sed -i 's/mode=1770,gid=108,//' "$r/proc/mounts"

mk_case qemu-conf 'check' "qemu.conf runs QEMU as qemu:qemu (gid 107), mount is 1770 gid 108: warning mount-access citing qemu.conf."
printf '# test\n#user = "root"\nuser = "qemu"\ngroup = "qemu"\n' >"$r/etc/libvirt/qemu.conf"
echo 'qemu:x:107:107::/:/usr/sbin/nologin' >>"$r/etc/passwd"
echo 'qemu:x:107:' >>"$r/etc/group"

mk_case shm-group 'check' "vm.hugetlb_shm_group=50 (staff), libvirt-qemu is not in it: warning shm-group."
echo 50 >"$r/proc/sys/vm/hugetlb_shm_group"

mk_case pool-short 'check' "Node 1 has 4 free 1 GiB pages, VM db wants 8 GiB of 1 GiB pages on node 1: error pool-short."
for f in nr_hugepages free_hugepages; do
	echo 4 >"$r/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/$f"
	echo 4 >"$r/sys/kernel/mm/hugepages/hugepages-1048576kB/$f"
done
echo 'hugetlbfs /dev/hugepages1G hugetlbfs rw,relatime,mode=1770,gid=108,pagesize=1G 0 0' >>"$r/proc/mounts"
domain db 8388608 1048576 1 strict >"$r/etc/libvirt/qemu/db.xml"

mk_case pool-short-running 'check' "As pool-short, but db is running (/run/libvirt/qemu/db.pid): its pages are taken, no finding."
for f in nr_hugepages free_hugepages; do
	echo 4 >"$r/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/$f"
	echo 4 >"$r/sys/kernel/mm/hugepages/hugepages-1048576kB/$f"
done
echo 'hugetlbfs /dev/hugepages1G hugetlbfs rw,relatime,mode=1770,gid=108,pagesize=1G 0 0' >>"$r/proc/mounts"
domain db 8388608 1048576 1 strict >"$r/etc/libvirt/qemu/db.xml"
mkdir -p "$r/run/libvirt/qemu"
echo 4242 >"$r/run/libvirt/qemu/db.pid"

mk_case pool-short-cells 'check' "Guest with 2 cells (3 GiB each) on host node 0 and 1 via memnode; node 0 has 2048 free 2 MiB pages (4 GiB), node 1 has 1000: error for node 1 only."
echo 1000 >"$r/sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages"
cat >"$r/etc/libvirt/qemu/db.xml" <<'XML'
<domain type='kvm'>
  <name>db</name>
  <memory unit='GiB'>6</memory>
  <memoryBacking><hugepages><page size='2' unit='M' nodeset='0-1'/></hugepages></memoryBacking>
  <numatune>
    <memory mode='strict' nodeset='0-1'/>
    <memnode cellid='0' mode='strict' nodeset='0'/>
    <memnode cellid='1' mode='strict' nodeset='1'/>
  </numatune>
  <cpu><numa>
    <cell id='0' cpus='0-1' memory='3' unit='GiB'/>
    <cell id='1' cpus='2-3' memory='3145728' unit='KiB'/>
  </numa></cpu>
</domain>
XML

mk_case domain-node-missing 'check' "VM db binds to host node 3; the host has nodes 0,1: error domain-node-missing."
domain db 2097152 2048 3 strict >"$r/etc/libvirt/qemu/db.xml"

mk_case pool-missing-size 'check' "VM db asks for 16 GiB pages; no hugepages-16777216kB pool: error pool-missing-size."
domain db 16777216 16777216 1 strict >"$r/etc/libvirt/qemu/db.xml"

mk_case thp-always 'check' "THP [always] with 2 x 2048 static 2 MiB pages: warning thp-always."
echo '[always] madvise never' >"$r/sys/kernel/mm/transparent_hugepage/enabled"

mk_case ksm-merge-across-nodes 'check' "KSM run=1 and merge_across_nodes=1 on 2 nodes, 262144 pages sharing: warning ksm-merge-across-nodes; the fix warns that unmerging needs about 1 GiB."
echo 1 >"$r/sys/kernel/mm/ksm/run"
echo 262144 >"$r/sys/kernel/mm/ksm/pages_sharing"
echo 1000 >"$r/sys/kernel/mm/ksm/pages_shared"

mk_case numad-numa-balancing 'check' "numad running (/proc/4321/comm) and kernel.numa_balancing=1: warning."
echo 1 >"$r/proc/sys/kernel/numa_balancing"
mkdir -p "$r/proc/4321"
echo numad >"$r/proc/4321/comm"

mk_case no-swap-strict 'check' "SwapTotal 0 with VM db strict on node 1: warning no-swap-strict."
sed -i 's/^SwapTotal: .*/SwapTotal:             0 kB/; s/^SwapFree: .*/SwapFree:              0 kB/' "$r/proc/meminfo"

mk_case domain-unreadable 'check' "A domain file that is not XML: warning domain-unreadable; db is still checked."
echo 'not <xml' >"$r/etc/libvirt/qemu/broken.xml"

mk_case json-errors 'check --json' "mount-mode-typo case as JSON: evidence objects, fix, counts; exit 1."
sed -i 's/mode=1770,gid=108/mode=1352,gid=108/' "$r/proc/mounts"

mk_case mount-libvirt-ok 'check' "Raw mount line (755 root:root) but libvirt's /dev/hugepages/libvirt/qemu exists: QEMU only needs to search it (libvirt makes the per-VM dirs), no finding."
sed -i 's/mode=1770,gid=108,//' "$r/proc/mounts"
mkdir -p "$r/dev/hugepages/libvirt/qemu"
echo "libvirt makes this directory; git keeps it through this file" >"$r/dev/hugepages/libvirt/qemu/.keep"

mk_case mount-libvirt-denied 'check' "Mount mode=700 root:root with libvirt's directory in it: QEMU cannot search the mount root: error mount-access."
sed -i 's/mode=1770,gid=108,/mode=700,/' "$r/proc/mounts"
mkdir -p "$r/dev/hugepages/libvirt/qemu"
echo "libvirt makes this directory; git keeps it through this file" >"$r/dev/hugepages/libvirt/qemu/.keep"

mk_case qemu-user-unknown 'check' "qemu.conf names user 'qemu', who is not in /etc/passwd: mount access and vm.hugetlb_shm_group are listed as not checked (no 'no problems found'), exit 0."
printf 'user = "qemu"\ngroup = "kvm"\n' >"$r/etc/libvirt/qemu.conf"
echo 108 >"$r/proc/sys/vm/hugetlb_shm_group"

mk_case no-kernel-config 'check' "No /boot/config-RELEASE and no /proc/config.gz: the kernel checks are listed as not checked."
rm -r "$r/boot"

mk_case persist-not-taken 'check' "'hugepages persist 2M=2048 --node 0,1' was written, but node 1 holds 1000 pages and the kernel was not booted with the persisted command line: warning persist-not-taken naming it."
mkdir -p "$r/etc/sysctl.d" "$r/etc/default/grub.d" "$r/etc/systemd/system"
printf 'vm.nr_overcommit_hugepages = 0\nvm.hugetlb_shm_group = 108\n' >"$r/etc/sysctl.d/80-kvmtune-hugepages.conf"
printf 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX default_hugepagesz=2M hugepagesz=2M hugepages=0:2048,1:2048"\n' \
	>"$r/etc/default/grub.d/80-kvmtune-hugepages.cfg"
printf '[Service]\nExecStart=/usr/local/bin/kvmtune hugepages set 2M=2048 --node 0 --timeout 120\nExecStart=/usr/local/bin/kvmtune hugepages set 2M=2048 --node 1 --timeout 120\n' \
	>"$r/etc/systemd/system/kvmtune-hugepages.service"
echo 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda1 ro quiet' >"$r/proc/cmdline"
echo 1000 >"$r/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"
