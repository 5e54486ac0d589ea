#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Install everything kvmtune needs on Debian 12 (as root), then build it into
# ./build.  Idempotent: re-running only rebuilds.  Options:
#   --sanitize   build with AddressSanitizer + UndefinedBehaviorSanitizer
#   --no-install skip apt-get (packages already present)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
sanitize=no
install=yes
for a in "$@"; do
    case "$a" in
    --sanitize) sanitize=yes ;;
    --no-install) install=no ;;
    *) echo "bootstrap: unknown option '$a'" >&2; exit 2 ;;
    esac
done

# Build and library dependencies, then what the tests drive for real: QEMU,
# busybox and a guest kernel for multi-node guests, libvirt, numactl/numastat,
# numad, and clang's libFuzzer runtime.
packages=(
    build-essential meson ninja-build pkg-config clang clang-format clang-tidy shellcheck libclang-rt-14-dev
    libnuma-dev libhwloc-dev hwloc-nox libxml2-dev libjson-c-dev libvirt-dev libcmocka-dev
    python3 qemu-system-x86 busybox-static cpio xz-utils kmod numactl numad jq
    libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients util-linux procps zlib1g-dev
    debhelper dpkg-dev debootstrap systemd gnuplot-nox
)

if [ "$install" = yes ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "bootstrap: run as root (apt-get install), or pass --no-install" >&2
        exit 2
    fi
    missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        # apt needs a writable TMPDIR; some sandboxes lack one.
        if ! tmp=$(mktemp 2>/dev/null); then
            mkdir -p /tmp/kvmtune-apt && chmod 1777 /tmp/kvmtune-apt
            export TMPDIR=/tmp/kvmtune-apt
        else
            rm -f "$tmp"
        fi
        echo "bootstrap: installing ${missing[*]}" >&2
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

cd "$top"
san=none
[ "$sanitize" = yes ] && san=address,undefined
if [ -d build ]; then
    meson configure build -Db_sanitize="$san" >/dev/null
else
    meson setup build -Db_sanitize="$san" >/dev/null
fi
ninja -C build >/dev/null
echo "bootstrap: built $top/build/kvmtune" >&2
