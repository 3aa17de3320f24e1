#!/usr/bin/env bash
# Make a virtual environment hold exactly what a lock file says, frozen: nothing is resolved,
# every file is checked against the lock's sha256, packages the lock lacks are removed.
#   scripts/venv.sh VENV LOCK [--project]   create/sync (--project: this package, editable)
#   scripts/venv.sh --check VENV LOCK       fail unless VENV already matches LOCK exactly and
#                                           its dependencies are consistent (CI)
# The Makefile uses it for .venv (locks/medialens.txt), .tools/sam and .tools/bench-peers.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
UV=${UV:-$repo/.tools/uv/bin/uv}
PYTHON=${PYTHON:-python3}
check=false
if [ "${1:-}" = "--check" ]; then check=true; shift; fi
venv=${1:?usage: $0 [--check] VENV LOCK [--project]}
lock=${2:?usage: $0 [--check] VENV LOCK [--project]}
project=false
[ "${3:-}" = "--project" ] && project=true
py=$venv/bin/python

if $check; then
  [ -x "$py" ] || { echo "venv: $venv does not exist" >&2; exit 1; }
  # A dry-run sync lists what it would change; only this package (editable, not in the lock)
  # may differ. `uv pip check`: every installed package's requirements are met.
  plan=$("$UV" pip sync --dry-run --require-hashes --python "$py" "$lock" 2>&1)
  drift=$(grep -E '^ [-+] ' <<<"$plan" | grep -vE '^ - medialens==' || true)
  if [ -n "$drift" ]; then
    echo "venv: $venv differs from $lock:" >&2
    echo "$drift" >&2
    exit 1
  fi
  "$UV" pip check --quiet --python "$py"
  echo "venv: $venv matches $lock ($("$UV" pip list --python "$py" --format freeze | wc -l) packages)"
  exit 0
fi

[ -x "$py" ] || "$UV" venv --quiet --python "$PYTHON" "$venv"
"$UV" pip sync --quiet --require-hashes --python "$py" "$lock"
if $project; then
  # setuptools comes from the lock (the dev extra), so the build resolves nothing either.
  "$UV" pip install --quiet --no-deps --no-build-isolation --python "$py" -e "$repo"
fi
"$UV" pip check --quiet --python "$py"
