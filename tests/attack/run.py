#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Attack kvmtune as a hostile user and a hostile file would.

Every attack runs build/kvmtune (or --kvmtune PATH) on a fresh copy of a
fixture tree (--root), with a watched directory outside the root, and
checks what must hold whatever the input:

  - it ends (no hang on a FIFO, a loop, a huge file) within the timeout
  - no sanitizer report (ASan, UBSan, LeakSanitizer) and no crash; under
    --valgrind no valgrind error
  - the exit code is one of 0 ok, 1 failed, 2 bad input (nothing changed),
    3 partial or rolled back (cli_exit_for in src/cli/main.c), and the one
    the attack expects where it names one
  - exit 2 changed nothing below the root; read-only commands never change it
  - nothing outside the root is opened, created or changed (inotify on the
    directory that symlinks in the tree point to)
  - standard output and error carry no raw control character, no C1
    control and no invalid UTF-8 (terminal safety)
  - every --json output parses (one document, or one per line) and is UTF-8

Classes (-k CLASS to run some): tree (each kind of file of each fixture
tree replaced by a FIFO, a directory, a huge sparse file, links out of the
root, junk numbers, control characters...), shape (trees with link loops,
'..' chains, thousands of nodes, huge cpulists), numbers (2^63, 2^64,
negatives, junk in the files the guards read), xml (crafted domains),
argv (every option with empty, huge, negative, non-UTF-8 values), writes
(containment of every write), concurrency (parallel writers, the lock file
replaced, SIGKILL mid-write), text (control characters and non-UTF-8 in
every text the commands print), live (read-only commands on this host).
The classes of the commands that came later (plan, run, hook, numad, daemon,
control, undo) are in cmds.py.

  tests/attack/run.py                 # everything (a few minutes)
  tests/attack/run.py --quick         # a sample of each class (the suite)
  tests/attack/run.py -k xml,argv -v  # some classes, every run shown
  tests/attack/run.py --valgrind build-vg/kvmtune   # a few commands under valgrind

Prints TAP (one test per class) and a table: class, attacks, held, broke.
Exit 0 when everything held, 1 otherwise.
"""
import argparse
import concurrent.futures
import ctypes
import ctypes.util
import filecmp
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
LOCK_DIR = os.path.join("run", "kvmtune", "lock")
LOCK_PARENTS = ("run", os.path.join("run", "kvmtune"))

# Fixture trees and what to run on each (each kind of file gets every mutation).
TREES = {
    "check": "tests/golden/check-clean/root",
    "machine": "tests/data/machine-32intel64",
    "stat": "tests/data/stat-root-2node",
    "top": "tests/data/top-kvm-guest",
    "lint": "tests/data/lint-host",
}
TREE_COMMANDS = {
    "check": [["status"], ["--json", "check"], ["hugepages", "--json"],
              ["hugepages", "persist", "--dry-run", "--json"], ["explain", "@DATA@/log"]],
    "machine": [["--json", "status"], ["hugepages", "set", "2M=8", "--node", "1"],
                ["hugepages", "reserve", "--size", "1G", "--page", "2M", "--owner", "vm1"]],
    "stat": [["stat", "--vms", "--json"], ["stat", "--no-cgroup"], ["stat", "--prometheus"],
             ["top", "--batch", "--no-cgroup"], ["stat", "-m"], ["stat", "--numastat", "-n"]],
    "top": [["top", "--json"], ["top", "--batch", "-n", "2", "-d", "0"]],
    "lint": [["lint", "--domain", "@DATA@/vm.xml"], ["--json", "qemu-args", "--domain",
                                                      "@DATA@/vm.xml"]],
}
READ_ONLY = {"status", "check", "stat", "top", "lint", "qemu-args", "explain"}

VM_XML = """<domain type='kvm'>
  <name>vm1</name>
  <memory unit='GiB'>2</memory>
  <vcpu placement='static'>2</vcpu>
  <memoryBacking><hugepages><page size='2' unit='M'/></hugepages></memoryBacking>
  <numatune><memory mode='strict' nodeset='0'/></numatune>
  <cpu><numa><cell id='0' cpus='0-1' memory='2' unit='GiB'/></numa></cpu>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
"""
QEMU_LOG = """2024-01-01T00:00:00.000000Z qemu-system-x86_64: unable to map backing store for \
guest RAM: Cannot allocate memory
qemu-system-x86_64: -object memory-backend-file,id=ram-node0,prealloc=yes,\
mem-path=/dev/hugepages/libvirt/qemu,size=2147483648: can't open backing store \
/dev/hugepages/libvirt/qemu for guest RAM: Permission denied
"""

SANITIZER = re.compile(rb"AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer"
                       rb"|==\d+== ?(Invalid|Conditional|Use of uninit|Syscall param|\d+ bytes in)")
# Raw C0 controls but \t and \n, DEL, and C1 controls as UTF-8 (U+0080..U+009F).
EVIL_BYTES = b"\x1b[2J\x07\r\xc2\x9b1m\xff"
CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")

# ---------------------------------------------------------------- inotify

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_OPEN = 0x1, 0x2, 0x4, 0x20
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_NONBLOCK = 0o4000
WATCH = IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_OPEN | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE \
    | IN_DELETE


class Watch:
    """Every open, read, write, create or delete in the directories given."""

    def __init__(self, dirs):
        self.fd = _libc.inotify_init1(IN_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        for d in dirs:
            if _libc.inotify_add_watch(self.fd, d.encode(), WATCH) < 0:
                raise OSError(ctypes.get_errno(), "inotify_add_watch " + d)

    def events(self):
        n = 0
        try:
            while True:
                buf = os.read(self.fd, 65536)
                if not buf:
                    break
                n += len(buf)
        except BlockingIOError:
            pass
        return n

    def close(self):
        os.close(self.fd)


# ---------------------------------------------------------------- helpers


def put(path, data, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    if mode is not None:
        os.chmod(path, mode)


def remove(path):
    if os.path.islink(path) or os.path.isfile(path) or stat.S_ISFIFO(
            os.lstat(path).st_mode if os.path.lexists(path) else 0):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def snapshot(root):
    """path -> (kind, content or link target) of a tree, lock files left out."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            if rel == LOCK_DIR or os.path.dirname(rel) == LOCK_DIR:
                continue
            if rel in LOCK_PARENTS and os.path.isdir(p) and not os.path.islink(p):
                continue  # created for the lock: not a change of the host
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", st.st_size, st.st_mtime_ns, st.st_mode)
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", st.st_mode)
            else:
                out[rel] = ("special", st.st_mode)
    return out


def snapshot_diff(a, b):
    changed = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return changed


def parse_json_output(text):
    """One document, or JSON Lines. Returns None when valid, else the reason."""
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"not UTF-8: {e}"
    if not s.strip():
        return "empty"
    try:
        json.loads(s)
        return None
    except ValueError:
        pass
    for i, line in enumerate(s.splitlines()):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except ValueError as e:
            return f"line {i + 1}: {e}"
    return None


# ---------------------------------------------------------------- the runner


class Attack:
    """One run of kvmtune.

    cls       the class it counts in
    name      what it tries
    argv      arguments after 'kvmtune [--root ROOT]'; @ROOT@, @DATA@ (a
              directory of user files outside the root) and @OUT@ (the
              watched directory outside the root) are replaced
    tree      a key of TREES, a path, or None for no --root
    mutate    fn(ctx) changing the copy of the tree (and @DATA@) before the run
    expect    exit codes that are right (None: any of 0-3)
    stdin     bytes for standard input
    post      fn(ctx, result) -> list of problems, for invariants of this attack
    serve     fn(ctx, popen) -> list of problems, called while the command runs
              (a daemon); then the command is ended by SIGTERM (its PID) and
              must exit 0
    """

    def __init__(self, cls, name, argv, tree=None, mutate=None, expect=None, stdin=None,
                 post=None, env=None, timeout=None, root_arg=True, serve=None):
        self.cls, self.name, self.argv, self.tree = cls, name, argv, tree
        self.mutate, self.expect, self.stdin, self.post = mutate, expect, stdin, post
        self.serve = serve
        self.env, self.timeout, self.root_arg = env or {}, timeout, root_arg


