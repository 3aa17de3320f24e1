#!/usr/bin/env python3
"""The TF frozen SSD graph's own final detections, as a reference (not a converter).

Usage (inside the build venv; benchmarks/ssd_onnx_vs_opencv.py calls it):

    python models/converters/ssd_tf_reference.py GRAPH.pb IN.npz OUT.npz

IN.npz holds uint8 RGB images [H,W,3]. The whole graph runs on each (`image_tensor`, so
its own resize and its non-max suppression loop included) and OUT.npz gets, for input
KEY, `KEY/boxes` (ymin, xmin, ymax, xmax, normalised), `KEY/scores` and `KEY/classes`
(COCO category ids), the first num_detections rows of detection_boxes/scores/classes.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import sys

# This directory holds copy.py (the plain-copy converter): never let it shadow `copy`.
sys.path.sort(key=lambda p: os.path.abspath(p or os.curdir) == os.path.dirname(os.path.abspath(__file__)))

from pathlib import Path

import numpy as np

FETCHES = {"boxes": "detection_boxes:0", "scores": "detection_scores:0", "classes": "detection_classes:0",
           "count": "num_detections:0"}


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    import tensorflow as tf

    graph_path, in_path, out_path = map(Path, sys.argv[1:])
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(graph_path.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    out: dict[str, np.ndarray] = {}
    with np.load(in_path) as images, tf.compat.v1.Session(graph=graph) as sess:
        for key in images.files:
            got = sess.run(FETCHES, {"image_tensor:0": images[key][np.newaxis]})
            n = int(got["count"][0])
            for name in ("boxes", "scores", "classes"):
                out[f"{key}/{name}"] = got[name][0, :n]
    np.savez(out_path, **out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
