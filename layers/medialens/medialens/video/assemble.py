"""Merging a video's per-segment findings into the result (pure functions, no I/O).

Inputs are samples: analysed frames `{"t", "persons", "ocr", "tags", "moderation",
"sharpness"}` in time order, and the shots (`raw_scenes`). The rules:

* persons — faces with an embedding are clustered over the whole video (average
  linkage, Euclidean distance on L2-normalised dlib embeddings, same threshold as the
  allowlist); a cluster is a person with a stable id `person_N` (N by first appearance).
  A scene lists the persons seen on a sample inside it, with the fields of their best
  view there (largest face); age is the person's median, gender the confident majority.
* OCR over time — consecutive samples reading the same or nearly the same text
  (similarity >= 0.8 after normalising case and spaces) form one time segment.
* sections — consecutive scenes are grouped while their keyframe tags stay alike
  (weighted Jaccard of mean tag probabilities >= SECTION_SIMILARITY with the section so
  far), and neighbours that would carry the same tag are joined; the section tag is
  its most probable tag, the thumbnail its sharpest sample, confidence that tag's mean
  probability over the section's samples, relative_activity its mean activity over the
  most active section's. is_critical when one of its scenes is: at least
  CRITICAL_SAMPLE_SHARE of the scene's samples were not safe or had a critical tag. A
  scene with one or two samples is critical on one flagged frame; in a long steady shot
  one outlier frame is not enough (measured: one frame of the 14 s cockatoo shot is
  "explicit" at 0.87 for both moderation models, its six neighbours are safe).
"""

from __future__ import annotations

import difflib
import math
import statistics
from collections import Counter, defaultdict
from typing import Any

SECTION_SIMILARITY = 0.35
OCR_SIMILARITY = 0.8
OCR_MAX_MISSED = 1  # samples a text may be missing from and still be one segment
CRITICAL_SAMPLE_SHARE = 1 / 3


# ---- persons -------------------------------------------------------------------------------


def cluster_faces(embeddings: list[list[float]], max_distance: float) -> list[int]:
    """Cluster labels (0..k-1, numbered by first appearance) by average-linkage agglomeration."""
    import numpy as np

    n = len(embeddings)
    if n == 0:
        return []
    x = np.asarray(embeddings, dtype=np.float32)
    distance = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2)
    clusters: list[list[int]] = [[i] for i in range(n)]
    while len(clusters) > 1:
        best, pair = max_distance, None
        for a in range(len(clusters)):
            for b in range(a + 1, len(clusters)):
                d = float(distance[np.ix_(clusters[a], clusters[b])].mean())
                if d <= best:
                    best, pair = d, (a, b)
        if pair is None:
            break
        a, b = pair
        clusters[a] += clusters.pop(b)
    labels = [0] * n
    for cluster in clusters:
        for i in cluster:
            labels[i] = min(cluster)
    order = {first: k for k, first in enumerate(sorted(set(labels)))}
    return [order[label] for label in labels]


def persons_by_scene(samples: list[dict[str, Any]], scenes: list[dict[str, float]],
                     max_distance: float) -> list[dict[str, Any]]:
    """person_constellation_scenes: for every scene, the persons seen in it."""
    faces = [(sample["t"], person) for sample in samples for person in sample.get("persons", [])
             if person.get("face_embedding")]
    labels = cluster_faces([p["face_embedding"] for _, p in faces], max_distance)
    ages: dict[int, list[float]] = defaultdict(list)
    genders: dict[int, list[str]] = defaultdict(list)
    for (_, person), label in zip(faces, labels, strict=True):
        if person.get("age") is not None:
            ages[label].append(person["age"])
        genders[label].append(person.get("gender", "unidentified"))

    def gender_of(label: int) -> str:
        known = [g for g in genders[label] if g != "unidentified"]
        if not known:
            return "unidentified"
        top = max(set(known), key=known.count)
        return top if known.count(top) > len(genders[label]) / 2 else "unidentified"

    result = []
    for scene in scenes:
        best: dict[int, dict[str, Any]] = {}
        for (t, person), label in zip(faces, labels, strict=True):
            if _in(scene, t, scene is scenes[-1]):
                box = person.get("bounding_box") or {}
                area = box.get("width", 0) * box.get("height", 0)
                if label not in best or area > best[label]["_area"]:
                    best[label] = {**person, "_area": area}
        persons = []
        for label in sorted(best):
            view = {k: v for k, v in best[label].items() if k != "_area"}
            view["person_id"] = f"person_{label + 1}"
            view["age"] = round(statistics.median(ages[label]), 1) if ages[label] else view.get("age")
            view["gender"] = gender_of(label)
            persons.append(view)
        result.append({"time_segment": dict(scene), "person_ids": persons})
    return result


