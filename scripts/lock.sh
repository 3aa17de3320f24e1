#!/usr/bin/env bash
# The lock files, compiled from their inputs by uv (`make lock`; locks/README.md says when).
#   scripts/lock.sh            regenerate; versions already locked are kept unless an input
#                              asks for another (uv reads each output file as its preferences)
#   scripts/lock.sh --upgrade  the newest versions the inputs allow
#   scripts/lock.sh --check    regenerate in a scratch copy and fail if any lock would change
#                              (CI: an input edited without `make lock`, or a lock edited by hand)
# Every output pins every transitive package exactly, with the sha256 of each of its files, and
# names no index: environments install them frozen (scripts/venv.sh, the Dockerfile, SAM).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
UV=${UV:-$repo/.tools/uv/bin/uv}
mode=${1:-}
case $mode in ""|--upgrade|--check) ;; *) echo "usage: $0 [--upgrade|--check]" >&2; exit 2 ;; esac

# One line per lock: OUTPUT | INPUT | uv pip compile options. The universal lock comes first:
# the image and the layer are its subsets (constrained to its pins), so they never disagree.
IMAGE_TARGET="--python-version 3.12 --python-platform x86_64-manylinux_2_28"
# The CPU build of torch (models/requirements-build-torch.in) is a local wheel that pip finds
# through its find-links; uv reads no pip configuration, so it is handed over.
FIND_LINKS=${PIP_FIND_LINKS:-$(python3 -m pip config get global.find-links 2>/dev/null || true)}
LOCKS=(
  "locks/medialens.txt | pyproject.toml | --universal --python-version 3.11 --all-extras"
  "locks/image.txt | pyproject.toml | $IMAGE_TARGET --extra image -c locks/medialens.txt"
  "layers/medialens/requirements.txt | pyproject.toml | $IMAGE_TARGET -c locks/medialens.txt"
  "locks/bench-peers.txt | locks/bench-peers.in | --universal --python-version 3.11 -c locks/medialens.txt"
  "locks/ocr-peers.txt | locks/ocr-peers.in | --universal --python-version 3.11 -c locks/medialens.txt"
  "locks/sam.txt | locks/sam.in | --universal --python-version 3.11"
  "locks/uv.txt | locks/uv.in | --universal --python-version 3.11"
  "models/requirements-build.txt | models/requirements-build.in | --universal --python-version 3.11"
  "models/requirements-build-torch.txt | models/requirements-build-torch.in | --python-version 3.11 --python-platform x86_64-manylinux_2_28 ${FIND_LINKS:+--find-links $FIND_LINKS}"
)

compile_all() {  # in the current directory (the repository or its scratch copy)
  local extra=()
  [ "$mode" = --upgrade ] && extra=(--upgrade)
  for entry in "${LOCKS[@]}"; do
    IFS='|' read -r out in opts <<<"$entry"
    out=$(echo $out); in=$(echo $in)
    # shellcheck disable=SC2086  # opts is a list of options
    "$UV" pip compile --quiet --generate-hashes --custom-compile-command "make lock" \
      --no-emit-find-links $opts "${extra[@]}" "$in" -o "$out"
  done
}

if [ "$mode" = --check ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  files=(pyproject.toml)
  for entry in "${LOCKS[@]}"; do
    IFS='|' read -r out in _ <<<"$entry"
    files+=($out $in)
  done
  mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u)
  (cd "$repo" && cp --parents "${files[@]}" "$scratch/")
  (cd "$scratch" && compile_all)
  status=0
  for f in "${files[@]}"; do
    if ! cmp -s "$repo/$f" "$scratch/$f"; then
      echo "lock: $f is not what its inputs give (run \`make lock\` and commit the result):" >&2
      diff -u "$repo/$f" "$scratch/$f" | head -40 >&2 || true
      status=1
    fi
  done
  [ $status = 0 ] && echo "lock: all ${#LOCKS[@]} lock files match their inputs"
  exit $status
fi
cd "$repo" && compile_all
for entry in "${LOCKS[@]}"; do
  IFS='|' read -r out _ _ <<<"$entry"
  echo "lock: $(echo $out): $(grep -cE '^[A-Za-z0-9]' $out) packages"
done
