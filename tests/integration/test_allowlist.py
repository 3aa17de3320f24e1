"""Allowlist through HTTP: register, refuse photos without exactly one face, match in
analysed images, list, delete."""

from __future__ import annotations

import base64

import pytest

pytestmark = pytest.mark.integration


def _b64(corpus, relative: str) -> str:
    return base64.b64encode((corpus / relative).read_bytes()).decode()


def test_allowlist_lifecycle_and_matching(api, corpus):
    obama = _b64(corpus, "images/identity/face_recognition/obama.jpg")
    created = api.post("/v1/allowlist", json={"person_id": "barack", "images": [{"data_base64": obama}]})
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["person_id"] == "barack" and person["images"] == 1
    assert base64.b64decode(person["face_thumbnails"][0])[:2] == b"\xff\xd8"  # a JPEG

    listed = api.get("/v1/allowlist").json()["persons"]
    assert [p["person_id"] for p in listed] == ["barack"]

    job = api.post("/v1/images", json={"images": [
        {"external_id": "obama2", "data_base64": _b64(corpus, "images/identity/face_recognition/obama2.jpg")},
        {"external_id": "biden", "data_base64": _b64(corpus, "images/identity/face_recognition/biden.jpg")},
    ]})
    body, _ = api.wait(job.headers["Location"])
    obama2, biden = (item["result"]["person_ids"] for item in body["items"])
    assert len(obama2) == 1 and obama2[0]["allowlisted"] is True
    assert obama2[0]["allowlist_person_id"] == "barack"
    assert len(biden) == 1 and biden[0]["allowlisted"] is False and "allowlist_person_id" not in biden[0]

    assert api.delete("/v1/allowlist/barack").status_code == 204
    assert api.delete("/v1/allowlist/barack").status_code == 404
    assert api.get("/v1/allowlist").json() == {"persons": []}


@pytest.mark.parametrize("photo, code", [
    ("images/general/skimage_chelsea_cat.png", "not_one_face"),      # no face
    ("images/faces/dlib_voc_2007_007763.jpg", "not_one_face"),       # a group
])
def test_enrolment_photos_need_exactly_one_face(api, corpus, photo, code):
    response = api.post("/v1/allowlist", json={"person_id": "someone", "images": [
        {"data_base64": _b64(corpus, "images/identity/face_recognition/biden.jpg")},
        {"data_base64": _b64(corpus, photo)}]})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"].startswith("images[1]")
    assert "someone" not in [p["person_id"] for p in api.get("/v1/allowlist").json()["persons"]]


@pytest.mark.parametrize("body", [
    {"person_id": "x", "images": []},
    {"person_id": "bad id with spaces", "images": [{"data_base64": "AAAA"}]},
    {"person_id": "x", "images": [{"data_base64": "not base64!"}]},
])
def test_invalid_registrations_are_400(api, body):
    response = api.post("/v1/allowlist", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] in ("invalid_request", "invalid_base64")
