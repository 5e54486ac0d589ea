# SPDX-License-Identifier: GPL-2.0-or-later
"""Attack classes for the commands that came after run.py's first version.

plan (hostile --vm specs, --domains directories, hwloc XML topologies,
--write containment), run --dry-run (hostile QEMU argv; QEMU is never
started: the binary named is a script that records any start), hook (hostile
domain XML on stdin, hostile names), numad -w (junk, and a hostile "daemon" on
the control socket), daemon (hostile configuration files, run on a copied tree
in its forced dry-run mode and ended by PID after it answered --status),
control (malformed, huge, many and silent clients of a running daemon: it
must keep serving others) and undo (hostile journal entries).

run.py imports this module and calls classes(R) with itself as R.
"""
import os
import random
import socket
import subprocess
import threading
import time

R = None  # run.py's module, set by classes()

PLAN_TREE = "tests/data/plan-host"
HOOK_TREE = "tests/data/libvirt-testhost"
UNDO_TREE = "tests/data/profile-host-applied"
DAEMON_SOCK = "run/kvmtune/daemon.sock"
JOURNAL = "var/lib/kvmtune/journal"


def A(*args, **kw):
    return R.Attack(*args, **kw)


# ---------------------------------------------------------------- plan

SPEC_VALUES = ["", "-1", "0", "18446744073709551616", "9" * 400, "1e30", "nan", "0x10",
               "\udcff", "\x1b[2J", "a" * 5000, "1,", "=", "-9223372036854775808",
               "4294967297", " 1"]
SPEC_KEYS = ["vcpus", "mem", "page", "cells", "pin", "threads", "iothreads", "nodes", "name"]


def hwloc_xml(nodes=2, cores=2, mem=8 << 30, pages=16, extra="", os_index=None, depth=0):
    """A small hwloc v2 topology: nodes packages, each one NUMA node and cores PUs."""
    ncpu = nodes * cores
    allcpus = hex((1 << ncpu) - 1)
    allnodes = hex((1 << nodes) - 1)
    gp = [1]

    def g():
        gp[0] += 1
        return gp[0]

    body = []
    for n in range(nodes):
        cpus = hex(((1 << cores) - 1) << (n * cores))
        idx = n if os_index is None else os_index(n)
        pus = "".join(
            f'<object type="Core" os_index="{c}" cpuset="{hex(1 << (n * cores + c))}" '
            f'gp_index="{g()}"><object type="PU" os_index="{n * cores + c}" '
            f'cpuset="{hex(1 << (n * cores + c))}" gp_index="{g()}"/></object>'
            for c in range(cores))
        body.append(
            f'<object type="Package" os_index="{n}" cpuset="{cpus}" complete_cpuset="{cpus}" '
            f'nodeset="{hex(1 << n)}" complete_nodeset="{hex(1 << n)}" gp_index="{g()}">'
            f'<object type="NUMANode" os_index="{idx}" cpuset="{cpus}" '
            f'complete_cpuset="{cpus}" nodeset="{hex(1 << n)}" '
            f'complete_nodeset="{hex(1 << n)}" local_memory="{mem}" gp_index="{g()}">'
            f'<page_type size="4096" count="0"/><page_type size="2097152" count="{pages}"/>'
            f'</object>{pus}</object>')
    nest_open = '<object type="Group" gp_index="999999">' * depth
    nest_close = "</object>" * depth
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE topology SYSTEM "hwloc2.dtd">\n'
            '<topology version="2.0">\n'
            f'<object type="Machine" os_index="0" cpuset="{allcpus}" '
            f'complete_cpuset="{allcpus}" allowed_cpuset="{allcpus}" nodeset="{allnodes}" '
            f'complete_nodeset="{allnodes}" allowed_nodeset="{allnodes}" gp_index="1">'
            + nest_open + "".join(body) + nest_close + extra + "</object>\n</topology>\n")


def topologies():
    big = 10 ** 30
    return [
        ("sane", hwloc_xml()),
        ("local_memory 10^30", hwloc_xml(mem=big)),
        ("local_memory 2^64-1", hwloc_xml(mem=(1 << 64) - 1)),
        ("local_memory -1", hwloc_xml(mem=-1)),
        ("page count 2^64", hwloc_xml(pages=1 << 64)),
        ("page count -5", hwloc_xml(pages=-5)),
        ("no nodes", hwloc_xml(nodes=0)),
        ("one node 0 bytes", hwloc_xml(nodes=1, mem=0)),
        ("256 nodes", hwloc_xml(nodes=256, cores=1)),
        ("node os_index 2^31", hwloc_xml(os_index=lambda n: (1 << 31) + n)),
        ("node os_index duplicated", hwloc_xml(os_index=lambda n: 0)),
        ("node os_index 4095", hwloc_xml(os_index=lambda n: 4095 - n)),
        ("deep nesting 2000", hwloc_xml(depth=2000)),
        ("entity expansion", '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
         '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">'
         '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;">]>'
         '<topology version="2.0"><object type="Machine" name="&e;&e;&e;&e;"/></topology>'),
        ("XXE to the canary", '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM '
         '"file://@OUT@/secret">]><topology version="2.0"><object type="Machine" '
         'os_index="0" name="&x;" cpuset="0x1" nodeset="0x1"/></topology>'),
        ("truncated", hwloc_xml()[:700]),
        ("control chars in names", hwloc_xml(extra='<info name="CPUModel" '
                                                  'value="x&#27;[2J&#7;\u009b"/>')),
        ("not XML", "\x00\x01\xff" * 100),
        ("empty", ""),
        ("huge attribute", hwloc_xml(extra='<info name="x" value="' + "A" * (2 << 20) + '"/>')),
    ]


