#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden test runner.

A case is a directory tests/golden/<case>/ holding:
  cmd             one line: the arguments after 'kvmtune --root ROOT'; @ROOT@ in
                  it is replaced by the temporary root, @CASE@ by the case directory,
                  @SHARED@ by ../shared (the case is skipped when that is absent),
                  @TOP@ by the repository top (inputs such as @TOP@/../shared/...)
  root/           a captured tree (only the files that matter), or
  root.ref        one line: a tree's path relative to the repository top;
                  with root/ beside it, root/ holds only the files that differ
                  from that tree (copied over it)
  stdin           optional standard input
  expected.out    standard output (the temporary root appears as @ROOT@, the
                  case directory as @CASE@, tests/golden as @GOLDEN@)
  expected.exit   optional exit status (default 0)
  expected.err    optional standard error
  expected.writes optional: files created or changed below the root, each as
                  '== path' followed by its new content ('== path (removed)');
                  lock files (run/kvmtune/lock/) are left out, and the times
                  in undo journal entries (var/lib/kvmtune/journal/) read @TIME@
  env             optional: NAME=VALUE lines added to kvmtune's environment
                  (e.g. KVMTUNE_TEST_FAIL_WRITE=3, a failing write)
The root is copied to a temporary directory first, so a command that writes
never touches the input.  PATH starts with qemu-bin/7.2-debian12, whose
qemu-system-x86_64 prints Debian 12's --version line, so commands that read the
QEMU version see 7.2 whatever QEMU the machine has (qemu-bin/ holds the
other versions for --qemu).  GOLDEN_UPDATE=1 rewrites the expectations: read the
diff before committing it.
"""
import difflib
import filecmp
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))


def list_cases():
    for name in sorted(os.listdir(HERE)):
        if os.path.isfile(os.path.join(HERE, name, "cmd")):
            print(name)


def read(path, default=None):
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return f.read()
    except FileNotFoundError:
        return default


def make_writable(root):
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, os.stat(dirpath).st_mode | 0o700)
        for fn in filenames:
            p = os.path.join(dirpath, fn)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | 0o600)


# Lock files (host_lock) are how writers take turns, not changes of the host.
LOCK_DIR = os.path.join("run", "kvmtune", "lock")


def tree_files(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for fn in filenames:
            p = os.path.join(dirpath, fn)
            rel = os.path.relpath(p, root)
            if os.path.islink(p) or os.path.dirname(rel) == LOCK_DIR:
                continue
            out[rel] = p
    return out


def mask_times(text):
    """The undo journal's times change from run to run (its entries only)."""
    text = re.sub(r'"time": [0-9]+', '"time": "@TIME@"', text)
    return re.sub(r'"time_utc": "[^"]*"', '"time_utc": "@TIME@"', text)


def tree_writes(before, after):
    a, b = tree_files(before), tree_files(after)
    parts = []
    for rel in sorted(set(a) | set(b)):
        if rel not in b:
            parts.append(f"== /{rel} (removed)\n")
        elif rel not in a or not filecmp.cmp(a[rel], b[rel], shallow=False):
            text = read(b[rel], "")
            if rel.startswith("var/lib/kvmtune/journal/"):
                text = mask_times(text)
            parts.append(f"== /{rel}\n" + text)
            if not parts[-1].endswith("\n"):
                parts[-1] += "\n(no newline at end)\n"
    return "".join(parts)


def compare(label, expected, actual, update, path, failures):
    if update:
        if actual or os.path.exists(path):
            if actual or label == "stdout":
                with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(actual)
            else:
                os.unlink(path)
        return
    if expected is None:
        expected = ""
    if expected != actual:
        diff = difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                    f"expected {label}", f"actual {label}")
        failures.append("".join(diff))


