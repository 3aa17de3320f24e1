#!/usr/bin/env python3
"""Convert the nsfwjs MobileNetV2 tfjs *layers* model to ONNX, deterministically.

Usage (inside the build venv, see models/requirements-build.txt):

    python models/converters/nsfwjs_to_onnx.py SOURCE_DIR OUT_FILE

SOURCE_DIR must contain, exactly as shipped in the npm package nsfwjs@4.3.0:
    dist/models/mobilenet_v2/model.min.js            (topology + weights manifest)
    dist/models/mobilenet_v2/group1-shard1of1.min.js (base64 uint8-quantised weights)

Both files are browserify bundles whose module.exports is a plain value (an object
literal and a base64 string).  They are evaluated with `node` in an empty `vm`
context (no require, no fs) and re-emitted as JSON.

Steps:
  1. topology -> tf_keras.models.model_from_json
  2. weights  -> dequantised exactly like tfjs-core's io_utils.decodeWeights
                 (float64 q*scale+min, stored as float32)
  3. tf2onnx.convert.from_keras, opset 13, input "input" NHWC float32 [N,224,224,3]
  4. output renamed to "probabilities"; producer/doc strings fixed; serialised
     deterministically; checked with onnx.checker and (if installed) compared
     against Keras with onnxruntime.
"""

from __future__ import annotations

import os

# Must be set before TensorFlow is imported: quiet logs, no GPU, no oneDNN graph
# rewrites (they can change numerics of constant folding), deterministic ops.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_DETERMINISTIC_OPS"] = "1"

import sys

# Sibling modules (onnx_canonical) are imported from this directory, which also holds
# copy.py (the plain-copy converter): put it last on sys.path so that it never
# shadows the standard library's `copy` (stable sort: entries for this directory move
# to the end).  fetch_models.py also sets PYTHONSAFEPATH=1.
sys.path.sort(key=lambda p: os.path.abspath(p or os.curdir) == os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.dirname(os.path.abspath(__file__)))

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from onnx_canonical import canonicalise, pin_fields

MODEL_JS = "dist/models/mobilenet_v2/model.min.js"
SHARD_JS = "dist/models/mobilenet_v2/group1-shard1of1.min.js"
SHARD_NAME = "group1-shard1of1"
INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"
OPSET = 13
LABELS = ["drawing", "hentai", "neutral", "porn", "sexy"]

# Evaluates each browserify bundle in a bare vm context and prints one JSON
# document: {"model": <module.exports of model.min.js>, "shard_b64": <string>}.
NODE_DUMP = r"""
const fs = require('fs'), vm = require('vm');
function load(file) {
  const module = { exports: {} };
  const ctx = vm.createContext({ module: module, exports: module.exports });
  vm.runInContext(fs.readFileSync(file, 'utf8'), ctx, { filename: file });
  return module.exports;
}
const model = load(process.argv[2]);
const shard = load(process.argv[3]);
if (typeof shard !== 'string') throw new Error('shard bundle did not export a string');
process.stdout.write(JSON.stringify({ model: model, shard_b64: shard }));
"""


def load_tfjs_bundle(source_dir: Path) -> tuple[dict, bytes]:
    node = shutil.which("node")
    if not node:
        sys.exit("nsfwjs_to_onnx: `node` is required to evaluate the .min.js bundles")
    model_js, shard_js = source_dir / MODEL_JS, source_dir / SHARD_JS
    for p in (model_js, shard_js):
        if not p.is_file():
            sys.exit(f"nsfwjs_to_onnx: missing source file {p}")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "dump.cjs"  # .cjs: immune to any surrounding package.json "type"
        script.write_text(NODE_DUMP)
        out = subprocess.run(
            [node, str(script), str(model_js), str(shard_js)],
            check=True,
            stdout=subprocess.PIPE,
            cwd=tmp,
        ).stdout
    doc = json.loads(out)
    return doc["model"], base64.b64decode(doc["shard_b64"], validate=True)


def dequantise(model: dict, shard: bytes) -> dict[str, np.ndarray]:
    groups = model["weightsManifest"]
    if len(groups) != 1 or groups[0]["paths"] != [SHARD_NAME]:
        raise ValueError(f"unexpected weights manifest groups: {[g['paths'] for g in groups]}")
    weights: dict[str, np.ndarray] = {}
    offset = 0
    for spec in groups[0]["weights"]:
        shape = tuple(spec["shape"])
        n = int(np.prod(shape, dtype=np.int64))
        q = spec.get("quantization")
        if spec["dtype"] != "float32" or not q or q.get("dtype") != "uint8":
            raise ValueError(f"unsupported weight encoding for {spec['name']}: {spec}")
        raw = np.frombuffer(shard, dtype=np.uint8, count=n, offset=offset)
        offset += n
        # tfjs-core io_utils.decodeWeights: values[i] = v * scale + min, computed in
        # float64 (JS numbers) and stored into a Float32Array.
        vals = (raw.astype(np.float64) * float(q["scale"]) + float(q["min"])).astype(np.float32)
        if spec["name"] in weights:
            raise ValueError(f"duplicate weight {spec['name']}")
        weights[spec["name"]] = vals.reshape(shape)
    if offset != len(shard):
        raise ValueError(f"weights shard has {len(shard)} bytes, manifest describes {offset}")
    return weights


