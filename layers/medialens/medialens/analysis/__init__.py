"""Analysers behind one small interface, registered by name.

An analyser is a class with `analyse(image: DecodedImage) -> dict` returning some fields
of ImageResult. It loads its models in __init__; `analysers()` builds each one once per
process (the Lambda cold start), never per request. Heavy imports (numpy, cv2,
onnxruntime) happen only here, so the API's zip function never pays for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from ..schemas import ImageResult
from ..settings import get_settings


class Analyser(Protocol):
    def analyse(self, image: Any) -> dict[str, Any]: ...


_REGISTRY: dict[str, Callable[[], Analyser]] = {}
# Modules whose import registers analysers, in the order their fields appear.
_MODULES = ("moderation",)


def register(name: str) -> Callable[[type], type]:
    def wrap(cls: type) -> type:
        _REGISTRY[name] = cls
        return cls
    return wrap


@lru_cache(maxsize=1)
def analysers() -> dict[str, Analyser]:
    for module in _MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return {name: factory() for name, factory in _REGISTRY.items()}


def analyse_image_bytes(data: bytes) -> ImageResult:
    """Decode once, run every analyser on the same pixels. InvalidImageError for bad bytes."""
    from .decode import decode_image

    image = decode_image(data, max_pixels=get_settings().max_image_pixels)
    fields: dict[str, Any] = {}
    for analyser in analysers().values():
        fields.update(analyser.analyse(image))
    return ImageResult.model_validate(fields)
