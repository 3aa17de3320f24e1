#!/usr/bin/env bash
# The analysis image's build steps, run on this machine (no Docker here): the scripts that
# functions/analysis/Dockerfile's RUN lines call, in its order, so a broken step fails CI
# (.ci/run, `make image-check`). Differences from the image build, each on purpose:
#   - apt: installs what is missing (normally nothing after `make setup`), keeps apt's lists;
#   - models: DEST is a scratch copy of models/artifacts/ (`make setup` built those with the
#     same script), so nothing is downloaded or converted twice;
#   - python: checks that locks/image.txt installs, hash-checked, from wheels for the image's
#     interpreter (CPython 3.12, glibc <= 2.28) instead of installing it: this machine's .venv
#     has the same pins for 3.11 (locks/medialens.txt);
#   - smoke: this checkout's .venv and handlers, in a network namespace without network
#     (unshare), which proves nothing is downloaded at run time.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
PYTHON=${PYTHON:-$repo/.venv/bin/python}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
step() { echo "image-check: $*"; }

step "stage models: apt packages"
scripts/image/apt-install.sh scripts/image/models-apt-packages.txt
step "stage models: model files -> scratch dir"
mkdir -p "$scratch/models"
if [ -d models/artifacts ]; then cp -a models/artifacts/. "$scratch/models/"; fi
scripts/image/models.sh "$scratch/models"

step "stage function: apt packages"
scripts/image/apt-install.sh apt-packages.txt
step "stage function: python packages"
# Any pip can check the image's lock for another interpreter; .venv has none (uv made it).
scripts/image/python-packages.sh --check python3
step "stage function: smoke inference and entry points, offline"
offline=(unshare -rn)
"${offline[@]}" true 2>/dev/null || { echo "image-check: unshare -rn not permitted here; smoke runs with the network" >&2; offline=(); }
MEDIALENS_MODEL_DIR="$scratch/models" "${offline[@]}" "$PYTHON" scripts/image/smoke.py functions/analysis
