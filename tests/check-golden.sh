#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `kvmtune check` over fixture trees.
#  1. every real machine tree in ../shared/fixtures/machines*/ gives exit 0 and
#     "errors": 0 (no false errors on real hosts);
#  2. every tests/golden/{check,explain}-*/ case matches expected.out/expected.exit
#     (a stand-in for tests/golden/run.py; GOLDEN_UPDATE=1 rewrites them).
# Env: KVMTUNE (binary), KVMTUNE_SRC (repo top).
set -euo pipefail

: "${KVMTUNE:?}" "${KVMTUNE_SRC:?}"
fixtures=$KVMTUNE_SRC/../shared/fixtures
fail=0
n=0

if [ -d "$fixtures/machines" ]; then
	for m in "$fixtures"/machines/*/ "$fixtures"/machines-openshift/*/; do
		[ -e "$m/proc" ] || [ -e "$m/sys" ] || continue
		n=$((n + 1))
		rc=0
		out=$("$KVMTUNE" --root "$m" check --json 2>/dev/null) || rc=$?
		errs=$(printf '%s' "$out" | sed -n 's/^  "errors": \([0-9]*\),$/\1/p')
		if [ "$rc" != 0 ] || [ "$errs" != 0 ]; then
			echo "FAIL: $m: exit $rc, errors '$errs'"
			printf '%s\n' "$out" | grep -A3 '"severity": "error"' || true
			fail=1
		fi
	done
	echo "real machine trees: $n checked"
else
	echo "SKIP part 1: no $fixtures/machines"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for c in "$KVMTUNE_SRC"/tests/golden/check-*/ "$KVMTUNE_SRC"/tests/golden/explain-*/; do
	name=$(basename "$c")
	rm -rf "$tmp/root"
	if [ -f "$c/root.ref" ]; then
		cp -a "$KVMTUNE_SRC/$(cat "$c/root.ref")" "$tmp/root"
	else
		cp -a "$c/root" "$tmp/root"
	fi
	stdin=/dev/null
	[ -f "$c/stdin" ] && stdin=$c/stdin
	rc=0
	# shellcheck disable=SC2046
	"$KVMTUNE" --root "$tmp/root" $(cat "$c/cmd") <"$stdin" >"$tmp/out" 2>/dev/null || rc=$?
	sed -i "s|$tmp/root|@ROOT@|g" "$tmp/out"
	want_rc=0
	[ -f "$c/expected.exit" ] && want_rc=$(cat "$c/expected.exit")
	if [ "${GOLDEN_UPDATE:-}" = 1 ]; then
		cp "$tmp/out" "$c/expected.out"
		if [ "$rc" != 0 ]; then echo "$rc" >"$c/expected.exit"; else rm -f "$c/expected.exit"; fi
		continue
	fi
	if ! diff -u "$c/expected.out" "$tmp/out" || [ "$rc" != "$want_rc" ]; then
		echo "FAIL: $name (exit $rc, want $want_rc)"
		fail=1
	fi
done
[ "$fail" = 0 ] && echo "check goldens: ok"
exit "$fail"