def bad_domain_files():
    """(name, content bytes or a kind) for files in a --domains directory."""
    dom = R.domain
    return [
        ("sane", dom().encode()),
        ("memory 10^30 KiB", dom(body_mem="<memory unit='KiB'>" + "1" + "0" * 30
                                 + "</memory>").encode()),
        ("vcpu 2^32", dom(extra="<vcpu>4294967296</vcpu>").encode()),
        ("vcpu -1", R.VM_XML.replace("<vcpu placement='static'>2", "<vcpu>-1").encode()),
        ("5000 cells", dom(cells="".join(f"<cell id='{i}' cpus='{i}' memory='1' unit='KiB'/>"
                                         for i in range(5000))).encode()),
        ("nodeset 0-4294967295", R.VM_XML.replace("nodeset='0'", "nodeset='0-4294967295'")
         .encode()),
        ("control chars in name", dom(name="vm\x1b[2J\x07\u009b").encode()),
        ("non-UTF-8", R.VM_XML.encode().replace(b"vm1", b"vm\xff\xfe")),
        ("not XML", b"\x00\x01" * 100),
        ("entities", R.VM_XML.replace("<domain", '<!DOCTYPE d [<!ENTITY x SYSTEM '
                                      '"file://@OUT@/secret">]><domain').replace(
                                          "vm1", "&x;").encode()),
        ("3 MiB name", dom(name="n" * (3 << 20)).encode()),
        ("fifo", "fifo"), ("dir", "dir"), ("link-out", "link-out"), ("loop", "loop"),
        ("dangling", "dangling"), ("sparse-100G", "sparse"),
    ]


def plant(ctx, path, what):
    """A file of a hostile kind at path."""
    R.remove(path) if os.path.lexists(path) else None
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(what, bytes):
        R.put(path, ctx.sub(what))
    elif what == "fifo":
        os.mkfifo(path)
    elif what == "dir":
        os.makedirs(os.path.join(path, "x"))
    elif what == "link-out":
        os.symlink(os.path.join(ctx.out, "secret"), path)
    elif what == "loop":
        os.symlink(os.path.basename(path), path)
    elif what == "dangling":
        os.symlink("/nonexistent/kvmtune-attack", path)
    elif what == "sparse":
        with open(path, "wb") as f:
            f.truncate(100 << 30)
    else:
        raise ValueError(what)


def attacks_plan(quick):
    out = []
    rnd = random.Random(15)
    base = ["plan", "--no-processes"]
    for key in SPEC_KEYS:
        for v in SPEC_VALUES:
            if quick and rnd.random() > 0.25:
                continue
            spec = {"vcpus": "2", "mem": "1G"}
            spec[key] = v
            s = ",".join(f"{k}={x}" for k, x in spec.items())
            out.append(A("plan", f"--vm {key}={v[:20]!r}", base + ["--vm", s], tree=PLAN_TREE,
                         timeout=30))
    for s in ["", ",", "vcpus", "vcpus=2,vcpus=3,mem=1G", "vcpus=2,mem=1G,bogus=1",
              "vcpus=2,mem=1G," * 300, "name=a,vcpus=2,mem=1G"]:
        out.append(A("plan", f"--vm {s[:30]!r}", base + ["--vm", s], tree=PLAN_TREE))
    out.append(A("plan", "5000 --vm", base + ["--vm", "vcpus=1,mem=1M,page=none"] * 2500,
                 tree=PLAN_TREE, timeout=60))
    out.append(A("plan", "--vms from stdin: 1 MiB of junk", base + ["--vms", "-"],
                 tree=PLAN_TREE, stdin=b"[" + b"{}," * 300000 + b"{}]", expect={2},
                 timeout=60))
    out.append(A("plan", "--vms nested 100000 deep", base + ["--vms", "-"], tree=PLAN_TREE,
                 stdin=b"[" * 100000, expect={2}))
    out.append(A("plan", "--vms control chars", base + ["--vms", "-"], tree=PLAN_TREE,
                 stdin='[{"name":"a\\u001b[2J\\u0007","vcpus":1,"mem":"1G"}]'.encode()))
    for opt in ("--shape", "--host-cores", "--keep-free", "--costs", "--format", "--hugetlbfs",
                "--pin", "--threads"):
        for v in ("", "-1", "18446744073709551616", "1e30", "\x1b[2J", "9" * 400,
                  "8c:10000000000000000000000G", "0c:0", ":::"):
            if quick and rnd.random() > 0.3:
                continue
            argv = ["plan", "--capacity", opt, v] if opt == "--shape" else \
                base + ["--vm", "vcpus=2,mem=1G", opt, v]
            out.append(A("plan", f"{opt} {v[:20]!r}", argv, tree=PLAN_TREE))
    # --domains: each hostile file kind among the defined domains
    for name, what in bad_domain_files():
        def fn(ctx, what=what):
            plant(ctx, ctx.at("/etc/libvirt/qemu/hostile.xml"), what)
        out.append(A("plan", f"--domains with a {name} domain", base + ["--vm", "vcpus=2,mem=1G"],
                     tree=PLAN_TREE, mutate=fn, timeout=40))
    for kind in ("link-out", "fifo", "loop", "dangling"):
        def fn(ctx, kind=kind):
            d = ctx.at("/etc/libvirt/qemu")
            R.remove(d)
            if kind == "link-out":
                os.symlink(os.path.join(ctx.out, "sub"), d)
                R.put(os.path.join(ctx.out, "sub", "x.xml"), R.VM_XML)
            else:
                plant(ctx, d, kind)
        out.append(A("plan", f"--domains directory is {kind}", base + ["--vm", "vcpus=2,mem=1G"],
                     tree=PLAN_TREE, mutate=fn))
    out.append(A("plan", "--domains outside the root", base + ["--domains", "@OUT@", "--vm",
                                                              "vcpus=2,mem=1G"], tree=PLAN_TREE))
    out.append(A("plan", "--domains ../../..", base + ["--domains", "../../../../../../",
                                                       "--vm", "vcpus=2,mem=1G"], tree=PLAN_TREE))

    def many(ctx):
        d = ctx.at("/etc/libvirt/qemu")
        for i in range(3000):
            R.put(os.path.join(d, f"v{i}.xml"), R.domain(name=f"v{i}"))
    out.append(A("plan", "--domains with 3000 domains", base + ["--vm", "vcpus=2,mem=1G"],
                 tree=PLAN_TREE, mutate=many, timeout=60))
    # --topology: hostile hwloc XML
    for name, text in topologies():
        if quick and name in ("256 nodes", "huge attribute"):
            continue

        def fn(ctx, text=text):
            R.put(os.path.join(ctx.data, "topo.xml"), ctx.sub(text))
        for argv in (["plan", "--topology", "@DATA@/topo.xml", "--capacity", "--json"],
                     ["plan", "--topology", "@DATA@/topo.xml", "--vm", "vcpus=2,mem=1G"]):
            out.append(A("plan", f"--topology {name}", argv, tree=PLAN_TREE, mutate=fn,
                         timeout=40))
    for what in ("fifo", "dir", "link-out", "loop", "sparse"):
        out.append(A("plan", f"--topology is {what}",
                     ["plan", "--topology", "@DATA@/topo.xml", "--capacity"], tree=PLAN_TREE,
                     mutate=lambda ctx, w=what: plant(ctx, os.path.join(ctx.data, "topo.xml"),
                                                      w), expect={1, 2}))
    # --write / --dry-run containment of the domain file
    for name, what in bad_domain_files()[:1] + [
            ("fifo", "fifo"), ("dir", "dir"), ("link-out", "link-out"), ("loop", "loop"),
            ("dangling", "dangling")]:
        for dry in ([], ["--dry-run"]):
            out.append(A("plan", f"--write on a {name} domain {' '.join(dry)}",
                         dry + ["plan", "--no-processes", "--domain", "@DATA@/d.xml", "--write"],
                         tree=PLAN_TREE, timeout=30,
                         mutate=lambda ctx, w=what: plant(ctx, os.path.join(ctx.data, "d.xml"),
                                                          w),
                         post=post_plan_write(bool(dry), what)))
    return out


