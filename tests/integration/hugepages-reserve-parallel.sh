#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One writer at a time: 20 'kvmtune hugepages reserve' started at once on this
# host's 2 MiB pool of node 0 (2 pages each, 20 owners) must grow the pool by
# exactly the sum of their records, and 20 concurrent releases must give exactly
# that back.  Without the "hugepages" lock, two reservers read the same pool size
# and the later write loses the earlier one's pages.  Restores pool and records.
# Exit 0 pass, 1 fail, 77 skip (the missing capability is printed).
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname -- "$0")/lib.sh"

require_root
require_kvmtune
KVMTUNE=$(kvmtune_path)
NODE0=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
RESV=/run/kvmtune/hugepages
N=20
[[ -w $NODE0 ]] || skip_all "no writable per-node 2 MiB pool ($NODE0)"

owners=()
for i in $(seq 1 $N); do owners+=("kvmtune-test-par-$$-$i"); done
orig=$(<"$NODE0")
tmp=$(mktemp -d)
at_exit "rm -rf '$tmp'"
# the pool as found, and no record of ours left, whatever happens below
at_exit "echo '$orig' > '$NODE0'"
at_exit "rm -f $(printf "'$RESV/%s' " "${owners[@]}")"

pids=()
for o in "${owners[@]}"; do
	"$KVMTUNE" hugepages reserve --size 4M --page 2M --node 0 --owner "$o" \
		>"$tmp/$o.out" 2>"$tmp/$o.err" &
	pids+=($!)
done
bad=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || { bad=$((bad + 1)); sed 's/^/# /' "$tmp/${owners[$i]}.err"; }
done
check "all $N concurrent reservers exit 0 ($bad did not)" test "$bad" -eq 0
recorded=0
for o in "${owners[@]}"; do
	if [[ -f $RESV/$o ]]; then
		p=$(awk '$1 == "node" && $2 == 0 && $4 == 2048 { s += $6 } END { print s + 0 }' "$RESV/$o")
		recorded=$((recorded + p))
	fi
done
now=$(<"$NODE0")
diag "node 0 pool: $orig -> $now pages; records hold $recorded"
check "records hold $N x 2 pages" test "$recorded" -eq $((N * 2))
check "the pool grew by exactly the sum of the records ($((now - orig)) = $recorded)" \
	test $((now - orig)) -eq "$recorded"

pids=()
for o in "${owners[@]}"; do
	"$KVMTUNE" hugepages release --owner "$o" >"$tmp/$o.rel" 2>&1 &
	pids+=($!)
done
bad=0
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || { bad=$((bad + 1)); sed 's/^/# /' "$tmp/${owners[$i]}.rel"; }
done
check "all $N concurrent releases exit 0 ($bad did not)" test "$bad" -eq 0
left=0
for o in "${owners[@]}"; do [[ -e $RESV/$o ]] && left=$((left + 1)); done
check "no record is left ($left are)" test "$left" -eq 0
check "the pool is back where it was ($(<"$NODE0") = $orig)" test "$(<"$NODE0")" -eq "$orig"
finish
