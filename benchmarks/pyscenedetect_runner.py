"""PySceneDetect in its own environment, answering the video benchmark over a pipe.

    .tools/bench-peers/bin/python benchmarks/pyscenedetect_runner.py

PySceneDetect requires `opencv-python`, whose cv2/ would overwrite .venv's
opencv-python-headless, so it lives in .tools/bench-peers (locks/bench-peers.txt, `make bench`
makes it). One JSON request per stdin line, {"detector": "AdaptiveDetector", "path": "..."};
one JSON answer per stdout line, {"starts": [frame, ...]} (every scene start but the first, i.e.
its boundaries) or {"error": "..."}. A long-lived process, so the benchmark's timings hold
detection (with PySceneDetect's own OpenCV decoding) and not interpreter start-up.
Only the standard library and scenedetect.
"""

from __future__ import annotations

import json
import sys


def detect(detector_name: str, path: str) -> list[int]:
    import scenedetect

    detector = getattr(scenedetect, detector_name)()
    scenes = scenedetect.detect(path, detector)
    return [int(start.frame_num) for start, _ in scenes[1:]]


def main() -> int:
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = {"starts": detect(request["detector"], request["path"])}
        except Exception as err:  # one file failing must not end the session
            answer = {"error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
