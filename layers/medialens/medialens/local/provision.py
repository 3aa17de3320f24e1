"""Create in moto what template.yaml declares. One function per resource type; a type
we do not know stops the runtime rather than being skipped silently."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from .template import Template

# Served by our own adapters instead of moto: the API by the HTTP front (moto's API
# Gateway does not invoke proxy integrations), layer code by importing the package.
# Lambda permissions have no local effect (moto does not enforce resource policies).
SERVED_BY_ADAPTERS = {"AWS::Serverless::Api", "AWS::Serverless::LayerVersion", "AWS::Lambda::Permission"}
# Operations only (log retention, alarms and where they go): nothing to do on one machine.
NO_LOCAL_EFFECT = {"AWS::Logs::LogGroup", "AWS::CloudWatch::Alarm", "AWS::SNS::Topic"}
ROLE_NAME = "medialens-local"


def _placeholder_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "medialens serve runs this function's handler in-process.")
    return buffer.getvalue()


class Provisioner:
    def __init__(self, template: Template, session: Any):
        self.t = template
        self.s = session
        self._role_arn = ""

    def provision(self) -> None:
        iam = self.s.client("iam")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]}}]}
        self._role_arn = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        order = ["AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::SQS::Queue",
                 "AWS::Serverless::Function", "AWS::Serverless::StateMachine"]
        unknown = {r["Type"] for r in self.t.resources.values()} - set(order) - SERVED_BY_ADAPTERS - NO_LOCAL_EFFECT
        if unknown:
            raise NotImplementedError(f"medialens serve cannot provision {sorted(unknown)} yet")
        for kind in order:
            for logical_id, resource in self.t.of_type(kind).items():
                getattr(self, "_" + kind.split("::")[-1].lower())(logical_id, resource.get("Properties", {}))
        for logical_id, resource in self.t.of_type("AWS::S3::Bucket").items():  # once the functions exist
            self._bucket_notifications(logical_id, resource.get("Properties", {}))

    def _bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        self.s.client("s3").create_bucket(Bucket=self.t.physical_name(logical_id))

    def _bucket_notifications(self, logical_id: str, props: dict[str, Any]) -> None:
        """S3 → Lambda notifications (moto invokes the function inside PutObject)."""
        lambdas = self.t.resolve(props.get("NotificationConfiguration", {})).get("LambdaConfigurations", [])
        if not lambdas:
            return
        configs = [{"LambdaFunctionArn": c["Function"], "Events": [c["Event"]],
                    **({"Filter": {"Key": {"FilterRules": c["Filter"]["S3Key"]["Rules"]}}} if "Filter" in c else {})}
                   for c in lambdas]
        self.s.client("s3").put_bucket_notification_configuration(
            Bucket=self.t.physical_name(logical_id),
            NotificationConfiguration={"LambdaFunctionConfigurations": configs})

    def _table(self, logical_id: str, props: dict[str, Any]) -> None:
        ddb = self.s.client("dynamodb")
        name = self.t.physical_name(logical_id)
        kwargs = {k: props[k] for k in ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes",
                                         "LocalSecondaryIndexes") if k in props}
        ddb.create_table(TableName=name, BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"), **kwargs)
        if "TimeToLiveSpecification" in props:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=props["TimeToLiveSpecification"])

    def _queue(self, logical_id: str, props: dict[str, Any]) -> None:
        attributes = {k: str(v).lower() if isinstance(v, bool) else str(v)
                      for k, v in self.t.resolve(props).items() if k != "QueueName"}
        self.s.client("sqs").create_queue(QueueName=self.t.physical_name(logical_id), Attributes=attributes)

    def _function(self, logical_id: str, props: dict[str, Any]) -> None:
        merged = self.t.function_properties(logical_id)
        self.s.client("lambda").create_function(
            FunctionName=self.t.physical_name(logical_id),
            Runtime="python3.12",
            Role=self._role_arn,
            Handler=merged.get("Handler", "in_process.handler"),
            Code={"ZipFile": _placeholder_zip()},
            Timeout=int(merged.get("Timeout", 3)),
            MemorySize=int(merged.get("MemorySize", 128)),
            Environment={"Variables": self.function_environment(logical_id)},
        )

    def _statemachine(self, logical_id: str, props: dict[str, Any]) -> None:
        self.s.client("stepfunctions").create_state_machine(
            name=self.t.physical_name(logical_id),
            definition=self.t.state_machine_definition(logical_id),
            roleArn=self._role_arn,
            type=props.get("Type", "STANDARD"),
        )

    def function_environment(self, logical_id: str) -> dict[str, str]:
        variables = self.t.function_properties(logical_id)["Environment"]["Variables"]
        return {k: str(v) for k, v in self.t.resolve(variables).items()}

    def process_environment(self) -> dict[str, str]:
        """Handlers share this process, so their variables must agree; merge them, loudly."""
        merged: dict[str, str] = {}
        for logical_id in self.t.of_type("AWS::Serverless::Function"):
            for key, value in self.function_environment(logical_id).items():
                if merged.setdefault(key, value) != value:
                    raise ValueError(f"functions disagree on {key}: {merged[key]!r} vs {value!r}")
        return merged