def build_keras(model: dict, weights: dict[str, np.ndarray]):
    import tf_keras

    topo = model["modelTopology"]
    cfg = {"class_name": topo["model_config"]["class_name"], "config": topo["model_config"]["config"]}
    keras_model = tf_keras.models.model_from_json(json.dumps(cfg))
    used: set[str] = set()
    for layer in keras_model.layers:
        if not layer.weights:
            continue
        values = []
        for w in layer.weights:
            short = w.name.split(":")[0].split("/")[-1]
            key = f"{layer.name}/{short}"
            if key not in weights:
                raise KeyError(f"no tfjs weight for {key} (keras variable {w.name})")
            if tuple(w.shape) != weights[key].shape:
                raise ValueError(f"shape mismatch for {key}: {w.shape} vs {weights[key].shape}")
            values.append(weights[key])
            used.add(key)
        layer.set_weights(values)
    unused = set(weights) - used
    if unused:
        raise ValueError(f"tfjs weights not used by the Keras model: {sorted(unused)}")
    last = keras_model.layers[-1]
    softmax = getattr(getattr(last, "activation", None), "__name__", None) == "softmax"
    return keras_model, softmax


def to_onnx(keras_model):
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, 224, 224, 3), tf.float32, name=INPUT_NAME),)
    proto, _ = tf2onnx.convert.from_keras(keras_model, input_signature=spec, opset=OPSET)

    g = proto.graph
    if len(g.input) != 1 or len(g.output) != 1:
        raise ValueError("expected exactly one input and one output")
    old_out = g.output[0].name
    for node in g.node:
        node.output[:] = [OUTPUT_NAME if o == old_out else o for o in node.output]
        node.input[:] = [OUTPUT_NAME if i == old_out else i for i in node.input]
        node.doc_string = ""
    g.output[0].name = OUTPUT_NAME
    g.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    g.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
    canonicalise(g)
    pin_fields(
        proto,
        graph_name="nsfwjs_mobilenet_v2",
        producer="medialens nsfwjs_to_onnx",
        producer_version=f"tf2onnx {tf2onnx.__version__}",
        doc="nsfwjs@4.3.0 mobilenet_v2 (MIT, Infinite Red), converted from tfjs layers model",
        meta=(
            ("labels", ",".join(LABELS)),
            ("input_range", "RGB float32 in [0,1] (pixel/255), NHWC 224x224"),
            ("source", "npm nsfwjs@4.3.0 dist/models/mobilenet_v2"),
        ),
        clear_defaults=False,
    )
    return proto


def self_check(keras_model, data: bytes) -> None:
    """Compare ONNX against Keras on fixed pseudo-random inputs if onnxruntime is present."""
    try:
        import onnxruntime as ort
    except ImportError:
        print("nsfwjs_to_onnx: onnxruntime not installed, skipping self-check", file=sys.stderr)
        return
    x = np.random.default_rng(0).random((4, 224, 224, 3), dtype=np.float32)
    ref = keras_model(x, training=False).numpy()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    got = sess.run([OUTPUT_NAME], {INPUT_NAME: x})[0]
    diff = float(np.abs(ref - got).max())
    print(f"nsfwjs_to_onnx: keras vs onnxruntime max |diff| = {diff:.3g}", file=sys.stderr)
    if diff > 1e-4:
        raise SystemExit(f"nsfwjs_to_onnx: ONNX output deviates from Keras by {diff}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source_dir", type=Path)
    ap.add_argument("out_file", type=Path)
    args = ap.parse_args()

    import tensorflow as tf

    tf.random.set_seed(0)
    np.random.seed(0)

    model, shard = load_tfjs_bundle(args.source_dir)
    weights = dequantise(model, shard)
    keras_model, softmax = build_keras(model, weights)
    proto = to_onnx(keras_model)
    data = proto.SerializeToString(deterministic=True)
    self_check(keras_model, data)

    args.out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out_file.with_name(args.out_file.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, args.out_file)
    print(
        json.dumps(
            {
                "file": str(args.out_file),
                "input": INPUT_NAME,
                "output": OUTPUT_NAME,
                "opset": OPSET,
                "softmax_applied": softmax,
                "bytes": len(data),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