# ---- OCR over time ----------------------------------------------------------------------------


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def ocr_over_time(samples: list[dict[str, Any]], sample_interval: float, duration: float) -> list[dict[str, Any]]:
    """Samples showing (nearly) the same text become one time segment, read as the most
    frequent reading among them (one frame's "Peach Project presen" loses to three frames'
    "Peach Project presents"; ties go to the longest). A run survives OCR_MAX_MISSED samples
    without its text (a frame mid-fade, a missed read) and then ends at its last sighting."""
    open_runs: list[dict[str, Any]] = []
    closed: list[dict[str, Any]] = []
    for sample in samples:
        t = sample["t"]
        seen = []
        for read in sample.get("ocr", []):
            text = _normal(read["full_text"])
            if not text:
                continue
            candidates = [(difflib.SequenceMatcher(None, _normal(_vote(run["reads"])), text).ratio(), n)
                          for n, run in enumerate(open_runs) if not any(run is s for s in seen)]
            ratio, n = max(candidates, default=(0.0, -1))
            if ratio >= OCR_SIMILARITY:
                run = open_runs[n]
            else:
                run = {"reads": [], "languages": [], "tags": [], "start": t}
                open_runs.append(run)
            run.update(end=t, missed=0)
            run["reads"].append(read["full_text"])
            run["languages"].append(read.get("language_code"))
            run["tags"].append(read.get("language_tag"))
            seen.append(run)
        for run in [r for r in open_runs if not any(r is s for s in seen)]:
            run["missed"] += 1
            if run["missed"] > OCR_MAX_MISSED:
                open_runs.remove(run)
                closed.append(run)
    closed += open_runs
    out = [{"language_code": _vote([x for x in run["languages"] if x] or [None]),
            "language_tag": _vote([x for x in run["tags"] if x] or [None]), "full_text": _vote(run["reads"]),
            "time_segment": {"start_seconds": round(run["start"], 3),
                             "end_seconds": round(min(duration, run["end"] + sample_interval), 3)}}
           for run in closed]
    return sorted(out, key=lambda r: (r["time_segment"]["start_seconds"], _normal(r["full_text"])))


def _vote(values: list[Any]) -> Any:
    """The most frequent value; among equals the longest (a clipped reading is the shorter)."""
    counts = Counter(values)
    return max(counts, key=lambda v: (counts[v], len(v or "")))


# ---- sections -------------------------------------------------------------------------------------


MODERATION_WORDS = frozenset({"explicit", "suggestive"})  # they flag a section; they never name it


def _tag_weights(samples: list[dict[str, Any]]) -> dict[str, float]:
    weights: dict[str, float] = defaultdict(float)
    for sample in samples:
        for tag in sample.get("tags", []):
            if tag["tag"] not in MODERATION_WORDS:
                weights[tag["tag"]] += tag["probability"]
    return weights


def _mean(weights: dict[str, float], samples: int) -> dict[str, float]:
    """Summed tag probabilities as means per sample: a long section and a short scene compare alike."""
    return {k: v / max(samples, 1) for k, v in weights.items()}


