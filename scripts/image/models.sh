#!/usr/bin/env bash
# Build the model files into DEST exactly as `make setup` builds models/artifacts/ (the same
# script, manifest and caches), copy the manifest beside them and verify every sha256.
# The Dockerfile's model stage runs it into /opt/models; CI (check.sh) into a scratch
# directory seeded from models/artifacts/, so nothing is downloaded or converted twice.
#   scripts/image/models.sh DEST
set -euo pipefail
dest=${1:?usage: $0 DEST}
repo=$(cd "$(dirname "$0")/../.." && pwd)
python3 "$repo/models/fetch_models.py" --dest "$dest"
cp "$repo/models/manifest.json" "$dest/manifest.json"
python3 "$repo/models/fetch_models.py" --check --dest "$dest"
