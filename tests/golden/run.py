#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden test runner.

A case is a directory tests/golden/<case>/ holding:
  cmd             one line: the arguments after 'kvmtune --root ROOT'; @ROOT@ in
                  it is replaced by the temporary root, @CASE@ by the case directory,
                  @TOP@ by the repository top (inputs such as @TOP@/../shared/...)
  root/           a captured tree (only the files that matter), or
  root.ref        one line: a tree's path relative to the repository top
  stdin           optional standard input
  expected.out    standard output (the temporary root appears as @ROOT@, the
                  case directory as @CASE@, tests/golden as @GOLDEN@)
  expected.exit   optional exit status (default 0)
  expected.err    optional standard error
  expected.writes optional: files created or changed below the root, each as
                  '== path' followed by its new content ('== path (removed)')
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


def tree_writes(before, after):
    a, b = tree_files(before), tree_files(after)
    parts = []
    for rel in sorted(set(a) | set(b)):
        if rel not in b:
            parts.append(f"== /{rel} (removed)\n")
        elif rel not in a or not filecmp.cmp(a[rel], b[rel], shallow=False):
            parts.append(f"== /{rel}\n" + read(b[rel], ""))
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
    src_root = os.path.join(case, "root")
    ref = read(os.path.join(case, "root.ref"))
    if ref is not None:
        src_root = os.path.normpath(os.path.join(TOP, ref.strip()))
    if not os.path.isdir(src_root):
        return 77, f"input tree '{os.path.relpath(src_root, TOP)}' is missing (a plain clone without ../shared)"
    with tempfile.TemporaryDirectory(prefix="kvmtune-golden-") as tmp:
        root = os.path.join(tmp, "root")
        shutil.copytree(src_root, root, symlinks=True)
        # Fixture trees may come without write bits (CI copies shared/ read-only):
        # the copy must be writable by the command and removable afterwards.
        make_writable(root)
        stdin = read(os.path.join(case, "stdin"))
        # @ROOT@ in cmd names a file of the copied root (e.g. --domain @ROOT@/vm.xml),
        # @CASE@ a file of the case directory (an input that is not part of the host)
        # and @TOP@ the repository top (a ../shared input beside a ../shared root)
        args = [a.replace("@ROOT@", root).replace("@CASE@", case).replace("@TOP@", TOP)
                for a in args]
        env = dict(os.environ)
        env["PATH"] = os.path.join(HERE, "qemu-bin", "7.2-debian12") + os.pathsep + env.get("PATH", "")
        p = subprocess.run([kvmtune, "--root", root] + args, input=stdin or "", env=env,
                           capture_output=True, text=True, errors="surrogateescape",
                           timeout=120)
        out = p.stdout.replace(root, "@ROOT@").replace(case, "@CASE@").replace(HERE, "@GOLDEN@")
        err = p.stderr.replace(root, "@ROOT@").replace(case, "@CASE@").replace(HERE, "@GOLDEN@")
        out = out.replace(TOP, "@TOP@")
        err = err.replace(TOP, "@TOP@")
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
