#!/usr/bin/env python3
# fetch_models: stdlib-only
"""Plain copy: the model file ships in the package as it is used.

    python3 models/converters/copy.py SOURCE_DIR OUT_FILE

SOURCE_DIR must hold exactly one file (the single `source.files` entry of the
manifest, already checked against its sha256 by fetch_models.py); it is copied
byte for byte to OUT_FILE.  Standard library only: the marker line above tells
fetch_models.py to run this with its own interpreter, without the build venv.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source_dir, out_file = Path(argv[0]), Path(argv[1])
    files = sorted(p for p in source_dir.rglob("*") if p.is_file())
    if len(files) != 1:
        print(f"copy: expected exactly one file under {source_dir}, found {[str(p) for p in files]}", file=sys.stderr)
        return 1
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(out_file.name + ".tmp")
    shutil.copyfile(files[0], tmp)
    os.replace(tmp, out_file)
    print(f"copy: {files[0].relative_to(source_dir)} -> {out_file} ({out_file.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
