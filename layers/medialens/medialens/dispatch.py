"""Priority queues in front of the batch workflow, and the dispatcher that drains them.

AWS reference pipelines put a scheduler in front of Step Functions when work must be
ordered and capped; this is ours. POST /batch/jobs puts the job on the SQS FIFO queue of
its priority (1 low .. 4 critical) and wakes the dispatcher. The dispatcher starts queued
jobs while fewer than `max_concurrent_jobs` run, best first, where best is:

    effective level = priority + floor(seconds waited / priority_aging_seconds)

ties going to the higher nominal priority, then to the older job. A critical job submitted
behind a backlog starts next; a low job gains a level per aging period, so after at most
four periods it outranks fresh critical work and cannot starve (docs/batch.md).

The dispatcher runs when a job is queued, when a job ends (its slot is freed) and on a
schedule (template.yaml: every minute; `medialens serve` runs the same schedule). A
DynamoDB lease keeps it single; one row in the same table counts the running jobs
and names them (`holders`), changed by conditional updates, and is the cap. Each run first reconciles: a slot whose
execution is no longer running, yet never reached finalize, is given back and its job
marked failed with the reason.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from .jobs import JobRecord
from .schemas import PRIORITY_WORDS

logger = logging.getLogger(__name__)
LEVELS = PRIORITY_WORDS  # 1 low .. 4 critical
LEASE_SECONDS = 60.0  # a dispatcher that dies holds the lease at most this long
LEASE_WAIT_SECONDS = 5.0  # a second dispatcher waits this long for the first to finish
INFLIGHT_SECONDS = 30  # a received queue head stays hidden this long unless released


def queue_url(level: int, settings: Any) -> str:
    return getattr(settings, f"queue_url_{LEVELS[level]}")


def state_machine_arn(job: JobRecord, settings: Any) -> str:
    from .video.jobs import VIDEO

    return settings.video_state_machine_arn if job.kind == VIDEO else settings.image_state_machine_arn


def start_workflow(job: JobRecord, svc: Any, name: str | None = None, webhook: dict | None = None) -> None:
    """The one place executions start. The input always says whether this run only resumes
    a webhook delivery loop (the state machines' first Choice), with that loop's state."""
    arn = state_machine_arn(job, svc.settings)
    payload = {"job_id": job.job_id, "resume_webhook": webhook is not None, **({"webhook": webhook} if webhook else {})}
    svc.sfn.start_execution(stateMachineArn=arn, name=name or job.job_id, input=json.dumps(payload))


def launch(job: JobRecord, svc: Any, *, accepted_now: bool = False) -> None:
    """Start a job's workflow now, or, when it has a priority, queue it for the dispatcher
    (it then shares the `max_concurrent_jobs` slots with other queued jobs).

    With `accepted_now` (the API is answering the request that created it), a job that can
    be neither started nor queued is marked failed before the error propagates, so it is
    never left "queued". Repeated launches (S3 events, restarts) leave that to their retries."""
    try:
        if job.priority:
            enqueue(job, svc)
            wake(svc)
            return
        try:
            start_workflow(job, svc)
        except svc.sfn.exceptions.ExecutionAlreadyExists:
            logger.info("execution %s already started", job.job_id)
    except Exception:
        if accepted_now:
            code, verb = ("queue_failed", "queued") if job.priority else ("start_failed", "started")
            svc.jobs.mark_terminal(job.job_id, "failed", code, f"the job could not be {verb}")
        raise


def enqueue(job: JobRecord, svc: Any) -> None:
    """Queue a batch job under its priority (idempotent per job id for SQS's 5 minutes)."""
    svc.sqs.send_message(QueueUrl=queue_url(job.priority, svc.settings), MessageGroupId="jobs",
                         MessageDeduplicationId=job.job_id,
                         MessageBody=json.dumps({"job_id": job.job_id, "images": job.item_count}))
    svc.jobs.count_queued(job.priority, job.item_count)


def wake(svc: Any) -> None:
    """Run the dispatcher soon (an asynchronous invoke). A failure here only delays work:
    the scheduled run catches up, so it is logged, not raised."""
    try:
        svc.lambdas.invoke(FunctionName=svc.settings.dispatch_function_name, InvocationType="Event",
                           Payload=b"{}")
    except Exception:
        logger.exception("could not wake the dispatcher; the schedule will")


def job_ended(job: JobRecord, svc: Any) -> None:
    """A job reached a terminal state: if it held a slot, give it back and start the next job."""
    if job.priority and svc.jobs.free_slot(job.job_id, job.item_count):
        wake(svc)


@dataclass
class _Head:
    level: int
    url: str
    receipt: str
    job_id: str
    images: int
    sent_ms: int

    def rank(self, now_ms: int, aging_seconds: float) -> tuple[int, int, int]:
        effective = self.level + int((now_ms - self.sent_ms) / 1000 // aging_seconds)
        return effective, self.level, -self.sent_ms


def _heads(svc: Any) -> list[_Head]:
    """The oldest message of every priority queue (hidden until deleted or released)."""
    heads = []
    for level in LEVELS:
        url = queue_url(level, svc.settings)
        messages = svc.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=INFLIGHT_SECONDS,
                                           AttributeNames=["SentTimestamp"]).get("Messages", [])
        for message in messages:
            body = json.loads(message["Body"])
            heads.append(_Head(level, url, message["ReceiptHandle"], body["job_id"], int(body["images"]),
                               int(message["Attributes"]["SentTimestamp"])))
    return heads


def _release(svc: Any, head: _Head) -> None:
    svc.sqs.change_message_visibility(QueueUrl=head.url, ReceiptHandle=head.receipt, VisibilityTimeout=0)


def _done(svc: Any, head: _Head) -> None:
    svc.sqs.delete_message(QueueUrl=head.url, ReceiptHandle=head.receipt)
    svc.jobs.count_queued(head.level, -head.images)


def dispatch(svc: Any) -> list[str]:
    """Start queued jobs, best first, while slots are free. Returns the job ids started."""
    owner = uuid.uuid4().hex
    waited_until = time.monotonic() + LEASE_WAIT_SECONDS
    while not svc.jobs.take_lease(owner, LEASE_SECONDS):
        if time.monotonic() > waited_until:
            return []  # another dispatcher is busy; it or the schedule will start the rest
        time.sleep(0.05)
    started: list[str] = []
    try:
        reconcile(svc)
        cap = svc.settings.max_concurrent_jobs
        while int(svc.jobs.dispatch_state().get("running", 0)) < cap:
            heads = _heads(svc)
            if not heads:
                break
            now_ms = int(time.time() * 1000)
            best = max(heads, key=lambda h: h.rank(now_ms, svc.settings.priority_aging_seconds))
            for other in heads:
                if other is not best:
                    _release(svc, other)
            if not _start(svc, best, cap):
                break
            started.append(best.job_id)
    finally:
        svc.jobs.drop_lease(owner)
    if started:
        logger.info("dispatched %s", started)
    return started


def reconcile(svc: Any) -> list[str]:
    """Give back the slots of jobs whose workflow ended without finalizing (aborted by hand,
    a dispatcher that died between taking a slot and starting): such a job is marked failed
    with the reason, so nothing stays "processing" forever. Runs inside the lease."""
    freed = []
    for job_id in sorted(svc.jobs.slot_holders()):
        job = svc.jobs.get(job_id)
        arn = state_machine_arn(job, svc.settings).replace(":stateMachine:", ":execution:") + f":{job_id}"
        try:
            status = svc.sfn.describe_execution(executionArn=arn)["status"]
        except svc.sfn.exceptions.ExecutionDoesNotExist:
            status = "MISSING"
        if status in ("RUNNING", "PENDING_REDRIVE"):
            continue
        if job.status not in ("finished", "failed"):
            reason = "was never started" if status == "MISSING" else f"ended {status} before finalizing"
            svc.jobs.mark_terminal(job_id, "failed", "workflow_ended", f"the job's workflow {reason}")
        if svc.jobs.free_slot(job_id, job.item_count):
            freed.append(job_id)
    if freed:
        logger.warning("reconciled the slots of %s", freed)
    return freed


def _start(svc: Any, head: _Head, cap: int) -> bool:
    """Start one job; False (and the message back on its queue) when no slot is free."""
    from .errors import NotFoundError

    try:
        job = svc.jobs.get(head.job_id)
    except NotFoundError:
        _done(svc, head)  # the row expired or never existed: nothing to run
        return True
    if job.status != "queued" or job.job_id in svc.jobs.slot_holders():
        _done(svc, head)  # started already (a repeated message, a dispatcher that died) or ended
        return True
    if not svc.jobs.take_slot(job.job_id, cap, job.item_count):
        _release(svc, head)
        return False
    try:
        start_workflow(job, svc)
    except svc.sfn.exceptions.ExecutionAlreadyExists:
        pass  # started before, by a dispatcher that died before deleting the message
    except Exception:
        svc.jobs.free_slot(job.job_id, job.item_count)
        _release(svc, head)
        raise
    _done(svc, head)
    return True
