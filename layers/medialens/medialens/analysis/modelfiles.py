"""Model files from the manifest (models/manifest.json): paths, checksums, ONNX sessions.

Nothing downloads at run time: weights are produced by `make setup`
(models/fetch_models.py) or baked into the container image at /opt/models.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from ..settings import REPO_ROOT, get_settings


class ModelMissingError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def manifest() -> dict[str, Any]:
    for candidate in (get_settings().model_dir / "manifest.json", REPO_ROOT / "models" / "manifest.json"):
        if candidate.is_file():
            return json.loads(candidate.read_text())["models"]
    raise ModelMissingError("models/manifest.json not found")


def model_spec(name: str) -> dict[str, Any]:
    return manifest()[name]


@cache
def model_path(name: str) -> Path:
    """The verified file of a model (sha256 checked once per process)."""
    spec = model_spec(name)
    path = get_settings().model_dir / spec["file"]
    if not path.is_file():
        raise ModelMissingError(f"model file {path} is missing: run `make setup`")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != spec["sha256"]:
        raise ModelMissingError(f"model file {path} has sha256 {digest}, manifest says {spec['sha256']}")
    return path


def onnx_session(name: str) -> Any:
    """An onnxruntime session with explicit thread counts (we scale out by tasks, not threads)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = get_settings().onnx_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(model_path(name)), options, providers=["CPUExecutionProvider"])
