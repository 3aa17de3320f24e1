#!/usr/bin/env bash
# The analysis image's Python packages: locks/image.txt (the `image` extra of pyproject.toml:
# the analyses plus the Lambda runtime interface client, compiled from the universal lock by
# `make lock`), frozen: exact versions, sha256-checked, wheels only, nothing resolved. The
# medialens package itself is copied in (it is pure Python: no build step, no build backend to
# fetch). The Dockerfile runs it to install; CI (check.sh) runs it with --check: the same lock
# must install from wheels for the image's interpreter, CPython 3.12 on x86_64, needing glibc
# 2.28 at most (manylinux_2_28 and older tags: onnxruntime, opencv, dlib-bin and numpy ship
# only those). The image's Debian bookworm has glibc 2.36; AWS's python3.12 base (AL2023) 2.34.
#   scripts/image/python-packages.sh [--check] [PYTHON]
set -euo pipefail
check=false
if [ "${1:-}" = "--check" ]; then check=true; shift; fi
python=${1:-python3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
lock=$repo/locks/image.txt
IMAGE_PYTHON=3.12
MAX_GLIBC_MINOR=28
pip=("$python" -m pip install --no-cache-dir --no-deps --require-hashes --only-binary=:all:)

if $check; then
  target=$(mktemp -d)
  trap 'rm -rf "$target"' EXIT
  platforms=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
  for minor in $(seq 5 $MAX_GLIBC_MINOR); do platforms+=(--platform "manylinux_2_${minor}_x86_64"); done
  "${pip[@]}" --quiet --dry-run --ignore-installed --target "$target" \
    --python-version "$IMAGE_PYTHON" --implementation cp --abi "cp${IMAGE_PYTHON/./}" "${platforms[@]}" -r "$lock"
  echo "python-packages: all $(grep -cE '^[A-Za-z0-9]' "$lock") packages of locks/image.txt install" \
    "from hash-checked CPython $IMAGE_PYTHON wheels for glibc <= 2.$MAX_GLIBC_MINOR"
else
  "${pip[@]}" -r "$lock"
  site=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  cp -r "$repo/layers/medialens/medialens" "$site/"
  "$python" -m pip check
fi
