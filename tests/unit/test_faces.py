"""The faces analyser on real photos from the dev corpus (persons: boxes, embeddings, thumbnails)."""

from __future__ import annotations

import base64
import io
import json
from types import SimpleNamespace

import numpy as np
import pytest

from medialens.analysis import faces as faces_module
from medialens.analysis.decode import decode_image
from medialens.analysis.face_detect import (
    BLAZEFACE_OPTIONS,
    Detections,
    _inside_tile,
    iou_matrix,
    ssd_anchors,
    suppress_contained,
    weighted_nms,
)
from medialens.analysis.faces import FaceAnalyser, prominence
from medialens.schemas import Person
from medialens.settings import get_settings

GENERAL_PHOTOS = ["skimage_chelsea_cat.png", "skimage_coffee.png", "opencv_fruits.jpg", "opencv_leuven_street.jpg",
                  "skimage_rocket.jpg", "sklearn_flower.jpg", "dlib_dogs.jpg", "labelme_2011_000025.jpg"]


@pytest.fixture(scope="module")
def analyser() -> FaceAnalyser:
    return FaceAnalyser()


@pytest.fixture(scope="module")
def manifest(corpus) -> dict:
    return {entry["file"]: entry for entry in json.loads((corpus / "manifest.json").read_text())["images"]}


@pytest.fixture(scope="module")
def persons_of(analyser, corpus):
    cache: dict[str, list[dict]] = {}

    def run(relative: str) -> list[dict]:
        if relative not in cache:
            image = decode_image((corpus / relative).read_bytes(), max_pixels=10**9)
            cache[relative] = analyser.analyse(image)["person_ids"]
        return cache[relative]
    return run


def _pixel_boxes(persons: list[dict], width: int, height: int) -> np.ndarray:
    return np.array([[p["bounding_box"]["left"] * width, p["bounding_box"]["top"] * height,
                      (p["bounding_box"]["left"] + p["bounding_box"]["width"]) * width,
                      (p["bounding_box"]["top"] + p["bounding_box"]["height"]) * height] for p in persons],
                    np.float32).reshape(-1, 4)


def test_astronaut_is_one_face_where_her_face_is(persons_of):
    persons = persons_of("images/faces/skimage_astronaut.png")
    assert len(persons) == 1
    # Eileen Collins' face in the 512x512 picture spans roughly x 175-270, y 75-170.
    box = _pixel_boxes(persons, 512, 512)
    assert iou_matrix(box, np.array([[175, 75, 270, 170]], np.float32))[0, 0] >= 0.6
    person = persons[0]
    assert person["gender"] in ("female", "unidentified")  # never "male"
    assert 20 <= person["age"] <= 60
    assert person["relative_prominence"] > 0.6
    assert person["allowlisted"] is False
    Person.model_validate(person)


@pytest.mark.parametrize("name", ["dlib_voc_2007_007763.jpg", "dlib_voc_2008_002079.jpg", "dlib_voc_2008_001009.jpg"])
def test_group_photo_faces_match_the_labelled_boxes(persons_of, manifest, name):
    entry = manifest[f"images/faces/{name}"]
    labelled = [f for f in entry["ground_truth"]["faces"] if not f.get("ignore")]
    truth = np.array([[x, y, x + w, y + h] for x, y, w, h in (f["bbox_xywh"] for f in labelled)], np.float32)
    found = _pixel_boxes(persons_of(f"images/faces/{name}"), entry["width"], entry["height"])
    assert len(found), "no face found"
    iou = iou_matrix(truth, found)
    matched = int((iou.max(axis=1) >= 0.4).sum())
    assert matched >= 0.8 * len(truth), f"{matched} of {len(truth)} labelled faces found"
    unmatched = int((iou.max(axis=0) < 0.4).sum())
    assert unmatched <= 1, f"{unmatched} detections match no labelled face"


@pytest.mark.parametrize("name", GENERAL_PHOTOS)
def test_no_faces_on_photos_without_people(persons_of, name):
    assert persons_of(f"images/general/{name}") == []


def test_small_faces_of_the_solvay_group_are_found(persons_of):
    persons = persons_of("images/faces/solvay_1927_v2_640x440.jpg")  # 29 faces of ~20 px
    assert 26 <= len(persons) <= 30
    # Faces this small get no embedding (docs/persons.md), but every other field.
    assert all(p["face_embedding"] == [] and p["face_thumbnail"] for p in persons)
    assert sum(p["gender"] == "male" for p in persons) >= 20


