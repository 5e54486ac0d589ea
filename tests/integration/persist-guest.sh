#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# persist-guest: what 'hugepages persist' generates takes at boot, and
# '--verify' says so, in a 2-node TCG guest booted with the generated kernel
# command line (guest-run --append) and the generated files in its /etc.
# The plan comes from a 2-node tree (kernel 6.1: per-node hugepages=N:count)
# asking 16 x 2 MiB on each node.  In the guest: verify passes; after node
# 1's pool is shrunk, verify fails naming node 1 and the boot parameter.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
source "$(dirname -- "$0")/lib.sh"

require_cmd qemu-system-x86_64 busybox jq
require_kvmtune
KT=$(kvmtune_path)
tree=$REPO_ROOT/tests/data/tree-persist
[[ -d $tree ]] || skip_all "no $tree"

work=$(mktemp -d "${TMPDIR:-/tmp}/persist-guest.XXXXXX")
at_exit "rm -rf '$work'"

# The plan, on a copy of the tree whose grub sets no hugepage words of its own.
cp -r "$tree" "$work/root"
printf 'GRUB_CMDLINE_LINUX=""\n' >"$work/root/etc/default/grub"
echo 'BOOT_IMAGE=/vmlinuz ro' >"$work/root/proc/cmdline"
"$KT" --root "$work/root" hugepages persist 2M=16 --node 0,1 --group kvm --dry-run --json \
    >"$work/plan.json"
words=$(jq -r .kernel_cmdline "$work/plan.json")
check "the plan asks for 16 pages per node on the command line ($words)" \
    grep -q 'hugepagesz=2M hugepages=0:16,1:16' <<<"$words"
adds=()
n=$(jq '.files | length' "$work/plan.json")
for ((i = 0; i < n; i++)); do
    path=$(jq -r ".files[$i].path" "$work/plan.json")
    mkdir -p "$work/files$(dirname "$path")"
    jq -j ".files[$i].content" "$work/plan.json" >"$work/files$path"
    adds+=(--add "$work/files$path:$path")
done
diag "files: $(jq -r '[.files[].path] | join(" ")' "$work/plan.json")"

cat >"$work/in-guest.sh" <<'GUEST'
#!/bin/sh
kt=$1
"$kt" hugepages persist --verify --json >/tmp/ok.json
echo "first=$?"
cat /tmp/ok.json
echo 0 >/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages
"$kt" hugepages persist --verify
echo "second=$?"
GUEST
chmod +x "$work/in-guest.sh"

t0=$EPOCHREALTIME
rc=0
"$VM_DIR/guest-run" --timeout 300 --nodes 2 --mem 768 --append "$words" "${adds[@]}" \
    --add "$KT" --add "$work/in-guest.sh:/in-guest.sh" -- /in-guest.sh "$KT" \
    >"$work/out" 2>"$work/err" || rc=$?
diag "guest: exit $rc in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
[[ $rc -eq 0 ]] || { diag "$(tail -n 20 "$work/err")"; bail "guest did not run (exit $rc)"; }
sed 's/^/# guest: /' "$work/out"
check "booted with the generated command line, verify passes (exit 0)" grep -qx 'first=0' "$work/out"
json=$(sed -n '/^{/,/^}/p' "$work/out")
check "verify: the kernel was booted with the persisted words" \
    test "$(jq -r .booted_with_cmdline <<<"$json")" = true
check "verify: node 0 and node 1 each hold their 16 pages" \
    test "$(jq -c '[.pools[] | select(.size_kb == 2048) | [.node, .running, .ok]]' <<<"$json")" \
    = '[[0,16,true],[1,16,true]]'
check "node 1 shrunk: verify fails (exit 1)" grep -qx 'second=1' "$work/out"
check "the failure names node 1 and the boot parameter that did not take" \
    grep -q "problem: node 1 2M: 16 pages persisted, 0 now.*boot parameter '.*hugepages=0:16,1:16' did not take" \
    "$work/out"
finish
