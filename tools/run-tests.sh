#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Run the whole test suite (unit, golden, fuzz-replay, integration, guest)
# from ./build and print one closing line "N passed, N failed, N skipped".
# Extra arguments go to 'meson test' (e.g. --suite unit).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
meson test -C build --print-errorlogs --num-processes 2 "$@"
rc=$?
python3 - "$top/build/meson-logs/testlog.json" <<'PY'
import json, sys
import re
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t["result"]
    # A TAP test of many cases (the golden runner) counts each case.
    cases = re.findall(r"^(ok|not ok) \d+ - .*$", t.get("stdout") or "", re.M)
    if ("golden" in t["name"]) and cases and r != "TIMEOUT":
        for m in re.finditer(r"^(ok|not ok) \d+ - (.*)$", t["stdout"], re.M):
            if m.group(1) == "not ok":
                failed += 1
            elif "# SKIP" in m.group(2):
                skipped += 1
            else:
                passed += 1
        continue
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
