"""The job table: the only module that knows the DynamoDB item shape.

One table, composite key (pk, sk):
    pk="job#{job_id}"        sk="job"                     one row per job (JobRecord)
    pk="latency#{media}"     sk="{finished_at}#{job_id}"  one latency sample per finished job
    pk="job#{job_id}"        sk="delivery#{n}#{at}"       one row per webhook delivery attempt
    pk="dispatch"            sk="state"                   the batch dispatcher's counters and lease
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel

from .errors import NotFoundError

SAMPLE_TTL_SECONDS = 30 * 24 * 3600
TENANT_INDEX = "by-tenant"  # template.yaml: (tenant, created_at), projecting what GET /v1/jobs shows


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JobRecord(BaseModel):
    job_id: str
    kind: str  # "image_batch" (later: "video", "moderation_batch")
    status: str = "queued"
    item_count: int = 0
    completed_count: int = 0
    created_at: str
    updated_at: str
    started_at: str | None = None
    finished_at: str | None = None
    deadline_epoch_ms: int = 0  # 0 = no Max-Processing-Time
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_status: str | None = None  # retrying | delivered | disabled (410) | failed
    error_code: str | None = None
    error_message: str | None = None
    summary: dict[str, int] | None = None  # item counts by status and moderation category
    source_key: str | None = None  # videos: the S3 object analysed
    media: dict[str, Any] | None = None  # videos: what the probe found (duration, fps, size, codec)
    priority: int = 0  # batch jobs: 1 low .. 4 critical
    chunk_size: int = 0  # batch jobs: images per Map iteration (0: the image default)
    tenant: str = "public"  # who created it (medialens/tenancy.py); others get 404

    def past_deadline(self, now_ms: int | None = None) -> bool:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        return bool(self.deadline_epoch_ms) and now_ms >= self.deadline_epoch_ms


_serialize = TypeSerializer().serialize
_deserialize = TypeDeserializer().deserialize


def _decimals(value: Any) -> Any:
    """DynamoDB numbers are Decimals: floats go in as exact decimal strings."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimals(v) for v in value]
    return value


def _numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def _to_ddb(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _serialize(_decimals(v)) for k, v in values.items()}


def _from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _numbers(_deserialize(v)) for k, v in item.items()}


