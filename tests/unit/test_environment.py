"""The installed environment and the lock files: one cv2, the OpenCV entry points the code calls,
locks that agree with each other.

Whether each lock is what its inputs give, and whether .venv is exactly its lock, needs uv and
the package index: `make lock-check` (CI runs it) checks those.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from pathlib import Path

import cv2
import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "layers" / "medialens" / "medialens"
UNIVERSAL_LOCK = REPO / "locks" / "medialens.txt"
# Locks compiled with the universal lock as constraint (scripts/lock.sh): its subsets.
SUBSET_LOCKS = [REPO / "locks" / "image.txt", REPO / "layers" / "medialens" / "requirements.txt",
                REPO / "locks" / "bench-peers.txt", REPO / "locks" / "ocr-peers.txt"]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_lock(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, sha256 set) of a `uv pip compile --generate-hashes` file."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    name = None
    for line in path.read_text().splitlines():
        pin = _PIN.match(line)
        if pin:
            name = _canonical(pin.group(1))
            assert name not in pins or pins[name][0] == pin.group(2) or ";" in line, f"{path}: {name} twice"
            pins[name] = (pin.group(2), pins.get(name, ("", frozenset()))[1])
        elif name and _HASH.search(line):
            version, hashes = pins[name]
            pins[name] = (version, hashes | {_HASH.search(line).group(1)})
        elif not line.startswith(" "):
            name = None
    return pins


def _distributions_shipping(top_level: str) -> list[str]:
    return sorted({dist.metadata["Name"] for dist in importlib.metadata.distributions()
                   if any(str(f).split("/")[0] == top_level for f in dist.files or ())})


def test_exactly_one_installed_distribution_ships_cv2():
    # Two (opencv-python beside -headless) overwrite each other's cv2/, and the last one
    # installed wins: the failure a fresh clone had.
    assert _distributions_shipping("cv2") == ["opencv-python-headless"]
    version = importlib.metadata.version("opencv-python-headless")
    assert cv2.__version__ == version.rsplit(".", 1)[0], (cv2.__version__, version)


def _cv2_names_used() -> set[str]:
    """Every dotted cv2.X[.Y] the package uses."""
    used: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            chain = []
            while isinstance(node, ast.Attribute):
                chain.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id == "cv2" and chain:
                used.add(".".join(reversed(chain)))
    return used


def test_every_cv2_entry_point_the_analysers_call_exists():
    used = _cv2_names_used()
    assert {"resize", "cvtColor", "INTER_AREA"} <= used  # the scan finds the calls at all
    missing = []
    for dotted in sorted(used):
        obj = cv2
        for part in dotted.split("."):
            if not hasattr(obj, part):
                missing.append(dotted)
                break
            obj = getattr(obj, part)
    assert missing == [], f"the installed cv2 {cv2.__version__} lacks {missing}"


def test_the_runtime_needs_no_opencv_dnn_importer():
    """Every model runs through onnxruntime: nothing reads TensorFlow/Caffe graphs with OpenCV."""
    assert not {name for name in _cv2_names_used() if name.startswith("dnn")}


def test_direct_dependencies_are_locked_at_their_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lock = parse_lock(UNIVERSAL_LOCK)
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    for requirement in requirements:
        pin = re.match(r"([A-Za-z0-9._-]+)(\[[^\]]*\])?==(\S+)", requirement.replace('"', ""))
        if requirement.startswith("medialens["):
            continue
        assert pin, f"pyproject.toml: {requirement!r} is not an exact pin"
        name = _canonical(pin.group(1))
        assert name in lock, f"{name} is not in {UNIVERSAL_LOCK.name}: run `make lock`"
        assert lock[name][0] == pin.group(3), f"{name}: pyproject {pin.group(3)}, lock {lock[name][0]}: `make lock`"


@pytest.mark.parametrize("subset", SUBSET_LOCKS, ids=lambda p: str(p.relative_to(REPO)))
def test_subset_locks_agree_with_the_universal_lock(subset: Path):
    universal, part = parse_lock(UNIVERSAL_LOCK), parse_lock(subset)
    assert part, f"{subset} pins nothing"
    shared = set(part) & set(universal)
    for name in sorted(shared):
        assert part[name][0] == universal[name][0], f"{subset.name}: {name} {part[name][0]} vs {universal[name][0]}"
        assert part[name][1] and part[name][1] <= universal[name][1], f"{subset.name}: {name} hashes differ"
    if subset.name not in ("bench-peers.txt", "ocr-peers.txt"):  # the peers' own packages are theirs alone
        assert shared == set(part), f"{subset.name} pins packages the universal lock lacks: {set(part) - shared}"


def test_every_lock_pins_hashes_and_names_no_index():
    locks = {UNIVERSAL_LOCK, *SUBSET_LOCKS, *(REPO / "locks").glob("*.txt"),
             *(REPO / "models").glob("requirements-*.txt")}
    for path in locks:
        text = path.read_text()
        assert "make lock" in text.splitlines()[1], f"{path} was not written by `make lock`"
        pins = parse_lock(path)
        assert pins and all(hashes for _, hashes in pins.values()), f"{path}: a pin without hashes"
        assert not re.search(r"^\s*(-i|--index-url|--extra-index-url|--find-links|-f)\b", text, re.M), path
        assert "://" not in text, f"{path} names a URL"


def test_the_image_lock_targets_the_image_interpreter():
    lock_script = (REPO / "scripts" / "lock.sh").read_text()
    image_python = re.search(r"^IMAGE_PYTHON=(\S+)", (REPO / "scripts/image/python-packages.sh").read_text(), re.M)
    assert f"--python-version {image_python.group(1)} --python-platform x86_64-manylinux_2_28" in lock_script
    assert f"FROM python:{image_python.group(1)}-slim" in (REPO / "functions/analysis/Dockerfile").read_text()
