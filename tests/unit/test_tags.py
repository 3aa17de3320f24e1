"""The tags analyser: real corpus photos through both models, and the vocabulary's rules."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest

from medialens.analysis import tags as tags_module
from medialens.analysis import vocabulary
from medialens.analysis.decode import decode_image
from medialens.analysis.modelfiles import model_path
from medialens.analysis.tags import (
    CLASS_FLOOR,
    DETECTOR_SIZE,
    Detection,
    TagsAnalyser,
    Vocabulary,
    class_nms,
    vocabulary_problems,
)
from medialens.schemas import Tag
from medialens.settings import DEFAULT_CRITICAL_TAGS, get_settings


@pytest.fixture(scope="module")
def tagger() -> TagsAnalyser:
    return TagsAnalyser()


@pytest.fixture(scope="module")
def labels() -> list[str]:
    return [line for line in model_path("imagenet_labels").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def vocab(labels) -> Vocabulary:
    return Vocabulary(labels)


@pytest.fixture(scope="module")
def tag_lists(tagger, corpus) -> dict[str, list[dict]]:
    files = {
        "cat": "images/general/skimage_chelsea_cat.png",
        "coffee": "images/general/skimage_coffee.png",
        "dogs": "images/general/dlib_dogs.jpg",
        "fruits": "images/general/opencv_fruits.jpg",
        "street": "images/general/opencv_leuven_street.jpg",
        "buses": "images/general/labelme_2011_000025.jpg",
        "group": "images/faces/dlib_voc_2007_007763.jpg",
    }
    out = {}
    for name, rel in files.items():
        image = decode_image((corpus / rel).read_bytes(), max_pixels=10**8)
        out[name] = tagger.analyse(image)["tags"]
    return out


def probs(tag_list: list[dict]) -> dict[str, float]:
    return {t["tag"]: t["probability"] for t in tag_list}


# ---- real photos through both models ------------------------------------------------------


def test_cat_photo(tag_lists):
    cat = probs(tag_lists["cat"])
    assert cat["cat"] >= 0.5 and cat["animal"] >= cat["cat"] and cat["pet"] >= cat["cat"]
    assert "dog" not in cat and "person" not in cat
    assert tag_lists["cat"][0]["tag"] in {"cat", "animal", "pet"}


def test_coffee_photo(tag_lists):
    coffee = probs(tag_lists["coffee"])
    assert coffee["coffee"] >= 0.5 and coffee["cup"] >= 0.5 and coffee["drink"] >= coffee["coffee"]
    assert "weapon" not in coffee


def test_dog_collage(tag_lists):
    dogs = probs(tag_lists["dogs"])
    assert dogs["dog"] >= 0.5 and dogs["animal"] >= dogs["dog"]
    assert "cat" not in dogs


def test_fruit_photo(tag_lists):
    fruits = probs(tag_lists["fruits"])
    assert fruits["fruit"] >= 0.5 and fruits["food"] >= fruits["fruit"]
    assert {"orange", "lemon"} & set(fruits)


def test_street_photo_is_outdoors_with_buildings(tag_lists):
    street = probs(tag_lists["street"])
    assert {"street", "outdoor"} & set(street)
    assert "building" in street
    assert "indoor" not in street


def test_bus_photo(tag_lists):
    buses = probs(tag_lists["buses"])
    assert buses["bus"] >= 0.5 and buses["vehicle"] >= buses["bus"]
    assert {"street", "outdoor"} <= set(buses)


def test_group_photo_counts_people(tag_lists):
    group = probs(tag_lists["group"])
    assert group["person"] >= group["people"] >= group["group photo"] >= 0.5


def test_tag_lists_are_unique_sorted_and_valid(tag_lists):
    for name, tag_list in tag_lists.items():
        words = [t["tag"] for t in tag_list]
        assert len(words) == len(set(words)), name
        values = [t["probability"] for t in tag_list]
        assert values == sorted(values, reverse=True), name
        for t in tag_list:
            Tag.model_validate(t)
            assert 0 < t["probability"] <= 1 and t["probability"] >= get_settings().tag_min_probability
            assert t["is_critical"] is False


def test_flat_grey_image_has_no_confident_tags(tagger):
    for value in (0, 128, 255):
        image = decode_image(_png_of_colour(value), max_pixels=10**8)
        assert all(t["probability"] < 0.3 for t in tagger.analyse(image)["tags"]), value


def test_classifier_and_detector_see_the_pixels(tagger, corpus, labels):
    image = decode_image((corpus / "images/general/skimage_chelsea_cat.png").read_bytes(), max_pixels=10**8)
    p = tagger.class_probabilities(image.rgb)
    assert p.shape == (1000,) and 0.9 <= float(p.sum()) <= 1.01
    assert "cat" in labels[int(np.argmax(p))].lower()
    detections = tagger.detect(image.rgb)
    assert [d.label for d in detections if d.score >= 0.8] == ["cat"]
    left, top, right, bottom = next(d.box for d in detections if d.label == "cat")
    assert 0 <= left < right <= 1 and 0 <= top < bottom <= 1 and (right - left) * (bottom - top) > 0.2


def test_detector_gives_what_the_tf_graph_gives(tagger, corpus):
    # The frozen TF graph's own output on these pixels (benchmarks/ssd_onnx_vs_opencv.py): cat 0.9113,
    # ymin, xmin, ymax, xmax = 0.0028, 0.0193, 0.9891, 0.9044.
    image = decode_image((corpus / "images/general/skimage_chelsea_cat.png").read_bytes(), max_pixels=10**8)
    small = cv2.resize(image.rgb, (DETECTOR_SIZE, DETECTOR_SIZE), interpolation=cv2.INTER_AREA)
    [cat] = tagger.detect(small)
    assert cat.label == "cat" and cat.score == pytest.approx(0.9113, abs=1e-3)
    assert cat.box == pytest.approx((0.0193, 0.0028, 0.9044, 0.9891), abs=1e-3)


# ---- the detector's non-max suppression (boxes ymin, xmin, ymax, xmax; score column 0 = background) ----


def nms(boxes: list[list[float]], scores: list[list[float]], max_total: int = 100) -> list[tuple]:
    return class_nms(np.array(boxes, np.float32), np.array(scores, np.float32), 0.5, 0.6, max_total)


def test_nms_keeps_the_best_of_overlapping_boxes_of_one_class():
    out = nms([[0, 0, 1, 1], [0, 0, 1, 0.9]], [[0, 0.7], [0, 0.8]])
    assert [(c, round(s, 3), b) for c, s, b in out] == [(1, 0.8, pytest.approx((0, 0, 1, 0.9)))]


def test_nms_does_not_suppress_across_classes():
    out = nms([[0, 0, 1, 1], [0, 0, 1, 0.9]], [[0, 0.7, 0], [0, 0, 0.8]])
    assert [c for c, _, _ in out] == [2, 1]


def test_nms_iou_threshold():
    # IoU of [0,0,1,1] and [0,0,1,w] is w: 0.59 keeps both; 0.6 too (TF suppresses only IoU > threshold)
    for width, kept in ((0.59, 2), (0.6, 2), (0.61, 1)):
        assert len(nms([[0, 0, 1, 1], [0, 0, 1, width]], [[0, 0.9], [0, 0.8]])) == kept, width


def test_nms_filters_clips_sorts_and_caps():
    boxes = [[-0.2, 0.1, 0.5, 1.3], [0.6, 0.6, 0.9, 0.9], [0.1, 0.1, 0.2, 0.2], [1.1, 0, 1.5, 1], [0, 0, 0.3, 0.3]]
    scores = [[0.99, 0.6], [0, 0.95], [0, 0.49], [0, 0.9], [0.9, 0.5]]
    # background column ignored, 0.49 below min_score, box 3 has no area left inside the image
    out = nms(boxes, scores)
    assert [(c, round(s, 2)) for c, s, _ in out] == [(1, 0.95), (1, 0.6), (1, 0.5)]
    assert out[1][2] == pytest.approx((0, 0.1, 0.5, 1))  # clipped to the image
    assert len(nms(boxes, scores, max_total=2)) == 2
    assert nms(boxes, np.zeros((5, 91)).tolist()) == []


# ---- the vocabulary ------------------------------------------------------------------------


def test_vocabulary_matches_the_label_files(labels):
    names = [label.split(",")[0].strip() for label in labels]
    assert vocabulary_problems(names) == []


def test_vocabulary_check_catches_mistakes(labels, monkeypatch):
    names = [label.split(",")[0].strip() for label in labels]
    monkeypatch.setitem(vocabulary.IMAGENET, "Egyptian kat", ("cat",))
    monkeypatch.setitem(vocabulary.IMAGENET, "crane", ("crane",))  # ambiguous: two classes are named crane
    monkeypatch.setitem(vocabulary.PARENTS, "animal", ("cat",))  # cycle
    problems = " | ".join(vocabulary_problems(names))
    assert "'Egyptian kat'" in problems and "'crane'" in problems and "cycle" in problems
    monkeypatch.undo()
    monkeypatch.setattr(tags_module, "PLACE_RULES", {"street": (vocabulary.Word("trafic light", 1.0),)})
    assert "trafic light" in " ".join(vocabulary_problems(names))
    with pytest.raises(ValueError, match="trafic light"):
        Vocabulary(labels)


def one_hot(vocab: Vocabulary, **classes: float) -> np.ndarray:
    p = np.zeros(1000, np.float32)
    for name, value in classes.items():
        p[vocab.imagenet_names.index(name.replace("_", " "))] = value
    return p


def test_parents_sum_exclusive_imagenet_classes(vocab):
    p = one_hot(vocab, beagle=0.3, pug=0.25, Egyptian_cat=0.2)
    p[vocab.imagenet_names.index("tabby")] = CLASS_FLOOR / 2  # below the floor: ignored
    s = vocab.scores(p, [])
    assert s["beagle"] == pytest.approx(0.3) and s["pug"] == pytest.approx(0.25)
    assert s["dog"] == pytest.approx(0.55)
    assert s["cat"] == pytest.approx(0.2)
    assert s["animal"] == pytest.approx(0.75) and s["pet"] == pytest.approx(0.75)


def test_detector_words_take_the_best_score_and_merge_with_max(vocab):
    detections = [Detection("cup", 0.6, (0, 0, 1, 1)), Detection("cup", 0.9, (0, 0, 1, 1))]
    s = vocab.scores(one_hot(vocab, espresso=0.7, cup=0.2), detections)
    assert s["cup"] == pytest.approx(0.9)  # max(ImageNet 0.2, detector 0.9), not a sum of the two cups
    assert s["coffee"] == pytest.approx(0.7) and s["drink"] == pytest.approx(0.7)


def test_person_counts(vocab):
    detections = [Detection("person", score, (0, 0, 1, 1)) for score in (0.9, 0.8, 0.7, 0.6)]
    s = vocab.scores(np.zeros(1000, np.float32), detections)
    assert (s["person"], s["people"], s["group photo"]) == pytest.approx((0.9, 0.8, 0.7))
    assert "crowd" not in s
    # three passers-by far away are people, not a group photo
    small = [Detection("person", score, (0, 0.5, 0.1, 0.6)) for score in (0.9, 0.8, 0.7)]
    s = vocab.scores(np.zeros(1000, np.float32), small)
    assert s["people"] == pytest.approx(0.8) and "group photo" not in s
    ten = [Detection("person", 0.6, (0, 0, 1, 1))] * 10
    assert vocab.scores(np.zeros(1000, np.float32), ten)["crowd"] == pytest.approx(0.6)


def test_street_rules(vocab):
    none = np.zeros(1000, np.float32)
    one_car = vocab.scores(none, [Detection("car", 0.9, (0, 0, 1, 1))])
    assert "street" not in one_car and one_car["outdoor"] == pytest.approx(0.7 * 0.9)
    two = vocab.scores(none, [Detection("car", 0.9, (0, 0, 1, 1)), Detection("bus", 0.6, (0, 0, 1, 1))])
    assert two["street"] == pytest.approx(0.8 * 0.6)
    light = vocab.scores(none, [Detection("traffic light", 0.8, (0, 0, 1, 1))])
    assert light["street"] == pytest.approx(0.9 * 0.8) and light["outdoor"] >= light["street"]


def test_places_named_by_imagenet_classes(vocab):
    s = vocab.scores(one_hot(vocab, seashore=0.5, sandbar=0.2), [])
    assert s["beach"] == pytest.approx(0.7) and s["sea"] == pytest.approx(0.5)
    assert s["water"] >= 0.7 and s["outdoor"] >= 0.7
    s = vocab.scores(one_hot(vocab, alp=0.6, valley=0.3), [])
    assert s["mountain"] == pytest.approx(0.6) and s["snow"] == pytest.approx(0.6)
    assert s["outdoor"] == pytest.approx(0.9)  # alp and valley both imply landscape → outdoor
    none = np.zeros(1000, np.float32)
    kitchen = vocab.scores(none, [Detection("oven", 0.8, (0, 0, 1, 1)), Detection("refrigerator", 0.7, (0, 0, 1, 1))])
    assert kitchen["kitchen"] == pytest.approx(0.95 * 0.7) and kitchen["indoor"] >= 0.7 and "outdoor" not in kitchen
    assert vocab.scores(none, []) == {}


def test_indoor_and_outdoor_exclude_each_other(vocab):
    detections = [Detection("couch", 0.9, (0, 0, 1, 1)), Detection("car", 0.9, (0, 0, 1, 1))]
    s = vocab.scores(np.zeros(1000, np.float32), detections)
    indoor, outdoor = 0.9 * 0.9, 0.7 * 0.9  # each alone
    assert s["indoor"] < indoor and s["outdoor"] < outdoor and s["indoor"] > s["outdoor"]
    assert s["indoor"] + s["outdoor"] <= 1.0


def test_weapons_emit_the_critical_words(vocab):
    s = vocab.scores(one_hot(vocab, revolver=0.6), [])
    assert {"revolver", "pistol", "gun", "weapon"} <= set(s)
    s = vocab.scores(one_hot(vocab, assault_rifle=0.4, rifle=0.3), [])
    assert s["rifle"] == pytest.approx(0.7) and s["gun"] == pytest.approx(0.7) and s["weapon"] == pytest.approx(0.7)
    for name, word in (("cannon", "cannon"), ("missile", "missile"), ("scabbard", "sword"), ("cleaver", "knife")):
        assert word in vocab.scores(one_hot(vocab, **{name: 0.5}), []), name
    assert "knife" in vocab.scores(np.zeros(1000, np.float32), [Detection("knife", 0.7, (0, 0, 1, 1))])


def test_every_default_critical_word_can_be_produced(vocab):
    produced = {w for words in vocab.class_words for w in words} | {w for ws in vocab.coco_words.values() for w in ws}
    from_moderation = {"explicit", "suggestive"}
    assert set(DEFAULT_CRITICAL_TAGS) - from_moderation <= produced


def test_tags_respect_min_probability_and_order(vocab):
    p = one_hot(vocab, beagle=0.5, Egyptian_cat=0.1)
    out = vocab.tags(p, [], min_probability=0.15)
    # animal and pet = beagle + cat; on equal probability the specific word comes first
    assert [t["tag"] for t in out] == ["animal", "pet", "beagle", "dog"]
    assert "cat" not in {t["tag"] for t in out}
    assert {t["tag"] for t in vocab.tags(p, [], min_probability=0.05)} >= {"cat", "beagle"}


def _png_of_colour(value: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (300, 200), (value, value, value)).save(out, "PNG")
    return out.getvalue()


def test_a_detection_the_classifier_does_not_support_is_calibrated(labels):
    from medialens.analysis.tags import DetectorCalibration, Vocabulary

    calibrated = Vocabulary(labels, DetectorCalibration(a=1.0, b=-1.0))  # odds / e
    odds = 0.9 / 0.1 / np.e
    alone = calibrated.scores(np.zeros(1000, np.float32), [Detection("dog", 0.9, (0, 0, 1, 1))])
    assert alone["dog"] == pytest.approx(odds / (1 + odds), abs=1e-4)  # the detector alone: calibrated
    supported = calibrated.scores(one_hot(calibrated, beagle=0.3), [Detection("dog", 0.9, (0, 0, 1, 1))])
    assert supported["dog"] == pytest.approx(0.9)  # the classifier names it too: the score stands
    person = calibrated.scores(np.zeros(1000, np.float32), [Detection("person", 0.9, (0, 0, 1, 1))])
    assert person["person"] == pytest.approx(0.9)  # COCO's best-trained class is not calibrated


def test_the_shipped_calibration_was_fitted_on_the_dev_split():
    import json

    from medialens.analysis.tags import CALIBRATION_FILE, DetectorCalibration

    fitted = json.loads(CALIBRATION_FILE.read_text())
    assert "dev split" in fitted["fitted_on"]
    assert fitted["fitted_by"].startswith("python -m benchmarks.tags_calibration")
    curve = DetectorCalibration.load()
    scores = [curve(Detection("dog", s, (0, 0, 1, 1))).score for s in (0.5, 0.7, 0.9, 0.99)]
    assert scores == sorted(scores) and scores[-1] < 0.99  # monotone, and never surer than the raw score at the top
