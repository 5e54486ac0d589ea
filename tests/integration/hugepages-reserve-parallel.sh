#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One writer at a time: 20 'kvmtune hugepages reserve' started at once on this
# host's 2 MiB pool of node 0 (2 pages each, 20 owners) must grow the pool by
# exactly the sum of their records, and 20 concurrent releases must give exactly
# that back.  Without the "hugepages" lock, two reservers read the same pool size
# and the later write loses the earlier one's pages.  Then again on a pool
# preset to 20 free pages: the 20 reservers claim those 20 once (no page by
# two owners: the claimed pages sum to 20) and grow the pool by the other 20;
# the releases give back only those 20.  Restores pool and records.
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

# round PRESET: with PRESET free pages in node 0's pool, N reservers of 2 pages
# claim them once and grow the pool by the rest; N releases give that back.
round() {
	local preset=$1 base pids=() bad=0 recorded=0 grown=0 left=0 now o i p g
	echo $((orig + preset)) >"$NODE0"
	base=$(<"$NODE0")
	for o in "${owners[@]}"; do
		"$KVMTUNE" hugepages reserve --size 4M --page 2M --node 0 --owner "$o" \
			>"$tmp/$o.out" 2>"$tmp/$o.err" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { bad=$((bad + 1)); sed 's/^/# /' "$tmp/${owners[$i]}.err"; }
	done
	check "$preset free: all $N concurrent reservers exit 0 ($bad did not)" test "$bad" -eq 0
	for o in "${owners[@]}"; do
		if [[ -f $RESV/$o ]]; then
			read -r p g < <(awk '$1 == "node" && $2 == 0 && $4 == 2048 {
				s += $6; g += (NF >= 8 && $7 == "grown") ? $8 : $6 } END { print s + 0, g + 0 }' \
				"$RESV/$o")
			recorded=$((recorded + p))
			grown=$((grown + g))
		fi
	done
	now=$(<"$NODE0")
	diag "$preset free: node 0 pool: $base -> $now pages; records hold $recorded, grew $grown"
	check "$preset free: records hold $N x 2 pages" test "$recorded" -eq $((N * 2))
	check "$preset free: the free pages were claimed once ($((recorded - grown)) = $preset)" \
		test $((recorded - grown)) -eq "$preset"
	check "$preset free: the pool grew by exactly what the records grew ($((now - base)) = $grown)" \
		test $((now - base)) -eq "$grown"
	pids=()
	bad=0
	for o in "${owners[@]}"; do
		"$KVMTUNE" hugepages release --owner "$o" >"$tmp/$o.rel" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { bad=$((bad + 1)); sed 's/^/# /' "$tmp/${owners[$i]}.rel"; }
	done
	check "$preset free: all $N concurrent releases exit 0 ($bad did not)" test "$bad" -eq 0
	for o in "${owners[@]}"; do [[ -e $RESV/$o ]] && left=$((left + 1)); done
	check "$preset free: no record is left ($left are)" test "$left" -eq 0
	check "$preset free: the pool is back where it was ($(<"$NODE0") = $base)" \
		test "$(<"$NODE0")" -eq "$base"
}
round 0
round $N
finish
