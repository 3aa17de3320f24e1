"""S3 key layout and object I/O: the only module that knows where things live in the bucket.

    jobs/{job_id}/manifest.json        what was submitted (external ids, item sources)
    jobs/{job_id}/input/{index:06d}    one item's payload as received (base64 text)
    jobs/{job_id}/input/video          a video sent as a request body
    jobs/{job_id}/chunks/{chunk:06d}.json   results of one analysis task (a Map iteration)
    uploads/{job_id}                   a video uploaded with a presigned PUT (starts its job)
    incoming/...                       videos dropped into the bucket (each starts a job)
    jobs/{job_id}/result.json          the final payload: what GET returns and the webhook sends
    allowlist/{person_id}/face_NN.jpg  aligned face thumbnails of allowlist entries (allowlist.py)
    allowlist/uploads/{upload_id}/NN   enrolment photos while their faces are embedded
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


class MediaStore:
    def __init__(self, s3: Any, bucket: str):
        self._s3 = s3
        self.bucket = bucket

    # ---- keys ----
    @staticmethod
    def _job(job_id: str) -> str:
        return f"jobs/{job_id}"

    def manifest_key(self, job_id: str) -> str:
        return f"{self._job(job_id)}/manifest.json"

    def input_key(self, job_id: str, index: int) -> str:
        return f"{self._job(job_id)}/input/{index:06d}"

    def chunk_key(self, job_id: str, chunk: int) -> str:
        return f"{self._job(job_id)}/chunks/{chunk:06d}.json"

    def result_key(self, job_id: str) -> str:
        return f"{self._job(job_id)}/result.json"

    def page_key(self, job_id: str, chunk: int) -> str:
        """Batch jobs: the input items (URLs or base64) of one chunk."""
        return f"{self._job(job_id)}/pages/{chunk:06d}.json"

    def download_key(self, job_id: str) -> str:
        """Batch jobs: every image's result, one JSON object per line."""
        return f"{self._job(job_id)}/results.jsonl"

    # ---- I/O ----
    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get_bytes(self, key: str) -> bytes | None:
        """The object's bytes, or None when it does not exist."""
        try:
            return self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise

    def presigned_put(self, key: str, expires: int, content_type: str) -> str:
        return self._s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type}, ExpiresIn=expires)

    def presigned_get(self, key: str, expires: int = 3600) -> str:
        return self._s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                               ExpiresIn=expires)

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)

    def put_json(self, key: str, value: Any) -> bytes:
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        self.put_bytes(key, body, "application/json")
        return body

    def get_json(self, key: str) -> Any | None:
        body = self.get_bytes(key)
        return None if body is None else json.loads(body)

    def chunk_results(self, job_id: str) -> dict[int, dict]:
        """All chunk result objects written so far, by chunk number."""
        prefix = f"{self._job(job_id)}/chunks/"
        found: dict[int, dict] = {}
        paginator = self._s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                chunk = int(obj["Key"][len(prefix) :].split(".")[0])
                found[chunk] = self.get_json(obj["Key"]) or {}
        return found
