#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build every libFuzzer target with clang (-Dfuzz=true, ASan+UBSan) in its
# own build directory and run each for a few seconds from its committed
# corpus.  New inputs go to a temporary directory, not into the tree; a crash
# leaves its reproducer in the build directory and fails the test.
set -euo pipefail
src=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${KVMTUNE_BUILD:-$src/build}-fuzz
seconds=${FUZZ_SECONDS:-5}
command -v clang >/dev/null || { echo "# SKIP: clang is not installed"; exit 77; }
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long s){return 0;}' |
    clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
    echo "# SKIP: clang cannot link -fsanitize=fuzzer (libclang-rt-14-dev missing)"
    exit 77
fi
if [ ! -d "$build" ]; then
    CC=clang meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false >/dev/null
fi
ninja -C "$build" >/dev/null
fail=0
n=0
for corpus in "$src"/tests/fuzz/corpus/*/; do
    name=$(basename "$corpus")
    bin="$build/tests/fuzz-$name"
    n=$((n + 1))
    if [ ! -x "$bin" ]; then
        echo "not ok $n - fuzz-$name: not built"
        fail=1
        continue
    fi
    work=$(mktemp -d)
    if (cd "$build" && "$bin" -max_total_time="$seconds" -rss_limit_mb=1024 "$work" "$corpus" \
        >"$work.log" 2>&1); then
        echo "ok $n - fuzz-$name ran ${seconds}s: $(grep -o 'cov: [0-9]*' "$work.log" | tail -1)"
    else
        echo "not ok $n - fuzz-$name failed:"
        tail -30 "$work.log"
        fail=1
    fi
    rm -rf "$work" "$work.log"
done
echo "1..$n"
exit $fail
