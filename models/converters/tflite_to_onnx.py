#!/usr/bin/env python3
"""Convert one TFLite model to ONNX with tf2onnx, deterministically.

Usage (inside the build venv, see models/requirements-build.txt):

    python models/converters/tflite_to_onnx.py SOURCE_DIR OUT_FILE --graph-name NAME
        [--opset 13] [--rename OLD=NEW ...] [--doc TEXT] [--meta KEY=VALUE ...]
        [--max-abs-diff X]

fetch_models.py passes the manifest entry's `converter_args` after SOURCE_DIR and
OUT_FILE.  SOURCE_DIR must contain exactly one *.tflite file.

Steps:
  1. tf2onnx.convert.from_tflite (opset 13 by default).  Quantised (uint8) TFLite
     models become QuantizeLinear/DequantizeLinear (QDQ) graphs with the same uint8
     input/output tensors and quantisation parameters.
  2. graph inputs/outputs renamed with --rename (names not renamed keep their TFLite
     tensor names); the node order and every other name derived from the graph
     structure alone (onnx_canonical.canonicalise, structural_names=True: the TFLite
     names are long ';'-joined fused-op lists, and which of two merged quantise/
     dequantise names survives varies between runs); producer/doc fields fixed;
     fields explicitly set to their default (e.g. an empty node domain, set on some
     nodes only, differently per run) cleared; serialised with
     deterministic=True; onnx.checker (full_check).
  3. self-check: the TFLite interpreter and onnxruntime run the same seeded
     pseudo-random inputs (float inputs uniform in [-1, 1], uint8 inputs 0..255);
     the largest |difference| of any output must not exceed --max-abs-diff
     (in output units; quantised outputs are compared as integers).
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

SELF_CHECK_SAMPLES = 3


def pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        key, sep, val = v.partition("=")
        if not sep or not key:
            raise SystemExit(f"tflite_to_onnx: bad {what} {v!r} (expected KEY=VALUE)")
        out.append((key, val))
    return out


def find_tflite(source_dir: Path) -> Path:
    found = sorted(p for p in source_dir.rglob("*.tflite") if p.is_file())
    if len(found) != 1:
        raise SystemExit(f"tflite_to_onnx: expected one .tflite under {source_dir}, found {[str(p) for p in found]}")
    return found[0]


def rename_io(g, renames: dict[str, str]) -> None:
    io_names = {v.name for v in g.input} | {v.name for v in g.output}
    unknown = set(renames) - io_names
    if unknown:
        raise SystemExit(f"tflite_to_onnx: unknown --rename names {sorted(unknown)}; have {sorted(io_names)}")
    clash = (io_names - set(renames)) & set(renames.values())
    if clash:
        raise SystemExit(f"tflite_to_onnx: --rename targets clash with existing names {sorted(clash)}")
    for node in g.node:
        node.input[:] = [renames.get(i, i) for i in node.input]
        node.output[:] = [renames.get(o, o) for o in node.output]
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        vi.name = renames.get(vi.name, vi.name)


def convert(tflite: Path, opset: int, renames: dict[str, str], graph_name: str, doc: str, meta: list[tuple[str, str]]):
    import tf2onnx

    proto, _ = tf2onnx.convert.from_tflite(str(tflite), opset=opset)
    rename_io(proto.graph, renames)
    canonicalise(proto.graph, structural_names=True)
    pin_fields(proto, graph_name=graph_name, producer="medialens tflite_to_onnx",
               producer_version=f"tf2onnx {tf2onnx.__version__}", doc=doc, meta=tuple(meta))
    return proto


def self_check(tflite: Path, data: bytes, renames: dict[str, str], limit: float) -> dict[str, float]:
    """Max |TFLite - onnxruntime| per output on seeded pseudo-random inputs."""
    import onnxruntime as ort
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=str(tflite), num_threads=1)
    interp.allocate_tensors()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst: dict[str, float] = {}
    for _ in range(SELF_CHECK_SAMPLES):
        feeds = {}
        for d in interp.get_input_details():
            shape = tuple(int(s) for s in d["shape"])
            if d["dtype"] == np.float32:
                x = rng.uniform(-1.0, 1.0, shape).astype(np.float32)
            elif d["dtype"] == np.uint8:
                x = rng.integers(0, 256, shape, dtype=np.uint8)
            else:
                raise SystemExit(f"tflite_to_onnx: self-check does not handle input dtype {d['dtype']}")
            interp.set_tensor(d["index"], x)
            feeds[renames.get(d["name"], d["name"])] = x
        interp.invoke()
        names = [renames.get(d["name"], d["name"]) for d in interp.get_output_details()]
        got = dict(zip(names, sess.run(names, feeds), strict=True))
        for d, name in zip(interp.get_output_details(), names, strict=True):
            ref = interp.get_tensor(d["index"])
            if ref.shape != got[name].shape or ref.dtype != got[name].dtype:
                raise SystemExit(f"tflite_to_onnx: output {name}: TFLite {ref.dtype}{ref.shape} vs ONNX "
                                 f"{got[name].dtype}{got[name].shape}")
            diff = float(np.abs(ref.astype(np.float64) - got[name].astype(np.float64)).max())
            worst[name] = max(worst.get(name, 0.0), diff)
    for name, diff in worst.items():
        print(f"tflite_to_onnx: output {name}: TFLite vs onnxruntime max |diff| = {diff:.3g}", file=sys.stderr)
        if diff > limit:
            raise SystemExit(f"tflite_to_onnx: output {name} deviates from TFLite by {diff} > {limit}")
    return worst


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source_dir", type=Path)
    ap.add_argument("out_file", type=Path)
    ap.add_argument("--graph-name", required=True)
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--rename", action="append", default=[], metavar="OLD=NEW", help="graph input/output name")
    ap.add_argument("--doc", default="", help="model doc_string (provenance)")
    ap.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE", help="ONNX metadata_props entry")
    ap.add_argument("--max-abs-diff", type=float, default=1e-3, help="self-check tolerance, output units")
    args = ap.parse_args()

    import tensorflow as tf

    tf.random.set_seed(0)
    np.random.seed(0)

    tflite = find_tflite(args.source_dir)
    renames = dict(pairs(args.rename, "--rename"))
    proto = convert(tflite, args.opset, renames, args.graph_name, args.doc, pairs(args.meta, "--meta"))
    data = proto.SerializeToString(deterministic=True)
    worst = self_check(tflite, data, renames, args.max_abs_diff)

    args.out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out_file.with_name(args.out_file.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, args.out_file)

    def io(vis):
        return {
            v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in vis
        }

    print(
        json.dumps(
            {
                "file": str(args.out_file),
                "source": str(tflite.relative_to(args.source_dir)),
                "inputs": io(proto.graph.input),
                "outputs": io(proto.graph.output),
                "opset": args.opset,
                "self_check_max_abs_diff": worst,
                "bytes": len(data),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