def run_case(name):
    """Run one case; returns (status, report): 0 ok, 1 failed, 77 skipped."""
    case = os.path.join(HERE, name)
    update = os.environ.get("GOLDEN_UPDATE") == "1"
    kvmtune = os.environ.get("KVMTUNE", os.path.join(TOP, "build", "kvmtune"))
    args = shlex.split(read(os.path.join(case, "cmd")).strip())
    shared = os.path.normpath(os.path.join(TOP, "..", "shared"))
    if any("@SHARED@" in a for a in args):
        missing = [a.replace("@SHARED@", shared) for a in args if "@SHARED@" in a
                   and not os.path.exists(a.replace("@SHARED@", shared))]
        if missing:
            return 77, f"'{missing[0]}' is missing (a plain clone without ../shared)"
        args = [a.replace("@SHARED@", shared) for a in args]
    src_root = os.path.join(case, "root")
    overlay = None
    ref = read(os.path.join(case, "root.ref"))
    if ref is not None:
        if os.path.isdir(src_root):
            overlay = src_root
        src_root = os.path.normpath(os.path.join(TOP, ref.strip()))
    if not os.path.isdir(src_root):
        return 77, f"input tree '{os.path.relpath(src_root, TOP)}' is missing (a plain clone without ../shared)"
    with tempfile.TemporaryDirectory(prefix="kvmtune-golden-") as tmp:
        root = os.path.join(tmp, "root")
        if overlay:
            # the referenced tree with the case's files over it: the input
            before = os.path.join(tmp, "before")
            shutil.copytree(src_root, before, symlinks=True)
            make_writable(before)
            shutil.copytree(overlay, before, symlinks=True, dirs_exist_ok=True)
            src_root = before
        shutil.copytree(src_root, root, symlinks=True)
        # Fixture trees may come without write bits (CI copies shared/ read-only):
        # the copy must be writable by the command and removable afterwards.
        make_writable(root)
        stdin = read(os.path.join(case, "stdin"))
        env = dict(os.environ)
        for line in (read(os.path.join(case, "env")) or "").splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                env[k.strip()] = v.strip()
        # @ROOT@ in cmd names a file of the copied root (e.g. --domain @ROOT@/vm.xml),
        # @CASE@ a file of the case directory (an input that is not part of the host)
        # and @TOP@ the repository top (a ../shared input beside a ../shared root)
        args = [a.replace("@ROOT@", root).replace("@CASE@", case).replace("@TOP@", TOP)
                for a in args]
        env["PATH"] = os.path.join(HERE, "qemu-bin", "7.2-debian12") + os.pathsep + env.get("PATH", "")
        p = subprocess.run([kvmtune, "--root", root] + args, input=stdin or "", env=env,
                           capture_output=True, text=True, errors="surrogateescape",
                           timeout=120)
        out = (p.stdout.replace(root, "@ROOT@").replace(case, "@CASE@").replace(HERE, "@GOLDEN@")
               .replace(shared, "@SHARED@").replace(TOP, "@TOP@"))
        err = (p.stderr.replace(root, "@ROOT@").replace(case, "@CASE@").replace(HERE, "@GOLDEN@")
               .replace(shared, "@SHARED@").replace(TOP, "@TOP@"))
        writes = tree_writes(src_root, root).replace(root, "@ROOT@")
    failures = []
    compare("stdout", read(os.path.join(case, "expected.out")), out, update,
            os.path.join(case, "expected.out"), failures)
    exp_err = read(os.path.join(case, "expected.err"))
    if exp_err is not None or update:
        compare("stderr", exp_err, err, update, os.path.join(case, "expected.err"), failures)
    elif err and p.returncode == 0:
        failures.append(f"unexpected stderr:\n{err}")
    exp_writes = read(os.path.join(case, "expected.writes"))
    compare("writes", exp_writes, writes, update, os.path.join(case, "expected.writes"),
            failures)
    exp_exit = int((read(os.path.join(case, "expected.exit")) or "0").strip())
    if update:
        path = os.path.join(case, "expected.exit")
        if p.returncode:
            with open(path, "w") as f:
                f.write(f"{p.returncode}\n")
        elif os.path.exists(path):
            os.unlink(path)
    elif exp_exit != p.returncode:
        failures.append(f"exit status {p.returncode}, expected {exp_exit}\nstderr:\n{err}")
    if failures:
        text = f"kvmtune --root ROOT {' '.join(args)}\n"
        for f in failures:
            text += f if f.endswith("\n") else f + "\n"
        return 1, text
    return 0, "(updated)" if update else ""


def case_names():
    return [n for n in sorted(os.listdir(HERE)) if os.path.isfile(os.path.join(HERE, n, "cmd"))]


def run_all(names):
    """TAP over the cases, found at run time: a new case needs no reconfigure."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=int(os.environ.get("GOLDEN_JOBS", "2"))) as ex:
        results = list(ex.map(run_case, names))
    print(f"1..{len(names)}")
    failed = 0
    for i, (name, (status, text)) in enumerate(zip(names, results), 1):
        if status == 77:
            print(f"ok {i} - {name} # SKIP {text}")
        elif status == 0:
            print(f"ok {i} - {name}{' ' + text if text else ''}")
        else:
            failed += 1
            print(f"not ok {i} - {name}")
            for line in text.splitlines():
                print(f"# {line}")
    return 1 if failed else 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        list_cases()
        return 0
    if len(sys.argv) == 2 and sys.argv[1] == "--all":
        return run_all(case_names())
    if len(sys.argv) == 3 and sys.argv[1] == "--prefix":
        return run_all([n for n in case_names() if n.startswith(tuple(sys.argv[2].split(",")))])
    if len(sys.argv) < 2:
        print("usage: run.py --list | --all | --prefix P1,P2 | CASE...", file=sys.stderr)
        return 2
    rc = 0
    for name in sys.argv[1:]:
        status, text = run_case(name)
        if status == 77:
            print(f"# SKIP {name}: {text}")
        elif status == 0:
            print(f"ok - {name}{' ' + text if text else ''}")
        else:
            print(f"not ok - {name}: {text}", end="")
        rc = status if rc == 0 else rc
    return rc


if __name__ == "__main__":
    sys.exit(main())