def post_plan_write(dry, what):
    def post(ctx, res):
        problems = []
        path = os.path.join(ctx.data, "d.xml")
        names = sorted(os.listdir(ctx.data))
        if dry and any(n.startswith("d.xml") and n != "d.xml" for n in names):
            problems.append(f"--dry-run --write left files: {names}")
        if what == "link-out":
            if open(os.path.join(ctx.out, "secret"), "rb").read() != \
                    b"KVMTUNE-CANARY 7777777\n":
                problems.append("the link's target outside was rewritten")
        if any(".kvmtune-" in n for n in names):
            problems.append(f"temporary files left: {names}")
        if not dry and res.rc == 0 and isinstance(what, bytes):
            if b"<domain" not in open(path, "rb").read():
                problems.append("written domain lost its <domain>")
        return problems
    return post


# ---------------------------------------------------------------- run --dry-run

FAKE_QEMU = """#!/bin/sh
case "$1" in --version|-version) echo 'QEMU emulator version 8.2.2'; exit 0;; esac
echo started >> "$(dirname "$0")/STARTED"
exit 0
"""


def fake_qemu(ctx):
    R.put(os.path.join(ctx.data, "qemu-system-x86_64"), FAKE_QEMU, mode=0o755)


def post_not_started(ctx, res):
    if os.path.exists(os.path.join(ctx.data, "STARTED")):
        return ["run --dry-run started QEMU"]
    return []


def attacks_run(quick):
    out = []
    rnd = random.Random(16)
    head = ["run", "--dry-run", "--nodes", "0", "--quiet", "--"]
    q = ["@DATA@/qemu-system-x86_64", "-accel", "tcg", "-display", "none"]
    junk = ["", "-1", "0", "1e30", "10" + "0" * 30, "18446744073709551616", "9" * 400, "1T",
            "1P", "16E", "\x1b[2J", "\udcff", "size=", "1G,slots=4294967296,maxmem=1E",
            "cpus=4294967296", "cpus=-1,sockets=0", "a" * 5000, ",,,", "1G,,", "0x10G"]
    for opt in ("-m", "-smp"):
        for v in junk:
            if quick and rnd.random() > 0.35:
                continue
            argv = head + q + (["-m", "1G"] if opt == "-smp" else []) + [opt, v]
            out.append(A("run", f"{opt} {v[:20]!r}", argv, tree=HOOK_TREE, mutate=fake_qemu,
                         post=post_not_started))
    for v in ["memory-backend-ram,id=m,size=1E", "memory-backend-file,id=m,size=10" + "0" * 30,
              "memory-backend-memfd,id=m,size=-1", "\x1b[2J", "", ",", "a" * 5000,
              "memory-backend-file,mem-path=@OUT@/secret,size=1G,id=x"]:
        out.append(A("run", f"-object {v[:24]!r}", head + q + ["-m", "1G", "-object", v],
                     tree=HOOK_TREE, mutate=fake_qemu, post=post_not_started, expect={2}))
    for opt, v in (("--mem", "10" + "0" * 30), ("--mem", "-1"), ("--vcpus", "4294967297"),
                   ("--vcpus", "0"), ("--nodes", "0-4294967295"), ("--nodes", "\x1b[2J"),
                   ("--page", "3M"), ("--name", "../../x"), ("--name", "a/b"),
                   ("--name", "x" * 5000), ("--name", "\x1b[2J\x07"),
                   ("--qemu-version", "99999999999999999999.1"), ("--qemu-version", "-1.-1"),
                   ("--keep-free", "1e30"), ("--timeout", "18446744073709551616"),
                   ("--hugetlbfs", "@OUT@")):
        argv = ["run", "--dry-run", "--quiet", opt, v] + (["--nodes", "0"] if opt != "--nodes"
                                                          else []) + ["--"] + q + ["-m", "1G"]
        out.append(A("run", f"{opt} {v[:20]!r}", argv, tree=HOOK_TREE, mutate=fake_qemu,
                     post=post_not_started))
    out.append(A("run", "5000 arguments", head + q + ["-m", "1G"] + ["-name", "x"] * 2500,
                 tree=HOOK_TREE, mutate=fake_qemu, post=post_not_started))
    out.append(A("run", "5000 -object", head + q + ["-m", "1G"] + [
        "-object", "memory-backend-ram,id=m,size=1M"] * 2500, tree=HOOK_TREE, mutate=fake_qemu,
        post=post_not_started, expect={2}))
    out.append(A("run", "100 KiB argument", head + q + ["-m", "1G", "-name", "n" * (100 << 10)],
                 tree=HOOK_TREE, mutate=fake_qemu, post=post_not_started))
    out.append(A("run", "--json dry run", ["run", "--dry-run", "--json", "--nodes", "0", "--"]
                 + q + ["-m", "64M"], tree=HOOK_TREE, mutate=fake_qemu, post=post_not_started))
    out.append(A("run", "no QEMU after --", ["run", "--dry-run", "--nodes", "0", "--"],
                 tree=HOOK_TREE, expect={2}))
    out.append(A("run", "QEMU is a FIFO", head + ["@DATA@/fifo", "-m", "1G"], tree=HOOK_TREE,
                 mutate=lambda ctx: os.mkfifo(os.path.join(ctx.data, "fifo"))))
    return out