def test_same_person_embeddings_are_closer_than_different_people(persons_of):
    def vector(name: str) -> np.ndarray:
        persons = persons_of(f"images/identity/face_recognition/{name}")
        assert len(persons) == 1
        return np.array(persons[0]["face_embedding"])

    obama, obama2, biden = vector("obama.jpg"), vector("obama2.jpg"), vector("biden.jpg")
    same = np.linalg.norm(obama - obama2)
    threshold = get_settings().allowlist_max_distance
    assert same < np.linalg.norm(obama - biden)
    assert same < np.linalg.norm(obama2 - biden)
    assert same <= threshold
    assert min(np.linalg.norm(obama - biden), np.linalg.norm(obama2 - biden)) > threshold


def test_every_person_has_well_formed_fields(persons_of):
    from PIL import Image

    everyone = [p for name in ("images/faces/skimage_astronaut.png", "images/faces/dlib_voc_2008_002079.jpg",
                               "images/faces/solvay_1927_v2_640x440.jpg", "images/identity/face_recognition/obama.jpg")
                for p in persons_of(name)]
    embedded = 0
    for person in everyone:
        Person.model_validate(person)
        box = person["bounding_box"]
        assert all(0 <= box[k] <= 1 for k in box)
        assert box["left"] + box["width"] <= 1.0001 and box["top"] + box["height"] <= 1.0001
        assert 0 <= person["relative_prominence"] <= 1
        assert person["gender"] in ("female", "male", "unidentified")
        if person["face_embedding"]:
            embedded += 1
            vector = np.array(person["face_embedding"])
            assert vector.shape == (128,)
            assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)
        with Image.open(io.BytesIO(base64.b64decode(person["face_thumbnail"], validate=True))) as thumb:
            assert thumb.format == "JPEG"
            assert max(thumb.size) <= 160
            assert thumb.size[0] == thumb.size[1] >= 32
    assert embedded >= 5


def test_the_most_prominent_face_comes_first(persons_of):
    persons = persons_of("images/faces/dlib_voc_2008_002079.jpg")
    ranks = [p["relative_prominence"] for p in persons]
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] > 0.5 and ranks[-1] < ranks[0]


def test_gender_is_unidentified_below_the_confidence_setting(analyser, corpus, monkeypatch):
    rgb = decode_image((corpus / "images/faces/skimage_astronaut.png").read_bytes(), max_pixels=10**9).rgb
    dets = analyser.detect(rgb)
    _, genders = analyser.age_gender(rgb, analyser.landmarks(rgb, dets))
    confidence = float(genders[0].max())
    assert 0.5 < confidence < 0.999
    monkeypatch.setattr(faces_module, "get_settings", lambda: SimpleNamespace(gender_min_confidence=confidence + 0.001))
    assert analyser.persons(rgb, dets)[0]["gender"] == "unidentified"
    monkeypatch.setattr(faces_module, "get_settings", lambda: SimpleNamespace(gender_min_confidence=confidence - 0.001))
    assert analyser.persons(rgb, dets)[0]["gender"] != "unidentified"


def test_no_person_on_a_blank_image(analyser):
    assert analyser.persons(np.full((300, 400, 3), 200, np.uint8)) == []


# ---- pure helpers --------------------------------------------------------------------------


def test_prominence_prefers_large_central_faces():
    boxes = np.array([[180, 130, 220, 170],   # 40 px, centred
                      [0, 0, 40, 40],         # 40 px, corner
                      [190, 140, 210, 160]],  # 20 px, centred
                     np.float32)
    ranks = prominence(boxes, 400, 300)
    assert ranks[0] == pytest.approx(1.0)
    assert ranks[1] == pytest.approx(0.5 + 0.5 * (1 - np.hypot(180, 130) / 250), abs=1e-6)
    assert ranks[2] == pytest.approx(0.5)
    assert prominence(np.zeros((0, 4), np.float32), 400, 300).shape == (0,)


def test_anchor_layouts_match_mediapipe():
    short = ssd_anchors(**{k: v for k, v in BLAZEFACE_OPTIONS["blazeface_short"].items()})
    full = ssd_anchors(**{k: v for k, v in BLAZEFACE_OPTIONS["blazeface_full"].items()})
    assert short.shape == (896, 2) and full.shape == (2304, 2)
    assert short[0] == pytest.approx([0.5 / 16, 0.5 / 16]) and short[1] == pytest.approx(short[0])
    assert short[512] == pytest.approx([0.5 / 8, 0.5 / 8])  # first anchor of the stride-16 layers
    assert full[1] == pytest.approx([1.5 / 48, 0.5 / 48])


