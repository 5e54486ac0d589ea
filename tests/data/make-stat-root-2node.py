#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write tests/data/stat-root-2node: a hand-made 2-node host (CPUs 0-1 on node 0,
2-3 on node 1, 2 MiB and 1 GiB pools) running a fake QEMU VM 'web01' (PID 4242),
a plain process 'memhold' (4300), a kernel thread (2) and a process whose
numa_maps cannot be read (4400).  The numbers are worked out in
tests/golden/stat-2node-*/README.  Run from the repository top."""
import os
import shutil

ROOT = "tests/data/stat-root-2node"


def w(path, text, mode="w"):
    p = os.path.join(ROOT, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, mode) as f:
        f.write(text)


shutil.rmtree(ROOT, ignore_errors=True)
w("/sys/devices/system/cpu/online", "0-3\n")
w("/sys/devices/system/cpu/possible", "0-3\n")
w("/sys/devices/system/node/online", "0-1\n")
w("/sys/devices/system/node/possible", "0-1\n")
w("/proc/cpuinfo", "".join(
    f"processor\t: {i}\nvendor_id\t: GenuineIntel\nmodel name\t: Fake CPU\n"
    f"flags\t\t: fpu pse pdpe1gb\n\n" for i in range(4)))
w("/proc/meminfo", "MemTotal:       16384000 kB\nMemFree:         8192000 kB\n"
  "MemAvailable:    9000000 kB\nSwapTotal:             0 kB\nHugePages_Total:    1024\n"
  "HugePages_Free:      512\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n"
  "Hugepagesize:       2048 kB\nHugetlb:         6291456 kB\n")
w("/proc/mounts", "sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n"
  "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
  "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n"
  "hugetlbfs /dev/hugepages1G hugetlbfs rw,relatime,pagesize=1024M 0 0\n")
pools = {2048: (1024, 512), 1048576: (4, 2)}  # size: (total, free), global
for size, (tot, free) in pools.items():
    d = f"/sys/kernel/mm/hugepages/hugepages-{size}kB/"
    for k, v in (("nr_hugepages", tot), ("free_hugepages", free), ("resv_hugepages", 0),
                 ("surplus_hugepages", 0), ("nr_overcommit_hugepages", 0)):
        w(d + k, f"{v}\n")
for node, cpus in ((0, "0-1"), (1, "2-3")):
    nd = f"/sys/devices/system/node/node{node}/"
    w(nd + "cpulist", cpus + "\n")
    w(nd + "distance", "10 21\n" if node == 0 else "21 10\n")
    for size, (tot, free) in pools.items():
        for k, v in (("nr_hugepages", tot // 2), ("free_hugepages", free // 2),
                     ("surplus_hugepages", 0)):
            w(nd + f"hugepages/hugepages-{size}kB/{k}", f"{v}\n")
    mem = [("MemTotal", 8192000), ("MemFree", 4096000 + node * 1024), ("MemUsed", 4095999),
           ("Active", 102400), ("Inactive", 51200), ("FilePages", 65536), ("AnonPages", 30000),
           ("AnonHugePages", 0)]
    text = "".join(f"Node {node} {k + ':':<17}{v:>10} kB\n" for k, v in mem)
    text += "".join(f"Node {node} {k + ':':<17}{v:>6}\n" for k, v in
                    (("HugePages_Total", 512), ("HugePages_Free", 256), ("HugePages_Surp", 0)))
    w(nd + "meminfo", text)
    w(nd + "numastat", f"numa_hit {1000000 + node}\nnuma_miss {node * 50}\nnuma_foreign 0\n"
      f"interleave_hit 256\nlocal_node {999000 + node}\nother_node {1000 + node}\n")

# PID 4242: QEMU for VM web01 (libvirt-style -name), 3 vCPUs.
q = "/proc/4242/"
w(q + "comm", "qemu-system-x86\n")
w(q + "status", "Name:\tqemu-system-x86\nState:\tS (sleeping)\nTgid:\t4242\n")
w(q + "cmdline", "\0".join(["/usr/bin/qemu-system-x86_64", "-name",
                            "guest=web01,debug-threads=on", "-machine", "pc,accel=kvm",
                            "-m", "3072", "-smp", "3"]) + "\0")
w(q + "numa_maps", "\n".join([
    "55d000000000 default file=/usr/bin/qemu-system-x86_64 mapped=1000 mapmax=2 N0=1000 kernelpagesize_kB=4",
    "55d000400000 default heap anon=128 dirty=128 N0=100 N1=28 kernelpagesize_kB=4",
    "7f0000000000 bind:1 file=/dev/hugepages1G/libvirt/qemu/1-web01/qemu_back_mem._objects_ram-node1.Ab3\\040(deleted) huge anon=2 dirty=2 N1=2 kernelpagesize_kB=1048576",
    "7f8000000000 interleave:0-1 file=/dev/hugepages/libvirt/qemu/1-web01/qemu_back_mem._objects_ram-node0.Xy9\\040(deleted) huge dirty=512 N0=256 N1=256 kernelpagesize_kB=2048",
    "7f9000000000 default anon=5001 dirty=5001 N0=3001 N1=2000 kernelpagesize_kB=4",
    "7fa000000000 default",
    "this line is malformed and skipped",
    "7ffd00000000 default stack anon=10 dirty=10 N1=10 kernelpagesize_kB=4",
]) + "\n")
w(q + "cgroup", "0::/machine.slice/machine-qemu\\x2d1\\x2dweb01.scope/libvirt/emulator\n")
tasks = {4242: ("qemu-system-x86", 0), 4243: ("qemu-system-x86", 1),
         4250: ("CPU 0/KVM", 2), 4251: ("CPU 1/KVM", 3), 4252: ("CPU 2/KVM", 2)}
for tid, (comm, cpu) in tasks.items():
    w(q + f"task/{tid}/comm", comm + "\n")
    fields = ["S"] + ["0"] * 35 + [str(cpu)] + ["0"] * 13
    w(q + f"task/{tid}/stat", f"{tid} ({comm}) " + " ".join(fields) + "\n")

# cgroup v2: the scope holds only 4242 (emulator and vCPU sub-cgroups); the
# slice also holds another machine, so the fast path stops at the scope.
cg = "/sys/fs/cgroup/machine.slice/"
w(cg + "cgroup.procs", "")
w(cg + "other.scope/cgroup.procs", "5000\n")
sc = cg + "machine-qemu\\x2d1\\x2dweb01.scope/"
w(sc + "cgroup.procs", "")
w(sc + "libvirt/cgroup.procs", "")
w(sc + "libvirt/emulator/cgroup.procs", "4242\n")
w(sc + "libvirt/vcpu0/cgroup.procs", "4242\n")
w(sc + "memory.numa_stat", "anon N0=16777216 N1=8388608\nfile N0=104857600 N1=0\n"
  "kernel_stack N0=65536 N1=0\nshmem N0=0 N1=0\nfile_mapped N0=4194304 N1=0\n"
  "anon_thp N0=0 N1=0\n")
w(sc + "hugetlb.2MB.numa_stat", "total=1073741824 N0=536870912 N1=536870912\n")
w(sc + "hugetlb.1GB.numa_stat", "total=2147483648 N0=0 N1=2147483648\n")



def qemu(pid, name_arg, maps, cgroup, vcpus):
    d = f"/proc/{pid}/"
    w(d + "comm", "qemu-system-x86\n")
    w(d + "cmdline", "\0".join(["qemu-system-x86_64", "-name", name_arg, "-m", "256"]) + "\0")
    w(d + "numa_maps", "\n".join(maps) + "\n")
    w(d + "cgroup", f"0::{cgroup}\n")
    for tid, (comm, cpu) in vcpus.items():
        w(d + f"task/{tid}/comm", comm + "\n")
        w(d + f"task/{tid}/stat", f"{tid} ({comm}) S " + " ".join(["0"] * 35 + [str(cpu)] + ["0"] * 13) + "\n")


# PID 4500: VM db02 (-name db02), sharing its cgroup with PID 4501: no fast
# path; the scope's numa_stat (bogus, huge) must not be used.
qemu(4500, "db02", [
    "7f0000000000 default file=/dev/hugepages/db huge dirty=100 N0=100 kernelpagesize_kB=2048",
    "7f1000000000 default anon=256 dirty=256 N0=256 kernelpagesize_kB=4",
], "/machine.slice/db02.scope", {4500: ("qemu-system-x86", 0), 4510: ("CPU 0/KVM", 0)})
w(cg + "db02.scope/cgroup.procs", "4500\n4501\n")
w(cg + "db02.scope/memory.numa_stat", "anon N0=999999999999 N1=0\nfile_mapped N0=0 N1=0\n")
w(cg + "db02.scope/hugetlb.2MB.numa_stat", "total=0 N0=0 N1=0\n")
w(cg + "db02.scope/hugetlb.1GB.numa_stat", "total=0 N0=0 N1=0\n")
# PID 4600: VM old03 alone in its cgroup, but without hugetlb.1GB.numa_stat
# (an older kernel): numa_maps instead.  Its vCPU ran on node 0, its memory
# is on node 1.
qemu(4600, "guest=old03", [
    "7f0000000000 bind:1 file=/dev/hugepages/old huge dirty=50 N1=50 kernelpagesize_kB=2048",
    "7f1000000000 default anon=512 dirty=512 N1=512 kernelpagesize_kB=4",
], "/machine.slice/old03.scope", {4600: ("qemu-system-x86", 1), 4610: ("CPU 0/TCG", 0)})
w(cg + "old03.scope/cgroup.procs", "4600\n")
w(cg + "old03.scope/memory.numa_stat", "anon N0=0 N1=777777777\nfile_mapped N0=0 N1=0\n")
w(cg + "old03.scope/hugetlb.2MB.numa_stat", "total=0 N0=0 N1=0\n")

# PID 4300: a plain process.
p = "/proc/4300/"
w(p + "comm", "memhold\n")
w(p + "cmdline", "/usr/local/bin/memhold\0--anon\0008\0")
w(p + "cgroup", "0::/user.slice\n")
w(p + "numa_maps", "\n".join([
    "561000000000 default heap anon=256 dirty=256 N0=256 kernelpagesize_kB=4",
    "7f1000000000 bind:0 anon=2048 dirty=2048 N0=2048 kernelpagesize_kB=4",
    "7ffe00000000 default stack anon=3 dirty=3 N0=3 kernelpagesize_kB=4",
]) + "\n")
w(p + "task/4300/comm", "memhold\n")
w(p + "task/4300/stat", "4300 (memhold) S " + " ".join(["0"] * 35 + ["1"] + ["0"] * 13) + "\n")

# PID 2: a kernel thread (empty cmdline).
w("/proc/2/comm", "kthreadd\n")
w("/proc/2/cmdline", "")
w("/proc/2/numa_maps", "")
# PID 4400: exited between the directory listing and the read (no files left).
os.makedirs(os.path.join(ROOT, "proc/4400"), exist_ok=True)
w("/proc/4400/.keep", "")

# ---------------------------------------------------------------------------
# tests/data/stat-root-2node-v1: the same host with cgroup v1 hierarchies.  Two
# layouts in one tree, one per VM: web01 (4242) as on an all-v1 host (RHEL 8:
# memory and hugetlb hierarchies), old03 (4600) as on a hybrid host (v1 memory,
# hugetlb on the unified v2 mount: the host kvmtune is developed on).  db02
# (4500) shares its memory cgroup with 4501: numa_maps.
V1 = "tests/data/stat-root-2node-v1"
shutil.rmtree(V1, ignore_errors=True)
shutil.copytree(ROOT, V1, symlinks=True)
shutil.rmtree(os.path.join(V1, "sys/fs/cgroup"))
ROOT = V1
w("/proc/mounts", "sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n"
  "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0\n"
  "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
  "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0\n"
  "cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0\n"
  "cgroup /sys/fs/cgroup/hugetlb cgroup rw,nosuid,nodev,noexec,relatime,hugetlb 0 0\n"
  "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n"
  "hugetlbfs /dev/hugepages1G hugetlbfs rw,relatime,pagesize=1024M 0 0\n")
sc = "machine.slice/machine-qemu\\x2d1\\x2dweb01.scope"
w("/proc/4242/cgroup", f"11:hugetlb:/{sc}/emulator\n4:memory:/{sc}\n"
  f"3:cpu,cpuacct:/{sc}/emulator\n1:name=systemd:/{sc}\n0::/{sc}\n")
for hier in ("memory", "hugetlb", "unified"):
    base = f"/sys/fs/cgroup/{hier}/machine.slice/"
    w(base + "cgroup.procs", "")
    w(base + "other.scope/cgroup.procs", "5000\n")
mem = f"/sys/fs/cgroup/memory/{sc}/"
w(mem + "cgroup.procs", "4242\n")
# v1 counts pages; its own "anon=" differs from "hierarchical_anon=" only
# with children, made different here so that the parser must pick the latter
w(mem + "memory.numa_stat", "total=10240 N0=6144 N1=4096\nfile=1024 N0=1024 N1=0\n"
  "anon=1 N0=1 N1=0\nunevictable=0 N0=0 N1=0\nhierarchical_total=11264 N0=7168 N1=4096\n"
  "hierarchical_file=1024 N0=1024 N1=0\nhierarchical_anon=6144 N0=4096 N1=2048\n"
  "hierarchical_unevictable=0 N0=0 N1=0\n")
hug = f"/sys/fs/cgroup/hugetlb/{sc}/"
w(hug + "cgroup.procs", "")
w(hug + "emulator/cgroup.procs", "4242\n")
# the scope's own "total=" is 0: its pages are charged in emulator/
w(hug + "hugetlb.2MB.numa_stat", "total=0 N0=0 N1=0\n"
  "hierarchical_total=1073741824 N0=536870912 N1=536870912\n")
w(hug + "hugetlb.1GB.numa_stat", "total=0 N0=0 N1=0\n"
  "hierarchical_total=2147483648 N0=0 N1=2147483648\n")
w("/proc/4500/cgroup", "4:memory:/machine.slice/db02.scope\n0::/machine.slice/db02.scope\n")
w("/sys/fs/cgroup/memory/machine.slice/db02.scope/cgroup.procs", "4500\n4501\n")
w("/sys/fs/cgroup/memory/machine.slice/db02.scope/memory.numa_stat",
  "hierarchical_anon=999999999 N0=999999999 N1=0\n")
w("/proc/4600/cgroup", "4:memory:/machine.slice/old03.scope\n0::/machine.slice/old03.scope\n")
w("/sys/fs/cgroup/memory/machine.slice/old03.scope/cgroup.procs", "4600\n")
w("/sys/fs/cgroup/memory/machine.slice/old03.scope/memory.numa_stat",
  "total=131072 N0=0 N1=131072\nanon=131072 N0=0 N1=131072\n"
  "hierarchical_total=131072 N0=0 N1=131072\nhierarchical_anon=131072 N0=0 N1=131072\n")
uni = "/sys/fs/cgroup/unified/machine.slice/old03.scope/"
w(uni + "cgroup.procs", "4600\n")
w(uni + "hugetlb.2MB.numa_stat", "total=104857600 N0=0 N1=104857600\n")
w(uni + "hugetlb.1GB.numa_stat", "total=0 N0=0 N1=0\n")
