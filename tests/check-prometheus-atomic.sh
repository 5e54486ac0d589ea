#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# stat --prometheus --output rewrites its file atomically: while a watch
# rewrites it every sample, a reader never sees a missing, empty or partial
# file (node_exporter's textfile collector reads it at any moment).
set -euo pipefail
src=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
kvmtune=${KVMTUNE:-$src/build/kvmtune}
root=$src/tests/data/stat-root-2node
work=$(mktemp -d "${TMPDIR:-/tmp}/prometheus-atomic.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$work/kvmtune.prom
"$kvmtune" --root "$root" stat --prometheus --no-cgroup --output "$out"
want=$(wc -l <"$out")
"$kvmtune" --root "$root" stat --prometheus --no-cgroup --output "$out" --interval 0 --count 150 &
pid=$!
reads=0 bad=0
while kill -0 "$pid" 2>/dev/null; do
    n=$(wc -l <"$out" 2>/dev/null || echo missing)
    reads=$((reads + 1))
    [[ "$n" == "$want" ]] || bad=$((bad + 1))
done
wait "$pid"
leftover=$(find "$work" -name '.*' ! -name '.' | wc -l)
echo "# $reads reads of a $want-line file during 150 rewrites: $bad incomplete, $leftover temporary files left"
if ((bad == 0 && leftover == 0 && reads > 0)); then
    echo "ok - prometheus output is replaced atomically"
    exit 0
fi
echo "not ok - prometheus output is replaced atomically"
exit 1
