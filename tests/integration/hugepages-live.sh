#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Live test of 'kvmtune hugepages set' on this host's 2 MiB pool: grow, grow one
# node, shrink, dry run, the guard, and bad input that must change nothing.
# Relative to what it finds (another test may resize the pool at the same time),
# small (at most 64 MiB more), and it restores the pools it found, also on failure.
# Exit 0 pass, 1 fail, 77 skip (the missing capability is printed).
set -euo pipefail

KVMTUNE=${KVMTUNE:-build/kvmtune}
POOL=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
NODE0=/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages
n=0
failed=0

skip_all() {
	echo "1..0 # SKIP $1"
	echo "hugepages-live: skipped: $1" >&2
	exit 77
}
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
}
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

[[ $EUID -eq 0 ]] || skip_all "needs root to resize hugepage pools (uid is $EUID)"
[[ -x $KVMTUNE ]] || skip_all "kvmtune binary not found at $KVMTUNE (set KVMTUNE)"
[[ -w $POOL ]] || skip_all "no writable 2 MiB hugepage pool ($POOL)"
command -v python3 >/dev/null || skip_all "python3 missing (used to read --json output)"

orig=$(cat "$POOL")
orig_node0=""
[[ -w $NODE0 ]] && orig_node0=$(cat "$NODE0")
tmp=$(mktemp -d)
restore() {
	# Put back the pool as found; per-node first (it also changes the global count).
	if [[ -n $orig_node0 && $(cat "$NODE0") != "$orig_node0" ]]; then
		echo "$orig_node0" >"$NODE0" || true
	fi
	if [[ $(cat "$POOL") != "$orig" ]]; then echo "$orig" >"$POOL" || true; fi
	rm -rf "$tmp"
}
trap restore EXIT

# json_field FILE EXPR: evaluate EXPR on the parsed JSON 'j'.
json_field() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# 1. Grow the host-wide pool by 32 pages (64 MiB) relative to now.
cur=$(cat "$POOL")
want=$((cur + 32))
rc=0
"$KVMTUNE" --json hugepages set "2M=$want" >"$tmp/grow.json" 2>"$tmp/grow.err" || rc=$?
check "grow 2M pool to $want: exit 0 (got $rc)" test "$rc" -eq 0
check "grow: report says met" test "$(json_field "$tmp/grow.json" 'j["changes"][0]["status"]')" = met
check "grow: report got == asked ($want)" \
	test "$(json_field "$tmp/grow.json" 'j["changes"][0]["got"]')" -eq "$want"
check "grow: report before == pool before ($cur)" \
	test "$(json_field "$tmp/grow.json" 'j["changes"][0]["old"]')" -eq "$cur"

# 2. Shrink back to where it was: read back must match.
rc=0
"$KVMTUNE" --json hugepages set "2M=$cur" >"$tmp/shrink.json" 2>&1 || rc=$?
check "shrink 2M pool back to $cur: exit 0 (got $rc)" test "$rc" -eq 0
check "shrink: report got == $cur" \
	test "$(json_field "$tmp/shrink.json" 'j["changes"][0]["got"]')" -eq "$cur"

# 3. Per node: grow node 0 by 16 pages through its own file.
if [[ -n $orig_node0 ]]; then
	c0=$(cat "$NODE0")
	rc=0
	"$KVMTUNE" hugepages set "2M=$((c0 + 16))" --node 0 >"$tmp/node.out" 2>&1 || rc=$?
	check "grow node 0 to $((c0 + 16)): exit 0 (got $rc)" test "$rc" -eq 0
	check "node 0 file reads $((c0 + 16))" test "$(cat "$NODE0")" -eq $((c0 + 16))
	if grep -q "^0 .*2M .* met$" "$tmp/node.out"; then
		ok "node report line: node 0 2M met"
	else
		not_ok "node report line: node 0 2M met"
		sed 's/^/# /' "$tmp/node.out"
	fi
	"$KVMTUNE" hugepages set "2M=$c0" --node 0 >/dev/null 2>&1 || true
	check "node 0 back to $c0" test "$(cat "$NODE0")" -eq "$c0"
else
	ok "# SKIP per-node pool: $NODE0 is not writable here"
fi

# 4. Dry run and bad input change nothing.
# unchanged CMD...: exit 2 (or 0 for a dry run) and the pool holds what it held.
# Another test may resize the pool meanwhile: a change seen three times in a row is ours.
unchanged() {
	local expect=$1 before after rc try
	shift
	for try in 1 2 3; do
		rc=0
		before=$(cat "$POOL")
		"$KVMTUNE" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
		after=$(cat "$POOL")
		[[ $before -eq $after ]] && break
		echo "# '$*': pool moved $before -> $after (attempt $try)"
	done
	if [[ $rc -eq $expect && $before -eq $after ]]; then
		ok "'$*': exit $rc, pool unchanged ($after)"
	else
		not_ok "'$*': exit $rc (want $expect), pool $before -> $after"
		sed 's/^/# /' "$tmp/err"
	fi
	if [[ $expect -eq 2 ]] && ! grep -q "^kvmtune: " "$tmp/err"; then
		not_ok "'$*': no error message"
	fi
}
unchanged 0 hugepages set "2M=$(($(cat "$POOL") + 64))" --dry-run
unchanged 2 hugepages set 2M=abc
unchanged 2 hugepages set 3M=1
unchanged 2 hugepages set 2M=-1
unchanged 2 hugepages set 2M=1 --node 7
unchanged 2 hugepages set 2M=1 --timeout 0
if grep -qw pdpe1gb /proc/cpuinfo; then
	ok "# SKIP 1G refusal: this CPU has 1 GiB pages"
else
	unchanged 2 hugepages set 1G=1
fi
# 5. The guard: the whole of memory cannot go to hugepages.
total_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
unchanged 2 hugepages set "2M=$((total_kib / 2048))"
check "guard message gives the numbers" grep -q "must stay free for the host" "$tmp/err"

# 6. --drop-caches is accepted and a small grow is met.
cur=$(cat "$POOL")
rc=0
"$KVMTUNE" hugepages set "2M=$((cur + 8))" --drop-caches --timeout 30 >/dev/null 2>&1 || rc=$?
check "grow by 8 with --drop-caches: exit 0 (got $rc)" test "$rc" -eq 0
"$KVMTUNE" hugepages set "2M=$cur" >/dev/null 2>&1 || true

# 1 GiB pools need pdpe1gb: only inside a guest with -cpu max (testbed).
grep -qw pdpe1gb /proc/cpuinfo || echo "# 1 GiB pools not tested here: CPU lacks pdpe1gb"

echo "1..$n"
echo "hugepages-live: $((n - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
