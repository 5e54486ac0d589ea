#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kvmtune's built-in profiles against tuned's own profile files.

Compared with tuned v2.28.0-rc.1, commit 2bfa4423586bb516452c538a232c8f7075bafbdf
(https://github.com/redhat-performance/tuned), files profiles/<name>/tuned.conf for
virtual-host, virtual-guest, throughput-performance, latency-performance,
network-latency and realtime-virtual-host, and profiles/virtual-host/tuned.conf at
a936fb8844d6cd4d61d6acba98bcdf346c7ad962 (2021-06-29, the last one with
sched_migration_cost_ns); copies in tests/data/tuned/.

tuned profiles are resolved as tuned does: 'include=' first, then the profile's own
sections override option by option.  Sections with a condition (uname_regex,
cpuinfo_regex: ThunderX only) do not apply to every host and must not appear in
kvmtune's profiles.  Each tuned option is either mapped to a kvmtune tunable and
compared (value and '>' minimum), or listed in IGNORED with the reason; an option
that is neither fails the test, so a new tuned value cannot slip by.
"""
import configparser
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TUNED = os.path.join(HERE, "..", "data", "tuned")
KVMTUNE = os.environ.get("KVMTUNE", os.path.join(HERE, "..", "..", "build", "kvmtune"))

# (section, option) -> kvmtune tunable; values converted by convert()
MAPPED = {
    ("vm", "dirty_bytes"): "vm.dirty_ratio",
    ("vm", "dirty_background_bytes"): "vm.dirty_background_ratio",
    ("vm", "transparent_hugepages"): "thp.enabled",
    ("sysctl", "vm.swappiness"): "vm.swappiness",
    ("sysctl", "vm.dirty_background_ratio"): "vm.dirty_background_ratio",
    ("sysctl", "net.core.somaxconn"): "net.core.somaxconn",
    ("sysctl", "kernel.numa_balancing"): "kernel.numa_balancing",
    ("cpu", "governor"): "cpu.governor",
    ("cpu", "force_latency"): "cpu.resume_latency_us",
    ("disk", "readahead"): "block.read_ahead_kb",
    ("scheduler", "sched_migration_cost_ns"): "kernel.sched_migration_cost_ns",
    ("sysfs", "/sys/kernel/mm/ksm/run"): "ksm.run",
}
IGNORED = {
    ("main", "summary"): "text",
    ("main", "include"): "resolved here",
    ("variables", "thunderx_cpuinfo_regex"): "only for the ThunderX condition",
    ("cpu", "energy_perf_bias"): "x86_energy_perf_policy, not a sysfs value kvmtune sets",
    ("cpu", "min_perf_pct"): "intel_pstate only; kvmtune sets the governor",
    ("cpu", "energy_performance_preference"): "intel_pstate/amd-pstate EPP: not in the table yet",
    ("cpu", "boost"): "cpufreq boost: not in the table yet",
    ("acpi", "platform_profile"): "ACPI platform profile: laptops and workstations",
    ("video", "panel_power_savings"): "display power saving: not a VM host concern",
    ("sysctl", "net.core.busy_read"): "network-latency: networking, not VM memory/CPU",
    ("sysctl", "net.core.busy_poll"): "network-latency: networking",
    ("sysctl", "net.ipv4.tcp_fastopen"): "network-latency: networking",
    ("sysctl", "kernel.hung_task_timeout_secs"): "network-latency: diagnostics",
    ("sysctl", "kernel.nmi_watchdog"): "network-latency: watchdog",
    ("sysctl", "vm.stat_interval"): "network-latency: vmstat interval",
    ("sysctl", "kernel.timer_migration"): "network-latency: timers",
    ("bootloader", "cmdline_network_latency"): "kernel command line: not a runtime value",
    ("selinux", "avc_cache_threshold"): "SELinux",
}


def load(name, seen=(), includes=True):
    """tuned's profile name -> {(section, option): value}, includes resolved."""
    path = os.path.join(TUNED, name, "tuned.conf")
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str
    with open(path, encoding="utf-8") as f:
        cp.read_file(f)
    out = {}
    inc = cp.get("main", "include", fallback=None)
    if inc and includes:
        if inc in seen:
            raise SystemExit(f"include cycle at {inc}")
        out.update(load(inc, seen + (name,)))
    for sec in cp.sections():
        opts = dict(cp.items(sec))
        if "uname_regex" in opts or "cpuinfo_regex" in opts:
            out[(sec, "<conditional>")] = opts  # not for every host
            continue
        for k, v in opts.items():
            out[(sec, k)] = v.strip()
    return out


def convert(tunable, value):
    """tuned's value -> (op, value) as kvmtune writes it."""
    op = "="
    if value.startswith(">"):
        op, value = ">=", value[1:].strip()
    if tunable in ("vm.dirty_ratio", "vm.dirty_background_ratio") and value.endswith("%"):
        value = value[:-1].strip()
    if tunable == "cpu.resume_latency_us":
        # kvmtune applies the same expression per CPU; tuned's older cstate.id:N is
        # the same state as cstate.id_no_zero:N unless its latency is 0
        value = value.replace("cstate.id:", "cstate.id_no_zero:")
    return op, value


def kvmtune_profile(name):
    p = subprocess.run([KVMTUNE, "profile", "list", name, "--json"], capture_output=True,
                       text=True, check=True)
    out = {}
    for s in json.loads(p.stdout)["settings"]:
        if s["class"] is None:
            out[s["tunable"]] = (s["op"], s["value"], s["source"])
    return out


n = 0
failures = 0


def check(ok, what):
    global n, failures
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    failures += not ok


def compare(ours_name, tuned_name, only=None, includes=True):
    """Every mapped value of tuned_name (or only those of the tunables in 'only')."""
    ours = kvmtune_profile(ours_name)
    theirs = load(tuned_name, includes=includes)
    for key, value in sorted(theirs.items()):
        if key[1] == "<conditional>":
            print(f"# tuned {tuned_name} [{key[0]}] applies only where "
                  f"uname_regex={value.get('uname_regex', '')} (ThunderX): not compared")
            continue
        if only is not None and MAPPED.get(key) not in only:
            continue
        if key in IGNORED:
            continue
        if key not in MAPPED:
            check(False, f"tuned {tuned_name} [{key[0]}] {key[1]} = {value}: neither mapped "
                         f"nor ignored")
            continue
        tunable = MAPPED[key]
        op, want = convert(tunable, value)
        got = ours.get(tunable)
        check(got is not None and got[0] == op and got[1] == want,
              f"{ours_name} {tunable} {op} {want} as tuned {tuned_name} [{key[0]}] "
              f"{key[1]} = {value} (kvmtune: {got[0] + ' ' + got[1] if got else 'not set'})")
        if got:
            check("tuned" in got[2], f"{ours_name} {tunable}: the source names tuned")


# virtual-host: every value of tuned's virtual-host (throughput-performance included)
compare("virtual-host", "virtual-host")
# ... and the scheduler value it had until 2021
compare("virtual-host", "virtual-host-a936fb8", only={"kernel.sched_migration_cost_ns"})
compare("virtual-guest", "virtual-guest")
# latency-host: latency-performance's own values, KSM as realtime-virtual-host, THP as
# network-latency
compare("latency-host", "latency-performance",
        only={"vm.dirty_ratio", "vm.dirty_background_ratio", "cpu.resume_latency_us"})
compare("latency-host", "realtime-virtual-host", only={"ksm.run"}, includes=False)
compare("latency-host", "network-latency", only={"thp.enabled"})
print(f"1..{n}")
print(f"compare-tuned: {n - failures} passed, {failures} failed "
      f"(tuned v2.28.0-rc.1, 2bfa442; virtual-host at a936fb8)")
sys.exit(1 if failures else 0)
