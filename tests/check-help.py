#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every subcommand and option is in --help and in the man page.

The options a command accepts are read from its source: each {"name", ...}
entry of a struct option table in the files that implement it (the VM
options of vmflags.c for qemu-args, xml and lint; the --json of
cli_simple_options for status and check).  Each must appear as --name in
the command's --help and in doc/kvmtune.1; every command of 'kvmtune help'
must have its own section in the man page; 'hugepages --help' must name
every verb; no help text cites internal documents ("seed 003")."""
import os
import re
import subprocess
import sys

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
KVMTUNE = os.environ.get("KVMTUNE", os.path.join(TOP, "build", "kvmtune"))
CLI = os.path.join(TOP, "src", "cli")

# help invocation -> the files whose option tables it documents
HELP = {
    ("--help",): ["main.c:main"],
    ("status", "--help"): ["main.c:cli_simple_options"],
    ("check", "--help"): ["main.c:cli_simple_options"],
    ("hugepages", "--help"): ["cmd-hugepages.c"],
    ("hugepages", "set", "--help"): ["cmd-hugepages.c:parse_set_opts"],
    ("hugepages", "reserve", "--help"): ["cmd-hugepages-reserve.c"],
    ("hugepages", "release", "--help"): ["cmd-hugepages-reserve.c"],
    ("hugepages", "persist", "--help"): ["cmd-hugepages-persist.c"],
    ("hugepages", "mount", "--help"): ["cmd-hugepages-persist.c"],
    ("qemu-args", "--help"): ["cmd-qemu-args.c", "vmflags.c"],
    ("xml", "--help"): ["cmd-xml.c", "vmflags.c"],
    ("lint", "--help"): ["cmd-lint.c", "vmflags.c"],
    ("explain", "--help"): ["cmd-explain.c"],
    ("stat", "--help"): ["cmd-stat.c"],
    ("top", "--help"): ["cmd-top.c"],
    ("bench", "memory", "--help"): ["cmd-bench.c"],
}
VERBS = ["set", "reserve", "release", "persist", "mount"]


def options(spec):
    """Long option names of a file, or of one function of it (file.c:function)."""
    name, _, func = spec.partition(":")
    text = open(os.path.join(CLI, name)).read()
    if func:
        m = re.search(r"^[a-z].*\b%s\(.*?^}" % re.escape(func), text, re.S | re.M)
        text = m.group(0) if m else ""
    return set(re.findall(r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:no|required|optional)_argument', text))


def run(args):
    p = subprocess.run([KVMTUNE, *args], capture_output=True, text=True)
    return p.stdout + p.stderr


def main():
    problems = []
    man = open(os.path.join(TOP, "doc", "kvmtune.1")).read().replace("\\-", "-")
    for args, specs in HELP.items():
        out = run(list(args))
        want = set().union(*(options(s) for s in specs)) - {"help"}
        for opt in sorted(want):
            if not re.search(r"--%s\b" % re.escape(opt), out):
                problems.append(f"'kvmtune {' '.join(args)}' does not mention --{opt}")
            if not re.search(r"--%s\b" % re.escape(opt), man):
                problems.append(f"doc/kvmtune.1 does not mention --{opt} ({' '.join(args[:-1]) or 'global'})")
        if re.search(r"\bseed [0-9]", out, re.I):
            problems.append(f"'kvmtune {' '.join(args)}' cites an internal document")
    commands = re.findall(r"^  ([a-z-]+) ", run(["help"]).split("Commands:")[1].split("\n\n")[0], re.M)
    if len(commands) < 8:
        problems.append(f"'kvmtune help' lists only {commands}")
    for c in commands:
        # a command of subcommands ('bench memory') may have a section for each
        if not re.search(r"^\.SS %s( [a-z-]+)?$" % re.escape(c), man, re.M):
            problems.append(f"doc/kvmtune.1 has no section for '{c}'")
    hp = run(["hugepages", "--help"])
    for v in VERBS:
        if not re.search(r"\b%s\b" % v, hp):
            problems.append(f"'kvmtune hugepages --help' does not name the verb '{v}'")
        if not re.search(r"hugepages %s\b" % v, man):
            problems.append(f"doc/kvmtune.1 does not describe 'hugepages {v}'")
    if re.search(r"\bseed [0-9]", man, re.I):
        problems.append("doc/kvmtune.1 cites an internal document")
    for p in problems:
        print("not ok -", p)
    print(f"{'not ok' if problems else 'ok'} - help and man page cover {len(commands)} commands "
          f"and their options")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
