#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""How the status goldens were checked by hand, made repeatable.

For every tests/golden/status-*/ case whose input is a real machine tree,
re-derive from the tree itself, with code independent of kvmtune's C parsers,
the numbers the expected JSON must hold: node ids, each node's CPU list
(from cpulist, else by decoding cpumap), distance rows, per-node pools (from
node*/hugepages, else from 'Node N HugePages_*' lines in node meminfo),
global pools, MemTotal and the default hugepage size.  Where hwloc's own
expected outputs exist for the tree (fixtures/machines/_orig/*.console and
_expected-v2.14/*), the node ids and per-node hugepage counts must agree with
hwloc too.  A mismatch prints the case, the field, both values.
"""
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))


def rd(path):
    try:
        with open(path) as f:
            return f.read().split("\x00")[0]
    except (FileNotFoundError, NotADirectoryError):
        return None


def expand(lst):
    out = []
    for part in lst.strip().split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return sorted(set(out))


def mask_cpus(mask):
    v = int(mask.strip().replace(",", ""), 16)
    return [i for i in range(v.bit_length()) if v >> i & 1]


def compress(cpus):
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


def pools_in(d, glob_keys):
    out = []
    for p in sorted(glob.glob(os.path.join(d, "hugepages-*kB")),
                    key=lambda p: int(re.search(r"(\d+)kB", p).group(1))):
        size = int(re.search(r"hugepages-(\d+)kB", p).group(1))
        e = {"size_kb": size}
        for k, fn in glob_keys:
            v = rd(os.path.join(p, fn))
            e[k] = int(v) if v is not None else None
        out.append(e)
    return out


# Trees where hwloc's expected console deliberately shows fewer nodes than the
# kernel reports; kvmtune describes the host as the kernel sees it.
HWLOC_DIFFERS = {
    "16amd64-4n4c-cgroup-distance-merge": "hwloc hides nodes the captured cgroup disallows",
    "16amd64-8n2c-cpusets": "hwloc hides nodes the captured cpuset disallows",
    "8em64t-2s2ca2c-buggynuma": "hwloc merges 8 kernel nodes that all claim every CPU",
    "fakememinitiators-1np2c+1npp+gi": "hwloc hides CPU-only nodes 0-3 and initiator node 4",
}


def check_case(case, problems):
    exp = json.load(open(os.path.join(case, "expected.out")))
    tree = os.path.normpath(os.path.join(TOP, rd(os.path.join(case, "root.ref")).strip()))
    name = os.path.basename(tree)
    nd = os.path.join(tree, "sys/devices/system/node")
    def bad(field, want, got):
        problems.append(f"{os.path.basename(case)}: {field}: tree says {want!r}, expected.out has {got!r}")

    mi = rd(os.path.join(tree, "proc/meminfo")) or ""
    m = re.search(r"^MemTotal:\s+(\d+) kB", mi, re.M)
    if (int(m.group(1)) if m else None) != exp["mem_total_kb"]:
        bad("mem_total_kb", m and int(m.group(1)), exp["mem_total_kb"])
    m = re.search(r"^Hugepagesize:\s+(\d+) kB", mi, re.M)
    default = int(m.group(1)) if m else None
    if default != exp["default_hugepage_kb"]:
        bad("default_hugepage_kb", default, exp["default_hugepage_kb"])

    gp = pools_in(os.path.join(tree, "sys/kernel/mm/hugepages"),
                  [("total", "nr_hugepages"), ("free", "free_hugepages"),
                   ("reserved", "resv_hugepages"), ("surplus", "surplus_hugepages"),
                   ("overcommit", "nr_overcommit_hugepages")])
    if gp and gp != exp["hugepages"]:
        bad("hugepages", gp, exp["hugepages"])

    ids = sorted(int(m.group(1)) for d in (os.listdir(nd) if os.path.isdir(nd) else [])
                 for m in [re.fullmatch(r"node(\d+)", d)] if m)
    online = rd(os.path.join(nd, "online"))
    if online is not None:
        ids = [i for i in ids if i in expand(online)]
    got_ids = [n["id"] for n in exp["nodes"]]
    if ids and ids != got_ids:
        bad("node ids", ids, got_ids)
    if not ids and got_ids != [0]:
        bad("synthesised node", [0], got_ids)
    cpu_dir = os.path.join(tree, "sys/devices/system/cpu")
    cpu_online = rd(os.path.join(cpu_dir, "online"))
    if cpu_online is None and os.path.isdir(cpu_dir):
        # old kernels: each cpuN/online, a CPU without the file being online
        cpu_online = ",".join(m.group(1) for e in os.listdir(cpu_dir)
                              for m in [re.fullmatch(r"cpu(\d+)", e)]
                              if m and (rd(os.path.join(cpu_dir, e, "online")) or "1").strip() != "0")
    possible = rd(os.path.join(nd, "possible"))
    for n in exp["nodes"] if ids else []:
        d = os.path.join(nd, f"node{n['id']}")
        cl = rd(os.path.join(d, "cpulist"))
        cpus = expand(cl) if cl is not None else mask_cpus(rd(os.path.join(d, "cpumap")) or "0")
        # a node's CPUs are its online ones; the others are listed as offline
        offline = [c for c in cpus if cpu_online is not None and c not in expand(cpu_online)]
        cpus = [c for c in cpus if c not in offline]
        if compress(cpus) != n["cpus"]:
            bad(f"node{n['id']} cpus", compress(cpus), n["cpus"])
        if compress(offline) != n["cpus_offline"]:
            bad(f"node{n['id']} cpus_offline", compress(offline), n["cpus_offline"])
        # the kernel writes one distance per online node, in node order
        row = [int(x) for x in (rd(os.path.join(d, "distance")) or "").split()]
        order = next((lst for lst in (expand(online) if online else None,
                                      expand(possible) if possible else None, ids)
                      if lst and len(lst) == len(row)), None)
        dist = [row[order.index(i)] if order and i in order else None for i in ids] if row else []
        if dist != n["distances"]:
            bad(f"node{n['id']} distances", dist, n["distances"])
        nmi = rd(os.path.join(d, "meminfo")) or ""
        m = re.search(r"MemTotal:\s+(\d+) kB", nmi)
        if (int(m.group(1)) if m else None) != n["mem_total_kb"]:
            bad(f"node{n['id']} mem_total_kb", m and int(m.group(1)), n["mem_total_kb"])
        np_ = pools_in(os.path.join(d, "hugepages"),
                       [("total", "nr_hugepages"), ("free", "free_hugepages"),
                        ("surplus", "surplus_hugepages")])
        if not np_ and default:
            t = re.search(r"HugePages_Total:\s+(\d+)", nmi)
            f = re.search(r"HugePages_Free:\s+(\d+)", nmi)
            s = re.search(r"HugePages_Surp:\s+(\d+)", nmi)
            if t and f:
                np_ = [{"size_kb": default, "total": int(t.group(1)), "free": int(f.group(1)),
                        "surplus": int(s.group(1)) if s else 0}]
        if np_ != n["hugepages"]:
            bad(f"node{n['id']} hugepages", np_, n["hugepages"])

    # hwloc's independent view of the same tree.
    console = rd(os.path.join(tree, "..", "_orig", name + "-kept.console")) or \
        rd(os.path.join(tree, "..", "_orig", name + ".console"))
    if name in HWLOC_DIFFERS:
        print(f"# {name}: node ids not compared with hwloc: {HWLOC_DIFFERS[name]}")
    elif console:
        # Packages and cores as hwloc counts them (each appears once in lstopo -v).
        for kind, key in (("Package", "packages"), ("Core", "cores")):
            hw = len(re.findall(rf"^\s*{kind} L#\d+", console, re.M))
            if hw and hw != exp["cpu_topology"][key]:
                bad(f"{key} vs hwloc console", hw, exp["cpu_topology"][key])
        hw_ids = sorted({int(x) for x in re.findall(r"NUMANode(?:\(\w+\))? L#\d+ \(P#(\d+)", console)})
        if hw_ids and hw_ids != got_ids:
            bad("node ids vs hwloc console", hw_ids, got_ids)
    for xml in glob.glob(os.path.join(tree, "..", "_expected-v2.14", name + "*.output")):
        text = rd(xml)
        for m in re.finditer(r'<object type="NUMANode" os_index="(\d+)"[^>]*>(.*?)</object>|'
                             r'<object type="NUMANode" os_index="(\d+)"[^>]*/>', text, re.S):
            node = int(m.group(1) or m.group(3))
            body = m.group(2) or ""
            hw = {int(s) // 1024: int(c) for s, c in re.findall(r'<page_type size="(\d+)" count="(\d+)"/>', body)}
            ours = next((n for n in exp["nodes"] if n["id"] == node), None)
            if ours is None:
                bad("node vs hwloc xml", node, None)
                continue
            for p in ours["hugepages"]:
                if p["size_kb"] in hw and hw[p["size_kb"]] != p["total"]:
                    bad(f"node{node} {p['size_kb']}kB total vs hwloc xml", hw[p["size_kb"]], p["total"])
        break


def main():
    problems, n = [], 0
    for case in sorted(glob.glob(os.path.join(HERE, "status-*"))):
        if not os.path.exists(os.path.join(case, "root.ref")) or \
                "--json" not in (rd(os.path.join(case, "cmd")) or ""):
            continue
        ref = os.path.normpath(os.path.join(TOP, rd(os.path.join(case, "root.ref")).strip()))
        if not os.path.isdir(ref):
            continue
        check_case(case, problems)
        n += 1
    for p in problems:
        print("not ok -", p)
    if n == 0:
        print("# SKIP no fixture trees found")
        return 77
    print(f"{'not ok' if problems else 'ok'} - {n} status goldens agree with their trees and hwloc")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
