#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every C file is clang-formatted (STYLE.md section 10).
set -uo pipefail
src=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
command -v clang-format >/dev/null || { echo "# SKIP: clang-format is not installed"; exit 77; }
cd "$src" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')
# shellcheck disable=SC2086 # one word per file
if clang-format --dry-run --Werror $files; then
    echo "ok - $(echo "$files" | wc -w) files formatted"
else
    echo "not ok - run: clang-format -i <files above>"
    exit 1
fi
