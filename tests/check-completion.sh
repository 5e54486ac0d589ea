#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The bash completion (data/kvmtune.bash-completion) offers every command,
# every hugepages and bench verb, every long option declared in src/cli (so every
# option is in some command's --help, where the script reads them), and the
# host's nodes, page sizes and reservation owners through --root.
set -uo pipefail
src=${KVMTUNE_SRC:-$(cd "$(dirname "$0")/.." && pwd)}
kvmtune=${KVMTUNE:-$src/build/kvmtune}
# shellcheck source=data/kvmtune.bash-completion
source "$src/data/kvmtune.bash-completion"
n=0 failed=0
check() { # DESCRIPTION: the last command's status
    local rc=$?
    n=$((n + 1))
    if ((rc == 0)); then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
# comp WORDS...: COMPREPLY for the command line whose last word is being completed
comp() {
    COMP_WORDS=("$kvmtune" "$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _kvmtune
    printf '%s\n' "${COMPREPLY[@]}" | sort
}

commands=$("$kvmtune" complete commands)
got=$(comp "")
missing=$(comm -23 <(sort <<<"$commands") <(grep -v '^-' <<<"$got"))
[[ -z "$missing" ]]; check "every command is offered (missing: ${missing:-none})"
got=$(comp hugepages "")
[[ "$(tr '\n' ' ' <<<"$got")" == "mount persist release reserve set " ]]; check "hugepages verbs"

offered=$(
    for c in $commands; do
        [[ "$c" == help ]] && continue
        comp "$c" --
    done
    for v in set reserve release persist mount; do comp hugepages "$v" --; done
    comp bench memory --
    comp --
)
declared=$(grep -hoE '\{"[a-z-]+", (no|required|optional)_argument' "$src"/src/cli/*.c |
    sed 's/{"//; s/",.*//; s/^/--/' | sort -u)
missing=$(comm -23 <(sort -u <<<"$declared") <(sort -u <<<"$offered"))
what="all $(wc -l <<<"$declared") declared long options are offered (missing: ${missing:-none})"
[[ -z "$missing" ]]; check "$what"

root=$src/tests/data/libvirt-testhost
[[ "$(comp --root "$root" run --nodes "" | tr '\n' ' ')" == "0 1 2 3 " ]]; check "--nodes: the nodes of --root's host"
[[ "$(comp --root "$root" qemu-args --host-nodes 0,1, | tr '\n' ' ')" == "0,1,0 0,1,1 0,1,2 0,1,3 " ]]
check "--host-nodes 0,1,: the next item of a list"
[[ "$(comp --root "$root" run --page "" | tr '\n' ' ')" == "1G 2M default none " ]]; check "--page: the host's page sizes"
[[ "$(comp --root "$root" bench memory --sizes 4K, | tr '\n' ' ')" == "4K,1G 4K,2M 4K,4K 4K,THP " ]]
check "--sizes 4K,: the page kinds"
[[ "$(comp plan --format q)" == qemu && "$(comp plan --format qemu --qemu | tr '\n' ' ')" == "--qemu --qemu-version " ]]
check "plan: --format's forms, --qemu and --qemu-version offered"
[[ "$(comp bench "")" == memory && "$(comp top -o l)" == locality ]]; check "bench's verb, top's sort keys"
[[ "$(comp --root "$src/tests/golden/hugepages-release-stale/root" hugepages release --owner run- | tr '\n' ' ')" == "run-alive run-gone run-recycled " ]]
check "--owner: the reservation owners"
[[ "$(comp run --nodes 0 -- qemu-system-x86_6 | head -1)" == qemu-system-x86_64 ]] || ! command -v qemu-system-x86_64 >/dev/null
check "after 'run ... --': commands"
echo "1..$n"
exit $((failed > 0))