class JobStore:
    """Job rows and latency samples, on the low-level (thread-safe) DynamoDB client."""

    def __init__(self, client: Any, table_name: str):
        self._ddb = client
        self._table = table_name

    @staticmethod
    def _key(job_id: str) -> dict[str, str]:
        return {"pk": f"job#{job_id}", "sk": "job"}

    def create(self, job: JobRecord) -> None:
        item = {**self._key(job.job_id), **job.model_dump(exclude_none=True)}
        self._ddb.put_item(TableName=self._table, Item=_to_ddb(item),
                           ConditionExpression="attribute_not_exists(pk)")

    def get(self, job_id: str) -> JobRecord:
        item = self._ddb.get_item(TableName=self._table, Key=_to_ddb(self._key(job_id)),
                                  ConsistentRead=True).get("Item")
        if not item:
            raise NotFoundError(f"no job {job_id!r}")
        return JobRecord.model_validate({k: v for k, v in _from_ddb(item).items() if k not in ("pk", "sk")})

    def _update(self, job_id: str, fields: dict[str, Any], condition: str | None = None) -> bool:
        fields = {**fields, "updated_at": utc_now()}
        names = {f"#{k}": k for k in fields}
        values = {f":{k}": v for k, v in fields.items()}
        kwargs: dict[str, Any] = {
            "Key": _to_ddb(self._key(job_id)),
            "UpdateExpression": "SET " + ", ".join(f"#{k} = :{k}" for k in fields),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if condition:
            kwargs["ConditionExpression"] = condition
            names["#status"] = "status"
            values[":terminal1"], values[":terminal2"] = "finished", "failed"
        kwargs["ExpressionAttributeValues"] = _to_ddb(values)
        return self._try_update(**kwargs)

    def _try_update(self, **update: Any) -> bool:
        """update_item; False when its ConditionExpression does not hold."""
        try:
            self._ddb.update_item(TableName=self._table, **update)
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def create_if_absent(self, job: JobRecord) -> bool:
        """False when the job exists already (a repeated event)."""
        try:
            self.create(job)
        except ClientError as err:
            if err.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def set_fields(self, job_id: str, **fields: Any) -> None:
        self._update(job_id, fields)

    def mark_processing(self, job_id: str) -> bool:
        """queued → processing; False if the job already ended (a late or repeated start)."""
        return self._update(
            job_id,
            {"status": "processing", "started_at": utc_now()},
            condition="attribute_exists(pk) AND NOT #status IN (:terminal1, :terminal2)",
        )

    def get_owned(self, job_id: str, tenant: str) -> JobRecord:
        """The job if `tenant` created it; NotFoundError otherwise (as if it did not exist)."""
        job = self.get(job_id)
        if job.tenant != tenant:
            raise NotFoundError(f"no job {job_id!r}")
        return job

    def add_completed(self, job_id: str, count: int) -> None:
        self._ddb.update_item(
            TableName=self._table,
            Key=_to_ddb(self._key(job_id)),
            UpdateExpression="ADD completed_count :n SET updated_at = :now",
            ExpressionAttributeValues=_to_ddb({":n": count, ":now": utc_now()}),
        )

    def mark_terminal(self, job_id: str, status: str, error_code: str | None = None,
                      error_message: str | None = None, summary: dict[str, int] | None = None) -> bool:
        fields: dict[str, Any] = {"status": status, "finished_at": utc_now()}
        if summary is not None:
            fields["summary"] = summary
        if error_code:
            fields |= {"error_code": error_code, "error_message": error_message or error_code}
        return self._update(job_id, fields, condition="NOT #status IN (:terminal1, :terminal2)")

    def set_webhook_status(self, job_id: str, status: str) -> None:
        self.set_fields(job_id, webhook_status=status)

    # ---- the batch dispatcher's shared row: running jobs, images queued and running, a lease ----
    _DISPATCH = {"pk": "dispatch", "sk": "state"}

    def dispatch_state(self) -> dict[str, Any]:
        item = self._ddb.get_item(TableName=self._table, Key=_to_ddb(self._DISPATCH), ConsistentRead=True).get("Item")
        return _from_ddb(item) if item else {}

    def count_queued(self, level: int, images: int) -> None:
        self._ddb.update_item(TableName=self._table, Key=_to_ddb(self._DISPATCH),
                              UpdateExpression="ADD #q :n", ExpressionAttributeNames={"#q": f"queued_{level}"},
                              ExpressionAttributeValues=_to_ddb({":n": images}))

    def reset_dispatch(self) -> None:
        """Forget running slots and queue counts (their executions and messages are gone)."""
        self._ddb.delete_item(TableName=self._table, Key=_to_ddb(self._DISPATCH))

    def take_slot(self, job_id: str, cap: int, images: int) -> bool:
        """Count the job as running if fewer than `cap` run and it holds no slot yet."""
        return self._try_update(
            Key=_to_ddb(self._DISPATCH),
            UpdateExpression="ADD running :one, images_running :n, holders :job",
            ConditionExpression="(attribute_not_exists(running) OR running < :cap) AND NOT contains(holders, :id)",
            ExpressionAttributeValues={**_to_ddb({":one": 1, ":n": images, ":cap": cap, ":id": job_id}),
                                       ":job": {"SS": [job_id]}})

    def free_slot(self, job_id: str, images: int) -> bool:
        """Give the job's slot back (once: False if it held none)."""
        return self._try_update(
            Key=_to_ddb(self._DISPATCH),
            UpdateExpression="ADD running :minus, images_running :n DELETE holders :job",
            ConditionExpression="contains(holders, :id)",
            ExpressionAttributeValues={**_to_ddb({":minus": -1, ":n": -images, ":id": job_id}),
                                       ":job": {"SS": [job_id]}})

    def slot_holders(self) -> set[str]:
        """The batch jobs counted as running."""
        return set(self.dispatch_state().get("holders", set()))

    def take_lease(self, owner: str, seconds: float) -> bool:
        """One dispatcher at a time (a lease that expires if its holder dies)."""
        now = time.time()
        return self._try_update(
            Key=_to_ddb(self._DISPATCH), UpdateExpression="SET lease_owner = :o, lease_until = :until",
            ConditionExpression="attribute_not_exists(lease_until) OR lease_until < :now",
            ExpressionAttributeValues=_to_ddb({":o": owner, ":until": now + seconds, ":now": now}))

    def drop_lease(self, owner: str) -> None:
        """Release the lease (a no-op if it expired and another dispatcher took it)."""
        self._try_update(Key=_to_ddb(self._DISPATCH), UpdateExpression="REMOVE lease_owner, lease_until",
                         ConditionExpression="lease_owner = :o", ExpressionAttributeValues=_to_ddb({":o": owner}))

    # ---- webhook delivery log ----
    def all_jobs(self) -> list[JobRecord]:
        """Every job row (a scan: for the local runtime's restart, not for request paths)."""
        jobs: list[JobRecord] = []
        for page in self._ddb.get_paginator("scan").paginate(
                TableName=self._table, FilterExpression="sk = :job", ExpressionAttributeValues=_to_ddb({":job": "job"}),
                ConsistentRead=True):
            jobs += [JobRecord.model_validate({k: v for k, v in _from_ddb(i).items() if k not in ("pk", "sk")})
                     for i in page["Items"]]
        return jobs

    def restart(self, job_id: str) -> None:
        """Back to queued with no progress: its workflow starts over."""
        self.set_fields(job_id, status="queued", completed_count=0)

    def recent(self, tenant: str, limit: int) -> list[JobRecord]:
        """A tenant's jobs, newest first (the sparse by-tenant index holds only job rows)."""
        page = self._ddb.query(
            TableName=self._table, IndexName=TENANT_INDEX, ScanIndexForward=False, Limit=limit,
            KeyConditionExpression="tenant = :tenant", ExpressionAttributeValues=_to_ddb({":tenant": tenant}))
        return [JobRecord.model_validate({k: v for k, v in _from_ddb(item).items() if k not in ("pk", "sk")})
                for item in page["Items"]]

    def add_delivery(self, job_id: str, record: dict[str, Any]) -> None:
        self._ddb.put_item(TableName=self._table, Item=_to_ddb({
            "pk": f"job#{job_id}", "sk": f"delivery#{record['attempt']:05d}#{record['at']}", **record,
            "expires_at": int(time.time()) + SAMPLE_TTL_SECONDS}))

    def deliveries(self, job_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :d)",
            "ExpressionAttributeValues": _to_ddb({":pk": f"job#{job_id}", ":d": "delivery#"})}
        while True:
            page = self._ddb.query(**kwargs)
            items += [{k: v for k, v in _from_ddb(i).items() if k not in ("pk", "sk", "expires_at")}
                      for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # ---- latency samples ----
    def add_latency_sample(self, media_type: str, job_id: str, ms_per_unit: float, units: int,
                           cold_start: bool = False) -> None:
        """`cold_start`: the job waited for a worker to load its models (kept apart in reports)."""
        self._ddb.put_item(TableName=self._table, Item=_to_ddb({
            "pk": f"latency#{media_type}",
            "sk": f"{utc_now()}#{job_id}",
            "ms_per_unit": Decimal(str(round(ms_per_unit, 3))),
            "units": units,
            "cold_start": cold_start,
            "expires_at": int(time.time()) + SAMPLE_TTL_SECONDS,
        }))

    def latency_samples(self, media_type: str, limit: int) -> list[tuple[float, bool]]:
        """(ms per unit, cold start) of the most recent finished jobs, newest first."""
        resp = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_to_ddb({":pk": f"latency#{media_type}"}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [(float(row["ms_per_unit"]), bool(row.get("cold_start", False)))
                for row in map(_from_ddb, resp.get("Items", []))]
