#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 'kvmtune bench memory' inside a 2-node TCG guest (tests/vm/guest-run, 2 x
# 1 GiB so that the keep-free guard, 512 MiB a node, lets 8 pages of 2 MiB be taken): the
# matrix has every (CPU node, memory node) pair for 4K, THP and 2M, each
# buffer sits on its memory node, --save writes a file that --show reads
# back, and the 2 MiB pools are as found afterwards - after a clean run,
# after SIGTERM in the middle of the 2M cells, and after SIGKILL there
# (the next run gives the killed run's pages back).  TCG does not model
# NUMA latency: the numbers are not checked, only the shape and the pools.
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
set -euo pipefail
KVMTUNE=${KVMTUNE:-build/kvmtune}
SRC=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
GUEST_RUN=${GUEST_RUN:-$SRC/tests/vm/guest-run}

skip() { echo "1..0 # SKIP $*"; echo "bench-memory-guest: skipped: $*" >&2; exit 77; }
[ -x "$GUEST_RUN" ] || skip "tests/vm/guest-run (testbed helpers) is not in this tree"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v jq >/dev/null || skip "jq is not installed"
[ -x "$KVMTUNE" ] || skip "no kvmtune binary at $KVMTUNE"
KVMTUNE=$(realpath "$KVMTUNE")

fail=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; fail=$((fail + 1)); }

