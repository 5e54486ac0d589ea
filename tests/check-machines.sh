#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `kvmtune check` over fixture trees.
# Every real machine tree in ../shared/fixtures/machines*/ gives exit 0 and
# "errors": 0: no false errors on real hosts.  (The tests/golden/check-* and
# explain-* cases run through tests/golden/run.py.)
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
else
	echo "SKIP: no $fixtures/machines"
	exit 77
fi

[ "$fail" = 0 ] && echo "ok - kvmtune check: no errors on $n real machine trees"
exit "$fail"
