"""API keys and tenants through the local runtime (the service's own check, as under
`medialens serve --api-key`): keys required, other tenants' jobs and allowlists are 404."""

from __future__ import annotations

import pytest

from medialens.tenancy import tenant_of

pytestmark = pytest.mark.integration
A, B = {"X-Api-Key": "key-a"}, {"X-Api-Key": "key-b"}


@pytest.fixture
def keys(settings_override):
    settings_override(api_keys="key-a,key-b")


def _image(b64) -> dict:
    return {"images": [{"external_id": "x", "data_base64": b64("images/general/skimage_coffee.png", 160)}]}


def test_every_endpoint_but_health_and_docs_needs_a_key(api, b64, keys):
    assert api.get("/v1/health").status_code == 200
    assert api.get("/v1/openapi.json").status_code == 200
    for method, path, body in [("get", "/v1/images/image_batch_x", None), ("post", "/v1/images", _image(b64)),
                               ("get", "/v1/allowlist", None), ("post", "/batch/jobs", {"images": ["http://a/b"]}),
                               ("get", "/v1/latency?media_type=image", None), ("post", "/batch/analyze", {})]:
        for headers in ({}, {"X-Api-Key": "wrong"}):
            response = getattr(api, method)(path, json=body, headers=headers)
            assert response.status_code == 401, (path, response.text)
            assert response.json()["error"]["code"] == "unauthorized"


def test_jobs_belong_to_the_key_that_created_them(api, b64, receiver, keys):
    created = api.post("/v1/images", json={**_image(b64), "webhook": {"url": f"{receiver.url}/tenant", "secret": "s"}},
                       headers=A)
    assert created.status_code == 202, created.text
    location, job_id = created.headers["Location"], created.json()["job_id"]
    assert api.wait(location, headers=A)[0]["status"] == "finished"
    assert api.get(location, headers=B).status_code == 404
    assert api.get(f"/v1/jobs/{job_id}/deliveries", headers=B).status_code == 404
    assert api.post(f"/v1/jobs/{job_id}/deliveries/redeliver", headers=B).status_code == 404
    mine = api.get(location, headers=A)
    assert mine.status_code == 200 and mine.json()["job_id"] == job_id
    assert "secret" not in mine.text and "key-a" not in mine.text
    batch = api.post("/batch/jobs", json={"images": ["http://127.0.0.1:9/x.jpg"]}, headers=A)
    assert api.get(batch.headers["Location"], headers=B).json() == {
        "success": False, "error": {"code": "not_found", "message": f"no job {batch.json()['job_id']!r}"}}
    assert api.get(batch.headers["Location"], headers=A).status_code == 200


def test_allowlists_are_per_tenant(api, b64, keys):
    photo = b64("images/identity/face_recognition/obama.jpg", 480)
    registered = api.post("/v1/allowlist", json={"person_id": "tenant-a-person", "images": [{"data_base64": photo}]},
                          headers=A)
    assert registered.status_code == 201, registered.text
    listed_a = [p["person_id"] for p in api.get("/v1/allowlist", headers=A).json()["persons"]]
    listed_b = [p["person_id"] for p in api.get("/v1/allowlist", headers=B).json()["persons"]]
    assert "tenant-a-person" in listed_a and "tenant-a-person" not in listed_b
    assert api.delete("/v1/allowlist/tenant-a-person", headers=B).status_code == 404
    assert api.delete("/v1/allowlist/tenant-a-person", headers=A).status_code == 204


def test_tenant_ids_are_hashes_of_keys():
    assert tenant_of("key-a") == tenant_of("key-a") != tenant_of("key-b")
    assert tenant_of("key-a").startswith("t_") and "key" not in tenant_of("key-a")
