"""The previous state of the code, for benchmarks that print it side by side with this tree.

`worktree(rev)` checks REV out into a temporary `git worktree`; `run_in(tree, script, args)`
runs a benchmark script of *this* checkout with the `medialens` package of `tree` first on
the path and this checkout's models, and returns the JSON its last stdout line holds.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BASELINE = "c4b3684"  # main when issue 14 began (OCR of issue 13 included)


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="medialens-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev],
                       check=True, capture_output=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                           check=False, capture_output=True)


def run_in(tree: Path, script: Path, args: list[str]) -> Any:
    env = {**os.environ, "PYTHONPATH": f"{tree / 'layers' / 'medialens'}{os.pathsep}{REPO}",
           "MEDIALENS_MODEL_DIR": str(REPO / "models" / "artifacts")}
    done = subprocess.run([sys.executable, str(script), *args], env=env, cwd=REPO.parent,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