work=$(mktemp -d /tmp/kvmtune-bench-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat >"$work/in-guest.sh" <<'EOF'
#!/bin/sh
kt=$1
pools() { cat /sys/devices/system/node/node*/hugepages/hugepages-2048kB/nr_hugepages | tr '\n' ' '; echo; }
# wait until the run's stderr shows the 2M cells (its pages are taken then)
wait_2m() { i=0; while ! grep -q '2M pages' "$1"; do i=$((i + 1)); [ $i -gt 600 ] && return 1; sleep 0.1; done; }
echo "@@ pools-before"; pools
echo "@@ run"
"$kt" bench memory --sizes 4K,THP,2M --mib 16 --seconds 20 --save --json 2>/tmp/progress
echo "@@ rc $?"
echo "@@ pools-after"; pools
echo "@@ saved"; cat /var/lib/kvmtune/memory-costs
echo "@@ show"; "$kt" bench memory --show --json
echo "@@ progress"; cat /tmp/progress
# SIGTERM while the 2M pages are held
"$kt" bench memory --sizes 2M --mib 16 --seconds 60 >/dev/null 2>/tmp/term & p=$!
wait_2m /tmp/term; sleep 1; kill -TERM $p; wait $p; echo "@@ term-rc $?"
echo "@@ term-err"; cat /tmp/term
echo "@@ pools-after-term"; pools
# SIGKILL there: the record stays, the next run gives the pages back
"$kt" bench memory --sizes 2M --mib 16 --seconds 60 >/dev/null 2>/tmp/kill & p=$!
wait_2m /tmp/kill; sleep 1; kill -KILL $p; wait $p; echo "@@ kill-rc $?"
echo "@@ pools-after-kill"; pools
echo "@@ records-after-kill"; ls /run/kvmtune/hugepages
"$kt" bench memory --sizes 4K,2M --nodes 0 --mib 16 --seconds 10 >/dev/null 2>/tmp/reap
echo "@@ reap-err"; cat /tmp/reap
echo "@@ pools-after-reap"; pools
echo "@@ records-after-reap"; ls /run/kvmtune/hugepages
echo "@@ end"
EOF
chmod +x "$work/in-guest.sh"

rc=0
"$GUEST_RUN" --nodes 2 --cpus 2 --node-mem 1024,1024 --timeout 600 --add "$KVMTUNE" \
    --add "$work/in-guest.sh:/kvmtune-bench-in-guest.sh" \
    -- /kvmtune-bench-in-guest.sh "$KVMTUNE" >"$work/out" 2>"$work/err" || rc=$?
if [ "$rc" -ne 0 ]; then
    [ "$rc" = 125 ] && skip "guest-run could not boot a guest: $(tail -3 "$work/err")"
    notok "in-guest script failed ($rc): $(tail -20 "$work/err")"
    echo "1..$n"
    exit 1
fi
section() { awk -v s="@@ $1" '$0 == s {on = 1; next} /^@@ / {on = 0} on' "$work/out"; }
value() { sed -n "s/^@@ $1 //p" "$work/out"; }
section run >"$work/run.json"
section show >"$work/show.json"
sed 's/^/# /' "$work/err" | tail -5

if [ "$(value rc)" = 0 ]; then ok "bench memory ran (exit 0)"; else notok "bench memory exit $(value rc): $(section progress | tail -3)"; fi
cells=$(jq '[.cells[] | select(.measured)] | length' "$work/run.json" 2>/dev/null || echo 0)
if [ "$cells" = 12 ]; then ok "12 cells measured: 2 CPU nodes x 2 memory nodes x (4K, THP, 2M)"; else
    notok "measured cells: $cells, expected 12: $(jq -c '[.cells[] | {page, cpu_node, mem_node, note}]' "$work/run.json")"; fi
shape=$(jq -r '[.cells[] | "\(.page):\(.cpu_node)>\(.mem_node)"] | sort | join(" ")' "$work/run.json")
want="2M:0>0 2M:0>1 2M:1>0 2M:1>1 4K:0>0 4K:0>1 4K:1>0 4K:1>1 THP:0>0 THP:0>1 THP:1>0 THP:1>1"
if [ "$shape" = "$want" ]; then ok "matrix shape: every page kind x CPU node x memory node"; else notok "matrix shape: $shape"; fi
if [ "$(jq '[.cells[] | select(.on_node < 0.99)] | length' "$work/run.json")" = 0 ]; then
    ok "every buffer sat on its memory node (move_pages)"; else
    notok "buffers off their node: $(jq -c '[.cells[] | select(.on_node < 0.99) | {page, mem_node, on_node}]' "$work/run.json")"; fi
if [ "$(jq '[.cells[] | select(.page == "2M" and .huge == 1)] | length' "$work/run.json")" = 4 ]; then
    ok "2M cells ran on hugetlb pages"; else notok "2M cells: $(jq -c '[.cells[] | select(.page == "2M")]' "$work/run.json")"; fi
if [ "$(jq -r '[.cells[] | select(.mem_node != .cpu_node) | .slit] | unique | join(",")' "$work/run.json")" = 20 ]; then
    ok "remote cells carry the guest's SLIT distance 20"; else notok "SLIT of remote cells: $(jq -c '[.cells[] | .slit]' "$work/run.json")"; fi
if [ "$(jq -r '.naive.latency_ns > 0' "$work/run.json")" = true ]; then ok "the naive check ran"; else notok "naive: $(jq -c .naive "$work/run.json")"; fi
before=$(section pools-before)
echo "# 2 MiB pools per node before: $before; after: $(section pools-after)"
if [ "$(section pools-after)" = "$before" ]; then ok "pools as found after the run"; else notok "pools after the run: $(section pools-after), before: $before"; fi
if [ "$(section saved | grep -c '^cell ')" = 12 ] && [ "$(jq '.cells | length' "$work/show.json")" = 12 ] &&
    [ "$(jq -r .source "$work/show.json")" = saved ]; then
    ok "--save wrote 12 cells; --show reads them back"; else notok "saved: $(section saved | head -3); show: $(head -c 300 "$work/show.json")"; fi
if [ "$(value term-rc)" = 1 ] && grep -q 'interrupted; every hugepage taken was given back' <<<"$(section term-err)" &&
    [ "$(section pools-after-term)" = "$before" ]; then
    ok "SIGTERM during the 2M cells: exit 1, pools as found"; else
    notok "SIGTERM: rc $(value term-rc), pools $(section pools-after-term): $(section term-err | tail -2)"; fi
if [ -n "$(section records-after-kill)" ] && [ "$(section pools-after-kill)" != "$before" ]; then
    ok "SIGKILL during the 2M cells leaves its record ($(section records-after-kill)) and pages"; else
    notok "after SIGKILL: records '$(section records-after-kill)', pools $(section pools-after-kill)"; fi
if [ "$(section pools-after-reap)" = "$before" ] && [ -z "$(section records-after-reap)" ] &&
    grep -q 'gave back the hugepages of 1 earlier run' <<<"$(section reap-err)"; then
    ok "the next run gives the killed run's pages back: pools as found"; else
    notok "reap: pools $(section pools-after-reap), records '$(section records-after-reap)': $(section reap-err | head -3)"; fi

echo "1..$n"
echo "bench-memory-guest: $((n - fail)) passed, $fail failed" >&2
[ "$fail" -eq 0 ]
