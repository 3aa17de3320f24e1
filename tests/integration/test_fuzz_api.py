"""Runs the schemathesis fuzzing (fuzz_api_cases.py) in its own pytest process.

In one process with the rest of the suite, CPython 3.11's `ast` once raised "AST constructor
recursion depth mismatch" inside hypothesis's strategy code (not in the service); a fresh
interpreter, with its own local service, keeps the fuzzing's verdict about the API only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
CASES = Path(__file__).with_name("fuzz_api_cases.py")


def test_fuzzing_every_operation_finds_no_5xx_and_no_unshaped_error():
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CASES)],
                         capture_output=True, text=True, timeout=900, cwd=CASES.parents[2])
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
