#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 'kvmtune status --json' on this very host agrees with /proc/meminfo,
# /sys/devices/system/node and /sys/kernel/mm/hugepages read here
# independently; after resizing the default-size pool for real, the JSON
# follows; the pool is restored on every path.
set -euo pipefail
KVMTUNE=${KVMTUNE:-build/kvmtune}
pool=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ ! -w "$pool/nr_hugepages" ]; then
    echo "# SKIP: no writable 2 MiB hugepage pool ($pool) or not root"
    exit 77
fi
command -v jq >/dev/null || { echo "# SKIP: jq is not installed"; exit 77; }

fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
expect_eq() { # what want got
    if [ "$2" = "$3" ]; then ok "$1 = $2"; else notok "$1: expected '$2', got '$3'"; fi
}

json=$("$KVMTUNE" status --json)
j() { jq -r "$1" <<<"$json"; }

# Global memory and hugepage numbers: read independently from /proc/meminfo.
expect_eq "mem_total_kb" "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)" "$(j .mem_total_kb)"
expect_eq "default_hugepage_kb" "$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)" "$(j .default_hugepage_kb)"
expect_eq "swap_total_kb" "$(awk '/^SwapTotal:/ {print $2}' /proc/meminfo)" "$(j .swap_total_kb)"

# CPU page sizes from the CPU flags.
want_sizes=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | awk '$0=="pse"{print 2048} $0=="pdpe1gb"{print 1048576}' | sort -n | paste -sd, -)
expect_eq "cpu_page_sizes_kb" "$want_sizes" "$(j '.cpu_page_sizes_kb | join(",")')"

# Nodes: ids, cpulists, distances from sysfs.
ids=$(printf '%s\n' /sys/devices/system/node/node[0-9]* | grep -v '\*' | sed 's/.*node//' | sort -n | paste -sd, -)
expect_eq "node ids" "${ids:-0}" "$(j '[.nodes[].id] | join(",")')"
for d in /sys/devices/system/node/node[0-9]*; do
    [ -d "$d" ] || continue
    id=${d##*node}
    expect_eq "node$id cpus" "$(cat "$d/cpulist")" "$(j ".nodes[] | select(.id==$id) | .cpus")"
    expect_eq "node$id distances" "$(tr -s ' ' <"$d/distance" | sed 's/ $//')" \
        "$(j ".nodes[] | select(.id==$id) | .distances | join(\" \")")"
    # MemTotal per node is fixed for a boot; compare with the node's own meminfo
    # (it can lag /proc/meminfo where the kernel initialises memory lazily).
    expect_eq "node$id mem_total_kb" "$(awk '/MemTotal:/ {print $4}' "$d/meminfo")" \
        "$(j ".nodes[] | select(.id==$id) | .mem_total_kb")"
done

# The pool follows a real resize.
old=$(cat "$pool/nr_hugepages")
restore() { echo "$old" >"$pool/nr_hugepages"; }
trap restore EXIT
want=$((old + 8))
echo "$want" >"$pool/nr_hugepages"
got_kernel=$(cat "$pool/nr_hugepages")
if [ "$got_kernel" -lt "$want" ]; then
    echo "# SKIP: the kernel gave $got_kernel of $want 2 MiB pages"
    exit 77
fi
json=$("$KVMTUNE" status --json)
expect_eq "2M pool total after resize" "$(cat "$pool/nr_hugepages")" \
    "$(j '.hugepages[] | select(.size_kb==2048) | .total')"
expect_eq "2M pool free after resize" "$(cat "$pool/free_hugepages")" \
    "$(j '.hugepages[] | select(.size_kb==2048) | .free')"
node0=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
if [ -r "$node0" ]; then
    expect_eq "node0 2M total after resize" "$(cat "$node0")" \
        "$(j '.nodes[] | select(.id==0) | .hugepages[] | select(.size_kb==2048) | .total')"
fi
restore
json=$("$KVMTUNE" status --json)
expect_eq "2M pool total after restore" "$old" "$(j '.hugepages[] | select(.size_kb==2048) | .total')"
echo "1..$n"
exit $fail