def _similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Weighted Jaccard of two tag-weight maps (0 when either is empty)."""
    keys = set(a) | set(b)
    top = sum(min(a.get(k, 0), b.get(k, 0)) for k in keys)
    bottom = sum(max(a.get(k, 0), b.get(k, 0)) for k in keys)
    return top / bottom if bottom else 0.0


def _in(scene: dict[str, float], t: float, last: bool) -> bool:
    return scene["start_seconds"] <= t < scene["end_seconds"] or (last and t == scene["end_seconds"])


def _critical_scene(samples: list[dict[str, Any]], critical: set[str]) -> bool:
    flagged = [s for s in samples if (s.get("moderation") or {}).get("category", "safe") != "safe"
               or any(t["tag"].lower() in critical for t in s.get("tags", []))]
    return bool(flagged) and len(flagged) >= CRITICAL_SAMPLE_SHARE * len(samples)


def _top_tag(group: dict[str, Any]) -> tuple[str, float]:
    return max(group["weights"].items(), key=lambda kv: kv[1], default=("scene", 0.0))


def _merge_same_tag(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Neighbouring groups that would carry the same section_tag are one section."""
    out: list[dict[str, Any]] = []
    for group in groups:
        if out and _top_tag(out[-1])[0] == _top_tag(group)[0]:
            last = out[-1]
            last["scenes"] += group["scenes"]
            last["samples"] += group["samples"]
            last["critical"] = last["critical"] or group["critical"]
            for k, v in group["weights"].items():
                last["weights"][k] += v
        else:
            out.append(group)
    return out


def keyframes(scenes: list[dict[str, float]], samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One still per scene: its sharpest sample (every scene has one: see steps._sample_times)."""
    out = []
    for i, scene in enumerate(scenes):
        inside = [s for s in samples if s.get("still") and _in(scene, s["t"], i == len(scenes) - 1)]
        if inside:
            best = max(inside, key=lambda s: s.get("sharpness", 0.0))
            out.append({"timestamp_seconds": best["t"], "image": best["still"]})
    return out


def sections(scenes: list[dict[str, float]], samples: list[dict[str, Any]], activity: list[float],
             activity_fps: float, critical: set[str]) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for i, scene in enumerate(scenes):
        inside = [s for s in samples if _in(scene, s["t"], i == len(scenes) - 1)]
        weights = _tag_weights(inside)
        if groups and (not weights or _similarity(_mean(groups[-1]["weights"], len(groups[-1]["samples"])),
                                                  _mean(weights, len(inside))) >= SECTION_SIMILARITY):
            group = groups[-1]
            group["scenes"].append(scene)
            group["samples"] += inside
            group["critical"] = group["critical"] or _critical_scene(inside, critical)
            for k, v in weights.items():
                group["weights"][k] += v
        else:
            groups.append({"scenes": [scene], "samples": list(inside), "weights": defaultdict(float, weights),
                           "critical": _critical_scene(inside, critical)})

    groups = _merge_same_tag(groups)

    def mean_activity(group: dict[str, Any]) -> float:
        if not activity_fps:
            return 0.0
        start = math.ceil(group["scenes"][0]["start_seconds"] * activity_fps)
        end = math.ceil(group["scenes"][-1]["end_seconds"] * activity_fps)
        values = activity[start:end]
        return statistics.fmean(values) if values else 0.0

    activities = [mean_activity(g) for g in groups]
    peak = max(activities, default=0.0)
    out = []
    for group, act in zip(groups, activities, strict=True):
        tag, weight = _top_tag(group)
        sharpest = max(group["samples"], key=lambda s: s.get("sharpness", 0.0), default=None)
        first = group["scenes"][0]
        out.append({
            "section_tag": tag,
            "time_segments": [{"start_seconds": first["start_seconds"],
                               "end_seconds": group["scenes"][-1]["end_seconds"]}],
            "thumbnail_timestamp": round(sharpest["t"] if sharpest else first["start_seconds"], 3),
            "confidence": round(min(1.0, weight / len(group["samples"])), 3) if group["samples"] else 0.0,
            "is_critical": group["critical"],
            "relative_activity": round(act / peak, 3) if peak > 0 else 0.0,
        })
    return out
