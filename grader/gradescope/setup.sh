#!/usr/bin/env bash
# Gradescope setup for the minivmm autograder: installs what the kit needs to build and
# run the tests. Gradescope runs it once, as root, when it builds the autograder image
# (Ubuntu or Debian). Running it again changes nothing (idempotent).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# qemu-system-arm: runs minivmm; gcc-arm-none-eabi (+ newlib headers): builds minivmm and
# tinykernel; gcc, make, check, pkg-config: the Check unit tests on the host;
# python3: the grader (it needs Python >= 3.11 for tomllib); git: git submissions;
# bubblewrap: the sandbox every untrusted step runs in (docs/instructor/sandbox.rst).
PACKAGES=(qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi check pkg-config
          gcc make libc6-dev python3 git ca-certificates bubblewrap)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The grader uses tomllib (Python 3.11). Ubuntu 22.04's python3 is 3.10: add python3.11.
has_tomllib() { "$1" -c 'import tomllib' 2>/dev/null; }
if ! has_tomllib python3; then
    if ! command -v python3.11 >/dev/null || ! has_tomllib python3.11; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends python3.11
    fi
    has_tomllib python3.11 || { echo "setup.sh: no Python >= 3.11 available" >&2; exit 1; }
fi

for tool in qemu-system-arm arm-none-eabi-gcc gcc make pkg-config git; do
    command -v "$tool" >/dev/null || { echo "setup.sh: $tool is missing after the install" >&2; exit 1; }
done
pkg-config --exists check || { echo "setup.sh: pkg-config does not find check" >&2; exit 1; }
# Lab 4's ungraded linux-boot test boots Debian's kernel: fetch it now, while the image
# build has a network, into this user's ~/.cache/minivmm. A failure only leaves that test
# reporting an error. The kit is next to this script in the zip, two levels up in the repo.
HERE=$(cd "$(dirname "$0")" && pwd)
KIT=$HERE
[ -f "$KIT/guests/linux/fetch.py" ] || KIT=$(cd "$HERE/../.." && pwd)
PY=python3
has_tomllib python3 || PY=python3.11
if "$PY" "$KIT/guests/linux/fetch.py" >/dev/null; then
    echo "setup.sh: the Linux guest is fetched (lab 4's ungraded linux-boot)"
else
    echo "setup.sh: warning: could not fetch the Linux guest; lab 4's ungraded linux-boot will report an error" >&2
fi
# The grader's pristine build cache (grader/cache.py: the kit with every student file at
# its skeleton, built once): made now, into the image, so that each submission compiles
# only its own files. A failure only means that each submission builds the whole kit.
if (cd "$KIT" && "$PY" -m grader.cache >/dev/null); then
    echo "setup.sh: the grader's build cache is ready ($KIT/build/grade-cache)"
else
    echo "setup.sh: warning: could not make the grader's build cache; each submission builds the whole kit" >&2
fi
echo "setup.sh: ok ($(qemu-system-arm --version | head -1); $(arm-none-eabi-gcc --version | head -1))"