# ---------------------------------------------------------------- hook

HOOK_STDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden",
                          "hook-prepare", "stdin")
HOOK_XML = open(HOOK_STDIN, "rb").read() if os.path.exists(HOOK_STDIN) else b""

HOOK_OK_PREFIXES = ("run/kvmtune/hugepages/", "sys/devices/system/node/", "sys/kernel/mm/",
                    "var/lib/kvmtune/journal/", "var/lib/kvmtune/journal")


def post_hook(ctx, res):
    """A hook writes reservation records (one clean file name each) and pools only."""
    problems = []
    hp = ctx.at("/run/kvmtune/hugepages")
    if os.path.isdir(hp):
        for n in os.listdir(hp):
            if n.startswith(".") and not n.startswith(".kvmtune") or "/" in n or \
                    any(ord(c) < 32 for c in n):
                problems.append(f"odd reservation record name {n!r}")
    for dirpath, dirnames, filenames in os.walk(ctx.root):
        for fn in filenames + dirnames:
            rel = os.path.relpath(os.path.join(dirpath, fn), ctx.root)
            if os.lstat(os.path.join(dirpath, fn)).st_mtime > time.time() - 60 and \
                    not rel.startswith(HOOK_OK_PREFIXES) and not rel.startswith("run") and \
                    not os.path.isdir(os.path.join(dirpath, fn)):
                problems.append(f"hook changed {rel}")
    return problems


def attacks_hook(quick):
    out = []
    xml = HOOK_XML.decode()
    names = ["../../../../etc/passwd", "a/b", "..", ".", "/abs", "x" * 5000, "\x1b[2J\x07",
             "\udcff\udcfe", "", "-", "--help", "web1\n", "lock", "../lock/hugepages",
             "web 1", "\u202e"]
    for n in names:
        for op in ("prepare", "release"):
            stdin = xml.replace("<name>web1</name>", "<name>" + n.replace("&", "&amp;").replace(
                "<", "&lt;") + "</name>").encode("utf-8", "surrogateescape")
            out.append(A("hook", f"{op} NAME {n[:20]!r}", ["hook", "qemu", n, op, "begin", "-"],
                         tree=HOOK_TREE, stdin=stdin, post=post_hook, timeout=60))
    doms = [("not XML", b"\x00\xff" * 50), ("empty", b""), ("1 MiB junk", b"<" * (1 << 20)),
            ("memory 10^30", xml.replace("<memory unit='MiB'>64", "<memory unit='KiB'>1"
                                         + "0" * 30).encode()),
            ("memory 2^64 KiB", xml.replace("<memory unit='MiB'>64",
                                            "<memory unit='KiB'>18446744073709551615").encode()),
            ("memory 16 EiB", xml.replace("unit='MiB'>64", "unit='EiB'>16").encode()),
            ("nodeset 0-4294967295", xml.replace("nodeset='1'", "nodeset='0-4294967295'")
             .encode()),
            ("nodeset 4095", xml.replace("nodeset='1'", "nodeset='4095'").encode()),
            ("5000 memnodes", xml.replace("</domain>", "<numatune>" + "".join(
                f"<memnode cellid='{i}' mode='strict' nodeset='1'/>" for i in range(5000))
                + "</numatune></domain>").encode()),
            ("XXE", xml.replace("<domain", '<!DOCTYPE d [<!ENTITY x SYSTEM '
                                '"file://@OUT@/secret">]><domain').replace(
                                    "<name>web1", "<name>&x;").encode()),
            ("name mismatch", xml.replace("web1", "other").encode()),
            ("page size 3M", xml.replace("<hugepages/>", "<hugepages><page size='3' unit='M'/>"
                                         "</hugepages>").encode()),
            ("page size 2^64", xml.replace("<hugepages/>", "<hugepages><page size="
                                           "'18446744073709551615' unit='KiB'/></hugepages>")
             .encode())]
    for name, data in doms:
        out.append(A("hook", f"prepare with {name}", ["hook", "qemu", "web1", "prepare", "begin",
                                                      "-"], tree=HOOK_TREE, stdin=data,
                     post=post_hook, timeout=60))
    for argv in (["hook"], ["hook", "qemu"], ["hook", "lxc", "web1", "prepare", "begin", "-"],
                 ["hook", "qemu", "web1", "\x1b[2J", "begin", "-"],
                 ["hook", "--timeout", "18446744073709551616", "qemu", "web1", "prepare",
                  "begin", "-"],
                 ["hook", "--keep-free", "1e30", "qemu", "web1", "prepare", "begin", "-"]):
        out.append(A("hook", " ".join(argv)[:40], argv, tree=HOOK_TREE, stdin=HOOK_XML,
                     post=post_hook))
    # records and the journal made hostile before a release
    for what in ("fifo", "dir", "link-out", "loop", "sparse"):
        out.append(A("hook", f"release with the record a {what}",
                     ["hook", "qemu", "web1", "release", "end", "-"], tree=HOOK_TREE,
                     stdin=HOOK_XML, post=post_hook, timeout=60,
                     mutate=lambda ctx, w=what: plant(ctx, ctx.at("/run/kvmtune/hugepages/web1"),
                                                      w)))
    return out


