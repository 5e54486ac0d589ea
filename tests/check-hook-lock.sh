#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The libvirt hook never blocks libvirt past its bound: with the hugepages
# lock held by another process (this script's flock on the lock file of a
# copied --root tree), 'hook --timeout 3 qemu NAME prepare' gives up, exits 1 with the
# lock named on stderr (libvirt's error), writes no record, and reports
# cleanly on stderr in text and --json (the record as null), well within --timeout
# plus the 15 s its help promises.
set -euo pipefail
src=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
kvmtune=${KVMTUNE:-$src/build/kvmtune}
work=$(mktemp -d "${TMPDIR:-/tmp}/hook-lock.XXXXXX")
trap 'rm -rf "$work"' EXIT
n=0 failed=0
absent() { # PATTERN FILE: FILE has no line matching PATTERN
    ! grep -q "$1" "$2"
}
check() { # DESCRIPTION CMD...: one TAP line for CMD's status
    local what=$1
    shift
    n=$((n + 1))
    if "$@"; then echo "ok $n - $what"; else echo "not ok $n - $what"; failed=$((failed + 1)); fi
}

cp -a "$src/tests/data/libvirt-testhost" "$work/root"
mkdir -p "$work/root/run/kvmtune/lock"
# this script holds the lock (its own open file description) until it ends
exec 9>"$work/root/run/kvmtune/lock/hugepages"
flock -n 9
xml=$src/tests/golden/hook-prepare/stdin
for mode in text json; do
    opt=()
    [[ $mode == json ]] && opt=(--json)
    rc=0
    t0=$SECONDS
    "$kvmtune" --root "$work/root" "${opt[@]}" hook --timeout 3 qemu web1 prepare begin - \
        <"$xml" >"$work/$mode.out" 2>"$work/$mode.err" 9>&- || rc=$?
    took=$((SECONDS - t0))
    echo "# $mode: exit $rc after ${took}s; $(tr '\n' ' ' <"$work/$mode.err")"
    check "$mode: exit 1 while another process holds the lock" test "$rc" -eq 1
    check "$mode: gave up within 18 s (--timeout 3 + 15)" test "$took" -le 18
    check "$mode: the reason names the lock" \
        grep -q "another kvmtune holds the lock '/run/kvmtune/lock/hugepages'" "$work/$mode.err"
    check "$mode: no sanitizer report" absent "runtime error\|AddressSanitizer" "$work/$mode.err"
done
# the hook writes its report to stderr, where libvirt logs it
check "text: the outcome, no record shown" \
    test "$(grep -v '^kvmtune: ' "$work/text.err")" = "not reserved: failed"
json=$(grep -v '^kvmtune: ' "$work/json.err" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["result"], d["record"])' 2>&1) || true
check "json: valid, not reserved, record null ($json)" test "$json" = "not reserved: failed None"
check "no record was written" test ! -e "$work/root/run/kvmtune/hugepages/web1"
echo "1..$n"
exit $((failed > 0))
