#!/usr/bin/env python3
"""dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1.dat) → ONNX.

    python models/converters/dlib_resnet_to_onnx.py SOURCE_DIR OUT_FILE

Why: dlib-bin runs this network without BLAS, ~73 ms per face on one core; onnxruntime
runs the same arithmetic several times faster. The weights are read from dlib's own
serialisation and laid out as the network dlib_face_recognition_resnet_model_v1 is
(dlib/examples/dnn_face_recognition_ex.cpp, `anet_type`):

    input_rgb_image_sized<150>  (pixel - (122.782, 117.001, 104.298)) / 256, RGB
    con 32 7x7 /2 → affine → relu → max_pool 3x3 /2
    alevel4: 3 x ares<32>;  alevel3: ares_down<64>, 3 x ares<64>;
    alevel2: ares_down<128>, 2 x ares<128>;  alevel1: ares_down<256>, 2 x ares<256>;
    alevel0: ares_down<256>
    avg_pool_everything → fc_no_bias 128          (loss_metric: the 128 values as they are)

    ares<N>      = relu(x + affine(con3x3(relu(affine(con3x3(x))))))
    ares_down<N> = relu(avg_pool2x2/2(x) + block with a /2 first con)

dlib adds tensors of different shapes by padding the smaller with zeros (channels, and
the bottom/right rows: at 8x8 the /2 block gives 3x3, the pooled shortcut 4x4), which the
graph does with Pad before Add. Affine layers are the frozen batch norms (y = gamma·x +
beta). The serialisation (dlib/serialize.h, dlib/cuda/tensor.h, dlib/dnn/layers.h):
integers are a control byte (size, 0x80 = negative) and that many little-endian bytes,
strings an integer length and the bytes, tensors version 2, four dims and raw float32.
Layer details appear innermost first (each layer writes its input's subnetwork first).

Input of the ONNX model: float32 N x 3 x 150 x 150, already `(rgb - mean) / 256` (the
caller does what dlib's input layer does); output: N x 128. The converter checks the
graph's shape on a zero input; tests/unit/test_faces.py checks it against dlib itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT_SIZE = 150
LEVELS = [(32, 3, False), (64, 4, True), (128, 3, True), (256, 3, True), (256, 1, True)]  # (N, blocks, first is down)


class Reader:
    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def int(self) -> int:
        control = self.data[self.pos]
        size, negative = control & 0x0F, bool(control & 0x80)
        value = int.from_bytes(self.data[self.pos + 1:self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if negative else value

    def string(self) -> str:
        n = self.int()
        text = self.data[self.pos:self.pos + n].decode("ascii")
        self.pos += n
        return text

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise ValueError(f"tensor version at {self.pos} is not 2")
        dims = [self.int() for _ in range(4)]
        count = int(np.prod(dims))
        values = np.frombuffer(self.data, "<f4", count, self.pos).reshape(dims).copy()
        self.pos += 4 * count
        return values

    def alias(self) -> tuple[int, ...]:
        if self.int() != 1:
            raise ValueError(f"alias tensor version at {self.pos} is not 1")
        return tuple(self.int() for _ in range(4))


def _positions(data: bytes, name: str) -> list[int]:
    marker = bytes([1, len(name)]) + name.encode()
    found, start = [], 0
    while (at := data.find(marker, start)) >= 0:
        found.append(at)
        start = at + 1
    return found


def read_layers(data: bytes) -> tuple[list[dict], list[dict], np.ndarray]:
    """(convolutions, affines, fc weights) in the order they are applied."""
    convs = []
    for at in _positions(data, "con_4"):
        r = Reader(data, at)
        r.string()
        params = r.tensor().ravel()
        num_filters, nr, nc, stride_y, stride_x, pad_y, pad_x = (r.int() for _ in range(7))
        filters, biases = r.alias(), r.alias()
        n_weights = int(np.prod(filters))
        convs.append({"weights": params[:n_weights].reshape(filters), "bias": params[n_weights:],
                      "kernel": (nr, nc), "stride": (stride_y, stride_x), "pad": (pad_y, pad_x),
                      "filters": num_filters, "bias_shape": biases})
    affines = []
    for at in _positions(data, "affine_"):
        r = Reader(data, at)
        r.string()
        params = r.tensor().ravel()
        gamma = r.alias()
        k = int(np.prod(gamma))
        affines.append({"gamma": params[:k], "beta": params[k:2 * k]})
    fcs = [at for name in ("fc_2", "fc_3") for at in _positions(data, name)]
    if len(fcs) != 1:
        raise ValueError(f"expected one fc layer, found {len(fcs)}")
    r = Reader(data, fcs[0])
    r.string()
    outputs, inputs = r.int(), r.int()
    weights = r.tensor().ravel()[:inputs * outputs].reshape(inputs, outputs)
    return convs, affines, weights


class Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}_{self.count}"

    def const(self, value: np.ndarray, kind: str) -> str:
        name = self.name(kind)
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], **attrs) -> str:
        out = self.name(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def conv(self, x: str, layer: dict) -> str:
        return self.op("Conv", [x, self.const(layer["weights"].astype(np.float32), "w"),
                                self.const(layer["bias"].astype(np.float32), "b")],
                       kernel_shape=list(layer["kernel"]), strides=list(layer["stride"]),
                       pads=[layer["pad"][0], layer["pad"][1], layer["pad"][0], layer["pad"][1]])

    def affine(self, x: str, layer: dict) -> str:
        k = layer["gamma"].size
        scaled = self.op("Mul", [x, self.const(layer["gamma"].reshape(1, k, 1, 1).astype(np.float32), "gamma")])
        return self.op("Add", [scaled, self.const(layer["beta"].reshape(1, k, 1, 1).astype(np.float32), "beta")])


def _out(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def build(convs: list[dict], affines: list[dict], fc: np.ndarray) -> onnx.ModelProto:
    if len(convs) != 29 or len(affines) != 29:
        raise ValueError(f"expected 29 convolutions and affines, found {len(convs)} and {len(affines)}")
    g = Graph()
    layers = iter(zip(convs, affines, strict=True))
    con, aff = next(layers)
    x = g.op("Relu", [g.affine(g.conv("input", con), aff)])
    size = _out(INPUT_SIZE, con["kernel"][0], con["stride"][0], con["pad"][0])
    x = g.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])
    size, channels = _out(size, 3, 2, 0), con["filters"]
    for width, blocks, down in LEVELS:
        for b in range(blocks):
            shortcut, shortcut_size, shortcut_channels = x, size, channels
            con, aff = next(layers)
            y = g.op("Relu", [g.affine(g.conv(x, con), aff)])
            y_size = _out(size, con["kernel"][0], con["stride"][0], con["pad"][0])
            con, aff = next(layers)
            y = g.affine(g.conv(y, con), aff)
            y_size = _out(y_size, con["kernel"][0], con["stride"][0], con["pad"][0])
            if down and b == 0:
                shortcut = g.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
                shortcut_size = _out(size, 2, 2, 0)
            size, channels = max(y_size, shortcut_size), max(width, shortcut_channels)
            # dlib's add_prev: the smaller operand padded with zeros (channels, bottom/right)
            y = _pad_to(g, y, width, y_size, channels, size)
            shortcut = _pad_to(g, shortcut, shortcut_channels, shortcut_size, channels, size)
            x = g.op("Relu", [g.op("Add", [y, shortcut])])
    pooled = g.op("Flatten", [g.op("GlobalAveragePool", [x])])
    out = g.op("MatMul", [pooled, g.const(fc.astype(np.float32), "fc")])
    g.nodes.append(helper.make_node("Identity", [out], ["embedding"]))
    graph = helper.make_graph(
        g.nodes, "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", fc.shape[1]])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="medialens")
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def _pad_to(g: Graph, x: str, channels: int, size: int, want_channels: int, want_size: int) -> str:
    if (channels, size) == (want_channels, want_size):
        return x
    pads = np.array([0, 0, 0, 0, 0, want_channels - channels, want_size - size, want_size - size], np.int64)
    return g.op("Pad", [x, g.const(pads, "pads")], mode="constant")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source_dir, out_file = Path(argv[0]), Path(argv[1])
    files = [p for p in source_dir.rglob("*.dat") if p.is_file()]
    if len(files) != 1:
        print(f"expected one .dat under {source_dir}, found {files}", file=sys.stderr)
        return 1
    data = files[0].read_bytes()
    convs, affines, fc = read_layers(data)
    model = build(convs, affines, fc)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_bytes(model.SerializeToString())
    print(f"dlib_resnet_to_onnx: {len(convs)} convolutions, {len(affines)} affines, fc {fc.shape} -> {out_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
