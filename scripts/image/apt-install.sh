#!/usr/bin/env bash
# Install the Debian packages named in LIST files (one per line, '#' comments) that are
# missing. A Dockerfile step (functions/analysis/Dockerfile) and a CI step (check.sh): a
# misspelt or vanished package fails both. --clean removes apt's lists afterwards (images).
#   scripts/image/apt-install.sh [--clean] LIST...
set -euo pipefail
clean=false
if [ "${1:-}" = "--clean" ]; then clean=true; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--clean] LIST..." >&2; exit 2; }

missing=()
for pkg in $(sed -e 's/#.*//' "$@"); do
  case $pkg in  # Node may come from elsewhere than Debian (nodesource bundles npm)
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "apt-install: all $(sed -e 's/#.*//' "$@" | wc -w) packages of $* present"
else
  echo "apt-install: ${missing[*]}"
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if $clean; then rm -rf /var/lib/apt/lists/*; fi
