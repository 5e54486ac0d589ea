#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/capture-host.sh turns this host into a tree, and 'status --root' on
# that tree reports the same host as 'status' on the live system: the --root
# seam reads nothing from outside the root.  Fields that move by themselves
# (free memory, numad) are left out; so is the last-level cache when the
# kernel exposes no cache directories in sysfs (the live path then gets them
# from CPUID, which a captured tree cannot carry).
set -euo pipefail
KVMTUNE=${KVMTUNE:-build/kvmtune}
src=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v jq >/dev/null || { echo "# SKIP: jq is not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
filter='del(.mem_free_kb, .mem_available_kb, .nodes[].mem_free_kb, .numad_running)'
if [ ! -d /sys/devices/system/cpu/cpu0/cache ]; then
    filter="$filter | del(.cpu_topology.llc)"
fi
# Another process may resize a pool meanwhile: the host must hold still
# between the live reading before and after the capture.
for attempt in 1 2 3 4 5; do
    rm -rf "$tmp/root"
    "$KVMTUNE" status --json | jq "$filter" >"$tmp/live.json"
    "$src/tools/capture-host.sh" "$tmp/root" 2>/dev/null
    "$KVMTUNE" status --json | jq "$filter" >"$tmp/live2.json"
    cmp -s "$tmp/live.json" "$tmp/live2.json" && break
    echo "# the host changed during capture (attempt $attempt), again"
    sleep 1
done
"$KVMTUNE" --root "$tmp/root" status --json | jq "$filter" >"$tmp/captured.json"
if diff -u "$tmp/live.json" "$tmp/captured.json"; then
    echo "ok 1 - status of the captured tree equals status of the live host"
    echo "1..1"
else
    echo "not ok 1 - status of the captured tree differs from the live host (diff above)"
    exit 1
fi
