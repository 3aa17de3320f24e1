"""The allowlist: registered persons whose faces are recognised in analysed media.

An entry holds one L2-normalised 128-D dlib embedding per enrolment photo (DynamoDB,
float32 bytes) and the aligned face thumbnails (S3). A detected face matches an entry
when its Euclidean distance to any of the entry's embeddings is at most
`settings.allowlist_max_distance`; the nearest entry wins.

    pk="allowlist[#{tenant}]"  sk="person#{person_id}"   person_id, embeddings (B), created_at, thumbnail_keys
"""

from __future__ import annotations

import base64
from array import array
from dataclasses import dataclass
from typing import Any

from .errors import NotFoundError
from .jobs import utc_now

EMBEDDING_DIM = 128


@dataclass(frozen=True)
class AllowlistEntry:
    person_id: str
    embeddings: tuple[tuple[float, ...], ...]  # one 128-D vector per enrolment photo
    created_at: str
    thumbnail_keys: tuple[str, ...] = ()


class AllowlistStore:
    def __init__(self, client: Any, table_name: str, media: Any):
        self._ddb = client
        self._table = table_name
        self._media = media

    @staticmethod
    def _partition(tenant: str) -> str:
        return "allowlist" if tenant == "public" else f"allowlist#{tenant}"

    def _key(self, person_id: str, tenant: str) -> dict[str, Any]:
        return {"pk": {"S": self._partition(tenant)}, "sk": {"S": f"person#{person_id}"}}

    def thumbnail_key(self, person_id: str, index: int, tenant: str) -> str:
        prefix = "allowlist" if tenant == "public" else f"allowlist/{tenant}"
        return f"{prefix}/{person_id}/face_{index:02d}.jpg"

    def put(self, person_id: str, embeddings: list[list[float]], thumbnails: list[bytes],
            tenant: str) -> AllowlistEntry:
        """Create or replace an entry (thumbnails first, so a listed entry has them)."""
        keys = []
        for index, jpeg in enumerate(thumbnails):
            key = self.thumbnail_key(person_id, index, tenant)
            self._media.put_bytes(key, jpeg, "image/jpeg")
            keys.append(key)
        packed = array("f", [value for vector in embeddings for value in vector])
        entry = AllowlistEntry(person_id, _unpack(packed.tobytes()), utc_now(), tuple(keys))
        self._ddb.put_item(TableName=self._table, Item={
            **self._key(person_id, tenant),
            "person_id": {"S": person_id},
            "embeddings": {"B": packed.tobytes()},
            "created_at": {"S": entry.created_at},
            "thumbnail_keys": {"L": [{"S": k} for k in keys]},
        })
        return entry

    def delete(self, person_id: str, tenant: str) -> None:
        try:
            old = self._ddb.delete_item(TableName=self._table, Key=self._key(person_id, tenant),
                                        ConditionExpression="attribute_exists(pk)", ReturnValues="ALL_OLD")
        except self._ddb.exceptions.ConditionalCheckFailedException as err:
            raise NotFoundError(f"no allowlist entry {person_id!r}") from err
        for key in old.get("Attributes", {}).get("thumbnail_keys", {}).get("L", []):
            self._media.delete(key["S"])

    def entries(self, tenant: str) -> list[AllowlistEntry]:
        """Every entry of a tenant (small: it is read once per analysis task)."""
        found: list[AllowlistEntry] = []
        kwargs: dict[str, Any] = {"TableName": self._table, "KeyConditionExpression": "pk = :pk",
                                  "ExpressionAttributeValues": {":pk": {"S": self._partition(tenant)}}}
        while True:
            page = self._ddb.query(**kwargs)
            for item in page.get("Items", []):
                found.append(AllowlistEntry(
                    item["person_id"]["S"],
                    _unpack(item["embeddings"]["B"]),
                    item["created_at"]["S"],
                    tuple(k["S"] for k in item.get("thumbnail_keys", {}).get("L", []))))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def describe(self, entry: AllowlistEntry) -> dict[str, Any]:
        """What GET /v1/allowlist shows of an entry (never the embeddings' raw bytes)."""
        thumbnails = [self._media.get_bytes(k) for k in entry.thumbnail_keys]
        return {"person_id": entry.person_id, "images": len(entry.embeddings), "created_at": entry.created_at,
                "face_thumbnails": [base64.b64encode(t).decode() for t in thumbnails if t]}


