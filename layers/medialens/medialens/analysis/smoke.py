"""Smoke inference: load every analyser and run it on a generated image.

Run at container build (functions/analysis/Dockerfile) and in CI, so a model that
is missing, corrupt or incompatible with the runtime fails the build, not a request.
"""

from __future__ import annotations

import io
import json
import sys

import numpy as np
from PIL import Image

from . import analyse_image_bytes, analysers


def smoke_image() -> bytes:
    """A 320×240 RGB gradient with shapes: structured pixels, no external file needed."""
    y, x = np.mgrid[0:240, 0:320]
    rgb = np.stack([x * 255 // 319, y * 255 // 239, (x + y) * 255 // 558], axis=-1).astype(np.uint8)
    rgb[60:180, 100:220] = (30, 140, 60)
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG")
    return out.getvalue()


def main() -> int:
    names = sorted(analysers())
    result = analyse_image_bytes(smoke_image())
    print(json.dumps({"analysers": names, "result": result.model_dump(mode="json")})[:2000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