def _dets(boxes: list[list[float]], scores: list[float]) -> Detections:
    b = np.array(boxes, np.float32)
    return Detections(b, np.zeros((len(b), 6, 2), np.float32), np.array(scores, np.float32))


def test_weighted_nms_merges_overlaps_and_keeps_separate_faces():
    merged = weighted_nms(_dets([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], [0.9, 0.6, 0.7]), 0.3)
    assert len(merged) == 2
    assert merged.scores.tolist() == pytest.approx([0.9, 0.7])
    assert merged.boxes[0, 0] == pytest.approx(0.6 / 1.5)  # score-weighted mean of 0 and 1


def test_face_parts_inside_a_larger_face_are_dropped():
    kept = suppress_contained(_dets([[0, 0, 100, 100], [20, 20, 40, 40], [150, 0, 170, 20]], [0.9, 0.8, 0.8]))
    assert kept.boxes[:, 0].tolist() == [0, 150]


def test_faces_cut_by_an_inner_tile_edge_are_dropped():
    dets = _dets([[-8, 10, 20, 40], [170, 10, 200, 40], [50, 50, 80, 80]], [0.9, 0.9, 0.9])
    assert len(_inside_tile(dets, 192, 192, inner=(True, True, True, True))) == 1
    assert len(_inside_tile(dets, 192, 192, inner=(False, False, False, False))) == 3


@pytest.mark.parametrize("shape", [(1, 1), (3, 2000), (2000, 3), (100, 4096), (191, 193)])
def test_odd_image_shapes_are_searched_without_error(analyser, shape):
    pixels = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    dets, stats = analyser.detector.detect(pixels)
    assert len(dets) == 0 and stats.tiles <= analyser.detector.config.max_tiles
    assert analyser.persons(pixels) == []


def test_a_face_too_small_to_embed_in_the_reduced_decode_is_embedded_from_the_full_pixels(
        analyser, corpus, monkeypatch):
    from PIL import Image

    with Image.open(corpus / "images/identity/face_recognition/obama.jpg") as img:
        portrait = img.convert("RGB").resize((600, 750))  # his face ~220 px wide
    canvas = Image.new("RGB", (4000, 3000), (90, 110, 80))
    canvas.paste(portrait, (1700, 1100))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=92)
    image = decode_image(out.getvalue(), max_pixels=10**9)
    assert image.reduction == 2  # decoded at 2000x1500, the face ~110 px there
    embedded: list[int] = []
    monkeypatch.setattr(faces_module, "MIN_EMBED_FACE_PX", 160)  # too small to embed at 2000 px, not at 4000
    monkeypatch.setattr(analyser, "embeddings",
                        lambda rgb, shapes: embedded.append(rgb.shape[1]) or [[0.0] * 128 for _ in shapes])
    persons = analyser.analyse(image)["person_ids"]
    assert len(persons) == 1 and embedded == [4000]  # embedded from the full-resolution pixels
    assert 0.04 < persons[0]["bounding_box"]["width"] < 0.08  # boxes stay relative to the image


def test_the_onnx_face_encoder_gives_dlibs_own_descriptors(analyser, corpus):
    import dlib

    from medialens.analysis.modelfiles import model_path

    reference = dlib.face_recognition_model_v1(str(model_path("dlib_face_recognition_resnet")))
    shapes, rgbs = [], []
    for name in ("images/identity/face_recognition/obama.jpg", "images/faces/solvay_1927_v2_640x440.jpg"):
        rgb = decode_image((corpus / name).read_bytes(), max_pixels=10**9).rgb
        found = analyser.landmarks(rgb, analyser.detect(rgb))[:4]
        shapes += found
        rgbs += [rgb] * len(found)
    assert len(shapes) >= 3
    for rgb, shape in zip(rgbs, shapes, strict=True):
        chip = dlib.get_face_chip(rgb, shape, size=150, padding=0.25)
        expected = np.asarray(reference.compute_face_descriptor(chip))
        expected /= np.linalg.norm(expected)
        assert np.abs(np.asarray(analyser.embeddings(rgb, [shape])[0]) - expected).max() < 1e-4