class Ctx:
    def __init__(self, base):
        self.base = base
        self.root = os.path.join(base, "root")
        self.data = os.path.join(base, "data")
        self.out = os.path.join(base, "outside")
        os.makedirs(self.data)
        os.makedirs(os.path.join(self.out, "sub"))
        put(os.path.join(self.out, "secret"), "KVMTUNE-CANARY 7777777\n")
        put(os.path.join(self.out, "sub", "secret"), "KVMTUNE-CANARY 7777777\n")
        put(os.path.join(self.data, "vm.xml"), VM_XML)
        put(os.path.join(self.data, "log"), QEMU_LOG)

    def sub(self, s):
        if isinstance(s, bytes):
            return s.replace(b"@ROOT@", self.root.encode()).replace(
                b"@DATA@", self.data.encode()).replace(b"@OUT@", self.out.encode())
        return s.replace("@ROOT@", self.root).replace("@DATA@", self.data).replace(
            "@OUT@", self.out)

    def at(self, rel):
        return os.path.join(self.root, rel.lstrip("/"))


class Result:
    def __init__(self, rc, out, err, elapsed, timed_out):
        self.rc, self.out, self.err = rc, out, err
        self.elapsed, self.timed_out = elapsed, timed_out


def command_name(argv):
    words = [a for a in argv if isinstance(a, str) and not a.startswith("-")]
    return words[0] if words else ""


def is_json(argv):
    return any(a in ("--json",) for a in argv if isinstance(a, str))


def is_dry(argv):
    return any(a == "--dry-run" for a in argv if isinstance(a, str))


