#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write tests/data/plan-host: a hand-made 2-node host for 'kvmtune plan' and
'lint' goldens that need no ../shared: 2 sockets x 4 cores x 2 threads (node 0:
CPUs 0-3,8-11; node 1: 4-7,12-15), one L3 per socket, 24 GiB per node, 2M and
1G pools (node 0: 3072 of 4096 2M pages free, 4 of 8 1G; node 1: 4096/4096,
8/8), hugetlbfs mounts for both sizes.  Already on it: 'web01' (defined, not
running, 4 vCPUs pinned to CPUs 1,9,2,10, 4 GiB of 2M pages bound to node 0,
still to come), 'batch' (defined, not running, 2 GiB of 1G pages bound to node
1, no pins) and a reservation record for 'archive' (512 x 2M on node 1).  VMs to
place are in vms/ (broken.xml does not parse).  Run from the repository top."""
import os
import shutil

ROOT = "tests/data/plan-host"
NODES = {0: [0, 1, 2, 3, 8, 9, 10, 11], 1: [4, 5, 6, 7, 12, 13, 14, 15]}
GIB = 1024 * 1024


def w(path, text):
    p = os.path.join(ROOT, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


def mask(cpus):
    v = sum(1 << c for c in cpus)
    return f"{v:08x}\n"


def lst(cpus):
    return ",".join(str(c) for c in sorted(cpus)) + "\n"


shutil.rmtree(ROOT, ignore_errors=True)
w("/sys/devices/system/cpu/online", "0-15\n")
w("/sys/devices/system/cpu/possible", "0-15\n")
w("/sys/devices/system/node/online", "0-1\n")
w("/sys/devices/system/node/possible", "0-1\n")
w("/sys/devices/system/node/has_memory", "0-1\n")
for node, cpus in NODES.items():
    for cpu in cpus:
        core = cpu % 8
        sib = [core, core + 8]
        d = f"/sys/devices/system/cpu/cpu{cpu}"
        w(f"{d}/online", "1\n")
        w(f"{d}/topology/physical_package_id", f"{node}\n")
        w(f"{d}/topology/die_id", "0\n")
        w(f"{d}/topology/core_id", f"{core % 4}\n")
        for name, val in (("thread_siblings", sib), ("core_cpus", sib), ("core_siblings", cpus),
                          ("package_cpus", cpus)):
            w(f"{d}/topology/{name}", mask(val))
            w(f"{d}/topology/{name}_list", lst(val))
        for idx, (level, kind, size, shared) in enumerate(
                ((1, "Data", "32K", sib), (1, "Instruction", "32K", sib), (2, "Unified", "1024K", sib),
                 (3, "Unified", "16384K", cpus))):
            c = f"{d}/cache/index{idx}"
            w(f"{c}/level", f"{level}\n")
            w(f"{c}/type", f"{kind}\n")
            w(f"{c}/size", f"{size}\n")
            w(f"{c}/shared_cpu_map", mask(shared))
            w(f"{c}/shared_cpu_list", lst(shared))
            w(f"{c}/coherency_line_size", "64\n")
    n = f"/sys/devices/system/node/node{node}"
    w(f"{n}/cpulist", lst(cpus).replace("0,1,2,3,8,9,10,11", "0-3,8-11")
      .replace("4,5,6,7,12,13,14,15", "4-7,12-15"))
    w(f"{n}/distance", "10 21\n" if node == 0 else "21 10\n")
    pools = {2048: (4096, 3072 if node == 0 else 4096), GIB: (8, 4 if node == 0 else 8)}
    hugemem = sum(size * tot for size, (tot, free) in pools.items())
    memfree = 24 * GIB - hugemem - 2 * GIB
    w(f"{n}/meminfo", f"Node {node} MemTotal:       {24 * GIB} kB\n"
      f"Node {node} MemFree:        {memfree} kB\nNode {node} MemUsed:        {24 * GIB - memfree} kB\n"
      f"Node {node} FilePages:      1048576 kB\nNode {node} Shmem:          65536 kB\n"
      f"Node {node} SReclaimable:   131072 kB\n")
    for size, (tot, free) in pools.items():
        d = f"{n}/hugepages/hugepages-{size}kB"
        w(f"{d}/nr_hugepages", f"{tot}\n")
        w(f"{d}/free_hugepages", f"{free}\n")
        w(f"{d}/surplus_hugepages", "0\n")
for size, (tot, free) in {2048: (8192, 7168), GIB: (16, 12)}.items():
    d = f"/sys/kernel/mm/hugepages/hugepages-{size}kB"
    for k, v in (("nr_hugepages", tot), ("free_hugepages", free), ("resv_hugepages", 0),
                 ("surplus_hugepages", 0), ("nr_overcommit_hugepages", 0)):
        w(f"{d}/{k}", f"{v}\n")
w("/proc/cpuinfo", "".join(
    f"processor\t: {i}\nvendor_id\t: GenuineIntel\nmodel name\t: Plan test CPU\n"
    f"flags\t\t: fpu pse tsc pdpe1gb lm\n\n" for i in range(16)))
w("/proc/meminfo", f"MemTotal:       {48 * GIB} kB\nMemFree:        {20 * GIB} kB\n"
  f"MemAvailable:   {22 * GIB} kB\nSwapTotal:      {4 * GIB} kB\nHugePages_Total:    8192\n"
  "HugePages_Free:     7168\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n"
  "Hugepagesize:       2048 kB\n")
w("/proc/mounts", "sysfs /sys sysfs rw 0 0\nproc /proc proc rw 0 0\n"
  "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0\n"
  "hugetlbfs /dev/hugepages1G hugetlbfs rw,relatime,pagesize=1024M 0 0\n")
w("/proc/sys/kernel/osrelease", "6.1.0-plan-test\n")
w("/proc/sys/vm/min_free_kbytes", "67584\n")
w("/etc/libvirt/qemu/web01.xml", """<domain type='kvm'>
  <name>web01</name>
  <memory unit='GiB'>4</memory>
  <memoryBacking><hugepages><page size='2' unit='MiB'/></hugepages></memoryBacking>
  <vcpu placement='static'>4</vcpu>
  <cputune>
    <vcpupin vcpu='0' cpuset='1'/>
    <vcpupin vcpu='1' cpuset='9'/>
    <vcpupin vcpu='2' cpuset='2'/>
    <vcpupin vcpu='3' cpuset='10'/>
    <emulatorpin cpuset='0,8'/>
  </cputune>
  <numatune><memory mode='strict' nodeset='0'/><memnode cellid='0' mode='strict' nodeset='0'/></numatune>
  <cpu><numa><cell id='0' cpus='0-3' memory='4' unit='GiB'/></numa></cpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
