#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Compare 'kvmtune qemu-args --domain X.xml' with libvirt 11.3.0's expected QEMU
command lines (tests/qemuxmlconfdata, copied in ../shared/fixtures/libvirt).

For every case with X.xml and X.x86_64-latest.args, the memory/NUMA part of both
command lines must be equal: memory-backend objects of the guest RAM (pc.ram,
ram-nodeN) and their thread-contexts with all properties and values, -numa
node/dist, -machine memory-backend=/mem-merge=, -m, -overcommit mem-lock=.
mem-path is compared as the hugetlbfs mount it lies below ("<file>" elsewhere).
Devices (dimm, nvdimm, virtio-mem, shmem, pstore backends) are not compared.
For X.x86_64-latest.err cases kvmtune must exit 2 with an error matching the
regular expression in errors.txt.  Cases in differences.txt are expected to
differ (each with its reason); one that starts to match fails the test so the
list stays honest.

Usage: compare-libvirt.py KVMTUNE FIXTURE_DIR TESTHOST_ROOT [-v] [CASE...]
Exit 0 when every case matches or is a listed difference, 1 otherwise.

       compare-libvirt.py --pair KVMTUNE_JSON LIBVIRT_CMDLINE HUGETLBFS_DIR
compares one 'kvmtune qemu-args --json' output with a command line a running
libvirtd generated (tests/vm/libvirtd-private --cmdline); mem-path is compared
as HUGETLBFS_DIR when below it.  Exit 0 when equal, 1 with the differences.
"""
import json
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MOUNTS = ("/dev/hugepages2M", "/dev/hugepages1G")
GUEST_RAM = re.compile(r"^(pc\.ram|ram-node\d+)$")


def read_list(name):
    """'case: text' lines (text may hold ':'), '#' comments."""
    out = {}
    with open(os.path.join(HERE, name)) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            case, _, text = line.partition(":")
            out[case.strip()] = text.strip()
    return out


def args_of_file(path):
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    return shlex.split(text)


def norm_path(p):
    for m in MOUNTS:
        if p == m or p.startswith(m + "/"):
            return m
    return "<file>"


def kv(s):
    """QEMU key=value,... with repeated keys collected in lists."""
    out = {}
    for item in s.split(","):
        k, _, v = item.partition("=")
        out.setdefault(k, []).append(v)
    return out


def norm_m(val):
    """-m as {size_kib, slots, maxmem_kib}: 'size=219136k,slots=16,maxmem=...k' or plain MiB '64'."""
    def kib(v):
        units = {"k": 1, "K": 1, "M": 1024, "G": 1024 ** 2, "T": 1024 ** 3}
        return int(v[:-1]) * units[v[-1]] if v[-1] in units else int(v) * 1024
    if "=" not in val.split(",")[0]:
        val = "size=" + val
    out = {}
    for k, v in kv(val).items():
        out[k + ("_kib" if k in ("size", "maxmem") else "")] = kib(v[0]) if k != "slots" else int(v[0])
    return out


def expand(ranges):
    cpus = set()
    for r in ranges:
        a, _, b = r.partition("-")
        cpus.update(range(int(a), int(b or a) + 1))
    return sorted(cpus)


def memory_part(argv):
    """The memory/NUMA facts of an argument vector, as a comparable dict."""
    part = {"objects": {}, "numa": {}, "dist": {}, "machine": {}, "m": None,
            "mem-lock": "off", "legacy": []}
    i = 0
    while i < len(argv):
        opt = argv[i]
        val = argv[i + 1] if i + 1 < len(argv) else ""
        if opt in ("-mem-path", "-mem-prealloc"):
            part["legacy"].append(opt)
            i += 1 if opt == "-mem-prealloc" else 2
            continue
        i += 1
        if opt == "-object" and val.startswith("{"):
            o = json.loads(val)
            oid = o.get("id", "")
            qt = o.get("qom-type", "")
            base = oid[3:] if qt == "thread-context" and oid.startswith("tc-") else oid
            if (qt.startswith("memory-backend-") or qt == "thread-context") and GUEST_RAM.match(base):
                if "mem-path" in o:
                    o["mem-path"] = norm_path(o["mem-path"])
                part["objects"][oid] = o
        elif opt == "-numa":
            d = kv(val)
            kind = list(d)[0]
            if kind == "node":
                node = {k: v for k, v in d.items() if k != "node"}
                node["cpus"] = expand(node.get("cpus", []))
                part["numa"][d["nodeid"][0]] = node
            elif kind == "dist":
                part["dist"][(d["src"][0], d["dst"][0])] = d["val"][0]
            else:
                part.setdefault("numa-other", []).append(val)
        elif opt == "-machine":
            d = kv(val)
            for k in ("memory-backend", "mem-merge"):
                if k in d:
                    part["machine"][k] = d[k][0]
        elif opt == "-m":
            part["m"] = norm_m(val)
        elif opt == "-overcommit":
            d = kv(val)
            if "mem-lock" in d:
                part["mem-lock"] = d["mem-lock"][0]
        if opt in ("-object", "-numa", "-machine", "-m", "-overcommit"):
            i += 1
    part["dist"] = {f"{a}->{b}": v for (a, b), v in sorted(part["dist"].items())}
    return part


def diff(a, b, path=""):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a:
                out.append(f"{path}/{k}: only in libvirt: {json.dumps(b[k])}")
            elif k not in b:
                out.append(f"{path}/{k}: only in kvmtune: {json.dumps(a[k])}")
            else:
                out += diff(a[k], b[k], f"{path}/{k}")
    elif a != b:
        out.append(f"{path}: kvmtune {json.dumps(a)} != libvirt {json.dumps(b)}")
    return out


def run_kvmtune(kvmtune, root, xml):
    # x86_64-latest in libvirt 11.3.0's tests is QEMU 10.0 (caps_10.0.0_x86_64)
    p = subprocess.run([kvmtune, "--root", root, "qemu-args", "--json", "--qemu-version", "10.0",
                        "--domain", xml],
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check_case(kvmtune, fixdir, root, case, errors):
    """Returns (ok, explanation)."""
    xml = os.path.join(fixdir, case + ".xml")
    args = os.path.join(fixdir, case + ".x86_64-latest.args")
    err = os.path.join(fixdir, case + ".x86_64-latest.err")
    rc, out, stderr = run_kvmtune(kvmtune, root, xml)
    if os.path.exists(args):
        if rc != 0:
            return False, f"kvmtune refused it (exit {rc}): {stderr.strip()}"
        ours = memory_part(json.loads(out)["argv"])
        theirs = memory_part(args_of_file(args))
        d = diff(ours, theirs)
        return (not d), "\n".join(d)
    with open(err) as f:
        expected = f.read().strip()
    if case not in errors:
        return False, f"no pattern in errors.txt for libvirt's error: {expected}"
    if rc != 2:
        return False, f"kvmtune exit {rc}, expected 2 (libvirt: {expected}); stdout {out[:200]!r}"
    if not re.search(errors[case], stderr, re.I):
        return False, f"error {stderr.strip()!r} does not match /{errors[case]}/ (libvirt: {expected})"
    return True, stderr.strip()


def pair(kvmtune_json, cmdline, mount):
    global MOUNTS
    MOUNTS = (mount,)
    with open(kvmtune_json) as f:
        ours = memory_part(json.load(f)["argv"])
    theirs = memory_part(args_of_file(cmdline))
    d = diff(ours, theirs)
    for line in d:
        print(line)
    return 1 if d else 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--pair":
        return pair(*sys.argv[2:5])
    argv = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv
    kvmtune, fixdir, root = argv[:3]
    if not os.path.isdir(fixdir):
        print(f"skip: libvirt fixtures not found at {fixdir} (../shared beside the repo)")
        return 77
    only = set(argv[3:])
    differences = read_list("differences.txt")
    errors = read_list("errors.txt")
    cases = sorted(f[:-len(".xml")] for f in os.listdir(fixdir)
                   if f.endswith(".xml") and ".x86_64-" not in f and "-latest" not in f
                   and (os.path.exists(os.path.join(fixdir, f[:-4] + ".x86_64-latest.args"))
                        or os.path.exists(os.path.join(fixdir, f[:-4] + ".x86_64-latest.err"))))
    if only:
        cases = [c for c in cases if c in only]
    stale = sorted(set(differences) - set(cases)) if not only else []
    passed = failed = known = 0
    for case in cases:
        ok, why = check_case(kvmtune, fixdir, root, case, errors)
        if case in differences:
            if ok:
                failed += 1
                print(f"FAIL {case}: listed in differences.txt but now matches; remove it")
            else:
                known += 1
                if verbose:
                    print(f"DIFF {case}: {differences[case]}\n  {why.replace(chr(10), chr(10) + '  ')}")
            continue
        if ok:
            passed += 1
            if verbose:
                print(f"ok   {case}")
        else:
            failed += 1
            print(f"FAIL {case}:\n  {why.replace(chr(10), chr(10) + '  ')}")
    for s in stale:
        print(f"FAIL differences.txt names '{s}', which is not a case")
        failed += 1
    print(f"libvirt cases: {len(cases)}, match {passed}, listed differences {known}, failed {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