# ---------------------------------------------------------------- numad

class FakeDaemon:
    """A hostile server on the tree's control socket."""

    def __init__(self, path, reply, delay=0.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        self.sock.bind(path)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.reply, self.delay, self.stop = reply, delay, False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            try:
                c.settimeout(2)
                try:
                    c.recv(4096)
                except OSError:
                    pass
                end = time.monotonic() + self.delay
                while not self.stop and time.monotonic() < end:
                    time.sleep(0.05)
                c.sendall(self.reply)
            except OSError:
                pass
            finally:
                c.close()

    def close(self):
        self.stop = True
        self.thread.join(3)
        self.sock.close()


HOSTILE_REPLIES = [("control chars", b"\x1b[2J\x07\r\xc2\x9b1m0\n"), ("non-UTF-8", b"\xff\xfe0\n"),
                   ("2 MiB", b"0" * (2 << 20)), ("empty", b""), ("nodes 0-4294967295",
                                                                   b"0-4294967295\n"),
                   ("silent 8 s", None), ("invalid JSON", b"{\"vms\": [1,2\n"),
                   ("JSON with controls", b'{"dry_run":false,"vms":[{"name":"\\u001b[2J"}]}\n')]


def with_fake_daemon(reply):
    """mutate: a hostile daemon on the socket for the duration of the run (post closes it)."""
    def fn(ctx):
        ctx.fake = FakeDaemon(ctx.at(DAEMON_SOCK), reply if reply is not None else b"0\n",
                              delay=8.0 if reply is None else 0.0)

    def post(ctx, res):
        ctx.fake.close()
        return []
    return fn, post


def attacks_numad(quick):
    out = []
    for v in ["", "0", "-1", "4:", ":4", "4:-1", "4:18446744073709551616", "4294967296:1",
              "4:1e30", "4:0x10", "4:1:2", "a:b", "\x1b[2J", "9" * 400, "4096:1048576",
              "1:" + "9" * 19, " 4:1", "4,1", "\udcff"]:
        out.append(A("numad", f"-w {v[:20]!r}", ["numad", "-w", v], tree=PLAN_TREE))
    for argv in (["numad"], ["numad", "-w"], ["numad", "-i", "15"], ["numad", "-w", "4:1", "extra"]):
        out.append(A("numad", " ".join(argv), argv, tree=PLAN_TREE, expect={2}))
    for name, reply in HOSTILE_REPLIES:
        fn, post = with_fake_daemon(reply)
        out.append(A("numad", f"daemon answers {name}", ["numad", "-w", "4:1024"], tree=PLAN_TREE,
                     mutate=fn, post=post, timeout=30))
        fn, post = with_fake_daemon(reply)
        out.append(A("daemon", f"--status: daemon answers {name}", ["daemon", "--status"],
                     tree=PLAN_TREE, mutate=fn, post=post, timeout=30))
        fn, post = with_fake_daemon(reply)
        out.append(A("daemon", f"--status --json: daemon answers {name}",
                     ["daemon", "--status", "--json"], tree=PLAN_TREE, mutate=fn, post=post,
                     timeout=30))
    for what in ("fifo", "dir", "link-out", "sparse"):
        out.append(A("numad", f"socket is a {what}", ["numad", "-w", "4:1024"], tree=PLAN_TREE,
                     mutate=lambda ctx, w=what: plant(ctx, ctx.at(DAEMON_SOCK), w)))
    return out


# ---------------------------------------------------------------- daemon

CONFIG_KEYS = ["interval_ms", "dry_run", "scope", "min_mem", "min_locality_pct", "cooldown_s",
               "rate_mib_s", "max_pause_ms", "move_hugetlb", "keep_free", "socket", "ksm",
               "ksm_interval_s"]
CONFIG_VALUES = ["", "-1", "0", "18446744073709551616", "9" * 400, "1e30", "yes no", "\x1b[2J",
                 "\udcff", "/", "relative", "/" + "a" * 200, "@OUT@/sock", "1T", "0x10",
                 "default", "4294967296"]


def serving(ctx, p):
    """Wait for the daemon's socket (or its end); True when it serves."""
    sock = ctx.at(DAEMON_SOCK)
    end = time.monotonic() + 15
    while time.monotonic() < end:
        if p.poll() is not None:
            return False
        if os.path.exists(sock):
            try:  # bound is not yet listening: wait until a connect succeeds
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(sock)
                return True
            except OSError:
                pass
        time.sleep(0.05)
    return False


def status(ctx, timeout=10, extra=()):
    """kvmtune daemon --status against the tree; (rc, out, err, seconds)."""
    if R.RUNNER.valgrind:  # the client and the daemon both run under valgrind
        timeout *= 6
    t0 = time.monotonic()
    r = subprocess.run(R.RUNNER.exe() + ["--root", ctx.root, "daemon", "--status"] + list(extra),
                       capture_output=True, timeout=timeout, check=False)
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t0


def check_status(ctx, what, limit=6.0):
    if R.RUNNER.valgrind:
        limit *= 6
    try:
        rc, out, err, s = status(ctx)
    except subprocess.TimeoutExpired:
        return [f"{what}: --status got no answer"]
    problems = []
    if rc != 0 or b"kvmtune daemon:" not in out:
        problems.append(f"{what}: --status exit {rc}: {err[:200]!r}")
    elif s > limit:
        problems.append(f"{what}: --status took {s:.1f} s")
    if R.CONTROL.search(out) or R.SANITIZER.search(err):
        problems.append(f"{what}: --status printed raw controls or a sanitizer report")
    return problems


def attacks_daemon(quick):
    out = []
    rnd = random.Random(17)
    conf = "/etc/kvmtune/daemon.conf"
    for key in CONFIG_KEYS:
        for v in CONFIG_VALUES:
            if quick and rnd.random() > 0.2:
                continue
            text = f"# hostile\n{key} = {v}\n".encode("utf-8", "surrogateescape")
            out.append(A("daemon", f"config {key} = {v[:20]!r}", ["daemon", "--config", conf],
                         tree=PLAN_TREE, serve=serve_status,
                         mutate=lambda ctx, t=text: R.put(ctx.at(conf), ctx.sub(t))))
    for name, what in [("1 MiB line", b"interval_ms = " + b"1" * (1 << 20) + b"\n"),
                       ("1 MiB key", b"k" * (1 << 20) + b" = 1\n"),
                       ("NUL bytes", b"interval_ms = 1000\0\nscope = all\n"),
                       ("no =", b"interval_ms 1000\n"), ("only =", b"=\n"),
                       ("key twice", b"interval_ms = 1000\ninterval_ms = 2000\n"),
                       ("200000 comment lines", b"#\n" * 200000),
                       ("CR line ends", b"interval_ms = 1000\r\nscope = qemu\r\n"),
                       ("controls in key", b"\x1b[2J\x07 = 1\n"),
                       ("non-UTF-8", b"scope = \xff\xfe\n"),
                       ("all valid", b"interval_ms = 500\ndry_run = yes\nscope = all\n"
                        b"min_mem = 1M\nmin_locality_pct = 50\ncooldown_s = 0\nrate_mib_s = 1\n"
                        b"max_pause_ms = 1\nmove_hugetlb = no\nkeep_free = default\n"),
                       ("fifo", "fifo"), ("dir", "dir"), ("link-out", "link-out"),
                       ("loop", "loop"), ("dangling", "dangling"), ("sparse-100G", "sparse")]:
        out.append(A("daemon", f"config is {name}", ["daemon", "--config", conf], tree=PLAN_TREE,
                     serve=serve_status,
                     mutate=lambda ctx, w=what: plant(ctx, ctx.at(conf), w)))
    for argv, exp in ((["daemon", "--config", "@OUT@/secret"], {1, 2}),
                      (["daemon", "--config", "../../../../@OUT@/secret"], {1, 2}),
                      (["daemon", "--config", ""], {1, 2}), (["daemon", "--json"], {2}),
                      (["daemon", "--socket", "/" + "s" * 200], None),
                      (["daemon", "--status", "--socket", "@OUT@/secret"], {1}),
                      (["daemon", "--status", "--socket", "s" * 5000], {1, 2}),
                      (["daemon", "--bogus"], {2}), (["daemon", "stray"], {2})):
        out.append(A("daemon", " ".join(argv)[:50], argv, tree=PLAN_TREE, expect=exp,
                     serve=serve_status))
    # a second daemon on a tree where one serves
    out.append(A("daemon", "a second daemon beside a running one", ["daemon"], tree=PLAN_TREE,
                 serve=serve_second, timeout=40))
    return out


def serve_status(ctx, p):
    """The daemon serves: --status answers; then it is ended by SIGTERM and exits 0."""
    if not serving(ctx, p):
        return []
    return check_status(ctx, "running daemon")


def serve_second(ctx, p):
    if not serving(ctx, p):
        return ["the daemon did not serve"]
    r = subprocess.run(R.RUNNER.exe() + ["--root", ctx.root, "daemon"], capture_output=True,
                       timeout=20, check=False)
    problems = []
    if r.returncode not in (1, 2):
        problems.append(f"a second daemon exited {r.returncode}")
    problems += check_status(ctx, "after a second daemon")
    return problems


# ---------------------------------------------------------------- control socket

def client(ctx, data, read=True, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(ctx.at(DAEMON_SOCK))  # blocking, as kvmtune's client: waits for the backlog
    s.settimeout(timeout)
    try:
        if data:
            s.sendall(data)
        if not read:
            return s
        buf = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            buf += b
        s.close()
        return buf
    except OSError:
        s.close()
        return b""


def serve_requests(reqs):
    def fn(ctx, p):
        if not serving(ctx, p):
            return ["the daemon did not serve"]
        problems = []
        for req in reqs:
            try:
                ans = client(ctx, req)
            except OSError as e:
                problems.append(f"request {req[:30]!r}: {e}")
                continue
            if R.CONTROL.search(ans.replace(b"\n", b"")):
                problems.append(f"request {req[:30]!r}: raw controls in the answer {ans[:80]!r}")
        problems += check_status(ctx, "after malformed requests")
        return problems
    return fn


def serve_silent(n, drip=False):
    """n clients connect and never write (or drip a byte at a time): others are served."""
    def fn(ctx, p):
        if not serving(ctx, p):
            return ["the daemon did not serve"]
        held = []
        stop = threading.Event()
        try:
            for _ in range(n):
                held.append(client(ctx, b"s" if drip else b"", read=False))
            if drip:
                def dripper():
                    while not stop.is_set():
                        for s in held:
                            try:
                                s.send(b"t")
                            except OSError:
                                pass
                        time.sleep(0.1)
                threading.Thread(target=dripper, daemon=True).start()
            time.sleep(0.3)
            # each costs the daemon at most 200 ms, then it closes: bounded, in order
            return check_status(ctx, f"{n} {'dripping' if drip else 'silent'} clients",
                                1.0 + 0.25 * n)
        finally:
            stop.set()
            for s in held:
                s.close()
    return fn


def serve_many(n):
    def fn(ctx, p):
        if not serving(ctx, p):
            return ["the daemon did not serve"]
        answered = [0]
        lock = threading.Lock()

        def one():
            try:
                if b"kvmtune daemon" in client(ctx, b"status\n", timeout=20):
                    with lock:
                        answered[0] += 1
            except OSError:
                pass
        ts = [threading.Thread(target=one) for _ in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        problems = check_status(ctx, f"after {n} connections")
        if answered[0] < n // 2:
            problems.append(f"only {answered[0]} of {n} parallel status requests answered")
        return problems
    return fn


def attacks_control(quick):
    out = []
    reqs = [b"\n", b"status", b"status json\n", b"STATUS\n", b"advise\n", b"advise 4\n",
            b"advise 4 18446744073709551616\n", b"advise 4294967296 1\n", b"advise -1 -1\n",
            b"advise 4 1024 x\n", b"advise 9999999999999999999999 1\n", b"\x1b[2J\x07\n",
            b"\xff\xfe\n", b"\0status\n", b"status\0json\n", b"x" * (1 << 20),
            b"status\n" * 1000, b"advise 4096 1099511627775\n"]
    for r in reqs:
        out.append(A("control", f"request {r[:24]!r}", ["daemon"], tree=PLAN_TREE,
                     serve=serve_requests([r]), timeout=40))
    out.append(A("control", "a client that never writes", ["daemon"], tree=PLAN_TREE,
                 serve=serve_silent(1), timeout=40))
    out.append(A("control", "20 clients that never write", ["daemon"], tree=PLAN_TREE,
                 serve=serve_silent(20), timeout=60))
    out.append(A("control", "a client that drips a byte per 100 ms", ["daemon"], tree=PLAN_TREE,
                 serve=serve_silent(1, drip=True), timeout=60))
    out.append(A("control", "100 parallel status requests", ["daemon"], tree=PLAN_TREE,
                 serve=serve_many(100), timeout=90))
    return out


# ---------------------------------------------------------------- undo

def journal_entry(changes, eid=2, command="x", undone="null"):
    import json
    return (f'{{"id": {eid}, "time": 1, "command": {json.dumps(command)}, "undone": {undone}, '
            f'"changes": {json.dumps(changes)}}}\n').encode()


def undo_cases(quick):
    import base64
    big = base64.b64encode(b"A" * ((2 if quick else 40) << 20)).decode()
    val = {"kind": "value", "path": "/proc/sys/vm/swappiness", "old": "60", "new": "10",
           "match": "exact"}
    cases = [
        ("junk JSON", b"{\"id\": 2, \"changes\": [", None),
        ("not JSON", b"\x00\xff\x1b[2J" * 100, None),
        ("empty", b"", None),
        ("array", b"[]", None),
        ("nested 100000", b"[" * 100000, None),
        ("id 2^64", journal_entry([val], eid="18446744073709551616"), None),
        ("id -1", journal_entry([val], eid=-1), None),
        ("value path ..", journal_entry([dict(val, path="/../../../../@OUT@/secret")]), None),
        ("value path relative", journal_entry([dict(val, path="proc/sys/vm/swappiness")]), None),
        ("value path into link out", journal_entry([dict(val, path="/sys/out/secret")]),
         "link"),
        ("value 1 MiB", journal_entry([dict(val, new="1" * (1 << 20))]), None),
        ("value with controls", journal_entry([dict(val, old="\x1b[2J\x07", new="10")]), None),
        ("pool count 2^64", journal_entry([{"kind": "pool", "path": "/sys/kernel/mm/hugepages/"
                                            "hugepages-2048kB/nr_hugepages", "old": "0",
                                            "new": "18446744073709551616"}]), None),
        ("pool path not a pool", journal_entry([{"kind": "pool", "path": "/etc/passwd",
                                                 "old": "0", "new": "1"}]), None),
        ("file path ..", journal_entry([{"kind": "file", "path": "/../../../../@OUT@/x",
                                         "mode": "0600", "old_text": "pwned\n",
                                         "new_text": None}]), None),
        ("file into link out", journal_entry([{"kind": "file", "path": "/sys/out/x",
                                               "mode": "0600", "old_text": "pwned\n",
                                               "new_text": None}]), "link"),
        ("file mode 07777", journal_entry([{"kind": "file", "path": "/etc/x", "mode": "07777",
                                            "old_text": "x\n", "new_text": None}]), None),
        ("file mode junk", journal_entry([{"kind": "file", "path": "/etc/x", "mode": "-1",
                                           "old_text": "x\n", "new_text": None}]), None),
        ("huge base64", journal_entry([{"kind": "file", "path": "/etc/big", "mode": "0644",
                                        "old_base64": big, "new_text": None}]), None),
        ("bad base64", journal_entry([{"kind": "file", "path": "/etc/big", "mode": "0644",
                                       "old_base64": "!!!!====", "new_text": None}]), None),
        # user files (domain XML) are the admin's absolute paths by design: one changed since
        # is refused and left as it is
        ("user-file changed since", journal_entry([{"kind": "user-file",
                                                    "path": "@DATA@/vm.xml", "mode": "0644",
                                                    "old_text": "pwned\n",
                                                    "new_text": "other\n"}]), None),
        ("unknown kind", journal_entry([dict(val, kind="exec")]), None),
        ("100000 changes", journal_entry([val] * (2000 if quick else 100000)), None),
        ("command with controls", journal_entry([val], command="\x1b[2J\x07\u009b"), None),
        ("undone junk", journal_entry([val], undone='"yes"'), None),
    ]
    return cases


def undo_post(ctx, res):
    problems = []
    if open(os.path.join(ctx.data, "vm.xml")).read() != R.VM_XML:
        problems.append("undo rewrote a user file that changed since")
    if open(os.path.join(ctx.out, "secret"), "rb").read() != b"KVMTUNE-CANARY 7777777\n":
        problems.append("undo rewrote a file outside the root")
    if os.path.exists(os.path.join(ctx.out, "x")) or os.path.exists(
            os.path.join(ctx.out, "sub", "x")):
        problems.append("undo created a file outside the root")
    return problems


def attacks_undo(quick):
    out = []
    for name, data, kind in undo_cases(quick):
        def fn(ctx, data=data, kind=kind):
            R.put(ctx.at(f"/{JOURNAL}/000002.json"), ctx.sub(data))
            if kind == "link":
                os.symlink(ctx.out, ctx.at("/sys/out"))
        for argv in (["undo", "--list", "--json"], ["undo"], ["undo", "2", "--force"],
                     ["undo", "--dry-run", "2"]):
            out.append(A("undo", f"{name}: {' '.join(argv)}", argv, tree=UNDO_TREE, mutate=fn,
                         post=undo_post, timeout=60))
    for what in ("fifo", "dir", "link-out", "loop", "sparse"):
        for argv in (["undo", "--list"], ["undo"]):
            out.append(A("undo", f"entry is a {what}: {' '.join(argv)}", argv, tree=UNDO_TREE,
                         post=undo_post, mutate=lambda ctx, w=what: plant(
                             ctx, ctx.at(f"/{JOURNAL}/000002.json"), w)))

    def dir_link(ctx):
        d = ctx.at("/" + JOURNAL)
        R.remove(d)
        os.symlink(os.path.join(ctx.out, "sub"), d)
        R.put(os.path.join(ctx.out, "sub", "000001.json"), journal_entry([
            {"kind": "value", "path": "/proc/sys/vm/swappiness", "old": "60", "new": "10",
             "match": "exact"}], eid=1))
    for argv in (["undo", "--list"], ["undo"], ["hugepages", "set", "2M=0"]):
        out.append(A("undo", f"journal dir links out: {' '.join(argv)}", argv, tree=UNDO_TREE,
                     mutate=dir_link, post=undo_post))
    for argv in (["undo", "18446744073709551616"], ["undo", "-1"], ["undo", "0x2"],
                 ["undo", "\x1b[2J"], ["undo", "1", "2"], ["undo", "--list", "1"]):
        out.append(A("undo", " ".join(argv)[:40], argv, tree=UNDO_TREE, expect={2},
                     post=undo_post))
    return out


# ---------------------------------------------------------------- valgrind

def attacks_valgrind_new(quick):
    q = ["@DATA@/qemu-system-x86_64", "-accel", "tcg", "-display", "none", "-m", "64M"]
    out = [
        A("valgrind", "plan --vm", ["plan", "--no-processes", "--vm", "vcpus=2,mem=1G",
                                    "--vm", "name=x,vcpus=1,mem=512M,page=none"],
          tree=PLAN_TREE, timeout=120),
        A("valgrind", "plan --json --format qemu", ["plan", "--json", "--format", "qemu",
                                                    "--vm", "vcpus=2,mem=1G"], tree=PLAN_TREE,
          timeout=120),
        A("valgrind", "plan --capacity --topology", ["plan", "--topology", "@DATA@/t.xml",
                                                     "--capacity", "--json"], tree=PLAN_TREE,
          mutate=lambda ctx: R.put(os.path.join(ctx.data, "t.xml"), hwloc_xml()), timeout=120),
        A("valgrind", "plan --write --dry-run", ["--dry-run", "plan", "--domain", "@DATA@/vm.xml",
                                                  "--write"], tree=PLAN_TREE, timeout=120),
        A("valgrind", "run --dry-run", ["run", "--dry-run", "--nodes", "0", "--"] + q,
          tree=HOOK_TREE, mutate=fake_qemu, post=post_not_started, timeout=120),
        A("valgrind", "hook prepare", ["hook", "qemu", "web1", "prepare", "begin", "-"],
          tree=HOOK_TREE, stdin=HOOK_XML, timeout=120),
        A("valgrind", "numad -w", ["numad", "-w", "4:1024"], tree=PLAN_TREE, timeout=120),
        A("valgrind", "undo --list --json", ["undo", "--list", "--json"], tree=UNDO_TREE,
          timeout=120),
        A("valgrind", "undo", ["undo"], tree=UNDO_TREE, timeout=120),
        A("valgrind", "profile verify", ["profile", "verify", "virtual-host"],
          tree="tests/data/profile-host", timeout=120),
        A("valgrind", "daemon + control requests", ["daemon"], tree=PLAN_TREE, timeout=180,
          serve=serve_requests([b"status json\n", b"advise 4 1024\n", b"x" * 5000])),
    ]
    return out


# --quick: the attacks that once broke (they must stay fixed) and a fixed sample of the rest,
# about 60 s on a loaded 2-CPU host for all these classes together
QUICK_KEEP = ("daemon answers control chars", "daemon answers non-UTF-8",
              "daemon answers invalid JSON", "-w '\\x1b", "config is controls in key",
              "config is non-UTF-8",
              "drips a byte", "20 clients that never write")
QUICK_SAMPLE = {"plan": 8, "run": 5, "hook": 5, "numad": 3, "daemon": 5, "control": 3,
                "undo": 6}


def quick_sample(cls, fn):
    def pick(quick):
        attacks = fn(quick)
        if not quick:
            return attacks
        keep = [a for a in attacks if any(k in a.name for k in QUICK_KEEP)]
        rest = [a for a in attacks if a not in keep]
        return keep + random.Random(cls).sample(rest, min(len(rest), QUICK_SAMPLE[cls]))
    return pick


def classes(run_module):
    global R
    R = run_module
    return {cls: quick_sample(cls, fn) for cls, fn in (
        ("plan", attacks_plan), ("run", attacks_run), ("hook", attacks_hook),
        ("numad", attacks_numad), ("daemon", attacks_daemon), ("control", attacks_control),
        ("undo", attacks_undo))}