def _unpack(data: bytes) -> tuple[tuple[float, ...], ...]:
    values = array("f")
    values.frombytes(data)
    return tuple(tuple(values[i:i + EMBEDDING_DIM]) for i in range(0, len(values), EMBEDDING_DIM))


def match_persons(persons: list[dict[str, Any]], entries: list[AllowlistEntry], max_distance: float) -> None:
    """Set `allowlisted` / `allowlist_person_id` on result persons (dicts) in place."""
    if not entries:
        return
    import numpy as np  # only the analysis container matches; the API never imports numpy

    owners = [e.person_id for e in entries for _ in range(len(e.embeddings))]
    known = np.asarray([vector for e in entries for vector in e.embeddings], dtype=np.float32)
    for person in persons:
        embedding = person.get("face_embedding")
        if not embedding:
            continue
        distances = np.linalg.norm(known - np.asarray(embedding, dtype=np.float32), axis=1)
        nearest = int(np.argmin(distances))
        if distances[nearest] <= max_distance:
            person["allowlisted"] = True
            person["allowlist_person_id"] = owners[nearest]


# ---- enrolment ----------------------------------------------------------------------------


def embed_enrolment_photos(keys: list[str], media: Any) -> list[dict[str, Any]]:
    """In the analysis container: the one face of each stored photo, or why not.

    Returns per photo {"embedding", "thumbnail"} or {"error": {"code", "message"}}.
    """
    from .analysis import analysers
    from .analysis.decode import decode_base64, decode_image
    from .errors import MedialensError
    from .settings import get_settings

    faces = analysers()["faces"]
    outcomes: list[dict[str, Any]] = []
    for key in keys:
        try:
            payload = media.get_bytes(key) or b""
            image = decode_image(decode_base64(payload.decode("ascii", "replace")),
                                 max_pixels=get_settings().max_image_pixels)
            persons = faces.analyse(image)["person_ids"]
        except MedialensError as err:
            outcomes.append({"error": {"code": err.code, "message": err.message}})
            continue
        if len(persons) != 1:
            outcomes.append({"error": {"code": "not_one_face",
                                       "message": f"the photo must show exactly one face; found {len(persons)}"}})
            continue
        outcomes.append({"embedding": persons[0]["face_embedding"], "thumbnail": persons[0]["face_thumbnail"]})
    return outcomes


def register_person(request: Any, svc: Any, tenant: str) -> dict[str, Any]:
    """API side of POST /v1/allowlist: stage the photos in S3, have the analysis container
    embed their faces (a synchronous invoke: the API function carries no models), then
    store the entry. Any photo without exactly one face refuses the whole registration."""
    import json
    import uuid

    from .errors import InvalidRequestError, TransientError

    upload = f"allowlist/uploads/{uuid.uuid4().hex}"
    keys = [f"{upload}/{index:02d}" for index in range(len(request.images))]
    for key, image in zip(keys, request.images, strict=True):
        svc.media.put_bytes(key, image.data_base64.encode(), "text/plain")
    try:
        response = svc.lambdas.invoke(FunctionName=svc.settings.enrol_function_name,
                                      Payload=json.dumps({"keys": keys}).encode())
        payload = json.loads(response["Payload"].read())
    finally:
        for key in keys:
            svc.media.delete(key)
    if response.get("FunctionError"):
        raise TransientError(f"face embedding failed: {payload.get('errorMessage', payload)}")
    problems = [{"index": i, **outcome["error"]} for i, outcome in enumerate(payload) if "error" in outcome]
    if problems:
        first = problems[0]
        raise InvalidRequestError(f"images[{first['index']}]: {first['message']}",
                                  code=first["code"] if len(problems) == 1 else "invalid_images")
    entry = svc.allowlist.put(request.person_id, [o["embedding"] for o in payload],
                              [base64.b64decode(o["thumbnail"]) for o in payload], tenant)
    return svc.allowlist.describe(entry)
