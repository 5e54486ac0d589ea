#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-1g: 1 GiB pages in TCG guests. With the default CPU (qemu64, no
# pdpe1gb) kvmtune must not offer 1 GiB pages; with '-cpu max' it must, and a
# 1 GiB page allocated on node 1 inside the guest shows up in node 1's pool.
# Nodes are 3 GiB: smaller ones have no free, aligned 1 GiB block (the guest
# then takes ~20 s idle, about a minute on a loaded 2-core host).
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_cmd qemu-system-x86_64 busybox jq
require_kvmtune
KT=$(kvmtune_path)

work=$(mktemp -d "${TMPDIR:-/tmp}/guest-1g.XXXXXX")
at_exit "rm -rf '$work'"

jqt() {
    local what=$1 file=$2 filter=$3
    shift 3
    if [[ "$(jq -e "$@" "$filter" "$file" 2>/dev/null)" == true ]]; then
        ok "$what"
    else
        not_ok "$what"
        diag "jq filter: $filter" "got: $(jq -c "$@" "$filter" "$file" 2>&1 | head -c 600)"
    fi
}

# guest NAME GUEST-RUN-ARGS... -- CMD...: run, report exit and time.
guest() {
    local name=$1 t0 rc=0
    shift
    t0=$EPOCHREALTIME
    "$VM_DIR/guest-run" --timeout 300 "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    diag "$name: exit $rc in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
    if [[ $rc -ne 0 ]]; then
        not_ok "$name: guest ran (exit $rc)"
        diag "$(tail -n 20 "$work/$name.err")"
        return 1
    fi
    ok "$name: guest ran"
}

if guest qemu64 --nodes 2 --add "$KT" -- "$KT" status --json; then
    jqt "qemu64 (no pdpe1gb): cpu_page_sizes_kb is [2048]" "$work/qemu64.out" \
        '.cpu_page_sizes_kb == [2048]'
fi

cat >"$work/in-guest.sh" <<'EOF'
#!/bin/sh
set -e
echo '@@ before'
"$1" status --json
echo 1 >/sys/devices/system/node/node1/hugepages/hugepages-1048576kB/nr_hugepages
echo '@@ after'
"$1" status --json
EOF
chmod +x "$work/in-guest.sh"

if guest max --1g --nodes 2 --node-mem 3072,3072 --add "$KT" -- "$work/in-guest.sh" "$KT"; then
    awk -v base="$work/max" '/^@@ / { f = base "." $2; next } f { print > f }' "$work/max.out"
    jqt "-cpu max: cpu_page_sizes_kb has 2048 and 1048576" "$work/max.before" \
        '.cpu_page_sizes_kb | (index(2048) != null and index(1048576) != null)'
    jqt "-cpu max: each node lists an empty 1048576 kB pool" "$work/max.before" \
        '[.nodes[].hugepages[] | select(.size_kb == 1048576) | .total] == [0, 0]'
    jqt "after allocating one 1 GiB page on node 1: node pools total [0, 1], free [0, 1]" \
        "$work/max.after" \
        '[.nodes[].hugepages[] | select(.size_kb == 1048576) | [.total, .free]] == [[0, 0], [1, 1]]'
    jqt "after allocating: system 1048576 kB pool total 1" "$work/max.after" \
        '.hugepages[] | select(.size_kb == 1048576) | .total == 1'
fi

finish
