"""`medialens serve --state-dir`: the local deployment's data survives a restart.

moto keeps everything in memory. This writes what the service's data lives in — the
DynamoDB tables' items and the bucket's objects — to a directory, and loads it back at
the next start, through the same boto3 APIs the service uses (no moto internals):

* a flush after every accepted write request (before the client sees the answer, so an
  accepted job is on disk), every `FLUSH_SECONDS`, and at stop; S3 objects are written
  once per ETag, tables as one JSON-lines file each, both by atomic rename;
* at start, after provisioning: items and objects back (bucket notifications paused, so a
  restored upload does not start its job twice), then `resume()`.

What is not data is not kept: Step Functions executions, SQS messages, Wait states. So
`resume()` turns every job that was in flight into work again (README, "Restarts"):
queued or processing jobs start over from their stored input (results are deterministic:
the same job gives the same result; progress restarts at 0), queued-by-priority jobs go
back on their queue, and a finished job whose webhook was still being retried resumes
its delivery loop where it stopped (attempt numbers and retry window continue).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 2.0
PORT_FILE = "moto-port"


def remembered_port(root: Path) -> int | None:
    """moto's port in the previous run of this state directory (read before moto starts)."""
    path = Path(root) / PORT_FILE
    return int(path.read_text()) if path.exists() else None


def _to_json(value: Any) -> Any:
    """A DynamoDB-typed item as JSON: binary attributes ({"B": bytes}) as base64 text."""
    if isinstance(value, bytes):
        return {"__base64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__base64__"}:
            return base64.b64decode(value["__base64__"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class StateDir:
    """The on-disk copy of one local deployment's tables and bucket."""

    def __init__(self, root: Path, session: Any, tables: list[str], bucket: str):
        self.root = Path(root)
        self._ddb = session.client("dynamodb")
        self._s3 = session.client("s3")
        self._tables = tables
        self._bucket = bucket
        self._objects_dir = self.root / "s3"
        self._index_path = self.root / "s3-index.json"
        self._index: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._asked = self._done = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- ports survive too: presigned upload URLs name moto's port ----

    def remember_port(self, port: int) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.root / PORT_FILE, str(port).encode())

    # ---- load ----

    def load(self) -> dict[str, int]:
        """Put the stored items and objects back; returns what was restored."""
        self.root.mkdir(parents=True, exist_ok=True)
        self._objects_dir.mkdir(exist_ok=True)
        counts = {"items": 0, "objects": 0}
        for table in self._tables:
            path = self.root / f"table-{table}.jsonl"
            if not path.exists():
                continue
            for line in path.read_text().splitlines():
                self._ddb.put_item(TableName=table, Item=_from_json(json.loads(line)))
                counts["items"] += 1
        if self._index_path.exists():
            self._index = json.loads(self._index_path.read_text())
        notifications = self._s3.get_bucket_notification_configuration(Bucket=self._bucket)
        notifications.pop("ResponseMetadata", None)
        self._s3.put_bucket_notification_configuration(Bucket=self._bucket, NotificationConfiguration={})
        try:
            for key, entry in list(self._index.items()):
                blob = self._objects_dir / entry["file"]
                if not blob.exists():
                    del self._index[key]
                    continue
                self._s3.put_object(Bucket=self._bucket, Key=key, Body=blob.read_bytes(),
                                    ContentType=entry.get("content_type") or "application/octet-stream")
                counts["objects"] += 1
        finally:
            self._s3.put_bucket_notification_configuration(Bucket=self._bucket,
                                                           NotificationConfiguration=notifications)
        return counts  # same bytes, same (MD5) ETags: the index stays valid

    # ---- save ----

    def _flush_now(self) -> None:
        with self._lock:
            for table in self._tables:
                items: list[dict[str, Any]] = []
                for page in self._ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
                    items += page["Items"]
                _write_atomic(self.root / f"table-{table}.jsonl",
                              "".join(json.dumps(_to_json(item), sort_keys=True) + "\n" for item in items).encode())
            seen: dict[str, dict[str, str]] = {}
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket):
                for obj in page.get("Contents", []):
                    key, etag = obj["Key"], obj["ETag"]
                    known = self._index.get(key)
                    if known and known["etag"] == etag:
                        seen[key] = known
                        continue
                    got = self._s3.get_object(Bucket=self._bucket, Key=key)
                    name = hashlib.sha256(f"{key}|{etag}".encode()).hexdigest()
                    _write_atomic(self._objects_dir / name, got["Body"].read())
                    seen[key] = {"etag": etag, "file": name, "content_type": got.get("ContentType", "")}
            for key, entry in self._index.items():
                if seen.get(key, {}).get("file") != entry["file"]:
                    (self._objects_dir / entry["file"]).unlink(missing_ok=True)
            self._index = seen
            _write_atomic(self._index_path, json.dumps(seen).encode())

    def flush(self) -> None:
        """Return once a flush that began after this call has finished (so it holds every
        write made before it)."""
        with self._changed:
            self._asked += 1
            wanted = self._asked
            self._changed.notify_all()
            while self._done < wanted and not self._stop.is_set():
                self._changed.wait(timeout=1.0)

    def _run(self) -> None:
        while True:
            with self._changed:
                if self._asked == self._done:
                    self._changed.wait(timeout=FLUSH_SECONDS)
                if self._stop.is_set():
                    return
                target = self._asked
            try:
                self._flush_now()
            except Exception:
                logger.exception("could not write the state directory %s", self.root)
                time.sleep(FLUSH_SECONDS)
            with self._changed:
                self._done = max(self._done, target)
                self._changed.notify_all()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="medialens-state", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the flusher and write a last time (called while moto still runs)."""
        with self._changed:
            self._stop.set()
            self._changed.notify_all()
        if self._thread:
            self._thread.join(timeout=30)
        self._flush_now()


def resume(svc: Any) -> dict[str, list[str]]:
    """After a restart: make every job that was in flight move again (see the module doc)."""
    from .. import dispatch, workflow
    from ..schemas import TERMINAL_STATUSES

    svc.jobs.reset_dispatch()  # its slots named executions that no longer exist
    resumed: dict[str, list[str]] = {"restarted": [], "requeued": [], "webhooks": []}
    for job in svc.jobs.all_jobs():
        if job.status in TERMINAL_STATUSES:
            if job.webhook_url and job.webhook_status in (None, "retrying"):
                workflow.resume_delivery(job, svc)
                resumed["webhooks"].append(job.job_id)
            continue
        if job.kind == "video" and not job.media and not job.error_code:
            continue  # an upload ticket still waiting for its file: the upload starts it
        svc.jobs.restart(job.job_id)
        dispatch.launch(job, svc)  # a new execution, or back on its priority queue
        resumed["requeued" if job.priority else "restarted"].append(job.job_id)
    return resumed
