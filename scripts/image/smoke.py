"""The analysis image's last build step, and a CI step (check.sh): proof that the image works
without a network or an AWS account.

1. every analyser loads its model from MEDIALENS_MODEL_DIR (sha256 checked against the
   manifest) and runs on generated pixels (medialens.analysis.smoke);
2. every entry point the image holds (HANDLER_DIR/*_handler.py, what template.yaml's
   ImageConfig.Command names) imports, loading its models at cold start as in Lambda, and
   exposes handler(event, context).

    python scripts/image/smoke.py HANDLER_DIR
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    from medialens.analysis import analysers, smoke

    with contextlib.redirect_stdout(io.StringIO()):  # the result JSON: we only need it to run
        smoke.main()
    handler_dir = Path(argv[1])
    sys.path.insert(0, str(handler_dir))
    handlers = sorted(handler_dir.glob("*_handler.py"))
    if not handlers:
        print(f"smoke: no *_handler.py in {handler_dir}", file=sys.stderr)
        return 1
    for path in handlers:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        params = list(inspect.signature(module.handler).parameters)
        if params != ["event", "context"]:
            print(f"smoke: {path.name}: handler{tuple(params)} is not handler(event, context)", file=sys.stderr)
            return 1
    print(f"smoke: {len(analysers())} analysers ran ({', '.join(sorted(analysers()))}); "
          f"{len(handlers)} entry points import: {', '.join(p.stem for p in handlers)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
