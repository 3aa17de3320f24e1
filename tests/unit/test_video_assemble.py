"""Assembling a video's samples: persons clustered across scenes, OCR over time, sections."""

import numpy as np

from medialens.video.assemble import cluster_faces, keyframes, ocr_over_time, persons_by_scene, sections


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return (v / np.linalg.norm(v)).tolist()


rng = np.random.default_rng(7)
ALICE, BOB = rng.normal(size=128), rng.normal(size=128)


def _face(base, noise=0.05, size=0.2, age=30.0, gender="female"):
    return {"face_embedding": _unit(base + rng.normal(scale=noise * np.linalg.norm(base) / 11, size=128)),
            "bounding_box": {"left": 0.1, "top": 0.1, "width": size, "height": size}, "age": age, "gender": gender}


def test_same_person_gets_the_same_id_in_every_scene():
    samples = [{"t": 0.5, "persons": [_face(ALICE)]},
               {"t": 1.5, "persons": [_face(BOB, gender="male"), _face(ALICE, size=0.4, age=34)]},
               {"t": 3.5, "persons": [_face(ALICE, age=32)]},
               {"t": 4.5, "persons": []}]
    scenes = [{"start_seconds": 0.0, "end_seconds": 1.0}, {"start_seconds": 1.0, "end_seconds": 3.0},
              {"start_seconds": 3.0, "end_seconds": 4.0}, {"start_seconds": 4.0, "end_seconds": 5.0}]
    out = persons_by_scene(samples, scenes, max_distance=0.4)
    ids = [[p["person_id"] for p in scene["person_ids"]] for scene in out]
    assert ids == [["person_1"], ["person_1", "person_2"], ["person_1"], []]
    alice = out[1]["person_ids"][0]
    assert alice["age"] == 32.0 and alice["gender"] == "female"
    assert alice["bounding_box"]["width"] == 0.4  # the best (largest) view in that scene
    assert out[1]["person_ids"][1]["gender"] == "male"


def test_clusters_split_strangers_and_join_views():
    faces = [_unit(ALICE), _unit(BOB), _unit(ALICE + 0.01)]
    assert cluster_faces(faces, 0.4) == [0, 1, 0]
    assert cluster_faces([], 0.4) == []


def test_ocr_reads_merge_over_time():
    samples = [{"t": 0.0, "ocr": [{"full_text": "No dogs off leash", "language_code": "en"}]},
               {"t": 1.0, "ocr": [{"full_text": "No dogs off leas", "language_code": "en"}]},
               {"t": 2.0, "ocr": []},
               {"t": 3.0, "ocr": [{"full_text": "EXIT", "language_code": None}]}]
    out = ocr_over_time(samples, sample_interval=1.0, duration=10.0)
    assert [(r["full_text"], r["time_segment"]) for r in out] == [
        ("No dogs off leash", {"start_seconds": 0.0, "end_seconds": 2.0}),
        ("EXIT", {"start_seconds": 3.0, "end_seconds": 4.0})]


def test_ocr_over_time_votes_the_reading_and_bridges_a_missed_sample():
    title = "Peach Project presents"
    reads = [title, "Peach Project presen", title, None, title, "Peach Proiect presents"]
    samples = [{"t": float(i), "ocr": [] if r is None else [{"full_text": r, "language_code": "en"}]}
               for i, r in enumerate(reads)]
    samples += [{"t": 6.0, "ocr": []}, {"t": 7.0, "ocr": []}, {"t": 8.0, "ocr": [{"full_text": title}]}]
    out = ocr_over_time(samples, sample_interval=1.0, duration=9.0)
    # three samples read it whole: that wins over the clipped and the misread one; the one
    # missing sample (t=3) is bridged, two (t=6, 7) end the segment
    assert [(r["full_text"], r["language_code"], r["time_segment"]) for r in out] == [
        (title, "en", {"start_seconds": 0.0, "end_seconds": 6.0}),
        (title, None, {"start_seconds": 8.0, "end_seconds": 9.0})]


def test_sections_group_alike_scenes_and_rate_activity():
    scenes = [{"start_seconds": float(i), "end_seconds": float(i + 1)} for i in range(4)]
    cat = [{"tag": "cat", "probability": 0.9}]
    car = [{"tag": "car", "probability": 0.8}, {"tag": "street", "probability": 0.6}]
    explicit = [{"tag": "explicit", "probability": 0.99}]
    samples = [{"t": 0.5, "tags": cat + explicit, "sharpness": 1.0, "moderation": {"category": "explicit"}},
               {"t": 1.5, "tags": cat, "sharpness": 5.0},
               {"t": 2.5, "tags": car, "sharpness": 2.0, "moderation": {"category": "suggestive"}},
               {"t": 3.5, "tags": car, "sharpness": 1.0}]
    activity = [0.1] * 4 + [0.5] * 4  # 2 values per second
    out = sections(scenes, samples, activity, activity_fps=2.0, critical={"weapon"})
    assert [s["section_tag"] for s in out] == ["cat", "car"]
    assert out[0]["time_segments"] == [{"start_seconds": 0.0, "end_seconds": 2.0}]
    assert out[0]["thumbnail_timestamp"] == 1.5 and out[0]["confidence"] == 0.9
    assert (out[0]["is_critical"], out[1]["is_critical"]) == (True, True)  # "explicit" flags, never names
    assert (out[0]["relative_activity"], out[1]["relative_activity"]) == (0.2, 1.0)


def test_one_outlier_frame_in_a_long_shot_is_not_critical_but_a_short_flagged_shot_is():
    scenes = [{"start_seconds": 0.0, "end_seconds": 14.0}, {"start_seconds": 14.0, "end_seconds": 15.0}]
    bird = [{"tag": "bird", "probability": 0.8}]
    samples = [{"t": float(t), "tags": bird, "moderation": {"category": "safe"}} for t in range(0, 14, 2)]
    samples[4]["moderation"] = {"category": "explicit"}  # the cockatoo's one odd frame
    samples.append({"t": 14.5, "tags": bird, "moderation": {"category": "explicit"}})  # a 1 s explicit insert
    flags = [s["is_critical"] for s in sections(scenes, samples, [0.0] * 30, activity_fps=2.0, critical=set())]
    assert flags == [True]  # alike scenes form one section; the 1 s explicit insert flags it
    out = sections(scenes[:1], samples[:-1], [0.0] * 28, activity_fps=2.0, critical=set())
    assert not out[0]["is_critical"]  # 1 of 7 samples


def test_keyframes_take_each_scenes_sharpest_sample():
    scenes = [{"start_seconds": 0.0, "end_seconds": 2.0}, {"start_seconds": 2.0, "end_seconds": 5.0},
              {"start_seconds": 5.0, "end_seconds": 6.0}]
    samples = [{"t": 0.0, "sharpness": 10.0, "still": "a"}, {"t": 1.0, "sharpness": 50.0, "still": "b"},
               {"t": 2.0, "sharpness": 5.0, "still": "c"}, {"t": 4.0, "sharpness": 1.0, "still": "d"},
               {"t": 6.0, "sharpness": 99.0, "still": "e"}]  # the end of the last scene belongs to it
    assert keyframes(scenes, samples) == [{"timestamp_seconds": 1.0, "image": "b"},
                                          {"timestamp_seconds": 2.0, "image": "c"},
                                          {"timestamp_seconds": 6.0, "image": "e"}]
    assert keyframes(scenes, [{"t": 1.0, "sharpness": 1.0}]) == []  # segments from before stills existed