</domain>
""")
w("/etc/libvirt/qemu/batch.xml", """<domain type='kvm'>
  <name>batch</name>
  <memory unit='GiB'>2</memory>
  <memoryBacking><hugepages><page size='1' unit='GiB'/></hugepages></memoryBacking>
  <vcpu placement='static'>2</vcpu>
  <numatune><memory mode='strict' nodeset='1'/></numatune>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
</domain>
""")
w("/run/kvmtune/hugepages/archive", "node 1 page_kb 2048 pages 512\n")
w("/vms/db.xml", """<domain type='kvm'>
  <name>db</name>
  <memory unit='GiB'>8</memory>
  <currentMemory unit='GiB'>8</currentMemory>
  <memoryBacking><hugepages><page size='1' unit='GiB'/></hugepages></memoryBacking>
  <vcpu placement='static' cpuset='0-15'>4</vcpu>
  <iothreads>1</iothreads>
  <cputune><shares>2048</shares></cputune>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
""")
w("/vms/app.xml", """<domain type='kvm'>
  <name>app</name>
  <memory unit='GiB'>6</memory>
  <memoryBacking><hugepages/></memoryBacking>
  <vcpu placement='static'>6</vcpu>
  <cpu mode='host-passthrough'>
    <numa>
      <cell id='0' cpus='0-2' memory='3' unit='GiB'/>
      <cell id='1' cpus='3-5' memory='3' unit='GiB'/>
    </numa>
  </cpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
</domain>
""")
w("/vms/broken.xml", "<domain type='kvm'><name>broken</name><memory>x</memory></domain>\n")