class Runner:
    def __init__(self, args):
        self.kvmtune = os.path.abspath(args.kvmtune)
        self.valgrind = args.valgrind
        self.verbose = args.verbose
        self.timeout = args.timeout
        self.tmp = tempfile.mkdtemp(prefix="kvmtune-attack-")
        self.lock = threading.Lock()
        self.stats = {}
        self.broken = []
        self.seq = 0

    def cleanup(self):
        subprocess.run(["chattr", "-R", "-i", self.tmp], capture_output=True, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def exe(self):
        if self.valgrind:
            return ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
                    "--errors-for-leak-kinds=definite", "--track-origins=yes", self.valgrind]
        return [self.kvmtune]

    def run_one(self, a):
        with self.lock:
            self.seq += 1
            base = os.path.join(self.tmp, f"a{self.seq}")
        os.makedirs(base)
        ctx = Ctx(base)
        problems = []
        try:
            if a.tree:
                src = TREES.get(a.tree, a.tree)
                shutil.copytree(os.path.join(TOP, src), ctx.root, symlinks=True)
            else:
                os.makedirs(ctx.root)
            if a.mutate:
                a.mutate(ctx)
            before = snapshot(ctx.root)
            argv = [ctx.sub(x) if isinstance(x, (str, bytes)) else x for x in a.argv]
            cmd = self.exe()
            if a.tree and a.root_arg:
                cmd += ["--root", ctx.root]
            cmd += argv
            watch = Watch([ctx.out, os.path.join(ctx.out, "sub")])
            ctx.serve_problems = []
            res = self.execute(cmd, a, ctx)
            problems += ctx.serve_problems
            touched = watch.events()
            watch.close()
            after = snapshot(ctx.root)
            problems += self.check(a, argv, res, before, after, touched)
            if a.post:
                problems += a.post(ctx, res) or []
        except Exception as e:  # a bug of the attack itself is a failure too
            res = Result(None, b"", b"", 0, False)
            problems.append(f"attack raised {type(e).__name__}: {e}")
        finally:
            if not problems:
                subprocess.run(["chattr", "-R", "-i", base], capture_output=True, check=False)
                shutil.rmtree(base, ignore_errors=True)
        self.record(a, res, problems)
        return problems

    def execute(self, cmd, a, ctx):
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.update({k: ctx.sub(v) for k, v in a.env.items()})
        timeout = a.timeout or self.timeout
        if self.valgrind:
            timeout *= 6
        t0 = time.monotonic()
        stdin = ctx.sub(a.stdin) if a.stdin is not None else None
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                             start_new_session=True)
        if a.serve:
            ctx.serve_problems = a.serve(ctx, p) or []
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                if a.expect is None:
                    a.expect = {0}
        try:
            out, err = p.communicate(stdin, timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            timed_out = True
        return Result(p.returncode, out, err, time.monotonic() - t0, timed_out)

    def check(self, a, argv, res, before, after, touched):
        problems = []
        if res.timed_out:
            problems.append(f"hang: no end after {res.elapsed:.0f} s")
        if SANITIZER.search(res.err):
            m = SANITIZER.search(res.err)
            line = res.err[max(0, m.start() - 200):m.end() + 300].decode(errors="replace")
            problems.append("sanitizer/valgrind: " + line.strip().replace("\n", " | ")[:600])
        if not res.timed_out and res.rc not in (0, 1, 2, 3):
            problems.append(f"exit code {res.rc} (not 0-3)")
        if a.expect is not None and not res.timed_out and res.rc not in a.expect:
            problems.append(f"exit {res.rc}, expected {sorted(a.expect)}")
        for name, text in (("stdout", res.out), ("stderr", res.err)):
            if name == "stderr" and SANITIZER.search(res.err):
                continue
            m = CONTROL.search(text)
            if m:
                problems.append(f"raw control byte {m.group()!r} on {name}: "
                                f"{text[max(0, m.start() - 60):m.end() + 20]!r}")
            try:
                text.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.append(f"invalid UTF-8 on {name}: "
                                f"{text[max(0, e.start - 40):e.end + 10]!r}")
        if is_json(argv) and res.rc in (0, 1, 3) and res.out.strip():
            why = parse_json_output(res.out)
            if why:
                problems.append(f"--json output invalid: {why}")
        elif is_json(argv) and res.rc in (0,) and not res.out.strip():
            problems.append("--json printed nothing")
        if touched:
            problems.append(f"{touched} bytes of inotify events outside the root")
        changed = snapshot_diff(before, after)
        cmd = command_name(argv)
        if changed and (res.rc == 2 or cmd in READ_ONLY or is_dry(argv)):
            problems.append(f"exit {res.rc} of a read-only/dry/refused run changed the tree: "
                            + ", ".join(changed[:5]))
        if b"CANARY" in res.out or b"7777777" in res.out or b"CANARY" in res.err:
            problems.append("output shows the content of a file outside the root")
        return problems

    def record(self, a, res, problems):
        with self.lock:
            s = self.stats.setdefault(a.cls, [0, 0])
            s[0] += 1
            if problems:
                s[1] += 1
                self.broken.append((a, res, problems))
            if self.verbose or problems:
                status = "BROKE" if problems else "held"
                args = " ".join((x if isinstance(x, str) else repr(x))[:120] for x in a.argv)[:600]
                print(f"# {status} [{a.cls}] {a.name}: kvmtune {args} -> exit {res.rc} "
                      f"({res.elapsed:.1f} s)", flush=True)
                for p in problems:
                    print(f"#     {p}", flush=True)
                if problems and res.err:
                    print("#     stderr: " + res.err[:300].decode(errors="replace")
                          .replace("\n", "\n#             "), flush=True)


# ---------------------------------------------------------------- attack classes


def rep_files(tree):
    """One file of each kind in a tree (digits folded: cpu0..cpu31 are one kind)."""
    root = os.path.join(TOP, TREES[tree])
    seen = {}
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        for fn in sorted(filenames):
            rel = "/" + os.path.relpath(os.path.join(dirpath, fn), root)
            if fn in ("README", ".keep") or os.path.islink(os.path.join(dirpath, fn)):
                continue
            key = re.sub(r"\d+", "N", rel)
            seen.setdefault(key, rel)
    return sorted(seen.values())


NUMBERS = ["18446744073709551615", "18446744073709551616", "9223372036854775807",
           "9223372036854775808", "-1", "-9223372036854775808", "4503599627370497",
           "12abc", "0x10", "1e3", "9" * 400, " ", "+5", "4294967296"]


def numbers_in(data, form):
    return re.sub(rb"\d+", form.encode(), data)


def file_mutations(rel, idx):
    """(name, fn(ctx)) for a file of a tree."""

    def missing(ctx):
        remove(ctx.at(rel))

    def empty(ctx):
        put(ctx.at(rel), b"")

    def fifo(ctx):
        remove(ctx.at(rel))
        os.mkfifo(ctx.at(rel))

    def directory(ctx):
        remove(ctx.at(rel))
        os.makedirs(os.path.join(ctx.at(rel), "x"))

    def sparse(ctx):
        with open(ctx.at(rel), "ab") as f:
            f.truncate(100 << 30)

    def link_abs(ctx):
        remove(ctx.at(rel))
        os.symlink(os.path.join(ctx.out, "secret"), ctx.at(rel))

    def link_rel(ctx):
        remove(ctx.at(rel))
        os.symlink("../" * 20 + ctx.out.lstrip("/") + "/secret", ctx.at(rel))

    def link_dir_out(ctx):  # the file's directory replaced by a link out of the root
        d = os.path.dirname(ctx.at(rel))
        shutil.rmtree(d)
        os.symlink(os.path.join(ctx.out, "sub"), d)

    def loop(ctx):
        remove(ctx.at(rel))
        os.symlink(os.path.basename(rel), ctx.at(rel))

    def control(ctx):
        data = open(ctx.at(rel), "rb").read()
        put(ctx.at(rel), re.sub(rb"([A-Za-z]+)", lambda m: m.group(1) + EVIL_BYTES, data,
                                count=6))

    def long_line(ctx):
        put(ctx.at(rel), b"5" * (3 << 20))

    def nul(ctx):
        data = open(ctx.at(rel), "rb").read()
        put(ctx.at(rel), data[: len(data) // 2] + b"\0\0\n\0" + data[len(data) // 2:])

    forms = [NUMBERS[(idx + k) % len(NUMBERS)] for k in (0, 5, 9)]
    muts = [("missing", missing), ("empty", empty), ("fifo", fifo), ("directory", directory),
            ("sparse-100G", sparse), ("link-abs-out", link_abs), ("link-rel-out", link_rel),
            ("dir-link-out", link_dir_out), ("self-loop", loop), ("control+nonutf8", control),
            ("3MiB-line", long_line), ("NUL-bytes", nul)]
    for form in forms:
        muts.append((f"numbers={form[:24]}",
                     lambda ctx, form=form: put(ctx.at(rel), numbers_in(
                         open(ctx.at(rel), "rb").read(), form))))
    return muts


def attacks_tree(quick):
    out = []
    rnd = random.Random(11)
    for tree, commands in TREE_COMMANDS.items():
        files = rep_files(tree)
        for idx, rel in enumerate(files):
            for mi, (mname, fn) in enumerate(file_mutations(rel, idx)):
                argv = commands[(idx + mi) % len(commands)]
                if quick and rnd.random() > 0.08:
                    continue
                out.append(Attack("tree", f"{tree}:{rel} {mname}", argv, tree=tree, mutate=fn))
    return out


def attacks_shape(quick):
    """Whole trees of a hostile shape."""
    out = []
    A = out.append

    def nodes_many(n):
        def fn(ctx):
            nd = ctx.at("/sys/devices/system/node")
            put(os.path.join(nd, "online"), f"0-{n - 1}\n")
            put(os.path.join(nd, "possible"), f"0-{n - 1}\n")
            put(os.path.join(nd, "has_memory"), f"0-{n - 1}\n")
            dist = " ".join(["10"] + ["20"] * (n - 1)) + "\n"
            for i in range(2, n):
                d = os.path.join(nd, f"node{i}")
                put(os.path.join(d, "cpulist"), "\n")
                put(os.path.join(d, "distance"), dist)
                put(os.path.join(d, "meminfo"), f"Node {i} MemTotal: 1048576 kB\n"
                    f"Node {i} MemFree: 524288 kB\n")
                for sz in ("2048", "1048576"):
                    for f in ("nr_hugepages", "free_hugepages", "surplus_hugepages"):
                        put(os.path.join(d, f"hugepages/hugepages-{sz}kB/{f}"), "0\n")
        return fn

    for n in (64, 1024) if quick else (64, 1024, 4096):
        for argv in (["--json", "status"], ["hugepages", "set", "2M=4"], ["check"]):
            A(Attack("shape", f"{n} nodes", argv, tree="check", mutate=nodes_many(n), timeout=120))

    def cpulist(text):
        def fn(ctx):
            for f in ("/sys/devices/system/node/node0/cpulist", "/sys/devices/system/cpu/online",
                      "/sys/devices/system/node/online"):
                put(ctx.at(f), text)
        return fn

    for text in ("0-4294967295\n", "0-65535\n", "4294967296\n", "5-1\n", "0-7:0\n", "0-7:3/2\n",
                 ",,,\n", "0-\n", "-1\n", "0," * 40000 + "\n", "18446744073709551617\n"):
        A(Attack("shape", f"cpulist {text[:20]!r}", ["--json", "status"], tree="check",
                 mutate=cpulist(text)))

    def sys_link(target, where="/sys/devices/system/node/node1"):
        def fn(ctx):
            remove(ctx.at(where))
            os.symlink(ctx.sub(target), ctx.at(where))
        return fn

    for target in ("/", "..", "../../../..", "node1", "@OUT@", "../" * 50, "/proc/self",
                   "/proc/self/root", "/sys/devices/system/node"):
        for argv in (["--json", "status"], ["hugepages", "set", "2M=4", "--node", "1"]):
            A(Attack("shape", f"node1 -> {target}", argv, tree="check", mutate=sys_link(target)))

    def mutual_loop(ctx):
        remove(ctx.at("/proc/meminfo"))
        os.symlink("/proc/a", ctx.at("/proc/meminfo"))
        os.symlink("/proc/b", ctx.at("/proc/a"))
        os.symlink("/proc/a", ctx.at("/proc/b"))

    A(Attack("shape", "meminfo in a two-link loop", ["status"], tree="check", mutate=mutual_loop,
             expect={2}))

    def long_chain(ctx):
        prev = "/proc/meminfo.real"
        os.rename(ctx.at("/proc/meminfo"), ctx.at(prev))
        for i in range(60):
            name = f"/proc/m{i}"
            os.symlink(prev, ctx.at(name))
            prev = name
        os.symlink(prev, ctx.at("/proc/meminfo"))

    A(Attack("shape", "meminfo at the end of 60 links", ["status"], tree="check",
             mutate=long_chain, expect={2}))

    def dotdot_chain(ctx):
        remove(ctx.at("/proc/meminfo"))
        os.symlink("../" * 200 + "proc/../proc/./../proc/meminfo.x", ctx.at("/proc/meminfo"))
        put(ctx.at("/proc/meminfo.x"), open(os.path.join(TOP, TREES["check"], "proc/meminfo"))
            .read())

    A(Attack("shape", "'..' chain of 200 then back in", ["status"], tree="check",
             mutate=dotdot_chain, expect={0}))

    def root_is_link(ctx):
        os.rename(ctx.root, ctx.root + ".real")
        os.symlink(ctx.root + ".real", ctx.root)

    A(Attack("shape", "--root is a symlink to a tree", ["status"], tree="check",
             mutate=root_is_link, expect={0}))

    def no_sys(ctx):
        shutil.rmtree(ctx.at("/sys"))

    def sys_file(ctx):
        shutil.rmtree(ctx.at("/sys"))
        put(ctx.at("/sys"), "x")

    def only_cpuinfo(ctx):
        for d in os.listdir(ctx.root):
            remove(os.path.join(ctx.root, d))
        put(ctx.at("/proc/cpuinfo"), "processor\t: 0\n")

    for name, fn in (("no /sys", no_sys), ("/sys a file", sys_file),
                     ("only /proc/cpuinfo", only_cpuinfo)):
        for argv in (["status"], ["--json", "check"], ["hugepages", "--json"],
                     ["hugepages", "set", "2M=2"], ["stat"], ["top", "--json"]):
            A(Attack("shape", name, argv, tree="check", mutate=fn))

    def root_arg(value, expect):
        A(Attack("shape", f"--root {value!r}", ["--root", value, "status"], expect=expect))

    root_arg("", {2})
    root_arg("/nonexistent-kvmtune", {1, 2})
    root_arg("/etc/hostname", {1, 2})
    root_arg("/tmp", {2})
    root_arg("/dev/null", {1, 2})
    root_arg("x" * 5000, {1, 2})
    root_arg("/proc/self/fd/0", {1, 2})
    return out


def attacks_numbers(quick):
    """Junk numbers in the files the guards and plans read."""
    out = []
    files = ["/proc/meminfo", "/sys/devices/system/node/node0/meminfo",
             "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
             "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
             "/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages",
             "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages",
             "/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/free_hugepages",
             "/sys/devices/system/node/node0/distance", "/proc/sys/vm/min_free_kbytes"]
    commands = [["--json", "status"], ["hugepages", "set", "2M=8", "--node", "1"],
                ["hugepages", "set", "2M=8"],
                ["hugepages", "reserve", "--size", "1G", "--page", "2M", "--owner", "vm1"],
                ["hugepages", "persist", "--dry-run"], ["--json", "hugepages"]]
    rnd = random.Random(12)
    for rel in files:
        for form in NUMBERS:
            for argv in commands:
                if quick and rnd.random() > 0.06:
                    continue

                def fn(ctx, rel=rel, form=form):
                    p = ctx.at(rel)
                    data = open(p, "rb").read() if os.path.exists(p) else b"0\n"
                    put(p, numbers_in(data, form))

                out.append(Attack("numbers", f"{rel} = {form[:24]}", argv, tree="machine",
                                  mutate=fn))
    # one record of another owner with absurd numbers
    for rec in ("node 0 page_kb 2048 pages 18446744073709551615\n",
                "node -1 page_kb 2048 pages 4503599627370496\n",
                "node 99999999999 page_kb 2048 pages 1\n", "node 0 page_kb 0 pages 1\n",
                "node 0 page_kb 2048 pages -5\n", "node 0 page_kb 2048\n",
                "node 0 page_kb 2048 pages 1\x1b[2J\n", "\xff\xfe\n" * 3,
                "node 0 page_kb 2048 pages 1\n" * 20000,
                "node 0 page_kb 2048 pages 5 grown 18446744073709551615\n",
                "node 0 page_kb 2048 pages 4503599627370496 grown 4503599627370496\n",
                "node 0 page_kb 2048 pages 1 grown 1 grown 1\n",
                "node 0 page_kb 2048 pages 3 grown 1\n" * 20000):
        for argv in (["hugepages", "set", "2M=0", "--node", "0"],
                     ["hugepages", "reserve", "--size", "1G", "--page", "2M", "--owner", "vm1"],
                     ["hugepages", "release", "--owner", "other"]):
            def fn(ctx, rec=rec):
                put(ctx.at("/run/kvmtune/hugepages/other"), rec.encode("utf-8", "surrogateescape"))
            out.append(Attack("numbers", f"record {rec[:30]!r}", argv, tree="machine", mutate=fn))
    return out


# ---------------------------------------------------------------- XML


def domain(body_mem="<memory unit='GiB'>2</memory>", cells="", extra="", name="vm1", prolog=""):
    return (f"{prolog}<domain type='kvm'><name>{name}</name>{body_mem}"
            f"<vcpu placement='static'>2</vcpu>"
            f"<memoryBacking><hugepages><page size='2' unit='M'/></hugepages></memoryBacking>"
            f"<numatune><memory mode='strict' nodeset='0'/></numatune>"
            f"<cpu><numa>{cells}</numa></cpu>{extra}</domain>\n")


def xml_cases():
    cases = []
    C = cases.append
    laughs = "<!DOCTYPE d [<!ENTITY a0 'lol'>" + "".join(
        f"<!ENTITY a{i} '{('&a' + str(i - 1) + ';') * 10}'>" for i in range(1, 12)) + "]>"
    C(("billion laughs in name", domain(name="&a11;", prolog=laughs)))
    C(("billion laughs in memory", domain(body_mem="<memory unit='KiB'>&a11;</memory>",
                                          prolog=laughs)))
    C(("external entity to a file outside", domain(
        name="&x;", prolog="<!DOCTYPE d [<!ENTITY x SYSTEM 'file://@OUT@/secret'>]>")))
    C(("parameter entity from outside", domain(
        prolog="<!DOCTYPE d [<!ENTITY % p SYSTEM 'file://@OUT@/secret'> %p;]>")))
    C(("network entity", domain(
        name="&x;", prolog="<!DOCTYPE d [<!ENTITY x SYSTEM 'http://127.0.0.1:9/x'>]>")))
    C(("XInclude of a file outside", domain(
        extra="<xi:include xmlns:xi='http://www.w3.org/2001/XInclude' "
              "href='file://@OUT@/secret' parse='text'/>")))
    units = ["b", "bytes", "KB", "k", "KiB", "MB", "M", "MiB", "GB", "G", "GiB", "TB", "T", "TiB",
             "PB", "P", "PiB", "EB", "E", "EiB", "ZiB", "", "kib", "Kb", "xyz", " GiB"]
    for u in units:
        for v in ("2", "0", "18446744073709551615", "9007199254740991", "4096", "-1", "1.5",
                  "0x10", " 2 "):
            C((f"memory {v} {u!r}", domain(body_mem=f"<memory unit='{u}'>{v}</memory>",
                                           cells=f"<cell id='0' cpus='0-1' memory='{v}' "
                                                 f"unit='{u}'/>")))
    C(("page size 2^64 KiB", domain().replace("<page size='2' unit='M'/>",
                                              "<page size='18446744073709551615' unit='KiB'/>")))
    C(("page size 0", domain().replace("<page size='2' unit='M'/>", "<page size='0'/>")))
    C(("page size in TiB", domain().replace("<page size='2' unit='M'/>",
                                            "<page size='1' unit='TiB'/>")))
    for n in (200, 5000):
        cells = "".join(f"<cell id='{i}' cpus='{i}' memory='1' unit='MiB'/>" for i in range(n))
        C((f"{n} cells", domain(body_mem=f"<memory unit='MiB'>{n}</memory>", cells=cells)))
    C(("cell id 2^32", domain(cells="<cell id='4294967296' cpus='0' memory='2' unit='GiB'/>")))
    C(("cell id -1", domain(cells="<cell id='-1' cpus='0' memory='2' unit='GiB'/>")))
    C(("cell cpus 0-4294967295", domain(cells="<cell id='0' cpus='0-4294967295' memory='2' "
                                              "unit='GiB'/>")))
    C(("duplicate cell ids", domain(cells="<cell id='0' cpus='0' memory='1' unit='GiB'/>"
                                          "<cell id='0' cpus='1' memory='1' unit='GiB'/>")))
    C(("cells summing past 2^64", domain(
        cells="".join(f"<cell id='{i}' cpus='{i}' memory='9223372036854775807' unit='KiB'/>"
                      for i in range(3)))))
    C(("nodeset 0-4294967295", domain().replace("nodeset='0'", "nodeset='0-4294967295'")))
    C(("memnode for cell 99", domain(cells="<cell id='0' cpus='0-1' memory='2' unit='GiB'/>")
       .replace("</numatune>", "<memnode cellid='99' mode='strict' nodeset='0'/></numatune>")))
    C(("vcpu 2^32", domain().replace(">2</vcpu>", ">4294967296</vcpu>")))
    C(("deep nesting 5000", domain(extra="<a>" * 5000 + "</a>" * 5000)))
    C(("deep nesting 100000", domain(extra="<a>" * 100000 + "</a>" * 100000)))
    C(("1 MiB attribute", domain(extra=f"<x y='{'A' * (1 << 20)}'/>")))
    C(("control characters in name", domain(name="vm&#27;[2J&#7;\u009b31m")))
    C(("raw ESC in name (not XML)", domain(name="vm\x1b[2J")))
    C(("non-UTF-8 name", domain(name="vm\udcff\udcfe")))
    C(("NUL byte", domain().replace("<vcpu", "\0<vcpu")))
    C(("not a domain", "<network><name>x</name></network>\n"))
    C(("empty", ""))
    C(("truncated", domain()[:90]))
    C(("two roots", domain() + domain()))
    C(("UTF-16 BOM", "\ufeff" + domain()))
    C(("namespace games", domain().replace("<domain type='kvm'>",
                                           "<d:domain xmlns:d='urn:x' type='kvm'>").replace(
        "</domain>", "</d:domain>")))
    C(("hugepages for a missing node", domain().replace(
        "<page size='2' unit='M'/>", "<page size='2' unit='M' nodeset='0-4294967295'/>")))
    C(("memtune hard_limit 2^64", domain(extra="<memtune><hard_limit unit='KiB'>"
                                               "18446744073709551615</hard_limit></memtune>")))
    return cases


def attacks_xml(quick):
    out = []
    rnd = random.Random(13)
    for name, text in xml_cases():
        data = text.encode("utf-8", "surrogateescape")
        for argv in (["--json", "lint", "--domain", "@DATA@/d.xml"],
                     ["qemu-args", "--domain", "@DATA@/d.xml"],
                     ["xml", "--domain", "@DATA@/d.xml"],
                     ["xml", "--domain", "@DATA@/d.xml", "--write", "--mem", "2G", "--page", "2M"],
                     ["--json", "check"]):
            if quick and rnd.random() > 0.12:
                continue

            def fn(ctx, data=data, check=argv[-1] == "check"):
                if check:
                    put(ctx.at("/etc/libvirt/qemu/evil.xml"), ctx.sub(data))
                put(os.path.join(ctx.data, "d.xml"), ctx.sub(data))

            post = None
            if "--write" in argv:
                post = post_domain_write
            out.append(Attack("xml", name, argv, tree="check", mutate=fn, post=post,
                              timeout=60))
    # the domain file itself of a hostile kind
    kinds = {
        "FIFO": lambda p: os.mkfifo(p),
        "directory": lambda p: os.makedirs(p),
        "/dev/zero": lambda p: os.symlink("/dev/zero", p),
        "/dev/urandom": lambda p: os.symlink("/dev/urandom", p),
        "sparse 10G": lambda p: open(p, "wb").truncate(10 << 30),
        "missing": lambda p: None,
        "unreadable link loop": lambda p: os.symlink(os.path.basename(p), p),
    }
    for kname, make in kinds.items():
        for argv in (["lint", "--domain", "@DATA@/d.xml"],
                     ["xml", "--domain", "@DATA@/d.xml", "--write", "--mem", "2G"]):
            def fn(ctx, make=make):
                make(os.path.join(ctx.data, "d.xml"))
            out.append(Attack("xml", f"domain file is {kname}", argv, tree="check", mutate=fn,
                              expect={2}))
    return out


def post_domain_write(ctx, res):
    """After xml --write: the domain parses, a backup holds the old text on success."""
    problems = []
    path = os.path.join(ctx.data, "d.xml")
    if res.rc == 0:
        try:
            text = open(path, "rb").read()
            if b"<domain" not in text:
                problems.append("written domain lost its <domain>")
        except OSError as e:
            problems.append(f"written domain unreadable: {e}")
        if not os.path.exists(path + ".bak"):
            problems.append("no backup after a successful write")
    leftovers = [f for f in os.listdir(ctx.data) if ".kvmtune-" in f]
    if leftovers:
        problems.append(f"temporary files left: {leftovers}")
    return problems


# ---------------------------------------------------------------- argv

BAD_VALUES = ["", "0", "-1", "-9223372036854775809", "18446744073709551616", "9" * 400,
              "1e400", "nan", "inf", "0x10", "\udcff\udcfe", "\x1b[2J\x07", "4E", "16EiB",
              "0-4294967295", "a" * 100000, "1,", "0:", ":::", "1.5G", " 1", "1 "]


def command_options():
    """Every command with its options that take a value, and one valid line."""
    vm = ["--mem", "--page", "--cells", "--host-nodes", "--policy", "--placement", "--source",
          "--prealloc-threads", "--name", "--file-dir", "--hugetlbfs"]
    return [
        (["qemu-args", "--mem", "2G"], vm),
        (["xml", "--mem", "2G"], vm[:-2]),
        (["lint", "--mem", "2G"], vm[:-2]),
        (["hugepages", "set", "2M=2"], ["--node", "--timeout", "--keep-free"]),
        (["hugepages", "reserve", "--size", "2M", "--page", "2M", "--owner", "a"],
         ["--size", "--page", "--node", "--owner", "--timeout", "--keep-free"]),
        (["hugepages", "release", "--owner", "a"], ["--owner"]),
        (["hugepages", "persist", "--dry-run"], ["--node", "--group"]),
        (["hugepages", "mount", "--dry-run"], ["--group"]),
        (["explain", "@DATA@/log"], ["--user"]),
        (["stat"], ["--interval", "--count", "-p", "-s"]),
        (["top", "--batch"], ["-n", "-d", "-o"]),
        (["bench", "memory", "--show"], ["--nodes", "--sizes", "--mib", "--seconds", "--seed"]),
    ]


def attacks_argv(quick):
    out = []
    rnd = random.Random(14)
    for base, opts in command_options():
        for opt in opts:
            for v in BAD_VALUES:
                if quick and rnd.random() > 0.1:
                    continue
                # bench without --show would measure: keep --show so nothing runs long
                argv = base + [opt, v]
                if base[0] == "stat" and opt == "--interval":
                    argv += ["--count", "2"]
                tree = "stat" if base[0] in ("stat", "top") else "check"
                out.append(Attack("argv", f"{' '.join(base[:2])} {opt} {v[:20]!r}", argv,
                                  tree=tree, timeout=30))
    # positional arguments and SIZE=COUNT forms
    for v in ["2M=18446744073709551615", "2M=-1", "2M=", "=5", "2M=1=2", "0=5", "1T=1", "2M=5 ",
              "\udcff=1", "2M=0x10", "2M=9007199254740993", "2M=1e3", "2048kB=1", "2m=1",
              "2M=4503599627370497", "1G=4503599627370496"]:
        for verb in ("set", "persist"):
            out.append(Attack("argv", f"hugepages {verb} {v!r}",
                              ["hugepages", verb, v, "--dry-run"], tree="machine"))
    for v in ["", "-", "--", "\udcff", "x" * 5000, "--json", "-v" * 3]:
        out.append(Attack("argv", f"command {v[:20]!r}", [v], tree="check", expect={2}))
    for cmd in ("status", "check", "hugepages", "stat", "top", "lint", "xml", "qemu-args",
                "explain", "bench"):
        out.append(Attack("argv", f"{cmd} --no-such-option", [cmd, "--no-such-option"],
                          tree="check", expect={2}))
        out.append(Attack("argv", f"{cmd} stray argument \\xff", [cmd, "\udcff\x1b[2J"],
                          tree="check", expect={1, 2}))
        out.append(Attack("argv", f"{cmd} --help", [cmd, "--help"], expect={0}))
    out.append(Attack("argv", "help for a non-UTF-8 command", ["help", "\udcff\x1b[2J"],
                      expect={2}))
    out.append(Attack("argv", "--dry-run on a read-only command", ["--dry-run", "status"],
                      tree="check", expect={2}))
    out.append(Attack("argv", "no arguments", [], expect={2}))
    return out


# ---------------------------------------------------------------- writes


def attacks_writes(quick):
    """Containment of every write: the targets replaced by links out, FIFOs, directories."""
    out = []
    writes = [
        (["hugepages", "set", "2M=8", "--node", "1"],
         ["/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages",
          "/sys/devices/system/node/node1/hugepages", "/sys/devices/system/node/node1"]),
        (["hugepages", "set", "2M=8"],
         ["/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "/sys/kernel/mm/hugepages"]),
        (["hugepages", "reserve", "--size", "1G", "--page", "2M", "--owner", "vm1"],
         ["/run/kvmtune/hugepages", "/run/kvmtune", "/run/kvmtune/hugepages/vm1", "/run",
          "/run/kvmtune/lock", "/run/kvmtune/lock/hugepages"]),
        (["hugepages", "persist", "2M=8", "1G=1", "--node", "0"],
         ["/etc/sysctl.d", "/etc/sysctl.d/80-kvmtune-hugepages.conf", "/etc/default/grub.d",
          "/etc/default/grub.d/80-kvmtune-hugepages.cfg", "/etc/systemd/system",
          "/etc/systemd/system/kvmtune-hugepages.service", "/etc", "/etc/default"]),
        (["hugepages", "mount", "--group", "kvm"],
         ["/etc/systemd/system", "/etc/systemd/system/dev-hugepages.mount.d", "/etc/systemd"]),
    ]
    for argv, targets in writes:
        for t in targets:
            for kind in ("link-abs", "link-rel", "fifo", "dir", "file-for-dir"):
                def fn(ctx, t=t, kind=kind):
                    p = ctx.at(t)
                    if os.path.lexists(p):
                        remove(p)
                    os.makedirs(os.path.dirname(p), exist_ok=True)
                    if kind == "link-abs":
                        os.symlink(os.path.join(ctx.out, "sub"), p)
                    elif kind == "link-rel":
                        os.symlink("../" * 30 + ctx.out.lstrip("/") + "/sub", p)
                    elif kind == "fifo":
                        os.mkfifo(p)
                    elif kind == "dir":
                        os.makedirs(p)
                    else:
                        put(p, "not a directory\n")
                    # the dirs the write needs, as they would be
                    put(ctx.at("/etc/group"), "kvm:x:107:\nqemu:x:108:\n")
                out.append(Attack("writes", f"{argv[1]}: {t} is {kind}", argv, tree="machine",
                                  mutate=fn))
    # the real host must never be touched by a --root run
    return out


# ---------------------------------------------------------------- text


def attacks_text(quick):
    """Control characters and non-UTF-8 in every text a command prints."""
    out = []
    evil = "x\x1b]0;owned\x07\x1b[2J\r\x9b\xc2\x9b31m\udcff\u202e"

    def enc(s):
        return s.encode("utf-8", "surrogateescape")

    def stat_names(ctx):
        put(ctx.at("/proc/4242/comm"), enc("qemu-system-x86" + "\n"))
        put(ctx.at("/proc/4242/cmdline"), b"qemu-system-x86_64\0-name\0" + enc(
            "guest=" + evil + ",debug-threads=on") + b"\0")
        for t in os.listdir(ctx.at("/proc/4242/task")):
            put(ctx.at(f"/proc/4242/task/{t}/comm"), enc(evil + "\n"))

    def mounts(ctx):
        with open(ctx.at("/proc/mounts"), "ab") as f:
            f.write(enc(f"hugetlbfs /dev/hp{evil} hugetlbfs rw,pagesize=2M,mode=1770 0 0\n"))
            f.write(enc(f"hugetlbfs /dev/hp\\033[2J\\012x hugetlbfs rw,pagesize=1G 0 0\n"))

    def cpu_model(ctx):
        data = open(ctx.at("/proc/cpuinfo"), "rb").read()
        put(ctx.at("/proc/cpuinfo"), re.sub(rb"model name\t: [^\n]*",
                                            b"model name\t: " + enc(evil), data))

    def knobs(ctx):
        put(ctx.at("/sys/kernel/mm/transparent_hugepage/enabled"), enc(f"always [{evil}] never\n"))
        put(ctx.at("/proc/sys/kernel/osrelease"), enc(evil + "\n"))

    def groups(ctx):
        put(ctx.at("/etc/group"), enc(f"{evil}:x:107:\nkvm:x:108:\n"))
        put(ctx.at("/etc/passwd"), enc(f"libvirt-qemu:x:64055:108:{evil}:/:/bin/false\n"))
        put(ctx.at("/proc/sys/vm/hugetlb_shm_group"), b"107\n")

    def qemu_conf(ctx):
        put(ctx.at("/etc/libvirt/qemu.conf"), enc(f'user = "{evil}"\ngroup = "{evil}"\n'
                                                  f'hugetlbfs_mount = ["/dev/{evil}"]\n'))

    def domain_name(ctx):
        put(ctx.at("/etc/libvirt/qemu/evil.xml"), enc(domain(name=evil.replace("\x1b", "&#27;")
                                                          .replace("\x07", "&#7;")
                                                          .replace("\r", "&#13;"))))

    def log(ctx):
        put(os.path.join(ctx.data, "log"), enc(QEMU_LOG.replace("Permission denied",
                                                                 "Permission denied" + evil)
                                               + evil + "\n" + QEMU_LOG.replace("/dev/hugepages",
                                                                                "/dev/" + evil)))

    def record(ctx):
        put(ctx.at("/run/kvmtune/hugepages/other"), enc(f"node 0 page_kb 2048 pages 1{evil}\n"))

    def sysfs_value(ctx):
        put(ctx.at("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"), enc(evil + "\n"))

    def costs(ctx):
        put(ctx.at("/var/lib/kvmtune/memory-costs"), enc(evil + "\n" + evil))

    cases = [
        ("stat", stat_names, [["stat", "--vms", "--no-cgroup"], ["stat", "--no-cgroup", "-v"],
                              ["stat", "--prometheus", "--no-cgroup"], ["--json", "stat", "--vms"],
                              ["top", "--batch", "--no-cgroup"], ["top", "--json"],
                              ["stat", "--numastat", "4242"], ["stat", "-p", "4242"]]),
        ("check", mounts, [["status"], ["--json", "status"], ["check"], ["--json", "check"],
                           ["hugepages", "mount", "--dry-run"], ["explain", "@DATA@/log"],
                           ["qemu-args", "--mem", "2G", "--page", "2M"]]),
        ("check", cpu_model, [["status"], ["--json", "status"]]),
        ("check", knobs, [["status"], ["check"], ["--json", "check"]]),
        ("check", groups, [["check"], ["hugepages", "mount", "--dry-run"],
                           ["hugepages", "persist", "--dry-run"], ["status"],
                           ["explain", "@DATA@/log"]]),
        ("check", qemu_conf, [["check"], ["--json", "check"], ["explain", "@DATA@/log"]]),
        ("check", domain_name, [["check"], ["--json", "check"]]),
        ("check", log, [["explain", "@DATA@/log"], ["--json", "explain", "@DATA@/log"]]),
        ("machine", record, [["hugepages", "set", "2M=0"], ["hugepages", "release", "--owner",
                                                             "other"]]),
        ("machine", sysfs_value, [["hugepages"], ["status"], ["hugepages", "set", "2M=4"]]),
        ("check", costs, [["bench", "memory", "--show"], ["bench", "memory", "--show",
                                                          "--json"]]),
    ]
    for tree, fn, argvs in cases:
        for argv in argvs:
            out.append(Attack("text", f"{fn.__name__}: {' '.join(argv)}", argv, tree=tree,
                              mutate=fn))
    out.append(Attack("text", "explain from stdin with controls", ["explain"], tree="check",
                      stdin=enc(QEMU_LOG + evil + "\n")))
    out.append(Attack("text", "explain --user with controls", ["explain", "--user",
                                                                evil, "@DATA@/log"],
                      tree="check"))
    return out


# ---------------------------------------------------------------- live


def attacks_live(quick):
    out = []
    for argv in (["status"], ["--json", "status"], ["check"], ["--json", "check"], ["hugepages"],
                 ["--json", "hugepages"], ["stat"], ["--json", "stat", "--vms"],
                 ["stat", "--numastat"], ["top", "--batch"], ["top", "--json"],
                 ["stat", "-m"], ["--root", "/", "status"], ["--root", "//proc/..", "status"]):
        out.append(Attack("live", "live " + " ".join(argv), argv))
    return out


# ---------------------------------------------------------------- concurrency


def pool_total(ctx, node=None):
    p = ("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages" if node is None else
         f"/sys/devices/system/node/node{node}/hugepages/hugepages-2048kB/nr_hugepages")
    return int(open(ctx.at(p)).read())


def attacks_concurrency(quick):
    out = []

    def parallel_reservers(ctx, res):
        n = 12 if quick else 24
        before = pool_total(ctx, 0)
        procs = [subprocess.Popen(
            [RUNNER.kvmtune, "--root", ctx.root, "hugepages", "reserve", "--size", "2M",
             "--page", "2M", "--node", "0", "--owner", f"vm{i}", "--timeout", "60"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(n)]
        errs = [p.communicate()[1] for p in procs]
        rcs = [p.returncode for p in procs]
        grown = pool_total(ctx, 0) - before
        recs = len([f for f in os.listdir(ctx.at("/run/kvmtune/hugepages"))
                    if not f.startswith(".")])
        problems = []
        if grown != recs or recs != rcs.count(0):
            problems.append(f"{n} parallel reservers: pool grew {grown}, {recs} records, "
                            f"exits {rcs}")
        for e in errs:
            if SANITIZER.search(e):
                problems.append("sanitizer in a parallel reserver")
        return problems

    out.append(Attack("concurrency", "parallel reservers on one node", ["hugepages"],
                      tree="machine", post=parallel_reservers, timeout=120))

    def lock_as(kind):
        def fn(ctx):
            d = ctx.at("/run/kvmtune/lock")
            os.makedirs(d, exist_ok=True)
            p = os.path.join(d, "hugepages")
            if kind == "symlink-out":
                os.symlink(os.path.join(ctx.out, "secret"), p)
            elif kind == "symlink-dangling":
                os.symlink(os.path.join(ctx.out, "newfile"), p)
            elif kind == "fifo":
                os.mkfifo(p)
            elif kind == "directory":
                os.makedirs(p)
            elif kind == "lockdir-link":
                shutil.rmtree(d)
                os.symlink(os.path.join(ctx.out, "sub"), d)
            elif kind == "lockdir-file":
                shutil.rmtree(d)
                put(d, "x")
            elif kind == "readonly-file":
                put(p, "", 0o000)
        return fn

    for kind in ("symlink-out", "symlink-dangling", "fifo", "directory", "lockdir-link",
                 "lockdir-file", "readonly-file"):
        for argv in (["hugepages", "set", "2M=8", "--node", "1"],
                     ["hugepages", "reserve", "--size", "1G", "--page", "2M", "--owner", "vm1"]):
            out.append(Attack("concurrency", f"lock file is {kind}", argv, tree="machine",
                              mutate=lock_as(kind)))

    def lock_swapped(ctx, res):
        """Holder A has the lock; the lock file is replaced; B must still wait for A."""
        lockp = ctx.at("/run/kvmtune/lock/hugepages")
        a = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, lockp, "3"],
                             stdout=subprocess.PIPE)
        a.stdout.readline()  # A holds it
        os.unlink(lockp)
        put(lockp, "")
        t0 = time.monotonic()
        b = subprocess.run([RUNNER.kvmtune, "--root", ctx.root, "hugepages", "set", "2M=8",
                            "--node", "1", "--timeout", "10"], capture_output=True)
        waited = time.monotonic() - t0
        a.wait()
        if waited < 1.5:
            return [f"a second writer went ahead after the lock file was replaced "
                    f"(waited {waited:.1f} s, exit {b.returncode}) while the first held it"]
        return []

    def lock_removed(ctx, res):
        lockp = ctx.at("/run/kvmtune/lock/hugepages")
        a = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, lockp, "3"],
                             stdout=subprocess.PIPE)
        a.stdout.readline()
        os.unlink(lockp)
        t0 = time.monotonic()
        b = subprocess.run([RUNNER.kvmtune, "--root", ctx.root, "hugepages", "set", "2M=8",
                            "--node", "1", "--timeout", "10"], capture_output=True)
        waited = time.monotonic() - t0
        a.wait()
        if waited < 1.5:
            return [f"a second writer went ahead after the lock file was removed "
                    f"(waited {waited:.1f} s, exit {b.returncode}) while the first held it"]
        return []

    out.append(Attack("concurrency", "lock file replaced while held", ["hugepages"],
                      tree="machine", post=lock_swapped, timeout=60))
    out.append(Attack("concurrency", "lock file removed while held", ["hugepages"],
                      tree="machine", post=lock_removed, timeout=60))

    def parallel_xml_writes(ctx, res):
        path = os.path.join(ctx.data, "vm.xml")
        n = 8
        procs = [subprocess.Popen(
            [RUNNER.kvmtune, "--root", ctx.root, "xml", "--domain", path, "--write", "--mem",
             f"{i + 1}G", "--page", "2M"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for i in range(n)]
        [p.communicate() for p in procs]
        rcs = [p.returncode for p in procs]
        baks = sorted(f for f in os.listdir(ctx.data) if f.startswith("vm.xml.bak"))
        problems = []
        text = open(path).read()
        if "<domain" not in text or "</domain>" not in text:
            problems.append("domain file broken by parallel writers")
        # every successful writer kept what it replaced: the chain of backups holds
        # the original and every version but the last
        versions = [open(os.path.join(ctx.data, b)).read() for b in baks] + [text]
        if VM_XML not in versions:
            problems.append("the original domain is in no backup")
        ok = rcs.count(0)
        # libxml2 writes attributes in double quotes
        mems = set(re.findall(r"<memory unit=['\"]KiB['\"]>(\d+)</memory>", "".join(versions)))
        if ok and len(mems) < ok:
            problems.append(f"{ok} writers succeeded but only {len(mems)} of their versions "
                            f"survive in the file and its backups (lost updates): {rcs}")
        leftovers = [f for f in os.listdir(ctx.data) if ".kvmtune-" in f]
        if leftovers:
            problems.append(f"temporary files left: {leftovers}")
        return problems

    out.append(Attack("concurrency", "parallel xml --write on one domain", ["status"],
                      tree="check", post=parallel_xml_writes, timeout=120))

    def kill_mid_write(argv_fn, check_fn, rounds):
        def post(ctx, res):
            problems = []
            for i in range(rounds):
                p = subprocess.Popen([RUNNER.kvmtune, "--root", ctx.root] + argv_fn(ctx, i),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(random.Random(i).uniform(0.0, 0.25))
                p.send_signal(signal.SIGKILL)
                p.wait()
                problems += check_fn(ctx, i)
                if problems:
                    break
            return problems
        return post

    def xml_argv(ctx, i):
        return ["xml", "--domain", os.path.join(ctx.data, "vm.xml"), "--write", "--mem",
                f"{i % 7 + 1}G", "--page", "2M"]

    def xml_check(ctx, i):
        text = open(os.path.join(ctx.data, "vm.xml")).read()
        if not text.rstrip().endswith("</domain>"):
            return [f"round {i}: domain file left half-written by SIGKILL"]
        for f in os.listdir(ctx.data):
            if f.startswith("vm.xml.bak"):
                t = open(os.path.join(ctx.data, f)).read()
                if not t.rstrip().endswith("</domain>"):
                    return [f"round {i}: backup {f} left half-written by SIGKILL"]
        return []

    def persist_argv(ctx, i):
        return ["hugepages", "persist", f"2M={i + 1}", "1G=1", "--node", "0"]

    def persist_check(ctx, i):
        for f in ("/etc/sysctl.d/80-kvmtune-hugepages.conf",
                  "/etc/default/grub.d/80-kvmtune-hugepages.cfg",
                  "/etc/systemd/system/kvmtune-hugepages.service"):
            p = ctx.at(f)
            if os.path.exists(p) and os.path.getsize(p) == 0:
                return [f"round {i}: {f} empty after SIGKILL"]
        return []

    def set_argv(ctx, i):
        return ["hugepages", "set", f"2M={i * 3}", "--node", "1"]

    def set_check(ctx, i):
        v = open(ctx.at("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/"
                        "nr_hugepages")).read().strip()
        if not v.isdigit():
            return [f"round {i}: nr_hugepages holds {v!r} after SIGKILL"]
        return []

    rounds = 6 if quick else 25
    out.append(Attack("concurrency", "SIGKILL during xml --write", ["status"], tree="check",
                      post=kill_mid_write(xml_argv, xml_check, rounds), timeout=120))
    out.append(Attack("concurrency", "SIGKILL during hugepages persist", ["status"],
                      tree="check", post=kill_mid_write(persist_argv, persist_check, rounds),
                      timeout=120))
    out.append(Attack("concurrency", "SIGKILL during hugepages set", ["status"],
                      tree="machine", post=kill_mid_write(set_argv, set_check, rounds),
                      timeout=120))
    return out


HOLD_LOCK = """
import fcntl, os, sys, time
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""

# ---------------------------------------------------------------- valgrind


def attacks_valgrind(quick):
    out = []
    for tree, argv in (("check", ["status"]), ("check", ["--json", "check"]),
                       ("stat", ["stat", "--numastat"]), ("stat", ["stat", "--vms", "--json"]),
                       ("stat", ["stat", "--numastat", "-n"]), ("top", ["top", "--json"]),
                       ("machine", ["hugepages", "set", "2M=8", "--node", "1"]),
                       ("check", ["lint", "--domain", "@DATA@/vm.xml"]),
                       ("check", ["xml", "--domain", "@DATA@/vm.xml", "--write", "--mem", "2G"]),
                       ("check", ["explain", "@DATA@/log"])):
        out.append(Attack("valgrind", " ".join(argv), argv, tree=tree))
    return out + cmds.attacks_valgrind_new(quick)


CLASSES = {
    "tree": attacks_tree, "shape": attacks_shape, "numbers": attacks_numbers,
    "xml": attacks_xml, "argv": attacks_argv, "writes": attacks_writes, "text": attacks_text,
    "concurrency": attacks_concurrency, "live": attacks_live,
}
sys.path.insert(0, HERE)
import cmds  # noqa: E402  (the classes of the commands after plan; they use this module)

CLASSES.update(cmds.classes(sys.modules[__name__]))
RUNNER = None


def host_state():
    """What a --root run must never change on the real host."""
    paths = ["/etc/sysctl.d/80-kvmtune-hugepages.conf",
             "/etc/default/grub.d/80-kvmtune-hugepages.cfg",
             "/etc/systemd/system/kvmtune-hugepages.service", "/run/kvmtune/hugepages",
             "/var/lib/kvmtune/memory-costs"]
    return {p: os.path.exists(p) for p in paths}


def main():
    global RUNNER
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kvmtune", default=os.path.join(TOP, "build", "kvmtune"))
    ap.add_argument("--valgrind", metavar="KVMTUNE",
                    help="run the valgrind class with this (unsanitised) binary")
    ap.add_argument("-k", "--classes", help="comma-separated classes (default: all)")
    ap.add_argument("--quick", action="store_true", help="a fixed sample of each class")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if not os.access(args.kvmtune, os.X_OK):
        print(f"1..0 # SKIP no kvmtune binary at {args.kvmtune}")
        return 77
    RUNNER = Runner(args)
    if args.valgrind:
        classes = ["valgrind"]
        CLASSES["valgrind"] = attacks_valgrind
    else:
        classes = args.classes.split(",") if args.classes else list(CLASSES)
    host_before = host_state()
    t0 = time.monotonic()
    try:
        for cls in classes:
            attacks = CLASSES[cls](args.quick)
            serial = cls in ("concurrency", "live")
            with concurrent.futures.ThreadPoolExecutor(1 if serial else args.jobs) as ex:
                list(ex.map(RUNNER.run_one, attacks))
    finally:
        RUNNER.cleanup()
    host_after = host_state()
    n = 0
    for cls in classes:
        tried, broke = RUNNER.stats.get(cls, [0, 0])
        n += 1
        print(f"{'not ok' if broke else 'ok'} {n} - {cls}: {tried} attacks, {tried - broke} held, "
              f"{broke} broke")
    n += 1
    if host_before != host_after:
        print(f"not ok {n} - the real host changed: {host_before} -> {host_after}")
    else:
        print(f"ok {n} - the real host is as it was")
    print(f"1..{n}")
    print(f"# {'class':<12} {'attacks':>8} {'held':>6} {'broke':>6}")
    for cls in classes:
        tried, broke = RUNNER.stats.get(cls, [0, 0])
        print(f"# {cls:<12} {tried:>8} {tried - broke:>6} {broke:>6}")
    total = sum(s[0] for s in RUNNER.stats.values())
    broke = sum(s[1] for s in RUNNER.stats.values())
    print(f"# {'all':<12} {total:>8} {total - broke:>6} {broke:>6}   "
          f"({time.monotonic() - t0:.0f} s)")
    return 1 if broke or host_before != host_after else 0


if __name__ == "__main__":
    sys.exit(main())
