#!/usr/bin/env bash
# The analysis image's Python packages: medialens with its `analysis` extra (pyproject.toml,
# the one list) and the Lambda runtime interface client, wheels only. The Dockerfile runs it
# to install; CI (check.sh) runs it with --check: the same requirements must resolve to
# wheels for the image's interpreter, CPython 3.12 on x86_64, needing glibc 2.28 at most
# (manylinux_2_28 and older tags: onnxruntime, opencv, dlib-bin and numpy ship only
# those). The image's Debian bookworm has glibc 2.36; AWS's python3.12 base (AL2023) 2.34.
#   scripts/image/python-packages.sh [--check] [PYTHON]
set -euo pipefail
check=false
if [ "${1:-}" = "--check" ]; then check=true; shift; fi
python=${1:-python3}
repo=$(cd "$(dirname "$0")/../.." && pwd)
AWSLAMBDARIC="awslambdaric==4.2.2"
IMAGE_PYTHON=3.12
MAX_GLIBC_MINOR=28

reqs=$(mktemp)
trap 'rm -f "$reqs"' EXIT
"$python" - "$repo/pyproject.toml" > "$reqs" <<'PY'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["analysis"]))
PY
echo "$AWSLAMBDARIC" >> "$reqs"

if $check; then
  target=$(mktemp -d)
  trap 'rm -f "$reqs"; rm -rf "$target"' EXIT
  platforms=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
  for minor in $(seq 5 $MAX_GLIBC_MINOR); do platforms+=(--platform "manylinux_2_${minor}_x86_64"); done
  "$python" -m pip install --quiet --dry-run --ignore-installed --target "$target" --only-binary=:all: \
    --python-version "$IMAGE_PYTHON" --implementation cp --abi "cp${IMAGE_PYTHON/./}" "${platforms[@]}" -r "$reqs"
  echo "python-packages: $(grep -c . "$reqs") requirements resolve to CPython $IMAGE_PYTHON wheels for glibc <= 2.$MAX_GLIBC_MINOR"
else
  "$python" -m pip install --no-cache-dir --only-binary=:all: -r "$reqs"
  "$python" -m pip install --no-cache-dir --no-deps "$repo"
fi
